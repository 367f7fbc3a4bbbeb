//! One orchestration session: its document, its three state machines and its phase rules.
//!
//! - [`document`] and [`frontmatter`]: the Markdown file with YAML frontmatter, read and spliced so
//!   unknown keys survive byte for byte.
//! - [`model`]: the typed view of a session (phases, agents, tokens).
//! - [`transcript_usage`]: token usage counted from the runtimes' transcripts (the frontmatter key of that name).
//! - [`lifecycle`]: the session, stage and phase state machines, and the one rule that keeps
//!   stage and status consistent.
//! - [`progress`]: which phases are done and which comes next.
//! - [`reconciliation`]: phases whose handoff recorded nothing, and how they are reconciled.
//! - [`agent_name`]: what an agent name is.
//! - [`plan_schema`]: Maestro 1.6's phase contract (the fields every planned phase holds).
//! - [`terminal_text`]: session text made safe to show (no controls, no bidi overrides).
//! - [`session_id`], [`session_file`], [`phase_spec`], [`plan`], [`handoff`], [`orchestration_log`], [`schema`]:
//!   naming rules, file shapes, plans, handoffs, the log body and the JSON schema.
pub mod agent_name;
pub mod document;
pub mod field_values;
pub mod frontmatter;
pub mod handoff;
pub mod lifecycle;
pub mod model;
pub mod orchestration_log;
pub mod phase_spec;
pub mod plan;
pub mod plan_schema;
pub mod progress;
pub mod reconciliation;
pub mod schema;
pub mod session_file;
pub mod session_id;
pub mod terminal_text;
pub mod timeline;
pub mod transcript_usage;
