"""The token and session lifecycle (issue 19) against gw-sim: check the
gateway, retrieve and delete a token, update and retrieve a session, and the
unique-card repository setting."""

import pytest

import gw

from conftest import MERCHANT, PASSWORD, VISA, serve

P2PE = "sourceOfFunds.provided.card.p2pe."


def test_check_gateway(client):
    answer = client.check_gateway()
    assert answer["status"] == "OPERATING"
    assert 5 <= len(answer["gatewayVersion"]) <= 32


def test_a_shut_down_gateway_raises_its_own_error(sim_path):
    with serve(sim_path, "--fault", "shutdown") as (_, url):
        with gw.Client(url, MERCHANT, api_password=PASSWORD, retries=2) as client:
            with pytest.raises(gw.GatewayShutdown) as caught:
                client.check_gateway()
    assert caught.value.response["status"] == "SHUTDOWN"
    assert isinstance(caught.value, gw.GatewayError)


def test_retrieve_then_delete_a_token(client, visa):
    token = client.tokenize_p2pe(**visa)["token"]
    held = client.retrieve_token(token)
    assert held["status"] == "VALID"
    number = held["sourceOfFunds.provided.card.number"]
    assert number == VISA[:6] + "x" * (len(VISA) - 10) + VISA[-4:]
    assert VISA not in repr(held)
    assert client.delete_token(token).result == "SUCCESS"
    with pytest.raises(gw.GatewayError) as caught:
        client.retrieve_token(token)
    assert caught.value.field == "token"
    with pytest.raises(gw.ValidationError):
        client.delete_token("not a token")


def test_update_then_retrieve_a_session(client, visa):
    session_id = client.create_session()["session.id"]
    updated = client.update_session(session_id, {
        "sourceOfFunds.type": "CARD",
        P2PE + "keySerialNumber": visa["key_serial_number"],
        P2PE + "payload": visa["payload"],
        P2PE + "initializationVector": visa["initialization_vector"],
    })
    assert updated["session.updateStatus"] == "SUCCESS"
    held = client.retrieve_session(session_id)
    assert held[P2PE + "keySerialNumber"] == visa["key_serial_number"]
    assert set(held[P2PE + "payload"]) == {"x"}
    assert client.execute("TOKENIZE", {"session.id": session_id})["token"]


def test_the_unique_card_setting(sim_path, visa):
    with serve(sim_path, "--repository", "unique-card") as (_, url):
        with gw.Client(url, MERCHANT, api_password=PASSWORD, token_repository_unique_card=True) as client:
            first = client.tokenize_p2pe(**visa)["token"]
            assert client.tokenize_p2pe(**visa)["token"] == first
    with pytest.raises(TypeError):
        gw.Client("http://127.0.0.1:1", MERCHANT, api_password=PASSWORD, token_repository_unique_card="yes")
