//! Writing a path into a command line that a runtime runs through a POSIX shell (Claude Code
//! and Codex hook commands, Gemini CLI command files and policy rules): the one quoting rule
//! all of them use, so the word a policy allows is the word a command runs.

/// `text` as one POSIX shell word: as it is when every character is safe unquoted
/// (`A-Za-z0-9/._+,:@%=-`), else in single quotes with each `'` written `'\''`.
pub fn shell_word(text: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._+,:@%=-".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::shell_word;

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(shell_word("/opt/m-1.0/bin"), "/opt/m-1.0/bin");
        assert_eq!(shell_word("/a/b+c,d:e@f%g=h_i"), "/a/b+c,d:e@f%g=h_i");
        assert_eq!(shell_word("/home/a b/it's"), "'/home/a b/it'\\''s'");
        assert_eq!(shell_word(""), "''");
        assert_eq!(shell_word("$HOME"), "'$HOME'");
    }
}
