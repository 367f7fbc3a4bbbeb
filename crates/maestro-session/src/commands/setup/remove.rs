//! `maestro-session setup <runtime> --remove`: takes out exactly what the same `setup`
//! subcommand put in, and nothing of the user's; running it again changes nothing. The rules
//! of what is ours are `maestro_session_setup::uninstall`'s.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use maestro_session_core::{Env, EnvVars};
use maestro_session_fs::durable;
use maestro_session_setup::uninstall::{self, Removal};
use maestro_session_setup::{CLAUDE_PLUGIN_NAME, codex, gemini_commands, gemini_policy, qwen};

use super::{CodexArgs, QwenArgs, Setup, read_config_file};

/// Runs `setup` when it has `--remove`, returning what it did; `None` for an install.
pub(super) fn run(setup: &Setup) -> anyhow::Result<Option<String>> {
    Ok(Some(match setup {
        Setup::GeminiExtension {
            dir, remove: true, ..
        } => gemini_extension(dir)?,
        Setup::GeminiPolicy {
            file, remove: true, ..
        } => gemini_policy_file(file.as_deref())?,
        Setup::Claude {
            settings,
            remove: true,
            ..
        } => claude_settings(settings.as_deref())?,
        Setup::ClaudePlugin {
            dir,
            marketplace,
            remove: true,
            ..
        } => claude_plugin(dir, *marketplace)?,
        Setup::Codex(args) if args.remove => codex_files(args)?,
        Setup::Qwen(args) if args.remove => qwen_extension(args)?,
        _ => return Ok(None),
    }))
}

/// The value of an option an install needs (clap makes it required unless `--remove`).
pub(super) fn required(value: Option<PathBuf>, what: &str) -> anyhow::Result<PathBuf> {
    value.ok_or_else(|| {
        maestro_session_core::Error::Invalid(format!("{what} is required without --remove")).into()
    })
}

/// Writes or deletes `path` as `removal` says; returns a line saying what happened.
fn apply(path: &Path, removal: Removal, what: &str) -> anyhow::Result<String> {
    Ok(match removal {
        Removal::Unchanged => format!("{}: no {what} of maestro-session in it\n", path.display()),
        Removal::Rewrite(text) => {
            durable::durable_replace(path, text.as_bytes(), durable::PRIVATE_FILE_MODE)?;
            format!(
                "{}: removed the {what} of maestro-session, kept the rest\n",
                path.display()
            )
        }
        Removal::Delete => {
            durable::durable_remove(path)?;
            format!(
                "{}: removed (it held only the {what} of maestro-session)\n",
                path.display()
            )
        }
    })
}

/// Reads `path` (a symlink followed), or `None` when it does not exist.
fn read(path: &Path, kind: &'static str) -> anyhow::Result<Option<(PathBuf, String)>> {
    let (real, text) = read_config_file(path, kind)?;
    if maestro_session_fs::reader::lstat(&real).is_err() {
        return Ok(None);
    }
    Ok(Some((real, text)))
}

/// Whether the JSON manifest at `path` names `name`; `None` when there is no such file.
///
/// Errors: the file does not parse, or names something else (it is not ours: nothing is
/// removed).
fn manifest_is_ours(path: &Path, name: &str) -> anyhow::Result<bool> {
    let Some((path, text)) = read(path, "a manifest")? else {
        return Ok(false);
    };
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| maestro_session_core::Error::Corrupt {
            path: path.clone(),
            line: Some(e.line()),
            reason: format!("not valid JSON ({e}); nothing removed"),
        })?;
    if value.get("name").and_then(|n| n.as_str()) != Some(name) {
        return Err(maestro_session_core::Error::refused_path(
            path.display().to_string(),
            format!("it does not name {name:?}, so it is not ours; nothing removed"),
        )
        .into());
    }
    Ok(true)
}

/// Removes `files` (relative to `dir`, the manifest last) and then the folders in `dirs` left
/// empty, deepest first.
fn remove_files(dir: &Path, files: &[PathBuf], dirs: &[&str]) -> anyhow::Result<()> {
    for rel in files {
        durable::remove_if_present(&dir.join(rel))?;
    }
    for rel in dirs {
        durable::remove_empty_dir(&dir.join(rel))?;
    }
    Ok(())
}

fn gemini_extension(dir: &Path) -> anyhow::Result<String> {
    let manifest = dir.join("gemini-extension.json");
    if !manifest_is_ours(&manifest, "maestro-session")? {
        return Ok(format!(
            "{}: no maestro-session Gemini CLI extension here; nothing to remove\n",
            dir.display()
        ));
    }
    let mut files: Vec<PathBuf> = gemini_commands::command_relative_paths().collect();
    files.push("hooks/hooks.json".into());
    files.push("gemini-extension.json".into());
    let group = format!("commands/{}", gemini_commands::GROUP);
    remove_files(dir, &files, &[&group, "commands", "hooks", ""])?;
    Ok(format!(
        "{}: removed the Gemini CLI extension files (gemini-extension.json, hooks, commands)\n",
        dir.display()
    ))
}

fn claude_plugin(dir: &Path, marketplace: bool) -> anyhow::Result<String> {
    let mut out = String::new();
    if manifest_is_ours(&dir.join(".claude-plugin/plugin.json"), CLAUDE_PLUGIN_NAME)? {
        let files: Vec<PathBuf> = [
            "hooks/hooks.json",
            ".mcp.json",
            "commands/status.md",
            "README.md",
            ".claude-plugin/plugin.json",
        ]
        .into_iter()
        .map(PathBuf::from)
        .collect();
        remove_files(dir, &files, &["hooks", "commands", ".claude-plugin", ""])?;
        let _ = writeln!(
            out,
            "{}: removed the Claude Code plugin files",
            dir.display()
        );
    } else {
        let _ = writeln!(
            out,
            "{}: no maestro-session Claude Code plugin here",
            dir.display()
        );
    }
    if marketplace {
        let root = dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let file = root.join(".claude-plugin/marketplace.json");
        if manifest_is_ours(&file, CLAUDE_PLUGIN_NAME)? {
            remove_files(
                root,
                &[".claude-plugin/marketplace.json".into()],
                &[".claude-plugin"],
            )?;
            let _ = writeln!(out, "{}: removed", file.display());
        }
    }
    Ok(out)
}

fn gemini_policy_file(file: Option<&Path>) -> anyhow::Result<String> {
    let file = match file {
        Some(f) => f.to_path_buf(),
        None => gemini_policy::user_policy_file(&Env::process())?,
    };
    let Some((real, text)) = read(&file, "a Gemini CLI policy file")? else {
        return Ok(format!(
            "{}: not there; nothing to remove\n",
            file.display()
        ));
    };
    let removal = uninstall::remove_policy_block(&text, &file)?;
    apply(&real, removal, "policy rule")
}

fn claude_settings(settings: Option<&Path>) -> anyhow::Result<String> {
    let file = match settings {
        Some(f) => f.to_path_buf(),
        None => match std::env::var_os(EnvVars::CLAUDE_CONFIG_DIR).filter(|v| !v.is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => PathBuf::from(
                std::env::var_os(EnvVars::HOME)
                    .filter(|v| !v.is_empty())
                    .context("neither CLAUDE_CONFIG_DIR nor HOME is set; give --settings")?,
            )
            .join(".claude"),
        }
        .join("settings.json"),
    };
    let Some((real, text)) = read(&file, "a Claude Code settings file")? else {
        return Ok(format!(
            "{}: not there; nothing to remove\n",
            file.display()
        ));
    };
    let removal = uninstall::remove_hooks_json(&text, &real, codex::is_our_command)?;
    apply(&real, removal, "hooks")
}

fn codex_files(args: &CodexArgs) -> anyhow::Result<String> {
    let home = || {
        codex::home(
            std::env::var_os(EnvVars::CODEX_HOME),
            std::env::var_os(EnvVars::HOME),
        )
        .context("neither CODEX_HOME nor HOME is set; give --hooks and --config")
    };
    let hooks = match &args.hooks {
        Some(path) => path.clone(),
        None => home()?.join(codex::HOOKS_FILE),
    };
    let config = match &args.config {
        Some(path) => path.clone(),
        None => home()?.join(codex::CONFIG_FILE),
    };
    // Both decided before either is written: a file that does not parse changes nothing.
    let mut plan = Vec::new();
    if let Some((real, text)) = read(&hooks, "a Codex hooks file")? {
        let removal = uninstall::remove_hooks_json(&text, &real, codex::is_our_command)?;
        plan.push((real, removal, "hooks"));
    }
    if let Some((real, text)) = read(&config, "a Codex config file")? {
        let removal = uninstall::remove_codex_config(&text, &real)?;
        plan.push((real, removal, "MCP server"));
    }
    let mut out = String::new();
    for (path, removal, what) in plan {
        out.push_str(&apply(&path, removal, what)?);
    }
    if out.is_empty() {
        out = format!(
            "no Codex hooks file or config file ({}, {}); nothing to remove\n",
            hooks.display(),
            config.display()
        );
    }
    Ok(out)
}

fn qwen_extension(args: &QwenArgs) -> anyhow::Result<String> {
    let dir = match &args.dir {
        Some(dir) => dir.clone(),
        None => qwen::extension_dir(
            &qwen::home(
                std::env::var_os(EnvVars::QWEN_HOME),
                std::env::var_os(EnvVars::HOME),
            )
            .context("neither QWEN_HOME nor HOME is set; give --dir")?,
        ),
    };
    let manifest = dir.join(qwen::MANIFEST_FILE);
    let Some((real, text)) = read(&manifest, "a Qwen Code extension manifest")? else {
        return Ok(format!(
            "{}: not there; nothing to remove\n",
            manifest.display()
        ));
    };
    let removal = uninstall::remove_qwen_manifest(&text, &real)?;
    let deleted = removal == Removal::Delete;
    let mut out = apply(&real, removal, "hooks and MCP server")?;
    if deleted && durable::remove_empty_dir(&dir)? {
        let _ = writeln!(out, "{}: removed (empty)", dir.display());
    }
    Ok(out)
}
