//! The field rules: `gw::rules::check_field`, `check_request` (both
//! operations, both completeness modes) and `gw::Request::set`, with
//! arbitrary names and values, read from a form body (seeded with real
//! request bodies, so that mutations keep the table's field names).
//!
//! Invariants: never panics; an error names the field and a rule, never the
//! value: a value of 8 characters or more appears in a message only where the
//! value-free text has it (the rule text, the fixed wording, or the field
//! name, which messages echo by design). Stronger, checked too: a
//! `check_field` / `set` error is identical for any invalid value, and every
//! rule text is one of the table's value-free texts.
#![no_main]

use std::sync::OnceLock;

use gw::nvp::{self, Charset as Charset8};
use gw::request::MANAGED_FIELDS;
use gw::rules::{self, Charset, Completeness, FieldError, Operation, ValidationType, AUTHENTICATION_FIELDS};
use gw::{Kind, Request};
use libfuzzer_sys::fuzz_target;

/// Invalid for every rule of the table: too long for every bounded rule, and
/// no enumeration member or operation name.
fn canary() -> &'static str {
    static C: OnceLock<String> = OnceLock::new();
    C.get_or_init(|| "\u{1}".repeat(2000))
}

/// Every rule text `check_request` may give for `op`: all value-free.
fn allowed_texts(op: Operation) -> &'static [String] {
    static T: OnceLock<[Vec<String>; 2]> = OnceLock::new();
    let all = T.get_or_init(|| {
        Operation::ALL.map(|op| {
            let mut v = vec![
                format!("is a parameter group of {op}, not a field; set the fields inside it"),
                format!("is not a field of {op} (API version {})", op.reference_version()),
                "is given more than once".to_owned(),
                format!("is required by {op}"),
            ];
            for r in op.rules() {
                v.push(rules::describe(op, r));
                if r.charset == Charset::Group {
                    v.push(format!("is required when any field of '{}' is given", r.name));
                }
            }
            v
        })
    });
    &all[Operation::ALL.iter().position(|o| *o == op).unwrap()]
}

fn vt_word(vt: ValidationType) -> String {
    vt.as_str().to_lowercase()
}

/// The brief's invariant: a value of 8+ characters appears in `message` only
/// where the value-free text (the same message built without the value: the
/// rule text, the field name and the fixed wording) has it too.
fn assert_no_leak(message: &str, value: &str, value_free: &str, what: &str) {
    if value.chars().count() >= 8 && message.contains(value) {
        assert!(value_free.contains(value), "{what}: message {message:?} leaks the value {value:?}");
    }
}

fn check_one(op: Operation, name: &str, value: &str) {
    let got = rules::check_field(op, name, value);
    match &got {
        Ok(()) => {
            let rule = op.rule(name).expect("Ok for a field without a rule");
            assert_ne!(rule.charset, Charset::Group, "Ok for a group");
            let n = value.chars().count();
            assert!((rule.min_len..=rule.max_len).contains(&n), "Ok for {n} chars, rule {rule:?}");
        }
        Err(e) => {
            assert_eq!(e.field, name);
            assert_ne!(e.validation_type, ValidationType::Missing);
            let message = e.to_string();
            assert_eq!(message, format!("field '{}' {}: {}", e.field, vt_word(e.validation_type), e.rule));
            assert!(allowed_texts(op).contains(&e.rule), "rule text {:?} not from the table", e.rule);
            // The error does not depend on the value.
            let other = rules::check_field(op, name, canary());
            let value_free = other.as_ref().err().map(|o| o.to_string()).unwrap_or_default();
            assert_no_leak(&message, value, &value_free, "check_field");
            assert_eq!(other.as_ref().err(), Some(e), "the error depends on the value");
        }
    }

    // Request::set says the same, and leaves the request alone on failure.
    let mut req = Request::new(op);
    req.set("correlationId", "fuzz").unwrap();
    let before: Vec<(String, String)> = req.fields().map(|(n, v)| (n.into(), v.into())).collect();
    match req.set(name, value) {
        Ok(()) => {
            assert!(got.is_ok(), "set accepted what check_field rejects");
            assert!(!MANAGED_FIELDS.contains(&name));
            assert_eq!(req.get(name), Some(value));
        }
        Err(e) => {
            assert_eq!(e.kind(), Kind::InvalidField);
            assert_eq!(e.field(), Some(name));
            let after: Vec<(String, String)> = req.fields().map(|(n, v)| (n.into(), v.into())).collect();
            assert_eq!(before, after, "a failed set changed the request");
            // The message does not depend on the value.
            let mut other = Request::new(op);
            let canary_message = other.set(name, canary()).err().map(|e| e.message().to_owned());
            assert_no_leak(e.message(), value, canary_message.as_deref().unwrap_or(""), "Request::set");
            assert_eq!(canary_message.as_deref(), Some(e.message()), "the set error depends on the value");
            if !MANAGED_FIELDS.contains(&name) {
                let fe = got.as_ref().expect_err("set rejected what check_field accepts");
                assert_eq!(e.message(), fe.to_string());
            }
        }
    }
}

fn check_whole(op: Operation, fields: &[(String, String)], completeness: Completeness) {
    let got = rules::check_request(op, fields, completeness);
    let first_field_error: Option<FieldError> = fields
        .iter()
        .filter(|(n, _)| !AUTHENTICATION_FIELDS.contains(&n.as_str()))
        .find_map(|(n, v)| rules::check_field(op, n, v).err());
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
            let message = e.to_string();
            // The value-free message: the name and one of the table's texts.
            let value_free = allowed_texts(op)
                .iter()
                .map(|t| format!("field '{}' {}: {t}", e.field, vt_word(e.validation_type)))
                .find(|m| *m == message)
                .unwrap_or_default();
            for (_, v) in fields {
                assert_no_leak(&message, v, &value_free, "check_request");
            }
            assert_eq!(message, format!("field '{}' {}: {}", e.field, vt_word(e.validation_type), e.rule));
            assert!(allowed_texts(op).contains(&e.rule), "rule text {:?} not from the table", e.rule);
            assert!(
                fields.iter().any(|(n, _)| *n == e.field) || op.rule(&e.field).is_some(),
                "the error names a field that is neither given nor in the table"
            );
            if e.validation_type == ValidationType::Missing {
                assert!(!fields.iter().any(|(n, _)| *n == e.field), "MISSING for a field given");
                if completeness == Completeness::MayUseSession {
                    let presence = op.rule(&e.field).map(|r| r.presence);
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
        check_whole(op, &fields, Completeness::Complete);
        check_whole(op, &fields, Completeness::MayUseSession);

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
