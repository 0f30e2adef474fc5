//! The host side of P2PE, as the gateway does it: the KSN's length names the
//! scheme (20 hex digits: TDES DUKPT, ANSI X9.24-1; 24: AES DUKPT, ANSI
//! X9.24-3), the IV is one block of that scheme's cipher (zero when absent),
//! and the payload is decrypted under the terminal's data key. The TOKENIZE
//! handler and `terminal::decrypt_with` both decrypt here.
//!
//! Which lengths an API version accepts is the field rules' business
//! (`gw::rules`), checked before this runs.

use crate::aes_dukpt::{self, AesBdk, DataKeyUsage};
use crate::dukpt::{self, Variant};
use zeroize::Zeroizing;

/// The DUKPT schemes, told apart by the KSN's length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// TDES DUKPT (X9.24-1): a 20-hex-digit KSN, 8-byte blocks.
    Tdes,
    /// AES DUKPT (X9.24-3): a 24-hex-digit KSN, 16-byte blocks.
    Aes,
}

impl Scheme {
    /// The scheme of a KSN given as hex digits, by its length.
    pub fn of_ksn(ksn_hex: &str) -> Option<Scheme> {
        match ksn_hex.len() {
            20 => Some(Scheme::Tdes),
            24 => Some(Scheme::Aes),
            _ => None,
        }
    }
}

/// The keys a host holds for its terminals, and how those derive their data key.
#[derive(Clone, Copy, Debug)]
pub struct HostKeys<'a> {
    /// The TDES BDK.
    pub tdes_bdk: &'a [u8; 16],
    /// The TDES terminals' key variant.
    pub variant: Variant,
    /// The AES BDK (AES-128 or AES-256).
    pub aes_bdk: &'a AesBdk,
    /// The AES terminals' data-key usage.
    pub aes_usage: DataKeyUsage,
}

/// The P2PE field a decryption failure is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// `keySerialNumber`.
    KeySerialNumber,
    /// `initializationVector`.
    InitializationVector,
    /// `payload`.
    Payload,
}

/// Why a payload cannot be decrypted: the field, and a message that never
/// carries a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct P2peError {
    /// The field at fault.
    pub field: Field,
    /// What is wrong with it.
    pub message: String,
}

fn error(field: Field, message: impl Into<String>) -> P2peError {
    P2peError { field, message: message.into() }
}

/// Decrypts a payload given as the request's hex fields. The plaintext is
/// wiped on drop. A wrong key is not detected here: its plaintext fails the
/// card parser afterwards, as at the gateway.
pub fn decrypt(
    keys: &HostKeys<'_>,
    ksn_hex: &str,
    iv_hex: Option<&str>,
    payload_hex: &str,
) -> Result<Zeroizing<Vec<u8>>, P2peError> {
    let scheme = Scheme::of_ksn(ksn_hex)
        .ok_or_else(|| error(Field::KeySerialNumber, "The KSN must be 20 hex digits (TDES DUKPT) or 24 (AES DUKPT)"))?;
    let ciphertext = hex::decode(payload_hex).map_err(|_| error(Field::Payload, "The payload is not hexadecimal"))?;
    match scheme {
        Scheme::Tdes => {
            let ksn = dukpt::parse_ksn(ksn_hex).map_err(|e| error(Field::KeySerialNumber, e.to_string()))?;
            let iv = iv_hex.map(dukpt::parse_iv).transpose().map_err(|_| {
                error(Field::InitializationVector, "A TDES DUKPT payload (20-hex-digit KSN) takes a 16-hex-digit IV")
            })?;
            dukpt::decrypt(keys.tdes_bdk, &ksn, keys.variant, iv.as_ref(), &ciphertext)
                .map_err(|_| error(Field::Payload, "The payload is not a whole number of 8-byte TDES blocks"))
        }
        Scheme::Aes => {
            let ksn = aes_dukpt::parse_ksn(ksn_hex).map_err(|e| error(Field::KeySerialNumber, e.to_string()))?;
            aes_dukpt::check_counter(aes_dukpt::counter(&ksn))
                .map_err(|e| error(Field::KeySerialNumber, e.to_string()))?;
            let iv = iv_hex.map(aes_dukpt::parse_iv).transpose().map_err(|_| {
                error(Field::InitializationVector, "An AES DUKPT payload (24-hex-digit KSN) takes a 32-hex-digit IV")
            })?;
            aes_dukpt::decrypt(keys.aes_bdk, &ksn, keys.aes_usage, iv.as_ref(), &ciphertext)
                .map_err(|_| error(Field::Payload, "The payload is not a whole number of 16-byte AES blocks"))
        }
    }
}
