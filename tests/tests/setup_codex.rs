//! `maestro-session setup codex` over the built executable, in temp dirs (HOME and CODEX_HOME
//! point into the test's world, never at the real home): merging keeps what is there, running
//! it again changes no byte, a file that does not parse stops it before anything is written.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::path::{Path, PathBuf};

use e2e_tests::{World, run};
use serde_json::Value;

const BIN_DIR: &str = "/opt/maestro/share/maestro-session/bin";
const MCP: &str = "/opt/maestro/bin/maestro-session";

const USER_CONFIG: &str = "# my Codex settings\nmodel = \"gpt-5\"   # the default\napproval_policy = \"on-request\"\n\n[mcp_servers.docs]\ncommand = \"npx\"\nargs = [\"-y\", \"docs-mcp\"]\n\n[hooks.state.\"/h/.codex/hooks.json:pre_tool_use:0:0\"]\ntrusted_hash = \"sha256:0123\"\n";
const USER_HOOKS: &str = r#"{
  "hooks": {
    "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "/usr/local/bin/guard"}]}],
    "SessionStart": [{"hooks": [{"type": "command", "command": "/usr/local/bin/hello", "timeout": 2}]}]
  }
}
"#;

/// The world's Codex home (`<world>/codex-home`), created.
fn codex_home(world: &World) -> PathBuf {
    let dir = world.root().join("codex-home");
    std::fs::create_dir_all(&dir).expect("mkdir codex home");
    dir
}

/// Runs `maestro-session setup codex <args>` with CODEX_HOME (when given) in `world`; returns
/// (exit code, stdout, stderr).
fn setup(world: &World, home: Option<&Path>, args: &[&str]) -> (i32, String, String) {
    let mut cmd = world.cmd("maestro-session");
    if let Some(home) = home {
        cmd.env("CODEX_HOME", home);
    }
    cmd.args(["setup", "codex", "--bin-dir", BIN_DIR, "--mcp-command", MCP])
        .args(args);
    let out = run(cmd, b"");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn merges_keeping_other_keys_and_is_idempotent() {
    let world = World::new();
    let home = codex_home(&world);
    std::fs::write(home.join("config.toml"), USER_CONFIG).expect("write");
    std::fs::write(home.join("hooks.json"), USER_HOOKS).expect("write");

    let (code, out, err) = setup(&world, Some(&home), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("hooks: merged SessionStart, SubagentStart, SubagentStop, SessionEnd"));
    assert!(out.contains("mcp: merged [mcp_servers.maestro-session]"));
    assert!(
        out.contains("Hooks need review") && out.contains("--dangerously-bypass-hook-trust"),
        "says how Codex trusts hooks: {out}"
    );
    let config = read(&home.join("config.toml"));
    let hooks = read(&home.join("hooks.json"));

    // Everything the user had, as written; our server beside theirs.
    let (before_state, state) =
        USER_CONFIG.split_at(USER_CONFIG.find("[hooks.state").expect("state"));
    assert_eq!(
        config,
        format!(
            "{before_state}[mcp_servers.maestro-session]\ncommand = \"{MCP}\"\nargs = [\"mcp\"]\nenv_vars = [\"MAESTRO_WORKSPACE_PATH\", \"MAESTRO_STATE_DIR\"]\n\n{state}"
        )
    );
    let v: Value = serde_json::from_str(&hooks).expect("json");
    assert_eq!(
        v["hooks"]["PreToolUse"][0]["hooks"][0]["command"],
        "/usr/local/bin/guard"
    );
    let start = v["hooks"]["SessionStart"].as_array().expect("list");
    assert_eq!(
        start[0]["hooks"][0]["command"], "/usr/local/bin/hello",
        "theirs stays first"
    );
    assert_eq!(
        start[1]["hooks"][0]["command"],
        format!("{BIN_DIR}/session-start --runtime claude")
    );
    assert_eq!(v["hooks"]["SessionEnd"][0]["hooks"][0]["timeout"], 3);
    assert_eq!(v["hooks"]["SubagentStop"][0]["hooks"][0]["timeout"], 5);

    // Again: byte-identical files, and it says so.
    let (code, out, err) = setup(&world, Some(&home), &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(read(&home.join("config.toml")), config);
    assert_eq!(read(&home.join("hooks.json")), hooks);
    assert!(out.contains("already has"), "{out}");
    assert!(out.contains("did not change"), "{out}");
}

#[test]
fn defaults_to_home_dot_codex_and_creates_private_files() {
    use std::os::unix::fs::PermissionsExt as _;
    let world = World::new();
    let (code, _, err) = setup(&world, None, &["--approve-tools", "--workspace", "/work/p"]);
    assert_eq!(code, 0, "{err}");
    let dot = world.root().join("home/.codex");
    let config = read(&dot.join("config.toml"));
    assert!(
        config.contains("default_tools_approval_mode = \"approve\""),
        "{config}"
    );
    assert!(
        config.contains("env = { MAESTRO_WORKSPACE_PATH = \"/work/p\" }"),
        "{config}"
    );
    for file in ["config.toml", "hooks.json"] {
        let mode = std::fs::metadata(dot.join(file))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file}");
    }
}

#[test]
fn a_file_that_does_not_parse_stops_before_anything_is_written() {
    let world = World::new();
    let home = codex_home(&world);
    let bad_toml = "model = \"o3\"\n[mcp_servers\n";
    std::fs::write(home.join("config.toml"), bad_toml).expect("write");
    let (code, _, err) = setup(&world, Some(&home), &[]);
    assert_eq!(code, 3, "{err}");
    let config_path = home.join("config.toml");
    assert!(
        err.contains(&format!("{}:2: not valid TOML", config_path.display())),
        "{err}"
    );
    assert_eq!(read(&config_path), bad_toml, "left unchanged");
    assert!(!home.join("hooks.json").exists(), "nothing written");

    std::fs::write(&config_path, "").expect("write");
    let bad_json = "{\n  \"hooks\": {\n    \"SessionStart\": [,]\n  }\n}\n";
    std::fs::write(home.join("hooks.json"), bad_json).expect("write");
    let (code, _, err) = setup(&world, Some(&home), &[]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains(&format!(
            "{}:3: not valid JSON",
            home.join("hooks.json").display()
        )),
        "{err}"
    );
    assert_eq!(read(&home.join("hooks.json")), bad_json);
    assert_eq!(read(&config_path), "", "nothing written");
}

#[test]
fn symlinked_files_stay_links_and_no_mcp_leaves_config_alone() {
    let world = World::new();
    let home = codex_home(&world);
    let dotfiles = world.root().join("dotfiles");
    std::fs::create_dir_all(&dotfiles).expect("mkdir");
    std::fs::write(dotfiles.join("hooks.json"), USER_HOOKS).expect("write");
    std::os::unix::fs::symlink(dotfiles.join("hooks.json"), home.join("hooks.json"))
        .expect("symlink");
    let (code, _, err) = setup(&world, Some(&home), &["--no-mcp"]);
    assert_eq!(code, 0, "{err}");
    let meta = std::fs::symlink_metadata(home.join("hooks.json")).expect("meta");
    assert!(meta.file_type().is_symlink(), "the link stays");
    assert!(read(&dotfiles.join("hooks.json")).contains("--runtime claude"));
    assert!(
        !home.join("config.toml").exists(),
        "--no-mcp writes no config.toml"
    );
}

#[test]
fn works_whatever_state_dir_the_environment_names() {
    // install.sh may run anywhere; a state dir that no command here could use is not its
    // business.
    let world = World::new();
    let home = codex_home(&world);
    let mut cmd = world.cmd("maestro-session");
    cmd.env("CODEX_HOME", &home)
        .env("MAESTRO_STATE_DIR", "/etc")
        .args(["setup", "codex", "--bin-dir", BIN_DIR, "--no-mcp"]);
    let out = run(cmd, b"");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(home.join("hooks.json").is_file());
}
