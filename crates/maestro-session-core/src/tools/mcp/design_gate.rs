//! Maestro 1.6.3+'s design-gate tools: `enter_design_gate`, `record_design_approval`,
//! `get_design_gate_status` (names, input schemas, result fields and error codes of Maestro
//! 1.6.4's `src/mcp/tool-packs/session/index.js` and `src/mcp/handlers/design-gate.js`), over
//! [`crate::store::design_gate`], which holds the rules.
//!
//! - `enter_design_gate {session_id}` → `{success, entered_at, already_entered}`; idempotent.
//! - `record_design_approval {session_id, design_document_path?, design_document_content?,
//!   design_document_filename?}` → `{success, entered_at, approved_at, design_document_path}`;
//!   exactly one of the path or the content + file name (`VALIDATION_ERROR` otherwise, with
//!   Maestro's messages). The path need not exist yet; `create_session` requires it.
//! - `get_design_gate_status {session_id}` → `{session_id, entered_at, approved_at,
//!   design_document_path}`, all null for a session with no gate that counts.
//!
//! Ours, stricter: the path must lie inside the project (Maestro also records a file of Plan
//! Mode's temp folder and copies it in later; use the content variant for that), paths in
//! results are project-relative, the content's file name follows `implementation_plan_filename`'s
//! rules and never replaces another document, a gate file that cannot be read is refused
//! (Maestro reads it as no gate), and an id that already names a session that is not active is
//! refused.

use crate::outputs::mcp::{
    DesignGateStatusOutput, EnterDesignGateOutput, RecordDesignApprovalOutput,
};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{ToolError, Tools};
use crate::session::session_id::SessionId;
use crate::store::design_gate::{ApprovedDocument, DesignGate};
use crate::store::{ACTIVE_KEYWORD, plan_file_rel};

/// `enter_design_gate` and `get_design_gate_status`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DesignGateArgs {
    /// The session id the orchestrator will pass to create_session (`YYYY-MM-DD-<slug>`:
    /// letters, digits, `_` and `-`), or "active" for the active session.
    pub session_id: String,
}

/// `record_design_approval`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordDesignApprovalArgs {
    /// The session id the gate was entered with.
    pub session_id: String,
    /// The approved design document, relative to the project root or absolute inside it; it
    /// may be written after this call, before create_session. Excludes
    /// design_document_content and design_document_filename.
    pub design_document_path: Option<String>,
    /// The approved design document as Markdown, written to
    /// <state_dir>/plans/<design_document_filename> (never over another file). Needs
    /// design_document_filename; use it when the document lies outside the project (Plan
    /// Mode's temp folder).
    pub design_document_content: Option<String>,
    /// A bare file name ending in .md (letters, digits, `.`, `_`, `-`) for
    /// design_document_content.
    pub design_document_filename: Option<String>,
}

/// The session id a gate tool acts on: `raw` checked (`VALIDATION_ERROR`), `active` meaning
/// the active session's id.
fn gate_id(t: &Tools, tool: &'static str, raw: &str) -> Result<String, ToolError> {
    SessionId::parse(raw).map_err(|e| t.fail(tool, e))?;
    if raw != ACTIVE_KEYWORD {
        return Ok(raw.to_string());
    }
    let store = t.store(tool)?;
    match store.active().map_err(|e| t.fail(tool, e))? {
        Some(s) => Ok(s.id().to_string()),
        None => Err(ToolError::new(
            "\"active\" names the active session, and there is none",
            "Give the session id the orchestration uses (YYYY-MM-DD-<slug>).",
            "NOT_FOUND",
        )),
    }
}

/// The gate's status as the tools show it: paths project-relative.
fn shown(t: &Tools, gate: &DesignGate) -> DesignGateStatusOutput {
    DesignGateStatusOutput {
        session_id: gate.session_id.clone(),
        entered_at: gate.entered_at.clone(),
        approved_at: gate.approved_at.clone(),
        design_document_path: gate
            .design_document_path
            .as_deref()
            .map(|p| t.rel(std::path::Path::new(p))),
    }
}

/// `enter_design_gate`.
pub(super) fn enter_design_gate(
    t: &Tools,
    a: DesignGateArgs,
) -> Result<EnterDesignGateOutput, ToolError> {
    const TOOL: &str = "enter_design_gate";
    let id = gate_id(t, TOOL, &a.session_id)?;
    let store = t.store(TOOL)?;
    let change = store.design_gate_enter(&id).map_err(|e| t.fail(TOOL, e))?;
    Ok(EnterDesignGateOutput {
        success: true,
        entered_at: change.gate.entered_at,
        already_entered: change.already_entered,
    })
}

/// `record_design_approval`.
pub(super) fn record_design_approval(
    t: &Tools,
    a: RecordDesignApprovalArgs,
) -> Result<RecordDesignApprovalOutput, ToolError> {
    const TOOL: &str = "record_design_approval";
    let id = gate_id(t, TOOL, &a.session_id)?;
    let invalid = |msg: String| ToolError::new(msg, super::usage(TOOL), "VALIDATION_ERROR");
    let given = |v: &Option<String>| v.as_deref().filter(|s| !s.is_empty()).map(str::to_string);
    let (path, content, name) = (
        given(&a.design_document_path),
        given(&a.design_document_content),
        given(&a.design_document_filename),
    );
    let doc = match (path, content, name) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            return Err(invalid(
                "design_document_path is mutually exclusive with design_document_content/design_document_filename".into(),
            ));
        }
        (None, Some(_), None) => {
            return Err(invalid("design_document_filename is required".into()));
        }
        (None, None, Some(_)) => {
            return Err(invalid("design_document_content is required".into()));
        }
        (None, None, None) => {
            return Err(invalid(
                "record_design_approval requires either design_document_path or both design_document_content and design_document_filename".into(),
            ));
        }
        (Some(p), None, None) => {
            ApprovedDocument::Path(t.project_path(TOOL, "design_document_path", &p)?)
        }
        (None, Some(content), Some(file_name)) => {
            plan_file_rel(&file_name).map_err(|e| {
                invalid(t.sanitize(&format!(
                    "design_document_filename: {e}; give a basename such as design.md"
                )))
            })?;
            ApprovedDocument::Content { file_name, content }
        }
    };
    let store = t.store(TOOL)?;
    let change = store
        .design_gate_approve(&id, &doc)
        .map_err(|e| t.fail(TOOL, e))?;
    let status = shown(t, &change.gate);
    Ok(RecordDesignApprovalOutput {
        success: true,
        entered_at: status.entered_at,
        approved_at: status.approved_at,
        design_document_path: status.design_document_path,
    })
}

/// `get_design_gate_status`.
pub(super) fn get_design_gate_status(
    t: &Tools,
    a: DesignGateArgs,
) -> Result<DesignGateStatusOutput, ToolError> {
    const TOOL: &str = "get_design_gate_status";
    let id = gate_id(t, TOOL, &a.session_id)?;
    let store = t.store(TOOL)?;
    let gate = store.design_gate(&id).map_err(|e| t.fail(TOOL, e))?;
    Ok(match gate {
        Some(g) => shown(t, &g),
        None => DesignGateStatusOutput {
            session_id: id,
            entered_at: None,
            approved_at: None,
            design_document_path: None,
        },
    })
}
