//! AES DUKPT (ANSI X9.24-3-2017): the initial key from the BDK and the KSN's
//! initial key ID, the derivation-key ladder over the 32-bit transaction
//! counter, the data-encryption working key, and AES-CBC encryption and
//! decryption of P2PE payloads (AES-128 and AES-256 BDKs).
//!
//! Every key of the scheme is the AES-ECB encryption of 16-byte "derivation
//! data" under the key above it (X9.24-3 §6.3.2): version `01`, a block
//! counter, the key usage, the algorithm and length of the derived key, then
//! the initial key ID (initial key) or its right half and a counter value
//! (every other key). A 256-bit key takes two blocks (block counter 1, 2).
//! The block work is RustCrypto's `aes` and `cbc`.
//!
//! The KSN is 12 bytes: the 8-byte initial key ID (BDK ID, derivation ID)
//! and the 4-byte transaction counter. A terminal never uses counter 0 nor a
//! counter with more than 16 bits set (X9.24-3 §6.1: the ladder is at most 16
//! steps); the host refuses both, and so does this module.

use aes::{Aes128, Aes256};
use cbc::cipher::{block_padding::NoPadding, BlockDecryptMut, BlockEncrypt, BlockEncryptMut, KeyInit, KeyIvInit};
use zeroize::Zeroizing;

/// The AES-128 BDK of the ANSI X9.24-3-2017 test vectors.
pub const ANSI_TEST_AES128_BDK: [u8; 16] =
    [0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10, 0xF1, 0xF1, 0xF1, 0xF1, 0xF1, 0xF1, 0xF1, 0xF1];

/// The AES-256 BDK of the ANSI X9.24-3-2017 test vectors (the AES-128 one twice).
pub const ANSI_TEST_AES256_BDK: [u8; 32] = [
    0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10, 0xF1, 0xF1, 0xF1, 0xF1, 0xF1, 0xF1, 0xF1, 0xF1, 0xFE, 0xDC, 0xBA,
    0x98, 0x76, 0x54, 0x32, 0x10, 0xF1, 0xF1, 0xF1, 0xF1, 0xF1, 0xF1, 0xF1, 0xF1,
];

/// The KSN of the ANSI test vectors at counter 1: initial key ID
/// `1234567890123456` (BDK ID `12345678`, derivation ID `90123456`).
pub const ANSI_TEST_KSN: &str = "123456789012345600000001";

/// Most one-bits a transaction counter may have (X9.24-3 §6.1).
pub const MAX_COUNTER_ONES: u32 = 16;

/// Key-usage codes of the derivation data (X9.24-3 §6.3.2, table 2).
const USAGE_KEY_DERIVATION: u16 = 0x8000;
const USAGE_INITIAL_KEY: u16 = 0x8001;

/// An AES key of the scheme (initial, derivation or working key); wiped on drop.
pub type AesKey = Zeroizing<Vec<u8>>;

/// The size of an AES key: the BDK's, and the data key's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySize {
    /// AES-128 (16 bytes).
    Aes128,
    /// AES-256 (32 bytes).
    Aes256,
}

impl KeySize {
    /// `128` or `256`.
    pub fn parse(s: &str) -> Option<KeySize> {
        match s {
            "128" => Some(KeySize::Aes128),
            "256" => Some(KeySize::Aes256),
            _ => None,
        }
    }

    /// The key length in bytes.
    pub fn bytes(self) -> usize {
        match self {
            KeySize::Aes128 => 16,
            KeySize::Aes256 => 32,
        }
    }

    /// The derivation data's algorithm indicator (`0002` AES-128, `0004` AES-256).
    fn algorithm(self) -> u16 {
        match self {
            KeySize::Aes128 => 2,
            KeySize::Aes256 => 4,
        }
    }
}

/// The key usage the terminal derives its data key for (X9.24-3 table 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DataKeyUsage {
    /// "Data encryption, encrypt" (`3000`): what P2PE readers use. The default.
    #[default]
    Encrypt,
    /// "Data encryption, both ways" (`3002`).
    BothWays,
}

impl DataKeyUsage {
    /// `encrypt` or `both`.
    pub fn parse(s: &str) -> Option<DataKeyUsage> {
        match s.to_ascii_lowercase().as_str() {
            "encrypt" => Some(DataKeyUsage::Encrypt),
            "both" => Some(DataKeyUsage::BothWays),
            _ => None,
        }
    }

    /// The name `parse` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            DataKeyUsage::Encrypt => "encrypt",
            DataKeyUsage::BothWays => "both",
        }
    }

    fn code(self) -> u16 {
        match self {
            DataKeyUsage::Encrypt => 0x3000,
            DataKeyUsage::BothWays => 0x3002,
        }
    }
}

/// An AES DUKPT failure. Never carries key or plaintext material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AesDukptError {
    /// The KSN is not 24 hex digits (12 bytes).
    BadKsn,
    /// The BDK is not 32 or 64 hex digits (AES-128 or AES-256).
    BadKey,
    /// The IV is not 32 hex digits (one AES block).
    BadIv,
    /// The KSN's counter is zero or has more than 16 bits set.
    BadCounter,
    /// The data is not hex or not a whole number of 16-byte blocks.
    BadLength,
}

impl std::fmt::Display for AesDukptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AesDukptError::BadKsn => "the KSN must be 24 hex digits (AES DUKPT: initial key ID and counter)",
            AesDukptError::BadKey => "the AES BDK must be 32 or 64 hex digits (AES-128 or AES-256)",
            AesDukptError::BadIv => "the IV must be 32 hex digits (one AES block)",
            AesDukptError::BadCounter => {
                "the KSN's transaction counter must be nonzero with at most 16 bits set (ANSI X9.24-3)"
            }
            AesDukptError::BadLength => "the data must be hex, a whole number of 16-byte AES blocks",
        })
    }
}

impl std::error::Error for AesDukptError {}

/// An AES Base Derivation Key, 16 or 32 bytes; wiped on drop, never shown.
#[derive(Clone, PartialEq, Eq)]
pub struct AesBdk(Zeroizing<Vec<u8>>);

impl AesBdk {
    /// The BDK from its bytes (16 or 32).
    pub fn new(key: &[u8]) -> Result<AesBdk, AesDukptError> {
        match key.len() {
            16 | 32 => Ok(AesBdk(Zeroizing::new(key.to_vec()))),
            _ => Err(AesDukptError::BadKey),
        }
    }

    /// The BDK from 32 or 64 hex digits.
    pub fn parse(hex_key: &str) -> Result<AesBdk, AesDukptError> {
        let key = Zeroizing::new(hex::decode(hex_key).map_err(|_| AesDukptError::BadKey)?);
        AesBdk::new(&key)
    }

    /// The ANSI X9.24-3 test BDK of this size.
    pub fn ansi_test(size: KeySize) -> AesBdk {
        match size {
            KeySize::Aes128 => AesBdk(Zeroizing::new(ANSI_TEST_AES128_BDK.to_vec())),
            KeySize::Aes256 => AesBdk(Zeroizing::new(ANSI_TEST_AES256_BDK.to_vec())),
        }
    }

    /// AES-128 or AES-256.
    pub fn size(&self) -> KeySize {
        if self.0.len() == 32 {
            KeySize::Aes256
        } else {
            KeySize::Aes128
        }
    }
}

impl Default for AesBdk {
    /// The AES-128 ANSI test BDK.
    fn default() -> Self {
        AesBdk::ansi_test(KeySize::Aes128)
    }
}

impl std::fmt::Debug for AesBdk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AesBdk({:?}, <redacted>)", self.size())
    }
}

/// Parses a 24-hex-digit KSN.
pub fn parse_ksn(hex_ksn: &str) -> Result<[u8; 12], AesDukptError> {
    let mut ksn = [0u8; 12];
    hex::decode_to_slice(hex_ksn, &mut ksn).map_err(|_| AesDukptError::BadKsn)?;
    Ok(ksn)
}

/// Parses a 32-hex-digit IV.
pub fn parse_iv(hex_iv: &str) -> Result<[u8; 16], AesDukptError> {
    let mut iv = [0u8; 16];
    hex::decode_to_slice(hex_iv, &mut iv).map_err(|_| AesDukptError::BadIv)?;
    Ok(iv)
}

/// The initial key ID: the KSN's leftmost 8 bytes.
pub fn initial_key_id(ksn: &[u8; 12]) -> [u8; 8] {
    let mut id = [0u8; 8];
    id.copy_from_slice(&ksn[..8]);
    id
}

/// The transaction counter: the KSN's rightmost 4 bytes.
pub fn counter(ksn: &[u8; 12]) -> u32 {
    u32::from_be_bytes([ksn[8], ksn[9], ksn[10], ksn[11]])
}

/// Refuses a counter no terminal uses: zero, or more than 16 bits set.
pub fn check_counter(counter: u32) -> Result<(), AesDukptError> {
    if counter == 0 || counter.count_ones() > MAX_COUNTER_ONES {
        return Err(AesDukptError::BadCounter);
    }
    Ok(())
}

/// The derivation data for a key of `size` and `usage`: with no counter,
/// the initial key's (the whole initial key ID); with one, every other
/// key's (the ID's right half, then the counter).
fn derivation_data(usage: u16, size: KeySize, ikid: &[u8; 8], counter: Option<u32>) -> [u8; 16] {
    let bits = (size.bytes() * 8) as u16;
    let mut data = [0u8; 16];
    data[0] = 0x01; // version
    data[1] = 0x01; // key block counter (set per block by `derive`)
    data[2..4].copy_from_slice(&usage.to_be_bytes());
    data[4..6].copy_from_slice(&size.algorithm().to_be_bytes());
    data[6..8].copy_from_slice(&bits.to_be_bytes());
    match counter {
        None => data[8..].copy_from_slice(ikid),
        Some(c) => {
            data[8..12].copy_from_slice(&ikid[4..]);
            data[12..].copy_from_slice(&c.to_be_bytes());
        }
    }
    data
}

/// One AES-ECB block under a 16- or 32-byte key.
fn ecb_block(key: &[u8], block: &[u8; 16]) -> [u8; 16] {
    let mut b = (*block).into();
    if key.len() == 32 {
        Aes256::new(key.into()).encrypt_block(&mut b);
    } else {
        Aes128::new(key.into()).encrypt_block(&mut b);
    }
    b.into()
}

/// X9.24-3 "derive key": as many AES-ECB blocks of `data` under `key` as the
/// derived key needs, the block counter numbering them from 1.
fn derive(key: &[u8], size: KeySize, mut data: [u8; 16]) -> AesKey {
    let mut out = Zeroizing::new(Vec::with_capacity(size.bytes()));
    for block in 1..=(size.bytes() / 16) as u8 {
        data[1] = block;
        out.extend_from_slice(&ecb_block(key, &data));
    }
    out
}

/// The terminal's initial key: derived from the BDK and the initial key ID,
/// the size of the BDK.
pub fn initial_key(bdk: &AesBdk, ikid: &[u8; 8]) -> AesKey {
    let size = bdk.size();
    derive(&bdk.0, size, derivation_data(USAGE_INITIAL_KEY, size, ikid, None))
}

/// The derivation key for a KSN (the "transaction key" of the test
/// vectors): from the initial key, one derivation per set bit of the
/// counter, most significant first, each over the counter's bits so far.
/// Does not check the counter (`check_counter` does).
pub fn derivation_key(bdk: &AesBdk, ksn: &[u8; 12]) -> AesKey {
    let size = bdk.size();
    let ikid = initial_key_id(ksn);
    let ctr = counter(ksn);
    let mut key = initial_key(bdk, &ikid);
    let mut so_far = 0u32;
    for bit in (0..32).rev() {
        let mask = 1u32 << bit;
        if ctr & mask != 0 {
            so_far |= mask;
            key = derive(&key, size, derivation_data(USAGE_KEY_DERIVATION, size, &ikid, Some(so_far)));
        }
    }
    key
}

/// The data-encryption working key for a KSN, of `size` (the standard allows
/// a working key no longer than the BDK). Does not check the counter.
pub fn working_key(bdk: &AesBdk, ksn: &[u8; 12], usage: DataKeyUsage, size: KeySize) -> AesKey {
    let ikid = initial_key_id(ksn);
    derive(&derivation_key(bdk, ksn), size, derivation_data(usage.code(), size, &ikid, Some(counter(ksn))))
}

/// The key that encrypts a payload: the data working key, as long as the
/// BDK, after the counter and the data length are checked.
fn data_key(bdk: &AesBdk, ksn: &[u8; 12], usage: DataKeyUsage, data: &[u8]) -> Result<AesKey, AesDukptError> {
    check_counter(counter(ksn))?;
    if data.is_empty() || data.len() % 16 != 0 {
        return Err(AesDukptError::BadLength);
    }
    Ok(working_key(bdk, ksn, usage, bdk.size()))
}

/// AES-CBC encryption (IV zero when none) under the data key.
/// `plaintext` must be a whole number of 16-byte blocks.
pub fn encrypt(
    bdk: &AesBdk,
    ksn: &[u8; 12],
    usage: DataKeyUsage,
    iv: Option<&[u8; 16]>,
    plaintext: &[u8],
) -> Result<Vec<u8>, AesDukptError> {
    let key = data_key(bdk, ksn, usage, plaintext)?;
    let iv = iv.copied().unwrap_or([0u8; 16]);
    let mut buf = plaintext.to_vec();
    let len = buf.len();
    let done = if key.len() == 32 {
        cbc::Encryptor::<Aes256>::new(key[..].into(), (&iv).into())
            .encrypt_padded_mut::<NoPadding>(&mut buf, len)
            .is_ok()
    } else {
        cbc::Encryptor::<Aes128>::new(key[..].into(), (&iv).into())
            .encrypt_padded_mut::<NoPadding>(&mut buf, len)
            .is_ok()
    };
    done.then_some(buf).ok_or(AesDukptError::BadLength)
}

/// AES-CBC decryption (IV zero when none) under the data key.
/// The result is wiped on drop: it holds card data.
pub fn decrypt(
    bdk: &AesBdk,
    ksn: &[u8; 12],
    usage: DataKeyUsage,
    iv: Option<&[u8; 16]>,
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, AesDukptError> {
    let key = data_key(bdk, ksn, usage, ciphertext)?;
    let iv = iv.copied().unwrap_or([0u8; 16]);
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    let done = if key.len() == 32 {
        cbc::Decryptor::<Aes256>::new(key[..].into(), (&iv).into()).decrypt_padded_mut::<NoPadding>(&mut buf).is_ok()
    } else {
        cbc::Decryptor::<Aes128>::new(key[..].into(), (&iv).into()).decrypt_padded_mut::<NoPadding>(&mut buf).is_ok()
    };
    done.then_some(buf).ok_or(AesDukptError::BadLength)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivation_data_layout() {
        // X9.24-3-2017 Annex B: the initial key's derivation data.
        let ikid = [0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56];
        let dd = derivation_data(USAGE_INITIAL_KEY, KeySize::Aes128, &ikid, None);
        assert_eq!(hex::encode_upper(dd), "01018001000200801234567890123456");
        let dd = derivation_data(DataKeyUsage::Encrypt.code(), KeySize::Aes256, &ikid, Some(1));
        assert_eq!(hex::encode_upper(dd), "01013000000401009012345600000001");
    }

    #[test]
    fn counter_and_ikid() {
        let ksn = parse_ksn("1234567890123456FFFE2000").unwrap();
        assert_eq!(counter(&ksn), 0xFFFE_2000);
        assert_eq!(hex::encode_upper(initial_key_id(&ksn)), "1234567890123456");
        assert!(check_counter(0xFFFF_0000).is_ok());
        assert_eq!(check_counter(0), Err(AesDukptError::BadCounter));
        assert_eq!(check_counter(0x0001_FFFF), Err(AesDukptError::BadCounter));
    }

    #[test]
    fn bdk_lengths() {
        assert_eq!(AesBdk::parse(&"00".repeat(16)).unwrap().size(), KeySize::Aes128);
        assert_eq!(AesBdk::parse(&"00".repeat(32)).unwrap().size(), KeySize::Aes256);
        for n in [0, 8, 15, 24, 33] {
            assert_eq!(AesBdk::parse(&"00".repeat(n)), Err(AesDukptError::BadKey), "{n} bytes");
        }
        assert!(!format!("{:?}", AesBdk::default()).contains("FEDC"));
    }
}
