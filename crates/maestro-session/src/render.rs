//! Shared pieces of the human text: terminal-safe session text ([`t`]), tables sized by
//! display width, colour (stripped when printed to anything but a terminal, or with
//! `NO_COLOR`; see [`crate::output`]), the error and warning lines. Each command's own text is
//! in its file under [`crate::commands`].

use anstream::eprintln;
use anstyle::{AnsiColor, Style};
use maestro_session_core::error::Error;
use maestro_session_core::outputs::ErrorObject;
use maestro_session_core::session::session_file::SessionFile;
use maestro_session_core::session::terminal_text;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Session text (a task, a name, a message, a path) for one terminal line: no control or
/// bidirectional formatting character ([`terminal_text::line`]). Every field a model or a file
/// wrote goes through it before it is printed, measured or padded.
pub fn t(text: &str) -> std::borrow::Cow<'_, str> {
    terminal_text::line(text)
}

/// [`t`] of a path.
pub fn tp(path: &std::path::Path) -> String {
    t(&path.display().to_string()).into_owned()
}

/// Appends one formatted line to a `String` (writing to a `String` cannot fail).
macro_rules! out {
    ($buf:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($buf, $($arg)*);
    }};
}
pub(crate) use out;

pub const BOLD: Style = Style::new().bold();
pub const DIM: Style = Style::new().dimmed();

pub fn colour(c: AnsiColor) -> Style {
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
pub fn paint_stdout(style: Style, text: &str) -> String {
    if stdout_colour() {
        paint(style, text)
    } else {
        text.to_string()
    }
}

pub fn paint(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

pub fn status_style(status: &str) -> Style {
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
            eprintln!("{}", ErrorObject::skipped_file(e).to_json_line());
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
pub fn table(out: &mut String, header: &[&str], rows: &[Vec<(String, Style)>]) {
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

/// A table cell without style.
pub fn plain(s: impl Into<String>) -> (String, Style) {
    (s.into(), Style::new())
}

/// The one line a command that changed a session prints: `<id>: <what>`.
pub fn changed(s: &SessionFile, what: &str) -> String {
    let mut out = String::new();
    out!(out, "{}: {what}", s.meta.session_id);
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
