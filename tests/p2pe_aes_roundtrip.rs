//! AES DUKPT terminal → library → simulator at API version 84: cards
//! encrypted by gw-sim's AES terminal (AES-128 and AES-256 BDKs, with and
//! without IV, every plaintext layout) tokenize through the Rust API and
//! through `gw_tokenize_p2pe`; at version 50 the same fields are refused
//! locally, naming the field, and nothing reaches the simulator.

mod common;

use common::{config, last_error, last_error_field, sim_config, start, CConfig};
use gw::ffi::status::*;
use gw::{Client, Kind, P2peCard};
use gw_sim::aes_dukpt::{AesBdk, KeySize};
use gw_sim::terminal::{self, AesTerminalOptions, Plaintext};
use gw_sim::Sim;

/// The first API version that takes AES DUKPT fields.
const AES_VERSION: u32 = 84;
const IV: [u8; 16] = [0x3C, 0x11, 0x7E, 0x42, 0x09, 0xD5, 0x60, 0xAB, 0x18, 0xF2, 0x33, 0x4D, 0x95, 0x0E, 0xC7, 0x21];

fn sim(size: KeySize) -> Sim {
    start(sim_config().aes_bdk(AesBdk::ansi_test(size)))
}

fn client(sim: &Sim, version: u32) -> Client {
    let mut config = config(&sim.base_url());
    config.set_api_version(version).unwrap();
    Client::new(&config).unwrap()
}

fn encrypt(pan: &str, size: KeySize, iv: Option<[u8; 16]>, plaintext: Plaintext) -> terminal::P2pe {
    let options = AesTerminalOptions { bdk: AesBdk::ansi_test(size), iv, plaintext, ..AesTerminalOptions::default() };
    terminal::encrypt_aes(pan, &options).unwrap()
}

fn card(p: &terminal::P2pe) -> P2peCard<'_> {
    P2peCard {
        key_serial_number: &p.ksn,
        payload: &p.payload,
        initialization_vector: p.iv.as_deref(),
        card_bin: Some(&p.card_bin),
    }
}

#[test]
fn aes_128_and_256_cards_through_the_rust_api() {
    let cards = [("4761739001010010", "VISA", "476173xxxxxx0010"), ("374245455400126", "AMEX", "374245xxxxx0126")];
    let mut round_trips = 0;
    for size in [KeySize::Aes128, KeySize::Aes256] {
        let sim = sim(size);
        let client = client(&sim, AES_VERSION);
        for (pan, brand, masked) in cards {
            for plaintext in [Plaintext::Pan, Plaintext::Track2, Plaintext::Track1] {
                for iv in [None, Some(IV)] {
                    let encrypted = encrypt(pan, size, iv, plaintext);
                    assert_eq!(encrypted.ksn.len(), 24);
                    assert_eq!(encrypted.iv.as_ref().map(String::len).unwrap_or(32), 32);
                    let case = format!("{size:?} {brand} {plaintext:?} iv={}", iv.is_some());
                    let response =
                        client.tokenize_p2pe(None, &card(&encrypted)).unwrap_or_else(|e| panic!("{case}: {e}"));
                    assert_eq!(response.get("sourceOfFunds.provided.card.brand"), Some(brand), "{case}");
                    assert_eq!(response.get("sourceOfFunds.provided.card.number"), Some(masked), "{case}");
                    round_trips += 1;
                }
            }
        }
        // A TDES terminal keeps working on the same simulator and version.
        let tdes = terminal::encrypt_pan("5413330089099130").unwrap();
        let tdes_card = P2peCard { key_serial_number: &tdes.ksn, payload: &tdes.payload, ..P2peCard::default() };
        client.tokenize_p2pe(None, &tdes_card).unwrap();
    }
    assert_eq!(round_trips, 2 * 2 * 3 * 2);
}

#[test]
fn a_card_of_the_other_key_size_is_refused_by_the_gateway() {
    let sim = sim(KeySize::Aes128);
    let encrypted = encrypt("4761739001010010", KeySize::Aes256, None, Plaintext::Pan);
    let err = client(&sim, AES_VERSION).tokenize_p2pe(None, &card(&encrypted)).unwrap_err();
    assert_eq!(err.kind(), Kind::Gateway, "{err}");
    assert_eq!(err.field(), Some("sourceOfFunds.provided.card.p2pe.payload"));
    assert!(!err.message().contains(&encrypted.payload));
}

#[test]
fn version_50_refuses_aes_fields_locally() {
    let sim = sim(KeySize::Aes128);
    let before = sim.token_count();
    let client = client(&sim, 50);
    let encrypted = encrypt("4761739001010010", KeySize::Aes128, None, Plaintext::Pan);
    let err = client.tokenize_p2pe(None, &card(&encrypted)).unwrap_err();
    assert_eq!(err.kind(), Kind::InvalidField, "{err}");
    assert_eq!(err.field(), Some("sourceOfFunds.provided.card.p2pe.keySerialNumber"));
    assert!(err.message().contains("84"), "the message names the version that accepts it: {err}");
    // A TDES KSN with an AES-length IV: the IV is named.
    let tdes = terminal::encrypt_pan("4761739001010010").unwrap();
    let iv = "00".repeat(16);
    let mixed = P2peCard {
        key_serial_number: &tdes.ksn,
        payload: &tdes.payload,
        initialization_vector: Some(&iv),
        card_bin: None,
    };
    let err = client.tokenize_p2pe(None, &mixed).unwrap_err();
    assert_eq!(err.kind(), Kind::InvalidField, "{err}");
    assert_eq!(err.field(), Some("sourceOfFunds.provided.card.p2pe.initializationVector"));
    assert_eq!(sim.token_count(), before, "nothing reached the simulator");
}

/// `gw_tokenize_p2pe` with a client configured for `version`: the status,
/// and the masked number of the answer (or the field of the error).
fn tokenize_through_the_c_abi(sim: &Sim, version: u32, p: &terminal::P2pe) -> (gw_status, Option<String>) {
    let client = CConfig::for_url(&sim.base_url()).api_version(version).client();
    let (status, response) = client.tokenize_p2pe(None, &p.ksn, &p.payload, p.iv.as_deref(), Some(&p.card_bin));
    let detail = if status == GW_OK { response.get("sourceOfFunds.provided.card.number") } else { last_error_field() };
    (status, detail)
}

#[test]
fn aes_128_and_256_cards_through_the_c_abi() {
    for size in [KeySize::Aes128, KeySize::Aes256] {
        let sim = sim(size);
        for iv in [None, Some(IV)] {
            let encrypted = encrypt("5413330089099130", size, iv, Plaintext::Track2);
            let (status, number) = tokenize_through_the_c_abi(&sim, AES_VERSION, &encrypted);
            assert_eq!(status, GW_OK, "{size:?} iv={}: {}", iv.is_some(), last_error());
            assert_eq!(number.as_deref(), Some("541333xxxxxx9130"));
            let (status, field) = tokenize_through_the_c_abi(&sim, 50, &encrypted);
            assert_eq!(status, GW_ERR_INVALID_FIELD, "{size:?}");
            assert_eq!(field.as_deref(), Some("sourceOfFunds.provided.card.p2pe.keySerialNumber"));
        }
    }
}
