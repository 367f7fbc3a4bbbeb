//! `resume SESSION [--park]`: makes a non-terminal session the active one and continues it.

use anstyle::AnsiColor;
use clap::Args;
use maestro_session_core::outputs::lifecycle::ResumeOutput;
use maestro_session_core::store::{ResumeReport, Store};

use crate::observe;
use crate::output::{self, Report};
use crate::render::{BOLD, colour, out, paint, t};

/// `resume`.
#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// Session id or prefix.
    pub session: String,
    /// Archive a non-terminal active session as paused instead of refusing.
    #[arg(long)]
    pub park: bool,
}

/// Runs `resume`.
///
/// Errors: the session does not resolve or is terminal; a non-terminal active session
/// stands in the way (without `--park`).
pub fn run(store: &Store, a: ResumeArgs) -> anyhow::Result<Report> {
    // Asked before the resume, which makes the session active and in progress.
    let run = observe::interrupted(store);
    let r = store.resume(&a.session, a.park)?;
    let run = run.filter(|i| i.session_id == r.session_id);
    let human = resumed(&r) + &observe::interrupted_line(run.as_ref());
    let out = ResumeOutput {
        interrupted: Some(run),
        ..ResumeOutput::of(&r)
    };
    Ok(Report::new(output::json(&out)?, human))
}

/// After `resume`.
fn resumed(r: &ResumeReport) -> String {
    let mut out = String::new();
    if let Some(p) = &r.parked {
        out!(out, "parked {p} (archived as paused)");
    }
    out!(
        out,
        "resumed {} (now active, in progress)",
        paint(BOLD, &r.session_id)
    );
    if let Some((id, name)) = &r.last_completed {
        out!(
            out,
            "  last completed  phase {}: {}",
            t(&id.to_string()),
            t(name)
        );
    }
    match &r.continue_with {
        Some((id, name)) => out!(
            out,
            "  continue with   phase {}: {}",
            t(&id.to_string()),
            t(name)
        ),
        None => out!(out, "  every phase is done"),
    }
    for (id, name) in &r.failed_phases {
        out!(
            out,
            "  {} phase {}: {}",
            paint(colour(AnsiColor::Red), "failed"),
            t(&id.to_string()),
            t(name)
        );
    }
    for (phase, agent, kind, message) in &r.unresolved_errors {
        out!(
            out,
            "  {} phase {} {} {}: {}",
            paint(colour(AnsiColor::Red), "unresolved"),
            t(&phase.to_string()),
            t(agent),
            t(kind),
            t(message)
        );
    }
    for c in &r.conflicts {
        out!(
            out,
            "  {} phase {}: {} ({})",
            paint(colour(AnsiColor::Yellow), "conflict"),
            t(&c.phase.to_string()),
            t(&c.path),
            t(&c.reason)
        );
    }
    out
}
