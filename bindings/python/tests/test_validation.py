"""Bad input: wrong types and None name the argument before any C call;
bad values give ValidationError naming the NVP field (nothing is sent)."""

import pytest

import gw

from conftest import MERCHANT, PASSWORD

P2PE = "sourceOfFunds.provided.card.p2pe."
KSN = "FFFF9876543210E00001"
PAYLOAD = "2DA68FDCFD61C04C57CFB20318DCDBB1"


@pytest.mark.parametrize("kwargs, argument", [
    ({"key_serial_number": 123, "payload": PAYLOAD}, "key_serial_number"),
    ({"key_serial_number": KSN, "payload": b"2DA6"}, "payload"),
    ({"key_serial_number": KSN, "payload": PAYLOAD, "initialization_vector": 7}, "initialization_vector"),
    ({"key_serial_number": KSN, "payload": PAYLOAD, "card_bin": 476173}, "card_bin"),
    ({"key_serial_number": KSN, "payload": PAYLOAD, "token": 9123}, "token"),
])
def test_wrong_types_raise_type_error_naming_the_argument(client, kwargs, argument):
    with pytest.raises(TypeError, match=f"'{argument}'"):
        client.tokenize_p2pe(**kwargs)


@pytest.mark.parametrize("kwargs, argument", [
    ({"key_serial_number": None, "payload": PAYLOAD}, "key_serial_number"),
    ({"key_serial_number": KSN, "payload": None}, "payload"),
])
def test_none_where_required_names_the_argument(client, kwargs, argument):
    with pytest.raises(gw.ValidationError) as caught:
        client.tokenize_p2pe(**kwargs)
    assert caught.value.argument == argument and caught.value.field == argument
    assert caught.value.status == 1


@pytest.mark.parametrize("kwargs, argument, field", [
    ({"key_serial_number": "ZZZZ9876543210E00001"}, "key_serial_number", P2PE + "keySerialNumber"),  # non-hex
    ({"key_serial_number": "FFFF9876543210E000"}, "key_serial_number", P2PE + "keySerialNumber"),  # 18 digits
    ({"key_serial_number": "FFFF9876543210E0000100"}, "key_serial_number", P2PE + "keySerialNumber"),  # 22
    ({"payload": "2DA68FDCFD61C04C57CFB20318DCDB"}, "payload", P2PE + "payload"),  # 30 digits
    ({"payload": PAYLOAD + "A"}, "payload", P2PE + "payload"),  # odd
    ({"payload": "G" * 32}, "payload", P2PE + "payload"),  # non-hex
    ({"payload": "AB" * 513}, "payload", P2PE + "payload"),  # 1026 > 1024
    ({"initialization_vector": "010203040506070"}, "initialization_vector", P2PE + "initializationVector"),
    ({"initialization_vector": "01020304050607XY"}, "initialization_vector", P2PE + "initializationVector"),
    ({"card_bin": "4761739"}, "card_bin", P2PE + "cardBin"),  # 7 digits
    ({"card_bin": "47A"}, "card_bin", P2PE + "cardBin"),
    ({"card_bin": ""}, "card_bin", P2PE + "cardBin"),
    ({"token": "9" * 41}, "token", "token"),
    ({"token": "tok-with-dash"}, "token", "token"),
])
def test_bad_values_give_validation_error_naming_the_field(client, kwargs, argument, field):
    card = {"key_serial_number": KSN, "payload": PAYLOAD, **kwargs}
    with pytest.raises(gw.ValidationError) as caught:
        client.tokenize_p2pe(**card)
    err = caught.value
    assert err.status == 3
    assert err.field == field
    assert err.argument == argument
    assert err.response is None  # nothing was sent
    assert PAYLOAD not in str(err)


def test_embedded_nul_is_refused(client):
    with pytest.raises(gw.ValidationError) as caught:
        client.tokenize_p2pe(KSN + "\0", PAYLOAD)
    assert caught.value.argument == "key_serial_number"


def test_unencodable_string_is_refused(client):
    with pytest.raises(gw.ValidationError) as caught:
        client.tokenize_p2pe(KSN, "\udc80" * 32)
    assert caught.value.argument == "payload"


@pytest.mark.parametrize("args, kwargs, argument", [
    ((123, MERCHANT), {"api_password": PASSWORD}, "base_url"),
    (("http://127.0.0.1:1", 42), {"api_password": PASSWORD}, "merchant"),
    (("http://127.0.0.1:1", MERCHANT), {"api_password": 1234}, "api_password"),
    (("http://127.0.0.1:1", MERCHANT), {"api_password": PASSWORD, "api_version": "50"}, "api_version"),
    (("http://127.0.0.1:1", MERCHANT), {"api_password": PASSWORD, "timeout_ms": "10"}, "timeout_ms"),
    (("http://127.0.0.1:1", MERCHANT), {"api_password": PASSWORD, "timeout_ms": 0.5}, "timeout_ms"),
    (("http://127.0.0.1:1", MERCHANT), {"api_password": PASSWORD, "connect_timeout_ms": 1.5}, "connect_timeout_ms"),
    (("http://127.0.0.1:1", MERCHANT), {"api_password": PASSWORD, "retries": 1.5}, "retries"),
    (("http://127.0.0.1:1", MERCHANT), {"api_password": PASSWORD, "ca_bundle": 3}, "ca_bundle"),
])
def test_client_wrong_types(args, kwargs, argument):
    with pytest.raises(TypeError, match=f"'{argument}'"):
        gw.Client(*args, **kwargs)


def test_client_password_never_in_type_error():
    with pytest.raises(TypeError) as caught:
        gw.Client("http://127.0.0.1:1", MERCHANT, api_password=["secret-in-a-list"])
    assert "secret-in-a-list" not in str(caught.value)


@pytest.mark.parametrize("kwargs, argument", [
    ({"base_url": None}, "base_url"),
    ({"merchant": None}, "merchant"),
    ({"api_password": None}, "api_password"),
    ({"timeout_ms": -1}, "timeout_ms"),
    ({"timeout_ms": 0}, "timeout_ms"),
    ({"connect_timeout_ms": 2**32}, "connect_timeout_ms"),
    ({"trust": "none"}, "trust"),
])
def test_client_bad_values(kwargs, argument):
    args = {"base_url": "http://127.0.0.1:1", "merchant": MERCHANT, "api_password": PASSWORD, **kwargs}
    with pytest.raises(gw.ValidationError) as caught:
        gw.Client(**args)
    assert caught.value.argument == argument


def test_invalid_merchant_is_refused_by_gw():
    with pytest.raises(gw.Error) as caught:
        gw.Client("http://127.0.0.1:1", "bad merchant!", api_password=PASSWORD)
    assert isinstance(caught.value, (gw.ValidationError, gw.ConfigError))
    assert "merchant" in caught.value.message.lower() or caught.value.field == "merchant"


def test_execute_unknown_field(client):
    with pytest.raises(gw.ValidationError) as caught:
        client.execute("CREATE_SESSION", {"no.such.field": "x"})
    assert caught.value.field == "no.such.field"


def test_execute_unknown_operation(client):
    with pytest.raises(gw.ValidationError) as caught:
        client.execute("DISBURSEMENT", {})
    assert caught.value.field == "apiOperation"


def test_execute_missing_required_field(client):
    with pytest.raises(gw.ValidationError) as caught:
        client.execute("TOKENIZE", {"sourceOfFunds.type": "CARD", P2PE + "keySerialNumber": KSN})
    assert caught.value.field == P2PE + "payload"


@pytest.mark.parametrize("fields", ["correlationId=x", 42, [("a", "b", "c")], [("correlationId", 5)]])
def test_execute_wrong_field_shapes(client, fields):
    with pytest.raises(TypeError):
        client.execute("CREATE_SESSION", fields)


def test_execute_operation_type(client):
    with pytest.raises(TypeError, match="'operation'"):
        client.execute(5, {})  # type: ignore[arg-type]
