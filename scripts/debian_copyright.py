#!/usr/bin/env python3
"""Prints the copyright file of gw's .deb packages (scripts/debian-packages.sh):
packaging/debian/copyright (gw's own licences), then one Files paragraph per
licence text of THIRD-PARTY-LICENSES.md naming the crates compiled into the
binaries under it, with the text itself, in Debian's machine-readable format.
Apache-2.0 points at /usr/share/common-licenses, as Debian policy asks."""

from __future__ import annotations

import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMMON = {"Apache-2.0": "Apache-2.0", "MPL-2.0": "MPL-2.0", "CC0-1.0": "CC0-1.0"}


def indent(text: str) -> str:
    return "\n".join(" " + line.rstrip() if line.strip() else " ." for line in text.strip("\n").split("\n"))


def main() -> None:
    with open(os.path.join(ROOT, "packaging/debian/copyright"), encoding="utf-8") as file:
        out = [file.read().rstrip("\n")]
    with open(os.path.join(ROOT, "THIRD-PARTY-LICENSES.md"), encoding="utf-8") as file:
        third = file.read()
    sections = re.findall(r"^## ([^\n]+) \(([^\n()]+)\)\n\nUsed by:\n(.*?)\n\n```text\n(.*?)\n```", third, re.S | re.M)
    if not sections:
        raise SystemExit("debian_copyright.py: no licence sections read from THIRD-PARTY-LICENSES.md")
    for _name, spdx, used_by, text in sections:
        crates = re.findall(r"^- (\S+) (\S+)$", used_by, re.M)
        short = spdx.replace(" WITH ", " with ") + (" exception" if " WITH " in spdx else "")
        if spdx in COMMON:
            text = f"On Debian systems, the full text of {spdx} is in /usr/share/common-licenses/{COMMON[spdx]}."
        out.append("\n".join([
            "Files: " + " ".join(f"rust-crates/{crate}-{version}/*" for crate, version in crates),
            "Copyright: the authors of " + ", ".join(f"{crate} {version}" for crate, version in crates)
            + " (compiled into libgw and gw-sim)",
            f"License: {short}",
            indent(text),
        ]))
    print("\n\n".join(out))


if __name__ == "__main__":
    main()
