//! paratag labels paragraphs of news and diplomatic text by topic.
//!
//! Data flows one way: a request (gRPC in [`service`], or the command line in [`cli`]) hands
//! text to [`extract`] or straight to the [`model`], which turns it into [`text`] terms, then
//! features, then scores. No module calls back up that chain.

#![warn(missing_docs)]

pub mod cli;
pub mod config;
pub mod corpus;
pub mod error;
pub mod extract;
pub mod loadgen;
pub mod model;
pub mod service;
pub mod text;

pub use error::{Error, Result};
