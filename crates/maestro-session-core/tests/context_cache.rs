//! The hooks' context cache is used: after the first hook call has parsed the active session,
//! a second call for the same unchanged file (same inode, size and mtime) answers from the
//! cache without reading the session again, and a changed file is read again. The session is
//! edited in place behind the cache's back, keeping size and mtime, so only a re-read would see
//! the edit: with the cache removed, the second answer would show it and this test fails.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::fs::{File, FileTimes, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use maestro_session_core::Env;
use maestro_session_core::hooks::events::{Outcome, handle};
use maestro_session_core::hooks::payload::{Decision, HookEvent, HookInput, Runtime};

const FIXTURE: &str = include_str!("../../../tests/fixtures/maestro-state/active-session.yaml.md");
const NAME: &str = "Implement middleware";
/// The same length as [`NAME`], so the file keeps its size.
const EDITED: &str = "Implement middlewarX";

struct World {
    _dir: tempfile::TempDir,
    env: Env,
    session: PathBuf,
    cache: PathBuf,
}

fn world() -> World {
    let dir = tempfile::tempdir().expect("tmp");
    let state = dir.path().join("proj/docs/maestro/state");
    std::fs::create_dir_all(&state).expect("mkdir");
    let session = state.join("active-session.md");
    std::fs::write(&session, FIXTURE).expect("write");
    let env = Env::from_pairs(
        [
            ("MAESTRO_HOOKS_DIR", dir.path().join("hooks")),
            ("MAESTRO_WORKSPACE_PATH", dir.path().join("proj")),
        ]
        .map(|(k, v)| (k, v.to_string_lossy().into_owned())),
    );
    let cache = dir.path().join("hooks/s/context-cache");
    World {
        _dir: dir,
        env,
        session,
        cache,
    }
}

/// Gemini CLI's BeforeAgent for a prompt delegating to `agent`: the agent's own context.
fn before_agent(w: &World, agent: &str) -> String {
    let payload = serde_json::json!({"session_id": "s", "prompt": format!("delegate to {agent}")});
    let out: Outcome = handle(
        HookEvent::BeforeAgent,
        Runtime::Gemini,
        &w.env,
        Path::new("/"),
        HookInput::parse(payload.to_string().as_bytes()),
        SystemTime::now(),
    );
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    match out.decision {
        Decision::AllowWithContext(context) => context,
        other => panic!("no context: {other:?}"),
    }
}

/// Rewrites the session in place (same inode, same size) and puts its mtime back.
fn edit_behind_the_cache(path: &Path) {
    let mtime = std::fs::metadata(path)
        .expect("stat")
        .modified()
        .expect("mtime");
    let text = std::fs::read_to_string(path)
        .expect("read")
        .replace(NAME, EDITED);
    let mut f = OpenOptions::new().write(true).open(path).expect("open");
    f.write_all(text.as_bytes()).expect("write");
    f.set_times(FileTimes::new().set_modified(mtime))
        .expect("set mtime");
}

#[test]
fn an_unchanged_file_is_answered_from_the_cache_without_a_reread() {
    let w = world();
    assert!(!w.cache.exists());
    let first = before_agent(&w, "coder");
    assert!(first.contains(NAME), "{first}");
    assert!(w.cache.is_file(), "the first call stores the cache");

    edit_behind_the_cache(&w.session);
    let second = before_agent(&w, "coder");
    assert_eq!(
        second, first,
        "the second call must come from the cache: a re-read would show {EDITED:?}"
    );
    assert!(!second.contains(EDITED));
}

#[test]
fn a_changed_file_is_read_again() {
    let w = world();
    let first = before_agent(&w, "coder");
    assert!(first.contains(NAME), "{first}");
    edit_behind_the_cache(&w.session);
    // Now a real change: a new mtime is a new key.
    File::open(&w.session)
        .expect("open")
        .set_modified(SystemTime::now() + Duration::from_secs(5))
        .expect("touch");
    let second = before_agent(&w, "coder");
    assert!(second.contains(EDITED), "{second}");
}
