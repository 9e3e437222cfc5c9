//! Extraction: a document in; its paragraphs out, each with exact offsets, topic labels and,
//! on request, sentences and key terms; plus the document's entities (people, countries,
//! organisations, places) and quotations with their speakers.
//!
//! Every part is a linear pass over the document. The heavier parts run only when asked for,
//! so a caller who wants only labelled passages pays for nothing else.

pub mod entities;
pub mod gazetteer;
pub mod quotes;

use crate::model::{Classification, Model};
use crate::text::{Span, for_each_term, paragraphs, raw_tokens, sentences};
pub use entities::{Entity, EntityType, Mention};
pub use gazetteer::Gazetteer;
pub use quotes::Quote;

/// What to extract.
#[derive(Debug, Clone, Default)]
pub struct ExtractOptions {
    /// Keep only passages labelled with at least one of these topic indices (empty: keep all).
    pub topics: Vec<usize>,
    /// Split each passage into sentences.
    pub sentences: bool,
    /// Find entities.
    pub entities: bool,
    /// Find quotations (and their speakers; this needs the entities, which are then found even
    /// if not returned).
    pub quotes: bool,
    /// Key terms per passage (0: none).
    pub key_terms: usize,
}

/// A term that sets a passage apart, with where it occurs.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyTerm {
    /// The term as the model sees it (lower case; a bigram is two words and a space).
    pub term: String,
    /// How strongly it drove the passage's top topic (a logit contribution), or, when the
    /// passage has no label, its tf-idf weight.
    pub weight: f32,
    /// Byte spans of its occurrences in the document.
    pub spans: Vec<Span>,
}

/// One paragraph of a document and what was found in it.
#[derive(Debug, Clone)]
pub struct Passage {
    /// Position among all paragraphs of the document (0-based, before filtering).
    pub index: usize,
    /// Byte span of the paragraph in the document.
    pub span: Span,
    /// The model's answer for the paragraph.
    pub classification: Classification,
    /// Sentence spans (when requested).
    pub sentences: Vec<Span>,
    /// Key terms (when requested).
    pub key_terms: Vec<KeyTerm>,
}

/// The result of extracting a document.
#[derive(Debug, Clone)]
pub struct Extraction {
    /// Kept passages, in document order.
    pub passages: Vec<Passage>,
    /// Number of paragraphs in the document before filtering.
    pub total: usize,
    /// Entities, most salient first (found when entities or quotes were requested; quote
    /// speakers index into this list).
    pub entities: Vec<Entity>,
    /// Quotations in document order (when requested).
    pub quotes: Vec<Quote>,
}

/// Splits `document` into paragraphs, labels each with `model`, and finds what `options` asks
/// for using `gazetteer`.
pub fn extract(
    model: &Model,
    gazetteer: &Gazetteer,
    document: &str,
    options: &ExtractOptions,
) -> Extraction {
    let spans = paragraphs(document);
    let total = spans.len();
    let need_sentences = options.sentences || options.entities || options.quotes;
    let sentence_spans: Vec<Vec<Span>> = if need_sentences {
        spans
            .iter()
            .map(|p| sentences(document, p.start, p.end))
            .collect()
    } else {
        Vec::new()
    };
    // Extra evidence, so that key terms left out as filler can be replaced by the next ones.
    let evidence = if options.key_terms > 0 {
        options
            .key_terms
            .saturating_mul(2)
            .saturating_add(KEY_TERM_SLACK)
    } else {
        0
    };
    let mut passages: Vec<Passage> = spans
        .iter()
        .enumerate()
        .map(|(index, &span)| {
            let text = &document[span.start..span.end];
            let classification = model.classify(text, evidence);
            let key_terms = if options.key_terms > 0 {
                key_terms(model, document, span, &classification, options.key_terms)
            } else {
                Vec::new()
            };
            Passage {
                index,
                span,
                sentences: if options.sentences {
                    sentence_spans[index].clone()
                } else {
                    Vec::new()
                },
                key_terms,
                classification: Classification {
                    evidence: Vec::new(),
                    ..classification
                },
            }
        })
        .collect();
    if !options.topics.is_empty() {
        passages.retain(|p| {
            p.classification
                .labels
                .iter()
                .any(|t| options.topics.contains(t))
        });
    }

    let (mut entity_list, mut quote_list) = (Vec::new(), Vec::new());
    if options.entities || options.quotes {
        let tokens = entities::DocTokens::new(document, &spans);
        let analysis = entities::find_entities(document, &tokens, gazetteer);
        if options.quotes {
            quote_list = quotes::find_quotes(document, &spans, &sentence_spans, &tokens, &analysis);
        }
        entity_list = analysis.entities;
    }
    Extraction {
        passages,
        total,
        entities: entity_list,
        quotes: quote_list,
    }
}

/// The `n` terms that drove the passage's top label most (or, with no label, its highest
/// tf-idf terms), with their occurrences.
fn key_terms(
    model: &Model,
    document: &str,
    span: Span,
    c: &Classification,
    n: usize,
) -> Vec<KeyTerm> {
    let text = &document[span.start..span.end];
    let picked: Vec<(String, f32)> = match c.top().or_else(|| c.ranked().first().copied()) {
        Some(t) if c.evidence.get(t).is_some_and(|e| !e.is_empty()) => c.evidence[t]
            .iter()
            .filter(|e| !is_filler(&e.term))
            .take(n)
            .map(|e| (e.term.clone(), e.weight))
            .collect(),
        _ => {
            let mut scratch = crate::model::features::Scratch::default();
            model.featurizer().transform(text, &mut scratch);
            let mut feats = scratch.features.clone();
            feats.sort_by(|a, b| b.value.total_cmp(&a.value).then(a.index.cmp(&b.index)));
            let terms = model.featurizer().terms();
            feats
                .iter()
                .filter_map(|f| {
                    terms
                        .get(f.index as usize)
                        .filter(|t| !is_filler(t))
                        .map(|t| (t.clone(), f.value))
                })
                .take(n)
                .collect()
        }
    };
    let occurrences = term_occurrences(model, text);
    picked
        .into_iter()
        .map(|(term, weight)| KeyTerm {
            spans: occurrences
                .iter()
                .filter(|(t, _)| *t == term)
                .map(|(_, s)| Span {
                    start: span.start + s.start,
                    end: span.start + s.end,
                })
                .collect(),
            term,
            weight,
        })
        .collect()
}

/// How many more evidence terms than twice the asked-for key terms the model is asked for.
const KEY_TERM_SLACK: usize = 8;

/// Words that carry no topic: number words, ordinals, and reporting or filler words. A key term
/// with one of them ("two", "two sides", "according") is left out.
const FILLER_WORDS: &[&str] = &[
    "according",
    "added",
    "aim",
    "aimed",
    "aims",
    "also",
    "billion",
    "dozen",
    "dozens",
    "eight",
    "eighth",
    "eleven",
    "fifth",
    "first",
    "five",
    "four",
    "fourth",
    "half",
    "hundred",
    "hundreds",
    "intend",
    "intended",
    "intends",
    "last",
    "million",
    "millions",
    "nine",
    "ninth",
    "one",
    "quickly",
    "reportedly",
    "said",
    "says",
    "second",
    "seven",
    "seventh",
    "six",
    "sixth",
    "ten",
    "tenth",
    "third",
    "thousand",
    "thousands",
    "three",
    "told",
    "trillion",
    "twelve",
    "twenty",
    "two",
];

/// Whether `term` (a unigram or bigram) contains a filler word or a number.
fn is_filler(term: &str) -> bool {
    term.split(' ').any(|w| {
        FILLER_WORDS.contains(&w)
            || w.chars().next().is_some_and(|c| c.is_ascii_digit())
                && w.chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, '.' | ','))
    })
}

/// Every unigram and bigram of `text` as the featurizer forms them, with its byte span.
fn term_occurrences(model: &Model, text: &str) -> Vec<(String, Span)> {
    let f = model.featurizer();
    let mut out = Vec::new();
    let mut prev: Option<(String, usize)> = None;
    let mut buf = String::new();
    for span in raw_tokens(text) {
        let mut term = None;
        let raw = &text[span.start..span.end];
        for_each_term(raw, &mut buf, |t, _| term = Some(t.to_owned()));
        let Some(term) = term else { continue };
        if f.is_ignored(&term, raw) {
            continue;
        }
        out.push((term.clone(), span));
        if let Some((p, start)) = prev.take() {
            out.push((
                format!("{p} {term}"),
                Span {
                    start,
                    end: span.end,
                },
            ));
        }
        prev = Some((term, span.start));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::gazetteer::tests::SMALL;
    use super::*;

    #[test]
    fn filler_words_and_numbers_are_no_key_terms() {
        for t in [
            "two",
            "two sides",
            "according",
            "second batch",
            "2025",
            "3.5",
            "aims",
        ] {
            assert!(is_filler(t), "{t}");
        }
        for t in ["vaccine", "health ministry", "g20", "twofold"] {
            assert!(!is_filler(t), "{t}");
        }
    }

    #[test]
    fn extraction_switches_turn_parts_on_and_off() {
        let model = crate::model::default_model().unwrap();
        let g = Gazetteer::parse(SMALL, "test").unwrap();
        let doc = "Foreign Minister Wang Yi said China will ship vaccines to Turkey. \
                   “Trust matters,” Wang said.\n\nThe match ended 2-1.";
        let bare = extract(&model, &g, doc, &ExtractOptions::default());
        assert_eq!(bare.total, 2);
        assert!(bare.entities.is_empty() && bare.quotes.is_empty());
        assert!(
            bare.passages
                .iter()
                .all(|p| p.sentences.is_empty() && p.key_terms.is_empty())
        );

        let all = extract(
            &model,
            &g,
            doc,
            &ExtractOptions {
                sentences: true,
                entities: true,
                quotes: true,
                key_terms: 3,
                ..ExtractOptions::default()
            },
        );
        assert_eq!(all.passages[0].sentences.len(), 2);
        assert!(all.entities.iter().any(|e| e.name == "Wang Yi"));
        assert_eq!(all.quotes.len(), 1);
        let kt = &all.passages[0].key_terms;
        assert!(!kt.is_empty() && kt.len() <= 3);
        for k in kt {
            for s in &k.spans {
                let cut = doc[s.start..s.end].to_lowercase();
                assert!(
                    cut.contains(k.term.split(' ').next().unwrap()),
                    "{cut} vs {}",
                    k.term
                );
            }
        }
    }
}
