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

    let mut answers = reflect_v1(
        channel.clone(),
        None,
        vec![
            v1::server_reflection_request::MessageRequest::ListServices(String::new()),
            v1::server_reflection_request::MessageRequest::FileContainingSymbol(
                "paratag.v1.ClassifyRequest".into(),
            ),
        ],
    )
    .await
    .into_iter();
    let Some(v1::server_reflection_response::MessageResponse::ListServicesResponse(list)) =
        answers.next()
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
    let Some(v1::server_reflection_response::MessageResponse::FileDescriptorResponse(fds)) =
        answers.next()
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

/// Sends `requests` on one v1 reflection stream (with a bearer token, if given) and returns the
/// answers in order.
async fn reflect_v1(
    channel: tonic::transport::Channel,
    token: Option<&str>,
    requests: Vec<tonic_reflection::pb::v1::server_reflection_request::MessageRequest>,
) -> Vec<tonic_reflection::pb::v1::server_reflection_response::MessageResponse> {
    use tonic_reflection::pb::v1;
    let n = requests.len();
    let requests = requests.into_iter().map(|r| v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(r),
    });
    let mut request = tonic::Request::new(tokio_stream::iter(requests));
    if let Some(token) = token {
        let bearer = format!("Bearer {token}").parse().unwrap();
        request.metadata_mut().insert("authorization", bearer);
    }
    let mut stream = v1::server_reflection_client::ServerReflectionClient::new(channel)
        .server_reflection_info(request)
        .await
        .unwrap()
        .into_inner();
    let mut answers = Vec::new();
    for _ in 0..n {
        let answer = stream.next().await.unwrap().unwrap();
        answers.extend(answer.message_response);
    }
    answers
}

/// The services a server lists through v1 reflection.
async fn listed_services(channel: tonic::transport::Channel, token: Option<&str>) -> Vec<String> {
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    match reflect_v1(
        channel,
        token,
        vec![MessageRequest::ListServices(String::new())],
    )
    .await
    .pop()
    {
        Some(MessageResponse::ListServicesResponse(list)) => {
            list.service.into_iter().map(|s| s.name).collect()
        }
        other => panic!("expected a service list, got {other:?}"),
    }
}

#[tokio::test]
async fn admin_is_listed_only_when_on_and_says_how_to_turn_it_on() {
    let off = TestServer::start(fixture_model(), ServeConfig::default()).await;
    let names = listed_services(off.channel().await, None).await;
    assert!(
        names.iter().any(|n| n == "paratag.v1.TopicClassifier"),
        "{names:?}"
    );
    assert!(!names.iter().any(|n| n == "paratag.v1.Admin"), "{names:?}");
    let e = pb::admin_client::AdminClient::new(off.channel().await)
        .reload_model(pb::ReloadModelRequest::default())
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Unimplemented);
    assert!(e.message().contains("--admin"), "{}", e.message());
    off.stop().await.unwrap();

    let on = TestServer::start(
        fixture_model(),
        ServeConfig {
            tokens: paratag::config::Tokens(vec!["a-token-of-at-least-16-chars".into()]),
            admin: true,
            ..ServeConfig::default()
        },
    )
    .await;
    let names = listed_services(on.channel().await, Some("a-token-of-at-least-16-chars")).await;
    assert!(names.iter().any(|n| n == "paratag.v1.Admin"), "{names:?}");
    on.stop().await.unwrap();
}

#[tokio::test]
async fn reflection_serves_the_error_detail_types_that_invalid_argument_carries() {
    use prost::Message;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    let server = TestServer::start(fixture_model(), ServeConfig::default()).await;
    let answers = reflect_v1(
        server.channel().await,
        None,
        vec![MessageRequest::FileContainingSymbol(
            "google.rpc.BadRequest".into(),
        )],
    )
    .await;
    let Some(MessageResponse::FileDescriptorResponse(fds)) = answers.into_iter().next() else {
        panic!("google.rpc.BadRequest is not served");
    };
    let files: Vec<prost_types::FileDescriptorProto> = fds
        .file_descriptor_proto
        .iter()
        .map(|b| prost_types::FileDescriptorProto::decode(&b[..]).unwrap())
        .collect();
    assert!(
        files
            .iter()
            .any(|f| f.package.as_deref() == Some("google.rpc")
                && f.message_type.iter().any(|m| m.name() == "BadRequest")),
        "{:?}",
        files.iter().map(|f| f.name()).collect::<Vec<_>>()
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn every_listed_service_has_its_descriptor_served() {
    // `buf curl --list-methods` and grpcurl's `describe` resolve each listed name.
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    let server = TestServer::start(fixture_model(), ServeConfig::default()).await;
    let names = listed_services(server.channel().await, None).await;
    assert!(names.len() >= 4, "{names:?}");
    let asks = names
        .iter()
        .map(|n| MessageRequest::FileContainingSymbol(n.clone()))
        .collect();
    let answers = reflect_v1(server.channel().await, None, asks).await;
    for (name, answer) in names.iter().zip(answers) {
        assert!(
            matches!(answer, MessageResponse::FileDescriptorResponse(_)),
            "{name}: {answer:?}"
        );
    }
    server.stop().await.unwrap();
}
