//! Plan document names in `<state dir>/plans/`: the plan named by content, the plan documents
//! that lie in `plans/`, and free names for a session's copies in `plans/` and `plans/archive/`.

use std::path::{Path, PathBuf};

use super::Store;
use crate::error::{Error, Result};
use crate::workspace::paths::{PLANS_ARCHIVE_REL, PLANS_REL};
use maestro_session_fs::beneath::Root;

impl Store {
    /// For a plan document path (project-relative) lying directly in `<state dir>/plans/`,
    /// the move to a collision-free name in `plans/archive/` (see [`free_plan_name`]),
    /// state-dir relative. `moved` holds the moves already planned.
    pub(super) fn plan_move(
        &self,
        root: &Root,
        rel: &str,
        id: &str,
        moved: &[(String, String)],
    ) -> Result<Option<(String, String)>> {
        let Some((from, name)) = self.plan_in_plans(root, rel)? else {
            return Ok(None);
        };
        if let Some((_, to)) = moved.iter().find(|(f, _)| *f == from) {
            return Ok(Some((from, to.clone())));
        }
        let to = free_plan_name(root, PLANS_ARCHIVE_REL, id, &name, moved)?;
        Ok(Some((from, to)))
    }

    /// The state-dir relative path and file name of the plan document `rel` (project-relative)
    /// when it is a regular file directly in `<state dir>/plans/`.
    pub(super) fn plan_in_plans(&self, root: &Root, rel: &str) -> Result<Option<(String, String)>> {
        let Ok(clean) = maestro_session_fs::beneath::validate_relative(rel) else {
            return Ok(None);
        };
        let Ok(inside) = clean.strip_prefix(&self.ws.state_rel) else {
            return Ok(None);
        };
        let mut parts = inside.components();
        let (Some(first), Some(name), None) = (parts.next(), parts.next(), parts.next()) else {
            return Ok(None);
        };
        let Some(name) = name.as_os_str().to_str() else {
            return Ok(None);
        };
        if first.as_os_str() != PLANS_REL || name.starts_with('.') {
            return Ok(None);
        }
        let from = format!("{PLANS_REL}/{name}");
        if !root
            .metadata(Path::new(&from))?
            .is_some_and(|m| m.is_file())
        {
            return Ok(None);
        }
        Ok(Some((from, name.to_string())))
    }
}

/// A name in `folder` (state-dir relative) for session `id`'s copy of the plan document
/// `name` that no file holds and no planned step (`planned`, as (from, to)) takes:
/// `<id>--<name>`, then `<id>--2-<name>`, ...; a name that already starts with `<id>--` is
/// not prefixed again.
pub(super) fn free_plan_name(
    root: &Root,
    folder: &str,
    id: &str,
    name: &str,
    planned: &[(String, String)],
) -> Result<String> {
    let prefix = format!("{id}--");
    let bare = name.strip_prefix(&prefix).unwrap_or(name);
    let mut n = 1u32;
    loop {
        let to = if n == 1 {
            format!("{folder}/{prefix}{bare}")
        } else {
            format!("{folder}/{prefix}{n}-{bare}")
        };
        let taken = planned.iter().any(|(_, t)| *t == to);
        if !taken && root.metadata(Path::new(&to))?.is_none() {
            return Ok(to);
        }
        n = n.saturating_add(1);
    }
}

/// `plans/<name>` for the file name of a plan given as content: a bare name ending in `.md`,
/// of letters, digits, `.`, `_` and `-`, not hidden, at most 128 characters.
///
/// Errors: [`Error::Invalid`] saying which rule the name breaks.
pub(crate) fn plan_file_rel(name: &str) -> Result<PathBuf> {
    let why = if name.is_empty() {
        Some("it is empty")
    } else if name.len() > 128 {
        Some("it is longer than 128 characters")
    } else if name.contains(['/', '\\']) || name.contains("..") {
        Some("it must be a bare file name, without folders or `..`")
    } else if name.starts_with('.') {
        Some("it must not start with `.`")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        Some("only letters, digits, `.`, `_` and `-` are allowed")
    } else if !name.ends_with(".md") {
        Some("it must end in `.md`")
    } else {
        None
    };
    match why {
        Some(why) => Err(Error::Invalid(format!(
            "file name {:?} refused: {why}",
            name.chars().take(64).collect::<String>()
        ))),
        None => Ok(Path::new(PLANS_REL).join(name)),
    }
}
