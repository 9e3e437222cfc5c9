//! Scoring throughput on the Reuters R8 test texts (../shared/benchmarks/r8), one core.
//!
//! The model has the shape of the R8 model in models/README.md (words and word pairs, the same
//! vocabulary cut-offs and chi-squared selection of 5,000 terms, 8 classes), but is fitted with
//! few iterations to keep set-up short:
//! scoring cost depends on the shape, not on the weights' values. Also measures the
//! string-keyed reference transform, to show what the hashed fast path gains.
//!
//! Run: `cargo bench --bench throughput`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use paratag::corpus;
use paratag::model::features::{FeatureConfig, Scratch};
use paratag::model::score::ScoreScratch;
use paratag::model::train::{Learner, TrainConfig, TrainMeta, train};
use std::hint::black_box;
use std::path::Path;

fn bench(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/benchmarks/r8");
    let (Ok(train_set), Ok(test)) = (
        corpus::load(&dir.join("train.tsv")),
        corpus::load(&dir.join("test.tsv")),
    ) else {
        eprintln!("SKIPPED: {} is not readable", dir.display());
        return;
    };
    let cfg = TrainConfig {
        features: FeatureConfig {
            ngrams: 2,
            min_df: 2,
            max_df: 0.5,
            select: 5_000,
            ..FeatureConfig::default()
        },
        learner: Learner::Logistic {
            alpha: 0.03,
            max_iterations: 3,
        },
        ..TrainConfig::default()
    };
    let model = train(&train_set, &cfg, &TrainMeta::default()).expect("R8 model trains");
    let texts: Vec<&str> = test.iter().map(|e| e.text.as_str()).collect();
    let bytes: usize = texts.iter().map(|t| t.len()).sum();

    let mut g = c.benchmark_group("r8_test_set");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(30);
    let mut scratch = ScoreScratch::default();
    let mut out = paratag::model::Classification::default();
    g.bench_function("classify", |b| {
        b.iter(|| {
            for t in &texts {
                model.classify_into(t, 0, &mut scratch, &mut out);
                black_box(&out);
            }
        })
    });
    let mut features = Scratch::default();
    g.bench_function("features_fast", |b| {
        b.iter(|| {
            for t in &texts {
                model.featurizer().transform(t, &mut features);
                black_box(&features.features);
            }
        })
    });
    let (mut buf, mut term) = (Vec::new(), String::new());
    g.bench_function("tokenize_only", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for t in &texts {
                // Each term written out lower-cased, as a caller that needs the text would.
                paratag::text::for_each_token(t, &mut term, |token, lowered, _| {
                    buf.clear();
                    if lowered {
                        buf.extend_from_slice(token);
                    } else {
                        buf.extend(token.iter().map(u8::to_ascii_lowercase));
                    }
                    n += buf.len();
                });
            }
            black_box(n)
        })
    });
    g.bench_function("features_reference", |b| {
        b.iter(|| {
            for t in &texts {
                model.featurizer().transform_reference(t, &mut features);
                black_box(&features.features);
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
