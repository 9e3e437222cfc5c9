//! Health that tells the truth (NOT_SERVING while warming up and while shutting down) and server
//! reflection in both protocol versions, so grpcurl works without a .proto file.

mod common;

use common::TestServer;
use common::fixture::fixture_model;
use paratag::config::ServeConfig;
use paratag::service::pb;
use std::time::Duration;
use tokio_stream::StreamExt;
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;

fn check(service: &str) -> HealthCheckRequest {
    HealthCheckRequest {
        service: service.into(),
    }
}

#[tokio::test]
async fn health_is_not_serving_during_warm_up_and_requests_are_refused_as_unavailable() {
    // Enough warm-up rounds to keep the server in its starting phase for a while.
    let config = ServeConfig {
        warmup_rounds: 200_000,
        ..ServeConfig::default()
    };
    let server = TestServer::spawn(fixture_model(), config).await;
    let mut health = server.health().await;
    for service in ["", "paratag.v1.TopicClassifier"] {
        let status = health
            .check(check(service))
            .await
            .unwrap()
            .into_inner()
            .status;
        assert_eq!(
            status,
            ServingStatus::NotServing as i32,
            "service {service:?}"
        );
    }
    let mut client = server.client().await;
    let e = client
        .classify(pb::ClassifyRequest {
            text: "steel tariffs".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Unavailable);
    assert!(e.message().contains("warming up"), "{}", e.message());

    let mut watch = health
        .watch(check("paratag.v1.TopicClassifier"))
        .await
        .unwrap()
        .into_inner();
    let first = watch.next().await.unwrap().unwrap().status;
    assert_eq!(first, ServingStatus::NotServing as i32);
    let next = tokio::time::timeout(Duration::from_secs(120), watch.next())
        .await
        .expect("warm-up finished")
        .unwrap()
        .unwrap()
        .status;
    assert_eq!(next, ServingStatus::Serving as i32);
    assert!(
        client
            .classify(pb::ClassifyRequest {
                text: "steel tariffs".into(),
                ..Default::default()
            })
            .await
            .is_ok()
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn shutdown_turns_health_not_serving_keeps_answering_during_drain_and_exits_cleanly() {
    let config = ServeConfig {
        drain_delay: Duration::from_millis(500),
        ..ServeConfig::default()
    };
    let mut server = TestServer::start(fixture_model(), config).await;
    let mut health = server.health().await;
    let mut client = server.client().await;
    let mut watch = health.watch(check("")).await.unwrap().into_inner();
    assert_eq!(
        watch.next().await.unwrap().unwrap().status,
        ServingStatus::Serving as i32
    );
    server.trigger_stop();
    let status = tokio::time::timeout(Duration::from_secs(5), watch.next())
        .await
        .expect("a status change is pushed")
        .unwrap()
        .unwrap()
        .status;
    assert_eq!(status, ServingStatus::NotServing as i32);
    // During the drain delay requests on open connections are still answered.
    let r = client
        .classify(pb::ClassifyRequest {
            text: "vaccine doses".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.labels, ["health"]);
    // The watch stream ends rather than holding the server open.
    let end = tokio::time::timeout(Duration::from_secs(5), watch.next()).await;
    assert!(matches!(end, Ok(None) | Ok(Some(Err(_)))), "{end:?}");
    server.join().await.unwrap();
}

#[tokio::test]
async fn reflection_v1_and_v1alpha_list_and_describe_the_service_with_comments() {
    use tonic_reflection::pb::v1;
    use tonic_reflection::pb::v1alpha;
    let server = TestServer::start(fixture_model(), ServeConfig::default()).await;
    let channel = server.channel().await;

    let mut v1_client = v1::server_reflection_client::ServerReflectionClient::new(channel.clone());
    let request = |r| v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(r),
    };
    let mut stream = v1_client
        .server_reflection_info(tokio_stream::iter(vec![
            request(v1::server_reflection_request::MessageRequest::ListServices(
                String::new(),
            )),
            request(
                v1::server_reflection_request::MessageRequest::FileContainingSymbol(
                    "paratag.v1.ClassifyRequest".into(),
                ),
            ),
        ]))
        .await
        .unwrap()
        .into_inner();
    let listed = stream.next().await.unwrap().unwrap();
    let Some(v1::server_reflection_response::MessageResponse::ListServicesResponse(list)) =
        listed.message_response
    else {
        panic!("expected a service list");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for want in [
        "paratag.v1.TopicClassifier",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "{want} missing from {names:?}"
        );
    }
    let file = stream.next().await.unwrap().unwrap();
    let Some(v1::server_reflection_response::MessageResponse::FileDescriptorResponse(fds)) =
        file.message_response
    else {
        panic!("expected a file descriptor");
    };
    use prost::Message;
    let fd = prost_types::FileDescriptorProto::decode(&fds.file_descriptor_proto[0][..]).unwrap();
    assert_eq!(fd.package.as_deref(), Some("paratag.v1"));
    let comments: String = fd
        .source_code_info
        .expect("descriptors carry comments for grpcurl describe")
        .location
        .iter()
        .filter_map(|l| l.leading_comments.clone())
        .collect();
    assert!(comments.contains("The text to classify"), "{comments}");

    let mut alpha = v1alpha::server_reflection_client::ServerReflectionClient::new(channel);
    let mut stream = alpha
        .server_reflection_info(tokio_stream::iter(vec![v1alpha::ServerReflectionRequest {
            host: String::new(),
            message_request: Some(
                v1alpha::server_reflection_request::MessageRequest::ListServices(String::new()),
            ),
        }]))
        .await
        .unwrap()
        .into_inner();
    let listed = stream.next().await.unwrap().unwrap();
    let Some(v1alpha::server_reflection_response::MessageResponse::ListServicesResponse(list)) =
        listed.message_response
    else {
        panic!("expected a service list");
    };
    assert!(
        list.service
            .iter()
            .any(|s| s.name == "paratag.v1.TopicClassifier")
    );
    server.stop().await.unwrap();
}
