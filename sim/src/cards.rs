//! Card numbers: Luhn, brand and scheme from the BIN, 6.4 masking, and the
//! P2PE plaintext layouts (bare PAN, track 2, track 1).
//!
//! Nothing here formats a PAN into a message: errors say what is wrong, never
//! what the number was.

use zeroize::Zeroizing;

/// True when `digits` (ASCII digits only) passes the Luhn check.
pub fn luhn_valid(digits: &str) -> bool {
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && luhn_sum(digits.bytes().rev(), false) % 10 == 0
}

/// The check digit that makes `payload` + digit Luhn-valid.
pub fn luhn_check_digit(payload: &str) -> char {
    let sum = luhn_sum(payload.bytes().rev(), true);
    char::from(b'0' + ((10 - sum % 10) % 10) as u8)
}

fn luhn_sum(rev_digits: impl Iterator<Item = u8>, double_first: bool) -> u32 {
    rev_digits
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if (i % 2 == 0) == double_first {
                let dd = d * 2;
                if dd > 9 {
                    dd - 9
                } else {
                    dd
                }
            } else {
                d
            }
        })
        .sum()
}

/// A card's brand, scheme and funding method as the gateway reports them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CardInfo {
    pub brand: &'static str,
    pub scheme: &'static str,
    pub funding_method: &'static str,
}

/// Brand and scheme from the leading digits. The simulator has no BIN
/// table: the funding method is CHARGE for AMEX and Diners, DEBIT for
/// Maestro, CREDIT for the other known brands, UNKNOWN otherwise.
pub fn card_info(pan: &str) -> CardInfo {
    let prefix = |n: usize| pan.get(..n).and_then(|p| p.parse::<u32>().ok()).unwrap_or(0);
    let in_range = |n: usize, lo: u32, hi: u32| (lo..=hi).contains(&prefix(n));
    let (brand, scheme, funding_method) = if pan.starts_with('4') {
        ("VISA", "VISA", "CREDIT")
    } else if in_range(2, 51, 55) || in_range(4, 2221, 2720) {
        ("MASTERCARD", "MASTERCARD", "CREDIT")
    } else if in_range(2, 34, 34) || in_range(2, 37, 37) {
        ("AMEX", "AMEX", "CHARGE")
    } else if in_range(4, 6011, 6011) || in_range(3, 644, 649) || in_range(2, 65, 65) {
        ("DISCOVER", "DISCOVER", "CREDIT")
    } else if in_range(4, 3528, 3589) {
        ("JCB", "JCB", "CREDIT")
    } else if in_range(2, 36, 36) || in_range(3, 300, 305) || in_range(2, 38, 39) {
        ("DINERS_CLUB", "DINERS_CLUB", "CHARGE")
    } else if in_range(2, 62, 62) {
        ("CHINA_UNIONPAY", "CHINA_UNIONPAY", "CREDIT")
    } else if in_range(2, 50, 50) || in_range(2, 56, 58) || in_range(4, 6304, 6304) || in_range(2, 67, 67) {
        ("MAESTRO", "MASTERCARD", "DEBIT")
    } else {
        ("UNKNOWN", "OTHER", "UNKNOWN")
    };
    CardInfo { brand, scheme, funding_method }
}

/// 6.4 masking: first 6 and last 4 digits kept, the middle as `x`
/// (`400000xxxxxx0002`). Numbers of 10 digits or fewer are fully masked
/// except the last 4.
pub fn mask_6_4(pan: &str) -> String {
    let n = pan.len();
    if n <= 10 {
        let keep = n.saturating_sub(4);
        return "x".repeat(keep) + pan.get(keep..).unwrap_or("");
    }
    let mut s = String::with_capacity(n);
    s.push_str(&pan[..6]);
    s.push_str(&"x".repeat(n - 10));
    s.push_str(&pan[n - 4..]);
    s
}

/// The card data recovered from a decrypted P2PE payload.
pub struct CardData {
    /// The PAN, wiped on drop.
    pub pan: Zeroizing<String>,
    /// `MMYY`, when the plaintext was a track carrying an expiry.
    pub expiry: Option<String>,
}

impl std::fmt::Debug for CardData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardData").field("pan", &mask_6_4(&self.pan)).field("expiry", &self.expiry).finish()
    }
}

/// Why a plaintext is not a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaintextError {
    /// Not a PAN, track 2 or track 1 layout: most often the wrong BDK, KSN,
    /// IV or key variant.
    NotACard,
    /// The number is not 12 to 19 digits.
    BadLength,
    /// The number fails the Luhn check.
    BadLuhn,
}

impl PlaintextError {
    pub fn explanation(self) -> &'static str {
        match self {
            PlaintextError::NotACard => {
                "The payload does not decrypt to a card number (PAN, track 2 or track 1): check the BDK, KSN, initialization vector and key variant"
            }
            PlaintextError::BadLength => "The payload decrypts to a card number that is not 12 to 19 digits",
            PlaintextError::BadLuhn => "The payload decrypts to a card number that fails the Luhn check",
        }
    }
}

/// Parses a decrypted P2PE plaintext: trailing NUL padding removed, then
/// a bare PAN (optionally followed by `=`/`D` and YYMM…, track-2 equivalent),
/// a track 2 `;PAN=YYMM…?` or a track 1 `%BPAN^NAME^YYMM…?`.
pub fn parse_plaintext(plain: &[u8]) -> Result<CardData, PlaintextError> {
    let end = plain.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    let text = std::str::from_utf8(&plain[..end]).map_err(|_| PlaintextError::NotACard)?;
    if text.is_empty() || !text.bytes().all(|b| (0x20..0x7F).contains(&b)) {
        return Err(PlaintextError::NotACard);
    }
    let (pan, after): (String, Option<&str>) = if let Some(rest) = text.strip_prefix(';') {
        let body = rest.split('?').next().unwrap_or("");
        if !rest.contains('?') {
            return Err(PlaintextError::NotACard);
        }
        split_track2(body)?
    } else if let Some(rest) = text.strip_prefix("%B").or_else(|| text.strip_prefix("%b")) {
        let mut parts = rest.splitn(3, '^');
        let pan_part = parts.next().unwrap_or("");
        let _name = parts.next().ok_or(PlaintextError::NotACard)?;
        let tail = parts.next().ok_or(PlaintextError::NotACard)?;
        let pan: String = pan_part.chars().filter(|c| *c != ' ').collect();
        (pan, Some(tail))
    } else {
        split_track2(text)?
    };
    let pan = Zeroizing::new(pan);
    if pan.is_empty() || !pan.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PlaintextError::NotACard);
    }
    if !(12..=19).contains(&pan.len()) {
        return Err(PlaintextError::BadLength);
    }
    if !luhn_valid(&pan) {
        return Err(PlaintextError::BadLuhn);
    }
    let expiry = after.and_then(expiry_from_yymm);
    Ok(CardData { pan, expiry })
}

fn split_track2(body: &str) -> Result<(String, Option<&str>), PlaintextError> {
    match body.find(['=', 'D']) {
        Some(i) => Ok((body[..i].to_string(), Some(&body[i + 1..]))),
        None => Ok((body.to_string(), None)),
    }
}

/// `YYMM…` (track layout) to `MMYY`, when it is a plausible date.
fn expiry_from_yymm(s: &str) -> Option<String> {
    let yymm = s.get(..4)?;
    if !yymm.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let month: u32 = yymm[2..].parse().ok()?;
    (1..=12).contains(&month).then(|| format!("{}{}", &yymm[2..], &yymm[..2]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn() {
        assert!(luhn_valid("4000000000000002"));
        assert!(luhn_valid("5555555555554444"));
        assert!(!luhn_valid("4000000000000003"));
        assert!(!luhn_valid(""));
        assert_eq!(luhn_check_digit("400000000000000"), '2');
        assert_eq!(luhn_check_digit("555555555555444"), '4');
    }

    #[test]
    fn brands() {
        let b = |p: &str| card_info(p).brand;
        assert_eq!(b("4000000000000002"), "VISA");
        assert_eq!(b("5105105105105100"), "MASTERCARD");
        assert_eq!(b("2221000000000009"), "MASTERCARD");
        assert_eq!(b("2720990000000007"), "MASTERCARD");
        assert_eq!(b("2721000000000004"), "UNKNOWN");
        assert_eq!(b("340000000000009"), "AMEX");
        assert_eq!(b("371449635398431"), "AMEX");
        assert_eq!(b("6011000990139424"), "DISCOVER");
        assert_eq!(b("6445644564456445"), "DISCOVER");
        assert_eq!(b("6500000000000002"), "DISCOVER");
        assert_eq!(b("3530111333300000"), "JCB");
        assert_eq!(b("3589000000000000"), "JCB");
        assert_eq!(b("36259600000004"), "DINERS_CLUB");
        assert_eq!(b("30569309025904"), "DINERS_CLUB");
        assert_eq!(b("38520000023237"), "DINERS_CLUB");
        assert_eq!(b("6200000000000005"), "CHINA_UNIONPAY");
        assert_eq!(b("5000000000000611"), "MAESTRO");
        assert_eq!(b("6304000000000000"), "MAESTRO");
        assert_eq!(b("6759649826438453"), "MAESTRO");
        assert_eq!(card_info("6759649826438453").scheme, "MASTERCARD");
        assert_eq!(b("9000000000000000"), "UNKNOWN");
        assert_eq!(card_info("9000000000000000").scheme, "OTHER");
    }

    #[test]
    fn masking() {
        assert_eq!(mask_6_4("4000000000000002"), "400000xxxxxx0002");
        assert_eq!(mask_6_4("371449635398431"), "371449xxxxx8431");
        assert_eq!(mask_6_4("4111111111111111111"), "411111xxxxxxxxx1111");
    }

    #[test]
    fn plaintexts() {
        let pad = |s: &str| {
            let mut v = s.as_bytes().to_vec();
            while v.len() % 8 != 0 {
                v.push(0);
            }
            v
        };
        let c = parse_plaintext(&pad("4000000000000002")).unwrap();
        assert_eq!(&*c.pan, "4000000000000002");
        assert_eq!(c.expiry, None);
        let c = parse_plaintext(&pad(";4000000000000002=2912101000000?")).unwrap();
        assert_eq!(&*c.pan, "4000000000000002");
        assert_eq!(c.expiry.as_deref(), Some("1229"));
        let c = parse_plaintext(&pad("%B4000000000000002^TEST/CARD^2701101?")).unwrap();
        assert_eq!(&*c.pan, "4000000000000002");
        assert_eq!(c.expiry.as_deref(), Some("0127"));
        let c = parse_plaintext(&pad("%B 4000 0000 0000 0002^TEST/CARD^2701?")).unwrap();
        assert_eq!(&*c.pan, "4000000000000002");
        let c = parse_plaintext(&pad("4000000000000002D2912")).unwrap();
        assert_eq!(c.expiry.as_deref(), Some("1229"));
        assert_eq!(parse_plaintext(&pad("4000000000000003")).unwrap_err(), PlaintextError::BadLuhn);
        assert_eq!(parse_plaintext(&pad("40000000002")).unwrap_err(), PlaintextError::BadLength);
        assert_eq!(parse_plaintext(&[0x9F, 0x12, 0, 0, 0, 0, 0, 0]).unwrap_err(), PlaintextError::NotACard);
        assert_eq!(parse_plaintext(&[0; 8]).unwrap_err(), PlaintextError::NotACard);
        assert_eq!(parse_plaintext(&pad(";4000000000000002=2912")).unwrap_err(), PlaintextError::NotACard);
    }

    #[test]
    fn debug_masks_the_pan() {
        let c = parse_plaintext(b"4000000000000002").unwrap();
        assert!(!format!("{c:?}").contains("4000000000000002"));
    }
}
