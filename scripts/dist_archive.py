#!/usr/bin/env python3
"""Reproducible zip files for scripts/dist.sh: the Windows zips and the wheels.

    dist_archive.py zip OUT.zip DIR
        DIR's files under DIR's own name, sorted, every entry dated
        SOURCE_DATE_EPOCH, modes 644 (755 for directories and executables).
    dist_archive.py wheel OUTDIR PLATFORM_TAG LIBRARY
        The Python package (bindings/python/src/gw) with LIBRARY inside it,
        tagged py3-none-PLATFORM_TAG (dots separate several tags), with
        METADATA from bindings/python/pyproject.toml and a RECORD of sha256
        hashes; prints the wheel's path.
    dist_archive.py sim-wheel OUTDIR PLATFORM_TAG GW_SIM
        gw-sim for pip: the package gw_sim (sim/python/README.md its long
        description) whose wheel installs the program GW_SIM (gw-sim or
        gw-sim.exe) as the `gw-sim` command (the wheel's .data/scripts, which
        pip puts in the environment's bin/ or Scripts\); prints its path.

The same inputs and SOURCE_DATE_EPOCH give the same bytes: entries are sorted,
dated alike and compressed alike (zipfile's deflate at level 9).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import sys
import time
import tomllib
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _date() -> tuple:
    epoch = int(os.environ["SOURCE_DATE_EPOCH"])
    # zip stores local time in 2-second steps from 1980; UTC keeps it the same everywhere.
    return time.gmtime(max(epoch, 315532800))[:6]


def _entry(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_date())
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix, so that the mode below is read
    info.external_attr = (mode & 0xFFFF) << 16
    return info


def _write(out: str, members: list) -> None:
    """members: (archive name, bytes, mode), written sorted by name."""
    with zipfile.ZipFile(out, "w", compresslevel=9) as archive:
        for name, data, mode in sorted(members, key=lambda member: member[0]):
            archive.writestr(_entry(name, mode), data)


def _mode(path: str) -> int:
    return 0o100755 if os.access(path, os.X_OK) else 0o100644


def zip_dir(out: str, directory: str) -> None:
    base = os.path.basename(os.path.normpath(directory))
    members = []
    for parent, dirs, files in os.walk(directory):
        dirs.sort()
        for name in files:
            path = os.path.join(parent, name)
            rel = os.path.relpath(path, os.path.dirname(os.path.normpath(directory)))
            with open(path, "rb") as file:
                members.append((rel.replace(os.sep, "/"), file.read(), _mode(path)))
    if not members:
        sys.exit(f"dist_archive.py: {directory} is empty")
    assert all(name.startswith(base + "/") for name, _, _ in members)
    _write(out, members)


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def wheel(outdir: str, platform_tag: str, library: str) -> str:
    python = os.path.join(ROOT, "bindings", "python")
    with open(os.path.join(python, "pyproject.toml"), "rb") as file:
        project = tomllib.load(file)["project"]
    package = os.path.join(python, "src", "gw")
    files = {}
    for entry in sorted(os.listdir(package)):
        if entry.endswith(".py") or entry == "py.typed":
            with open(os.path.join(package, entry), "rb") as file:
                files[f"gw/{entry}"] = (file.read(), 0o100644)
    with open(library, "rb") as file:
        files[f"gw/{os.path.basename(library)}"] = (file.read(), 0o100755)
    with open(os.path.join(python, project["readme"]), encoding="utf-8") as file:
        readme = _for_pip(file.read())
    return _wheel(outdir, platform_tag, project, readme, files)


def _for_pip(readme: str) -> str:
    """The package README as the wheel's long description: without the
    sections about a clone of the repository (building from source, the C
    guide's shell and its variables), which a pip user has not got; links to
    the repository's files become plain names."""
    readme = re.sub(r"^## (?:[^\n]*\bclone\b|Tests\b).*?(?=^## |\Z)", "", readme, flags=re.S | re.M | re.I)
    return re.sub(r"\[([^\]]+)\]\((?!https?:)[^)]*\)", r"\1", readme)


def sim_wheel(outdir: str, platform_tag: str, program: str) -> str:
    with open(os.path.join(ROOT, "sim", "python", "pyproject.toml"), "rb") as file:
        project = tomllib.load(file)["project"]
    with open(os.path.join(ROOT, "Cargo.toml"), "rb") as file:
        version = tomllib.load(file)["package"]["version"]
    if project["version"] != version:
        sys.exit(f"sim/python/pyproject.toml says {project['version']}, Cargo.toml {version}")
    with open(os.path.join(ROOT, "sim", "python", project["readme"]), encoding="utf-8") as file:
        readme = file.read()
    name = "gw-sim.exe" if program.endswith(".exe") else "gw-sim"
    with open(program, "rb") as file:
        files = {f"gw_sim-{version}.data/scripts/{name}": (file.read(), 0o100755)}
    return _wheel(outdir, platform_tag, project, readme, files)


def _wheel(outdir: str, platform_tag: str, project: dict, readme: str, files: dict) -> str:
    name, version = project["name"].replace("-", "_"), project["version"]
    info = f"{name}-{version}.dist-info"
    metadata = [
        "Metadata-Version: 2.1",
        f"Name: {project['name']}",
        f"Version: {version}",
        f"Summary: {project['description']}",
        f"License: {project['license']['text']}",
        f"Requires-Python: {project['requires-python']}",
        *(f"Classifier: {classifier}" for classifier in project.get("classifiers", [])),
        "Description-Content-Type: text/markdown",
        "",
        readme,
    ]
    tags = [f"py3-none-{tag}" for tag in platform_tag.split(".")]
    wheel_file = ["Wheel-Version: 1.0", "Generator: gw scripts/dist_archive.py", "Root-Is-Purelib: false",
                  *(f"Tag: {tag}" for tag in tags), ""]
    files[f"{info}/METADATA"] = ("\n".join(metadata).encode(), 0o100644)
    files[f"{info}/WHEEL"] = ("\n".join(wheel_file).encode(), 0o100644)
    for licence in ("LICENSE-MIT", "LICENSE-APACHE", "THIRD-PARTY-LICENSES.md"):
        with open(os.path.join(ROOT, licence), "rb") as file:
            files[f"{info}/licenses/{licence}"] = (file.read(), 0o100644)
    record = "".join(f"{path},{_record_hash(data)},{len(data)}\n" for path, (data, _) in sorted(files.items()))
    record += f"{info}/RECORD,,\n"
    files[f"{info}/RECORD"] = (record.encode(), 0o100644)

    out = os.path.join(outdir, f"{name}-{version}-py3-none-{platform_tag}.whl")
    _write(out, [(path, data, mode) for path, (data, mode) in files.items()])
    return out


def main(argv: list) -> None:
    if len(argv) == 3 and argv[0] == "zip":
        zip_dir(argv[1], argv[2])
    elif len(argv) == 4 and argv[0] == "wheel":
        print(wheel(argv[1], argv[2], argv[3]))
    elif len(argv) == 4 and argv[0] == "sim-wheel":
        print(sim_wheel(argv[1], argv[2], argv[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
