//! Writes the seed corpora of the fuzz targets into `seeds/<target>/`
//! (relative to the current directory, which should be `fuzz/`).
//!
//! The HTTP seeds of `sim_request` are real: gw's own client sends
//! CREATE_SESSION and TOKENIZE through a recording relay to a real gw-sim,
//! and the relay keeps the request bytes (and the answers, which seed the
//! answer parsers).

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The merchant and password the `sim_request` target configures.
const MERCHANT: &str = "TESTAB2894354";
const PASSWORD: &str = "fuzz-password-0123";

const REAL_SUCCESS: &str = "merchant=TESTAB2894354&result=SUCCESS&session.aes256Key=DXbdcjSznnTId2lQWjs3Y4KVZuC4OPPn5bRkjCcm2sM%3D&session.id=SESSION0002411702239G42317712I7&session.updateStatus=NO_UPDATE&session.version=4e9556a901";
const REAL_ERROR: &str = "error.cause=INVALID_REQUEST&error.explanation=Value+%27PAY%27+is+invalid.+Pay+request+not+permitted+for+this+merchant.&error.field=apiOperation&error.validationType=INVALID&result=ERROR";

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new("seeds").join(target);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join(name), bytes).unwrap();
}

/// Reads one HTTP message (head + Content-Length body) from `s`.
fn read_message(s: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map(|v| v.trim().parse().unwrap())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                buf.truncate(end + 4 + len);
                return Some(buf);
            }
        }
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// A relay to the sim that records every request and answer.
fn relay(sim: std::net::SocketAddr) -> (String, Arc<Mutex<Vec<(Vec<u8>, Vec<u8>)>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let log2 = log.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let mut client = client.unwrap();
            let mut upstream = TcpStream::connect(sim).unwrap();
            while let Some(req) = read_message(&mut client) {
                upstream.write_all(&req).unwrap();
                let resp = read_message(&mut upstream).unwrap();
                client.write_all(&resp).unwrap();
                log2.lock().unwrap().push((req, resp));
            }
        }
    });
    (format!("http://{addr}"), log)
}

fn body_of(message: &[u8]) -> &[u8] {
    let end = message.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    &message[end + 4..]
}

fn main() {
    // nvp_decode and response_from_http: the gateway's real answers.
    for t in ["nvp_decode", "response_from_http"] {
        write(t, "real-create-session-success", REAL_SUCCESS.as_bytes());
        write(t, "real-error-pay-not-permitted", REAL_ERROR.as_bytes());
    }
    write("nvp_decode", "latin1-and-escapes", b"n=%E9t%E9&a+b=c%2Bd&&x&=&%41=%3d%3D");
    let ct = "application/x-www-form-urlencoded; charset=UTF-8";
    write("response_from_http", "real-success-201-utf8", format!("201 {ct}\n{REAL_SUCCESS}").as_bytes());
    write("response_from_http", "real-error-400-no-content-type", format!("400\n{REAL_ERROR}").as_bytes());
    write(
        "response_from_http",
        "html-502",
        b"502 text/html\n<html><body><h1>502 Bad Gateway</h1></body></html>",
    );
    write("response_from_http", "latin1-body", b"200 application/x-www-form-urlencoded\nresult=SUCCESS&name=Ren%E9");
    write("dukpt_decrypt", "terminal-track1-pin", b"pan=4000000000000002&layout=track1&expiry=1229&variant=pin");
    write(
        "dukpt_decrypt",
        "terminal-track2-iv-bdk",
        b"pan=5555555555554444&layout=track2&expiry=0130&initializationVector=0102030405060708&bdk=0123456789ABCDEFFEDCBA9876543210&keySerialNumber=FFFF9876543210E1FFFF",
    );

    let sim = gw_sim::Sim::start(gw_sim::SimConfig::default().merchant(MERCHANT, PASSWORD)).unwrap();
    let (base, log) = relay(sim.addr());
    let mut config = gw::Config::new();
    config.set_base_url(&base).unwrap();
    config.set_merchant(MERCHANT).unwrap();
    config.set_api_password(PASSWORD).unwrap();
    let client = gw::Client::new(&config).unwrap();

    let session = client.create_session().unwrap();
    let p2pe = gw_sim::terminal::encrypt_pan("4000000000000002").unwrap();
    let card = gw::P2peCard {
        key_serial_number: &p2pe.ksn,
        payload: &p2pe.payload,
        initialization_vector: None,
        card_bin: Some(&p2pe.card_bin),
    };
    let token = client.tokenize_p2pe(None, &card).unwrap();
    let track2 = gw_sim::terminal::encrypt(
        "5555555555554444",
        &gw_sim::terminal::TerminalOptions {
            iv: Some([1, 2, 3, 4, 5, 6, 7, 8]),
            plaintext: gw_sim::terminal::Plaintext::Track2,
            expiry: Some("1229".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let card2 = gw::P2peCard {
        key_serial_number: &track2.ksn,
        payload: &track2.payload,
        initialization_vector: track2.iv.as_deref(),
        card_bin: Some(&track2.card_bin),
    };
    let _ = client.tokenize_p2pe(token.get("token"), &card2).unwrap();
    // A rejected one: a wrong cardBin.
    let card3 = gw::P2peCard { card_bin: Some("411111"), ..card };
    let _ = client.tokenize_p2pe(None, &card3);
    drop(client);
    let _ = session;

    let recorded = log.lock().unwrap().clone();
    let names = ["create-session", "tokenize-p2pe-pan", "tokenize-p2pe-track2-iv", "tokenize-p2pe-bad-bin"];
    for (i, (req, resp)) in recorded.iter().enumerate() {
        let name = names.get(i).copied().unwrap_or("extra");
        write("sim_request", &format!("real-{name}.http"), req);
        write("response_from_http", &format!("sim-answer-{name}"), body_of(resp));
        // The same answer with its real status line and Content-Type.
        let head = String::from_utf8_lossy(&resp[..resp.len() - body_of(resp).len()]).into_owned();
        let status = head.split(' ').nth(1).unwrap_or("200").to_owned();
        let ct = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Type: "))
            .unwrap_or("")
            .to_owned();
        let mut with_head = format!("{status} {ct}\n").into_bytes();
        with_head.extend_from_slice(body_of(resp));
        write("response_from_http", &format!("sim-answer-{name}-with-status"), &with_head);
        write("rules_check", &format!("real-{name}-body"), body_of(req));
        write("dukpt_decrypt", &format!("real-{name}-body"), body_of(req));
        write("nvp_decode", &format!("sim-answer-{name}"), body_of(resp));
    }
    if let Some((req, _)) = recorded.get(1) {
        // The same TOKENIZE, pipelined after a CREATE_SESSION on one connection.
        let mut two = recorded[0].0.clone();
        two.extend_from_slice(req);
        write("sim_request", "pipelined-create-then-tokenize.http", &two);
        write("nvp_decode", "real-tokenize-body", body_of(req));
        // With Expect: 100-continue, and over HTTP/1.0.
        let text = String::from_utf8(req.clone()).unwrap();
        write(
            "sim_request",
            "tokenize-expect-continue.http",
            text.replacen("\r\n", "\r\nExpect: 100-continue\r\n", 1).as_bytes(),
        );
        write("sim_request", "tokenize-http10.http", text.replacen("HTTP/1.1", "HTTP/1.0", 1).as_bytes());
    }
    let update = gw::nvp::encode(&[
        ("apiOperation", "UPDATE_SESSION"),
        ("apiUsername", &format!("merchant.{MERCHANT}")),
        ("apiPassword", PASSWORD),
        ("merchant", MERCHANT),
        ("session.id", "SESSION0002411702239G42317712I7"),
        ("sourceOfFunds.type", "CARD"),
        ("sourceOfFunds.provided.card.expiry.month", "12"),
        ("sourceOfFunds.provided.card.expiry.year", "29"),
        ("correlationId", "gw-sim:fault=server-busy"),
    ]);
    let raw = format!(
        "POST /api/nvp/version/50?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{update}",
        update.len()
    );
    write("sim_request", "update-session-fault.http", raw.as_bytes());
    write("rules_check", "update-session-body", update.as_bytes());
    let clear = gw::nvp::encode(&[
        ("apiOperation", "TOKENIZE"),
        ("apiUsername", &format!("merchant.{MERCHANT}")),
        ("apiPassword", PASSWORD),
        ("merchant", MERCHANT),
        ("sourceOfFunds.type", "CARD"),
        ("sourceOfFunds.provided.card.number", "4000000000000002"),
        ("verificationStrategy", "BASIC"),
        ("sourceOfFunds.provided.card.expiry.month", "1"),
        ("sourceOfFunds.provided.card.expiry.year", "30"),
    ]);
    let raw = format!(
        "POST /api/nvp/version/100 HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded; charset=iso-8859-1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{clear}",
        clear.len()
    );
    write("sim_request", "tokenize-clear-card-basic.http", raw.as_bytes());
    write("rules_check", "tokenize-clear-card-body", clear.as_bytes());
    write("dukpt_decrypt", "tokenize-clear-card-body", clear.as_bytes());
    write("sim_request", "get-root.http", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    write(
        "sim_request",
        "chunked.http",
        b"POST /api/nvp/version/50 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    );
    sim.stop();
    eprintln!("{} exchanges recorded", recorded.len());
}
