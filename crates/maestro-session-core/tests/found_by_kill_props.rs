//! Store bugs found while writing `kill_props.rs`, each as a minimal failing test.
//!
//! A fork copies its source's `design_document` and `implementation_plan` paths, so two
//! sessions name the same file in `plans/`. Archiving either one moves that file to
//! `plans/archive/<its id>--<name>` and rewrites only the archived session's path: the other
//! session is left naming a document that no longer exists. No bytes are lost (the document
//! is in `plans/archive/`), but the session that continues the work has lost its plan.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::path::Path;

use maestro_session_core::session::session_file::SessionFile;
use maestro_session_core::store::{CreateRequest, Store};
use maestro_session_core::workspace::paths::Workspace;
use maestro_session_core::{Env, EnvVars};

const DESIGN: &str = "docs/maestro/plans/design.md";

/// A project with `plans/design.md` and an active session naming it as its design document.
fn project_with_planned_session() -> (tempfile::TempDir, Store, SessionFile) {
    let t = tempfile::tempdir().expect("temp dir");
    let project = t.path().to_str().expect("temp paths are UTF-8");
    let env = Env::from_pairs([(EnvVars::MAESTRO_WORKSPACE_PATH, project)]);
    let ws = Workspace::with_state_dir(&env, t.path(), Path::new("docs/maestro"))
        .expect("the state dir lies inside the project");
    std::fs::create_dir_all(t.path().join("docs/maestro/plans")).expect("create plans/");
    std::fs::write(t.path().join(DESIGN), "design").expect("write the design document");
    let store = Store::new(ws, Env::default());
    let source = store
        .create(&CreateRequest {
            task: "Add login".into(),
            design_document: Some(DESIGN.into()),
            ..Default::default()
        })
        .expect("create the source session");
    (t, store, source)
}

/// The session's design document exists beneath the project root `root`.
fn assert_design_exists(root: &Path, store: &Store, id: &str, what: &str) {
    let session = store.get(id).expect("the session exists");
    let design = session
        .meta
        .design_document
        .expect("the session names a design document");
    assert!(
        root.join(&design).is_file(),
        "{what}: session {id} ({:?}) names {design}, which does not exist",
        session.location
    );
}

/// `fork --activate --park` of the active session parks the source, which moves the design
/// document to `plans/archive/<source>--design.md`; the new active fork still names
/// `plans/design.md`.
#[test]
fn fork_activate_park_leaves_the_fork_its_design_document() {
    let (t, store, source) = project_with_planned_session();
    let fork = store
        .fork(source.id(), true, true)
        .expect("fork, parking the source");
    assert_design_exists(t.path(), &store, source.id(), "the parked source");
    assert_design_exists(t.path(), &store, fork.id(), "the active fork");
}

/// Archiving an archived fork (`archive <fork id>`, which completes plan moves that are left)
/// moves the design document of the still active source session.
#[test]
fn archiving_a_fork_leaves_the_active_source_its_design_document() {
    let (t, store, source) = project_with_planned_session();
    let fork = store
        .fork(source.id(), false, false)
        .expect("fork into the archive");
    store.archive(Some(fork.id())).expect("archive the fork");
    assert_design_exists(t.path(), &store, fork.id(), "the archived fork");
    assert_design_exists(t.path(), &store, source.id(), "the active source");
}
