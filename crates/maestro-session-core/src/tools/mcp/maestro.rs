//! Maestro 1.6's six session tools (see the contract notes in [`super`]); the design gate and
//! reconciliation they apply are [`super::design_gate`] and [`super::reconciliation`].

use maestro_session_fs::canonical::canonicalize;
use std::path::Path;

use crate::outputs::mcp::{
    ArchiveSessionOutput, CreateSessionOutput, GetSessionStatusOutput, InitializeWorkspaceOutput,
    NoSession, SessionStateSummary, SessionStatusOutput, StatusPhase, TransitionPhaseOutput,
    UpdateSessionOutput,
};
use serde_json::json;

use super::args::{self, *};
use super::{ToolError, Tools};
use crate::error::Error;
use crate::operations::Operation;
use crate::session::agent_name::AgentName;
use crate::session::field_values::WorkflowMode;
use crate::session::lifecycle::{PhaseStatus, SessionStatus, State};
use crate::session::model::PhaseId;
use crate::session::phase_spec::PhaseSpec;
use crate::session::plan_schema;
use crate::session::session_file::{Location, SessionFile};
use crate::session::session_id::SessionId;
use crate::store::{ACTIVE_KEYWORD, CreateRequest, PlanContent, Store};
use crate::workspace::paths::{self, StateDirSource, Workspace};

/// The folders `initialize_workspace` creates, relative to the state dir.
const LAYOUT: [&str; 4] = ["state/", "state/archive/", "plans/", "plans/archive/"];

/// The agent tokens are counted for when neither `token_usage.agent` nor the completed
/// phase names one.
const DEFAULT_TOKEN_AGENT: &str = "orchestrator";

/// Checks a Maestro `session_id` argument (`^[A-Za-z0-9_-]{1,128}$`, Maestro's
/// `assertSessionId`); a refusal carries Maestro's `details: {value}` (the id given, cut to
/// 128 characters).
fn session_id(tools: &Tools, tool: &'static str, id: &str) -> Result<(), ToolError> {
    SessionId::parse(id).map(|_| ()).map_err(|e| {
        let value: String = id.chars().take(128).collect();
        tools
            .fail(tool, e)
            .with_details(json!({"value": tools.sanitize(&value)}))
    })
}

/// Refuses unless `session` (the active one) is the session `given` names (its id, or
/// `active`): Maestro's tools act on the active session only.
fn require_named(session: &SessionFile, given: &str) -> crate::Result<()> {
    if given == ACTIVE_KEYWORD || session.id() == given {
        Ok(())
    } else {
        Err(Error::refused(
            given,
            format!(
                "it is not the active session (the active session is {})",
                session.id()
            ),
        ))
    }
}

/// `initialize_workspace`: creates the state dir layout beneath the project through
/// [`Store::init`]; a `state_dir` argument is resolved like `--state-dir` (relative to the
/// project root, inside it; a refusal names the argument) and used by later calls.
pub(super) fn initialize_workspace(
    t: &Tools,
    a: InitializeWorkspaceArgs,
) -> Result<InitializeWorkspaceOutput, ToolError> {
    const TOOL: &str = "initialize_workspace";
    if let Some(given) = a.workspace_path.as_deref().filter(|w| !w.is_empty()) {
        check_workspace_path(t, given)?;
    }
    let ws = match a.state_dir.as_deref().filter(|d| !d.is_empty()) {
        Some(dir) => Workspace::with_state_dir_from(
            &t.env,
            &t.project_root,
            Path::new(dir),
            StateDirSource::Argument("state_dir"),
        )
        .map_err(|e| t.fail(TOOL, e))?,
        None => t.workspace(TOOL)?,
    };
    let already_existed = match ws.open_state_dir(false).map_err(|e| t.fail(TOOL, e))? {
        Some(root) => root
            .metadata(Path::new("state"))
            .map_err(|e| t.fail(TOOL, e))?
            .is_some(),
        None => false,
    };
    Store::new(ws.clone(), t.env.clone())
        .init()
        .map_err(|e| t.fail(TOOL, e))?;
    if a.state_dir.as_deref().is_some_and(|d| !d.is_empty()) {
        t.remember_state_dir(ws.state_rel.clone());
    }
    let state_dir = ws.state_rel.to_string_lossy().into_owned();
    Ok(InitializeWorkspaceOutput {
        success: true,
        workspace_path: a
            .workspace_path
            .filter(|w| !w.is_empty())
            .unwrap_or_else(|| ".".into()),
        created_directories: LAYOUT.iter().map(|d| format!("{state_dir}/{d}")).collect(),
        state_dir,
        already_existed,
    })
}

/// A `workspace_path` argument must be the project this server serves: the folder, or
/// one whose project root ([`paths::root_of`], Maestro's `requireExplicitWorkspaceRoot`: its
/// repository root) is it. A folder in an extension cache is refused as Maestro does
/// (`WORKSPACE_IN_EXTENSION_CACHE`), one that does not exist with `WORKSPACE_NOT_FOUND`.
fn check_workspace_path(t: &Tools, given: &str) -> Result<(), ToolError> {
    let path = paths::root_of(
        &t.env,
        &t.project_root.join(given),
        paths::StartFrom::Argument("workspace_path"),
    )
    .map_err(|e| t.fail("initialize_workspace", e))?;
    let same = path == t.project_root
        || matches!(
            (canonicalize(&path), canonicalize(&t.project_root)),
            (Ok(a), Ok(b)) if a == b
        );
    if same {
        Ok(())
    } else {
        Err(ToolError::new(
            "workspace_path is not the project this server serves",
            "Omit workspace_path: the server serves the project Gemini CLI started it for (MAESTRO_WORKSPACE_PATH) and writes nowhere else.",
            "PATH_REFUSED",
        ))
    }
}

/// `create_session`: a new active session with the caller's id and phases, the first phase
/// started; refused while the active session is `in_progress` (in the store, under the lock);
/// an active session in another status is archived first, never overwritten.
///
/// Checked in Maestro 1.6.4's order (`handleCreateSession`): the session id, the design gate,
/// the phases against Maestro's contract ([`plan_schema`]: `VALIDATION_ERROR` "Invalid phases
/// payload: ..." with Maestro's violations as `details`) and then ours (at least one phase,
/// ids and paths), the active session, the plan arguments.
pub(super) fn create_session(
    t: &Tools,
    a: CreateSessionArgs,
) -> Result<CreateSessionOutput, ToolError> {
    const TOOL: &str = "create_session";
    session_id(t, TOOL, &a.session_id)?;
    let invalid = |msg: &str| ToolError::new(msg, super::usage(TOOL), "VALIDATION_ERROR");
    let doc_path = |what: &str, p: Option<String>| -> Result<Option<String>, ToolError> {
        p.filter(|p| !p.is_empty())
            .map(|p| t.project_path(TOOL, what, &p))
            .transpose()
    };
    let design_document = doc_path("design_document", a.design_document)?;
    let store = t.store(TOOL)?;
    if let Err(refusal) = store
        .design_gate_admission(&a.session_id, design_document.as_deref())
        .map_err(|e| t.fail(TOOL, e))?
    {
        return Err(ToolError::new(
            t.sanitize(&refusal.to_string()),
            refusal.hint(),
            refusal.code(),
        )
        .with_details(refusal.details()));
    }
    let violations = plan_schema::validate(&a.phases.0);
    if !violations.is_empty() {
        let described: Vec<String> = violations.iter().map(|v| v.describe()).collect();
        return Err(ToolError::new(
            t.sanitize(&format!(
                "{} ({})",
                plan_schema::message(&violations),
                described.join("; ")
            )),
            super::usage(TOOL),
            "VALIDATION_ERROR",
        )
        .with_details(serde_json::to_value(&violations).ok()));
    }
    let given: Vec<PhaseArg> = args::parse_value(a.phases.0)
        .map_err(|why| invalid(&t.sanitize(&format!("invalid arguments: phases{why}"))))?;
    if given.is_empty() {
        return Err(invalid("phases must name at least one phase"));
    }
    let before = store.active().map_err(|e| t.fail(TOOL, e))?;
    if let Some(active) = &before
        && active.meta.status == SessionStatus::InProgress
    {
        return Err(ToolError::new(
            format!(
                "the active session {} is in_progress; archive it with archive_session before creating another",
                active.id()
            ),
            "Call get_session_status to see the active session; when its work is done, archive_session it and call create_session again.",
            "STATE_ERROR",
        ));
    }
    let has_content = a
        .implementation_plan_content
        .as_deref()
        .is_some_and(|c| !c.is_empty());
    let has_name = a
        .implementation_plan_filename
        .as_deref()
        .is_some_and(|c| !c.is_empty());
    let has_path = a
        .implementation_plan
        .as_deref()
        .is_some_and(|c| !c.is_empty());
    if has_path && (has_content || has_name) {
        return Err(invalid(
            "implementation_plan excludes implementation_plan_content and implementation_plan_filename",
        ));
    }
    if has_content != has_name {
        return Err(invalid(if has_content {
            "give implementation_plan_filename with implementation_plan_content"
        } else {
            "give implementation_plan_content with implementation_plan_filename"
        }));
    }
    let implementation_plan = doc_path("implementation_plan", a.implementation_plan)?;
    let mut phases = Vec::with_capacity(given.len());
    for (i, p) in given.into_iter().enumerate() {
        let mut planned_files = Vec::new();
        for (j, f) in p.files.unwrap_or_default().iter().enumerate() {
            planned_files.push(t.project_path(TOOL, &format!("phases[{i}].files[{j}]"), f)?);
        }
        phases.push(PhaseSpec {
            id: Some(p.id.0),
            name: p.name,
            agents: vec![String::from(p.agent)],
            blocked_by: Some(p.blocked_by.into_iter().map(|b| b.0).collect()),
            parallel: p.parallel,
            planned_files,
        });
    }
    let req = CreateRequest {
        task: a.task,
        phases,
        design_document,
        implementation_plan,
        workflow_mode: Some(
            a.workflow_mode
                .unwrap_or(WorkflowMode::Standard)
                .as_str()
                .into(),
        ),
        execution_mode: a.execution_mode.map(|m| m.as_str().into()),
        task_complexity: a.task_complexity.map(|c| c.as_str().into()),
        park: true,
        keep_in_progress: true,
        session_id: Some(a.session_id),
        maestro_create: true,
        plan_content: match (
            a.implementation_plan_content,
            a.implementation_plan_filename,
        ) {
            (Some(content), Some(file_name)) if has_content => {
                Some(PlanContent { file_name, content })
            }
            _ => None,
        },
        design_gate: true,
    };
    let wrote_plan = req.plan_content.is_some();
    let session = store.create(&req).map_err(|e| t.fail(TOOL, e))?;
    let mut out = CreateSessionOutput {
        success: true,
        path: t.rel(&session.path),
        session_id: session.id().to_string(),
        archived: None,
        parked: None,
        implementation_plan: None,
    };
    if let Some(previous) = before {
        let id = Some(previous.id().to_string());
        if previous.meta.status.is_terminal() {
            out.archived = id;
        } else {
            out.parked = id;
        }
    }
    if wrote_plan {
        out.implementation_plan = session.meta.implementation_plan.clone();
    }
    Ok(out)
}

/// `get_session_status`: the active session's status in Maestro's fields, plus `task`,
/// `stage`, `created`, `updated` and the count of unresolved errors.
pub(super) fn get_session_status(
    t: &Tools,
    a: GetSessionStatusArgs,
) -> Result<GetSessionStatusOutput, ToolError> {
    const TOOL: &str = "get_session_status";
    let store = t.store(TOOL)?;
    let Some(s) = store.active().map_err(|e| t.fail(TOOL, e))? else {
        return Ok(GetSessionStatusOutput::None(NoSession {
            exists: false,
            message: "there is no active session".into(),
        }));
    };
    let m = &s.meta;
    let note = a
        .session_id
        .filter(|g| g != ACTIVE_KEYWORD && g != s.id())
        .map(|given| {
            let shown: String = given.chars().take(64).collect();
            t.sanitize(&format!(
                "the active session is {}, not {shown}; show_session reads any session",
                s.id()
            ))
        });
    Ok(GetSessionStatusOutput::Status(Box::new(
        SessionStatusOutput {
            exists: true,
            session_id: m.session_id.clone(),
            status: m.status,
            workflow_mode: m.workflow_mode.as_deref().unwrap_or("standard").into(),
            current_phase: m.current_phase.clone(),
            total_phases: m.phase_count(),
            phases: m
                .phases
                .iter()
                .map(|p| StatusPhase {
                    id: p.id.clone(),
                    name: p.name.clone(),
                    status: p.status,
                    agent: p.agents.first().cloned(),
                })
                .collect(),
            task_complexity: m.task_complexity.clone(),
            execution_mode: m.execution_mode.clone(),
            current_batch: m.current_batch().map(str::to_string),
            token_usage: m.token_usage.clone(),
            task: m.task.clone(),
            stage: m.stage,
            created: m.created.clone(),
            updated: m.updated.clone(),
            unresolved_errors: m.unresolved_errors().len(),
            note,
        },
    )))
}

/// `update_session`: sets `execution_mode`, `execution_backend` and `current_batch` of the
/// active session, which `session_id` must name, in one locked write.
pub(super) fn update_session(
    t: &Tools,
    a: UpdateSessionArgs,
) -> Result<UpdateSessionOutput, ToolError> {
    const TOOL: &str = "update_session";
    session_id(t, TOOL, &a.session_id)?;
    let mut ops = Vec::new();
    let mut fields = Vec::new();
    let mut set = |key: &'static str, value: Option<String>| {
        ops.push(Operation::SetField {
            key: key.into(),
            value,
        });
        fields.push(key);
    };
    if let Some(mode) = a.execution_mode {
        set("execution_mode", Some(mode.as_str().into()));
    }
    if let Some(backend) = a.execution_backend {
        set("execution_backend", backend);
    }
    if let Some(batch) = a.current_batch {
        set("current_batch", batch);
    }
    if ops.is_empty() {
        return Err(ToolError::new(
            "nothing to update: give execution_mode, execution_backend or current_batch",
            super::usage(TOOL),
            "VALIDATION_ERROR",
        ));
    }
    let store = t.store(TOOL)?;
    store
        .apply_with(None, |s| {
            require_named(s, &a.session_id)?;
            Ok(ops)
        })
        .map_err(|e| t.fail(TOOL, e))?;
    Ok(UpdateSessionOutput {
        success: true,
        updated_fields: fields.into_iter().map(String::from).collect(),
    })
}

/// `transition_phase`: in one locked write, records the completed phase's files and
/// downstream context, completes it, starts the next phase or batch, sets `current_batch` and
/// adds the token usage; every move is checked by the phase machine, and a refusal changes
/// nothing.
pub(super) fn transition_phase(
    t: &Tools,
    a: TransitionPhaseArgs,
) -> Result<TransitionPhaseOutput, ToolError> {
    const TOOL: &str = "transition_phase";
    session_id(t, TOOL, &a.session_id)?;
    let invalid = |msg: String, code: &'static str| ToolError::new(msg, super::usage(TOOL), code);
    let next_ids: Vec<PhaseId> = a
        .next_phase_ids
        .unwrap_or_default()
        .into_iter()
        .map(|p| p.0)
        .collect();
    let next_id = a.next_phase_id.map(|p| p.0);
    let completed = a.completed_phase_id.map(|p| p.0);
    if next_id.is_some() && !next_ids.is_empty() {
        return Err(invalid(
            "give next_phase_id or next_phase_ids, not both".into(),
            "VALIDATION_ERROR",
        ));
    }
    if completed.is_none() && next_id.is_none() && next_ids.is_empty() {
        return Err(invalid(
            "nothing to do: give completed_phase_id, next_phase_id or next_phase_ids".into(),
            "VALIDATION_ERROR",
        ));
    }
    let mut files: [Vec<String>; 3] = Default::default();
    for (slot, (what, given)) in files.iter_mut().zip([
        ("files_created", a.files_created.unwrap_or_default()),
        ("files_modified", a.files_modified.unwrap_or_default()),
        ("files_deleted", a.files_deleted.unwrap_or_default()),
    ]) {
        for (i, f) in given.iter().enumerate() {
            slot.push(t.project_path(TOOL, &format!("{what}[{i}]"), f)?);
        }
    }
    let context = a.downstream_context.map(|c| c.lists()).unwrap_or_default();
    let has_files = files.iter().any(|f| !f.is_empty());
    match &completed {
        None if has_files || !context.is_empty() => {
            return Err(invalid(
                "files_created, files_modified, files_deleted and downstream_context describe the completed phase: give completed_phase_id".into(),
                "VALIDATION_ERROR",
            ));
        }
        Some(c) if has_files && context.is_empty() => {
            // Maestro's details, but for `received_downstream_context` (the input echoed).
            let details = json!({
                "phase_id": c,
                "files_created_count": files[0].len(),
                "files_modified_count": files[1].len(),
                "files_deleted_count": files[2].len(),
            });
            return Err(ToolError::new(
                format!(
                    "phase {c} changed files, so its handoff needs a downstream_context with at least one of key_interfaces_introduced, patterns_established, integration_points, assumptions, warnings (a string or a list of strings; \"none\" and \"n/a\" count as empty)"
                ),
                "Call transition_phase again with the phase's downstream context from its handoff report.",
                "HANDOFF_INCOMPLETE",
            )
            .with_details(details));
        }
        _ => {}
    }
    // Maestro 1.6.3+: a phase completed with no files and no context must be reconciled.
    let empty_handoff = !has_files && context.is_empty();
    let [created, modified, deleted] = files;
    let (sid, batch, tokens) = (a.session_id, a.batch_id, a.token_usage);
    let store = t.store(TOOL)?;
    let mut started: Option<Vec<PhaseId>> = None;
    let session = store
        .apply_with(None, |s| {
            require_named(s, &sid)?;
            let meta = &s.meta;
            let find = |id: &PhaseId, what: &str| {
                meta.phase(id).ok_or_else(|| Error::NotFound {
                    what: format!(
                        "phase {id} ({what}) in session {} (phases: {})",
                        meta.session_id,
                        meta.phases
                            .iter()
                            .map(|p| p.id.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                })
            };
            let mut ops = Vec::new();
            let mut agent = None;
            if let Some(c) = &completed {
                let phase = find(c, "completed_phase_id")?;
                // The phase's agent, when the file names a valid one.
                agent = phase.agents.first().and_then(|a| AgentName::parse(a).ok());
                if !(created.is_empty() && modified.is_empty() && deleted.is_empty()) {
                    ops.push(Operation::AddFiles {
                        phase: c.clone(),
                        created,
                        modified,
                        deleted,
                    });
                }
                for (key, values) in context {
                    ops.push(Operation::AddContext {
                        phase: c.clone(),
                        key: key.into(),
                        values,
                    });
                }
                ops.push(Operation::PhaseComplete {
                    id: c.clone(),
                    output: None,
                    validation: None,
                });
                if empty_handoff {
                    ops.push(Operation::RequireReconciliation(c.clone()));
                }
            }
            if let Some(n) = &next_id {
                let phase = find(n, "next_phase_id")?;
                ops.push(match phase.status {
                    PhaseStatus::InProgress => Operation::SetField {
                        key: "current_phase".into(),
                        value: Some(phase.id.to_string()),
                    },
                    PhaseStatus::Failed => Operation::PhaseRetry(n.clone()),
                    _ => Operation::PhaseStart(n.clone()),
                });
            }
            if let Some(first) = next_ids.first() {
                let mut ids = Vec::new();
                for n in &next_ids {
                    let phase = find(n, "next_phase_ids")?;
                    match phase.status {
                        PhaseStatus::Pending => {
                            ops.push(Operation::PhaseStart(n.clone()));
                            ids.push(phase.id.clone());
                        }
                        PhaseStatus::InProgress => {}
                        other => {
                            return Err(Error::refused(
                                &meta.session_id,
                                format!("phase {n} is {other} and cannot start again"),
                            ));
                        }
                    }
                }
                ops.push(Operation::SetField {
                    key: "current_phase".into(),
                    value: Some(find(first, "next_phase_ids")?.id.to_string()),
                });
                started = Some(ids);
            }
            if let Some(batch) = batch {
                ops.push(Operation::SetField {
                    key: "current_batch".into(),
                    value: batch,
                });
            }
            if let Some(tu) = tokens {
                let counts = [tu.input, tu.output, tu.cached].map(Option::unwrap_or_default);
                if counts.iter().any(|&n| n > 0) || tu.agent.is_some() {
                    let [input, output, cached] = counts;
                    ops.push(Operation::Tokens {
                        agent: match tu.agent.or(agent) {
                            Some(a) => a,
                            None => AgentName::parse(DEFAULT_TOKEN_AGENT)
                                .map_err(|e| Error::Internal(e.to_string()))?,
                        },
                        input,
                        output,
                        cached,
                    });
                }
            }
            Ok(ops)
        })
        .map_err(|e| t.fail(TOOL, e))?;
    let m = &session.meta;
    let ids_with = |st: PhaseStatus| {
        m.phases
            .iter()
            .filter(|p| p.status == st)
            .map(|p| p.id.clone())
            .collect::<Vec<_>>()
    };
    Ok(TransitionPhaseOutput {
        success: true,
        session_state_summary: SessionStateSummary {
            current_phase: m.current_phase.clone(),
            completed_phases: ids_with(PhaseStatus::Completed),
            pending_phases: ids_with(PhaseStatus::Pending),
        },
        started_phase_ids: started,
    })
}

/// `archive_session`: [`Store::archive_with`] of the named session (an `in_progress` one is
/// marked completed first, in the same intent); its plan documents move to `plans/archive/`.
/// An already archived session only has its unfinished plan moves completed.
pub(super) fn archive_session(
    t: &Tools,
    a: ArchiveSessionArgs,
) -> Result<ArchiveSessionOutput, ToolError> {
    const TOOL: &str = "archive_session";
    session_id(t, TOOL, &a.session_id)?;
    super::reconciliation::check_archive(t, TOOL, &a.session_id)?;
    let store = t.store(TOOL)?;
    let mut status = None;
    let report = store
        .archive_with(Some(&a.session_id), |s| {
            if a.session_id != ACTIVE_KEYWORD && s.id() != a.session_id {
                return Err(Error::NotFound {
                    what: format!(
                        "session {:?} (it is a prefix of {}; give the full id)",
                        a.session_id,
                        s.id()
                    ),
                });
            }
            if s.location == Location::Active
                && let Some(refused) = super::reconciliation::archive_refusal(&s.meta)
            {
                return Err(refused);
            }
            let ops = crate::store::archive_ops(s);
            status = Some(if ops.is_empty() {
                s.meta.status
            } else {
                SessionStatus::Completed
            });
            Ok(ops)
        })
        .map_err(|e| t.fail(TOOL, e))?;
    let archive_path = t.rel(&report.path);
    let mut archived_files = vec![archive_path.clone()];
    archived_files.extend(report.moved.iter().map(|(_, to)| t.rel(to)));
    Ok(ArchiveSessionOutput {
        success: true,
        archive_path,
        archived_files,
        session_id: report.session_id,
        status,
        already_archived: report.already_archived,
    })
}
