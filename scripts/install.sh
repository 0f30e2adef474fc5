#!/usr/bin/env bash
# Installs gw for C and C++ users:
#   PREFIX/include/gw.h
#   PREFIX/lib/libgw.so.X.Y.Z, libgw.so.X (the soname), libgw.so (for -lgw)
#   PREFIX/lib/libgw.a
#   PREFIX/lib/pkgconfig/gw.pc   (`pkg-config --cflags --libs gw`, `--static` for libgw.a)
#   PREFIX/lib/cmake/gw/gwConfig.cmake, gwConfigVersion.cmake
#                                (`find_package(gw)`: gw::gw shared, gw::gw_static)
# Usage: scripts/install.sh [PREFIX] [TARGET]   (default /usr/local, the host)
# DESTDIR is honoured for packaging.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:-/usr/local}
target=${2:-}
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
major=${version%%.*}

cargo build --locked --release -p gw ${target:+--target "$target"}
out=${CARGO_TARGET_DIR:-target}/${target:+$target/}release
# The native libraries the static library needs, as rustc reports them.
native=$(cargo rustc -q --locked --release -p gw --lib --crate-type staticlib ${target:+--target "$target"} \
  -- --print native-static-libs 2>&1 | sed -n 's/.*native-static-libs: //p' | tail -n 1)

dest=${DESTDIR:-}$prefix
install -d "$dest/include" "$dest/lib/pkgconfig" "$dest/lib/cmake/gw"
install -m 644 include/gw.h "$dest/include/gw.h"
install -m 755 "$out/libgw.so" "$dest/lib/libgw.so.$version"
ln -sf "libgw.so.$version" "$dest/lib/libgw.so.$major"
ln -sf "libgw.so.$major" "$dest/lib/libgw.so"
install -m 644 "$out/libgw.a" "$dest/lib/libgw.a"
cat >"$dest/lib/pkgconfig/gw.pc" <<PC
prefix=$prefix
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: gw
Description: C client for the Mastercard Gateway NVP API (CREATE_SESSION, P2PE TOKENIZE)
Version: $version
Cflags: -I\${includedir}
Libs: -L\${libdir} -lgw
Libs.private: $native
PC
minor=${version#*.}; minor=${minor%%.*}
for file in gwConfig gwConfigVersion; do
  sed -e "s/@GW_VERSION@/$version/g" -e "s/@GW_MAJOR@/$major/g" -e "s/@GW_MINOR@/$minor/g" \
    -e "s/@GW_STATIC_LIBS@/$(sed 's/ /;/g' <<<"$native")/g" "cmake/$file.cmake.in" >"$dest/lib/cmake/gw/$file.cmake"
done
echo "installed gw $version in $dest (soname libgw.so.$major)"
