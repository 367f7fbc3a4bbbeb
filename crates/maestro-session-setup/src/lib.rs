//! Registering the hooks with the runtimes.
//!
//! Gemini CLI: an extension folder holds `gemini-extension.json` (`{"name","version"}`) and
//! `hooks/hooks.json` with the `hooks` object of `settings.json`; `${extensionPath}` is
//! substituted by Gemini CLI; timeouts are in ms (Gemini CLI 0.61 hooks reference).
//! Claude Code: `settings.json` `hooks` keyed by event (`SessionStart`, `SubagentStart`,
//! `SubagentStop`, `SessionEnd`), each a list of `{matcher?, hooks: [{type, command, timeout}]}`,
//! timeouts in s (Claude Code hooks reference).
//! Claude Code plugin (checked with Claude Code 2.1.330 and `--plugin-dir`): a folder with
//! `.claude-plugin/plugin.json` (`{"name","version","description"}`), `hooks/hooks.json` (the
//! `hooks` object of `settings.json`), `.mcp.json` (`{"mcpServers": {...}}`, where Claude Code
//! substitutes `${CLAUDE_PROJECT_DIR}` and `${CLAUDE_PLUGIN_ROOT}` in `command`, `args` and
//! `env`) and `commands/<name>.md`, run as `/<plugin>:<name>`, in which `` !`command` `` runs
//! the command in the project folder and puts its output into the prompt (allowed by the
//! front matter's `allowed-tools: Bash(<command>)`; Claude Code refuses a `$VARIABLE` there).
//! Paths are either written absolute at install time ([`PluginBin::Installed`]), or name the
//! plugin's own `bin/` through `${CLAUDE_PLUGIN_ROOT}` ([`PluginBin::PluginRoot`]), which Claude
//! Code 2.1.330 substitutes in hook commands, `.mcp.json` and command files: the plugin of a
//! release archive, which works wherever the archive is unpacked.
//! OpenAI Codex: see [`codex`]. Qwen Code: see [`qwen`].

pub mod codex;
pub mod gemini_commands;
pub mod gemini_policy;
pub mod hook_groups;
pub mod platform;
pub mod qwen;
pub mod shell;
pub mod uninstall;

use serde_json::{Map, Value, json};

use maestro_session_core::env_vars::EnvVars;
use maestro_session_core::error::{Error, Result};
use maestro_session_core::hooks::payload::{HookEvent, Runtime};
use shell::shell_word;

/// Timeout of each hook in Gemini CLI, in ms.
pub const GEMINI_TIMEOUT_MS: u64 = 5_000;
/// Timeout of each hook in Claude Code, in s.
pub const CLAUDE_TIMEOUT_S: u64 = 5;

/// (Gemini CLI event, executable) pairs, from [`HookEvent::registrations`].
pub const GEMINI_EVENTS: [(&str, &str); 4] = HookEvent::registrations(Runtime::Gemini);

/// (Claude Code event, executable) pairs, from [`HookEvent::registrations`].
pub const CLAUDE_EVENTS: [(&str, &str); 4] = HookEvent::registrations(Runtime::Claude);

/// Name of the Claude Code plugin, and the namespace of its commands (`/maestro-session:status`).
pub const CLAUDE_PLUGIN_NAME: &str = "maestro-session";
/// The licence the plugin manifest names: the workspace's (an SPDX expression).
const PLUGIN_LICENSE: &str = "MIT OR Apache-2.0";
/// Name of the plugin's MCP server (`maestro-session mcp`); Claude Code lists it as
/// `plugin:maestro-session:maestro-session` and its tools as `mcp__plugin_maestro-session_maestro-session__<tool>`.
pub const CLAUDE_MCP_SERVER: &str = "maestro-session";

/// `gemini-extension.json` of the extension folder, with [`gemini_mcp_servers`].
pub fn gemini_extension_manifest(version: &str) -> String {
    let mut v = json!({"name": "maestro-session", "version": version, "description": "Native Maestro session hooks and state tools"});
    v["mcpServers"] = gemini_mcp_servers();
    pretty(&v)
}

/// The name the MCP server is registered under; Gemini CLI 0.61 shows its tools to the model
/// as `mcp_<server>_<tool>` (`mcp_maestro-session_get_session_status`; core
/// `tools/mcp-tool.ts`, `generateValidName`).
pub const GEMINI_MCP_SERVER: &str = "maestro-session";

/// The `mcpServers` entry of the extension manifest: `maestro-session mcp` from the
/// extension's `bin/`, with the project root in `MAESTRO_WORKSPACE_PATH`. Gemini CLI 0.61
/// substitutes `${extensionPath}` and `${workspacePath}` throughout `gemini-extension.json`
/// (`config/extensions/variables.ts`, `recursivelyHydrateStrings`), drops `trust` from an
/// extension's server (so tool calls need approval), and starts a stdio server only in a
/// trusted folder.
pub fn gemini_mcp_servers() -> Value {
    json!({GEMINI_MCP_SERVER: {
        "command": "${extensionPath}/bin/maestro-session",
        "args": ["mcp"],
        "env": {(EnvVars::MAESTRO_WORKSPACE_PATH): "${workspacePath}"},
    }})
}

/// `hooks/hooks.json` of the extension folder, for the runtimes of `platform`.
pub fn gemini_hooks(platform: platform::Platform) -> String {
    let mut hooks = Map::new();
    for (event, exe) in GEMINI_EVENTS {
        hooks.insert(
            event.into(),
            json!([{"hooks": [{
                "name": format!("maestro-{exe}"),
                "type": "command",
                "command": platform::gemini_extension_command(platform, exe),
                "timeout": GEMINI_TIMEOUT_MS,
            }]}]),
        );
    }
    pretty(&json!({ "hooks": hooks }))
}

/// The Claude Code `hooks` block for executables installed in `bin_dir`.
pub fn claude_hooks(bin_dir: &str) -> Map<String, Value> {
    let mut hooks = Map::new();
    for (event, exe) in CLAUDE_EVENTS {
        hooks.insert(
            event.into(),
            json!([{"hooks": [platform::claude_handler(
                platform::Platform::HOST,
                bin_dir,
                exe,
                CLAUDE_TIMEOUT_S,
            )]}]),
        );
    }
    hooks
}

/// `.claude-plugin/plugin.json` of the Claude Code plugin folder.
pub fn claude_plugin_manifest(version: &str) -> String {
    pretty(&json!({
        "name": CLAUDE_PLUGIN_NAME,
        "version": version,
        "description": "Native Maestro session hooks (SessionStart, SubagentStart, SubagentStop, SessionEnd), the maestro-session MCP server and /maestro-session:status",
        "author": {"name": "maestro-session"},
        "license": PLUGIN_LICENSE,
    }))
}

/// Where the files of a Claude Code plugin folder find our executables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PluginBin<'a> {
    /// Installed on this machine: the hook executables under their names in `bin_dir`, and
    /// `cli` (`maestro-session`) for the MCP server, both absolute.
    Installed {
        /// Folder of the hook executables and `read-active-session`.
        bin_dir: &'a str,
        /// The `maestro-session` executable.
        cli: &'a str,
    },
    /// In the plugin folder's own `bin/` (`maestro-session` and `maestro-session-hook`, run as
    /// `maestro-session-hook <name>`), named through `${CLAUDE_PLUGIN_ROOT}`, for the runtimes of
    /// the given platform: a plugin that works wherever it is unpacked, as in a release archive.
    /// Claude Code reads a local marketplace's plugin from where it is, so that folder stays.
    PluginRoot(platform::Platform),
}

/// `hooks/hooks.json` of the Claude Code plugin folder: the hooks of [`claude_hooks`], or with
/// [`PluginBin::PluginRoot`] the same events run as `maestro-session-hook <name>` from the
/// plugin's `bin/` ([`platform::claude_plugin_root_handler`]).
pub fn claude_plugin_hooks(bin: PluginBin<'_>) -> String {
    let hooks = match bin {
        PluginBin::Installed { bin_dir, .. } => claude_hooks(bin_dir),
        PluginBin::PluginRoot(platform) => CLAUDE_EVENTS
            .into_iter()
            .map(|(event, exe)| {
                let handler = platform::claude_plugin_root_handler(platform, exe, CLAUDE_TIMEOUT_S);
                (event.to_string(), json!([{ "hooks": [handler] }]))
            })
            .collect(),
    };
    pretty(&json!({
        "description": "maestro-session: hook state and handoff checks of Maestro sessions",
        "hooks": hooks,
    }))
}

/// The `maestro-session` executable the plugin's files run.
fn plugin_cli(bin: PluginBin<'_>) -> String {
    match bin {
        PluginBin::Installed { cli, .. } => cli.to_string(),
        PluginBin::PluginRoot(platform) => {
            platform::claude_plugin_root_exe(platform, "maestro-session")
        }
    }
}

/// `.mcp.json` of the Claude Code plugin folder: `<cli> mcp` over stdio, with the project
/// Claude Code runs in as `MAESTRO_WORKSPACE_PATH` (Claude Code substitutes
/// `${CLAUDE_PROJECT_DIR}` and `${CLAUDE_PLUGIN_ROOT}` in a plugin's `.mcp.json`, per element:
/// no shell reads it).
pub fn claude_plugin_mcp(bin: PluginBin<'_>) -> String {
    pretty(&json!({"mcpServers": {CLAUDE_MCP_SERVER: {
        "command": plugin_cli(bin),
        "args": ["mcp"],
        "env": {(EnvVars::MAESTRO_WORKSPACE_PATH): "${CLAUDE_PROJECT_DIR}"},
    }}}))
}

/// `commands/status.md` of the Claude Code plugin folder: `/maestro-session:status` injects
/// what `read-active-session` prints (the active session file, or `No active session`) through
/// Claude Code's `` !`command` `` syntax and asks for a summary. With
/// [`PluginBin::PluginRoot`] the command is `"${CLAUDE_PLUGIN_ROOT}/bin/maestro-session-hook"
/// read-active-session`: Claude Code substitutes the placeholder, and the double quotes keep a
/// plugin path with spaces one word (Claude Code's own advice for plugin paths).
pub fn claude_status_command(bin: PluginBin<'_>) -> String {
    let command = match bin {
        PluginBin::Installed { bin_dir, .. } => {
            format!("{}/read-active-session", shell_word(bin_dir))
        }
        // `/` on Windows too: Claude Code runs these through Git Bash there.
        PluginBin::PluginRoot(_) => format!(
            "\"{}\" read-active-session",
            platform::claude_plugin_root_exe(platform::Platform::Unix, "maestro-session-hook")
        ),
    };
    format!(
        "---\n\
         description: Show the active Maestro session of this project\n\
         allowed-tools: Bash({command})\n\
         ---\n\
         The active Maestro session of this project, as `read-active-session` printed it:\n\
         \n\
         !`{command}`\n\
         \n\
         Summarize it for the user: the task and status, each phase with its status and agents, \
         what is in progress or blocked, token totals and any unresolved errors. If it printed \
         `No active session`, say there is none and stop.\n"
    )
}

/// `README.md` of the Claude Code plugin folder: what the plugin registers, for people and for
/// `claude plugin validate`.
pub fn claude_plugin_readme(bin: PluginBin<'_>) -> String {
    let bin_dir = match bin {
        PluginBin::Installed { bin_dir, .. } => bin_dir.to_string(),
        PluginBin::PluginRoot(_) => "bin/ of this folder".to_string(),
    };
    let cli = plugin_cli(bin);
    format!(
        "# maestro-session for Claude Code\n\
         \n\
         Keeps the state of Maestro orchestration sessions while Claude Code runs them.\n\
         \n\
         - Hooks (`hooks/hooks.json`, executables in `{bin_dir}`): SessionStart and SessionEnd \
         keep a hook-state folder per Claude Code session; SubagentStart records each \
         sub-agent and tells a Maestro specialist the context of its own phase; SubagentStop \
         blocks a specialist's report that lacks `## Task Report` or `## Downstream Context` \
         once, and lets every other agent (Explore, Plan, general-purpose) through.\n\
         - MCP server (`.mcp.json`): `{cli} mcp`, the session tools, in the project Claude Code \
         runs in.\n\
         - Command: `/maestro-session:status` shows the active session.\n\
         \n\
         Load it with `claude --plugin-dir <this folder>`, or from the local marketplace one \
         folder up. Written by `maestro-session setup claude-plugin`; see the maestro-session \
         README.\n"
    )
}

/// `.claude-plugin/marketplace.json` of a local marketplace whose folder holds the plugin
/// folder `plugin_folder` (a name, e.g. `claude-plugin`): add it with
/// `claude plugin marketplace add <folder>`, then `claude plugin install
/// maestro-session@maestro-session`.
pub fn claude_marketplace(version: &str, plugin_folder: &str) -> String {
    pretty(&json!({
        "name": CLAUDE_PLUGIN_NAME,
        "description": "The maestro-session plugin, from a local install",
        "owner": {"name": "maestro-session"},
        "plugins": [{
            "name": CLAUDE_PLUGIN_NAME,
            "source": format!("./{plugin_folder}"),
            "version": version,
            "description": "Native Maestro session hooks, MCP server and status command",
        }],
    }))
}

/// The Claude Code settings block to paste, as pretty JSON.
pub fn claude_settings_block(bin_dir: &str) -> String {
    pretty(&json!({ "hooks": claude_hooks(bin_dir) }))
}

/// Merges our hooks into the Claude Code settings text `existing` (empty means `{}`), keeping
/// every other key and every other hook; entries of ours from an earlier install (a command
/// under `bin_dir`) are replaced, so merging twice changes nothing.
///
/// Errors: [`Error::Invalid`] when `existing` is not a JSON object or its `hooks` is not one.
pub fn merge_claude_settings(existing: &str, bin_dir: &str) -> Result<String> {
    let mut root: Value = if existing.trim().is_empty() {
        json!({})
    } else {
        serde_json::from_str(existing)
            .map_err(|e| Error::Invalid(format!("settings file is not valid JSON: {e}")))?
    };
    let obj = root
        .as_object_mut()
        .ok_or_else(|| Error::Invalid("settings file is not a JSON object".into()))?;
    let hooks = obj
        .entry("hooks")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or_else(|| Error::Invalid("settings `hooks` is not a JSON object".into()))?;
    let ours = |group: &Value| {
        group
            .get("hooks")
            .and_then(Value::as_array)
            .is_some_and(|hs| {
                hs.iter().any(|h| {
                    h.get("command").and_then(Value::as_str).is_some_and(|c| {
                        c.starts_with(&format!("{}/", shell_word(bin_dir)))
                            || c.starts_with(&platform::Platform::HOST.exe_path(bin_dir, ""))
                    })
                })
            })
    };
    for (event, groups) in claude_hooks(bin_dir) {
        let list = hooks.entry(event.clone()).or_insert_with(|| json!([]));
        let Some(list) = list.as_array_mut() else {
            return Err(Error::Invalid(format!(
                "settings `hooks.{event}` is not a list"
            )));
        };
        list.retain(|g| !ours(g));
        list.extend(groups.as_array().cloned().unwrap_or_default());
    }
    Ok(pretty(&root))
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hooks_lock_budget_is_well_under_every_timeout_we_register() {
        use maestro_session_core::hooks::budget::HOOK_LOCK_BUDGET_MS;
        let registered_ms = [
            GEMINI_TIMEOUT_MS,
            CLAUDE_TIMEOUT_S * 1000,
            codex::TIMEOUT_S * 1000,
            codex::SESSION_END_TIMEOUT_S * 1000,
        ];
        for timeout in registered_ms {
            // Well under: a hook spends its budget once, plus about a millisecond of its own.
            assert!(
                HOOK_LOCK_BUDGET_MS * 4 <= timeout,
                "{HOOK_LOCK_BUDGET_MS} ms of {timeout} ms"
            );
        }
    }

    #[test]
    fn gemini_hooks_name_each_event_in_ms() {
        let v: Value = serde_json::from_str(&gemini_hooks(platform::Platform::HOST)).expect("json");
        for (event, exe) in GEMINI_EVENTS {
            let h = &v["hooks"][event][0]["hooks"][0];
            assert_eq!(h["command"], format!("${{extensionPath}}/bin/{exe}"));
            assert_eq!(h["timeout"], 5000);
        }
    }

    #[test]
    fn the_manifest_registers_the_mcp_server() {
        let v: Value = serde_json::from_str(&gemini_extension_manifest("1.2.3")).expect("json");
        assert_eq!(v["version"], "1.2.3");
        let server = &v["mcpServers"]["maestro-session"];
        assert_eq!(server["command"], "${extensionPath}/bin/maestro-session");
        assert_eq!(server["args"], json!(["mcp"]));
        assert_eq!(
            server["env"][EnvVars::MAESTRO_WORKSPACE_PATH],
            "${workspacePath}"
        );
    }

    #[test]
    fn merge_keeps_user_keys_and_is_idempotent() {
        let user = r#"{"model": "opus", "hooks": {"SessionStart": [{"hooks": [{"type": "command", "command": "/usr/bin/other"}]}], "PreToolUse": []}}"#;
        let once = merge_claude_settings(user, "/opt/m/bin").expect("merge");
        let twice = merge_claude_settings(&once, "/opt/m/bin").expect("merge");
        assert_eq!(once, twice);
        let v: Value = serde_json::from_str(&once).expect("json");
        assert_eq!(v["model"], "opus");
        assert_eq!(v["hooks"]["PreToolUse"], json!([]));
        let start = v["hooks"]["SessionStart"].as_array().expect("list");
        assert_eq!(start.len(), 2);
        assert_eq!(start[0]["hooks"][0]["command"], "/usr/bin/other");
        assert_eq!(
            start[1]["hooks"][0]["command"],
            "/opt/m/bin/session-start --runtime claude"
        );
        assert_eq!(v["hooks"]["SubagentStop"][0]["hooks"][0]["timeout"], 5);
        assert!(merge_claude_settings("[1]", "/x").is_err());
        assert!(merge_claude_settings("{\"hooks\": 3}", "/x").is_err());
        assert!(merge_claude_settings("", "/x").is_ok());
    }

    #[test]
    fn claude_plugin_files() {
        let manifest: Value = serde_json::from_str(&claude_plugin_manifest("1.2.3")).expect("json");
        assert_eq!(manifest["name"], "maestro-session");
        assert_eq!(manifest["version"], "1.2.3");
        let installed = PluginBin::Installed {
            bin_dir: "/opt/m/bin",
            cli: "/opt/m/maestro-session",
        };
        let hooks: Value = serde_json::from_str(&claude_plugin_hooks(installed)).expect("json");
        for (event, exe) in CLAUDE_EVENTS {
            let h = &hooks["hooks"][event][0]["hooks"][0];
            assert_eq!(h["command"], format!("/opt/m/bin/{exe} --runtime claude"));
            assert_eq!(h["timeout"], CLAUDE_TIMEOUT_S);
        }
        let mcp: Value = serde_json::from_str(&claude_plugin_mcp(installed)).expect("json");
        assert_eq!(
            mcp["mcpServers"]["maestro-session"],
            json!({"command": "/opt/m/maestro-session", "args": ["mcp"], "env": {(EnvVars::MAESTRO_WORKSPACE_PATH): "${CLAUDE_PROJECT_DIR}"}})
        );
        let status = claude_status_command(installed);
        assert!(status.starts_with("---\ndescription: "), "{status}");
        assert!(status.contains("allowed-tools: Bash(/opt/m/bin/read-active-session)\n---\n"));
        assert!(status.contains("\n!`/opt/m/bin/read-active-session`\n"));
        let market: Value =
            serde_json::from_str(&claude_marketplace("1.2.3", "claude-plugin")).expect("json");
        assert_eq!(market["plugins"][0]["source"], "./claude-plugin");
        assert_eq!(market["plugins"][0]["name"], market["name"]);
    }

    #[test]
    fn a_plugin_root_plugin_names_its_own_bin_through_the_placeholder() {
        let unix = PluginBin::PluginRoot(platform::Platform::Unix);
        let hooks: Value = serde_json::from_str(&claude_plugin_hooks(unix)).expect("json");
        for (event, exe) in CLAUDE_EVENTS {
            let h = &hooks["hooks"][event][0]["hooks"][0];
            assert_eq!(
                h["command"],
                format!(
                    "\"${{CLAUDE_PLUGIN_ROOT}}/bin/maestro-session-hook\" {exe} --runtime claude"
                )
            );
        }
        let mcp: Value = serde_json::from_str(&claude_plugin_mcp(unix)).expect("json");
        assert_eq!(
            mcp["mcpServers"]["maestro-session"]["command"],
            "${CLAUDE_PLUGIN_ROOT}/bin/maestro-session"
        );
        let status = claude_status_command(unix);
        assert!(status.contains(
            "\n!`\"${CLAUDE_PLUGIN_ROOT}/bin/maestro-session-hook\" read-active-session`\n"
        ));
        assert!(!claude_plugin_readme(unix).contains("/opt"));
        let windows = PluginBin::PluginRoot(platform::Platform::Windows);
        let hooks: Value = serde_json::from_str(&claude_plugin_hooks(windows)).expect("json");
        assert_eq!(
            hooks["hooks"]["SubagentStop"][0]["hooks"][0],
            json!({"type": "command",
                   "command": "${CLAUDE_PLUGIN_ROOT}\\bin\\maestro-session-hook.exe",
                   "args": ["after-agent", "--runtime", "claude"], "timeout": CLAUDE_TIMEOUT_S})
        );
        let mcp: Value = serde_json::from_str(&claude_plugin_mcp(windows)).expect("json");
        assert_eq!(
            mcp["mcpServers"]["maestro-session"]["command"],
            "${CLAUDE_PLUGIN_ROOT}\\bin\\maestro-session.exe"
        );
    }

    #[test]
    fn gemini_hooks_follow_the_platform() {
        let unix: Value =
            serde_json::from_str(&gemini_hooks(platform::Platform::Unix)).expect("json");
        assert_eq!(
            unix["hooks"]["AfterAgent"][0]["hooks"][0]["command"],
            "${extensionPath}/bin/after-agent"
        );
        let windows: Value =
            serde_json::from_str(&gemini_hooks(platform::Platform::Windows)).expect("json");
        assert_eq!(
            windows["hooks"]["AfterAgent"][0]["hooks"][0]["command"],
            "& '${extensionPath}\\bin\\after-agent.exe'"
        );
    }

    #[test]
    fn paths_with_spaces_are_one_shell_word() {
        assert_eq!(shell_word("/opt/m-1.0/bin"), "/opt/m-1.0/bin");
        assert_eq!(shell_word("/home/a b/it's"), "'/home/a b/it'\\''s'");
        let hooks = claude_hooks("/home/a b/bin");
        assert_eq!(
            hooks["SessionEnd"][0]["hooks"][0]["command"],
            "'/home/a b/bin'/session-end --runtime claude"
        );
        let once = merge_claude_settings("", "/home/a b/bin").expect("merge");
        assert_eq!(
            merge_claude_settings(&once, "/home/a b/bin").expect("merge"),
            once
        );
    }
}
