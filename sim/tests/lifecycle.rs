//! gw-sim's lifecycle operations on the wire (issue 19): CHECK_GATEWAY on
//! `/information` without authentication, RETRIEVE_TOKEN masked,
//! DELETE_TOKEN and what later calls meet, RETRIEVE_SESSION masked, and the
//! unique-card repository giving one token per card.

mod common;
use common::*;

fn clear_card(f: Vec<(String, String)>) -> Vec<(String, String)> {
    with(
        f,
        &[
            ("sourceOfFunds.type", "CARD"),
            ("sourceOfFunds.provided.card.number", VISA),
            ("sourceOfFunds.provided.card.expiry.month", "1"),
            ("sourceOfFunds.provided.card.expiry.year", "39"),
            ("sourceOfFunds.provided.card.securityCode", "123"),
        ],
    )
}

#[test]
fn information_answers_get_and_post_without_authentication() {
    let sim = start(config());
    let mut c = Client::connect(sim.addr());
    for method in ["GET", "POST"] {
        let r = c.request(method, "/api/nvp/version/100/information", None, b"").unwrap();
        assert_eq!(r.status, 200, "{method}");
        let f = r.fields();
        assert_eq!(f.get("status").map(String::as_str), Some("OPERATING"));
        assert!(f.get("gatewayVersion").is_some_and(|v| (5..=32).contains(&v.len())));
        assert!(!f.contains_key("result"), "Check Gateway's answer has no result");
    }
    let r = c.request("DELETE", "/api/nvp/version/100/information", None, b"").unwrap();
    assert_eq!(r.status, 405);
    assert_eq!(r.header("Allow"), Some("GET, POST"));
    assert_eq!(c.request("GET", "/api/nvp/version/12/information", None, b"").unwrap().status, 404);
    let requests = sim.requests();
    assert_eq!(requests[0].operation, "CHECK_GATEWAY");
}

#[test]
fn the_shutdown_fault_shuts_the_gateway() {
    let sim = start(config().fault(gw_sim::Fault::Shutdown));
    let mut c = Client::connect(sim.addr());
    let r = c.request("GET", "/api/nvp/version/50/information", None, b"").unwrap();
    assert_eq!(r.get("status").as_deref(), Some("SHUTDOWN"));
    let r = c.post(&base("CREATE_SESSION"));
    assert_eq!(r.status, 503);
    assert_eq!(r.get("error.cause").as_deref(), Some("SERVER_BUSY"));
}

#[test]
fn a_token_is_retrieved_masked_then_deleted() {
    let sim = start(config());
    let token = ok(&post(&sim, &clear_card(base("TOKENIZE"))))["token"].clone();
    let held = ok(&post(&sim, &with(base("RETRIEVE_TOKEN"), &[("token", &token)])));
    assert_eq!(held["sourceOfFunds.provided.card.number"], "400000xxxxxx0002");
    assert_eq!(held["status"], "VALID");
    assert_eq!(held["token"], token);
    assert!(!held.values().any(|v| v.contains(VISA) || v == "123"));
    assert_eq!(ok(&post(&sim, &with(base("DELETE_TOKEN"), &[("token", &token)])))["result"], "SUCCESS");
    for op in ["RETRIEVE_TOKEN", "DELETE_TOKEN"] {
        assert_field_error(&post(&sim, &with(base(op), &[("token", &token)])), 400, "token", "INVALID");
    }
    // The token is required; a bad one is refused by the shared rules.
    assert_field_error(&post(&sim, &base("DELETE_TOKEN")), 400, "token", "MISSING");
    assert_field_error(&post(&sim, &with(base("RETRIEVE_TOKEN"), &[("token", "a-b")])), 400, "token", "INVALID");
}

#[test]
fn a_unique_card_repository_gives_one_token_per_card() {
    let sim = start(config().repository_mode(gw_sim::RepositoryMode::UniqueCard));
    let first = ok(&post(&sim, &clear_card(base("TOKENIZE"))))["token"].clone();
    assert_eq!(ok(&post(&sim, &clear_card(base("TOKENIZE"))))["token"], first);
    assert_eq!(sim.token_count(), 1);
}

#[test]
fn a_session_is_retrieved_with_its_card_masked() {
    let sim = start(config());
    let id = ok(&post(&sim, &base("CREATE_SESSION")))["session.id"].clone();
    let updated = ok(&post(&sim, &clear_card(with(base("UPDATE_SESSION"), &[("session.id", &id)]))));
    assert_eq!(updated["session.updateStatus"], "SUCCESS");
    let held = ok(&post(&sim, &with(base("RETRIEVE_SESSION"), &[("session.id", &id)])));
    assert_eq!(held["session.id"], id);
    assert_eq!(held["session.version"], updated["session.version"]);
    assert_eq!(held["sourceOfFunds.provided.card.number"], "400000xxxxxx0002");
    assert_eq!(held["sourceOfFunds.provided.card.securityCode"], "xxx");
    assert_eq!(held["sourceOfFunds.provided.card.expiry.year"], "39");
    assert_field_error(&post(&sim, &base("RETRIEVE_SESSION")), 400, "session.id", "MISSING");
    // At version 83 a session refuses an AES key serial number, and the
    // refused update leaves it FAILURE.
    let aes = with(
        base("UPDATE_SESSION"),
        &[("session.id", &id), ("sourceOfFunds.provided.card.p2pe.keySerialNumber", "40F000000000000000000001")],
    );
    let mut c = Client::connect(sim.addr());
    let r = c.post_version(83, &aes);
    assert_eq!(r.status, 400);
    assert_eq!(r.get("error.field").as_deref(), Some("sourceOfFunds.provided.card.p2pe.keySerialNumber"));
    let held = ok(&post(&sim, &with(base("RETRIEVE_SESSION"), &[("session.id", &id)])));
    assert_eq!(held["session.updateStatus"], "FAILURE");
}
