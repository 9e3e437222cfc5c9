//! Labelled text: reading training and evaluation data.
//!
//! Two formats are accepted, chosen by file extension:
//! - JSON Lines (`.jsonl`, `.json`): one object a line with `text` and `topics` (a list of topic
//!   ids, empty for text about none of them); `subtheme`, `register` and `source` are kept (the
//!   corpus check and evaluation reports use them) and other fields are ignored.
//! - TSV (`.tsv`, `.txt`): `label<TAB>text`, where `label` is one topic id, several joined by
//!   commas, or `none`/empty for none.
//!
//! A directory is read as all its `.jsonl` and `.tsv` files in name order.

pub mod check;
pub mod taxonomy;

use crate::error::{Error, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// One labelled paragraph.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Example {
    /// The paragraph text.
    pub text: String,
    /// Its topics, dominant first; empty when it is about none of them.
    pub topics: Vec<String>,
    /// The sub-theme (or genre, for none) it was written for, when the data records one.
    pub subtheme: Option<String>,
    /// The register it was written in (wire, presser, snippet…), when the data records one.
    pub register: Option<String>,
    /// The publication or collection it was taken from, when the data records one.
    pub source: Option<String>,
    /// Where it came from, as `file:line`, for error messages and reports.
    pub origin: String,
}

impl Example {
    /// What evaluation reports group this paragraph by: its source, else its register.
    pub fn group(&self) -> Option<&str> {
        self.source.as_deref().or(self.register.as_deref())
    }
}

#[derive(Deserialize)]
struct JsonExample {
    text: String,
    #[serde(default)]
    topics: Vec<String>,
    #[serde(default)]
    subtheme: Option<String>,
    #[serde(default)]
    register: Option<String>,
    #[serde(default)]
    source: Option<String>,
}

/// Files that make up `path`: the file itself, or a directory's data files in name order.
pub fn data_files(path: &Path) -> Result<Vec<PathBuf>> {
    if path.is_dir() {
        let mut files = Vec::new();
        let entries = std::fs::read_dir(path).map_err(|e| Error::io(path, e))?;
        for entry in entries {
            let p = entry.map_err(|e| Error::io(path, e))?.path();
            if p.is_file() && matches!(extension(&p).as_str(), "jsonl" | "tsv") {
                files.push(p);
            }
        }
        files.sort();
        if files.is_empty() {
            return Err(Error::Data(format!(
                "{}: directory holds no .jsonl or .tsv files",
                path.display()
            )));
        }
        Ok(files)
    } else {
        Ok(vec![path.to_path_buf()])
    }
}

fn extension(p: &Path) -> String {
    p.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// Reads every example of `path` (a file or a directory; see the module documentation).
pub fn load(path: &Path) -> Result<Vec<Example>> {
    let mut out = Vec::new();
    for file in data_files(path)? {
        let text = std::fs::read_to_string(&file).map_err(|e| Error::io(&file, e))?;
        match extension(&file).as_str() {
            "jsonl" | "json" => parse_jsonl(&text, &file.display().to_string(), &mut out)?,
            "tsv" | "txt" => parse_tsv(&text, &file.display().to_string(), &mut out)?,
            other => {
                return Err(Error::Data(format!(
                    "{}: unknown data format {other:?}; use .jsonl or .tsv",
                    file.display()
                )));
            }
        }
    }
    if out.is_empty() {
        return Err(Error::Data(format!("{}: no examples", path.display())));
    }
    Ok(out)
}

/// Parses JSON Lines examples from `text`, appending to `out`.
pub fn parse_jsonl(text: &str, name: &str, out: &mut Vec<Example>) -> Result<()> {
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let origin = format!("{name}:{}", i + 1);
        let ex: JsonExample = serde_json::from_str(line)
            .map_err(|e| Error::Data(format!("{origin}: not a JSON example ({e})")))?;
        let mut example = checked(ex.text, ex.topics, origin)?;
        example.subtheme = ex.subtheme;
        example.register = ex.register;
        example.source = ex.source;
        out.push(example);
    }
    Ok(())
}

/// Parses `label<TAB>text` examples from `text`, appending to `out`.
pub fn parse_tsv(text: &str, name: &str, out: &mut Vec<Example>) -> Result<()> {
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let origin = format!("{name}:{}", i + 1);
        let (label, body) = line
            .split_once('\t')
            .ok_or_else(|| Error::Data(format!("{origin}: expected label<TAB>text")))?;
        let topics = label
            .split(',')
            .map(str::trim)
            .filter(|l| !l.is_empty() && *l != "none")
            .map(str::to_owned)
            .collect();
        out.push(checked(body.to_owned(), topics, origin)?);
    }
    Ok(())
}

/// An example with its text and labels checked, and no optional fields.
fn checked(text: String, topics: Vec<String>, origin: String) -> Result<Example> {
    if text.trim().is_empty() {
        return Err(Error::Data(format!("{origin}: empty text")));
    }
    for (i, t) in topics.iter().enumerate() {
        if !is_valid_topic_id(t) {
            return Err(Error::Data(format!(
                "{origin}: topic {t:?} is not a valid id (lower-case letters, digits, '_' and '-')"
            )));
        }
        if topics[..i].contains(t) {
            return Err(Error::Data(format!("{origin}: topic {t:?} listed twice")));
        }
    }
    Ok(Example {
        text,
        topics,
        subtheme: None,
        register: None,
        source: None,
        origin,
    })
}

/// Topic ids are short lower-case identifiers: `[a-z0-9_-]+`, not `none`.
pub fn is_valid_topic_id(id: &str) -> bool {
    !id.is_empty()
        && id != "none"
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_jsonl_with_extra_fields_and_empty_topics() {
        let mut out = Vec::new();
        parse_jsonl(
            "{\"text\":\"A\",\"topics\":[\"trade\"],\"region\":\"x\"}\n\n{\"text\":\"B\",\"topics\":[]}\n",
            "t",
            &mut out,
        )
        .unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].topics, ["trade"]);
        assert!(out[1].topics.is_empty());
        assert_eq!(out[1].origin, "t:3");
    }

    #[test]
    fn reads_tsv_with_none_and_multiple_labels() {
        let mut out = Vec::new();
        parse_tsv(
            "earn\tprofit rose\nnone\tweather\na,b\tboth\n",
            "t",
            &mut out,
        )
        .unwrap();
        assert_eq!(out[0].topics, ["earn"]);
        assert!(out[1].topics.is_empty());
        assert_eq!(out[2].topics, ["a", "b"]);
    }

    #[test]
    fn reports_the_line_of_bad_data() {
        let mut out = Vec::new();
        let err = parse_jsonl("{\"text\":\"ok\"}\n{oops", "f.jsonl", &mut out).unwrap_err();
        assert!(err.to_string().starts_with("f.jsonl:2:"), "{err}");
        let err = parse_tsv("no tab here", "f.tsv", &mut out).unwrap_err();
        assert!(err.to_string().contains("f.tsv:1"), "{err}");
        let err =
            parse_jsonl("{\"text\":\"x\",\"topics\":[\"Bad Id\"]}", "f", &mut out).unwrap_err();
        assert!(err.to_string().contains("not a valid id"), "{err}");
        let err = parse_jsonl("{\"text\":\"  \",\"topics\":[]}", "f", &mut out).unwrap_err();
        assert!(err.to_string().contains("empty text"), "{err}");
    }
}
