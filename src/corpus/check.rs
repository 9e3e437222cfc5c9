//! `paratag corpus check`: coverage of the corpus against the taxonomy card, lengths, unknown
//! labels, and exact or near duplicates inside the corpus and between corpus and dev set.
//!
//! Near duplicates are measured by the Jaccard similarity of word 3-gram shingles; pairs at or
//! above the threshold fail the check (inside the corpus: a duplicate; between corpus and dev
//! set: a leak that would inflate the dev figures).

use super::Example;
use super::taxonomy::Taxonomy;
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::collections::BTreeMap;

/// Targets the check enforces.
#[derive(Debug, Clone)]
pub struct Targets {
    /// Paragraphs carrying each topic in the corpus.
    pub per_topic: usize,
    /// Paragraphs per sub-theme (counted on the first topic).
    pub per_subtheme: usize,
    /// "none" paragraphs in the corpus.
    pub none: usize,
    /// Paragraphs whose first topic is each topic, in the dev set.
    pub dev_per_topic: usize,
    /// "none" paragraphs in the dev set.
    pub dev_none: usize,
    /// Shingle Jaccard similarity at or above which two paragraphs are near duplicates.
    pub near_duplicate: f64,
}

impl Default for Targets {
    fn default() -> Self {
        Targets {
            per_topic: 250,
            per_subtheme: 10,
            none: 400,
            dev_per_topic: 40,
            dev_none: 80,
            near_duplicate: 0.5,
        }
    }
}

/// Result of a check.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckReport {
    /// Problems that fail the check.
    pub failures: Vec<String>,
    /// Human-readable summary lines.
    pub summary: Vec<String>,
    /// Paragraphs carrying each topic ("none" for none) in the corpus.
    pub topic_counts: BTreeMap<String, usize>,
    /// Paragraphs per `topic/sub-theme`.
    pub subtheme_counts: BTreeMap<String, usize>,
    /// Highest similarity found inside the corpus, and between corpus and dev set.
    pub max_similarity_corpus: f64,
    /// Highest corpus–dev similarity.
    pub max_similarity_dev: f64,
}

impl CheckReport {
    /// True when nothing failed.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Word 3-gram shingles of a text, hashed and deduplicated (sorted).
fn shingles(text: &str) -> Vec<u64> {
    let words = crate::text::terms(text);
    let mut out: Vec<u64> = if words.len() < 3 {
        vec![hash_words(&words)]
    } else {
        words.windows(3).map(hash_words).collect()
    };
    out.sort_unstable();
    out.dedup();
    out
}

fn hash_words(words: &[String]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    words.hash(&mut h);
    h.finish()
}

/// Pairs `(i, j, similarity)` with `i` in `a`, `j` in `b` (or `j < i` inside `a` when `b` is
/// `None`) whose similarity is at least `floor`, plus the highest similarity seen.
fn similar_pairs(
    a: &[Vec<u64>],
    b: Option<&[Vec<u64>]>,
    floor: f64,
) -> (Vec<(usize, usize, f64)>, f64) {
    let other = b.unwrap_or(a);
    let mut postings: FxHashMap<u64, Vec<u32>> = FxHashMap::default();
    for (j, s) in other.iter().enumerate() {
        for h in s {
            postings.entry(*h).or_default().push(j as u32);
        }
    }
    let mut shared: FxHashMap<u32, u32> = FxHashMap::default();
    let mut found = Vec::new();
    let mut max = 0.0f64;
    for (i, s) in a.iter().enumerate() {
        shared.clear();
        for h in s {
            for &j in postings.get(h).map_or(&[][..], Vec::as_slice) {
                if b.is_some() || (j as usize) < i {
                    *shared.entry(j).or_insert(0) += 1;
                }
            }
        }
        for (&j, &n) in &shared {
            let union = s.len() + other[j as usize].len() - n as usize;
            let sim = n as f64 / union.max(1) as f64;
            max = max.max(sim);
            if sim >= floor {
                found.push((i, j as usize, sim));
            }
        }
    }
    found.sort_by(|x, y| y.2.total_cmp(&x.2).then((x.0, x.1).cmp(&(y.0, y.1))));
    (found, max)
}

fn count_sentences(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut n = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if matches!(b, b'.' | b'!' | b'?') {
            let next = bytes.get(i + 1);
            if next.is_none() || next.is_some_and(|c| c.is_ascii_whitespace()) {
                n += 1;
            }
        }
    }
    n.max(1)
}

/// Checks `corpus` (and `dev`, which may be empty) against `card` and `targets`.
pub fn check(
    card: &Taxonomy,
    corpus: &[Example],
    dev: &[Example],
    targets: &Targets,
) -> CheckReport {
    let mut r = CheckReport::default();
    let known = |t: &str| card.topics.contains_key(t) && t != "none";

    // Labels and sub-themes.
    for (set, examples) in [("corpus", corpus), ("dev", dev)] {
        for e in examples {
            for t in &e.topics {
                if !known(t) {
                    r.failures
                        .push(format!("{}: unknown topic {t:?} ({set})", e.origin));
                }
            }
            let first = e.topics.first().map_or("none", String::as_str);
            match &e.subtheme {
                None => r
                    .failures
                    .push(format!("{}: no sub-theme recorded ({set})", e.origin)),
                Some(s) => {
                    if card
                        .topics
                        .get(first)
                        .is_some_and(|subs| !subs.iter().any(|x| x == s))
                    {
                        r.failures.push(format!(
                            "{}: sub-theme {s:?} is not listed under {first} in the card ({set})",
                            e.origin
                        ));
                    }
                }
            }
        }
    }

    // Registers.
    if !card.registers.is_empty() {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for e in corpus.iter().chain(dev) {
            match e.register.as_deref() {
                Some(reg) if card.registers.iter().any(|x| x == reg) => {
                    *counts.entry(reg).or_default() += 1
                }
                Some(reg) => r.failures.push(format!(
                    "{}: register {reg:?} is not listed under Registers in the card",
                    e.origin
                )),
                None => r
                    .failures
                    .push(format!("{}: no register recorded", e.origin)),
            }
        }
        r.summary.push(format!(
            "registers (corpus and dev): {}",
            counts
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }

    // Coverage.
    for e in corpus {
        if e.topics.is_empty() {
            *r.topic_counts.entry("none".into()).or_default() += 1;
        }
        for t in &e.topics {
            *r.topic_counts.entry(t.clone()).or_default() += 1;
        }
        let first = e.topics.first().map_or("none", String::as_str);
        if let Some(s) = &e.subtheme {
            *r.subtheme_counts.entry(format!("{first}/{s}")).or_default() += 1;
        }
    }
    for (topic, subs) in &card.topics {
        let have = r.topic_counts.get(topic).copied().unwrap_or(0);
        let need = if topic == "none" {
            targets.none
        } else {
            targets.per_topic
        };
        if have < need {
            r.failures.push(format!(
                "{topic}: {have} corpus paragraphs, the target is {need}"
            ));
        }
        for s in subs {
            let have = r
                .subtheme_counts
                .get(&format!("{topic}/{s}"))
                .copied()
                .unwrap_or(0);
            if have < targets.per_subtheme {
                r.failures.push(format!(
                    "{topic}/{s}: {have} paragraphs, the target is {}",
                    targets.per_subtheme
                ));
            }
        }
    }
    if !dev.is_empty() {
        let mut dev_first: BTreeMap<&str, usize> = BTreeMap::new();
        for e in dev {
            *dev_first
                .entry(e.topics.first().map_or("none", String::as_str))
                .or_default() += 1;
        }
        for topic in card.topics.keys() {
            let have = dev_first.get(topic.as_str()).copied().unwrap_or(0);
            let need = if topic == "none" {
                targets.dev_none
            } else {
                targets.dev_per_topic
            };
            if have < need {
                r.failures.push(format!(
                    "dev {topic}: {have} paragraphs, the target is {need}"
                ));
            }
        }
    }

    // Lengths and shape.
    let mut words: Vec<usize> = corpus
        .iter()
        .map(|e| e.text.split_whitespace().count())
        .collect();
    words.sort_unstable();
    if let (Some(min), Some(max)) = (words.first(), words.last()) {
        let in_band = words.iter().filter(|w| (40..=120).contains(*w)).count();
        let two_to_four = corpus
            .iter()
            .filter(|e| (2..=4).contains(&count_sentences(&e.text)))
            .count();
        let two_topics = corpus.iter().filter(|e| e.topics.len() >= 2).count();
        r.summary.push(format!(
            "corpus: {} paragraphs; words min {min}, median {}, max {max}; {:.0}% in 40-120 words; \
             {:.0}% with 2-4 sentences; {:.1}% carry two or more topics",
            corpus.len(),
            words[words.len() / 2],
            100.0 * in_band as f64 / corpus.len() as f64,
            100.0 * two_to_four as f64 / corpus.len() as f64,
            100.0 * two_topics as f64 / corpus.len() as f64,
        ));
    }
    r.summary.push(format!(
        "topics: {}",
        r.topic_counts
            .iter()
            .map(|(t, n)| format!("{t} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    if let (Some(lo), Some(hi)) = (
        r.subtheme_counts.values().min(),
        r.subtheme_counts.values().max(),
    ) {
        r.summary.push(format!(
            "sub-themes: {} in use, {lo} to {hi} paragraphs each",
            r.subtheme_counts.len()
        ));
    }

    // Exact and near duplicates.
    let normal = |t: &str| crate::text::terms(t).join(" ");
    let mut seen: FxHashMap<String, &str> = FxHashMap::default();
    for e in corpus.iter().chain(dev) {
        if let Some(first) = seen.insert(normal(&e.text), &e.origin) {
            r.failures
                .push(format!("{}: exact duplicate of {first}", e.origin));
        }
    }
    let cs: Vec<Vec<u64>> = corpus.iter().map(|e| shingles(&e.text)).collect();
    let (pairs, max) = similar_pairs(&cs, None, targets.near_duplicate);
    r.max_similarity_corpus = max;
    for (i, j, sim) in pairs {
        r.failures.push(format!(
            "{} and {}: near duplicates (shingle Jaccard {sim:.2})",
            corpus[i].origin, corpus[j].origin
        ));
    }
    if !dev.is_empty() {
        let ds: Vec<Vec<u64>> = dev.iter().map(|e| shingles(&e.text)).collect();
        let (pairs, max) = similar_pairs(&ds, Some(&cs), targets.near_duplicate);
        r.max_similarity_dev = max;
        for (i, j, sim) in pairs {
            r.failures.push(format!(
                "{} leaks into the corpus as {} (shingle Jaccard {sim:.2})",
                dev[i].origin, corpus[j].origin
            ));
        }
        let (pairs, _) = similar_pairs(&ds, None, targets.near_duplicate);
        for (i, j, sim) in pairs {
            r.failures.push(format!(
                "{} and {}: near duplicates in the dev set (shingle Jaccard {sim:.2})",
                dev[i].origin, dev[j].origin
            ));
        }
    }
    r.summary.push(format!(
        "highest shingle similarity: {:.2} inside the corpus, {:.2} between corpus and dev set \
         (fail at {:.2})",
        r.max_similarity_corpus, r.max_similarity_dev, targets.near_duplicate
    ));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(text: &str, topics: &[&str], sub: &str, origin: &str) -> Example {
        Example {
            text: text.into(),
            topics: topics.iter().map(|s| s.to_string()).collect(),
            subtheme: Some(sub.into()),
            origin: origin.into(),
            ..Example::default()
        }
    }

    fn card() -> Taxonomy {
        Taxonomy::parse(
            "## trade\n### Sub-themes\n- `tariffs`: x\n## none\n### Genres\n- `football`: y\n",
        )
        .unwrap()
    }

    fn small_targets() -> Targets {
        Targets {
            per_topic: 1,
            per_subtheme: 1,
            none: 1,
            dev_per_topic: 0,
            dev_none: 0,
            near_duplicate: 0.5,
        }
    }

    #[test]
    fn a_clean_corpus_passes() {
        let corpus = [
            ex(
                "Tariffs on steel rose sharply this spring.",
                &["trade"],
                "tariffs",
                "c:1",
            ),
            ex(
                "The striker scored twice in the second half.",
                &[],
                "football",
                "c:2",
            ),
        ];
        let r = check(&card(), &corpus, &[], &small_targets());
        assert!(r.passed(), "{:?}", r.failures);
    }

    #[test]
    fn unknown_labels_missing_coverage_duplicates_and_leaks_fail() {
        let corpus = [
            ex(
                "Tariffs on steel rose sharply this spring after talks.",
                &["trade"],
                "tariffs",
                "c:1",
            ),
            ex(
                "Tariffs on steel rose sharply this spring after the talks.",
                &["trade"],
                "tariffs",
                "c:2",
            ),
            ex(
                "Something else entirely about the weather.",
                &["sport"],
                "weather",
                "c:3",
            ),
        ];
        let dev = [ex(
            "tariffs on STEEL rose sharply this spring after talks",
            &["trade"],
            "tariffs",
            "d:1",
        )];
        let r = check(&card(), &corpus, &dev, &small_targets());
        let all = r.failures.join("\n");
        assert!(all.contains("unknown topic \"sport\""), "{all}");
        assert!(all.contains("c:2 and c:1: near duplicates"), "{all}");
        assert!(all.contains("d:1: exact duplicate of c:1"), "{all}");
        assert!(all.contains("d:1 leaks into the corpus"), "{all}");
        assert!(all.contains("none: 0 corpus paragraphs"), "{all}");
        assert!(all.contains("none/football: 0 paragraphs"), "{all}");
    }
}
