//! Sparse scoring on the request path.
//!
//! For a text with features `x`, the logits are `z_k = b_k + Σ_j x_j · W[j, k]`, accumulated
//! over the text's non-zero features only (the weights of one term are contiguous). Buffers live
//! in a per-thread [`ScoreScratch`], so scoring allocates nothing per term.

use super::features::{Feature, Scratch};
use super::{Link, Model};
use std::cell::RefCell;

/// A term that raised a topic's score.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    /// The term (a word, or two words joined by a space).
    pub term: String,
    /// Its contribution to the topic's logit.
    pub weight: f32,
    /// Occurrences in the text.
    pub count: u32,
}

/// The model's answer for one text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Classification {
    /// Probability of each topic, in [`Model::topics`] order.
    pub scores: Vec<f32>,
    /// Probability that the text is about none of the topics.
    pub none_score: f32,
    /// Topic indices of the decision, best first.
    pub labels: Vec<usize>,
    /// Evidence per topic (in topic order); empty unless requested.
    pub evidence: Vec<Vec<Evidence>>,
}

impl Classification {
    /// The single best decision: the first label, or `None` for "none of the topics".
    pub fn top(&self) -> Option<usize> {
        self.labels.first().copied()
    }

    /// Topic indices sorted by score, best first (ties by index).
    pub fn ranked(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.scores.len()).collect();
        order.sort_by(|&a, &b| self.scores[b].total_cmp(&self.scores[a]).then(a.cmp(&b)));
        order
    }
}

/// Reusable buffers for scoring.
#[derive(Debug, Default)]
pub struct ScoreScratch {
    /// Feature buffers.
    pub features: Scratch,
    logits: Vec<f32>,
    contributions: Vec<(f32, u32, u32)>,
}

thread_local! {
    static SCRATCH: RefCell<ScoreScratch> = RefCell::new(ScoreScratch::default());
}

impl Model {
    /// Classifies `text`, with up to `evidence` evidence terms per topic (0 for none), using
    /// this thread's scratch buffers.
    pub fn classify(&self, text: &str, evidence: usize) -> Classification {
        SCRATCH.with(|s| match s.try_borrow_mut() {
            Ok(mut scratch) => self.classify_with(text, evidence, &mut scratch),
            // Re-entrant use on one thread (never in paratag): fall back to fresh buffers.
            Err(_) => self.classify_with(text, evidence, &mut ScoreScratch::default()),
        })
    }

    /// Classifies `text` using the caller's scratch buffers.
    pub fn classify_with(
        &self,
        text: &str,
        evidence: usize,
        scratch: &mut ScoreScratch,
    ) -> Classification {
        let mut c = Classification::default();
        self.classify_into(text, evidence, scratch, &mut c);
        c
    }

    /// Classifies `text` into `out`, reusing its vectors: with a reused `out` and scratch,
    /// classifying allocates nothing at all (for callers scoring streams of texts in process).
    pub fn classify_into(
        &self,
        text: &str,
        evidence: usize,
        scratch: &mut ScoreScratch,
        out: &mut Classification,
    ) {
        self.featurizer().transform(text, &mut scratch.features);
        let probs = self.output_probabilities(&scratch.features.features, &mut scratch.logits);
        self.decide(probs, out);
        out.evidence.clear();
        if evidence > 0 {
            out.evidence = (0..self.topics().len())
                .map(|t| self.evidence_for(t, evidence, scratch))
                .collect();
        }
    }

    /// Probabilities of each linear output for the given features, computed into `logits`.
    pub fn output_probabilities<'a>(
        &self,
        features: &[Feature],
        logits: &'a mut Vec<f32>,
    ) -> &'a [f32] {
        let k = self.outputs().len();
        logits.clear();
        logits.extend_from_slice(self.bias());
        let w = self.weights();
        for f in features {
            let row = &w[f.index as usize * k..(f.index as usize + 1) * k];
            for (z, wk) in logits.iter_mut().zip(row) {
                *z += f.value * wk;
            }
        }
        match self.link() {
            Link::Softmax => {
                let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let mut sum = 0.0;
                for z in logits.iter_mut() {
                    *z = (*z - max).exp();
                    sum += *z;
                }
                for z in logits.iter_mut() {
                    *z /= sum;
                }
            }
            Link::Sigmoid => {
                for z in logits.iter_mut() {
                    *z = 1.0 / (1.0 + (-*z).exp());
                }
            }
        }
        logits
    }

    /// Turns output probabilities into topic scores and a decision.
    fn decide(&self, probs: &[f32], c: &mut Classification) {
        let scores = &mut c.scores;
        scores.clear();
        scores.resize(self.topics().len(), 0.0);
        let mut none_score = match self.link() {
            Link::Softmax => 0.0,
            Link::Sigmoid => 1.0,
        };
        for (o, p) in self.outputs().iter().zip(probs) {
            match o {
                Some(t) => {
                    scores[*t] = *p;
                    if self.link() == Link::Sigmoid {
                        none_score *= 1.0 - p;
                    }
                }
                None => none_score = *p,
            }
        }
        c.none_score = none_score;
        self.decision()
            .labels(&c.scores, none_score, self.thresholds(), &mut c.labels);
    }

    /// The `n` features of the last transformed text that raised topic `topic` most.
    ///
    /// With a softmax link a term raises a topic by how much its weight for that topic exceeds
    /// its mean weight over all outputs (softmax ignores a shift common to all outputs).
    fn evidence_for(&self, topic: usize, n: usize, scratch: &mut ScoreScratch) -> Vec<Evidence> {
        let k = self.outputs().len();
        let Some(out) = self.outputs().iter().position(|o| *o == Some(topic)) else {
            return Vec::new();
        };
        let w = self.weights();
        scratch.contributions.clear();
        for f in &scratch.features.features {
            let row = &w[f.index as usize * k..(f.index as usize + 1) * k];
            let centre = match self.link() {
                Link::Softmax => row.iter().sum::<f32>() / k as f32,
                Link::Sigmoid => 0.0,
            };
            let c = f.value * (row[out] - centre);
            if c > 0.0 {
                scratch.contributions.push((c, f.index, f.count));
            }
        }
        scratch
            .contributions
            .sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scratch
            .contributions
            .iter()
            .take(n)
            .map(|&(weight, index, count)| Evidence {
                term: self.featurizer().terms()[index as usize].clone(),
                weight,
                count,
            })
            .collect()
    }
}
