#!/usr/bin/env bash
# Checks that gw's CMake package (cmake/gwConfigVersion.cmake.in) under PREFIX
# refuses what would not work: find_package(gw) with another major version,
# with another minor version while the major is 0 (a 0.x minor version may
# break the ABI), and a tree built for another architecture (ARCH_PREFIX: a
# tree for another architecture, e.g. the armv7 tarball unpacked; without
# it, a copy of PREFIX's package that says armv7 stands for one).
# Usage: scripts/cmake-refusals.sh PREFIX [ARCH_PREFIX]
# Called by scripts/test.sh (install step) and scripts/test-dist.sh (tarball).
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=$1 other=${2:-}
. scripts/version.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# refused WANTED PREFIX WHY: find_package(gw WANTED) must fail, saying WHY.
refused() {
  if cmake -S tests/cmake -B "$work/build-$RANDOM" -DCMAKE_PREFIX_PATH="$2" -DGW_WANTED="$1" >"$work/log" 2>&1; then
    fail "find_package(gw $1) accepted the gw $version under $2 ($3)"
  fi
  grep -q "gw $version\|$version" "$work/log" || { cat "$work/log"; fail "find_package(gw $1) failed, but not naming gw $version"; }
  echo "ok: find_package(gw ${1:-}) refuses $3"
}
refused "$((major + 1)).0" "$prefix" "another major version ($((major + 1)).0)"
if [ "$major" = 0 ]; then
  refused "0.$((minor + 1))" "$prefix" "a newer 0.x minor version (0.$((minor + 1)))"
  [ "$minor" = 0 ] || refused "0.$((minor - 1))" "$prefix" "an older 0.x minor version (0.$((minor - 1)): ABI may differ)"
fi
if [ -z "$other" ]; then
  other=$work/armv7
  mkdir -p "$other"
  cp -a "$prefix/." "$other/"
  sed -i 's/^set(_gw_arch ".*")$/set(_gw_arch "armv7")/' "$other"/lib*/cmake/gw/gwConfigVersion.cmake "$other"/lib/*/cmake/gw/gwConfigVersion.cmake 2>/dev/null || true
  grep -q 'set(_gw_arch "armv7")' "$other"/lib/cmake/gw/gwConfigVersion.cmake || fail "no gwConfigVersion.cmake under $prefix/lib/cmake/gw"
fi
refused "$major.$minor" "$other" "a tree for another architecture ($(sed -n 's/^set(_gw_arch "\(.*\)")$/\1/p' "$other"/lib/cmake/gw/gwConfigVersion.cmake) on $(uname -m))"
