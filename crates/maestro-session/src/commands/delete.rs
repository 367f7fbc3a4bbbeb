//! `delete SESSION [--force]`: deletes one session file (an unreadable one is quarantined
//! instead).

use clap::Args;
use maestro_session_core::store::{DeleteReport, Store};

use crate::output::Report;
use crate::render::{out, t, tp};

/// `delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// Session id or prefix.
    pub session: String,
    /// Allow deleting the active session.
    #[arg(long)]
    pub force: bool,
}

/// Runs `delete`.
///
/// Errors: the session does not resolve; it is the active one (without `--force`).
pub fn run(store: &Store, a: DeleteArgs) -> anyhow::Result<Report> {
    let r = store.delete(&a.session, a.force)?;
    Ok(Report::new(serde_json::to_value(&r)?, deleted(&r)))
}

/// After `delete`.
fn deleted(r: &DeleteReport) -> String {
    let mut out = String::new();
    match &r.quarantined {
        Some(to) => out!(
            out,
            "{} could not be read; moved it to {} instead of deleting it",
            tp(&r.path),
            tp(to)
        ),
        None => out!(out, "deleted {} ({})", t(&r.session_id), tp(&r.path)),
    }
    out
}
