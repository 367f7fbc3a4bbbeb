//! The Markdown body of a session file: Maestro's orchestration log. Each phase has a section
//! `## Phase N: <name> <mark>` (`◯` in progress, `✅` completed, `❌` failed) with its output,
//! files changed, downstream context and validation result.

use crate::session::lifecycle::PhaseStatus;
use crate::session::model::Phase;

/// The mark of a phase status in a section heading.
pub fn mark(status: PhaseStatus) -> &'static str {
    match status {
        PhaseStatus::Completed => "✅",
        PhaseStatus::Failed => "❌",
        PhaseStatus::Skipped => "⏭",
        PhaseStatus::Pending | PhaseStatus::InProgress => "◯",
    }
}

/// The title line of a new session's log.
pub fn title(task: &str) -> String {
    format!("# {task} Orchestration Log\n")
}

/// The heading line of `phase`'s section.
pub fn heading(phase: &Phase) -> String {
    format!(
        "## Phase {}: {} {}",
        phase.id,
        phase.name,
        mark(phase.status)
    )
}

/// The full section of a finished phase: output, files, downstream context, validation.
pub fn section(phase: &Phase, output: Option<&str>, validation: Option<&str>) -> String {
    let mut s = heading(phase);
    s.push('\n');
    let agents = if phase.agents.is_empty() {
        "agent".to_string()
    } else {
        phase.agents.join(", ")
    };
    s.push_str(&format!(
        "### {agents} Output\n{}\n",
        output
            .map(str::trim_end)
            .filter(|o| !o.is_empty())
            .unwrap_or("(no output recorded)")
    ));
    labelled_lists(
        &mut s,
        "Files Changed",
        &[
            ("Created", &phase.files_created),
            ("Modified", &phase.files_modified),
            ("Deleted", &phase.files_deleted),
        ],
    );
    labelled_lists(
        &mut s,
        "Downstream Context",
        &phase.downstream_context.titled(),
    );
    let default = if phase.status == PhaseStatus::Completed {
        "Pass"
    } else {
        "Fail"
    };
    s.push_str(&format!(
        "### Validation Result\n{}\n",
        validation
            .map(str::trim_end)
            .filter(|v| !v.is_empty())
            .unwrap_or(default)
    ));
    s
}

/// Appends `### <heading>` and a `- <label>: a, b` line per non-empty list; nothing when
/// every list is empty.
fn labelled_lists(s: &mut String, heading: &str, lists: &[(&str, &Vec<String>)]) {
    let lines: Vec<String> = lists
        .iter()
        .filter(|(_, list)| !list.is_empty())
        .map(|(label, list)| format!("- {label}: {}\n", list.join(", ")))
        .collect();
    if !lines.is_empty() {
        s.push_str(&format!("### {heading}\n"));
        s.extend(lines);
    }
}

/// Puts `section` (whose first line is a `## Phase N:` heading) in `body`: it replaces the
/// existing section of phase `id` (up to the next `## ` heading) or is appended.
pub fn upsert(body: &str, id: &crate::session::model::PhaseId, section: &str) -> String {
    let prefix = format!("## Phase {id}:");
    let lines: Vec<&str> = body.split_inclusive('\n').collect();
    if let Some(start) = lines.iter().position(|l| l.starts_with(&prefix)) {
        let end = lines[start + 1..]
            .iter()
            .position(|l| l.starts_with("## "))
            .map(|i| start + 1 + i)
            .unwrap_or(lines.len());
        let mut out: String = lines[..start].concat();
        out.push_str(section);
        if end < lines.len() {
            out.push('\n');
            out.push_str(&lines[end..].concat());
        }
        return out;
    }
    append_block(body, section)
}

/// Appends a one-line note (as a `> ` quote) to the log.
pub fn upsert_note(body: &str, note: &str) -> String {
    append_block(body, &format!("> {note}\n"))
}

/// Appends `block` to `body`, separated from what precedes it by one blank line.
fn append_block(body: &str, block: &str) -> String {
    let mut out = body.to_string();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    if !out.is_empty() && !out.ends_with("\n\n") {
        out.push('\n');
    }
    out.push_str(block);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::document::Document;
    use crate::session::model::SessionMetadata;

    const YAML: &str =
        include_str!("../../../../tests/fixtures/maestro-state/active-session.yaml.md");

    #[test]
    fn section_matches_the_maestro_fixture() {
        let doc = Document::parse(YAML).expect("parse");
        let meta = SessionMetadata::from_frontmatter(&doc.frontmatter).expect("typed");
        let mut phase = meta.phases[0].clone();
        phase.downstream_context.patterns_established.clear();
        phase.downstream_context.integration_points.clear();
        phase.downstream_context.assumptions.clear();
        let s = section(
            &phase,
            Some("Token model designed; see docs/auth-model.md."),
            Some("Pass"),
        );
        assert!(doc.body.contains(&s), "{s}");
    }

    #[test]
    fn upsert_replaces_placeholder_or_appends() {
        let body = "# T Orchestration Log\n\n## Phase 1: A ✅\nx\n\n## Phase 2: B ◯\n";
        let out = upsert(
            body,
            &crate::session::model::PhaseId::Number(2),
            "## Phase 2: B ✅\ndone\n",
        );
        assert_eq!(
            out,
            "# T Orchestration Log\n\n## Phase 1: A ✅\nx\n\n## Phase 2: B ✅\ndone\n"
        );
        let out = upsert(
            body,
            &crate::session::model::PhaseId::Number(1),
            "## Phase 1: A ❌\nno\n",
        );
        assert_eq!(
            out,
            "# T Orchestration Log\n\n## Phase 1: A ❌\nno\n\n## Phase 2: B ◯\n"
        );
        let out = upsert(
            "# T Orchestration Log\n",
            &crate::session::model::PhaseId::Number(3),
            "## Phase 3: C ◯\n",
        );
        assert_eq!(out, "# T Orchestration Log\n\n## Phase 3: C ◯\n");
        assert_eq!(
            upsert(
                "",
                &crate::session::model::PhaseId::Number(1),
                "## Phase 1: A ◯\n"
            ),
            "## Phase 1: A ◯\n"
        );
    }
}
