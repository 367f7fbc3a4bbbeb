//! Session text made safe to show: what a model, a hook payload or a hand-edited file put in a
//! task, a phase name, an agent, an error message or the log never reaches a terminal (or the
//! HTML report) as a control.
//!
//! Hidden characters ([`is_hidden()`]) are removed:
//!
//! - C0 controls (U+0000-U+001F), DEL (U+007F) and C1 controls (U+0080-U+009F): an escape
//!   sequence (`ESC [ 2 J`, or the 8-bit CSI U+009B) could clear the screen, move the cursor or
//!   rewrite what was printed before;
//! - the Unicode bidirectional formatting characters, the "Trojan Source" set of
//!   CVE-2021-42574 (Unicode TR9): embeddings and overrides U+202A-U+202E, isolates
//!   U+2066-U+2069, and the marks U+200E, U+200F, U+061C: `Deploy U+202E gnp.exe` would
//!   display as `Deploy exe.png`;
//! - the line and paragraph separators U+2028 and U+2029, which some terminals break lines on.
//!
//! [`line()`] is for text shown on one line (a table cell, a header): line breaks and tabs become
//! a space, hidden characters are removed. [`text()`] is for text shown as several lines (the
//! orchestration log): `\n` and `\t` are kept. [`output()`] is the last pass over a whole
//! rendered output that may hold the tool's own styles: it keeps `\n`, `\t` and SGR style
//! sequences (`ESC [ digits ; m`) and removes every other hidden character, so even a field a
//! renderer forgot cannot move the cursor or reorder text.
//!
//! Widths and padding are computed on the result (a removed character takes no column).

use std::borrow::Cow;

/// Whether `c` is kept out of anything shown: a C0 or C1 control, DEL, a bidirectional
/// formatting character (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C), or U+2028 /
/// U+2029.
pub fn is_hidden(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{061c}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// `text` for one line of a terminal: `\n`, `\r` and `\t` become a space, every other
/// [`is_hidden()`] character is removed. Borrowed when nothing changes.
pub fn line(text: &str) -> Cow<'_, str> {
    clean(text, false)
}

/// `text` for several lines of a terminal: `\n` and `\t` are kept, every other [`is_hidden()`]
/// character (`\r` included) is removed. Borrowed when nothing changes.
pub fn text(text: &str) -> Cow<'_, str> {
    clean(text, true)
}

fn clean(text: &str, multiline: bool) -> Cow<'_, str> {
    // Fast path: printable ASCII and no hidden character (the common case, a whole 10,000-row
    // listing goes through here).
    if !text.chars().any(is_hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\t' if multiline => out.push(c),
            '\n' | '\t' | '\r' if !multiline => out.push(' '),
            c if is_hidden(c) => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A whole rendered output that may hold the tool's own styles: `\n`, `\t` and complete SGR
/// sequences (`ESC [` digits and `;` `m`, at most 32 bytes) are kept; every other
/// [`is_hidden()`] character (a lone `ESC`, any other escape sequence's `ESC`, C1, bidi
/// controls) is removed. Borrowed when nothing changes.
pub fn output(text: &str) -> Cow<'_, str> {
    let needs = text
        .char_indices()
        .any(|(i, c)| is_hidden(c) && !matches!(c, '\n' | '\t') && sgr_len(&text[i..]).is_none());
    if !needs {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if let Some(n) = sgr_len(rest) {
            out.push_str(&rest[..n]);
            rest = &rest[n..];
            continue;
        }
        if !is_hidden(c) || matches!(c, '\n' | '\t') {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    Cow::Owned(out)
}

/// The length in bytes of the SGR sequence `text` starts with (`ESC [ [0-9;]* m`), if it does.
fn sgr_len(text: &str) -> Option<usize> {
    let body = text.strip_prefix("\x1b[")?;
    let params = body
        .bytes()
        .take(30)
        .take_while(|b| b.is_ascii_digit() || *b == b';')
        .count();
    (body.as_bytes().get(params) == Some(&b'm')).then_some(2 + params + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_and_controls_are_removed_and_lines_kept_where_asked() {
        let evil =
            "Deploy \u{202e}gnp.exe\u{2066}x\u{2069}\u{200f} \x1b[2J\u{9b}1m\x07a\r\nb\tc\u{2028}";
        assert_eq!(line(evil), "Deploy gnp.exex [2J1ma  b c");
        assert_eq!(text(evil), "Deploy gnp.exex [2J1ma\nb\tc");
        assert!(matches!(line("plain ascii, 日本"), Cow::Borrowed(_)));
        for c in ('\u{0}'..='\u{10ffff}').filter(|c| is_hidden(*c)) {
            let s = format!("a{c}b");
            assert!(!line(&s).chars().any(is_hidden), "{c:?}");
            assert!(
                !output(&s)
                    .chars()
                    .any(|c| is_hidden(c) && c != '\n' && c != '\t')
            );
        }
    }

    #[test]
    fn output_keeps_our_styles_only() {
        let styled = "\x1b[1mbold\x1b[0m \x1b[38;5;2mgreen\x1b[m\n";
        assert_eq!(output(styled), styled);
        assert!(matches!(output(styled), Cow::Borrowed(_)));
        assert_eq!(
            output("a\x1b[2Jb\x1b]0;title\x07c\u{202e}d\u{9b}31m\x1b"),
            "a[2Jb]0;titlecd31m"
        );
    }
}
