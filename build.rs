//! Gives the shared library a versioned soname, `libgw.so.<MAJOR>`, so a
//! program linked against gw 0.x refuses a future ABI-breaking 1.x.
//!
//! cargo writes only `libgw.so`; installers and tests create the
//! `libgw.so.<MAJOR>` link (see examples-c/Makefile).

fn main() {
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" || target_os == "android" {
        let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".to_owned());
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libgw.so.{major}");
    }
    // The tests compile C programs for the same target (tests/common/mod.rs, `compile_c`).
    println!("cargo:rustc-env=GW_BUILD_TARGET={}", std::env::var("TARGET").unwrap_or_default());
    println!("cargo:rustc-env=GW_BUILD_HOST={}", std::env::var("HOST").unwrap_or_default());
    println!("cargo:rerun-if-changed=build.rs");
}
