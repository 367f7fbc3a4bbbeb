//! Naming, retention, unfinished checkpoints and a crash mid-checkpoint, on a store in a temp
//! dir (no process environment, no git).
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::path::{Path, PathBuf};

use super::*;
use crate::Env;
use crate::session::model::PhaseId;
use crate::session::phase_spec::PhaseSpec;
use crate::store::CreateRequest;
use crate::workspace::paths::CHECKPOINTS_REL;
use crate::workspace::paths::Workspace;

/// The number a `revision` line holds, in either flavour (`revision: 3`, `  "revision": 3,`).
fn revision_of(line: &str) -> Option<u64> {
    let t = line.trim();
    let n = t
        .strip_prefix("revision: ")
        .or_else(|| t.strip_prefix("\"revision\": "))?;
    n.trim_end_matches(',').trim().parse().ok()
}

struct Fixture {
    _dir: tempfile::TempDir,
    project: PathBuf,
    store: Store,
    id: String,
}

impl Fixture {
    fn new(extra_env: &[(&str, &str)]) -> Fixture {
        let dir = tempfile::tempdir().expect("tmp");
        let project = dir.path().join("proj");
        std::fs::create_dir_all(&project).expect("mkdir");
        let mut pairs = vec![(
            "MAESTRO_WORKSPACE_PATH".to_string(),
            project.display().to_string(),
        )];
        pairs.extend(
            extra_env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        let env = Env::from_pairs(pairs);
        let ws = Workspace::with_state_dir(&env, &project, Path::new("docs/maestro"))
            .expect("workspace");
        let store = Store::new(ws, env);
        let session = store
            .create(&CreateRequest {
                task: "Checkpoint me".into(),
                phases: vec![
                    PhaseSpec {
                        name: "One".into(),
                        ..PhaseSpec::default()
                    },
                    PhaseSpec {
                        name: "Two".into(),
                        ..PhaseSpec::default()
                    },
                ],
                ..CreateRequest::default()
            })
            .expect("create");
        let id = session.id().to_string();
        Fixture {
            _dir: dir,
            project,
            store,
            id,
        }
    }

    fn folder(&self) -> PathBuf {
        self.project
            .join("docs/maestro")
            .join(CHECKPOINTS_REL)
            .join(&self.id)
    }

    fn active(&self) -> Vec<u8> {
        std::fs::read(self.project.join("docs/maestro").join(ACTIVE_REL)).expect("read active")
    }

    /// [`Fixture::active`] without its `revision` line, and that revision.
    fn active_content(&self) -> (String, u64) {
        let text = String::from_utf8(self.active()).expect("utf8");
        let mut revision = 0;
        let kept: String = text
            .split_inclusive('\n')
            .filter(|l| match revision_of(l) {
                Some(n) => {
                    revision = n;
                    false
                }
                None => true,
            })
            .collect();
        (kept, revision)
    }

    /// Takes `n` automatic checkpoints under one lock hold.
    fn automatic(&self, n: usize) {
        let l = self.store.locked().expect("lock");
        let (session, rel) = get_in(&l.root, Some(&self.id)).expect("session");
        for i in 0..n {
            self.store
                .checkpoint_before(&l, &session, &rel, Reason::Phase(format!("test {i}")))
                .expect("checkpoint");
        }
    }
}

#[test]
fn names_are_validated() {
    for good in ["before-refactor", "v1.2_rc", "a", "1a", &"x".repeat(64)] {
        validate_name(good).unwrap_or_else(|e| panic!("{good}: {e}"));
    }
    for bad in [
        "",
        "../x",
        "a/b",
        "a\\b",
        "with space",
        "é",
        "x\0y",
        "123",
        "0",
        &"x".repeat(65),
    ] {
        let err = validate_name(bad).expect_err(bad);
        assert!(matches!(err, Error::Invalid(_)), "{bad:?}: {err}");
    }
}

#[test]
fn retention_keeps_the_newest_automatic_and_every_named_one() {
    let f = Fixture::new(&[]);
    let first = f
        .store
        .checkpoint_create(&f.id, Some("before"))
        .expect("named");
    f.automatic(21);
    let unnamed = f.store.checkpoint_create(&f.id, None).expect("manual");
    let list = f.store.checkpoints(&f.id).expect("list");
    let automatic: Vec<u64> = list.iter().filter(|m| m.automatic).map(|m| m.id).collect();
    assert_eq!(automatic.len(), DEFAULT_KEEP, "{automatic:?}");
    // Ids 2..=22 were automatic; the oldest (2) went.
    assert_eq!(automatic.first(), Some(&22));
    assert_eq!(automatic.last(), Some(&3));
    assert!(
        list.iter()
            .any(|m| m.id == first.checkpoint.id && !m.automatic)
    );
    assert!(
        list.iter()
            .any(|m| m.id == unnamed.checkpoint.id && !m.automatic)
    );
    assert!(!f.folder().join("2.md").exists() && !f.folder().join("2.json").exists());
    // Newest first.
    let ids: Vec<u64> = list.iter().map(|m| m.id).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(ids, sorted);
}

#[test]
fn retention_setting_from_env_and_dotenv_and_bad_values() {
    let f = Fixture::new(&[(KEEP_VAR, "3")]);
    f.automatic(5);
    let list = f.store.checkpoints(&f.id).expect("list");
    assert_eq!(list.iter().map(|m| m.id).collect::<Vec<_>>(), vec![5, 4, 3]);

    let f = Fixture::new(&[]);
    std::fs::write(f.project.join(".env"), format!("{KEEP_VAR}=2\n")).expect("write");
    f.automatic(4);
    assert_eq!(f.store.checkpoints(&f.id).expect("list").len(), 2);

    for bad in ["0", "-1", "twenty", "1e3", "100001"] {
        let f = Fixture::new(&[(KEEP_VAR, bad)]);
        let before = f.active();
        let err = f
            .store
            .apply(Some(&f.id), &Operation::PhaseStart(PhaseId::Number(1)))
            .expect_err(bad);
        assert!(matches!(err, Error::Invalid(_)), "{bad}: {err}");
        assert!(err.to_string().contains(KEEP_VAR), "{err}");
        assert_eq!(
            f.active(),
            before,
            "nothing changes when the setting is bad"
        );
    }
}

#[test]
fn unfinished_and_unreadable_checkpoints_are_ignored_then_swept() {
    let f = Fixture::new(&[]);
    f.automatic(1);
    // A crash left 2.md without its record; a foreign file and a bad record sit beside it.
    std::fs::write(f.folder().join("2.md"), "partial").expect("write");
    std::fs::write(f.folder().join("notes.txt"), "x").expect("write");
    std::fs::write(f.folder().join("7.json"), "{not json").expect("write");
    std::fs::write(f.folder().join("7.md"), "x").expect("write");
    let list = f.store.checkpoint_list(&f.id).expect("list");
    assert_eq!(
        list.checkpoints.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![1]
    );
    assert_eq!(list.unreadable.len(), 1, "{:?}", list.unreadable);
    assert!(
        list.unreadable[0].to_string().contains("7.json")
            && matches!(list.unreadable[0], Error::Corrupt { .. }),
        "{:?}",
        list.unreadable
    );
    let err = f
        .store
        .checkpoint_restore(&f.id, "2")
        .expect_err("unfinished");
    assert!(matches!(err, Error::Refused { .. }), "{err}");
    // The next checkpoint numbers past every file and removes the unfinished copy.
    f.automatic(1);
    let ids: Vec<u64> = f
        .store
        .checkpoints(&f.id)
        .expect("list")
        .iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(ids, vec![8, 1]);
    assert!(!f.folder().join("2.md").exists());
    assert!(f.folder().join("notes.txt").exists(), "foreign files stay");
}

#[test]
fn a_crash_between_copy_and_record_leaves_readers_and_the_session_unaffected() {
    use maestro_session_fs::durable::fault;
    let f = Fixture::new(&[]);
    let before = f.active();
    fault::arm(1); // the copy is written, the record is not
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        f.store
            .apply(Some(&f.id), &Operation::PhaseStart(PhaseId::Number(1)))
    }));
    assert!(!fault::disarm(), "the crash was reached");
    assert!(result.is_err(), "the injected crash panics");
    assert!(f.folder().join("1.md").exists());
    assert!(!f.folder().join("1.json").exists());
    assert_eq!(f.active(), before, "the session was not touched");
    assert!(f.store.checkpoints(&f.id).expect("list").is_empty());
    // The next transition checkpoints as 2 and sweeps the unfinished 1.
    f.store
        .apply(Some(&f.id), &Operation::PhaseStart(PhaseId::Number(1)))
        .expect("start");
    let list = f.store.checkpoints(&f.id).expect("list");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].id, 2);
    assert_eq!(list[0].reason, "phase start 1");
    assert_eq!(
        std::fs::read(f.folder().join("2.md")).expect("copy"),
        before
    );
    assert!(!f.folder().join("1.md").exists());
}

#[test]
fn phase_transitions_checkpoint_and_other_changes_do_not() {
    let f = Fixture::new(&[]);
    f.store
        .apply(
            Some(&f.id),
            &Operation::SetField {
                key: "task".into(),
                value: Some("Renamed".into()),
            },
        )
        .expect("set");
    assert!(f.store.checkpoints(&f.id).expect("list").is_empty());
    // A refused transition takes none either.
    f.store
        .apply(Some(&f.id), &Operation::PhaseStart(PhaseId::Number(2)))
        .expect_err("blocked");
    assert!(f.store.checkpoints(&f.id).expect("list").is_empty());
    f.store
        .apply(Some(&f.id), &Operation::PhaseStart(PhaseId::Number(1)))
        .expect("start");
    let list = f.store.checkpoints(&f.id).expect("list");
    assert_eq!(list.len(), 1);
    assert!(list[0].automatic);
    assert_eq!(list[0].location, Location::Active);
    assert_eq!(list[0].git_commit, None, "no git here");
}

#[test]
fn restore_and_undo_are_byte_exact_but_for_the_next_revision_and_diff_shows_the_change() {
    let f = Fixture::new(&[]);
    let (original, _) = f.active_content();
    f.store
        .apply(Some(&f.id), &Operation::PhaseStart(PhaseId::Number(1)))
        .expect("start");
    let (started, started_revision) = f.active_content();
    let diff = f.store.checkpoint_diff(&f.id, "1", None).expect("diff");
    assert!(diff.changed);
    assert!(
        // The fixture's session is new, so JSON (Maestro 1.6's flavour).
        diff.diff.contains("-      \"status\": \"pending\","),
        "{}",
        diff.diff
    );
    assert!(
        diff.diff.contains("+      \"status\": \"in_progress\","),
        "{}",
        diff.diff
    );

    let report = f.store.checkpoint_restore(&f.id, "1").expect("restore");
    // The checkpoint's bytes, as the next revision: a write based on a read from before the
    // restore is stale, never current.
    let (restored, restored_revision) = f.active_content();
    assert_eq!(restored, original);
    assert_eq!(restored_revision, started_revision + 1);
    assert_eq!(report.undo.reason, "restore");
    assert!(report.note.is_none());
    let undo = f
        .store
        .checkpoint_restore(&f.id, &report.undo.id.to_string())
        .expect("undo");
    let (undone, undone_revision) = f.active_content();
    assert_eq!(undone, started);
    assert_eq!(undone_revision, started_revision + 2);
    assert_eq!(undo.restored.id, report.undo.id);
    let same = f
        .store
        .checkpoint_diff(&f.id, &report.undo.id.to_string(), None)
        .expect("diff");
    assert!(same.changed, "only the revision differs");
    let changed: Vec<(char, Option<u64>)> = same
        .diff
        .lines()
        .filter(|l| l.starts_with(['-', '+']) && !l.starts_with("---") && !l.starts_with("+++"))
        .map(|l| (l.chars().next().unwrap_or(' '), revision_of(&l[1..])))
        .collect();
    assert_eq!(
        changed,
        [
            ('-', Some(started_revision)),
            ('+', Some(started_revision + 2))
        ],
        "{}",
        same.diff
    );

    f.store
        .checkpoint_create(&f.id, Some("mine"))
        .expect("named");
    let err = f
        .store
        .checkpoint_create(&f.id, Some("mine"))
        .expect_err("duplicate");
    assert!(err.to_string().contains("already named \"mine\""), "{err}");
    let err = f
        .store
        .checkpoint_restore(&f.id, "nope")
        .expect_err("unknown");
    assert!(
        err.to_string().contains("no checkpoint is named \"nope\""),
        "{err}"
    );
}

#[test]
fn a_checkpoint_of_another_session_or_not_a_session_is_refused() {
    let f = Fixture::new(&[]);
    f.store.checkpoint_create(&f.id, None).expect("take");
    let copy = f.folder().join("1.md");
    let good = std::fs::read(&copy).expect("read");
    let other = String::from_utf8(good.clone()).expect("utf8").replacen(
        &f.id,
        "2020-01-01-someone-else",
        1,
    );
    let record_path = f.folder().join("1.json");
    let record = std::fs::read_to_string(&record_path).expect("record");
    let fix_size = |len: usize| {
        let mut meta: CheckpointMeta = serde_json::from_str(&record).expect("parse");
        meta.bytes = len as u64;
        std::fs::write(&record_path, serde_json::to_vec(&meta).expect("json")).expect("write");
    };
    std::fs::write(&copy, &other).expect("write");
    fix_size(other.len());
    let before = f.active();
    let err = f.store.checkpoint_restore(&f.id, "1").expect_err("other");
    assert!(matches!(err, Error::Refused { .. }), "{err}");
    std::fs::write(&copy, "not a session").expect("write");
    fix_size("not a session".len());
    let err = f.store.checkpoint_restore(&f.id, "1").expect_err("corrupt");
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    assert_eq!(f.active(), before);
}
