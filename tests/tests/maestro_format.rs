//! Sessions in the project's dialect (issue 16 item 1), checked with Maestro 1.6.4's own code.
//!
//! - Every kind of session file we write (CLI create, fork, import and every change command;
//!   the MCP tools; the after-agent hook's token counting; checkpoints and restore) is
//!   collected after each step, in a project left to the default (JSON) and in one set to
//!   `MAESTRO_SESSION_FORMAT=yaml`. In JSON, Maestro 1.6.4's `parse`
//!   (`src/core/markdown-state.js`) reads each file and gets the frontmatter and body ours
//!   reads; in YAML each file stays YAML (Maestro 1.6 has no YAML reader: its only reader of
//!   the file, `parse`, takes JSON) and ours reads it.
//! - A new session takes the flavour of the project's sessions; an import converts.
//! - Ours reads what Maestro's `serialize` writes (and writes it back byte for byte when
//!   nothing changed), and Maestro's own MCP server (`mcp/maestro-server.js`) and ours take
//!   turns on one session in one project, each reading what the other wrote.
//!
//! Maestro's code is read from `../shared/reference/maestro-1.6.4/` (beside the repository, or
//! one folder further up for a worktree); where it or `node` is absent the comparisons skip,
//! saying so, and the flavour checks still run.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use e2e_tests::mcp_client::McpClient;
use e2e_tests::{Ran, World, fixture};
use maestro_session_core::session::document::{Document, Flavour};
use serde_json::{Map, Value, json};

// ---- Maestro's code ---------------------------------------------------------------------------

/// Maestro 1.6.4's reference copy beside the repository (or one folder further up, for a
/// worktree), and `node` to run it; `None` (after saying why) when either is missing.
fn maestro_reference(what: &str) -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent()?;
    let Some(dir) = root.ancestors().skip(1).take(2).find_map(|dir| {
        let folder = dir.join("shared/reference/maestro-1.6.4");
        folder
            .join("src/core/markdown-state.js")
            .is_file()
            .then_some(folder)
    }) else {
        println!(
            "SKIPPED {what}: Maestro 1.6.4 is not in ../shared/reference/; nothing was compared \
             with Maestro's own code"
        );
        return None;
    };
    let node = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !node {
        println!("SKIPPED {what}: no `node` on PATH; nothing was compared with Maestro's code");
        return None;
    }
    Some(dir)
}

/// Maestro's `parse` over each text: `Ok({data, body})` or `Err(message)`.
fn maestro_parse(reference: &Path, texts: &[String]) -> Vec<Result<(Value, String), String>> {
    let dir = tempfile::tempdir().expect("tmp");
    for (i, text) in texts.iter().enumerate() {
        std::fs::write(dir.path().join(format!("{i}.md")), text).expect("write");
    }
    let script = format!(
        "const {{ parse }} = require({module:?});\n\
         const fs = require('fs');\n\
         const out = [];\n\
         for (let i = 0; i < {n}; i++) {{\n\
           const text = fs.readFileSync({dir:?} + '/' + i + '.md', 'utf8');\n\
           try {{ const r = parse(text); out.push({{ ok: true, data: r.data, body: r.body }}); }}\n\
           catch (e) {{ out.push({{ ok: false, error: String(e && e.message) }}); }}\n\
         }}\n\
         process.stdout.write(JSON.stringify(out));\n",
        module = reference
            .join("src/core/markdown-state.js")
            .display()
            .to_string(),
        n = texts.len(),
        dir = dir.path().display().to_string(),
    );
    let out = Command::new("node")
        .arg("-e")
        .arg(script)
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "node: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<Value> = serde_json::from_slice(&out.stdout).expect("node printed JSON");
    results
        .into_iter()
        .map(|r| {
            if r["ok"] == true {
                Ok((
                    r["data"].clone(),
                    r["body"].as_str().unwrap_or("").to_string(),
                ))
            } else {
                Err(r["error"].as_str().unwrap_or("?").to_string())
            }
        })
        .collect()
}

/// Maestro's `serialize(data, body)` for each pair.
fn maestro_serialize(reference: &Path, items: &[(Value, String)]) -> Vec<String> {
    let input = serde_json::to_string(
        &items
            .iter()
            .map(|(d, b)| json!({"data": d, "body": b}))
            .collect::<Vec<_>>(),
    )
    .expect("json");
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("in.json");
    std::fs::write(&file, input).expect("write");
    let script = format!(
        "const {{ serialize }} = require({module:?});\n\
         const items = JSON.parse(require('fs').readFileSync({file:?}, 'utf8'));\n\
         process.stdout.write(JSON.stringify(items.map((i) => serialize(i.data, i.body))));\n",
        module = reference
            .join("src/core/markdown-state.js")
            .display()
            .to_string(),
        file = file.display().to_string(),
    );
    let out = Command::new("node")
        .arg("-e")
        .arg(script)
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "node: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("node printed JSON")
}

/// Maestro's own MCP server in `world`'s project, as its Gemini CLI extension starts it.
fn maestro_server(reference: &Path, world: &World) -> McpClient {
    let mut node = Command::new("node");
    world.configure(&mut node);
    node.arg(reference.join("mcp/maestro-server.js"))
        .env("MAESTRO_WORKSPACE_PATH", world.project());
    McpClient::start(node)
}

// ---- Our executables, in one flavour ----------------------------------------------------------

/// A world and the `MAESTRO_SESSION_FORMAT` every executable of this test gets (none: the
/// default).
struct Project {
    world: World,
    format: Option<&'static str>,
}

impl Project {
    fn new(format: Option<&'static str>) -> Project {
        Project {
            world: World::new(),
            format,
        }
    }

    fn env(&self) -> Vec<(&'static str, &'static OsStr)> {
        self.format
            .map(|f| ("MAESTRO_SESSION_FORMAT", OsStr::new(f)))
            .into_iter()
            .collect()
    }

    /// `maestro-session --json <args>`, which must succeed: its JSON output.
    fn ok(&self, args: &[&str]) -> Value {
        let ran = self.world.maestro_env(&self.env(), args);
        ran.assert_ok();
        ran.json()
    }

    fn create(&self, args: &[&str]) -> String {
        let out = self.ok(&[&["create"], args].concat());
        out["session_id"].as_str().expect("session_id").to_string()
    }

    fn cmd(&self, name: &str) -> Command {
        let mut cmd = self.world.cmd(name);
        for (k, v) in self.env() {
            cmd.env(k, v);
        }
        cmd
    }

    /// `maestro-session mcp` in this project.
    fn server(&self) -> McpClient {
        let mut cmd = self.cmd("maestro-session");
        cmd.arg("mcp")
            .env("MAESTRO_WORKSPACE_PATH", self.world.project());
        McpClient::start(cmd)
    }

    /// The after-agent hook counting a Claude Code sub-agent's transcript (recorded payload).
    fn count_tokens(&self) {
        let transcript = self.world.root().join("home/agent-a1.jsonl");
        std::fs::write(
            &transcript,
            fixture("claude-code/transcripts/agent-ab6e9f662501aaedc.jsonl"),
        )
        .expect("transcript");
        let mut payload: Value =
            serde_json::from_slice(&fixture("claude-code/transcripts/05-after-agent.json"))
                .expect("payload");
        payload["agent_transcript_path"] = json!(transcript);
        payload["cwd"] = json!(self.world.project());
        let mut cmd = self.cmd("after-agent");
        cmd.args(["--runtime", "claude"]);
        let ran = Ran::of(cmd, &serde_json::to_vec(&payload).expect("json"));
        ran.assert_ok();
    }
}

/// Every session file each step wrote, with the step that left it: a path is taken again
/// whenever its bytes differ from what it held at the last look.
#[derive(Default)]
struct Files {
    last: BTreeMap<PathBuf, String>,
    files: Vec<(String, String)>,
}

impl Files {
    /// Takes every session file of the state dir now: the active session, the archive, and
    /// the checkpoint copies.
    fn collect(&mut self, world: &World, step: &str) {
        let state = world.state();
        let mut paths = vec![state.join("active-session.md")];
        paths.extend(md_files(&state.join("archive")));
        if let Ok(entries) = std::fs::read_dir(state.join("checkpoints")) {
            for e in entries.flatten() {
                paths.extend(md_files(&e.path()));
            }
        }
        for path in paths {
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            if self.last.get(&path) != Some(&text) {
                let rel = path.strip_prefix(&state).unwrap_or(&path).display();
                self.files.push((format!("{step}: {rel}"), text.clone()));
                self.last.insert(path, text);
            }
        }
    }
}

fn md_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "md"))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Runs every command, tool and hook that writes a session, collecting the files after each.
/// Returns the export file of the first session.
fn write_every_kind(p: &Project, files: &mut Files) -> PathBuf {
    let w = &p.world;
    let step = |label: &str, files: &mut Files| files.collect(w, label);

    // CLI: create, then every change command.
    let a = p.create(&[
        "Build the lexer",
        "--phase",
        "Design=architect",
        "--phase",
        "Build=coder",
        "--phase",
        "Test=tester",
        "--complexity",
        "medium",
    ]);
    step("create", files);
    for (label, args) in [
        ("transition", vec!["transition", &a, "planning"]),
        ("phase start", vec!["phase", "start", &a, "1"]),
        (
            "files",
            vec![
                "files",
                &a,
                "1",
                "--created",
                "src/lexer.rs",
                "--modified",
                "Cargo.toml",
                "--deleted",
                "old.rs",
            ],
        ),
        (
            "context",
            vec![
                "context",
                &a,
                "1",
                "--interface",
                "Lexer::next() -> Token",
                "--pattern",
                "errors as enums",
                "--integration",
                "parser reads tokens",
                "--assumption",
                "UTF-8 input: \"quoted\" and ünïcode",
                "--warning",
                "no: colons # or hashes",
            ],
        ),
        (
            "phase complete",
            vec![
                "phase",
                "complete",
                &a,
                "1",
                "--output",
                "designed\n---\nlexer",
            ],
        ),
        (
            "tokens",
            vec![
                "tokens",
                &a,
                "--agent",
                "architect",
                "--input",
                "100",
                "--output",
                "20",
                "--cached",
                "5",
            ],
        ),
        ("phase start 2", vec!["phase", "start", &a, "2"]),
        (
            "error add",
            vec![
                "error",
                "add",
                &a,
                "2",
                "--agent",
                "coder",
                "--type",
                "runtime",
                "--message",
                "it broke",
            ],
        ),
        (
            "error resolve",
            vec!["error", "resolve", &a, "2", "1", "--resolution", "fixed it"],
        ),
        (
            "phase fail",
            vec!["phase", "fail", &a, "2", "--message", "again"],
        ),
        ("phase retry", vec!["phase", "retry", &a, "2"]),
        ("set", vec!["set", &a, "execution_mode", "parallel"]),
        (
            "checkpoint create",
            vec!["checkpoint", "create", &a, "--name", "mid"],
        ),
    ] {
        p.ok(&args);
        step(label, files);
    }
    // The after-agent hook counts a transcript into the active session.
    p.count_tokens();
    step("after-agent token counting", files);
    let restored = p.ok(&["checkpoint", "restore", &a, "mid"]);
    step("checkpoint restore", files);
    let undo = restored["undo"]["id"].to_string();
    p.ok(&["checkpoint", "restore", &a, &undo]);
    step("checkpoint restore of the undo", files);
    for (label, args) in [
        ("pause", vec!["pause", &a]),
        ("resume", vec!["resume", &a]),
        ("phase skip", vec!["phase", "skip", &a, "3"]),
    ] {
        p.ok(&args);
        step(label, files);
    }
    // park, archive, resume --park, fork, cancel.
    let b = p.create(&["Second task", "--phase", "One=coder", "--park"]);
    step("create --park", files);
    p.ok(&["cancel", &b]);
    step("cancel", files);
    p.ok(&["archive"]);
    step("archive", files);
    p.ok(&["resume", &a, "--park"]);
    step("resume --park", files);
    p.ok(&["fork", &a]);
    step("fork", files);
    p.ok(&["fork", &a, "--activate", "--park"]);
    step("fork --activate --park", files);
    let export = w.root().join("home/a.json");
    p.ok(&["export", &a, "--output", export.to_str().expect("utf8")]);
    p.ok(&[
        "import",
        export.to_str().expect("utf8"),
        "--as",
        "imported-copy",
    ]);
    step("import --as", files);

    // MCP: Maestro's tools and ours (create_session parks a paused active session).
    p.ok(&["pause", "active"]);
    step("pause", files);
    let mut c = p.server();
    let phases = json!([
        {"id": 1, "name": "Build", "agent": "coder", "parallel": false, "blocked_by": [],
         "files": ["src/app.js"]},
        {"id": 2, "name": "Test", "agent": "tester", "parallel": false, "blocked_by": [1]}
    ]);
    c.ok("initialize_workspace", json!({}));
    c.ok(
        "create_session",
        json!({"session_id": "mcp-one", "task": "MCP task", "phases": phases}),
    );
    step("create_session (parks the fork)", files);
    c.ok(
        "update_session",
        json!({"session_id": "mcp-one", "execution_mode": "sequential",
               "execution_backend": "native", "current_batch": "b1"}),
    );
    step("update_session", files);
    c.ok(
        "record_tokens",
        json!({"agent": "coder", "input": 7, "output": 3, "cached": 1}),
    );
    step("record_tokens", files);
    c.ok(
        "record_error",
        json!({"phase_id": 1, "agent": "coder", "type": "validation", "message": "lint"}),
    );
    step("record_error", files);
    c.ok(
        "transition_phase",
        json!({"session_id": "mcp-one", "completed_phase_id": 1, "next_phase_id": 2,
               "files_created": ["src/app.js"],
               "downstream_context": {"key_interfaces_introduced": "App()",
                                      "warnings": ["none"]},
               "token_usage": {"input": 10, "output": 2}}),
    );
    step("transition_phase", files);
    c.ok(
        "transition_phase",
        json!({"session_id": "mcp-one", "completed_phase_id": 2}),
    );
    step("transition_phase with an empty handoff", files);
    c.ok(
        "reconcile_phase",
        json!({"session_id": "mcp-one", "phase_id": 2, "files_created": ["test/app.test.js"],
               "reason": "the tester wrote it"}),
    );
    step("reconcile_phase", files);
    c.ok("archive_session", json!({"session_id": "mcp-one"}));
    step("archive_session", files);
    c.ok("enter_design_gate", json!({"session_id": "gated"}));
    c.ok(
        "record_design_approval",
        json!({"session_id": "gated", "design_document_content": "# Design\n",
               "design_document_filename": "gated-design.md"}),
    );
    c.ok(
        "create_session",
        json!({"session_id": "gated", "task": "Gated", "phases": phases,
               "implementation_plan_content": "# Plan\n",
               "implementation_plan_filename": "gated-plan.md"}),
    );
    step("create_session after the design gate", files);
    c.ok("archive_session", json!({"session_id": "gated"}));
    step("archive_session of the gated session", files);
    c.ok("resume_session", json!({"session_id": a, "park": true}));
    step("resume_session", files);
    drop(c);
    export
}

/// Asserts each collected file is in `flavour` and reads with ours; returns ours' reading of
/// each (frontmatter as JSON, body).
fn ours_read(files: &Files, flavour: Flavour) -> Vec<(Value, String)> {
    files
        .files
        .iter()
        .map(|(label, text)| {
            let doc = Document::parse(text).unwrap_or_else(|e| panic!("{label}: ours: {e}"));
            assert_eq!(doc.flavour, flavour, "{label}:\n{text}");
            (Value::Object(doc.frontmatter.into_map()), doc.body)
        })
        .collect()
}

/// Asserts Maestro's `parse` reads every file as ours does.
fn maestro_reads_all(reference: &Path, files: &Files, ours: &[(Value, String)]) {
    let texts: Vec<String> = files.files.iter().map(|(_, t)| t.clone()).collect();
    let theirs = maestro_parse(reference, &texts);
    let mut differ = Vec::new();
    for (((label, text), mine), theirs) in files.files.iter().zip(ours).zip(theirs) {
        match theirs {
            Err(e) => differ.push(format!("{label}: Maestro cannot parse it: {e}\n{text}")),
            Ok(t) if &t != mine => differ.push(format!(
                "{label}: read differently\n  Maestro {t:?}\n  ours    {mine:?}"
            )),
            Ok(_) => {}
        }
    }
    assert!(
        differ.is_empty(),
        "{} of {} files:\n{}",
        differ.len(),
        files.files.len(),
        differ.join("\n")
    );
}

#[test]
fn maestro_reads_every_kind_of_session_file_we_write_in_a_new_project() {
    let p = Project::new(None);
    let mut files = Files::default();
    write_every_kind(&p, &mut files);
    assert!(
        files.files.len() > 40,
        "collected {} files",
        files.files.len()
    );
    let labels: Vec<&str> = files.files.iter().map(|(l, _)| l.as_str()).collect();
    for kind in [
        "create: active-session.md",
        "error resolve: active-session.md",
        "after-agent token counting: active-session.md",
        "checkpoint restore: active-session.md",
        "create --park: archive/",
        "resume --park: active-session.md",
        "fork: archive/",
        "import --as: archive/imported-copy.md",
        "import --as: checkpoints/imported-copy/",
        "update_session: active-session.md",
        "transition_phase: active-session.md",
        "reconcile_phase: active-session.md",
        "archive_session: archive/mcp-one.md",
        "create_session after the design gate: active-session.md",
        "resume_session: active-session.md",
    ] {
        assert!(
            labels.iter().any(|l| l.starts_with(kind)),
            "no {kind} file collected: {labels:?}"
        );
    }
    let ours = ours_read(&files, Flavour::Json);
    let Some(reference) = maestro_reference("Maestro's parse over our files") else {
        return;
    };
    maestro_reads_all(&reference, &files, &ours);
}

#[test]
fn with_format_yaml_every_file_we_write_is_yaml_and_reads_back() {
    let p = Project::new(Some("yaml"));
    let mut files = Files::default();
    write_every_kind(&p, &mut files);
    assert!(
        files.files.len() > 40,
        "collected {} files",
        files.files.len()
    );
    ours_read(&files, Flavour::Yaml);
}

#[test]
fn a_project_keeps_its_dialect_and_an_import_takes_it() {
    // A Maestro 1.2 project (YAML sessions): new sessions stay YAML without any setting.
    let yaml = Project::new(None);
    std::fs::create_dir_all(yaml.world.state().join("archive")).expect("mkdir");
    std::fs::write(
        yaml.world.state().join("archive/2026-01-01-old.md"),
        fixture("maestro-state/active-session.yaml.md"),
    )
    .expect("archived YAML session");
    let y = yaml.create(&["Next task", "--phase", "Only=coder"]);
    let active =
        std::fs::read_to_string(yaml.world.state().join("active-session.md")).expect("active");
    assert!(
        active.starts_with("---\nsession_id: "),
        "a YAML project's new session is YAML: {active}"
    );
    // A new project: JSON. Its export imported into the YAML project becomes YAML, and the
    // YAML one imported here becomes JSON, checkpoint copies too.
    let json_p = Project::new(None);
    let j = json_p.create(&["Json task", "--phase", "Only=coder"]);
    json_p.ok(&["phase", "start", &j, "1"]);
    let yaml_export = yaml.world.root().join("home/y.json");
    yaml.ok(&["phase", "start", &y, "1"]);
    yaml.ok(&[
        "export",
        &y,
        "--output",
        yaml_export.to_str().expect("utf8"),
    ]);
    let json_export = json_p.world.root().join("home/j.json");
    json_p.ok(&[
        "export",
        &j,
        "--output",
        json_export.to_str().expect("utf8"),
    ]);

    json_p.ok(&[
        "import",
        yaml_export.to_str().expect("utf8"),
        "--as",
        "from-yaml",
    ]);
    yaml.ok(&[
        "import",
        json_export.to_str().expect("utf8"),
        "--as",
        "from-json",
    ]);
    let flavour_of = |w: &World, rel: &str| {
        let text = std::fs::read_to_string(w.state().join(rel)).expect(rel);
        Document::parse(&text).expect("parses").flavour
    };
    assert_eq!(
        flavour_of(&json_p.world, "archive/from-yaml.md"),
        Flavour::Json
    );
    assert_eq!(
        flavour_of(&json_p.world, "checkpoints/from-yaml/1.md"),
        Flavour::Json
    );
    assert_eq!(
        flavour_of(&yaml.world, "archive/from-json.md"),
        Flavour::Yaml
    );
    assert_eq!(
        flavour_of(&yaml.world, "checkpoints/from-json/1.md"),
        Flavour::Yaml
    );
    // The converted session holds what the exported one held.
    let shown = json_p.ok(&["show", "from-yaml"]);
    let original = yaml.ok(&["show", &y]);
    assert_eq!(shown["task"], original["task"]);
    assert_eq!(shown["phases"], original["phases"]);
    assert_eq!(shown["token_usage"], original["token_usage"]);

    // An explicit setting wins over the project's dialect; a bad one names itself.
    let forced = yaml.world.maestro_env(
        &[("MAESTRO_SESSION_FORMAT", OsStr::new("JSON"))],
        &["fork", &y],
    );
    forced.assert_ok();
    let fork_id = forced.json()["session_id"]
        .as_str()
        .expect("id")
        .to_string();
    assert_eq!(
        flavour_of(&yaml.world, &format!("archive/{fork_id}.md")),
        Flavour::Json
    );
    let bad = yaml.world.maestro_env(
        &[("MAESTRO_SESSION_FORMAT", OsStr::new("toml"))],
        &["fork", &y],
    );
    assert_eq!(bad.code, Some(2), "a usage error: {bad}");
    assert!(bad.stderr.contains("MAESTRO_SESSION_FORMAT"), "{bad}");
}

#[test]
fn ours_reads_what_maestros_serialize_writes_and_writes_it_back_unchanged() {
    let Some(reference) = maestro_reference("ours over Maestro's serialize") else {
        return;
    };
    let fixture_data: Value = {
        let text =
            String::from_utf8(fixture("maestro-state/active-session.json.md")).expect("utf8");
        let doc = Document::parse(&text).expect("fixture");
        Value::Object(doc.frontmatter.into_map())
    };
    let mut odd = Map::new();
    odd.insert("session_id".into(), json!("odd-values"));
    odd.insert("status".into(), json!("in_progress"));
    odd.insert(
        "text".into(),
        json!("line\nbreak \"quotes\" \\ back\tslash \u{1b} ünïcode 🦀 \u{2028}"),
    );
    odd.insert(
        "numbers".into(),
        json!([0, -1, 1.5, 1e21, 9007199254740991u64, 0.1]),
    );
    odd.insert("empty".into(), json!({"list": [], "map": {}, "null": null}));
    odd.insert("deep".into(), json!({"a": [{"b": [[]]}]}));
    let items = vec![
        (
            fixture_data,
            "# Task Orchestration Log\n\n## Phase 1\n".to_string(),
        ),
        (Value::Object(odd), String::new()),
        (
            json!({"session_id": "body-with-rules", "status": "paused"}),
            "---\nnot frontmatter\n---\nno newline at the end".to_string(),
        ),
    ];
    let texts = maestro_serialize(&reference, &items);
    for ((data, body), text) in items.iter().zip(&texts) {
        let doc = Document::parse(text).unwrap_or_else(|e| panic!("ours: {e}\n{text}"));
        assert_eq!(doc.flavour, Flavour::Json);
        assert_eq!(&Value::Object(doc.frontmatter.clone().into_map()), data);
        assert_eq!(&doc.body, body);
        assert_eq!(&doc.render(), text, "written back byte for byte");
    }

    // Maestro's file as the active session: our commands change it, Maestro reads the result.
    let p = Project::new(None);
    std::fs::create_dir_all(p.world.state()).expect("mkdir");
    std::fs::write(p.world.state().join("active-session.md"), &texts[0]).expect("write");
    p.ok(&[
        "tokens", "active", "--agent", "coder", "--input", "1", "--output", "1",
    ]);
    p.ok(&["context", "active", "2", "--warning", "watch the lexer"]);
    let mut files = Files::default();
    files.collect(&p.world, "ours over Maestro's file");
    let ours = ours_read_any(&files);
    maestro_reads_all(&reference, &files, &ours);
}

/// Ours' reading of each collected file, whatever its flavour.
fn ours_read_any(files: &Files) -> Vec<(Value, String)> {
    files
        .files
        .iter()
        .map(|(label, text)| {
            let doc = Document::parse(text).unwrap_or_else(|e| panic!("{label}: ours: {e}"));
            (Value::Object(doc.frontmatter.into_map()), doc.body)
        })
        .collect()
}

#[test]
fn maestros_server_and_ours_take_turns_on_one_session() {
    let Some(reference) = maestro_reference("Maestro's server and ours on one session") else {
        return;
    };
    let p = Project::new(None);
    let mut theirs = maestro_server(&reference, &p.world);
    let mut ours = p.server();
    let mut files = Files::default();
    let s = "2026-12-06-turns";
    let phases = json!([
        {"id": 1, "name": "Build", "agent": "coder", "parallel": false, "blocked_by": []},
        {"id": 2, "name": "Test", "agent": "tester", "parallel": false, "blocked_by": [1]},
        {"id": 3, "name": "Docs", "agent": "technical_writer", "parallel": false, "blocked_by": [2]}
    ]);
    theirs.ok(
        "initialize_workspace",
        json!({"workspace_path": p.world.project()}),
    );
    // Maestro creates; ours reads it and changes it.
    theirs.ok(
        "create_session",
        json!({"session_id": s, "task": "Take turns", "phases": phases}),
    );
    files.collect(&p.world, "Maestro create_session");
    let status = ours.ok("get_session_status", json!({}));
    assert_eq!(status["session_id"], s);
    assert_eq!(status["current_phase"], 1);
    ours.ok(
        "update_session",
        json!({"session_id": s, "execution_mode": "sequential"}),
    );
    files.collect(&p.world, "ours update_session");
    ours.ok(
        "transition_phase",
        json!({"session_id": s, "completed_phase_id": 1, "next_phase_id": 2,
               "files_created": ["src/a.js"],
               "downstream_context": {"integration_points": ["src/a.js"]},
               "token_usage": {"input": 5, "output": 1}}),
    );
    files.collect(&p.world, "ours transition_phase");
    // Maestro reads ours and goes on.
    let status = theirs.ok("get_session_status", json!({"session_id": s}));
    assert_eq!(status["current_phase"], 2);
    assert_eq!(status["execution_mode"], "sequential");
    assert_eq!(status["phases"][0]["status"], "completed");
    theirs.ok(
        "transition_phase",
        json!({"session_id": s, "completed_phase_id": 2, "next_phase_id": 3,
               "files_created": ["test/a.test.js"],
               "downstream_context": {"warnings": ["flaky on CI"]}}),
    );
    files.collect(&p.world, "Maestro transition_phase");
    // Ours reads Maestro's write through the command line too, and changes it.
    let shown = p.ok(&["show", s]);
    assert_eq!(shown["phases"][1]["status"], "completed");
    assert_eq!(
        shown["phases"][1]["downstream_context"]["warnings"],
        json!(["flaky on CI"])
    );
    p.ok(&["tokens", s, "--agent", "technical_writer", "--input", "3"]);
    files.collect(&p.world, "ours tokens");
    theirs.ok(
        "transition_phase",
        json!({"session_id": s, "completed_phase_id": 3, "files_modified": ["README.md"],
               "downstream_context": {"assumptions": "docs are English"}}),
    );
    files.collect(&p.world, "Maestro transition_phase 3");
    theirs.ok("archive_session", json!({"session_id": s}));
    files.collect(&p.world, "Maestro archive_session");
    let listed = p.ok(&["show", s]);
    assert_eq!(listed["status"], "completed");
    assert_eq!(listed["location"], "archive");
    drop(theirs);
    drop(ours);
    let mine = ours_read(&files, Flavour::Json);
    maestro_reads_all(&reference, &files, &mine);
}
