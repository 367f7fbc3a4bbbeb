//! The command line's manners: exit codes through the one table, enum values listed,
//! "did you mean", complete `--json` usage errors, every `--json` output an object of the
//! documented shape, a closed stdout ending quietly, `list` fitting 100 columns (CJK too), and
//! snapshots of the human output of `list`, `show`, `show --log`, a usage error and a `--help`.
//!
//! Every command runs in a temp world with an explicit environment (HOME, TMPDIR,
//! MAESTRO_HOOKS_DIR inside it); snapshots redact the world's path and relative ages.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::process::Stdio;

use assert_cmd::Command;
use e2e_tests::{World, fixture, maestro, maestro_ok, maestro_refused};
use maestro_session_core::clock;
use serde_json::Value;
use unicode_width::UnicodeWidthStr;

/// `maestro-session` in `world` (its environment and project), through assert_cmd.
fn cli(world: &World) -> Command {
    Command::from_std(world.cmd("maestro-session"))
}

/// The fixture session as the active one, plus archived sessions made from it: a long
/// English task and a CJK one, so the table must cut and align by display width. Each was
/// updated hours ago (relative to now), so the AGE column is as wide on every day the test
/// runs and the snapshots do not drift.
fn world_with_sessions() -> World {
    let world = World::new();
    let archive = world.state().join("archive");
    std::fs::create_dir_all(&archive).expect("mkdir archive");
    let text = String::from_utf8(fixture("maestro-state/active-session.yaml.md")).expect("utf8");
    let now = clock::parse_iso(&clock::now_iso()).expect("now");
    let ago = |age: &str| clock::iso(clock::parse_point(age, now).expect("age"));
    for (id, task, age) in [
        ("2026-11-20-rest-api-auth", "", "1h"),
        (
            "2026-11-18-long-task",
            "Rewrite the whole persistence layer so that every repository speaks the same transactional protocol",
            "3h",
        ),
        (
            "2026-11-19-cjk-task",
            "認証トークンの有効期限を設定できるようにして、管理画面からも変更可能にする",
            "2h",
        ),
    ] {
        let mut session = text
            .replace("2026-11-20-rest-api-auth", id)
            .replace("2026-11-20T10:02:41Z", &ago(age));
        if task.is_empty() {
            std::fs::write(world.state().join("active-session.md"), session).expect("write");
            continue;
        }
        session = session
            .replace(
                "task: \"Add token authentication to the REST API\"",
                &format!("task: \"{task}\""),
            )
            .replace("\nstatus: \"in_progress\"", "\nstatus: \"paused\"");
        std::fs::write(archive.join(format!("{id}.md")), session).expect("write session");
    }
    world
}

/// Redactions that make the human output the same on every machine and day.
fn settings(world: &World) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(
        &regex_escape(&world.root().display().to_string()),
        "[WORLD]",
    );
    s.add_filter(r"\(\d+[smhd] ago\)", "([AGE] ago)");
    s.add_filter(r"Updated   \S+", "Updated   [TIME]");
    s.add_filter(r"(?m)  \d+[smhd]$", "  [AGE]");
    s.set_prepend_module_to_snapshot(false);
    s
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if "\\.+*?()|[]{}^$".contains(c) {
                vec!['\\', c]
            } else {
                vec![c]
            }
        })
        .collect()
}

fn stdout(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(assert.get_output().stdout.clone()).expect("utf8 stdout")
}

fn stderr(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(assert.get_output().stderr.clone()).expect("utf8 stderr")
}

#[test]
fn list_fits_100_columns_by_display_width_and_wide_shows_all() {
    let world = world_with_sessions();
    let narrow = cli(&world).arg("list").assert().success();
    let text = stdout(&narrow);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    for line in &lines {
        assert!(line.width() <= 100, "{} columns: {line:?}", line.width());
    }
    // Every row's STATUS starts at the header's column, whatever the task's script.
    let column = |line: &str, at: &str| line.find(at).map(|i| line[..i].width());
    let header = column(lines[0], "STATUS").expect("STATUS header");
    for (line, status) in lines[1..4].iter().zip(["in_progress", "paused", "paused"]) {
        assert_eq!(column(line, status), Some(header), "misaligned: {line:?}");
    }
    assert!(text.contains('…'), "long tasks are cut: {text}");
    assert!(!text.contains("transactional protocol"), "{text}");

    let wide = cli(&world).args(["list", "--wide"]).assert().success();
    let wide = stdout(&wide);
    assert!(
        wide.contains("認証トークンの有効期限を設定できるようにして、管理画面からも変更可能にする"),
        "{wide}"
    );
    assert!(wide.contains("transactional protocol"), "{wide}");
    assert!(wide.lines().any(|l| l.width() > 100), "{wide}");
}

#[test]
fn snapshots_of_list_show_log_usage_error_and_help() {
    let world = world_with_sessions();
    let settings = settings(&world);
    settings.bind(|| {
        let list = cli(&world).arg("list").assert().success();
        insta::assert_snapshot!("list", stdout(&list));
        let show = cli(&world).args(["show", "2026-11-20"]).assert().success();
        insta::assert_snapshot!("show", stdout(&show));
        let log = cli(&world).args(["show", "--log"]).assert().success();
        let log = stdout(&log);
        assert!(log.contains("## Phase 1: Design the token model"), "{log}");
        insta::assert_snapshot!("show_log", log);
        let usage = cli(&world)
            .args(["tokens", "active", "--input", "5"])
            .assert()
            .code(2);
        insta::assert_snapshot!("usage_error", stderr(&usage));
        let help = cli(&world)
            .args(["phase", "fail", "--help"])
            .assert()
            .success();
        insta::assert_snapshot!("phase_fail_help", stdout(&help));
    });
}

#[test]
fn show_prints_each_phase_files_and_downstream_context() {
    let world = world_with_sessions();
    let show = cli(&world).args(["show", "active"]).assert().success();
    let text = stdout(&show);
    for want in [
        "Phase 1: Design the token model",
        "  Files created\n    - docs/auth-model.md",
        "  Key Interfaces Introduced\n    - TokenStore trait",
        "  Assumptions\n    - tokens expire after 1h",
        "Phase 2: Implement middleware\n  Files modified\n    - src/server.rs",
    ] {
        assert!(text.contains(want), "want {want:?} in\n{text}");
    }
    assert!(
        !text.contains("Phase 3: Write"),
        "a phase with nothing has no details"
    );
    // The log only with --log; in JSON as "log".
    assert!(!text.contains("Orchestration Log"), "{text}");
    let v = maestro_ok(&world, &["show", "--log"]);
    assert!(
        v["log"].as_str().is_some_and(
            |l| l.contains("# Add token authentication to the REST API Orchestration Log")
        ),
        "{v}"
    );
    assert_eq!(
        v["phases"][0]["downstream_context"]["patterns_established"][0],
        "errors as enums"
    );
    assert!(maestro_ok(&world, &["show"]).get("log").is_none());
}

#[test]
fn enum_arguments_list_their_values() {
    let world = world_with_sessions();
    for (args, values) in [
        (
            vec!["create", "T", "--workflow-mode", "bogus"],
            "[possible values: standard, express]",
        ),
        (
            vec!["create", "T", "--execution-mode", "bogus"],
            "[possible values: sequential, parallel]",
        ),
        (
            vec!["create", "T", "--complexity", "huge"],
            "[possible values: simple, medium, complex]",
        ),
        (
            vec!["list", "bogus"],
            "[possible values: in_progress, paused, completed, failed, timeout, cancelled]",
        ),
        (
            vec!["list", "--status", "bogus"],
            "[possible values: in_progress, paused",
        ),
        (
            vec!["status", "active", "sleeping"],
            "possible values: in_progress",
        ),
        (
            vec!["transition", "active", "coding"],
            "possible values: initializing, planning",
        ),
        (
            vec![
                "error",
                "add",
                "active",
                "2",
                "--agent",
                "a",
                "--type",
                "oops",
                "--message",
                "m",
            ],
            "[possible values: validation, timeout, file_conflict, runtime, dependency]",
        ),
        (
            vec!["set", "active", "colour", "red"],
            "possible values: task, workflow_mode",
        ),
        (vec!["completions", "tcsh"], "possible values: bash"),
    ] {
        let ran = cli(&world).args(&args).assert().code(2);
        let err = stderr(&ran);
        assert!(err.contains(values), "{args:?}: want {values:?} in {err}");
        assert!(
            !err.contains("SessionStatus") && !err.contains("Stage "),
            "{err}"
        );
    }
    // What the core reads as a state is still accepted.
    let ran = cli(&world)
        .args(["--json", "list", "active"])
        .assert()
        .success();
    assert!(stdout(&ran).contains("2026-11-20-rest-api-auth"));
    // A wrong value nearly right gets clap's suggestion.
    let ran = cli(&world).args(["list", "pausd"]).assert().code(2);
    assert!(
        stderr(&ran).contains("tip: a similar value exists: 'paused'"),
        "{}",
        stderr(&ran)
    );
}

#[test]
fn unknown_subcommands_get_did_you_mean() {
    let world = World::new();
    let ran = cli(&world).arg("phsae").assert().code(2);
    let err = stderr(&ran);
    assert!(err.contains("unrecognized subcommand 'phsae'"), "{err}");
    assert!(err.contains("'phase'"), "{err}");
    let ran = cli(&world).args(["phase", "strat"]).assert().code(2);
    assert!(stderr(&ran).contains("'start'"), "{}", stderr(&ran));
    // Session ids: the core's message is printed whole.
    let world = world_with_sessions();
    let msg = maestro_refused(&world, &["show", "1999"], 1, "1999");
    assert!(msg.contains("not found"), "{msg}");
}

#[test]
fn json_usage_errors_carry_the_whole_message_and_the_usage_line() {
    let world = World::new();
    let (code, out, err) = maestro(&world, &["tokens", "active"]);
    assert_eq!(code, 2);
    assert_eq!(out, Value::Null);
    let v: Value = serde_json::from_str(err.trim()).expect("one JSON error object");
    let message = v["error"].as_str().expect("error");
    assert!(
        message.contains("the following required arguments were not provided:\n  --agent <AGENT>"),
        "{message}"
    );
    assert!(!message.contains('\u{1b}'), "no ANSI: {message:?}");
    assert_eq!(v["kind"], "usage");
    assert_eq!(
        v["usage"],
        "Usage: maestro-session tokens --agent <AGENT> <SESSION>"
    );
    // `--json` after `--` is a value (here the task), not the flag: the output is human.
    let ran = cli(&world)
        .args(["create", "--", "--json"])
        .assert()
        .success();
    assert!(stdout(&ran).starts_with("created "), "{}", stdout(&ran));
}

#[test]
fn cli_side_errors_exit_through_the_table() {
    let world = World::new();
    // A relative path where an absolute one is needed: usage (2).
    let ran = cli(&world)
        .args([
            "setup",
            "claude-plugin",
            "plug",
            "--bin-dir",
            "bin",
            "--cli",
            "/x/m",
        ])
        .assert()
        .code(2);
    assert!(
        stderr(&ran).contains("--bin-dir bin is not absolute"),
        "{}",
        stderr(&ran)
    );
    // A settings file that does not parse: a broken file (3), left unchanged.
    let settings = world.project().join("settings.json");
    std::fs::write(&settings, "{ not json").expect("write");
    let ran = cli(&world)
        .args(["setup", "claude", "--bin-dir", "/opt/m/bin", "--settings"])
        .arg(&settings)
        .assert()
        .code(3);
    assert!(stderr(&ran).contains("settings.json"), "{}", stderr(&ran));
    assert_eq!(
        std::fs::read_to_string(&settings).expect("read"),
        "{ not json"
    );
    // --context with nothing to add is a usage error before anything is read.
    let ran = cli(&world)
        .args(["context", "active", "1"])
        .assert()
        .code(2);
    assert!(stderr(&ran).contains("--interface"), "{}", stderr(&ran));
    // A plan that is not a regular file is refused, not read.
    let ran = cli(&world)
        .args(["create", "T", "--plan", "/dev/null"])
        .assert()
        .code(3);
    assert!(
        stderr(&ran).contains("not a regular file"),
        "{}",
        stderr(&ran)
    );
}

#[test]
fn plan_errors_name_file_line_and_expectation() {
    let world = World::new();
    let plan = world.project().join("plan.yaml");
    std::fs::write(&plan, "phases:\n  - name: Design\n    agents: 5\n").expect("write");
    let msg = maestro_refused(
        &world,
        &["create", "T", "--plan", "plan.yaml"],
        2,
        "plan.yaml:3:13",
    );
    assert!(
        msg.contains("phases[0].agents: expected a list of agent names, found the number 5"),
        "{msg}"
    );
}

#[test]
fn a_closed_stdout_ends_quietly() {
    let world = world_with_sessions();
    for args in [
        vec!["list", "--wide"],
        vec!["show", "--log"],
        vec!["--json", "show"],
    ] {
        let mut child = world
            .cmd("maestro-session")
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        // The reader goes away before the command writes.
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

// The shape of every `--json` object is held to its schema in `output_schemas.rs`.
