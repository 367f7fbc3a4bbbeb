//! The attack suite of issue 15's reads, deletes, transcript counts and hook budgets: the
//! cases of `../shared/attacks/2026-12-06/` about them (03, 04, 05, 06, 14, 20), recreated
//! through the built executables, and the same classes tried on the other surfaces. Each case
//! hashes what it must not touch before and after (the project and the world outside it with
//! [`World::watch`] / [`Watch::check`], the user's folders with [`Tree`]).
//!
//! 1. We delete only what we made (case 03): a hook base pointed at a folder holding the
//!    user's folders (`Documents`, `projects`, named like session ids and idle for hours) keeps
//!    them through SessionStart's prune and SessionEnd, while an idle folder the hooks made is
//!    pruned; a symlink in the base is never followed. (`session_start_prunes_only_folders_it_made`,
//!    `session_end_removes_only_a_folder_it_made`)
//! 2. `.env` (cases 04, 05, 06): symlinked out of the project or of the extension folder, it
//!    is refused on every surface (CLI, MCP, state tools, hooks) and the target's content
//!    appears nowhere; a FIFO never blocks a command, tool or hook; a 50 MB file or one
//!    symlinked to `/dev/zero` is refused by its cap in bounded memory.
//!    (`dotenv_symlinked_out_is_refused_everywhere_and_never_quoted`,
//!    `extension_dotenv_symlinked_out_is_refused_and_never_quoted`,
//!    `dotenv_fifo_never_blocks_a_command_tool_or_hook`,
//!    `dotenv_over_its_cap_is_refused_in_bounded_memory`)
//! 3. Other surfaces of the reader: hook-state files that are symlinks out or FIFOs, a hook
//!    log that is a FIFO, a transcript that is a FIFO or `/dev/zero`, an export file or plan
//!    that is a FIFO or a device, a checkpoint copy symlinked out of the project.
//!    (`hook_state_links_and_fifos_are_never_followed_or_opened`,
//!    `a_fifo_hook_log_never_blocks_the_hook`, `transcripts_that_are_not_regular_files_are_refused`,
//!    `import_and_plan_files_that_are_not_regular_files_are_refused`,
//!    `a_checkpoint_symlinked_out_is_never_read`)
//! 4. Hook budget (case 14): while another process holds `state/.lock`, after-agent answers
//!    within its budget, records nothing in the session and says so; the next sub-agent's stop,
//!    once the lock is free, counts the owed transcript and its own, each once. (`after_agent_answers_within_its_budget_while_the_lock_is_held`)
//! 5. Transcript counts (case 20): a line with a count near 2^64, a negative or fractional
//!    count, or longer than the read window is skipped with a warning naming its byte offset;
//!    later lines are counted, and nothing is counted twice.
//!    (`poisoned_transcript_lines_are_skipped_and_later_lines_count`,
//!    `a_transcript_line_longer_than_the_window_is_skipped`)
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use e2e_tests::{Ran, Tree, World, before_agent_payload};
use serde_json::{Value, json};

/// The secret a hostile `.env` link points at.
const SECRET: &str = "ghp_TOPSECRET123";

/// More than the hooks' lock budget (500 ms) with room for a loaded machine, far less than the
/// 10 s (and in these worlds 120 s) a command waits: a hook that waits for the lock holder
/// instead of keeping its budget is killed and the test fails.
const PAST_THE_BUDGET: Duration = Duration::from_secs(4);

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

fn set_mtime(path: &Path, ago: Duration) {
    std::fs::File::open(path)
        .expect("open")
        .set_modified(SystemTime::now() - ago)
        .expect("set mtime");
}

fn outside_secret(world: &World) -> PathBuf {
    let file = world.outside().join(".git-credentials");
    std::fs::write(&file, format!("https://alice:{SECRET}@github.com\n")).expect("secret");
    file
}

/// Runs `maestro-session mcp` with `initialize`, `notifications/initialized` and one
/// `tools/call` of `tool` with `args`; returns everything it printed.
fn mcp_call(world: &World, env: &[(&str, &Path)], tool: &str, args: Value) -> Ran {
    let messages = [
        json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": tool, "arguments": args}}),
    ];
    let input: String = messages.iter().map(|m| format!("{m}\n")).collect();
    let mut cmd = world.cmd("maestro-session");
    cmd.arg("mcp")
        .env("MAESTRO_WORKSPACE_PATH", world.project());
    for (k, v) in env {
        cmd.env(k, v);
    }
    Ran::of(cmd, input.as_bytes())
}

/// A Claude Code SubagentStop payload of agent `a1` (`coder`) of runtime session `s1`, its
/// transcript at `transcript`.
fn subagent_stop(world: &World, transcript: &Path) -> Vec<u8> {
    json!({
        "session_id": "s1", "transcript_path": "/x", "cwd": world.project(),
        "agent_id": "a1", "agent_type": "coder", "hook_event_name": "SubagentStop",
        "stop_hook_active": false, "agent_transcript_path": transcript,
        "last_assistant_message": "## Task Report\nx\n## Downstream Context\ny"
    })
    .to_string()
    .into_bytes()
}

fn after_agent(world: &World, transcript: &Path) -> Ran {
    world.exec(
        "after-agent",
        &["--runtime", "claude"],
        &subagent_stop(world, transcript),
    )
}

/// A Claude Code transcript line: one reply with `input` and `output` tokens (raw JSON
/// numbers, so a test can write any number text).
fn reply(id: &str, input: &str, output: &str) -> String {
    format!(
        "{{\"type\":\"assistant\",\"message\":{{\"id\":\"{id}\",\"usage\":{{\"input_tokens\":{input},\"output_tokens\":{output}}}}}}}\n"
    )
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open")
        .write_all(text.as_bytes())
        .expect("append");
}

fn tokens(world: &World) -> (u64, u64) {
    let s = world.show("active");
    let u = &s["token_usage"];
    (
        u["total_input"].as_u64().expect("input"),
        u["total_output"].as_u64().expect("output"),
    )
}

// ---------------------------------------------------------------------------------------------
// 1. We delete only what we made

#[test]
fn session_start_prunes_only_folders_it_made() {
    let world = World::new().with_active_session();
    // MAESTRO_HOOKS_DIR pointed at a private folder of the user's by mistake.
    let base = world.root().join("home");
    std::fs::set_permissions(&base, std::os::unix::fs::PermissionsExt::from_mode(0o700))
        .expect("chmod");
    std::fs::create_dir_all(base.join("Documents/thesis")).expect("mkdir");
    std::fs::create_dir_all(base.join("projects/src")).expect("mkdir");
    std::fs::write(base.join("Documents/thesis/thesis.tex"), "three years").expect("write");
    std::fs::write(base.join("projects/src/main.rs"), "fn main() {}").expect("write");
    let target = world.outside().join("kept");
    std::fs::create_dir_all(&target).expect("mkdir");
    std::fs::write(target.join("f"), "x").expect("write");
    symlink(&target, base.join("linked")).expect("symlink");
    let with_base = |name: &str, payload: Value| {
        let mut cmd = world.cmd(name);
        cmd.env("MAESTRO_HOOKS_DIR", &base);
        Ran::of(cmd, payload.to_string().as_bytes())
    };
    // A hook-state folder the hooks make (BeforeAgent records the agent in it).
    let mut made = serde_json::from_slice::<Value>(&before_agent_payload(&world)).expect("json");
    made["session_id"] = json!("rt-old");
    with_base("before-agent", made).assert_ok();
    assert!(base.join("rt-old/active-agent").is_file());
    for name in ["Documents", "projects", "rt-old", ".last-prune"] {
        set_mtime(&base.join(name), Duration::from_secs(3 * 3600));
    }
    let users = Tree::of_skipping(&base, &[base.join("rt-old"), base.join(".last-prune")]);
    let outside = Tree::of(&world.outside());
    let watch = world.watch();
    let start = json!({"session_id": "rt-1", "transcript_path": "/x", "cwd": world.project(),
        "hook_event_name": "SessionStart", "source": "startup"});
    let ran = with_base("session-start", start);
    ran.assert_ok();
    assert!(
        !base.join("rt-old").exists(),
        "the idle folder it made is pruned: {ran}"
    );
    let after = Tree::of_skipping(
        &base,
        &[
            base.join("rt-1"),
            base.join(".last-prune"),
            base.join("rt-old"),
        ],
    );
    users.assert_same(&after, "the user's folders in the hook base");
    outside.assert_same(&Tree::of(&world.outside()), "the symlink's target");
    // `home` is the base here: only its own entries changed, checked above.
    assert!(watch.lost_sessions(&world).is_empty());
}

#[test]
fn session_end_removes_only_a_folder_it_made() {
    let world = World::new().with_active_session();
    std::fs::create_dir_all(world.hooks()).expect("mkdir");
    std::fs::set_permissions(
        world.hooks(),
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .expect("chmod");
    // A folder named like the runtime session, not made by the hooks.
    let foreign = world.hooks().join("Documents");
    std::fs::create_dir_all(foreign.join("thesis")).expect("mkdir");
    std::fs::write(foreign.join("thesis/thesis.tex"), "three years").expect("write");
    let before = Tree::of(&foreign);
    let end = |id: &str| {
        json!({"session_id": id, "transcript_path": "/x", "cwd": world.project(),
            "hook_event_name": "SessionEnd", "reason": "exit"})
        .to_string()
        .into_bytes()
    };
    world
        .exec("session-end", &[] as &[&str], &end("Documents"))
        .assert_ok();
    before.assert_same(&Tree::of(&foreign), "a folder the hooks did not make");
    // One they made goes.
    let mut made = serde_json::from_slice::<Value>(&before_agent_payload(&world)).expect("json");
    made["session_id"] = json!("rt-2");
    world
        .exec("before-agent", &[] as &[&str], made.to_string().as_bytes())
        .assert_ok();
    assert!(world.hooks().join("rt-2").is_dir());
    world
        .exec("session-end", &[] as &[&str], &end("rt-2"))
        .assert_ok();
    assert!(!world.hooks().join("rt-2").exists());
}

// ---------------------------------------------------------------------------------------------
// 2. .env

#[test]
fn dotenv_symlinked_out_is_refused_everywhere_and_never_quoted() {
    let world = World::new();
    let id = world.create("Env link", &["--phase", "A=coder"]);
    outside_secret(&world);
    // Relative, as a cloned repository would carry it.
    symlink("../outside/.git-credentials", world.project().join(".env")).expect("symlink");
    let watch = world.watch();
    let mut runs = vec![
        world.maestro(&["list"]),
        world.maestro(&["show", &id]),
        world.maestro(&["create", "Other"]),
        world.exec("read-active-session", &[] as &[&str], b""),
        world.exec("read-state", &["active-session.md"], b""),
        world.exec(
            "before-agent",
            &[] as &[&str],
            &before_agent_payload(&world),
        ),
        mcp_call(&world, &[], "get_session_status", json!({})),
    ];
    for run in &runs[..3] {
        assert_ne!(run.code, Some(0), "refused: {run}");
        assert!(
            run.stderr.contains(".env") && run.stderr.contains("symlink"),
            "{run}"
        );
    }
    runs[5].assert_ok();
    assert!(
        runs[5].stderr.contains(".env"),
        "the hook says why: {}",
        runs[5]
    );
    let mcp = runs.pop().expect("mcp");
    assert!(
        mcp.stdout_text().contains(".env"),
        "the tool names the file: {mcp}"
    );
    for run in runs.iter().chain([&mcp]) {
        assert!(
            !run.stdout_text().contains("TOPSECRET") && !run.stderr.contains("TOPSECRET"),
            "the linked file's content leaked: {run}"
        );
    }
    watch.check(&world);
}

#[test]
fn extension_dotenv_symlinked_out_is_refused_and_never_quoted() {
    let world = World::new();
    world.create("Ext link", &[]);
    outside_secret(&world);
    let ext = world.root().join("ext");
    std::fs::create_dir_all(&ext).expect("mkdir");
    symlink("../outside/.git-credentials", ext.join(".env")).expect("symlink");
    let watch = world.watch();
    let mut cmd = world.cmd("maestro-session");
    cmd.env("MAESTRO_EXTENSION_PATH", &ext)
        .args(["--json", "list"]);
    let ran = Ran::of(cmd, b"");
    assert_ne!(ran.code, Some(0), "{ran}");
    assert!(
        ran.stderr.contains("ext/.env"),
        "names the extension's .env: {ran}"
    );
    assert!(!ran.stderr.contains("TOPSECRET") && !ran.stdout_text().contains("TOPSECRET"));
    let mcp = mcp_call(
        &world,
        &[("MAESTRO_EXTENSION_PATH", &ext)],
        "get_session_status",
        json!({}),
    );
    assert!(!mcp.stdout_text().contains("TOPSECRET"), "{mcp}");
    watch.check(&world);
}

#[test]
fn dotenv_fifo_never_blocks_a_command_tool_or_hook() {
    let world = World::new();
    world.create("Env fifo", &["--phase", "A=coder"]);
    mkfifo(&world.project().join(".env"));
    let ext = world.root().join("ext");
    std::fs::create_dir_all(&ext).expect("mkdir");
    mkfifo(&ext.join(".env"));
    let watch = world.watch();
    // Each under the hang guard: a blocked open fails the test instead of hanging it.
    let list = world.maestro(&["list"]);
    assert_eq!(list.code, Some(3), "{list}");
    assert!(list.stderr.contains("FIFO"), "{list}");
    let hook = world.exec(
        "before-agent",
        &[] as &[&str],
        &before_agent_payload(&world),
    );
    hook.assert_ok();
    assert!(hook.stderr.contains("FIFO"), "{hook}");
    // Its contract: always exit 0; the error on stderr says why no session is shown.
    let read = world.exec("read-active-session", &[] as &[&str], b"");
    read.assert_ok();
    assert!(
        read.stderr.starts_with("ERROR: ") && read.stderr.contains("FIFO"),
        "{read}"
    );
    let mcp = mcp_call(&world, &[], "get_session_status", json!({}));
    assert!(mcp.stdout_text().contains("FIFO"), "{mcp}");
    // The extension's: reached when the project's .env says nothing.
    std::fs::remove_file(world.project().join(".env")).expect("rm");
    let mut cmd = world.cmd("maestro-session");
    cmd.env("MAESTRO_EXTENSION_PATH", &ext)
        .args(["--json", "list"]);
    let ran = Ran::of(cmd, b"");
    assert_eq!(ran.code, Some(3), "{ran}");
    assert!(ran.stderr.contains("FIFO"), "{ran}");
    watch.check(&world);
}

#[test]
fn dotenv_over_its_cap_is_refused_in_bounded_memory() {
    let world = World::new();
    world.create("Env size", &[]);
    let env = world.project().join(".env");
    std::fs::File::create(&env)
        .expect("create")
        .set_len(50 * 1024 * 1024)
        .expect("sparse 50 MB");
    let watch = world.watch();
    let (ran, peak) = world.bounded("maestro-session", &["--json", "list"], b"", 1 << 20);
    assert_eq!(ran.code, Some(3), "{ran}");
    assert!(
        ran.stderr
            .contains("1048576-byte limit of a .env settings file"),
        "names the kind and its cap: {ran}"
    );
    if let Some(kib) = peak {
        assert!(kib < 64 * 1024, "peak RSS {kib} KiB for a refused .env");
    }
    // A link to /dev/zero: out of the project, refused before it is opened; a link inside the
    // project to a device-sized file: refused by its cap.
    std::fs::remove_file(&env).expect("rm");
    symlink("/dev/zero", &env).expect("symlink");
    let (ran, _) = world.bounded("maestro-session", &["--json", "list"], b"", 1 << 20);
    assert_ne!(ran.code, Some(0), "{ran}");
    assert!(ran.stderr.contains(".env"), "{ran}");
    std::fs::remove_file(&env).expect("rm");
    let big = world.project().join("big.env");
    std::fs::File::create(&big)
        .expect("create")
        .set_len(2 * 1024 * 1024)
        .expect("sparse");
    symlink("big.env", &env).expect("symlink");
    let hook = world.exec(
        "before-agent",
        &[] as &[&str],
        &before_agent_payload(&world),
    );
    hook.assert_ok();
    assert!(
        hook.stderr.contains("limit of a .env settings file"),
        "{hook}"
    );
    std::fs::remove_file(&big).expect("rm");
    std::fs::remove_file(&env).expect("rm");
    watch.check(&world);
}

// ---------------------------------------------------------------------------------------------
// 3. The reader's other surfaces

#[test]
fn hook_state_links_and_fifos_are_never_followed_or_opened() {
    let world = World::new().with_active_session();
    let start = json!({"session_id": "s1", "transcript_path": "/x", "cwd": world.project(),
        "agent_id": "a1", "agent_type": "coder", "hook_event_name": "SubagentStart"});
    world
        .exec(
            "before-agent",
            &["--runtime", "claude"],
            start.to_string().as_bytes(),
        )
        .assert_ok();
    let folder = world.hooks().join("s1");
    assert!(folder.join("agents/a1").is_file());
    let target = world.outside().join("agent.txt");
    std::fs::write(&target, "architect").expect("write");
    // The sub-agent record becomes a link out, the active agent a FIFO, the context cache a
    // FIFO, the prune stamp a link to an outside file.
    std::fs::remove_file(folder.join("agents/a1")).expect("rm");
    symlink(&target, folder.join("agents/a1")).expect("symlink");
    std::fs::remove_file(folder.join("active-agent")).expect("rm");
    mkfifo(&folder.join("active-agent"));
    let _ = std::fs::remove_file(folder.join("context-cache"));
    mkfifo(&folder.join("context-cache"));
    let _ = std::fs::remove_file(world.hooks().join(".last-prune"));
    symlink(&target, world.hooks().join(".last-prune")).expect("symlink");
    let outside = Tree::of(&world.outside());
    let watch = world.watch();
    let stop = json!({"session_id": "s1", "transcript_path": "/x", "cwd": world.project(),
        "agent_id": "a1", "agent_type": "coder", "hook_event_name": "SubagentStop",
        "stop_hook_active": true, "last_assistant_message": "done"});
    let ran = world.exec(
        "after-agent",
        &["--runtime", "claude"],
        stop.to_string().as_bytes(),
    );
    ran.assert_ok();
    let before = world.exec(
        "before-agent",
        &[] as &[&str],
        &before_agent_payload(&world),
    );
    before.assert_ok();
    outside.assert_same(&Tree::of(&world.outside()), "the link targets");
    assert_eq!(std::fs::read(&target).expect("read"), b"architect");
    watch.check(&world);
}

#[test]
fn a_fifo_hook_log_never_blocks_the_hook() {
    let world = World::new().with_active_session();
    let log = world.outside().join("hooks.log");
    mkfifo(&log);
    let mut cmd = world.cmd("before-agent");
    cmd.env("MAESTRO_HOOK_LOG", &log);
    let ran = Ran::of(cmd, &before_agent_payload(&world));
    ran.assert_ok();
    assert!(ran.stdout_text().contains("decision"), "{ran}");
}

#[test]
fn transcripts_that_are_not_regular_files_are_refused() {
    let world = World::new();
    world.create("Live", &["--phase", "A=coder"]);
    let fifo = world.outside().join("t.jsonl");
    mkfifo(&fifo);
    let watch = world.watch();
    for transcript in [
        fifo.as_path(),
        Path::new("/dev/zero"),
        world.outside().as_path(),
    ] {
        let ran = after_agent(&world, transcript);
        ran.assert_ok();
        assert!(ran.stderr.contains("not a regular file"), "{ran}");
    }
    watch.assert_sessions_unchanged(&world);
    watch.check(&world);
}

#[test]
fn import_and_plan_files_that_are_not_regular_files_are_refused() {
    let world = World::new();
    world.create("Exported", &[]);
    let fifo = world.outside().join("export.json");
    mkfifo(&fifo);
    let watch = world.watch();
    for file in [fifo.to_str().expect("utf8"), "/dev/zero", "/dev/urandom"] {
        let ran = world.maestro(&["import", file]);
        assert_eq!(ran.code, Some(3), "{ran}");
        assert!(ran.stderr.contains("not a regular file"), "{ran}");
        let ran = world.maestro(&["create", "Planned", "--plan", file]);
        assert_eq!(ran.code, Some(3), "{ran}");
        assert!(ran.stderr.contains("not a regular file"), "{ran}");
    }
    watch.check(&world);
}

#[test]
fn a_checkpoint_symlinked_out_is_never_read() {
    let world = World::new();
    let id = world.create("Checked", &["--phase", "A=coder"]);
    let made = world.maestro(&["checkpoint", "create", &id]);
    made.assert_ok();
    let folder = world.state().join("checkpoints").join(&id);
    let copy = std::fs::read_dir(&folder)
        .expect("ls")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "md"))
        .expect("a checkpoint copy");
    let seq = copy
        .file_stem()
        .and_then(|s| s.to_str())
        .expect("seq")
        .to_string();
    let target = world.outside().join("secret.md");
    std::fs::write(&target, format!("---\nsession_id: {SECRET}\n---\n")).expect("write");
    std::fs::remove_file(&copy).expect("rm");
    symlink(&target, &copy).expect("symlink");
    let watch = world.watch();
    for args in [
        vec!["checkpoint", "diff", id.as_str(), seq.as_str()],
        vec!["checkpoint", "restore", id.as_str(), seq.as_str()],
    ] {
        let ran = world.maestro(&args);
        assert_ne!(ran.code, Some(0), "{ran}");
        assert!(!ran.stdout_text().contains("TOPSECRET"), "{ran}");
        assert!(!ran.stderr.contains("TOPSECRET"), "{ran}");
    }
    watch.assert_sessions_unchanged(&world);
    watch.check(&world);
}

// ---------------------------------------------------------------------------------------------
// 4. Hook budget

#[test]
fn after_agent_answers_within_its_budget_while_the_lock_is_held() {
    let world = World::new();
    world.create("Live", &["--phase", "A=coder"]);
    let transcript = world.outside().join("t.jsonl");
    std::fs::write(&transcript, reply("m1", "7", "1")).expect("write");
    let lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(world.state().join(".lock"))
        .expect("open lock");
    lock.lock().expect("hold the state lock");
    let watch = world.watch();
    let mut cmd = world.cmd("after-agent");
    cmd.args(["--runtime", "claude"]);
    let ran = Ran::within(cmd, &subagent_stop(&world, &transcript), PAST_THE_BUDGET);
    ran.assert_ok();
    assert_eq!(ran.stdout_text().trim(), "{}", "the normal answer: {ran}");
    assert!(
        ran.stderr.contains("tokens not counted") && ran.stderr.contains("500 ms"),
        "says what it did not record and why: {ran}"
    );
    watch.assert_sessions_unchanged(&world);
    let pending = world.hooks().join("s1/pending");
    assert_eq!(std::fs::read_dir(&pending).expect("noted").count(), 1);
    drop(lock);
    // The next sub-agent's stop counts the owed transcript, then its own.
    let next = world.outside().join("t2.jsonl");
    std::fs::write(&next, reply("m2", "3", "2")).expect("write");
    let ran = after_agent(&world, &next);
    ran.assert_ok();
    assert!(ran.stderr.is_empty(), "{ran}");
    assert_eq!(
        tokens(&world),
        (10, 3),
        "both counted once the lock is free"
    );
    assert_eq!(std::fs::read_dir(&pending).expect("ls").count(), 0);
    after_agent(&world, &transcript).assert_ok();
    after_agent(&world, &next).assert_ok();
    assert_eq!(tokens(&world), (10, 3), "and never twice");
}

// ---------------------------------------------------------------------------------------------
// 5. Transcript counts

#[test]
fn poisoned_transcript_lines_are_skipped_and_later_lines_count() {
    let world = World::new();
    world.create("Huge", &["--phase", "A=coder"]);
    world
        .maestro(&["tokens", "active", "--agent", "coder", "--input", "5"])
        .assert_ok();
    let t = world.outside().join("t.jsonl");
    let poisoned = [
        reply("g1", "18446744073709551615", "1"),
        reply("g2", "-3", "1"),
        reply("g3", "1.5", "1"),
        reply("g4", "1e30", "1"),
        reply("g5", "9007199254740992", "1"),
    ];
    std::fs::write(&t, poisoned.concat()).expect("write");
    let ran = after_agent(&world, &t);
    ran.assert_ok();
    let mut at = 0;
    for line in &poisoned {
        assert!(
            ran.stderr
                .contains(&format!("skipped the line at byte {at} ")),
            "the line at {at} is named: {ran}"
        );
        at += line.len();
    }
    assert!(
        !ran.stderr.contains("assistant") && !ran.stderr.contains("18446744073709551615"),
        "no line text quoted: {ran}"
    );
    assert_eq!(tokens(&world), (5, 0), "nothing of them counted");
    append(&t, &reply("ok1", "50", "1"));
    let ran = after_agent(&world, &t);
    ran.assert_ok();
    assert!(
        !ran.stderr.contains("skipped"),
        "each is reported once: {ran}"
    );
    assert_eq!(tokens(&world), (55, 1), "the next reply counts");
    after_agent(&world, &t).assert_ok();
    assert_eq!(tokens(&world), (55, 1), "nothing counted twice");
    // A count that fits a line but would take the session past 2^64 - 1 is skipped too.
    world
        .maestro(&[
            "tokens",
            "active",
            "--agent",
            "coder",
            "--input",
            "18446744073709551000",
        ])
        .assert_ok();
    append(&t, &reply("big", "9007199254740991", "1"));
    append(&t, &reply("ok2", "10", "2"));
    let ran = after_agent(&world, &t);
    assert!(ran.stderr.contains("past 2^64-1"), "{ran}");
    assert_eq!(tokens(&world), (18446744073709551000 + 55 + 10, 3));
}

#[test]
fn a_transcript_line_longer_than_the_window_is_skipped() {
    let world = World::new();
    world.create("Long", &["--phase", "A=coder"]);
    let t = world.outside().join("t.jsonl");
    // A reply whose line is 17 MiB (a tool result pasted into it): longer than the 16 MiB
    // window, so it cannot be parsed; the reply after it must still count.
    let filler = "x".repeat(17 << 20);
    let long = format!(
        "{{\"type\":\"assistant\",\"message\":{{\"id\":\"long\",\"content\":\"{filler}\",\"usage\":{{\"input_tokens\":1000,\"output_tokens\":1000}}}}}}\n"
    );
    std::fs::write(&t, reply("a", "3", "1")).expect("write");
    append(&t, &long);
    append(&t, &reply("b", "4", "2"));
    let ran = after_agent(&world, &t);
    ran.assert_ok();
    let at = reply("a", "3", "1").len();
    assert!(
        ran.stderr
            .contains(&format!("skipped the line at byte {at} "))
            && ran.stderr.contains("longer than the read window"),
        "{ran}"
    );
    assert_eq!(tokens(&world), (7, 3));
    after_agent(&world, &t).assert_ok();
    assert_eq!(tokens(&world), (7, 3), "nothing counted twice");
}
