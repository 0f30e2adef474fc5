//! The NVP codec: `application/x-www-form-urlencoded` bodies, both ways.
//!
//! Requests are encoded with serde_urlencoded. Answers are decoded exactly as
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
pub fn encode<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> String {
    let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_ref(), v.as_ref())).collect();
    // Serializing a sequence of string pairs cannot fail.
    serde_urlencoded::to_string(borrowed).unwrap_or_default()
}

/// Decodes a form body into name/value pairs, in the order they appear.
///
/// Empty pieces (`a=1&&b=2`) are skipped; a piece without `=` is a name with an
/// empty value, as the form encoding defines.
pub fn decode(body: &[u8], charset: Charset) -> Result<Vec<(String, String)>, DecodeError> {
    let mut pairs = Vec::new();
    let mut offset = 0;
    for piece in body.split(|&b| b == b'&') {
        if !piece.is_empty() {
            let eq = piece.iter().position(|&b| b == b'=').unwrap_or(piece.len());
            let name = unescape(&piece[..eq], offset)?;
            let value = unescape(piece.get(eq + 1..).unwrap_or(&[]), offset + eq + 1)?;
            let index = pairs.len();
            pairs.push((text(name, charset, index)?, text(value, charset, index)?));
        }
        offset += piece.len() + 1;
    }
    Ok(pairs)
}

fn unescape(raw: &[u8], offset: usize) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let mut byte = [0u8; 1];
                let digits = raw.get(i + 1..i + 3).ok_or(DecodeError::BadEscape { offset: offset + i })?;
                hex::decode_to_slice(digits, &mut byte).map_err(|_| DecodeError::BadEscape { offset: offset + i })?;
                out.push(byte[0]);
                i += 2;
            }
            other => out.push(other),
        }
        i += 1;
    }
    Ok(out)
}

fn text(bytes: Vec<u8>, charset: Charset, pair: usize) -> Result<String, DecodeError> {
    match charset {
        Charset::Utf8 => String::from_utf8(bytes).map_err(|_| DecodeError::InvalidUtf8 { pair }),
        Charset::Latin1 => Ok(bytes.into_iter().map(char::from).collect()),
    }
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
    fn content_type_charset() {
        assert_eq!(Charset::from_content_type("application/x-www-form-urlencoded; charset=UTF-8"), Charset::Utf8);
        assert_eq!(Charset::from_content_type("application/x-www-form-urlencoded"), Charset::Latin1);
    }
}
