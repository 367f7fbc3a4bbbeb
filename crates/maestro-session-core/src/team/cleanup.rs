//! `team cleanup` (issue 19 items 4, 5): removing teams without ever destroying work.
//!
//! **Only what we made.** A removal's steps come from the record's `created` flags: windows,
//! containers (stopped, then `rm` without `-f`), HOME volumes only when asked, worktrees, and
//! branches only when git agrees they are merged (`git branch -d`).
//!
//! **Each step an intent.** Before the first step runs, the whole list is written into the
//! record (`removal`, a durable locked write); each step, once done, is dropped from it the
//! same way; the record goes last. A crash midway leaves the record with the steps left, and
//! the next `cleanup` of that team carries on from there.
//!
//! **Never work.** A worktree is removed only when
//! [`crate::team::worktree::removal_refusals`] finds nothing: no uncommitted or untracked
//! change, no unpushed commit, no live process in it, no container mounting it. That is checked
//! once before anything is done (a refusal then leaves the team untouched) and again at the
//! moment of removal (after the windows closed and the containers stopped, which is when a
//! live process or a mount shows); a refusal there stops the removal with its steps kept, and
//! the record keeps naming the worktree.

use serde::{Deserialize, Serialize};

use crate::clock;
use crate::env::Env;
use crate::error::Result;
use crate::team::container::{self, ContainerState};
use crate::team::lifecycle::{self, MemberState};
use crate::team::name;
use crate::team::record::{Removal, Team, Teams};
use crate::team::tmux::Tmux;
use crate::team::worktree;

/// One step of a team's removal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum CleanupStep {
    /// Close a member's tmux window.
    CloseWindow {
        /// The role.
        role: String,
    },
    /// Stop and remove a member's container (we created it).
    RemoveContainer {
        /// The role.
        role: String,
        /// The container.
        name: String,
    },
    /// Remove a member's HOME volume (asked for).
    RemoveVolume {
        /// The role.
        role: String,
        /// The volume.
        name: String,
    },
    /// Remove a member's worktree (we added it), after the safety check.
    RemoveWorktree {
        /// The role.
        role: String,
        /// Its path.
        path: std::path::PathBuf,
        /// Its branch.
        branch: Option<String>,
    },
    /// Delete a member's branch if merged (we created it).
    DeleteBranch {
        /// The role.
        role: String,
        /// The branch.
        branch: String,
    },
    /// Remove the record itself.
    RemoveRecord,
}

impl CleanupStep {
    /// The step in words.
    pub fn describe(&self) -> String {
        match self {
            CleanupStep::CloseWindow { role } => format!("close window {role}"),
            CleanupStep::RemoveContainer { role, name } => {
                format!("{role}: stop and remove container {name}")
            }
            CleanupStep::RemoveVolume { role, name } => format!("{role}: remove volume {name}"),
            CleanupStep::RemoveWorktree { role, path, .. } => {
                format!("{role}: remove worktree {}", path.display())
            }
            CleanupStep::DeleteBranch { role, branch } => {
                format!("{role}: delete branch {branch} if merged")
            }
            CleanupStep::RemoveRecord => "remove the team record".into(),
        }
    }
}

/// The steps that remove `team` (see the module docs).
pub fn plan(team: &Team, volumes: bool) -> Vec<CleanupStep> {
    let mut steps = Vec::new();
    for m in &team.members {
        steps.push(CleanupStep::CloseWindow {
            role: m.role.clone(),
        });
    }
    for m in &team.members {
        if let (true, Some(c)) = (m.created.container, &m.container) {
            steps.push(CleanupStep::RemoveContainer {
                role: m.role.clone(),
                name: c.clone(),
            });
        }
        if let (true, true, Some(v)) = (volumes, m.created.volume, &m.volume) {
            steps.push(CleanupStep::RemoveVolume {
                role: m.role.clone(),
                name: v.clone(),
            });
        }
    }
    for m in &team.members {
        if m.created.worktree {
            steps.push(CleanupStep::RemoveWorktree {
                role: m.role.clone(),
                path: m.cwd.clone(),
                branch: m.branch.clone(),
            });
        }
        if let (true, Some(b)) = (m.created.branch, &m.branch) {
            steps.push(CleanupStep::DeleteBranch {
                role: m.role.clone(),
                branch: b.clone(),
            });
        }
    }
    steps.push(CleanupStep::RemoveRecord);
    steps
}

/// What `cleanup` selects and does.
#[derive(Debug, Clone, Default)]
pub struct CleanupRequest {
    /// Remove this team.
    pub remove: Option<String>,
    /// Remove the teams whose name matches this glob.
    pub pattern: Option<String>,
    /// Only teams none of whose members is running.
    pub stopped_only: bool,
    /// Recreate missing containers and windows (of the selected teams, else all) instead of
    /// removing.
    pub fix_broken: bool,
    /// Also remove the members' HOME volumes (their conversations).
    pub volumes: bool,
    /// Only report.
    pub dry_run: bool,
}

/// What happened to one team.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamCleanup {
    /// The team.
    pub team: String,
    /// What was done (or, in a dry run, would be).
    pub done: Vec<String>,
    /// What was refused and kept, with why.
    pub refused: Vec<String>,
    /// Whether the record is gone.
    pub removed: bool,
}

/// What `cleanup` did (printed as [`crate::outputs::team::TeamCleanupOutput`]).
#[derive(Debug, Default)]
pub struct CleanupReport {
    /// Per team.
    pub teams: Vec<TeamCleanup>,
    /// Records that could not be read: kept, reported.
    pub unreadable: Vec<crate::Error>,
    /// Whether nothing was changed.
    pub dry_run: bool,
}

/// The teams `req` selects for removal or repair (a pending removal always counts).
pub fn select(
    teams: &Teams,
    env: &Env,
    req: &CleanupRequest,
) -> Result<(Vec<Team>, Vec<crate::Error>)> {
    if let Some(p) = &req.pattern
        && p.len() > 256
    {
        return Err(crate::Error::Invalid("--pattern is over 256 bytes".into()));
    }
    if let Some(n) = &req.remove {
        name::check("team name", n)?;
    }
    let (all, bad) = teams.all()?;
    let chosen = all
        .into_iter()
        .filter(|t| {
            let named = match (&req.remove, &req.pattern) {
                (Some(n), _) => *n == t.name,
                (None, Some(p)) => name::glob_matches(p, &t.name),
                (None, None) => req.fix_broken || req.stopped_only || t.removal.is_some(),
            };
            named
                && (!req.stopped_only
                    || lifecycle::status(env, t)
                        .members
                        .iter()
                        .all(|m| m.state != MemberState::Running))
        })
        .collect::<Vec<_>>();
    if let (Some(n), true) = (&req.remove, chosen.is_empty()) {
        // Name it the way `get` does (the teams there are, or why it was left out).
        teams.get(n)?;
        return Err(crate::Error::refused(
            format!("team {n}"),
            "a member is running and --stopped-only was given; `team stop` it first",
        ));
    }
    Ok((chosen, bad))
}

/// Removes (or with `fix_broken` repairs) the teams `req` selects, asking `confirm` before
/// each (the `--interactive` prompt; `|_| true` otherwise).
pub fn cleanup(
    teams: &Teams,
    env: &Env,
    req: &CleanupRequest,
    mut confirm: impl FnMut(&Team, &[CleanupStep]) -> bool,
) -> Result<CleanupReport> {
    let (chosen, unreadable) = select(teams, env, req)?;
    let mut report = CleanupReport {
        unreadable,
        dry_run: req.dry_run,
        ..CleanupReport::default()
    };
    for team in chosen {
        if req.fix_broken {
            let mut tc = TeamCleanup {
                team: team.name.clone(),
                ..TeamCleanup::default()
            };
            if req.dry_run {
                for m in lifecycle::status(env, &team).members {
                    if m.state != MemberState::Running {
                        tc.done
                            .push(format!("{}: would recreate ({})", m.role, m.state.name()));
                    }
                }
            } else {
                let a = lifecycle::resume(teams, env, &team.name, true)?;
                tc.done = a.done;
                tc.refused = a.skipped;
            }
            report.teams.push(tc);
            continue;
        }
        let steps = match &team.removal {
            Some(r) => r.steps.clone(),
            None => plan(&team, req.volumes),
        };
        if !confirm(&team, &steps) {
            report.teams.push(TeamCleanup {
                team: team.name.clone(),
                refused: vec!["not confirmed".into()],
                ..TeamCleanup::default()
            });
            continue;
        }
        report
            .teams
            .push(remove_team(teams, env, &team, steps, req)?);
    }
    Ok(report)
}

fn engines(team: &Team) -> Vec<String> {
    team.containers
        .as_ref()
        .map(|c| vec![c.engine.clone()])
        .unwrap_or_default()
}

/// Work a worktree holds that is not about processes: dirty, untracked, unpushed.
fn work_refusals(team: &Team, steps: &[CleanupStep]) -> Vec<String> {
    let mut out = Vec::new();
    for s in steps {
        if let CleanupStep::RemoveWorktree { role, path, branch } = s
            && maestro_session_fs::reader::lstat(path).is_ok()
        {
            for why in worktree::removal_refusals(path, branch.as_deref(), &[])
                .into_iter()
                .filter(|w| !w.starts_with("live process"))
            {
                out.push(format!("{role}: worktree {} kept: {why}", path.display()));
            }
        }
    }
    let _ = team;
    out
}

fn remove_team(
    teams: &Teams,
    env: &Env,
    team: &Team,
    steps: Vec<CleanupStep>,
    req: &CleanupRequest,
) -> Result<TeamCleanup> {
    let mut tc = TeamCleanup {
        team: team.name.clone(),
        ..TeamCleanup::default()
    };
    // Checked before anything is done, so a refusal leaves the team as it was.
    tc.refused = work_refusals(team, &steps);
    if req.dry_run {
        if tc.refused.is_empty() {
            tc.done = steps.iter().map(CleanupStep::describe).collect();
        }
        return Ok(tc);
    }
    if !tc.refused.is_empty() && team.removal.is_none() {
        return Ok(tc);
    }
    tc.refused.clear();
    if team.removal.is_none() {
        let pending = steps.clone();
        let volumes = req.volumes;
        teams.update(&team.name, "cleanup begin", None, move |t| {
            t.removal = Some(Removal {
                started: clock::now_iso(),
                volumes,
                steps: pending,
            });
            Ok(())
        })?;
    }
    let tmux = Tmux::from_env(env);
    for step in steps {
        match &step {
            CleanupStep::CloseWindow { role } => {
                tmux.kill_window(&team.tmux_session, role)?;
            }
            CleanupStep::RemoveContainer { name, .. } => {
                let engine = engines(team).pop().unwrap_or_else(|| "podman".into());
                match container::state(&engine, name) {
                    ContainerState::Missing => {}
                    ContainerState::Running => {
                        container::stop(&engine, name)?;
                        container::remove(&engine, name)?;
                    }
                    ContainerState::Stopped => container::remove(&engine, name)?,
                }
            }
            CleanupStep::RemoveVolume { name, .. } => {
                let engine = engines(team).pop().unwrap_or_else(|| "podman".into());
                if container::volume_exists(&engine, name) {
                    container::remove_volume(&engine, name)?;
                }
            }
            CleanupStep::RemoveWorktree { role, path, branch } => {
                if maestro_session_fs::reader::lstat(path).is_ok() {
                    // Again, at the moment of removal.
                    let mut why =
                        worktree::removal_refusals(path, branch.as_deref(), &engines(team));
                    // A window closed a moment ago: its process may still be ending (SIGHUP).
                    for _ in 0..30 {
                        if why.is_empty() || !why.iter().all(|w| w.starts_with("live process")) {
                            break;
                        }
                        std::thread::sleep(std::time::Duration::from_millis(100));
                        why = worktree::removal_refusals(path, branch.as_deref(), &engines(team));
                    }
                    if !why.is_empty() {
                        tc.refused.push(format!(
                            "{role}: worktree {} kept: {}; the removal stops here and the next `team cleanup` continues it",
                            path.display(),
                            why.join("; ")
                        ));
                        return Ok(tc);
                    }
                    worktree::remove(&team.project_root, path)?;
                }
            }
            CleanupStep::DeleteBranch { role, branch } => {
                if !worktree::delete_merged_branch(&team.project_root, branch) {
                    tc.refused.push(format!(
                        "{role}: branch {branch} kept (not merged, or already gone)"
                    ));
                }
            }
            CleanupStep::RemoveRecord => {
                teams.remove(&team.name)?;
                tc.removed = true;
                tc.done.push(step.describe());
                continue;
            }
        }
        tc.done.push(step.describe());
        let done = step.clone();
        teams.update(&team.name, "cleanup step", None, move |t| {
            if let Some(r) = &mut t.removal
                && let Some(i) = r.steps.iter().position(|s| *s == done)
            {
                r.steps.remove(i);
            }
            Ok(())
        })?;
    }
    Ok(tc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::team::member::Runtime;
    use crate::team::record::{Created, Member, Team, VERSION};
    use std::path::PathBuf;

    fn member(role: &str, created: Created) -> Member {
        Member {
            role: role.into(),
            runtime: Runtime::Codex,
            runtime_session_id: None,
            started: true,
            last_activity: None,
            cwd: PathBuf::from(format!("/w/{role}")),
            branch: Some(format!("team/t/{role}")),
            base: None,
            container: Some(format!("c-{role}")),
            volume: Some(format!("c-{role}-home")),
            created,
        }
    }

    #[test]
    fn a_removal_touches_only_what_the_record_says_we_made_and_volumes_only_when_asked() {
        let ours = Created {
            worktree: true,
            branch: true,
            container: true,
            volume: true,
        };
        let t = Team {
            version: VERSION,
            name: "t".into(),
            project_root: PathBuf::from("/p"),
            session: None,
            tmux_session: "maestro-p-t".into(),
            containers: None,
            created: String::new(),
            updated: String::new(),
            stopped: false,
            members: vec![member("a", ours), member("b", Created::default())],
            removal: None,
        };
        let steps: Vec<String> = plan(&t, false).iter().map(CleanupStep::describe).collect();
        assert_eq!(
            steps,
            [
                "close window a",
                "close window b",
                "a: stop and remove container c-a",
                "a: remove worktree /w/a",
                "a: delete branch team/t/a if merged",
                "remove the team record",
            ]
        );
        let with_volumes = plan(&t, true);
        assert!(with_volumes.contains(&CleanupStep::RemoveVolume {
            role: "a".into(),
            name: "c-a-home".into()
        }));
        assert!(
            !with_volumes
                .iter()
                .any(|s| matches!(s, CleanupStep::RemoveVolume { role, .. } if role == "b"))
        );
        // Steps survive the record's JSON (a crash between steps resumes from them).
        let json = serde_json::to_string(&with_volumes).expect("json");
        let back: Vec<CleanupStep> = serde_json::from_str(&json).expect("back");
        assert_eq!(back, with_volumes);
    }
}
