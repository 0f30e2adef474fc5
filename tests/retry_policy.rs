//! The retry policy (docs/production.md, "Retries") cell by cell, and the
//! fault matrix: every gw-sim fault × CREATE_SESSION, TOKENIZE with a
//! merchant's token, TOKENIZE without one, and TOKENIZE without one in a
//! unique-card repository that gw is told of × HTTP and HTTPS, through the C
//! ABI. Each call ends in its documented status after its documented number
//! of attempts, within the call's timeout plus one second; a call that made
//! more than one attempt says so in its error.
//!
//! The cells run in parallel (each its own client), so the whole matrix takes
//! about as long as its slowest cell, about a second.

mod common;

use std::time::{Duration, Instant};

use common::{execute_c, last_error, p2pe_fields, CConfig, Log, TlsSim};
use gw::config::LogLevel;
use gw::Kind;

/// Retries configured in every cell: a retried cell makes 3 attempts.
const RETRIES: u32 = 2;
/// The call timeout of a cell whose failures are quick: long enough for both
/// waits (at most 0.3 s + 0.6 s) whatever the machine's load.
const QUICK: u32 = 3000;
/// The call timeout of a cell that waits for the timeout itself.
const SHORT: u32 = 300;

/// The three columns of the policy table.
#[derive(Clone, Copy, Debug)]
enum Call {
    CreateSession,
    /// TOKENIZE with the merchant's own `token`: create-or-update.
    TokenizeWithToken,
    /// TOKENIZE without `token`: the gateway generates one.
    TokenizeNewToken,
    /// TOKENIZE without `token` in a unique-card repository, with
    /// `gw_config_set_token_repository_unique_card`: a repeat returns the
    /// card's token, so it is retried like CREATE_SESSION.
    TokenizeUniqueCard,
}

const CALLS: [Call; 4] =
    [Call::CreateSession, Call::TokenizeWithToken, Call::TokenizeNewToken, Call::TokenizeUniqueCard];

/// One row: a gw-sim fault (or none), the call timeout, the status every
/// column ends in (`None` for `GW_OK`), the attempts per column, and
/// whether the failure is in doubt (`gw_last_error_in_doubt`, a column of
/// its own: the same in every column, since every fault here comes after
/// gw-sim read the request).
struct Row {
    fault: &'static str,
    timeout_ms: u32,
    status: Option<Kind>,
    attempts: [usize; 4],
    in_doubt: bool,
}

const fn row(fault: &'static str, timeout_ms: u32, status: Option<Kind>, attempts: [usize; 4], in_doubt: bool) -> Row {
    Row { fault, timeout_ms, status, attempts, in_doubt }
}

/// The documented matrix (docs/production.md, "What a failure looks like").
const MATRIX: [Row; 16] = [
    row("", QUICK, None, [1, 1, 1, 1], false),
    row("delay,ms=100", QUICK, None, [1, 1, 1, 1], false),
    // The answer never comes in time: the call's whole budget is spent, no
    // retry fits, whatever the operation.
    row("delay,ms=2000", SHORT, Some(Kind::Timeout), [1, 1, 1, 1], true),
    row("silent", SHORT, Some(Kind::Timeout), [1, 1, 1, 1], true),
    // The connection breaks after the request went out: in doubt. Repeated
    // only where a repeat has no second effect.
    row("reset", QUICK, Some(Kind::Io), [3, 3, 1, 3], true),
    row("truncate", QUICK, Some(Kind::Io), [3, 3, 1, 3], true),
    row("server-failed", QUICK, Some(Kind::Gateway), [3, 3, 1, 3], true),
    // The gateway says it did not process the request: retried for all.
    row("server-busy", QUICK, Some(Kind::Gateway), [3, 3, 3, 3], false),
    row("busy-then-ok=1", QUICK, None, [2, 2, 2, 2], false),
    row("busy-then-ok=2", QUICK, None, [3, 3, 3, 3], false),
    // A shut-down gateway answers every operation SERVER_BUSY (CHECK_GATEWAY: SHUTDOWN).
    row("shutdown", QUICK, Some(Kind::Gateway), [3, 3, 3, 3], false),
    // Answers that are not answers, and final results: never retried.
    row("oversize", QUICK, Some(Kind::Protocol), [1, 1, 1, 1], true),
    row("garbage", QUICK, Some(Kind::Protocol), [1, 1, 1, 1], true),
    row("http500-html", QUICK, Some(Kind::Protocol), [1, 1, 1, 1], true),
    row("result-pending", QUICK, Some(Kind::Pending), [1, 1, 1, 1], true),
    row("result-unknown", QUICK, Some(Kind::UnknownResult), [1, 1, 1, 1], true),
];

/// A gateway to run the matrix against.
struct Gateway {
    base_url: String,
    /// The CA file to trust (HTTPS), else `None`: the bundled roots.
    ca_file: Option<String>,
}

/// What one call through the C ABI did.
struct Outcome {
    status: u32,
    attempts: usize,
    took: Duration,
    message: String,
    in_doubt: bool,
}

/// Makes one call of `call` to `gateway` with `correlation_id`, through the
/// C ABI, with its own client; counts its attempts by their log lines.
fn call_c(gateway: &Gateway, call: Call, correlation_id: &str, timeout_ms: u32) -> Outcome {
    let log = Log::default();
    let mut config = CConfig::for_url(&gateway.base_url)
        .timeout(Duration::from_millis(u64::from(timeout_ms)))
        .retries(RETRIES)
        .log(&log);
    if let Some(ca_file) = &gateway.ca_file {
        config = config.ca_bundle(ca_file);
    }
    if matches!(call, Call::TokenizeUniqueCard) {
        config = config.unique_card();
    }
    let client = config.client();
    let card = common::terminal_card();
    let id = [("correlationId", correlation_id)];
    let (operation, fields) = match call {
        Call::CreateSession => ("CREATE_SESSION", common::pairs(&id)),
        Call::TokenizeWithToken => ("TOKENIZE", p2pe_fields(&card, &[id[0], ("token", "9876543210120008")])),
        Call::TokenizeNewToken | Call::TokenizeUniqueCard => ("TOKENIZE", p2pe_fields(&card, &id)),
    };
    let started = Instant::now();
    let (status, _response) = execute_c(&client, operation, &fields);
    let took = started.elapsed();
    // The last error is only meaningful after a failure (a success keeps it).
    let message = if status == 0 { String::new() } else { last_error() };
    let in_doubt = status != 0 && common::last_error_in_doubt();
    let attempts =
        log.lines().iter().filter(|(level, line)| *level == LogLevel::Info && line.contains(" attempt ")).count();
    Outcome { status, attempts, took, message, in_doubt }
}

/// Checks one cell; returns a line for the report, or the mismatch.
fn check(
    what: &str,
    outcome: &Outcome,
    status: Option<Kind>,
    attempts: usize,
    in_doubt: bool,
    timeout_ms: u32,
) -> Result<String, String> {
    let expected = status.map_or(0, Kind::status);
    let bound = Duration::from_millis(u64::from(timeout_ms)) + Duration::from_secs(1);
    let line = format!(
        "{what:<52} status {:>2} attempts {} in doubt {} {:>5} ms  {}",
        outcome.status,
        outcome.attempts,
        u8::from(outcome.in_doubt),
        outcome.took.as_millis(),
        outcome.message
    );
    let says_attempts = outcome.message.contains(&format!("after {attempts} attempts over "));
    if outcome.status != expected
        || outcome.attempts != attempts
        || outcome.in_doubt != (expected != 0 && in_doubt)
        || outcome.took >= bound
        || (expected != 0 && attempts > 1 && !says_attempts)
        || (attempts == 1 && outcome.message.contains(" attempts over "))
    {
        return Err(format!(
            "{line}\n    expected status {expected}, {attempts} attempt(s), in doubt {in_doubt}, under {bound:?}"
        ));
    }
    Ok(line)
}

/// One cell of a matrix: its name, and the call that checks it.
type Cell<'a> = (String, Box<dyn FnOnce() -> Result<String, String> + Send + 'a>);

/// Cells run at once: enough that the matrix takes about a second, few
/// enough that TLS handshakes on two loaded cores do not eat the waits.
const WORKERS: usize = 12;

/// Runs the cells on [`WORKERS`] threads, then fails listing every mismatch.
fn run_all(cells: Vec<Cell<'_>>) {
    let total = cells.len();
    let queue = std::sync::Mutex::new(cells.into_iter());
    let mut results: Vec<Result<String, String>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..WORKERS)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    while let Some((_, cell)) = {
                        let next = queue.lock().unwrap().next();
                        next
                    } {
                        done.push(cell());
                    }
                    done
                })
            })
            .collect();
        workers.into_iter().flat_map(|worker| worker.join().expect("a cell panicked")).collect()
    });
    results.sort_by(|a, b| a.as_ref().unwrap_or_else(|e| e).cmp(b.as_ref().unwrap_or_else(|e| e)));
    let lines: Vec<&str> = results.iter().map(|r| r.as_ref().unwrap_or_else(|e| e).as_str()).collect();
    eprintln!("{}", lines.join("\n"));
    let failed: Vec<&str> = results.iter().filter_map(|r| r.as_ref().err()).map(String::as_str).collect();
    assert_eq!(results.len(), total);
    assert!(failed.is_empty(), "{} of {total} cells differ:\n{}", failed.len(), failed.join("\n"));
}

#[test]
fn every_fault_for_every_operation_over_http_and_https() {
    // A request that names its token creates it only in a Merchant-Supplied
    // repository (the reference; a Random one refuses an unknown token), and
    // such a repository needs the token: the call with a token goes to one,
    // the others to gw-sim's default repository.
    // The unique-card column goes to a unique-card repository.
    let merchant_supplied = || common::sim_config().token_strategy(gw_sim::TokenStrategy::MerchantSupplied);
    let unique_card = || common::sim_config().repository_mode(gw_sim::RepositoryMode::UniqueCard);
    let (plain, plain_ms, plain_uc) = (common::sim(), common::start(merchant_supplied()), common::start(unique_card()));
    let tls = TlsSim::start("retry-policy", common::sim_config());
    let tls_ms = TlsSim::start("retry-policy-ms", merchant_supplied());
    let tls_uc = TlsSim::start("retry-policy-uc", unique_card());
    let gateways = [
        (
            "http",
            Gateway { base_url: plain.base_url(), ca_file: None },
            Gateway { base_url: plain_ms.base_url(), ca_file: None },
            Gateway { base_url: plain_uc.base_url(), ca_file: None },
        ),
        (
            "https",
            Gateway { base_url: tls.base_url(), ca_file: Some(tls.ca_file.clone()) },
            Gateway { base_url: tls_ms.base_url(), ca_file: Some(tls_ms.ca_file.clone()) },
            Gateway { base_url: tls_uc.base_url(), ca_file: Some(tls_uc.ca_file.clone()) },
        ),
    ];
    let mut cells: Vec<Cell<'_>> = Vec::new();
    for (scheme, generated, supplied, unique) in &gateways {
        for row in &MATRIX {
            for (column, call) in CALLS.into_iter().enumerate() {
                let gateway = match call {
                    Call::TokenizeWithToken => supplied,
                    Call::TokenizeUniqueCard => unique,
                    Call::CreateSession | Call::TokenizeNewToken => generated,
                };
                let what = format!("{scheme} {call:?} {}", if row.fault.is_empty() { "no fault" } else { row.fault });
                // The tag keeps busy-then-ok's per-correlationId counters apart.
                let id = if row.fault.is_empty() {
                    format!("matrix-{scheme}-{column}")
                } else {
                    format!("gw-sim:fault={},tag={scheme}{column}", row.fault)
                };
                cells.push((
                    what.clone(),
                    Box::new(move || {
                        let outcome = call_c(gateway, call, &id, row.timeout_ms);
                        check(&what, &outcome, row.status, row.attempts[column], row.in_doubt, row.timeout_ms)
                    }),
                ));
            }
        }
    }
    run_all(cells);
}

/// Runs `call` of every column against `base_url` (trusting only the bundled
/// roots), expecting `status` after `attempts` per column; nothing is sent
/// in any of these, so none is in doubt.
fn every_column(what: &str, base_url: &str, status: Kind, attempts: [usize; 4]) {
    let cells = CALLS
        .into_iter()
        .enumerate()
        .map(|(column, call)| -> Cell<'_> {
            let name = format!("{what} {call:?}");
            let gateway = Gateway { base_url: base_url.to_owned(), ca_file: None };
            (
                name.clone(),
                Box::new(move || {
                    let outcome = call_c(&gateway, call, "till-7-0042", QUICK);
                    check(&name, &outcome, Some(status), attempts[column], false, QUICK)
                }),
            )
        })
        .collect();
    run_all(cells);
}

/// Nothing was sent: every operation is retried.
#[test]
fn a_refused_connection_is_retried_for_every_operation() {
    let closed = common::closed_port();
    every_column("connect", &format!("http://127.0.0.1:{closed}"), Kind::Connect, [3, 3, 3, 3]);
}

/// Nothing was sent: every operation is retried (issue 13, defect 4).
#[test]
fn a_host_that_does_not_resolve_is_retried_for_every_operation() {
    every_column("resolve", "https://gw-retry-policy.invalid", Kind::Connect, [3, 3, 3, 3]);
}

/// Nothing was sent, but the cause does not pass: never retried.
#[test]
fn an_untrusted_certificate_is_never_retried() {
    // The client trusts only the bundled roots, not gw-sim's own CA.
    let tls = common::start(common::sim_config().tls_generated());
    every_column("tls", &tls.base_url(), Kind::Tls, [1, 1, 1, 1]);
}
