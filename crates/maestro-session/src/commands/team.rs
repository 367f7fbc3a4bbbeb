//! `maestro-session team …`: team sessions (issue 19). Thin: parse, call
//! `maestro_session_core::team`, render.

use std::io::IsTerminal as _;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use maestro_session_core::outputs::team::{
    TeamAttachOutput, TeamCleanupOutput, TeamCreateOutput, TeamExportFileOutput, TeamListOutput,
};
use maestro_session_core::store::Store;
use maestro_session_core::team::cleanup::{self, CleanupRequest};
use maestro_session_core::team::lifecycle::{self, CreateRequest, MemberState, TeamStatus};
use maestro_session_core::team::member::MemberSpec;
use maestro_session_core::team::record::{ContainerSpec, Teams};
use maestro_session_core::team::tmux::Tmux;
use maestro_session_core::team::view;
use maestro_session_core::{Env, Error};
use maestro_session_fs::durable;

use crate::cli::utf8_path;
use crate::output::{self, Report};

/// The team subcommands.
#[derive(Debug, Subcommand)]
pub enum TeamCommand {
    /// Create a team: one tmux window per member (`maestro-<project>-<team>`), each in a git
    /// worktree on a branch of its own, in a container with --containers.
    Create(CreateArgs),
    /// List the teams: per member runtime, state (running, stopped, missing), window and
    /// container state, worktree, last activity; totals.
    List {
        /// One line per member.
        #[arg(long)]
        verbose: bool,
    },
    /// A team's members and their states; exits 1 when any member is not running.
    Health {
        /// The team.
        name: String,
    },
    /// Attach this terminal to the team's tmux session (at a member's window).
    Attach {
        /// The team.
        name: String,
        /// The member's role.
        role: Option<String>,
        /// Print the tmux command instead of running it.
        #[arg(long)]
        print: bool,
    },
    /// Close the members' windows and stop (never remove) their containers; the record keeps
    /// every member and runtime session id.
    Stop {
        /// The team.
        name: String,
    },
    /// Restart what is missing: stopped containers, and a window for each member without a
    /// live one, started with its runtime's resume flag and captured session id.
    Resume {
        /// The team.
        name: String,
    },
    /// Write the team's record, current states and event log as one JSON document.
    Export {
        /// The team.
        name: String,
        /// Write to this file (durable replace) instead of stdout.
        #[arg(long, value_parser = utf8_path())]
        output: Option<PathBuf>,
        /// Replace an existing --output file.
        #[arg(long)]
        force: bool,
    },
    /// Remove teams (only what their record says we made; never a worktree with uncommitted
    /// or unpushed work or a live process), or repair them with --fix-broken.
    Cleanup(CleanupArgs),
}

/// `team create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The team's name: ASCII letters, digits, '-' and '_', starting with a letter or digit.
    pub name: String,
    /// A member, `role=runtime` (runtime: claude, codex, gemini, qwen or
    /// command:<program and arguments>); repeatable, in order.
    #[arg(long = "member", required = true)]
    pub members: Vec<String>,
    /// The maestro session the team works on (id or prefix; `active`).
    #[arg(long)]
    pub session: Option<String>,
    /// Run each member in a persistent container of this engine.
    #[arg(long, value_name = "podman|docker")]
    pub containers: Option<String>,
    /// The members' container image (with --containers).
    #[arg(long, requires = "containers")]
    pub image: Option<String>,
    /// Memory limit per container (e.g. 2g).
    #[arg(long, requires = "containers")]
    pub memory: Option<String>,
    /// CPUs per container (e.g. 1.5).
    #[arg(long, requires = "containers")]
    pub cpus: Option<String>,
    /// A host path mounted read-only at the same path in each container (a runtime binary);
    /// repeatable.
    #[arg(long = "mount", requires = "containers", value_parser = utf8_path())]
    pub mounts: Vec<PathBuf>,
    /// KEY=VALUE set for the runtime in each container; repeatable.
    #[arg(long = "container-env", requires = "containers")]
    pub container_env: Vec<String>,
    /// Run every member in the project folder itself (no worktrees, no branches).
    #[arg(long)]
    pub no_worktrees: bool,
    /// Replace an existing team record and tmux session.
    #[arg(long)]
    pub force: bool,
}

/// `team cleanup`.
#[derive(Debug, Args)]
pub struct CleanupArgs {
    /// Remove this team.
    #[arg(long, value_name = "NAME")]
    pub remove: Option<String>,
    /// Remove the teams whose name matches this glob (`*`, `?`).
    #[arg(long, value_name = "GLOB")]
    pub pattern: Option<String>,
    /// Only teams none of whose members is running.
    #[arg(long)]
    pub stopped_only: bool,
    /// Recreate missing containers and windows from the record instead of removing.
    #[arg(long, conflicts_with_all = ["volumes"])]
    pub fix_broken: bool,
    /// Also remove the members' HOME volumes (their runtimes' conversations).
    #[arg(long)]
    pub volumes: bool,
    /// Ask before each team.
    #[arg(long)]
    pub interactive: bool,
    /// Only say what would be done.
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs a team command in `store`'s project.
pub fn run(store: &Store, command: TeamCommand) -> anyhow::Result<Report> {
    let env = Env::process();
    let teams = Teams::new(store.workspace().clone(), env.clone(), "cli");
    Ok(match command {
        TeamCommand::Create(a) => {
            let members = a
                .members
                .iter()
                .map(|m| MemberSpec::parse(m))
                .collect::<Result<Vec<_>, _>>()?;
            let session = match &a.session {
                Some(prefix) => Some(store.resolve(prefix)?.0),
                None => None,
            };
            let containers = match &a.containers {
                Some(engine) => Some(ContainerSpec {
                    engine: engine.clone(),
                    image: a
                        .image
                        .clone()
                        .ok_or_else(|| Error::Invalid("--containers needs --image".into()))?,
                    memory: a.memory.clone(),
                    cpus: a.cpus.clone(),
                    mounts: a
                        .mounts
                        .iter()
                        .map(|m| m.to_string_lossy().into_owned())
                        .collect(),
                    env: a.container_env.clone(),
                }),
                None => None,
            };
            let req = CreateRequest {
                name: a.name.clone(),
                members,
                session,
                containers,
                worktrees: !a.no_worktrees,
                force: a.force,
            };
            let team = lifecycle::create(&teams, &env, &req)?;
            let st = lifecycle::status(&env, &team);
            let human = format!(
                "created team {} in tmux session {}\n{}",
                team.name,
                team.tmux_session,
                members_text(&st)
            );
            Report::new(output::json(&TeamCreateOutput { team, status: st })?, human)
        }
        TeamCommand::List { verbose } => {
            let (all, bad) = teams.all()?;
            let statuses: Vec<TeamStatus> =
                all.iter().map(|t| lifecycle::status(&env, t)).collect();
            let out = TeamListOutput::new(statuses, &bad);
            let mut human = String::new();
            for st in &out.teams {
                human.push_str(&format!(
                    "{}  {}  {} member(s), worst {}{}\n",
                    st.name,
                    st.tmux_session,
                    st.members.len(),
                    st.worst.name(),
                    st.session
                        .as_deref()
                        .map(|s| format!(", session {s}"))
                        .unwrap_or_default()
                ));
                if verbose {
                    human.push_str(&members_text(st));
                }
            }
            for e in &bad {
                human.push_str(&format!("unreadable: {e}\n"));
            }
            let t = out.totals;
            human.push_str(&format!(
                "{} team(s); members: {} running, {} stopped, {} missing\n",
                out.teams.len(),
                t.running,
                t.stopped,
                t.missing
            ));
            Report::new(output::json(&out)?, human)
        }
        TeamCommand::Health { name } => {
            let team = teams.get(&name)?;
            let st = lifecycle::status(&env, &team);
            let human = format!(
                "team {}: {}\n{}",
                st.name,
                st.worst.name(),
                members_text(&st)
            );
            let mut r = Report::new(output::json(&st)?, human);
            r.unhealthy = st.worst != MemberState::Running;
            r
        }
        TeamCommand::Attach { name, role, print } => {
            let team = teams.get(&name)?;
            if let Some(r) = &role {
                team.member(r)?;
            }
            let argv = Tmux::from_env(&env).attach_argv(&team.tmux_session, role.as_deref());
            if print || !std::io::stdin().is_terminal() {
                if !print {
                    return Err(Error::refused(
                        format!("team {name}"),
                        format!("attach needs a terminal; run: {}", argv.join(" ")),
                    )
                    .into());
                }
                let line = format!("{}\n", argv.join(" "));
                return Ok(Report::new(
                    output::json(&TeamAttachOutput::Print { command: argv })?,
                    line,
                ));
            }
            let status = std::process::Command::new(&argv[0])
                .args(&argv[1..])
                .status()?;
            Report::new(
                output::json(&TeamAttachOutput::Attached {
                    attached: team.tmux_session,
                    exit: status.code(),
                })?,
                String::new(),
            )
        }
        TeamCommand::Stop { name } => {
            let a = lifecycle::stop(&teams, &env, &name)?;
            let human = actions_text("stopped", &a.team, &a.done, &a.skipped);
            Report::new(output::json(&a)?, human)
        }
        TeamCommand::Resume { name } => {
            let a = lifecycle::resume(&teams, &env, &name, false)?;
            let human = actions_text("resumed", &a.team, &a.done, &a.skipped);
            let mut r = Report::new(output::json(&a)?, human);
            r.unhealthy = !a.skipped.is_empty();
            r
        }
        TeamCommand::Export {
            name,
            output,
            force,
        } => {
            let doc = lifecycle::export(&teams, &env, &name)?;
            let text = format!("{}\n", serde_json::to_string_pretty(&doc)?);
            match output {
                None => Report::new(output::json(&doc)?, text),
                Some(path) => {
                    if !force && maestro_session_fs::reader::lstat(&path).is_ok() {
                        return Err(Error::refused(
                            format!("team {name}"),
                            format!(
                                "{} already exists; pass --force to replace it",
                                path.display()
                            ),
                        )
                        .into());
                    }
                    durable::durable_replace(&path, text.as_bytes(), durable::STATE_FILE_MODE)
                        .map_err(Error::from)?;
                    Report::new(
                        output::json(&TeamExportFileOutput {
                            exported: name.clone(),
                            output: path.display().to_string(),
                        })?,
                        format!("exported team {name} to {}\n", path.display()),
                    )
                }
            }
        }
        TeamCommand::Cleanup(a) => {
            let req = CleanupRequest {
                remove: a.remove,
                pattern: a.pattern,
                stopped_only: a.stopped_only,
                fix_broken: a.fix_broken,
                volumes: a.volumes,
                dry_run: a.dry_run,
            };
            let interactive = a.interactive;
            let r = cleanup::cleanup(&teams, &env, &req, |team, steps| {
                !interactive || ask(&team.name, steps)
            })?;
            let mut human = String::new();
            for t in &r.teams {
                human.push_str(&actions_text(
                    if r.dry_run { "would clean" } else { "cleaned" },
                    &t.team,
                    &t.done,
                    &t.refused,
                ));
            }
            for u in &r.unreadable {
                human.push_str(&format!("unreadable (kept): {u}\n"));
            }
            if r.teams.is_empty() {
                human.push_str("no team selected\n");
            }
            let refused = r.teams.iter().any(|t| !t.refused.is_empty());
            let mut rep = Report::new(output::json(&TeamCleanupOutput::of(&r))?, human);
            rep.unhealthy = refused;
            rep
        }
    })
}

/// Asks on the terminal whether to clean up `team` (`--interactive`).
fn ask(team: &str, steps: &[cleanup::CleanupStep]) -> bool {
    use std::io::Write as _;
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "team {team}:");
    for s in steps {
        let _ = writeln!(err, "  {}", s.describe());
    }
    let _ = write!(err, "remove team {team}? [y/N] ");
    let _ = err.flush();
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).is_ok() && line.trim().eq_ignore_ascii_case("y")
}

fn members_text(st: &TeamStatus) -> String {
    let mut out = String::new();
    for m in &st.members {
        out.push_str(&format!(
            "  {:<12} {:<10} {:<8} window {:<8}{} {}{}{}\n",
            m.role,
            m.runtime,
            m.state.name(),
            m.window,
            m.container
                .map(|c| format!(" container {c}"))
                .unwrap_or_default(),
            m.cwd.display(),
            m.runtime_session_id
                .as_deref()
                .map(|s| format!(" id {s}"))
                .unwrap_or_default(),
            m.last_activity
                .as_deref()
                .map(|s| format!(" last {s}"))
                .unwrap_or_default(),
        ));
    }
    out
}

fn actions_text(verb: &str, team: &str, done: &[String], refused: &[String]) -> String {
    let mut out = format!("{verb} team {team}\n");
    for d in done {
        out.push_str(&format!("  done: {d}\n"));
    }
    for r in refused {
        out.push_str(&format!("  kept: {r}\n"));
    }
    out
}

/// The teams of `store`'s project, for `watch` (probed at each frame).
pub fn teams_of(store: &Store) -> Teams {
    Teams::new(store.workspace().clone(), Env::process(), "cli")
}

/// `watch`'s lines for the teams tied to the session `meta` (none: no line).
pub fn watch_lines(
    teams: &Teams,
    meta: &maestro_session_core::session::model::SessionMetadata,
) -> Vec<String> {
    let mut out = Vec::new();
    for t in view::of_session(teams, &Env::process(), meta) {
        out.push(String::new());
        out.push(format!("TEAM {}", t.name));
        for m in &t.members {
            out.push(format!(
                "  {:<12} {:<10} {:<8} {}",
                m.role,
                m.runtime,
                m.state.name(),
                m.phase.as_deref().unwrap_or("-")
            ));
        }
    }
    out
}

/// `html` with a "Team" section (the teams tied to the session `meta`, their members, states
/// and phases) before its closing line; unchanged when no team is tied to it.
pub fn with_report_section(
    html: String,
    store: &Store,
    meta: &maestro_session_core::session::model::SessionMetadata,
) -> String {
    use std::fmt::Write as _;
    let views = view::of_session(&teams_of(store), &Env::process(), meta);
    if views.is_empty() {
        return html;
    }
    let esc = super::report::escape;
    let mut h = String::new();
    for t in &views {
        let _ = writeln!(
            h,
            "<h2>Team {}</h2>\n<table>\n<tr><th>Role</th><th>Runtime</th><th>State</th><th>Phase</th></tr>",
            esc(&t.name)
        );
        for m in &t.members {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&m.role),
                esc(&m.runtime),
                m.state.name(),
                esc(m.phase.as_deref().unwrap_or("-"))
            );
        }
        h.push_str("</table>\n");
    }
    match html.rfind("<p class=\"muted\">Made by") {
        Some(i) => format!("{}{h}{}", &html[..i], &html[i..]),
        None => html + &h,
    }
}
