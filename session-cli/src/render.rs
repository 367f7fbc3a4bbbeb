//! Human output: tables, a progress bar, colour on terminals only (`anstream` strips styles
//! when stdout is not a terminal or `NO_COLOR` is set), and the JSON shapes of `--json`.

use anstream::{eprintln, println};
use anstyle::{AnsiColor, Style};
use serde_json::{Value, json};
use session_core::clock;
use session_core::error::Error;
use session_core::operations::Operation;
use session_core::session::lifecycle::{PhaseStatus, SessionStatus};
use session_core::session::model::PhaseId;
use session_core::store::Location;
use session_core::store::listing::SessionSummary;
use session_core::store::{
    ArchiveReport, CleanupReport, Conflict, DeleteReport, DoctorReport, ResumeReport, SessionFile,
};

const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();

fn colour(c: AnsiColor) -> Style {
    Style::new().fg_color(Some(c.into()))
}

fn paint(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

fn status_style(status: &str) -> Style {
    match status {
        "in_progress" => colour(AnsiColor::Cyan),
        "completed" => colour(AnsiColor::Green),
        "failed" | "timeout" => colour(AnsiColor::Red),
        "paused" | "pending" => colour(AnsiColor::Yellow),
        _ => DIM,
    }
}

/// Prints `error: <message>` on stderr.
pub fn error_line(message: &str) {
    eprintln!(
        "{} {message}",
        paint(colour(AnsiColor::Red).bold(), "error:")
    );
}

/// Reports files that did not parse (never skipped silently).
pub fn broken(errors: &[Error], json_mode: bool) {
    for e in errors {
        if json_mode {
            eprintln!(
                "{}",
                json!({"warning": "session file skipped from the listing because it cannot be read", "error": e.to_string(), "kind": e.kind().name()})
            );
        } else {
            eprintln!(
                "{} {e}",
                paint(
                    colour(AnsiColor::Yellow).bold(),
                    "warning: unreadable session file:"
                )
            );
        }
    }
}

/// A table with a bold header; `widths` grow to the widest cell. The last column is not padded.
fn table(header: &[&str], rows: &[Vec<(String, Style)>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, (cell, _)) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let last = header.len() - 1;
    let line: Vec<String> = header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            if i == last {
                paint(BOLD, h)
            } else {
                paint(BOLD, &format!("{h:<w$}", w = widths[i]))
            }
        })
        .collect();
    println!("{}", line.join("  "));
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, (cell, style))| {
                if i == last {
                    paint(*style, cell)
                } else {
                    paint(*style, &format!("{cell:<w$}", w = widths[i]))
                }
            })
            .collect();
        println!("{}", line.join("  ").trim_end());
    }
}

fn plain(s: impl Into<String>) -> (String, Style) {
    (s.into(), Style::new())
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max - 1).collect::<String>())
    }
}

/// `list`.
pub fn list(rows: &[SessionSummary]) {
    if rows.is_empty() {
        println!("no sessions");
        return;
    }
    let now = jiff::Timestamp::now();
    let body: Vec<Vec<(String, Style)>> = rows
        .iter()
        .map(|r| {
            let id = if r.location == Location::Active {
                format!("{} *", r.session_id)
            } else {
                r.session_id.clone()
            };
            vec![
                (
                    id,
                    if r.location == Location::Active {
                        BOLD
                    } else {
                        Style::new()
                    },
                ),
                plain(truncate(&r.task, 40)),
                (r.status.to_string(), status_style(r.status.as_str())),
                plain(r.stage.clone().unwrap_or_else(|| "-".into())),
                plain(format!("{}/{}", r.phases_done, r.total_phases)),
                plain(r.tokens.to_string()),
                plain(
                    clock::parse_iso(&r.updated)
                        .map(|t| clock::age(t, now))
                        .unwrap_or_else(|| "?".into()),
                ),
            ]
        })
        .collect();
    table(
        &["ID", "TASK", "STATUS", "STAGE", "PHASES", "TOKENS", "AGE"],
        &body,
    );
    println!(
        "{}",
        paint(DIM, &format!("{} session(s); * = active", rows.len()))
    );
}

/// The `--json` shape of one session: the whole frontmatter plus `location` and `path`.
pub fn show_json(s: &SessionFile) -> Value {
    let mut front = s.frontmatter_json();
    front.insert("location".into(), json!(s.location.as_str()));
    front.insert("path".into(), json!(s.path.display().to_string()));
    Value::Object(front)
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

/// `show`.
pub fn show(s: &SessionFile, conflicts: &[Conflict]) {
    let m = &s.meta;
    let now = jiff::Timestamp::now();
    let when = |t: &str| match clock::parse_iso(t) {
        Some(ts) => format!("{t} ({} ago)", clock::age(ts, now)),
        None => t.to_string(),
    };
    println!(
        "{} {}  {}",
        paint(BOLD, "Session"),
        paint(BOLD, &m.session_id),
        paint(
            DIM,
            &format!("({}: {})", s.location.as_str(), s.path.display())
        )
    );
    println!("  Task      {}", m.task);
    println!(
        "  Status    {}   Stage {}",
        paint(status_style(m.status.as_str()), m.status.as_str()),
        m.stage.map(|g| g.to_string()).unwrap_or_else(|| "-".into())
    );
    println!("  Created   {}", when(&m.created));
    println!("  Updated   {}", when(&m.updated));
    if let Some(g) = &m.git {
        let commit = g
            .commit
            .as_deref()
            .map(|c| &c[..c.len().min(10)])
            .unwrap_or("no commit");
        let tree = if g.is_worktree {
            format!(", worktree {}", g.worktree_name.as_deref().unwrap_or("?"))
        } else {
            String::new()
        };
        println!(
            "  Git       {} @ {commit}{tree}",
            g.branch.as_deref().unwrap_or("?")
        );
    }
    if let Some(parent) = &m.parent_session {
        println!(
            "  Forked    from {parent}{}",
            m.forked_from
                .as_ref()
                .map(|f| format!(" at {}", f.at))
                .unwrap_or_default()
        );
    }
    for (label, value) in [
        ("Design", &m.design_document),
        ("Plan", &m.implementation_plan),
    ] {
        if let Some(v) = value {
            println!("  {label:<9} {v}");
        }
    }
    println!(
        "  Progress  {}",
        progress_bar(m.phases_done(), m.phases.len())
    );
    if !m.phases.is_empty() {
        println!("\n{}", paint(BOLD, "Phases"));
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
            &[
                " ID", "STATUS", "NAME", "AGENTS", "RETRIES", "ERRORS", "FILES",
            ],
            &rows,
        );
        if let Some(batch) = m.current_batch() {
            println!("  current batch: {batch}");
        }
        for p in &m.phases {
            let planned = p.planned_files();
            if !planned.is_empty() && p.status != PhaseStatus::Completed {
                println!("  phase {} plans to touch: {}", p.id, planned.join(", "));
            }
            if let Some(reason) = p.requires_reconciliation() {
                println!(
                    "  {} phase {} needs reconciliation{}",
                    paint(colour(AnsiColor::Yellow).bold(), "!"),
                    p.id,
                    reason.map(|r| format!(": {r}")).unwrap_or_default()
                );
            }
        }
    }
    let usage = &m.token_usage;
    if !usage.by_agent.is_empty() {
        println!("\n{}", paint(BOLD, "Tokens"));
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
        table(&["AGENT", "INPUT", "OUTPUT", "CACHED"], &rows);
    }
    let unresolved = m.unresolved_errors();
    if !unresolved.is_empty() {
        println!(
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
        table(&["ERROR", "AGENT", "TYPE", "TIME", "MESSAGE"], &rows);
    }
    if !conflicts.is_empty() {
        println!(
            "\n{}",
            paint(colour(AnsiColor::Yellow).bold(), "Changed since recorded")
        );
        for c in conflicts {
            println!("  phase {}: {} ({})", c.phase, c.path, c.reason);
        }
    }
}

/// The `--json` shape of `status`.
pub fn status_json(s: &SessionFile) -> Value {
    let m = &s.meta;
    json!({
        "session_id": m.session_id,
        "status": m.status,
        "stage": m.stage,
        "current_phase": m.current_phase,
        "total_phases": m.total_phases,
        "phases_done": m.phases_done(),
        "unresolved_errors": m.unresolved_errors().len(),
        "location": s.location.as_str(),
    })
}

/// `status <id>`.
pub fn status(s: &SessionFile) {
    let m = &s.meta;
    let phase = m
        .current_phase
        .as_ref()
        .and_then(|id| m.phase(id))
        .map(|p| {
            format!(
                ", phase {}/{} {} ({})",
                p.id,
                m.phases.len(),
                p.name,
                p.status
            )
        })
        .unwrap_or_default();
    println!(
        "{}: {}{}{}, {} unresolved error(s)",
        m.session_id,
        paint(status_style(m.status.as_str()), m.status.as_str()),
        m.stage.map(|g| format!(" (stage {g})")).unwrap_or_default(),
        phase,
        m.unresolved_errors().len()
    );
}

/// After an operation.
pub fn changed(s: &SessionFile, op: &Operation) {
    let m = &s.meta;
    let what = match op {
        Operation::SetStatus(_) | Operation::Pause | Operation::Cancel => format!(
            "status {}",
            paint(status_style(m.status.as_str()), m.status.as_str())
        ),
        Operation::SetStage(g) => format!("stage {g}"),
        Operation::PhaseStart(id) | Operation::PhaseRetry(id) | Operation::PhaseSkip(id) => {
            phase_line(s, id)
        }
        Operation::PhaseComplete { id, .. } | Operation::PhaseFail { id, .. } => phase_line(s, id),
        Operation::Tokens { agent, .. } => {
            let t = &m.token_usage;
            let a = t
                .by_agent
                .get(agent)
                .map(|a| format!("{agent} {}/{}/{}", a.input, a.output, a.cached))
                .unwrap_or_default();
            format!(
                "tokens {a} (input/output/cached); total {}/{}/{}",
                t.total_input, t.total_output, t.total_cached
            )
        }
        Operation::AddError { phase, .. } => format!(
            "error recorded on phase {phase}; {} unresolved",
            m.unresolved_errors().len()
        ),
        Operation::ResolveError { phase, index, .. } => format!(
            "error {index} of phase {phase} resolved; {} unresolved",
            m.unresolved_errors().len()
        ),
        Operation::AddFiles { phase, .. } => format!("files of phase {phase} recorded"),
        Operation::AddContext { phase, .. } => {
            format!("downstream context of phase {phase} updated")
        }
        Operation::SetField { key, .. } => format!("{key} set"),
    };
    println!("{}: {what}", m.session_id);
}

fn phase_line(s: &SessionFile, id: &PhaseId) -> String {
    match s.meta.phase(id) {
        Some(p) => format!(
            "phase {id} {} {}{}",
            p.name,
            paint(status_style(p.status.as_str()), p.status.as_str()),
            if p.retry_count > 0 {
                format!(" (retry {})", p.retry_count)
            } else {
                String::new()
            }
        ),
        None => format!("phase {id}"),
    }
}

/// After `create`.
pub fn created(s: &SessionFile) {
    println!(
        "created {} ({} phase(s)) at {}",
        paint(BOLD, s.id()),
        s.meta.phases.len(),
        s.path.display()
    );
}

/// After `fork`.
pub fn forked(s: &SessionFile) {
    let status = if s.meta.status == SessionStatus::InProgress {
        "active, in progress"
    } else {
        "archived, paused"
    };
    println!(
        "forked {} from {} ({status})",
        paint(BOLD, s.id()),
        s.meta.parent_session.as_deref().unwrap_or("?")
    );
}

/// After `archive`.
pub fn archived(r: &ArchiveReport) {
    if r.already_archived && r.moved.is_empty() {
        println!(
            "{} was already archived at {}",
            r.session_id,
            r.path.display()
        );
    } else {
        println!(
            "archived {} to {}",
            paint(BOLD, &r.session_id),
            r.path.display()
        );
    }
    for (from, to) in &r.moved {
        println!("  moved {} -> {}", from.display(), to.display());
    }
}

/// After `resume`.
pub fn resumed(r: &ResumeReport) {
    if let Some(p) = &r.parked {
        println!("parked {p} (archived as paused)");
    }
    println!(
        "resumed {} (now active, in progress)",
        paint(BOLD, &r.session_id)
    );
    if let Some((id, name)) = &r.last_completed {
        println!("  last completed  phase {id}: {name}");
    }
    match &r.continue_with {
        Some((id, name)) => println!("  continue with   phase {id}: {name}"),
        None => println!("  every phase is done"),
    }
    for (id, name) in &r.failed_phases {
        println!(
            "  {} phase {id}: {name}",
            paint(colour(AnsiColor::Red), "failed")
        );
    }
    for (phase, agent, kind, message) in &r.unresolved_errors {
        println!(
            "  {} phase {phase} {agent} {kind}: {message}",
            paint(colour(AnsiColor::Red), "unresolved")
        );
    }
    for c in &r.conflicts {
        println!(
            "  {} phase {}: {} ({})",
            paint(colour(AnsiColor::Yellow), "conflict"),
            c.phase,
            c.path,
            c.reason
        );
    }
}

/// After `cleanup`.
pub fn deleted(r: &DeleteReport) {
    match &r.quarantined {
        Some(to) => println!(
            "{} could not be read; moved it to {} instead of deleting it",
            r.path.display(),
            to.display()
        ),
        None => println!("deleted {} ({})", r.session_id, r.path.display()),
    }
}

pub fn doctor(r: &DoctorReport) {
    if r.problems.is_empty() {
        println!("{}: nothing to repair", r.state_dir.display());
        return;
    }
    for p in &r.problems {
        println!(
            "{} {}: {}",
            paint(colour(AnsiColor::Yellow).bold(), p.kind.name()),
            p.path,
            p.detail
        );
    }
    for f in &r.fixed {
        println!(
            "{} {}: {}",
            paint(colour(AnsiColor::Green).bold(), "fixed:"),
            f.path,
            f.action
        );
    }
    if !r.fix {
        println!("run `maestro-session doctor --fix` to repair");
    }
}

pub fn cleaned(r: &CleanupReport) {
    let verb = if r.dry_run { "would remove" } else { "removed" };
    if r.removed.is_empty() {
        println!("nothing to remove");
    }
    for (id, path) in &r.removed {
        println!("{verb} {id} ({})", path.display());
    }
    for e in &r.kept_unreadable {
        eprintln!(
            "{} {e}",
            paint(
                colour(AnsiColor::Yellow).bold(),
                "kept unreadable session file:"
            )
        );
    }
}
