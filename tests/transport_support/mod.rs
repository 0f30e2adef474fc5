//! Shared by the `transport_*` tests: TLS simulators and their files, a log
//! collector, requests that ask gw-sim for a fault, a real tinyproxy, and a
//! small owner of C handles.
#![allow(dead_code)]

use std::ffi::{c_char, c_void, CStr};
use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gw::config::{LogLevel, LogSink};
use gw::{Config, Operation, Request};

pub const MERCHANT: &str = "TESTGWTRANSPORT";
/// The API password: no test may ever find it in a message.
pub const PASSWORD: &str = "tr4nsport-Pa55word-n3ver-shown";
/// A Mastercard test PAN: no test may ever find it in a message.
pub const PAN: &str = "5123450000000008";
/// The call timeout the fault tests configure.
pub const TIMEOUT: Duration = Duration::from_secs(2);
/// The issue's bound: the configured timeout plus one second.
pub const BOUND: Duration = Duration::from_secs(3);

/// A fresh directory for one test's files.
pub fn scratch_dir(name: &str) -> PathBuf {
    static SEQUENCE: AtomicU32 = AtomicU32::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "transport-{name}-{}-{}",
        std::process::id(),
        SEQUENCE.fetch_add(1, Ordering::SeqCst)
    ));
    fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// Writes `text` to `dir/name` and returns the path as a string.
pub fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    fs::write(&path, text).expect("write a test file");
    path.to_str().expect("UTF-8 path").to_owned()
}

/// gw-sim over HTTPS with its generated CA, and that CA's PEM file.
pub struct TlsSim {
    pub sim: gw_sim::Sim,
    pub ca_file: String,
    pub dir: PathBuf,
}

impl TlsSim {
    pub fn start(name: &str, config: gw_sim::SimConfig) -> TlsSim {
        let sim = gw_sim::Sim::start(config.tls_generated()).expect("gw-sim starts with TLS");
        let dir = scratch_dir(name);
        let ca_file = write(&dir, "sim-ca.pem", &sim.ca_cert_pem().expect("a generated CA"));
        TlsSim { sim, ca_file, dir }
    }

    pub fn base_url(&self) -> String {
        self.sim.base_url()
    }
}

/// A client CA whose certificates the sim accepts, plus a certificate and
/// key file for `MERCHANT`.
pub struct ClientCertificate {
    pub ca: gw_sim::pki::ClientCa,
    pub cert_file: String,
    pub key_file: String,
}

impl ClientCertificate {
    pub fn issue(dir: &Path, tag: &str) -> ClientCertificate {
        let ca = gw_sim::pki::ClientCa::generate().expect("client CA");
        let (cert, key) = ca.issue(MERCHANT).expect("client certificate");
        let cert_file = write(dir, &format!("{tag}-cert.pem"), &cert);
        let key_file = write(dir, &format!("{tag}-key.pem"), &key);
        ClientCertificate { ca, cert_file, key_file }
    }
}

/// A change to a test configuration.
pub type Adjust = Box<dyn FnOnce(&mut Config)>;

/// gw-sim over HTTPS requiring client certificates from a CA of its own,
/// and a certificate for `MERCHANT` issued by that CA.
pub fn certificate_sim(name: &str) -> (TlsSim, ClientCertificate) {
    let dir = scratch_dir(name);
    let accepted = ClientCertificate::issue(&dir, "accepted");
    let sim = TlsSim::start(
        name,
        gw_sim::SimConfig::default().merchant(MERCHANT, PASSWORD).client_ca_pem(&accepted.ca.ca_pem()),
    );
    (sim, accepted)
}

/// A configuration for `base_url` with `MERCHANT` / `PASSWORD`, the fault
/// tests' timeout, and no retries (tests that retry set them).
pub fn config(base_url: &str) -> Config {
    let mut config = Config::new();
    config.set_base_url(base_url).expect("base URL");
    config.set_merchant(MERCHANT).expect("merchant");
    config.set_api_password(PASSWORD).expect("password");
    config.set_connect_timeout(TIMEOUT).expect("connect timeout");
    config.set_timeout(TIMEOUT).expect("timeout");
    config.set_retries(0).expect("retries");
    config
}

/// Collects log messages.
#[derive(Clone, Default)]
pub struct Log(Arc<Mutex<Vec<(LogLevel, String)>>>);

impl Log {
    pub fn sink(&self) -> LogSink {
        let lines = self.0.clone();
        Arc::new(move |level, message: &str| lines.lock().unwrap().push((level, message.to_owned())))
    }

    pub fn push(&self, level: LogLevel, message: &str) {
        self.0.lock().unwrap().push((level, message.to_owned()));
    }

    pub fn lines(&self) -> Vec<(LogLevel, String)> {
        self.0.lock().unwrap().clone()
    }

    /// How many messages contain `text`.
    pub fn count(&self, text: &str) -> usize {
        self.0.lock().unwrap().iter().filter(|(_, line)| line.contains(text)).count()
    }

    pub fn dump(&self) -> String {
        self.lines().iter().map(|(level, line)| format!("{level:?}: {line}\n")).collect()
    }
}

/// The `correlationId` that asks gw-sim for `fault` (`tag` keeps per-id
/// counters apart).
pub fn fault_id(fault: &str, tag: &str) -> String {
    format!("gw-sim:fault={fault},tag={tag}")
}

/// A CREATE_SESSION that asks for `fault`.
pub fn session_with_fault(fault: &str, tag: &str) -> Request {
    let mut request = Request::new(Operation::CreateSession);
    request.set("correlationId", &fault_id(fault, tag)).expect("correlationId");
    request
}

/// Runs `call`, returning its result and how long it took.
pub fn timed<T>(call: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    let value = call();
    (value, started.elapsed())
}

/// A loopback port nobody listens on (bound, then released).
pub fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// A tinyproxy of our own: generated config, free loopback port, foreground
/// (`-d`), killed when dropped.
pub struct Tinyproxy {
    child: Child,
    pub port: u16,
    log_file: PathBuf,
}

impl Tinyproxy {
    /// `None` (after a loud message) only when tinyproxy is not installed.
    pub fn start(dir: &Path, connect_port: u16, credentials: Option<(&str, &str)>) -> Option<Tinyproxy> {
        let binary = ["/usr/bin/tinyproxy", "/usr/sbin/tinyproxy", "/usr/local/bin/tinyproxy"]
            .into_iter()
            .find(|path| Path::new(path).exists())
            .or_else(|| {
                eprintln!("\n*** SKIPPED: tinyproxy is not installed (apt-get install tinyproxy); the proxy path is NOT tested ***\n");
                None
            })?;
        let port = closed_port();
        let log_file = dir.join("tinyproxy.log");
        let mut conf = format!(
            "Port {port}\nListen 127.0.0.1\nTimeout 30\nAllow 127.0.0.1\nConnectPort {connect_port}\nLogLevel Info\nLogFile \"{}\"\nMaxClients 20\n",
            log_file.display()
        );
        if let Some((user, password)) = credentials {
            conf.push_str(&format!("BasicAuth {user} {password}\n"));
        }
        let conf_file = write(dir, "tinyproxy.conf", &conf);
        let child = Command::new(binary)
            .args(["-d", "-c", &conf_file])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tinyproxy starts");
        let proxy = Tinyproxy { child, port, log_file };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "tinyproxy did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(proxy)
    }

    /// `http://[user:password@]127.0.0.1:PORT`.
    pub fn url(&self, credentials: Option<(&str, &str)>) -> String {
        match credentials {
            Some((user, password)) => format!("http://{user}:{password}@127.0.0.1:{}", self.port),
            None => format!("http://127.0.0.1:{}", self.port),
        }
    }

    /// The CONNECT tunnels tinyproxy has opened so far.
    pub fn tunnels(&self) -> usize {
        fs::read_to_string(&self.log_file).unwrap_or_default().matches("Established connection to host").count()
    }

    pub fn log(&self) -> String {
        fs::read_to_string(&self.log_file).unwrap_or_default()
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Owns the C handles a test creates, freeing each once at the end.
pub mod c_api {
    use super::*;
    use gw::ffi::client::{gw_client, gw_client_free};
    use gw::ffi::config::{gw_config, gw_config_free, gw_config_new};
    use gw::ffi::error::gw_last_error;
    use gw::ffi::response::{gw_response, gw_response_free};

    /// A C string for the length of a call.
    pub fn cs(text: &str) -> std::ffi::CString {
        std::ffi::CString::new(text).expect("no NUL")
    }

    /// A string gw returned (NULL is None).
    pub fn text(ptr: *const c_char) -> Option<String> {
        // SAFETY: gw returns NULL or a NUL-terminated string it keeps alive
        // until the next call on this thread, and we copy it at once.
        (!ptr.is_null()).then(|| unsafe { CStr::from_ptr(ptr) }.to_string_lossy().into_owned())
    }

    pub fn last_error() -> String {
        text(gw_last_error()).unwrap_or_default()
    }

    /// A `gw_config`, freed on drop.
    pub struct OwnedConfig(pub *mut gw_config);

    impl OwnedConfig {
        pub fn new() -> OwnedConfig {
            OwnedConfig(gw_config_new())
        }
    }

    impl Drop for OwnedConfig {
        fn drop(&mut self) {
            // SAFETY: from gw_config_new, freed once.
            unsafe { gw_config_free(self.0) }
        }
    }

    /// A `gw_client` (or NULL), freed on drop.
    pub struct OwnedClient(pub *mut gw_client);

    impl Drop for OwnedClient {
        fn drop(&mut self) {
            // SAFETY: NULL or from gw_client_new, freed once.
            unsafe { gw_client_free(self.0) }
        }
    }

    /// A `gw_response` (or NULL), freed on drop.
    pub struct OwnedResponse(pub *mut gw_response);

    impl Drop for OwnedResponse {
        fn drop(&mut self) {
            // SAFETY: NULL or from a gw call, freed once.
            unsafe { gw_response_free(self.0) }
        }
    }

    /// A log callback whose userdata is a `Log`.
    ///
    /// # Safety
    /// `userdata` points to a live `Log`; `message` is NUL-terminated.
    pub unsafe extern "C" fn collect(userdata: *mut c_void, level: u32, message: *const c_char) {
        // SAFETY: the test passes a `Log` that outlives every client, and gw a
        // valid C string for the duration of the call.
        let (log, message) = unsafe { (&*(userdata as *const Log), CStr::from_ptr(message)) };
        let level = match level {
            1 => LogLevel::Error,
            2 => LogLevel::Warn,
            3 => LogLevel::Info,
            _ => LogLevel::Debug,
        };
        log.push(level, &message.to_string_lossy());
    }
}
