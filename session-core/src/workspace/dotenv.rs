//! Reading one key from a project's `.env` file, with [`dotenvy`]'s parser (the shapes shells
//! and dotenv loaders accept: `KEY=value`, `export KEY=value`, single and double quotes,
//! `# comments`, `${OTHER}` substitution).
//!
//! A `.env` is optional configuration: a missing file means "not set". A file that exists but
//! cannot be read, or does not parse, is an error naming the file (and the line, when dotenvy
//! knows it), never silently ignored: the setting it holds may say where the sessions live.

use std::path::Path;

use crate::error::{Error, Result};

/// The value of `key` in the `.env` file at `path`, reading the file without touching the
/// process environment.
///
/// Returns `Ok(None)` when the file does not exist or does not assign `key` (an empty value
/// counts as unset); the last assignment wins.
///
/// # Errors
/// [`Error::Io`] when the file exists but cannot be read (permissions, a folder named `.env`);
/// [`Error::Corrupt`] with the 1-based line when a line does not parse.
pub fn lookup(path: &Path, key: &str) -> Result<Option<String>> {
    let text = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("read the settings file", path, e)),
    };
    lookup_in(&text, key).map_err(|(line, reason)| Error::Corrupt {
        path: path.to_path_buf(),
        line,
        reason,
    })
}

/// The value of `key` in `.env` bytes; on a parse error, the 1-based line (when known) and
/// what is wrong.
pub fn lookup_in(
    text: &[u8],
    key: &str,
) -> std::result::Result<Option<String>, (Option<usize>, String)> {
    let mut found = None;
    for item in dotenvy::from_read_iter(text) {
        match item {
            Ok((k, v)) => {
                if k == key {
                    found = Some(v);
                }
            }
            Err(dotenvy::Error::LineParse(line, at)) => {
                let number = line_number(text, &line);
                return Err((
                    number,
                    format!("not a KEY=value line at character {}: {line:?}", at + 1),
                ));
            }
            Err(e) => return Err((None, format!("not a .env file: {e}"))),
        }
    }
    Ok(found.filter(|v| !v.is_empty()))
}

/// The 1-based line of `text` that starts with `line` (dotenvy reports the text, not the
/// number).
fn line_number(text: &[u8], line: &str) -> Option<usize> {
    let text = String::from_utf8_lossy(text);
    let first = line.lines().next().unwrap_or(line).trim();
    text.lines().position(|l| l.trim() == first).map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::disallowed_methods)]
    use super::{lookup, lookup_in};

    fn get(text: &str, key: &str) -> Option<String> {
        lookup_in(text.as_bytes(), key).expect("parses")
    }

    #[test]
    fn plain_export_quotes_and_comments() {
        let text = "# comment\n\nOTHER=1\nexport MAESTRO_STATE_DIR=.maestro # where\n";
        assert_eq!(get(text, "MAESTRO_STATE_DIR").as_deref(), Some(".maestro"));
        let text = "MAESTRO_STATE_DIR=\"my dir # not comment\"\n";
        assert_eq!(
            get(text, "MAESTRO_STATE_DIR").as_deref(),
            Some("my dir # not comment")
        );
        let text = "MAESTRO_STATE_DIR='single'\n";
        assert_eq!(get(text, "MAESTRO_STATE_DIR").as_deref(), Some("single"));
        let text = "export MAESTRO_STATE_DIR=\"a\\\"b\"\n";
        assert_eq!(get(text, "MAESTRO_STATE_DIR").as_deref(), Some("a\"b"));
        assert_eq!(get("BASE=x\nK=${BASE}/y\n", "K").as_deref(), Some("x/y"));
    }

    #[test]
    fn last_assignment_wins_and_empty_is_unset() {
        assert_eq!(get("K=a\nK=b\n", "K").as_deref(), Some("b"));
        assert_eq!(get("K=\n", "K"), None);
        assert_eq!(get("KEY=a\n", "K"), None);
        assert_eq!(get("# K=a\n", "K"), None);
        assert_eq!(get("K=a\r\n", "K").as_deref(), Some("a"));
    }

    #[test]
    fn a_line_that_does_not_parse_is_named_by_number() {
        let (line, reason) = lookup_in(b"A=1\nB=2\nnot a setting\n", "A").expect_err("refused");
        assert_eq!(line, Some(3), "{reason}");
        assert!(reason.contains("not a setting"), "{reason}");
    }

    #[test]
    fn missing_is_unset_but_unreadable_is_an_error_naming_the_file() {
        let t = tempfile::tempdir().expect("tempdir");
        let path = t.path().join(".env");
        assert_eq!(lookup(&path, "K").expect("missing is fine"), None);
        std::fs::create_dir(&path).expect("a folder named .env");
        let err = lookup(&path, "K").expect_err("a folder is not readable as .env");
        assert!(err.to_string().contains(".env"), "{err}");
        std::fs::remove_dir(&path).expect("rmdir");
        std::fs::write(&path, "K=v\nbroken line\n").expect("write");
        let err = lookup(&path, "K").expect_err("does not parse");
        assert!(err.to_string().contains(".env:2"), "{err}");
    }
}
