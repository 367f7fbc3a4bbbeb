//! The list index: a cache of the `list` row of each archived session file, in
//! `state/.index.json`, so listing thousands of sessions parses only the files that changed.
//!
//! An entry is keyed by the file's name and its identity on disk (inode, size, mtime in ns).
//! Every write of a session is a durable replace, which makes a new inode, and an edit in place
//! changes the mtime, so a changed file always misses the cache and is parsed again. Files that
//! do not parse are never cached: every listing parses and reports them. The index is written
//! atomically and only when it changed; when it cannot be read or written it is simply rebuilt
//! or skipped, never an error.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fs::beneath::Root;
use crate::fs::durable;
use crate::session::session_file::{Location, SessionFile};
use crate::store::listing::SessionSummary;

/// The index, relative to the state dir.
pub const INDEX_REL: &str = "state/.index.json";
/// File name of the index, in the `state/` folder.
pub const INDEX_FILE: &str = ".index.json";
/// The most bytes the index may hold (64 MiB, far above the ~5 MB of 10,000 sessions); a larger
/// one is ignored and rebuilt.
pub const MAX_INDEX_BYTES: u64 = 64 * 1024 * 1024;
const VERSION: u32 = 2;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Index {
    version: u32,
    entries: HashMap<String, Entry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    key: String,
    row: SessionSummary,
}

/// The identity of the entry `rel` (not following a symlink): inode, size, mtime in ns.
fn identity(root: &Root, rel: &Path) -> Option<String> {
    use cap_std::fs::MetadataExt;
    let m = root.metadata(rel).ok()??;
    Some(format!(
        "{}:{}:{}.{}",
        m.ino(),
        m.size(),
        m.mtime(),
        m.mtime_nsec()
    ))
}

/// The index as stored, or an empty one when it is missing, not a regular file, too large or
/// does not parse (it is a cache: it is then rebuilt).
fn load(root: &Root) -> Index {
    root.read_file(Path::new(INDEX_REL), MAX_INDEX_BYTES, false)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .filter(|i: &Index| i.version == VERSION)
        .unwrap_or_default()
}

/// Why the stored index disagrees with the archive, for `doctor`: entries whose file is
/// unchanged (same identity) but whose cached row differs from `fresh` (the rows just parsed,
/// by file name), or an index that exists but cannot be read. Stale entries of changed files
/// are not drift: they miss by design.
pub fn drift(root: &Root, fresh: &HashMap<String, SessionSummary>) -> Vec<String> {
    let rel = Path::new(INDEX_REL);
    match root.metadata(rel) {
        Ok(None) => return Vec::new(),
        Ok(Some(meta)) if !meta.is_file() => {
            return vec!["the index is not a regular file".into()];
        }
        _ => {}
    }
    let parsed = root
        .read_file(rel, MAX_INDEX_BYTES, false)
        .ok()
        .and_then(|b| serde_json::from_slice::<Index>(&b).ok());
    let Some(index) = parsed else {
        return vec!["the index cannot be read or parsed".into()];
    };
    let mut out = Vec::new();
    for (name, entry) in &index.entries {
        let file = Path::new(crate::workspace::paths::ARCHIVE_REL).join(name);
        if identity(root, &file).as_deref() != Some(entry.key.as_str()) {
            continue;
        }
        let mut cached = entry.row.clone();
        match fresh.get(name) {
            Some(row) => {
                cached.path.clone_from(&row.path);
                if &cached != row {
                    out.push(format!("the cached row of {name} differs from the file"));
                }
            }
            None => out.push(format!("{name} is cached but does not parse")),
        }
    }
    out.sort();
    out
}

/// The rows of the archived session files `names` (in `state/archive/` beneath the state dir
/// `root`), from the index where unchanged, parsed (in parallel) otherwise; plus the errors of
/// files that cannot be read or parsed.
pub fn rows(root: &Root, names: &[String]) -> (Vec<SessionSummary>, Vec<Error>) {
    let old = load(root);
    let mut fresh = Index {
        version: VERSION,
        entries: HashMap::with_capacity(names.len()),
    };
    let mut rows = Vec::with_capacity(names.len());
    let mut to_parse = Vec::new();
    let archive = Path::new(crate::workspace::paths::ARCHIVE_REL);
    for name in names {
        let rel = archive.join(name);
        let key = identity(root, &rel);
        match (key, old.entries.get(name)) {
            (Some(key), Some(entry)) if entry.key == key => {
                let mut row = entry.row.clone();
                row.path = root.join(&rel).display().to_string();
                rows.push(row);
                fresh.entries.insert(name.clone(), entry.clone());
            }
            (key, _) => to_parse.push((name.clone(), key, rel)),
        }
    }
    let parsed = parse_all(root, &to_parse);
    let mut errors = Vec::new();
    for ((name, key, _), result) in to_parse.iter().zip(parsed) {
        match result {
            Ok(row) => {
                if let Some(key) = key {
                    // The path is known from the file name; the index does not repeat it.
                    let cached = SessionSummary {
                        path: String::new(),
                        ..row.clone()
                    };
                    fresh.entries.insert(
                        name.clone(),
                        Entry {
                            key: key.clone(),
                            row: cached,
                        },
                    );
                }
                rows.push(row);
            }
            Err(e) => errors.push(e),
        }
    }
    let changed = !to_parse.is_empty() || fresh.entries.len() != old.entries.len();
    if changed && let Ok(bytes) = serde_json::to_vec(&fresh) {
        // Best effort: a read-only state dir only costs the next listing a parse.
        let _ = root.replace(
            Path::new(INDEX_REL),
            &bytes,
            durable::STATE_FILE_MODE,
            false,
        );
    }
    (rows, errors)
}

/// Removes the index (it is rebuilt by the next listing).
pub fn forget(root: &Root) -> Result<()> {
    match root.remove(Path::new(INDEX_REL)) {
        Err(e) if e.is_not_found() => Ok(()),
        other => other,
    }
}

fn parse_all(
    root: &Root,
    items: &[(String, Option<String>, PathBuf)],
) -> Vec<Result<SessionSummary>> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8);
    let chunk = items.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(_, _, rel)| {
                            SessionFile::read_in(root, rel, Location::Archive)
                                .map(|s| SessionSummary::of(&s))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join().unwrap_or_else(|_| {
                    vec![Err(Error::Invalid("a listing thread panicked".into()))]
                })
            })
            .collect()
    })
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests set up fixtures directly
mod tests {
    use super::*;

    const YAML: &str = include_str!("../../../tests/fixtures/maestro-state/active-session.yaml.md");

    #[test]
    fn cached_rows_follow_changes_and_broken_files_are_always_reported() {
        let t = tempfile::tempdir().expect("tmp");
        let archive = t.path().join("state/archive");
        std::fs::create_dir_all(&archive).expect("mkdir");
        let a = archive.join("a.md");
        std::fs::write(&a, YAML).expect("write");
        std::fs::write(archive.join("b.md"), "---\nstatus: [broken\n---\n").expect("write");
        let root = Root::open(t.path()).expect("root");
        let index = t.path().join(INDEX_REL);
        let names = vec!["a.md".to_string(), "b.md".to_string()];

        let (rows, errors) = rows(&root, &names);
        assert_eq!((rows.len(), errors.len()), (1, 1));
        assert!(index.is_file());
        let (again, errors) = super::rows(&root, &names);
        assert_eq!(again, rows, "served from the index");
        assert_eq!(
            errors.len(),
            1,
            "broken files are parsed and reported every time"
        );
        let fresh: HashMap<String, SessionSummary> = [("a.md".to_string(), rows[0].clone())].into();
        assert!(drift(&root, &fresh).is_empty());

        // A cached row that lies about an unchanged file is drift.
        let mut stored: Index =
            serde_json::from_slice(&std::fs::read(&index).expect("read")).expect("json");
        if let Some(entry) = stored.entries.get_mut("a.md") {
            entry.row.task = "lie".into();
        }
        std::fs::write(&index, serde_json::to_vec(&stored).expect("json")).expect("write");
        assert_eq!(drift(&root, &fresh).len(), 1);

        // Replace a.md (new inode) with a different status: the row follows.
        let tmp = archive.join("a.tmp");
        std::fs::write(
            &tmp,
            YAML.replace(
                "status: \"in_progress\"\nworkflow",
                "status: \"failed\"\nworkflow",
            ),
        )
        .expect("write");
        std::fs::rename(&tmp, &a).expect("rename");
        let (rows, _) = super::rows(&root, &names);
        assert_eq!(
            rows[0].status,
            crate::session::lifecycle::SessionStatus::Failed
        );

        // A corrupt index is rebuilt, and reported as drift until then.
        std::fs::write(&index, "not json").expect("write");
        assert_eq!(drift(&root, &fresh).len(), 1);
        let (rows, _) = super::rows(&root, &names);
        assert_eq!(rows.len(), 1);
    }
}
