//! Evaluation measures: top-1 accuracy, per-class precision/recall/F1, macro-F1 and the most
//! frequent confusions.
//!
//! Predictions and truths are label lists (best first); an empty list means "none".
//! - **Top-1 accuracy**: the first predicted label (or "none") is one of the true labels
//!   (or "none" for a paragraph about none of the topics).
//! - **Per-class P/R/F1** are those of the multi-label decisions; "none" is a class when it
//!   occurs in the truth or the predictions.
//! - **Macro-F1** is the unweighted mean of the per-class F1 (not F1 of macro P and R).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Name used for "about none of the topics".
pub const NONE: &str = "none";

/// Precision, recall and F1 of one class.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClassMetrics {
    /// Topic id, or "none".
    pub class: String,
    /// TP / (TP + FP); 0 when the class was never predicted.
    pub precision: f64,
    /// TP / (TP + FN); 0 when the class never occurs.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Number of evaluated paragraphs that truly carry the class.
    pub support: u32,
}

/// A complete evaluation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Number of evaluated paragraphs.
    pub n: usize,
    /// Top-1 accuracy.
    pub accuracy: f64,
    /// Mean per-class F1.
    pub macro_f1: f64,
    /// Per-class figures, by class name.
    pub classes: Vec<ClassMetrics>,
    /// Most frequent top-1 mistakes: (true first label, predicted, count), largest first.
    pub confusions: Vec<(String, String, u32)>,
}

/// Scores `predicted` label lists against `truth`.
pub fn report(truth: &[Vec<String>], predicted: &[Vec<String>]) -> Report {
    debug_assert_eq!(truth.len(), predicted.len());
    let n = truth.len().min(predicted.len());
    let mut counts: BTreeMap<String, [u32; 3]> = BTreeMap::new(); // tp, fp, fn
    let mut confusions: BTreeMap<(String, String), u32> = BTreeMap::new();
    let mut correct = 0usize;
    let as_set = |labels: &[String]| -> Vec<String> {
        if labels.is_empty() {
            vec![NONE.to_owned()]
        } else {
            labels.to_vec()
        }
    };
    for (t, p) in truth.iter().zip(predicted).take(n) {
        let (t, p) = (as_set(t), as_set(p));
        if t.contains(&p[0]) {
            correct += 1;
        } else {
            *confusions.entry((t[0].clone(), p[0].clone())).or_insert(0) += 1;
        }
        for c in &p {
            let e = counts.entry(c.clone()).or_default();
            if t.contains(c) {
                e[0] += 1;
            } else {
                e[1] += 1;
            }
        }
        for c in t.iter().filter(|c| !p.contains(c)) {
            counts.entry(c.clone()).or_default()[2] += 1;
        }
    }
    let classes: Vec<ClassMetrics> = counts
        .into_iter()
        .map(|(class, [tp, fp, fn_])| {
            let ratio = |a: u32, b: u32| if b == 0 { 0.0 } else { a as f64 / b as f64 };
            let precision = ratio(tp, tp + fp);
            let recall = ratio(tp, tp + fn_);
            let f1 = if precision + recall == 0.0 {
                0.0
            } else {
                2.0 * precision * recall / (precision + recall)
            };
            ClassMetrics {
                class,
                precision,
                recall,
                f1,
                support: tp + fn_,
            }
        })
        .collect();
    let macro_f1 = if classes.is_empty() {
        0.0
    } else {
        classes.iter().map(|c| c.f1).sum::<f64>() / classes.len() as f64
    };
    let mut confusions: Vec<(String, String, u32)> = confusions
        .into_iter()
        .map(|((a, b), c)| (a, b, c))
        .collect();
    confusions.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| (&a.0, &a.1).cmp(&(&b.0, &b.1))));
    Report {
        n,
        accuracy: if n == 0 {
            0.0
        } else {
            correct as f64 / n as f64
        },
        macro_f1,
        classes,
        confusions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(labels: &[&str]) -> Vec<String> {
        labels.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn single_label_figures_match_hand_computation() {
        let truth = [v(&["a"]), v(&["a"]), v(&["b"]), v(&["b"])];
        let pred = [v(&["a"]), v(&["b"]), v(&["b"]), v(&["b"])];
        let r = report(&truth, &pred);
        assert_eq!(r.accuracy, 0.75);
        let a = &r.classes[0];
        assert_eq!((a.precision, a.recall, a.support), (1.0, 0.5, 2));
        let b = &r.classes[1];
        assert!((b.precision - 2.0 / 3.0).abs() < 1e-12 && b.recall == 1.0);
        let f1a = 2.0 * 0.5 / 1.5;
        let f1b = 2.0 * (2.0 / 3.0) / (5.0 / 3.0);
        assert!((r.macro_f1 - (f1a + f1b) / 2.0).abs() < 1e-12);
        assert_eq!(r.confusions, vec![("a".into(), "b".into(), 1)]);
    }

    #[test]
    fn none_is_a_class_and_multi_label_counts_each_label() {
        let truth = [v(&[]), v(&["a", "b"]), v(&["a"])];
        let pred = [v(&[]), v(&["b"]), v(&["a", "b"])];
        let r = report(&truth, &pred);
        // Top-1: none ok, b in {a,b} ok, a ok.
        assert_eq!(r.accuracy, 1.0);
        let get = |c: &str| r.classes.iter().find(|m| m.class == c).unwrap().clone();
        assert_eq!(get("none").f1, 1.0);
        assert_eq!((get("a").precision, get("a").recall), (1.0, 0.5));
        assert_eq!((get("b").precision, get("b").recall), (0.5, 1.0));
    }
}
