//! Configuration: the command line (every flag also readable from a `PARATAG_…` environment
//! variable) and the validated settings the server runs with.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// paratag: labels paragraphs of news and diplomatic text by topic, over gRPC.
#[derive(Debug, Parser)]
#[command(name = "paratag", version, about, long_about = None, args_override_self = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the gRPC API (with health and reflection) on the default or a given model.
    Serve(ServeArgs),
    /// Train a model from labelled paragraphs with linfa and write it to a file.
    Train(TrainArgs),
    /// Measure a training recipe by cross-validation or on a separate test set.
    Eval(EvalArgs),
    /// Label a text, or each paragraph of a document, locally without a server.
    Classify(ClassifyArgs),
    /// Work on the training corpus.
    #[command(subcommand)]
    Corpus(CorpusCommand),
    /// Load-test a paratag.v1 server (closed loop; reports rate and latency percentiles).
    BenchClient(BenchClientArgs),
}

/// Flags of `paratag bench-client`.
#[derive(Debug, Clone, Args)]
pub struct BenchClientArgs {
    /// Server URL: `http://host:port` (cleartext HTTP/2) or `https://host:port` (TLS; needs
    /// --ca-cert).
    #[arg(long, env = "PARATAG_TARGET", default_value = "http://127.0.0.1:50051")]
    pub target: String,
    /// PEM certificate of the authority that signed an https:// target's certificate.
    #[arg(long, env = "PARATAG_CA_CERT")]
    pub ca_cert: Option<PathBuf>,
    /// Bearer token for a server started with auth tokens (prefer the environment variable,
    /// which other users of the machine cannot read in the process list).
    #[arg(long, env = "PARATAG_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// What each request does.
    #[arg(long, env = "PARATAG_WORKLOAD", value_enum, default_value = "classify")]
    pub workload: crate::loadgen::Workload,
    /// HTTP/2 connections.
    #[arg(long, env = "PARATAG_CONNECTIONS", default_value_t = 4)]
    pub connections: usize,
    /// Requests (or stream items) outstanding per connection.
    #[arg(long, env = "PARATAG_IN_FLIGHT", default_value_t = 16)]
    pub in_flight: usize,
    /// Seconds to measure.
    #[arg(long, env = "PARATAG_DURATION", default_value_t = 10.0)]
    pub duration: f64,
    /// Seconds of warm-up, not measured.
    #[arg(long, env = "PARATAG_WARMUP", default_value_t = 2.0)]
    pub warmup: f64,
    /// Stop after this many measured requests (0: run for --duration).
    #[arg(long, env = "PARATAG_REQUESTS", default_value_t = 0)]
    pub requests: u64,
    /// Paragraphs per ClassifyBatch.
    #[arg(long, env = "PARATAG_BATCH_SIZE", default_value_t = 64)]
    pub batch_size: usize,
    /// Words in the Extract document.
    #[arg(long, env = "PARATAG_DOCUMENT_WORDS", default_value_t = 4000)]
    pub document_words: usize,
    /// Input paragraphs: a JSONL or `label<TAB>text` file or a directory (default: data/corpus
    /// when present, else built-in sample texts).
    #[arg(long, env = "PARATAG_INPUT")]
    pub input: Option<PathBuf>,
    /// Client runtime threads (0: all cores).
    #[arg(long, env = "PARATAG_CLIENT_THREADS", default_value_t = 0)]
    pub threads: usize,
    /// Print the report as one JSON object.
    #[arg(long, env = "PARATAG_JSON")]
    pub json: bool,
}

/// `paratag corpus …` subcommands.
#[derive(Debug, Subcommand)]
pub enum CorpusCommand {
    /// Check coverage against the taxonomy card, lengths, labels, duplicates and dev-set leaks.
    Check(CorpusCheckArgs),
}

/// Flags of `paratag corpus check`.
#[derive(Debug, Clone, Args)]
pub struct CorpusCheckArgs {
    /// The taxonomy card.
    #[arg(long, env = "PARATAG_CARD", default_value = "data/TOPICS.md")]
    pub card: PathBuf,
    /// The corpus (file or directory).
    #[arg(long, env = "PARATAG_CORPUS", default_value = "data/corpus")]
    pub corpus: PathBuf,
    /// The dev set; checked for counts, duplicates and leaks into the corpus.
    #[arg(long, env = "PARATAG_DEV", default_value = "data/dev.jsonl")]
    pub dev: PathBuf,
    /// Shingle Jaccard similarity at or above which two paragraphs count as near duplicates.
    #[arg(long, env = "PARATAG_NEAR_DUPLICATE", default_value_t = 0.5)]
    pub near_duplicate: f64,
    /// Print the report as JSON.
    #[arg(long, env = "PARATAG_JSON")]
    pub json: bool,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Flags of `paratag serve`. Every setting can be given as a flag, as its `PARATAG_…`
/// environment variable, or as a key of the TOML file named by `--config` (same name, with
/// underscores); a flag beats the environment, which beats the file, which beats the default.
#[derive(Debug, Clone, Default, Args)]
pub struct ServeArgs {
    /// TOML file with settings (keys as the flags, e.g. `max_batch_items = 128`).
    #[arg(long, env = "PARATAG_CONFIG")]
    pub config: Option<PathBuf>,

    /// Address to listen on [default: 127.0.0.1:50051, loopback only]. Binding all interfaces
    /// (0.0.0.0:50051) is an explicit choice.
    #[arg(long, env = "PARATAG_LISTEN")]
    pub listen: Option<SocketAddr>,

    /// Model file to serve [default: the embedded default model].
    #[arg(long, env = "PARATAG_MODEL")]
    pub model: Option<PathBuf>,

    /// Gazetteer for Extract's entities [default: the embedded models/gazetteer.toml].
    #[arg(long, env = "PARATAG_GAZETTEER")]
    pub gazetteer: Option<PathBuf>,

    /// Largest Classify text (and each batch text), in UTF-8 bytes [default: 65536].
    #[arg(long, env = "PARATAG_MAX_TEXT_BYTES")]
    pub max_text_bytes: Option<u32>,

    /// Most texts in one ClassifyBatch [default: 256].
    #[arg(long, env = "PARATAG_MAX_BATCH_ITEMS")]
    pub max_batch_items: Option<u32>,

    /// Largest Extract document, in UTF-8 bytes [default: 2097152].
    #[arg(long, env = "PARATAG_MAX_DOCUMENT_BYTES")]
    pub max_document_bytes: Option<u32>,

    /// Largest encoded request message the server decodes, in bytes; larger messages are
    /// refused with OUT_OF_RANGE. Must exceed the text and document limits [default: 4194304].
    #[arg(long, env = "PARATAG_MAX_MESSAGE_BYTES")]
    pub max_message_bytes: Option<u32>,

    /// Largest encoded answer the server sends, in bytes; a larger answer is not sent and the
    /// call fails OUT_OF_RANGE saying how to ask for less. The default is what gRPC clients
    /// receive unless configured otherwise; at least 65536 [default: 4194304].
    #[arg(long, env = "PARATAG_MAX_RESPONSE_BYTES")]
    pub max_response_bytes: Option<u32>,

    /// Requests (open streams count as one) handled at once; beyond it calls are refused at
    /// once with RESOURCE_EXHAUSTED, never queued [default: 256].
    #[arg(long, env = "PARATAG_MAX_CONCURRENT_REQUESTS")]
    pub max_concurrent_requests: Option<u32>,

    /// Longest a request may run, in seconds; a shorter `grpc-timeout` from the client wins
    /// [default: 30].
    #[arg(long, env = "PARATAG_REQUEST_TIMEOUT")]
    pub request_timeout: Option<f64>,

    /// Longest a ClassifyStream may go without a message from its client, in seconds; then it
    /// ends with DEADLINE_EXCEEDED and frees its admission slot, so silent streams cannot
    /// take the server away. Clients that pause longer reopen the stream [default: 20].
    #[arg(long, env = "PARATAG_STREAM_IDLE_TIMEOUT")]
    pub stream_idle_timeout: Option<f64>,

    /// Seconds between HTTP/2 keepalive pings on idle connections (0: off) [default: 30].
    #[arg(long, env = "PARATAG_KEEPALIVE_INTERVAL")]
    pub keepalive_interval: Option<f64>,

    /// Seconds to wait for a keepalive ping's answer before closing the connection
    /// [default: 10].
    #[arg(long, env = "PARATAG_KEEPALIVE_TIMEOUT")]
    pub keepalive_timeout: Option<f64>,

    /// Warm-up passes over sample texts before health reports SERVING [default: 20].
    #[arg(long, env = "PARATAG_WARMUP_ROUNDS")]
    pub warmup_rounds: Option<u32>,

    /// Seconds to keep serving after health turns NOT_SERVING on shutdown, so load balancers
    /// stop sending new work before connections close [default: 0].
    #[arg(long, env = "PARATAG_DRAIN_DELAY")]
    pub drain_delay: Option<f64>,

    /// Seconds in-flight requests get to finish on shutdown [default: 10].
    #[arg(long, env = "PARATAG_SHUTDOWN_GRACE")]
    pub shutdown_grace: Option<f64>,

    /// Log filter (tracing EnvFilter syntax); "debug" logs one line per request
    /// [default: info].
    #[arg(long, env = "PARATAG_LOG")]
    pub log: Option<String>,

    /// Log format [default: text].
    #[arg(long, env = "PARATAG_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,

    /// PEM certificate chain: serve TLS (requires --tls-key).
    #[arg(long, env = "PARATAG_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key for --tls-cert.
    #[arg(long, env = "PARATAG_TLS_KEY")]
    pub tls_key: Option<PathBuf>,

    /// PEM CA certificates: require and verify client certificates (mutual TLS).
    #[arg(long, env = "PARATAG_TLS_CLIENT_CA")]
    pub tls_client_ca: Option<PathBuf>,

    /// File of bearer tokens, one per line: every RPC except health then needs
    /// `authorization: Bearer <token>`.
    #[arg(long, env = "PARATAG_AUTH_TOKENS_FILE")]
    pub auth_tokens_file: Option<PathBuf>,

    /// Bearer tokens, comma-separated (prefer the environment variable to the flag, which
    /// shows in process lists). Never logged.
    #[arg(long, env = "PARATAG_AUTH_TOKENS", hide_env_values = true)]
    pub auth_tokens: Option<String>,

    /// Serve gRPC server reflection (v1 and v1alpha); `--reflection false` turns it off
    /// [default: true].
    #[arg(long, env = "PARATAG_REFLECTION", num_args = 0..=1, default_missing_value = "true")]
    pub reflection: Option<bool>,

    /// Serve the Admin service (ReloadModel): `--admin` or `--admin true`; needs bearer tokens
    /// [default: false].
    #[arg(long, env = "PARATAG_ADMIN", num_args = 0..=1, default_missing_value = "true")]
    pub admin: Option<bool>,

    /// Address of the Prometheus metrics endpoint (`/metrics`), or "off"
    /// [default: 127.0.0.1:9464].
    #[arg(long, env = "PARATAG_METRICS_LISTEN")]
    pub metrics_listen: Option<String>,

    /// Browser origins allowed to call the API with gRPC-Web, comma-separated
    /// (e.g. "https://app.example.com"), or "*" for any [default: none: gRPC-Web is served,
    /// but browsers on other origins are refused by CORS].
    #[arg(long, env = "PARATAG_CORS_ALLOWED_ORIGINS")]
    pub cors_allowed_origins: Option<String>,
}

/// The keys a `--config` file may hold (all optional; same meaning as the flags).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ServeFile {
    listen: Option<SocketAddr>,
    model: Option<PathBuf>,
    gazetteer: Option<PathBuf>,
    max_text_bytes: Option<u32>,
    max_batch_items: Option<u32>,
    max_document_bytes: Option<u32>,
    max_message_bytes: Option<u32>,
    max_response_bytes: Option<u32>,
    max_concurrent_requests: Option<u32>,
    request_timeout: Option<f64>,
    stream_idle_timeout: Option<f64>,
    keepalive_interval: Option<f64>,
    keepalive_timeout: Option<f64>,
    warmup_rounds: Option<u32>,
    drain_delay: Option<f64>,
    shutdown_grace: Option<f64>,
    log: Option<String>,
    log_format: Option<String>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    tls_client_ca: Option<PathBuf>,
    auth_tokens_file: Option<PathBuf>,
    reflection: Option<bool>,
    admin: Option<bool>,
    metrics_listen: Option<String>,
    cors_allowed_origins: Option<String>,
}

/// Request limits enforced by the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest Classify text, in bytes.
    pub max_text_bytes: u32,
    /// Most texts per batch.
    pub max_batch_items: u32,
    /// Largest Extract document, in bytes.
    pub max_document_bytes: u32,
    /// Largest decoded gRPC message, in bytes.
    pub max_message_bytes: u32,
    /// Largest encoded answer sent, in bytes.
    pub max_response_bytes: u32,
    /// Requests handled at once.
    pub max_concurrent_requests: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_text_bytes: 65_536,
            max_batch_items: 256,
            max_document_bytes: 2 * 1024 * 1024,
            max_message_bytes: 4 * 1024 * 1024,
            max_response_bytes: 4 * 1024 * 1024,
            max_concurrent_requests: 256,
        }
    }
}

/// TLS material, read at startup.
#[derive(Clone)]
pub struct TlsFiles {
    /// PEM certificate chain.
    pub cert: Vec<u8>,
    /// PEM private key.
    pub key: Vec<u8>,
    /// PEM CA bundle for client certificates (mutual TLS), if required.
    pub client_ca: Option<Vec<u8>>,
}

impl std::fmt::Debug for TlsFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsFiles")
            .field("cert", &format_args!("{} bytes", self.cert.len()))
            .field("key", &"<redacted>")
            .field("mutual", &self.client_ca.is_some())
            .finish()
    }
}

/// Bearer tokens; their values never appear in Debug output or logs.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Tokens(pub Vec<String>);

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{} token(s) redacted>", self.0.len())
    }
}

/// Validated server settings.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Request limits.
    pub limits: Limits,
    /// Longest request duration (a shorter client deadline wins).
    pub request_timeout: Duration,
    /// Longest a ClassifyStream may wait for its client's next message.
    pub stream_idle_timeout: Duration,
    /// HTTP/2 keepalive ping interval (None: off) and timeout.
    pub keepalive: Option<(Duration, Duration)>,
    /// Warm-up passes before SERVING.
    pub warmup_rounds: u32,
    /// Time between NOT_SERVING and closing connections on shutdown.
    pub drain_delay: Duration,
    /// Longest wait for in-flight requests on shutdown.
    pub shutdown_grace: Duration,
    /// TLS, when configured.
    pub tls: Option<TlsFiles>,
    /// Accepted bearer tokens; empty: no authentication.
    pub tokens: Tokens,
    /// Serve reflection.
    pub reflection: bool,
    /// Serve the Admin service.
    pub admin: bool,
    /// Where the model came from, for reloads without a path (None: the embedded model).
    pub model_path: Option<PathBuf>,
    /// Origins allowed by CORS for gRPC-Web (`*` alone: any); empty: no CORS headers.
    pub cors_origins: Vec<String>,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            limits: Limits::default(),
            request_timeout: Duration::from_secs(30),
            stream_idle_timeout: Duration::from_secs(20),
            keepalive: Some((Duration::from_secs(30), Duration::from_secs(10))),
            warmup_rounds: 20,
            drain_delay: Duration::ZERO,
            shutdown_grace: Duration::from_secs(10),
            tls: None,
            tokens: Tokens::default(),
            reflection: true,
            admin: false,
            model_path: None,
            cors_origins: Vec::new(),
        }
    }
}

/// Everything `paratag serve` runs with, resolved from flags, environment, file and defaults.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Listen address.
    pub listen: SocketAddr,
    /// Gazetteer file (None: embedded).
    pub gazetteer: Option<PathBuf>,
    /// Server settings.
    pub serve: ServeConfig,
    /// Metrics endpoint address (None: off).
    pub metrics_listen: Option<SocketAddr>,
    /// Log filter.
    pub log: String,
    /// Log format.
    pub log_format: LogFormat,
}

/// Room for the protobuf envelope around the largest text or document.
const ENVELOPE_BYTES: u32 = 4096;

/// The smallest answer limit accepted: below it a single full Extract passage may not fit.
const MIN_RESPONSE_BYTES: u32 = 65_536;

fn seconds(name: &str, v: f64) -> Result<Duration, String> {
    if v.is_finite() && (0.0..=86_400.0).contains(&v) {
        Ok(Duration::from_secs_f64(v))
    } else {
        Err(format!(
            "--{name} must be between 0 and 86400 seconds, not {v}"
        ))
    }
}

fn read_file(what: &str, path: &std::path::Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{what} {}: {e}", path.display()))
}

/// Parses the allowed CORS origins: "*", or a list of `scheme://host[:port]` origins.
fn cors_origins(value: Option<&str>) -> Result<Vec<String>, String> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let list: Vec<String> = value
        .split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(str::to_owned)
        .collect();
    for origin in &list {
        let valid = origin == "*"
            || ((origin.starts_with("http://") || origin.starts_with("https://"))
                && !origin.ends_with('/')
                && origin.parse::<http::HeaderValue>().is_ok());
        if !valid || (origin == "*" && list.len() > 1) {
            return Err(format!(
                "--cors-allowed-origins: {origin:?} is not \"*\" alone or an origin like https://app.example.com"
            ));
        }
    }
    Ok(list)
}

impl ServeArgs {
    /// Merges flags/environment with the `--config` file and defaults, validates the result and
    /// reads TLS and token files. Errors are one line naming the setting.
    pub fn resolve(&self) -> Result<Settings, String> {
        let file: ServeFile = match &self.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("--config {}: {e}", path.display()))?;
                toml::from_str(&text)
                    .map_err(|e| format!("--config {}: {}", path.display(), e.message().trim()))?
            }
            None => ServeFile::default(),
        };
        let d = ServeConfig::default();
        let dl = Limits::default();
        let limits = Limits {
            max_text_bytes: self
                .max_text_bytes
                .or(file.max_text_bytes)
                .unwrap_or(dl.max_text_bytes),
            max_batch_items: self
                .max_batch_items
                .or(file.max_batch_items)
                .unwrap_or(dl.max_batch_items),
            max_document_bytes: self
                .max_document_bytes
                .or(file.max_document_bytes)
                .unwrap_or(dl.max_document_bytes),
            max_message_bytes: self
                .max_message_bytes
                .or(file.max_message_bytes)
                .unwrap_or(dl.max_message_bytes),
            max_response_bytes: self
                .max_response_bytes
                .or(file.max_response_bytes)
                .unwrap_or(dl.max_response_bytes),
            max_concurrent_requests: self
                .max_concurrent_requests
                .or(file.max_concurrent_requests)
                .unwrap_or(dl.max_concurrent_requests),
        };
        for (name, v) in [
            ("max-text-bytes", limits.max_text_bytes),
            ("max-batch-items", limits.max_batch_items),
            ("max-document-bytes", limits.max_document_bytes),
            ("max-concurrent-requests", limits.max_concurrent_requests),
        ] {
            if v == 0 {
                return Err(format!("--{name} must be at least 1"));
            }
        }
        let biggest = limits.max_text_bytes.max(limits.max_document_bytes);
        if limits.max_message_bytes < biggest.saturating_add(ENVELOPE_BYTES) {
            return Err(format!(
                "--max-message-bytes ({}) must be at least {} (the larger of --max-text-bytes and --max-document-bytes plus {ENVELOPE_BYTES})",
                limits.max_message_bytes,
                biggest.saturating_add(ENVELOPE_BYTES)
            ));
        }
        if limits.max_response_bytes < MIN_RESPONSE_BYTES {
            return Err(format!(
                "--max-response-bytes ({}) must be at least {MIN_RESPONSE_BYTES}",
                limits.max_response_bytes
            ));
        }
        let request_timeout = seconds(
            "request-timeout",
            self.request_timeout
                .or(file.request_timeout)
                .unwrap_or(30.0),
        )?;
        if request_timeout.is_zero() {
            return Err("--request-timeout must be more than 0 seconds".into());
        }
        let stream_idle_timeout = match self.stream_idle_timeout.or(file.stream_idle_timeout) {
            Some(v) => seconds("stream-idle-timeout", v)?,
            None => d.stream_idle_timeout,
        };
        if stream_idle_timeout.is_zero() {
            return Err("--stream-idle-timeout must be more than 0 seconds".into());
        }
        let interval = seconds(
            "keepalive-interval",
            self.keepalive_interval
                .or(file.keepalive_interval)
                .unwrap_or(30.0),
        )?;
        let keepalive_timeout = seconds(
            "keepalive-timeout",
            self.keepalive_timeout
                .or(file.keepalive_timeout)
                .unwrap_or(10.0),
        )?;
        let tls = match (
            self.tls_cert.clone().or(file.tls_cert),
            self.tls_key.clone().or(file.tls_key),
            self.tls_client_ca.clone().or(file.tls_client_ca),
        ) {
            (None, None, None) => None,
            (Some(cert), Some(key), ca) => Some(TlsFiles {
                cert: read_file("--tls-cert", &cert)?,
                key: read_file("--tls-key", &key)?,
                client_ca: ca.map(|p| read_file("--tls-client-ca", &p)).transpose()?,
            }),
            (None, _, Some(_)) => {
                return Err("--tls-client-ca needs --tls-cert and --tls-key".into());
            }
            _ => return Err("--tls-cert and --tls-key must be given together".into()),
        };
        let mut tokens: Vec<String> = Vec::new();
        if let Some(path) = self.auth_tokens_file.clone().or(file.auth_tokens_file) {
            let text = String::from_utf8(read_file("--auth-tokens-file", &path)?)
                .map_err(|_| format!("--auth-tokens-file {}: not UTF-8", path.display()))?;
            tokens.extend(
                text.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(str::to_owned),
            );
        }
        if let Some(list) = &self.auth_tokens {
            tokens.extend(
                list.split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned),
            );
        }
        if tokens.iter().any(|t| t.len() < 16) {
            return Err("bearer tokens must be at least 16 characters long".into());
        }
        let admin = self.admin.or(file.admin).unwrap_or(false);
        if admin && tokens.is_empty() {
            return Err(
                "--admin needs bearer tokens (--auth-tokens-file or PARATAG_AUTH_TOKENS): the Admin service is never open".into(),
            );
        }
        let metrics_listen =
            match self
                .metrics_listen
                .clone()
                .or(file.metrics_listen)
                .unwrap_or_else(|| "127.0.0.1:9464".into())
                .as_str()
            {
                "off" | "" => None,
                addr => Some(addr.parse().map_err(|_| {
                    format!("--metrics-listen {addr:?} is not an address or \"off\"")
                })?),
            };
        let log_format = match (self.log_format, file.log_format.as_deref()) {
            (Some(f), _) => f,
            (None, Some("json")) => LogFormat::Json,
            (None, Some("text") | None) => LogFormat::Text,
            (None, Some(other)) => {
                return Err(format!("log_format {other:?} must be \"text\" or \"json\""));
            }
        };
        Ok(Settings {
            listen: self
                .listen
                .or(file.listen)
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 50051))),
            gazetteer: self.gazetteer.clone().or(file.gazetteer),
            metrics_listen,
            log: self
                .log
                .clone()
                .or(file.log)
                .unwrap_or_else(|| "info".into()),
            log_format,
            serve: ServeConfig {
                limits,
                request_timeout,
                stream_idle_timeout,
                keepalive: (!interval.is_zero()).then_some((interval, keepalive_timeout)),
                warmup_rounds: self
                    .warmup_rounds
                    .or(file.warmup_rounds)
                    .unwrap_or(d.warmup_rounds),
                drain_delay: seconds(
                    "drain-delay",
                    self.drain_delay.or(file.drain_delay).unwrap_or(0.0),
                )?,
                shutdown_grace: seconds(
                    "shutdown-grace",
                    self.shutdown_grace.or(file.shutdown_grace).unwrap_or(10.0),
                )?,
                tls,
                tokens: Tokens(tokens),
                reflection: self.reflection.or(file.reflection).unwrap_or(true),
                admin,
                model_path: self.model.clone().or(file.model),
                cors_origins: cors_origins(
                    self.cors_allowed_origins
                        .clone()
                        .or(file.cors_allowed_origins)
                        .as_deref(),
                )?,
            },
        })
    }
}

/// Learner choice on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LearnerKind {
    /// Multinomial logistic regression (softmax), linfa-logistic.
    Logistic,
    /// One-vs-rest binary logistic regressions, linfa-logistic.
    OvrLogistic,
    /// Multinomial naive Bayes, linfa-bayes.
    NaiveBayes,
}

/// Training settings that can override a recipe (all optional).
///
/// Each help text states the built-in default (`TrainConfig::default`), which applies when
/// neither the flag nor a `--recipe` sets the value; a test keeps the two in step.
#[derive(Debug, Clone, Default, Args)]
pub struct RecipeOverrides {
    /// Learner [default: logistic].
    #[arg(long, env = "PARATAG_LEARNER", value_enum)]
    pub learner: Option<LearnerKind>,
    /// L2 penalty (logistic) or smoothing (naive Bayes) [default: 0.1].
    #[arg(long, env = "PARATAG_ALPHA")]
    pub alpha: Option<f32>,
    /// L-BFGS iterations (logistic learners) [default: 200].
    #[arg(long, env = "PARATAG_MAX_ITERATIONS")]
    pub max_iterations: Option<u64>,
    /// Longest n-gram, 1 or 2 [default: 2].
    #[arg(long, env = "PARATAG_NGRAMS")]
    pub ngrams: Option<u8>,
    /// Minimum document frequency of a term (paragraphs) [default: 2].
    #[arg(long, env = "PARATAG_MIN_DF")]
    pub min_df: Option<u32>,
    /// Maximum document frequency of a term (fraction of paragraphs) [default: 0.5].
    #[arg(long, env = "PARATAG_MAX_DF")]
    pub max_df: Option<f32>,
    /// Keep at most this many terms (0 = all) [default: 0].
    #[arg(long, env = "PARATAG_MAX_FEATURES")]
    pub max_features: Option<u32>,
    /// Keep only the N terms most associated with a class, by chi-squared (0 = off)
    /// [default: 0].
    #[arg(long, env = "PARATAG_SELECT")]
    pub select: Option<u32>,
    /// Use sublinear term frequency (true/false) [default: true].
    #[arg(long, env = "PARATAG_SUBLINEAR_TF")]
    pub sublinear_tf: Option<bool>,
    /// Stopword list: "english" or "none" [default: none].
    #[arg(long, env = "PARATAG_STOPWORDS")]
    pub stopwords: Option<String>,
    /// Give "none" paragraphs their own class in softmax learners (true/false)
    /// [default: true].
    #[arg(long, env = "PARATAG_NONE_CLASS")]
    pub none_class: Option<bool>,
    /// Folds used to choose per-topic thresholds [default: 3].
    #[arg(long, env = "PARATAG_THRESHOLD_FOLDS")]
    pub threshold_folds: Option<u32>,
    /// What the thresholds maximise on held-out folds: "f1" (each topic's F1) or "accuracy"
    /// (top-1 accuracy, "none" included, starting from the F1 thresholds) [default: f1].
    #[arg(long, env = "PARATAG_THRESHOLD_OBJECTIVE")]
    pub threshold_objective: Option<crate::model::train::ThresholdObjective>,
    /// Seed for fold assignment [default: 42].
    #[arg(long, env = "PARATAG_SEED")]
    pub seed: Option<u64>,
    /// Worker threads for independent fits (0 = all cores) [default: 0].
    #[arg(long, env = "PARATAG_THREADS")]
    pub threads: Option<usize>,
}

/// Flags of `paratag train`.
#[derive(Debug, Clone, Args)]
pub struct TrainArgs {
    /// Training recipe (TOML): data, features, learner, topic descriptions. The default model
    /// is built from models/default.toml.
    #[arg(long, env = "PARATAG_RECIPE")]
    pub recipe: Option<PathBuf>,
    /// Labelled data (JSONL or TSV file, or a directory of them); replaces the recipe's data.
    #[arg(long, env = "PARATAG_DATA")]
    pub data: Vec<PathBuf>,
    /// Where to write the model.
    #[arg(long, short, env = "PARATAG_OUT")]
    pub out: PathBuf,
    /// Model name (default: the recipe's, or "paratag-custom").
    #[arg(long, env = "PARATAG_NAME")]
    pub name: Option<String>,
    /// Also measure the model by k-fold cross-validation and store the figures in it
    /// (0 = the recipe's eval_folds; skip with --no-eval).
    #[arg(long, env = "PARATAG_EVAL_FOLDS", default_value_t = 0)]
    pub eval_folds: u32,
    /// Do not cross-validate (faster; the model then reports no evaluation).
    #[arg(long, env = "PARATAG_NO_EVAL")]
    pub no_eval: bool,
    /// Settings that override the recipe.
    #[command(flatten)]
    pub overrides: RecipeOverrides,
}

/// Flags of `paratag eval`.
#[derive(Debug, Clone, Args)]
pub struct EvalArgs {
    /// Data to cross-validate on (with --folds).
    #[arg(long, env = "PARATAG_DATA", conflicts_with_all = ["train", "test"])]
    pub data: Vec<PathBuf>,
    /// Number of folds for cross-validation.
    #[arg(long, env = "PARATAG_FOLDS", default_value_t = 5)]
    pub folds: u32,
    /// Training data for a train/test evaluation.
    #[arg(long, env = "PARATAG_TRAIN", requires = "test")]
    pub train: Option<PathBuf>,
    /// Test data for a train/test or model evaluation; repeat to report on several sets
    /// with one model (never used for any choice).
    #[arg(long, env = "PARATAG_TEST", value_delimiter = ',')]
    pub test: Vec<PathBuf>,
    /// Train on this fraction of --train only (a stratified, seeded subset), for learning curves.
    #[arg(
        long,
        env = "PARATAG_TRAIN_FRACTION",
        default_value_t = 1.0,
        requires = "train"
    )]
    pub train_fraction: f64,
    /// Evaluate an existing model file on --test instead of training one.
    #[arg(long, env = "PARATAG_EVAL_MODEL", conflicts_with = "train")]
    pub model: Option<PathBuf>,
    /// Recipe whose settings to evaluate (default: built-in defaults).
    #[arg(long, env = "PARATAG_RECIPE")]
    pub recipe: Option<PathBuf>,
    /// Print a JSON object after each report.
    #[arg(long, env = "PARATAG_JSON")]
    pub json: bool,
    /// Write each test paragraph's labels and scores to this file, one JSON object a line.
    #[arg(long, env = "PARATAG_PREDICTIONS")]
    pub predictions: Option<PathBuf>,
    /// Settings that override the recipe.
    #[command(flatten)]
    pub overrides: RecipeOverrides,
}

/// Flags of `paratag classify`.
#[derive(Debug, Clone, Args)]
pub struct ClassifyArgs {
    /// File to read, or "-" (the default) for standard input.
    #[arg(default_value = "-")]
    pub input: String,
    /// Model file (default: the embedded default model).
    #[arg(long, env = "PARATAG_MODEL")]
    pub model: Option<PathBuf>,
    /// Treat the input as one text instead of splitting it into paragraphs.
    #[arg(long, env = "PARATAG_WHOLE")]
    pub whole: bool,
    /// Show evidence terms for each label.
    #[arg(long, env = "PARATAG_EXPLAIN")]
    pub explain: bool,
    /// Print JSON (one object for the whole input) instead of a table.
    #[arg(long, env = "PARATAG_JSON")]
    pub json: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn train_help_states_the_real_defaults() {
        use crate::model::train::{Learner, TrainConfig};
        use clap::CommandFactory;
        let d = TrainConfig::default();
        let Learner::Logistic {
            alpha,
            max_iterations,
        } = d.learner
        else {
            panic!("the default learner is multinomial logistic regression")
        };
        let f = &d.features;
        let objective = serde_json::to_value(d.threshold_objective).unwrap();
        let stopwords = if f.stopwords.is_empty() {
            "none"
        } else {
            "english"
        };
        let want = [
            ("learner", "logistic".to_string()),
            ("alpha", alpha.to_string()),
            ("max_iterations", max_iterations.to_string()),
            ("ngrams", f.ngrams.to_string()),
            ("min_df", f.min_df.to_string()),
            ("max_df", f.max_df.to_string()),
            ("max_features", f.max_features.to_string()),
            ("select", f.select.to_string()),
            ("sublinear_tf", f.sublinear_tf.to_string()),
            ("stopwords", stopwords.to_string()),
            ("none_class", d.none_class.to_string()),
            ("threshold_folds", d.threshold_folds.to_string()),
            (
                "threshold_objective",
                objective.as_str().unwrap().to_string(),
            ),
            ("seed", d.seed.to_string()),
            ("threads", d.threads.to_string()),
        ];
        for sub in ["train", "eval"] {
            let cmd = Cli::command();
            let cmd = cmd.find_subcommand(sub).unwrap();
            for (id, value) in &want {
                let arg = cmd.get_arguments().find(|a| a.get_id() == id).unwrap();
                let help = arg.get_help().unwrap().to_string();
                assert!(
                    help.ends_with(&format!("[default: {value}]")),
                    "{sub} --{id}: {help:?} should end with [default: {value}]"
                );
            }
        }
    }

    fn serve(args: &[&str]) -> ServeArgs {
        let mut all = vec!["paratag", "serve"];
        all.extend_from_slice(args);
        match Cli::try_parse_from(all).unwrap().command {
            Command::Serve(s) => s,
            _ => unreachable!(),
        }
    }

    #[test]
    fn defaults_are_valid_and_listen_on_loopback() {
        let s = serve(&[]).resolve().unwrap();
        assert!(s.listen.ip().is_loopback());
        assert_eq!(s.serve.limits, Limits::default());
        assert!(s.serve.reflection && !s.serve.admin && s.serve.tls.is_none());
        assert!(s.metrics_listen.unwrap().ip().is_loopback());
    }

    #[test]
    fn inconsistent_settings_are_refused_with_a_reason() {
        let err = |args: &[&str]| serve(args).resolve().unwrap_err();
        assert!(err(&["--max-message-bytes", "1000"]).contains("--max-message-bytes"));
        assert!(err(&["--max-batch-items", "0"]).contains("--max-batch-items"));
        assert!(err(&["--shutdown-grace=-1"]).contains("--shutdown-grace"));
        assert!(err(&["--tls-cert", "x.pem"]).contains("--tls-key"));
        assert!(err(&["--admin", "true"]).contains("bearer tokens"));
        assert!(err(&["--admin"]).contains("bearer tokens"));
        assert!(err(&["--auth-tokens", "short"]).contains("16 characters"));
        assert!(err(&["--metrics-listen", "nowhere"]).contains("--metrics-listen"));
        assert!(err(&["--cors-allowed-origins", "example.com"]).contains("--cors-allowed-origins"));
        assert!(err(&["--cors-allowed-origins", "*,https://a.b"]).contains("alone"));
    }

    #[test]
    fn a_config_file_fills_in_what_flags_do_not_say() {
        let dir = std::env::temp_dir().join(format!("paratag-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("paratag.toml");
        std::fs::write(
            &path,
            "listen = \"0.0.0.0:6000\"\nmax_batch_items = 7\nmax_text_bytes = 100\nmetrics_listen = \"off\"\n",
        )
        .unwrap();
        let p = path.to_str().unwrap();
        let s = serve(&["--config", p, "--max-batch-items", "9"])
            .resolve()
            .unwrap();
        assert_eq!(s.listen.port(), 6000);
        assert_eq!(
            s.serve.limits.max_batch_items, 9,
            "the flag wins over the file"
        );
        assert_eq!(s.serve.limits.max_text_bytes, 100);
        assert_eq!(s.metrics_listen, None);
        std::fs::write(&path, "max_batch = 1\n").unwrap();
        let e = serve(&["--config", p]).resolve().unwrap_err();
        assert!(e.contains("unknown field"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let s = serve(&["--auth-tokens", "a-very-secret-token-1234"])
            .resolve()
            .unwrap();
        let shown = format!("{s:?}");
        assert!(!shown.contains("a-very-secret-token-1234"), "{shown}");
        assert!(shown.contains("1 token(s) redacted"));
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
