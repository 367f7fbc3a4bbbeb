//! `maestro-session`: the people-facing command line over orchestration sessions.
//!
//! Thin: parse with clap, call `session-core`, print. Exit codes: 0 success, 1 refused,
//! 2 usage, 3 I/O or corrupt state.

mod setup;

use clap::{Parser, Subcommand};

/// The command line.
#[derive(Debug, Parser)]
#[command(
    name = "maestro-session",
    version,
    about = "Keep, inspect and steer Maestro orchestration sessions"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Register the hooks with Gemini CLI or Claude Code (used by install.sh).
    #[command(subcommand)]
    Setup(setup::Setup),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Setup(s) => setup::run(s),
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(3);
    }
}
