//! The `--json` shapes. Every command prints one JSON object; its top-level keys are listed in
//! README "The command line". Pairs and tuples of the core's reports become objects with
//! named keys here, so no output is a bare array.

use maestro_session_core::error::Error;
use maestro_session_core::session::session_file::SessionFile;
use maestro_session_core::store::listing::SessionSummary;
use maestro_session_core::store::{ArchiveReport, CleanupReport, ResumeReport};
use serde_json::{Value, json};

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
