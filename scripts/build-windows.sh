#!/usr/bin/env bash
# Builds gw for Windows x64 and x86 with MinGW-w64 (`make windows`; the
# Windows zips of `make dist` are these directories):
#   dist/windows/x64/ and dist/windows/x86/, each with
#     gw.dll        the library (a version resource carries gw's version)
#     gw.pdb        its symbols for debuggers (crash dumps from tills), named by
#                   gw.dll's CodeView debug directory; checked by scripts/check-pdb.sh
#     cmake/        a CMake package: find_package(gw) gives gw::gw (CMake looks
#                   in PREFIX/cmake/ on Windows)
#     gw.lib        its import library for MSVC (made by llvm-dlltool from gw.def;
#                   checked to define every function of the header)
#     libgw.dll.a   its import library for MinGW (gcc ... -lgw)
#     gw.def        its exports
#     libgw.a       the static library (define GW_STATIC; see docs/windows.md for its system libraries)
#     gw.h, gw.hpp  the header and the C++17 wrapper
#     gw-sim.exe    the local gateway
#     README.txt    what is here, and the DLLs gw.dll imports (read from gw.dll itself)
# Usage: scripts/build-windows.sh [--debug] [OUTDIR]   (default: release, dist/windows)
# Needs: rustup targets x86_64-pc-windows-gnu i686-pc-windows-gnu; Debian
# gcc-mingw-w64-x86-64 gcc-mingw-w64-i686 llvm (scripts/setup.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
profile=release
if [ "${1:-}" = --debug ]; then profile=debug; shift; fi
dist=${1:-dist/windows}
target_dir=${CARGO_TARGET_DIR:-target}
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
header=$(scripts/header-functions.sh)
# Linked by rust-lld, not GNU ld, through gcc (scripts/windows-lld/collect2):
# GNU ld cannot write gw.pdb. The same rust-lld as the compiling toolchain's.
export GW_RUST_LLD=$(rustc --print sysroot)/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/bin/rust-lld
export GW_LINK_ROOT=$PWD
[ -x "$GW_RUST_LLD" ] || { echo "no rust-lld at $GW_RUST_LLD" >&2; exit 1; }

for arch in x64 x86; do
  case $arch in
    x64) target=x86_64-pc-windows-gnu machine=i386:x86-64 prefix= ;;
    # 32-bit __cdecl names carry a leading underscore in the object files
    # (the import itself is undecorated: llvm-dlltool's "noprefix").
    x86) target=i686-pc-windows-gnu machine=i386 prefix=_ ;;
  esac
  out=$target_dir/$target/$profile
  # -B: gcc runs scripts/windows-lld/collect2, which links with rust-lld and
  # writes gw.pdb. A link-time stamp in PE files would make a release
  # irreproducible (collect2 also passes lld -Brepro: hashes, not the time).
  # Added to scripts/dist.sh's encoded flags when set (cargo then ignores
  # RUSTFLAGS), else to RUSTFLAGS's words, encoded (0x1f between arguments)
  # so that a checkout whose path has a space builds too.
  if [ -n "${CARGO_ENCODED_RUSTFLAGS:-}" ]; then
    encoded=$CARGO_ENCODED_RUSTFLAGS
  else
    read -r -a words <<<"${RUSTFLAGS:-}"
    encoded=$(IFS=$'\x1f'; echo "${words[*]}")
  fi
  for flag in -Clink-arg=-B"$PWD/scripts/windows-lld/" -Clink-arg=-Wl,--no-insert-timestamp; do
    encoded=${encoded:+$encoded$'\x1f'}$flag
  done
  env -u RUSTFLAGS CARGO_ENCODED_RUSTFLAGS="$encoded" \
    cargo build -q --locked -p gw -p gw-sim --target "$target" $([ "$profile" = release ] && echo --release)
  dest=$dist/$arch
  mkdir -p "$dest/cmake"
  # cargo leaves the PDB in deps/ (it moves PDBs up for MSVC targets only).
  install -m 644 "$out/gw.dll" "$out/deps/gw.pdb" "$out/libgw.dll.a" "$out/libgw.a" include/gw.h bindings/cpp/gw.hpp "$dest/"
  scripts/check-pdb.sh $([ "$profile" = release ] && echo --release) "$dest/gw.dll"
  [ $arch = x64 ] || python3 scripts/check_eh_frame.py "$dest/gw.dll"  # x64 unwinds with SEH (.pdata)
  . scripts/version.sh
  sed -e "s/@GW_VERSION@/$version/g" -e "s/@GW_MAJOR@/$major/g" -e "s/@GW_MINOR@/$minor/g" -e "s/@GW_ABI@/$abi/g" \
    -e "s/@GW_ARCH@/$arch/g" cmake/gwConfig-windows.cmake.in >"$dest/cmake/gwConfig.cmake"
  sed -e "s/@GW_VERSION@/$version/g" -e "s/@GW_MAJOR@/$major/g" -e "s/@GW_MINOR@/$minor/g" -e "s/@GW_ABI@/$abi/g" \
    -e "s/@GW_ARCH@/$arch/g" cmake/gwConfigVersion.cmake.in >"$dest/cmake/gwConfigVersion.cmake"
  install -m 755 "$out/gw-sim.exe" "$dest/"
  { echo "LIBRARY gw.dll"; echo "EXPORTS"; sed 's/^/    /' <<<"$header"; } >"$dest/gw.def"
  llvm-dlltool -m "$machine" -d "$dest/gw.def" -D gw.dll -l "$dest/gw.lib"
  defined=$(llvm-nm "$dest/gw.lib" 2>/dev/null | awk '$2 == "T" { print $3 }' | sort)
  expected=$(sed "s/^/__imp_$prefix/" <<<"$header"; sed "s/^/$prefix/" <<<"$header")
  [ "$defined" = "$(sort <<<"$expected")" ] \
    || { diff <(sort <<<"$expected") <(echo "$defined") || true; echo "$arch: gw.lib does not define exactly the header's functions" >&2; exit 1; }
  imports=$(x86_64-w64-mingw32-objdump -p "$dest/gw.dll" | sed -n 's/^\s*DLL Name: //p' | sort -fu)  # KERNEL32.dll and kernel32.dll are one
  [ -n "$imports" ] || { echo "$arch: no imports read from gw.dll" >&2; exit 1; }
  # Rust's standard library (both targets) needs Windows 10 or later since Rust 1.78.
  sed -e "s/@VERSION@/$version/g" -e "s/@ARCH@/$arch/g" -e "s/@MACHINE@/$arch/g" \
    -e "s/@WINVER@/Windows 10, Windows Server 2016 or later; not Windows 7 or 8.1/g" packaging/README-windows.txt \
    | awk -v imports="$imports" '/^@IMPORTS@$/ { n = split(imports, line, "\n"); for (i = 1; i <= n; i++) print "  " line[i]; next } { print }' \
    | sed 's/$/\r/' >"$dest/README.txt"
  echo "$dest: $(cd "$dest" && ls | tr '\n' ' ')($profile; gw.lib defines the header's $(wc -l <<<"$header") functions)"
done
