//! The gRPC service: handlers for `paratag.v1.TopicClassifier`, the one error → status
//! mapping, and the server wiring (health, reflection, warm-up, graceful shutdown).
//!
//! Startup order: the caller loads and validates the model before calling [`serve`] (a bad
//! model never reaches a listening port). [`serve`] then starts answering with health
//! `NOT_SERVING`, warms the model up on sample texts, checks the answers, and only then turns
//! health to `SERVING`. On shutdown, health turns `NOT_SERVING` first, the server keeps serving
//! for the drain delay, then stops accepting connections and lets in-flight requests finish
//! within the grace period.

mod admin;
pub(crate) mod codec;
mod handlers;
pub mod metrics;
mod middleware;
pub mod pb;
pub mod status;

use crate::config::{Limits, ServeConfig};
use crate::error::{Error, Result};
use crate::extract::Gazetteer;
use crate::model::Model;
use arc_swap::ArcSwap;
use metrics::Metrics;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Instant;
use tokio::net::TcpListener;
use tonic_health::ServingStatus;

pub use handlers::TopicService;

/// Fully qualified name of the service, as used by health checks.
pub const SERVICE_NAME: &str = "paratag.v1.TopicClassifier";

/// Fully qualified name of the Admin service.
pub const ADMIN_SERVICE_NAME: &str = "paratag.v1.Admin";

/// Lifecycle of a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Starting = 0,
    Serving = 1,
    Stopping = 2,
}

/// State shared by all handlers.
pub(crate) struct State {
    pub(crate) model: ArcSwap<Model>,
    pub(crate) gazetteer: Arc<Gazetteer>,
    pub(crate) limits: Limits,
    /// Longest a ClassifyStream waits for its client's next message.
    pub(crate) stream_idle_timeout: std::time::Duration,
    pub(crate) metrics: Arc<Metrics>,
    /// Permits for CPU-heavy work on the blocking pool (one per core).
    pub(crate) heavy: Arc<tokio::sync::Semaphore>,
    phase: AtomicU8,
    model_path: Option<PathBuf>,
    warmup_rounds: u32,
    reload_lock: tokio::sync::Mutex<()>,
}

impl State {
    pub(crate) fn phase(&self) -> Phase {
        match self.phase.load(Ordering::Acquire) {
            0 => Phase::Starting,
            1 => Phase::Serving,
            _ => Phase::Stopping,
        }
    }
    fn set_phase(&self, p: Phase) {
        self.phase.store(p as u8, Ordering::Release);
    }

    /// Loads a model (from `path`, else the startup path, else the embedded default), validates
    /// and warms it up off the reactor, then swaps it in. Requests that already hold the old
    /// model finish on it. Returns (new version, previous version, seconds taken). On error the
    /// old model keeps serving.
    pub(crate) async fn reload(&self, path: Option<PathBuf>) -> Result<(String, String, f64)> {
        let _one_at_a_time = self.reload_lock.lock().await;
        let path = path.or_else(|| self.model_path.clone());
        let rounds = self.warmup_rounds;
        let started = Instant::now();
        let loaded = tokio::task::spawn_blocking(move || -> Result<Model> {
            let model = match &path {
                Some(p) => crate::model::format::load(p)?,
                None => crate::model::default_model()?,
            };
            warm_up(&model, rounds)?;
            Ok(model)
        })
        .await
        .map_err(|e| Error::Internal(format!("reload task failed: {e}")))
        .and_then(|r| r);
        let model = match loaded {
            Ok(m) => m,
            Err(e) => {
                self.metrics.reloads.with_label_values(&["failed"]).inc();
                tracing::warn!(error = %e, "model reload failed; the previous model keeps serving");
                return Err(e);
            }
        };
        let secs = started.elapsed().as_secs_f64();
        let (name, version) = (model.meta().name.clone(), model.version().to_owned());
        let previous = self.model.swap(Arc::new(model));
        self.metrics.set_model(&name, &version, secs);
        self.metrics.reloads.with_label_values(&["ok"]).inc();
        tracing::info!(
            %version,
            previous = %previous.version(),
            load_ms = (secs * 1000.0) as u64,
            "model reloaded"
        );
        Ok((version, previous.version().to_owned(), secs))
    }
}

/// Sample texts, written for paratag, that exercise the model before it takes traffic.
const WARMUP_TEXTS: &[&str] = &[
    "The health ministers agreed to share vaccine trial data and to ship medical supplies \
     before the winter epidemic season.",
    "Police arrested three suspects linked to an extremist cell that had planned a bombing, \
     the interior ministry said on Tuesday.",
    "Shares closed slightly higher after a quiet session, while the home side won the derby \
     2-1 with a late header.",
    "Ünïcode “quotes”, 中国, emoji 👍 and a second line\nto check that nothing breaks.",
];

/// Built-in sample paragraphs (used for warm-up, and by the load generator without input).
pub fn sample_texts() -> &'static [&'static str] {
    WARMUP_TEXTS
}

/// Runs the model over the warm-up texts and checks that every answer is well-formed.
pub fn warm_up(model: &Model, rounds: u32) -> Result<()> {
    for _ in 0..rounds.max(1) {
        for text in WARMUP_TEXTS {
            let c = model.classify(text, 3);
            let ok = c.scores.len() == model.topics().len()
                && c.scores
                    .iter()
                    .chain(std::iter::once(&c.none_score))
                    .all(|s| s.is_finite() && (0.0..=1.0).contains(s));
            if !ok {
                return Err(Error::Model {
                    source_name: model.meta().name.clone(),
                    reason: "warm-up produced scores outside [0, 1]; the model is broken".into(),
                });
            }
        }
    }
    Ok(())
}

/// A configured server, ready to run on a listener.
pub struct Server {
    model: Model,
    gazetteer: Gazetteer,
    config: ServeConfig,
    metrics_listener: Option<TcpListener>,
    reload_signal: Option<tokio::sync::mpsc::Receiver<()>>,
    load_seconds: f64,
}

impl Server {
    /// A server for `model` and `gazetteer` with `config`.
    pub fn new(model: Model, gazetteer: Gazetteer, config: ServeConfig) -> Server {
        Server {
            model,
            gazetteer,
            config,
            metrics_listener: None,
            reload_signal: None,
            load_seconds: 0.0,
        }
    }

    /// Serves Prometheus metrics on `listener` while the server runs.
    pub fn with_metrics(mut self, listener: TcpListener) -> Server {
        self.metrics_listener = Some(listener);
        self
    }

    /// Reloads the model whenever `signal` receives (the command line sends on SIGHUP).
    pub fn with_reload_signal(mut self, signal: tokio::sync::mpsc::Receiver<()>) -> Server {
        self.reload_signal = Some(signal);
        self
    }

    /// Records how long the initial model load took (for the metrics).
    pub fn with_load_seconds(mut self, seconds: f64) -> Server {
        self.load_seconds = seconds;
        self
    }

    /// Serves the API on `listener` until `shutdown` completes, then shuts down gracefully.
    /// Returns an error if the server cannot start or the warm-up fails.
    pub async fn run(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<()> {
        let Server {
            model,
            gazetteer,
            config,
            metrics_listener,
            mut reload_signal,
            load_seconds,
        } = self;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::Internal(format!("listener has no address: {e}")))?;
        let metrics = Arc::new(Metrics::new());
        metrics.set_model(&model.meta().name, model.version(), load_seconds);
        let state = Arc::new(State {
            model: ArcSwap::from_pointee(model),
            gazetteer: Arc::new(gazetteer),
            limits: config.limits,
            stream_idle_timeout: config.stream_idle_timeout,
            metrics: metrics.clone(),
            heavy: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            )),
            phase: AtomicU8::new(Phase::Starting as u8),
            model_path: config.model_path.clone(),
            warmup_rounds: config.warmup_rounds,
            reload_lock: tokio::sync::Mutex::new(()),
        });
        let metrics_task =
            metrics_listener.map(|l| tokio::spawn(metrics::serve_metrics(l, metrics.clone())));

        let (mut health, health_service) = tonic_health::server::health_reporter();
        for name in ["", SERVICE_NAME] {
            health
                .set_service_status(name, ServingStatus::NotServing)
                .await;
        }

        let reflection = || reflection_builder(config.admin);
        let (reflection_v1, reflection_v1alpha) = if config.reflection {
            (
                Some(
                    reflection()
                        .build_v1()
                        .map_err(|e| Error::Internal(format!("reflection: {e}")))?,
                ),
                Some(
                    reflection()
                        .build_v1alpha()
                        .map_err(|e| Error::Internal(format!("reflection: {e}")))?,
                ),
            )
        } else {
            (None, None)
        };
        let message_limit = config.limits.max_message_bytes as usize;
        let classifier = pb::topic_classifier_server::TopicClassifierServer::new(
            TopicService::new(state.clone()),
        )
        .max_decoding_message_size(message_limit);
        let admin_service = pb::admin_server::AdminServer::new(if config.admin {
            admin::AdminService::new(state.clone())
        } else {
            admin::AdminService::disabled()
        })
        .max_decoding_message_size(message_limit);

        // Deadlines (the caller's and --request-timeout) are enforced by the gate, which answers
        // DEADLINE_EXCEEDED; see middleware.
        let mut builder = tonic::transport::Server::builder()
            .http2_keepalive_interval(config.keepalive.map(|k| k.0))
            .http2_keepalive_timeout(config.keepalive.map(|k| k.1));
        if let Some(tls) = &config.tls {
            let mut tls_config = tonic::transport::ServerTlsConfig::new()
                .identity(tonic::transport::Identity::from_pem(&tls.cert, &tls.key));
            if let Some(ca) = &tls.client_ca {
                // Optional at the TLS layer so that a missing certificate is answered with
                // UNAUTHENTICATED by the gate rather than a bare handshake failure.
                tls_config = tls_config
                    .client_ca_root(tonic::transport::Certificate::from_pem(ca))
                    .client_auth_optional(true);
            }
            builder = builder
                .tls_config(tls_config)
                .map_err(|e| Error::Data(format!("TLS configuration: {e}")))?;
        }
        let gate = middleware::Gate::new(
            metrics.clone(),
            &config.tokens,
            config.tls.as_ref().is_some_and(|t| t.client_ca.is_some()),
            config.limits.max_concurrent_requests,
            config.request_timeout,
        );
        let cors = cors_layer(&config.cors_origins);
        let layers = tower::ServiceBuilder::new()
            .option_layer(cors)
            .layer(tonic_web::GrpcWebLayer::new())
            .layer(middleware::GateLayer(gate))
            .into_inner();
        let router = builder
            .accept_http1(true)
            .layer(layers)
            .add_service(health_service)
            .add_optional_service(reflection_v1)
            .add_optional_service(reflection_v1alpha)
            .add_service(admin_service)
            .add_service(classifier);

        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let incoming =
            tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
        let mut server = tokio::spawn(router.serve_with_incoming_shutdown(incoming, async {
            let _ = stop_rx.await;
        }));
        tracing::info!(%addr, "listening; warming up the model");

        let warm_state = state.clone();
        let rounds = config.warmup_rounds;
        let started = Instant::now();
        let warm = tokio::task::spawn_blocking(move || warm_up(&warm_state.model.load(), rounds))
            .await
            .map_err(|e| Error::Internal(format!("warm-up task failed: {e}")))
            .and_then(|r| r);
        if let Err(e) = warm {
            let _ = stop_tx.send(());
            let _ = server.await;
            return Err(e);
        }
        state.set_phase(Phase::Serving);
        for name in ["", SERVICE_NAME] {
            health
                .set_service_status(name, ServingStatus::Serving)
                .await;
        }
        let model = state.model.load();
        tracing::info!(
            %addr,
            model = %model.meta().name,
            version = %model.version(),
            warmup_ms = started.elapsed().as_millis() as u64,
            "serving"
        );
        drop(model);

        let reload_state = state.clone();
        let reloads = tokio::spawn(async move {
            if let Some(signal) = reload_signal.as_mut() {
                while signal.recv().await.is_some() {
                    // Errors are logged and counted inside; the old model keeps serving.
                    let _ = reload_state.reload(None).await;
                }
            }
        });

        let result = tokio::select! {
            _ = shutdown => None,
            result = &mut server => Some(match result {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(Error::Internal(format!("transport error: {e}"))),
                Err(e) => Err(Error::Internal(format!("server task failed: {e}"))),
            }),
        };
        reloads.abort();
        if let Some(t) = &metrics_task {
            t.abort();
        }
        if let Some(result) = result {
            // The transport stopped on its own.
            return result;
        }

        tracing::info!("shutting down: health NOT_SERVING");
        state.set_phase(Phase::Stopping);
        for name in ["", SERVICE_NAME] {
            health
                .set_service_status(name, ServingStatus::NotServing)
                .await;
        }
        tokio::time::sleep(config.drain_delay).await;
        // End health Watch streams so they do not hold connections open.
        for name in ["", SERVICE_NAME] {
            health.clear_service_status(name).await;
        }
        let _ = stop_tx.send(());
        match tokio::time::timeout(config.shutdown_grace, &mut server).await {
            Ok(Ok(Ok(()))) => {
                tracing::info!("stopped cleanly");
                Ok(())
            }
            Ok(Ok(Err(e))) => Err(Error::Internal(format!("transport error: {e}"))),
            Ok(Err(e)) => Err(Error::Internal(format!("server task failed: {e}"))),
            Err(_) => {
                tracing::warn!(
                    grace_secs = config.shutdown_grace.as_secs_f64(),
                    "in-flight requests did not finish within the grace period; stopping anyway"
                );
                server.abort();
                Ok(())
            }
        }
    }
}

/// Server reflection: paratag's services (Admin only when it is on), health, reflection itself,
/// and the `google.rpc` error-detail types, so that grpcurl and `buf curl` can print the
/// `BadRequest` detail of an INVALID_ARGUMENT answer.
fn reflection_builder(admin: bool) -> tonic_reflection::server::Builder<'static> {
    let mut services = vec![
        SERVICE_NAME,
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
    ];
    if admin {
        services.push(ADMIN_SERVICE_NAME);
    }
    services.into_iter().fold(
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
            // Both reflection versions are listed, so both are described (tonic adds only the
            // version being built).
            .register_encoded_file_descriptor_set(tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(
                tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
            ),
        |builder, name| builder.with_service_name(name),
    )
}

/// CORS for gRPC-Web from browsers on the allowed origins (None when no origin is allowed).
fn cors_layer(origins: &[String]) -> Option<tower_http::cors::CorsLayer> {
    use http::header::{HeaderName, HeaderValue};
    use tower_http::cors::{AllowOrigin, CorsLayer};
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    let headers = |names: &[&'static str]| -> Vec<HeaderName> {
        names.iter().map(|n| HeaderName::from_static(n)).collect()
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([http::Method::POST, http::Method::OPTIONS])
            .allow_headers(headers(&[
                "content-type",
                "x-grpc-web",
                "x-user-agent",
                "grpc-timeout",
                "authorization",
                "x-request-id",
            ]))
            .expose_headers(headers(&[
                "grpc-status",
                "grpc-message",
                "grpc-status-details-bin",
                "x-request-id",
            ]))
            .max_age(std::time::Duration::from_secs(3600)),
    )
}

/// Serves the API on `listener` until `shutdown` completes (see [`Server::run`]).
pub async fn serve(
    model: Model,
    gazetteer: Gazetteer,
    config: ServeConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    Server::new(model, gazetteer, config)
        .run(listener, shutdown)
        .await
}
