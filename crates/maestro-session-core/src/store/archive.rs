//! Moving sessions between the active slot and the archive: `archive` (with its plan
//! documents), `resume` (with the conflicts of files changed since), and parking (archiving a
//! non-terminal active session as `paused` to make room for another).

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use super::resolve::{active_in, archive_rel, doctor_hint, get_in};
use super::{Store, event_log, intent};
use crate::clock;
use crate::error::{Error, Result};
use crate::operations::{self, Operation};
use crate::session::lifecycle::{PhaseStatus, SessionStatus, State};
use crate::session::model::{Phase, PhaseId, SessionMetadata};
use crate::session::progress;
use crate::session::session_file::{Location, SessionFile};
use crate::store::intent::{Intent, Step};
use crate::workspace::paths::ACTIVE_REL;
use maestro_session_fs::beneath::Root;

/// What an archive did.
#[derive(Debug, Clone, Serialize)]
pub struct ArchiveReport {
    /// The session archived.
    pub session_id: String,
    /// Where the session file now lies.
    pub path: PathBuf,
    /// Plan documents moved to `plans/archive/`: (from, to).
    pub moved: Vec<(PathBuf, PathBuf)>,
    /// True when the session was already archived and only unfinished moves were completed.
    pub already_archived: bool,
}

/// A manifest file that changed on disk after its phase recorded it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Conflict {
    /// The unfinished phase.
    pub phase: PhaseId,
    /// The file, project-relative.
    pub path: String,
    /// `modified after <time>` or `missing`.
    pub reason: String,
}

/// What a resume found.
#[derive(Debug, Clone, Serialize)]
pub struct ResumeReport {
    /// The session, now active and in progress.
    pub session_id: String,
    /// The session that was parked to make room, if any.
    pub parked: Option<String>,
    /// The last completed phase (id, name).
    pub last_completed: Option<(PhaseId, String)>,
    /// The phase to continue (id, name).
    pub continue_with: Option<(PhaseId, String)>,
    /// Failed phases (id, name).
    pub failed_phases: Vec<(PhaseId, String)>,
    /// Unresolved errors: (phase, agent, type, message).
    pub unresolved_errors: Vec<(PhaseId, String, String, String)>,
    /// Files of unfinished phases changed since they were recorded.
    pub conflicts: Vec<Conflict>,
}

impl Store {
    /// Adds to `steps` what makes the active slot free for `incoming` (a session id that may
    /// already hold it): a terminal active session is archived; a non-terminal one is parked
    /// (archived as `paused`) when `park` is set, else refused. Returns the parked session's id.
    pub(super) fn make_room(
        &self,
        root: &Root,
        park: bool,
        incoming: Option<&str>,
        steps: &mut Vec<Step>,
    ) -> Result<Option<event_log::Displaced>> {
        let Some(mut active) = active_in(root).map_err(doctor_hint)? else {
            return Ok(None);
        };
        if Some(active.id()) == incoming {
            return Ok(None);
        }
        let before = active.meta.clone();
        if active.meta.status.is_terminal() {
            self.archive_steps(root, &mut active, Path::new(ACTIVE_REL), steps)?;
            return Ok(Some(event_log::Displaced::new(
                "archive",
                before,
                active.meta,
            )));
        }
        if !park {
            return Err(Error::refused(
                active.id(),
                format!(
                    "it is the active session ({}); archive it, cancel it, or pass --park to archive it as paused",
                    active.meta.status
                ),
            ));
        }
        if active.meta.status.can_go(SessionStatus::Paused) {
            operations::apply(
                &mut active.meta,
                &mut active.body,
                &Operation::Pause,
                &self.op_context()?,
            )?;
        }
        self.archive_steps(root, &mut active, Path::new(ACTIVE_REL), steps)?;
        Ok(Some(event_log::Displaced::new("park", before, active.meta)))
    }

    /// Archives the session named by `prefix`, or the active one: moves it to
    /// `state/archive/<id>.md` and its design document and implementation plan, when they lie
    /// in `<state dir>/plans/`, to `plans/archive/<id>--<name>` (recorded in the session), as
    /// one intent (see [`crate::store::intent`]); then verifies. Run on an archived session, it
    /// completes plan moves that are left.
    pub fn archive(&self, prefix: Option<&str>) -> Result<ArchiveReport> {
        self.archive_with(prefix, |s| Ok(archive_ops(s)))
    }

    /// [`Store::archive`], first applying the operations `plan` returns for the session as read
    /// under the lock (Maestro 1.6 `archive_session` marks an in-progress session completed);
    /// when `plan` or an operation refuses, nothing changes.
    pub fn archive_with(
        &self,
        prefix: Option<&str>,
        plan: impl FnOnce(&SessionFile) -> Result<Vec<Operation>>,
    ) -> Result<ArchiveReport> {
        let l = self.locked()?;
        let (mut session, rel) = get_in(&l.root, prefix)?;
        let before = session.meta.clone();
        let ops = plan(&session)?;
        if !ops.is_empty() {
            let ctx = self.op_context()?;
            for op in &ops {
                operations::apply(&mut session.meta, &mut session.body, op, &ctx)?;
            }
        }
        let already_archived = session.location == Location::Archive;
        let mut steps = Vec::new();
        let moved = self.archive_steps(&l.root, &mut session, &rel, &mut steps)?;
        let target = archive_rel(session.id())?;
        if !already_archived || !moved.is_empty() || rel != target || !ops.is_empty() {
            intent::run(&l.root, &Intent::new("archive", session.id(), steps))?;
            self.forget_design_gate(&l.root, session.id());
            let file = Value::from(target.to_string_lossy());
            let (id, after) = (session.id(), Some(&session.meta));
            self.record(&l, id, "archive", Some(&before), after, &[("file", file)]);
        }
        // Verify: the active slot no longer holds this session and the archive copy reads back.
        if let Ok(Some(active)) = active_in(&l.root)
            && active.id() == session.id()
        {
            return Err(verify_failed(
                &l.root.join(ACTIVE_REL),
                "the session is still in the active slot",
            ));
        }
        let back = SessionFile::read_in(&l.root, &target, Location::Archive)?;
        if back.id() != session.id() {
            return Err(verify_failed(
                &l.root.join(&target),
                "the archived file holds another session",
            ));
        }
        Ok(ArchiveReport {
            session_id: session.id().to_string(),
            path: l.root.join(&target),
            moved: moved
                .into_iter()
                .map(|(from, to)| (l.root.join(from), l.root.join(to)))
                .collect(),
            already_archived,
        })
    }

    /// Adds to `steps` the archive of `session` (read from `rel`): its plan documents' moves,
    /// the archive copy (with the new plan paths, which are set in `session`), and the removal
    /// of the file it came from. Returns the plan moves (from, to), state-dir relative.
    ///
    /// Errors: [`Error::Refused`] naming `doctor --fix` when another file already holds this
    /// session in the archive (a session in two places is never resolved silently).
    pub(super) fn archive_steps(
        &self,
        root: &Root,
        session: &mut SessionFile,
        rel: &Path,
        steps: &mut Vec<Step>,
    ) -> Result<Vec<(String, String)>> {
        let id = session.id().to_string();
        let target = archive_rel(&id)?;
        if rel != target && root.metadata(&target)?.is_some() {
            return Err(Error::refused(
                &id,
                format!(
                    "the session is both in {} and in {}; run `maestro-session doctor --fix` to keep the newer copy",
                    root.join(rel).display(),
                    root.join(&target).display()
                ),
            ));
        }
        // A document the active session (another one) still names stays where it is.
        let active_names: Vec<String> = match active_in(root) {
            Ok(Some(active)) if active.id() != id => {
                [active.meta.design_document, active.meta.implementation_plan]
                    .into_iter()
                    .flatten()
                    .collect()
            }
            _ => Vec::new(),
        };
        let mut moved: Vec<(String, String)> = Vec::new();
        for slot in [
            &mut session.meta.design_document,
            &mut session.meta.implementation_plan,
        ] {
            let Some(current) = slot.clone() else {
                continue;
            };
            if active_names.contains(&current) {
                continue;
            }
            if let Some((from, to)) = self.plan_move(root, &current, &id, &moved)? {
                if !moved.iter().any(|(f, _)| *f == from) {
                    steps.push(Step::Move {
                        from: from.clone(),
                        to: to.clone(),
                    });
                    moved.push((from, to.clone()));
                }
                *slot = Some(maestro_session_fs::beneath::slash_text(
                    &self.ws.state_rel.join(&to),
                ));
            }
        }
        session.meta.updated = clock::now_iso();
        steps.push(Step::Write {
            path: maestro_session_fs::beneath::slash_text(&target),
            content: session.emit()?,
        });
        if rel != target {
            steps.push(Step::Remove {
                path: maestro_session_fs::beneath::slash_text(rel),
                session_id: id,
            });
        }
        Ok(moved)
    }

    /// Makes a non-terminal session the active one and sets it in progress; see the module
    /// docs of the command line for the rules. Returns what to continue with.
    pub fn resume(&self, prefix: &str, park: bool) -> Result<ResumeReport> {
        let l = self.locked()?;
        let (mut session, rel) = get_in(&l.root, Some(prefix))?;
        let ctx = self.op_context()?;
        let before = session.meta.clone();
        // Refuses a finished session before anything else is planned.
        operations::resume(&mut session.meta, &ctx)?;
        let mut steps = Vec::new();
        let displaced = self.make_room(&l.root, park, Some(session.id()), &mut steps)?;
        let parked = event_log::parked_id(displaced.as_ref());
        steps.push(Step::Write {
            path: ACTIVE_REL.into(),
            content: session.emit()?,
        });
        if session.location == Location::Archive {
            steps.push(Step::Remove {
                path: maestro_session_fs::beneath::slash_text(&rel),
                session_id: session.id().to_string(),
            });
        }
        self.checkpoint_before_resume(&l, &session, &rel)?;
        intent::run(&l.root, &Intent::new("resume", session.id(), steps))?;
        self.record_displaced(&l, displaced.as_ref());
        let mut extra = event_log::parked_extra(displaced.as_ref());
        extra.push(("file", Value::from(ACTIVE_REL)));
        let (id, after) = (session.id(), Some(&session.meta));
        self.record(&l, id, "resume", Some(&before), after, &extra);
        let meta = &session.meta;
        let named = |p: &Phase| (p.id.clone(), p.name.clone());
        Ok(ResumeReport {
            session_id: meta.session_id.clone(),
            parked,
            last_completed: meta
                .phases
                .iter()
                .rfind(|p| p.status == PhaseStatus::Completed)
                .map(named),
            continue_with: progress::next_phase(meta).map(named),
            failed_phases: meta
                .phases
                .iter()
                .filter(|p| p.status == PhaseStatus::Failed)
                .map(named)
                .collect(),
            unresolved_errors: meta
                .unresolved_errors()
                .into_iter()
                .map(|(phase, _, e)| (phase, e.agent.clone(), e.kind.clone(), e.message.clone()))
                .collect(),
            conflicts: self.conflicts(meta),
        })
    }

    /// Files in the manifest of unfinished phases that changed on disk after the phase last
    /// recorded them (or are gone). Files are looked up beneath the project root.
    pub fn conflicts(&self, meta: &SessionMetadata) -> Vec<Conflict> {
        let mut out = Vec::new();
        let Ok(project) = Root::open(&self.ws.project_root) else {
            return out;
        };
        for phase in progress::unfinished(meta) {
            let Some(recorded) = phase
                .files_recorded_at
                .as_deref()
                .and_then(clock::parse_iso)
            else {
                continue;
            };
            for file in phase.files_created.iter().chain(&phase.files_modified) {
                let Ok(clean) = maestro_session_fs::beneath::validate_relative(file) else {
                    continue;
                };
                let reason = match project.modified_secs(&clean) {
                    None => Some("missing".to_string()),
                    Some(secs) => (secs > recorded.as_second())
                        .then(|| format!("modified after {}", clock::iso(recorded))),
                };
                if let Some(reason) = reason {
                    out.push(Conflict {
                        phase: phase.id.clone(),
                        path: file.clone(),
                        reason,
                    });
                }
            }
        }
        out
    }
}

fn verify_failed(path: &Path, what: &str) -> Error {
    Error::io(
        "verify archive of",
        path,
        std::io::Error::other(what.to_string()),
    )
}

/// What archiving does to a session's status: the one rule of `archive` and MCP
/// `archive_session`. Maestro 1.6.4's `handleArchiveSession` sets `completed` on the session it
/// archives; so does this, for an active session `in_progress` (in the same intent as the
/// move). A paused, failed, timed-out or cancelled session keeps its status (it can be resumed
/// or was ended on purpose), and an already archived one is not changed.
pub fn archive_ops(s: &SessionFile) -> Vec<Operation> {
    if s.location == Location::Active && s.meta.status == SessionStatus::InProgress {
        vec![Operation::SetStatus(SessionStatus::Completed)]
    } else {
        Vec::new()
    }
}
