"""Fixtures: a real gw-sim for the session, and cards encrypted by its terminal.

gw-sim is found through GW_SIM (a path), else $CARGO_TARGET_DIR/debug/gw-sim,
else target/debug/gw-sim of the repository. The library through GW_LIBRARY
(or the package's own discovery).
"""

import contextlib
import gc
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import gw

ROOT = Path(__file__).resolve().parents[3]
MERCHANT = "TESTPYMERCHANT"
PASSWORD = "py-test-password-0123"
VISA = "4761739001010010"
MASTERCARD = "5123450000000008"
IV = "0102030405060708"


def _sim_path() -> str:
    if os.environ.get("GW_SIM"):
        return os.environ["GW_SIM"]
    target = os.environ.get("CARGO_TARGET_DIR") or str(ROOT / "target")
    return str(Path(target) / "debug" / "gw-sim")


@pytest.fixture(scope="session")
def sim_path() -> str:
    path = _sim_path()
    if not os.access(path, os.X_OK):
        pytest.fail(f"gw-sim not found at {path}: cargo build -p gw-sim, or set GW_SIM")
    return path


@contextlib.contextmanager
def serve(sim_path: str, *options: str):
    """(process, base URL) of a `gw-sim serve` for the test merchant with these options; killed on exit."""
    process = subprocess.Popen(
        [sim_path, "serve", "--merchant", MERCHANT, "--password", PASSWORD, "--quiet", *options],
        stdout=subprocess.PIPE, stderr=sys.stderr, text=True,
    )
    try:
        url = process.stdout.readline().strip()
        if not url.startswith(("http://127.0.0.1:", "https://127.0.0.1:")):
            pytest.fail(f"gw-sim printed {url!r} instead of its base URL")
        yield process, url
    finally:
        process.kill()
        process.wait()
        process.stdout.close()


@pytest.fixture(scope="session")
def base_url(sim_path):
    with serve(sim_path) as (_, url):
        yield url


@pytest.fixture(scope="session")
def tls_sim(sim_path, tmp_path_factory):
    """(https base URL, CA bundle path) of a gw-sim serving TLS with a CA it generated."""
    ca = tmp_path_factory.mktemp("tls") / "gw-sim-ca.pem"
    with serve(sim_path, "--tls", "--ca-out", str(ca)) as (process, url):
        if not url.startswith("https://127.0.0.1:"):
            pytest.fail(f"gw-sim --tls printed {url!r} instead of its base URL")
        for _ in range(100):  # the CA line follows the URL
            if ca.exists() and ca.stat().st_size:
                break
            process.stdout.readline()
        yield url, str(ca)


def encrypt(sim_path: str, pan: str, iv=None, expiry="1229", options=()) -> dict:
    """The P2PE fields of `pan`, as gw-sim's test terminal (with these extra options) prints them."""
    command = [sim_path, "terminal", "--pan", pan, "--expiry", expiry, *options]
    if iv:
        command += ["--iv", iv]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    fields = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    return {
        "key_serial_number": fields["GW_P2PE_KSN"],
        "payload": fields["GW_P2PE_PAYLOAD"],
        "initialization_vector": fields.get("GW_P2PE_IV"),
        "card_bin": fields.get("GW_P2PE_CARD_BIN"),
    }


@pytest.fixture(scope="session")
def visa(sim_path) -> dict:
    return encrypt(sim_path, VISA, iv=IV)


@pytest.fixture(scope="session")
def mastercard(sim_path) -> dict:
    return encrypt(sim_path, MASTERCARD)


@pytest.fixture
def client(base_url):
    with gw.Client(base_url, MERCHANT, api_password=PASSWORD, timeout_ms=10_000, retries=0) as c:
        yield c


@pytest.fixture
def closed_url() -> str:
    """A loopback URL on which nothing listens (a port just released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture(autouse=True)
def no_handle_leaks(request):
    """Every test ends with every gw handle it created freed, and freed by the
    binding itself (close, with) rather than left to the garbage collector,
    unless the test is marked `left_to_gc`."""
    collected = gw._native.collected_handles()
    yield
    gc.collect()
    assert gw.live_handles() == 0, f"{gw.live_handles()} gw handles left unfreed"
    if request.node.get_closest_marker("left_to_gc") is None:
        assert gw._native.collected_handles() == collected, "a gw handle was left to the garbage collector"


def pytest_configure(config):
    config.addinivalue_line("markers", "left_to_gc: the test drops a handle on purpose; its finalizer frees it")
