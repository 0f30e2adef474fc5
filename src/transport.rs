//! The HTTPS transport: gw's own keep-alive connection pool per client,
//! shared by every thread that uses the client, and one HTTP/1.1 exchange
//! per attempt.
//!
//! A POST goes out with the form body; whatever the HTTP status, the answer's
//! body is handed to the caller's decoder (4xx and 5xx carry `result=ERROR`),
//! up to [`MAX_ANSWER_BYTES`]. Failures are classified by the phase the
//! exchange reached ([`Phase`]), which is what decides whether the request can
//! have reached the gateway and so whether a retry is safe.
//!
//! HTTP/1.1 is ureq-proto's (`exchange.rs`: the sans-IO state machine ureq
//! itself is built on, so gw parses no HTTP of its own); the connections are
//! gw's, in layers that import only downward: `socket.rs` (the deadline,
//! the faults, names resolved, TCP, writes that never raise `SIGPIPE`, the
//! idle peek), `proxy.rs` (the proxy's tunnel) and `tls.rs` (TLS within the
//! call's one deadline, one rustls configuration per client for session
//! resumption, what rustls holds between exchanges), `connection.rs` (the
//! buffers each connection reuses and wipes, the request written in one
//! write, and `Conn::pending`, the one test of whether anything is pending
//! at any layer: a connection is pooled and reused only when nothing is,
//! and a pooled one is checked by one non-blocking peek before a request is
//! written on it), connections never shared with a forked child.
//! ureq's agent is not used: its general request path (header maps,
//! middleware, four layers of body readers) cost more than the rest of a
//! call. `docs/transport.md` has the rules and the figures.
//!
//! - Trust: the bundled Mozilla roots, the OS store, or exactly a CA bundle
//!   file. TLS 1.2 and 1.3 only (rustls implements nothing older); there is
//!   no way to turn verification off.
//! - Certificate authentication: the chain and key are read and checked
//!   against each other when the transport is built, so that a bad pair is a
//!   configuration error at `gw_client_new`, not a failure of the first call.
//! - Proxy: only the configured one, or `HTTPS_PROXY` / `NO_PROXY` when the
//!   configuration enables it. Never for plain http (the password would cross
//!   the proxy in clear).
//! - Names are resolved only for a new connection, within the call's
//!   deadline.

use std::env;
use std::fs;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use rustls::crypto::{CryptoProvider, GetRandomFailed, KeyProvider, SecureRandom, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;
use rustls::sign::SigningKey;
use rustls::SignatureScheme;
use rustls::{AlertDescription, CertificateError, ClientConfig, RootCertStore};
use ureq::http::Uri;
use ureq::tls::{Certificate, PemItem};
use ureq::Proxy;
use ureq_proto::http::{header, Request};
use zeroize::Zeroizing;

mod connection;
pub(crate) use connection::forks;
mod exchange;
mod proxy;
mod socket;
mod tls;

use connection::{Conn, Connector, Route, MAX_ANSWER_HEAD};
use socket::{Deadline, Fault, Limit, Progress};

use crate::config::{parse_proxy, Authentication, Config, Trust};
use crate::error::{Error, Kind, Result};
use crate::nvp;

/// The largest answer gw reads. The gateway's NVP answers are a few
/// kilobytes; anything larger is refused (a [`Kind::Protocol`] error) rather
/// than buffered.
pub const MAX_ANSWER_BYTES: u64 = 1024 * 1024;

/// The `User-Agent` gw sends.
pub const USER_AGENT: &str = concat!("gw/", env!("CARGO_PKG_VERSION"));

/// An HTTP answer, not yet decoded: borrowed from the connection's buffers
/// (wiped when the exchange ends), handed to the caller's decoder.
pub struct Answer<'a> {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type` header, when present.
    pub content_type: Option<&'a str>,
    /// The body, at most [`MAX_ANSWER_BYTES`].
    pub body: &'a [u8],
}

/// The phase of an exchange in which a transport failure happened.
///
/// Only a failure in [`Phase::Send`] or later can have let the gateway
/// process the request ("in doubt"); the client's retry policy is decided on
/// the phase, never on an errno. The table of phase × failure → status is in
/// `docs/transport.md`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Resolving the gateway's (or the proxy's) host name.
    Resolve,
    /// Establishing the TCP connection (and the proxy's tunnel).
    Connect,
    /// The TLS handshake.
    Tls,
    /// Writing the request: from its first byte on, it may have arrived.
    Send,
    /// Waiting for and reading the answer.
    Receive,
}

impl Phase {
    /// Whether the request may have reached the gateway: a failure from the
    /// first request byte written on.
    pub fn in_doubt(self) -> bool {
        matches!(self, Phase::Send | Phase::Receive)
    }
}

/// A failed exchange, and the phase it failed in.
pub struct Failure {
    /// The classified error.
    pub error: Error,
    /// Where the exchange stopped.
    pub phase: Phase,
    /// Whether the cause may pass by itself (refused, unreachable, not found,
    /// timed out, a connection broken mid-exchange) so that another attempt
    /// can succeed; a TLS failure, a proxy's refusal or an oversized or
    /// malformed answer does not. Whether another attempt is *safe* is not
    /// the transport's call: the retry table decides that from the phase.
    pub transient: bool,
}

/// How many idle connections a client keeps: one per thread of a busy till
/// (16 threads sharing a client keep their connections), few enough that
/// an idle pool holds little (each connection's buffers are ~32 KiB).
const MAX_IDLE_CONNECTIONS: usize = 16;

/// A pooled connection idle for longer than this is not reused (load
/// balancers close idle connections after 30 to 60 s; the peek would find
/// most of those, this keeps the pool from trusting old ones at all).
const MAX_IDLE_AGE: Duration = Duration::from_secs(15);

/// The transport of one client.
pub struct Transport {
    connector: Connector,
    /// Idle keep-alive connections, the most recently used last.
    pool: Mutex<Vec<Conn>>,
    /// A POST with gw's fixed headers for each URL the client posts to
    /// (cloned per call; only `Content-Length` is added).
    templates: Vec<(String, Request<()>)>,
    /// The connect timeout: lookup, TCP, tunnel and TLS handshake.
    connect_timeout: Duration,
    /// `host[:port]` of the gateway, for messages.
    host: String,
    /// `" via proxy HOST:PORT"` (never its credentials), or empty.
    route: String,
}

impl Transport {
    /// Builds the transport from the configuration (trust, client
    /// certificate, proxy and timeouts) for requests to `urls`, all on the
    /// configured gateway. Certificate, key and CA files are read here, and
    /// a problem with one names the file.
    pub fn new(config: &Config, urls: &[&str]) -> Result<Transport> {
        let tls = Arc::new(tls_config(config)?);
        let proxy = match (&config.proxy, config.proxy_from_environment) {
            (Some(url), _) => Some(parse_proxy(url, "the configured proxy URL")?),
            (None, true) => proxy_from_environment()?,
            (None, false) => None,
        };
        let base_url = config.base_url.as_deref().unwrap_or_default();
        let base: Uri = base_url.parse().map_err(|_| {
            Error::new(Kind::Config, "the base URL cannot be read as a URL (set it with the base URL setter)")
        })?;
        // `NO_PROXY` is decided once: every URL is on the one gateway.
        let proxy = proxy.filter(|proxy| !proxy.is_no_proxy(&base));
        let route = proxy.as_ref().map_or_else(String::new, |p| format!(" via proxy {}:{}", p.host(), p.port()));
        let gateway_host = config.gateway_host.clone().unwrap_or_default();
        let tls_to_gateway = base.scheme_str() == Some("https");
        if proxy.is_some() && !tls_to_gateway {
            // Plain http is allowed to a loopback gateway only because the
            // password then never leaves the machine; through a proxy it
            // would cross the proxy hop in clear.
            return Err(Error::new(
                Kind::Config,
                format!(
                    "plain http to {gateway_host}{route} would send the API password across the proxy hop in clear: use an https base URL, or no proxy"
                ),
            ));
        }
        let bare = |host: &str| host.trim_start_matches('[').trim_end_matches(']').to_owned();
        let proxy = proxy.map(|proxy| {
            let authorization = (proxy.username().is_some() || proxy.password().is_some()).then(|| {
                let credentials = Zeroizing::new(format!(
                    "{}:{}",
                    proxy.username().unwrap_or_default(),
                    proxy.password().unwrap_or_default()
                ));
                let mut value = Zeroizing::new(String::from("Basic "));
                base64::engine::general_purpose::STANDARD.encode_string(credentials.as_bytes(), &mut value);
                value
            });
            (bare(proxy.host()), proxy.port(), authorization)
        });
        let route_to = Route {
            host: bare(base.host().unwrap_or_default()),
            port: base.port_u16().unwrap_or(if tls_to_gateway { 443 } else { 80 }),
            tls: tls_to_gateway,
            proxy,
        };
        let templates = urls.iter().map(|url| Ok(((*url).to_owned(), template(url)?))).collect::<Result<_>>()?;
        Ok(Transport {
            connector: Connector::new(tls, route_to, USER_AGENT),
            pool: Mutex::new(Vec::new()),
            templates,
            connect_timeout: config.connect_timeout,
            host: gateway_host,
            route,
        })
    }

    /// `host[:port]` of the gateway, for messages.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// `" via proxy HOST:PORT"` when a proxy is used, else empty (for logs).
    pub fn route(&self) -> &str {
        &self.route
    }

    /// POSTs `fields` form-encoded to `url` (one of those given to
    /// [`Transport::new`]) and hands the answer, whatever its status, to
    /// `read` while it is still in the connection's buffers, all within
    /// `budget` (resolve, connect, tunnel, handshake, send, answer head and
    /// body: one deadline, never renewed by progress).
    ///
    /// The request is written at most once: a failure is returned with the
    /// phase it reached, and only the client's retry table decides whether
    /// the call makes another attempt. A pooled connection is used only if
    /// its idle check finds it quiet with nothing pending (`Conn::usable`),
    /// so a connection the server closed, or wrote to, while it was idle
    /// costs a new connection, not a request in doubt.
    pub fn post<T>(
        &self,
        url: &str,
        fields: &nvp::Form<'_>,
        budget: Duration,
        read: impl FnOnce(Answer<'_>) -> T,
    ) -> std::result::Result<T, Failure> {
        let started = Instant::now();
        let deadline = Deadline { at: started + budget, limit: Limit::Call };
        let mut progress = Progress::START;
        let fail = |fault: Fault, progress: &Progress| {
            let mut failure = self.classify(fault, budget, progress);
            if let Some(status) = progress.status {
                // The status line arrived: keep it, an oversized or broken
                // body does not make the answer status-less.
                failure.error = failure.error.with_http_status(status);
            }
            failure
        };
        let fresh;
        let template = match self.templates.iter().find(|(known, _)| known == url) {
            Some((_, template)) => template,
            None => {
                fresh = template(url).map_err(|error| Failure { error, phase: Phase::Resolve, transient: false })?;
                &fresh
            }
        };
        let mut conn = match self.pooled(deadline) {
            Some(conn) => {
                progress.pooled = true;
                conn
            }
            None => {
                // The connect timeout bounds everything before the request.
                let connect_by = started + self.connect_timeout;
                let connect = if connect_by < deadline.at {
                    Deadline { at: connect_by, limit: Limit::Connect }
                } else {
                    deadline
                };
                self.connector.open(connect, &mut progress).map_err(|fault| fail(fault, &progress))?
            }
        };
        match exchange::exchange(&mut conn, template, fields, deadline, &mut progress, read) {
            Ok((value, reusable)) => {
                if reusable {
                    self.put_back(conn);
                }
                Ok(value)
            }
            Err(fault) => Err(fail(fault, &progress)),
        }
    }

    /// The most recently used idle connection that is still usable; the
    /// ones that are not are dropped on the way.
    fn pooled(&self, deadline: Deadline) -> Option<Conn> {
        loop {
            let mut conn = self.pool.lock().ok()?.pop()?;
            // The check runs outside the lock.
            if conn.usable(MAX_IDLE_AGE, deadline) {
                return Some(conn);
            }
        }
    }

    fn put_back(&self, conn: Conn) {
        if let Ok(mut pool) = self.pool.lock() {
            if pool.len() == MAX_IDLE_CONNECTIONS {
                pool.remove(0);
            }
            pool.push(conn);
        }
    }

    /// Maps a fault to gw's classes by the phase the exchange was in,
    /// naming the host (and the proxy, never its credentials).
    fn classify(&self, fault: Fault, budget: Duration, progress: &Progress) -> Failure {
        let (host, route) = (&self.host, &self.route);
        let not_sent = "; the request was not sent";
        let in_doubt = "; the request may have been processed";
        let phase = match &fault {
            Fault::HostNotFound(_) => Phase::Resolve,
            // The server refused the handshake, even when (TLS 1.3, client
            // certificate refused) its alert arrives after the request was
            // written: it refused the connection and processed nothing. Not
            // on a pooled connection, whose handshake finished long before:
            // there an alert is a failure like any other, by phase.
            Fault::Tls(tls) if is_refusal(tls) && !progress.pooled => Phase::Tls,
            // Any other TLS failure is classified by the phase reached like
            // every failure: a record that cannot be decrypted after the
            // request was written is a damaged answer, in doubt.
            Fault::Tls(_) if progress.phase.in_doubt() => progress.phase,
            Fault::Tls(_) | Fault::TlsOther(_) => Phase::Tls,
            // Plain http to a TLS server (or https to a plain one): it cannot
            // have understood the request, let alone processed it.
            _ if progress.speaks_tls || progress.speaks_http => Phase::Tls,
            _ => progress.phase,
        };
        let ran_out = |limit: Limit| match limit {
            Limit::Connect => format!("the connect timeout of {} ms ran out", self.connect_timeout.as_millis()),
            Limit::Call => format!("the call's timeout ran out ({} ms were left to it)", budget.as_millis()),
        };
        let (kind, transient, message) = match (phase, fault) {
            (_, Fault::HostNotFound(why)) => {
                let why = why.map_or_else(|| "not found".to_owned(), |err| err.to_string());
                (Kind::Connect, true, format!("host {host}{route} could not be resolved ({why}){not_sent}"))
            }
            (_, Fault::Proxy { refused, why }) => {
                let proxy = route.trim_start_matches(" via ");
                if refused {
                    let hint = if why.contains(" 401") || why.contains(" 407") {
                        " (proxy credentials missing or wrong)"
                    } else {
                        ""
                    };
                    (Kind::Connect, false, format!("the {proxy} refused the tunnel to {host}: {why}{hint}{not_sent}"))
                } else {
                    (Kind::Connect, true, format!("the tunnel through the {proxy} to {host} failed: {why}{not_sent}"))
                }
            }
            (Phase::Resolve, Fault::Timeout(limit)) => {
                (Kind::Timeout, true, format!("resolving {host}{route} timed out: {}{not_sent}", ran_out(limit)))
            }
            (Phase::Connect, Fault::Timeout(limit)) => {
                (Kind::Timeout, true, format!("connecting to {host}{route} timed out: {}{not_sent}", ran_out(limit)))
            }
            (Phase::Resolve | Phase::Connect, other) => {
                (Kind::Connect, true, format!("could not connect to {host}{route}: {}{not_sent}", describe(&other)))
            }
            (_, _) if progress.speaks_tls => (
                Kind::Protocol,
                false,
                format!("the server at {host}{route} answered plain http with TLS: it seems to speak HTTPS, use an https:// base URL"),
            ),
            (_, _) if progress.speaks_http => (
                Kind::Protocol,
                false,
                format!("the server at {host}{route} answered the TLS handshake with plain HTTP: this port does not speak HTTPS (check the base URL's port){not_sent}"),
            ),
            (Phase::Tls, Fault::Timeout(limit)) => {
                (Kind::Timeout, true, format!("the TLS handshake with {host}{route} timed out: {}{not_sent}", ran_out(limit)))
            }
            (Phase::Tls, Fault::Tls(tls)) => (Kind::Tls, false, describe_tls(&tls, host, route)),
            (Phase::Tls, Fault::TlsOther(why)) => {
                (Kind::Tls, false, format!("TLS with {host}{route} failed: {why}{not_sent}"))
            }
            (Phase::Tls, other) => (
                Kind::Connect,
                true,
                format!("the connection to {host}{route} failed during the TLS handshake: {}{not_sent}", describe(&other)),
            ),
            (_, Fault::AnswerTooLarge(limit)) => {
                (Kind::Protocol, false, format!("the answer from {host}{route} is larger than {limit} bytes; refused"))
            }
            (_, Fault::Timeout(limit)) => (
                Kind::Timeout,
                true,
                format!("the call to {host}{route} timed out before a complete answer: {}{in_doubt}", ran_out(limit)),
            ),
            (_, Fault::Tls(tls)) => (
                Kind::Io,
                true,
                format!("the TLS connection to {host}{route} failed mid-exchange: {tls}{in_doubt}"),
            ),
            (_, Fault::Io(io)) => {
                let what = if self.connector.is_tls() { "TLS connection" } else { "connection" };
                (Kind::Io, true, format!("the {what} to {host}{route} failed mid-exchange: {io}{in_doubt}"))
            }
            (_, other) => (Kind::Protocol, false, format!("bad HTTP exchange with {host}{route}: {}", describe(&other))),
        };
        Failure { error: Error::new(kind, message), phase, transient }
    }
}

/// A POST to `url` with gw's fixed headers: the `Host` the URL names (so
/// ureq-proto formats none per call), `User-Agent` and the form's
/// `Content-Type`. No `Accept`: the gateway answers in NVP whatever it
/// says, and gw decodes whatever comes (an HTML page is refused as not an
/// NVP answer), so it would be bytes and work on every call for nothing.
fn template(url: &str) -> Result<Request<()>> {
    let uri: Uri = url.parse().map_err(|_| Error::new(Kind::Config, "the endpoint URL cannot be read as a URL"))?;
    let authority = uri.authority().map(|a| a.as_str().to_owned()).unwrap_or_default();
    Request::post(uri)
        .header(header::HOST, authority)
        .header(header::USER_AGENT, USER_AGENT)
        .header(header::CONTENT_TYPE, nvp::FORM_CONTENT_TYPE)
        .body(())
        .map_err(|err| Error::new(Kind::Config, format!("the endpoint URL cannot be requested: {err}")))
}

/// A fault in words, without the wrapping.
fn describe(fault: &Fault) -> String {
    match fault {
        Fault::Io(io) => io.to_string(),
        Fault::Tls(tls) => tls.to_string(),
        Fault::TlsOther(why) => (*why).to_owned(),
        Fault::Http(http) => format!("the answer is not HTTP/1.1 as expected: {http}"),
        Fault::HeadTooLarge => {
            format!("a line of the answer (its head, or a chunk's size line) runs past {MAX_ANSWER_HEAD} bytes")
        }
        Fault::SpeaksTls => "the answer is a TLS record".to_owned(),
        Fault::HostNotFound(_) => "not found".to_owned(),
        Fault::Timeout(_) => "timed out".to_owned(),
        Fault::AnswerTooLarge(limit) => format!("the answer is larger than {limit} bytes"),
        Fault::Proxy { why, .. } => why.clone(),
    }
}

/// Whether a TLS error is the server refusing the handshake (an alert about
/// certificates or the handshake itself) rather than a damaged connection.
fn is_refusal(err: &rustls::Error) -> bool {
    use AlertDescription as A;
    matches!(
        err,
        rustls::Error::AlertReceived(
            A::HandshakeFailure
                | A::CertificateRequired
                | A::BadCertificate
                | A::UnknownCA
                | A::CertificateUnknown
                | A::UnsupportedCertificate
                | A::CertificateRevoked
                | A::CertificateExpired
                | A::AccessDenied
                | A::DecryptError
                | A::ProtocolVersion
                | A::InsufficientSecurity
        )
    )
}

/// Says which TLS check failed, in words support can act on.
fn describe_tls(err: &rustls::Error, host: &str, route: &str) -> String {
    use rustls::Error as T;
    use CertificateError as C;
    let what = match err {
        T::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => {
            "host name mismatch: the server's certificate is not issued for this host name"
        }
        T::InvalidCertificate(
            C::Expired | C::ExpiredContext { .. } | C::NotValidYet | C::NotValidYetContext { .. },
        ) => {
            "certificate not trusted: the server's certificate is outside its validity period (check the till's clock)"
        }
        T::InvalidCertificate(_) => {
            "certificate not trusted: the server's certificate does not chain to a trusted root"
        }
        T::AlertReceived(
            AlertDescription::CertificateRequired
            | AlertDescription::BadCertificate
            | AlertDescription::UnknownCA
            | AlertDescription::CertificateUnknown
            | AlertDescription::UnsupportedCertificate
            | AlertDescription::CertificateRevoked
            | AlertDescription::CertificateExpired
            | AlertDescription::AccessDenied
            | AlertDescription::DecryptError,
        ) => "the server refused the client certificate (none sent, not one it accepts, or a bad signature)",
        T::AlertReceived(_) => "the server refused the handshake",
        _ => "handshake failed",
    };
    format!("TLS with {host}{route}: {what} ({err})")
}

fn read_file(path: &Path, what: &str) -> Result<Vec<u8>> {
    fs::read(path).map_err(|err| config_error(path, what, &format!("cannot be read: {err}")))
}

fn config_error(path: &Path, what: &str, problem: &str) -> Error {
    Error::new(Kind::Config, format!("the {what} file {} {problem}", path.display()))
}

/// Every item of a PEM file, or an error naming the file.
fn read_pem(path: &Path, what: &str) -> Result<Vec<PemItem<'static>>> {
    let pem = zeroize::Zeroizing::new(read_file(path, what)?);
    ureq::tls::parse_pem(&pem)
        .map(|item| item.map_err(|err| config_error(path, what, &format!("is not valid PEM: {err}"))))
        .collect()
}

fn read_certificates(path: &Path, what: &str) -> Result<Vec<Certificate<'static>>> {
    let certificates: Vec<_> = read_pem(path, what)?
        .into_iter()
        .filter_map(|item| match item {
            PemItem::Certificate(cert) => Some(cert),
            _ => None,
        })
        .collect();
    if certificates.is_empty() {
        return Err(config_error(path, what, "holds no PEM certificate (-----BEGIN CERTIFICATE-----)"));
    }
    Ok(certificates)
}

/// The CA bundle's certificates as a root store, each of which must be
/// usable as a root.
fn read_ca_bundle(path: &Path) -> Result<RootCertStore> {
    let certificates = read_certificates(path, "CA bundle")?;
    let mut store = RootCertStore::empty();
    for (index, cert) in certificates.iter().enumerate() {
        store.add(CertificateDer::from(cert.der()).into_owned()).map_err(|err| {
            config_error(path, "CA bundle", &format!("has an unusable certificate (number {}): {err}", index + 1))
        })?;
    }
    Ok(store)
}

/// The client certificate chain and its key, checked against each other the
/// way rustls will use them.
fn read_client_certificate(
    certificate: &Path,
    private_key: &Path,
    provider: &CryptoProvider,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let chain = read_certificates(certificate, "client certificate")?;
    let key = read_pem(private_key, "private key")?
        .into_iter()
        .find_map(|item| match item {
            PemItem::PrivateKey(key) => Some(key),
            _ => None,
        })
        .ok_or_else(|| config_error(private_key, "private key", "holds no PEM private key"))?;
    let key_der = PrivateKeyDer::try_from(key.der().to_vec())
        .map_err(|err| config_error(private_key, "private key", &format!("holds a key TLS cannot read: {err}")))?;
    let chain_der: Vec<CertificateDer<'static>> =
        chain.iter().map(|cert| CertificateDer::from(cert.der()).into_owned()).collect();
    CertifiedKey::from_der(chain_der.clone(), key_der.clone_key(), provider).map_err(|err| match err {
        rustls::Error::InconsistentKeys(_) => Error::new(
            Kind::Config,
            format!(
                "the private key file {} does not match the client certificate file {} (their public keys differ)",
                private_key.display(),
                certificate.display()
            ),
        ),
        rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented => {
            config_error(certificate, "client certificate", &format!("is not a usable certificate: {err}"))
        }
        other => config_error(private_key, "private key", &format!("holds a key TLS cannot use: {other}")),
    })?;
    Ok((chain_der, key_der))
}

/// rustls' ring provider without ChaCha20-Poly1305, which keeps about 80 KB
/// of code out of the library (issue 9, footprint): every TLS 1.3 server
/// must offer `TLS_AES_128_GCM_SHA256` (RFC 8446, 9.1), and TLS 1.2
/// servers, a gateway's included, offer ECDHE with AES-GCM. Everything
/// else is `rustls::crypto::ring::default_provider()`'s, written out here:
/// any call to that function keeps the ChaCha20 suites (and their code)
/// linked, even when its list is replaced.
fn crypto_provider() -> CryptoProvider {
    use rustls::crypto::ring::cipher_suite::{
        TLS13_AES_128_GCM_SHA256, TLS13_AES_256_GCM_SHA384, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    };
    CryptoProvider {
        // rustls' default order, without ChaCha20-Poly1305.
        cipher_suites: vec![
            TLS13_AES_256_GCM_SHA384,
            TLS13_AES_128_GCM_SHA256,
            TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        ],
        kx_groups: rustls::crypto::ring::DEFAULT_KX_GROUPS.to_vec(),
        signature_verification_algorithms: SIGNATURE_ALGORITHMS,
        secure_random: &Ring,
        key_provider: &Ring,
    }
}

/// The signature algorithms `default_provider()` verifies with (rustls
/// 0.23's `SUPPORTED_SIG_ALGS`, which is private), in its order.
static SIGNATURE_ALGORITHMS: WebPkiSupportedAlgorithms = {
    use webpki::ring as alg;
    WebPkiSupportedAlgorithms {
        all: &[
            alg::ECDSA_P256_SHA256,
            alg::ECDSA_P256_SHA384,
            alg::ECDSA_P384_SHA256,
            alg::ECDSA_P384_SHA384,
            alg::ED25519,
            alg::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
            alg::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
            alg::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
            alg::RSA_PKCS1_2048_8192_SHA256,
            alg::RSA_PKCS1_2048_8192_SHA384,
            alg::RSA_PKCS1_2048_8192_SHA512,
            alg::RSA_PKCS1_2048_8192_SHA256_ABSENT_PARAMS,
            alg::RSA_PKCS1_2048_8192_SHA384_ABSENT_PARAMS,
            alg::RSA_PKCS1_2048_8192_SHA512_ABSENT_PARAMS,
        ],
        mapping: &[
            // For TLS 1.2 the curve is not fixed by the scheme; for TLS 1.3 it is.
            (SignatureScheme::ECDSA_NISTP384_SHA384, &[alg::ECDSA_P384_SHA384, alg::ECDSA_P256_SHA384]),
            (SignatureScheme::ECDSA_NISTP256_SHA256, &[alg::ECDSA_P256_SHA256, alg::ECDSA_P384_SHA256]),
            (SignatureScheme::ED25519, &[alg::ED25519]),
            (SignatureScheme::RSA_PSS_SHA512, &[alg::RSA_PSS_2048_8192_SHA512_LEGACY_KEY]),
            (SignatureScheme::RSA_PSS_SHA384, &[alg::RSA_PSS_2048_8192_SHA384_LEGACY_KEY]),
            (SignatureScheme::RSA_PSS_SHA256, &[alg::RSA_PSS_2048_8192_SHA256_LEGACY_KEY]),
            (SignatureScheme::RSA_PKCS1_SHA512, &[alg::RSA_PKCS1_2048_8192_SHA512]),
            (SignatureScheme::RSA_PKCS1_SHA384, &[alg::RSA_PKCS1_2048_8192_SHA384]),
            (SignatureScheme::RSA_PKCS1_SHA256, &[alg::RSA_PKCS1_2048_8192_SHA256]),
        ],
    }
};

/// Random numbers and private keys as `default_provider()` has them (its
/// own type for these is private).
#[derive(Debug)]
struct Ring;

impl SecureRandom for Ring {
    fn fill(&self, buf: &mut [u8]) -> std::result::Result<(), GetRandomFailed> {
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), buf).map_err(|_| GetRandomFailed)
    }
}

impl KeyProvider for Ring {
    fn load_private_key(
        &self,
        key_der: PrivateKeyDer<'static>,
    ) -> std::result::Result<Arc<dyn SigningKey>, rustls::Error> {
        // Zeroized when dropped, as rustls' own provider does.
        rustls::crypto::ring::sign::any_supported_type(&zeroize::Zeroizing::new(key_der))
    }
}

/// The client's one rustls configuration: its trust, its client certificate,
/// TLS 1.2 and 1.3, and the session cache (rustls' default: 256 sessions in
/// memory, tickets and session IDs) that lets every connection after the
/// first resume. Built per client and never shared between clients.
fn tls_config(config: &Config) -> Result<ClientConfig> {
    let provider = Arc::new(crypto_provider());
    let tls_error = |err: rustls::Error| Error::new(Kind::Config, format!("TLS cannot be set up: {err}"));
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .map_err(tls_error)?;
    let builder = match (&config.ca_bundle, config.trust) {
        (Some(bundle), _) => builder.with_root_certificates(read_ca_bundle(bundle)?),
        (None, Trust::System) => builder.dangerous().with_custom_certificate_verifier(Arc::new(
            // Not dangerous: the platform's own verifier, with its trust store.
            rustls_platform_verifier::Verifier::new(provider.clone()).map_err(tls_error)?,
        )),
        (None, Trust::Bundled) => {
            builder.with_root_certificates(RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() })
        }
    };
    match &config.authentication {
        Some(Authentication::Certificate { certificate, private_key }) => {
            let (chain, key) = read_client_certificate(certificate, private_key, &provider)?;
            builder.with_client_auth_cert(chain, key).map_err(tls_error)
        }
        _ => Ok(builder.with_no_client_auth()),
    }
}

/// `HTTPS_PROXY` (or `https_proxy`), with `NO_PROXY` (or `no_proxy`): hosts,
/// `.domain` suffixes, `*`.
fn proxy_from_environment() -> Result<Option<Proxy>> {
    let var = |names: [&str; 2]| names.iter().find_map(|name| env::var(name).ok().filter(|v| !v.trim().is_empty()));
    let Some(url) = var(["HTTPS_PROXY", "https_proxy"]) else {
        return Ok(None);
    };
    let parsed = parse_proxy(url.trim(), "HTTPS_PROXY")?;
    let mut builder = Proxy::builder(parsed.protocol()).host(parsed.host()).port(parsed.port());
    if let Some(user) = parsed.username() {
        builder = builder.username(user);
    }
    if let Some(password) = parsed.password() {
        builder = builder.password(password);
    }
    for entry in var(["NO_PROXY", "no_proxy"]).unwrap_or_default().split(',') {
        builder = builder.no_proxy(entry.trim());
    }
    builder
        .build()
        .map(Some)
        .map_err(|_| Error::new(Kind::Config, "HTTPS_PROXY is invalid: expected http://[user:password@]host:port"))
}

#[cfg(test)]
mod provider_tests {
    use super::*;

    /// `crypto_provider()` is rustls' ring provider minus ChaCha20-Poly1305:
    /// checked against rustls' own, so that a rustls update that changes its
    /// defaults is noticed here.
    #[test]
    fn the_provider_is_rustls_default_without_chacha20() {
        let ours = crypto_provider();
        let theirs = rustls::crypto::ring::default_provider();
        let without_chacha: Vec<_> =
            theirs.cipher_suites.iter().filter(|suite| !format!("{:?}", suite.suite()).contains("CHACHA20")).collect();
        assert_eq!(ours.cipher_suites.iter().collect::<Vec<_>>(), without_chacha);
        assert_eq!(ours.cipher_suites.len(), 6);
        let names =
            |groups: &[&dyn rustls::crypto::SupportedKxGroup]| groups.iter().map(|g| g.name()).collect::<Vec<_>>();
        assert_eq!(names(&ours.kx_groups), names(&theirs.kx_groups));
        let (ours_sig, theirs_sig) = (ours.signature_verification_algorithms, theirs.signature_verification_algorithms);
        assert_eq!(format!("{:?}", ours_sig.all), format!("{:?}", theirs_sig.all));
        assert_eq!(format!("{:?}", ours_sig.mapping), format!("{:?}", theirs_sig.mapping));
        let mut random = [0u8; 32];
        ours.secure_random.fill(&mut random).unwrap();
        assert_ne!(random, [0u8; 32]);
    }
}
