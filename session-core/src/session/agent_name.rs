//! What an agent name is: the one rule every reader of agent names applies (phase agents,
//! `$MAESTRO_AGENTS`, `$MAESTRO_SPECIALISTS`, Claude Code's `agent_type`).

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

/// `name` normalized, when that is an agent name.
pub fn parse(name: &str) -> Option<String> {
    let name = normalize(name);
    is_valid(&name).then_some(name)
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
}
