//! `context SESSION PHASE --interface|--pattern|--integration|--assumption|--warning TEXT…`:
//! adds to a phase's downstream context (one operation per kind of entry, one write).

use clap::Args;
use maestro_session_core::operations::Operation;
use maestro_session_core::session::model::PhaseId;
use maestro_session_core::store::Store;

use crate::output::{self, Report};
use crate::render;

/// `context`.
#[derive(Debug, Args)]
#[command(group(
    clap::ArgGroup::new("entries")
        .required(true)
        .multiple(true)
        .args(["interface", "pattern", "integration", "assumption", "warning"])
))]
pub struct ContextArgs {
    /// Session id or prefix.
    pub session: String,
    /// Phase id.
    pub phase: PhaseId,
    /// A key interface introduced (repeatable).
    #[arg(long)]
    pub interface: Vec<String>,
    /// A pattern established (repeatable).
    #[arg(long)]
    pub pattern: Vec<String>,
    /// An integration point (repeatable).
    #[arg(long)]
    pub integration: Vec<String>,
    /// An assumption (repeatable).
    #[arg(long)]
    pub assumption: Vec<String>,
    /// A warning (repeatable).
    #[arg(long)]
    pub warning: Vec<String>,
}

/// Runs `context`.
///
/// Errors: the session or phase does not resolve; an entry is refused.
pub fn run(store: &Store, a: ContextArgs) -> anyhow::Result<Report> {
    let groups = [
        ("key_interfaces_introduced", a.interface),
        ("patterns_established", a.pattern),
        ("integration_points", a.integration),
        ("assumptions", a.assumption),
        ("warnings", a.warning),
    ];
    let ops = groups
        .into_iter()
        .filter(|(_, values)| !values.is_empty())
        .map(|(key, values)| Operation::AddContext {
            phase: a.phase.clone(),
            key: key.into(),
            values,
        })
        .collect();
    let s = super::apply(store, &a.session, ops)?;
    let what = format!("downstream context of phase {} updated", a.phase);
    Ok(Report::new(
        output::session(&s)?,
        render::changed(&s, &what),
    ))
}
