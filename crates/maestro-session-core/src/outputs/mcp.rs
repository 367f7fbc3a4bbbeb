//! The MCP tools' results (the text of a successful `tools/call`). Maestro's eleven keep the
//! shapes of Maestro 1.6's `maestro-server.js` key for key (the differential test
//! `tests/tests/mcp_session_pack.rs` compares them with Maestro's own server); ours
//! (`list_sessions`, `show_session`, `resume_session`, `record_error`, `record_tokens`) reuse
//! the command line's outputs where they are the same thing. A failure is
//! [`crate::tools::mcp::ToolError`] (`{error, recovery_hint, code, details}`, Maestro's shape).

use schemars::JsonSchema;
use serde::Serialize;

use crate::session::lifecycle::{PhaseStatus, SessionStatus, Stage};
use crate::session::model::{AgentTokens, PhaseId, TokenUsage};

/// `initialize_workspace`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InitializeWorkspaceOutput {
    /// Always true.
    pub success: bool,
    /// The workspace path as given (`.` when none was).
    pub workspace_path: String,
    /// The state dir, project-relative.
    pub state_dir: String,
    /// The layout's folders, project-relative.
    pub created_directories: Vec<String>,
    /// Whether the state dir existed before.
    pub already_existed: bool,
}

/// `create_session`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSessionOutput {
    /// Always true.
    pub success: bool,
    /// The session file, project-relative.
    pub path: String,
    /// The new session's id.
    pub session_id: String,
    /// The finished active session archived to make room, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archived: Option<String>,
    /// The unfinished active session parked to make room, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parked: Option<String>,
    /// The implementation plan written from `implementation_plan_content`, project-relative.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub implementation_plan: Option<String>,
}

/// `update_session`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSessionOutput {
    /// Always true.
    pub success: bool,
    /// The fields set, in the order given.
    pub updated_fields: Vec<String>,
}

/// `transition_phase`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionPhaseOutput {
    /// Always true.
    pub success: bool,
    /// Where the session stands after the transition.
    pub session_state_summary: SessionStateSummary,
    /// The phases started (`next_phase_id` or `next_phase_ids`), when any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_phase_ids: Option<Vec<PhaseId>>,
}

/// [`TransitionPhaseOutput::session_state_summary`].
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionStateSummary {
    /// The current phase.
    pub current_phase: Option<PhaseId>,
    /// Ids of completed phases.
    pub completed_phases: Vec<PhaseId>,
    /// Ids of pending phases.
    pub pending_phases: Vec<PhaseId>,
}

/// `get_session_status`: `{exists: false, message}` when there is no active session.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum GetSessionStatusOutput {
    /// The active session's status.
    Status(Box<SessionStatusOutput>),
    /// There is no active session.
    None(NoSession),
}

/// [`GetSessionStatusOutput::None`].
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoSession {
    /// Always false.
    pub exists: bool,
    /// `there is no active session`.
    pub message: String,
}

/// [`GetSessionStatusOutput::Status`]: Maestro's fields, then ours (`task`, `stage`,
/// `created`, `updated`, `unresolved_errors`, `note`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionStatusOutput {
    /// Always true.
    pub exists: bool,
    /// Session id.
    pub session_id: String,
    /// Status.
    pub status: SessionStatus,
    /// Workflow mode (`standard` when unset).
    pub workflow_mode: String,
    /// Current phase.
    pub current_phase: Option<PhaseId>,
    /// Number of phases.
    pub total_phases: u64,
    /// The phases.
    pub phases: Vec<StatusPhase>,
    /// Task complexity.
    pub task_complexity: Option<String>,
    /// Execution mode.
    pub execution_mode: Option<String>,
    /// Current batch.
    pub current_batch: Option<String>,
    /// Tokens by agent and in total.
    pub token_usage: TokenUsage,
    /// Task.
    pub task: String,
    /// Workflow stage.
    pub stage: Option<Stage>,
    /// Creation time.
    pub created: String,
    /// Last change.
    pub updated: String,
    /// Unresolved errors over all phases.
    pub unresolved_errors: usize,
    /// When the session id given is not the active session's: says so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One phase of a [`SessionStatusOutput`].
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusPhase {
    /// Phase id.
    pub id: PhaseId,
    /// Name.
    pub name: String,
    /// Status.
    pub status: PhaseStatus,
    /// Its first agent.
    pub agent: Option<String>,
}

/// `archive_session`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchiveSessionOutput {
    /// Always true.
    pub success: bool,
    /// The archived session file, project-relative.
    pub archive_path: String,
    /// It and the plan documents moved, project-relative.
    pub archived_files: Vec<String>,
    /// Session id.
    pub session_id: String,
    /// Its status after archiving.
    pub status: Option<SessionStatus>,
    /// Whether it was already archived.
    pub already_archived: bool,
}

/// `enter_design_gate`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnterDesignGateOutput {
    /// Always true.
    pub success: bool,
    /// When the gate was entered.
    pub entered_at: Option<String>,
    /// Whether it had been entered before.
    pub already_entered: bool,
}

/// `record_design_approval`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordDesignApprovalOutput {
    /// Always true.
    pub success: bool,
    /// When the gate was entered.
    pub entered_at: Option<String>,
    /// When the design was approved.
    pub approved_at: Option<String>,
    /// The approved design document, project-relative.
    pub design_document_path: Option<String>,
}

/// `get_design_gate_status`: the gate of a session id (all null when never entered).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DesignGateStatusOutput {
    /// The session id.
    pub session_id: String,
    /// When the gate was entered.
    pub entered_at: Option<String>,
    /// When the design was approved.
    pub approved_at: Option<String>,
    /// The approved design document, project-relative.
    pub design_document_path: Option<String>,
}

/// `scan_phase_changes`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanPhaseChangesOutput {
    /// The phase scanned.
    pub phase_id: PhaseId,
    /// When it started.
    pub started_at: String,
    /// When the scan ran.
    pub scanned_at: String,
    /// Files changed since the phase started.
    pub candidates: Candidates,
    /// Files ignored (state dir, `.git`, MAESTRO_SCAN_IGNORE).
    pub ignored_count: usize,
    /// Whether the scan stopped at `max_files`.
    pub truncated: bool,
    /// The most files listed.
    pub max_files: usize,
    /// `git` or `mtime`.
    pub source: String,
    /// What the scan could not tell, when anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// [`ScanPhaseChangesOutput::candidates`].
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Candidates {
    /// Created files, project-relative.
    pub created: Vec<String>,
    /// Modified files.
    pub modified: Vec<String>,
    /// Deleted files.
    pub deleted: Vec<String>,
}

/// `reconcile_phase`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReconcilePhaseOutput {
    /// Always true.
    pub success: bool,
    /// The phase reconciled.
    pub phase_id: PhaseId,
    /// Its created files now.
    pub files_created: Vec<String>,
    /// Its modified files now.
    pub files_modified: Vec<String>,
}

/// `record_error`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordErrorOutput {
    /// Always true.
    pub success: bool,
    /// Session id.
    pub session_id: String,
    /// The phase.
    pub phase_id: Option<PhaseId>,
    /// The new error's 1-based index among the phase's errors.
    pub error_index: Option<usize>,
    /// Unresolved errors over all phases.
    pub unresolved_errors: usize,
}

/// `record_tokens`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordTokensOutput {
    /// Always true.
    pub success: bool,
    /// Session id.
    pub session_id: String,
    /// The agent.
    pub agent: String,
    /// The agent's totals now.
    pub agent_tokens: Option<AgentTokens>,
    /// The session's totals now.
    pub token_usage: TokenTotals,
}

/// [`RecordTokensOutput::token_usage`].
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenTotals {
    /// Prompt tokens.
    pub total_input: u64,
    /// Completion tokens.
    pub total_output: u64,
    /// Cached prompt tokens.
    pub total_cached: u64,
}
