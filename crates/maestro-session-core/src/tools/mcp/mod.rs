//! The tools `maestro-session mcp` serves over MCP (DESIGN 4): Maestro 1.6's eleven session
//! tools under their names, argument shapes and result fields, and five of ours. Sync: the
//! server glue (rmcp, tokio, stdio) lives in `session-cli`; everything here is plain calls
//! into the [`Store`], so a tool goes through the same resolver ([`Workspace`]), lock, intent
//! records and [`crate::operations`] as the command line, and writes nothing outside the
//! project.
//!
//! # Contract notes (read from Maestro 1.6.4's source, `josstei/maestro-orchestrate`)
//!
//! Where Maestro keeps it: tool packs `src/mcp/tool-packs/{session,workspace}/index.js` (names,
//! descriptions, input schemas), handlers `src/mcp/handlers/session-state-tools.js` and
//! `initialize-workspace.js`, phase items `src/mcp/contracts/plan-schema.js`, the handoff
//! context `src/mcp/contracts/downstream-context.js`, outcomes `src/mcp/core/tool-outcome.js`
//! and `protocol-dispatcher.js`, hints `src/mcp/core/recovery-hints.js`. The requests in
//! `tests/fixtures/mcp/` are calls in these shapes.
//!
//! - A result is one `text` content block holding the result object as JSON. A failure is
//!   `isError: true` with one `text` block holding `{error, recovery_hint, code}` (Maestro:
//!   `recovery_hint` may be null and absolute paths are blanked to `[path]`; here every error
//!   has a hint, and paths are made project-relative, anything else absolute blanked).
//! - `initialize_workspace {workspace_path, state_dir?}` → `{success, workspace_path,
//!   state_dir, created_directories, already_existed}`. Maestro requires an absolute
//!   `workspace_path`; here it is optional and must be this server's project.
//! - `create_session {session_id, task, design_document?, implementation_plan?,
//!   implementation_plan_content?, implementation_plan_filename?, phases: [{id, name, agent,
//!   parallel, blocked_by, files?}] (min 1), task_complexity?, execution_mode?,
//!   workflow_mode?}` → `{success, path}`. Phases are held to Maestro's contract
//!   ([`crate::session::plan_schema`]: `VALIDATION_ERROR` `Invalid phases payload: <rules>`,
//!   `details` the violations), after the design gate as Maestro checks. Refuses while the active session is
//!   `in_progress`; the first phase starts at once, `execution_backend` is `native`,
//!   `current_batch` null. Maestro overwrites an active session in any other status; here it
//!   is archived first (parked), so nothing is lost.
//! - `get_session_status {session_id?}` → `{exists: false, message}` or `{exists: true,
//!   session_id, status, workflow_mode, current_phase, total_phases, phases: [{id, name,
//!   status, agent}], task_complexity, execution_mode, current_batch, token_usage}`.
//! - `update_session {session_id, execution_mode?, execution_backend?, current_batch?}` →
//!   `{success, updated_fields}`; at least one field.
//! - `transition_phase {session_id, completed_phase_id?, downstream_context?, files_created?,
//!   files_modified?, files_deleted?, next_phase_id?, next_phase_ids?, batch_id?,
//!   token_usage?}` → `{success, session_state_summary: {current_phase, completed_phases,
//!   pending_phases}, started_phase_ids?}`; `next_phase_id` and `next_phase_ids` exclude each
//!   other, one of the three phase fields is required; files without a downstream context
//!   are refused (`HANDOFF_INCOMPLETE`). Here every move is checked by the phase machine
//!   (only an `in_progress` phase completes; a phase starts when its `blocked_by` phases are
//!   done), and `token_usage` is counted for an agent so totals equal the sums.
//! - `archive_session {session_id}` → `{success, archive_path, archived_files}`; an
//!   `in_progress` session is marked completed, the design document and implementation plan
//!   move from `plans/` to `plans/archive/` (here under collision-free names, as `archive`).
//!
//! - The design gate (`enter_design_gate`, `record_design_approval`, `get_design_gate_status`)
//!   and reconciliation (`scan_phase_changes`, `reconcile_phase`): see
//!   [`crate::store::design_gate`] and [`crate::session::reconciliation`]; `create_session` applies the gate, `transition_phase` marks a phase
//!   completed with an empty handoff `requires_reconciliation`, `archive_session` refuses
//!   while one is marked.
//!
//! Protocol errors (lines that are no JSON-RPC message, params of the wrong shape) are
//! [`jsonrpc`]'s.
//!
//! Ours: `list_sessions`, `show_session`, `resume_session`, `record_error`, `record_tokens`
//! (the command line's `list`, `show`, `resume`, `error add`, `tokens`).

mod args;
mod design_gate;
#[cfg(test)]
mod gate_tests;
pub mod jsonrpc;
mod maestro;
mod ours;
mod reconciliation;
mod team;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use maestro_session_fs::canonical::canonicalize;
use serde::Serialize;
use serde_json::{Map, Value};

pub use args::*;
pub use design_gate::{DesignGateArgs, RecordDesignApprovalArgs};
pub use reconciliation::{ReconcilePhaseArgs, ScanPhaseChangesArgs};

use crate::env::Env;
use crate::error::Error;
use crate::store::Store;
use crate::workspace::paths::{self, StateDirSource, Workspace};

/// One tool as `tools/list` shows it.
#[derive(Debug, Clone)]
pub struct ToolDef {
    /// The tool's name.
    pub name: &'static str,
    /// What it does, for the model.
    pub description: &'static str,
    /// Whether it only reads (MCP `readOnlyHint`; Gemini CLI treats such tools as read-only).
    pub read_only: bool,
    /// Its arguments' JSON Schema (an object schema, subschemas inlined).
    pub input_schema: Map<String, Value>,
}

/// A tool's failure, as the model gets it: `isError: true` and this object as JSON text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error, schemars::JsonSchema)]
#[error("{error}")]
pub struct ToolError {
    /// What went wrong, with project-relative paths (never an absolute one).
    pub error: String,
    /// What to do about it.
    pub recovery_hint: String,
    /// Maestro's error codes (`VALIDATION_ERROR`, `NOT_FOUND`, `STATE_ERROR`,
    /// `HANDOFF_INCOMPLETE`, `DESIGN_GATE_UNAPPROVED`, `DESIGN_GATE_SESSION_MISMATCH`,
    /// `RECONCILIATION_EMPTY_PAYLOAD`, `RECONCILIATION_PENDING`, `UNKNOWN_TOOL`,
    /// `INTERNAL_TOOL_ERROR`, `WORKSPACE_NOT_FOUND`, `WORKSPACE_IN_EXTENSION_CACHE`) and ours
    /// (`PATH_REFUSED`, `LOCK_TIMEOUT`, `IO_ERROR`).
    pub code: &'static str,
    /// Maestro's structured `details`, where its error carries them
    /// (`DESIGN_GATE_SESSION_MISMATCH`: `{current_session_id, orphaned_session_ids}`;
    /// `RECONCILIATION_PENDING`: `{phase_id}`; `HANDOFF_INCOMPLETE`: `{phase_id,
    /// files_created_count, files_modified_count, files_deleted_count}`; `create_session`'s
    /// invalid phases: the list of Maestro's violations `[{rule, phase_id, field, severity}]`;
    /// an invalid `session_id`: `{value}`); absent otherwise. Boxed: most failures have
    /// none, and every tool returns this type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Box<Value>>,
}

impl ToolError {
    /// A failure with a message, hint and code.
    pub fn new(
        error: impl Into<String>,
        recovery_hint: impl Into<String>,
        code: &'static str,
    ) -> Self {
        ToolError {
            error: error.into(),
            recovery_hint: recovery_hint.into(),
            code,
            details: None,
        }
    }

    /// This failure with Maestro's `details` object.
    pub fn with_details(mut self, details: impl Into<Option<Value>>) -> Self {
        self.details = details.into().map(Box::new);
        self
    }

    /// The `{error, recovery_hint, code}` object as JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| format!("{{\"error\":{:?}}}", self.error))
    }
}

/// The names of the tools, Maestro's eleven first.
pub const TOOL_NAMES: [&str; 17] = [
    "initialize_workspace",
    "create_session",
    "update_session",
    "transition_phase",
    "get_session_status",
    "archive_session",
    "enter_design_gate",
    "record_design_approval",
    "get_design_gate_status",
    "scan_phase_changes",
    "reconcile_phase",
    "list_sessions",
    "show_session",
    "resume_session",
    "record_error",
    "record_tokens",
    "get_team_status",
];

/// Every tool with its description and input schema, in [`TOOL_NAMES`] order.
pub fn definitions() -> Vec<ToolDef> {
    fn def<T: schemars::JsonSchema>(
        name: &'static str,
        read_only: bool,
        description: &'static str,
    ) -> ToolDef {
        ToolDef {
            name,
            description,
            read_only,
            input_schema: input_schema::<T>(),
        }
    }
    vec![
        def::<InitializeWorkspaceArgs>(
            "initialize_workspace",
            false,
            "Create the Maestro state dir layout (state/, state/archive/, plans/, plans/archive/) inside the project. Optional state_dir is relative to the project root; later calls use it.",
        ),
        def::<CreateSessionArgs>(
            "create_session",
            false,
            "Create the active orchestration session from an approved plan; its first phase starts at once. Refused while another session is in_progress (archive it first). Give the implementation plan as a path (implementation_plan) or as content (implementation_plan_content + implementation_plan_filename), not both.",
        ),
        def::<UpdateSessionArgs>(
            "update_session",
            false,
            "Update the active session's execution_mode, execution_backend or current_batch (at least one).",
        ),
        def::<TransitionPhaseArgs>(
            "transition_phase",
            false,
            "Atomically complete a phase (recording its files, downstream context and token usage) and start the next phase, or a batch of phases with next_phase_ids.",
        ),
        def::<GetSessionStatusArgs>(
            "get_session_status",
            true,
            "Read the active session's status: { exists: false } when there is none, else { exists: true, session_id, status, workflow_mode, current_phase, total_phases, phases, task_complexity, execution_mode, current_batch, token_usage }.",
        ),
        def::<ArchiveSessionArgs>(
            "archive_session",
            false,
            "Move the active session to the archive (an in_progress one is marked completed), and its design document and implementation plan from plans/ to plans/archive/. Refused while a phase requires reconciliation (RECONCILIATION_PENDING).",
        ),
        def::<DesignGateArgs>(
            "enter_design_gate",
            false,
            "Mark a session id as having entered the design phase. Idempotent. Blocks create_session with this id until record_design_approval is called. Use the same session_id for every later call.",
        ),
        def::<RecordDesignApprovalArgs>(
            "record_design_approval",
            false,
            "Record the user's approval of the design document, clearing the design gate for create_session. Give the document either by path inside the project (design_document_path) or by content (design_document_content + design_document_filename, written to <state_dir>/plans/); exactly one.",
        ),
        def::<DesignGateArgs>(
            "get_design_gate_status",
            true,
            "Read the design gate of a session id: session_id, entered_at, approved_at, design_document_path (null when not entered).",
        ),
        def::<ScanPhaseChangesArgs>(
            "scan_phase_changes",
            true,
            "List files created, modified or deleted in the project since a phase started (from git; a file walk without git), as candidates for reconcile_phase. Attributes nothing.",
        ),
        def::<ReconcilePhaseArgs>(
            "reconcile_phase",
            false,
            "Record the user-confirmed files and downstream context of a phase whose handoff recorded nothing; clears requires_reconciliation. Needs at least one file or a populated downstream_context.",
        ),
        def::<ListSessionsArgs>(
            "list_sessions",
            true,
            "List every session, active and archived, newest first: id, task, status, stage, phases done, tokens, location.",
        ),
        def::<ShowSessionArgs>(
            "show_session",
            true,
            "Everything about one session (default: the active one): its whole frontmatter, location, path, and manifest files changed since recorded.",
        ),
        def::<ResumeSessionArgs>(
            "resume_session",
            false,
            "Make a paused, failed or timed-out session the active one and in progress; reports the last completed phase, the phase to continue, failed phases, unresolved errors and changed files.",
        ),
        def::<RecordErrorArgs>(
            "record_error",
            false,
            "Record an error against a phase of a session (default: the active one).",
        ),
        def::<RecordTokensArgs>(
            "record_tokens",
            false,
            "Add token counts for an agent to a session (default: the active one); totals always equal the sums over agents.",
        ),
        def::<team::GetTeamStatusArgs>(
            "get_team_status",
            true,
            "Read the project's agent teams (or one, by name): per member its role, runtime, state (running, stopped, missing), tmux window and container state, worktree, runtime session id and, for a team tied to a session, the phase it is on. Changes nothing.",
        ),
    ]
}

/// The tools of one server: the project they serve and the state dir they use.
#[derive(Debug)]
pub struct Tools {
    env: Env,
    project_root: PathBuf,
    /// The state dir `initialize_workspace` chose, project-relative; `None` for the usual
    /// rules ([`Workspace::resolve`]).
    state_dir: Mutex<Option<PathBuf>>,
    /// Why no tool may run: the project root could not be resolved (a folder in an extension
    /// cache, a variable naming no folder). Every call answers it; nothing is read or written.
    unusable: Option<ToolError>,
}

impl Tools {
    /// The tools for the project [`paths::project_root`] finds from `env` and `cwd`
    /// (`MAESTRO_WORKSPACE_PATH` first: Gemini CLI sets it to `${workspacePath}`).
    ///
    /// A project root that cannot be resolved ([`paths::project_root`]'s errors) does not stop
    /// the server: every tool call then fails with `WORKSPACE_IN_EXTENSION_CACHE` (Maestro's
    /// code for a workspace in an extension cache) or `WORKSPACE_NOT_FOUND`, and nothing is
    /// read or written.
    pub fn new(env: Env, cwd: &Path) -> Tools {
        let (project_root, unusable) = match paths::project_root(&env, cwd) {
            Ok(root) => (root, None),
            Err(e) => (cwd.to_path_buf(), Some(e)),
        };
        let mut tools = Tools {
            env,
            project_root,
            state_dir: Mutex::new(None),
            unusable: None,
        };
        tools.unusable = unusable.map(|e| tools.unusable_error(e));
        tools
    }

    /// The answer of every call when the project root could not be resolved: the cache is
    /// named from its marking segments on (`…/.gemini/extensions/maestro`), never by the
    /// absolute path.
    fn unusable_error(&self, e: Error) -> ToolError {
        let message = match &e {
            Error::InExtensionCache {
                path,
                from,
                cache,
                what,
            } => {
                let above = cache.parent().and_then(Path::parent).unwrap_or(cache);
                let shown = path.strip_prefix(above).unwrap_or(path);
                format!(
                    "the project folder (from {from}) lies inside {what} (…/{}), which is never a project; no tool reads or writes there",
                    shown.display()
                )
            }
            other => self.sanitize(&other.to_string()),
        };
        let (code, hint) = hint("initialize_workspace", &e);
        ToolError::new(message, hint, code)
    }

    /// [`Tools::new`] with the state dir given on the command line (`--state-dir`), resolved
    /// like every other command's.
    ///
    /// Errors: [`Error::PathRefused`] naming `--state-dir` when it lies outside the project.
    pub fn with_state_dir(env: Env, cwd: &Path, state_dir: &Path) -> crate::Result<Tools> {
        let ws = Workspace::with_state_dir(&env, cwd, state_dir)?;
        let tools = Tools::new(env, cwd);
        tools.remember_state_dir(ws.state_rel);
        Ok(tools)
    }

    /// The project root.
    pub fn project_root(&self) -> &Path {
        &self.project_root
    }

    /// Runs tool `name` with `arguments`. A panic in a tool is caught and reported as
    /// `INTERNAL_TOOL_ERROR`, so one bad call never ends the server.
    ///
    /// Errors: the tool's [`ToolError`]; `UNKNOWN_TOOL` for a name not in [`TOOL_NAMES`].
    pub fn call(
        &self,
        name: &str,
        arguments: Option<Map<String, Value>>,
    ) -> Result<Value, ToolError> {
        if let Some(refused) = &self.unusable {
            return Err(refused.clone());
        }
        let run = std::panic::AssertUnwindSafe(|| self.dispatch(name, arguments));
        std::panic::catch_unwind(run).unwrap_or_else(|_| {
            Err(ToolError::new(
                format!("{name} failed unexpectedly"),
                "Call get_session_status to see what was recorded, then retry once; run `maestro-session doctor` in the project if it fails again.",
                "INTERNAL_TOOL_ERROR",
            ))
        })
    }

    fn dispatch(
        &self,
        name: &str,
        arguments: Option<Map<String, Value>>,
    ) -> Result<Value, ToolError> {
        macro_rules! run {
            ($tool:literal, $f:path) => {
                $f(self, self.args($tool, arguments)?).and_then(|out| self.output($tool, &out))
            };
        }
        match name {
            "initialize_workspace" => run!("initialize_workspace", maestro::initialize_workspace),
            "create_session" => run!("create_session", maestro::create_session),
            "update_session" => run!("update_session", maestro::update_session),
            "transition_phase" => run!("transition_phase", maestro::transition_phase),
            "get_session_status" => run!("get_session_status", maestro::get_session_status),
            "archive_session" => run!("archive_session", maestro::archive_session),
            "enter_design_gate" => run!("enter_design_gate", design_gate::enter_design_gate),
            "record_design_approval" => {
                run!(
                    "record_design_approval",
                    design_gate::record_design_approval
                )
            }
            "get_design_gate_status" => {
                run!(
                    "get_design_gate_status",
                    design_gate::get_design_gate_status
                )
            }
            "scan_phase_changes" => run!("scan_phase_changes", reconciliation::scan_phase_changes),
            "reconcile_phase" => run!("reconcile_phase", reconciliation::reconcile_phase),
            "list_sessions" => run!("list_sessions", ours::list_sessions),
            "show_session" => run!("show_session", ours::show_session),
            "resume_session" => run!("resume_session", ours::resume_session),
            "record_error" => run!("record_error", ours::record_error),
            "record_tokens" => run!("record_tokens", ours::record_tokens),
            "get_team_status" => run!("get_team_status", team::get_team_status),
            _ => {
                let shown: String = name.chars().take(64).collect();
                Err(ToolError::new(
                    self.sanitize(&format!("unknown tool {shown:?}")),
                    format!("The tools are: {}.", TOOL_NAMES.join(", ")),
                    "UNKNOWN_TOOL",
                ))
            }
        }
    }

    fn args<T: serde::de::DeserializeOwned>(
        &self,
        tool: &'static str,
        arguments: Option<Map<String, Value>>,
    ) -> Result<T, ToolError> {
        args::parse(arguments).map_err(|why| {
            ToolError::new(
                self.sanitize(&format!("invalid arguments: {why}")),
                usage(tool),
                "VALIDATION_ERROR",
            )
        })
    }

    /// The workspace: the state dir `initialize_workspace` chose, else the usual rules.
    fn workspace(&self, tool: &'static str) -> Result<Workspace, ToolError> {
        let chosen = self
            .state_dir
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        match chosen {
            Some(dir) => Workspace::with_state_dir_from(
                &self.env,
                &self.project_root,
                &dir,
                StateDirSource::Argument("state_dir"),
            ),
            None => Workspace::resolve(&self.env, &self.project_root),
        }
        .map_err(|e| self.fail(tool, e))
    }

    fn store(&self, tool: &'static str) -> Result<Store, ToolError> {
        let store = Store::new(self.workspace(tool)?, self.env.clone());
        Ok(store.with_actor(crate::store::event_log::Actor::Mcp))
    }

    fn remember_state_dir(&self, rel: PathBuf) {
        *self
            .state_dir
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(rel);
    }

    /// The project root as given and with symlinks resolved, longest first.
    fn roots(&self) -> Vec<String> {
        let mut roots = vec![self.project_root.to_string_lossy().into_owned()];
        if let Ok(c) = canonicalize(&self.project_root) {
            roots.push(c.to_string_lossy().into_owned());
        }
        roots.retain(|r| r.len() > 1);
        roots.sort_by_key(|r| std::cmp::Reverse(r.len()));
        roots.dedup();
        roots
    }

    /// `path` relative to the project root (`.` for the root itself); a path elsewhere (which
    /// the resolver never gives) shows as `[path]`.
    fn rel(&self, path: &Path) -> String {
        for root in self.roots() {
            if let Ok(rest) = path.strip_prefix(&root) {
                let rest = rest.to_string_lossy();
                return if rest.is_empty() {
                    ".".into()
                } else {
                    rest.into_owned()
                };
            }
        }
        if path.is_absolute() {
            "[path]".into()
        } else {
            path.to_string_lossy().into_owned()
        }
    }

    /// `text` with the project root stripped from every path and any other absolute path
    /// replaced by `[path]`, so no tool output names a folder outside the project.
    fn sanitize(&self, text: &str) -> String {
        let mut out = text.to_string();
        for root in self.roots() {
            out = out
                .replace(&format!("the project {root}"), "the project")
                .replace(&format!("{root}/"), "")
                .replace(&root, ".");
        }
        blank_absolute_paths(&out)
    }

    /// A session-core error as a tool error: sanitized message, hint and code for `tool`.
    /// A tool's typed result (`crate::outputs`) as the JSON the model gets.
    fn output<T: serde::Serialize>(&self, tool: &'static str, out: &T) -> Result<Value, ToolError> {
        serde_json::to_value(out).map_err(|e| {
            self.fail(
                tool,
                Error::Internal(format!("the result does not serialise: {e}")),
            )
        })
    }

    fn fail(&self, tool: &'static str, e: impl Into<Error>) -> ToolError {
        let e: Error = e.into();
        let message = match &e {
            Error::PathRefused { path, reason } => {
                let shown_ok = !path.starts_with(['/', '\\'])
                    && !path.split(['/', '\\']).any(|s| s == "..")
                    && !path.contains('\0');
                if shown_ok {
                    format!("path {path:?} refused: {reason}")
                } else {
                    format!("path refused: {reason}")
                }
            }
            other => other.to_string(),
        };
        let (code, hint) = hint(tool, &e);
        ToolError::new(self.sanitize(&message), hint, code)
    }

    /// `raw` (a path argument named `what`) as a project-relative path: a relative one is
    /// checked lexically; an absolute one must lie inside the project.
    fn project_path(&self, tool: &'static str, what: &str, raw: &str) -> Result<String, ToolError> {
        let refused = |e: Error| {
            let mut t = self.fail(tool, e);
            t.error = format!("{what}: {}", t.error);
            t
        };
        let clean =
            paths::relative_to_project(&self.project_root, Path::new(raw)).map_err(refused)?;
        Ok(clean.to_string_lossy().into_owned())
    }
}

/// Replaces every token that starts with `/` (after the start, whitespace, a quote, a
/// bracket or `=`) with `[path]`, up to the next whitespace, quote, bracket, `,`, `;`, or a
/// `:` followed by whitespace.
fn blank_absolute_paths(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut prev: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let at_token_start = prev.is_none_or(|p| p.is_whitespace() || "\"'`([{=<".contains(p));
        if c == '/' && at_token_start {
            while let Some(&n) = chars.peek() {
                if n.is_whitespace() || "\"'`)]}>,;".contains(n) {
                    break;
                }
                chars.next();
                // `path: reason`: a colon before whitespace or the end ends the path.
                if chars.peek() == Some(&':') {
                    let mut ahead = chars.clone();
                    ahead.next();
                    if ahead.peek().is_none_or(|a| a.is_whitespace()) {
                        break;
                    }
                }
            }
            out.push_str("[path]");
            prev = Some(']');
            continue;
        }
        out.push(c);
        prev = Some(c);
    }
    out
}

/// How to call `tool` right, for argument errors.
fn usage(tool: &str) -> String {
    let how = match tool {
        "initialize_workspace" => {
            "Give state_dir relative to the project root (e.g. docs/maestro), or nothing."
        }
        "create_session" => {
            "Give session_id (letters, digits, - and _), task, and phases: [{id, name, agent, parallel, blocked_by}] with ids integers (1, 2, ...) or non-empty strings; optional design_document, implementation_plan, task_complexity (simple|medium|complex), workflow_mode (express|standard), execution_mode (parallel|sequential)."
        }
        "update_session" => {
            "Give session_id and at least one of execution_mode (parallel|sequential), execution_backend, current_batch."
        }
        "transition_phase" => {
            "Give session_id and at least one of completed_phase_id, next_phase_id or next_phase_ids (not both of the last two); files_created/files_modified/files_deleted and downstream_context (key_interfaces_introduced, patterns_established, integration_points, assumptions, warnings) describe the completed phase; token_usage is {input, output, cached, agent?}."
        }
        "get_session_status" => "Call it with no arguments (or session_id).",
        "archive_session" => "Give session_id: the active session's id.",
        "enter_design_gate" | "get_design_gate_status" => {
            "Give session_id: the id create_session will use (letters, digits, - and _)."
        }
        "record_design_approval" => {
            "Give session_id and either design_document_path (inside the project) or design_document_content with design_document_filename (a bare name ending in .md), not both."
        }
        "scan_phase_changes" => {
            "Give session_id (the active session's) and phase_id (an integer or a string) of a phase that has started."
        }
        "reconcile_phase" => {
            "Give session_id, phase_id and at least one of files_created, files_modified, files_deleted (project-relative paths) or downstream_context (key_interfaces_introduced, patterns_established, integration_points, assumptions, warnings); reason is optional."
        }
        "list_sessions" => {
            "Give nothing, or status (in_progress, paused, completed, failed, timeout, cancelled) and limit."
        }
        "show_session" => {
            "Give session_id (an id, a unique prefix, or active), or nothing for the active session."
        }
        "resume_session" => "Give session_id and optionally park: true.",
        "record_error" => {
            "Give phase_id, agent, type (validation, timeout, file_conflict, runtime, dependency) and message; session_id defaults to the active session."
        }
        "record_tokens" => {
            "Give agent and any of input, output, cached (non-negative integers); session_id defaults to the active session."
        }
        "get_team_status" => "Give nothing for every team, or name (a team's name).",
        _ => "See tools/list for the tool's input schema.",
    };
    format!("{how} The input schema in tools/list has every field.")
}

/// The code and recovery hint for session-core error `e` met by `tool`.
fn hint(tool: &str, e: &Error) -> (&'static str, String) {
    let status =
        "Call get_session_status to see the active session, its phase ids and their status";
    match e {
        Error::Invalid(_) => ("VALIDATION_ERROR", usage(tool)),
        Error::NotFound { what } if what.starts_with("phase") || what.starts_with("error") => {
            ("NOT_FOUND", format!("{status}."))
        }
        Error::NotFound { .. } | Error::NoSuchSession { .. } => (
            "NOT_FOUND",
            "Call get_session_status for the active session or list_sessions for every session id; create_session starts one.".into(),
        ),
        Error::Ambiguous { .. } => (
            "NOT_FOUND",
            "Give more of the session id; list_sessions shows every id.".into(),
        ),
        Error::Refused { .. } => {
            let how = match tool {
                "create_session" => "Call get_session_status to see the active session; archive_session it when its work is done. A session id can be used only once.".to_string(),
                "transition_phase" => format!("{status}: a phase goes pending -> in_progress -> completed, a failed one back to in_progress (a retry), and starts only when its blocked_by phases are completed or skipped."),
                "update_session" | "archive_session" => format!("{status}; pass its session_id."),
                "resume_session" => "Call list_sessions: only a paused, failed or timed-out session resumes; pass park: true to archive a live active session as paused first.".into(),
                "enter_design_gate" | "record_design_approval" => "A session id is used once: enter the design gate with a new session_id (YYYY-MM-DD-<slug>) and pass the same id to record_design_approval and create_session.".into(),
                "scan_phase_changes" | "reconcile_phase" => format!("{status}; pass the active session's session_id and the id of a phase that has run."),
                _ => format!("{status}."),
            };
            ("STATE_ERROR", how)
        }
        Error::PathRefused { .. } => (
            "PATH_REFUSED",
            "Give a path relative to the project root and inside it, without `..` (for a state dir, e.g. docs/maestro); nothing outside the project is ever written.".into(),
        ),
        Error::InExtensionCache { .. } => (
            "WORKSPACE_IN_EXTENSION_CACHE",
            "Start the MCP server in the user's project, or set MAESTRO_WORKSPACE_PATH to the project folder in the server's configuration; an extension or plugin cache is never a project.".into(),
        ),
        Error::Io { op, .. } if op.starts_with("use as the project folder") => (
            "WORKSPACE_NOT_FOUND",
            "Set MAESTRO_WORKSPACE_PATH in the server's configuration to the project folder, an existing folder.".into(),
        ),
        Error::LockTimeout { .. } => (
            "LOCK_TIMEOUT",
            "Another maestro-session process holds the state lock; call the tool again in a moment.".into(),
        ),
        Error::Io { .. } | Error::Corrupt { .. } | Error::NotRegular { .. } | Error::TooLarge { .. } => (
            "IO_ERROR",
            "Run `maestro-session doctor` in the project to see what is wrong in the state dir, and `maestro-session doctor --fix` to repair it.".into(),
        ),
        Error::Internal(_) => (
            "INTERNAL_ERROR",
            "This is a bug in maestro-session, not in the call; report it with the message.".into(),
        ),
    }
}
