//! Training recipes: a TOML file that says which data to train on and how, so that a model
//! can be rebuilt from its recipe with one command.
//!
//! ```toml
//! name = "paratag-default"
//! data = ["../data/corpus"]      # relative to the recipe file
//! eval_folds = 5
//!
//! [features]
//! ngrams = 2
//! min_df = 2
//! max_df = 0.5
//! max_features = 0
//! sublinear_tf = true
//! stopwords = "english"          # or "none"
//!
//! [learner]
//! kind = "logistic"              # logistic | ovr_logistic | naive_bayes
//! alpha = 0.1
//! max_iterations = 200
//!
//! [decision]
//! none_class = true
//! threshold_folds = 3
//! threshold_objective = "f1"    # or "accuracy"
//! seed = 42
//!
//! [topics]
//! diplomacy = "Visits, talks, relations between states"
//! ```

use super::features::{ENGLISH_STOPWORDS, FeatureConfig, Weighting};
use super::train::{Learner, ThresholdObjective, TrainConfig};
use crate::error::{Error, Result};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Bump whenever tokenising or feature extraction changes the features of a text, so shipped
/// models built by older code are detected as stale.
pub const FEATURE_CODE_VERSION: u32 = 2;

/// A parsed recipe.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipe {
    /// Model name.
    #[serde(default)]
    pub name: Option<String>,
    /// Data files or directories, relative to the recipe's directory.
    #[serde(default)]
    pub data: Vec<PathBuf>,
    /// Folds for the cross-validation stored in the model (0 = none).
    #[serde(default)]
    pub eval_folds: u32,
    /// Feature settings.
    #[serde(default)]
    pub features: RecipeFeatures,
    /// Learner settings.
    #[serde(default)]
    pub learner: Option<Learner>,
    /// Decision settings.
    #[serde(default)]
    pub decision: RecipeDecision,
    /// One-line description of each topic.
    #[serde(default)]
    pub topics: BTreeMap<String, String>,
}

/// `[features]` of a recipe; missing keys take the defaults.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecipeFeatures {
    /// Longest n-gram.
    pub ngrams: Option<u8>,
    /// Minimum document frequency.
    pub min_df: Option<u32>,
    /// Maximum document frequency (fraction).
    pub max_df: Option<f32>,
    /// Vocabulary cap.
    pub max_features: Option<u32>,
    /// Chi-squared selection: terms to keep (0: off).
    pub select: Option<u32>,
    /// Sublinear tf.
    pub sublinear_tf: Option<bool>,
    /// "english" or "none".
    pub stopwords: Option<String>,
}

/// `[decision]` of a recipe.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecipeDecision {
    /// "none" as its own class.
    pub none_class: Option<bool>,
    /// Folds for threshold selection.
    pub threshold_folds: Option<u32>,
    /// What the thresholds maximise.
    pub threshold_objective: Option<ThresholdObjective>,
    /// Fold seed.
    pub seed: Option<u64>,
}

impl Recipe {
    /// Reads a recipe and resolves its data paths against the recipe's directory.
    pub fn load(path: &Path) -> Result<Recipe> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let mut recipe: Recipe =
            toml::from_str(&text).map_err(|e| Error::Data(format!("{}: {e}", path.display())))?;
        let base = path.parent().unwrap_or(Path::new("."));
        for d in &mut recipe.data {
            if d.is_relative() {
                *d = base.join(&*d);
            }
        }
        Ok(recipe)
    }
}

/// Resolves a stopword list name.
pub fn stopwords_named(name: &str) -> Result<Vec<String>> {
    match name {
        "english" => Ok(ENGLISH_STOPWORDS.iter().map(|s| s.to_string()).collect()),
        "none" | "" => Ok(Vec::new()),
        other => Err(Error::Data(format!(
            "unknown stopword list {other:?}; use \"english\" or \"none\""
        ))),
    }
}

/// Builds the training configuration from a recipe's settings, then checks it.
pub fn train_config(recipe: &Recipe) -> Result<TrainConfig> {
    let d = TrainConfig::default();
    let fd = FeatureConfig::default();
    let f = &recipe.features;
    let cfg = TrainConfig {
        features: FeatureConfig {
            ngrams: f.ngrams.unwrap_or(fd.ngrams),
            min_df: f.min_df.unwrap_or(fd.min_df),
            max_df: f.max_df.unwrap_or(fd.max_df),
            max_features: f.max_features.unwrap_or(fd.max_features),
            select: f.select.unwrap_or(fd.select),
            sublinear_tf: f.sublinear_tf.unwrap_or(fd.sublinear_tf),
            weighting: Weighting::TfIdf,
            stopwords: stopwords_named(f.stopwords.as_deref().unwrap_or("none"))?,
        },
        learner: recipe.learner.clone().unwrap_or(d.learner),
        none_class: recipe.decision.none_class.unwrap_or(d.none_class),
        threshold_folds: recipe.decision.threshold_folds.unwrap_or(d.threshold_folds),
        threshold_objective: recipe
            .decision
            .threshold_objective
            .unwrap_or(d.threshold_objective),
        seed: recipe.decision.seed.unwrap_or(d.seed),
        threads: 0,
    };
    check(&cfg)?;
    Ok(cfg)
}

/// Refuses settings that cannot train a sensible model, with the setting's name.
pub fn check(cfg: &TrainConfig) -> Result<()> {
    let bad = |what: &str| Err(Error::Data(format!("invalid training setting: {what}")));
    let f = &cfg.features;
    if !(1..=2).contains(&f.ngrams) {
        return bad("ngrams must be 1 or 2");
    }
    if !(f.max_df > 0.0 && f.max_df <= 1.0) {
        return bad("max_df must be in (0, 1]");
    }
    let (alpha, iters) = (
        cfg.learner.alpha(),
        cfg.learner.max_iterations().unwrap_or(1),
    );
    if !(alpha.is_finite() && alpha > 0.0) {
        return bad("alpha must be a positive number");
    }
    if iters == 0 {
        return bad("max_iterations must be at least 1");
    }
    if cfg.threshold_folds < 2 {
        return bad("threshold_folds must be at least 2");
    }
    Ok(())
}

/// Hash of everything a model is built from: the effective training settings, the name and
/// topic descriptions, every data file's bytes, and [`FEATURE_CODE_VERSION`].
pub fn fingerprint(
    cfg: &TrainConfig,
    name: &str,
    descriptions: &BTreeMap<String, String>,
    data_files: &[PathBuf],
) -> Result<String> {
    let mut h = Sha256::new();
    h.update(format!("paratag-features-v{FEATURE_CODE_VERSION}\n"));
    let settings = TrainConfig {
        threads: 0,
        ..cfg.clone()
    };
    h.update(serde_json::to_vec(&settings).map_err(|e| Error::Internal(e.to_string()))?);
    h.update(name.as_bytes());
    h.update(serde_json::to_vec(descriptions).map_err(|e| Error::Internal(e.to_string()))?);
    for file in data_files {
        let bytes = std::fs::read(file).map_err(|e| Error::io(file, e))?;
        // Names are hashed relative to nothing: only contents and order matter.
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(&bytes);
    }
    let digest = h.finalize();
    Ok(digest.iter().take(12).map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_recipe_and_rejects_unknown_keys() {
        let r: Recipe = toml::from_str(
            r#"
            name = "x"
            data = ["d.jsonl"]
            [features]
            ngrams = 1
            stopwords = "english"
            [learner]
            kind = "naive_bayes"
            alpha = 0.5
            [topics]
            trade = "Trade"
            "#,
        )
        .unwrap();
        let cfg = train_config(&r).unwrap();
        assert_eq!(cfg.features.ngrams, 1);
        assert!(cfg.features.stopwords.contains(&"the".to_string()));
        assert_eq!(cfg.learner, Learner::NaiveBayes { alpha: 0.5 });
        assert!(toml::from_str::<Recipe>("colour = 1").is_err());
        assert!(toml::from_str::<Recipe>("[learner]\nkind = \"svm\"").is_err());
    }

    #[test]
    fn bad_settings_are_named() {
        let mut r = Recipe::default();
        r.features.max_df = Some(0.0);
        assert!(train_config(&r).unwrap_err().to_string().contains("max_df"));
        let r = Recipe {
            learner: Some(Learner::Logistic {
                alpha: -1.0,
                max_iterations: 10,
            }),
            ..Recipe::default()
        };
        assert!(train_config(&r).unwrap_err().to_string().contains("alpha"));
    }
}
