//! `fork SESSION [--activate [--park]]`: copies a session into a new one.

use clap::Args;
use maestro_session_core::session::lifecycle::SessionStatus;
use maestro_session_core::session::session_file::SessionFile;
use maestro_session_core::store::Store;

use crate::output::{self, Report};
use crate::render::{BOLD, out, paint, t};

/// `fork`.
#[derive(Debug, Args)]
pub struct ForkArgs {
    /// Session id or prefix.
    pub session: String,
    /// Make the fork the active session, in progress.
    #[arg(long)]
    pub activate: bool,
    /// With --activate: archive a non-terminal active session as paused.
    #[arg(long)]
    pub park: bool,
}

/// Runs `fork`.
///
/// Errors: the session does not resolve; with `--activate`, a non-terminal active session
/// stands in the way (without `--park`).
pub fn run(store: &Store, a: ForkArgs) -> anyhow::Result<Report> {
    let s = store.fork(&a.session, a.activate, a.park)?;
    Ok(Report::new(output::session(&s)?, forked(&s)))
}

/// After `fork`.
fn forked(s: &SessionFile) -> String {
    let mut out = String::new();
    let status = if s.meta.status == SessionStatus::InProgress {
        "active, in progress"
    } else {
        "archived, paused"
    };
    out!(
        out,
        "forked {} from {} ({status})",
        paint(BOLD, s.id()),
        t(s.meta.parent_session.as_deref().unwrap_or("?"))
    );
    out
}
