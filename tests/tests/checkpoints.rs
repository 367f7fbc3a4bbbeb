//! Checkpoints through the built `maestro-session`: automatic ones before phase transitions,
//! resume, doctor --fix, write-state and restore; a phase that goes wrong rolled back and the
//! rollback undone (restore after restore), byte for byte but for the `revision` each restore
//! counts up; diff; unknown ids and names; names
//! that are attacks; an interrupted checkpoint; retention and its setting.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use e2e_tests::{World, maestro, maestro_ok, maestro_refused, run};
use serde_json::Value;

/// A world with an active session of three chained phases; returns its id.
fn world_with_session() -> (World, String) {
    let world = World::new();
    let s = maestro_ok(
        &world,
        &[
            "create",
            "Build the parser",
            "--phase",
            "Design the grammar=architect",
            "--phase",
            "Implement the parser=coder",
            "--phase",
            "Test the parser=tester",
        ],
    );
    let id = s["session_id"].as_str().expect("id").to_string();
    (world, id)
}

/// The active session's bytes but its `revision` line: a restore writes the checkpoint's bytes
/// as the session's next revision, so only that line tells them apart.
fn active(world: &World) -> Vec<u8> {
    without_revision(
        &std::fs::read(world.state().join("active-session.md")).expect("read active session"),
    )
}

fn without_revision(bytes: &[u8]) -> Vec<u8> {
    // `revision: 3` (YAML) or `  "revision": 3,` (JSON); a JSON revision that is the last key
    // takes the comma of the line before it along, so the rest is still JSON.
    let mut out: Vec<Vec<u8>> = Vec::new();
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        let t = line.trim_ascii();
        if t.starts_with(b"revision: ") {
            continue;
        }
        if t.starts_with(b"\"revision\": ") {
            if !t.ends_with(b",")
                && let Some(prev) = out.last_mut()
                && let Some(comma) = prev.iter().rposition(|&b| b == b',')
            {
                prev.remove(comma);
            }
            continue;
        }
        out.push(line.to_vec());
    }
    out.concat()
}

fn folder(world: &World, id: &str) -> PathBuf {
    world.state().join("checkpoints").join(id)
}

/// A checkpoint's copy but its `revision` line (see [`active`]).
fn copy(world: &World, id: &str, checkpoint: u64) -> Vec<u8> {
    without_revision(
        &std::fs::read(folder(world, id).join(format!("{checkpoint}.md")))
            .expect("checkpoint copy"),
    )
}

fn list(world: &World, id: &str) -> Vec<Value> {
    let v = maestro_ok(world, &["checkpoint", "list", id]);
    assert_eq!(v["session"], id);
    assert_eq!(v["unreadable"], serde_json::json!([]));
    v["checkpoints"].as_array().expect("checkpoints").clone()
}

fn reasons(world: &World, id: &str) -> Vec<String> {
    list(world, id)
        .iter()
        .map(|c| c["reason"].as_str().expect("reason").to_string())
        .collect()
}

/// The newest checkpoint whose reason is `reason`.
fn by_reason(world: &World, id: &str, reason: &str) -> u64 {
    list(world, id)
        .iter()
        .find(|c| c["reason"] == reason)
        .and_then(|c| c["id"].as_u64())
        .unwrap_or_else(|| panic!("no checkpoint {reason:?}: {:?}", reasons(world, id)))
}

/// Every file beneath `dir`, relative to it.
fn files(dir: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                todo.push(path);
            } else if let Ok(rel) = path.strip_prefix(dir) {
                out.insert(rel.to_path_buf());
            }
        }
    }
    out
}

#[test]
fn phase_transitions_take_automatic_checkpoints_and_other_changes_do_not() {
    let (world, id) = world_with_session();
    assert!(list(&world, &id).is_empty());
    maestro_ok(&world, &["phase", "start", &id, "1"]);
    maestro_ok(
        &world,
        &["tokens", &id, "--agent", "architect", "--input", "10"],
    );
    maestro_ok(&world, &["files", &id, "1", "--created", "grammar.md"]);
    maestro_ok(&world, &["phase", "complete", &id, "1"]);
    maestro_ok(&world, &["phase", "start", &id, "2"]);
    maestro_ok(
        &world,
        &["phase", "fail", &id, "2", "--message", "tests fail"],
    );
    maestro_ok(&world, &["phase", "retry", &id, "2"]);
    maestro_ok(&world, &["phase", "skip", &id, "3"]);
    // A refused transition takes none.
    maestro_refused(&world, &["phase", "start", &id, "1"], 1, "");
    assert_eq!(
        reasons(&world, &id),
        [
            "phase skip 3",
            "phase retry 2",
            "phase fail 2",
            "phase start 2",
            "phase complete 1",
            "phase start 1",
        ]
    );
    let newest = &list(&world, &id)[0];
    assert_eq!(newest["id"], 6);
    assert_eq!(newest["v"], 1);
    assert_eq!(newest["automatic"], true);
    assert_eq!(newest["name"], Value::Null);
    assert_eq!(newest["location"], "active");
    assert_eq!(
        newest["git_commit"],
        Value::Null,
        "the world's .git is empty"
    );
    let bytes = newest["bytes"].as_u64().expect("bytes");
    let whole = std::fs::read(folder(&world, &id).join("6.md")).expect("checkpoint copy");
    assert_eq!(whole.len() as u64, bytes);
}

#[test]
fn a_phase_goes_wrong_restore_it_then_undo_the_restore() {
    let (world, id) = world_with_session();
    maestro_ok(&world, &["phase", "start", &id, "1"]);
    maestro_ok(&world, &["phase", "complete", &id, "1"]);
    maestro_ok(&world, &["phase", "start", &id, "2"]);
    let before_fail = active(&world);
    maestro_ok(
        &world,
        &[
            "phase",
            "fail",
            &id,
            "2",
            "--message",
            "the coder deleted the lexer",
        ],
    );
    let after_fail = active(&world);
    let cp = by_reason(&world, &id, "phase fail 2");
    assert_eq!(copy(&world, &id, cp), before_fail);

    // diff shows the phase status change.
    let d = maestro_ok(&world, &["checkpoint", "diff", &id, &cp.to_string()]);
    assert_eq!(d["session"], id);
    assert_eq!(d["changed"], true);
    assert_eq!(d["from"], format!("checkpoint {cp}"));
    assert_eq!(d["to"], "current (state/active-session.md)");
    let text = d["diff"].as_str().expect("diff");
    // A new project's session is JSON (Maestro 1.6's flavour): its lines as serde_json writes.
    assert!(
        text.contains("-      \"status\": \"in_progress\","),
        "{text}"
    );
    assert!(text.contains("+      \"status\": \"failed\","), "{text}");
    assert!(text.starts_with(&format!("--- checkpoint {cp}\n+++ current")));

    // Restore: the file is the checkpoint, byte for byte.
    let r = maestro_ok(&world, &["checkpoint", "restore", &id, &cp.to_string()]);
    assert_eq!(active(&world), before_fail);
    assert_eq!(r["restored"]["id"], cp);
    assert_eq!(r["location"], "active");
    assert_eq!(r["note"], Value::Null);
    let undo = r["undo"]["id"].as_u64().expect("undo id");
    assert_eq!(r["undo"]["reason"], "restore");
    assert_eq!(copy(&world, &id, undo), after_fail);

    // Restore after restore: back to the state before the first restore.
    let r2 = maestro_ok(&world, &["checkpoint", "restore", &id, &undo.to_string()]);
    assert_eq!(active(&world), after_fail);
    let undo2 = r2["undo"]["id"].as_u64().expect("undo id");
    assert_eq!(copy(&world, &id, undo2), before_fail);
    // ... and once more, undoing the undo.
    maestro_ok(&world, &["checkpoint", "restore", &id, &undo2.to_string()]);
    assert_eq!(active(&world), before_fail);

    // The event log has each restore, with the checkpoint and its undo, and what changed.
    let log = maestro_ok(&world, &["log", &id]);
    let restores: Vec<&Value> = log["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["op"] == "checkpoint restore")
        .collect();
    assert_eq!(restores.len(), 3, "{log}");
    assert_eq!(restores[0]["checkpoint"], cp);
    assert_eq!(restores[0]["undo"], undo);
    assert!(
        restores[0]["changes"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["path"] == "/phases/1/status")),
        "{}",
        restores[0]
    );

    // Continue from the restored state: phase 2 is in progress again.
    let s = maestro_ok(&world, &["phase", "complete", &id, "2"]);
    assert_eq!(s["phases"][1]["status"], "completed");
    // The human rendering says how to undo.
    let mut cmd = world.cmd("maestro-session");
    cmd.args(["checkpoint", "restore", &id, &cp.to_string()]);
    let out = run(cmd, b"");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "undo with: maestro-session checkpoint restore {id} "
        )),
        "{text}"
    );
}

#[test]
fn named_checkpoints_restore_by_name_and_diff_between_two() {
    let (world, id) = world_with_session();
    let c = maestro_ok(
        &world,
        &["checkpoint", "create", &id, "--name", "before-design"],
    );
    assert_eq!(c["session"], id);
    assert_eq!(c["checkpoint"]["name"], "before-design");
    assert_eq!(c["checkpoint"]["automatic"], false);
    assert_eq!(c["checkpoint"]["reason"], "manual");
    let start = active(&world);
    maestro_ok(&world, &["phase", "start", &id, "1"]);
    maestro_refused(
        &world,
        &["checkpoint", "create", &id, "--name", "before-design"],
        1,
        "already named \"before-design\"",
    );
    let d = maestro_ok(&world, &["checkpoint", "diff", &id, "before-design", "2"]);
    assert_eq!(
        d["changed"], false,
        "checkpoint 2 was taken before phase start 1"
    );
    assert_eq!(d["diff"], "");
    maestro_ok(&world, &["checkpoint", "restore", &id, "before-design"]);
    assert_eq!(active(&world), start);
}

#[test]
fn unknown_checkpoints_and_sessions_are_refused_clearly() {
    let (world, id) = world_with_session();
    maestro_ok(&world, &["phase", "start", &id, "1"]);
    let before = world.sessions();
    maestro_refused(
        &world,
        &["checkpoint", "restore", &id, "99"],
        1,
        "no checkpoint has the id \"99\" (the session has 1 checkpoint; `maestro-session checkpoint list",
    );
    maestro_refused(
        &world,
        &["checkpoint", "restore", &id, "nope"],
        1,
        "no checkpoint is named \"nope\"",
    );
    maestro_refused(
        &world,
        &["checkpoint", "restore", &id, "99999999999999999999999"],
        1,
        "no checkpoint has the id",
    );
    maestro_refused(
        &world,
        &["checkpoint", "diff", &id, "nope"],
        1,
        "no checkpoint is named \"nope\"",
    );
    maestro_refused(
        &world,
        &["checkpoint", "list", "no-such-session"],
        1,
        "not found",
    );
    assert_eq!(world.sessions(), before);
    assert_eq!(list(&world, &id).len(), 1, "a refused restore takes none");
}

#[test]
fn checkpoint_names_that_are_attacks_are_refused_and_nothing_is_written() {
    let (world, id) = world_with_session();
    maestro_ok(&world, &["checkpoint", "create", &id]);
    let watch = world.watch();
    let project_before = files(&world.project());
    let long = "a".repeat(100_000);
    for name in [
        "../x",
        "../../../../outside/x",
        "a/b",
        "/etc/passwd",
        "a\\b",
        "",
        "123",
        "with space",
        "x\ny",
        "ünï",
        long.as_str(),
        &"b".repeat(65),
    ] {
        let (code, _, stderr) = maestro(&world, &["checkpoint", "create", &id, "--name", name]);
        assert_eq!(code, 2, "{name:?}: {stderr}");
        assert!(stderr.contains("checkpoint name"), "{name:?}: {stderr}");
        assert!(
            stderr.len() < 1000,
            "the message is bounded: {}",
            stderr.len()
        );
    }
    assert_eq!(files(&world.project()), project_before);
    watch.check(&world);
}

#[test]
fn an_interrupted_checkpoint_is_ignored_by_readers_and_swept_by_the_next() {
    let (world, id) = world_with_session();
    maestro_ok(&world, &["phase", "start", &id, "1"]);
    // A crash between the copy and its record leaves 2.md alone.
    std::fs::write(folder(&world, &id).join("2.md"), b"half a sess").expect("write");
    assert_eq!(list(&world, &id).len(), 1);
    maestro_refused(
        &world,
        &["checkpoint", "restore", &id, "2"],
        1,
        "no checkpoint has the id \"2\"",
    );
    maestro_ok(&world, &["phase", "complete", &id, "1"]);
    let ids: Vec<u64> = list(&world, &id)
        .iter()
        .filter_map(|c| c["id"].as_u64())
        .collect();
    assert_eq!(ids, [3, 1]);
    assert!(!folder(&world, &id).join("2.md").exists());
    // A record whose copy was changed behind its back is reported, not restored.
    std::fs::write(folder(&world, &id).join("1.md"), b"tampered").expect("write");
    let v = maestro_ok(&world, &["checkpoint", "list", &id]);
    let unreadable = v["unreadable"].as_array().expect("unreadable");
    assert_eq!(unreadable.len(), 1, "{v}");
    // The one error object, as `list` reports an unreadable session file.
    assert_eq!(unreadable[0]["kind"], "io", "{v}");
    assert!(
        unreadable[0]["error"]
            .as_str()
            .unwrap_or_default()
            .contains("1.json"),
        "{v}"
    );
}

#[test]
fn resume_doctor_fix_and_write_state_take_checkpoints() {
    let (world, id) = world_with_session();
    maestro_ok(&world, &["pause", &id]);
    maestro_ok(&world, &["resume", &id]);
    assert_eq!(reasons(&world, &id), ["resume"]);

    // write-state that changes a phase status.
    let before = active(&world);
    // The session is JSON (a new project's flavour); phase 1's status is the first pending.
    let started = String::from_utf8(before.clone()).expect("utf8").replacen(
        "\"status\": \"pending\"",
        "\"status\": \"in_progress\"",
        1,
    );
    assert_ne!(started.as_bytes(), &before[..], "the edit applies");
    let out = world.exec(
        "write-state",
        &["docs/maestro/state/active-session.md"],
        started.as_bytes(),
    );
    assert_eq!(out.code, Some(0), "{out}");
    let cp = by_reason(&world, &id, "write-state: phase 1 pending -> in_progress");
    assert_eq!(copy(&world, &id, cp), before);

    // doctor --fix over a session held twice.
    let archived = world.state().join("archive").join(format!("{id}.md"));
    std::fs::write(&archived, &before).expect("write");
    let r = maestro_ok(&world, &["doctor", "--fix"]);
    assert!(!r["fixed"].as_array().expect("fixed").is_empty(), "{r}");
    let doctor: Vec<Value> = list(&world, &id)
        .into_iter()
        .filter(|c| c["reason"] == "doctor --fix")
        .collect();
    assert_eq!(doctor.len(), 2, "one per copy: {doctor:?}");
    assert!(doctor.iter().any(|c| c["location"] == "archive"));
    assert!(doctor.iter().any(|c| c["location"] == "active"));
}

#[test]
fn a_checkpoint_of_the_active_session_restores_into_the_archive_in_place() {
    let (world, id) = world_with_session();
    maestro_ok(&world, &["phase", "start", &id, "1"]);
    maestro_ok(&world, &["archive", &id]);
    let r = maestro_ok(&world, &["checkpoint", "restore", &id, "1"]);
    assert_eq!(r["location"], "archive");
    let note = r["note"].as_str().expect("note");
    assert!(note.contains("restored where the session is now"), "{note}");
    let archived = world.state().join("archive").join(format!("{id}.md"));
    assert_eq!(
        without_revision(&std::fs::read(&archived).expect("read")),
        copy(&world, &id, 1)
    );
    assert!(!world.state().join("active-session.md").exists());
    assert_eq!(r["undo"]["location"], "archive");
}

#[test]
fn retention_keeps_the_setting_and_named_ones_and_a_bad_setting_is_a_usage_error() {
    let (world, id) = world_with_session();
    let maestro_with = |keep: &str, args: &[&str]| {
        let mut cmd = world.cmd("maestro-session");
        cmd.env("MAESTRO_CHECKPOINTS_KEEP", keep)
            .arg("--json")
            .args(args);
        run(cmd, b"")
    };
    maestro_ok(&world, &["checkpoint", "create", &id, "--name", "keep-me"]);
    for args in [
        ["phase", "start", &id, "1"],
        ["phase", "complete", &id, "1"],
        ["phase", "start", &id, "2"],
        ["phase", "complete", &id, "2"],
    ] {
        let out = maestro_with("2", &args);
        assert!(out.status.success(), "{args:?}");
    }
    let kept: Vec<(u64, bool)> = list(&world, &id)
        .iter()
        .map(|c| (c["id"].as_u64().unwrap_or(0), c["automatic"] == true))
        .collect();
    assert_eq!(kept, [(5, true), (4, true), (1, false)]);

    let before = active(&world);
    let out = maestro_with("none", &["phase", "start", &id, "3"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("MAESTRO_CHECKPOINTS_KEEP"), "{stderr}");
    assert_eq!(active(&world), before, "nothing changed");

    // The project's .env sets it too.
    std::fs::write(world.project().join(".env"), "MAESTRO_CHECKPOINTS_KEEP=1\n").expect("env");
    maestro_ok(&world, &["phase", "start", &id, "3"]);
    let automatic = list(&world, &id)
        .iter()
        .filter(|c| c["automatic"] == true)
        .count();
    assert_eq!(automatic, 1);
}
