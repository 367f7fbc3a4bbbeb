#!/bin/sh
# End to end from the release artefacts (issue 18 items 4, 5, 6), with no Rust toolchain on
# PATH once they are built:
#   1. scripts/dist.sh builds the archives and npm tarballs into target/dist (cargo runs here
#      only; E2E_DIST_NO_BUILD=1 takes what an earlier run left there);
#   2. the host's archive, checked against SHA256SUMS and unpacked, installs with its own
#      install.sh into a scratch prefix and HOME holding files of the user's own; the real
#      clients' own commands list what it registered (`gemini extensions list`, `claude plugin
#      list` after `claude plugin marketplace add` + `install`, `codex mcp list`);
#      `install.sh --uninstall` takes out exactly that (the clients list nothing of ours, the
#      user's files come back byte for byte, the prefix holds nothing of ours) and running it
#      again changes nothing;
#   3. the npm tarballs install offline (npm cache under target/) into a scratch prefix, locally
#      and with -g; `npx -y maestro-session mcp` answers MCP's initialize; then the real Gemini
#      CLI, Claude Code and Codex end-to-end runs (scripts/e2e-*.sh) run against the
#      executables of that npm install (E2E_BIN_DIR).
# --keep leaves the scratch world for inspection; E2E_DIST_CLIENTS="gemini claude codex" names
# the client runs of step 3.
set -eu
. "$(dirname -- "$0")/lib.sh"

keep=0
[ "${1:-}" = "--keep" ] && keep=1
dist="$TARGET/dist"
GEMINI=$(gemini_bin)
CLAUDE=$(claude_bin)
CODEX=$(codex_bin)
world=$(mktemp -d)
[ "$keep" = 1 ] && echo "scratch world: $world" || trap 'rm -rf "$world"' EXIT
# Before anything of ours runs: every home is the world's.
isolate_home "$world/home"
[ -n "${E2E_DIST_NO_BUILD:-}" ] || sh "$ROOT/scripts/dist.sh" --out "$dist"

checks=0
fail() { echo "e2e-dist: FAILED: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); echo "  ok: $*"; }
fingerprint() { find "$@" -printf '%p %y %s %l\n' 2>/dev/null | sort | cksum; }

# No Rust from here on: PATH is one folder of links to every command on the current PATH (the
# first of each name, as the shell would find it) but cargo, rustc, rustup, rustdoc and
# cargo-*, since a system folder such as /usr/bin may hold a Rust toolchain too; plus the
# clients under their own names.
tools="$world/tools"
mkdir -p "$tools"
ln -s "$GEMINI" "$tools/gemini"
ln -s "$CLAUDE" "$tools/claude"
ln -s "$CODEX" "$tools/codex"
echo "$PATH" | tr ':' '\n' | while IFS= read -r d; do
    if [ -z "$d" ] || [ ! -d "$d" ]; then continue; fi
    for f in "$d"/*; do
        n=${f##*/}
        case "$n" in cargo|cargo-*|rustc|rustup|rustdoc|rust-*|rls|clippy-driver|rustfmt) continue ;; esac
        if [ -x "$f" ] && [ ! -d "$f" ] && [ ! -e "$tools/$n" ] && [ ! -L "$tools/$n" ]; then ln -s "$f" "$tools/$n"; fi
    done
done
export PATH="$tools"
if command -v cargo >/dev/null 2>&1 || command -v rustc >/dev/null 2>&1; then fail "cargo or rustc still on PATH"; fi
ok "no cargo or rustc on PATH"

echo "archive: verify, unpack, install, list, uninstall"
(cd "$dist" && sha256sum -c --quiet SHA256SUMS) || fail "SHA256SUMS does not match the archives"
archive=$(ls "$dist"/maestro-session-*-x86_64-unknown-linux-gnu.tar.gz)
tar -xzf "$archive" -C "$world"
pkg="$world/$(basename "$archive" .tar.gz)"
for f in install.sh gemini-extension.json hooks/hooks.json bin/maestro-session bin/maestro-session-hook bin/session-start bin/read-active-session; do
    [ -e "$pkg/$f" ] || fail "the archive has no $f"
done
[ "$(readlink "$pkg/bin/after-agent")" = maestro-session-hook ] || fail "bin/after-agent is not a link to maestro-session-hook"
"$pkg/bin/maestro-session" --version > /dev/null || fail "the archive's maestro-session does not run"
ok "SHA256SUMS holds; $(basename "$archive") is a complete install (bin/ with the eight hook names, install.sh, the Gemini CLI extension)"

export MAESTRO_HOOKS_DIR="$world/hooks"
mkdir -p "$HOME/.gemini"
printf '%s\n' '{"security":{"auth":{"selectedType":"gemini-api-key"}}}' > "$HOME/.gemini/settings.json"
# The user's own entries, where ours go.
user_hooks='{
  "hooks": {
    "SessionStart": [
      {
        "hooks": [
          {
            "type": "command",
            "command": "/usr/local/bin/hello"
          }
        ]
      }
    ]
  }
}'
user_config='# mine
model = "gpt-5"

[mcp_servers.docs]
command = "npx"
'
printf '%s\n' "$user_hooks" > "$CODEX_HOME/hooks.json"
printf '%s' "$user_config" > "$CODEX_HOME/config.toml"
cp "$CODEX_HOME/hooks.json" "$world/user-hooks.json"
cp "$CODEX_HOME/config.toml" "$world/user-config.toml"
prefix="$world/prefix"
ext="$prefix/share/maestro-session"
mkdir -p "$prefix/bin"
echo mine > "$prefix/bin/other-tool"

"$pkg/install.sh" --prefix "$prefix" --codex --qwen > "$world/install.log" 2>&1 \
    || { cat "$world/install.log" >&2; fail "the archive's install.sh"; }
grep -qi 'cargo\|compil' "$world/install.log" && fail "the archive's install.sh built something: $(cat "$world/install.log")"
gemini extensions list 2>&1 | grep -q 'maestro-session' || fail "gemini extensions list has no maestro-session: $(gemini extensions list 2>&1)"
ok "install.sh from the archive (no Rust): gemini extensions list shows maestro-session"
claude plugin marketplace add "$ext" > "$world/claude.log" 2>&1 || { cat "$world/claude.log" >&2; fail "claude plugin marketplace add $ext"; }
claude plugin install maestro-session@maestro-session >> "$world/claude.log" 2>&1 || { cat "$world/claude.log" >&2; fail "claude plugin install"; }
claude plugin list 2>&1 | grep -qF 'maestro-session@maestro-session' || fail "claude plugin list: $(claude plugin list 2>&1)"
ok "claude plugin marketplace add + install: claude plugin list shows maestro-session@maestro-session"
codex mcp list 2>&1 | grep -q 'maestro-session' || fail "codex mcp list: $(codex mcp list 2>&1)"
grep -qF "$ext/bin/session-start --runtime claude" "$CODEX_HOME/hooks.json" || fail "no hooks of ours in $CODEX_HOME/hooks.json"
grep -qF '/usr/local/bin/hello' "$CODEX_HOME/hooks.json" || fail "the user's Codex hook is gone"
ok "codex mcp list shows maestro-session; hooks.json has ours beside the user's"
[ -f "$QWEN_HOME/extensions/maestro-session/qwen-extension.json" ] || fail "no Qwen Code extension"
[ -f "$HOME/.gemini/policies/maestro-session.toml" ] || fail "no Gemini CLI policy"
ok "the Qwen Code extension and the Gemini CLI policy are written"

"$pkg/install.sh" --prefix "$prefix" --uninstall > "$world/uninstall.log" 2>&1 \
    || { cat "$world/uninstall.log" >&2; fail "install.sh --uninstall"; }
gemini extensions list 2>&1 | grep -q 'maestro-session' && fail "gemini extensions list still has maestro-session: $(cat "$world/uninstall.log")"
claude plugin list 2>&1 | grep -qF 'maestro-session' && fail "claude plugin list still has it: $(claude plugin list 2>&1)"
claude plugin marketplace list 2>&1 | grep -qF "$ext" && fail "claude plugin marketplace list still has $ext"
codex mcp list 2>&1 | grep -q 'maestro-session' && fail "codex mcp list still has maestro-session"
ok "after --uninstall no client lists anything of ours"
cmp -s "$CODEX_HOME/hooks.json" "$world/user-hooks.json" || fail "hooks.json is not the user's again: $(cat "$CODEX_HOME/hooks.json")"
cmp -s "$CODEX_HOME/config.toml" "$world/user-config.toml" || fail "config.toml is not the user's again: $(cat "$CODEX_HOME/config.toml")"
[ ! -e "$QWEN_HOME/extensions/maestro-session" ] || fail "the Qwen Code extension is still there"
[ ! -e "$HOME/.gemini/policies/maestro-session.toml" ] || fail "the Gemini CLI policy is still there"
[ ! -e "$ext" ] && [ ! -e "$prefix/bin/maestro-session" ] || fail "executables left in $prefix: $(find "$prefix")"
[ "$(cat "$prefix/bin/other-tool")" = mine ] || fail "the user's $prefix/bin/other-tool is gone"
ok "the user's Codex files are theirs again byte for byte; nothing of ours is left in the prefix or the homes"
# What an install or uninstall may touch (the clients' own list commands write telemetry).
touched() { fingerprint "$prefix" "$HOME/.gemini/policies" "$HOME/.gemini/extensions" "$QWEN_HOME" "$CODEX_HOME/hooks.json" "$CODEX_HOME/config.toml" "$CLAUDE_CONFIG_DIR/settings.json" "$CLAUDE_CONFIG_DIR/plugins/installed_plugins.json" "$CLAUDE_CONFIG_DIR/plugins/known_marketplaces.json"; }
before=$(touched)
"$pkg/install.sh" --prefix "$prefix" --uninstall > "$world/uninstall2.log" 2>&1 \
    || { cat "$world/uninstall2.log" >&2; fail "install.sh --uninstall (again)"; }
[ "$(touched)" = "$before" ] || fail "a second --uninstall changed something: $(cat "$world/uninstall2.log")"
ok "a second --uninstall changes nothing"

echo "npm: install the tarballs offline, run npx, then the real clients against that install"
npm_flags="--offline --no-audit --no-fund --loglevel=error --cache $TARGET/npm-dist-cache"
# The launcher and this machine's platform package only, as npm picks them from a registry
# (the other platforms' packages refuse to install here: EBADPLATFORM).
case "$(uname -m)" in x86_64) cpu=x64 ;; aarch64|arm64) cpu=arm64 ;; *) cpu=$(uname -m) ;; esac
tarballs="$(ls "$dist"/npm/maestro-session-[0-9]*.tgz) $(ls "$dist"/npm/maestro-session-linux-$cpu-*.tgz)"
npm install --prefix "$world/npm" $npm_flags $tarballs > "$world/npm.log" 2>&1 \
    || { cat "$world/npm.log" >&2; fail "npm install of the tarballs"; }
npm install -g --prefix "$world/npm-global" $npm_flags $tarballs > "$world/npm-g.log" 2>&1 \
    || { cat "$world/npm-g.log" >&2; fail "npm install -g of the tarballs"; }
"$world/npm-global/bin/maestro-session" --version | grep -q 'maestro-session' || fail "npm i -g: maestro-session --version"
ok "npm install (local and -g) of the tarballs, offline; the global maestro-session runs"
init='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"e2e-dist","version":"1"}}}'
answer=$(cd "$world/npm" && printf '%s\n' "$init" | npx -y maestro-session mcp 2>"$world/npx.err") \
    || fail "npx -y maestro-session mcp: $(cat "$world/npx.err")"
echo "$answer" | grep -q '"serverInfo"' || fail "npx -y maestro-session mcp answered: $answer"
ok "npx -y maestro-session mcp answers initialize"
native="$world/npm/node_modules/@maestro-session/linux-x64/bin"
bin="$world/npm-bin"
mkdir -p "$bin"
ln -s "$native/maestro-session" "$bin/maestro-session"
ln -s "$native/maestro-session-hook" "$bin/maestro-session-hook"
for h in session-start before-agent after-agent session-end read-state write-state read-active-session ensure-workspace; do
    ln -s maestro-session-hook "$bin/$h"
done
# Each client's run, whatever the one before it did, so one report names every failure.
failed=""
for client in ${E2E_DIST_CLIENTS:-gemini claude codex}; do
    if E2E_BIN_DIR="$bin" sh "$ROOT/scripts/e2e-$client.sh"; then
        ok "the real $client end to end against the npm install"
    else
        failed="$failed scripts/e2e-$client.sh"
    fi
done
[ -z "$failed" ] || fail "against the npm install:$failed"
echo "e2e-dist: all $checks checks passed"
