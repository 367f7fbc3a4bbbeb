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
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fsx;
use crate::listing::SessionSummary;
use crate::store::{Location, SessionFile};

/// File name of the index, in the `state/` folder.
pub const INDEX_FILE: &str = ".index.json";
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

fn identity(path: &Path) -> Option<String> {
    let m = std::fs::metadata(path).ok()?;
    Some(format!(
        "{}:{}:{}.{}",
        m.ino(),
        m.size(),
        m.mtime(),
        m.mtime_nsec()
    ))
}

/// The rows of the archived session `files`, from the index at `index_path` where unchanged,
/// parsed (in parallel) otherwise; plus the errors of files that cannot be read or parsed.
pub fn rows(files: &[PathBuf], index_path: &Path) -> (Vec<SessionSummary>, Vec<Error>) {
    let old: Index = std::fs::read(index_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .filter(|i: &Index| i.version == VERSION)
        .unwrap_or_default();
    let mut fresh = Index {
        version: VERSION,
        entries: HashMap::with_capacity(files.len()),
    };
    let mut rows = Vec::with_capacity(files.len());
    let mut to_parse = Vec::new();
    for path in files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let key = identity(path);
        match (key, old.entries.get(&name)) {
            (Some(key), Some(entry)) if entry.key == key => {
                let mut row = entry.row.clone();
                row.path = path.display().to_string();
                rows.push(row);
                fresh.entries.insert(name, entry.clone());
            }
            (key, _) => to_parse.push((name, key, path)),
        }
    }
    let parsed = parse_all(&to_parse);
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
        let _ = fsx::atomic_replace(index_path, &bytes, fsx::STATE_FILE_MODE);
    }
    (rows, errors)
}

fn parse_all(items: &[(String, Option<String>, &PathBuf)]) -> Vec<Result<SessionSummary>> {
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
                        .map(|(_, _, p)| {
                            SessionFile::load(p, Location::Archive).map(|s| SessionSummary::of(&s))
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
mod tests {
    use super::*;

    const YAML: &str = include_str!("../../tests/fixtures/maestro-state/active-session.yaml.md");

    #[test]
    fn cached_rows_follow_changes_and_broken_files_are_always_reported() {
        let t = tempfile::tempdir().expect("tmp");
        let a = t.path().join("a.md");
        let b = t.path().join("b.md");
        std::fs::write(&a, YAML).expect("write");
        std::fs::write(&b, "---\nstatus: [broken\n---\n").expect("write");
        let index = t.path().join(INDEX_FILE);
        let files = vec![a.clone(), b.clone()];

        let (rows, errors) = rows(&files, &index);
        assert_eq!((rows.len(), errors.len()), (1, 1));
        assert!(index.is_file());
        let (again, errors) = super::rows(&files, &index);
        assert_eq!(again, rows, "served from the index");
        assert_eq!(
            errors.len(),
            1,
            "broken files are parsed and reported every time"
        );

        // Replace a.md (new inode) with a different status: the row follows.
        let tmp = t.path().join("a.tmp");
        std::fs::write(
            &tmp,
            YAML.replace(
                "status: \"in_progress\"\nworkflow",
                "status: \"failed\"\nworkflow",
            ),
        )
        .expect("write");
        std::fs::rename(&tmp, &a).expect("rename");
        let (rows, _) = super::rows(&files, &index);
        assert_eq!(rows[0].status, crate::lifecycle::SessionStatus::Failed);

        // A corrupt index is rebuilt.
        std::fs::write(&index, "not json").expect("write");
        let (rows, _) = super::rows(&files, &index);
        assert_eq!(rows.len(), 1);
    }
}
