//! The NVP codec: `application/x-www-form-urlencoded` bodies, both ways.
//!
//! Requests are encoded as serde_urlencoded would (see [`encode`]). Answers are decoded exactly as
//! the form encoding defines: pairs split on `&`, each pair split on its
//! *first* `=`, `+` read as a space and `%XX` escapes decoded, so a base64
//! value such as `DXbd...2sM%3D` comes back whole with its `=` padding.

use std::fmt;

/// The character set a form body's decoded bytes are read in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Charset {
    /// UTF-8 (what gw sends, and what the gateway answers in).
    Utf8,
    /// ISO-8859-1: the gateway's reading of a body whose Content-Type names no charset.
    Latin1,
}

impl Charset {
    /// A charset by its name (case-insensitive): UTF-8, or ISO-8859-1 and
    /// its aliases (US-ASCII is a subset of it). `None` for any other.
    pub fn from_name(name: &str) -> Option<Charset> {
        match name.trim().trim_matches('"').to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Some(Charset::Utf8),
            "iso-8859-1" | "iso8859-1" | "latin1" | "us-ascii" => Some(Charset::Latin1),
            _ => None,
        }
    }

    /// The `charset` parameter of a `Content-Type` value, if it has one.
    pub fn parameter(content_type: &str) -> Option<&str> {
        content_type.split(';').skip(1).find_map(|param| {
            let (key, value) = param.split_once('=')?;
            key.trim().eq_ignore_ascii_case("charset").then_some(value)
        })
    }

    /// The charset a `Content-Type` header value names: UTF-8 when it says
    /// `charset=UTF-8` (any case), else ISO-8859-1 as the gateway assumes.
    pub fn from_content_type(content_type: &str) -> Charset {
        Charset::parameter(content_type).and_then(Charset::from_name).unwrap_or(Charset::Latin1)
    }
}

/// A body that is not a well-formed form encoding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// A `%` not followed by two hexadecimal digits, at this byte offset.
    BadEscape {
        /// The byte offset of the `%` in the body.
        offset: usize,
    },
    /// The decoded bytes of the pair at this index (0-based) are not UTF-8.
    InvalidUtf8 {
        /// The index of the pair (0-based).
        pair: usize,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::BadEscape { offset } => write!(f, "malformed %-escape at byte {offset} of the form body"),
            DecodeError::InvalidUtf8 { pair } => write!(f, "pair {pair} of the form body is not valid UTF-8"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// Encodes name/value pairs as a form body, in the order given.
///
/// The form encoding's serializer, byte for byte (what serde_urlencoded
/// writes): `A-Z a-z 0-9 * - . _` as they are, space as `+`, every other byte
/// `%XX` in upper case. Written here so that runs of plain bytes are copied
/// whole into one buffer sized up front (the hot path of every call).
pub fn encode<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> String {
    let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_ref(), v.as_ref())).collect();
    let mut body = Vec::new();
    encode_into(&borrowed, &mut body);
    // Never fails: the encoding writes ASCII only.
    String::from_utf8(body).unwrap_or_default()
}

/// The length of `pairs` once form-encoded by [`encode_into`].
pub fn encoded_len(pairs: &[(&str, &str)]) -> usize {
    let separators = (2 * pairs.len()).saturating_sub(1); // n '=' and n - 1 '&'
    pairs.iter().map(|(k, v)| escaped_len(k) + escaped_len(v)).sum::<usize>() + separators
}

/// Appends `pairs` form-encoded to `out` (what [`encode`] returns), after
/// reserving the exact size, so that `out` is never reallocated while it
/// holds part of the body: a reallocation would free a partial copy of the
/// password or card data (the caller wipes only `out`).
pub fn encode_into(pairs: &[(&str, &str)], out: &mut Vec<u8>) {
    out.reserve_exact(encoded_len(pairs));
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        escape_into(name, out);
        out.push(b'=');
        escape_into(value, out);
    }
}

/// Whether the form encoding writes `byte` as it is.
fn is_plain(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'*' | b'-' | b'.' | b'_')
}

/// The length of `text` once escaped by [`escape_into`].
fn escaped_len(text: &str) -> usize {
    text.bytes().map(|byte| if is_plain(byte) || byte == b' ' { 1 } else { 3 }).sum()
}

fn escape_into(text: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let bytes = text.as_bytes();
    let mut plain = 0;
    for (i, &byte) in bytes.iter().enumerate() {
        if is_plain(byte) {
            continue;
        }
        // Runs of plain bytes are copied whole.
        out.extend_from_slice(&bytes[plain..i]);
        if byte == b' ' {
            out.push(b'+');
        } else {
            out.extend_from_slice(&[b'%', HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 0xF)]]);
        }
        plain = i + 1;
    }
    out.extend_from_slice(&bytes[plain..]);
}

/// Decodes a form body into name/value pairs, in the order they appear.
///
/// Empty pieces (`a=1&&b=2`) are skipped; a piece without `=` is a name with an
/// empty value, as the form encoding defines.
pub fn decode(body: &[u8], charset: Charset) -> Result<Vec<(String, String)>, DecodeError> {
    let mut pairs = Vec::new();
    decode_each(body, charset, |name, value| pairs.push((name.to_owned(), value.to_owned())))?;
    Ok(pairs)
}

/// Decodes a form body as [`decode`] does, handing each pair to `each` as it
/// is decoded, borrowed from one scratch buffer: no allocation per pair (what
/// [`Response`](crate::Response) builds its one buffer from). On an error,
/// the pairs before it have been handed over.
pub fn decode_each(body: &[u8], charset: Charset, mut each: impl FnMut(&str, &str)) -> Result<(), DecodeError> {
    let mut scratch: Vec<u8> = Vec::new();
    let mut utf8 = String::new();
    let mut offset = 0;
    let mut index = 0;
    for piece in body.split(|&b| b == b'&') {
        if !piece.is_empty() {
            let eq = piece.iter().position(|&b| b == b'=').unwrap_or(piece.len());
            scratch.clear();
            unescape(&piece[..eq], offset, &mut scratch)?;
            let name_len = scratch.len();
            unescape(piece.get(eq + 1..).unwrap_or(&[]), offset + eq + 1, &mut scratch)?;
            let (name, value) = match charset {
                Charset::Utf8 => {
                    let (name, value) = scratch.split_at(name_len);
                    let invalid = |_| DecodeError::InvalidUtf8 { pair: index };
                    (std::str::from_utf8(name).map_err(invalid)?, std::str::from_utf8(value).map_err(invalid)?)
                }
                Charset::Latin1 => {
                    utf8.clear();
                    utf8.extend(scratch[..name_len].iter().copied().map(char::from));
                    let name_end = utf8.len();
                    utf8.extend(scratch[name_len..].iter().copied().map(char::from));
                    utf8.split_at(name_end)
                }
            };
            each(name, value);
            index += 1;
        }
        offset += piece.len() + 1;
    }
    Ok(())
}

/// Appends the decoded bytes of `raw` (which starts at byte `offset` of the body) to `out`.
fn unescape(raw: &[u8], offset: usize, out: &mut Vec<u8>) -> Result<(), DecodeError> {
    out.reserve(raw.len());
    let mut i = 0;
    while i < raw.len() {
        // Runs of plain bytes (most of an answer) are copied whole.
        let run = raw[i..].iter().position(|&b| b == b'+' || b == b'%').unwrap_or(raw.len() - i);
        out.extend_from_slice(&raw[i..i + run]);
        i += run;
        match raw.get(i) {
            Some(b'+') => out.push(b' '),
            Some(b'%') => {
                let mut byte = [0u8; 1];
                let digits = raw.get(i + 1..i + 3).ok_or(DecodeError::BadEscape { offset: offset + i })?;
                hex::decode_to_slice(digits, &mut byte).map_err(|_| DecodeError::BadEscape { offset: offset + i })?;
                out.push(byte[0]);
                i += 2;
            }
            _ => break,
        }
        i += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_reserved_characters() {
        let pairs = vec![("a b".to_string(), "x=y&z+%/é".to_string())];
        let body = encode(&pairs);
        assert_eq!(decode(body.as_bytes(), Charset::Utf8).unwrap(), pairs);
    }

    #[test]
    fn latin1_and_bad_escapes() {
        assert_eq!(decode(b"n=%E9", Charset::Latin1).unwrap(), vec![("n".into(), "é".into())]);
        assert_eq!(decode(b"n=%E9", Charset::Utf8), Err(DecodeError::InvalidUtf8 { pair: 0 }));
        assert_eq!(decode(b"a=1&n=%G1", Charset::Utf8), Err(DecodeError::BadEscape { offset: 6 }));
        assert_eq!(decode(b"n=%4", Charset::Utf8), Err(DecodeError::BadEscape { offset: 2 }));
    }

    #[test]
    fn encode_writes_what_serde_urlencoded_writes() {
        let texts = ["", "plain", "a b", "x=y&z+%/é", "*-._~!'()", "\0\u{7f}\u{80}ÿ€😀", "card.number", "DXbd+/2sM="];
        for name in texts {
            for value in texts {
                let pairs = [(name, value), ("second", value)];
                let body = encode(&pairs);
                assert_eq!(body, serde_urlencoded::to_string(pairs).unwrap(), "{name:?}={value:?}");
                // Sized exactly up front: never reallocated, so no unwiped partial copy is freed.
                assert_eq!(body.capacity(), body.len(), "{name:?}={value:?}");
            }
        }
        assert_eq!(encode::<&str, &str>(&[]), "");
    }

    #[test]
    fn content_type_charset() {
        assert_eq!(Charset::from_content_type("application/x-www-form-urlencoded; charset=UTF-8"), Charset::Utf8);
        assert_eq!(Charset::from_content_type("application/x-www-form-urlencoded"), Charset::Latin1);
    }
}
