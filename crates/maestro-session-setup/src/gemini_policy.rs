//! The Gemini CLI user policy that lets the extension's commands run `read-active-session`
//! in their `!{...}` block without a confirmation prompt: `~/.gemini/policies/maestro-session.toml`.
//!
//! Why a policy, and why a user one (Gemini CLI 0.61 source):
//! - Before a command's `!{...}` block runs, `ShellProcessor` asks the policy engine about a
//!   `run_shell_command` call whose only argument is `command` = the block's trimmed text
//!   (`packages/cli/src/services/prompt-processors/shellProcessor.ts`). `ask_user` makes a
//!   non-interactive run (`gemini -p /maestro:status`) exit with "Exiting due to a confirmation
//!   prompt requested by the command." (`packages/cli/src/nonInteractiveCliCommands.ts`), and a
//!   non-interactive run's default decision is `deny` ("Blocked by policy").
//! - Allow rules that an extension contributes are dropped (`packages/core/src/policy/config.ts`
//!   `loadExtensionPolicies`), so the rule must come from the user tier: `*.toml` in
//!   `<home>/.gemini/policies/`, where `<home>` is `$GEMINI_CLI_HOME` if set, else the home
//!   folder (`packages/core/src/utils/paths.ts` `homedir`, `config/storage.ts`
//!   `getUserPoliciesDir`).
//! - A TOML `priority` of 0 to 999 becomes `tier + priority / 1000`, the user tier being 4
//!   (`policy/toml-loader.ts` `transformPriority`, `policy/config.ts` `USER_POLICY_TIER`): 100
//!   gives 4.1, above every default rule (tier 1) and below the deny rules the user's own
//!   settings add in the same tier (`tools.exclude` 4.4, excluded MCP servers 4.9).
//! - `commandPrefix = P` becomes the pattern `"command":` + the JSON text of P without its
//!   closing quote, regex-escaped, then `(?:[\s"]|\\")`, matched against the call's arguments
//!   as JSON (`policy/utils.ts` `buildArgsPatterns`): the command must start with P, followed
//!   by whitespace or its end. P is therefore the block's text exactly: the shell word of the
//!   path, quotes included when it is quoted ([`ShellPath::shell_word`]). A pattern over 2048
//!   UTF-16 code units is dropped as unsafe (`isSafeRegExp`), so such a path is refused here.
//!
//! The file may hold rules of the user's own: ours sit between a [`BEGIN_MARKER`] line and an
//! [`END_MARKER`] line, which every install rewrites, keeping every other byte. A file at that
//! name without the markers is not ours and is never changed.

use std::path::{Path, PathBuf};

use crate::gemini_commands::{GROUP, ShellPath};
use maestro_session_core::env::Env;
use maestro_session_core::env_vars::EnvVars;
use maestro_session_core::error::{Error, Result};
use maestro_session_fs::IoContext;
use maestro_session_fs::durable;
use maestro_session_fs::reader::{self, ReadKind};

/// The policy file's name in the user policies folder.
pub const FILE_NAME: &str = "maestro-session.toml";

/// The rule's TOML `priority` (0-999); Gemini CLI makes it 4.100 in the user tier.
pub const PRIORITY: u16 = 100;

/// The line that opens our block in the policy file.
pub const BEGIN_MARKER: &str = "# >>> maestro-session >>>";

/// The line that closes our block in the policy file.
pub const END_MARKER: &str = "# <<< maestro-session <<<";

/// Longest args pattern Gemini CLI keeps, in UTF-16 code units (`isSafeRegExp`).
pub const MAX_ARGS_PATTERN: usize = 2048;

/// `<home>/.gemini/policies/maestro-session.toml`, `<home>` being `$GEMINI_CLI_HOME` when set
/// and not empty, else `$HOME`, as Gemini CLI resolves it.
///
/// Errors: [`Error::Invalid`] when neither is set.
pub fn user_policy_file(env: &Env) -> Result<PathBuf> {
    let home = env
        .get(EnvVars::GEMINI_CLI_HOME)
        .or_else(|| env.get(EnvVars::HOME))
        .ok_or_else(|| {
            Error::Invalid(
                "neither GEMINI_CLI_HOME nor HOME is set: cannot find the Gemini CLI user \
                 policies folder (give the policy file with --file)"
                    .into(),
            )
        })?;
    Ok(Path::new(&home)
        .join(".gemini")
        .join("policies")
        .join(FILE_NAME))
}

/// The args pattern Gemini CLI 0.61 compiles from `commandPrefix = prefix`
/// (`packages/core/src/policy/utils.ts` `buildArgsPatterns` and `escapeRegex`).
pub fn args_pattern(prefix: &str) -> String {
    let encoded = serde_json::Value::from(prefix).to_string();
    let open = encoded.strip_suffix('"').unwrap_or(&encoded);
    let mut pattern = String::new();
    for c in format!("\"command\":{open}").chars() {
        if "-[]{}()*+?.,\\^$|#\"".contains(c) || js_whitespace(c) {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push_str(r#"(?:[\s"]|\\")"#);
    pattern
}

/// JavaScript's `\s`: Unicode white space and line terminators, and U+FEFF.
fn js_whitespace(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

/// Our block: the markers around one rule allowing `run_shell_command` whose command starts
/// with the shell word of `read_active_session`, with a comment saying why.
///
/// Errors: [`Error::PathRefused`] when the rule's pattern would exceed
/// [`MAX_ARGS_PATTERN`] (Gemini CLI would drop the rule).
pub fn rule_block(read_active_session: &ShellPath) -> Result<String> {
    let word = read_active_session.shell_word();
    let units = args_pattern(word).encode_utf16().count();
    if units > MAX_ARGS_PATTERN {
        return Err(Error::refused_path(
            read_active_session.as_str(),
            format!(
                "too long for a Gemini CLI policy rule: its commandPrefix pattern would be \
                 {units} characters, over the {MAX_ARGS_PATTERN} Gemini CLI accepts"
            ),
        ));
    }
    let prefix = crate::gemini_commands::toml_string(word);
    Ok(format!(
        "{BEGIN_MARKER}
# Written by `maestro-session setup gemini-policy` (install.sh) and rewritten on every install;
# keep rules of your own outside these marker lines. It lets /{GROUP}:status, /{GROUP}:resume
# and /{GROUP}:archive run read-active-session in their `!{{...}}` block without a confirmation
# prompt, which a non-interactive run (gemini -p) turns into a refusal. It is a user policy
# because Gemini CLI ignores allow rules that extensions contribute.
[[rule]]
toolName = \"run_shell_command\"
commandPrefix = {prefix}
decision = \"allow\"
priority = {PRIORITY}
{END_MARKER}
"
    ))
}

/// What [`install`] did to the policy file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyOutcome {
    /// There was no file (or an empty one); it now holds our block.
    Created,
    /// Our block was replaced; the rest of the file is as it was.
    Updated,
    /// The file already held exactly this; nothing was written.
    Unchanged,
}

/// The policy file's new text: `block` alone when `existing` is `None` or blank, else
/// `existing` with the lines from [`BEGIN_MARKER`] to [`END_MARKER`] replaced by `block`.
///
/// Errors: [`Error::PathRefused`] naming `file` when `existing` has no marker lines (the file
/// is not ours) or they are not exactly one opening line followed by one closing line.
pub fn merge(existing: Option<&str>, block: &str, file: &Path) -> Result<String> {
    let Some(text) = existing.filter(|t| !t.trim().is_empty()) else {
        return Ok(block.to_string());
    };
    let refuse = |reason: String| Error::refused_path(file.display().to_string(), reason);
    let mut begins = Vec::new();
    let mut ends = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']).trim_end();
        if bare == BEGIN_MARKER {
            begins.push(offset);
        } else if bare == END_MARKER {
            ends.push(offset + line.len());
        }
        offset += line.len();
    }
    match (begins.as_slice(), ends.as_slice()) {
        ([], []) => Err(refuse(format!(
            "it exists and has no `{BEGIN_MARKER}` block, so it was not written by \
             maestro-session and is left as it is; move it away (or rerun install.sh with \
             --no-policy and allow the command yourself)"
        ))),
        (&[begin], &[end]) if begin < end => {
            let mut out = String::with_capacity(text.len() + block.len());
            out.push_str(&text[..begin]);
            out.push_str(block);
            out.push_str(&text[end..]);
            Ok(out)
        }
        _ => Err(refuse(format!(
            "its maestro-session block is damaged ({} `{BEGIN_MARKER}` and {} `{END_MARKER}` \
             lines, expected one of each in that order); fix or remove it by hand",
            begins.len(),
            ends.len()
        ))),
    }
}

/// Writes our rule for `read_active_session` into the policy file `file` (see [`merge`]),
/// durably, creating its folder; a symlink is followed and its target written. Running it
/// again with the same path writes nothing.
///
/// Errors: those of [`rule_block`] and [`merge`]; [`Error::PathRefused`] when the file is not
/// UTF-8 text; [`Error::NotRegular`], [`Error::TooLarge`] or [`Error::Io`] when it cannot be
/// read or written.
pub fn install(file: &Path, read_active_session: &ShellPath) -> Result<PolicyOutcome> {
    let block = rule_block(read_active_session)?;
    let target = match reader::lstat(file) {
        Ok(meta) if meta.file_type().is_symlink() => {
            maestro_session_fs::canonical::canonicalize(file).ctx("resolve the symlink", file)?
        }
        _ => file.to_path_buf(),
    };
    let existing = match reader::read_path(&target, ReadKind::GEMINI_POLICY) {
        Ok(bytes) => Some(String::from_utf8(bytes).map_err(|_| {
            Error::refused_path(
                file.display().to_string(),
                "it exists and is not UTF-8 text, so it is not ours; left as it is",
            )
        })?),
        Err(e) if e.is_not_found() => None,
        Err(e) => return Err(e.into()),
    };
    let text = merge(existing.as_deref(), &block, file)?;
    if existing.as_deref() == Some(text.as_str()) {
        return Ok(PolicyOutcome::Unchanged);
    }
    if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        durable::create_dirs(parent)?;
    }
    durable::durable_replace(&target, text.as_bytes(), durable::STATE_FILE_MODE)?;
    Ok(match existing {
        Some(t) if !t.trim().is_empty() => PolicyOutcome::Updated,
        _ => PolicyOutcome::Created,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::disallowed_methods)] // tests set up fixtures directly

    use super::*;

    fn path(p: &str) -> ShellPath {
        ShellPath::new(Path::new(p)).expect("path")
    }

    fn rules(text: &str) -> Vec<(String, String, String, i64)> {
        let doc: toml_edit::DocumentMut = text.parse().expect("valid TOML");
        let tables = doc["rule"].as_array_of_tables().expect("[[rule]]");
        tables
            .iter()
            .map(|t| {
                let s = |k: &str| t[k].as_str().expect(k).to_string();
                (
                    s("toolName"),
                    t.get("commandPrefix")
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_string(),
                    s("decision"),
                    t["priority"].as_integer().expect("priority"),
                )
            })
            .collect()
    }

    #[test]
    fn the_home_is_gemini_cli_home_then_home() {
        let both = Env::from_pairs([(EnvVars::GEMINI_CLI_HOME, "/g"), (EnvVars::HOME, "/h")]);
        assert_eq!(
            user_policy_file(&both).expect("file"),
            Path::new("/g/.gemini/policies/maestro-session.toml")
        );
        let home = Env::from_pairs([(EnvVars::GEMINI_CLI_HOME, ""), (EnvVars::HOME, "/h")]);
        assert_eq!(
            user_policy_file(&home).expect("file"),
            Path::new("/h/.gemini/policies/maestro-session.toml")
        );
        let none = Env::from_pairs::<&str, &str>([]);
        assert!(matches!(user_policy_file(&none), Err(Error::Invalid(_))));
    }

    #[test]
    fn the_rule_allows_the_exact_shell_word_at_priority_100() {
        for p in [
            "/opt/m/bin/read-active-session",
            "/home/o'brien/\"x\"\\y/read-active-session",
        ] {
            let read = path(p);
            let block = rule_block(&read).expect("block");
            assert!(block.starts_with(&format!("{BEGIN_MARKER}\n")));
            assert!(block.ends_with(&format!("\n{END_MARKER}\n")));
            assert_eq!(
                rules(&block),
                [(
                    "run_shell_command".to_string(),
                    read.shell_word().to_string(),
                    "allow".to_string(),
                    100
                )]
            );
        }
    }

    #[test]
    fn the_args_pattern_is_gemini_clis() {
        // Gemini CLI 0.61's buildArgsPatterns for these prefixes, taken from node.
        assert_eq!(
            args_pattern("/opt/m-1/bin/read-active-session"),
            r#"\"command\":\"/opt/m\-1/bin/read\-active\-session(?:[\s"]|\\")"#
        );
        assert_eq!(
            args_pattern(r"'/a b/o'\''x $y (z)/r'"),
            r#"\"command\":\"'/a\ b/o'\\\\''x\ \$y\ \(z\)/r'(?:[\s"]|\\")"#
        );
    }

    #[test]
    fn a_path_too_long_for_the_pattern_is_refused() {
        let long = format!("/{}/read-active-session", "a".repeat(2000));
        let err = rule_block(&path(&long)).expect_err("too long");
        assert!(err.to_string().contains("over the 2048"), "{err}");
        let fits = format!("/{}/read-active-session", "a".repeat(1900));
        assert!(rule_block(&path(&fits)).is_ok());
    }

    #[test]
    fn merge_replaces_only_our_block_and_is_idempotent() {
        let f = Path::new("/h/.gemini/policies/maestro-session.toml");
        let old = rule_block(&path("/old/bin/read-active-session")).expect("old");
        let new = rule_block(&path("/new/bin/read-active-session")).expect("new");
        assert_eq!(merge(None, &new, f).expect("new file"), new);
        assert_eq!(merge(Some(" \n"), &new, f).expect("blank file"), new);
        let mine = "# mine\n[[rule]]\ntoolName = \"glob\"\ndecision = \"allow\"\npriority = 5\n";
        let tail = "\n[[rule]]\ntoolName = \"rm\"\ndecision = \"deny\"\npriority = 9";
        let existing = format!("{mine}{old}{tail}");
        let once = merge(Some(&existing), &new, f).expect("merge");
        assert_eq!(once, format!("{mine}{new}{tail}"));
        assert_eq!(merge(Some(&once), &new, f).expect("again"), once);
        let got = rules(&once);
        assert_eq!(got.len(), 3);
        assert_eq!(got[1].1, "/new/bin/read-active-session");
        assert_eq!(got[0].0, "glob");
        assert_eq!(got[2].0, "rm");
        // CRLF files and a block without its final newline are still found.
        let crlf = old.replace('\n', "\r\n");
        let merged = merge(Some(&crlf), &new, f).expect("crlf");
        assert_eq!(merged, new);
        let cut = old.trim_end().to_string();
        assert_eq!(merge(Some(&cut), &new, f).expect("no final newline"), new);
    }

    #[test]
    fn a_file_that_is_not_ours_or_is_damaged_is_refused() {
        let f = Path::new("/h/.gemini/policies/maestro-session.toml");
        let new = rule_block(&path("/new/bin/read-active-session")).expect("new");
        let foreign = "[[rule]]\ntoolName = \"glob\"\ndecision = \"allow\"\npriority = 5\n";
        let err = merge(Some(foreign), &new, f).expect_err("foreign");
        assert!(matches!(err, Error::PathRefused { .. }));
        assert!(
            err.to_string().contains("not written by maestro-session"),
            "{err}"
        );
        for damaged in [
            format!("{BEGIN_MARKER}\n"),
            format!("{END_MARKER}\n"),
            format!("{END_MARKER}\n{BEGIN_MARKER}\n"),
            format!("{new}{new}"),
        ] {
            let err = merge(Some(&damaged), &new, f).expect_err("damaged");
            assert!(err.to_string().contains("damaged"), "{err}");
        }
    }

    #[test]
    fn install_creates_updates_keeps_and_refuses() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let file = tmp.path().join("home/.gemini/policies").join(FILE_NAME);
        let a = path("/a/bin/read-active-session");
        let b = path("/b/bin/read-active-session");
        assert_eq!(install(&file, &a).expect("create"), PolicyOutcome::Created);
        let first = std::fs::read(&file).expect("read");
        assert_eq!(install(&file, &a).expect("again"), PolicyOutcome::Unchanged);
        assert_eq!(std::fs::read(&file).expect("read"), first);
        let with_mine = format!("{}# mine\n", String::from_utf8_lossy(&first));
        std::fs::write(&file, &with_mine).expect("user edit");
        assert_eq!(install(&file, &b).expect("update"), PolicyOutcome::Updated);
        let text = std::fs::read_to_string(&file).expect("read");
        assert!(text.ends_with("# mine\n") && text.contains("\"/b/bin/read-active-session\""));

        // A symlinked policy file: the target is written, the link kept.
        let real = tmp.path().join("dotfiles/policy.toml");
        std::fs::create_dir_all(real.parent().expect("parent")).expect("mkdir");
        std::fs::write(&real, "").expect("empty");
        let link = tmp.path().join("home/.gemini/policies/link.toml");
        std::os::unix::fs::symlink(&real, &link).expect("symlink");
        assert_eq!(
            install(&link, &a).expect("via link"),
            PolicyOutcome::Created
        );
        assert!(
            std::fs::symlink_metadata(&link)
                .expect("meta")
                .file_type()
                .is_symlink()
        );
        assert!(
            std::fs::read_to_string(&real)
                .expect("target")
                .contains("/a/bin/")
        );

        // Not ours: refused, untouched.
        let foreign = tmp.path().join("foreign.toml");
        std::fs::write(&foreign, b"[[rule]]\n").expect("foreign");
        assert!(install(&foreign, &a).is_err());
        assert_eq!(std::fs::read(&foreign).expect("read"), b"[[rule]]\n");
        std::fs::write(&foreign, b"\xff\xfe").expect("binary");
        let err = install(&foreign, &a).expect_err("binary");
        assert!(err.to_string().contains("not UTF-8"), "{err}");
    }
}
