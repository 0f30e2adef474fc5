#!/usr/bin/env bash
# Checks that the documentation says what is true:
#   1. every shell block marked "```sh run" in the guides runs as written, in
#      one shell, in the guides' order (the C guide prepares gw-sim and the
#      variables the C++ and Python guides use), from the root of a fresh copy
#      of the repository's files: no .venv, no build output but the shared
#      target directory (so only gw and gw-sim are rebuilt);
#   2. every *.md file a document names exists in the repository;
#   3. the minimum Rust version the README states is Cargo.toml's rust-version;
#   4. the README's status table and docs/troubleshooting.md's rows have
#      exactly the header's statuses and numbers;
#   5. the release file names and versions in the documents are Cargo.toml's
#      version's, package descriptions list no operations, and
#      THIRD-PARTY-LICENSES.md was generated from Cargo.lock's crates of now.
# The README's Install section runs against the release files themselves
# (scripts/check-install-docs.sh, from scripts/test-dist.sh).
# Called by scripts/test.sh; runs alone too (after scripts/setup.sh test).
set -euo pipefail
cd "$(dirname "$0")/.."
guides=(examples-c/README.md bindings/cpp/README.md bindings/python/README.md)
docs=(README.md SECURITY.md docs/*.md examples-c/README.md bindings/README.md bindings/*/README.md sim/README.md fuzz/README.md)
fail() { echo "FAIL: $*" >&2; exit 1; }

echo "== docs: the runnable blocks of ${guides[*]}"
script=$(mktemp)
log=$(mktemp)
copy=$(mktemp -d)
trap 'rm -rf "$script" "$log" "$copy"' EXIT
git ls-files -z | tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C "$copy"
target=${CARGO_TARGET_DIR:-$PWD/target}
case $target in /*) ;; *) target=$PWD/$target ;; esac
{
  echo 'set -euo pipefail'
  # Whatever happens, gw-sim (started by the C guide as SIM_PID) is stopped.
  echo 'trap '\''[ -n "${SIM_PID:-}" ] && kill "$SIM_PID" 2>/dev/null; true'\'' EXIT'
  for guide in "${guides[@]}"; do
    awk -v file="$guide" '
      /^```sh run$/ { inside = 1; printf "echo \"--- %s, block at line %d\"\n", file, NR; next }
      /^```/ && inside { inside = 0; next }
      inside { print }' "$guide"
  done
} >"$script"
blocks=$(grep -c '^echo "--- ' "$script" || true)
[ "$blocks" -ge 5 ] || fail "only $blocks runnable blocks found in ${guides[*]}"
if ! (cd "$copy" && CARGO_TARGET_DIR=$target timeout 600 bash "$script" >"$log" 2>&1); then
  cat "$log"; fail "a documented command failed (the last '---' line above names its block)"
fi
grep -Eq '^session.id=SESSION0002' "$log" || { cat "$log"; fail "the C quick start printed no session id"; }
grep -Eq '^9[0-9]{15} [0-9]{6}x+[0-9]{4} till-7/sale-42$' "$log" || { cat "$log"; fail "the Python example printed no token"; }
echo "ok: $blocks blocks ran as written"

echo "== docs: every named document exists"
missing=0
for doc in "${docs[@]}"; do
  dir=$(dirname "$doc")
  for name in $(grep -o '[A-Za-z0-9_./-]*\.md\b' "$doc" | sort -u); do
    [ -e "$dir/$name" ] || [ -e "$name" ] || { echo "$doc names $name, which is not in the repository"; missing=1; }
  done
done
[ "$missing" = 0 ] || fail "documents name files that do not exist"
echo "ok: ${#docs[@]} documents checked"

echo "== docs: the stated minimum Rust version"
msrv=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml)
grep -q "needs Rust $msrv or later" README.md || fail "README.md does not say 'needs Rust $msrv or later' (Cargo.toml rust-version)"
echo "ok: Rust $msrv"

echo "== docs: the version in the documents is Cargo.toml's, no stale operation lists"
. scripts/version.sh
# Release file names and versions a reader types: gw-X.Y.Z-..., _X.Y.Z_, libgwA,
# find_package(gw X.Y) (CHANGELOG.md names old versions on purpose).
stale=$(grep -noE 'gw-[0-9]+\.[0-9]+\.[0-9]+\b-?|_[0-9]+\.[0-9]+\.[0-9]+_|\blibgw[0-9][0-9.]*_|find_package\(gw [0-9.]+' \
  README.md docs/*.md examples-c/README.md examples-c/CMakeLists.txt bindings/python/README.md sim/python/README.md \
  packaging/*.txt 2>/dev/null \
  | grep -vE "gw-$version(-|\$)|_${version}_|libgw${abi}_|find_package\(gw ($major\.$minor|@)" || true)
[ -z "$stale" ] || { echo "$stale"; fail "documents name another version than $version (libgw$abi, find_package(gw $major.$minor))"; }
[ "$(sed -n 's/^version = "\(.*\)"/\1/p' sim/python/pyproject.toml)" = "$version" ] || fail "sim/python/pyproject.toml's version is not $version"
# The descriptions a user reads in package managers and file properties stay
# general: a list of operations goes stale with every release (the .debs,
# gw.pc, README.txt, the wheels' summaries, the DLL's version resource, gw-sim help).
listed=$(grep -nE '\((CREATE_SESSION|TOKENIZE|P2PE TOKENIZE)[,)]|CREATE_SESSION and P2PE|: CREATE_SESSION' \
  scripts/debian-packages.sh scripts/install.sh packaging/*.txt bindings/python/pyproject.toml sim/python/pyproject.toml \
  Cargo.toml sim/Cargo.toml build.rs sim/src/cli.rs || true)
[ -z "$listed" ] || { echo "$listed"; fail "a package description lists operations: keep it general (sessions, P2PE tokens and payments)"; }
scripts/third-party-licenses.sh --check
echo "ok: gw $version (soname libgw.so.$abi) everywhere; descriptions general; third-party licences current"

echo "== docs: docs/troubleshooting.md has a row for every status of the header"
rows=$(sed -n 's/^| \([0-9]*\) `\(GW_[A-Z0-9_]*\)` |.*/\1 \2/p' docs/troubleshooting.md | sort -n)
header_statuses=$(sed -n 's/^#define \(GW_[A-Z0-9_]*\) \([0-9]*\)$/\2 \1/p' include/gw.h | grep -vE ' GW_(TRUST|LOG|VERSION|RECOVERED)_' | sort -n)
[ "$header_statuses" = "$rows" ] || { diff <(echo "$header_statuses") <(echo "$rows") || true; fail "docs/troubleshooting.md's rows differ from include/gw.h's statuses (< header, > troubleshooting)"; }
echo "ok: $(wc -l <<<"$rows") statuses, each with its row"

echo "== docs: the README's status table is the header's"
header=$(sed -n 's/^#define \(GW_[A-Z0-9_]*\) \([0-9]*\)$/\2 \1/p' include/gw.h | grep -vE ' GW_(TRUST|LOG|VERSION|RECOVERED)_' | sort -n)
readme=$(sed -n 's/^| \([0-9]*\) | `\(GW_[A-Z0-9_]*\)` |.*/\1 \2/p' README.md | sort -n)
[ "$header" = "$readme" ] || { diff <(echo "$header") <(echo "$readme") || true; fail "README.md's status table differs from include/gw.h (< header, > README)"; }
echo "ok: $(wc -l <<<"$header") statuses"
