//! `gw_request_tokenize_p2pe`: the validated P2PE request a till extends
//! (correlationId, encryptionState, ...) and sends with `gw_execute`,
//! through the C ABI against gw-sim.

mod common;

use std::ffi::CString;
use std::ptr;

use common::{c, last_error, last_error_field, read, sim, terminal_card, MERCHANT, PASSWORD};
use gw::ffi::client::{gw_client, gw_client_free, gw_client_new, gw_execute};
use gw::ffi::config::*;
use gw::ffi::request::{gw_request, gw_request_free, gw_request_set, gw_request_tokenize_p2pe};
use gw::ffi::response::*;
use gw::ffi::status::*;

/// A client and a request, freed on drop.
struct Handles(*mut gw_client, *mut gw_request);

impl Drop for Handles {
    fn drop(&mut self) {
        // SAFETY: handles from gw (or NULL), each freed once.
        unsafe {
            gw_request_free(self.1);
            gw_client_free(self.0);
        }
    }
}

fn client(base_url: &str) -> *mut gw_client {
    let config = gw_config_new();
    let mut handle = ptr::null_mut();
    // SAFETY: a live config, valid C strings and out pointer.
    unsafe {
        assert_eq!(gw_config_set_base_url(config, c(base_url).as_ptr()), GW_OK);
        assert_eq!(gw_config_set_merchant(config, c(MERCHANT).as_ptr()), GW_OK);
        assert_eq!(gw_config_set_api_password(config, c(PASSWORD).as_ptr()), GW_OK);
        assert_eq!(gw_config_set_retries(config, 0), GW_OK);
        assert_eq!(gw_client_new(config, &mut handle), GW_OK, "{}", last_error());
        gw_config_free(config);
    }
    handle
}

fn opt(text: &Option<CString>) -> *const std::ffi::c_char {
    text.as_ref().map_or(ptr::null(), |t| t.as_ptr())
}

/// token, KSN, payload, IV, card BIN, and the field named in the error.
type P2peArgs<'a> = (Option<&'a str>, &'a str, &'a str, Option<&'a str>, Option<&'a str>, &'a str);

/// `gw_request_tokenize_p2pe` with these arguments: (status, request or NULL).
fn build(token: Option<&str>, ksn: &str, payload: &str, iv: Option<&str>, bin: Option<&str>) -> (u32, *mut gw_request) {
    let (token, ksn, payload, iv, bin) = (token.map(c), c(ksn), c(payload), iv.map(c), bin.map(c));
    let mut request = ptr::dangling_mut::<gw_request>(); // not NULL: the call must reset it
                                                         // SAFETY: valid C strings or NULL where allowed, and an out pointer.
    let status = unsafe {
        gw_request_tokenize_p2pe(opt(&token), ksn.as_ptr(), payload.as_ptr(), opt(&iv), opt(&bin), &mut request)
    };
    (status, request)
}

/// Executes and returns (status, the answer's `name` fields).
fn execute(client: *mut gw_client, request: *mut gw_request, names: &[&str]) -> (u32, Vec<Option<String>>) {
    let mut out = ptr::null_mut();
    // SAFETY: live handles; the response is read, then freed once.
    unsafe {
        let status = gw_execute(client, request, &mut out);
        let values = names.iter().map(|n| read(gw_response_get(out, c(n).as_ptr()))).collect();
        gw_response_free(out);
        (status, values)
    }
}

fn set(request: *mut gw_request, name: &str, value: &str) -> u32 {
    // SAFETY: a live request, valid C strings.
    unsafe { gw_request_set(request, c(name).as_ptr(), c(value).as_ptr()) }
}

#[test]
fn the_p2pe_request_carries_a_correlation_id_and_more_fields() {
    let sim = sim();
    let client = client(&sim.base_url());
    let card = terminal_card();
    let (status, request) = build(None, &card.ksn, &card.payload, card.iv.as_deref(), Some(&card.card_bin));
    let _handles = Handles(client, request);
    assert_eq!(status, GW_OK, "{}", last_error());
    assert_eq!(set(request, "correlationId", "till-7/sale-42"), GW_OK);
    assert_eq!(set(request, "sourceOfFunds.provided.card.p2pe.encryptionState", "VALID"), GW_OK);
    let (status, values) = execute(client, request, &["correlationId", "token", "sourceOfFunds.provided.card.number"]);
    assert_eq!(status, GW_OK, "{}", last_error());
    assert_eq!(values[0].as_deref(), Some("till-7/sale-42"), "the gateway echoes the till's correlationId");
    assert!(values[1].as_deref().is_some_and(|t| t.len() == 16), "{values:?}");
    assert_eq!(values[2].as_deref(), Some("476173xxxxxx0010"));

    // An added field is validated like any other, and the request stays usable.
    assert_eq!(set(request, "sourceOfFunds.provided.card.p2pe.encryptionState", "BROKEN"), GW_ERR_INVALID_FIELD);
    assert_eq!(last_error_field().as_deref(), Some("sourceOfFunds.provided.card.p2pe.encryptionState"));
    assert_eq!(set(request, "sourceOfFunds.provided.card.p2pe.encryptionState", "INVALID"), GW_OK);
    let (status, values) = execute(client, request, &["result", "correlationId"]);
    assert_eq!(status, GW_DECLINED, "{}", last_error());
    assert_eq!(values[0].as_deref(), Some("FAILURE"));
    assert_eq!(values[1].as_deref(), Some("till-7/sale-42"));
}

#[test]
fn a_merchant_supplied_token_and_no_optional_fields() {
    // Only a MERCHANT_SUPPLIED repository creates a token the request names.
    let sim = common::start(common::sim_config().token_strategy(gw_sim::TokenStrategy::MerchantSupplied));
    let client = client(&sim.base_url());
    let card = terminal_card();
    let (status, request) = build(Some("9123456789012346"), &card.ksn, &card.payload, card.iv.as_deref(), None);
    let _handles = Handles(client, request);
    assert_eq!(status, GW_OK, "{}", last_error());
    let (status, values) = execute(client, request, &["token"]);
    assert_eq!(status, GW_OK, "{}", last_error());
    assert_eq!(values[0].as_deref(), Some("9123456789012346"));
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
        let (status, request) = build(token, ksn, payload, iv, bin);
        assert_eq!(status, GW_ERR_INVALID_FIELD, "{field}");
        assert!(request.is_null(), "{field}: *out is NULL on failure");
        let want = if field == "token" { field.to_string() } else { format!("{p2pe}.{field}") };
        assert_eq!(last_error_field().as_deref(), Some(want.as_str()));
        assert!(!last_error().contains(&card.payload), "the payload never appears in a message");
    }
    let mut request = ptr::null_mut();
    let payload = c(&card.payload);
    // SAFETY: NULL where the API says it is refused, valid strings otherwise.
    unsafe {
        let status = gw_request_tokenize_p2pe(
            ptr::null(),
            ptr::null(),
            payload.as_ptr(),
            ptr::null(),
            ptr::null(),
            &mut request,
        );
        assert_eq!(status, GW_ERR_NULL_ARGUMENT);
        assert!(last_error().contains("key_serial_number"), "{}", last_error());
        let ksn = c(&card.ksn);
        let status = gw_request_tokenize_p2pe(
            ptr::null(),
            ksn.as_ptr(),
            payload.as_ptr(),
            ptr::null(),
            ptr::null(),
            ptr::null_mut(),
        );
        assert_eq!(status, GW_ERR_NULL_ARGUMENT);
    }
}
