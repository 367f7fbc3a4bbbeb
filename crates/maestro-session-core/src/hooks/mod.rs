//! The runtimes' lifecycle hooks: payloads, dialects, the hook state and per-phase context.
//!
//! - [`payload`]: parsing a hook's JSON payload and rendering its answer (Gemini CLI, Claude
//!   Code and Codex dialects).
//! - [`events`]: what each hook event does and the [`events::Answer`] it gives.
//! - [`state`]: the per-session hook state under `MAESTRO_HOOKS_DIR`.
//! - [`context`]: the downstream context given to each sub-agent.
//! - [`agent`]: which agent names are specialists.
//! - [`roster`]: Maestro's roster and each runtime's built-in agents.
//! - [`budget`]: how long a hook may wait for the state lock.
//! - [`owner`]: which runtime process runs the hooks (the active session's owner).
//! - [`after_agent_usage`]: AfterAgent counting a finished agent's transcript into the active
//!   session.
//! - [`qwen`]: where Qwen Code's contract differs from Claude Code's.
pub mod after_agent_usage;
pub mod agent;
pub mod base_location;
pub mod budget;
pub mod context;
pub mod events;
pub mod live;
pub mod owner;
pub mod payload;
pub mod qwen;
pub mod roster;
pub mod state;

/// The old name of [`after_agent_usage`], still used by [`events`] (being ported to Windows by
/// another change); remove once that names `after_agent_usage`.
pub use after_agent_usage as usage;
