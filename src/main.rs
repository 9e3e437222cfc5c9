//! The `paratag` command: parses the command line and hands over to [`paratag::cli`].

use clap::Parser;

fn main() -> std::process::ExitCode {
    paratag::cli::run(paratag::config::Cli::parse())
}
