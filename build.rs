//! Compiles `proto/` with protox (a pure-Rust protobuf compiler), so building paratag needs no
//! `protoc` on the machine. The encoded descriptor set, with comments, is written to OUT_DIR for
//! server reflection.

use prost::Message;
use std::{env, fs, path::PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto = "proto/paratag/v1/paratag.proto";
    println!("cargo:rerun-if-changed=proto");

    let fds = protox::compile([proto], ["proto"])?;
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    fs::write(out_dir.join("paratag_descriptor.bin"), fds.encode_to_vec())?;

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .codec_path("crate::service::codec::RequestCodec")
        .compile_fds(fds)?;
    Ok(())
}
