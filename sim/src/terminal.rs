//! A test terminal: encrypts a PAN (or a track built from it) the way a P2PE
//! reader injected with a DUKPT key would, and returns the fields to send.

use crate::cards;
use crate::dukpt::{self, DukptError, Variant};
use zeroize::Zeroizing;

/// The KSN the test terminal uses unless told otherwise (ANSI test KSN, counter 1).
pub const DEFAULT_KSN: &str = "FFFF9876543210E00001";

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
    pub bdk: [u8; 16],
    pub ksn: String,
    pub iv: Option<[u8; 8]>,
    pub variant: Variant,
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

/// The P2PE fields a terminal hands to the POS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct P2pe {
    /// `sourceOfFunds.provided.card.p2pe.keySerialNumber` (20 hex).
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
    Dukpt(DukptError),
}

impl std::fmt::Display for TerminalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TerminalError::BadPan => f.write_str("the PAN must be 9 to 19 digits"),
            TerminalError::BadExpiry => f.write_str("the expiry must be MMYY"),
            TerminalError::Dukpt(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for TerminalError {}

impl From<DukptError> for TerminalError {
    fn from(e: DukptError) -> Self {
        TerminalError::Dukpt(e)
    }
}

/// Encrypts `pan` with the default options.
pub fn encrypt_pan(pan: &str) -> Result<P2pe, TerminalError> {
    encrypt(pan, &TerminalOptions::default())
}

/// Encrypts `pan` as the options say.
pub fn encrypt(pan: &str, opts: &TerminalOptions) -> Result<P2pe, TerminalError> {
    if !(9..=19).contains(&pan.len()) || !pan.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TerminalError::BadPan);
    }
    let yymm = match &opts.expiry {
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
    let mut plain = Zeroizing::new(match opts.plaintext {
        Plaintext::Pan if opts.expiry.is_some() => format!("{pan}={yymm}").into_bytes(),
        Plaintext::Pan => pan.as_bytes().to_vec(),
        Plaintext::Track2 => format!(";{pan}={yymm}101000000?").into_bytes(),
        Plaintext::Track1 => format!("%B{pan}^TEST/CARD^{yymm}101000000?").into_bytes(),
    });
    while plain.len() % 8 != 0 {
        plain.push(0);
    }
    let ksn = dukpt::parse_ksn(&opts.ksn)?;
    let ct = dukpt::encrypt(&opts.bdk, &ksn, opts.variant, opts.iv.as_ref(), &plain)?;
    Ok(P2pe {
        ksn: opts.ksn.to_ascii_uppercase(),
        payload: hex::encode_upper(ct),
        iv: opts.iv.map(hex::encode_upper),
        card_bin: pan[..6].to_string(),
    })
}

/// Decrypts and parses a payload as the simulator does (for tests and tools).
pub fn decrypt(p2pe: &P2pe, bdk: &[u8; 16], variant: Variant) -> Result<cards::CardData, String> {
    let ksn = dukpt::parse_ksn(&p2pe.ksn).map_err(|e| e.to_string())?;
    let iv = match &p2pe.iv {
        Some(iv) => Some(dukpt::parse_iv(iv).map_err(|e| e.to_string())?),
        None => None,
    };
    let ct = hex::decode(&p2pe.payload).map_err(|_| DukptError::BadLength.to_string())?;
    let plain = dukpt::decrypt(bdk, &ksn, variant, iv.as_ref(), &ct).map_err(|e| e.to_string())?;
    cards::parse_plaintext(&plain).map_err(|e| e.explanation().to_string())
}
