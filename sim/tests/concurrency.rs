//! 64 keep-alive connections at once, and a requests/s measurement.

mod common;
use common::*;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

fn hammer(sim: &gw_sim::Sim, connections: usize, requests_each: usize, tokenize_too: bool) -> Duration {
    let barrier = Arc::new(Barrier::new(connections));
    let p = gw_sim::terminal::encrypt_pan(VISA).unwrap();
    let t = Instant::now();
    let handles: Vec<_> = (0..connections)
        .map(|i| {
            let addr = sim.addr();
            let barrier = barrier.clone();
            let p = p.clone();
            std::thread::spawn(move || {
                // Every connection is open before any request is sent.
                let mut c = Client::connect(addr);
                barrier.wait();
                for n in 0..requests_each {
                    let f = if tokenize_too && n % 2 == 1 { tokenize(&p) } else { base("CREATE_SESSION") };
                    let f = with(f, &[("correlationId", &format!("c{i}-{n}"))]);
                    let r = c.post(&f);
                    assert_eq!(r.status, 200);
                    assert_eq!(r.get("correlationId"), Some(format!("c{i}-{n}")));
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("client thread");
    }
    t.elapsed()
}

#[test]
fn sixty_four_keep_alive_connections_at_once() {
    let sim = start(config());
    hammer(&sim, 64, 10, true);
    assert_eq!(sim.token_count(), 64 * 5);
}

/// `cargo test -p gw-sim --test concurrency -- --ignored --nocapture`
#[test]
#[ignore = "measurement: run explicitly"]
fn measure_requests_per_second() {
    let sim = start(config());
    hammer(&sim, 8, 50, false); // warm-up
    for (conns, each, tok) in [(1, 2000, false), (16, 250, false), (64, 100, false), (64, 100, true)] {
        let d = hammer(&sim, conns, each, tok);
        let n = conns * each;
        println!(
            "{conns:>3} keep-alive connections, {n} requests ({}): {:.0} requests/s",
            if tok { "half TOKENIZE with DUKPT" } else { "CREATE_SESSION" },
            n as f64 / d.as_secs_f64()
        );
    }
}
