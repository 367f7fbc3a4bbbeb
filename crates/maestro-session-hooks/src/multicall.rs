//! One executable, eight names: the hook executables and state tools are one binary
//! (`maestro-session-hook`) that does what the name it was run as says, as busybox does. It is
//! installed under each name (a symlink, or a copy where links cannot be made), so every
//! runtime's registration keeps naming `session-start`, `after-agent`, ... One link step
//! instead of eight takes most of the release build's time away; a hook's start is unchanged
//! (scripts/bench.sh, docs/benchmarks.md).

use std::ffi::OsString;
use std::path::Path;

use maestro_session_core::hooks::payload::HookEvent;

use crate::{hook_main, state_tool_main};

/// The binary's own name, for the second form (`maestro-session-hook <name> [args]`).
pub const BINARY: &str = "maestro-session-hook";

/// What the binary does when run as one of its names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// A lifecycle hook (`session-start`, `before-agent`, `after-agent`, `session-end`).
    Hook(HookEvent),
    /// `read-state`.
    ReadState,
    /// `write-state`.
    WriteState,
    /// `ensure-workspace`.
    EnsureWorkspace,
    /// `read-active-session`.
    ReadActiveSession,
}

impl Tool {
    /// Every name the binary answers to, hooks first (as [`HookEvent::ALL`]).
    pub const ALL: [Tool; 8] = [
        Tool::Hook(HookEvent::SessionStart),
        Tool::Hook(HookEvent::BeforeAgent),
        Tool::Hook(HookEvent::AfterAgent),
        Tool::Hook(HookEvent::SessionEnd),
        Tool::ReadState,
        Tool::WriteState,
        Tool::EnsureWorkspace,
        Tool::ReadActiveSession,
    ];

    /// The name it is installed and run as.
    pub const fn name(self) -> &'static str {
        match self {
            Tool::Hook(event) => event.executable(),
            Tool::ReadState => "read-state",
            Tool::WriteState => "write-state",
            Tool::EnsureWorkspace => "ensure-workspace",
            Tool::ReadActiveSession => "read-active-session",
        }
    }

    /// The tool named `name` (a file name, with or without `.exe`), if it is one.
    pub fn named(name: &str) -> Option<Tool> {
        let name = name.strip_suffix(".exe").unwrap_or(name);
        Tool::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Runs the tool with `args` (the arguments after its name); returns the exit code.
    pub fn run(self, args: Vec<OsString>) -> i32 {
        match self {
            Tool::Hook(event) => hook_main::main(event, args),
            Tool::ReadState => state_tool_main::read_state(args),
            Tool::WriteState => state_tool_main::write_state(args),
            Tool::EnsureWorkspace => state_tool_main::ensure_workspace(args),
            Tool::ReadActiveSession => state_tool_main::read_active_session(),
        }
    }
}

/// What `argv` asks for: the tool its first element names (the file name it was run as), else
/// the tool its second element names (`maestro-session-hook after-agent --runtime claude`),
/// with the arguments after that name. `Err` carries the usage message for anything else.
pub fn dispatch(argv: Vec<OsString>) -> Result<(Tool, Vec<OsString>), String> {
    let mut argv = argv.into_iter();
    let run_as = argv.next().unwrap_or_default();
    let stem = Path::new(&run_as)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if let Some(tool) = Tool::named(stem) {
        return Ok((tool, argv.collect()));
    }
    let named = argv.next().unwrap_or_default();
    match named.to_str().and_then(Tool::named) {
        Some(tool) => Ok((tool, argv.collect())),
        None => {
            let names: Vec<&str> = Tool::ALL.iter().map(|t| t.name()).collect();
            Err(format!(
                "usage: {BINARY} <{}> [arguments], or run it under one of those names",
                names.join("|")
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_name_it_runs_as_picks_the_tool() {
        for tool in Tool::ALL {
            let path = format!("/opt/bin/{}", tool.name());
            let (got, rest) = dispatch(os(&[&path, "--runtime", "claude"])).expect("known");
            assert_eq!(got, tool);
            assert_eq!(rest, os(&["--runtime", "claude"]));
            assert_eq!(Tool::named(&format!("{}.exe", tool.name())), Some(tool));
        }
        let (got, rest) = dispatch(os(&[BINARY, "write-state", "a.md"])).expect("second form");
        assert_eq!((got, rest), (Tool::WriteState, os(&["a.md"])));
    }

    #[test]
    fn anything_else_is_a_usage_error_naming_every_tool() {
        for argv in [
            vec![],
            os(&[BINARY]),
            os(&[BINARY, "rm"]),
            os(&["sh", "session-start2"]),
        ] {
            let usage = dispatch(argv).expect_err("unknown");
            assert!(usage.contains("after-agent") && usage.contains("read-active-session"));
        }
        let names: std::collections::HashSet<&str> = Tool::ALL.iter().map(|t| t.name()).collect();
        assert_eq!(names.len(), Tool::ALL.len(), "names are distinct");
    }
}
