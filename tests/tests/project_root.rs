//! The project root is the repository root, as Maestro 1.6.4 resolves it
//! (`git rev-parse --show-toplevel` of the start folder or of `MAESTRO_WORKSPACE_PATH`), and a
//! folder inside a runtime's extension or plugin cache is never a project (issue 16 item 4).
//!
//! Every surface is run: the command line, the four hooks, the four state tools and the MCP
//! tools (in process, through `maestro_session_core::tools::mcp::Tools`, which `maestro-session mcp`
//! serves as it is).
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::path::{Path, PathBuf};
use std::process::Command;

use e2e_tests::{Ran, Tree, World, fixture};
use maestro_session_core::env::Env;
use maestro_session_core::tools::mcp::Tools;
use serde_json::{Value, json};

const ACTIVE_REL: &str = "docs/maestro/state/active-session.md";

/// Runs git in `dir` with a hermetic environment (the world's home, no system config).
fn git(world: &World, dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("HOME", world.root().join("home"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@t")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@t")
        .output()
        .unwrap_or_else(|e| panic!("git is needed for this test: {e}"));
    assert!(
        out.status.success(),
        "git {args:?} in {}: {out:?}",
        dir.display()
    );
}

/// A world whose project is a real git repository with one commit.
fn repo_world() -> World {
    let world = World::new();
    std::fs::remove_dir_all(world.project().join(".git")).expect("rm the placeholder .git");
    git(&world, &world.project(), &["init", "-q"]);
    git(
        &world,
        &world.project(),
        &["commit", "-q", "--allow-empty", "-m", "one"],
    );
    world
}

/// Executable `name` run in `dir`, with no project variable: the start folder is `dir`.
fn cmd_in(world: &World, name: &str, dir: &Path) -> Command {
    let mut cmd = world.cmd(name);
    cmd.env_remove("GEMINI_PROJECT_DIR").current_dir(dir);
    cmd
}

fn maestro_in(world: &World, dir: &Path, args: &[&str]) -> Ran {
    let mut cmd = cmd_in(world, "maestro-session", dir);
    cmd.arg("--json").args(args);
    Ran::of(cmd, b"")
}

/// A Gemini CLI BeforeAgent payload whose `cwd` is `dir`.
fn before_agent(dir: &Path) -> Vec<u8> {
    json!({"session_id": "rt-1", "cwd": dir, "hook_event_name": "BeforeAgent",
        "prompt": "delegate to coder: phase 2"})
    .to_string()
    .into_bytes()
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().expect("canonical")
}

/// Started in `<repo>/packages/app`, every surface finds the session Maestro left at the
/// repository root, and nothing is created in the subfolder.
#[test]
fn started_in_a_subfolder_the_project_is_the_repository_root() {
    let world = repo_world().with_active_session();
    let app = world.project().join("packages/app");
    std::fs::create_dir_all(&app).expect("mkdir");
    let id = e2e_tests::session_id_of(&fixture("maestro-state/active-session.yaml.md"))
        .expect("fixture id");

    let status = maestro_in(&world, &app, &["show", "active"]);
    status.assert_ok();
    assert!(status.stdout_text().contains(&id), "{status}");
    let listed = maestro_in(&world, &app, &["list"]);
    listed.assert_ok();
    assert!(listed.stdout_text().contains(&id), "{listed}");

    let read = Ran::of(cmd_in(&world, "read-active-session", &app), b"");
    read.assert_ok();
    assert!(read.stdout_text().contains(&id), "{read}");
    // A hook with Gemini CLI's variable set to the subfolder: the root's session's context.
    let mut hook = world.cmd("before-agent");
    hook.env("GEMINI_PROJECT_DIR", &app).current_dir(&app);
    let ran = Ran::of(hook, &before_agent(&app));
    ran.assert_ok();
    assert!(
        ran.json()["hookSpecificOutput"]["additionalContext"].is_string(),
        "{ran}"
    );
    assert!(ran.stderr.is_empty(), "{ran}");

    maestro_in(&world, &app, &["init"]).assert_ok();
    assert!(
        !app.join("docs").exists(),
        "nothing is created in the start folder"
    );
}

/// A linked worktree is a repository of its own (git's answer there): its sessions live at
/// its root, apart from the main work tree's.
#[test]
fn a_worktree_is_its_own_project() {
    let world = repo_world().with_active_session();
    let wt = world.root().join("wt");
    git(
        &world,
        &world.project(),
        &["worktree", "add", "-q", "../wt"],
    );
    let deep = wt.join("src/deep");
    std::fs::create_dir_all(&deep).expect("mkdir");
    let main_sessions = world.sessions();

    let listed = maestro_in(&world, &deep, &["list"]);
    listed.assert_ok();
    assert_eq!(listed.json()["sessions"], json!([]), "{listed}");
    maestro_in(&world, &deep, &["create", "worktree task"]).assert_ok();
    assert!(
        wt.join(ACTIVE_REL).is_file(),
        "the worktree's root holds it"
    );
    assert!(!deep.join("docs").exists());
    assert_eq!(world.sessions(), main_sessions, "the main tree's sessions");
}

/// A submodule is a repository of its own: started inside it, its root is the project.
#[test]
fn a_submodule_is_its_own_project() {
    let world = repo_world().with_active_session();
    let upstream = world.root().join("upstream");
    std::fs::create_dir(&upstream).expect("mkdir");
    git(&world, &upstream, &["init", "-q"]);
    git(
        &world,
        &upstream,
        &["commit", "-q", "--allow-empty", "-m", "u"],
    );
    git(
        &world,
        &world.project(),
        &[
            "-c",
            "protocol.file.allow=always",
            "submodule",
            "add",
            "-q",
            "../upstream",
            "mods/sub",
        ],
    );
    let sub = world.project().join("mods/sub");
    let inner = sub.join("inner");
    std::fs::create_dir_all(&inner).expect("mkdir");
    let main_sessions = world.sessions();
    maestro_in(&world, &inner, &["create", "submodule task"]).assert_ok();
    assert!(
        sub.join(ACTIVE_REL).is_file(),
        "the submodule's root holds it"
    );
    assert!(!inner.join("docs").exists());
    assert_eq!(world.sessions(), main_sessions);
}

/// Outside any repository the start folder itself is the project (an empty `.git/`, which git
/// passes over, makes no repository).
#[test]
fn without_git_the_start_folder_is_the_project() {
    let world = World::new();
    std::fs::remove_dir_all(world.project().join(".git")).expect("rm the placeholder .git");
    std::fs::create_dir(world.project().join(".git")).expect("an empty .git");
    let outside_git = Command::new("git")
        .args(["rev-parse", "--show-toplevel"])
        .current_dir(world.root())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .is_ok_and(|o| !o.status.success());
    if !outside_git {
        eprintln!("skipped: the temp folder lies in a git repository");
        return;
    }
    let sub = world.project().join("sub");
    std::fs::create_dir_all(&sub).expect("mkdir");
    maestro_in(&world, &sub, &["create", "no git"]).assert_ok();
    assert!(sub.join(ACTIVE_REL).is_file(), "the start folder holds it");
    assert!(!world.project().join("docs").exists());
}

/// A symlinked start folder is the folder it leads to: `MAESTRO_WORKSPACE_PATH` naming a link
/// into the repository finds the root's session.
#[test]
fn a_symlinked_start_folder_is_where_it_leads() {
    let world = repo_world().with_active_session();
    let app = world.project().join("packages/app");
    std::fs::create_dir_all(&app).expect("mkdir");
    let link = world.root().join("link");
    std::os::unix::fs::symlink(&app, &link).expect("symlink");
    let elsewhere = world.outside();
    let mut cmd = cmd_in(&world, "maestro-session", &elsewhere);
    cmd.env("MAESTRO_WORKSPACE_PATH", &link)
        .args(["--json", "show", "active"]);
    let ran = Ran::of(cmd, b"");
    ran.assert_ok();
    let path = ran.json()["path"].as_str().map(PathBuf::from);
    assert_eq!(
        path.map(|p| canonical(&p)),
        Some(canonical(&world.project().join(ACTIVE_REL))),
        "{ran}"
    );
    assert!(std::fs::read_dir(&elsewhere).expect("ls").next().is_none());
}

/// Extra environment variables of a run: `(name, value)`.
type ExtraEnv = Vec<(&'static str, PathBuf)>;

/// The caches of every runtime, as `(a folder in it, words the error uses, the environment
/// that makes it one)`.
fn caches(world: &World) -> Vec<(PathBuf, &'static str, ExtraEnv)> {
    let home = world.root().join("home");
    vec![
        (
            home.join(".gemini/extensions/maestro"),
            "Gemini CLI's extension folder",
            vec![],
        ),
        (
            home.join(".claude/plugins/cache/maestro-orchestrate/maestro/1.6.4"),
            "Claude Code's plugin cache",
            vec![],
        ),
        (
            home.join(".codex/plugins/cache/maestro"),
            "Codex's plugin cache",
            vec![],
        ),
        (
            home.join(".qwen/extensions/maestro"),
            "Qwen Code's extension folder",
            vec![],
        ),
        // A moved Codex home keeps its plugin cache under the variable's folder.
        (
            world.root().join("codexhome/plugins/cache/maestro"),
            "Codex's plugin cache",
            vec![("CODEX_HOME", world.root().join("codexhome"))],
        ),
    ]
}

/// Every surface, started for `start` (the working directory, or `MAESTRO_WORKSPACE_PATH`
/// when `by_variable`), refuses it: the command line and the state tools fail naming the
/// cache, the hooks answer allow with one line naming it, the MCP tools answer
/// `WORKSPACE_IN_EXTENSION_CACHE`.
fn assert_every_surface_refuses(
    world: &World,
    start: &Path,
    by_variable: bool,
    what: &str,
    extra_env: &[(&str, PathBuf)],
) {
    let cwd = if by_variable {
        world.project()
    } else {
        start.to_path_buf()
    };
    let command = |name: &str| {
        let mut c = cmd_in(world, name, &cwd);
        if by_variable {
            c.env("MAESTRO_WORKSPACE_PATH", start);
        }
        for (k, v) in extra_env {
            c.env(k, v);
        }
        c
    };
    for args in [
        vec!["init"],
        vec!["list"],
        vec!["show", "active"],
        vec!["create", "in a cache"],
        vec!["doctor", "--fix"],
    ] {
        let mut c = command("maestro-session");
        c.arg("--json").args(&args);
        let ran = Ran::of(c, b"");
        ran.assert_code(1);
        let error = ran.json_error();
        assert_eq!(error["kind"], "refused", "{ran}");
        let text = error["error"].as_str().unwrap_or_default();
        assert!(
            text.contains(what) && text.contains("never a project"),
            "{args:?}: {ran}"
        );
    }
    let payload = before_agent(&cwd);
    for hook in [
        "session-start",
        "before-agent",
        "after-agent",
        "session-end",
    ] {
        let mut c = command(hook);
        if !by_variable {
            c.env("GEMINI_PROJECT_DIR", start);
        }
        let ran = Ran::of(c, &payload);
        ran.assert_ok();
        let answer = ran.json();
        assert!(
            answer == json!({}) || answer == json!({"decision": "allow"}),
            "{hook}: {ran}"
        );
        assert!(
            ran.stderr
                .starts_with(&format!("[ERROR] maestro: {hook}: "))
                && ran.stderr.contains(what),
            "{hook}: {ran}"
        );
    }
    // `read-active-session` always exits 0 and prints the line prompts test for (Maestro's
    // contract), with the error on stderr.
    let ran = Ran::of(command("read-active-session"), b"");
    ran.assert_ok();
    assert_eq!(ran.stdout_text(), "No active session\n", "{ran}");
    assert!(
        ran.stderr.starts_with("ERROR: ") && ran.stderr.contains(what),
        "{ran}"
    );
    for (tool, args, stdin) in [
        ("read-state", vec![ACTIVE_REL], &b""[..]),
        (
            "write-state",
            vec![ACTIVE_REL],
            b"---\nsession_id: x\n---\n",
        ),
        ("ensure-workspace", vec![], b""),
        ("ensure-workspace", vec!["docs/maestro"], b""),
    ] {
        let mut c = command(tool);
        c.args(&args);
        let ran = Ran::of(c, stdin);
        ran.assert_code(1);
        assert!(
            ran.stderr.contains("ERROR") && ran.stderr.contains(what),
            "{tool}: {ran}"
        );
    }
    let mut pairs: Vec<(String, String)> = extra_env
        .iter()
        .map(|(k, v)| (k.to_string(), v.display().to_string()))
        .collect();
    if by_variable {
        pairs.push(("MAESTRO_WORKSPACE_PATH".into(), start.display().to_string()));
    }
    let tools = Tools::new(Env::from_pairs(pairs), &cwd);
    for (name, args) in [
        ("initialize_workspace", json!({})),
        (
            "create_session",
            json!({"session_id": "s1", "task": "t", "phases": [
            {"id": 1, "name": "P", "agent": "coder", "parallel": false, "blocked_by": []}]}),
        ),
        ("get_session_status", json!({})),
        ("list_sessions", json!({})),
    ] {
        let Value::Object(args) = args else {
            unreachable!()
        };
        let err = tools.call(name, Some(args)).expect_err(name);
        assert_eq!(err.code, "WORKSPACE_IN_EXTENSION_CACHE", "{name}: {err:?}");
        assert!(err.error.contains(what), "{name}: {}", err.error);
        assert!(
            !err.error.contains(&world.root().display().to_string()),
            "{name}: no absolute path: {}",
            err.error
        );
    }
}

/// Each kind of cache is refused by every surface, started there as the working directory, and
/// nothing is created in it (a cache installed by `git clone` is itself a repository).
#[test]
fn every_surface_refuses_a_start_folder_in_an_extension_cache() {
    let world = World::new();
    for (cache, what, env) in caches(&world) {
        std::fs::create_dir_all(cache.join("sub")).expect("mkdir");
        std::fs::write(cache.join("GEMINI.md"), "extension").expect("write");
        git(&world, &cache, &["init", "-q"]);
        let before = Tree::of(&cache);
        for start in [cache.clone(), cache.join("sub")] {
            assert_every_surface_refuses(&world, &start, false, what, &env);
        }
        before.assert_same(&Tree::of(&cache), "the cache is untouched");
    }
}

/// `MAESTRO_WORKSPACE_PATH` naming a folder in a cache, directly or through a symlink, is
/// refused even when the working directory is a fine project, and neither is touched.
#[test]
fn maestro_workspace_path_into_a_cache_is_refused() {
    let world = World::new().with_active_session();
    let watch = world.watch();
    let project_before = Tree::of(&world.project());
    for (i, (cache, what, env)) in caches(&world).into_iter().enumerate() {
        std::fs::create_dir_all(&cache).expect("mkdir");
        let before = Tree::of(&cache);
        assert_every_surface_refuses(&world, &cache, true, what, &env);
        let link = world.root().join(format!("link-{i}"));
        std::os::unix::fs::symlink(&cache, &link).expect("symlink");
        assert_every_surface_refuses(&world, &link, true, what, &env);
        before.assert_same(&Tree::of(&cache), "the cache is untouched");
    }
    project_before.assert_same(&Tree::of(&world.project()), "the project is untouched");
    watch.assert_no_session_lost(&world);
}

/// Maestro 1.6.4 `tests/integration/codex-workspace-resolution.test.js` ("rejects
/// initialize_workspace with a path inside a plugin cache") and
/// `tests/transforms/project-root-resolver.test.js` ("requireExplicitWorkspaceRoot throws when
/// the path is inside an extension cache"): an explicit `workspace_path` in a cache is refused
/// naming the extension cache; a subfolder of the served repository is the same project.
#[test]
fn initialize_workspace_refuses_a_workspace_path_in_a_cache() {
    let world = repo_world();
    let tools = Tools::new(
        Env::from_pairs([(
            "MAESTRO_WORKSPACE_PATH",
            world.project().display().to_string(),
        )]),
        &world.project(),
    );
    let cache = world.root().join("home/.codex/plugins/maestro");
    std::fs::create_dir_all(&cache).expect("mkdir");
    let args = |path: &Path| {
        let Value::Object(map) = json!({"workspace_path": path}) else {
            unreachable!()
        };
        Some(map)
    };
    let err = tools
        .call("initialize_workspace", args(&cache))
        .expect_err("in a cache");
    assert_eq!(err.code, "WORKSPACE_IN_EXTENSION_CACHE", "{err:?}");
    assert!(err.error.contains("Codex's plugin cache"), "{}", err.error);
    assert!(
        Tree::of(&cache).0.is_empty(),
        "nothing created in the cache"
    );
    let app = world.project().join("packages/app");
    std::fs::create_dir_all(&app).expect("mkdir");
    let ok = tools
        .call("initialize_workspace", args(&app))
        .expect("a subfolder of the served repository");
    assert_eq!(ok["success"], true);
    assert!(world.project().join("docs/maestro/state").is_dir());
    assert!(!app.join("docs").exists());
}
