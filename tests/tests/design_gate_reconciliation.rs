//! Attacks on the design gate and phase reconciliation (issue 16 item 5): the sidecar
//! `state/<id>.design-gate.json` symlinked out of the project, another session's sidecar,
//! a huge sidecar and a FIFO, ids that could name paths, `reconcile_phase` with a phase that
//! does not exist or files outside the project, `scan_phase_changes` without git, outside a
//! repository, in a repository whose config runs a program, and with a symlink out of the
//! project; `write-state` writing a sidecar; `doctor` and `export` over sidecars. Each hashes
//! what lies outside the project before and after ([`World::watch`]).
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::path::Path;
use std::process::{Command, Stdio};

use e2e_tests::mcp_client::McpClient;
use e2e_tests::{World, maestro, maestro_ok, run, stderr_lines};
use serde_json::{Value, json};

fn server(world: &World) -> McpClient {
    let mut cmd = world.cmd("maestro-session");
    cmd.arg("mcp")
        .env("MAESTRO_WORKSPACE_PATH", world.project());
    let mut client = McpClient::start(cmd);
    client.forbidden = Some(world.root().to_string_lossy().into_owned());
    client
}

fn create(id: &str) -> Value {
    json!({"session_id": id, "task": format!("task of {id}"),
           "phases": [{"id": 1, "name": "P1", "agent": "coder", "parallel": false, "blocked_by": []}]})
}

fn gate_path(world: &World, id: &str) -> std::path::PathBuf {
    world.state().join(format!("{id}.design-gate.json"))
}

/// An approved gate for `id` as Maestro writes it, naming `doc`.
fn approved_gate(id: &str, doc: &str) -> String {
    json!({"session_id": id, "entered_at": "2026-12-01T10:00:00.000Z",
           "approved_at": "2026-12-01T10:05:00.000Z", "design_document_path": doc})
    .to_string()
}

fn git(dir: &Path, home: &Path, args: &[&str]) -> bool {
    Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn a_sidecar_symlinked_out_of_the_project_is_never_read_nor_written_through() {
    let w = World::new();
    std::fs::create_dir_all(w.state()).expect("mkdir");
    let target = w.outside().join("gate.json");
    std::fs::write(&target, approved_gate("s1", "SECRET-MARKER.md")).expect("write");
    std::os::unix::fs::symlink(&target, gate_path(&w, "s1")).expect("symlink");
    let watch = w.watch();
    let mut c = server(&w);
    for (tool, args) in [
        ("get_design_gate_status", json!({"session_id": "s1"})),
        ("enter_design_gate", json!({"session_id": "s1"})),
        (
            "record_design_approval",
            json!({"session_id": "s1", "design_document_content": "# D\n",
                   "design_document_filename": "d.md"}),
        ),
        ("create_session", create("s1")),
    ] {
        let e = c.err(tool, args);
        assert_eq!(e["code"], "IO_ERROR", "{tool}: {e}");
        let text = e.to_string();
        assert!(
            text.contains("symlink") && text.contains("doctor --fix"),
            "{tool}: {text}"
        );
        assert!(
            !text.contains("SECRET-MARKER"),
            "{tool} quoted the outside file: {text}"
        );
    }
    assert!(
        !w.project().join("docs/maestro/plans/d.md").exists(),
        "nothing half done"
    );
    // Another session is not held up by an unreadable gate of another id.
    c.ok("create_session", create("s2"));
    drop(c);
    assert!(
        std::fs::symlink_metadata(gate_path(&w, "s1")).is_ok_and(|m| m.file_type().is_symlink()),
        "the link itself is left for doctor"
    );
    let (code, report, _) = maestro(&w, &["doctor"]);
    assert_ne!(code, 0, "a problem found");
    let text = report.to_string();
    assert!(
        text.contains("design_gate") && text.contains("s1.design-gate.json"),
        "{text}"
    );
    maestro_ok(&w, &["doctor", "--fix"]);
    assert!(
        std::fs::symlink_metadata(gate_path(&w, "s1")).is_err(),
        "moved to quarantine"
    );
    watch.check(&w);
    assert_eq!(
        std::fs::read_to_string(&target).expect("target"),
        approved_gate("s1", "SECRET-MARKER.md"),
        "the link's target is untouched"
    );
}

#[test]
fn a_sidecar_of_another_session_never_approves_and_is_never_overwritten() {
    let w = World::new();
    std::fs::create_dir_all(w.project().join("docs")).expect("mkdir");
    std::fs::write(w.project().join("docs/design.md"), "# Design\n").expect("write");
    let mut c = server(&w);
    c.ok("enter_design_gate", json!({"session_id": "real"}));
    c.ok(
        "record_design_approval",
        json!({"session_id": "real", "design_document_path": "docs/design.md"}),
    );
    // The approved sidecar of `real`, copied under the name of `copied`.
    let bytes = std::fs::read(gate_path(&w, "real")).expect("gate");
    std::fs::write(gate_path(&w, "copied"), &bytes).expect("copy");
    let watch = w.watch();
    let e = c.err("create_session", create("copied"));
    assert_eq!(e["code"], "IO_ERROR", "{e}");
    assert!(
        e["error"]
            .as_str()
            .is_some_and(|m| m.contains("holds session \"real\"")),
        "{e}"
    );
    let e = c.err("enter_design_gate", json!({"session_id": "copied"}));
    assert_eq!(e["code"], "IO_ERROR");
    assert_eq!(std::fs::read(gate_path(&w, "copied")).expect("kept"), bytes);
    assert!(!w.state().join("active-session.md").exists());
    // The approval stays `real`'s, and only `real`'s.
    c.ok("create_session", create("real"));
    drop(c);
    watch.check(&w);
}

#[test]
fn a_huge_or_fifo_sidecar_is_refused_without_reading_it() {
    let w = World::new();
    std::fs::create_dir_all(w.state()).expect("mkdir");
    let huge = std::fs::File::create(gate_path(&w, "huge")).expect("create");
    huge.set_len(4 << 30).expect("sparse 4 GiB");
    let fifo = gate_path(&w, "fifo");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    let mut c = server(&w);
    let e = c.err("get_design_gate_status", json!({"session_id": "huge"}));
    assert_eq!(e["code"], "IO_ERROR");
    assert!(
        e["error"]
            .as_str()
            .is_some_and(|m| m.contains("65536-byte limit")),
        "{e}"
    );
    let e = c.err("create_session", create("huge"));
    assert_eq!(e["code"], "IO_ERROR");
    if made {
        // Answered at once (the client's hang guard would fail the test otherwise).
        for tool in ["get_design_gate_status", "enter_design_gate"] {
            let e = c.err(tool, json!({"session_id": "fifo"}));
            assert_eq!(e["code"], "IO_ERROR", "{tool}: {e}");
            assert!(
                e["error"].as_str().is_some_and(|m| m.contains("FIFO")),
                "{e}"
            );
        }
    } else {
        eprintln!("mkfifo is missing: the FIFO half is not run");
    }
    // Other ids are not held up by them.
    c.ok("enter_design_gate", json!({"session_id": "fine"}));
}

#[test]
fn an_approval_by_content_never_writes_through_a_symlink_in_plans() {
    let w = World::new();
    let outside = w.outside();
    std::fs::write(outside.join("victim.md"), "outside bytes").expect("write");
    let plans = w.project().join("docs/maestro/plans");
    std::fs::create_dir_all(&plans).expect("mkdir");
    std::os::unix::fs::symlink(outside.join("victim.md"), plans.join("design.md")).expect("link");
    let watch = w.watch();
    let mut c = server(&w);
    let e = c.err(
        "record_design_approval",
        json!({"session_id": "s1", "design_document_content": "# Mine\n",
               "design_document_filename": "design.md"}),
    );
    assert_eq!(e["code"], "IO_ERROR", "{e}");
    assert!(!gate_path(&w, "s1").exists(), "no approval recorded");
    drop(c);
    // The whole plans folder symlinked out of the project: refused as a way out.
    std::fs::remove_file(plans.join("design.md")).expect("rm");
    std::fs::remove_dir_all(&plans).expect("rm -r");
    std::os::unix::fs::symlink(&outside, &plans).expect("link");
    let mut c = server(&w);
    let e = c.err(
        "record_design_approval",
        json!({"session_id": "s1", "design_document_content": "# Mine\n",
               "design_document_filename": "other.md"}),
    );
    assert!(
        ["PATH_REFUSED", "IO_ERROR"].contains(&e["code"].as_str().unwrap_or_default()),
        "{e}"
    );
    drop(c);
    assert!(
        !outside.join("other.md").exists(),
        "written through the link"
    );
    watch.check(&w);
}

#[test]
fn ids_that_could_name_paths_never_reach_the_file_system() {
    let w = World::new();
    let outside = w.outside();
    let watch = w.watch();
    let mut c = server(&w);
    let long = "x".repeat(129);
    for id in [
        "../escape",
        "a/b",
        "x.design-gate",
        "",
        long.as_str(),
        "a\u{0}b",
        "é",
    ] {
        for tool in ["enter_design_gate", "get_design_gate_status"] {
            let e = c.err(tool, json!({"session_id": id}));
            assert_eq!(e["code"], "VALIDATION_ERROR", "{tool} {id:?}: {e}");
        }
    }
    let e = c.err("enter_design_gate", json!({"session_id": "active"}));
    assert_eq!(
        e["code"], "NOT_FOUND",
        "no active session for the keyword: {e}"
    );
    let e = c.err(
        "record_design_approval",
        json!({"session_id": "s", "design_document_path": "../../outside/design.md"}),
    );
    assert_eq!(e["code"], "PATH_REFUSED");
    let e = c.err(
        "record_design_approval",
        json!({"session_id": "s", "design_document_path": outside.join("design.md")}),
    );
    assert_eq!(e["code"], "PATH_REFUSED");
    for name in [
        "../../outside/x.md",
        "/tmp/x.md",
        ".hidden.md",
        "x.sh",
        "a\\..\\b.md",
    ] {
        let e = c.err(
            "record_design_approval",
            json!({"session_id": "s", "design_document_content": "# D\n",
                   "design_document_filename": name}),
        );
        assert_eq!(e["code"], "VALIDATION_ERROR", "{name}: {e}");
    }
    drop(c);
    let names: Vec<String> = std::fs::read_dir(w.state())
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".design-gate.json"))
                .collect()
        })
        .unwrap_or_default();
    assert!(names.is_empty(), "no gate was written: {names:?}");
    watch.check(&w);
}

#[test]
fn reconcile_phase_with_a_missing_phase_or_outside_files_changes_nothing() {
    let w = World::new();
    let mut c = server(&w);
    c.ok("create_session", create("r1"));
    c.ok(
        "transition_phase",
        json!({"session_id": "r1", "completed_phase_id": 1, "downstream_context": {}}),
    );
    let outside = w.outside();
    let watch = w.watch();
    for (phase, files) in [
        (json!(99), json!(["src/a.rs"])),
        (json!("phase-that-is-not"), json!(["src/a.rs"])),
        (json!(1), json!(["/etc/passwd"])),
        (json!(1), json!(["../outside/a.rs"])),
        (json!(1), json!(["src/\u{0}a.rs"])),
        (json!(1), json!([outside.join("a.rs")])),
    ] {
        let e = c.err(
            "reconcile_phase",
            json!({"session_id": "r1", "phase_id": phase, "files_created": files}),
        );
        let code = e["code"].as_str().unwrap_or_default();
        assert!(
            ["NOT_FOUND", "PATH_REFUSED"].contains(&code),
            "{phase} {files}: {e}"
        );
    }
    for bad in [
        json!(-1),
        json!(1.5),
        json!(""),
        json!(null),
        json!([1]),
        json!({"id": 1}),
    ] {
        let e = c.err(
            "reconcile_phase",
            json!({"session_id": "r1", "phase_id": bad, "files_created": ["a.rs"]}),
        );
        assert_eq!(e["code"], "VALIDATION_ERROR", "{bad}: {e}");
    }
    let e = c.err(
        "reconcile_phase",
        json!({"session_id": "r1", "phase_id": 1, "files_created": ["a.rs"],
               "downstream_context": {"secrets": ["x"]}}),
    );
    assert_eq!(
        e["code"], "VALIDATION_ERROR",
        "unknown context keys are named: {e}"
    );
    drop(c);
    watch.assert_sessions_unchanged(&w);
    watch.check(&w);
    let (_, shown, _) = maestro(&w, &["show", "r1"]);
    assert_eq!(
        shown["phases"][0]["requires_reconciliation"], true,
        "still marked"
    );
}

/// Makes the world's project no git work tree for git.
fn not_a_work_tree(world: &World) {
    // git takes a folder for a repository only when its HEAD is a ref or an object id; the
    // project-root walk does not read HEAD (see workspace::repo_root).
    std::fs::write(world.project().join(".git/HEAD"), "not a ref\n").expect("HEAD");
}

/// A session with phase 1 started, a new file written after, in `world`.
fn started_with_a_new_file(world: &World, c: &mut McpClient) {
    c.ok("create_session", create("scan"));
    std::fs::create_dir_all(world.project().join("src")).expect("mkdir");
    std::fs::write(world.project().join("src/new.rs"), "new").expect("write");
}

#[test]
fn scan_without_git_or_outside_a_repository_walks_the_files_and_says_why() {
    // Not a work tree: git does not take the world's `.git` for a repository.
    let w = World::new();
    not_a_work_tree(&w);
    let mut c = server(&w);
    started_with_a_new_file(&w, &mut c);
    let scan = c.ok(
        "scan_phase_changes",
        json!({"session_id": "scan", "phase_id": 1}),
    );
    assert_eq!(scan["source"], "files");
    assert!(
        scan["note"]
            .as_str()
            .is_some_and(|n| n.contains("not a git work tree")),
        "{scan}"
    );
    assert_eq!(scan["candidates"]["created"], json!(["src/new.rs"]));
    drop(c);

    // No git program: PATH holds nothing.
    let w = World::new();
    let empty = w.root().join("empty-bin");
    std::fs::create_dir_all(&empty).expect("mkdir");
    let mut cmd = w.cmd("maestro-session");
    cmd.arg("mcp")
        .env("MAESTRO_WORKSPACE_PATH", w.project())
        .env("PATH", &empty);
    let mut c = McpClient::start(cmd);
    started_with_a_new_file(&w, &mut c);
    let scan = c.ok(
        "scan_phase_changes",
        json!({"session_id": "scan", "phase_id": 1}),
    );
    assert_eq!(scan["source"], "files");
    assert!(
        scan["note"]
            .as_str()
            .is_some_and(|n| n.contains("git cannot be run")),
        "{scan}"
    );
    assert_eq!(scan["candidates"]["created"], json!(["src/new.rs"]));
}

#[test]
fn scan_runs_no_program_of_the_repository_and_follows_no_link_out() {
    let w = World::new();
    let home = w.root().join("home");
    if !git(&w.project(), &home, &["init", "-q"]) {
        eprintln!("skipped: git cannot run here");
        return;
    }
    let marker = w.outside().join("fsmonitor-ran");
    let hook = w.outside().join("hook.sh");
    std::fs::write(&hook, format!("#!/bin/sh\ntouch '{}'\n", marker.display())).expect("write");
    Command::new("chmod")
        .arg("+x")
        .arg(&hook)
        .status()
        .expect("chmod");
    let config = w.project().join(".git/config");
    let mut text = std::fs::read_to_string(&config).expect("config");
    text.push_str(&format!("[core]\n\tfsmonitor = {}\n", hook.display()));
    std::fs::write(&config, text).expect("write");
    // The control: plain `git status` runs the configured program.
    let ran_plain = git(&w.project(), &home, &["status", "--porcelain"]) && marker.exists();
    let _ = std::fs::remove_file(&marker);
    let secret_dir = w.outside().join("secrets");
    std::fs::create_dir_all(&secret_dir).expect("mkdir");
    std::fs::write(secret_dir.join("key.pem"), "outside").expect("write");
    std::os::unix::fs::symlink(&secret_dir, w.project().join("linked")).expect("symlink");
    let watch = w.watch();
    let mut c = server(&w);
    started_with_a_new_file(&w, &mut c);
    let scan = c.ok(
        "scan_phase_changes",
        json!({"session_id": "scan", "phase_id": 1}),
    );
    assert_eq!(scan["source"], "git", "{scan}");
    assert!(!marker.exists(), "the repository's fsmonitor program ran");
    let all: Vec<String> = ["created", "modified", "deleted"]
        .iter()
        .flat_map(|k| {
            scan["candidates"][k]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    assert!(all.contains(&"src/new.rs".to_string()), "{scan}");
    assert!(
        !all.iter().any(|p| p.starts_with("linked/")),
        "nothing behind the link: {all:?}"
    );
    drop(c);
    watch.check(&w);
    if !ran_plain {
        eprintln!(
            "note: this git does not run core.fsmonitor for plain status; the control is void"
        );
    }
}

#[test]
fn write_state_refuses_a_design_gate_sidecar() {
    let w = World::new();
    std::fs::create_dir_all(w.state()).expect("mkdir");
    let watch = w.watch();
    for rel in [
        "docs/maestro/state/s1.design-gate.json",
        "docs/maestro/state/active.design-gate.json",
    ] {
        let mut cmd = w.cmd("write-state");
        cmd.arg(rel);
        let out = run(cmd, approved_gate("s1", "docs/design.md").as_bytes());
        assert_eq!(out.status.code(), Some(1), "{rel}");
        let err = stderr_lines(&out).join("\n");
        assert!(err.contains("belongs to maestro-session"), "{err}");
        assert!(!w.project().join(rel).exists(), "{rel} written");
    }
    watch.check(&w);
}

#[test]
fn export_says_why_the_gate_stays_behind() {
    let w = World::new();
    let mut c = server(&w);
    c.ok("enter_design_gate", json!({"session_id": "g1"}));
    c.ok(
        "record_design_approval",
        json!({"session_id": "g1", "design_document_content": "# D\n",
               "design_document_filename": "g1.md"}),
    );
    c.ok("create_session", create("g1"));
    drop(c);
    let out = w.exec("maestro-session", &["export", "g1"], b"");
    out.assert_ok();
    let doc: Value = serde_json::from_str(&out.stdout_text()).expect("export json");
    let skipped = doc["skipped"].to_string();
    assert!(
        skipped.contains("design gate state/g1.design-gate.json"),
        "{skipped}"
    );
    assert_eq!(
        doc["plans"][0]["name"], "g1.md",
        "the approved document goes with it"
    );
}

#[test]
fn doctor_reports_and_quarantines_every_unusable_gate() {
    let w = World::new();
    std::fs::create_dir_all(w.state()).expect("mkdir");
    std::fs::write(gate_path(&w, "corrupt"), "{not json").expect("write");
    std::fs::write(gate_path(&w, "foreign"), approved_gate("other", "d.md")).expect("write");
    let mut stale: Value = serde_json::from_str(&approved_gate("stale", "d.md")).expect("json");
    stale["session_created"] = json!("2026-01-01T00:00:00Z");
    std::fs::write(gate_path(&w, "stale"), stale.to_string()).expect("write");
    std::fs::write(gate_path(&w, "pending"), approved_gate("pending", "d.md")).expect("write");
    let (code, report, _) = maestro(&w, &["doctor"]);
    assert_ne!(code, 0, "problems found: {report}");
    let found: Vec<String> = report["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .filter(|p| p["kind"] == "design_gate")
        .filter_map(|p| p["path"].as_str().map(str::to_string))
        .collect();
    assert_eq!(
        found,
        [
            "state/corrupt.design-gate.json",
            "state/foreign.design-gate.json",
            "state/stale.design-gate.json"
        ],
        "a pending gate is no problem: {report}"
    );
    maestro_ok(&w, &["doctor", "--fix"]);
    for id in ["corrupt", "foreign", "stale"] {
        assert!(!gate_path(&w, id).exists(), "{id} left in place");
    }
    assert!(gate_path(&w, "pending").exists());
    let quarantine: Vec<String> = std::fs::read_dir(w.state().join("quarantine"))
        .expect("quarantine")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".design-gate.json"))
        .collect();
    assert_eq!(quarantine.len(), 3, "moved, never deleted: {quarantine:?}");
    let (code, _, _) = maestro(&w, &["doctor"]);
    assert_eq!(code, 0, "healthy after --fix");
    // A checkpoints folder of the gate's id linked out of the project: the gate check cannot
    // tell whether the id is used, and never aborts doctor for it.
    let outside = w.outside();
    std::fs::create_dir_all(w.state().join("checkpoints")).expect("mkdir");
    std::os::unix::fs::symlink(&outside, w.state().join("checkpoints/pending")).expect("link");
    let (code, report, err) = maestro(&w, &["doctor"]);
    assert!(
        code == 0 || code == 1,
        "doctor aborted ({code}): {err} {report}"
    );
    assert!(report["problems"].is_array(), "{report}");
}
