#!/bin/sh
# The Debian packages the suite runs for real, installed with apt-get when missing (as root, as
# CI runs): tmux (team sessions: the Rust tests in tests/tests/team.rs and scripts/e2e-team.sh),
# podman, runc and busybox-static (container members in scripts/e2e-team.sh). Run by
# scripts/test.sh before `cargo test`, so no test skips for want of them on a fresh machine.
#   sh scripts/system-packages.sh
set -eu
need=""
command -v tmux > /dev/null 2>&1 || need="$need tmux"
if [ -z "${E2E_TEAM_NO_PODMAN:-}" ]; then
    command -v podman > /dev/null 2>&1 || need="$need podman"
    command -v runc > /dev/null 2>&1 || [ -x /usr/sbin/runc ] || need="$need runc"
    [ -x /bin/busybox ] || need="$need busybox-static"
fi
[ -n "$need" ] || exit 0
if [ "$(id -u)" != 0 ]; then
    echo "system-packages.sh: missing$need; install them (apt-get install$need) or run as root" >&2
    exit 1
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "system-packages.sh: apt-get install$need" >&2
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive apt-get install -y -q $need > "$log" 2>&1 ||
    { apt-get update -q >> "$log" 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q $need >> "$log" 2>&1; } ||
    { cat "$log" >&2; echo "system-packages.sh: cannot install$need" >&2; exit 1; }
