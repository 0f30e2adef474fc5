#!/usr/bin/env bash
# Prints the functions include/gw.h declares, sorted, one a line: the
# library's whole ABI. Each prototype follows a `GW_API GW_CALL` line
# (cbindgen.toml, fn.prefix). Used by the export checks (scripts/test.sh,
# scripts/test-windows.sh) and for gw.def (scripts/build-windows.sh).
set -euo pipefail
header=${1:-$(dirname "$0")/../include/gw.h}
awk 'prev == "GW_API GW_CALL" { sub(/\(.*/, ""); n = split($0, word, /[ *]+/); print word[n] } { prev = $0 }' "$header" | sort
