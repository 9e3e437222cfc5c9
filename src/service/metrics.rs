//! Prometheus metrics, served as text on a separate HTTP port (`--metrics-listen`).
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `paratag_requests_total` | counter | `rpc`, `code` (gRPC status name) |
//! | `paratag_request_duration_seconds` | histogram | `rpc` (time to the response headers) |
//! | `paratag_in_flight_requests` | gauge | — (open streams count until they end) |
//! | `paratag_rejected_requests_total` | counter | `reason` (`overloaded`, `unauthenticated`) |
//! | `paratag_text_bytes_total` | counter | `rpc` (UTF-8 bytes of text classified or extracted) |
//! | `paratag_model_info` | gauge (1) | `name`, `version` |
//! | `paratag_model_load_seconds` | gauge | — (last load, validation and warm-up) |
//! | `paratag_model_loaded_timestamp_seconds` | gauge | — (Unix time of the last load) |
//! | `paratag_model_reloads_total` | counter | `result` (`ok`, `failed`) |

use prometheus::{
    Encoder, Gauge, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    /// Requests by RPC and status code.
    pub requests: IntCounterVec,
    /// Latency by RPC.
    pub duration: HistogramVec,
    /// Requests being handled.
    pub in_flight: IntGauge,
    /// Requests refused before a handler ran.
    pub rejected: IntCounterVec,
    /// Text processed.
    pub text_bytes: IntCounterVec,
    /// The serving model (one series with value 1).
    pub model_info: IntGaugeVec,
    /// Duration of the last model load.
    pub model_load_seconds: Gauge,
    /// When the model was loaded.
    pub model_loaded_at: Gauge,
    /// Reload attempts.
    pub reloads: IntCounterVec,
}

fn must<T>(r: prometheus::Result<T>) -> T {
    match r {
        Ok(v) => v,
        // Metric definitions are static; a failure here is a programming error caught by tests.
        Err(e) => panic!("invalid metric definition: {e}"),
    }
}

impl Metrics {
    /// Creates and registers every metric.
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let m = Metrics {
            requests: must(IntCounterVec::new(
                Opts::new(
                    "paratag_requests_total",
                    "Requests by RPC and gRPC status code.",
                ),
                &["rpc", "code"],
            )),
            duration: must(HistogramVec::new(
                HistogramOpts::new(
                    "paratag_request_duration_seconds",
                    "Time from request to response headers, by RPC.",
                )
                .buckets(vec![
                    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                    0.5, 1.0, 2.5, 5.0, 10.0,
                ]),
                &["rpc"],
            )),
            in_flight: must(IntGauge::new(
                "paratag_in_flight_requests",
                "Requests being handled (open streams count until they end).",
            )),
            rejected: must(IntCounterVec::new(
                Opts::new(
                    "paratag_rejected_requests_total",
                    "Requests refused before a handler ran, by reason.",
                ),
                &["reason"],
            )),
            text_bytes: must(IntCounterVec::new(
                Opts::new(
                    "paratag_text_bytes_total",
                    "UTF-8 bytes of text classified or extracted, by RPC.",
                ),
                &["rpc"],
            )),
            model_info: must(IntGaugeVec::new(
                Opts::new("paratag_model_info", "The model being served (value 1)."),
                &["name", "version"],
            )),
            model_load_seconds: must(Gauge::new(
                "paratag_model_load_seconds",
                "Seconds the last model load, validation and warm-up took.",
            )),
            model_loaded_at: must(Gauge::new(
                "paratag_model_loaded_timestamp_seconds",
                "Unix time at which the serving model was loaded.",
            )),
            reloads: must(IntCounterVec::new(
                Opts::new("paratag_model_reloads_total", "Model reloads by result."),
                &["result"],
            )),
            registry,
        };
        must(m.registry.register(Box::new(m.requests.clone())));
        must(m.registry.register(Box::new(m.duration.clone())));
        must(m.registry.register(Box::new(m.in_flight.clone())));
        must(m.registry.register(Box::new(m.rejected.clone())));
        must(m.registry.register(Box::new(m.text_bytes.clone())));
        must(m.registry.register(Box::new(m.model_info.clone())));
        must(m.registry.register(Box::new(m.model_load_seconds.clone())));
        must(m.registry.register(Box::new(m.model_loaded_at.clone())));
        must(m.registry.register(Box::new(m.reloads.clone())));
        m
    }

    /// Records the model now serving.
    pub fn set_model(&self, name: &str, version: &str, load_seconds: f64) {
        self.model_info.reset();
        self.model_info.with_label_values(&[name, version]).set(1);
        self.model_load_seconds.set(load_seconds);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        self.model_loaded_at.set(now);
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

/// Serves `GET /metrics` (Prometheus text format) on `listener` until the task is dropped.
/// A minimal HTTP/1.1 responder: one request per connection, no keep-alive.
pub async fn serve_metrics(listener: tokio::net::TcpListener, metrics: std::sync::Arc<Metrics>) {
    loop {
        let Ok((mut socket, _)) = listener.accept().await else {
            continue;
        };
        let metrics = metrics.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            let mut len = 0;
            let read = tokio::time::timeout(std::time::Duration::from_secs(5), async {
                while len < buf.len() {
                    match socket.read(&mut buf[len..]).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => len += n,
                    }
                    if buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
            })
            .await;
            if read.is_err() {
                return;
            }
            let head = String::from_utf8_lossy(&buf[..len]);
            let path = head.split_whitespace().nth(1).unwrap_or("");
            let (status, body, kind) = match path {
                "/metrics" => ("200 OK", metrics.render(), "text/plain; version=0.0.4"),
                _ => (
                    "404 Not Found",
                    "not found; try /metrics\n".into(),
                    "text/plain",
                ),
            };
            let response = format!(
                "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(response.as_bytes()).await;
            let _ = socket.shutdown().await;
        });
    }
}

/// Binds the metrics endpoint.
pub async fn bind(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_family_with_help() {
        let m = Metrics::new();
        m.requests.with_label_values(&["Classify", "OK"]).inc();
        m.duration.with_label_values(&["Classify"]).observe(0.001);
        m.rejected.with_label_values(&["overloaded"]).inc();
        m.text_bytes.with_label_values(&["Classify"]).inc_by(42);
        m.set_model("paratag-default", "v1", 0.05);
        let text = m.render();
        for name in [
            "paratag_requests_total{code=\"OK\",rpc=\"Classify\"} 1",
            "paratag_request_duration_seconds_bucket",
            "paratag_in_flight_requests 0",
            "paratag_rejected_requests_total{reason=\"overloaded\"} 1",
            "paratag_text_bytes_total{rpc=\"Classify\"} 42",
            "paratag_model_info{name=\"paratag-default\",version=\"v1\"} 1",
            "paratag_model_load_seconds 0.05",
        ] {
            assert!(text.contains(name), "{name} missing from\n{text}");
        }
    }
}
