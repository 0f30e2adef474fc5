//! Every field rule at its boundaries, through the C API's `gw_request_set`:
//! min−1, min, max, max+1, a character outside the charset, an odd number of
//! hex digits, a value outside the enumeration. A rejected value names its
//! field in `gw_last_error_field()` and leaves the request unchanged.
//!
//! Then the rules per API version: every rule at each version at its
//! boundaries (Rust API); before version 84 an AES-length KSN or IV is
//! refused locally by `gw_tokenize_p2pe`, naming the field and the version
//! that accepts it; from version 84 the client and gw-sim take it; gw-sim
//! validates with the version of the request's URL.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

use common::{last_error, last_error_field, sim, terminal_card, CClient, CConfig, CRequest, MERCHANT, P2PE, PASSWORD};
use gw::ffi::status::{GW_ERR_GATEWAY, GW_ERR_INVALID_FIELD, GW_OK};
use gw::rules::{check_field, Charset, FieldRule, Operation, AES_DUKPT_VERSION};

/// A fresh request for `op`.
fn new_request(op: Operation) -> CRequest {
    CRequest::new(op.name())
}

/// A character every value of the charset may contain.
fn good_char(charset: Charset) -> char {
    match charset {
        Charset::Digits | Charset::Decimal => '7',
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
        Charset::Digits | Charset::Decimal => Some('x'),
        Charset::Alphanumeric => Some('-'),
        Charset::AlphanumericPlus(extra) => ['!', '#', '~'].into_iter().find(|c| !extra.contains(*c)),
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
                    // `min - 1` is no number of 0 to N: "-1" is refused for its character.
                    let below = min.checked_sub(1).map_or("-1".to_owned(), |n| n.to_string());
                    for bad in [below, (max + 1).to_string(), "1a".to_owned(), "".to_owned(), "+1".to_owned()] {
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

// ---------------------------------------------------------------------------
// Version-aware rules (API version 84 and later take AES DUKPT terminals).
// ---------------------------------------------------------------------------

/// The gateway's P2PE guide's AES example values.
const AES_KSN: &str = "40F000000000000000000001";
const AES_IV: &str = "00000000000000000000000000000000";

/// Every rule that holds at a version, at its boundaries, with the Rust API.
#[test]
fn every_rule_at_each_version_at_its_boundaries() {
    for version in [39, 50, AES_DUKPT_VERSION - 1, AES_DUKPT_VERSION, 100] {
        for op in Operation::ALL {
            for rule in op.rules_at(version).filter(|r| !matches!(r.charset, Charset::Group | Charset::FixedOperation))
            {
                let check = |value: &str| check_field(op, version, rule.name, value);
                let good = |len: usize| good_char(rule.charset).to_string().repeat(len);
                match rule.charset {
                    Charset::Enumeration(values) => {
                        assert!(values.iter().all(|v| check(v).is_ok()), "{} at {version}", rule.name)
                    }
                    Charset::Number { min, max } => {
                        assert!(check(&min.to_string()).is_ok() && check(&max.to_string()).is_ok());
                        assert!(check(&(max + 1).to_string()).is_err());
                    }
                    _ => {
                        let allowed: Vec<usize> = if rule.lengths.is_empty() {
                            vec![rule.min_len.max(1), rule.max_len]
                        } else {
                            rule.lengths.to_vec()
                        };
                        for len in allowed {
                            assert_eq!(check(&good(len)), Ok(()), "{} at {version}: {len}", rule.name);
                        }
                        for len in [rule.min_len.saturating_sub(1).max(1), rule.max_len + 1] {
                            if len < rule.min_len || len > rule.max_len {
                                let err = check(&good(len)).unwrap_err();
                                assert!(err.rule.starts_with(&format!("is {len} characters long; ")), "{}", err.rule);
                            }
                        }
                        for len in (rule.min_len..=rule.max_len)
                            .filter(|l| !rule.lengths.is_empty() && !rule.lengths.contains(l))
                        {
                            assert!(
                                check(&good(len)).is_err(),
                                "{} at {version}: {len} is not a listed length",
                                rule.name
                            );
                        }
                    }
                }
            }
        }
    }
}

/// A client at API `version` through the C API.
fn c_client(base_url: &str, version: u32) -> CClient {
    CConfig::for_url(base_url).api_version(version).client()
}

/// `gw_tokenize_p2pe` with a KSN, payload and IV: the status.
fn tokenize_p2pe(client: &CClient, ksn: &str, payload: &str, iv: Option<&str>) -> u32 {
    client.tokenize_p2pe(None, ksn, payload, iv, None).0
}

#[test]
fn before_version_84_an_aes_ksn_or_iv_is_refused_locally_naming_the_version() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let card = terminal_card();
    for version in [50, AES_DUKPT_VERSION - 1] {
        let client = c_client(&format!("http://{}", listener.local_addr().unwrap()), version);
        for (ksn, iv, field) in
            [(AES_KSN, None, "keySerialNumber"), (card.ksn.as_str(), Some(AES_IV), "initializationVector")]
        {
            assert_eq!(tokenize_p2pe(&client, ksn, &card.payload, iv), GW_ERR_INVALID_FIELD, "{field} at {version}");
            assert_eq!(last_error_field().unwrap(), format!("{P2PE}.{field}"));
            let message = last_error();
            assert!(message.contains(&format!("at API version {version}")), "{message}");
            assert!(message.contains("API version 84 and later accepts this value"), "{message}");
        }
    }
    assert!(listener.accept().is_err(), "nothing may reach the wire");
}

#[test]
fn from_version_84_the_client_and_gw_sim_take_aes_lengths_and_tdes_still_works() {
    let sim = sim();
    let card = terminal_card();
    let client = c_client(&sim.base_url(), AES_DUKPT_VERSION);
    assert_eq!(tokenize_p2pe(&client, &card.ksn, &card.payload, card.iv.as_deref()), GW_OK, "{}", last_error());
    // An AES-length KSN passes gw's rules and gw-sim's version-84 rules: what
    // gw-sim says is about the card (it decrypts TDES only until it learns
    // AES), never a field-length rule.
    let status = tokenize_p2pe(&client, AES_KSN, &card.payload, Some(AES_IV));
    assert!(status == GW_OK || status == GW_ERR_GATEWAY, "status {status}: {}", last_error());
    assert!(!last_error().contains("characters long"), "{}", last_error());
}

/// gw-sim validates with the rules of the version in the request's URL.
#[test]
fn gw_sim_validates_with_the_version_in_the_url() {
    let sim = sim();
    let card = terminal_card();
    let address = sim.base_url().trim_start_matches("http://").to_owned();
    let post = |version: u32| -> String {
        let body = gw::nvp::encode(&[
            ("apiOperation".to_owned(), "TOKENIZE".to_owned()),
            ("apiUsername".to_owned(), format!("merchant.{MERCHANT}")),
            ("apiPassword".to_owned(), PASSWORD.to_owned()),
            ("merchant".to_owned(), MERCHANT.to_owned()),
            ("sourceOfFunds.type".to_owned(), "CARD".to_owned()),
            (format!("{P2PE}.keySerialNumber"), AES_KSN.to_owned()),
            (format!("{P2PE}.payload"), card.payload.clone()),
            ("posTerminal.serialNumber".to_owned(), "13130P".to_owned()),
        ]);
        let mut stream = TcpStream::connect(&address).unwrap();
        write!(
            stream,
            "POST /api/nvp/version/{version} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    };
    let at_50 = post(50);
    assert!(at_50.contains("error.field=sourceOfFunds.provided.card.p2pe.keySerialNumber"), "{at_50}");
    assert!(at_50.contains("API+version+84+and+later+accepts+this+value"), "{at_50}");
    let at_84 = post(AES_DUKPT_VERSION);
    // Past the field rules (what gw-sim says next is about decrypting the card).
    assert!(!at_84.contains("characters+long") && !at_84.contains("API+version"), "{at_84}");
    assert!(!at_84.contains("error.field=posTerminal.serialNumber"), "{at_84}");
}

/// Issue 12, item 2, through the C API: what failed, exactly, and never a
/// sensitive value's character.
#[test]
fn messages_say_the_length_found_or_the_first_bad_character() {
    let request = new_request(Operation::Tokenize);
    let ksn = format!("{P2PE}.keySerialNumber");
    let payload = format!("{P2PE}.payload");
    let mut messages = Vec::new();
    for (field, value, expected) in [
        (&ksn, "F".repeat(19), "is 19 characters long; "),
        (&ksn, "F".repeat(21), "is 21 characters long; "),
        (&ksn, format!("FFFFFFFFG{}", "0".repeat(11)), "character 9 is 'G', not a hexadecimal digit"),
        (&payload, format!("AAAAAAG{}", "A".repeat(25)), "character 7 is a letter, not a hexadecimal digit"),
        (&payload, format!("AAAAAA{}", "A".repeat(27)), "is 33 hexadecimal digits, an odd number"),
    ] {
        assert_eq!(request.set(field, &value), GW_ERR_INVALID_FIELD);
        let message = last_error();
        assert!(message.starts_with(&format!("field '{field}' invalid: {expected}")), "{message}");
        assert!(!messages.contains(&message), "two failures, one sentence: {message}");
        messages.push(message);
    }
    assert_eq!(request.set(&format!("{P2PE}.cardBin"), "47a"), GW_ERR_INVALID_FIELD);
    assert!(last_error().ends_with("character 3 is 'a', not a digit (0-9)"), "{}", last_error());
    assert_eq!(request.set("sourceOfFunds.provided.card.securityCode", "7x7"), GW_ERR_INVALID_FIELD);
    assert!(last_error().ends_with("character 2 is a letter, not a digit (0-9)"), "{}", last_error());
}
