//! The C API: a thin skin over the Rust API.
//!
//! Each export converts and checks its arguments ([`cast`]), runs the Rust
//! API inside the panic boundary ([`panic`]), records a failure as the
//! thread's last error (`last_error`, read by [`error`]) and returns a `gw_status`. No logic lives
//! here: what a call does is decided by the Rust API it forwards to.
//! One file per handle type.

#![allow(non_camel_case_types)]

pub(crate) mod cast;
pub(crate) mod codes;
pub(crate) mod last_error;
pub(crate) mod panic;

pub mod client;
pub mod config;
pub mod error;
pub mod journal;
pub mod request;
pub mod response;
pub mod rules;
pub mod status;
pub mod version;

pub use status::gw_status;
