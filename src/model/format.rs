//! The paratag model file (`.ptm`), format version 1.
//!
//! ```text
//! offset  size  field
//!      0     8  magic "PTGMODEL"
//!      8     4  format version, u32 little-endian (1)
//!     12     4  reserved, 0
//!     16     8  payload length in bytes, u64 LE
//!     24     n  payload
//!   24+n     4  CRC-32 (IEEE) of the payload, u32 LE
//! ```
//! Payload, all integers and floats little-endian:
//! 1. `u32` length + JSON header: metadata, topics, feature settings, link, decision, output
//!    mapping and thresholds;
//! 2. `u32` term count `V`, then each term as `u16` byte length + UTF-8 bytes (column order);
//! 3. `V × f32` inverse document frequencies;
//! 4. `u32` output count `K`, `K × f32` biases;
//! 5. `V·K × f32` weights, row-major by term.
//!
//! The model version is `<training date>-<CRC-32 in hex>`, so any change of parameters or
//! metadata changes it. Files are written atomically (temporary file, fsync, rename).

use super::features::{FeatureConfig, Featurizer};
use super::{Decision, Link, Model, ModelMeta, ModelParts};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

/// First eight bytes of every model file.
pub const MAGIC: &[u8; 8] = b"PTGMODEL";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
const HEADER_LEN: usize = 24;

#[derive(Serialize, Deserialize)]
struct Header {
    meta: ModelMeta,
    topics: Vec<String>,
    features: FeatureConfig,
    link: Link,
    decision: Decision,
    outputs: Vec<Option<usize>>,
    thresholds: Vec<f32>,
}

/// Builds a [`Model`] from freshly trained parts, computing its version.
pub fn seal(parts: ModelParts) -> Result<Model> {
    let payload = encode_payload(&parts)?;
    let version = version_string(&parts.meta, crc32fast::hash(&payload));
    Model::from_parts(parts, version).map_err(|reason| Error::Model {
        source_name: "trained model".into(),
        reason,
    })
}

fn version_string(meta: &ModelMeta, crc: u32) -> String {
    let date: String = meta
        .trained_at
        .chars()
        .filter(|c| c.is_ascii_digit())
        .take(8)
        .collect();
    if date.len() == 8 {
        format!("{date}-{crc:08x}")
    } else {
        format!("{crc:08x}")
    }
}

fn encode_payload(p: &ModelParts) -> Result<Vec<u8>> {
    let header = Header {
        meta: p.meta.clone(),
        topics: p.topics.clone(),
        features: p.featurizer.config().clone(),
        link: p.link,
        decision: p.decision,
        outputs: p.outputs.clone(),
        thresholds: p.thresholds.clone(),
    };
    let json = serde_json::to_vec(&header).map_err(|e| Error::Internal(e.to_string()))?;
    let terms = p.featurizer.terms();
    let mut out = Vec::with_capacity(json.len() + terms.len() * 16 + p.weights.len() * 4 + 64);
    put_u32(&mut out, len_u32(json.len())?);
    out.extend_from_slice(&json);
    put_u32(&mut out, len_u32(terms.len())?);
    for t in terms {
        let len = u16::try_from(t.len())
            .map_err(|_| Error::Internal(format!("term of {} bytes is too long", t.len())))?;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(t.as_bytes());
    }
    for v in p.featurizer.idf() {
        out.extend_from_slice(&v.to_le_bytes());
    }
    put_u32(&mut out, len_u32(p.bias.len())?);
    for v in p.bias.iter().chain(&p.weights) {
        out.extend_from_slice(&v.to_le_bytes());
    }
    Ok(out)
}

fn len_u32(n: usize) -> Result<u32> {
    u32::try_from(n).map_err(|_| Error::Internal(format!("section of {n} items is too large")))
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Encodes `model` as a complete model file.
pub fn to_bytes(model: &Model) -> Result<Vec<u8>> {
    let payload = encode_payload(&model.to_parts())?;
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len() + 4);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    Ok(out)
}

/// Writes `model` to `path` atomically: a temporary file in the same directory is written,
/// flushed to disk and renamed over `path`, so readers never see a partial file.
pub fn save(model: &Model, path: &Path) -> Result<()> {
    let bytes = to_bytes(model)?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".into());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}

/// Reads and validates a model file.
pub fn load(path: &Path) -> Result<Model> {
    let bytes = std::fs::read(path).map_err(|e| Error::Model {
        source_name: path.display().to_string(),
        reason: format!("cannot read: {e}"),
    })?;
    from_bytes(&bytes, &path.display().to_string())
}

/// Decodes and validates a model from `bytes`; `source` names it in errors.
pub fn from_bytes(bytes: &[u8], source: &str) -> Result<Model> {
    let fail = |reason: String| Error::Model {
        source_name: source.to_owned(),
        reason,
    };
    if bytes.len() < HEADER_LEN || &bytes[..8] != MAGIC {
        return Err(fail(if bytes.is_empty() {
            "the file is empty; build one with `paratag train`".into()
        } else {
            "not a paratag model file (wrong magic bytes)".into()
        }));
    }
    let mut r = Reader {
        bytes: &bytes[8..HEADER_LEN],
    };
    let version = r.u32().map_err(&fail)?;
    if version != FORMAT_VERSION {
        return Err(fail(format!(
            "format version {version} is not supported (this build reads version {FORMAT_VERSION})"
        )));
    }
    let _reserved = r.u32().map_err(&fail)?;
    let payload_len = r.u64().map_err(&fail)?;
    let expected = HEADER_LEN as u64 + payload_len + 4;
    if bytes.len() as u64 != expected {
        return Err(fail(format!(
            "the file is {} bytes but its header says {expected}: it is truncated or has trailing data",
            bytes.len()
        )));
    }
    let payload = &bytes[HEADER_LEN..HEADER_LEN + payload_len as usize];
    let stored_crc = u32::from_le_bytes(
        bytes[HEADER_LEN + payload_len as usize..]
            .try_into()
            .map_err(|_| fail("missing checksum".into()))?,
    );
    let crc = crc32fast::hash(payload);
    if crc != stored_crc {
        return Err(fail(format!(
            "checksum mismatch (stored {stored_crc:08x}, computed {crc:08x}): the file is corrupt"
        )));
    }
    decode_payload(payload, crc).map_err(fail)
}

fn decode_payload(payload: &[u8], crc: u32) -> Result<Model, String> {
    let mut r = Reader { bytes: payload };
    let json_len = r.u32()? as usize;
    let header: Header = serde_json::from_slice(r.take(json_len)?)
        .map_err(|e| format!("header is not valid: {e}"))?;
    let n_terms = r.u32()? as usize;
    // Each term needs at least 2 + 4 bytes: refuse absurd counts before allocating.
    if n_terms > r.bytes.len() / 6 {
        return Err(format!("term count {n_terms} does not fit in the file"));
    }
    let mut terms = Vec::with_capacity(n_terms);
    for _ in 0..n_terms {
        let len = r.u16()? as usize;
        let t = std::str::from_utf8(r.take(len)?).map_err(|_| "a term is not UTF-8".to_string())?;
        terms.push(t.to_owned());
    }
    let idf = r.f32s(n_terms)?;
    let k = r.u32()? as usize;
    let bias = r.f32s(k)?;
    let weights = r.f32s(
        n_terms
            .checked_mul(k)
            .ok_or_else(|| "weight count overflows".to_string())?,
    )?;
    if !r.bytes.is_empty() {
        return Err(format!(
            "{} unexpected bytes after the weights",
            r.bytes.len()
        ));
    }
    let featurizer = Featurizer::from_parts(header.features, terms, idf)?;
    let version = version_string(&header.meta, crc);
    Model::from_parts(
        ModelParts {
            meta: header.meta,
            topics: header.topics,
            featurizer,
            link: header.link,
            decision: header.decision,
            outputs: header.outputs,
            weights,
            bias,
            thresholds: header.thresholds,
        },
        version,
    )
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if n > self.bytes.len() {
            return Err(format!(
                "payload ends early: needed {n} more bytes, {} left",
                self.bytes.len()
            ));
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }
    fn u16(&mut self) -> Result<u16, String> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Result<u64, String> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    fn f32s(&mut self, n: usize) -> Result<Vec<f32>, String> {
        let b = self.take(
            n.checked_mul(4)
                .ok_or_else(|| "array length overflows".to_string())?,
        )?;
        Ok(b.chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::features::FeatureConfig;

    fn tiny() -> Model {
        let config = FeatureConfig {
            ngrams: 1,
            min_df: 1,
            max_df: 1.0,
            ..FeatureConfig::default()
        };
        let featurizer = Featurizer::fit(&config, &["vaccine trial", "tariff trade"]).unwrap();
        let v = featurizer.len();
        seal(ModelParts {
            meta: ModelMeta {
                name: "tiny".into(),
                trained_at: "2026-11-27T10:00:00Z".into(),
                ..ModelMeta::default()
            },
            topics: vec!["health".into(), "trade".into()],
            featurizer,
            link: Link::Softmax,
            decision: Decision::Thresholds,
            outputs: vec![Some(0), Some(1), None],
            weights: (0..v * 3).map(|i| i as f32 * 0.25 - 1.0).collect(),
            bias: vec![0.1, -0.2, 0.3],
            thresholds: vec![0.4, 0.6],
        })
        .unwrap()
    }

    #[test]
    fn round_trips_exactly_and_keeps_the_version() {
        let m = tiny();
        let bytes = to_bytes(&m).unwrap();
        let back = from_bytes(&bytes, "mem").unwrap();
        assert!(m.same_parameters(&back));
        assert_eq!(back.meta(), m.meta());
        assert_eq!(back.version(), m.version());
        assert!(m.version().starts_with("20261127-"), "{}", m.version());
    }

    #[test]
    fn re_encoding_a_loaded_model_gives_the_same_bytes() {
        let mut parts = tiny().to_parts();
        parts.meta.evaluation = Some(crate::model::EvalSummary {
            method: "cv".into(),
            accuracy: 0.9179941002949853,
            macro_f1: 0.1 + 0.2,
            classes: Vec::new(),
        });
        let m = seal(parts).unwrap();
        let bytes = to_bytes(&m).unwrap();
        let back = from_bytes(&bytes, "mem").unwrap();
        assert_eq!(to_bytes(&back).unwrap(), bytes);
        assert_eq!(back.version(), m.version());
    }

    #[test]
    fn refuses_foreign_truncated_and_corrupt_files() {
        let bytes = to_bytes(&tiny()).unwrap();
        let err = |b: &[u8]| from_bytes(b, "f.ptm").unwrap_err().to_string();
        assert!(err(b"").contains("empty"));
        assert!(err(b"GIF89a not a model at all").contains("magic"));
        assert!(err(&bytes[..bytes.len() - 10]).contains("truncated"));
        let mut flipped = bytes.clone();
        flipped[HEADER_LEN + 40] ^= 0x55;
        assert!(err(&flipped).contains("checksum mismatch"));
        let mut future = bytes.clone();
        future[8] = 9;
        assert!(err(&future).contains("format version 9"));
        for cut in [0, 7, 8, 23, 24, 100] {
            assert!(from_bytes(&bytes[..cut.min(bytes.len())], "f").is_err());
        }
    }

    #[test]
    fn save_is_atomic_and_leaves_no_temporary_file() {
        let dir = std::env::temp_dir().join(format!("paratag-fmt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("m.ptm");
        save(&tiny(), &path).unwrap();
        save(&tiny(), &path).unwrap();
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["m.ptm"]);
        assert!(load(&path).unwrap().same_parameters(&tiny()));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
