//! The frontmatter flavour of a new session (DESIGN 2.1, issue 16 item 1): the one rule.
//!
//! A session file is always written back in the flavour it was read in
//! ([`crate::session::session_file`]). A session new to the project (`create`, `fork`,
//! `import`, MCP `create_session`) is written in:
//!
//! 1. the setting [`EnvVars::MAESTRO_SESSION_FORMAT`] (`json` or `yaml`, any case): from the
//!    environment, else from the project's `.env` (read by [`dotenv::setting`]); a value that is
//!    neither is an error naming the setting (and, from `.env`, its `file:line`), and nothing
//!    is written;
//! 2. else the flavour of the project's sessions: the active session's, else the newest
//!    archived session's (the archive file written last, by modification time; on a tie the
//!    greater file name, so the later date of a `YYYY-MM-DD-` id). A file that does not read as
//!    a session document does not count; at most [`ARCHIVED_TRIED`] archived files are tried;
//! 3. else JSON, the flavour Maestro 1.6 writes (`src/core/markdown-state.js` `serialize`) and
//!    the only one its `parse` reads.
//!
//! So a project that Maestro 1.6 (JSON) or Maestro 1.2 (YAML, its `templates/session-state.md`)
//! keeps stays in its dialect, and a new project gets the one Maestro 1.6 reads.

use std::path::Path;

use crate::EnvVars;
use crate::error::{Error, Result};
use crate::session::document::{Document, Flavour};
use crate::workspace::dotenv;
use crate::workspace::paths::{ACTIVE_REL, ARCHIVE_REL};
use maestro_session_fs::beneath::Root;

use super::Store;

/// The setting that overrides the project's flavour.
pub const FORMAT_VAR: &str = EnvVars::MAESTRO_SESSION_FORMAT;

/// The most archived files read to find the project's flavour (newest first); past them a
/// project whose archive holds only unreadable files gets the default.
pub const ARCHIVED_TRIED: usize = 8;

/// Why a new session gets its flavour, for messages and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlavourSource {
    /// [`FORMAT_VAR`] in the environment.
    Environment,
    /// [`FORMAT_VAR`] in the project's `.env` (`KEY in /path/.env:3`).
    DotEnv(String),
    /// The active session's flavour.
    Active,
    /// The flavour of the newest archived session (its file name).
    Archived(String),
    /// No setting and no session: JSON, Maestro 1.6's.
    Default,
}

/// The flavour of a new session and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlavourChoice {
    /// The flavour.
    pub flavour: Flavour,
    /// Why.
    pub source: FlavourSource,
}

/// `json` or `yaml` (any case, surrounding whitespace ignored) as a flavour; `None` otherwise.
pub fn parse_setting(value: &str) -> Option<Flavour> {
    let v = value.trim();
    if v.eq_ignore_ascii_case("json") {
        Some(Flavour::Json)
    } else if v.eq_ignore_ascii_case("yaml") {
        Some(Flavour::Yaml)
    } else {
        None
    }
}

impl Store {
    /// The flavour a session new to this project is written in, with why (see the module
    /// docs). `root` is the state dir, read as it is (the caller holds the lock when it is
    /// about to write).
    ///
    /// Errors: [`Error::Invalid`] naming [`FORMAT_VAR`] (and where it was set) when its value
    /// is neither `json` nor `yaml`; those of reading the project's `.env`
    /// ([`dotenv::setting`]) or listing the archive.
    pub fn new_session_flavour(&self, root: &Root) -> Result<FlavourChoice> {
        if let Some(choice) = self.flavour_setting()? {
            return Ok(choice);
        }
        if let Some(flavour) = sniff(root, Path::new(ACTIVE_REL)) {
            return Ok(FlavourChoice {
                flavour,
                source: FlavourSource::Active,
            });
        }
        let archive = Path::new(ARCHIVE_REL);
        let names: Vec<String> = root
            .names(archive)?
            .into_iter()
            .filter(|n| n.ends_with(".md") && !n.starts_with('.'))
            .collect();
        let stamps = root.entry_stamps(archive, &names)?;
        let mut newest: Vec<(i64, i64, &String)> = names
            .iter()
            .zip(stamps)
            .filter_map(|(name, stamp)| stamp.map(|s| (s.mtime_s, s.mtime_ns, name)))
            .collect();
        newest.sort_unstable_by(|a, b| b.cmp(a));
        for (_, _, name) in newest.into_iter().take(ARCHIVED_TRIED) {
            if let Some(flavour) = sniff(root, &archive.join(name)) {
                return Ok(FlavourChoice {
                    flavour,
                    source: FlavourSource::Archived(name.clone()),
                });
            }
        }
        Ok(FlavourChoice {
            flavour: Flavour::Json,
            source: FlavourSource::Default,
        })
    }

    /// [`FORMAT_VAR`] from the environment, else from the project's `.env`.
    fn flavour_setting(&self) -> Result<Option<FlavourChoice>> {
        // A value from the environment is quoted (the caller typed it); one from `.env` is
        // named by file and line only: errors quote no file content.
        let (raw, source, shown) = match self.env.get(FORMAT_VAR) {
            Some(v) => {
                let shown = format!(
                    "environment variable {FORMAT_VAR}={:?}",
                    v.chars().take(40).collect::<String>()
                );
                (v, FlavourSource::Environment, shown)
            }
            None => match dotenv::setting(&self.ws.project_root.join(".env"), FORMAT_VAR)? {
                Some(s) => (
                    s.value.clone(),
                    FlavourSource::DotEnv(s.to_string()),
                    format!("the value of {s}"),
                ),
                None => return Ok(None),
            },
        };
        match parse_setting(&raw) {
            Some(flavour) => Ok(Some(FlavourChoice { flavour, source })),
            None => Err(Error::Invalid(format!(
                "{shown} is not a session format; give json (Maestro 1.6's) or yaml (Maestro 1.2's)"
            ))),
        }
    }
}

/// The flavour of the session file `rel` beneath `root`, when it reads as a session document
/// (only its frontmatter is read); `None` when it is missing, unreadable or does not parse.
fn sniff(root: &Root, rel: &Path) -> Option<Flavour> {
    let bytes = root
        .read_frontmatter(rel, maestro_session_fs::reader::ReadKind::FRONTMATTER.cap)
        .ok()?;
    Document::from_bytes(&bytes).ok().map(|d| d.flavour)
}

#[cfg(test)]
mod tests;
