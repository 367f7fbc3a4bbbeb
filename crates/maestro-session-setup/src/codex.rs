//! Registering the hooks and the MCP server with the OpenAI Codex CLI (0.169).
//!
//! **Hooks** live in `$CODEX_HOME/hooks.json` (default `~/.codex/hooks.json`) in the Claude Code
//! shape: `{"hooks": {EVENT: [{"matcher"?, "hooks": [{"type": "command", "command", "timeout"}]}]}}`
//! with `timeout` in seconds (default 600). Codex 0.169 fires `SessionStart`, `SubagentStart`,
//! `SubagentStop` and `SessionEnd` with Claude Code's payloads and reads Claude Code's answers,
//! so the entries run our executables with `--runtime claude`. Each command runs as
//! `$SHELL -lc COMMAND` in the session's working directory, the payload on stdin
//! (codex-rs/hooks/src/engine/command_runner.rs); SessionEnd hooks are clamped to 3 s and Codex
//! reports a longer timeout as an `error` item on every run (`clamping SessionEnd hook timeout
//! to 3s in …`), so ours asks for exactly 3.
//!
//! **Trust**: Codex runs a user hook only when it is trusted: its key
//! (`<hooks.json path>:<event>:<group index>:<handler index>`) has a `trusted_hash` under
//! `[hooks.state]` in `config.toml` equal to the hash of the hook's normalized definition
//! (codex-rs/hooks/src/engine/discovery.rs). A new or changed hook makes the interactive client
//! open "Hooks need review" ("Review hooks" / "Trust all and continue" / "Continue without
//! trusting (hooks won't run)"; later `/hooks`); `codex exec` skips untrusted hooks without a
//! word unless run with `--dangerously-bypass-hook-trust`. Because the key is positional, a merge
//! here replaces our handlers where they stand and never reorders anyone else's, so an earlier
//! trust of every hook whose definition did not change still holds.
//!
//! **MCP server**: `config.toml` `[mcp_servers.<name>]` with `command`, `args`, `env` (literal
//! values: nothing is substituted), `env_vars` (names of variables copied from Codex's own
//! environment), `cwd` (default: Codex's working directory, the project it was started in or
//! given with `-C`), `default_tools_approval_mode` (`auto`, `prompt`, `approve`)
//! (codex-rs/config/src/mcp_types.rs). Codex starts the server with a cleared environment
//! holding only HOME, LOGNAME, PATH, SHELL, USER, LANG, LC_ALL, TERM, TMPDIR, TZ plus `env` and
//! `env_vars` (codex-rs/rmcp-client/src/utils.rs), and offers its tools to the model in the
//! namespace `mcp__maestro_session`. Since no value is templated, the server finds the project
//! by its own rules from its working directory (nearest ancestor with `.git`), unless
//! `MAESTRO_WORKSPACE_PATH` is forwarded from Codex's environment or pinned with
//! [`McpServer::workspace`].
//!
//! Both merges keep everything else, are idempotent (merging the result again returns it
//! unchanged, byte for byte), and refuse a file that does not parse with
//! [`Error::Corrupt`] naming the file and line, so it is never overwritten.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::CLAUDE_EVENTS;
use crate::platform::Platform;
use maestro_session_core::env_vars::EnvVars;
use maestro_session_core::error::{Error, Result};

/// File name of the hooks file in the Codex home.
pub const HOOKS_FILE: &str = "hooks.json";
/// File name of the configuration in the Codex home.
pub const CONFIG_FILE: &str = "config.toml";
/// Timeout of each hook but SessionEnd, in s.
pub const TIMEOUT_S: u64 = 5;
/// Timeout of the SessionEnd hook, in s: the most Codex 0.169 allows without a warning.
pub const SESSION_END_TIMEOUT_S: u64 = 3;
/// (Codex event, executable) pairs: Claude Code's, since Codex speaks its dialect.
pub const EVENTS: [(&str, &str); 4] = CLAUDE_EVENTS;
/// The key of our server under `[mcp_servers]`.
pub const MCP_SERVER_NAME: &str = "maestro-session";
/// The namespace in which Codex offers our server's tools to the model (`mcp__` + the name
/// with `-` as `_`).
pub const MCP_TOOL_NAMESPACE: &str = "mcp__maestro_session";
/// Variables Codex copies from its own environment into the server's (`env_vars`); an unset
/// one is skipped by Codex.
pub const MCP_ENV_VARS: [&str; 2] = [EnvVars::MAESTRO_WORKSPACE_PATH, EnvVars::MAESTRO_STATE_DIR];
/// Largest hooks or config file read, in bytes.
pub const MAX_FILE_BYTES: u64 = maestro_session_fs::reader::ReadKind::RUNTIME_CONFIG.cap;

/// The Codex home: `$CODEX_HOME` when set and not empty, else `$HOME/.codex` (Codex's own
/// rule, codex-rs/utils/home-dir); `None` without either.
pub fn home(codex_home: Option<OsString>, home: Option<OsString>) -> Option<PathBuf> {
    match codex_home.filter(|v| !v.is_empty()) {
        Some(dir) => Some(PathBuf::from(dir)),
        None => home
            .filter(|v| !v.is_empty())
            .map(|h| PathBuf::from(h).join(".codex")),
    }
}

/// The command line of our hook `exe` in `bin_dir` for Codex on `platform`
/// ([`crate::platform::codex_command`]): `<bin_dir>/<exe> --runtime claude` with the path one
/// POSIX word on Unix, `"<bin_dir>\<exe>.exe" --runtime claude` for `cmd.exe` on Windows.
///
/// Errors: [`Error::Invalid`] for a Windows path `cmd.exe` cannot carry (a `"`, a `%`).
pub fn hook_command(platform: Platform, bin_dir: &str, exe: &str) -> Result<String> {
    crate::platform::codex_command(platform, bin_dir, exe)
        .map_err(|e| Error::Invalid(e.to_string()))
}

/// The timeout of the hook for `event`, in s.
pub fn timeout_s(event: &str) -> u64 {
    if event == "SessionEnd" {
        SESSION_END_TIMEOUT_S
    } else {
        TIMEOUT_S
    }
}

fn handler(platform: Platform, bin_dir: &str, event: &str, exe: &str) -> Result<Value> {
    let command = hook_command(platform, bin_dir, exe)?;
    Ok(json!({"type": "command", "command": command, "timeout": timeout_s(event)}))
}

/// Whether `command` runs one of our hook executables in the Codex dialect: it ends with
/// `/<exe> --runtime claude` (the path possibly quoted), or on Windows `\<exe>.exe" --runtime
/// claude`, wherever `<exe>` was installed, so a reinstall into another folder replaces the old
/// entry instead of adding a second one.
pub fn is_our_command(command: &str) -> bool {
    let Some(program) = command.trim().strip_suffix(" --runtime claude") else {
        return false;
    };
    let program = program.trim_end().trim_end_matches(['\'', '"']);
    EVENTS.iter().any(|(_, exe)| {
        program.ends_with(&format!("/{exe}"))
            || program.ends_with(&format!("\\{exe}.exe"))
            || program.ends_with(&format!("/{exe}.exe"))
    })
}

/// What a merge produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    /// The file's new text (the old text, byte for byte, when nothing changed).
    pub text: String,
    /// Whether the text differs from what was there.
    pub changed: bool,
}

impl Merged {
    /// The outcome of merging into the JSON file `existing` (empty: no file), parsed as
    /// `original` and changed into `root`: the old text byte for byte when the value did not
    /// change, else `root` pretty-printed.
    pub fn of_json(
        existing: &str,
        original: &serde_json::Value,
        root: &serde_json::Value,
    ) -> Merged {
        if root == original && !existing.trim().is_empty() {
            return Merged {
                text: existing.to_string(),
                changed: false,
            };
        }
        let text = super::pretty(root);
        Merged {
            changed: text != existing,
            text,
        }
    }
}

/// Merges our hooks for executables in `bin_dir` into the `hooks.json` text `existing` (empty
/// means no file) read from `path`.
///
/// Every other key, event, group and handler is kept in its place. In each of our events the
/// first handler that [`is_our_command`] gets our `type`, `command` and `timeout` (its other
/// keys and its position kept, so Codex's trust key stays the same); any further one of ours
/// is removed with its group when that leaves the group empty; without one, our group is
/// appended. When the result means the same as `existing`, `existing` is returned unchanged;
/// otherwise the whole file is written as pretty JSON (2 spaces).
///
/// Errors: [`Error::Corrupt`] naming `path` and, for JSON that does not parse, the line, when
/// the text is not JSON, not an object, or `hooks` / `hooks.<event>` / a group's `hooks` is of
/// another type than Codex reads.
pub fn merge_hooks(existing: &str, path: &Path, bin_dir: &str) -> Result<Merged> {
    let corrupt = |line: Option<usize>, reason: String| Error::Corrupt {
        path: path.to_path_buf(),
        line,
        reason,
    };
    let original: Value = if existing.trim().is_empty() {
        json!({})
    } else {
        serde_json::from_str(existing).map_err(|e| {
            corrupt(
                Some(e.line()),
                format!("not valid JSON ({e}); left unchanged"),
            )
        })?
    };
    let mut root = original.clone();
    let obj = root
        .as_object_mut()
        .ok_or_else(|| corrupt(None, "not a JSON object; left unchanged".into()))?;
    let hooks = obj
        .entry("hooks")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or_else(|| corrupt(None, "`hooks` is not an object; left unchanged".into()))?;
    for (event, exe) in EVENTS {
        let list = hooks
            .entry(event)
            .or_insert_with(|| json!([]))
            .as_array_mut()
            .ok_or_else(|| {
                corrupt(
                    None,
                    format!("`hooks.{event}` is not a list; left unchanged"),
                )
            })?;
        let ours = handler(Platform::HOST, bin_dir, event, exe)?;
        merge_event(list, ours)
            .map_err(|what| corrupt(None, format!("`hooks.{event}`: {what}; left unchanged")))?;
    }
    Ok(Merged::of_json(existing, &original, &root))
}

/// Puts our handler into one event's list of groups (see [`merge_hooks`] and
/// [`crate::hook_groups::place_ours`]); the error says which group is malformed.
fn merge_event(list: &mut Vec<Value>, handler: Value) -> std::result::Result<(), String> {
    let ours = |h: &Value| {
        h.get("command")
            .and_then(Value::as_str)
            .is_some_and(is_our_command)
    };
    crate::hook_groups::place_ours(list, ours, handler)
}

/// Our MCP server entry, as [`merge_config`] writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpServer {
    /// Absolute path of `maestro-session` (run as `<command> mcp`).
    pub command: String,
    /// When set, `env.MAESTRO_WORKSPACE_PATH`: the server then always serves this project,
    /// wherever Codex runs (for a project's own `.codex/config.toml`).
    pub workspace: Option<String>,
    /// When set, `default_tools_approval_mode = "approve"`: Codex calls our tools without
    /// asking (`codex exec` otherwise fails every call that needs approval: "MCP tool call
    /// requires approval, but approval policy is never").
    pub approve_tools: bool,
}

/// Merges `[mcp_servers.maestro-session]` into the `config.toml` text `existing` (empty means
/// no file) read from `path`, with toml_edit: every other table, key, comment and blank line
/// is kept as written.
///
/// Sets `command`, `args = ["mcp"]`, `env_vars` (when absent: [`MCP_ENV_VARS`]), and per
/// [`McpServer`] `env.MAESTRO_WORKSPACE_PATH` and `default_tools_approval_mode`; a key already
/// holding that value is not touched, and other keys of the entry are kept. A new entry is a
/// `[mcp_servers.maestro-session]` table at the end of the file (inside an inline
/// `mcp_servers = {…}`, an inline table).
///
/// Errors: [`Error::Corrupt`] naming `path` and the line when the text is not TOML, or
/// `mcp_servers`, its `maestro-session` or that entry's `env` is not a table.
pub fn merge_config(existing: &str, path: &Path, server: &McpServer) -> Result<Merged> {
    use toml_edit::{Array, InlineTable, Item, Table};

    let corrupt = |line: Option<usize>, reason: String| Error::Corrupt {
        path: path.to_path_buf(),
        line,
        reason,
    };
    let parsed = toml_edit::Document::parse(existing.to_string()).map_err(|e| {
        corrupt(
            e.span().map(|s| line_at(existing, s.start)),
            format!("not valid TOML ({}); left unchanged", e.message().trim()),
        )
    })?;
    // Type checks on the parsed document, which still knows where each item stands.
    let not_table = |item: &Item, what: &str| {
        corrupt(
            item.span().map(|s| line_at(existing, s.start)),
            format!("{what} is not a table; left unchanged"),
        )
    };
    if let Some(servers) = parsed.get("mcp_servers") {
        let servers = servers
            .as_table_like()
            .ok_or_else(|| not_table(servers, "`mcp_servers`"))?;
        if let Some(entry) = servers.get(MCP_SERVER_NAME) {
            let what = format!("`mcp_servers.{MCP_SERVER_NAME}`");
            let table = entry
                .as_table_like()
                .ok_or_else(|| not_table(entry, &what))?;
            if let Some(env) = table.get("env").filter(|_| server.workspace.is_some()) {
                env.as_table_like()
                    .ok_or_else(|| not_table(env, &format!("{what}.env")))?;
            }
        }
    }

    let mut doc = parsed.into_mut();
    let servers = doc.entry("mcp_servers").or_insert_with(|| {
        let mut t = Table::new();
        t.set_implicit(true);
        Item::Table(t)
    });
    let servers_inline = servers.is_inline_table();
    let servers = servers
        .as_table_like_mut()
        .ok_or_else(|| corrupt(None, "`mcp_servers` is not a table; left unchanged".into()))?;
    if servers.get(MCP_SERVER_NAME).is_none() {
        let entry = if servers_inline {
            Item::Value(InlineTable::new().into())
        } else {
            Item::Table(Table::new())
        };
        insert_new(servers, servers_inline, MCP_SERVER_NAME, entry);
    }
    let entry = servers.get_mut(MCP_SERVER_NAME);
    let inline = entry.as_ref().is_some_and(|e| e.is_inline_table());
    let entry = entry.and_then(Item::as_table_like_mut).ok_or_else(|| {
        corrupt(
            None,
            format!("`mcp_servers.{MCP_SERVER_NAME}` is not a table; left unchanged"),
        )
    })?;
    set_str(entry, inline, "command", &server.command);
    let args_ok = |item: &Item| {
        item.as_array()
            .is_some_and(|a| a.len() == 1 && a.get(0).and_then(|v| v.as_str()) == Some("mcp"))
    };
    set_key(
        entry,
        inline,
        "args",
        Array::from_iter(["mcp"]).into(),
        args_ok,
    );
    if entry.get("env_vars").is_none() {
        let names = Array::from_iter(MCP_ENV_VARS).into();
        insert_new(entry, inline, "env_vars", Item::Value(names));
    }
    if let Some(workspace) = &server.workspace {
        if entry.get("env").is_none() {
            insert_new(entry, inline, "env", Item::Value(InlineTable::new().into()));
        }
        let env = entry.get_mut("env");
        let env_inline = env.as_ref().is_some_and(|e| e.is_inline_table());
        let env = env.and_then(Item::as_table_like_mut).ok_or_else(|| {
            corrupt(
                None,
                format!("`mcp_servers.{MCP_SERVER_NAME}.env` is not a table; left unchanged"),
            )
        })?;
        set_str(env, env_inline, EnvVars::MAESTRO_WORKSPACE_PATH, workspace);
    }
    if server.approve_tools {
        set_str(entry, inline, "default_tools_approval_mode", "approve");
    }
    let text = doc.to_string();
    Ok(Merged {
        changed: text != existing,
        text,
    })
}

/// Sets `key` of `table` to the string `want` (see [`set_key`]).
fn set_str(table: &mut dyn toml_edit::TableLike, inline: bool, key: &str, want: &str) {
    set_key(table, inline, key, want.into(), |item| {
        item.as_str() == Some(want)
    });
}

/// Sets `key` of `table` (an inline table when `inline`) to `want` unless `same` says it
/// already holds it. An existing value is replaced keeping its decor (the comments and spaces
/// around it, and the key's); a new key is added as [`insert_new`] does.
fn set_key(
    table: &mut dyn toml_edit::TableLike,
    inline: bool,
    key: &str,
    want: toml_edit::Value,
    same: impl Fn(&toml_edit::Item) -> bool,
) {
    use toml_edit::Item;
    match table.get_mut(key) {
        Some(item) if same(item) => {}
        Some(item) => match item.as_value_mut() {
            Some(old) => {
                let decor = old.decor().clone();
                *old = want;
                *old.decor_mut() = decor;
            }
            None => *item = Item::Value(want),
        },
        None => insert_new(table, inline, key, Item::Value(want)),
    }
}

/// Adds the new `key` at the end of `table`. In an inline table (`inline`) the spacing before
/// the closing `}`, which belongs to the last value, moves to the new last value, so
/// `{ a = 1 }` becomes `{ a = 1, b = 2 }`. `item` must be a value in an inline table.
fn insert_new(
    table: &mut dyn toml_edit::TableLike,
    inline: bool,
    key: &str,
    item: toml_edit::Item,
) {
    let mut trailing = None;
    if inline
        && let Some((_, last)) = table.iter_mut().last()
        && let Some(last) = last.as_value_mut()
    {
        let suffix = last
            .decor()
            .suffix()
            .and_then(|s| s.as_str())
            .map(str::to_string);
        if let Some(suffix) = suffix.filter(|s| s.chars().all(char::is_whitespace)) {
            last.decor_mut().set_suffix("");
            trailing = Some(suffix);
        }
    }
    table.insert(key, item);
    if let Some(suffix) = trailing
        && let Some(new) = table.get_mut(key).and_then(toml_edit::Item::as_value_mut)
    {
        new.decor_mut().set_suffix(suffix);
    }
}

/// The 1-based line of byte `offset` in `text`.
fn line_at(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// What to tell the user about Codex's hook trust after merging into `hooks_path`
/// (`changed`: whether the hooks file changed, so Codex will ask again).
pub fn trust_notice(hooks_path: &Path, changed: bool) -> String {
    let first = if changed {
        format!(
            "Codex runs a new or changed hook only after you trust it, and asks you to: start `codex` \
             and at \"Hooks need review\" choose \"Trust all and continue\" (or \"Review hooks\"; \
             later: /hooks). Codex keeps each trust in config.toml under [hooks.state], keyed by \
             the hook's place in {}.",
            hooks_path.display()
        )
    } else {
        format!(
            "Our hooks in {} did not change, so a trust you gave them before still holds \
             (otherwise trust them at \"Hooks need review\" in `codex`, or with /hooks).",
            hooks_path.display()
        )
    };
    format!(
        "{first}\nUntrusted hooks do not run: `codex exec` skips them without a word. Automation \
         that vets the hooks itself can run `codex exec --dangerously-bypass-hook-trust …`."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const BIN: &str = "/opt/m/share/maestro-session/bin";

    fn p() -> &'static Path {
        Path::new("/h/.codex/hooks.json")
    }

    #[test]
    fn home_prefers_codex_home() {
        assert_eq!(
            home(Some("/c".into()), Some("/h".into())),
            Some(PathBuf::from("/c"))
        );
        assert_eq!(
            home(Some("".into()), Some("/h".into())),
            Some(PathBuf::from("/h/.codex"))
        );
        assert_eq!(home(None, None), None);
    }

    #[test]
    fn commands_are_quoted_only_when_needed() {
        let unix = |bin: &str| hook_command(Platform::Unix, bin, "after-agent").expect("unix");
        assert_eq!(unix("/opt/bin/"), "/opt/bin/after-agent --runtime claude");
        assert_eq!(
            unix("/my dir/it's"),
            r"'/my dir/it'\''s/after-agent' --runtime claude"
        );
        assert!(is_our_command("/my dir/x/session-end' --runtime claude"));
        let windows = hook_command(Platform::Windows, r"C:\Program Files\m\bin", "after-agent")
            .expect("windows");
        assert_eq!(
            windows,
            r#""C:\Program Files\m\bin\after-agent.exe" --runtime claude"#
        );
        assert!(is_our_command(&windows));
        assert!(hook_command(Platform::Windows, r"C:\100%\bin", "after-agent").is_err());
        assert!(is_our_command("/elsewhere/before-agent --runtime claude"));
        assert!(!is_our_command("/elsewhere/before-agent"));
        assert!(!is_our_command("/usr/bin/other --runtime claude"));
    }

    #[test]
    fn new_file_gets_every_event_with_seconds() {
        let m = merge_hooks("", p(), BIN).expect("merge");
        assert!(m.changed);
        let v: Value = serde_json::from_str(&m.text).expect("json");
        for (event, exe) in EVENTS {
            let h = &v["hooks"][event][0]["hooks"][0];
            assert_eq!(h["command"], format!("{BIN}/{exe} --runtime claude"));
            assert_eq!(h["type"], "command");
        }
        assert_eq!(v["hooks"]["SubagentStop"][0]["hooks"][0]["timeout"], 5);
        assert_eq!(v["hooks"]["SessionEnd"][0]["hooks"][0]["timeout"], 3);
    }

    #[test]
    fn merge_keeps_others_in_place_and_is_idempotent() {
        let user = r#"{
    "hooks": {
        "SessionStart": [{"hooks": [{"type": "command", "command": "/usr/bin/other"}]}],
        "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "lint"}]}]
    },
    "x": 1
}"#;
        let once = merge_hooks(user, p(), BIN).expect("merge");
        let twice = merge_hooks(&once.text, p(), BIN).expect("merge");
        assert!(once.changed && !twice.changed);
        assert_eq!(once.text, twice.text);
        let v: Value = serde_json::from_str(&once.text).expect("json");
        assert_eq!(v["x"], 1);
        assert_eq!(v["hooks"]["PreToolUse"][0]["matcher"], "Bash");
        let start = v["hooks"]["SessionStart"].as_array().expect("list");
        assert_eq!(start[0]["hooks"][0]["command"], "/usr/bin/other");
        assert_eq!(
            start[1]["hooks"][0]["command"],
            format!("{BIN}/session-start --runtime claude")
        );
    }

    #[test]
    fn reinstall_elsewhere_replaces_ours_where_it_stands() {
        let old = merge_hooks("", p(), "/old/bin").expect("merge").text;
        // The user adds a hook after ours, and a stray duplicate of ours.
        let mut v: Value = serde_json::from_str(&old).expect("json");
        let stop = v["hooks"]["SubagentStop"].as_array_mut().expect("list");
        stop.push(
            json!({"hooks": [{"type": "command", "command": "notify", "statusMessage": "n"}]}),
        );
        stop.push(
            json!({"hooks": [{"type": "command", "command": "/x/after-agent --runtime claude"}]}),
        );
        stop[0]["hooks"][0]["statusMessage"] = json!("checking the report");
        let edited = serde_json::to_string(&v).expect("json");
        let m = merge_hooks(&edited, p(), BIN).expect("merge");
        let v: Value = serde_json::from_str(&m.text).expect("json");
        let stop = v["hooks"]["SubagentStop"].as_array().expect("list");
        assert_eq!(stop.len(), 2, "{stop:?}");
        assert_eq!(
            stop[0]["hooks"][0]["command"],
            format!("{BIN}/after-agent --runtime claude")
        );
        assert_eq!(stop[0]["hooks"][0]["statusMessage"], "checking the report");
        assert_eq!(stop[1]["hooks"][0]["command"], "notify");
    }

    #[test]
    fn same_meaning_keeps_the_users_formatting() {
        let ours = merge_hooks("", p(), BIN).expect("merge").text;
        let v: Value = serde_json::from_str(&ours).expect("json");
        let compact = serde_json::to_string(&v).expect("json");
        let m = merge_hooks(&compact, p(), BIN).expect("merge");
        assert!(!m.changed);
        assert_eq!(m.text, compact);
    }

    #[test]
    fn bad_hooks_files_are_refused_with_file_and_line() {
        let err = merge_hooks("{\n  \"hooks\": {,\n}", p(), BIN).expect_err("bad json");
        let msg = err.to_string();
        assert!(
            msg.starts_with("/h/.codex/hooks.json:2: not valid JSON"),
            "{msg}"
        );
        for bad in [
            "[1]",
            r#"{"hooks": 3}"#,
            r#"{"hooks": {"SubagentStop": {}}}"#,
        ] {
            let err = merge_hooks(bad, p(), BIN).expect_err(bad);
            assert!(matches!(err, Error::Corrupt { .. }), "{bad}: {err}");
        }
        let err = merge_hooks(r#"{"hooks": {"SessionEnd": [{"hooks": 1}]}}"#, p(), BIN)
            .expect_err("group");
        assert!(err.to_string().contains("group 0"), "{err}");
    }

    fn server() -> McpServer {
        McpServer {
            command: "/opt/m/bin/maestro-session".into(),
            workspace: None,
            approve_tools: false,
        }
    }

    fn c() -> &'static Path {
        Path::new("/h/.codex/config.toml")
    }

    #[test]
    fn config_merge_keeps_keys_comments_and_formatting() {
        let user = "# my settings\nmodel = \"o3\"   # fast\n\n[mcp_servers.other]\ncommand = \"npx\"\nargs = [ \"-y\", \"x\" ]\n\n[hooks.state.\"/h/.codex/hooks.json:session_start:0:0\"]\ntrusted_hash = \"sha256:ab\"\n";
        let once = merge_config(user, c(), &server()).expect("merge");
        assert!(once.changed);
        // Next to the other servers, everything else as it was.
        let (head, tail) = user.split_at(user.find("\n[hooks").expect("hooks table") + 1);
        assert_eq!(
            once.text,
            format!(
                "{head}[mcp_servers.maestro-session]\ncommand = \"/opt/m/bin/maestro-session\"\nargs = [\"mcp\"]\nenv_vars = [\"{ws}\", \"{sd}\"]\n\n{tail}",
                ws = EnvVars::MAESTRO_WORKSPACE_PATH,
                sd = EnvVars::MAESTRO_STATE_DIR,
            )
        );
        let twice = merge_config(&once.text, c(), &server()).expect("merge");
        assert!(!twice.changed);
        assert_eq!(twice.text, once.text);
    }

    #[test]
    fn config_merge_updates_ours_in_place() {
        let user = "[mcp_servers.maestro-session]\n# ours, tuned\ncommand = \"/old/maestro-session\"   # old\nargs = [\"mcp\"]\nstartup_timeout_sec = 20\nenv = { MAESTRO_STATE_DIR = \".maestro\" }\n\n[other]\nk = 1\n";
        let s = McpServer {
            workspace: Some("/work/proj".into()),
            approve_tools: true,
            ..server()
        };
        let m = merge_config(user, c(), &s).expect("merge");
        assert_eq!(
            m.text,
            format!(
                "[mcp_servers.maestro-session]\n# ours, tuned\ncommand = \"/opt/m/bin/maestro-session\"   # old\nargs = [\"mcp\"]\nstartup_timeout_sec = 20\nenv = {{ {sd} = \".maestro\", {ws} = \"/work/proj\" }}\nenv_vars = [\"{ws}\", \"{sd}\"]\ndefault_tools_approval_mode = \"approve\"\n\n[other]\nk = 1\n",
                ws = EnvVars::MAESTRO_WORKSPACE_PATH,
                sd = EnvVars::MAESTRO_STATE_DIR,
            )
        );
        assert_eq!(merge_config(&m.text, c(), &s).expect("merge").text, m.text);
        // Without the options, what is there stays.
        assert!(
            !merge_config(&m.text, c(), &server())
                .expect("merge")
                .changed
        );
    }

    #[test]
    fn config_merge_into_inline_servers_and_empty_files() {
        let m = merge_config(
            "mcp_servers = { a = { command = \"x\" } }\n",
            c(),
            &server(),
        )
        .expect("merge");
        assert_eq!(
            m.text,
            format!(
                "mcp_servers = {{ a = {{ command = \"x\" }}, maestro-session = {{ command = \"/opt/m/bin/maestro-session\", args = [\"mcp\"], env_vars = [\"{ws}\", \"{sd}\"] }} }}\n",
                ws = EnvVars::MAESTRO_WORKSPACE_PATH,
                sd = EnvVars::MAESTRO_STATE_DIR,
            )
        );
        let fresh = merge_config("", c(), &server()).expect("merge");
        assert!(
            fresh.text.starts_with("[mcp_servers.maestro-session]\n"),
            "{}",
            fresh.text
        );
    }

    #[test]
    fn bad_configs_are_refused_with_file_and_line() {
        let err = merge_config("a = 1\nb = [\n", c(), &server()).expect_err("bad toml");
        assert!(
            err.to_string().starts_with("/h/.codex/config.toml:"),
            "{err}"
        );
        assert!(err.to_string().contains("not valid TOML"), "{err}");
        let err = merge_config("x = 1\nmcp_servers = 3\n", c(), &server()).expect_err("type");
        assert!(
            err.to_string()
                .starts_with("/h/.codex/config.toml:2: `mcp_servers` is not a table"),
            "{err}"
        );
        let err = merge_config("[mcp_servers]\nmaestro-session = \"x\"\n", c(), &server())
            .expect_err("entry");
        assert!(
            err.to_string()
                .contains(":2: `mcp_servers.maestro-session`"),
            "{err}"
        );
    }
}
