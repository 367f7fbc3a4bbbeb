//! Team sessions (issue 19): a named set of members (`role=runtime`), each its own runtime
//! process in a tmux window (in a container when asked), in a git worktree of its own, kept in
//! a record that survives a killed tmux server, stopped containers and a reboot.
//!
//! | module | rule |
//! |---|---|
//! | [`name`] | team and role names |
//! | [`member`] | `role=runtime`, and each runtime's start and resume flags |
//! | [`record`] | `state/teams/<name>.json`: locked, durable, event-logged |
//! | [`capture`] | SessionStart records a member's runtime session id |
//! | [`tmux`], [`container`], [`worktree`] | the programs a team is made of |
//! | [`lifecycle`] | create, probe, stop, resume, export |
//! | [`cleanup`] | removal without destroying work, each step an intent |
//! | [`doctor`] | what `doctor` checks in `state/teams/` |
//! | [`view`] | what `watch` and `report` show of a team |
//!
//! Everything here uses only `workspace` and the fs layer; `store` (doctor) and `hooks`
//! (SessionStart) use it.

pub mod capture;
pub mod cleanup;
pub mod container;
pub mod doctor;
mod external;
pub mod lifecycle;
pub mod member;
pub mod name;
pub mod record;
pub mod tmux;
pub mod view;
pub mod worktree;
