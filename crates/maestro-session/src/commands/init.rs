//! `init`: creates the state dir layout.

use maestro_session_core::outputs::command::InitOutput;
use maestro_session_core::store::Store;

use crate::output::{self, Report};

/// Runs `init`.
///
/// Errors: the state dir cannot be created.
pub fn run(store: &Store) -> anyhow::Result<Report> {
    let dir = store.init()?;
    let human = format!("state dir ready: {}\n", dir.display());
    Ok(Report::new(
        output::json(&InitOutput {
            state_dir: dir.display().to_string(),
        })?,
        human,
    ))
}
