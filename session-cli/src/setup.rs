//! `maestro-session setup`: write the Gemini CLI extension files and user policy, print or
//! merge the Claude Code settings block. The content is `session_core::integration`'s,
//! `gemini_commands`' and `gemini_policy`'s.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use session_core::gemini_commands::{self, ShellPath, Tools};
use session_core::gemini_policy::{self, PolicyOutcome};
use session_core::{Env, fsx, integration};

/// Runtime registration.
#[derive(Debug, Subcommand)]
pub enum Setup {
    /// Write `gemini-extension.json`, `hooks/hooks.json` and the commands
    /// `commands/maestro/{status,resume,archive}.toml` into an extension folder. The commands
    /// name `<dir>/bin/read-active-session` and this executable by absolute path.
    GeminiExtension {
        /// The extension folder (its `bin/` holds the hook executables).
        dir: PathBuf,
    },
    /// Allow the extension's commands to run `<dir>/bin/read-active-session` without a
    /// confirmation prompt: a rule in the Gemini CLI user policy file (Gemini CLI ignores allow
    /// rules from extensions). Keeps the file's other rules; refuses a file it did not write.
    GeminiPolicy {
        /// The extension folder (its `bin/` holds read-active-session).
        dir: PathBuf,
        /// The policy file (default: $GEMINI_CLI_HOME, else $HOME, then
        /// .gemini/policies/maestro-session.toml).
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Print the Claude Code settings block, or merge it into a settings file.
    Claude {
        /// Folder holding the hook executables (valid UTF-8: it is written into JSON).
        #[arg(long, value_parser = crate::args::utf8_path())]
        bin_dir: PathBuf,
        /// Merge into this settings file (created if missing), keeping its other keys.
        #[arg(long)]
        settings: Option<PathBuf>,
    },
}

/// Runs one `setup` subcommand.
pub fn run(setup: Setup) -> anyhow::Result<()> {
    match setup {
        Setup::GeminiExtension { dir } => {
            fsx::create_dirs(&dir.join("hooks"))?;
            // Paths first: one that cannot be written into a command file changes nothing.
            let read = gemini_commands::installed_read_active_session(&dir)?;
            let exe = std::env::current_exe().context("find the maestro-session executable")?;
            let cli = ShellPath::new(&exe)?;
            let manifest = integration::gemini_extension_manifest(env!("CARGO_PKG_VERSION"));
            fsx::durable_replace(
                &dir.join("gemini-extension.json"),
                manifest.as_bytes(),
                fsx::STATE_FILE_MODE,
            )?;
            fsx::durable_replace(
                &dir.join("hooks/hooks.json"),
                integration::gemini_hooks().as_bytes(),
                fsx::STATE_FILE_MODE,
            )?;
            let tools = Tools {
                read_active_session: &read,
                maestro_session: &cli,
            };
            gemini_commands::write_command_files(&dir, tools)?;
        }
        Setup::GeminiPolicy { dir, file } => {
            let read = gemini_commands::installed_read_active_session(&dir)?;
            let file = match file {
                Some(f) => f,
                None => gemini_policy::user_policy_file(&Env::process())?,
            };
            let outcome = gemini_policy::install(&file, &read)?;
            let done = match outcome {
                PolicyOutcome::Created => "written",
                PolicyOutcome::Updated => "updated",
                PolicyOutcome::Unchanged => "unchanged",
            };
            println!(
                "Gemini CLI user policy {}: {done}\n  \
                 it allows run_shell_command {} without a confirmation prompt (priority {}), so \
                 /maestro:status, /maestro:resume and /maestro:archive can read the session \
                 state in `gemini -p` runs too; a user policy, because Gemini CLI ignores allow \
                 rules from extensions",
                file.display(),
                read.shell_word(),
                gemini_policy::PRIORITY,
            );
        }
        Setup::Claude { bin_dir, settings } => {
            let bin_dir = bin_dir.to_string_lossy();
            match settings {
                None => print!("{}", integration::claude_settings_block(&bin_dir)),
                Some(path) => {
                    let existing = match std::fs::read_to_string(&path) {
                        Ok(text) => text,
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
                        Err(e) => {
                            return Err(e).with_context(|| format!("read {}", path.display()));
                        }
                    };
                    let merged = integration::merge_claude_settings(&existing, &bin_dir)
                        .with_context(|| format!("merge hooks into {}", path.display()))?;
                    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                        fsx::create_dirs(parent)?;
                    }
                    fsx::durable_replace(&path, merged.as_bytes(), fsx::STATE_FILE_MODE)?;
                }
            }
        }
    }
    Ok(())
}
