//! `search`: words over the task, phase names, downstream context, errors, file manifests and
//! orchestration log of every session, active and archived, ranked, each hit with the fields
//! it matched and a snippet of each.
//!
//! **Query** ([`Query::parse`]): words separated by whitespace and `"quoted phrases"` (an
//! unclosed quote runs to the end), each compared case-insensitively (Unicode lowercase, one
//! character at a time, so `Straße` finds `STRASSE`'s lowercase `straße`, not `strasse`).
//! Every term must occur in some field of a session (AND); a term may occur inside a word
//! (`auth` finds `authentication`). At most [`MAX_TERMS`] terms.
//!
//! **Fields** ([`fields`]), named as JSON paths into `show --json`: `task`,
//! `phases[i].name`, `phases[i].downstream_context` (its five lists), `phases[i].errors`
//! (messages, and the resolutions of resolved ones), `phases[i].files` (created, modified,
//! deleted), `body` (the orchestration log), with `i` the phase's index in `phases` (0-based;
//! `show` numbers phases by their `id`, usually `i + 1`). Each field's text is
//! whitespace-collapsed and bounded: [`FIELD_CHARS`] characters ([`BODY_CHARS`] for the body)
//! and [`SESSION_CHARS`] per session, so a match past those bounds is not found.
//!
//! **Rank** ([`rank`]): each field has a weight ([`weight`]: task 8, phase name 5, downstream
//! context and errors 3, files 2, body 1); a session scores, for each term and field, the
//! field's weight times the term's occurrences there (at most [`MAX_COUNTED`]). Higher scores
//! first; equal scores in `list` order ([`listing::newest_first`]).
//!
//! **Speed**: the searchable text of each archived session is cached in the search index,
//! `state/.search-index`, by the list index's rule ([`crate::store::index::rows_with`]): keyed by the file's
//! identity, a changed file parsed again, a corrupt or missing index rebuilt, never trusted
//! over the session files. One line per session, `<file name>\t<key>\t<field>=<text>\t…`
//! (texts hold no tab or newline: whitespace is collapsed to spaces).

use serde::Serialize;

use crate::error::{Error, Result};
use crate::session::lifecycle::SessionStatus;
use crate::session::session_file::{Location, SessionFile};

use crate::store::listing::{self, SessionSummary};

/// The search index, relative to the state dir.
pub const SEARCH_INDEX_REL: &str = "state/.search-index";
/// File name of the search index, in the `state/` folder.
pub const SEARCH_INDEX_FILE: &str = ".search-index";
/// The most bytes the search index may hold (256 MiB; 10,000 sessions of the fixture's size
/// take ~8 MB); a larger one is ignored and rebuilt.
pub const MAX_SEARCH_INDEX_BYTES: u64 = maestro_session_fs::reader::ReadKind::SEARCH_INDEX.cap;
pub(in crate::store) const MAGIC: &str = "maestro-session search index 1";
/// The characters of one field that are searched (the rest is not).
pub const FIELD_CHARS: usize = 2048;
/// The characters of the body (orchestration log) that are searched.
pub const BODY_CHARS: usize = 8192;
/// The characters of one session that are searched, over all its fields in the order of
/// [`fields`] (the body last).
pub const SESSION_CHARS: usize = 32 * 1024;
/// The most terms a query may hold.
pub const MAX_TERMS: usize = 32;
/// The most occurrences of one term in one field that count toward the score.
pub const MAX_COUNTED: usize = 5;
/// Characters of context a snippet shows before the match.
const SNIPPET_BEFORE: usize = 30;
/// The most characters of a snippet, `…` marks excluded.
const SNIPPET_CHARS: usize = 80;

/// A parsed query: the terms, each folded ([`fold`]) and whitespace-collapsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The terms, deduplicated, in the order given.
    pub terms: Vec<String>,
}

impl Query {
    /// Parses `text`: words and `"quoted phrases"`.
    ///
    /// Errors: [`Error::Invalid`] when it holds no term, or more than [`MAX_TERMS`].
    pub fn parse(text: &str) -> Result<Query> {
        let mut terms: Vec<String> = Vec::new();
        let mut add = |raw: &str| {
            let term = fold(&collapse(raw, usize::MAX));
            if !term.is_empty() && !terms.contains(&term) {
                terms.push(term);
            }
        };
        for (i, part) in text.split('"').enumerate() {
            if i % 2 == 1 {
                add(part);
            } else {
                part.split_whitespace().for_each(&mut add);
            }
        }
        if terms.is_empty() {
            return Err(Error::Invalid(
                "the search query holds no word: give at least one (\"quoted phrase\" for words in a row)".into(),
            ));
        }
        if terms.len() > MAX_TERMS {
            return Err(Error::Invalid(format!(
                "the search query holds {} terms; at most {MAX_TERMS} are accepted",
                terms.len()
            )));
        }
        Ok(Query { terms })
    }
}

/// Which sessions a search looks at, and how many hits it returns.
#[derive(Debug, Clone)]
pub struct SearchFilter {
    /// Only sessions of this status.
    pub status: Option<SessionStatus>,
    /// Only the active session, or only archived ones.
    pub location: Option<Location>,
    /// At most this many hits (the best).
    pub limit: usize,
}

impl Default for SearchFilter {
    fn default() -> Self {
        SearchFilter {
            status: None,
            location: None,
            limit: 20,
        }
    }
}

/// One field of a session that matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct FieldMatch {
    /// The field: `task`, `phases[i].name`, `phases[i].downstream_context`,
    /// `phases[i].errors`, `phases[i].files` or `body`.
    pub field: String,
    /// The query terms found in it (folded).
    pub terms: Vec<String>,
    /// Up to about 80 characters of the field around the first match, `…` where cut.
    pub snippet: String,
}

/// One session that matched every term.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Hit {
    /// Session id.
    pub session_id: String,
    /// `active` or `archive`.
    pub location: Location,
    /// Status.
    pub status: SessionStatus,
    /// Task.
    pub task: String,
    /// The score (see the module docs).
    pub score: u64,
    /// The fields that matched, highest weight first, then in [`fields`] order.
    pub matches: Vec<FieldMatch>,
    /// The session file.
    pub path: String,
}

/// What a search found.
#[derive(Debug)]
pub struct SearchReport {
    /// The terms searched for.
    pub query: Query,
    /// The best hits, at most the filter's limit, best first.
    pub hits: Vec<Hit>,
    /// How many sessions matched (before the limit).
    pub total: usize,
    /// Session files that could not be read or parsed (not searched; reported, never
    /// skipped silently).
    pub unreadable: Vec<Error>,
}

/// The weight of a field in the score (see the module docs).
pub fn weight(field: &str) -> u64 {
    match field.rsplit('.').next().unwrap_or(field) {
        "task" => 8,
        "name" => 5,
        "downstream_context" | "errors" => 3,
        "files" => 2,
        _ => 1,
    }
}

/// `text` in lowercase, one character at a time (`char::to_lowercase`), so the query and the
/// text fold alike and a position maps back to the original character by character.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    // ASCII runs are copied and lowered in place (a search folds megabytes of mostly ASCII
    // text); each other character goes through `char::to_lowercase`.
    while !rest.is_empty() {
        let run = rest
            .bytes()
            .position(|b| !b.is_ascii())
            .unwrap_or(rest.len());
        let start = out.len();
        out.push_str(&rest[..run]);
        out[start..].make_ascii_lowercase();
        rest = &rest[run..];
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.extend(c.to_lowercase());
            rest = chars.as_str();
        }
    }
    out
}

/// `text` with every run of whitespace and control characters as one space, trimmed, cut to
/// `max` characters.
fn collapse(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut chars = 0;
    let mut pending_space = false;
    for c in text.chars() {
        if chars >= max {
            break;
        }
        if c.is_whitespace() || c.is_control() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            chars += 1;
            pending_space = false;
            if chars >= max {
                break;
            }
        }
        out.push(c);
        chars += 1;
    }
    out
}

/// The searchable fields of `session`, in order: task; per phase its name, downstream
/// context, errors and files; the body. Texts collapsed ([`FIELD_CHARS`], [`BODY_CHARS`]);
/// empty fields left out; the fields past [`SESSION_CHARS`] in all cut or left out.
pub fn fields(session: &SessionFile) -> Vec<(String, String)> {
    let m = &session.meta;
    let mut raw: Vec<(String, String)> = vec![("task".into(), m.task.clone())];
    for (i, p) in m.phases.iter().enumerate() {
        raw.push((format!("phases[{i}].name"), p.name.clone()));
        let dc = &p.downstream_context;
        let context: Vec<&str> = [
            &dc.key_interfaces_introduced,
            &dc.patterns_established,
            &dc.integration_points,
            &dc.assumptions,
            &dc.warnings,
        ]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
        raw.push((
            format!("phases[{i}].downstream_context"),
            context.join(" | "),
        ));
        let errors: Vec<&str> = p
            .errors
            .iter()
            .flat_map(|e| {
                [
                    e.message.as_str(),
                    if e.resolved { &e.resolution } else { "" },
                ]
            })
            .filter(|t| !t.is_empty())
            .collect();
        raw.push((format!("phases[{i}].errors"), errors.join(" | ")));
        let files: Vec<&str> = [&p.files_created, &p.files_modified, &p.files_deleted]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        raw.push((format!("phases[{i}].files"), files.join(" | ")));
    }
    raw.push(("body".into(), session.body.clone()));
    let mut left = SESSION_CHARS;
    let mut out = Vec::new();
    for (field, text) in raw {
        let cap = if field == "body" {
            BODY_CHARS
        } else {
            FIELD_CHARS
        };
        let text = collapse(&text, cap.min(left));
        if text.is_empty() {
            continue;
        }
        left -= text.chars().count();
        out.push((field, text));
    }
    out
}

/// The search index payload of `session`: `<field>=<text>` joined by tabs (no tab or
/// newline inside: see `collapse`).
pub fn document(session: &SessionFile) -> String {
    let mut out = String::new();
    for (field, text) in fields(session) {
        if !out.is_empty() {
            out.push('\t');
        }
        out.push_str(&field);
        out.push('=');
        out.push_str(&text);
    }
    out
}

/// Per matching field of a document, in document order: its index among the document's fields
/// and the indices (in [`Query::terms`]) of the terms found in it.
pub type Matched = Vec<(usize, Vec<usize>)>;

/// How `document` (a search index payload) matches `query`: the score and the fields that
/// matched; `None` unless every term occurs in some field.
pub fn rank(document: &str, query: &Query) -> Option<(u64, Matched)> {
    let folded = fold(document);
    // Quick refusal: a term missing from the whole line is missing from every field.
    if !query.terms.iter().all(|t| folded.contains(t.as_str())) {
        return None;
    }
    let mut score = 0u64;
    let mut found = vec![false; query.terms.len()];
    let mut matched = Vec::new();
    for (i, field) in folded.split('\t').enumerate() {
        let Some((name, text)) = field.split_once('=') else {
            continue;
        };
        let w = weight(name);
        let mut terms = Vec::new();
        for (t, term) in query.terms.iter().enumerate() {
            let n = text.matches(term.as_str()).take(MAX_COUNTED).count();
            if n > 0 {
                found[t] = true;
                score = score.saturating_add(w.saturating_mul(n as u64));
                terms.push(t);
            }
        }
        if !terms.is_empty() {
            matched.push((i, terms));
        }
    }
    found.iter().all(|f| *f).then_some((score, matched))
}

/// Up to `SNIPPET_CHARS` characters of `text` around the first occurrence of a folded term
/// in its fold ([`fold`]), counted in characters; `…` marks a cut. The whole start when no
/// term occurs.
pub fn snippet(text: &str, terms: &[&str]) -> String {
    // For each character of `text`: where its fold starts in `folded`.
    let mut folded = String::with_capacity(text.len());
    let mut starts = Vec::with_capacity(text.len());
    for c in text.chars() {
        starts.push(folded.len());
        folded.extend(c.to_lowercase());
    }
    let at = terms
        .iter()
        .filter_map(|t| folded.find(t))
        .min()
        .map(|byte| starts.partition_point(|&s| s <= byte).saturating_sub(1))
        .unwrap_or(0);
    let total = starts.len();
    let from = at.saturating_sub(SNIPPET_BEFORE);
    let to = (from + SNIPPET_CHARS).min(total);
    let from = to.saturating_sub(SNIPPET_CHARS).min(from);
    let mut out = String::new();
    if from > 0 {
        out.push('…');
    }
    out.extend(text.chars().skip(from).take(to - from));
    if to < total {
        out.push('…');
    }
    out
}

/// The hit of the session `row` whose search document is `document`, ranked as `score` with
/// `matched` (see [`rank`]).
fn hit(row: &SessionSummary, document: &str, query: &Query, score: u64, matched: &Matched) -> Hit {
    let original: Vec<&str> = document.split('\t').collect();
    let mut matches: Vec<FieldMatch> = matched
        .iter()
        .filter_map(|(i, terms)| {
            let (field, text) = original.get(*i)?.split_once('=')?;
            let terms: Vec<&str> = terms
                .iter()
                .filter_map(|t| query.terms.get(*t).map(String::as_str))
                .collect();
            Some(FieldMatch {
                field: field.to_string(),
                snippet: snippet(text, &terms),
                terms: terms.into_iter().map(str::to_string).collect(),
            })
        })
        .collect();
    // Stable: equal weights keep document order.
    matches.sort_by_key(|m| std::cmp::Reverse(weight(&m.field)));
    Hit {
        session_id: row.session_id.clone(),
        location: row.location,
        status: row.status,
        task: row.task.clone(),
        score,
        matches,
        path: row.path.clone(),
    }
}

/// Searches `rows` (each with its search document) for `query`: the best `filter.limit` hits
/// and how many matched.
pub fn search_rows(
    rows: &[SessionSummary],
    documents: &[String],
    query: &Query,
    filter: &SearchFilter,
) -> (Vec<Hit>, usize) {
    let mut ranked: Vec<(u64, usize, Matched)> = rows
        .iter()
        .zip(documents)
        .enumerate()
        .filter(|(_, (row, _))| {
            filter.status.is_none_or(|s| row.status == s)
                && filter.location.is_none_or(|l| row.location == l)
        })
        .filter_map(|(i, (_, doc))| rank(doc, query).map(|(score, m)| (score, i, m)))
        .collect();
    let total = ranked.len();
    ranked.sort_by_cached_key(|(score, i, _)| {
        (
            std::cmp::Reverse(*score),
            listing::newest_first_key(&rows[*i]),
        )
    });
    let hits = ranked
        .iter()
        .take(filter.limit)
        .map(|(score, i, matched)| hit(&rows[*i], &documents[*i], query, *score, matched))
        .collect();
    (hits, total)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    const YAML: &str =
        include_str!("../../../../../tests/fixtures/maestro-state/active-session.yaml.md");

    fn fixture() -> SessionFile {
        SessionFile::from_bytes(YAML.as_bytes(), Path::new("a.md"), Location::Archive)
            .expect("fixture parses")
    }

    fn q(text: &str) -> Query {
        Query::parse(text).expect("query")
    }

    #[test]
    fn queries_split_into_folded_words_and_phrases() {
        assert_eq!(q("Token  AUTH token").terms, ["token", "auth"]);
        assert_eq!(
            q("\"REST   API\" fix \"unclosed Phrase").terms,
            ["rest api", "fix", "unclosed phrase"]
        );
        assert_eq!(q("ÉCOLE Straße ΣΑΣ").terms, ["école", "straße", "σασ"]);
        assert_eq!(q("İ").terms, ["i\u{307}"]);
        for empty in ["", "   ", "\"\"", "\"  \" \t\n", "\u{0}"] {
            assert!(Query::parse(empty).is_err(), "{empty:?}");
        }
        let many: Vec<String> = (0..=MAX_TERMS).map(|i| format!("w{i}")).collect();
        assert!(Query::parse(&many.join(" ")).is_err());
        assert!(Query::parse(&"x".repeat(100_000)).is_ok());
    }

    #[test]
    fn fold_is_per_character_lowercase() {
        for text in [
            "",
            "ABC",
            "ÉCOLE ✅ Ab",
            "İx",
            "ΣΑΣ end",
            "日本 A\tB",
            "a\u{0}Ω",
        ] {
            let slow: String = text.chars().flat_map(char::to_lowercase).collect();
            assert_eq!(fold(text), slow, "{text:?}");
        }
    }

    #[test]
    fn documents_name_their_fields_and_hold_no_line_breaks() {
        let doc = document(&fixture());
        assert!(!doc.contains(['\n', '\r']));
        let names: Vec<&str> = doc
            .split('\t')
            .filter_map(|f| f.split_once('=').map(|(n, _)| n))
            .collect();
        assert_eq!(names[0], "task");
        for want in [
            "phases[0].name",
            "phases[0].downstream_context",
            "phases[0].files",
            "phases[1].errors",
            "phases[1].files",
            "phases[2].name",
            "body",
        ] {
            assert!(names.contains(&want), "{want} in {names:?}");
        }
        assert!(
            !names.contains(&"phases[2].errors"),
            "empty fields left out"
        );
    }

    #[test]
    fn sessions_are_bounded() {
        let mut s = fixture();
        s.meta.task = "t\n".repeat(FIELD_CHARS);
        s.body = "b ".repeat(BODY_CHARS * 4);
        let total: usize = fields(&s).iter().map(|(_, t)| t.chars().count()).sum();
        assert!(total <= SESSION_CHARS);
        let task = &fields(&s)[0].1;
        assert_eq!(task.chars().count(), FIELD_CHARS);
        let body = fields(&s).pop().expect("body");
        assert_eq!(body.1.chars().count(), BODY_CHARS);
    }

    #[test]
    fn every_term_must_match_and_fields_weigh() {
        let doc = document(&fixture());
        assert!(rank(&doc, &q("token nonexistent")).is_none());
        let (task_score, m) = rank(&doc, &q("authentication")).expect("in the task");
        assert_eq!(m.len(), 2, "task and body: {m:?}");
        let (file_score, _) = rank(&doc, &q("server.rs")).expect("a file");
        assert!(task_score > file_score, "{task_score} > {file_score}");
        let (_, m) = rank(&doc, &q("\"2 failures\"")).expect("an error");
        let fields: Vec<&str> = m
            .iter()
            .map(|(i, _)| {
                doc.split('\t')
                    .nth(*i)
                    .and_then(|f| f.split('=').next())
                    .unwrap_or("")
            })
            .collect();
        assert_eq!(fields, ["phases[1].errors"]);
        // More occurrences score higher, up to MAX_COUNTED.
        let once = rank("body=x foo", &q("foo")).expect("once").0;
        let twice = rank("body=foo foo", &q("foo")).expect("twice").0;
        let many = rank(&format!("body={}", "foo ".repeat(50)), &q("foo"))
            .expect("many")
            .0;
        assert!(once < twice && many == MAX_COUNTED as u64 * once);
        // A field's name is not its text.
        assert!(rank("task=x", &q("task")).is_none());
    }

    #[test]
    fn snippets_cut_by_characters_around_the_match() {
        let text = format!("{}Straße ÉCOLE {}", "αβγ ".repeat(40), "日本語".repeat(40));
        let s = snippet(&text, &["école"]);
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.contains("ÉCOLE"), "{s}");
        assert!(s.chars().count() <= SNIPPET_CHARS + 2);
        // A fold longer than its character (İ → i̇) keeps the positions right.
        let text = format!("{}needle", "İ".repeat(100));
        assert!(snippet(&text, &["needle"]).ends_with("needle"));
        assert_eq!(snippet("short", &["zz"]), "short");
        assert_eq!(snippet("", &["a"]), "");
        // Every cut point of a multibyte text.
        let text = "é日🎉".repeat(50);
        for i in 0..text.chars().count() {
            let term: String = text.chars().skip(i).take(2).collect();
            let s = snippet(&text, &[&fold(&term)]);
            assert!(s.contains(&term), "{i}: {s}");
        }
    }

    #[test]
    fn ties_go_newest_first_and_the_limit_keeps_the_best() {
        let base = SessionSummary::of(&fixture());
        let row = |id: &str, updated: &str| SessionSummary {
            session_id: id.into(),
            updated: updated.into(),
            ..base.clone()
        };
        let rows = vec![
            row("old", "2026-01-01T00:00:00Z"),
            row("new", "2026-03-01T00:00:00Z"),
            row("best", "2025-01-01T00:00:00Z"),
            row("none", "2026-05-01T00:00:00Z"),
        ];
        let docs: Vec<String> = ["body=alpha", "body=alpha", "task=alpha", "body=beta"]
            .map(String::from)
            .to_vec();
        let (hits, total) = search_rows(&rows, &docs, &q("ALPHA"), &SearchFilter::default());
        let ids: Vec<&str> = hits.iter().map(|h| h.session_id.as_str()).collect();
        assert_eq!((ids, total), (vec!["best", "new", "old"], 3));
        let limited = SearchFilter {
            limit: 1,
            ..SearchFilter::default()
        };
        let (hits, total) = search_rows(&rows, &docs, &q("alpha"), &limited);
        assert_eq!((hits.len(), total), (1, 3));
        assert_eq!(hits[0].matches[0].field, "task");
        assert_eq!(hits[0].matches[0].snippet, "alpha");
    }
}
