//! C programs, compiled by this test with the cc crate against `include/gw.h`
//! and the cdylib cargo just built, run against gw-sim. The header must
//! compile cleanly as C99 and as C++17 with `-Wall -Wextra -Werror -pedantic`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{sim, terminal_card, MERCHANT, PASSWORD};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The directory cargo wrote `libgw.so` to: the test binary lives in its `deps/`.
fn library_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    assert!(dir.join("libgw.so").exists(), "no libgw.so in {}", dir.display());
    // The soname is libgw.so.0; cargo writes only libgw.so.
    let link = dir.join("libgw.so.0");
    if !link.exists() {
        let _ = std::os::unix::fs::symlink("libgw.so", &link);
    }
    dir
}

/// Compiles one source file into an executable linked with `-lgw`.
fn compile(source: &str, cpp: bool) -> PathBuf {
    let lib = library_dir();
    let out_dir = std::env::temp_dir().join(format!("gw-c-abi-{}", std::process::id()));
    std::fs::create_dir_all(&out_dir).unwrap();
    let exe = out_dir.join(Path::new(source).file_stem().unwrap());
    let compiler = cc::Build::new()
        .cpp(cpp)
        .target(env!("GW_BUILD_TARGET"))
        .host(env!("GW_BUILD_HOST"))
        .opt_level(1)
        .cargo_metadata(false)
        .cargo_warnings(false)
        .get_compiler();
    let mut command = compiler.to_command();
    command
        .args([if cpp { "-std=c++17" } else { "-std=c99" }, "-Wall", "-Wextra", "-Werror", "-pedantic"])
        .arg("-I")
        .arg(root().join("include"))
        .arg(root().join("tests/c").join(source))
        .arg("-o")
        .arg(&exe)
        .arg(format!("-L{}", lib.display()))
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .arg("-lgw");
    let output = command.output().expect("run the C compiler");
    assert!(output.status.success(), "compiling {source} failed:\n{}", String::from_utf8_lossy(&output.stderr));
    exe
}

#[test]
fn a_c_program_creates_a_session_and_a_token() {
    let exe = compile("abi_smoke.c", false);
    let sim = sim();
    let card = terminal_card();
    let output = Command::new(&exe)
        .args([&sim.base_url(), MERCHANT, PASSWORD, &card.ksn, &card.payload, &card.card_bin])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        stdout.lines().any(|l| l.starts_with("session.id=SESSION0002") && l.len() == "session.id=".len() + 31),
        "{stdout}"
    );
    assert!(stdout.lines().any(|l| l.starts_with("token=") && l.len() > "token=".len()), "{stdout}");
    assert!(stdout.contains("invalid field=sourceOfFunds.provided.card.p2pe.keySerialNumber"), "{stdout}");
    assert!(stdout.contains("correlationId=c-abi-smoke http=20"), "{stdout}");
    assert!(stdout.contains("status 3=a field failed local validation"), "{stdout}");
}

#[test]
fn the_header_compiles_as_cpp17() {
    let exe = compile("header_cpp.cpp", true);
    let output = Command::new(&exe).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stdout));
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "1 a required argument was NULL");
}

/// Issue 13.3: after the calls return (request and response freed, client
/// alive), no copy of the card number, security code or P2PE payload is
/// left in the process's heap or anonymous memory, and the password only in
/// the client's own (zeroizing) copy. Over plain http and over TLS.
#[test]
fn no_password_or_card_data_is_left_in_memory_after_the_calls() {
    let exe = compile("memory_scan.c", false);
    let card = terminal_card();
    let reversed = |text: &str| text.chars().rev().collect::<String>();
    let (pan, cvc) = ("5123450000000008", "7391");
    for tls in [false, true] {
        let config = gw_sim::SimConfig::default().merchant(MERCHANT, PASSWORD);
        let sim = gw_sim::Sim::start(if tls { config.tls_generated() } else { config }).unwrap();
        let ca_file = std::env::temp_dir().join(format!("gw-memory-scan-{}-ca.pem", std::process::id()));
        let ca = match sim.ca_cert_pem() {
            Some(pem) => {
                std::fs::write(&ca_file, pem).unwrap();
                ca_file.display().to_string()
            }
            None => "-".to_owned(),
        };
        let output = Command::new(&exe)
            .args([
                &sim.base_url(),
                MERCHANT,
                &ca,
                &reversed(PASSWORD),
                &reversed(pan),
                &reversed(cvc),
                &card.ksn,
                &reversed(&card.payload),
                &card.card_bin,
            ])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
        let counts: Vec<(&str, u32)> = stdout
            .split_whitespace()
            .filter_map(|pair| pair.split_once('='))
            .map(|(name, count)| (name, count.parse().unwrap()))
            .collect();
        let tls = if tls { "https" } else { "http" };
        assert_eq!(counts.len(), 7, "{tls}: {stdout}");
        for (name, count) in counts {
            let allowed = if name == "password" { 1 } else { 0 };
            assert!(count <= allowed, "{tls}: {count} copies of the {name} left in memory: {stdout}");
        }
    }
}
