//! `gw_request_tokenize_p2pe`: the validated P2PE request a till extends
//! (correlationId, encryptionState, ...) and sends with `gw_execute`,
//! through the C ABI against gw-sim.

mod common;

use std::ptr;

use common::{c, last_error, last_error_field, sim, terminal_card, CClient, CConfig, CRequest};
use gw::ffi::request::gw_request_tokenize_p2pe;
use gw::ffi::status::*;

fn client(base_url: &str) -> CClient {
    CConfig::for_url(base_url).client()
}

/// token, KSN, payload, IV, card BIN, and the field named in the error.
type P2peArgs<'a> = (Option<&'a str>, &'a str, &'a str, Option<&'a str>, Option<&'a str>, &'a str);

#[test]
fn the_p2pe_request_carries_a_correlation_id_and_more_fields() {
    let sim = sim();
    let client = client(&sim.base_url());
    let card = terminal_card();
    let (status, request) =
        CRequest::tokenize_p2pe(None, &card.ksn, &card.payload, card.iv.as_deref(), Some(&card.card_bin));
    assert_eq!(status, GW_OK, "{}", last_error());
    assert_eq!(request.set("correlationId", "till-7/sale-42"), GW_OK);
    assert_eq!(request.set("sourceOfFunds.provided.card.p2pe.encryptionState", "VALID"), GW_OK);
    let (status, response) = client.execute(&request);
    assert_eq!(status, GW_OK, "{}", last_error());
    assert_eq!(response.get("correlationId").as_deref(), Some("till-7/sale-42"), "the gateway echoes it");
    assert!(response.get("token").is_some_and(|t| t.len() == 16));
    assert_eq!(response.get("sourceOfFunds.provided.card.number").as_deref(), Some("476173xxxxxx0010"));

    // An added field is validated like any other, and the request stays usable.
    assert_eq!(request.set("sourceOfFunds.provided.card.p2pe.encryptionState", "BROKEN"), GW_ERR_INVALID_FIELD);
    assert_eq!(last_error_field().as_deref(), Some("sourceOfFunds.provided.card.p2pe.encryptionState"));
    assert_eq!(request.set("sourceOfFunds.provided.card.p2pe.encryptionState", "INVALID"), GW_OK);
    let (status, response) = client.execute(&request);
    assert_eq!(status, GW_DECLINED, "{}", last_error());
    assert_eq!(response.get("result").as_deref(), Some("FAILURE"));
    assert_eq!(response.get("correlationId").as_deref(), Some("till-7/sale-42"));
}

#[test]
fn a_merchant_supplied_token_and_no_optional_fields() {
    // Only a MERCHANT_SUPPLIED repository creates a token the request names.
    let sim = common::start(common::sim_config().token_strategy(gw_sim::TokenStrategy::MerchantSupplied));
    let client = client(&sim.base_url());
    let card = terminal_card();
    let (status, request) =
        CRequest::tokenize_p2pe(Some("9123456789012346"), &card.ksn, &card.payload, card.iv.as_deref(), None);
    assert_eq!(status, GW_OK, "{}", last_error());
    let (status, response) = client.execute(&request);
    assert_eq!(status, GW_OK, "{}", last_error());
    assert_eq!(response.get("token").as_deref(), Some("9123456789012346"));
}

#[test]
fn the_builder_validates_every_argument_as_gw_tokenize_p2pe_does() {
    let card = terminal_card();
    let p2pe = "sourceOfFunds.provided.card.p2pe";
    let cases: [P2peArgs<'_>; 5] = [
        (None, &card.ksn[..19], &card.payload, None, None, "keySerialNumber"),
        (None, &card.ksn, "ZZ", None, None, "payload"),
        (None, &card.ksn, &card.payload, Some("0102"), None, "initializationVector"),
        (None, &card.ksn, &card.payload, None, Some("4X"), "cardBin"),
        (Some("not-alnum!"), &card.ksn, &card.payload, None, None, "token"),
    ];
    for (token, ksn, payload, iv, bin, field) in cases {
        let (status, request) = CRequest::tokenize_p2pe(token, ksn, payload, iv, bin);
        assert_eq!(status, GW_ERR_INVALID_FIELD, "{field}");
        assert!(request.0.is_null(), "{field}: *out is NULL on failure");
        let want = if field == "token" { field.to_string() } else { format!("{p2pe}.{field}") };
        assert_eq!(last_error_field().as_deref(), Some(want.as_str()));
        assert!(!last_error().contains(&card.payload), "the payload never appears in a message");
    }
    let mut request = ptr::null_mut();
    let (ksn, payload) = (c(&card.ksn), c(&card.payload));
    let null = ptr::null();
    // SAFETY: NULL where the API says it is refused, valid strings otherwise.
    let status = unsafe { gw_request_tokenize_p2pe(null, null, payload.as_ptr(), null, null, &mut request) };
    assert_eq!(status, GW_ERR_NULL_ARGUMENT);
    assert!(last_error().contains("key_serial_number"), "{}", last_error());
    // SAFETY: as above.
    let status = unsafe { gw_request_tokenize_p2pe(null, ksn.as_ptr(), payload.as_ptr(), null, null, ptr::null_mut()) };
    assert_eq!(status, GW_ERR_NULL_ARGUMENT);
}
