//! Export and import of a session (issue 11, item 5), in two halves:
//!
//! - [`format`](mod@format): the export file, one self-contained, versioned JSON document, and its
//!   validation; it knows nothing of the store;
//! - `store`: the Store's side, reading a session under the lock and writing it as an export file,
//!   and recreating one in this project as one intent.
//!
//! The format's items are re-exported here (`store::export::ImportOptions`, ...).

pub mod format;
mod store;

pub use format::*;
