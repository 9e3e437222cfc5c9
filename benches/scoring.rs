//! Criterion benchmarks of the request path on the shipped default model: one paragraph, a
//! batch of 256 paragraphs, and Extract on a 4,000-word document. Inputs come from the
//! project's own corpus and are built outside the timed closures.
//!
//! Run: `cargo bench --bench scoring`

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use paratag::extract::{ExtractOptions, Gazetteer, extract};
use std::hint::black_box;

fn corpus_texts() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/corpus");
    paratag::corpus::load(&dir)
        .expect("data/corpus loads")
        .into_iter()
        .map(|e| e.text)
        .collect()
}

fn document_of_words(texts: &[String], words: usize) -> String {
    let mut doc = String::new();
    let mut n = 0;
    for t in texts.iter().cycle() {
        if n >= words {
            break;
        }
        n += t.split_whitespace().count();
        doc.push_str(t);
        doc.push_str("\n\n");
    }
    doc
}

fn bench(c: &mut Criterion) {
    let model = paratag::model::default_model().expect("default model");
    let texts = corpus_texts();
    let paragraph = texts[texts.len() / 2].clone();

    let mut g = c.benchmark_group("classify");
    g.throughput(Throughput::Bytes(paragraph.len() as u64));
    g.bench_function("one_paragraph", |b| {
        b.iter(|| black_box(model.classify(black_box(&paragraph), 0)))
    });
    g.bench_function("one_paragraph_explain", |b| {
        b.iter(|| black_box(model.classify(black_box(&paragraph), 5)))
    });
    let batch: Vec<&str> = texts
        .iter()
        .step_by(7)
        .take(256)
        .map(String::as_str)
        .collect();
    let bytes: usize = batch.iter().map(|t| t.len()).sum();
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_with_input(
        BenchmarkId::new("batch", batch.len()),
        &batch,
        |b, batch| {
            b.iter(|| {
                for t in batch {
                    black_box(model.classify(t, 0));
                }
            })
        },
    );
    g.finish();

    let gazetteer = Gazetteer::default_gazetteer().expect("default gazetteer");
    let doc = document_of_words(&texts, 4000);
    let mut g = c.benchmark_group("extract");
    g.throughput(Throughput::Bytes(doc.len() as u64));
    let passages_only = ExtractOptions::default();
    let everything = ExtractOptions {
        sentences: true,
        entities: true,
        quotes: true,
        key_terms: 5,
        ..ExtractOptions::default()
    };
    g.bench_function("document_4000_words", |b| {
        b.iter(|| black_box(extract(&model, &gazetteer, black_box(&doc), &passages_only)))
    });
    g.bench_function("document_4000_words_with_entities_quotes_key_terms", |b| {
        b.iter(|| black_box(extract(&model, &gazetteer, black_box(&doc), &everything)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
