//! The agents known by name: Maestro's roster of specialists, and the agents each runtime
//! brings of its own.
//!
//! Who is held to the handoff report ([`super::agent::is_specialist`]): an agent of Maestro's
//! roster ([`MAESTRO_AGENTS`]), an agent the active session's phases name, or one
//! `MAESTRO_SPECIALISTS` names; never a runtime's built-in agent ([`is_runtime_builtin`]),
//! whose answer the lead needs as it is, and never the lead itself. Names are compared
//! normalized ([`normalize`]: `Code-Reviewer` is `code_reviewer`).

use crate::hooks::payload::Runtime;
use crate::hooks::qwen;
use crate::session::agent_name::normalize;

/// Maestro's roster: the names of the 39 agent files of Maestro 1.6.4's `agents/` folder
/// (`agents/<name>.md`; the same agents as `claude/agents/<name-with-dashes>.md` and
/// `src/generated/agent-registry.json`, from which its `KNOWN_AGENTS` are built). Maestro
/// 1.2.1's twelve are among them. Source: josstei/maestro-orchestrate, tag `v1.6.4`.
pub const MAESTRO_AGENTS: [&str; 39] = [
    "accessibility_specialist",
    "analytics_engineer",
    "api_designer",
    "architect",
    "cloud_architect",
    "cobol_engineer",
    "code_reviewer",
    "coder",
    "compliance_reviewer",
    "content_strategist",
    "copywriter",
    "data_engineer",
    "database_administrator",
    "db2_dba",
    "debugger",
    "design_system_engineer",
    "devops_engineer",
    "hlasm_assembler_specialist",
    "i18n_specialist",
    "ibm_i_specialist",
    "integration_engineer",
    "ml_engineer",
    "mlops_engineer",
    "mobile_engineer",
    "observability_engineer",
    "performance_engineer",
    "platform_engineer",
    "product_manager",
    "prompt_engineer",
    "refactor",
    "release_manager",
    "security_engineer",
    "seo_specialist",
    "site_reliability_engineer",
    "solutions_architect",
    "technical_writer",
    "tester",
    "ux_designer",
    "zos_sysprog",
];

/// Claude Code's built-in agent types, as its `Agent` tool's `subagent_type` (and SubagentStart
/// and SubagentStop's `agent_type`) spell them: `general-purpose`, `Explore` and `Plan`
/// (Claude Code 2.1.330, recorded in `tests/fixtures/claude-code/`), the setup helpers
/// `statusline-setup` and `output-style-setup`, `claude-code-guide`, and `fork` (the lead's
/// own context forked).
pub const CLAUDE_CODE_BUILTIN_AGENTS: [&str; 7] = [
    "general-purpose",
    "Explore",
    "Plan",
    "statusline-setup",
    "output-style-setup",
    "claude-code-guide",
    "fork",
];

/// Codex's built-in agent roles (`spawn_agent`'s `agent_type`; Codex 0.169 sends `default`
/// when no role is given or configured, recorded in `tests/fixtures/claude-code/codex/`):
/// `default`, `explorer`, `worker`.
pub const CODEX_BUILTIN_AGENTS: [&str; 3] = ["default", "explorer", "worker"];

/// Gemini CLI's built-in sub-agents (`codebase_investigator`, `cli_help`, `generalist`).
/// Gemini CLI's hooks fire for the lead's turns, so these reach a hook only through a setting
/// that names them (`MAESTRO_AGENTS`, `MAESTRO_SPECIALISTS`); they are never held to the
/// report either.
pub const GEMINI_CLI_BUILTIN_AGENTS: [&str; 3] =
    ["codebase_investigator", "cli_help", "generalist"];

/// Whether `name` (as given, or normalized) is an agent of Maestro's roster.
pub fn is_maestro_agent(name: &str) -> bool {
    let name = normalize(name);
    MAESTRO_AGENTS.contains(&name.as_str())
}

/// The built-in agents of the runtimes whose dialect `runtime` is: Claude Code's and Codex's
/// for [`Runtime::Claude`] (Codex speaks Claude Code's dialect), Qwen Code's
/// ([`qwen::BUILTIN_AGENTS`]) for [`Runtime::Qwen`], Gemini CLI's for [`Runtime::Gemini`].
pub fn runtime_builtins(runtime: Runtime) -> &'static [&'static [&'static str]] {
    match runtime {
        Runtime::Claude => &[&CLAUDE_CODE_BUILTIN_AGENTS, &CODEX_BUILTIN_AGENTS],
        Runtime::Qwen => &[&qwen::BUILTIN_AGENTS],
        Runtime::Gemini => &[&GEMINI_CLI_BUILTIN_AGENTS],
    }
}

/// Whether `name` (as the payload spells it, or normalized) is a built-in agent of `runtime`
/// ([`runtime_builtins`]): never held to the handoff report and given no session context.
pub fn is_runtime_builtin(runtime: Runtime, name: &str) -> bool {
    let name = normalize(name);
    runtime_builtins(runtime)
        .iter()
        .flat_map(|list| list.iter())
        .any(|builtin| normalize(builtin) == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_roster_is_maestros_in_one_spelling() {
        for name in MAESTRO_AGENTS {
            assert_eq!(normalize(name), name, "stored normalized");
            assert!(is_maestro_agent(name), "{name}");
        }
        let mut sorted = MAESTRO_AGENTS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), MAESTRO_AGENTS.len(), "no name twice");
        for spelled in [
            "Code-Reviewer",
            "code_reviewer",
            "CODE-REVIEWER",
            " coder ",
            "Db2-DBA",
        ] {
            assert!(is_maestro_agent(spelled), "{spelled}");
        }
        for other in [
            "Explore",
            "default",
            "reviewer",
            "code reviewer",
            "",
            "../coder",
        ] {
            assert!(!is_maestro_agent(other), "{other}");
        }
    }

    #[test]
    fn builtins_are_per_runtime_and_none_is_a_maestro_agent() {
        for runtime in [Runtime::Claude, Runtime::Qwen, Runtime::Gemini] {
            for list in runtime_builtins(runtime) {
                for b in *list {
                    assert!(is_runtime_builtin(runtime, b), "{runtime:?} {b}");
                    assert!(!is_maestro_agent(b), "{b} would be both");
                }
            }
        }
        // Claude Code's and Codex's, however spelled; not another runtime's.
        for b in [
            "Explore",
            "explore",
            "general_purpose",
            "Plan",
            "default",
            "worker",
        ] {
            assert!(is_runtime_builtin(Runtime::Claude, b), "{b}");
        }
        assert!(is_runtime_builtin(Runtime::Qwen, "review-agent"));
        assert!(!is_runtime_builtin(Runtime::Claude, "review-agent"));
        assert!(!is_runtime_builtin(Runtime::Qwen, "default"));
        assert!(is_runtime_builtin(Runtime::Gemini, "codebase_investigator"));
        for runtime in [Runtime::Claude, Runtime::Qwen, Runtime::Gemini] {
            assert!(!is_runtime_builtin(runtime, "coder"), "{runtime:?}");
        }
    }
}
