//! The payment operations against gw-sim's ledger, over HTTP: the test
//! conventions by expiry date, the money rules, identical resubmission,
//! LOCK_FAILURE, late settlements, lost answers — each counted from the
//! ledger (`GET /ledger.json`), as the chaos run will count charges.

mod common;

use common::*;
use gw_sim::terminal::{self, Plaintext, TerminalOptions};
use std::collections::BTreeMap;
use std::time::Duration;

/// P2PE needs API version 84 or later (spec/payments.md §2.2).
const V: u32 = 100;

/// A P2PE payload of a track 2 carrying `expiry` (MMYY).
fn track(pan: &str, expiry: &str) -> terminal::P2pe {
    let opts = TerminalOptions { plaintext: Plaintext::Track2, expiry: Some(expiry.into()), ..Default::default() };
    terminal::encrypt(pan, &opts).expect("encrypts")
}

/// A card-present PAY (or AUTHORIZE, VERIFY) with P2PE card data.
fn pay(op: &str, order: &str, txn: &str, amount: &str, card: &terminal::P2pe) -> Vec<(String, String)> {
    let mut f = base(op);
    f.extend(pairs(&[
        ("order.id", order),
        ("order.amount", amount),
        ("order.currency", "USD"),
        ("transaction.id", txn),
        ("transaction.source", "CARD_PRESENT"),
        ("sourceOfFunds.type", "CARD"),
    ]));
    if op == "VERIFY" {
        f.retain(|(n, _)| n != "order.amount");
    }
    f.extend(card.fields());
    f
}

/// CAPTURE or REFUND of `amount` on `order`.
fn follow_up(op: &str, order: &str, txn: &str, amount: &str) -> Vec<(String, String)> {
    let mut f = base(op);
    f.extend(pairs(&[
        ("order.id", order),
        ("transaction.id", txn),
        ("transaction.amount", amount),
        ("transaction.currency", "USD"),
    ]));
    f
}

fn void(order: &str, txn: &str, target: &str) -> Vec<(String, String)> {
    let mut f = base("VOID");
    f.extend(pairs(&[("order.id", order), ("transaction.id", txn), ("transaction.targetTransactionId", target)]));
    f
}

fn retrieve(order: &str, txn: Option<&str>) -> Vec<(String, String)> {
    let mut f = base(if txn.is_some() { "RETRIEVE_TRANSACTION" } else { "RETRIEVE_ORDER" });
    f.push(("order.id".into(), order.into()));
    if let Some(t) = txn {
        f.push(("transaction.id".into(), t.into()));
    }
    f
}

fn send(sim: &gw_sim::Sim, fields: &[(String, String)]) -> HttpResponse {
    Client::connect(sim.addr()).post_version(V, fields)
}

fn ledger_json(sim: &gw_sim::Sim) -> String {
    let r = Client::connect(sim.addr()).request("GET", "/ledger.json", None, b"").expect("ledger");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("application/json; charset=UTF-8"));
    String::from_utf8(r.body).unwrap()
}

/// The number of approved transactions of `ty` not voided, from the ledger endpoint.
fn approved(sim: &gw_sim::Sim, ty: &str) -> u32 {
    let json = ledger_json(sim);
    let Some(start) = json.find("\"approved\":{") else { return 0 };
    let map = &json[start..start + json[start..].find('}').unwrap()];
    map.split(&format!("\"{ty}\":")).nth(1).map_or(0, |n| n.split([',', '}']).next().unwrap().parse().unwrap())
}

/// How many transactions the ledger holds (any result).
fn transactions(sim: &gw_sim::Sim) -> usize {
    ledger_json(sim).matches("\"gatewayCode\":").count()
}

fn fields(r: &HttpResponse) -> BTreeMap<String, String> {
    let f = r.fields();
    assert_eq!(r.status, 200, "{f:?}");
    f
}

#[test]
fn a_p2pe_pay_is_approved_masked_and_counted_once() {
    let sim = start(config());
    let r = send(&sim, &pay("PAY", "o1", "t1", "12.50", &track(VISA, "0139")));
    let f = ok(&r);
    assert_eq!(f["response.gatewayCode"], "APPROVED");
    assert_eq!(f["response.acquirerCode"], "00");
    assert_eq!(f["transaction.type"], "PAYMENT");
    assert_eq!(f["transaction.amount"], "12.50");
    assert_eq!(f["order.status"], "CAPTURED");
    assert_eq!(f["order.totalCapturedAmount"], "12.50");
    assert_eq!(f["order.totalAuthorizedAmount"], "12.50");
    assert_eq!(f["transaction.source"], "CARD_PRESENT");
    assert_eq!(f["sourceOfFunds.provided.card.number"], "400000xxxxxx0002");
    assert_eq!(f["sourceOfFunds.provided.card.expiry.month"], "1");
    assert_eq!(f["sourceOfFunds.provided.card.expiry.year"], "39");
    assert_eq!(f["transaction.authorizationCode"].len(), 6);
    assert_eq!(f["merchant"], MERCHANT);
    assert!(!String::from_utf8_lossy(&r.body).contains(VISA), "a clear card number in the answer");
    assert_eq!(approved(&sim, "PAYMENT"), 1);
    assert!(!ledger_json(&sim).contains(VISA));
    // The inspector shows the ledger.
    let page = Client::connect(sim.addr()).request("GET", "/", None, b"").unwrap();
    let html = String::from_utf8(page.body).unwrap();
    assert!(html.contains("id=\"ledger\"") && html.contains(">o1<") && html.contains("PAYMENT"), "{html}");
}

/// spec/payments.md §4: the expiry date chooses the outcome; only the
/// approval moves money.
#[test]
fn the_test_conventions_by_expiry_date() {
    let sim = start(config());
    let cases = [
        ("0139", "SUCCESS", "APPROVED"),
        ("0539", "FAILURE", "DECLINED"),
        ("0427", "FAILURE", "EXPIRED_CARD"),
        ("0828", "FAILURE", "TIMED_OUT"),
        ("0137", "FAILURE", "ACQUIRER_SYSTEM_ERROR"),
        ("0237", "FAILURE", "UNSPECIFIED_FAILURE"),
        ("0537", "UNKNOWN", "UNKNOWN"),
        ("1249", "SUCCESS", "APPROVED"),
    ];
    for (i, (expiry, result, code)) in cases.iter().enumerate() {
        let order = format!("conv{i}");
        let f = fields(&send(&sim, &pay("PAY", &order, "1", "5.00", &track(VISA, expiry))));
        assert_eq!((f["result"].as_str(), f["response.gatewayCode"].as_str()), (*result, *code), "{expiry}: {f:?}");
        assert_eq!(f.contains_key("transaction.authorizationCode"), *result == "SUCCESS", "{f:?}");
        // A retrieve says the same.
        let g = fields(&send(&sim, &retrieve(&order, Some("1"))));
        assert_eq!((g["result"].as_str(), g["response.gatewayCode"].as_str()), (*result, *code));
    }
    assert_eq!(approved(&sim, "PAYMENT"), 2);
    assert_eq!(transactions(&sim), cases.len());
    // The same conventions on AUTHORIZE and VERIFY; a track 1 carries the expiry too.
    let t1 = terminal::encrypt(
        VISA,
        &TerminalOptions { plaintext: Plaintext::Track1, expiry: Some("0539".into()), ..Default::default() },
    )
    .unwrap();
    let f = fields(&send(&sim, &pay("AUTHORIZE", "a1", "1", "5.00", &t1)));
    assert_eq!((f["result"].as_str(), f["response.gatewayCode"].as_str()), ("FAILURE", "DECLINED"));
    let f = ok(&send(&sim, &pay("VERIFY", "v1", "1", "", &track(VISA, "0139"))));
    assert_eq!((f["transaction.type"].as_str(), f["order.status"].as_str()), ("VERIFICATION", "VERIFIED"));
}

/// A declined PAY is recorded; the retry takes a new transaction.id on the
/// same order ("you need a new id for each retry", spec §3.1); the same id
/// answers the decline again.
#[test]
fn after_a_decline_the_same_id_replays_it_and_a_new_id_pays() {
    let sim = start(config());
    let declined = pay("PAY", "d1", "1", "9.99", &track(VISA, "0539"));
    assert_eq!(fields(&send(&sim, &declined))["response.gatewayCode"], "DECLINED");
    assert_eq!(fields(&send(&sim, &declined))["response.gatewayCode"], "DECLINED");
    let f = ok(&send(&sim, &pay("PAY", "d1", "2", "9.99", &track(VISA, "0139"))));
    assert_eq!(f["order.status"], "CAPTURED");
    assert_eq!((approved(&sim, "PAYMENT"), transactions(&sim)), (1, 2));
}

/// spec §3.1 (S6): an identical resubmission answers as the first and moves
/// no money; `correlationId` is not content. The same transaction.id with
/// other content: INVALID_REQUEST on transaction.id (the reference is
/// silent; gw-sim's choice).
#[test]
fn identical_resubmission_moves_no_money_other_content_is_refused() {
    let sim = start(config());
    let card = track(VISA, "0139");
    let first = ok(&send(&sim, &pay("PAY", "r1", "t1", "20.00", &card)));
    let again = ok(&send(&sim, &with(pay("PAY", "r1", "t1", "20.00", &card), &[("correlationId", "till-retry")])));
    for k in ["transaction.authorizationCode", "transaction.receipt", "timeOfRecord", "transaction.amount"] {
        assert_eq!(first[k], again[k], "{k}");
    }
    assert_eq!(again["correlationId"], "till-retry");
    assert_eq!((approved(&sim, "PAYMENT"), transactions(&sim)), (1, 1));
    let r = send(&sim, &pay("PAY", "r1", "t1", "21.00", &card));
    assert_field_error(&r, 400, "transaction.id", "INVALID");
    // Another read of the card (a new ciphertext) is other content too.
    let reread = terminal::encrypt(
        VISA,
        &TerminalOptions {
            plaintext: Plaintext::Track2,
            expiry: Some("0139".into()),
            ksn: "FFFF9876543210E00002".into(),
            ..Default::default()
        },
    )
    .unwrap();
    assert_field_error(&send(&sim, &pay("PAY", "r1", "t1", "20.00", &reread)), 400, "transaction.id", "INVALID");
    assert_eq!((approved(&sim, "PAYMENT"), transactions(&sim)), (1, 1));
}

/// `lost-then-ok=1`: the PAY is processed (the money moves), then its answer
/// is lost; the identical resubmission answers the recorded payment: one charge.
#[test]
fn a_lost_answer_after_the_money_moved_then_the_identical_resubmission() {
    let sim = start(config());
    let req = with(
        pay("PAY", "l1", "t1", "30.00", &track(VISA, "0139")),
        &[("correlationId", "gw-sim:fault=lost-then-ok=1")],
    );
    let mut c = Client::connect(sim.addr());
    let lost = c.request(
        "POST",
        &format!("/api/nvp/version/{V}"),
        Some("application/x-www-form-urlencoded"),
        gw::nvp::encode(&req).as_bytes(),
    );
    assert!(lost.is_err() || lost.as_ref().is_ok_and(|r| r.get("result").is_none()), "the answer was not lost");
    assert_eq!(approved(&sim, "PAYMENT"), 1, "the money moved");
    let f = ok(&send(&sim, &req));
    assert_eq!(f["response.gatewayCode"], "APPROVED");
    assert_eq!((approved(&sim, "PAYMENT"), transactions(&sim)), (1, 1));
    // RETRIEVE_TRANSACTION tells the same.
    assert_eq!(ok(&send(&sim, &retrieve("l1", Some("t1"))))["transaction.receipt"], f["transaction.receipt"]);
}

/// Capture ≤ authorized, refund ≤ captured, void before the batch closes.
#[test]
fn authorize_capture_refund_void_and_the_batch() {
    let sim = start(config());
    ok(&send(&sim, &pay("AUTHORIZE", "m1", "a", "100.00", &track(VISA, "0139"))));
    assert_field_error(&send(&sim, &follow_up("CAPTURE", "m1", "c0", "100.01")), 400, "transaction.amount", "INVALID");
    let f = ok(&send(&sim, &follow_up("CAPTURE", "m1", "c1", "60.00")));
    assert_eq!((f["order.status"].as_str(), f["transaction.type"].as_str()), ("PARTIALLY_CAPTURED", "CAPTURE"));
    assert_eq!(f["sourceOfFunds.provided.card.number"], "400000xxxxxx0002", "the order's card");
    assert_field_error(&send(&sim, &follow_up("REFUND", "m1", "r0", "60.01")), 400, "transaction.amount", "INVALID");
    let f = ok(&send(&sim, &follow_up("REFUND", "m1", "r1", "10.00")));
    assert_eq!((f["order.status"].as_str(), f["order.totalRefundedAmount"].as_str()), ("PARTIALLY_REFUNDED", "10.00"));
    let f = ok(&send(&sim, &void("m1", "v1", "r1")));
    assert_eq!((f["transaction.type"].as_str(), f["order.totalRefundedAmount"].as_str()), ("VOID_REFUND", "0.00"));
    // An amount with more digits than the currency has.
    assert_field_error(&send(&sim, &follow_up("CAPTURE", "m1", "c2", "1.001")), 400, "transaction.amount", "INVALID");
    // Close the day's batch: the capture can no longer be voided; a refund can.
    let r = Client::connect(sim.addr()).request("POST", "/admin/close-batch", None, b"").unwrap();
    assert_eq!(
        String::from_utf8(r.body).unwrap(),
        format!("{{\"batches\":[{{\"merchant\":\"{MERCHANT}\",\"batch\":2}}]}}\n")
    );
    assert_field_error(&send(&sim, &void("m1", "v2", "c1")), 400, "transaction.targetTransactionId", "INVALID");
    let f = ok(&send(&sim, &follow_up("REFUND", "m1", "r2", "60.00")));
    assert_eq!(f["order.status"], "REFUNDED");
    assert_eq!(f["transaction.acquirer.batch"], "2");
    // A PAY voided the same day is cancelled; nothing stays charged.
    ok(&send(&sim, &pay("PAY", "m2", "p", "5.00", &track(VISA, "0139"))));
    let f = ok(&send(&sim, &void("m2", "v", "p")));
    assert_eq!((f["transaction.type"].as_str(), f["order.status"].as_str()), ("VOID_PAYMENT", "CANCELLED"));
    assert_eq!(approved(&sim, "PAYMENT"), 0);
    assert_field_error(&send(&sim, &follow_up("CAPTURE", "nope", "c", "1.00")), 400, "order.id", "INVALID");
}

/// "Order locked - another transaction is in progress for this order" (S1):
/// while the acquirer takes its time, every other request on the order —
/// the identical one too — meets LOCK_FAILURE; nothing is recorded for them.
#[test]
fn lock_failure_while_a_transaction_on_the_order_is_in_progress() {
    let sim = start(config());
    let card = track(VISA, "0139");
    let slow = with(pay("PAY", "k1", "t1", "1.00", &card), &[("correlationId", "gw-sim:fault=acquirer-delay,ms=1500")]);
    let addr = sim.addr();
    let first = std::thread::spawn(move || Client::connect(addr).post_version(V, &slow));
    std::thread::sleep(Duration::from_millis(400));
    for req in [pay("PAY", "k1", "t2", "1.00", &card), pay("PAY", "k1", "t1", "1.00", &card)] {
        let f = fields(&send(&sim, &req));
        assert_eq!((f["result"].as_str(), f["response.gatewayCode"].as_str()), ("FAILURE", "LOCK_FAILURE"), "{f:?}");
    }
    // A retrieve meanwhile: created in the gateway, the acquirer's answer not yet known.
    let f = fields(&send(&sim, &retrieve("k1", Some("t1"))));
    assert_eq!((f["result"].as_str(), f["response.gatewayCode"].as_str()), ("PENDING", "SUBMITTED"), "{f:?}");
    assert_field_error(&send(&sim, &retrieve("k1", Some("t2"))), 400, "order.id", "INVALID");
    // Another order is not locked.
    ok(&send(&sim, &pay("PAY", "k2", "t1", "1.00", &card)));
    assert_eq!(ok(&first.join().unwrap())["response.gatewayCode"], "APPROVED");
    assert_eq!((approved(&sim, "PAYMENT"), transactions(&sim)), (2, 2));
}

/// `acquirer-pending`: PENDING now, the order locked, then settled; the
/// retrieve and the identical resubmission show the settlement.
#[test]
fn a_pending_acquirer_settles_later() {
    let sim = start(config());
    let req = with(
        pay("PAY", "s1", "t1", "7.00", &track(VISA, "0139")),
        &[("correlationId", "gw-sim:fault=acquirer-pending,ms=600")],
    );
    let f = fields(&send(&sim, &req));
    assert_eq!((f["result"].as_str(), f["response.gatewayCode"].as_str()), ("PENDING", "PENDING"), "{f:?}");
    assert_eq!(f["order.status"], "INITIATED");
    assert_eq!(fields(&send(&sim, &retrieve("s1", Some("t1"))))["result"], "PENDING");
    assert_eq!(
        fields(&send(&sim, &pay("PAY", "s1", "t2", "7.00", &track(VISA, "0139"))))["response.gatewayCode"],
        "LOCK_FAILURE"
    );
    assert_eq!(approved(&sim, "PAYMENT"), 0);
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(ok(&send(&sim, &retrieve("s1", Some("t1"))))["response.gatewayCode"], "APPROVED");
    assert_eq!(ok(&send(&sim, &req))["order.status"], "CAPTURED");
    assert_eq!((approved(&sim, "PAYMENT"), transactions(&sim)), (1, 1));

    // UNKNOWN that settles to the card's decline.
    let req = with(
        pay("PAY", "s2", "t1", "7.00", &track(VISA, "0539")),
        &[("correlationId", "gw-sim:fault=acquirer-unknown,ms=300")],
    );
    assert_eq!(fields(&send(&sim, &req))["result"], "UNKNOWN");
    std::thread::sleep(Duration::from_millis(400));
    let f = fields(&send(&sim, &retrieve("s2", Some("t1"))));
    assert_eq!((f["result"].as_str(), f["response.gatewayCode"].as_str()), ("FAILURE", "DECLINED"));
}

/// RETRIEVE_TRANSACTION / RETRIEVE_ORDER of ids never seen: INVALID_REQUEST
/// naming the field (the reference is silent; gw-sim's choice).
#[test]
fn retrieve_unknown_ids_and_an_order() {
    let sim = start(config());
    assert_field_error(&send(&sim, &retrieve("never", Some("t"))), 400, "order.id", "INVALID");
    assert_field_error(&send(&sim, &retrieve("never", None)), 400, "order.id", "INVALID");
    ok(&send(&sim, &pay("AUTHORIZE", "q1", "a", "50.00", &track(VISA, "0139"))));
    ok(&send(&sim, &follow_up("CAPTURE", "q1", "c", "50.00")));
    assert_field_error(&send(&sim, &retrieve("q1", Some("nope"))), 400, "transaction.id", "INVALID");
    let f = ok(&send(&sim, &retrieve("q1", None)));
    assert_eq!(
        (f["order.id"].as_str(), f["order.status"].as_str(), f["order.totalCapturedAmount"].as_str()),
        ("q1", "CAPTURED", "50.00")
    );
    assert_eq!(f["transaction[0].transaction.type"], "AUTHORIZATION");
    assert_eq!(f["transaction[1].transaction.type"], "CAPTURE");
    assert!(!f.contains_key("transaction[2].transaction.id"));
}

/// The card stored under a token decides by its expiry as a P2PE card does.
#[test]
fn a_pay_with_a_token_uses_its_stored_card() {
    let sim = start(config());
    let tok = tokenize(&track(VISA, "0539"));
    let token = ok(&Client::connect(sim.addr()).post_version(V, &tok))["token"].clone();
    let mut f = base("PAY");
    f.extend(pairs(&[
        ("order.id", "tk1"),
        ("order.amount", "3.00"),
        ("order.currency", "USD"),
        ("transaction.id", "1"),
        ("sourceOfFunds.type", "CARD"),
        ("sourceOfFunds.token", &token),
    ]));
    let a = fields(&send(&sim, &f));
    assert_eq!((a["response.gatewayCode"].as_str(), a["sourceOfFunds.token"].as_str()), ("DECLINED", token.as_str()));
    assert_eq!(approved(&sim, "PAYMENT"), 0);
}

/// Every field of every payment answer — approval, decline, PENDING,
/// LOCK_FAILURE, each operation, RETRIEVE_ORDER's list — is one the core's
/// answer table lists (`gw::rules::TRANSACTION_RESPONSE`, `ORDER_RESPONSE`,
/// indexed names read unindexed), so the library knows each and masks the
/// sensitive ones; and the inspector shows the card number masked only.
#[test]
fn every_answer_field_is_in_the_core_answer_table() {
    use gw::rules::{unindexed, Operation, ERROR_FIELDS};
    let sim = start(config());
    let card = track(VISA, "0139");
    let slow = with(pay("PAY", "f9", "1", "1.00", &card), &[("correlationId", "gw-sim:fault=acquirer-delay,ms=800")]);
    let addr = sim.addr();
    let busy = std::thread::spawn(move || Client::connect(addr).post_version(V, &slow));
    std::thread::sleep(Duration::from_millis(300));
    let locked = send(&sim, &pay("PAY", "f9", "2", "1.00", &card));
    busy.join().unwrap();
    let cases: Vec<(Operation, HttpResponse)> = vec![
        (Operation::Pay, locked),
        (
            Operation::Authorize,
            send(
                &sim,
                &with(
                    pay("AUTHORIZE", "f1", "a", "10.00", &card),
                    &[("order.reference", "r-1"), ("transaction.reference", "t-1"), ("correlationId", "c")],
                ),
            ),
        ),
        (Operation::Capture, send(&sim, &follow_up("CAPTURE", "f1", "c", "4.00"))),
        (Operation::Refund, send(&sim, &follow_up("REFUND", "f1", "r", "1.00"))),
        (Operation::Void, send(&sim, &void("f1", "v", "r"))),
        (Operation::Pay, send(&sim, &pay("PAY", "f2", "1", "3.00", &track(VISA, "0539")))),
        (
            Operation::Pay,
            send(
                &sim,
                &with(
                    pay("PAY", "f3", "1", "3.00", &card),
                    &[("correlationId", "gw-sim:fault=acquirer-pending,ms=60000")],
                ),
            ),
        ),
        (Operation::Verify, send(&sim, &pay("VERIFY", "f4", "1", "", &card))),
        (Operation::Pay, send(&sim, &pay("PAY", "f2", "1", "4.00", &card))),
        (Operation::RetrieveTransaction, send(&sim, &retrieve("f1", Some("c")))),
        (Operation::RetrieveOrder, send(&sim, &retrieve("f1", None))),
    ];
    let mut results = Vec::new();
    for (op, r) in &cases {
        let answer = r.fields();
        results.push(answer["result"].clone());
        for name in answer.keys() {
            let listed = op.response_fields().iter().chain(ERROR_FIELDS).any(|f| f.name == unindexed(name));
            assert!(listed, "{op:?} answers '{name}', which the core's answer table does not list");
        }
    }
    assert_eq!(
        results,
        [
            "FAILURE", "SUCCESS", "SUCCESS", "SUCCESS", "SUCCESS", "FAILURE", "PENDING", "SUCCESS", "ERROR", "SUCCESS",
            "SUCCESS"
        ]
    );
    // The inspector: the request's payload masked, the answer's number 6.4 at most.
    let json = String::from_utf8(Client::connect(sim.addr()).request("GET", "/requests.json", None, b"").unwrap().body)
        .unwrap();
    assert!(!json.contains(&card.payload) && !json.contains(VISA), "card data in the inspector");
}

/// The faults gw-sim had before payments apply to them, chosen per request
/// as for every operation: those in front of the gateway move no money; a
/// per-run fault too.
#[test]
fn the_existing_faults_apply_to_payments() {
    let sim = start(config());
    let card = track(VISA, "0139");
    for fault in
        ["server-busy", "server-failed", "request-rejected", "http500-html", "result-pending", "busy-then-ok=1"]
    {
        let r = send(
            &sim,
            &with(pay("PAY", "x1", "t1", "1.00", &card), &[("correlationId", &format!("gw-sim:fault={fault}"))]),
        );
        if fault == "result-pending" {
            // The gateway's "in progress" answer, given in front of it: nothing reached the acquirer.
            assert_eq!((r.status, r.get("result").as_deref()), (200, Some("PENDING")), "{fault}");
        } else {
            assert!(r.status >= 400, "{fault}: HTTP {}", r.status);
        }
        assert_eq!(transactions(&sim), 0, "{fault} moved money");
    }
    for fault in ["reset", "truncate", "garbage"] {
        let req = with(pay("PAY", "x1", "t1", "1.00", &card), &[("correlationId", &format!("gw-sim:fault={fault}"))]);
        let _ = Client::connect(sim.addr()).request(
            "POST",
            &format!("/api/nvp/version/{V}"),
            None,
            gw::nvp::encode(&req).as_bytes(),
        );
        assert_eq!(transactions(&sim), 0, "{fault} moved money");
    }
    // A per-run fault: every PAY is recorded PENDING and settles later.
    let run = start(config().fault(gw_sim::Fault::AcquirerPending(Duration::from_millis(100))));
    let f = fields(&Client::connect(run.addr()).post_version(V, &pay("PAY", "y", "1", "2.00", &card)));
    assert_eq!(f["result"], "PENDING");
    // Other operations are not touched by it.
    ok(&Client::connect(run.addr()).post_version(V, &base("CREATE_SESSION")));
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(approved(&run, "PAYMENT"), 1);
}

/// A PAY may take its card from a session (UPDATE_SESSION stored it); the
/// resubmission's content is the PAY request's own fields.
#[test]
fn a_pay_with_the_card_in_a_session() {
    let sim = start(config());
    let session = ok(&send(&sim, &base("CREATE_SESSION")))["session.id"].clone();
    let mut update = with(base("UPDATE_SESSION"), &[("session.id", &session)]);
    update.extend(track(VISA, "0427").fields());
    ok(&send(&sim, &update));
    let mut f = base("PAY");
    f.extend(pairs(&[
        ("order.id", "se1"),
        ("order.amount", "4.00"),
        ("order.currency", "USD"),
        ("transaction.id", "1"),
        ("sourceOfFunds.type", "CARD"),
        ("session.id", &session),
    ]));
    let a = fields(&send(&sim, &f));
    assert_eq!((a["result"].as_str(), a["response.gatewayCode"].as_str()), ("FAILURE", "EXPIRED_CARD"), "{a:?}");
    assert_eq!(fields(&send(&sim, &f))["transaction.receipt"], a["transaction.receipt"]);
    assert_eq!(transactions(&sim), 1);
}

/// `POST /admin/close-batch?merchant=ID` closes that merchant's batch only
/// (the query was dropped by the HTTP layer before issue 27: every
/// merchant's batch closed).
#[test]
fn close_batch_takes_the_merchant_from_the_query() {
    let sim = start(config().merchant("OTHERMERCHANT", "other-password"));
    let r = Client::connect(sim.addr())
        .request("POST", &format!("/admin/close-batch?merchant={MERCHANT}"), None, b"")
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(
        String::from_utf8(r.body).unwrap().trim(),
        format!("{{\"batches\":[{{\"merchant\":\"{MERCHANT}\",\"batch\":2}}]}}")
    );
}
