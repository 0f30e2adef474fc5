//! The `gw-sim` command: serve prints its URL first, terminal output
//! tokenizes, dukpt matches the published vectors, errors exit 2.

mod common;
use common::*;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_gw-sim");

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(args: &[&str]) -> (Server, Vec<String>, usize) {
    let mut child =
        Command::new(BIN).arg("serve").args(args).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    let wanted = if args.contains(&"--tls") { 2 } else { 1 };
    for _ in 0..wanted {
        let mut l = String::new();
        out.read_line(&mut l).unwrap();
        lines.push(l.trim_end().to_string());
    }
    let port: usize = lines[0].rsplit(':').next().unwrap().parse().unwrap();
    (Server(child), lines, port)
}

fn terminal(args: &[&str]) -> Vec<(String, String)> {
    let out = Command::new(BIN).arg("terminal").args(args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn p2pe_from(env: &[(String, String)]) -> gw_sim::terminal::P2pe {
    let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    gw_sim::terminal::P2pe {
        ksn: get("GW_P2PE_KSN").unwrap(),
        payload: get("GW_P2PE_PAYLOAD").unwrap(),
        iv: get("GW_P2PE_IV"),
        card_bin: get("GW_P2PE_CARD_BIN").unwrap(),
    }
}

#[test]
fn serve_and_tokenize_a_terminal_payload() {
    let (_server, lines, port) =
        serve(&["--merchant", MERCHANT, "--password", PASSWORD, "--token-strategy", "6.4", "--quiet"]);
    assert!(lines[0].starts_with("http://127.0.0.1:"), "{lines:?}");
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let env = terminal(&["--pan", "5555555555554444", "--iv", "0102030405060708", "--track", "1", "--expiry", "0230"]);
    let names: Vec<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["GW_P2PE_KSN", "GW_P2PE_PAYLOAD", "GW_P2PE_IV", "GW_P2PE_CARD_BIN"]);
    let r = Client::connect(addr).post(&tokenize(&p2pe_from(&env)));
    let f = r.fields();
    assert_eq!(f["result"], "SUCCESS", "{f:?}");
    assert_eq!(f["sourceOfFunds.provided.card.brand"], "MASTERCARD");
    assert_eq!(f["sourceOfFunds.provided.card.number"], "555555xxxxxx4444");
    assert_eq!(f["sourceOfFunds.provided.card.expiry"], "0230");
    assert!(f["token"].starts_with("555555") && f["token"].ends_with("4444"));
    // Without an IV there is no GW_P2PE_IV line.
    let env = terminal(&["--pan", "4000000000000002"]);
    assert!(env.iter().all(|(k, _)| k != "GW_P2PE_IV"));
    assert_eq!(env.iter().find(|(k, _)| k == "GW_P2PE_CARD_BIN").unwrap().1, "400000");
}

#[test]
fn serve_tls_writes_its_ca() {
    let dir = std::env::temp_dir().join(format!("gw-sim-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_path = dir.join("ca.pem");
    let (_server, lines, port) = serve(&[
        "--merchant",
        MERCHANT,
        "--password",
        PASSWORD,
        "--tls",
        "--quiet",
        "--ca-out",
        ca_path.to_str().unwrap(),
    ]);
    assert!(lines[0].starts_with("https://127.0.0.1:"));
    assert_eq!(lines[1], format!("ca={}", ca_path.display()));
    let ca = std::fs::read_to_string(&ca_path).unwrap();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut c = Client::tls(addr, tls_client(&ca, None));
    assert_eq!(c.post(&base("CREATE_SESSION")).status, 200);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn dukpt_command_matches_the_vectors() {
    let run = |args: &[&str]| {
        let out = Command::new(BIN).arg("dukpt").args(args).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let plain = "34303132333435363738393039443938370000000000000000";
    let plain = &plain[..48];
    let ct = run(&["encrypt", "--bdk", "0123456789ABCDEFFEDCBA9876543210", "--ksn", "FFFF9876543210E00001", plain]);
    assert_eq!(ct, "FC0D53B7EA1FDA9EE68AAF2E70D9B9506229BE2AA993F04F");
    let back = run(&["decrypt", "--ksn", "FFFF9876543210E00002", "A2B4E70F846E63D68775B7215EB4563DFD3037244C61CC13"]);
    assert_eq!(back, plain.to_uppercase());
    let pin = run(&["encrypt", "--ksn", "FFFF9876543210E00001", "--variant", "pin", "--iv", "0000000000000001", plain]);
    assert_eq!(
        run(&["decrypt", "--ksn", "FFFF9876543210E00001", "--variant", "pin", "--iv", "0000000000000001", &pin]),
        plain.to_uppercase()
    );
}

#[test]
fn aes_terminal_output_decrypts_as_the_gateway_does() {
    let bdk256 = "FEDCBA9876543210F1F1F1F1F1F1F1F1".repeat(2);
    let iv = "000102030405060708090A0B0C0D0E0F";
    for (size, bdk) in [("128", "FEDCBA9876543210F1F1F1F1F1F1F1F1".to_string()), ("256", bdk256)] {
        for with_iv in [false, true] {
            let mut args = vec!["--aes", "--pan", "5413330089099130", "--key-size", size, "--track", "2"];
            if with_iv {
                args.extend(["--iv", iv]);
            }
            let env = terminal(&args);
            let names: Vec<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
            let expected: &[&str] = if with_iv {
                &["GW_P2PE_KSN", "GW_P2PE_PAYLOAD", "GW_P2PE_IV", "GW_P2PE_CARD_BIN"]
            } else {
                &["GW_P2PE_KSN", "GW_P2PE_PAYLOAD", "GW_P2PE_CARD_BIN"]
            };
            assert_eq!(names, expected);
            let p = p2pe_from(&env);
            assert_eq!(p.ksn, "123456789012345600000001");
            assert_eq!(p.payload.len(), 64, "a 32-byte track 2 is two AES blocks");
            let aes_bdk = gw_sim::aes_dukpt::AesBdk::parse(&bdk).unwrap();
            let cfg = gw_sim::SimConfig::default().aes_bdk(aes_bdk);
            let card = gw_sim::terminal::decrypt_with(&p, &cfg.host_keys()).unwrap();
            assert_eq!(&*card.pan, "5413330089099130", "AES-{size} iv={with_iv}");
            assert_eq!(card.expiry.as_deref(), Some("1249"));
            // The same terminal under the other key size does not decrypt to a card.
            let other = gw_sim::aes_dukpt::AesBdk::ansi_test(if size == "128" {
                gw_sim::aes_dukpt::KeySize::Aes256
            } else {
                gw_sim::aes_dukpt::KeySize::Aes128
            });
            let cfg = gw_sim::SimConfig::default().aes_bdk(other);
            assert!(gw_sim::terminal::decrypt_with(&p, &cfg.host_keys()).is_err());
        }
    }
}

#[test]
fn dukpt_command_does_aes_by_the_ksn_length() {
    let run = |args: &[&str]| {
        let out = Command::new(BIN).arg("dukpt").args(args).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    // "4761739001010010" under the published counter-1 data keys (see aes_dukpt_vectors.rs).
    let plain = "34373631373339303031303130303130";
    let ksn = "123456789012345600000001";
    assert_eq!(run(&["encrypt", "--ksn", ksn, plain]), "2319CC5A1D41AF9A770604B2F2632780");
    assert_eq!(run(&["encrypt", "--ksn", ksn, "--aes-usage", "both", plain]), "C98ED1B96506D98DCA7D1FC44B87C207");
    assert_eq!(run(&["decrypt", "--ksn", ksn, "2319CC5A1D41AF9A770604B2F2632780"]), plain);
    let bdk256 = "FEDCBA9876543210F1F1F1F1F1F1F1F1".repeat(2);
    let iv = "0F0E0D0C0B0A09080706050403020100";
    let ct = run(&["encrypt", "--ksn", ksn, "--aes-bdk", &bdk256, "--iv", iv, plain]);
    assert_eq!(run(&["decrypt", "--ksn", ksn, "--aes-bdk", &bdk256, "--iv", iv, &ct]), plain);
}

#[test]
fn errors_exit_with_code_2() {
    for args in [
        vec!["bogus"],
        vec!["serve"],
        vec!["serve", "--merchant", "M1"],
        vec!["serve", "--merchant", "M1", "--password", "p", "--listen", "nope"],
        vec!["serve", "--merchant", "M1", "--password", "p", "--client-ca", "/nonexistent/ca.pem"],
        vec!["terminal", "--pan", "12"],
        vec!["terminal", "--pan", "4000000000000002", "--track", "3"],
        vec!["dukpt", "encrypt", "--ksn", "FFFF9876543210E00001", "0102"],
        vec!["dukpt", "encrypt", "--ksn", "XYZ", "0102030405060708"],
        vec!["dukpt", "encrypt", "--ksn", "123456789012345600000001", "0102030405060708"],
        vec!["dukpt", "decrypt", "--ksn", "123456789012345600000000", "34373631373339303031303130303130"],
        vec!["dukpt", "decrypt", "--ksn", "12345678901234560001FFFF", "34373631373339303031303130303130"],
        vec!["dukpt", "encrypt", "--ksn", "123456789012345600000001", "--aes-bdk", "0011", "00"],
        vec!["terminal", "--aes", "--pan", "4000000000000002", "--key-size", "192"],
        vec!["terminal", "--aes", "--pan", "4000000000000002", "--iv", "0102030405060708"],
        vec!["terminal", "--aes", "--pan", "4000000000000002", "--bdk", "0123456789ABCDEFFEDCBA9876543210"],
        vec!["terminal", "--pan", "4000000000000002", "--key-size", "256"],
        vec!["serve", "--merchant", "M1", "--password", "p", "--aes-bdk", "00"],
        vec!["serve", "--merchant", "M1", "--password", "p", "--aes-usage", "decrypt"],
    ] {
        let out = Command::new(BIN).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("error:"), "{args:?}");
    }
    let out = Command::new(BIN).arg("help").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("gw-sim serve"));
}

/// `gw-sim --version` prints the package's version, which is the library's.
#[test]
fn version_is_the_crates() {
    for flag in ["--version", "-V"] {
        let out = Command::new(BIN).arg(flag).output().unwrap();
        assert!(out.status.success(), "{flag}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), format!("gw-sim {}\n", env!("CARGO_PKG_VERSION")), "{flag}");
    }
}

/// Every command's `--help` (or `-h`, wherever it stands) prints that
/// command's usage and starts nothing, instead of "unknown option --help".
#[test]
fn every_command_has_help() {
    for (command, own, other) in [
        ("serve", "--merchant ID --password PW", "gw-sim terminal"),
        ("terminal", "--pan PAN", "gw-sim serve"),
        ("dukpt", "encrypt|decrypt --ksn KSN", "gw-sim serve"),
    ] {
        for help in [vec![command, "--help"], vec![command, "--merchant", "M1", "-h"]] {
            let out = Command::new(BIN).args(&help).output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "{help:?}: {}", String::from_utf8_lossy(&out.stderr));
            assert!(text.contains(&format!("gw-sim {command} {own}")), "{help:?}: {text}");
            assert!(!text.contains(other), "{help:?} shows another command: {text}");
            assert!(text.contains("Defaults:"), "{help:?}: {text}");
            assert_eq!(text.contains("Faults"), command == "serve", "{help:?}: {text}");
        }
    }
}

/// Runs `serve` with its request log on, sends `requests` to it, stops it
/// and returns what it wrote on stderr.
fn request_log(requests: impl FnOnce(std::net::SocketAddr)) -> String {
    let mut child = Command::new(BIN)
        .args(["serve", "--merchant", MERCHANT, "--password", PASSWORD])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut url = String::new();
    out.read_line(&mut url).unwrap();
    let port = url.trim().rsplit(':').next().unwrap();
    requests(format!("127.0.0.1:{port}").parse().unwrap());
    let _ = child.kill();
    let _ = child.wait();
    let mut log = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut log).unwrap();
    log
}

#[test]
fn serve_never_prints_the_password_or_pan() {
    let p = gw_sim::terminal::encrypt_pan(VISA).unwrap();
    let log = request_log(|addr| {
        let mut c = Client::connect(addr);
        assert_eq!(c.post(&tokenize(&p)).status, 200);
        assert_eq!(c.post(&with(tokenize(&p), &[("apiPassword", "wrong-password")])).status, 401);
        assert_eq!(c.post(&with(tokenize(&p), &[("sourceOfFunds.provided.card.p2pe.cardBin", "411111")])).status, 400);
    });
    assert!(log.contains("TOKENIZE"), "{log}");
    for secret in [PASSWORD, "wrong-password", VISA, &p.payload] {
        assert!(!log.contains(secret), "log leaks a secret: {log}");
    }
}

#[test]
fn the_request_log_has_a_line_for_every_request_faults_included() {
    let p = gw_sim::terminal::encrypt_pan(VISA).unwrap();
    let fault = |name: &str| with(tokenize(&p), &[("correlationId", &format!("gw-sim:fault={name}"))]);
    let log = request_log(|addr| {
        assert_eq!(Client::connect(addr).post(&base("CREATE_SESSION")).status, 200);
        // A raw fault breaks the connection off: the answer, if any, is of no interest here.
        let reset = gw::nvp::encode(&fault("reset"));
        let _ = Client::connect(addr).request("POST", "/api/nvp/version/50", None, reset.as_bytes());
        assert_eq!(Client::connect(addr).post(&fault("server-busy")).status, 503);
        let mut c = Client::connect(addr);
        for status in [503, 503, 200] {
            assert_eq!(c.post(&fault("busy-then-ok=2")).status, status);
        }
        assert_eq!(c.post(&fault("result-pending")).status, 200);
        assert_eq!(c.post(&with(tokenize(&p), &[("sourceOfFunds.provided.card.p2pe.cardBin", "411111")])).status, 400);
    });
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(
        lines,
        [
            "gw-sim: CREATE_SESSION -> 200 SUCCESS",
            "gw-sim: TOKENIZE -> fault reset",
            "gw-sim: TOKENIZE -> 503 (fault server-busy)",
            "gw-sim: TOKENIZE -> 503 (fault busy-then-ok)",
            "gw-sim: TOKENIZE -> 503 (fault busy-then-ok)",
            "gw-sim: TOKENIZE -> 200 SUCCESS",
            "gw-sim: TOKENIZE -> 200 (fault result-pending)",
            "gw-sim: TOKENIZE -> 400 ERROR",
        ],
        "{log}"
    );
}

#[test]
fn help_and_the_readme_list_every_fault() {
    let out = Command::new(BIN).arg("help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for name in gw_sim::faults::NAMES {
        assert!(help.contains(name), "gw-sim help does not list the fault {name}:\n{help}");
        let row = format!("| `{}", name.trim_end_matches("=N"));
        assert!(readme.lines().any(|l| l.starts_with(&row)), "sim/README.md has no row for the fault {name}");
    }
}
