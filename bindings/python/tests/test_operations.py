"""Each operation against gw-sim, and the Response mapping."""

import re

import pytest

import gw

from conftest import MERCHANT

SESSION_ID = re.compile(r"^SESSION0002[0-9A-Z]{20}$")
TOKEN = re.compile(r"^9\d{15}$")
P2PE = "sourceOfFunds.provided.card.p2pe."


def luhn_ok(number: str) -> bool:
    total = 0
    for i, digit in enumerate(reversed(number)):
        d = int(digit) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def test_version_matches_the_binding():
    major = int(gw.version().split(".")[0])
    assert major == gw.EXPECTED_MAJOR


def test_status_str_describes_every_status():
    assert "timed out" in gw.status_str(6)
    assert gw.status_str(9999) == "unknown status"


def test_create_session(client):
    session = client.create_session()
    assert SESSION_ID.match(session["session.id"])
    assert re.fullmatch(r"[0-9a-f]{10}", session["session.version"])
    assert session.result == "SUCCESS"
    assert session.http_status == 200
    assert isinstance(session.duration_ms, int) and session.duration_ms >= 0
    assert session["merchant"] == MERCHANT


def test_two_sessions_differ(client):
    assert client.create_session()["session.id"] != client.create_session()["session.id"]


def test_response_is_a_read_only_mapping(client):
    session = client.create_session()
    assert len(session) == len(list(session)) == len(session.keys())
    assert list(session) == sorted(session)  # the gateway sorts its keys
    assert "session.id" in session and "nope" not in session
    assert session.get("nope") is None
    assert dict(session.items())["result"] == "SUCCESS"
    with pytest.raises(KeyError):
        session["nope"]
    with pytest.raises(TypeError):
        session["result"] = "FAILURE"  # type: ignore[index]
    with pytest.raises(AttributeError):
        session.other = 1  # type: ignore[attr-defined]


def test_tokenize_p2pe_with_iv_and_card_bin(client, visa):
    response = client.tokenize_p2pe(**visa)
    token = response["token"]
    assert TOKEN.match(token) and luhn_ok(token)
    assert response["status"] == "VALID"
    assert response["sourceOfFunds.provided.card.brand"] == "VISA"
    assert response["sourceOfFunds.provided.card.number"] == "476173xxxxxx0010"


def test_tokenize_p2pe_positional_without_iv_or_bin(client, mastercard):
    response = client.tokenize_p2pe(mastercard["key_serial_number"], mastercard["payload"])
    assert TOKEN.match(response["token"])
    assert response["sourceOfFunds.provided.card.brand"] == "MASTERCARD"


def test_tokenize_p2pe_with_merchant_token(client, visa):
    # gw-sim's default repository (RANDOM_WITH_LUHN) generates tokens: a named token updates one it holds.
    token = client.tokenize_p2pe(**visa)["token"]
    response = client.tokenize_p2pe(**visa, token=token)
    assert response["token"] == token


def test_execute_create_session_echoes_correlation_id(client):
    response = client.execute("CREATE_SESSION", {"correlationId": "till-7-receipt-0042"})
    assert SESSION_ID.match(response["session.id"])
    assert response["correlationId"] == "till-7-receipt-0042"


def test_execute_tokenize_with_pairs(client, mastercard):
    p2pe = "sourceOfFunds.provided.card.p2pe."
    response = client.execute("TOKENIZE", [
        ("sourceOfFunds.type", "CARD"),
        (p2pe + "keySerialNumber", mastercard["key_serial_number"]),
        (p2pe + "payload", mastercard["payload"]),
        (p2pe + "cardBin", mastercard["card_bin"]),
    ])
    assert TOKEN.match(response["token"])


def test_log_callback_gets_lines_without_secrets(base_url, visa):
    from conftest import PASSWORD

    lines = []
    with gw.Client(base_url, MERCHANT, api_password=PASSWORD, log=lambda level, message: lines.append((level, message)),
                   log_level="debug") as client:
        client.tokenize_p2pe(**visa)
    assert lines, "no log line at debug level"
    assert all(1 <= level <= 4 for level, _ in lines)
    text = "\n".join(message for _, message in lines)
    assert PASSWORD not in text and visa["payload"] not in text


def test_tokenize_p2pe_carries_a_correlation_id_and_more_fields(client, visa):
    response = client.tokenize_p2pe(**visa, correlation_id="till-7/sale-42",
                                    fields={P2PE + "encryptionState": "VALID"})
    assert TOKEN.match(response["token"])
    assert response["correlationId"] == "till-7/sale-42"
    # The same with (name, value) pairs, and a token to update.
    token = response["token"]
    response = client.tokenize_p2pe(**visa, token=token, fields=[("correlationId", "till-7/sale-43")])
    assert response["token"] == token and response["correlationId"] == "till-7/sale-43"


def test_tokenize_p2pe_extra_fields_are_validated_before_sending(client, visa):
    with pytest.raises(gw.ValidationError) as caught:
        client.tokenize_p2pe(**visa, correlation_id="x" * 101)
    assert caught.value.field == "correlationId" and caught.value.argument == "correlation_id"
    with pytest.raises(gw.ValidationError) as caught:
        client.tokenize_p2pe(**visa, fields={P2PE + "encryptionState": "BROKEN"})
    assert caught.value.field == P2PE + "encryptionState"
    with pytest.raises(TypeError, match="'fields'"):
        client.tokenize_p2pe(**visa, fields="correlationId=x")


def test_tokenize_p2pe_declined_carries_the_correlation_id(client, visa):
    with pytest.raises(gw.Declined) as caught:
        client.tokenize_p2pe(**visa, correlation_id="till-7/sale-44", fields={P2PE + "encryptionState": "INVALID"})
    assert caught.value.response["correlationId"] == "till-7/sale-44"


def test_a_log_callback_that_raises_does_not_break_the_call(base_url, visa):
    """As documented: an exception raised by `log` is dropped; the call goes on."""
    from conftest import PASSWORD

    calls = []

    def failing(level, message):
        calls.append(level)
        raise RuntimeError("the till's logger is broken")

    with gw.Client(base_url, MERCHANT, api_password=PASSWORD, log=failing, log_level="debug") as client:
        assert TOKEN.match(client.tokenize_p2pe(**visa, correlation_id="till-7/sale-45")["token"])
    assert calls, "the callback was called"
