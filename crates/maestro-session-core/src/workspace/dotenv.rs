//! Reading settings from a `.env` file (the project's, the extension folder's) by Maestro's
//! rules, through the bounded reader.
//!
//! The rules are those of Maestro 1.6.4's `src/core/env-file-parser.js` (`parseEnvFile`),
//! which Maestro's `src/config/setting-resolver.js` applies to `<project>/.env` and to
//! `<extension>/.env`, so one `.env` means the same to Maestro and to us:
//!
//! - The text is split on `\n`; each line is trimmed (JavaScript's `trim`: spaces, tabs,
//!   `\r`, no-break spaces, the BOM). Empty lines and lines starting with `#` are skipped.
//! - A leading `export` followed by whitespace is dropped.
//! - The key is everything before the first `=`, as written (not trimmed); the value is
//!   everything after it. A line without `=`, or with nothing before it, assigns nothing.
//! - A value that starts with `"` and has no other `"` on its line runs over the following
//!   lines (taken as they are) up to one that ends with `"` (not `\"`); the value is the lines
//!   joined with `\n`, without the quotes. Unclosed at the end of the file, the value is all
//!   that followed.
//! - Otherwise an inline comment is cut: a `#` after whitespace, outside quotes, ends the
//!   value (the whitespace before it goes too); then one pair of matching quotes around the
//!   whole value (`"..."` or `'...'`) is removed. Nothing else is interpreted: no escapes, no
//!   `${VAR}` substitution. `MAESTRO_DISABLED_AGENTS=architect, tester` is `architect, tester`.
//! - The last assignment of a key wins; an empty value counts as unset (Maestro's
//!   `resolveSetting` falls through on `''`).
//!
//! Where we differ, on purpose: what Maestro skips silently we report as a warning on stderr
//! naming `file:line` (never the line's text, which may hold a secret): a line with no `=`, an
//! empty key, a key that is not a variable name (`KEY = value` assigns `KEY `), an unclosed
//! quote. A warning never fails a command; only a bad value of a setting we use is an error,
//! and it names the setting and `file:line` ([`Setting`]).
//!
//! A missing `.env` means "not set". One that exists is read through
//! [`maestro_session_fs::beneath::Root`] of its own folder ([`ReadKind::DOTENV`]): a symlink leading out
//! of that folder, a FIFO, a device, a folder or a file over 1 MiB is refused, and the error
//! names the file and why (never its content). A refused `.env` is an error of every command
//! that needs its settings (the CLI and MCP tools say which file and why; the hooks report it
//! on stderr and answer the runtime as they do for any error): its settings may say where the
//! sessions live, so it is never silently taken as empty.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Error, Result};
use maestro_session_fs::beneath::Root;
use maestro_session_fs::reader::ReadKind;

/// One assignment of a `.env` file, as Maestro's parser reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The key, as written (Maestro does not trim it).
    pub key: String,
    /// The value.
    pub value: String,
    /// The 1-based line the assignment starts on.
    pub line: usize,
}

/// Why a line assigns nothing (or something no setting can be): a warning, never an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Warning {
    /// A line with no `=`.
    NoEquals,
    /// A line with nothing before its `=`.
    EmptyKey,
    /// A key that is not a variable name (letters, digits, `_`, not starting with a digit),
    /// such as `KEY ` in `KEY = value`; assigned as written, as Maestro does.
    OddKey,
    /// A `"` value that no later line closes; the rest of the file is its value.
    UnclosedQuote,
}

impl Warning {
    /// In words, without any of the line's text.
    pub fn describe(self) -> &'static str {
        match self {
            Warning::NoEquals => "not a KEY=value line (no `=`); ignored",
            Warning::EmptyKey => "no key before `=`; ignored",
            Warning::OddKey => {
                "the key is not a variable name (letters, digits and `_`; no spaces around `=`); \
                 no setting reads it"
            }
            Warning::UnclosedQuote => {
                "a double-quoted value is never closed; the rest of the file is taken as its value"
            }
        }
    }
}

/// A `.env` text as Maestro's parser reads it: the assignments in file order and the warnings
/// (1-based line, why).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// Every assignment, in file order (a later one of the same key wins).
    pub entries: Vec<Entry>,
    /// `(line, why)` for each line that assigns nothing or something odd.
    pub warnings: Vec<(usize, Warning)>,
}

impl Parsed {
    /// The last assignment of `key`, if any (empty values included).
    pub fn last(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().rev().find(|e| e.key == key)
    }

    /// Maestro's view: each key's last value (an object in `parseEnvFile`).
    pub fn values(&self) -> std::collections::BTreeMap<&str, &str> {
        self.entries
            .iter()
            .map(|e| (e.key.as_str(), e.value.as_str()))
            .collect()
    }
}

/// JavaScript's whitespace (`String.prototype.trim`, `\s`): WhiteSpace and LineTerminator of
/// ECMA-262. It differs from Rust's `char::is_whitespace` in two characters: the BOM U+FEFF is
/// whitespace in JavaScript, U+0085 is not.
pub fn is_js_whitespace(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

fn js_trim(s: &str) -> &str {
    s.trim_matches(is_js_whitespace)
}

/// `trimmed.replace(/^export\s+/, '')`.
fn strip_export(s: &str) -> &str {
    match s.strip_prefix("export") {
        Some(rest) if rest.starts_with(is_js_whitespace) => {
            rest.trim_start_matches(is_js_whitespace)
        }
        _ => s,
    }
}

/// Maestro's `stripInlineComment`: a `#` preceded by whitespace, outside quotes, ends the value
/// (`trimEnd`ed). A quote closes on the same character not preceded by `\`.
fn strip_inline_comment(value: &str) -> &str {
    let mut active: Option<char> = None;
    let mut prev: Option<char> = None;
    for (i, ch) in value.char_indices() {
        match active {
            Some(q) if ch == q && prev != Some('\\') => active = None,
            Some(_) => {}
            None if ch == '"' || ch == '\'' => active = Some(ch),
            None if ch == '#' && prev.is_some_and(is_js_whitespace) => {
                return value[..i].trim_end_matches(is_js_whitespace);
            }
            None => {}
        }
        prev = Some(ch);
    }
    value
}

/// Maestro's `trimQuotes`: one pair of matching quotes around the whole value is removed (a
/// lone `"` or `'` is both, and becomes empty, as `slice(1, -1)` makes it).
fn trim_quotes(value: &str) -> &str {
    for q in ['"', '\''] {
        if value.starts_with(q) && value.ends_with(q) {
            return value.get(1..value.len().saturating_sub(1)).unwrap_or("");
        }
    }
    value
}

fn is_variable_name(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Parses `.env` bytes by Maestro's rules (see the module docs). Bytes that are not UTF-8 are
/// read as Node reads them (`readFileSync(path, 'utf8')`: each bad sequence becomes U+FFFD).
/// Never fails and never panics, whatever the bytes.
pub fn parse(bytes: &[u8]) -> Parsed {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out = Parsed::default();
    let mut i = 0;
    while i < lines.len() {
        let number = i + 1;
        let trimmed = js_trim(lines[i]);
        if trimmed.is_empty() || trimmed.starts_with('#') {
            i += 1;
            continue;
        }
        let stripped = strip_export(trimmed);
        let Some(eq) = stripped.find('=') else {
            out.warnings.push((number, Warning::NoEquals));
            i += 1;
            continue;
        };
        let key = &stripped[..eq];
        if key.is_empty() {
            out.warnings.push((number, Warning::EmptyKey));
            i += 1;
            continue;
        }
        if !is_variable_name(key) {
            out.warnings.push((number, Warning::OddKey));
        }
        let raw = &stripped[eq + 1..];
        // Multi-line: starts with `"` and has no other `"` on this line.
        if let Some(first) = raw.strip_prefix('"')
            && !first.contains('"')
        {
            let mut parts = vec![first.to_string()];
            i += 1;
            let mut closed = false;
            while i < lines.len() {
                let next = lines[i];
                if next.ends_with('"') && !next.ends_with("\\\"") {
                    parts.push(next[..next.len() - 1].to_string());
                    closed = true;
                    break;
                }
                parts.push(next.to_string());
                i += 1;
            }
            if !closed {
                out.warnings.push((number, Warning::UnclosedQuote));
            }
            out.entries.push(Entry {
                key: key.to_string(),
                value: parts.join("\n"),
                line: number,
            });
            i += 1;
            continue;
        }
        out.entries.push(Entry {
            key: key.to_string(),
            value: trim_quotes(strip_inline_comment(raw)).to_string(),
            line: number,
        });
        i += 1;
    }
    out
}

/// A setting read from a `.env` file: its value and where it was assigned, so that an error
/// about its value names the setting and `file:line` (and quotes nothing else of the file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The setting's name.
    pub key: String,
    /// Its value (never empty: an empty value is no setting).
    pub value: String,
    /// The `.env` file.
    pub path: PathBuf,
    /// The 1-based line of the assignment that won.
    pub line: usize,
}

impl std::fmt::Display for Setting {
    /// `KEY in /path/.env:3`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} in {}:{}", self.key, self.path.display(), self.line)
    }
}

/// The value of `key` in the `.env` file at `path`, read without touching the process
/// environment: see [`setting`]. Kept for callers that need only the value.
///
/// Errors: as [`setting`].
pub fn lookup(path: &Path, key: &str) -> Result<Option<String>> {
    Ok(setting(path, key)?.map(|s| s.value))
}

/// The setting `key` in the `.env` file at `path` (its last assignment, when its value is not
/// empty), with where it was assigned. `Ok(None)` when the file (or its folder) does not exist
/// or does not assign `key`. Lines that cannot be read are reported once per process on stderr
/// as `[WARN] maestro-session: <file>:<line>: <why>` and never fail the lookup.
///
/// Errors (the file exists but is refused; each names the file and why, none quotes it):
/// [`Error::PathRefused`] for a symlink leading out of the file's folder;
/// [`Error::NotRegular`] for a FIFO, device, socket or folder; [`Error::TooLarge`] over
/// [`ReadKind::DOTENV`]'s cap; [`Error::Io`] when it cannot be read.
pub fn setting(path: &Path, key: &str) -> Result<Option<Setting>> {
    let Some(bytes) = read(path)? else {
        return Ok(None);
    };
    let parsed = parse(&bytes);
    warn_once(path, &parsed.warnings);
    Ok(parsed
        .last(key)
        .filter(|e| !e.value.is_empty())
        .map(|e| Setting {
            key: key.to_string(),
            value: e.value.clone(),
            path: path.to_path_buf(),
            line: e.line,
        }))
}

/// The bytes of the `.env` file at `path`, read beneath its own folder; `None` when it (or its
/// folder) does not exist.
fn read(path: &Path) -> Result<Option<Vec<u8>>> {
    let (Some(folder), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(Error::refused_path(
            path.display().to_string(),
            "a .env path must name a file in a folder",
        ));
    };
    let folder = if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    };
    let root = match Root::open(folder) {
        Err(e) if e.is_not_found() => return Ok(None),
        other => other?,
    };
    match root
        .read_file(Path::new(name), ReadKind::DOTENV, true)
        .map_err(Error::from)
    {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(Error::PathRefused { .. }) => Err(Error::refused_path(
            path.display().to_string(),
            format!(
                "the settings file {} is a symlink leading outside its folder; a .env is \
                 read only from inside its own folder: replace the link with a regular file \
                 there, or set the variables in the environment",
                name.to_string_lossy()
            ),
        )),
        Err(e) => Err(e),
    }
}

/// Prints each warning of `path` once per process (the MCP server and `watch` read `.env`
/// again and again).
fn warn_once(path: &Path, warnings: &[(usize, Warning)]) {
    static SEEN: Mutex<Option<HashSet<(PathBuf, usize)>>> = Mutex::new(None);
    if warnings.is_empty() {
        return;
    }
    let Ok(mut seen) = SEEN.lock() else {
        return;
    };
    let seen = seen.get_or_insert_with(HashSet::new);
    for (line, why) in warnings {
        if seen.insert((path.to_path_buf(), *line)) {
            eprintln!(
                "[WARN] maestro-session: {}:{line}: {}",
                path.display(),
                why.describe()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::disallowed_methods)] // tests set up fixtures directly
    use super::*;

    fn get(text: &str, key: &str) -> Option<String> {
        parse(text.as_bytes()).last(key).map(|e| e.value.clone())
    }

    #[test]
    fn maestro_shapes() {
        let text = "# comment\n\nOTHER=1\nexport MAESTRO_STATE_DIR=.maestro # where\n";
        assert_eq!(get(text, "MAESTRO_STATE_DIR").as_deref(), Some(".maestro"));
        assert_eq!(
            get(
                "MAESTRO_DISABLED_AGENTS=architect, tester\n",
                "MAESTRO_DISABLED_AGENTS"
            )
            .as_deref(),
            Some("architect, tester")
        );
        assert_eq!(
            get("K=\"my dir # not comment\"\n", "K").as_deref(),
            Some("my dir # not comment")
        );
        assert_eq!(get("K='single'\n", "K").as_deref(), Some("single"));
        // No escapes and no substitution: Maestro keeps the text.
        assert_eq!(get("K=\"a\\\"b\"\n", "K").as_deref(), Some("a\\\"b"));
        assert_eq!(
            get("BASE=x\nK=${BASE}/y\n", "K").as_deref(),
            Some("${BASE}/y")
        );
        assert_eq!(
            get("K=a#b\n", "K").as_deref(),
            Some("a#b"),
            "# not after space"
        );
        assert_eq!(get("  export\tK=v  \r\n", "K").as_deref(), Some("v"));
        assert_eq!(get("exportK=v\n", "exportK").as_deref(), Some("v"));
        assert_eq!(
            get("\u{feff}K=v\n", "K").as_deref(),
            Some("v"),
            "BOM trimmed"
        );
        assert_eq!(
            get("K=\"\n", "K").as_deref(),
            Some("\n"),
            "unclosed at the end"
        );
        assert_eq!(get("K=\"\"\n", "K").as_deref(), Some(""));
        assert_eq!(get("K='\n", "K").as_deref(), Some(""), "a lone quote");
        assert_eq!(get("K=a=b\n", "K").as_deref(), Some("a=b"));
        assert_eq!(get("K= v\n", "K").as_deref(), Some(" v"), "not trimmed");
    }

    #[test]
    fn multi_line_values() {
        let p = parse(b"K=\"one\ntwo\nthree\"\nNEXT=1\n");
        assert_eq!(
            p.last("K").map(|e| e.value.as_str()),
            Some("one\ntwo\nthree")
        );
        assert_eq!(p.last("NEXT").map(|e| e.line), Some(4));
        assert!(p.warnings.is_empty());
        let p = parse(b"K=\"one\n  two\\\"\nNEXT=1");
        assert_eq!(
            p.last("K").map(|e| e.value.as_str()),
            Some("one\n  two\\\"\nNEXT=1")
        );
        assert_eq!(p.warnings, vec![(1, Warning::UnclosedQuote)]);
    }

    #[test]
    fn last_assignment_wins_and_odd_lines_are_warnings() {
        assert_eq!(get("K=a\nK=b\n", "K").as_deref(), Some("b"));
        assert_eq!(get("KEY=a\n", "K"), None);
        assert_eq!(get("# K=a\n", "K"), None);
        let p = parse(b"A=1\nghp_SECRET\n=x\nK = v\nB=2\n");
        assert_eq!(
            p.warnings,
            vec![
                (2, Warning::NoEquals),
                (3, Warning::EmptyKey),
                (4, Warning::OddKey)
            ]
        );
        assert_eq!(p.last("K ").map(|e| e.value.as_str()), Some(" v"));
        assert_eq!(p.last("B").map(|e| e.line), Some(5));
        for (_, w) in &p.warnings {
            assert!(!w.describe().contains("SECRET"));
        }
    }

    #[test]
    fn lookups_read_beneath_the_folder_and_name_the_line() {
        let t = tempfile::tempdir().expect("tempdir");
        let path = t.path().join(".env");
        assert_eq!(lookup(&path, "K").expect("missing is fine"), None);
        assert_eq!(
            lookup(&t.path().join("no/such/.env"), "K").expect("no folder"),
            None
        );
        std::fs::write(&path, "broken line\nK=\nK=v # c\nE=\n").expect("write");
        let s = setting(&path, "K").expect("reads").expect("set");
        assert_eq!((s.value.as_str(), s.line), ("v", 3));
        assert_eq!(s.to_string(), format!("K in {}:3", path.display()));
        assert_eq!(lookup(&path, "E").expect("reads"), None, "empty is unset");
        std::fs::remove_file(&path).expect("rm");
        std::fs::create_dir(&path).expect("a folder named .env");
        let err = lookup(&path, "K").expect_err("a folder");
        assert!(matches!(err, Error::NotRegular { .. }), "{err}");
    }

    #[test]
    fn refused_env_files_name_the_file_and_never_the_content() {
        let t = tempfile::tempdir().expect("tempdir");
        let project = t.path().join("p");
        std::fs::create_dir(&project).expect("mkdir");
        let secret = t.path().join("credentials");
        std::fs::write(&secret, "https://alice:ghp_TOPSECRET@github.com\n").expect("write");
        std::os::unix::fs::symlink("../credentials", project.join(".env")).expect("link");
        let err = lookup(&project.join(".env"), "K").expect_err("leads out");
        let msg = err.to_string();
        assert!(matches!(err, Error::PathRefused { .. }), "{msg}");
        assert!(msg.contains(".env") && !msg.contains("TOPSECRET"), "{msg}");
        // A link that stays inside the folder is followed.
        std::fs::remove_file(project.join(".env")).expect("rm");
        std::fs::write(project.join("dev.env"), "K=inside\n").expect("write");
        std::os::unix::fs::symlink("dev.env", project.join(".env")).expect("link");
        assert_eq!(
            lookup(&project.join(".env"), "K")
                .expect("inside")
                .as_deref(),
            Some("inside")
        );
        std::fs::remove_file(project.join(".env")).expect("rm");
        std::os::unix::fs::symlink("/dev/zero", project.join(".env")).expect("link");
        assert!(lookup(&project.join(".env"), "K").is_err());
        std::fs::remove_file(project.join(".env")).expect("rm");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(project.join(".env"))
                .status()
                .is_ok_and(|s| s.success()),
            "mkfifo"
        );
        let err = lookup(&project.join(".env"), "K").expect_err("a FIFO");
        assert!(matches!(err, Error::NotRegular { .. }), "{err}");
        std::fs::remove_file(project.join(".env")).expect("rm");
        let f = std::fs::File::create(project.join(".env")).expect("create");
        f.set_len(50 * 1024 * 1024).expect("sparse 50 MB");
        let err = lookup(&project.join(".env"), "K").expect_err("too large");
        assert!(matches!(err, Error::TooLarge { .. }), "{err}");
    }

    #[test]
    fn js_whitespace_differs_from_rust_in_two_places() {
        assert!(is_js_whitespace('\u{feff}') && !'\u{feff}'.is_whitespace());
        assert!(!is_js_whitespace('\u{85}') && '\u{85}'.is_whitespace());
        for c in (0..=0x3000u32).filter_map(char::from_u32) {
            if c != '\u{85}' && c != '\u{feff}' {
                assert_eq!(is_js_whitespace(c), c.is_whitespace(), "{c:?}");
            }
        }
    }
}
