//! The `paratag` binary: startup refusals, signals, and the train / eval / classify commands.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_paratag"));
    // Make sure no setting leaks in from the environment of whoever runs the tests.
    for (k, _) in std::env::vars() {
        if k.starts_with("PARATAG_") {
            c.env_remove(k);
        }
    }
    c
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("paratag-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs `serve` with `args` and returns (exit code, stderr) — for runs expected to fail fast.
fn serve_fails(args: &[&str]) -> (i32, String) {
    let out = bin()
        .arg("serve")
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `cmd`, asserts it succeeded (showing its stderr if not), and returns its stdout.
fn succeeds(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The JSON object on the last line of a `--json` command's output.
fn last_json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout.lines().last().unwrap()).unwrap()
}

#[test]
fn serve_refuses_a_corrupt_missing_or_foreign_model_before_binding_with_one_line() {
    let dir = temp_dir("bad-model");
    let good = std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/default.ptm"))
        .unwrap();
    let mut corrupt = good.clone();
    let mid = corrupt.len() / 2;
    corrupt[mid] ^= 0xff;
    let cases: [(&str, Vec<u8>, &str); 4] = [
        ("corrupt.ptm", corrupt, "checksum mismatch"),
        (
            "truncated.ptm",
            good[..good.len() / 3].to_vec(),
            "truncated",
        ),
        (
            "foreign.ptm",
            b"%PDF-1.7 this is not a model".to_vec(),
            "not a paratag model",
        ),
        ("empty.ptm", Vec::new(), "empty"),
    ];
    for (name, bytes, words) in cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let (code, stderr) = serve_fails(&["--model", path.to_str().unwrap()]);
        assert_eq!(code, 2, "{name}: {stderr}");
        assert!(stderr.contains(words), "{name}: {stderr}");
        assert!(
            !stderr.contains("listening"),
            "{name} must fail before binding: {stderr}"
        );
        let error_lines: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("paratag:"))
            .collect();
        assert_eq!(error_lines.len(), 1, "{name}: one-line reason: {stderr}");
    }
    let (code, stderr) = serve_fails(&["--model", dir.join("absent.ptm").to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot read"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn serve_refuses_invalid_configuration_with_a_reason() {
    let (code, stderr) = serve_fails(&["--max-message-bytes", "100"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--max-message-bytes"), "{stderr}");
    let out = bin()
        .arg("serve")
        .env("PARATAG_MAX_BATCH_ITEMS", "0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--max-batch-items"));
}

/// A `paratag serve` child process whose JSON log lines can be awaited.
struct Served {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<serde_json::Value>,
}

impl Drop for Served {
    fn drop(&mut self) {
        // A failed test must not leave a server running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    fn start(args: &[&str]) -> Served {
        let mut child = bin()
            .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
            .args(["--metrics-listen", "off"])
            .args(args)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let v: serde_json::Value = serde_json::from_str(&line).expect("JSON log lines");
                let _ = tx.send(v);
            }
        });
        Served { child, lines: rx }
    }

    /// Waits for a log line whose message is `message`.
    fn wait_for(&self, message: &str) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(v) = self.lines.recv_timeout(Duration::from_millis(200))
                && v["fields"]["message"] == message
            {
                return v;
            }
        }
        panic!("the server never logged {message:?}");
    }

    fn signal(&self, sig: i32) {
        // SAFETY: sending a signal to our own child process.
        unsafe {
            libc::kill(self.child.id() as i32, sig);
        }
    }
}

#[test]
fn serve_starts_reports_its_address_and_exits_cleanly_on_sigterm() {
    let mut served = Served::start(&[]);
    let line = served.wait_for("serving");
    assert!(
        line["fields"]["addr"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:")
    );
    served.signal(libc::SIGTERM);
    served.wait_for("shutting down: health NOT_SERVING");
    let status = served.child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "graceful shutdown exits 0");
}

#[test]
fn sighup_reloads_the_model_file_and_a_bad_file_keeps_the_old_model() {
    let dir = temp_dir("sighup");
    let path = dir.join("model.ptm");
    let default = paratag::model::default_model().unwrap();
    // A second, different model: the default with another name (hence another version).
    let mut parts = default.to_parts();
    parts.meta.name = "renamed".into();
    let other = paratag::model::format::seal(parts).unwrap();
    paratag::model::format::save(&default, &path).unwrap();
    let mut served = Served::start(&["--model", path.to_str().unwrap()]);
    served.wait_for("serving");
    paratag::model::format::save(&other, &path).unwrap();
    served.signal(libc::SIGHUP);
    let line = served.wait_for("model reloaded");
    assert_eq!(line["fields"]["version"], other.version());
    assert_eq!(line["fields"]["previous"], default.version());
    std::fs::write(&path, b"garbage").unwrap();
    served.signal(libc::SIGHUP);
    let line = served.wait_for("model reload failed; the previous model keeps serving");
    assert!(
        line["fields"]["error"]
            .as_str()
            .unwrap()
            .contains("not a paratag model")
    );
    served.signal(libc::SIGTERM);
    assert_eq!(served.child.wait().unwrap().code(), Some(0));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn classify_labels_paragraphs_locally_as_table_and_json() {
    let text = "Officials shipped two million vaccine doses and syringes to clinics fighting the \
                measles outbreak.\n\nThe home side won the derby 2-1 with a late header.";
    let run = |args: &[&str]| {
        let mut child = bin()
            .arg("classify")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let json: serde_json::Value = serde_json::from_str(&run(&["--json", "-"])).unwrap();
    // Extract's answer in gRPC's JSON mapping: camelCase, `topics` with thresholds.
    assert!(
        json["modelVersion"].is_string() && json["totalPassages"] == 2,
        "{json}"
    );
    let passages = json["passages"].as_array().unwrap();
    assert_eq!(passages.len(), 2);
    assert_eq!(passages[0]["labels"][0], "health_cooperation");
    assert_eq!(passages[0]["topics"][0]["topic"], "health_cooperation");
    assert!(passages[0]["topics"][0]["threshold"].is_f64());
    assert!(passages[0]["noneScore"].is_f64());
    assert_eq!(passages[1]["labels"].as_array().unwrap().len(), 0);
    assert_eq!(
        passages[1]["span"]["end"].as_u64().unwrap() as usize,
        text.len()
    );
    // --whole: one span over the text without the whitespace around it.
    let mut child = bin()
        .args(["classify", "--whole", "--json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let padded = format!("\n  {text}\n\n");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(padded.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let whole: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let span = &whole["passages"][0]["span"];
    assert_eq!(
        (span["begin"].as_u64(), span["end"].as_u64()),
        (Some(3), Some(3 + text.len() as u64))
    );
    assert_eq!(whole["passages"][0]["text"], text);
    let table = run(&["--explain"]);
    assert!(table.contains("health_cooperation"), "{table}");
    assert!(
        table.contains("vaccine"),
        "evidence terms are shown: {table}"
    );
}

#[test]
fn train_and_eval_work_on_a_users_own_tsv_and_jsonl_data() {
    let dir = temp_dir("train");
    let mut tsv = String::new();
    for i in 0..15 {
        tsv.push_str(&format!(
            "grain\twheat harvest exports rose {i} tonnes to the port\n"
        ));
        tsv.push_str(&format!(
            "ship\tthe tanker vessel docked at berth {i} after the storm\n"
        ));
    }
    std::fs::write(dir.join("train.tsv"), &tsv).unwrap();
    std::fs::write(
        dir.join("test.jsonl"),
        "{\"text\": \"wheat exports to the port\", \"topics\": [\"grain\"]}\n\
         {\"text\": \"a vessel docked at the berth\", \"topics\": [\"ship\"]}\n",
    )
    .unwrap();
    let model = dir.join("m.ptm");
    succeeds(
        bin()
            .args(["train", "--data"])
            .arg(dir.join("train.tsv"))
            .arg("--out")
            .arg(&model)
            .args(["--ngrams", "1", "--min-df", "1", "--eval-folds", "3"]),
    );
    let loaded = paratag::model::format::load(&model).unwrap();
    assert_eq!(loaded.topics(), ["grain", "ship"]);
    assert!(loaded.meta().evaluation.is_some());

    let last = last_json(&succeeds(
        bin()
            .args(["eval", "--json", "--model"])
            .arg(&model)
            .arg("--test")
            .arg(dir.join("test.jsonl")),
    ));
    assert_eq!(last["accuracy"], 1.0);
    assert!(last["macro_f1"].as_f64().is_some());

    let last = last_json(&succeeds(
        bin()
            .args([
                "eval", "--json", "--folds", "3", "--ngrams", "1", "--min-df", "1", "--data",
            ])
            .arg(dir.join("train.tsv")),
    ));
    assert!(last["accuracy"].as_f64().unwrap() > 0.9, "{last}");

    // Bad data is refused with its line number.
    std::fs::write(dir.join("bad.tsv"), "grain\tok\nno tab here\n").unwrap();
    let out = bin()
        .args(["train", "--data"])
        .arg(dir.join("bad.tsv"))
        .arg("--out")
        .arg(dir.join("x.ptm"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.tsv:2"));
    std::fs::remove_dir_all(&dir).unwrap();
}
