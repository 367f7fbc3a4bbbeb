#!/bin/sh
# End to end from the release artefacts (issue 18 items 4, 5, 6), with no Rust toolchain on
# PATH once they are built:
#   1. scripts/dist.sh builds the archives and npm tarballs into target/dist (cargo runs here
#      only; E2E_DIST_NO_BUILD=1 takes what an earlier run left there);
#   2. the host's archive, checked against SHA256SUMS and unpacked under a path with a space,
#      works as it is: Claude Code installs its local marketplace (`claude plugin marketplace
#      add` + `install`) and a `claude -p` run has its hooks, its /maestro-session:status and
#      its MCP server; `gemini extensions install <unpacked dir>` runs its four hooks;
#   3. the archive's own install.sh installs into a scratch prefix and HOME holding files of
#      the user's own; the real clients' own commands list what it registered (`gemini
#      extensions list`, `claude plugin list` after `claude plugin marketplace add` +
#      `install`, `codex mcp list`);
#      `install.sh --uninstall` takes out exactly that (the clients list nothing of ours, the
#      user's files come back byte for byte, the prefix holds nothing of ours) and running it
#      again changes nothing;
#   4. the npm tarballs install offline (npm cache under target/) into a scratch prefix, locally
#      and with -g; `npx -y maestro-session mcp` answers MCP's initialize; then the real Gemini
#      CLI, Claude Code and Codex end-to-end runs (scripts/e2e-*.sh) run against the
#      executables of that npm install (E2E_BIN_DIR).
# --keep leaves the scratch world for inspection; E2E_DIST_CLIENTS="gemini claude codex" names
# the client runs of step 4.
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
# Every target has its archive and npm package, and its executables are that target's: the
# file format and machine read from the headers (ELF e_machine at byte 18, Mach-O cputype at
# byte 4, PE's MZ). A release that silently lacked a platform passed here before.
for t in x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-apple-darwin aarch64-apple-darwin x86_64-pc-windows-gnu; do
    unpacked="$world/target-$t"
    mkdir -p "$unpacked"
    case "$t" in
        *-windows-*)
            a=$(ls "$dist"/maestro-session-*-"$t".zip 2>/dev/null) || fail "no archive for $t"
            python3 -m zipfile -e "$a" "$unpacked"
            exe="$unpacked/$(basename "$a" .zip)/bin/maestro-session-hook.exe" ;;
        *)
            a=$(ls "$dist"/maestro-session-*-"$t".tar.gz 2>/dev/null) || fail "no archive for $t"
            tar -xzf "$a" -C "$unpacked"
            exe="$unpacked/$(basename "$a" .tar.gz)/bin/maestro-session-hook" ;;
    esac
    [ -f "$exe" ] || fail "$(basename "$a") has no $(basename "$exe")"
    bytes() { od -An -tx1 -j "$1" -N "$2" "$exe" | tr -d ' \n'; }
    case "$t" in
        x86_64-*-linux-*) got="$(bytes 0 4) $(bytes 18 2)" want="7f454c46 3e00" ;;
        aarch64-*-linux-*) got="$(bytes 0 4) $(bytes 18 2)" want="7f454c46 b700" ;;
        x86_64-apple-*) got="$(bytes 0 4) $(bytes 4 4)" want="cffaedfe 07000001" ;;
        aarch64-apple-*) got="$(bytes 0 4) $(bytes 4 4)" want="cffaedfe 0c000001" ;;
        *-windows-*) got=$(bytes 0 2) want=4d5a ;;
    esac
    [ "$got" = "$want" ] || fail "$(basename "$a"): $(basename "$exe") starts $got, not $want ($t)"
    case "$t" in *-linux-*) os=linux ;; *-apple-*) os=darwin ;; *) os=win32 ;; esac
    case "$t" in x86_64-*) cpu=x64 ;; *) cpu=arm64 ;; esac
    ls "$dist"/npm/maestro-session-"$os-$cpu"-*.tgz > /dev/null 2>&1 || fail "no npm package for $os-$cpu"
    rm -rf "$unpacked"
done
ok "five archives and npm packages (Linux x86_64 and aarch64, macOS x86_64 and aarch64, Windows x86_64), each with its target's executables"
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
echo "archive as it is, unpacked under a path with a space: Claude Code's marketplace, a Gemini CLI extension"
loose="$world/unpacked here"
mkdir -p "$loose"
tar -xzf "$archive" -C "$loose"
loose="$loose/$(basename "$archive" .tar.gz)"
[ -f "$loose/.claude-plugin/marketplace.json" ] && [ -x "$loose/claude-plugin/bin/maestro-session-hook" ] \
    && [ -x "$loose/claude-plugin/bin/maestro-session" ] || fail "the archive has no Claude Code marketplace over a plugin with its own bin/"
project="$world/loose-project"
mkdir -p "$project"
git -C "$project" init -q
(cd "$project" && "$loose/bin/maestro-session" create "Try the release archive" --phase "Build it=coder" > /dev/null) \
    || fail "maestro-session create from the archive"
export MAESTRO_HOOK_LOG="$world/loose-hooks.log"
claude plugin marketplace add "$loose" > "$world/loose-claude.log" 2>&1 \
    && claude plugin install maestro-session@maestro-session >> "$world/loose-claude.log" 2>&1 \
    || { cat "$world/loose-claude.log" >&2; fail "claude plugin marketplace add + install from the unpacked archive"; }
python3 "$ROOT/scripts/mock-messages-api.py" --script "$ROOT/tests/fixtures/claude-code/model/plain.json" \
    --log "$world/loose-requests.jsonl" --port-file "$world/loose-port" --max-requests 20 --max-seconds 180 \
    > "$world/loose-mock.out" 2>&1 &
mock=$!
i=0
while [ ! -s "$world/loose-port" ]; do
    i=$((i + 1)); [ "$i" -le 100 ] || fail "the mock Messages API did not start: $(cat "$world/loose-mock.out")"
    sleep 0.1
done
(cd "$project" && ANTHROPIC_BASE_URL="http://127.0.0.1:$(cat "$world/loose-port")" ANTHROPIC_API_KEY=sk-ant-e2e-offline \
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_TELEMETRY=1 DISABLE_AUTOUPDATER=1 DISABLE_ERROR_REPORTING=1 \
    timeout 180 claude -p "/maestro-session:status" --output-format stream-json --verbose --max-turns 4 \
    > "$world/loose-stream.jsonl" 2> "$world/loose-claude.err") || fail "claude -p: $(tail -5 "$world/loose-claude.err")"
kill "$mock" 2>/dev/null; wait "$mock" 2>/dev/null || true
grep -q '"hook":"session-start"' "$MAESTRO_HOOK_LOG" && grep -q '"hook":"session-end"' "$MAESTRO_HOOK_LOG" \
    || fail "SessionStart and SessionEnd did not run from the archive's plugin: $(cat "$MAESTRO_HOOK_LOG" 2>&1)"
grep -q 'Try the release archive' "$world/loose-requests.jsonl" || fail "/maestro-session:status did not put the session into the prompt"
grep -q '"name":"plugin:maestro-session:maestro-session","status":"connected"' "$world/loose-stream.jsonl" \
    || fail "the plugin's MCP server did not connect: $(head -c 2000 "$world/loose-stream.jsonl")"
claude plugin uninstall maestro-session@maestro-session > /dev/null 2>&1 && claude plugin marketplace remove maestro-session > /dev/null 2>&1 \
    || fail "claude plugin uninstall / marketplace remove"
ok "Claude Code installed the archive's own marketplace: its hooks ran, /maestro-session:status read the session, its MCP server connected"
: > "$MAESTRO_HOOK_LOG"
# Gemini CLI asks whether to trust the folder when it runs at a terminal: the user says yes.
printf 'y\n' | gemini extensions install "$loose" --consent > "$world/loose-gemini.log" 2>&1 \
    || { cat "$world/loose-gemini.log" >&2; fail "gemini extensions install <unpacked archive>"; }
(cd "$project" && GEMINI_API_KEY=fake timeout 180 gemini -m gemini-2.5-flash -p "How is the session going?" \
    --fake-responses "$FIXTURES/fake-responses-status.jsonl" --skip-trust --approval-mode yolo \
    > "$world/loose-gemini.out" 2> "$world/loose-gemini.err") || fail "gemini -p: $(tail -5 "$world/loose-gemini.err")"
for h in session-start before-agent after-agent session-end; do
    grep -q "\"hook\":\"$h\"" "$MAESTRO_HOOK_LOG" || fail "$h did not run from the extension installed from the archive: $(cat "$MAESTRO_HOOK_LOG")"
done
grep -q 'Maestro session [0-9-]*-try-the-release-archive' "$MAESTRO_HOOK_LOG" || fail "before-agent did not give the session's context"
gemini extensions uninstall maestro-session > /dev/null 2>&1 || fail "gemini extensions uninstall maestro-session"
unset MAESTRO_HOOK_LOG
ok "gemini extensions install <unpacked archive>: its four hooks ran and BeforeAgent gave the session's context"

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
