//! The simulator's P2PE decryption, as `handlers::decrypt_p2pe` does it:
//! KSN / IV / payload hex parsing, TDES-DUKPT (20-hex KSN) or AES-DUKPT
//! (24-hex KSN) key derivation and CBC decryption, then the plaintext parser
//! (PAN, track 2, track 1); plus the test terminals' encryption of an
//! arbitrary PAN.
//!
//! Invariants: never panics; decryption fails exactly on an empty or
//! partial-block ciphertext (and, for AES, on a counter that is zero or has
//! more than 16 bits set); decrypting then encrypting gives the ciphertext
//! back; a parsed card is 12-19 Luhn-valid digits with an MMYY expiry; what
//! the terminal encrypts decrypts to the same PAN.
#![no_main]

use gw_sim::aes_dukpt::{self, AesBdk, AesDukptError, DataKeyUsage};
use gw_sim::cards;
use gw_sim::dukpt::{self, DukptError, Variant};
use gw_sim::terminal::{self, AesTerminalOptions, Plaintext, TerminalOptions};
use libfuzzer_sys::fuzz_target;

/// The input is a form body, as the simulator receives it: the fields are
/// named by their last dotted part, so a real TOKENIZE body is an input.
/// `keySerialNumber`, `initializationVector` and `payload` are hex as sent;
/// `variant` (`pin` or `data`) and `bdk` (32 hex) set the TDES key, `usage`
/// (`encrypt` or `both`) and `aesBdk` (32 or 64 hex) the AES one; `pan`,
/// `layout` (`pan`, `track2`, `track1`) and `expiry` (MMYY) drive the test
/// terminal.
fn field<'a>(fields: &'a [(String, String)], key: &str) -> Option<&'a str> {
    fields.iter().find(|(n, _)| n.rsplit('.').next() == Some(key)).map(|(_, v)| v.as_str())
}

fuzz_target!(|data: &[u8]| {
    let Ok(fields) = gw::nvp::decode(data, gw::nvp::Charset::Latin1) else { return };
    let variant = if field(&fields, "variant") == Some("pin") { Variant::Pin } else { Variant::Data };
    let bdk: [u8; 16] = match field(&fields, "bdk").map(dukpt::parse_key) {
        Some(Ok(k)) => *k,
        Some(Err(e)) => {
            assert_eq!(e, DukptError::BadKey);
            return;
        }
        None => dukpt::ANSI_TEST_BDK,
    };
    let ksn_hex = field(&fields, "keySerialNumber").unwrap_or(terminal::DEFAULT_KSN).to_owned();
    let iv_hex = field(&fields, "initializationVector");
    let payload_hex = field(&fields, "payload").unwrap_or("");
    let pan = field(&fields, "pan").or(field(&fields, "number")).unwrap_or("");
    let layout = match field(&fields, "layout").unwrap_or("") {
        "track2" => Plaintext::Track2,
        "track1" => Plaintext::Track1,
        _ => Plaintext::Pan,
    };
    let expiry = field(&fields, "expiry").map(str::to_owned);
    if ksn_hex.len() == 24 {
        aes_case(&fields, &ksn_hex, iv_hex, payload_hex, pan, layout, expiry);
        return;
    }

    let Ok(ksn) = dukpt::parse_ksn(&ksn_hex) else { return };
    assert_eq!(dukpt::counter(&ksn) >> 21, 0);
    let iv = match iv_hex.map(dukpt::parse_iv).transpose() {
        Ok(iv) => iv,
        Err(e) => {
            assert_eq!(e, DukptError::BadIv);
            let _ = e.to_string();
            return;
        }
    };

    // The terminal, with this KSN / IV / variant / BDK.
    let opts = TerminalOptions { bdk, ksn: ksn_hex.clone(), iv, variant, plaintext: layout, expiry };
    if let Ok(p2pe) = terminal::encrypt(&pan, &opts) {
        let _ = p2pe.fields();
        match terminal::decrypt(&p2pe, &bdk, variant) {
            Ok(card) => assert_eq!(&*card.pan, pan),
            // A PAN that fails Luhn is encrypted but not accepted back.
            Err(_) => assert!(!cards::luhn_valid(pan)),
        }
    }

    let Ok(ciphertext) = hex::decode(payload_hex) else { return };
    match dukpt::decrypt(&bdk, &ksn, variant, iv.as_ref(), &ciphertext) {
        Ok(plain) => {
            assert!(!ciphertext.is_empty() && ciphertext.len() % 8 == 0);
            assert_eq!(plain.len(), ciphertext.len());
            let again = dukpt::encrypt(&bdk, &ksn, variant, iv.as_ref(), &plain).expect("re-encrypt");
            assert_eq!(again, ciphertext, "decrypt then encrypt is not the identity");
            check_card(&plain, &fields);
        }
        Err(e) => {
            assert!(ciphertext.is_empty() || ciphertext.len() % 8 != 0, "{e:?} for {} bytes", ciphertext.len());
        }
    }

    // The parser alone on the raw payload bytes (any layout, any padding).
    if let Ok(card) = cards::parse_plaintext(&ciphertext) {
        assert!(cards::luhn_valid(&card.pan));
        let _ = cards::mask_6_4(&card.pan);
    }
});

/// The AES DUKPT path: the terminal, then the host's decryption.
fn aes_case(
    fields: &[(String, String)],
    ksn_hex: &str,
    iv_hex: Option<&str>,
    payload_hex: &str,
    pan: &str,
    plaintext: Plaintext,
    expiry: Option<String>,
) {
    let usage = if field(fields, "usage") == Some("both") { DataKeyUsage::BothWays } else { DataKeyUsage::Encrypt };
    let bdk = match field(fields, "aesBdk").map(AesBdk::parse) {
        Some(Ok(k)) => k,
        Some(Err(e)) => {
            assert_eq!(e, AesDukptError::BadKey);
            return;
        }
        None => AesBdk::default(),
    };
    let Ok(ksn) = aes_dukpt::parse_ksn(ksn_hex) else { return };
    let counter_ok = aes_dukpt::check_counter(aes_dukpt::counter(&ksn)).is_ok();
    let iv = match iv_hex.map(aes_dukpt::parse_iv).transpose() {
        Ok(iv) => iv,
        Err(e) => {
            assert_eq!(e, AesDukptError::BadIv);
            return;
        }
    };
    let opts = AesTerminalOptions { bdk: bdk.clone(), ksn: ksn_hex.to_owned(), iv, usage, plaintext, expiry };
    let tdes_bdk = dukpt::ANSI_TEST_BDK;
    let keys = gw_sim::p2pe::HostKeys { tdes_bdk: &tdes_bdk, variant: Variant::Data, aes_bdk: &bdk, aes_usage: usage };
    match terminal::encrypt_aes(pan, &opts) {
        Ok(p2pe) => {
            assert!(counter_ok);
            assert_eq!(p2pe.payload.len() % 32, 0);
            match terminal::decrypt_with(&p2pe, &keys) {
                Ok(card) => assert_eq!(&*card.pan, pan),
                Err(_) => assert!(!cards::luhn_valid(pan)),
            }
        }
        Err(terminal::TerminalError::AesDukpt(AesDukptError::BadCounter)) => assert!(!counter_ok),
        Err(_) => {}
    }

    let Ok(ciphertext) = hex::decode(payload_hex) else { return };
    match aes_dukpt::decrypt(&bdk, &ksn, usage, iv.as_ref(), &ciphertext) {
        Ok(plain) => {
            assert!(counter_ok && !ciphertext.is_empty() && ciphertext.len() % 16 == 0);
            assert_eq!(plain.len(), ciphertext.len());
            let again = aes_dukpt::encrypt(&bdk, &ksn, usage, iv.as_ref(), &plain).expect("re-encrypt");
            assert_eq!(again, ciphertext, "decrypt then encrypt is not the identity");
            check_card(&plain, fields);
        }
        Err(e) => {
            let partial = ciphertext.is_empty() || ciphertext.len() % 16 != 0;
            assert!(!counter_ok || partial, "{e:?} for {} bytes", ciphertext.len());
        }
    }
}

/// A decrypted plaintext either parses to a well-formed card or is refused.
fn check_card(plain: &[u8], fields: &[(String, String)]) {
    match cards::parse_plaintext(plain) {
        Ok(card) => {
            assert!((12..=19).contains(&card.pan.len()));
            assert!(cards::luhn_valid(&card.pan));
            if let Some(e) = &card.expiry {
                assert_eq!(e.len(), 4);
                assert!(matches!(e[..2].parse::<u32>(), Ok(1..=12)), "expiry {e:?}");
            }
            let _ = cards::card_info(&card.pan);
            let masked = cards::mask_6_4(&card.pan);
            assert_eq!(masked.len(), card.pan.len());
            let _ = format!("{card:?}");
            if let Some(bin) = field(fields, "cardBin") {
                let _ = card.pan.starts_with(bin);
            }
        }
        Err(e) => {
            let _ = e.explanation();
        }
    }
}
