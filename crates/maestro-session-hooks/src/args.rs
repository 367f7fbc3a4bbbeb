//! What the hooks and the state tools share of argument parsing. Both parse with `lexopt`
//! (no dependencies, nothing run at start-up), with `-o=value` read as the option `-o` and the
//! value `=value`, so an argument that is not understood is named exactly as given.

use std::ffi::OsString;

use lexopt::{Arg, Parser};

/// A parser over `args` (the arguments after the program name).
pub fn parser(args: impl IntoIterator<Item = OsString>) -> Parser {
    let mut parser = Parser::from_args(args);
    parser.set_short_equals(false);
    parser
}

/// An argument the caller does not understand, owned, so that the parser can then be asked
/// for the rest of it ([`Unknown::spelled`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unknown {
    /// `--name`.
    Long(String),
    /// `-c`, possibly the first of a cluster.
    Short(char),
    /// A positional argument.
    Value(OsString),
}

impl From<Arg<'_>> for Unknown {
    fn from(arg: Arg<'_>) -> Unknown {
        match arg {
            Arg::Long(name) => Unknown::Long(name.to_string()),
            Arg::Short(c) => Unknown::Short(c),
            Arg::Value(value) => Unknown::Value(value),
        }
    }
}

impl Unknown {
    /// The argument spelled as it was given: `--name` or `--name=value`, `-c` followed by the
    /// rest of its cluster (`-abc`, `-o=v`), or the value itself. An option name that is not
    /// valid UTF-8 comes out with U+FFFD in its place (`lexopt` decodes option names lossily).
    pub fn spelled(self, parser: &mut Parser) -> OsString {
        let (mut spelled, joiner) = match self {
            Unknown::Long(name) => (OsString::from(format!("--{name}")), "="),
            Unknown::Short(c) => (OsString::from(format!("-{c}")), ""),
            Unknown::Value(value) => return value,
        };
        if let Some(rest) = parser.optional_value() {
            spelled.push(joiner);
            spelled.push(rest);
        }
        spelled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_spelled(args: &[&str]) -> Vec<OsString> {
        let mut p = parser(args.iter().map(OsString::from));
        let mut out = Vec::new();
        while let Ok(Some(arg)) = p.next() {
            let arg = Unknown::from(arg);
            out.push(arg.spelled(&mut p));
        }
        out
    }

    #[test]
    fn unknown_arguments_are_spelled_as_given() {
        assert_eq!(
            all_spelled(&["--x", "--y=1", "-abc", "-o=v", "-", "pos", "--z="]),
            ["--x", "--y=1", "-abc", "-o=v", "-", "pos", "--z="].map(OsString::from)
        );
    }
}
