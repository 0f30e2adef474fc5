//! Terminal → library → simulator: a card encrypted as a P2PE terminal would
//! (every plaintext layout, with and without IV, data and PIN variants) goes
//! through `gw_tokenize_p2pe` and comes back as a token with the card's real
//! brand and its 6.4-masked number.

mod common;

use gw::{Client, Kind, P2peCard};
use gw_sim::dukpt::Variant;
use gw_sim::terminal::{self, Plaintext, TerminalOptions};
use gw_sim::{Sim, TokenStrategy};

use common::{config, p2pe, sim, sim_config, start, terminal_card, PAN};

fn client(sim: &Sim) -> Client {
    Client::new(&config(&sim.base_url())).unwrap()
}

fn masked(pan: &str) -> String {
    format!("{}{}{}", &pan[..6], "x".repeat(pan.len() - 10), &pan[pan.len() - 4..])
}

#[test]
fn every_plaintext_iv_and_variant_through_the_library() {
    let sims = [(Variant::Data, sim()), (Variant::Pin, start(sim_config().variant(Variant::Pin)))];
    let cards = [(PAN, "VISA"), ("5413330089099130", "MASTERCARD"), ("374245455400126", "AMEX")];
    let mut round_trips = 0;
    for (variant, sim) in &sims {
        let client = client(sim);
        for (pan, brand) in cards {
            for plaintext in [Plaintext::Pan, Plaintext::Track2, Plaintext::Track1] {
                for iv in [None, Some([0x1Fu8, 0x2E, 0x3D, 0x4C, 0x5B, 0x6A, 0x79, 0x88])] {
                    let options = TerminalOptions { plaintext, iv, variant: *variant, ..TerminalOptions::default() };
                    let encrypted = terminal::encrypt(pan, &options).unwrap();
                    let card = P2peCard {
                        key_serial_number: &encrypted.ksn,
                        payload: &encrypted.payload,
                        initialization_vector: encrypted.iv.as_deref(),
                        card_bin: Some(&encrypted.card_bin),
                    };
                    let case = format!("{brand} {plaintext:?} iv={} {variant:?}", iv.is_some());
                    let response = client.tokenize_p2pe(None, &card).unwrap_or_else(|e| panic!("{case}: {e}"));
                    assert_eq!(response.get("sourceOfFunds.provided.card.brand"), Some(brand), "{case}");
                    assert_eq!(
                        response.get("sourceOfFunds.provided.card.number"),
                        Some(masked(pan).as_str()),
                        "{case}"
                    );
                    let token = response.get("token").unwrap();
                    assert!(token.len() == 16 && token.starts_with('9'), "{case}: {token}");
                    round_trips += 1;
                }
            }
        }
    }
    assert_eq!(round_trips, 2 * 3 * 3 * 2);
}

#[test]
fn a_terminal_injected_with_another_key_is_refused() {
    let sim = sim();
    let other_bdk = TerminalOptions { bdk: [0x11; 16], ..TerminalOptions::default() };
    let encrypted = terminal::encrypt(PAN, &other_bdk).unwrap();
    let err = client(&sim).tokenize_p2pe(None, &p2pe(&encrypted)).unwrap_err();
    assert_eq!(err.kind(), Kind::Gateway, "{err}");
    assert_eq!(err.field(), Some("sourceOfFunds.provided.card.p2pe.payload"));
    assert_eq!(err.response().and_then(|r| r.get("error.validationType")), Some("INVALID"));
    assert!(!err.message().contains(&encrypted.payload));
}

#[test]
fn preserve_6_4_tokens_keep_the_cards_ends() {
    let sim = start(sim_config().token_strategy(TokenStrategy::Preserve64));
    let encrypted = terminal::encrypt_pan("5413330089099130").unwrap();
    let response = client(&sim).tokenize_p2pe(None, &p2pe(&encrypted)).unwrap();
    let token = response.get("token").unwrap();
    assert!(token.starts_with("541333") && token.ends_with("9130") && token.len() == 16, "{token}");
}

#[test]
fn a_declined_encryption_state_is_declined_with_the_response() {
    let sim = sim();
    let mut request = gw::Request::tokenize_p2pe(None, &p2pe(&terminal_card())).unwrap();
    request.set("sourceOfFunds.provided.card.p2pe.encryptionState", "INVALID").unwrap();
    let err = client(&sim).execute(&request).unwrap_err();
    assert_eq!(err.kind(), Kind::Declined, "{err}");
    assert_eq!(err.response().and_then(|r| r.result()), Some("FAILURE"));
    assert!(err.response().and_then(|r| r.get("response.gatewayCode")).is_some());
}
