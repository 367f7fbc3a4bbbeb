//! Setting aside a file that cannot be kept in place: `doctor --fix` and `delete --force` move
//! it to `state/quarantine/` with a note saying why, and never destroy its bytes.

use std::path::{Path, PathBuf};

use crate::clock;
use crate::error::Result;
use crate::fs::beneath::Root;
use crate::fs::durable;
use crate::workspace::paths::QUARANTINE_REL;

/// Moves `rel` into `state/quarantine/<UTC time>-<name>` (never over an existing file) and
/// writes `<that>.why` holding `reason`. Returns the new path, relative to the state dir.
pub(crate) fn quarantine(root: &Root, rel: &Path, reason: &str) -> Result<PathBuf> {
    root.create_dirs(Path::new(QUARANTINE_REL))?;
    let name = rel
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let now = jiff::Timestamp::now();
    let stamp = now.strftime("%Y%m%dT%H%M%SZ").to_string();
    let mut n = 1u32;
    let to = loop {
        let candidate = if n == 1 {
            format!("{stamp}-{name}")
        } else {
            format!("{stamp}-{n}-{name}")
        };
        let to = Path::new(QUARANTINE_REL).join(&candidate);
        let why = Path::new(QUARANTINE_REL).join(format!("{candidate}.why"));
        if root.metadata(&to)?.is_none() && root.metadata(&why)?.is_none() {
            break to;
        }
        n = n.saturating_add(1);
    };
    root.rename(rel, &to, false)?;
    let why = format!(
        "{reason}\noriginal path: {}\nmoved: {}\n",
        root.join(rel).display(),
        clock::iso(now)
    );
    let mut why_rel = to.clone().into_os_string();
    why_rel.push(".why");
    root.replace(
        Path::new(&why_rel),
        why.as_bytes(),
        durable::STATE_FILE_MODE,
        true,
    )?;
    Ok(to)
}
