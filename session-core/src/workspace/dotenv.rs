//! Reading one key from a `.env` file, the way shells and dotenv loaders read it.
//!
//! Accepted line shapes: `KEY=value`, `export KEY=value`, `KEY="quoted # not a comment"`,
//! `KEY='single quoted'`, `KEY=value # trailing comment`, blank lines and `# comments`.
//! Double-quoted values understand `\"`, `\\`, `\n` and `\t`. The last assignment wins.

use std::path::Path;

/// The value of `key` in the `.env` file at `path`; `None` when the file is missing,
/// unreadable, or does not assign the key (a `.env` is optional configuration, never fatal).
pub fn lookup(path: &Path, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    lookup_in(&text, key)
}

/// The value of `key` in `.env` text; see the module docs for the accepted shapes.
pub fn lookup_in(text: &str, key: &str) -> Option<String> {
    let mut found = None;
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line
            .strip_prefix("export ")
            .map(str::trim_start)
            .unwrap_or(line);
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        if k.trim() != key {
            continue;
        }
        found = Some(parse_value(v.trim()));
    }
    found.filter(|v| !v.is_empty())
}

fn parse_value(v: &str) -> String {
    if let Some(rest) = v.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => return out,
                '\\' => match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some(other) => out.push(other),
                    None => out.push('\\'),
                },
                c => out.push(c),
            }
        }
        return out;
    }
    if let Some(rest) = v.strip_prefix('\'') {
        return rest.split('\'').next().unwrap_or_default().to_string();
    }
    let without_comment = match v.find(" #") {
        Some(i) => &v[..i],
        None => v,
    };
    without_comment.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::lookup_in;

    #[test]
    fn plain_export_quotes_and_comments() {
        let text = "# comment\n\nOTHER=1\nexport DIR=.maestro # where\n";
        assert_eq!(lookup_in(text, "DIR").as_deref(), Some(".maestro"));
        let text = "DIR=\"my dir # not comment\"\n";
        assert_eq!(
            lookup_in(text, "DIR").as_deref(),
            Some("my dir # not comment")
        );
        let text = "DIR='single'\n";
        assert_eq!(lookup_in(text, "DIR").as_deref(), Some("single"));
        let text = "  export   DIR = \"a\\\"b\" \n";
        assert_eq!(lookup_in(text, "DIR").as_deref(), Some("a\"b"));
    }

    #[test]
    fn last_assignment_wins_and_empty_is_unset() {
        assert_eq!(lookup_in("K=a\nK=b\n", "K").as_deref(), Some("b"));
        assert_eq!(lookup_in("K=\n", "K"), None);
        assert_eq!(lookup_in("KEY=a\n", "K"), None);
        assert_eq!(lookup_in("# K=a\n", "K"), None);
        assert_eq!(lookup_in("K=a\r\n", "K").as_deref(), Some("a"));
    }
}
