//! Hook command lines per platform (issue 18 item 2): how each runtime starts a hook on the
//! platform it runs on, and how our executable's path is written into that so a path with
//! spaces, quotes or backslashes stays one word. The hooks' JSON contracts are the same
//! everywhere; only the command that starts them differs.
//!
//! - Unix (Linux, macOS): every runtime runs the `command` string through a POSIX shell
//!   (`sh -c`; Codex 0.169 `$SHELL -lc`), so the path is one POSIX word
//!   ([`crate::shell::shell_word`]) and the executable has no suffix.
//! - Windows: executables end in `.exe` and paths use `\`. Claude Code takes the exec form, a
//!   `command` that is the executable's path and `args` (no shell, so no quoting at all);
//!   Gemini CLI runs `command` through PowerShell, where a quoted path needs the call operator
//!   (`& 'C:\a b\x.exe'`, `'` doubled inside); Codex runs it through `cmd.exe /c`, where the
//!   path goes in double quotes. A path no quoting can carry there (a `"` or a `%` for
//!   `cmd.exe`, which expands `%VAR%` even inside quotes; a control character anywhere) is
//!   refused with an error naming it.

use serde_json::{Value, json};

/// The platform whose runtimes will run the hooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// Linux and macOS: POSIX shells, `/` paths, no executable suffix.
    Unix,
    /// Windows: `.exe`, `\` paths, PowerShell (Gemini CLI), `cmd.exe` (Codex), exec form
    /// (Claude Code).
    Windows,
}

impl Platform {
    /// The platform this program was built for.
    pub const HOST: Platform = if cfg!(windows) {
        Platform::Windows
    } else {
        Platform::Unix
    };

    /// The file name of executable `name` here (`name.exe` on Windows).
    pub fn exe_name(self, name: &str) -> String {
        match self {
            Platform::Unix => name.to_string(),
            Platform::Windows => format!("{name}.exe"),
        }
    }

    /// The path of executable `name` in the folder `bin_dir`, with this platform's separator
    /// (a trailing separator of `bin_dir` is not doubled).
    pub fn exe_path(self, bin_dir: &str, name: &str) -> String {
        match self {
            Platform::Unix => format!("{}/{name}", bin_dir.trim_end_matches('/')),
            Platform::Windows => format!(
                "{}\\{}",
                bin_dir.trim_end_matches(['\\', '/']),
                self.exe_name(name)
            ),
        }
    }
}

/// Why a path cannot be written into a runtime's command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unquotable {
    /// The path.
    pub path: String,
    /// The shell (`cmd.exe`, `PowerShell`).
    pub shell: &'static str,
    /// What it holds that cannot be quoted there.
    pub what: &'static str,
}

impl std::fmt::Display for Unquotable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the path {:?} cannot be put in {}'s command line: it holds {}",
            self.path, self.shell, self.what
        )
    }
}

impl std::error::Error for Unquotable {}

fn refuse_control(path: &str, shell: &'static str) -> Result<(), Unquotable> {
    if path.chars().any(char::is_control) {
        return Err(Unquotable {
            path: path.to_string(),
            shell,
            what: "a control character",
        });
    }
    Ok(())
}

/// `path` as one word of a `cmd.exe /c` line (Codex on Windows): in double quotes.
///
/// Errors: [`Unquotable`] for `"` (cannot be escaped inside quotes), `%` (expanded even
/// inside quotes) or a control character.
pub fn cmd_word(path: &str) -> Result<String, Unquotable> {
    refuse_control(path, "cmd.exe")?;
    for (c, what) in [('"', "a double quote"), ('%', "a percent sign")] {
        if path.contains(c) {
            return Err(Unquotable {
                path: path.to_string(),
                shell: "cmd.exe",
                what,
            });
        }
    }
    Ok(format!("\"{path}\""))
}

/// `path` run as a command by PowerShell (Gemini CLI on Windows): `& '<path>'` with each `'`
/// doubled (a single-quoted string expands nothing).
///
/// Errors: [`Unquotable`] for a control character.
pub fn powershell_call(path: &str) -> Result<String, Unquotable> {
    refuse_control(path, "PowerShell")?;
    Ok(format!("& '{}'", path.replace('\'', "''")))
}

/// Claude Code's hook handler for executable `exe` in `bin_dir` with `timeout_s` (s): on
/// Unix `{"type": "command", "command": "<bin_dir>/<exe> --runtime claude"}` (the path one
/// POSIX word), on Windows the exec form `{"type": "command", "command":
/// "<bin_dir>\\<exe>.exe", "args": ["--runtime", "claude"]}`, which no shell reads.
pub fn claude_handler(platform: Platform, bin_dir: &str, exe: &str, timeout_s: u64) -> Value {
    match platform {
        Platform::Unix => json!({
            "type": "command",
            "command": format!("{}/{exe} --runtime claude", crate::shell::shell_word(bin_dir.trim_end_matches('/'))),
            "timeout": timeout_s,
        }),
        Platform::Windows => json!({
            "type": "command",
            "command": platform.exe_path(bin_dir, exe),
            "args": ["--runtime", "claude"],
            "timeout": timeout_s,
        }),
    }
}

/// The path of executable `name` in a Claude Code plugin's own `bin/`, through the
/// `${CLAUDE_PLUGIN_ROOT}` placeholder Claude Code substitutes: `${CLAUDE_PLUGIN_ROOT}/bin/<name>`
/// on Unix, `${CLAUDE_PLUGIN_ROOT}\bin\<name>.exe` on Windows.
pub fn claude_plugin_root_exe(platform: Platform, name: &str) -> String {
    match platform {
        Platform::Unix => format!("${{CLAUDE_PLUGIN_ROOT}}/bin/{name}"),
        Platform::Windows => platform.exe_path("${CLAUDE_PLUGIN_ROOT}\\bin", name),
    }
}

/// Claude Code's hook handler for hook `exe` run from a plugin's own `bin/` as
/// `maestro-session-hook <exe>` (the multicall binary's second form), with `timeout_s` (s).
/// On Unix `"${CLAUDE_PLUGIN_ROOT}/bin/maestro-session-hook" <exe> --runtime claude`: Claude Code
/// substitutes the placeholder before the shell runs (and also sets it in the environment, so
/// the double-quoted word holds either way, spaces included); on Windows the exec form with
/// `${CLAUDE_PLUGIN_ROOT}\bin\maestro-session-hook.exe`, substituted per element.
pub fn claude_plugin_root_handler(platform: Platform, exe: &str, timeout_s: u64) -> Value {
    let binary = claude_plugin_root_exe(platform, "maestro-session-hook");
    match platform {
        Platform::Unix => json!({
            "type": "command",
            "command": format!("\"{binary}\" {exe} --runtime claude"),
            "timeout": timeout_s,
        }),
        Platform::Windows => json!({
            "type": "command",
            "command": binary,
            "args": [exe, "--runtime", "claude"],
            "timeout": timeout_s,
        }),
    }
}

/// The `command` of Gemini CLI's hook `exe` in the extension (`${extensionPath}`, which Gemini
/// CLI substitutes before running it): `${extensionPath}/bin/<exe>` on Unix,
/// `& '${extensionPath}\bin\<exe>.exe'` (PowerShell) on Windows.
pub fn gemini_extension_command(platform: Platform, exe: &str) -> String {
    match platform {
        Platform::Unix => format!("${{extensionPath}}/bin/{exe}"),
        Platform::Windows => format!("& '${{extensionPath}}\\bin\\{}'", platform.exe_name(exe)),
    }
}

/// Codex's hook command line for `exe` in `bin_dir`: `<path> --runtime claude` with the path
/// one POSIX word on Unix, in `cmd.exe` double quotes on Windows.
///
/// Errors: [`Unquotable`] (Windows only; see [`cmd_word`]).
pub fn codex_command(platform: Platform, bin_dir: &str, exe: &str) -> Result<String, Unquotable> {
    let path = platform.exe_path(bin_dir, exe);
    let word = match platform {
        Platform::Unix => crate::shell::shell_word(&path),
        Platform::Windows => cmd_word(&path)?,
    };
    Ok(format!("{word} --runtime claude"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WIN_BIN: &str = r"C:\Program Files\Maestro Session\bin";

    #[test]
    fn windows_paths_keep_spaces_and_backslashes_and_end_in_exe() {
        assert_eq!(
            Platform::Windows.exe_path(WIN_BIN, "before-agent"),
            r"C:\Program Files\Maestro Session\bin\before-agent.exe"
        );
        assert_eq!(
            Platform::Windows.exe_path(r"D:\tools\", "session-end"),
            r"D:\tools\session-end.exe"
        );
        assert_eq!(
            Platform::Unix.exe_path("/opt/m/", "session-end"),
            "/opt/m/session-end"
        );
    }

    #[test]
    fn claude_code_on_windows_gets_the_exec_form() {
        let h = claude_handler(Platform::Windows, WIN_BIN, "before-agent", 10);
        assert_eq!(
            h,
            json!({"type": "command",
                   "command": r"C:\Program Files\Maestro Session\bin\before-agent.exe",
                   "args": ["--runtime", "claude"], "timeout": 10})
        );
        let u = claude_handler(Platform::Unix, "/home/a b/bin", "before-agent", 10);
        assert_eq!(
            u["command"],
            "'/home/a b/bin'/before-agent --runtime claude"
        );
        assert!(u.get("args").is_none());
    }

    #[test]
    fn gemini_on_windows_calls_the_exe_through_powershell() {
        assert_eq!(
            gemini_extension_command(Platform::Windows, "after-agent"),
            r"& '${extensionPath}\bin\after-agent.exe'"
        );
        assert_eq!(
            gemini_extension_command(Platform::Unix, "after-agent"),
            "${extensionPath}/bin/after-agent"
        );
        assert_eq!(
            powershell_call(r"C:\it's here\x.exe").expect("quotable"),
            r"& 'C:\it''s here\x.exe'"
        );
        assert!(powershell_call("C:\\a\nb").is_err());
    }

    #[test]
    fn codex_on_windows_quotes_for_cmd_and_refuses_what_cmd_expands() {
        assert_eq!(
            codex_command(Platform::Windows, WIN_BIN, "session-start").expect("quotable"),
            r#""C:\Program Files\Maestro Session\bin\session-start.exe" --runtime claude"#
        );
        let err = codex_command(Platform::Windows, r"C:\100%\bin", "session-start")
            .expect_err("cmd expands %");
        assert_eq!(err.what, "a percent sign");
        assert!(err.to_string().contains(r"C:\\100%\\bin"), "{err}");
        assert!(cmd_word(r#"C:\a"b"#).is_err());
        assert_eq!(
            codex_command(Platform::Unix, "/opt/a b", "session-start").expect("quotable"),
            "'/opt/a b/session-start' --runtime claude"
        );
    }
}
