//! `maestro-session setup gemini-extension` and `setup gemini-policy` over the built
//! executables, in a scratch world whose HOME is a temp folder (never the real `~/.gemini`):
//! the command files run our `read-active-session` the way Gemini CLI runs a `!{...}` block
//! (`bash -c` in the project), and the user policy is written once, kept, and never written
//! over a file that is not ours. `scripts/e2e-gemini.sh` runs the same through the real CLI.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use e2e_tests::{World, bin, run};

/// An extension folder `<world>/<name>` whose `bin/read-active-session` is the built one.
fn extension(world: &World, name: &str) -> PathBuf {
    let ext = world.root().join(name);
    std::fs::create_dir_all(ext.join("bin")).expect("mkdir bin");
    std::os::unix::fs::symlink(
        bin("read-active-session"),
        ext.join("bin/read-active-session"),
    )
    .expect("symlink");
    ext
}

fn setup(world: &World, args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut cmd = world.cmd("maestro-session");
    cmd.arg("setup").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(cmd, b"")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "setup failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The trimmed content of the one `!{...}` line of a command file.
fn injected_command(toml: &str) -> String {
    let lines: Vec<_> = toml
        .lines()
        .filter(|l| l.starts_with("!{") && l.ends_with('}'))
        .collect();
    assert_eq!(lines.len(), 1, "{toml}");
    lines[0][2..lines[0].len() - 1].trim().to_string()
}

/// Runs `command` as Gemini CLI runs a command's `!{...}` block: `bash -c` in the project.
fn as_gemini_runs(world: &World, command: &str) -> Output {
    let mut cmd = Command::new("bash");
    world.configure(&mut cmd).arg("-c").arg(command);
    run(cmd, b"")
}

#[test]
fn command_files_run_read_active_session_by_absolute_path() {
    let world = World::new();
    let ext = extension(&world, "share/maestro-session");
    ok(&setup(
        &world,
        &["gemini-extension", ext.to_str().expect("utf-8")],
        &[],
    ));
    let read = std::fs::canonicalize(&ext)
        .expect("canonical")
        .join("bin/read-active-session");
    for name in ["status", "resume", "archive"] {
        let file = ext.join(format!("commands/maestro/{name}.toml"));
        let toml = std::fs::read_to_string(&file).expect("command file");
        assert!(toml.contains("\ndescription = \""), "{toml}");
        assert!(toml.contains("\nprompt = \"\"\"\n"), "{toml}");
        assert!(toml.contains("<session-state>\n!{"), "{toml}");
        assert!(toml.contains("<user-request>\n{{args}}\n</user-request>"));
        assert!(!toml.contains("${extensionPath}"));
        assert_eq!(injected_command(&toml), read.to_str().expect("utf-8"));
    }
    // The hooks and manifest are still written beside them.
    assert!(ext.join("gemini-extension.json").is_file());
    assert!(ext.join("hooks/hooks.json").is_file());

    // What the block prints: the literal line without a session, the file with one.
    let toml = std::fs::read_to_string(ext.join("commands/maestro/status.toml")).expect("read");
    let command = injected_command(&toml);
    let none = as_gemini_runs(&world, &command);
    assert_eq!(String::from_utf8_lossy(&none.stdout), "No active session\n");
    assert_eq!(none.status.code(), Some(0));
    let world = world.with_active_session();
    let some = as_gemini_runs(&world, &command);
    assert_eq!(
        some.stdout,
        std::fs::read(world.state().join("active-session.md")).expect("session")
    );
}

#[test]
fn a_quoted_path_still_runs_and_is_the_policy_prefix() {
    let world = World::new();
    let ext = extension(&world, "my tools/o'brien $HOME");
    ok(&setup(
        &world,
        &["gemini-extension", ext.to_str().expect("utf-8")],
        &[],
    ));
    let toml = std::fs::read_to_string(ext.join("commands/maestro/status.toml")).expect("read");
    // In the TOML text a `\` is written `\\`; the prompt Gemini reads has one.
    let command = injected_command(&toml).replace(r"\\", r"\");
    assert!(
        command.starts_with('\'') && command.contains(r"'\''"),
        "{command}"
    );
    let out = as_gemini_runs(&world, &command);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "No active session\n");

    let home = world.root().join("home");
    ok(&setup(
        &world,
        &["gemini-policy", ext.to_str().expect("utf-8")],
        &[],
    ));
    let policy =
        std::fs::read_to_string(home.join(".gemini/policies/maestro-session.toml")).expect("read");
    let prefix_line = format!(
        "commandPrefix = \"{}\"",
        command.replace('\\', r"\\").replace('"', "\\\"")
    );
    assert!(policy.lines().any(|l| l == prefix_line), "{policy}");
}

#[test]
fn a_path_with_braces_is_refused_and_nothing_is_written() {
    let world = World::new();
    let ext = extension(&world, "ext{1}");
    let out = setup(
        &world,
        &["gemini-extension", ext.to_str().expect("utf-8")],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("counting braces"), "{err}");
    assert!(!ext.join("commands").exists());
    assert!(!ext.join("gemini-extension.json").exists());
    let out = setup(
        &world,
        &["gemini-policy", ext.to_str().expect("utf-8")],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(!world.root().join("home/.gemini").exists());
}

#[test]
fn the_policy_is_written_once_kept_and_never_over_a_file_not_ours() {
    let world = World::new();
    let ext = extension(&world, "share/maestro-session");
    let ext_arg = ext.to_str().expect("utf-8");
    let policy = world
        .root()
        .join("home/.gemini/policies/maestro-session.toml");

    let first = ok(&setup(&world, &["gemini-policy", ext_arg], &[]));
    assert!(
        first.starts_with(&format!(
            "Gemini CLI user policy {}: written\n",
            policy.display()
        )),
        "{first}"
    );
    assert!(first.contains("Gemini CLI ignores allow rules from extensions"));
    let bytes = std::fs::read(&policy).expect("policy");
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("toolName = \"run_shell_command\"\n"));
    assert!(text.contains("decision = \"allow\"\npriority = 100\n"));

    let again = ok(&setup(&world, &["gemini-policy", ext_arg], &[]));
    assert!(again.contains(": unchanged\n"), "{again}");
    assert_eq!(std::fs::read(&policy).expect("policy"), bytes);

    // Rules of the user's own around our block are kept.
    let mine = "[[rule]]\ntoolName = \"glob\"\ndecision = \"allow\"\npriority = 1\n";
    std::fs::write(&policy, format!("{mine}{text}# after\n")).expect("edit");
    let moved = extension(&world, "elsewhere");
    let updated = ok(&setup(
        &world,
        &["gemini-policy", moved.to_str().expect("utf-8")],
        &[],
    ));
    assert!(updated.contains(": updated\n"), "{updated}");
    let now = std::fs::read_to_string(&policy).expect("policy");
    assert!(now.starts_with(mine) && now.ends_with("# after\n"), "{now}");
    assert!(
        now.contains("/elsewhere/bin/read-active-session\"\n"),
        "{now}"
    );

    // A file at that name that we did not write: refused, untouched.
    std::fs::write(&policy, mine).expect("foreign");
    let out = setup(&world, &["gemini-policy", ext_arg], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not written by maestro-session"), "{err}");
    assert_eq!(std::fs::read_to_string(&policy).expect("policy"), mine);
}

#[test]
fn the_policy_goes_where_gemini_cli_looks() {
    let world = World::new();
    let ext = extension(&world, "share/maestro-session");
    let ext_arg = ext.to_str().expect("utf-8");
    let cli_home = world.root().join("gemini-home");
    ok(&setup(
        &world,
        &["gemini-policy", ext_arg],
        &[("GEMINI_CLI_HOME", &cli_home)],
    ));
    assert!(
        cli_home
            .join(".gemini/policies/maestro-session.toml")
            .is_file()
    );
    assert!(!world.root().join("home/.gemini").exists());
    let file = world.root().join("explicit/policy.toml");
    ok(&setup(
        &world,
        &[
            "gemini-policy",
            ext_arg,
            "--file",
            file.to_str().expect("utf-8"),
        ],
        &[],
    ));
    assert!(file.is_file());
}
