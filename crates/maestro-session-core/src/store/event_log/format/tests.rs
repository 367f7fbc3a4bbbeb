use super::*;
use crate::store::event_log::read::*;
use serde_json::json;

#[test]
fn diff_names_paths_and_values() {
    let a =
        json!({"status": "in_progress", "phases": [{"id": 1, "status": "in_progress"}], "a/b": 1});
    let b = json!({"status": "in_progress", "phases": [{"id": 1, "status": "completed"}, {"id": 2}], "new": "x".repeat(300)});
    let changes = diff(Some(&a), Some(&b));
    let shown: Vec<Value> = changes.iter().map(Change::to_json).collect();
    assert_eq!(
        shown,
        vec![
            json!({"path": "/phases/0/status", "before": "in_progress", "after": "completed"}),
            json!({"path": "/phases/1", "after": {"id": 2}}),
            json!({"path": "/a~1b", "before": 1}),
            json!({"path": "/new", "after_bytes": 302}),
        ]
    );
    assert!(diff(Some(&a), Some(&a)).is_empty());
    let created = diff(None, Some(&json!({"x": null})));
    assert_eq!(created[0].to_json(), json!({"path": "/x", "after": null}));
}

#[test]
fn deep_values_do_not_recurse_forever() {
    let mut deep = json!(1);
    for _ in 0..500 {
        deep = json!([deep]);
    }
    let changes = diff(Some(&json!({"x": 0})), Some(&json!({"x": deep})));
    assert_eq!(changes.len(), 1);
}

#[test]
fn lines_are_capped_and_round_trip() {
    let changes: Vec<Change> = (0..5000)
        .map(|i| Change {
            path: format!("/k{i}"),
            before: Side::Value(json!("a".repeat(200))),
            after: Side::Absent,
        })
        .collect();
    let e = Event::new(&Actor::Hook("SubagentStop".into()), "x", "s", changes);
    let line = e.to_line();
    assert!(line.len() <= MAX_LINE_BYTES, "{}", line.len());
    assert!(line.ends_with(b"\n"));
    let v: Value = serde_json::from_slice(&line).expect("json");
    assert!(v["changes_omitted"].as_u64().unwrap_or(0) > 0);
    assert_eq!(v["actor"], "hook:SubagentStop");
    assert_eq!(v["changes"][0], json!({"path": "/k0", "before_bytes": 202}));
    let back = Event::from_json(v.as_object().expect("object"));
    assert_eq!(back.op, "x");
    let time = now_ms();
    assert_eq!(time.len(), "2026-11-20T09:14:03.123Z".len(), "{time}");
    assert!(time.parse::<jiff::Timestamp>().is_ok());
}

#[test]
fn torn_lines_are_skipped_and_the_next_append_starts_fresh() {
    let t = tempfile::tempdir().expect("tmp");
    let root = Root::open(t.path()).expect("root");
    let e = Event::new(&Actor::Cli, "create", "s1", Vec::new());
    append(&root, &e, true).expect("append");
    let rel = log_rel("s1").expect("rel");
    // A crash mid-append: part of a line, no `\n`.
    let first = e.to_line();
    root.append(&rel, &first[..10], 0o644, false).expect("torn");
    let log = read(&root, "s1").expect("read");
    assert_eq!((log.events.len(), log.skipped.clone()), (1, vec![2]));
    let appended = append(&root, &e.clone().with("n", 2), true).expect("append");
    assert!(appended.repaired_torn_end);
    let log = read(&root, "s1").expect("read");
    assert_eq!(log.events.len(), 2);
    assert_eq!(log.skipped, vec![2]);
    assert_eq!(log.events[1].0, 3);
    assert_eq!(log.events[1].1.extra["n"], 2);
    let found = torn_lines(&root, &rel).expect("torn");
    let first_len = first.len() as u64;
    assert_eq!(
        found,
        Damage {
            lines: vec![TornLine {
                line: 2,
                offset: first_len,
                len: 10
            }],
            unterminated: false
        }
    );
    let damaged = damaged(&root).expect("damaged");
    assert_eq!(damaged.len(), 1);
    assert_eq!(damaged[0].0, rel);
}

#[test]
fn tail_holds_back_a_partial_line() {
    let t = tempfile::tempdir().expect("tmp");
    let env = crate::Env::default();
    let ws = Workspace::with_state_dir(&env, t.path(), Path::new("st")).expect("ws");
    let root = ws.open_state_dir(true).expect("open").expect("some");
    let store = crate::store::Store::new(ws, env);
    let mut tail = store.tail("s1", 0).expect("tail");
    assert!(tail.poll().expect("poll").events.is_empty());
    let e = Event::new(&Actor::Mcp, "tokens", "s1", Vec::new());
    append(&root, &e, false).expect("append");
    let line = e.to_line();
    root.append(&log_rel("s1").expect("rel"), &line[..5], 0o644, false)
        .expect("part");
    let got = tail.poll().expect("poll");
    assert_eq!(got.events.len(), 1);
    assert!(got.skipped.is_empty());
    append(&root, &e, false).expect("append");
    let got = tail.poll().expect("poll");
    assert_eq!(got.events.len(), 1);
    assert_eq!(got.skipped, vec![2]);
    assert_eq!(got.events[0].0, 3);
}

#[test]
fn op_names() {
    assert_eq!(op_name(&[]), "update");
    assert_eq!(
        op_name(&[
            Operation::Pause,
            Operation::PhaseStart(crate::session::model::PhaseId::Number(1)),
            Operation::Pause
        ]),
        "pause, phase start"
    );
}
