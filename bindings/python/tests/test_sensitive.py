"""Secrets never show in a Response's repr: which fields are secret is libgw's
field-rule table (gw_field_is_sensitive), not a list kept in Python."""

import gw

from conftest import VISA

AES_KEY = "DXbdcjSznnTId2lQWjs3Y4KVZuC4OPPn5bRkjCcm2sM="


def test_the_table_answers_for_request_and_response_fields():
    for name in ["apiPassword", "session.aes256Key", "sourceOfFunds.provided.card.number",
                 "sourceOfFunds.provided.card.securityCode", "sourceOfFunds.provided.card.p2pe.payload",
                 "sourceOfFunds.provided.giftCard.pin", "sourceOfFunds.provided.ach.bankAccountNumber"]:
        assert gw.field_is_sensitive(name), name
    for name in ["session.id", "merchant", "result", "token", "sourceOfFunds.provided.card.p2pe.keySerialNumber"]:
        assert not gw.field_is_sensitive(name), name


def test_repr_masks_the_session_key_without_its_length():
    response = gw.Response({"result": "SUCCESS", "session.aes256Key": AES_KEY, "session.id": "SESSION0001"}, 201)
    text = repr(response)
    assert AES_KEY not in text and AES_KEY[:8] not in text
    assert "'session.aes256Key': '***'" in text and "'session.id': 'SESSION0001'" in text
    assert response["session.aes256Key"] == AES_KEY, "the value itself stays readable"


def test_repr_of_a_real_answer_masks_the_card_number(client):
    fields = {"sourceOfFunds.type": "CARD", "sourceOfFunds.provided.card.number": VISA,
              "sourceOfFunds.provided.card.expiry.month": "12", "sourceOfFunds.provided.card.expiry.year": "29"}
    response = client.execute("TOKENIZE", fields)
    number = response.get("sourceOfFunds.provided.card.number")
    assert number, "gw-sim answers with the (masked) card number"
    text = repr(response)
    assert number not in text and VISA not in text
    assert "'sourceOfFunds.provided.card.number': '***'" in text
    assert response["token"] in text
