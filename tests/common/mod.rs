//! Shared by the integration tests: a gw-sim to talk to, and C-string helpers.
#![allow(dead_code)]

use std::ffi::{c_char, CStr, CString};

pub const MERCHANT: &str = "TESTGWMERCHANT";
pub const PASSWORD: &str = "sim-Pa55word-never-logged";
/// A Visa test PAN; the tests check it never leaks.
pub const PAN: &str = "4761739001010010";

/// A gw-sim on 127.0.0.1 with one merchant, stopped when dropped.
pub fn sim() -> gw_sim::Sim {
    gw_sim::Sim::start(gw_sim::SimConfig::default().merchant(MERCHANT, PASSWORD)).expect("gw-sim starts")
}

/// `PAN` encrypted by the test terminal (ANSI test BDK, data variant).
pub fn terminal_card() -> gw_sim::terminal::P2pe {
    gw_sim::terminal::encrypt_pan(PAN).expect("terminal encrypts")
}

pub fn c(text: &str) -> CString {
    CString::new(text).expect("no NUL")
}

/// Reads a C string the library returned (NULL is None).
pub fn read(ptr: *const c_char) -> Option<String> {
    // SAFETY: the library returns NULL or a NUL-terminated string it owns and
    // keeps alive at least until the next gw call on this thread.
    (!ptr.is_null()).then(|| unsafe { CStr::from_ptr(ptr) }.to_string_lossy().into_owned())
}

pub fn last_error() -> String {
    read(gw::ffi::error::gw_last_error()).unwrap_or_default()
}

pub fn last_error_field() -> Option<String> {
    read(gw::ffi::error::gw_last_error_field())
}

/// The directory cargo wrote `libgw.so` to: the test binary lives in its `deps/`.
pub fn library_dir() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(std::path::Path::parent).unwrap().to_path_buf();
    assert!(dir.join("libgw.so").exists(), "no libgw.so in {}", dir.display());
    // The soname is libgw.so.0; cargo writes only libgw.so.
    let link = dir.join("libgw.so.0");
    if !link.exists() {
        let _ = std::os::unix::fs::symlink("libgw.so", &link);
    }
    dir
}

/// Compiles a C (C99) or C++ (C++17) source file with `-Wall -Wextra -Werror
/// -pedantic` against include/gw.h into an executable linked with `-lgw`
/// (the cdylib cargo just built), plus `extra` compiler arguments.
pub fn compile_c(source: &std::path::Path, cpp: bool, extra: &[&str]) -> std::path::PathBuf {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib = library_dir();
    let out_dir = std::env::temp_dir().join(format!("gw-c-abi-{}", std::process::id()));
    std::fs::create_dir_all(&out_dir).unwrap();
    let exe = out_dir.join(source.file_stem().unwrap());
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
        .arg(root.join("include"))
        .arg(source)
        .arg("-o")
        .arg(&exe)
        .arg(format!("-L{}", lib.display()))
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .arg("-lgw")
        .args(extra);
    let output = command.output().expect("run the C compiler");
    assert!(
        output.status.success(),
        "compiling {} failed:\n{}",
        source.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    exe
}
