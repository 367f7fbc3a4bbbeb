//! `status SESSION [NEW]`: a session's status, or setting it (validated by the session
//! state machine).

use clap::Args;
use maestro_session_core::operations::Operation;
use maestro_session_core::outputs::sessions::StatusOutput;
use maestro_session_core::session::lifecycle::SessionStatus;
use maestro_session_core::session::session_file::SessionFile;
use maestro_session_core::store::Store;

use crate::output::{self, Report};
use crate::render::{self, out, paint, status_style, t};
use crate::values;

/// `status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Session id or prefix.
    pub session: String,
    /// New status.
    #[arg(value_parser = values::state::<SessionStatus>())]
    pub new: Option<SessionStatus>,
}

/// Runs `status`.
///
/// Errors: the session does not resolve; the transition is refused.
pub fn run(store: &Store, a: StatusArgs) -> anyhow::Result<Report> {
    let Some(to) = a.new else {
        let s = store.get(&a.session)?;
        return Ok(Report::new(output::json(&StatusOutput::of(&s))?, text(&s)));
    };
    let s = super::apply(store, &a.session, vec![Operation::SetStatus(to)])?;
    Ok(Report::new(output::session(&s)?, changed(&s)))
}

/// After a change of status (`status ID NEW`, `pause`, `cancel`).
pub fn changed(s: &SessionFile) -> String {
    let status = s.meta.status.as_str();
    render::changed(
        s,
        &format!("status {}", paint(status_style(status), status)),
    )
}

/// `status <id>`.
fn text(s: &SessionFile) -> String {
    let mut out = String::new();
    let m = &s.meta;
    let phase = m
        .current_phase
        .as_ref()
        .and_then(|id| m.phase(id))
        .map(|p| {
            format!(
                ", phase {}/{} {} ({})",
                t(&p.id.to_string()),
                m.phase_count(),
                t(&p.name),
                p.status
            )
        })
        .unwrap_or_default();
    out!(
        out,
        "{}: {}{}{}, {} unresolved error(s)",
        m.session_id,
        paint(status_style(m.status.as_str()), m.status.as_str()),
        m.stage.map(|g| format!(" (stage {g})")).unwrap_or_default(),
        phase,
        m.unresolved_errors().len()
    );
    out
}
