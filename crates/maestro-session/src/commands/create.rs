//! `create TASK [--phase NAME[=AGENTS]]… | --plan FILE`: a new active session.

use std::path::PathBuf;

use clap::Args;
use maestro_session_core::error::Error;
use maestro_session_core::session::plan;
use maestro_session_core::session::session_file::SessionFile;
use maestro_session_core::store::{CreateRequest, Store};
use maestro_session_fs::reader::{self, ReadKind};

use crate::output::{self, Report};
use crate::render::{BOLD, out, paint, tp};
use crate::values;

/// `create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The task.
    pub task: String,
    /// A phase as `NAME` or `NAME=agent1,agent2`, in order (repeatable); each waits for the
    /// previous one.
    #[arg(long = "phase", value_name = "NAME[=AGENTS]", value_parser = values::phase)]
    pub phases: Vec<maestro_session_core::session::phase_spec::PhaseSpec>,
    /// Read the phases from a plan file (YAML/JSON list, or Markdown `## Phase N:` headings).
    #[arg(long, conflicts_with = "phases")]
    pub plan: Option<PathBuf>,
    /// Design document path, project-relative.
    #[arg(long)]
    pub design_document: Option<String>,
    /// Implementation plan path, project-relative.
    #[arg(long)]
    pub implementation_plan: Option<String>,
    /// The workflow.
    #[arg(long, value_enum)]
    pub workflow_mode: Option<values::WorkflowMode>,
    /// How phases run.
    #[arg(long, value_enum)]
    pub execution_mode: Option<values::ExecutionMode>,
    /// The task's complexity.
    #[arg(long, value_enum)]
    pub complexity: Option<values::Complexity>,
    /// Archive a non-terminal active session as paused instead of refusing.
    #[arg(long)]
    pub park: bool,
}

/// Runs `create`.
///
/// Errors: the plan file cannot be read or parsed; the store refuses the session (an active
/// one not finished, without `--park`).
pub fn run(store: &Store, a: CreateArgs) -> anyhow::Result<Report> {
    let phases = match &a.plan {
        Some(path) => {
            // A regular file of bounded size: a FIFO or a device is refused, never read.
            let bytes = reader::read_path(path, ReadKind::PLAN)?;
            let text = String::from_utf8(bytes).map_err(|e| Error::Corrupt {
                path: path.clone(),
                line: None,
                reason: format!("a plan file must be UTF-8 text ({e})"),
            })?;
            plan::parse_plan(&path.display().to_string(), &text)?
        }
        None => a.phases,
    };
    let req = CreateRequest {
        task: a.task,
        phases,
        design_document: a.design_document,
        implementation_plan: a.implementation_plan,
        workflow_mode: a.workflow_mode.map(|m| m.as_str().to_string()),
        execution_mode: a.execution_mode.map(|m| m.as_str().to_string()),
        task_complexity: a.complexity.map(|c| c.as_str().to_string()),
        park: a.park,
        ..CreateRequest::default()
    };
    let s = store.create(&req)?;
    Ok(Report::new(output::session(&s)?, created(&s)))
}

/// After `create`.
fn created(s: &SessionFile) -> String {
    let mut out = String::new();
    out!(
        out,
        "created {} ({} phase(s)) at {}",
        paint(BOLD, s.id()),
        s.meta.phases.len(),
        tp(&s.path)
    );
    out
}
