//! Registering the hooks with the runtimes.
//!
//! Gemini CLI: an extension folder holds `gemini-extension.json` (`{"name","version"}`) and
//! `hooks/hooks.json` with the `hooks` object of `settings.json`; `${extensionPath}` is
//! substituted by Gemini CLI; timeouts are in ms (Gemini CLI 0.61 hooks reference).
//! Claude Code: `settings.json` `hooks` keyed by event (`SessionStart`, `SubagentStart`,
//! `SubagentStop`, `SessionEnd`), each a list of `{matcher?, hooks: [{type, command, timeout}]}`,
//! timeouts in s (Claude Code hooks reference).

use serde_json::{Map, Value, json};

use crate::error::{Error, Result};

/// Timeout of each hook in Gemini CLI, in ms.
pub const GEMINI_TIMEOUT_MS: u64 = 5_000;
/// Timeout of each hook in Claude Code, in s.
pub const CLAUDE_TIMEOUT_S: u64 = 5;

/// (Gemini CLI event, executable) pairs.
pub const GEMINI_EVENTS: [(&str, &str); 4] = [
    ("SessionStart", "session-start"),
    ("BeforeAgent", "before-agent"),
    ("AfterAgent", "after-agent"),
    ("SessionEnd", "session-end"),
];

/// (Claude Code event, executable) pairs.
pub const CLAUDE_EVENTS: [(&str, &str); 4] = [
    ("SessionStart", "session-start"),
    ("SubagentStart", "before-agent"),
    ("SubagentStop", "after-agent"),
    ("SessionEnd", "session-end"),
];

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
        "env": {"MAESTRO_WORKSPACE_PATH": "${workspacePath}"},
    }})
}

/// `hooks/hooks.json` of the extension folder.
pub fn gemini_hooks() -> String {
    let mut hooks = Map::new();
    for (event, exe) in GEMINI_EVENTS {
        hooks.insert(
            event.into(),
            json!([{"hooks": [{
                "name": format!("maestro-{exe}"),
                "type": "command",
                "command": format!("${{extensionPath}}/bin/{exe}"),
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
            json!([{"hooks": [{
                "type": "command",
                "command": format!("{bin_dir}/{exe} --runtime claude"),
                "timeout": CLAUDE_TIMEOUT_S,
            }]}]),
        );
    }
    hooks
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
                    h.get("command")
                        .and_then(Value::as_str)
                        .is_some_and(|c| c.starts_with(&format!("{bin_dir}/")))
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
    fn gemini_hooks_name_each_event_in_ms() {
        let v: Value = serde_json::from_str(&gemini_hooks()).expect("json");
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
        assert_eq!(server["env"]["MAESTRO_WORKSPACE_PATH"], "${workspacePath}");
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
}
