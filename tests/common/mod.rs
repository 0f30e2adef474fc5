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
