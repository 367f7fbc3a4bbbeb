//! `list [STATUS] [--branch B] [--since T] [--until T] [--limit N] [--wide]`: sessions,
//! newest first, as a table or `{"sessions", "unreadable"}`.

use anstyle::Style;
use clap::Args;
use maestro_session_core::clock;
use maestro_session_core::outputs::sessions::ListOutput;
use maestro_session_core::session::lifecycle::SessionStatus;
use maestro_session_core::session::session_file::Location;
use maestro_session_core::store::Store;
use maestro_session_core::store::listing::{self, ListFilter, SessionSummary};

use crate::output::{self, Report};
use crate::render::{BOLD, DIM, out, paint_stdout, plain, status_style, t, table, truncate, width};
use crate::{observe, render, values};

/// `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this status.
    #[arg(value_name = "STATUS", value_parser = values::state::<SessionStatus>())]
    pub status_arg: Option<SessionStatus>,
    /// Only this status.
    #[arg(long, conflicts_with = "status_arg", value_parser = values::state::<SessionStatus>())]
    pub status: Option<SessionStatus>,
    /// Only sessions created on this git branch.
    #[arg(long)]
    pub branch: Option<String>,
    /// Only sessions updated since (RFC 3339, a date, or an age: 12h, 7d).
    #[arg(long)]
    pub since: Option<String>,
    /// Only sessions updated until (same forms).
    #[arg(long)]
    pub until: Option<String>,
    /// At most this many rows.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Show every column in full (by default the table fits 100 columns, long tasks and ids
    /// cut with `…`).
    #[arg(long)]
    pub wide: bool,
}

/// Runs `list`; `json_mode` chooses how unreadable session files are warned about on stderr
/// and which rendering is made (for 10,000 rows each costs tens of ms).
///
/// Errors: the state dir cannot be listed; a filter value is not a time.
pub fn run(store: &Store, a: ListArgs, json_mode: bool) -> anyhow::Result<Report> {
    let (rows, broken) = store.summaries()?;
    let filter = ListFilter {
        status: a.status.or(a.status_arg),
        branch: a.branch,
        since: a.since,
        until: a.until,
        limit: a.limit,
    };
    let rows = listing::filter(rows, &filter)?;
    render::broken(&broken, json_mode);
    let run = observe::interrupted(store);
    let interrupted = run.as_ref().map(|r| r.session_id.as_str());
    Ok(if json_mode {
        let out = ListOutput::new(rows, &broken, Some(run.as_ref()));
        Report::new(output::json(&out)?, String::new())
    } else {
        Report {
            json: None,
            human: text(&rows, a.wide, interrupted),
            unhealthy: false,
        }
    })
}

/// The width `list` fits its table in, unless `--wide`.
pub const LIST_COLUMNS: usize = 100;

/// The narrowest the task column gets before ids are cut too.
const MIN_TASK_COLUMNS: usize = 16;

/// `list`: one row per session in the order given; without `wide` the table fits
/// [`LIST_COLUMNS`], long tasks (then long ids) cut with `…` by display width.
/// `interrupted` names the active session whose run was interrupted: its status reads
/// `interrupted`.
fn text(rows: &[SessionSummary], wide: bool, interrupted: Option<&str>) -> String {
    let mut out = String::new();
    if rows.is_empty() {
        out!(out, "no sessions");
        return out;
    }
    const HEADER: [&str; 7] = ["ID", "TASK", "STATUS", "STAGE", "PHASES", "TOKENS", "AGE"];
    let now = jiff::Timestamp::now();
    let marker = |r: &SessionSummary| {
        if r.location == Location::Active {
            " *"
        } else {
            ""
        }
    };
    let rest: Vec<[String; 5]> = rows
        .iter()
        .map(|r| {
            let interrupted =
                r.location == Location::Active && interrupted == Some(r.session_id.as_str());
            [
                if interrupted {
                    "interrupted".to_string()
                } else {
                    r.status.to_string()
                },
                r.stage.clone().unwrap_or_else(|| "-".into()),
                format!("{}/{}", r.phases_done, r.total_phases),
                r.tokens.to_string(),
                clock::parse_iso(&r.updated)
                    .map(|t| clock::age(t, now))
                    .unwrap_or_else(|| "?".into()),
            ]
        })
        .collect();
    let (id_columns, task_columns) = if wide {
        (usize::MAX, usize::MAX)
    } else {
        let fixed: usize = (0..5)
            .map(|i| {
                rest.iter()
                    .map(|cells| width(&cells[i]))
                    .chain([width(HEADER[i + 2])])
                    .max()
                    .unwrap_or(0)
            })
            .sum();
        let room = LIST_COLUMNS.saturating_sub(fixed + 2 * (HEADER.len() - 1));
        let widest = |cells: &mut dyn Iterator<Item = usize>| cells.max().unwrap_or(0);
        let ids = widest(&mut rows.iter().map(|r| width(&r.session_id) + width(marker(r))))
            .max(width(HEADER[0]));
        let tasks = widest(&mut rows.iter().map(|r| width(&t(&r.task)))).max(width(HEADER[1]));
        let task = tasks.min(room.saturating_sub(ids).max(MIN_TASK_COLUMNS));
        (room.saturating_sub(task).max(4), task)
    };
    let body: Vec<Vec<(String, Style)>> = rows
        .iter()
        .zip(rest)
        .map(|(r, [status, stage, phases, tokens, age])| {
            let mark = marker(r);
            let id = truncate(&r.session_id, id_columns.saturating_sub(width(mark)));
            let id_style = if mark.is_empty() { Style::new() } else { BOLD };
            let status_style = status_style(&status);
            vec![
                (format!("{id}{mark}"), id_style),
                plain(truncate(&r.task, task_columns)),
                (status, status_style),
                plain(stage),
                plain(phases),
                plain(tokens),
                plain(age),
            ]
        })
        .collect();
    table(&mut out, &HEADER, &body);
    out!(
        out,
        "{}",
        paint_stdout(
            DIM,
            &format!(
                "{} session(s); * = active{}",
                rows.len(),
                if interrupted.is_some() {
                    "; interrupted = in progress, but its runtime ended without a SessionEnd"
                } else {
                    ""
                }
            )
        )
    );
    out
}
