//! What `watch` and `report` show of the teams tied to a session (issue 19 item 7): each
//! member's state and, where its role is an agent of a phase, the phase it is on (the first
//! phase naming it that is in progress, else the last one naming it that started).

use serde::Serialize;

use crate::env::Env;
use crate::session::lifecycle::PhaseStatus;
use crate::session::model::SessionMetadata;
use crate::team::lifecycle::{self, MemberState};
use crate::team::record::Teams;

/// One member as `watch` and `report` show it.
#[derive(Debug, Clone, Serialize)]
pub struct MemberView {
    /// The role.
    pub role: String,
    /// Its runtime label.
    pub runtime: String,
    /// Its state now.
    pub state: MemberState,
    /// `<phase id> <phase name> (<status>)` of the phase it is on, if any.
    pub phase: Option<String>,
}

/// One team tied to the session.
#[derive(Debug, Clone, Serialize)]
pub struct TeamView {
    /// The team.
    pub name: String,
    /// Its members.
    pub members: Vec<MemberView>,
}

/// The phase a role is on in `meta`.
pub fn phase_of(meta: &SessionMetadata, role: &str) -> Option<String> {
    let names_it = |p: &&crate::session::model::Phase| {
        p.agents
            .iter()
            .any(|a| a.eq_ignore_ascii_case(role) || a.replace('-', "_") == role.replace('-', "_"))
    };
    let phase = meta
        .phases
        .iter()
        .filter(names_it)
        .find(|p| p.status == PhaseStatus::InProgress)
        .or_else(|| {
            meta.phases
                .iter()
                .filter(names_it)
                .rfind(|p| p.started.is_some())
        })?;
    Some(format!(
        "{} {} ({})",
        phase.id,
        phase.name,
        phase.status.as_str()
    ))
}

/// The teams of `teams` tied to `meta`'s session, probed now (unreadable records are left
/// out here; `team list` and `doctor` report them).
pub fn of_session(teams: &Teams, env: &Env, meta: &SessionMetadata) -> Vec<TeamView> {
    let Ok((all, _)) = teams.all() else {
        return Vec::new();
    };
    all.iter()
        .filter(|t| t.session.as_deref() == Some(meta.session_id.as_str()))
        .map(|t| {
            let st = lifecycle::status(env, t);
            TeamView {
                name: t.name.clone(),
                members: st
                    .members
                    .into_iter()
                    .map(|m| MemberView {
                        phase: phase_of(meta, &m.role),
                        role: m.role,
                        runtime: m.runtime,
                        state: m.state,
                    })
                    .collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::model::{Phase, PhaseId};

    #[test]
    fn a_member_is_on_the_phase_in_progress_that_names_its_role() {
        let phase = |id: u32, agent: &str, status: PhaseStatus, started: bool| Phase {
            id: PhaseId::from(id),
            name: format!("p{id}"),
            status,
            agents: vec![agent.into()],
            started: started.then(|| "2026-01-01T00:00:00Z".into()),
            ..Phase::default()
        };
        let meta = SessionMetadata {
            phases: vec![
                phase(1, "coder", PhaseStatus::Completed, true),
                phase(2, "coder", PhaseStatus::InProgress, true),
                phase(3, "tester", PhaseStatus::Pending, false),
            ],
            ..SessionMetadata::default()
        };
        assert_eq!(
            phase_of(&meta, "coder").as_deref(),
            Some("2 p2 (in_progress)")
        );
        assert_eq!(phase_of(&meta, "tester"), None);
        assert_eq!(phase_of(&meta, "lead"), None);
    }
}
