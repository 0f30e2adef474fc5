//! Throughput of gw's hot paths, measured (not asserted):
//! `cargo bench --bench throughput` (`make bench` runs it too).
//!
//! - field validation of a full P2PE TOKENIZE request,
//! - decoding a gateway answer,
//! - one TOKENIZE call's whole in-process work, no network: validate the
//!   request, complete and check it whole, encode the body, decode the answer
//!   and read the token (payloads of 32 to 1024 hex digits),
//! - round trips to an in-process gw-sim over keep-alive HTTP, from one
//!   thread and from 8 threads sharing one client.

use std::hint::black_box;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gw::config::DEFAULT_API_VERSION;
use gw::rules::{self, Completeness, Operation};
use gw::{nvp, Client, Config, P2peCard, Request, Response};

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

    // The answer nginx gives in `make bench` (a gw-sim TOKENIZE answer).
    let tokenize_answer = b"merchant=BENCH01&repositoryId=GWSIMREPO&response.gatewayCode=NO_VERIFICATION_PERFORMED&result=SUCCESS&sourceOfFunds.provided.card.brand=VISA&sourceOfFunds.provided.card.fundingMethod=CREDIT&sourceOfFunds.provided.card.number=476173xxxxxx0010&sourceOfFunds.provided.card.scheme=VISA&sourceOfFunds.type=CARD&status=VALID&token=9333969728379665&usage.lastUpdated=2026-11-30T04%3A31%3A09.679Z&usage.lastUpdatedBy=BENCH01&usage.lastUsed=2026-11-30T04%3A31%3A09.679Z&verificationStrategy=NONE";
    let content_type = Some("application/x-www-form-urlencoded; charset=UTF-8");
    for digits in [32, 128, 512, 1024] {
        let payload = "0123456789ABCDEF".repeat(digits / 16);
        let card = P2peCard { payload: &payload, ..p2pe };
        time(&format!("validate+encode+decode a TOKENIZE, payload {digits}"), 100_000, || {
            // What Client::execute does around the transport.
            let request = Request::tokenize_p2pe(None, black_box(&card)).unwrap();
            let mut fields = vec![
                ("apiOperation".to_owned(), Operation::Tokenize.name().to_owned()),
                ("merchant".to_owned(), "BENCH01".to_owned()),
                ("apiUsername".to_owned(), "merchant.BENCH01".to_owned()),
                ("apiPassword".to_owned(), "bench-password".to_owned()),
            ];
            fields.extend(request.fields().map(|(n, v)| (n.to_owned(), v.to_owned())));
            rules::check_request(Operation::Tokenize, DEFAULT_API_VERSION, &fields, Completeness::Complete).unwrap();
            black_box(nvp::encode(&fields));
            let response = Response::from_http(200, content_type, black_box(tokenize_answer), Duration::ZERO).unwrap();
            black_box(response.get("token").unwrap());
        });
    }

    let sim = gw_sim::Sim::start(gw_sim::SimConfig::default().merchant("BENCH01", "bench-password")).expect("gw-sim");
    let mut config = Config::new();
    config.set_base_url(&sim.base_url()).unwrap();
    config.set_merchant("BENCH01").unwrap();
    config.set_api_password("bench-password").unwrap();
    let client = Arc::new(Client::new(&config).unwrap());
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
