"""Every exception class, reached for real against gw-sim."""

import time

import pytest

import gw

from conftest import MERCHANT, PASSWORD

P2PE = "sourceOfFunds.provided.card.p2pe."


def fault(client, name):
    return client.execute("CREATE_SESSION", {"correlationId": f"gw-sim:fault={name}"})


def assert_no_secrets(err, *secrets):
    for text in (str(err), repr(err), err.message):
        for secret in secrets:
            assert secret not in text


def test_every_class_is_a_gw_error():
    classes = [gw.ValidationError, gw.ConfigError, gw.ConnectError, gw.Timeout, gw.TlsError, gw.IoError,
               gw.ProtocolError, gw.AuthenticationError, gw.GatewayError, gw.Declined, gw.Pending,
               gw.UnknownResult, gw.InternalError]
    assert all(issubclass(cls, gw.Error) for cls in classes)
    assert len(set(classes)) == len(classes)
    assert issubclass(gw.ValidationError, ValueError)


def test_authentication_error(base_url):
    with gw.Client(base_url, MERCHANT, api_password="wrong-password-xyz") as client:
        with pytest.raises(gw.AuthenticationError) as caught:
            client.create_session()
    err = caught.value
    assert err.status == 10
    assert err.http_status == 401
    assert err.cause == "INVALID_REQUEST"
    assert isinstance(err.response, gw.Response) and err.response.result == "ERROR"
    assert_no_secrets(err, "wrong-password-xyz", PASSWORD)


def test_connect_error_on_a_closed_port(closed_url):
    with gw.Client(closed_url, MERCHANT, api_password=PASSWORD, retries=0) as client:
        with pytest.raises(gw.ConnectError) as caught:
            client.create_session()
    assert caught.value.status == 5
    assert caught.value.response is None and caught.value.http_status is None
    assert "not sent" in caught.value.message


def test_timeout_with_the_delay_fault(base_url):
    with gw.Client(base_url, MERCHANT, api_password=PASSWORD, timeout_ms=300, retries=0) as client:
        started = time.monotonic()
        with pytest.raises(gw.Timeout) as caught:
            fault(client, "delay,ms=3000")
        elapsed = time.monotonic() - started
    assert caught.value.status == 6
    assert elapsed < 2.5, f"the 0.3 s timeout took {elapsed:.2f} s"


def test_gateway_error_names_the_field(client, visa):
    with pytest.raises(gw.GatewayError) as caught:
        client.tokenize_p2pe(**{**visa, "card_bin": "000000"})
    err = caught.value
    assert err.status == 11
    assert err.http_status == 400
    assert err.cause == "INVALID_REQUEST"
    assert err.field == P2PE + "cardBin"
    assert err.response["error.field"] == P2PE + "cardBin"
    assert err.validation_type == "INVALID"
    assert err.explanation
    assert_no_secrets(err, visa["payload"], PASSWORD, "4761739001010010")


def test_gateway_error_server_failed_has_a_support_code(client):
    with pytest.raises(gw.GatewayError) as caught:
        fault(client, "server-failed")
    assert caught.value.cause == "SERVER_FAILED"
    assert caught.value.support_code
    assert caught.value.http_status == 500


def test_declined(client, visa):
    with pytest.raises(gw.Declined) as caught:
        client.execute("TOKENIZE", {
            "sourceOfFunds.type": "CARD",
            P2PE + "keySerialNumber": visa["key_serial_number"],
            P2PE + "payload": visa["payload"],
            P2PE + "initializationVector": visa["initialization_vector"],
            P2PE + "encryptionState": "INVALID",
        })
    err = caught.value
    assert err.status == 12
    assert err.response.result == "FAILURE"
    assert err.gateway_code
    assert_no_secrets(err, visa["payload"])


def test_tls_error_with_an_untrusted_certificate(tls_sim):
    url, _ = tls_sim
    with gw.Client(url, MERCHANT, api_password=PASSWORD, retries=0) as client:
        with pytest.raises(gw.TlsError) as caught:
            client.create_session()
    assert caught.value.status == 7
    assert caught.value.response is None


def test_ca_bundle_makes_the_certificate_trusted(tls_sim):
    url, ca = tls_sim
    with gw.Client(url, MERCHANT, api_password=PASSWORD, ca_bundle=ca) as client:
        assert client.create_session().result == "SUCCESS"


@pytest.mark.parametrize("name", ["garbage", "http500-html", "oversize"])
def test_protocol_error(client, name):
    with pytest.raises(gw.ProtocolError) as caught:
        fault(client, name)
    assert caught.value.status == 9
    assert caught.value.status_name == "GW_ERR_PROTOCOL"
    assert caught.value.response is None


def test_protocol_error_keeps_the_http_status_of_an_html_page(client):
    """No response is handed out for an HTML 500 page, but its HTTP status is."""
    with pytest.raises(gw.ProtocolError) as caught:
        fault(client, "http500-html")
    assert caught.value.response is None
    assert caught.value.http_status == 500


def test_pending(client):
    with pytest.raises(gw.Pending) as caught:
        fault(client, "result-pending")
    err = caught.value
    assert type(err) is gw.Pending and isinstance(err, gw.Error)
    assert err.status == 13 and err.status_name == "GW_PENDING"
    assert err.response is not None and err.response.result == "PENDING"
    assert err.http_status == 200


def test_unknown_result(client):
    with pytest.raises(gw.UnknownResult) as caught:
        fault(client, "result-unknown")
    err = caught.value
    assert type(err) is gw.UnknownResult and isinstance(err, gw.Error)
    assert err.status == 14 and err.status_name == "GW_UNKNOWN_RESULT"
    assert err.response is not None and err.response.result == "UNKNOWN"
    assert err.http_status == 200


def test_a_failed_call_does_not_leak_its_http_status_into_the_next(client, closed_url):
    """http_status comes from this call's failure, not an earlier one's."""
    with pytest.raises(gw.ProtocolError):
        fault(client, "http500-html")
    with gw.Client(closed_url, MERCHANT, api_password=PASSWORD, retries=0) as other:
        with pytest.raises(gw.ConnectError) as caught:
            other.create_session()
    assert caught.value.http_status is None


@pytest.mark.parametrize("name", ["reset", "truncate"])
def test_io_error_mid_exchange(client, name):
    with pytest.raises(gw.IoError) as caught:
        fault(client, name)
    assert caught.value.status == 8


def test_server_busy_is_retried_then_a_gateway_error(base_url):
    with gw.Client(base_url, MERCHANT, api_password=PASSWORD, retries=1) as client:
        started = time.monotonic()
        with pytest.raises(gw.GatewayError) as caught:
            fault(client, "server-busy")
        elapsed = time.monotonic() - started
    assert caught.value.cause == "SERVER_BUSY" and caught.value.http_status == 503
    assert elapsed >= 0.2, "one retry after a 200 ms backoff was expected"


@pytest.mark.parametrize("base_url_value", ["http://gateway.example.com", "ftp://127.0.0.1", "not a url"])
def test_config_error_on_a_bad_base_url(base_url_value):
    with pytest.raises(gw.ConfigError) as caught:
        gw.Client(base_url_value, MERCHANT, api_password=PASSWORD)
    assert caught.value.status == 4


def test_config_error_on_a_missing_ca_bundle(base_url, tmp_path):
    with pytest.raises(gw.ConfigError) as caught:
        gw.Client(base_url, MERCHANT, api_password=PASSWORD, ca_bundle=str(tmp_path / "none.pem"))
    assert "none.pem" in caught.value.message


def test_config_error_on_an_unsupported_api_version(base_url):
    with pytest.raises(gw.ConfigError):
        gw.Client(base_url, MERCHANT, api_password=PASSWORD, api_version=12)


def test_a_closed_client_refuses_calls(base_url):
    client = gw.Client(base_url, MERCHANT, api_password=PASSWORD)
    client.close()
    client.close()  # idempotent
    assert client.closed
    with pytest.raises(gw.ConfigError):
        client.create_session()


STATUS_NAMES = ["GW_OK", "GW_ERR_NULL_ARGUMENT", "GW_ERR_INVALID_UTF8", "GW_ERR_INVALID_FIELD", "GW_ERR_CONFIG",
                "GW_ERR_CONNECT", "GW_ERR_TIMEOUT", "GW_ERR_TLS", "GW_ERR_IO", "GW_ERR_PROTOCOL",
                "GW_ERR_AUTHENTICATION", "GW_ERR_GATEWAY", "GW_DECLINED", "GW_PENDING", "GW_UNKNOWN_RESULT",
                "GW_ERR_INTERNAL", "GW_ERR_OUT_OF_RANGE", "GW_GATEWAY_SHUTDOWN",
                "GW_ERR_JOURNAL"]


def test_status_name_round_trips_every_status():
    """gw_status_name names 0..17 as include/gw.h does, and nothing past them."""
    for status, name in enumerate(STATUS_NAMES):
        assert gw.status_name(status) == name, status
        assert STATUS_NAMES.index(gw.status_name(status)) == status
        assert gw.status_str(status) != "unknown status", status
    assert gw.status_name(len(STATUS_NAMES)) is None, "libgw has a status this binding does not know"
    assert gw.status_str(len(STATUS_NAMES)) == "unknown status"
    assert gw.status_name(-1) is None and gw.status_name(2**32) is None


def test_every_status_of_the_library_has_its_class():
    """The binding maps every name libgw gives to an exception class, and only those."""
    from gw import errors

    expected = {"GW_ERR_NULL_ARGUMENT": gw.ValidationError, "GW_ERR_INVALID_UTF8": gw.ValidationError,
                "GW_ERR_INVALID_FIELD": gw.ValidationError, "GW_ERR_CONFIG": gw.ConfigError,
                "GW_ERR_CONNECT": gw.ConnectError, "GW_ERR_TIMEOUT": gw.Timeout, "GW_ERR_TLS": gw.TlsError,
                "GW_ERR_IO": gw.IoError, "GW_ERR_PROTOCOL": gw.ProtocolError,
                "GW_ERR_AUTHENTICATION": gw.AuthenticationError, "GW_ERR_GATEWAY": gw.GatewayError,
                "GW_DECLINED": gw.Declined, "GW_PENDING": gw.Pending, "GW_UNKNOWN_RESULT": gw.UnknownResult,
                "GW_ERR_INTERNAL": gw.InternalError, "GW_ERR_OUT_OF_RANGE": gw.InternalError,
                "GW_GATEWAY_SHUTDOWN": gw.GatewayShutdown,
                "GW_ERR_JOURNAL": gw.JournalError}
    assert errors.CLASS_BY_NAME == expected
    names = {gw.status_name(status) for status in range(1, len(STATUS_NAMES))}
    assert names == set(errors.CLASS_BY_NAME), "the mapping and the library's names differ"
    for status in range(1, len(STATUS_NAMES)):
        assert errors.error_class(status) is expected[gw.status_name(status)], status
    assert errors.error_class(0) is gw.InternalError  # GW_OK is no error
    assert errors.error_class(999) is gw.InternalError


def test_the_tree_groups_the_classes_by_intent():
    """The documented tree (errors.py, README "Exceptions")."""
    assert issubclass(gw.AuthenticationError, gw.GatewayError) and issubclass(gw.Declined, gw.GatewayError)
    for cls in (gw.Timeout, gw.IoError, gw.ProtocolError, gw.Pending, gw.UnknownResult):
        assert issubclass(cls, gw.InDoubt) and not issubclass(cls, gw.GatewayError), cls
    for cls in (gw.ValidationError, gw.ConfigError, gw.ConnectError, gw.TlsError, gw.InternalError):
        assert not issubclass(cls, (gw.InDoubt, gw.GatewayError)), cls
    assert not issubclass(gw.GatewayError, gw.InDoubt)


def test_except_gateway_error_catches_every_refusal(base_url, client, visa):
    """A till's `except gw.GatewayError` catches what the gateway said no to, for real."""
    refused = []
    wrong = gw.Client(base_url, MERCHANT, api_password="wrong-password-xyz", retries=0)
    attempts = [
        wrong.create_session,
        lambda: client.tokenize_p2pe(**visa, fields={P2PE + "encryptionState": "INVALID"}),
        lambda: client.tokenize_p2pe(**{**visa, "card_bin": "000000"}),
    ]
    for attempt in attempts:
        try:
            attempt()
        except gw.GatewayError as err:
            assert err.response is not None
            refused.append(type(err))
    wrong.close()
    assert refused == [gw.AuthenticationError, gw.Declined, gw.GatewayError]


def test_except_in_doubt_catches_what_may_have_been_processed(base_url, closed_url):
    caught = []
    for name in ["delay,ms=3000", "reset", "garbage", "result-pending", "result-unknown"]:
        with gw.Client(base_url, MERCHANT, api_password=PASSWORD, timeout_ms=300, retries=0) as short:
            try:
                fault(short, name)
            except gw.InDoubt as err:
                caught.append(type(err))
    assert caught == [gw.Timeout, gw.IoError, gw.ProtocolError, gw.Pending, gw.UnknownResult]
    with gw.Client(closed_url, MERCHANT, api_password=PASSWORD, retries=0) as other:
        with pytest.raises(gw.ConnectError) as refused:
            other.create_session()
    assert not isinstance(refused.value, gw.InDoubt), "a request never sent is not in doubt"


def test_str_starts_with_the_status_name(client, visa):
    with pytest.raises(gw.Declined) as declined:
        client.tokenize_p2pe(**visa, fields={P2PE + "encryptionState": "INVALID"})
    with pytest.raises(gw.ValidationError) as invalid:
        client.tokenize_p2pe("0123", visa["payload"])
    with pytest.raises(gw.ValidationError) as raised_by_the_binding:
        client.tokenize_p2pe(None, visa["payload"])  # type: ignore[arg-type]
    for err in (declined.value, invalid.value, raised_by_the_binding.value):
        assert str(err) == f"{err.status_name}: {err.message}", str(err)
    assert str(invalid.value).startswith("GW_ERR_INVALID_FIELD: ")
    assert str(declined.value).startswith("GW_DECLINED: ")
    assert visa["payload"] not in str(invalid.value)
