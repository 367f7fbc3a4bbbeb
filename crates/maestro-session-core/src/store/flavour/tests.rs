//! The flavour of a new session: setting, the project's sessions, default; and what create,
//! fork and import write with it. On stores in temp dirs (no process environment).
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::*;
use crate::Env;
use crate::session::phase_spec::PhaseSpec;
use crate::store::CreateRequest;
use crate::workspace::paths::Workspace;

const YAML_SESSION: &str =
    "---\nsession_id: \"old-yaml\"\ntask: \"t\"\nstatus: \"completed\"\n---\n# t\n";
const JSON_SESSION: &str = "---\n{\n  \"session_id\": \"old-json\",\n  \"task\": \"t\",\n  \"status\": \"completed\"\n}\n---\n# t\n";

struct Fixture {
    _dir: tempfile::TempDir,
    project: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("tmp");
        let project = dir.path().join("proj");
        std::fs::create_dir_all(project.join("docs/maestro/state/archive")).expect("mkdir");
        Fixture { _dir: dir, project }
    }

    fn store(&self, extra: &[(&str, &str)]) -> Store {
        let mut pairs = vec![(
            "MAESTRO_WORKSPACE_PATH".to_string(),
            self.project.display().to_string(),
        )];
        pairs.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let env = Env::from_pairs(pairs);
        let ws = Workspace::with_state_dir(&env, &self.project, Path::new("docs/maestro"))
            .expect("workspace");
        Store::new(ws, env)
    }

    fn state(&self) -> PathBuf {
        self.project.join("docs/maestro/state")
    }

    /// Writes an archived session file `name` modified `age_s` seconds ago.
    fn archived(&self, name: &str, text: &str, age_s: u64) {
        let path = self.state().join("archive").join(name);
        std::fs::write(&path, text).expect("write");
        let when = SystemTime::now() - Duration::from_secs(age_s);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(when))
            .expect("set mtime");
    }

    fn choice(&self, extra: &[(&str, &str)]) -> Result<FlavourChoice> {
        let store = self.store(extra);
        let root = Root::open(&self.project.join("docs/maestro")).expect("root");
        store.new_session_flavour(&root)
    }
}

fn create(store: &Store, task: &str) -> crate::session::session_file::SessionFile {
    store
        .create(&CreateRequest {
            task: task.into(),
            phases: vec![PhaseSpec {
                name: "One".into(),
                agents: vec!["coder".into()],
                ..PhaseSpec::default()
            }],
            park: true,
            ..CreateRequest::default()
        })
        .expect("create")
}

fn is_json(text: &str) -> bool {
    text.starts_with("---\n{\n")
}

#[test]
fn a_project_without_sessions_or_setting_gets_json() {
    let f = Fixture::new();
    let c = f.choice(&[]).expect("choice");
    assert_eq!(c.flavour, Flavour::Json);
    assert_eq!(c.source, FlavourSource::Default);
}

#[test]
fn the_setting_wins_in_any_case_and_a_bad_value_names_itself() {
    let f = Fixture::new();
    std::fs::write(f.state().join("active-session.md"), JSON_SESSION).expect("write");
    let c = f.choice(&[(FORMAT_VAR, " YAML ")]).expect("choice");
    assert_eq!(
        (c.flavour, c.source),
        (Flavour::Yaml, FlavourSource::Environment)
    );
    assert_eq!(
        f.choice(&[(FORMAT_VAR, "Json")]).expect("json").flavour,
        Flavour::Json
    );
    let e = f.choice(&[(FORMAT_VAR, "toml")]).expect_err("bad value");
    let msg = e.to_string();
    assert!(matches!(e, Error::Invalid(_)), "{e:?}");
    assert!(
        msg.contains("MAESTRO_SESSION_FORMAT=\"toml\"") && msg.contains("json"),
        "{msg}"
    );
}

#[test]
fn the_projects_env_file_sets_it_named_by_line_and_the_environment_wins() {
    let f = Fixture::new();
    std::fs::write(
        f.project.join(".env"),
        "# settings\nexport MAESTRO_SESSION_FORMAT=yaml # Maestro 1.2 project\n",
    )
    .expect("env");
    let c = f.choice(&[]).expect("choice");
    assert_eq!(c.flavour, Flavour::Yaml);
    assert!(
        matches!(&c.source, FlavourSource::DotEnv(at) if at.ends_with(".env:2")),
        "{:?}",
        c.source
    );
    assert_eq!(
        f.choice(&[(FORMAT_VAR, "json")]).expect("env").flavour,
        Flavour::Json
    );
    std::fs::write(
        f.project.join(".env"),
        "MAESTRO_SESSION_FORMAT=secret-ish\n",
    )
    .expect("env");
    let msg = f.choice(&[]).expect_err("bad").to_string();
    assert!(
        msg.contains("MAESTRO_SESSION_FORMAT in ") && msg.contains(".env:1"),
        "{msg}"
    );
    assert!(
        !msg.contains("secret-ish"),
        "a .env value is never quoted: {msg}"
    );
}

#[test]
fn the_active_session_decides_before_the_archive() {
    let f = Fixture::new();
    f.archived("old-json.md", JSON_SESSION, 0);
    std::fs::write(f.state().join("active-session.md"), YAML_SESSION).expect("write");
    let c = f.choice(&[]).expect("choice");
    assert_eq!(
        (c.flavour, c.source),
        (Flavour::Yaml, FlavourSource::Active)
    );
}

#[test]
fn else_the_archive_file_written_last_that_reads_as_a_session() {
    let f = Fixture::new();
    f.archived("a-yaml.md", YAML_SESSION, 300);
    f.archived("b-json.md", JSON_SESSION, 200);
    let c = f.choice(&[]).expect("choice");
    assert_eq!(c.flavour, Flavour::Json);
    assert_eq!(c.source, FlavourSource::Archived("b-json.md".into()));
    // Newer, but not a session document, and a newer YAML one: the YAML one decides.
    f.archived("c-broken.md", "---\n{ not json\n---\n", 10);
    f.archived("d-yaml.md", YAML_SESSION, 100);
    let c = f.choice(&[]).expect("choice");
    assert_eq!(c.source, FlavourSource::Archived("d-yaml.md".into()));
    assert_eq!(c.flavour, Flavour::Yaml);
    // An active session that does not parse does not count either; not-.md names never.
    std::fs::write(f.state().join("active-session.md"), "no frontmatter\n").expect("write");
    f.archived("e-json.md.tmp", JSON_SESSION, 0);
    assert_eq!(f.choice(&[]).expect("choice").flavour, Flavour::Yaml);
}

#[test]
fn create_writes_the_chosen_flavour_and_later_sessions_follow_the_project() {
    let f = Fixture::new();
    let first = create(&f.store(&[]), "First");
    let text = std::fs::read_to_string(f.state().join("active-session.md")).expect("read");
    assert!(is_json(&text), "a new project's session is JSON: {text}");
    assert_eq!(first.flavour(), Flavour::Json);

    let g = Fixture::new();
    std::fs::write(g.state().join("active-session.md"), YAML_SESSION).expect("write");
    let second = create(&g.store(&[]), "Second");
    let text = std::fs::read_to_string(g.state().join("active-session.md")).expect("read");
    assert!(
        text.starts_with("---\nsession_id: "),
        "the YAML project stays YAML: {text}"
    );
    assert_eq!(second.flavour(), Flavour::Yaml);
    let archived =
        std::fs::read_to_string(g.state().join("archive/old-yaml.md")).expect("archived");
    assert!(
        archived.starts_with("---\nsession_id: \"old-yaml\"\ntask: \"t\"\n"),
        "the displaced session is archived in its own flavour: {archived}"
    );

    let h = Fixture::new();
    let made = create(&h.store(&[(FORMAT_VAR, "yaml")]), "Third");
    assert_eq!(made.flavour(), Flavour::Yaml);
    let e = h
        .store(&[(FORMAT_VAR, "xml")])
        .create(&CreateRequest {
            task: "Never".into(),
            park: true,
            ..CreateRequest::default()
        })
        .expect_err("bad setting");
    assert!(e.to_string().contains("MAESTRO_SESSION_FORMAT"), "{e}");
    let still = std::fs::read_to_string(h.state().join("active-session.md")).expect("read");
    assert!(still.contains("Third"), "nothing written on a bad setting");
}

#[test]
fn a_fork_takes_the_projects_flavour_keeping_unknown_keys_in_order() {
    let f = Fixture::new();
    let source = "---\nsession_id: \"2026-01-01-src\"\ntask: \"Src\"\nmine: {deep: [1, 2]}\nstatus: \"paused\"\nphases: []\n---\n# Src\n";
    f.archived("2026-01-01-src.md", source, 100);
    // The setting makes the project JSON although its only session is YAML.
    let fork = f
        .store(&[(FORMAT_VAR, "json")])
        .fork("2026-01-01-src", false, false)
        .expect("fork");
    let text = std::fs::read_to_string(&fork.path).expect("read");
    assert!(is_json(&text), "{text}");
    let doc = Document::parse(&text).expect("parses");
    let keys: Vec<&String> = doc.frontmatter.keys().collect();
    let mine = keys.iter().position(|k| *k == "mine").expect("mine kept");
    let status = keys.iter().position(|k| *k == "status").expect("status");
    assert!(mine < status, "key order kept: {keys:?}");
    assert_eq!(doc.frontmatter["mine"], serde_json::json!({"deep": [1, 2]}));
    assert_eq!(
        std::fs::read_to_string(f.state().join("archive/2026-01-01-src.md")).expect("source"),
        source,
        "the source is untouched"
    );
    // Without the setting, the project's newest session (the JSON fork) decides.
    let again = f
        .store(&[])
        .fork("2026-01-01-src", false, false)
        .expect("fork");
    assert_eq!(again.flavour(), Flavour::Json);
}
