//! gw-sim: a local simulator of the Mastercard Gateway NVP API
//! (sessions, P2PE tokens and the other operations gw sends), for gw's tests, examples and for
//! integrators without gateway credentials.
//!
//! ```no_run
//! let sim = gw_sim::Sim::start(gw_sim::SimConfig::default().merchant("TESTMERCHANT", "secret-password"))?;
//! println!("{}", sim.base_url()); // http://127.0.0.1:PORT
//! let p2pe = gw_sim::terminal::encrypt_pan("4000000000000002")?;
//! # let _ = p2pe;
//! sim.stop();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Modules: [`http`] (the HTTP/1.1 server side), [`server`] (listener,
//! connections, raw faults, [`Sim`]), [`handlers`] (the NVP operations),
//! [`pki`] (certificates and TLS), [`dukpt`] (TDES), [`aes_dukpt`],
//! [`p2pe`] (which DUKPT a KSN names), [`terminal`], [`cards`],
//! [`tokens`], [`sessions`], [`faults`], [`chaos`] (the seeded fault schedule), [`config`], [`cli`], [`inspector`]
//! (the page of the last requests).

pub mod aes_dukpt;
pub mod cards;
pub mod chaos;
pub mod cli;
pub mod config;
pub mod dukpt;
pub mod faults;
pub mod handlers;
pub mod http;
pub mod inspector;
pub mod ledger;
pub mod p2pe;
pub mod pki;
pub mod rng;
pub mod server;
pub mod sessions;
pub mod terminal;
pub mod time;
pub mod tokens;

pub use chaos::Chaos;
pub use config::{SimConfig, TlsSetup, SUPPORTED_VERSIONS};
pub use faults::Fault;
pub use server::{Sim, SimError};
pub use tokens::{RepositoryMode, TokenStrategy};
