//! One session file on disk: its typed frontmatter, the document it came from, and where it
//! lies (the active slot or the archive).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fs::beneath::Root;
use crate::fs::durable;
use crate::session::document::Document;
use crate::session::model::SessionMetadata;

/// Where a session file lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone)]
pub struct SessionFile {
    /// The typed frontmatter (changes here are written back by [`SessionFile::render`]).
    pub meta: SessionMetadata,
    /// The document as read (frontmatter map with unknown keys, flavour, body).
    pub doc: Document,
    /// The file's path.
    pub path: PathBuf,
    /// Where it lies.
    pub location: Location,
}

impl SessionFile {
    /// Reads and parses the file at `path`.
    ///
    /// Errors: [`Error::Io`] when unreadable; [`Error::Corrupt`] with line and reason when the
    /// frontmatter does not parse or a field has the wrong shape.
    pub fn load(path: &Path, location: Location) -> Result<SessionFile> {
        let bytes = durable::read_regular(path, durable::MAX_SESSION_BYTES, "a session file")?;
        SessionFile::from_bytes(&bytes, path, location)
    }

    /// Reads and parses the session file `rel` beneath the state dir `root`: a regular file
    /// (a symlink is refused, not followed) of at most [`durable::MAX_SESSION_BYTES`].
    ///
    /// Errors: [`Error::NotRegular`], [`Error::TooLarge`], [`Error::Io`] (not found:
    /// [`Error::is_not_found`]), [`Error::Corrupt`].
    pub fn read_in(root: &Root, rel: &Path, location: Location) -> Result<SessionFile> {
        let bytes = root.read_file(rel, durable::MAX_SESSION_BYTES, false)?;
        SessionFile::from_bytes(&bytes, &root.join(rel), location)
    }

    /// Parses file bytes read from `path`.
    pub fn from_bytes(bytes: &[u8], path: &Path, location: Location) -> Result<SessionFile> {
        let doc = Document::from_bytes(bytes).map_err(|e| e.at(path))?;
        let meta = SessionMetadata::from_frontmatter(&doc.frontmatter).map_err(|reason| {
            Error::Corrupt {
                path: path.to_path_buf(),
                line: None,
                reason: format!("frontmatter field {reason}"),
            }
        })?;
        Ok(SessionFile {
            meta,
            doc,
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
        let mut doc = self.doc.clone();
        self.meta.write_into(&mut doc.frontmatter);
        doc.render()
    }

    /// The frontmatter as JSON, with unknown keys, as [`SessionFile::render`] would write it.
    pub fn frontmatter_json(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut front = (*self.doc.frontmatter).clone();
        self.meta.write_into(&mut front);
        front
    }

    /// Durably writes the file as `rel` beneath the state dir `root`.
    pub fn write_in(&self, root: &Root, rel: &Path) -> Result<()> {
        root.replace(
            rel,
            self.render().as_bytes(),
            durable::STATE_FILE_MODE,
            true,
        )
    }
}
