//! Evaluation measures: top-1 accuracy, per-class precision/recall/F1, macro-F1 and the most
//! frequent confusions.
//!
//! Predictions and truths are label lists (best first); an empty list means "none".
//! - **Top-1 accuracy**: the first predicted label (or "none") is one of the true labels
//!   (or "none" for a paragraph about none of the topics).
//! - **Per-class P/R/F1** are those of the multi-label decisions; "none" is a class when it
//!   occurs in the truth or the predictions.
//! - **Macro-F1** is the unweighted mean of the per-class F1 (not F1 of macro P and R).
//! - **Top-1 accuracy per class** is top-1 accuracy over the paragraphs whose first true label
//!   is the class; for "none" it is the share of off-topic paragraphs left unlabelled.
//! - **Confusion table**: paragraphs by first true label (rows) and first predicted label
//!   (columns), "none" included.
//! - **Groups**: top-1 accuracy per source or register, when the data records one.

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

/// Top-1 accuracy over a subset of the paragraphs (one class, or one source).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SubsetAccuracy {
    /// The class (first true label, or "none") or the group name.
    pub name: String,
    /// Paragraphs in the subset.
    pub n: u32,
    /// Share of them whose first predicted label (or "none") is one of their true labels.
    pub accuracy: f64,
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
    /// Top-1 accuracy by first true label, by class name ("none" included).
    #[serde(default)]
    pub class_accuracy: Vec<SubsetAccuracy>,
    /// Share of paragraphs about none of the topics that got no label (None when there are
    /// none in the data).
    #[serde(default)]
    pub none_unlabelled: Option<f64>,
    /// Class names of the confusion table's rows and columns, sorted, "none" included.
    #[serde(default)]
    pub confusion_classes: Vec<String>,
    /// `confusion[i][j]`: paragraphs whose first true label is class `i` and whose first
    /// predicted label is class `j`.
    #[serde(default)]
    pub confusion: Vec<Vec<u32>>,
    /// Most frequent top-1 mistakes: (true first label, predicted, count), largest first.
    pub confusions: Vec<(String, String, u32)>,
    /// Top-1 accuracy per source or register (empty when the data records neither).
    #[serde(default)]
    pub groups: Vec<SubsetAccuracy>,
}

/// A label list as classes: the labels, or `["none"]` for an empty list.
fn as_classes(labels: &[String]) -> Vec<String> {
    if labels.is_empty() {
        vec![NONE.to_owned()]
    } else {
        labels.to_vec()
    }
}

/// True when the first predicted class is one of the true classes.
fn top1_correct(truth: &[String], predicted: &[String]) -> bool {
    let first = predicted.first().map_or(NONE, String::as_str);
    if truth.is_empty() {
        first == NONE
    } else {
        truth.iter().any(|t| t == first)
    }
}

/// Top-1 accuracy of each subset, subsets named by `key` and sorted by name; paragraphs
/// whose key is `None` are left out.
fn subset_accuracy<'a>(
    truth: &[Vec<String>],
    predicted: &[Vec<String>],
    key: impl Fn(usize) -> Option<&'a str>,
) -> Vec<SubsetAccuracy> {
    let mut tally: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
    for (i, (t, p)) in truth.iter().zip(predicted).enumerate() {
        if let Some(k) = key(i) {
            let e = tally.entry(k).or_default();
            e.0 += 1;
            e.1 += u32::from(top1_correct(t, p));
        }
    }
    tally
        .into_iter()
        .map(|(name, (n, ok))| SubsetAccuracy {
            name: name.to_owned(),
            n,
            accuracy: f64::from(ok) / f64::from(n.max(1)),
        })
        .collect()
}

/// Top-1 accuracy per group (source or register): `groups[i]` names paragraph `i`'s group.
pub fn group_accuracy(
    truth: &[Vec<String>],
    predicted: &[Vec<String>],
    groups: &[Option<&str>],
) -> Vec<SubsetAccuracy> {
    subset_accuracy(truth, predicted, |i| groups.get(i).copied().flatten())
}

/// Scores `predicted` label lists against `truth`.
pub fn report(truth: &[Vec<String>], predicted: &[Vec<String>]) -> Report {
    debug_assert_eq!(truth.len(), predicted.len());
    let n = truth.len().min(predicted.len());
    let (truth, predicted) = (&truth[..n], &predicted[..n]);
    let mut counts: BTreeMap<String, [u32; 3]> = BTreeMap::new(); // tp, fp, fn
    let mut pairs: BTreeMap<(String, String), u32> = BTreeMap::new();
    for (t, p) in truth.iter().zip(predicted) {
        let (t, p) = (as_classes(t), as_classes(p));
        *pairs.entry((t[0].clone(), p[0].clone())).or_insert(0) += 1;
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
        .map(|(class, [tp, fp, fn_])| class_metrics(class, tp, fp, fn_))
        .collect();
    let macro_f1 = if classes.is_empty() {
        0.0
    } else {
        classes.iter().map(|c| c.f1).sum::<f64>() / classes.len() as f64
    };
    let firsts: Vec<String> = truth.iter().map(|t| as_classes(t).remove(0)).collect();
    let class_accuracy = subset_accuracy(truth, predicted, |i| Some(firsts[i].as_str()));
    let none_unlabelled = class_accuracy
        .iter()
        .find(|c| c.name == NONE)
        .map(|c| c.accuracy);
    let mut confusion_classes: Vec<String> = classes.iter().map(|c| c.class.clone()).collect();
    for (a, b) in pairs.keys() {
        for c in [a, b] {
            if !confusion_classes.contains(c) {
                confusion_classes.push(c.clone());
            }
        }
    }
    confusion_classes.sort();
    let at = |c: &str| confusion_classes.iter().position(|x| x == c).unwrap_or(0);
    let mut confusion = vec![vec![0u32; confusion_classes.len()]; confusion_classes.len()];
    for ((a, b), k) in &pairs {
        confusion[at(a)][at(b)] += k;
    }
    let correct = truth
        .iter()
        .zip(predicted)
        .filter(|(t, p)| top1_correct(t, p))
        .count();
    let mut mistakes: BTreeMap<(&str, &str), u32> = BTreeMap::new();
    for ((t, p), first) in truth.iter().zip(predicted).zip(&firsts) {
        if !top1_correct(t, p) {
            *mistakes
                .entry((first.as_str(), p.first().map_or(NONE, String::as_str)))
                .or_insert(0) += 1;
        }
    }
    let mut confusions: Vec<(String, String, u32)> = mistakes
        .into_iter()
        .map(|((a, b), c)| (a.to_owned(), b.to_owned(), c))
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
        class_accuracy,
        none_unlabelled,
        confusion_classes,
        confusion,
        confusions,
        groups: Vec::new(),
    }
}

/// Precision, recall and F1 from counts.
fn class_metrics(class: String, tp: u32, fp: u32, fn_: u32) -> ClassMetrics {
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

    #[test]
    fn class_accuracy_confusion_table_and_groups_match_hand_counts() {
        let truth = [v(&[]), v(&[]), v(&["a"]), v(&["a", "b"]), v(&["b"])];
        let pred = [v(&[]), v(&["a"]), v(&["b"]), v(&["b"]), v(&[])];
        let r = report(&truth, &pred);
        // Right: the first none, and "b" for the paragraph labelled a and b.
        assert_eq!(r.accuracy, 0.4);
        let acc = |c: &str| {
            r.class_accuracy
                .iter()
                .find(|x| x.name == c)
                .unwrap()
                .clone()
        };
        assert_eq!((acc("none").n, acc("none").accuracy), (2, 0.5));
        assert_eq!((acc("a").n, acc("a").accuracy), (2, 0.5));
        assert_eq!((acc("b").n, acc("b").accuracy), (1, 0.0));
        assert_eq!(r.none_unlabelled, Some(0.5));
        assert_eq!(r.confusion_classes, ["a", "b", "none"]);
        // Rows: first true label; columns: first predicted label.
        assert_eq!(
            r.confusion,
            vec![vec![0, 2, 0], vec![0, 0, 1], vec![1, 0, 1]]
        );
        // The a,b paragraph predicted b is right, so a -> b counts one mistake, not two.
        assert!(r.confusions.contains(&("a".into(), "b".into(), 1)));
        assert!(r.confusions.contains(&("none".into(), "a".into(), 1)));
        let groups = group_accuracy(
            &truth,
            &pred,
            &[Some("wire"), Some("wire"), Some("qa"), None, Some("qa")],
        );
        assert_eq!(groups.len(), 2);
        assert_eq!(
            (groups[0].name.as_str(), groups[0].n, groups[0].accuracy),
            ("qa", 2, 0.0)
        );
        assert_eq!(
            (groups[1].name.as_str(), groups[1].n, groups[1].accuracy),
            ("wire", 2, 0.5)
        );
        assert_eq!(report(&truth[2..], &pred[2..]).none_unlabelled, None);
    }
}
