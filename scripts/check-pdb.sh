#!/usr/bin/env bash
# Checks that a gw.dll can be symbolised from the gw.pdb beside it (called by
# scripts/build-windows.sh for every DLL it builds; crash dumps from tills are
# read this way, docs/windows.md "gw.pdb"):
#   - the DLL has a CodeView (RSDS) debug directory entry naming just gw.pdb,
#     never a path of the build machine (a debugger looks for that name beside
#     the DLL and in its symbol path);
#   - the PDB's GUID and age are the ones that entry records (otherwise
#     debuggers refuse it as the wrong PDB);
#   - an address inside gw_version, and one inside an internal function of
#     the gw crate (not exported: what a crash's stack mostly holds), resolve
#     to those names through the PDB (llvm-symbolizer's PDB reader).
# With --release also: the DLL carries no DWARF (.debug_* sections; it would
# only grow the DLL), and without gw.pdb the same address resolves to nothing,
# so that it is the PDB that names it.
# Usage: scripts/check-pdb.sh [--release] DIR/gw.dll   (DIR/gw.pdb beside it)
set -euo pipefail
release=
if [ "${1:-}" = --release ]; then release=1; shift; fi
dll=${1:?usage: scripts/check-pdb.sh [--release] DIR/gw.dll}
pdb=$(dirname "$dll")/gw.pdb
fail() { echo "FAIL: check-pdb: $dll: $*" >&2; exit 1; }
[ -f "$pdb" ] || fail "no gw.pdb beside it"

debug_dir=$(llvm-readobj --coff-debug-directory "$dll")
grep -q 'Type: CodeView (0x2)' <<<"$debug_dir" || fail "no CodeView debug directory entry"
name=$(sed -n 's/^ *PDBFileName: //p' <<<"$debug_dir")
[ "$name" = gw.pdb ] || fail "the debug directory names '$name', not gw.pdb"
# The GUID's bytes as stored (the first three fields little-endian), written
# as llvm-pdbutil prints it: {AABBCCDD-EEFF-GGHH-IIJJ-KKLLMMNNOOPP}.
read -r -a b <<<"$(sed -n 's/^ *PDBGUID: (\(.*\))$/\1/p' <<<"$debug_dir")"
[ ${#b[@]} = 16 ] || fail "no PDB GUID read from the debug directory"
dll_guid="{${b[3]}${b[2]}${b[1]}${b[0]}-${b[5]}${b[4]}-${b[7]}${b[6]}-${b[8]}${b[9]}-${b[10]}${b[11]}${b[12]}${b[13]}${b[14]}${b[15]}}"
dll_age=$(sed -n 's/^ *PDBAge: //p' <<<"$debug_dir")
summary=$(llvm-pdbutil dump --summary "$pdb")
pdb_guid=$(sed -n 's/^ *GUID: //p' <<<"$summary")
pdb_age=$(sed -n 's/^ *Age: //p' <<<"$summary")
[ "$pdb_guid" = "$dll_guid" ] && [ "$pdb_age" = "$dll_age" ] \
  || fail "gw.pdb is $pdb_guid age $pdb_age, the DLL asks for $dll_guid age $dll_age"

# A function's address from the PDB's public symbols: image base + its
# section's address + offset, plus one byte to be inside it.
headers=$(llvm-readobj --file-headers --sections "$dll")
base=$(sed -n 's/^ *ImageBase: //p' <<<"$headers")
publics=$(llvm-pdbutil dump --publics "$pdb")
address() {  # address NAME-PATTERN: the first public function whose name matches
  local at section offset
  at=$(awk -v re="$1" '/S_PUB32/ { name = $0; sub(/^[^`]*`/, "", name); sub(/`.*/, "", name); next }
    /flags = function/ && name ~ re { sub(/.*addr = /, ""); print; exit }' <<<"$publics")
  [ -n "$at" ] || fail "gw.pdb has no public function matching $1"
  section=$((10#${at%%:*})) offset=$((10#${at#*:}))
  local rva
  rva=$(awk -v n="$section" '/^ *Section \{/ { i++ } i == n && /VirtualAddress:/ { print $2; exit }' <<<"$headers")
  printf '0x%x\n' $((base + rva + offset + 1))
}
symbolize() { (cd "$(dirname "$dll")" && llvm-symbolizer --obj="$(basename "$dll")" "$1" | head -n 1); }
# x86: C names carry a leading underscore in the PDB, which llvm-symbolizer keeps.
exported=$(address '^_?gw_version$')
internal=$(address '^_?_ZN2gw6client')
got=$(symbolize "$exported")
[[ $got =~ ^_?gw_version$ ]] || fail "$exported (in gw_version) resolves to '$got'"
got_internal=$(symbolize "$internal")
# x86: llvm-symbolizer leaves such names mangled (_ZN2gw6client...; its
# demangler does not take the extra underscore off); x64 demangles them.
[[ $got_internal == gw::client::* || $got_internal == _ZN2gw6client* ]] \
  || fail "$internal (in gw::client) resolves to '$got_internal'"

if [ -n "$release" ]; then
  [[ $(x86_64-w64-mingw32-objdump -h "$dll") != *' .debug_'* ]] || fail "DWARF sections in the release DLL"
  alone=$(mktemp -d)
  cp "$dll" "$alone/"
  without=$(cd "$alone" && llvm-symbolizer --obj="$(basename "$dll")" "$exported" 2>/dev/null | head -n 1)
  rm -rf "$alone"
  [ "$without" = '??' ] || fail "without gw.pdb, $exported still resolves to '$without': the check would prove nothing"
fi
echo "ok: $(basename "$(dirname "$dll")")/gw.dll: debug directory names gw.pdb $dll_guid age $dll_age, as gw.pdb says; $exported is $got, $internal $got_internal through it"
