#!/usr/bin/env bash
# Checks a Linux libgw.so: it exports exactly the functions include/gw.h
# declares (scripts/header-functions.sh), each under the version node
# GW_<ABI> (scripts/version.sh: GW_0.2 for gw 0.2.x), and nothing else.
#   scripts/check-elf-exports.sh LIBGW.SO...
# Used on the development build (scripts/test.sh) and on every shipped
# library (scripts/dist.sh), so the shipped files are held to the same ABI.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
node=GW_$(cd "$root" && . scripts/version.sh && echo "$abi")
expected=$("$root/scripts/header-functions.sh" | sed "s/\$/@@$node/")
for lib in "$@"; do
  actual=$(readelf --dyn-syms -W "$lib" | awk 'NR > 3 && $7 != "UND" && $5 != "LOCAL" { print $8 }' | sort)
  if [ "$expected" != "$actual" ]; then
    diff <(echo "$expected") <(echo "$actual") || true
    echo "FAIL: $lib: exports differ from include/gw.h (< header, > library)" >&2
    exit 1
  fi
  echo "ok: $lib: $(wc -l <<<"$actual") functions exported, all @@$node, none missing, nothing else"
done
