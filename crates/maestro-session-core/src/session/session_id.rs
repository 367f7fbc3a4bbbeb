//! Runtime session ids, validated before they reach the file system (DESIGN 2.2).

use crate::error::{Error, Result};

/// Longest accepted id, in characters.
pub const MAX_LEN: usize = 128;

/// A runtime session id (or Claude Code `agent_id`) matching `^[A-Za-z0-9_-]{1,128}$`; only
/// such an id is ever used as a folder or file name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionId(String);

impl SessionId {
    /// Validates `raw`.
    ///
    /// Errors: [`Error::Invalid`] naming the id (cut to 40 characters) and the rule it breaks.
    pub fn parse(raw: &str) -> Result<SessionId> {
        let shown: String = raw.chars().take(40).collect();
        if raw.is_empty() {
            return Err(Error::Invalid("session id is empty".into()));
        }
        if raw.len() > MAX_LEN {
            return Err(Error::Invalid(format!(
                "session id {shown:?}... is {} characters long; at most {MAX_LEN} are allowed",
                raw.chars().count()
            )));
        }
        if let Some(bad) = raw
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
        {
            return Err(Error::Invalid(format!(
                "session id {shown:?} contains {bad:?}; only letters, digits, '_' and '-' are allowed"
            )));
        }
        Ok(SessionId(raw.to_string()))
    }

    /// The id as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A session id usable as a file name: no separators, no leading dot, no `..`.
///
/// # Errors
/// [`Error::Invalid`] naming the id.
pub fn check_file_id(id: &str) -> crate::Result<()> {
    let ok = !id.is_empty()
        && !id.starts_with('.')
        && !id.contains("..")
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(crate::Error::Invalid(format!(
            "session id {id:?} cannot name a file"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_and_refused() {
        for ok in [
            "6da0b20f-ecb6-42d1-bf6a-2aecec6d7cec",
            "a",
            "A_b-9",
            &"x".repeat(128),
        ] {
            assert!(SessionId::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "a/b",
            "..",
            "a b",
            "a.b",
            "x\0",
            "é",
            &"x".repeat(129),
            &"y".repeat(200),
        ] {
            assert!(SessionId::parse(bad).is_err(), "{bad}");
        }
    }
}
