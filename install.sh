#!/bin/sh
# install.sh: build maestro-session and register its hooks with Gemini CLI / Claude Code.
# POSIX sh; running it again gives the same result.
set -eu

usage() {
    cat <<'USAGE'
Usage: ./install.sh [options]

Builds the release executables (cargo build --release --locked) and installs them:
  <prefix>/share/maestro-session/bin/   the hooks and state tools
  <prefix>/bin/maestro-session           the command line
<prefix>/share/maestro-session/ is also a Gemini CLI extension folder
(gemini-extension.json, hooks/hooks.json); it is linked with
`gemini extensions link <dir> --consent` when `gemini` is on PATH.

Options:
  --prefix DIR             install under DIR (default: $PREFIX, else ~/.local)
  --claude-settings FILE   merge the Claude Code hooks into FILE (e.g. ~/.claude/settings.json),
                           keeping its other keys; without it the block is printed
  --no-build               install the executables already built by an earlier run
  --no-link                do not run `gemini extensions link`
  -h, --help               show this help
USAGE
}

prefix="${PREFIX:-$HOME/.local}"
claude_settings=""
build=1
link=1
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) [ $# -ge 2 ] || { echo "install.sh: --prefix needs a folder" >&2; exit 2; }; prefix="$2"; shift 2 ;;
        --prefix=*) prefix="${1#--prefix=}"; shift ;;
        --claude-settings) [ $# -ge 2 ] || { echo "install.sh: --claude-settings needs a file" >&2; exit 2; }; claude_settings="$2"; shift 2 ;;
        --claude-settings=*) claude_settings="${1#--claude-settings=}"; shift ;;
        --no-build) build=0; shift ;;
        --no-link) link=0; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
target="${CARGO_TARGET_DIR:-$here/target}"
# On glibc Linux the executables are linked statically: it saves ~0.3 ms of dynamic loading on
# every hook run (scripts/bench.sh). An explicit --target keeps the flag off build scripts and
# proc-macros, which must stay dynamic.
host=$(rustc -vV 2>/dev/null | sed -n 's/^host: //p')
case "$host" in
    *-linux-gnu)
        out="$target/$host/release"
        if [ "$build" = 1 ]; then
            (cd "$here" && RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static" \
                cargo build --release --locked --target "$host")
        fi ;;
    *)
        out="$target/release"
        if [ "$build" = 1 ]; then
            (cd "$here" && cargo build --release --locked)
        fi ;;
esac
[ -x "$out/before-agent" ] || out="$target/release"

ext="$prefix/share/maestro-session"
mkdir -p "$ext/bin" "$prefix/bin"
for exe in session-start before-agent after-agent session-end read-state write-state read-active-session ensure-workspace; do
    src="$out/$exe"
    [ -x "$src" ] || { echo "install.sh: $src is missing; build first" >&2; exit 1; }
    # Copy to a temp name and rename, so a running hook never sees a half-written file.
    cp "$src" "$ext/bin/.$exe.tmp" && mv -f "$ext/bin/.$exe.tmp" "$ext/bin/$exe"
done
cp "$out/maestro-session" "$prefix/bin/.maestro-session.tmp"
mv -f "$prefix/bin/.maestro-session.tmp" "$prefix/bin/maestro-session"
# The extension's MCP server (gemini-extension.json mcpServers) runs ${extensionPath}/bin/maestro-session.
cp "$out/maestro-session" "$ext/bin/.maestro-session.tmp" && mv -f "$ext/bin/.maestro-session.tmp" "$ext/bin/maestro-session"

"$prefix/bin/maestro-session" setup gemini-extension "$ext"
echo "installed hooks and state tools in $ext/bin, maestro-session in $prefix/bin"

if [ "$link" = 1 ] && command -v gemini >/dev/null 2>&1; then
    # Re-linking an already linked extension fails; unlink first so this stays idempotent.
    gemini extensions uninstall maestro-session >/dev/null 2>&1 || true
    gemini extensions link "$ext" --consent
    echo "linked the Gemini CLI extension $ext"
else
    echo "Gemini CLI: link the extension with: gemini extensions link $ext --consent"
fi

if [ -n "$claude_settings" ]; then
    "$prefix/bin/maestro-session" setup claude --bin-dir "$ext/bin" --settings "$claude_settings"
    echo "merged the Claude Code hooks into $claude_settings"
else
    echo "Claude Code: add this to .claude/settings.json (or rerun with --claude-settings FILE):"
    "$prefix/bin/maestro-session" setup claude --bin-dir "$ext/bin"
fi
