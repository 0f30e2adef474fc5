//! Every field rule at its boundaries, through the C API's `gw_request_set`:
//! min−1, min, max, max+1, a character outside the charset, an odd number of
//! hex digits, a value outside the enumeration. A rejected value names its
//! field in `gw_last_error_field()` and leaves the request unchanged.

mod common;

use common::{last_error, last_error_field, CRequest};
use gw::ffi::status::{GW_ERR_INVALID_FIELD, GW_OK};
use gw::rules::{Charset, FieldRule, Operation};

/// A fresh request for `op`.
fn new_request(op: Operation) -> CRequest {
    CRequest::new(op.name())
}

/// A character every value of the charset may contain.
fn good_char(charset: Charset) -> char {
    match charset {
        Charset::Digits => '7',
        Charset::UpperAlpha => 'Q',
        _ => 'b',
    }
}

/// A character no value of the charset may contain, if there is one.
fn bad_char(charset: Charset) -> Option<char> {
    match charset {
        Charset::Any => None,
        Charset::Ascii => Some('é'),
        Charset::Hex => Some('g'),
        Charset::Digits => Some('x'),
        Charset::Alphanumeric => Some('-'),
        Charset::AlphanumericPlus(_) => Some('!'),
        Charset::UpperAlpha => Some('q'),
        _ => None,
    }
}

fn assert_rejected(request: &CRequest, rule: &FieldRule, value: &str, why: &str) {
    let status = request.set(rule.name, value);
    assert_eq!(status, GW_ERR_INVALID_FIELD, "{} accepted {why} ({} chars)", rule.name, value.chars().count());
    assert_eq!(last_error_field().as_deref(), Some(rule.name), "{why}");
    assert!(last_error().contains(rule.name), "message names the field: {}", last_error());
}

fn check_length_rule(op: Operation, rule: &FieldRule) {
    let request = new_request(op);
    let good = |len: usize| good_char(rule.charset).to_string().repeat(len);
    for len in [rule.min_len.max(1), rule.max_len] {
        assert_eq!(
            request.set(rule.name, &good(len)),
            GW_OK,
            "{} rejected {len} valid chars: {}",
            rule.name,
            last_error()
        );
    }
    if rule.min_len > 1 {
        assert_rejected(&request, rule, &good(rule.min_len - 1), "min-1");
    }
    assert_rejected(&request, rule, &good(rule.max_len + 1), "max+1");
    assert_rejected(&request, rule, "", "an empty value");
    if let Some(bad) = bad_char(rule.charset) {
        let mut value: Vec<char> = good(rule.min_len.max(2)).chars().collect();
        value[1] = bad;
        assert_rejected(&request, rule, &value.into_iter().collect::<String>(), "a character outside the charset");
    }
    if rule.charset == Charset::Hex {
        if rule.min_len < rule.max_len {
            assert_rejected(&request, rule, &good(rule.min_len + 1), "an odd number of hex digits");
        }
        assert_eq!(request.set(rule.name, &"aF09".repeat(rule.min_len / 4 + 1)[..rule.min_len]), GW_OK);
    }
}

#[test]
fn every_field_of_both_operations_at_its_boundaries() {
    let mut checked = 0;
    for op in Operation::ALL {
        for rule in op.rules() {
            match rule.charset {
                Charset::Group | Charset::FixedOperation => {
                    let request = new_request(op);
                    assert_rejected(&request, rule, "x", "a group or the fixed apiOperation");
                }
                Charset::Enumeration(values) => {
                    let request = new_request(op);
                    for value in values {
                        assert_eq!(request.set(rule.name, value), GW_OK, "{} rejected {value}", rule.name);
                        assert_rejected(
                            &request,
                            rule,
                            &value.to_lowercase(),
                            "lower case (values are case-sensitive)",
                        );
                        assert_rejected(&request, rule, &format!("{value}X"), "a value not in the list");
                    }
                    assert_rejected(&request, rule, "", "an empty value");
                }
                Charset::Number { min, max } => {
                    let request = new_request(op);
                    for ok in [min, max] {
                        assert_eq!(request.set(rule.name, &ok.to_string()), GW_OK);
                    }
                    for bad in
                        [(min - 1).to_string(), (max + 1).to_string(), "1a".to_owned(), "".to_owned(), "+1".to_owned()]
                    {
                        assert_rejected(&request, rule, &bad, "a number outside the range");
                    }
                }
                _ if rule.name == "merchant" => {}
                _ => check_length_rule(op, rule),
            }
            checked += 1;
        }
    }
    assert!(checked >= 35, "checked {checked} rules");
}

#[test]
fn the_issue_examples_of_the_v50_reference() {
    const P2PE: &str = "sourceOfFunds.provided.card.p2pe";
    let cases: &[(&str, &str, bool)] = &[
        ("keySerialNumber", "FFFF9876543210E00001", true),
        ("keySerialNumber", "FFFF9876543210E0000", false),
        ("keySerialNumber", "FFFF9876543210E000011", false),
        ("keySerialNumber", "FFFF9876543210E0000G", false),
        ("payload", &"A".repeat(32), true),
        ("payload", &"A".repeat(30), false),
        ("payload", &"A".repeat(1024), true),
        ("payload", &"A".repeat(1026), false),
        ("payload", &"A".repeat(33), false),
        ("initializationVector", "0123456789abcdef", true),
        ("initializationVector", "0123456789abcde", false),
        ("cardBin", "476173", true),
        ("cardBin", "4", true),
        ("cardBin", "4761739", false),
        ("cardBin", "47617a", false),
        ("encryptionState", "VALID", true),
        ("encryptionState", "INVALID", true),
        ("encryptionState", "valid", false),
        ("encryptionState", "BROKEN", false),
    ];
    let request = new_request(Operation::Tokenize);
    for (field, value, ok) in cases {
        let name = format!("{P2PE}.{field}");
        let status = request.set(&name, value);
        assert_eq!(status == GW_OK, *ok, "{name} with {} chars: {}", value.len(), last_error());
        if !ok {
            assert_eq!(last_error_field().as_deref(), Some(name.as_str()));
            if value.len() >= 8 {
                assert!(!last_error().contains(value), "the message never carries the value");
            }
        }
    }
    for (name, value, ok) in [
        ("token", "9".repeat(40), true),
        ("token", "9".repeat(41), false),
        ("token", "abc-1".to_owned(), false),
        ("session.id", "SESSION0002411702239G42317712I7".to_owned(), true),
        ("session.id", "SESSION0002411702239G42317712I".to_owned(), false),
        ("session.version", "4e9556a901".to_owned(), true),
        ("session.version", "4e9556a9011".to_owned(), false),
        ("correlationId", "x".repeat(100), true),
        ("correlationId", "x".repeat(101), false),
        ("transaction.currency", "AUD".to_owned(), true),
        ("transaction.currency", "aud".to_owned(), false),
        ("sourceOfFunds.provided.card.expiry.month", "12".to_owned(), true),
        ("sourceOfFunds.provided.card.expiry.month", "13".to_owned(), false),
    ] {
        assert_eq!(request.set(name, &value) == GW_OK, ok, "{name}: {}", last_error());
    }
}

#[test]
fn merchant_and_managed_fields_come_from_the_configuration() {
    let request = new_request(Operation::CreateSession);
    for name in ["merchant", "apiOperation", "apiUsername", "apiPassword"] {
        assert_eq!(request.set(name, "X1"), GW_ERR_INVALID_FIELD, "{name}");
        assert_eq!(last_error_field().as_deref(), Some(name));
    }
    assert_eq!(request.set("sourceOfFunds.type", "CARD"), GW_ERR_INVALID_FIELD, "not a CREATE_SESSION field");
    assert!(last_error().contains("not a field of CREATE_SESSION"), "{}", last_error());

    let mut config = gw::Config::new();
    for (merchant, ok) in
        [("A", true), (&*"m".repeat(40), true), (&*"m".repeat(41), false), ("TEST-01_x", true), ("TEST 01", false)]
    {
        assert_eq!(config.set_merchant(merchant).is_ok(), ok, "merchant {merchant:?}");
    }
}
