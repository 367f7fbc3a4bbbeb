//! Property tests of the intent validator and replay ([`maestro_session_core::store::intent`]).
//!
//! - `arbitrary_records_never_panic_or_touch_another_session` (proptest, 512 cases): a
//!   record of any op, session, steps (paths of the record's own session, of other sessions,
//!   `..`, absolute, NUL, arbitrary text; contents that are sessions of any id or junk; any
//!   offsets) and `expect` (what the files hold, or anything) is written to `state/intents/`
//!   of a state dir holding other sessions (archived `victim` and `bystander` with an event log,
//!   checkpoints and an archived plan; an active one), then read and replayed as every command
//!   does. Checked: nothing panics; a record is accepted only when every step is one its op may
//!   take over its own session's places; the files of every session that is neither the
//!   record's nor the one it moves out of the active slot are byte for byte what they were;
//!   every other file's bytes are still somewhere in the state dir (a move, never a loss), bar
//!   the record's own and displaced sessions' files; nothing outside the state dir changed.
//! - `records_real_commands_leave_are_accepted_and_no_foreign_path_is` (every crash point of
//!   create, archive, resume, fork, write-state, import, and doctor --fix's set-asides and
//!   event-log repair): the record each leaves when killed right after writing it is accepted
//!   and completes; the same record with any one path turned into another session's is refused.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use maestro_session_core::operations::Operation;
use maestro_session_core::session::phase_spec::PhaseSpec;
use maestro_session_core::store::export::ImportOptions;
use maestro_session_core::store::intent::{self, ABSENT, INTENTS_REL, Intent, Step, shape};
use maestro_session_core::store::{CreateRequest, Store};
use maestro_session_core::workspace::paths::Workspace;
use maestro_session_core::{Env, EnvVars};
use maestro_session_fs::beneath::Root;
use maestro_session_fs::durable::fault;
use proptest::prelude::*;

const OWN: &str = "own";
const VICTIM: &str = "victim";
const BYSTANDER: &str = "bystander";
const ACTIVE_ID: &str = "held";

fn doc(id: &str, status: &str, body: &str) -> String {
    format!(
        "---\nsession_id: \"{id}\"\ntask: \"t\"\nstatus: \"{status}\"\nupdated: \"2026-01-01T00:00:00Z\"\n---\n{body}\n"
    )
}

/// Every regular file under `dir`, relative, with its bytes.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let Ok(meta) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            if meta.is_dir() {
                stack.push(p);
            } else if meta.is_file() {
                let rel = p.strip_prefix(dir).expect("under").to_path_buf();
                out.insert(rel, std::fs::read(&p).unwrap_or_default());
            }
        }
    }
    out
}

/// A state dir `<tmp>/proj/st` with other sessions in it, and `<tmp>/outside/`.
struct Stage {
    tmp: tempfile::TempDir,
}

impl Stage {
    fn new(own_archived: bool, active: bool) -> Stage {
        let tmp = tempfile::tempdir().expect("tmp");
        let st = tmp.path().join("proj/st");
        for d in [
            "state/archive",
            "state/events",
            "state/checkpoints/victim",
            "plans/archive",
        ] {
            std::fs::create_dir_all(st.join(d)).expect("mkdir");
        }
        std::fs::create_dir_all(tmp.path().join("outside")).expect("mkdir");
        std::fs::write(tmp.path().join("outside/x.md"), "outside").expect("write");
        let w = |rel: &str, bytes: String| std::fs::write(st.join(rel), bytes).expect("write");
        w(
            "state/archive/victim.md",
            doc(VICTIM, "paused", "victim body"),
        );
        w(
            "state/archive/bystander.md",
            doc(BYSTANDER, "completed", "b"),
        );
        w(
            "state/events/victim.jsonl",
            "{\"v\":1}\n{\"v\":1,\"to\n".into(),
        );
        w("state/checkpoints/victim/1.md", doc(VICTIM, "paused", "c1"));
        w("state/checkpoints/victim/1.json", "{\"v\":1}\n".into());
        w("plans/archive/victim--v.md", "victim plan".into());
        w("plans/v.md", "a plan".into());
        if own_archived {
            w("state/archive/own.md", doc(OWN, "paused", "own body"));
            w(
                "state/events/own.jsonl",
                "{\"v\":1}\n{\"v\":1,\"to\n{\"v\":2}\n".into(),
            );
        }
        if active {
            w(
                "state/active-session.md",
                doc(ACTIVE_ID, "completed", "held"),
            );
        }
        Stage { tmp }
    }

    fn state_dir(&self) -> PathBuf {
        self.tmp.path().join("proj/st")
    }

    fn root(&self) -> Root {
        Root::open(&self.state_dir()).expect("root")
    }
}

/// The files of session `id` in the stage, by their path relative to the state dir.
fn files_of(id: &str, all: &BTreeMap<PathBuf, Vec<u8>>) -> BTreeMap<PathBuf, Vec<u8>> {
    all.iter()
        .filter(|(rel, bytes)| {
            let r = rel.to_string_lossy();
            let named = r == format!("state/archive/{id}.md")
                || r == format!("state/events/{id}.jsonl")
                || r.starts_with(&format!("state/checkpoints/{id}/"))
                || r.starts_with(&format!("plans/archive/{id}--"));
            let active_holding = r == "state/active-session.md"
                && String::from_utf8_lossy(bytes).contains(&format!("\"{id}\""));
            named || active_holding
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The session a record moves out of the active slot: the id of a `remove` of it.
fn displaced(intent: &Intent) -> Option<&str> {
    intent.steps.iter().find_map(|s| match s {
        Step::Remove { path, session_id } if path == "state/active-session.md" => {
            Some(session_id.as_str())
        }
        _ => None,
    })
}

fn path_strategy() -> impl Strategy<Value = String> {
    let fixed: Vec<&'static str> = vec![
        "state/active-session.md",
        "state/archive/own.md",
        "state/events/own.jsonl",
        "state/checkpoints/own/1.md",
        "state/checkpoints/own/1.json",
        "plans/own.md",
        "plans/archive/own--own.md",
        "plans/own--v.md",
        "plans/v.md",
        "state/quarantine/t-own.jsonl-line-2",
        "state/quarantine/t-own.jsonl-line-2.why",
        "state/quarantine/t-x.md",
        "state/quarantine/t-x.md.why",
        "state/archive/held.md",
        "plans/archive/held--v.md",
        "state/archive/victim.md",
        "state/events/victim.jsonl",
        "state/checkpoints/victim/1.md",
        "state/checkpoints/victim",
        "plans/archive/victim--v.md",
        "state/archive/bystander.md",
        "../outside/x.md",
        "/etc/hostname",
        "state/../../../outside/x.md",
        "state/archive/../../../outside/x.md",
        "state//archive/own.md",
        "state/archive/.hidden.md",
        "",
        "state/archive/a\0.md",
        "state\\archive\\own.md",
        "state/.lock",
        "state/intents/x.json",
        "state/quarantine/../archive/victim.md",
        "state/events",
        "state/archive/.x.md.999999999-0-1.maestro-tmp",
    ];
    prop_oneof![
        4 => prop::sample::select(fixed).prop_map(String::from),
        1 => "[a-z/._-]{0,24}",
    ]
}

fn id_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![OWN, VICTIM, BYSTANDER, ACTIVE_ID, ""]).prop_map(String::from),
        1 => "[a-z./-]{0,12}",
    ]
}

fn content_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        id_strategy().prop_map(|id| doc(&id, "paused", "forged")),
        Just(String::new()),
        Just("{\"v\":1}\n".to_string()),
        ".{0,40}",
    ]
}

fn step_strategy() -> impl Strategy<Value = Step> {
    let range = prop_oneof![0u64..64, any::<u64>()];
    prop_oneof![
        (path_strategy(), path_strategy()).prop_map(|(from, to)| Step::Move { from, to }),
        (path_strategy(), path_strategy()).prop_map(|(from, to)| Step::Copy { from, to }),
        (path_strategy(), content_strategy())
            .prop_map(|(path, content)| Step::Write { path, content }),
        (path_strategy(), id_strategy())
            .prop_map(|(path, session_id)| Step::Remove { path, session_id }),
        (
            path_strategy(),
            range.clone(),
            range.clone(),
            path_strategy()
        )
            .prop_map(|(from, offset, len, to)| Step::Excerpt {
                from,
                offset,
                len,
                to
            }),
        (path_strategy(), range.clone(), range, path_strategy()).prop_map(
            |(path, offset, len, kept)| Step::Blank {
                path,
                offset,
                len,
                kept
            }
        ),
    ]
}

fn op_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(shape::OPS.iter().map(|o| o.name()).collect::<Vec<_>>())
            .prop_map(String::from),
        1 => ".{0,12}",
    ]
}

/// The shapes real commands write, over ids picked by the strategy: `s` where the record's own
/// session belongs and `d` for the session moved out of the active slot (so some records are
/// well-shaped and some name another session's files).
fn templated(op: usize, s: &str, d: &str) -> (String, Vec<Step>) {
    let w = |path: String, content: String| Step::Write { path, content };
    let rm = |path: &str, id: &str| Step::Remove {
        path: path.into(),
        session_id: id.into(),
    };
    let active = "state/active-session.md";
    match op % 7 {
        0 => (
            "archive".into(),
            vec![
                Step::Move {
                    from: "plans/v.md".into(),
                    to: format!("plans/archive/{s}--v.md"),
                },
                w(
                    format!("state/archive/{s}.md"),
                    doc(s, "completed", "archived"),
                ),
                rm(active, s),
            ],
        ),
        1 => (
            "create".into(),
            vec![
                w("plans/own.md".into(), "plan".into()),
                w(format!("state/archive/{d}.md"), doc(d, "paused", "parked")),
                rm(active, d),
                w(active.into(), doc(s, "in_progress", "new")),
            ],
        ),
        2 => (
            "resume".into(),
            vec![
                w(active.into(), doc(s, "in_progress", "resumed")),
                rm(&format!("state/archive/{s}.md"), s),
            ],
        ),
        3 => (
            "fork".into(),
            vec![
                Step::Copy {
                    from: "plans/v.md".into(),
                    to: format!("plans/{s}--v.md"),
                },
                w(format!("state/archive/{s}.md"), doc(s, "paused", "forked")),
            ],
        ),
        4 => (
            "import".into(),
            vec![
                w(format!("state/checkpoints/{s}/1.md"), doc(s, "paused", "c")),
                w(format!("state/checkpoints/{s}/1.json"), "{}".into()),
                w(format!("state/events/{s}.jsonl"), String::new()),
                w(
                    format!("state/archive/{s}.md"),
                    doc(s, "paused", "imported"),
                ),
            ],
        ),
        5 => (
            "quarantine".into(),
            vec![
                w(format!("state/quarantine/t-{s}.md.why"), "why".into()),
                Step::Move {
                    from: format!("state/archive/{s}.md"),
                    to: format!("state/quarantine/t-{s}.md"),
                },
            ],
        ),
        _ => {
            let kept = format!("state/quarantine/t-{s}.jsonl-line-2");
            let log = format!("state/events/{s}.jsonl");
            (
                "repair-event-log".into(),
                vec![
                    Step::Excerpt {
                        from: log.clone(),
                        offset: 8,
                        len: 10,
                        to: kept.clone(),
                    },
                    w(format!("{kept}.why"), "torn".into()),
                    Step::Blank {
                        path: log,
                        offset: 8,
                        len: 10,
                        kept,
                    },
                ],
            )
        }
    }
}

/// What `run` would put in `expect`: what each written or removed path holds now.
fn true_expect(root: &Root, steps: &[Step]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for step in steps {
        let (Step::Write { path, .. } | Step::Remove { path, .. }) = step else {
            continue;
        };
        let state = match root.read_file(Path::new(path), 1 << 24, false) {
            Ok(bytes) => intent::digest(&bytes),
            Err(_) => ABSENT.to_string(),
        };
        out.entry(path.clone()).or_insert(state);
    }
    out
}

/// One generated case: (random record parts, template choice, honest expect, junk expect,
/// version, own session archived, an active session).
type Case = (
    (String, String, Vec<Step>),
    (bool, usize, String, &'static str, &'static str),
    bool,
    BTreeMap<String, String>,
    u32,
    bool,
    bool,
);

#[test]
fn arbitrary_records_never_panic_or_touch_another_session() {
    let strategy = (
        (
            op_strategy(),
            id_strategy(),
            prop::collection::vec(step_strategy(), 0..6),
        ),
        (
            prop::bool::weighted(0.7),
            0usize..7,
            prop_oneof![4 => Just(OWN.to_string()), 1 => id_strategy()],
            prop::sample::select(vec![OWN, OWN, OWN, OWN, VICTIM, BYSTANDER, ACTIVE_ID]),
            prop::sample::select(vec![ACTIVE_ID, ACTIVE_ID, ACTIVE_ID, VICTIM, OWN]),
        ),
        prop::bool::weighted(0.8),
        prop::collection::btree_map(path_strategy(), ".{0,16}", 0..3),
        prop_oneof![9 => Just(intent::VERSION), 1 => any::<u32>()],
        any::<bool>(),
        any::<bool>(),
    );
    let config = ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let accepted = std::cell::Cell::new(0usize);
    let mut runner = proptest::test_runner::TestRunner::new(config);
    let result = runner.run(&strategy, |case: Case| {
        let (random, template, honest_expect, junk_expect, version, own_archived, active) = case;
        let (op, session_id, steps) = match template {
            (true, n, session_id, s, d) => {
                let (op, steps) = templated(n, s, d);
                (
                    op,
                    if session_id.is_empty() {
                        OWN.to_string()
                    } else {
                        session_id
                    },
                    steps,
                )
            }
            (false, ..) => random,
        };
        let stage = Stage::new(own_archived, active);
        let root = stage.root();
        let expect = if honest_expect {
            true_expect(&root, &steps)
        } else {
            junk_expect
        };
        let record = Intent {
            version,
            op,
            session_id,
            created: "2026-01-01T00:00:00Z".into(),
            steps,
            expect,
        };
        let before = files(&stage.state_dir());
        let outside = files(&stage.tmp.path().join("outside"));
        let verdict = shape::check_record(&record);
        if verdict.is_ok() {
            accepted.set(accepted.get() + 1);
        }
        root.create_dirs(Path::new(INTENTS_REL)).expect("mkdir");
        let rel = format!("{INTENTS_REL}/00000000000000000001-x.json");
        root.replace(
            Path::new(&rel),
            &serde_json::to_vec(&record).expect("json"),
            0o644,
            true,
        )
        .expect("write");
        let replayed = panic::catch_unwind(AssertUnwindSafe(|| {
            let pending = intent::pending(&root);
            let recovered = intent::recover(&root);
            (pending, recovered)
        }));
        let (pending, _recovered) = replayed.expect("reading and replaying never panics");
        let pending = pending.expect("the folder lists");
        prop_assert_eq!(pending.len(), 1);
        prop_assert_eq!(
            pending[0].1.is_ok(),
            verdict.is_ok(),
            "pending and check_record agree: {:?}",
            verdict
        );
        // Accepted: every step is one its op takes over its own session's places.
        if verdict.is_ok() {
            let op = shape::Op::parse(&record.op).expect("a known op");
            for step in &record.steps {
                let named: Vec<&str> = match step {
                    Step::Move { from, to } | Step::Copy { from, to } => vec![from, to],
                    Step::Write { path, .. } | Step::Remove { path, .. } => vec![path],
                    Step::Excerpt { from, to, .. } => vec![from, to],
                    Step::Blank { path, kept, .. } => vec![path, kept],
                };
                if matches!(step, Step::Remove { .. }) {
                    continue; // bound to the session it names and the bytes it saw, not a name
                }
                for path in named {
                    prop_assert!(
                        !path.contains("..") && !path.starts_with('/') && !path.contains('\0'),
                        "{path}"
                    );
                    prop_assert!(
                        path.starts_with("state/") || path.starts_with("plans/"),
                        "{path}"
                    );
                    for other in [VICTIM, BYSTANDER] {
                        let theirs = path == format!("state/archive/{other}.md")
                            || path == format!("state/events/{other}.jsonl")
                            || path.starts_with(&format!("state/checkpoints/{other}/"))
                            || path.starts_with(&format!("plans/archive/{other}--"));
                        let displacing = displaced(&record) == Some(other)
                            && matches!(step, Step::Write { .. } | Step::Move { .. });
                        prop_assert!(
                            !theirs
                                || record.session_id == other
                                || displacing
                                || op == shape::Op::Quarantine,
                            "{} of {} names {}'s {}",
                            op.name(),
                            record.session_id,
                            other,
                            path
                        );
                    }
                }
            }
        }
        // Nothing of another session changed; nothing at all outside.
        let after = files(&stage.state_dir());
        // The session the record moves out of the active slot is its to move only when it is
        // the one there.
        let moved_out = displaced(&record)
            .filter(|id| active && *id == ACTIVE_ID)
            .unwrap_or("");
        for other in [VICTIM, BYSTANDER, ACTIVE_ID] {
            if other == record.session_id || other == moved_out {
                continue;
            }
            let (was, now) = (files_of(other, &before), files_of(other, &after));
            prop_assert!(
                was == now,
                "the files of {} changed: {:?} -> {:?}",
                other,
                was.keys(),
                now.keys()
            );
        }
        for (rel, bytes) in &before {
            let theirs = [record.session_id.as_str(), moved_out]
                .iter()
                .any(|id| !id.is_empty() && files_of(id, &before).contains_key(rel));
            if theirs || rel.starts_with(INTENTS_REL) {
                continue;
            }
            prop_assert!(
                after.values().any(|b| b == bytes),
                "the bytes of {} are gone",
                rel.display()
            );
        }
        prop_assert_eq!(files(&stage.tmp.path().join("outside")), outside);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    println!("{} of 512 records accepted", accepted.get());
    // Enough well-shaped records were replayed for the property to mean something.
    assert!(
        accepted.get() >= 80,
        "only {} of 512 records accepted",
        accepted.get()
    );
}

// ---------------------------------------------------------------------------------------------
// Records real commands leave

/// A project whose store the commands below run on.
struct Project {
    _tmp: tempfile::TempDir,
    state: PathBuf,
    store: Store,
}

impl Project {
    fn new() -> Project {
        let tmp = tempfile::tempdir().expect("tmp");
        let project = tmp.path().join("project");
        std::fs::create_dir(&project).expect("mkdir");
        let env = Env::from_pairs([(
            EnvVars::MAESTRO_WORKSPACE_PATH,
            project.to_str().expect("utf8"),
        )]);
        let ws = Workspace::with_state_dir(&env, &project, Path::new("st")).expect("ws");
        Project {
            state: project.join("st"),
            _tmp: tmp,
            store: Store::new(ws, Env::default()),
        }
    }

    fn create(&self, task: &str, park: bool, plan: Option<&str>) -> String {
        if let Some(name) = plan {
            std::fs::create_dir_all(self.state.join("plans")).expect("mkdir");
            std::fs::write(
                self.state.join("plans").join(name),
                format!("plan of {task}"),
            )
            .expect("write");
        }
        let req = CreateRequest {
            task: task.into(),
            phases: vec![PhaseSpec {
                name: "A".into(),
                agents: vec!["coder".into()],
                ..PhaseSpec::default()
            }],
            park,
            design_document: plan.map(|n| format!("st/plans/{n}")),
            ..CreateRequest::default()
        };
        self.store.create(&req).expect("create").meta.session_id
    }

    fn root(&self) -> Root {
        Root::open(&self.state).expect("root")
    }
}

type Scenario = (&'static str, fn(&Project) -> Box<dyn Fn(&Project)>);

/// Each scenario prepares a project and returns the command to crash.
fn scenarios() -> Vec<Scenario> {
    vec![
        ("create --park over a live session", |p| {
            p.create("first", false, Some("d.md"));
            Box::new(|p: &Project| {
                p.create("second", true, None);
            })
        }),
        ("archive with a plan document", |p| {
            p.create("first", false, Some("d.md"));
            p.store
                .apply(
                    None,
                    &Operation::SetStatus(
                        maestro_session_core::session::lifecycle::SessionStatus::Completed,
                    ),
                )
                .expect("complete");
            Box::new(|p: &Project| {
                p.store.archive(None).expect("archive");
            })
        }),
        ("resume --park", |p| {
            let first = p.create("first", false, Some("d.md"));
            p.create("second", true, None);
            Box::new(move |p: &Project| {
                p.store.resume(&first, true).expect("resume");
            })
        }),
        ("fork --activate --park", |p| {
            let first = p.create("first", false, Some("d.md"));
            Box::new(move |p: &Project| {
                p.store.fork(&first, true, true).expect("fork");
            })
        }),
        ("fork into the archive", |p| {
            let first = p.create("first", false, Some("d.md"));
            Box::new(move |p: &Project| {
                p.store.fork(&first, false, false).expect("fork");
            })
        }),
        ("write-state over a finished active session", |p| {
            p.create("first", false, None);
            p.store
                .apply(
                    None,
                    &Operation::SetStatus(
                        maestro_session_core::session::lifecycle::SessionStatus::Completed,
                    ),
                )
                .expect("complete");
            Box::new(|p: &Project| {
                let doc = doc("2026-01-01-written", "in_progress", "# log");
                p.store
                    .write_document(Path::new("state/active-session.md"), doc.as_bytes(), true)
                    .expect("write-state");
            })
        }),
        ("import --as --activate --park with checkpoints", |p| {
            let first = p.create("first", false, Some("d.md"));
            p.store
                .checkpoint_create(&first, Some("by-hand"))
                .expect("checkpoint");
            let exported = p.store.export(&first).expect("export");
            Box::new(move |p: &Project| {
                let opts = ImportOptions {
                    as_id: Some("imported".into()),
                    activate: true,
                    park: true,
                };
                p.store.import(&exported, &opts).expect("import");
            })
        }),
        ("doctor --fix: set-asides and a torn event log", |p| {
            let first = p.create("first", false, None);
            std::fs::write(p.state.join("state/archive/broken.md"), "not a session").expect("w");
            let log = p.state.join(format!("state/events/{first}.jsonl"));
            let mut bytes = std::fs::read(&log).expect("log");
            bytes.extend_from_slice(b"{\"torn\n{\"v\":1}\n{\"also torn");
            std::fs::write(&log, bytes).expect("w");
            Box::new(|p: &Project| {
                p.store.doctor(true).expect("doctor");
            })
        }),
    ]
}

/// Another session's path for `path` in a record about `own` (and, moving it out, `moved`):
/// the same place, named after `victim`. `None` when the path names no session.
fn foreign(path: &str, own: &str, moved: Option<&str>, victim: &str) -> Option<String> {
    for id in std::iter::once(own).chain(moved) {
        for (prefix, suffix) in [("state/archive/", ".md"), ("state/events/", ".jsonl")] {
            if path == format!("{prefix}{id}{suffix}") {
                return Some(format!("{prefix}{victim}{suffix}"));
            }
        }
        for prefix in ["state/checkpoints/", "plans/archive/", "plans/"] {
            let marker = if prefix == "state/checkpoints/" {
                format!("{prefix}{id}/")
            } else {
                format!("{prefix}{id}--")
            };
            if let Some(rest) = path.strip_prefix(&marker) {
                let sep = if prefix == "state/checkpoints/" {
                    "/"
                } else {
                    "--"
                };
                return Some(format!("{prefix}{victim}{sep}{rest}"));
            }
        }
    }
    None
}

/// `record` with every path `from` turned into `to` in step `i` (a session's content too).
fn mutated(record: &Intent, i: usize, from: &str, to: &str, victim: &str, own: &str) -> Intent {
    let mut out = record.clone();
    let swap = |p: &mut String| {
        if p == from {
            *p = to.to_string();
        }
    };
    match &mut out.steps[i] {
        Step::Move { from, to: t } | Step::Copy { from, to: t } => {
            swap(from);
            swap(t);
        }
        Step::Write { path, content } => {
            swap(path);
            *content = content.replace(&format!("\"{own}\""), &format!("\"{victim}\""));
        }
        Step::Remove { path, .. } => swap(path),
        Step::Excerpt { from, to: t, .. } => {
            swap(from);
            swap(t);
        }
        Step::Blank { path, kept, .. } => {
            swap(path);
            swap(kept);
        }
    }
    if let Some(v) = out.expect.remove(from) {
        out.expect.insert(to.to_string(), v);
    }
    out
}

#[test]
fn records_real_commands_leave_are_accepted_and_no_foreign_path_is() {
    let mut records_seen = 0usize;
    let mut refusals = 0usize;
    for (name, prepare) in scenarios() {
        for crash_at in 0..14 {
            let project = Project::new();
            let command = prepare(&project);
            fault::arm(crash_at);
            let result = panic::catch_unwind(AssertUnwindSafe(|| command(&project)));
            let crashed = !fault::disarm();
            if !crashed {
                assert!(result.is_ok(), "{name}: {result:?}");
                break;
            }
            let root = project.root();
            for (rel, parsed) in intent::pending(&root).expect("pending") {
                let record = parsed.unwrap_or_else(|e| {
                    panic!("{name}, crash at {crash_at}: the record left is refused: {e}")
                });
                records_seen += 1;
                let own = record.session_id.clone();
                let moved = displaced(&record).map(str::to_string);
                for i in 0..record.steps.len() {
                    let paths: Vec<String> = match &record.steps[i] {
                        Step::Move { from, to } | Step::Copy { from, to } => {
                            vec![from.clone(), to.clone()]
                        }
                        Step::Write { path, .. } | Step::Remove { path, .. } => vec![path.clone()],
                        Step::Excerpt { from, to, .. } => vec![from.clone(), to.clone()],
                        Step::Blank { path, kept, .. } => vec![path.clone(), kept.clone()],
                    };
                    for path in paths {
                        if matches!(record.steps[i], Step::Remove { .. }) {
                            continue; // a remove is bound to the session it names, not the file name
                        }
                        let Some(theirs) = foreign(&path, &own, moved.as_deref(), "victim") else {
                            continue;
                        };
                        // Every step naming that path, so the record stays consistent.
                        let mut forged = record.clone();
                        for j in 0..forged.steps.len() {
                            forged = mutated(&forged, j, &path, &theirs, "victim", &own);
                        }
                        let verdict = shape::check_record(&forged);
                        assert!(
                            verdict.is_err(),
                            "{name}: {path} -> {theirs} accepted in {forged:?}"
                        );
                        refusals += 1;
                    }
                }
                intent::complete(&root, &rel, &record).unwrap_or_else(|e| {
                    panic!("{name}, crash at {crash_at}: the record does not complete: {e}")
                });
            }
        }
    }
    assert!(records_seen >= 30, "{records_seen} records seen");
    assert!(refusals >= 30, "{refusals} forged records refused");
}
