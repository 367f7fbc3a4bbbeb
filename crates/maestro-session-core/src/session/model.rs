//! The typed frontmatter of a session file (DESIGN 2.1, Maestro's session template plus our
//! optional additions). Unknown keys are kept in `extra` maps at every level, so a rewrite
//! never loses what another tool wrote. Missing fields read as their defaults.
//!
//! The JSON Schema in `schemas/session-metadata.schema.json` is generated from these types
//! (`maestro-session schema`), and a test fails when the committed copy drifts.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::session::lifecycle::{PhaseStatus, SessionStatus, Stage};
/// Git context of the project (where it is captured: [`crate::workspace::git`]).
use crate::workspace::git::GitContext;

/// The frontmatter of one session.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct SessionMetadata {
    /// `YYYY-MM-DD-<topic-slug>`.
    pub session_id: String,
    /// The task the session carries out.
    pub task: String,
    /// Creation time, ISO 8601 UTC (`2026-11-20T09:14:03Z`).
    pub created: String,
    /// Time of the last change, ISO 8601 UTC.
    pub updated: String,
    /// Session status (`active` is read as `in_progress`).
    pub status: SessionStatus,
    /// `standard` or `express`.
    pub workflow_mode: Option<String>,
    /// Path of the design document, relative to the project root.
    pub design_document: Option<String>,
    /// Path of the implementation plan, relative to the project root.
    pub implementation_plan: Option<String>,
    /// Id of the phase in progress or next.
    pub current_phase: Option<PhaseId>,
    /// Number of phases.
    pub total_phases: u32,
    /// `sequential` or `parallel`.
    pub execution_mode: Option<String>,
    /// Backend that runs the sub-agents, if any.
    pub execution_backend: Option<String>,
    /// `simple`, `medium` or `complex`.
    pub task_complexity: Option<String>,
    /// Token totals and their split by agent.
    pub token_usage: TokenUsage,
    /// The phases, in order.
    pub phases: Vec<Phase>,
    /// Workflow stage (ours).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<Stage>,
    /// The stage a paused session returns to on resume (ours).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paused_from_stage: Option<Stage>,
    /// Id of the session this one was forked from (ours).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_session: Option<String>,
    /// When and from what this session was forked (ours).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forked_from: Option<ForkedFrom>,
    /// Git context captured at creation (ours).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git: Option<GitContext>,
    /// Free-form statistics (ours).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statistics: Option<Value>,
    /// Free-form configuration (ours).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub configuration: Option<Value>,
    /// Token usage the AfterAgent hook counted from the runtimes' own transcripts (already
    /// included in `token_usage`), and how far each transcript was read (ours).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transcript_usage: Option<crate::session::transcript_usage::TranscriptUsage>,
    /// How many times maestro-session wrote this file: every write makes the next revision
    /// ([`crate::session::session_file::SessionFile::emit`]). A `write-state` whose content
    /// carries an older revision was based on an older read; see
    /// `crate::store::stale_write` (ours).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<u64>,
    /// Keys this tool does not know, kept as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Token accounting; the totals always equal the sums over `by_agent`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct TokenUsage {
    /// Sum of `input` over agents.
    pub total_input: u64,
    /// Sum of `output` over agents.
    pub total_output: u64,
    /// Sum of `cached` over agents.
    pub total_cached: u64,
    /// Per agent, in the order agents first reported.
    pub by_agent: indexmap::IndexMap<String, AgentTokens>,
    /// Keys this tool does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One agent's tokens.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct AgentTokens {
    /// Prompt tokens.
    pub input: u64,
    /// Completion tokens.
    pub output: u64,
    /// Prompt tokens served from cache.
    pub cached: u64,
    /// Keys this tool does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A phase's id: an integer (Maestro's session template, and the sessions `maestro-session
/// create` writes: 1, 2, ...) or a string (Maestro 1.6: `"design"`, `"phase-2-implementation"`).
/// It is written back exactly as it was read: `2` stays a number, `"2"` a string.
///
/// On the command line and in MCP arguments a phase is named by text: an argument names the
/// phase whose id reads the same (`2` names both `2` and `"2"`), see [`PhaseId::names`].
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(untagged)]
pub enum PhaseId {
    /// An integer id (0 to 2^64-1).
    Number(u64),
    /// A string id.
    Name(String),
}

impl Default for PhaseId {
    fn default() -> Self {
        PhaseId::Number(0)
    }
}

impl From<u32> for PhaseId {
    fn from(n: u32) -> Self {
        PhaseId::Number(u64::from(n))
    }
}

impl std::fmt::Display for PhaseId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PhaseId::Number(n) => write!(f, "{n}"),
            PhaseId::Name(s) => f.write_str(s),
        }
    }
}

impl std::str::FromStr for PhaseId {
    type Err = std::convert::Infallible;

    /// Reads a phase named on the command line: digits are a number, anything else a name.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(PhaseId::parse(text))
    }
}

impl PhaseId {
    /// A phase id from text: all digits (fitting 64 bits) is a number, anything else a name.
    pub fn parse(text: &str) -> PhaseId {
        let text = text.trim();
        match text.parse::<u64>() {
            Ok(n) if text.bytes().all(|b| b.is_ascii_digit()) => PhaseId::Number(n),
            _ => PhaseId::Name(text.to_string()),
        }
    }

    /// Whether `other` names this phase: the same id, or ids that read the same (`2` and
    /// `"2"`), so a person or a model need not know how the file spells it.
    pub fn names(&self, other: &PhaseId) -> bool {
        self == other || self.to_string() == other.to_string()
    }

    /// Whether the id is usable: a non-empty name of at most 128 bytes without control
    /// characters, or any number.
    pub fn is_valid(&self) -> bool {
        match self {
            PhaseId::Number(_) => true,
            PhaseId::Name(s) => {
                !s.trim().is_empty() && s.len() <= 128 && !s.chars().any(char::is_control)
            }
        }
    }
}

/// How many phases a session has, from its `total_phases` field (`declared`: Maestro's
/// "integer from the implementation plan", `None` when absent) and the phases it lists: the
/// larger of the two. A plan may declare phases the file does not list yet, and a file may
/// list phases its stale field does not count; neither is ever shown as fewer phases than
/// there are.
pub fn phase_count(declared: Option<u64>, listed: usize) -> u64 {
    let listed = u64::try_from(listed).unwrap_or(u64::MAX);
    declared.unwrap_or(0).max(listed)
}

/// One phase of the plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct Phase {
    /// The phase's id: 1-based number, or a name (Maestro 1.6).
    pub id: PhaseId,
    /// Short name.
    pub name: String,
    /// Phase status.
    pub status: PhaseStatus,
    /// Agents assigned to the phase.
    pub agents: Vec<String>,
    /// Whether its agents run in parallel.
    pub parallel: bool,
    /// When it was (last) started, ISO 8601 UTC.
    pub started: Option<String>,
    /// When it completed, ISO 8601 UTC.
    pub completed: Option<String>,
    /// Ids of phases that must be completed or skipped before this one starts.
    pub blocked_by: Vec<PhaseId>,
    /// Files the phase created, relative to the project root.
    pub files_created: Vec<String>,
    /// Files the phase modified.
    pub files_modified: Vec<String>,
    /// Files the phase deleted.
    pub files_deleted: Vec<String>,
    /// What later phases need to know.
    pub downstream_context: DownstreamContext,
    /// Errors met in this phase.
    pub errors: Vec<PhaseError>,
    /// How many times the phase was retried after failing.
    pub retry_count: u32,
    /// When the file manifest was last recorded (ours; resume compares file mtimes with it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files_recorded_at: Option<String>,
    /// Keys this tool does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Phase {
    /// The files the plan says this phase will touch (Maestro 1.6 `planned_files`); empty
    /// when not given. Read from the keys this type does not model, so they are written back
    /// exactly as they came.
    pub fn planned_files(&self) -> Vec<&str> {
        self.extra
            .get("planned_files")
            .and_then(Value::as_array)
            .map(|files| files.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    /// Whether the phase must be reconciled with the files on disk before it goes on
    /// (Maestro 1.6 `requires_reconciliation`), and why (`reconciliation_reason`).
    pub fn requires_reconciliation(&self) -> Option<Option<&str>> {
        let needed = self
            .extra
            .get("requires_reconciliation")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        needed.then(|| {
            self.extra
                .get("reconciliation_reason")
                .and_then(Value::as_str)
        })
    }
}

/// A phase's downstream context (Maestro's handoff protocol).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct DownstreamContext {
    /// Interfaces later phases build on.
    pub key_interfaces_introduced: Vec<String>,
    /// Patterns later phases should follow.
    pub patterns_established: Vec<String>,
    /// Where later work plugs in.
    pub integration_points: Vec<String>,
    /// Assumptions made.
    pub assumptions: Vec<String>,
    /// Things to watch out for.
    pub warnings: Vec<String>,
    /// Keys this tool does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The kinds of downstream context, as the command line names them.
pub const CONTEXT_KEYS: [&str; 5] = [
    "key_interfaces_introduced",
    "patterns_established",
    "integration_points",
    "assumptions",
    "warnings",
];

impl DownstreamContext {
    /// The list for `key` (one of [`CONTEXT_KEYS`]).
    pub fn list_mut(&mut self, key: &str) -> Option<&mut Vec<String>> {
        Some(match key {
            "key_interfaces_introduced" => &mut self.key_interfaces_introduced,
            "patterns_established" => &mut self.patterns_established,
            "integration_points" => &mut self.integration_points,
            "assumptions" => &mut self.assumptions,
            "warnings" => &mut self.warnings,
            _ => return None,
        })
    }

    /// The lists with their Maestro log titles, in order.
    pub fn titled(&self) -> [(&'static str, &Vec<String>); 5] {
        [
            ("Key Interfaces Introduced", &self.key_interfaces_introduced),
            ("Patterns Established", &self.patterns_established),
            ("Integration Points", &self.integration_points),
            ("Assumptions", &self.assumptions),
            ("Warnings", &self.warnings),
        ]
    }
}

/// An error recorded against a phase.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct PhaseError {
    /// The agent that met it.
    pub agent: String,
    /// When, ISO 8601 UTC.
    pub timestamp: String,
    /// `validation`, `timeout`, `file_conflict`, `runtime` or `dependency`.
    #[serde(rename = "type")]
    pub kind: String,
    /// What happened.
    pub message: String,
    /// How it was resolved (`pending` until then).
    pub resolution: String,
    /// Whether it is resolved.
    pub resolved: bool,
    /// Keys this tool does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The error types Maestro's protocol names.
pub const ERROR_KINDS: [&str; 5] = [
    "validation",
    "timeout",
    "file_conflict",
    "runtime",
    "dependency",
];

/// Fork lineage.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct ForkedFrom {
    /// The session forked from.
    pub session_id: String,
    /// When, ISO 8601 UTC.
    pub at: String,
    /// Keys this tool does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl SessionMetadata {
    /// Reads the typed view of a frontmatter map.
    ///
    /// Errors: a message naming the field path and what is wrong with it
    /// (`phases[1].status: unknown variant `sleeping`, ...`).
    pub fn from_frontmatter(front: &Map<String, Value>) -> Result<SessionMetadata, String> {
        let value = Value::Object(front.clone());
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

    /// Writes this typed view back into `front`, keeping key order: existing keys keep their
    /// place, new keys go at the end, keys that became absent are removed.
    pub fn write_into(&self, front: &mut Map<String, Value>) {
        let Ok(Value::Object(new)) = serde_json::to_value(self) else {
            return;
        };
        let old = std::mem::take(front);
        if let Value::Object(merged) = merge(Value::Object(old), Value::Object(new)) {
            *front = merged;
        }
    }

    /// The batch of phases running now (Maestro 1.6 `current_batch`), kept where Maestro
    /// wrote it: read from the keys this type does not model, so a file that has no such key
    /// never gains one.
    pub fn current_batch(&self) -> Option<&str> {
        self.extra.get("current_batch").and_then(Value::as_str)
    }

    /// The phase `id` names (see [`PhaseId::names`]).
    pub fn phase(&self, id: &PhaseId) -> Option<&Phase> {
        self.phases.iter().find(|p| p.id.names(id))
    }

    /// The phase `id` names, mutably.
    pub fn phase_mut(&mut self, id: &PhaseId) -> Option<&mut Phase> {
        self.phases.iter_mut().find(|p| p.id.names(id))
    }

    /// How many phases are done (see [`crate::session::progress::is_done`]).
    pub fn phases_done(&self) -> usize {
        crate::session::progress::done_count(self)
    }

    /// How many phases the session has: the one definition every output uses (`list`,
    /// `status`, `show`, `watch`, `report`, the MCP `get_session_status`, the hooks' context);
    /// see [`phase_count`].
    pub fn phase_count(&self) -> u64 {
        phase_count(Some(u64::from(self.total_phases)), self.phases.len())
    }

    /// Unresolved errors over all phases, with their phase id and index.
    pub fn unresolved_errors(&self) -> Vec<(PhaseId, usize, &PhaseError)> {
        self.phases
            .iter()
            .flat_map(|p| {
                p.errors
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| !e.resolved)
                    .map(move |(i, e)| (p.id.clone(), i, e))
            })
            .collect()
    }
}

/// Merges `new` into `old`: objects key by key in `old`'s order (keys absent from `new` are
/// dropped, new keys appended in `new`'s order), arrays element by element, anything else
/// replaced.
///
/// Linear in the size of both: every key is looked up by hash once, and nothing is removed
/// from the middle of an ordered map (`shift_remove` is O(N) per call, which made a session
/// with 40,000 unknown keys take 20 s to rewrite).
fn merge(old: Value, new: Value) -> Value {
    match (old, new) {
        (Value::Object(old), Value::Object(mut new)) => {
            let mut out = Map::with_capacity(new.len());
            for (key, o) in old {
                if let Some(n) = new.get_mut(&key) {
                    let n = n.take();
                    out.insert(key, merge(o, n));
                }
            }
            for (key, n) in new {
                if !out.contains_key(&key) {
                    out.insert(key, n);
                }
            }
            Value::Object(out)
        }
        (Value::Array(old), Value::Array(new)) => {
            let mut old = old.into_iter();
            Value::Array(
                new.into_iter()
                    .map(|n| match old.next() {
                        Some(o) => merge(o, n),
                        None => n,
                    })
                    .collect(),
            )
        }
        (_, new) => new,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::document::Document;

    const YAML: &str =
        include_str!("../../../../tests/fixtures/maestro-state/active-session.yaml.md");

    #[test]
    fn fixture_reads_typed_and_writes_back_unchanged() {
        let mut doc = Document::parse(YAML).expect("parse");
        let meta = SessionMetadata::from_frontmatter(&doc.frontmatter).expect("typed");
        assert_eq!(meta.session_id, "2026-11-20-rest-api-auth");
        assert_eq!(meta.status, SessionStatus::InProgress);
        assert_eq!(meta.phases[1].errors[0].kind, "validation");
        assert_eq!(meta.token_usage.by_agent["coder"].input, 8000);
        assert_eq!(meta.unresolved_errors().len(), 1);
        meta.write_into(&mut doc.frontmatter);
        assert_eq!(doc.render(), YAML);
    }

    #[test]
    fn unknown_keys_survive_in_place_and_active_is_in_progress() {
        let text = "---\nsession_id: \"x\"\nmine: {a: 1}\nstatus: active\nphases:\n  - id: 1\n    custom: true\n    status: pending\ntail: 2\n---\n";
        let mut doc = Document::parse(text).expect("parse");
        let mut meta = SessionMetadata::from_frontmatter(&doc.frontmatter).expect("typed");
        assert_eq!(meta.status, SessionStatus::InProgress);
        meta.task = "t".into();
        meta.write_into(&mut doc.frontmatter);
        let keys: Vec<&str> = doc.frontmatter.keys().map(String::as_str).collect();
        assert_eq!(&keys[..4], &["session_id", "mine", "status", "phases"]);
        assert_eq!(keys[4], "tail");
        assert_eq!(doc.frontmatter["mine"]["a"], 1);
        assert_eq!(doc.frontmatter["phases"][0]["custom"], true);
        assert_eq!(doc.frontmatter["status"], "in_progress");
        assert_eq!(doc.frontmatter["task"], "t");
    }

    #[test]
    fn merge_keeps_old_order_drops_absent_and_appends_new_in_order() {
        let old = serde_json::json!({"a": 1, "gone": 2, "b": {"x": 1, "y": [1, {"k": 1}]}, "c": 3});
        let new = serde_json::json!({"z": 9, "c": 4, "b": {"y": [5, {"k": 2, "n": 1}], "x": 1}, "a": 1, "y": 8});
        let merged = merge(old, new);
        let text = serde_json::to_string(&merged).expect("json");
        assert_eq!(
            text,
            r#"{"a":1,"b":{"x":1,"y":[5,{"k":2,"n":1}]},"c":4,"z":9,"y":8}"#
        );
    }

    #[test]
    fn bad_field_names_its_path() {
        let doc = Document::parse("---\nphases:\n  - id: [1]\n---\n").expect("parse");
        let err = SessionMetadata::from_frontmatter(&doc.frontmatter).expect_err("bad id");
        assert!(err.starts_with("phases[0].id: "), "{err}");
        let doc = Document::parse("---\nstatus: sleeping\n---\n").expect("parse");
        let err = SessionMetadata::from_frontmatter(&doc.frontmatter).expect_err("bad status");
        assert!(
            err.starts_with("status: unknown variant `sleeping`"),
            "{err}"
        );
    }
}
