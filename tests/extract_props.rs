//! Property test: for arbitrary Unicode input, extraction never panics and no span is out of
//! range or splits a character, in any offset unit.

use paratag::extract::{ExtractOptions, Gazetteer, extract};
use paratag::model::Model;
use paratag::text::Span;
use paratag::text::offsets::{OffsetMap, Unit};
use proptest::prelude::*;
use std::sync::OnceLock;

fn resources() -> &'static (Model, Gazetteer) {
    static R: OnceLock<(Model, Gazetteer)> = OnceLock::new();
    R.get_or_init(|| {
        (
            paratag::model::default_model().unwrap(),
            Gazetteer::default_gazetteer().unwrap(),
        )
    })
}

/// Pieces that exercise the extractor's rules, mixed with arbitrary characters.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<char>().prop_map(String::from),
        "[a-zA-Z]{1,9}",
        "[ \t\n\r]{1,3}",
        Just("“".to_owned()),
        Just("”".to_owned()),
        Just("\"".to_owned()),
        Just("‘".to_owned()),
        Just("’s ".to_owned()),
        Just("« ".to_owned()),
        Just(". ".to_owned()),
        Just("U.N. ".to_owned()),
        Just("Dr. ".to_owned()),
        Just("Foreign Minister Wang Yi ".to_owned()),
        Just(" said, ".to_owned()),
        Just("China".to_owned()),
        Just("Chinese ".to_owned()),
        Just("UN Security Council".to_owned()),
        Just("👍🏽".to_owned()),
        Just("中国".to_owned()),
        Just("\r\n\r\n".to_owned()),
        Just("Çağla".to_owned()),
        Just("\u{0301}".to_owned()),
    ]
}

fn check_span(doc: &str, s: Span, within: Option<Span>) -> Result<(), TestCaseError> {
    prop_assert!(s.start <= s.end && s.end <= doc.len(), "{s:?} out of range");
    prop_assert!(
        doc.is_char_boundary(s.start) && doc.is_char_boundary(s.end),
        "{s:?} splits a char"
    );
    if let Some(w) = within {
        prop_assert!(w.start <= s.start && s.end <= w.end, "{s:?} outside {w:?}");
    }
    for unit in [Unit::Utf16, Unit::Utf32] {
        let map = OffsetMap::new(doc, unit);
        prop_assert!(map.convert(s.start) <= map.convert(s.end));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn extraction_spans_are_always_valid(pieces in prop::collection::vec(piece(), 0..60)) {
        let doc: String = pieces.concat();
        let (model, gazetteer) = resources();
        let options = ExtractOptions {
            sentences: true,
            entities: true,
            quotes: true,
            key_terms: 5,
            ..ExtractOptions::default()
        };
        let x = extract(model, gazetteer, &doc, &options);
        prop_assert_eq!(x.passages.len(), x.total);
        for p in &x.passages {
            check_span(&doc, p.span, None)?;
            prop_assert!(!doc[p.span.start..p.span.end].trim().is_empty());
            for s in &p.sentences {
                check_span(&doc, *s, Some(p.span))?;
            }
            for k in &p.key_terms {
                for s in &k.spans {
                    check_span(&doc, *s, Some(p.span))?;
                }
            }
            prop_assert!(p.classification.scores.iter().all(|s| (0.0..=1.0).contains(s)));
        }
        for e in &x.entities {
            prop_assert!(!e.mentions.is_empty());
            for m in &e.mentions {
                check_span(&doc, m.span, None)?;
            }
        }
        for q in &x.quotes {
            check_span(&doc, q.span, None)?;
            prop_assert!(q.speaker.is_none_or(|e| e < x.entities.len()));
        }
    }

    #[test]
    fn offset_conversion_matches_direct_counting(doc in "\\PC{0,200}") {
        let map16 = OffsetMap::new(&doc, Unit::Utf16);
        let map32 = OffsetMap::new(&doc, Unit::Utf32);
        for (i, _) in doc.char_indices() {
            prop_assert_eq!(map16.convert(i) as usize, doc[..i].encode_utf16().count());
            prop_assert_eq!(map32.convert(i) as usize, doc[..i].chars().count());
        }
    }
}
