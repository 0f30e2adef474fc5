#!/usr/bin/env bash
# Installs gw for C and C++ users:
#   PREFIX/include/gw.h, gw.hpp (the C++17 wrapper)
#   PREFIX/LIBDIR/libgw.so.X.Y.Z, libgw.so.ABI (the soname: libgw.so.0.Y before 1.0,
#                                scripts/version.sh), libgw.so (for -lgw)
#   PREFIX/LIBDIR/libgw.a
#   PREFIX/LIBDIR/pkgconfig/gw.pc        (`pkg-config --cflags --libs gw`)
#   PREFIX/LIBDIR/pkgconfig/gw-static.pc (`pkg-config --cflags --libs gw-static`: libgw.a
#                                         and the system libraries it needs, no libgw.so)
#   PREFIX/LIBDIR/cmake/gw/gwConfig.cmake, gwConfigVersion.cmake
#                                (`find_package(gw)`: gw::gw shared, gw::gw_static)
#   PREFIX/bin/gw-sim            (the local gateway, to try the till's code against)
# The pkg-config and CMake files find PREFIX from their own place (pkg-config's
# ${pcfiledir}, CMake's CMAKE_CURRENT_LIST_DIR), so an installed tree still
# works when moved: the release tarballs are such trees (scripts/dist.sh).
# Usage: scripts/install.sh [PREFIX] [TARGET]   (default /usr/local, the host)
# Environment:
#   DESTDIR      honoured for packaging (scripts/dist.sh's .debs)
#   GW_LIBDIR    the library directory under PREFIX (default lib; the .debs use lib/<multiarch>)
#   GW_ZIG=1     build with cargo-zigbuild (scripts/dist.sh), whose TARGET may carry
#                the oldest glibc to run on: x86_64-unknown-linux-gnu.2.17
#   GW_STRIP     a strip command for gw-sim and libgw.a's debug sections (default: none)
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:-/usr/local}
target=${2:-}
# The architecture the CMake package accepts (cmake/gwConfigVersion.cmake.in).
arch=${target%%-*}
[ -n "$arch" ] || arch=$(uname -m)
libdir=${GW_LIBDIR:-lib}
if [ "${GW_ZIG:-}" = 1 ]; then cargo_build=(cargo zigbuild) cargo_rustc=(cargo-zigbuild rustc)
else cargo_build=(cargo build) cargo_rustc=(cargo rustc); fi
. scripts/version.sh

# cargo-zigbuild writes TARGET.2.17's output under TARGET.
out=${CARGO_TARGET_DIR:-target}/${target:+${target%%.*}/}release
build=(--locked --release ${target:+--target "$target"})
"${cargo_build[@]}" -q "${build[@]}" -p gw -p gw-sim
# The static library is built alone (crate type staticlib only), where LTO
# makes it a third of the size of the one the build above writes; rustc also
# reports the native libraries it needs. In the same target directory, so
# that the dependencies are compiled once (a directory of its own compiled
# them all again, SQLite included: a minute or more per architecture of
# `make dist`): cargo keeps this unit apart from the build above's (neither
# makes the other start over), and copies the output of the last one run,
# even when fresh, to $out/libgw.a: this one, run second.
native=$("${cargo_rustc[@]}" -q "${build[@]}" -p gw --lib --crate-type staticlib \
  -- --print native-static-libs 2>&1 | sed -n 's/.*native-static-libs: //p' | tail -n 1)
[ -n "$native" ] || { echo "install.sh: rustc reported no native-static-libs" >&2; exit 1; }
# The build above's own libgw.a (deps/libgw.a) must not be the one shipped.
! cmp -s "$out/libgw.a" "$out/deps/libgw.a" || { echo "install.sh: $out/libgw.a is not the staticlib build's" >&2; exit 1; }

dest=${DESTDIR:-}$prefix
install -d "$dest/include" "$dest/bin" "$dest/$libdir/pkgconfig" "$dest/$libdir/cmake/gw"
install -m 644 include/gw.h bindings/cpp/gw.hpp "$dest/include/"
install -m 644 "$out/libgw.so" "$dest/$libdir/libgw.so.$version"
ln -sf "libgw.so.$version" "$dest/$libdir/libgw.so.$abi"
ln -sf "libgw.so.$abi" "$dest/$libdir/libgw.so"
install -m 644 "$out/libgw.a" "$dest/$libdir/libgw.a"
install -m 755 "$out/gw-sim" "$dest/bin/gw-sim"
if [ -n "${GW_STRIP:-}" ]; then
  $GW_STRIP --strip-debug "$dest/$libdir/libgw.a"
  $GW_STRIP "$dest/bin/gw-sim"
fi

# From LIBDIR/pkgconfig (and LIBDIR/cmake/gw) back up to PREFIX.
up=$(sed 's#[^/][^/]*#..#g' <<<"$libdir/pkgconfig")
pc_head="prefix=\${pcfiledir}/$up
libdir=\${prefix}/$libdir
includedir=\${prefix}/include
"
cat >"$dest/$libdir/pkgconfig/gw.pc" <<PC
$pc_head
Name: gw
Description: Mastercard Gateway (MPGS) NVP API client for point-of-sale: sessions, P2PE tokens and payments
Version: $version
Cflags: -I\${includedir}
Libs: -L\${libdir} -lgw
Libs.private: $native
PC
# Static linking names the archive itself: -lgw would pick libgw.so whenever
# it is beside libgw.a, and -static would make the whole program static.
cat >"$dest/$libdir/pkgconfig/gw-static.pc" <<PC
$pc_head
Name: gw-static
Description: gw linked statically (libgw.a and the system libraries it needs)
Version: $version
Cflags: -I\${includedir} -DGW_STATIC
Libs: \${libdir}/libgw.a $native
PC
for file in gwConfig gwConfigVersion; do
  sed -e "s/@GW_VERSION@/$version/g" -e "s/@GW_MAJOR@/$major/g" -e "s/@GW_MINOR@/$minor/g" -e "s/@GW_ABI@/$abi/g" -e "s/@GW_ARCH@/$arch/g" \
    -e "s#@GW_LIBDIR@#$libdir#g" -e "s#@GW_UP@#$up/..#g" \
    -e "s/@GW_STATIC_LIBS@/$(sed 's/ /;/g' <<<"$native")/g" "cmake/$file.cmake.in" >"$dest/$libdir/cmake/gw/$file.cmake"
done
echo "installed gw $version in $dest (soname libgw.so.$abi; gw-sim in bin/)"
