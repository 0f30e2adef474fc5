//! The payment operations through the C ABI against gw-sim's ledger: the
//! status a till branches on for each answer (src/outcome.rs), the gateway
//! code readable on a decline, `gw_last_error_in_doubt` as a column of its
//! own for every answer and fault, RETRIEVE_TRANSACTION mapped as the
//! transaction's own answer, and the charges counted from the ledger.

mod common;

use common::*;
use gw::ffi::status::*;
use std::time::Duration;

use gw_sim::terminal::{self, Plaintext, TerminalOptions};

/// API version with P2PE payments (the P2PE guide: 84 and later).
const V: u32 = 100;
const VISA: &str = "4012000033330026";

/// A terminal's P2PE card with `expiry` (MMYY) in its track 2: gw-sim's test
/// conventions decide the outcome by it (01/39 APPROVED, 05/39 DECLINED, ...).
fn card(expiry: &str) -> gw_sim::terminal::P2pe {
    let opts = TerminalOptions { plaintext: Plaintext::Track2, expiry: Some(expiry.into()), ..Default::default() };
    terminal::encrypt(VISA, &opts).expect("encrypts")
}

fn client(sim: &gw_sim::Sim) -> CClient {
    CConfig::for_url(&sim.base_url()).api_version(V).client()
}

/// Approved payments not voided, from gw-sim's ledger.
fn charges(sim: &gw_sim::Sim) -> usize {
    sim.ledger().json().matches("\"gatewayCode\":\"APPROVED\"").count()
}

/// A PAY of `amount` USD with the card of `expiry`, and its correlationId.
fn pay(client: &CClient, order: &str, expiry: &str, correlation: Option<&str>) -> (gw_status, CResponse) {
    let (status, request) = CRequest::pay_p2pe("PAY", [order, "1", "12.50", "USD"], &card(expiry));
    assert_eq!(status, GW_OK, "{}", last_error());
    assert_eq!(request.set("posTerminal.lane", "Kiosk_76"), GW_OK);
    if let Some(id) = correlation {
        assert_eq!(request.set("correlationId", id), GW_OK);
    }
    client.execute(&request)
}

/// Each answer of the test conventions: its status, its gateway code
/// readable, in doubt or not, and RETRIEVE_TRANSACTION mapping the same.
#[test]
fn each_answer_maps_to_a_status_a_till_can_branch_on() {
    let sim = start(sim_config());
    let client = client(&sim);
    // expiry, status, in doubt, gateway code.
    let cases = [
        ("0139", GW_OK, false, "APPROVED"),
        ("0539", GW_DECLINED, false, "DECLINED"),
        ("0427", GW_DECLINED, false, "EXPIRED_CARD"),
        ("0828", GW_DECLINED, false, "TIMED_OUT"),
        ("0137", GW_DECLINED, false, "ACQUIRER_SYSTEM_ERROR"),
        ("0237", GW_DECLINED, false, "UNSPECIFIED_FAILURE"),
        ("0537", GW_UNKNOWN_RESULT, true, "UNKNOWN"),
    ];
    for (i, (expiry, want, in_doubt, code)) in cases.into_iter().enumerate() {
        let order = format!("o{i}");
        let (status, response) = pay(&client, &order, expiry, None);
        assert_eq!(status, want, "{expiry}: {}", last_error());
        assert_eq!(response.get("response.gatewayCode").as_deref(), Some(code), "{expiry}");
        if status != GW_OK {
            assert_eq!(last_error_in_doubt(), in_doubt, "{expiry}: in doubt");
            assert!(last_error().contains(code), "{expiry}: the message names the code: {}", last_error());
        }
        // The retrieved transaction maps the same way.
        let (retrieved, answer) = client.retrieve_transaction(&order, "1");
        assert_eq!(retrieved, want, "{expiry} retrieved: {}", last_error());
        assert_eq!(answer.get("response.gatewayCode").as_deref(), Some(code));
        if retrieved != GW_OK {
            assert_eq!(last_error_in_doubt(), in_doubt, "{expiry} retrieved: in doubt");
        }
    }
    assert_eq!(charges(&sim), 1, "one approval, one charge");
    // Ids the gateway does not know: neither GW_OK nor GW_DECLINED, not in doubt.
    for (order, transaction, field) in [("nobody", "1", "order.id"), ("o0", "99", "transaction.id")] {
        let (status, response) = client.retrieve_transaction(order, transaction);
        assert_eq!(status, GW_ERR_GATEWAY, "{order}/{transaction}");
        assert_eq!(last_error_field().as_deref(), Some(field));
        assert!(!last_error_in_doubt());
        assert_eq!(response.result().as_deref(), Some("ERROR"));
    }
    // Nothing is sent for an id that breaks its rule.
    let requests = sim.request_count();
    assert_eq!(client.retrieve_transaction(&"x".repeat(41), "1").0, GW_ERR_INVALID_FIELD);
    assert_eq!(last_error_field().as_deref(), Some("order.id"));
    assert!(!last_error_in_doubt());
    assert_eq!(sim.request_count(), requests);
}

/// PENDING from the acquirer: gw settles it within the call by polling
/// RETRIEVE_TRANSACTION (the backoff between polls) and returns the final
/// approval, charged once. When the call's timeout runs out first, the call
/// ends not final (`GW_PENDING`, in doubt) with the ids to resolve it later;
/// another payment on the order meanwhile meets LOCK_FAILURE, no decline.
#[test]
fn a_pending_payment_is_settled_within_the_call_or_ends_not_final() {
    let sim = start(sim_config());
    let client = client(&sim);
    let requests = sim.request_count();
    let (status, response) = pay(&client, "p1", "0139", Some("gw-sim:fault=acquirer-pending,ms=300"));
    assert_eq!(status, GW_OK, "{}", last_error());
    assert_eq!(response.get("response.gatewayCode").as_deref(), Some("APPROVED"));
    let polls = sim.request_count() - requests - 1;
    assert!((1..=3).contains(&polls), "one PAY, then {polls} RETRIEVE_TRANSACTION polls");
    assert_eq!(charges(&sim), 1);

    // The budget runs out before the acquirer answers.
    let short = CConfig::for_url(&sim.base_url()).api_version(V).timeout(Duration::from_millis(700)).client();
    let (status, response) = pay(&short, "p2", "0139", Some("gw-sim:fault=acquirer-pending,ms=1500"));
    assert_eq!(status, GW_PENDING, "{}", last_error());
    assert!(last_error_in_doubt());
    assert_eq!(last_error_ids(), (Some("p2".into()), Some("1".into())));
    assert_eq!(last_error().matches("order.id=p2 transaction.id=1").count(), 1, "{}", last_error());
    assert!(matches!(response.get("response.gatewayCode").as_deref(), Some("PENDING" | "SUBMITTED")));
    // Another payment on the order meanwhile: LOCK_FAILURE is no decline,
    // and this request was not processed: resubmitted while retries last,
    // then not final.
    let (status, request) = CRequest::pay_p2pe("PAY", ["p2", "2", "12.50", "USD"], &card("0139"));
    assert_eq!(status, GW_OK);
    let (status, locked) = short.execute(&request);
    assert_eq!(status, GW_PENDING, "{}", last_error());
    assert_eq!(locked.get("response.gatewayCode").as_deref(), Some("LOCK_FAILURE"));
    assert!(last_error_in_doubt());
    std::thread::sleep(Duration::from_millis(1600));
    let (status, answer) = client.retrieve_transaction("p2", "1");
    assert_eq!(status, GW_OK, "{}", last_error());
    assert_eq!(answer.get("response.gatewayCode").as_deref(), Some("APPROVED"));
    assert_eq!(charges(&sim), 2);
}

/// The answer lost after the money moved: gw resends the identical request,
/// which the gateway answers with the first answer without charging again;
/// with no resubmission left, a RETRIEVE_TRANSACTION poll settles it.
#[test]
fn a_lost_answer_is_resolved_by_identical_resubmission_charged_once() {
    let sim = start(sim_config());
    let client = CConfig::for_url(&sim.base_url()).api_version(V).retries(2).client();
    let requests = sim.request_count();
    let (status, response) = pay(&client, "l1", "0139", Some("gw-sim:fault=lost-then-ok=1"));
    assert_eq!(status, GW_OK, "{}", last_error());
    assert_eq!(response.get("response.gatewayCode").as_deref(), Some("APPROVED"));
    assert_eq!(sim.request_count() - requests, 2, "the PAY and its identical resubmission");
    assert_eq!(charges(&sim), 1, "the money moved once");
    // The same fields in the same order (gw-sim shows them masked): the
    // same ids, the same card; gw-sim itself refuses other content under
    // the same transaction.id.
    let entries = sim.requests();
    let (first, second) = (&entries[entries.len() - 2], &entries[entries.len() - 1]);
    assert_eq!((first.operation.as_str(), &first.fields), (second.operation.as_str(), &second.fields));

    let once = CConfig::for_url(&sim.base_url()).api_version(V).client();
    let requests = sim.request_count();
    let (status, response) = pay(&once, "l2", "0139", Some(&fault_id("lost-then-ok=1", "l2")));
    assert_eq!(status, GW_OK, "{}", last_error());
    assert_eq!(response.get("transaction.type").as_deref(), Some("PAYMENT"));
    assert_eq!(sim.request_count() - requests, 2, "the PAY (no retry configured), then one RETRIEVE_TRANSACTION");
    assert_eq!(charges(&sim), 2);
}

/// The in-doubt column for the faults in front of the gateway and after it,
/// on a PAY (`gw_last_error_in_doubt` per fault), with the money counted.
#[test]
fn every_fault_on_a_payment_has_its_in_doubt_flag() {
    let sim = start(sim_config());
    let client = client(&sim);
    // fault, status, in doubt.
    let cases = [
        ("server-busy", GW_ERR_GATEWAY, false),
        ("request-rejected", GW_ERR_GATEWAY, false),
        ("server-failed", GW_ERR_GATEWAY, true),
        ("http500-html", GW_ERR_PROTOCOL, true),
        ("garbage", GW_ERR_PROTOCOL, true),
        ("reset", GW_ERR_IO, true),
        ("truncate", GW_ERR_IO, true),
        ("result-pending", GW_PENDING, true),
    ];
    for (i, (fault, want, in_doubt)) in cases.into_iter().enumerate() {
        let (status, _) = pay(&client, &format!("f{i}"), "0139", Some(&format!("gw-sim:fault={fault}")));
        assert_eq!(status, want, "{fault}: {}", last_error());
        assert_eq!(last_error_in_doubt(), in_doubt, "{fault}: in doubt");
    }
    assert_eq!(charges(&sim), 0, "none of these faults moved money");
    // Nothing sent: a refused connection is not in doubt.
    let refused = CConfig::for_url(&format!("http://127.0.0.1:{}", closed_port())).api_version(V).client();
    assert_eq!(pay(&refused, "r1", "0139", None).0, GW_ERR_CONNECT);
    assert!(!last_error_in_doubt());
}

/// AUTHORIZE, a partial CAPTURE, a partial REFUND and a VOID through the
/// generic request; a PAY with a token; the ledger counts each.
#[test]
fn the_other_operations_and_a_token_pay() {
    let sim = start(sim_config());
    let client = client(&sim);
    let (status, request) = CRequest::pay_p2pe("AUTHORIZE", ["a1", "1", "20.00", "USD"], &card("0139"));
    assert_eq!(status, GW_OK, "{}", last_error());
    assert_eq!(client.execute(&request).0, GW_OK, "{}", last_error());
    let follow = |op: &str, txn: &str, fields: &[(&str, &str)]| {
        let mut all = vec![("order.id", "a1"), ("transaction.id", txn)];
        all.extend_from_slice(fields);
        execute_c(&client, op, &all)
    };
    let amount = |value| [("transaction.amount", value), ("transaction.currency", "USD")];
    let (status, captured) = follow("CAPTURE", "2", &amount("15.00"));
    assert_eq!(status, GW_OK, "{}", last_error());
    assert_eq!(captured.get("transaction.type").as_deref(), Some("CAPTURE"));
    assert_eq!(follow("REFUND", "3", &amount("5.00")).0, GW_OK, "{}", last_error());
    // More than captured is the gateway's error, not a decline.
    assert_eq!(follow("REFUND", "4", &amount("50.00")).0, GW_ERR_GATEWAY);
    assert!(!last_error_in_doubt());
    let (status, voided) = follow("VOID", "5", &[("transaction.targetTransactionId", "3")]);
    assert_eq!(status, GW_OK, "{}", last_error());
    assert_eq!(voided.get("transaction.type").as_deref(), Some("VOID_REFUND"));
    // A locally refused amount sends nothing.
    let requests = sim.request_count();
    let (status, request) = CRequest::pay_p2pe("PAY", ["a2", "1", "10.001", "USD"], &card("0139"));
    assert_eq!((status, last_error_field().as_deref()), (GW_ERR_INVALID_FIELD, Some("order.amount")));
    assert!(request.0.is_null() && !last_error_in_doubt());
    assert_eq!(CRequest::pay_p2pe("CAPTURE", ["a2", "1", "1.00", "USD"], &card("0139")).0, GW_ERR_INVALID_FIELD);
    assert_eq!(sim.request_count(), requests);
    // A token's card decides as a P2PE card does.
    let approved = card("0139");
    let (status, tokenized) = client.tokenize_p2pe(None, &approved.ksn, &approved.payload, None, None);
    assert_eq!(status, GW_OK, "{}", last_error());
    let token = tokenized.get("token").unwrap();
    let (status, request) = CRequest::pay_token(["t1", "1", "3.00", "USD"], &token);
    assert_eq!(status, GW_OK, "{}", last_error());
    let (status, paid) = client.execute(&request);
    assert_eq!(status, GW_OK, "{}", last_error());
    assert_eq!(paid.get("sourceOfFunds.token").as_deref(), Some(token.as_str()));
    // A P2PE payment needs API version 84: refused locally at 83, naming the field.
    let old = CConfig::for_url(&sim.base_url()).api_version(83).client();
    let (status, request) = CRequest::pay_p2pe("PAY", ["v1", "1", "1.00", "USD"], &card("0139"));
    assert_eq!(status, GW_OK);
    assert_eq!(old.execute(&request).0, GW_ERR_INVALID_FIELD);
    assert!(last_error().contains("API version 84 and later"), "{}", last_error());
}
