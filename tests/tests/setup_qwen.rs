//! `maestro-session setup qwen` over the built executable, in temp dirs (HOME and QWEN_HOME
//! point into the test's world, never at the real home): it writes the Qwen Code extension
//! `maestro-session`, keeps what else its manifest holds, changes no byte when run again, and
//! leaves a manifest it cannot merge as it was.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::path::{Path, PathBuf};

use e2e_tests::{World, run};
use serde_json::{Value, json};

const BIN_DIR: &str = "/opt/maestro/share/maestro-session/bin";
const MCP: &str = "/opt/maestro/bin/maestro-session";
const EVENTS: [(&str, &str); 4] = [
    ("SessionStart", "session-start"),
    ("SubagentStart", "before-agent"),
    ("SubagentStop", "after-agent"),
    ("SessionEnd", "session-end"),
];

/// Runs `maestro-session setup qwen --bin-dir BIN_DIR <args>` with QWEN_HOME (when given) in
/// `world`; returns (exit code, stdout, stderr).
fn setup(world: &World, qwen_home: Option<&Path>, args: &[&str]) -> (i32, String, String) {
    let mut cmd = world.cmd("maestro-session");
    if let Some(home) = qwen_home {
        cmd.env("QWEN_HOME", home);
    }
    cmd.args(["setup", "qwen", "--bin-dir", BIN_DIR]).args(args);
    let out = run(cmd, b"");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn manifest_in(qwen_home: &Path) -> PathBuf {
    qwen_home.join("extensions/maestro-session/qwen-extension.json")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn writes_the_extension_in_the_qwen_home_and_again_changes_nothing() {
    let world = World::new();
    // Without QWEN_HOME: ~/.qwen of the world's HOME.
    let (code, out, err) = setup(&world, None, &["--mcp-command", MCP]);
    assert_eq!(code, 0, "{err}");
    let manifest = manifest_in(&world.root().join("home/.qwen"));
    assert!(
        out.starts_with(&format!(
            "qwen: wrote hooks SessionStart, SubagentStart, SubagentStop, SessionEnd ({BIN_DIR}/<hook> --runtime qwen) and MCP server maestro-session ({MCP} mcp) into {}\n",
            manifest.display()
        )),
        "{out}"
    );
    assert!(
        out.contains("${hook_context}"),
        "says how a sub-agent gets its context: {out}"
    );
    let text = read(&manifest);
    let v: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(v["name"], "maestro-session");
    assert_eq!(
        v["mcpServers"]["maestro-session"],
        json!({"command": MCP, "args": ["mcp"], "env": {"MAESTRO_WORKSPACE_PATH": "${workspacePath}"}})
    );
    for (event, exe) in EVENTS {
        assert_eq!(
            v["hooks"][event][0]["hooks"][0]["command"],
            format!("{BIN_DIR}/{exe} --runtime qwen"),
            "{event}"
        );
        assert_eq!(v["hooks"][event][0]["hooks"][0]["timeout"], 5, "seconds");
    }

    let (code, out, err) = setup(&world, None, &["--mcp-command", MCP]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with(&format!("qwen: {} already has hooks", manifest.display())),
        "{out}"
    );
    assert_eq!(read(&manifest), text, "byte for byte");

    // QWEN_HOME wins over HOME; without --mcp-command the server is this executable.
    let qwen_home = world.root().join("qwen-home");
    let (code, _, err) = setup(&world, Some(&qwen_home), &[]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&read(&manifest_in(&qwen_home))).expect("json");
    let command = v["mcpServers"]["maestro-session"]["command"]
        .as_str()
        .expect("command");
    assert!(
        command.ends_with("/maestro-session") && Path::new(command).is_file(),
        "{command}"
    );
}

const USER_MANIFEST: &str = r#"{
  "name": "maestro-session",
  "version": "0.0.1",
  "contextFileName": "NOTES.md",
  "settings": [{"name": "Token", "envVar": "MY_TOKEN", "sensitive": true}],
  "mcpServers": {
    "docs": {"command": "npx", "args": ["-y", "docs-mcp"]},
    "maestro-session": {"command": "/old/bin/maestro-session", "args": ["mcp"], "timeout": 30000}
  },
  "hooks": {
    "PreToolUse": [{"matcher": "run_shell_command", "hooks": [{"type": "command", "command": "/usr/local/bin/guard"}]}],
    "SubagentStop": [
      {"hooks": [{"type": "command", "command": "/usr/local/bin/audit", "timeout": 2},
                 {"type": "command", "command": "/old/bin/after-agent --runtime qwen", "timeout": 10}]}
    ]
  }
}
"#;

#[test]
fn keeps_the_users_entries_and_replaces_an_earlier_install_in_place() {
    let world = World::new();
    let home = world.root().join("qwen-home");
    let manifest = manifest_in(&home);
    std::fs::create_dir_all(manifest.parent().expect("dir")).expect("mkdir");
    std::fs::write(&manifest, USER_MANIFEST).expect("write");

    let (code, out, err) = setup(&world, Some(&home), &["--mcp-command", MCP]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("qwen: wrote"), "{out}");
    let text = read(&manifest);
    let v: Value = serde_json::from_str(&text).expect("json");
    let user: Value = serde_json::from_str(USER_MANIFEST).expect("json");
    for key in ["contextFileName", "settings"] {
        assert_eq!(v[key], user[key], "{key}");
    }
    assert_eq!(v["mcpServers"]["docs"], user["mcpServers"]["docs"]);
    let ours = &v["mcpServers"]["maestro-session"];
    assert_eq!(
        (&ours["command"], &ours["timeout"]),
        (&json!(MCP), &json!(30000))
    );
    assert_eq!(v["hooks"]["PreToolUse"], user["hooks"]["PreToolUse"]);
    // The user's audit hook stays first; the old handler of ours is rewritten where it was.
    let stop = &v["hooks"]["SubagentStop"];
    assert_eq!(stop.as_array().map(Vec::len), Some(1), "{stop}");
    assert_eq!(
        stop[0]["hooks"][0],
        user["hooks"]["SubagentStop"][0]["hooks"][0]
    );
    assert_eq!(
        stop[0]["hooks"][1]["command"],
        format!("{BIN_DIR}/after-agent --runtime qwen")
    );
    assert_eq!(stop[0]["hooks"][1]["timeout"], 5);
    assert_eq!(
        v["hooks"]["SessionStart"][0]["hooks"][0]["name"],
        "maestro-session-start"
    );

    // Again: nothing changes.
    let (code, out, _) = setup(&world, Some(&home), &["--mcp-command", MCP]);
    assert_eq!(code, 0);
    assert!(out.contains("already has"), "{out}");
    assert_eq!(read(&manifest), text);

    // --no-mcp takes our server out and leaves theirs.
    let (code, out, err) = setup(&world, Some(&home), &["--no-mcp"]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("MCP server"), "{out}");
    let v: Value = serde_json::from_str(&read(&manifest)).expect("json");
    assert_eq!(v["mcpServers"], json!({"docs": user["mcpServers"]["docs"]}));
    assert_eq!(
        v["hooks"]["SessionEnd"][0]["hooks"][0]["command"],
        format!("{BIN_DIR}/session-end --runtime qwen")
    );
}

#[test]
fn a_manifest_it_cannot_merge_is_left_as_it_is() {
    let world = World::new();
    let home = world.root().join("qwen-home");
    let manifest = manifest_in(&home);
    std::fs::create_dir_all(manifest.parent().expect("dir")).expect("mkdir");
    for (text, want) in [
        (
            "{\"name\": \"maestro-session\",\n  \"hooks\": [",
            ":2: not valid JSON",
        ),
        (
            r#"{"name": "someone-else"}"#,
            "the extension \"someone-else\"",
        ),
        (
            r#"{"hooks": {"SubagentStop": {"hooks": []}}}"#,
            "`hooks.SubagentStop` is not a list",
        ),
    ] {
        std::fs::write(&manifest, text).expect("write");
        let (code, out, err) = setup(&world, Some(&home), &["--mcp-command", MCP]);
        assert_eq!(code, 3, "{text}: {out}{err}");
        assert!(
            err.contains(&manifest.display().to_string()) && err.contains(want),
            "{text}: {err}"
        );
        assert!(err.contains("left unchanged"), "{err}");
        assert_eq!(read(&manifest), text, "unchanged");
    }
    // A path Qwen Code would rewrite (`$`) or could not run (relative) is refused before
    // anything is written.
    std::fs::remove_file(&manifest).expect("rm");
    for (args, want) in [
        (
            vec!["--mcp-command", "/opt/$HOME/maestro-session"],
            "contains `$`",
        ),
        (
            vec!["--mcp-command", MCP, "--dir", "x", "--bin-dir", "/a/$X/bin"],
            "--bin-dir",
        ),
    ] {
        let (code, _, err) = setup(&world, Some(&home), &args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(want), "{err}");
    }
    assert!(!manifest.exists());
    assert!(!world.project().join("x").exists());
}

#[test]
fn the_hooks_it_registers_answer_in_qwens_dialect() {
    // The command setup wrote, run as Qwen Code runs it (a shell), with a recorded payload.
    let world = World::new().with_active_session();
    let bin_dir = e2e_tests::bin("after-agent");
    let bin_dir = bin_dir
        .parent()
        .expect("bin dir")
        .to_string_lossy()
        .into_owned();
    let home = world.root().join("qwen-home");
    let mut cmd = world.cmd("maestro-session");
    cmd.env("QWEN_HOME", &home)
        .args(["setup", "qwen", "--no-mcp", "--bin-dir", &bin_dir]);
    assert!(run(cmd, b"").status.success());
    let v: Value = serde_json::from_str(&read(&manifest_in(&home))).expect("json");
    let command = v["hooks"]["SubagentStop"][0]["hooks"][0]["command"]
        .as_str()
        .expect("command")
        .to_string();
    let payload = json!({"session_id": "s1", "hook_event_name": "SubagentStop", "agent_id": "tester-call_1",
        "agent_type": "tester", "stop_hook_active": false, "cwd": world.project(),
        "last_assistant_message": "## Task Report\nonly this"});
    let mut sh = std::process::Command::new("sh");
    world.configure(&mut sh).args(["-c", &command]);
    let out = run(sh, payload.to_string().as_bytes());
    assert!(out.status.success());
    let answer: Value = serde_json::from_slice(&out.stdout).expect("one JSON answer");
    assert_eq!(answer["decision"], "block", "{answer}");
}
