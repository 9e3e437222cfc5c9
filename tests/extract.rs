//! Extract's structure over gRPC: sentences, entities, quotes and key terms, with spans that
//! cut the document exactly in UTF-8, UTF-16 and UTF-32.

mod common;

use common::{TestServer, everything, shared_article};
use paratag::service::pb;
use tonic::Code;

/// Cuts `doc` at `span` counted in `encoding`.
fn cut(doc: &str, span: &pb::Span, encoding: pb::Encoding) -> String {
    let (b, e) = (span.begin as usize, span.end as usize);
    match encoding {
        pb::Encoding::Utf16 => {
            let units: Vec<u16> = doc.encode_utf16().collect();
            String::from_utf16(&units[b..e]).expect("UTF-16 span splits a surrogate pair")
        }
        pb::Encoding::Utf32 => doc.chars().skip(b).take(e - b).collect(),
        _ => String::from_utf8(doc.as_bytes()[b..e].to_vec()).expect("byte span splits a char"),
    }
}

/// Every span of the response cuts exactly its text out of the document.
fn assert_spans_cut_exactly(doc: &str, r: &pb::ExtractResponse, encoding: pb::Encoding) {
    assert_eq!(r.encoding, encoding as i32);
    for p in &r.passages {
        assert_eq!(cut(doc, p.span.as_ref().unwrap(), encoding), p.text);
        for s in &p.sentences {
            assert_eq!(cut(doc, s.span.as_ref().unwrap(), encoding), s.text);
        }
        for k in &p.key_terms {
            for s in &k.spans {
                let text = cut(doc, s, encoding).to_lowercase();
                let first = k.term.split(' ').next().unwrap();
                assert!(text.contains(first), "key term {:?} at {text:?}", k.term);
            }
        }
    }
    for e in &r.entities {
        for m in &e.mentions {
            assert_eq!(cut(doc, m.span.as_ref().unwrap(), encoding), m.text);
        }
    }
    for q in &r.quotes {
        assert_eq!(cut(doc, q.span.as_ref().unwrap(), encoding), q.text);
    }
}

#[tokio::test]
async fn the_example_article_yields_people_countries_organisations_and_the_trust_quote() {
    let Some(article) = shared_article() else {
        return;
    };
    let server = TestServer::default_model().await;
    let mut client = server.client().await;
    for encoding in [pb::Encoding::Utf8, pb::Encoding::Utf16, pb::Encoding::Utf32] {
        let r = client
            .extract(everything(&article, encoding))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(r.passages.len(), 13);
        assert_spans_cut_exactly(&article, &r, encoding);

        let entity = |name: &str| {
            r.entities
                .iter()
                .find(|e| e.name == name)
                .unwrap_or_else(|| panic!("{name} missing from {:#?}", r.entities))
        };
        let wang = entity("Wang Yi");
        assert_eq!(wang.r#type, pb::EntityType::Person as i32);
        assert!(wang.role.contains("Foreign Minister"), "{}", wang.role);
        assert!(wang.role.contains("State Council Member"), "{}", wang.role);
        assert!(
            wang.mentions.len() >= 5,
            "surname mentions join: {:?}",
            wang.mentions
        );
        let cav = entity("Mevlut Cavusoglu");
        assert_eq!(cav.r#type, pb::EntityType::Person as i32);
        assert!(cav.role.contains("Foreign Minister"), "{}", cav.role);
        assert!(cav.mentions.len() >= 4, "{:?}", cav.mentions);
        for (name, code) in [("China", "CN"), ("Turkey", "TR")] {
            let c = entity(name);
            assert_eq!(c.r#type, pb::EntityType::Country as i32);
            assert_eq!(c.country_code, code);
        }
        let china_forms: Vec<&str> = entity("China")
            .mentions
            .iter()
            .map(|m| m.text.as_str())
            .collect();
        assert!(china_forms.contains(&"Chinese"), "{china_forms:?}");
        let unsc = entity("United Nations Security Council");
        assert_eq!(unsc.r#type, pb::EntityType::Organization as i32);
        assert!(
            unsc.mentions
                .iter()
                .any(|m| m.text == "UN Security Council")
        );
        assert_eq!(
            entity("East Turkestan Islamic Movement").r#type,
            pb::EntityType::Organization as i32
        );
        // The two countries are the most salient entities.
        let top: Vec<&str> = r.entities.iter().take(4).map(|e| e.name.as_str()).collect();
        assert!(top.contains(&"China") && top.contains(&"Turkey"), "{top:?}");

        let trust = r
            .quotes
            .iter()
            .find(|q| q.text.contains("Mutual political trust"))
            .expect("the trust quote is found");
        assert_eq!(trust.speaker, "Wang Yi");
        let idx = trust.speaker_entity.expect("speaker index") as usize;
        assert_eq!(r.entities[idx].name, "Wang Yi");
        assert_eq!(trust.passage_index, 8);
    }
    server.stop().await.unwrap();
}

#[tokio::test]
async fn spans_are_exact_with_curly_quotes_accents_cjk_and_emoji() {
    let doc = "Ankara, Türkiye — Foreign Minister Çağla Şahin met Chinese envoys 🇨🇳🤝🇹🇷.\n\n\
               “Trade must grow 👍,” Şahin said. The 中国 delegation agreed.\n\n\
               Dr. Zoë Ãlvarez-Núñez, who leads the WHO team, said: “Vaccines arrive in Jan. 2.5 \
               million doses at once.” 😀";
    let server = TestServer::default_model().await;
    let mut client = server.client().await;
    let mut seen_quotes = 0;
    for encoding in [pb::Encoding::Utf8, pb::Encoding::Utf16, pb::Encoding::Utf32] {
        let r = client
            .extract(everything(doc, encoding))
            .await
            .unwrap()
            .into_inner();
        assert_spans_cut_exactly(doc, &r, encoding);
        assert_eq!(r.passages.len(), 3);
        // "Dr.", "Jan." and "2.5" do not end the sentence; the trailing emoji is no sentence.
        assert_eq!(
            r.passages[2].sentences.len(),
            1,
            "{:?}",
            r.passages[2].sentences
        );
        assert_eq!(
            r.passages[1].sentences.len(),
            2,
            "{:?}",
            r.passages[1].sentences
        );
        let names: Vec<&str> = r.entities.iter().map(|e| e.name.as_str()).collect();
        assert!(names.contains(&"Çağla Şahin"), "{names:?}");
        assert!(names.contains(&"China"), "{names:?}");
        assert!(names.contains(&"World Health Organization"), "{names:?}");
        let speakers: Vec<&str> = r.quotes.iter().map(|q| q.speaker.as_str()).collect();
        assert_eq!(speakers[0], "Çağla Şahin");
        seen_quotes = r.quotes.len();
    }
    assert_eq!(seen_quotes, 2);
    // The UTF-16 and UTF-32 offsets differ from bytes for this document.
    let r8 = client
        .extract(everything(doc, pb::Encoding::Utf8))
        .await
        .unwrap()
        .into_inner();
    let r16 = client
        .extract(everything(doc, pb::Encoding::Utf16))
        .await
        .unwrap()
        .into_inner();
    assert_ne!(r8.passages[2].span, r16.passages[2].span);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn documents_without_structure_yield_nothing_and_switches_default_off() {
    let server = TestServer::default_model().await;
    let mut client = server.client().await;
    let plain = "the rain kept falling on the quiet town all afternoon.\n\nnobody went out.";
    let r = client
        .extract(everything(plain, pb::Encoding::Utf8))
        .await
        .unwrap()
        .into_inner();
    assert!(r.entities.is_empty(), "{:?}", r.entities);
    assert!(r.quotes.is_empty());
    assert_eq!(r.passages.len(), 2);

    // Without features only passages and labels come back.
    let rich = "Foreign Minister Wang Yi said: “We agree.” China and Turkey signed.";
    let r = client
        .extract(pb::ExtractRequest {
            document: rich.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(r.entities.is_empty() && r.quotes.is_empty());
    assert!(r.passages[0].sentences.is_empty() && r.passages[0].key_terms.is_empty());
    assert_eq!(r.encoding, pb::Encoding::Utf8 as i32);

    // Quotes without entities still name the speaker but give no entity index.
    let r = client
        .extract(pb::ExtractRequest {
            document: rich.into(),
            features: Some(pb::ExtractFeatures {
                quotes: true,
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(r.entities.is_empty());
    assert_eq!(r.quotes[0].speaker, "Wang Yi");
    assert_eq!(r.quotes[0].speaker_entity, None);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn bad_extract_options_are_refused() {
    let server = TestServer::default_model().await;
    let mut client = server.client().await;
    let e = client
        .extract(pb::ExtractRequest {
            document: "Some text.".into(),
            encoding: 9,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(e.message().starts_with("encoding:"), "{}", e.message());
    let e = client
        .extract(pb::ExtractRequest {
            document: "Some text.".into(),
            features: Some(pb::ExtractFeatures {
                key_terms: 21,
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(
        e.message().starts_with("features.key_terms:"),
        "{}",
        e.message()
    );
    server.stop().await.unwrap();
}

/// Paragraphs in the registers users send (our own writing), repeated with a running number
/// until the document is about `bytes` long.
fn long_document(bytes: usize) -> String {
    const PARAGRAPHS: [&str; 6] = [
        "The health ministers of both countries agreed on Tuesday to share vaccine stocks and to train nurses together in the border provinces, an official said.",
        "Customs officers reported that steel and grain exports rose for the third month in a row after the two sides cut tariffs under last year's trade accord.",
        "Police said the attackers had planned the bombing for months; the interior ministry raised the terror alert and asked neighbours to share intelligence.",
        "The spokesperson said the islands had always been part of the country's territory and that no foreign patrol would be allowed in its waters.",
        "Flood waters rose again overnight in the delta, and the energy agency said the new solar parks would cut the region's coal use by a fifth.",
        "Striker Lena Varga scored twice as the home side won the cup final three goals to one in front of a sold-out stadium on Sunday evening.",
    ];
    let mut doc = String::with_capacity(bytes + 200);
    let mut n = 0;
    while doc.len() < bytes {
        doc.push_str(&format!(
            "{} (Item {n}.)\n\n",
            PARAGRAPHS[n % PARAGRAPHS.len()]
        ));
        n += 1;
    }
    doc
}

#[tokio::test]
async fn an_answer_too_large_for_a_default_client_is_refused_saying_how_to_ask_for_less() {
    let server = TestServer::default_model().await;
    // The test client keeps tonic's defaults: it receives at most 4 MiB, like grpcio and grpcurl.
    let mut client = server.client().await;
    let limit = client
        .get_model_info(pb::GetModelInfoRequest {})
        .await
        .unwrap()
        .into_inner()
        .limits
        .unwrap()
        .max_response_bytes;
    assert_eq!(limit, 4 * 1024 * 1024);
    let doc = long_document(1_900_000);

    let err = client
        .extract(everything(&doc, pb::Encoding::Utf8))
        .await
        .expect_err("a full answer for 1.9 MB of short paragraphs is over 4 MiB");
    assert_eq!(err.code(), Code::OutOfRange, "{err:?}");
    for words in ["bytes", "4194304", "omit_text", "passage_top_k"] {
        assert!(
            err.message().contains(words),
            "{words:?} in {}",
            err.message()
        );
    }

    let lean = pb::ExtractRequest {
        document: doc.clone(),
        omit_text: true,
        passage_top_k: 2,
        ..Default::default()
    };
    let r = client
        .extract(lean)
        .await
        .expect("labels and spans only fit a default client")
        .into_inner();
    assert_eq!(r.passages.len(), r.total_passages as usize);
    assert!(r.passages.len() > 10_000, "{}", r.passages.len());

    // The same paragraphs, asked in full in a short document, get the same labels and spans.
    let head = long_document(3000);
    let full = client
        .extract(pb::ExtractRequest {
            document: head.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    for (lean, full) in r.passages.iter().zip(&full.passages) {
        assert!(lean.text.is_empty());
        assert_eq!(lean.span, full.span);
        assert_eq!(lean.labels, full.labels);
        assert!(lean.topics.len() <= 2);
        assert_eq!(lean.topics[..], full.topics[..lean.topics.len()]);
        assert_eq!(
            cut(&doc, lean.span.as_ref().unwrap(), pb::Encoding::Utf8),
            full.text
        );
    }
    server.stop().await.unwrap();
}

/// Entity names of `r` with the given type.
fn names_of(r: &pb::ExtractResponse, kind: pb::EntityType) -> Vec<&str> {
    r.entities
        .iter()
        .filter(|e| e.r#type == kind as i32)
        .map(|e| e.name.as_str())
        .collect()
}

#[tokio::test]
async fn people_without_a_title_are_found_by_how_the_text_talks_about_them() {
    let server = TestServer::default_model().await;
    let mut client = server.client().await;
    let doc = "Sergei Lavrov met Wang Yi in Moscow.";
    let r = client
        .extract(everything(doc, pb::Encoding::Utf8))
        .await
        .unwrap()
        .into_inner();
    let people = names_of(&r, pb::EntityType::Person);
    assert!(people.contains(&"Sergei Lavrov"), "{:?}", r.entities);
    assert!(people.contains(&"Wang Yi"), "{:?}", r.entities);
    assert!(
        r.entities.iter().any(|e| e.name == "Moscow"),
        "{:?}",
        r.entities
    );

    // Capitalised pairs that are institutions, places or sentence openers stay no one.
    let doc = "The Foreign Ministry said the visit went well. Officials in New Delhi said \
               the Middle East talks would resume. Heavy Rain fell on the capital.";
    let r = client
        .extract(everything(doc, pb::Encoding::Utf8))
        .await
        .unwrap()
        .into_inner();
    let people = names_of(&r, pb::EntityType::Person);
    assert!(people.is_empty(), "{people:?}");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_speaker_named_before_the_quote_by_surname_or_according_to_is_attributed() {
    let server = TestServer::default_model().await;
    let mut client = server.client().await;
    let doc = "Sergei Lavrov met Wang Yi in Moscow. Recep Tayyip Erdogan told reporters he \
               would join them.\n\n\
               Lavrov said: “The meeting was productive and long.”\n\n\
               Wang said: “Our positions are close on every issue.”\n\n\
               According to Erdogan, “the region needs calm above all.”";
    let r = client
        .extract(everything(doc, pb::Encoding::Utf8))
        .await
        .unwrap()
        .into_inner();
    let speaker = |needle: &str| {
        r.quotes
            .iter()
            .find(|q| q.text.contains(needle))
            .unwrap_or_else(|| panic!("{needle} missing from {:#?}", r.quotes))
            .speaker
            .clone()
    };
    assert_eq!(speaker("productive"), "Sergei Lavrov");
    assert_eq!(speaker("positions"), "Wang Yi");
    assert_eq!(speaker("region"), "Recep Tayyip Erdogan");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_quote_ending_in_a_comma_is_returned_without_it() {
    let server = TestServer::default_model().await;
    let mut client = server.client().await;
    let doc = "Foreign Minister Wang Yi arrived.\n\n“We will deepen trust,” Wang said. \
               “Are we ready?” he asked.";
    let r = client
        .extract(everything(doc, pb::Encoding::Utf8))
        .await
        .unwrap()
        .into_inner();
    assert_spans_cut_exactly(doc, &r, pb::Encoding::Utf8);
    let texts: Vec<&str> = r.quotes.iter().map(|q| q.text.as_str()).collect();
    assert_eq!(texts, ["We will deepen trust", "Are we ready?"]);
    assert_eq!(r.quotes[0].speaker, "Wang Yi");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn scare_quotes_are_not_quotations_but_quoted_clauses_are() {
    let server = TestServer::default_model().await;
    let mut client = server.client().await;
    let doc = "He criticised the \"double standards\" of some countries. Foreign Minister \
               Wang Yi said: \"Every nation deserves the same respect.\"";
    let r = client
        .extract(everything(doc, pb::Encoding::Utf8))
        .await
        .unwrap()
        .into_inner();
    let texts: Vec<&str> = r.quotes.iter().map(|q| q.text.as_str()).collect();
    assert_eq!(texts, ["Every nation deserves the same respect."]);
    assert_eq!(r.quotes[0].speaker, "Wang Yi");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn key_terms_leave_out_numbers_ordinals_and_reporting_words() {
    let server = TestServer::default_model().await;
    let mut client = server.client().await;
    let doc = "According to the health ministry, the two countries intends to ship a second \
               batch of vaccines quickly; the plan aims to vaccinate two million nurses and \
               doctors, and a second vaccine factory aims to open, according to officials who \
               said the two sides would quickly agree.";
    let mut req = everything(doc, pb::Encoding::Utf8);
    if let Some(f) = req.features.as_mut() {
        f.key_terms = 20;
    }
    let r = client.extract(req).await.unwrap().into_inner();
    let terms: Vec<&str> = r.passages[0]
        .key_terms
        .iter()
        .map(|k| k.term.as_str())
        .collect();
    for filler in [
        "two",
        "according",
        "intends",
        "second",
        "aims",
        "quickly",
        "million",
    ] {
        assert!(
            terms.iter().all(|t| !t.split(' ').any(|w| w == filler)),
            "{filler} in {terms:?}"
        );
    }
    assert!(
        terms.iter().any(|t| t.contains("vaccin")),
        "topical terms stay: {terms:?}"
    );
    server.stop().await.unwrap();
}
