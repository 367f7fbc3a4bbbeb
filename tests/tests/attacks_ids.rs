//! Attacks of issue 15 on ids, numbers, owners and sizes (`../shared/attacks/2026-12-06/`
//! cases 11, 17, 21, 22, 27), recreated through the built executables, and the same rules
//! applied to every other surface. Each test hashes the project (or the part a refused command
//! must not touch) before and after the attack, and checks that nothing outside the project
//! changed and no session was lost ([`World::watch`], [`Watch::check`]).
//!
//! - Case 11: an id freed by `delete` was given to the next `create` of the same task, which
//!   inherited the deleted session's event log and checkpoints; `checkpoint restore` put the
//!   deleted session back. Now `delete` and `cleanup` write a tombstone and remove the
//!   checkpoints; `create` (generated ids), MCP `create_session` (given ids), `fork`, `import`
//!   (with and without `--as`) and `write-state` never take a removed id; `doctor` reports the
//!   history of a removed session left without a tombstone.
//!   (`a_deleted_id_is_never_reused_by_create`, `mcp_create_session_refuses_a_used_id`,
//!   `fork_never_takes_a_removed_id`, `import_refuses_removed_ids_with_and_without_as`,
//!   `write_state_cannot_bring_back_a_removed_session`,
//!   `cleanup_removes_checkpoints_and_log_and_keeps_the_id`,
//!   `doctor_reports_and_repairs_leftover_history`)
//! - Case 21: `import` accepted checkpoint number 2^64 - 1, after which the session could
//!   never take a checkpoint, so never move. Now every number of an export file is bounded and
//!   a bad one refuses the import naming its field; a hand-numbered checkpoint file is not a
//!   checkpoint. (`import_refuses_a_checkpoint_number_past_its_bound`,
//!   `every_number_of_an_export_file_is_bounded_and_named`,
//!   `hand_numbered_checkpoint_files_never_block_a_session`)
//! - Case 22: a dead runtime's `owner.json` made a brand-new session "interrupted". Now the
//!   record is bound to the session it ran. (`a_new_session_is_not_reported_interrupted`)
//! - Case 17: `checkpoint diff` was quadratic. Now it stops looking for the smallest diff after
//!   1 s. (`checkpoint_diff_of_two_huge_checkpoints_is_bounded`)
//! - Case 27: past 32 MiB of event log a session could not be exported. Now the log is
//!   streamed; `import` reads at most 48 MiB. (`a_long_event_log_exports_with_bounded_memory`,
//!   `an_export_too_large_to_import_says_so_and_no_events_imports`,
//!   `export_leaves_out_log_lines_that_are_not_events`)
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::io::Write as _;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use e2e_tests::{
    Ran, Tree, World, doctor_problems, fixture, lines_of, maestro_ok, maestro_refused, next_line,
    session_doc,
};
use serde_json::{Value, json};

/// Address-space cap (KiB) for commands that must not read without bound: 1 GiB.
const VM_CAP_KIB: u64 = 1 << 20;
/// The most resident memory (KiB) an export of a long event log may use: 64 MiB.
const MAX_RSS_KIB: u64 = 64 * 1024;
/// How long a command over inputs of tens of MiB may run before it is taken for hung (a debug
/// build on a loaded machine); a quadratic diff or an unbounded read takes far longer.
const BIG_GUARD: Duration = Duration::from_secs(120);

fn state(world: &World, rel: &str) -> PathBuf {
    world.state().join(rel)
}

/// The ops of session `id`'s event log (`log --json`).
fn log_ops(world: &World, id: &str) -> Vec<String> {
    let log = maestro_ok(world, &["log", id]);
    log["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["op"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Sends `messages` to `maestro-session mcp` and returns the answers to the requests.
fn mcp(world: &World, messages: &[Value]) -> Vec<Value> {
    let mut cmd = world.cmd("maestro-session");
    cmd.arg("mcp")
        .env("MAESTRO_WORKSPACE_PATH", world.project())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = cmd.spawn().expect("spawn mcp");
    let lines = lines_of(&mut child);
    let mut stdin = child.stdin.take().expect("stdin");
    let mut answers = Vec::new();
    for m in messages {
        writeln!(stdin, "{m}").expect("write");
        stdin.flush().expect("flush");
        if m.get("id").is_some() {
            answers.push(serde_json::from_str(&next_line(&lines)).expect("json answer"));
        }
    }
    drop(stdin);
    let _ = child.wait();
    answers
}

/// MCP `create_session` of `session_id` (one phase); the tool's result.
fn mcp_create(world: &World, session_id: &str) -> Value {
    let init: Value = serde_json::from_slice(&fixture("mcp/initialize.json")).expect("fixture");
    let answers = mcp(
        world,
        &[
            init,
            json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
            json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
                "name": "create_session",
                "arguments": {"session_id": session_id, "task": "Over MCP",
                    "phases": [{"id": 1, "name": "One", "agent": "coder", "parallel": false,
                                "blocked_by": []}]}}}),
        ],
    );
    answers[1]["result"].clone()
}

/// The text of an MCP tool result.
fn tool_text(result: &Value) -> String {
    result["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// Case 11 and its class: an id is used once

#[test]
fn a_deleted_id_is_never_reused_by_create() {
    let world = World::new();
    let watch = world.watch();
    let old = world.create("Reuse", &["--phase", "A=coder"]);
    maestro_ok(&world, &["set", "active", "task", "OLD SECRET TASK"]);
    maestro_ok(&world, &["phase", "start", "active", "1"]);
    assert!(state(&world, &format!("checkpoints/{old}/1.md")).is_file());
    let deleted = maestro_ok(&world, &["delete", "active", "--force"]);
    assert_eq!(deleted["session_id"], old.as_str());
    // The tombstone keeps the id; the checkpoints went with the session; the log stays.
    let tomb: Value = serde_json::from_slice(
        &std::fs::read(state(&world, &format!("tombstones/{old}.json"))).expect("tombstone"),
    )
    .expect("tombstone json");
    assert_eq!(
        (tomb["session_id"].as_str(), tomb["by"].as_str()),
        (Some(old.as_str()), Some("delete"))
    );
    assert!(!state(&world, &format!("checkpoints/{old}")).exists());
    assert_eq!(
        log_ops(&world, &old).last().map(String::as_str),
        Some("delete")
    );

    let new = world.create("Reuse", &["--phase", "B=tester"]);
    assert_ne!(new, old, "a deleted id is never given again");
    assert_eq!(new, format!("{old}-2"));
    assert_eq!(log_ops(&world, &new), ["create"], "no inherited history");
    let list = maestro_ok(&world, &["checkpoint", "list", "active"]);
    assert_eq!(list["checkpoints"], json!([]));
    // Restoring "its checkpoint 1" cannot bring the deleted session back, and changes nothing.
    let before = Tree::of(&world.project());
    maestro_refused(
        &world,
        &["checkpoint", "restore", "active", "1"],
        1,
        "no checkpoint",
    );
    Tree::of(&world.project()).assert_same(&before, "a refused restore changes nothing");
    assert_eq!(world.show("active")["task"], "Reuse");
    // The old id's log still explains what happened to it.
    assert_eq!(
        log_ops(&world, &old),
        ["create", "set", "phase start", "delete"]
    );
    watch.check(&world);
}

#[test]
fn mcp_create_session_refuses_a_used_id() {
    let world = World::new();
    let watch = world.watch();
    let gone = world.create("Gone soon", &["--phase", "A=coder"]);
    maestro_ok(&world, &["delete", &gone, "--force"]);
    // A removed session's id (tombstone), and an id whose log alone is left (an older
    // version's delete): both refused, naming why, and nothing written.
    std::fs::write(
        state(&world, "events/2026-01-01-older.jsonl"),
        "{\"v\":1,\"time\":\"2026-01-01T00:00:00.000Z\",\"actor\":\"cli\",\"op\":\"create\",\"session\":\"2026-01-01-older\",\"changes\":[]}\n",
    )
    .expect("log");
    for (id, want) in [
        (gone.as_str(), "removed"),
        ("2026-01-01-older", "event log"),
    ] {
        let before = Tree::of(&world.project());
        let result = mcp_create(&world, id);
        assert_eq!(result["isError"], true, "{result}");
        let text = tool_text(&result);
        assert!(
            text.contains(want) && text.contains("another session_id"),
            "{text}"
        );
        Tree::of(&world.project()).assert_same(&before, "a refused create_session");
    }
    // A fresh id works.
    let result = mcp_create(&world, "2026-01-02-fresh");
    assert_eq!(result["isError"], false, "{result}");
    assert_eq!(world.show("active")["session_id"], "2026-01-02-fresh");
    watch.check(&world);
}

#[test]
fn fork_never_takes_a_removed_id() {
    let world = World::new();
    let parent = world.create("Fork me", &["--phase", "A=coder"]);
    let first = maestro_ok(&world, &["fork", &parent])["session_id"]
        .as_str()
        .expect("fork id")
        .to_string();
    assert_eq!(first, format!("{parent}-2"));
    maestro_ok(&world, &["delete", &first]);
    let watch = world.watch();
    let second = maestro_ok(&world, &["fork", &parent])["session_id"]
        .as_str()
        .expect("fork id")
        .to_string();
    assert_eq!(
        second,
        format!("{parent}-3"),
        "the deleted fork's id stays used"
    );
    assert_eq!(log_ops(&world, &second), ["fork"]);
    assert_eq!(log_ops(&world, &first), ["fork", "delete"]);
    watch.check(&world);
}

/// Exports session `id` of `world` to a file outside its project.
fn export_file(world: &World, id: &str, name: &str) -> PathBuf {
    let out = world.outside().join(name);
    maestro_ok(
        world,
        &["export", id, "--output", out.to_str().expect("utf8")],
    );
    out
}

#[test]
fn import_refuses_removed_ids_with_and_without_as() {
    let world = World::new();
    let id = world.create("Exported then deleted", &["--phase", "A=coder"]);
    maestro_ok(&world, &["phase", "start", "active", "1"]);
    let file = export_file(&world, &id, "e.json");
    let f = file.to_str().expect("utf8");
    let other = world.create("Other", &["--park"]);
    maestro_ok(&world, &["delete", &id]);
    maestro_ok(&world, &["delete", &other, "--force"]);
    let watch = world.watch();
    let before = Tree::of(&world.project());
    let message = maestro_refused(&world, &["import", f], 1, "--as");
    assert!(message.contains("removed"), "{message}");
    let message = maestro_refused(&world, &["import", f, "--as", &other], 1, "another id");
    assert!(message.contains("removed"), "{message}");
    maestro_refused(
        &world,
        &["import", f, "--as", &other, "--activate"],
        1,
        "removed",
    );
    Tree::of(&world.project()).assert_same(&before, "refused imports write nothing");
    let r = maestro_ok(&world, &["import", f, "--as", "brand-new"]);
    assert_eq!(r["imported"], "brand-new");
    assert_eq!(r["checkpoints"], 1);
    watch.check(&world);
}

#[test]
fn write_state_cannot_bring_back_a_removed_session() {
    let world = World::new();
    let id = world.create("Written back", &["--phase", "A=coder"]);
    let bytes = world.active_bytes();
    maestro_ok(&world, &["delete", &id, "--force"]);
    let watch = world.watch();
    let before = Tree::of(&world.project());
    for rel in [
        "docs/maestro/state/active-session.md".to_string(),
        format!("docs/maestro/state/archive/{id}.md"),
    ] {
        let ran = world.exec("write-state", &[rel.as_str()], &bytes);
        ran.assert_tool_refused(1);
        assert!(ran.stderr.contains("removed"), "{ran}");
    }
    Tree::of(&world.project()).assert_same(&before, "refused write-state");
    // Another session (a new id) is written as before.
    let doc = session_doc("2026-01-03-new", "in_progress", "2026-01-03T00:00:00Z");
    world
        .exec(
            "write-state",
            &["docs/maestro/state/active-session.md"],
            doc.as_bytes(),
        )
        .assert_ok();
    watch.check(&world);
}

#[test]
fn cleanup_removes_checkpoints_and_log_and_keeps_the_id() {
    let world = World::new();
    let id = world.create("Clean me", &["--phase", "A=coder"]);
    maestro_ok(&world, &["phase", "start", "active", "1"]);
    maestro_ok(&world, &["cancel", &id]);
    maestro_ok(&world, &["archive", &id]);
    let removed = maestro_ok(&world, &["cleanup", &id]);
    assert_eq!(
        removed["removed"][0]["session_id"],
        id.as_str(),
        "{removed}"
    );
    assert!(!state(&world, &format!("checkpoints/{id}")).exists());
    assert!(!state(&world, &format!("events/{id}.jsonl")).exists());
    let tomb: Value = serde_json::from_slice(
        &std::fs::read(state(&world, &format!("tombstones/{id}.json"))).expect("tombstone"),
    )
    .expect("json");
    assert_eq!(tomb["by"], "cleanup");
    let again = world.create("Clean me", &[]);
    assert_eq!(again, format!("{id}-2"));
    assert_eq!(log_ops(&world, &again), ["create"]);
    maestro_ok(&world, &["doctor"]);
}

#[test]
fn doctor_reports_and_repairs_leftover_history() {
    let world = World::new();
    let live = world.create("Still here", &["--phase", "A=coder"]);
    maestro_ok(&world, &["phase", "start", "active", "1"]);
    // What a delete killed after its tombstone leaves (the session in place, its id used
    // anyway): nothing to repair. What an older version's delete left (checkpoints of a session
    // that is gone, without a tombstone): reported and repaired.
    std::fs::create_dir_all(state(&world, "tombstones")).expect("mkdir");
    std::fs::write(
        state(&world, &format!("tombstones/{live}.json")),
        format!("{{\"v\":1,\"session_id\":\"{live}\",\"removed\":\"2026-01-01T00:00:00Z\",\"by\":\"delete\",\"actor\":\"cli\"}}\n"),
    )
    .expect("tombstone");
    let old = state(&world, "checkpoints/2026-01-01-old");
    std::fs::create_dir_all(&old).expect("mkdir");
    std::fs::write(old.join("1.md"), "old bytes").expect("copy");
    let watch = world.watch();
    let (code, report, _) = e2e_tests::maestro(&world, &["doctor"]);
    assert_eq!(code, 1, "{report}");
    let found = report["problems"].as_array().expect("problems");
    assert_eq!(found.len(), 1, "{report}");
    assert_eq!(found[0]["kind"], "leftover_history", "{report}");
    assert_eq!(
        found[0]["path"], "state/checkpoints/2026-01-01-old",
        "{report}"
    );
    let fixed = maestro_ok(&world, &["doctor", "--fix"]);
    assert_eq!(
        doctor_problems(&fixed, "fixed", "leftover_history").len(),
        1,
        "{fixed}"
    );
    maestro_ok(&world, &["doctor"]);
    // The session stays; the old checkpoint's bytes are kept in quarantine; the old id is used.
    assert_eq!(world.show(&live)["session_id"], live.as_str());
    assert!(state(&world, "tombstones/2026-01-01-old.json").is_file());
    let kept = std::fs::read_dir(state(&world, "quarantine"))
        .expect("quarantine")
        .flatten()
        .any(|e| std::fs::read(e.path().join("1.md")).is_ok_and(|b| b == b"old bytes"));
    assert!(kept, "the left checkpoint is in quarantine");
    watch.check(&world);
    // (Paused first: create_session refuses over an in-progress session before anything.)
    maestro_ok(&world, &["pause", &live]);
    let result = mcp_create(&world, "2026-01-01-old");
    assert_eq!(result["isError"], true, "{result}");
    assert!(tool_text(&result).contains("removed"), "{result}");
    // Deleting the session beside its stale tombstone rewrites it and removes the checkpoints.
    maestro_ok(&world, &["delete", &live, "--force"]);
    let tomb: Value = serde_json::from_slice(
        &std::fs::read(state(&world, &format!("tombstones/{live}.json"))).expect("tombstone"),
    )
    .expect("json");
    assert_ne!(tomb["removed"], "2026-01-01T00:00:00Z");
    assert!(!state(&world, &format!("checkpoints/{live}")).exists());
}

// ---------------------------------------------------------------------------------------------
// Case 21 and its class: every number an import brings in is bounded

/// A paused session with one checkpoint, exported; the export as JSON.
fn exported(world: &World) -> (String, Value) {
    let id = world.create("Exported", &["--phase", "A=coder"]);
    maestro_ok(world, &["phase", "start", "active", "1"]);
    maestro_ok(world, &["pause", "active"]);
    let file = export_file(world, &id, "source.json");
    let doc = serde_json::from_slice(&std::fs::read(file).expect("read")).expect("json");
    (id, doc)
}

/// Writes `doc` to `dir/name` (outside `target`'s world) and imports it into `target`: the
/// run.
fn import_doc(target: &World, doc: &Value, dir: &std::path::Path, name: &str) -> Ran {
    let file = dir.join(name);
    std::fs::write(&file, serde_json::to_vec(doc).expect("encode")).expect("write");
    target.maestro(&["import", file.to_str().expect("utf8")])
}

#[test]
fn import_refuses_a_checkpoint_number_past_its_bound() {
    let source = World::new();
    let (id, mut doc) = exported(&source);
    doc["checkpoints"][0]["record"]["id"] = json!(u64::MAX);
    let target = World::new();
    let watch = target.watch();
    let before = Tree::of(&target.project());
    let ran = import_doc(&target, &doc, &source.outside(), "e.json");
    ran.assert_code(3);
    let error = ran.json_error()["error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        error.contains("record.id is 18446744073709551615") && error.contains("e.json"),
        "{error}"
    );
    Tree::of(&target.project()).assert_same(&before, "a refused import writes nothing");
    // The largest accepted number still leaves the session room to move.
    doc["checkpoints"][0]["record"]["id"] = json!(1u64 << 32);
    import_doc(&target, &doc, &source.outside(), "ok.json").assert_ok();
    let resumed = target.maestro(&["resume", &id]);
    resumed.assert_ok();
    let list = maestro_ok(&target, &["checkpoint", "list", &id]);
    assert_eq!(list["checkpoints"][0]["id"], (1u64 << 32) + 1, "{list}");
    watch.check(&target);
}

#[test]
fn every_number_of_an_export_file_is_bounded_and_named() {
    let source = World::new();
    let (_, doc) = exported(&source);
    // The session file's frontmatter, YAML or JSON, with another total_input.
    let session_with = |total_input: u64| {
        let text = doc["session"]["file"].as_str().expect("session text");
        let (from, to) = if text.contains("\"total_input\": 0") {
            (
                "\"total_input\": 0",
                format!("\"total_input\": {total_input}"),
            )
        } else {
            ("total_input: 0", format!("total_input: {total_input}"))
        };
        assert!(text.contains(from), "{text}");
        text.replacen(from, &to, 1)
    };
    let huge_line = "{\"v\":1,\"time\":\"2026-01-01T00:00:00.000Z\",\"actor\":\"cli\",\"op\":\"checkpoint restore\",\"session\":\"s\",\"changes\":[],\"undo\":18446744073709551615}\n";
    let cases: Vec<(&str, Value, &str)> = vec![
        ("/version", json!(u64::MAX), "version 18446744073709551615"),
        ("/version", json!(-1), "version -1"),
        ("/checkpoints/0/record/id", json!(0), "record.id is 0"),
        (
            "/checkpoints/0/record/id",
            json!(1e300),
            "checkpoints[0].record.id",
        ),
        (
            "/checkpoints/0/record/id",
            json!(-5),
            "checkpoints[0].record.id",
        ),
        (
            "/checkpoints/0/record/v",
            json!(1u64 << 40),
            "checkpoints[0].record.v",
        ),
        (
            "/checkpoints/0/record/bytes",
            json!(u64::MAX),
            "record says 18446744073709551615",
        ),
        (
            "/checkpoints/0/record/time",
            json!("+9999999-01-01T00:00:00Z"),
            "record.time",
        ),
        (
            "/events",
            json!(huge_line),
            "line 1: `undo` is 18446744073709551615",
        ),
        (
            "/events",
            json!("{\"v\":1,\"time\":\"the year 3000\"}\n"),
            "line 1: `time` is \"the year 3000\"",
        ),
        (
            "/session/file",
            json!(session_with(u64::MAX)),
            "token_usage.total_input is 18446744073709551615",
        ),
        (
            "/session/file",
            json!(session_with(1 << 53)),
            "token_usage.total_input is 9007199254740992",
        ),
    ];
    let target = World::new();
    let watch = target.watch();
    let before = Tree::of(&target.project());
    for (pointer, value, want) in cases {
        let mut changed = doc.clone();
        *changed.pointer_mut(pointer).expect(pointer) = value;
        let ran = import_doc(&target, &changed, &source.outside(), "bad.json");
        assert_eq!(ran.code, Some(3), "{pointer}: {ran}");
        let error = ran.json_error()["error"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(error.contains(want), "{pointer}: want {want:?} in {error}");
    }
    Tree::of(&target.project()).assert_same(&before, "refused imports write nothing");
    import_doc(&target, &doc, &source.outside(), "good.json").assert_ok();
    watch.check(&target);
}

#[test]
fn hand_numbered_checkpoint_files_never_block_a_session() {
    let world = World::new();
    let id = world.create(
        "Numbered by hand",
        &["--phase", "A=coder", "--phase", "B=coder"],
    );
    maestro_ok(&world, &["phase", "start", "active", "1"]);
    let folder = state(&world, &format!("checkpoints/{id}"));
    let record = std::fs::read_to_string(folder.join("1.json")).expect("record");
    let copy = std::fs::read(folder.join("1.md")).expect("copy");
    // Numbers past 2^53 - 1 (and 0) are not checkpoints: listed as unreadable, never counted.
    for name in ["18446744073709551615", "99999999999999999999999", "0"] {
        std::fs::write(folder.join(format!("{name}.md")), &copy).expect("copy");
        std::fs::write(folder.join(format!("{name}.json")), &record).expect("record");
    }
    maestro_ok(&world, &["phase", "complete", "active", "1"]);
    let list = maestro_ok(&world, &["checkpoint", "list", &id]);
    assert_eq!(list["checkpoints"][0]["id"], 2, "{list}");
    let unreadable = list["unreadable"].as_array().expect("unreadable");
    assert_eq!(unreadable.len(), 6, "{list}");
    // A checkpoint at the last number: the next transition is refused as corrupt state (exit
    // 3, naming the file and the way out), never as a usage error, and changes nothing.
    let last = (1u64 << 53) - 1;
    std::fs::write(folder.join(format!("{last}.md")), &copy).expect("copy");
    std::fs::write(
        folder.join(format!("{last}.json")),
        record.replacen("\"id\": 1,", &format!("\"id\": {last},"), 1),
    )
    .expect("record");
    let watch = world.watch();
    let before = Tree::of(&world.project());
    let ran = world.maestro(&["phase", "start", "active", "2"]);
    ran.assert_code(3);
    let error = ran.json_error()["error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        error.contains(&format!("{last}.json")) && error.contains("aside"),
        "{error}"
    );
    Tree::of(&world.project()).assert_same(&before, "a refused transition");
    watch.check(&world);
}

// ---------------------------------------------------------------------------------------------
// Case 22: an owner record is about the session it ran

#[test]
fn a_new_session_is_not_reported_interrupted() {
    let world = World::new();
    let a = world.create("Run A", &["--phase", "A=coder"]);
    let mut runtime = std::process::Command::new("sleep")
        .arg("300")
        .spawn()
        .expect("sleep");
    let payload = format!(
        "{{\"session_id\":\"rt-1\",\"transcript_path\":\"/x\",\"cwd\":\"{}\",\"hook_event_name\":\"SessionStart\",\"source\":\"startup\"}}",
        world.project().display()
    );
    let mut cmd = world.cmd("session-start");
    cmd.args(["--runtime", "claude"])
        .env("CLAUDE_PID", runtime.id().to_string());
    Ran::of(cmd, payload.as_bytes()).assert_ok();
    let _ = runtime.kill();
    let _ = runtime.wait();
    let owner: Value =
        serde_json::from_slice(&std::fs::read(state(&world, "owner.json")).expect("owner"))
            .expect("json");
    assert_eq!(owner["maestro_session_id"], a.as_str());
    // Its own run died: A is interrupted (the control that shows the check can fail).
    assert_eq!(world.show("active")["interrupted"], true);
    maestro_ok(&world, &["status", "active", "completed"]);
    maestro_ok(&world, &["archive"]);
    let b = world.create("Fresh B, never run by any runtime", &["--phase", "B=coder"]);
    let watch = world.watch();
    let shown = world.show("active");
    assert_eq!(shown["session_id"], b.as_str());
    assert_eq!(shown["interrupted"], false, "{shown}");
    assert!(
        shown.get("owner").is_none(),
        "another run's owner is not B's: {shown}"
    );
    let human = world.exec("maestro-session", &["show", "active"], b"");
    human.assert_ok();
    assert!(!human.stdout_text().contains("interrupted"), "{human}");
    let list = maestro_ok(&world, &["list"]);
    let rows = list["sessions"].as_array().expect("rows");
    assert!(rows.iter().all(|r| r["interrupted"] != true), "{list}");
    let doctor = maestro_ok(&world, &["doctor"]);
    assert!(doctor_problems(&doctor, "problems", "interrupted_run").is_empty());
    let resumed = world.maestro(&["resume", &b]);
    resumed.assert_ok();
    assert!(resumed.json()["interrupted"].is_null(), "{resumed}");
    watch.check(&world);
}

// ---------------------------------------------------------------------------------------------
// Case 17: checkpoint diff is bounded

/// The session file of `world`'s active session with its body replaced by `lines` lines
/// `<tag> <i> <hash>`.
fn with_body(world: &World, tag: &str, lines: usize) -> Vec<u8> {
    let text = String::from_utf8(world.active_bytes()).expect("utf8");
    let head = text.split("\n---\n").next().expect("frontmatter");
    let mut out = format!("{head}\n---\n");
    for i in 0..lines {
        let h = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ tag.len() as u64;
        out.push_str(&format!("{tag} {i} {h:x}\n"));
    }
    out.into_bytes()
}

#[test]
fn checkpoint_diff_of_two_huge_checkpoints_is_bounded() {
    const LINES: usize = 200_000;
    let world = World::new();
    let id = world.create("Diff", &["--phase", "A=coder"]);
    let active = "docs/maestro/state/active-session.md";
    world
        .exec("write-state", &[active], &with_body(&world, "old", LINES))
        .assert_ok();
    maestro_ok(&world, &["checkpoint", "create", &id, "--name", "old"]);
    world
        .exec("write-state", &[active], &with_body(&world, "newer", LINES))
        .assert_ok();
    maestro_ok(&world, &["checkpoint", "create", &id, "--name", "new"]);
    let watch = world.watch();
    let before = Tree::of(&world.project());
    let mut cmd = world.cmd("maestro-session");
    cmd.args(["--json", "checkpoint", "diff", &id, "old", "new"]);
    // Every line differs: a quadratic diff would run for hours; this one stops looking for
    // the smallest diff after 1 s and is still a correct one.
    let ran = Ran::within(cmd, b"", BIG_GUARD);
    ran.assert_ok();
    let report = ran.json();
    assert_eq!(report["changed"], true);
    assert_eq!(report["minimal"], false, "the search was cut short");
    let diff = report["diff"].as_str().expect("diff");
    let removed = diff.lines().filter(|l| l.starts_with("-old ")).count();
    let added = diff.lines().filter(|l| l.starts_with("+newer ")).count();
    assert_eq!((removed, added), (LINES, LINES));
    // A small change is still the smallest diff.
    let small = maestro_ok(&world, &["checkpoint", "diff", &id, "new"]);
    assert_eq!(small["changed"], false);
    Tree::of(&world.project()).assert_same(&before, "diff reads only");
    watch.check(&world);
}

#[test]
fn a_small_checkpoint_diff_is_minimal() {
    let world = World::new();
    let id = world.create("Small diff", &["--phase", "A=coder"]);
    maestro_ok(&world, &["checkpoint", "create", &id, "--name", "before"]);
    maestro_ok(&world, &["set", &id, "task", "Changed"]);
    let report = maestro_ok(&world, &["checkpoint", "diff", &id, "before"]);
    assert_eq!(
        (report["changed"].clone(), report["minimal"].clone()),
        (json!(true), json!(true))
    );
    let diff = report["diff"].as_str().expect("diff");
    let added: Vec<&str> = diff
        .lines()
        .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
        .collect();
    assert_eq!(
        added.iter().filter(|l| l.contains("\"Changed\"")).count(),
        1,
        "{diff}"
    );
}

// ---------------------------------------------------------------------------------------------
// Case 27: export streams the event log; import reads a capped file

/// Appends `n` hook lines to session `id`'s log (what `n` BeforeAgent runs append).
fn append_hook_lines(world: &World, id: &str, n: usize) {
    let line = format!(
        "{{\"v\":1,\"time\":\"2026-12-06T09:00:00.000Z\",\"actor\":\"hook:BeforeAgent\",\"op\":\"agent started\",\"session\":\"{id}\",\"changes\":[],\"agent\":\"coder\"}}\n"
    );
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(state(world, &format!("events/{id}.jsonl")))
        .expect("open log");
    let block = line.repeat(1000);
    for _ in 0..n / 1000 {
        file.write_all(block.as_bytes()).expect("append");
    }
}

#[test]
fn a_long_event_log_exports_with_bounded_memory() {
    const LINES: usize = 240_000;
    let world = World::new();
    let id = world.create("Long lived", &[]);
    append_hook_lines(&world, &id, LINES);
    let log_len = std::fs::metadata(state(&world, &format!("events/{id}.jsonl")))
        .expect("log")
        .len();
    assert!(log_len > 32 << 20, "{log_len}: past the old 32 MiB wall");
    let out = world.outside().join("e.json");
    let watch = world.watch();
    // Under a 1 GiB address-space cap, and GNU time for the peak RSS when there is one.
    let rss = tempfile::NamedTempFile::new().expect("temp file");
    let time = e2e_tests::gnu_time();
    let mut cmd = world.capped(
        "maestro-session",
        VM_CAP_KIB,
        time.as_ref().map(|_| rss.path()),
    );
    cmd.args([
        "--json",
        "export",
        &id,
        "--output",
        out.to_str().expect("utf8"),
    ]);
    let ran = Ran::within(cmd, b"", BIG_GUARD);
    let peak = time.and_then(|_| e2e_tests::read_peak_rss_kib(rss.path()));
    ran.assert_ok();
    let report = ran.json();
    assert_eq!(report["events"], LINES + 1, "{report}");
    assert_eq!(report["warning"], Value::Null, "importable: {report}");
    if let Some(peak) = peak {
        assert!(
            peak < MAX_RSS_KIB,
            "export peak RSS {peak} KiB: the log is not streamed"
        );
    }
    let doc: Value = serde_json::from_slice(&std::fs::read(&out).expect("read")).expect("json");
    let events = doc["events"].as_str().expect("events");
    assert_eq!(
        events.as_bytes(),
        std::fs::read(state(&world, &format!("events/{id}.jsonl"))).expect("log"),
        "the log is carried byte for byte"
    );
    // A reader that goes away early ends the streamed export quietly with 0.
    let mut cmd = std::process::Command::new("bash");
    world.configure(&mut cmd);
    cmd.arg("-c")
        .arg("\"$0\" export \"$1\" | head -c 100 >/dev/null; echo \"${PIPESTATUS[0]}\"")
        .arg(e2e_tests::bin("maestro-session"))
        .arg(&id);
    let piped = Ran::within(cmd, b"", BIG_GUARD);
    piped.assert_ok();
    assert_eq!(piped.stdout_text().trim(), "0", "{piped}");
    assert!(piped.stderr.is_empty(), "{piped}");
    // And the file imports, every event with it.
    let target = World::new();
    let mut cmd = target.cmd("maestro-session");
    cmd.args(["--json", "import", out.to_str().expect("utf8")]);
    let imported = Ran::within(cmd, b"", BIG_GUARD);
    imported.assert_ok();
    assert_eq!(imported.json()["events"], LINES + 1);
    std::fs::remove_file(&out).expect("remove the export");
    watch.check(&world);
}

#[test]
fn an_export_too_large_to_import_says_so_and_no_events_imports() {
    // ~48 MiB of log: its export is over the 48 MiB `import` reads.
    const LINES: usize = 330_000;
    let world = World::new();
    let id = world.create("Very long lived", &[]);
    append_hook_lines(&world, &id, LINES);
    let out = world.outside().join("big.json");
    let o = out.to_str().expect("utf8");
    let mut cmd = world.cmd("maestro-session");
    cmd.args(["--json", "export", &id, "--output", o]);
    let ran = Ran::within(cmd, b"", BIG_GUARD);
    ran.assert_ok();
    let report = ran.json();
    assert!(
        report["warning"]
            .as_str()
            .is_some_and(|w| w.contains("--no-events")),
        "{report}"
    );
    let target = World::new();
    let watch = target.watch();
    let before = Tree::of(&target.project());
    let mut cmd = target.cmd("maestro-session");
    cmd.args(["--json", "import", o]);
    let refused = Ran::within(cmd, b"", BIG_GUARD);
    refused.assert_code(3);
    assert!(refused.stderr.contains("50331648"), "{refused}");
    Tree::of(&target.project()).assert_same(&before, "a refused import writes nothing");
    let small = world.outside().join("small.json");
    let s = small.to_str().expect("utf8");
    let report = maestro_ok(&world, &["export", &id, "--no-events", "--output", s]);
    assert_eq!(report["events"], 0);
    assert!(
        report["skipped"][0]
            .as_str()
            .is_some_and(|s| s.contains("--no-events")),
        "{report}"
    );
    let r = maestro_ok(&target, &["import", s]);
    assert_eq!(r["events"], 0);
    std::fs::remove_file(&out).expect("remove the export");
    watch.check(&target);
}

#[test]
fn export_leaves_out_log_lines_that_are_not_events() {
    let world = World::new();
    let id = world.create("Torn", &[]);
    let log = state(&world, &format!("events/{id}.jsonl"));
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .expect("log");
    // A torn line, bytes that are not UTF-8, a line with a bad time, a good line, and an
    // append in progress (no newline yet).
    file.write_all(b"{\"v\":1,\"ti\n\xff\xfe\n{\"v\":1,\"time\":\"never\"}\n")
        .expect("bad lines");
    let good = format!(
        "{{\"v\":1,\"time\":\"2026-12-06T09:00:00.000Z\",\"actor\":\"cli\",\"op\":\"x\",\"session\":\"{id}\",\"changes\":[]}}\n"
    );
    file.write_all(good.as_bytes()).expect("good");
    file.write_all(b"{\"v\":1,").expect("partial");
    let out = export_file(&world, &id, "torn.json");
    let doc: Value = serde_json::from_slice(&std::fs::read(&out).expect("read")).expect("json");
    let events = doc["events"].as_str().expect("events");
    assert_eq!(
        events.lines().count(),
        2,
        "create and the good line: {events}"
    );
    assert!(events.ends_with(&good));
    let skipped = doc["skipped"][0].as_str().expect("skipped");
    for want in [
        "4 line(s)",
        "line 2: not JSON",
        "line 3: not UTF-8",
        "line 4: `time`",
        "line 6: incomplete",
    ] {
        assert!(skipped.contains(want), "{want} in {skipped}");
    }
    // To stdout (both output modes): the same document, streamed.
    for json_mode in [false, true] {
        let mut cmd = world.cmd("maestro-session");
        if json_mode {
            cmd.arg("--json");
        }
        cmd.args(["export", &id]);
        let printed = Ran::of(cmd, b"");
        printed.assert_ok();
        let printed: Value = serde_json::from_slice(&printed.stdout).expect("stdout json");
        assert_eq!(printed["events"], doc["events"]);
        assert_eq!(printed["skipped"], doc["skipped"]);
    }
    let target = World::new();
    let r = maestro_ok(&target, &["import", out.to_str().expect("utf8")]);
    assert_eq!(r["events"], 2);
}
