//! The seeded chaos schedule over HTTP (sim/README.md, "Chaos"): the same
//! seed gives every request the same fault, whatever else happens; each kind
//! does what it says; the admin endpoint starts and stops a schedule; the
//! counts in `/chaos.json` are what was drawn. The chaos run through gw is
//! tests/chaos.rs at the workspace's root.

mod common;

use common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const V: u32 = 100;

fn pay(order: &str) -> Vec<(String, String)> {
    let card = gw_sim::terminal::encrypt_pan("4000000000000002").expect("encrypts");
    let mut f = base("PAY");
    f.extend(pairs(&[
        ("order.id", order),
        ("order.amount", "10.00"),
        ("order.currency", "USD"),
        ("transaction.id", "t1"),
        ("transaction.source", "CARD_PRESENT"),
        ("sourceOfFunds.type", "CARD"),
    ]));
    f.extend(card.fields());
    f
}

/// What one raw request meets: `refused`, `reset`, or the HTTP status and
/// result (and gateway code).
fn outcome(sim: &gw_sim::Sim, fields: &[(String, String)]) -> String {
    let mut s = match TcpStream::connect(sim.addr()) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => return "refused".into(),
        Err(e) => panic!("connect: {e}"),
    };
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let body = gw::nvp::encode(fields);
    let head = format!(
        "POST /api/nvp/version/{V} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded; charset=UTF-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    if s.write_all(head.as_bytes()).and_then(|_| s.write_all(body.as_bytes())).is_err() {
        return "reset".into();
    }
    let mut answer = Vec::new();
    if s.read_to_end(&mut answer).is_err() {
        return "reset".into();
    }
    let text = String::from_utf8_lossy(&answer);
    let Some((head, body)) = text.split_once("\r\n\r\n") else { return "reset".into() };
    let status = head.split(' ').nth(1).unwrap_or("?").to_owned();
    let fields: std::collections::BTreeMap<String, String> =
        gw::nvp::decode(body.as_bytes(), gw::nvp::Charset::Utf8).unwrap_or_default().into_iter().collect();
    if fields.is_empty() {
        return "reset".into();
    }
    format!(
        "{status} {} {}",
        fields.get("result").map_or("-", String::as_str),
        fields.get("response.gatewayCode").or(fields.get("error.cause")).map_or("-", String::as_str)
    )
}

fn chaos_json(sim: &gw_sim::Sim) -> String {
    let r = Client::connect(sim.addr()).request("GET", "/chaos.json", None, b"").expect("chaos.json");
    assert_eq!(r.status, 200);
    String::from_utf8(r.body).unwrap()
}

/// The same seed, the same faults for the same requests, even when the
/// requests come in another order; another seed, other faults.
#[test]
fn a_seed_replays_the_same_faults_in_any_order() {
    let spec = "11,refuse=0,reset=15,lost=15,late=0,busy=15,pending=15,unknown=15,slow=0,settle-ms=60000";
    let run = |seed_spec: &str, reverse: bool| {
        let sim = start(config().chaos(gw_sim::Chaos::parse(seed_spec).unwrap()));
        let mut orders: Vec<usize> = (0..40).collect();
        if reverse {
            orders.reverse();
        }
        let mut seen: Vec<(usize, String)> =
            orders.into_iter().map(|i| (i, outcome(&sim, &pay(&format!("chaos-{i}"))))).collect();
        seen.sort();
        seen
    };
    let first = run(spec, false);
    assert_eq!(first, run(spec, true));
    assert_ne!(first, run(&spec.replacen("11", "12", 1), false));
    let kinds: std::collections::BTreeSet<&str> = first.iter().map(|(_, o)| o.as_str()).collect();
    for expected in
        ["reset", "503 ERROR SERVER_BUSY", "200 PENDING PENDING", "200 UNKNOWN UNKNOWN", "200 SUCCESS APPROVED"]
    {
        assert!(kinds.contains(expected), "{expected} not among {kinds:?}");
    }
}

/// `lost`: the money moved and the answer was lost; the identical
/// resubmission (the identity's next occurrence, drawn anew) finds it.
#[test]
fn a_lost_answer_moved_the_money() {
    let sim =
        start(config().chaos(
            gw_sim::Chaos::parse("5,refuse=0,reset=0,lost=100,busy=0,pending=0,unknown=0,slow=0,late=0").unwrap(),
        ));
    assert_eq!(outcome(&sim, &pay("lost-1")), "reset");
    let order = sim.ledger().order(common::MERCHANT, "lost-1").expect("the order was recorded");
    assert_eq!(order.transactions.len(), 1);
    let json = chaos_json(&sim);
    assert!(json.contains("\"lost\":1"), "{json}");
    sim.chaos().set(None);
    assert_eq!(outcome(&sim, &pay("lost-1")), "200 SUCCESS APPROVED");
    assert_eq!(sim.ledger().order(common::MERCHANT, "lost-1").unwrap().transactions.len(), 1);
}

/// `refuse`: the connection is reset unread, then connecting is refused for
/// refuse-ms, then gw-sim listens again on the same port.
#[test]
fn refuse_stops_listening_for_a_while() {
    let sim = start(
        config().chaos(
            gw_sim::Chaos::parse("3,refuse=100,reset=0,lost=0,busy=0,pending=0,unknown=0,slow=0,late=0,refuse-ms=400")
                .unwrap(),
        ),
    );
    assert_eq!(outcome(&sim, &pay("refused-1")), "reset");
    assert!(sim.ledger().order(common::MERCHANT, "refused-1").is_none(), "nothing was processed");
    let start = Instant::now();
    let mut refused = 0;
    while start.elapsed() < Duration::from_millis(300) {
        if TcpStream::connect(sim.addr()).is_err() {
            refused += 1;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(refused > 0, "no connection was refused");
    sim.chaos().set(Some(gw_sim::Chaos::parse("3,refuse=0").unwrap()));
    std::thread::sleep(Duration::from_millis(200));
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let o = outcome(&sim, &pay("refused-2"));
        if o != "refused" {
            assert_eq!(o, "200 SUCCESS APPROVED");
            break;
        }
        assert!(Instant::now() < deadline, "gw-sim did not listen again");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `POST /admin/chaos` starts (`spec=SEED,...`) and stops (`spec=off`) a
/// schedule and answers the counts; a bad spec is 400 with the reason.
#[test]
fn the_admin_endpoint_sets_the_schedule() {
    let sim = start(config());
    assert_eq!(chaos_json(&sim).trim(), "{\"spec\":null}");
    let r =
        Client::connect(sim.addr()).request("POST", "/admin/chaos?spec=9,busy=100,refuse=0", None, b"").expect("admin");
    let body = String::from_utf8(r.body).unwrap();
    assert_eq!(r.status, 200, "{body}");
    assert!(body.contains("\"seed\":9") && body.contains("busy=100"), "{body}");
    assert_eq!(outcome(&sim, &pay("admin-1")), "503 ERROR SERVER_BUSY");
    assert_eq!(outcome(&sim, &pay("admin-1")), "503 ERROR SERVER_BUSY");
    let json = chaos_json(&sim);
    assert!(
        json.contains("\"busy\":2")
            && json.contains("\"requests\":{\"PAY\":2}")
            && json.contains("\"repeats\":{\"PAY\":1}"),
        "{json}"
    );
    let r = Client::connect(sim.addr())
        .request("POST", "/admin/chaos", Some("application/x-www-form-urlencoded"), b"spec=1,nope=2")
        .expect("admin");
    assert_eq!(r.status, 400);
    assert!(String::from_utf8_lossy(&r.body).contains("unknown chaos kind 'nope'"));
    let r = Client::connect(sim.addr()).request("POST", "/admin/chaos?spec=off", None, b"").expect("admin");
    assert_eq!(r.status, 200);
    assert_eq!(outcome(&sim, &pay("admin-1")), "200 SUCCESS APPROVED");
}

/// A fault the request names wins over the schedule.
#[test]
fn a_per_request_fault_wins() {
    let sim = start(config().chaos(gw_sim::Chaos::parse("4,busy=100,refuse=0").unwrap()));
    let mut f = pay("own-1");
    f.push(("correlationId".into(), "gw-sim:fault=server-failed".into()));
    assert_eq!(outcome(&sim, &f), "500 ERROR SERVER_FAILED");
}
