//! Test helpers: a raw HTTP/1.1 client (plain or TLS) that keeps the
//! connection, and NVP request builders.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

pub const MERCHANT: &str = "TESTMERCHANT";
pub const PASSWORD: &str = "secret-password";
pub const VISA: &str = "4000000000000002";

pub fn config() -> gw_sim::SimConfig {
    gw_sim::SimConfig::default().merchant(MERCHANT, PASSWORD)
}

pub fn start(cfg: gw_sim::SimConfig) -> gw_sim::Sim {
    gw_sim::Sim::start(cfg).expect("sim starts")
}

pub fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Authentication and merchant fields plus `apiOperation`.
pub fn base(op: &str) -> Vec<(String, String)> {
    pairs(&[
        ("apiOperation", op),
        ("apiUsername", &format!("merchant.{MERCHANT}")),
        ("apiPassword", PASSWORD),
        ("merchant", MERCHANT),
    ])
}

/// A TOKENIZE request for a P2PE payload.
pub fn tokenize(p2pe: &gw_sim::terminal::P2pe) -> Vec<(String, String)> {
    let mut f = base("TOKENIZE");
    f.push(("sourceOfFunds.type".into(), "CARD".into()));
    f.extend(p2pe.fields());
    f
}

pub fn with(mut f: Vec<(String, String)>, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    for (k, v) in extra {
        f.retain(|(n, _)| n != k);
        f.push((k.to_string(), v.to_string()));
    }
    f
}

pub fn without(mut f: Vec<(String, String)>, name: &str) -> Vec<(String, String)> {
    f.retain(|(n, _)| n != name);
    f
}

#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub fn fields(&self) -> BTreeMap<String, String> {
        gw::nvp::decode(&self.body, gw::nvp::Charset::Utf8).expect("NVP body").into_iter().collect()
    }
    pub fn pairs(&self) -> Vec<(String, String)> {
        gw::nvp::decode(&self.body, gw::nvp::Charset::Utf8).expect("NVP body")
    }
    pub fn get(&self, name: &str) -> Option<String> {
        self.fields().get(name).cloned()
    }
}

pub trait Io: Read + Write + Send {}
impl<T: Read + Write + Send> Io for T {}

/// One keep-alive connection.
pub struct Client {
    pub stream: Box<dyn Io>,
    buf: Vec<u8>,
}

impl Client {
    pub fn connect(addr: SocketAddr) -> Client {
        let s = TcpStream::connect(addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        s.set_nodelay(true).unwrap();
        Client { stream: Box::new(s), buf: Vec::new() }
    }

    pub fn tls(addr: SocketAddr, config: Arc<rustls::ClientConfig>) -> Client {
        let s = TcpStream::connect(addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let conn = rustls::ClientConnection::new(config, "localhost".try_into().unwrap()).unwrap();
        Client { stream: Box::new(rustls::StreamOwned::new(conn, s)), buf: Vec::new() }
    }

    pub fn send_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes)?;
        self.stream.flush()
    }

    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> std::io::Result<HttpResponse> {
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n", body.len());
        if let Some(ct) = content_type {
            req.push_str(&format!("Content-Type: {ct}\r\n"));
        }
        req.push_str("\r\n");
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body);
        self.send_raw(&bytes)?;
        self.read_response()
    }

    pub fn post(&mut self, fields: &[(String, String)]) -> HttpResponse {
        self.post_version(50, fields)
    }

    pub fn post_version(&mut self, version: u32, fields: &[(String, String)]) -> HttpResponse {
        let body = gw::nvp::encode(fields);
        self.request(
            "POST",
            &format!("/api/nvp/version/{version}"),
            Some("application/x-www-form-urlencoded; charset=UTF-8"),
            body.as_bytes(),
        )
        .expect("response")
    }

    pub fn read_response(&mut self) -> std::io::Result<HttpResponse> {
        let head_end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            self.fill()?;
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).to_string();
        self.buf.drain(..head_end + 4);
        let mut lines = head.split("\r\n");
        let status: u16 = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
        let headers: Vec<(String, String)> = lines
            .map(|l| {
                let (n, v) = l.split_once(':').unwrap();
                (n.to_string(), v.trim().to_string())
            })
            .collect();
        let len: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .map(|(_, v)| v.parse().unwrap())
            .unwrap_or(0);
        while self.buf.len() < len {
            self.fill()?;
        }
        let body = self.buf.drain(..len).collect();
        Ok(HttpResponse { status, headers, body })
    }

    fn fill(&mut self) -> std::io::Result<()> {
        let mut chunk = [0u8; 65536];
        let n = self.stream.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }
}

/// One request on a fresh connection.
pub fn post(sim: &gw_sim::Sim, fields: &[(String, String)]) -> HttpResponse {
    Client::connect(sim.addr()).post(fields)
}

/// Asserts an HTTP 200 `result=SUCCESS` answer; its fields.
pub fn ok(r: &HttpResponse) -> BTreeMap<String, String> {
    let f = r.fields();
    assert_eq!(r.status, 200, "{f:?}");
    assert_eq!(f["result"], "SUCCESS", "{f:?}");
    f
}

/// Asserts an INVALID_REQUEST field error.
pub fn assert_field_error(r: &HttpResponse, status: u16, field: &str, vt: &str) {
    let f = r.fields();
    assert_eq!(r.status, status, "{f:?}");
    assert_eq!(f.get("result").map(String::as_str), Some("ERROR"), "{f:?}");
    assert_eq!(f.get("error.cause").map(String::as_str), Some("INVALID_REQUEST"), "{f:?}");
    assert_eq!(f.get("error.field").map(String::as_str), Some(field), "{f:?}");
    assert_eq!(f.get("error.validationType").map(String::as_str), Some(vt), "{f:?}");
    assert!(f.get("error.explanation").is_some_and(|e| !e.is_empty()), "{f:?}");
}

/// A rustls client config trusting `ca_pem`, optionally with a client certificate.
pub fn tls_client(ca_pem: &str, client: Option<(&str, &str)>) -> Arc<rustls::ClientConfig> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let b = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    let cfg = match client {
        Some((cert, key)) => {
            let certs: Vec<CertificateDer<'static>> =
                CertificateDer::pem_slice_iter(cert.as_bytes()).map(|c| c.unwrap()).collect();
            let key = PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap();
            b.with_client_auth_cert(certs, key).unwrap()
        }
        None => b.with_no_client_auth(),
    };
    Arc::new(cfg)
}
