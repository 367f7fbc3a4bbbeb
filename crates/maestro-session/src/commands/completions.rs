//! `maestro-session completions SHELL`: clap_complete's scripts, with the bash one repaired.
//!
//! clap_complete (4.6) spells the bash state of a subcommand two ways when the binary's name
//! has a hyphen: the loop that walks the words sets `maestro__session__subcmd__phase`, the
//! `case` that completes it is labelled `maestro__subcmd__session__subcmd__phase`, so nothing
//! below the top level ever completes (clap-rs/clap#6421). The labels are rewritten to the
//! loop's spelling; once clap_complete is fixed the rewrite finds nothing to change.

use clap::CommandFactory;
use clap_complete::Shell;
use maestro_session_core::outputs::command::CompletionsOutput;

use crate::cli::Cli;
use crate::output::Report;

/// `completions`.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

/// Runs `completions`: the script, as text or `{"shell", "script"}`.
///
/// Errors: none (the script is generated in memory).
pub fn run(a: CompletionsArgs) -> anyhow::Result<Report> {
    let script = script(a.shell);
    Ok(Report::new(
        crate::output::json(&CompletionsOutput {
            shell: a.shell.to_string(),
            script: script.clone(),
        })?,
        script,
    ))
}

/// The name completions are registered for.
pub const BIN: &str = "maestro-session";

/// The completion script for `shell`.
pub fn script(shell: Shell) -> String {
    let mut bytes = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), BIN, &mut bytes);
    let text = String::from_utf8_lossy(&bytes).into_owned();
    match shell {
        Shell::Bash => repair_bash(&text, BIN),
        _ => text,
    }
}

/// `script` with the `case` labels of subcommand states spelled as the word loop sets them.
fn repair_bash(script: &str, bin: &str) -> String {
    const SEP: &str = "__subcmd__";
    let wrong = format!("{}{SEP}", bin.replace('-', SEP));
    let right = format!("{}{SEP}", bin.replace('-', "__"));
    if wrong == right {
        return script.to_string();
    }
    script.replace(&wrong, &right)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bash_labels_match_the_states_the_loop_sets() {
        let bash = script(Shell::Bash);
        assert!(bash.contains("cmd=\"maestro__session__subcmd__phase\""));
        assert!(bash.contains("        maestro__session__subcmd__phase)"));
        assert!(!bash.contains("maestro__subcmd__session"));
    }
}
