//! `maestro-session`: the people-facing command line over orchestration sessions.
//!
//! Thin: parse with clap ([`cli`]), run the command ([`commands`], one file per command, which
//! calls `session-core`), print its [`output::Report`]. A failure is classified and reported by
//! [`failure`]; every exit code comes from `maestro_session_core::ErrorKind::exit_code`.

mod cli;
#[cfg(test)]
mod cli_reference;
mod commands;
mod failure;
#[cfg(feature = "mcp")]
mod mcp;
mod observe;
mod output;
mod render;
mod terminal;
mod values;

use clap::Parser;

/// mimalloc: listing 10,000 sessions is mostly small allocations (see docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // Arguments are OsString: a non-UTF-8 one where text is expected is clap's usage error.
    let code = match cli::Cli::try_parse_from(std::env::args_os()) {
        Err(e) => failure::usage(e, failure::json_requested(std::env::args_os())),
        Ok(cli) => {
            let json_mode = cli.json;
            let ran = commands::run(cli).and_then(|report| {
                report.print(json_mode)?;
                Ok(report.exit_code())
            });
            match ran {
                Ok(code) => code,
                Err(e) => failure::report(&e, json_mode),
            }
        }
    };
    std::process::exit(code);
}
