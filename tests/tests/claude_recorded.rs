//! The hooks over payloads recorded from the real Claude Code 2.1.330 by
//! `scripts/e2e-claude.sh --record` (tests/fixtures/claude-code/recorded/<scenario>/: each
//! `NN-<hook>.json` as Claude Code wrote it on the hook's stdin, `NN-<hook>.answer.json` what the
//! hook answered, `session.md` the Maestro session the run had; home and project renamed to
//! /home/dev and /home/dev/proj). Each scenario is replayed in order through the built
//! executables (`--runtime claude`) on a world holding that session, and must answer exactly
//! as recorded; the hook-state records are checked after every step.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::path::Path;

use e2e_tests::{World, fixture, json_out, run, stderr_lines};
use serde_json::{Value, json};

/// One recorded hook run.
struct Step {
    hook: String,
    payload: Value,
    answer: Value,
}

fn scenario(name: &str) -> Vec<Step> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/claude-code/recorded")
        .join(name);
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".json") && !n.ends_with(".answer.json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| {
            let stem = f.trim_end_matches(".json");
            let read = |rel: &str| -> Value {
                serde_json::from_slice(&fixture(&format!("claude-code/recorded/{name}/{rel}")))
                    .expect("recorded JSON")
            };
            Step {
                hook: stem.split_once('-').expect("NN-hook").1.to_string(),
                payload: read(f),
                answer: read(&format!("{stem}.answer.json")),
            }
        })
        .collect()
}

/// A world holding the recorded session of `name` as its active session.
fn world_of(name: &str) -> World {
    let world = World::new();
    std::fs::create_dir_all(world.state()).expect("mkdir");
    std::fs::write(
        world.state().join("active-session.md"),
        fixture(&format!("claude-code/recorded/{name}/session.md")),
    )
    .expect("session");
    world
}

fn answer(world: &World, step: &Step, env: &[(&str, &str)]) -> Value {
    let mut cmd = world.cmd(&step.hook);
    cmd.args(["--runtime", "claude"]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = run(cmd, step.payload.to_string().as_bytes());
    assert!(
        out.status.success(),
        "{} exit {:?}, stderr {:?}",
        step.hook,
        out.status,
        stderr_lines(&out)
    );
    assert!(
        stderr_lines(&out).is_empty(),
        "{} stderr: {:?}",
        step.hook,
        stderr_lines(&out)
    );
    json_out(&out)
}

/// The `agents/<agent_id>` records of the runtime session, as (agent_id, agent) pairs.
fn records(world: &World, session: &str) -> Vec<(String, String)> {
    let dir = world.hooks().join(session).join("agents");
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(e.path()).unwrap_or_default(),
            )
        })
        .collect();
    out.sort();
    out
}

fn str_of<'v>(v: &'v Value, key: &str) -> &'v str {
    v[key].as_str().unwrap_or_default()
}

/// Replays `name`, checking every answer against the recording and calling `after` after each
/// step with its index.
fn replay(name: &str, mut after: impl FnMut(&World, usize, &Step)) {
    let world = world_of(name);
    for (i, step) in scenario(name).iter().enumerate() {
        assert_eq!(
            answer(&world, step, &[]),
            step.answer,
            "{name} step {} ({})",
            i + 1,
            step.hook
        );
        after(&world, i, step);
    }
}

#[test]
fn block_retry_keeps_the_record_until_the_retry_is_allowed() {
    let steps = scenario("block-retry");
    let hooks: Vec<&str> = steps.iter().map(|s| s.hook.as_str()).collect();
    assert_eq!(
        hooks,
        [
            "session-start",
            "before-agent",
            "after-agent",
            "after-agent",
            "session-end"
        ]
    );
    let sid = str_of(&steps[0].payload, "session_id").to_string();
    let agent_id = str_of(&steps[1].payload, "agent_id").to_string();
    assert_eq!(steps[2].answer["decision"], "block");
    assert_eq!(steps[3].payload["stop_hook_active"], true);
    let context = steps[1].answer["hookSpecificOutput"]["additionalContext"]
        .as_str()
        .expect("context");
    assert!(
        context.contains("your phase 1 of 2 \"Implement the parser\" (in_progress)"),
        "{context}"
    );
    replay("block-retry", |world, i, _| {
        let coder = vec![(agent_id.clone(), "coder".to_string())];
        match i {
            1 | 2 => assert_eq!(records(world, &sid), coder, "step {}", i + 1),
            3 => assert!(records(world, &sid).is_empty(), "allowed: record gone"),
            4 => assert!(!world.hooks().join(&sid).exists(), "session end"),
            _ => {}
        }
    });
}

#[test]
fn parallel_agents_get_their_own_phase_and_records() {
    let steps = scenario("parallel");
    let sid = str_of(&steps[0].payload, "session_id").to_string();
    let starts: Vec<&Step> = steps.iter().filter(|s| s.hook == "before-agent").collect();
    assert_eq!(starts.len(), 2);
    for start in &starts {
        let context = start.answer["hookSpecificOutput"]["additionalContext"]
            .as_str()
            .expect("context");
        match str_of(&start.payload, "agent_type") {
            "coder" => {
                assert!(context.contains("your phase 1 of 2"), "{context}");
                assert!(!context.contains("phase 2"), "{context}");
            }
            "tester" => {
                assert!(context.contains("your phase 2 of 2 \"Test the parser\" (pending)"));
                assert!(
                    context.contains("Blocked by: phase 1 \"Implement the parser\" (in_progress).")
                );
                assert!(context.contains("From phase 1: key interfaces: parse(&str) -> Ast."));
                assert!(!context.contains("your phase 1"), "{context}");
            }
            other => panic!("unexpected agent {other}"),
        }
    }
    let ids: Vec<(String, String)> = starts
        .iter()
        .map(|s| {
            (
                str_of(&s.payload, "agent_id").to_string(),
                str_of(&s.payload, "agent_type").to_string(),
            )
        })
        .collect();
    let mut live: Vec<(String, String)> = Vec::new();
    replay("parallel", |world, _, step| {
        let id = str_of(&step.payload, "agent_id").to_string();
        match step.hook.as_str() {
            "before-agent" => {
                let agent = ids.iter().find(|(i, _)| *i == id).expect("known").clone();
                live.push(agent);
                live.sort();
            }
            // A blocked agent keeps its record; an allowed one loses it, the other's stays.
            "after-agent" if step.answer["decision"] != "block" => live.retain(|(i, _)| *i != id),
            _ => {}
        }
        if step.hook != "session-end" {
            assert_eq!(records(world, &sid), live, "after {} of {id}", step.hook);
        }
    });
}

#[test]
fn builtin_explore_is_let_through_with_its_answer() {
    let steps = scenario("builtin");
    let stop = steps
        .iter()
        .find(|s| s.hook == "after-agent")
        .expect("stop");
    assert_eq!(stop.payload["agent_type"], "Explore");
    assert!(
        !str_of(&stop.payload, "last_assistant_message").contains("## Task Report"),
        "Explore's answer has no handoff sections"
    );
    for step in &steps {
        assert_eq!(step.answer, json!({}), "{}", step.hook);
    }
    replay("builtin", |_, _, _| {});

    // Even a project that names Explore as a specialist never gets it blocked: a runtime's
    // built-in agent is no Maestro specialist, and is told nothing of the session.
    let world = world_of("builtin");
    let start = steps
        .iter()
        .find(|s| s.hook == "before-agent")
        .expect("start");
    let env = [("MAESTRO_SPECIALISTS", "explore")];
    assert_eq!(answer(&world, start, &env), json!({}));
    assert_eq!(answer(&world, stop, &env), json!({}));
}

/// Issue 16's regression: before any session exists, a specialist of Maestro's roster (the
/// recorded `coder`) is still blocked for an incomplete report, and its retry let through,
/// exactly as with a session; it is told nothing, there being no session.
#[test]
fn without_an_active_session_the_roster_is_still_blocked() {
    let world = World::new();
    for step in scenario("block-retry") {
        let got = answer(&world, &step, &[]);
        match step.hook.as_str() {
            "before-agent" => assert_eq!(got, json!({}), "{}", step.hook),
            "after-agent" => assert_eq!(got, step.answer, "{}", step.hook),
            _ => {}
        }
    }
}

#[test]
fn resume_starts_the_same_session_again() {
    let steps = scenario("resume");
    assert_eq!(steps[0].hook, "session-start");
    assert_eq!(steps[0].payload["source"], "resume");
    let first = scenario("block-retry");
    assert_eq!(
        steps[0].payload["session_id"], first[0].payload["session_id"],
        "--resume continues the recorded block-retry session"
    );
    replay("resume", |world, i, step| {
        let folder = world.hooks().join(str_of(&step.payload, "session_id"));
        if i == 0 {
            assert!(folder.is_dir(), "SessionStart with an active session");
        } else {
            assert!(!folder.exists(), "SessionEnd");
        }
    });
}
