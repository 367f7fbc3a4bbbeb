//! The list index: a cache of the `list` row of each archived session file, in
//! `state/.list-index`, so listing thousands of sessions parses only the files that changed;
//! and the same rule for a second cache beside it whose payload the caller derives from the
//! parsed session ([`Extra`]: the search index of [`crate::store::search`]).
//!
//! An entry is keyed by the file's name and its identity on disk (`FileStamp`: inode, size,
//! mtime in ns). Every write of a session is a durable replace, which makes a new inode, and an
//! edit in place changes the mtime, so a changed file always misses the cache and is parsed
//! again. Files that do not parse are never cached: every listing parses and reports them. The
//! index is written with a fast replace (no fsync: it is a cache) and only when it changed;
//! when it cannot be read or written it is simply rebuilt or skipped, never an error, and an
//! entry that does not decode is a miss.
//!
//! Format (UTF-8, one line per file, read without a parser library so that 10,000 entries load
//! in a few ms):
//!
//! ```text
//! maestro-session list index 3
//! <file name>\t<ino>:<size>:<mtime_s>.<mtime_ns>\t<payload>
//! ```
//!
//! The list payload is the row's fields joined by tabs: `session_id`, `task`, `status`,
//! `stage`, `created`, `updated`, `current_phase` (as JSON), `total_phases`, `phases_done`,
//! `tokens`, `branch`; text escaped (`\\`, `\t`, `\n`, `\r`), an absent value `\-`. A file
//! name holding a tab, a newline or a carriage return is never cached.

use std::collections::HashMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::session::lifecycle::SessionStatus;
use crate::session::model::PhaseId;
use crate::session::session_file::{Location, SessionFile};
use crate::store::listing::SessionSummary;
use crate::workspace::paths::ARCHIVE_REL;
use maestro_session_fs::beneath::Root;
use maestro_session_fs::durable;
use maestro_session_fs::reader::ReadKind;

/// The index, relative to the state dir.
pub const INDEX_REL: &str = "state/.list-index";
/// File name of the index, in the `state/` folder.
pub const INDEX_FILE: &str = ".list-index";
/// The JSON index of earlier versions, removed when the new one is written.
pub const LEGACY_INDEX_REL: &str = "state/.index.json";
/// The most bytes the index may hold (64 MiB, far above the ~2.5 MB of 10,000 sessions); a
/// larger one is ignored and rebuilt.
pub const MAX_INDEX_BYTES: u64 = ReadKind::INDEX.cap;
const MAGIC: &str = "maestro-session list index 3";
/// The encoding of an absent value.
const NONE: &str = "\\-";

/// A second cache kept by the list index's rule: one payload per archived file, derived from
/// the parsed session by `derive` (called on listing threads), stored beside the list index
/// in `rel` (beneath the state dir) with first line `magic`, at most `kind`'s cap.
pub struct Extra<'a> {
    /// The cache file, relative to the state dir.
    pub rel: &'a str,
    /// Its first line; a file starting otherwise is rebuilt.
    pub magic: &'a str,
    /// What it is, for the reader: its name and size cap; a larger file is rebuilt.
    pub kind: ReadKind,
    /// The payload of one session: one line of text, no `\n` and no `\r`.
    pub derive: &'a (dyn Fn(&SessionFile) -> String + Sync),
}

/// What [`rows_with`] found in the archive.
#[derive(Debug, Default)]
pub struct Archived {
    /// The rows of the files that parse (in the order of the names given, less those).
    pub rows: Vec<SessionSummary>,
    /// With an [`Extra`], each row's payload (same order as `rows`); else empty.
    pub extra: Vec<String>,
    /// The files that cannot be read or parsed.
    pub errors: Vec<Error>,
}

/// One cache file as loaded: entries by file name, `(key, payload)` borrowed from `text`.
struct Loaded {
    text: String,
}

impl Loaded {
    /// The cache `rel` as stored, or an empty one when it is missing, not a regular file, too
    /// large, not UTF-8 or of another version (it is a cache: it is then rebuilt).
    fn read(root: &Root, rel: &str, magic: &str, kind: ReadKind) -> Loaded {
        let text = root
            .read_file(Path::new(rel), kind, false)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .filter(|t| t.lines().next() == Some(magic))
            .unwrap_or_default();
        Loaded { text }
    }

    /// The entries: file name → (key, payload). Malformed lines are skipped (misses).
    fn entries(&self) -> HashMap<&str, (&str, &str)> {
        let mut out = HashMap::new();
        for line in self.text.split('\n').skip(1) {
            let mut parts = line.splitn(3, '\t');
            if let (Some(name), Some(key), Some(payload)) =
                (parts.next(), parts.next(), parts.next())
            {
                out.insert(name, (key, payload));
            }
        }
        out
    }

    fn exists(&self) -> bool {
        !self.text.is_empty()
    }
}

/// Whether `name` can be a key of a line-oriented cache.
fn cacheable(name: &str) -> bool {
    !name.contains(['\t', '\n', '\r'])
}

/// Appends `text` escaped: `\` `\t` `\n` `\r` as two characters each.
fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

/// The text `field` encodes (see [`push_escaped`]), `None` for a bad escape.
fn unescape(field: &str) -> Option<String> {
    if !field.contains('\\') {
        return Some(field.to_string());
    }
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next()? {
            '\\' => '\\',
            't' => '\t',
            'n' => '\n',
            'r' => '\r',
            _ => return None,
        });
    }
    Some(out)
}

fn unescape_opt(field: &str) -> Option<Option<String>> {
    if field == NONE {
        Some(None)
    } else {
        unescape(field).map(Some)
    }
}

fn push_opt(out: &mut String, value: Option<&str>) {
    match value {
        Some(v) => push_escaped(out, v),
        None => out.push_str(NONE),
    }
}

/// The list payload of `row` (see the module docs).
fn encode_row(row: &SessionSummary) -> String {
    let mut out = String::with_capacity(256);
    push_escaped(&mut out, &row.session_id);
    out.push('\t');
    push_escaped(&mut out, &row.task);
    out.push('\t');
    out.push_str(row.status.as_str());
    out.push('\t');
    push_opt(&mut out, row.stage.as_deref());
    out.push('\t');
    push_escaped(&mut out, &row.created);
    out.push('\t');
    push_escaped(&mut out, &row.updated);
    out.push('\t');
    let phase = row
        .current_phase
        .as_ref()
        .and_then(|p| serde_json::to_string(p).ok());
    push_opt(&mut out, phase.as_deref());
    for n in [row.total_phases as u64, row.phases_done as u64, row.tokens] {
        out.push('\t');
        out.push_str(&n.to_string());
    }
    out.push('\t');
    push_opt(&mut out, row.branch.as_deref());
    out
}

/// The row a list payload encodes, at `path`; `None` when it does not decode.
fn decode_row(payload: &str, path: String) -> Option<SessionSummary> {
    let f: Vec<&str> = payload.split('\t').collect();
    let [
        id,
        task,
        status,
        stage,
        created,
        updated,
        phase,
        total,
        done,
        tokens,
        branch,
    ] = f.as_slice()
    else {
        return None;
    };
    let current_phase = match unescape_opt(phase)? {
        Some(json) => Some(serde_json::from_str::<PhaseId>(&json).ok()?),
        None => None,
    };
    Some(SessionSummary {
        session_id: unescape(id)?,
        task: unescape(task)?,
        status: status.parse::<SessionStatus>().ok()?,
        stage: unescape_opt(stage)?,
        created: unescape(created)?,
        updated: unescape(updated)?,
        current_phase,
        total_phases: total.parse().ok()?,
        phases_done: done.parse().ok()?,
        tokens: tokens.parse().ok()?,
        branch: unescape_opt(branch)?,
        location: Location::Archive,
        path,
    })
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
    let loaded = Loaded::read(root, INDEX_REL, MAGIC, ReadKind::INDEX);
    if !loaded.exists() {
        return vec!["the index cannot be read or parsed".into()];
    }
    let entries = loaded.entries();
    let mut names: Vec<String> = entries.keys().map(|n| n.to_string()).collect();
    names.sort();
    let stamps = root
        .entry_stamps(Path::new(ARCHIVE_REL), &names)
        .unwrap_or_else(|_| vec![None; names.len()]);
    let mut out = Vec::new();
    for (name, stamp) in names.iter().zip(stamps) {
        let Some(&(key, payload)) = entries.get(name.as_str()) else {
            continue;
        };
        if stamp.map(|s| s.to_string()).as_deref() != Some(key) {
            continue;
        }
        match (fresh.get(name), decode_row(payload, String::new())) {
            (Some(row), Some(mut cached)) => {
                cached.path.clone_from(&row.path);
                if &cached != row {
                    out.push(format!("the cached row of {name} differs from the file"));
                }
            }
            (Some(_), None) => out.push(format!("the cached row of {name} does not decode")),
            (None, _) => out.push(format!("{name} is cached but does not parse")),
        }
    }
    out.sort();
    out
}

/// The rows of the archived session files `names` (in `state/archive/` beneath the state dir
/// `root`), from the index where unchanged, parsed (in parallel) otherwise; plus the errors of
/// files that cannot be read or parsed.
pub fn rows(root: &Root, names: &[String]) -> (Vec<SessionSummary>, Vec<Error>) {
    let found = rows_with(root, names, None);
    (found.rows, found.errors)
}

/// [`rows`], and with `extra` each row's payload of that second cache: a file changed since
/// either cache saw it is parsed once (in parallel, [`std::thread::available_parallelism`]
/// threads, at most 8) and both are brought up to date and rewritten when they changed.
pub fn rows_with(root: &Root, names: &[String], extra: Option<&Extra<'_>>) -> Archived {
    let archive = Path::new(ARCHIVE_REL);
    let stamps = root
        .entry_stamps(archive, names)
        .unwrap_or_else(|_| vec![None; names.len()]);
    let list = Loaded::read(root, INDEX_REL, MAGIC, ReadKind::INDEX);
    let list_entries = list.entries();
    let more = extra.map(|x| Loaded::read(root, x.rel, x.magic, x.kind));
    let more_entries = more.as_ref().map(Loaded::entries);
    let archive_path = root.join(archive);
    let path_of = |name: &str| archive_path.join(name).display().to_string();

    // Per name: the cached row (and payload), or `None`: parse it.
    let mut slots = Vec::with_capacity(names.len());
    let mut keys = Vec::with_capacity(names.len());
    let mut to_parse = Vec::new();
    for (i, (name, stamp)) in names.iter().zip(&stamps).enumerate() {
        let key = stamp.filter(|_| cacheable(name)).map(|s| s.to_string());
        let row =
            fresh(&list_entries, name, key.as_deref()).and_then(|p| decode_row(p, path_of(name)));
        let payload = more_entries
            .as_ref()
            .map(|e| fresh(e, name, key.as_deref()));
        match (row, payload) {
            (Some(row), None) => slots.push(Some((row, None))),
            (Some(row), Some(Some(p))) => slots.push(Some((row, Some(p)))),
            _ => {
                to_parse.push(i);
                slots.push(None);
            }
        }
        keys.push(key);
    }
    let parsed = parse_all(root, names, &to_parse, extra.map(|x| x.derive));
    // Rewrite only when something was parsed or an entry is gone (then both caches differ).
    let dirty = !to_parse.is_empty()
        || list_entries.len() != names.len()
        || more_entries
            .as_ref()
            .is_some_and(|e| e.len() != names.len());

    let mut found = Archived::default();
    let mut list_out = String::from(MAGIC);
    let mut more_out = extra.map(|x| String::from(x.magic));
    let mut parsed = parsed.into_iter();
    for ((name, slot), key) in names.iter().zip(slots).zip(keys) {
        let (row, payload) = match slot {
            Some((row, payload)) => (row, payload.map(str::to_string)),
            None => match parsed.next() {
                Some(Ok(done)) => done,
                Some(Err(e)) => {
                    found.errors.push(e);
                    continue;
                }
                None => continue,
            },
        };
        if dirty && let Some(k) = key.as_deref() {
            push_line(&mut list_out, name, k, &encode_row(&row));
            if let (Some(out), Some(p)) = (more_out.as_mut(), payload.as_deref()) {
                push_line(out, name, k, p);
            }
        }
        if extra.is_some() {
            found.extra.push(payload.unwrap_or_default());
        }
        found.rows.push(row);
    }
    if !dirty {
        return found;
    }
    list_out.push('\n');
    // Best effort: a read-only state dir only costs the next listing a parse.
    if list_out != list.text {
        let _ = root.replace(
            Path::new(INDEX_REL),
            list_out.as_bytes(),
            durable::STATE_FILE_MODE,
            false,
        );
        if matches!(root.metadata(Path::new(LEGACY_INDEX_REL)), Ok(Some(_))) {
            let _ = root.remove(Path::new(LEGACY_INDEX_REL));
        }
    }
    if let (Some(x), Some(mut out), Some(old)) = (extra, more_out, more) {
        out.push('\n');
        if out != old.text {
            let _ = root.replace(
                Path::new(x.rel),
                out.as_bytes(),
                durable::STATE_FILE_MODE,
                false,
            );
        }
    }
    found
}

/// The payload of `name` in `entries` when it was cached under `key`.
fn fresh<'t>(
    entries: &HashMap<&str, (&str, &'t str)>,
    name: &str,
    key: Option<&str>,
) -> Option<&'t str> {
    entries
        .get(name)
        .filter(|(k, _)| Some(*k) == key)
        .map(|(_, payload)| *payload)
}

fn push_line(out: &mut String, name: &str, key: &str, payload: &str) {
    out.push('\n');
    out.push_str(name);
    out.push('\t');
    out.push_str(key);
    out.push('\t');
    out.push_str(payload);
}

/// Removes the index (it is rebuilt by the next listing).
pub fn forget(root: &Root) -> Result<()> {
    for rel in [INDEX_REL, LEGACY_INDEX_REL] {
        match root.remove(Path::new(rel)) {
            Err(e) if e.is_not_found() => {}
            other => other?,
        }
    }
    Ok(())
}

type Parsed = Result<(SessionSummary, Option<String>)>;

/// Parses `names[i]` for each `i` of `which` on up to 8 threads, in that order.
fn parse_all(
    root: &Root,
    names: &[String],
    which: &[usize],
    derive: Option<&(dyn Fn(&SessionFile) -> String + Sync)>,
) -> Vec<Parsed> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8);
    let chunk = which.len().div_ceil(threads).max(1);
    let archive = Path::new(ARCHIVE_REL);
    std::thread::scope(|scope| {
        let handles: Vec<_> = which
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|&i| {
                            let rel = archive.join(&names[i]);
                            SessionFile::read_in(root, &rel, Location::Archive)
                                .map(|s| (SessionSummary::of(&s), derive.map(|d| d(&s))))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .zip(which.chunks(chunk))
            .flat_map(|(h, part)| {
                h.join().unwrap_or_else(|_| {
                    part.iter()
                        .map(|_| Err(Error::Invalid("a listing thread panicked".into())))
                        .collect()
                })
            })
            .collect()
    })
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests set up fixtures directly
mod tests {
    use super::*;

    const YAML: &str =
        include_str!("../../../../tests/fixtures/maestro-state/active-session.yaml.md");

    #[test]
    fn rows_round_trip_through_the_line_format() {
        let file = SessionFile::from_bytes(YAML.as_bytes(), Path::new("x.md"), Location::Archive)
            .expect("fixture");
        let mut row = SessionSummary::of(&file);
        row.task = "tab\there\nnew \\line\r \\- ✓".into();
        row.branch = Some(String::new());
        row.stage = None;
        row.current_phase = Some(PhaseId::Name("2\t\"a\"".into()));
        let encoded = encode_row(&row);
        assert!(!encoded.contains(['\n', '\r']), "{encoded}");
        let back = decode_row(&encoded, row.path.clone()).expect("decodes");
        assert_eq!(back, row);
        assert_eq!(decode_row("too\tfew", String::new()), None);
        assert_eq!(unescape("bad\\q"), None);
        assert_eq!(unescape("trailing\\"), None);
    }

    #[test]
    fn cached_rows_follow_changes_and_broken_files_are_always_reported() {
        let t = tempfile::tempdir().expect("tmp");
        let archive = t.path().join("state/archive");
        std::fs::create_dir_all(&archive).expect("mkdir");
        let a = archive.join("a.md");
        std::fs::write(&a, YAML).expect("write");
        std::fs::write(archive.join("b.md"), "---\nstatus: [broken\n---\n").expect("write");
        std::fs::write(t.path().join(LEGACY_INDEX_REL), "{}").expect("legacy");
        let root = Root::open(t.path()).expect("root");
        let index = t.path().join(INDEX_REL);
        let names = vec!["a.md".to_string(), "b.md".to_string()];

        let (rows, errors) = rows(&root, &names);
        assert_eq!((rows.len(), errors.len()), (1, 1));
        assert!(index.is_file());
        assert!(!t.path().join(LEGACY_INDEX_REL).exists(), "legacy removed");
        let written = std::fs::read_to_string(&index).expect("read");
        let (again, errors) = super::rows(&root, &names);
        assert_eq!(again, rows, "served from the index");
        assert_eq!(
            std::fs::read_to_string(&index).expect("read"),
            written,
            "unchanged"
        );
        assert_eq!(
            errors.len(),
            1,
            "broken files are parsed and reported every time"
        );
        let fresh: HashMap<String, SessionSummary> = [("a.md".to_string(), rows[0].clone())].into();
        assert!(drift(&root, &fresh).is_empty());

        // A cached row that lies about an unchanged file is drift, and is what the index serves.
        std::fs::write(&index, written.replace("Add token", "Lie about")).expect("write");
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
        assert_eq!(rows[0].task, "Add token authentication to the REST API");

        // A corrupt index is rebuilt, and reported as drift until then.
        std::fs::write(&index, "not an index").expect("write");
        assert_eq!(drift(&root, &fresh).len(), 1);
        let (rows, _) = super::rows(&root, &names);
        assert_eq!(rows.len(), 1);
        assert!(
            std::fs::read_to_string(&index)
                .expect("read")
                .starts_with(MAGIC)
        );
    }

    #[test]
    fn an_extra_cache_follows_the_same_rule() {
        let t = tempfile::tempdir().expect("tmp");
        let archive = t.path().join("state/archive");
        std::fs::create_dir_all(&archive).expect("mkdir");
        std::fs::write(archive.join("a.md"), YAML).expect("write");
        let root = Root::open(t.path()).expect("root");
        let names = vec!["a.md".to_string()];
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let derive = |s: &SessionFile| {
            calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            format!("task={}", s.meta.task)
        };
        let extra = Extra {
            rel: "state/.extra",
            magic: "extra 1",
            kind: ReadKind::new("a test cache", 1 << 20),
            derive: &derive,
        };
        // The list index alone is current: the extra cache still gets its parse.
        let _ = rows(&root, &names);
        let found = rows_with(&root, &names, Some(&extra));
        assert_eq!(
            found.extra,
            ["task=Add token authentication to the REST API"]
        );
        let again = rows_with(&root, &names, Some(&extra));
        assert_eq!(again.extra, found.extra);
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1, "cached");
        std::fs::write(t.path().join("state/.extra"), "garbage").expect("write");
        let rebuilt = rows_with(&root, &names, Some(&extra));
        assert_eq!(rebuilt.extra, found.extra);
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 2);
    }
}
