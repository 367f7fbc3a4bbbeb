//! `search` over every session, active and archived, in two halves:
//!
//! - [`query`]: queries, the fields they match, ranking and the search index's format; it knows
//!   nothing of the store;
//! - `store`: the Store's side, reading the active session and the archive (through the list
//!   index and the search index) and ranking them.
//!
//! The query's items are re-exported here (`store::search::SearchFilter`, ...).

pub mod query;
mod store;

pub use query::*;
