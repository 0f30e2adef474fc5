//! gw: a client for the Mastercard Gateway (MPGS) NVP API, with a C ABI.
//!
//! The Rust API below is the whole library; the C API in [`ffi`] is a thin
//! skin over it (argument conversion, the panic boundary, the thread's last
//! error) and holds no logic of its own.
//!
//! Layers, each using only those above it in this list: `wipe` (the
//! allocator, which wipes what it frees); `ascii` (byte-class tests eight
//! bytes at a time); [`rules`] (the gateway's field
//! rules) and `masking` (showing fields without their secrets), [`nvp`] (the form codec), `response` (a decoded
//! answer: plain data, no error type); [`error`] (an error may carry that
//! answer); [`config`], `transport`; [`request`]; `journal` (the
//! payment journal, SQLite); `retry` (the retry policy
//! table) and `outcome` (what a transaction's answer means for the till);
//! `client` and `operations`; [`ffi`]. The modules in plain type are
//! crate-private: their public types ([`Client`], [`P2peCard`], [`Payment`],
//! [`Response`], [`NotAnAnswer`]) are re-exported here.

/// cbindgen:ignore
mod wipe;

/// Every block the library's Rust code frees is wiped first (`src/wipe.rs`).
/// The `wipe-on-free` feature (on by default, and always in the C library)
/// installs it; a Rust program with a global allocator of its own turns the
/// feature off (`docs/transport.md`, "Memory").
#[cfg(feature = "wipe-on-free")]
#[global_allocator]
static ALLOCATOR: wipe::WipeOnFree = wipe::WipeOnFree;

/// cbindgen:ignore
mod ascii;
/// cbindgen:ignore
pub mod error;
/// cbindgen:ignore
pub(crate) mod masking;
/// cbindgen:ignore
pub mod nvp;
/// cbindgen:ignore
pub mod rules;

/// cbindgen:ignore
pub mod config;
/// cbindgen:ignore
pub(crate) mod transport;

/// cbindgen:ignore
pub(crate) mod journal;
/// cbindgen:ignore
pub mod request;
/// cbindgen:ignore
pub(crate) mod response;

mod retry;

/// cbindgen:ignore
pub mod outcome;

/// cbindgen:ignore
pub(crate) mod client;
/// cbindgen:ignore
pub(crate) mod operations;

pub mod ffi;

pub use client::{Client, Recovered};
pub use config::{Config, LogLevel, Trust};
pub use error::{Error, Kind};
pub use journal::Intent;
pub use masking::MASK;
pub use operations::{P2peCard, Payment};
pub use request::Request;
pub use response::{NotAnAnswer, Response};
pub use rules::Operation;
