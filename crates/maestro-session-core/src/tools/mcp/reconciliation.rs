//! Maestro 1.6.3+'s reconciliation tools: `scan_phase_changes` and `reconcile_phase` (names,
//! input schemas, result fields and error codes of Maestro 1.6.4's
//! `src/mcp/tool-packs/session/index.js` and `src/mcp/handlers/reconciliation.js`), and the
//! `archive_session` check that refuses while a phase `requires_reconciliation`. The rules are
//! [`crate::session::reconciliation`] (the mark and the record) and
//! [`crate::workspace::phase_changes`] (the scan).
//!
//! - `scan_phase_changes {session_id, phase_id}` → `{phase_id, started_at, scanned_at,
//!   candidates: {created, modified}, ignored_count, truncated, max_files}`, plus ours:
//!   `candidates.deleted` (files deleted since `HEAD`), `source` (`git` or `files`) and, when
//!   git could not be used, `note` saying why. Read only. The phase must have started
//!   (`STATE_ERROR`).
//! - `reconcile_phase {session_id, phase_id, files_created?, files_modified?, files_deleted?,
//!   downstream_context?, reason?}` → `{success, phase_id, files_created, files_modified}`;
//!   an empty call is `RECONCILIATION_EMPTY_PAYLOAD`. One locked write, logged as `phase
//!   reconcile`.
//! - `archive_session` of a session with a marked phase → `RECONCILIATION_PENDING` with
//!   `details: {phase_id}`.
//!
//! Both act on the active session, which `session_id` must name (`STATE_ERROR` otherwise, as
//! Maestro); a phase id that names no phase is `NOT_FOUND`.

use crate::outputs::mcp::{Candidates, ReconcilePhaseOutput, ScanPhaseChangesOutput};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use super::args::{DownstreamContextArg, PhaseIdArg};
use super::{ToolError, Tools};
use crate::error::Error;
use crate::operations::Operation;
use crate::session::model::{Phase, SessionMetadata};
use crate::session::reconciliation::{self, Reconciliation};
use crate::session::session_file::SessionFile;
use crate::session::session_id::SessionId;
use crate::store::ACTIVE_KEYWORD;
use crate::workspace::phase_changes::{self, ScanRequest};

/// The longest `reason` kept, in bytes.
pub const MAX_REASON_BYTES: usize = 4096;

/// `scan_phase_changes`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanPhaseChangesArgs {
    /// The active session's id.
    pub session_id: String,
    /// The phase whose changes to look for (it must have started).
    pub phase_id: PhaseIdArg,
}

/// `reconcile_phase`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReconcilePhaseArgs {
    /// The active session's id.
    pub session_id: String,
    /// The phase to reconcile (one that ran: in progress, completed or failed).
    pub phase_id: PhaseIdArg,
    /// Replaces the phase's files_created, project-relative (the user-confirmed manifest).
    pub files_created: Option<Vec<String>>,
    /// Replaces the phase's files_modified.
    pub files_modified: Option<Vec<String>>,
    /// Replaces the phase's files_deleted.
    pub files_deleted: Option<Vec<String>>,
    /// Replaces the phase's downstream context when populated.
    pub downstream_context: Option<DownstreamContextArg>,
    /// Why the phase was reconciled (kept as reconciliation_reason).
    pub reason: Option<String>,
}

/// Refuses unless `session_id` names the active session `s` (Maestro's wording).
fn same_session(s: &SessionFile, session_id: &str) -> crate::Result<()> {
    if session_id == ACTIVE_KEYWORD || s.id() == session_id {
        return Ok(());
    }
    let shown: String = session_id.chars().take(64).collect();
    Err(Error::refused(
        s.id(),
        format!(
            "Session mismatch: active session is '{}', got '{shown}'",
            s.id()
        ),
    ))
}

/// The phase of `meta` that `id` names, or Maestro's `NOT_FOUND` naming the phases there are.
fn find<'a>(meta: &'a SessionMetadata, id: &PhaseIdArg) -> crate::Result<&'a Phase> {
    meta.phase(&id.0).ok_or_else(|| Error::NotFound {
        what: format!(
            "phase {} of session {} (its phases: {})",
            id.0,
            meta.session_id,
            meta.phases
                .iter()
                .map(|p| p.id.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })
}

/// `scan_phase_changes`.
pub(super) fn scan_phase_changes(
    t: &Tools,
    a: ScanPhaseChangesArgs,
) -> Result<ScanPhaseChangesOutput, ToolError> {
    const TOOL: &str = "scan_phase_changes";
    SessionId::parse(&a.session_id).map_err(|e| t.fail(TOOL, e))?;
    let (max_files, extra_ignore) = ScanRequest::limits(&t.env).map_err(|e| t.fail(TOOL, e))?;
    let store = t.store(TOOL)?;
    let session = store
        .active()
        .and_then(|s| {
            s.ok_or_else(|| Error::NotFound {
                what: "active session".into(),
            })
        })
        .map_err(|e| t.fail(TOOL, e))?;
    same_session(&session, &a.session_id).map_err(|e| t.fail(TOOL, e))?;
    let phase = find(&session.meta, &a.phase_id).map_err(|e| t.fail(TOOL, e))?;
    let not_started = |why: String| {
        ToolError::new(
            why,
            "Call get_session_status: only a phase that has started (in_progress, completed or failed) has changes to scan.",
            "STATE_ERROR",
        )
    };
    let Some(started) = phase.started.as_deref() else {
        return Err(not_started(format!(
            "Phase {} has not started; nothing to scan",
            phase.id
        )));
    };
    let Some(since) = crate::clock::parse_iso(started) else {
        let shown: String = started.chars().take(40).collect();
        return Err(not_started(format!(
            "Phase {} has no valid start time ({shown:?}); nothing to scan",
            phase.id
        )));
    };
    let ws = store.workspace();
    let scan = phase_changes::scan(&ScanRequest {
        project_root: ws.project_root.clone(),
        state_rel: ws.state_rel.clone(),
        since,
        max_files,
        extra_ignore,
    })
    .map_err(|e| t.fail(TOOL, e))?;
    Ok(ScanPhaseChangesOutput {
        phase_id: phase.id.clone(),
        started_at: started.to_string(),
        scanned_at: crate::clock::now_iso(),
        candidates: Candidates {
            created: scan.created,
            modified: scan.modified,
            deleted: scan.deleted,
        },
        ignored_count: scan.ignored_count,
        truncated: scan.truncated,
        max_files,
        source: scan.source.as_str().to_string(),
        note: scan.note.map(|note| t.sanitize(&note)),
    })
}

/// `reconcile_phase`.
pub(super) fn reconcile_phase(
    t: &Tools,
    a: ReconcilePhaseArgs,
) -> Result<ReconcilePhaseOutput, ToolError> {
    const TOOL: &str = "reconcile_phase";
    SessionId::parse(&a.session_id).map_err(|e| t.fail(TOOL, e))?;
    let mut lists: [Option<Vec<String>>; 3] = Default::default();
    for (slot, (what, given)) in lists.iter_mut().zip([
        ("files_created", a.files_created),
        ("files_modified", a.files_modified),
        ("files_deleted", a.files_deleted),
    ]) {
        if let Some(given) = given {
            let mut checked = Vec::with_capacity(given.len());
            for (i, f) in given.iter().enumerate() {
                checked.push(t.project_path(TOOL, &format!("{what}[{i}]"), f)?);
            }
            *slot = Some(checked);
        }
    }
    if let Some(reason) = &a.reason
        && reason.len() > MAX_REASON_BYTES
    {
        return Err(ToolError::new(
            format!(
                "reason is {} bytes; at most {MAX_REASON_BYTES} are kept",
                reason.len()
            ),
            super::usage(TOOL),
            "VALIDATION_ERROR",
        ));
    }
    let [files_created, files_modified, files_deleted] = lists;
    let r = Reconciliation {
        phase: a.phase_id.0.clone(),
        files_created,
        files_modified,
        files_deleted,
        context: a
            .downstream_context
            .map(|c| {
                c.lists()
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect()
            })
            .unwrap_or_default(),
        reason: a.reason,
    };
    if r.is_empty() {
        return Err(ToolError::new(
            "reconcile_phase requires at least one of files_created, files_modified, files_deleted, or a populated downstream_context. An empty payload cannot clear requires_reconciliation.",
            "Call scan_phase_changes for the candidates, confirm with the user which files the phase produced, then call reconcile_phase with them (and the phase's downstream context if known).",
            "RECONCILIATION_EMPTY_PAYLOAD",
        ));
    }
    let store = t.store(TOOL)?;
    let mut phase_id = None;
    let session = store
        .apply_with(None, |s| {
            same_session(s, &a.session_id)?;
            let phase = find(&s.meta, &a.phase_id)?;
            phase_id = Some(phase.id.clone());
            Ok(vec![Operation::Reconcile(Reconciliation {
                phase: phase.id.clone(),
                ..r
            })])
        })
        .map_err(|e| t.fail(TOOL, e))?;
    let phase = phase_id
        .as_ref()
        .and_then(|id| session.meta.phase(id))
        .ok_or_else(|| {
            t.fail(
                TOOL,
                Error::Internal("the reconciled phase is gone after the write".into()),
            )
        })?;
    Ok(ReconcilePhaseOutput {
        success: true,
        phase_id: phase.id.clone(),
        files_created: phase.files_created.clone(),
        files_modified: phase.files_modified.clone(),
    })
}

/// The reason `archive_session` must refuse `s`: a phase still marked
/// `requires_reconciliation`.
pub(super) fn archive_refusal(s: &SessionMetadata) -> Option<Error> {
    reconciliation::pending(s).map(|p| {
        Error::refused(
            &s.session_id,
            format!(
                "Phase {} requires reconciliation before archiving. Call scan_phase_changes or reconcile_phase to resolve.",
                p.id
            ),
        )
    })
}

/// `archive_session`'s check before it takes the lock (it checks again under it): Maestro's
/// `RECONCILIATION_PENDING`, with `details: {phase_id}`, when the active session `session_id`
/// names has a phase marked `requires_reconciliation`.
pub(super) fn check_archive(
    t: &Tools,
    tool: &'static str,
    session_id: &str,
) -> Result<(), ToolError> {
    let store = t.store(tool)?;
    let Ok(Some(active)) = store.active() else {
        return Ok(());
    };
    if session_id != ACTIVE_KEYWORD && active.id() != session_id {
        return Ok(());
    }
    match reconciliation::pending(&active.meta) {
        Some(p) => Err(ToolError::new(
            t.sanitize(&format!(
                "Phase {} requires reconciliation before archiving. Call scan_phase_changes or reconcile_phase to resolve.",
                p.id
            )),
            "Call scan_phase_changes for the phase, confirm its files with the user, then reconcile_phase; archive_session after that.",
            "RECONCILIATION_PENDING",
        )
        .with_details(json!({"phase_id": p.id}))),
        None => Ok(()),
    }
}
