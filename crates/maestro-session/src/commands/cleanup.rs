//! `cleanup [SESSION] [--older-than AGE] [--all --yes] [--dry-run]`: removes old archived
//! sessions in a terminal status.

use anstream::eprintln;
use anstyle::AnsiColor;
use clap::Args;
use maestro_session_core::clock;
use maestro_session_core::outputs::lifecycle::CleanupOutput;
use maestro_session_core::session::terminal_text;
use maestro_session_core::store::{CleanupReport, CleanupRequest, Store};

use crate::output::{self, Report};
use crate::render::{colour, out, paint, t, tp};

/// `cleanup`.
#[derive(Debug, Args)]
pub struct CleanupArgs {
    /// Remove just this archived session (any status).
    pub session: Option<String>,
    /// Age after which archived terminal sessions go (90s, 30m, 12h, 7d, 2w); default 7d.
    #[arg(long, value_name = "AGE")]
    pub older_than: Option<String>,
    /// Remove every session of the state dir (needs --yes).
    #[arg(long, conflicts_with = "session")]
    pub all: bool,
    /// Confirm --all.
    #[arg(long)]
    pub yes: bool,
    /// Only list what would be removed.
    #[arg(long)]
    pub dry_run: bool,
}
/// Runs `cleanup`.
///
/// Errors: `--older-than` is not an age; `--all` without `--yes`; a removal fails.
pub fn run(store: &Store, a: CleanupArgs) -> anyhow::Result<Report> {
    let older_than_secs = a
        .older_than
        .as_deref()
        .map(|age| clock::parse_age(age, jiff::Timestamp::now()))
        .transpose()?;
    let req = CleanupRequest {
        older_than_secs,
        id: a.session,
        all: a.all,
        yes: a.yes,
        dry_run: a.dry_run,
    };
    let r = store.cleanup(&req)?;
    Ok(Report::new(
        output::json(&CleanupOutput::of(&r))?,
        cleaned(&r),
    ))
}

/// After `cleanup`.
fn cleaned(r: &CleanupReport) -> String {
    let mut out = String::new();
    let verb = if r.dry_run { "would remove" } else { "removed" };
    if r.removed.is_empty() {
        out!(out, "nothing to remove");
    }
    for (id, path) in &r.removed {
        out!(out, "{verb} {} ({})", t(id), tp(path));
    }
    for e in &r.kept_unreadable {
        eprintln!(
            "{} {}",
            paint(
                colour(AnsiColor::Yellow).bold(),
                "kept unreadable session file:"
            ),
            terminal_text::text(&e.to_string())
        );
    }
    out
}
