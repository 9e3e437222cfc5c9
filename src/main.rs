//! The `paratag` command: parses the command line and hands over to [`paratag::cli`].

use clap::Parser;

/// mimalloc instead of the system allocator: request handling makes many small, short-lived
/// allocations (HTTP/2 frames, protobuf messages, futures), and glibc's malloc and free were
/// about a tenth of the server's CPU under load (see the README's "Performance" section).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    paratag::cli::run(paratag::config::Cli::parse())
}
