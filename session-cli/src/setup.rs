//! `maestro-session setup`: write the Gemini CLI extension files, print or merge the Claude
//! Code settings block. The content is `session_core::integration`'s.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use session_core::{fsx, integration};

/// Runtime registration.
#[derive(Debug, Subcommand)]
pub enum Setup {
    /// Write `gemini-extension.json` and `hooks/hooks.json` into an extension folder.
    GeminiExtension {
        /// The extension folder (its `bin/` holds the hook executables).
        dir: PathBuf,
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
