//! The attack cases of issue 15 "Trust on every surface" about intent records, `doctor` and
//! the event log (`../shared/attacks/2026-12-06/` cases 07, 08, 09, 10, 13, 25, 26), recreated
//! through the built executables, each asserting the fix and checking that nothing outside the
//! project changed and no session was lost ([`World::watch`] before, [`Watch::check`] after),
//! plus the same classes on the other tool-owned places and surfaces:
//!
//! - 07: a pending record that names another session's file (the script's format-1 record, and
//!   format-2 records writing another session's archive file, event log or checkpoint, or a path
//!   out of the state dir) is never replayed: `doctor` reports `invalid_intent` naming it,
//!   `list` and writes go on, every session's bytes stay, `doctor --fix` sets it aside.
//!   (`case_07_a_record_naming_another_sessions_file_is_never_replayed`)
//! - 13: a record that can complete (its checkpoint folder removed since) is completed by the
//!   next command; one that cannot (a file it writes changed since) makes writes fail naming
//!   the record and `doctor --fix`, never a bare I/O error; hooks still answer and listings
//!   still list; `doctor` reports `stuck_intent`; `doctor --fix` sets it aside and writes work
//!   again; the script's format-1 record is set aside the same way.
//!   (`case_13_a_record_that_cannot_complete_names_itself_and_doctor_fix_sets_it_aside`)
//! - 08: `doctor --fix` killed (strace) at each rename and each in-place write of its
//!   event-log repair, then run again: the log keeps every event, the torn bytes are in
//!   quarantine. (`case_08_doctor_fix_killed_mid_repair_keeps_every_event`)
//! - 09: `doctor --fix` repairing torn lines while `before-agent` runs in a loop: every hook's
//!   `agent started` line is in the live log. (`case_09_doctor_fix_racing_hooks_loses_no_event`)
//! - 10: temp files of dead writers in every folder the tools write are set aside with their
//!   bytes, and nothing in `quarantine/` is ever swept by later writes, whatever its name.
//!   (`case_10_quarantine_is_never_swept`)
//! - 25: a symlinked event log, a FIFO event log and an unreadable archived session are all
//!   reported by one `doctor` (exit 1, never 3); `--fix` sets them aside, the symlink's target
//!   untouched, and `log` works again. (`case_25_doctor_reports_every_unusable_log_and_goes_on`)
//! - 26: `state/checkpoints` symlinked out or a FIFO, a session's checkpoint folder symlinked
//!   out, `events/`, `intents/`, `quarantine/` symlinked out, a FIFO lock, a symlinked list
//!   index: each is a `doctor` finding (exit 1, saying what `--fix` does), `--fix` repairs it
//!   and phase transitions work again. (`case_26_doctor_reports_every_unusable_tool_place`)
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::collections::BTreeMap;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use e2e_tests::{Ran, Tree, World, before_agent_payload, doctor_problems};
use maestro_session_core::store::intent::{ABSENT, Intent, Step, digest};
use serde_json::Value;

/// Writes `record` as a pending intent record named `name` in the world's state dir.
fn put_record(world: &World, name: &str, record: &Intent) -> PathBuf {
    let dir = world.state().join("intents");
    std::fs::create_dir_all(&dir).expect("mkdir intents");
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec(record).expect("encode")).expect("write record");
    path
}

/// What each path `steps` write or remove holds now in the state dir, as `run` records it.
fn honest_expect(world: &World, steps: &[Step]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for step in steps {
        let (Step::Write { path, .. } | Step::Remove { path, .. }) = step else {
            continue;
        };
        let state = match std::fs::read(world.state().parent().expect("state dir").join(path)) {
            Ok(bytes) => digest(&bytes),
            Err(_) => ABSENT.to_string(),
        };
        out.entry(path.clone()).or_insert(state);
    }
    out
}

fn record(world: &World, op: &str, session: &str, steps: Vec<Step>) -> Intent {
    let mut r = Intent::new(op, session, steps);
    r.expect = honest_expect(world, &r.steps);
    r
}

fn doc(id: &str, task: &str) -> String {
    format!("---\nsession_id: \"{id}\"\ntask: \"{task}\"\nstatus: \"paused\"\n---\n# {task}\n")
}

fn hook_answered(ran: &Ran) -> bool {
    let answer: Option<Value> = serde_json::from_slice(&ran.stdout).ok();
    ran.code == Some(0) && answer.is_some_and(|a| a.is_object())
}

/// The regular files in `quarantine/` whose bytes are `bytes`.
fn quarantined_with(world: &World, bytes: &[u8]) -> Vec<String> {
    world
        .quarantined()
        .into_iter()
        .filter(|(_, b)| b == bytes)
        .map(|(n, _)| n)
        .collect()
}

/// Every entry name in `quarantine/` (files, FIFOs, symlinks).
fn quarantine_names(world: &World) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(world.state().join("quarantine"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn mkfifo(path: &Path) {
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo");
    assert!(made.success(), "mkfifo {}", path.display());
}

/// `doctor --json` must exit `code`; returns its report.
fn doctor(world: &World, fix: bool, code: i32) -> Value {
    let args: &[&str] = if fix {
        &["doctor", "--fix"]
    } else {
        &["doctor"]
    };
    let ran = world.maestro(args);
    assert_eq!(ran.code, Some(code), "doctor {args:?}: {ran}");
    ran.json()
}

// ---------------------------------------------------------------------------------------------
// 07

#[test]
fn case_07_a_record_naming_another_sessions_file_is_never_replayed() {
    let world = World::new();
    let victim = world.create("Victim holds UNIQUE-MARKER-42", &["--phase", "A=coder"]);
    world
        .maestro(&["tokens", "active", "--agent", "coder", "--input", "3"])
        .assert_ok();
    world.maestro(&["pause", "active"]).assert_ok();
    world.create("Other", &["--park"]);
    let victim_file = world.state().join(format!("archive/{victim}.md"));
    let victim_log = world.state().join(format!("events/{victim}.jsonl"));
    let outside = world.outside().join("x.md");
    std::fs::write(&outside, "outside").expect("write");
    let forged = doc(&victim, "replaced");
    let format_1 = format!(
        "{{\"version\":1,\"op\":\"archive\",\"session_id\":\"x\",\"created\":\"2026-01-01T00:00:00Z\",\"steps\":[{{\"step\":\"write\",\"path\":\"state/archive/{victim}.md\",\"content\":{}}},{{\"step\":\"remove\",\"path\":\"state/archive/none.md\",\"session_id\":\"x\"}}]}}",
        serde_json::to_string(&forged).expect("json")
    );
    let w = |path: String, content: String| Step::Write { path, content };
    let records: Vec<(&str, Option<Intent>)> = vec![
        ("the script's format-1 record", None),
        (
            "an archive of x writing the victim's archive file",
            Some(record(
                &world,
                "archive",
                "x",
                vec![
                    w(format!("state/archive/{victim}.md"), forged.clone()),
                    w("state/archive/x.md".into(), doc("x", "x")),
                ],
            )),
        ),
        (
            "an import of x writing the victim's event log",
            Some(record(
                &world,
                "import",
                "x",
                vec![
                    w(format!("state/events/{victim}.jsonl"), String::new()),
                    w("state/archive/x.md".into(), doc("x", "x")),
                ],
            )),
        ),
        (
            "an import of x writing a checkpoint of the victim",
            Some(record(
                &world,
                "import",
                "x",
                vec![
                    w(format!("state/checkpoints/{victim}/1.md"), forged.clone()),
                    w("state/archive/x.md".into(), doc("x", "x")),
                ],
            )),
        ),
        (
            "a write leading out of the state dir",
            Some(record(
                &world,
                "write-state",
                "x",
                vec![
                    w("state/archive/x.md".into(), doc("x", "x")),
                    w("../../../outside/x.md".into(), doc("x", "x")),
                ],
            )),
        ),
        (
            "an op this version does not know",
            Some(record(
                &world,
                "rm",
                "x",
                vec![w(format!("state/archive/{victim}.md"), forged.clone())],
            )),
        ),
    ];
    let mut failures = Vec::new();
    for (what, r) in records {
        let watch = world.watch();
        let file_before = std::fs::read(&victim_file).expect("victim");
        let log_before = std::fs::read(&victim_log).expect("victim log");
        let name = "00000000000000000001-forged-x.json";
        let path = match &r {
            Some(r) => put_record(&world, name, r),
            None => {
                let p = world.state().join("intents").join(name);
                std::fs::create_dir_all(p.parent().expect("dir")).expect("mkdir");
                std::fs::write(&p, &format_1).expect("write");
                p
            }
        };
        let report = doctor(&world, false, 1);
        let found = doctor_problems(&report, "problems", "invalid_intent");
        if found.len() != 1 || !found[0]["path"].as_str().is_some_and(|p| p.ends_with(name)) {
            failures.push(format!("{what}: doctor does not report it: {report}"));
        }
        for args in [
            &["list"][..],
            &["tokens", "active", "--agent", "coder", "--input", "1"],
        ] {
            let ran = world.maestro(args);
            if ran.code != Some(0) {
                failures.push(format!("{what}: {args:?} is blocked: {ran}"));
            }
        }
        if std::fs::read(&victim_file).ok() != Some(file_before) {
            failures.push(format!("{what}: the victim's session file changed"));
        }
        if std::fs::read(&victim_log).ok() != Some(log_before) {
            failures.push(format!("{what}: the victim's event log changed"));
        }
        if world
            .state()
            .join(format!("checkpoints/{victim}/1.md"))
            .exists()
        {
            failures.push(format!("{what}: a checkpoint of the victim was written"));
        }
        if std::fs::read_to_string(&outside).ok().as_deref() != Some("outside") {
            failures.push(format!("{what}: the file outside changed"));
        }
        let report = doctor(&world, true, 0);
        if doctor_problems(&report, "fixed", "invalid_intent").is_empty() || path.exists() {
            failures.push(format!(
                "{what}: doctor --fix does not set it aside: {report}"
            ));
        }
        if !quarantine_names(&world).iter().any(|n| n.ends_with(name)) {
            failures.push(format!("{what}: the record is not in quarantine"));
        }
        doctor(&world, false, 0);
        for p in watch.problems(&world) {
            failures.push(format!("{what}: {p}"));
        }
        for n in quarantine_names(&world) {
            let _ = std::fs::remove_file(world.state().join("quarantine").join(n));
        }
    }
    let shown = world.show(&victim);
    assert_eq!(shown["task"], "Victim holds UNIQUE-MARKER-42");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// 13

#[test]
fn case_13_a_record_that_cannot_complete_names_itself_and_doctor_fix_sets_it_aside() {
    let world = World::new();
    world.create("Live", &["--phase", "A=coder"]);
    let tokens: &[&str] = &["tokens", "active", "--agent", "coder", "--input", "1"];

    // The script's record (format 1): set aside by doctor --fix, then writes work.
    let v1 = world
        .state()
        .join("intents/00000001764000000000000000-import-imp1.json");
    std::fs::create_dir_all(v1.parent().expect("dir")).expect("mkdir");
    std::fs::write(
        &v1,
        r#"{"version":1,"op":"import","session_id":"imp1","created":"2026-12-06T00:00:00Z","steps":[
 {"step":"write","path":"state/checkpoints/imp1/1.md","content":"---\nsession_id: \"imp1\"\nstatus: \"paused\"\n---\n"},
 {"step":"write","path":"state/events/imp1.jsonl","content":""},
 {"step":"write","path":"state/archive/imp1.md","content":"---\nsession_id: \"imp1\"\nstatus: \"paused\"\n---\n"}]}"#,
    )
    .expect("write");
    let watch = world.watch();
    let report = doctor(&world, true, 0);
    assert!(
        !doctor_problems(&report, "fixed", "invalid_intent").is_empty(),
        "{report}"
    );
    world.maestro(tokens).assert_ok();
    watch.check(&world);

    // The same import as this version records it, its checkpoint folder removed since: the
    // next command completes it.
    let w = |path: &str, content: String| Step::Write {
        path: path.into(),
        content,
    };
    let import = |id: &str| {
        vec![
            w(&format!("state/checkpoints/{id}/1.md"), doc(id, "imported")),
            w(&format!("state/events/{id}.jsonl"), String::new()),
            w(&format!("state/archive/{id}.md"), doc(id, "imported")),
        ]
    };
    let r = record(&world, "import", "imp1", import("imp1"));
    put_record(&world, "00000000000000000002-import-imp1.json", &r);
    world.maestro(tokens).assert_ok();
    assert_eq!(world.show("imp1")["task"], "imported");
    assert!(world.state().join("checkpoints/imp1/1.md").exists());

    // An import whose archive file someone wrote since: it cannot complete.
    let r = record(&world, "import", "imp2", import("imp2"));
    let name = "00000000000000000003-import-imp2.json";
    let path = put_record(&world, name, &r);
    let theirs = doc("imp2", "written since");
    std::fs::write(world.state().join("archive/imp2.md"), &theirs).expect("write");
    let watch = world.watch();
    let ran = world.maestro(tokens);
    assert_eq!(ran.code, Some(3), "{ran}");
    for want in [name, "maestro-session doctor --fix", "changed since"] {
        assert!(ran.stderr.contains(want), "want {want:?}: {ran}");
    }
    let ran = world.exec(
        "write-state",
        &["docs/maestro/state/active-session.md"],
        &world.active_bytes(),
    );
    assert!(
        ran.code == Some(1) && ran.stderr.contains(name) && ran.stderr.contains("doctor --fix"),
        "write-state: {ran}"
    );
    let ran = world.exec(
        "before-agent",
        &[] as &[&str],
        &before_agent_payload(&world),
    );
    assert!(hook_answered(&ran), "the hook answers: {ran}");
    world.maestro(&["list"]).assert_ok();
    let report = doctor(&world, false, 1);
    let stuck = doctor_problems(&report, "problems", "stuck_intent");
    assert!(
        stuck.len() == 1
            && stuck[0]["detail"]
                .as_str()
                .is_some_and(|d| d.contains("imp2.md"))
            && stuck[0]["remedy"]
                .as_str()
                .is_some_and(|d| d.contains("--fix")),
        "{report}"
    );
    assert!(
        !world.state().join("checkpoints/imp2").exists(),
        "nothing of it applied"
    );
    let report = doctor(&world, true, 0);
    assert!(
        !doctor_problems(&report, "fixed", "stuck_intent").is_empty(),
        "{report}"
    );
    assert!(!path.exists());
    assert!(
        quarantine_names(&world).iter().any(|n| n.ends_with(name))
            && quarantine_names(&world)
                .iter()
                .any(|n| n.ends_with(&format!("{name}.why"))),
        "{:?}",
        quarantine_names(&world)
    );
    assert_eq!(
        std::fs::read_to_string(world.state().join("archive/imp2.md")).expect("read"),
        theirs
    );
    world.maestro(tokens).assert_ok();
    doctor(&world, false, 0);
    watch.check(&world);
}

// ---------------------------------------------------------------------------------------------
// 08

/// A world with a session whose event log holds events, a torn line and a torn end.
fn torn_log_world() -> (World, String, PathBuf) {
    let world = World::new();
    let id = world.create("Torn log", &["--phase", "A=coder"]);
    let log = world.state().join(format!("events/{id}.jsonl"));
    let tokens = ["tokens", "active", "--agent", "coder", "--input", "1"];
    world.maestro(&tokens).assert_ok();
    append_raw(&log, b"{\"v\":1,\"torn");
    world.maestro(&tokens).assert_ok();
    append_raw(&log, b"{\"v\":1,\"also torn");
    (world, id, log)
}

fn append_raw(path: &Path, bytes: &[u8]) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("open log");
    f.write_all(bytes).expect("append");
}

fn events_in(bytes: &[u8]) -> Vec<String> {
    bytes
        .split(|b| *b == b'\n')
        .filter(|l| serde_json::from_slice::<Value>(l).is_ok_and(|v| v.is_object()))
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .collect()
}

#[test]
fn case_08_doctor_fix_killed_mid_repair_keeps_every_event() {
    let Ok(status) = std::process::Command::new("strace").arg("-V").output() else {
        eprintln!("skipped: strace is not installed (it kills doctor --fix at a chosen syscall)");
        return;
    };
    assert!(status.status.success());
    let mut kills = 0;
    for syscall in ["renameat2", "renameat", "pwrite64"] {
        for when in 1..=4 {
            let (world, id, log) = torn_log_world();
            let before = events_in(&std::fs::read(&log).expect("log"));
            let watch = world.watch();
            let mut cmd = std::process::Command::new("strace");
            world.configure(&mut cmd);
            cmd.args(["-f", "-qq", "-o", "/dev/null", "-e"])
                .arg(format!("trace={syscall}"))
                .arg("-e")
                .arg(format!("inject={syscall}:signal=SIGKILL:when={when}"))
                .arg(e2e_tests::bin("maestro-session"))
                .args(["doctor", "--fix"]);
            let ran = Ran::of(cmd, b"");
            kills += usize::from(ran.code != Some(0));
            // A hook appends meanwhile.
            let hook = world.exec(
                "before-agent",
                &[] as &[&str],
                &before_agent_payload(&world),
            );
            assert!(hook_answered(&hook), "{hook}");
            let report = doctor(&world, true, 0);
            assert!(
                report["unrepaired"].as_array().is_some_and(Vec::is_empty),
                "{syscall} #{when}: {report}"
            );
            doctor(&world, false, 0);
            let after = events_in(&std::fs::read(&log).expect("log"));
            assert!(
                after.len() == before.len() + 1 && after[..before.len()] == before[..],
                "{syscall} #{when}: the log of {id} lost events: {before:?} -> {after:?}"
            );
            for torn in [&b"{\"v\":1,\"torn"[..], b"{\"v\":1,\"also torn"] {
                assert!(
                    !quarantined_with(&world, torn).is_empty(),
                    "{syscall} #{when}: torn bytes not in quarantine: {:?}",
                    quarantine_names(&world)
                );
            }
            watch.check(&world);
        }
    }
    assert!(kills >= 3, "strace killed doctor --fix only {kills} times");
}

// ---------------------------------------------------------------------------------------------
// 09

#[test]
fn case_09_doctor_fix_racing_hooks_loses_no_event() {
    let world = World::new();
    let id = world.create("Doctor race", &["--phase", "A=coder"]);
    let log = world.state().join(format!("events/{id}.jsonl"));
    let payload = before_agent_payload(&world);
    let started = |bytes: &[u8]| {
        events_in(bytes)
            .iter()
            .filter(|e| e.contains("\"agent started\""))
            .count()
    };
    let watch = world.watch();
    let mut runs = 0;
    for _round in 0..8 {
        append_raw(&log, b"{\"v\":1,\"torn");
        std::thread::scope(|s| {
            let hooks = s.spawn(|| {
                for _ in 0..15 {
                    let ran = world.exec("before-agent", &[] as &[&str], &payload);
                    assert!(hook_answered(&ran), "{ran}");
                }
            });
            for _ in 0..3 {
                let ran = world.maestro(&["doctor", "--fix"]);
                assert_eq!(ran.code, Some(0), "{ran}");
            }
            hooks.join().expect("hooks");
        });
        runs += 15;
    }
    doctor(&world, true, 0);
    let kept = started(&std::fs::read(&log).expect("log"));
    assert_eq!(kept, runs, "hook lines lost from the live log");
    watch.check(&world);
}

// ---------------------------------------------------------------------------------------------
// 10

#[test]
fn case_10_quarantine_is_never_swept() {
    let world = World::new();
    let id = world.create("Temps", &["--phase", "A=coder"]);
    world
        .maestro(&["phase", "start", "active", "1"])
        .assert_ok();
    let dead = {
        let mut child = std::process::Command::new("true").spawn().expect("spawn");
        let pid = child.id();
        child.wait().expect("wait");
        pid
    };
    let folders = [
        "archive".to_string(),
        ".".to_string(),
        "intents".to_string(),
        "events".to_string(),
        format!("checkpoints/{id}"),
        "../plans".to_string(),
    ];
    let mut temps = Vec::new();
    for (n, folder) in folders.iter().enumerate() {
        let dir = world.state().join(folder);
        std::fs::create_dir_all(&dir).expect("mkdir");
        let bytes = format!("the only copy of an unfinished write {n}");
        std::fs::write(dir.join(format!(".f{n}.md.{dead}-0-1.maestro-tmp")), &bytes).expect("w");
        temps.push(bytes);
    }
    // A file in quarantine named exactly like one of our temp files.
    std::fs::create_dir_all(world.state().join("quarantine")).expect("mkdir");
    let lookalike = world
        .state()
        .join(format!("quarantine/.q.md.{dead}-0-1.maestro-tmp"));
    std::fs::write(&lookalike, "kept in quarantine").expect("write");
    let watch = world.watch();
    let report = doctor(&world, true, 0);
    assert_eq!(
        doctor_problems(&report, "fixed", "temp_file").len(),
        folders.len(),
        "{report}"
    );
    for _ in 0..2 {
        world
            .maestro(&["tokens", "active", "--agent", "coder", "--input", "1"])
            .assert_ok();
        world.create("Next", &["--park"]);
        doctor(&world, true, 0);
    }
    for bytes in &temps {
        assert_eq!(
            quarantined_with(&world, bytes.as_bytes()).len(),
            1,
            "{bytes:?} is not kept in quarantine: {:?}",
            quarantine_names(&world)
        );
    }
    assert_eq!(
        std::fs::read_to_string(&lookalike).ok().as_deref(),
        Some("kept in quarantine")
    );
    watch.check(&world);
}

// ---------------------------------------------------------------------------------------------
// 25

#[test]
fn case_25_doctor_reports_every_unusable_log_and_goes_on() {
    let world = World::new();
    let id = world.create("Linked log", &["--phase", "A=coder"]);
    let events = world.state().join("events");
    std::fs::write(world.state().join("archive/broken.md"), "not a session").expect("write");
    let target = world.outside().join("elsewhere.jsonl");
    std::fs::write(&target, "{\"v\":1}\n").expect("write");
    std::fs::remove_file(events.join(format!("{id}.jsonl"))).expect("rm");
    symlink(&target, events.join(format!("{id}.jsonl"))).expect("symlink");
    mkfifo(&events.join("2026-01-01-fifo.jsonl"));
    let watch = world.watch();
    let outside = Tree::of(&world.outside());
    let report = doctor(&world, false, 1);
    let places = doctor_problems(&report, "problems", "unusable_place");
    for name in [format!("{id}.jsonl"), "2026-01-01-fifo.jsonl".to_string()] {
        assert!(
            places
                .iter()
                .any(|p| p["path"].as_str().is_some_and(|s| s.ends_with(&name))
                    && p["remedy"].as_str().is_some_and(|r| r.contains("--fix"))),
            "{name}: {report}"
        );
    }
    assert!(
        !doctor_problems(&report, "problems", "corrupt_session").is_empty(),
        "{report}"
    );
    let ran = world.exec("maestro-session", &["doctor"], b"");
    assert_eq!(ran.code, Some(1), "{ran}");
    assert!(ran.stdout_text().contains("broken.md"), "{ran}");
    let report = doctor(&world, true, 0);
    assert_eq!(
        doctor_problems(&report, "fixed", "unusable_place").len(),
        2,
        "{report}"
    );
    doctor(&world, false, 0);
    world
        .maestro(&["tokens", "active", "--agent", "coder", "--input", "1"])
        .assert_ok();
    let ran = world.maestro(&["log", "active"]);
    ran.assert_ok();
    outside.assert_same(&Tree::of(&world.outside()), "outside the project");
    assert!(
        quarantine_names(&world)
            .iter()
            .any(|n| n.ends_with("-2026-01-01-fifo.jsonl"))
    );
    watch.check(&world);
}

// ---------------------------------------------------------------------------------------------
// 26

#[test]
fn case_26_doctor_reports_every_unusable_tool_place() {
    enum Make {
        LinkOut,
        Fifo,
    }
    let cases: Vec<(&str, Make)> = vec![
        ("checkpoints", Make::LinkOut),
        ("checkpoints", Make::Fifo),
        ("checkpoints/SESSION", Make::LinkOut),
        ("events", Make::LinkOut),
        ("intents", Make::LinkOut),
        ("quarantine", Make::LinkOut),
        (".lock", Make::Fifo),
        (".list-index", Make::LinkOut),
    ];
    let mut failures = Vec::new();
    for (place, make) in cases {
        let world = World::new();
        let id = world.create("Linked places", &["--phase", "A=coder"]);
        let rel = place.replace("SESSION", &id);
        let path = world.state().join(&rel);
        let what = format!(
            "{rel} ({})",
            if matches!(make, Make::Fifo) {
                "FIFO"
            } else {
                "symlink out"
            }
        );
        if path.is_dir() {
            std::fs::rename(&path, world.state().join("moved-away")).expect("move");
        } else if path.exists() {
            std::fs::remove_file(&path).expect("rm");
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        let target = world.outside().join("target");
        std::fs::create_dir_all(&target).expect("mkdir");
        std::fs::write(target.join("keep"), "outside").expect("write");
        match make {
            Make::LinkOut => symlink(&target, &path).expect("symlink"),
            Make::Fifo => mkfifo(&path),
        }
        let watch = world.watch();
        let ran = world.maestro(&["doctor"]);
        let report = ran.json();
        let named = report["problems"].as_array().is_some_and(|ps| {
            ps.iter().any(|p| {
                p["path"].as_str() == Some(&format!("state/{rel}"))
                    && matches!(p["kind"].as_str(), Some("unusable_place" | "unusable_lock"))
                    && p["remedy"].as_str().is_some_and(|r| r.contains("--fix"))
            })
        });
        if ran.code != Some(1) || !named {
            failures.push(format!("{what}: doctor does not report it: {ran}"));
            continue;
        }
        let ran = world.maestro(&["doctor", "--fix"]);
        if ran.code != Some(0) {
            failures.push(format!("{what}: doctor --fix: {ran}"));
            continue;
        }
        let ran = world.maestro(&["doctor"]);
        if ran.code != Some(0) {
            failures.push(format!("{what}: left after --fix: {ran}"));
        }
        let ran = world.maestro(&["phase", "start", "active", "1"]);
        if ran.code != Some(0) {
            failures.push(format!("{what}: phase start after --fix: {ran}"));
        }
        if std::fs::read_to_string(target.join("keep")).ok().as_deref() != Some("outside") {
            failures.push(format!("{what}: the symlink's target changed"));
        }
        for p in watch.problems(&world) {
            failures.push(format!("{what}: {p}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn doctor_reports_every_problem_at_once_before_its_exit_code() {
    let world = World::new();
    let id = world.create("Everything at once", &["--phase", "A=coder"]);
    let st = world.state();
    let target = world.outside().join("target");
    std::fs::create_dir_all(&target).expect("mkdir");
    std::fs::write(target.join("keep"), "outside").expect("write");
    std::fs::rename(st.join("events"), st.join("events-moved")).expect("move");
    symlink(&target, st.join("events")).expect("symlink");
    symlink(&target, st.join("intents")).expect("symlink");
    std::fs::create_dir_all(st.join("checkpoints")).expect("mkdir");
    symlink(&target, st.join(format!("checkpoints/{id}"))).expect("symlink");
    std::fs::remove_file(st.join(".lock")).expect("rm");
    mkfifo(&st.join(".lock"));
    std::fs::write(st.join("archive/broken.md"), "not a session").expect("write");
    let archive_elsewhere = world.outside().join("archive");
    std::fs::create_dir_all(&archive_elsewhere).expect("mkdir");
    std::fs::rename(st.join("archive"), st.join("archive-moved")).expect("move");
    symlink(&archive_elsewhere, st.join("archive")).expect("symlink");
    let watch = world.watch();
    let outside = Tree::of(&world.outside());

    let report = doctor(&world, false, 1);
    let paths: Vec<&str> = report["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .filter_map(|p| p["path"].as_str())
        .collect();
    for want in [
        "state/events".to_string(),
        "state/intents".to_string(),
        format!("state/checkpoints/{id}"),
        "state/.lock".to_string(),
        "state/archive".to_string(),
    ] {
        assert!(
            paths.contains(&want.as_str()),
            "{want} not reported: {report}"
        );
    }
    assert!(
        doctor_problems(&report, "problems", "unexamined").is_empty(),
        "every place was examined: {report}"
    );
    // --fix repairs what is the tools' and says what the person must do about the archive.
    let report = doctor(&world, true, 1);
    let left = report["unrepaired"].as_array().expect("unrepaired");
    assert!(
        left.len() == 1
            && left[0]["path"] == "state/archive"
            && left[0]["remedy"]
                .as_str()
                .is_some_and(|r| r.contains("folder")),
        "{report}"
    );
    std::fs::remove_file(st.join("archive")).expect("rm");
    std::fs::rename(st.join("archive-moved"), st.join("archive")).expect("move back");
    let report = doctor(&world, true, 0);
    assert!(
        !doctor_problems(&report, "fixed", "corrupt_session").is_empty(),
        "{report}"
    );
    doctor(&world, false, 0);
    world
        .maestro(&["phase", "start", "active", "1"])
        .assert_ok();
    outside.assert_same(&Tree::of(&world.outside()), "outside the project");
    watch.check(&world);
}
