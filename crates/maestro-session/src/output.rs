//! What a command prints, and printing it: the `--json` object or the human text, written in
//! one place so that a closed stdout is an error the caller sees ([`crate::failure`] ends such
//! a run quietly) instead of a panic.

use std::io::Write as _;

use anyhow::Context as _;
use maestro_session_core::ErrorKind;
use maestro_session_core::error::Error;
use maestro_session_core::session::session_file::SessionFile;
use maestro_session_core::session::terminal_text;
use maestro_session_core::store::listing::SessionSummary;
use maestro_session_core::store::{ArchiveReport, CleanupReport, ResumeReport};
use serde_json::{Value, json};

/// A command's result: both renderings, one of which is printed, and how the run ends.
#[derive(Debug, Default)]
pub struct Report {
    /// The `--json` object (`None`: the command prints nothing in JSON mode either).
    pub json: Option<Value>,
    /// The human text (may hold styles; they are stripped when stdout is not a terminal or
    /// `NO_COLOR` is set). Printed through [`terminal_text::output`]: no control or bidi
    /// character other than our styles, `\n` and `\t` is ever printed.
    pub human: String,
    /// Whether the command found something left to do (`doctor`): the run then exits with
    /// the refused code.
    pub unhealthy: bool,
}

impl Report {
    /// A report printing `json` with `--json` and `human` otherwise.
    pub fn new(json: Value, human: String) -> Report {
        Report {
            json: Some(json),
            human,
            unhealthy: false,
        }
    }

    /// A report that prints nothing (the MCP server wrote its own output).
    pub fn silent() -> Report {
        Report::default()
    }

    /// The process exit code of a run that produced this report.
    pub fn exit_code(&self) -> i32 {
        if self.unhealthy {
            ErrorKind::Refused.exit_code()
        } else {
            0
        }
    }

    /// Prints the report on stdout.
    ///
    /// Errors: the write failed (a closed stdout is an [`std::io::ErrorKind::BrokenPipe`]
    /// error in the chain).
    pub fn print(&self, json_mode: bool) -> anyhow::Result<()> {
        if json_mode {
            let Some(json) = &self.json else {
                return Ok(());
            };
            let text = serde_json::to_string_pretty(json).context("serialise the output")?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "{text}")
                .and_then(|()| out.flush())
                .context("write stdout")?;
        } else {
            // The last pass over session text: no control or bidi character but our own
            // styles reaches the terminal, whatever a renderer printed.
            let human = terminal_text::output(&self.human);
            if !human.contains('\x1b') {
                // Nothing to strip (the table renderer paints only where colour shows): skip
                // anstream's scan of every byte, a few ms for a 10,000-row list.
                let mut out = std::io::stdout().lock();
                out.write_all(human.as_bytes())
                    .and_then(|()| out.flush())
                    .context("write stdout")?;
            } else {
                let mut out = anstream::stdout().lock();
                out.write_all(human.as_bytes())
                    .and_then(|()| out.flush())
                    .context("write stdout")?;
            }
        }
        Ok(())
    }
}

/// One session: the whole frontmatter plus `location` and `path` (and `log`, the Markdown
/// body, when asked for).
pub fn session(s: &SessionFile, with_log: bool) -> Value {
    let mut front = s.frontmatter_json();
    front.insert("location".into(), json!(s.location.as_str()));
    front.insert("path".into(), json!(s.path.display().to_string()));
    if with_log {
        front.insert("log".into(), json!(s.body));
    }
    Value::Object(front)
}

/// `list`: `{"sessions": [...], "unreadable": [{"error", "kind"}]}`.
pub fn list(rows: &[SessionSummary], broken: &[Error]) -> anyhow::Result<Value> {
    let unreadable: Vec<Value> = broken
        .iter()
        .map(|e| json!({"error": e.to_string(), "kind": e.kind().name()}))
        .collect();
    Ok(json!({"sessions": serde_json::to_value(rows)?, "unreadable": unreadable}))
}

/// `status ID`.
pub fn status(s: &SessionFile) -> Value {
    let m = &s.meta;
    json!({
        "session_id": m.session_id,
        "status": m.status,
        "stage": m.stage,
        "current_phase": m.current_phase,
        "total_phases": m.phase_count(),
        "phases_done": m.phases_done(),
        "unresolved_errors": m.unresolved_errors().len(),
        "location": s.location.as_str(),
    })
}

/// `archive`: the moved plan documents as `{"from", "to"}`.
pub fn archive(r: &ArchiveReport) -> Value {
    json!({
        "session_id": r.session_id,
        "path": r.path,
        "already_archived": r.already_archived,
        "moved": r.moved.iter().map(|(from, to)| json!({"from": from, "to": to})).collect::<Vec<_>>(),
    })
}

/// `resume`: phases as `{"id", "name"}`, errors as `{"phase", "agent", "type", "message"}`.
pub fn resume(r: &ResumeReport) -> Value {
    let phase = |(id, name): &(maestro_session_core::session::model::PhaseId, String)| json!({"id": id, "name": name});
    json!({
        "session_id": r.session_id,
        "parked": r.parked,
        "last_completed": r.last_completed.as_ref().map(phase),
        "continue_with": r.continue_with.as_ref().map(phase),
        "failed_phases": r.failed_phases.iter().map(phase).collect::<Vec<_>>(),
        "unresolved_errors": r.unresolved_errors.iter().map(|(phase, agent, kind, message)| {
            json!({"phase": phase, "agent": agent, "type": kind, "message": message})
        }).collect::<Vec<_>>(),
        "conflicts": r.conflicts,
    })
}

/// `cleanup`: the removed sessions as `{"session_id", "path"}`.
pub fn cleanup(r: &CleanupReport) -> Value {
    json!({
        "dry_run": r.dry_run,
        "removed": r.removed.iter().map(|(id, path)| json!({"session_id": id, "path": path})).collect::<Vec<_>>(),
        "kept_unreadable": r.kept_unreadable,
    })
}
