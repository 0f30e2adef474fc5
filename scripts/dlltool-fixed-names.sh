#!/usr/bin/env bash
# Stands in for MinGW's dlltool (as x86_64-w64-mingw32-dlltool and
# i686-w64-mingw32-dlltool, first on PATH in scripts/dist.sh) so that the
# Windows libgw.a is reproducible.
#
# rustc makes the import stubs of raw-dylib imports (Rust's standard library,
# windows-sys) with dlltool, one import library per DLL, in a temporary
# directory of random name (deps/rustcXXXXXX/), and dlltool names the stubs'
# symbols after the output path it is given (`_head_..._rustcyDUoyC_
# advapi32_dll_imports_lib`): the random name ended up in libgw.a. Run in
# that directory with the output's file name only, the names are the DLL's
# alone; they stay unique, as rustc writes one import library per DLL in
# one link.
set -euo pipefail
real=/usr/bin/$(basename "$0")
args=()
dir=
while [ $# -gt 0 ]; do
  case $1 in
    -l|--output-lib) dir=$(dirname "$2"); args+=("$1" "$(basename "$2")"); shift 2 ;;
    --temp-prefix) args+=("$1" "$(basename "$2")"); shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
if [ -n "$dir" ]; then cd "$dir"; fi
exec "$real" "${args[@]}"
