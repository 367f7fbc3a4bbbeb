//! `maestro-session report SESSION [--output F.html] [--force]`: one self-contained HTML page
//! of a session (issue 11, item 8), readable without a server or network.
//!
//! The page holds the session's header (id, task, status, stage, created, updated), a timeline
//! of its phases as inline SVG (one row per phase, a bar from its start to its completion, or
//! to now / the last update while unfinished; a red dot per error and a `↻N` per retried
//! phase, each with its details in a `<title>` tooltip; a time axis in UTC), a table of tokens
//! by agent (with the transcript-counted tokens where the session has them), every error, and
//! the event log's counts by operation.
//!
//! Self-contained: inline CSS, no script, font, image or link to anything outside the page; a
//! Content-Security-Policy forbids loading anything at all. Every text the session provides
//! (task, phase and agent names, error messages, ids) goes through [`escape`].
//!
//! Without `--output` the page is printed on stdout (`--json`: `{"report": "-", "bytes": N,
//! "html": "..."}`). With `--output F` it is written to F by durable replace (an existing F is
//! refused unless `--force`; `--json`: `{"report": "<path>", "bytes": N}`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use jiff::Timestamp;
use maestro_session_core::Error;
use maestro_session_core::outputs::command::ReportOutput;
use maestro_session_core::session::lifecycle::PhaseStatus;
use maestro_session_core::session::session_file::SessionFile;
use maestro_session_core::session::timeline::{PhaseRow, Timeline};
use maestro_session_core::store::Store;
use maestro_session_core::store::event_log::EventLog;
use maestro_session_fs::durable;

use crate::output::Report;

/// `report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Session id, unique prefix, or `active` (active or archived).
    pub session: String,
    /// Write the page to this file (default: print it on stdout).
    #[arg(long, short, value_name = "FILE", value_parser = crate::cli::utf8_path())]
    pub output: Option<PathBuf>,
    /// Replace the --output file when it exists.
    #[arg(long, requires = "output")]
    pub force: bool,
}

/// Runs `report`.
///
/// Errors: the session does not resolve; its event log cannot be read; the output file exists
/// (without `--force`) or cannot be written.
pub fn run(store: &Store, a: ReportArgs) -> anyhow::Result<Report> {
    let session = store.get(&a.session)?;
    let (_, log) = store.events(&session.meta.session_id)?;
    let html = super::team::with_report_section(
        page(&session, &log, Timestamp::now()),
        store,
        &session.meta,
    );
    let bytes = html.len();
    let Some(output) = a.output else {
        return Ok(Report::new(
            crate::output::json(&ReportOutput {
                report: "-".into(),
                bytes,
                html: Some(html.clone()),
            })?,
            html,
        ));
    };
    let path = if output.is_absolute() {
        output
    } else {
        std::env::current_dir()?.join(output)
    };
    if !a.force && maestro_session_fs::reader::lstat(&path).is_ok() {
        return Err(Error::refused_path(
            path.display().to_string(),
            "exists; pass --force to replace it",
        )
        .into());
    }
    durable::durable_replace(&path, html.as_bytes(), durable::STATE_FILE_MODE)?;
    let shown = path.display().to_string();
    Ok(Report::new(
        crate::output::json(&ReportOutput {
            report: shown.clone(),
            bytes,
            html: None,
        })?,
        format!(
            "wrote the report of {} to {shown} ({bytes} bytes)\n",
            session.meta.session_id
        ),
    ))
}

/// `text` safe in HTML text and attribute values (double- or single-quoted): `& < > " '`
/// become entities, and control characters other than newline and tab, and bidirectional
/// formatting characters ([`maestro_session_core::session::terminal_text::is_hidden`]), become U+FFFD.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            c if maestro_session_core::session::terminal_text::is_hidden(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// At most `max` characters of `text`, `…` marking a cut (before escaping).
fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

const STYLE: &str = "
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;max-width:1000px;padding:0 1em;color:#1d2330;background:#fff}
h1{font-size:1.4em;margin-bottom:.2em;word-break:break-all}h2{font-size:1.1em;margin-top:1.8em;border-bottom:1px solid #dde;padding-bottom:.2em}
table{border-collapse:collapse}td,th{padding:.25em .8em;text-align:left;vertical-align:top;border-bottom:1px solid #eef}
th{font-weight:600;color:#556}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.task{white-space:pre-wrap;word-break:break-word}.muted{color:#778}.tx{color:#2a6}
svg{display:block;max-width:100%;height:auto;font:12px system-ui,sans-serif}
.axis{stroke:#99a;stroke-width:1}.grid{stroke:#eef;stroke-width:1}.lbl{fill:#1d2330}.tick{fill:#667}
.completed{fill:#3a9a5b}.in_progress{fill:#2f7fd0}.failed{fill:#d0453a}.pending{fill:#d9a520}.skipped{fill:#aab}
.err{fill:#d0453a;stroke:#fff;stroke-width:1.5}.retry{fill:#a05a00;font-weight:600}
.s-completed{color:#3a9a5b}.s-failed{color:#d0453a}.s-in_progress{color:#2f7fd0}
";

/// Left column of the timeline (phase labels), px.
const LABEL_W: f64 = 230.0;
/// Width of the plot area, px.
const PLOT_W: f64 = 690.0;
/// Height of one phase row, px.
const ROW_H: f64 = 28.0;
/// Space above the first row, px.
const TOP: f64 = 10.0;
/// Space for the axis below the rows, px.
const AXIS_H: f64 = 40.0;
/// Ticks on the time axis.
const TICKS: u32 = 5;

/// The whole page.
pub fn page(s: &SessionFile, log: &EventLog, now: Timestamp) -> String {
    let m = &s.meta;
    let t = Timeline::build(m, now);
    let mut h = String::new();
    let id = escape(&m.session_id);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Session {id}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>Session {id}</h1>\n<p class=\"task\">{}</p>\n",
        escape(&m.task)
    );
    h.push_str("<table>\n");
    let mut row = |k: &str, v: String| {
        let _ = writeln!(h, "<tr><th>{k}</th><td>{v}</td></tr>");
    };
    row(
        "Status",
        format!(
            "<span class=\"s-{0}\">{0}</span>",
            escape(m.status.as_str())
        ),
    );
    row(
        "Stage",
        m.stage
            .map(|st| escape(st.as_str()))
            .unwrap_or_else(|| "<span class=\"muted\">(none)</span>".into()),
    );
    row("Location", escape(s.location.as_str()));
    row("Created", escape(&m.created));
    row("Updated", escape(&m.updated));
    row("Phases", format!("{} of {} done", t.done, t.total));
    h.push_str("</table>\n");

    h.push_str("<h2>Timeline</h2>\n");
    timeline_svg(&mut h, &t);

    tokens_table(&mut h, &t);
    errors_list(&mut h, &t);
    event_counts(&mut h, log);
    let _ = write!(
        h,
        "<p class=\"muted\">Made by maestro-session report at {}.</p>\n</body>\n</html>\n",
        escape(&maestro_session_core::clock::iso(now))
    );
    h
}

fn x_of(t: &Timeline, at: Timestamp) -> f64 {
    LABEL_W + t.position(at) * PLOT_W
}

/// The timeline as inline SVG.
fn timeline_svg(h: &mut String, t: &Timeline) {
    let rows = t.phases.len().max(1) as f64;
    let height = TOP + rows * ROW_H + AXIS_H;
    let width = LABEL_W + PLOT_W + 40.0;
    let _ = writeln!(
        h,
        "<svg viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"Timeline of the phases\">"
    );
    let axis_y = TOP + rows * ROW_H + 4.0;
    // Grid and ticks.
    if let (Some(from), Some(to)) = (t.from, t.to) {
        let span = to
            .as_millisecond()
            .saturating_sub(from.as_millisecond())
            .max(0);
        for i in 0..=TICKS {
            let ms = from
                .as_millisecond()
                .saturating_add(span / i64::from(TICKS) * i64::from(i));
            let Ok(at) = Timestamp::from_millisecond(ms) else {
                continue;
            };
            let x = x_of(t, at);
            let label = if i == 0 || span >= 86_400_000 {
                at.strftime("%Y-%m-%d %H:%M").to_string()
            } else {
                at.strftime("%H:%M:%S").to_string()
            };
            let anchor = match i {
                0 => "start",
                i if i == TICKS => "end",
                _ => "middle",
            };
            let _ = writeln!(
                h,
                "<line class=\"grid\" x1=\"{x:.1}\" y1=\"{TOP}\" x2=\"{x:.1}\" y2=\"{axis_y}\"/>\
                 <text class=\"tick\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}</text>",
                axis_y + 16.0,
                escape(&label)
            );
        }
        let _ = writeln!(
            h,
            "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">UTC</text>",
            LABEL_W + PLOT_W,
            axis_y + 32.0
        );
    }
    let _ = writeln!(
        h,
        "<line class=\"axis\" x1=\"{LABEL_W}\" y1=\"{axis_y}\" x2=\"{:.1}\" y2=\"{axis_y}\"/>",
        LABEL_W + PLOT_W
    );
    if t.phases.is_empty() {
        let _ = writeln!(
            h,
            "<text class=\"tick\" x=\"{LABEL_W}\" y=\"{:.1}\">(no phases)</text>",
            TOP + ROW_H / 2.0 + 4.0
        );
    }
    for (i, p) in t.phases.iter().enumerate() {
        phase_row(h, t, p, TOP + i as f64 * ROW_H);
    }
    h.push_str("</svg>\n");
}

/// One phase's row: its label, its bar, its error dots and its retry mark.
fn phase_row(h: &mut String, t: &Timeline, p: &PhaseRow, y: f64) {
    let status = p.status.as_str();
    let label = format!("{} {}", p.id, p.name);
    let mid = y + ROW_H / 2.0;
    let _ = writeln!(
        h,
        "<g class=\"phase\" data-phase=\"{}\"><text class=\"lbl\" x=\"4\" y=\"{:.1}\">{}<title>{}</title></text>",
        escape(&p.id.to_string()),
        mid + 4.0,
        escape(&short(&label, 30)),
        escape(&label)
    );
    let when = |at: Option<Timestamp>| {
        at.map(maestro_session_core::clock::iso)
            .unwrap_or_else(|| "?".into())
    };
    let mut tip = format!("Phase {}: {status}", label);
    if !p.agents.is_empty() {
        let _ = write!(tip, "\nagents: {}", p.agents.join(", "));
    }
    let _ = write!(tip, "\nstarted: {}", when(p.start));
    if p.finished {
        let _ = write!(tip, "\ncompleted: {}", when(p.end));
    } else if p.start.is_some() {
        let _ = write!(tip, "\nnot finished (bar drawn to {})", when(p.end));
    }
    if p.retries > 0 {
        let _ = write!(tip, "\nretries: {}", p.retries);
    }
    if !p.errors.is_empty() {
        let _ = write!(tip, "\nerrors: {}", p.errors.len());
    }
    let bar_end = match (p.start, p.end) {
        (Some(start), Some(end)) => {
            let x1 = x_of(t, start);
            let x2 = x_of(t, end).max(x1 + 3.0);
            let _ = writeln!(
                h,
                "<rect class=\"bar {status}\" x=\"{x1:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"3\"><title>{}</title></rect>",
                y + 6.0,
                x2 - x1,
                ROW_H - 12.0,
                escape(&tip)
            );
            x2
        }
        _ => {
            let _ = writeln!(
                h,
                "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\">{}<title>{}</title></text>",
                LABEL_W + 4.0,
                mid + 4.0,
                escape(if p.status == PhaseStatus::Skipped {
                    "skipped"
                } else {
                    "not started"
                }),
                escape(&tip)
            );
            LABEL_W + 80.0
        }
    };
    for (n, e) in p.errors.iter().enumerate() {
        let x = match e.time {
            Some(at) => x_of(t, at),
            None => bar_end,
        };
        let tip = format!(
            "Error {} of phase {}: {} ({}{})\nat {}\n{}",
            n + 1,
            p.id,
            e.kind,
            e.agent,
            if e.resolved { ", resolved" } else { "" },
            e.time
                .map(maestro_session_core::clock::iso)
                .unwrap_or_else(|| "unknown time".into()),
            e.message
        );
        let _ = writeln!(
            h,
            "<circle class=\"err\" cx=\"{x:.1}\" cy=\"{mid:.1}\" r=\"5\"><title>{}</title></circle>",
            escape(&tip)
        );
    }
    if p.retries > 0 {
        let _ = writeln!(
            h,
            "<text class=\"retry\" x=\"{:.1}\" y=\"{:.1}\">↻{}<title>Retried {} time{}</title></text>",
            bar_end + 8.0,
            mid + 4.0,
            p.retries,
            p.retries,
            if p.retries == 1 { "" } else { "s" }
        );
    }
    h.push_str("</g>\n");
}

fn tokens_table(h: &mut String, t: &Timeline) {
    h.push_str("<h2>Tokens by agent</h2>\n");
    if t.agents.is_empty() {
        h.push_str("<p class=\"muted\">No tokens recorded.</p>\n");
        return;
    }
    let transcripts = t.agents.iter().any(|a| a.transcript.is_some());
    h.push_str(
        "<table class=\"tokens\">\n<tr><th>Agent</th><th class=\"n\">Input</th><th class=\"n\">Output</th><th class=\"n\">Cached</th>",
    );
    if transcripts {
        h.push_str("<th class=\"n tx\">Transcript input</th><th class=\"n tx\">Transcript output</th><th class=\"n tx\">Transcript cached</th>");
    }
    h.push_str("</tr>\n");
    let (mut i, mut o, mut c) = (0u64, 0u64, 0u64);
    for a in &t.agents {
        i = i.saturating_add(a.input);
        o = o.saturating_add(a.output);
        c = c.saturating_add(a.cached);
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>",
            escape(&a.agent),
            a.input,
            a.output,
            a.cached
        );
        if transcripts {
            match a.transcript {
                Some(x) => {
                    let _ = write!(
                        h,
                        "<td class=\"n tx\">{}</td><td class=\"n tx\">{}</td><td class=\"n tx\">{}</td>",
                        x.input, x.output, x.cached
                    );
                }
                None => h.push_str("<td></td><td></td><td></td>"),
            }
        }
        h.push_str("</tr>\n");
    }
    let _ = writeln!(
        h,
        "<tr><th>Total</th><th class=\"n\">{i}</th><th class=\"n\">{o}</th><th class=\"n\">{c}</th></tr>\n</table>"
    );
    h.push_str(if transcripts {
        "<p class=\"muted\">Input, output and cached are the counts the models reported; the <span class=\"tx\">transcript</span> columns were counted from the runtimes' transcripts.</p>\n"
    } else {
        "<p class=\"muted\">Counts as the models reported them.</p>\n"
    });
}

fn errors_list(h: &mut String, t: &Timeline) {
    let errors: Vec<_> = t
        .phases
        .iter()
        .flat_map(|p| p.errors.iter().map(move |e| (p, e)))
        .collect();
    if errors.is_empty() {
        return;
    }
    h.push_str("<h2>Errors</h2>\n<table class=\"errors\">\n<tr><th>Phase</th><th>Time</th><th>Agent</th><th>Type</th><th>Message</th><th>Resolved</th></tr>\n");
    for (p, e) in errors {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"task\">{}</td><td>{}</td></tr>",
            escape(&format!("{} {}", p.id, p.name)),
            escape(
                &e.time
                    .map(maestro_session_core::clock::iso)
                    .unwrap_or_else(|| "?".into())
            ),
            escape(&e.agent),
            escape(&e.kind),
            escape(&e.message),
            if e.resolved { "yes" } else { "no" }
        );
    }
    h.push_str("</table>\n");
}

fn event_counts(h: &mut String, log: &EventLog) {
    h.push_str("<h2>Events</h2>\n");
    if log.events.is_empty() {
        h.push_str("<p class=\"muted\">No events logged.</p>\n");
        return;
    }
    let mut by_op: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, e) in &log.events {
        *by_op.entry(e.op.as_str()).or_default() += 1;
    }
    h.push_str(
        "<table class=\"events\">\n<tr><th>Operation</th><th class=\"n\">Events</th></tr>\n",
    );
    for (op, n) in &by_op {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"n\">{n}</td></tr>",
            escape(op)
        );
    }
    let _ = writeln!(
        h,
        "<tr><th>Total</th><th class=\"n\">{}</th></tr>\n</table>",
        log.events.len()
    );
    if !log.skipped.is_empty() {
        let _ = writeln!(
            h,
            "<p class=\"muted\">{} unreadable line(s) skipped.</p>",
            log.skipped.len()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_defuses_hostile_text() {
        let hostile = "<script>alert('x')</script> \"a\" & b\u{0}\u{1b}[2J";
        let out = escape(hostile);
        assert_eq!(
            out,
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &quot;a&quot; &amp; b\u{FFFD}\u{FFFD}[2J"
        );
        for bad in ['<', '>', '"', '\'', '\u{0}', '\u{1b}'] {
            assert!(!out.contains(bad), "{bad:?} left in {out}");
        }
        assert_eq!(escape("plain 任务\n"), "plain 任务\n");
    }

    #[test]
    fn short_cuts_by_characters() {
        assert_eq!(short("任务任务", 3), "任务…");
        assert_eq!(short("ab", 3), "ab");
    }
}
