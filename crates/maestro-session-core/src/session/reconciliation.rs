//! Phase reconciliation (Maestro 1.6.3+): a phase whose handoff recorded nothing is marked
//! `requires_reconciliation: true`; the orchestrator then scans the project for what the
//! phase changed (`scan_phase_changes`), asks the user, and records the confirmed manifest
//! with `reconcile_phase`, which clears the mark. A session with a phase still marked is not
//! archived by `archive_session`.
//!
//! Contract (Maestro 1.6.4, `src/mcp/handlers/reconciliation.js` and
//! `session-state-tools.js`): `transition_phase` sets the mark when the completed phase got no
//! files and no populated downstream context; `reconcile_phase` needs at least one file or a
//! populated context (`RECONCILIATION_EMPTY_PAYLOAD`), replaces each file list it is given
//! (leaves the others), replaces the downstream context when the given one is populated,
//! clears the mark and keeps `reason` as `reconciliation_reason`; `archive_session` refuses
//! while a phase is marked (`RECONCILIATION_PENDING`).
//!
//! Ours, stricter: only a phase that ran (in progress, completed or failed) is reconciled;
//! Maestro also takes a pending or skipped phase. Both keys live in the phase's unknown keys
//! ([`Phase::extra`]), so a file Maestro wrote keeps its shape byte for byte elsewhere.

use serde_json::Value;

use crate::error::{Error, Result};
use crate::session::lifecycle::PhaseStatus;
use crate::session::model::{CONTEXT_KEYS, Phase, PhaseId, SessionMetadata};

/// The phase key Maestro 1.6 marks a phase with.
pub const REQUIRES_RECONCILIATION: &str = "requires_reconciliation";

/// The phase key that keeps why a phase was reconciled.
pub const RECONCILIATION_REASON: &str = "reconciliation_reason";

/// A `reconcile_phase` call, checked: file paths are project-relative.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Reconciliation {
    /// The phase reconciled.
    pub phase: PhaseId,
    /// Replaces `files_created` when given.
    pub files_created: Option<Vec<String>>,
    /// Replaces `files_modified` when given.
    pub files_modified: Option<Vec<String>>,
    /// Replaces `files_deleted` when given.
    pub files_deleted: Option<Vec<String>>,
    /// The populated downstream-context lists (key, entries), in [`CONTEXT_KEYS`] order; when
    /// any, they replace the phase's five lists.
    pub context: Vec<(String, Vec<String>)>,
    /// Why the phase was reconciled (kept as `reconciliation_reason`).
    pub reason: Option<String>,
}

impl Reconciliation {
    /// Whether the call carries anything to record: a file in any list, or a context entry.
    /// An empty one cannot clear the mark (Maestro's `RECONCILIATION_EMPTY_PAYLOAD`).
    pub fn is_empty(&self) -> bool {
        let files = [
            &self.files_created,
            &self.files_modified,
            &self.files_deleted,
        ]
        .iter()
        .all(|l| l.as_ref().is_none_or(Vec::is_empty));
        files && self.context.iter().all(|(_, v)| v.is_empty())
    }
}

/// The first phase of `meta` still marked `requires_reconciliation: true`, if any.
pub fn pending(meta: &SessionMetadata) -> Option<&Phase> {
    meta.phases.iter().find(|p| is_marked(p))
}

/// Whether `phase` is marked `requires_reconciliation: true`.
pub fn is_marked(phase: &Phase) -> bool {
    phase.extra.get(REQUIRES_RECONCILIATION) == Some(&Value::Bool(true))
}

/// Marks `phase` (just completed with an empty handoff) as needing reconciliation.
///
/// Errors: [`Error::Refused`] naming `session` when the phase is not completed.
pub fn require(session: &str, phase: &mut Phase) -> Result<()> {
    if phase.status != PhaseStatus::Completed {
        return Err(Error::refused(
            session,
            format!(
                "phase {} is {}; only a completed phase is marked for reconciliation",
                phase.id, phase.status
            ),
        ));
    }
    phase
        .extra
        .insert(REQUIRES_RECONCILIATION.into(), Value::Bool(true));
    Ok(())
}

/// Records `r` on `phase` at time `now` (see the module docs) and clears the mark.
///
/// Errors: [`Error::Invalid`] for an empty call or a path that is not project-relative
/// (absolute, `..`, NUL); [`Error::Refused`] naming `session` for a phase that never ran.
pub fn apply(session: &str, phase: &mut Phase, r: &Reconciliation, now: &str) -> Result<()> {
    if r.is_empty() {
        return Err(Error::Invalid(
            "reconcile_phase needs at least one of files_created, files_modified, files_deleted or a populated downstream_context".into(),
        ));
    }
    if matches!(phase.status, PhaseStatus::Pending | PhaseStatus::Skipped) {
        return Err(Error::refused(
            session,
            format!(
                "phase {} is {}: it never ran, so there is nothing to reconcile",
                phase.id, phase.status
            ),
        ));
    }
    for f in [&r.files_created, &r.files_modified, &r.files_deleted]
        .into_iter()
        .flatten()
        .flatten()
    {
        maestro_session_fs::beneath::validate_relative(f)?;
    }
    let mut files_given = false;
    for (slot, given) in [
        (&mut phase.files_created, &r.files_created),
        (&mut phase.files_modified, &r.files_modified),
        (&mut phase.files_deleted, &r.files_deleted),
    ] {
        if let Some(list) = given {
            *slot = dedup(list);
            files_given = true;
        }
    }
    if files_given {
        phase.files_recorded_at = Some(now.to_string());
    }
    if r.context.iter().any(|(_, v)| !v.is_empty()) {
        for key in CONTEXT_KEYS {
            let entries = r
                .context
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| dedup(v))
                .unwrap_or_default();
            if let Some(list) = phase.downstream_context.list_mut(key) {
                *list = entries;
            }
        }
    }
    phase
        .extra
        .insert(REQUIRES_RECONCILIATION.into(), Value::Bool(false));
    if let Some(reason) = r.reason.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        phase
            .extra
            .insert(RECONCILIATION_REASON.into(), Value::from(reason));
    }
    Ok(())
}

/// `list` without repeats, first occurrence kept.
fn dedup(list: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for item in list {
        if !out.contains(item) {
            out.push(item.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phase(status: PhaseStatus) -> Phase {
        Phase {
            id: PhaseId::Number(1),
            status,
            files_created: vec!["old.rs".into()],
            files_modified: vec!["kept.rs".into()],
            ..Phase::default()
        }
    }

    fn call() -> Reconciliation {
        Reconciliation {
            phase: PhaseId::Number(1),
            files_created: Some(vec!["a.rs".into(), "a.rs".into(), "b.rs".into()]),
            context: vec![("integration_points".into(), vec!["a.rs".into()])],
            reason: Some("worker hung".into()),
            ..Reconciliation::default()
        }
    }

    #[test]
    fn replaces_the_lists_given_keeps_the_others_and_clears_the_mark() {
        let mut p = phase(PhaseStatus::Completed);
        require("s", &mut p).expect("mark");
        assert!(is_marked(&p));
        p.downstream_context.warnings = vec!["stale".into()];
        apply("s", &mut p, &call(), "2026-01-01T00:00:00Z").expect("reconcile");
        assert!(!is_marked(&p));
        assert_eq!(p.files_created, vec!["a.rs", "b.rs"]);
        assert_eq!(p.files_modified, vec!["kept.rs"], "not given, not touched");
        assert_eq!(p.downstream_context.integration_points, vec!["a.rs"]);
        assert!(
            p.downstream_context.warnings.is_empty(),
            "a populated context replaces all five lists"
        );
        assert_eq!(p.extra[RECONCILIATION_REASON], "worker hung");
        assert_eq!(p.files_recorded_at.as_deref(), Some("2026-01-01T00:00:00Z"));
    }

    #[test]
    fn refuses_an_empty_call_a_phase_that_never_ran_and_paths_out_of_the_project() {
        let mut p = phase(PhaseStatus::Completed);
        let empty = Reconciliation {
            files_created: Some(Vec::new()),
            context: vec![("warnings".into(), Vec::new())],
            ..Reconciliation::default()
        };
        assert!(empty.is_empty());
        assert!(matches!(
            apply("s", &mut p, &empty, "t"),
            Err(Error::Invalid(_))
        ));
        for status in [PhaseStatus::Pending, PhaseStatus::Skipped] {
            let mut p = phase(status);
            let err = apply("s", &mut p, &call(), "t").expect_err("never ran");
            assert!(err.to_string().contains("never ran"), "{err}");
        }
        let mut bad = call();
        bad.files_created = Some(vec!["../../etc/passwd".into()]);
        assert!(matches!(
            apply("s", &mut p, &bad, "t"),
            Err(Error::PathRefused { .. })
        ));
        assert_eq!(p.files_created, vec!["old.rs"], "a refusal changes nothing");
        let mut running = phase(PhaseStatus::InProgress);
        assert!(
            require("s", &mut running).is_err(),
            "only a completed phase"
        );
    }

    #[test]
    fn pending_finds_the_first_marked_phase() {
        let mut meta = SessionMetadata {
            phases: vec![phase(PhaseStatus::Completed), phase(PhaseStatus::Completed)],
            ..SessionMetadata::default()
        };
        meta.phases[1].id = PhaseId::Name("two".into());
        assert!(pending(&meta).is_none());
        meta.phases[1]
            .extra
            .insert(REQUIRES_RECONCILIATION.into(), Value::Bool(true));
        assert_eq!(
            pending(&meta).map(|p| p.id.clone()),
            Some(PhaseId::Name("two".into()))
        );
        meta.phases[1]
            .extra
            .insert(REQUIRES_RECONCILIATION.into(), Value::from("true"));
        assert!(pending(&meta).is_none(), "only the boolean true marks");
    }
}
