//! The `paratag.v1.TopicClassifier` handlers: validate the request, run the model, convert the
//! answer. Validation happens here, at the edge; the model never sees an invalid request.

use super::pb;
use super::{Phase, State};
use crate::error::{Error, Result};
use crate::extract::{EntityType, ExtractOptions, Extraction, extract};
use crate::model::{Classification, Decision, Model};
use crate::text::Span;
use crate::text::offsets::{OffsetMap, Unit};
use std::sync::Arc;
use tonic::{Request, Response, Status};

/// Work above this many bytes of text runs on the blocking pool instead of the async reactor.
const BLOCKING_BYTES: usize = 32 * 1024;
/// Most key terms per passage a caller may ask for.
const MAX_KEY_TERMS: u32 = 20;
/// Default and largest number of evidence terms per topic.
const DEFAULT_EVIDENCE: u32 = 5;
const MAX_EVIDENCE: u32 = 50;

/// Implementation of the TopicClassifier service.
#[derive(Clone)]
pub struct TopicService {
    state: Arc<State>,
}

impl TopicService {
    pub(super) fn new(state: Arc<State>) -> Self {
        TopicService { state }
    }

    /// Counts text processed by `rpc` for the metrics.
    fn count_text(&self, rpc: &str, bytes: usize) {
        self.state
            .metrics
            .text_bytes
            .with_label_values(&[rpc])
            .inc_by(bytes as u64);
    }

    /// The current model, or UNAVAILABLE while it is still warming up. While shutting down the
    /// server keeps answering until its connections close, so callers lose nothing.
    fn model(&self) -> Result<Arc<Model>> {
        match self.state.phase() {
            Phase::Serving | Phase::Stopping => Ok(self.state.model.load_full()),
            Phase::Starting => Err(Error::Unavailable(
                "the model is still warming up; retry shortly".into(),
            )),
        }
    }
}

/// Options shared by Classify and ClassifyBatch, after validation.
#[derive(Debug, Clone, Copy)]
struct ScoreOptions {
    top_k: usize,
    min_score: f32,
    evidence: usize,
}

fn score_options(
    top_k: u32,
    min_score: f32,
    explain: bool,
    max_evidence: u32,
) -> Result<ScoreOptions> {
    let min_score = check_min_score(min_score)?;
    if max_evidence > MAX_EVIDENCE {
        return Err(Error::invalid(
            "max_evidence",
            format!("must be at most {MAX_EVIDENCE}, not {max_evidence}"),
        ));
    }
    let evidence = match (explain, max_evidence) {
        (false, _) => 0,
        (true, 0) => DEFAULT_EVIDENCE,
        (true, n) => n,
    } as usize;
    Ok(ScoreOptions {
        top_k: top_k as usize,
        min_score,
        evidence,
    })
}

fn check_min_score(min_score: f32) -> Result<f32> {
    if min_score.is_nan() || !(0.0..=1.0).contains(&min_score) {
        return Err(Error::invalid(
            "min_score",
            format!("must be a probability between 0 and 1, not {min_score}"),
        ));
    }
    Ok(min_score)
}

/// Resolves the offset unit of a request (unset means UTF-8).
fn check_encoding(value: i32) -> Result<Unit> {
    match pb::Encoding::try_from(value) {
        Ok(pb::Encoding::Unspecified | pb::Encoding::Utf8) => Ok(Unit::Utf8),
        Ok(pb::Encoding::Utf16) => Ok(Unit::Utf16),
        Ok(pb::Encoding::Utf32) => Ok(Unit::Utf32),
        Err(_) => Err(Error::invalid(
            "encoding",
            format!("unknown value {value}; use ENCODING_UTF8, ENCODING_UTF16 or ENCODING_UTF32"),
        )),
    }
}

/// What an Extract answer carries besides what was extracted, after validation.
#[derive(Debug, Clone, Copy)]
struct AnswerShape {
    /// Offset unit of every span.
    unit: Unit,
    /// Topics below this score are left out of `Passage.topics`.
    min_score: f32,
    /// Most topics per passage (0: all).
    passage_top_k: usize,
    /// Leave out the echoed document text (spans still locate it).
    omit_text: bool,
}

/// How to make each RPC's answer smaller, for [`Error::AnswerTooLarge`].
const CLASSIFY_ADVICE: &str = "set top_k, raise min_score or lower max_evidence";
const BATCH_ADVICE: &str =
    "send fewer texts per batch, set top_k, raise min_score or lower max_evidence";
const EXTRACT_ADVICE: &str = "set omit_text and passage_top_k (for instance 3), raise min_score, filter by topics, ask for fewer features, or send a shorter document";

/// Refuses an answer that would be larger than `limit` bytes encoded, which default gRPC
/// clients could not receive, with OUT_OF_RANGE and `advice` instead of sending it.
fn fit<M: prost::Message>(answer: M, limit: u32, advice: &'static str) -> Result<M> {
    let bytes = answer.encoded_len();
    if bytes > limit as usize {
        return Err(Error::AnswerTooLarge {
            bytes,
            limit,
            advice,
        });
    }
    Ok(answer)
}

/// Builds an Extract response, converting every byte span into `shape.unit`.
fn extraction_response(
    model: &Model,
    doc: &str,
    x: &Extraction,
    shape: AnswerShape,
    options: &ExtractOptions,
) -> pb::ExtractResponse {
    let unit = shape.unit;
    let map = OffsetMap::new(doc, unit);
    let text = |s: Span| {
        if shape.omit_text {
            String::new()
        } else {
            doc[s.start..s.end].to_owned()
        }
    };
    let span = |s: Span| {
        Some(pb::Span {
            begin: map.convert(s.start),
            end: map.convert(s.end),
        })
    };
    let encoding = match unit {
        Unit::Utf8 => pb::Encoding::Utf8,
        Unit::Utf16 => pb::Encoding::Utf16,
        Unit::Utf32 => pb::Encoding::Utf32,
    };
    pb::ExtractResponse {
        total_passages: x.total as u32,
        model_version: model.version().to_owned(),
        encoding: encoding as i32,
        passages: x
            .passages
            .iter()
            .map(|p| pb::Passage {
                index: p.index as u32,
                text: text(p.span),
                span: span(p.span),
                labels: model.label_names(&p.classification),
                topics: topic_scores(
                    model,
                    &p.classification,
                    shape.passage_top_k,
                    shape.min_score,
                ),
                none_score: p.classification.none_score,
                sentences: p
                    .sentences
                    .iter()
                    .map(|s| pb::Sentence {
                        text: text(*s),
                        span: span(*s),
                    })
                    .collect(),
                key_terms: p
                    .key_terms
                    .iter()
                    .map(|k| pb::KeyTerm {
                        term: k.term.clone(),
                        weight: k.weight,
                        spans: k.spans.iter().filter_map(|s| span(*s)).collect(),
                    })
                    .collect(),
            })
            .collect(),
        entities: if options.entities {
            x.entities
                .iter()
                .map(|e| pb::Entity {
                    name: e.name.clone(),
                    r#type: match e.kind {
                        EntityType::Person => pb::EntityType::Person,
                        EntityType::Country => pb::EntityType::Country,
                        EntityType::Organization => pb::EntityType::Organization,
                        EntityType::Location => pb::EntityType::Location,
                    } as i32,
                    mentions: e
                        .mentions
                        .iter()
                        .map(|m| pb::EntityMention {
                            text: text(m.span),
                            span: span(m.span),
                            passage_index: m.passage as u32,
                        })
                        .collect(),
                    salience: e.salience,
                    role: e.role.clone().unwrap_or_default(),
                    country_code: e.country_code.clone().unwrap_or_default(),
                })
                .collect()
        } else {
            Vec::new()
        },
        quotes: x
            .quotes
            .iter()
            .map(|q| pb::Quote {
                text: text(q.span),
                span: span(q.span),
                passage_index: q.passage as u32,
                speaker: q
                    .speaker
                    .and_then(|e| x.entities.get(e))
                    .map(|e| e.name.clone())
                    .unwrap_or_default(),
                speaker_entity: q.speaker.filter(|_| options.entities).map(|e| e as u32),
            })
            .collect(),
    }
}

/// Checks one input text: not blank, not over `max` bytes.
fn check_text(field: &str, text: &str, max: u32) -> Result<()> {
    if text.len() > max as usize {
        return Err(Error::invalid(
            field,
            format!(
                "is {} bytes; the limit is {max} bytes (see GetModelInfo limits)",
                text.len()
            ),
        ));
    }
    if text.trim().is_empty() {
        return Err(Error::invalid(
            field,
            "must contain some non-whitespace text",
        ));
    }
    Ok(())
}

/// Resolves topic ids to indices, naming the first unknown one.
fn resolve_topics(model: &Model, topics: &[String]) -> Result<Vec<usize>> {
    topics
        .iter()
        .enumerate()
        .map(|(i, t)| {
            model.topic_index(t).ok_or_else(|| {
                Error::invalid(
                    format!("topics[{i}]"),
                    format!(
                        "unknown topic {t:?}; this model's topics are: {}",
                        model.topics().join(", ")
                    ),
                )
            })
        })
        .collect()
}

/// Topic scores for a response: best first, cut by `min_score` and `top_k`.
fn topic_scores(
    model: &Model,
    c: &Classification,
    top_k: usize,
    min_score: f32,
) -> Vec<pb::TopicScore> {
    let limit = if top_k == 0 { usize::MAX } else { top_k };
    c.ranked()
        .into_iter()
        .filter(|&t| c.scores[t] >= min_score)
        .take(limit)
        .map(|t| pb::TopicScore {
            topic: model.topics()[t].clone(),
            score: c.scores[t],
            threshold: model.thresholds()[t],
            evidence: c
                .evidence
                .get(t)
                .map(|ev| {
                    ev.iter()
                        .map(|e| pb::Evidence {
                            term: e.term.clone(),
                            weight: e.weight,
                            count: e.count,
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect()
}

fn classify_one(model: &Model, text: &str, opts: ScoreOptions) -> pb::ClassifyResponse {
    let c = model.classify(text, opts.evidence);
    pb::ClassifyResponse {
        labels: model.label_names(&c),
        topics: topic_scores(model, &c, opts.top_k, opts.min_score),
        model_version: model.version().to_owned(),
        none_score: c.none_score,
    }
}

/// Runs `f` inline for small inputs; large ones run on the blocking pool, at most one per core
/// at a time (`heavy` permits), so big batches and documents never stall the reactor and never
/// pile up more threads than cores. Waiting callers are bounded by admission control.
async fn run_sized<T: Send + 'static>(
    heavy: &Arc<tokio::sync::Semaphore>,
    bytes: usize,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T> {
    if bytes < BLOCKING_BYTES {
        return Ok(f());
    }
    let permit = heavy
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| Error::Unavailable("the server is shutting down".into()))?;
    tokio::task::spawn_blocking(move || {
        let out = f();
        drop(permit);
        out
    })
    .await
    .map_err(|e| Error::Internal(format!("worker failed: {e}")))
}

/// Responses a stream may buffer before the server stops reading requests (backpressure).
const STREAM_BUFFER: usize = 64;

/// Classifies one stream item, turning a bad item into an item error.
fn classify_stream_item(
    state: &State,
    req: pb::ClassifyStreamRequest,
    sequence: u64,
) -> pb::ClassifyStreamResponse {
    let answer = (|| -> Result<pb::ClassifyResponse> {
        let model = match state.phase() {
            Phase::Starting => {
                return Err(Error::Unavailable(
                    "the model is still warming up; retry shortly".into(),
                ));
            }
            _ => state.model.load_full(),
        };
        check_text("text", &req.text, state.limits.max_text_bytes)?;
        let opts = score_options(req.top_k, req.min_score, req.explain, req.max_evidence)?;
        Ok(classify_one(&model, &req.text, opts))
    })();
    match answer {
        Ok(result) => pb::ClassifyStreamResponse {
            id: req.id,
            sequence,
            result: Some(result),
            error: None,
        },
        Err(e) => pb::ClassifyStreamResponse {
            id: req.id,
            sequence,
            result: None,
            error: Some(super::status::item_error(e)),
        },
    }
}

/// The response stream of ClassifyStream.
pub type ClassifyResponseStream = std::pin::Pin<
    Box<dyn tokio_stream::Stream<Item = Result<pb::ClassifyStreamResponse, Status>> + Send>,
>;

#[tonic::async_trait]
impl pb::topic_classifier_server::TopicClassifier for TopicService {
    type ClassifyStreamStream = ClassifyResponseStream;

    async fn classify_stream(
        &self,
        request: Request<tonic::Streaming<pb::ClassifyStreamRequest>>,
    ) -> Result<Response<Self::ClassifyStreamStream>, Status> {
        self.model()?;
        let mut inbound = request.into_inner();
        let (tx, rx) = tokio::sync::mpsc::channel(STREAM_BUFFER);
        let state = self.state.clone();
        tokio::spawn(async move {
            let mut sequence = 0u64;
            let idle = state.stream_idle_timeout;
            loop {
                let Ok(next) = tokio::time::timeout(idle, inbound.message()).await else {
                    // Ending the stream frees its admission slot for other callers.
                    let why = format!(
                        "no message from the client for {} s (the server's --stream-idle-timeout); send items or half-close, and reopen the stream after a pause",
                        idle.as_secs_f64()
                    );
                    let _ = tx.send(Err(Status::deadline_exceeded(why))).await;
                    break;
                };
                let item = match next {
                    Ok(Some(item)) => item,
                    Ok(None) => break,
                    Err(status) => {
                        // A broken request stream ends the response stream with its status.
                        let _ = tx.send(Err(status)).await;
                        break;
                    }
                };
                let response = classify_stream_item(&state, item, sequence);
                sequence += 1;
                // Waits while the buffer is full; fails once the client has gone.
                if tx.send(Ok(response)).await.is_err() {
                    break;
                }
            }
        });
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(rx),
        )))
    }

    async fn classify(
        &self,
        request: Request<pb::ClassifyRequest>,
    ) -> Result<Response<pb::ClassifyResponse>, Status> {
        let req = request.into_inner();
        let model = self.model()?;
        check_text("text", &req.text, self.state.limits.max_text_bytes)?;
        let opts = score_options(req.top_k, req.min_score, req.explain, req.max_evidence)?;
        let bytes = req.text.len();
        self.count_text("Classify", bytes);
        let resp = run_sized(&self.state.heavy, bytes, move || {
            classify_one(&model, &req.text, opts)
        })
        .await?;
        let limit = self.state.limits.max_response_bytes;
        Ok(Response::new(fit(resp, limit, CLASSIFY_ADVICE)?))
    }

    async fn classify_batch(
        &self,
        request: Request<pb::ClassifyBatchRequest>,
    ) -> Result<Response<pb::ClassifyBatchResponse>, Status> {
        let req = request.into_inner();
        let model = self.model()?;
        let limits = self.state.limits;
        if req.texts.is_empty() {
            return Err(Error::invalid("texts", "must contain at least one text").into());
        }
        if req.texts.len() > limits.max_batch_items as usize {
            return Err(Error::invalid(
                "texts",
                format!(
                    "has {} texts; the limit is {} per batch (see GetModelInfo limits)",
                    req.texts.len(),
                    limits.max_batch_items
                ),
            )
            .into());
        }
        for (i, t) in req.texts.iter().enumerate() {
            check_text(&format!("texts[{i}]"), t, limits.max_text_bytes)?;
        }
        let opts = score_options(req.top_k, req.min_score, req.explain, req.max_evidence)?;
        let bytes = req.texts.iter().map(String::len).sum();
        self.count_text("ClassifyBatch", bytes);
        let resp = run_sized(&self.state.heavy, bytes, move || {
            pb::ClassifyBatchResponse {
                results: req
                    .texts
                    .iter()
                    .map(|t| classify_one(&model, t, opts))
                    .collect(),
                model_version: model.version().to_owned(),
            }
        })
        .await?;
        Ok(Response::new(fit(
            resp,
            limits.max_response_bytes,
            BATCH_ADVICE,
        )?))
    }

    async fn extract(
        &self,
        request: Request<pb::ExtractRequest>,
    ) -> Result<Response<pb::ExtractResponse>, Status> {
        let req = request.into_inner();
        let model = self.model()?;
        check_text(
            "document",
            &req.document,
            self.state.limits.max_document_bytes,
        )?;
        let topics = resolve_topics(&model, &req.topics)?;
        let shape = AnswerShape {
            unit: check_encoding(req.encoding)?,
            min_score: check_min_score(req.min_score)?,
            passage_top_k: req.passage_top_k as usize,
            omit_text: req.omit_text,
        };
        let features = req.features.unwrap_or_default();
        if features.key_terms > MAX_KEY_TERMS {
            return Err(Error::invalid(
                "features.key_terms",
                format!(
                    "must be at most {MAX_KEY_TERMS}, not {}",
                    features.key_terms
                ),
            )
            .into());
        }
        let options = ExtractOptions {
            topics,
            sentences: features.sentences,
            entities: features.entities,
            quotes: features.quotes,
            key_terms: features.key_terms as usize,
        };
        let gazetteer = self.state.gazetteer.clone();
        let bytes = req.document.len();
        self.count_text("Extract", bytes);
        let resp = run_sized(&self.state.heavy, bytes, move || {
            let doc = &req.document;
            let x = extract(&model, &gazetteer, doc, &options);
            extraction_response(&model, doc, &x, shape, &options)
        })
        .await?;
        let limit = self.state.limits.max_response_bytes;
        Ok(Response::new(fit(resp, limit, EXTRACT_ADVICE)?))
    }

    async fn get_model_info(
        &self,
        _request: Request<pb::GetModelInfoRequest>,
    ) -> Result<Response<pb::GetModelInfoResponse>, Status> {
        let model = self.model()?;
        let meta = model.meta();
        let limits = self.state.limits;
        let evaluation = meta.evaluation.as_ref().map(|e| pb::Evaluation {
            method: e.method.clone(),
            accuracy: e.accuracy as f32,
            macro_f1: e.macro_f1 as f32,
            topics: e
                .classes
                .iter()
                .map(|c| pb::TopicMetrics {
                    topic: c.class.clone(),
                    precision: c.precision as f32,
                    recall: c.recall as f32,
                    f1: c.f1 as f32,
                    support: c.support,
                })
                .collect(),
        });
        Ok(Response::new(pb::GetModelInfoResponse {
            name: meta.name.clone(),
            version: model.version().to_owned(),
            topics: model
                .topics()
                .iter()
                .zip(model.thresholds())
                .map(|(t, th)| pb::TopicInfo {
                    id: t.clone(),
                    description: meta.descriptions.get(t).cloned().unwrap_or_default(),
                    threshold: *th,
                })
                .collect(),
            trained_at: meta.trained_at.clone(),
            corpus_size: meta.corpus_size,
            algorithm: meta.algorithm.clone(),
            evaluation,
            limits: Some(pb::Limits {
                max_text_bytes: limits.max_text_bytes,
                max_batch_items: limits.max_batch_items,
                max_document_bytes: limits.max_document_bytes,
                max_message_bytes: limits.max_message_bytes,
                max_response_bytes: limits.max_response_bytes,
            }),
            decision: match model.decision() {
                Decision::Thresholds => pb::DecisionRule::Thresholds,
                Decision::Argmax => pb::DecisionRule::BestTopic,
                Decision::BestThenThresholds => pb::DecisionRule::BestTopicThenThresholds,
                Decision::MostProbableThenThresholds => {
                    pb::DecisionRule::MostProbableThenThresholds
                }
            } as i32,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_score_must_be_a_probability() {
        for bad in [f32::NAN, -0.1, 1.5, f32::INFINITY] {
            let e = check_min_score(bad).unwrap_err().to_string();
            assert!(e.starts_with("min_score:"), "{e}");
        }
        assert_eq!(check_min_score(0.0).unwrap(), 0.0);
        assert_eq!(check_min_score(1.0).unwrap(), 1.0);
    }

    #[test]
    fn answers_over_the_limit_are_refused_with_their_size_and_advice() {
        let answer = pb::ClassifyBatchResponse {
            model_version: "v".repeat(100),
            ..Default::default()
        };
        let size = prost::Message::encoded_len(&answer);
        assert!(fit(answer.clone(), size as u32, BATCH_ADVICE).is_ok());
        let e = fit(answer, size as u32 - 1, BATCH_ADVICE).unwrap_err();
        assert_eq!(
            Status::from(Error::AnswerTooLarge {
                bytes: 1,
                limit: 0,
                advice: ""
            })
            .code(),
            tonic::Code::OutOfRange
        );
        let msg = e.to_string();
        assert!(
            msg.contains(&format!("{size} bytes")) && msg.contains("fewer texts"),
            "{msg}"
        );
    }

    #[test]
    fn text_checks_name_the_field_and_the_limit() {
        assert!(
            check_text("text", " \n\t", 10)
                .unwrap_err()
                .to_string()
                .starts_with("text:")
        );
        let e = check_text("texts[3]", "abcdefghijk", 10)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("texts[3]:") && e.contains("limit is 10 bytes"),
            "{e}"
        );
        assert!(check_text("text", "ok", 10).is_ok());
    }

    #[test]
    fn evidence_defaults_and_limits() {
        assert_eq!(score_options(0, 0.0, false, 7).unwrap().evidence, 0);
        assert_eq!(score_options(0, 0.0, true, 0).unwrap().evidence, 5);
        assert_eq!(score_options(0, 0.0, true, 9).unwrap().evidence, 9);
        let e = score_options(0, 0.0, true, 51).unwrap_err().to_string();
        assert!(e.starts_with("max_evidence:"), "{e}");
    }
}
