//! A member as given on the command line, `role=runtime` (issue 19 item 1), and how each
//! runtime is started and resumed (item 3).
//!
//! Runtimes and their flags (from each runtime's `--help`):
//! - `claude` (Claude Code): first start `claude --session-id <uuid>` (we choose the id, so it
//!   is known before the SessionStart hook runs), resume `claude --resume <id>`.
//! - `codex` (Codex CLI): first start `codex`, resume `codex resume <id>` (the id is the
//!   thread id SessionStart reports).
//! - `gemini` (Gemini CLI): `gemini`, resume `gemini --resume <id>`.
//! - `qwen` (Qwen Code, a Gemini CLI fork): `qwen`, resume `qwen --resume <id>`.
//! - `command:<argv>`: anything else; `<argv>` is split on ASCII whitespace (no quoting). It
//!   is started the same way both times; on resume the captured id is in its environment as
//!   `MAESTRO_TEAM_RESUME_ID`.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::team::name;

/// The most arguments a `command:` runtime may have.
pub const MAX_ARGS: usize = 64;
/// The most bytes of one argument of a `command:` runtime.
pub const MAX_ARG_BYTES: usize = 4096;
/// The environment variable a `command:` runtime finds the id to resume in.
pub const RESUME_ID_VAR: &str = "MAESTRO_TEAM_RESUME_ID";

/// What a member runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", tag = "kind", content = "argv")]
pub enum Runtime {
    /// Claude Code (`claude`).
    Claude,
    /// Codex CLI (`codex`).
    Codex,
    /// Gemini CLI (`gemini`).
    Gemini,
    /// Qwen Code (`qwen`).
    Qwen,
    /// Any other program: its argv.
    Command(Vec<String>),
}

impl Runtime {
    /// Parses `claude`, `codex`, `gemini`, `qwen` or `command:<argv>`.
    ///
    /// Errors: [`Error::Invalid`] naming the value and the runtimes known.
    pub fn parse(text: &str) -> Result<Runtime> {
        match text {
            "claude" => Ok(Runtime::Claude),
            "codex" => Ok(Runtime::Codex),
            "gemini" => Ok(Runtime::Gemini),
            "qwen" => Ok(Runtime::Qwen),
            _ => {
                let Some(rest) = text.strip_prefix("command:") else {
                    return Err(Error::Invalid(format!(
                        "runtime {text:?} is unknown; use claude, codex, gemini, qwen or command:<program and arguments>"
                    )));
                };
                let argv: Vec<String> = rest.split_ascii_whitespace().map(String::from).collect();
                if argv.is_empty() {
                    return Err(Error::Invalid(
                        "runtime command: names no program; use command:<program and arguments>"
                            .into(),
                    ));
                }
                if argv.len() > MAX_ARGS {
                    return Err(Error::Invalid(format!(
                        "runtime command: has {} arguments, over the {MAX_ARGS} allowed",
                        argv.len()
                    )));
                }
                if let Some(a) = argv
                    .iter()
                    .find(|a| a.len() > MAX_ARG_BYTES || a.chars().any(char::is_control))
                {
                    return Err(Error::Invalid(format!(
                        "runtime command: argument {:?} is over {MAX_ARG_BYTES} bytes or holds a control character",
                        a.chars().take(64).collect::<String>()
                    )));
                }
                Ok(Runtime::Command(argv))
            }
        }
    }

    /// The name a listing shows: `claude`, ..., `command:<program>`.
    pub fn label(&self) -> String {
        match self {
            Runtime::Claude => "claude".into(),
            Runtime::Codex => "codex".into(),
            Runtime::Gemini => "gemini".into(),
            Runtime::Qwen => "qwen".into(),
            Runtime::Command(argv) => format!("command:{}", argv.join(" ")),
        }
    }

    /// The argv that starts the runtime: fresh (`resume_id` `None`; `new_id` is the id chosen
    /// for a runtime that takes one, Claude Code) or resuming the captured session.
    pub fn argv(&self, new_id: Option<&str>, resume_id: Option<&str>) -> Vec<String> {
        let v = |a: &[&str]| a.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
        match (self, resume_id) {
            (Runtime::Claude, Some(id)) => v(&["claude", "--resume", id]),
            (Runtime::Claude, None) => match new_id {
                Some(id) => v(&["claude", "--session-id", id]),
                None => v(&["claude"]),
            },
            (Runtime::Codex, Some(id)) => v(&["codex", "resume", id]),
            (Runtime::Codex, None) => v(&["codex"]),
            (Runtime::Gemini, Some(id)) => v(&["gemini", "--resume", id]),
            (Runtime::Gemini, None) => v(&["gemini"]),
            (Runtime::Qwen, Some(id)) => v(&["qwen", "--resume", id]),
            (Runtime::Qwen, None) => v(&["qwen"]),
            (Runtime::Command(argv), _) => argv.clone(),
        }
    }

    /// Whether we choose the runtime's session id before it starts (Claude Code's
    /// `--session-id`).
    pub fn takes_session_id(&self) -> bool {
        matches!(self, Runtime::Claude)
    }

    /// The runtime's own state folder under HOME, kept in a per-member volume when the member
    /// runs in a container (`None` for a `command:` runtime).
    pub fn home_state_dir(&self) -> Option<&'static str> {
        match self {
            Runtime::Claude => Some(".claude"),
            Runtime::Codex => Some(".codex"),
            Runtime::Gemini => Some(".gemini"),
            Runtime::Qwen => Some(".qwen"),
            Runtime::Command(_) => None,
        }
    }
}

/// One `--member role=runtime` argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberSpec {
    /// The role (a [`name`]).
    pub role: String,
    /// What it runs.
    pub runtime: Runtime,
}

impl MemberSpec {
    /// Parses `role=runtime`.
    ///
    /// Errors: [`Error::Invalid`] naming the argument: no `=`, a bad role ([`name::check`]) or
    /// an unknown runtime ([`Runtime::parse`]).
    pub fn parse(text: &str) -> Result<MemberSpec> {
        let Some((role, runtime)) = text.split_once('=') else {
            return Err(Error::Invalid(format!(
                "member {text:?} is not role=runtime (e.g. lead=claude, coder=codex)"
            )));
        };
        name::check("role", role)?;
        let runtime =
            Runtime::parse(runtime).map_err(|e| Error::Invalid(format!("member {role:?}: {e}")))?;
        Ok(MemberSpec {
            role: role.to_string(),
            runtime,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_parse_and_refuse_by_name() {
        let m = MemberSpec::parse("lead=claude").expect("lead");
        assert_eq!(m.runtime, Runtime::Claude);
        let m = MemberSpec::parse("fake=command:sh -c  x").expect("command");
        assert_eq!(
            m.runtime,
            Runtime::Command(vec!["sh".into(), "-c".into(), "x".into()])
        );
        for (bad, why) in [
            ("lead", "not role=runtime"),
            ("lead=cursor", "unknown"),
            ("my lead=claude", "contains ' '"),
            ("x=command:", "names no program"),
            ("x=command:a\u{7}b", "control"),
        ] {
            let e = MemberSpec::parse(bad).expect_err(bad).to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn each_runtime_resumes_with_its_own_flag() {
        assert_eq!(
            Runtime::Claude.argv(Some("u"), None),
            ["claude", "--session-id", "u"]
        );
        assert_eq!(
            Runtime::Claude.argv(Some("u"), Some("r")),
            ["claude", "--resume", "r"]
        );
        assert_eq!(
            Runtime::Codex.argv(None, Some("t")),
            ["codex", "resume", "t"]
        );
        assert_eq!(
            Runtime::Gemini.argv(None, Some("g")),
            ["gemini", "--resume", "g"]
        );
        assert_eq!(Runtime::Qwen.argv(None, None), ["qwen"]);
    }
}
