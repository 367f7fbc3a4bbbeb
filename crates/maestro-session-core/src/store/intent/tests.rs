use super::*;

fn session(id: &str) -> String {
    format!("---\nsession_id: \"{id}\"\nstatus: \"completed\"\n---\nbody\n")
}

fn world() -> (tempfile::TempDir, Root) {
    let t = tempfile::tempdir().expect("tmp");
    for d in ["state/archive", "plans/archive"] {
        std::fs::create_dir_all(t.path().join(d)).expect("mkdir");
    }
    let root = Root::open(t.path()).expect("root");
    (t, root)
}

fn archive_intent() -> Intent {
    Intent::new(
        "archive",
        "s1",
        vec![
            Step::Move {
                from: "plans/d.md".into(),
                to: "plans/archive/s1--d.md".into(),
            },
            Step::Write {
                path: "state/archive/s1.md".into(),
                content: session("s1"),
            },
            Step::Remove {
                path: "state/active-session.md".into(),
                session_id: "s1".into(),
            },
        ],
    )
}

/// Writes `intent` as a pending record with the `expect` [`run`] would give it now.
fn leave_record(root: &Root, intent: &Intent) -> String {
    let mut intent = intent.clone();
    intent.expect = expectations(root, &intent).expect("expect");
    root.create_dirs(Path::new(INTENTS_REL)).expect("mkdir");
    let rel = format!("{INTENTS_REL}/00000000000000000001-{}.json", intent.op);
    let bytes = serde_json::to_vec(&intent).expect("encode");
    root.replace(Path::new(&rel), &bytes, 0o644, true)
        .expect("write");
    rel
}

/// A crash after each possible number of mutations, then recovery: the move is either
/// complete or (killed before its record was durable) not begun, never half done; and the
/// record is gone.
#[test]
fn a_crash_at_any_step_is_completed_by_recovery() {
    let mut completed_by_recovery = 0;
    for crash_at in 0..8 {
        let (t, root) = world();
        let active = t.path().join("state/active-session.md");
        std::fs::write(t.path().join("plans/d.md"), "design").expect("write");
        std::fs::write(&active, session("s1")).expect("write");
        durable::fault::arm(crash_at);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run(&root, &archive_intent())
        }));
        let crashed = !durable::fault::disarm();
        assert_eq!(crashed, result.is_err(), "step {crash_at}");
        let recovered = recover(&root).expect("recover");
        completed_by_recovery += usize::from(!recovered.is_empty());
        assert!(pending(&root).expect("pending").is_empty(), "{crash_at}");
        let untouched = active.exists()
            && t.path().join("plans/d.md").exists()
            && !t.path().join("state/archive/s1.md").exists()
            && !t.path().join("plans/archive/s1--d.md").exists();
        let complete = !active.exists()
            && !t.path().join("plans/d.md").exists()
            && std::fs::read_to_string(t.path().join("plans/archive/s1--d.md"))
                .is_ok_and(|d| d == "design")
            && std::fs::read_to_string(t.path().join("state/archive/s1.md"))
                .is_ok_and(|s| s == session("s1"));
        assert!(
            untouched != complete,
            "half done after a crash at step {crash_at}"
        );
        assert!(
            complete || crash_at == 0,
            "only a crash before the record undoes"
        );
    }
    assert!(completed_by_recovery >= 3, "{completed_by_recovery}");
}

#[test]
fn remove_keeps_a_file_holding_another_session_and_move_never_overwrites() {
    let (t, root) = world();
    std::fs::write(t.path().join("state/active-session.md"), session("other")).expect("write");
    std::fs::write(t.path().join("plans/d.md"), "new").expect("write");
    std::fs::write(t.path().join("plans/archive/s1--d.md"), "old").expect("write");
    let notes = run(&root, &archive_intent()).expect("run");
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert_eq!(
        std::fs::read_to_string(t.path().join("state/active-session.md")).expect("read"),
        session("other")
    );
    assert_eq!(
        std::fs::read_to_string(t.path().join("plans/archive/s1--d.md")).expect("read"),
        "old"
    );
    assert!(t.path().join("plans/d.md").exists());
}

#[test]
fn a_record_this_version_does_not_replay_is_left_alone_and_blocks_nothing() {
    let (t, root) = world();
    std::fs::create_dir_all(t.path().join(INTENTS_REL)).expect("mkdir");
    std::fs::write(t.path().join(INTENTS_REL).join("1-x-y.json"), "{").expect("write");
    std::fs::write(t.path().join("state/archive/victim.md"), session("victim")).expect("write");
    // Case 07's record: session x writes the archive of another session.
    let forged = serde_json::json!({"version": 2, "op": "archive", "session_id": "x",
        "created": "2026-01-01T00:00:00Z",
        "steps": [{"step": "write", "path": "state/archive/victim.md", "content": session("victim").replace("body", "replaced")},
                  {"step": "remove", "path": "state/archive/none.md", "session_id": "x"}],
        "expect": {"state/archive/victim.md": digest(session("victim").as_bytes()), "state/archive/none.md": "absent"}});
    std::fs::write(
        t.path().join(INTENTS_REL).join("2-archive-x.json"),
        forged.to_string(),
    )
    .expect("write");
    let found = pending(&root).expect("pending");
    assert_eq!(found.len(), 2);
    for (rel, parsed) in &found {
        let err = parsed.as_ref().expect_err("not replayed").to_string();
        assert!(err.contains(rel.as_str()), "{err}");
    }
    let why = found[1].1.as_ref().expect_err("misshapen").to_string();
    assert!(why.contains("victim") && why.contains("step 1"), "{why}");
    assert!(recover(&root).expect("never blocks").is_empty());
    assert_eq!(
        std::fs::read_to_string(t.path().join("state/archive/victim.md")).expect("read"),
        session("victim")
    );
    assert!(any_pending(&root), "left for doctor to report");
}

#[test]
fn a_replay_never_overwrites_a_file_changed_since_its_record() {
    let (t, root) = world();
    let active = t.path().join("state/active-session.md");
    std::fs::write(&active, session("s1")).expect("write");
    std::fs::write(t.path().join("plans/d.md"), "design").expect("write");
    let rel = leave_record(&root, &archive_intent());
    // Someone wrote another session's bytes where the archive copy goes.
    let theirs = session("s1").replace("body", "newer body");
    std::fs::write(t.path().join("state/archive/s1.md"), &theirs).expect("write");
    let err = try_complete(
        &root,
        &rel,
        &pending(&root).expect("p")[0]
            .1
            .as_ref()
            .expect("ok")
            .clone(),
    )
    .expect_err("cannot complete");
    let msg = err.to_string();
    assert!(
        msg.contains(&rel) && msg.contains("doctor --fix") && msg.contains("changed since"),
        "{msg}"
    );
    let err = recover(&root).expect_err("stuck").to_string();
    assert!(err.contains(&rel) && err.contains("doctor --fix"), "{err}");
    assert_eq!(
        std::fs::read_to_string(t.path().join("state/archive/s1.md")).expect("read"),
        theirs,
        "kept"
    );
    // Every step is checked before any is applied: nothing moved.
    assert!(t.path().join("plans/d.md").exists());
    assert!(!t.path().join("plans/archive/s1--d.md").exists());
    assert_eq!(
        std::fs::read_to_string(&active).expect("read"),
        session("s1")
    );
}

#[test]
fn a_dry_run_says_a_pending_record_can_complete_and_changes_nothing() {
    let (t, root) = world();
    std::fs::write(t.path().join("state/active-session.md"), session("s1")).expect("write");
    std::fs::write(t.path().join("plans/d.md"), "design").expect("write");
    let rel = leave_record(&root, &archive_intent());
    let intent = pending(&root).expect("p").remove(0).1.expect("ok");
    try_complete(&root, &rel, &intent).expect("can complete");
    assert!(t.path().join("plans/d.md").exists());
    assert!(!t.path().join("state/archive/s1.md").exists());
    let done = complete(&root, &rel, &intent).expect("complete");
    assert!(done[0].contains("archive of session s1"), "{done:?}");
    assert!(!t.path().join("state/active-session.md").exists());
    assert!(!any_pending(&root));
}

#[test]
fn an_event_log_written_by_a_record_is_done_once_hooks_appended_to_it() {
    let (t, root) = world();
    let log = "state/events/imp.jsonl";
    let intent = Intent::new(
        "import",
        "imp",
        vec![
            Step::Write {
                path: log.into(),
                content: "{\"v\":1}\n".into(),
            },
            Step::Write {
                path: "state/archive/imp.md".into(),
                content: session("imp"),
            },
        ],
    );
    let rel = leave_record(&root, &intent);
    std::fs::create_dir_all(t.path().join("state/events")).expect("mkdir");
    std::fs::write(t.path().join(log), "{\"v\":1}\n{\"v\":1,\"op\":\"hook\"}\n").expect("write");
    let intent = pending(&root).expect("p").remove(0).1.expect("ok");
    complete(&root, &rel, &intent).expect("complete");
    assert_eq!(
        std::fs::read_to_string(t.path().join(log)).expect("read"),
        "{\"v\":1}\n{\"v\":1,\"op\":\"hook\"}\n",
        "the hook's line is kept"
    );
}

#[test]
fn a_torn_line_is_set_aside_and_blanked_in_place_and_never_twice() {
    let (t, root) = world();
    std::fs::create_dir_all(t.path().join("state/events")).expect("mkdir");
    let log = "state/events/s1.jsonl";
    std::fs::write(t.path().join(log), "{\"v\":1}\n{\"v\":1,\"to\n{\"v\":2}\n").expect("write");
    root.create_dirs(Path::new("state/quarantine"))
        .expect("mkdir");
    let kept = "state/quarantine/t-s1.jsonl-line-2";
    let intent = Intent::new(
        "repair-event-log",
        "s1",
        vec![
            Step::Excerpt {
                from: log.into(),
                offset: 8,
                len: 10,
                to: kept.into(),
            },
            Step::Write {
                path: format!("{kept}.why"),
                content: "torn".into(),
            },
            Step::Blank {
                path: log.into(),
                offset: 8,
                len: 10,
                kept: kept.into(),
            },
        ],
    );
    for crash_at in 0..6 {
        std::fs::write(t.path().join(log), "{\"v\":1}\n{\"v\":1,\"to\n{\"v\":2}\n").expect("write");
        let _ = std::fs::remove_file(t.path().join(kept));
        let _ = std::fs::remove_file(t.path().join(format!("{kept}.why")));
        durable::fault::arm(crash_at);
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&root, &intent)));
        durable::fault::disarm();
        recover(&root).expect("recover");
        let now = std::fs::read_to_string(t.path().join(log)).expect("read");
        if crash_at == 0 {
            // Killed before its record was durable: nothing happened.
            assert_eq!(now, "{\"v\":1}\n{\"v\":1,\"to\n{\"v\":2}\n");
            continue;
        }
        assert_eq!(
            now, "{\"v\":1}\n          \n{\"v\":2}\n",
            "crash at {crash_at}"
        );
        assert_eq!(
            std::fs::read_to_string(t.path().join(kept)).expect("kept"),
            "{\"v\":1,\"to"
        );
    }
    // Bytes that are neither the kept ones nor spaces are never blanked.
    std::fs::write(
        t.path().join(log),
        "{\"v\":1}\n{\"v\":3,\"ok\"}\n{\"v\":2}\n",
    )
    .expect("write");
    let err = run(&root, &intent).expect_err("refused");
    assert!(err.to_string().contains("no longer"), "{err}");
}

// An import of a session with every checkpoint kept fits in one record (checked when the
// tests compile).
const _: () = assert!(MAX_STEPS >= 2 * crate::store::checkpoint::MAX_KEEP + 8);
