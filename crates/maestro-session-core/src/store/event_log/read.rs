//! Reading an event log: every line parsed or reported (a torn or over-long line is skipped
//! and counted, never a wall), followed as it grows ([`Tail`]), and the torn lines that
//! `doctor` finds and repairs.

use std::io::{BufRead, Read, Seek};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::format::*;
use crate::error::{Error, Result};
use crate::session::session_id::check_file_id;
use crate::workspace::paths::{EVENTS_REL, Workspace};
use maestro_session_fs::IoContext;
use maestro_session_fs::beneath::Root;
use maestro_session_fs::durable;

/// A log as read: its events with their 1-based line numbers, and the lines skipped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventLog {
    /// (line number, event), in file order.
    pub events: Vec<(usize, Event)>,
    /// Line numbers of lines that are not JSON objects (a torn write, foreign bytes); blank
    /// lines are neither events nor skipped.
    pub skipped: Vec<usize>,
    /// The bytes read: where a follower goes on from.
    pub end: u64,
}

/// Reads session `id`'s log beneath `root` (an empty log when there is none). Lines longer
/// than [`MAX_LINE_BYTES`] are skipped without being held in memory.
///
/// Errors: [`Error::NotRegular`] (a symlink or FIFO there); [`Error::Io`].
pub fn read(root: &Root, id: &str) -> Result<EventLog> {
    let rel = log_rel(id)?;
    let file = match root.open_read(&rel, false) {
        Err(e) if e.is_not_found() => return Ok(EventLog::default()),
        other => other?,
    };
    let path = root.join(&rel);
    check_regular(&file, &path)?;
    let mut log = EventLog::default();
    let mut line_no = 0usize;
    let mut reader = std::io::BufReader::with_capacity(64 * 1024, file);
    while let Some(line) = next_line(&mut reader, &path)? {
        line_no += 1;
        log.end += line.consumed;
        classify(line_no, &line.text, line.too_long, &mut log);
    }
    Ok(log)
}

/// The bytes [`NewestFirst`] reads at a time from the end of a log.
const BLOCK_BYTES: usize = 64 * 1024;

/// Session `id`'s log beneath `root` read from its end: its events newest first, as far back
/// as the caller takes them (an empty log when there is none). A look at the latest changes
/// (what `write-state` needs to merge a stale write) then costs what it reads, not the log's
/// length. Lines [`read`] skips (not a JSON object, longer than [`MAX_LINE_BYTES`], blank) are
/// skipped here too, so the events are [`read`]'s, reversed. The log as long as it was when
/// opened: a line appended meanwhile is not read.
///
/// Errors: [`Error::Invalid`] when `id` cannot name a file; [`Error::NotRegular`] (a symlink
/// or FIFO there); [`Error::Io`], then and from the iterator.
pub fn read_newest_first(root: &Root, id: &str) -> Result<NewestFirst> {
    NewestFirst::open(root, id, BLOCK_BYTES)
}

/// The iterator of [`read_newest_first`]: `Ok(event)`s newest first; an `Err` ends it.
#[derive(Debug)]
pub struct NewestFirst {
    file: Option<std::fs::File>,
    path: PathBuf,
    /// Where the bytes not yet read end (they are `[0, pos)`).
    pos: u64,
    block: Vec<u8>,
    /// The bytes of `block` not yet split into lines are `block[..end]`.
    end: usize,
    /// The line being gathered, in file order; `None` once it is longer than
    /// [`MAX_LINE_BYTES`] (skipped, as [`read`] skips it).
    line: Option<Vec<u8>>,
}

impl NewestFirst {
    fn open(root: &Root, id: &str, block: usize) -> Result<NewestFirst> {
        let rel = log_rel(id)?;
        let path = root.join(&rel);
        let mut out = NewestFirst {
            file: None,
            path,
            pos: 0,
            block: vec![0; block.max(1)],
            end: 0,
            line: Some(Vec::new()),
        };
        let file = match root.open_read(&rel, false) {
            Err(e) if e.is_not_found() => return Ok(out),
            other => other?,
        };
        check_regular(&file, &out.path)?;
        out.pos = file.metadata().ctx("inspect", &out.path)?.len();
        out.file = Some(file);
        Ok(out)
    }

    /// Puts `piece` (the bytes before those gathered) in front of the line being gathered.
    fn prepend(&mut self, piece: std::ops::Range<usize>) {
        if let Some(line) = &mut self.line {
            if line.len() + piece.len() > MAX_LINE_BYTES {
                self.line = None;
            } else {
                line.splice(0..0, self.block[piece].iter().copied());
            }
        }
    }

    /// The gathered line as an event (`None`: skipped), and a fresh line begun.
    fn take(&mut self) -> Option<Event> {
        let line = self.line.replace(Vec::new())?;
        let mut probe = EventLog::default();
        classify(0, &line, false, &mut probe);
        probe.events.pop().map(|(_, e)| e)
    }

    /// Reads the next block back from the end; `false` at the start of the file.
    fn read_block(&mut self) -> Result<bool> {
        let Some(file) = &mut self.file else {
            return Ok(false);
        };
        if self.pos == 0 {
            self.file = None;
            return Ok(false);
        }
        let n = usize::try_from(self.pos).map_or(self.block.len(), |p| p.min(self.block.len()));
        self.pos -= n as u64;
        file.seek(std::io::SeekFrom::Start(self.pos))
            .ctx("read", &self.path)?;
        file.read_exact(&mut self.block[..n])
            .ctx("read", &self.path)?;
        self.end = n;
        Ok(true)
    }
}

impl Iterator for NewestFirst {
    type Item = Result<Event>;

    fn next(&mut self) -> Option<Result<Event>> {
        loop {
            if let Some(i) = self.block[..self.end].iter().rposition(|&b| b == b'\n') {
                self.prepend(i + 1..self.end);
                self.end = i;
                if let Some(event) = self.take() {
                    return Some(Ok(event));
                }
                continue;
            }
            self.prepend(0..self.end);
            self.end = 0;
            // Past the start of the file: nothing more.
            self.file.as_ref()?;
            match self.read_block() {
                Ok(true) => {}
                // The first line of the file, then nothing.
                Ok(false) => {
                    if let Some(event) = self.take() {
                        return Some(Ok(event));
                    }
                }
                Err(e) => {
                    self.file = None;
                    self.line = None;
                    return Some(Err(e));
                }
            }
        }
    }
}

fn check_regular(file: &std::fs::File, path: &Path) -> Result<()> {
    let meta = file.metadata().ctx("inspect", path)?;
    if meta.is_file() {
        Ok(())
    } else {
        Err(Error::NotRegular {
            path: path.to_path_buf(),
            what: durable::DescribeType::describe(&meta.file_type()),
        })
    }
}

fn classify(line_no: usize, text: &[u8], too_long: bool, log: &mut EventLog) {
    if too_long {
        log.skipped.push(line_no);
        return;
    }
    if text.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    match serde_json::from_slice::<Value>(text) {
        Ok(Value::Object(m)) => log.events.push((line_no, Event::from_json(&m))),
        _ => log.skipped.push(line_no),
    }
}

/// One line as [`next_line`] reads it.
pub(in crate::store) struct Line {
    /// The line without its `\n` (empty when `too_long`).
    pub(in crate::store) text: Vec<u8>,
    /// Longer than [`MAX_LINE_BYTES`]: not kept.
    pub(in crate::store) too_long: bool,
    /// Bytes read, its `\n` included.
    pub(in crate::store) consumed: u64,
    /// Whether it ended with a `\n` (the last line of a file may not).
    pub(in crate::store) ended: bool,
}

/// The next line of `reader` (without its `\n`; the last one may have none), at most
/// [`MAX_LINE_BYTES`] of it kept.
pub(in crate::store) fn next_line(reader: &mut impl BufRead, path: &Path) -> Result<Option<Line>> {
    let mut line = Line {
        text: Vec::new(),
        too_long: false,
        consumed: 0,
        ended: false,
    };
    loop {
        let buf = reader.fill_buf().ctx("read", path)?;
        if buf.is_empty() {
            return Ok((line.consumed > 0).then_some(line));
        }
        let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..i], Some(i + 1)),
            None => (buf, None),
        };
        if line.text.len() + chunk.len() > MAX_LINE_BYTES {
            line.too_long = true;
            line.text.clear();
        } else if !line.too_long {
            line.text.extend_from_slice(chunk);
        }
        let used = done.unwrap_or(buf.len());
        reader.consume(used);
        line.consumed += used as u64;
        if done.is_some() {
            line.ended = true;
            return Ok(Some(line));
        }
    }
}

/// Follows a log as it grows (`log --follow`): each [`Tail::poll`] returns the complete lines
/// appended since the last one. A last line without its `\n` is held back until it is
/// completed (an append in progress, or a torn line that the next append terminates). The log
/// may not exist yet; a log that shrank (removed and made again) is read again from the
/// start.
#[derive(Debug)]
pub struct Tail {
    ws: Workspace,
    rel: PathBuf,
    offset: u64,
    line: usize,
    pending: Vec<u8>,
}

impl Tail {
    /// A follower of session `id`'s log in workspace `ws`, from byte `offset` (0: the start).
    ///
    /// Errors: [`Error::Invalid`] when `id` cannot name a file.
    pub fn new(ws: Workspace, id: &str, offset: u64) -> Result<Tail> {
        Ok(Tail {
            ws,
            rel: log_rel(id)?,
            offset,
            line: 0,
            pending: Vec::new(),
        })
    }

    /// The folder to watch for changes (`<state dir>/state/events`; it may not exist yet).
    pub fn folder(&self) -> PathBuf {
        self.ws.state_dir.join(EVENTS_REL)
    }

    /// The complete lines appended since the last poll.
    ///
    /// Errors: [`Error::NotRegular`]; [`Error::Io`].
    pub fn poll(&mut self) -> Result<EventLog> {
        let mut log = EventLog::default();
        let Some(root) = self.ws.open_state_dir(false)? else {
            return Ok(log);
        };
        let mut file = match root.open_read(&self.rel, false) {
            Err(e) if e.is_not_found() => return Ok(log),
            other => other?,
        };
        let path = root.join(&self.rel);
        check_regular(&file, &path)?;
        let len = file.metadata().ctx("inspect", &path)?.len();
        if len < self.offset {
            self.offset = 0;
            self.line = 0;
            self.pending.clear();
        }
        file.seek(std::io::SeekFrom::Start(self.offset))
            .ctx("read", &path)?;
        let mut fresh = Vec::new();
        file.take(len.saturating_sub(self.offset))
            .read_to_end(&mut fresh)
            .ctx("read", &path)?;
        self.offset += fresh.len() as u64;
        self.pending.extend_from_slice(&fresh);
        let mut start = 0usize;
        while let Some(i) = self.pending[start..].iter().position(|&b| b == b'\n') {
            self.line += 1;
            let text = &self.pending[start..start + i];
            classify(self.line, text, text.len() > MAX_LINE_BYTES, &mut log);
            start += i + 1;
        }
        self.pending.drain(..start);
        if self.pending.len() > MAX_LINE_BYTES {
            // A line this long is skipped anyway; keep only a marker's worth of it.
            self.pending.truncate(MAX_LINE_BYTES + 1);
        }
        log.end = self.offset;
        Ok(log)
    }
}

/// A line of a log that [`read`] skips (not a JSON object, or longer than
/// [`MAX_LINE_BYTES`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TornLine {
    /// Its number, from 1.
    pub line: usize,
    /// Where it starts, in bytes from the start of the log.
    pub offset: u64,
    /// Its length in bytes, without its `\n`.
    pub len: u64,
}

/// What [`torn_lines`] found in one log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Damage {
    /// The lines reads skip, in order.
    pub lines: Vec<TornLine>,
    /// Whether the last of them has no `\n` (it ends the file: a crash mid-append, or an
    /// append in progress).
    pub unterminated: bool,
}

/// The lines of the log `rel` (relative to `root`) that [`read`] skips, with their byte ranges:
/// what `doctor` reports and `doctor --fix` sets aside. Streams the log: any size.
///
/// Errors: [`Error::NotRegular`] (a symlink, a FIFO: never opened for reading), those of
/// reading.
pub fn torn_lines(root: &Root, rel: &Path) -> Result<Damage> {
    let file = root.open_read(rel, false)?;
    let path = root.join(rel);
    check_regular(&file, &path)?;
    let mut damage = Damage::default();
    let mut reader = std::io::BufReader::with_capacity(64 * 1024, file);
    let (mut line_no, mut offset) = (0usize, 0u64);
    while let Some(line) = next_line(&mut reader, &path)? {
        line_no += 1;
        let mut probe = EventLog::default();
        classify(line_no, &line.text, line.too_long, &mut probe);
        if !probe.skipped.is_empty() {
            let len = line.consumed - u64::from(line.ended);
            damage.lines.push(TornLine {
                line: line_no,
                offset,
                len,
            });
            damage.unterminated = !line.ended;
        }
        offset += line.consumed;
    }
    Ok(damage)
}

/// The logs in `state/events/` named `<session_id>.jsonl`: (path relative to the state dir,
/// session id, what [`torn_lines`] found or why it could not look). For `doctor`.
///
/// Errors: those of listing the folder.
pub(in crate::store) fn damaged(root: &Root) -> Result<Vec<(PathBuf, String, Result<Damage>)>> {
    let mut out = Vec::new();
    for name in root.names(Path::new(EVENTS_REL))? {
        let Some(id) = name.strip_suffix(".jsonl") else {
            continue;
        };
        if name.starts_with('.') || check_file_id(id).is_err() {
            continue;
        }
        let rel = Path::new(EVENTS_REL).join(&name);
        let found = torn_lines(root, &rel);
        out.push((rel, id.to_string(), found));
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // the tests lay out logs directly; the rule is for the product
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// One line of a log as the tests write it: an event, a torn piece, a blank line, or an
    /// object of one byte under, at or over the cap.
    fn line() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            4 => (0u32..1000, "[a-z\u{e9}\u{202e} ]{0,40}").prop_map(|(n, op)| {
                let mut line = Event::new(&Actor::Cli, &op, "s", Vec::new())
                    .with("n", n)
                    .to_line();
                line.pop();
                line
            }),
            1 => "[{}\":a-z0-9 ]{0,30}".prop_map(String::into_bytes),
            1 => Just(Vec::new()),
            1 => (0usize..3).prop_map(|extra| {
                let mut long = b"{\"v\":1,\"x\":\"".to_vec();
                long.resize(MAX_LINE_BYTES - 3 + extra, b'a');
                long.extend_from_slice(b"\"}");
                long
            }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Newest first, in blocks of any size, gives exactly `read`'s events reversed: torn,
        /// blank and over-long lines skipped alike, a last line with or without its `\n`.
        #[test]
        fn newest_first_is_read_reversed(
            lines in proptest::collection::vec(line(), 0..12),
            ends_with_newline in any::<bool>(),
            block in prop_oneof![1usize..9, 9usize..200, Just(BLOCK_BYTES)],
        ) {
            let t = tempfile::tempdir().expect("tmp");
            let root = Root::open(t.path()).expect("root");
            let rel = log_rel("s").expect("rel");
            let mut bytes = lines.join(&b'\n');
            if ends_with_newline && !lines.is_empty() {
                bytes.push(b'\n');
            }
            std::fs::create_dir_all(root.join(EVENTS_REL)).expect("mkdir");
            root.append(&rel, &bytes, 0o644, false).expect("write");
            let forward: Vec<Event> = read(&root, "s").expect("read").events.into_iter().map(|(_, e)| e).collect();
            let mut backward: Vec<Event> = NewestFirst::open(&root, "s", block)
                .expect("open")
                .collect::<Result<_>>()
                .expect("read back");
            backward.reverse();
            prop_assert_eq!(backward, forward);
        }
    }

    #[test]
    fn newest_first_reads_only_as_far_back_as_taken_and_no_log_is_empty() {
        let t = tempfile::tempdir().expect("tmp");
        let root = Root::open(t.path()).expect("root");
        assert_eq!(read_newest_first(&root, "s").expect("none").count(), 0);
        for n in 0..3000u32 {
            append(
                &root,
                &Event::new(&Actor::Cli, "x", "s", Vec::new()).with("n", n),
                false,
            )
            .expect("append");
        }
        let mut it = NewestFirst::open(&root, "s", 4096).expect("open");
        let newest = it.next().expect("one").expect("event");
        assert_eq!(newest.extra["n"], 2999);
        // One block read from the end of a log of about 200 KiB.
        assert!(it.pos > 150_000, "read back to {}", it.pos);
        let rel = log_rel("s").expect("rel");
        std::fs::remove_file(root.join(&rel)).expect("rm");
        std::os::unix::fs::symlink("/dev/null", root.join(&rel)).expect("symlink");
        assert!(
            read_newest_first(&root, "s").is_err(),
            "a symlinked log is refused"
        );
    }
}
