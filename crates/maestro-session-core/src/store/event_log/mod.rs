//! The event log (issue 11): one JSON line per change to a session, in
//! `<state dir>/state/events/<session_id>.jsonl`, in three parts:
//!
//! - [`format`](mod@format): the log itself (line shape, diff, append); it knows nothing of the
//!   store;
//! - [`read`](mod@read): reading a log, following it as it grows, and its torn lines; it knows
//!   nothing of the store either;
//! - `store`: the Store's side, recording each change under the lock that made it, and reading a
//!   session's log.
//!
//! The items of `format` and `read` are re-exported here (`store::event_log::Event`, ...).

pub mod format;
pub mod read;
mod store;

pub use format::*;
pub use read::*;
