//! Byte-class tests over ASCII text, eight bytes at a time: every value a
//! call sends is read by the field rules and by the encoder, and a card's
//! payload is up to 1,024 hex digits. One word of eight bytes is tested with
//! a few additions instead of eight table look-ups (SWAR); what does not
//! fill a word is tested byte by byte.

const ONES: u64 = u64::from_le_bytes([1; 8]);
const HIGH_BITS: u64 = ONES * 0x80;
/// `| CASE` makes an ASCII letter lower case and leaves digits as they are.
pub(crate) const CASE: u64 = ONES * 0x20;

/// The bytes of `word` that lie in `low..=high`, as their high bits; every
/// byte of `word` must be below 0x80 (no addition then carries into the
/// next byte: `x + 0x80 - low` and `x + 0x7F - high` stay below 0x100).
#[inline(always)]
pub(crate) const fn in_range(word: u64, low: u8, high: u8) -> u64 {
    let at_least_low = word.wrapping_add(ONES * (0x80 - low as u64));
    let above_high = word.wrapping_add(ONES * (0x7F - high as u64));
    at_least_low & !above_high & HIGH_BITS
}

/// Whether the form encoding (`application/x-www-form-urlencoded`) writes
/// `byte` as it is: `A-Z a-z 0-9 * - . _`. The one definition: the codec's
/// table and the rules' "needs no escaping" are built from it.
pub(crate) const fn is_form_plain(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'*' | b'-' | b'.' | b'_')
}

#[inline(always)]
fn hex_word(word: u64) -> u64 {
    in_range(word, b'0', b'9') | in_range(word | CASE, b'a', b'f')
}

#[inline(always)]
fn digit_word(word: u64) -> u64 {
    in_range(word, b'0', b'9')
}

#[inline(always)]
pub(crate) fn alphanumeric_word(word: u64) -> u64 {
    in_range(word, b'0', b'9') | in_range(word | CASE, b'a', b'z')
}

#[inline(always)]
fn printable_word(word: u64) -> u64 {
    in_range(word, b' ', b'~')
}

/// How many leading bytes of `text` pass: `word` gives the high bits of the
/// bytes of an ASCII word that pass (built from [`in_range`]), `byte` tests
/// one byte, the same way.
///
/// The first word with a byte that fails says where that byte is: the
/// lowest high bit of its failing bytes (bytes are read little-endian, so
/// byte 0 is the low byte on every target). A byte of 0x80 or above fails,
/// and may carry into the bytes *after* it in [`in_range`]'s additions,
/// never into those before it: the first failing byte is found exactly.
/// What does not fill a word (a name's last bytes) is tested one byte at a
/// time.
// Always inlined: at the library's `opt-level = "s"` the word test and
// the 8-byte load were calls, per eight bytes of every value.
#[inline(always)]
pub(crate) fn passing_prefix(text: &[u8], word: impl Fn(u64) -> u64, byte: impl Fn(&u8) -> bool) -> usize {
    let mut chunks = text.chunks_exact(8);
    let mut passed = 0;
    for chunk in chunks.by_ref() {
        let value =
            u64::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3], chunk[4], chunk[5], chunk[6], chunk[7]]);
        let failing = (value | !word(value)) & HIGH_BITS;
        if failing != 0 {
            return passed + (failing.trailing_zeros() / 8) as usize;
        }
        passed += 8;
    }
    let tail = chunks.remainder();
    passed + tail.iter().position(|b| !byte(b)).unwrap_or(tail.len())
}

/// Whether every byte is a hexadecimal digit (0-9, a-f, A-F).
pub(crate) fn all_hex(text: &[u8]) -> bool {
    passing_prefix(text, hex_word, u8::is_ascii_hexdigit) == text.len()
}

/// Whether every byte is a digit (0-9).
pub(crate) fn all_digits(text: &[u8]) -> bool {
    passing_prefix(text, digit_word, u8::is_ascii_digit) == text.len()
}

/// Whether every byte is a letter or digit (0-9, a-z, A-Z).
pub(crate) fn all_alphanumeric(text: &[u8]) -> bool {
    passing_prefix(text, alphanumeric_word, u8::is_ascii_alphanumeric) == text.len()
}

/// Whether every byte is printable ASCII or a space (`' '..='~'`).
pub(crate) fn all_printable(text: &[u8]) -> bool {
    passing_prefix(text, printable_word, |b| (b' '..=b'~').contains(b)) == text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every byte value, at every position of a word and in the tail, is
    /// judged as the standard library judges it alone.
    #[test]
    fn words_agree_with_the_byte_tests() {
        type Test = (fn(&[u8]) -> bool, fn(&u8) -> bool);
        let tests: [Test; 4] = [
            (all_hex, u8::is_ascii_hexdigit),
            (all_digits, u8::is_ascii_digit),
            (all_alphanumeric, u8::is_ascii_alphanumeric),
            (all_printable, |b| (b' '..=b'~').contains(b)),
        ];
        for (all, byte) in tests {
            for fill in [b'0', b'7', b'a', b'F', b' '] {
                if !byte(&fill) {
                    continue;
                }
                // Under Miri (about 1,000 times slower) every 15th byte value,
                // 0x00 and 0xFF included: every value runs natively.
                for value in (0..=255u8).step_by(if cfg!(miri) { 15 } else { 1 }) {
                    for at in 0..19 {
                        let mut text = [fill; 19];
                        text[at] = value;
                        assert_eq!(all(&text), byte(&value), "{value:#04x} at {at} among {fill:#04x}");
                    }
                }
            }
        }
        assert!(all_hex(b"") && all_digits(b""));
    }

    /// The prefix ends at the first byte that fails, wherever it lies and
    /// whatever follows it (a byte above 0x7F after it carries in the
    /// word's additions).
    #[test]
    #[cfg_attr(miri, ignore = "exhaustive logic with no unsafe code: runs natively (Miri is ~1,000 times slower)")]
    fn the_prefix_ends_at_the_first_failing_byte() {
        let hex = |text: &[u8]| passing_prefix(text, hex_word, u8::is_ascii_hexdigit);
        for value in 0..=255u8 {
            for at in 0..19 {
                for after in [b'0', 0x80, 0xFF, b'G'] {
                    let mut text = [b'a'; 19];
                    text[at] = value;
                    if at + 1 < text.len() {
                        text[at + 1] = after;
                    }
                    let expected = text.iter().position(|b| !b.is_ascii_hexdigit()).unwrap_or(text.len());
                    assert_eq!(hex(&text), expected, "{value:#04x} at {at}, then {after:#04x}");
                }
            }
        }
    }
}
