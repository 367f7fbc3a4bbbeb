//! Setting aside a file that cannot be kept in place: `doctor --fix` and `delete --force` move
//! it to `state/quarantine/<UTC time>-<name>` with a `<that>.why` note saying why, and never
//! destroy its bytes.
//!
//! One intent record (op `quarantine`, see [`crate::store::intent`]): the note is written
//! first, then the file is moved (never over an existing file), so a crash leaves the record
//! and the next command completes the move. `state/quarantine/` itself must be a real folder
//! (not a symlink): `doctor` reports one that is not, and `--fix` renames it aside first. Nothing
//! in `state/quarantine/` is ever swept or removed by the tools
//! ([`maestro_session_fs::durable::NEVER_SWEPT`]).

use std::path::{Path, PathBuf};

use crate::clock;
use crate::error::{Error, Result};
use crate::store::intent::{self, Intent, Step, shape};
use crate::workspace::paths::QUARANTINE_REL;
use maestro_session_fs::beneath::Root;
use maestro_session_fs::durable;

/// Moves `rel` into `state/quarantine/<UTC time>-<name>` (never over an existing file) and
/// writes `<that>.why` holding `reason`, as one intent. Returns the new path, relative to the
/// state dir.
///
/// Errors: [`Error::Refused`] when `state/quarantine` is not a real folder (a symlink, a FIFO);
/// those of the intent (see [`intent::run`]).
pub(crate) fn quarantine(root: &Root, rel: &Path, reason: &str) -> Result<PathBuf> {
    prepare(root)?;
    let name = rel
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let to = free_name(root, &name, &[])?;
    let why = why_text(root, rel, reason);
    let why_rel = format!("{to}.why");
    let from = maestro_session_fs::beneath::slash_text(rel);
    if from == intent::INTENTS_REL || Path::new(&from).starts_with(intent::INTENTS_REL) {
        // The folder of the records, or a file in it: the record of this move would be written
        // beside it (and that write sweeps the folder's dead temp files, the very file a temp
        // file's set-aside moves). The note first, then one rename (a crash in between leaves
        // a note without its file; the file stays where it was).
        root.replace(
            Path::new(&why_rel),
            why.as_bytes(),
            durable::STATE_FILE_MODE,
            true,
        )?;
        root.rename(rel, Path::new(&to), false)?;
        return Ok(PathBuf::from(to));
    }
    let steps = vec![
        Step::Write {
            path: why_rel,
            content: why,
        },
        Step::Move {
            from: from.clone(),
            to: to.clone(),
        },
    ];
    let owner = shape::owner_of(&from);
    intent::run(
        root,
        &Intent::new(shape::Op::Quarantine.name(), &owner, steps),
    )?;
    Ok(PathBuf::from(to))
}

/// Makes `state/quarantine/` when missing, so something can be set aside in it.
///
/// Errors: [`Error::Refused`] when it is not a real folder (a symlink, a FIFO); those of
/// creating it.
pub(crate) fn prepare(root: &Root) -> Result<()> {
    usable(root)?;
    root.create_dirs(Path::new(QUARANTINE_REL))
        .map_err(crate::Error::from)
}

/// Refuses to set anything aside while `state/quarantine` is not a real folder.
fn usable(root: &Root) -> Result<()> {
    match root.metadata(Path::new(QUARANTINE_REL))? {
        Some(meta) if !meta.is_dir() => Err(Error::refused(
            QUARANTINE_REL,
            format!(
                "{} is {}, not a folder; run `maestro-session doctor --fix` to rename it aside",
                root.join(QUARANTINE_REL).display(),
                durable::DescribeType::describe(&meta.file_type())
            ),
        )),
        _ => Ok(()),
    }
}

/// A free path `state/quarantine/<UTC time>[-<n>]-<name>` (relative to the state dir) that
/// neither exists nor is in `taken`, with its `.why` free too.
pub(crate) fn free_name(root: &Root, name: &str, taken: &[String]) -> Result<String> {
    let stamp = jiff::Timestamp::now()
        .strftime("%Y%m%dT%H%M%SZ")
        .to_string();
    let mut n = 1u32;
    loop {
        let candidate = if n == 1 {
            format!("{QUARANTINE_REL}/{stamp}-{name}")
        } else {
            format!("{QUARANTINE_REL}/{stamp}-{n}-{name}")
        };
        let why = format!("{candidate}.why");
        if !taken.contains(&candidate)
            && root.metadata(Path::new(&candidate))?.is_none()
            && root.metadata(Path::new(&why))?.is_none()
        {
            return Ok(candidate);
        }
        n = n.saturating_add(1);
    }
}

/// The text of a `.why` note: the reason, where the file was, when.
pub(crate) fn why_text(root: &Root, rel: &Path, reason: &str) -> String {
    format!(
        "{reason}\noriginal path: {}\nmoved: {}\n",
        root.join(rel).display(),
        clock::now_iso()
    )
}
