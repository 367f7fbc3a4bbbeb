//! `pause SESSION`: pause a session.

use clap::Args;
use maestro_session_core::operations::Operation;
use maestro_session_core::store::Store;

use crate::output::{self, Report};

/// `pause`.
#[derive(Debug, Args)]
pub struct PauseArgs {
    /// Session id or prefix.
    pub session: String,
}

/// Runs `pause`.
///
/// Errors: the session does not resolve; the transition is refused.
pub fn run(store: &Store, a: PauseArgs) -> anyhow::Result<Report> {
    let s = super::apply(store, &a.session, vec![Operation::Pause])?;
    Ok(Report::new(
        output::session(&s)?,
        super::status::changed(&s),
    ))
}
