#!/usr/bin/env bash
# Make sure a system dependency of a `make` stage is present; install it with apt-get when not.
#
# usage: tools/require.sh WHAT CHECK PACKAGE...
#
# CHECK is a shell command that succeeds when WHAT is usable. When it fails, the Debian
# PACKAGEs are installed non-interactively (as root, or through sudo), once, without what Debian
# merely recommends (for Chromium: udev, avahi, upower, a printer set-up tool, about 40 packages
# that a headless test does not use). Where that is not possible, the script prints ONE line
# saying what to install and exits 1, so `make` stops there.
set -euo pipefail
what=$1 check=$2
shift 2

present() { bash -c "$check" >/dev/null 2>&1; }
present && exit 0

give_up() {  # the one line: why, then the packages
  local why=$1
  shift
  echo "make: $what is missing$why; install it with: apt-get install $*" >&2
  exit 1
}
command -v apt-get >/dev/null || give_up " (no apt-get here)" "$@"
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null; then
  sudo=(sudo)
else
  give_up " (not root, no sudo)" "$@"
fi

# `make test` runs stages in parallel, and two apt-get runs at once would fight over apt's
# locks: one install at a time (the second re-checks, then installs what it still lacks).
exec 9>"${TMPDIR:-/tmp}/lossbook-apt.lock"
flock 9
present && exit 0
echo "Installing $what: apt-get install $*"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -q)
if ! { "${apt[@]}" update && "${apt[@]}" install -y --no-install-recommends "$@"; } >"$log" 2>&1; then
  tail -n 15 "$log" >&2
  give_up " (apt-get failed, see above)" "$@"
fi
present || give_up " after apt-get install (check: $check)" "$@"
