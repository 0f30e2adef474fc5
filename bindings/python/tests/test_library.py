"""Library discovery, the version check, and handle accounting."""

import gc
import os
import subprocess
import sys
import weakref

import pytest

import gw

from conftest import MERCHANT, PASSWORD


def run_python(code, **env):
    environment = {**os.environ, **env}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment, timeout=60)


def test_gw_library_pointing_nowhere_is_a_clear_error(tmp_path):
    result = run_python("import gw; gw.version()", GW_LIBRARY=str(tmp_path / "libgw.so"))
    assert result.returncode != 0
    assert "LibraryError" in result.stderr and "GW_LIBRARY" in result.stderr


def test_a_file_that_is_not_a_library_is_refused(tmp_path):
    fake = tmp_path / "libgw.so"
    fake.write_text("not an ELF file")
    result = run_python("import gw; gw.version()", GW_LIBRARY=str(fake))
    assert "LibraryError" in result.stderr


def test_major_version_mismatch_is_refused():
    code = "import gw._native as n; n.EXPECTED_MAJOR = 9\nimport gw\ngw.version()"
    result = run_python(code)
    assert result.returncode != 0
    assert "LibraryError" in result.stderr
    assert f"version {gw.version()}" in result.stderr and "9.x" in result.stderr


def test_another_minor_version_is_refused_before_1_0():
    # 0.x minor versions may break the ABI: a binding for 0.1 must not load 0.2.
    code = "import gw._native as n; n.MINIMUM_MINOR -= 1\nimport gw\ngw.version()"
    result = run_python(code)
    assert result.returncode != 0
    assert "LibraryError" in result.stderr
    assert f"version {gw.version()}" in result.stderr


def test_importing_does_not_load_the_library_until_used(tmp_path):
    result = run_python("import gw; print('imported')", GW_LIBRARY=str(tmp_path / "missing.so"))
    assert result.returncode == 0 and "imported" in result.stdout


def test_every_header_function_is_declared():
    header = os.path.join(os.path.dirname(__file__), "..", "..", "..", "include", "gw.h")
    with open(header) as f:
        text = f.read()
    import re

    declared = set(re.findall(r"\b(gw_[a-z_0-9]+)\(", text))
    assert declared == set(gw._native.SIGNATURES), declared ^ set(gw._native.SIGNATURES)


def test_live_handles_counts_and_close_frees(base_url):
    assert gw.live_handles() == 0
    client = gw.Client(base_url, MERCHANT, api_password=PASSWORD)
    assert gw.live_handles() == 1  # the config is already freed; the client lives
    client.create_session()
    assert gw.live_handles() == 1  # responses are copied and freed at once
    client.close()
    assert gw.live_handles() == 0


@pytest.mark.left_to_gc
def test_a_forgotten_client_is_freed_by_its_finalizer(base_url):
    client = gw.Client(base_url, MERCHANT, api_password=PASSWORD)
    client.create_session()
    watcher = weakref.ref(client)
    collected = gw._native.collected_handles()
    del client
    gc.collect()
    assert watcher() is None
    assert gw.live_handles() == 0
    assert gw._native.collected_handles() == collected + 1


def test_with_block_frees_on_exception(base_url):
    with pytest.raises(RuntimeError):
        with gw.Client(base_url, MERCHANT, api_password=PASSWORD) as client:
            client.create_session()
            raise RuntimeError("boom")
    assert gw.live_handles() == 0


def test_failed_calls_leave_no_handle(base_url, visa):
    with gw.Client(base_url, MERCHANT, api_password=PASSWORD) as client:
        for _ in range(3):
            with pytest.raises(gw.GatewayError):
                client.tokenize_p2pe(**{**visa, "card_bin": "000000"})
            with pytest.raises(gw.ValidationError):
                client.execute("TOKENIZE", {"sourceOfFunds.type": "CARD", "bogus": "1"})
        assert gw.live_handles() == 1
    with pytest.raises(gw.ConfigError):
        gw.Client("ftp://x", MERCHANT, api_password=PASSWORD)
    assert gw.live_handles() == 0


def _package_copy(tmp_path):
    """A copy of the gw package in tmp_path, outside any install."""
    import shutil

    destination = tmp_path / "site" / "gw"
    shutil.copytree(os.path.dirname(gw.__file__), destination, ignore=shutil.ignore_patterns("__pycache__"))
    return destination


def _built_library():
    path = os.environ.get("GW_LIBRARY") or gw._native.lib()._name
    assert os.path.exists(path), path
    return path


def test_a_library_next_to_the_package_is_found(tmp_path):
    import shutil

    package = _package_copy(tmp_path)
    shutil.copy(_built_library(), package / "libgw.so.0.2")
    environment = {key: value for key, value in os.environ.items() if key != "GW_LIBRARY"}
    environment["PYTHONPATH"] = str(package.parent)
    result = subprocess.run([sys.executable, "-c", "import gw, gw._native as n; gw.version(); print(n.lib()._name)"],
                            capture_output=True, text=True, env=environment, cwd=str(tmp_path), timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(package / "libgw.so.0.2")


def test_find_library_is_the_last_resort(tmp_path):
    import shutil

    package = _package_copy(tmp_path)  # no library inside
    libdir = tmp_path / "lib"
    libdir.mkdir()
    shutil.copy(_built_library(), libdir / "libgw.so")
    shutil.copy(_built_library(), libdir / "libgw.so.0.2")
    environment = {key: value for key, value in os.environ.items() if key != "GW_LIBRARY"}
    environment.update(PYTHONPATH=str(package.parent), LD_LIBRARY_PATH=str(libdir))
    code = "import ctypes.util, gw; print(ctypes.util.find_library('gw')); print(gw.version())"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment,
                            cwd=str(tmp_path), timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["libgw.so.0.2", gw.version()]
