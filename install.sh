#!/bin/sh
# install.sh: build maestro-session (or take it from a release archive) and register its hooks
# with Gemini CLI / Claude Code / Codex / Qwen Code; --uninstall takes it all out again.
# POSIX sh; running it again gives the same result.
set -eu

usage() {
    cat <<'USAGE'
Usage: ./install.sh [options]

Builds the release executables (cargo build --release --locked -p maestro-session-hooks -p maestro-session)
-- or, from a release archive (a bin/ beside this script and no Cargo.toml), takes that
bin/, with no Rust needed -- and installs them:
  <prefix>/share/maestro-session/bin/   the hooks and state tools
  <prefix>/bin/maestro-session           the command line
<prefix>/share/maestro-session/ is also a Gemini CLI extension folder
(gemini-extension.json, hooks/hooks.json, and the commands /maestro:status,
/maestro:resume and /maestro:archive in commands/maestro/); it is linked with
`gemini extensions link <dir> --consent` when `gemini` is on PATH.
The commands read the session by running <dir>/bin/read-active-session; a Gemini CLI
user policy allowing that one command without a prompt is written to
~/.gemini/policies/maestro-session.toml ($GEMINI_CLI_HOME in place of ~ when set), since
Gemini CLI ignores allow rules from extensions. Other rules in that file are kept; a file
there that maestro-session did not write is left alone and the install stops.
<prefix>/share/maestro-session/claude-plugin/ is a Claude Code plugin (hooks, the
maestro-session MCP server, /maestro-session:status); <prefix>/share/maestro-session/ is
a local marketplace holding it. Load it with `claude --plugin-dir <dir>/claude-plugin`.

Options:
  --prefix DIR             install under DIR (default: $PREFIX, else ~/.local)
  --claude-settings FILE   merge the Claude Code hooks into FILE (e.g. ~/.claude/settings.json),
                           keeping its other keys; without it the block is printed
  --codex                  merge the hooks into Codex's hooks.json and the MCP server into its
                           config.toml ($CODEX_HOME, else ~/.codex), keeping what is there;
                           without it (or --codex-home) no Codex file is touched
  --codex-home DIR         the same with DIR/hooks.json and DIR/config.toml
  --qwen                   write the Qwen Code extension (hooks and MCP server) into
                           $QWEN_HOME (else ~/.qwen)/extensions/maestro-session, keeping what
                           else its qwen-extension.json holds; without it (or --qwen-home) no
                           Qwen Code file is touched
  --qwen-home DIR          the same in DIR/extensions/maestro-session
  --no-build               install the executables already built by an earlier run
  --from DIR               install the executables in DIR (maestro-session and
                           maestro-session-hook: a release archive's bin/, the bin/ of the npm
                           package @maestro-session/<platform>) without building; default:
                           $MAESTRO_INSTALL_FROM, else the archive's bin/ (see above)
  --uninstall              take out what an install added, and nothing else: the extension
                           (`gemini extensions uninstall maestro-session`), the Claude Code
                           plugin and marketplace (`claude plugin uninstall`, `claude plugin
                           marketplace remove`), our rule in the Gemini CLI policy file, our
                           hooks in the Claude Code settings file ($CLAUDE_CONFIG_DIR, else
                           ~/.claude, then settings.json, or --claude-settings FILE), our hooks
                           and MCP server in Codex's files ($CODEX_HOME, else ~/.codex, or
                           --codex-home DIR), the Qwen Code extension ($QWEN_HOME, else ~/.qwen,
                           or --qwen-home DIR), then the executables and folders under the
                           prefix. Running it again changes nothing.
  --no-link                do not run `gemini extensions link`
  --no-policy              do not write the Gemini CLI user policy (the commands then ask
                           before reading the session, and `gemini -p` refuses them)
  -h, --help               show this help
USAGE
}

prefix="${PREFIX:-$HOME/.local}"
claude_settings=""
codex=0
codex_home=""
qwen=0
qwen_home=""
build=1
link=1
policy=1
from="${MAESTRO_INSTALL_FROM:-}"
uninstall=0
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) [ $# -ge 2 ] || { echo "install.sh: --prefix needs a folder" >&2; exit 2; }; prefix="$2"; shift 2 ;;
        --prefix=*) prefix="${1#--prefix=}"; shift ;;
        --claude-settings) [ $# -ge 2 ] || { echo "install.sh: --claude-settings needs a file" >&2; exit 2; }; claude_settings="$2"; shift 2 ;;
        --claude-settings=*) claude_settings="${1#--claude-settings=}"; shift ;;
        --codex) codex=1; shift ;;
        --codex-home) [ $# -ge 2 ] || { echo "install.sh: --codex-home needs a folder" >&2; exit 2; }; codex=1; codex_home="$2"; shift 2 ;;
        --codex-home=*) codex=1; codex_home="${1#--codex-home=}"; shift ;;
        --qwen) qwen=1; shift ;;
        --qwen-home) [ $# -ge 2 ] || { echo "install.sh: --qwen-home needs a folder" >&2; exit 2; }; qwen=1; qwen_home="$2"; shift 2 ;;
        --qwen-home=*) qwen=1; qwen_home="${1#--qwen-home=}"; shift ;;
        --no-build) build=0; shift ;;
        --from) [ $# -ge 2 ] || { echo "install.sh: --from needs a folder" >&2; exit 2; }; from="$2"; shift 2 ;;
        --from=*) from="${1#--from=}"; shift ;;
        --uninstall) uninstall=1; shift ;;
        --no-link) link=0; shift ;;
        --no-policy) policy=0; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
# Progress lines, so a long first build never looks like a hang.
say() { echo "install.sh: $*"; }
# A release archive: executables beside this script, no sources.
if [ -z "$from" ] && [ ! -f "$here/Cargo.toml" ] && [ -x "$here/bin/maestro-session" ]; then
    from="$here/bin"
fi
if [ -n "$from" ]; then
    [ -d "$from" ] || { echo "install.sh: --from $from is not a folder" >&2; exit 2; }
    from=$(CDPATH= cd -- "$from" && pwd)
    build=0
fi

if [ "$uninstall" = 1 ]; then
    [ -d "$prefix" ] && prefix=$(CDPATH= cd -- "$prefix" && pwd)
    ext="$prefix/share/maestro-session"
    # The executable that edits the runtimes' files: the installed one, else one at hand.
    cli=""
    for c in "$prefix/bin/maestro-session" "$ext/bin/maestro-session" ${from:+"$from/maestro-session"}; do
        if [ -x "$c" ]; then cli="$c"; break; fi
    done
    if [ "$link" = 1 ] && command -v gemini >/dev/null 2>&1; then
        if gemini extensions list 2>&1 | grep -q 'maestro-session'; then
            gemini extensions uninstall maestro-session && say "uninstalled the Gemini CLI extension maestro-session"
        fi
    fi
    if command -v claude >/dev/null 2>&1; then
        if claude plugin list 2>&1 | grep -qF 'maestro-session@maestro-session'; then
            claude plugin uninstall maestro-session@maestro-session && say "uninstalled the Claude Code plugin maestro-session"
        fi
        if claude plugin marketplace list 2>&1 | grep -qF "$ext"; then
            claude plugin marketplace remove maestro-session && say "removed the Claude Code marketplace maestro-session"
        fi
    fi
    if [ -n "$cli" ]; then
        [ "$policy" = 1 ] && "$cli" setup gemini-policy --remove
        "$cli" setup claude --remove ${claude_settings:+--settings "$claude_settings"}
        if [ -n "$codex_home" ]; then
            "$cli" setup codex --remove --hooks "$codex_home/hooks.json" --config "$codex_home/config.toml"
        else
            "$cli" setup codex --remove
        fi
        "$cli" setup qwen --remove ${qwen_home:+--dir "$qwen_home/extensions/maestro-session"}
        [ -d "$ext/claude-plugin" ] && "$cli" setup claude-plugin "$ext/claude-plugin" --remove --marketplace
        [ -d "$ext" ] && "$cli" setup gemini-extension "$ext" --remove
    else
        say "no maestro-session executable under $prefix (nor --from): the runtimes' files are not" \
            "checked; run the uninstall from the release archive's folder, or with --from DIR"
    fi
    # Our executables, then our folders when left empty; nothing else under the prefix (its
    # bin/ and share/ may hold other tools).
    for exe in maestro-session-hook session-start before-agent after-agent session-end read-state write-state read-active-session ensure-workspace maestro-session; do
        rm -f "$ext/bin/$exe" "$ext/bin/.$exe.tmp"
    done
    rm -f "$prefix/bin/maestro-session" "$prefix/bin/.maestro-session.tmp"
    for d in "$ext/bin" "$ext"; do
        rmdir "$d" 2>/dev/null || true
    done
    say "uninstalled maestro-session from $prefix"
    exit 0
fi

# Absolute, so the paths written into the runtimes' files hold from any folder.
mkdir -p "$prefix"
prefix=$(CDPATH= cd -- "$prefix" && pwd)
target="${CARGO_TARGET_DIR:-$here/target}"
# On glibc Linux the executables are linked statically: it saves ~0.3 ms of dynamic loading on
# every hook run (scripts/bench.sh). An explicit --target keeps the flag off build scripts and
# proc-macros, which must stay dynamic.
host=$(rustc -vV 2>/dev/null | sed -n 's/^host: //p')
# Only the installed executables: the hooks and state tools (crate `maestro-session-hooks`, one
# executable under eight names) and the command line
# (crate `maestro-session`); the end-to-end test crate is not built.
packages="-p maestro-session-hooks -p maestro-session --bins"
case "$host" in
    *-linux-gnu) out="$target/$host/release"; static=1 ;;
    *) out="$target/release"; static=0 ;;
esac
if [ "$build" = 1 ]; then
    if [ -x "$out/maestro-session" ]; then
        say "building the release executables with cargo (up to date in seconds; a changed source takes about a minute)"
    else
        say "building the release executables with cargo: a first build takes about 3 minutes on 2 cores" \
            "(cargo prints each crate as it compiles)"
    fi
    started=$(date +%s)
    if [ "$static" = 1 ]; then
        (cd "$here" && RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static" \
            cargo build --release --locked --target "$host" $packages)
    else
        (cd "$here" && cargo build --release --locked $packages)
    fi
    say "built in $(( $(date +%s) - started )) s"
fi
[ -x "$out/maestro-session-hook" ] || out="$target/release"
[ -n "$from" ] && out="$from"

ext="$prefix/share/maestro-session"
mkdir -p "$ext/bin" "$prefix/bin"
# The hooks and state tools are one executable that does what the name it runs as says: copied
# once, then linked under its eight names. Each is made under a temp name and renamed, so a
# running hook never sees a half-written file or a missing name.
src="$out/maestro-session-hook"
[ -x "$src" ] || { echo "install.sh: $src is missing; build first" >&2; exit 1; }
cp "$src" "$ext/bin/.maestro-session-hook.tmp" && mv -f "$ext/bin/.maestro-session-hook.tmp" "$ext/bin/maestro-session-hook"
for exe in session-start before-agent after-agent session-end read-state write-state read-active-session ensure-workspace; do
    rm -f "$ext/bin/.$exe.tmp"
    ln -s maestro-session-hook "$ext/bin/.$exe.tmp" && mv -f "$ext/bin/.$exe.tmp" "$ext/bin/$exe"
done
cp "$out/maestro-session" "$prefix/bin/.maestro-session.tmp"
mv -f "$prefix/bin/.maestro-session.tmp" "$prefix/bin/maestro-session"
# The extension's MCP server (gemini-extension.json mcpServers) runs ${extensionPath}/bin/maestro-session.
cp "$out/maestro-session" "$ext/bin/.maestro-session.tmp" && mv -f "$ext/bin/.maestro-session.tmp" "$ext/bin/maestro-session"

"$prefix/bin/maestro-session" setup gemini-extension "$ext"
"$prefix/bin/maestro-session" setup claude-plugin "$ext/claude-plugin" --bin-dir "$ext/bin" \
    --cli "$prefix/bin/maestro-session" --marketplace
echo "installed hooks and state tools in $ext/bin, maestro-session in $prefix/bin"
echo "Gemini CLI commands /maestro:status, /maestro:resume, /maestro:archive in $ext/commands/maestro"

if [ "$link" = 1 ] && command -v gemini >/dev/null 2>&1; then
    # Re-linking an already linked extension fails; unlink first so this stays idempotent.
    gemini extensions uninstall maestro-session >/dev/null 2>&1 || true
    gemini extensions link "$ext" --consent
    echo "linked the Gemini CLI extension $ext"
else
    echo "Gemini CLI: link the extension with: gemini extensions link $ext --consent"
fi

if [ "$policy" = 1 ]; then
    "$prefix/bin/maestro-session" setup gemini-policy "$ext"
else
    echo "Gemini CLI user policy not written (--no-policy): /maestro:status, /maestro:resume and"
    echo "  /maestro:archive will ask before running $ext/bin/read-active-session, and gemini -p refuses them"
fi

if [ -n "$claude_settings" ]; then
    "$prefix/bin/maestro-session" setup claude --bin-dir "$ext/bin" --settings "$claude_settings"
    echo "merged the Claude Code hooks into $claude_settings"
else
    echo "Claude Code: load the plugin with: claude --plugin-dir $ext/claude-plugin"
    echo "  or install it from the local marketplace: claude plugin marketplace add $ext &&" \
        "claude plugin install maestro-session@maestro-session"
    echo "  or, hooks only and without the plugin (not both), add this to .claude/settings.json" \
        "(or rerun with --claude-settings FILE):"
    "$prefix/bin/maestro-session" setup claude --bin-dir "$ext/bin"
fi

if [ "$codex" = 1 ]; then
    set -- --bin-dir "$ext/bin" --mcp-command "$prefix/bin/maestro-session"
    [ -n "$codex_home" ] && set -- "$@" --hooks "$codex_home/hooks.json" --config "$codex_home/config.toml"
    if ! "$prefix/bin/maestro-session" mcp --help >/dev/null 2>&1; then
        echo "Codex: this maestro-session has no MCP server (maestro-session mcp); registering the hooks only"
        set -- "$@" --no-mcp
    fi
    "$prefix/bin/maestro-session" setup codex "$@"
else
    echo "Codex: register the hooks and MCP server with: $prefix/bin/maestro-session setup codex --bin-dir $ext/bin (or rerun with --codex)"
fi

if [ "$qwen" = 1 ]; then
    set -- --bin-dir "$ext/bin" --mcp-command "$prefix/bin/maestro-session"
    [ -n "$qwen_home" ] && set -- "$@" --dir "$qwen_home/extensions/maestro-session"
    "$prefix/bin/maestro-session" setup qwen "$@"
else
    echo "Qwen Code: write its extension with: $prefix/bin/maestro-session setup qwen --bin-dir $ext/bin (or rerun with --qwen)"
fi

# What to type next, and whether the shell will find it: a session with phases, so the next
# step (`maestro-session phase start active 1`) works. The e2e test `install_next_command` runs
# this line as printed, and scripts/demo.sh runs what this prints.
next='maestro-session create "My first task" --phase "Design=architect" --phase "Implement=coder" --phase "Test=tester"'
case ":$PATH:" in
    *":$prefix/bin:"*) say "done. Next, in a project: $next" ;;
    *)
        say "done. $prefix/bin is not on your PATH; add it, e.g. for bash or zsh:"
        echo "    echo 'export PATH=\"$prefix/bin:\$PATH\"' >> ~/.profile && . ~/.profile"
        say "then, in a project: $next" ;;
esac
