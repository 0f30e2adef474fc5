//! TOKENIZE of AES DUKPT payloads (API version 84 and later): AES-128 and
//! AES-256 terminals, with and without IV, both data-key usages, TDES
//! terminals beside them; and the gateway's refusals: a terminal under
//! another BDK, counters no terminal sends, a payload not a whole number of
//! AES blocks, a cardBin that is not the card's, an IV of the other scheme.

mod common;
use common::*;
use gw_sim::aes_dukpt::{AesBdk, DataKeyUsage, KeySize};
use gw_sim::terminal::{self, AesTerminalOptions, Plaintext};

/// The first API version whose rules take AES DUKPT lengths.
const V: u32 = 84;
const P: &str = "sourceOfFunds.provided.card.p2pe.";
const IV: [u8; 16] = [0xA0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0xFF];

fn aes(pan: &str, f: impl FnOnce(&mut AesTerminalOptions)) -> terminal::P2pe {
    let mut o = AesTerminalOptions::default();
    f(&mut o);
    terminal::encrypt_aes(pan, &o).unwrap()
}

fn tokenize_at(sim: &gw_sim::Sim, fields: &[(String, String)]) -> HttpResponse {
    Client::connect(sim.addr()).post_version(V, fields)
}

#[test]
fn aes_128_and_256_terminals_tokenize_with_and_without_iv() {
    for size in [KeySize::Aes128, KeySize::Aes256] {
        for usage in [DataKeyUsage::Encrypt, DataKeyUsage::BothWays] {
            let sim = start(config().aes_bdk(AesBdk::ansi_test(size)).aes_usage(usage));
            for iv in [None, Some(IV)] {
                for plaintext in [Plaintext::Pan, Plaintext::Track2, Plaintext::Track1] {
                    let p = aes("5413330089099130", |o| {
                        o.bdk = AesBdk::ansi_test(size);
                        o.usage = usage;
                        o.iv = iv;
                        o.plaintext = plaintext;
                    });
                    let case = format!("{size:?} {usage:?} iv={} {plaintext:?}", iv.is_some());
                    let f = ok(&tokenize_at(&sim, &tokenize(&p)));
                    assert_eq!(f["sourceOfFunds.provided.card.brand"], "MASTERCARD", "{case}");
                    assert_eq!(f["sourceOfFunds.provided.card.number"], "541333xxxxxx9130", "{case}");
                }
            }
            // A TDES terminal keeps working on the same simulator.
            ok(&tokenize_at(&sim, &tokenize(&terminal::encrypt_pan(VISA).unwrap())));
        }
    }
}

#[test]
fn a_terminal_under_another_bdk_or_usage_is_refused() {
    let sim = start(config());
    let p = aes(VISA, |o| o.bdk = AesBdk::new(&[0x5A; 16]).unwrap());
    assert_field_error(&tokenize_at(&sim, &tokenize(&p)), 400, &format!("{P}payload"), "INVALID");
    let p = aes(VISA, |o| o.bdk = AesBdk::ansi_test(KeySize::Aes256));
    assert_field_error(&tokenize_at(&sim, &tokenize(&p)), 400, &format!("{P}payload"), "INVALID");
    let p = aes(VISA, |o| o.usage = DataKeyUsage::BothWays);
    assert_field_error(&tokenize_at(&sim, &tokenize(&p)), 400, &format!("{P}payload"), "INVALID");
    ok(&tokenize_at(&sim, &tokenize(&aes(VISA, |_| {}))));
}

#[test]
fn counters_no_terminal_sends_are_refused() {
    let sim = start(config());
    let p = aes(VISA, |_| {});
    for counter in ["00000000", "0001FFFF", "FFFFFFFF"] {
        let f = with(tokenize(&p), &[(&format!("{P}keySerialNumber"), &format!("1234567890123456{counter}"))]);
        let r = tokenize_at(&sim, &f);
        assert_field_error(&r, 400, &format!("{P}keySerialNumber"), "INVALID");
        assert!(r.fields()["error.explanation"].contains("16 bits"), "{:?}", r.fields());
    }
    // 16 bits set is the most a terminal uses.
    let p = aes(VISA, |o| o.ksn = "1234567890123456FFFF0000".into());
    ok(&tokenize_at(&sim, &tokenize(&p)));
}

#[test]
fn a_payload_of_partial_aes_blocks_is_refused() {
    let sim = start(config());
    let p = aes(VISA, |_| {});
    // 24 bytes: whole TDES blocks, not whole AES blocks.
    let f = with(tokenize(&p), &[(&format!("{P}payload"), &format!("{}{}", p.payload, &p.payload[..16]))]);
    let r = tokenize_at(&sim, &f);
    assert_field_error(&r, 400, &format!("{P}payload"), "INVALID");
    assert!(!r.fields()["error.explanation"].contains(&p.payload));
}

#[test]
fn a_card_bin_that_is_not_the_cards_is_refused() {
    let sim = start(config());
    let p = aes("4761739001010010", |_| {});
    let f = with(tokenize(&p), &[(&format!("{P}cardBin"), "411111")]);
    assert_field_error(&tokenize_at(&sim, &f), 400, &format!("{P}cardBin"), "INVALID");
    let f = with(tokenize(&p), &[(&format!("{P}cardBin"), "476173")]);
    ok(&tokenize_at(&sim, &f));
}

#[test]
fn an_iv_of_the_other_scheme_is_refused() {
    let sim = start(config());
    let p = aes(VISA, |_| {});
    let f = with(tokenize(&p), &[(&format!("{P}initializationVector"), "0001020304050607")]);
    assert_field_error(&tokenize_at(&sim, &f), 400, &format!("{P}initializationVector"), "INVALID");
    let tdes = terminal::encrypt_pan(VISA).unwrap();
    let f = with(tokenize(&tdes), &[(&format!("{P}initializationVector"), &"00".repeat(16))]);
    assert_field_error(&tokenize_at(&sim, &f), 400, &format!("{P}initializationVector"), "INVALID");
}

#[test]
fn version_50_refuses_aes_lengths() {
    let sim = start(config());
    let p = aes(VISA, |o| o.iv = Some(IV));
    let r = post(&sim, &tokenize(&p));
    assert_field_error(&r, 400, &format!("{P}keySerialNumber"), "INVALID");
    ok(&tokenize_at(&sim, &tokenize(&p)));
}
