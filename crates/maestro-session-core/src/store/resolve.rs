//! Finding a session by id: the active one, a full id, or a unique prefix matched over every
//! session, active and archived (an exact id always wins; an ambiguous prefix is an error listing
//! the candidates; an unknown one names the closest ids), and the list rows of all of them.

use std::path::{Path, PathBuf};

use super::{Store, index, listing};
use crate::error::{Error, Result};
use crate::session::session_file::{Location, SessionFile};
use crate::session::session_id;
use crate::store::listing::SessionSummary;
use crate::workspace::paths::{ACTIVE_REL, ARCHIVE_REL};
use maestro_session_fs::beneath::Root;

/// The name that always means the active session, wherever a session id is taken.
pub const ACTIVE_KEYWORD: &str = "active";

impl Store {
    /// The active session, if any.
    pub fn active(&self) -> Result<Option<SessionFile>> {
        match self.reader()? {
            Some(root) => active_in(&root),
            None => Ok(None),
        }
    }

    /// The list row of every session in [`listing::newest_first`] order, with the files that
    /// could not be read or parsed (reported, never skipped). Archived rows come from the list index when their file is
    /// unchanged (see [`crate::store::index`]).
    pub fn summaries(&self) -> Result<(Vec<SessionSummary>, Vec<Error>)> {
        match self.reader()? {
            Some(root) => summaries_in(&root),
            None => Ok((Vec::new(), Vec::new())),
        }
    }

    /// Resolves a full or partial session id to its file.
    ///
    /// Errors: [`Error::NoSuchSession`] naming the closest ids ([`did_you_mean`]);
    /// [`Error::NotFound`] for `active` without an active session; [`Error::Ambiguous`] listing
    /// every candidate.
    pub fn resolve(&self, prefix: &str) -> Result<(String, PathBuf, Location)> {
        let root = self.reader()?.ok_or_else(|| not_found(prefix, &[]))?;
        let (id, rel, location) = resolve_in(&root, prefix)?;
        Ok((id, root.join(rel), location))
    }

    /// The session named by a full or partial id.
    pub fn get(&self, prefix: &str) -> Result<SessionFile> {
        let root = self.reader()?.ok_or_else(|| not_found(prefix, &[]))?;
        Ok(get_in(&root, Some(prefix))?.0)
    }

    /// The session named by `prefix`, or the active session when `prefix` is `None`.
    pub fn get_or_active(&self, prefix: Option<&str>) -> Result<SessionFile> {
        let root = self
            .reader()?
            .ok_or_else(|| not_found(prefix.unwrap_or(ACTIVE_KEYWORD), &[]))?;
        Ok(get_in(&root, prefix)?.0)
    }
}

/// The active session in `root`, if any.
pub(super) fn active_in(root: &Root) -> Result<Option<SessionFile>> {
    match SessionFile::read_in(root, Path::new(ACTIVE_REL), Location::Active) {
        Err(e) if e.is_not_found() => Ok(None),
        other => other.map(Some),
    }
}

/// Adds to an error about an active session that cannot be read how to repair it.
pub(super) fn doctor_hint(e: Error) -> Error {
    const HINT: &str = "the active session cannot be read; run `maestro-session doctor --fix` to move it to state/quarantine/";
    match e {
        Error::Corrupt { path, line, reason } => Error::Corrupt {
            path,
            line,
            reason: format!("{reason}; {HINT}"),
        },
        e @ (Error::NotRegular { .. } | Error::TooLarge { .. }) => {
            let path = match &e {
                Error::NotRegular { path, .. } | Error::TooLarge { path, .. } => path.clone(),
                _ => PathBuf::new(),
            };
            let what = e.to_string();
            let reason = what
                .strip_prefix(&format!("{}", path.display()))
                .map(|r| r.trim_start_matches([' ', ':']).to_string())
                .unwrap_or(what);
            Error::Corrupt {
                path,
                line: None,
                reason: format!("{reason}; {HINT}"),
            }
        }
        other => other,
    }
}

/// The error for a session id (or prefix) no session has, naming the closest of `known` ids
/// ([`did_you_mean`]); `active` when there is no active session.
pub(super) fn not_found(prefix: &str, known: &[String]) -> Error {
    if prefix == ACTIVE_KEYWORD {
        Error::NotFound {
            what: "active session".into(),
        }
    } else {
        Error::NoSuchSession {
            id: prefix.to_string(),
            suggestions: did_you_mean(prefix, known),
        }
    }
}

/// The most suggestions a "did you mean" names.
pub const MAX_SUGGESTIONS: usize = 3;

/// The session ids of `known` closest to `typed`, an id (or id prefix) that matched none, for
/// "did you mean": by the edit distance (optimal string alignment: a swap of two neighbours is
/// one edit) to the whole id or to the id's first `typed.len()` characters, whichever is
/// smaller, so a mistyped prefix finds its session too; between equally close ids, the one
/// closer as a whole wins. Only ids within a third of the typed length (at least 1, at most 4
/// edits) count; the closest are returned, at most [`MAX_SUGGESTIONS`], in id order. The one place this rule lives: every command and MCP tool
/// that names a session goes through [`Store::resolve`] and its siblings.
pub fn did_you_mean(typed: &str, known: &[String]) -> Vec<String> {
    let typed_len = typed.chars().count();
    let limit = (typed_len / 3).clamp(1, 4);
    let mut scored: Vec<((usize, usize), &String)> = known
        .iter()
        .filter_map(|id| {
            let head: String = id.chars().take(typed_len).collect();
            let whole = strsim::osa_distance(typed, id);
            let d = whole.min(strsim::osa_distance(typed, &head));
            (d <= limit).then_some(((d, whole), id))
        })
        .collect();
    scored.sort();
    let best = scored.first().map(|(d, _)| *d);
    scored
        .into_iter()
        .take_while(|(d, _)| Some(*d) == best)
        .take(MAX_SUGGESTIONS)
        .map(|(_, id)| id.clone())
        .collect()
}

/// `state/archive/<id>.md`.
pub(super) fn archive_rel(id: &str) -> Result<PathBuf> {
    session_id::check_file_id(id)?;
    Ok(Path::new(ARCHIVE_REL).join(format!("{id}.md")))
}

/// The archive's session file names (`*.md`, not hidden), sorted.
pub(super) fn archive_names(root: &Root) -> Result<Vec<String>> {
    Ok(root
        .names(Path::new(ARCHIVE_REL))?
        .into_iter()
        .filter(|n| n.ends_with(".md") && !n.starts_with('.'))
        .collect())
}

pub(super) fn summaries_in(root: &Root) -> Result<(Vec<SessionSummary>, Vec<Error>)> {
    let mut rows = Vec::new();
    let mut broken = Vec::new();
    match active_in(root) {
        Ok(Some(s)) => rows.push(SessionSummary::of(&s)),
        Ok(None) => {}
        Err(e) => broken.push(e),
    }
    let (archived, errors) = index::rows(root, &archive_names(root)?);
    rows.extend(archived);
    broken.extend(errors);
    listing::sort_newest_first(&mut rows);
    Ok((rows, broken))
}

/// Every session id with its file (relative to the state dir) and location, without parsing
/// the archive (ids are file names there). The active session is parsed for its id; when it
/// does not parse, it has no id to match.
pub(super) fn ids_in(root: &Root) -> Result<Vec<(String, PathBuf, Location)>> {
    let mut out = Vec::new();
    let active_id = match active_in(root) {
        Ok(Some(active)) => {
            let id = active.meta.session_id.clone();
            out.push((id.clone(), PathBuf::from(ACTIVE_REL), Location::Active));
            Some(id)
        }
        _ => None,
    };
    for name in archive_names(root)? {
        if let Some(stem) = name.strip_suffix(".md")
            && Some(stem) != active_id.as_deref()
        {
            out.push((
                stem.to_string(),
                Path::new(ARCHIVE_REL).join(&name),
                Location::Archive,
            ));
        }
    }
    Ok(out)
}

/// Resolves a full or partial session id (or `active`) in `root`.
pub(super) fn resolve_in(root: &Root, prefix: &str) -> Result<(String, PathBuf, Location)> {
    if prefix == ACTIVE_KEYWORD {
        let active = active_in(root)
            .map_err(doctor_hint)?
            .ok_or_else(|| not_found(ACTIVE_KEYWORD, &[]))?;
        return Ok((
            active.meta.session_id,
            PathBuf::from(ACTIVE_REL),
            Location::Active,
        ));
    }
    let ids = ids_in(root)?;
    if let Some(exact) = ids.iter().find(|(id, _, _)| id == prefix) {
        return Ok(exact.clone());
    }
    let mut matches: Vec<_> = ids
        .iter()
        .filter(|(id, _, _)| id.starts_with(prefix))
        .cloned()
        .collect();
    if matches.len() > 1 {
        return Err(Error::Ambiguous {
            prefix: prefix.to_string(),
            candidates: matches.into_iter().map(|(id, _, _)| id).collect(),
        });
    }
    matches.pop().ok_or_else(|| {
        let known: Vec<String> = ids.into_iter().map(|(id, _, _)| id).collect();
        not_found(prefix, &known)
    })
}

/// The session named by `prefix` (the active one when `None`) and its file.
pub(super) fn get_in(root: &Root, prefix: Option<&str>) -> Result<(SessionFile, PathBuf)> {
    let prefix = prefix.unwrap_or(ACTIVE_KEYWORD);
    let (_, rel, location) = resolve_in(root, prefix)?;
    let session = SessionFile::read_in(root, &rel, location).map_err(|e| {
        if location == Location::Active {
            doctor_hint(e)
        } else {
            e
        }
    })?;
    Ok((session, rel))
}
