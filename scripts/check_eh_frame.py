#!/usr/bin/env python3
"""Checks that an x86 (32-bit) gw.dll can unwind a panic to gw's panic boundary
(called by scripts/build-windows.sh; 32-bit Windows programs cannot run here).

    check_eh_frame.py DIR/gw.dll

i686 MinGW unwinds with DWARF: crtbegin.o and Rust's rsbegin.o register the
start of .eh_frame and libgcc walks its records up to the first zero length
word, the terminator rsend.o (and crtend.o) bring. Every frame description
(FDE) after that word is never found: a panic passing through such a
function aborts the till's process instead of becoming GW_ERR_INTERNAL. GNU ld
put the terminators last; lld puts archive members after them unless
scripts/windows-lld/collect2 moves them (and did, before: 940 FDEs before the
terminator, about 9,400 after). crtend.o's own FDE (its constructor, run
once at load) follows its terminator in either linker: at most that one may.
"""

from __future__ import annotations

import struct
import subprocess
import sys


def main() -> None:
    dll = sys.argv[1]
    headers = subprocess.run(["x86_64-w64-mingw32-objdump", "-h", dll], check=True, capture_output=True,
                             text=True).stdout
    section = None
    for line in headers.splitlines():
        fields = line.split()
        # PE images keep 8 characters of a section's name: .eh_fram
        if len(fields) >= 7 and fields[0].isdigit() and fields[1] in (".eh_frame", ".eh_fram"):
            section = int(fields[2], 16), int(fields[5], 16)  # size, file offset
    if section is None:
        sys.exit(f"FAIL: {dll}: no .eh_frame section (x86 needs it to unwind)")
    size, offset = section
    with open(dll, "rb") as file:
        file.seek(offset)
        data = file.read(size)
    at, before, after, terminator = 0, 0, 0, None
    while at + 4 <= len(data):
        (length,) = struct.unpack_from("<I", data, at)
        if length == 0:
            terminator = at if terminator is None else terminator
            at += 4
            continue
        if length == 0xFFFFFFFF:
            sys.exit(f"FAIL: {dll}: a 64-bit DWARF record in .eh_frame at {at}")
        # A CIE has id 0, an FDE a pointer back to its CIE.
        if struct.unpack_from("<I", data, at + 4)[0] != 0:
            if terminator is None:
                before += 1
            else:
                after += 1
        at += 4 + length
    if terminator is None or after > 1:
        sys.exit(f"FAIL: {dll}: {after} FDEs after .eh_frame's terminator (at {terminator} of {size} bytes), "
                 f"{before} before: libgcc would not find them")
    print(f"ok: {dll}: .eh_frame's {before} FDEs all before its terminator")


if __name__ == "__main__":
    main()
