#!/usr/bin/env bash
# The x86_64 release artifacts installed as a till developer would, each run
# end to end against gw-sim over HTTPS (called by scripts/dist.sh, so by
# `make dist` and, for x86_64 only, `make test`):
#   1. the tarball, unpacked elsewhere: the quick start built with its gw.pc
#      (shared, rpath), gw-static.pc (no libgw.so at run time) and its CMake
#      package (gw::gw, gw::gw_static), run against the tarball's gw-sim;
#   2. the .debs, installed with dpkg: the quick start built with the system's
#      pkg-config, no rpath, run against the packaged /usr/bin/gw-sim; then
#      the packages are purged again;
#   3. the wheel, in a fresh venv (pip --no-index from DIST; no compiler, no
#      source tree): the binding loads the library inside the wheel and
#      tokenizes against gw-sim; the gw-sim wheel gives a working `gw-sim`;
#   4. the README's Install section, run as typed from a path with a space
#      (scripts/check-install-docs.sh);
# and, for every file in DIST, that it carries the documentation, the
# changelog, the man pages and the licences (the third-party ones included);
# and that the CMake package refuses another ABI or architecture.
# Usage: scripts/test-dist.sh DIST   (dist/ as scripts/dist.sh wrote it)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dist=$(cd "$1" && pwd)
. scripts/version.sh
# A till developer's environment: none of make dist's build flags (its CFLAGS
# would reach CMake's compiler checks).
unset CFLAGS CC_SHELL_ESCAPED_FLAGS CARGO_ENCODED_RUSTFLAGS RUSTFLAGS
fail() { echo "FAIL: $*" >&2; exit 1; }
work=$(mktemp -d)
debs=("libgw$abi" libgw-dev gw-sim)
cleanup() {
  # The packages are installed for this test only: another checkout's tests
  # on this machine must not find gw in the system's directories.
  dpkg -s "${debs[@]}" >/dev/null 2>&1 && dpkg --purge "${debs[@]}" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
cflags=(-std=c99 -Wall -Wextra -Werror -pedantic)

# expect_quickstart DESCRIPTION GW-SIM PROGRAM...: the quick start's output over HTTPS.
expect_quickstart() {
  local what=$1 sim=$2 out; shift 2
  out=$(GW_SIM=$sim scripts/with-sim.sh --tls -- "$@") || fail "$what: $out"
  grep -q '^session.id=SESSION0002' <<<"$out" && grep -q '^token=9' <<<"$out" || fail "$what: $out"
  echo "ok: $what: $(tr '\n' ' ' <<<"$out")"
}

echo "== dist test: the x86_64 tarball, unpacked, with its pkg-config and CMake files"
tar -xzf "$dist/gw-$version-linux-x86_64.tar.gz" -C "$work"
tree=$work/gw-$version-linux-x86_64
[ "$(readlink "$tree/lib/libgw.so.$abi")" = "libgw.so.$version" ] || fail "libgw.so.$abi is no link to libgw.so.$version"
export PKG_CONFIG_PATH=$tree/lib/pkgconfig
[ "$(pkg-config --modversion gw)" = "$version" ] || fail "gw.pc says $(pkg-config --modversion gw)"
cc "${cflags[@]}" examples-c/quickstart.c -o "$work/qs-shared" $(pkg-config --cflags --libs gw) -Wl,-rpath,"$tree/lib"
cc "${cflags[@]}" examples-c/quickstart.c -o "$work/qs-static" $(pkg-config --cflags --libs gw-static)
readelf -d "$work/qs-shared" | grep -qF "[libgw.so.$abi]" || fail "tarball: not linked against the soname libgw.so.$abi"
! readelf -d "$work/qs-static" | grep -q libgw || fail "tarball: the gw-static build needs libgw.so"
expect_quickstart "tarball, pkg-config gw" "$tree/bin/gw-sim" "$work/qs-shared"
expect_quickstart "tarball, pkg-config gw-static" "$tree/bin/gw-sim" "$work/qs-static"
unset PKG_CONFIG_PATH
cmake -S tests/cmake -B "$work/cmake" -DCMAKE_PREFIX_PATH="$tree" -DGW_WANTED="${version%.*}" \
  -DCMAKE_C_FLAGS="${cflags[*]}" >"$work/cmake.log" 2>&1 && cmake --build "$work/cmake" >>"$work/cmake.log" 2>&1 \
  || { cat "$work/cmake.log"; fail "tarball: the CMake consumer did not build"; }
expect_quickstart "tarball, CMake gw::gw" "$tree/bin/gw-sim" "$work/cmake/quickstart-shared"
expect_quickstart "tarball, CMake gw::gw_static" "$tree/bin/gw-sim" "$work/cmake/quickstart-static"
other=
if [ -f "$dist/gw-$version-linux-armv7.tar.gz" ]; then
  tar -xzf "$dist/gw-$version-linux-armv7.tar.gz" -C "$work"
  other=$work/gw-$version-linux-armv7
fi
scripts/cmake-refusals.sh "$tree" $other

echo "== dist test: the amd64 .debs, installed with dpkg"
if dpkg -s "${debs[@]}" >/dev/null 2>&1; then fail "gw's packages are installed already: dpkg --purge ${debs[*]}"; fi
dpkg -i "$dist/libgw${abi}_${version}_amd64.deb" "$dist/libgw-dev_${version}_amd64.deb" \
  "$dist/gw-sim_${version}_amd64.deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i"; }
cc "${cflags[@]}" examples-c/quickstart.c -o "$work/qs-deb" $(pkg-config --cflags --libs gw)
! readelf -d "$work/qs-deb" | grep -q RUNPATH || fail "deb: the program needed an rpath"
expect_quickstart ".debs, pkg-config gw, /usr/bin/gw-sim" /usr/bin/gw-sim "$work/qs-deb"
dpkg --purge "${debs[@]}" >/dev/null
[ ! -e "/usr/lib/x86_64-linux-gnu/libgw.so.$abi" ] || fail "dpkg --purge left libgw.so.$abi"

echo "== dist test: the manylinux x86_64 wheel in a fresh venv (pip --no-index)"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q --disable-pip-version-check --no-index --find-links "$dist" gw \
  || fail "pip could not install the wheel from $dist"
# From an empty directory, with no GW_LIBRARY: the library must be the wheel's own.
mkdir "$work/empty"
out=$(cd "$work/empty" && env -u GW_LIBRARY -u PYTHONPATH GW_SIM="$tree/bin/gw-sim" \
  "$root/scripts/with-sim.sh" --tls -- "$work/venv/bin/python" - <<'EOF'
import os, gw, gw._native as native

lib = native.lib()
package = os.path.dirname(gw.__file__)
assert os.path.dirname(lib._name) == package, f"{lib._name} is not the wheel's library (in {package})"
with gw.Client(os.environ["GW_BASE_URL"], os.environ["GW_MERCHANT"], api_password=os.environ["GW_API_PASSWORD"],
               ca_bundle=os.environ["GW_CA_BUNDLE"]) as client:
    print("session.id=" + client.create_session()["session.id"])
    token = client.tokenize_p2pe(os.environ["GW_P2PE_KSN"], os.environ["GW_P2PE_PAYLOAD"],
                                 card_bin=os.environ.get("GW_P2PE_CARD_BIN"))
    print("token=" + token["token"])
print("library=" + lib._name)
EOF
) || fail "wheel: $out"
grep -q '^session.id=SESSION' <<<"$out" && grep -q '^token=9' <<<"$out" || fail "wheel: $out"
echo "ok: wheel: $(tr '\n' ' ' <<<"$out")"
"$work/venv/bin/pip" install -q --disable-pip-version-check --no-index --find-links "$dist" gw-sim \
  || fail "pip could not install the gw-sim wheel from $dist"
[ "$("$work/venv/bin/gw-sim" --version)" = "gw-sim $version" ] || fail "the gw-sim wheel's command: $("$work/venv/bin/gw-sim" --version)"
out=$(cd "$work/empty" && env -u GW_LIBRARY GW_SIM="$work/venv/bin/gw-sim" "$root/scripts/with-sim.sh" --tls -- "$work/qs-static") \
  || fail "the gw-sim wheel's gw-sim: $out"
grep -q '^token=9' <<<"$out" || fail "the gw-sim wheel's gw-sim: $out"
echo "ok: gw-sim wheel: \`gw-sim\` in the venv serves; the quick start tokenizes against it"

echo "== dist test: the README's Install section, as typed"
scripts/check-install-docs.sh "$dist"

echo "== dist test: every file carries the docs, changelog, man pages and licences"
# has ARCHIVE-LISTING WHAT PATH...: each PATH is in the listing.
has() {
  local listing=$1 what=$2 path; shift 2
  for path in "$@"; do grep -qE "(^|/)$path\$" <<<"$listing" || fail "$what has no $path"; done
}
docs=(README.md CHANGELOG.md docs/troubleshooting.md docs/windows.md examples-c/quickstart.c examples-c/Makefile
  examples-c/CMakeLists.txt html/index.html html/gw.3.html)
licences=(LICENSE-MIT LICENSE-APACHE THIRD-PARTY-LICENSES.md)
checked=0
for file in "$dist"/*; do
  name=$(basename "$file")
  case $name in
    *.tar.gz) listing=$(tar -tzf "$file")
      has "$listing" "$name" "${docs[@]/#/share/doc/gw/}" "${licences[@]/#/share/doc/gw/}" "${licences[@]}" \
        share/man/man3/gw.3 share/man/man3/gw_version.3 share/man/man1/gw-sim.1 README.txt ;;
    libgw-dev_*.deb) listing=$(dpkg-deb -c "$file" | awk '{ print $NF }')
      has "$listing" "$name" "${docs[@]/#/usr/share/doc/libgw-dev/}" usr/share/doc/libgw-dev/copyright \
        usr/share/man/man3/gw.3.gz usr/share/man/man3/gw_version.3.gz ;;
    gw-sim_*.deb) has "$(dpkg-deb -c "$file" | awk '{ print $NF }')" "$name" usr/share/man/man1/gw-sim.1.gz usr/share/doc/gw-sim/copyright ;;
    libgw*.deb) has "$(dpkg-deb -c "$file" | awk '{ print $NF }')" "$name" "usr/share/doc/libgw$abi/copyright" ;;
    *-mingw-static.zip) has "$(python3 -m zipfile -l "$file" | awk 'NR > 1 { print $1 }')" "$name" libgw.a gw.h README.txt "${licences[@]}" ;;
    *.zip) has "$(python3 -m zipfile -l "$file" | awk 'NR > 1 { print $1 }')" "$name" "${docs[@]/#/doc/}" "${licences[@]}" \
      gw.dll gw.lib gw.h cmake/gwConfig.cmake cmake/gwConfigVersion.cmake README.txt ;;
    *.whl) has "$(python3 -m zipfile -l "$file" | awk 'NR > 1 { print $1 }')" "$name" "${licences[@]/#/licenses/}" ;;
    SHA256SUMS) continue ;;
    *) fail "$name: which documents should it carry?" ;;
  esac
  checked=$((checked + 1))
done
echo "ok: $checked files carry the docs, changelog, man pages and licences (the .debs: the copyright file has the licences)"
