//! Throughput of gw's hot paths, measured (not asserted):
//! `cargo bench --bench throughput`.
//!
//! - field validation of a full P2PE TOKENIZE request,
//! - decoding a gateway answer,
//! - round trips to an in-process gw-sim over keep-alive HTTP, from one
//!   thread and from 8 threads sharing one client.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gw::{Client, Config, P2peCard, Request, Response};

fn report(what: &str, iterations: u32, elapsed: Duration) {
    let per_op = elapsed / iterations;
    let per_sec = f64::from(iterations) / elapsed.as_secs_f64();
    println!("{what:<48} {iterations:>7} ops  {per_op:>10.2?}/op  {per_sec:>12.0} ops/s");
}

fn time(what: &str, iterations: u32, mut body: impl FnMut()) {
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
    time("CREATE_SESSION round trip, 1 thread", 2_000, || {
        black_box(client.create_session().unwrap());
    });
    time("TOKENIZE (DUKPT decrypt in gw-sim), 1 thread", 2_000, || {
        black_box(client.tokenize_p2pe(None, &p2pe).unwrap());
    });

    let threads = 8;
    let per_thread = 500;
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
