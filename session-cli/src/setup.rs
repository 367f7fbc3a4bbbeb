//! `maestro-session setup`: write the Gemini CLI extension files, print or merge the Claude
//! Code settings block, write the Claude Code plugin folder. The content is
//! `session_core::integration`'s.

use std::path::{Path, PathBuf};

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
    /// Write a Claude Code plugin folder: `.claude-plugin/plugin.json`, `hooks/hooks.json`,
    /// `.mcp.json` (`maestro-session mcp`), `commands/status.md` and `README.md`; load it with
    /// `claude --plugin-dir DIR`.
    ClaudePlugin {
        /// The plugin folder (created if missing).
        dir: PathBuf,
        /// Folder holding the hook executables and `read-active-session` (absolute, valid
        /// UTF-8: it is written into the plugin's files).
        #[arg(long, value_parser = crate::args::utf8_path())]
        bin_dir: PathBuf,
        /// The `maestro-session` executable the MCP server runs (absolute, valid UTF-8).
        #[arg(long, value_parser = crate::args::utf8_path())]
        cli: PathBuf,
        /// Also make the plugin folder's parent a local marketplace
        /// (`<parent>/.claude-plugin/marketplace.json`), for `claude plugin marketplace add`.
        #[arg(long)]
        marketplace: bool,
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
        Setup::ClaudePlugin {
            dir,
            bin_dir,
            cli,
            marketplace,
        } => write_claude_plugin(&dir, &bin_dir, &cli, marketplace)?,
    }
    Ok(())
}

fn write_claude_plugin(
    dir: &Path,
    bin_dir: &Path,
    cli: &Path,
    marketplace: bool,
) -> anyhow::Result<()> {
    for (what, path) in [("--bin-dir", bin_dir), ("--cli", cli)] {
        if !path.is_absolute() {
            anyhow::bail!(
                "{what} {} is not absolute; the plugin runs from wherever Claude Code copies it",
                path.display()
            );
        }
    }
    let version = env!("CARGO_PKG_VERSION");
    let bin_dir = bin_dir.to_string_lossy();
    let files = [
        (
            ".claude-plugin/plugin.json",
            integration::claude_plugin_manifest(version),
        ),
        (
            "hooks/hooks.json",
            integration::claude_plugin_hooks(&bin_dir),
        ),
        (
            ".mcp.json",
            integration::claude_plugin_mcp(&cli.to_string_lossy()),
        ),
        (
            "commands/status.md",
            integration::claude_status_command(&bin_dir),
        ),
        (
            "README.md",
            integration::claude_plugin_readme(&bin_dir, &cli.to_string_lossy()),
        ),
    ];
    for (rel, text) in files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            fsx::create_dirs(parent)?;
        }
        fsx::durable_replace(&path, text.as_bytes(), fsx::STATE_FILE_MODE)?;
    }
    if marketplace {
        let folder = dir
            .file_name()
            .and_then(|n| n.to_str())
            .context("--marketplace needs a plugin folder with a UTF-8 name")?;
        let root = dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        fsx::create_dirs(&root.join(".claude-plugin"))?;
        fsx::durable_replace(
            &root.join(".claude-plugin/marketplace.json"),
            integration::claude_marketplace(version, folder).as_bytes(),
            fsx::STATE_FILE_MODE,
        )?;
    }
    Ok(())
}
