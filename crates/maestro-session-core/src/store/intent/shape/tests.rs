use super::*;

fn doc(id: &str) -> String {
    format!("---\nsession_id: \"{id}\"\nstatus: \"completed\"\n---\nbody\n")
}

fn write(path: &str, content: String) -> Step {
    Step::Write {
        path: path.into(),
        content,
    }
}

fn remove(path: &str, id: &str) -> Step {
    Step::Remove {
        path: path.into(),
        session_id: id.into(),
    }
}

#[test]
fn the_moves_commands_plan_have_their_shape() {
    let ok = [
        Intent::new(
            "archive",
            "s1",
            vec![
                Step::Move {
                    from: "plans/d.md".into(),
                    to: "plans/archive/s1--d.md".into(),
                },
                write("state/archive/s1.md", doc("s1")),
                remove("state/active-session.md", "s1"),
            ],
        ),
        Intent::new(
            "create",
            "new",
            vec![
                write("plans/p.md", "plan".into()),
                Step::Move {
                    from: "plans/d.md".into(),
                    to: "plans/archive/old--d.md".into(),
                },
                write("state/archive/old.md", doc("old")),
                remove("state/active-session.md", "old"),
                write("state/active-session.md", doc("new")),
            ],
        ),
        Intent::new(
            "resume",
            "s1",
            vec![
                write("state/active-session.md", doc("s1")),
                remove("state/archive/s1.md", "s1"),
            ],
        ),
    ];
    for intent in &ok {
        assert_eq!(check(intent), Ok(()), "{intent:?}");
    }
}

#[test]
fn another_sessions_file_is_refused_naming_the_step() {
    // Case 07: a record of x writing the archive file of a session it does not displace.
    let intent = Intent::new(
        "archive",
        "x",
        vec![
            write("state/archive/victim.md", doc("victim")),
            remove("state/archive/none.md", "x"),
        ],
    );
    let why = check(&intent).expect_err("refused");
    assert!(why.contains("step 1") && why.contains("victim"), "{why}");
    for (path, content) in [
        ("../outside.md", doc("x")),
        ("/etc/passwd", doc("x")),
        ("state/archive/x.md", doc("other")),
        ("state/quarantine/x.md", doc("x")),
        ("state/./archive/x.md", doc("x")),
        ("state/archive/x.md", "not a session".to_string()),
    ] {
        let intent = Intent::new("archive", "x", vec![write(path, content)]);
        assert!(check(&intent).is_err(), "{path} accepted");
    }
    let unknown = Intent::new("rm-rf", "x", vec![write("state/archive/x.md", doc("x"))]);
    assert!(check(&unknown).is_err_and(|w| w.contains("rm-rf")));
}

#[test]
fn a_record_must_say_what_each_file_held() {
    let mut intent = Intent::new(
        "resume",
        "s1",
        vec![
            write("state/active-session.md", doc("s1")),
            remove("state/archive/s1.md", "s1"),
        ],
    );
    assert!(check_record(&intent).is_err_and(|w| w.contains("expect")));
    intent
        .expect
        .insert("state/active-session.md".into(), ABSENT.into());
    intent.expect.insert(
        "state/archive/s1.md".into(),
        crate::store::intent::digest(b"x"),
    );
    assert_eq!(check_record(&intent), Ok(()));
    intent.version = 1;
    assert!(check_record(&intent).is_err_and(|w| w.contains("format 1")));
}

#[test]
fn design_gates_are_written_by_their_own_session_only() {
    let gate = |id: &str| write(&format!("state/{id}.design-gate.json"), "{}".into());
    let ok = [
        Intent::new("design-approval", "s1", vec![gate("s1")]),
        Intent::new(
            "design-approval",
            "s1",
            vec![write("plans/design.md", "# design".into()), gate("s1")],
        ),
        Intent::new(
            "create",
            "s1",
            vec![write("state/active-session.md", doc("s1")), gate("s1")],
        ),
    ];
    for intent in &ok {
        assert_eq!(check(intent), Ok(()), "{intent:?}");
    }
    let refused = [
        // Another session's gate, by approval or by create.
        Intent::new("design-approval", "s1", vec![gate("s2")]),
        Intent::new(
            "create",
            "s1",
            vec![write("state/active-session.md", doc("s1")), gate("s2")],
        ),
        // An approval never writes a session, an archive file, or two plans.
        Intent::new(
            "design-approval",
            "s1",
            vec![write("state/active-session.md", doc("s1")), gate("s1")],
        ),
        Intent::new(
            "design-approval",
            "s1",
            vec![
                write("plans/a.md", "a".into()),
                write("plans/b.md", "b".into()),
                gate("s1"),
            ],
        ),
        // The gate comes last, and an archive never writes one.
        Intent::new(
            "design-approval",
            "s1",
            vec![gate("s1"), write("plans/a.md", "a".into())],
        ),
        Intent::new(
            "archive",
            "s1",
            vec![write("state/archive/s1.md", doc("s1")), gate("s1")],
        ),
    ];
    for intent in &refused {
        assert!(check(intent).is_err(), "accepted: {intent:?}");
    }
    // A gate that is not named after a session id is no place of the state dir.
    let odd = Intent::new(
        "design-approval",
        "s1",
        vec![write("state/..design-gate.json", "{}".into())],
    );
    assert!(check(&odd).is_err());
    assert_eq!(owner_of("state/s1.design-gate.json"), "s1");
}
