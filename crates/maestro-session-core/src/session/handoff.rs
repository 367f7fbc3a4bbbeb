//! Checking a sub-agent's handoff report (Maestro's delegation protocol): the response must
//! carry a `Task Report` heading and a `Downstream Context` heading, each as a `#` or `##`
//! heading, matched case-insensitively at the start of the heading text.

/// The two sections a handoff report must carry.
pub const SECTIONS: [&str; 2] = ["Task Report", "Downstream Context"];

/// The sections from [`SECTIONS`] that `response` lacks, in order.
pub fn missing_sections(response: &str) -> Vec<&'static str> {
    SECTIONS
        .iter()
        .copied()
        .filter(|section| !has_heading(response, section))
        .collect()
}

fn has_heading(text: &str, section: &str) -> bool {
    text.lines().any(|line| {
        let line = line.trim_start();
        let hashes = line.bytes().take_while(|&b| b == b'#').count();
        if !(1..=2).contains(&hashes) {
            return false;
        }
        let rest = &line[hashes..];
        if !rest.starts_with([' ', '\t']) {
            return false;
        }
        let title = rest.trim();
        title.len() >= section.len()
            && title.is_char_boundary(section.len())
            && title[..section.len()].eq_ignore_ascii_case(section)
    })
}

/// The deny reason for a report lacking `missing` (non-empty), as Gemini CLI re-prompts it.
pub fn deny_reason(missing: &[&str]) -> String {
    let what = match missing {
        [one] => format!("Missing {one} section"),
        _ => format!("Missing {} sections", missing.join(" and ")),
    };
    format!(
        "Handoff report validation failed: {what}. Please include both a ## Task Report section and a ## Downstream Context section in your response."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_present_in_either_level() {
        assert!(missing_sections("## Task Report\nx\n\n## Downstream Context\n- a\n").is_empty());
        assert!(missing_sections("# task report: phase 2\n#\tDownstream Context\n").is_empty());
    }

    #[test]
    fn missing_ones_are_named() {
        assert_eq!(
            missing_sections("## Task Report\nImplemented the parser.\n"),
            vec!["Downstream Context"]
        );
        assert_eq!(
            missing_sections("### Task Report\n###Downstream Context\nTask Report"),
            vec!["Task Report", "Downstream Context"]
        );
        assert_eq!(
            missing_sections("##Task Report\n## Downstream Context"),
            vec!["Task Report"]
        );
        assert_eq!(
            deny_reason(&["Downstream Context"]),
            "Handoff report validation failed: Missing Downstream Context section. Please include both a ## Task Report section and a ## Downstream Context section in your response."
        );
        assert!(
            deny_reason(&SECTIONS).contains("Missing Task Report and Downstream Context sections.")
        );
    }
}
