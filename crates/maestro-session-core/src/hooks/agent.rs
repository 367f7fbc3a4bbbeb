//! Detecting which specialist agent a prompt delegates to (Maestro's agent roster).
//!
//! Order: a line `agent: <name>` in the prompt, then `$MAESTRO_CURRENT_AGENT`, then the first
//! delegation phrase: `delegate|transfer|hand off|handoff|dispatch|invoke` (`to`) (`the`)
//! `<agent>`, or `@<agent>`. Matching is case-insensitive and treats `_` and `-` alike; a
//! casual mention ("you are the tester") is not a delegation. Only known agents are detected:
//! Maestro's roster ([`roster::MAESTRO_AGENTS`]) plus any named in `$MAESTRO_AGENTS`
//! (comma-separated).
//!
//! Who is held to the handoff report is a separate rule, [`is_specialist`]: Maestro's roster,
//! the agents the active session's phases name, plus a configured list
//! ([`EnvVars::MAESTRO_SPECIALISTS`]). Runtimes bring agents of their own (Claude Code's
//! built-in `Explore`, `Plan`, `general-purpose`, Codex's `default`) whose answers the lead
//! needs as they are; they are never checked ([`roster::is_runtime_builtin`], applied by the
//! hooks, which know the runtime).
//!
//! Text between `<session-state>` and `</session-state>` tags is not read: it is a session file
//! that a command such as `/maestro:status` put in the prompt, whose error records
//! (`agent: coder`) and log ("delegate to coder") quote agents without delegating to them.

use std::borrow::Cow;

use std::path::Path;

use crate::env::Env;
use crate::env_vars::EnvVars;
use crate::hooks::roster;
use crate::session::agent_name::is_valid as is_name;
use crate::session::agent_name::normalize;
use crate::workspace::dotenv;

/// The tags around a session file that a command injected into a prompt.
const STATE_OPEN: &str = "<session-state>";
const STATE_CLOSE: &str = "</session-state>";

/// Agents whose turns are the lead's own, never checked for a handoff report.
pub const LEAD_AGENTS: &[&str] = &["techlead", "orchestrator"];

const VERBS: &[&str] = &[
    "delegate", "transfer", "hand off", "hand_off", "handoff", "dispatch", "invoke",
];

/// The agents a prompt may delegate to.
#[derive(Debug, Clone)]
pub struct Roster {
    extra: Vec<String>,
}

impl Roster {
    /// The built-in roster plus `$MAESTRO_AGENTS` from `env`.
    pub fn from_env(env: &Env) -> Roster {
        let extra = env
            .get(EnvVars::MAESTRO_AGENTS)
            .map(|list| name_list(&list))
            .unwrap_or_default();
        Roster { extra }
    }

    /// The canonical name of `candidate` if it is a known agent.
    pub fn lookup(&self, candidate: &str) -> Option<String> {
        let name = normalize(candidate);
        let known = roster::is_maestro_agent(&name) || self.extra.contains(&name);
        known.then_some(name)
    }
}

/// Whether `agent`'s report is held to the handoff format (DESIGN 4: only Maestro specialists
/// are): an agent of Maestro's roster ([`roster::MAESTRO_AGENTS`]), with or without an active
/// session; one of `session_agents`, the agents named in the active session's phases (`None`:
/// no active session); or one of the extra specialists of [`EnvVars::MAESTRO_SPECIALISTS`],
/// which `configured` gives and which is called only when neither names the agent (it may read
/// a file). The lead agents ([`LEAD_AGENTS`]) are never checked; a runtime's built-in agents
/// are excluded by the caller ([`roster::is_runtime_builtin`]).
///
/// Both hook paths call this: Claude Code's SubagentStop (the agent is the payload's
/// `agent_type`, e.g. `coder`, or the built-in `Explore`, which Claude Code 2.1.330 sends as
/// it is named) and Gemini CLI's AfterAgent (the agent BeforeAgent detected).
///
/// # Errors
/// Whatever `configured` returns (an unreadable `.env`).
pub fn is_specialist(
    agent: &str,
    session_agents: Option<&[String]>,
    configured: impl FnOnce() -> crate::Result<Vec<String>>,
) -> crate::Result<bool> {
    let name = normalize(agent);
    if !is_name(&name) || LEAD_AGENTS.contains(&name.as_str()) {
        return Ok(false);
    }
    let in_session = session_agents.is_some_and(|s| s.iter().any(|a| normalize(a) == name));
    Ok(roster::is_maestro_agent(&name) || in_session || configured()?.contains(&name))
}

/// The extra specialists: [`EnvVars::MAESTRO_SPECIALISTS`] from `env`, else from `<project_root>/.env`;
/// empty when neither sets it.
///
/// # Errors
/// An unreadable or unparsable `<project_root>/.env` (see [`dotenv::lookup`]).
pub fn configured_specialists(env: &Env, project_root: &Path) -> crate::Result<Vec<String>> {
    let list = match env.get(EnvVars::MAESTRO_SPECIALISTS) {
        Some(list) => Some(list),
        None => dotenv::lookup(&project_root.join(".env"), EnvVars::MAESTRO_SPECIALISTS)?,
    };
    Ok(list.map(|list| name_list(&list)).unwrap_or_default())
}

/// The agent names in a comma-separated list, normalized; entries that are not agent names
/// (empty, over 64 bytes, characters other than letters, digits, `_` and `-`) are dropped.
pub fn name_list(list: &str) -> Vec<String> {
    list.split(',')
        .map(normalize)
        .filter(|n| is_name(n))
        .collect()
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The agent `prompt` delegates to, by the rules in the module docs.
pub fn detect(prompt: &str, env: &Env, roster: &Roster) -> Option<String> {
    let prompt = &*without_session_state(prompt);
    explicit_line(prompt, roster)
        .or_else(|| {
            env.get(EnvVars::MAESTRO_CURRENT_AGENT)
                .and_then(|a| roster.lookup(&a))
        })
        .or_else(|| delegation_phrase(prompt, roster))
}

/// `prompt` less every `<session-state>` block, tags included; an unclosed block runs to the
/// end of the prompt.
fn without_session_state(prompt: &str) -> Cow<'_, str> {
    if !prompt.contains(STATE_OPEN) {
        return Cow::Borrowed(prompt);
    }
    let mut kept = String::with_capacity(prompt.len());
    let mut rest = prompt;
    while let Some(open) = rest.find(STATE_OPEN) {
        kept.push_str(&rest[..open]);
        let inside = &rest[open + STATE_OPEN.len()..];
        match inside.find(STATE_CLOSE) {
            Some(close) => rest = &inside[close + STATE_CLOSE.len()..],
            None => return Cow::Owned(kept),
        }
    }
    kept.push_str(rest);
    Cow::Owned(kept)
}

fn explicit_line(prompt: &str, roster: &Roster) -> Option<String> {
    prompt.lines().find_map(|line| {
        let line = line.trim();
        let (key, value) = line.split_once(':')?;
        if !key.trim().eq_ignore_ascii_case("agent") {
            return None;
        }
        roster.lookup(
            value
                .trim()
                .trim_matches(|c| c == '`' || c == '*' || c == '"'),
        )
    })
}

fn delegation_phrase(prompt: &str, roster: &Roster) -> Option<String> {
    let text = normalize(prompt);
    let bytes = text.as_bytes();
    let mut best: Option<(usize, String)> = None;
    let mut consider = |pos: usize, name: String| {
        if best.as_ref().is_none_or(|(p, _)| pos < *p) {
            best = Some((pos, name));
        }
    };
    for verb in VERBS {
        let mut from = 0;
        while let Some(found) = text[from..].find(verb) {
            let start = from + found;
            let end = start + verb.len();
            from = end;
            if start > 0 && is_word_byte(bytes[start - 1]) {
                continue;
            }
            if end < bytes.len() && is_word_byte(bytes[end]) {
                continue;
            }
            let mut rest = text[end..].trim_start();
            for filler in ["to", "the"] {
                if let Some(after) = rest.strip_prefix(filler)
                    && after.starts_with(|c: char| c.is_whitespace())
                {
                    rest = after.trim_start();
                }
            }
            if let Some(name) = leading_word(rest).and_then(|w| roster.lookup(w)) {
                consider(start, name);
            }
        }
    }
    for (at, _) in text.match_indices('@') {
        if at > 0 && is_word_byte(bytes[at - 1]) {
            continue;
        }
        if let Some(name) = leading_word(&text[at + 1..]).and_then(|w| roster.lookup(w)) {
            consider(at, name);
        }
    }
    best.map(|(_, name)| name)
}

fn leading_word(s: &str) -> Option<&str> {
    let end = s.bytes().position(|b| !is_word_byte(b)).unwrap_or(s.len());
    (end > 0).then(|| &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect_plain(prompt: &str) -> Option<String> {
        detect(prompt, &Env::default(), &Roster::from_env(&Env::default()))
    }

    #[test]
    fn positives() {
        let cases = [
            ("delegate to coder: implement phase 2 (the parser)", "coder"),
            ("Delegate to the Tester now", "tester"),
            ("please hand off to code-reviewer", "code_reviewer"),
            ("Hand-off to the architect", "architect"),
            ("handoff security_engineer", "security_engineer"),
            ("dispatch the DEBUGGER", "debugger"),
            ("invoke technical-writer for docs", "technical_writer"),
            ("transfer to data_engineer", "data_engineer"),
            (
                "ask @performance-engineer to profile",
                "performance_engineer",
            ),
            ("(@refactor)", "refactor"),
            ("context\nagent: api_designer\nmore", "api_designer"),
            ("Agent:  DevOps-Engineer", "devops_engineer"),
            ("first @tester then delegate to coder", "tester"),
        ];
        for (prompt, want) in cases {
            assert_eq!(detect_plain(prompt).as_deref(), Some(want), "{prompt}");
        }
    }

    #[test]
    fn negatives() {
        for prompt in [
            "you are the tester",
            "the coder wrote this",
            "delegated to coder yesterday",
            "redelegate to coder",
            "delegate to coders",
            "delegate to the team",
            "email me at someone@coder",
            "Handoff report validation failed: Missing Downstream Context section.",
            "agent: nobody",
            "",
        ] {
            assert_eq!(detect_plain(prompt), None, "{prompt}");
        }
    }

    #[test]
    fn a_session_file_injected_by_a_command_is_not_a_delegation() {
        let state = "<session-state>\n---\nerrors:\n  - timestamp: x\n    agent: coder\n---\n\
                     delegate to tester\n</session-state>";
        assert_eq!(
            detect_plain(&format!("Report the session.\n{state}\nBe brief.")),
            None
        );
        assert_eq!(
            detect_plain(&format!("{state}\n{state}\ndelegate to architect")).as_deref(),
            Some("architect")
        );
        assert_eq!(
            detect_plain("agent: debugger\n<session-state>\nagent: coder").as_deref(),
            Some("debugger")
        );
        assert_eq!(detect_plain("<session-state>\nagent: coder"), None);
        assert_eq!(
            detect_plain("</session-state> @refactor").as_deref(),
            Some("refactor")
        );
    }

    #[test]
    fn order_line_then_env_then_phrase_and_extra_agents() {
        let env = Env::from_pairs([
            (EnvVars::MAESTRO_CURRENT_AGENT, "debugger"),
            (EnvVars::MAESTRO_AGENTS, "ux-designer, qa"),
        ]);
        let roster = Roster::from_env(&env);
        assert_eq!(
            detect("delegate to coder", &env, &roster).as_deref(),
            Some("debugger")
        );
        assert_eq!(
            detect("agent: tester\ndelegate to coder", &env, &roster).as_deref(),
            Some("tester")
        );
        let env2 = Env::from_pairs([(EnvVars::MAESTRO_AGENTS, "ux-designer, qa")]);
        assert_eq!(
            detect("delegate to the UX_Designer", &env2, &roster).as_deref(),
            Some("ux_designer")
        );
        assert_eq!(detect("@qa please", &env2, &roster).as_deref(), Some("qa"));
        let bogus = Env::from_pairs([(EnvVars::MAESTRO_CURRENT_AGENT, "../../etc")]);
        assert_eq!(detect("hello", &bogus, &roster), None);
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn specialists_are_the_roster_the_session_agents_and_the_configured_ones() {
        let session = names(&["architect", "Code-Reviewer", "coder", "ux-researcher"]);
        let none = || Ok(Vec::new());
        let is = |agent: &str, session: Option<&[String]>, configured: &dyn Fn() -> Vec<String>| {
            is_specialist(agent, session, || Ok(configured())).expect("no settings error")
        };
        // Named in the session's phases, however spelled.
        for agent in [
            "coder",
            "CODER",
            "code_reviewer",
            "code-reviewer",
            " architect ",
            "UX_Researcher",
        ] {
            assert!(
                is_specialist(agent, Some(&session), none).expect("ok"),
                "{agent}"
            );
        }
        // Maestro's roster, with or without a session, in the plan or not (the regression of
        // issue 16: a roster agent not yet in the plan, or before any session, passed).
        for agent in ["tester", "Technical-Writer", "db2_dba", "coder"] {
            assert!(is(agent, Some(&session), &Vec::new), "{agent}");
            assert!(is(agent, None, &|| unreachable!("not read")), "{agent}");
        }
        // A phase agent outside the roster counts only while its session is active.
        assert!(!is("ux_researcher", None, &Vec::new));
        // Claude Code's and Codex's own agents are not Maestro specialists (the hooks also
        // exclude them by runtime, even when configured).
        for agent in ["Explore", "Plan", "general-purpose", "default", "", "../x"] {
            assert!(
                !is_specialist(agent, Some(&session), none).expect("ok"),
                "{agent}"
            );
        }
        // The configured list adds to the session's agents, with or without a session.
        assert!(is("qa", Some(&session), &|| names(&["qa", "tester"])));
        assert!(is("qa", None, &|| names(&["qa"])));
        // The lead is never checked, even when a phase or the setting names it.
        let lead = names(&["techlead", "orchestrator"]);
        assert!(!is("techlead", Some(&lead), &|| lead.clone()));
        // The configuration is read only when neither the roster nor the session names it.
        assert!(is("ux_researcher", Some(&session), &|| unreachable!(
            "not read"
        )));
        // An unreadable setting is an error, not an empty list.
        let err = is_specialist("qa", Some(&session), || {
            Err(crate::Error::Invalid("unreadable .env".into()))
        });
        assert!(err.is_err());
    }

    #[test]
    fn configured_specialists_from_env_then_project_dotenv() {
        let t = tempfile::tempdir().expect("tmp");
        assert!(
            configured_specialists(&Env::default(), t.path())
                .expect("no .env")
                .is_empty()
        );
        #[allow(clippy::disallowed_methods)] // test fixture
        std::fs::write(
            t.path().join(".env"),
            format!(
                "{}=\"ux-designer, qa, ../bad,\"\n",
                EnvVars::MAESTRO_SPECIALISTS
            ),
        )
        .expect("write");
        assert_eq!(
            configured_specialists(&Env::default(), t.path()).expect("reads"),
            names(&["ux_designer", "qa"])
        );
        let env = Env::from_pairs([(EnvVars::MAESTRO_SPECIALISTS, "Reviewer")]);
        assert_eq!(
            configured_specialists(&env, t.path()).expect("env"),
            names(&["reviewer"])
        );
    }
}
