//! Many writers and killed writers against one session through the built `maestro-session`.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use e2e_tests::{World, maestro_ok};
use maestro_session_core::session::session_file::{Location, SessionFile};

fn active(world: &World) -> SessionFile {
    SessionFile::load(&world.state().join("active-session.md"), Location::Active)
        .expect("the session file parses")
}

/// 16 processes each record 50 token updates for their own agent: no update is lost.
#[test]
fn concurrent_token_updates_lose_nothing() {
    const WRITERS: usize = 16;
    const UPDATES: u64 = 50;
    let world = Arc::new(World::new());
    maestro_ok(&world, &["create", "Concurrency", "--phase", "One=coder"]);
    let handles: Vec<_> = (0..WRITERS)
        .map(|w| {
            let world = world.clone();
            std::thread::spawn(move || {
                for n in 0..UPDATES {
                    let agent = format!("agent-{w:02}");
                    let input = (n + 1).to_string();
                    let out = e2e_tests::run(
                        {
                            let mut c = world.cmd("maestro-session");
                            c.args([
                                "tokens", "active", "--agent", &agent, "--input", &input,
                                "--output", "2", "--cached", "1",
                            ]);
                            c
                        },
                        b"",
                    );
                    assert!(
                        out.status.success(),
                        "{}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("writer");
    }
    let session = active(&world);
    let usage = &session.meta.token_usage;
    let per_agent_input = UPDATES * (UPDATES + 1) / 2;
    assert_eq!(usage.by_agent.len(), WRITERS);
    for (agent, t) in &usage.by_agent {
        assert_eq!(
            (t.input, t.output, t.cached),
            (per_agent_input, 2 * UPDATES, UPDATES),
            "{agent}"
        );
    }
    assert_eq!(usage.total_input, WRITERS as u64 * per_agent_input);
    assert_eq!(usage.total_output, WRITERS as u64 * 2 * UPDATES);
    assert_eq!(usage.total_cached, WRITERS as u64 * UPDATES);
}

/// A writer killed with SIGKILL at pseudo-random moments during 500 updates never leaves a
/// file that fails to parse or holds a half-applied update; its temp files are cleaned up by
/// the next write.
#[test]
fn killed_writers_never_tear_the_session() {
    const UPDATES: u64 = 500;
    let world = World::new();
    maestro_ok(&world, &["create", "Crash", "--phase", "One=coder"]);
    let mut applied_before = 0;
    let mut killed = 0;
    for i in 0..UPDATES {
        let mut cmd = world.cmd("maestro-session");
        // Each update adds the same amount to input and output: a half-applied one would differ.
        cmd.args([
            "tokens", "active", "--agent", "coder", "--input", "7", "--output", "7", "--cached",
            "7",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        let mut child = cmd.spawn().expect("spawn");
        // Deterministic spread of kill times over 0..4 ms, the span of one update.
        let delay = Duration::from_micros((i * 7919 % 4000) + 50);
        std::thread::sleep(delay);
        if child.try_wait().expect("wait").is_none() {
            child.kill().expect("SIGKILL");
            killed += 1;
        }
        child.wait().expect("reap");
        let session = active(&world);
        let t = &session.meta.token_usage;
        let (input, output, cached) = t
            .by_agent
            .get("coder")
            .map(|c| (c.input, c.output, c.cached))
            .unwrap_or_default();
        assert_eq!((output, cached), (input, input), "half-applied update");
        assert_eq!(
            (t.total_input, t.total_output, t.total_cached),
            (input, output, cached)
        );
        assert!(
            input % 7 == 0 && input / 7 >= applied_before,
            "update lost or reversed"
        );
        applied_before = input / 7;
    }
    assert!(
        killed > 0,
        "no writer was killed mid-run; the test did not exercise crashes"
    );
    // One clean write removes the temp files killed writers left.
    maestro_ok(
        &world,
        &[
            "tokens", "active", "--agent", "coder", "--input", "7", "--output", "7", "--cached",
            "7",
        ],
    );
    let leftovers: Vec<String> = std::fs::read_dir(world.state())
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".maestro-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    eprintln!("{killed} of {UPDATES} writers killed; {applied_before} updates applied");
}

/// `resume --park` (a three-file move: park the active session with its plan document,
/// activate the archived one) killed with SIGKILL at pseudo-random moments: after the next
/// command every session is listed exactly once, parses, and `doctor` finds nothing to repair.
#[test]
fn killed_moves_leave_every_session_exactly_once() {
    const MOVES: u64 = 120;
    let world = World::new();
    let plans = world.state().parent().expect("state dir").join("plans");
    std::fs::create_dir_all(&plans).expect("mkdir");
    let mut ids = Vec::new();
    for task in ["First", "Second"] {
        let doc = plans.join(format!("{task}-design.md"));
        std::fs::write(&doc, task).expect("write");
        let rel = format!("docs/maestro/plans/{task}-design.md");
        let s = maestro_ok(
            &world,
            &["create", task, "--design-document", &rel, "--park"],
        );
        ids.push(s["session_id"].as_str().expect("id").to_string());
    }
    ids.sort();
    let mut killed = 0;
    for i in 0..MOVES {
        let rows = maestro_ok(&world, &["list"]);
        let rows = rows["sessions"].as_array().expect("rows");
        let mut listed: Vec<&str> = rows
            .iter()
            .map(|r| r["session_id"].as_str().expect("id"))
            .collect();
        listed.sort();
        assert_eq!(listed, ids, "each session exactly once after move {i}");
        let archived = rows
            .iter()
            .find(|r| r["location"] == "archive")
            .and_then(|r| r["session_id"].as_str())
            .expect("one archived session")
            .to_string();
        let mut cmd = world.cmd("maestro-session");
        cmd.args(["resume", &archived, "--park"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().expect("spawn");
        // Deterministic spread of kill times over 0..80 ms, beyond the span of one move (about
        // 50 ms in a debug build: ten fsyncs), so kills land before, during and after it.
        std::thread::sleep(Duration::from_micros((i * 7919 % 80_000) + 50));
        if child.try_wait().expect("wait").is_none() {
            child.kill().expect("SIGKILL");
            killed += 1;
        }
        child.wait().expect("reap");
    }
    assert!(
        killed > 0,
        "no move was killed; the test did not exercise crashes"
    );
    assert!(
        killed < MOVES,
        "every move was killed; none was seen to complete"
    );
    // The next command that takes the lock also removes the temp files killed writers left.
    maestro_ok(&world, &["init"]);
    let (code, report, stderr) = e2e_tests::maestro(&world, &["doctor"]);
    assert_eq!(code, 0, "doctor: {report} {stderr}");
    // Both design documents survive, each named in its session.
    for id in &ids {
        let s = maestro_ok(&world, &["show", id]);
        let doc = s["design_document"].as_str().expect("design document");
        let text = std::fs::read_to_string(world.project().join(doc)).expect("document");
        assert!(doc.ends_with(&format!("{text}-design.md")), "{doc}: {text}");
    }
    eprintln!("{killed} of {MOVES} moves killed");
}
