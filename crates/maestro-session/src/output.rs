//! What a command prints, and printing it: the `--json` object (a typed output of
//! `maestro_session_core::outputs`, whose schema is checked in under `docs/schemas/`) or the
//! human text, written in one place so that a closed stdout is an error the caller sees
//! ([`crate::failure`] ends such a run quietly) instead of a panic.

use std::io::Write as _;

use anyhow::Context as _;
use maestro_session_core::ErrorKind;
use maestro_session_core::outputs::sessions::SessionOutput;
use maestro_session_core::session::session_file::SessionFile;
use maestro_session_core::session::terminal_text;
use serde::Serialize;
use serde_json::Value;

/// A command's result: both renderings, one of which is printed, and how the run ends.
#[derive(Debug, Default)]
pub struct Report {
    /// The `--json` object (`None`: the command prints nothing in JSON mode either).
    pub json: Option<Value>,
    /// The human text (may hold styles; they are stripped when stdout is not a terminal or
    /// `NO_COLOR` is set). Printed through [`terminal_text::output`]: no control or bidi
    /// character other than our styles, `\n` and `\t` is ever printed.
    pub human: String,
    /// Whether the command found something left to do (`doctor`): the run then exits with
    /// the refused code.
    pub unhealthy: bool,
}

impl Report {
    /// A report printing `json` with `--json` and `human` otherwise.
    pub fn new(json: Value, human: String) -> Report {
        Report {
            json: Some(json),
            human,
            unhealthy: false,
        }
    }

    /// A report that prints nothing (the MCP server wrote its own output).
    pub fn silent() -> Report {
        Report::default()
    }

    /// The process exit code of a run that produced this report.
    pub fn exit_code(&self) -> i32 {
        if self.unhealthy {
            ErrorKind::Refused.exit_code()
        } else {
            0
        }
    }

    /// Prints the report on stdout.
    ///
    /// Errors: the write failed (a closed stdout is an [`std::io::ErrorKind::BrokenPipe`]
    /// error in the chain).
    pub fn print(&self, json_mode: bool) -> anyhow::Result<()> {
        if json_mode {
            let Some(json) = &self.json else {
                return Ok(());
            };
            let text = serde_json::to_string_pretty(json).context("serialise the output")?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "{text}")
                .and_then(|()| out.flush())
                .context("write stdout")?;
        } else {
            // The last pass over session text: no control or bidi character but our own
            // styles reaches the terminal, whatever a renderer printed.
            let human = terminal_text::output(&self.human);
            if !human.contains('\x1b') {
                // Nothing to strip (the table renderer paints only where colour shows): skip
                // anstream's scan of every byte, a few ms for a 10,000-row list.
                let mut out = std::io::stdout().lock();
                out.write_all(human.as_bytes())
                    .and_then(|()| out.flush())
                    .context("write stdout")?;
            } else {
                let mut out = anstream::stdout().lock();
                out.write_all(human.as_bytes())
                    .and_then(|()| out.flush())
                    .context("write stdout")?;
            }
        }
        Ok(())
    }
}

/// `out` as the `--json` value of a [`Report`].
///
/// Errors: `out` does not serialise (a map with keys that are not strings; none of ours).
pub fn json<T: Serialize>(out: &T) -> anyhow::Result<Value> {
    serde_json::to_value(out).context("serialise the output")
}

/// A session as the commands that make or change one print it (`cli-session`).
///
/// Errors: as [`json`].
pub fn session(s: &SessionFile) -> anyhow::Result<Value> {
    json(&SessionOutput::of(s))
}
