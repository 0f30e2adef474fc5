//! Every gw-sim fault ends in its documented status within the configured
//! timeout plus one second; retries happen exactly where they are safe and
//! as often as configured; the per-call facts (HTTP status, duration,
//! correlationId) reach the response. Over HTTPS, as in production.

mod common;

use std::time::Duration;

use common::*;
use gw::config::LogLevel;
use gw::{Client, Config, Kind, Request};

fn https_sim(name: &str) -> TlsSim {
    TlsSim::start(name, sim_config())
}

/// A client of `sim` with `retries`, logging into `log`.
fn sim_client(sim: &TlsSim, retries: u32, log: &Log, adjust: impl FnOnce(&mut Config)) -> Client {
    let mut config = config(&sim.base_url());
    config.set_ca_bundle(&sim.ca_file).unwrap();
    config.set_retries(retries).unwrap();
    config.set_log(LogLevel::Debug, log.sink());
    adjust(&mut config);
    Client::new(&config).expect("client")
}

fn attempts(log: &Log) -> usize {
    log.lines().iter().filter(|(level, line)| *level == LogLevel::Info && line.contains(" attempt ")).count()
}

#[test]
fn every_fault_ends_in_its_status_within_the_timeout_plus_one_second() {
    let sim = https_sim("faults");
    let log = Log::default();
    let client = sim_client(&sim, 0, &log, |_| {});
    // fault, status, in doubt (`Error::in_doubt`, `gw_last_error_in_doubt`):
    // every fault here comes after the request was read, so only an answer
    // that says what happened is not in doubt (REQUEST_REJECTED, SERVER_BUSY:
    // "did not process"); SERVER_FAILED failed while processing.
    let cases = [
        ("delay,ms=200", None, false),
        ("delay,ms=10000", Some(Kind::Timeout), true),
        ("silent", Some(Kind::Timeout), true),
        ("reset", Some(Kind::Io), true),
        ("truncate", Some(Kind::Io), true),
        ("oversize", Some(Kind::Protocol), true),
        ("garbage", Some(Kind::Protocol), true),
        ("http500-html", Some(Kind::Protocol), true),
        ("server-failed", Some(Kind::Gateway), true),
        ("request-rejected", Some(Kind::Gateway), false),
        ("server-busy", Some(Kind::Gateway), false),
    ];
    let mut report = String::new();
    for (fault, expected, in_doubt) in cases {
        let (outcome, took) = timed(|| client.execute(&session_with_fault(fault, "timing")));
        let kind = outcome.as_ref().err().map(gw::Error::kind);
        let message = outcome.as_ref().err().map(|err| err.message().to_owned()).unwrap_or_default();
        report.push_str(&format!("{fault:>16}: {:<16} {:>5} ms  {message}\n", format!("{kind:?}"), took.as_millis()));
        assert_eq!(kind, expected, "{fault}: {outcome:?}");
        assert_eq!(outcome.as_ref().err().is_some_and(gw::Error::in_doubt), in_doubt, "{fault}: in doubt");
        assert!(took < BOUND, "{fault} took {took:?}, more than the timeout {TIMEOUT:?} plus one second");
        if let Err(err) = &outcome {
            assert!(err.message().contains("127.0.0.1"), "{fault}: the message names no host: {err}");
        }
    }
    eprintln!("fault timings (timeout {TIMEOUT:?}, no retries):\n{report}");
    let silent = client.execute(&session_with_fault("silent", "message")).unwrap_err();
    assert!(silent.message().contains("timed out"), "{silent}");
}

#[test]
fn busy_then_ok_is_retried_as_often_as_configured_and_no_more() {
    let sim = https_sim("busy");
    let log = Log::default();
    let client = sim_client(&sim, 2, &log, |_| {});

    let ok = client.execute(&session_with_fault("busy-then-ok=2", "two")).expect("third attempt succeeds");
    assert!(ok.get("session.id").is_some());
    assert_eq!(attempts(&log), 3, "{}", log.dump());
    assert_eq!(log.count("SERVER_BUSY; retry"), 2, "{}", log.dump());

    let log = Log::default();
    let client = sim_client(&sim, 2, &log, |_| {});
    let err = client.execute(&session_with_fault("busy-then-ok=3", "three")).unwrap_err();
    assert_eq!(err.kind(), Kind::Gateway);
    assert_eq!(err.response().and_then(|r| r.get("error.cause")), Some("SERVER_BUSY"));
    assert_eq!(attempts(&log), 3, "2 retries means 3 attempts: {}", log.dump());
}

#[test]
fn nothing_is_retried_after_a_4xx_or_once_the_request_may_have_been_processed() {
    let sim = https_sim("no-retry");
    let card = terminal_card();
    let unknown_session = {
        let mut request = Request::tokenize_p2pe(None, &p2pe(&card)).unwrap();
        request.set("session.id", "SESSION0002000000000000000000000").unwrap();
        request
    };
    let tokenize_with_fault = |fault: &str| {
        let mut request = Request::tokenize_p2pe(None, &p2pe(&card)).unwrap();
        request.set("correlationId", &fault_id(fault, "x")).unwrap();
        request
    };
    let cases: [(&str, Request, Kind, Adjust); 5] = [
        (
            "HTTP 401",
            Request::create_session(),
            Kind::Authentication,
            Box::new(|c| c.set_api_password("wrong-password").unwrap()),
        ),
        ("HTTP 400", unknown_session, Kind::Gateway, Box::new(|_| {})),
        // In doubt and not harmless to repeat: a TOKENIZE without a token
        // (tests/retry_policy.rs has the operations that are retried).
        ("HTTP 500 SERVER_FAILED", tokenize_with_fault("server-failed"), Kind::Gateway, Box::new(|_| {})),
        ("reset mid-answer", tokenize_with_fault("reset"), Kind::Io, Box::new(|_| {})),
        ("answer timed out", session_with_fault("silent", "x"), Kind::Timeout, Box::new(|_| {})),
    ];
    for (what, request, kind, adjust) in cases {
        let log = Log::default();
        let client = sim_client(&sim, 5, &log, adjust);
        let err = client.execute(&request).unwrap_err();
        assert_eq!(err.kind(), kind, "{what}: {err}");
        assert_eq!(attempts(&log), 1, "{what} was retried: {}", log.dump());
    }
}

#[test]
fn a_connect_failure_is_retried_and_stays_within_the_timeout() {
    let log = Log::default();
    let mut config = config(&format!("http://127.0.0.1:{}", closed_port()));
    config.set_retries(2).unwrap();
    config.set_log(LogLevel::Info, log.sink());
    let client = Client::new(&config).unwrap();
    let (outcome, took) = timed(|| client.create_session());
    let err = outcome.unwrap_err();
    eprintln!("connect failure: {:?} in {} ms", err.kind(), took.as_millis());
    assert_eq!(err.kind(), Kind::Connect, "{err}");
    assert!(err.message().contains("was not sent"), "{err}");
    assert_eq!(attempts(&log), 3, "{}", log.dump());
    assert!(took < BOUND, "{took:?}");
}

#[test]
fn a_retry_that_would_pass_the_call_timeout_is_not_made() {
    let sim = https_sim("budget");
    let log = Log::default();
    // 10 retries would wait 200 + 400 + ... ms: far more than one second.
    let client = sim_client(&sim, 10, &log, |c| c.set_timeout(Duration::from_secs(1)).unwrap());
    let (outcome, took) = timed(|| client.execute(&session_with_fault("server-busy", "budget")));
    assert_eq!(outcome.unwrap_err().kind(), Kind::Gateway);
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert_eq!(log.count("no retry, the call's timeout would pass"), 1, "{}", log.dump());
}

#[test]
fn correlation_id_http_status_and_duration_reach_the_response() {
    let sim = https_sim("per-call");
    let log = Log::default();
    let client = sim_client(&sim, 0, &log, |_| {});

    let mut session = Request::create_session();
    session.set("correlationId", "till-7-receipt-0042").unwrap();
    let (answer, took) = timed(|| client.execute(&session));
    let answer = answer.unwrap();
    assert_eq!(answer.get("correlationId"), Some("till-7-receipt-0042"));
    assert!((200..300).contains(&answer.http_status()), "{}", answer.http_status());
    assert!(answer.duration() > Duration::ZERO && answer.duration() <= took);

    let mut tokenize = Request::tokenize_p2pe(None, &p2pe(&terminal_card())).unwrap();
    tokenize.set("correlationId", "till-7-receipt-0043").unwrap();
    let token = client.execute(&tokenize).unwrap();
    assert_eq!(token.get("correlationId"), Some("till-7-receipt-0043"));
    assert!(token.get("token").is_some());
    assert!((200..300).contains(&token.http_status()));

    let info: Vec<_> = log.lines().into_iter().filter(|(level, _)| *level == LogLevel::Info).collect();
    assert_eq!(info.len(), 2, "{}", log.dump());
    for (_, line) in info {
        assert!(
            line.contains(&format!("{}/api/nvp/version/50", sim.base_url())) && line.contains("-> HTTP 20"),
            "{line}"
        );
        assert!(line.contains(" ms)"), "{line}");
    }
}
