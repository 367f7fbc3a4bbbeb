//! Property tests of the transcript counters (`maestro_session_core::session::transcript_usage`, issue 15 item 5):
//! over arbitrary transcripts (replies of Claude Code, Codex and Gemini CLI with small, huge,
//! negative and fractional counts, junk bytes, lines longer than the read window) that grow in
//! arbitrary pieces, read in arbitrary windows:
//!
//! - counting never panics, the offset only moves forward and never past the file's end;
//! - nothing is counted twice: counting the file as it grows piece by piece adds up to exactly
//!   what counting it whole gives, and counting again with nothing new adds nothing;
//! - nothing blocks later counting: after any such transcript, an ordinary reply appended at
//!   the end is counted, and the offset reaches the end.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use maestro_session_core::session::transcript_usage::{
    Counting, MAX_LINE_COUNT, TranscriptMark, UsageCounts, count_appended,
};
use proptest::prelude::*;

/// The text of a count: small, at and past Maestro's largest (2^53 - 1), near 2^64, past it,
/// negative, fractional, exponent, not a number.
fn count_text() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => (0u64..100_000).prop_map(|n| n.to_string()),
        1 => Just(MAX_LINE_COUNT.to_string()),
        1 => Just((MAX_LINE_COUNT + 1).to_string()),
        1 => Just(u64::MAX.to_string()),
        1 => Just("18446744073709551616".to_string()),
        1 => Just("-1".to_string()),
        1 => Just("2.5".to_string()),
        1 => Just("1e300".to_string()),
        1 => Just("\"12\"".to_string()),
        1 => Just("null".to_string()),
    ]
}

/// One transcript line (with its `\n`), of any shape.
fn line(window: usize) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => ("[a-c]", count_text(), count_text(), count_text()).prop_map(|(id, i, o, r)| format!(
            "{{\"type\":\"assistant\",\"message\":{{\"id\":\"{id}\",\"usage\":{{\"input_tokens\":{i},\"output_tokens\":{o},\"cache_read_input_tokens\":{r}}}}}}}\n"
        ).into_bytes()),
        2 => (count_text(), count_text(), count_text()).prop_map(|(i, o, c)| format!(
            "{{\"type\":\"event_msg\",\"payload\":{{\"type\":\"token_count\",\"info\":{{\"total_token_usage\":{{\"input_tokens\":{i},\"output_tokens\":{o},\"cached_input_tokens\":{c}}}}}}}}}\n"
        ).into_bytes()),
        2 => (count_text(), count_text()).prop_map(|(i, o)| format!(
            "{{\"type\":\"gemini\",\"tokens\":{{\"input\":{i},\"output\":{o},\"cached\":0}}}}\n"
        ).into_bytes()),
        1 => prop::collection::vec(any::<u8>().prop_filter("no newline", |b| *b != b'\n'), 0..64)
            .prop_map(|mut b| { b.push(b'\n'); b }),
        1 => (window..window * 3).prop_map(|n| {
            // Longer than the window, and it would count if it were read.
            let mut b = b"{\"type\":\"gemini\",\"tokens\":{\"input\":5,\"output\":5},\"x\":\"".to_vec();
            b.resize(n, b'x');
            b.extend_from_slice(b"\"}\n");
            b
        }),
        1 => Just(b"\n".to_vec()),
    ]
}

fn transcript() -> impl Strategy<Value = (Vec<u8>, usize, Vec<usize>)> {
    (64usize..400).prop_flat_map(|window| {
        (
            prop::collection::vec(line(window), 0..30).prop_map(|l| l.concat()),
            Just(window),
            prop::collection::vec(any::<prop::sample::Index>(), 0..6),
        )
            .prop_map(|(bytes, window, cuts)| {
                let mut cuts: Vec<usize> = cuts.iter().map(|c| c.index(bytes.len() + 1)).collect();
                cuts.sort_unstable();
                (bytes, window, cuts)
            })
    })
}

/// Counts `file[..len]` from `mark` with the given window, no budget limit; checks the
/// offset's rules on the way.
fn count(file: &[u8], len: usize, mark: &mut TranscriptMark, window: usize) -> Counting {
    let before = mark.offset;
    let read = |offset: u64, max: u64| -> Result<Vec<u8>, ()> {
        let start = usize::try_from(offset).map_err(|_| ())?.min(len);
        let end = start
            .saturating_add(usize::try_from(max).map_err(|_| ())?)
            .min(len);
        Ok(file[start..end].to_vec())
    };
    let c = count_appended(
        read,
        len as u64,
        mark,
        &UsageCounts::UNLIMITED,
        window as u64,
        u64::MAX,
    )
    .expect("in-memory reads do not fail");
    assert!(mark.offset >= before, "the offset never moves back");
    assert!(mark.offset <= len as u64, "never past the end");
    assert_eq!(mark.offset - before, c.used);
    c
}

fn plus(a: UsageCounts, b: UsageCounts) -> UsageCounts {
    a.checked_within(b, &UsageCounts::UNLIMITED)
        .expect("30 lines of at most 2^53 - 1 never pass 2^64 - 1")
}

const ORDINARY: &[u8] =
    b"{\"type\":\"gemini\",\"tokens\":{\"input\":1,\"output\":1,\"cached\":0}}\n";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn growing_in_pieces_counts_what_the_whole_counts_once((file, window, cuts) in transcript()) {
        let mut whole = TranscriptMark::default();
        let all = count(&file, file.len(), &mut whole, window);
        let mut grown = TranscriptMark::default();
        let mut sum = UsageCounts::default();
        let mut skipped = Vec::new();
        for cut in cuts.into_iter().chain([file.len()]) {
            let c = count(&file, cut, &mut grown, window);
            sum = plus(sum, c.counts);
            skipped.extend(c.skipped);
        }
        prop_assert_eq!(sum, all.counts);
        prop_assert_eq!(&skipped, &all.skipped);
        prop_assert_eq!(&grown, &whole);
        // Nothing new: nothing counted.
        let again = count(&file, file.len(), &mut grown, window);
        prop_assert!(again.counts.is_empty() && again.skipped.is_empty() && again.used == 0);
        for s in &all.skipped {
            prop_assert!(s.at < file.len() as u64);
        }
    }

    #[test]
    fn an_ordinary_reply_after_anything_is_counted((file, window, _) in transcript()) {
        let mut mark = TranscriptMark::default();
        count(&file, file.len(), &mut mark, window);
        let mut longer = file.clone();
        // A transcript may end in a partial line: the runtime finishes it before the next.
        if !longer.is_empty() && longer.last() != Some(&b'\n') {
            longer.push(b'\n');
        }
        longer.extend_from_slice(ORDINARY);
        let c = count(&longer, longer.len(), &mut mark, window);
        prop_assert_eq!(mark.offset, longer.len() as u64, "counting reached the end");
        prop_assert!(c.counts.replies >= 1 && c.counts.input >= 1 && c.counts.output >= 1, "{:?}", c);
    }

    #[test]
    fn a_limited_room_is_never_passed(
        (file, window, _) in transcript(),
        room in (0u64..1_000_000, 0u64..1_000_000, 0u64..1_000_000),
    ) {
        let room = UsageCounts {
            input: room.0,
            output: room.1,
            cached: room.2,
            ..UsageCounts::UNLIMITED
        };
        let mut mark = TranscriptMark::default();
        let read = |offset: u64, max: u64| -> Result<Vec<u8>, ()> {
            let start = (offset as usize).min(file.len());
            Ok(file[start..(start + max as usize).min(file.len())].to_vec())
        };
        let c = count_appended(read, file.len() as u64, &mut mark, &room, window as u64, u64::MAX)
            .expect("reads");
        prop_assert!(c.counts.input <= room.input);
        prop_assert!(c.counts.output <= room.output);
        prop_assert!(c.counts.cached <= room.cached);
    }
}

#[test]
fn a_failed_read_changes_nothing() {
    let mut mark = TranscriptMark {
        offset: 3,
        last_message: Some("m".into()),
        ..TranscriptMark::default()
    };
    let before = mark.clone();
    let err = count_appended(
        |_, _| Err::<Vec<u8>, _>("disk gone"),
        100,
        &mut mark,
        &UsageCounts::UNLIMITED,
        16,
        u64::MAX,
    );
    assert_eq!(err, Err("disk gone"));
    assert_eq!(mark, before);
}
