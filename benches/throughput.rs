//! Throughput of gw's hot paths, measured (not asserted):
//! `cargo bench --bench throughput` (`make bench` runs it too).
//!
//! - field validation of a full P2PE TOKENIZE request,
//! - decoding a gateway answer,
//! - one TOKENIZE call's whole in-process work, no network, through the
//!   functions the client itself calls, in its order (see [`in_process`]):
//!   build the request, lay out and check its fields, encode the body,
//!   decode the answer and read the token (payloads of 32 to 1024 hex digits),
//! - round trips to an in-process gw-sim over keep-alive HTTP, from one
//!   thread and from 8 threads sharing one client.

use std::hint::black_box;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gw::{nvp, Client, Config, Operation, P2peCard, Request, Response};
use zeroize::Zeroize;

/// `GW_BENCH_QUICK=1` (the smoke form of `make bench`) divides every count by 100.
fn iterations(full: u32) -> u32 {
    if std::env::var_os("GW_BENCH_QUICK").is_some() {
        (full / 100).max(1)
    } else {
        full
    }
}

/// Prints one line, and appends it as JSON to the file `GW_BENCH_JSON` names
/// (bench/run.sh reads it).
fn report(what: &str, iterations: u32, elapsed: Duration) {
    let per_op = elapsed / iterations;
    let per_sec = f64::from(iterations) / elapsed.as_secs_f64();
    println!("{what:<56} {iterations:>7} ops  {per_op:>10.2?}/op  {per_sec:>12.0} ops/s");
    if let Some(path) = std::env::var_os("GW_BENCH_JSON") {
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path).expect("GW_BENCH_JSON");
        let ns = per_op.as_secs_f64() * 1e9;
        writeln!(
            file,
            "{{\"case\": \"{what}\", \"ops\": {iterations}, \"ns_per_op\": {ns:.1}, \"ops_per_s\": {per_sec:.0}}}"
        )
        .expect("GW_BENCH_JSON");
    }
}

fn time(what: &str, iterations: u32, mut body: impl FnMut()) {
    let iterations = self::iterations(iterations);
    body();
    let started = Instant::now();
    for _ in 0..iterations {
        body();
    }
    report(what, iterations, started.elapsed());
}

fn main() {
    let card = gw_sim::terminal::encrypt_pan("4761739001010010").expect("terminal");
    let p2pe = P2peCard {
        key_serial_number: &card.ksn,
        payload: &card.payload,
        initialization_vector: None,
        card_bin: Some(&card.card_bin),
    };
    time("validate a P2PE TOKENIZE request", 200_000, || {
        black_box(Request::tokenize_p2pe(Some("9123456789012345"), black_box(&p2pe)).unwrap());
    });

    let answer = b"merchant=TESTAB2894354&result=SUCCESS&session.aes256Key=DXbdcjSznnTId2lQWjs3Y4KVZuC4OPPn5bRkjCcm2sM%3D&session.id=SESSION0002411702239G42317712I7&session.updateStatus=NO_UPDATE&session.version=4e9556a901";
    time("decode a CREATE_SESSION answer", 200_000, || {
        black_box(Response::from_http(201, None, black_box(answer), Duration::ZERO).unwrap());
    });

    let sim = gw_sim::Sim::start(gw_sim::SimConfig::default().merchant("BENCH01", "bench-password")).expect("gw-sim");
    let mut config = Config::new();
    config.set_base_url(&sim.base_url()).unwrap();
    config.set_merchant("BENCH01").unwrap();
    config.set_api_password("bench-password").unwrap();
    let client = Arc::new(Client::new(&config).unwrap());

    // The answer nginx gives in `make bench` (a gw-sim TOKENIZE answer).
    let tokenize_answer = b"merchant=BENCH01&repositoryId=GWSIMREPO&response.gatewayCode=NO_VERIFICATION_PERFORMED&result=SUCCESS&sourceOfFunds.provided.card.brand=VISA&sourceOfFunds.provided.card.fundingMethod=CREDIT&sourceOfFunds.provided.card.number=476173xxxxxx0010&sourceOfFunds.provided.card.scheme=VISA&sourceOfFunds.type=CARD&status=VALID&token=9333969728379665&usage.lastUpdated=2026-11-30T04%3A31%3A09.679Z&usage.lastUpdatedBy=BENCH01&usage.lastUsed=2026-11-30T04%3A31%3A09.679Z&verificationStrategy=NONE";
    // The transport's body buffer, reused from call to call as a connection reuses its own.
    let mut body = Vec::new();
    for digits in [32, 128, 512, 1024] {
        let payload = "0123456789ABCDEF".repeat(digits / 16);
        let card = P2peCard { payload: &payload, ..p2pe };
        time(&format!("validate+encode+decode a TOKENIZE, payload {digits}"), 100_000, || {
            in_process(&client, black_box(&card), black_box(tokenize_answer), &mut body);
        });
    }

    time("CREATE_SESSION round trip, 1 thread", 2_000, || {
        black_box(client.create_session().unwrap());
    });
    time("TOKENIZE (DUKPT decrypt in gw-sim), 1 thread", 2_000, || {
        black_box(client.tokenize_p2pe(None, &p2pe).unwrap());
    });

    let threads = 8;
    let per_thread = iterations(500);
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let client = Arc::clone(&client);
            std::thread::spawn(move || {
                for _ in 0..per_thread {
                    black_box(client.create_session().unwrap());
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    report("CREATE_SESSION round trip, 8 threads, 1 client", threads * per_thread, started.elapsed());
}

/// One TOKENIZE's in-process work: what `Client::tokenize_p2pe` does around
/// the network, through the same public functions, in the same order. The
/// request is built as `Client::tokenize_p2pe` builds it; `Client::with_fields`
/// is the first step of `Client::execute` (lay out gw's fields and the
/// request's, check them whole at the configured version); the transport
/// encodes them with `nvp::encode_into` into its reused buffer and wipes it
/// after the write; the client decodes the answer with
/// `Response::from_http_with` and the operation's summary fields.
///
/// Not inlined, so that callgrind can count it alone
/// (`--toggle-collect=throughput::in_process`).
#[inline(never)]
fn in_process(client: &Client, card: &P2peCard<'_>, answer: &[u8], body: &mut Vec<u8>) {
    let request = Request::tokenize_p2pe(None, card).unwrap();
    client.with_fields(&request, |fields| fields.encode_into(body)).unwrap();
    black_box(&body);
    // Wiped as a slice: zeroize wipes a slice whole, a `Vec` byte by byte.
    body.as_mut_slice().zeroize();
    body.clear();
    let content_type = Some(nvp::FORM_CONTENT_TYPE);
    let summary = Operation::Tokenize.summary_fields();
    let response = Response::from_http_with(200, content_type, answer, Duration::ZERO, summary).unwrap();
    black_box(response.get("token").unwrap());
}
