//! Every output's JSON Schema, by the name of its checked-in file `docs/schemas/<name>.json`:
//! `cli-<command>` for a `--json` result of the command line, `mcp-<tool>` for an MCP tool's
//! result and `error` for the error object. (An MCP tool's failure, `mcp-tool-error`, is
//! [`crate::tools::mcp::ToolError`]'s schema, one layer up; the core test `output_schemas`
//! adds it.)

use schemars::{JsonSchema, Schema, SchemaGenerator};

use super::ErrorObject;
use super::command::*;
use super::lifecycle::*;
use super::mcp::*;
use super::sessions::*;
use super::team::*;
use super::watch::WatchLine;
use crate::store::DeleteReport;
use crate::store::checkpoint::{CheckpointTaken, DiffReport, RestoreReport};
use crate::store::doctor::DoctorReport;
use crate::store::export::ImportReport;
use crate::team::lifecycle::{Actions, TeamExport, TeamStatus};

/// The root schema of `T`.
pub fn schema<T: JsonSchema>() -> Schema {
    SchemaGenerator::default().into_root_schema_for::<T>()
}

/// Every output's schema, as `(name, schema)`, in a fixed order.
pub fn all() -> Vec<(&'static str, Schema)> {
    vec![
        ("error", schema::<ErrorObject>()),
        ("cli-session", schema::<SessionOutput>()),
        ("cli-status", schema::<StatusOutput>()),
        ("cli-list", schema::<ListOutput>()),
        ("cli-search", schema::<SearchOutput>()),
        ("cli-archive", schema::<ArchiveOutput>()),
        ("cli-resume", schema::<ResumeOutput>()),
        ("cli-cleanup", schema::<CleanupOutput>()),
        ("cli-delete", schema::<DeleteReport>()),
        ("cli-doctor", schema::<DoctorReport>()),
        ("cli-init", schema::<InitOutput>()),
        ("cli-completions", schema::<CompletionsOutput>()),
        ("cli-setup", schema::<SetupOutput>()),
        ("cli-export", schema::<ExportOutput>()),
        ("cli-import", schema::<ImportReport>()),
        ("cli-report", schema::<ReportOutput>()),
        ("cli-log", schema::<LogOutput>()),
        ("cli-watch-line", schema::<WatchLine>()),
        ("cli-checkpoint-create", schema::<CheckpointTaken>()),
        ("cli-checkpoint-list", schema::<CheckpointListOutput>()),
        ("cli-checkpoint-restore", schema::<RestoreReport>()),
        ("cli-checkpoint-diff", schema::<DiffReport>()),
        ("cli-team-create", schema::<TeamCreateOutput>()),
        ("cli-team-list", schema::<TeamListOutput>()),
        ("cli-team-health", schema::<TeamStatus>()),
        ("cli-team-attach", schema::<TeamAttachOutput>()),
        ("cli-team-stop", schema::<Actions>()),
        ("cli-team-resume", schema::<Actions>()),
        ("cli-team-export", schema::<TeamExport>()),
        ("cli-team-export-file", schema::<TeamExportFileOutput>()),
        ("cli-team-cleanup", schema::<TeamCleanupOutput>()),
        (
            "mcp-initialize_workspace",
            schema::<InitializeWorkspaceOutput>(),
        ),
        ("mcp-create_session", schema::<CreateSessionOutput>()),
        ("mcp-update_session", schema::<UpdateSessionOutput>()),
        ("mcp-transition_phase", schema::<TransitionPhaseOutput>()),
        ("mcp-get_session_status", schema::<GetSessionStatusOutput>()),
        ("mcp-archive_session", schema::<ArchiveSessionOutput>()),
        ("mcp-enter_design_gate", schema::<EnterDesignGateOutput>()),
        (
            "mcp-record_design_approval",
            schema::<RecordDesignApprovalOutput>(),
        ),
        (
            "mcp-get_design_gate_status",
            schema::<DesignGateStatusOutput>(),
        ),
        ("mcp-scan_phase_changes", schema::<ScanPhaseChangesOutput>()),
        ("mcp-reconcile_phase", schema::<ReconcilePhaseOutput>()),
        ("mcp-list_sessions", schema::<ListOutput>()),
        ("mcp-show_session", schema::<SessionOutput>()),
        ("mcp-resume_session", schema::<ResumeOutput>()),
        ("mcp-record_error", schema::<RecordErrorOutput>()),
        ("mcp-record_tokens", schema::<RecordTokensOutput>()),
        ("mcp-get_team_status", schema::<GetTeamStatusOutput>()),
    ]
}

/// The schema named `name` (see [`all`]), if there is one.
pub fn named(name: &str) -> Option<Schema> {
    all().into_iter().find(|(n, _)| *n == name).map(|(_, s)| s)
}

/// The checked-in text of a schema: pretty JSON and a final newline.
pub fn text(schema: &Schema) -> String {
    let mut text = serde_json::to_string_pretty(schema).unwrap_or_default();
    text.push('\n');
    text
}
