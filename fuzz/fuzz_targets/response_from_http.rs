//! `gw::Response::from_http` with an arbitrary HTTP status, Content-Type and body.
//!
//! Invariants: never panics; an error keeps the HTTP status; it succeeds
//! exactly when the body decodes (in the charset the Content-Type names),
//! has no NUL, has a `result` field and no name twice; a success has `result()`, and
//! `field_c(i)` works for every `i < len()` and agrees with `iter()`.
#![no_main]

use std::time::Duration;

use gw::nvp::{self, Charset};
use gw::Response;
use libfuzzer_sys::fuzz_target;

/// The input: a first line `STATUS [CONTENT-TYPE]` (no Content-Type header
/// when there is no space), then the body. Without a newline the whole input
/// is the body of a 200 answer without Content-Type. STATUS is any digits,
/// taken modulo 65536 (an empty one is 0).
fn split(data: &[u8]) -> (u16, Option<String>, &[u8]) {
    let Some(nl) = data.iter().position(|&b| b == b'\n') else {
        return (200, None, data);
    };
    let line = &data[..nl];
    let (status, content_type) = match line.iter().position(|&b| b == b' ') {
        Some(sp) => (&line[..sp], Some(String::from_utf8_lossy(&line[sp + 1..]).into_owned())),
        None => (line, None),
    };
    let status = status
        .iter()
        .filter(|b| b.is_ascii_digit())
        .fold(0u16, |acc, b| acc.wrapping_mul(10).wrapping_add(u16::from(b - b'0')));
    (status, content_type, &data[nl + 1..])
}

fuzz_target!(|data: &[u8]| {
    let (status, content_type, body) = split(data);
    let ct = content_type.as_deref();
    let answer = Response::from_http(status, ct, body, Duration::ZERO);

    // What the answer must be, from the codec alone.
    let charset = ct.map_or(Charset::Utf8, Charset::from_content_type);
    let expected_ok = match nvp::decode(body, charset) {
        Ok(pairs) => {
            let mut names: Vec<&str> = pairs.iter().map(|(n, _)| n.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            !pairs.iter().any(|(n, v)| n.contains('\0') || v.contains('\0'))
                && pairs.iter().any(|(n, _)| n == "result")
                && names.len() == pairs.len()
        }
        Err(_) => false,
    };

    match answer {
        Ok(r) => {
            assert!(expected_ok, "from_http accepted a body the codec rejects");
            let result = r.result().expect("Ok without result()");
            assert_eq!(r.get("result"), Some(result));
            assert_eq!(r.http_status(), status);
            assert_eq!(r.duration(), Duration::ZERO);
            assert!(!r.is_empty());
            let fields: Vec<(&str, &str)> = r.iter().collect();
            assert_eq!(fields.len(), r.len());
            for (i, (name, value)) in fields.iter().enumerate() {
                let (cn, cv) = r.field_c(i).unwrap_or_else(|| panic!("field_c({i}) of {} is None", r.len()));
                assert_eq!(cn.to_str().ok(), Some(*name));
                assert_eq!(cv.to_str().ok(), Some(*value));
                // Names are unique: get / get_c give this field.
                assert_eq!(r.get(name), Some(*value));
                assert_eq!(r.get_c(name).and_then(|c| c.to_str().ok()), Some(*value));
            }
            assert!(r.field_c(r.len()).is_none());
            assert!(r.field_c(usize::MAX).is_none());
            let _ = format!("{r:?}");
            let copy = r.clone();
            assert_eq!(copy.len(), r.len());
        }
        Err(e) => {
            assert!(!expected_ok, "from_http rejected a valid NVP answer: {}", e.message());
            assert_eq!(e.http_status(), status, "the status is kept for {}", e.message());
            let _ = e.to_string();
            let _ = format!("{e:?}");
        }
    }
});
