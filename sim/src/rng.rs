//! Randomness from the operating system (getrandom), with unbiased helpers.

/// Fills `buf` with OS randomness. The OS source failing is not recoverable.
pub fn fill(buf: &mut [u8]) {
    if getrandom::getrandom(buf).is_err() {
        panic!("the operating system's random source failed");
    }
}

/// A uniformly random value below `n` (1..=256), by rejection sampling.
pub fn below(n: u16) -> u8 {
    debug_assert!((1..=256).contains(&n));
    let limit = 256 - (256 % n);
    loop {
        let mut b = [0u8; 1];
        fill(&mut b);
        if u16::from(b[0]) < limit {
            return (u16::from(b[0]) % n) as u8;
        }
    }
}

/// `len` random characters from `alphabet`.
pub fn string_from(alphabet: &[u8], len: usize) -> String {
    (0..len).map(|_| char::from(alphabet[usize::from(below(alphabet.len() as u16))])).collect()
}

/// `len` random decimal digits.
pub fn digits(len: usize) -> String {
    string_from(b"0123456789", len)
}

/// `len` random upper-case alphanumerics.
pub fn upper_alnum(len: usize) -> String {
    string_from(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", len)
}

/// `len` random upper-case hex digits.
pub fn upper_hex(len: usize) -> String {
    string_from(b"0123456789ABCDEF", len)
}

#[cfg(test)]
mod tests {
    #[test]
    fn shapes() {
        assert_eq!(super::digits(15).len(), 15);
        assert!(super::upper_alnum(20).chars().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
        assert!(super::upper_hex(10).chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase()));
    }
}
