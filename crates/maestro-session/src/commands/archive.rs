//! `archive [SESSION]`: archives a session (default: the active one) and its plan documents.

use clap::Args;
use maestro_session_core::outputs::lifecycle::ArchiveOutput;
use maestro_session_core::store::{ArchiveReport, Store};

use crate::output::{self, Report};
use crate::render::{BOLD, out, paint, tp};

/// `archive`.
#[derive(Debug, Args)]
pub struct ArchiveArgs {
    /// Session id or prefix.
    pub session: Option<String>,
}

/// Runs `archive`.
///
/// Errors: no session to archive; the move fails.
pub fn run(store: &Store, a: ArchiveArgs) -> anyhow::Result<Report> {
    let r = store.archive(a.session.as_deref())?;
    Ok(Report::new(
        output::json(&ArchiveOutput::of(&r))?,
        archived(&r),
    ))
}

/// After `archive`.
fn archived(r: &ArchiveReport) -> String {
    let mut out = String::new();
    if r.already_archived && r.moved.is_empty() {
        out!(
            out,
            "{} was already archived at {}",
            r.session_id,
            tp(&r.path)
        );
    } else {
        out!(
            out,
            "archived {} to {}",
            paint(BOLD, &r.session_id),
            tp(&r.path)
        );
    }
    for (from, to) in &r.moved {
        out!(out, "  moved {} -> {}", tp(from), tp(to));
    }
    out
}
