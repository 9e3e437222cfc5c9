//! The load generator drives every workload against a real server without errors. (It measures
//! speed; this test only checks that it works and that its report is coherent.)

mod common;

use common::TestServer;
use paratag::loadgen::{LoadConfig, Workload, run};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_workload_runs_cleanly_and_reports_ordered_percentiles() {
    let server = TestServer::default_model().await;
    let texts: Vec<String> = paratag::service::sample_texts()
        .iter()
        .map(|s| s.to_string())
        .collect();
    for workload in [
        Workload::Classify,
        Workload::Batch,
        Workload::Extract,
        Workload::Stream,
    ] {
        let report = run(LoadConfig {
            target: format!("http://{}", server.addr),
            workload,
            connections: 2,
            in_flight: 4,
            duration: Duration::from_millis(400),
            warmup: Duration::from_millis(100),
            requests: 0,
            batch_size: 8,
            document_words: 500,
            texts: texts.clone(),
            ca_pem: None,
            token: None,
        })
        .await
        .unwrap();
        assert!(report.requests > 0, "{workload:?}: {report:?}");
        assert_eq!(report.errors, 0, "{workload:?}: {report:?}");
        let l = &report.latency_ms;
        assert!(l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.p999 && l.p999 <= l.max);
        assert!(report.mb_per_sec > 0.0);
        if workload == Workload::Batch {
            assert!((report.paragraphs_per_sec - 8.0 * report.requests_per_sec).abs() < 1e-6);
        }
    }
    // A request limit stops the run early.
    let report = run(LoadConfig {
        target: format!("http://{}", server.addr),
        workload: Workload::Classify,
        connections: 1,
        in_flight: 1,
        duration: Duration::from_secs(30),
        warmup: Duration::ZERO,
        requests: 50,
        batch_size: 1,
        document_words: 10,
        texts,
        ca_pem: None,
        token: None,
    })
    .await
    .unwrap();
    assert!(report.requests >= 50 && report.seconds < 30.0);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_target_it_cannot_speak_to_is_refused_with_the_reason() {
    let config = |target: &str| LoadConfig {
        target: target.into(),
        workload: Workload::Classify,
        connections: 1,
        in_flight: 1,
        duration: Duration::from_millis(100),
        warmup: Duration::ZERO,
        requests: 1,
        batch_size: 1,
        document_words: 10,
        texts: vec!["Ministers met.".into()],
        ca_pem: None,
        token: None,
    };
    let scheme = run(config("ftp://127.0.0.1:1")).await.unwrap_err();
    assert!(scheme.to_string().contains("https://"), "{scheme}");
    let garbage = run(config("not a url")).await.unwrap_err();
    assert!(garbage.to_string().contains("--target"), "{garbage}");
    // Port 1 on loopback: nothing listens there.
    let refused = run(config("http://127.0.0.1:1")).await.unwrap_err();
    assert!(refused.to_string().contains("cannot connect"), "{refused}");
}
