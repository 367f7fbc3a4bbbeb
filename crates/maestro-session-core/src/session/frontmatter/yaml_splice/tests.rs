use super::*;
use serde_json::json;

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn read(text: &str) -> Map<String, Value> {
    obj(serde_saphyr::from_str(text).expect("test text parses"))
}

/// Splices `new` over `text` and checks the result reads back as `new`.
fn check(text: &str, new: &Map<String, Value>) -> String {
    let old = read(text);
    let out = splice(text, &old, new).expect("splices");
    assert_eq!(&read(&out), new, "reads back as the new value:\n{out}");
    out
}

#[test]
fn unchanged_is_verbatim() {
    let text = "# head\na:   1 # one\nbig: 123456789012345678901234567890\ny: yes\nt: !!str 5\nc: !custom x\nm:\n  # lead\n  k: 'v'\n  s: |\n    lit\n\nseq:\n- a\n-   b\n# tail\n";
    let old = read(text);
    assert_eq!(splice(text, &old, &old).as_deref(), Some(text));
}

#[test]
fn changed_scalar_keeps_neighbours_and_comments() {
    let text = "# head\na: 1   # one\n# about b\nb: yes\nc: 3\n# tail\n";
    let mut new = read(text);
    new["a"] = json!(2);
    new.shift_remove("c");
    new.insert("d".into(), json!("new"));
    let out = check(text, &new);
    assert_eq!(
        out,
        "# head\na: 2   # one\n# about b\nb: yes\nd: \"new\"\n# tail\n"
    );
}

#[test]
fn walks_into_nested_blocks() {
    let text = "phases:\n  # first\n  - id: 1   # the first\n    status: pending\n    x: !custom y\n  - id: 2\n    status: pending # two\n    extra: on\ntokens:\n  by_agent:\n    coder:\n      input: 1\n";
    let mut new = read(text);
    new["phases"][1]["status"] = json!("completed");
    new["phases"][1]
        .as_object_mut()
        .expect("obj")
        .insert("done".into(), json!(true));
    new["tokens"]["by_agent"]["coder"]["input"] = json!(6);
    new["phases"]
        .as_array_mut()
        .expect("arr")
        .push(json!({"id": 3, "agents": ["a"]}));
    let out = check(text, &new);
    assert_eq!(
        out,
        "phases:\n  # first\n  - id: 1   # the first\n    status: pending\n    x: !custom y\n  - id: 2\n    status: \"completed\" # two\n    extra: on\n    done: true\n  - id: 3\n    agents: [\"a\"]\ntokens:\n  by_agent:\n    coder:\n      input: 6\n"
    );
}

#[test]
fn changed_first_entry_of_an_item_stays_after_its_dash() {
    let text = "s:\n  - id: 1 # c\n    m: 2\n  -   k: 1\n      j: 2\n";
    let mut new = read(text);
    new["s"][0]["id"] = json!(5);
    new["s"][1]["j"] = json!(3);
    let out = check(text, &new);
    assert_eq!(out, "s:\n  - id: 5 # c\n    m: 2\n  -   k: 1\n      j: 3\n");
    // The first key removed: that item is written afresh, the other kept.
    let mut new = read(text);
    new["s"][0].as_object_mut().expect("obj").shift_remove("id");
    let out = check(text, &new);
    assert_eq!(out, "s:\n  - m: 2\n  -   k: 1\n      j: 2\n");
}

#[test]
fn indentless_and_nested_sequences() {
    let text = "a:\n- 1\n- x: 1\n  y: 2\n-\n  z: 1\nb:\n  - - n1\n    - n2\n  - [f, g]\n";
    let mut new = read(text);
    new["a"][1]["y"] = json!(7);
    new["a"][2]["z"] = json!(8);
    new["a"].as_array_mut().expect("arr").push(json!("four"));
    new["b"][0][1] = json!("m2");
    new["b"][1][0] = json!("h");
    let out = check(text, &new);
    assert_eq!(
        out,
        "a:\n- 1\n- x: 1\n  y: 7\n-\n  z: 8\n- \"four\"\nb:\n  - - n1\n    - \"m2\"\n  - [\"h\", \"g\"]\n"
    );
}

#[test]
fn aliases_are_written_expanded_and_anchors_kept_where_copied() {
    let text = "base: &b\n  x: 1\nuse: *b\nmerged:\n  <<: *b\n  w: 2\nother: 3\n";
    let mut new = read(text);
    new["other"] = json!(4);
    let out = check(text, &new);
    assert_eq!(
        out,
        "base: &b\n  x: 1\nuse:\n  x: 1\nmerged:\n  w: 2\n  x: 1\nother: 4\n"
    );
    // The anchored node itself changed: the alias still reads the old value, expanded.
    let mut new = read(text);
    new["base"]["x"] = json!(9);
    let out = check(text, &new);
    assert!(out.contains("use:\n  x: 1\n"), "{out}");
}

#[test]
fn block_scalars_and_multiline_values_keep_their_lines() {
    let text = "a: |\n  one\n  two\n\nb: this is\n  folded plain\nc: \"quoted\n  two\"\nd: 1\n";
    let mut new = read(text);
    new["d"] = json!(2);
    let out = check(text, &new);
    assert_eq!(out, text.replace("d: 1", "d: 2"));
    let mut new = read(text);
    new["a"] = json!("x");
    let out = check(text, &new);
    assert!(out.starts_with("a: \"x\"\nb: this is\n"), "{out}");
}

#[test]
fn a_nested_block_scalar_ends_before_the_next_key() {
    // The parser's span of `|` runs on to `j`, past the indentation of its line; the next
    // entry must not be copied as part of it (`*x` would be written twice).
    let text = "a: &x 1\nm:\n  k: |\n    lit\n  j: *x # c\n";
    let mut new = read(text);
    new["a"] = json!(2);
    let out = check(text, &new);
    assert_eq!(out, "a: 2\nm:\n  k: |\n    lit\n  j: 1 # c\n");
}

#[test]
fn explicit_keys_are_kept_whole_or_written_afresh() {
    // Found by the token-soup property test: a `? key` entry spans more lines than its
    // key's span, its empty value may sit at the start of the `:` line, its key may sit
    // away from the mapping's column (and `...` at column 0 would end the document).
    type Change = fn(&mut Map<String, Value>);
    let cases: [(&str, Change); 4] = [
        ("k0: 1\n? a\n:\n", |m| {
            m.insert("new".into(), json!(1));
        }),
        ("k0: 1\n?  \n  ...\t-  \n", |m| {
            if let Some(v) = m.values_mut().nth(1) {
                *v = json!(false);
            }
        }),
        ("k0: 1\n? |\n  - \n", |m| {
            if let Some(v) = m.values_mut().nth(1) {
                *v = json!(false);
            }
        }),
        ("k0: 1\n? a\n: 1\nz: 2\n", |m| {
            m.insert("k0".into(), json!(2));
        }),
    ];
    for (text, change) in cases {
        let mut new = read(text);
        change(&mut new);
        check(text, &new);
    }
    // Two entries on one line cannot be told apart: not walked.
    let text = "k0: 1\n? !!str |\n:: a\n";
    let old = read(text);
    let mut new = old.clone();
    new.insert("k0".into(), json!(2));
    assert_eq!(splice(text, &old, &new), None);
}

#[test]
fn crlf_sources_get_crlf_lines() {
    let text = "a: 1\r\nb: 2\r\n";
    let mut new = read(text);
    new["b"] = json!({"c": 1});
    let out = check(text, &new);
    assert_eq!(out, "a: 1\r\nb:\r\n  c: 1\r\n");
}

#[test]
fn duplicate_looking_keys_are_not_walked() {
    // `"1"` and `1` read as the same key: the mapping cannot be walked by key.
    let text = "\"1\": a\n1: b\n";
    let old = read(text);
    let mut new = old.clone();
    new["1"] = json!("c");
    assert_eq!(splice(text, &old, &new), None);
}

#[test]
fn empty_or_comment_only_source() {
    let text = "# only a comment\n";
    let new = obj(json!({"a": 1}));
    assert_eq!(
        splice(text, &Map::new(), &new).as_deref(),
        Some("# only a comment\na: 1\n")
    );
    assert_eq!(splice("", &Map::new(), &new).as_deref(), Some("a: 1\n"));
}

#[test]
fn malformed_or_mismatched_source_is_refused_not_panicked() {
    let new = obj(json!({"a": 1}));
    for text in ["a: [1\n", "- 1\n", "a: 1\n  b: 2\n", "\u{0}"] {
        assert_eq!(splice(text, &new, &new), None, "{text:?}");
    }
    // A source that does not match the old value is not walked.
    assert_eq!(splice("b: 1\n", &new, &new), None);
}
