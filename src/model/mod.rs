//! The topic model: features, scoring, training with linfa, evaluation and the model file.
//!
//! A [`Model`] is a linear model over the sparse features of a [`features::Featurizer`]:
//! `z = W·x + b`, turned into probabilities by a [`Link`] (softmax over classes, or one sigmoid
//! per topic), then into labels by a [`Decision`] rule. Training (in [`train`]) fits `W` and `b`
//! with linfa on a dense matrix; serving (in [`score`]) evaluates the same function sparsely.

pub mod features;
pub mod format;
pub mod metrics;
pub mod recipe;
pub mod score;
pub mod train;

use crate::corpus::is_valid_topic_id;
use features::Featurizer;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use score::{Classification, Evidence};

/// The default model shipped in `models/default.ptm`, embedded in the binary at build time.
pub static DEFAULT_MODEL_BYTES: &[u8] = include_bytes!("../../models/default.ptm");

/// Name used for the embedded default model in messages.
pub const DEFAULT_MODEL_SOURCE: &str = "embedded default model (models/default.ptm)";

/// Decodes and validates the embedded default model.
pub fn default_model() -> crate::error::Result<Model> {
    format::from_bytes(DEFAULT_MODEL_BYTES, DEFAULT_MODEL_SOURCE)
}

/// How linear scores become probabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Link {
    /// One softmax over all outputs (multinomial logistic regression, naive Bayes); topics
    /// compete, and an optional "none" output absorbs text about no topic.
    Softmax,
    /// An independent sigmoid per topic (one-vs-rest logistic regression).
    Sigmoid,
}

/// How probabilities become labels; [`Decision::labels`] is the rule, in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Exactly one label, the best topic (single-label data without a "none" class); the
    /// thresholds are not used.
    Argmax,
    /// Every topic whose probability reaches its own threshold, best first; none when no topic
    /// does (one-vs-rest models, and softmax models without a "none" class).
    Thresholds,
    /// The best topic is a label when its probability is above the "none" probability; every
    /// topic whose probability reaches its own threshold is a label too, even when "none" is
    /// the most probable output. Softmax models with a "none" class built before
    /// [`Decision::MostProbableThenThresholds`].
    BestThenThresholds,
    /// The most probable output decides: when it is "none" (its probability is at least every
    /// topic's), there is no label; when it is a topic, that topic is the first label and every
    /// other topic whose probability reaches its own threshold is added. Softmax models with a
    /// "none" class.
    MostProbableThenThresholds,
}

impl Decision {
    /// Writes into `labels` the topics labelled under this rule, best first (ties by index),
    /// from the topic probabilities, the "none" probability and the per-topic thresholds.
    pub fn labels(
        self,
        scores: &[f32],
        none_score: f32,
        thresholds: &[f32],
        labels: &mut Vec<usize>,
    ) {
        labels.clear();
        let best = (0..scores.len()).reduce(|a, b| {
            if scores[b].total_cmp(&scores[a]).is_gt() {
                b
            } else {
                a
            }
        });
        match self {
            Decision::Argmax => labels.extend(best),
            Decision::Thresholds | Decision::BestThenThresholds => {
                let forced = best
                    .filter(|&t| self == Decision::BestThenThresholds && scores[t] > none_score);
                labels.extend(
                    (0..scores.len()).filter(|&t| Some(t) == forced || scores[t] >= thresholds[t]),
                );
            }
            Decision::MostProbableThenThresholds => {
                if let Some(first) = best.filter(|&t| scores[t] > none_score) {
                    labels.extend(
                        (0..scores.len()).filter(|&t| t == first || scores[t] >= thresholds[t]),
                    );
                }
            }
        }
        labels.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    }
}

/// Quality figures stored with a model and reported by `GetModelInfo`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EvalSummary {
    /// How the figures were measured.
    pub method: String,
    /// Top-1 accuracy (see [`metrics`]).
    pub accuracy: f64,
    /// Mean per-class F1.
    pub macro_f1: f64,
    /// Per-class figures.
    pub classes: Vec<metrics::ClassMetrics>,
}

/// Descriptive metadata stored in the model file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelMeta {
    /// Model name, e.g. `paratag-default`.
    pub name: String,
    /// Training time, RFC 3339 UTC.
    pub trained_at: String,
    /// Number of labelled paragraphs trained on.
    pub corpus_size: u32,
    /// Learner and settings, in words.
    pub algorithm: String,
    /// Hash of everything the model was built from (recipe, data, feature code version); a
    /// model is stale when this differs from a fresh computation.
    pub fingerprint: String,
    /// Cross-validated quality, when measured at training time.
    pub evaluation: Option<EvalSummary>,
    /// One-line description of each topic.
    pub descriptions: BTreeMap<String, String>,
}

/// A trained topic model, ready to score text.
#[derive(Debug, Clone)]
pub struct Model {
    meta: ModelMeta,
    topics: Vec<String>,
    featurizer: Featurizer,
    link: Link,
    decision: Decision,
    /// For each linear output, the topic index it scores, or `None` for the "none" class.
    outputs: Vec<Option<usize>>,
    /// `terms × outputs`, row-major: the weights of one term are contiguous.
    weights: Vec<f32>,
    bias: Vec<f32>,
    /// Per-topic decision thresholds (probabilities).
    thresholds: Vec<f32>,
    version: String,
}

/// The parts of a model, as produced by training or read from a file.
#[derive(Debug, Clone)]
pub struct ModelParts {
    /// Metadata.
    pub meta: ModelMeta,
    /// Topic ids, in output order of `thresholds`.
    pub topics: Vec<String>,
    /// The feature transform.
    pub featurizer: Featurizer,
    /// Probability link.
    pub link: Link,
    /// Decision rule.
    pub decision: Decision,
    /// Topic index of each output (`None`: the "none" class).
    pub outputs: Vec<Option<usize>>,
    /// `terms × outputs` weights, row-major.
    pub weights: Vec<f32>,
    /// One bias per output.
    pub bias: Vec<f32>,
    /// One threshold per topic.
    pub thresholds: Vec<f32>,
}

impl Model {
    /// Assembles a model, checking every dimension and value; `version` is stored as given.
    pub fn from_parts(p: ModelParts, version: String) -> Result<Model, String> {
        let k = p.outputs.len();
        if p.topics.is_empty() {
            return Err("the model has no topics".into());
        }
        for (i, t) in p.topics.iter().enumerate() {
            if !is_valid_topic_id(t) || p.topics[..i].contains(t) {
                return Err(format!("invalid or repeated topic id {t:?}"));
            }
        }
        if p.bias.len() != k || p.weights.len() != k * p.featurizer.len() {
            return Err(format!(
                "weights do not match: {} outputs, {} terms, {} weights, {} biases",
                k,
                p.featurizer.len(),
                p.weights.len(),
                p.bias.len()
            ));
        }
        let mut covered = vec![false; p.topics.len()];
        let mut nones = 0;
        for o in &p.outputs {
            match o {
                Some(t) if *t < p.topics.len() && !covered[*t] => covered[*t] = true,
                None => nones += 1,
                _ => return Err("outputs do not map one-to-one onto topics".into()),
            }
        }
        if covered.contains(&false) || nones > 1 || (p.link == Link::Sigmoid && nones > 0) {
            return Err("outputs do not map one-to-one onto topics".into());
        }
        if p.thresholds.len() != p.topics.len()
            || p.thresholds.iter().any(|t| !(0.0..=1.0).contains(t))
        {
            return Err("there must be one threshold in [0, 1] per topic".into());
        }
        if p.weights.iter().chain(&p.bias).any(|w| !w.is_finite()) {
            return Err("weights contain a value that is not finite".into());
        }
        Ok(Model {
            meta: p.meta,
            topics: p.topics,
            featurizer: p.featurizer,
            link: p.link,
            decision: p.decision,
            outputs: p.outputs,
            weights: p.weights,
            bias: p.bias,
            thresholds: p.thresholds,
            version,
        })
    }

    /// Metadata (name, training date, evaluation…).
    pub fn meta(&self) -> &ModelMeta {
        &self.meta
    }

    /// A copy of the model's parts (to re-seal it with changed metadata or thresholds).
    pub fn to_parts(&self) -> ModelParts {
        ModelParts {
            meta: self.meta.clone(),
            topics: self.topics.clone(),
            featurizer: self.featurizer.clone(),
            link: self.link,
            decision: self.decision,
            outputs: self.outputs.clone(),
            weights: self.weights.clone(),
            bias: self.bias.clone(),
            thresholds: self.thresholds.clone(),
        }
    }

    /// The version string of this model (see [`format`]).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Topic ids, in the order of [`Classification::scores`].
    pub fn topics(&self) -> &[String] {
        &self.topics
    }

    /// The topic ids of a classification's labels, best first.
    pub fn label_names(&self, c: &Classification) -> Vec<String> {
        c.labels.iter().map(|&t| self.topics[t].clone()).collect()
    }

    /// Index of a topic id.
    pub fn topic_index(&self, id: &str) -> Option<usize> {
        self.topics.iter().position(|t| t == id)
    }

    /// Decision thresholds, one per topic.
    pub fn thresholds(&self) -> &[f32] {
        &self.thresholds
    }

    /// The feature transform.
    pub fn featurizer(&self) -> &Featurizer {
        &self.featurizer
    }

    /// Probability link.
    pub fn link(&self) -> Link {
        self.link
    }

    /// Decision rule.
    pub fn decision(&self) -> Decision {
        self.decision
    }

    /// Topic index of each linear output (`None` for the "none" class).
    pub fn outputs(&self) -> &[Option<usize>] {
        &self.outputs
    }

    /// Weights, `terms × outputs` row-major.
    pub fn weights(&self) -> &[f32] {
        &self.weights
    }

    /// Biases, one per output.
    pub fn bias(&self) -> &[f32] {
        &self.bias
    }

    /// True when the model can say "none of the topics".
    pub fn can_abstain(&self) -> bool {
        self.decision != Decision::Argmax
    }

    /// True when two models compute the same function (same vocabulary, weights, thresholds),
    /// whatever their metadata.
    pub fn same_parameters(&self, other: &Model) -> bool {
        self.topics == other.topics
            && self.featurizer.config() == other.featurizer.config()
            && self.featurizer.terms() == other.featurizer.terms()
            && self.featurizer.idf() == other.featurizer.idf()
            && self.link == other.link
            && self.decision == other.decision
            && self.outputs == other.outputs
            && self.weights == other.weights
            && self.bias == other.bias
            && self.thresholds == other.thresholds
    }
}
