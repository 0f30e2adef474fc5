#!/usr/bin/env bash
# Runs a Windows executable under Wine, for cargo (the runner of
# x86_64-pc-windows-gnu, set by scripts/test-windows.sh) and for the tests:
#   scripts/wine-run.sh PROGRAM.exe [ARGS...]
# Puts the test-only ProcessPrng stand-in ($GW_WINE_STANDIN, see
# tests/windows/bcryptprimitives.c) next to PROGRAM, so Rust's standard library
# loads under Wine 8. WINEPREFIX must be set (test-windows.sh uses one under
# the target directory); Wine creates it on first use.
set -euo pipefail
program=$1
shift
# Callers shared with the native tests name programs without ".exe".
[ -e "$program" ] || [ ! -e "$program.exe" ] || program=$program.exe
if [ -n "${GW_WINE_STANDIN:-}" ] && [ ! -e "$(dirname "$program")/bcryptprimitives.dll" ]; then
  cp "$GW_WINE_STANDIN" "$(dirname "$program")/bcryptprimitives.dll"
fi
export WINEDEBUG=${WINEDEBUG:--all} WINEDLLOVERRIDES=${WINEDLLOVERRIDES:-mscoree,mshtml=}
: "${WINEPREFIX:?set WINEPREFIX (scripts/test-windows.sh does)}"
export WINEPREFIX
wine=$(command -v wine64 || echo /usr/lib/wine/wine64)
exec "$wine" "$program" "$@"
