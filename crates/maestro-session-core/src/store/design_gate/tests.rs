use super::*;

fn meta(id: &str, created: &str) -> SessionMetadata {
    SessionMetadata {
        session_id: id.into(),
        created: created.into(),
        ..SessionMetadata::default()
    }
}

#[test]
fn a_gate_counts_only_for_its_own_session_instance() {
    let mut gate = DesignGate::new("s", "2026-01-01T00:00:00Z", None);
    assert_eq!(standing(&gate, None, false), Standing::Pending);
    assert!(matches!(standing(&gate, None, true), Standing::Stale(_)));
    // Maestro's gate (no binding) belongs to the active session of its id.
    assert_eq!(
        standing(&gate, Some(&meta("s", "2026-01-02T00:00:00Z")), false),
        Standing::Active
    );
    gate.session_created = Some("2026-01-02T00:00:00Z".into());
    assert_eq!(
        standing(&gate, Some(&meta("s", "2026-01-02T00:00:00Z")), false),
        Standing::Active
    );
    // The same id recreated later: another instance, no approval inherited.
    assert!(matches!(
        standing(&gate, Some(&meta("s", "2026-03-01T00:00:00Z")), false),
        Standing::Stale(_)
    ));
    assert!(matches!(standing(&gate, None, false), Standing::Stale(_)));
}

#[test]
fn reading_refuses_a_gate_of_another_session_a_symlink_and_a_huge_file() {
    let t = tempfile::tempdir().expect("tmp");
    std::fs::create_dir_all(t.path().join("state")).expect("mkdir");
    let root = Root::open(t.path()).expect("root");
    assert_eq!(read(&root, "a").expect("none"), None);
    let other = DesignGate::new("b", "2026-01-01T00:00:00Z", None);
    std::fs::write(
        t.path().join("state/a.design-gate.json"),
        other.to_bytes().expect("bytes"),
    )
    .expect("write");
    let err = read(&root, "a").expect_err("another session's");
    assert!(err.to_string().contains("holds session \"b\""), "{err}");
    std::fs::write(t.path().join("state/a.design-gate.json"), "{").expect("write");
    assert!(matches!(read(&root, "a"), Err(Error::Corrupt { .. })));
    std::fs::write(
        t.path().join("state/a.design-gate.json"),
        vec![b' '; (MAX_GATE_BYTES + 1) as usize],
    )
    .expect("write");
    let err = read(&root, "a").expect_err("huge");
    assert!(err.to_string().contains("over the"), "{err}");
    std::fs::remove_file(t.path().join("state/a.design-gate.json")).expect("rm");
    std::fs::write(t.path().join("outside.json"), other.to_bytes().expect("b")).expect("w");
    std::os::unix::fs::symlink(
        t.path().join("outside.json"),
        t.path().join("state/a.design-gate.json"),
    )
    .expect("symlink");
    let err = read(&root, "a").expect_err("symlink");
    assert!(err.to_string().contains("symlink"), "{err}");
    assert!(err.to_string().contains("doctor --fix"), "{err}");
    assert!(gate_rel("../x").is_err() && gate_rel("a.b").is_err());
}

#[test]
fn unknown_keys_survive_and_maestro_gates_read() {
    let text = r#"{"session_id":"s","entered_at":"2026-01-01T00:00:00.000Z","approved_at":null,"design_document_path":"/abs/design.md","note":{"k":1}}"#;
    let gate: DesignGate = serde_json::from_str(text).expect("maestro gate");
    assert_eq!(gate.extra["note"], json!({"k": 1}));
    let back: Value = serde_json::from_str(&gate.to_bytes().expect("b")).expect("json");
    assert_eq!(back["note"], json!({"k": 1}));
    assert!(
        back.get("session_created").is_none(),
        "pending: no binding key"
    );
}
