//! `transition SESSION STAGE`: moves a session's workflow stage (validated).

use clap::Args;
use maestro_session_core::operations::Operation;
use maestro_session_core::session::lifecycle::Stage;
use maestro_session_core::store::Store;

use crate::output::{self, Report};
use crate::{render, values};

/// `transition`.
#[derive(Debug, Args)]
pub struct TransitionArgs {
    /// Session id or prefix.
    pub session: String,
    /// New stage.
    #[arg(value_parser = values::state::<Stage>())]
    pub stage: Stage,
}

/// Runs `transition`.
///
/// Errors: the session does not resolve; the stage transition is refused.
pub fn run(store: &Store, a: TransitionArgs) -> anyhow::Result<Report> {
    let s = super::apply(store, &a.session, vec![Operation::SetStage(a.stage)])?;
    let human = render::changed(&s, &format!("stage {}", a.stage));
    Ok(Report::new(output::session(&s)?, human))
}
