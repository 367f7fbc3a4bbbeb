//! Dispatch: each command group's module turns parsed arguments into a `session-core` call
//! and a [`Report`] (both renderings of the result). Nothing here decides a rule.

mod changes;
pub mod checkpoint;
pub mod events;
mod lifecycle;
pub mod report;
mod search;
mod sessions;
pub mod team;
mod tools;
pub mod transfer;
pub mod watch;

use maestro_session_core::Env;
use maestro_session_core::store::Store;
use maestro_session_core::workspace::paths::Workspace;

use crate::args::{Cli, Command};
use crate::output::Report;

/// Runs the command `cli` names.
///
/// Errors: whatever the command's `session-core` call refused or failed with, and the state
/// dir not resolving (commands that need none, such as `setup` and `completions`, run
/// without it).
pub fn run(cli: Cli) -> anyhow::Result<Report> {
    let Cli {
        state_dir,
        command,
        json,
    } = cli;
    // These need no state dir: a broken MAESTRO_STATE_DIR or .env where install.sh runs must
    // not stop them.
    let command = match tools::run(command, state_dir.as_deref())? {
        Ok(report) => return Ok(report),
        Err(command) => command,
    };
    let store = store(state_dir.as_deref())?;
    match command {
        Command::Init
        | Command::Create(_)
        | Command::List(_)
        | Command::Show { .. }
        | Command::Status { new: None, .. } => sessions::run(&store, command, json),
        Command::Search(a) => search::run(&store, a, json),
        Command::Archive { .. }
        | Command::Resume { .. }
        | Command::Fork { .. }
        | Command::Delete { .. }
        | Command::Cleanup(_)
        | Command::Doctor { .. } => lifecycle::run(&store, command),
        Command::Checkpoint(c) => checkpoint::run(&store, c),
        Command::Log(a) => events::run(&store, a, json),
        Command::Export(a) => transfer::export(&store, a),
        Command::Import(a) => transfer::import(&store, a),
        Command::Watch(a) => watch::run(&store, a, json),
        Command::Report(a) => report::run(&store, a, json),
        Command::Team(t) => team::run(&store, t),
        command => changes::run(&store, command),
    }
}

/// The store of the project the command runs in (the working directory's), at `state_dir`
/// when given.
fn store(state_dir: Option<&std::path::Path>) -> anyhow::Result<Store> {
    let env = Env::process();
    let cwd = std::env::current_dir()?;
    let ws = match state_dir {
        Some(dir) => Workspace::with_state_dir(&env, &cwd, dir)?,
        None => Workspace::resolve(&env, &cwd)?,
    };
    Ok(Store::new(ws, env))
}

/// The error for a command handed to a module that does not run it (a dispatch bug).
fn misrouted(command: &Command) -> anyhow::Error {
    anyhow::anyhow!("internal error: command {command:?} was dispatched to the wrong module")
}
