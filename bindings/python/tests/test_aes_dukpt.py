"""AES DUKPT terminals through the binding, unchanged: AES-128 and AES-256
cards from gw-sim's terminal tokenize at API version 84, and are refused
locally (ValidationError naming the field, nothing sent) at version 50."""

import pytest

import gw

from conftest import MERCHANT, PASSWORD, VISA, encrypt, serve

BDK256 = "FEDCBA9876543210F1F1F1F1F1F1F1F1" * 2
AES_IV = "000102030405060708090A0B0C0D0E0F"


@pytest.fixture(scope="module")
def aes256_url(sim_path):
    """A gw-sim holding the AES-256 ANSI test BDK (the session's holds the AES-128 one)."""
    with serve(sim_path, "--aes-bdk", BDK256) as (_, url):
        yield url


def aes_card(sim_path: str, key_size: str, iv) -> dict:
    return encrypt(sim_path, VISA, iv=iv, options=("--aes", "--key-size", key_size, "--track", "2"))


@pytest.mark.parametrize("iv", [None, AES_IV])
@pytest.mark.parametrize("key_size", ["128", "256"])
def test_aes_cards_tokenize_at_version_84(sim_path, base_url, aes256_url, key_size, iv):
    card = aes_card(sim_path, key_size, iv)
    assert len(card["key_serial_number"]) == 24
    url = base_url if key_size == "128" else aes256_url
    with gw.Client(url, MERCHANT, api_password=PASSWORD, api_version=84, retries=0) as client:
        response = client.tokenize_p2pe(**card)
    assert response["sourceOfFunds.provided.card.number"] == "476173xxxxxx0010"
    assert response["sourceOfFunds.provided.card.expiry"] == "1229"


def test_version_50_refuses_an_aes_ksn_locally(sim_path, base_url):
    card = aes_card(sim_path, "128", AES_IV)
    with gw.Client(base_url, MERCHANT, api_password=PASSWORD, api_version=50, retries=0) as client:
        with pytest.raises(gw.ValidationError) as caught:
            client.tokenize_p2pe(**card)
    assert caught.value.status == 3
    assert caught.value.field == "sourceOfFunds.provided.card.p2pe.keySerialNumber"
    assert card["payload"] not in str(caught.value)
