//! The references in `docs/` rendered from this crate, held to it: `docs/environment.md` from
//! the doc comments of `src/env_vars.rs` (as uv renders its environment reference from
//! `uv-static`), and the tool list of `docs/mcp-tools.md` (between its `BEGIN GENERATED` and
//! `END GENERATED` lines) from [`mcp::definitions`], the list `tools/list` serves.
//!
//! A test fails when the checked-in file differs from the rendering; `sh
//! scripts/update-docs.sh` (these tests with `UPDATE_DOCS=1`) rewrites it instead.

#![allow(clippy::disallowed_methods)] // the tests read and rewrite docs of the repository

use std::fmt::Write as _;
use std::path::PathBuf;

use maestro_session_core::EnvVars;
use maestro_session_core::tools::mcp;
use serde_json::{Map, Value};

/// The source the environment reference is rendered from (compiled in, so a change to it
/// rebuilds this test).
const ENV_VARS_RS: &str = include_str!("../src/env_vars.rs");

const BEGIN: &str = "<!-- BEGIN GENERATED: the tools, from `maestro_session_core::tools::mcp::definitions` (crates/maestro-session-core/tests/generated_docs.rs); run `sh scripts/update-docs.sh` -->";
const END: &str = "<!-- END GENERATED -->";

fn doc_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs")
        .join(name)
}

/// Compares `rendered` with the checked-in file; with `UPDATE_DOCS=1` rewrites it instead.
fn check(name: &str, rendered: &str) {
    let path = doc_path(name);
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed == rendered {
        return;
    }
    if std::env::var_os("UPDATE_DOCS").is_some_and(|v| v == "1") {
        std::fs::write(&path, rendered).expect("rewrite the doc");
        return;
    }
    let first = committed
        .lines()
        .zip(rendered.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| committed.lines().count().min(rendered.lines().count()));
    panic!(
        "docs/{name} is not what the code renders (first difference at line {}: committed {:?}, \
         rendered {:?}); run `sh scripts/update-docs.sh` and commit docs/{name}",
        first + 1,
        committed.lines().nth(first).unwrap_or("<end of file>"),
        rendered.lines().nth(first).unwrap_or("<end of file>"),
    );
}

// ---------------------------------------------------------------- environment variables

/// One `pub const` of `EnvVars`, with the group it stands in and its doc comment.
#[derive(Debug)]
struct Variable {
    group: String,
    name: String,
    doc: String,
}

/// The variables of `env_vars.rs` in source order: a `// --- group ---` line opens a group,
/// `///` lines are the doc of the next `pub const NAME: &'static str` (the `MAESTRO` list,
/// an array, is not a variable).
fn variables(source: &str) -> Vec<Variable> {
    let mut out = Vec::new();
    let mut group = String::new();
    let mut doc: Vec<&str> = Vec::new();
    for line in source.lines().map(str::trim) {
        if let Some(g) = line
            .strip_prefix("// ---")
            .and_then(|g| g.strip_suffix("---"))
        {
            group = g.trim().to_owned();
        } else if let Some(text) = line.strip_prefix("///") {
            doc.push(text.strip_prefix(' ').unwrap_or(text));
        } else if let Some(rest) = line.strip_prefix("pub const ") {
            if let Some((name, ty)) = rest.split_once(':')
                && ty.trim_start().starts_with("&'static str")
            {
                out.push(Variable {
                    group: group.clone(),
                    name: name.trim().to_owned(),
                    doc: doc.join("\n"),
                });
            }
            doc.clear();
        } else if !line.is_empty() {
            doc.clear();
        }
    }
    out
}

/// Rustdoc to GitHub Markdown: paragraphs joined into lines, intra-doc links to another
/// variable made links to its section, other intra-doc links left as code.
fn markdown(doc: &str) -> String {
    let mut text = doc
        .split("\n\n")
        .map(|p| p.split('\n').collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n\n");
    let mut from = 0;
    while let Some(start) = text[from..].find("[`").map(|i| i + from) {
        let Some(len) = text[start..].find("`]") else {
            break;
        };
        let inner = text[start + 2..start + len].to_owned();
        let replacement = match inner.strip_prefix("EnvVars::") {
            Some(var) => format!("[`{var}`](#{})", var.to_lowercase()),
            None => format!("`{inner}`"),
        };
        text.replace_range(start..start + len + 2, &replacement);
        from = start + replacement.len();
    }
    text
}

fn render_environment(source: &str) -> String {
    let mut out = String::from(
        "<!-- Generated from crates/maestro-session-core/src/env_vars.rs \
         (crates/maestro-session-core/tests/generated_docs.rs); do not edit: run `sh scripts/update-docs.sh`. -->\n\n\
         # Environment variables\n\n\
         Every variable maestro-session reads, from the doc comments of `EnvVars` \
         (`crates/maestro-session-core/src/env_vars.rs`), the one place a name is spelled. \
         The executables (hooks, state tools, `maestro-session`, the MCP server) read them from \
         their environment; the settings that say so are also read from the project's `.env` \
         (see [`.env` files](formats.md#env-files)). A bad value of a setting is an error naming \
         it, and nothing changes.\n",
    );
    let vars = variables(source);
    let mut group = None;
    for var in &vars {
        if group != Some(&var.group) {
            let _ = write!(out, "\n## {}\n", capitalize(&var.group));
            group = Some(&var.group);
        }
        let _ = write!(out, "\n### `{}`\n\n{}\n", var.name, markdown(&var.doc));
    }
    out
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[test]
fn generated_docs_environment_md_is_what_env_vars_rs_renders() {
    check("environment.md", &render_environment(ENV_VARS_RS));
}

#[test]
fn generated_docs_every_variable_is_read_from_the_source() {
    let vars = variables(ENV_VARS_RS);
    let names: Vec<&str> = vars.iter().map(|v| v.name.as_str()).collect();
    for name in EnvVars::MAESTRO {
        assert!(names.contains(&name), "{name} is not rendered");
    }
    for v in &vars {
        assert!(!v.doc.trim().is_empty(), "{} has no doc comment", v.name);
        assert!(!v.group.is_empty(), "{} stands in no group", v.name);
    }
    // The `MAESTRO` list is an array, not a variable.
    assert!(!names.contains(&"MAESTRO"));
}

#[test]
fn generated_docs_parser_reads_groups_docs_and_links() {
    let source = "impl EnvVars {\n    // --- first ---\n\n    /// One [`EnvVars::B`] and\n    /// [`crate::x`].\n    ///\n    /// Second.\n    pub const A: &'static str = \"A\";\n    #[doc(hidden)]\n    pub const ALL: [&'static str; 1] = [Self::A];\n    /// Lost: a line between.\n    fn f() {}\n    pub const B: &'static str =\n        other::NAME;\n}\n";
    let vars = variables(source);
    assert_eq!(vars.len(), 2, "{vars:?}");
    assert_eq!(vars[0].name, "A");
    assert_eq!(vars[0].group, "first");
    assert_eq!(
        markdown(&vars[0].doc),
        "One [`B`](#b) and `crate::x`.\n\nSecond."
    );
    assert_eq!(vars[1].name, "B");
    assert_eq!(
        vars[1].doc, "",
        "a doc comment cut off by other code is not B's"
    );
}

// ---------------------------------------------------------------------------- MCP tools

/// A JSON Schema's type in words: `string`, `integer | string`, `array of string`, `object`.
fn type_of(schema: &Value) -> String {
    let Some(obj) = schema.as_object() else {
        return "any".into();
    };
    if let Some(values) = obj.get("enum").and_then(Value::as_array) {
        return values
            .iter()
            .map(|v| format!("`{v}`"))
            .collect::<Vec<_>>()
            .join(" \\| ");
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(options) = obj.get(key).and_then(Value::as_array) {
            return options
                .iter()
                .map(type_of)
                .collect::<Vec<_>>()
                .join(" \\| ");
        }
    }
    match obj.get("type") {
        Some(Value::String(t)) if t == "array" => match obj.get("items") {
            Some(items) => format!("array of {}", type_of(items)),
            None => "array".into(),
        },
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" \\| "),
        _ => "any".into(),
    }
}

/// Table-cell text: one line, `|` escaped, and outside code spans `<`/`>` as entities (else
/// `<state_dir>` reads as an HTML tag and vanishes).
fn cell(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    one_line
        .split('`')
        .enumerate()
        .map(|(i, part)| {
            let part = part.replace('|', "\\|");
            if i % 2 == 0 {
                part.replace('<', "&lt;").replace('>', "&gt;")
            } else {
                part
            }
        })
        .collect::<Vec<_>>()
        .join("`")
}

fn render_tools(defs: &[mcp::ToolDef]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{BEGIN}");
    let _ = writeln!(out, "\n| tool | reads only | does |\n|---|---|---|");
    for d in defs {
        let _ = writeln!(
            out,
            "| [`{0}`](#{0}) | {1} | {2} |",
            d.name,
            if d.read_only { "yes" } else { "no" },
            cell(first_sentence(d.description))
        );
    }
    for d in defs {
        let _ = write!(out, "\n### `{}`\n\n{}\n", d.name, d.description);
        if d.read_only {
            out.push_str("\nRead-only (`readOnlyHint`).\n");
        }
        let props = d
            .input_schema
            .get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_else(Map::new);
        let required: Vec<&str> = d
            .input_schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if props.is_empty() {
            out.push_str("\nNo arguments.\n");
        } else {
            out.push_str("\n| argument | type | required | meaning |\n|---|---|---|---|\n");
            for (name, schema) in &props {
                let description = schema
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let _ = writeln!(
                    out,
                    "| `{name}` | {} | {} | {} |",
                    type_of(schema),
                    if required.contains(&name.as_str()) {
                        "yes"
                    } else {
                        "no"
                    },
                    cell(description)
                );
            }
        }
        let schema = serde_json::to_string_pretty(&Value::Object(d.input_schema.clone()))
            .expect("a schema serializes");
        let _ = write!(
            out,
            "\n<details><summary>Input schema</summary>\n\n```json\n{schema}\n```\n\n</details>\n"
        );
    }
    let _ = writeln!(out, "\n{END}");
    out
}

fn first_sentence(text: &str) -> &str {
    match text.find(". ") {
        Some(i) => &text[..=i],
        None => text,
    }
}

/// `docs/mcp-tools.md` with its generated part replaced by `tools`; the text around it is
/// written by hand.
fn splice(doc: &str, tools: &str) -> Option<String> {
    let start = doc.find(BEGIN)?;
    let end = doc[start..].find(END)? + start + END.len();
    let end = if doc[end..].starts_with('\n') {
        end + 1
    } else {
        end
    };
    Some(format!("{}{}{}", &doc[..start], tools, &doc[end..]))
}

#[test]
fn generated_docs_mcp_tools_md_lists_what_tools_list_serves() {
    let path = doc_path("mcp-tools.md");
    let doc = std::fs::read_to_string(&path).expect("docs/mcp-tools.md exists");
    let spliced = splice(&doc, &render_tools(&mcp::definitions()))
        .expect("docs/mcp-tools.md holds the BEGIN GENERATED and END GENERATED lines");
    check("mcp-tools.md", &spliced);
}

#[test]
fn generated_docs_every_tool_and_argument_is_rendered() {
    let defs = mcp::definitions();
    assert_eq!(defs.len(), mcp::TOOL_NAMES.len());
    let rendered = render_tools(&defs);
    for d in &defs {
        assert!(
            rendered.contains(&format!("\n### `{}`\n", d.name)),
            "{}",
            d.name
        );
        if let Some(props) = d.input_schema.get("properties").and_then(Value::as_object) {
            for name in props.keys() {
                assert!(
                    rendered.contains(&format!("| `{name}` |")),
                    "{}.{name}",
                    d.name
                );
            }
        }
    }
    // The splice keeps the hand-written text on both sides.
    let doc = format!("before\n{BEGIN}\nold\n{END}\nafter\n");
    assert_eq!(
        splice(&doc, "NEW\n").as_deref(),
        Some("before\nNEW\nafter\n")
    );
    assert_eq!(splice("no markers", "NEW\n"), None);
    assert_eq!(
        cell("a <dir> | `b <id>`\n c"),
        "a &lt;dir&gt; \\| `b <id>` c"
    );
}
