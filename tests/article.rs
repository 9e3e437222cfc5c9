//! The shared example article (../shared/examples/china-turkey-call.txt), a real news report of
//! a call between two foreign ministers, labelled over gRPC by the shipped default model.
//!
//! The expected labels below were written from data/TOPICS.md before looking at the model's
//! output. Boundary rule 1 decides most of them: a paragraph reporting vaccine or terrorism
//! substance agreed in the call is labelled by that field, not diplomacy.

mod common;

use common::{TestServer, shared_article};
use paratag::service::pb;

/// Per paragraph: the topics TOPICS.md gives it (dominant first), and why.
const EXPECTED: [&[&str]; 13] = [
    // Minister says China is on Turkey's side and cooperation should improve: the relationship.
    &["diplomacy"],
    // The two ministers spoke on the phone: a call as such.
    &["diplomacy"],
    // Congratulates China on controlling Covid-19, praises vaccine research.
    &["health_cooperation"],
    // Vaccines safe and effective; Turkey will provide them; cooperation in this context.
    &["health_cooperation"],
    // 50th anniversary of diplomatic relations as a chance to deepen relations.
    &["diplomacy"],
    // Medical materials and third-phase clinical trials of the vaccine.
    &["health_cooperation"],
    // Standing by Turkey until it defeats the epidemic.
    &["health_cooperation"],
    // Buying the Chinese vaccine reflects confidence; ready to help.
    &["health_cooperation", "diplomacy"],
    // Mutual political trust is the basis of the strategic relationship.
    &["diplomacy"],
    // Leaders exchanged views; mutual support on each other's core interests.
    &["diplomacy", "sovereignty"],
    // Shared concerns about terrorism; oppose double standards.
    &["counterterrorism"],
    // ETIM designated by the UN Security Council; cooperation against terrorism.
    &["counterterrorism"],
    // Victim of terrorism, UN resolutions; will not allow harm to sovereignty and territorial
    // integrity.
    &["counterterrorism", "sovereignty"],
];

#[tokio::test]
async fn the_example_article_is_labelled_as_the_taxonomy_says() {
    let Some(article) = shared_article() else {
        return;
    };
    let server = TestServer::default_model().await;
    let mut client = server.client().await;
    let r = client
        .extract(pb::ExtractRequest {
            document: article.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.total_passages, 13, "the article has 13 paragraphs");
    let mut report = String::new();
    let mut wrong = 0;
    for (p, expected) in r.passages.iter().zip(EXPECTED) {
        let span = p.span.as_ref().unwrap();
        assert_eq!(&article[span.begin as usize..span.end as usize], p.text);
        let top = p.labels.first().map_or("none", String::as_str);
        let ok = expected.contains(&top);
        if !ok {
            wrong += 1;
        }
        report.push_str(&format!(
            "{:>2} {} expected {:?}, got {:?}: {}\n",
            p.index,
            if ok { "ok  " } else { "FAIL" },
            expected,
            p.labels,
            p.text.chars().take(70).collect::<String>()
        ));
    }
    eprintln!("{report}");
    assert_eq!(wrong, 0, "paragraphs labelled against TOPICS.md:\n{report}");

    // The minimum: vaccine paragraphs are health cooperation, terrorism ones
    // counterterrorism, wherever they rank.
    for i in [2, 3, 5, 6, 7] {
        assert!(
            r.passages[i]
                .labels
                .iter()
                .any(|l| l == "health_cooperation"),
            "paragraph {i}: {:?}",
            r.passages[i].labels
        );
    }
    for i in [10, 11, 12] {
        assert!(
            r.passages[i].labels.iter().any(|l| l == "counterterrorism"),
            "paragraph {i}: {:?}",
            r.passages[i].labels
        );
    }
    server.stop().await.unwrap();
}
