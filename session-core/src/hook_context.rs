//! The short factual summary BeforeAgent gives the model about the active session.
//!
//! Read from the parsed frontmatter (YAML or JSON), leniently: a field that is missing or of
//! an unexpected type is left out rather than failing the turn. Shape:
//! `Maestro session <id>: status <status>; phase <n>/<total> "<name>" (<status>), agent <a>;
//! retries <r>; unresolved errors <e>.`

use serde_json::{Map, Value};

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
    let total = front
        .get("total_phases")
        .and_then(number)
        .unwrap_or(phases.len() as u64);
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
    use crate::document::Document;

    const YAML: &str = include_str!("../../tests/fixtures/maestro-state/active-session.yaml.md");
    const JSON: &str = include_str!("../../tests/fixtures/maestro-state/active-session.json.md");

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
