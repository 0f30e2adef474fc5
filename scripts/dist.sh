#!/usr/bin/env bash
# Release artifacts (`make dist`), every name carrying Cargo.toml's version V,
# into dist/:
#   gw-V-linux-{x86_64,aarch64,armv7}.tar.gz   relocatable trees (scripts/install.sh's
#                                               layout), every ELF file for glibc <= 2.17,
#                                               with share/doc/gw and share/man
#   libgwABI_V_ARCH.deb, libgw-dev_V_ARCH.deb, gw-sim_V_ARCH.deb   for amd64, arm64, armhf
#                                               (ABI: 0.2 for 0.2.x, scripts/version.sh)
#   gw-V-windows-{x64,x86}.zip                 scripts/build-windows.sh's files (gw.dll,
#                                               gw.pdb, gw.lib, gw.def, libgw.dll.a, gw.h, gw.hpp,
#                                               gw-sim.exe, cmake/, README.txt, doc/)
#   gw-V-windows-{x64,x86}-mingw-static.zip    the MinGW static libgw.a, apart (it is most of
#                                               the size)
#   gw-V-py3-none-{manylinux...,win_amd64,win32}.whl   the Python package with the library inside
#   gw_sim-V-py3-none-{manylinux...,win_amd64,win32}.whl   gw-sim for pip (a `gw-sim` command)
#   SHA256SUMS
# Every archive carries the documentation (the README, CHANGELOG, docs/,
# examples-c/ with its Makefile, the man pages and their HTML rendering) and
# the licences, gw's and the third-party crates' (THIRD-PARTY-LICENSES.md).
# and fails on any failed check: exports and the GW_<major> node of every
# libgw.so, glibc versions and needed libraries of every ELF file, lintian,
# gw.lib's symbols, gw.pdb against gw.dll (scripts/check-pdb.sh), auditwheel, the x64 gw-sim.exe under Wine, and the x86_64
# install paths end to end (scripts/test-dist.sh: tarball, .debs, wheel).
# Reproducible: the same commit gives the same bytes (SOURCE_DATE_EPOCH is the
# commit's time, paths are remapped, archives are sorted and dated alike);
# docs/release.md says how to check it.
# Usage: scripts/dist.sh [--only x86_64]   (--only: the x86_64 tarball, .debs and
#        wheel, for make test, into target/dist/files-x86_64/; the other platforms
#        are built by make dist alone)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
only=
if [ "${1:-}" = --only ]; then only=${2:?--only x86_64}; fi
case $only in ''|x86_64) ;; *) echo "usage: scripts/dist.sh [--only x86_64]" >&2; exit 2 ;; esac
started=$(date +%s)
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== dist: $*"; }

scripts/setup.sh dist
export PATH=$root/.venv-dist/bin:$PATH
# The tools the files depend on, for whoever rebuilds them to compare (docs/release.md).
echo "== dist: $(rustc --version), $(cargo-zigbuild --version), zig $(python3 -m ziglang version)"
. scripts/version.sh
py_version=$(sed -n 's/^version = "\(.*\)"/\1/p' bindings/python/pyproject.toml)
[ "$py_version" = "$version" ] || fail "bindings/python/pyproject.toml says $py_version, Cargo.toml $version"
SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)
export SOURCE_DATE_EPOCH TZ=UTC LC_ALL=C
# Its own target directory: these flags differ from the development builds'.
export CARGO_TARGET_DIR=$root/target/dist
# No path of this machine in the binaries (panic messages, debug info).
cargo_home=${CARGO_HOME:-$HOME/.cargo}
# Encoded (0x1f between arguments), and CFLAGS shell-quoted for the cc crate,
# so that a checkout whose path has a space builds too.
unset RUSTFLAGS
export CARGO_ENCODED_RUSTFLAGS="--remap-path-prefix=$root=/gw"$'\x1f'"--remap-path-prefix=$cargo_home=/cargo"
export CC_SHELL_ESCAPED_FLAGS=1
CFLAGS=$(printf '%q ' "-ffile-prefix-map=$root=/gw" "-ffile-prefix-map=$cargo_home=/cargo")
export CFLAGS
# make test's x86_64 files go elsewhere, so that it leaves a make dist's dist/ alone.
dist=$root/dist
[ -z "$only" ] || dist=$CARGO_TARGET_DIR/files-$only
rm -rf "$dist"
mkdir -p "$dist"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

step "documentation: man pages and their HTML (scripts/man_pages.py), third-party licences up to date"
scripts/third-party-licenses.sh --check
python3 scripts/man_pages.py "$work/man"
# stage_docs DIR [deb]: the documentation every artifact carries, as in the
# repository (so the README's links work): the README, CHANGELOG, SECURITY,
# BENCHMARKS, docs/, examples-c/ with its Makefile, the other guides, the
# man pages as HTML (html/); the licences unless for a .deb (its copyright file
# has them all).
stage_docs() {
  local dest=$1 files
  mkdir -p "$dest"
  files=(README.md CHANGELOG.md SECURITY.md BENCHMARKS.md bindings/README.md bindings/cpp/README.md
    bindings/python/README.md sim/README.md $(git ls-files docs examples-c | grep -v '/\.gitignore$'))
  [ "${2:-}" = deb ] || files+=(LICENSE-MIT LICENSE-APACHE THIRD-PARTY-LICENSES.md)
  for file in "${files[@]}"; do install -D -m 644 "$file" "$dest/$file"; done
  cp -r "$work/man/html" "$dest/html"
}

# Checks every ELF file given: no glibc symbol newer than 2.17, and only
# libraries of libc6 needed (what the tarball promises and the .debs depend on).
check_elf() {
  local file newest needed
  for file in "$@"; do
    newest=$(objdump -T "$file" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1)
    [ -n "$newest" ] || fail "$file: no glibc symbol versions read"
    [ "$(printf '%s\n2.17\n' "$newest" | sort -V | tail -n 1)" = 2.17 ] || fail "$file needs GLIBC_$newest (> 2.17)"
    ! objdump -T "$file" | grep -q GLIBC_PRIVATE || fail "$file uses GLIBC_PRIVATE"
    needed=$(readelf -d "$file" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort | tr '\n' ' ')
    for lib in $needed; do
      case $lib in libc.so.6|libm.so.6|libpthread.so.0|libdl.so.2|librt.so.1|ld-linux*.so.*) ;;
        *) fail "$file needs $lib, which is not part of libc6" ;; esac
    done
    echo "ok: $(basename "$file"): glibc <= $newest, needs $needed"
  done
}

# tar.gz of DIR (under its own name) with fixed order, dates and owners.
tarball() {
  tar -C "$(dirname "$2")" --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
    --format=gnu -cf - "$(basename "$2")" | gzip -9n >"$1"
}

linux=(x86_64:x86_64-unknown-linux-gnu:amd64:x86_64-linux-gnu:strip)
[ -n "$only" ] || linux+=(aarch64:aarch64-unknown-linux-gnu:arm64:aarch64-linux-gnu:aarch64-linux-gnu-strip
  armv7:armv7-unknown-linux-gnueabihf:armhf:arm-linux-gnueabihf:arm-linux-gnueabihf-strip)
for spec in "${linux[@]}"; do
  IFS=: read -r arch target debarch multiarch strip <<<"$spec"
  name=gw-$version-linux-$arch
  step "$name.tar.gz: cargo zigbuild --target $target.2.17 (glibc 2.17)"
  tree=$work/$name
  GW_ZIG=1 GW_STRIP=$strip scripts/install.sh "$tree" "$target.2.17" >/dev/null
  install -m 644 LICENSE-MIT LICENSE-APACHE THIRD-PARTY-LICENSES.md "$tree/"
  sed -e "s/@VERSION@/$version/g" -e "s/@MAJOR@/$major/g" -e "s/@MINOR@/$minor/g" -e "s/@ABI@/$abi/g" \
    -e "s/@ARCH@/$arch/g" packaging/README-linux.txt >"$tree/README.txt"
  stage_docs "$tree/share/doc/gw"
  install -D -m 644 -t "$tree/share/man/man3" "$work/man/man3/"*.3
  install -D -m 644 -t "$tree/share/man/man1" "$work/man/man1/"*.1
  scripts/check-elf-exports.sh "$tree/lib/libgw.so.$version"
  check_elf "$tree/lib/libgw.so.$version" "$tree/bin/gw-sim"
  tarball "$dist/$name.tar.gz" "$tree"

  step "libgw${abi}, libgw-dev, gw-sim _${version}_$debarch.deb"
  stage=$work/deb-$debarch
  DESTDIR=$stage GW_LIBDIR=lib/$multiarch GW_ZIG=1 GW_STRIP=$strip \
    scripts/install.sh /usr "$target.2.17" >/dev/null
  stage_docs "$stage/usr/share/doc/libgw-dev" deb
  mkdir -p "$stage/usr/share/man/man1" "$stage/usr/share/man/man3"
  for page in "$work/man/man1/"*.1 "$work/man/man3/"*.3; do
    gzip -9n <"$page" >"$stage/usr/share/man/man${page##*.}/$(basename "$page").gz"
  done
  scripts/debian-packages.sh "$stage" "$debarch" "$multiarch" "$dist"
done

step "lintian: every .deb (errors and warnings fail)"
# One run for all: lintian takes longer to start than to check a package.
lintian --fail-on error,warning --tag-display-limit 0 "$dist"/*.deb 2>/dev/null | sed 's/^/  lintian: /' \
  || fail "lintian reports errors or warnings in the .debs"
echo "ok: $(ls "$dist"/*.deb | wc -l) .debs, no lintian errors or warnings"

if [ -z "$only" ]; then
  step "Windows x64 and x86: scripts/build-windows.sh (release), zipped"
  # rustc's dlltool runs, with names that do not change from build to build.
  mkdir "$work/dlltool"
  for tool in x86_64-w64-mingw32-dlltool i686-w64-mingw32-dlltool; do
    ln -s "$root/scripts/dlltool-fixed-names.sh" "$work/dlltool/$tool"
  done
  PATH=$work/dlltool:$PATH scripts/build-windows.sh "$work/windows"
  for arch in x64 x86; do
    name=gw-$version-windows-$arch
    mv "$work/windows/$arch" "$work/windows/$name"
    install -m 644 LICENSE-MIT LICENSE-APACHE THIRD-PARTY-LICENSES.md "$work/windows/$name/"
    stage_docs "$work/windows/$name/doc"
    # The MinGW static library is most of the size and of use to MinGW
    # builds only: a zip of its own, with the header and the licences.
    static=$work/windows/$name-mingw-static
    mkdir -p "$static"
    mv "$work/windows/$name/libgw.a" "$static/"
    install -m 644 include/gw.h LICENSE-MIT LICENSE-APACHE THIRD-PARTY-LICENSES.md "$static/"
    sed -e "s/@VERSION@/$version/g" -e "s/@ARCH@/$arch/g" packaging/README-windows-static.txt | sed 's/$/\r/' \
      >"$static/README.txt"
    python3 scripts/dist_archive.py zip "$dist/$name.zip" "$work/windows/$name"
    python3 scripts/dist_archive.py zip "$dist/$name-mingw-static.zip" "$static"
  done
  step "Windows: the zips' CMake package (gw::gw) with MinGW-w64; x64's refuses an x86 build and the other way round"
  for arch in x64 x86; do
    case $arch in x64) cc=x86_64-w64-mingw32-gcc other=x86 ;; x86) cc=i686-w64-mingw32-gcc other=x64 ;; esac
    env -u CFLAGS cmake -S tests/cmake-windows -B "$work/cmake-$arch" -DCMAKE_SYSTEM_NAME=Windows -DCMAKE_C_COMPILER=$cc \
      -DCMAKE_PREFIX_PATH="$work/windows/gw-$version-windows-$arch" -DGW_WANTED="$major.$minor" >"$work/cmake.log" 2>&1 \
      && env -u CFLAGS cmake --build "$work/cmake-$arch" >>"$work/cmake.log" 2>&1 || { cat "$work/cmake.log"; fail "$arch: CMake gw::gw"; }
    if env -u CFLAGS cmake -S tests/cmake-windows -B "$work/cmake-$arch-wrong" -DCMAKE_SYSTEM_NAME=Windows -DCMAKE_C_COMPILER=$cc \
      -DCMAKE_PREFIX_PATH="$work/windows/gw-$version-windows-$other" >/dev/null 2>&1; then
      fail "an $arch CMake build accepted the $other zip"
    fi
    echo "ok: $arch: find_package(gw $major.$minor) and gw::gw build quickstart.exe; the $other zip is refused"
  done
  step "Windows: gw.lib linked by lld-link; x64 under Wine: gw-sim.exe serves, the Linux quick start tokenizes against it"
  scripts/test-windows.sh --sim-exe "$work/windows/gw-$version-windows-x64/gw-sim.exe" "$work/gw-$version-linux-x86_64" \
    "$work/windows/gw-$version-windows-x86"
fi

step "Python wheels with the library inside"
wheels=("manylinux_2_17_x86_64.manylinux2014_x86_64:$work/gw-$version-linux-x86_64/lib/libgw.so.$version")
[ -n "$only" ] || wheels+=("manylinux_2_17_aarch64.manylinux2014_aarch64:$work/gw-$version-linux-aarch64/lib/libgw.so.$version"
  "win_amd64:$work/windows/gw-$version-windows-x64/gw.dll" "win32:$work/windows/gw-$version-windows-x86/gw.dll")
for spec in "${wheels[@]}"; do
  tag=${spec%%:*}; library=${spec#*:}
  # gw-sim beside the library: the Linux tree's bin/, the Windows zip's directory.
  case $library in *.so.*) sim=$(dirname "$(dirname "$library")")/bin/gw-sim ;; *) sim=$(dirname "$library")/gw-sim.exe ;; esac
  # The binding looks for libgw.so.<abi> (gw.dll on Windows) next to itself.
  case $library in *.so.*) cp "$library" "$work/libgw.so.$abi"; library=$work/libgw.so.$abi ;; esac
  for wheel in "$(python3 scripts/dist_archive.py wheel "$dist" "$tag" "$library")" \
    "$(python3 scripts/dist_archive.py sim-wheel "$dist" "$tag" "$sim")"; do
    case $tag in
      manylinux*)
        shown=$(auditwheel show "$wheel")
        grep -q "consistent with the following platform tag: \"${tag%%.*}\"" <<<"$(tr -s ' \n' ' ' <<<"$shown")" \
          || { echo "$shown"; fail "auditwheel does not find $(basename "$wheel") consistent with ${tag%%.*}"; } ;;
    esac
    echo "ok: $(basename "$wheel")"
  done
done

step "SHA256SUMS"
(cd "$dist" && sha256sum -- * >SHA256SUMS && sha256sum --quiet -c SHA256SUMS)

step "the x86_64 install paths end to end: tarball, .debs, wheel (scripts/test-dist.sh)"
scripts/test-dist.sh "$dist"

# The size tables of docs/release.md and docs/windows.md, from these files.
[ -n "$only" ] || python3 scripts/release_sizes.py "$dist"
echo "== dist: $(ls "$dist" | wc -l) files in ${dist#"$root"/}/ in $(( $(date +%s) - started )) s"
(cd "$dist" && ls -l --time-style=+ | awk 'NR > 1 { printf "  %10d  %s\n", $5, $NF }')
