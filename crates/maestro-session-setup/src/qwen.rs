//! Registering the hooks and the MCP server with Qwen Code (0.24.4): a Qwen extension.
//!
//! Qwen Code loads every folder of `<qwen home>/extensions/` that holds a `qwen-extension.json`
//! ([`home`]: `$QWEN_HOME`, else `~/.qwen`), enabled unless the user disabled it (`qwen
//! extensions disable`, kept in `extensions/extension-enablement.json`, which we never touch).
//! The manifest (Qwen Code's `docs/extension/introduction.md`; `loadExtensionManifest` and
//! `loadExtension` in its `chunks/chunk-DPEB6S2R.js`):
//!
//! - `name` (lower case letters, digits and `-`; the folder's name), `version`, `description`;
//! - `mcpServers`: `{<name>: {command, args, env, cwd, …}}` as in `settings.json` (all but
//!   `trust`); a server of the same name in `settings.json` wins;
//! - `hooks`: the `hooks` object of `settings.json` (`{EVENT: [{matcher?, hooks: [{type:
//!   "command", command, name?, timeout}]}]}`), inline; only without it does Qwen read
//!   `hooks/hooks.json`. Extension hooks load whatever the folder's trust (a project's
//!   `.qwen/settings.json` hooks need a trusted folder) and run after the project's, the user's
//!   and the system's hooks of the same event. `timeout` is in s (1000 or more is read as ms).
//!
//! Every string of the manifest goes through two substitutions before use: Qwen's variables
//! (`${extensionPath}`, `${workspacePath}`, `${/}`), then `$NAME` / `${NAME}` from Qwen's own
//! environment. So our server gets `MAESTRO_WORKSPACE_PATH: "${workspacePath}"` (the project
//! Qwen runs in), and a path of ours holding a `$` is refused ([`Install::check`]): Qwen would
//! rewrite it.
//!
//! Our hooks are `<bin_dir>/<exe> --runtime qwen` ([`hook_command`]) for SessionStart,
//! SubagentStart, SubagentStop and SessionEnd (which does not fire under `qwen -p`; nothing
//! depends on it, see [`maestro_session_core::hooks::qwen`]).
//!
//! [`merge_manifest`] keeps everything else in the file (other keys, servers, hook groups and
//! handlers, in place), is idempotent (merging its result again returns it byte for byte) and
//! refuses a file that does not parse, or that is another extension's, leaving it unchanged.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use super::codex::Merged;
use super::shell::shell_word;
use maestro_session_core::env_vars::EnvVars;
use maestro_session_core::error::{Error, Result};
use maestro_session_core::hooks::payload::{HookEvent, Runtime};

/// The extension's name, and the name of its folder under `<qwen home>/extensions/`.
pub const EXTENSION_NAME: &str = "maestro-session";
/// File name of the extension manifest.
pub const MANIFEST_FILE: &str = "qwen-extension.json";
/// The key of our MCP server under `mcpServers`.
pub const MCP_SERVER_NAME: &str = "maestro-session";
/// Timeout of each hook, in s.
pub const TIMEOUT_S: u64 = 5;
/// (Qwen Code event, executable) pairs, from [`HookEvent::registrations`].
pub const EVENTS: [(&str, &str); 4] = HookEvent::registrations(Runtime::Qwen);
/// Largest manifest read, in bytes.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;
/// What the manifest says the extension is.
const DESCRIPTION: &str = "Native Maestro session hooks (SessionStart, SubagentStart, \
    SubagentStop, SessionEnd) and the maestro-session MCP server";

/// The Qwen home: `$QWEN_HOME` when set and not empty, else `$HOME/.qwen` (Qwen Code's
/// `Storage.getGlobalQwenDir`); `None` without either.
pub fn home(qwen_home: Option<OsString>, home: Option<OsString>) -> Option<PathBuf> {
    match qwen_home.filter(|v| !v.is_empty()) {
        Some(dir) => Some(PathBuf::from(dir)),
        None => home
            .filter(|v| !v.is_empty())
            .map(|h| PathBuf::from(h).join(".qwen")),
    }
}

/// Our extension folder in the Qwen home `qwen_home`.
pub fn extension_dir(qwen_home: &Path) -> PathBuf {
    qwen_home.join("extensions").join(EXTENSION_NAME)
}

/// The command line of our hook `exe` in `bin_dir`: `<bin_dir>/<exe> --runtime qwen`, the path
/// shell-quoted when needed.
pub fn hook_command(bin_dir: &str, exe: &str) -> String {
    format!(
        "{} --runtime qwen",
        shell_word(&format!("{}/{exe}", bin_dir.trim_end_matches('/')))
    )
}

/// Whether `command` runs one of our hooks in the Qwen dialect: it ends with
/// `/<exe> --runtime qwen` (the path possibly quoted), wherever `<exe>` was installed, so a
/// reinstall into another folder replaces the old entry.
pub fn is_our_command(command: &str) -> bool {
    let Some(program) = command.trim().strip_suffix(" --runtime qwen") else {
        return false;
    };
    let program = program.trim_end().trim_end_matches('\'');
    EVENTS
        .iter()
        .any(|(_, exe)| program.ends_with(&format!("/{exe}")))
}

fn handler(bin_dir: &str, exe: &str) -> Value {
    json!({"type": "command", "name": format!("maestro-{exe}"),
           "command": hook_command(bin_dir, exe), "timeout": TIMEOUT_S})
}

/// What `setup qwen` registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Install<'a> {
    /// Absolute folder of the hook executables.
    pub bin_dir: &'a str,
    /// Absolute path of the `maestro-session` that serves MCP (`<command> mcp`); `None`
    /// registers no server and removes ours.
    pub mcp_command: Option<&'a str>,
    /// The version the manifest names.
    pub version: &'a str,
}

impl Install<'_> {
    /// Refuses a path Qwen Code would not run as written: relative, or holding a `$` (which
    /// Qwen substitutes from its environment in the manifest).
    ///
    /// Errors: [`Error::Invalid`] naming the option and the path.
    pub fn check(&self) -> Result<()> {
        let paths = [
            ("--bin-dir", Some(self.bin_dir)),
            ("--mcp-command", self.mcp_command),
        ];
        for (what, path) in paths {
            let Some(path) = path else { continue };
            if !Path::new(path).is_absolute() {
                return Err(Error::Invalid(format!(
                    "{what} {path:?} is not absolute; Qwen Code runs it from any folder"
                )));
            }
            if path.contains('$') {
                return Err(Error::Invalid(format!(
                    "{what} {path:?} contains `$`, which Qwen Code replaces from its \
                     environment in {MANIFEST_FILE}; install into a folder without `$`"
                )));
            }
        }
        Ok(())
    }
}

/// Merges our hooks and MCP server into the manifest text `existing` (empty means no file) read
/// from `path`.
///
/// Sets `name` (a new file only; an existing one must already be ours), `version` and
/// `description`; our server's `command`, `args` and `env.MAESTRO_WORKSPACE_PATH` (its other
/// keys kept), or removes it when [`Install::mcp_command`] is `None`; in each of our events the
/// first handler of ours ([`is_our_command`]) is rewritten in place (its other keys kept),
/// further ones are removed (with their group when that empties it), and without one our group
/// is appended. When the result means the same as `existing`, `existing` is returned unchanged;
/// otherwise the whole file as pretty JSON (2 spaces).
///
/// Errors: [`Error::Invalid`] from [`Install::check`]; [`Error::Corrupt`] naming `path` (and
/// the line, for JSON that does not parse) when the text is not a JSON object, names another
/// extension, or `mcpServers`, our server, its `env`, `hooks`, `hooks.<event>` or a group's
/// `hooks` is of another type than Qwen Code reads.
pub fn merge_manifest(existing: &str, path: &Path, install: &Install) -> Result<Merged> {
    install.check()?;
    let corrupt = |line: Option<usize>, reason: String| Error::Corrupt {
        path: path.to_path_buf(),
        line,
        reason: format!("{reason}; left unchanged"),
    };
    let original: Value = if existing.trim().is_empty() {
        json!({})
    } else {
        serde_json::from_str(existing)
            .map_err(|e| corrupt(Some(e.line()), format!("not valid JSON ({e})")))?
    };
    let mut root = original.clone();
    let obj = root
        .as_object_mut()
        .ok_or_else(|| corrupt(None, "not a JSON object".into()))?;
    match obj.get("name") {
        None => {
            obj.insert("name".into(), json!(EXTENSION_NAME));
        }
        Some(name) if name == EXTENSION_NAME => {}
        Some(other) => {
            return Err(corrupt(
                None,
                format!("it is the manifest of the extension {other}, not {EXTENSION_NAME}"),
            ));
        }
    }
    obj.insert("version".into(), json!(install.version));
    obj.insert("description".into(), json!(DESCRIPTION));
    merge_server(obj, install).map_err(|what| corrupt(None, what))?;
    let hooks = obj
        .entry("hooks")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or_else(|| corrupt(None, "`hooks` is not an object".into()))?;
    for (event, exe) in EVENTS {
        let list = hooks
            .entry(event)
            .or_insert_with(|| json!([]))
            .as_array_mut()
            .ok_or_else(|| corrupt(None, format!("`hooks.{event}` is not a list")))?;
        merge_event(list, install.bin_dir, exe)
            .map_err(|what| corrupt(None, format!("`hooks.{event}`: {what}")))?;
    }
    Ok(Merged::of_json(existing, &original, &root))
}

/// Puts our server into `mcpServers` (or takes it out); the error says what is malformed.
fn merge_server(
    obj: &mut Map<String, Value>,
    install: &Install,
) -> std::result::Result<(), String> {
    let Some(command) = install.mcp_command else {
        if let Some(servers) = obj.get_mut("mcpServers").and_then(Value::as_object_mut) {
            servers.remove(MCP_SERVER_NAME);
        }
        return Ok(());
    };
    let servers = obj
        .entry("mcpServers")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or("`mcpServers` is not an object")?;
    let server = servers
        .entry(MCP_SERVER_NAME)
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or_else(|| format!("`mcpServers.{MCP_SERVER_NAME}` is not an object"))?;
    server.insert("command".into(), json!(command));
    server.insert("args".into(), json!(["mcp"]));
    server
        .entry("env")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or_else(|| format!("`mcpServers.{MCP_SERVER_NAME}.env` is not an object"))?
        .insert(
            EnvVars::MAESTRO_WORKSPACE_PATH.into(),
            json!("${workspacePath}"),
        );
    Ok(())
}

/// Puts our handler for `exe` into one event's list of groups (see [`merge_manifest`] and
/// [`crate::hook_groups::place_ours`]).
fn merge_event(list: &mut Vec<Value>, bin_dir: &str, exe: &str) -> std::result::Result<(), String> {
    let ours = |h: &Value| {
        h.get("command")
            .and_then(Value::as_str)
            .is_some_and(is_our_command)
    };
    crate::hook_groups::place_ours(list, ours, handler(bin_dir, exe))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BIN: &str = "/opt/m/bin";
    const CLI: &str = "/opt/m/maestro-session";

    fn install(mcp: bool) -> Install<'static> {
        Install {
            bin_dir: BIN,
            mcp_command: mcp.then_some(CLI),
            version: "1.2.3",
        }
    }

    fn merge(existing: &str) -> Merged {
        merge_manifest(
            existing,
            Path::new("/q/qwen-extension.json"),
            &install(true),
        )
        .expect("merge")
    }

    #[test]
    fn a_new_manifest_registers_every_hook_and_the_server() {
        let m = merge("");
        assert!(m.changed);
        let v: Value = serde_json::from_str(&m.text).expect("json");
        assert_eq!(v["name"], EXTENSION_NAME);
        assert_eq!(v["version"], "1.2.3");
        assert_eq!(
            v["mcpServers"][MCP_SERVER_NAME],
            json!({"command": CLI, "args": ["mcp"],
                   "env": {(EnvVars::MAESTRO_WORKSPACE_PATH): "${workspacePath}"}})
        );
        let events: Vec<&str> = v["hooks"]
            .as_object()
            .expect("hooks")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            events,
            [
                "SessionStart",
                "SubagentStart",
                "SubagentStop",
                "SessionEnd"
            ]
        );
        for (event, exe) in EVENTS {
            assert_eq!(
                v["hooks"][event],
                json!([{"hooks": [{"type": "command", "name": format!("maestro-{exe}"),
                    "command": format!("{BIN}/{exe} --runtime qwen"), "timeout": 5}]}])
            );
        }
        // Again: byte for byte the same, and said so.
        let again = merge(&m.text);
        assert_eq!(
            (again.text.as_str(), again.changed),
            (m.text.as_str(), false)
        );
    }

    #[test]
    fn the_users_entries_stay_where_they_are() {
        let user = r#"{
  "name": "maestro-session",
  "version": "0.0.1",
  "contextFileName": "QWEN.md",
  "mcpServers": {"mine": {"command": "/usr/bin/mine"},
                 "maestro-session": {"command": "/old/maestro-session", "timeout": 9000,
                                     "env": {"X": "1"}}},
  "hooks": {
    "SubagentStop": [
      {"matcher": "*", "hooks": [{"type": "command", "command": "/usr/bin/audit"},
                                 {"type": "command", "command": "/old/bin/after-agent --runtime qwen", "timeout": 3}]},
      {"hooks": [{"type": "command", "command": "'/older bin/after-agent' --runtime qwen"}]}
    ],
    "Stop": [{"hooks": [{"type": "command", "command": "/usr/bin/notify"}]}]
  }
}"#;
        let m = merge(user);
        assert!(m.changed);
        let v: Value = serde_json::from_str(&m.text).expect("json");
        assert_eq!(v["contextFileName"], "QWEN.md");
        assert_eq!(v["mcpServers"]["mine"], json!({"command": "/usr/bin/mine"}));
        let ours = &v["mcpServers"][MCP_SERVER_NAME];
        assert_eq!(
            (&ours["command"], &ours["timeout"]),
            (&json!(CLI), &json!(9000))
        );
        assert_eq!(ours["env"]["X"], "1");
        assert_eq!(
            v["hooks"]["Stop"],
            json!([{"hooks": [{"type": "command", "command": "/usr/bin/notify"}]}])
        );
        // The old handler of ours is rewritten where it stood; the second old one and its
        // emptied group are gone; the user's audit hook is untouched.
        assert_eq!(
            v["hooks"]["SubagentStop"],
            json!([{"matcher": "*", "hooks": [
                {"type": "command", "command": "/usr/bin/audit"},
                {"type": "command", "command": format!("{BIN}/after-agent --runtime qwen"),
                 "timeout": 5, "name": "maestro-after-agent"}]}])
        );
        assert_eq!(
            merge(&m.text),
            Merged {
                text: m.text.clone(),
                changed: false
            }
        );
        // Without the MCP server: ours goes, the user's stays.
        let no_mcp = merge_manifest(&m.text, Path::new("/q/x"), &install(false)).expect("merge");
        let v: Value = serde_json::from_str(&no_mcp.text).expect("json");
        assert_eq!(
            v["mcpServers"],
            json!({"mine": {"command": "/usr/bin/mine"}})
        );
    }

    #[test]
    fn what_cannot_be_merged_is_refused_naming_the_file() {
        for (text, want) in [
            ("{\"name\": ", ":1: not valid JSON"),
            ("[1]", "not a JSON object"),
            (r#"{"name": "other-ext"}"#, "the extension \"other-ext\""),
            (
                r#"{"hooks": "hooks/hooks.json"}"#,
                "`hooks` is not an object",
            ),
            (
                r#"{"hooks": {"SessionEnd": {}}}"#,
                "`hooks.SessionEnd` is not a list",
            ),
            (
                r#"{"hooks": {"SessionEnd": [{"hooks": 1}]}}"#,
                "group 0 has a `hooks`",
            ),
            (r#"{"mcpServers": []}"#, "`mcpServers` is not an object"),
            (
                r#"{"mcpServers": {"maestro-session": {"env": 1}}}"#,
                ".env` is not an object",
            ),
        ] {
            let err = merge_manifest(text, Path::new("/q/qwen-extension.json"), &install(true))
                .expect_err(text)
                .to_string();
            assert!(err.starts_with("/q/qwen-extension.json"), "{err}");
            assert!(
                err.contains(want) && err.ends_with("left unchanged"),
                "{text}: {err}"
            );
        }
        for (bin, cli, want) in [
            ("bin", CLI, "--bin-dir \"bin\" is not absolute"),
            ("/opt/$HOME/bin", CLI, "contains `$`"),
            (BIN, "/x/${workspacePath}/m", "--mcp-command"),
        ] {
            let i = Install {
                bin_dir: bin,
                mcp_command: Some(cli),
                version: "1",
            };
            let err = merge_manifest("", Path::new("/q/x"), &i)
                .expect_err(bin)
                .to_string();
            assert!(err.contains(want), "{err}");
        }
    }

    #[test]
    fn quoted_paths_are_ours_too() {
        assert_eq!(
            hook_command("/home/a b/bin/", "session-end"),
            "'/home/a b/bin/session-end' --runtime qwen"
        );
        assert!(is_our_command("'/home/a b/bin/session-end' --runtime qwen"));
        assert!(is_our_command("/x/before-agent --runtime qwen"));
        for other in [
            "/x/before-agent --runtime claude",
            "/x/before-agent",
            "/x/my-before-agent-x --runtime qwen",
            "node hook.js --runtime qwen",
        ] {
            assert!(!is_our_command(other), "{other}");
        }
    }

    #[test]
    fn the_home_is_qwen_home_then_home() {
        let os = |s: &str| Some(OsString::from(s));
        assert_eq!(home(os("/q"), os("/h")), Some(PathBuf::from("/q")));
        assert_eq!(home(os(""), os("/h")), Some(PathBuf::from("/h/.qwen")));
        assert_eq!(home(None, None), None);
        assert_eq!(
            extension_dir(Path::new("/h/.qwen")),
            PathBuf::from("/h/.qwen/extensions/maestro-session")
        );
    }
}
