//! HTTPS with the generated CA, and certificate authentication.

mod common;
use common::*;
use gw_sim::pki::ClientCa;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

#[test]
fn https_with_the_generated_ca_via_ureq() {
    let sim = start(config().tls_generated());
    assert!(sim.base_url().starts_with("https://127.0.0.1:"));
    let ca = sim.ca_cert_pem().expect("generated CA");
    let tls = ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::new_with_certs(&[ureq::tls::Certificate::from_pem(ca.as_bytes()).unwrap()]))
        .build();
    let agent = ureq::Agent::config_builder().tls_config(tls).http_status_as_error(false).build().new_agent();
    let body = gw::nvp::encode(&base("CREATE_SESSION"));
    for host in ["127.0.0.1", "localhost"] {
        let url = format!("https://{host}:{}/api/nvp/version/50", sim.addr().port());
        let mut resp = agent
            .post(&url)
            .header("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
            .send(body.as_str())
            .expect("TLS request");
        assert_eq!(resp.status(), 200);
        let text = resp.body_mut().read_to_string().unwrap();
        assert!(text.contains("result=SUCCESS"), "{text}");
        assert!(text.contains("session.id=SESSION0002"), "{text}");
    }
}

#[test]
fn https_keep_alive_with_a_raw_rustls_client() {
    let sim = start(config().tls_generated());
    let cfg = tls_client(&sim.ca_cert_pem().unwrap(), None);
    let mut c = Client::tls(sim.addr(), cfg);
    for _ in 0..3 {
        let r = c.post(&base("CREATE_SESSION"));
        assert_eq!(r.get("result").as_deref(), Some("SUCCESS"));
    }
    let p = gw_sim::terminal::encrypt_pan(VISA).unwrap();
    let r = c.post(&tokenize(&p));
    assert_eq!(r.get("sourceOfFunds.provided.card.number").as_deref(), Some("400000xxxxxx0002"));
}

#[test]
fn untrusted_server_certificate_is_refused_by_the_client() {
    let sim = start(config().tls_generated());
    let other = ClientCa::generate().unwrap();
    let mut c = Client::tls(sim.addr(), tls_client(&other.ca_pem(), None));
    assert!(c.request("POST", "/api/nvp/version/50", None, b"").is_err());
}

#[test]
fn certificate_authentication() {
    let client_ca = ClientCa::generate().unwrap();
    let sim = start(config().client_ca_pem(&client_ca.ca_pem()));
    let ca = sim.ca_cert_pem().unwrap();
    let (cert, key) = client_ca.issue(MERCHANT).unwrap();
    let mut c = Client::tls(sim.addr(), tls_client(&ca, Some((&cert, &key))));
    // No apiUsername / apiPassword needed.
    let f = pairs(&[("apiOperation", "CREATE_SESSION"), ("merchant", MERCHANT)]);
    let r = c.post(&f);
    assert_eq!(r.status, 200, "{:?}", r.fields());
    assert_eq!(r.get("merchant").as_deref(), Some(MERCHANT));
    let p = gw_sim::terminal::encrypt_pan(VISA).unwrap();
    let mut t = pairs(&[("apiOperation", "TOKENIZE"), ("merchant", MERCHANT), ("sourceOfFunds.type", "CARD")]);
    t.extend(p.fields());
    assert_eq!(c.post(&t).get("result").as_deref(), Some("SUCCESS"));
    // tokenize.nvp-v50.txt:664: UNMASK with certificate authentication returns the number
    // unmasked (over password authentication it stays masked: tests/tokenize.rs).
    let unmasked = c.post(&with(t.clone(), &[("responseControls.sensitiveData", "UNMASK")]));
    assert_eq!(unmasked.get("sourceOfFunds.provided.card.number").as_deref(), Some(VISA));
    assert_eq!(c.post(&t).get("sourceOfFunds.provided.card.number").as_deref(), Some("400000xxxxxx0002"));
    // `merchant` must match the certificate's CN.
    let r = c.post(&pairs(&[("apiOperation", "CREATE_SESSION"), ("merchant", "SOMEONEELSE")]));
    assert_field_error(&r, 400, "merchant", "INVALID");
    // Wrong password fields alongside a certificate are still refused.
    let r = c.post(&with(f.clone(), &[("apiUsername", "merchant.TESTMERCHANT"), ("apiPassword", "bad")]));
    assert_eq!(r.status, 401);
    // A certificate for a merchant without a configured password works too.
    let (cert2, key2) = client_ca.issue("CERTONLY").unwrap();
    let mut c2 = Client::tls(sim.addr(), tls_client(&ca, Some((&cert2, &key2))));
    let r = c2.post(&pairs(&[("apiOperation", "CREATE_SESSION"), ("merchant", "CERTONLY")]));
    assert_eq!(r.get("result").as_deref(), Some("SUCCESS"));
}

fn handshake_refused(sim: &gw_sim::Sim, cfg: std::sync::Arc<rustls::ClientConfig>) {
    let mut tcp = TcpStream::connect(sim.addr()).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut conn = rustls::ClientConnection::new(cfg, "localhost".try_into().unwrap()).unwrap();
    // TLS 1.3 clients finish their side before the server has judged the
    // certificate: the refusal (an alert) arrives on the next read at the latest.
    let mut failed = false;
    while conn.is_handshaking() {
        if conn.complete_io(&mut tcp).is_err() {
            failed = true;
            break;
        }
    }
    if !failed {
        let mut s = rustls::Stream::new(&mut conn, &mut tcp);
        let body = gw::nvp::encode(&pairs(&[("apiOperation", "CREATE_SESSION"), ("merchant", MERCHANT)]));
        let req = format!("POST /api/nvp/version/50 HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}", body.len());
        let _ = s.write_all(req.as_bytes());
        let mut buf = [0u8; 256];
        match s.read(&mut buf) {
            Ok(n) => assert_eq!(n, 0, "the server answered: {}", String::from_utf8_lossy(&buf[..n])),
            Err(e) => {
                let msg = e.to_string();
                assert!(msg.contains("alert") || msg.contains("reset") || msg.contains("certificate"), "{msg}");
            }
        }
    }
}

#[test]
fn unknown_client_certificate_is_refused_at_the_handshake() {
    let client_ca = ClientCa::generate().unwrap();
    let sim = start(config().client_ca_pem(&client_ca.ca_pem()));
    let ca = sim.ca_cert_pem().unwrap();
    let rogue = ClientCa::generate().unwrap();
    let (cert, key) = rogue.issue(MERCHANT).unwrap();
    handshake_refused(&sim, tls_client(&ca, Some((&cert, &key))));
    // No client certificate at all.
    handshake_refused(&sim, tls_client(&ca, None));
    // The server still serves good clients afterwards.
    let (cert, key) = client_ca.issue(MERCHANT).unwrap();
    let mut c = Client::tls(sim.addr(), tls_client(&ca, Some((&cert, &key))));
    assert_eq!(c.post(&pairs(&[("apiOperation", "CREATE_SESSION"), ("merchant", MERCHANT)])).status, 200);
}

#[test]
fn tls_with_given_pem_files() {
    // Issue a server certificate from a CA of our own and hand it over as PEM.
    let id = gw_sim::pki::ServerIdentity::generate().unwrap();
    let cert_pem = pem_of(&id.cert_chain[0]);
    let key_pem = {
        use std::fmt::Write as _;
        let der = id.key.secret_der();
        let b64 = base64_encode(der);
        let mut s = String::from("-----BEGIN PRIVATE KEY-----\n");
        for line in b64.as_bytes().chunks(64) {
            let _ = writeln!(s, "{}", std::str::from_utf8(line).unwrap());
        }
        s.push_str("-----END PRIVATE KEY-----\n");
        s
    };
    let sim = start(config().tls_pem(&cert_pem, &key_pem));
    assert!(sim.ca_cert_pem().is_none());
    let mut c = Client::tls(sim.addr(), tls_client(id.ca_pem.as_deref().unwrap(), None));
    assert_eq!(c.post(&base("CREATE_SESSION")).status, 200);
}

fn pem_of(der: &[u8]) -> String {
    let b64 = base64_encode(der);
    let mut s = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        s.push_str(std::str::from_utf8(line).unwrap());
        s.push('\n');
    }
    s.push_str("-----END CERTIFICATE-----\n");
    s
}

fn base64_encode(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(T[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn faults_over_tls() {
    let sim = start(config().tls_generated());
    let cfg = tls_client(&sim.ca_cert_pem().unwrap(), None);
    let fault = |name: &str| with(base("CREATE_SESSION"), &[("correlationId", &format!("gw-sim:fault={name}"))]);
    let mut c = Client::tls(sim.addr(), cfg.clone());
    assert_eq!(c.post(&fault("server-busy")).status, 503);
    assert_eq!(c.post(&fault("http500-html")).status, 500);
    // Truncated and reset answers never read as complete.
    for name in ["truncate", "reset"] {
        let mut c = Client::tls(sim.addr(), cfg.clone());
        let body = gw::nvp::encode(&fault(name));
        let req = format!("POST /api/nvp/version/50 HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}", body.len());
        c.send_raw(req.as_bytes()).unwrap();
        assert!(c.read_response().is_err(), "{name}");
    }
    // A silent TLS connection does not hold up stop().
    let mut silent = Client::tls(sim.addr(), cfg);
    let body = gw::nvp::encode(&fault("silent"));
    let req = format!("POST /api/nvp/version/50 HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}", body.len());
    silent.send_raw(req.as_bytes()).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let t = std::time::Instant::now();
    sim.stop();
    assert!(t.elapsed() < Duration::from_secs(2));
}
