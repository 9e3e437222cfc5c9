//! A tiny model trained in the test itself, for checking mechanisms (multi-label decisions,
//! abstaining) independently of the shipped default model.

use paratag::corpus::Example;
use paratag::model::Model;
use paratag::model::features::FeatureConfig;
use paratag::model::train::{Learner, TrainConfig, TrainMeta, train};

fn ex(text: &str, topics: &[&str]) -> Example {
    Example {
        text: text.to_owned(),
        topics: topics.iter().map(|s| s.to_string()).collect(),
        origin: "fixture".into(),
        ..Example::default()
    }
}

/// Paragraph templates for two topics and for "none"; each is varied with a number so the
/// fixture has enough rows for threshold folds.
pub fn fixture_examples() -> Vec<Example> {
    let mut out = Vec::new();
    for i in 0..12 {
        out.push(ex(
            &format!(
                "Tariffs on steel exports rose {i} percent as the trade deal stalled at the port."
            ),
            &["trade"],
        ));
        out.push(ex(
            &format!("The vaccine shipment of {i} million doses reached clinics fighting the measles outbreak."),
            &["health"],
        ));
        out.push(ex(
            &format!(
                "The striker scored twice and the crowd of {i} thousand sang through the rain."
            ),
            &[],
        ));
        if i % 3 == 0 {
            out.push(ex(
                &format!("Tariffs on vaccine exports and the trade deal delayed {i} million doses for clinics."),
                &["trade", "health"],
            ));
        }
    }
    out
}

/// Trains the fixture model (multinomial logistic regression with a "none" class).
pub fn fixture_model() -> Model {
    let cfg = TrainConfig {
        features: FeatureConfig {
            ngrams: 1,
            min_df: 1,
            max_df: 1.0,
            ..FeatureConfig::default()
        },
        learner: Learner::Logistic {
            alpha: 0.01,
            max_iterations: 200,
        },
        threads: 1,
        ..TrainConfig::default()
    };
    let meta = TrainMeta {
        name: "fixture".into(),
        trained_at: "2026-11-27T00:00:00Z".into(),
        fingerprint: "fixture".into(),
        descriptions: [
            ("trade".to_string(), "Trade and tariffs".to_string()),
            ("health".to_string(), "Vaccines and outbreaks".to_string()),
        ]
        .into_iter()
        .collect(),
    };
    train(&fixture_examples(), &cfg, &meta).expect("fixture model trains")
}
