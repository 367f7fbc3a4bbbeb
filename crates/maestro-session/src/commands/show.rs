//! `show [SESSION] [--log]`: everything about a session.

use anstyle::{AnsiColor, Style};
use clap::Args;
use maestro_session_core::clock;
use maestro_session_core::outputs::sessions::SessionOutput;
use maestro_session_core::session::lifecycle::PhaseStatus;
use maestro_session_core::session::model::Phase;
use maestro_session_core::session::session_file::SessionFile;
use maestro_session_core::session::terminal_text;
use maestro_session_core::store::{Conflict, Store};

use crate::observe;
use crate::output::{self, Report};
use crate::render::{BOLD, DIM, colour, out, paint, plain, status_style, t, table, tp, truncate};

/// `show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Session id or prefix (default: the active session).
    pub session: Option<String>,
    /// Also print the session's orchestration log (the Markdown body of its file).
    #[arg(long)]
    pub log: bool,
}

/// Runs `show`.
///
/// Errors: the session does not resolve or cannot be read.
pub fn run(store: &Store, a: ShowArgs) -> anyhow::Result<Report> {
    let s = store.get_or_active(a.session.as_deref())?;
    let conflicts = store.conflicts(&s.meta);
    let run = observe::interrupted_for(store, &s);
    let out = SessionOutput {
        log: a.log.then(|| s.body.clone()),
        interrupted: Some(run.is_some()),
        owner: observe::owner(store, &s),
        ..SessionOutput::of(&s)
    };
    let human = text(&s, &conflicts, a.log) + &observe::interrupted_line(run.as_ref());
    Ok(Report::new(output::json(&out)?, human))
}

fn progress_bar(done: usize, total: usize) -> String {
    const WIDTH: usize = 20;
    let filled = (done * WIDTH).checked_div(total).unwrap_or(0);
    format!(
        "[{}{}] {done}/{total} phases",
        paint(colour(AnsiColor::Green), &"#".repeat(filled)),
        paint(DIM, &"-".repeat(WIDTH - filled))
    )
}

/// `show`: the session, its phases with their files and downstream context, tokens,
/// unresolved errors, files changed since recorded, and with `log` the orchestration log.
fn text(s: &SessionFile, conflicts: &[Conflict], log: bool) -> String {
    let mut out = String::new();
    let m = &s.meta;
    let now = jiff::Timestamp::now();
    let when = |t: &str| match clock::parse_iso(t) {
        Some(ts) => format!("{t} ({} ago)", clock::age(ts, now)),
        None => t.to_string(),
    };
    out!(
        out,
        "{} {}  {}",
        paint(BOLD, "Session"),
        paint(BOLD, &m.session_id),
        paint(DIM, &format!("({}: {})", s.location.as_str(), tp(&s.path)))
    );
    out!(out, "  Task      {}", t(&m.task));
    out!(
        out,
        "  Status    {}   Stage {}",
        paint(status_style(m.status.as_str()), m.status.as_str()),
        m.stage.map(|g| g.to_string()).unwrap_or_else(|| "-".into())
    );
    out!(out, "  Created   {}", when(&m.created));
    out!(out, "  Updated   {}", when(&m.updated));
    if let Some(g) = &m.git {
        let commit = g
            .commit
            .as_deref()
            .map(|c| &c[..c.len().min(10)])
            .unwrap_or("no commit");
        let tree = if g.is_worktree {
            format!(
                ", worktree {}",
                t(g.worktree_name.as_deref().unwrap_or("?"))
            )
        } else {
            String::new()
        };
        out!(
            out,
            "  Git       {} @ {}{tree}",
            t(g.branch.as_deref().unwrap_or("?")),
            t(commit)
        );
    }
    if let Some(parent) = &m.parent_session {
        out!(
            out,
            "  Forked    from {}{}",
            t(parent),
            m.forked_from
                .as_ref()
                .map(|f| format!(" at {}", t(&f.at)))
                .unwrap_or_default()
        );
    }
    for (label, value) in [
        ("Design", &m.design_document),
        ("Plan", &m.implementation_plan),
    ] {
        if let Some(v) = value {
            out!(out, "  {label:<9} {}", t(v));
        }
    }
    out!(
        out,
        "  Progress  {}",
        progress_bar(
            m.phases_done(),
            usize::try_from(m.phase_count()).unwrap_or(usize::MAX)
        )
    );
    if !m.phases.is_empty() {
        out!(out, "\n{}", paint(BOLD, "Phases"));
        let rows: Vec<Vec<(String, Style)>> = m
            .phases
            .iter()
            .map(|p| {
                let marker = if m.current_phase.as_ref().is_some_and(|c| c.names(&p.id))
                    && p.status != PhaseStatus::Completed
                {
                    ">"
                } else {
                    " "
                };
                vec![
                    plain(format!("{marker}{}", p.id)),
                    (p.status.to_string(), status_style(p.status.as_str())),
                    plain(truncate(&p.name, 40)),
                    plain(if p.agents.is_empty() {
                        "-".into()
                    } else {
                        p.agents.join(",")
                    }),
                    plain(p.retry_count.to_string()),
                    plain(p.errors.iter().filter(|e| !e.resolved).count().to_string()),
                    plain(
                        (p.files_created.len() + p.files_modified.len() + p.files_deleted.len())
                            .to_string(),
                    ),
                ]
            })
            .collect();
        table(
            &mut out,
            &[
                " ID", "STATUS", "NAME", "AGENTS", "RETRIES", "ERRORS", "FILES",
            ],
            &rows,
        );
        if let Some(batch) = m.current_batch() {
            out!(out, "  current batch: {}", t(batch));
        }
        for p in &m.phases {
            if let Some(reason) = p.requires_reconciliation() {
                out!(
                    out,
                    "  {} phase {} needs reconciliation{}",
                    paint(colour(AnsiColor::Yellow).bold(), "!"),
                    t(&p.id.to_string()),
                    reason.map(|r| format!(": {}", t(r))).unwrap_or_default()
                );
            }
        }
    }
    for p in &m.phases {
        phase_details(&mut out, p);
    }
    let usage = &m.token_usage;
    if !usage.by_agent.is_empty() {
        out!(out, "\n{}", paint(BOLD, "Tokens"));
        let mut rows: Vec<Vec<(String, Style)>> = usage
            .by_agent
            .iter()
            .map(|(agent, t)| {
                vec![
                    plain(agent.clone()),
                    plain(t.input.to_string()),
                    plain(t.output.to_string()),
                    plain(t.cached.to_string()),
                ]
            })
            .collect();
        rows.push(vec![
            ("total".into(), BOLD),
            (usage.total_input.to_string(), BOLD),
            (usage.total_output.to_string(), BOLD),
            (usage.total_cached.to_string(), BOLD),
        ]);
        table(&mut out, &["AGENT", "INPUT", "OUTPUT", "CACHED"], &rows);
        out.push_str(&crate::observe::transcript_lines(s));
    }
    let unresolved = m.unresolved_errors();
    if !unresolved.is_empty() {
        out!(
            out,
            "\n{}",
            paint(colour(AnsiColor::Red).bold(), "Unresolved errors")
        );
        let rows: Vec<Vec<(String, Style)>> = unresolved
            .iter()
            .map(|(phase, i, e)| {
                vec![
                    plain(format!("{phase}#{}", i + 1)),
                    plain(e.agent.clone()),
                    plain(e.kind.clone()),
                    plain(e.timestamp.clone()),
                    plain(e.message.clone()),
                ]
            })
            .collect();
        table(
            &mut out,
            &["ERROR", "AGENT", "TYPE", "TIME", "MESSAGE"],
            &rows,
        );
    }
    if !conflicts.is_empty() {
        out!(
            out,
            "\n{}",
            paint(colour(AnsiColor::Yellow).bold(), "Changed since recorded")
        );
        for c in conflicts {
            out!(
                out,
                "  phase {}: {} ({})",
                t(&c.phase.to_string()),
                t(&c.path),
                t(&c.reason)
            );
        }
    }
    if log {
        out!(out, "\n{}", paint(BOLD, "Log"));
        out.push_str(&terminal_text::text(&s.body));
        if !s.body.is_empty() && !s.body.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// A phase's files (created, modified, deleted, planned) and downstream context, one entry
/// a line; nothing for a phase that has none.
fn phase_details(out: &mut String, p: &Phase) {
    let planned: Vec<String> = p.planned_files().into_iter().map(str::to_string).collect();
    let extra: Vec<(String, Vec<String>)> = p
        .downstream_context
        .extra
        .iter()
        .filter_map(|(key, value)| {
            let entries: Vec<String> = value
                .as_array()?
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .collect();
            Some((key.clone(), entries))
        })
        .collect();
    let mut groups: Vec<(&str, &[String])> = vec![
        ("Files created", &p.files_created),
        ("Files modified", &p.files_modified),
        ("Files deleted", &p.files_deleted),
        ("Files planned", &planned),
    ];
    groups.extend(
        p.downstream_context
            .titled()
            .map(|(title, entries)| (title, entries.as_slice())),
    );
    groups.extend(extra.iter().map(|(k, v)| (k.as_str(), v.as_slice())));
    if groups.iter().all(|(_, entries)| entries.is_empty()) {
        return;
    }
    out!(
        out,
        "\n{}",
        paint(
            BOLD,
            &format!("Phase {}: {}", t(&p.id.to_string()), t(&p.name))
        )
    );
    for (title, entries) in groups.into_iter().filter(|(_, e)| !e.is_empty()) {
        out!(out, "  {}", t(title));
        for entry in entries {
            out!(out, "    - {}", t(entry));
        }
    }
}
