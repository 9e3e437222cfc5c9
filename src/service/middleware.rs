//! The layer every gRPC call passes through before its handler: request ids, bearer-token
//! authentication, admission control (load shedding), metrics and the per-request debug log.
//!
//! - **Request id**: the caller's `x-request-id` (up to 64 visible ASCII characters) or a new
//!   one; echoed in the response headers and logged.
//! - **Authentication**: with tokens configured, every call except `grpc.health.v1` needs
//!   `authorization: Bearer <token>`; tokens are compared in constant time (as SHA-256 digests,
//!   so lengths leak nothing either). With mutual TLS, a call without a client certificate is
//!   refused too. Refusals are `UNAUTHENTICATED` with a fixed message.
//! - **Admission**: at most `max_concurrent_requests` calls run at once (health and reflection
//!   are exempt); beyond that a call is refused at once with `RESOURCE_EXHAUSTED`. A call holds
//!   its slot until its response body ends, so open streams count.
//! - **Deadlines**: a call gets the shorter of the caller's `grpc-timeout` and the server's
//!   `--request-timeout` to produce its response; past it the call is dropped and answered
//!   `DEADLINE_EXCEEDED` (tonic's own timer, which answers `CANCELLED`, stays behind as a
//!   backstop and no longer fires first).

use super::metrics::Metrics;
use crate::config::Tokens;
use http_body::{Body as HttpBody, Frame, SizeHint};
use sha2::{Digest, Sha256};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::Status;
use tonic::body::Body;

/// Settings and shared state of the layer.
pub(crate) struct Gate {
    metrics: Arc<Metrics>,
    token_digests: Vec<[u8; 32]>,
    require_client_cert: bool,
    permits: Arc<Semaphore>,
    max_concurrent: u32,
    request_timeout: Duration,
    next_id: AtomicU64,
    id_prefix: String,
}

impl Gate {
    pub(crate) fn new(
        metrics: Arc<Metrics>,
        tokens: &Tokens,
        require_client_cert: bool,
        max_concurrent: u32,
        request_timeout: Duration,
    ) -> Arc<Gate> {
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        Arc::new(Gate {
            metrics,
            token_digests: tokens.0.iter().map(|t| digest(t.as_bytes())).collect(),
            require_client_cert,
            permits: Arc::new(Semaphore::new(max_concurrent as usize)),
            max_concurrent,
            request_timeout,
            next_id: AtomicU64::new(1),
            id_prefix: format!("{:x}-{:x}", started, std::process::id()),
        })
    }

    fn authorised(&self, req: &http::Request<Body>) -> bool {
        if self.require_client_cert {
            let has_cert =
                req.extensions()
                    .get::<tonic::transport::server::TlsConnectInfo<
                        tonic::transport::server::TcpConnectInfo,
                    >>()
                    .and_then(|i| i.peer_certs())
                    .is_some_and(|c| !c.is_empty());
            if !has_cert {
                return false;
            }
        }
        if self.token_digests.is_empty() {
            return true;
        }
        let Some(value) = req
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        else {
            return false;
        };
        let Some(token) = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
        else {
            return false;
        };
        let presented = digest(token.trim().as_bytes());
        // Compare against every token without stopping early.
        let mut ok = subtle::Choice::from(0);
        for d in &self.token_digests {
            ok |= d.ct_eq(&presented);
        }
        bool::from(ok)
    }
}

/// Parses a `grpc-timeout` header value: up to eight digits and a unit (`H`, `M`, `S`, `m`,
/// `u`, `n`), as the gRPC over HTTP/2 protocol defines it. Anything else is ignored (`None`).
fn grpc_timeout(value: &[u8]) -> Option<Duration> {
    let (&unit, digits) = value.split_last()?;
    if digits.is_empty() || digits.len() > 8 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = digits
        .iter()
        .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
    Some(match unit {
        b'H' => Duration::from_secs(n * 3600),
        b'M' => Duration::from_secs(n * 60),
        b'S' => Duration::from_secs(n),
        b'm' => Duration::from_millis(n),
        b'u' => Duration::from_micros(n),
        b'n' => Duration::from_nanos(n),
        _ => return None,
    })
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&Sha256::digest(bytes));
    out
}

/// The tower layer installing [`Gated`] around the server's routes.
#[derive(Clone)]
pub(crate) struct GateLayer(pub(crate) Arc<Gate>);

impl<S> tower::Layer<S> for GateLayer {
    type Service = Gated<S>;
    fn layer(&self, inner: S) -> Gated<S> {
        Gated {
            inner,
            gate: self.0.clone(),
        }
    }
}

/// The service wrapper doing the work described in the module documentation.
#[derive(Clone)]
pub(crate) struct Gated<S> {
    inner: S,
    gate: Arc<Gate>,
}

/// Decrements the in-flight gauge when dropped.
struct InFlight(prometheus::IntGauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// One call's entry in the request metrics and the debug log, written once: with the status
/// the call ended with (from the trailers-only headers, or the trailers after the body), or
/// CANCELLED when it is dropped first, because the client went away before the answer was
/// complete. So a stream's final status is what is counted, and hang-ups are not errors.
struct CallRecord {
    metrics: Arc<Metrics>,
    rpc: String,
    request_id: String,
    started: Instant,
    done: bool,
}

impl CallRecord {
    fn finish(&mut self, code: tonic::Code) {
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        let code = code_name(code);
        let elapsed = self.started.elapsed();
        self.metrics
            .requests
            .with_label_values(&[self.rpc.as_str(), code])
            .inc();
        self.metrics
            .duration
            .with_label_values(&[self.rpc.as_str()])
            .observe(elapsed.as_secs_f64());
        tracing::debug!(
            request_id = %self.request_id,
            rpc = %self.rpc,
            code,
            micros = elapsed.as_micros() as u64,
            "request"
        );
    }
}

impl Drop for CallRecord {
    fn drop(&mut self) {
        self.finish(tonic::Code::Cancelled);
    }
}

/// The gRPC status carried by `headers` (response headers or trailers), if any.
fn grpc_status(headers: &http::HeaderMap) -> Option<tonic::Code> {
    headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i32>().ok())
        .map(tonic::Code::from)
}

/// A response body that holds the call's admission slot and in-flight count until it ends,
/// and records the call when its status is known.
struct GuardedBody {
    inner: Body,
    record: CallRecord,
    _permit: Option<OwnedSemaphorePermit>,
    _in_flight: InFlight,
}

impl HttpBody for GuardedBody {
    type Data = tonic::codegen::Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let frame = Pin::new(&mut self.inner).poll_frame(cx);
        match &frame {
            Poll::Ready(Some(Ok(f))) => {
                if let Some(code) = f.trailers_ref().and_then(grpc_status) {
                    self.record.finish(code);
                }
            }
            Poll::Ready(Some(Err(status))) => self.record.finish(status.code()),
            // A body that ends without trailers carried its status in the headers.
            Poll::Ready(None) => self.record.finish(tonic::Code::Ok),
            Poll::Pending => {}
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code::*;
    match code {
        Ok => "OK",
        Cancelled => "CANCELLED",
        Unknown => "UNKNOWN",
        InvalidArgument => "INVALID_ARGUMENT",
        DeadlineExceeded => "DEADLINE_EXCEEDED",
        NotFound => "NOT_FOUND",
        AlreadyExists => "ALREADY_EXISTS",
        PermissionDenied => "PERMISSION_DENIED",
        ResourceExhausted => "RESOURCE_EXHAUSTED",
        FailedPrecondition => "FAILED_PRECONDITION",
        Aborted => "ABORTED",
        OutOfRange => "OUT_OF_RANGE",
        Unimplemented => "UNIMPLEMENTED",
        Internal => "INTERNAL",
        Unavailable => "UNAVAILABLE",
        DataLoss => "DATA_LOSS",
        Unauthenticated => "UNAUTHENTICATED",
    }
}

fn refuse(status: Status, request_id: &http::HeaderValue) -> http::Response<Body> {
    let mut response = status.into_http::<Body>();
    response
        .headers_mut()
        .insert("x-request-id", request_id.clone());
    response
}

type BoxFuture<T> = Pin<Box<dyn std::future::Future<Output = T> + Send + 'static>>;

impl<S> tower::Service<http::Request<Body>> for Gated<S>
where
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<Body>) -> Self::Future {
        // Take the service that was driven to readiness, leave a clone in its place.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let gate = self.gate.clone();
        Box::pin(async move {
            let path = req.uri().path().to_owned();
            let rpc = path.rsplit('/').next().unwrap_or("").to_owned();
            let exempt_auth = path.starts_with("/grpc.health.v1.Health/");
            let exempt_admission = exempt_auth || path.starts_with("/grpc.reflection.");
            let request_id = req
                .headers()
                .get("x-request-id")
                .filter(|v| v.len() <= 64 && v.as_bytes().iter().all(|b| b.is_ascii_graphic()))
                .cloned()
                .unwrap_or_else(|| {
                    let n = gate.next_id.fetch_add(1, Ordering::Relaxed);
                    http::HeaderValue::from_str(&format!("{}-{n:x}", gate.id_prefix))
                        .unwrap_or_else(|_| http::HeaderValue::from_static("unknown"))
                });
            let id_text = request_id.to_str().unwrap_or("").to_owned();

            // A refused call is counted, logged and answered the same way whatever the reason.
            let reject = |reason: &str, status: Status| {
                let code = code_name(status.code());
                gate.metrics.rejected.with_label_values(&[reason]).inc();
                gate.metrics
                    .requests
                    .with_label_values(&[rpc.as_str(), code])
                    .inc();
                tracing::debug!(request_id = %id_text, rpc = %rpc, code, reason, "refused");
                Ok(refuse(status, &request_id))
            };
            if !exempt_auth && !gate.authorised(&req) {
                return reject(
                    "unauthenticated",
                    Status::unauthenticated("missing or invalid credentials"),
                );
            }
            let permit = if exempt_admission {
                None
            } else {
                match gate.permits.clone().try_acquire_owned() {
                    Ok(p) => Some(p),
                    Err(_) => {
                        return reject(
                            "overloaded",
                            Status::resource_exhausted(format!(
                                "the server is handling its limit of {} requests; retry with back-off or on another replica",
                                gate.max_concurrent
                            )),
                        );
                    }
                }
            };
            gate.metrics.in_flight.inc();
            let in_flight = InFlight(gate.metrics.in_flight.clone());
            let mut record = CallRecord {
                metrics: gate.metrics.clone(),
                rpc: rpc.clone(),
                request_id: id_text.clone(),
                started: Instant::now(),
                done: false,
            };
            let client_budget = req
                .headers()
                .get("grpc-timeout")
                .and_then(|v| grpc_timeout(v.as_bytes()));
            let (budget, whose) = match client_budget {
                Some(b) if b < gate.request_timeout => (b, "the caller's deadline"),
                _ => (gate.request_timeout, "the server's --request-timeout"),
            };
            // tonic's timer on the same deadline started a moment earlier and would answer
            // CANCELLED; ending one millisecond (its timer's resolution) sooner answers first.
            let limit = budget.saturating_sub(Duration::from_millis(1));
            let response = match tokio::time::timeout(limit, inner.call(req)).await {
                Ok(response) => response?,
                Err(_) => Status::deadline_exceeded(format!(
                    "deadline exceeded: no answer within {} ms ({whose})",
                    budget.as_millis()
                ))
                .into_http::<Body>(),
            };
            // An answer with its status in the headers (trailers-only: every error) is complete.
            if let Some(code) = grpc_status(response.headers()) {
                record.finish(code);
            }
            let (mut parts, body) = response.into_parts();
            parts.headers.insert("x-request-id", request_id);
            let body = Body::new(GuardedBody {
                inner: body,
                record,
                _permit: permit,
                _in_flight: in_flight,
            });
            Ok(http::Response::from_parts(parts, body))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeout_values_parse_in_every_unit() {
        let ok = |v: &str| grpc_timeout(v.as_bytes());
        assert_eq!(ok("1m"), Some(Duration::from_millis(1)));
        assert_eq!(ok("2H"), Some(Duration::from_secs(7200)));
        assert_eq!(ok("3M"), Some(Duration::from_secs(180)));
        assert_eq!(ok("10S"), Some(Duration::from_secs(10)));
        assert_eq!(ok("250u"), Some(Duration::from_micros(250)));
        assert_eq!(ok("99999999n"), Some(Duration::from_nanos(99_999_999)));
        for bad in [
            "",
            "m",
            "123",
            "123x",
            "123456789m",
            "-1m",
            "1.5S",
            "１m",
            "1m ",
        ] {
            assert_eq!(ok(bad), None, "{bad:?}");
        }
    }
}
