//! A session file: a frontmatter block between `---` lines, then the Markdown body (the
//! orchestration log). DESIGN 2.1.
//!
//! The frontmatter is YAML (Maestro's session template) or JSON (newer Maestro versions); it is
//! written back in the flavour it was read in. It is held as an ordered JSON map, so keys the
//! tool does not know survive every rewrite in their place, together with the text it was read
//! from, so a rewrite keeps the text of everything it did not change. YAML is read with
//! `serde-saphyr` (panic-free, with budgets); what changed is written by [`crate::session::frontmatter::yaml_emit`] in
//! the template's style and spliced into the original text (see `yaml_splice`): comments,
//! tags, quoting, YAML 1.1 words such as `yes` and integers beyond 64 bits stay as they were
//! written. JSON is pretty-printed as serde_json writes it, numbers keeping their source digits
//! while unchanged.

use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::{
    session::frontmatter::json_emit, session::frontmatter::yaml_emit,
    session::frontmatter::yaml_splice,
};

/// The syntax of a frontmatter block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// YAML, as the Maestro template writes it.
    Yaml,
    /// JSON between the `---` lines.
    Json,
}

/// A parsed session file.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// Which syntax the frontmatter was read in and will be written in.
    pub flavour: Flavour,
    /// The frontmatter mapping, in file order (read and change it as a
    /// `serde_json::Map<String, Value>` through `Deref`/`DerefMut`).
    pub frontmatter: Frontmatter,
    /// Everything after the closing `---` line, verbatim.
    pub body: String,
}

/// The frontmatter mapping of a [`Document`], in file order, and the text it was read from.
///
/// It dereferences to the `serde_json::Map<String, Value>` it holds: read it, index it and
/// change it as that map. The text it was read from (if it was read) is kept beside it, shared
/// between clones, so [`Document::render`] can write back unchanged parts byte for byte.
/// Changing the map copies it once (copy on write); reading never does.
///
/// Two frontmatters are equal when their maps are, wherever they came from.
#[derive(Clone, Default)]
pub struct Frontmatter {
    map: Arc<Map<String, Value>>,
    source: Option<Arc<Source>>,
}

/// The frontmatter text as read, and the value it was read as.
struct Source {
    flavour: Flavour,
    delimiters: Delimiters,
    text: String,
    read_as: Arc<Map<String, Value>>,
}

/// The `---` lines around a frontmatter, as read (line breaks, byte-order mark).
struct Delimiters {
    open: String,
    close: String,
}

impl Frontmatter {
    /// A frontmatter holding `map` and no source text: it is written whole in our style.
    pub fn new(map: Map<String, Value>) -> Frontmatter {
        Frontmatter {
            map: Arc::new(map),
            source: None,
        }
    }

    /// The frontmatter read as `map` from `text` in `flavour`, between `delimiters`.
    fn read(
        flavour: Flavour,
        delimiters: Delimiters,
        text: &str,
        map: Map<String, Value>,
    ) -> Frontmatter {
        let map = Arc::new(map);
        Frontmatter {
            source: Some(Arc::new(Source {
                flavour,
                delimiters,
                text: text.to_string(),
                read_as: Arc::clone(&map),
            })),
            map,
        }
    }

    /// The map, without the source text.
    pub fn into_map(self) -> Map<String, Value> {
        Arc::unwrap_or_clone(self.map)
    }

    /// The frontmatter text between the `---` lines in `flavour`. YAML read in YAML: the source
    /// text when the map is unchanged, else the source text with what changed spliced in (or,
    /// when the source cannot be walked, the whole map in our style). JSON: serde_json's pretty
    /// rendering and a final line break, numbers read from JSON keeping their source digits
    /// while unchanged. A map without source text is written whole in our style.
    pub fn render(&self, flavour: Flavour) -> String {
        let source = self.source.as_deref().filter(|s| s.flavour == flavour);
        match flavour {
            Flavour::Yaml => match source {
                Some(src) if Arc::ptr_eq(&self.map, &src.read_as) || self.map == src.read_as => {
                    src.text.clone()
                }
                Some(src) => yaml_splice::splice(&src.text, &src.read_as, &self.map)
                    .unwrap_or_else(|| yaml_emit::to_yaml(&self.map)),
                None => yaml_emit::to_yaml(&self.map),
            },
            Flavour::Json => json_emit::to_json(&self.map, source.map(|s| s.text.as_str())),
        }
    }
}

impl Deref for Frontmatter {
    type Target = Map<String, Value>;

    fn deref(&self) -> &Map<String, Value> {
        &self.map
    }
}

impl DerefMut for Frontmatter {
    fn deref_mut(&mut self) -> &mut Map<String, Value> {
        Arc::make_mut(&mut self.map)
    }
}

impl From<Map<String, Value>> for Frontmatter {
    fn from(map: Map<String, Value>) -> Frontmatter {
        Frontmatter::new(map)
    }
}

impl PartialEq for Frontmatter {
    fn eq(&self, other: &Frontmatter) -> bool {
        self.map == other.map
    }
}

impl std::fmt::Debug for Frontmatter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.map.fmt(f)
    }
}

/// Why a text is not a session document: a 1-based line of the file and a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line of the whole file, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub reason: String,
}

impl ParseError {
    /// Turns this into [`Error::Corrupt`] for the file at `path`.
    pub fn at(self, path: &Path) -> Error {
        Error::Corrupt {
            path: path.to_path_buf(),
            line: self.line,
            reason: self.reason,
        }
    }
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

impl Document {
    /// Parses a whole session file.
    pub fn parse(text: &str) -> Result<Document, ParseError> {
        let Parts {
            open,
            front,
            close,
            body,
        } = split(text)?;
        let trimmed = front.trim_start();
        let (flavour, value) = if trimmed.starts_with('{') {
            let value: Value = serde_json::from_str(front).map_err(|e| ParseError {
                line: Some(e.line() + 1),
                reason: format!(
                    "invalid JSON frontmatter: {}",
                    strip_position(&e.to_string())
                ),
            })?;
            (Flavour::Json, value)
        } else {
            (Flavour::Yaml, parse_yaml(front)?)
        };
        let frontmatter = match value {
            Value::Object(map) => map,
            Value::Null => Map::new(),
            _ => {
                return Err(ParseError {
                    line: Some(2),
                    reason: "frontmatter is not a mapping of keys to values".into(),
                });
            }
        };
        Ok(Document {
            flavour,
            frontmatter: Frontmatter::read(
                flavour,
                Delimiters {
                    open: open.to_string(),
                    close: close.to_string(),
                },
                front,
                frontmatter,
            ),
            body: body.to_string(),
        })
    }

    /// Reads and parses the file at `path`.
    ///
    /// Errors: [`Error::Io`], [`Error::NotRegular`] or [`Error::TooLarge`] when it cannot be
    /// read (see [`maestro_session_fs::reader::read_path`]); [`Error::Corrupt`] with the line and reason
    /// when it does not parse.
    pub fn read(path: &Path) -> Result<Document> {
        let bytes = maestro_session_fs::reader::read_path(
            path,
            maestro_session_fs::reader::ReadKind::SESSION,
        )?;
        Document::from_bytes(&bytes).map_err(|e| e.at(path))
    }

    /// Parses file bytes, refusing text that is not UTF-8.
    pub fn from_bytes(bytes: &[u8]) -> Result<Document, ParseError> {
        let text = std::str::from_utf8(bytes).map_err(|e| ParseError {
            line: Some(
                bytes[..e.valid_up_to()]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count()
                    + 1,
            ),
            reason: "file is not valid UTF-8".into(),
        })?;
        Document::parse(text)
    }

    /// Renders the whole file: `---`, the frontmatter in its flavour (see
    /// [`Frontmatter::render`]), `---`, the body. The `---` lines are written as they were read
    /// (a byte-order mark, CRLF line breaks), else as `---` and `\n`.
    pub fn render(&self) -> String {
        let front = self.frontmatter.render(self.flavour);
        let (open, close) = match &self.frontmatter.source {
            Some(src) => (src.delimiters.open.as_str(), src.delimiters.close.as_str()),
            None => ("---\n", "---\n"),
        };
        // A closing line read without a line break was the file's last; a body after it
        // needs one.
        let close_break = if close.ends_with('\n') || self.body.is_empty() {
            ""
        } else {
            "\n"
        };
        format!("{open}{front}{close}{close_break}{}", self.body)
    }
}

/// The pieces of a session file, each a slice of it.
struct Parts<'a> {
    /// The opening `---` line with its line break (and a byte-order mark before it, if any).
    open: &'a str,
    /// The frontmatter text between the `---` lines.
    front: &'a str,
    /// The closing `---` line with its line break, if any.
    close: &'a str,
    /// Everything after it.
    body: &'a str,
}

/// Splits a file into frontmatter text and body. The file must open with a `---` line and a
/// later line must be exactly `---`.
fn split(text: &str) -> Result<Parts<'_>, ParseError> {
    let bom = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let after_bom = text.get(bom..).unwrap_or_default();
    let open_len = if after_bom.starts_with("---\n") {
        4
    } else if after_bom.starts_with("---\r\n") {
        5
    } else {
        return Err(ParseError {
            line: Some(1),
            reason: "file does not start with a `---` frontmatter line".into(),
        });
    };
    let (open, rest) = text.split_at(bom + open_len);
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end_matches(['\n', '\r']) == "---" {
            let (front, tail) = rest.split_at(offset);
            let (close, body) = tail.split_at(line.len());
            return Ok(Parts {
                open,
                front,
                close,
                body,
            });
        }
        offset += line.len();
    }
    Err(ParseError {
        line: Some(after_bom.lines().count().max(1)),
        reason: "frontmatter is not closed by a `---` line".into(),
    })
}

fn parse_yaml(front: &str) -> Result<Value, ParseError> {
    let options = serde_saphyr::options! { with_snippet: false };
    serde_saphyr::from_str_with_options::<Value>(front, options).map_err(|e| {
        let line = e.location().map(|l| l.line() as usize + 1);
        ParseError {
            line,
            reason: format!(
                "invalid YAML frontmatter: {}",
                strip_position(&e.to_string())
            ),
        }
    })
}

/// Drops the "error: line N column M: " / " at line N column M" a parser puts in its message,
/// since the caller reports the file line itself.
fn strip_position(msg: &str) -> String {
    let msg = msg.strip_prefix("error: ").unwrap_or(msg);
    let msg = match msg.strip_prefix("line ") {
        Some(rest) => rest.split_once(": ").map(|(_, m)| m).unwrap_or(rest),
        None => msg,
    };
    let msg = msg.lines().next().unwrap_or(msg);
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_keeps_body() {
        let doc =
            Document::parse("---\na: 1\n---\n# Log\n\n---\nnot frontmatter\n").expect("parse");
        assert_eq!(doc.flavour, Flavour::Yaml);
        assert_eq!(doc.frontmatter["a"], 1);
        assert_eq!(doc.body, "# Log\n\n---\nnot frontmatter\n");
        assert_eq!(
            doc.render(),
            "---\na: 1\n---\n# Log\n\n---\nnot frontmatter\n"
        );
    }

    #[test]
    fn json_flavour_round_trips() {
        let text = "---\n{\n  \"b\": [\n    1\n  ],\n  \"a\": null\n}\n---\nbody";
        let doc = Document::parse(text).expect("parse");
        assert_eq!(doc.flavour, Flavour::Json);
        assert_eq!(doc.render(), text);
    }

    #[test]
    fn broken_frontmatter_names_the_file_line() {
        let cases = [
            ("no frontmatter", 1, "does not start"),
            ("---\na: 1\n", 2, "not closed"),
            ("---\na: 1\nb: [1, 2\nc: 3\n---\n", 4, "invalid YAML"),
            ("---\na: 1\n  b: 2\n---\n", 3, "invalid YAML"),
            ("---\n{\n  \"a\": 1,\n}\n---\n", 4, "invalid JSON"),
            ("---\n- 1\n---\n", 2, "not a mapping"),
            ("---\na: 1\na: 2\n---\n", 3, "duplicate"),
        ];
        for (text, line, reason) in cases {
            let err = Document::parse(text).expect_err(text);
            assert_eq!(err.line, Some(line), "{text:?}: {err}");
            assert!(err.reason.contains(reason), "{text:?}: {err}");
            assert!(!err.reason.contains('\n'), "one line: {err}");
        }
    }

    #[test]
    fn unchanged_yaml_is_written_verbatim_and_changes_are_spliced() {
        let text = "---\n# c\na:   yes  # why\nb: 1\n---\nbody";
        let mut doc = Document::parse(text).expect("parse");
        assert_eq!(doc.render(), text);
        let copy = doc.clone();
        doc.frontmatter.insert("b".into(), 2.into());
        assert_eq!(doc.render(), "---\n# c\na:   yes  # why\nb: 2\n---\nbody");
        assert_eq!(copy.render(), text, "a clone keeps its own map");
        assert_ne!(copy, doc);
        // Another flavour: the whole map, in that flavour.
        doc.flavour = Flavour::Json;
        assert_eq!(
            doc.render(),
            "---\n{\n  \"a\": true,\n  \"b\": 2\n}\n---\nbody"
        );
        // No source text: our style.
        let fresh = Document {
            flavour: Flavour::Yaml,
            frontmatter: doc.frontmatter.clone().into_map().into(),
            body: String::new(),
        };
        assert_eq!(fresh.render(), "---\na: true\nb: 2\n---\n");
        assert_eq!(fresh.frontmatter, doc.frontmatter, "equal maps are equal");
    }

    #[test]
    fn delimiter_lines_are_written_as_read() {
        let text = "\u{feff}---\r\na: 1\r\n---\r\nbody\r\n";
        let mut doc = Document::parse(text).expect("parse");
        assert_eq!(doc.render(), text);
        doc.frontmatter.insert("b".into(), 2.into());
        assert_eq!(
            doc.render(),
            "\u{feff}---\r\na: 1\r\nb: 2\r\n---\r\nbody\r\n"
        );
        let last = "---\na: 1\n---";
        let mut doc = Document::parse(last).expect("parse");
        assert_eq!(doc.render(), last);
        doc.body = "log".into();
        assert_eq!(doc.render(), "---\na: 1\n---\nlog");
    }

    #[test]
    fn non_utf8_is_corrupt() {
        let err = Document::from_bytes(b"---\na: \xff\n---\n").expect_err("utf8");
        assert_eq!(err.line, Some(2));
    }
}

#[cfg(test)]
mod fixture_tests {
    use super::*;

    const YAML: &str =
        include_str!("../../../../tests/fixtures/maestro-state/active-session.yaml.md");
    const JSON: &str =
        include_str!("../../../../tests/fixtures/maestro-state/active-session.json.md");

    #[test]
    fn both_renderings_read_to_the_same_session_and_write_back_unchanged() {
        let yaml = Document::parse(YAML).expect("yaml fixture");
        let json = Document::parse(JSON).expect("json fixture");
        assert_eq!(yaml.flavour, Flavour::Yaml);
        assert_eq!(json.flavour, Flavour::Json);
        assert_eq!(yaml.frontmatter, json.frontmatter);
        assert_eq!(yaml.body, json.body);
        assert_eq!(yaml.render(), YAML);
        assert_eq!(json.render(), JSON);
    }
}
