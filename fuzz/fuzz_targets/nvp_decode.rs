//! `gw::nvp::decode` over arbitrary bytes, in both charsets.
//!
//! Invariants: never panics; a Latin-1 decode fails only on a malformed
//! %-escape (and then exactly where one is); a UTF-8 decode fails exactly
//! where the Latin-1 one does, or on a pair that is not UTF-8; whatever was
//! decoded survives `encode` + `decode` unchanged.
#![no_main]

use gw::nvp::{self, Charset, DecodeError};
use libfuzzer_sys::fuzz_target;

/// Whether `data[offset]` is a `%` that is not followed by two hex digits.
fn is_bad_escape(data: &[u8], offset: usize) -> bool {
    data.get(offset) == Some(&b'%')
        && !matches!(data.get(offset + 1..offset + 3), Some([a, b]) if a.is_ascii_hexdigit() && b.is_ascii_hexdigit())
}

fn assert_round_trip(pairs: &[(String, String)]) {
    let body = nvp::encode(pairs);
    assert!(body.is_ascii(), "encode produced non-ASCII: {body:?}");
    let again = nvp::decode(body.as_bytes(), Charset::Utf8)
        .unwrap_or_else(|e| panic!("re-decoding {body:?} failed: {e}"));
    assert_eq!(again, pairs, "round trip through {body:?} changed the pairs");
    // Latin-1 reads the (ASCII) encoding without error, and the same way
    // when the text itself is ASCII (else %-escaped UTF-8 reads as Latin-1).
    let latin1 = nvp::decode(body.as_bytes(), Charset::Latin1).expect("Latin-1 re-decode");
    if pairs.iter().all(|(n, v)| n.is_ascii() && v.is_ascii()) {
        assert_eq!(latin1, again);
    }
}

fuzz_target!(|data: &[u8]| {
    let pieces = data.split(|&b| b == b'&').filter(|p| !p.is_empty()).count();

    let latin1 = nvp::decode(data, Charset::Latin1);
    match &latin1 {
        Ok(pairs) => {
            assert_eq!(pairs.len(), pieces);
            assert_round_trip(pairs);
        }
        Err(DecodeError::BadEscape { offset }) => {
            assert!(is_bad_escape(data, *offset), "BadEscape at {offset} is no malformed escape");
        }
        Err(e @ DecodeError::InvalidUtf8 { .. }) => panic!("Latin-1 decode gave {e:?}"),
    }

    let utf8 = nvp::decode(data, Charset::Utf8);
    match (&utf8, &latin1) {
        (Ok(pairs), Ok(l1)) => {
            assert_eq!(pairs.len(), l1.len());
            // Text that decodes to ASCII reads the same in both charsets.
            if l1.iter().all(|(n, v)| n.is_ascii() && v.is_ascii()) {
                assert_eq!(pairs, l1);
            }
            assert_round_trip(pairs);
        }
        (Ok(_), Err(e)) => panic!("UTF-8 decode succeeded where Latin-1 failed with {e:?}"),
        (Err(DecodeError::InvalidUtf8 { pair }), _) => {
            assert!(*pair < pieces, "InvalidUtf8 pair {pair} of {pieces}");
            assert!(!data.is_ascii() || data.contains(&b'%'), "ASCII without escapes is UTF-8");
        }
        (Err(e @ DecodeError::BadEscape { .. }), l1) => {
            // Latin-1 reads every byte, so it stops at the same first bad escape.
            assert_eq!(l1.as_ref().err(), Some(e), "charsets disagree on the first bad escape");
        }
    }

    // Display never panics and never echoes the body.
    if let Err(e) = &utf8 {
        let _ = e.to_string();
    }
});
