//! Commands that need no state dir: `completions`, `schema`, `mcp`, `setup`.

use std::path::Path;

use serde_json::{Value, json};

use crate::args::Command;
use crate::output::Report;
use crate::{completions, mcp, setup};

/// Runs `command` when it is one of these; hands it back otherwise.
pub fn run(command: Command, state_dir: Option<&Path>) -> anyhow::Result<Result<Report, Command>> {
    Ok(Ok(match command {
        Command::Completions { shell } => {
            let script = completions::script(shell);
            Report::new(
                json!({"shell": shell.to_string(), "script": script}),
                script,
            )
        }
        Command::Schema => {
            let schema = maestro_session_core::session::schema::session_metadata_schema();
            let value: Value = serde_json::from_str(&schema)?;
            Report::new(value, format!("{}\n", schema.trim_end()))
        }
        Command::Mcp => {
            mcp::run(state_dir.map(Path::to_path_buf))?;
            Report::silent()
        }
        Command::Setup(s) => {
            let name = s.name();
            let text = setup::run(s)?;
            Report::new(json!({"setup": name, "message": text}), text)
        }
        other => return Ok(Err(other)),
    }))
}
