//! The simulator's configuration (`SimConfig`), built fluently.

use crate::aes_dukpt::{AesBdk, DataKeyUsage};
use crate::chaos::Chaos;
use crate::dukpt::{self, Variant};
use crate::faults::Fault;
use crate::http::Limits;
use crate::p2pe::HostKeys;
use crate::tokens::{RepositoryMode, TokenStrategy};
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::time::Duration;
use zeroize::Zeroizing;

/// The NVP API versions the simulator answers (`/api/nvp/version/{N}`).
pub const SUPPORTED_VERSIONS: RangeInclusive<u32> = 39..=100;

/// How the simulator does TLS. (Its `Debug` shows no key material.)
#[derive(Clone, Default, PartialEq, Eq)]
pub enum TlsSetup {
    /// Plain HTTP.
    #[default]
    Off,
    /// HTTPS with a throwaway CA and a server certificate for 127.0.0.1,
    /// ::1 and localhost, generated at start (`Sim::ca_cert_pem`).
    Generated,
    /// HTTPS with this certificate chain and private key (PEM text).
    Pem { cert_chain: String, key: String },
}

impl std::fmt::Debug for TlsSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(tls_kind(self))
    }
}

/// A configured merchant and its API password.
#[derive(Clone)]
pub struct Merchant {
    pub id: String,
    pub password: Zeroizing<String>,
}

impl std::fmt::Debug for Merchant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Merchant").field("id", &self.id).field("password", &"<redacted>").finish()
    }
}

/// Everything a simulator run is configured with. `Default` listens on
/// 127.0.0.1:0 over plain HTTP, with no merchant (add one with `merchant`),
/// the ANSI test BDK, the data variant, random-Luhn tokens in a unique-token
/// repository, 30-minute sessions and no fault.
#[derive(Clone)]
pub struct SimConfig {
    pub listen: SocketAddr,
    pub merchants: Vec<Merchant>,
    pub tls: TlsSetup,
    /// PEM of the CA that client certificates must chain to (certificate
    /// authentication; needs TLS).
    pub client_ca_pem: Option<String>,
    pub token_strategy: TokenStrategy,
    pub repository_mode: RepositoryMode,
    /// `repositoryId` in TOKENIZE answers.
    pub repository_id: String,
    pub bdk: Zeroizing<[u8; 16]>,
    pub variant: Variant,
    /// The AES DUKPT BDK (AES-128 or AES-256) for 24-hex-digit KSNs.
    pub aes_bdk: AesBdk,
    /// The data-key usage the AES terminals derive (encrypt-only by default).
    pub aes_usage: DataKeyUsage,
    pub session_ttl: Duration,
    /// A fault applied to every request of the run.
    pub fault: Option<Fault>,
    /// A seeded schedule of faults (`crate::chaos`).
    pub chaos: Option<Chaos>,
    /// The merchant profile's verification strategy when a request names none
    /// (`NONE`, `BASIC` or `ACQUIRER`).
    pub default_verification: &'static str,
    pub limits: Limits,
    /// Connections served at once; more are answered SERVER_BUSY and closed.
    pub max_connections: usize,
    /// One line per request on stderr (operation, status, result; never values).
    pub log: bool,
}

impl std::fmt::Debug for SimConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimConfig")
            .field("listen", &self.listen)
            .field("merchants", &self.merchants)
            .field("tls", &tls_kind(&self.tls))
            .field("client_auth", &self.client_ca_pem.is_some())
            .field("token_strategy", &self.token_strategy)
            .field("repository_mode", &self.repository_mode)
            .field("repository_id", &self.repository_id)
            .field("bdk", &"<redacted>")
            .field("variant", &self.variant)
            .field("aes_bdk", &self.aes_bdk)
            .field("aes_usage", &self.aes_usage)
            .field("session_ttl", &self.session_ttl)
            .field("fault", &self.fault)
            .field("chaos", &self.chaos)
            .field("default_verification", &self.default_verification)
            .field("limits", &self.limits)
            .field("max_connections", &self.max_connections)
            .field("log", &self.log)
            .finish()
    }
}

fn tls_kind(t: &TlsSetup) -> &'static str {
    match t {
        TlsSetup::Off => "off",
        TlsSetup::Generated => "generated",
        TlsSetup::Pem { .. } => "pem",
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            merchants: Vec::new(),
            tls: TlsSetup::Off,
            client_ca_pem: None,
            token_strategy: TokenStrategy::default(),
            repository_mode: RepositoryMode::default(),
            repository_id: "GWSIMREPO".to_string(),
            bdk: Zeroizing::new(dukpt::ANSI_TEST_BDK),
            variant: Variant::Data,
            aes_bdk: AesBdk::default(),
            aes_usage: DataKeyUsage::Encrypt,
            session_ttl: Duration::from_secs(30 * 60),
            fault: None,
            chaos: None,
            default_verification: "NONE",
            limits: Limits::default(),
            max_connections: 1024,
            log: false,
        }
    }
}

impl SimConfig {
    /// Adds a merchant with its API password.
    pub fn merchant(mut self, id: &str, password: &str) -> Self {
        self.merchants.push(Merchant { id: id.to_string(), password: Zeroizing::new(password.to_string()) });
        self
    }
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }
    /// HTTPS with a generated throwaway CA (see `Sim::ca_cert_pem`).
    pub fn tls_generated(mut self) -> Self {
        self.tls = TlsSetup::Generated;
        self
    }
    /// HTTPS with this certificate chain and key (PEM).
    pub fn tls_pem(mut self, cert_chain_pem: &str, key_pem: &str) -> Self {
        self.tls = TlsSetup::Pem { cert_chain: cert_chain_pem.to_string(), key: key_pem.to_string() };
        self
    }
    /// Certificate authentication: clients must present a certificate signed
    /// by this CA; its subject CN names the merchant. Turns on TLS (generated)
    /// when it is off.
    pub fn client_ca_pem(mut self, pem: &str) -> Self {
        self.client_ca_pem = Some(pem.to_string());
        if self.tls == TlsSetup::Off {
            self.tls = TlsSetup::Generated;
        }
        self
    }
    pub fn token_strategy(mut self, s: TokenStrategy) -> Self {
        self.token_strategy = s;
        self
    }
    pub fn repository_mode(mut self, m: RepositoryMode) -> Self {
        self.repository_mode = m;
        self
    }
    pub fn repository_id(mut self, id: &str) -> Self {
        self.repository_id = id.to_string();
        self
    }
    pub fn bdk(mut self, bdk: [u8; 16]) -> Self {
        self.bdk = Zeroizing::new(bdk);
        self
    }
    pub fn variant(mut self, v: Variant) -> Self {
        self.variant = v;
        self
    }
    /// The AES DUKPT BDK (default: the AES-128 ANSI X9.24-3 test BDK).
    pub fn aes_bdk(mut self, bdk: AesBdk) -> Self {
        self.aes_bdk = bdk;
        self
    }
    /// The AES terminals' data-key usage (default: encrypt-only).
    pub fn aes_usage(mut self, usage: DataKeyUsage) -> Self {
        self.aes_usage = usage;
        self
    }
    /// The keys P2PE payloads are decrypted with.
    pub fn host_keys(&self) -> HostKeys<'_> {
        HostKeys { tdes_bdk: &self.bdk, variant: self.variant, aes_bdk: &self.aes_bdk, aes_usage: self.aes_usage }
    }
    pub fn session_ttl(mut self, ttl: Duration) -> Self {
        self.session_ttl = ttl;
        self
    }
    pub fn fault(mut self, f: Fault) -> Self {
        self.fault = Some(f);
        self
    }
    /// A seeded schedule of faults: each request meets the fault the seed
    /// draws for it (`crate::chaos`; a per-request fault still wins).
    pub fn chaos(mut self, c: Chaos) -> Self {
        self.chaos = Some(c);
        self
    }
    /// `NONE` (default), `BASIC` or `ACQUIRER`.
    pub fn default_verification(mut self, strategy: &'static str) -> Self {
        self.default_verification = strategy;
        self
    }
    pub fn limits(mut self, l: Limits) -> Self {
        self.limits = l;
        self
    }
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n;
        self
    }
    pub fn log(mut self, on: bool) -> Self {
        self.log = on;
        self
    }
}
