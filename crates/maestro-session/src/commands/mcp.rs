//! `mcp`: serves the session tools over MCP on stdin/stdout ([`crate::mcp`]); in a build
//! without the `mcp` feature, a clear refusal.

use std::path::PathBuf;

use crate::output::Report;

/// Runs `mcp` until stdin closes; prints nothing else (the server wrote its own output).
///
/// Errors: the server could not start or its transport failed.
#[cfg(feature = "mcp")]
pub fn run(state_dir: Option<PathBuf>) -> anyhow::Result<Report> {
    crate::mcp::run(state_dir)?;
    Ok(Report::silent())
}

/// In a build without the `mcp` feature: a usage error saying so (exit 2).
///
/// Errors: always [`maestro_session_core::Error::Invalid`].
#[cfg(not(feature = "mcp"))]
pub fn run(_state_dir: Option<PathBuf>) -> anyhow::Result<Report> {
    Err(maestro_session_core::Error::Invalid(
        "this maestro-session was built without MCP (cargo feature `mcp`); rebuild with \
         default features to serve the session tools over MCP"
            .into(),
    )
    .into())
}
