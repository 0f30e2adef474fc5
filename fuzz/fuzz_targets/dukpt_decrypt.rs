//! The simulator's P2PE decryption, as `handlers::decrypt_p2pe` does it:
//! KSN / IV / payload hex parsing, TDES-DUKPT key derivation and CBC
//! decryption, then the plaintext parser (PAN, track 2, track 1); plus the
//! test terminal's encryption of an arbitrary PAN.
//!
//! Invariants: never panics; decryption fails exactly on an empty or
//! partial-block ciphertext; decrypting then encrypting gives the ciphertext
//! back; a parsed card is 12-19 Luhn-valid digits with an MMYY expiry; what
//! the terminal encrypts decrypts to the same PAN.
#![no_main]

use gw_sim::cards;
use gw_sim::dukpt::{self, DukptError, Variant};
use gw_sim::terminal::{self, Plaintext, TerminalOptions};
use libfuzzer_sys::fuzz_target;

/// The input is a form body, as the simulator receives it: the fields are
/// named by their last dotted part, so a real TOKENIZE body is an input.
/// `keySerialNumber`, `initializationVector` and `payload` are hex as sent;
/// `variant` (`pin` or `data`) and `bdk` (32 hex) set the key; `pan`,
/// `layout` (`pan`, `track2`, `track1`) and `expiry` (MMYY) drive the test
/// terminal.
fn field<'a>(fields: &'a [(String, String)], key: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n.rsplit('.').next() == Some(key))
        .map(|(_, v)| v.as_str())
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
    let layout = field(&fields, "layout").unwrap_or("");
    let expiry = field(&fields, "expiry").map(str::to_owned);

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
    let opts = TerminalOptions {
        bdk,
        ksn: ksn_hex.clone(),
        iv,
        variant,
        plaintext: match layout {
            "track2" => Plaintext::Track2,
            "track1" => Plaintext::Track1,
            _ => Plaintext::Pan,
        },
        expiry,
    };
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
            match cards::parse_plaintext(&plain) {
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
                    if let Some(bin) = field(&fields, "cardBin") {
                        let _ = card.pan.starts_with(bin);
                    }
                }
                Err(e) => {
                    let _ = e.explanation();
                }
            }
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
