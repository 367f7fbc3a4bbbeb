//! `maestro-session setup`: write the Gemini CLI extension files and user policy, print or
//! merge the Claude Code settings block, write the Claude Code plugin folder, merge the Codex
//! hooks and MCP server, write the Qwen Code extension. The content is `maestro_session_core::integration`'s, `gemini_commands`' and
//! `gemini_policy`'s.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use maestro_session_core::{Env, EnvVars};
use maestro_session_fs::durable;
use maestro_session_fs::reader::{self, ReadKind};
use maestro_session_setup as integration;
use maestro_session_setup::gemini_commands::{self, ShellPath, Tools};
use maestro_session_setup::gemini_policy::{self, PolicyOutcome};

mod remove;

/// Runtime registration.
#[derive(Debug, Subcommand)]
pub enum Setup {
    /// Write `gemini-extension.json`, `hooks/hooks.json` and the commands
    /// `commands/maestro/{status,resume,archive}.toml` into an extension folder. The commands
    /// name `<dir>/bin/read-active-session` and this executable by absolute path.
    GeminiExtension {
        /// The extension folder (its `bin/` holds the hook executables).
        dir: PathBuf,
        /// The platform whose Gemini CLI runs the hooks [default: this one]; another for a
        /// release archive built here (Windows: PowerShell and `.exe`).
        #[arg(long, value_enum)]
        platform: Option<HookPlatform>,
        /// Remove the files this writes (not `bin/`); a folder left empty goes too.
        #[arg(long)]
        remove: bool,
    },
    /// Allow the extension's commands to run `<dir>/bin/read-active-session` without a
    /// confirmation prompt: a rule in the Gemini CLI user policy file (Gemini CLI ignores allow
    /// rules from extensions). Keeps the file's other rules; refuses a file it did not write.
    GeminiPolicy {
        /// The extension folder (its `bin/` holds read-active-session).
        #[arg(required_unless_present = "remove")]
        dir: Option<PathBuf>,
        /// The policy file (default: $GEMINI_CLI_HOME, else $HOME, then
        /// .gemini/policies/maestro-session.toml).
        #[arg(long)]
        file: Option<PathBuf>,
        /// Remove our rule block from the policy file instead (the file goes when nothing
        /// else is in it).
        #[arg(long)]
        remove: bool,
    },
    /// Print the Claude Code settings block, or merge it into a settings file.
    Claude {
        /// Folder holding the hook executables (valid UTF-8: it is written into JSON).
        #[arg(long, value_parser = crate::cli::utf8_path(), required_unless_present = "remove")]
        bin_dir: Option<PathBuf>,
        /// Merge into this settings file (created if missing), keeping its other keys.
        #[arg(long)]
        settings: Option<PathBuf>,
        /// Remove our hooks from the settings file instead (default: $CLAUDE_CONFIG_DIR,
        /// else ~/.claude, then settings.json), keeping everything else.
        #[arg(long)]
        remove: bool,
    },
    /// Write a Claude Code plugin folder: `.claude-plugin/plugin.json`, `hooks/hooks.json`,
    /// `.mcp.json` (`maestro-session mcp`), `commands/status.md` and `README.md`; load it with
    /// `claude --plugin-dir DIR`.
    ClaudePlugin {
        /// The plugin folder (created if missing).
        dir: PathBuf,
        /// Folder holding the hook executables and `read-active-session` (absolute, valid
        /// UTF-8: it is written into the plugin's files).
        #[arg(long, value_parser = crate::cli::utf8_path(), required_unless_present_any = ["remove", "portable"])]
        bin_dir: Option<PathBuf>,
        /// The `maestro-session` executable the MCP server runs (absolute, valid UTF-8).
        #[arg(long, value_parser = crate::cli::utf8_path(), required_unless_present_any = ["remove", "portable"])]
        cli: Option<PathBuf>,
        /// Name the executables in the plugin's own `bin/` through `${CLAUDE_PLUGIN_ROOT}`
        /// instead of --bin-dir and --cli: a plugin that works wherever it is unpacked (a
        /// release archive). Put `maestro-session` and `maestro-session-hook` in `<dir>/bin`.
        #[arg(long, conflicts_with_all = ["bin_dir", "cli"])]
        portable: bool,
        /// With --portable, the platform whose Claude Code runs the plugin [default: this one].
        #[arg(long, value_enum)]
        platform: Option<HookPlatform>,
        /// Also make the plugin folder's parent a local marketplace
        /// (`<parent>/.claude-plugin/marketplace.json`), for `claude plugin marketplace add`.
        #[arg(long)]
        marketplace: bool,
        /// Remove the plugin files this writes instead (with --marketplace, the
        /// marketplace.json too); a folder left empty goes too.
        #[arg(long)]
        remove: bool,
    },
    /// Merge the hooks into Codex's hooks.json and the MCP server into its config.toml.
    ///
    /// Files default to $CODEX_HOME, else ~/.codex. Both keep what is there; running this
    /// again changes nothing. A file that does not parse is left as it is (exit 3, naming the
    /// file and line). Codex runs the new hooks only after you trust them (printed below).
    Codex(CodexArgs),
    /// Write the Qwen Code extension maestro-session: its qwen-extension.json registers the
    /// hooks and the MCP server.
    ///
    /// The folder defaults to $QWEN_HOME, else ~/.qwen, then extensions/maestro-session. What
    /// else the manifest holds is kept; running this again changes nothing. A manifest that
    /// does not parse, or is another extension's, is left as it is (exit 3).
    Qwen(QwenArgs),
}

/// The platform a registration is written for (`--platform`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HookPlatform {
    /// Linux and macOS.
    Unix,
    /// Windows.
    Windows,
}

impl HookPlatform {
    /// `platform`, or this machine's.
    fn or_host(platform: Option<HookPlatform>) -> integration::platform::Platform {
        match platform {
            None => integration::platform::Platform::HOST,
            Some(HookPlatform::Unix) => integration::platform::Platform::Unix,
            Some(HookPlatform::Windows) => integration::platform::Platform::Windows,
        }
    }
}

/// `setup qwen`.
#[derive(Debug, clap::Args)]
pub struct QwenArgs {
    /// Folder holding the hook executables (valid UTF-8, no `$`: it is written into JSON that
    /// Qwen Code expands).
    #[arg(long, value_parser = crate::cli::utf8_path(), required_unless_present = "remove")]
    pub bin_dir: Option<PathBuf>,
    /// The extension folder [default: <qwen home>/extensions/maestro-session].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Absolute path of the maestro-session that serves MCP [default: this executable].
    #[arg(long, value_name = "PATH", value_parser = crate::cli::utf8_path())]
    pub mcp_command: Option<PathBuf>,
    /// Register the hooks only (an MCP server entry of ours is removed).
    #[arg(long)]
    pub no_mcp: bool,
    /// Remove our hooks and MCP server from the manifest instead; the manifest and the
    /// folder go when nothing else is in them.
    #[arg(long)]
    pub remove: bool,
}

/// `setup codex`.
#[derive(Debug, clap::Args)]
pub struct CodexArgs {
    /// Folder holding the hook executables (valid UTF-8: it is written into JSON).
    #[arg(long, value_parser = crate::cli::utf8_path(), required_unless_present = "remove")]
    pub bin_dir: Option<PathBuf>,
    /// The hooks file to merge into (created if missing) [default: <codex home>/hooks.json].
    #[arg(long, value_name = "FILE")]
    pub hooks: Option<PathBuf>,
    /// The config file to merge the MCP server into (created if missing)
    /// [default: <codex home>/config.toml].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Absolute path of the maestro-session that serves MCP [default: this executable].
    #[arg(long, value_name = "PATH", value_parser = crate::cli::utf8_path())]
    pub mcp_command: Option<PathBuf>,
    /// Pin the MCP server to this project (env MAESTRO_WORKSPACE_PATH); without it the
    /// server serves the project Codex runs in.
    #[arg(long, value_name = "DIR", value_parser = crate::cli::utf8_path())]
    pub workspace: Option<PathBuf>,
    /// Let Codex call the MCP server's tools without asking
    /// (default_tools_approval_mode = "approve").
    #[arg(long)]
    pub approve_tools: bool,
    /// Leave config.toml alone: register the hooks only (the MCP options are then unused).
    #[arg(long)]
    pub no_mcp: bool,
    /// Remove our hooks from hooks.json and our server from config.toml instead, keeping
    /// everything else (a file left empty goes). Codex's trust records stay its own.
    #[arg(long)]
    pub remove: bool,
}

impl Setup {
    /// The subcommand's name, as typed.
    pub fn name(&self) -> &'static str {
        match self {
            Setup::GeminiExtension { .. } => "gemini-extension",
            Setup::GeminiPolicy { .. } => "gemini-policy",
            Setup::Claude { .. } => "claude",
            Setup::ClaudePlugin { .. } => "claude-plugin",
            Setup::Codex(_) => "codex",
            Setup::Qwen(_) => "qwen",
        }
    }
}

/// Runs one `setup` subcommand; returns what it has to say (printed by the caller).
///
/// Errors: a file that does not parse is [`maestro_session_core::Error::Corrupt`] naming it (exit 3),
/// a path argument that cannot be used is [`maestro_session_core::Error::Invalid`] (exit 2).
pub fn run(setup: Setup) -> anyhow::Result<String> {
    if let Some(out) = remove::run(&setup)? {
        return Ok(out);
    }
    let mut out = String::new();
    match setup {
        Setup::GeminiExtension { dir, platform, .. } => {
            durable::create_dirs(&dir.join("hooks"))?;
            // Paths first: one that cannot be written into a command file changes nothing.
            let read = gemini_commands::installed_read_active_session(&dir)?;
            let exe = std::env::current_exe().context("find the maestro-session executable")?;
            let cli = ShellPath::new(&exe)?;
            let manifest = integration::gemini_extension_manifest(env!("CARGO_PKG_VERSION"));
            durable::durable_replace(
                &dir.join("gemini-extension.json"),
                manifest.as_bytes(),
                durable::STATE_FILE_MODE,
            )?;
            durable::durable_replace(
                &dir.join("hooks/hooks.json"),
                integration::gemini_hooks(HookPlatform::or_host(platform)).as_bytes(),
                durable::STATE_FILE_MODE,
            )?;
            let tools = Tools {
                read_active_session: &read,
                maestro_session: &cli,
            };
            gemini_commands::write_command_files(&dir, tools)?;
        }
        Setup::GeminiPolicy { dir, file, .. } => {
            let dir = remove::required(dir, "DIR")?;
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
            out = format!(
                "Gemini CLI user policy {}: {done}\n  \
                 it allows run_shell_command {} without a confirmation prompt (priority {}), so \
                 /maestro:status, /maestro:resume and /maestro:archive can read the session \
                 state in `gemini -p` runs too; a user policy, because Gemini CLI ignores allow \
                 rules from extensions\n",
                file.display(),
                read.shell_word(),
                gemini_policy::PRIORITY,
            );
        }
        Setup::Claude {
            bin_dir, settings, ..
        } => {
            let bin_dir = remove::required(bin_dir, "--bin-dir")?;
            let bin_dir = bin_dir.to_string_lossy();
            match settings {
                None => out = integration::claude_settings_block(&bin_dir),
                Some(path) => {
                    let existing = match reader::read_path(&path, ReadKind::RUNTIME_CONFIG) {
                        Ok(bytes) => String::from_utf8(bytes).map_err(|e| {
                            maestro_session_core::Error::Corrupt {
                                path: path.clone(),
                                line: None,
                                reason: format!("not UTF-8 ({e}); left unchanged"),
                            }
                        })?,
                        Err(e) if e.is_not_found() => String::new(),
                        Err(e) => return Err(e.into()),
                    };
                    // A settings file that does not parse is a broken file (exit 3), as for Codex.
                    let merged =
                        integration::merge_claude_settings(&existing, &bin_dir).map_err(|e| {
                            maestro_session_core::Error::Corrupt {
                                path: path.clone(),
                                line: None,
                                reason: format!("{e}; left unchanged"),
                            }
                        })?;
                    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                        durable::create_dirs(parent)?;
                    }
                    durable::durable_replace(&path, merged.as_bytes(), durable::STATE_FILE_MODE)?;
                }
            }
        }
        Setup::Codex(args) => out = run_codex(args)?,
        Setup::Qwen(args) => out = run_qwen(args)?,
        Setup::ClaudePlugin {
            dir,
            bin_dir,
            cli,
            portable,
            platform,
            marketplace,
            ..
        } => {
            if platform.is_some() && !portable {
                return Err(maestro_session_core::Error::Invalid(
                    "--platform is for --portable plugins; the installed ones are this machine's"
                        .into(),
                )
                .into());
            }
            if portable {
                let bin = integration::PluginBin::PluginRoot(HookPlatform::or_host(platform));
                write_claude_plugin(&dir, bin, marketplace)?;
            } else {
                let bin_dir = remove::required(bin_dir, "--bin-dir")?;
                let cli = remove::required(cli, "--cli")?;
                for (what, path) in [("--bin-dir", &bin_dir), ("--cli", &cli)] {
                    if !path.is_absolute() {
                        return Err(maestro_session_core::Error::Invalid(format!(
                            "{what} {} is not absolute; the plugin runs from wherever Claude Code copies it",
                            path.display()
                        ))
                        .into());
                    }
                }
                let (bin_dir, cli) = (bin_dir.to_string_lossy(), cli.to_string_lossy());
                let bin = integration::PluginBin::Installed {
                    bin_dir: &bin_dir,
                    cli: &cli,
                };
                write_claude_plugin(&dir, bin, marketplace)?;
            }
        }
    }
    Ok(out)
}

/// Runs one `setup` subcommand as a command: its message as text or `{"setup", "message"}`.
///
/// Errors: as [`run`].
pub fn report(setup: Setup) -> anyhow::Result<crate::output::Report> {
    let name = setup.name();
    let text = run(setup)?;
    Ok(crate::output::Report::new(
        crate::output::json(&maestro_session_core::outputs::command::SetupOutput {
            setup: name.to_string(),
            message: text.clone(),
        })?,
        text,
    ))
}

/// Writes the plugin folder `dir` whose files find the executables as `bin` says.
fn write_claude_plugin(
    dir: &Path,
    bin: integration::PluginBin<'_>,
    marketplace: bool,
) -> anyhow::Result<()> {
    let version = env!("CARGO_PKG_VERSION");
    let files = [
        (
            ".claude-plugin/plugin.json",
            integration::claude_plugin_manifest(version),
        ),
        ("hooks/hooks.json", integration::claude_plugin_hooks(bin)),
        (".mcp.json", integration::claude_plugin_mcp(bin)),
        (
            "commands/status.md",
            integration::claude_status_command(bin),
        ),
        ("README.md", integration::claude_plugin_readme(bin)),
    ];
    for (rel, text) in files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            durable::create_dirs(parent)?;
        }
        durable::durable_replace(&path, text.as_bytes(), durable::STATE_FILE_MODE)?;
    }
    if marketplace {
        let folder = dir.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
            maestro_session_core::Error::Invalid(
                "--marketplace needs a plugin folder with a UTF-8 name".into(),
            )
        })?;
        let root = dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        durable::create_dirs(&root.join(".claude-plugin"))?;
        durable::durable_replace(
            &root.join(".claude-plugin/marketplace.json"),
            integration::claude_marketplace(version, folder).as_bytes(),
            durable::STATE_FILE_MODE,
        )?;
    }
    Ok(())
}

/// `setup codex`: merges both files first, so a file that does not parse stops the command
/// before anything is written; then writes what changed and returns what it did and how
/// Codex's hook trust works.
fn run_codex(args: CodexArgs) -> anyhow::Result<String> {
    use maestro_session_setup::codex;
    use std::fmt::Write as _;

    let home = || {
        codex::home(
            std::env::var_os(EnvVars::CODEX_HOME),
            std::env::var_os(EnvVars::HOME),
        )
        .context("neither CODEX_HOME nor HOME is set; give --hooks and --config")
    };
    let hooks_path = match args.hooks {
        Some(path) => path,
        None => home()?.join(codex::HOOKS_FILE),
    };
    let bin_dir = absolute(&remove::required(args.bin_dir, "--bin-dir")?)?;
    let bin_dir = bin_dir.to_string_lossy();
    let (hooks_path, existing) = read_config_file(&hooks_path, "a Codex hooks file")?;
    let hooks = codex::merge_hooks(&existing, &hooks_path, &bin_dir)?;

    let mut config = None;
    if !args.no_mcp {
        let config_path = match args.config {
            Some(path) => path,
            None => home()?.join(codex::CONFIG_FILE),
        };
        let command = match args.mcp_command {
            Some(path) => absolute(&path)?,
            None => std::env::current_exe().context("find this executable for --mcp-command")?,
        };
        let server = codex::McpServer {
            command: command.to_string_lossy().into_owned(),
            workspace: args
                .workspace
                .map(|w| absolute(&w).map(|w| w.to_string_lossy().into_owned()))
                .transpose()?,
            approve_tools: args.approve_tools,
        };
        let (config_path, existing) = read_config_file(&config_path, "a Codex config file")?;
        let merged = codex::merge_config(&existing, &config_path, &server)?;
        config = Some((config_path, merged, server));
    }

    let mut out = String::new();
    write_if_changed(&hooks_path, &hooks)?;
    let events: Vec<&str> = codex::EVENTS.iter().map(|(event, _)| *event).collect();
    let what = format!(
        "{} ({}/<hook> --runtime claude)",
        events.join(", "),
        bin_dir.trim_end_matches('/')
    );
    if hooks.changed {
        let _ = writeln!(out, "hooks: merged {what} into {}", hooks_path.display());
    } else {
        let _ = writeln!(out, "hooks: {} already has {what}", hooks_path.display());
    }
    if let Some((config_path, merged, server)) = config {
        write_if_changed(&config_path, &merged)?;
        let what = format!(
            "[mcp_servers.{}] (command = {:?}, args = [\"mcp\"])",
            codex::MCP_SERVER_NAME,
            server.command
        );
        if merged.changed {
            let _ = writeln!(out, "mcp: merged {what} into {}", config_path.display());
        } else {
            let _ = writeln!(out, "mcp: {} already has {what}", config_path.display());
        }
    }
    let _ = writeln!(out, "{}", codex::trust_notice(&hooks_path, hooks.changed));
    Ok(out)
}

/// `setup qwen`: merges the manifest (nothing is written when it does not parse), writes it
/// when it changed, and says what it did.
fn run_qwen(args: QwenArgs) -> anyhow::Result<String> {
    use maestro_session_setup::qwen;
    use std::fmt::Write as _;

    let dir = match args.dir {
        Some(dir) => dir,
        None => qwen::extension_dir(
            &qwen::home(
                std::env::var_os(EnvVars::QWEN_HOME),
                std::env::var_os(EnvVars::HOME),
            )
            .context("neither QWEN_HOME nor HOME is set; give --dir")?,
        ),
    };
    let bin_dir = absolute(&remove::required(args.bin_dir, "--bin-dir")?)?;
    let bin_dir = bin_dir.to_string_lossy();
    let command = match (args.no_mcp, args.mcp_command) {
        (true, _) => None,
        (false, Some(path)) => Some(absolute(&path)?),
        (false, None) => {
            Some(std::env::current_exe().context("find this executable for --mcp-command")?)
        }
    };
    let command = command.map(|c| c.to_string_lossy().into_owned());
    let install = qwen::Install {
        bin_dir: &bin_dir,
        mcp_command: command.as_deref(),
        version: env!("CARGO_PKG_VERSION"),
    };
    let (path, existing) = read_config_file(
        &dir.join(qwen::MANIFEST_FILE),
        "a Qwen Code extension manifest",
    )?;
    let merged = qwen::merge_manifest(&existing, &path, &install)?;
    write_if_changed(&path, &merged)?;
    let events: Vec<&str> = qwen::EVENTS.iter().map(|(event, _)| *event).collect();
    let mut what = format!(
        "hooks {} ({}/<hook> --runtime qwen)",
        events.join(", "),
        bin_dir.trim_end_matches('/')
    );
    if let Some(command) = &command {
        let _ = write!(
            what,
            " and MCP server {} ({command} mcp)",
            qwen::MCP_SERVER_NAME
        );
    }
    let mut out = String::new();
    if merged.changed {
        let _ = writeln!(out, "qwen: wrote {what} into {}", path.display());
    } else {
        let _ = writeln!(out, "qwen: {} already has {what}", path.display());
    }
    let _ = writeln!(
        out,
        "Qwen Code loads the extension {} at its next start (`qwen extensions list`). A \
         sub-agent gets its phase's context only where its agent file's body has ${{hook_context}}.",
        qwen::EXTENSION_NAME
    );
    Ok(out)
}

/// `path` made absolute against the working directory (not resolved: a symlinked install
/// folder stays as given).
fn absolute(path: &std::path::Path) -> anyhow::Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("make {} absolute", path.display()))
}

/// The file to edit and its text: a symlink is followed to the file it names, so the link
/// stays (a dotfiles repository, say); a missing file is empty text.
pub(crate) fn read_config_file(
    path: &std::path::Path,
    kind: &'static str,
) -> anyhow::Result<(PathBuf, String)> {
    let path =
        maestro_session_fs::canonical::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let bytes = match reader::read_path(
        &path,
        ReadKind::new(kind, maestro_session_setup::codex::MAX_FILE_BYTES),
    ) {
        Ok(bytes) => bytes,
        Err(e) if e.is_not_found() => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let text = String::from_utf8(bytes).map_err(|e| maestro_session_core::Error::Corrupt {
        path: path.clone(),
        line: None,
        reason: format!("not UTF-8 ({e}); left unchanged"),
    })?;
    Ok((path, text))
}

/// Writes the merge result by durable replace when it changed (a new file is private: it may
/// come to hold tokens); creates the parent folder.
fn write_if_changed(
    path: &std::path::Path,
    merged: &maestro_session_setup::codex::Merged,
) -> anyhow::Result<()> {
    if !merged.changed {
        return Ok(());
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        durable::create_dirs(parent)?;
    }
    durable::durable_replace(path, merged.text.as_bytes(), durable::PRIVATE_FILE_MODE)?;
    Ok(())
}
