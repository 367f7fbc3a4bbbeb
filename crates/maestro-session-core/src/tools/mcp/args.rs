//! The arguments of each MCP tool: serde shapes (parsed by [`parse`], so a wrong argument is a
//! tool error naming it, never a protocol error or a panic) and their JSON Schemas (schemars,
//! doc comments become the descriptions a model reads).
//!
//! Shapes follow Maestro 1.6.4's tool packs (`src/mcp/tool-packs/session/index.js`,
//! `src/mcp/tool-packs/workspace/index.js`, `src/mcp/contracts/plan-schema.js`); where ours
//! differ, the field's doc says so. Unknown top-level fields are refused, naming the accepted
//! ones; unknown fields of a phase item are ignored (Maestro's phase items allow extra keys).

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::session::agent_name::AgentName;
use crate::session::field_values::{Complexity, ExecutionMode, WorkflowMode, lower_names};
use crate::session::lifecycle::SessionStatus;
use crate::session::model::PhaseId;

/// Reads a tool's `arguments` object (absent means `{}`) as `T`.
///
/// Errors: a message naming the field path and what is wrong with it
/// (`phases[0].id: a phase id is an integer (1, 2, ...) or a non-empty string, not -1`).
pub fn parse<T: DeserializeOwned>(arguments: Option<Map<String, Value>>) -> Result<T, String> {
    let value = Value::Object(arguments.unwrap_or_default());
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        if path == "." {
            inner
        } else {
            format!("{path}: {inner}")
        }
    })
}

/// Reads `value` (one argument, e.g. `phases`) as `T`.
///
/// Errors: the path inside it and what is wrong, ready to follow the argument's name
/// (`[0].id: a phase id ...`, or `: expected ...` for the value itself).
pub fn parse_value<T: DeserializeOwned>(value: Value) -> Result<T, String> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        if path == "." {
            format!(": {inner}")
        } else {
            format!("{path}: {inner}")
        }
    })
}

/// A phase id in a tool's arguments: an integer (`1`, Maestro's session template and
/// `maestro-session create`) or a non-empty string (`"design"`, Maestro 1.6 plans) of at most
/// 128 bytes without control characters. A string stays a string (`"2"` is not `2`), but
/// either names the phase whose id reads the same ([`PhaseId::names`]). An integral float
/// (`2.0`, as some clients send numbers) is the integer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseIdArg(pub PhaseId);

const PHASE_ID_EXPECTED: &str =
    "a phase id: an integer (1, 2, ...) or a non-empty string (\"design\")";

impl<'de> Deserialize<'de> for PhaseIdArg {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PhaseIdArg;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(PHASE_ID_EXPECTED)
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<PhaseIdArg, E> {
                Ok(PhaseIdArg(PhaseId::Number(n)))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<PhaseIdArg, E> {
                u64::try_from(n)
                    .map(|n| PhaseIdArg(PhaseId::Number(n)))
                    .map_err(|_| E::custom(format!("{PHASE_ID_EXPECTED}, not {n}")))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<PhaseIdArg, E> {
                // 2^53: every integer up to here is exact in a double.
                if n.fract() == 0.0 && (0.0..=9_007_199_254_740_992.0).contains(&n) {
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    Ok(PhaseIdArg(PhaseId::Number(n as u64)))
                } else {
                    Err(E::custom(format!("{PHASE_ID_EXPECTED}, not {n}")))
                }
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<PhaseIdArg, E> {
                let id = PhaseId::Name(s.trim().to_string());
                if id.is_valid() {
                    Ok(PhaseIdArg(id))
                } else {
                    let shown: String = s.chars().take(40).collect();
                    Err(E::custom(format!(
                        "{PHASE_ID_EXPECTED} of at most 128 bytes without control characters, not {shown:?}"
                    )))
                }
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for PhaseIdArg {
    fn schema_name() -> Cow<'static, str> {
        "PhaseId".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": ["integer", "string"],
            "description": "A phase id: an integer (1, 2, ...) or a non-empty string (\"design\")."
        })
    }
}

/// A downstream-context entry: one string or a list of strings (Maestro 1.6's handoff
/// contract, `src/mcp/contracts/downstream-context.js`). Empty strings and `none`, `n/a`,
/// `not applicable` (any case) are no entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entries(pub Vec<String>);

fn is_no_entry(s: &str) -> bool {
    let t = s.trim().to_ascii_lowercase();
    matches!(t.as_str(), "" | "none" | "n/a" | "not applicable")
}

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(String),
            Many(Vec<String>),
        }
        let raw = Raw::deserialize(d)
            .map_err(|_| de::Error::custom("expected a string or a list of strings"))?;
        let list = match raw {
            Raw::One(s) => vec![s],
            Raw::Many(v) => v,
        };
        Ok(Entries(
            list.into_iter()
                .filter(|s| !is_no_entry(s))
                .map(|s| s.trim().to_string())
                .collect(),
        ))
    }
}

impl JsonSchema for Entries {
    fn schema_name() -> Cow<'static, str> {
        "Entries".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": ["string", "array"],
            "items": {"type": "string"},
            "description": "One string or a list of strings; \"none\" and \"n/a\" are no entry."
        })
    }
}

/// Deserializes a field that is present (its value, `null` included) as `Some`, so
/// `Option<Option<T>>` tells an absent field (`None`) from `null` (`Some(None)`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// `initialize_workspace`: creates the state dir layout.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InitializeWorkspaceArgs {
    /// The project root (Maestro 1.6 requires it). Optional here: when given it must be the
    /// project this server serves (Gemini CLI passes it as MAESTRO_WORKSPACE_PATH); no other
    /// folder is ever written.
    pub workspace_path: Option<String>,
    /// The state dir, relative to the project root and inside it (default: MAESTRO_STATE_DIR,
    /// the project's .env, or docs/maestro). Later calls of this server use it.
    pub state_dir: Option<String>,
}

// Checked first against Maestro's phase contract (`crate::session::plan_schema::validate`),
// so a phase missing a field is refused with Maestro's violations, not a serde error.
/// One phase of a new session (Maestro 1.6's phase item): id, name, agent, parallel and
/// blocked_by are required.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct PhaseArg {
    /// The phase id, unique in the session.
    pub id: PhaseIdArg,
    /// Short name.
    pub name: String,
    /// The agent that carries the phase out: ASCII letters, digits, `_` and `-`, at most 64
    /// bytes, read as `agent_name` does (`code-reviewer` is `code_reviewer`).
    pub agent: AgentName,
    /// Whether it runs in a parallel batch.
    pub parallel: bool,
    /// Ids of earlier phases that must be completed or skipped before it starts (may be empty).
    pub blocked_by: Vec<PhaseIdArg>,
    /// Files the plan says it will touch, project-relative (kept as `planned_files`).
    pub files: Option<Vec<String>>,
}

/// The `phases` argument of `create_session` as given: checked against Maestro's phase
/// contract before it is read as [`PhaseArg`]s, so a bad plan is refused with every violation
/// in Maestro's shape. Absent reads as `null` (Maestro: `invalid_phases`).
#[derive(Debug, Default, Deserialize)]
#[serde(transparent)]
pub struct PhasesArg(pub Value);

impl JsonSchema for PhasesArg {
    fn schema_name() -> Cow<'static, str> {
        "Phases".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut schema = <Vec<PhaseArg>>::json_schema(generator);
        schema.insert("minItems".into(), 1.into());
        schema
    }
}

/// `create_session`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = phases_required)]
pub struct CreateSessionArgs {
    /// The new session's id: letters, digits, `_` and `-`, at most 128, used by no other session.
    pub session_id: String,
    /// The task.
    pub task: String,
    /// Path of the design document, relative to the project root (or absolute inside it).
    pub design_document: Option<String>,
    /// Path of the implementation plan, relative to the project root (or absolute inside it).
    /// Excludes implementation_plan_content.
    pub implementation_plan: Option<String>,
    /// The implementation plan as Markdown, written to <state_dir>/plans/<implementation_plan_filename>
    /// (never over another file). Needs implementation_plan_filename.
    pub implementation_plan_content: Option<String>,
    /// A bare file name ending in .md for implementation_plan_content.
    pub implementation_plan_filename: Option<String>,
    /// The phases, in order (at least one). The first one starts at once.
    #[serde(default)]
    pub phases: PhasesArg,
    /// simple, medium or complex.
    pub task_complexity: Option<Complexity>,
    /// parallel or sequential; unset until update_session when omitted.
    pub execution_mode: Option<ExecutionMode>,
    /// express or standard (default standard).
    pub workflow_mode: Option<WorkflowMode>,
}

/// `phases` is required in the schema (as Maestro's says), though read as `null` when absent
/// so that it is refused with Maestro's `invalid_phases`.
fn phases_required(schema: &mut Schema) {
    if let Some(Value::Array(required)) = schema.get_mut("required")
        && !required.iter().any(|r| r == "phases")
    {
        required.push("phases".into());
    }
}

/// `get_session_status`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetSessionStatusArgs {
    /// Accepted for Maestro compatibility: the status is always the active session's (a
    /// different id adds a `note`; show_session reads any session).
    pub session_id: Option<String>,
}

/// `update_session`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSessionArgs {
    /// The active session's id.
    pub session_id: String,
    /// parallel or sequential.
    pub execution_mode: Option<ExecutionMode>,
    /// The backend that runs the sub-agents (null clears it).
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Option<String>")]
    pub execution_backend: Option<Option<String>>,
    /// The batch of phases running in parallel (null clears it).
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Option<String>")]
    pub current_batch: Option<Option<String>>,
}

/// The downstream context of a completed phase (Maestro's handoff protocol): each field one
/// string or a list of strings.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DownstreamContextArg {
    /// Interfaces later phases build on.
    pub key_interfaces_introduced: Option<Entries>,
    /// Patterns later phases should follow.
    pub patterns_established: Option<Entries>,
    /// Where later work plugs in.
    pub integration_points: Option<Entries>,
    /// Assumptions made.
    pub assumptions: Option<Entries>,
    /// Things to watch out for.
    pub warnings: Option<Entries>,
}

impl DownstreamContextArg {
    /// The non-empty lists with their session field names, in the order of
    /// [`crate::session::model::CONTEXT_KEYS`].
    pub fn lists(&self) -> Vec<(&'static str, Vec<String>)> {
        [
            ("key_interfaces_introduced", &self.key_interfaces_introduced),
            ("patterns_established", &self.patterns_established),
            ("integration_points", &self.integration_points),
            ("assumptions", &self.assumptions),
            ("warnings", &self.warnings),
        ]
        .into_iter()
        .filter_map(|(k, v)| {
            v.as_ref()
                .filter(|e| !e.0.is_empty())
                .map(|e| (k, e.0.clone()))
        })
        .collect()
    }
}

/// Token counts to add.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenUsageArg {
    /// Prompt tokens.
    pub input: Option<u64>,
    /// Completion tokens.
    pub output: Option<u64>,
    /// Cached prompt tokens.
    pub cached: Option<u64>,
    /// The agent they are counted for (default: the completed phase's agent, else
    /// `orchestrator`); ours, so the totals always equal the sums over agents. An agent name:
    /// ASCII letters, digits, `_` and `-`, at most 64 bytes.
    pub agent: Option<AgentName>,
}

/// `transition_phase`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionPhaseArgs {
    /// The active session's id.
    pub session_id: String,
    /// The phase that finished (it must be in_progress).
    pub completed_phase_id: Option<PhaseIdArg>,
    /// What later phases need to know of the completed phase; required when it changed files.
    pub downstream_context: Option<DownstreamContextArg>,
    /// Files the completed phase created, project-relative.
    pub files_created: Option<Vec<String>>,
    /// Files the completed phase modified, project-relative.
    pub files_modified: Option<Vec<String>>,
    /// Files the completed phase deleted, project-relative.
    pub files_deleted: Option<Vec<String>>,
    /// The phase to start next (a failed one is retried). Excludes next_phase_ids.
    pub next_phase_id: Option<PhaseIdArg>,
    /// Phases to start together (a parallel batch). Excludes next_phase_id.
    pub next_phase_ids: Option<Vec<PhaseIdArg>>,
    /// The batch id of a parallel dispatch; sets current_batch (null clears it).
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Option<String>")]
    pub batch_id: Option<Option<String>>,
    /// Tokens the phase used, added to the session's accounting.
    pub token_usage: Option<TokenUsageArg>,
}

/// `archive_session`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchiveSessionArgs {
    /// The session to archive: the active one (an already archived one only completes its
    /// plan moves).
    pub session_id: String,
}

/// `list_sessions`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListSessionsArgs {
    /// Only sessions with this status.
    pub status: Option<SessionStatus>,
    /// At most this many rows, newest first.
    pub limit: Option<usize>,
}

/// `show_session`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShowSessionArgs {
    /// A session id, a unique prefix of one, or "active" (default: the active session).
    pub session_id: Option<String>,
}

/// `resume_session`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResumeSessionArgs {
    /// A session id or a unique prefix of one (paused, failed or timed out).
    pub session_id: String,
    /// Archive a live active session as paused to make room (default false: refuse).
    pub park: Option<bool>,
}

/// The kinds of error Maestro's protocol records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorType {
    /// A check failed.
    Validation,
    /// Ran out of time.
    Timeout,
    /// Two agents touched the same file.
    FileConflict,
    /// Something failed while running.
    Runtime,
    /// A dependency is missing or broken.
    Dependency,
}

lower_names! {
    ErrorType {
        Validation => "validation", Timeout => "timeout", FileConflict => "file_conflict",
        Runtime => "runtime", Dependency => "dependency"
    }
}

/// `record_error`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordErrorArgs {
    /// A session id, a unique prefix of one, or "active" (default: the active session).
    pub session_id: Option<String>,
    /// The phase the error belongs to.
    pub phase_id: PhaseIdArg,
    /// The agent that met it: ASCII letters, digits, `_` and `-`, at most 64 bytes.
    pub agent: AgentName,
    /// validation, timeout, file_conflict, runtime or dependency.
    #[serde(rename = "type")]
    pub kind: ErrorType,
    /// What happened.
    pub message: String,
}

/// `record_tokens`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordTokensArgs {
    /// A session id, a unique prefix of one, or "active" (default: the active session).
    pub session_id: Option<String>,
    /// The agent that used them (a key of `token_usage.by_agent`): ASCII letters, digits, `_`
    /// and `-`, at most 64 bytes (`Code-Reviewer` is `code_reviewer`).
    pub agent: AgentName,
    /// Prompt tokens.
    pub input: Option<u64>,
    /// Completion tokens.
    pub output: Option<u64>,
    /// Cached prompt tokens.
    pub cached: Option<u64>,
}

/// The input schema of `T` as an MCP tool's `inputSchema`: an object schema with every
/// subschema inlined and no `$schema`/`title` keys.
pub fn input_schema<T: JsonSchema>() -> Map<String, Value> {
    let generator = schemars::generate::SchemaSettings::draft2020_12()
        .with(|s| s.inline_subschemas = true)
        .into_generator();
    let schema = generator.into_root_schema_for::<T>();
    let mut map = match schema.to_value() {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    map.remove("$schema");
    map.remove("title");
    map
}
