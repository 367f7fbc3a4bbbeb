//! The runtimes' lifecycle hooks: payloads, dialects, the hook state and per-phase context.
//!
//! - [`payload`]: reading a hook's JSON from stdin and writing its answer (Gemini CLI, Claude
//!   Code and Codex dialects).
//! - [`events`]: what each hook event does.
//! - [`state`]: the per-session hook state under `MAESTRO_HOOKS_DIR`.
//! - [`context`]: the downstream context given to each sub-agent.
//! - [`agent`]: which agent names are specialists.
pub mod agent;
pub mod context;
pub mod events;
pub mod payload;
pub mod state;
