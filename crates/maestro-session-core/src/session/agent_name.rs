//! What an agent name is: the one rule, and the one normalisation, every reader of agent names
//! applies, at every boundary (the command line's `--agent` and `--phase NAME=AGENTS`, the MCP
//! tools' `agent` arguments, the hooks' payloads, `$MAESTRO_AGENTS`, `$MAESTRO_SPECIALISTS`,
//! `$MAESTRO_CURRENT_AGENT`, the hook state's `active-agent`, plan files' phases).
//!
//! An agent name is trimmed, lower-cased and has `-` read as `_` (`Code-Reviewer` is
//! `code_reviewer`, Maestro's `code-reviewer` agent too), and is then 1 to
//! [`MAX_AGENT_NAME_BYTES`] ASCII letters, digits and `_`. So it is always a plain YAML key and a
//! file-name-safe word: a name is a key of `token_usage.by_agent` (Maestro's shape) and never
//! breaks the file that holds it, and two spellings of one agent are one row.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// The longest agent name, in bytes.
pub const MAX_AGENT_NAME_BYTES: usize = 64;

/// An agent name as compared everywhere: trimmed, lower-case, `-` read as `_`
/// (`Code-Reviewer` is `code_reviewer`).
pub fn normalize(name: &str) -> String {
    name.trim().to_ascii_lowercase().replace('-', "_")
}

/// Whether `name` (already [`normalize`]d) is an agent name: 1 to
/// [`MAX_AGENT_NAME_BYTES`] bytes of ASCII letters, digits and `_`.
pub fn is_valid(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_AGENT_NAME_BYTES
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// `name` normalized, when that is an agent name ([`AgentName::parse`], as text).
pub fn parse(name: &str) -> Option<String> {
    AgentName::parse(name).ok().map(String::from)
}

/// A valid, normalised agent name ([`normalize`], [`is_valid`]): parsed once where a name
/// comes in, so everything past the boundary holds one.
///
/// Serialised as the bare string; deserialising checks and normalises it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct AgentName(String);

/// Why a text is not an agent name; its message quotes at most 40 characters of the text,
/// escaped, and gives its length.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{shown} is not an agent name: {why}")]
pub struct AgentNameError {
    shown: String,
    why: &'static str,
}

impl AgentName {
    /// `raw` trimmed, lower-cased, `-` read as `_`, checked.
    ///
    /// Errors: [`AgentNameError`] when the result is empty, longer than
    /// [`MAX_AGENT_NAME_BYTES`] or holds anything but ASCII letters, digits and `_`.
    pub fn parse(raw: &str) -> Result<AgentName, AgentNameError> {
        let name = normalize(raw);
        if is_valid(&name) {
            return Ok(AgentName(name));
        }
        let why = if name.is_empty() {
            "it is empty"
        } else if name.len() > MAX_AGENT_NAME_BYTES {
            "an agent name is at most 64 bytes"
        } else {
            "an agent name holds only ASCII letters, digits, `_` and `-`"
        };
        Err(AgentNameError {
            shown: shown(raw),
            why,
        })
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// At most 40 characters of `raw`, Rust-escaped (no control or bidi character), then its
/// length in bytes when longer.
fn shown(raw: &str) -> String {
    const MAX: usize = 40;
    let head: String = raw.chars().take(MAX).collect();
    let escaped: String = head.escape_debug().collect();
    if head.len() < raw.len() {
        format!("\"{escaped}…\" ({} bytes)", raw.len())
    } else {
        format!("\"{escaped}\"")
    }
}

impl fmt::Display for AgentName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for AgentName {
    type Err = AgentNameError;

    fn from_str(raw: &str) -> Result<AgentName, AgentNameError> {
        AgentName::parse(raw)
    }
}

impl AsRef<str> for AgentName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for AgentName {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<AgentName> for String {
    fn from(name: AgentName) -> String {
        name.0
    }
}

impl PartialEq<str> for AgentName {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for AgentName {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl<'de> Deserialize<'de> for AgentName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<AgentName, D::Error> {
        let raw = String::deserialize(d)?;
        AgentName::parse(&raw).map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for AgentName {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "AgentName".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "minLength": 1,
            "description": "An agent name: ASCII letters, digits, `_` and `-`, at most 64 bytes; read trimmed, lower-cased, with `-` as `_` (`Code-Reviewer` is `code_reviewer`).",
        })
    }

    fn inline_schema() -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(parse(" Code-Reviewer "), Some("code_reviewer".into()));
        assert_eq!(parse(&"a".repeat(64)).map(|n| n.len()), Some(64));
        for bad in ["", "  ", "a b", "x:y", "ünï", &"a".repeat(65)] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn errors_name_the_text_shortly_and_why() {
        let long = "b".repeat(1030);
        let e = AgentName::parse(&long).expect_err("long").to_string();
        assert!(
            e.contains("(1030 bytes)") && e.contains("at most 64 bytes"),
            "{e}"
        );
        assert!(e.len() < 200, "{e}");
        let e = AgentName::parse("a\u{202e}\x1b[2J")
            .expect_err("odd")
            .to_string();
        assert!(
            !e.chars().any(crate::session::terminal_text::is_hidden),
            "{e:?}"
        );
        assert!(e.contains("ASCII letters"), "{e}");
        assert!(
            AgentName::parse(" ")
                .expect_err("empty")
                .to_string()
                .contains("empty")
        );
        let name: AgentName = serde_json::from_str("\"Code-Reviewer\"").expect("reads");
        assert_eq!(name, "code_reviewer");
        assert!(serde_json::from_str::<AgentName>("\"a b\"").is_err());
    }
}
