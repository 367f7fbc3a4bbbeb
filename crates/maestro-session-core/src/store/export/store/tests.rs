//! Export and import between two stores in temp dirs (no process environment, no git): a
//! round trip, `as_id`, refusals, and a crash at every step of the import intent.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use super::*;
use crate::Env;
use crate::operations::Operation;
use crate::session::model::PhaseId;
use crate::session::phase_spec::PhaseSpec;
use crate::store::{CreateRequest, PlanContent};
use crate::workspace::paths::Workspace;
use maestro_session_fs::durable::fault;

struct Project {
    _dir: tempfile::TempDir,
    state: PathBuf,
    store: Store,
}

fn project() -> Project {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path().join("proj");
    std::fs::create_dir_all(&root).expect("mkdir");
    let env = Env::from_pairs(vec![(
        "MAESTRO_WORKSPACE_PATH".to_string(),
        root.display().to_string(),
    )]);
    let ws = Workspace::with_state_dir(&env, &root, Path::new("docs/maestro")).expect("ws");
    Project {
        state: root.join("docs/maestro"),
        _dir: dir,
        store: Store::new(ws, env),
    }
}

/// A session with a plan in plans/, a few events and two checkpoints, exported.
fn exported() -> (Project, ExportFile) {
    let p = project();
    let s = p
        .store
        .create(&CreateRequest {
            task: "Export me".into(),
            phases: vec![PhaseSpec {
                name: "One".into(),
                ..PhaseSpec::default()
            }],
            plan_content: Some(PlanContent {
                file_name: "plan.md".into(),
                content: "# Plan\n".into(),
            }),
            ..CreateRequest::default()
        })
        .expect("create");
    p.store
        .apply(Some(s.id()), &Operation::PhaseStart(PhaseId::Number(1)))
        .expect("start");
    p.store
        .checkpoint_create(s.id(), Some("mine"))
        .expect("checkpoint");
    let file = p.store.export(s.id()).expect("export");
    (p, file)
}

fn read(p: &Project, rel: impl AsRef<Path>) -> Option<Vec<u8>> {
    std::fs::read(p.state.join(rel)).ok()
}

#[test]
fn round_trip_keeps_every_byte() {
    let (a, file) = exported();
    assert_eq!(file.checkpoints.len(), 2, "phase start + manual");
    assert_eq!(file.plans.len(), 1);
    let id = file.session.id.clone();
    let b = project();
    let r = b
        .store
        .import(&file, &ImportOptions::default())
        .expect("import");
    assert_eq!(r.imported, id);
    assert_eq!(r.location, Location::Archive);
    assert_eq!(
        read(&b, format!("state/archive/{id}.md")),
        read(&a, "state/active-session.md")
    );
    assert_eq!(read(&b, "plans/plan.md").as_deref(), Some(&b"# Plan\n"[..]));
    let log_a = read(&a, format!("state/events/{id}.jsonl")).expect("log a");
    let log_b = read(&b, format!("state/events/{id}.jsonl")).expect("log b");
    assert!(log_b.starts_with(&log_a));
    assert!(String::from_utf8_lossy(&log_b[log_a.len()..]).contains("\"op\":\"import\""));
    assert_eq!(b.store.checkpoints(&id).expect("list").len(), 2);
    b.store.checkpoint_restore(&id, "mine").expect("restore");
    // The same id again is refused, and changes nothing.
    let err = b
        .store
        .import(&file, &ImportOptions::default())
        .expect_err("taken");
    assert!(err.to_string().contains("--as"), "{err}");
}

#[test]
fn as_id_renames_everywhere_and_plans_get_free_names() {
    let (a, file) = exported();
    let opts = ImportOptions {
        as_id: Some("copy".into()),
        ..ImportOptions::default()
    };
    // Into the same project: the plan name is taken by other bytes? No, same bytes: reused.
    let r = a.store.import(&file, &opts).expect("import");
    assert_eq!(r.from.as_deref(), Some(file.session.id.as_str()));
    let s = a.store.get("copy").expect("get");
    assert_eq!(s.location, Location::Archive);
    assert_eq!(
        s.meta.implementation_plan.as_deref(),
        Some("docs/maestro/plans/plan.md")
    );
    assert_eq!(a.store.checkpoints("copy").expect("list").len(), 2);
    a.store.checkpoint_restore("copy", "mine").expect("restore");
    // A plan name holding other bytes gets a free name.
    let mut other = file.clone();
    other.plans[0].file = "# Other\n".into();
    let opts = ImportOptions {
        as_id: Some("copy2".into()),
        ..ImportOptions::default()
    };
    a.store.import(&other, &opts).expect("import");
    let s = a.store.get("copy2").expect("get");
    assert_eq!(
        s.meta.implementation_plan.as_deref(),
        Some("docs/maestro/plans/copy2--plan.md")
    );
    assert_eq!(
        read(&a, "plans/copy2--plan.md").as_deref(),
        Some(&b"# Other\n"[..])
    );
    assert_eq!(read(&a, "plans/plan.md").as_deref(), Some(&b"# Plan\n"[..]));
}

#[test]
fn activate_needs_a_free_slot_or_park() {
    let (a, file) = exported();
    let opts = ImportOptions {
        as_id: Some("copy".into()),
        activate: true,
        park: false,
    };
    assert!(
        a.store.import(&file, &opts).is_err(),
        "the active one is live"
    );
    let r = a
        .store
        .import(&file, &ImportOptions { park: true, ..opts })
        .expect("import");
    assert_eq!(r.parked.as_deref(), Some(file.session.id.as_str()));
    assert_eq!(
        a.store.active().expect("read").expect("active").id(),
        "copy"
    );
}

/// Every file of the state dir, relative, with its bytes (the lock file left out).
fn files(state: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![state.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries {
            let path = e.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if !path.ends_with(".lock") {
                let rel = path.strip_prefix(state).expect("inside").to_path_buf();
                out.push((rel, std::fs::read(&path).expect("read")));
            }
        }
    }
    out.sort();
    out
}

/// A crash at each durable mutation of an import, then the next locked command: the session
/// is either wholly absent or wholly there (session file, log, checkpoints, plan).
#[test]
fn a_crash_at_any_step_of_an_import_leaves_it_absent_or_complete() {
    let (_a, file) = exported();
    let id = file.session.id.clone();
    let mut complete_after_crash = 0;
    for k in 0..64u32 {
        let b = project();
        b.store.init().expect("init");
        let before = files(&b.state);
        fault::arm(k);
        let result = panic::catch_unwind(AssertUnwindSafe(|| {
            b.store.import(&file, &ImportOptions::default())
        }));
        let not_reached = fault::disarm();
        b.store.init().expect("the next locked command");
        let after = files(&b.state);
        let session = read(&b, format!("state/archive/{id}.md"));
        if session.is_none() {
            assert!(result.is_err(), "step {k}: no crash but no session");
            assert_eq!(after, before, "step {k}: a crashed import left files");
            continue;
        }
        assert_eq!(
            session.as_deref(),
            Some(file.session.file.as_bytes()),
            "{k}"
        );
        assert_eq!(read(&b, "plans/plan.md").as_deref(), Some(&b"# Plan\n"[..]));
        let log = read(&b, format!("state/events/{id}.jsonl")).expect("log");
        assert!(log.starts_with(file.events.as_deref().unwrap_or("").as_bytes()));
        assert_eq!(b.store.checkpoints(&id).expect("list").len(), 2, "{k}");
        assert!(!after.iter().any(|(p, _)| p.starts_with("state/intents")));
        if not_reached {
            result.expect("no crash").expect("import");
            assert!(complete_after_crash >= 3, "{complete_after_crash}");
            return;
        }
        complete_after_crash += 1;
    }
    panic!("the import never ran to its end");
}
