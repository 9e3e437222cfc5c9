//! Running paratag in production: load shedding, bearer tokens, TLS and mutual TLS, metrics,
//! hot model reload under load, request deadlines and graceful shutdown with work in flight.

mod common;

use common::fixture::fixture_model;
use common::{TestServer, everything};
use paratag::config::{Limits, ServeConfig, TlsFiles, Tokens};
use paratag::service::pb;
use paratag::service::pb::topic_classifier_client::TopicClassifierClient;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tonic::Code;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

const TOKEN: &str = "test-token-0123456789abcdef";

fn classify(text: &str) -> pb::ClassifyRequest {
    pb::ClassifyRequest {
        text: text.into(),
        ..Default::default()
    }
}

fn with_token<T>(msg: T, token: &str) -> tonic::Request<T> {
    let mut r = tonic::Request::new(msg);
    r.metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    r
}

#[tokio::test]
async fn beyond_the_concurrency_limit_calls_are_refused_at_once_but_health_is_not() {
    let config = ServeConfig {
        limits: Limits {
            max_concurrent_requests: 2,
            ..Limits::default()
        },
        ..ServeConfig::default()
    };
    let server = TestServer::start(fixture_model(), config).await;
    let mut client = server.client().await;
    // Two open streams hold both slots.
    let (tx1, rx1) = tokio::sync::mpsc::channel::<pb::ClassifyStreamRequest>(1);
    let (tx2, rx2) = tokio::sync::mpsc::channel::<pb::ClassifyStreamRequest>(1);
    let s1 = client
        .classify_stream(tokio_stream::wrappers::ReceiverStream::new(rx1))
        .await
        .unwrap();
    let s2 = client
        .classify_stream(tokio_stream::wrappers::ReceiverStream::new(rx2))
        .await
        .unwrap();
    let e = client
        .classify(classify("steel tariffs"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::ResourceExhausted, "{e:?}");
    assert!(
        e.message().contains("limit of 2 requests"),
        "{}",
        e.message()
    );
    let mut health = server.health().await;
    assert!(health.check(HealthCheckRequest::default()).await.is_ok());
    // Ending a stream frees its slot.
    drop(tx1);
    drop(s1);
    let mut freed = false;
    for _ in 0..100 {
        if client.classify(classify("steel tariffs")).await.is_ok() {
            freed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(freed, "a finished stream releases its slot");
    drop((tx2, s2));
    server.stop().await.unwrap();
}

#[tokio::test]
async fn bearer_tokens_guard_everything_but_health_and_leak_nothing() {
    let config = ServeConfig {
        tokens: Tokens(vec![TOKEN.into(), "second-token-abcdefghijkl".into()]),
        ..ServeConfig::default()
    };
    let server = TestServer::start(fixture_model(), config).await;
    let mut client = server.client().await;
    let e = client
        .classify(classify("steel tariffs"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated);
    assert_eq!(e.message(), "missing or invalid credentials");
    for wrong in ["test-token-0123456789abcdeX", "", "test-token"] {
        let e = client
            .classify(with_token(classify("steel tariffs"), wrong))
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::Unauthenticated);
        assert!(!e.message().contains(TOKEN) && !e.message().contains("test-token"));
    }
    for good in [TOKEN, "second-token-abcdefghijkl"] {
        let r = client
            .classify(with_token(classify("steel tariffs"), good))
            .await
            .unwrap();
        assert!(r.metadata().get("x-request-id").is_some());
    }
    // Health answers without a token: orchestrator probes carry none.
    let mut health = server.health().await;
    assert!(health.check(HealthCheckRequest::default()).await.is_ok());
    // Reflection is guarded like the API.
    let mut reflection =
        tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient::new(
            server.channel().await,
        );
    let e = reflection
        .server_reflection_info(tokio_stream::iter(vec![
            tonic_reflection::pb::v1::ServerReflectionRequest {
                host: String::new(),
                message_request: Some(
                    tonic_reflection::pb::v1::server_reflection_request::MessageRequest::ListServices(
                        String::new(),
                    ),
                ),
            },
        ]))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated);
    server.stop().await.unwrap();
}

struct Pki {
    ca: String,
    server_cert: String,
    server_key: String,
    client_cert: String,
    client_key: String,
    stranger_cert: String,
    stranger_key: String,
}

fn pki() -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let authority = |name: &str| {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
    };
    let ca = authority("paratag test CA");
    let other = authority("someone else's CA");
    let leaf = |names: Vec<String>, issuer: &CertifiedIssuer<'_, KeyPair>| {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(names)
            .unwrap()
            .signed_by(&key, issuer)
            .unwrap();
        (cert.pem(), key.serialize_pem())
    };
    let (server_cert, server_key) = leaf(vec!["localhost".into()], &ca);
    let (client_cert, client_key) = leaf(vec!["client.example".into()], &ca);
    let (stranger_cert, stranger_key) = leaf(vec!["client.example".into()], &other);
    Pki {
        ca: ca.pem(),
        server_cert,
        server_key,
        client_cert,
        client_key,
        stranger_cert,
        stranger_key,
    }
}

/// Serving settings for TLS with the test authority's server certificate; `client_ca` also
/// asks clients for a certificate signed by that authority (mutual TLS).
fn tls_serving(p: &Pki, client_ca: Option<&str>) -> ServeConfig {
    ServeConfig {
        tls: Some(TlsFiles {
            cert: p.server_cert.clone().into_bytes(),
            key: p.server_key.clone().into_bytes(),
            client_ca: client_ca.map(|ca| ca.as_bytes().to_vec()),
        }),
        ..ServeConfig::default()
    }
}

async fn tls_channel(
    addr: std::net::SocketAddr,
    ca: &str,
    identity: Option<(&str, &str)>,
) -> Result<Channel, tonic::transport::Error> {
    let mut tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(ca))
        .domain_name("localhost");
    if let Some((cert, key)) = identity {
        tls = tls.identity(Identity::from_pem(cert, key));
    }
    Channel::from_shared(format!("https://localhost:{}", addr.port()))
        .unwrap()
        .tls_config(tls)?
        .connect()
        .await
}

async fn wait_serving(channel: Channel) {
    let mut health = HealthClient::new(channel);
    for _ in 0..200 {
        if let Ok(r) = health.check(HealthCheckRequest::default()).await
            && r.into_inner().status == 1
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("TLS server never became SERVING");
}

#[tokio::test]
async fn tls_serves_encrypted_and_mutual_tls_refuses_clients_without_the_right_certificate() {
    let p = pki();
    // Server-side TLS only.
    let server = TestServer::spawn(fixture_model(), tls_serving(&p, None)).await;
    let channel = tls_channel(server.addr, &p.ca, None).await.unwrap();
    wait_serving(channel.clone()).await;
    let r = TopicClassifierClient::new(channel)
        .classify(classify("steel tariffs"))
        .await
        .unwrap();
    assert_eq!(r.into_inner().labels, ["trade"]);
    // A plaintext client gets nowhere.
    let plain = Channel::from_shared(format!("http://{}", server.addr))
        .unwrap()
        .connect()
        .await;
    if let Ok(ch) = plain {
        assert!(
            TopicClassifierClient::new(ch)
                .classify(classify("x y"))
                .await
                .is_err()
        );
    }
    server.stop().await.unwrap();

    // Mutual TLS.
    let server = TestServer::spawn(fixture_model(), tls_serving(&p, Some(&p.ca))).await;
    let good = tls_channel(server.addr, &p.ca, Some((&p.client_cert, &p.client_key)))
        .await
        .unwrap();
    wait_serving(good.clone()).await;
    assert!(
        TopicClassifierClient::new(good)
            .classify(classify("steel tariffs"))
            .await
            .is_ok()
    );
    // No client certificate: UNAUTHENTICATED, and health still answers.
    let anonymous = tls_channel(server.addr, &p.ca, None).await.unwrap();
    let e = TopicClassifierClient::new(anonymous.clone())
        .classify(classify("steel tariffs"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated, "{e:?}");
    assert_eq!(e.message(), "missing or invalid credentials");
    // A certificate from another authority is refused in the handshake.
    let stranger = tls_channel(
        server.addr,
        &p.ca,
        Some((&p.stranger_cert, &p.stranger_key)),
    )
    .await;
    match stranger {
        Err(_) => {}
        Ok(ch) => {
            let e = TopicClassifierClient::new(ch)
                .classify(classify("steel tariffs"))
                .await
                .unwrap_err();
            assert!(
                matches!(
                    e.code(),
                    Code::Unavailable | Code::Unknown | Code::Unauthenticated
                ),
                "{e:?}"
            );
        }
    }
    server.stop().await.unwrap();
}

/// Fetches `path` from a plain HTTP/1.1 endpoint.
async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

/// A server with its metrics on a second port: (channel, metrics address, stop, server task).
async fn serve_with_metrics(
    config: ServeConfig,
) -> (
    Channel,
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<paratag::Result<()>>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let metrics = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let metrics_addr = metrics.local_addr().unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(
        paratag::service::Server::new(
            fixture_model(),
            paratag::extract::Gazetteer::default_gazetteer().unwrap(),
            config,
        )
        .with_metrics(metrics)
        .with_load_seconds(0.25)
        .run(listener, async {
            let _ = stopped.await;
        }),
    );
    let channel = loop {
        if let Ok(c) = Channel::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
        {
            break c;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    wait_serving(channel.clone()).await;
    (channel, metrics_addr, stop, task)
}

#[tokio::test]
async fn metrics_are_scraped_from_a_separate_port() {
    let (channel, metrics_addr, stop, task) = serve_with_metrics(ServeConfig::default()).await;
    let mut client = TopicClassifierClient::new(channel.clone());
    for _ in 0..3 {
        client.classify(classify("steel tariffs")).await.unwrap();
    }
    let _ = client.classify(classify("  ")).await.unwrap_err();
    // Bytes that are not UTF-8 in `text` are the caller's error, not the server's.
    let bad = common::call_raw(
        channel.clone(),
        "/paratag.v1.TopicClassifier/Classify",
        vec![0x0a, 0x01, 0xff],
    )
    .await
    .unwrap_err();
    assert_eq!(bad.code(), tonic::Code::InvalidArgument, "{bad:?}");
    let page = http_get(metrics_addr, "/metrics").await;
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    for line in [
        "paratag_requests_total{code=\"OK\",rpc=\"Classify\"} 3",
        "paratag_requests_total{code=\"INVALID_ARGUMENT\",rpc=\"Classify\"} 2",
        "paratag_text_bytes_total{rpc=\"Classify\"} 39",
        "paratag_request_duration_seconds_count{rpc=\"Classify\"} 5",
        "paratag_in_flight_requests 0",
        "paratag_model_info{name=\"fixture\",version=",
        "paratag_model_load_seconds 0.25",
    ] {
        assert!(page.contains(line), "{line} missing from\n{page}");
    }
    assert!(!page.contains("code=\"INTERNAL\""), "{page}");
    assert!(
        http_get(metrics_addr, "/other")
            .await
            .starts_with("HTTP/1.1 404")
    );
    let _ = stop.send(());
    task.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_under_load_swaps_models_without_a_failed_request_and_keeps_the_old_on_bad_files() {
    let dir = std::env::temp_dir().join(format!("paratag-reload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let new_path = dir.join("new.ptm");
    let default = paratag::model::default_model().unwrap();
    paratag::model::format::save(&default, &new_path).unwrap();
    let bad_path = dir.join("bad.ptm");
    std::fs::write(&bad_path, b"not a model").unwrap();

    let config = ServeConfig {
        tokens: Tokens(vec![TOKEN.into()]),
        admin: true,
        ..ServeConfig::default()
    };
    let fixture = fixture_model();
    let old_version = fixture.version().to_owned();
    let server = TestServer::start(fixture, config).await;
    let channel = server.channel().await;

    let failures = Arc::new(AtomicUsize::new(0));
    let answered = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut load = Vec::new();
    for _ in 0..4 {
        let (channel, failures, answered, done) = (
            channel.clone(),
            failures.clone(),
            answered.clone(),
            done.clone(),
        );
        load.push(tokio::spawn(async move {
            let mut client = TopicClassifierClient::new(channel);
            let mut versions = std::collections::BTreeSet::new();
            while !done.load(Ordering::Relaxed) {
                match client
                    .classify(with_token(
                        classify("vaccine doses for the outbreak"),
                        TOKEN,
                    ))
                    .await
                {
                    Ok(r) => {
                        versions.insert(r.into_inner().model_version);
                        answered.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => {
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            versions
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut admin = pb::admin_client::AdminClient::new(channel.clone());
    let r = admin
        .reload_model(with_token(
            pb::ReloadModelRequest {
                path: new_path.display().to_string(),
            },
            TOKEN,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.previous_version, old_version);
    assert_eq!(r.version, default.version());
    assert!(r.load_ms > 0.0);
    let e = admin
        .reload_model(with_token(
            pb::ReloadModelRequest {
                path: bad_path.display().to_string(),
            },
            TOKEN,
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);
    assert!(
        e.message().contains("not a paratag model"),
        "{}",
        e.message()
    );
    // Admin needs the token too.
    let e = admin
        .reload_model(pb::ReloadModelRequest::default())
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated);
    tokio::time::sleep(Duration::from_millis(200)).await;
    done.store(true, Ordering::Relaxed);
    let mut seen = std::collections::BTreeSet::new();
    for t in load {
        seen.extend(t.await.unwrap());
    }
    assert_eq!(
        failures.load(Ordering::Relaxed),
        0,
        "no request failed during reloads"
    );
    assert!(answered.load(Ordering::Relaxed) > 50);
    assert!(
        seen.contains(&old_version) && seen.contains(default.version()),
        "{seen:?}"
    );
    // The new model is the one serving after the failed reload.
    let now = TopicClassifierClient::new(channel)
        .classify(with_token(classify("steel tariffs"), TOKEN))
        .await
        .unwrap()
        .into_inner()
        .model_version;
    assert_eq!(now, default.version());
    server.stop().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn the_servers_request_timeout_answers_deadline_exceeded_and_serving_goes_on() {
    let config = ServeConfig {
        request_timeout: Duration::from_millis(20),
        ..ServeConfig::default()
    };
    let server = TestServer::start(paratag::model::default_model().unwrap(), config).await;
    let mut client = server.client().await;
    // About 1 MB with every part of Extract: far more than 20 ms of work.
    let e = client.extract(heavy_extract()).await.unwrap_err();
    assert_eq!(e.code(), Code::DeadlineExceeded, "{e:?}");
    assert!(e.message().contains("--request-timeout"), "{e:?}");
    let ok = client
        .classify(pb::ClassifyRequest {
            text: "Tariffs on steel rose.".into(),
            ..Default::default()
        })
        .await;
    assert!(ok.is_ok(), "{ok:?}");
    server.stop().await.unwrap();
}

/// Extract of about 1 MB with every part of the structure: far more work than a short deadline.
fn heavy_extract() -> pb::ExtractRequest {
    let document = "Foreign Minister Wang Yi said China will ship vaccines to Turkey. \
                    “Trust matters,” Wang said.\n\n"
        .repeat(10_000);
    everything(&document, pb::Encoding::Unspecified)
}

#[tokio::test]
async fn deadlines_are_honoured_and_shutdown_lets_work_in_flight_finish() {
    // The answer is bigger than default clients take; this client and server allow it.
    let config = ServeConfig {
        shutdown_grace: Duration::from_secs(30),
        limits: Limits {
            max_response_bytes: 256 * 1024 * 1024,
            ..Limits::default()
        },
        ..ServeConfig::default()
    };
    let mut server = TestServer::start(paratag::model::default_model().unwrap(), config).await;
    let mut client = server
        .client()
        .await
        .max_decoding_message_size(256 * 1024 * 1024);
    // A client deadline far shorter than the work is answered at once, not after the work.
    let mut request = tonic::Request::new(heavy_extract());
    request.set_timeout(Duration::from_millis(1));
    let e = client.extract(request).await.unwrap_err();
    // tonic's client enforces the deadline itself too and reports its own expiry as
    // CANCELLED; the server's answer, when it comes first, is DEADLINE_EXCEEDED.
    assert!(
        matches!(e.code(), Code::Cancelled | Code::DeadlineExceeded),
        "{e:?}"
    );
    // Shut down while a heavy request is in flight: it still completes.
    let mut busy = client.clone();
    let request = heavy_extract();
    let in_flight = tokio::spawn(async move { busy.extract(request).await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    server.trigger_stop();
    let r = in_flight
        .await
        .unwrap()
        .expect("the in-flight request completes");
    assert_eq!(r.into_inner().total_passages, 10_000);
    server.join().await.unwrap();
}

#[tokio::test]
async fn the_load_generator_reaches_a_tls_server_that_wants_a_token() {
    use paratag::loadgen::{LoadConfig, Workload, run};
    let p = pki();
    let config = ServeConfig {
        tokens: Tokens(vec![TOKEN.into()]),
        ..tls_serving(&p, None)
    };
    let server = TestServer::spawn(fixture_model(), config).await;
    wait_serving(tls_channel(server.addr, &p.ca, None).await.unwrap()).await;
    let load = |ca: Option<&str>, token: Option<&str>| LoadConfig {
        target: format!("https://localhost:{}", server.addr.port()),
        workload: Workload::Classify,
        connections: 1,
        in_flight: 2,
        duration: Duration::from_millis(300),
        warmup: Duration::ZERO,
        requests: 20,
        batch_size: 1,
        document_words: 10,
        texts: vec!["Steel tariffs were raised again.".into()],
        ca_pem: ca.map(str::to_owned),
        token: token.map(str::to_owned),
    };
    // The right authority and token: every request succeeds.
    let ok = run(load(Some(&p.ca), Some(TOKEN))).await.unwrap();
    assert!(ok.requests >= 20 && ok.errors == 0, "{ok:?}");
    // No token: the server's refusal is counted and reported, not hidden.
    let refused = run(load(Some(&p.ca), None)).await.unwrap();
    assert_eq!(refused.requests, 0, "{refused:?}");
    assert!(refused.errors > 0);
    let first = refused.first_error.unwrap_or_default();
    assert!(first.contains("missing or invalid credentials"), "{first}");
    // Trusting the wrong authority fails the handshake; no authority at all is refused upfront.
    let stranger = run(load(Some(&p.stranger_cert), Some(TOKEN)))
        .await
        .unwrap_err();
    assert!(
        stranger.to_string().contains("cannot connect"),
        "{stranger}"
    );
    let no_ca = run(load(None, Some(TOKEN))).await.unwrap_err();
    assert!(no_ca.to_string().contains("--ca-cert"), "{no_ca}");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn silent_streams_end_after_the_idle_timeout_and_free_their_slots() {
    let config = ServeConfig {
        limits: Limits {
            max_concurrent_requests: 4,
            ..Limits::default()
        },
        stream_idle_timeout: Duration::from_millis(400),
        ..ServeConfig::default()
    };
    let server = TestServer::start(fixture_model(), config).await;
    // Four streams take every slot: each sends one item, then goes quiet without half-closing.
    let mut held = Vec::new();
    for i in 0..4 {
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        tx.send(pb::ClassifyStreamRequest {
            id: format!("s{i}"),
            text: "Tariffs on steel rose.".into(),
            ..Default::default()
        })
        .await
        .unwrap();
        let mut replies = server
            .client()
            .await
            .classify_stream(tokio_stream::wrappers::ReceiverStream::new(rx))
            .await
            .unwrap()
            .into_inner();
        assert!(replies.message().await.unwrap().unwrap().result.is_some());
        held.push((tx, replies));
    }
    let mut client = server.client().await;
    let refused = client.classify(classify("Vaccines arrived.")).await;
    assert_eq!(refused.unwrap_err().code(), Code::ResourceExhausted);

    for (tx, mut replies) in held {
        let end = tokio::time::timeout(Duration::from_secs(10), replies.message())
            .await
            .expect("a silent stream is ended by the server");
        let status = end.expect_err("the stream ends with a status");
        assert_eq!(status.code(), Code::DeadlineExceeded);
        assert!(
            status.message().contains("--stream-idle-timeout"),
            "{status:?}"
        );
        drop(tx);
    }
    client
        .classify(classify("Vaccines arrived."))
        .await
        .expect("the slots are free again");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn metrics_count_a_streams_final_status_and_hang_ups_as_cancelled_not_internal() {
    let config = ServeConfig {
        stream_idle_timeout: Duration::from_millis(300),
        ..ServeConfig::default()
    };
    let (channel, metrics_addr, stop, task) = serve_with_metrics(config).await;
    let item = || pb::ClassifyStreamRequest {
        text: "Tariffs on steel rose.".into(),
        ..Default::default()
    };
    // One stream the client hangs up on after its first answer...
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    tx.send(item()).await.unwrap();
    let mut client = TopicClassifierClient::new(channel.clone());
    let mut replies = client
        .classify_stream(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .unwrap()
        .into_inner();
    replies.message().await.unwrap().unwrap();
    drop(replies);
    drop(tx);
    // ...and one the server ends because the client went quiet.
    let (quiet_tx, rx) = tokio::sync::mpsc::channel(1);
    quiet_tx.send(item()).await.unwrap();
    let mut replies = client
        .classify_stream(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .unwrap()
        .into_inner();
    replies.message().await.unwrap().unwrap();
    let end = replies.message().await.unwrap_err();
    assert_eq!(end.code(), Code::DeadlineExceeded);

    let want = [
        "paratag_requests_total{code=\"CANCELLED\",rpc=\"ClassifyStream\"} 1",
        "paratag_requests_total{code=\"DEADLINE_EXCEEDED\",rpc=\"ClassifyStream\"} 1",
        "paratag_in_flight_requests 0",
    ];
    let mut page = String::new();
    for _ in 0..100 {
        page = http_get(metrics_addr, "/metrics").await;
        if want.iter().all(|line| page.contains(line)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for line in want {
        assert!(page.contains(line), "{line} missing from\n{page}");
    }
    assert!(!page.contains("code=\"INTERNAL\""), "{page}");
    assert!(
        !page.contains("code=\"OK\",rpc=\"ClassifyStream\""),
        "{page}"
    );
    drop(quiet_tx);
    let _ = stop.send(());
    task.await.unwrap().unwrap();
}
