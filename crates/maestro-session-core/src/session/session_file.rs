//! One session file on disk: its typed frontmatter, the document it came from, and where it
//! lies (the active slot or the archive).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::session::document::{Document, Flavour};
use crate::session::model::SessionMetadata;
use maestro_session_fs::beneath::Root;
use maestro_session_fs::durable;
use maestro_session_fs::reader::{self, ReadKind};

/// Where a session file lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Location {
    /// `state/active-session.md`.
    Active,
    /// `state/archive/<session_id>.md`.
    Archive,
}

impl Location {
    /// `active` or `archive`.
    pub fn as_str(self) -> &'static str {
        match self {
            Location::Active => "active",
            Location::Archive => "archive",
        }
    }
}

/// A parsed session file.
///
/// The metadata has one home, [`SessionFile::meta`]: the frontmatter as it was read is kept
/// privately, only so that [`SessionFile::render`] can write back what changed in place and keep
/// unknown keys, key order and formatting. Nothing reads metadata from it.
#[derive(Debug, Clone)]
pub struct SessionFile {
    /// The typed frontmatter: the session's metadata (changes here are written back by
    /// [`SessionFile::render`]).
    pub meta: SessionMetadata,
    /// The body after the frontmatter: the orchestration log.
    pub body: String,
    /// The frontmatter as read (with unknown keys) and its flavour: the layout a rewrite keeps.
    as_read: Document,
    /// The file's path.
    pub path: PathBuf,
    /// Where it lies.
    pub location: Location,
}

impl SessionFile {
    /// A session file not yet on disk: a frontmatter in `flavour` holding `meta` (the flavour
    /// of a new session is chosen by [`crate::store::flavour`]), then `body`.
    pub fn new(
        meta: SessionMetadata,
        body: String,
        path: PathBuf,
        location: Location,
        flavour: Flavour,
    ) -> SessionFile {
        SessionFile {
            meta,
            body,
            as_read: Document {
                flavour,
                frontmatter: Default::default(),
                body: String::new(),
            },
            path,
            location,
        }
    }

    /// The flavour the file is written in: the one it was read in, or given.
    pub fn flavour(&self) -> Flavour {
        self.as_read.flavour
    }

    /// Writes the file in `flavour` from now on (a session new to a project takes the
    /// project's flavour: fork, import). In the same flavour nothing changes; in the other, the
    /// frontmatter is written whole in `flavour`'s style between plain `---` lines, unknown
    /// keys and key order kept (comments and quoting of a YAML source are not carried over).
    pub fn set_flavour(&mut self, flavour: Flavour) {
        if self.as_read.flavour != flavour {
            let map = (*self.as_read.frontmatter).clone();
            self.as_read = Document {
                flavour,
                frontmatter: map.into(),
                body: String::new(),
            };
        }
    }

    /// Whether the frontmatter as read held `key` (a field the typed view reads as its default
    /// when absent, such as `status`).
    pub fn read_with_key(&self, key: &str) -> bool {
        self.as_read.frontmatter.contains_key(key)
    }

    /// Reads and parses the file at `path`.
    ///
    /// Errors: [`Error::Io`] when unreadable; [`Error::Corrupt`] with line and reason when the
    /// frontmatter does not parse or a field has the wrong shape.
    pub fn load(path: &Path, location: Location) -> Result<SessionFile> {
        let bytes = reader::read_path(path, ReadKind::SESSION)?;
        SessionFile::from_bytes(&bytes, path, location)
    }

    /// Reads and parses the session file `rel` beneath the state dir `root`: a regular file
    /// (a symlink is refused, not followed) of at most [`durable::MAX_SESSION_BYTES`].
    ///
    /// Errors: [`Error::NotRegular`], [`Error::TooLarge`], [`Error::Io`] (not found:
    /// [`Error::is_not_found`]), [`Error::Corrupt`].
    pub fn read_in(root: &Root, rel: &Path, location: Location) -> Result<SessionFile> {
        let bytes = root.read_file(rel, ReadKind::SESSION, false)?;
        SessionFile::from_bytes(&bytes, &root.join(rel), location)
    }

    /// Parses file bytes read from `path`.
    pub fn from_bytes(bytes: &[u8], path: &Path, location: Location) -> Result<SessionFile> {
        let mut doc = Document::from_bytes(bytes).map_err(|e| e.at(path))?;
        let meta = SessionMetadata::from_frontmatter(&doc.frontmatter).map_err(|reason| {
            Error::Corrupt {
                path: path.to_path_buf(),
                line: None,
                reason: format!("frontmatter field {reason}"),
            }
        })?;
        let body = std::mem::take(&mut doc.body);
        Ok(SessionFile {
            meta,
            body,
            as_read: doc,
            path: path.to_path_buf(),
            location,
        })
    }

    /// The session id.
    pub fn id(&self) -> &str {
        &self.meta.session_id
    }

    /// The whole file as it would be written now: the typed frontmatter merged into the
    /// original map (unknown keys kept in place), in the original flavour, then the body.
    /// Only what changed is written anew; see [`crate::session::document::Frontmatter::render`].
    pub fn render(&self) -> String {
        let mut doc = Document {
            flavour: self.as_read.flavour,
            frontmatter: self.as_read.frontmatter.clone(),
            body: self.body.clone(),
        };
        self.meta.write_into(&mut doc.frontmatter);
        doc.render()
    }

    /// The whole file to write as the session's next revision: `revision` goes up by one (from
    /// none: 1), then [`SessionFile::emit_copy`]. The one emitter of every session file
    /// maestro-session writes.
    ///
    /// Errors: those of [`SessionFile::emit_copy`] (the revision is then already counted up in
    /// `meta`, and nothing was written).
    pub fn emit(&mut self) -> Result<String> {
        self.meta.revision = Some(self.meta.revision.unwrap_or(0).saturating_add(1));
        self.emit_copy()
    }

    /// The whole file as it is now (no new revision: for copies, such as an imported
    /// checkpoint): [`SessionFile::render`], parsed again and compared with what it must hold
    /// (the frontmatter, unknown keys included, and the body) before anything is written. What
    /// we write, we can read back. (The emitters are also proven right by property tests over
    /// arbitrary keys and values: `tests/yaml_emit_props.rs`, `tests/splice_props.rs`,
    /// `tests/emitter_props.rs`.)
    ///
    /// Errors: [`Error::Internal`] naming the file and why, when the text would not read back
    /// as the session (a bug of ours; nothing is written).
    pub fn emit_copy(&self) -> Result<String> {
        let mut doc = Document {
            flavour: self.as_read.flavour,
            frontmatter: self.as_read.frontmatter.clone(),
            body: self.body.clone(),
        };
        self.meta.write_into(&mut doc.frontmatter);
        self.checked(&doc)
    }

    /// The file as someone else wrote it (`write-state`'s content), as revision `revision`:
    /// its own text with only the `revision` key set (spliced in, the rest kept as written),
    /// checked to read back as [`SessionFile::emit_copy`] is. The typed view is not written
    /// into it: the writer's fields stay as they are.
    ///
    /// Errors: as [`SessionFile::emit_copy`].
    pub fn emit_with_revision(&mut self, revision: u64) -> Result<String> {
        self.meta.revision = Some(revision);
        let mut doc = Document {
            flavour: self.as_read.flavour,
            frontmatter: self.as_read.frontmatter.clone(),
            body: self.body.clone(),
        };
        doc.frontmatter
            .insert("revision".into(), serde_json::Value::from(revision));
        self.checked(&doc)
    }

    /// The frontmatter as read (or as set by [`SessionFile::with_frontmatter`]), without the
    /// typed view's defaults written into it.
    pub fn frontmatter_as_read(&self) -> serde_json::Map<String, serde_json::Value> {
        (*self.as_read.frontmatter).clone()
    }

    /// `doc` rendered, parsed again and compared with what it holds.
    fn checked(&self, doc: &Document) -> Result<String> {
        let text = doc.render();
        let why = match Document::parse(&text) {
            Err(e) => Some(e.to_string()),
            Ok(back) if *back.frontmatter != *doc.frontmatter => {
                Some("its frontmatter reads back as other values".to_string())
            }
            Ok(back) if back.body != doc.body => Some("its body reads back otherwise".to_string()),
            Ok(_) => None,
        };
        match why {
            None => Ok(text),
            Some(why) => Err(Error::Internal(format!(
                "{}: the session file as it would be written does not read back ({why}); nothing was written",
                self.path.display()
            ))),
        }
    }

    /// This file with its frontmatter replaced by `front` (the text it was read from is kept,
    /// so a render writes only what differs); the typed view is read from `front`.
    ///
    /// Errors: [`Error::Corrupt`] naming the field when `front` does not hold a session.
    pub fn with_frontmatter(
        &self,
        front: serde_json::Map<String, serde_json::Value>,
    ) -> Result<SessionFile> {
        let meta = SessionMetadata::from_frontmatter(&front).map_err(|reason| Error::Corrupt {
            path: self.path.clone(),
            line: None,
            reason: format!("frontmatter field {reason}"),
        })?;
        let mut as_read = self.as_read.clone();
        *as_read.frontmatter = front;
        Ok(SessionFile {
            meta,
            body: self.body.clone(),
            as_read,
            path: self.path.clone(),
            location: self.location,
        })
    }

    /// The frontmatter as JSON, with unknown keys, as [`SessionFile::render`] would write it.
    pub fn frontmatter_json(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut front = (*self.as_read.frontmatter).clone();
        self.meta.write_into(&mut front);
        front
    }

    /// Durably writes the file as its next revision ([`SessionFile::emit`]: checked to read
    /// back) as `rel` beneath the state dir `root`.
    pub fn write_in(&mut self, root: &Root, rel: &Path) -> Result<()> {
        root.replace(rel, self.emit()?.as_bytes(), durable::STATE_FILE_MODE, true)
            .map_err(crate::Error::from)
    }
}
