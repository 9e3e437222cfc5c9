//! Extraction: a document in, its paragraphs out, each with exact offsets and topic labels.

use crate::model::{Classification, Model};
use crate::text::{Span, paragraphs};

/// What to extract.
#[derive(Debug, Clone, Default)]
pub struct ExtractOptions {
    /// Keep only passages labelled with at least one of these topic indices (empty: keep all).
    pub topics: Vec<usize>,
}

/// One paragraph of a document and its classification.
#[derive(Debug, Clone)]
pub struct Passage {
    /// Position among all paragraphs of the document (0-based, before filtering).
    pub index: usize,
    /// Byte span of the paragraph in the document.
    pub span: Span,
    /// The model's answer for the paragraph.
    pub classification: Classification,
}

/// The result of extracting a document.
#[derive(Debug, Clone)]
pub struct Extraction {
    /// Kept passages, in document order.
    pub passages: Vec<Passage>,
    /// Number of paragraphs in the document before filtering.
    pub total: usize,
}

/// Splits `document` into paragraphs and labels each with `model`.
pub fn extract(model: &Model, document: &str, options: &ExtractOptions) -> Extraction {
    let spans = paragraphs(document);
    let total = spans.len();
    let passages = spans
        .into_iter()
        .enumerate()
        .map(|(index, span)| Passage {
            index,
            span,
            classification: model.classify(&document[span.start..span.end], 0),
        })
        .filter(|p| {
            options.topics.is_empty()
                || p.classification
                    .labels
                    .iter()
                    .any(|t| options.topics.contains(t))
        })
        .collect();
    Extraction { passages, total }
}
