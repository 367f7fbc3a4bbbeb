//! Taking out what `setup` put in (`maestro-session setup <runtime> --remove`,
//! `install.sh --uninstall`): exactly our entries, nothing of the user's, idempotently.
//!
//! Each function takes the text of one runtime file and says what to do with it
//! ([`Removal`]): leave it (nothing of ours in it), write it back without our entries, or
//! delete it (nothing but ours was in it). What is ours:
//!
//! - a hook handler whose command runs one of our executables in a runtime's dialect
//!   ([`crate::codex::is_our_command`] for Claude Code and Codex, [`crate::qwen::is_our_command`]
//!   for Qwen Code), wherever it was installed; a group that held only handlers of ours, and
//!   an event list or `hooks` object that held only such groups, go with them (one that was
//!   already empty stays);
//! - Codex's `[mcp_servers.maestro-session]` table (toml_edit: every other byte of
//!   `config.toml` kept); the trust Codex recorded for our hooks under `[hooks.state]` is
//!   Codex's own record and is left to it;
//! - the Qwen Code manifest's `mcpServers.maestro-session` and, when nothing else is left in
//!   it, the manifest itself;
//! - the Gemini CLI policy block between [`crate::gemini_policy::BEGIN_MARKER`] and
//!   [`crate::gemini_policy::END_MARKER`] (the lines before and after it kept byte for byte).
//!
//! A JSON file written back is pretty JSON (2 spaces, keys in their order), the form every
//! `setup` merge writes, so a file installed into and then removed from is the user's file
//! again, byte for byte, when the user's file had that form.

use std::path::Path;

use serde_json::{Map, Value};

use crate::pretty;
use maestro_session_core::error::{Error, Result};

/// What removing our entries means for one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removal {
    /// Nothing of ours is in it: leave it as it is.
    Unchanged,
    /// Write this text (the file without our entries).
    Rewrite(String),
    /// Only our entries were in it: delete the file.
    Delete,
}

/// Removes every handler of ours from the `hooks` object of a JSON settings file: a Claude Code
/// `settings.json` or a Codex `hooks.json` (`is_ours` says which commands are ours).
///
/// [`Removal::Delete`] when the file then holds nothing (`{}`) and held something of ours.
///
/// Errors: [`Error::Corrupt`] naming `path` (and the line, for JSON that does not parse) when
/// the text is not a JSON object, or `hooks`, `hooks.<event>` or a group's `hooks` has another
/// type than the runtime reads; the file is left unchanged.
pub fn remove_hooks_json(
    existing: &str,
    path: &Path,
    is_ours: impl Fn(&str) -> bool,
) -> Result<Removal> {
    if existing.trim().is_empty() {
        return Ok(Removal::Unchanged);
    }
    let mut root = parse_object(existing, path)?;
    let obj = root
        .as_object_mut()
        .ok_or_else(|| corrupt(path, None, "not a JSON object".into()))?;
    if !remove_from_hooks(obj, &is_ours).map_err(|what| corrupt(path, None, what))? {
        return Ok(Removal::Unchanged);
    }
    if obj.is_empty() {
        return Ok(Removal::Delete);
    }
    Ok(Removal::Rewrite(pretty(&root)))
}

/// Removes our server (`mcpServers.maestro-session`) and our hooks from a Qwen Code extension
/// manifest; [`Removal::Delete`] when nothing but `name`, `version` and `description` is left.
///
/// Errors: [`Error::Corrupt`] naming `path` when the text is not a JSON object, names another
/// extension (so it is not ours), or `mcpServers`, `hooks`, `hooks.<event>` or a group's
/// `hooks` has another type than Qwen Code reads.
pub fn remove_qwen_manifest(existing: &str, path: &Path) -> Result<Removal> {
    use crate::qwen::{EXTENSION_NAME, MCP_SERVER_NAME, is_our_command};
    if existing.trim().is_empty() {
        return Ok(Removal::Delete);
    }
    let mut root = parse_object(existing, path)?;
    let obj = root
        .as_object_mut()
        .ok_or_else(|| corrupt(path, None, "not a JSON object".into()))?;
    match obj.get("name") {
        Some(name) if name == EXTENSION_NAME => {}
        other => {
            return Err(corrupt(
                path,
                None,
                format!(
                    "it is not the manifest of the extension {EXTENSION_NAME} (its name is {})",
                    other.map_or("missing".to_string(), Value::to_string)
                ),
            ));
        }
    }
    let mut changed = false;
    if let Some(servers) = obj.get_mut("mcpServers") {
        let servers = servers
            .as_object_mut()
            .ok_or_else(|| corrupt(path, None, "`mcpServers` is not an object".into()))?;
        if servers.shift_remove(MCP_SERVER_NAME).is_some() {
            changed = true;
            if servers.is_empty() {
                obj.shift_remove("mcpServers");
            }
        }
    }
    changed |= remove_from_hooks(obj, &is_our_command).map_err(|what| corrupt(path, None, what))?;
    if obj
        .keys()
        .all(|k| matches!(k.as_str(), "name" | "version" | "description"))
    {
        return Ok(Removal::Delete);
    }
    Ok(if changed {
        Removal::Rewrite(pretty(&root))
    } else {
        Removal::Unchanged
    })
}

/// Removes `[mcp_servers.maestro-session]` from a Codex `config.toml`, keeping every other
/// byte (toml_edit); an `mcp_servers` table left empty goes too unless the file names it
/// itself (a `[mcp_servers]` header). [`Removal::Delete`] when only white space is left.
///
/// Errors: [`Error::Corrupt`] naming `path` and the line when the text is not TOML or
/// `mcp_servers` is not a table.
pub fn remove_codex_config(existing: &str, path: &Path) -> Result<Removal> {
    use crate::codex::MCP_SERVER_NAME;
    let mut doc: toml_edit::DocumentMut = existing.parse().map_err(|e: toml_edit::TomlError| {
        corrupt(
            path,
            e.span().map(|s| line_at(existing, s.start)),
            format!("not valid TOML ({})", e.message().trim()),
        )
    })?;
    let Some(servers) = doc.get_mut("mcp_servers") else {
        return Ok(Removal::Unchanged);
    };
    let implicit = servers
        .as_table()
        .is_some_and(toml_edit::Table::is_implicit);
    let servers = servers
        .as_table_like_mut()
        .ok_or_else(|| corrupt(path, None, "`mcp_servers` is not a table".into()))?;
    if servers.remove(MCP_SERVER_NAME).is_none() {
        return Ok(Removal::Unchanged);
    }
    if servers.is_empty() && implicit {
        doc.remove("mcp_servers");
    }
    let text = doc.to_string();
    if text.trim().is_empty() {
        return Ok(Removal::Delete);
    }
    Ok(Removal::Rewrite(text))
}

/// Removes our block from the Gemini CLI user policy file `file`: the lines from
/// [`crate::gemini_policy::BEGIN_MARKER`] to [`crate::gemini_policy::END_MARKER`], every other
/// byte kept; [`Removal::Delete`] when only white space is left. A file without the markers
/// holds nothing of ours ([`Removal::Unchanged`]).
///
/// Errors: [`Error::PathRefused`] naming `file` when the markers are damaged (not one opening
/// line followed by one closing line).
pub fn remove_policy_block(existing: &str, file: &Path) -> Result<Removal> {
    use crate::gemini_policy::{BEGIN_MARKER, END_MARKER};
    let mut begins = Vec::new();
    let mut ends = Vec::new();
    let mut offset = 0;
    for line in existing.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']).trim_end();
        if bare == BEGIN_MARKER {
            begins.push(offset);
        } else if bare == END_MARKER {
            ends.push(offset + line.len());
        }
        offset += line.len();
    }
    match (begins.as_slice(), ends.as_slice()) {
        ([], []) => Ok(Removal::Unchanged),
        (&[begin], &[end]) if begin < end => {
            let rest = format!("{}{}", &existing[..begin], &existing[end..]);
            Ok(if rest.trim().is_empty() {
                Removal::Delete
            } else {
                Removal::Rewrite(rest)
            })
        }
        _ => Err(Error::refused_path(
            file.display().to_string(),
            format!(
                "its maestro-session block is damaged ({} `{BEGIN_MARKER}` and {} \
                 `{END_MARKER}` lines, expected one of each in that order); fix or remove it \
                 by hand",
                begins.len(),
                ends.len()
            ),
        )),
    }
}

/// Takes every handler whose command `is_ours` out of `obj["hooks"]`; groups, event lists and
/// the `hooks` object that held only ours go with them. Returns whether anything was removed;
/// the error says what is malformed.
fn remove_from_hooks(
    obj: &mut Map<String, Value>,
    is_ours: &impl Fn(&str) -> bool,
) -> std::result::Result<bool, String> {
    let Some(hooks) = obj.get_mut("hooks") else {
        return Ok(false);
    };
    let hooks = hooks.as_object_mut().ok_or("`hooks` is not an object")?;
    let ours = |h: &Value| {
        h.get("command")
            .and_then(Value::as_str)
            .is_some_and(is_ours)
    };
    let mut removed = false;
    let mut emptied_events = Vec::new();
    for (event, list) in hooks.iter_mut() {
        let list = list
            .as_array_mut()
            .ok_or_else(|| format!("`hooks.{event}` is not a list"))?;
        let mut took = false;
        let mut emptied_groups = Vec::new();
        for (i, group) in list.iter_mut().enumerate() {
            let Some(handlers) = group.get_mut("hooks") else {
                continue;
            };
            let handlers = handlers.as_array_mut().ok_or_else(|| {
                format!("`hooks.{event}` group {i} has a `hooks` that is not a list")
            })?;
            let before = handlers.len();
            handlers.retain(|h| !ours(h));
            if handlers.len() != before {
                took = true;
                if handlers.is_empty() {
                    emptied_groups.push(i);
                }
            }
        }
        for i in emptied_groups.into_iter().rev() {
            list.remove(i);
        }
        if took {
            removed = true;
            if list.is_empty() {
                emptied_events.push(event.clone());
            }
        }
    }
    for event in emptied_events {
        hooks.shift_remove(&event);
    }
    if removed && hooks.is_empty() {
        obj.shift_remove("hooks");
    }
    Ok(removed)
}

fn parse_object(existing: &str, path: &Path) -> Result<Value> {
    serde_json::from_str(existing)
        .map_err(|e| corrupt(path, Some(e.line()), format!("not valid JSON ({e})")))
}

fn corrupt(path: &Path, line: Option<usize>, reason: String) -> Error {
    Error::Corrupt {
        path: path.to_path_buf(),
        line,
        reason: format!("{reason}; left unchanged"),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codex::{self, McpServer};
    use crate::gemini_commands::ShellPath;
    use crate::{gemini_policy, merge_claude_settings, qwen};
    use serde_json::json;

    const BIN: &str = "/opt/m/share/maestro-session/bin";

    fn p() -> &'static Path {
        Path::new("/h/file")
    }

    fn apply(existing: &str, r: Removal) -> Option<String> {
        match r {
            Removal::Unchanged => Some(existing.to_string()),
            Removal::Rewrite(t) => Some(t),
            Removal::Delete => None,
        }
    }

    #[test]
    fn claude_settings_come_back_byte_for_byte() {
        let user = "{\n  \"model\": \"opus\",\n  \"hooks\": {\n    \"SessionStart\": [\n      {\n        \"hooks\": [\n          {\n            \"type\": \"command\",\n            \"command\": \"/usr/bin/other\"\n          }\n        ]\n      }\n    ],\n    \"PreToolUse\": []\n  }\n}\n";
        let installed = merge_claude_settings(user, BIN).expect("merge");
        assert_ne!(installed, user);
        let once = remove_hooks_json(&installed, p(), codex::is_our_command).expect("remove");
        assert_eq!(apply(&installed, once).as_deref(), Some(user));
        assert_eq!(
            remove_hooks_json(user, p(), codex::is_our_command).expect("again"),
            Removal::Unchanged
        );
        // Nothing but ours: the file goes.
        let only = merge_claude_settings("", BIN).expect("merge");
        assert_eq!(
            remove_hooks_json(&only, p(), codex::is_our_command).expect("remove"),
            Removal::Delete
        );
        assert!(remove_hooks_json("[1]", p(), codex::is_our_command).is_err());
        assert!(remove_hooks_json("{\"hooks\": 3}", p(), codex::is_our_command).is_err());
    }

    #[test]
    fn codex_hooks_keep_the_users_groups_and_empty_lists() {
        let user = "{\n  \"hooks\": {\n    \"SessionStart\": [\n      {\n        \"matcher\": \"x\",\n        \"hooks\": [\n          {\n            \"type\": \"command\",\n            \"command\": \"lint\"\n          }\n        ]\n      }\n    ],\n    \"Stop\": []\n  },\n  \"x\": 1\n}\n";
        let installed = codex::merge_hooks(user, p(), BIN).expect("merge").text;
        let removed = remove_hooks_json(&installed, p(), codex::is_our_command).expect("remove");
        assert_eq!(apply(&installed, removed).as_deref(), Some(user));
        // A handler of ours sharing a group with the user's: only ours goes.
        let shared = r#"{"hooks":{"SessionEnd":[{"hooks":[{"type":"command","command":"mine"},{"type":"command","command":"/x/session-end --runtime claude"}]}]}}"#;
        let Removal::Rewrite(t) =
            remove_hooks_json(shared, p(), codex::is_our_command).expect("remove")
        else {
            panic!("expected a rewrite")
        };
        let v: Value = serde_json::from_str(&t).expect("json");
        assert_eq!(
            v["hooks"]["SessionEnd"][0]["hooks"],
            json!([{"type":"command","command":"mine"}])
        );
    }

    #[test]
    fn codex_config_keeps_every_other_byte() {
        let user = "# my config\nmodel = \"o3\"   # keep\n\n[mcp_servers.other]\ncommand = \"x\"\n";
        let server = McpServer {
            command: "/opt/m/bin/maestro-session".into(),
            workspace: None,
            approve_tools: false,
        };
        let installed = codex::merge_config(user, p(), &server).expect("merge").text;
        assert_ne!(installed, user);
        let removed = remove_codex_config(&installed, p()).expect("remove");
        assert_eq!(apply(&installed, removed).as_deref(), Some(user));
        assert_eq!(
            remove_codex_config(user, p()).expect("again"),
            Removal::Unchanged
        );
        let only = codex::merge_config("", p(), &server).expect("merge").text;
        assert_eq!(
            remove_codex_config(&only, p()).expect("remove"),
            Removal::Delete
        );
        // The user's own [mcp_servers] header stays.
        let header = "[mcp_servers]\n";
        let installed = codex::merge_config(header, p(), &server)
            .expect("merge")
            .text;
        let removed = remove_codex_config(&installed, p()).expect("remove");
        assert_eq!(apply(&installed, removed).as_deref(), Some(header));
        let err = remove_codex_config("a = [", p()).expect_err("not toml");
        assert!(err.to_string().contains("file:1: not valid TOML"), "{err}");
    }

    #[test]
    fn qwen_manifest_goes_when_only_ours_is_left() {
        let install = qwen::Install {
            bin_dir: BIN,
            mcp_command: Some("/opt/m/bin/maestro-session"),
            version: "1.0.0",
        };
        let path = Path::new("/q/qwen-extension.json");
        let ours = qwen::merge_manifest("", path, &install)
            .expect("merge")
            .text;
        assert_eq!(
            remove_qwen_manifest(&ours, path).expect("remove"),
            Removal::Delete
        );
        let mut v: Value = serde_json::from_str(&ours).expect("json");
        v["contextFileName"] = json!("MINE.md");
        let with_mine = pretty(&v);
        let Removal::Rewrite(t) = remove_qwen_manifest(&with_mine, path).expect("remove") else {
            panic!("expected a rewrite")
        };
        let left: Value = serde_json::from_str(&t).expect("json");
        assert_eq!(left["contextFileName"], "MINE.md");
        assert!(left.get("hooks").is_none() && left.get("mcpServers").is_none());
        assert_eq!(
            remove_qwen_manifest(&t, path).expect("again"),
            Removal::Unchanged
        );
        assert!(remove_qwen_manifest(r#"{"name":"other"}"#, path).is_err());
    }

    #[test]
    fn policy_block_goes_and_the_rest_stays_byte_for_byte() {
        let f = Path::new("/h/.gemini/policies/maestro-session.toml");
        let read = ShellPath::new(Path::new("/opt/m/bin/read-active-session")).expect("path");
        let block = gemini_policy::rule_block(&read).expect("block");
        let before = "# mine\r\n[[rule]]\ntoolName = \"glob\"\n\n";
        let after = "\n[[rule]]\ntoolName = \"rm\"\ndecision = \"deny\"";
        let installed = format!("{before}{block}{after}");
        let removed = remove_policy_block(&installed, f).expect("remove");
        assert_eq!(removed, Removal::Rewrite(format!("{before}{after}")));
        assert_eq!(
            remove_policy_block(&format!("{before}{after}"), f).expect("again"),
            Removal::Unchanged
        );
        assert_eq!(
            remove_policy_block(&block, f).expect("only ours"),
            Removal::Delete
        );
        assert!(remove_policy_block(&format!("{block}{block}"), f).is_err());
    }
}
