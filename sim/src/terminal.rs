//! A test terminal: encrypts a PAN (or a track built from it) the way a P2PE
//! reader injected with a DUKPT key would (TDES DUKPT with `encrypt`, AES
//! DUKPT with `encrypt_aes`), and returns the fields to send.

use crate::aes_dukpt::{self, AesBdk, AesDukptError, DataKeyUsage};
use crate::cards;
use crate::dukpt::{self, DukptError, Variant};
use crate::p2pe::{self, HostKeys};
use zeroize::Zeroizing;

/// The KSN the test terminal uses unless told otherwise (ANSI test KSN, counter 1).
pub const DEFAULT_KSN: &str = "FFFF9876543210E00001";

/// The KSN the AES test terminal uses unless told otherwise (the ANSI
/// X9.24-3 test initial key ID, counter 1).
pub const DEFAULT_AES_KSN: &str = aes_dukpt::ANSI_TEST_KSN;

/// Which plaintext layout the terminal encrypts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Plaintext {
    /// The PAN as ASCII digits, NUL-padded to a multiple of 8 bytes.
    #[default]
    Pan,
    /// Track 2: `;PAN=YYMM101000000?`.
    Track2,
    /// Track 1: `%BPAN^TEST/CARD^YYMM101000000?`.
    Track1,
}

/// The expiry (MMYY) the terminal writes when told none.
pub const DEFAULT_EXPIRY: &str = "1249";

/// Options of the test terminal; `Default` is the ANSI test BDK, the
/// default KSN, no IV, the data variant and a PAN with the expiry `1249`
/// (`PAN=4912`, the bare track-2 equivalent).
#[derive(Clone, Debug)]
pub struct TerminalOptions {
    /// The double-length TDES BDK the terminal's IPEK comes from.
    pub bdk: [u8; 16],
    /// 20 hex digits.
    pub ksn: String,
    /// The CBC IV (zero when none).
    pub iv: Option<[u8; 8]>,
    /// The key variant the payload is encrypted under.
    pub variant: Variant,
    /// What the terminal encrypts.
    pub plaintext: Plaintext,
    /// `MMYY` (default `1249`), written into every layout; `None`: a bare
    /// PAN (tracks then carry `1249`). gw-sim's answer always carries the
    /// card expiry (tokenize.nvp-v50.txt:610), so a bare PAN needs the
    /// expiry in the request's own fields.
    pub expiry: Option<String>,
}

impl Default for TerminalOptions {
    fn default() -> Self {
        TerminalOptions {
            bdk: dukpt::ANSI_TEST_BDK,
            ksn: DEFAULT_KSN.to_string(),
            iv: None,
            variant: Variant::Data,
            plaintext: Plaintext::Pan,
            expiry: Some(DEFAULT_EXPIRY.to_string()),
        }
    }
}

/// Options of the AES DUKPT test terminal; `Default` is the AES-128 ANSI
/// test BDK, the default AES KSN, no IV, an encrypt-only data key and a bare PAN.
#[derive(Clone, Debug)]
pub struct AesTerminalOptions {
    /// The BDK the terminal's initial key comes from (AES-128 or AES-256;
    /// the data key has the same size).
    pub bdk: AesBdk,
    /// 24 hex digits: initial key ID and counter (`DEFAULT_AES_KSN` when empty).
    pub ksn: String,
    /// The CBC IV (zero when none).
    pub iv: Option<[u8; 16]>,
    /// The data key's usage.
    pub usage: DataKeyUsage,
    /// What the terminal encrypts.
    pub plaintext: Plaintext,
    /// `MMYY` (default `1249`), written into every layout; `None`: a bare
    /// PAN (as [`TerminalOptions::expiry`]).
    pub expiry: Option<String>,
}

impl Default for AesTerminalOptions {
    fn default() -> Self {
        AesTerminalOptions {
            bdk: AesBdk::default(),
            ksn: String::new(),
            iv: None,
            usage: DataKeyUsage::default(),
            plaintext: Plaintext::Pan,
            expiry: Some(DEFAULT_EXPIRY.to_string()),
        }
    }
}

/// The P2PE fields a terminal hands to the POS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct P2pe {
    /// `sourceOfFunds.provided.card.p2pe.keySerialNumber` (20 hex TDES, 24 AES).
    pub ksn: String,
    /// `sourceOfFunds.provided.card.p2pe.payload` (upper-case hex).
    pub payload: String,
    /// `sourceOfFunds.provided.card.p2pe.initializationVector`, when used.
    pub iv: Option<String>,
    /// `sourceOfFunds.provided.card.p2pe.cardBin`: the first 6 digits.
    pub card_bin: String,
}

impl P2pe {
    /// The NVP request fields for this payload.
    pub fn fields(&self) -> Vec<(String, String)> {
        let p = "sourceOfFunds.provided.card.p2pe.";
        let mut v = vec![
            (format!("{p}keySerialNumber"), self.ksn.clone()),
            (format!("{p}payload"), self.payload.clone()),
            (format!("{p}cardBin"), self.card_bin.clone()),
        ];
        if let Some(iv) = &self.iv {
            v.push((format!("{p}initializationVector"), iv.clone()));
        }
        v
    }
}

/// Why the terminal could not encrypt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TerminalError {
    /// The PAN is not 9–19 digits.
    BadPan,
    /// The expiry is not MMYY.
    BadExpiry,
    /// A TDES DUKPT option is wrong.
    Dukpt(DukptError),
    /// An AES DUKPT option is wrong.
    AesDukpt(AesDukptError),
}

impl std::fmt::Display for TerminalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TerminalError::BadPan => f.write_str("the PAN must be 9 to 19 digits"),
            TerminalError::BadExpiry => f.write_str("the expiry must be MMYY"),
            TerminalError::Dukpt(e) => e.fmt(f),
            TerminalError::AesDukpt(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for TerminalError {}

impl From<DukptError> for TerminalError {
    fn from(e: DukptError) -> Self {
        TerminalError::Dukpt(e)
    }
}

impl From<AesDukptError> for TerminalError {
    fn from(e: AesDukptError) -> Self {
        TerminalError::AesDukpt(e)
    }
}

/// Encrypts `pan` with the default options.
pub fn encrypt_pan(pan: &str) -> Result<P2pe, TerminalError> {
    encrypt(pan, &TerminalOptions::default())
}

/// Encrypts `pan` as the options say.
pub fn encrypt(pan: &str, opts: &TerminalOptions) -> Result<P2pe, TerminalError> {
    let plain = plaintext(pan, opts.plaintext, opts.expiry.as_deref(), 8)?;
    let ksn = dukpt::parse_ksn(&opts.ksn)?;
    let ct = dukpt::encrypt(&opts.bdk, &ksn, opts.variant, opts.iv.as_ref(), &plain)?;
    Ok(P2pe {
        ksn: opts.ksn.to_ascii_uppercase(),
        payload: hex::encode_upper(ct),
        iv: opts.iv.map(hex::encode_upper),
        card_bin: pan[..6].to_string(),
    })
}

/// Encrypts `pan` as an AES DUKPT terminal (ANSI X9.24-3) with these options would.
pub fn encrypt_aes(pan: &str, opts: &AesTerminalOptions) -> Result<P2pe, TerminalError> {
    let plain = plaintext(pan, opts.plaintext, opts.expiry.as_deref(), 16)?;
    let ksn_hex = if opts.ksn.is_empty() { DEFAULT_AES_KSN } else { opts.ksn.as_str() };
    let ksn = aes_dukpt::parse_ksn(ksn_hex)?;
    let ct = aes_dukpt::encrypt(&opts.bdk, &ksn, opts.usage, opts.iv.as_ref(), &plain)?;
    Ok(P2pe {
        ksn: ksn_hex.to_ascii_uppercase(),
        payload: hex::encode_upper(ct),
        iv: opts.iv.map(hex::encode_upper),
        card_bin: pan[..6].to_string(),
    })
}

/// The bytes a terminal encrypts: the PAN (with `=YYMM` when there is an
/// expiry) or a track built from it,
/// NUL-padded to whole `block`-byte blocks. Checks the PAN and the expiry.
fn plaintext(
    pan: &str,
    layout: Plaintext,
    expiry: Option<&str>,
    block: usize,
) -> Result<Zeroizing<Vec<u8>>, TerminalError> {
    if !(9..=19).contains(&pan.len()) || !pan.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TerminalError::BadPan);
    }
    let yymm = match expiry {
        Some(e) => {
            let ok =
                e.len() == 4 && e.bytes().all(|b| b.is_ascii_digit()) && matches!(e[..2].parse::<u32>(), Ok(1..=12));
            if !ok {
                return Err(TerminalError::BadExpiry);
            }
            format!("{}{}", &e[2..], &e[..2])
        }
        None => "4912".to_string(),
    };
    let mut plain = Zeroizing::new(match layout {
        Plaintext::Pan if expiry.is_some() => format!("{pan}={yymm}").into_bytes(),
        Plaintext::Pan => pan.as_bytes().to_vec(),
        Plaintext::Track2 => format!(";{pan}={yymm}101000000?").into_bytes(),
        Plaintext::Track1 => format!("%B{pan}^TEST/CARD^{yymm}101000000?").into_bytes(),
    });
    while plain.len() % block != 0 {
        plain.push(0);
    }
    Ok(plain)
}

/// Decrypts and parses a TDES payload as the simulator does (for tests and tools).
pub fn decrypt(p2pe: &P2pe, bdk: &[u8; 16], variant: Variant) -> Result<cards::CardData, String> {
    let aes_bdk = AesBdk::default();
    decrypt_with(p2pe, &HostKeys { tdes_bdk: bdk, variant, aes_bdk: &aes_bdk, aes_usage: DataKeyUsage::Encrypt })
}

/// Decrypts and parses a payload of either scheme as the simulator does.
pub fn decrypt_with(p2pe: &P2pe, keys: &HostKeys<'_>) -> Result<cards::CardData, String> {
    let plain = p2pe::decrypt(keys, &p2pe.ksn, p2pe.iv.as_deref(), &p2pe.payload).map_err(|e| e.message)?;
    cards::parse_plaintext(&plain).map_err(|e| e.explanation().to_string())
}
