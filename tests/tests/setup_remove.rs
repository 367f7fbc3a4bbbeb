//! `maestro-session setup <runtime> --remove` over the built executable, in a world whose
//! HOME, CODEX_HOME, QWEN_HOME and CLAUDE_CONFIG_DIR are temp dirs (issue 18 item 6): each
//! takes out what the same `setup` put in and nothing of the user's (the user's content before
//! and after ours comes back byte for byte), a file that held only ours goes, and removing
//! twice changes nothing.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::path::{Path, PathBuf};

use e2e_tests::{Tree, World, run};

/// Runs `maestro-session <args>` in `world` with the runtimes' homes in it; returns (exit code,
/// stdout + stderr).
fn setup(world: &World, args: &[&str]) -> (i32, String) {
    let home = world.root().join("home");
    let mut cmd = world.cmd("maestro-session");
    cmd.env("CODEX_HOME", home.join(".codex"))
        .env("QWEN_HOME", home.join(".qwen"))
        .env("CLAUDE_CONFIG_DIR", home.join(".claude"))
        .arg("setup")
        .args(args);
    let out = run(cmd, b"");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn ok(world: &World, args: &[&str]) -> String {
    let (code, out) = setup(world, args);
    assert_eq!(code, 0, "setup {args:?}: {out}");
    out
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A bin folder with the executables' names in it (their content does not matter here).
fn bin_dir(world: &World) -> PathBuf {
    let bin = world.root().join("opt/share/maestro-session/bin");
    for exe in ["read-active-session", "maestro-session"] {
        write(&bin.join(exe), "#!/bin/sh\n");
    }
    bin
}

/// Removing once restores `want` byte for byte (or deletes the file when `want` is `None`);
/// removing again changes no byte anywhere in the world.
fn assert_removed_twice(world: &World, remove: &[&str], file: &Path, want: Option<&str>) {
    ok(world, remove);
    match want {
        Some(text) => assert_eq!(read(file), text, "{} after --remove", file.display()),
        None => assert!(!file.exists(), "{} should be gone", file.display()),
    }
    let before = Tree::of(world.root());
    ok(world, remove);
    before.assert_same(&Tree::of(world.root()), "a second --remove");
}

#[test]
fn codex_remove_keeps_the_users_hooks_and_config_byte_for_byte() {
    let world = World::new();
    let codex = world.root().join("home/.codex");
    // The user's files in the pretty form every merge writes, with entries of their own
    // before and after where ours go.
    let hooks = "{\n  \"hooks\": {\n    \"PreToolUse\": [\n      {\n        \"matcher\": \"Bash\",\n        \"hooks\": [\n          {\n            \"type\": \"command\",\n            \"command\": \"/usr/local/bin/guard\"\n          }\n        ]\n      }\n    ],\n    \"SessionStart\": [\n      {\n        \"hooks\": [\n          {\n            \"type\": \"command\",\n            \"command\": \"/usr/local/bin/hello\"\n          }\n        ]\n      }\n    ]\n  },\n  \"after\": true\n}\n";
    let config = "# mine\nmodel = \"gpt-5\"   # the default\n\n[mcp_servers.docs]\ncommand = \"npx\"\n\n[hooks.state.\"x:pre_tool_use:0:0\"]\ntrusted_hash = \"sha256:0123\"\n";
    write(&codex.join("hooks.json"), hooks);
    write(&codex.join("config.toml"), config);
    let bin = bin_dir(&world);
    let bin = bin.to_str().expect("utf-8");
    ok(
        &world,
        &[
            "codex",
            "--bin-dir",
            bin,
            "--mcp-command",
            &format!("{bin}/maestro-session"),
        ],
    );
    assert!(read(&codex.join("hooks.json")).contains("session-start --runtime claude"));
    assert!(read(&codex.join("config.toml")).contains("[mcp_servers.maestro-session]"));

    ok(&world, &["codex", "--remove"]);
    assert_eq!(read(&codex.join("hooks.json")), hooks);
    assert_removed_twice(
        &world,
        &["codex", "--remove"],
        &codex.join("config.toml"),
        Some(config),
    );
}

#[test]
fn codex_files_that_held_only_ours_go() {
    let world = World::new();
    let codex = world.root().join("home/.codex");
    let bin = bin_dir(&world);
    let bin = bin.to_str().expect("utf-8");
    ok(
        &world,
        &[
            "codex",
            "--bin-dir",
            bin,
            "--mcp-command",
            &format!("{bin}/maestro-session"),
        ],
    );
    assert_removed_twice(
        &world,
        &["codex", "--remove"],
        &codex.join("hooks.json"),
        None,
    );
    assert!(!codex.join("config.toml").exists());
}

#[test]
fn a_file_that_does_not_parse_is_left_alone() {
    let world = World::new();
    let codex = world.root().join("home/.codex");
    write(
        &codex.join("hooks.json"),
        "{\"hooks\": {\"SessionStart\": [",
    );
    write(
        &codex.join("config.toml"),
        "[mcp_servers.maestro-session]\ncommand = \"/x\"\n",
    );
    let (code, out) = setup(&world, &["codex", "--remove"]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("hooks.json"), "{out}");
    // Nothing was written, not even the file that parses.
    assert!(read(&codex.join("config.toml")).contains("maestro-session"));
}

#[test]
fn claude_settings_remove_keeps_the_users_keys() {
    let world = World::new();
    let settings = world.root().join("home/.claude/settings.json");
    let user = "{\n  \"model\": \"opus\",\n  \"hooks\": {\n    \"SubagentStop\": [\n      {\n        \"hooks\": [\n          {\n            \"type\": \"command\",\n            \"command\": \"/usr/bin/mine\"\n          }\n        ]\n      }\n    ]\n  },\n  \"permissions\": {}\n}\n";
    write(&settings, user);
    let bin = bin_dir(&world);
    let s = settings.to_str().expect("utf-8");
    ok(
        &world,
        &[
            "claude",
            "--bin-dir",
            bin.to_str().expect("utf-8"),
            "--settings",
            s,
        ],
    );
    assert_ne!(read(&settings), user);
    // Without --settings: $CLAUDE_CONFIG_DIR/settings.json.
    assert_removed_twice(&world, &["claude", "--remove"], &settings, Some(user));
}

#[test]
fn gemini_policy_remove_keeps_the_lines_around_our_block() {
    let world = World::new();
    let policy = world
        .root()
        .join("home/.gemini/policies/maestro-session.toml");
    let ext = world.root().join("opt/share/maestro-session");
    bin_dir(&world);
    ok(&world, &["gemini-policy", ext.to_str().expect("utf-8")]);
    let ours = read(&policy);
    let before =
        "# my rules\r\n[[rule]]\ntoolName = \"glob\"\ndecision = \"allow\"\npriority = 5\n\n";
    let after = "\n[[rule]]\ntoolName = \"rm\"\ndecision = \"deny\"\npriority = 9";
    write(&policy, &format!("{before}{ours}{after}"));
    assert_removed_twice(
        &world,
        &["gemini-policy", "--remove"],
        &policy,
        Some(&format!("{before}{after}")),
    );
    // Only ours in it: the file goes.
    write(&policy, &ours);
    assert_removed_twice(&world, &["gemini-policy", "--remove"], &policy, None);
    // A file of the same name that is not ours is not touched.
    write(&policy, "[[rule]]\ntoolName = \"glob\"\n");
    assert_removed_twice(
        &world,
        &["gemini-policy", "--remove"],
        &policy,
        Some("[[rule]]\ntoolName = \"glob\"\n"),
    );
}

#[test]
fn qwen_remove_takes_the_extension_folder_when_only_ours_is_in_it() {
    let world = World::new();
    let dir = world.root().join("home/.qwen/extensions/maestro-session");
    let bin = bin_dir(&world);
    ok(&world, &["qwen", "--bin-dir", bin.to_str().expect("utf-8")]);
    let manifest = dir.join("qwen-extension.json");
    assert!(manifest.exists());
    assert_removed_twice(&world, &["qwen", "--remove"], &manifest, None);
    assert!(!dir.exists(), "the empty extension folder goes");
    // A file of the user's in the folder keeps the folder.
    ok(&world, &["qwen", "--bin-dir", bin.to_str().expect("utf-8")]);
    write(&dir.join("QWEN.md"), "mine\n");
    ok(&world, &["qwen", "--remove"]);
    assert_eq!(read(&dir.join("QWEN.md")), "mine\n");
    assert!(!manifest.exists());
}

#[test]
fn extension_and_plugin_files_go_and_the_users_stay() {
    let world = World::new();
    let ext = world.root().join("opt/share/maestro-session");
    let bin = bin_dir(&world);
    let e = ext.to_str().expect("utf-8");
    ok(&world, &["gemini-extension", e]);
    let plugin = ext.join("claude-plugin");
    let p = plugin.to_str().expect("utf-8");
    let cli = format!("{}/maestro-session", bin.display());
    ok(
        &world,
        &[
            "claude-plugin",
            p,
            "--bin-dir",
            bin.to_str().expect("utf-8"),
            "--cli",
            &cli,
            "--marketplace",
        ],
    );
    assert!(ext.join("commands/maestro/status.toml").exists());
    assert!(ext.join(".claude-plugin/marketplace.json").exists());
    write(
        &ext.join("commands/maestro/mine.toml"),
        "prompt = \"mine\"\n",
    );

    let out = ok(&world, &["claude-plugin", p, "--remove", "--marketplace"]);
    assert!(
        out.contains("removed the Claude Code plugin files"),
        "{out}"
    );
    assert!(!plugin.exists() && !ext.join(".claude-plugin").exists());
    ok(&world, &["gemini-extension", e, "--remove"]);
    for gone in [
        "gemini-extension.json",
        "hooks",
        "commands/maestro/status.toml",
    ] {
        assert!(!ext.join(gone).exists(), "{gone} should be gone");
    }
    assert_eq!(
        read(&ext.join("commands/maestro/mine.toml")),
        "prompt = \"mine\"\n"
    );
    assert!(
        bin.join("read-active-session").exists(),
        "bin/ is install.sh's to remove"
    );
    let before = Tree::of(world.root());
    ok(&world, &["gemini-extension", e, "--remove"]);
    ok(&world, &["claude-plugin", p, "--remove", "--marketplace"]);
    before.assert_same(&Tree::of(world.root()), "a second --remove");
}

#[test]
fn a_portable_plugin_names_only_its_own_bin_and_goes_like_the_other() {
    let world = World::new();
    let root = world.root().join("unpacked here/maestro-session-0.1.0");
    let plugin = root.join("claude-plugin");
    let p = plugin.to_str().expect("utf-8");

    // --portable takes no --bin-dir or --cli, and --platform only with --portable: refused
    // by the parser before anything is written.
    let before = Tree::of(world.root());
    for args in [
        vec!["claude-plugin", p, "--portable", "--bin-dir", "/opt/bin"],
        vec![
            "claude-plugin",
            p,
            "--portable",
            "--cli",
            "/opt/bin/maestro-session",
        ],
        vec![
            "claude-plugin",
            p,
            "--bin-dir",
            "/opt/bin",
            "--cli",
            "/opt/m",
            "--platform",
            "windows",
        ],
    ] {
        let (code, out) = setup(&world, &args);
        assert_eq!(code, 2, "{args:?}: {out}");
        assert!(
            out.contains("cannot be used with") || out.contains("--platform is for --portable"),
            "{args:?}: {out}"
        );
    }
    before.assert_same(&Tree::of(world.root()), "a refused setup claude-plugin");

    ok(&world, &["claude-plugin", p, "--portable", "--marketplace"]);
    let hooks = read(&plugin.join("hooks/hooks.json"));
    let mcp = read(&plugin.join(".mcp.json"));
    let status = read(&plugin.join("commands/status.md"));
    for (name, text) in [
        ("hooks.json", &hooks),
        (".mcp.json", &mcp),
        ("status.md", &status),
    ] {
        assert!(text.contains("${CLAUDE_PLUGIN_ROOT}"), "{name}: {text}");
        assert!(
            !text.contains(world.root().to_str().expect("utf-8")),
            "{name} names an install path: {text}"
        );
    }
    let hooks: serde_json::Value = serde_json::from_str(&hooks).expect("json");
    let start = &hooks["hooks"]["SessionStart"][0]["hooks"][0];
    if cfg!(windows) {
        assert_eq!(start["args"][0], "session-start", "{start}");
    } else {
        assert_eq!(
            start["command"],
            "\"${CLAUDE_PLUGIN_ROOT}/bin/maestro-session-hook\" session-start --runtime claude"
        );
    }
    let market: serde_json::Value =
        serde_json::from_str(&read(&root.join(".claude-plugin/marketplace.json"))).expect("json");
    assert_eq!(market["plugins"][0]["source"], "./claude-plugin");

    // The same files for a Windows archive built here: the exec form, `.exe`.
    let win = world.root().join("win/claude-plugin");
    let w = win.to_str().expect("utf-8");
    ok(
        &world,
        &["claude-plugin", w, "--portable", "--platform", "windows"],
    );
    let hooks: serde_json::Value =
        serde_json::from_str(&read(&win.join("hooks/hooks.json"))).expect("json");
    assert_eq!(
        hooks["hooks"]["SubagentStop"][0]["hooks"][0]["command"],
        "${CLAUDE_PLUGIN_ROOT}\\bin\\maestro-session-hook.exe"
    );

    // --remove takes out what --portable wrote; a bin/ put there by the archive stays.
    write(&plugin.join("bin/maestro-session-hook"), "#!/bin/sh\n");
    ok(&world, &["claude-plugin", p, "--remove", "--marketplace"]);
    assert!(!plugin.join("hooks").exists() && !plugin.join(".mcp.json").exists());
    assert!(!root.join(".claude-plugin").exists());
    assert_eq!(
        read(&plugin.join("bin/maestro-session-hook")),
        "#!/bin/sh\n"
    );
}

#[test]
fn a_folder_that_is_another_extension_is_refused() {
    let world = World::new();
    let dir = world.root().join("other");
    write(
        &dir.join("gemini-extension.json"),
        "{\"name\": \"other\"}\n",
    );
    write(&dir.join("hooks/hooks.json"), "{}\n");
    let before = Tree::of(world.root());
    let (code, out) = setup(
        &world,
        &["gemini-extension", dir.to_str().expect("utf-8"), "--remove"],
    );
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("not ours"), "{out}");
    before.assert_same(&Tree::of(world.root()), "a refused --remove");
}
