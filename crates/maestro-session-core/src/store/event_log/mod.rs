//! The event log (issue 11): one JSON line per change to a session, in
//! `<state dir>/state/events/<session_id>.jsonl`, in two halves:
//!
//! - [`format`]: the log itself (line shape, diff, append, read, follow); it knows nothing of
//!   the store;
//! - `store`: the Store's side, recording each change under the lock that made it, and reading
//!   a session's log.
//!
//! The format's items are re-exported here (`store::event_log::Event`, ...).

pub mod format;
mod store;

pub use format::*;
