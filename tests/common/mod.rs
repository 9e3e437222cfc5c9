//! Shared helpers for integration tests: start the real paratag server on an ephemeral port and
//! connect real gRPC clients to it.
#![allow(dead_code)]

pub mod fixture;

use paratag::config::ServeConfig;
use paratag::model::Model;
use paratag::service::pb;
use paratag::service::pb::topic_classifier_client::TopicClassifierClient;
use std::net::SocketAddr;
use std::time::Duration;
use tonic::transport::Channel;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus};

/// A paratag server running in this process on 127.0.0.1 with an ephemeral port.
pub struct TestServer {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<paratag::Result<()>>,
}

impl TestServer {
    /// Starts a server with `model` and `config` and waits until health says SERVING.
    pub async fn start(model: Model, config: ServeConfig) -> TestServer {
        let server = Self::spawn(model, config).await;
        server.wait_for(ServingStatus::Serving).await;
        server
    }

    /// Starts a server without waiting for it to become ready.
    pub async fn spawn(model: Model, config: ServeConfig) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let gazetteer = paratag::extract::Gazetteer::default_gazetteer().unwrap();
        let task = tokio::spawn(paratag::service::serve(
            model,
            gazetteer,
            config,
            listener,
            async {
                let _ = stopped.await;
            },
        ));
        TestServer {
            addr,
            stop: Some(stop),
            task,
        }
    }

    /// Starts a server on the embedded default model with default settings.
    pub async fn default_model() -> TestServer {
        Self::start(
            paratag::model::default_model().unwrap(),
            ServeConfig::default(),
        )
        .await
    }

    pub async fn channel(&self) -> Channel {
        let url = format!("http://{}", self.addr);
        for _ in 0..100 {
            if let Ok(ch) = Channel::from_shared(url.clone()).unwrap().connect().await {
                return ch;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("could not connect to {url}");
    }

    pub async fn client(&self) -> TopicClassifierClient<Channel> {
        TopicClassifierClient::new(self.channel().await)
    }

    pub async fn health(&self) -> HealthClient<Channel> {
        HealthClient::new(self.channel().await)
    }

    /// Polls the overall health status until it equals `want` (or fails after 10 s).
    pub async fn wait_for(&self, want: ServingStatus) {
        let mut health = self.health().await;
        for _ in 0..500 {
            let status = health
                .check(HealthCheckRequest {
                    service: String::new(),
                })
                .await
                .map(|r| r.into_inner().status);
            if matches!(status, Ok(s) if s == want as i32) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("server never reported {want:?}");
    }

    /// Asks the server to shut down and waits for it to finish.
    pub async fn stop(mut self) -> paratag::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(Duration::from_secs(20), &mut self.task)
            .await
            .expect("server did not stop within 20 s")
            .expect("server task panicked")
    }

    /// Triggers shutdown without waiting.
    pub fn trigger_stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Waits for the server task after `trigger_stop`.
    pub async fn join(mut self) -> paratag::Result<()> {
        tokio::time::timeout(Duration::from_secs(20), &mut self.task)
            .await
            .expect("server did not stop within 20 s")
            .expect("server task panicked")
    }
}

/// The shared example article, if the `../shared` folder is present.
pub fn shared_article() -> Option<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/examples/china-turkey-call.txt");
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) => {
            eprintln!(
                "SKIPPED: {} is not readable ({e}); this test needs the shared example article",
                path.display()
            );
            None
        }
    }
}

/// An Extract request for `document` asking for every part of the structure: sentences,
/// entities, quotes and five key terms, with spans counted in `encoding`.
pub fn everything(document: &str, encoding: pb::Encoding) -> pb::ExtractRequest {
    pb::ExtractRequest {
        document: document.to_owned(),
        encoding: encoding as i32,
        features: Some(pb::ExtractFeatures {
            sentences: true,
            entities: true,
            quotes: true,
            key_terms: 5,
        }),
        ..Default::default()
    }
}

/// A codec that sends and receives message bodies as raw bytes, to put on the wire what no
/// generated client would send.
#[derive(Debug, Default, Clone, Copy)]
pub struct RawCodec;

impl tonic::codec::Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;
    fn encoder(&mut self) -> RawCodec {
        RawCodec
    }
    fn decoder(&mut self) -> RawCodec {
        RawCodec
    }
}

impl tonic::codec::Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn encode(
        &mut self,
        item: Vec<u8>,
        buf: &mut tonic::codec::EncodeBuf<'_>,
    ) -> Result<(), tonic::Status> {
        prost::bytes::BufMut::put_slice(buf, &item);
        Ok(())
    }
}

impl tonic::codec::Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn decode(
        &mut self,
        buf: &mut tonic::codec::DecodeBuf<'_>,
    ) -> Result<Option<Vec<u8>>, tonic::Status> {
        use prost::bytes::Buf;
        Ok(Some(buf.copy_to_bytes(buf.remaining()).to_vec()))
    }
}

/// Calls `method` (`/package.Service/Method`) with `body` as the encoded request, over gRPC.
pub async fn call_raw(
    channel: Channel,
    method: &'static str,
    body: Vec<u8>,
) -> Result<Vec<u8>, tonic::Status> {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready()
        .await
        .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    grpc.unary(
        tonic::Request::new(body),
        http::uri::PathAndQuery::from_static(method),
        RawCodec,
    )
    .await
    .map(|r| r.into_inner())
}
