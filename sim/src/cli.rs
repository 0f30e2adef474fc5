//! The `gw-sim` command line: `serve`, `terminal` and `dukpt`.
//! Errors print one clear line on stderr and exit with code 2.

use crate::aes_dukpt::{self, AesBdk, DataKeyUsage, KeySize};
use crate::dukpt::{self, Variant};
use crate::faults::Fault;
use crate::p2pe::Scheme;
use crate::terminal::{self, AesTerminalOptions, Plaintext, TerminalOptions};
use crate::tokens::{RepositoryMode, TokenStrategy};
use crate::{Sim, SimConfig};
use std::io::Write;
use std::time::Duration;
use zeroize::Zeroizing;

/// The usage text, less the fault list (see [`usage`]).
const USAGE: &str = "\
gw-sim: a local Mastercard Gateway (MPGS) NVP API simulator for point-of-sale
software using gw: sessions, P2PE tokens and the other operations gw sends

USAGE:
  gw-sim --version
      Prints `gw-sim VERSION` (the same version as the gw library it ships with).
  gw-sim serve --merchant ID --password PW [--merchant ID --password PW ...]
               [--listen ADDR] [--tls] [--cert FILE --key FILE] [--ca-out FILE]
               [--client-ca FILE] [--token-strategy merchant|luhn|6.4]
               [--repository unique-card|unique-token] [--repository-id ID]
               [--bdk HEX] [--variant data|pin] [--aes-bdk HEX] [--aes-usage encrypt|both]
               [--session-ttl SECS]
               [--verification NONE|BASIC|ACQUIRER] [--fault NAME[,ms=N]]
               [--chaos SEED[,KIND=PERCENT...][,late-ms=N][,settle-ms=N][,refuse-ms=N]] [--quiet]
      Prints the base URL as the first line on stdout (then `ca=PATH` with
      --tls and a generated CA) and serves until killed. The base URL in a
      browser shows the last requests (GET /; GET /requests.json as JSON).
  gw-sim terminal --pan PAN [--ksn KSN] [--bdk HEX] [--iv HEX] [--variant data|pin]
               [--expiry MMYY|none] [--track 1|2]
  gw-sim terminal --aes --pan PAN [--ksn KSN] [--aes-bdk HEX] [--key-size 128|256]
               [--iv HEX] [--aes-usage encrypt|both] [--expiry MMYY|none] [--track 1|2]
      Encrypts like a P2PE test terminal, TDES DUKPT or (--aes) AES DUKPT;
      prints GW_P2PE_KSN=, GW_P2PE_PAYLOAD=, GW_P2PE_IV= (only with --iv) and
      GW_P2PE_CARD_BIN= lines.
  gw-sim dukpt encrypt|decrypt --ksn KSN [--bdk HEX] [--variant data|pin]
               [--aes-bdk HEX] [--aes-usage encrypt|both] [--iv HEX] HEX
      DUKPT over whole blocks: a 20-hex-digit KSN is TDES (8-byte blocks, 16-hex
      IV), a 24-hex-digit KSN AES (16-byte blocks, 32-hex IV); prints hex.

Defaults: listen 127.0.0.1:0, BDK 0123456789ABCDEFFEDCBA9876543210 (ANSI test key),
KSN FFFF9876543210E00001, variant data, AES BDK FEDCBA9876543210F1F1F1F1F1F1F1F1
(ANSI X9.24-3 test key; --key-size 256 doubles it), AES KSN 123456789012345600000001,
AES usage encrypt, token strategy luhn, repository unique-token, session TTL 1800 s,
verification NONE.
";

/// `gw-sim help`: the usage, and the faults from the faults table, so the
/// list cannot drift from what `--fault` accepts.
pub fn usage() -> String {
    format!(
        "{USAGE}Faults (--fault NAME[,ms=N], or per request correlationId=gw-sim:fault=NAME[,ms=N]):\n  {}\n\
         Chaos kinds (--chaos SEED,KIND=PERCENT,...; default percent in brackets):\n{}",
        crate::faults::NAMES.join(", "),
        crate::chaos::KINDS.iter().map(|(k, r, what)| format!("  {k} [{r}]: {what}\n")).collect::<String>()
    )
}

/// A command-line mistake: the message to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError(pub String);

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn fail<T>(msg: impl Into<String>) -> Result<T, CliError> {
    Err(CliError(msg.into()))
}

/// Parsed `--name value` options (repeatable), `--flag`s and positionals.
#[derive(Debug, Default)]
pub struct Args {
    options: Vec<(String, String)>,
    flags: Vec<String>,
    /// The arguments that are not options, in order.
    pub positionals: Vec<String>,
}

impl Args {
    /// Parses `args`; `flags` take no value, `valued` take one.
    pub fn parse(args: &[String], valued: &[&str], flags: &[&str]) -> Result<Args, CliError> {
        let mut out = Args::default();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if let Some(name) = a.strip_prefix("--") {
                let (name, inline) = match name.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_string())),
                    None => (name, None),
                };
                if flags.contains(&name) && inline.is_none() {
                    out.flags.push(name.to_string());
                } else if valued.contains(&name) {
                    let v = match inline {
                        Some(v) => v,
                        None => it.next().cloned().ok_or_else(|| CliError(format!("--{name} needs a value")))?,
                    };
                    out.options.push((name.to_string(), v));
                } else {
                    return fail(format!("unknown option --{name}"));
                }
            } else {
                out.positionals.push(a.clone());
            }
        }
        Ok(out)
    }

    /// The last value of `--name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.options.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Every value of `--name`, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.options.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str()).collect()
    }

    /// Whether `--name` (a flag) was given.
    pub fn flag(&self, name: &str) -> bool {
        self.flags.iter().any(|f| f == name)
    }
}

/// The usage of one command (`gw-sim serve --help`): its lines of [`USAGE`],
/// the defaults, and for `serve` the faults, as `gw-sim help` gives them.
pub fn command_usage(command: &str) -> String {
    let full = usage();
    let own = format!("  gw-sim {command} ");
    let mut out = String::new();
    let mut inside = false;
    for line in full.lines() {
        // Each synopsis line or heading starts a part; the lines after it
        // (descriptions, wrapped text) belong to it.
        if line.starts_with("  gw-sim ") {
            inside = line.starts_with(&own);
        } else if ["gw-sim:", "USAGE:", "Defaults:"].iter().any(|heading| line.starts_with(heading)) {
            inside = true;
        } else if line.starts_with("Faults") {
            inside = command == "serve";
        }
        if inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Runs the command; returns the exit code.
pub fn run(args: &[String]) -> i32 {
    // `gw-sim COMMAND --help` (or -h) anywhere among its arguments: its usage.
    if let Some(command @ ("serve" | "terminal" | "dukpt")) = args.first().map(String::as_str) {
        if args[1..].iter().any(|arg| arg == "--help" || arg == "-h") {
            print!("{}", command_usage(command));
            return 0;
        }
    }
    let result = match args.first().map(String::as_str) {
        Some("serve") => serve(&args[1..]),
        Some("terminal") => terminal_cmd(&args[1..]),
        Some("dukpt") => dukpt_cmd(&args[1..]),
        Some("help" | "--help" | "-h") => {
            print!("{}", usage());
            Ok(())
        }
        Some("--version" | "-V" | "version") => {
            println!("gw-sim {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        Some(other) => fail(format!("unknown command '{other}' (serve, terminal, dukpt, help, --version)")),
        None => fail("no command given (serve, terminal, dukpt, help, --version)"),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("gw-sim: error: {e}");
            eprintln!("Run `gw-sim help` for usage.");
            2
        }
    }
}

fn parse_bdk(a: &Args) -> Result<[u8; 16], CliError> {
    match a.get("bdk") {
        Some(h) => dukpt::parse_key(h).map(|k| *k).map_err(|e| CliError(format!("--bdk: {e}"))),
        None => Ok(dukpt::ANSI_TEST_BDK),
    }
}

fn parse_variant(a: &Args) -> Result<Variant, CliError> {
    match a.get("variant") {
        Some(v) => Variant::parse(v).ok_or_else(|| CliError("--variant must be data or pin".into())),
        None => Ok(Variant::Data),
    }
}

fn parse_iv(a: &Args) -> Result<Option<[u8; 8]>, CliError> {
    a.get("iv").map(|h| dukpt::parse_iv(h).map_err(|e| CliError(format!("--iv: {e}")))).transpose()
}

fn parse_aes_iv(a: &Args) -> Result<Option<[u8; 16]>, CliError> {
    a.get("iv").map(|h| aes_dukpt::parse_iv(h).map_err(|e| CliError(format!("--iv: {e}")))).transpose()
}

/// `--aes-bdk`, or the ANSI test BDK of `size` (AES-128 when not given).
fn parse_aes_bdk(a: &Args, size: Option<KeySize>) -> Result<AesBdk, CliError> {
    match a.get("aes-bdk") {
        Some(h) => {
            let bdk = AesBdk::parse(h).map_err(|e| CliError(format!("--aes-bdk: {e}")))?;
            if size.is_some_and(|s| s != bdk.size()) {
                return fail("--key-size does not match the length of --aes-bdk");
            }
            Ok(bdk)
        }
        None => Ok(AesBdk::ansi_test(size.unwrap_or(KeySize::Aes128))),
    }
}

fn parse_aes_usage(a: &Args) -> Result<DataKeyUsage, CliError> {
    match a.get("aes-usage") {
        Some(u) => DataKeyUsage::parse(u).ok_or_else(|| CliError("--aes-usage must be encrypt or both".into())),
        None => Ok(DataKeyUsage::Encrypt),
    }
}

fn parse_track(a: &Args) -> Result<Plaintext, CliError> {
    match a.get("track") {
        None => Ok(Plaintext::Pan),
        Some("2") => Ok(Plaintext::Track2),
        Some("1") => Ok(Plaintext::Track1),
        Some(_) => fail("--track must be 1 or 2"),
    }
}

fn read_file(path: &str, what: &str) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|e| CliError(format!("{what} {path}: {e}")))
}

/// Builds the simulator configuration from `serve` arguments.
pub fn serve_config(a: &Args) -> Result<SimConfig, CliError> {
    let merchants = a.all("merchant");
    let passwords = a.all("password");
    if merchants.is_empty() {
        return fail("serve needs --merchant ID --password PW");
    }
    if merchants.len() != passwords.len() {
        return fail("give one --password per --merchant");
    }
    let mut cfg = SimConfig::default().log(!a.flag("quiet"));
    for (m, p) in merchants.iter().zip(&passwords) {
        if m.is_empty() || m.len() > 40 || !m.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return fail("--merchant must be 1 to 40 characters of 0-9, a-z, A-Z, '-', '_'");
        }
        cfg = cfg.merchant(m, p);
    }
    if let Some(l) = a.get("listen") {
        cfg = cfg
            .listen(l.parse().map_err(|_| CliError(format!("--listen: '{l}' is not an address like 127.0.0.1:8080")))?);
    }
    match (a.get("cert"), a.get("key")) {
        (Some(c), Some(k)) => cfg = cfg.tls_pem(&read_file(c, "--cert")?, &read_file(k, "--key")?),
        (None, None) => {
            if a.flag("tls") {
                cfg = cfg.tls_generated();
            }
        }
        _ => return fail("--cert and --key go together"),
    }
    if let Some(f) = a.get("client-ca") {
        cfg = cfg.client_ca_pem(&read_file(f, "--client-ca")?);
    }
    if let Some(s) = a.get("token-strategy") {
        cfg = cfg.token_strategy(
            TokenStrategy::parse(s).ok_or_else(|| CliError("--token-strategy must be merchant, luhn or 6.4".into()))?,
        );
    }
    if let Some(s) = a.get("repository") {
        cfg = cfg.repository_mode(
            RepositoryMode::parse(s)
                .ok_or_else(|| CliError("--repository must be unique-card or unique-token".into()))?,
        );
    }
    if let Some(id) = a.get("repository-id") {
        if id.is_empty() || id.len() > 16 || !id.bytes().all(|b| (0x21..0x7F).contains(&b)) {
            return fail("--repository-id must be 1 to 16 ASCII characters");
        }
        cfg = cfg.repository_id(id);
    }
    cfg = cfg.bdk(parse_bdk(a)?).variant(parse_variant(a)?);
    cfg = cfg.aes_bdk(parse_aes_bdk(a, None)?).aes_usage(parse_aes_usage(a)?);
    if let Some(t) = a.get("session-ttl") {
        let secs: u64 = t.parse().map_err(|_| CliError("--session-ttl must be a number of seconds".into()))?;
        cfg = cfg.session_ttl(Duration::from_secs(secs));
    }
    if let Some(v) = a.get("verification") {
        cfg = cfg.default_verification(match v {
            "NONE" => "NONE",
            "BASIC" => "BASIC",
            "ACQUIRER" => "ACQUIRER",
            _ => return fail("--verification must be NONE, BASIC or ACQUIRER"),
        });
    }
    if let Some(f) = a.get("fault") {
        cfg = cfg.fault(Fault::parse(f).map_err(|e| CliError(format!("--fault: {e}")))?);
    }
    if let Some(c) = a.get("chaos") {
        cfg = cfg.chaos(crate::chaos::Chaos::parse(c).map_err(|e| CliError(format!("--chaos: {e}")))?);
    }
    Ok(cfg)
}

fn serve(args: &[String]) -> Result<(), CliError> {
    let a = Args::parse(
        args,
        &[
            "merchant",
            "password",
            "listen",
            "cert",
            "key",
            "ca-out",
            "client-ca",
            "token-strategy",
            "repository",
            "repository-id",
            "bdk",
            "variant",
            "aes-bdk",
            "aes-usage",
            "session-ttl",
            "verification",
            "fault",
            "chaos",
        ],
        &["tls", "quiet"],
    )?;
    if let Some(p) = a.positionals.first() {
        return fail(format!("unexpected argument '{p}'"));
    }
    let cfg = serve_config(&a)?;
    let sim = Sim::start(cfg).map_err(|e| CliError(e.to_string()))?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", sim.base_url());
    if let Some(pem) = sim.ca_cert_pem() {
        let path = match a.get("ca-out") {
            Some(p) => std::path::PathBuf::from(p),
            None => std::env::temp_dir().join(format!("gw-sim-ca-{}.pem", sim.addr().port())),
        };
        std::fs::write(&path, pem).map_err(|e| CliError(format!("writing the CA to {}: {e}", path.display())))?;
        let _ = writeln!(out, "ca={}", path.display());
    }
    let _ = out.flush();
    drop(out);
    sim.wait();
    Ok(())
}

fn terminal_cmd(args: &[String]) -> Result<(), CliError> {
    let a = Args::parse(
        args,
        &["pan", "ksn", "bdk", "iv", "variant", "expiry", "track", "aes-bdk", "key-size", "aes-usage"],
        &["aes"],
    )?;
    if let Some(p) = a.positionals.first() {
        return fail(format!("unexpected argument '{p}'"));
    }
    let pan = a.get("pan").ok_or_else(|| CliError("terminal needs --pan PAN".into()))?;
    let p = if a.flag("aes") {
        if a.get("bdk").is_some() || a.get("variant").is_some() {
            return fail("--bdk and --variant are TDES options: an --aes terminal takes --aes-bdk and --aes-usage");
        }
        let size = a
            .get("key-size")
            .map(|s| KeySize::parse(s).ok_or_else(|| CliError("--key-size must be 128 or 256".into())))
            .transpose()?;
        let opts = AesTerminalOptions {
            bdk: parse_aes_bdk(&a, size)?,
            ksn: a.get("ksn").unwrap_or(terminal::DEFAULT_AES_KSN).to_string(),
            iv: parse_aes_iv(&a)?,
            usage: parse_aes_usage(&a)?,
            plaintext: parse_track(&a)?,
            expiry: parse_expiry(&a),
        };
        terminal::encrypt_aes(pan, &opts)
    } else {
        if let Some(o) = ["aes-bdk", "key-size", "aes-usage"].into_iter().find(|o| a.get(o).is_some()) {
            return fail(format!("--{o} is an AES option: add --aes"));
        }
        let opts = TerminalOptions {
            bdk: parse_bdk(&a)?,
            ksn: a.get("ksn").unwrap_or(terminal::DEFAULT_KSN).to_string(),
            iv: parse_iv(&a)?,
            variant: parse_variant(&a)?,
            plaintext: parse_track(&a)?,
            expiry: parse_expiry(&a),
        };
        terminal::encrypt(pan, &opts)
    }
    .map_err(|e| CliError(e.to_string()))?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "GW_P2PE_KSN={}", p.ksn);
    let _ = writeln!(out, "GW_P2PE_PAYLOAD={}", p.payload);
    if let Some(iv) = &p.iv {
        let _ = writeln!(out, "GW_P2PE_IV={iv}");
    }
    let _ = writeln!(out, "GW_P2PE_CARD_BIN={}", p.card_bin);
    let _ = out.flush();
    Ok(())
}

/// `--expiry MMYY` (default `1249`), or `none` for a bare PAN.
fn parse_expiry(a: &Args) -> Option<String> {
    match a.get("expiry") {
        Some("none") => None,
        e => Some(e.unwrap_or(terminal::DEFAULT_EXPIRY).to_string()),
    }
}

fn dukpt_cmd(args: &[String]) -> Result<(), CliError> {
    let a = Args::parse(args, &["bdk", "ksn", "iv", "variant", "aes-bdk", "aes-usage"], &[])?;
    let (mode, data) = match a.positionals.as_slice() {
        [m, d] if m == "encrypt" || m == "decrypt" => (m.as_str(), d.as_str()),
        [_, _] => return fail("dukpt takes encrypt or decrypt"),
        _ => return fail("usage: gw-sim dukpt encrypt|decrypt --ksn KSN [options] HEX (see gw-sim help)"),
    };
    let ksn_hex = a.get("ksn").ok_or_else(|| CliError("dukpt needs --ksn KSN".into()))?;
    let bytes = Zeroizing::new(hex::decode(data).map_err(|_| CliError("the data must be hex".into()))?);
    let encrypt = mode == "encrypt";
    let out = match Scheme::of_ksn(ksn_hex) {
        Some(Scheme::Tdes) => {
            let ksn = dukpt::parse_ksn(ksn_hex).map_err(|e| CliError(format!("--ksn: {e}")))?;
            let (bdk, iv, variant) = (parse_bdk(&a)?, parse_iv(&a)?, parse_variant(&a)?);
            if encrypt {
                dukpt::encrypt(&bdk, &ksn, variant, iv.as_ref(), &bytes).map(Zeroizing::new)
            } else {
                dukpt::decrypt(&bdk, &ksn, variant, iv.as_ref(), &bytes)
            }
            .map_err(|e| CliError(e.to_string()))?
        }
        Some(Scheme::Aes) => {
            let ksn = aes_dukpt::parse_ksn(ksn_hex).map_err(|e| CliError(format!("--ksn: {e}")))?;
            let (bdk, iv, usage) = (parse_aes_bdk(&a, None)?, parse_aes_iv(&a)?, parse_aes_usage(&a)?);
            if encrypt {
                aes_dukpt::encrypt(&bdk, &ksn, usage, iv.as_ref(), &bytes).map(Zeroizing::new)
            } else {
                aes_dukpt::decrypt(&bdk, &ksn, usage, iv.as_ref(), &bytes)
            }
            .map_err(|e| CliError(e.to_string()))?
        }
        None => return fail("--ksn must be 20 hex digits (TDES DUKPT) or 24 (AES DUKPT)"),
    };
    println!("{}", hex::encode_upper(&out[..]));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn parses_options_flags_and_positionals() {
        let a = Args::parse(&s(&["--ksn", "K", "--tls", "--iv=00", "pos"]), &["ksn", "iv"], &["tls"]).unwrap();
        assert_eq!(a.get("ksn"), Some("K"));
        assert_eq!(a.get("iv"), Some("00"));
        assert!(a.flag("tls"));
        assert_eq!(a.positionals, vec!["pos"]);
        assert!(Args::parse(&s(&["--nope"]), &[], &[]).is_err());
        assert!(Args::parse(&s(&["--ksn"]), &["ksn"], &[]).is_err());
    }

    #[test]
    fn serve_config_checks_its_options() {
        let ok = |v: &[&str]| {
            serve_config(
                &Args::parse(
                    &s(v),
                    &["merchant", "password", "token-strategy", "repository", "fault", "listen", "bdk", "session-ttl"],
                    &["tls"],
                )
                .unwrap(),
            )
        };
        assert!(ok(&["--merchant", "M1", "--password", "p"]).is_ok());
        assert!(ok(&["--merchant", "M1"]).is_err());
        assert!(ok(&["--merchant", "M 1", "--password", "p"]).is_err());
        assert!(ok(&["--merchant", "M1", "--password", "p", "--token-strategy", "x"]).is_err());
        assert!(ok(&["--merchant", "M1", "--password", "p", "--fault", "bogus"]).is_err());
        assert!(ok(&["--merchant", "M1", "--password", "p", "--listen", "nowhere"]).is_err());
        assert!(ok(&["--merchant", "M1", "--password", "p", "--bdk", "12"]).is_err());
        let c = ok(&[
            "--merchant",
            "M1",
            "--password",
            "p",
            "--token-strategy",
            "6.4",
            "--repository",
            "unique-card",
            "--session-ttl",
            "5",
        ])
        .unwrap();
        assert_eq!(c.token_strategy, TokenStrategy::Preserve64);
        assert_eq!(c.repository_mode, RepositoryMode::UniqueCard);
        assert_eq!(c.session_ttl, Duration::from_secs(5));
    }

    #[test]
    fn errors_exit_2() {
        assert_eq!(run(&s(&["nope"])), 2);
        assert_eq!(run(&[]), 2);
        assert_eq!(run(&s(&["terminal"])), 2);
        assert_eq!(run(&s(&["dukpt", "encrypt", "--ksn", "FFFF9876543210E00001", "0102"])), 2);
    }
}
