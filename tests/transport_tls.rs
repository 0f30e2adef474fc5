//! Trust and certificate authentication against gw-sim over HTTPS: the
//! sim's generated CA trusted through the CA-bundle option and refused
//! without it, a host-name mismatch, client certificates accepted, missing
//! or unknown ones refused, and bad certificate files refused at
//! `gw_client_new` with the file named. Certificate authentication goes
//! through the C API.

mod common;

use common::*;
use gw::ffi::config::*;
use gw::ffi::status::*;
use gw::{Client, Config, Kind, Trust};

/// A C configuration for the sim, trusting its CA, with `auth` applied
/// (no password: the certificate tests choose their authentication).
fn c_config(sim: &TlsSim, auth: impl FnOnce(*mut gw_config) -> gw_status) -> CConfig {
    let config = CConfig::new().base_url(&sim.base_url()).merchant(MERCHANT).ca_bundle(&sim.ca_file).timeout(TIMEOUT);
    assert_eq!(auth(config.0), GW_OK, "{}", last_error());
    config
}

fn with_certificate(cert: &str, key: &str) -> impl FnOnce(*mut gw_config) -> gw_status {
    let (cert, key) = (c(cert), c(key));
    // SAFETY: gw copies both strings; the config is live.
    move |config| unsafe { gw_config_set_client_certificate(config, cert.as_ptr(), key.as_ptr()) }
}

#[test]
fn certificate_authentication_through_the_c_api() {
    let (sim, accepted) = certificate_sim("cert-ok");
    let log = Log::default();
    let config = c_config(&sim, with_certificate(&accepted.cert_file, &accepted.key_file)).log(&log);
    let client = config.client();

    let (status, response) = client.create_session();
    assert_eq!(status, GW_OK, "{}", last_error());
    let session = response.get("session.id");
    assert!(session.is_some_and(|id| id.starts_with("SESSION")));
    let request_line = log.lines().into_iter().find(|(_, line)| line.starts_with("CREATE_SESSION request:"));
    let request_line = request_line.expect("a debug line with the request").1;
    assert!(!request_line.contains("apiPassword") && !request_line.contains("apiUsername"), "{request_line}");
}

#[test]
fn no_certificate_or_an_unknown_one_is_refused_with_gw_err_tls() {
    let (sim, _accepted) = certificate_sim("cert-refused");
    let no_certificate = c_config(&sim, |_| GW_OK).password(PASSWORD);
    let stranger = ClientCertificate::issue(&sim.dir, "unknown-ca");
    let unknown_certificate = c_config(&sim, with_certificate(&stranger.cert_file, &stranger.key_file));

    for (what, config) in [("no certificate", no_certificate), ("a certificate of another CA", unknown_certificate)] {
        let (status, client) = config.try_client();
        assert_eq!(status, GW_OK, "{what}: {}", last_error());
        let (status, response) = client.create_session();
        let message = last_error();
        assert_eq!(status, GW_ERR_TLS, "{what}: {message}");
        assert!(response.is_null(), "{what}");
        assert!(message.contains("refused the client certificate"), "{what}: {message}");
        assert!(message.contains("127.0.0.1"), "{what}: {message}");
    }
}

#[test]
fn bad_certificate_files_fail_at_client_new_naming_the_file() {
    let (sim, accepted) = certificate_sim("cert-files");
    let other = ClientCertificate::issue(&sim.dir, "other");
    let missing = sim.dir.join("missing-cert.pem").to_str().unwrap().to_owned();
    let not_pem = write(&sim.dir, "not-pem.pem", "this is no certificate\n");
    let cases = [
        (missing.as_str(), accepted.key_file.as_str(), missing.as_str(), "cannot be read"),
        (not_pem.as_str(), accepted.key_file.as_str(), not_pem.as_str(), "holds no PEM certificate"),
        (accepted.cert_file.as_str(), accepted.cert_file.as_str(), accepted.cert_file.as_str(), "no PEM private key"),
        (accepted.cert_file.as_str(), other.key_file.as_str(), other.key_file.as_str(), "does not match"),
    ];
    for (cert, key, named, problem) in cases {
        let config = c_config(&sim, with_certificate(cert, key));
        let (status, client) = config.try_client();
        let message = last_error();
        assert_eq!(status, GW_ERR_CONFIG, "{cert} / {key}: {message}");
        assert!(client.0.is_null());
        assert!(message.contains(named) && message.contains(problem), "{message}");
    }

    let neither = c_config(&sim, |_| GW_OK);
    let (status, _client) = neither.try_client();
    assert_eq!(status, GW_ERR_CONFIG);
    assert!(last_error().contains("no authentication is set"), "{}", last_error());
}

/// A Rust configuration for `base_url` with the password.
fn rust_client(base_url: &str, adjust: impl FnOnce(&mut Config)) -> gw::error::Result<Client> {
    let mut config = config(base_url);
    adjust(&mut config);
    Client::new(&config)
}

#[test]
fn the_sims_ca_is_trusted_through_the_bundle_and_refused_without_it() {
    let sim = TlsSim::start("trust", sim_config());
    let trusting = rust_client(&sim.base_url(), |c| c.set_ca_bundle(&sim.ca_file).unwrap()).unwrap();
    let session = trusting.create_session().expect("trusted through the CA bundle");
    assert!(session.get("session.id").is_some());

    let someone_elses_ca = write(&sim.dir, "other-ca.pem", &gw_sim::pki::ClientCa::generate().unwrap().ca_pem());
    let refusing: [(&str, Adjust); 3] = [
        ("bundled roots", Box::new(|_| {})),
        ("system store", Box::new(|c| c.set_trust(Trust::System))),
        ("another CA", Box::new(move |c| c.set_ca_bundle(&someone_elses_ca).unwrap())),
    ];
    for (what, adjust) in refusing {
        let err = rust_client(&sim.base_url(), adjust).unwrap().create_session().unwrap_err();
        assert_eq!(err.kind(), Kind::Tls, "{what}: {err}");
        assert!(err.message().contains("certificate not trusted"), "{what}: {err}");
    }

    let unreadable = sim.dir.join("no-such-bundle.pem");
    let err = rust_client(&sim.base_url(), |c| c.set_ca_bundle(unreadable.to_str().unwrap()).unwrap()).err().unwrap();
    assert_eq!(err.kind(), Kind::Config);
    assert!(err.message().contains("no-such-bundle.pem"), "{err}");
}

#[test]
fn a_host_name_the_certificate_does_not_name_is_refused() {
    // The generated certificate names 127.0.0.1, ::1 and localhost; the sim
    // listens on 127.0.0.2, which is loopback too but not in the certificate.
    let listen = "127.0.0.2:0".parse().unwrap();
    let sim = TlsSim::start("host-name", sim_config().listen(listen));
    let url = sim.base_url();
    assert!(url.starts_with("https://127.0.0.2:"), "{url}");
    let err = rust_client(&url, |c| c.set_ca_bundle(&sim.ca_file).unwrap()).unwrap().create_session().unwrap_err();
    assert_eq!(err.kind(), Kind::Tls, "{err}");
    assert!(err.message().contains("host name mismatch"), "{err}");
}
