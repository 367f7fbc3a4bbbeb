//! `maestro-session watch` and `maestro-session report` (issue 11, items 7 and 8) through the
//! built executable: a frame shows phases with a progress bar, the agents the hooks see,
//! tokens by agent and the latest events, fits 100 columns; `--json` streams events until
//! Ctrl-C; a closed reader ends the run with exit 0; the HTML report has one timeline row per
//! phase, escapes everything a session holds, loads nothing, and is written only where asked.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::io::Read;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use e2e_tests::{HANG_GUARD, Ran, Tree, World, interrupt, lines_of, next_line, wait_child};
use serde_json::Value;
use unicode_width::UnicodeWidthStr;

/// `maestro-session <args>` without `--json`.
fn human(world: &World, args: &[&str]) -> Ran {
    let ran = world.exec("maestro-session", args, b"");
    ran.assert_ok();
    ran
}

fn ok(world: &World, args: &[&str]) -> Value {
    let ran = world.maestro(args);
    ran.assert_ok();
    ran.json()
}

/// A session of three phases: 1 completed, 2 failed once (error `message`) and retried, 3
/// pending; tokens for two agents. Returns its id.
fn three_phases(world: &World, task: &str, message: &str) -> String {
    let created = ok(
        world,
        &[
            "create",
            task,
            "--phase",
            "design=architect",
            "--phase",
            "build=coder",
            "--phase",
            "ship=devops",
        ],
    );
    let id = created["session_id"]
        .as_str()
        .expect("session_id")
        .to_string();
    for args in [
        vec!["phase", "start", "active", "1"],
        vec!["phase", "complete", "active", "1"],
        vec!["phase", "start", "active", "2"],
        vec!["phase", "fail", "active", "2", "--message", message],
        vec!["phase", "retry", "active", "2"],
        vec![
            "tokens", "active", "--agent", "coder", "--input", "1200", "--output", "345",
            "--cached", "67",
        ],
        vec!["tokens", "active", "--agent", "architect", "--input", "800"],
    ] {
        ok(world, &args);
    }
    id
}

#[test]
fn watch_once_shows_phases_progress_agents_tokens_and_events() {
    let world = World::new();
    three_phases(&world, "Add a login page", "tests failed");
    // A runtime session of the hooks running the coder for the active session.
    let rt = world.hooks().join("rt-1");
    std::fs::create_dir_all(&rt).expect("mkdir");
    std::fs::write(rt.join("active-agent"), "coder").expect("write");

    let ran = human(&world, &["watch", "--once"]);
    let text = ran.stdout_text();
    assert!(!text.contains('\x1b'), "escape codes on a pipe:\n{text}");
    for want in [
        "task: Add a login page",
        "[##########--------------------] 1/3 phases",
        "PHASES",
        "design",
        "completed",
        "in_progress",
        "retries 1, errors 1 (1 open)",
        "ACTIVE AGENTS",
        "coder  active of runtime session rt-1",
        "TOKENS BY AGENT",
        "LATEST EVENTS",
        "phase retry",
        "tokens",
    ] {
        assert!(text.contains(want), "no {want:?} in\n{text}");
    }
    let coder = text
        .lines()
        .find(|l| l.trim_start().starts_with("coder ") && l.contains("1200"))
        .unwrap_or_else(|| panic!("no coder token row in\n{text}"));
    let numbers: Vec<&str> = coder.split_whitespace().skip(1).collect();
    assert_eq!(numbers, ["1200", "345", "67"], "{coder}");
    let total = text
        .lines()
        .find(|l| l.trim_start().starts_with("total"))
        .unwrap_or_else(|| panic!("no total in\n{text}"));
    assert_eq!(
        total.split_whitespace().collect::<Vec<_>>(),
        ["total", "2000", "345", "67"]
    );
}

#[test]
fn a_frame_fits_100_columns_with_a_long_cjk_task() {
    let world = World::new();
    let task = "实现一个非常长的任务名称用于测试宽字符截断是否正确工作".repeat(4);
    three_phases(&world, &task, &"错误".repeat(80));
    let text = human(&world, &["watch", "--once"]).stdout_text();
    assert!(text.contains("task: 实现"), "{text}");
    for line in text.lines() {
        assert!(line.width() <= 100, "{} columns: {line}", line.width());
    }
    assert!(
        text.lines().any(|l| l.ends_with('…')),
        "nothing was cut:\n{text}"
    );
}

#[test]
fn watch_of_an_archived_session_shows_its_final_state() {
    let world = World::new();
    let id = three_phases(&world, "Finished work", "boom");
    ok(&world, &["archive"]);
    let text = human(&world, &["watch", &id, "--once"]).stdout_text();
    assert!(text.contains("(archive)"), "{text}");
    assert!(text.contains("1/3 phases"), "{text}");
    assert!(text.contains("archive"), "{text}");
    let json = world.maestro(&["watch", &id, "--once"]);
    json.assert_ok();
    let first: Value =
        serde_json::from_str(json.stdout_text().lines().next().expect("a session line"))
            .expect("json");
    assert_eq!(first["type"], "session");
    assert_eq!(first["session"]["location"], "archive");
}

#[test]
fn watch_json_streams_events_and_ends_on_ctrl_c() {
    let world = World::new();
    ok(
        &world,
        &["create", "Streamed", "--phase", "one", "--phase", "two"],
    );
    let mut child = spawn(&world, &["--json", "watch"]);
    let lines = lines_of(&mut child);
    let first: Value = serde_json::from_str(&next_line(&lines)).expect("json line");
    assert_eq!(first["type"], "session", "{first}");
    assert_eq!(first["session"]["phases"][0]["status"], "pending");
    let created: Value = serde_json::from_str(&next_line(&lines)).expect("json line");
    assert_eq!(created["op"], "create", "{created}");
    // Give it time to start watching; a change before that is still found on the next one.
    std::thread::sleep(Duration::from_millis(300));
    ok(&world, &["phase", "start", "active", "1"]);
    let (mut saw_event, mut saw_session) = (false, false);
    let deadline = Instant::now() + HANG_GUARD;
    while !(saw_event && saw_session) {
        assert!(Instant::now() < deadline, "no event and session update");
        let line: Value = serde_json::from_str(&next_line(&lines)).expect("json line");
        if line["op"] == "phase start" {
            assert_eq!(line["actor"], "cli");
            saw_event = true;
        }
        if line["type"] == "session" && line["session"]["phases"][0]["status"] == "in_progress" {
            saw_session = true;
        }
    }
    let status = interrupt(&mut child, "watch did not end on Ctrl-C");
    assert_eq!(status.code(), Some(0), "{status:?}");
}

#[test]
fn watch_into_a_pipe_whose_reader_goes_away_exits_0() {
    let world = World::new();
    three_phases(&world, "Piped", "boom");
    let mut child = spawn(&world, &["watch"]);
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0u8; 64];
    let n = stdout.read(&mut first).expect("read the first frame");
    assert!(n > 0);
    drop(stdout);
    // The next change would find the pipe closed too; without one, watch must notice anyway.
    let status = wait_child(&mut child, "watch did not end when its reader went away");
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    assert_eq!(status.code(), Some(0), "{status:?} {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn report_draws_one_row_per_phase_with_errors_retries_and_tokens() {
    let world = World::new();
    let id = three_phases(
        &world,
        "Report me",
        "compile error in <img src=x onerror=alert(1)> & more",
    );
    let out_dir = world.project().join("out");
    std::fs::create_dir_all(&out_dir).expect("mkdir");
    let before = Tree::of(&world.project());
    let reply = ok(&world, &["report", &id, "--output", "out/r.html"]);
    let file = out_dir.join("r.html");
    let html = std::fs::read_to_string(&file).expect("the report");
    assert_eq!(reply["bytes"].as_u64(), Some(html.len() as u64));
    assert_eq!(
        reply["report"].as_str(),
        Some(file.to_string_lossy().as_ref())
    );
    // Written where asked and nowhere else.
    let added: Vec<String> = before
        .diff(&Tree::of(&world.project()))
        .into_iter()
        .map(|d| d.split(':').next().unwrap_or_default().to_string())
        .collect();
    assert_eq!(added, ["added out/r.html"]);

    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_eq!(html.matches("<g class=\"phase\"").count(), 3, "{html}");
    assert_eq!(html.matches("<rect class=\"bar ").count(), 2, "{html}");
    assert!(html.contains("class=\"err\""));
    assert!(html.contains("↻1"));
    assert!(
        html.contains("compile error in &lt;img src=x onerror=alert(1)&gt; &amp; more"),
        "{html}"
    );
    assert!(!html.contains("<img"), "{html}");
    for agent in ["<td>coder</td>", "<td>architect</td>"] {
        assert!(html.contains(agent), "no {agent}");
    }
    assert!(html.contains("<td class=\"n\">1200</td>"));
    assert!(html.contains("phase retry"), "event counts");
    for banned in ["http://", "https://", "<script", "<link", "@import", "url("] {
        assert!(!html.contains(banned), "{banned} in the report");
    }
}

#[test]
fn report_escapes_a_hostile_task() {
    let world = World::new();
    let id = three_phases(&world, "<script>alert(1)</script>", "x");
    let html = human(&world, &["report", &id]).stdout_text();
    assert!(!html.contains("<script"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    let json = ok(&world, &["report", &id]);
    assert_eq!(json["report"], "-");
    assert_eq!(
        json["html"].as_str().map(str::len),
        json["bytes"].as_u64().map(|n| n as usize)
    );
}

#[test]
fn report_does_not_overwrite_without_force() {
    let world = World::new();
    let id = three_phases(&world, "Twice", "x");
    let file = world.project().join("r.html");
    std::fs::write(&file, "mine").expect("write");
    let refused = world.maestro(&["report", &id, "--output", "r.html"]);
    refused.assert_code(1);
    assert_eq!(std::fs::read_to_string(&file).expect("read"), "mine");
    ok(&world, &["report", &id, "--output", "r.html", "--force"]);
    assert!(
        std::fs::read_to_string(&file)
            .expect("read")
            .contains("Twice")
    );
}

fn spawn(world: &World, args: &[&str]) -> Child {
    let mut cmd = world.cmd("maestro-session");
    cmd.args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(Stdio::null());
    cmd.spawn().expect("spawn watch")
}
