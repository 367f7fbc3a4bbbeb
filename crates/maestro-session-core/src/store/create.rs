//! Creating a session: the id from the date and the task's slug, the phases with their
//! defaults, the plan given as content, the room made in the active slot, all in one intent.

use serde_json::Value;

use super::plan_names::plan_file_rel;
use super::resolve::{active_in, doctor_hint};
use super::{Store, intent};
use crate::clock;
use crate::error::{Error, Result};
use crate::operations::{self, Operation};
use crate::session::lifecycle::{SessionStatus, Stage};
use crate::session::model::{Phase, PhaseId, SessionMetadata};
use crate::session::orchestration_log;
use crate::session::phase_spec::PhaseSpec;
use crate::session::session_file::{Location, SessionFile};
use crate::store::intent::{Intent, Step};
use crate::workspace::paths::ACTIVE_REL;
use maestro_session_fs::reader::ReadKind;

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
    /// [`super::design_gate`]): refuse as it says, take the gate's design document when
    /// `design_document` is `None`, and bind the gate to the new session in its intent.
    pub design_gate: bool,
}

impl Store {
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
                    path: maestro_session_fs::beneath::slash_text(rel),
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
            Some(rel) => Some(maestro_session_fs::beneath::slash_text(
                &self.ws.state_rel.join(rel),
            )),
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

/// The phases of a new session. Ids default to positions (1, 2, ...); given ids must be
/// valid and unique; `blocked_by` defaults to the previous phase and may name only earlier
/// phases (so the plan has no cycle).
pub(super) fn build_phases(specs: &[PhaseSpec]) -> Result<Vec<Phase>> {
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
