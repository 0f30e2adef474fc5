"""Payments through the binding against gw-sim's ledger: the exception a till
catches for each answer, ``.gateway_code`` and ``.in_doubt``, and
retrieve_transaction mapped as the payment's own answer."""

import uuid

import pytest

import gw
from conftest import MERCHANT, PASSWORD, VISA, encrypt


def card(sim_path, expiry: str) -> dict:
    """A P2PE card whose track 2 carries `expiry` (MMYY): gw-sim's test
    conventions choose the outcome by it."""
    return encrypt(sim_path, VISA, expiry=expiry, options=("--track", "2"))


@pytest.fixture
def payments(base_url):
    with gw.Client(base_url, MERCHANT, api_password=PASSWORD, api_version=100, timeout_ms=10_000,
                   retries=0) as c:
        yield c


def order() -> str:
    return "py-" + uuid.uuid4().hex[:20]


def test_an_approval_returns_and_retrieves_the_same(sim_path, payments):
    ids = (order(), "1")
    answer = payments.pay_p2pe(*ids, "12.50", "USD", **card(sim_path, "0139"),
                               fields={"posTerminal.lane": "Kiosk_76"})
    assert answer["response.gatewayCode"] == "APPROVED"
    assert answer["sourceOfFunds.provided.card.number"].startswith("476173")
    assert VISA not in repr(answer)
    assert payments.retrieve_transaction(*ids)["transaction.type"] == "PAYMENT"


@pytest.mark.parametrize("expiry, code", [("0539", "DECLINED"), ("0427", "EXPIRED_CARD"), ("0828", "TIMED_OUT")])
def test_a_decline_is_final_with_its_gateway_code(sim_path, payments, expiry, code):
    ids = (order(), "1")
    with pytest.raises(gw.Declined) as caught:
        payments.pay_p2pe(*ids, "12.50", "USD", **card(sim_path, expiry))
    assert caught.value.gateway_code == code
    assert caught.value.in_doubt is False
    with pytest.raises(gw.Declined) as retrieved:
        payments.retrieve_transaction(*ids)
    assert retrieved.value.gateway_code == code and not retrieved.value.in_doubt


def test_unknown_and_pending_are_in_doubt_when_the_budget_runs_out(sim_path, base_url):
    # gw polls RETRIEVE_TRANSACTION within the call's timeout; these stay
    # not final longer, so the call ends in doubt with the ids to keep.
    with gw.Client(base_url, MERCHANT, api_password=PASSWORD, api_version=100, timeout_ms=800,
                   backoff_ms=(100, 200)) as short:
        ids = (order(), "1")
        with pytest.raises(gw.UnknownResult) as caught:
            short.pay_p2pe(*ids, "12.50", "USD", **card(sim_path, "0537"))
        assert caught.value.in_doubt is True and caught.value.gateway_code == "UNKNOWN"
        assert (caught.value.order_id, caught.value.transaction_id) == ids
        with pytest.raises(gw.Pending) as caught:
            short.pay_p2pe(order(), "1", "12.50", "USD", **card(sim_path, "0139"),
                           correlation_id="gw-sim:fault=acquirer-pending,ms=5000")
        assert caught.value.in_doubt is True


def test_a_pending_payment_is_settled_within_the_call(sim_path, payments):
    answer = payments.pay_p2pe(order(), "1", "12.50", "USD", **card(sim_path, "0139"),
                               correlation_id="gw-sim:fault=acquirer-pending,ms=300")
    assert answer["response.gatewayCode"] == "APPROVED"


def test_unknown_ids_are_neither_approved_nor_declined(payments):
    with pytest.raises(gw.GatewayError) as caught:
        payments.retrieve_transaction(order(), "1")
    assert type(caught.value) is gw.GatewayError
    assert caught.value.field == "order.id" and caught.value.in_doubt is False


def test_a_lost_answer_is_settled_by_gw(sim_path, payments):
    # No retry configured: gw asks RETRIEVE_TRANSACTION instead of leaving
    # the till in doubt.
    ids = (order(), "1")
    answer = payments.pay_p2pe(*ids, "30.00", "USD", **card(sim_path, "0139"),
                               correlation_id=f"gw-sim:fault=lost-then-ok=1,tag={ids[0]}")
    assert answer["response.gatewayCode"] == "APPROVED"
    assert payments.retrieve_transaction(*ids)["transaction.type"] == "PAYMENT"


def test_nothing_sent_is_not_in_doubt(sim_path, payments, closed_url):
    with pytest.raises(gw.ValidationError) as caught:
        payments.pay_p2pe(order(), "1", "10.001", "USD", **card(sim_path, "0139"))
    assert caught.value.field == "order.amount" and caught.value.argument == "amount"
    assert caught.value.in_doubt is False
    with pytest.raises(TypeError):
        payments.pay_p2pe(order(), "1", 12.5, "USD", **card(sim_path, "0139"))  # never a float
    with gw.Client(closed_url, MERCHANT, api_password=PASSWORD, api_version=100, retries=0) as closed:
        with pytest.raises(gw.ConnectError) as caught:
            closed.retrieve_transaction(order(), "1")
    assert caught.value.in_doubt is False


def test_authorize_capture_refund_void_and_a_token_pay(sim_path, payments):
    o = order()
    payments.pay_p2pe(o, "1", "20.00", "USD", **card(sim_path, "0139"), operation="AUTHORIZE")
    amount = {"transaction.amount": "15.00", "transaction.currency": "USD"}
    assert payments.execute("CAPTURE", {"order.id": o, "transaction.id": "2", **amount})["transaction.type"] == "CAPTURE"
    payments.execute("REFUND", {"order.id": o, "transaction.id": "3", **amount, "transaction.amount": "5.00"})
    void = payments.execute("VOID", {"order.id": o, "transaction.id": "4", "transaction.targetTransactionId": "3"})
    assert void["transaction.type"] == "VOID_REFUND"
    assert payments.execute("RETRIEVE_ORDER", {"order.id": o})["order.totalCapturedAmount"] == "15.00"
    token = payments.tokenize_p2pe(**card(sim_path, "0139"))["token"]
    assert payments.pay_token(order(), "1", "3.00", "USD", token)["sourceOfFunds.token"] == token
