//! `doctor --fix` killed at every step of its repairs loses nothing (the kill-at-every-step
//! style of `kill_props.rs`).
//!
//! A state dir holds one of everything doctor repairs: an active session with an older copy of
//! it in the archive, a corrupt archive file, a temp file of a dead writer, an intent record
//! this version does not replay, an event log with a torn line in the middle and a torn last
//! line, an event log that is a FIFO, and a `state/checkpoints` that is a symlink leading out of
//! the project. `doctor --fix` runs with a crash injected before its `k`-th durable mutation
//! ([`fault::arm`]), for every `k` until a run ends without reaching it; after each crash a hook
//! appends a line to the torn log (as hooks do, without the lock), then `doctor --fix` runs
//! again to the end.
//!
//! Checked after each: `doctor` finds nothing; no intent record is pending; the log holds every
//! line it held that was an event, in order, and the hook's line; every torn line's bytes are in
//! a file of `state/quarantine/`; the log never got shorter; the newer copy of the session is
//! the active one and the older copy's bytes are in quarantine, as are the corrupt file's, the
//! temp file's and the record's; the FIFO and the symlink are in quarantine (the symlink's
//! target untouched); nothing outside the project changed.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::collections::BTreeMap;
use std::io::Write;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use maestro_session_core::operations::Operation;
use maestro_session_core::session::phase_spec::PhaseSpec;
use maestro_session_core::store::{CreateRequest, Store};
use maestro_session_core::workspace::paths::Workspace;
use maestro_session_core::{Env, EnvVars};
use maestro_session_fs::beneath::Root;
use maestro_session_fs::durable::fault;

/// Every regular file under `dir` with its bytes, and the other entries by kind.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let rel = p.strip_prefix(dir).expect("under").to_path_buf();
            let Ok(meta) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            if meta.is_dir() {
                stack.push(p);
            } else if meta.is_file() {
                out.insert(rel, std::fs::read(&p).unwrap_or_default());
            } else {
                out.insert(rel, format!("{:?}", meta.file_type()).into_bytes());
            }
        }
    }
    out
}

fn lines(bytes: &[u8]) -> Vec<&[u8]> {
    bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect()
}

fn is_event(line: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(line).is_ok_and(|v| v.is_object())
}

struct World {
    tmp: tempfile::TempDir,
    store: Store,
    id: String,
}

impl World {
    fn state(&self) -> PathBuf {
        self.tmp.path().join("project/st")
    }

    fn log(&self) -> PathBuf {
        self.state().join(format!("state/events/{}.jsonl", self.id))
    }

    fn quarantined(&self) -> Vec<(PathBuf, Vec<u8>)> {
        tree(&self.state().join("state/quarantine"))
            .into_iter()
            .collect()
    }
}

const TORN_MIDDLE: &[u8] = b"{\"v\":1,\"op\":\"tok";
const TORN_TAIL: &[u8] = b"{\"v\":1,\"time\":\"2026";
const OLDER: &str = "2020-01-01T00:00:00Z";

fn world() -> (World, Vec<u8>, Vec<u8>) {
    let tmp = tempfile::tempdir().expect("tmp");
    let project = tmp.path().join("project");
    std::fs::create_dir_all(tmp.path().join("outside/cp")).expect("mkdir");
    std::fs::write(tmp.path().join("outside/cp/keep"), "outside").expect("write");
    std::fs::create_dir(&project).expect("mkdir");
    let env = Env::from_pairs([(
        EnvVars::MAESTRO_WORKSPACE_PATH,
        project.to_str().expect("utf8"),
    )]);
    let ws = Workspace::with_state_dir(&env, &project, Path::new("st")).expect("ws");
    let store = Store::new(ws, Env::default());
    let created = store
        .create(&CreateRequest {
            task: "Torn".into(),
            phases: vec![PhaseSpec {
                name: "A".into(),
                agents: vec!["coder".into()],
                ..PhaseSpec::default()
            }],
            ..CreateRequest::default()
        })
        .expect("create");
    let id = created.meta.session_id.clone();
    let w = World { tmp, store, id };
    let tokens = Operation::Tokens {
        agent: maestro_session_core::session::agent_name::AgentName::parse("coder")
            .expect("agent name"),
        input: 1,
        output: 0,
        cached: 0,
    };
    w.store.apply(None, &tokens).expect("tokens");
    // A torn line, then more events, then a torn last line.
    let mut log = std::fs::OpenOptions::new()
        .append(true)
        .open(w.log())
        .expect("log");
    log.write_all(TORN_MIDDLE).expect("torn");
    drop(log);
    w.store.apply(None, &tokens).expect("tokens");
    let mut log = std::fs::OpenOptions::new()
        .append(true)
        .open(w.log())
        .expect("log");
    log.write_all(TORN_TAIL).expect("torn");
    let st = w.state();
    // The active session, and an older copy of it in the archive.
    let active = std::fs::read(st.join("state/active-session.md")).expect("active");
    let text = String::from_utf8(active.clone()).expect("utf8");
    let updated_line = text
        .lines()
        .find(|l| l.contains("updated"))
        .expect("updated")
        .to_string();
    let older_line = updated_line
        .split_once(':')
        .map(|(k, _)| format!("{k}: \"{OLDER}\""))
        .expect("key");
    let older = text.replacen(&updated_line, &older_line, 1).into_bytes();
    std::fs::write(st.join(format!("state/archive/{}.md", w.id)), &older).expect("write");
    std::fs::write(st.join("state/archive/broken.md"), "not a session").expect("write");
    std::fs::write(
        st.join("state/archive/.x.md.2147483646-0-1.maestro-tmp"),
        "a dead writer's bytes",
    )
    .expect("write");
    std::fs::create_dir_all(st.join("state/intents")).expect("mkdir");
    std::fs::write(
        st.join("state/intents/00000000000000000001-archive-x.json"),
        "{\"version\":1,\"op\":\"archive\",\"session_id\":\"x\",\"created\":\"c\",\"steps\":[]}",
    )
    .expect("write");
    let fifo = st.join("state/events/other.jsonl");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo")
            .success()
    );
    let checkpoints = st.join("state/checkpoints");
    if checkpoints.exists() {
        std::fs::rename(&checkpoints, st.join("state/old-checkpoints")).expect("move");
    }
    std::os::unix::fs::symlink(w.tmp.path().join("outside/cp"), &checkpoints).expect("symlink");
    (w, active, older)
}

#[test]
fn doctor_fix_killed_at_any_step_loses_nothing() {
    let mut crashes = 0;
    for crash_at in 0..80u32 {
        let (w, newer, older) = world();
        let log_before = std::fs::read(w.log()).expect("log");
        let outside = tree(&w.tmp.path().join("outside"));
        fault::arm(crash_at);
        let first = panic::catch_unwind(AssertUnwindSafe(|| w.store.doctor(true)));
        let crashed = !fault::disarm();
        // A hook appends meanwhile, without the lock, as hooks do (a `\n` first after a torn
        // end).
        let hook_line = format!("{{\"v\":1,\"op\":\"agent started\",\"n\":{crash_at}}}\n");
        let root = Root::open(&w.state()).expect("root");
        let rel = w
            .log()
            .strip_prefix(w.state())
            .expect("under")
            .to_path_buf();
        root.append(&rel, hook_line.as_bytes(), 0o644, false)
            .expect("append");
        if crashed {
            crashes += 1;
        } else {
            let report = first.expect("no crash").expect("doctor --fix");
            assert!(report.unrepaired.is_empty(), "{:?}", report.unrepaired);
        }
        let second = w.store.doctor(true).expect("doctor --fix again");
        assert!(
            second.unrepaired.is_empty(),
            "crash at {crash_at}: {:?}",
            second.unrepaired
        );
        let check = w.store.doctor(false).expect("doctor");
        assert!(
            check.problems.is_empty(),
            "crash at {crash_at}: left {:?}",
            check.problems
        );
        let st = w.state();
        assert!(
            tree(&st.join("state/intents"))
                .keys()
                .all(|k| !k.to_string_lossy().ends_with(".json")),
            "crash at {crash_at}: a record is pending"
        );
        // The log: every event kept in order, the hook's line too, the torn bytes set aside.
        let log_after = std::fs::read(w.log()).expect("log");
        assert!(
            log_after.len() >= log_before.len(),
            "crash at {crash_at}: shrank"
        );
        let events = |bytes: &[u8]| -> Vec<String> {
            lines(bytes)
                .into_iter()
                .filter(|l| is_event(l))
                .map(|l| String::from_utf8_lossy(l).into_owned())
                .collect()
        };
        let events_after = events(&log_after);
        let mut want = events(&log_before);
        want.push(hook_line.trim_end().to_string());
        assert_eq!(events_after, want, "crash at {crash_at}: events");
        assert!(
            lines(&log_after)
                .iter()
                .all(|l| is_event(l) || l.iter().all(|b| *b == b' ')),
            "crash at {crash_at}: a torn line is left"
        );
        let quarantined = w.quarantined();
        let kept = |bytes: &[u8]| quarantined.iter().any(|(_, b)| b == bytes);
        for (what, bytes) in [
            ("the torn line", TORN_MIDDLE),
            ("the torn last line", TORN_TAIL),
            ("the older copy", older.as_slice()),
            ("the corrupt file", b"not a session".as_slice()),
            ("the temp file", b"a dead writer's bytes".as_slice()),
        ] {
            assert!(
                kept(bytes),
                "crash at {crash_at}: {what} is not in quarantine"
            );
        }
        assert!(
            quarantined.iter().any(|(p, _)| p
                .to_string_lossy()
                .ends_with("-00000000000000000001-archive-x.json")),
            "crash at {crash_at}: the record this version does not replay is not in quarantine"
        );
        for (what, suffix) in [
            ("the FIFO log", "-other.jsonl"),
            ("the symlink", "-checkpoints"),
        ] {
            assert!(
                quarantined
                    .iter()
                    .any(|(p, _)| p.to_string_lossy().ends_with(suffix)),
                "crash at {crash_at}: {what} is not in quarantine: {:?}",
                quarantined.iter().map(|(p, _)| p).collect::<Vec<_>>()
            );
        }
        assert_eq!(
            std::fs::read(st.join("state/active-session.md")).expect("active"),
            newer,
            "crash at {crash_at}: the newer copy is the active one"
        );
        assert!(!st.join(format!("state/archive/{}.md", w.id)).exists());
        assert_eq!(
            tree(&w.tmp.path().join("outside")),
            outside,
            "crash at {crash_at}: outside"
        );
        if !crashed {
            break;
        }
    }
    assert!(crashes >= 8, "only {crashes} crash points");
}
