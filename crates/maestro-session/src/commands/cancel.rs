//! `cancel SESSION`: cancel a session (terminal).

use clap::Args;
use maestro_session_core::operations::Operation;
use maestro_session_core::store::Store;

use crate::output::{self, Report};

/// `cancel`.
#[derive(Debug, Args)]
pub struct CancelArgs {
    /// Session id or prefix.
    pub session: String,
}

/// Runs `cancel`.
///
/// Errors: the session does not resolve; the transition is refused.
pub fn run(store: &Store, a: CancelArgs) -> anyhow::Result<Report> {
    let s = super::apply(store, &a.session, vec![Operation::Cancel])?;
    Ok(Report::new(
        output::session(&s)?,
        super::status::changed(&s),
    ))
}
