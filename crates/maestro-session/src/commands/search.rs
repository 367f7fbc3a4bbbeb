//! `search QUERY… [--limit N] [--status S] [--archived | --active]`: ranked hits over every
//! session (the rules are `maestro_session_core::store::search`'s), and both renderings of them.
//!
//! `--json`: `{"query": "<the words as given>", "terms": ["<folded term>", …], "total": <sessions
//! matched>, "hits": [{"session_id", "location", "status", "task", "score", "path",
//! "matches": [{"field", "terms", "snippet"}]}], "unreadable": [{"error", "kind"}]}`.

use std::fmt::Write as _;

use anstyle::Style;
use clap::Args;
use maestro_session_core::outputs::ErrorObject;
use maestro_session_core::outputs::command::SearchOutput;
use maestro_session_core::session::lifecycle::SessionStatus;
use maestro_session_core::session::session_file::Location;
use maestro_session_core::store::Store;
use maestro_session_core::store::search::{SearchFilter, SearchReport};
use serde_json::Value;

use crate::output::Report;
use crate::{render, values};

/// `search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Words (all must occur, in any field; case-insensitive) and "quoted phrases".
    #[arg(required = true, num_args = 1.., value_name = "QUERY")]
    pub query: Vec<String>,
    /// At most this many hits (the best).
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Only sessions of this status.
    #[arg(long, value_parser = values::state::<SessionStatus>())]
    pub status: Option<SessionStatus>,
    /// Only archived sessions.
    #[arg(long, conflicts_with = "active")]
    pub archived: bool,
    /// Only the active session.
    #[arg(long)]
    pub active: bool,
}

/// Runs `search`; `json_mode` chooses how unreadable session files are warned about.
pub fn run(store: &Store, a: SearchArgs, json_mode: bool) -> anyhow::Result<Report> {
    let query = a.query.join(" ");
    let filter = SearchFilter {
        status: a.status,
        location: if a.archived {
            Some(Location::Archive)
        } else if a.active {
            Some(Location::Active)
        } else {
            None
        },
        limit: a.limit,
    };
    let report = store.search(&query, &filter)?;
    render::broken(&report.unreadable, json_mode);
    Ok(if json_mode {
        Report::new(to_json(&query, &report)?, String::new())
    } else {
        Report {
            json: None,
            human: human(&report),
            unhealthy: false,
        }
    })
}

/// The `--json` object (see the module docs).
fn to_json(query: &str, report: &SearchReport) -> anyhow::Result<Value> {
    crate::output::json(&SearchOutput {
        query: query.to_string(),
        terms: report.query.terms.clone(),
        total: report.total,
        hits: report.hits.clone(),
        unreadable: ErrorObject::list(&report.unreadable),
    })
}

/// The human text: per hit a line with id, location, status and score, the task, then each
/// matched field with its snippet; a closing count.
fn human(report: &SearchReport) -> String {
    use maestro_session_core::session::terminal_text::line;
    const BOLD: Style = Style::new().bold();
    let mut out = String::new();
    let field_width = report
        .hits
        .iter()
        .flat_map(|h| h.matches.iter().map(|m| render::width(&line(&m.field))))
        .max()
        .unwrap_or(0);
    for hit in &report.hits {
        let _ = writeln!(
            out,
            "{BOLD}{}{BOLD:#}  {}  {}  score {}",
            hit.session_id,
            hit.location.as_str(),
            hit.status,
            hit.score
        );
        let _ = writeln!(out, "  {}", render::truncate(&hit.task, 96));
        for m in &hit.matches {
            let field = line(&m.field);
            let pad = field_width.saturating_sub(render::width(&field));
            let _ = writeln!(out, "    {field}{}  {}", " ".repeat(pad), line(&m.snippet));
        }
    }
    let terms = line(&report.query.terms.join(", ")).into_owned();
    if report.hits.is_empty() {
        let _ = writeln!(out, "no session matches every term ({terms})");
    } else {
        let _ = writeln!(
            out,
            "{} of {} matching session(s); terms: {terms}",
            report.hits.len(),
            report.total
        );
    }
    out
}
