#!/usr/bin/env bash
# Runs the README's Install section as a till developer would type it: every
# block marked "```sh install", as written, in one shell, in a fresh directory
# whose path has a space in it, holding only the x86_64 release files of DIST
# (the tarball, the .debs, the wheels). The blocks build the quick start
# against the tarball (cc with an rpath, and CMake), start the tarball's
# gw-sim and run it, install the .debs with apt-get and build against them,
# and install the wheels (gw, gw-sim) in a venv. Afterwards the packages are
# purged again.
# `sudo` is the command itself when running as root without sudo (CI).
# Usage: scripts/check-install-docs.sh DIST   (called by scripts/test-dist.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
dist=$(cd "$1" && pwd)
. scripts/version.sh
fail() { echo "FAIL: $*" >&2; exit 1; }
base=$(mktemp -d)
here="$base/till developer"
script=$base/install.sh
log=$base/log
debs=("libgw$abi" libgw-dev gw-sim)
cleanup() {
  dpkg -s "${debs[@]}" >/dev/null 2>&1 && dpkg --purge "${debs[@]}" >/dev/null 2>&1
  rm -rf "$base"
}
trap cleanup EXIT
mkdir -p "$here"
cp "$dist"/*x86_64*.tar.gz "$dist"/*_amd64.deb "$dist"/*x86_64*.whl "$here/"
{
  echo 'set -euo pipefail'
  # (README's last gw-sim block stops its own; `|| true` as it is gone then.)
  echo 'trap '\''if [ -n "${SIM:-}" ]; then kill "$SIM" 2>/dev/null || true; fi'\'' EXIT'
  if [ "$(id -u)" = 0 ] && ! command -v sudo >/dev/null; then echo 'sudo() { "$@"; }'; fi
  awk '/^```sh install$/ { inside = 1; printf "echo \"--- README.md, block at line %d\"\n", NR; next }
       /^```/ && inside { inside = 0; next }
       inside { print }' README.md
} >"$script"
blocks=$(grep -c '^echo "--- ' "$script" || true)
[ "$blocks" -ge 4 ] || fail "only $blocks install blocks found in README.md"
if dpkg -s "${debs[@]}" >/dev/null 2>&1; then fail "gw's packages are installed already: dpkg --purge ${debs[*]}"; fi
if ! (cd "$here" && env -u PKG_CONFIG_PATH -u LD_LIBRARY_PATH -u GW_LIBRARY -u CFLAGS -u CC_SHELL_ESCAPED_FLAGS \
      -u CARGO_ENCODED_RUSTFLAGS -u RUSTFLAGS -u CARGO_TARGET_DIR -u SOURCE_DATE_EPOCH DEBIAN_FRONTEND=noninteractive \
      timeout 600 bash "$script" >"$log" 2>&1); then
  cat "$log"; fail "a command of the README's Install section failed in '$here' (the last '---' line names its block)"
fi
! grep -q 'error while loading shared libraries' "$log" || { cat "$log"; fail "a program did not start"; }
[ "$(grep -cE '^(set GW_BASE_URL|usage: )' "$log")" -ge 3 ] || { cat "$log"; fail "the tarball, CMake and .deb builds did not all start"; }
grep -q '^session.id=SESSION' "$log" && grep -q '^token=9' "$log" || { cat "$log"; fail "the till against gw-sim printed no session and token"; }
grep -qx "$version" "$log" || { cat "$log"; fail "the wheel's gw.version() is not $version"; }
grep -qx "gw-sim $version" "$log" || { cat "$log"; fail "the gw-sim wheel's command did not print its version"; }
echo "ok: the README's $blocks Install blocks ran as written in '$here': tarball (cc, CMake, gw-sim), .debs, wheels"
