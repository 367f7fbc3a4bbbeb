//! `maestro-session log SESSION [--follow] [--since T] [--json]`: prints a session's event log
//! (see `maestro_session_core::store::event_log`).
//!
//! Without `--follow` the output is a [`Report`]: `--json` prints one object
//! `{"session": id, "events": [event, ...], "skipped_lines": [n, ...]}`, each event exactly as
//! its line holds it; the human text is one line per event (local time, actor, op, what
//! changed). With `--follow` the events so far are printed, then each appended one as it
//! comes (`--json`: JSON Lines, one event object per line, flushed), until Ctrl-C or a closed
//! stdout, which end the run with exit 0. Lines that reads skip are named on stderr.

use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use maestro_session_core::clock;
use maestro_session_core::outputs::command::LogOutput;
use maestro_session_core::store::Store;
use maestro_session_core::store::event_log::{Change, Event, EventLog, Side};
use serde_json::Value;

use crate::output::Report;

/// How long `--follow` waits between checks when no change is announced (also how soon it
/// notices Ctrl-C and a log folder created later), in ms.
const FOLLOW_POLL_MS: u64 = 200;
/// The most changes the human text lists for one event; the rest are counted.
const MAX_CHANGES_SHOWN: usize = 6;
/// The most characters of one value the human text shows.
const MAX_VALUE_CHARS: usize = 60;

/// `log`.
#[derive(Debug, clap::Args)]
pub struct LogArgs {
    /// Session id, unique prefix, or `active` (active or archived; the exact id of a deleted
    /// session finds the log it left).
    pub session: String,
    /// Keep printing events as they are appended, until Ctrl-C (with --json: one event object
    /// per line).
    #[arg(long)]
    pub follow: bool,
    /// Only events since this time: an age (90s, 30m, 2h, 7d, 2w ago), an RFC 3339 time, or a
    /// date.
    #[arg(long)]
    pub since: Option<String>,
}

/// Runs `log`.
///
/// Errors: the session does not resolve; `--since` is not a time; the log cannot be read;
/// with `--follow`, stdout fails other than by being closed.
pub fn run(store: &Store, a: LogArgs, json_mode: bool) -> anyhow::Result<Report> {
    let cutoff = a
        .since
        .as_deref()
        .map(|t| clock::parse_point(t, jiff::Timestamp::now()))
        .transpose()?;
    let (id, log) = store.events(&a.session)?;
    let keep = |e: &Event| match (cutoff, e.time.parse::<jiff::Timestamp>()) {
        (Some(cut), Ok(t)) => t >= cut,
        _ => true,
    };
    if !a.follow {
        let events: Vec<&Event> = log
            .events
            .iter()
            .map(|(_, e)| e)
            .filter(|e| keep(e))
            .collect();
        let json = crate::output::json(&LogOutput {
            session: id.clone(),
            events: events.iter().map(|e| e.to_json()).collect(),
            skipped_lines: log.skipped.clone(),
        })?;
        let mut human = String::new();
        for e in &events {
            human.push_str(&line(e));
            human.push('\n');
        }
        if events.is_empty() {
            human.push_str(&format!("no events for session {id}\n"));
        }
        warn_skipped(store, &id, &log);
        return Ok(Report::new(json, human));
    }
    follow(store, &id, log, json_mode, &keep)
}

/// `--follow`: prints `first`, then what is appended, until Ctrl-C or a closed stdout.
fn follow(
    store: &Store,
    id: &str,
    first: EventLog,
    json_mode: bool,
    keep: &dyn Fn(&Event) -> bool,
) -> anyhow::Result<Report> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, stop.clone()).context("handle Ctrl-C")?;
    }
    let mut tail = store.tail(id, first.end)?;
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    // notify fails (no inotify instances left, say): then polling alone finds appends.
    let mut watcher = notify::recommended_watcher(move |_: notify::Result<notify::Event>| {
        let _ = tx.send(());
    })
    .ok();
    let mut watching = false;
    let mut batch = first;
    loop {
        if !print(store, id, &batch, json_mode, keep)? {
            return Ok(Report::silent());
        }
        if !watching && let Some(w) = watcher.as_mut() {
            use notify::Watcher as _;
            let folder = tail.folder();
            watching = folder.is_dir()
                && w.watch(&folder, notify::RecursiveMode::NonRecursive)
                    .is_ok();
        }
        let wait = Duration::from_millis(FOLLOW_POLL_MS);
        if watching {
            let _ = rx.recv_timeout(wait);
            while rx.try_recv().is_ok() {}
        } else {
            std::thread::sleep(wait);
        }
        if stop.load(Ordering::Relaxed) {
            return Ok(Report::silent());
        }
        batch = tail.poll()?;
    }
}

/// Prints the events of `log` that `keep` keeps, flushed; `false` when stdout is closed.
fn print(
    store: &Store,
    id: &str,
    log: &EventLog,
    json_mode: bool,
    keep: &dyn Fn(&Event) -> bool,
) -> anyhow::Result<bool> {
    let mut text = String::new();
    for (_, e) in log.events.iter().filter(|(_, e)| keep(e)) {
        if json_mode {
            text.push_str(&e.to_json().to_string());
        } else {
            text.push_str(&maestro_session_core::session::terminal_text::line(&line(
                e,
            )));
        }
        text.push('\n');
    }
    warn_skipped(store, id, log);
    if text.is_empty() {
        return Ok(true);
    }
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(e).context("write stdout"),
    }
}

/// Names the skipped lines on stderr.
fn warn_skipped(store: &Store, id: &str, log: &EventLog) {
    if log.skipped.is_empty() {
        return;
    }
    let file = store
        .log_path(id)
        .ok()
        .flatten()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| format!("the event log of {id}"));
    let lines: Vec<String> = log.skipped.iter().map(ToString::to_string).collect();
    crate::render::error_line(&format!(
        "{file}: skipped line {} (not a JSON object: a torn write?); `maestro-session doctor` reports it",
        lines.join(", ")
    ));
}

/// One event as one human line: `2026-11-20 10:14:03.123  cli  phase complete  phases/1/status:
/// in_progress → completed`.
pub(crate) fn line(e: &Event) -> String {
    let time = e
        .time
        .parse::<jiff::Timestamp>()
        .map(|t| {
            t.to_zoned(jiff::tz::TimeZone::system())
                .strftime("%Y-%m-%d %H:%M:%S%.3f")
                .to_string()
        })
        .unwrap_or_else(|_| e.time.clone());
    let mut parts = vec![time, format!("{:<18}", e.actor), e.op.clone()];
    let shown: Vec<&Change> = {
        let all: Vec<&Change> = e.changes.iter().collect();
        let meaningful: Vec<&Change> = all
            .iter()
            .copied()
            // `updated` and `revision` change with every write: noise beside the change.
            .filter(|c| c.path != "/updated" && c.path != "/revision")
            .collect();
        if meaningful.is_empty() {
            all
        } else {
            meaningful
        }
    };
    let mut changes: Vec<String> = shown
        .iter()
        .take(MAX_CHANGES_SHOWN)
        .map(|c| {
            format!(
                "{}: {} → {}",
                c.path.trim_start_matches('/'),
                side(&c.before),
                side(&c.after)
            )
        })
        .collect();
    if shown.len() > MAX_CHANGES_SHOWN {
        changes.push(format!("… and {} more", shown.len() - MAX_CHANGES_SHOWN));
    }
    for (k, v) in &e.extra {
        changes.push(format!("{k}={}", value(v)));
    }
    if !changes.is_empty() {
        parts.push(changes.join("; "));
    }
    parts.join("  ")
}

fn side(s: &Side) -> String {
    match s {
        Side::Absent => "(none)".into(),
        Side::Bytes(n) => format!("({n} bytes)"),
        Side::Value(v) => value(v),
    }
}

/// A value on one line: a string bare, anything else as compact JSON, cut to
/// [`MAX_VALUE_CHARS`].
fn value(v: &Value) -> String {
    let text = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    crate::render::truncate(&text, MAX_VALUE_CHARS)
}
