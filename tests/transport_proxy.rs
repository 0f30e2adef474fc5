//! gw → a real tinyproxy (HTTP CONNECT) → gw-sim over HTTPS with certificate
//! authentication; proxy credentials used and never shown; a refused tunnel;
//! `HTTPS_PROXY` / `NO_PROXY` honoured only when enabled.
//!
//! tinyproxy is a Debian package (`scripts/setup.sh` installs it); without
//! it these tests say so loudly and pass without testing anything.

mod common;

use common::*;
use gw::config::LogLevel;
use gw::{Client, Config, Kind};

const PROXY_USER: &str = "till7";
const PROXY_PASSWORD: &str = "Pr0xy-s3cret-n0t-logged";

/// gw-sim over HTTPS requiring client certificates, and a client
/// configuration using such a certificate and trusting the sim's CA.
fn sim_and_config(name: &str) -> (TlsSim, Config) {
    let (sim, certificate) = certificate_sim(name);
    let mut config = config(&sim.base_url());
    config.set_client_certificate(&certificate.cert_file, &certificate.key_file).unwrap();
    config.set_ca_bundle(&sim.ca_file).unwrap();
    (sim, config)
}

#[test]
fn gw_through_tinyproxy_to_gw_sim_over_https_with_certificate_authentication() {
    let (sim, mut config) = sim_and_config("proxy-path");
    let Some(proxy) = Tinyproxy::start(&sim.dir, sim.sim.addr().port(), None) else { return };
    config.set_proxy(&proxy.url(None)).unwrap();
    let log = Log::default();
    config.set_log(LogLevel::Info, log.sink());
    let client = Client::new(&config).unwrap();

    let session = client.create_session().expect("a session through the proxy");
    assert!(session.get("session.id").is_some());
    let token = client.tokenize_p2pe(None, &p2pe(&terminal_card())).expect("a token through the proxy");
    assert!(token.get("token").is_some());

    assert!(proxy.tunnels() >= 1, "tinyproxy opened no tunnel:\n{}", proxy.log());
    assert_eq!(log.count(&format!("via proxy 127.0.0.1:{}", proxy.port)), 2, "{}", log.dump());
}

#[test]
fn proxy_credentials_are_used_and_never_shown() {
    let (sim, config) = sim_and_config("proxy-auth");
    let credentials = Some((PROXY_USER, PROXY_PASSWORD));
    let Some(proxy) = Tinyproxy::start(&sim.dir, sim.sim.addr().port(), credentials) else { return };
    let log = Log::default();
    let with_proxy = |url: &str| {
        let mut config = config.clone();
        config.set_proxy(url).unwrap();
        config.set_log(LogLevel::Debug, log.sink());
        assert!(!format!("{config:?}").contains(PROXY_PASSWORD));
        Client::new(&config).unwrap()
    };

    with_proxy(&proxy.url(credentials)).create_session().expect("the right credentials open the tunnel");

    for url in [proxy.url(Some((PROXY_USER, "Wr0ng-Pr0xy-pa55"))), proxy.url(None)] {
        let err = with_proxy(&url).create_session().unwrap_err();
        assert_eq!(err.kind(), Kind::Connect, "{err}");
        assert!(err.message().contains("proxy credentials missing or wrong"), "{err}");
        for shown in [err.message().to_owned(), format!("{err:?}"), err.to_string(), log.dump()] {
            assert!(!shown.contains(PROXY_PASSWORD) && !shown.contains("Wr0ng-Pr0xy-pa55"), "{shown}");
        }
    }
}

#[test]
fn a_tunnel_the_proxy_refuses_is_a_connect_error_and_not_retried() {
    let (sim, mut config) = sim_and_config("proxy-refused");
    // tinyproxy allows CONNECT to another port only.
    let Some(proxy) = Tinyproxy::start(&sim.dir, closed_port(), None) else { return };
    config.set_proxy(&proxy.url(None)).unwrap();
    config.set_retries(3).unwrap();
    let log = Log::default();
    config.set_log(LogLevel::Info, log.sink());
    let err = Client::new(&config).unwrap().create_session().unwrap_err();
    assert_eq!(err.kind(), Kind::Connect, "{err}");
    assert!(err.message().contains("refused the tunnel") && err.message().contains("was not sent"), "{err}");
    assert_eq!(log.count(" attempt "), 1, "{}", log.dump());
}

/// The only test of this file that touches the environment.
#[test]
fn https_proxy_and_no_proxy_are_honoured_only_when_enabled() {
    let (sim, config) = sim_and_config("proxy-env");
    let Some(proxy) = Tinyproxy::start(&sim.dir, sim.sim.addr().port(), None) else { return };
    let dead_proxy = format!("http://127.0.0.1:{}", closed_port());
    let call = |from_environment: bool| {
        let mut config = config.clone();
        config.set_proxy_from_environment(from_environment);
        Client::new(&config).and_then(|client| client.create_session())
    };
    let set = |name: &str, value: Option<&str>| match value {
        Some(value) => std::env::set_var(name, value),
        None => std::env::remove_var(name),
    };
    for name in
        ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"]
    {
        set(name, None);
    }

    // Not enabled: a proxy in every variable ureq would look at is ignored.
    for name in ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"] {
        set(name, Some(&dead_proxy));
    }
    call(false).expect("the environment is ignored unless enabled");

    // Enabled: HTTPS_PROXY is used (a dead one fails, the real one tunnels).
    let err = call(true).unwrap_err();
    assert_eq!(err.kind(), Kind::Connect, "{err}");
    assert!(err.message().contains("via proxy 127.0.0.1"), "{err}");
    set("HTTPS_PROXY", Some(&proxy.url(None)));
    let before = proxy.tunnels();
    call(true).expect("through HTTPS_PROXY");
    assert_eq!(proxy.tunnels(), before + 1, "{}", proxy.log());

    // NO_PROXY names the sim's host: straight there, past a dead proxy.
    set("HTTPS_PROXY", Some(&dead_proxy));
    set("NO_PROXY", Some("localhost,127.0.0.1"));
    call(true).expect("NO_PROXY bypasses the proxy");

    for name in ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY"] {
        set(name, None);
    }
}
