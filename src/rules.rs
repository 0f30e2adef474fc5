//! The gateway's field rules, as one table derived from its field reference.
//!
//! Every request field of CREATE_SESSION (NVP API version 39) and TOKENIZE
//! (version 50) is one [`FieldRule`] row below, transcribed from
//! `shared/spec/create-session.nvp-v39.txt` and `shared/spec/tokenize.nvp-v50.txt`:
//! its data type ("Data may consist of ..."), its "Min length / Max length",
//! its enumeration ("Value must be a member of the following list") and its
//! REQUIRED / OPTIONAL / FIXED marker. Parameter groups (`sourceOfFunds`,
//! `sourceOfFunds.provided.card.p2pe`, ...) are rows too, because a REQUIRED
//! field inside an OPTIONAL group is required only once the group is used.
//!
//! The library validates with this table before anything goes on the wire, and
//! gw-sim validates what it receives with the very same table, so the two can
//! never disagree. Messages name the field and the rule, never the value: a
//! value may be a card number or a password.

use std::fmt;

/// An NVP operation gw implements (`apiOperation`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `CREATE_SESSION`: create a payment session.
    CreateSession,
    /// `TOKENIZE`: create or update a token (here with a P2PE-encrypted card).
    Tokenize,
}

impl Operation {
    /// Both operations, in a stable order.
    pub const ALL: [Operation; 2] = [Operation::CreateSession, Operation::Tokenize];

    /// The `apiOperation` value, e.g. `"CREATE_SESSION"`.
    pub fn name(self) -> &'static str {
        match self {
            Operation::CreateSession => "CREATE_SESSION",
            Operation::Tokenize => "TOKENIZE",
        }
    }

    /// Parses an `apiOperation` value (case-sensitive, as the gateway is).
    pub fn from_name(name: &str) -> Option<Operation> {
        Operation::ALL.into_iter().find(|op| op.name() == name)
    }

    /// The NVP API version of the field reference this operation's rules come from.
    pub fn reference_version(self) -> u32 {
        match self {
            Operation::CreateSession => 39,
            Operation::Tokenize => 50,
        }
    }

    /// The rule rows of this operation (fields and parameter groups).
    pub fn rules(self) -> &'static [FieldRule] {
        match self {
            Operation::CreateSession => CREATE_SESSION,
            Operation::Tokenize => TOKENIZE,
        }
    }

    /// The rule for a field or group of this operation, if the reference has one.
    pub fn rule(self, name: &str) -> Option<&'static FieldRule> {
        self.rules().iter().find(|rule| rule.name == name)
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a field's value may consist of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Charset {
    /// "Data can consist of any characters" / "Any sequence of ... unicode characters".
    Any,
    /// "Data consists of ASCII characters" (printable ASCII and space).
    Ascii,
    /// "Data is hexadecimal encoded": 0-9, a-f, A-F, and an even number of digits.
    Hex,
    /// "Data is a string that consists of the characters 0-9".
    Digits,
    /// "Data may consist of the characters 0-9, a-z, A-Z".
    Alphanumeric,
    /// "Data may consist of the characters 0-9, a-z, A-Z" plus the listed ones.
    AlphanumericPlus(&'static str),
    /// "Data must consist of the characters A-Z".
    UpperAlpha,
    /// "Value must be a member of the following list" (case-sensitive).
    Enumeration(&'static [&'static str]),
    /// "Data is a number between MIN and MAX represented as a string".
    Number { min: u32, max: u32 },
    /// The FIXED `apiOperation`: the value must be the operation's own name.
    FixedOperation,
    /// A parameter group (container): it carries no value of its own.
    Group,
}

/// The REQUIRED / OPTIONAL / FIXED marker of a field or group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    /// REQUIRED (within its group: required once the group is used).
    Required,
    /// OPTIONAL.
    Optional,
    /// FIXED: set by the library from the operation.
    Fixed,
}

/// One row of the table: a field (or group) of one operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldRule {
    /// The NVP field name, e.g. `sourceOfFunds.provided.card.p2pe.keySerialNumber`.
    pub name: &'static str,
    /// What the value may consist of.
    pub charset: Charset,
    /// Minimum length in characters (the reference's "Min length").
    pub min_len: usize,
    /// Maximum length in characters (the reference's "Max length").
    pub max_len: usize,
    /// REQUIRED / OPTIONAL / FIXED.
    pub presence: Presence,
}

/// The gateway's `error.validationType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValidationType {
    /// A mandatory field is missing.
    Missing,
    /// A field's value did not pass validation.
    Invalid,
    /// The field is not supported by the operation.
    Unsupported,
}

impl ValidationType {
    /// The gateway's spelling: `MISSING`, `INVALID` or `UNSUPPORTED`.
    pub fn as_str(self) -> &'static str {
        match self {
            ValidationType::Missing => "MISSING",
            ValidationType::Invalid => "INVALID",
            ValidationType::Unsupported => "UNSUPPORTED",
        }
    }

    /// Parses the gateway's spelling.
    pub fn from_name(name: &str) -> Option<ValidationType> {
        match name {
            "MISSING" => Some(ValidationType::Missing),
            "INVALID" => Some(ValidationType::Invalid),
            "UNSUPPORTED" => Some(ValidationType::Unsupported),
            _ => None,
        }
    }
}

/// A field that failed validation: which field, how, and by which rule.
///
/// `rule` is a sentence about the rule ("must be exactly 20 hexadecimal
/// digits"), never about the value, so it is safe to log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// The NVP field name.
    pub field: String,
    /// MISSING, INVALID or UNSUPPORTED.
    pub validation_type: ValidationType,
    /// The rule that was broken, in words.
    pub rule: String,
}

impl FieldError {
    fn new(field: &str, validation_type: ValidationType, rule: String) -> FieldError {
        FieldError { field: field.to_owned(), validation_type, rule }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "field '{}' {}: {}", self.field, self.validation_type.as_str().to_lowercase(), self.rule)
    }
}

impl std::error::Error for FieldError {}

/// Whether a request must be complete on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Completeness {
    /// Every REQUIRED field must be in the request itself.
    Complete,
    /// The request names a session (`session.id`) whose stored fields the
    /// gateway merges in, so REQUIRED fields may come from there; only the
    /// fields present are checked.
    MayUseSession,
}

/// Fields of the request envelope that are in no operation's field list:
/// authentication (`apiUsername`, `apiPassword`) is described under
/// "Authentication" in the reference. They are accepted by [`check_request`]
/// and supplied by the library from its configuration.
pub const AUTHENTICATION_FIELDS: [&str; 2] = ["apiUsername", "apiPassword"];

/// Fields whose values are secrets or card data: never logged, never echoed
/// in a message, and zeroized where the library holds them.
pub fn is_sensitive(name: &str) -> bool {
    matches!(
        name,
        "apiPassword"
            | "sourceOfFunds.provided.card.number"
            | "sourceOfFunds.provided.card.securityCode"
            | "sourceOfFunds.provided.card.p2pe.payload"
            | "sourceOfFunds.provided.giftCard.number"
            | "sourceOfFunds.provided.giftCard.pin"
            | "sourceOfFunds.provided.ach.bankAccountNumber"
    )
}

/// The longest unknown field name an error repeats whole (the reference's
/// longest is under 100 bytes).
const MAX_ECHOED_NAME: usize = 256;

/// Checks one field's value against its rule.
///
/// A field the operation does not have is UNSUPPORTED (so is a parameter
/// group, which carries no value); a value that breaks the rule is INVALID.
/// `apiUsername` / `apiPassword` are not request fields here: the library
/// sets them from its configuration.
pub fn check_field(op: Operation, name: &str, value: &str) -> Result<(), FieldError> {
    let rule = match op.rule(name) {
        Some(rule) if rule.charset != Charset::Group => rule,
        Some(_) => {
            return Err(FieldError::new(
                name,
                ValidationType::Unsupported,
                format!("is a parameter group of {op}, not a field; set the fields inside it"),
            ))
        }
        // An absurd name is not echoed whole into the error (and the caller's
        // last error): its start is enough to recognise it.
        None if name.len() > MAX_ECHOED_NAME => {
            let start: String = name.chars().take(64).collect();
            return Err(FieldError::new(
                &format!("{start}..."),
                ValidationType::Unsupported,
                format!("is not a field of {op}: a name of {} bytes", name.len()),
            ));
        }
        None => {
            return Err(FieldError::new(
                name,
                ValidationType::Unsupported,
                format!("is not a field of {op} (API version {})", op.reference_version()),
            ))
        }
    };
    if value.contains('\0') {
        return Err(FieldError::new(name, ValidationType::Invalid, "must not contain a NUL character".to_owned()));
    }
    match rule_violation(op, rule, value) {
        None => Ok(()),
        Some(rule_text) => Err(FieldError::new(name, ValidationType::Invalid, rule_text)),
    }
}

/// Checks a whole request: every field's value, then every REQUIRED field's
/// presence (a REQUIRED field inside an OPTIONAL group only once some field of
/// that group is present). The first problem found is returned.
pub fn check_request(op: Operation, fields: &[(String, String)], completeness: Completeness) -> Result<(), FieldError> {
    for (name, value) in fields {
        if AUTHENTICATION_FIELDS.contains(&name.as_str()) {
            continue;
        }
        check_field(op, name, value)?;
    }
    if let Some((name, _)) = fields
        .iter()
        .enumerate()
        .find_map(|(i, (name, _))| fields[..i].iter().any(|(earlier, _)| earlier == name).then_some((name, i)))
    {
        return Err(FieldError::new(name, ValidationType::Invalid, "is given more than once".to_owned()));
    }
    let present = |group: &str| {
        fields.iter().any(|(name, _)| {
            name.len() > group.len() && name.starts_with(group) && name.as_bytes()[group.len()] == b'.'
        })
    };
    for rule in op.rules() {
        if rule.charset == Charset::Group || rule.presence == Presence::Optional {
            continue;
        }
        if fields.iter().any(|(name, _)| name == rule.name) || present(rule.name) {
            continue;
        }
        let in_used_group = enclosing_groups(rule.name).all(|group| match op.rule(group) {
            Some(group_rule) if group_rule.presence == Presence::Required => true,
            _ => present(group),
        });
        if !in_used_group {
            continue;
        }
        if completeness == Completeness::MayUseSession && rule.presence != Presence::Fixed {
            continue;
        }
        let rule_text = match enclosing_groups(rule.name).next() {
            Some(group) if op.rule(group).map(|g| g.presence) == Some(Presence::Optional) => {
                format!("is required when any field of '{group}' is given")
            }
            _ => format!("is required by {op}"),
        };
        return Err(FieldError::new(rule.name, ValidationType::Missing, rule_text));
    }
    if completeness == Completeness::Complete {
        check_cross_fields(op, fields, None)?;
    }
    Ok(())
}

/// The groups enclosing a field, innermost first: `a.b.c` gives `a.b`, `a`.
fn enclosing_groups(name: &str) -> impl Iterator<Item = &str> {
    let mut rest = name;
    std::iter::from_fn(move || {
        let dot = rest.rfind('.')?;
        rest = &rest[..dot];
        Some(rest)
    })
}

/// The rule a value breaks, in words; `None` when it complies.
fn rule_violation(op: Operation, rule: &FieldRule, value: &str) -> Option<String> {
    let length = value.chars().count();
    let charset_ok = match rule.charset {
        Charset::Any | Charset::Group => true,
        Charset::Ascii => value.bytes().all(|b| (0x20..0x7f).contains(&b)),
        Charset::Hex => value.bytes().all(|b| b.is_ascii_hexdigit()),
        Charset::Digits => value.bytes().all(|b| b.is_ascii_digit()),
        Charset::Alphanumeric => value.bytes().all(|b| b.is_ascii_alphanumeric()),
        Charset::AlphanumericPlus(extra) => value.chars().all(|c| c.is_ascii_alphanumeric() || extra.contains(c)),
        Charset::UpperAlpha => value.bytes().all(|b| b.is_ascii_uppercase()),
        Charset::Enumeration(values) => values.contains(&value),
        Charset::Number { min, max } => {
            value.bytes().all(|b| b.is_ascii_digit())
                && value.parse::<u32>().map(|n| (min..=max).contains(&n)).unwrap_or(false)
        }
        Charset::FixedOperation => value == op.name(),
    };
    let length_ok = (rule.min_len..=rule.max_len).contains(&length);
    let parity_ok = rule.charset != Charset::Hex || length % 2 == 0;
    if charset_ok && length_ok && parity_ok {
        None
    } else {
        Some(describe(op, rule))
    }
}

/// The whole rule of a field in one sentence, e.g. "must be exactly 20
/// hexadecimal digits (an even number)".
pub fn describe(op: Operation, rule: &FieldRule) -> String {
    let length = if rule.min_len == rule.max_len {
        format!("exactly {}", rule.min_len)
    } else {
        format!("{} to {}", rule.min_len, rule.max_len)
    };
    match rule.charset {
        Charset::Any | Charset::Group => format!("must be {length} characters long"),
        Charset::Ascii => format!("must be {length} printable ASCII characters"),
        Charset::Hex => format!("must be {length} hexadecimal digits (0-9, a-f, A-F), an even number"),
        Charset::Digits => format!("must be {length} digits (0-9)"),
        Charset::Alphanumeric => format!("must be {length} characters of 0-9, a-z, A-Z"),
        Charset::AlphanumericPlus(extra) => {
            let listed: Vec<String> = extra.chars().map(|c| format!("'{c}'")).collect();
            format!("must be {length} characters of 0-9, a-z, A-Z, {}", listed.join(", "))
        }
        Charset::UpperAlpha => format!("must be {length} upper-case letters (A-Z)"),
        Charset::Enumeration(values) => format!("must be one of {} (case-sensitive)", values.join(", ")),
        Charset::Number { min, max } => format!("must be a number from {min} to {max}"),
        Charset::FixedOperation => format!("must be {}", op.name()),
    }
}

// ---------------------------------------------------------------------------
// The table. Lengths are in characters, as the reference gives them.
// ---------------------------------------------------------------------------

const fn field(name: &'static str, charset: Charset, min_len: usize, max_len: usize, presence: Presence) -> FieldRule {
    FieldRule { name, charset, min_len, max_len, presence }
}

const fn group(name: &'static str, presence: Presence) -> FieldRule {
    FieldRule { name, charset: Charset::Group, min_len: 0, max_len: 0, presence }
}

use Charset::*;
use Presence::*;

/// `merchant`: "Data may consist of the characters 0-9, a-z, A-Z, '-', '_'", 1–40.
const MERCHANT: Charset = AlphanumericPlus("-_");
/// `apiOperation` has no length limit of its own ("zero or more unicode characters").
const ANY_LENGTH: usize = usize::MAX;

/// Create Session, NVP API version 39.
static CREATE_SESSION: &[FieldRule] = &[
    field("apiOperation", FixedOperation, 0, ANY_LENGTH, Fixed),
    field("correlationId", Any, 1, 100, Optional),
    field("merchant", MERCHANT, 1, 40, Required),
];

/// Create or Update Token, NVP API version 50.
///
/// `token` is REQUIRED in the reference's "Create or Update Token" form; the
/// gateway also takes TOKENIZE without `token` (the "Create Token" form, the
/// gateway generates the token), so it is OPTIONAL here: see
/// `shared/spec/README.md`.
static TOKENIZE: &[FieldRule] = &[
    field("apiOperation", FixedOperation, 0, ANY_LENGTH, Fixed),
    field("correlationId", Any, 1, 100, Optional),
    field("merchant", MERCHANT, 1, 40, Required),
    group("responseControls", Optional),
    field("responseControls.sensitiveData", Any, 1, 50, Optional),
    field("session.id", Ascii, 31, 35, Optional),
    field("session.version", Ascii, 10, 10, Optional),
    group("sourceOfFunds", Required),
    group("sourceOfFunds.provided", Optional),
    group("sourceOfFunds.provided.ach", Optional),
    field(
        "sourceOfFunds.provided.ach.accountType",
        Enumeration(&["CONSUMER_CHECKING", "CONSUMER_SAVINGS", "CORPORATE_CHECKING"]),
        0,
        ANY_LENGTH,
        Optional,
    ),
    field("sourceOfFunds.provided.ach.bankAccountHolder", Any, 1, 28, Optional),
    field("sourceOfFunds.provided.ach.bankAccountNumber", AlphanumericPlus(" -/"), 1, 17, Optional),
    field("sourceOfFunds.provided.ach.routingNumber", Digits, 9, 9, Optional),
    field("sourceOfFunds.provided.ach.secCode", Enumeration(&["PPD", "TEL", "WEB"]), 0, ANY_LENGTH, Optional),
    group("sourceOfFunds.provided.card", Optional),
    group("sourceOfFunds.provided.card.expiry", Optional),
    field("sourceOfFunds.provided.card.expiry.month", Number { min: 1, max: 12 }, 1, 2, Required),
    field("sourceOfFunds.provided.card.expiry.year", Digits, 2, 2, Required),
    field("sourceOfFunds.provided.card.number", Digits, 9, 19, Optional),
    field("sourceOfFunds.provided.card.securityCode", Digits, 3, 4, Optional),
    group("sourceOfFunds.provided.giftCard", Optional),
    field("sourceOfFunds.provided.giftCard.expectedLocalBrand", Any, 4, 50, Optional),
    field("sourceOfFunds.provided.giftCard.number", Digits, 9, 19, Optional),
    field("sourceOfFunds.provided.giftCard.pin", Digits, 4, 8, Optional),
    group("sourceOfFunds.provided.card.p2pe", Optional),
    field("sourceOfFunds.provided.card.p2pe.cardBin", Digits, 1, 6, Optional),
    field("sourceOfFunds.provided.card.p2pe.encryptionState", Enumeration(&["VALID", "INVALID"]), 5, 7, Optional),
    field("sourceOfFunds.provided.card.p2pe.initializationVector", Hex, 16, 16, Optional),
    field("sourceOfFunds.provided.card.p2pe.keySerialNumber", Hex, 20, 20, Required),
    field("sourceOfFunds.provided.card.p2pe.payload", Hex, 32, 1024, Required),
    field("sourceOfFunds.token", Alphanumeric, 1, 40, Optional),
    field("sourceOfFunds.type", Enumeration(&["ACH", "CARD", "GIFT_CARD"]), 0, ANY_LENGTH, Required),
    field("token", Alphanumeric, 1, 40, Optional),
    field("transaction.currency", UpperAlpha, 3, 3, Optional),
    field("verificationStrategy", Enumeration(&["ACQUIRER", "BASIC", "NONE"]), 0, ANY_LENGTH, Optional),
];

// ---------------------------------------------------------------------------
// Cross-field rules: requirements the reference states in prose rather than
// in one field's row. Kept apart from the table; `check_request` applies them
// to a complete request after the rows.

/// The fields of the ACH group, all required for `sourceOfFunds.type=ACH`.
const ACH_FIELDS: [&str; 5] = [
    "sourceOfFunds.provided.ach.accountType",
    "sourceOfFunds.provided.ach.bankAccountHolder",
    "sourceOfFunds.provided.ach.bankAccountNumber",
    "sourceOfFunds.provided.ach.routingNumber",
    "sourceOfFunds.provided.ach.secCode",
];

/// Checks the reference's cross-field requirements of a complete TOKENIZE
/// request (`tokenize.nvp-v50.txt`):
///
/// - `sourceOfFunds.type=ACH`: every field of `sourceOfFunds.provided.ach`
///   (line 99: "you must provide values for all fields within this parameter group");
/// - `sourceOfFunds.type=GIFT_CARD`: the gift card's number (lines 224, 317-319);
/// - verification BASIC or ACQUIRER of provided card details: the card
///   expiry group (line 341);
/// - verification ACQUIRER: `transaction.currency`, the currency of the
///   acquirer's verification (lines 328-332: "Not required for basic verification").
///
/// `verification` is the strategy in force when the request names none (the
/// merchant profile's default, which only the gateway knows): `None` checks
/// by the request's `verificationStrategy` alone. Other operations have no
/// cross-field rules.
pub fn check_cross_fields(
    op: Operation,
    fields: &[(String, String)],
    verification: Option<&str>,
) -> Result<(), FieldError> {
    if op != Operation::Tokenize {
        return Ok(());
    }
    let value = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    let missing =
        |name: &str, why: &str| Err(FieldError::new(name, ValidationType::Missing, format!("is required {why}")));
    let source_type = value("sourceOfFunds.type");
    match source_type {
        Some("ACH") => {
            if let Some(name) = ACH_FIELDS.iter().find(|name| value(name).is_none()) {
                return missing(name, "when sourceOfFunds.type is ACH (every field of sourceOfFunds.provided.ach)");
            }
        }
        Some("GIFT_CARD") if value("sourceOfFunds.provided.giftCard.number").is_none() => {
            return missing("sourceOfFunds.provided.giftCard.number", "when sourceOfFunds.type is GIFT_CARD");
        }
        _ => {}
    }
    let strategy = value("verificationStrategy").or(verification);
    let provides_card = fields
        .iter()
        .any(|(n, _)| n == "sourceOfFunds.provided.card.number" || n.starts_with("sourceOfFunds.provided.card.p2pe."));
    if source_type == Some("CARD")
        && provides_card
        && matches!(strategy, Some("BASIC" | "ACQUIRER"))
        && value("sourceOfFunds.provided.card.expiry.month").is_none()
    {
        return missing(
            "sourceOfFunds.provided.card.expiry.month",
            "when the verification strategy is BASIC or ACQUIRER (the card expiry group)",
        );
    }
    if strategy == Some("ACQUIRER") && value("transaction.currency").is_none() {
        return missing(
            "transaction.currency",
            "when the verification strategy is ACQUIRER (the verification's currency)",
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn every_row_is_unique_and_inside_a_declared_group() {
        for op in Operation::ALL {
            for (i, rule) in op.rules().iter().enumerate() {
                assert!(!op.rules()[..i].iter().any(|r| r.name == rule.name), "{} twice", rule.name);
                if rule.name.starts_with("sourceOfFunds.") || rule.name.starts_with("responseControls.") {
                    for group in enclosing_groups(rule.name) {
                        assert!(op.rule(group).is_some(), "{} has no group row {group}", rule.name);
                    }
                }
            }
        }
    }

    #[test]
    fn no_value_carries_a_nul() {
        let err = check_field(Operation::CreateSession, "correlationId", "a\0b").unwrap_err();
        assert_eq!(err.validation_type, ValidationType::Invalid);
        assert_eq!(err.rule, "must not contain a NUL character");
    }

    #[test]
    fn hex_needs_an_even_number_of_digits() {
        let ksn = "sourceOfFunds.provided.card.p2pe.payload";
        assert!(check_field(Operation::Tokenize, ksn, &"a".repeat(32)).is_ok());
        assert!(check_field(Operation::Tokenize, ksn, &"a".repeat(33)).is_err());
    }

    #[test]
    fn group_required_fields_follow_their_group() {
        let base = [("apiOperation", "TOKENIZE"), ("merchant", "M1"), ("sourceOfFunds.type", "CARD")];
        assert_eq!(check_request(Operation::Tokenize, &pairs(&base), Completeness::Complete), Ok(()));
        let mut with_cvv = base.to_vec();
        with_cvv.push(("sourceOfFunds.provided.card.p2pe.cardBin", "411111"));
        let err = check_request(Operation::Tokenize, &pairs(&with_cvv), Completeness::Complete).unwrap_err();
        assert_eq!(err.field, "sourceOfFunds.provided.card.p2pe.keySerialNumber");
        assert_eq!(err.validation_type, ValidationType::Missing);
        let err = check_request(Operation::Tokenize, &pairs(&base[..2]), Completeness::Complete).unwrap_err();
        assert_eq!(err.field, "sourceOfFunds.type");
        assert!(check_request(Operation::Tokenize, &pairs(&base[..2]), Completeness::MayUseSession).is_ok());
    }

    #[test]
    fn messages_never_carry_the_value() {
        let secret = "4111111111111111Z";
        let err = check_field(Operation::Tokenize, "sourceOfFunds.provided.card.number", secret).unwrap_err();
        assert!(!err.to_string().contains("4111"));
        assert_eq!(err.to_string(), "field 'sourceOfFunds.provided.card.number' invalid: must be 9 to 19 digits (0-9)");
    }
}
