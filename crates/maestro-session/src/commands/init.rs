//! `init`: creates the state dir layout.

use maestro_session_core::store::Store;
use serde_json::json;

use crate::output::Report;

/// Runs `init`.
///
/// Errors: the state dir cannot be created.
pub fn run(store: &Store) -> anyhow::Result<Report> {
    let dir = store.init()?;
    let human = format!("state dir ready: {}\n", dir.display());
    Ok(Report::new(json!({"state_dir": dir}), human))
}
