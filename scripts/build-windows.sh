#!/usr/bin/env bash
# Builds gw for Windows x64 and x86 with MinGW-w64 (`make windows`):
#   dist/windows/x64/ and dist/windows/x86/, each with
#     gw.dll        the library (a version resource carries gw's version)
#     libgw.dll.a   its import library for MinGW (gcc ... -lgw)
#     gw.def        its exports, for MSVC: lib /def:gw.def /machine:x64 (or x86) /out:gw.lib
#     libgw.a       the static library (define GW_STATIC; see docs/windows.md for its system libraries)
#     gw.h          the header
# Usage: scripts/build-windows.sh [--debug] [OUTDIR]   (default: release, dist/windows)
# Needs: rustup targets x86_64-pc-windows-gnu i686-pc-windows-gnu; Debian
# gcc-mingw-w64-x86-64 gcc-mingw-w64-i686 (scripts/setup.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
profile=release
if [ "${1:-}" = --debug ]; then profile=debug; shift; fi
dist=${1:-dist/windows}
target_dir=${CARGO_TARGET_DIR:-target}

for arch in x64 x86; do
  case $arch in
    x64) target=x86_64-pc-windows-gnu ;;
    x86) target=i686-pc-windows-gnu ;;
  esac
  cargo build -q --locked -p gw --target "$target" $([ "$profile" = release ] && echo --release)
  out=$target_dir/$target/$profile
  dest=$dist/$arch
  mkdir -p "$dest"
  install -m 644 "$out/gw.dll" "$out/libgw.dll.a" "$out/libgw.a" include/gw.h "$dest/"
  { echo "LIBRARY gw.dll"; echo "EXPORTS"; scripts/header-functions.sh | sed 's/^/    /'; } >"$dest/gw.def"
  echo "$dest: $(cd "$dest" && ls | tr '\n' ' ')($profile)"
done
