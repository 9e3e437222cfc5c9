//! Features: the vocabulary, term weighting and the text → sparse vector transform.
//!
//! The same [`Featurizer`] builds the dense training matrix handed to linfa and the sparse
//! vectors the scorer uses on the request path, so training and serving cannot drift apart.

use crate::text::for_each_term;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

/// How term counts become feature values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Weighting {
    /// `tf · idf`, with `idf = ln((1 + n) / (1 + df)) + 1`, then the vector is L2-normalised.
    TfIdf,
    /// Raw term counts (for multinomial naive Bayes).
    Counts,
}

/// Settings of the feature transform. Stored in the model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureConfig {
    /// Longest n-gram: 1 (words) or 2 (words and pairs of adjacent words).
    pub ngrams: u8,
    /// Keep terms that occur in at least this many training paragraphs.
    pub min_df: u32,
    /// Drop terms that occur in more than this fraction of training paragraphs.
    pub max_df: f32,
    /// Keep at most this many terms (the most frequent by document frequency); 0 keeps all.
    pub max_features: u32,
    /// Keep only this many terms most associated with a class (chi-squared); 0 keeps all.
    #[serde(default)]
    pub select: u32,
    /// Use `1 + ln(tf)` instead of the raw count `tf`.
    pub sublinear_tf: bool,
    /// How counts become values.
    pub weighting: Weighting,
    /// Words ignored before n-grams are formed (lower case).
    pub stopwords: Vec<String>,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            ngrams: 2,
            min_df: 2,
            max_df: 0.5,
            max_features: 0,
            select: 0,
            sublinear_tf: true,
            weighting: Weighting::TfIdf,
            stopwords: Vec::new(),
        }
    }
}

/// A short list of English function words, written for paratag; used when a recipe asks for
/// `stopwords = "english"`.
pub const ENGLISH_STOPWORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "me",
    "more",
    "most",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "yours",
    "yourself",
];

/// One non-zero feature of a text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Feature {
    /// Column of the term in the vocabulary.
    pub index: u32,
    /// How often the term occurs in the text.
    pub count: u32,
    /// The feature value after weighting and normalisation.
    pub value: f32,
}

/// Reusable buffers for [`Featurizer::transform`]; keep one per worker thread so transforming a
/// text allocates nothing once the buffers have grown.
#[derive(Debug, Default)]
pub struct Scratch {
    term: String,
    ids: Vec<u32>,
    /// Per column (stamp, count): the count is valid where the stamp equals `generation`.
    counts: Vec<(u32, u32)>,
    generation: u32,
    /// The features of the last transformed text, in the order their terms first occur.
    pub features: Vec<Feature>,
}

/// What a slot of the term table holds: nothing, or a term, a stopword or both (bit flags).
const SLOT_EMPTY: u8 = 0;
const SLOT_TERM: u8 = 1;
const SLOT_STOPWORD: u8 = 2;

/// One slot of the open-addressing term table: 16 bytes, so a model's table stays small enough
/// for the CPU caches.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    /// The key's 64-bit hash.
    hash: u64,
    column: u32,
    /// The key's length in bytes (saturating).
    len: u16,
    kind: u8,
}

/// Hash of one token's bytes: FxHash-style multiply-rotate over 8-byte words, the tail packed
/// into a last word with the length, so "ab" and "ab\0" differ.
#[inline]
fn hash_bytes(bytes: &[u8]) -> u64 {
    hash_words(bytes, 0)
}

/// [`hash_bytes`] of the lower-cased form of an ASCII token from
/// [`crate::text::tokenize::for_each_token`], without building that form.
#[inline]
fn hash_ascii_lower(token: &[u8]) -> u64 {
    hash_words(token, 0x2020_2020_2020_2020)
}

/// The hash, with `or_mask` OR-ed into every byte of the input first.
#[inline]
fn hash_words(bytes: &[u8], or_mask: u64) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let word = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        h = (h.rotate_left(5) ^ (word | or_mask)).wrapping_mul(K);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        let mut word = 0u64;
        for (i, &b) in tail.iter().enumerate() {
            word |= u64::from(b) << (8 * i);
        }
        let present = u64::MAX >> (64 - 8 * tail.len());
        h = (h.rotate_left(5) ^ (word | (or_mask & present))).wrapping_mul(K);
    }
    h ^ (h >> 29)
}

/// `1 + ln(count)`, from a table for the small counts that make up nearly all of them.
#[inline]
fn sublinear(count: u32) -> f32 {
    static TABLE: std::sync::OnceLock<[f32; 64]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = [0.0f32; 64];
        for (i, v) in t.iter_mut().enumerate().skip(1) {
            *v = 1.0 + (i as f32).ln();
        }
        t
    });
    match table.get(count as usize) {
        Some(v) => *v,
        None => 1.0 + (count as f32).ln(),
    }
}

/// A key's length as stored in a slot.
#[inline]
fn key_len(n: usize) -> u16 {
    n.min(u16::MAX as usize) as u16
}

/// Hash of the bigram "a b" from its words' hashes.
#[inline]
fn pair_hash(a: u64, b: u64) -> u64 {
    (a.rotate_left(17) ^ b).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x2545_f491_4f6c_dd1d
}

/// Term → column lookup built once at model load: open addressing on 64-bit hashes, linear
/// probing, with the term's bytes kept for an exact comparison. Unigrams are keyed by the hash
/// of their bytes, bigrams by [`pair_hash`] of their two words, so the scorer never builds a
/// string to look a term up. Stopwords sit in the same table.
#[derive(Debug, Clone, Default)]
struct TermTable {
    slots: Vec<Slot>,
    /// One bit per hash value modulo its size, set for every key: most words and word pairs of a
    /// text are not in the vocabulary, and this small filter (it stays in the L1 cache) turns
    /// them away before the table is touched.
    filter: Vec<u64>,
}

impl TermTable {
    fn build(terms: &[String], stopwords: &FxHashSet<String>) -> TermTable {
        let n = terms.len() + stopwords.len();
        let cap = (n * 2).next_power_of_two().max(16);
        let filter_bits = (n * 16).next_power_of_two().max(4096);
        let mut table = TermTable {
            slots: vec![Slot::default(); cap],
            filter: vec![0; filter_bits / 64],
        };
        for (column, t) in terms.iter().enumerate() {
            table.insert(t, SLOT_TERM, column as u32);
        }
        let mut stop: Vec<&String> = stopwords.iter().collect();
        stop.sort();
        for w in stop {
            table.insert(w, SLOT_STOPWORD, 0);
        }
        table
    }

    fn key_hash(term: &str) -> u64 {
        match term.split_once(' ') {
            Some((a, b)) => pair_hash(hash_bytes(a.as_bytes()), hash_bytes(b.as_bytes())),
            None => hash_bytes(term.as_bytes()),
        }
    }

    /// Word and bit of the filter for `hash`.
    #[inline]
    fn filter_bit(&self, hash: u64) -> (usize, u64) {
        let bit = (hash >> 40) as usize & (self.filter.len() * 64 - 1);
        (bit / 64, 1u64 << (bit % 64))
    }

    fn insert(&mut self, term: &str, kind: u8, column: u32) {
        let hash = Self::key_hash(term);
        let (word, bit) = self.filter_bit(hash);
        self.filter[word] |= bit;
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        while self.slots[i].kind != SLOT_EMPTY {
            let s = self.slots[i];
            if s.hash == hash && s.len == key_len(term.len()) {
                // A stopword can be a term too ("who", learnt from "WHO"): the slot is both.
                self.slots[i].kind |= kind;
                if kind == SLOT_TERM {
                    self.slots[i].column = column;
                }
                return;
            }
            i = (i + 1) & mask;
        }
        self.slots[i] = Slot {
            hash,
            column,
            len: key_len(term.len()),
            kind,
        };
    }

    /// The slot of the key with this hash and byte length (a word, or "word word" with the pair
    /// hash). Keys are told apart by their 64-bit hash and length: two keys that differ but agree
    /// on both would need a 64-bit collision, which no vocabulary comes near (the chance is below
    /// 10^-19 per lookup); tests check that the results equal the string-keyed reference.
    #[inline]
    fn find(&self, hash: u64, len: usize) -> Option<Slot> {
        let (word, bit) = self.filter_bit(hash);
        if self.filter[word] & bit == 0 {
            return None;
        }
        let len = key_len(len);
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            let s = self.slots[i];
            if s.kind == SLOT_EMPTY {
                return None;
            }
            if s.hash == hash && s.len == len {
                return Some(s);
            }
            i = (i + 1) & mask;
        }
    }
}

/// The fitted vocabulary and transform.
#[derive(Debug, Clone)]
pub struct Featurizer {
    config: FeatureConfig,
    terms: Vec<String>,
    idf: Vec<f32>,
    index: FxHashMap<String, u32>,
    stopwords: FxHashSet<String>,
    table: TermTable,
}

impl Featurizer {
    /// Builds a featurizer from stored parts, checking that they agree.
    pub fn from_parts(
        config: FeatureConfig,
        terms: Vec<String>,
        idf: Vec<f32>,
    ) -> Result<Self, String> {
        if terms.len() != idf.len() {
            return Err(format!(
                "{} terms but {} idf values",
                terms.len(),
                idf.len()
            ));
        }
        if !(1..=2).contains(&config.ngrams) {
            return Err(format!("ngrams must be 1 or 2, not {}", config.ngrams));
        }
        if let Some(bad) = idf.iter().find(|v| !v.is_finite() || **v <= 0.0) {
            return Err(format!("idf value {bad} is not a positive number"));
        }
        let mut index = FxHashMap::with_capacity_and_hasher(terms.len(), Default::default());
        for (i, t) in terms.iter().enumerate() {
            if index.insert(t.clone(), i as u32).is_some() {
                return Err(format!("term {t:?} appears twice in the vocabulary"));
            }
        }
        let stopwords: FxHashSet<String> = config.stopwords.iter().cloned().collect();
        let table = TermTable::build(&terms, &stopwords);
        Ok(Featurizer {
            config,
            terms,
            idf,
            index,
            stopwords,
            table,
        })
    }

    /// Learns the vocabulary and document frequencies from `docs`.
    pub fn fit<S: AsRef<str>>(config: &FeatureConfig, docs: &[S]) -> Result<Self, String> {
        Featurizer::fit_labelled(config, docs, &[])
    }

    /// Learns the vocabulary from `docs`; `classes` (one list of class indices per document,
    /// or empty) enables chi-squared feature selection when `config.select` is set.
    ///
    /// Order of cuts: document frequency (`min_df`, `max_df`), then chi-squared (`select`:
    /// keep the terms most associated with any class), then `max_features` by frequency.
    pub fn fit_labelled<S: AsRef<str>>(
        config: &FeatureConfig,
        docs: &[S],
        classes: &[Vec<usize>],
    ) -> Result<Self, String> {
        if docs.is_empty() {
            return Err("no documents to build a vocabulary from".into());
        }
        if config.select > 0 && classes.len() != docs.len() {
            return Err("chi-squared selection needs a class list per document".into());
        }
        let n_classes = classes.iter().flatten().max().map_or(0, |m| m + 1);
        let stopwords: FxHashSet<String> = config.stopwords.iter().cloned().collect();
        // Per term: document frequency, then documents per class.
        let mut df: FxHashMap<String, Vec<u32>> = FxHashMap::default();
        let mut seen: FxHashSet<String> = FxHashSet::default();
        let width = if config.select > 0 { 1 + n_classes } else { 1 };
        for (d, doc) in docs.iter().enumerate() {
            seen.clear();
            each_ngram(doc.as_ref(), config.ngrams, &stopwords, &mut |t| {
                if !seen.contains(t) {
                    seen.insert(t.to_owned());
                }
            });
            for t in seen.drain() {
                let counts = df.entry(t).or_insert_with(|| vec![0; width]);
                counts[0] += 1;
                if width > 1 {
                    for &c in &classes[d] {
                        counts[1 + c] += 1;
                    }
                }
            }
        }
        let n = docs.len();
        let max_count = (config.max_df as f64 * n as f64).floor() as u32;
        let mut kept: Vec<(String, Vec<u32>)> = df
            .into_iter()
            .filter(|(_, c)| c[0] >= config.min_df.max(1) && (c[0] <= max_count || n == 1))
            .collect();
        if config.select > 0 && (config.select as usize) < kept.len() {
            let mut class_docs = vec![0u32; n_classes];
            for cs in classes {
                for &c in cs {
                    class_docs[c] += 1;
                }
            }
            let mut scored: Vec<(f64, String, Vec<u32>)> = kept
                .into_iter()
                .map(|(t, c)| (max_chi2(&c, &class_docs, n), t, c))
                .collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
            scored.truncate(config.select as usize);
            kept = scored.into_iter().map(|(_, t, c)| (t, c)).collect();
        }
        // Most frequent first, ties by term, so the cut is deterministic.
        kept.sort_by(|a, b| b.1[0].cmp(&a.1[0]).then_with(|| a.0.cmp(&b.0)));
        if config.max_features > 0 {
            kept.truncate(config.max_features as usize);
        }
        if kept.is_empty() {
            return Err(format!(
                "no term is in at least {} of the {n} documents and at most {:.0}% of them",
                config.min_df,
                config.max_df * 100.0
            ));
        }
        kept.sort_by(|a, b| a.0.cmp(&b.0));
        let idf = kept
            .iter()
            .map(|(_, c)| (((1 + n) as f64 / (1 + c[0]) as f64).ln() + 1.0) as f32)
            .collect();
        let terms = kept.into_iter().map(|(t, _)| t).collect();
        Featurizer::from_parts(config.clone(), terms, idf)
    }

    /// The feature settings.
    pub fn config(&self) -> &FeatureConfig {
        &self.config
    }

    /// The vocabulary, in column order.
    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    /// Inverse document frequency of each column.
    pub fn idf(&self) -> &[f32] {
        &self.idf
    }

    /// True when the token `raw`, normalised to `term`, is ignored before n-grams are formed:
    /// `term` is a stopword and `raw` is not written in capitals ("who" is ignored, "WHO" is
    /// not; see [`crate::text::is_capitals`]).
    pub fn is_ignored(&self, term: &str, raw: &str) -> bool {
        self.stopwords.contains(term) && !crate::text::is_capitals(raw)
    }

    /// Number of columns (terms).
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// True when the vocabulary is empty (never for a fitted featurizer).
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Transforms `text` into `scratch.features` (distinct columns in order of first
    /// occurrence, which fixes the order of every floating-point sum). Allocates nothing once the
    /// scratch buffers have grown to the size of the text: tokens are normalised into reused
    /// byte buffers, hashed once, and looked up (bigrams too) without building strings.
    pub fn transform(&self, text: &str, scratch: &mut Scratch) {
        let Scratch {
            term,
            ids,
            features,
            counts,
            generation,
        } = scratch;
        ids.clear();
        features.clear();
        if counts.len() < self.terms.len() {
            counts.resize(self.terms.len(), (0, 0));
        }
        *generation = generation.wrapping_add(1);
        if *generation == 0 {
            counts.iter_mut().for_each(|c| *c = (0, 0));
            *generation = 1;
        }
        let current = *generation;
        // Counts each column once per text; `ids` collects the distinct columns.
        let mut count = |column: u32| {
            let entry = &mut counts[column as usize];
            if entry.0 != current {
                *entry = (current, 0);
                ids.push(column);
            }
            entry.1 += 1;
        };
        let bigrams = self.config.ngrams >= 2;
        // The previous kept word, by hash and length: all a bigram lookup needs.
        let mut prev: Option<(u64, usize)> = None;
        let mut on_term = |hash: u64, len: usize, raw: &str| {
            match self.table.find(hash, len) {
                Some(slot) if slot.kind & SLOT_STOPWORD != 0 && !crate::text::is_capitals(raw) => {
                    return;
                }
                Some(slot) if slot.kind & SLOT_TERM != 0 => count(slot.column),
                _ => {}
            }
            if bigrams {
                if let Some((prev_hash, prev_len)) = prev
                    && let Some(slot) = self
                        .table
                        .find(pair_hash(prev_hash, hash), prev_len + 1 + len)
                    && slot.kind & SLOT_TERM != 0
                {
                    count(slot.column);
                }
                prev = Some((hash, len));
            }
        };
        // One pass: plain ASCII words are hashed lower-cased in place; the rare words that
        // need the general rules arrive already normalised.
        crate::text::tokenize::for_each_token(text, term, |token, lowered, raw| {
            let hash = if lowered {
                hash_bytes(token)
            } else {
                hash_ascii_lower(token)
            };
            on_term(hash, token.len(), raw)
        });
        self.weigh(ids.iter().map(|&id| (id, counts[id as usize].1)), features);
    }

    /// The straightforward transform: the same features as [`Featurizer::transform`], computed
    /// with string keys. It builds the training matrix, and tests hold the fast path to it.
    pub fn transform_reference(&self, text: &str, scratch: &mut Scratch) {
        let Scratch { ids, features, .. } = scratch;
        ids.clear();
        features.clear();
        // The very n-grams vocabulary building counted, looked up by string.
        each_ngram(text, self.config.ngrams, &self.stopwords, &mut |t| {
            if let Some(&i) = self.index.get(t) {
                ids.push(i);
            }
        });
        self.finish(ids, features);
    }

    /// Turns the repeated column ids of a text, in text order, into weighted, normalised
    /// features, one per distinct column in order of first occurrence.
    fn finish(&self, ids: &mut [u32], features: &mut Vec<Feature>) {
        let mut counts: FxHashMap<u32, u32> = FxHashMap::default();
        let mut order = Vec::new();
        for &id in ids.iter() {
            let c = counts.entry(id).or_insert(0);
            if *c == 0 {
                order.push(id);
            }
            *c += 1;
        }
        self.weigh(order.iter().map(|id| (*id, counts[id])), features);
    }

    /// Weighs `(column, count)` pairs, in the given order, into normalised features.
    fn weigh(&self, columns: impl Iterator<Item = (u32, u32)>, features: &mut Vec<Feature>) {
        let mut norm = 0.0f32;
        for (id, count) in columns {
            let value = match self.config.weighting {
                Weighting::Counts => count as f32,
                Weighting::TfIdf => {
                    // ln(1) = 0: most terms occur once, and skip the logarithm.
                    let tf = if count == 1 {
                        1.0
                    } else if self.config.sublinear_tf {
                        sublinear(count)
                    } else {
                        count as f32
                    };
                    tf * self.idf[id as usize]
                }
            };
            norm += value * value;
            features.push(Feature {
                index: id,
                count,
                value,
            });
        }
        if self.config.weighting == Weighting::TfIdf && norm > 0.0 {
            let inv = 1.0 / norm.sqrt();
            for f in features.iter_mut() {
                f.value *= inv;
            }
        }
    }

    /// The dense `docs × terms` matrix of `docs`, for linfa's dense learners.
    pub fn dense<S: AsRef<str>>(&self, docs: &[S]) -> ndarray::Array2<f32> {
        let mut m = ndarray::Array2::<f32>::zeros((docs.len(), self.len()));
        let mut scratch = Scratch::default();
        for (r, doc) in docs.iter().enumerate() {
            self.transform_reference(doc.as_ref(), &mut scratch);
            let mut row = m.row_mut(r);
            for f in &scratch.features {
                row[f.index as usize] = f.value;
            }
        }
        m
    }
}

/// The largest chi-squared statistic of a term's presence against any one class.
/// `counts[0]` is the term's document frequency, `counts[1 + c]` its documents in class `c`.
fn max_chi2(counts: &[u32], class_docs: &[u32], n: usize) -> f64 {
    let n = n as f64;
    let df = f64::from(counts[0]);
    class_docs
        .iter()
        .enumerate()
        .map(|(c, &nc)| {
            let a = f64::from(counts[1 + c]); // in class, has term
            let b = df - a; // other classes, has term
            let cc = f64::from(nc) - a; // in class, lacks term
            let d = n - df - cc; // other classes, lacks term
            let denom = (a + cc) * (b + d) * (a + b) * (cc + d);
            if denom <= 0.0 {
                0.0
            } else {
                n * (a * d - b * cc).powi(2) / denom
            }
        })
        .fold(0.0, f64::max)
}

/// Calls `f` with every n-gram (up to `ngrams` words) of `text`, skipping stopwords.
fn each_ngram(text: &str, ngrams: u8, stopwords: &FxHashSet<String>, f: &mut dyn FnMut(&str)) {
    let mut buf = String::new();
    let mut prev = String::new();
    let mut pair = String::new();
    for_each_term(text, &mut buf, |t, raw| {
        if stopwords.contains(t) && !crate::text::is_capitals(raw) {
            return;
        }
        f(t);
        if ngrams >= 2 {
            if !prev.is_empty() {
                pair.clear();
                pair.push_str(&prev);
                pair.push(' ');
                pair.push_str(t);
                f(&pair);
            }
            prev.clear();
            prev.push_str(t);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(ngrams: u8) -> FeatureConfig {
        FeatureConfig {
            ngrams,
            min_df: 1,
            max_df: 1.0,
            ..FeatureConfig::default()
        }
    }

    #[test]
    fn vocabulary_respects_document_frequency_cut_offs() {
        let docs = ["alpha beta", "alpha gamma", "alpha beta delta"];
        let f = Featurizer::fit(
            &FeatureConfig {
                min_df: 2,
                max_df: 0.9,
                ..cfg(1)
            },
            &docs,
        )
        .unwrap();
        // alpha is in every doc (> 90%), gamma and delta in one only.
        assert_eq!(f.terms(), ["beta"]);
    }

    #[test]
    fn bigrams_skip_stopwords_and_vocabulary_is_sorted() {
        let config = FeatureConfig {
            stopwords: vec!["the".into()],
            ..cfg(2)
        };
        let f = Featurizer::fit(&config, &["the trade deal", "trade deal talks"]).unwrap();
        assert_eq!(
            f.terms(),
            ["deal", "deal talks", "talks", "trade", "trade deal"]
        );
    }

    #[test]
    fn acronyms_in_capitals_are_never_stopwords() {
        let config = FeatureConfig {
            stopwords: vec!["who".into(), "the".into()],
            ..cfg(2)
        };
        let docs = [
            "The WHO said people who travel",
            "THE WHO's chief warned",
            "Who knows",
        ];
        let f = Featurizer::fit(&config, &docs).unwrap();
        // "WHO" (twice, once possessive) and "THE" in capitals are terms; "who", "Who" and
        // "The" stay stopwords, removed before pairs are formed.
        assert!(f.terms().iter().any(|t| t == "who said"), "{:?}", f.terms());
        assert!(f.terms().iter().any(|t| t == "the who"), "{:?}", f.terms());
        assert!(
            f.terms().iter().any(|t| t == "people travel"),
            "{:?}",
            f.terms()
        );
        assert!(
            !f.terms()
                .iter()
                .any(|t| t == "who travel" || t == "who knows")
        );
        let (mut a, mut b) = (Scratch::default(), Scratch::default());
        for text in docs.iter().chain(&["people WHO travel", "a WHO’s team"]) {
            f.transform(text, &mut a);
            f.transform_reference(text, &mut b);
            assert_eq!(a.features, b.features, "{text}");
        }
        let column = |t: &str| f.terms().iter().position(|x| x == t).unwrap() as u32;
        f.transform("people who travel", &mut a);
        assert!(a.features.iter().all(|x| x.index != column("who")));
        f.transform("people WHO travel", &mut a);
        assert!(a.features.iter().any(|x| x.index == column("who")));
    }

    #[test]
    fn max_features_keeps_the_most_frequent_terms() {
        let config = FeatureConfig {
            max_features: 2,
            ..cfg(1)
        };
        let f = Featurizer::fit(&config, &["a1 b1 c1", "a1 b1", "a1 zz"]).unwrap();
        assert_eq!(f.terms(), ["a1", "b1"]);
    }

    #[test]
    fn chi_squared_selection_keeps_the_terms_that_tell_classes_apart() {
        let docs = [
            "wheat grain harvest common",
            "wheat grain exports common",
            "tanker ship port common",
            "tanker ship berth common",
        ];
        let classes = vec![vec![0], vec![0], vec![1], vec![1]];
        let config = FeatureConfig {
            select: 4,
            ..cfg(1)
        };
        let f = Featurizer::fit_labelled(&config, &docs, &classes).unwrap();
        // "common" (everywhere) and the one-off words are the least informative.
        assert_eq!(f.terms(), ["grain", "ship", "tanker", "wheat"]);
        assert!(Featurizer::fit_labelled(&config, &docs, &[]).is_err());
    }

    #[test]
    fn tfidf_vectors_are_l2_normalised_with_sublinear_tf() {
        let f = Featurizer::fit(&cfg(1), &["vaccine vaccine trial", "trial ends"]).unwrap();
        let mut s = Scratch::default();
        f.transform("vaccine vaccine vaccine trial unknownword", &mut s);
        let norm: f32 = s.features.iter().map(|x| x.value * x.value).sum();
        assert!((norm - 1.0).abs() < 1e-5);
        let vaccine = s
            .features
            .iter()
            .find(|x| f.terms()[x.index as usize] == "vaccine");
        assert_eq!(vaccine.map(|x| x.count), Some(3));
        // tf 3 -> 1 + ln 3; idf(vaccine) = ln(3/2) + 1; idf(trial) = ln(3/3) + 1 = 1.
        let v = (1.0 + 3f32.ln()) * ((3.0f32 / 2.0).ln() + 1.0);
        let expected = v / (v * v + 1.0).sqrt();
        assert!((vaccine.unwrap().value - expected).abs() < 1e-5);
    }

    #[test]
    fn dense_rows_match_sparse_transform() {
        let docs = ["trade talks resume", "vaccine talks"];
        let f = Featurizer::fit(&cfg(2), &docs).unwrap();
        let m = f.dense(&docs);
        let mut s = Scratch::default();
        f.transform(docs[1], &mut s);
        for feat in &s.features {
            assert_eq!(m[[1, feat.index as usize]], feat.value);
        }
        let nonzero = m.row(1).iter().filter(|v| **v != 0.0).count();
        assert_eq!(nonzero, s.features.len());
    }

    #[test]
    fn fast_transform_equals_the_reference_on_the_corpus_and_r8() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut texts: Vec<String> = crate::corpus::load(&root.join("data/corpus"))
            .unwrap()
            .into_iter()
            .map(|e| e.text)
            .collect();
        // Reuters R8 test texts (all ASCII, so they take the one-pass tokeniser), when present.
        match crate::corpus::load(&root.join("../shared/benchmarks/r8/test.tsv")) {
            Ok(r8) => texts.extend(r8.into_iter().map(|e| e.text)),
            Err(e) => eprintln!("R8 texts not checked: {e}"),
        }
        for config in [
            FeatureConfig {
                stopwords: ENGLISH_STOPWORDS.iter().map(|s| s.to_string()).collect(),
                ..FeatureConfig::default()
            },
            FeatureConfig {
                ngrams: 1,
                min_df: 1,
                max_df: 1.0,
                ..FeatureConfig::default()
            },
        ] {
            let f = Featurizer::fit(&config, &texts[..1500]).unwrap();
            let (mut a, mut b) = (Scratch::default(), Scratch::default());
            for t in texts
                .iter()
                .chain(["“Ünïcode” 中国 👍 a-b's".to_string()].iter())
            {
                f.transform(t, &mut a);
                f.transform_reference(t, &mut b);
                assert_eq!(a.features, b.features, "{t}");
            }
        }
    }

    #[test]
    fn the_lower_casing_hash_equals_the_hash_of_the_lower_cased_bytes() {
        for token in [
            "a",
            "Ab",
            "CHINA",
            "covid-19",
            "O'Neill",
            "Third-Phase-Trials",
            "x1Y2z3W4v5",
        ] {
            let lower = token.to_ascii_lowercase();
            assert_eq!(
                hash_ascii_lower(token.as_bytes()),
                hash_bytes(lower.as_bytes()),
                "{token}"
            );
        }
        assert_ne!(hash_bytes(b"ab"), hash_bytes(b"ab\0"));
    }

    #[test]
    fn inconsistent_parts_are_refused() {
        assert!(Featurizer::from_parts(cfg(1), vec!["a".into()], vec![]).is_err());
        assert!(
            Featurizer::from_parts(cfg(1), vec!["a".into(), "a".into()], vec![1.0, 1.0]).is_err()
        );
        assert!(Featurizer::from_parts(cfg(3), vec![], vec![]).is_err());
        assert!(Featurizer::from_parts(cfg(1), vec!["a".into()], vec![f32::NAN]).is_err());
    }
}
