//! Team sessions (issue 19) over the built executables, with real tmux (on a socket of the
//! test's own) and real git: the record, name validation, a killed tmux server that forgets
//! nothing, SessionStart capturing a member's runtime session id, cleanup that refuses a dirty
//! worktree, unpushed commits and a live process, and a removal interrupted midway that the next
//! cleanup completes. Skipped, saying so, where tmux is not installed.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::path::{Path, PathBuf};
use std::process::Command;

use e2e_tests::{Ran, World, maestro, maestro_ok, maestro_refused};
use serde_json::Value;

fn have_tmux() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A world whose project is a real git repository with one commit, and a tmux socket of its
/// own (its server killed on drop).
struct TeamWorld {
    world: World,
}

impl Drop for TeamWorld {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-S"])
            .arg(self.socket())
            .arg("kill-server")
            .output();
    }
}

impl TeamWorld {
    fn new() -> TeamWorld {
        let world = World::new();
        let t = TeamWorld { world };
        t.git(&t.world.project(), &["init", "-q", "-b", "main"]);
        t.git(
            &t.world.project(),
            &["commit", "-q", "--allow-empty", "-m", "init"],
        );
        maestro_ok(&t.world, &["init"]);
        t
    }

    fn socket(&self) -> PathBuf {
        self.world.root().join("tmp/tmux.sock")
    }

    fn git(&self, dir: &Path, args: &[&str]) -> String {
        let mut c = Command::new("git");
        self.world.configure(&mut c);
        let out = c
            .current_dir(dir)
            .args(["-c", "user.name=t", "-c", "user.email=t@t"])
            .args(args)
            .output()
            .expect("git");
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn team(&self, args: &[&str]) -> Ran {
        let mut cmd = self.world.cmd("maestro-session");
        cmd.env("MAESTRO_TMUX_SOCKET", self.socket())
            .arg("--json")
            .arg("team")
            .args(args);
        Ran::of(cmd, b"")
    }

    fn record(&self, name: &str) -> Value {
        let p = self.world.state().join(format!("teams/{name}.json"));
        serde_json::from_slice(&std::fs::read(&p).expect("record")).expect("json")
    }

    fn worktree(&self, team: &str, role: &str) -> PathBuf {
        self.world
            .root()
            .join(format!("proj.worktrees/{team}-{role}"))
    }

    fn kill_tmux_server(&self) {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(self.socket())
            .args(["display-message", "-p", "#{pid}"])
            .output()
            .expect("tmux");
        let pid = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(!pid.is_empty(), "no tmux server: {out:?}");
        let status = Command::new("kill")
            .args(["-9", &pid])
            .status()
            .expect("kill");
        assert!(status.success());
        // The socket stays; the server is gone once it no longer answers.
        for _ in 0..50 {
            if !Command::new("tmux")
                .arg("-S")
                .arg(self.socket())
                .arg("ls")
                .output()
                .is_ok_and(|o| o.status.success())
            {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("the tmux server still answers");
    }

    fn states(&self, name: &str) -> Vec<String> {
        let ran = self.team(&["health", name]);
        ran.json()["members"]
            .as_array()
            .expect("members")
            .iter()
            .map(|m| m["state"].as_str().unwrap_or_default().to_string())
            .collect()
    }
}

const SLEEPER: &str = "command:sleep 600";

#[test]
fn team_and_role_names_are_refused_clearly_and_nothing_is_written() {
    let t = TeamWorld::new();
    for (args, want) in [
        (
            vec!["create", "my team", "--member", "a=claude"],
            "contains ' '",
        ),
        (
            vec!["create", "../x", "--member", "a=claude"],
            "contains '.'",
        ),
        (vec!["create", "-x", "--member", "a=claude"], ""),
        (
            vec!["create", "ok", "--member", "a b=claude"],
            r#"role \"a b\""#,
        ),
        (vec!["create", "ok", "--member", "lead=cursor"], "unknown"),
        (vec!["create", "ok", "--member", "lead"], "not role=runtime"),
        (
            vec![
                "create", "ok", "--member", "a=claude", "--member", "a=codex",
            ],
            "given twice",
        ),
        (vec!["health", "no/such"], "contains '/'"),
    ] {
        let mut full = vec!["team"];
        full.extend(args.iter().copied());
        let (code, _, stderr) = maestro(&t.world, &full);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(want), "{args:?}: want {want:?} in {stderr}");
    }
    assert!(!t.world.state().join("teams/ok.json").exists());
    maestro_refused(
        &t.world,
        &["team", "health", "nosuch"],
        1,
        "teams here: none",
    );
}

#[test]
fn a_killed_tmux_server_forgets_no_member_and_resume_restarts_them() {
    if !have_tmux() {
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let t = TeamWorld::new();
    t.team(&[
        "create",
        "rev",
        "--member",
        &format!("lead={SLEEPER}"),
        "--member",
        &format!("coder={SLEEPER}"),
    ])
    .assert_ok();
    let rec = t.record("rev");
    assert_eq!(rec["members"].as_array().map(Vec::len), Some(2));
    assert_eq!(rec["members"][0]["branch"], "team/rev/lead");
    assert!(t.worktree("rev", "lead").join(".git").exists());
    assert_eq!(t.states("rev"), ["running", "running"]);

    t.kill_tmux_server();
    // The probe fails: reported missing, exit 1, and the record is byte for byte the same.
    let before = std::fs::read(t.world.state().join("teams/rev.json")).expect("record");
    let ran = t.team(&["health", "rev"]);
    ran.assert_code(1);
    assert_eq!(ran.json()["worst"], "missing");
    t.team(&["list", "--verbose"]).assert_ok();
    let after = std::fs::read(t.world.state().join("teams/rev.json")).expect("record");
    assert_eq!(before, after, "a failed probe changed the record");

    let ran = t.team(&["resume", "rev"]);
    ran.assert_ok();
    assert_eq!(t.states("rev"), ["running", "running"]);
    // A second resume leaves running windows alone.
    let again = t.team(&["resume", "rev"]);
    assert_eq!(again.json()["done"], serde_json::json!([]));

    t.team(&["stop", "rev"]).assert_ok();
    assert_eq!(t.states("rev"), ["stopped", "stopped"]);
    assert_eq!(t.record("rev")["members"].as_array().map(Vec::len), Some(2));
    // An existing team is not replaced without --force.
    let (code, _, stderr) = maestro(&t.world, &["team", "create", "rev", "--member", "x=claude"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("it exists"), "{stderr}");
    let events =
        std::fs::read_to_string(t.world.state().join("teams/rev.events.jsonl")).expect("log");
    let ops: Vec<String> = events
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).expect("line")["op"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert_eq!(ops.first().map(String::as_str), Some("create"), "{ops:?}");
    assert!(ops.contains(&"stop".to_string()), "{ops:?}");
}

#[test]
fn session_start_records_a_members_runtime_session_id_and_nothing_otherwise() {
    let t = TeamWorld::new();
    if !have_tmux() {
        eprintln!("skipped: tmux is not installed");
        return;
    }
    t.team(&[
        "create",
        "cap",
        "--no-worktrees",
        "--member",
        &format!("coder={SLEEPER}"),
    ])
    .assert_ok();
    assert_eq!(
        t.record("cap")["members"][0]["runtime_session_id"],
        Value::Null
    );
    let payload = |id: &str| {
        format!(
            "{{\"session_id\":\"{id}\",\"transcript_path\":\"/x\",\"cwd\":\"{}\",\"hook_event_name\":\"SessionStart\",\"source\":\"startup\"}}",
            t.world.project().display()
        )
    };
    // Not a member: the team record is not touched.
    let before = std::fs::read(t.world.state().join("teams/cap.json")).expect("record");
    let mut cmd = t.world.cmd("session-start");
    cmd.args(["--runtime", "codex"]);
    Ran::of(cmd, payload("thread-0").as_bytes()).assert_ok();
    assert_eq!(
        before,
        std::fs::read(t.world.state().join("teams/cap.json")).expect("record")
    );

    // A member, run from another folder (its worktree): the id lands in the team's record.
    let elsewhere = t.world.outside();
    let mut cmd = t.world.cmd("session-start");
    cmd.args(["--runtime", "codex"])
        .current_dir(&elsewhere)
        .env("MAESTRO_TEAM_MEMBER", "cap/coder")
        .env("MAESTRO_TEAM_PROJECT", t.world.project())
        .env("MAESTRO_TEAM_STATE_DIR", "docs/maestro");
    Ran::of(cmd, payload("019a-thread-1").as_bytes()).assert_ok();
    let m = &t.record("cap")["members"][0];
    assert_eq!(m["runtime_session_id"], "019a-thread-1");
    assert!(m["last_activity"].is_string());

    // A state dir outside the project, or a member the team lacks: refused, record unchanged.
    let before = std::fs::read(t.world.state().join("teams/cap.json")).expect("record");
    for (member, state_dir) in [("cap/coder", "../outside"), ("cap/nobody", "docs/maestro")] {
        let log = t.world.root().join("hook.log");
        let mut cmd = t.world.cmd("session-start");
        cmd.args(["--runtime", "codex"])
            .env("MAESTRO_HOOK_LOG", &log)
            .env("MAESTRO_TEAM_MEMBER", member)
            .env("MAESTRO_TEAM_PROJECT", t.world.project())
            .env("MAESTRO_TEAM_STATE_DIR", state_dir);
        Ran::of(cmd, payload("evil").as_bytes()).assert_ok();
        let said = std::fs::read_to_string(&log).unwrap_or_default();
        let last = said.lines().last().unwrap_or_default();
        assert!(
            last.contains("team member"),
            "{member} {state_dir}: the hook says why: {said}"
        );
    }
    assert_eq!(
        before,
        std::fs::read(t.world.state().join("teams/cap.json")).expect("record")
    );
}

#[test]
fn cleanup_never_removes_a_dirty_worktree_unpushed_commits_or_a_live_process() {
    if !have_tmux() {
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let t = TeamWorld::new();
    t.team(&["create", "cl", "--member", &format!("a={SLEEPER}")])
        .assert_ok();
    t.team(&["stop", "cl"]).assert_ok();
    let wt = t.worktree("cl", "a");

    // 1. An untracked file.
    std::fs::write(wt.join("notes.txt"), "work").expect("write");
    let ran = t.team(&["cleanup", "--remove", "cl"]);
    ran.assert_code(1);
    assert!(
        ran.stdout_text().contains("untracked"),
        "{}",
        ran.stdout_text()
    );
    assert!(wt.join("notes.txt").exists());
    assert!(
        t.record("cl")["removal"].is_null(),
        "refused before anything was done"
    );
    std::fs::remove_file(wt.join("notes.txt")).expect("rm");

    // 2. A commit on no other branch.
    t.git(&wt, &["commit", "-q", "--allow-empty", "-m", "member work"]);
    let ran = t.team(&["cleanup", "--remove", "cl"]);
    ran.assert_code(1);
    assert!(
        ran.stdout_text().contains("on no other branch"),
        "{}",
        ran.stdout_text()
    );
    assert!(wt.exists());
    t.git(&wt, &["reset", "-q", "--hard", "HEAD~1"]);

    // 3. A live process working in it (not ours: not in a team window).
    let mut live = Command::new("sleep")
        .arg("600")
        .current_dir(&wt)
        .spawn()
        .expect("sleep");
    let ran = t.team(&["cleanup", "--remove", "cl"]);
    let _ = live.kill();
    let _ = live.wait();
    ran.assert_code(1);
    assert!(
        ran.stdout_text().contains("live process"),
        "{}",
        ran.stdout_text()
    );
    assert!(wt.exists(), "a worktree with a live process was removed");
    // The removal stopped with its steps kept; the record still names the worktree.
    let rec = t.record("cl");
    assert!(
        rec["removal"]["steps"]
            .as_array()
            .is_some_and(|s| !s.is_empty()),
        "{rec}"
    );
    let ran = maestro(&t.world, &["doctor"]);
    assert_eq!(ran.0, 1, "doctor reports the half-done removal: {}", ran.1);
    assert!(ran.1.to_string().contains("team_record"), "{}", ran.1);

    // Clean now: the pending removal completes with a plain `cleanup`.
    let ran = t.team(&["cleanup"]);
    ran.assert_ok();
    assert!(!wt.exists());
    assert!(!t.world.state().join("teams/cl.json").exists());
    let branches = t.git(&t.world.project(), &["branch", "--list", "team/*"]);
    assert_eq!(branches.trim(), "", "the merged branch we made is gone");
}

#[test]
fn doctor_reports_a_damaged_team_record_and_nothing_overwrites_it() {
    let t = TeamWorld::new();
    let dir = t.world.state().join("teams");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("bad.json"), b"{not json").expect("write");
    std::fs::write(
        dir.join("other.json"),
        serde_json::to_vec(&serde_json::json!({
            "version": 1, "name": "someone-else", "project_root": "/", "tmux_session": "x",
            "created": "", "updated": "", "members": []
        }))
        .expect("json"),
    )
    .expect("write");
    let (code, report, _) = maestro(&t.world, &["doctor", "--fix"]);
    assert_eq!(code, 1, "{report}");
    let text = report.to_string();
    assert!(text.contains("teams/bad.json"), "{text}");
    assert!(text.contains("holds team \\\"someone-else\\\""), "{text}");
    let (code, _, stderr) = maestro(&t.world, &["team", "create", "bad", "--member", "a=claude"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("does not parse"), "{stderr}");
    assert_eq!(
        std::fs::read(dir.join("bad.json")).expect("kept"),
        b"{not json"
    );
    let ran = t.team(&["list"]);
    ran.assert_ok();
    assert_eq!(ran.json()["unreadable"].as_array().map(Vec::len), Some(2));
}

#[test]
fn watch_report_and_the_mcp_tool_show_a_team_and_the_phase_each_member_is_on() {
    if !have_tmux() {
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let t = TeamWorld::new();
    let id = t.world.create(
        "Build the parser",
        &[
            "--phase",
            "Write the parser=coder",
            "--phase",
            "Test it=tester",
        ],
    );
    maestro_ok(&t.world, &["phase", "start", "active", "1"]);
    t.team(&[
        "create",
        "pair",
        "--no-worktrees",
        "--session",
        "active",
        "--member",
        &format!("coder={SLEEPER}"),
        "--member",
        &format!("tester={SLEEPER}"),
    ])
    .assert_ok();
    assert_eq!(t.record("pair")["session"], id.as_str());

    let mut cmd = t.world.cmd("maestro-session");
    cmd.env("MAESTRO_TMUX_SOCKET", t.socket())
        .args(["report", "active"]);
    let ran = Ran::of(cmd, b"");
    ran.assert_ok();
    let html = ran.stdout_text();
    assert!(html.contains("<h2>Team pair</h2>"), "{html}");
    assert!(
        html.contains("<td>coder</td><td>command:sleep 600</td><td>running</td><td>1 Write the parser (in_progress)</td>"),
        "{html}"
    );
    assert!(
        html.contains("<td>tester</td>") && html.contains("<td>-</td>"),
        "{html}"
    );

    // The MCP tool, as a lead model would ask.
    let lines = [
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#,
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_team_status","arguments":{"name":"pair"}}}"#,
        r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"get_team_status","arguments":{"name":"no such"}}}"#,
    ];
    let mut cmd = t.world.cmd("maestro-session");
    cmd.env("MAESTRO_TMUX_SOCKET", t.socket()).arg("mcp");
    let ran = Ran::of(cmd, (lines.join("\n") + "\n").as_bytes());
    ran.assert_ok();
    let answers: Vec<Value> = ran
        .stdout_text()
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    let text = |id: u64| -> (bool, Value) {
        let a = answers.iter().find(|a| a["id"] == id).expect("answer");
        let r = &a["result"];
        (
            r["isError"] == true,
            serde_json::from_str(r["content"][0]["text"].as_str().expect("text")).expect("json"),
        )
    };
    let (is_error, v) = text(2);
    assert!(!is_error, "{v}");
    let m = &v["teams"][0]["members"][0];
    assert_eq!(m["role"], "coder");
    assert_eq!(m["state"], "running");
    assert_eq!(m["phase"], "1 Write the parser (in_progress)");
    assert!(
        !v.to_string()
            .contains(&t.world.root().display().to_string()),
        "no absolute path of the world: {v}"
    );
    let (is_error, v) = text(3);
    assert!(is_error, "{v}");
    assert!(v.to_string().contains("contains ' '"), "{v}");
}
