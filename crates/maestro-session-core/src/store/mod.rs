//! Sessions on disk (DESIGN 2.1): the active session in `state/active-session.md`, every other
//! in `state/archive/<session_id>.md`. Every change is a locked read-modify-write (the sidecar
//! `state/.lock`) ending in a durable replace, with `updated` set.
//!
//! Partial ids: a session is named by a unique prefix of its id, matched over every session,
//! active and archived; an exact id always wins; an ambiguous prefix is an error listing the
//! candidates. A file that does not parse is reported by every listing and never skipped
//! silently, rewritten or deleted.
//!
//! Inside the store imports go one way: [`listing`] (the list row and its order) and [`intent`]
//! (move records) depend on nothing here; [`index`] caches listing rows; `quarantine` sets files
//! aside. The rest add methods to [`Store`] and so depend on this module, which only declares
//! them and re-exports their types:
//!
//! - `lock`: the state dir opened for reading, or created and locked for a change;
//! - `resolve`: finding a session by id or prefix (and the list rows);
//! - `apply`: changing a session by operations;
//! - `create`, `archive` (archive, resume, park), `fork`, `delete` (delete, cleanup):
//!   the commands that make, move and remove session files;
//! - `plan_names`: plan document names in `plans/` and `plans/archive/`;
//! - [`count_transcript`]: a transcript's new token usage added to the active session, once;
//! - [`doctor`], `write_document` (write-state's path into the state dir), [`owner`],
//!   [`used_ids`], [`design_gate`], [`flavour`];
//! - [`event_log`], [`checkpoint`], [`export`], [`search`]: each a file format (which knows
//!   nothing of the store) and its Store half (`<topic>/format.rs` or `query.rs`, and
//!   `<topic>/store.rs`).

mod apply;
mod archive;
pub mod checkpoint;
pub mod count_transcript;
mod create;
mod delete;
pub mod design_gate;
pub mod doctor;
pub mod event_log;
pub mod export;
pub mod flavour;
mod fork;
pub mod import_bounds;
pub mod index;
pub mod intent;
pub mod listing;
mod lock;
pub mod owner;
mod plan_names;
mod quarantine;
mod resolve;
pub mod search;
mod stale_write;
pub mod used_ids;
mod write_document;

pub use archive::{ArchiveReport, Conflict, ResumeReport, archive_ops};
/// The old name of [`count_transcript`], still used by `hooks::events` (being ported to
/// Windows by another change); remove once that names `count_transcript`.
pub use count_transcript as usage;
pub use create::{CreateRequest, PlanContent, slug};
pub use delete::{CleanupReport, CleanupRequest, DEFAULT_CLEANUP_AGE_SECS, DeleteReport};
pub(crate) use plan_names::plan_file_rel;
pub use resolve::{ACTIVE_KEYWORD, MAX_SUGGESTIONS, did_you_mean};
pub use write_document::Written;

use crate::env::Env;
use crate::workspace::paths::Workspace;

/// The sessions of one workspace.
#[derive(Debug, Clone)]
pub struct Store {
    ws: Workspace,
    env: Env,
    actor: event_log::Actor,
    /// The most this store waits for the state lock, when shorter than
    /// `MAESTRO_LOCK_TIMEOUT_MS` (the hooks' budget).
    lock_wait: Option<std::time::Duration>,
}

impl Store {
    /// The store of workspace `ws`; `env` supplies `MAESTRO_MAX_RETRIES` and
    /// `MAESTRO_LOCK_TIMEOUT_MS`.
    pub fn new(ws: Workspace, env: Env) -> Store {
        Store {
            ws,
            env,
            actor: event_log::Actor::default(),
            lock_wait: None,
        }
    }

    /// This store, waiting at most `wait` for the state lock (or `MAESTRO_LOCK_TIMEOUT_MS` when
    /// that is shorter): what a hook passes, its budget (`crate::hooks::budget`).
    pub fn with_lock_wait(mut self, wait: std::time::Duration) -> Store {
        self.lock_wait = Some(wait);
        self
    }

    /// The workspace.
    pub fn workspace(&self) -> &Workspace {
        &self.ws
    }
}

#[cfg(test)]
mod tests;
