//! The field rules: `gw::rules::check_field` (at the seed reference's API
//! version and at the first AES DUKPT version), `check_field_any_version`,
//! `check_request` (both operations, both completeness modes) and
//! `gw::Request::set`, with arbitrary names and values, read from a form
//! body (seeded with real request bodies, so that mutations keep the table's
//! field names).
//!
//! Invariants, none of which lists the rules' sentences (so they survive any
//! rewording of a message): never panics; `Ok` only for a value an oracle
//! written here accepts (length in the rule's range and list, every
//! character in the charset); an error names the field, has the documented
//! shape, and never carries the value: for the per-character charsets the
//! error is the same when every allowed character of the value is replaced by
//! other allowed ones (so no run of the value's characters can be in it),
//! only the first bad character may be quoted, and never for a sensitive
//! field; for the whole-value charsets (enumeration, number, FIXED) a value
//! of 8+ characters appears in the error only when a value invalid in the
//! same way (not a member, out of range) gets the very same error.
//! `check_request` returns the first field error; `set` agrees with
//! `check_field_any_version` and leaves the request unchanged on failure.
#![no_main]

use gw::nvp::{self, Charset as Charset8};
use gw::request::MANAGED_FIELDS;
use gw::rules::{
    self, Charset, Completeness, FieldError, FieldRule, Operation, ValidationType, AES_DUKPT_VERSION,
    AUTHENTICATION_FIELDS,
};
use gw::{Kind, Request};
use libfuzzer_sys::fuzz_target;

/// The versions every input is checked at, per operation.
fn versions(op: Operation) -> [u32; 2] {
    [op.reference_version(), AES_DUKPT_VERSION]
}

/// The oracle: whether a per-character charset allows `c`; `None` for the
/// charsets that judge the whole value.
fn allows(charset: Charset, c: char) -> Option<bool> {
    if c == '\0' {
        return Some(false);
    }
    Some(match charset {
        Charset::Any => true,
        Charset::Ascii => (' '..='~').contains(&c),
        Charset::Hex => c.is_ascii_hexdigit(),
        Charset::Digits => c.is_ascii_digit(),
        Charset::Alphanumeric => c.is_ascii_alphanumeric(),
        Charset::AlphanumericPlus(extra) => c.is_ascii_alphanumeric() || extra.contains(c),
        Charset::UpperAlpha => c.is_ascii_uppercase(),
        _ => return None,
    })
}

/// Two allowed characters of a per-character charset.
fn allowed_pair(charset: Charset) -> (char, char) {
    match charset {
        Charset::Digits => ('1', '2'),
        Charset::UpperAlpha => ('Q', 'R'),
        Charset::Hex => ('a', '0'),
        _ => ('b', '7'),
    }
}

/// `value` with each allowed character replaced by `with`: the same
/// verdict, the same length, the same first bad character.
fn reshaped(charset: Charset, value: &str, with: char) -> String {
    value.chars().map(|c| if allows(charset, c) == Some(true) { with } else { c }).collect()
}

fn vt_word(vt: ValidationType) -> String {
    vt.as_str().to_lowercase()
}

/// Whether an error's field is `name`: the name itself, or the start of an
/// absurdly long one followed by "..." (such names are not echoed whole).
fn names(field: &str, name: &str) -> bool {
    field == name || (name.len() > 256 && field.strip_suffix("...").is_some_and(|start| name.starts_with(start)))
}

fn assert_shape(e: &FieldError, name: &str) {
    assert!(names(&e.field, name), "the error names {:?}, not the field", e.field);
    assert!(!e.rule.is_empty(), "an empty rule text");
    assert_eq!(e.to_string(), format!("field '{}' {}: {}", e.field, vt_word(e.validation_type), e.rule));
}

fn check_at(op: Operation, version: u32, name: &str, value: &str) -> Result<(), FieldError> {
    let got = rules::check_field(op, version, name, value);
    let rule: Option<&FieldRule> = op.rule_at(version, name).filter(|r| r.charset != Charset::Group);
    match (&got, rule) {
        (Ok(()), None) => panic!("Ok for {name:?}, which has no field rule at {version}"),
        (Ok(()), Some(rule)) => {
            let n = value.chars().count();
            assert!((rule.min_len..=rule.max_len).contains(&n), "Ok for {n} chars, rule {rule:?}");
            assert!(rule.lengths.is_empty() || rule.lengths.contains(&n), "Ok for {n} chars, rule {rule:?}");
            assert!(value.chars().all(|c| allows(rule.charset, c) != Some(false)), "Ok with a bad character");
            assert!(!value.contains('\0'), "Ok with a NUL");
        }
        (Err(e), rule) => {
            assert_shape(e, name);
            assert_ne!(e.validation_type, ValidationType::Missing);
            assert_eq!(e.validation_type == ValidationType::Unsupported, rule.is_none(), "{e}");
            if let Some(rule) = rule {
                check_no_leak(op, version, rule, value, e);
            }
        }
    }
    got
}

/// The error of an invalid value does not carry the value.
fn check_no_leak(op: Operation, version: u32, rule: &FieldRule, value: &str, e: &FieldError) {
    if allows(rule.charset, 'x').is_some() {
        let (a, b) = allowed_pair(rule.charset);
        for with in [a, b] {
            let other = rules::check_field(op, version, rule.name, &reshaped(rule.charset, value, with));
            assert_eq!(other.as_ref().err(), Some(e), "the error depends on the value's allowed characters");
        }
        if rule.sensitive {
            assert!(!e.rule.contains(" is '"), "a sensitive field's character is shown: {e}");
        }
    } else if value.chars().count() >= 8 && e.rule.contains(value) {
        // The same words for a value invalid in the same way: not the value's.
        let same_words = ["\u{1}", "99999999999"]
            .iter()
            .any(|canary| rules::check_field(op, version, rule.name, canary).err().as_ref() == Some(e));
        assert!(same_words, "the message {e} leaks the value {value:?}");
    }
}

fn check_one(op: Operation, name: &str, value: &str) {
    for version in versions(op) {
        let _ = check_at(op, version, name, value);
    }
    let any = rules::check_field_any_version(op, name, value);
    let accepted_somewhere =
        op.rules().iter().filter(|r| r.name == name).any(|r| rules::check_field(op, r.since, name, value).is_ok());
    assert_eq!(any.is_ok(), accepted_somewhere, "check_field_any_version disagrees with the versions' rules");
    if let Err(e) = &any {
        assert_shape(e, name);
    }

    // Request::set says the same, and leaves the request alone on failure.
    let mut req = Request::new(op);
    // A field already set, where the operation has one (CHECK_GATEWAY has none).
    if op.rules().iter().any(|rule| rule.name == "correlationId") {
        req.set("correlationId", "fuzz").unwrap();
    }
    let before: Vec<(String, String)> = req.fields().map(|(n, v)| (n.into(), v.into())).collect();
    match req.set(name, value) {
        Ok(()) => {
            assert!(any.is_ok(), "set accepted what no version's rule accepts");
            assert!(!MANAGED_FIELDS.contains(&name));
            assert_eq!(req.get(name), Some(value));
        }
        Err(e) => {
            assert_eq!(e.kind(), Kind::InvalidField);
            assert!(e.field().is_some_and(|field| names(field, name)), "set's error names {:?}", e.field());
            let after: Vec<(String, String)> = req.fields().map(|(n, v)| (n.into(), v.into())).collect();
            assert_eq!(before, after, "a failed set changed the request");
            if !MANAGED_FIELDS.contains(&name) {
                let fe = any.as_ref().expect_err("set rejected what check_field_any_version accepts");
                assert_eq!(e.message(), fe.to_string());
            }
        }
    }
}

fn check_whole(op: Operation, version: u32, fields: &[(String, String)], completeness: Completeness) {
    let got = rules::check_request(op, version, fields, completeness);
    let first_field_error: Option<FieldError> = fields
        .iter()
        .filter(|(n, _)| !AUTHENTICATION_FIELDS.contains(&n.as_str()))
        .find_map(|(n, v)| rules::check_field(op, version, n, v).err());
    if let Some(fe) = &first_field_error {
        assert_eq!(got.as_ref().err(), Some(fe), "check_request is not the first field error");
    }
    match got {
        Ok(()) => {
            for (i, (n, _)) in fields.iter().enumerate() {
                assert!(!fields[..i].iter().any(|(m, _)| m == n), "Ok with {n:?} twice");
            }
        }
        Err(e) => {
            assert_shape(&e, &e.field.clone());
            assert!(
                fields.iter().any(|(n, _)| names(&e.field, n)) || op.rule_at(version, &e.field).is_some(),
                "the error names a field that is neither given nor in the table"
            );
            if e.validation_type == ValidationType::Missing {
                assert!(!fields.iter().any(|(n, _)| *n == e.field), "MISSING for a field given");
                let presence = op.rule_at(version, &e.field).map(|r| r.presence);
                assert_ne!(presence, Some(rules::Presence::Optional), "MISSING for an OPTIONAL field");
                if completeness == Completeness::MayUseSession {
                    assert_eq!(presence, Some(rules::Presence::Fixed), "MISSING with a session for a non-FIXED field");
                }
            }
            let _ = gw::Error::from(e);
        }
    }
}

// The input is a form body (the NVP request's own encoding), read as UTF-8,
// or as ISO-8859-1 when it is not UTF-8.
fuzz_target!(|data: &[u8]| {
    let Ok(fields) = nvp::decode(data, Charset8::Utf8).or_else(|_| nvp::decode(data, Charset8::Latin1)) else {
        return;
    };
    let fields: Vec<(String, String)> = fields.into_iter().take(64).collect();
    for op in Operation::ALL {
        for (n, v) in &fields {
            check_one(op, n, v);
        }
        for version in versions(op) {
            check_whole(op, version, &fields, Completeness::Complete);
            check_whole(op, version, &fields, Completeness::MayUseSession);
        }

        // A request built field by field keeps first-set order and last values.
        let mut req = Request::new(op);
        let mut model: Vec<(String, String)> = Vec::new();
        for (n, v) in &fields {
            if req.set(n, v).is_ok() {
                match model.iter_mut().find(|(m, _)| m == n) {
                    Some(slot) => slot.1 = v.clone(),
                    None => model.push((n.clone(), v.clone())),
                }
            }
        }
        let got: Vec<(String, String)> = req.fields().map(|(n, v)| (n.into(), v.into())).collect();
        assert_eq!(got, model);
        let _ = format!("{req:?}");
        if let Some((_, v)) = fields.iter().find(|(n, _)| n == "apiOperation") {
            match Request::for_operation_name(v) {
                Ok(r) => assert_eq!(r.operation().name(), v),
                Err(e) => assert!(Operation::from_name(v).is_none() && e.kind() == Kind::InvalidField),
            }
        }
        if let Some((n, _)) = model.first() {
            assert!(req.unset(n));
            assert!(req.get(n).is_none());
        }
    }
});
