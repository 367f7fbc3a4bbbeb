//! Arguments the executables cannot take as they are: ages past what `jiff` represents, token
//! counts past `u64::MAX`, and arguments that are not valid UTF-8. Each is a clear error with
//! its exit code (never a panic, exit 101) and changes nothing.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use e2e_tests::{World, json_out, maestro, maestro_ok, maestro_refused, run, stderr_lines};
use serde_json::{Value, json};

/// The non-UTF-8 argument of these tests.
fn bad() -> &'static OsStr {
    OsStr::from_bytes(b"\xff")
}

fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

/// A world with one completed session, archived; returns it and the archived file.
fn world_with_archived_completed_session() -> (World, PathBuf) {
    let world = World::new();
    let id = maestro_ok(&world, &["create", "T"])["session_id"]
        .as_str()
        .expect("id")
        .to_string();
    maestro_ok(&world, &["status", "active", "completed"]);
    maestro_ok(&world, &["archive"]);
    let archived = world.state().join(format!("archive/{id}.md"));
    assert!(archived.is_file(), "{}", archived.display());
    (world, archived)
}

#[test]
fn cleanup_ages_beyond_jiff_are_usage_errors_and_remove_nothing() {
    let (world, archived) = world_with_archived_completed_session();
    let before = std::fs::read(&archived).expect("read");
    for age in ["20000000000000w", "9223372036854775808s"] {
        let message = maestro_refused(
            &world,
            &["cleanup", "--older-than", age, "--yes"],
            2,
            "largest accepted age is",
        );
        assert!(message.contains(&format!("{age:?}")), "{message}");
        assert_eq!(
            std::fs::read(&archived).expect("still there"),
            before,
            "{age}"
        );
    }
    // A cutoff of 0 s is now: the session, updated before now, goes.
    let report = maestro_ok(&world, &["cleanup", "--older-than", "0s"]);
    assert_eq!(
        report["removed"].as_array().map(Vec::len),
        Some(1),
        "{report}"
    );
    assert!(!archived.exists());
}

#[test]
fn store_cleanup_with_a_huge_age_removes_nothing() {
    use maestro_session_core::store::{CleanupRequest, Store};
    let (world, archived) = world_with_archived_completed_session();
    let env = maestro_session_core::Env::from_pairs([(
        "GEMINI_PROJECT_DIR",
        world.project().display().to_string(),
    )]);
    let ws = maestro_session_core::workspace::paths::Workspace::with_state_dir(
        &env,
        &world.project(),
        Path::new("docs/maestro"),
    )
    .expect("inside the project");
    let store = Store::new(ws, env);
    for age in [u64::MAX, 1 << 63, i64::MAX as u64] {
        let report = store
            .cleanup(&CleanupRequest {
                older_than_secs: Some(age),
                ..CleanupRequest::default()
            })
            .expect("cleanup");
        assert!(report.removed.is_empty(), "{age}: {:?}", report.removed);
        assert!(archived.is_file(), "{age}");
    }
}

#[test]
fn list_ages_beyond_jiff_are_usage_errors() {
    let world = World::new();
    maestro_ok(&world, &["create", "T"]);
    for flag in ["--since", "--until"] {
        maestro_refused(
            &world,
            &["list", flag, "1000000000000s"],
            2,
            "largest accepted age is",
        );
    }
    assert_eq!(
        maestro_ok(&world, &["list", "--until", "0s"])["sessions"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

/// Runs `maestro-session` with OS-string arguments.
fn maestro_os(world: &World, args: &[OsString]) -> Output {
    let mut cmd = world.cmd("maestro-session");
    cmd.args(args);
    run(cmd, b"")
}

#[test]
fn non_utf8_arguments_to_maestro_session_are_usage_errors() {
    let world = World::new();
    maestro_ok(&world, &["create", "T"]);
    let before = world.snapshot_outside_hooks();
    let cases: Vec<Vec<OsString>> = vec![
        [os(&["show"]), vec![bad().into()]].concat(),
        [os(&["status"]), vec![bad().into()], os(&["completed"])].concat(),
        [os(&["tokens", "active", "--agent"]), vec![bad().into()]].concat(),
        [
            os(&["tokens", "active", "--input", "1", "--agent"]),
            vec![bad().into()],
        ]
        .concat(),
        [os(&["--state-dir"]), vec![bad().into()], os(&["list"])].concat(),
        [os(&["init", "--state-dir"]), vec![bad().into()]].concat(),
    ];
    for args in cases {
        // Human mode, then --json after the bad argument, then --json first.
        let variants = [
            args.clone(),
            [args.clone(), os(&["--json"])].concat(),
            [os(&["--json"]), args.clone()].concat(),
        ];
        for args in variants {
            let out = maestro_os(&world, &args);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{args:?}: {:?}",
                stderr_lines(&out)
            );
            assert!(out.stdout.is_empty(), "{args:?}");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(stderr.contains("invalid UTF-8"), "{args:?}: {stderr}");
            if args.iter().any(|a| a == "--json") {
                let last: Value = serde_json::from_str(stderr.lines().last().unwrap_or_default())
                    .unwrap_or_else(|e| panic!("{args:?}: not a JSON error ({e}): {stderr}"));
                assert_eq!(last["kind"], "usage", "{args:?}");
            }
        }
    }
    assert!(world.snapshot_outside_hooks() == before, "nothing changed");
}

#[test]
fn non_utf8_arguments_to_state_tools_are_usage_errors() {
    let world = World::new().with_active_session();
    let before = world.snapshot_outside_hooks();
    let cases: [(&str, Vec<OsString>); 4] = [
        ("read-state", vec![bad().into()]),
        ("write-state", vec![bad().into()]),
        (
            "write-state",
            [os(&["--no-validate"]), vec![bad().into()]].concat(),
        ),
        ("ensure-workspace", vec![bad().into()]),
    ];
    for (tool, args) in cases {
        let mut cmd = world.cmd(tool);
        cmd.args(&args);
        let out = run(cmd, b"---\nsession_id: x\n---\n");
        assert_eq!(out.status.code(), Some(2), "{tool} {args:?}");
        let lines = stderr_lines(&out);
        assert_eq!(lines.len(), 1, "{tool}: {lines:?}");
        assert!(
            lines[0].starts_with("ERROR: argument ") && lines[0].contains("is not valid UTF-8"),
            "{tool}: {lines:?}"
        );
        assert!(
            lines[0].contains(r#""\xFF""#),
            "names the argument: {lines:?}"
        );
        assert!(out.stdout.is_empty(), "{tool}");
    }
    // Missing arguments are usage errors too.
    for tool in ["read-state", "write-state"] {
        let out = run(world.cmd(tool), b"");
        assert_eq!(out.status.code(), Some(2), "{tool}");
        assert!(stderr_lines(&out)[0].contains("missing argument"), "{tool}");
    }
    assert!(world.snapshot_outside_hooks() == before, "nothing changed");
}

#[test]
fn non_utf8_runtime_is_a_diagnostic_and_the_hook_allows() {
    let world = World::new().with_active_session();
    let payload = json!({"session_id": "s1", "hook_event_name": "BeforeAgent", "prompt": "delegate to coder: x"})
        .to_string();
    for args in [
        [os(&["--runtime"]), vec![bad().into()]].concat(),
        vec![OsStr::from_bytes(b"--runtime=\xff").into()],
    ] {
        let mut cmd = world.cmd("before-agent");
        cmd.args(&args);
        let out = run(cmd, payload.as_bytes());
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert_eq!(json_out(&out)["decision"], "allow", "{args:?}");
        let lines = stderr_lines(&out);
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("[ERROR] maestro: before-agent: ")
                    && l.contains(r#"--runtime value "\xFF" is not valid UTF-8"#)),
            "{args:?}: {lines:?}"
        );
    }
}

#[test]
fn tokens_past_u64_are_refused_and_change_nothing() {
    let world = World::new();
    maestro_ok(&world, &["create", "T"]);
    let max = u64::MAX.to_string();
    let s = maestro_ok(
        &world,
        &["tokens", "active", "--agent", "coder", "--input", &max],
    );
    assert_eq!(s["token_usage"]["total_input"], u64::MAX);
    let file = world.state().join("active-session.md");
    let before = std::fs::read(&file).expect("read");
    for (agent, field) in [("coder", "input count"), ("tester", "total_input")] {
        let message = maestro_refused(
            &world,
            &["tokens", "active", "--agent", agent, "--input", "1"],
            1,
            field,
        );
        assert!(message.contains(&format!("agent {agent:?}")), "{message}");
        assert!(message.contains("nothing recorded"), "{message}");
        assert_eq!(std::fs::read(&file).expect("read"), before, "{agent}");
    }
    let (code, _, stderr) = maestro(&world, &["show", "active"]);
    assert_eq!(code, 0, "{stderr}");
}
