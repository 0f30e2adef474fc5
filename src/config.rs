//! Client configuration: where the gateway is, who the merchant is, how to
//! authenticate, and how patient to be.
//!
//! Each setter checks its own value at once and says what is wrong with it;
//! [`Client::new`](crate::Client::new) checks that the whole is complete.
//! The API password is zeroized when the configuration is dropped and never
//! appears in a message or a `Debug` string.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use zeroize::Zeroizing;

use crate::error::{Error, Kind, Result};
use crate::rules::{self, Operation};
use ureq::http::Uri;
use ureq::Proxy;

/// The NVP API version used when none is set.
pub const DEFAULT_API_VERSION: u32 = 50;
/// The longest base URL accepted (bytes).
const MAX_URL_LEN: usize = 2048;
/// The lowest API version gw speaks: the Create Session reference is version 39.
pub const MIN_API_VERSION: u32 = 39;
/// The highest API version gw accepts.
pub const MAX_API_VERSION: u32 = 100;
/// Connect timeout when none is set (the gateway's own SDKs use 15 s).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// Overall per-call timeout when none is set (the gateway's own SDKs use 60 s).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Retries when none is set: see [`Config::set_retries`].
pub const DEFAULT_RETRIES: u32 = 2;
/// The retry waits when none are set: see [`Config::set_backoff`].
const DEFAULT_BACKOFF: (Duration, Duration) = (Duration::from_millis(200), Duration::from_secs(10));
/// The most retries a configuration accepts.
pub const MAX_RETRIES: u32 = 10;

/// Severity of a log message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// A call failed.
    Error = 1,
    /// Something went wrong but the call goes on (a retry).
    Warn = 2,
    /// One line per attempt: host, path, HTTP status, duration.
    Info = 3,
    /// Request and response fields, with secrets and card data masked.
    Debug = 4,
}

/// Where log messages go: called from whichever thread makes the call.
pub type LogSink = Arc<dyn Fn(LogLevel, &str) + Send + Sync>;

/// How the client authenticates to the gateway.
#[derive(Clone)]
pub enum Authentication {
    /// `apiUsername=merchant.<ID>` and `apiPassword` in every request.
    Password(Zeroizing<String>),
    /// A client certificate (PEM chain) and its private key (PEM).
    Certificate {
        /// The PEM file of the certificate chain, leaf first.
        certificate: PathBuf,
        /// The PEM file of the certificate's private key.
        private_key: PathBuf,
    },
}

/// Which certificate authorities the client trusts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trust {
    /// The Mozilla roots bundled in gw (the default).
    Bundled,
    /// The operating system's trust store.
    System,
}

/// The client configuration.
#[derive(Clone)]
pub struct Config {
    pub(crate) base_url: Option<String>,
    /// `host[:port]` of the base URL, as the URL parser found it.
    pub(crate) gateway_host: Option<String>,
    pub(crate) api_version: u32,
    pub(crate) merchant: Option<String>,
    pub(crate) authentication: Option<Authentication>,
    pub(crate) trust: Trust,
    pub(crate) ca_bundle: Option<PathBuf>,
    pub(crate) proxy: Option<Zeroizing<String>>,
    pub(crate) proxy_from_environment: bool,
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
    pub(crate) retries: u32,
    /// The first wait before a retry and the longest (see [`Config::set_backoff`]).
    pub(crate) backoff: (Duration, Duration),
    /// The payment journal's file (see [`Config::set_journal`]).
    pub(crate) journal: Option<PathBuf>,
    pub(crate) token_repository_unique_card: bool,
    pub(crate) log: Option<(LogLevel, LogSink)>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            base_url: None,
            gateway_host: None,
            api_version: DEFAULT_API_VERSION,
            merchant: None,
            authentication: None,
            trust: Trust::Bundled,
            ca_bundle: None,
            proxy: None,
            proxy_from_environment: false,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            retries: DEFAULT_RETRIES,
            backoff: DEFAULT_BACKOFF,
            journal: None,
            token_repository_unique_card: false,
            log: None,
        }
    }
}

fn config_error(message: String) -> Error {
    Error::new(Kind::Config, message)
}

impl Config {
    /// An empty configuration: set at least the base URL, the merchant and a
    /// means of authentication.
    pub fn new() -> Config {
        Config::default()
    }

    /// The gateway's base URL, e.g. `https://ap-gateway.mastercard.com`
    /// (any host: regional and white-label gateways exist). `https` is
    /// required; plain `http` is accepted only for a loopback host (a local
    /// gw-sim), so that a password never crosses a network in clear.
    pub fn set_base_url(&mut self, url: &str) -> Result<()> {
        let (base, host_port) = parse_base_url(url)?;
        self.gateway_host = Some(host_port);
        self.base_url = Some(base);
        Ok(())
    }

    /// The NVP API version `N` of `{base}/api/nvp/version/{N}`; default 50.
    pub fn set_api_version(&mut self, version: u32) -> Result<()> {
        if !(MIN_API_VERSION..=MAX_API_VERSION).contains(&version) {
            return Err(config_error(format!(
                "API version {version} is outside {MIN_API_VERSION} to {MAX_API_VERSION}"
            )));
        }
        self.api_version = version;
        Ok(())
    }

    /// The merchant ID (the gateway's `merchant` field rule: 1–40 of
    /// `0-9 a-z A-Z - _`).
    pub fn set_merchant(&mut self, merchant: &str) -> Result<()> {
        rules::check_field_any_version(Operation::CreateSession, "merchant", merchant)
            .map_err(|err| config_error(format!("merchant ID {}", err.rule)).with_field("merchant"))?;
        self.merchant = Some(merchant.to_owned());
        Ok(())
    }

    /// Password authentication with this API password (replaces a certificate).
    pub fn set_api_password(&mut self, password: &str) -> Result<()> {
        if password.is_empty() {
            return Err(config_error("the API password is empty".to_owned()));
        }
        self.authentication = Some(Authentication::Password(Zeroizing::new(password.to_owned())));
        Ok(())
    }

    /// Certificate authentication with a client certificate chain and its
    /// private key, both PEM files (replaces a password). The files are read
    /// and checked by [`Client::new`](crate::Client::new).
    pub fn set_client_certificate(&mut self, certificate: &str, private_key: &str) -> Result<()> {
        if certificate.is_empty() || private_key.is_empty() {
            return Err(config_error("the client certificate and key paths must not be empty".to_owned()));
        }
        self.authentication = Some(Authentication::Certificate {
            certificate: PathBuf::from(certificate),
            private_key: PathBuf::from(private_key),
        });
        Ok(())
    }

    /// Which roots to trust: the bundled Mozilla roots (default; the same on
    /// every till, updated with gw) or the operating system's store (updated
    /// with the OS, and where a company's own root is usually installed).
    pub fn set_trust(&mut self, trust: Trust) {
        self.trust = trust;
    }

    /// Trust exactly the certificates of this PEM bundle instead of the roots
    /// chosen by [`Config::set_trust`] (a test host such as gw-sim, a
    /// TLS-inspecting proxy). Read and checked by
    /// [`Client::new`](crate::Client::new). There is no way to disable
    /// certificate verification.
    pub fn set_ca_bundle(&mut self, path: &str) -> Result<()> {
        if path.is_empty() {
            return Err(config_error("the CA bundle path is empty".to_owned()));
        }
        self.ca_bundle = Some(PathBuf::from(path));
        Ok(())
    }

    /// An HTTP CONNECT proxy, `http://[user:password@]host:port` (user and
    /// password percent-encoded). The URL, which may hold credentials, never
    /// appears in a message: the proxy is named by host and port only.
    pub fn set_proxy(&mut self, url: &str) -> Result<()> {
        parse_proxy(url, "the proxy URL")?;
        self.proxy = Some(Zeroizing::new(url.to_owned()));
        Ok(())
    }

    /// Take the proxy from `HTTPS_PROXY` / `NO_PROXY` when no proxy is set
    /// (off by default: a till's environment is not always the merchant's).
    pub fn set_proxy_from_environment(&mut self, enabled: bool) {
        self.proxy_from_environment = enabled;
    }

    /// Connect timeout of one attempt (default 15 s; must be positive): TCP
    /// connect, proxy tunnel and TLS handshake. Within the call's timeout.
    pub fn set_connect_timeout(&mut self, timeout: Duration) -> Result<()> {
        if timeout.is_zero() {
            return Err(config_error("the connect timeout must be positive".to_owned()));
        }
        self.connect_timeout = timeout;
        Ok(())
    }

    /// Overall timeout of one call (default 60 s; must be positive): every
    /// attempt from connect to the last byte of the answer, and the waits
    /// between retries. A call never takes longer, whatever the gateway, the
    /// proxy or the line do. Name resolution (DNS) is the one step bounded by
    /// the system resolver's own timeout instead (see `/etc/resolv.conf`).
    pub fn set_timeout(&mut self, timeout: Duration) -> Result<()> {
        if timeout.is_zero() {
            return Err(config_error("the timeout must be positive".to_owned()));
        }
        self.timeout = timeout;
        Ok(())
    }

    /// How many times a call is retried (default 2, at most 10; 0 turns
    /// retries off). Only where a repeat cannot do anything the first request
    /// did not: always when nothing was sent or the gateway answered
    /// `SERVER_BUSY`; after a failure once the request went out, or
    /// `SERVER_FAILED`, for every operation but a `TOKENIZE` without a
    /// `token` (unless [`Config::set_token_repository_unique_card`]).
    /// CHECK_GATEWAY makes one attempt only. A payment is resent
    /// byte-identical (an identical resubmission, which the gateway answers
    /// with the first answer) after a failure in doubt or `LOCK_FAILURE`.
    /// The table, cell by cell, is in `docs/production.md` ("Retries") and
    /// `src/retry.rs`.
    ///
    /// Waits 200 ms, 400 ms, 800 ms, ... (capped at 10 s; see
    /// [`Config::set_backoff`]) plus up to 50 % random jitter. The whole call, waits included, stays within
    /// [`Config::set_timeout`]: a retry that would not fit is not made.
    pub fn set_retries(&mut self, retries: u32) -> Result<()> {
        if retries > MAX_RETRIES {
            return Err(config_error(format!("{retries} retries is more than the maximum {MAX_RETRIES}")));
        }
        self.retries = retries;
        Ok(())
    }

    /// The waits between attempts of a call: `first` before the first
    /// retry, twice as long before each next one, at most `max`, each plus
    /// up to 50 % random jitter (default 200 ms and 10 s). The same for every
    /// retry: a repeat of a request, a payment's identical resubmission, a
    /// poll of RETRIEVE_TRANSACTION while its outcome is not final. The
    /// gateway's "wait 60 seconds" is advice to a person resubmitting by
    /// hand: an identical resubmission meets its original (LOCK_FAILURE)
    /// or its answer, never a second payment, so an early one is harmless.
    pub fn set_backoff(&mut self, first: Duration, max: Duration) -> Result<()> {
        if first.is_zero() || max < first {
            return Err(config_error("the backoff's first wait must be positive and at most its longest".to_owned()));
        }
        self.backoff = (first, max);
        Ok(())
    }

    /// Keeps the payment journal in the SQLite file `path` (created when
    /// missing; its `-wal` and `-shm` files beside it): before a
    /// money-moving request goes out its intent is recorded durably, and
    /// its outcome once final; `Client::recover_journal` resolves what a
    /// crash left open. Opened by [`crate::Client::new`]. `None`: no journal
    /// (the default). An empty path, or one longer than 4096 bytes (Linux's
    /// PATH_MAX), is refused.
    pub fn set_journal(&mut self, path: Option<&Path>) -> Result<()> {
        if let Some(path) = path {
            let length = path.as_os_str().len();
            if length == 0 || length > 4096 {
                return Err(config_error(format!("the journal's path must be 1 to 4096 bytes long, not {length}")));
            }
        }
        self.journal = path.map(Path::to_path_buf);
        Ok(())
    }

    /// Says that the merchant's token repository keeps one token per card:
    /// its Token Management strategy (set on the merchant profile by the
    /// payment service provider) is "Unique Account Identifier" (the REST
    /// pages call it "Unique Card Number"), not "Unique Token". There a
    /// TOKENIZE without a `token` for a card already stored answers with the
    /// card's existing token, so a repeat has no second effect and gw
    /// retries it after an in-doubt failure like CREATE_SESSION (see
    /// `crate::rules::UNIQUE_CARD_PAGES`). Off by default: with a Unique
    /// Token repository such a repeat could store the card under a second
    /// token, and gw does not repeat it. Setting this for a repository that
    /// is not unique-card makes exactly those duplicates possible.
    pub fn set_token_repository_unique_card(&mut self, unique_card: bool) {
        self.token_repository_unique_card = unique_card;
    }

    /// Sends log messages at `level` and above to `sink`.
    pub fn set_log(&mut self, level: LogLevel, sink: LogSink) {
        self.log = Some((level, sink));
    }

    /// Turns logging off.
    pub fn clear_log(&mut self) {
        self.log = None;
    }

    /// The endpoint of the configured version: `{base}/api/nvp/version/{N}`.
    pub fn endpoint(&self) -> Option<String> {
        self.base_url.as_ref().map(|base| format!("{base}/api/nvp/version/{}", self.api_version))
    }

    /// Checks that the configuration is complete.
    pub(crate) fn check_complete(&self) -> Result<()> {
        if self.base_url.is_none() {
            return Err(config_error("no base URL is set (gw_config_set_base_url)".to_owned()));
        }
        if self.merchant.is_none() {
            return Err(config_error("no merchant ID is set (gw_config_set_merchant)".to_owned()));
        }
        if self.authentication.is_none() {
            return Err(config_error(
                "no authentication is set: an API password (gw_config_set_api_password) or a client certificate (gw_config_set_client_certificate)"
                    .to_owned(),
            ));
        }
        Ok(())
    }
}

/// How a URL is named in a message: the URL itself when it cannot hold
/// credentials (no `@`), else nothing, so that a password typed into a URL
/// never reaches an error or a log line.
fn shown(url: &str) -> String {
    if url.contains('@') {
        String::new()
    } else {
        format!(" '{url}'")
    }
}

/// The base URL, parsed by the `http` crate's URI parser (the one ureq
/// sends with) plus the checks of [`Authority::parse`]: `https` to any host,
/// `http` to a loopback host only, no credentials, query or fragment.
/// Returns the normalised URL (scheme and host lower-case, no default port,
/// no trailing `/`) and `host[:port]`, the one fact the client and the
/// transport take the host, port and path from.
pub(crate) fn parse_base_url(url: &str) -> Result<(String, String)> {
    // Refused before any message repeats it: a megabyte of URL is no URL.
    if url.len() > MAX_URL_LEN {
        return Err(config_error(format!("base URL of {} bytes is longer than {MAX_URL_LEN}", url.len())));
    }
    let shown = shown(url);
    let invalid =
        |why: &str| config_error(format!("base URL{shown} is not a valid URL ({why}): use https://HOST[:PORT]"));
    // The URI parser accepts some bytes a URL must carry percent-encoded
    // (non-ASCII, `"{}` in the path); gw sends the path as given, so these
    // are refused rather than sent raw.
    if !url.bytes().all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b'{' | b'}' | b'\\' | b'^' | b'`' | b'|')) {
        return Err(invalid("only printable ASCII is allowed; percent-encode the rest"));
    }
    // The URI parser drops a fragment without a word; a query is refused
    // too (gw appends its own path), so both are checked on the text.
    if url.contains(['?', '#']) {
        return Err(config_error(format!(
            "base URL{shown} must be scheme://host[:port][/path], without query or fragment"
        )));
    }
    let uri = url.trim_end_matches('/').parse::<Uri>().map_err(|err| invalid(&err.to_string()))?;
    let authority = match uri.authority() {
        Some(authority) => Authority::parse(authority.as_str()).ok_or_else(|| invalid("bad host or port"))?,
        None => return Err(config_error(format!("base URL{shown} has no host: use https://HOST[:PORT]"))),
    };
    if authority.userinfo {
        return Err(config_error(
            "the base URL must not carry credentials (user:password@): the API password is set with gw_config_set_api_password"
                .to_owned(),
        ));
    }
    // The parser lower-cases the two standard schemes; any other is refused.
    let (scheme, default_port) = match uri.scheme_str() {
        Some("https") => ("https", 443),
        Some("http") if authority.loopback => ("http", 80),
        Some("http") => {
            return Err(config_error(format!("base URL{shown} uses plain http to a non-loopback host: use https")))
        }
        Some(scheme) => return Err(config_error(format!("base URL{shown} has scheme '{scheme}': use https"))),
        None => return Err(invalid("no scheme")),
    };
    let host = authority.host.to_ascii_lowercase();
    let host_port = match authority.port {
        Some(port) if port != default_port => format!("{host}:{port}"),
        _ => host,
    };
    let path = uri.path().trim_end_matches('/');
    // gw appends /api/nvp/version/N itself: a base URL copied from the
    // gateway's documentation with that path would be sent to a 404 page.
    if let Some(at) = path.to_ascii_lowercase().find("/api/nvp") {
        return Err(config_error(format!(
            "base URL{shown} already contains the API path /api/nvp, which gw adds itself (with the version \
             set by gw_config_set_api_version): use {scheme}://{host_port}{}",
            &path[..at]
        )));
    }
    let base = format!("{scheme}://{host_port}{path}");
    Ok((base, host_port))
}

/// A proxy URL as gw accepts it: `http://[user:password@]host[:port]`
/// (`http://` may be left out; port 80 when none), checked by the URI
/// parser and [`Authority::parse`] before ureq sees it. The message never
/// repeats the URL, which may hold credentials.
pub(crate) fn parse_proxy(url: &str, what: &str) -> Result<Proxy> {
    let expected = "expected http://[user:password@]host:port";
    let with_scheme = if url.contains("://") { url.to_owned() } else { format!("http://{url}") };
    let uri =
        with_scheme.parse::<Uri>().map_err(|err| config_error(format!("{what} is invalid ({err}): {expected}")))?;
    if uri.scheme_str() != Some("http") {
        return Err(config_error(format!("{what} must be an HTTP CONNECT proxy, http://[user:password@]host:port")));
    }
    let authority = uri.authority().and_then(|authority| Authority::parse(authority.as_str()));
    // A fragment is dropped by the URI parser without a word: checked on the text.
    let Some(authority) = authority.filter(|_| uri.path() == "/" && !with_scheme.contains(['?', '#'])) else {
        return Err(config_error(format!("{what} is invalid: {expected}, without path, query or fragment")));
    };
    // ureq parses the same text with the same parser and percent-decodes
    // the credentials; its host and port must be the ones checked here.
    let proxy = Proxy::new(&with_scheme).map_err(|_| config_error(format!("{what} is invalid: {expected}")))?;
    if !proxy.host().eq_ignore_ascii_case(authority.host) || proxy.port() != authority.port.unwrap_or(80) {
        return Err(config_error(format!("{what} is invalid: {expected}")));
    }
    Ok(proxy)
}

/// The authority of a URL, `[user:password@]host[:port]`, as gw accepts it.
struct Authority<'a> {
    /// A `user[:password]@` part is present.
    userinfo: bool,
    /// The host as written: a name, an IPv4 address or a bracketed IPv6 address.
    host: &'a str,
    port: Option<u16>,
    /// `localhost`, `127.0.0.0/8` or `::1`: plain http may go there.
    loopback: bool,
}

impl<'a> Authority<'a> {
    /// Splits an authority that `http::Uri` has accepted, refusing what that
    /// parser lets through because it reads an authority leniently for
    /// servers: a port that is not a number (`host:notaport`, `host:99999`,
    /// `host:+80`) reads as no port, where the call would go to the default
    /// port; text after an IPv6 literal (`[::1]evil.example.com`) reads as
    /// host `[::1]`, a loopback host that plain http may reach; and a host
    /// may hold characters no DNS name has.
    fn parse(authority: &'a str) -> Option<Authority<'a>> {
        let (userinfo, host_port) = match authority.rsplit_once('@') {
            Some((_, host_port)) => (true, host_port),
            None => (false, authority),
        };
        let (host, port, loopback) = if let Some(rest) = host_port.strip_prefix('[') {
            let (literal, after) = rest.split_once(']')?;
            let ip = literal.parse::<Ipv6Addr>().ok()?;
            let port = if after.is_empty() { None } else { Some(after.strip_prefix(':')?) };
            (&host_port[..literal.len() + 2], port, ip.is_loopback())
        } else {
            let (host, port) = match host_port.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (host_port, None),
            };
            let name_char = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_');
            if host.is_empty() || !host.bytes().all(name_char) {
                return None;
            }
            let loopback =
                host.parse::<Ipv4Addr>().map_or(host.eq_ignore_ascii_case("localhost"), |ip| ip.is_loopback());
            (host, port, loopback)
        };
        let port = match port {
            None => None,
            // u16's parser also takes a leading `+`: digits only.
            Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
                Some(digits.parse().ok()?)
            }
            Some(_) => return None,
        };
        Some(Authority { userinfo, host, port, loopback })
    }
}

impl fmt::Debug for Config {
    /// Never shows the password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let auth = match &self.authentication {
            None => "none".to_owned(),
            Some(Authentication::Password(_)) => "password (hidden)".to_owned(),
            Some(Authentication::Certificate { certificate, .. }) => format!("certificate {}", certificate.display()),
        };
        f.debug_struct("Config")
            .field("base_url", &self.base_url)
            .field("api_version", &self.api_version)
            .field("merchant", &self.merchant)
            .field("authentication", &auth)
            .field("trust", &self.trust)
            .field("ca_bundle", &self.ca_bundle)
            .field("proxy", &self.proxy.as_ref().map(|_| "set (hidden)"))
            .field("proxy_from_environment", &self.proxy_from_environment)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .field("token_repository_unique_card", &self.token_repository_unique_card)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_messages_never_repeat_the_url() {
        let err = parse_proxy("socks5://user:Pr0xyPa55@host:1080", "the configured proxy URL").unwrap_err();
        assert_eq!(err.kind(), Kind::Config);
        assert!(!err.message().contains("Pr0xyPa55"), "{}", err.message());
        let proxy = parse_proxy("user:Pr0xyPa55@proxy.shop:3128", "x").unwrap();
        assert_eq!((proxy.host(), proxy.port()), ("proxy.shop", 3128));
        assert!(!format!("{proxy:?}").contains("Pr0xyPa55"));
    }

    #[test]
    fn base_url_rules() {
        let mut c = Config::new();
        assert!(c.set_base_url("https://ap-gateway.mastercard.com/").is_ok());
        assert_eq!(c.endpoint().unwrap(), "https://ap-gateway.mastercard.com/api/nvp/version/50");
        assert!(c.set_base_url("http://127.0.0.1:8080").is_ok());
        assert!(c.set_base_url("http://[::1]:8080").is_ok());
        assert_eq!(c.set_base_url("http://gateway.example").unwrap_err().kind(), Kind::Config);
        assert!(c.set_base_url("ftp://x").is_err());
        assert!(c.set_base_url("https://").is_err());
        assert!(c.set_base_url("https://u:p@host").is_err());
        assert!(c.set_base_url("gateway").is_err());
        assert!(c.set_base_url("http://[::1]evil.example.com").is_err());
        // No IDNA back end (see Cargo.toml): ASCII host names only.
        assert!(c.set_base_url("https://gatewаy.example").is_err(), "a Cyrillic 'а' accepted");
        assert!(c.set_base_url("https://EU-Gateway.Mastercard.com").is_ok());
        assert_eq!(c.gateway_host.as_deref(), Some("eu-gateway.mastercard.com"));
        assert!(c.set_base_url("https://host:99999").is_err());
        assert!(c.set_base_url("https://host/?q=1").is_err());
        assert!(c.set_base_url("http://localhost:8080/base/").is_ok());
        assert_eq!(c.gateway_host.as_deref(), Some("localhost:8080"));
        assert_eq!(c.endpoint().unwrap(), "http://localhost:8080/base/api/nvp/version/50");
        let err = c.set_base_url("https://merchant:Gw-Pa55word@host").unwrap_err();
        assert!(!err.message().contains("Gw-Pa55word") && !err.message().contains("merchant:"), "{}", err.message());
        let err = c.set_base_url("https://merchant:Gw-Pa55word@ho st").unwrap_err();
        assert!(!err.message().contains("Gw-Pa55word"), "{}", err.message());
    }

    #[test]
    fn proxy_urls_are_parsed_strictly() {
        for bad in [
            "http://user:Pr0xyPa55@127.0.0.1:notaport",
            "http://[::1]evil.example.com:3128",
            "http://:3128",
            "http://proxy:3128/path",
        ] {
            let err = parse_proxy(bad, "the proxy URL").unwrap_err();
            assert_eq!(err.kind(), Kind::Config, "{bad}");
            assert!(!err.message().contains("Pr0xyPa55"), "{}", err.message());
        }
        let proxy = parse_proxy("http://us%40er:p%3Ass@[::1]:3128", "x").unwrap();
        assert_eq!(
            (proxy.host(), proxy.port(), proxy.username(), proxy.password()),
            ("[::1]", 3128, Some("us@er"), Some("p:ss"))
        );
    }

    /// What `http::Uri` accepts but a URL may not hold (see `Authority::parse`).
    #[test]
    fn what_the_uri_parser_lets_through_is_refused() {
        for bad in [
            "https://host:+443",
            "https://host:",
            "https://host:4x3",
            "https://[::1]x",
            "https://[::1]:",
            "https://[not-ip]",
            "https://ho!st",
            "https://host/#fragment",
            "https://host/?",
            "https://host/a\"b",
            "https://host/\u{e9}",
        ] {
            assert!(parse_base_url(bad).is_err(), "{bad} accepted");
        }
        for bad in ["http://proxy:+3128", "http://proxy:3128#x", "http://proxy:3128?", "http://[::1]x:3128"] {
            assert!(parse_proxy(bad, "x").is_err(), "{bad} accepted");
        }
        // Normalised as before: scheme and host lower-case, default port dropped.
        let (base, host) = parse_base_url("HTTPS://Gateway.Example:443/Base//").unwrap();
        assert_eq!((base.as_str(), host.as_str()), ("https://gateway.example/Base", "gateway.example"));
        let (base, host) = parse_base_url("http://[::1]:80").unwrap();
        assert_eq!((base.as_str(), host.as_str()), ("http://[::1]", "[::1]"));
        assert!(parse_base_url("http://127.8.9.10:8080").is_ok());
        assert!(parse_base_url("http://[::2]:8080").is_err(), "plain http to a non-loopback IPv6 host");
        // The API path is gw's to add; the message gives the URL to use instead.
        for (url, fix) in [
            ("https://ap-gateway.mastercard.com/api/nvp/version/84", "use https://ap-gateway.mastercard.com"),
            ("https://gw.example:8443/mpgs/API/NVP/", "use https://gw.example:8443/mpgs"),
            ("https://gw.example/api/nvp", "use https://gw.example"),
        ] {
            let message = parse_base_url(url).unwrap_err().message().to_owned();
            assert!(message.ends_with(fix), "{url}: {message}");
        }
        assert!(parse_base_url("https://gw.example/api/nvpx").is_err(), "any path starting /api/nvp is gw's");
        assert!(parse_base_url("https://gw.example/apis/nvp").is_ok());
    }

    #[test]
    fn api_version_range_in_words() {
        let message = Config::new().set_api_version(MAX_API_VERSION + 1).unwrap_err().message().to_owned();
        assert!(message.ends_with(&format!("outside {MIN_API_VERSION} to {MAX_API_VERSION}")), "{message}");
    }

    #[test]
    fn debug_hides_the_password() {
        let mut c = Config::new();
        c.set_api_password("s3cr3t-Pa55").unwrap();
        assert!(!format!("{c:?}").contains("s3cr3t"));
    }
}
