//! No code path ever shows the API password, a card number or the P2PE
//! payload: not the log callback (at debug level), not `gw_last_error()` /
//! `Error::message()`, not any `Debug` or `Display` string.
//!
//! Every path is driven twice, through the C API and through the Rust API:
//! success (session, P2PE token, clear card), local validation failure,
//! authentication failure, gateway errors, a decline, every gw-sim fault, a
//! retry, a connect failure.

mod common;

use common::*;
use gw::config::LogLevel;
use gw::ffi::status::*;
use gw::{Client, Config, Kind, Request};

/// One code path: an operation, its fields, which client, and its status.
struct Scenario {
    name: &'static str,
    operation: &'static str,
    fields: Vec<(String, String)>,
    target: Target,
    status: gw_status,
}

#[derive(Clone, Copy)]
enum Target {
    Sim,
    SimWithWrongPassword,
    ClosedPort,
}

fn scenarios(card: &gw_sim::terminal::P2pe) -> Vec<Scenario> {
    let p2pe = |extra: &[(&str, &str)]| p2pe_fields(card, extra);
    let scenario = |name, operation, fields, target, status| Scenario { name, operation, fields, target, status };
    let mut list = vec![
        scenario("session", "CREATE_SESSION", vec![], Target::Sim, GW_OK),
        scenario("P2PE token", "TOKENIZE", p2pe(&[(&format!("{P2PE}.cardBin"), &PAN[..6])]), Target::Sim, GW_OK),
        scenario("clear card", "TOKENIZE", clear_card_fields(), Target::Sim, GW_OK),
        scenario("bad password", "TOKENIZE", p2pe(&[]), Target::SimWithWrongPassword, GW_ERR_AUTHENTICATION),
        scenario(
            "card BIN mismatch",
            "TOKENIZE",
            p2pe(&[(&format!("{P2PE}.cardBin"), "999999")]),
            Target::Sim,
            GW_ERR_GATEWAY,
        ),
        scenario(
            "unknown session",
            "TOKENIZE",
            p2pe(&[("session.id", "SESSION0002000000000000000000000")]),
            Target::Sim,
            GW_ERR_GATEWAY,
        ),
        scenario(
            "decline",
            "TOKENIZE",
            p2pe(&[(&format!("{P2PE}.encryptionState"), "INVALID")]),
            Target::Sim,
            GW_DECLINED,
        ),
        scenario("connect failure, retried", "TOKENIZE", p2pe(&[]), Target::ClosedPort, GW_ERR_CONNECT),
        // Payments: the card in a PAY, its answer's card, a decline, and a
        // P2PE PAY refused locally at API version 50 (P2PE payments: 84+).
        scenario("clear card PAY", "PAY", payment("s-pay", "1239"), Target::Sim, GW_OK),
        scenario("declined PAY", "PAY", payment("s-declined", "0539"), Target::Sim, GW_DECLINED),
        scenario(
            "P2PE PAY at version 50",
            "PAY",
            [payment("s-p2pe", "1239")[..4].to_vec(), p2pe(&[])].concat(),
            Target::Sim,
            GW_ERR_INVALID_FIELD,
        ),
    ];
    let faults = [
        ("delay,ms=4000", GW_ERR_TIMEOUT),
        ("silent", GW_ERR_TIMEOUT),
        ("reset", GW_ERR_IO),
        ("truncate", GW_ERR_IO),
        ("oversize", GW_ERR_PROTOCOL),
        ("garbage", GW_ERR_PROTOCOL),
        ("http500-html", GW_ERR_PROTOCOL),
        ("server-failed", GW_ERR_GATEWAY),
        ("server-busy", GW_ERR_GATEWAY),
        ("busy-then-ok=1", GW_OK),
    ];
    for (fault, status) in faults {
        // A fresh tag per run keeps busy-then-ok's counter per scenario.
        let id = fault_id(fault, &format!("{}-{}", std::process::id(), list.len()));
        list.push(scenario(fault, "TOKENIZE", p2pe(&[("correlationId", &id)]), Target::Sim, status));
    }
    list
}

/// A PAY of the clear test card (`PAN`, security code) expiring `expiry`
/// (MMYY: gw-sim's test conventions choose the answer by it) on `order`.
fn payment(order: &str, expiry: &str) -> Vec<(String, String)> {
    pairs(&[
        ("order.id", order),
        ("transaction.id", "1"),
        ("order.amount", "12.50"),
        ("order.currency", "USD"),
        ("sourceOfFunds.type", "CARD"),
        ("sourceOfFunds.provided.card.number", PAN),
        ("sourceOfFunds.provided.card.expiry.month", &expiry[..2]),
        ("sourceOfFunds.provided.card.expiry.year", &expiry[2..]),
        ("sourceOfFunds.provided.card.securityCode", SECURITY_CODE),
    ])
}

/// Fails if `shown` carries any secret.
fn assert_clean(secrets: &[&str], shown: &str, context: &str) {
    for secret in secrets {
        assert!(!shown.contains(secret), "{context}: a secret is shown in: {shown}");
    }
}

/// The C configuration of `target`, logging at debug level into `log`.
fn c_client(sim: &TlsSim, target: Target, log: &Log) -> CClient {
    let (url, password) = match target {
        Target::Sim => (sim.base_url(), PASSWORD),
        Target::SimWithWrongPassword => (sim.base_url(), WRONG_PASSWORD),
        Target::ClosedPort => (format!("http://127.0.0.1:{}", closed_port()), PASSWORD),
    };
    let config = CConfig::for_url(&url).password(password).ca_bundle(&sim.ca_file);
    config.timeout(std::time::Duration::from_millis(1500)).retries(1).log(log).client()
}

/// Runs a scenario through `gw_request_*` / `gw_execute`; returns the
/// status, the last error, and the echoed card number.
fn c_run(client: &CClient, scenario: &Scenario) -> (gw_status, String, Option<String>) {
    let (status, response) = execute_c(client, scenario.operation, &scenario.fields);
    let message = if status == GW_OK { String::new() } else { last_error() };
    let card_number = if response.is_null() { None } else { response.get("sourceOfFunds.provided.card.number") };
    (status, message, card_number)
}

#[test]
fn no_path_shows_the_password_the_card_number_or_the_payload() {
    let sim = TlsSim::start("masking", sim_config());
    let card = terminal_card();
    let secrets = [PASSWORD, WRONG_PASSWORD, PAN, card.payload.as_str()];
    let log = Log::default();

    // The C API.
    let mut messages = Vec::new();
    for scenario in scenarios(&card) {
        let client = c_client(&sim, scenario.target, &log);
        let (status, message, echoed) = c_run(&client, &scenario);
        assert_eq!(status, scenario.status, "C, {}: {message}", scenario.name);
        if let Some(number) = echoed {
            assert!(number.contains("xxxxxx"), "the echoed card number is not masked: {number}");
        }
        messages.push(message);
    }
    // The headline call and local validation, through C too.
    let client = c_client(&sim, Target::Sim, &log);
    let bad_payload = format!("{}Z", card.payload);
    let (status, _) = client.tokenize_p2pe(None, &card.ksn, &card.payload, None, Some(&PAN[..6]));
    assert_eq!(status, GW_OK, "{}", last_error());
    let (status, _) = client.tokenize_p2pe(None, &card.ksn, &bad_payload, None, None);
    assert_eq!(status, GW_ERR_INVALID_FIELD);
    messages.push(last_error());
    let request = CRequest::new("TOKENIZE");
    assert_eq!(request.set("sourceOfFunds.provided.card.number", &format!("{PAN}X")), GW_ERR_INVALID_FIELD);
    messages.push(last_error());
    for message in &messages {
        assert_clean(&secrets, message, "gw_last_error()");
    }

    // The Rust API: messages, Display and Debug of errors, responses,
    // requests and configurations.
    for scenario in scenarios(&card) {
        let config = rust_config(&sim, scenario.target, &log);
        assert_clean(&secrets, &format!("{config:?}"), "Config Debug");
        let mut request = Request::for_operation_name(scenario.operation).unwrap();
        for (name, value) in &scenario.fields {
            request.set(name, value).unwrap();
        }
        assert_clean(&secrets, &format!("{request:?}"), "Request Debug");
        let outcome = Client::new(&config).unwrap().execute(&request);
        let status = outcome.as_ref().err().map_or(GW_OK, gw::Error::status);
        assert_eq!(status, scenario.status, "Rust, {}: {outcome:?}", scenario.name);
        let shown = match &outcome {
            Ok(response) => format!("{response:?}"),
            Err(err) => format!("{err:?} {err} {} {:?}", err.message(), err.response()),
        };
        assert_clean(&secrets, &shown, scenario.name);
    }
    let invalid =
        Request::for_operation_name("TOKENIZE").unwrap().set("sourceOfFunds.provided.card.number", &format!("{PAN}X"));
    let err = invalid.unwrap_err();
    assert_eq!(err.kind(), Kind::InvalidField);
    assert_clean(&secrets, &format!("{err:?} {err}"), "validation error");

    // The log callback saw every path, at every level, and no secret.
    let lines = log.lines();
    assert!(lines.iter().any(|(level, _)| *level == LogLevel::Debug));
    assert!(lines.iter().any(|(_, line)| line.contains("retry 1 of 1")), "no retry was logged");
    assert!(lines.iter().any(|(_, line)| line.contains("securityCode=***")), "the security code was not masked");
    assert!(lines.iter().any(|(_, line)| line.contains("apiPassword=***")), "the password was not masked");
    for (level, line) in &lines {
        assert_clean(&secrets, line, &format!("log {level:?}"));
    }
}

fn rust_config(sim: &TlsSim, target: Target, log: &Log) -> Config {
    let mut config = config(&sim.base_url());
    match target {
        Target::Sim => {}
        Target::SimWithWrongPassword => config.set_api_password(WRONG_PASSWORD).unwrap(),
        Target::ClosedPort => config.set_base_url(&format!("http://127.0.0.1:{}", closed_port())).unwrap(),
    }
    config.set_ca_bundle(&sim.ca_file).unwrap();
    config.set_timeout(std::time::Duration::from_millis(1500)).unwrap();
    config.set_retries(1).unwrap();
    config.set_log(LogLevel::Debug, log.sink());
    config
}
