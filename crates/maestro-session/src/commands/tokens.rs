//! `tokens SESSION --agent A [--input N] [--output N] [--cached N]`: records tokens an agent
//! used.

use clap::Args;
use maestro_session_core::operations::Operation;
use maestro_session_core::store::Store;

use crate::output::{self, Report};
use crate::render::{self, t};

/// `tokens`.
#[derive(Debug, Args)]
pub struct TokensArgs {
    /// Session id or prefix.
    pub session: String,
    /// The agent: ASCII letters, digits, `_` and `-`, at most 64 bytes, read lower-case with
    /// `-` as `_` (`Code-Reviewer` is `code_reviewer`).
    #[arg(long)]
    pub agent: String,
    /// Prompt tokens.
    #[arg(long, default_value_t = 0)]
    pub input: u64,
    /// Completion tokens.
    #[arg(long, default_value_t = 0)]
    pub output: u64,
    /// Cached prompt tokens.
    #[arg(long, default_value_t = 0)]
    pub cached: u64,
}

/// Runs `tokens`.
///
/// Errors: `--agent` is not an agent name; the session does not resolve; a counter would
/// overflow.
pub fn run(store: &Store, a: TokensArgs) -> anyhow::Result<Report> {
    let agent = super::agent_name(&a.agent)?;
    let op = Operation::Tokens {
        agent: agent.clone(),
        input: a.input,
        output: a.output,
        cached: a.cached,
    };
    let s = super::apply(store, &a.session, vec![op])?;
    let u = &s.meta.token_usage;
    let by_agent = u
        .by_agent
        .get(agent.as_str())
        .map(|a| format!("{} {}/{}/{}", t(&agent), a.input, a.output, a.cached))
        .unwrap_or_default();
    let what = format!(
        "tokens {by_agent} (input/output/cached); total {}/{}/{}",
        u.total_input, u.total_output, u.total_cached
    );
    Ok(Report::new(
        output::session(&s)?,
        render::changed(&s, &what),
    ))
}
