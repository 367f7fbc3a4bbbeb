//! The command line's top level (clap derive): the global options and the subcommand, whose
//! grammar is each command's own (`crate::commands`). Behaviour lives in `session-core`.

use std::path::PathBuf;

use clap::Parser;

use crate::commands::Command;

const AFTER_HELP: &str = "\
SESSIONS are named by their id or any unique prefix of it, matched over active and archived
sessions alike; `active` names the active session.

EXIT CODES:
  0  success (also when the reader of stdout goes away, as `| head` does)
  1  refused: invalid transition, ambiguous or unknown id, refused path
  2  usage: bad arguments or values
  3  I/O failure, lock timeout, or a session file that does not parse

ENVIRONMENT:
  MAESTRO_STATE_DIR         state dir (else <project>/.env, else docs/maestro)
  MAESTRO_MAX_RETRIES       phase retry bound (default 2)
  MAESTRO_LOCK_TIMEOUT_MS   wait for the state lock (default 10000)
  MAESTRO_CHECKPOINTS_KEEP  automatic checkpoints kept per session (default 20)
  NO_COLOR                  no colour even on a terminal";

/// Keep, inspect and steer Maestro orchestration sessions.
#[derive(Debug, Parser)]
#[command(name = "maestro-session", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    /// The state dir (default: $MAESTRO_STATE_DIR, the project's .env, or docs/maestro),
    /// relative to the project root. Valid UTF-8 (it is shown and compared as text).
    #[arg(long, global = true, value_name = "DIR", value_parser = utf8_path())]
    pub state_dir: Option<PathBuf>,
    /// Print one JSON object on stdout; errors as {"error", "kind"} on stderr (usage errors
    /// add "usage").
    #[arg(long, global = true)]
    pub json: bool,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Parser of a path argument that must be valid UTF-8: a non-UTF-8 one is clap's usage error
/// (exit 2), like any other text argument.
pub fn utf8_path() -> impl clap::builder::TypedValueParser<Value = PathBuf> {
    use clap::builder::TypedValueParser;
    clap::builder::StringValueParser::new().map(PathBuf::from)
}
