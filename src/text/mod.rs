//! Text handling: tokenising text into terms and splitting documents into paragraphs.
//!
//! This module knows nothing about models or the service; everything above it builds on it.

pub mod offsets;
pub mod segment;
pub mod tokenize;

pub use segment::{paragraphs, sentences};
pub use tokenize::{
    Span, for_each_term, for_each_token, is_capitals, normalize_into, raw_tokens, terms,
};
