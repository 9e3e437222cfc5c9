//! The gRPC service: handlers for `paratag.v1.TopicClassifier`, the one error → status
//! mapping, and the server wiring (health, reflection, warm-up, graceful shutdown).
//!
//! Startup order: the caller loads and validates the model before calling [`serve`] (a bad
//! model never reaches a listening port). [`serve`] then starts answering with health
//! `NOT_SERVING`, warms the model up on sample texts, checks the answers, and only then turns
//! health to `SERVING`. On shutdown, health turns `NOT_SERVING` first, the server keeps serving
//! for the drain delay, then stops accepting connections and lets in-flight requests finish
//! within the grace period.

mod handlers;
pub mod pb;
pub mod status;

use crate::config::{Limits, ServeConfig};
use crate::error::{Error, Result};
use crate::extract::Gazetteer;
use crate::model::Model;
use arc_swap::ArcSwap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use tokio::net::TcpListener;
use tonic_health::ServingStatus;

pub use handlers::TopicService;

/// Fully qualified name of the service, as used by health checks.
pub const SERVICE_NAME: &str = "paratag.v1.TopicClassifier";

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
    phase: AtomicU8,
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

/// Serves the API on `listener` until `shutdown` completes, then shuts down gracefully.
///
/// Returns an error if the server cannot start or the warm-up fails; returns `Ok` after a
/// clean shutdown.
pub async fn serve(
    model: Model,
    gazetteer: Gazetteer,
    config: ServeConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let addr = listener
        .local_addr()
        .map_err(|e| Error::Internal(format!("listener has no address: {e}")))?;
    let state = Arc::new(State {
        model: ArcSwap::from_pointee(model),
        gazetteer: Arc::new(gazetteer),
        limits: config.limits,
        phase: AtomicU8::new(Phase::Starting as u8),
    });

    let (mut health, health_service) = tonic_health::server::health_reporter();
    for name in ["", SERVICE_NAME] {
        health
            .set_service_status(name, ServingStatus::NotServing)
            .await;
    }

    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection_v1 = reflection()
        .build_v1()
        .map_err(|e| Error::Internal(format!("reflection: {e}")))?;
    let reflection_v1alpha = reflection()
        .build_v1alpha()
        .map_err(|e| Error::Internal(format!("reflection: {e}")))?;

    let classifier =
        pb::topic_classifier_server::TopicClassifierServer::new(TopicService::new(state.clone()))
            .max_decoding_message_size(config.limits.max_message_bytes as usize);

    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let router = tonic::transport::Server::builder()
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(classifier);
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    let mut server = tokio::spawn(router.serve_with_incoming_shutdown(incoming, async {
        let _ = stop_rx.await;
    }));
    tracing::info!(%addr, "listening; warming up the model");

    let warm_state = state.clone();
    let rounds = config.warmup_rounds;
    let started = std::time::Instant::now();
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

    tokio::select! {
        _ = shutdown => {}
        result = &mut server => {
            // The transport stopped on its own: report why.
            return match result {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(Error::Internal(format!("transport error: {e}"))),
                Err(e) => Err(Error::Internal(format!("server task failed: {e}"))),
            };
        }
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
