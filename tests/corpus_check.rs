//! CI runs `paratag corpus check` on the project's own data: coverage against the taxonomy
//! card, valid labels and sub-themes, no duplicates, no dev-set leaks.

use std::process::Command;

#[test]
fn the_projects_corpus_and_dev_set_pass_the_corpus_check() {
    let out = Command::new(env!("CARGO_BIN_EXE_paratag"))
        .args(["corpus", "check"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("corpus check passed"));
}
