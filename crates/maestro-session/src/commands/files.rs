//! `files SESSION PHASE [--created F]… [--modified F]… [--deleted F]…`: adds to a phase's
//! file manifest.

use clap::Args;
use maestro_session_core::operations::Operation;
use maestro_session_core::session::model::PhaseId;
use maestro_session_core::store::Store;

use crate::output::{self, Report};
use crate::render;

/// `files`.
#[derive(Debug, Args)]
pub struct FilesArgs {
    /// Session id or prefix.
    pub session: String,
    /// Phase id.
    pub phase: PhaseId,
    /// A file the phase created (repeatable).
    #[arg(long)]
    pub created: Vec<String>,
    /// A file the phase modified (repeatable).
    #[arg(long)]
    pub modified: Vec<String>,
    /// A file the phase deleted (repeatable).
    #[arg(long)]
    pub deleted: Vec<String>,
}

/// Runs `files`.
///
/// Errors: the session or phase does not resolve; a path is refused.
pub fn run(store: &Store, a: FilesArgs) -> anyhow::Result<Report> {
    let op = Operation::AddFiles {
        phase: a.phase.clone(),
        created: a.created,
        modified: a.modified,
        deleted: a.deleted,
    };
    let s = super::apply(store, &a.session, vec![op])?;
    let what = format!("files of phase {} recorded", a.phase);
    Ok(Report::new(
        output::session(&s)?,
        render::changed(&s, &what),
    ))
}
