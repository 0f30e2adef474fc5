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

/// A card's brand, scheme, funding method, issuer and local brand as the
/// gateway reports them (tokenize.nvp-v50.txt:553-715), from the BIN table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CardInfo {
    /// `sourceOfFunds.provided.card.brand` (UNKNOWN when no scheme range matches).
    pub brand: &'static str,
    /// `sourceOfFunds.provided.card.scheme` (OTHER when no scheme range matches).
    pub scheme: &'static str,
    /// `sourceOfFunds.provided.card.fundingMethod`: from the issuer BIN, UNKNOWN
    /// for a BIN the table does not list.
    pub funding_method: &'static str,
    /// `sourceOfFunds.provided.card.issuer`, when the issuer BIN is listed.
    pub issuer: Option<&'static str>,
    /// `sourceOfFunds.provided.card.localBrand`, for a co-branded BIN.
    pub local_brand: Option<&'static str>,
    /// Whether the number is in a known scheme range with a length that
    /// scheme issues: what BASIC verification checks besides Luhn.
    pub in_known_range: bool,
}

/// A scheme's BIN range: (`digits` leading digits, between `lo` and `hi`,
/// brand, scheme, the number lengths the scheme issues).
type SchemeRange = (usize, u32, u32, &'static str, &'static str, std::ops::RangeInclusive<usize>);

/// The scheme ranges, first match wins.
const SCHEMES: &[SchemeRange] = &[
    (1, 4, 4, "VISA", "VISA", 13..=19),
    (2, 51, 55, "MASTERCARD", "MASTERCARD", 16..=16),
    (4, 2221, 2720, "MASTERCARD", "MASTERCARD", 16..=16),
    (2, 34, 34, "AMEX", "AMEX", 15..=15),
    (2, 37, 37, "AMEX", "AMEX", 15..=15),
    (4, 6011, 6011, "DISCOVER", "DISCOVER", 16..=19),
    (3, 644, 649, "DISCOVER", "DISCOVER", 16..=19),
    (2, 65, 65, "DISCOVER", "DISCOVER", 16..=19),
    (4, 3528, 3589, "JCB", "JCB", 16..=19),
    (2, 36, 36, "DINERS_CLUB", "DINERS_CLUB", 14..=19),
    (3, 300, 305, "DINERS_CLUB", "DINERS_CLUB", 14..=19),
    (2, 38, 39, "DINERS_CLUB", "DINERS_CLUB", 14..=19),
    (2, 62, 62, "CHINA_UNIONPAY", "CHINA_UNIONPAY", 16..=19),
    (2, 50, 50, "MAESTRO", "MASTERCARD", 12..=19),
    (2, 56, 58, "MAESTRO", "MASTERCARD", 12..=19),
    (4, 6304, 6304, "MAESTRO", "MASTERCARD", 12..=19),
    (2, 67, 67, "MAESTRO", "MASTERCARD", 12..=19),
];

/// An issuer BIN (first six digits) the simulator knows: funding method,
/// issuer and local brand. Fictitious issuers, for the test cards of
/// sim/README.md.
pub struct IssuerBin {
    /// The six leading digits.
    pub bin: &'static str,
    /// `fundingMethod`.
    pub funding_method: &'static str,
    /// `issuer`.
    pub issuer: &'static str,
    /// `localBrand`, for a co-branded card.
    pub local_brand: Option<&'static str>,
}

const fn bin(bin: &'static str, funding_method: &'static str, issuer: &'static str) -> IssuerBin {
    IssuerBin { bin, funding_method, issuer, local_brand: None }
}

/// The issuer BINs (sim/README.md lists them).
pub const ISSUER_BINS: &[IssuerBin] = &[
    bin("400000", "CREDIT", "GW-SIM TEST BANK"),
    bin("476173", "DEBIT", "GW-SIM TEST BANK"),
    IssuerBin {
        bin: "497010",
        funding_method: "DEBIT",
        issuer: "GW-SIM BANQUE TEST",
        local_brand: Some("CARTE_BANCAIRE"),
    },
    bin("510510", "DEBIT", "GW-SIM MUTUAL"),
    bin("541333", "CREDIT", "GW-SIM MUTUAL"),
    bin("555555", "CREDIT", "GW-SIM MUTUAL"),
    bin("222100", "CREDIT", "GW-SIM MUTUAL"),
    bin("371449", "CHARGE", "GW-SIM EXPRESS"),
    bin("374245", "CREDIT", "GW-SIM EXPRESS"),
    bin("601100", "CREDIT", "GW-SIM DISCOVERY"),
    bin("353011", "CREDIT", "GW-SIM JAPAN"),
    bin("362596", "CHARGE", "GW-SIM CLUB"),
    IssuerBin {
        bin: "620000",
        funding_method: "DEBIT",
        issuer: "GW-SIM UNION BANK",
        local_brand: Some("UNIONPAY_DEBIT"),
    },
    bin("675964", "DEBIT", "GW-SIM MAESTRO BANK"),
];

/// Brand, scheme, funding method, issuer and local brand of a card number,
/// from the scheme ranges and the issuer BINs.
pub fn card_info(pan: &str) -> CardInfo {
    let prefix = |n: usize| pan.get(..n).and_then(|p| p.parse::<u32>().ok());
    let scheme = SCHEMES.iter().find(|(digits, lo, hi, ..)| prefix(*digits).is_some_and(|p| (*lo..=*hi).contains(&p)));
    let issuer = ISSUER_BINS.iter().find(|b| pan.len() > 6 && pan.starts_with(b.bin));
    match scheme {
        Some((_, _, _, brand, scheme, lengths)) => CardInfo {
            brand,
            scheme,
            funding_method: issuer.map_or("UNKNOWN", |b| b.funding_method),
            issuer: issuer.map(|b| b.issuer),
            local_brand: issuer.and_then(|b| b.local_brand),
            in_known_range: lengths.contains(&pan.len()),
        },
        None => CardInfo {
            brand: "UNKNOWN",
            scheme: "OTHER",
            funding_method: "UNKNOWN",
            issuer: None,
            local_brand: None,
            in_known_range: false,
        },
    }
}

/// The card whose token the simulator stores with `status=INVALID`, as if
/// an Account Updater response had flagged it (tokenize.nvp-v50.txt:786-800).
pub const INVALID_STATUS_PAN: &str = "4000000000000101";

/// The card the simulated acquirer declines whatever its expiry and
/// security code (ACQUIRER verification).
pub const DECLINED_PAN: &str = "4000000000000119";

/// The security code the simulated acquirer finds wrong.
pub const DECLINED_CSC: &str = "102";

/// Expiry dates (MMYY) that make the simulated acquirer answer other than
/// success, in the manner of the gateway's test cards, with the reference's
/// `response.gatewayCode` (tokenize.nvp-v50.txt:382-422).
pub const ACQUIRER_EXPIRIES: &[(&str, &str)] = &[
    ("0539", "EXTERNAL_VERIFICATION_DECLINED"),
    ("0427", "EXTERNAL_VERIFICATION_DECLINED_EXPIRED_CARD"),
    ("0137", "EXTERNAL_VERIFICATION_PROCESSING_ERROR"),
    ("0237", "EXTERNAL_VERIFICATION_BLOCKED"),
    ("0337", "EXTERNAL_VERIFICATION_DECLINED_AUTHENTICATION_REQUIRED"),
];

/// The simulated acquirer's verification: `response.gatewayCode` for a card
/// number, its expiry (MMYY) and security code.
pub fn acquirer_verification(pan: &str, expiry: &str, security_code: Option<&str>) -> &'static str {
    if pan == DECLINED_PAN {
        return "EXTERNAL_VERIFICATION_DECLINED";
    }
    if let Some((_, code)) = ACQUIRER_EXPIRIES.iter().find(|(e, _)| *e == expiry) {
        return code;
    }
    if security_code == Some(DECLINED_CSC) {
        return "EXTERNAL_VERIFICATION_DECLINED_INVALID_CSC";
    }
    "EXTERNAL_VERIFICATION_SUCCESSFUL"
}

/// The gateway's test conventions for payments (PAY, AUTHORIZE, VERIFY):
/// the card's expiry date (MMYY) chooses `response.gatewayCode`
/// (spec/payments.md §4, "Magic expiry dates", S10). Any other expiry is
/// approved: the reference lists only these, the rest is gw-sim's choice.
pub const PAYMENT_EXPIRIES: &[(&str, &str)] = &[
    ("0139", "APPROVED"),
    ("0539", "DECLINED"),
    ("0427", "EXPIRED_CARD"),
    ("0828", "TIMED_OUT"),
    ("0137", "ACQUIRER_SYSTEM_ERROR"),
    ("0237", "UNSPECIFIED_FAILURE"),
    ("0537", "UNKNOWN"),
];

/// The simulated acquirer's answer to a payment with this card:
/// `response.gatewayCode` from [`PAYMENT_EXPIRIES`]; [`DECLINED_PAN`] is
/// declined whatever its expiry.
pub fn payment_outcome(pan: &str, expiry: Option<&str>) -> &'static str {
    if pan == DECLINED_PAN {
        return "DECLINED";
    }
    expiry.and_then(|e| PAYMENT_EXPIRIES.iter().find(|(x, _)| *x == e)).map_or("APPROVED", |(_, code)| code)
}

/// `response.acquirerCode` and `response.acquirerMessage` for a gateway
/// code: ISO 8583 response codes as acquirers send them (the reference
/// shows "00" / "Approved", spec/payments.md §1.4; the others are gw-sim's
/// choice). `None`: the acquirer sent nothing (TIMED_OUT, UNKNOWN, PENDING).
pub fn acquirer_response(gateway_code: &str) -> Option<(&'static str, &'static str)> {
    Some(match gateway_code {
        "APPROVED" => ("00", "Approved"),
        "DECLINED" => ("05", "Do not honour"),
        "EXPIRED_CARD" => ("54", "Expired card"),
        "ACQUIRER_SYSTEM_ERROR" => ("96", "System malfunction"),
        "UNSPECIFIED_FAILURE" => ("06", "Error"),
        _ => return None,
    })
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

/// Masking of a bank account number: all but the last 4 as `x`
/// (`xxxxxx0000`, tokenize.nvp-v50.txt:507).
pub fn mask_last_4(number: &str) -> String {
    let keep = number.len().saturating_sub(4);
    "x".repeat(keep) + number.get(keep..).unwrap_or("")
}

/// The ABA routing number check: 9 digits, 3·(d1+d4+d7) + 7·(d2+d5+d8) +
/// (d3+d6+d9) a multiple of 10.
pub fn aba_valid(routing: &str) -> bool {
    let d: Vec<u32> = routing.bytes().filter(u8::is_ascii_digit).map(|b| u32::from(b - b'0')).collect();
    d.len() == 9
        && routing.len() == 9
        && (3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])) % 10 == 0
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
    /// The number is not 9 to 19 digits (the card number rule,
    /// tokenize.nvp-v50.txt:214). Luhn is a matter of verification, not of
    /// decryption: NONE stores a number that fails it.
    BadLength,
}

impl PlaintextError {
    /// The explanation the answer carries (never the plaintext).
    pub fn explanation(self) -> &'static str {
        match self {
            PlaintextError::NotACard => {
                "The payload does not decrypt to a card number (PAN, track 2 or track 1): check the BDK, KSN, initialization vector and key variant"
            }
            PlaintextError::BadLength => "The payload decrypts to a card number that is not 9 to 19 digits",
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
    if !(9..=19).contains(&pan.len()) {
        return Err(PlaintextError::BadLength);
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
    fn payment_conventions_by_expiry() {
        let visa = "4000000000000002";
        assert_eq!(payment_outcome(visa, Some("0139")), "APPROVED");
        assert_eq!(payment_outcome(visa, Some("0539")), "DECLINED");
        assert_eq!(payment_outcome(visa, Some("0427")), "EXPIRED_CARD");
        assert_eq!(payment_outcome(visa, Some("0828")), "TIMED_OUT");
        assert_eq!(payment_outcome(visa, Some("0137")), "ACQUIRER_SYSTEM_ERROR");
        assert_eq!(payment_outcome(visa, Some("0237")), "UNSPECIFIED_FAILURE");
        assert_eq!(payment_outcome(visa, Some("0537")), "UNKNOWN");
        assert_eq!(payment_outcome(visa, Some("1249")), "APPROVED");
        assert_eq!(payment_outcome(visa, None), "APPROVED");
        assert_eq!(payment_outcome(DECLINED_PAN, Some("0139")), "DECLINED");
        assert_eq!(acquirer_response("APPROVED"), Some(("00", "Approved")));
        assert_eq!(acquirer_response("UNKNOWN"), None);
    }

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

    /// tokenize.nvp-v50.txt:617-659: fundingMethod, issuer and localBrand come from the BIN.
    #[test]
    fn the_bin_table() {
        let visa_credit = card_info("4000000000000002");
        assert_eq!((visa_credit.funding_method, visa_credit.issuer), ("CREDIT", Some("GW-SIM TEST BANK")));
        assert_eq!(card_info("4761739001010010").funding_method, "DEBIT");
        // Same brand, another BIN: another funding method; an unlisted BIN: UNKNOWN.
        assert_eq!(card_info("4111111111111111").funding_method, "UNKNOWN");
        assert_eq!(card_info("4111111111111111").issuer, None);
        assert_eq!(card_info("4970100000000014").local_brand, Some("CARTE_BANCAIRE"));
        assert_eq!(card_info("371449635398431").funding_method, "CHARGE");
        assert_eq!(card_info("374245455400126").funding_method, "CREDIT");
        // BASIC's range check: the scheme's range and lengths.
        assert!(card_info("4000000000000002").in_known_range);
        assert!(!card_info("400000002").in_known_range);
        assert!(!card_info("55555555555544443").in_known_range);
        assert!(!card_info("9000000000000000").in_known_range);
    }

    #[test]
    fn bank_accounts() {
        assert_eq!(mask_last_4("1234567890"), "xxxxxx7890");
        assert!(aba_valid("011000015"));
        assert!(aba_valid("021000021"));
        assert!(!aba_valid("011000016"));
        assert!(!aba_valid("01100001"));
    }

    #[test]
    fn acquirer_test_cards() {
        assert_eq!(acquirer_verification(VISA_OK, "1239", Some("100")), "EXTERNAL_VERIFICATION_SUCCESSFUL");
        assert_eq!(acquirer_verification(DECLINED_PAN, "1239", None), "EXTERNAL_VERIFICATION_DECLINED");
        assert_eq!(acquirer_verification(VISA_OK, "0427", None), "EXTERNAL_VERIFICATION_DECLINED_EXPIRED_CARD");
        assert_eq!(acquirer_verification(VISA_OK, "1239", Some("102")), "EXTERNAL_VERIFICATION_DECLINED_INVALID_CSC");
        for pan in [INVALID_STATUS_PAN, DECLINED_PAN] {
            assert!(luhn_valid(pan) && card_info(pan).in_known_range, "{pan}");
        }
    }

    const VISA_OK: &str = "4000000000000002";

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
        assert_eq!(&*parse_plaintext(&pad("4000000000000003")).unwrap().pan, "4000000000000003");
        assert_eq!(&*parse_plaintext(&pad("400000002")).unwrap().pan, "400000002");
        assert_eq!(parse_plaintext(&pad("40000002")).unwrap_err(), PlaintextError::BadLength);
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
