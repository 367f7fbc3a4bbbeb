//! How far a session's plan has come: which phases are done and which comes next. Every
//! reader of progress (operations, resume, conflicts, `list`, the hooks' agent context) asks
//! here, so "done" and "next" mean the same everywhere.

use crate::session::lifecycle::PhaseStatus;
use crate::session::model::{Phase, PhaseId, SessionMetadata};

/// Whether a phase in `status` is done: completed or skipped. A done phase unblocks the
/// phases waiting for it and is never the next one.
pub fn is_done(status: PhaseStatus) -> bool {
    matches!(status, PhaseStatus::Completed | PhaseStatus::Skipped)
}

/// Whether a phase status written as `text` in a session file is done ([`is_done`]); text
/// that is no phase status is not done.
pub fn is_done_text(text: &str) -> bool {
    text.parse::<PhaseStatus>().is_ok_and(is_done)
}

/// The next phase: the first, in plan order, that is not done.
pub fn next_phase(meta: &SessionMetadata) -> Option<&Phase> {
    meta.phases.iter().find(|p| !is_done(p.status))
}

/// The id of [`next_phase`].
pub fn next_phase_id(meta: &SessionMetadata) -> Option<PhaseId> {
    next_phase(meta).map(|p| p.id.clone())
}

/// The phases not done, in plan order.
pub fn unfinished(meta: &SessionMetadata) -> impl Iterator<Item = &Phase> {
    meta.phases.iter().filter(|p| !is_done(p.status))
}

/// How many phases are done.
pub fn done_count(meta: &SessionMetadata) -> usize {
    meta.phases.iter().filter(|p| is_done(p.status)).count()
}

/// Whether every phase `phase` waits for (`blocked_by`) is done; a phase that names a
/// missing one is blocked.
pub fn blockers<'a>(
    meta: &'a SessionMetadata,
    phase: &'a Phase,
) -> impl Iterator<Item = &'a PhaseId> {
    phase
        .blocked_by
        .iter()
        .filter(|b| !meta.phase(b).is_some_and(|bp| is_done(bp.status)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn done_is_completed_or_skipped() {
        for s in [PhaseStatus::Completed, PhaseStatus::Skipped] {
            assert!(is_done(s) && is_done_text(s.as_str()));
        }
        for s in [
            PhaseStatus::Pending,
            PhaseStatus::InProgress,
            PhaseStatus::Failed,
        ] {
            assert!(!is_done(s) && !is_done_text(s.as_str()));
        }
        assert!(!is_done_text("finished"));
    }

    #[test]
    fn next_is_the_first_not_done() {
        let phase = |n: u32, status| Phase {
            id: PhaseId::from(n),
            status,
            blocked_by: vec![PhaseId::from(1)],
            ..Phase::default()
        };
        let meta = SessionMetadata {
            phases: vec![
                phase(1, PhaseStatus::Skipped),
                phase(2, PhaseStatus::Failed),
                phase(3, PhaseStatus::Pending),
            ],
            ..SessionMetadata::default()
        };
        assert_eq!(next_phase_id(&meta), Some(PhaseId::from(2)));
        assert_eq!(done_count(&meta), 1);
        assert_eq!(unfinished(&meta).count(), 2);
        assert_eq!(blockers(&meta, &meta.phases[2]).count(), 0);
        let blocked = Phase {
            blocked_by: vec![PhaseId::from(2), PhaseId::from(9)],
            ..Phase::default()
        };
        assert_eq!(blockers(&meta, &blocked).count(), 2);
    }
}
