//! Property tests of the `.env` reader (`maestro_session_core::workspace::dotenv`, issue 15 and issue 16
//! item 3):
//!
//! - whatever the bytes, parsing never panics, and what it reports is consistent (lines in
//!   range and in order, no empty key);
//! - on generated valid files (plain values with spaces and inline comments, `export`, single
//!   and double quotes, multi-line double-quoted values, comments, blank lines, CRLF) every key
//!   reads as the value Maestro's rules give it;
//! - against Maestro 1.6.4's own `src/core/env-file-parser.js`, run with Node over a few hundred
//!   generated files (valid ones and ones made of the characters the rules turn on): the same
//!   keys and values. That comparison reads `../shared/reference/maestro-1.6.4/` and skips,
//!   saying so, when the folder or `node` is absent.
#![allow(clippy::disallowed_methods)] // tests set up fixtures directly; the rule is for the product

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use maestro_session_core::workspace::dotenv;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

/// One generated assignment: its key, the value Maestro's rules read, and how it is written.
#[derive(Debug, Clone)]
struct Line {
    key: String,
    value: String,
    text: String,
}

fn key() -> impl Strategy<Value = String> {
    "[A-Z_][A-Z0-9_]{0,12}"
}

/// A value written bare: may hold spaces, `#` not after whitespace, `=`, quotes inside; no
/// leading or trailing whitespace, not starting with a quote.
fn bare_value() -> impl Strategy<Value = String> {
    "[a-z0-9,./:=_-]{1,6}( [a-z0-9,./:=_-]{1,6}){0,3}"
}

fn line() -> impl Strategy<Value = Line> {
    let export = prop_oneof![Just(""), Just("export "), Just("export\t"), Just("  ")];
    let comment = prop_oneof![Just(""), Just(" # a comment"), Just("\t# x = 'y'")];
    (
        key(),
        bare_value(),
        export,
        comment,
        0u8..5,
        "[a-z #=',.-]{0,12}",
    )
        .prop_map(|(key, bare, export, comment, style, quoted)| {
            let (value, written) = match style {
                0 => (bare.clone(), format!("{bare}{comment}")),
                1 => {
                    let q = quoted.replace('"', "");
                    (q.clone(), format!("\"{q}\"{comment}"))
                }
                2 => {
                    let q = quoted.replace('\'', "");
                    (q.clone(), format!("'{q}'{comment}"))
                }
                3 => {
                    // Multi-line: `"` then lines, the last one ending with `"`.
                    let lines = [
                        bare.as_str(),
                        "  second line",
                        quoted.trim_end_matches(['"', '\\']),
                    ];
                    let value = lines.join("\n");
                    (value, format!("\"{}\"", lines.join("\n")))
                }
                // An empty value, maybe with a comment after whitespace (a `#` right after
                // `=` would be the value: Maestro cuts only at a `#` after whitespace).
                _ => (String::new(), comment.to_string()),
            };
            let text = format!("{export}{key}={written}");
            Line {
                key,
                value: value.trim_end_matches(['\r']).to_string(),
                text,
            }
        })
}

/// A valid file: lines, comment lines and blank lines, `\n` or `\r\n` ends.
fn file() -> impl Strategy<Value = (String, BTreeMap<String, String>)> {
    (
        prop::collection::vec(
            prop_oneof![
                4 => line().prop_map(Some),
                1 => Just(None),
            ],
            0..12,
        ),
        any::<bool>(),
    )
        .prop_map(|(lines, crlf)| {
            let mut text = String::new();
            let mut want = BTreeMap::new();
            for (i, l) in lines.into_iter().enumerate() {
                match l {
                    Some(l) => {
                        let multi = l.text.contains('\n');
                        // A multi-line value's inner lines keep their own `\r`; only the other
                        // lines get CRLF ends.
                        let end = if crlf && !multi { "\r\n" } else { "\n" };
                        text.push_str(&l.text);
                        text.push_str(end);
                        want.insert(l.key, l.value);
                    }
                    None if i % 2 == 0 => text.push_str("# just a comment = here\n"),
                    None => text.push('\n'),
                }
            }
            (text, want)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic_and_report_sane_lines(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let parsed = dotenv::parse(&bytes);
        let lines = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
        for e in &parsed.entries {
            prop_assert!(!e.key.is_empty());
            prop_assert!(e.line >= 1 && e.line <= lines);
        }
        let mut last = 0;
        for (line, _) in &parsed.warnings {
            prop_assert!(*line >= 1 && *line <= lines);
            prop_assert!(*line >= last, "warnings in file order");
            last = *line;
        }
    }

    #[test]
    fn generated_valid_files_read_as_maestro_rules_say((text, want) in file()) {
        let parsed = dotenv::parse(text.as_bytes());
        let got: BTreeMap<String, String> = parsed
            .values()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        prop_assert_eq!(got, want, "{:?}", text);
        prop_assert!(parsed.warnings.is_empty(), "{:?}: {:?}", text, parsed.warnings);
    }
}

/// Maestro 1.6.4's parser, when the reference copy is there: searched for as
/// `shared/reference/maestro-1.6.4/src/core/env-file-parser.js` beside the workspace or one
/// folder further up (a worktree).
fn maestro_parser() -> Option<PathBuf> {
    // The repository root: this crate is `crates/maestro-session-core`.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent()?.parent()?;
    root.ancestors().skip(1).take(2).find_map(|dir| {
        let file = dir.join("shared/reference/maestro-1.6.4/src/core/env-file-parser.js");
        file.is_file().then_some(file)
    })
}

/// Text made of the pieces Maestro's rules turn on: `export`, `=`, `#`, both quotes, `\`,
/// spaces and tabs, `\r`, the BOM, a no-break space, newlines, letters.
fn tricky_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("export "),
            Just("K"),
            Just("KEY_2"),
            Just("="),
            Just("#"),
            Just(" #"),
            Just("\""),
            Just("'"),
            Just("\\"),
            Just(" "),
            Just("\t"),
            Just("\r"),
            Just("\n"),
            Just("\u{feff}"),
            Just("\u{a0}"),
            Just("\u{85}"),
            Just("v a,l"),
            Just("é"),
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

#[test]
fn agrees_with_maestros_own_parser() {
    let Some(parser) = maestro_parser() else {
        eprintln!(
            "SKIPPED: Maestro 1.6.4's env-file-parser.js is not in ../shared/reference/; the \
             comparison with Maestro's own parser did not run"
        );
        return;
    };
    if std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED: no `node` on PATH; the comparison with Maestro's parser did not run");
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let mut runner = TestRunner::deterministic();
    let mut texts = Vec::new();
    for i in 0..600 {
        let text = if i % 2 == 0 {
            file().new_tree(&mut runner).expect("tree").current().0
        } else {
            tricky_text().new_tree(&mut runner).expect("tree").current()
        };
        std::fs::write(dir.path().join(format!("{i}.env")), &text).expect("write");
        texts.push(text);
    }
    let script = format!(
        "const {{ parseEnvFile }} = require({parser:?});\n\
         const out = [];\n\
         for (let i = 0; i < {n}; i++) out.push(parseEnvFile({dir:?} + '/' + i + '.env'));\n\
         process.stdout.write(JSON.stringify(out));\n",
        parser = parser.display().to_string(),
        n = texts.len(),
        dir = dir.path().display().to_string(),
    );
    let out = std::process::Command::new("node")
        .arg("-e")
        .arg(script)
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "node: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: Vec<BTreeMap<String, String>> =
        serde_json::from_slice(&out.stdout).expect("node printed JSON");
    let mut differ = Vec::new();
    for (i, (text, want)) in texts.iter().zip(&theirs).enumerate() {
        let ours: BTreeMap<String, String> = dotenv::parse(text.as_bytes())
            .values()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if &ours != want {
            differ.push(format!(
                "{i}: {text:?}\n  ours:    {ours:?}\n  Maestro: {want:?}"
            ));
        }
    }
    assert!(
        differ.is_empty(),
        "{} of {} files read differently:\n{}",
        differ.len(),
        texts.len(),
        differ[..differ.len().min(5)].join("\n")
    );
}
