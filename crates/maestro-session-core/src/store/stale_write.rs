//! No lost update from a stale write (issue 15): what `write-state` does with a session file
//! whose content was based on an older read of it.
//!
//! A model reads a session file, edits it and writes it back with `write-state`; meanwhile a
//! hook counted an agent's tokens, a person ran `maestro-session phase start`, an MCP tool
//! recorded an error. Writing the model's content as it is would silently revert all of that.
//!
//! **The base marker.** Every write of a session file by maestro-session makes its next
//! `revision` (a frontmatter key of ours: 1, 2, ...; see
//! [`crate::session::session_file::SessionFile::emit`]), and the event log records each change
//! with the `/revision` it made. The content `write-state` gets carries the revision it was read
//! at (the model keeps the line as it keeps every other), which names its base.
//!
//! **The rule**, when the file on disk is the same session:
//!
//! | content's `revision` | what happens |
//! |---|---|
//! | the file's, or the file has none | written (as the next revision) |
//! | older than the file's | **merged field by field**: every change recorded since the content's revision is kept, unless the content changed that field too (see below); written as the next revision, and `write-state` says on stderr which changes it kept |
//! | none, while the file has one | taken as based on the last revision `write-state` itself wrote (the model's own last write), else on the oldest revision the event log reaches: **merged** from there as above, and stderr says so |
//! | newer than the file's | **refused**: no read ever gave it |
//!
//! **Merging.** The changes recorded since the base are read from the session's event log,
//! newest first, back to the change that made the base revision; they must form an unbroken
//! chain of revisions (a lost or truncated event line between refuses the write). Each place a change
//! touched (a JSON pointer into the frontmatter; nested ones count as their outermost) is
//! compared three ways: the content's value, the file's value and the base value (the file's
//! value with the recorded changes undone). The content equal to the file: nothing to do. The
//! content equal to the base (the model did not touch it): the file's value is kept. Anything
//! else (both changed it, or the base value was too large for the log to quote) is a conflict,
//! and the write is **refused**, naming each place, its three values' sources and who changed
//! it. `updated` is the content's; `revision` is the next one.

use std::path::Path;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::session::session_file::SessionFile;
use crate::store::event_log::{self, Change, Event, Side};
use maestro_session_fs::beneath::Root;

/// The frontmatter keys the merge leaves out: `updated` is the writer's, `revision` the next.
const OWN_KEYS: [&str; 2] = ["/updated", "/revision"];

/// What became of a `write-state` of a session file that is on disk already.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Based on the file as it is: written as given.
    Current,
    /// Based on an older revision: merged.
    Merged {
        /// The content with the changes recorded since its base kept.
        file: Box<SessionFile>,
        /// What `write-state` says about it (one line).
        note: String,
    },
}

/// One change of the file, as the event log recorded it.
struct Link {
    /// The revision it made.
    after: u64,
    /// The revision it started from (`None`: the file's first).
    before: Option<u64>,
    /// `<actor> <op> at <time>`.
    who: String,
    /// Whether `write-state` made it.
    by_write_state: bool,
    /// Its changes.
    changes: Vec<Change>,
}

/// Checks `incoming` (what `write-state` got) against `current` (the same session, as on disk
/// at `shown`) and the session's event log beneath `root`.
///
/// Errors: [`Error::Refused`] as the module's table says, naming the revisions, the
/// conflicting fields and what to do; those of reading the event log.
pub(crate) fn check(
    root: &Root,
    shown: &Path,
    current: &SessionFile,
    incoming: &SessionFile,
) -> Result<Outcome> {
    let id = current.id();
    let redo = format!(
        "read {} again (read-state), make your change to it, keep its `revision` line as read, and write it back",
        shown.display()
    );
    let refuse = |why: String| Error::refused(id, format!("write-state refused: {why}; {redo}"));
    let Some(disk) = current.meta.revision else {
        return Ok(Outcome::Current);
    };
    if incoming.meta.revision == Some(disk) {
        return Ok(Outcome::Current);
    }
    if let Some(b) = incoming.meta.revision.filter(|&b| b > disk) {
        return Err(refuse(format!(
            "the content says `revision: {b}`, but {} is at revision {disk}; no read gave revision {b}",
            shown.display()
        )));
    }
    // The log is read from its end only as far back as the base: the change that started from
    // the content's revision, or write-state's own last change (the common case: cost by
    // distance, not by the log's length).
    let marker = incoming.meta.revision;
    let (chain, broken) = chain(
        event_log::read_newest_first(root, id)?,
        disk,
        |l| match marker {
            Some(b) => l.before == Some(b),
            None => l.by_write_state,
        },
    )?;
    let (base, links, assumed) = match incoming.meta.revision {
        Some(b) => {
            let Some(n) = chain.iter().position(|l| l.before == Some(b)) else {
                let why = broken.unwrap_or_else(|| {
                    format!("the event log does not reach back to revision {b}")
                });
                return Err(refuse(format!(
                    "the content is based on revision {b} of {}, which is at revision {disk}, and {why}, so the changes since cannot be kept",
                    shown.display()
                )));
            };
            (b, &chain[..=n], false)
        }
        // No marker: taken as based on what write-state itself last wrote (the model's own
        // last write), else on the oldest revision the log reaches.
        None => match chain.iter().position(|l| l.by_write_state) {
            Some(0) => return Ok(Outcome::Current),
            Some(n) => (chain[n].after, &chain[..n], true),
            None => match chain.last() {
                None => return Ok(Outcome::Current),
                Some(oldest) => (oldest.after, &chain[..chain.len() - 1], true),
            },
        },
    };
    // Oldest first.
    let since: Vec<(String, Change)> = links
        .iter()
        .rev()
        .flat_map(|l| l.changes.iter().map(|c| (l.who.clone(), c.clone())))
        .collect();
    if since.is_empty() {
        return Ok(Outcome::Current);
    }
    let mut front = incoming.frontmatter_as_read();
    let inc_front = Value::Object(incoming.frontmatter_json());
    let disk_front = Value::Object(current.frontmatter_json());
    let mut kept = Vec::new();
    let mut conflicts = Vec::new();
    for region in regions(&since) {
        let tokens = tokens(&region);
        let cur = pointer(&disk_front, &tokens).cloned();
        let inc = pointer(&inc_front, &tokens).cloned();
        if inc == cur {
            continue;
        }
        let base_value = base_of(&region, cur.clone(), &since);
        let who = who_changed(&region, &since);
        match base_value {
            Some(base_value) if base_value == inc => {
                if set(&mut front, &tokens, cur) {
                    kept.push(format!("{region} ({who})"));
                } else {
                    conflicts.push(format!(
                        "{region} (changed by {who}; the content no longer has the place it was in)"
                    ));
                }
            }
            Some(_) => conflicts.push(format!(
                "{region} (changed by {who} since revision {base}, and by the content)"
            )),
            None => conflicts.push(format!(
                "{region} (changed by {who} since revision {base}; its old value is too large for the event log to quote, so it cannot be told whether the content changed it)"
            )),
        }
    }
    let based = if assumed {
        format!(
            "the content has no `revision`, so it is taken as based on revision {base} of {} (the last one write-state wrote, else the oldest the event log knows), which is at revision {disk}",
            shown.display()
        )
    } else {
        format!(
            "the content is based on revision {base} of {}, which is at revision {disk}",
            shown.display()
        )
    };
    if !conflicts.is_empty() {
        return Err(refuse(format!(
            "{based}, and both changed {}",
            conflicts.join("; ")
        )));
    }
    if kept.is_empty() {
        return Ok(Outcome::Current);
    }
    let merged = incoming.with_frontmatter(front)?;
    let note = format!(
        "write-state: merged: {based}; kept the changes recorded since: {}",
        kept.join(", ")
    );
    Ok(Outcome::Merged {
        file: Box::new(merged),
        note,
    })
}

/// The changes that made the file's revisions, newest first, from revision `disk` back as far
/// as the log's events (`events`, newest first) chain (each change of the file names the
/// revision the next one started from) or up to the first link `enough` accepts, and why the
/// chain stops where it does when it breaks (`None`: it reached `enough`, the file's first
/// revision, or the log's start).
///
/// Errors: those of reading the log.
fn chain(
    events: impl Iterator<Item = Result<Event>>,
    disk: u64,
    enough: impl Fn(&Link) -> bool,
) -> Result<(Vec<Link>, Option<String>)> {
    let mut at = Some(disk);
    let mut out = Vec::new();
    for e in events {
        let e = e?;
        let Some(want) = at else {
            break;
        };
        if e.changes.is_empty() {
            // A hook's note (`agent started`): no change to the file.
            continue;
        }
        let Some(rev) = e.changes.iter().find(|c| c.path == "/revision") else {
            return Ok((
                out,
                Some(format!(
                    "the event log holds a change ({} by {} at {}) that names no revision",
                    e.op, e.actor, e.time
                )),
            ));
        };
        if rev.after != Side::Value(Value::from(want)) {
            return Ok((
                out,
                Some(format!(
                    "the event log lacks the change that made revision {want} (a crash between a write and its log line?)"
                )),
            ));
        }
        if e.extra.contains_key("changes_omitted") {
            return Ok((
                out,
                Some(format!(
                    "the event log could not hold every change of {} by {} at {}",
                    e.op, e.actor, e.time
                )),
            ));
        }
        let before = match &rev.before {
            Side::Value(v) => v.as_u64(),
            _ => None,
        };
        let link = Link {
            after: want,
            before,
            who: format!("{} {} at {}", e.actor, e.op, e.time),
            by_write_state: e.actor == event_log::Actor::WriteState.name(),
            changes: e.changes,
        };
        let done = enough(&link);
        out.push(link);
        if done {
            break;
        }
        at = before;
    }
    Ok((out, None))
}

/// The outermost places the changes touched (a change inside another's place counts as that
/// place), in the order first touched; `updated` and `revision` left out.
fn regions(changes: &[(String, Change)]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (_, c) in changes {
        if OWN_KEYS.contains(&c.path.as_str()) {
            continue;
        }
        if out.iter().any(|r| within(&c.path, r)) {
            continue;
        }
        out.retain(|r| !within(r, &c.path));
        out.push(c.path.clone());
    }
    out
}

/// Whether pointer `path` is `region` or lies inside it.
fn within(path: &str, region: &str) -> bool {
    path == region || (path.starts_with(region) && path.as_bytes().get(region.len()) == Some(&b'/'))
}

/// Who changed `region`: each distinct actor and op, oldest first.
fn who_changed(region: &str, changes: &[(String, Change)]) -> String {
    let mut who: Vec<&str> = Vec::new();
    for (w, c) in changes {
        if (within(&c.path, region) || within(region, &c.path)) && !who.contains(&w.as_str()) {
            who.push(w);
        }
    }
    who.join(", ")
}

/// The value `region` had at the base: its value now (`cur`) with the recorded changes inside
/// it undone, newest first. `None` when a change's old value was too large to quote.
fn base_of(
    region: &str,
    cur: Option<Value>,
    changes: &[(String, Change)],
) -> Option<Option<Value>> {
    // Held as `{"v": <value>}` so the region itself can be absent.
    let mut holder = Map::new();
    if let Some(v) = cur {
        holder.insert("v".into(), v);
    }
    for (_, c) in changes.iter().rev() {
        if !within(&c.path, region) {
            continue;
        }
        let before = match &c.before {
            Side::Absent => None,
            Side::Value(v) => Some(v.clone()),
            Side::Bytes(_) => return None,
        };
        let mut t = vec!["v".to_string()];
        t.extend(tokens(&c.path[region.len()..]));
        if !set(&mut holder, &t, before) {
            return None;
        }
    }
    Some(holder.remove("v"))
}

/// The reference tokens of JSON pointer `p` (RFC 6901: `~1` is `/`, `~0` is `~`).
fn tokens(p: &str) -> Vec<String> {
    p.split('/')
        .skip(1)
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect()
}

fn pointer<'v>(v: &'v Value, tokens: &[String]) -> Option<&'v Value> {
    tokens.iter().try_fold(v, |v, t| match v {
        Value::Object(m) => m.get(t),
        Value::Array(a) => t.parse::<usize>().ok().and_then(|i| a.get(i)),
        _ => None,
    })
}

/// Sets the place `tokens` names in `m` to `value` (`None`: removes it). An array index may be
/// the array's length (appends) and only its last element may be removed. `false` when the
/// place's parent does not exist or has another shape.
fn set(m: &mut Map<String, Value>, tokens: &[String], value: Option<Value>) -> bool {
    let Some((last, parents)) = tokens.split_last() else {
        return false;
    };
    let Some((first, rest)) = parents.split_first() else {
        return set_in_object(m, last, value);
    };
    let Some(mut parent) = m.get_mut(first) else {
        return false;
    };
    for t in rest {
        let next = match parent {
            Value::Object(o) => o.get_mut(t),
            Value::Array(a) => t.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
            _ => None,
        };
        let Some(next) = next else {
            return false;
        };
        parent = next;
    }
    match parent {
        Value::Object(o) => set_in_object(o, last, value),
        Value::Array(a) => {
            let Ok(i) = last.parse::<usize>() else {
                return false;
            };
            match value {
                Some(v) if i < a.len() => {
                    a[i] = v;
                    true
                }
                Some(v) if i == a.len() => {
                    a.push(v);
                    true
                }
                None if i + 1 == a.len() => {
                    a.pop();
                    true
                }
                None => i >= a.len(),
                Some(_) => false,
            }
        }
        _ => false,
    }
}

fn set_in_object(o: &mut Map<String, Value>, key: &str, value: Option<Value>) -> bool {
    match value {
        Some(v) => {
            o.insert(key.to_string(), v);
        }
        None => {
            o.shift_remove(key);
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn change(path: &str, before: Side, after: Side) -> Change {
        Change {
            path: path.into(),
            before,
            after,
        }
    }

    fn event(rev: (u64, u64), changes: Vec<Change>) -> Event {
        let mut all = vec![change(
            "/revision",
            Side::Value(json!(rev.0)),
            Side::Value(json!(rev.1)),
        )];
        all.extend(changes);
        Event::new(&event_log::Actor::Cli, "tokens", "s", all)
    }

    #[test]
    fn the_chain_is_walked_back_until_it_breaks() {
        let events: Vec<(usize, Event)> = vec![
            (
                1,
                event(
                    (1, 2),
                    vec![change("/a", Side::Value(json!(1)), Side::Value(json!(2)))],
                ),
            ),
            (
                2,
                Event::new(
                    &event_log::Actor::Hook("BeforeAgent".into()),
                    "agent started",
                    "s",
                    vec![],
                ),
            ),
            (
                3,
                event(
                    (2, 3),
                    vec![change("/b/c", Side::Absent, Side::Value(json!(5)))],
                ),
            ),
        ];
        let newest_first = || events.iter().rev().map(|(_, e)| Ok(e.clone()));
        let (links, broken) = chain(newest_first(), 3, |_| false).expect("chain");
        assert_eq!(broken, None);
        let revs: Vec<(u64, Option<u64>)> = links.iter().map(|l| (l.after, l.before)).collect();
        assert_eq!(revs, [(3, Some(2)), (2, Some(1))]);
        // Walked back only as far as asked: up to the change that started from revision 2.
        let (links, broken) = chain(newest_first(), 3, |l| l.before == Some(2)).expect("chain");
        assert_eq!(broken, None);
        assert_eq!(links.iter().map(|l| l.after).collect::<Vec<_>>(), [3]);
        let (links, broken) = chain(newest_first(), 4, |_| false).expect("chain");
        assert!(links.is_empty());
        assert!(broken.expect("broken").contains("revision 4"));
        // A log that cannot be read is an error, not a short chain.
        let failing = std::iter::once(Err(Error::refused("s", "unreadable".to_string())));
        assert!(chain(failing, 3, |_| false).is_err());
    }

    #[test]
    fn base_values_are_the_current_ones_with_the_changes_undone() {
        let since = vec![
            (
                "x".to_string(),
                change(
                    "/t/by/coder",
                    Side::Absent,
                    Side::Value(json!({"input": 5})),
                ),
            ),
            (
                "y".to_string(),
                change(
                    "/t/by/coder/input",
                    Side::Value(json!(5)),
                    Side::Value(json!(9)),
                ),
            ),
            (
                "z".to_string(),
                change("/big", Side::Bytes(900), Side::Value(json!(1))),
            ),
        ];
        assert_eq!(regions(&since), ["/t/by/coder", "/big"]);
        assert_eq!(
            base_of("/t/by/coder", Some(json!({"input": 9})), &since),
            Some(None),
            "added since the base"
        );
        assert_eq!(
            base_of("/big", Some(json!(1)), &since),
            None,
            "too large to quote"
        );
    }

    #[test]
    fn set_appends_replaces_and_removes_only_what_it_can() {
        let mut m = json!({"a": {"l": [1, 2]}})
            .as_object()
            .cloned()
            .expect("map");
        let t = |p: &str| tokens(p);
        assert!(set(&mut m, &t("/a/l/2"), Some(json!(3))));
        assert!(set(&mut m, &t("/a/l/0"), Some(json!(0))));
        assert!(!set(&mut m, &t("/a/l/5"), Some(json!(9))), "past the end");
        assert!(!set(&mut m, &t("/a/l/0"), None), "not the last element");
        assert!(set(&mut m, &t("/a/l/2"), None));
        assert!(!set(&mut m, &t("/x/y"), Some(json!(1))), "no parent");
        assert!(set(&mut m, &t("/a/k~1v"), Some(json!(1))));
        assert_eq!(Value::Object(m), json!({"a": {"l": [0, 2], "k/v": 1}}));
    }
}
