//! Every environment variable name maestro-session reads (and the one it sets for a child), in
//! one place: no other file spells one as a string literal (modelled on uv's `uv-static`
//! `EnvVars`).
//!
//! Each constant says what the variable does, who sets it and where its contract comes from.
//! `docs/environment.md` is rendered from these doc comments (`sh scripts/update-docs.sh`; the
//! core test `generated_docs` fails when it is stale).

/// The names of the environment variables maestro-session reads, as associated constants:
/// `EnvVars::MAESTRO_STATE_DIR`.
#[derive(Debug, Clone, Copy)]
pub struct EnvVars;

impl EnvVars {
    // --- ours: set by people, install.sh, the runtimes' configs we write, and the tests ---

    /// The state dir, relative to the project root (an absolute value must lie inside the
    /// project; `..` is refused, naming where the setting came from). Set by people, or in
    /// `<project>/.env` / `$MAESTRO_EXTENSION_PATH/.env` (the same name is looked up there, in
    /// that order); unset everywhere: `.gemini` for a legacy project with
    /// `.gemini/state/active-session.md`, else `docs/maestro`. Contract: Maestro's
    /// `MAESTRO_STATE_DIR` setting (default `docs/maestro`); resolved by
    /// [`crate::workspace::paths`].
    pub const MAESTRO_STATE_DIR: &'static str = "MAESTRO_STATE_DIR";

    /// The project root; wins over [`EnvVars::GEMINI_PROJECT_DIR`] and
    /// [`EnvVars::CLAUDE_PROJECT_DIR`]. Set by the MCP server registrations we write (Gemini
    /// CLI extension: `${workspacePath}`; Claude Code plugin: `${CLAUDE_PROJECT_DIR}`; Codex:
    /// forwarded through `env_vars` or pinned by `setup codex --workspace`) and by people.
    /// Contract: Maestro's MCP server reads the same name (its extension registers it as
    /// `${workspacePath}`). The project root is the start folder's repository root (what
    /// `git rev-parse --show-toplevel` answers there, found without running git), else the
    /// folder itself; a value holding `${` (a template the runtime left unsubstituted) is
    /// passed over as Maestro does, one naming no folder is an error naming it, and a folder
    /// inside a runtime's extension or plugin cache is refused ([`crate::workspace::extension_cache`]).
    pub const MAESTRO_WORKSPACE_PATH: &'static str = "MAESTRO_WORKSPACE_PATH";

    /// The Maestro extension folder, whose `.env` may name [`EnvVars::MAESTRO_STATE_DIR`]
    /// (after the project's `.env`). Set by people. Contract: Maestro's scripts read the same
    /// name to override the extension root (default `~/.gemini/extensions/maestro`).
    pub const MAESTRO_EXTENSION_PATH: &'static str = "MAESTRO_EXTENSION_PATH";

    /// The hook-state base folder (default `/tmp/maestro-hooks`, on Windows
    /// `%TEMP%\maestro-hooks`; an unsafe one falls back to `$TMPDIR/maestro-hooks-<uid>`).
    /// Set by people and the tests. Ours.
    pub const MAESTRO_HOOKS_DIR: &'static str = "MAESTRO_HOOKS_DIR";

    /// Idle time in seconds before a hook-state folder is pruned (default 7200). Set by people
    /// and the tests; a malformed value is reported and the default used. Ours.
    pub const MAESTRO_HOOKS_TTL_SECS: &'static str = "MAESTRO_HOOKS_TTL_SECS";

    /// Extra agent names, comma-separated, that BeforeAgent detects in a prompt besides
    /// Maestro's built-in roster. Set by people. Ours.
    pub const MAESTRO_AGENTS: &'static str = "MAESTRO_AGENTS";

    /// Extra Maestro specialists held to the handoff report, comma-separated (also looked up
    /// in `<project>/.env`), besides Maestro's roster and the agents the active session's
    /// phases name; a runtime's built-in agent named here is still never checked. Set by
    /// people. Ours.
    pub const MAESTRO_SPECIALISTS: &'static str = "MAESTRO_SPECIALISTS";

    /// The current agent when the prompt names none. Set by Maestro's parallel dispatch for
    /// each agent process it spawns, or by people. Contract: Maestro's hooks read the same
    /// name (`detectAgentFromPrompt`).
    pub const MAESTRO_CURRENT_AGENT: &'static str = "MAESTRO_CURRENT_AGENT";

    /// `0` turns the AfterAgent handoff report check off (any other value, or unset: on). Set
    /// by people. Ours.
    pub const MAESTRO_VALIDATE_HANDOFF: &'static str = "MAESTRO_VALIDATE_HANDOFF";

    /// A file to which every hook run appends one JSON line (`time`, `hook`, `session_id`,
    /// `agent`, `answer`, `errors`); unset or empty: nothing is logged. Set by people
    /// debugging a setup and by the end-to-end tests (`scripts/e2e-*.sh`). Ours. Read as raw
    /// bytes, so any path works.
    pub const MAESTRO_HOOK_LOG: &'static str = "MAESTRO_HOOK_LOG";

    /// How many times a failed phase may be retried (default 2). Set by people. Contract:
    /// Maestro's `MAESTRO_MAX_RETRIES` setting (same default).
    pub const MAESTRO_MAX_RETRIES: &'static str = "MAESTRO_MAX_RETRIES";

    /// How long a command waits for `state/.lock`, in milliseconds (default 10000); a hook
    /// waits at most 500 ms whatever this says. Set by people and the tests. Ours.
    pub const MAESTRO_LOCK_TIMEOUT_MS: &'static str = "MAESTRO_LOCK_TIMEOUT_MS";

    /// Crash injection for the tests: the next event-log append writes only this many bytes,
    /// then the process kills itself with SIGKILL (a torn last line, as a crash mid-append
    /// leaves). Set only by tests, and read only by builds with the cargo feature
    /// `fault-injection` (the tests' builds; never a release build). Ours.
    pub const MAESTRO_CRASH_MID_APPEND: &'static str =
        maestro_session_fs::append::CRASH_MID_APPEND_VAR;

    /// How many automatic checkpoints each session keeps, 1 to 100000 (default 20); also read
    /// from the project's `.env`. Checkpoints taken by hand are always kept. Set by people. Ours.
    pub const MAESTRO_CHECKPOINTS_KEEP: &'static str = "MAESTRO_CHECKPOINTS_KEEP";

    /// How many files `scan_phase_changes` examines at most, 1 to 1000000 (default 5000). Set
    /// by people. Contract: Maestro 1.6.4's `MAESTRO_SCAN_MAX_FILES`
    /// (`src/mcp/handlers/reconciliation.js`, same default).
    pub const MAESTRO_SCAN_MAX_FILES: &'static str = "MAESTRO_SCAN_MAX_FILES";

    /// Project-relative path prefixes `scan_phase_changes` skips, colon-separated. Set by
    /// people. Contract: Maestro 1.6.4's `MAESTRO_SCAN_IGNORE`.
    pub const MAESTRO_SCAN_IGNORE: &'static str = "MAESTRO_SCAN_IGNORE";

    /// The frontmatter flavour of a new session (`create`, `fork`, `import`, MCP
    /// `create_session`): `json` or `yaml`, any case (also read from `<project>/.env`); unset:
    /// the flavour of the project's sessions, else JSON. A file already written keeps its
    /// flavour. Set by people. Ours; the flavours are Maestro 1.6's JSON frontmatter
    /// (`src/core/markdown-state.js`) and Maestro 1.2's YAML (`templates/session-state.md`).
    /// The rule: `crate::store::flavour`.
    pub const MAESTRO_SESSION_FORMAT: &'static str = "MAESTRO_SESSION_FORMAT";

    // --- the runtimes': set by Gemini CLI, Claude Code and Codex ---

    /// The project folder, set by Gemini CLI for the hooks it runs (Gemini CLI 0.61 hooks
    /// docs: `GEMINI_PROJECT_DIR`); a project root after [`EnvVars::MAESTRO_WORKSPACE_PATH`].
    pub const GEMINI_PROJECT_DIR: &'static str = "GEMINI_PROJECT_DIR";

    /// Gemini CLI's home override: its user files live in `$GEMINI_CLI_HOME/.gemini` instead
    /// of `$HOME/.gemini` (Gemini CLI 0.61 `homedir()`); used to find the user policy folder.
    pub const GEMINI_CLI_HOME: &'static str = "GEMINI_CLI_HOME";

    /// The project folder, set by Claude Code for the hooks and MCP servers it runs (Claude
    /// Code hooks docs: `CLAUDE_PROJECT_DIR`; also `${CLAUDE_PROJECT_DIR}` in a plugin's
    /// `.mcp.json`); a project root after [`EnvVars::GEMINI_PROJECT_DIR`].
    pub const CLAUDE_PROJECT_DIR: &'static str = "CLAUDE_PROJECT_DIR";

    /// Claude Code's configuration folder (default `$HOME/.claude`; Claude Code settings docs:
    /// `CLAUDE_CONFIG_DIR`): its `plugins/` is a plugin cache, never a project
    /// (`crate::workspace::extension_cache`).
    pub const CLAUDE_CONFIG_DIR: &'static str = "CLAUDE_CONFIG_DIR";

    /// The pid of the Claude Code process, set by Claude Code 2.1.330 in the environment of
    /// the hooks it runs; SessionStart records that process as the active session's owner
    /// (`crate::hooks::owner`). Absent under Codex and Gemini CLI, whose process is found in
    /// the hook's ancestry instead.
    pub const CLAUDE_PID: &'static str = "CLAUDE_PID";

    /// Codex's home folder (default `$HOME/.codex`), holding `hooks.json` and `config.toml`
    /// (Codex CLI docs: `CODEX_HOME`); read by `maestro-session setup codex`.
    pub const CODEX_HOME: &'static str = "CODEX_HOME";

    /// Qwen Code's home folder (default `$HOME/.qwen`), holding `settings.json` and
    /// `extensions/` (Qwen Code 0.24.4 `Storage.getGlobalQwenDir`); read by `maestro-session
    /// setup qwen`.
    pub const QWEN_HOME: &'static str = "QWEN_HOME";

    // --- the system's ---

    /// The user's home folder (POSIX); the fallback of [`EnvVars::GEMINI_CLI_HOME`],
    /// [`EnvVars::CODEX_HOME`] and [`EnvVars::QWEN_HOME`].
    pub const HOME: &'static str = "HOME";

    /// The temporary folder (POSIX; default `/tmp`): where the hook-state base falls back to.
    /// On Windows `TMP` then `TEMP` are read after it (`maestro_session_fs::platform::TEMP_VARS`).
    pub const TMPDIR: &'static str = "TMPDIR";

    /// Set to anything non-empty: no colour in `maestro-session` output (no-color.org; read by
    /// `anstream` in session-cli, not by this crate).
    pub const NO_COLOR: &'static str = "NO_COLOR";

    /// Set (never read) to `0` for the `git` child processes that record a session's branch and
    /// commit, so they never take git's optional index lock (git's own variable, `git(1)`).
    pub const GIT_OPTIONAL_LOCKS: &'static str = "GIT_OPTIONAL_LOCKS";

    /// git's own variable (`git(1)`): true lets repository discovery cross a file-system
    /// boundary. Read by the project-root walk (`crate::workspace::repo_root`), which stops at
    /// one as git does unless it is set.
    pub const GIT_DISCOVERY_ACROSS_FILESYSTEM: &'static str = "GIT_DISCOVERY_ACROSS_FILESYSTEM";

    /// `<team>/<role>`: set by `maestro-session team` in each team member's tmux window (and
    /// container), never by people. When set, SessionStart records the runtime's session id into
    /// that member of the team record ([`crate::team::capture`]). Ours.
    pub const MAESTRO_TEAM_MEMBER: &'static str = "MAESTRO_TEAM_MEMBER";

    /// The team's project root (absolute), set beside [`EnvVars::MAESTRO_TEAM_MEMBER`]: a member
    /// works in a worktree of its own, so its hooks cannot find the team's project from their
    /// cwd. Ours.
    pub const MAESTRO_TEAM_PROJECT: &'static str = "MAESTRO_TEAM_PROJECT";

    /// The team's state dir relative to [`EnvVars::MAESTRO_TEAM_PROJECT`], set beside it. Ours.
    pub const MAESTRO_TEAM_STATE_DIR: &'static str = "MAESTRO_TEAM_STATE_DIR";

    /// The tmux server socket the teams use (a path, tmux's `-S`); default: tmux's own socket
    /// named `maestro-session` (`-L maestro-session`). Set by people and the tests. Ours.
    pub const MAESTRO_TMUX_SOCKET: &'static str = "MAESTRO_TMUX_SOCKET";

    /// Every `MAESTRO_*` variable above: each must have a section in `docs/environment.md`.
    pub const MAESTRO: [&'static str; 21] = [
        Self::MAESTRO_STATE_DIR,
        Self::MAESTRO_WORKSPACE_PATH,
        Self::MAESTRO_EXTENSION_PATH,
        Self::MAESTRO_HOOKS_DIR,
        Self::MAESTRO_HOOKS_TTL_SECS,
        Self::MAESTRO_AGENTS,
        Self::MAESTRO_SPECIALISTS,
        Self::MAESTRO_CURRENT_AGENT,
        Self::MAESTRO_VALIDATE_HANDOFF,
        Self::MAESTRO_HOOK_LOG,
        Self::MAESTRO_MAX_RETRIES,
        Self::MAESTRO_LOCK_TIMEOUT_MS,
        Self::MAESTRO_CRASH_MID_APPEND,
        Self::MAESTRO_CHECKPOINTS_KEEP,
        Self::MAESTRO_SCAN_MAX_FILES,
        Self::MAESTRO_SCAN_IGNORE,
        Self::MAESTRO_SESSION_FORMAT,
        Self::MAESTRO_TEAM_MEMBER,
        Self::MAESTRO_TEAM_PROJECT,
        Self::MAESTRO_TEAM_STATE_DIR,
        Self::MAESTRO_TMUX_SOCKET,
    ];
}

#[cfg(test)]
mod tests {
    use super::EnvVars;

    #[test]
    fn every_maestro_variable_is_in_the_environment_reference() {
        let reference = include_str!("../../../docs/environment.md");
        for name in EnvVars::MAESTRO {
            assert!(
                reference.contains(&format!("\n### `{name}`\n")),
                "docs/environment.md has no section for {name}"
            );
        }
    }

    #[test]
    fn names_are_their_values() {
        // Each constant is spelled as its name, so a rename shows in every reader at once.
        for name in EnvVars::MAESTRO {
            assert!(name.starts_with("MAESTRO_"), "{name}");
        }
        let mut sorted = EnvVars::MAESTRO.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), EnvVars::MAESTRO.len(), "no name listed twice");
    }
}
