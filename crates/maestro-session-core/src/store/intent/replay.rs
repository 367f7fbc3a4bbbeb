//! Replaying an intent's steps: each file checked against what the record says it held
//! before, or after, each step, so that a step is applied once whatever a crash interrupted
//! (see [`super`] for the record and its rules).

use std::collections::HashMap;
use std::path::Path;

use super::{ABSENT, Intent, Step, cut, digest, shape};
use crate::error::{Error, Result};
use crate::session::session_file::{Location, SessionFile};
use maestro_session_fs::beneath::Root;
use maestro_session_fs::durable;
use maestro_session_fs::reader::ReadKind;

/// How a [`Replay`] treats the files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// The command that planned the intent runs it (under the lock it planned it under).
    First,
    /// A pending record is completed: each file must be in a state the record leads it through.
    Replay,
    /// As `Replay`, changing nothing ([`try_complete`]).
    Check,
}

/// What a file a step changes must hold, as far as a record knows.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    /// Nothing there.
    Absent,
    /// Bytes with this [`digest`].
    Digest(String),
    /// The content of the `write` step with this index.
    Written(usize),
}

/// Applies the steps of one intent in one [`Mode`].
pub(super) struct Replay<'a> {
    root: &'a Root,
    intent: &'a Intent,
    mode: Mode,
    /// Per step: the state its file must be in for the step to apply.
    before: Vec<Option<Seen>>,
    /// Per step: the states its file may be in when the step is already done (its own result
    /// and those of later steps on the same file).
    done: Vec<Vec<Seen>>,
    /// In [`Mode::Check`]: what the steps checked so far would have left at each path
    /// (`None`: removed).
    overlay: HashMap<String, Option<Vec<u8>>>,
}

impl<'a> Replay<'a> {
    pub(super) fn new(root: &'a Root, intent: &'a Intent, mode: Mode) -> Self {
        let n = intent.steps.len();
        let mut before = vec![None; n];
        let mut done = vec![Vec::new(); n];
        let mut now: HashMap<&str, Seen> = intent
            .expect
            .iter()
            .map(|(path, value)| {
                let seen = if value == ABSENT {
                    Seen::Absent
                } else {
                    Seen::Digest(value.clone())
                };
                (path.as_str(), seen)
            })
            .collect();
        let mut by_path: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, step) in intent.steps.iter().enumerate() {
            let Some(path) = step.changed_path() else {
                continue;
            };
            before[i] = now.get(path).cloned();
            let after = match step {
                Step::Write { .. } => Seen::Written(i),
                _ => Seen::Absent,
            };
            now.insert(path, after.clone());
            for &j in by_path.get(path).into_iter().flatten() {
                done[j].push(after.clone());
            }
            done[i].push(after);
            by_path.entry(path).or_default().push(i);
        }
        Replay {
            root,
            intent,
            mode,
            before,
            done,
            overlay: HashMap::new(),
        }
    }

    /// Applies every step; returns the notes of steps that found nothing to do in an
    /// unexpected way. Errors of the command's own run ([`Mode::First`]) are those of the file
    /// operations; a replay's name the step.
    pub(super) fn run(mut self) -> Result<Vec<String>> {
        let mut notes = Vec::new();
        for i in 0..self.intent.steps.len() {
            let result = self.step(i);
            let note = match result {
                Err(e) if self.mode != Mode::First => {
                    return Err(Error::Invalid(format!(
                        "step {} ({}): {e}",
                        i + 1,
                        self.intent.steps[i].summary()
                    )));
                }
                other => other?,
            };
            notes.extend(note);
        }
        Ok(notes)
    }

    fn checking(&self) -> bool {
        self.mode == Mode::Check
    }

    /// Whether `rel` exists (for `Check`, as the steps so far would leave it).
    fn exists(&self, rel: &str) -> Result<bool> {
        if let Some(v) = self.overlay.get(rel) {
            return Ok(v.is_some());
        }
        Ok(self.root.metadata(Path::new(rel))?.is_some())
    }

    /// The bytes of the file `rel` (`None` when absent): for an event log, only its first
    /// `prefix` bytes.
    fn current(&self, rel: &str, prefix: Option<usize>) -> Result<Option<Vec<u8>>> {
        if let Some(v) = self.overlay.get(rel) {
            return Ok(v.clone());
        }
        let path = Path::new(rel);
        let read = match prefix {
            // Only whether it starts with the content matters: a shorter file cannot.
            Some(n) => match self.root.metadata(path)? {
                None => return Ok(None),
                Some(meta) if meta.is_file() && meta.len() < n as u64 => Ok(Vec::new()),
                Some(_) => self.root.read_range(path, 0, n as u64),
            },
            None => self.root.read_file(path, durable::MAX_SESSION_BYTES, false),
        };
        match read {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn matches(&self, seen: &Seen, rel: &str, current: Option<&[u8]>) -> bool {
        match (seen, current) {
            (Seen::Absent, None) => true,
            (Seen::Digest(d), Some(bytes)) => digest(bytes) == *d,
            (Seen::Written(i), Some(bytes)) => match &self.intent.steps[*i] {
                Step::Write { content, .. } => {
                    bytes == content.as_bytes()
                        || (shape::is_event_log(rel) && bytes.starts_with(content.as_bytes()))
                }
                _ => false,
            },
            _ => false,
        }
    }

    /// In `Replay` and `Check`: whether step `i` (on `rel`, holding `current`) is done
    /// (`Ok(false)`: it is to be applied); an error when the file is in neither state.
    fn verify(&self, i: usize, rel: &str, current: Option<&[u8]>) -> Result<bool> {
        if self.done[i].iter().any(|s| self.matches(s, rel, current)) {
            return Ok(true);
        }
        if self.before[i]
            .as_ref()
            .is_some_and(|s| self.matches(s, rel, current))
        {
            return Ok(false);
        }
        let what = match current {
            None => "it is gone".to_string(),
            Some(bytes) => {
                match SessionFile::from_bytes(bytes, Path::new(rel), Location::Archive) {
                    Ok(s) => format!("it holds another version of session {}", cut(s.id())),
                    Err(_) => format!("it holds {} other bytes", bytes.len()),
                }
            }
        };
        Err(Error::Invalid(format!(
            "{} changed since the record was written ({what}); completing the record would overwrite it",
            self.root.join(rel).display()
        )))
    }

    /// A replayed write of a session file replaces only a file holding that same session,
    /// whatever the record says it found there.
    fn same_session(&self, rel: &str, current: &[u8], content: &str) -> Result<()> {
        if !shape::is_session_file(rel) {
            return Ok(());
        }
        let id = |bytes: &[u8]| {
            SessionFile::from_bytes(bytes, Path::new(rel), Location::Archive)
                .map(|s| s.id().to_string())
                .ok()
        };
        match (id(current), id(content.as_bytes())) {
            (Some(held), Some(new)) if held == new => Ok(()),
            (held, new) => Err(Error::Invalid(format!(
                "{} holds {}, and the record would replace it with session {}",
                self.root.join(rel).display(),
                held.map_or("a file that is not a session".to_string(), |h| format!(
                    "session {}",
                    cut(&h)
                )),
                cut(&new.unwrap_or_default())
            ))),
        }
    }

    /// Creates the folder of a file a step writes, when it is one the tools create on demand
    /// (a checkpoint's session folder, `state/events/`).
    fn prepare(&self, rel: &str) -> Result<()> {
        if let Some(parent) = Path::new(rel).parent()
            && shape::created_on_demand(rel)
            && !self.checking()
        {
            self.root.create_dirs(parent)?;
        }
        Ok(())
    }

    fn step(&mut self, i: usize) -> Result<Option<String>> {
        let root = self.root;
        let step = &self.intent.steps[i];
        match step {
            Step::Move { from, to } => self.move_step(from, to),
            Step::Copy { from, to } => {
                if self.exists(to)? {
                    return Ok(None);
                }
                if self.checking() {
                    if !self.exists(from)? {
                        return Ok(Some(format!("{from} is gone; no copy is made")));
                    }
                    self.overlay.insert(to.clone(), Some(Vec::new()));
                    return Ok(None);
                }
                match root.read_file(Path::new(from), ReadKind::SESSION, false) {
                    Ok(bytes) => {
                        root.replace(Path::new(to), &bytes, durable::STATE_FILE_MODE, true)?;
                        Ok(None)
                    }
                    Err(e) => Ok(Some(format!("{from} not copied: {e}"))),
                }
            }
            Step::Write { path, content } => {
                if self.mode != Mode::First {
                    let prefix = shape::is_event_log(path).then_some(content.len());
                    let current = self.current(path, prefix)?;
                    if self.verify(i, path, current.as_deref())? {
                        return Ok(None);
                    }
                    if let Some(bytes) = &current {
                        self.same_session(path, bytes, content)?;
                    }
                }
                if self.checking() {
                    self.overlay
                        .insert(path.clone(), Some(content.as_bytes().to_vec()));
                    return Ok(None);
                }
                self.prepare(path)?;
                root.replace(
                    Path::new(path),
                    content.as_bytes(),
                    durable::STATE_FILE_MODE,
                    true,
                )?;
                Ok(None)
            }
            Step::Remove { path, session_id } => {
                if self.mode != Mode::First {
                    let current = self.current(path, None)?;
                    if self.verify(i, path, current.as_deref())? {
                        return Ok(None);
                    }
                    if self.checking() {
                        self.overlay.insert(path.clone(), None);
                        return Ok(None);
                    }
                }
                let rel = Path::new(path);
                match SessionFile::read_in(root, rel, Location::Archive) {
                    Ok(s) if s.id() == session_id => {
                        root.remove(rel)?;
                        Ok(None)
                    }
                    Ok(s) => Ok(Some(format!(
                        "{path} holds session {} instead of {session_id}; kept",
                        s.id()
                    ))),
                    Err(e) if e.is_not_found() => Ok(None),
                    Err(e) => Ok(Some(format!("{path} kept: {e}"))),
                }
            }
            Step::Excerpt {
                from,
                offset,
                len,
                to,
            } => {
                if self.exists(to)? {
                    return Ok(None);
                }
                let bytes = root.read_range(Path::new(from), *offset, *len)?;
                if self.checking() {
                    self.overlay.insert(to.clone(), Some(bytes));
                    return Ok(None);
                }
                root.replace(Path::new(to), &bytes, durable::STATE_FILE_MODE, true)?;
                Ok(None)
            }
            Step::Blank {
                path,
                offset,
                len,
                kept,
            } => self.blank(path, *offset, *len, kept),
        }
    }

    fn move_step(&mut self, from: &str, to: &str) -> Result<Option<String>> {
        let set_aside = self.intent.op == shape::Op::Quarantine.name();
        let from_there = self.exists(from)?;
        let to_there = self.exists(to)?;
        match (from_there, to_there) {
            (true, false) => {
                if set_aside && self.mode != Mode::First {
                    self.only_copy_guard(from)?;
                }
                if self.checking() {
                    self.overlay.insert(from.to_string(), None);
                    self.overlay.insert(to.to_string(), Some(Vec::new()));
                } else {
                    self.root.rename(Path::new(from), Path::new(to), false)?;
                }
                Ok(None)
            }
            (false, true) => Ok(None),
            (false, false) if set_aside => Err(Error::Invalid(format!(
                "{from} is gone and {to} does not exist: there is nothing to set aside"
            ))),
            (true, true) if set_aside => Err(Error::Invalid(format!(
                "{to} exists already; {from} is not moved over it"
            ))),
            (false, false) => Ok(Some(format!(
                "plan document {from} was already gone; nothing moved"
            ))),
            (true, true) => Ok(Some(format!("both {from} and {to} exist; both kept"))),
        }
    }

    /// A replayed set-aside never moves the only readable copy of a session out of its place
    /// (`doctor --fix` sets aside unreadable files and older copies only).
    fn only_copy_guard(&self, from: &str) -> Result<()> {
        if !shape::is_session_file(from) {
            return Ok(());
        }
        let Ok(s) = SessionFile::read_in(self.root, Path::new(from), Location::Archive) else {
            return Ok(());
        };
        let id = s.id();
        let mut places = vec![crate::workspace::paths::ACTIVE_REL.to_string()];
        for name in self
            .root
            .names(Path::new(crate::workspace::paths::ARCHIVE_REL))?
        {
            if name.ends_with(".md") && !name.starts_with('.') {
                places.push(format!("{}/{name}", crate::workspace::paths::ARCHIVE_REL));
            }
        }
        let elsewhere = places.iter().filter(|p| p.as_str() != from).any(|p| {
            SessionFile::read_in(self.root, Path::new(p), Location::Archive)
                .is_ok_and(|other| other.id() == id)
        });
        if elsewhere {
            Ok(())
        } else {
            Err(Error::Invalid(format!(
                "{from} holds the only readable copy of session {}; it stays in place",
                cut(id)
            )))
        }
    }

    fn blank(&mut self, path: &str, offset: u64, len: u64, kept: &str) -> Result<Option<String>> {
        let root = self.root;
        let original = match self.overlay.get(kept) {
            Some(Some(bytes)) => bytes.clone(),
            _ => root.read_file(Path::new(kept), durable::MAX_SESSION_BYTES, false)?,
        };
        let with_end = root.read_range(Path::new(path), offset, len.saturating_add(1))?;
        let (range, end) = with_end.split_at(with_end.len().saturating_sub(1));
        let shaped = original.len() as u64 == len
            && end == b"\n"
            && range
                .iter()
                .zip(&original)
                .all(|(now, was)| *now == b' ' || now == was);
        if !shaped {
            return Err(Error::Invalid(format!(
                "bytes {offset}+{len} of {} are no longer the line set aside in {kept}; nothing is blanked",
                root.join(path).display()
            )));
        }
        if range.iter().all(|b| *b == b' ') || self.checking() {
            return Ok(None);
        }
        let spaces = vec![b' '; range.len()];
        root.overwrite_at(Path::new(path), offset, &spaces)?;
        Ok(None)
    }
}
