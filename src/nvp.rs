//! The NVP codec: `application/x-www-form-urlencoded` bodies, both ways.
//!
//! Requests are encoded as serde_urlencoded would (see [`encode`]). Answers are decoded exactly as
//! the form encoding defines: pairs split on `&`, each pair split on its
//! *first* `=`, `+` read as a space and `%XX` escapes decoded, so a base64
//! value such as `DXbd...2sM%3D` comes back whole with its `=` padding.

use std::fmt;
use std::ops::Range;

use crate::ascii;

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
        // Compared without a lower-cased copy: every answer names its charset.
        let name = name.trim().trim_matches('"');
        let is = |names: &[&str]| names.iter().any(|known| known.eq_ignore_ascii_case(name));
        if is(&["utf-8", "utf8"]) {
            Some(Charset::Utf8)
        } else if is(&["iso-8859-1", "iso8859-1", "latin1", "us-ascii"]) {
            Some(Charset::Latin1)
        } else {
            None
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
        // What the gateway sends on every answer, recognised without parsing.
        if content_type == FORM_CONTENT_TYPE {
            return Charset::Utf8;
        }
        Charset::parameter(content_type).and_then(Charset::from_name).unwrap_or(Charset::Latin1)
    }
}

/// The `Content-Type` of a form body in UTF-8: what the gateway answers with,
/// and what gw sends.
pub const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=UTF-8";

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
/// `%XX` in upper case. A thin wrapper of [`encode_into`], into a buffer of
/// its own.
pub fn encode<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> String {
    let mut body = Vec::new();
    encode_into(pairs, &mut body);
    // Never fails: the encoding is ASCII. The buffer is kept, not copied.
    String::from_utf8(body).unwrap_or_default()
}

/// Appends the form body of `pairs` to `out`, as [`encode`] writes it: what
/// a transport calls to encode into a buffer it reuses.
///
/// `out` is grown once, by exactly the body's size, before anything is
/// written, and not at all when it has room: it is never reallocated while a
/// partial copy of the password or card data is in it. (The wipe-on-free
/// allocator would wipe the old block anyway; the caller wipes `out` itself
/// when it is done with the body.)
pub fn encode_into<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)], out: &mut Vec<u8>) {
    encode_known_into(pairs, 0, out);
}

/// [`encode_into`], with the pairs whose name and value are known to be
/// plain whole (bit `i` for pair `i`): those are not read for sizing.
fn encode_known_into<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)], known_plain: u64, out: &mut Vec<u8>) {
    // Sizing reads every byte not known plain; it also notes which of the
    // first 64 pairs are plain whole (a hex payload, field names), so that
    // writing them is a copy, not a second read.
    let mut plain_pairs = 0u64;
    let mut size = (2 * pairs.len()).saturating_sub(1); // n '=' and n - 1 '&'
    for (i, (name, value)) in pairs.iter().enumerate() {
        let bit = 1u64.checked_shl(i as u32).unwrap_or(0);
        let (name, value) = (name.as_ref(), value.as_ref());
        if known_plain & bit != 0 {
            // Checked where the tests run: a value wrongly marked plain
            // would be sent unescaped.
            debug_assert!(is_plain(name) && is_plain(value), "pair {i} marked plain");
            size += name.len() + value.len();
            plain_pairs |= bit;
            continue;
        }
        let (name, value) = (escaped_len(name), escaped_len(value));
        size += name.0 + value.0;
        if name.1 && value.1 {
            plain_pairs |= bit;
        }
    }
    out.reserve_exact(size);
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        let (name, value) = (name.as_ref().as_bytes(), value.as_ref().as_bytes());
        if plain_pairs & 1u64.checked_shl(i as u32).unwrap_or(0) != 0 {
            out.extend_from_slice(name);
            out.push(b'=');
            out.extend_from_slice(value);
        } else {
            escape_into(name, out);
            out.push(b'=');
            escape_into(value, out);
        }
    }
}

/// Whether the form encoding writes every byte of `text` as it is.
pub fn is_plain(text: &str) -> bool {
    plain_len(text.as_bytes()) == text.len()
}

/// A request's pairs, in order, and which of them are known to be written
/// as they are (their values passed a field rule whose characters the form
/// encoding never escapes: hexadecimal, digits, letters and digits), so the
/// encoder does not read them a second time: a card's payload is up to 1,024
/// hex digits, already read once by its rule. It reads as the slice of pairs.
#[derive(Clone, Copy)]
pub struct Form<'a> {
    pairs: &'a [(&'a str, &'a str)],
    known_plain: u64,
}

impl<'a> Form<'a> {
    /// Pairs of which none is known plain: every byte is read.
    pub fn new(pairs: &'a [(&'a str, &'a str)]) -> Form<'a> {
        Form { pairs, known_plain: 0 }
    }

    /// Pairs with bit `i` of `known_plain` set when pair `i`'s name and
    /// value are plain whole: the caller's word, from the field rules
    /// (checked by a debug assertion where the tests run).
    pub(crate) fn with_known_plain(pairs: &'a [(&'a str, &'a str)], known_plain: u64) -> Form<'a> {
        Form { pairs, known_plain }
    }

    /// Bit `i` set when pair `i` is known plain.
    #[cfg(test)]
    pub(crate) fn known_plain(&self) -> u64 {
        self.known_plain
    }

    /// Appends the form body to `out`, as [`encode_into`] does.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        encode_known_into(self.pairs, self.known_plain, out);
    }
}

impl<'a> std::ops::Deref for Form<'a> {
    type Target = [(&'a str, &'a str)];

    fn deref(&self) -> &Self::Target {
        self.pairs
    }
}

/// How the form encoding writes each byte: as it is, as `+`, or `%XX`. A
/// table, because every byte of every value is looked up (a card's payload
/// is up to 1,024 of them).
const PLAIN: u8 = 0;
const PLUS: u8 = 1;
const PERCENT: u8 = 2;
static ENCODED_AS: [u8; 256] = {
    let mut table = [PERCENT; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        if ascii::is_form_plain(b) {
            table[byte] = PLAIN;
        } else if b == b' ' {
            table[byte] = PLUS;
        }
        byte += 1;
    }
    table
};

/// How many leading bytes the form encoding writes as they are (eight at a
/// time: a field name or a hex payload is plain whole).
///
/// Alphanumeric runs are skipped first, at two range tests a word instead
/// of five: most values are alphanumeric whole (a hex payload, digits).
#[inline(always)]
fn plain_len(bytes: &[u8]) -> usize {
    let alphanumeric = ascii::passing_prefix(bytes, ascii::alphanumeric_word, u8::is_ascii_alphanumeric);
    if alphanumeric == bytes.len() {
        return alphanumeric;
    }
    alphanumeric
        + ascii::passing_prefix(&bytes[alphanumeric..], plain_word, |&byte| ENCODED_AS[usize::from(byte)] == PLAIN)
}

/// The plain bytes of [`ENCODED_AS`] in an ASCII word, as their high bits.
#[inline(always)]
fn plain_word(word: u64) -> u64 {
    ascii::alphanumeric_word(word)
        | ascii::in_range(word, b'-', b'.')
        | ascii::in_range(word, b'*', b'*')
        | ascii::in_range(word, b'_', b'_')
}

/// The length of `text` once escaped by [`escape_into`], and whether it is
/// plain whole (written as it is).
fn escaped_len(text: &str) -> (usize, bool) {
    let bytes = text.as_bytes();
    let mut at = plain_len(bytes);
    if at == bytes.len() {
        return (at, true);
    }
    let mut len = bytes.len();
    loop {
        let Some(&byte) = bytes.get(at) else { return (len, false) };
        if ENCODED_AS[usize::from(byte)] == PERCENT {
            len += 2;
        }
        at += 1;
        at += plain_len(&bytes[at..]);
    }
}

fn escape_into(bytes: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut rest = bytes;
    loop {
        // Runs of plain bytes (all of a hex payload) are copied whole.
        let run = plain_len(rest);
        out.extend_from_slice(&rest[..run]);
        let Some((&byte, after)) = rest[run..].split_first() else { return };
        if ENCODED_AS[usize::from(byte)] == PLUS {
            out.push(b'+');
        } else {
            out.extend_from_slice(&[b'%', HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 0xF)]]);
        }
        rest = after;
    }
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
/// is decoded, borrowed from one buffer (see [`decode_into`]): no allocation
/// per pair. On an error, the pairs before it have been handed over.
pub fn decode_each(body: &[u8], charset: Charset, mut each: impl FnMut(&str, &str)) -> Result<(), DecodeError> {
    let mut text = Vec::new();
    let mut pair = 0;
    decode_into(body, charset, &mut text, |out, name, value| {
        // Never fails: `decode_into` hands over UTF-8 only.
        let utf8 = |range| std::str::from_utf8(&out[range]).map_err(|_| DecodeError::InvalidUtf8 { pair });
        each(utf8(name)?, utf8(value)?);
        pair += 1;
        Ok(())
    })
    .map(|_| ())
}

/// Decodes a form body as [`decode`] does, appending every pair to `out`:
/// its decoded name, a NUL, its decoded value, a NUL (in UTF-8 whatever the
/// charset), so that C strings can point into the buffer.
///
/// `each` gets every pair as it is appended: `out` and where the name and
/// the value lie in it (without their NULs); its error ends the decoding.
/// A pair's decoded bytes are UTF-8 when it is handed over (checked when
/// they are not all ASCII); on an error, `out` holds the pairs before it and
/// maybe part of the bad one. `Ok(true)` when some name or value holds a
/// NUL byte itself, which a C string cannot show.
///
/// In place: the body is copied into `out` once (one `memcpy`, plus a byte
/// for the last NUL), then decoded where it lies. `name=value&` becomes
/// `name NUL value NUL` byte for byte, so an answer without escapes is only
/// read; `%XX` and `+` are decoded as they come, and once an escape has
/// shortened the text the runs after it are moved down. The two cases that
/// grow the text (a Latin-1 byte above 0x7F, two bytes in UTF-8; a name with
/// no `=`, which needs a second NUL) make room with one insertion each.
pub fn decode_into(
    body: &[u8],
    charset: Charset,
    out: &mut Vec<u8>,
    mut each: impl FnMut(&[u8], Range<usize>, Range<usize>) -> Result<(), DecodeError>,
) -> Result<bool, DecodeError> {
    let base = out.len();
    out.reserve(body.len() + 1);
    out.extend_from_slice(body);
    out.push(0);
    // Indices from `base`: `r` reads what is left of the body, `w` writes the
    // decoded text behind it (`w <= r`, so nothing unread is overwritten);
    // `n` is where the body's copy ends.
    let (mut r, mut w, mut n) = (0, 0, body.len());
    // Moves the unread part of the body one byte up, for a decoded text one
    // byte longer than what it was read from.
    let widen = |out: &mut Vec<u8>, w: usize, r: &mut usize, n: &mut usize| {
        out.insert(base + w, 0);
        *r += 1;
        *n += 1;
    };
    let mut has_nul = false;
    let mut pair = 0;
    let result = loop {
        if r >= n {
            break Ok(has_nul);
        }
        if out[base + r] == b'&' {
            r += 1; // an empty piece
            continue;
        }
        let start = w;
        let mut name_end = None;
        let mut ascii = true;
        // Where in the body this piece began, for error offsets.
        let offset = |r: usize, n: usize| r - (n - body.len());
        let piece: Result<(), DecodeError> = loop {
            let run = itself_len(&out[base + r..base + n]);
            if w != r {
                out.copy_within(base + r..base + r + run, base + w);
            }
            r += run;
            w += run;
            let Some(&byte) = out[base..base + n].get(r) else { break Ok(()) };
            let (decoded, read) = match DECODES_AS[usize::from(byte)] {
                PAIR_END => break Ok(()),
                NAME_END if name_end.is_none() => {
                    name_end = Some(w);
                    out[base + w] = 0;
                    w += 1;
                    r += 1;
                    continue;
                }
                SPACE => (b' ', 1),
                ESCAPE => {
                    let digits = out[base..base + n]
                        .get(r + 1..r + 3)
                        .and_then(|d| Some(hex_digit(d[0])? << 4 | hex_digit(d[1])?));
                    match digits {
                        Some(decoded) => (decoded, 3),
                        None => break Err(DecodeError::BadEscape { offset: offset(r, n) }),
                    }
                }
                _ => (byte, 1), // a second '=', a NUL, a byte above 0x7F
            };
            r += read;
            has_nul |= decoded == 0;
            ascii &= decoded.is_ascii();
            match charset {
                Charset::Latin1 if decoded > 0x7F => {
                    if w + 2 > r {
                        widen(out, w, &mut r, &mut n);
                    }
                    let mut utf8 = [0; 2];
                    char::from(decoded).encode_utf8(&mut utf8);
                    out[base + w..base + w + 2].copy_from_slice(&utf8);
                    w += 2;
                }
                _ => {
                    out[base + w] = decoded;
                    w += 1;
                }
            }
        };
        if let Err(err) = piece {
            break Err(err);
        }
        // The piece ends at `r` (its '&', or the spare byte after the body):
        // `w..=r` may be written.
        let name_end = match name_end {
            Some(end) => end,
            None => {
                // A name with no '=': its NUL, then the empty value's.
                if w == r {
                    widen(out, w, &mut r, &mut n);
                }
                out[base + w] = 0;
                w += 1;
                w - 1
            }
        };
        if !ascii && std::str::from_utf8(&out[base + start..base + w]).is_err() {
            break Err(DecodeError::InvalidUtf8 { pair });
        }
        if let Err(err) = each(out, base + start..base + name_end, base + name_end + 1..base + w) {
            break Err(err);
        }
        out[base + w] = 0;
        w += 1;
        pair += 1;
        r += 1; // the '&' that ended the piece
    };
    out.truncate(base + w);
    result
}

/// What the decoder does with each byte of a body: most bytes decode as
/// themselves; these end a pair or a name, or are decoded.
const ITSELF: u8 = 0;
const PAIR_END: u8 = 1;
const NAME_END: u8 = 2;
const SPACE: u8 = 3;
const ESCAPE: u8 = 4;
const OTHER: u8 = 5;
static DECODES_AS: [u8; 256] = {
    let mut table = [ITSELF; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = match byte as u8 {
            b'&' => PAIR_END,
            b'=' => NAME_END,
            b'+' => SPACE,
            b'%' => ESCAPE,
            // Noted (a NUL) or converted (Latin-1) one at a time.
            0 | 0x80..=0xFF => OTHER,
            _ => ITSELF,
        };
        byte += 1;
    }
    table
};

/// How many leading bytes of a body decode as themselves ([`ITSELF`] in
/// [`DECODES_AS`]), eight at a time: the decoder's one pass reads every
/// byte of the answer (630 of them for a TOKENIZE), mostly in such runs.
#[inline(always)]
fn itself_len(bytes: &[u8]) -> usize {
    ascii::passing_prefix(bytes, itself_word, |&byte| DECODES_AS[usize::from(byte)] == ITSELF)
}

/// The bytes of an ASCII word that decode as themselves, as their high
/// bits: all but NUL, `%`, `&`, `+` and `=`.
#[inline(always)]
fn itself_word(word: u64) -> u64 {
    !(ascii::in_range(word, 0, 0)
        | ascii::in_range(word, b'%', b'&')
        | ascii::in_range(word, b'+', b'+')
        | ascii::in_range(word, b'=', b'='))
}

/// The value of a hexadecimal digit.
#[inline(always)]
fn hex_digit(digit: u8) -> Option<u8> {
    char::from(digit).to_digit(16).and_then(|value| u8::try_from(value).ok())
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
    fn encode_into_appends_and_grows_once_by_the_exact_size() {
        let pairs = [("apiPassword", "pa ss/wörd"), ("merchant", "M1")];
        let expected = encode(&pairs);
        let mut out = b"kept&".to_vec();
        out.shrink_to_fit();
        encode_into(&pairs, &mut out);
        assert_eq!(out, [&b"kept&"[..], expected.as_bytes()].concat());
        assert_eq!(out.capacity(), out.len(), "grown by exactly the body's size");
        // A buffer with room is written in place: the transport's reused buffer.
        let mut reused = Vec::with_capacity(256);
        let before = reused.as_ptr();
        encode_into(&pairs, &mut reused);
        assert_eq!((reused.as_ptr(), reused.capacity()), (before, 256));
        assert_eq!(reused, expected.as_bytes());
    }

    /// Pairs known plain are copied, not read: the body is the same.
    #[test]
    fn a_form_known_plain_encodes_as_the_encoder_does() {
        let pairs = [("sourceOfFunds.type", "CARD"), ("apiPassword", "p&ss w=rd%"), ("payload", "0A1B")];
        for known in 0..8 {
            let known = known & 0b101; // never the password
            let mut body = Vec::new();
            Form::with_known_plain(&pairs, known).encode_into(&mut body);
            assert_eq!(body, encode(&pairs).into_bytes(), "{known:b}");
        }
    }

    /// A pair wrongly marked plain would go out unescaped: where the tests
    /// run, the encoder refuses it.
    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "marked plain")]
    fn a_pair_wrongly_marked_plain_is_caught() {
        Form::with_known_plain(&[("apiPassword", "p&ss")], 1).encode_into(&mut Vec::new());
    }

    /// The decoded text, each pair's (name, value, end) offsets, and whether a NUL was decoded.
    type Decoded = (Vec<u8>, Vec<(usize, usize, usize)>, bool);

    /// The form encoding's decoding as its definition reads, written the
    /// plain way: what the in-place decoder must agree with, byte for byte,
    /// error for error.
    fn reference(body: &[u8], charset: Charset) -> Result<Decoded, DecodeError> {
        let (mut out, mut spans, mut has_nul) = (Vec::new(), Vec::new(), false);
        let mut offset = 0;
        for (pair, piece) in
            body.split(|&b| b == b'&').enumerate().filter(|(_, p)| !p.is_empty()).map(|(_, p)| p).enumerate()
        {
            let piece_offset = offset + body[offset..].windows(piece.len()).position(|w| w == piece).unwrap_or(0);
            offset = piece_offset + piece.len();
            let eq = piece.iter().position(|&b| b == b'=').unwrap_or(piece.len());
            let start = out.len();
            let mut name_end = start;
            let mut ascii = true;
            for (part, (from, at)) in
                [(&piece[..eq], piece_offset), (piece.get(eq + 1..).unwrap_or(&[]), piece_offset + eq + 1)]
                    .into_iter()
                    .enumerate()
            {
                let mut i = 0;
                while i < from.len() {
                    let byte = match from[i] {
                        b'+' => b' ',
                        b'%' => {
                            let digits = from.get(i + 1..i + 3).and_then(|d| {
                                u8::from_str_radix(std::str::from_utf8(d).ok()?, 16)
                                    .ok()
                                    .filter(|_| d.iter().all(u8::is_ascii_hexdigit))
                            });
                            i += 2;
                            digits.ok_or(DecodeError::BadEscape { offset: at + i - 2 })?
                        }
                        other => other,
                    };
                    has_nul |= byte == 0;
                    ascii &= byte.is_ascii();
                    match charset {
                        Charset::Latin1 if byte > 0x7F => {
                            out.extend_from_slice(char::from(byte).to_string().as_bytes())
                        }
                        _ => out.push(byte),
                    }
                    i += 1;
                }
                if part == 0 {
                    name_end = out.len();
                    out.push(0);
                }
            }
            if !ascii && std::str::from_utf8(&out[start..]).is_err() {
                return Err(DecodeError::InvalidUtf8 { pair });
            }
            spans.push((start, name_end + 1, out.len()));
            out.push(0);
        }
        Ok((out, spans, has_nul))
    }

    /// The in-place decoder against [`reference`] on every body of up to 5
    /// bytes over an alphabet of the bytes that matter (separators, escapes,
    /// hex digits and not, NUL, Latin-1 and UTF-8 bytes), in both charsets,
    /// and on longer random bodies.
    #[test]
    fn decode_into_agrees_with_the_definition() {
        let alphabet: Vec<u8> = vec![b'a', b'=', b'&', b'+', b'%', b'4', b'F', 0, 0xE9, 0xC3, 0xA9, b'G'];
        let check = |body: &[u8]| {
            for charset in [Charset::Utf8, Charset::Latin1] {
                let mut out = b"kept".to_vec();
                let mut spans = Vec::new();
                let got = decode_into(body, charset, &mut out, |_, name, value| {
                    spans.push((name.start - 4, value.start - 4, value.end - 4));
                    Ok(())
                });
                let want = reference(body, charset);
                match (got, want) {
                    (Ok(has_nul), Ok((text, want_spans, want_nul))) => {
                        assert_eq!(
                            (&out[4..], &spans, has_nul),
                            (&text[..], &want_spans, want_nul),
                            "{body:?} {charset:?}"
                        );
                        assert_eq!(&out[..4], b"kept");
                    }
                    (got, want) => assert_eq!(got.err(), want.err(), "{body:?} {charset:?}"),
                }
            }
        };
        let mut body = Vec::new();
        fn all(len: usize, alphabet: &[u8], body: &mut Vec<u8>, check: &dyn Fn(&[u8])) {
            check(body);
            if body.len() == len {
                return;
            }
            for &b in alphabet {
                body.push(b);
                all(len, alphabet, body, check);
                body.pop();
            }
        }
        // Under Miri (undefined behaviour, about 1,000 times slower) a
        // sample: the exhaustive run is the native one.
        all(if cfg!(miri) { 2 } else { 5 }, &alphabet, &mut body, &check);
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..if cfg!(miri) { 200 } else { 20_000 } {
            let len = (seed % 40) as usize;
            let body: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    alphabet[(seed % alphabet.len() as u64) as usize]
                })
                .collect();
            check(&body);
        }
    }

    #[test]
    fn decode_into_lays_out_name_nul_value_nul() {
        let mut out = Vec::new();
        let mut seen = Vec::new();
        let body = b"a=1&&b%3D=x+y&c&e=%C3%A9";
        let has_nul = decode_into(body, Charset::Utf8, &mut out, |out, name, value| {
            let text = |range: Range<usize>| String::from_utf8(out[range].to_vec()).unwrap();
            seen.push((text(name.clone()), text(value.clone()), name.start, value.start));
            Ok(())
        });
        assert_eq!(has_nul, Ok(false));
        assert_eq!(out, b"a\x001\x00b=\x00x y\x00c\x00\x00e\x00\xC3\xA9\x00");
        let expected = [("a", "1", 0, 2), ("b=", "x y", 4, 7), ("c", "", 11, 13), ("e", "\u{e9}", 14, 16)];
        assert_eq!(seen, expected.map(|(n, v, at, value_at)| (n.to_owned(), v.to_owned(), at, value_at)));
        assert_eq!(decode_into(b"a=%00", Charset::Utf8, &mut Vec::new(), |_, _, _| Ok(())), Ok(true));
    }

    #[test]
    fn raw_and_escaped_bytes_decode_alike_in_both_charsets() {
        // A UTF-8 character half raw, half escaped; Latin-1 raw and escaped.
        assert_eq!(decode(b"n=\xC3%A9", Charset::Utf8).unwrap(), [("n".into(), "\u{e9}".into())]);
        assert_eq!(decode(b"n\xE9=\xE9%E9+", Charset::Latin1).unwrap(), [("n\u{e9}".into(), "\u{e9}\u{e9} ".into())]);
        // The first error in the body is the one reported.
        assert_eq!(decode(b"a=%FF&b=%G1", Charset::Utf8), Err(DecodeError::InvalidUtf8 { pair: 0 }));
        assert_eq!(decode(b"a=%G1&b=%FF", Charset::Utf8), Err(DecodeError::BadEscape { offset: 2 }));
    }

    #[test]
    fn decode_reads_what_serde_urlencoded_reads() {
        let bodies: [&[u8]; 9] = [
            b"",
            b"&&a=1&&",
            b"a=1=2&b&c=",
            b"=v&n=",
            b"x%3Dy=%26%2B+%25&k=DXbd%2B%2F2sM%3D",
            b"t=2026-11-30T04%3A31%3A09.679Z&r=SUCCESS",
            b"u=%C3%A9%e2%82%ac+%F0%9F%98%80&raw=\xC3\xA9",
            b"a+b+=+c+",
            b"%41%42=%7e%7E",
        ];
        for body in bodies {
            let expected: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap();
            assert_eq!(decode(body, Charset::Utf8).unwrap(), expected, "{}", String::from_utf8_lossy(body));
        }
    }

    /// The word scans agree with the byte tables: the encoder's plain
    /// bytes, the decoder's bytes that decode as themselves.
    #[test]
    fn words_are_the_tables_bytes() {
        type Scan = (fn(&[u8]) -> usize, fn(u8) -> bool);
        let scans: [Scan; 2] = [
            (plain_len, |byte| ENCODED_AS[usize::from(byte)] == PLAIN),
            (itself_len, |byte| DECODES_AS[usize::from(byte)] == ITSELF),
        ];
        for (scan, passes) in scans {
            for value in 0..=255u8 {
                for at in 0..11 {
                    let mut text = *b"a.b_c-d*e0Z";
                    text[at] = value;
                    assert_eq!(scan(&text), if passes(value) { 11 } else { at }, "{value:#04x} at {at}");
                }
            }
        }
    }

    #[test]
    fn content_type_charset() {
        assert_eq!(Charset::from_content_type("application/x-www-form-urlencoded; charset=UTF-8"), Charset::Utf8);
        assert_eq!(Charset::from_content_type("application/x-www-form-urlencoded"), Charset::Latin1);
        assert_eq!(Charset::from_content_type(FORM_CONTENT_TYPE), Charset::Utf8);
        assert_eq!(Charset::from_content_type("text/plain; CHARSET=\"utf8\""), Charset::Utf8);
        assert_eq!(Charset::from_content_type("application/x-www-form-urlencoded; charset=latin1"), Charset::Latin1);
    }
}
