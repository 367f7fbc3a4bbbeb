//! What BeforeAgent (Claude Code: SubagentStart) tells the model about the active session.
//!
//! Read from the parsed frontmatter (YAML or JSON), leniently: a field that is missing or of
//! an unexpected type is left out rather than failing the turn.
//!
//! - [`summarize`]: the session in one line, for a turn with no known agent. Shape:
//!   `Maestro session <id>: status <status>; phase <n>/<total> "<name>" (<status>), agent <a>;
//!   retries <r>; unresolved errors <e>.`
//! - [`agent_context`]: the context of one agent's own phase (DESIGN 4: "each sub-agent gets
//!   the context of its own phase"), so parallel agents of different phases are each told
//!   about their own work, at most [`MAX_AGENT_CONTEXT_BYTES`]:
//!
//! ```text
//! Maestro session <id>: status <status>; your phase <id> of <total> "<name>" (<status>), agents <a>; retries <r>.
//! Blocked by: phase <id> "<name>" (<status>), ...
//! Unresolved errors of phase <id> (<n>): <agent>, <type>: <message>; ...
//! From phase <id>: key interfaces: ...; patterns: ...; integration points: ...; assumptions: ...; warnings: ...
//! ```
//!
//! Lines with nothing to say are left out; the downstream context comes last, so it is what a
//! cut to the size bound shortens.
//!
//! - [`SessionView`] / [`ContextCache`]: what a hook keeps of one parse, cached in the
//!   hook-state folder keyed by the session file's identity, so a turn costs no parse while
//!   the file is unchanged.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::session::agent_name;
use crate::session::progress::is_done_text;

/// Largest context [`agent_context`] gives, in bytes; longer text is cut at a character
/// boundary and ends with `…`. It is added to the agent's context on every start.
pub const MAX_AGENT_CONTEXT_BYTES: usize = 2048;
/// Longest value (a name, a context entry, an error message) quoted in an agent context, in
/// characters.
const MAX_ITEM_CHARS: usize = 160;
/// Most entries quoted from one list (blocking phases, one kind of downstream context,
/// errors); the rest are counted (`+3 more`).
const MAX_ITEMS: usize = 5;

/// Builds the summary from a session's frontmatter.
pub fn summarize(front: &Map<String, Value>) -> String {
    let id = text(front.get("session_id")).unwrap_or_else(|| "(no id)".into());
    let status = text(front.get("status")).unwrap_or_else(|| "unknown".into());
    let mut parts = vec![format!("Maestro session {id}: status {status}")];
    let phases: &[Value] = front
        .get("phases")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    // Phase ids are numbers or strings (Maestro 1.6: `"design"`); either is shown as it reads.
    let current = text(front.get("current_phase"));
    let total = crate::session::model::phase_count(
        front.get("total_phases").and_then(number),
        phases.len(),
    );
    if let Some(n) = current {
        let position = n.parse::<usize>().ok().and_then(|i| i.checked_sub(1));
        let phase = phases
            .iter()
            .find(|p| text(p.get("id")).as_deref() == Some(n.as_str()))
            .or_else(|| position.and_then(|i| phases.get(i)));
        let mut desc = format!("phase {n}/{total}");
        if let Some(phase) = phase {
            if let Some(name) = text(phase.get("name")) {
                desc.push_str(&format!(" \"{name}\""));
            }
            if let Some(st) = text(phase.get("status")) {
                desc.push_str(&format!(" ({st})"));
            }
            let agents: Vec<String> = phase
                .get("agents")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|v| text(Some(v))).collect())
                .unwrap_or_default();
            if !agents.is_empty() {
                desc.push_str(&format!(", agent {}", agents.join(", ")));
            }
            let retries = phase.get("retry_count").and_then(number).unwrap_or(0);
            parts.push(desc);
            parts.push(format!("retries {retries}"));
        } else {
            parts.push(desc);
        }
    }
    let unresolved = phases
        .iter()
        .flat_map(|p| {
            p.get("errors")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
        })
        .filter(|e| e.get("resolved").and_then(Value::as_bool) != Some(true))
        .count();
    parts.push(format!("unresolved errors {unresolved}"));
    format!("{}.", parts.join("; "))
}

/// The agents named in the phases' `agents` lists, normalized ([`agent_name::normalize`]), each
/// once, in order of first mention.
pub fn session_agents(front: &Map<String, Value>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for phase in phases(front) {
        for name in phase_agents(phase) {
            if !out.contains(&name) {
                out.push(name);
            }
        }
    }
    out
}

/// The phase that is `agent`'s own among the phases whose `agents` name it: one in progress,
/// else one pending and not blocked, else the session's `current_phase`, else one failed
/// (awaiting a retry), else one pending but blocked, else the last that names it; ties go to
/// the earlier phase. `None` when no phase names the agent.
pub fn own_phase<'a>(front: &'a Map<String, Value>, agent: &str) -> Option<&'a Value> {
    let agent = agent_name::normalize(agent);
    let current = text(front.get("current_phase"));
    let all = phases(front);
    let rank = |phase: &Value| -> u8 {
        let status = text(phase.get("status")).unwrap_or_default();
        let is_current = current.is_some() && text(phase.get("id")) == current;
        match status.as_str() {
            "in_progress" => 0,
            "pending" if !is_blocked(all, phase) => 1,
            _ if is_current => 2,
            "failed" => 3,
            "pending" => 4,
            _ => 5,
        }
    };
    let mut best: Option<(u8, &Value)> = None;
    for phase in all {
        if !phase_agents(phase).contains(&agent) {
            continue;
        }
        let r = rank(phase);
        // Strictly better wins; among the last rank the later phase wins.
        if best.is_none_or(|(b, _)| r < b || (r == 5 && b == 5)) {
            best = Some((r, phase));
        }
    }
    best.map(|(_, phase)| phase)
}

/// The context of `agent`'s own phase ([`own_phase`]): the phase (id, name, status, agents,
/// retries), what blocks it and their status, the downstream context of the phases it
/// depends on (`blocked_by`), and its unresolved errors; see the module docs for the shape.
/// `None` when no phase names the agent. Values are quoted on one line each (control
/// characters become spaces), cut to 160 characters, at most 5 per list (and the downstream
/// context of at most 5 blocking phases); the whole is at most [`MAX_AGENT_CONTEXT_BYTES`].
pub fn agent_context(front: &Map<String, Value>, agent: &str) -> Option<String> {
    let phase = own_phase(front, agent)?;
    let all = phases(front);
    let id = shown(phase.get("id")).unwrap_or_else(|| "?".into());
    let session = shown(front.get("session_id")).unwrap_or_else(|| "(no id)".into());
    let status = shown(front.get("status")).unwrap_or_else(|| "unknown".into());
    let total =
        crate::session::model::phase_count(front.get("total_phases").and_then(number), all.len());
    let mut head =
        format!("Maestro session {session}: status {status}; your phase {id} of {total}");
    if let Some(name) = shown(phase.get("name")) {
        head.push_str(&format!(" \"{name}\""));
    }
    if let Some(st) = shown(phase.get("status")) {
        head.push_str(&format!(" ({st})"));
    }
    let agents: Vec<String> = phase
        .get("agents")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| shown(Some(v))).collect())
        .unwrap_or_default();
    if !agents.is_empty() {
        head.push_str(&format!(
            ", agent{} {}",
            if agents.len() == 1 { "" } else { "s" },
            limited(&agents, ", ")
        ));
    }
    let retries = phase.get("retry_count").and_then(number).unwrap_or(0);
    head.push_str(&format!("; retries {retries}."));
    let mut lines = vec![head];

    let deps: Vec<Value> = phase
        .get("blocked_by")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if !deps.is_empty() {
        let described: Vec<String> = deps
            .iter()
            .map(|dep| {
                let dep_id = shown(Some(dep)).unwrap_or_else(|| "?".into());
                match find_phase(all, dep) {
                    Some(p) => {
                        let name = shown(p.get("name"))
                            .map(|n| format!(" \"{n}\""))
                            .unwrap_or_default();
                        let st = shown(p.get("status")).unwrap_or_else(|| "unknown".into());
                        format!("phase {dep_id}{name} ({st})")
                    }
                    None => format!("phase {dep_id} (missing)"),
                }
            })
            .collect();
        lines.push(format!("Blocked by: {}.", limited(&described, ", ")));
    }

    let unresolved: Vec<String> = phase
        .get("errors")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(|e| e.get("resolved").and_then(Value::as_bool) != Some(true))
        .map(|e| {
            let who = shown(e.get("agent")).unwrap_or_else(|| "unknown agent".into());
            let kind = shown(e.get("type")).unwrap_or_else(|| "error".into());
            let message = shown(e.get("message")).unwrap_or_default();
            format!("{who}, {kind}: {message}")
        })
        .collect();
    if !unresolved.is_empty() {
        lines.push(format!(
            "Unresolved errors of phase {id} ({}): {}.",
            unresolved.len(),
            limited(&unresolved, "; ")
        ));
    }

    for dep in deps.iter().take(MAX_ITEMS) {
        let Some(p) = find_phase(all, dep) else {
            continue;
        };
        let handoff = downstream(p);
        if !handoff.is_empty() {
            let dep_id = shown(Some(dep)).unwrap_or_else(|| "?".into());
            lines.push(format!("From phase {dep_id}: {handoff}."));
        }
    }
    Some(bounded(lines.join("\n"), MAX_AGENT_CONTEXT_BYTES))
}

/// One phase's downstream context as `key interfaces: a, b; patterns: c; ...`, the empty
/// lists left out.
fn downstream(phase: &Value) -> String {
    const KINDS: [(&str, &str); 5] = [
        ("key_interfaces_introduced", "key interfaces"),
        ("patterns_established", "patterns"),
        ("integration_points", "integration points"),
        ("assumptions", "assumptions"),
        ("warnings", "warnings"),
    ];
    let Some(context) = phase.get("downstream_context") else {
        return String::new();
    };
    KINDS
        .iter()
        .filter_map(|(key, title)| {
            let items: Vec<String> = context
                .get(*key)
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|v| shown(Some(v))).collect())
                .unwrap_or_default();
            (!items.is_empty()).then(|| format!("{title}: {}", limited(&items, ", ")))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// What a hook needs of the active session: the one-line summary, the agents its phases name
/// (normalized) and, when asked for, one agent's context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionView {
    /// The session's `session_id` (empty when it has none), for its event log.
    pub session_id: String,
    /// [`summarize`]'s line.
    pub summary: String,
    /// [`session_agents`].
    pub agents: Vec<String>,
    /// [`agent_context`] of the agent asked for; `None` when none was asked for or no phase
    /// names it.
    pub context: Option<String>,
}

/// The cache of [`SessionView`]s of one session file, stored as JSON in the hook-state folder
/// (`state::CONTEXT_CACHE`): `{"key", "summary", "agents", "contexts": {agent: text}}`.
/// `key` is the identity of the session file it was made from (path, device, inode, size,
/// mtime in ns); a different key is a miss. An agent's context is added the first time it is
/// asked for, so the cache holds at most one entry per agent the session names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextCache {
    /// Identity of the session file.
    pub key: String,
    /// The session's `session_id` (required, so a cache written before it was kept is a miss).
    pub session_id: String,
    /// [`summarize`]'s line.
    pub summary: String,
    /// [`session_agents`].
    pub agents: Vec<String>,
    /// [`agent_context`] by (normalized) agent.
    pub contexts: BTreeMap<String, String>,
}

impl ContextCache {
    /// Reads a cache; `None` when `text` is not one (an older format, a torn write).
    pub fn parse(text: &str) -> Option<ContextCache> {
        serde_json::from_str(text).ok()
    }

    /// The cache as JSON text.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A fresh cache for the file `key` with frontmatter `front`.
    pub fn build(key: &str, front: &Map<String, Value>) -> ContextCache {
        ContextCache {
            key: key.to_string(),
            session_id: text(front.get("session_id")).unwrap_or_default(),
            summary: summarize(front),
            agents: session_agents(front),
            contexts: BTreeMap::new(),
        }
    }

    /// The view for `agent` if this cache can answer it without a parse: the key matches and
    /// either no agent is asked for, the session does not name the agent (no context), or its
    /// context is cached.
    pub fn view(&self, key: &str, agent: Option<&str>) -> Option<SessionView> {
        if self.key != key {
            return None;
        }
        let context = match agent.map(agent_name::normalize) {
            None => None,
            Some(a) if !self.agents.contains(&a) => None,
            Some(a) => Some(self.contexts.get(&a)?.clone()),
        };
        Some(SessionView {
            session_id: self.session_id.clone(),
            summary: self.summary.clone(),
            agents: self.agents.clone(),
            context,
        })
    }

    /// Computes `agent`'s context from `front` (the file of this cache's key), stores it, and
    /// returns the view.
    pub fn fill(&mut self, front: &Map<String, Value>, agent: Option<&str>) -> SessionView {
        let context = agent.and_then(|a| {
            let a = agent_name::normalize(a);
            let context = agent_context(front, &a)?;
            self.contexts.insert(a, context.clone());
            Some(context)
        });
        SessionView {
            session_id: self.session_id.clone(),
            summary: self.summary.clone(),
            agents: self.agents.clone(),
            context,
        }
    }
}

fn phases(front: &Map<String, Value>) -> &[Value] {
    front
        .get("phases")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn phase_agents(phase: &Value) -> Vec<String> {
    phase
        .get("agents")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(agent_name::normalize)
                .collect()
        })
        .unwrap_or_default()
}

/// The phase whose id reads as `id` (`2` finds `2` and `"2"`, like `PhaseId::names`).
fn find_phase<'a>(all: &'a [Value], id: &Value) -> Option<&'a Value> {
    let want = text(Some(id))?;
    all.iter()
        .find(|p| text(p.get("id")).as_deref() == Some(want.as_str()))
}

/// Whether a `blocked_by` phase is not yet completed or skipped (a missing one blocks, as
/// `phase start` refuses it).
fn is_blocked(all: &[Value], phase: &Value) -> bool {
    phase
        .get("blocked_by")
        .and_then(Value::as_array)
        .is_some_and(|deps| {
            deps.iter().any(|dep| {
                !find_phase(all, dep)
                    .is_some_and(|p| text(p.get("status")).is_some_and(|st| is_done_text(&st)))
            })
        })
}

/// A value as quoted in an agent context: [`text`] on one line (control characters become
/// spaces, runs of spaces one), cut to [`MAX_ITEM_CHARS`].
fn shown(v: Option<&Value>) -> Option<String> {
    let raw = text(v)?;
    let one_line: String = raw
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if one_line.is_empty() {
        return None;
    }
    Some(match one_line.char_indices().nth(MAX_ITEM_CHARS) {
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
        None => one_line,
    })
}

/// At most [`MAX_ITEMS`] of `items` joined by `sep`, the rest counted.
fn limited(items: &[String], sep: &str) -> String {
    let mut out = items
        .iter()
        .take(MAX_ITEMS)
        .cloned()
        .collect::<Vec<_>>()
        .join(sep);
    if items.len() > MAX_ITEMS {
        out.push_str(&format!(" (+{} more)", items.len() - MAX_ITEMS));
    }
    out
}

/// `text` cut to at most `max` bytes at a character boundary, ending with `…` when cut.
fn bounded(text: String, max: usize) -> String {
    if text.len() <= max {
        return text;
    }
    let ellipsis = "…";
    let mut cut = max.saturating_sub(ellipsis.len());
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{ellipsis}", &text[..cut])
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn number(v: &Value) -> Option<u64> {
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::document::Document;

    const YAML: &str =
        include_str!("../../../../tests/fixtures/maestro-state/active-session.yaml.md");
    const JSON: &str =
        include_str!("../../../../tests/fixtures/maestro-state/active-session.json.md");

    #[test]
    fn both_renderings_give_the_same_summary() {
        let want = "Maestro session 2026-11-20-rest-api-auth: status in_progress; phase 2/3 \"Implement middleware\" (in_progress), agent coder; retries 1; unresolved errors 1.";
        for text in [YAML, JSON] {
            let doc = Document::parse(text).expect("fixture parses");
            assert_eq!(summarize(&doc.frontmatter), want);
        }
    }

    #[test]
    fn lenient_on_missing_and_odd_fields() {
        let doc = Document::parse("---\nstatus: 3\ncurrent_phase: \"7\"\nphases: oops\n---\n")
            .expect("parse");
        assert_eq!(
            summarize(&doc.frontmatter),
            "Maestro session (no id): status 3; phase 7/0; unresolved errors 0."
        );
    }

    const MAESTRO_1_6: &str =
        include_str!("../../../../tests/fixtures/maestro-state/maestro-1.6-session.json.md");

    fn front(text: &str) -> Map<String, Value> {
        (*Document::parse(text).expect("fixture parses").frontmatter).clone()
    }

    #[test]
    fn each_agent_gets_its_own_phase() {
        let coder = "Maestro session 2026-11-20-rest-api-auth: status in_progress; your phase 2 of 3 \"Implement middleware\" (in_progress), agent coder; retries 1.\n\
            Blocked by: phase 1 \"Design the token model\" (completed).\n\
            Unresolved errors of phase 2 (1): coder, validation: cargo test: 2 failures in auth::tests.\n\
            From phase 1: key interfaces: TokenStore trait; patterns: errors as enums; integration points: middleware::auth; assumptions: tokens expire after 1h.";
        let tester = "Maestro session 2026-11-20-rest-api-auth: status in_progress; your phase 3 of 3 \"Write integration tests\" (pending), agent tester; retries 0.\n\
            Blocked by: phase 2 \"Implement middleware\" (in_progress).";
        for text in [YAML, JSON] {
            let f = front(text);
            assert_eq!(agent_context(&f, "coder").as_deref(), Some(coder));
            assert_eq!(agent_context(&f, "Tester").as_deref(), Some(tester));
            // A completed phase is still the architect's own when it has no other.
            let architect = agent_context(&f, "architect").expect("architect");
            assert!(architect.contains("your phase 1 of 3 \"Design the token model\" (completed)"));
            assert!(!architect.contains("Blocked by"), "{architect}");
            // Agents no phase names get nothing of their own.
            for other in ["explore", "general_purpose", "default"] {
                assert_eq!(agent_context(&f, other), None, "{other}");
            }
            assert_eq!(session_agents(&f), ["architect", "coder", "tester"]);
        }
    }

    #[test]
    fn string_ids_and_blocking_phases_named_as_they_read() {
        let f = front(MAESTRO_1_6);
        assert_eq!(
            agent_context(&f, "coder").as_deref(),
            Some(
                "Maestro session 2026-11-28-search-index: status in_progress; your phase phase-2-implementation of 2 \"Build the index\" (pending), agent coder; retries 0.\nBlocked by: phase design \"Design the index\" (in_progress)."
            )
        );
    }

    #[test]
    fn the_own_phase_prefers_work_in_progress_then_ready_then_current() {
        let session = |statuses: [&str; 3], current: &str| {
            front(&format!(
                "---\nsession_id: s\nstatus: in_progress\ncurrent_phase: {current}\nphases:\n\
                 - {{id: 1, name: A, status: {}, agents: [coder]}}\n\
                 - {{id: 2, name: B, status: {}, agents: [coder], blocked_by: [1]}}\n\
                 - {{id: 3, name: C, status: {}, agents: [coder]}}\n---\n",
                statuses[0], statuses[1], statuses[2]
            ))
        };
        let own = |f: &Map<String, Value>| {
            own_phase(f, "coder")
                .and_then(|p| p.get("name"))
                .and_then(Value::as_str)
                .map(String::from)
        };
        // In progress first, wherever it is.
        assert_eq!(
            own(&session(["completed", "pending", "in_progress"], "1")).as_deref(),
            Some("C")
        );
        // Then pending and not blocked: B is ready once A is done.
        assert_eq!(
            own(&session(["completed", "pending", "completed"], "1")).as_deref(),
            Some("B")
        );
        // B is blocked while A is not done: the current phase wins over it.
        assert_eq!(
            own(&session(["failed", "pending", "completed"], "3")).as_deref(),
            Some("C")
        );
        // Then a failed one, then a blocked one, then the last.
        assert_eq!(
            own(&session(["failed", "pending", "completed"], "9")).as_deref(),
            Some("A")
        );
        assert_eq!(
            own(&session(["skipped", "pending", "completed"], "9")).as_deref(),
            Some("B")
        );
        assert_eq!(
            own(&session(["skipped", "completed", "completed"], "9")).as_deref(),
            Some("C")
        );
        // A blocking phase that does not exist blocks.
        let f = front(
            "---\nphases:\n- {id: 1, status: pending, agents: [coder], blocked_by: [7]}\n---\n",
        );
        let context = agent_context(&f, "coder").expect("context");
        assert!(
            context.ends_with("Blocked by: phase 7 (missing)."),
            "{context}"
        );
    }

    #[test]
    fn context_is_bounded_and_one_line_per_entry() {
        let long = "x".repeat(1000);
        let mut text = String::from("---\nsession_id: s\nstatus: in_progress\nphases:\n");
        text.push_str(
            "- id: 1\n  name: \"first\\nline\"\n  status: completed\n  downstream_context:\n",
        );
        for kind in ["key_interfaces_introduced", "assumptions", "warnings"] {
            text.push_str(&format!("    {kind}:\n"));
            for i in 0..40 {
                text.push_str(&format!("      - \"{i} {long}\"\n"));
            }
        }
        text.push_str(
            "- id: 2\n  status: in_progress\n  agents: [coder]\n  blocked_by: [1]\n  errors:\n",
        );
        for i in 0..40 {
            text.push_str(&format!(
                "    - {{agent: coder, type: runtime, message: \"{i} {long}\"}}\n"
            ));
        }
        text.push_str("---\n");
        let context = agent_context(&front(&text), "coder").expect("context");
        assert!(
            context.len() <= MAX_AGENT_CONTEXT_BYTES,
            "{}",
            context.len()
        );
        assert!(
            context.contains("phase 1 \"first line\" (completed)"),
            "{context}"
        );
        assert!(context.contains("(+35 more)"), "{context}");
        assert!(context.contains(&format!("0 {}…", "x".repeat(MAX_ITEM_CHARS - 2))));
        assert!(context.ends_with('…'), "{context}");
        // The cut shortens the downstream context, not the errors of the agent's own phase.
        let lines: Vec<&str> = context.lines().collect();
        assert_eq!(lines.len(), 4, "{context}");
        assert!(lines[2].starts_with("Unresolved errors of phase 2 (40): coder, runtime: 0 x"));
        assert!(lines[3].starts_with("From phase 1: key interfaces: 0 x"));
    }

    #[test]
    fn the_cache_answers_without_a_parse_only_what_it_holds() {
        let f = front(YAML);
        let mut cache = ContextCache::build("k1", &f);
        assert_eq!(cache.view("k2", None), None, "another file");
        let plain = cache.view("k1", None).expect("summary");
        assert_eq!(plain.summary, summarize(&f));
        assert_eq!(plain.context, None);
        // An agent no phase names needs no parse; a named one does, once.
        assert_eq!(
            cache.view("k1", Some("Explore")).expect("hit").context,
            None
        );
        assert_eq!(cache.view("k1", Some("coder")), None);
        let filled = cache.fill(&f, Some("coder"));
        assert_eq!(filled.context, agent_context(&f, "coder"));
        let again = ContextCache::parse(&cache.to_text()).expect("round trip");
        assert_eq!(again.view("k1", Some("coder")), Some(filled));
        assert_eq!(ContextCache::parse("key\nsummary of the old format"), None);
    }

    #[test]
    fn string_phase_ids_of_maestro_1_6_are_kept() {
        let doc = Document::parse(
            "---\nsession_id: \"s\"\nstatus: \"in_progress\"\ncurrent_phase: \"phase-2-implementation\"\nphases:\n  - id: \"design\"\n    name: \"Design\"\n    status: \"completed\"\n  - id: \"phase-2-implementation\"\n    name: \"Build\"\n    status: \"in_progress\"\n    agents: [\"coder\"]\n---\n",
        )
        .expect("parse");
        assert_eq!(
            summarize(&doc.frontmatter),
            "Maestro session s: status in_progress; phase phase-2-implementation/2 \"Build\" (in_progress), agent coder; retries 0; unresolved errors 0."
        );
    }
}
