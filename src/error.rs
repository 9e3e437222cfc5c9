//! The one error type of paratag's core. The gRPC layer maps it to status codes in a single
//! place (`service::status`); the command line prints it.

/// Everything that can go wrong in paratag.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request field is missing, empty, too large or out of range. `field` names it the way a
    /// caller wrote it (`text`, `texts[3]`, `min_score`).
    #[error("{field}: {reason}")]
    InvalidArgument {
        /// The offending field, e.g. `texts[3]`.
        field: String,
        /// What is wrong with it and what would be accepted.
        reason: String,
    },
    /// The answer to a request would be larger than the server sends (`max_response_bytes`);
    /// the caller can ask for less.
    #[error(
        "the answer would be {bytes} bytes, more than the {limit} bytes this server sends (its max_response_bytes, also what gRPC clients receive by default); ask for less: {advice}"
    )]
    AnswerTooLarge {
        /// Encoded size of the answer, in bytes.
        bytes: usize,
        /// The server's limit, in bytes.
        limit: u32,
        /// Which request options make the answer smaller.
        advice: &'static str,
    },
    /// The service cannot answer now (starting up or shutting down); retrying later may work.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A model file could not be read or is not a valid paratag model.
    #[error("model {source_name}: {reason}")]
    Model {
        /// Where the model came from (a path, or "embedded default model").
        source_name: String,
        /// Why it was refused.
        reason: String,
    },
    /// Labelled data could not be read.
    #[error("{0}")]
    Data(String),
    /// Training or evaluation could not be carried out.
    #[error("training: {0}")]
    Training(String),
    /// An I/O error with the path it concerns.
    #[error("{path}: {source}")]
    Io {
        /// The file the operation was about.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A bug: an invariant did not hold. Details go to the log, not to callers.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// An [`Error::InvalidArgument`] for `field`.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidArgument {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// An [`Error::Io`] for `path`.
    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }
}

/// Result with paratag's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
