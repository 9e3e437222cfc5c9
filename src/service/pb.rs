//! Code generated from `proto/paratag/v1/paratag.proto` by build.rs (prost + tonic).
#![allow(missing_docs, clippy::all)]

tonic::include_proto!("paratag.v1");

/// The encoded descriptor set of paratag.proto, with comments, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("paratag_descriptor");
