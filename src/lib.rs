//! gw: a client for the Mastercard Gateway NVP API with a C ABI.
pub mod rules;
pub mod nvp;
