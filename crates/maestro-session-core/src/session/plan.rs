//! Reading the phases of a session from a plan file.
//!
//! Two shapes are accepted: YAML or JSON with `phases: [{name, agents, blocked_by, parallel}]`
//! (or a bare list of those), and a Markdown implementation plan whose phases are headings
//! `## Phase N: <name>` (any level from `##` to `####`), each optionally followed by a line
//! `Agent: coder` / `Agents: coder, tester` and `Depends on: 1, 2` (`**bold**` labels too).
//!
//! A YAML or JSON plan whose phases name their agent as `agent` (one name) is a Maestro 1.6
//! plan (`validate_plan`'s and `create_session`'s phase items): it is held to Maestro's phase
//! contract ([`crate::session::plan_schema`]: `id`, `name`, `agent`, `parallel`, `blocked_by`
//! in every phase, each of its type), and `agent` is the phase's one agent. A phase may not
//! give both `agent` and `agents`.

use serde_json::Value;

use crate::error::{Error, Result};
use crate::session::model::PhaseId;
use crate::session::phase_spec::PhaseSpec;
use crate::session::plan_schema;

/// The phases of the plan text `text` (from the file `name`, for messages).
///
/// Errors: [`Error::Invalid`] naming the file, the 1-based line and column where the YAML or
/// JSON is wrong and what was expected there (`plan p.yaml:3:13: phases[0].agents: expected a
/// list of agent names, found the number 5`), or that the plan names no phases.
pub fn parse_plan(name: &str, text: &str) -> Result<Vec<PhaseSpec>> {
    let phases = if text.lines().any(|l| is_phase_heading(l).is_some()) {
        markdown_phases(text)
    } else {
        structured_phases(name, text)?
    };
    if phases.is_empty() {
        return Err(Error::Invalid(format!(
            "plan {name} names no phases: expected a YAML or JSON list of phases (or a mapping \
             with `phases:`), or Markdown headings `## Phase N: <name>`"
        )));
    }
    if let Some(i) = phases.iter().position(|p| p.name.trim().is_empty()) {
        return Err(Error::Invalid(format!(
            "plan {name}: phase {} has no name: expected `name: <text>`",
            i + 1
        )));
    }
    Ok(phases)
}

/// A YAML or JSON plan: a list of phases, or a mapping whose `phases` is that list. The text
/// is read as a tree first (syntax errors), its shape checked, then the phases read with their
/// types; a wrong field is named by its path, where it is, and what it should be.
fn structured_phases(name: &str, text: &str) -> Result<Vec<PhaseSpec>> {
    #[derive(serde::Deserialize)]
    struct Wrapped {
        phases: Vec<PhaseSpec>,
    }
    let tree: Value = serde_saphyr::from_str(text).map_err(|e| {
        let plain = e.without_snippet().to_string();
        Error::Invalid(format!(
            "plan {name}{}: {}",
            position(&e),
            strip_position(&plain)
        ))
    })?;
    let tree = maestro_items(name, tree)?;
    match &tree {
        Value::Array(_) => serde_path_to_error::deserialize::<_, Vec<PhaseSpec>>(tree.clone())
            .map_err(|e| {
                field_error(name, &tree, e.path(), || {
                    serde_saphyr::from_str::<Vec<PhaseSpec>>(text).err()
                })
            }),
        Value::Object(map) if map.contains_key("phases") => {
            serde_path_to_error::deserialize::<_, Wrapped>(tree.clone())
                .map(|w| w.phases)
                .map_err(|e| {
                    field_error(name, &tree, e.path(), || {
                        serde_saphyr::from_str::<Wrapped>(text).err()
                    })
                })
        }
        other => Err(Error::Invalid(format!(
            "plan {name}:1:1: expected a list of phases or a mapping with `phases:`, found {}",
            describe(Some(other))
        ))),
    }
}

/// A plan in Maestro 1.6's shape (a phase with `agent`) checked against Maestro's phase
/// contract, its `agent` made the phase's `agents`; any other plan as it is.
///
/// Errors: [`Error::Invalid`] naming the plan and every violation, or a phase giving both
/// `agent` and `agents`.
fn maestro_items(name: &str, mut tree: Value) -> Result<Value> {
    let items = match &mut tree {
        Value::Array(items) => items,
        Value::Object(map) => match map.get_mut("phases") {
            Some(Value::Array(items)) => items,
            _ => return Ok(tree),
        },
        _ => return Ok(tree),
    };
    let maestro = items
        .iter()
        .any(|p| p.as_object().is_some_and(|o| o.contains_key("agent")));
    if !maestro {
        return Ok(tree);
    }
    let violations = plan_schema::validate(&Value::Array(items.clone()));
    if !violations.is_empty() {
        let described: Vec<String> = violations.iter().map(|v| v.describe()).collect();
        return Err(Error::Invalid(format!(
            "plan {name} is a Maestro 1.6 plan (its phases name an `agent`) and breaks Maestro's phase contract (every phase holds id, name, agent, parallel, blocked_by): {}",
            described.join("; ")
        )));
    }
    for (i, item) in items.iter_mut().enumerate() {
        let Some(o) = item.as_object_mut() else {
            continue;
        };
        if o.contains_key("agents") {
            return Err(Error::Invalid(format!(
                "plan {name}: phases[{i}] gives both `agent` and `agents`; give one"
            )));
        }
        if let Some(agent) = o.remove("agent") {
            o.insert("agents".into(), Value::Array(vec![agent]));
        }
    }
    Ok(tree)
}

/// `:<line>:<column>` of a YAML error, when it has a position.
fn position(e: &serde_saphyr::Error) -> String {
    e.location()
        .filter(|l| l.line() > 0)
        .map(|l| format!(":{}:{}", l.line(), l.column().max(1)))
        .unwrap_or_default()
}

/// The parser's message without its ` at line L, column C` (given before it instead).
fn strip_position(message: &str) -> &str {
    message
        .rfind(" at line ")
        .map_or(message, |i| &message[..i])
        .trim()
}

/// The error of a field of the wrong type: `plan <name>:<line>:<column>: <path>: expected
/// <what the field holds>, found <what is there>`. The position is the YAML parser's, from
/// reading the same text into the same types (`located`).
fn field_error(
    name: &str,
    tree: &Value,
    path: &serde_path_to_error::Path,
    located: impl FnOnce() -> Option<serde_saphyr::Error>,
) -> Error {
    use serde_path_to_error::Segment;
    let mut at = Some(tree);
    let mut field = None;
    for segment in path.iter() {
        at = match segment {
            Segment::Seq { index } => at.and_then(|v| v.get(*index)),
            Segment::Map { key } => {
                field = Some(key.as_str());
                at.and_then(|v| v.get(key))
            }
            Segment::Enum { .. } | Segment::Unknown => at,
        };
        if matches!(segment, Segment::Seq { .. }) && field == Some("blocked_by") {
            field = Some("blocked_by[]");
        }
    }
    let expected = match field {
        Some("phases") | None => "a list of phases, each a mapping with `name`",
        Some("name") => "text",
        Some("agents") => "a list of agent names",
        Some("blocked_by") => "a list of phase ids (numbers or names)",
        Some("blocked_by[]") | Some("id") => "a phase id (a number or a name)",
        Some("parallel") => "true or false",
        Some("planned_files") | Some("files") => "a list of file paths",
        Some(_) => "a value of another type",
    };
    let path = path.to_string();
    let path = path.trim_start_matches('.');
    let position = located().map(|e| position(&e)).unwrap_or_default();
    let label = if path.is_empty() {
        String::new()
    } else {
        format!("{path}: ")
    };
    Error::Invalid(format!(
        "plan {name}{position}: {label}expected {expected}, found {}",
        describe(at)
    ))
}

/// A plan value in words (`the number 5`, `a mapping`).
fn describe(value: Option<&Value>) -> String {
    match value {
        None => "nothing".into(),
        Some(Value::Null) => "nothing (null)".into(),
        Some(Value::Bool(b)) => format!("the boolean {b}"),
        Some(Value::Number(n)) => format!("the number {n}"),
        Some(Value::String(s)) => format!("the text {s:?}"),
        Some(Value::Array(_)) => "a list".into(),
        Some(Value::Object(_)) => "a mapping".into(),
    }
}

fn is_phase_heading(line: &str) -> Option<String> {
    let line = line.trim();
    let hashes = line.bytes().take_while(|&b| b == b'#').count();
    if !(2..=4).contains(&hashes) {
        return None;
    }
    let rest = line[hashes..].trim_start();
    let rest = rest
        .strip_prefix("Phase ")
        .or_else(|| rest.strip_prefix("phase "))?;
    let (num, name) = rest.split_once(':')?;
    num.trim().parse::<u32>().ok()?;
    Some(name.trim().to_string())
}

fn markdown_phases(text: &str) -> Vec<PhaseSpec> {
    let mut phases: Vec<PhaseSpec> = Vec::new();
    for line in text.lines() {
        if let Some(name) = is_phase_heading(line) {
            phases.push(PhaseSpec {
                name,
                ..Default::default()
            });
            continue;
        }
        let Some(phase) = phases.last_mut() else {
            continue;
        };
        let clean = line
            .trim()
            .trim_start_matches(['-', '*', ' '])
            .replace("**", "");
        let Some((label, value)) = clean.split_once(':') else {
            continue;
        };
        match label.trim().to_ascii_lowercase().as_str() {
            "agent" | "agents" => {
                phase.agents = value
                    .split(',')
                    .map(|a| a.trim().trim_matches('`').to_string())
                    .filter(|a| !a.is_empty())
                    .collect();
            }
            "depends on" | "blocked by" => {
                let ids: Vec<PhaseId> = value
                    .split(',')
                    .map(|v| v.trim().trim_start_matches("Phase ").trim())
                    .filter(|v| !v.is_empty())
                    .map(PhaseId::parse)
                    .collect();
                phase.blocked_by = Some(ids);
            }
            "parallel" => {
                phase.parallel = value.trim().eq_ignore_ascii_case("true")
                    || value.trim().eq_ignore_ascii_case("yes")
            }
            _ => {}
        }
    }
    phases
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_json_and_markdown_plans() {
        let yaml = "phases:\n  - name: Design\n    agents: [architect]\n  - name: Build\n    agents: [coder]\n    blocked_by: [1]\n";
        let p = parse_plan("p.yaml", yaml).expect("yaml");
        assert_eq!(p.len(), 2);
        assert_eq!(p[1].blocked_by, Some(vec![PhaseId::Number(1)]));
        let json = r#"[{"name": "Only", "agents": ["tester"], "parallel": true}]"#;
        assert!(parse_plan("p.json", json).expect("json")[0].parallel);
        let md = "# Plan\n\n## Phase 1: Design the model\n**Agent**: architect\n\n## Phase 2: Build it\n- **Agents**: coder, tester\n- Depends on: 1\n";
        let p = parse_plan("plan.md", md).expect("md");
        assert_eq!(p[0].name, "Design the model");
        assert_eq!(p[0].agents, vec!["architect"]);
        assert_eq!(p[1].agents, vec!["coder", "tester"]);
        assert_eq!(p[1].blocked_by, Some(vec![PhaseId::Number(1)]));
        assert!(parse_plan("empty.md", "# nothing\n").is_err());
    }

    /// A plan in Maestro 1.6's shape (the `validate_plan` round trip of Maestro 1.6.4's
    /// `tests/integration/plan-contract.test.js`): `agent` is the phase's agent, ids and
    /// `blocked_by` as given, `files` the planned files.
    #[test]
    fn a_maestro_plan_is_read_with_its_agent() {
        let json = r#"{"phases": [
            {"id": 1, "name": "Scaffold", "agent": "coder", "parallel": false, "blocked_by": [],
             "files": ["src/foo.js"]},
            {"id": 2, "name": "Test", "agent": "tester", "parallel": true, "blocked_by": [1],
             "files": ["tests/foo.test.js"]}]}"#;
        let p = parse_plan("plan.json", json).expect("maestro plan");
        assert_eq!(p[0].agents, vec!["coder"]);
        assert_eq!(p[0].blocked_by, Some(vec![]));
        assert_eq!(p[0].planned_files, vec!["src/foo.js"]);
        assert_eq!(p[1].agents, vec!["tester"]);
        assert_eq!(p[1].blocked_by, Some(vec![PhaseId::Number(1)]));
        assert!(p[1].parallel);
    }

    /// Maestro 1.6.4 `tests/unit/plan-schema.test.js` "reports missing required fields with the
    /// offending phase id" and "rejects non-string agent values", through a plan file.
    #[test]
    fn a_maestro_plan_breaking_the_contract_is_refused_naming_every_fault() {
        let yaml = "phases:
  - {id: p1, name: A, agent: coder, parallel: false, blocked_by: []}
  - {id: p2, name: B, agent: 42, blocked_by: [p1]}
";
        let e = parse_plan("p.yaml", yaml)
            .expect_err("contract")
            .to_string();
        assert!(e.starts_with("plan p.yaml is a Maestro 1.6 plan"), "{e}");
        assert!(
            e.contains("phases[1].parallel is missing (phase \"p2\")")
                && e.contains("phases[1].agent must be a non-empty string, not 42"),
            "{e}"
        );
        let both =
            "- {id: 1, name: A, agent: coder, agents: [tester], parallel: false, blocked_by: []}
";
        let e = parse_plan("p.yaml", both).expect_err("both").to_string();
        assert_eq!(
            e,
            "plan p.yaml: phases[0] gives both `agent` and `agents`; give one"
        );
        // A plan in our shape keeps its own rules: agents optional, blocked_by chains.
        let ours = "- name: A\n- name: B\n  agents: [coder]\n";
        assert_eq!(
            parse_plan("p.yaml", ours).expect("ours")[1].blocked_by,
            None
        );
    }

    #[test]
    fn errors_name_file_line_column_and_expectation() {
        for (text, want) in [
            (
                "phases:\n  - name: Design\n    agents: 5\n",
                "plan p.yaml:3:13: phases[0].agents: expected a list of agent names, found the number 5",
            ),
            (
                "phases:\n  - name: Design\n    parallel: maybe\n",
                "plan p.yaml:3:15: phases[0].parallel: expected true or false, found the text \"maybe\"",
            ),
            (
                "phases:\n  - name: [Design\n",
                "plan p.yaml:2:11: unclosed bracket '['",
            ),
            (
                "[{\"name\": \"x\", \"agents\": {}}]",
                "plan p.yaml:1:26: [0].agents: expected a list of agent names, found a mapping",
            ),
            (
                "just text",
                "plan p.yaml:1:1: expected a list of phases or a mapping with `phases:`, found the text \"just text\"",
            ),
            (
                "phases:\n  - name: A\n    blocked_by: [{x: 1}]\n",
                "plan p.yaml:3:18: phases[0].blocked_by[0]: expected a phase id (a number or a name), found a mapping",
            ),
            (
                "- agents: [coder]\n",
                "plan p.yaml: phase 1 has no name: expected `name: <text>`",
            ),
        ] {
            let e = parse_plan("p.yaml", text).expect_err(text);
            assert_eq!(e.to_string(), want, "{text:?}");
            assert!(!e.to_string().contains("PhaseId"), "no type names");
        }
    }
}
