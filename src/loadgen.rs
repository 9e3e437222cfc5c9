//! `paratag bench-client`: a closed-loop load generator for any server implementing
//! `paratag.v1.TopicClassifier`.
//!
//! `connections` HTTP/2 connections each keep `in_flight` requests outstanding: a worker sends,
//! waits for the answer, and sends again. Requests finished during the warm-up are not counted.
//! Latencies go into an HDR histogram (microsecond resolution, 3 significant digits). The
//! `stream` workload opens one ClassifyStream per connection and keeps `in_flight` items
//! outstanding on it.
//!
//! Requests are built and answers decoded by the generated client, so any server that speaks
//! `paratag.v1` can be the target: cleartext HTTP/2 (`http://`) or TLS (`https://`, trusting
//! the authority given with `--ca-cert`), with a bearer token when the server wants one.
//! Client certificates (mutual TLS) are not supported.

use crate::error::{Error, Result};
use crate::service::pb;
use crate::service::pb::topic_classifier_client::TopicClassifierClient;
use hdrhistogram::Histogram;
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The client every worker uses: the generated client over [`Direct`].
type Client = TopicClassifierClient<Direct>;

/// One HTTP/2 connection driven by hyper with nothing in between: a request goes from the
/// worker's task straight to the connection task. tonic's `Channel` routes every request through
/// a buffering task first, which costs the load generator a task hop per request and CPU that,
/// on a small machine, the server under test would otherwise have had.
#[derive(Clone)]
struct Direct {
    send: hyper::client::conn::http2::SendRequest<tonic::body::Body>,
    /// `Bearer <token>`, added to every request when the run has a token.
    authorization: Option<http::HeaderValue>,
}

impl tower::Service<http::Request<tonic::body::Body>> for Direct {
    type Response = http::Response<hyper::body::Incoming>;
    type Error = hyper::Error;
    type Future = std::pin::Pin<
        Box<
            dyn std::future::Future<Output = std::result::Result<Self::Response, Self::Error>>
                + Send,
        >,
    >;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::result::Result<(), Self::Error>> {
        self.send.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<tonic::body::Body>) -> Self::Future {
        if let Some(value) = &self.authorization {
            request
                .headers_mut()
                .insert(http::header::AUTHORIZATION, value.clone());
        }
        Box::pin(self.send.send_request(request))
    }
}

/// Where the load goes and how to reach it, worked out once per run from the settings.
struct Target {
    /// The URL as given, for messages.
    url: String,
    uri: http::Uri,
    host: String,
    port: u16,
    /// Present for `https://` targets.
    tls: Option<tokio_rustls::TlsConnector>,
    authorization: Option<http::HeaderValue>,
}

impl Target {
    /// Checks the URL, the TLS trust and the token before any connection is opened.
    fn new(config: &LoadConfig) -> Result<Target> {
        let url = config.target.clone();
        let bad = |why: String| Error::Data(format!("--target {url}: {why}"));
        let uri: http::Uri = url.parse().map_err(|e| bad(format!("{e}")))?;
        let tls = match uri.scheme_str() {
            Some("http") => None,
            Some("https") => Some(tls_connector(config.ca_pem.as_deref()).map_err(Error::Data)?),
            _ => return Err(bad("use an http:// or https:// URL".into())),
        };
        let host = uri
            .host()
            .ok_or_else(|| bad("no host".into()))?
            .trim_matches(['[', ']'])
            .to_owned();
        let port = uri
            .port_u16()
            .unwrap_or(if tls.is_some() { 443 } else { 80 });
        let authorization = match &config.token {
            None => None,
            Some(token) => Some(
                http::HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
                    Error::Data("--token may hold only visible ASCII characters".into())
                })?,
            ),
        };
        Ok(Target {
            url,
            uri,
            host,
            port,
            tls,
            authorization,
        })
    }

    /// Opens one HTTP/2 connection (TCP_NODELAY; TLS with ALPN `h2` for `https://`) and
    /// returns a client on it.
    async fn connect(&self) -> Result<Client> {
        let cannot =
            |e: &dyn std::fmt::Display| Error::Data(format!("cannot connect to {}: {e}", self.url));
        let tcp = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| cannot(&e))?;
        tcp.set_nodelay(true).map_err(|e| cannot(&e))?;
        let send = match &self.tls {
            None => handshake(tcp).await,
            Some(connector) => {
                let name = rustls::pki_types::ServerName::try_from(self.host.clone())
                    .map_err(|e| cannot(&e))?;
                handshake(connector.connect(name, tcp).await.map_err(|e| cannot(&e))?).await
            }
        }
        .map_err(|e| cannot(&e))?;
        Ok(TopicClassifierClient::with_origin(
            Direct {
                send,
                authorization: self.authorization.clone(),
            },
            self.uri.clone(),
        )
        .max_decoding_message_size(64 * 1024 * 1024)
        .max_encoding_message_size(64 * 1024 * 1024))
    }
}

/// The HTTP/2 handshake on an open connection; the connection task is spawned.
async fn handshake<S>(
    io: S,
) -> std::result::Result<hyper::client::conn::http2::SendRequest<tonic::body::Body>, hyper::Error>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (send, connection) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(io),
    )
    .await?;
    tokio::spawn(connection);
    Ok(send)
}

/// A TLS connector that trusts only the authorities in `ca_pem` and offers HTTP/2.
fn tls_connector(ca_pem: Option<&str>) -> std::result::Result<tokio_rustls::TlsConnector, String> {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let pem = ca_pem.ok_or(
        "an https:// target needs --ca-cert: the PEM certificate of the authority that signed \
         the server's certificate",
    )?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        let cert = cert.map_err(|e| format!("--ca-cert: {e}"))?;
        roots.add(cert).map_err(|e| format!("--ca-cert: {e}"))?;
    }
    if roots.is_empty() {
        return Err("--ca-cert holds no PEM certificate".into());
    }
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("TLS: {e}"))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

/// What each request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Workload {
    /// Classify of one paragraph.
    Classify,
    /// ClassifyBatch of `--batch-size` paragraphs.
    Batch,
    /// Extract of a document of `--document-words` words.
    Extract,
    /// ClassifyStream, one paragraph per message.
    Stream,
}

/// Load generator settings.
#[derive(Clone)]
pub struct LoadConfig {
    /// Server URL, e.g. `http://127.0.0.1:50051`.
    pub target: String,
    /// The workload.
    pub workload: Workload,
    /// HTTP/2 connections.
    pub connections: usize,
    /// Requests (or stream items) outstanding per connection.
    pub in_flight: usize,
    /// Measured duration.
    pub duration: Duration,
    /// Warm-up before measuring.
    pub warmup: Duration,
    /// Stop after this many measured requests (0: run for `duration`).
    pub requests: u64,
    /// Paragraphs per ClassifyBatch.
    pub batch_size: usize,
    /// Words per Extract document.
    pub document_words: usize,
    /// Input paragraphs.
    pub texts: Vec<String>,
    /// For `https://` targets: PEM certificate(s) of the authority that signed the server's
    /// certificate (the only ones trusted).
    pub ca_pem: Option<String>,
    /// Bearer token sent as `authorization: Bearer <token>` with every request.
    pub token: Option<String>,
}

/// Debug output names the token's presence, never its value, and counts the texts.
impl std::fmt::Debug for LoadConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadConfig")
            .field("target", &self.target)
            .field("workload", &self.workload)
            .field("connections", &self.connections)
            .field("in_flight", &self.in_flight)
            .field("duration", &self.duration)
            .field("warmup", &self.warmup)
            .field("requests", &self.requests)
            .field("batch_size", &self.batch_size)
            .field("document_words", &self.document_words)
            .field("texts", &self.texts.len())
            .field("ca_pem", &self.ca_pem.is_some())
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// The outcome of a run.
#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    /// Workload.
    pub workload: Workload,
    /// Connections × in flight.
    pub connections: usize,
    /// In flight per connection.
    pub in_flight: usize,
    /// Measured seconds.
    pub seconds: f64,
    /// Successful requests (stream items for `stream`).
    pub requests: u64,
    /// Failed requests.
    pub errors: u64,
    /// Requests per second.
    pub requests_per_sec: f64,
    /// Paragraphs per second (batch: × batch size; extract: paragraphs per document).
    pub paragraphs_per_sec: f64,
    /// Megabytes (10^6 bytes) of input text per second.
    pub mb_per_sec: f64,
    /// Latency percentiles in milliseconds.
    pub latency_ms: Percentiles,
    /// First error seen, if any.
    pub first_error: Option<String>,
}

/// Latency percentiles, milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Percentiles {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Maximum.
    pub max: f64,
}

struct Shared {
    measuring: AtomicBool,
    stop: AtomicBool,
    ok: AtomicU64,
    errors: AtomicU64,
    limit: u64,
    first_error: std::sync::Mutex<Option<String>>,
}

impl Shared {
    fn record(&self, hist: &mut Histogram<u64>, started: Instant, ok: Result<(), tonic::Status>) {
        if !self.measuring.load(Ordering::Relaxed) {
            return;
        }
        match ok {
            Ok(()) => {
                let n = self.ok.fetch_add(1, Ordering::Relaxed) + 1;
                let _ = hist.record(started.elapsed().as_micros().max(1) as u64);
                if self.limit > 0 && n >= self.limit {
                    self.stop.store(true, Ordering::Relaxed);
                }
            }
            Err(status) => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut first) = self.first_error.lock() {
                    first.get_or_insert_with(|| format!("{}: {}", status.code(), status.message()));
                }
            }
        }
    }
}

fn new_histogram() -> Result<Histogram<u64>> {
    Histogram::new_with_bounds(1, 60_000_000, 3).map_err(|e| Error::Internal(e.to_string()))
}

/// Builds a document of about `words` words from `texts`, paragraphs separated by blank lines.
pub fn document_of(texts: &[String], words: usize) -> String {
    let mut doc = String::new();
    let mut n = 0;
    for t in texts.iter().cycle() {
        if n >= words || texts.is_empty() {
            break;
        }
        n += t.split_whitespace().count();
        doc.push_str(t);
        doc.push_str("\n\n");
    }
    doc
}

/// Runs the load and reports.
pub async fn run(config: LoadConfig) -> Result<LoadReport> {
    if config.texts.is_empty() {
        return Err(Error::Data(
            "the load generator needs at least one input text".into(),
        ));
    }
    let texts = Arc::new(config.texts.clone());
    let document = Arc::new(document_of(&texts, config.document_words));
    let doc_paragraphs = crate::text::paragraphs(&document).len() as u64;
    let shared = Arc::new(Shared {
        measuring: AtomicBool::new(false),
        stop: AtomicBool::new(false),
        ok: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        limit: config.requests,
        first_error: std::sync::Mutex::new(None),
    });
    let bytes = Arc::new(AtomicU64::new(0));
    let target = Target::new(&config)?;
    let mut workers = Vec::new();
    for c in 0..config.connections.max(1) {
        let client = target.connect().await?;
        if config.workload == Workload::Stream {
            workers.push(tokio::spawn(stream_worker(
                client,
                texts.clone(),
                config.in_flight.max(1),
                c,
                shared.clone(),
                bytes.clone(),
            )));
            continue;
        }
        for w in 0..config.in_flight.max(1) {
            workers.push(tokio::spawn(unary_worker(
                client.clone(),
                config.workload,
                texts.clone(),
                document.clone(),
                config.batch_size.max(1),
                c * 1000 + w,
                shared.clone(),
                bytes.clone(),
            )));
        }
    }
    tokio::time::sleep(config.warmup).await;
    shared.measuring.store(true, Ordering::Relaxed);
    let start_bytes = bytes.load(Ordering::Relaxed);
    let started = Instant::now();
    while started.elapsed() < config.duration && !shared.stop.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    shared.measuring.store(false, Ordering::Relaxed);
    let seconds = started.elapsed().as_secs_f64();
    let measured_bytes = bytes.load(Ordering::Relaxed) - start_bytes;
    shared.stop.store(true, Ordering::Relaxed);
    let mut hist = new_histogram()?;
    for w in workers {
        if let Ok(Ok(h)) = w.await {
            let _ = hist.add(&h);
        }
    }
    let requests = shared.ok.load(Ordering::Relaxed);
    let per_request = match config.workload {
        Workload::Batch => config.batch_size as u64,
        Workload::Extract => doc_paragraphs,
        _ => 1,
    };
    let ms = |q: f64| hist.value_at_quantile(q) as f64 / 1000.0;
    Ok(LoadReport {
        workload: config.workload,
        connections: config.connections,
        in_flight: config.in_flight,
        seconds,
        requests,
        errors: shared.errors.load(Ordering::Relaxed),
        requests_per_sec: requests as f64 / seconds,
        paragraphs_per_sec: (requests * per_request) as f64 / seconds,
        mb_per_sec: measured_bytes as f64 / seconds / 1e6,
        latency_ms: Percentiles {
            p50: ms(0.5),
            p90: ms(0.9),
            p99: ms(0.99),
            p999: ms(0.999),
            max: hist.max() as f64 / 1000.0,
        },
        first_error: shared.first_error.lock().ok().and_then(|e| e.clone()),
    })
}

#[allow(clippy::too_many_arguments)]
async fn unary_worker(
    mut client: Client,
    workload: Workload,
    texts: Arc<Vec<String>>,
    document: Arc<String>,
    batch_size: usize,
    seed: usize,
    shared: Arc<Shared>,
    bytes: Arc<AtomicU64>,
) -> Result<Histogram<u64>> {
    let mut hist = new_histogram()?;
    let mut i = seed.wrapping_mul(7919);
    while !shared.stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        let (outcome, sent) = match workload {
            Workload::Classify | Workload::Stream => {
                let text = texts[i % texts.len()].clone();
                let n = text.len();
                let r = client
                    .classify(pb::ClassifyRequest {
                        text,
                        ..Default::default()
                    })
                    .await;
                (r.map(|_| ()), n)
            }
            Workload::Batch => {
                let batch: Vec<String> = (0..batch_size)
                    .map(|k| texts[(i + k) % texts.len()].clone())
                    .collect();
                let n = batch.iter().map(String::len).sum();
                let r = client
                    .classify_batch(pb::ClassifyBatchRequest {
                        texts: batch,
                        ..Default::default()
                    })
                    .await;
                (r.map(|_| ()), n)
            }
            Workload::Extract => {
                let r = client
                    .extract(pb::ExtractRequest {
                        document: document.as_ref().clone(),
                        ..Default::default()
                    })
                    .await;
                (r.map(|_| ()), document.len())
            }
        };
        if outcome.is_ok() {
            bytes.fetch_add(sent as u64, Ordering::Relaxed);
        }
        shared.record(&mut hist, started, outcome);
        i = i.wrapping_add(1);
    }
    Ok(hist)
}

async fn stream_worker(
    mut client: Client,
    texts: Arc<Vec<String>>,
    window: usize,
    seed: usize,
    shared: Arc<Shared>,
    bytes: Arc<AtomicU64>,
) -> Result<Histogram<u64>> {
    let mut hist = new_histogram()?;
    let permits = Arc::new(tokio::sync::Semaphore::new(window));
    let (tx, rx) = tokio::sync::mpsc::channel::<pb::ClassifyStreamRequest>(window);
    let sent_at = Arc::new(std::sync::Mutex::new(std::collections::VecDeque::<(
        Instant,
        usize,
    )>::new()));
    let producer = {
        let (permits, sent_at, shared, texts) = (
            permits.clone(),
            sent_at.clone(),
            shared.clone(),
            texts.clone(),
        );
        tokio::spawn(async move {
            let mut i = seed.wrapping_mul(7919);
            while !shared.stop.load(Ordering::Relaxed) {
                let Ok(permit) = permits.clone().acquire_owned().await else {
                    break;
                };
                permit.forget();
                let text = texts[i % texts.len()].clone();
                if let Ok(mut q) = sent_at.lock() {
                    q.push_back((Instant::now(), text.len()));
                }
                if tx
                    .send(pb::ClassifyStreamRequest {
                        text,
                        ..Default::default()
                    })
                    .await
                    .is_err()
                {
                    break;
                }
                i = i.wrapping_add(1);
            }
        })
    };
    let mut responses = client
        .classify_stream(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .map_err(|s| Error::Data(format!("ClassifyStream failed: {s}")))?
        .into_inner();
    while !shared.stop.load(Ordering::Relaxed) {
        let message = match responses.message().await {
            Ok(Some(m)) => m,
            Ok(None) => break,
            Err(status) => {
                shared.record(&mut hist, Instant::now(), Err(status));
                break;
            }
        };
        let (started, n) = sent_at
            .lock()
            .ok()
            .and_then(|mut q| q.pop_front())
            .unwrap_or((Instant::now(), 0));
        let outcome = match message.error {
            None => {
                bytes.fetch_add(n as u64, Ordering::Relaxed);
                Ok(())
            }
            Some(e) => Err(tonic::Status::new(tonic::Code::from(e.code), e.message)),
        };
        shared.record(&mut hist, started, outcome);
        permits.add_permits(1);
    }
    producer.abort();
    Ok(hist)
}

/// Prints a report as a readable block.
pub fn print(r: &LoadReport) {
    println!(
        "{:?}: {} connections x {} in flight, {:.1} s measured",
        r.workload, r.connections, r.in_flight, r.seconds
    );
    println!(
        "  {:.0} requests/s, {:.0} paragraphs/s, {:.2} MB/s of text; {} ok, {} errors",
        r.requests_per_sec, r.paragraphs_per_sec, r.mb_per_sec, r.requests, r.errors
    );
    let l = &r.latency_ms;
    println!(
        "  latency ms: p50 {:.3}  p90 {:.3}  p99 {:.3}  p99.9 {:.3}  max {:.3}",
        l.p50, l.p90, l.p99, l.p999, l.max
    );
    if let Some(e) = &r.first_error {
        println!("  first error: {e}");
    }
}
