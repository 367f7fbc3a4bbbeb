//! Checkpoints (issue 11), in two halves:
//!
//! - [`format`](mod@format): the checkpoint files (names, numbers, records, retention); it knows
//!   nothing of the store;
//! - `store`: the Store's side, taking checkpoints under the lock before each change, listing,
//!   restoring and diffing them.
//!
//! The format's items are re-exported here (`store::checkpoint::CheckpointMeta`, ...).

pub mod format;
mod store;

pub use format::*;
