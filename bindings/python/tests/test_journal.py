"""The payment journal through the binding: ``journal=`` and
``recover_journal()``. A till process killed while its PAY sat in a
listener that never passes it on is recovered by this process as
``not_sent`` with its ids, paid again with the same ids; a happy path
leaves nothing open."""

import os
import socket
import subprocess
import sys
import textwrap
import uuid

import pytest

import gw
from conftest import MERCHANT, PASSWORD, VISA, encrypt


def order() -> str:
    return "pj-" + uuid.uuid4().hex[:20]


def test_a_happy_path_leaves_nothing_open(sim_path, base_url, tmp_path):
    card = encrypt(sim_path, VISA, expiry="0139", options=("--track", "2"))
    with gw.Client(base_url, MERCHANT, api_password=PASSWORD, api_version=100,
                   journal=str(tmp_path / "till.db")) as client:
        assert client.pay_p2pe(order(), "1", "12.50", "USD", **card)["response.gatewayCode"] == "APPROVED"
        assert client.recover_journal() == ([], 0)


def test_without_a_journal_recovery_is_a_config_error(base_url):
    with gw.Client(base_url, MERCHANT, api_password=PASSWORD) as client:
        with pytest.raises(gw.ConfigError):
            client.recover_journal()
    with pytest.raises(gw.JournalError):
        gw.Client(base_url, MERCHANT, api_password=PASSWORD, journal="/nonexistent-dir-of-gw/till.db")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_killed_till_is_recovered_as_not_sent_and_paid_again_with_the_same_ids(sim_path, base_url, tmp_path):
    card = encrypt(sim_path, VISA, expiry="0139", options=("--track", "2"))
    journal = str(tmp_path / "till.db")
    ids = (order(), "1")
    blackhole = socket.socket()
    blackhole.bind(("127.0.0.1", 0))
    blackhole.listen(1)
    child = textwrap.dedent(f"""
        import gw
        with gw.Client("http://127.0.0.1:{blackhole.getsockname()[1]}", {MERCHANT!r}, api_password={PASSWORD!r},
                       api_version=100, timeout_ms=30_000, journal={journal!r}) as c:
            c.pay_p2pe({ids[0]!r}, "1", "12.50", "USD", **{card!r})
    """)
    process = subprocess.Popen([sys.executable, "-c", child], env=os.environ.copy())
    try:
        blackhole.settimeout(30)
        connection, _ = blackhole.accept()
        assert connection.recv(16)  # the request went out, into nowhere
    finally:
        process.kill()
        process.wait()
    connection.close()
    blackhole.close()
    with gw.Client(base_url, MERCHANT, api_password=PASSWORD, api_version=100, journal=journal) as client:
        handed, running = client.recover_journal()
        assert running == 0
        assert [(r.outcome, r.operation, r.order_id, r.transaction_id, r.amount, r.currency) for r in handed] == [
            ("not_sent", "PAY", ids[0], "1", "12.50", "USD")]
        assert handed[0].fields.get("error.field") == "order.id"
        # Safe to act on only with the same ids.
        assert client.pay_p2pe(*ids, "12.50", "USD", **card)["response.gatewayCode"] == "APPROVED"
        assert client.recover_journal() == ([], 0)
