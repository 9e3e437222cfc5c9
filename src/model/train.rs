//! Training with linfa, threshold selection on held-out folds, and cross-validation.
//!
//! linfa's learners take dense matrices, so the [`Featurizer`] builds a dense `f32` matrix of the
//! training paragraphs; the fitted coefficients are exported into paratag's own sparse
//! [`Model`]. Multi-label paragraphs become one training row per topic for the softmax learners
//! (multinomial logistic regression, naive Bayes) and a positive for each of their topics in the
//! one-vs-rest learner.

use super::features::{FeatureConfig, Featurizer, Weighting};
use super::metrics::{self, Report};
use super::{Classification, Decision, EvalSummary, Link, Model, ModelMeta, ModelParts, format};
use crate::corpus::Example;
use crate::error::{Error, Result};
use linfa::DatasetBase;
use linfa::traits::Fit;
use ndarray::{Array1, Array2, Axis};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A linfa learner and its hyperparameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Learner {
    /// `linfa_logistic::MultiLogisticRegression` (softmax over topics and "none").
    Logistic {
        /// L2 penalty `alpha` (linfa's loss is a sum over rows plus `alpha/2 · ‖W‖²`).
        alpha: f32,
        /// L-BFGS iterations.
        max_iterations: u64,
    },
    /// One `linfa_logistic::LogisticRegression` per topic (independent sigmoids).
    OvrLogistic {
        /// L2 penalty, as for `Logistic`.
        alpha: f32,
        /// L-BFGS iterations per topic.
        max_iterations: u64,
    },
    /// `linfa_bayes::MultinomialNb` on raw term counts.
    NaiveBayes {
        /// Additive (Laplace/Lidstone) smoothing.
        alpha: f32,
    },
}

impl Learner {
    /// The regularisation (logistic) or smoothing (naive Bayes) strength.
    pub fn alpha(&self) -> f32 {
        match self {
            Learner::Logistic { alpha, .. }
            | Learner::OvrLogistic { alpha, .. }
            | Learner::NaiveBayes { alpha } => *alpha,
        }
    }

    /// L-BFGS iterations (None for naive Bayes, which fits in closed form).
    pub fn max_iterations(&self) -> Option<u64> {
        match self {
            Learner::Logistic { max_iterations, .. }
            | Learner::OvrLogistic { max_iterations, .. } => Some(*max_iterations),
            Learner::NaiveBayes { .. } => None,
        }
    }

    /// A short description for model cards and `GetModelInfo`.
    pub fn describe(&self) -> String {
        match self {
            Learner::Logistic {
                alpha,
                max_iterations,
            } => format!(
                "linfa-logistic MultiLogisticRegression (alpha={alpha}, {max_iterations} L-BFGS iterations)"
            ),
            Learner::OvrLogistic {
                alpha,
                max_iterations,
            } => format!(
                "one-vs-rest linfa-logistic LogisticRegression (alpha={alpha}, {max_iterations} L-BFGS iterations)"
            ),
            Learner::NaiveBayes { alpha } => format!("linfa-bayes MultinomialNb (alpha={alpha})"),
        }
    }
}

/// Everything that decides how a model is trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Feature settings.
    pub features: FeatureConfig,
    /// The learner.
    pub learner: Learner,
    /// For softmax learners: give "none" paragraphs their own output (true), or leave them out
    /// of fitting and let thresholds decide when no topic applies (false).
    pub none_class: bool,
    /// Folds of out-of-fold predictions used to choose the per-topic thresholds.
    pub threshold_folds: u32,
    /// What the thresholds are chosen to maximise.
    #[serde(default)]
    pub threshold_objective: ThresholdObjective,
    /// Seed for fold assignment.
    pub seed: u64,
    /// Worker threads for independent fits (folds, one-vs-rest topics); 0 = all cores.
    pub threads: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            features: FeatureConfig::default(),
            learner: Learner::Logistic {
                alpha: 0.1,
                max_iterations: 200,
            },
            none_class: true,
            threshold_folds: 3,
            threshold_objective: ThresholdObjective::default(),
            seed: 42,
            threads: 0,
        }
    }
}

/// What per-topic thresholds are chosen to maximise on out-of-fold predictions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdObjective {
    /// Each topic's own F1.
    #[default]
    F1,
    /// Top-1 accuracy over all paragraphs ("none" included), starting from the F1 thresholds.
    Accuracy,
}

impl std::str::FromStr for ThresholdObjective {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "f1" => Ok(ThresholdObjective::F1),
            "accuracy" => Ok(ThresholdObjective::Accuracy),
            other => Err(format!(
                "{other:?} is not a threshold objective; use f1 or accuracy"
            )),
        }
    }
}

/// Metadata to attach to a trained model.
#[derive(Debug, Clone, Default)]
pub struct TrainMeta {
    /// Model name.
    pub name: String,
    /// Training time (RFC 3339).
    pub trained_at: String,
    /// Fingerprint of the inputs.
    pub fingerprint: String,
    /// Topic descriptions.
    pub descriptions: BTreeMap<String, String>,
}

/// The topic list of a data set, sorted.
pub fn topics_of(examples: &[Example]) -> Vec<String> {
    let mut topics: Vec<String> = examples
        .iter()
        .flat_map(|e| e.topics.iter().cloned())
        .collect();
    topics.sort();
    topics.dedup();
    topics
}

/// Trains a model on `examples`: fits the vocabulary and the learner, then chooses per-topic
/// thresholds from out-of-fold predictions when the model makes multi-label decisions.
pub fn train(examples: &[Example], cfg: &TrainConfig, meta: &TrainMeta) -> Result<Model> {
    let topics = topics_of(examples);
    if topics.is_empty() {
        return Err(Error::Training(
            "the data has no topic labels: at least one paragraph needs a topic".into(),
        ));
    }
    let decision = decision_for(examples, cfg);
    let mut model = fit_once(examples, &topics, cfg, decision, meta)?;
    if decision != Decision::Argmax {
        let thresholds = choose_thresholds(examples, &topics, cfg, meta)?;
        let mut parts = model.to_parts();
        parts.thresholds = thresholds;
        model = format::seal(parts)?;
    }
    Ok(model)
}

/// Single-label data without "none" paragraphs gets argmax; a softmax model with a "none"
/// class lets its most probable output decide first; every other model uses thresholds alone.
fn decision_for(examples: &[Example], cfg: &TrainConfig) -> Decision {
    let has_none = examples.iter().any(|e| e.topics.is_empty());
    if !has_none && examples.iter().all(|e| e.topics.len() == 1) {
        Decision::Argmax
    } else if has_none && cfg.none_class && !matches!(cfg.learner, Learner::OvrLogistic { .. }) {
        Decision::MostProbableThenThresholds
    } else {
        Decision::Thresholds
    }
}

/// Fits vocabulary and learner once, with default thresholds of 0.5.
fn fit_once(
    examples: &[Example],
    topics: &[String],
    cfg: &TrainConfig,
    decision: Decision,
    meta: &TrainMeta,
) -> Result<Model> {
    let mut features = cfg.features.clone();
    if matches!(cfg.learner, Learner::NaiveBayes { .. }) {
        features.weighting = Weighting::Counts;
    }
    let texts: Vec<&str> = examples.iter().map(|e| e.text.as_str()).collect();
    let topic_ids: Vec<Vec<usize>> = examples
        .iter()
        .map(|e| {
            e.topics
                .iter()
                .filter_map(|t| topics.iter().position(|x| x == t))
                .collect()
        })
        .collect();
    // For feature selection "none" paragraphs form their own class.
    let classes: Vec<Vec<usize>> = topic_ids
        .iter()
        .map(|ts| {
            if ts.is_empty() {
                vec![topics.len()]
            } else {
                ts.clone()
            }
        })
        .collect();
    let featurizer =
        Featurizer::fit_labelled(&features, &texts, &classes).map_err(Error::Training)?;
    check_memory(
        texts.len()
            + classes
                .iter()
                .map(|c| c.len().saturating_sub(1))
                .sum::<usize>(),
        featurizer.len(),
    )?;
    let x = featurizer.dense(&texts);
    let n = topics.len();
    let fitted = match &cfg.learner {
        Learner::Logistic {
            alpha,
            max_iterations,
        } => export_multinomial(
            &fit_multinomial(&x, &topic_ids, n, cfg.none_class, *alpha, *max_iterations)?,
            n,
        )?,
        Learner::OvrLogistic {
            alpha,
            max_iterations,
        } => export_ovr(&fit_ovr(
            &x,
            &topic_ids,
            n,
            *alpha,
            *max_iterations,
            cfg.threads,
        )?)?,
        Learner::NaiveBayes { alpha } => export_naive_bayes(
            &fit_naive_bayes(&x, &topic_ids, n, cfg.none_class, *alpha)?,
            x.ncols(),
            n,
        )?,
    };
    let algorithm = format!(
        "{}; {} features ({}, min_df={}, max_df={}, max_features={}, chi2 select={}{}{})",
        cfg.learner.describe(),
        featurizer.len(),
        if features.ngrams == 2 {
            "words and word pairs"
        } else {
            "words"
        },
        features.min_df,
        features.max_df,
        features.max_features,
        features.select,
        match features.weighting {
            Weighting::TfIdf if features.sublinear_tf => ", sublinear tf-idf, L2-normalised",
            Weighting::TfIdf => ", tf-idf, L2-normalised",
            Weighting::Counts => ", raw counts",
        },
        if features.stopwords.is_empty() {
            ""
        } else {
            ", stopwords removed"
        }
    );
    format::seal(ModelParts {
        meta: ModelMeta {
            name: meta.name.clone(),
            trained_at: meta.trained_at.clone(),
            corpus_size: examples.len() as u32,
            algorithm,
            fingerprint: meta.fingerprint.clone(),
            evaluation: None,
            descriptions: meta.descriptions.clone(),
        },
        topics: topics.to_vec(),
        featurizer,
        link: fitted.link,
        decision,
        outputs: fitted.outputs,
        weights: fitted.weights,
        bias: fitted.bias,
        thresholds: vec![0.5; topics.len()],
    })
}

/// Bytes of memory this process may use for the dense training matrix, from
/// `PARATAG_TRAIN_MEMORY` (bytes) or else the machine's available memory.
fn memory_budget() -> u64 {
    if let Some(v) = std::env::var("PARATAG_TRAIN_MEMORY")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        return v;
    }
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemAvailable:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(u64::MAX, |kb| kb * 1024)
}

/// linfa's learners need the dense `rows × terms` matrix, in f32, plus a row-selected copy and
/// the optimiser's working set: refuse up front, with the numbers, instead of being killed by
/// the kernel's out-of-memory handler halfway through.
fn check_memory(rows: usize, terms: usize) -> Result<()> {
    let need = (rows as u64) * (terms as u64) * 4 * 3;
    let budget = memory_budget();
    if need > budget {
        return Err(Error::Training(format!(
            "the dense training matrix needs about {:.1} GiB ({rows} rows × {terms} terms × 4 bytes, \
             three copies) but {:.1} GiB is available; lower --max-features or --select, or \
             raise --min-df",
            need as f64 / (1u64 << 30) as f64,
            budget as f64 / (1u64 << 30) as f64
        )));
    }
    Ok(())
}

/// Coefficients exported from a linfa model.
struct Fitted {
    link: Link,
    outputs: Vec<Option<usize>>,
    weights: Vec<f32>,
    bias: Vec<f32>,
}

/// Training rows for softmax learners: one row per (paragraph, topic), plus "none" rows.
/// Class `n_topics` stands for "none".
fn softmax_rows(
    topic_ids: &[Vec<usize>],
    n_topics: usize,
    none_class: bool,
) -> (Vec<usize>, Vec<usize>) {
    let mut rows = Vec::new();
    let mut y = Vec::new();
    for (i, ts) in topic_ids.iter().enumerate() {
        if ts.is_empty() {
            if none_class {
                rows.push(i);
                y.push(n_topics);
            }
        } else {
            for &t in ts {
                rows.push(i);
                y.push(t);
            }
        }
    }
    (rows, y)
}

fn output_map(classes: &[usize], n_topics: usize) -> Result<Vec<Option<usize>>> {
    let outputs: Vec<Option<usize>> = classes
        .iter()
        .map(|&c| (c < n_topics).then_some(c))
        .collect();
    if outputs.iter().flatten().count() != n_topics {
        return Err(Error::Training(
            "every topic needs at least one training paragraph in each fit".into(),
        ));
    }
    Ok(outputs)
}

fn fit_multinomial(
    x: &Array2<f32>,
    topic_ids: &[Vec<usize>],
    n_topics: usize,
    none_class: bool,
    alpha: f32,
    max_iterations: u64,
) -> Result<linfa_logistic::MultiFittedLogisticRegression<f32, usize>> {
    let (rows, y) = softmax_rows(topic_ids, n_topics, none_class);
    let xr = x.select(Axis(0), &rows);
    let data = DatasetBase::new(xr, Array1::from(y));
    linfa_logistic::MultiLogisticRegression::default()
        .alpha(alpha)
        .max_iterations(max_iterations)
        .fit(&data)
        .map_err(|e| Error::Training(format!("logistic regression: {e}")))
}

/// Exports a multinomial model: `params()` is `terms × classes`, already row-major by term.
fn export_multinomial(
    m: &linfa_logistic::MultiFittedLogisticRegression<f32, usize>,
    n_topics: usize,
) -> Result<Fitted> {
    Ok(Fitted {
        link: Link::Softmax,
        outputs: output_map(m.classes(), n_topics)?,
        weights: m.params().iter().copied().collect(),
        bias: m.intercept().to_vec(),
    })
}

fn fit_ovr(
    x: &Array2<f32>,
    topic_ids: &[Vec<usize>],
    n_topics: usize,
    alpha: f32,
    max_iterations: u64,
    threads: usize,
) -> Result<Vec<linfa_logistic::FittedLogisticRegression<f32, bool>>> {
    parallel_map((0..n_topics).collect(), threads, |t| {
        let y: Array1<bool> = topic_ids.iter().map(|ts| ts.contains(&t)).collect();
        let data = DatasetBase::new(x.view(), y);
        linfa_logistic::LogisticRegression::default()
            .alpha(alpha)
            .max_iterations(max_iterations)
            .fit(&data)
            .map_err(|e| Error::Training(format!("logistic regression for topic {t}: {e}")))
    })
}

/// Exports one-vs-rest models: one weight column and bias per topic.
fn export_ovr(models: &[linfa_logistic::FittedLogisticRegression<f32, bool>]) -> Result<Fitted> {
    let n_topics = models.len();
    let v = models.first().map_or(0, |m| m.params().len());
    let mut weights = vec![0.0f32; v * n_topics];
    let mut bias = Vec::with_capacity(n_topics);
    for (t, m) in models.iter().enumerate() {
        // linfa scores its "positive" label, which is the MORE FREQUENT of the two (usually
        // `false` here). P(true) = σ(z) if `true` is positive, else 1 − σ(z) = σ(−z).
        let sign = if m.labels().pos.class { 1.0 } else { -1.0 };
        for (j, wj) in m.params().iter().enumerate() {
            weights[j * n_topics + t] = sign * *wj;
        }
        bias.push(sign * m.intercept());
    }
    Ok(Fitted {
        link: Link::Sigmoid,
        outputs: (0..n_topics).map(Some).collect(),
        weights,
        bias,
    })
}

fn fit_naive_bayes(
    x: &Array2<f32>,
    topic_ids: &[Vec<usize>],
    n_topics: usize,
    none_class: bool,
    alpha: f32,
) -> Result<linfa_bayes::MultinomialNb<f64, usize>> {
    let (rows, y) = softmax_rows(topic_ids, n_topics, none_class);
    let xr = x.select(Axis(0), &rows).mapv(f64::from);
    let data = DatasetBase::new(xr, Array1::from(y));
    // linfa-bayes 0.8.1 prints every class histogram to stderr with a leftover `dbg!`.
    let _quiet = quiet_stderr::Guard::new();
    linfa_bayes::MultinomialNb::params()
        .alpha(f64::from(alpha))
        .fit(&data)
        .map_err(|e| Error::Training(format!("naive Bayes: {e}")))
}

/// Exports naive Bayes: the joint log-likelihood is linear in the counts, so probing it at the
/// zero vector gives the biases and at each unit vector the weights of one term.
fn export_naive_bayes(
    model: &linfa_bayes::MultinomialNb<f64, usize>,
    v: usize,
    n_topics: usize,
) -> Result<Fitted> {
    use linfa_bayes::NaiveBayes;
    let zero = Array2::<f64>::zeros((1, v));
    let base = model.joint_log_likelihood(zero.view());
    let mut classes: Vec<usize> = base.keys().map(|c| **c).collect();
    classes.sort_unstable();
    let k = classes.len();
    let bias: Vec<f32> = classes.iter().map(|c| base[c][0] as f32).collect();
    let mut weights = vec![0.0f32; v * k];
    const CHUNK: usize = 512;
    let mut start = 0;
    while start < v {
        let n = CHUNK.min(v - start);
        let mut probe = Array2::<f64>::zeros((n, v));
        for i in 0..n {
            probe[[i, start + i]] = 1.0;
        }
        let jll = model.joint_log_likelihood(probe.view());
        for (ci, c) in classes.iter().enumerate() {
            let col = &jll[c];
            for i in 0..n {
                weights[(start + i) * k + ci] = (col[i] - base[c][0]) as f32;
            }
        }
        start += n;
    }
    Ok(Fitted {
        link: Link::Softmax,
        outputs: output_map(&classes, n_topics)?,
        weights,
        bias,
    })
}

/// Silences the process's stderr while any guard is alive (for a noisy dependency). Only used
/// around a fit, on the command line and in tests, never while serving. Guards may overlap
/// across threads: the first one redirects, the last one to drop restores.
mod quiet_stderr {
    use std::sync::Mutex;

    /// (live guards, saved descriptor of the real stderr)
    static STATE: Mutex<(usize, i32)> = Mutex::new((0, -1));

    /// Restores stderr when the last guard drops.
    pub struct Guard(());

    impl Guard {
        pub fn new() -> Option<Guard> {
            let mut state = STATE.lock().ok()?;
            if state.0 == 0 {
                // SAFETY: plain POSIX fd calls on descriptors we own; failures leave stderr as is.
                unsafe {
                    let saved = libc::dup(2);
                    if saved < 0 {
                        return None;
                    }
                    let null = libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY);
                    if null < 0 {
                        libc::close(saved);
                        return None;
                    }
                    libc::dup2(null, 2);
                    libc::close(null);
                    state.1 = saved;
                }
            }
            state.0 += 1;
            Some(Guard(()))
        }
    }

    impl Drop for Guard {
        fn drop(&mut self) {
            let Ok(mut state) = STATE.lock() else { return };
            state.0 -= 1;
            if state.0 == 0 {
                // SAFETY: `state.1` is the descriptor saved by the first guard and owned here.
                unsafe {
                    libc::dup2(state.1, 2);
                    libc::close(state.1);
                }
                state.1 = -1;
            }
        }
    }
}

/// Runs `f` over `items` on up to `threads` threads (0 = all cores), keeping the input order.
pub fn parallel_map<T: Send, R: Send>(
    items: Vec<T>,
    threads: usize,
    f: impl Fn(T) -> Result<R> + Sync,
) -> Result<Vec<R>> {
    let threads = if threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        threads
    }
    .min(items.len().max(1));
    if threads <= 1 {
        return items.into_iter().map(f).collect();
    }
    let n = items.len();
    let queue = std::sync::Mutex::new(items.into_iter().enumerate());
    let results: Vec<std::sync::Mutex<Option<Result<R>>>> =
        (0..n).map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let next = match queue.lock() {
                        Ok(mut q) => q.next(),
                        Err(_) => None,
                    };
                    let Some((i, item)) = next else { break };
                    let r = f(item);
                    if let Ok(mut slot) = results[i].lock() {
                        *slot = Some(r);
                    }
                }
            });
        }
    });
    results
        .into_iter()
        .map(|m| {
            m.into_inner()
                .ok()
                .flatten()
                .unwrap_or_else(|| Err(Error::Internal("a training worker failed".into())))
        })
        .collect()
}

/// Deterministic fold of each example: stratified by first topic ("none" for none), shuffled
/// with `seed`, dealt round-robin so folds have near-equal size and class balance.
pub fn folds(examples: &[Example], k: usize, seed: u64) -> Vec<usize> {
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, e) in examples.iter().enumerate() {
        let key = e.topics.first().map_or("", String::as_str);
        groups.entry(key).or_default().push(i);
    }
    let mut rng = SplitMix64(seed);
    let mut fold = vec![0; examples.len()];
    let mut next = 0usize;
    for (_, mut idx) in groups {
        for i in (1..idx.len()).rev() {
            let j = (rng.next() % (i as u64 + 1)) as usize;
            idx.swap(i, j);
        }
        for i in idx {
            fold[i] = next % k.max(1);
            next += 1;
        }
    }
    fold
}

/// SplitMix64, a small deterministic generator for shuffling folds.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Out-of-fold classifications: every example scored by a model that did not see it.
fn out_of_fold(
    examples: &[Example],
    topics: &[String],
    cfg: &TrainConfig,
    k: usize,
    meta: &TrainMeta,
) -> Result<Vec<Classification>> {
    let decision = decision_for(examples, cfg);
    held_out(examples, k, cfg, |train| {
        fit_once(train, topics, &single_threaded(cfg), decision, meta)
    })
}

/// Splits `examples` into `k` folds (see [`folds`]) and classifies each fold with the model
/// `fit` builds from the other folds, the folds' fits running in parallel.
fn held_out(
    examples: &[Example],
    k: usize,
    cfg: &TrainConfig,
    fit: impl Fn(&[Example]) -> Result<Model> + Sync,
) -> Result<Vec<Classification>> {
    let assignment = folds(examples, k, cfg.seed);
    let per_fold = parallel_map((0..k).collect(), cfg.threads, |f| {
        let train: Vec<Example> = examples
            .iter()
            .zip(&assignment)
            .filter(|(_, a)| **a != f)
            .map(|(e, _)| e.clone())
            .collect();
        let model = fit(&train).map_err(|e| match e {
            Error::Training(m) => Error::Training(format!("fold {f}: {m}")),
            other => other,
        })?;
        Ok(examples
            .iter()
            .zip(&assignment)
            .enumerate()
            .filter(|(_, (_, a))| **a == f)
            .map(|(i, (e, _))| (i, model.classify(&e.text, 0)))
            .collect::<Vec<_>>())
    })?;
    let mut out: Vec<Option<Classification>> = vec![None; examples.len()];
    for (i, c) in per_fold.into_iter().flatten() {
        out[i] = Some(c);
    }
    out.into_iter()
        .map(|c| c.ok_or_else(|| Error::Internal("an example was in no fold".into())))
        .collect()
}

/// Within a parallel map over folds, each fit runs on one thread.
fn single_threaded(cfg: &TrainConfig) -> TrainConfig {
    TrainConfig {
        threads: 1,
        ..cfg.clone()
    }
}

/// Chooses the per-topic thresholds on out-of-fold predictions of the training data: first
/// each topic's F1-best threshold, then, with [`ThresholdObjective::Accuracy`], rounds of
/// coordinate ascent on top-1 accuracy starting from them.
fn choose_thresholds(
    examples: &[Example],
    topics: &[String],
    cfg: &TrainConfig,
    meta: &TrainMeta,
) -> Result<Vec<f32>> {
    let k = cfg.threshold_folds.max(2) as usize;
    let oof = out_of_fold(examples, topics, cfg, k, meta)?;
    let decision = decision_for(examples, cfg);
    let truth: Vec<Vec<usize>> = examples
        .iter()
        .map(|e| {
            e.topics
                .iter()
                .filter_map(|t| topics.iter().position(|x| x == t))
                .collect()
        })
        .collect();
    // What the rule does whatever the thresholds: the labels it gives when no threshold can be
    // reached, and those it can give at all when every threshold is reached.
    let forced = labels_with_every_threshold(decision, &oof, f32::INFINITY);
    let allowed = labels_with_every_threshold(decision, &oof, f32::NEG_INFINITY);
    let mut thresholds: Vec<f32> = (0..topics.len())
        .map(|t| {
            let has: Vec<bool> = truth.iter().map(|ts| ts.contains(&t)).collect();
            let column: Vec<f32> = oof.iter().map(|c| c.scores[t]).collect();
            let state: Vec<Reach> = forced
                .iter()
                .zip(&allowed)
                .map(|(f, a)| Reach::of(t, f, a))
                .collect();
            best_threshold(&column, &has, &state)
        })
        .collect();
    if cfg.threshold_objective == ThresholdObjective::Accuracy {
        raise_top1_accuracy(decision, &oof, &truth, &mut thresholds);
    }
    Ok(thresholds)
}

/// The grid thresholds are chosen from: 0.02 to 0.98 in steps of 0.01.
fn threshold_grid() -> impl Iterator<Item = f32> {
    (2..=98).map(|i| i as f32 / 100.0)
}

/// The labels `decision` gives each paragraph when every threshold is `threshold`.
fn labels_with_every_threshold(
    decision: Decision,
    oof: &[Classification],
    threshold: f32,
) -> Vec<Vec<usize>> {
    let mut labels = Vec::new();
    let mut thresholds = Vec::new();
    oof.iter()
        .map(|c| {
            thresholds.resize(c.scores.len(), threshold);
            decision.labels(&c.scores, c.none_score, &thresholds, &mut labels);
            labels.clone()
        })
        .collect()
}

/// Whether a paragraph gets a topic's label under the rule, whatever that topic's threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Labelled whatever the threshold (the rule's first label).
    Always,
    /// Labelled when the topic's score reaches its threshold.
    Threshold,
    /// Never labelled (the rule gives no label to this paragraph).
    Never,
}

impl Reach {
    /// Topic `t`'s reach, from the labels given when no threshold and every threshold is met.
    fn of(t: usize, forced: &[usize], allowed: &[usize]) -> Reach {
        if forced.contains(&t) {
            Reach::Always
        } else if allowed.contains(&t) {
            Reach::Threshold
        } else {
            Reach::Never
        }
    }

    fn labels(self, score: f32, threshold: f32) -> bool {
        match self {
            Reach::Always => true,
            Reach::Threshold => score >= threshold,
            Reach::Never => false,
        }
    }
}

/// The threshold on the grid that maximises F1 of the rule's labels for one topic, where
/// `reach` says how each paragraph can get the label. Among equally good thresholds the middle
/// one is taken, so the choice does not sit on an edge.
pub fn best_threshold(scores: &[f32], truth: &[bool], reach: &[Reach]) -> f32 {
    let grid: Vec<f32> = threshold_grid().collect();
    let f1s: Vec<f64> = grid
        .iter()
        .map(|&th| {
            let (mut tp, mut fp, mut fn_) = (0u32, 0u32, 0u32);
            for ((s, t), r) in scores.iter().zip(truth).zip(reach) {
                match (r.labels(*s, th), *t) {
                    (true, true) => tp += 1,
                    (true, false) => fp += 1,
                    (false, true) => fn_ += 1,
                    _ => {}
                }
            }
            if tp == 0 {
                0.0
            } else {
                2.0 * tp as f64 / (2.0 * tp as f64 + fp as f64 + fn_ as f64)
            }
        })
        .collect();
    middle_of_best(&grid, &f1s).unwrap_or(0.5)
}

/// The middle of the grid points whose value is the best, or `None` when the best is 0.
fn middle_of_best(grid: &[f32], values: &[f64]) -> Option<f32> {
    let best = values.iter().copied().fold(0.0, f64::max);
    if best == 0.0 {
        return None;
    }
    let ties: Vec<usize> = (0..grid.len())
        .filter(|&i| values[i] >= best - 1e-12)
        .collect();
    Some(grid[ties[ties.len() / 2]])
}

/// Paragraphs whose first label under `decision` and `thresholds` is right: one of their
/// true topics, or no label for a paragraph about none of them.
fn top1_right(
    decision: Decision,
    oof: &[Classification],
    truth: &[Vec<usize>],
    thresholds: &[f32],
) -> usize {
    let mut labels = Vec::new();
    oof.iter()
        .zip(truth)
        .filter(|(c, ts)| {
            decision.labels(&c.scores, c.none_score, thresholds, &mut labels);
            match labels.first() {
                Some(t) => ts.contains(t),
                None => ts.is_empty(),
            }
        })
        .count()
}

/// Coordinate ascent on top-1 accuracy: each round sets each topic's threshold, in turn, to
/// the middle of the grid points that are best for accuracy with the others held; stops when
/// a round changes nothing (at most five rounds).
fn raise_top1_accuracy(
    decision: Decision,
    oof: &[Classification],
    truth: &[Vec<usize>],
    thresholds: &mut [f32],
) {
    let grid: Vec<f32> = threshold_grid().collect();
    for _ in 0..5 {
        let mut changed = false;
        for t in 0..thresholds.len() {
            let mut trial = thresholds.to_vec();
            let right: Vec<f64> = grid
                .iter()
                .map(|&th| {
                    trial[t] = th;
                    top1_right(decision, oof, truth, &trial) as f64
                })
                .collect();
            if let Some(th) = middle_of_best(&grid, &right)
                && th != thresholds[t]
            {
                thresholds[t] = th;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
}

/// Predicted label lists of `model` for `examples`.
pub fn predict_labels(model: &Model, examples: &[Example]) -> Vec<Vec<String>> {
    examples
        .iter()
        .map(|e| model.label_names(&model.classify(&e.text, 0)))
        .collect()
}

/// Scores `model` on `examples`.
pub fn evaluate(model: &Model, examples: &[Example]) -> Report {
    let truth: Vec<Vec<String>> = examples.iter().map(|e| e.topics.clone()).collect();
    scored(examples, &truth, &predict_labels(model, examples))
}

/// The report of `predicted` against `truth` for `examples`, with accuracy per group.
fn scored(examples: &[Example], truth: &[Vec<String>], predicted: &[Vec<String>]) -> Report {
    let mut report = metrics::report(truth, predicted);
    let groups: Vec<Option<&str>> = examples.iter().map(Example::group).collect();
    report.groups = metrics::group_accuracy(truth, predicted, &groups);
    report
}

/// K-fold cross-validation: each fold is predicted by a model trained (including its threshold
/// selection) on the other folds only.
pub fn cross_validate(examples: &[Example], cfg: &TrainConfig, k: usize) -> Result<Report> {
    if k < 2 || k > examples.len() {
        return Err(Error::Training(format!(
            "cross-validation needs between 2 and {} folds, not {k}",
            examples.len()
        )));
    }
    let topics = topics_of(examples);
    let meta = TrainMeta::default();
    let held = held_out(examples, k, cfg, |train_part| {
        let missing: Vec<&String> = topics
            .iter()
            .filter(|t| !train_part.iter().any(|e| e.topics.contains(t)))
            .collect();
        if !missing.is_empty() {
            return Err(Error::Training(format!(
                "no training paragraph for {missing:?}; use fewer folds"
            )));
        }
        train(train_part, &single_threaded(cfg), &meta)
    })?;
    // Every fold's model has all the topics, in the same sorted order as `topics`.
    let predicted: Vec<Vec<String>> = held
        .iter()
        .map(|c| c.labels.iter().map(|&t| topics[t].clone()).collect())
        .collect();
    let truth: Vec<Vec<String>> = examples.iter().map(|e| e.topics.clone()).collect();
    Ok(scored(examples, &truth, &predicted))
}

/// Summarises a report for storage in a model file.
pub fn summary(report: &Report, method: &str) -> EvalSummary {
    EvalSummary {
        method: method.to_owned(),
        accuracy: report.accuracy,
        macro_f1: report.macro_f1,
        classes: report.classes.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_threshold_maximises_f1_and_takes_the_middle_of_ties() {
        let scores = [0.9, 0.8, 0.3, 0.2, 0.1];
        let truth = [true, true, false, false, false];
        // Every threshold in (0.3, 0.8] separates perfectly; the middle of that plateau is chosen.
        let th = best_threshold(&scores, &truth, &[Reach::Threshold; 5]);
        assert!(th > 0.3 && th <= 0.8, "{th}");
        assert!((th - 0.55).abs() < 0.011, "{th}");
        assert_eq!(
            best_threshold(&[0.1, 0.2], &[false, false], &[Reach::Threshold; 2]),
            0.5
        );
        // A forced label counts whatever the threshold: here the positive at 0.2 is forced, so
        // a high threshold no longer loses it and the plateau moves up.
        let th = best_threshold(
            &[0.9, 0.2, 0.5],
            &[true, true, false],
            &[Reach::Threshold, Reach::Always, Reach::Threshold],
        );
        assert!(th > 0.5, "{th}");
        // A paragraph the rule never labels does not count against a low threshold.
        let th = best_threshold(
            &[0.9, 0.3, 0.6],
            &[true, true, false],
            &[Reach::Threshold, Reach::Threshold, Reach::Never],
        );
        assert!(th <= 0.3, "{th}");
    }

    #[test]
    fn accuracy_ascent_trades_one_topic_for_more_right_first_labels() {
        // Two topics, thresholds alone. Topic 0 scores 0.4 on three paragraphs about nothing
        // and 0.45 on one about it; raising its threshold past 0.4 makes three answers right
        // and none wrong, so top-1 accuracy wants the higher threshold.
        let rows = [
            ([0.4, 0.1], vec![]),
            ([0.4, 0.1], vec![]),
            ([0.4, 0.1], vec![]),
            ([0.45, 0.1], vec![0]),
            ([0.9, 0.05], vec![0]),
            ([0.9, 0.05], vec![0]),
            ([0.1, 0.8], vec![1]),
            ([0.1, 0.1], vec![]),
        ];
        let oof: Vec<Classification> = rows
            .iter()
            .map(|(s, _)| Classification {
                scores: s.to_vec(),
                none_score: 0.5,
                ..Classification::default()
            })
            .collect();
        let truth: Vec<Vec<usize>> = rows.iter().map(|(_, t)| t.clone()).collect();
        let mut thresholds = vec![0.4, 0.5];
        assert_eq!(
            top1_right(Decision::Thresholds, &oof, &truth, &thresholds),
            5
        );
        raise_top1_accuracy(Decision::Thresholds, &oof, &truth, &mut thresholds);
        assert_eq!(
            top1_right(Decision::Thresholds, &oof, &truth, &thresholds),
            8,
            "{thresholds:?}"
        );
        assert!(
            thresholds[0] > 0.4 && thresholds[0] <= 0.45,
            "{thresholds:?}"
        );
    }

    #[test]
    fn the_most_probable_output_decides_first_and_thresholds_add_labels() {
        let th = [0.5, 0.3, 0.9];
        let mut labels = Vec::new();
        // Topic 0 beats "none" (0.3): a label below its threshold; topic 1 reaches its own.
        Decision::BestThenThresholds.labels(&[0.35, 0.32, 0.03], 0.3, &th, &mut labels);
        assert_eq!(labels, [0, 1]);
        // "none" is the most probable output: only thresholds label.
        Decision::BestThenThresholds.labels(&[0.2, 0.31, 0.0], 0.49, &th, &mut labels);
        assert_eq!(labels, [1]);
        Decision::BestThenThresholds.labels(&[0.2, 0.1, 0.0], 0.7, &th, &mut labels);
        assert!(labels.is_empty());
        // The same two cases under the default rule: the first label goes as before, and when
        // "none" is the most probable output there is no label at all.
        Decision::MostProbableThenThresholds.labels(&[0.35, 0.32, 0.03], 0.3, &th, &mut labels);
        assert_eq!(labels, [0, 1]);
        Decision::MostProbableThenThresholds.labels(&[0.2, 0.31, 0.0], 0.49, &th, &mut labels);
        assert!(labels.is_empty());
        Decision::Thresholds.labels(&[0.35, 0.32, 0.03], 0.3, &th, &mut labels);
        assert_eq!(labels, [1]);
        Decision::Argmax.labels(&[0.2, 0.1, 0.7], 0.0, &th, &mut labels);
        assert_eq!(labels, [2]);
    }

    #[test]
    fn folds_are_stratified_balanced_and_deterministic() {
        let ex: Vec<Example> = (0..30)
            .map(|i| Example {
                text: format!("t{i}"),
                topics: if i % 3 == 0 {
                    vec![]
                } else {
                    vec![format!("c{}", i % 3)]
                },
                ..Example::default()
            })
            .collect();
        let a = folds(&ex, 5, 7);
        assert_eq!(a, folds(&ex, 5, 7));
        assert_ne!(a, folds(&ex, 5, 8));
        for f in 0..5 {
            assert_eq!(a.iter().filter(|x| **x == f).count(), 6);
            for class in 0..3 {
                let n = (0..30).filter(|&i| a[i] == f && i % 3 == class).count();
                assert_eq!(n, 2, "fold {f} class {class}");
            }
        }
    }

    /// A slice of the project's corpus, small enough to fit quickly in a test.
    fn sample_corpus() -> Vec<Example> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/corpus");
        crate::corpus::load(&dir)
            .unwrap()
            .into_iter()
            .step_by(8)
            .collect()
    }

    struct Parity {
        model: Model,
        x_test: Array2<f32>,
        test_texts: Vec<String>,
    }

    /// Fits `learner` with linfa on half the sample, exports it into a paratag model, and
    /// returns the model with the dense test matrix built by the same featurizer.
    fn parity_setup(learner: &Learner) -> (Parity, Array2<f32>, Vec<Vec<usize>>, usize) {
        let all = sample_corpus();
        let (train_set, test_set): (Vec<_>, Vec<_>) =
            all.into_iter().enumerate().partition(|(i, _)| i % 2 == 0);
        let train_set: Vec<Example> = train_set.into_iter().map(|(_, e)| e).collect();
        let test_texts: Vec<String> = test_set.into_iter().map(|(_, e)| e.text).collect();
        let topics = topics_of(&train_set);
        let cfg = TrainConfig {
            learner: learner.clone(),
            features: FeatureConfig {
                weighting: if matches!(learner, Learner::NaiveBayes { .. }) {
                    Weighting::Counts
                } else {
                    Weighting::TfIdf
                },
                ..FeatureConfig::default()
            },
            ..TrainConfig::default()
        };
        let model = fit_once(
            &train_set,
            &topics,
            &cfg,
            Decision::Thresholds,
            &TrainMeta::default(),
        )
        .unwrap();
        let texts: Vec<&str> = train_set.iter().map(|e| e.text.as_str()).collect();
        let x_train = model.featurizer().dense(&texts);
        let x_test = model.featurizer().dense(&test_texts);
        let ids = train_set
            .iter()
            .map(|e| {
                e.topics
                    .iter()
                    .map(|t| topics.iter().position(|x| x == t).unwrap())
                    .collect()
            })
            .collect();
        (
            Parity {
                model,
                x_test,
                test_texts,
            },
            x_train,
            ids,
            topics.len(),
        )
    }

    /// Asserts that paratag's sparse scorer reproduces `reference` (rows: test texts,
    /// columns: linfa's outputs in `model.outputs()` order): probabilities within `tolerance`,
    /// and the same argmax.
    fn assert_parity(p: &Parity, reference: &Array2<f32>, tolerance: f32) {
        let mut mismatched_labels = 0;
        for (i, text) in p.test_texts.iter().enumerate() {
            let mut logits = Vec::new();
            let c = p.model.classify(text, 0);
            let mut scratch = crate::model::score::ScoreScratch::default();
            p.model.featurizer().transform(text, &mut scratch.features);
            let ours = p
                .model
                .output_probabilities(&scratch.features.features, &mut logits)
                .to_vec();
            for (k, (a, b)) in ours.iter().zip(reference.row(i)).enumerate() {
                assert!(
                    (a - b).abs() < tolerance,
                    "text {i} output {k}: paratag {a} vs linfa {b}"
                );
            }
            let argmax = |v: &[f32]| (0..v.len()).max_by(|&a, &b| v[a].total_cmp(&v[b])).unwrap();
            if argmax(&ours) != argmax(reference.row(i).as_slice().unwrap()) {
                mismatched_labels += 1;
            }
            assert_eq!(c.scores.len(), p.model.topics().len());
        }
        assert_eq!(mismatched_labels, 0);
        assert!(p.test_texts.len() > 100);
    }

    #[test]
    fn sparse_scorer_matches_linfa_multinomial_logistic_regression() {
        let learner = Learner::Logistic {
            alpha: 0.1,
            max_iterations: 50,
        };
        let (p, x_train, ids, n) = parity_setup(&learner);
        let linfa_model = fit_multinomial(&x_train, &ids, n, true, 0.1, 50).unwrap();
        assert_parity(&p, &linfa_model.predict_probabilities(&p.x_test), 1e-4);
    }

    #[test]
    fn sparse_scorer_matches_linfa_one_vs_rest_logistic_regression() {
        let learner = Learner::OvrLogistic {
            alpha: 0.1,
            max_iterations: 30,
        };
        let (p, x_train, ids, n) = parity_setup(&learner);
        let models = fit_ovr(&x_train, &ids, n, 0.1, 30, 0).unwrap();
        let mut reference = Array2::<f32>::zeros((p.x_test.nrows(), n));
        for (t, m) in models.iter().enumerate() {
            let p_pos = m.predict_probabilities(&p.x_test);
            let p_true = if m.labels().pos.class {
                p_pos
            } else {
                p_pos.mapv(|v| 1.0 - v)
            };
            reference.column_mut(t).assign(&p_true);
        }
        assert_parity(&p, &reference, 1e-4);
    }

    #[test]
    fn sparse_scorer_matches_linfa_multinomial_naive_bayes() {
        use linfa_bayes::NaiveBayes;
        let learner = Learner::NaiveBayes { alpha: 0.5 };
        let (p, x_train, ids, n) = parity_setup(&learner);
        let nb = fit_naive_bayes(&x_train, &ids, n, true, 0.5).unwrap();
        let (log_proba, classes) = nb.predict_log_proba(p.x_test.mapv(f64::from).view());
        // linfa's classes come sorted, as do the model's outputs.
        assert!(classes.windows(2).all(|w| w[0] < w[1]));
        // linfa normalises without subtracting the largest log-likelihood, so on a long text
        // exp() underflows: its row comes out infinite, or (when only some terms underflow)
        // scaled by a common wrong factor, so that it no longer sums to 1. paratag's softmax
        // subtracts the maximum first. Compare on the rows linfa represents exactly (nearly all).
        let finite: Vec<usize> = (0..log_proba.nrows())
            .filter(|&i| {
                let row = log_proba.row(i);
                row.iter().all(|v| v.is_finite())
                    && (row.iter().map(|v| v.exp()).sum::<f64>() - 1.0).abs() < 1e-6
            })
            .collect();
        assert!(
            finite.len() * 10 >= log_proba.nrows() * 9,
            "{} rows",
            finite.len()
        );
        let p = Parity {
            x_test: p.x_test.select(Axis(0), &finite),
            test_texts: finite.iter().map(|&i| p.test_texts[i].clone()).collect(),
            model: p.model,
        };
        let reference = log_proba.select(Axis(0), &finite);
        // Naive Bayes log-likelihoods of long texts run into the thousands, where f32 (the
        // serving scorer's type) resolves about 1e-4, so its probabilities agree with linfa's
        // f64 ones to 1e-3 rather than 1e-4.
        assert_parity(&p, &reference.mapv(|v| v.exp() as f32), 1e-3);
    }
}
