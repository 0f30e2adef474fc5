//! The hostile-server matrix (issue 17; the TLS-level modes of issue 24,
//! where gw's buffers meet rustls': a close-delimited answer cut without
//! close_notify, an unsolicited answer behind a full-record one, a
//! HelloRequest idle and mid-answer from `openssl s_server`, a ticket flood
//! on an idle connection, an alert on a pooled one): every mode of the
//! loopback hostile gateway (`tests/common/hostile.rs`) × CREATE_SESSION, TOKENIZE with a
//! merchant's `token` (a repeat is harmless), TOKENIZE without one (a repeat
//! stores the card under a second token), the latter also with no retries
//! configured × HTTP, HTTPS and HTTPS through a CONNECT proxy, through the C
//! ABI, with the till's default SIGPIPE disposition.
//!
//! Every cell checks the call under test's status, the attempts its log
//! reports, how many requests the server read for it (never more than one
//! for a TOKENIZE without a token, and only the logged attempts: no hidden
//! resend), that it ended within the timeout plus one second, that an
//! answer is the call's own, and that SIGPIPE is still at its default (the
//! process being alive to check shows no write raised it).
//!
//! The cells run on parallel workers; a call that does not end is given up
//! after the timeout plus five seconds (the cell fails) instead of hanging
//! the suite.
//!
//! Linux only: signal dispositions and /proc/self/status.
#![cfg(target_os = "linux")]

mod common;

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use common::hostile::{session_id, Hostile, Mode, When};
use common::{last_error, terminal_card, CClient, CResponse, Log, BOUND, TIMEOUT};
use gw::config::LogLevel;
use gw::ffi::status::*;

/// Retries configured in every cell but [`Call::TokenizeNewTokenNoRetries`]:
/// a retried call makes three attempts.
const RETRIES: u32 = 2;
/// A call still running this long after it started has hung: the cell fails.
const GUARD: Duration = Duration::from_secs(TIMEOUT.as_secs() + 5);
/// Parallel cells: most wait on sockets, not on the CPU.
const WORKERS: usize = 12;
/// The most a flooding proxy may make the process grow.
const RSS_BOUND_KB: i64 = 4 * 1024;

/// A merchant's token: TOKENIZE with it is create-or-update, harmless twice.
const TOKEN: &str = "9876543210120008";

// Chunked bodies with bad sizes.
const NON_HEX: &str = "zz\r\nresult=SUCCESS\r\n0\r\n\r\n";
const NEGATIVE: &str = "-10\r\nresult=SUCCESS&session.id=SESSION0002NEGATIVE\r\n0\r\n\r\n";
const OVERFLOWING: &str = "1ffffffffffffffff\r\nresult=SUCCESS\r\n0\r\n\r\n";
/// A size larger than what follows, then the close: the answer is cut short.
const CUT_SHORT: &str = "1000\r\nresult=SUCCESS&session.id=SESSION0002CUTSHORT\r\n";

/// Every mode of the server, each crossed with every call and every path it
/// applies to.
const MODES: [Mode; 40] = [
    Mode::Close(When::Always),
    Mode::Close(When::Once),
    Mode::Close(When::Pooled),
    Mode::Close(When::PooledOnce),
    Mode::Reset(When::Always),
    Mode::Reset(When::Once),
    Mode::Reset(When::Pooled),
    Mode::Reset(When::PooledOnce),
    Mode::ResetOnAccept,
    Mode::IdleClose,
    Mode::IdleReset,
    Mode::IdleCloseNotify,
    Mode::Unsolicited { close: true },
    Mode::Unsolicited { close: false },
    Mode::TrickleHandshake,
    Mode::TrickleConnect,
    Mode::TrickleHead,
    Mode::TrickleBody,
    Mode::CorruptRecord,
    Mode::ProxyFlood,
    Mode::ProxyResetOnAccept,
    Mode::ProxyResetAfterConnect,
    Mode::BadChunks(NON_HEX),
    Mode::BadChunks(NEGATIVE),
    Mode::BadChunks(OVERFLOWING),
    Mode::BadChunks(CUT_SHORT),
    Mode::ShortContentLength,
    // Issue 24: where gw's buffers meet rustls'.
    Mode::Http10Cut,
    Mode::FullRecordUnsolicited,
    Mode::RenegotiateIdle,
    Mode::RenegotiateMidAnswer,
    Mode::TicketFlood,
    Mode::AlertPooled,
    // The good behaviour to keep.
    Mode::Normal,
    Mode::Chunked,
    Mode::Http10,
    Mode::Continue100,
    Mode::EarlyHints,
    Mode::ConnectionClose,
    Mode::OversizedHead,
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Call {
    CreateSession,
    /// TOKENIZE with the merchant's own `token`: a repeat is harmless.
    TokenizeWithToken,
    /// TOKENIZE without `token` (`gw_tokenize_p2pe` with token NULL): a
    /// repeat can store the card under a second token.
    TokenizeNewToken,
    /// The same with `gw_config_set_retries(config, 0)`, which must change
    /// nothing: the request goes out once either way.
    TokenizeNewTokenNoRetries,
}

const CALLS: [Call; 4] =
    [Call::CreateSession, Call::TokenizeWithToken, Call::TokenizeNewToken, Call::TokenizeNewTokenNoRetries];

impl Call {
    fn harmless(self) -> bool {
        matches!(self, Call::CreateSession | Call::TokenizeWithToken)
    }

    fn retries(self) -> u32 {
        if self == Call::TokenizeNewTokenNoRetries {
            0
        } else {
            RETRIES
        }
    }

    /// Makes the call on `client`.
    fn make(self, client: &CClient) -> (gw_status, CResponse) {
        static CARD: OnceLock<gw_sim::terminal::P2pe> = OnceLock::new();
        let card = CARD.get_or_init(terminal_card);
        let token = match self {
            Call::CreateSession => return client.create_session(),
            Call::TokenizeWithToken => Some(TOKEN),
            Call::TokenizeNewToken | Call::TokenizeNewTokenNoRetries => None,
        };
        client.tokenize_p2pe(token, &card.ksn, &card.payload, None, Some(&card.card_bin))
    }

    /// The answer's own field: the server numbers the answers by request.
    fn own_answer(self, index: usize) -> (&'static str, String) {
        match self {
            Call::CreateSession => ("session.id", session_id(index)),
            _ => ("token", format!("9{index:015}")),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Path {
    Http,
    Https,
    /// HTTPS through the proxy's tunnel (gw refuses plain http through a
    /// proxy).
    HttpsProxy,
}

const PATHS: [Path; 3] = [Path::Http, Path::Https, Path::HttpsProxy];

impl Path {
    fn applies_to(self, mode: Mode) -> bool {
        match self {
            Path::Http => !mode.is_tls() && !mode.is_proxy() && mode != Mode::ResetOnAccept,
            Path::Https => !mode.is_proxy(),
            Path::HttpsProxy => true,
        }
    }
}

/// What the call under test must end in.
#[derive(Debug, PartialEq, Eq)]
struct Expected {
    status: gw_status,
    attempts: usize,
    /// Requests the server reads during the call.
    requests: usize,
    /// `gw_last_error_in_doubt()` after a failing call (0 after `GW_OK`).
    in_doubt: u32,
}

/// A cell's expectation. In doubt exactly when the call failed after the
/// server read a request: the request may have been processed and no
/// readable answer says what happened (every failure of the matrix is a
/// transport or a protocol one; none is the gateway's own answer).
const fn expect(status: gw_status, attempts: usize, requests: usize) -> Expected {
    let in_doubt = (status != GW_OK && requests > 0) as u32;
    Expected { status, attempts, requests, in_doubt }
}

/// Issue 17's expectations, mode by mode, within the call's retries.
fn expected(mode: Mode, call: Call) -> Expected {
    // Only a call that was never sent is retried for a TOKENIZE without a
    // token; with no retries configured it makes one attempt.
    let mut expected = expected_with_retries(mode, call);
    expected.attempts = expected.attempts.min(call.retries() as usize + 1);
    expected
}

/// [`expected`] with [`RETRIES`] retries.
fn expected_with_retries(mode: Mode, call: Call) -> Expected {
    // In doubt: the harmless calls are retried by the retry table (every
    // retry is a logged attempt and one more request read); a TOKENIZE
    // without a token goes out exactly once.
    let in_doubt = |status| if call.harmless() { expect(status, 3, 3) } else { expect(status, 1, 1) };
    match mode {
        Mode::Close(when) | Mode::Reset(when) => match when {
            When::Once | When::PooledOnce if call.harmless() => expect(GW_OK, 2, 2),
            _ => in_doubt(GW_ERR_IO),
        },
        // An alert on a connection whose handshake finished long before,
        // after the request went out: a broken exchange, in doubt, retried
        // (on a fresh connection, answered) where the table allows; never
        // "the server refused the handshake".
        Mode::AlertPooled if call.harmless() => expect(GW_OK, 2, 2),
        Mode::AlertPooled => in_doubt(GW_ERR_IO),
        // A damaged answer after the request is a broken exchange, in
        // doubt, not a refused handshake.
        Mode::CorruptRecord => in_doubt(GW_ERR_IO),
        // Cut short like a Content-Length body cut short: a broken exchange.
        // Over TLS a close-delimited answer ends only with close_notify: a
        // TCP close without it is a cut, never a whole answer.
        Mode::BadChunks(CUT_SHORT) | Mode::Http10Cut => in_doubt(GW_ERR_IO),
        Mode::BadChunks(_) | Mode::OversizedHead => expect(GW_ERR_PROTOCOL, 1, 1),
        // Nothing was sent: retried for every operation.
        Mode::ResetOnAccept | Mode::ProxyResetOnAccept | Mode::ProxyResetAfterConnect => expect(GW_ERR_CONNECT, 3, 0),
        // One deadline per call, never renewed by progress.
        Mode::TrickleHandshake | Mode::TrickleConnect => expect(GW_ERR_TIMEOUT, 1, 0),
        Mode::TrickleHead | Mode::TrickleBody => expect(GW_ERR_TIMEOUT, 1, 1),
        // A bounded head, its own clear message; nothing was sent, so
        // retried like a proxy that closed (docs/transport.md: transient).
        Mode::ProxyFlood => expect(GW_ERR_CONNECT, 3, 0),
        // The idle connection is found dead or dirty before the request is
        // written: a fresh one, nothing in doubt.
        Mode::IdleClose | Mode::IdleReset | Mode::IdleCloseNotify | Mode::Unsolicited { .. } => expect(GW_OK, 1, 1),
        // Something left at any layer after an answer (an unsolicited
        // answer inside rustls, an alert rustls wants to send), or a flood
        // of records the idle check stops reading: the connection is not
        // reused, the call goes out once on a fresh one.
        Mode::FullRecordUnsolicited | Mode::RenegotiateIdle | Mode::RenegotiateMidAnswer | Mode::TicketFlood => {
            expect(GW_OK, 1, 1)
        }
        Mode::ShortContentLength
        | Mode::Normal
        | Mode::Chunked
        | Mode::Http10
        | Mode::Continue100
        | Mode::EarlyHints
        | Mode::ConnectionClose => expect(GW_OK, 1, 1),
    }
}

#[derive(Clone, Copy, Debug)]
struct Cell {
    mode: Mode,
    call: Call,
    path: Path,
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = match self.mode {
            Mode::BadChunks(NON_HEX) => "BadChunks(non-hex)".to_owned(),
            Mode::BadChunks(NEGATIVE) => "BadChunks(negative)".to_owned(),
            Mode::BadChunks(OVERFLOWING) => "BadChunks(overflowing)".to_owned(),
            Mode::BadChunks(CUT_SHORT) => "BadChunks(cut short)".to_owned(),
            mode => format!("{mode:?}"),
        };
        write!(f, "{mode} × {:?} × {:?}", self.call, self.path)
    }
}

/// Info lines " attempt " in `log`: one per attempt.
fn attempts(log: &Log) -> usize {
    log.lines().iter().filter(|(level, line)| *level == LogLevel::Info && line.contains(" attempt ")).count()
}

/// SIGPIPE's disposition is the default, as the test set it: gw neither
/// changed it nor depends on it being ignored.
fn sigpipe_is_default() -> bool {
    // SAFETY: an all-zero sigaction is a valid value to be overwritten.
    let mut current: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: a query (no new action); `current` is writable.
    let rc = unsafe { libc::sigaction(libc::SIGPIPE, std::ptr::null(), &mut current) };
    rc == 0 && current.sa_sigaction == libc::SIG_DFL
}

/// The till's disposition: the Rust runtime ignores SIGPIPE, a C program
/// does not.
fn default_sigpipe() {
    // SAFETY: setting a standard signal's disposition to its default.
    let previous = unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    assert_ne!(previous, libc::SIG_ERR);
    assert!(sigpipe_is_default());
}

/// The process's resident memory, from /proc/self/status.
fn rss_kb() -> i64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|line| line.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

impl Cell {
    fn all() -> Vec<Cell> {
        let mut cells = Vec::new();
        for mode in MODES {
            for path in PATHS.into_iter().filter(|path| path.applies_to(mode)) {
                for call in CALLS {
                    cells.push(Cell { mode, call, path });
                }
            }
        }
        cells
    }

    /// Runs the cell with a guard against a call that never ends; a report
    /// line, or what went wrong.
    fn run_guarded(self, measure_memory: bool) -> Result<String, String> {
        let hostile = Hostile::start(self.mode, self.path != Path::Http, self.path == Path::HttpsProxy);
        let stop = hostile.stopper();
        let (sender, receiver) = mpsc::channel();
        let rss_before = rss_kb();
        thread::spawn(move || {
            let _ = sender.send(self.run(&hostile, measure_memory));
        });
        let guard = if self.mode.two_calls() { GUARD * 2 } else { GUARD };
        receiver.recv_timeout(guard).unwrap_or_else(|_| {
            let grown = rss_kb() - rss_before;
            // Stops the server's slow or flooding writes, which ends the
            // call; waits a little for it, so that the next cell measured
            // alone is alone.
            stop();
            let _ = receiver.recv_timeout(GUARD);
            let grown = if measure_memory { format!(" (the process grew by {grown} kB)") } else { String::new() };
            Err(format!("{self}: the call did not end within {} s{grown}", guard.as_secs()))
        })
    }

    fn run(self, hostile: &Hostile, measure_memory: bool) -> Result<String, String> {
        let log = Log::default();
        let client = hostile.config().timeout(TIMEOUT).retries(self.call.retries()).log(&log);
        let client = client.client();
        let fail = |what: String| Err(format!("{self}: {what}\n  log:\n{}", log.dump()));
        if self.mode.two_calls() {
            // The first call is answered; its connection stays in the pool.
            let (status, response) = self.call.make(&client);
            if status != GW_OK || attempts(&log) != 1 {
                return fail(format!("first call: status {status}: {}", last_error()));
            }
            self.check_answer(&response, hostile)?;
            if self.mode.is_idle() {
                hostile.wait_for_idle_action();
            }
        }
        let (requests_before, attempts_before, rss_before) = (hostile.requests(), attempts(&log), rss_kb());
        let started = Instant::now();
        let (status, response) = self.call.make(&client);
        let took = started.elapsed();
        let message = if status == GW_OK { String::new() } else { last_error() };
        let grown = rss_kb() - rss_before;
        // A request the server is still reading when gw gives up is counted
        // a moment later.
        thread::sleep(Duration::from_millis(50));
        let observed = Expected {
            status,
            attempts: attempts(&log) - attempts_before,
            requests: hostile.requests() - requests_before,
            in_doubt: if status == GW_OK { 0 } else { gw::ffi::error::gw_last_error_in_doubt() },
        };
        let wanted = expected(self.mode, self.call);
        let (name, _) = self.call.own_answer(0);
        let got = if status == GW_OK { format!("{name}={:?} ", response.get(name)) } else { String::new() };
        let line = format!(
            "{self}: status {} attempts {} requests {} in doubt {} {got}in {} ms {message}",
            observed.status,
            observed.attempts,
            observed.requests,
            observed.in_doubt,
            took.as_millis()
        );
        if observed != wanted {
            return fail(format!("{line}\n  expected {wanted:?}"));
        }
        if took > BOUND {
            return fail(format!("{line}\n  longer than the timeout plus one second"));
        }
        if !sigpipe_is_default() {
            return fail(format!("{line}\n  SIGPIPE is no longer at its default disposition"));
        }
        if status == GW_OK {
            self.check_answer(&response, hostile)?;
        }
        if self.mode == Mode::ProxyFlood {
            if !message.contains("proxy") {
                return fail(format!("{line}\n  the message does not name the proxy"));
            }
            if measure_memory && grown > RSS_BOUND_KB {
                return fail(format!("{line}\n  the process grew by {grown} kB"));
            }
        }
        Ok(line)
    }

    /// The answer is the one to the last request the server read: never a
    /// forged or leftover answer, never the 408 of an idle connection.
    fn check_answer(self, response: &CResponse, hostile: &Hostile) -> Result<(), String> {
        let (name, value) = self.call.own_answer(hostile.requests() - 1);
        match response.get(name) {
            Some(got) if got == value => Ok(()),
            got => Err(format!("{self}: the answer has {name}={got:?}, not the call's own {value}")),
        }
    }
}

#[test]
fn the_hostile_server_matrix() {
    default_sigpipe();
    let started = Instant::now();
    // GW_HOSTILE_CELLS=TEXT runs only the cells whose name contains TEXT
    // (e.g. "IdleReset × CreateSession"), or ends with it when it ends with
    // '$' ("IdleReset × CreateSession × Http$"): for the one being fixed.
    let only = std::env::var("GW_HOSTILE_CELLS").unwrap_or_default();
    let wanted = |name: String| match only.strip_suffix('$') {
        Some(end) => name.ends_with(end),
        None => name.contains(&only),
    };
    let cells: Vec<Cell> = Cell::all().into_iter().filter(|cell| wanted(cell.to_string())).collect();
    if only.is_empty() {
        // docs/reliability.md's table gives the matrix's size (and the
        // README its count).
        let table = std::fs::read_to_string(common::root().join("docs/reliability.md")).unwrap();
        let figure = format!("{} cells, each its status, attempts and requests received", cells.len());
        assert!(table.contains(&figure), "docs/reliability.md does not say \"{figure}\"");
        let readme = std::fs::read_to_string(common::root().join("README.md")).unwrap();
        let count = format!("{} hostile-server cells", cells.len());
        assert!(readme.contains(&count), "README.md does not say \"{count}\"");
    }
    // The flooding proxy's cells run alone afterwards, so that the memory
    // they measure is theirs.
    let (alone, parallel): (Vec<Cell>, Vec<Cell>) = cells.iter().partition(|cell| cell.mode == Mode::ProxyFlood);
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| {
                while let Some(cell) = parallel.get(next.fetch_add(1, Ordering::SeqCst)) {
                    let result = cell.run_guarded(false);
                    results.lock().unwrap().push(result);
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.extend(alone.iter().map(|cell| cell.run_guarded(true)));
    let failures: Vec<&String> = results.iter().filter_map(|result| result.as_ref().err()).collect();
    for line in results.iter().filter_map(|result| result.as_ref().ok()) {
        println!("{line}");
    }
    println!("{} cells, {} failed, in {} s", cells.len(), failures.len(), started.elapsed().as_secs());
    assert!(
        failures.is_empty(),
        "{} of {} cells failed:\n{}",
        failures.len(),
        cells.len(),
        failures.iter().map(|failure| failure.as_str()).collect::<Vec<_>>().join("\n")
    );
}
