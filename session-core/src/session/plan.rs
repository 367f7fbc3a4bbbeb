//! Reading the phases of a session from a plan file.
//!
//! Two shapes are accepted: YAML or JSON with `phases: [{name, agents, blocked_by, parallel}]`
//! (or a bare list of those), and a Markdown implementation plan whose phases are headings
//! `## Phase N: <name>` (any level from `##` to `####`), each optionally followed by a line
//! `Agent: coder` / `Agents: coder, tester` and `Depends on: 1, 2` (`**bold**` labels too).

use crate::error::{Error, Result};
use crate::session::model::PhaseId;
use crate::store::PhaseSpec;

/// The phases of the plan text `text` (from the file `name`, for messages).
pub fn parse_plan(name: &str, text: &str) -> Result<Vec<PhaseSpec>> {
    let phases = if text.lines().any(|l| is_phase_heading(l).is_some()) {
        markdown_phases(text)
    } else {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Plan {
            Wrapped { phases: Vec<PhaseSpec> },
            Bare(Vec<PhaseSpec>),
        }
        let plan: Plan = serde_saphyr::from_str(text)
            .map_err(|e| Error::Invalid(format!("plan {name}: {e}")))?;
        match plan {
            Plan::Wrapped { phases } | Plan::Bare(phases) => phases,
        }
    };
    if phases.is_empty() {
        return Err(Error::Invalid(format!("plan {name} names no phases")));
    }
    Ok(phases)
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
}
