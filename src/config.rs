//! Configuration: the command line (every flag also readable from a `PARATAG_…` environment
//! variable) and the validated settings the server runs with.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// paratag: labels paragraphs of news and diplomatic text by topic, over gRPC.
#[derive(Debug, Parser)]
#[command(name = "paratag", version, about, long_about = None, args_override_self = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the gRPC API (with health and reflection) on the default or a given model.
    Serve(ServeArgs),
    /// Train a model from labelled paragraphs with linfa and write it to a file.
    Train(TrainArgs),
    /// Measure a training recipe by cross-validation or on a separate test set.
    Eval(EvalArgs),
    /// Label a text, or each paragraph of a document, locally without a server.
    Classify(ClassifyArgs),
    /// Work on the training corpus.
    #[command(subcommand)]
    Corpus(CorpusCommand),
    /// Load-test a paratag.v1 server (closed loop; reports rate and latency percentiles).
    BenchClient(BenchClientArgs),
}

/// Flags of `paratag bench-client`.
#[derive(Debug, Clone, Args)]
pub struct BenchClientArgs {
    /// Server URL.
    #[arg(long, env = "PARATAG_TARGET", default_value = "http://127.0.0.1:50051")]
    pub target: String,
    /// What each request does.
    #[arg(long, env = "PARATAG_WORKLOAD", value_enum, default_value = "classify")]
    pub workload: crate::loadgen::Workload,
    /// HTTP/2 connections.
    #[arg(long, env = "PARATAG_CONNECTIONS", default_value_t = 4)]
    pub connections: usize,
    /// Requests (or stream items) outstanding per connection.
    #[arg(long, env = "PARATAG_IN_FLIGHT", default_value_t = 16)]
    pub in_flight: usize,
    /// Seconds to measure.
    #[arg(long, env = "PARATAG_DURATION", default_value_t = 10.0)]
    pub duration: f64,
    /// Seconds of warm-up, not measured.
    #[arg(long, env = "PARATAG_WARMUP", default_value_t = 2.0)]
    pub warmup: f64,
    /// Stop after this many measured requests (0: run for --duration).
    #[arg(long, env = "PARATAG_REQUESTS", default_value_t = 0)]
    pub requests: u64,
    /// Paragraphs per ClassifyBatch.
    #[arg(long, env = "PARATAG_BATCH_SIZE", default_value_t = 64)]
    pub batch_size: usize,
    /// Words in the Extract document.
    #[arg(long, env = "PARATAG_DOCUMENT_WORDS", default_value_t = 4000)]
    pub document_words: usize,
    /// Input paragraphs: a JSONL or `label<TAB>text` file or a directory (default: data/corpus
    /// when present, else built-in sample texts).
    #[arg(long, env = "PARATAG_INPUT")]
    pub input: Option<PathBuf>,
    /// Client runtime threads (0: all cores).
    #[arg(long, env = "PARATAG_CLIENT_THREADS", default_value_t = 0)]
    pub threads: usize,
    /// Print the report as one JSON object.
    #[arg(long, env = "PARATAG_JSON")]
    pub json: bool,
}

/// `paratag corpus …` subcommands.
#[derive(Debug, Subcommand)]
pub enum CorpusCommand {
    /// Check coverage against the taxonomy card, lengths, labels, duplicates and dev-set leaks.
    Check(CorpusCheckArgs),
}

/// Flags of `paratag corpus check`.
#[derive(Debug, Clone, Args)]
pub struct CorpusCheckArgs {
    /// The taxonomy card.
    #[arg(long, env = "PARATAG_CARD", default_value = "data/TOPICS.md")]
    pub card: PathBuf,
    /// The corpus (file or directory).
    #[arg(long, env = "PARATAG_CORPUS", default_value = "data/corpus")]
    pub corpus: PathBuf,
    /// The dev set; checked for counts, duplicates and leaks into the corpus.
    #[arg(long, env = "PARATAG_DEV", default_value = "data/dev.jsonl")]
    pub dev: PathBuf,
    /// Shingle Jaccard similarity at or above which two paragraphs count as near duplicates.
    #[arg(long, env = "PARATAG_NEAR_DUPLICATE", default_value_t = 0.5)]
    pub near_duplicate: f64,
    /// Print the report as JSON.
    #[arg(long, env = "PARATAG_JSON")]
    pub json: bool,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Flags of `paratag serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on. The default is loopback only; use 0.0.0.0:50051 to accept
    /// connections from other hosts.
    #[arg(long, env = "PARATAG_LISTEN", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,

    /// Model file to serve instead of the embedded default model.
    #[arg(long, env = "PARATAG_MODEL")]
    pub model: Option<PathBuf>,

    /// Gazetteer file for Extract's entities instead of the embedded models/gazetteer.toml.
    #[arg(long, env = "PARATAG_GAZETTEER")]
    pub gazetteer: Option<PathBuf>,

    /// Largest text accepted by Classify and ClassifyBatch (per text), in UTF-8 bytes.
    #[arg(long, env = "PARATAG_MAX_TEXT_BYTES", default_value_t = 65_536)]
    pub max_text_bytes: u32,

    /// Most texts accepted in one ClassifyBatch request.
    #[arg(long, env = "PARATAG_MAX_BATCH_ITEMS", default_value_t = 256)]
    pub max_batch_items: u32,

    /// Largest document accepted by Extract, in UTF-8 bytes.
    #[arg(long, env = "PARATAG_MAX_DOCUMENT_BYTES", default_value_t = 2 * 1024 * 1024)]
    pub max_document_bytes: u32,

    /// Largest encoded gRPC request message the server decodes, in bytes. Must exceed
    /// --max-document-bytes and --max-text-bytes (with room for the envelope).
    #[arg(long, env = "PARATAG_MAX_MESSAGE_BYTES", default_value_t = 4 * 1024 * 1024)]
    pub max_message_bytes: u32,

    /// Warm-up passes over built-in sample texts before the server reports SERVING.
    #[arg(long, env = "PARATAG_WARMUP_ROUNDS", default_value_t = 20)]
    pub warmup_rounds: u32,

    /// Seconds to keep serving after health turns NOT_SERVING on shutdown, so load balancers
    /// stop sending new work before connections close.
    #[arg(long, env = "PARATAG_DRAIN_DELAY", default_value_t = 0.0)]
    pub drain_delay: f64,

    /// Seconds to let in-flight requests finish on shutdown before the server stops anyway.
    #[arg(long, env = "PARATAG_SHUTDOWN_GRACE", default_value_t = 10.0)]
    pub shutdown_grace: f64,

    /// Log filter (tracing EnvFilter syntax), e.g. "info" or "paratag=debug".
    #[arg(long, env = "PARATAG_LOG", default_value = "info")]
    pub log: String,

    /// Log format.
    #[arg(long, env = "PARATAG_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// Request limits enforced by the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest Classify text, in bytes.
    pub max_text_bytes: u32,
    /// Most texts per batch.
    pub max_batch_items: u32,
    /// Largest Extract document, in bytes.
    pub max_document_bytes: u32,
    /// Largest decoded gRPC message, in bytes.
    pub max_message_bytes: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_text_bytes: 65_536,
            max_batch_items: 256,
            max_document_bytes: 2 * 1024 * 1024,
            max_message_bytes: 4 * 1024 * 1024,
        }
    }
}

/// Validated server settings.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Request limits.
    pub limits: Limits,
    /// Warm-up passes before SERVING.
    pub warmup_rounds: u32,
    /// Time between NOT_SERVING and closing connections on shutdown.
    pub drain_delay: Duration,
    /// Longest wait for in-flight requests on shutdown.
    pub shutdown_grace: Duration,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            limits: Limits::default(),
            warmup_rounds: 20,
            drain_delay: Duration::ZERO,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// Room for the protobuf envelope around the largest text or document.
const ENVELOPE_BYTES: u32 = 4096;

impl ServeArgs {
    /// Checks the flags and returns the server settings, or a one-line reason.
    pub fn validate(&self) -> Result<ServeConfig, String> {
        let positive = |name: &str, v: u32| {
            if v == 0 {
                Err(format!("--{name} must be at least 1"))
            } else {
                Ok(())
            }
        };
        positive("max-text-bytes", self.max_text_bytes)?;
        positive("max-batch-items", self.max_batch_items)?;
        positive("max-document-bytes", self.max_document_bytes)?;
        let biggest = self.max_text_bytes.max(self.max_document_bytes);
        if self.max_message_bytes < biggest.saturating_add(ENVELOPE_BYTES) {
            return Err(format!(
                "--max-message-bytes ({}) must be at least {} (the larger of --max-text-bytes and --max-document-bytes plus {ENVELOPE_BYTES})",
                self.max_message_bytes,
                biggest.saturating_add(ENVELOPE_BYTES)
            ));
        }
        let secs = |name: &str, v: f64| {
            if v.is_finite() && (0.0..=3600.0).contains(&v) {
                Ok(Duration::from_secs_f64(v))
            } else {
                Err(format!(
                    "--{name} must be between 0 and 3600 seconds, not {v}"
                ))
            }
        };
        Ok(ServeConfig {
            limits: Limits {
                max_text_bytes: self.max_text_bytes,
                max_batch_items: self.max_batch_items,
                max_document_bytes: self.max_document_bytes,
                max_message_bytes: self.max_message_bytes,
            },
            warmup_rounds: self.warmup_rounds,
            drain_delay: secs("drain-delay", self.drain_delay)?,
            shutdown_grace: secs("shutdown-grace", self.shutdown_grace)?,
        })
    }
}

/// Learner choice on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LearnerKind {
    /// Multinomial logistic regression (softmax), linfa-logistic.
    Logistic,
    /// One-vs-rest binary logistic regressions, linfa-logistic.
    OvrLogistic,
    /// Multinomial naive Bayes, linfa-bayes.
    NaiveBayes,
}

/// Training settings that can override a recipe (all optional).
#[derive(Debug, Clone, Default, Args)]
pub struct RecipeOverrides {
    /// Learner.
    #[arg(long, env = "PARATAG_LEARNER", value_enum)]
    pub learner: Option<LearnerKind>,
    /// L2 penalty (logistic) or smoothing (naive Bayes).
    #[arg(long, env = "PARATAG_ALPHA")]
    pub alpha: Option<f32>,
    /// L-BFGS iterations (logistic learners).
    #[arg(long, env = "PARATAG_MAX_ITERATIONS")]
    pub max_iterations: Option<u64>,
    /// Longest n-gram, 1 or 2.
    #[arg(long, env = "PARATAG_NGRAMS")]
    pub ngrams: Option<u8>,
    /// Minimum document frequency of a term (paragraphs).
    #[arg(long, env = "PARATAG_MIN_DF")]
    pub min_df: Option<u32>,
    /// Maximum document frequency of a term (fraction of paragraphs).
    #[arg(long, env = "PARATAG_MAX_DF")]
    pub max_df: Option<f32>,
    /// Keep at most this many terms (0 = all).
    #[arg(long, env = "PARATAG_MAX_FEATURES")]
    pub max_features: Option<u32>,
    /// Use sublinear term frequency (true/false).
    #[arg(long, env = "PARATAG_SUBLINEAR_TF")]
    pub sublinear_tf: Option<bool>,
    /// Stopword list: "english" or "none".
    #[arg(long, env = "PARATAG_STOPWORDS")]
    pub stopwords: Option<String>,
    /// Give "none" paragraphs their own class in softmax learners (true/false).
    #[arg(long, env = "PARATAG_NONE_CLASS")]
    pub none_class: Option<bool>,
    /// Folds used to choose per-topic thresholds.
    #[arg(long, env = "PARATAG_THRESHOLD_FOLDS")]
    pub threshold_folds: Option<u32>,
    /// Seed for fold assignment.
    #[arg(long, env = "PARATAG_SEED")]
    pub seed: Option<u64>,
    /// Worker threads for independent fits (0 = all cores).
    #[arg(long, env = "PARATAG_THREADS")]
    pub threads: Option<usize>,
}

/// Flags of `paratag train`.
#[derive(Debug, Clone, Args)]
pub struct TrainArgs {
    /// Training recipe (TOML): data, features, learner, topic descriptions. The default model
    /// is built from models/default.toml.
    #[arg(long, env = "PARATAG_RECIPE")]
    pub recipe: Option<PathBuf>,
    /// Labelled data (JSONL or TSV file, or a directory of them); replaces the recipe's data.
    #[arg(long, env = "PARATAG_DATA")]
    pub data: Vec<PathBuf>,
    /// Where to write the model.
    #[arg(long, short, env = "PARATAG_OUT")]
    pub out: PathBuf,
    /// Model name (default: the recipe's, or "paratag-custom").
    #[arg(long, env = "PARATAG_NAME")]
    pub name: Option<String>,
    /// Also measure the model by k-fold cross-validation and store the figures in it
    /// (0 = the recipe's eval_folds; skip with --no-eval).
    #[arg(long, env = "PARATAG_EVAL_FOLDS", default_value_t = 0)]
    pub eval_folds: u32,
    /// Do not cross-validate (faster; the model then reports no evaluation).
    #[arg(long, env = "PARATAG_NO_EVAL")]
    pub no_eval: bool,
    /// Settings that override the recipe.
    #[command(flatten)]
    pub overrides: RecipeOverrides,
}

/// Flags of `paratag eval`.
#[derive(Debug, Clone, Args)]
pub struct EvalArgs {
    /// Data to cross-validate on (with --folds).
    #[arg(long, env = "PARATAG_DATA", conflicts_with_all = ["train", "test"])]
    pub data: Vec<PathBuf>,
    /// Number of folds for cross-validation.
    #[arg(long, env = "PARATAG_FOLDS", default_value_t = 5)]
    pub folds: u32,
    /// Training data for a train/test evaluation.
    #[arg(long, env = "PARATAG_TRAIN", requires = "test")]
    pub train: Option<PathBuf>,
    /// Test data for a train/test evaluation (never used for any choice).
    #[arg(long, env = "PARATAG_TEST", requires = "train")]
    pub test: Option<PathBuf>,
    /// Train on this fraction of --train only (a stratified, seeded subset), for learning curves.
    #[arg(
        long,
        env = "PARATAG_TRAIN_FRACTION",
        default_value_t = 1.0,
        requires = "train"
    )]
    pub train_fraction: f64,
    /// Evaluate an existing model file on --test instead of training one.
    #[arg(long, env = "PARATAG_EVAL_MODEL", conflicts_with = "train")]
    pub model: Option<PathBuf>,
    /// Recipe whose settings to evaluate (default: built-in defaults).
    #[arg(long, env = "PARATAG_RECIPE")]
    pub recipe: Option<PathBuf>,
    /// Print a JSON object as the last line.
    #[arg(long, env = "PARATAG_JSON")]
    pub json: bool,
    /// Settings that override the recipe.
    #[command(flatten)]
    pub overrides: RecipeOverrides,
}

/// Flags of `paratag classify`.
#[derive(Debug, Clone, Args)]
pub struct ClassifyArgs {
    /// File to read, or "-" (the default) for standard input.
    #[arg(default_value = "-")]
    pub input: String,
    /// Model file (default: the embedded default model).
    #[arg(long, env = "PARATAG_MODEL")]
    pub model: Option<PathBuf>,
    /// Treat the input as one text instead of splitting it into paragraphs.
    #[arg(long, env = "PARATAG_WHOLE")]
    pub whole: bool,
    /// Show evidence terms for each label.
    #[arg(long, env = "PARATAG_EXPLAIN")]
    pub explain: bool,
    /// Print JSON (one object for the whole input) instead of a table.
    #[arg(long, env = "PARATAG_JSON")]
    pub json: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve(args: &[&str]) -> ServeArgs {
        let mut all = vec!["paratag", "serve"];
        all.extend_from_slice(args);
        match Cli::try_parse_from(all).unwrap().command {
            Command::Serve(s) => s,
            _ => unreachable!(),
        }
    }

    #[test]
    fn defaults_are_valid_and_listen_on_loopback() {
        let s = serve(&[]);
        assert!(s.listen.ip().is_loopback());
        let c = s.validate().unwrap();
        assert_eq!(c.limits, Limits::default());
    }

    #[test]
    fn inconsistent_limits_are_refused_with_a_reason() {
        let err = serve(&["--max-message-bytes", "1000"])
            .validate()
            .unwrap_err();
        assert!(err.contains("--max-message-bytes"), "{err}");
        let err = serve(&["--max-batch-items", "0"]).validate().unwrap_err();
        assert!(err.contains("--max-batch-items"), "{err}");
        let err = serve(&["--shutdown-grace=-1"]).validate().unwrap_err();
        assert!(err.contains("--shutdown-grace"), "{err}");
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
