//! Fuzzes the whole extractor (paragraphs, sentences, entities, quotes, key terms) and checks
//! that every span is in range and on character boundaries.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paratag::extract::{ExtractOptions, Gazetteer, extract};
use paratag::model::Model;
use paratag::text::Span;
use std::sync::OnceLock;

fn resources() -> &'static (Model, Gazetteer) {
    static R: OnceLock<(Model, Gazetteer)> = OnceLock::new();
    R.get_or_init(|| {
        (
            paratag::model::default_model().expect("default model"),
            Gazetteer::default_gazetteer().expect("default gazetteer"),
        )
    })
}

fn valid(doc: &str, s: Span) -> bool {
    s.start <= s.end && s.end <= doc.len() && doc.is_char_boundary(s.start) && doc.is_char_boundary(s.end)
}

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = std::str::from_utf8(data) else { return };
    let (model, gazetteer) = resources();
    let options = ExtractOptions {
        sentences: true,
        entities: true,
        quotes: true,
        key_terms: 5,
        ..ExtractOptions::default()
    };
    let x = extract(model, gazetteer, doc, &options);
    for p in &x.passages {
        assert!(valid(doc, p.span));
        assert!(p.sentences.iter().all(|s| valid(doc, *s)));
        assert!(p.key_terms.iter().flat_map(|k| &k.spans).all(|s| valid(doc, *s)));
    }
    assert!(x.entities.iter().flat_map(|e| &e.mentions).all(|m| valid(doc, m.span)));
    assert!(x.quotes.iter().all(|q| valid(doc, q.span)));
});
