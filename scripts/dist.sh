#!/bin/sh
# dist.sh: the prebuilt releases (issue 18 items 4 and 5), into target/dist/ (or --out DIR):
#
#   maestro-session-<version>-<target>.tar.gz (.zip for Windows), one per target built, each a
#   relocatable install that needs no Rust:
#     bin/                    maestro-session, maestro-session-hook and its eight names (symlinks
#                             on unix, copies on Windows)
#     install.sh              the project's install.sh: from an archive it takes bin/ (no
#                             build) and installs under --prefix, registering with each runtime;
#                             --uninstall takes it all out again
#     gemini-extension.json   with hooks/hooks.json: a Gemini CLI extension over
#                             ${extensionPath}/bin (`gemini extensions install <unpacked dir>`:
#                             hooks and the MCP server; the /maestro:* commands name absolute
#                             paths, so install.sh writes them where it installs)
#     claude-plugin/          a Claude Code plugin over its own bin/ (the two executables, hard
#                             links in the tar), named through ${CLAUDE_PLUGIN_ROOT}, and
#     .claude-plugin/marketplace.json   a local marketplace holding it: `claude plugin
#                             marketplace add <unpacked dir>`, `claude plugin install
#                             maestro-session@maestro-session` (the folder stays where it is:
#                             Claude Code reads a local marketplace's plugin from there)
#     README.md, LICENSE files, docs/install.md
#   SHA256SUMS
#   npm/maestro-session-<version>.tgz                  the launcher package (`bin`: a Node
#                                                      script running the platform's executable)
#   npm/maestro-session-<os>-<cpu>-<version>.tgz       @maestro-session/<os>-<cpu>, per target
#
# The host's target (linux x86_64 here) is built with cargo, statically linked against glibc
# (+crt-static: the machine has no musl std offline). Every other target is built by
# `scripts/cross.sh build <target> <dir>` when that script exists (a failed build fails the
# script), else skipped with a message.
# Nothing is published. Usage: sh scripts/dist.sh [--out DIR] [--targets "T1 T2 ..."] [--no-npm]
set -eu
. "$(dirname -- "$0")/lib.sh"
# The executables run here (setup writes the extension's files) see scratch homes only.
dist_home=$(mktemp -d)
trap 'rm -rf "$dist_home"' EXIT
isolate_home "$dist_home"

out="$TARGET/dist"
targets="x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-apple-darwin aarch64-apple-darwin x86_64-pc-windows-gnu"
npm=1
while [ $# -gt 0 ]; do
    case "$1" in
        --out) out="$2"; shift 2 ;;
        --targets) targets="$2"; shift 2 ;;
        --no-npm) npm=0; shift ;;
        -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
        *) echo "dist.sh: unknown option $1" >&2; exit 2 ;;
    esac
done

# Absolute, since the npm steps run from other folders.
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$ROOT/Cargo.toml" | head -1)
[ -n "$version" ] || { echo "dist.sh: no version in $ROOT/Cargo.toml" >&2; exit 1; }
host=$(rustc -vV | sed -n 's/^host: //p')
hooks="session-start before-agent after-agent session-end read-state write-state read-active-session ensure-workspace"
say() { echo "dist.sh: $*" >&2; }

# npm's names for a target's os and cpu (process.platform, process.arch).
npm_os() { case "$1" in *-linux-*) echo linux ;; *-apple-darwin) echo darwin ;; *-windows-*) echo win32 ;; esac; }
npm_cpu() { case "$1" in x86_64-*) echo x64 ;; aarch64-*) echo arm64 ;; esac; }
exe_suffix() { case "$1" in *-windows-*) echo .exe ;; *) echo "" ;; esac; }

# build TARGET DIR: puts maestro-session and maestro-session-hook (.exe on Windows) for TARGET
# into DIR; fails when the target cannot be built here.
build() {
    t="$1"; dir="$2"
    mkdir -p "$dir"
    if [ "$t" = "$host" ]; then
        flags=""
        case "$t" in *-linux-gnu) flags="-C target-feature=+crt-static" ;; esac
        (cd "$ROOT" && RUSTFLAGS="${RUSTFLAGS:-} $flags" cargo build --release --locked \
            --target "$t" -p maestro-session-hooks -p maestro-session --bins) >&2
        cp "$TARGET/$t/release/maestro-session" "$TARGET/$t/release/maestro-session-hook" "$dir/"
    elif [ -f "$ROOT/scripts/cross.sh" ]; then
        # A target cross.sh builds must build: a release that silently lacks a platform is
        # worse than no release.
        sh "$ROOT/scripts/cross.sh" build "$t" "$dir" >&2 ||
            { echo "dist.sh: the build of $t failed (scripts/cross.sh build $t)" >&2; exit 1; }
    else
        say "skipping $t: scripts/cross.sh (the cross builds) is not in this tree"
        return 1
    fi
}

rm -rf "$out"
mkdir -p "$out"
stage="$out/.stage"
built=""
for t in $targets; do
    x=$(exe_suffix "$t")
    name="maestro-session-$version-$t"
    root="$stage/$name"
    mkdir -p "$root/bin"
    build "$t" "$root/bin" || { rm -rf "$root"; continue; }
    for f in maestro-session maestro-session-hook; do
        [ -f "$root/bin/$f$x" ] || { echo "dist.sh: the build of $t made no bin/$f$x" >&2; exit 1; }
    done
    for h in $hooks; do
        if [ -n "$x" ]; then
            cp "$root/bin/maestro-session-hook$x" "$root/bin/$h$x"
        else
            ln -s maestro-session-hook "$root/bin/$h"
        fi
    done
    # The relocatable Gemini CLI extension and Claude Code plugin: what `maestro-session setup`
    # writes for the target's platform, from the host's executable (the target's may not run
    # here).
    mkdir -p "$root/hooks" "$root/docs"
    host_cli="$TARGET/$host/release/maestro-session"
    [ -x "$host_cli" ] || host_cli="$root/bin/maestro-session"
    platform=unix
    [ -z "$x" ] || platform=windows
    "$host_cli" setup gemini-extension "$stage/.gemini-ext" --platform "$platform" >&2
    "$host_cli" setup claude-plugin "$root/claude-plugin" --portable --platform "$platform" \
        --marketplace >&2
    mkdir -p "$root/claude-plugin/bin"
    for f in maestro-session maestro-session-hook; do
        ln "$root/bin/$f$x" "$root/claude-plugin/bin/$f$x"
    done
    cp "$stage/.gemini-ext/gemini-extension.json" "$root/"
    cp "$stage/.gemini-ext/hooks/hooks.json" "$root/hooks/"
    cp "$ROOT/install.sh" "$root/install.sh"
    chmod 755 "$root/install.sh"
    cp "$ROOT/README.md" "$root/"
    [ -f "$ROOT/docs/install.md" ] && cp "$ROOT/docs/install.md" "$root/docs/"
    for f in "$ROOT"/LICENSE*; do [ -f "$f" ] && cp "$f" "$root/"; done
    # Reproducible archives: fixed owner and time.
    case "$t" in
        *-windows-*) (cd "$stage" && find "$name" -exec touch -h -d @0 {} + && rm -f "$out/$name.zip" \
            && zip -qrX "$out/$name.zip" "$name") ;;
        *) tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 \
            -czf "$out/$name.tar.gz" "$name" ;;
    esac
    say "built $out/$name$( [ -n "$x" ] && echo .zip || echo .tar.gz)"
    built="$built $t"
done
[ -n "$built" ] || { echo "dist.sh: no target was built" >&2; exit 1; }
(cd "$out" && sha256sum -- *.tar.gz $(ls *.zip 2>/dev/null) > SHA256SUMS)

if [ "$npm" = 1 ]; then
    npm_dir="$out/npm"
    mkdir -p "$npm_dir"
    optional=""
    for t in $built; do
        os=$(npm_os "$t"); cpu=$(npm_cpu "$t"); x=$(exe_suffix "$t")
        pkg="$stage/npm-$os-$cpu"
        mkdir -p "$pkg/bin"
        # The two executables only: npm packs no symlinks, and install.sh --from links the
        # hook names where it installs.
        cp "$stage/maestro-session-$version-$t/bin/maestro-session$x" \
            "$stage/maestro-session-$version-$t/bin/maestro-session-hook$x" "$pkg/bin/"
        cat > "$pkg/package.json" <<EOF
{
  "name": "@maestro-session/$os-$cpu",
  "version": "$version",
  "description": "The $os $cpu executables of maestro-session (installed by the maestro-session package)",
  "license": "MIT OR Apache-2.0",
  "os": ["$os"],
  "cpu": ["$cpu"],
  "files": ["bin/"],
  "preferUnplugged": true
}
EOF
        (cd "$npm_dir" && npm pack --silent "$pkg" >/dev/null)
        optional="$optional${optional:+,
}    \"@maestro-session/$os-$cpu\": \"$version\""
    done
    pkg="$stage/npm-main"
    mkdir -p "$pkg/bin"
    cp "$ROOT/scripts/npm/maestro-session.js" "$ROOT/scripts/npm/maestro-session-install.js" "$pkg/bin/"
    cp "$ROOT/install.sh" "$pkg/install.sh"
    cp "$ROOT/README.md" "$pkg/"
    cat > "$pkg/package.json" <<EOF
{
  "name": "maestro-session",
  "version": "$version",
  "description": "Native hooks, state tools and MCP server for Maestro orchestration sessions (Gemini CLI, Claude Code, Codex, Qwen Code)",
  "license": "MIT OR Apache-2.0",
  "bin": {
    "maestro-session": "bin/maestro-session.js",
    "maestro-session-install": "bin/maestro-session-install.js"
  },
  "files": ["bin/", "install.sh"],
  "engines": {"node": ">=18"},
  "optionalDependencies": {
$optional
  }
}
EOF
    (cd "$npm_dir" && npm pack --silent "$pkg" >/dev/null)
    (cd "$npm_dir" && sha256sum -- *.tgz > SHA256SUMS)
    say "npm tarballs in $npm_dir: $(cd "$npm_dir" && ls *.tgz | tr '\n' ' ')"
fi
rm -rf "$stage"
ls -l "$out" >&2
