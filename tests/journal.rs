//! The payment journal through the C ABI against gw-sim's ledger: a payment
//! killed (SIGKILL) between its intent and its outcome is found and resolved
//! by `gw_journal_recover` in another process; a request that never reached
//! the gateway is recovered as "not sent" with its ids kept, and sent again
//! with them, charged once; the warm happy-path PAY still sends one request;
//! several clients and threads share one file; and the journal's files (db,
//! -wal, -shm) hold no card data or credentials, scanned byte by byte.
//!
//! SQLite is C: none of this runs under Miri (`cargo miri test -p gw --lib`
//! runs the library's unit tests only, and the journal's are cfg(not(miri))).

mod common;

use std::ffi::{c_char, c_void};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use gw::ffi::journal::*;
use gw::ffi::response::{gw_response, gw_response_get};
use gw::ffi::status::*;
use gw_sim::terminal::{self, Plaintext, TerminalOptions};

const V: u32 = 100;
const VISA: &str = "4012000033330026";

/// The environment variable that makes [`child_pays`] pay: the journal's
/// path, the base URL and the order id, separated by `|`.
const CHILD: &str = "GW_JOURNAL_TEST_CHILD";

fn card() -> gw_sim::terminal::P2pe {
    let opts = TerminalOptions { plaintext: Plaintext::Track2, expiry: Some("0139".into()), ..Default::default() };
    terminal::encrypt(VISA, &opts).expect("encrypts")
}

fn charges(sim: &gw_sim::Sim) -> usize {
    sim.ledger().json().matches("\"gatewayCode\":\"APPROVED\"").count()
}

/// A fresh directory for one test's journal, removed when dropped (after
/// the clients declared below it).
struct JournalDir(PathBuf);

impl std::ops::Deref for JournalDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for JournalDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn journal_dir(tag: &str) -> JournalDir {
    let dir = std::env::temp_dir().join(format!("gw-journal-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    JournalDir(dir)
}

fn pay(
    client: &CClient,
    order: &str,
    card: &gw_sim::terminal::P2pe,
    correlation: Option<&str>,
) -> (gw_status, CResponse) {
    let (status, request) = CRequest::pay_p2pe("PAY", [order, "1", "12.50", "USD"], card);
    assert_eq!(status, GW_OK, "{}", last_error());
    if let Some(id) = correlation {
        assert_eq!(request.set("correlationId", id), GW_OK);
    }
    client.execute(&request)
}

/// One intent as `gw_journal_recover` handed it over.
#[derive(Debug, Clone, PartialEq)]
struct Handed {
    outcome: u32,
    operation: String,
    order_id: String,
    transaction_id: String,
    amount: Option<String>,
    currency: Option<String>,
    gateway_code: Option<String>,
}

unsafe extern "C" fn collect(
    userdata: *mut c_void,
    outcome: u32,
    operation: *const c_char,
    order_id: *const c_char,
    transaction_id: *const c_char,
    amount: *const c_char,
    currency: *const c_char,
    recorded_at_ms: u64,
    response: *const gw_response,
) {
    assert!(recorded_at_ms > 1_700_000_000_000, "a time since 1970 in ms: {recorded_at_ms}");
    // SAFETY: `recover` passes a live Vec as userdata.
    let handed = unsafe { &mut *(userdata as *mut Vec<Handed>) };
    let code = if response.is_null() {
        None
    } else {
        // SAFETY: a live response for the duration of the callback.
        read(unsafe { gw_response_get(response, c("response.gatewayCode").as_ptr()) })
    };
    handed.push(Handed {
        outcome,
        operation: read(operation).expect("operation"),
        order_id: read(order_id).expect("order id"),
        transaction_id: read(transaction_id).expect("transaction id"),
        amount: read(amount),
        currency: read(currency),
        gateway_code: code,
    });
}

/// `gw_journal_recover`: its status, what it handed over, how many still run.
fn recover(client: &CClient) -> (gw_status, Vec<Handed>, u32) {
    let mut handed: Vec<Handed> = Vec::new();
    let mut running = u32::MAX;
    // SAFETY: a live client, a callback of the right type, a live Vec.
    let status = unsafe {
        gw_journal_recover(client.0, Some(collect), &mut handed as *mut Vec<Handed> as *mut c_void, &mut running)
    };
    (status, handed, running)
}

/// Recovery finds nothing open and nothing running.
fn nothing_open(client: &CClient) {
    let (status, handed, running) = recover(client);
    assert_eq!((status, handed.len(), running), (GW_OK, 0, 0), "{handed:?}");
}

/// The child's part of the SIGKILL tests: when [`CHILD`] is set, pays once
/// with a journal and a long timeout, and is killed before the answer.
/// Otherwise nothing.
#[test]
fn child_pays() {
    let Ok(spec) = std::env::var(CHILD) else { return };
    let parts: Vec<&str> = spec.split('|').collect();
    let [journal, url, order, correlation] = parts[..] else { panic!("{spec}") };
    let client =
        CConfig::for_url(url).api_version(V).timeout(Duration::from_secs(30)).journal(Path::new(journal)).client();
    let (status, _) = pay(&client, order, &card(), Some(correlation).filter(|c| !c.is_empty()));
    panic!("the child should have been killed before the answer; status {status}: {}", last_error());
}

/// Runs [`child_pays`] in a new process of this test binary.
fn spawn_child(journal: &Path, url: &str, order: &str, correlation: &str) -> std::process::Child {
    let spec = format!("{}|{url}|{order}|{correlation}", journal.display());
    Command::new(std::env::current_exe().expect("the test binary"))
        .args(["--exact", "child_pays", "--nocapture", "--test-threads=1"])
        .env(CHILD, spec)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the child starts")
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A till killed mid-payment: the PAY reached gw-sim, whose acquirer takes
/// its time; the child is SIGKILLed before any answer. This process (a new
/// one, with the same journal file) recovers it: not final while the
/// acquirer works, then approved, charged once, with the recorded ids,
/// amount and currency; then nothing is left open.
#[test]
#[cfg(unix)]
fn a_payment_killed_mid_flight_is_recovered_by_a_new_process() {
    let sim = start(sim_config());
    let dir = journal_dir("kill");
    let journal = dir.join("till.db");
    let before = sim.request_count();
    let mut child = spawn_child(&journal, &sim.base_url(), "k1", "gw-sim:fault=acquirer-delay,ms=1500");
    wait_for("the PAY to reach gw-sim", || sim.request_count() > before);
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    assert_eq!(charges(&sim), 0, "the acquirer has not answered yet");

    let client = CConfig::for_url(&sim.base_url()).api_version(V).journal(&journal).client();
    let mut seen = Vec::new();
    wait_for("recovery to find the payment final", || {
        let (status, handed, running) = recover(&client);
        assert_eq!(status, GW_OK, "{}", last_error());
        assert_eq!(running, 0, "the child is gone");
        assert_eq!(handed.len(), 1, "{handed:?}");
        seen.push(handed[0].outcome);
        handed[0].outcome == GW_RECOVERED_APPROVED && {
            let h = &handed[0];
            assert_eq!((h.operation.as_str(), h.order_id.as_str(), h.transaction_id.as_str()), ("PAY", "k1", "1"));
            assert_eq!((h.amount.as_deref(), h.currency.as_deref()), (Some("12.50"), Some("USD")));
            assert_eq!(h.gateway_code.as_deref(), Some("APPROVED"));
            true
        }
    });
    assert!(seen.iter().all(|&o| o == GW_RECOVERED_NOT_FINAL || o == GW_RECOVERED_APPROVED), "{seen:?}");
    assert_eq!(charges(&sim), 1);
    nothing_open(&client);
}

/// The request went to a listener that never passes it on (the gateway
/// never got it) and the till was killed. Recovery says "not sent" and
/// keeps the ids; the till pays again with the same ids: charged once, and
/// the journal holds nothing open.
#[test]
#[cfg(unix)]
fn a_request_that_never_reached_the_gateway_is_recovered_as_not_sent_with_its_ids() {
    let sim = start(sim_config());
    let dir = journal_dir("notsent");
    let journal = dir.join("till.db");
    let blackhole = TcpListener::bind("127.0.0.1:0").expect("a listener");
    let url = format!("http://{}", blackhole.local_addr().expect("address"));
    let mut child = spawn_child(&journal, &url, "n1", "");
    let (mut conn, _) = blackhole.accept().expect("the child connects");
    let mut first = [0u8; 16];
    std::io::Read::read(&mut conn, &mut first).expect("the request's first bytes");
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    drop(conn);

    let client = CConfig::for_url(&sim.base_url()).api_version(V).journal(&journal).client();
    let (status, handed, running) = recover(&client);
    assert_eq!((status, running), (GW_OK, 0), "{}", last_error());
    assert_eq!(handed.len(), 1, "{handed:?}");
    assert_eq!(handed[0].outcome, GW_RECOVERED_NOT_SENT);
    assert_eq!((handed[0].order_id.as_str(), handed[0].transaction_id.as_str()), ("n1", "1"));
    // The till sends it again, with the same ids.
    let (status, response) = pay(&client, &handed[0].order_id, &card(), None);
    assert_eq!(status, GW_OK, "{}", last_error());
    assert_eq!(response.get("transaction.id").as_deref(), Some("1"));
    assert_eq!(charges(&sim), 1);
    let (status, handed, _) = recover(&client);
    assert_eq!((status, handed.len()), (GW_OK, 0), "{handed:?}");
}

/// The journal adds no round trip: a warm PAY is one request. Its intent is
/// closed by the approval, a decline's by the decline, and a call that
/// could not connect closes its own (nothing was sent).
#[test]
fn the_warm_happy_path_pay_sends_one_request_and_leaves_nothing_open() {
    let sim = start(sim_config());
    let dir = journal_dir("warm");
    let client = CConfig::for_url(&sim.base_url()).api_version(V).journal(&dir.join("till.db")).client();
    let card = card();
    assert_eq!(pay(&client, "w0", &card, None).0, GW_OK, "{}", last_error());
    let before = sim.request_count();
    assert_eq!(pay(&client, "w1", &card, None).0, GW_OK, "{}", last_error());
    assert_eq!(sim.request_count() - before, 1, "one request per warm PAY");
    let declined =
        terminal::encrypt(VISA, &TerminalOptions { expiry: Some("0539".into()), ..Default::default() }).unwrap();
    assert_eq!(pay(&client, "w2", &declined, None).0, GW_DECLINED);
    let refused = CConfig::for_url(&format!("http://127.0.0.1:{}", closed_port()))
        .api_version(V)
        .journal(&dir.join("till.db"))
        .client();
    assert_eq!(pay(&refused, "w3", &card, None).0, GW_ERR_CONNECT);
    nothing_open(&client);
}

/// Two clients (as two tills' processes would) and four threads share one
/// journal file: every payment approved, each charged once, none left open.
#[test]
fn clients_and_threads_share_one_journal() {
    let sim = start(sim_config());
    let dir = journal_dir("shared");
    let path = dir.join("till.db");
    let clients = [
        CConfig::for_url(&sim.base_url()).api_version(V).journal(&path).client(),
        CConfig::for_url(&sim.base_url()).api_version(V).journal(&path).client(),
    ];
    let card = card();
    std::thread::scope(|scope| {
        for thread in 0..4 {
            // gw_client is thread-safe; the test's wrapper is a raw pointer.
            let (shared, card) = (clients[thread % 2].0 as usize, &card);
            scope.spawn(move || {
                let client = CClient(shared as *mut gw::ffi::client::gw_client);
                for i in 0..5 {
                    let (status, _) = pay(&client, &format!("s{thread}-{i}"), card, None);
                    assert_eq!(status, GW_OK, "{}", last_error());
                }
                std::mem::forget(client);
            });
        }
    });
    assert_eq!(charges(&sim), 20);
    nothing_open(&clients[1]);
}

/// A journal that cannot be opened fails the client (`GW_ERR_JOURNAL`);
/// recovery without a journal is a configuration error.
#[test]
fn a_journal_that_cannot_be_opened_fails_the_client() {
    let sim = start(sim_config());
    let config = CConfig::for_url(&sim.base_url()).journal(Path::new("/nonexistent-dir-of-gw/till.db"));
    let (status, client) = config.try_client();
    assert_eq!(status, GW_ERR_JOURNAL, "{}", last_error());
    assert!(client.0.is_null());
    assert!(last_error().contains("/nonexistent-dir-of-gw/till.db"), "{}", last_error());
    let plain = CConfig::for_url(&sim.base_url()).client();
    assert_eq!(recover(&plain).0, GW_ERR_CONFIG);
    // SAFETY: a live client; a NULL callback is refused, not called.
    let status = unsafe { gw_journal_recover(plain.0, None, std::ptr::null_mut(), std::ptr::null_mut()) };
    assert_eq!(status, GW_ERR_NULL_ARGUMENT);
}

/// Every byte of the journal's files (db, -wal, -shm), after payments with
/// a P2PE card, a declined one and a lost answer: no API password, no card
/// number, no P2PE payload, KSN or IV (as hex, either case, or as bytes).
#[test]
fn the_journal_files_hold_no_card_data_or_credentials() {
    let sim = start(sim_config());
    let dir = journal_dir("scan");
    let path = dir.join("till.db");
    let client = CConfig::for_url(&sim.base_url()).api_version(V).retries(1).journal(&path).client();
    let card = card();
    assert_eq!(pay(&client, "c1", &card, None).0, GW_OK, "{}", last_error());
    assert_eq!(pay(&client, "c2", &card, Some(&fault_id("lost-then-ok=1", "scan"))).0, GW_OK, "{}", last_error());
    let mut secrets: Vec<Vec<u8>> = vec![PASSWORD.into(), VISA.into(), b"apiPassword".to_vec()];
    for hex in [card.payload.as_str(), card.ksn.as_str()] {
        secrets.push(hex.to_uppercase().into_bytes());
        secrets.push(hex.to_lowercase().into_bytes());
        secrets.push(::hex::decode(hex).expect("hex"));
    }
    let mut scanned = 0;
    // The client still open: the -wal and -shm files exist.
    for suffix in ["", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{suffix}", path.display()));
        let Ok(bytes) = std::fs::read(&file) else { continue };
        scanned += bytes.len();
        for secret in &secrets {
            assert!(
                !bytes.windows(secret.len()).any(|window| window == secret.as_slice()),
                "{} holds a secret of {} bytes",
                file.display(),
                secret.len()
            );
        }
    }
    assert!(scanned > 4096, "the journal was written: {scanned} bytes");
}

/// A till that forks after a journaled payment: parent and child each pay
/// with the same client at once (the child's journal opens its own SQLite
/// connection: SQLite forbids using one across fork()), each payment is
/// charged once and none is left open.
#[test]
#[cfg(unix)]
fn a_forked_child_and_its_parent_both_journal_their_payments() {
    let sim = start(sim_config());
    let dir = journal_dir("fork");
    let client = CConfig::for_url(&sim.base_url()).api_version(V).journal(&dir.join("till.db")).client();
    let card = card();
    assert_eq!(pay(&client, "fk0", &card, None).0, GW_OK, "{}", last_error());
    // SAFETY: the child only pays through gw and leaves with _exit.
    let child = unsafe { libc::fork() };
    assert!(child >= 0, "fork");
    if child == 0 {
        let ok = (0..3).all(|i| pay(&client, &format!("fk-child-{i}"), &card, None).0 == GW_OK);
        // SAFETY: ends the child at once, running no destructor of the parent's state.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    for i in 0..3 {
        assert_eq!(pay(&client, &format!("fk-parent-{i}"), &card, None).0, GW_OK, "{}", last_error());
    }
    let mut status = 0;
    // SAFETY: waits for our own child.
    assert_eq!(unsafe { libc::waitpid(child, &mut status, 0) }, child);
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "the child's payments failed: {status}");
    assert_eq!(charges(&sim), 7);
    nothing_open(&client);
}

/// Another process holds the journal's write lock: the payment's intent
/// cannot be recorded, and the call ends within its own deadline (not after
/// SQLite's longer wait for the lock) with `GW_ERR_JOURNAL`, nothing sent,
/// nothing in doubt.
#[test]
fn a_locked_journal_fails_the_payment_within_its_deadline_and_sends_nothing() {
    let sim = start(sim_config());
    let dir = journal_dir("locked");
    let path = dir.join("till.db");
    let client = CConfig::for_url(&sim.base_url()).api_version(V).timeout(TIMEOUT).journal(&path).client();
    let holder = rusqlite::Connection::open(&path).expect("a second connection to the journal");
    holder.execute_batch("BEGIN IMMEDIATE").expect("the write lock");
    let before = sim.request_count();
    let started = Instant::now();
    let (status, _) = pay(&client, "l0", &card(), None);
    let took = started.elapsed();
    assert_eq!(status, GW_ERR_JOURNAL, "{}", last_error());
    assert_eq!(gw::ffi::error::gw_last_error_in_doubt(), 0, "nothing was sent");
    assert_eq!(sim.request_count(), before, "nothing was sent");
    assert!(took < BOUND, "the call took {took:?}, past its {TIMEOUT:?} deadline");
    holder.execute_batch("ROLLBACK").expect("the lock released");
    assert_eq!(pay(&client, "l0", &card(), None).0, GW_OK, "{}", last_error());
    nothing_open(&client);
}
