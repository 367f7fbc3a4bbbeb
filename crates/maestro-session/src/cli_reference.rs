//! The commands of `docs/cli.md` (between its `BEGIN GENERATED` and `END GENERATED` lines)
//! are rendered from the clap tree of [`crate::cli::Cli`] (by `clap-markdown`, as jj renders
//! its `cli-reference`), and this test fails when the checked-in file is not what the tree
//! renders: a changed command, option, value list or help text must come with its doc.
//!
//! Regenerate every generated reference with `sh scripts/update-docs.sh` (it runs this test
//! with `UPDATE_DOCS=1`, which rewrites the file instead of failing).

#![allow(clippy::disallowed_methods)] // the test reads and rewrites a doc of the repository

use std::path::PathBuf;

use clap::CommandFactory;

const BEGIN: &str = "<!-- BEGIN GENERATED: the commands, from the clap tree of `maestro-session` (crates/maestro-session/src/cli_reference.rs); run `sh scripts/update-docs.sh` -->";
const END: &str = "<!-- END GENERATED -->";

/// The rendered commands, between the markers: an overview linking every command, then one
/// section per command and subcommand with its usage, arguments, options and possible values.
fn render() -> String {
    let options = clap_markdown::MarkdownOptions::new()
        .show_footer(false)
        .show_table_of_contents(true);
    let body = clap_markdown::help_markdown_command_custom(&crate::cli::Cli::command(), &options);
    // clap-markdown opens with a title and a sentence of its own; the page has its own title.
    let body = body
        .find("**Command Overview:**")
        .map_or(body.as_str(), |at| &body[at..]);
    format!("{BEGIN}\n\n{}\n\n{END}\n", body.trim_end())
}

/// `docs/cli.md` with its generated part replaced by `commands`; the text before and after the
/// markers is written by hand (conventions, exit codes, JSON output).
fn splice(doc: &str, commands: &str) -> Option<String> {
    let start = doc.find(BEGIN)?;
    let end = doc[start..].find(END)? + start + END.len();
    let end = if doc[end..].starts_with('\n') {
        end + 1
    } else {
        end
    };
    Some(format!("{}{}{}", &doc[..start], commands, &doc[end..]))
}

fn doc_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/cli.md")
}

#[test]
fn docs_cli_md_is_what_the_clap_tree_renders() {
    let path = doc_path();
    let committed = std::fs::read_to_string(&path).expect("docs/cli.md exists");
    let rendered = splice(&committed, &render())
        .expect("docs/cli.md holds the BEGIN GENERATED and END GENERATED lines");
    if committed == rendered {
        return;
    }
    if std::env::var_os("UPDATE_DOCS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &rendered).expect("write docs/cli.md");
        return;
    }
    let first = committed
        .lines()
        .zip(rendered.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| committed.lines().count().min(rendered.lines().count()));
    panic!(
        "docs/cli.md is not what the clap tree renders (first difference at line {}: \
         committed {:?}, rendered {:?}); run `sh scripts/update-docs.sh` and commit docs/cli.md",
        first + 1,
        committed.lines().nth(first).unwrap_or("<end of file>"),
        rendered.lines().nth(first).unwrap_or("<end of file>"),
    );
}

#[test]
fn the_splice_keeps_the_hand_written_text() {
    let doc = format!("before\n{BEGIN}\nold\n{END}\nafter\n");
    assert_eq!(
        splice(&doc, "NEW\n").as_deref(),
        Some("before\nNEW\nafter\n")
    );
    assert_eq!(splice("no markers", "NEW\n"), None);
}

#[test]
fn every_command_has_a_section() {
    // The renderer walks the whole tree: each subcommand, at every depth, gets its heading,
    // so a command added without help text still shows up (and the test above catches it).
    let rendered = render();
    fn walk(cmd: &clap::Command, prefix: &str, out: &mut Vec<String>) {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            let name = format!("{prefix} {}", sub.get_name());
            out.push(name.clone());
            walk(sub, &name, out);
        }
    }
    let mut names = Vec::new();
    walk(&crate::cli::Cli::command(), "maestro-session", &mut names);
    assert!(names.len() > 20, "the tree has its commands: {names:?}");
    for name in names {
        assert!(
            rendered.contains(&format!("## `{name}`")),
            "docs/cli.md has no section for `{name}`"
        );
    }
}
