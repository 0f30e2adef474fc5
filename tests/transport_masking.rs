//! No code path ever shows the API password, a card number or the P2PE
//! payload: not the log callback (at debug level), not `gw_last_error()` /
//! `Error::message()`, not any `Debug` or `Display` string.
//!
//! Every path is driven twice, through the C API and through the Rust API:
//! success (session, P2PE token, clear card), local validation failure,
//! authentication failure, gateway errors, a decline, every gw-sim fault, a
//! retry, a connect failure.

mod transport_support;

use std::ffi::c_void;
use std::ptr;

use gw::config::LogLevel;
use gw::ffi::client::{gw_client_new, gw_execute, gw_tokenize_p2pe};
use gw::ffi::config::*;
use gw::ffi::request::{gw_request_free, gw_request_new, gw_request_set};
use gw::ffi::response::gw_response_get;
use gw::ffi::status::*;
use gw::{Client, Config, Kind, Request};
use transport_support::c_api::{collect, cs, last_error, text, OwnedClient, OwnedConfig, OwnedResponse};
use transport_support::*;

/// A password the gateway refuses: it must not leak either.
const WRONG_PASSWORD: &str = "wr0ng-Pa55word-n3ver-shown";
const P2PE: &str = "sourceOfFunds.provided.card.p2pe";

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

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
}

fn scenarios(card: &gw_sim::terminal::P2pe) -> Vec<Scenario> {
    let p2pe = |extra: &[(&str, &str)]| {
        let mut fields = pairs(&[
            ("sourceOfFunds.type", "CARD"),
            (&format!("{P2PE}.keySerialNumber"), &card.ksn),
            (&format!("{P2PE}.payload"), &card.payload),
        ]);
        fields.extend(pairs(extra));
        fields
    };
    let clear_card = pairs(&[
        ("sourceOfFunds.type", "CARD"),
        ("sourceOfFunds.provided.card.number", PAN),
        ("sourceOfFunds.provided.card.expiry.month", "12"),
        ("sourceOfFunds.provided.card.expiry.year", "39"),
        ("sourceOfFunds.provided.card.securityCode", "737"),
    ]);
    let scenario = |name, operation, fields, target, status| Scenario { name, operation, fields, target, status };
    let mut list = vec![
        scenario("session", "CREATE_SESSION", vec![], Target::Sim, GW_OK),
        scenario("P2PE token", "TOKENIZE", p2pe(&[(&format!("{P2PE}.cardBin"), &PAN[..6])]), Target::Sim, GW_OK),
        scenario("clear card", "TOKENIZE", clear_card, Target::Sim, GW_OK),
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

/// Fails if `shown` carries any secret.
fn assert_clean(secrets: &[&str], shown: &str, context: &str) {
    for secret in secrets {
        assert!(!shown.contains(secret), "{context}: a secret is shown in: {shown}");
    }
}

/// The C configuration of `target`, logging at debug level into `log`.
fn c_client(sim: &TlsSim, target: Target, log: &Log) -> OwnedClient {
    let (url, password) = match target {
        Target::Sim => (sim.base_url(), PASSWORD),
        Target::SimWithWrongPassword => (sim.base_url(), WRONG_PASSWORD),
        Target::ClosedPort => (format!("http://127.0.0.1:{}", closed_port()), PASSWORD),
    };
    let config = OwnedConfig::new();
    let mut client = ptr::null_mut();
    // SAFETY: a live config, valid C strings, `log` outlives the client, and
    // a writable out pointer.
    unsafe {
        assert_eq!(gw_config_set_base_url(config.0, cs(&url).as_ptr()), GW_OK);
        assert_eq!(gw_config_set_merchant(config.0, cs(MERCHANT).as_ptr()), GW_OK);
        assert_eq!(gw_config_set_api_password(config.0, cs(password).as_ptr()), GW_OK);
        assert_eq!(gw_config_set_ca_bundle(config.0, cs(&sim.ca_file).as_ptr()), GW_OK);
        assert_eq!(gw_config_set_timeout_ms(config.0, 1500), GW_OK);
        assert_eq!(gw_config_set_retries(config.0, 1), GW_OK);
        let userdata = log as *const Log as *mut c_void;
        assert_eq!(gw_config_set_log(config.0, GW_LOG_DEBUG, Some(collect), userdata), GW_OK);
        assert_eq!(gw_client_new(config.0, &mut client), GW_OK, "{}", last_error());
    }
    OwnedClient(client)
}

/// Runs a scenario through `gw_request_*` / `gw_execute`; returns the
/// status, the last error, and every response field.
fn c_run(client: &OwnedClient, scenario: &Scenario) -> (gw_status, String, Vec<String>) {
    let mut request = ptr::null_mut();
    let mut response = ptr::null_mut();
    // SAFETY: valid C strings, a live client and request, writable out pointers.
    let status = unsafe {
        assert_eq!(gw_request_new(cs(scenario.operation).as_ptr(), &mut request), GW_OK);
        for (name, value) in &scenario.fields {
            assert_eq!(gw_request_set(request, cs(name).as_ptr(), cs(value).as_ptr()), GW_OK, "{}", last_error());
        }
        let status = gw_execute(client.0, request, &mut response);
        gw_request_free(request);
        status
    };
    let response = OwnedResponse(response);
    let message = if status == GW_OK { String::new() } else { last_error() };
    let card_number = if response.0.is_null() {
        None
    } else {
        // SAFETY: a live response and a valid C string.
        text(unsafe { gw_response_get(response.0, cs("sourceOfFunds.provided.card.number").as_ptr()) })
    };
    (status, message, card_number.into_iter().collect())
}

#[test]
fn no_path_shows_the_password_the_card_number_or_the_payload() {
    let sim = TlsSim::start("masking", gw_sim::SimConfig::default().merchant(MERCHANT, PASSWORD));
    let card = gw_sim::terminal::encrypt_pan(PAN).expect("terminal encrypts");
    let secrets = [PASSWORD, WRONG_PASSWORD, PAN, card.payload.as_str()];
    let log = Log::default();

    // The C API.
    let mut messages = Vec::new();
    for scenario in scenarios(&card) {
        let client = c_client(&sim, scenario.target, &log);
        let (status, message, echoed) = c_run(&client, &scenario);
        assert_eq!(status, scenario.status, "C, {}: {message}", scenario.name);
        for number in echoed {
            assert!(number.contains("xxxxxx"), "the echoed card number is not masked: {number}");
        }
        messages.push(message);
    }
    // The headline call and local validation, through C too.
    let client = c_client(&sim, Target::Sim, &log);
    let bad_payload = format!("{}Z", card.payload);
    let mut response = ptr::null_mut();
    let mut request = ptr::null_mut();
    // SAFETY: a live client, valid C strings (or NULL where allowed), writable out pointers.
    unsafe {
        let (ksn, payload, bin) = (cs(&card.ksn), cs(&card.payload), cs(&PAN[..6]));
        let status = gw_tokenize_p2pe(
            client.0,
            ptr::null(),
            ksn.as_ptr(),
            payload.as_ptr(),
            ptr::null(),
            bin.as_ptr(),
            &mut response,
        );
        assert_eq!(status, GW_OK, "{}", last_error());
        drop(OwnedResponse(response));
        let status = gw_tokenize_p2pe(
            client.0,
            ptr::null(),
            ksn.as_ptr(),
            cs(&bad_payload).as_ptr(),
            ptr::null(),
            ptr::null(),
            &mut response,
        );
        assert_eq!(status, GW_ERR_INVALID_FIELD);
        messages.push(last_error());
        assert_eq!(gw_request_new(c"TOKENIZE".as_ptr(), &mut request), GW_OK);
        let name = cs("sourceOfFunds.provided.card.number");
        assert_eq!(gw_request_set(request, name.as_ptr(), cs(&format!("{PAN}X")).as_ptr()), GW_ERR_INVALID_FIELD);
        messages.push(last_error());
        gw_request_free(request);
    }
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
