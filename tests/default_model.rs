//! The shipped default model: it loads, it is not stale, and its recipe reproduces it.

use paratag::corpus;
use paratag::model::recipe::{self, Recipe};
use paratag::model::train::{self, TrainMeta};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn recipe() -> Recipe {
    Recipe::load(&root().join("models/default.toml")).expect("models/default.toml parses")
}

const REBUILD: &str = "rebuild it: cargo run --release -- train --recipe models/default.toml --out models/default.ptm";

#[test]
fn embedded_default_model_loads_and_matches_the_file_in_models() {
    let embedded = paratag::model::default_model().expect("embedded default model is valid");
    let on_disk = paratag::model::format::load(&root().join("models/default.ptm")).unwrap();
    assert!(embedded.same_parameters(&on_disk));
    assert_eq!(embedded.version(), on_disk.version());
    // The file is exactly what this build writes: a header written by older code (one that
    // lacks a newer field, say) would give the same model a different version once re-saved.
    let file = std::fs::read(root().join("models/default.ptm")).unwrap();
    assert!(
        paratag::model::format::to_bytes(&on_disk).unwrap() == file,
        "models/default.ptm was written by an older build; rebuild it (see models/README.md)"
    );
    assert_eq!(embedded.meta().name, "paratag-default");
    assert!(
        embedded.meta().evaluation.is_some(),
        "the model carries its CV figures"
    );
    for t in embedded.topics() {
        assert!(
            embedded.meta().descriptions.contains_key(t),
            "topic {t} has a description"
        );
    }
}

#[test]
fn default_model_is_not_stale() {
    let recipe = recipe();
    let cfg = recipe::train_config(&recipe).unwrap();
    let files: Vec<PathBuf> = recipe
        .data
        .iter()
        .flat_map(|d| corpus::data_files(d).unwrap())
        .collect();
    let name = recipe.name.clone().unwrap();
    let fingerprint = recipe::fingerprint(&cfg, &name, &recipe.topics, &files).unwrap();
    let model = paratag::model::default_model().unwrap();
    assert_eq!(
        model.meta().fingerprint,
        fingerprint,
        "models/default.ptm was not built from the current corpus, recipe and feature code; {REBUILD}"
    );
}

#[test]
fn retraining_from_the_recipe_reproduces_the_default_model() {
    let recipe = recipe();
    let cfg = recipe::train_config(&recipe).unwrap();
    let mut examples = Vec::new();
    for d in &recipe.data {
        examples.extend(corpus::load(Path::new(d)).unwrap());
    }
    let retrained = train::train(&examples, &cfg, &TrainMeta::default()).unwrap();
    let shipped = paratag::model::default_model().unwrap();
    assert!(
        retrained.same_parameters(&shipped),
        "training is not deterministic, or the shipped model is stale; {REBUILD}"
    );
}
