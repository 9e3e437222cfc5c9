//! The TopicClassifier API over real gRPC: every RPC, its options, and every bad input.

mod common;

use common::TestServer;
use common::fixture::fixture_model;
use paratag::config::{Limits, ServeConfig};
use paratag::service::pb;
use tonic::Code;
use tonic_types::StatusExt;

fn small_limits() -> ServeConfig {
    ServeConfig {
        limits: Limits {
            max_text_bytes: 1000,
            max_batch_items: 4,
            max_document_bytes: 5000,
            max_message_bytes: 10_000,
            ..Limits::default()
        },
        ..ServeConfig::default()
    }
}

fn classify_req(text: &str) -> pb::ClassifyRequest {
    pb::ClassifyRequest {
        text: text.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn classify_scores_every_topic_best_first_and_decides_labels() {
    let server = TestServer::start(fixture_model(), ServeConfig::default()).await;
    let mut client = server.client().await;
    let info = client
        .get_model_info(pb::GetModelInfoRequest {})
        .await
        .unwrap()
        .into_inner();

    let r = client
        .classify(classify_req(
            "New tariffs hit steel exports and the trade deal.",
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.model_version, info.version);
    assert_eq!(r.topics.len(), 2, "every topic is scored");
    assert!(r.topics.windows(2).all(|w| w[0].score >= w[1].score));
    assert!(
        r.topics
            .iter()
            .all(|t| (0.0..=1.0).contains(&t.score) && (0.0..=1.0).contains(&t.threshold))
    );
    assert_eq!(r.labels, ["trade"]);
    assert_eq!(r.topics[0].topic, "trade");
    assert!((0.0..=1.0).contains(&r.none_score));

    // A text about both topics gets both labels; a text about neither gets none.
    let both = client
        .classify(classify_req(
            "Tariffs on vaccine exports and the trade deal delayed doses for clinics.",
        ))
        .await
        .unwrap()
        .into_inner();
    let mut labels = both.labels.clone();
    labels.sort();
    assert_eq!(labels, ["health", "trade"], "{both:?}");

    let neither = client
        .classify(classify_req("The striker scored twice in the rain."))
        .await
        .unwrap()
        .into_inner();
    assert!(neither.labels.is_empty(), "{neither:?}");
    assert!(neither.none_score > 0.5, "{neither:?}");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn top_k_min_score_and_explain_shape_the_answer() {
    let server = TestServer::start(fixture_model(), ServeConfig::default()).await;
    let mut client = server.client().await;
    let text = "The vaccine doses reached clinics during the measles outbreak.";
    let r = client
        .classify(pb::ClassifyRequest {
            text: text.into(),
            top_k: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.topics.len(), 1);
    assert_eq!(r.topics[0].topic, "health");
    assert!(r.topics[0].evidence.is_empty(), "no evidence unless asked");

    let r = client
        .classify(pb::ClassifyRequest {
            text: text.into(),
            top_k: 99,
            min_score: 0.5,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!r.topics.is_empty() && r.topics.iter().all(|t| t.score >= 0.5));

    let r = client
        .classify(pb::ClassifyRequest {
            text: text.into(),
            explain: true,
            max_evidence: 2,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let health = r.topics.iter().find(|t| t.topic == "health").unwrap();
    assert!(!health.evidence.is_empty() && health.evidence.len() <= 2);
    let lower = text.to_lowercase();
    for e in &health.evidence {
        assert!(
            lower.contains(&e.term),
            "evidence {e:?} is a term of the text"
        );
        assert!(e.weight > 0.0 && e.count >= 1);
    }
    assert!(
        health
            .evidence
            .windows(2)
            .all(|w| w[0].weight >= w[1].weight)
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn classify_batch_answers_in_order_like_single_calls() {
    let server = TestServer::start(fixture_model(), ServeConfig::default()).await;
    let mut client = server.client().await;
    let texts = [
        "Vaccine doses for the outbreak.",
        "Steel tariffs and the trade deal.",
        "The crowd sang in the rain.",
    ];
    let batch = client
        .classify_batch(pb::ClassifyBatchRequest {
            texts: texts.iter().map(|t| t.to_string()).collect(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(batch.results.len(), 3);
    for (text, result) in texts.iter().zip(&batch.results) {
        let single = client
            .classify(classify_req(text))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(&single, result);
    }
    assert_eq!(batch.results[0].labels, ["health"]);
    assert_eq!(batch.results[1].labels, ["trade"]);
    assert!(batch.results[2].labels.is_empty());
    server.stop().await.unwrap();
}

#[tokio::test]
async fn extract_splits_paragraphs_with_exact_byte_spans_and_filters_by_topic() {
    let server = TestServer::start(fixture_model(), ServeConfig::default()).await;
    let mut client = server.client().await;
    let document = "  Steel tariffs stalled the trade deal.\r\n\r\nVaccine doses reached the \
                    clinics “early”, Ünal said.\r\n\r\n\r\nThe crowd sang in the rain. 👍\r\n";
    let r = client
        .extract(pb::ExtractRequest {
            document: document.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.total_passages, 3);
    assert_eq!(r.passages.len(), 3);
    let bytes = document.as_bytes();
    for (i, p) in r.passages.iter().enumerate() {
        let span = p.span.as_ref().unwrap();
        let cut = std::str::from_utf8(&bytes[span.begin as usize..span.end as usize]).unwrap();
        assert_eq!(cut, p.text, "span of passage {i} cuts its text exactly");
        assert_eq!(p.index as usize, i);
        assert_eq!(p.topics.len(), 2);
    }
    assert_eq!(r.passages[0].text, "Steel tariffs stalled the trade deal.");
    assert_eq!(r.passages[0].labels, ["trade"]);
    assert_eq!(r.passages[1].labels, ["health"]);
    assert!(r.passages[2].labels.is_empty());

    let only_health = client
        .extract(pb::ExtractRequest {
            document: document.into(),
            topics: vec!["health".into()],
            min_score: 0.5,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(only_health.total_passages, 3);
    assert_eq!(only_health.passages.len(), 1);
    assert_eq!(only_health.passages[0].index, 1);
    assert!(
        only_health.passages[0]
            .topics
            .iter()
            .all(|t| t.score >= 0.5)
    );

    // A document with single newlines only: each line is a paragraph.
    let lines = client
        .extract(pb::ExtractRequest {
            document: "Steel tariffs.\nVaccine doses.\nThe crowd sang.".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(lines.passages.len(), 3);
    // No breaks at all: one paragraph.
    let one = client
        .extract(pb::ExtractRequest {
            document: "Steel tariffs. Vaccine doses. The crowd sang.".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(one.passages.len(), 1);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn model_info_reports_topics_training_and_limits() {
    let server = TestServer::start(fixture_model(), small_limits()).await;
    let mut client = server.client().await;
    let info = client
        .get_model_info(pb::GetModelInfoRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(info.name, "fixture");
    assert!(info.version.starts_with("20261127-"), "{}", info.version);
    let ids: Vec<&str> = info.topics.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["health", "trade"]);
    assert_eq!(info.topics[1].description, "Trade and tariffs");
    assert!(
        info.topics
            .iter()
            .all(|t| (0.0..=1.0).contains(&t.threshold))
    );
    assert_eq!(info.corpus_size, 40);
    assert!(info.algorithm.contains("linfa-logistic"));
    let limits = info.limits.unwrap();
    assert_eq!(
        (
            limits.max_text_bytes,
            limits.max_batch_items,
            limits.max_document_bytes,
            limits.max_message_bytes,
            limits.max_response_bytes
        ),
        (1000, 4, 5000, 10_000, 4 * 1024 * 1024)
    );
    server.stop().await.unwrap();
}

/// Asserts an INVALID_ARGUMENT naming `field` in the message and in a BadRequest detail.
fn assert_invalid(status: tonic::Status, field: &str, words: &str) {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(
        status.message().starts_with(&format!("{field}:")),
        "message {:?} should name {field}",
        status.message()
    );
    assert!(
        status.message().contains(words),
        "message {:?} should say {words:?}",
        status.message()
    );
    let details = status.get_error_details();
    let violation = &details
        .bad_request()
        .expect("BadRequest detail")
        .field_violations[0];
    assert_eq!(violation.field, field);
}

#[tokio::test]
async fn bad_input_gets_invalid_argument_naming_the_field_and_the_server_keeps_serving() {
    let server = TestServer::start(fixture_model(), small_limits()).await;
    let mut client = server.client().await;

    for text in ["", "   \n\t "] {
        let e = client.classify(classify_req(text)).await.unwrap_err();
        assert_invalid(e, "text", "non-whitespace");
    }
    let e = client
        .classify(classify_req(&"trade ".repeat(200)))
        .await
        .unwrap_err();
    assert_invalid(e, "text", "limit is 1000 bytes");
    for bad in [f32::NAN, -0.5, 1.5, f32::INFINITY] {
        let e = client
            .classify(pb::ClassifyRequest {
                text: "trade".into(),
                min_score: bad,
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_invalid(e, "min_score", "between 0 and 1");
    }
    let e = client
        .classify(pb::ClassifyRequest {
            text: "trade".into(),
            explain: true,
            max_evidence: 51,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_invalid(e, "max_evidence", "at most 50");

    let batch = |texts: Vec<&str>| pb::ClassifyBatchRequest {
        texts: texts.into_iter().map(String::from).collect(),
        ..Default::default()
    };
    let e = client.classify_batch(batch(vec![])).await.unwrap_err();
    assert_invalid(e, "texts", "at least one");
    let e = client
        .classify_batch(batch(vec!["a b"; 5]))
        .await
        .unwrap_err();
    assert_invalid(e, "texts", "limit is 4");
    let e = client
        .classify_batch(batch(vec!["fine text", " "]))
        .await
        .unwrap_err();
    assert_invalid(e, "texts[1]", "non-whitespace");
    let e = client
        .classify_batch(pb::ClassifyBatchRequest {
            texts: vec!["fine".into()],
            min_score: -1.0,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_invalid(e, "min_score", "between 0 and 1");

    let e = client
        .extract(pb::ExtractRequest {
            document: "\n\n  \r\n".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_invalid(e, "document", "non-whitespace");
    let e = client
        .extract(pb::ExtractRequest {
            document: "word ".repeat(1001),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_invalid(e, "document", "limit is 5000 bytes");
    let e = client
        .extract(pb::ExtractRequest {
            document: "Some text.".into(),
            topics: vec!["health".into(), "sport".into()],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_invalid(e, "topics[1]", "unknown topic \"sport\"");
    assert!(e_message_lists_topics(&client).await);
    let e = client
        .extract(pb::ExtractRequest {
            document: "Some text.".into(),
            min_score: f32::NAN,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_invalid(e, "min_score", "between 0 and 1");

    // Beyond the decode limit the transport refuses the message before any handler runs.
    let e = client
        .classify(classify_req(&"x".repeat(20_000)))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::OutOfRange, "{e:?}");

    // Nothing above broke the server.
    let ok = client
        .classify(classify_req("steel tariffs"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ok.labels, ["trade"]);
    server.stop().await.unwrap();
}

/// The unknown-topic message tells the caller which topics exist.
async fn e_message_lists_topics(
    client: &paratag::service::pb::topic_classifier_client::TopicClassifierClient<
        tonic::transport::Channel,
    >,
) -> bool {
    let mut client = client.clone();
    let e = client
        .extract(pb::ExtractRequest {
            document: "x y".into(),
            topics: vec!["nope".into()],
            ..Default::default()
        })
        .await
        .unwrap_err();
    e.message().contains("health, trade")
}

#[tokio::test]
async fn classify_stream_answers_in_order_and_reports_bad_items_without_ending() {
    let server = TestServer::start(fixture_model(), small_limits()).await;
    let mut client = server.client().await;
    let items: Vec<pb::ClassifyStreamRequest> = (0..50)
        .map(|i| pb::ClassifyStreamRequest {
            id: format!("item-{i}"),
            text: match i % 10 {
                3 => "   ".into(),
                6 => "x".repeat(2000),
                _ if i % 2 == 0 => "Steel tariffs and the trade deal.".into(),
                _ => "Vaccine doses for the outbreak.".into(),
            },
            min_score: if i == 7 { f32::NAN } else { 0.0 },
            ..Default::default()
        })
        .collect();
    let mut responses = client
        .classify_stream(tokio_stream::iter(items.clone()))
        .await
        .unwrap()
        .into_inner();
    let mut n = 0;
    while let Some(r) = responses.message().await.unwrap() {
        assert_eq!(r.id, format!("item-{n}"));
        assert_eq!(r.sequence, n as u64);
        match n {
            n if n % 10 == 3 => {
                let e = r.error.expect("blank text is an item error");
                assert_eq!(
                    (e.code, e.field.as_str()),
                    (Code::InvalidArgument as i32, "text")
                );
                assert!(r.result.is_none());
            }
            n if n % 10 == 6 => assert!(r.error.unwrap().message.contains("limit is 1000 bytes")),
            7 => assert_eq!(r.error.unwrap().field, "min_score"),
            n => {
                let result = r.result.expect("a good item has a result");
                let want = if n % 2 == 0 { "trade" } else { "health" };
                assert_eq!(result.labels, [want]);
            }
        }
        n += 1;
    }
    assert_eq!(n, 50, "one response per request");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn classify_stream_applies_backpressure_to_a_client_that_does_not_read() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let server = TestServer::start(fixture_model(), ServeConfig::default()).await;
    let mut client = server.client().await;
    const TOTAL: usize = 300_000;
    let produced = Arc::new(AtomicUsize::new(0));
    let counter = produced.clone();
    let requests = tokio_stream::iter(0..TOTAL).map(move |i| {
        counter.fetch_add(1, Ordering::Relaxed);
        pb::ClassifyStreamRequest {
            id: i.to_string(),
            text: "Vaccine doses for the outbreak.".into(),
            ..Default::default()
        }
    });
    use tokio_stream::StreamExt;
    let mut responses = client.classify_stream(requests).await.unwrap().into_inner();
    // Do not read: the producer must stall once buffers and flow-control windows are full.
    let mut last = 0;
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let now = produced.load(Ordering::Relaxed);
        if now == last {
            break;
        }
        last = now;
    }
    assert!(
        last < TOTAL,
        "the server read all {TOTAL} items without being read from"
    );
    // Reading again resumes the stream to the end.
    let mut n = 0;
    while let Some(r) = responses.message().await.unwrap() {
        assert_eq!(r.sequence, n as u64);
        n += 1;
    }
    assert_eq!(n, TOTAL);
    server.stop().await.unwrap();
}

/// The documented label rule is the behaviour: a caller who reads the scores, `none_score` and
/// the thresholds can predict every label. Checked on every paragraph of the dev set with the
/// shipped default model.
#[tokio::test]
async fn labels_are_exactly_the_topics_that_reach_their_thresholds() {
    let server = TestServer::default_model().await;
    let mut client = server.client().await;
    let info = client
        .get_model_info(pb::GetModelInfoRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        info.decision(),
        pb::DecisionRule::MostProbableThenThresholds
    );
    let threshold = |topic: &str| {
        info.topics
            .iter()
            .find(|t| t.id == topic)
            .map(|t| t.threshold)
            .unwrap()
    };
    let dev = paratag::corpus::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/dev.jsonl"),
    )
    .unwrap();
    let (mut labelled, mut unlabelled, mut below_threshold) = (0, 0, 0);
    for chunk in dev.chunks(64) {
        let r = client
            .classify_batch(pb::ClassifyBatchRequest {
                texts: chunk.iter().map(|e| e.text.clone()).collect(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        for c in r.results {
            // `topics` is sorted best first, so the most probable topic is the first; when
            // "none" is at least as probable, there is no label at all.
            let some_topic = c.topics[0].score > c.none_score;
            let predicted: Vec<&str> = c
                .topics
                .iter()
                .enumerate()
                .filter(|(i, t)| some_topic && (*i == 0 || t.score >= t.threshold))
                .map(|(_, t)| t.topic.as_str())
                .collect();
            assert_eq!(c.labels, predicted, "{c:?}");
            below_threshold += usize::from(
                c.topics[0].score < c.topics[0].threshold
                    && c.labels.first() == Some(&c.topics[0].topic),
            );
            for t in &c.topics {
                assert_eq!(t.threshold, threshold(&t.topic));
            }
            if c.labels.is_empty() {
                unlabelled += 1;
            } else {
                labelled += 1;
            }
        }
    }
    // Both sides of the rule were exercised, including first labels below their thresholds.
    assert!(
        labelled > 300 && unlabelled > 40 && below_threshold > 0,
        "{labelled} / {unlabelled} / {below_threshold}"
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn bytes_that_are_not_a_valid_request_are_invalid_argument_naming_the_field() {
    let server = TestServer::start(fixture_model(), ServeConfig::default()).await;
    let cases: [(&'static str, Vec<u8>, &str); 4] = [
        // text (field 1) holding two bytes that are not UTF-8.
        (
            "/paratag.v1.TopicClassifier/Classify",
            vec![0x0a, 0x02, 0xff, 0xfe],
            "text",
        ),
        // document (field 1) holding the first byte of a two-byte UTF-8 sequence only.
        (
            "/paratag.v1.TopicClassifier/Extract",
            vec![0x0a, 0x01, 0xc3],
            "document",
        ),
        // texts (field 1) announcing 16 bytes and carrying one.
        (
            "/paratag.v1.TopicClassifier/ClassifyBatch",
            vec![0x0a, 0x10, b'a'],
            "texts",
        ),
        // A key with wire type 7, which does not exist.
        (
            "/paratag.v1.TopicClassifier/GetModelInfo",
            vec![0x0f],
            "request",
        ),
    ];
    for (method, body, field) in cases {
        let status = common::call_raw(server.channel().await, method, body)
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{method}: {status:?}");
        assert!(
            status.message().starts_with(&format!("{field}: ")),
            "{method}: {}",
            status.message()
        );
        let details = status.get_error_details();
        let violation = &details
            .bad_request()
            .expect("a BadRequest detail")
            .field_violations[0];
        assert_eq!(violation.field, field, "{method}");
    }
    // A well-formed body still works through the same raw client.
    let body = prost::Message::encode_to_vec(&classify_req("Vaccine doses arrived."));
    let answer = common::call_raw(
        server.channel().await,
        "/paratag.v1.TopicClassifier/Classify",
        body,
    )
    .await
    .unwrap();
    let reply: pb::ClassifyResponse = prost::Message::decode(answer.as_slice()).unwrap();
    assert!(!reply.topics.is_empty());
}
