//! TDES DUKPT (ANSI X9.24-1:2009): IPEK, transaction keys, the data-request
//! and PIN variants, and TDES-CBC encryption/decryption of P2PE payloads.
//!
//! The block work is RustCrypto's `des` and `cbc`; only the key derivation
//! (a few XORs and single-DES steps) is written here.

use cbc::cipher::{block_padding::NoPadding, BlockDecryptMut, BlockEncrypt, BlockEncryptMut, KeyInit, KeyIvInit};
use des::{Des, TdesEde2};
use zeroize::Zeroizing;

/// The public ANSI X9.24 test Base Derivation Key.
pub const ANSI_TEST_BDK: [u8; 16] =
    [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10];

/// A double-length TDES key (BDK, IPEK or a derived key); wiped on drop.
pub type Key16 = Zeroizing<[u8; 16]>;

const KEY_MASK: [u8; 16] =
    [0xC0, 0xC0, 0xC0, 0xC0, 0x00, 0x00, 0x00, 0x00, 0xC0, 0xC0, 0xC0, 0xC0, 0x00, 0x00, 0x00, 0x00];
const DATA_VARIANT: [u8; 8] = [0, 0, 0, 0, 0, 0xFF, 0, 0];
const PIN_VARIANT: [u8; 8] = [0, 0, 0, 0, 0, 0, 0, 0xFF];
const COUNTER_BITS: u32 = 21;

/// Which key variant encrypts the payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Variant {
    /// Data-encryption request variant (`0000000000FF0000`) plus the one-way
    /// step: the variant key TDES-encrypts its own two halves. The default.
    #[default]
    Data,
    /// PIN variant (`00000000000000FF`), no one-way step (MagTek-style readers).
    Pin,
}

impl Variant {
    /// `data` or `pin`.
    pub fn parse(s: &str) -> Option<Variant> {
        match s.to_ascii_lowercase().as_str() {
            "data" => Some(Variant::Data),
            "pin" => Some(Variant::Pin),
            _ => None,
        }
    }
    /// The name `parse` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Variant::Data => "data",
            Variant::Pin => "pin",
        }
    }
}

/// A DUKPT failure. Never carries key or plaintext material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DukptError {
    /// The KSN is not 20 hex digits (10 bytes).
    BadKsn,
    /// The key is not 32 hex digits (16 bytes).
    BadKey,
    /// The IV is not 16 hex digits (8 bytes).
    BadIv,
    /// The data is not hex or not a whole number of 8-byte blocks.
    BadLength,
}

impl std::fmt::Display for DukptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DukptError::BadKsn => "the KSN must be 20 hex digits (TDES DUKPT)",
            DukptError::BadKey => "the key must be 32 hex digits (double-length TDES)",
            DukptError::BadIv => "the IV must be 16 hex digits",
            DukptError::BadLength => "the data must be hex, a whole number of 8-byte blocks",
        })
    }
}

impl std::error::Error for DukptError {}

/// Parses a 20-hex-digit KSN.
pub fn parse_ksn(hex_ksn: &str) -> Result<[u8; 10], DukptError> {
    let mut ksn = [0u8; 10];
    hex::decode_to_slice(hex_ksn, &mut ksn).map_err(|_| DukptError::BadKsn)?;
    Ok(ksn)
}

/// Parses a 32-hex-digit double-length key.
pub fn parse_key(hex_key: &str) -> Result<Key16, DukptError> {
    let mut key = Zeroizing::new([0u8; 16]);
    hex::decode_to_slice(hex_key, &mut key[..]).map_err(|_| DukptError::BadKey)?;
    Ok(key)
}

/// Parses a 16-hex-digit IV.
pub fn parse_iv(hex_iv: &str) -> Result<[u8; 8], DukptError> {
    let mut iv = [0u8; 8];
    hex::decode_to_slice(hex_iv, &mut iv).map_err(|_| DukptError::BadIv)?;
    Ok(iv)
}

fn tdes_ecb_block(key: &[u8; 16], block: &[u8; 8]) -> [u8; 8] {
    let cipher = TdesEde2::new(key.into());
    let mut b = (*block).into();
    cipher.encrypt_block(&mut b);
    b.into()
}

fn des_ecb_block(key: &[u8], block: &[u8; 8]) -> [u8; 8] {
    let cipher = Des::new(key.into());
    let mut b = (*block).into();
    cipher.encrypt_block(&mut b);
    b.into()
}

fn xor8(a: &[u8; 8], b: &[u8]) -> [u8; 8] {
    let mut out = *a;
    for (o, x) in out.iter_mut().zip(b) {
        *o ^= x;
    }
    out
}

/// The Initial PIN Encryption Key for a terminal: TDES of the KSN (counter
/// cleared) under the BDK, and under the BDK XOR `C0C0C0C000000000…`.
pub fn ipek(bdk: &[u8; 16], ksn: &[u8; 10]) -> Key16 {
    let mut reg = [0u8; 8];
    reg.copy_from_slice(&ksn[..8]);
    reg[7] &= 0xE0;
    let mut masked = Zeroizing::new(*bdk);
    for (m, k) in masked.iter_mut().zip(KEY_MASK) {
        *m ^= k;
    }
    let mut out = Zeroizing::new([0u8; 16]);
    out[..8].copy_from_slice(&tdes_ecb_block(bdk, &reg));
    out[8..].copy_from_slice(&tdes_ecb_block(&masked, &reg));
    out
}

/// The non-reversible key generation process of X9.24-1 over `data`.
fn non_reversible(key: &[u8; 16], data: &[u8; 8]) -> Key16 {
    let half = |k: &[u8; 16]| {
        let (left, right) = k.split_at(8);
        let mut x = xor8(data, right);
        x = des_ecb_block(left, &x);
        xor8(&x, right)
    };
    let mut out = Zeroizing::new([0u8; 16]);
    out[8..].copy_from_slice(&half(key));
    let mut masked = Zeroizing::new(*key);
    for (m, k) in masked.iter_mut().zip(KEY_MASK) {
        *m ^= k;
    }
    out[..8].copy_from_slice(&half(&masked));
    out
}

/// The transaction counter (rightmost 21 bits of the KSN).
pub fn counter(ksn: &[u8; 10]) -> u32 {
    (u32::from(ksn[7] & 0x1F) << 16) | (u32::from(ksn[8]) << 8) | u32::from(ksn[9])
}

/// The transaction key for a KSN: from the IPEK, one non-reversible step per
/// set bit of the counter, most significant first.
pub fn transaction_key(bdk: &[u8; 16], ksn: &[u8; 10]) -> Key16 {
    let mut key = ipek(bdk, ksn);
    let ctr = counter(ksn);
    // The rightmost 64 bits of the KSN with the counter cleared.
    let mut reg = [0u8; 8];
    reg.copy_from_slice(&ksn[2..]);
    reg[5] &= 0xE0;
    reg[6] = 0;
    reg[7] = 0;
    for bit in (0..COUNTER_BITS).rev() {
        let b = 1u32 << bit;
        if ctr & b != 0 {
            reg[5] |= ((b >> 16) & 0xFF) as u8;
            reg[6] |= ((b >> 8) & 0xFF) as u8;
            reg[7] |= (b & 0xFF) as u8;
            key = non_reversible(&key, &reg);
        }
    }
    key
}

/// The key that encrypts the payload for this KSN and variant.
pub fn working_key(bdk: &[u8; 16], ksn: &[u8; 10], variant: Variant) -> Key16 {
    let mut key = transaction_key(bdk, ksn);
    let mask = match variant {
        Variant::Data => DATA_VARIANT,
        Variant::Pin => PIN_VARIANT,
    };
    for (i, k) in key.iter_mut().enumerate() {
        *k ^= mask[i % 8];
    }
    if variant == Variant::Data {
        let mut left = [0u8; 8];
        let mut right = [0u8; 8];
        left.copy_from_slice(&key[..8]);
        right.copy_from_slice(&key[8..]);
        let mut out = Zeroizing::new([0u8; 16]);
        out[..8].copy_from_slice(&tdes_ecb_block(&key, &left));
        out[8..].copy_from_slice(&tdes_ecb_block(&key, &right));
        return out;
    }
    key
}

/// TDES-CBC encryption (IV zero when none) under the working key.
/// `plaintext` must be a whole number of 8-byte blocks.
pub fn encrypt(
    bdk: &[u8; 16],
    ksn: &[u8; 10],
    variant: Variant,
    iv: Option<&[u8; 8]>,
    plaintext: &[u8],
) -> Result<Vec<u8>, DukptError> {
    if plaintext.is_empty() || plaintext.len() % 8 != 0 {
        return Err(DukptError::BadLength);
    }
    let key = working_key(bdk, ksn, variant);
    let iv = iv.copied().unwrap_or([0u8; 8]);
    let mut buf = plaintext.to_vec();
    let len = buf.len();
    cbc::Encryptor::<TdesEde2>::new((&*key).into(), (&iv).into())
        .encrypt_padded_mut::<NoPadding>(&mut buf, len)
        .map_err(|_| DukptError::BadLength)?;
    Ok(buf)
}

/// TDES-CBC decryption (IV zero when none) under the working key.
/// The result is wiped on drop: it holds card data.
pub fn decrypt(
    bdk: &[u8; 16],
    ksn: &[u8; 10],
    variant: Variant,
    iv: Option<&[u8; 8]>,
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, DukptError> {
    if ciphertext.is_empty() || ciphertext.len() % 8 != 0 {
        return Err(DukptError::BadLength);
    }
    let key = working_key(bdk, ksn, variant);
    let iv = iv.copied().unwrap_or([0u8; 8]);
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    cbc::Decryptor::<TdesEde2>::new((&*key).into(), (&iv).into())
        .decrypt_padded_mut::<NoPadding>(&mut buf)
        .map_err(|_| DukptError::BadLength)?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    #[test]
    fn counter_reads_21_bits() {
        assert_eq!(counter(&parse_ksn("FFFF9876543210E00001").unwrap()), 1);
        assert_eq!(counter(&parse_ksn("FFFF9876543210FFFFFF").unwrap()), 0x1F_FFFF);
    }

    #[test]
    fn ipek_ignores_counter() {
        let a = ipek(&ANSI_TEST_BDK, &parse_ksn("FFFF9876543210E00000").unwrap());
        let b = ipek(&ANSI_TEST_BDK, &parse_ksn("FFFF9876543210E00123").unwrap());
        assert_eq!(*a, *b);
    }

    #[test]
    fn pin_variant_is_plain_xor() {
        let ksn = parse_ksn("FFFF9876543210E00001").unwrap();
        let tk = transaction_key(&ANSI_TEST_BDK, &ksn);
        let pk = working_key(&ANSI_TEST_BDK, &ksn, Variant::Pin);
        assert_eq!(pk[7], tk[7] ^ 0xFF);
        assert_eq!(pk[15], tk[15] ^ 0xFF);
        assert_eq!(&pk[..7], &tk[..7]);
    }

    #[test]
    fn rejects_partial_blocks() {
        let ksn = parse_ksn("FFFF9876543210E00001").unwrap();
        assert_eq!(encrypt(&ANSI_TEST_BDK, &ksn, Variant::Data, None, &h("0102")), Err(DukptError::BadLength));
        assert!(decrypt(&ANSI_TEST_BDK, &ksn, Variant::Data, None, &[]).is_err());
    }
}
