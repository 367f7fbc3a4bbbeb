//! What `doctor` checks in `state/teams/`: every `<name>.json` is a team record whose name is
//! its stem ([`crate::team::record::parse`]), and no removal was left half done. Reported,
//! never rewritten: a record that does not parse is the only list of what a team made
//! (worktrees, containers), so it is for a person to fix.

use std::path::Path;

use crate::team::record::{self, RECORD_CAP, TEAMS_REL};
use maestro_session_fs::beneath::Root;
use maestro_session_fs::reader::ReadKind;

/// One finding: (file relative to the state dir, what is wrong, what to do).
pub type Finding = (String, String, String);

/// The problems of the team records beneath `root` (the state dir).
pub fn check(root: &Root) -> Vec<Finding> {
    let mut out = Vec::new();
    let names = match root.names(Path::new(TEAMS_REL)) {
        Ok(n) => n,
        Err(e) if e.is_not_found() => return out,
        Err(e) => {
            out.push((
                TEAMS_REL.to_string(),
                format!("cannot list: {e}"),
                "make it a readable folder".into(),
            ));
            return out;
        }
    };
    for n in names {
        let Some(stem) = n.strip_suffix(".json") else {
            continue;
        };
        let rel = Path::new(TEAMS_REL).join(&n);
        let shown = rel.to_string_lossy().into_owned();
        let parsed = root
            .read_file(&rel, ReadKind::new("a team record", RECORD_CAP), false)
            .map_err(crate::Error::from)
            .and_then(|b| record::parse(&root.join(&rel), stem, &b));
        match parsed {
            Err(e) => out.push((
                shown,
                e.to_string(),
                "fix the file by hand (it lists what the team made; never rewritten or removed by doctor)"
                    .into(),
            )),
            Ok(t) => {
                if let Some(r) = &t.removal {
                    out.push((
                        shown,
                        format!(
                            "a removal begun {} has {} step(s) left",
                            r.started,
                            r.steps.len()
                        ),
                        format!("`maestro-session team cleanup --remove {}` continues it", t.name),
                    ));
                }
            }
        }
    }
    out
}
