//! Sessions on disk (DESIGN 2.1): the active session in `state/active-session.md`, every other
//! in `state/archive/<session_id>.md`. Every change is a locked read-modify-write (the sidecar
//! `state/.lock`) ending in a durable replace, with `updated` set.
//!
//! Partial ids: a session is named by a unique prefix of its id, matched over every session,
//! active and archived; an exact id always wins; an ambiguous prefix is an error listing the
//! candidates. A file that does not parse is reported by every listing and never skipped
//! silently, rewritten or deleted.
//!
//! Inside the store imports go one way: [`listing`] (the list row and its order) and [`intent`]
//! (move records) depend on nothing here; [`index`] caches listing rows; `quarantine` sets files
//! aside; this module uses them all. `doctor`, `write_document` and [`search`] add methods to
//! [`Store`] and so depend on this module, which only declares them and re-exports their types.

pub mod checkpoint;
mod checkpointing;
pub mod design_gate;
pub mod doctor;
pub mod event_log;
pub mod export;
mod exporting;
pub mod flavour;
pub mod import_bounds;
pub mod index;
pub mod intent;
pub mod listing;
pub mod owner;
mod quarantine;
mod recording;
pub mod search;
mod searching;
mod stale_write;
pub mod usage;
pub mod used_ids;
mod write_document;

use std::path::{Path, PathBuf};
pub use write_document::Written;

use serde::Serialize;
use serde_json::Value;

use crate::clock;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::operations::{self, OpContext, Operation};
use crate::session::lifecycle::{self, PhaseStatus, SessionStatus, Stage, State};
use crate::session::model::{ForkedFrom, Phase, PhaseId, SessionMetadata};
use crate::session::phase_spec::PhaseSpec;
use crate::session::session_file::{Location, SessionFile};
use crate::session::{orchestration_log, progress, session_id};
use crate::store::intent::{Intent, Step};
use crate::store::listing::SessionSummary;
use crate::workspace::paths::{
    ACTIVE_REL, ARCHIVE_REL, LOCK_REL, PLANS_ARCHIVE_REL, PLANS_REL, Workspace,
};
use maestro_session_fs::beneath::Root;
use maestro_session_fs::lock::LockGuard;
use maestro_session_fs::reader::ReadKind;

/// The name that always means the active session, wherever a session id is taken.
pub const ACTIVE_KEYWORD: &str = "active";

/// The sessions of one workspace.
#[derive(Debug, Clone)]
pub struct Store {
    ws: Workspace,
    env: Env,
    actor: event_log::Actor,
    /// The most this store waits for the state lock, when shorter than
    /// `MAESTRO_LOCK_TIMEOUT_MS` (the hooks' budget).
    lock_wait: Option<std::time::Duration>,
}

/// An implementation plan given as text (Maestro 1.6 `create_session`'s
/// `implementation_plan_content` and `implementation_plan_filename`), written to
/// `<state dir>/plans/<file_name>` in the same intent as the session.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlanContent {
    /// A bare file name ending in `.md`: letters, digits, `.`, `_` and `-`, not hidden.
    pub file_name: String,
    /// The Markdown text.
    pub content: String,
}

/// What `create` needs.
#[derive(Debug, Clone, Default)]
pub struct CreateRequest {
    /// The task.
    pub task: String,
    /// The phases, in order.
    pub phases: Vec<PhaseSpec>,
    /// Design document path, project-relative.
    pub design_document: Option<String>,
    /// Implementation plan path, project-relative.
    pub implementation_plan: Option<String>,
    /// `standard` (default) or `express`.
    pub workflow_mode: Option<String>,
    /// `sequential` (default) or `parallel`.
    pub execution_mode: Option<String>,
    /// `simple`, `medium` or `complex`.
    pub task_complexity: Option<String>,
    /// Archive a non-terminal active session as `paused` instead of refusing.
    pub park: bool,
    /// With `park`: refuse all the same when the active session is `in_progress` (Maestro
    /// 1.6 `create_session` refuses only over an in-progress session).
    pub keep_in_progress: bool,
    /// The session id to use (`^[A-Za-z0-9_-]{1,128}$`, held by no other session); `None`
    /// makes one from the date and the task.
    pub session_id: Option<String>,
    /// Maestro 1.6 `create_session` semantics: the plan is approved and execution begins, so
    /// the first phase starts and the stage is `implementing`; `execution_mode` stays unset
    /// when not given (Maestro decides it later with `update_session`), `execution_backend` is
    /// `native` and `current_batch` null.
    pub maestro_create: bool,
    /// An implementation plan to write into `plans/` (excludes `implementation_plan`).
    pub plan_content: Option<PlanContent>,
    /// Apply Maestro 1.6's design gate to `session_id` under the lock (see
    /// [`design_gate`]): refuse as it says, take the gate's design document when
    /// `design_document` is `None`, and bind the gate to the new session in its intent.
    pub design_gate: bool,
}

/// What `delete` did.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DeleteReport {
    /// The session removed (`active` when the active session did not parse).
    pub session_id: String,
    /// The file removed, or moved to quarantine.
    pub path: PathBuf,
    /// Where an unparsable active session went instead of being deleted (`delete --force`
    /// never destroys bytes it cannot read).
    pub quarantined: Option<PathBuf>,
}

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

/// What `cleanup` removes.
#[derive(Debug, Clone, Default)]
pub struct CleanupRequest {
    /// Remove archived terminal sessions not updated for this many seconds (default 7 days).
    pub older_than_secs: Option<u64>,
    /// Remove this one session (any status, archived).
    pub id: Option<String>,
    /// Remove every session, active included (needs `yes`).
    pub all: bool,
    /// Confirms `all`.
    pub yes: bool,
    /// Only report what would go.
    pub dry_run: bool,
}

/// Default age after which archived terminal sessions are cleaned up, in s (7 days).
pub const DEFAULT_CLEANUP_AGE_SECS: u64 = 7 * 86_400;

/// What `cleanup` removed (or would remove).
#[derive(Debug, Clone, Serialize)]
pub struct CleanupReport {
    /// (session id, path) of each removed session.
    pub removed: Vec<(String, PathBuf)>,
    /// Whether nothing was actually removed.
    pub dry_run: bool,
    /// Files that could not be read or parsed: kept, never removed, reported here.
    pub kept_unreadable: Vec<String>,
}

/// The state dir opened for a change: created if missing, locked, pending moves completed.
struct Locked {
    root: Root,
    /// The lock; `None` only for `doctor --fix` when the lock file itself was unusable (it
    /// repairs without the lock then, as it always did).
    _guard: Option<LockGuard>,
    /// Declared after the guard: dropped after the lock is released (see its type).
    logs: event_log::PendingSyncs,
}

impl Store {
    /// The store of workspace `ws`; `env` supplies `MAESTRO_MAX_RETRIES` and
    /// `MAESTRO_LOCK_TIMEOUT_MS`.
    pub fn new(ws: Workspace, env: Env) -> Store {
        Store {
            ws,
            env,
            actor: event_log::Actor::default(),
            lock_wait: None,
        }
    }

    /// This store, waiting at most `wait` for the state lock (or `MAESTRO_LOCK_TIMEOUT_MS` when
    /// that is shorter): what a hook passes, its budget (`crate::hooks::budget`).
    pub fn with_lock_wait(mut self, wait: std::time::Duration) -> Store {
        self.lock_wait = Some(wait);
        self
    }

    /// How long [`Store::locked`] waits for the lock.
    fn lock_timeout(&self) -> Result<std::time::Duration> {
        let configured = self.env.lock_timeout()?;
        Ok(self.lock_wait.map_or(configured, |w| w.min(configured)))
    }

    /// The workspace.
    pub fn workspace(&self) -> &Workspace {
        &self.ws
    }

    fn op_context(&self) -> Result<OpContext> {
        Ok(OpContext {
            now: clock::now_iso(),
            max_retries: lifecycle::max_retries(&self.env)?,
        })
    }

    /// Creates `state/`, `state/archive/`, `plans/`, `plans/archive/` beneath the project
    /// (a symlink leading out of it is refused) and completes any interrupted move. Returns
    /// the state dir.
    pub fn init(&self) -> Result<PathBuf> {
        self.locked_created()?;
        Ok(self.ws.state_dir.clone())
    }

    /// The state dir, created with its layout when missing.
    fn open_created(&self) -> Result<Root> {
        let root = self.ws.open_state_dir(true)?.ok_or_else(|| {
            Error::io(
                "open folder",
                &self.ws.state_dir,
                std::io::ErrorKind::NotFound.into(),
            )
        })?;
        for sub in [ARCHIVE_REL, PLANS_ARCHIVE_REL] {
            root.create_dirs(Path::new(sub))?;
        }
        Ok(root)
    }

    /// The state dir opened for a change to what it holds: [`Error::NotFound`] naming it when
    /// it does not exist (nothing is created: a command that changes a session, in a folder
    /// where none was ever recorded, fails and leaves no `docs/maestro/` behind).
    fn locked(&self) -> Result<Locked> {
        self.locked_existing()?.ok_or_else(|| Error::NotFound {
            what: format!(
                "state dir {} (no session was recorded in this project yet; `maestro-session create` starts one)",
                self.ws.state_dir.display()
            ),
        })
    }

    /// [`Store::locked`], `None` when the state dir does not exist.
    fn locked_existing(&self) -> Result<Option<Locked>> {
        if self.ws.open_state_dir(false)?.is_none() {
            return Ok(None);
        }
        self.locked_created().map(Some)
    }

    /// Opens (creating) and locks the state dir, then completes interrupted moves and removes
    /// the temp files killed writers left in its folders. Only for what makes a session
    /// (`create`, `import`, `write-state`, `init`, and Maestro's design gate, which comes
    /// before `create_session`).
    fn locked_created(&self) -> Result<Locked> {
        let root = self.open_created()?;
        let guard = root.lock_file(Path::new(LOCK_REL), self.lock_timeout()?)?;
        intent::recover(&root)?;
        for folder in ["state", ARCHIVE_REL, intent::INTENTS_REL] {
            root.sweep_stale_temps(Path::new(folder));
        }
        Ok(Locked {
            root,
            _guard: Some(guard),
            logs: event_log::PendingSyncs::default(),
        })
    }

    /// The state dir for reading, `None` when it does not exist. When a move is pending, it is
    /// completed first (under the lock) so a listing never shows a session twice; if that
    /// fails (a read-only state dir, a corrupt record), reading goes on and `doctor` reports it.
    fn reader(&self) -> Result<Option<Root>> {
        let Some(root) = self.ws.open_state_dir(false)? else {
            return Ok(None);
        };
        if intent::any_pending(&root) {
            let _completed_or_reported_by_doctor = self.locked();
        }
        Ok(Some(root))
    }

    /// The active session, if any.
    pub fn active(&self) -> Result<Option<SessionFile>> {
        match self.reader()? {
            Some(root) => active_in(&root),
            None => Ok(None),
        }
    }

    /// The list row of every session in [`listing::newest_first`] order, with the files that
    /// could not be read or parsed (reported, never skipped). Archived rows come from the list index when their file is
    /// unchanged (see [`crate::store::index`]).
    pub fn summaries(&self) -> Result<(Vec<SessionSummary>, Vec<Error>)> {
        match self.reader()? {
            Some(root) => summaries_in(&root),
            None => Ok((Vec::new(), Vec::new())),
        }
    }

    /// Resolves a full or partial session id to its file.
    ///
    /// Errors: [`Error::NoSuchSession`] naming the closest ids ([`did_you_mean`]);
    /// [`Error::NotFound`] for `active` without an active session; [`Error::Ambiguous`] listing
    /// every candidate.
    pub fn resolve(&self, prefix: &str) -> Result<(String, PathBuf, Location)> {
        let root = self.reader()?.ok_or_else(|| not_found(prefix, &[]))?;
        let (id, rel, location) = resolve_in(&root, prefix)?;
        Ok((id, root.join(rel), location))
    }

    /// The session named by a full or partial id.
    pub fn get(&self, prefix: &str) -> Result<SessionFile> {
        let root = self.reader()?.ok_or_else(|| not_found(prefix, &[]))?;
        Ok(get_in(&root, Some(prefix))?.0)
    }

    /// The session named by `prefix`, or the active session when `prefix` is `None`.
    pub fn get_or_active(&self, prefix: Option<&str>) -> Result<SessionFile> {
        let root = self
            .reader()?
            .ok_or_else(|| not_found(prefix.unwrap_or(ACTIVE_KEYWORD), &[]))?;
        Ok(get_in(&root, prefix)?.0)
    }

    /// Applies `op` to the session named by `prefix` (or the active one) under the lock and
    /// durably writes the result. A refused operation changes nothing.
    pub fn apply(&self, prefix: Option<&str>, op: &Operation) -> Result<SessionFile> {
        self.apply_with(prefix, |_| Ok(vec![op.clone()]))
    }

    /// Applies the operations `plan` returns for the session named by `prefix` (or the active
    /// one), in order, under one lock and with one durable write: `plan` sees the session as
    /// read under the lock (so a check it makes cannot race another writer). When `plan` or any
    /// operation refuses, nothing changes.
    pub fn apply_with(
        &self,
        prefix: Option<&str>,
        plan: impl FnOnce(&SessionFile) -> Result<Vec<Operation>>,
    ) -> Result<SessionFile> {
        let l = self.locked()?;
        let (mut session, rel) = get_in(&l.root, prefix)?;
        let ops = plan(&session)?;
        self.checkpoint_before_ops(&l, &rel, &session, &ops)?;
        let mut meta = session.meta.clone();
        let mut body = session.body.clone();
        let ctx = self.op_context()?;
        for op in &ops {
            operations::apply(&mut meta, &mut body, op, &ctx)?;
        }
        let before = std::mem::replace(&mut session.meta, meta);
        session.body = body;
        session.write_in(&l.root, &rel)?;
        let op = event_log::op_name(&ops);
        self.record(
            &l,
            session.id(),
            &op,
            Some(&before),
            Some(&session.meta),
            &[],
        );
        Ok(session)
    }

    /// Creates a new active session with id `YYYY-MM-DD-<slug of the task>` (made unique),
    /// git context captured.
    ///
    /// Errors: [`Error::Refused`] when a non-terminal session is active and `park` is off;
    /// [`Error::Invalid`] for an empty task or bad phase references.
    pub fn create(&self, req: &CreateRequest) -> Result<SessionFile> {
        if req.task.trim().is_empty() {
            return Err(Error::Invalid("task is empty".into()));
        }
        let phases = build_phases(&req.phases)?;
        if let Some(id) = &req.session_id {
            crate::session::session_id::SessionId::parse(id)?;
        }
        if req.plan_content.is_some() && req.implementation_plan.is_some() {
            return Err(Error::Invalid(
                "give the implementation plan either as a path or as content, not both".into(),
            ));
        }
        let plan_rel = req
            .plan_content
            .as_ref()
            .map(|p| plan_file_rel(&p.file_name))
            .transpose()?;
        let l = self.locked_created()?;
        let mut steps = Vec::new();
        if let Some(id) = &req.session_id {
            self.check_given_id(&l.root, id)?;
        }
        if req.keep_in_progress
            && let Some(active) = active_in(&l.root).map_err(doctor_hint)?
            && active.meta.status == SessionStatus::InProgress
        {
            return Err(Error::refused(
                active.id(),
                "it is the active session and in_progress; archive it first",
            ));
        }
        if let (Some(plan), Some(rel)) = (&req.plan_content, &plan_rel) {
            match l.root.read_file(rel, ReadKind::SESSION, false) {
                Ok(bytes) if bytes == plan.content.as_bytes() => {}
                Ok(_) => {
                    return Err(Error::Invalid(format!(
                        "{} already exists with other content; choose another file name",
                        self.ws.state_rel.join(rel).display()
                    )));
                }
                Err(e) if e.is_not_found() => steps.push(Step::Write {
                    path: rel.to_string_lossy().into_owned(),
                    content: plan.content.clone(),
                }),
                Err(e) => return Err(e.into()),
            }
        }
        let admission = self.design_gate_admit(&l.root, req)?;
        // Chosen before the active session is displaced: it may be what decides.
        let flavour = self.new_session_flavour(&l.root)?.flavour;
        let displaced = self.make_room(&l.root, req.park, None, &mut steps)?;
        let now = jiff::Timestamp::now();
        let now_iso = clock::iso(now);
        let session_id = match &req.session_id {
            Some(id) => id.clone(),
            None => {
                let base = format!("{}-{}", now.strftime("%Y-%m-%d"), slug(&req.task));
                self.unique_id(&l.root, &base)?
            }
        };
        let implementation_plan = match &plan_rel {
            Some(rel) => Some(self.ws.state_rel.join(rel).to_string_lossy().into_owned()),
            None => req.implementation_plan.clone(),
        };
        let mut meta = SessionMetadata {
            session_id: session_id.clone(),
            task: req.task.trim().to_string(),
            created: now_iso.clone(),
            updated: now_iso,
            status: SessionStatus::InProgress,
            workflow_mode: Some(
                req.workflow_mode
                    .clone()
                    .unwrap_or_else(|| "standard".into()),
            ),
            design_document: req
                .design_document
                .clone()
                .or_else(|| admission.design_document.clone()),
            implementation_plan,
            current_phase: phases.first().map(|p| p.id.clone()),
            total_phases: u32::try_from(phases.len()).unwrap_or(u32::MAX),
            execution_mode: match (&req.execution_mode, req.maestro_create) {
                (Some(mode), _) => Some(mode.clone()),
                (None, true) => None,
                (None, false) => Some("sequential".into()),
            },
            execution_backend: req.maestro_create.then(|| "native".into()),
            task_complexity: req.task_complexity.clone(),
            phases,
            stage: Some(Stage::Initializing),
            git: crate::workspace::git::capture(&self.ws.project_root),
            ..SessionMetadata::default()
        };
        let mut body = orchestration_log::title(&meta.task);
        if req.maestro_create {
            meta.extra
                .insert("current_batch".into(), serde_json::Value::Null);
        }
        if req.maestro_create
            && let Some(first) = meta.phases.first().map(|p| p.id.clone())
        {
            operations::apply(
                &mut meta,
                &mut body,
                &Operation::PhaseStart(first),
                &self.op_context()?,
            )?;
            meta.stage = Some(Stage::Implementing);
        }
        let mut session = SessionFile::new(
            meta,
            body,
            l.root.join(ACTIVE_REL),
            Location::Active,
            flavour,
        );
        steps.push(Step::Write {
            path: ACTIVE_REL.into(),
            content: session.emit()?,
        });
        steps.extend(admission.step(&session.meta.created)?);
        intent::run(&l.root, &Intent::new("create", &session_id, steps))?;
        self.record_displaced(&l, displaced.as_ref());
        let gate: Vec<(&str, Value)> = admission
            .event()
            .map(|g| ("design_gate", g))
            .into_iter()
            .collect();
        self.record_new(&l, "create", &session, displaced.as_ref(), &gate);
        Ok(session)
    }

    /// Adds to `steps` what makes the active slot free for `incoming` (a session id that may
    /// already hold it): a terminal active session is archived; a non-terminal one is parked
    /// (archived as `paused`) when `park` is set, else refused. Returns the parked session's id.
    fn make_room(
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
    fn archive_steps(
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
                *slot = Some(self.ws.state_rel.join(&to).to_string_lossy().into_owned());
            }
        }
        session.meta.updated = clock::now_iso();
        steps.push(Step::Write {
            path: target.to_string_lossy().into_owned(),
            content: session.emit()?,
        });
        if rel != target {
            steps.push(Step::Remove {
                path: rel.to_string_lossy().into_owned(),
                session_id: id,
            });
        }
        Ok(moved)
    }

    /// For a plan document path (project-relative) lying directly in `<state dir>/plans/`,
    /// the move to a collision-free name in `plans/archive/` (see [`free_plan_name`]),
    /// state-dir relative. `moved` holds the moves already planned.
    fn plan_move(
        &self,
        root: &Root,
        rel: &str,
        id: &str,
        moved: &[(String, String)],
    ) -> Result<Option<(String, String)>> {
        let Some((from, name)) = self.plan_in_plans(root, rel)? else {
            return Ok(None);
        };
        if let Some((_, to)) = moved.iter().find(|(f, _)| *f == from) {
            return Ok(Some((from, to.clone())));
        }
        let to = free_plan_name(root, PLANS_ARCHIVE_REL, id, &name, moved)?;
        Ok(Some((from, to)))
    }

    /// The state-dir relative path and file name of the plan document `rel` (project-relative)
    /// when it is a regular file directly in `<state dir>/plans/`.
    fn plan_in_plans(&self, root: &Root, rel: &str) -> Result<Option<(String, String)>> {
        let Ok(clean) = maestro_session_fs::beneath::validate_relative(rel) else {
            return Ok(None);
        };
        let Ok(inside) = clean.strip_prefix(&self.ws.state_rel) else {
            return Ok(None);
        };
        let mut parts = inside.components();
        let (Some(first), Some(name), None) = (parts.next(), parts.next(), parts.next()) else {
            return Ok(None);
        };
        let Some(name) = name.as_os_str().to_str() else {
            return Ok(None);
        };
        if first.as_os_str() != PLANS_REL || name.starts_with('.') {
            return Ok(None);
        }
        let from = format!("{PLANS_REL}/{name}");
        if !root
            .metadata(Path::new(&from))?
            .is_some_and(|m| m.is_file())
        {
            return Ok(None);
        }
        Ok(Some((from, name.to_string())))
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
                path: rel.to_string_lossy().into_owned(),
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

    /// Forks any session into a new one (new id, `parent_session`, `forked_from`), phases and
    /// context kept, the original untouched. The fork lands archived as `paused`, or active and
    /// in progress with `activate`.
    pub fn fork(&self, prefix: &str, activate: bool, park: bool) -> Result<SessionFile> {
        let l = self.locked()?;
        let (source, _) = get_in(&l.root, Some(prefix))?;
        let now = jiff::Timestamp::now();
        let now_iso = clock::iso(now);
        let base = format!("{}-{}", now.strftime("%Y-%m-%d"), slug(&source.meta.task));
        let id = self.unique_id(&l.root, &base)?;
        let mut meta = source.meta.clone();
        meta.session_id = id.clone();
        meta.parent_session = Some(source.id().to_string());
        meta.forked_from = Some(ForkedFrom {
            session_id: source.id().to_string(),
            at: now_iso.clone(),
            extra: Default::default(),
        });
        meta.created = now_iso.clone();
        meta.updated = now_iso.clone();
        meta.git = crate::workspace::git::capture(&self.ws.project_root).or(meta.git);
        let forked = lifecycle::fork_state(
            lifecycle::StatusStage {
                status: meta.status,
                stage: meta.stage,
                paused_from_stage: meta.paused_from_stage,
            },
            activate,
        );
        meta.status = forked.status;
        meta.stage = forked.stage;
        meta.paused_from_stage = forked.paused_from_stage;
        let body = orchestration_log::upsert_note(
            &source.body,
            &format!("Forked from {} at {now_iso}.", source.id()),
        );
        let flavour = self.new_session_flavour(&l.root)?.flavour;
        let mut steps = Vec::new();
        // The fork gets its own copies of plan documents still in plans/, so archiving either
        // session never moves a document the other names.
        let mut copied: Vec<(String, String)> = Vec::new();
        for slot in [&mut meta.design_document, &mut meta.implementation_plan] {
            let Some(current) = slot.clone() else {
                continue;
            };
            let Some((from, name)) = self.plan_in_plans(&l.root, &current)? else {
                continue;
            };
            let to = match copied.iter().find(|(f, _)| *f == from) {
                Some((_, to)) => to.clone(),
                None => {
                    let to = free_plan_name(&l.root, PLANS_REL, &id, &name, &copied)?;
                    steps.push(Step::Copy {
                        from: from.clone(),
                        to: to.clone(),
                    });
                    copied.push((from, to.clone()));
                    to
                }
            };
            *slot = Some(self.ws.state_rel.join(&to).to_string_lossy().into_owned());
        }
        let (rel, displaced) = if activate {
            let displaced = self.make_room(&l.root, park, None, &mut steps)?;
            (PathBuf::from(ACTIVE_REL), displaced)
        } else {
            (archive_rel(&id)?, None)
        };
        // The fork keeps the source's layout (unknown keys, key order), in the project's
        // flavour (see `flavour`).
        let parent_id = source.id().to_string();
        let mut session = source;
        session.set_flavour(flavour);
        session.meta = meta;
        session.body = body;
        session.path = l.root.join(&rel);
        session.location = if activate {
            Location::Active
        } else {
            Location::Archive
        };
        steps.push(Step::Write {
            path: rel.to_string_lossy().into_owned(),
            content: session.emit()?,
        });
        intent::run(&l.root, &Intent::new("fork", &id, steps))?;
        self.record_displaced(&l, displaced.as_ref());
        let parent = [("parent", Value::from(parent_id))];
        self.record_new(&l, "fork", &session, displaced.as_ref(), &parent);
        Ok(session)
    }

    /// Deletes one session file, re-read under the lock, and its checkpoints, after writing its
    /// tombstone (its id is never used again; its event log is kept: see [`used_ids`]). The
    /// active session only with `force`. A file that does not parse (or holds another session
    /// than its name says) is moved to `state/quarantine/` instead of deleted: bytes that
    /// cannot be read are never destroyed.
    pub fn delete(&self, prefix: &str, force: bool) -> Result<DeleteReport> {
        let l = self.locked()?;
        let target = if force && prefix == ACTIVE_KEYWORD && active_in(&l.root).is_err() {
            None
        } else {
            Some(resolve_in(&l.root, prefix)?)
        };
        let (id, rel, location) = target.unwrap_or_else(|| {
            (
                ACTIVE_KEYWORD.to_string(),
                PathBuf::from(ACTIVE_REL),
                Location::Active,
            )
        });
        if location == Location::Active && !force {
            return Err(Error::refused(
                &id,
                "it is the active session; archive it first or pass --force",
            ));
        }
        let read = SessionFile::read_in(&l.root, &rel, location);
        let unreadable = match &read {
            Ok(s) if s.id() == id => None,
            Ok(s) => Some(format!("it holds session {} instead", s.id())),
            Err(e) => Some(e.to_string()),
        };
        let quarantined = match unreadable {
            None => {
                // Tombstone, file, checkpoints; the log is kept (see `used_ids`).
                let n = self.remove_session(&l.root, &id, &rel, "delete")?;
                let before = read.as_ref().ok().map(|s| &s.meta);
                let extra = [("checkpoints_removed", Value::from(n))];
                self.record(&l, &id, "delete", before, None, &extra);
                None
            }
            Some(why) => Some(l.root.join(quarantine::quarantine(
                &l.root,
                &rel,
                &format!("deleted with `delete` while it could not be read: {why}"),
            )?)),
        };
        Ok(DeleteReport {
            session_id: id,
            path: l.root.join(&rel),
            quarantined,
        })
    }

    /// Removes sessions: by default archived ones in a terminal status (completed, cancelled)
    /// not updated for `older_than_secs`; `id` removes that one archived session whatever its
    /// status; `all` (with `yes`) removes every session. Candidates come from the listing
    /// (whose index is only a cache); each is re-read under the lock and removed only if it
    /// still is what was chosen, with its checkpoints and event log, after its tombstone is
    /// written (see [`used_ids`]). Broken files are never removed.
    pub fn cleanup(&self, req: &CleanupRequest) -> Result<CleanupReport> {
        let age = req.older_than_secs.unwrap_or(DEFAULT_CLEANUP_AGE_SECS);
        let now = jiff::Timestamp::now().as_second();
        if req.all && !req.yes {
            return Err(Error::Invalid(
                "cleanup --all removes every session of this state dir; confirm with --yes".into(),
            ));
        }
        let l = match (self.locked_existing()?, &req.id) {
            (Some(l), _) => l,
            (None, Some(_)) => self.locked()?,
            // No state dir: nothing to remove, and nothing created.
            (None, None) => {
                return Ok(CleanupReport {
                    removed: Vec::new(),
                    dry_run: req.dry_run,
                    kept_unreadable: Vec::new(),
                });
            }
        };
        let mut candidates: Vec<(String, PathBuf, Location)> = Vec::new();
        let mut kept_unreadable = Vec::new();
        if let Some(prefix) = &req.id {
            let (id, rel, location) = resolve_in(&l.root, prefix)?;
            if location == Location::Active {
                return Err(Error::refused(
                    &id,
                    "cleanup never removes the active session; archive it first",
                ));
            }
            candidates.push((id, rel, location));
        } else {
            if req.all && !req.yes {
                return Err(Error::Invalid(
                    "cleanup --all removes every session of this state dir; confirm with --yes"
                        .into(),
                ));
            }
            let (rows, broken) = summaries_in(&l.root)?;
            kept_unreadable = broken.iter().map(ToString::to_string).collect();
            for r in rows {
                let rel = match r.location {
                    Location::Active => PathBuf::from(ACTIVE_REL),
                    Location::Archive => match Path::new(&r.path).file_name() {
                        Some(name) => Path::new(ARCHIVE_REL).join(name),
                        None => continue,
                    },
                };
                candidates.push((r.session_id, rel, r.location));
            }
        }
        let mut removed = Vec::new();
        for (id, rel, location) in candidates {
            // Re-read under the lock: the index is a cache, and the file may have changed.
            let session = match SessionFile::read_in(&l.root, &rel, location) {
                Ok(s) => s,
                Err(e) if e.is_not_found() => continue,
                Err(e) => {
                    kept_unreadable.push(e.to_string());
                    continue;
                }
            };
            if session.id() != id {
                continue;
            }
            let chosen = req.id.is_some()
                || req.all
                || (location == Location::Archive
                    && session.meta.status.is_terminal()
                    && clock::parse_iso(&session.meta.updated)
                        .map(|t| t.as_second())
                        .or_else(|| l.root.modified_secs(&rel))
                        .is_some_and(|updated| clock::is_older_than(updated, now, age)));
            if !chosen {
                continue;
            }
            if !req.dry_run {
                self.remove_session(&l.root, &id, &rel, "cleanup")?;
                self.forget_log(&l.root, &id);
            }
            removed.push((id, l.root.join(&rel)));
        }
        Ok(CleanupReport {
            removed,
            dry_run: req.dry_run,
            kept_unreadable,
        })
    }
}

/// The active session in `root`, if any.
fn active_in(root: &Root) -> Result<Option<SessionFile>> {
    match SessionFile::read_in(root, Path::new(ACTIVE_REL), Location::Active) {
        Err(e) if e.is_not_found() => Ok(None),
        other => other.map(Some),
    }
}

/// Adds to an error about an active session that cannot be read how to repair it.
fn doctor_hint(e: Error) -> Error {
    const HINT: &str = "the active session cannot be read; run `maestro-session doctor --fix` to move it to state/quarantine/";
    match e {
        Error::Corrupt { path, line, reason } => Error::Corrupt {
            path,
            line,
            reason: format!("{reason}; {HINT}"),
        },
        e @ (Error::NotRegular { .. } | Error::TooLarge { .. }) => {
            let path = match &e {
                Error::NotRegular { path, .. } | Error::TooLarge { path, .. } => path.clone(),
                _ => PathBuf::new(),
            };
            let what = e.to_string();
            let reason = what
                .strip_prefix(&format!("{}", path.display()))
                .map(|r| r.trim_start_matches([' ', ':']).to_string())
                .unwrap_or(what);
            Error::Corrupt {
                path,
                line: None,
                reason: format!("{reason}; {HINT}"),
            }
        }
        other => other,
    }
}

/// The error for a session id (or prefix) no session has, naming the closest of `known` ids
/// ([`did_you_mean`]); `active` when there is no active session.
fn not_found(prefix: &str, known: &[String]) -> Error {
    if prefix == ACTIVE_KEYWORD {
        Error::NotFound {
            what: "active session".into(),
        }
    } else {
        Error::NoSuchSession {
            id: prefix.to_string(),
            suggestions: did_you_mean(prefix, known),
        }
    }
}

/// The most suggestions a "did you mean" names.
pub const MAX_SUGGESTIONS: usize = 3;

/// The session ids of `known` closest to `typed`, an id (or id prefix) that matched none, for
/// "did you mean": by the edit distance (optimal string alignment: a swap of two neighbours is
/// one edit) to the whole id or to the id's first `typed.len()` characters, whichever is
/// smaller, so a mistyped prefix finds its session too; between equally close ids, the one
/// closer as a whole wins. Only ids within a third of the typed length (at least 1, at most 4
/// edits) count; the closest are returned, at most [`MAX_SUGGESTIONS`], in id order. The one place this rule lives: every command and MCP tool
/// that names a session goes through [`Store::resolve`] and its siblings.
pub fn did_you_mean(typed: &str, known: &[String]) -> Vec<String> {
    let typed_len = typed.chars().count();
    let limit = (typed_len / 3).clamp(1, 4);
    let mut scored: Vec<((usize, usize), &String)> = known
        .iter()
        .filter_map(|id| {
            let head: String = id.chars().take(typed_len).collect();
            let whole = strsim::osa_distance(typed, id);
            let d = whole.min(strsim::osa_distance(typed, &head));
            (d <= limit).then_some(((d, whole), id))
        })
        .collect();
    scored.sort();
    let best = scored.first().map(|(d, _)| *d);
    scored
        .into_iter()
        .take_while(|(d, _)| Some(*d) == best)
        .take(MAX_SUGGESTIONS)
        .map(|(_, id)| id.clone())
        .collect()
}

/// `state/archive/<id>.md`.
fn archive_rel(id: &str) -> Result<PathBuf> {
    session_id::check_file_id(id)?;
    Ok(Path::new(ARCHIVE_REL).join(format!("{id}.md")))
}

/// The archive's session file names (`*.md`, not hidden), sorted.
fn archive_names(root: &Root) -> Result<Vec<String>> {
    Ok(root
        .names(Path::new(ARCHIVE_REL))?
        .into_iter()
        .filter(|n| n.ends_with(".md") && !n.starts_with('.'))
        .collect())
}

fn summaries_in(root: &Root) -> Result<(Vec<SessionSummary>, Vec<Error>)> {
    let mut rows = Vec::new();
    let mut broken = Vec::new();
    match active_in(root) {
        Ok(Some(s)) => rows.push(SessionSummary::of(&s)),
        Ok(None) => {}
        Err(e) => broken.push(e),
    }
    let (archived, errors) = index::rows(root, &archive_names(root)?);
    rows.extend(archived);
    broken.extend(errors);
    listing::sort_newest_first(&mut rows);
    Ok((rows, broken))
}

/// Every session id with its file (relative to the state dir) and location, without parsing
/// the archive (ids are file names there). The active session is parsed for its id; when it
/// does not parse, it has no id to match.
fn ids_in(root: &Root) -> Result<Vec<(String, PathBuf, Location)>> {
    let mut out = Vec::new();
    let active_id = match active_in(root) {
        Ok(Some(active)) => {
            let id = active.meta.session_id.clone();
            out.push((id.clone(), PathBuf::from(ACTIVE_REL), Location::Active));
            Some(id)
        }
        _ => None,
    };
    for name in archive_names(root)? {
        if let Some(stem) = name.strip_suffix(".md")
            && Some(stem) != active_id.as_deref()
        {
            out.push((
                stem.to_string(),
                Path::new(ARCHIVE_REL).join(&name),
                Location::Archive,
            ));
        }
    }
    Ok(out)
}

/// Resolves a full or partial session id (or `active`) in `root`.
fn resolve_in(root: &Root, prefix: &str) -> Result<(String, PathBuf, Location)> {
    if prefix == ACTIVE_KEYWORD {
        let active = active_in(root)
            .map_err(doctor_hint)?
            .ok_or_else(|| not_found(ACTIVE_KEYWORD, &[]))?;
        return Ok((
            active.meta.session_id,
            PathBuf::from(ACTIVE_REL),
            Location::Active,
        ));
    }
    let ids = ids_in(root)?;
    if let Some(exact) = ids.iter().find(|(id, _, _)| id == prefix) {
        return Ok(exact.clone());
    }
    let mut matches: Vec<_> = ids
        .iter()
        .filter(|(id, _, _)| id.starts_with(prefix))
        .cloned()
        .collect();
    if matches.len() > 1 {
        return Err(Error::Ambiguous {
            prefix: prefix.to_string(),
            candidates: matches.into_iter().map(|(id, _, _)| id).collect(),
        });
    }
    matches.pop().ok_or_else(|| {
        let known: Vec<String> = ids.into_iter().map(|(id, _, _)| id).collect();
        not_found(prefix, &known)
    })
}

/// The session named by `prefix` (the active one when `None`) and its file.
fn get_in(root: &Root, prefix: Option<&str>) -> Result<(SessionFile, PathBuf)> {
    let prefix = prefix.unwrap_or(ACTIVE_KEYWORD);
    let (_, rel, location) = resolve_in(root, prefix)?;
    let session = SessionFile::read_in(root, &rel, location).map_err(|e| {
        if location == Location::Active {
            doctor_hint(e)
        } else {
            e
        }
    })?;
    Ok((session, rel))
}

/// A name in `folder` (state-dir relative) for session `id`'s copy of the plan document
/// `name` that no file holds and no planned step (`planned`, as (from, to)) takes:
/// `<id>--<name>`, then `<id>--2-<name>`, ...; a name that already starts with `<id>--` is
/// not prefixed again.
fn free_plan_name(
    root: &Root,
    folder: &str,
    id: &str,
    name: &str,
    planned: &[(String, String)],
) -> Result<String> {
    let prefix = format!("{id}--");
    let bare = name.strip_prefix(&prefix).unwrap_or(name);
    let mut n = 1u32;
    loop {
        let to = if n == 1 {
            format!("{folder}/{prefix}{bare}")
        } else {
            format!("{folder}/{prefix}{n}-{bare}")
        };
        let taken = planned.iter().any(|(_, t)| *t == to);
        if !taken && root.metadata(Path::new(&to))?.is_none() {
            return Ok(to);
        }
        n = n.saturating_add(1);
    }
}

/// `plans/<name>` for the file name of a plan given as content: a bare name ending in `.md`,
/// of letters, digits, `.`, `_` and `-`, not hidden, at most 128 characters.
///
/// Errors: [`Error::Invalid`] saying which rule the name breaks.
pub(crate) fn plan_file_rel(name: &str) -> Result<PathBuf> {
    let why = if name.is_empty() {
        Some("it is empty")
    } else if name.len() > 128 {
        Some("it is longer than 128 characters")
    } else if name.contains(['/', '\\']) || name.contains("..") {
        Some("it must be a bare file name, without folders or `..`")
    } else if name.starts_with('.') {
        Some("it must not start with `.`")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        Some("only letters, digits, `.`, `_` and `-` are allowed")
    } else if !name.ends_with(".md") {
        Some("it must end in `.md`")
    } else {
        None
    };
    match why {
        Some(why) => Err(Error::Invalid(format!(
            "file name {:?} refused: {why}",
            name.chars().take(64).collect::<String>()
        ))),
        None => Ok(Path::new(PLANS_REL).join(name)),
    }
}

fn verify_failed(path: &Path, what: &str) -> Error {
    Error::io(
        "verify archive of",
        path,
        std::io::Error::other(what.to_string()),
    )
}

/// The slug of a task: lower-case ASCII letters and digits joined by `-`, at most 48
/// characters; `session` when nothing is left.
pub fn slug(task: &str) -> String {
    let mut out = String::new();
    for c in task.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= 48 {
            break;
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "session".into()
    } else {
        out
    }
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

/// The phases of a new session. Ids default to positions (1, 2, ...); given ids must be
/// valid and unique; `blocked_by` defaults to the previous phase and may name only earlier
/// phases (so the plan has no cycle).
fn build_phases(specs: &[PhaseSpec]) -> Result<Vec<Phase>> {
    let mut phases: Vec<Phase> = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let position = u64::try_from(i).unwrap_or(u64::MAX).saturating_add(1);
        let id = spec.id.clone().unwrap_or(PhaseId::Number(position));
        if !id.is_valid() {
            return Err(Error::Invalid(format!(
                "phase {position} has an unusable id {id:?}: give a number or a name of 1 to 128 characters"
            )));
        }
        if phases.iter().any(|p| p.id.names(&id)) {
            return Err(Error::Invalid(format!("phase id {id} is used twice")));
        }
        if spec.name.trim().is_empty() {
            return Err(Error::Invalid(format!("phase {id} has no name")));
        }
        // The boundary of phase agents (command line, plan files, MCP): each one an agent
        // name, empty ones dropped.
        let agents = spec
            .agents
            .iter()
            .filter(|a| !a.trim().is_empty())
            .map(|a| {
                crate::session::agent_name::AgentName::parse(a)
                    .map(String::from)
                    .map_err(|e| Error::Invalid(format!("phase {id}: agent {e}")))
            })
            .collect::<Result<Vec<_>>>()?;
        let blocked_by = match &spec.blocked_by {
            Some(ids) => ids.clone(),
            None => phases
                .last()
                .map(|p| vec![p.id.clone()])
                .unwrap_or_default(),
        };
        let mut resolved = Vec::with_capacity(blocked_by.len());
        for b in &blocked_by {
            match phases.iter().find(|p| p.id.names(b)) {
                Some(earlier) => resolved.push(earlier.id.clone()),
                None => {
                    return Err(Error::Invalid(format!(
                        "phase {id} ({}) cannot wait for phase {b}: only earlier phases",
                        spec.name
                    )));
                }
            }
        }
        let mut extra = serde_json::Map::new();
        if !spec.planned_files.is_empty() {
            extra.insert(
                "planned_files".into(),
                serde_json::json!(spec.planned_files),
            );
        }
        phases.push(Phase {
            id,
            name: spec.name.trim().to_string(),
            agents,
            parallel: spec.parallel,
            blocked_by: resolved,
            extra,
            ..Phase::default()
        });
    }
    Ok(phases)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(
            slug("Add token authentication to the REST API"),
            "add-token-authentication-to-the-rest-api"
        );
        assert_eq!(slug("  ***  "), "session");
        assert_eq!(slug("Ünïcode & stuff!"), "n-code-stuff");
        assert!(slug(&"word ".repeat(40)).len() <= 48);
    }

    #[test]
    fn did_you_mean_names_the_closest_ids_within_reach() {
        let known: Vec<String> = [
            "2026-01-01-feat-tokenizer",
            "2026-01-01-feat-tokenizer-2",
            "2026-01-02-fix-parser",
            "abc",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            did_you_mean("2026-01-01-feat-tokenzier", &known),
            ["2026-01-01-feat-tokenizer"]
        );
        // A mistyped prefix is compared with the ids' heads; the id closer as a whole wins.
        assert_eq!(
            did_you_mean("2026-01-01-feat-tokne", &known),
            ["2026-01-01-feat-tokenizer"]
        );
        assert_eq!(
            did_you_mean("2026-01-01-feat-tokenizer-3", &known),
            ["2026-01-01-feat-tokenizer-2"]
        );
        assert_eq!(did_you_mean("abd", &known), ["abc"]);
        assert!(
            did_you_mean("xyz", &known).is_empty(),
            "3 edits of 3 letters"
        );
        assert!(did_you_mean("2026-02-09-something-else", &known).is_empty());
        assert!(did_you_mean("x", &[]).is_empty());
        let err = not_found("2026-01-01-feat-tokenzier", &known);
        assert_eq!(
            err.to_string(),
            "session \"2026-01-01-feat-tokenzier\" not found; did you mean \"2026-01-01-feat-tokenizer\"?"
        );
        assert_eq!(
            not_found("abd", &["abc".into(), "abe".into()]).to_string(),
            "session \"abd\" not found; did you mean \"abc\" or \"abe\"?"
        );
    }

    #[test]
    fn file_ids() {
        assert!(session_id::check_file_id("2026-11-20-x").is_ok());
        for bad in ["", "../x", ".hidden", "a/b", "a..b"] {
            assert!(session_id::check_file_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phases_default_to_a_chain() {
        let specs = vec![
            PhaseSpec {
                name: "A".into(),
                agents: vec!["Code-Reviewer".into()],
                ..Default::default()
            },
            PhaseSpec {
                name: "B".into(),
                ..Default::default()
            },
            PhaseSpec {
                name: "C".into(),
                blocked_by: Some(vec![PhaseId::Number(1)]),
                ..Default::default()
            },
        ];
        let phases = build_phases(&specs).expect("phases");
        assert_eq!(phases[0].agents, vec!["code_reviewer"]);
        assert_eq!(phases[1].blocked_by, vec![PhaseId::Number(1)]);
        assert_eq!(phases[2].blocked_by, vec![PhaseId::Number(1)]);
        let bad = vec![PhaseSpec {
            name: "A".into(),
            blocked_by: Some(vec![PhaseId::Number(2)]),
            ..Default::default()
        }];
        assert!(build_phases(&bad).is_err());
    }
}
