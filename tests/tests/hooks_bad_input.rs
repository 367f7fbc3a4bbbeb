//! Every hook, fed every kind of bad input (issue item 4): one stderr line, exactly one JSON
//! object on stdout that allows the turn, exit 0, and nothing written outside the hook base.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::process::Command;

use e2e_tests::{World, json_out, run, stderr_lines};
use serde_json::{Value, json};

const HOOKS: [&str; 4] = [
    "session-start",
    "before-agent",
    "after-agent",
    "session-end",
];

fn allow_for(hook: &str) -> Value {
    match hook {
        "before-agent" | "after-agent" => json!({"decision": "allow"}),
        _ => json!({}),
    }
}

/// Runs `hook` with `stdin` in `world` (after `tweak`), asserting the safe ending.
fn assert_safe(
    world: &World,
    hook: &str,
    stdin: &[u8],
    tweak: impl Fn(&mut Command),
    want_error: &str,
) {
    let before = world.snapshot_outside_hooks();
    let mut cmd = world.cmd(hook);
    tweak(&mut cmd);
    let out = run(cmd, stdin);
    assert_eq!(out.status.code(), Some(0), "{hook}: exit");
    let answer = json_out(&out);
    assert_eq!(answer, allow_for(hook), "{hook}: answer");
    let lines = stderr_lines(&out);
    assert_eq!(lines.len(), 1, "{hook}: stderr {lines:?}");
    assert!(
        lines[0].starts_with(&format!("[ERROR] maestro: {hook}: ")),
        "{hook}: {lines:?}"
    );
    assert!(
        lines[0].contains(want_error),
        "{hook}: want {want_error:?} in {lines:?}"
    );
    assert_eq!(
        world.snapshot_outside_hooks(),
        before,
        "{hook}: wrote outside the hook base"
    );
}

fn payload(session_id: &str) -> Vec<u8> {
    json!({"session_id": session_id, "cwd": "/nonexistent", "hook_event_name": "BeforeAgent", "prompt": "delegate to coder: x", "prompt_response": "none", "stop_hook_active": false}).to_string().into_bytes()
}

#[test]
fn malformed_stdin() {
    let world = World::new().with_active_session();
    let big = {
        let mut v = br#"{"session_id":"s","prompt":""#.to_vec();
        v.extend(std::iter::repeat_n(b'x', 1024 * 1024));
        v.extend(br#""}"#);
        v
    };
    let cases: [(&[u8], &str); 5] = [
        (b"", "stdin is empty"),
        (b"{not json", "not valid JSON"),
        (b"[{\"session_id\":\"s\"}]", "an array, not an object"),
        (&big, "exceeds 1048576 bytes"),
        (b"{\"prompt\":\"x\"}", "no string session_id"),
    ];
    for hook in HOOKS {
        for (stdin, want) in cases {
            assert_safe(&world, hook, stdin, |_| {}, want);
        }
    }
}

#[test]
fn unsafe_session_ids_never_reach_the_file_system() {
    let world = World::new().with_active_session();
    let long = "a".repeat(200);
    for hook in HOOKS {
        for (id, want) in [
            ("a/b", "contains '/'"),
            ("..", "contains '.'"),
            ("has space", "contains ' '"),
            (long.as_str(), "200 characters"),
        ] {
            assert_safe(&world, hook, &payload(id), |_| {}, want);
        }
    }
    assert!(!world.hooks().join("a").exists());
}

#[test]
fn corrupt_active_session() {
    let world = World::new();
    std::fs::create_dir_all(world.state()).expect("mkdir");
    std::fs::write(
        world.state().join("active-session.md"),
        "---\nstatus: [broken\n---\n",
    )
    .expect("write");
    assert_safe(
        &world,
        "before-agent",
        &payload("s1"),
        |_| {},
        "active-session.md:2",
    );
    // The agent was still recorded, inside the hook base, and the session file is untouched.
    assert_eq!(
        std::fs::read_to_string(world.hooks().join("s1/active-agent")).expect("agent"),
        "coder"
    );
    assert_eq!(
        std::fs::read_to_string(world.state().join("active-session.md")).expect("read"),
        "---\nstatus: [broken\n---\n"
    );
}

#[test]
fn unreadable_state_dir() {
    // As root, permission bits do not stop reads; a state dir that is a file, and an active
    // session that is a folder, fail for everyone.
    let world = World::new();
    std::fs::create_dir_all(world.project().join("docs")).expect("mkdir");
    std::fs::write(world.project().join("docs/maestro"), "not a folder").expect("write");
    let plain = json!({"session_id": "s2", "prompt": "hello", "prompt_response": "hi"}).to_string();
    for hook in HOOKS {
        let out = run(world.cmd(hook), plain.as_bytes());
        assert_eq!(json_out(&out), allow_for(hook), "{hook}");
        assert!(
            stderr_lines(&out).is_empty(),
            "missing state dir is just no session: {hook}"
        );
    }
    let world = World::new();
    std::fs::create_dir_all(world.state().join("active-session.md")).expect("mkdir");
    assert_safe(
        &world,
        "before-agent",
        &payload("s3"),
        |_| {},
        "is a folder, not a regular file",
    );
}

#[test]
fn missing_state_dir_is_no_session() {
    let world = World::new();
    let mut cmd = world.cmd("before-agent");
    cmd.env("MAESTRO_STATE_DIR", "does/not/exist");
    let out = run(cmd, &payload("s4"));
    assert_eq!(json_out(&out), json!({"decision": "allow"}));
    assert!(stderr_lines(&out).is_empty());
}

#[test]
fn unusable_hook_base_and_fallback() {
    let world = World::new().with_active_session();
    std::fs::write(world.hooks(), "a file, not a folder").expect("write");
    // The fallback under TMPDIR works: one warning line, the hook does its job there.
    let out = run(world.cmd("before-agent"), &payload("s5"));
    assert_eq!(json_out(&out)["decision"], "allow");
    let lines = stderr_lines(&out);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("[WARN] maestro: hook base") && lines[0].contains("is not a folder"),
        "{lines:?}"
    );
    if e2e_tests::bins_for_windows() {
        // Under wine the executable's TMPDIR is the wrappers' (wine finds its server through
        // TMPDIR, so scripts/cross.sh fixes it), not the test's: the fallback is the one the
        // warning names, `<that TMPDIR>\maestro-hooks-0` (Windows has no uid; user_id is 0).
        // The rest of this test sets TMPDIR to an unusable path, which the wrappers would
        // override, so it runs on Unix only.
        let named = lines[0].rsplit("; using ").next().expect("fallback named");
        let fallback = std::path::PathBuf::from(named.replace('\\', "/"));
        assert!(named.ends_with("maestro-hooks-0"), "{named}");
        let agent = std::fs::read_to_string(fallback.join("s5/active-agent"));
        std::fs::remove_dir_all(fallback.join("s5")).expect("clean the fallback");
        assert_eq!(agent.expect("fallback agent"), "coder");
        return;
    }
    let uid = std::fs::metadata(world.root())
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m))
        .expect("uid");
    let fallback = world.root().join(format!("tmp/maestro-hooks-{uid}"));
    assert_eq!(
        std::fs::read_to_string(fallback.join("s5/active-agent")).expect("fallback agent"),
        "coder"
    );

    // Neither usable: an error line and the safe answer.
    let not_a_dir = world.root().join("home/not-a-dir");
    std::fs::write(&not_a_dir, "file").expect("write");
    for hook in HOOKS {
        assert_safe(
            &world,
            hook,
            &payload("s6"),
            |cmd| {
                cmd.env("TMPDIR", &not_a_dir);
                cmd.env("MAESTRO_HOOKS_DIR", world.hooks());
            },
            "is not usable",
        );
    }
}

#[test]
fn terminal_stdin_does_not_block() {
    let world = World::new();
    for hook in HOOKS {
        let exe = e2e_tests::bin(hook);
        // `script` gives the hook a pseudo-terminal as stdin; `timeout` turns a hang into a failure.
        let out = Command::new("timeout")
            .args(["10", "script", "-qec"])
            .arg(exe.as_os_str())
            .arg("/dev/null")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("MAESTRO_HOOKS_DIR", world.hooks())
            .env("TMPDIR", world.root().join("tmp"))
            .current_dir(world.project())
            .stdin(std::process::Stdio::null())
            .output()
            .expect("script");
        assert_eq!(out.status.code(), Some(0), "{hook}: {:?}", out);
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        if e2e_tests::bins_for_windows() {
            // Under wine the host's pseudo-terminal is driven by wine's console, which
            // interleaves its own escape sequences (cursor, title) with what the hook prints.
            text = without_escape_sequences(&text);
        }
        assert!(text.contains("stdin is a terminal"), "{hook}: {text}");
        let answer_line = text
            .lines()
            .find(|l| l.trim_start().starts_with('{'))
            .unwrap_or_else(|| panic!("{hook}: no json line in {text:?}"));
        let answer: Value = serde_json::from_str(answer_line.trim()).expect("json");
        assert_eq!(answer, allow_for(hook), "{hook}");
    }
}

#[test]
fn an_answer_that_cannot_be_written_is_said_on_stderr() {
    // stdout is /dev/full: every write fails (ENOSPC). The hook still exits 0 and names what
    // it could not do, where the runtime logs it.
    let world = World::new();
    for hook in HOOKS {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let out = world
            .cmd(hook)
            .stdin(std::process::Stdio::null())
            .stdout(full)
            .stderr(std::process::Stdio::piped())
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(0), "{hook}: exit");
        let lines = stderr_lines(&out);
        assert!(
            lines.iter().any(|l| l.starts_with(&format!(
                "[ERROR] maestro: {hook}: cannot write the answer to stdout: "
            ))),
            "{hook}: {lines:?}"
        );
    }
}

/// `text` without terminal escape sequences: CSI (`ESC [` ... a final byte `@`..`~`), OSC
/// (`ESC ]` ... BEL or `ESC \\`) and two-byte `ESC x`.
fn without_escape_sequences(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('[') => {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            Some(']') => {
                while let Some(c) = chars.next() {
                    if c == '\u{7}' || (c == '\u{1b}' && chars.next_if_eq(&'\\').is_some()) {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

#[test]
fn bad_runtime_flag_still_answers_safely() {
    let world = World::new();
    let mut cmd = world.cmd("before-agent");
    cmd.args(["--runtime", "vim"]);
    let out = run(cmd, &payload("s7"));
    assert_eq!(json_out(&out), json!({"decision": "allow"}));
    assert!(
        stderr_lines(&out)
            .iter()
            .any(|l| l.contains("unknown runtime \"vim\""))
    );
}

#[test]
fn malformed_ttl_is_reported_and_the_hook_still_works() {
    let world = World::new().with_active_session();
    let mut cmd = world.cmd("before-agent");
    cmd.env("MAESTRO_HOOKS_TTL_SECS", "2h");
    let out = run(cmd, &payload("s8"));
    assert_eq!(json_out(&out)["decision"], "allow");
    let lines = stderr_lines(&out);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("[WARN] maestro: environment variable MAESTRO_HOOKS_TTL_SECS=\"2h\""),
        "{lines:?}"
    );
    assert_eq!(
        std::fs::read_to_string(world.hooks().join("s8/active-agent")).expect("agent"),
        "coder"
    );
}
