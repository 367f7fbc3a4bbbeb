#!/usr/bin/env python3
"""Fails on a Markdown link to a file or anchor that does not exist.

Checks README.md and every docs/**/*.md (or the files given): each inline link or image
`[text](target)`, `<target>` form included, and each reference definition `[name]: target`,
outside fenced code blocks and code spans. A relative target must name a file or folder of the
repository; a `#anchor` (alone, or after a Markdown file) must be the GitHub slug of a heading of
that file, or an explicit `<a id="...">`/`<a name="...">`. Links with a scheme (https:, mailto:)
are not fetched.

Usage: python3 scripts/check-links.py [--self-test] [FILE.md ...]
Exit 0 when every link resolves, 1 when one does not (each named as FILE:LINE), 2 on bad usage.
Python 3.11 standard library only.
"""

from __future__ import annotations

import re
import sys
import tempfile
import unicodedata
from pathlib import Path

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
INLINE = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
REFDEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)")
HTML_ANCHOR = re.compile(r"<a\s+[^>]*(?:id|name)\s*=\s*\"([^\"]+)\"", re.IGNORECASE)
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def strip_code_spans(line: str) -> str:
    """The line with every code span blanked (a run of n backticks to the next run of n)."""
    out = []
    i = 0
    while i < len(line):
        if line[i] != "`":
            out.append(line[i])
            i += 1
            continue
        j = i
        while j < len(line) and line[j] == "`":
            j += 1
        ticks = line[i:j]
        close = re.compile(r"(?<!`)" + ticks + r"(?!`)")
        m = close.search(line, j)
        if m is None:
            out.append(ticks)
            i = j
        else:
            out.append(" " * (m.end() - i))
            i = m.end()
    return "".join(out)


def prose_lines(text: str):
    """(line number, line) of the lines outside fenced code blocks."""
    fence = None
    for n, line in enumerate(text.splitlines(), 1):
        m = FENCE.match(line)
        if fence is None:
            if m:
                fence = m.group(1)
                continue
            yield n, line
        elif m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not line.strip()[len(m.group(1)):].strip():
            fence = None


def slug(heading: str) -> str:
    """GitHub's anchor for a heading's text: inline links reduced to their text, lower case,
    punctuation other than `-` and `_` removed, spaces made `-`."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = re.sub(r"<[^>]+>", "", text)
    text = text.strip().lower()
    kept = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch in "-_" or ch == " " or cat[0] in "LN" or cat == "Mn":
            kept.append("-" if ch == " " else ch)
    return "".join(kept)


def anchors(text: str) -> set[str]:
    """Every anchor a Markdown file defines: heading slugs (repeats get -1, -2, ...) and
    explicit HTML anchors."""
    seen: dict[str, int] = {}
    out: set[str] = set()
    for _, line in prose_lines(text):
        m = HEADING.match(line)
        if m:
            base = slug(m.group(2))
            count = seen.get(base, 0)
            seen[base] = count + 1
            out.add(base if count == 0 else f"{base}-{count}")
        for a in HTML_ANCHOR.findall(line):
            out.add(a)
    return out


def links(text: str):
    """(line number, target) of every link outside code."""
    for n, line in prose_lines(text):
        prose = strip_code_spans(line)
        for m in INLINE.finditer(prose):
            yield n, m.group(1)
        m = REFDEF.match(prose)
        if m:
            yield n, m.group(1)


def check(files: list[Path], root: Path) -> list[str]:
    """The broken links of `files`, each as `FILE:LINE: why`."""
    problems = []
    cache: dict[Path, set[str]] = {}

    def anchors_of(path: Path) -> set[str]:
        if path not in cache:
            cache[path] = anchors(path.read_text(encoding="utf-8"))
        return cache[path]

    for file in files:
        text = file.read_text(encoding="utf-8")
        shown = file.relative_to(root) if file.is_relative_to(root) else file
        for n, target in links(text):
            target = target.strip("<>")
            if SCHEME.match(target):
                continue
            path_part, _, anchor = target.partition("#")
            if path_part:
                if path_part.startswith("/"):
                    problems.append(f"{shown}:{n}: {target}: an absolute path (make it relative)")
                    continue
                dest = (file.parent / path_part).resolve()
                if not dest.exists():
                    problems.append(f"{shown}:{n}: {target}: no such file")
                    continue
                if not dest.is_relative_to(root):
                    problems.append(f"{shown}:{n}: {target}: outside the repository")
                    continue
            else:
                dest = file
            if anchor and dest.is_file() and dest.suffix == ".md":
                if anchor not in anchors_of(dest):
                    where = "" if dest == file else f" in {dest.relative_to(root)}"
                    problems.append(f"{shown}:{n}: {target}: no heading or anchor #{anchor}{where}")
    return problems


def self_test() -> None:
    """The checker finds what it must and nothing else, on a scratch tree."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp).resolve()
        (root / "docs").mkdir()
        (root / "src").mkdir()
        (root / "src" / "lib.rs").write_text("")
        (root / "docs" / "a.md").write_text(
            "# Title\n\n## The `.env` files\n\n### `MAESTRO_STATE_DIR`\n\n## Same\n\n## Same\n\n"
            '<a id="explicit"></a>\n'
        )
        (root / "README.md").write_text(
            "\n".join(
                [
                    "# Readme",
                    "[ok](docs/a.md) [ok](docs/a.md#the-env-files) [ok](docs/a.md#maestro_state_dir)",
                    "[ok](docs/a.md#same-1) [ok](docs/a.md#explicit) [ok](#readme) [ok](src/lib.rs#L1)",
                    "[ok](https://example.invalid/x) [ok](<docs/a.md>) ![ok](docs/a.md \"title\")",
                    "`[code](missing-in-code.md)` and ``[code](x.md) ` `` too",
                    "```sh",
                    "[fenced](missing-in-fence.md)",
                    "```",
                    "[bad1](docs/missing.md)",
                    "[bad2](docs/a.md#no-such-heading)",
                    "[bad3](#nowhere)",
                    "[bad4](docs/a.md#same-2)",
                    "[ref]: docs/gone.md",
                    "[bad6](/etc/passwd)",
                    "[bad7](../outside.md)",
                    "",
                ]
            )
        )
        found = check([root / "README.md", root / "docs" / "a.md"], root)
        bad = [p.split(": ")[1] for p in found]
        expected = [
            "docs/missing.md",
            "docs/a.md#no-such-heading",
            "#nowhere",
            "docs/a.md#same-2",
            "docs/gone.md",
            "/etc/passwd",
        ]
        # `../outside.md` is missing (no such file) or outside the repository: either way named.
        assert bad[: len(expected)] == expected, found
        assert len(found) == len(expected) + 1 and "../outside.md" in found[-1], found
        assert slug("`maestro-session phase start`") == "maestro-session-phase-start"
        assert slug("The `.env` files") == "the-env-files"
        assert slug("Coming from Maestro (1.2, 1.6)") == "coming-from-maestro-12-16"
    print("check-links: self-test passed")


def main(argv: list[str]) -> int:
    root = Path(__file__).resolve().parent.parent
    args = argv[1:]
    if args and args[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0
    if args and args[0] == "--self-test":
        self_test()
        args = args[1:]
        if not args:
            return 0
    if any(a.startswith("-") for a in args):
        print(f"check-links: unknown option among {args}; see --help", file=sys.stderr)
        return 2
    if args:
        files = [Path(a).resolve() for a in args]
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            print(f"check-links: no such file: {', '.join(missing)}", file=sys.stderr)
            return 2
    else:
        files = [root / "README.md", *sorted((root / "docs").rglob("*.md"))]
    problems = check(files, root)
    for p in problems:
        print(f"check-links: {p}", file=sys.stderr)
    if problems:
        print(f"check-links: {len(problems)} broken link(s) in {len(files)} file(s)", file=sys.stderr)
        return 1
    print(f"check-links: {len(files)} file(s), every link resolves")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
