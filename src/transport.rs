//! The HTTPS transport: one ureq agent (and so one keep-alive connection
//! pool) per client, shared by every thread that uses the client.
//!
//! A POST goes out with the form body; whatever the HTTP status, the answer's
//! body is handed back for decoding (4xx and 5xx carry `result=ERROR`), up to
//! [`MAX_ANSWER_BYTES`]. Failures are classified by whether the request can
//! have reached the gateway, which is what decides if a retry is safe.

use std::fs;
use std::io;
use std::path::Path;
use std::sync::Arc;

use ureq::tls::{Certificate, ClientCert, PemItem, PrivateKey, RootCerts, TlsConfig};
use ureq::Agent;

use crate::config::{Authentication, Config, Trust};
use crate::error::{Error, Kind, Result};

/// The largest answer gw reads. The gateway's NVP answers are a few
/// kilobytes; anything larger is refused (a [`Kind::Protocol`] error) rather
/// than buffered.
pub const MAX_ANSWER_BYTES: u64 = 1024 * 1024;

/// The `User-Agent` gw sends.
pub const USER_AGENT: &str = concat!("gw/", env!("CARGO_PKG_VERSION"));

/// An HTTP answer, not yet decoded.
pub struct RawAnswer {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type` header, when present.
    pub content_type: Option<String>,
    /// The body, at most [`MAX_ANSWER_BYTES`].
    pub body: Vec<u8>,
}

/// A failed exchange, and whether the request may have reached the gateway.
pub struct Failure {
    /// The classified error.
    pub error: Error,
    /// `false` only when it is certain that nothing was sent (the connection
    /// could not be established), which makes a retry safe for any operation.
    pub maybe_sent: bool,
}

/// The transport of one client.
pub struct Transport {
    agent: Agent,
    host: String,
}

impl Transport {
    /// Builds the agent from the configuration: trust, client certificate,
    /// proxy and timeouts. Certificate, key and CA files are read here, and a
    /// problem with one names the file.
    pub fn new(config: &Config, base_url: &str) -> Result<Transport> {
        let mut tls = TlsConfig::builder().root_certs(match (&config.ca_bundle, config.trust) {
            (Some(bundle), _) => RootCerts::new_with_certs(&read_certificates(bundle, "CA bundle")?),
            (None, Trust::System) => RootCerts::PlatformVerifier,
            (None, Trust::Bundled) => RootCerts::WebPki,
        });
        if let Some(Authentication::Certificate { certificate, private_key }) = &config.authentication {
            let chain = read_certificates(certificate, "client certificate")?;
            let key = read_private_key(private_key)?;
            tls = tls.client_cert(Some(ClientCert::new_with_certs(&chain, key)));
        }
        let proxy = match (&config.proxy, config.proxy_from_environment) {
            (Some(url), _) => Some(
                ureq::Proxy::new(url).map_err(|err| Error::new(Kind::Config, format!("proxy URL is invalid: {err}")))?,
            ),
            (None, true) => ureq::Proxy::try_from_env(),
            (None, false) => None,
        };
        let agent_config = Agent::config_builder()
            .http_status_as_error(false)
            .https_only(false)
            .max_redirects(0)
            .user_agent(USER_AGENT)
            .accept("application/x-www-form-urlencoded")
            .proxy(proxy)
            .tls_config(tls.build())
            .timeout_connect(Some(config.connect_timeout))
            .timeout_global(Some(config.timeout))
            .build();
        let host = base_url.split("://").nth(1).unwrap_or("").split('/').next().unwrap_or("").to_owned();
        Ok(Transport { agent: agent_config.into(), host })
    }

    /// POSTs a form body to `url` and reads the answer, whatever its status.
    pub fn post(&self, url: &str, body: &[u8]) -> std::result::Result<RawAnswer, Failure> {
        let mut response = self
            .agent
            .post(url)
            .header("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
            .send(body)
            .map_err(|err| self.classify(err, false))?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER_BYTES)
            .read_to_vec()
            .map_err(|err| self.classify(err, true))?;
        Ok(RawAnswer { status, content_type, body })
    }

    /// Maps a ureq error to gw's classes, naming the host.
    fn classify(&self, err: ureq::Error, answer_started: bool) -> Failure {
        use ureq::Error as E;
        let host = &self.host;
        let (kind, maybe_sent, message) = match err {
            E::Timeout(ureq::Timeout::Connect | ureq::Timeout::Resolve) => {
                (Kind::Timeout, false, format!("connecting to {host} timed out; the request was not sent"))
            }
            E::Timeout(which) => (Kind::Timeout, true, format!("the call to {host} timed out ({which})")),
            E::HostNotFound => (Kind::Connect, false, format!("host {host} was not found; the request was not sent")),
            E::ConnectProxyFailed(why) => {
                (Kind::Connect, false, format!("the proxy refused the tunnel to {host}: {why}; the request was not sent"))
            }
            E::Io(io) if !answer_started && is_connect_error(&io) => {
                (Kind::Connect, false, format!("could not connect to {host}: {io}; the request was not sent"))
            }
            E::Io(io) => match tls_cause(&io) {
                Some(tls) => (Kind::Tls, !answer_started, format!("TLS with {host} failed: {tls}")),
                None => (Kind::Io, true, format!("the connection to {host} failed mid-exchange: {io}")),
            },
            E::Rustls(tls) => (Kind::Tls, false, format!("TLS with {host} failed: {tls}")),
            E::Tls(why) => (Kind::Tls, false, format!("TLS with {host} failed: {why}")),
            E::BodyExceedsLimit(limit) => (
                Kind::Protocol,
                true,
                format!("the answer from {host} is larger than {limit} bytes; refused"),
            ),
            other => (Kind::Protocol, true, format!("bad HTTP exchange with {host}: {other}")),
        };
        Failure { error: Error::new(kind, message), maybe_sent }
    }
}

fn is_connect_error(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::NetworkUnreachable
            | io::ErrorKind::NetworkDown
            | io::ErrorKind::AddrNotAvailable
    )
}

/// The rustls error inside an I/O error, if the failure was TLS.
fn tls_cause(err: &io::Error) -> Option<String> {
    let inner = err.get_ref()?;
    inner.downcast_ref::<rustls::Error>().map(|tls| tls.to_string())
}

fn read_file(path: &Path, what: &str) -> Result<Vec<u8>> {
    fs::read(path).map_err(|err| Error::new(Kind::Config, format!("cannot read the {what} file {}: {err}", path.display())))
}

fn read_certificates(path: &Path, what: &str) -> Result<Vec<Certificate<'static>>> {
    let pem = read_file(path, what)?;
    let mut certificates = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(PemItem::Certificate(cert)) => certificates.push(cert),
            Ok(_) => {}
            Err(err) => {
                return Err(Error::new(Kind::Config, format!("the {what} file {} is not valid PEM: {err}", path.display())))
            }
        }
    }
    if certificates.is_empty() {
        return Err(Error::new(Kind::Config, format!("the {what} file {} holds no PEM certificate", path.display())));
    }
    Ok(certificates)
}

fn read_private_key(path: &Path) -> Result<PrivateKey<'static>> {
    let pem = zeroize::Zeroizing::new(read_file(path, "private key")?);
    PrivateKey::from_pem(&pem).map_err(|err| {
        Error::new(Kind::Config, format!("the private key file {} holds no usable PEM key: {err}", path.display()))
    })
}

/// Shared so the client can hand the same transport to every thread.
pub type SharedTransport = Arc<Transport>;
