//! `maestro-session watch [SESSION] [--once] [--json]`: a live view of one session (issue 11,
//! item 7).
//!
//! A frame shows the session's header, its phases with a progress bar, the agents the hooks see
//! running ([`maestro_session_core::hooks::live`]), tokens by agent and the latest events of its event
//! log. The view is redrawn when the session's folders, the event log's folder or the hook state
//! change (`notify`: inotify on Linux, no polling; a burst of changes is one redraw once the
//! files are quiet for [`DEBOUNCE_MS`]), and when the terminal is resized.
//!
//! - On a terminal each frame replaces the last (`ESC[H ESC[2J`; the cursor is hidden while
//!   watching and shown again on exit), fitted to the terminal's width.
//! - Otherwise (`watch | cat`) each changed frame is printed after a blank line, without escape
//!   codes, at most [`DEFAULT_COLUMNS`] wide; a reader that goes away ends the run with exit 0.
//! - `--json` streams JSON Lines: `{"type":"session","session":{...}}` first and whenever the
//!   session's summary changes, and every event of the log as `log --follow --json` prints it
//!   (an event object has no `type` key).
//! - `--once` prints one frame (or, with `--json`, the session object and the events so far)
//!   and exits.
//!
//! Ctrl-C (SIGINT) or SIGTERM ends the run with exit 0.

use std::collections::VecDeque;
use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anstyle::{AnsiColor, Style};
use anyhow::Context as _;
use maestro_session_core::Env;
use maestro_session_core::hooks::live::{self, LiveAgent};
use maestro_session_core::outputs::watch::{
    WatchLine, WatchSession, WatchSessionLine, WatchSessionTag,
};
use maestro_session_core::session::lifecycle::PhaseStatus;
use maestro_session_core::session::session_file::{Location, SessionFile};
use maestro_session_core::session::terminal_text;
use maestro_session_core::session::timeline::{self, AgentRow};
use maestro_session_core::store::Store;
use maestro_session_core::store::event_log::{Event, EventLog, Tail};
use serde_json::Value;

use crate::output::Report;
use crate::render::{truncate, width};

/// Columns of a frame when the terminal's width is unknown (stdout is not a terminal).
pub const DEFAULT_COLUMNS: usize = 100;
/// How long the files must stay quiet after a change before the view is redrawn, in ms.
const DEBOUNCE_MS: u64 = 50;
/// The longest a redraw waits for the files to stay quiet, in ms (under a stream of changes
/// the view still moves).
const MAX_SETTLE_MS: u64 = 500;
/// How often the loop wakes without a change, to notice Ctrl-C, a closed reader and folders
/// created later, in ms (nothing is redrawn on these wake-ups).
const TICK_MS: u64 = 200;
/// How many of the latest events a frame lists.
const LATEST_EVENTS: usize = 10;
/// Width of the progress bar's inside, at most.
const BAR_WIDTH: usize = 30;
/// Width of the phase-name column, at most.
const NAME_COLUMNS: usize = 32;

/// `watch`.
#[derive(Debug, clap::Args)]
pub struct WatchArgs {
    /// Session id, unique prefix, or `active` (default: the active session; archived sessions
    /// show their final state).
    pub session: Option<String>,
    /// Print one frame and exit (with --json: the session object and the events so far).
    #[arg(long)]
    pub once: bool,
}

/// Runs `watch`.
///
/// Errors: the session does not resolve; the event log cannot be read; stdout fails other
/// than by being closed.
pub fn run(store: &Store, a: WatchArgs, json_mode: bool) -> anyhow::Result<Report> {
    let first = store.get_or_active(a.session.as_deref())?;
    let id = first.meta.session_id.clone();
    let env = Env::process();
    let mut view = View::new(store, &id)?;
    let terminal = std::io::stdout().is_terminal();
    let tty = !json_mode && !a.once && terminal;
    let mut out = Out::new(tty);
    if json_mode {
        let mut text = String::new();
        let mut last_summary = summary(&first);
        push_line(&mut text, &session_line(last_summary.clone()));
        for e in &view.history {
            push_line(&mut text, &e.to_json());
        }
        if !out.write(&text)? || a.once {
            return Ok(Report::silent());
        }
        return follow(store, &id, &mut view, &mut out, |view, out| {
            let mut text = String::new();
            if let Ok(s) = store.get(&id) {
                let now = summary(&s);
                if now != last_summary {
                    push_line(&mut text, &session_line(now.clone()));
                    last_summary = now;
                }
            }
            for e in view.poll()? {
                push_line(&mut text, &e.to_json());
            }
            out.write(&text)
        });
    }
    let frame = |view: &View| -> String {
        let columns = out_columns(terminal);
        let session = store.get(&id);
        let agents = match &session {
            Ok(s) => live::agents(&env, &id, s.location == Location::Active),
            Err(_) => Vec::new(),
        };
        render_frame(&id, session.as_ref().ok(), &agents, view, columns)
    };
    let text = frame(&view);
    if a.once {
        return Ok(Report::new(
            Value::Null, // not reached: --json is handled above
            text,
        ));
    }
    out.start();
    let mut last = text;
    let printed = out.frame(&last)?;
    let ended = if printed {
        follow(store, &id, &mut view, &mut out, |view, out| {
            view.poll()?;
            let text = frame(view);
            if text == last && !out.resized() {
                return Ok(true);
            }
            last = text;
            out.frame(&last)
        })
    } else {
        Ok(Report::silent())
    };
    out.finish();
    ended
}

/// What a frame shows of the event log: the latest events and the follower that brings new
/// ones.
struct View {
    /// The project's teams (issue 19): those tied to the session are shown with their states.
    teams: maestro_session_core::team::record::Teams,
    tail: Tail,
    history: Vec<Event>,
    latest: VecDeque<Event>,
}

impl View {
    fn new(store: &Store, id: &str) -> anyhow::Result<View> {
        let (_, log) = store.events(id)?;
        let tail = store.tail(id, log.end)?;
        let history: Vec<Event> = log.events.into_iter().map(|(_, e)| e).collect();
        let latest = history
            .iter()
            .rev()
            .take(LATEST_EVENTS)
            .rev()
            .cloned()
            .collect();
        Ok(View {
            teams: super::team::teams_of(store),
            tail,
            history,
            latest,
        })
    }

    /// The events appended since the last poll (also kept among the latest).
    fn poll(&mut self) -> anyhow::Result<Vec<Event>> {
        let EventLog { events, .. } = self.tail.poll()?;
        let fresh: Vec<Event> = events.into_iter().map(|(_, e)| e).collect();
        for e in &fresh {
            if self.latest.len() == LATEST_EVENTS {
                self.latest.pop_front();
            }
            self.latest.push_back(e.clone());
        }
        self.history.clear();
        Ok(fresh)
    }
}

/// Waits for changes and calls `step` after each (debounced) one, until Ctrl-C, SIGTERM or
/// `step` reports a closed stdout (`false`).
fn follow(
    store: &Store,
    id: &str,
    view: &mut View,
    out: &mut Out,
    mut step: impl FnMut(&mut View, &mut Out) -> anyhow::Result<bool>,
) -> anyhow::Result<Report> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, stop.clone()).context("handle Ctrl-C")?;
    }
    crate::terminal::on_resize(out.winch.clone()).context("handle terminal resizes")?;
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    // notify fails (no inotify instances left, say): then a change is looked for every tick.
    let mut watcher = notify::recommended_watcher(move |_: notify::Result<notify::Event>| {
        let _ = tx.send(());
    })
    .ok();
    let mut folders = watched_folders(store, id, view);
    let mut watched: Vec<bool> = vec![false; folders.len()];
    loop {
        if let Some(w) = watcher.as_mut() {
            use notify::Watcher as _;
            for ((folder, mode), done) in folders.iter().zip(watched.iter_mut()) {
                if !*done && folder.is_dir() {
                    *done = w.watch(folder, *mode).is_ok();
                }
            }
        }
        let changed = match watcher {
            Some(_) => rx.recv_timeout(Duration::from_millis(TICK_MS)).is_ok(),
            None => {
                std::thread::sleep(Duration::from_millis(TICK_MS));
                true
            }
        };
        if stop.load(Ordering::Relaxed) || out.reader_gone() {
            return Ok(Report::silent());
        }
        if !changed && !out.winch.load(Ordering::Relaxed) {
            continue;
        }
        settle(&rx);
        if !step(view, out)? {
            return Ok(Report::silent());
        }
        // A session moved (archived, resumed) is watched where it now lies.
        let now = watched_folders(store, id, view);
        if now != folders {
            watched = vec![false; now.len()];
            folders = now;
        }
    }
}

/// Waits until no change has come for [`DEBOUNCE_MS`] (at most [`MAX_SETTLE_MS`]), so a
/// command's burst (its session file's replace, then its event line) makes one frame.
fn settle(rx: &std::sync::mpsc::Receiver<()>) {
    let start = std::time::Instant::now();
    while rx.recv_timeout(Duration::from_millis(DEBOUNCE_MS)).is_ok() {
        if start.elapsed() > Duration::from_millis(MAX_SETTLE_MS) {
            break;
        }
    }
    while rx.try_recv().is_ok() {}
}

/// The folders whose changes redraw the view: the session file's folder (and the state
/// folder, where the active session lies), the event log's folder and the hook base.
fn watched_folders(store: &Store, id: &str, view: &View) -> Vec<(PathBuf, notify::RecursiveMode)> {
    use notify::RecursiveMode::{NonRecursive, Recursive};
    let state = view.tail.folder().parent().map(PathBuf::from);
    let mut out = Vec::new();
    if let Some(state) = &state {
        out.push((state.clone(), NonRecursive));
        out.push((state.join("archive"), NonRecursive));
    }
    if let Ok(s) = store.get(id)
        && let Some(parent) = s.path.parent()
        && !out.iter().any(|(p, _)| p == parent)
    {
        out.push((parent.to_path_buf(), NonRecursive));
    }
    out.push((view.tail.folder(), NonRecursive));
    if let Some(base) = live::base(&Env::process()) {
        out.push((base, Recursive));
    }
    out
}

/// Stdout of the view: a terminal (frames replace each other) or not (frames follow each
/// other after a blank line).
struct Out {
    tty: bool,
    frames: usize,
    winch: Arc<AtomicBool>,
    cursor_hidden: bool,
}

impl Out {
    fn new(tty: bool) -> Out {
        Out {
            tty,
            frames: 0,
            winch: Arc::new(AtomicBool::new(false)),
            cursor_hidden: false,
        }
    }

    /// Hides the cursor on a terminal.
    fn start(&mut self) {
        if self.tty {
            self.cursor_hidden = self.raw("\x1b[?25l").unwrap_or(false);
        }
    }

    /// Shows the cursor again if it was hidden.
    fn finish(&mut self) {
        if self.cursor_hidden {
            let _ = self.raw("\x1b[?25h\n");
            self.cursor_hidden = false;
        }
    }

    /// Whether the terminal was resized since the last call.
    fn resized(&self) -> bool {
        self.winch.swap(false, Ordering::Relaxed)
    }

    /// Prints one frame; `false` when stdout is closed.
    fn frame(&mut self, text: &str) -> anyhow::Result<bool> {
        self.winch.store(false, Ordering::Relaxed);
        if self.tty {
            if !self.raw("\x1b[H\x1b[2J")? {
                return Ok(false);
            }
        } else if self.frames > 0 && !self.write("\n")? {
            return Ok(false);
        }
        self.frames += 1;
        let text = if self.tty {
            clip_rows(text, out_rows())
        } else {
            text
        };
        let text = terminal_text::output(text);
        let mut out = anstream::stdout().lock();
        done(out.write_all(text.as_bytes()).and_then(|()| out.flush()))
    }

    /// Writes `text` as it is (no styles to strip).
    fn write(&mut self, text: &str) -> anyhow::Result<bool> {
        if text.is_empty() {
            return Ok(true);
        }
        self.raw(text)
    }

    fn raw(&self, text: &str) -> anyhow::Result<bool> {
        let mut out = std::io::stdout().lock();
        done(out.write_all(text.as_bytes()).and_then(|()| out.flush()))
    }

    /// Whether the reader of a piped stdout has gone (so the run ends without waiting for the
    /// next change to find out by writing).
    fn reader_gone(&self) -> bool {
        if self.tty {
            return false;
        }
        crate::terminal::reader_gone()
    }
}

/// `Ok(true)` when written, `Ok(false)` when stdout is closed.
fn done(r: std::io::Result<()>) -> anyhow::Result<bool> {
    match r {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(e).context("write stdout"),
    }
}

fn push_line(text: &mut String, line: &impl serde::Serialize) {
    // Our own types and parsed JSON: serialising cannot fail.
    text.push_str(&serde_json::to_string(line).unwrap_or_default());
    text.push('\n');
}

/// The columns a frame may use: the terminal's width, else [`DEFAULT_COLUMNS`].
fn out_columns(terminal: bool) -> usize {
    if terminal
        && let Some((cols, _)) = crate::terminal::size()
        && cols > 0
    {
        return usize::from(cols);
    }
    DEFAULT_COLUMNS
}

/// The terminal's height in rows, when known.
fn out_rows() -> Option<usize> {
    crate::terminal::size()
        .map(|(_, rows)| usize::from(rows))
        .filter(|&rows| rows > 0)
}

/// The first lines of `text` that fit `rows` terminal rows (one is left for the cursor), so a
/// tall frame does not scroll its header away; all of it when the height is unknown.
fn clip_rows(text: &str, rows: Option<usize>) -> &str {
    let Some(rows) = rows else {
        return text;
    };
    let keep = rows.saturating_sub(1).max(1);
    match text.match_indices('\n').nth(keep - 1) {
        Some((end, _)) => &text[..=end],
        None => text,
    }
}

/// The session object of `--json`: what a frame's header shows.
pub fn summary(s: &SessionFile) -> WatchSession {
    WatchSession::of(s)
}

/// The session line of `--json`.
fn session_line(session: WatchSession) -> WatchLine {
    WatchLine::Session(Box::new(WatchSessionLine {
        kind: WatchSessionTag::Session,
        session,
    }))
}

/// One line of a frame: styled segments.
type Line = Vec<(String, Style)>;

const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();

fn colour(c: AnsiColor) -> Style {
    Style::new().fg_color(Some(c.into()))
}

fn status_style(status: PhaseStatus) -> Style {
    match status {
        PhaseStatus::InProgress => colour(AnsiColor::Cyan),
        PhaseStatus::Completed => colour(AnsiColor::Green),
        PhaseStatus::Failed => colour(AnsiColor::Red),
        PhaseStatus::Pending => colour(AnsiColor::Yellow),
        PhaseStatus::Skipped => DIM,
    }
}

/// Text from a session made safe for a terminal ([`terminal_text::line`]): no control
/// (escape sequences a model may have written) or bidirectional formatting character.
fn clean(text: &str) -> String {
    terminal_text::line(text).into_owned()
}

/// `text` padded with spaces to `columns` display columns (cut with `…` when wider).
fn cell(text: &str, columns: usize) -> String {
    let text = if width(text) > columns {
        truncate(text, columns.max(1))
    } else {
        text.to_string()
    };
    let fill = columns.saturating_sub(width(&text));
    format!("{text}{}", " ".repeat(fill))
}

/// A frame: the lines, each cut to `columns` display columns.
fn render_frame(
    id: &str,
    session: Option<&SessionFile>,
    agents: &[LiveAgent],
    view: &View,
    columns: usize,
) -> String {
    let columns = columns.max(1);
    let mut lines: Vec<Line> = Vec::new();
    let plain = |s: String| (s, Style::new());
    match session {
        None => lines.push(vec![(
            format!(
                "session {} is gone (deleted, or not readable now)",
                clean(id)
            ),
            colour(AnsiColor::Red),
        )]),
        Some(s) => {
            let m = &s.meta;
            lines.push(vec![
                (clean(&m.session_id), BOLD),
                plain(format!("  {}", m.status.as_str())),
                plain(
                    m.stage
                        .map(|st| format!("  stage {}", st.as_str()))
                        .unwrap_or_default(),
                ),
                (format!("  ({})", s.location.as_str()), DIM),
            ]);
            lines.push(vec![plain(format!("task: {}", clean(&m.task)))]);
            let done = m.phases_done();
            let total = usize::try_from(m.phase_count()).unwrap_or(usize::MAX);
            let bar = BAR_WIDTH.min(columns.saturating_sub(30)).max(5);
            let filled = (done * bar).checked_div(total).unwrap_or(0).min(bar);
            lines.push(vec![
                plain("progress [".into()),
                ("#".repeat(filled), colour(AnsiColor::Green)),
                ("-".repeat(bar - filled), DIM),
                plain(format!("] {done}/{total} phases")),
                (format!("  updated {}", clean(&m.updated)), DIM),
            ]);
            lines.push(Vec::new());
            lines.push(vec![("PHASES".into(), BOLD)]);
            if m.phases.is_empty() {
                lines.push(vec![("  (no phases)".into(), DIM)]);
            }
            let id_w = m
                .phases
                .iter()
                .map(|p| width(&clean(&p.id.to_string())).min(12))
                .max()
                .unwrap_or(1);
            let name_w = m
                .phases
                .iter()
                .map(|p| width(&clean(&p.name)))
                .max()
                .unwrap_or(4)
                .clamp(4, NAME_COLUMNS);
            for p in &m.phases {
                let mut notes = Vec::new();
                if p.retry_count > 0 {
                    notes.push(format!("retries {}", p.retry_count));
                }
                let open = p.errors.iter().filter(|e| !e.resolved).count();
                if !p.errors.is_empty() {
                    notes.push(format!("errors {} ({open} open)", p.errors.len()));
                }
                lines.push(vec![
                    plain(format!("  {} ", cell(&clean(&p.id.to_string()), id_w))),
                    plain(format!("{} ", cell(&clean(&p.name), name_w))),
                    (cell(p.status.as_str(), 12), status_style(p.status)),
                    plain(format!(" {}", clean(&p.agents.join(",")))),
                    (
                        if notes.is_empty() {
                            String::new()
                        } else {
                            format!("  {}", notes.join(", "))
                        },
                        colour(AnsiColor::Red),
                    ),
                ]);
            }
            lines.push(Vec::new());
            lines.push(vec![("ACTIVE AGENTS".into(), BOLD)]);
            if agents.is_empty() {
                lines.push(vec![("  (none)".into(), DIM)]);
            }
            for a in agents {
                lines.push(vec![
                    (format!("  {}", clean(&a.agent)), colour(AnsiColor::Cyan)),
                    (
                        format!(
                            "  {} of runtime session {}",
                            if a.active { "active" } else { "sub-agent" },
                            clean(&a.runtime_session)
                        ),
                        DIM,
                    ),
                ]);
            }
            lines.push(Vec::new());
            token_lines(&mut lines, &timeline::agents(m));
        }
    }
    lines.push(Vec::new());
    lines.push(vec![("LATEST EVENTS".into(), BOLD)]);
    if view.latest.is_empty() {
        lines.push(vec![("  (none)".into(), DIM)]);
    }
    for e in &view.latest {
        lines.push(vec![plain(format!("  {}", clean(&super::log::line(e))))]);
    }
    if let Some(s) = session {
        for l in super::team::watch_lines(&view.teams, &s.meta) {
            lines.push(vec![plain(clean(&l))]);
        }
    }
    let mut text = String::new();
    for line in &lines {
        text.push_str(&fit(line, columns));
        text.push('\n');
    }
    text
}

fn token_lines(lines: &mut Vec<Line>, agents: &[AgentRow]) {
    let transcripts = agents.iter().any(|a| a.transcript.is_some());
    let agent_w = agents
        .iter()
        .map(|a| width(&clean(&a.agent)))
        .max()
        .unwrap_or(5)
        .clamp(5, 24);
    let mut header = format!(
        "TOKENS BY AGENT\n{}{:>12}{:>12}{:>12}",
        cell("  agent", agent_w + 2),
        "input",
        "output",
        "cached"
    );
    if transcripts {
        header.push_str("  transcript in/out/cached");
    }
    let mut parts = header.split('\n');
    if let Some(first) = parts.next() {
        lines.push(vec![(first.to_string(), BOLD)]);
    }
    if agents.is_empty() {
        lines.push(vec![("  (none reported)".into(), DIM)]);
        return;
    }
    if let Some(second) = parts.next() {
        lines.push(vec![(second.to_string(), DIM)]);
    }
    let (mut ti, mut to, mut tc) = (0u64, 0u64, 0u64);
    for a in agents {
        ti = ti.saturating_add(a.input);
        to = to.saturating_add(a.output);
        tc = tc.saturating_add(a.cached);
        let mut row = format!(
            "  {}{:>12}{:>12}{:>12}",
            cell(&clean(&a.agent), agent_w),
            a.input,
            a.output,
            a.cached
        );
        if let Some(t) = a.transcript {
            row.push_str(&format!("  {}/{}/{}", t.input, t.output, t.cached));
        }
        lines.push(vec![(row, Style::new())]);
    }
    lines.push(vec![(
        format!("  {}{ti:>12}{to:>12}{tc:>12}", cell("total", agent_w)),
        BOLD,
    )]);
}

/// `line` painted and cut to `columns` display columns (the last segment that does not fit
/// ends with `…`).
fn fit(line: &Line, columns: usize) -> String {
    let mut out = String::new();
    let mut left = columns;
    for (text, style) in line {
        if text.is_empty() {
            continue;
        }
        if left == 0 {
            break;
        }
        let w = width(text);
        let shown = if w <= left {
            text.clone()
        } else {
            truncate(text, left)
        };
        left = left.saturating_sub(width(&shown));
        out.push_str(&format!("{style}{shown}{style:#}"));
        if w > width(&shown) {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_cuts_wide_text_to_the_columns() {
        let line: Line = vec![
            ("任务".repeat(40), Style::new()),
            ("tail".into(), Style::new()),
        ];
        for columns in [1, 2, 3, 10, 99, 100] {
            let text = fit(&line, columns);
            let bare: String = anstream::adapter::strip_str(&text).to_string();
            assert!(width(&bare) <= columns, "{columns}: {bare}");
        }
    }

    #[test]
    fn clip_rows_keeps_what_fits() {
        let text = "a\nb\nc\n";
        assert_eq!(clip_rows(text, None), text);
        assert_eq!(clip_rows(text, Some(3)), "a\nb\n");
        assert_eq!(clip_rows(text, Some(1)), "a\n");
        assert_eq!(clip_rows(text, Some(0)), "a\n");
        assert_eq!(clip_rows(text, Some(10)), text);
    }

    #[test]
    fn cells_and_lines_never_exceed_any_width() {
        let texts = [
            "",
            "a",
            "任务任务任务",
            "\u{301}combining",
            "x".repeat(300).leak(),
        ];
        for columns in 0..=120 {
            for t in texts {
                let c = cell(t, columns);
                assert!(width(&c) <= columns.max(1), "{columns} {c:?}");
                let line: Line = vec![(t.to_string(), BOLD), (t.to_string(), DIM)];
                let fitted = anstream::adapter::strip_str(&fit(&line, columns.max(1))).to_string();
                assert!(width(&fitted) <= columns.max(1), "{columns} {fitted:?}");
            }
        }
    }

    #[test]
    fn clean_removes_escape_sequences() {
        assert_eq!(clean("a\x1b[2Jb\n\u{202e}"), "a[2Jb ");
    }
}
