//! Team and role names (issue 19 item 1: "descriptive, no spaces or special characters,
//! refused clearly otherwise").
//!
//! A name is 1 to [`MAX_NAME_BYTES`] bytes of ASCII letters, digits, `-` and `_`, starting with
//! a letter or digit. It names a file (`state/teams/<name>.json`), a tmux session and window,
//! a git branch (`team/<team>/<role>`), a container and a volume, so it must be valid in all of
//! them: no `/`, `.`, `:`, space or control character, and no leading `-` (it would read as an
//! option to tmux, git and podman).

use crate::error::{Error, Result};

/// The longest team or role name, in bytes.
pub const MAX_NAME_BYTES: usize = 48;

/// Checks a team name (`what` = `team name`) or role (`what` = `role`).
///
/// Errors: [`Error::Invalid`] quoting the name, saying what is wrong and what is allowed.
pub fn check(what: &str, name: &str) -> Result<()> {
    let allowed = "ASCII letters, digits, '-' and '_', starting with a letter or digit, at most 48 bytes (e.g. \"review-team\")";
    let problem = if name.is_empty() {
        Some("is empty".to_string())
    } else if name.len() > MAX_NAME_BYTES {
        Some(format!("is {} bytes long", name.len()))
    } else if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        Some(format!("contains {c:?}"))
    } else if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        Some("does not start with a letter or digit".to_string())
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(p) => Err(Error::Invalid(format!(
            "{what} {name:?} {p}; use {allowed}"
        ))),
    }
}

/// A glob over names: `*` any run of characters, `?` one character, everything else itself
/// (for `team cleanup --pattern`).
pub fn glob_matches(pattern: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char]) -> bool {
        match (p.first(), n.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], n) || (!n.is_empty() && go(p, &n[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &n[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &n[1..]),
            _ => false,
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Bound the backtracking: names are at most 48 bytes, patterns are refused past 256.
    p.len() <= 256 && go(&p, &n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptive_names_pass() {
        for n in ["review", "review-team", "team_2", "A1", &"x".repeat(48)] {
            check("team name", n).expect(n);
        }
    }

    #[test]
    fn spaces_and_special_characters_are_refused_by_name() {
        for (n, why) in [
            ("", "is empty"),
            ("my team", "contains ' '"),
            ("a/b", "contains '/'"),
            ("..", "contains '.'"),
            ("-rf", "does not start"),
            ("_x", "does not start"),
            ("a:b", "contains ':'"),
            ("é", "contains 'é'"),
            ("a\u{1b}[31m", "contains '\\u{1b}'"),
        ] {
            let e = check("team name", n).expect_err(n).to_string();
            assert!(e.contains(why), "{n:?}: {e}");
            assert!(e.contains("team name"), "{e}");
        }
        let long = "x".repeat(49);
        assert!(
            check("role", &long)
                .expect_err("long")
                .to_string()
                .contains("49 bytes")
        );
    }

    #[test]
    fn globs_match_as_shells_do() {
        assert!(glob_matches("rev*", "review"));
        assert!(glob_matches("*", ""));
        assert!(glob_matches("r?v*w", "review"));
        assert!(!glob_matches("rev", "review"));
        assert!(!glob_matches("*x", "review"));
        assert!(!glob_matches(&"*".repeat(300), "a"));
    }
}
