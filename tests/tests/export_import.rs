//! `export` and `import` through the built `maestro-session`: a session with its event log,
//! checkpoints and plan document moved to another project byte for byte; `--as`; an existing
//! id refused; hostile export files (paths in plan names, a bad or mismatched session id, a
//! wrong version, truncated JSON, a huge file) refused with a clear message and nothing
//! written anywhere.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::path::{Path, PathBuf};

use e2e_tests::{Tree, World, maestro_ok, maestro_refused};
use serde_json::Value;

/// A world whose active session has a plan document in plans/, a started phase (an automatic
/// checkpoint), a named checkpoint and a few events; returns its id.
fn source() -> (World, String) {
    let world = World::new();
    std::fs::create_dir_all(world.project().join("docs/maestro/plans")).expect("mkdir");
    std::fs::write(
        world.project().join("docs/maestro/plans/design.md"),
        "# Design\n",
    )
    .expect("write");
    std::fs::write(world.project().join("outside-plan.md"), "# Elsewhere\n").expect("write");
    let s = maestro_ok(
        &world,
        &[
            "create",
            "Move me",
            "--phase",
            "One",
            "--phase",
            "Two",
            "--design-document",
            "docs/maestro/plans/design.md",
            "--implementation-plan",
            "outside-plan.md",
        ],
    );
    let id = s["session_id"].as_str().expect("id").to_string();
    maestro_ok(&world, &["phase", "start", &id, "1"]);
    maestro_ok(&world, &["checkpoint", "create", &id, "--name", "mine"]);
    (world, id)
}

fn export_to(world: &World, id: &str) -> PathBuf {
    let out = world.outside().join(format!("{id}.json"));
    let v = maestro_ok(
        world,
        &["export", id, "--output", out.to_str().expect("utf8")],
    );
    assert_eq!(v["exported"], id);
    assert_eq!(
        v["bytes"].as_u64(),
        std::fs::metadata(&out).ok().map(|m| m.len())
    );
    out
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .expect("read")
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn export_then_import_moves_every_byte() {
    let (a, id) = source();
    let file = export_to(&a, &id);
    let doc: Value = serde_json::from_slice(&std::fs::read(&file).expect("read")).expect("json");
    assert_eq!(doc["format"], "maestro-session-export");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["session"]["location"], "active");
    assert_eq!(doc["checkpoints"].as_array().map(Vec::len), Some(2));
    assert_eq!(doc["plans"][0]["slot"], "design_document");
    assert!(
        doc["skipped"][0]
            .as_str()
            .is_some_and(|s| s.contains("outside-plan.md")),
        "{}",
        doc["skipped"]
    );
    // Stdout by default: the same document.
    let stdout = a.exec("maestro-session", &["export", &id], b"");
    stdout.assert_ok();
    let printed: Value = serde_json::from_str(&stdout.stdout_text()).expect("stdout json");
    assert_eq!(printed["session"], doc["session"]);
    // An existing output file is refused without --force.
    maestro_refused(
        &a,
        &["export", &id, "--output", file.to_str().expect("utf8")],
        1,
        "--force",
    );
    maestro_ok(
        &a,
        &[
            "export",
            &id,
            "--output",
            file.to_str().expect("utf8"),
            "--force",
        ],
    );

    let b = World::new();
    let r = maestro_ok(&b, &["import", file.to_str().expect("utf8")]);
    assert_eq!(r["imported"], id);
    assert_eq!(r["location"], "archive");
    assert_eq!(r["checkpoints"], 2);
    assert_eq!(r["plans"][0], "docs/maestro/plans/design.md");
    assert_eq!(
        std::fs::read(b.state().join(format!("archive/{id}.md"))).expect("imported"),
        std::fs::read(a.state().join("active-session.md")).expect("source")
    );
    assert_eq!(
        std::fs::read(b.project().join("docs/maestro/plans/design.md")).expect("plan"),
        b"# Design\n"
    );
    let (la, lb) = (
        lines(&a.state().join(format!("events/{id}.jsonl"))),
        lines(&b.state().join(format!("events/{id}.jsonl"))),
    );
    assert_eq!(r["events"].as_u64(), Some(la.len() as u64));
    assert_eq!(lb[..la.len()], la[..]);
    assert_eq!(lb.len(), la.len() + 1);
    let last: Value = serde_json::from_str(&lb[la.len()]).expect("import event");
    assert_eq!(last["op"], "import");
    assert_eq!(last["actor"], "cli");
    let list = maestro_ok(&b, &["checkpoint", "list", &id]);
    assert_eq!(list["checkpoints"].as_array().map(Vec::len), Some(2));
    maestro_ok(&b, &["checkpoint", "restore", &id, "mine"]);
    let shown = maestro_ok(&b, &["show", &id]);
    assert_eq!(shown["session_id"], id);

    // The same id again: refused naming --as; then --as imports it under a new id.
    maestro_refused(&b, &["import", file.to_str().expect("utf8")], 1, "--as");
    let r = maestro_ok(
        &b,
        &["import", file.to_str().expect("utf8"), "--as", "renamed-1"],
    );
    assert_eq!(r["imported"], "renamed-1");
    assert_eq!(r["from"], id);
    let shown = maestro_ok(&b, &["show", "renamed-1"]);
    assert_eq!(shown["session_id"], "renamed-1");
    assert!(b.state().join("events/renamed-1.jsonl").is_file());
    maestro_ok(&b, &["checkpoint", "restore", "renamed-1", "mine"]);
    maestro_refused(
        &b,
        &["import", file.to_str().expect("utf8"), "--as", "renamed-1"],
        1,
        "another id",
    );
    // --activate takes the free active slot.
    let r = maestro_ok(
        &b,
        &[
            "import",
            file.to_str().expect("utf8"),
            "--as",
            "live",
            "--activate",
        ],
    );
    assert_eq!(r["location"], "active");
    assert_eq!(maestro_ok(&b, &["show"])["session_id"], "live");
}

/// Writes `doc` changed by `change` to a file outside the target project, imports it there,
/// and checks it is refused with `want` and nothing anywhere changed.
fn refused(target: &World, doc: &Value, name: &str, change: impl Fn(&mut Value), want: &str) {
    let mut doc = doc.clone();
    change(&mut doc);
    let file = target.outside().join(name);
    std::fs::write(&file, serde_json::to_vec(&doc).expect("encode")).expect("write");
    refused_file(target, &file, want);
}

fn refused_file(target: &World, file: &Path, want: &str) {
    let outside = target.snapshot_outside_project();
    let project = Tree::of(&target.project());
    let (code, _, stderr) = e2e_tests::maestro(target, &["import", file.to_str().expect("utf8")]);
    assert_ne!(code, 0, "{} was imported", file.display());
    assert!(
        stderr.contains(want),
        "{}: want {want:?} in {stderr}",
        file.display()
    );
    outside.assert_same(&target.snapshot_outside_project(), "outside the project");
    project.assert_same(&Tree::of(&target.project()), "the project");
}

#[test]
fn hostile_export_files_are_refused_and_write_nothing() {
    let (a, id) = source();
    let file = export_to(&a, &id);
    let doc: Value = serde_json::from_slice(&std::fs::read(&file).expect("read")).expect("json");
    let b = World::new();
    maestro_ok(&b, &["create", "Already here", "--phase", "One"]);
    let plan_name = |name: &'static str| move |d: &mut Value| d["plans"][0]["name"] = name.into();
    refused(
        &b,
        &doc,
        "up.json",
        plan_name("../../evil"),
        "without folders",
    );
    refused(&b, &doc, "abs.json", plan_name("/abs"), "without folders");
    refused(
        &b,
        &doc,
        "hidden.json",
        plan_name(".hidden"),
        "must not start with `.`",
    );
    refused(
        &b,
        &doc,
        "id.json",
        |d| d["session"]["id"] = "../x".into(),
        "session id",
    );
    refused(
        &b,
        &doc,
        "other.json",
        |d| d["session"]["id"] = "someone-else".into(),
        "holds session",
    );
    refused(
        &b,
        &doc,
        "v2.json",
        |d| d["version"] = 2.into(),
        "version 2 is not supported",
    );
    refused(
        &b,
        &doc,
        "fmt.json",
        |d| d["format"] = "zip".into(),
        "not a maestro-session export",
    );
    refused(
        &b,
        &doc,
        "ckpt.json",
        |d| d["checkpoints"][0]["record"]["bytes"] = 3.into(),
        "record says",
    );
    let whole = std::fs::read(&file).expect("read");
    let truncated = b.outside().join("truncated.json");
    std::fs::write(&truncated, &whole[..whole.len() / 2]).expect("write");
    refused_file(&b, &truncated, "EOF");
    let huge = b.outside().join("huge.json");
    std::fs::File::create(&huge)
        .and_then(|f| f.set_len(49 * 1024 * 1024))
        .expect("sparse file");
    refused_file(&b, &huge, "limit");
}
