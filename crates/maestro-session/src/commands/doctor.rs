//! `doctor [--fix]`: finds (and repairs) what interrupted or foreign writes left in the state
//! dir; exit 1 when anything is left to repair.

use anstyle::AnsiColor;
use clap::Args;
use maestro_session_core::store::Store;
use maestro_session_core::store::doctor::DoctorReport;

use crate::output::Report;
use crate::render::{colour, out, paint, t, tp};

/// `doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Complete unfinished moves, keep the newest copy of a duplicated session, and move
    /// what cannot be kept in place to state/quarantine/ (never deletes session data).
    #[arg(long)]
    pub fix: bool,
}

/// Runs `doctor`.
///
/// Errors: the state dir cannot be read or locked.
pub fn run(store: &Store, a: DoctorArgs) -> anyhow::Result<Report> {
    let r = store.doctor(a.fix)?;
    Ok(Report {
        unhealthy: !r.healthy(),
        ..Report::new(serde_json::to_value(&r)?, doctor(&r))
    })
}

/// `doctor`: the problems found and the repairs made.
fn doctor(r: &DoctorReport) -> String {
    let mut out = String::new();
    if r.problems.is_empty() {
        out!(out, "{}: nothing to repair", tp(&r.state_dir));
        return out;
    }
    for p in &r.problems {
        out!(
            out,
            "{} {}: {}",
            paint(colour(AnsiColor::Yellow).bold(), p.kind.name()),
            t(&p.path),
            t(&p.detail)
        );
        if !r.fix && !p.remedy.is_empty() {
            out!(out, "  {}", p.remedy);
        }
    }
    for f in &r.fixed {
        out!(
            out,
            "{} {}: {}",
            paint(colour(AnsiColor::Green).bold(), "fixed:"),
            t(&f.path),
            t(&f.action)
        );
    }
    for u in &r.unrepaired {
        out!(
            out,
            "{} {}: {}",
            paint(colour(AnsiColor::Red).bold(), "not repaired:"),
            u.path,
            u.detail
        );
        out!(out, "  {}", u.remedy);
    }
    if !r.fix {
        out!(out, "run `maestro-session doctor --fix` to repair");
    }
    out
}
