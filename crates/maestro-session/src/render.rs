//! Human output as text: tables sized by display width, a progress bar, colour (stripped
//! when printed to anything but a terminal, or with `NO_COLOR`; see [`crate::output`]). The
//! `--json` shapes are [`crate::json`]'s.

use anstream::eprintln;
use anstyle::{AnsiColor, Style};
use maestro_session_core::clock;
use maestro_session_core::error::Error;
use maestro_session_core::operations::Operation;
use maestro_session_core::session::lifecycle::{PhaseStatus, SessionStatus};
use maestro_session_core::session::model::{Phase, PhaseId};
use maestro_session_core::session::session_file::{Location, SessionFile};
use maestro_session_core::session::terminal_text;
use maestro_session_core::store::doctor::DoctorReport;
use maestro_session_core::store::listing::SessionSummary;
use maestro_session_core::store::{
    ArchiveReport, CleanupReport, Conflict, DeleteReport, ResumeReport,
};
use serde_json::json;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Session text (a task, a name, a message, a path) for one terminal line: no control or
/// bidirectional formatting character ([`terminal_text::line`]). Every field a model or a file
/// wrote goes through it before it is printed, measured or padded.
fn t(text: &str) -> std::borrow::Cow<'_, str> {
    terminal_text::line(text)
}

/// [`t`] of a path.
fn tp(path: &std::path::Path) -> String {
    t(&path.display().to_string()).into_owned()
}

/// Appends one formatted line to a `String` (writing to a `String` cannot fail).
macro_rules! out {
    ($buf:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($buf, $($arg)*);
    }};
}

const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();

fn colour(c: AnsiColor) -> Style {
    Style::new().fg_color(Some(c.into()))
}

/// Whether stdout shows colour: anstream's decision (a terminal, `NO_COLOR` unset, …), made
/// once. Tables skip their styles when it does not, so nothing needs stripping.
fn stdout_colour() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| {
        anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
    })
}

/// [`paint`] for text printed on stdout: plain when stdout shows no colour.
fn paint_stdout(style: Style, text: &str) -> String {
    if stdout_colour() {
        paint(style, text)
    } else {
        text.to_string()
    }
}

fn paint(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

fn status_style(status: &str) -> Style {
    match status {
        "in_progress" => colour(AnsiColor::Cyan),
        "completed" => colour(AnsiColor::Green),
        "failed" | "timeout" | "interrupted" => colour(AnsiColor::Red),
        "paused" | "pending" => colour(AnsiColor::Yellow),
        _ => DIM,
    }
}

/// Prints `error: <message>` on stderr.
pub fn error_line(message: &str) {
    eprintln!(
        "{} {}",
        paint(colour(AnsiColor::Red).bold(), "error:"),
        terminal_text::text(message)
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
                "{} {}",
                paint(
                    colour(AnsiColor::Yellow).bold(),
                    "warning: unreadable session file:"
                ),
                terminal_text::text(&e.to_string())
            );
        }
    }
}

/// The display width of `text` in terminal columns (a CJK character takes two).
pub fn width(text: &str) -> usize {
    // Printable ASCII is one column a byte: skip the table lookups for the common case.
    // (A fold without early exit, so the check runs over whole vectors of bytes.)
    if text
        .bytes()
        .fold(true, |ok, b| ok & (b.wrapping_sub(0x20) < 0x5f))
    {
        return text.len();
    }
    UnicodeWidthStr::width(text)
}

/// `text` for one line ([`terminal_text::line`]) cut to at most `max` columns, ending in `…`
/// when cut.
pub fn truncate(text: &str, max: usize) -> String {
    let text = t(text);
    let text = text.as_ref();
    if width(text) <= max {
        return text.to_string();
    }
    let mut cut = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > max {
            break;
        }
        cut.push(c);
        used += w;
    }
    cut.push('…');
    cut
}

/// A table with a bold header; each column is as wide as its widest cell (in display
/// columns). The last column is not padded. Cells are made terminal-safe ([`t`]) and then
/// measured, so padding counts what is shown. Cells are written straight into `out` (a 10,000
/// row `list` is one pass, no string per cell unless one needs cleaning).
fn table(out: &mut String, header: &[&str], rows: &[Vec<(String, Style)>]) {
    use std::fmt::Write as _;
    let cleaned: Vec<Vec<(std::borrow::Cow<'_, str>, Style)>> = rows
        .iter()
        .map(|row| row.iter().map(|(cell, style)| (t(cell), *style)).collect())
        .collect();
    let rows = &cleaned;
    let cell_widths: Vec<Vec<usize>> = rows
        .iter()
        .map(|row| row.iter().map(|(cell, _)| width(cell)).collect())
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for row in &cell_widths {
        for (i, w) in row.iter().enumerate() {
            widths[i] = widths[i].max(*w);
        }
    }
    let last = header.len() - 1;
    let header: Vec<(std::borrow::Cow<'_, str>, Style)> =
        header.iter().map(|h| (t(h), BOLD)).collect();
    let header_widths: Vec<usize> = header.iter().map(|(h, _)| width(h)).collect();
    let colour = stdout_colour();
    for (row, row_widths) in
        std::iter::once((&header, &header_widths)).chain(rows.iter().zip(&cell_widths))
    {
        let start = out.len();
        for (i, ((cell, style), w)) in row.iter().zip(row_widths).enumerate() {
            if i > 0 {
                out.push_str("  ");
            }
            if colour {
                let _ = write!(out, "{style}");
            }
            out.push_str(cell);
            if i != last {
                out.extend(std::iter::repeat_n(' ', widths[i].saturating_sub(*w)));
            }
            if colour {
                let _ = write!(out, "{style:#}");
            }
        }
        let kept = out[start..].trim_end().len();
        out.truncate(start + kept);
        out.push('\n');
    }
}

fn plain(s: impl Into<String>) -> (String, Style) {
    (s.into(), Style::new())
}

/// The width `list` fits its table in, unless `--wide`.
pub const LIST_COLUMNS: usize = 100;

/// The narrowest the task column gets before ids are cut too.
const MIN_TASK_COLUMNS: usize = 16;

/// `list`: one row per session in the order given; without `wide` the table fits
/// [`LIST_COLUMNS`], long tasks (then long ids) cut with `…` by display width.
/// `interrupted` names the active session whose run was interrupted: its status reads
/// `interrupted`.
pub fn list(rows: &[SessionSummary], wide: bool, interrupted: Option<&str>) -> String {
    let mut out = String::new();
    if rows.is_empty() {
        out!(out, "no sessions");
        return out;
    }
    const HEADER: [&str; 7] = ["ID", "TASK", "STATUS", "STAGE", "PHASES", "TOKENS", "AGE"];
    let now = jiff::Timestamp::now();
    let marker = |r: &SessionSummary| {
        if r.location == Location::Active {
            " *"
        } else {
            ""
        }
    };
    let rest: Vec<[String; 5]> = rows
        .iter()
        .map(|r| {
            let interrupted =
                r.location == Location::Active && interrupted == Some(r.session_id.as_str());
            [
                if interrupted {
                    "interrupted".to_string()
                } else {
                    r.status.to_string()
                },
                r.stage.clone().unwrap_or_else(|| "-".into()),
                format!("{}/{}", r.phases_done, r.total_phases),
                r.tokens.to_string(),
                clock::parse_iso(&r.updated)
                    .map(|t| clock::age(t, now))
                    .unwrap_or_else(|| "?".into()),
            ]
        })
        .collect();
    let (id_columns, task_columns) = if wide {
        (usize::MAX, usize::MAX)
    } else {
        let fixed: usize = (0..5)
            .map(|i| {
                rest.iter()
                    .map(|cells| width(&cells[i]))
                    .chain([width(HEADER[i + 2])])
                    .max()
                    .unwrap_or(0)
            })
            .sum();
        let room = LIST_COLUMNS.saturating_sub(fixed + 2 * (HEADER.len() - 1));
        let widest = |cells: &mut dyn Iterator<Item = usize>| cells.max().unwrap_or(0);
        let ids = widest(&mut rows.iter().map(|r| width(&r.session_id) + width(marker(r))))
            .max(width(HEADER[0]));
        let tasks = widest(&mut rows.iter().map(|r| width(&t(&r.task)))).max(width(HEADER[1]));
        let task = tasks.min(room.saturating_sub(ids).max(MIN_TASK_COLUMNS));
        (room.saturating_sub(task).max(4), task)
    };
    let body: Vec<Vec<(String, Style)>> = rows
        .iter()
        .zip(rest)
        .map(|(r, [status, stage, phases, tokens, age])| {
            let mark = marker(r);
            let id = truncate(&r.session_id, id_columns.saturating_sub(width(mark)));
            let id_style = if mark.is_empty() { Style::new() } else { BOLD };
            let status_style = status_style(&status);
            vec![
                (format!("{id}{mark}"), id_style),
                plain(truncate(&r.task, task_columns)),
                (status, status_style),
                plain(stage),
                plain(phases),
                plain(tokens),
                plain(age),
            ]
        })
        .collect();
    table(&mut out, &HEADER, &body);
    out!(
        out,
        "{}",
        paint_stdout(
            DIM,
            &format!(
                "{} session(s); * = active{}",
                rows.len(),
                if interrupted.is_some() {
                    "; interrupted = in progress, but its runtime ended without a SessionEnd"
                } else {
                    ""
                }
            )
        )
    );
    out
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
pub fn show(s: &SessionFile, conflicts: &[Conflict], log: bool) -> String {
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

/// `status <id>`.
pub fn status(s: &SessionFile) -> String {
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

/// After an operation.
pub fn changed(s: &SessionFile, op: &Operation) -> String {
    let mut out = String::new();
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
            let u = &m.token_usage;
            let a = u
                .by_agent
                .get(agent.as_str())
                .map(|a| format!("{} {}/{}/{}", t(agent), a.input, a.output, a.cached))
                .unwrap_or_default();
            format!(
                "tokens {a} (input/output/cached); total {}/{}/{}",
                u.total_input, u.total_output, u.total_cached
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
        Operation::SetField { key, .. } => format!("{} set", t(key)),
        Operation::RequireReconciliation(id) => format!("phase {id} needs reconciliation"),
        Operation::Reconcile(r) => format!("phase {} reconciled", r.phase),
    };
    out!(out, "{}: {what}", m.session_id);
    out
}

fn phase_line(s: &SessionFile, id: &PhaseId) -> String {
    match s.meta.phase(id) {
        Some(p) => format!(
            "phase {} {} {}{}",
            t(&id.to_string()),
            t(&p.name),
            paint(status_style(p.status.as_str()), p.status.as_str()),
            if p.retry_count > 0 {
                format!(" (retry {})", p.retry_count)
            } else {
                String::new()
            }
        ),
        None => format!("phase {}", t(&id.to_string())),
    }
}

/// After `create`.
pub fn created(s: &SessionFile) -> String {
    let mut out = String::new();
    out!(
        out,
        "created {} ({} phase(s)) at {}",
        paint(BOLD, s.id()),
        s.meta.phases.len(),
        tp(&s.path)
    );
    out
}

/// After `fork`.
pub fn forked(s: &SessionFile) -> String {
    let mut out = String::new();
    let status = if s.meta.status == SessionStatus::InProgress {
        "active, in progress"
    } else {
        "archived, paused"
    };
    out!(
        out,
        "forked {} from {} ({status})",
        paint(BOLD, s.id()),
        t(s.meta.parent_session.as_deref().unwrap_or("?"))
    );
    out
}

/// After `archive`.
pub fn archived(r: &ArchiveReport) -> String {
    let mut out = String::new();
    if r.already_archived && r.moved.is_empty() {
        out!(
            out,
            "{} was already archived at {}",
            r.session_id,
            tp(&r.path)
        );
    } else {
        out!(
            out,
            "archived {} to {}",
            paint(BOLD, &r.session_id),
            tp(&r.path)
        );
    }
    for (from, to) in &r.moved {
        out!(out, "  moved {} -> {}", tp(from), tp(to));
    }
    out
}

/// After `resume`.
pub fn resumed(r: &ResumeReport) -> String {
    let mut out = String::new();
    if let Some(p) = &r.parked {
        out!(out, "parked {p} (archived as paused)");
    }
    out!(
        out,
        "resumed {} (now active, in progress)",
        paint(BOLD, &r.session_id)
    );
    if let Some((id, name)) = &r.last_completed {
        out!(
            out,
            "  last completed  phase {}: {}",
            t(&id.to_string()),
            t(name)
        );
    }
    match &r.continue_with {
        Some((id, name)) => out!(
            out,
            "  continue with   phase {}: {}",
            t(&id.to_string()),
            t(name)
        ),
        None => out!(out, "  every phase is done"),
    }
    for (id, name) in &r.failed_phases {
        out!(
            out,
            "  {} phase {}: {}",
            paint(colour(AnsiColor::Red), "failed"),
            t(&id.to_string()),
            t(name)
        );
    }
    for (phase, agent, kind, message) in &r.unresolved_errors {
        out!(
            out,
            "  {} phase {} {} {}: {}",
            paint(colour(AnsiColor::Red), "unresolved"),
            t(&phase.to_string()),
            t(agent),
            t(kind),
            t(message)
        );
    }
    for c in &r.conflicts {
        out!(
            out,
            "  {} phase {}: {} ({})",
            paint(colour(AnsiColor::Yellow), "conflict"),
            t(&c.phase.to_string()),
            t(&c.path),
            t(&c.reason)
        );
    }
    out
}

/// After `delete`.
pub fn deleted(r: &DeleteReport) -> String {
    let mut out = String::new();
    match &r.quarantined {
        Some(to) => out!(
            out,
            "{} could not be read; moved it to {} instead of deleting it",
            tp(&r.path),
            tp(to)
        ),
        None => out!(out, "deleted {} ({})", t(&r.session_id), tp(&r.path)),
    }
    out
}

/// `doctor`: the problems found and the repairs made.
pub fn doctor(r: &DoctorReport) -> String {
    let mut out = String::new();
    if r.problems.is_empty() {
        out!(out, "{}: nothing to repair", tp(&r.state_dir));
        return out;
    }
    for p in &r.problems {
        out!(
            out,
            "{} {}: {}",
            paint(colour(AnsiColor::Yellow).bold(), p.kind.name()),
            t(&p.path),
            t(&p.detail)
        );
        if !r.fix && !p.remedy.is_empty() {
            out!(out, "  {}", p.remedy);
        }
    }
    for f in &r.fixed {
        out!(
            out,
            "{} {}: {}",
            paint(colour(AnsiColor::Green).bold(), "fixed:"),
            t(&f.path),
            t(&f.action)
        );
    }
    for u in &r.unrepaired {
        out!(
            out,
            "{} {}: {}",
            paint(colour(AnsiColor::Red).bold(), "not repaired:"),
            u.path,
            u.detail
        );
        out!(out, "  {}", u.remedy);
    }
    if !r.fix {
        out!(out, "run `maestro-session doctor --fix` to repair");
    }
    out
}

/// After `cleanup`.
pub fn cleaned(r: &CleanupReport) -> String {
    let mut out = String::new();
    let verb = if r.dry_run { "would remove" } else { "removed" };
    if r.removed.is_empty() {
        out!(out, "nothing to remove");
    }
    for (id, path) in &r.removed {
        out!(out, "{verb} {} ({})", t(id), tp(path));
    }
    for e in &r.kept_unreadable {
        eprintln!(
            "{} {}",
            paint(
                colour(AnsiColor::Yellow).bold(),
                "kept unreadable session file:"
            ),
            terminal_text::text(&e.to_string())
        );
    }
    out
}

#[cfg(test)]
mod width_tests {
    use super::*;

    #[test]
    fn the_ascii_fast_path_agrees_with_unicode_width() {
        let printable: String = (0x20u8..0x7f).map(char::from).collect();
        for text in [
            "",
            printable.as_str(),
            "tab\there",
            "nul\0",
            "del\x7f",
            "日本語",
            "é",
            "a…b",
        ] {
            assert_eq!(width(text), UnicodeWidthStr::width(text), "{text:?}");
        }
    }
}
