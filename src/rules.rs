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
use std::sync::LazyLock;

use crate::ascii;

/// An NVP operation gw implements (`apiOperation`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `CREATE_SESSION`: create a payment session.
    CreateSession,
    /// `TOKENIZE`: create or update a token (here with a P2PE-encrypted card).
    Tokenize,
    /// `CHECK_GATEWAY`: is the gateway operating? The `/information`
    /// resource, without credentials.
    CheckGateway,
    /// `RETRIEVE_TOKEN`: what the gateway holds under a token (card masked).
    RetrieveToken,
    /// `DELETE_TOKEN`: delete a token.
    DeleteToken,
    /// `UPDATE_SESSION`: store request fields (a card) in a session.
    UpdateSession,
    /// `RETRIEVE_SESSION`: the fields a session holds.
    RetrieveSession,
    /// `PAY`: authorize and capture at once; money moves.
    Pay,
    /// `AUTHORIZE`: reserve the amount on the card; captured later.
    Authorize,
    /// `CAPTURE`: take (part of) an order's authorized amount.
    Capture,
    /// `REFUND`: give (part of) an order's captured amount back.
    Refund,
    /// `VOID`: cancel an earlier transaction of the order, before the
    /// acquirer's end-of-day batch.
    Void,
    /// `VERIFY`: check the card with the acquirer; no money moves.
    Verify,
    /// `RETRIEVE_TRANSACTION`: what happened to one transaction of an order.
    RetrieveTransaction,
    /// `RETRIEVE_ORDER`: an order and its transactions.
    RetrieveOrder,
}

impl Operation {
    /// Every operation, in a stable order.
    pub const ALL: [Operation; 15] = [
        Operation::CreateSession,
        Operation::Tokenize,
        Operation::CheckGateway,
        Operation::RetrieveToken,
        Operation::DeleteToken,
        Operation::UpdateSession,
        Operation::RetrieveSession,
        Operation::Pay,
        Operation::Authorize,
        Operation::Capture,
        Operation::Refund,
        Operation::Void,
        Operation::Verify,
        Operation::RetrieveTransaction,
        Operation::RetrieveOrder,
    ];

    /// The operations that create a transaction on an order (`order.id`,
    /// `transaction.id`): the ones an identical resubmission, a
    /// RETRIEVE_TRANSACTION and `LOCK_FAILURE` are about.
    pub const TRANSACTIONS: [Operation; 6] = [
        Operation::Pay,
        Operation::Authorize,
        Operation::Capture,
        Operation::Refund,
        Operation::Void,
        Operation::Verify,
    ];

    /// The `apiOperation` value, e.g. `"CREATE_SESSION"`.
    pub fn name(self) -> &'static str {
        match self {
            Operation::CreateSession => "CREATE_SESSION",
            Operation::Tokenize => "TOKENIZE",
            Operation::CheckGateway => "CHECK_GATEWAY",
            Operation::RetrieveToken => "RETRIEVE_TOKEN",
            Operation::DeleteToken => "DELETE_TOKEN",
            Operation::UpdateSession => "UPDATE_SESSION",
            Operation::RetrieveSession => "RETRIEVE_SESSION",
            Operation::Pay => "PAY",
            Operation::Authorize => "AUTHORIZE",
            Operation::Capture => "CAPTURE",
            Operation::Refund => "REFUND",
            Operation::Void => "VOID",
            Operation::Verify => "VERIFY",
            Operation::RetrieveTransaction => "RETRIEVE_TRANSACTION",
            Operation::RetrieveOrder => "RETRIEVE_ORDER",
        }
    }

    /// Whether the operation creates a transaction on an order
    /// ([`Operation::TRANSACTIONS`]).
    pub fn is_transaction(self) -> bool {
        Operation::TRANSACTIONS.contains(&self)
    }

    /// Whether the gateway's answer to this operation describes a
    /// transaction whose outcome the till acts on (`result` and
    /// `response.gatewayCode`): the transactions and RETRIEVE_TRANSACTION.
    pub fn answers_a_transaction(self) -> bool {
        self.is_transaction() || self == Operation::RetrieveTransaction
    }

    /// Whether the operation goes to the `{endpoint}/information` resource
    /// with no fields and no credentials (CHECK_GATEWAY: "Authentication
    /// None required", [`CHECK_GATEWAY_PAGE`]), not as an NVP POST of the
    /// merchant's.
    pub fn is_unauthenticated(self) -> bool {
        self == Operation::CheckGateway
    }

    /// Parses an `apiOperation` value (case-sensitive, as the gateway is).
    pub fn from_name(name: &str) -> Option<Operation> {
        Operation::ALL.into_iter().find(|op| op.name() == name)
    }

    /// The answer fields of which every answer of this operation has one:
    /// `result`, and for CHECK_GATEWAY `status` ("ALWAYS PROVIDED" on
    /// [`CHECK_GATEWAY_PAGE`], which has no `result`) or an error's `result`.
    ///
    /// The session reads: the Retrieve Session and Update Session pages
    /// show no `result` in the answer, only the session's fields, of which
    /// `session.id` is always there (or an error's `result`).
    pub fn summary_fields(self) -> &'static [&'static str] {
        match self {
            Operation::CheckGateway => &["status", "result"],
            Operation::RetrieveSession | Operation::UpdateSession => &["result", "session.id"],
            _ => &["result"],
        }
    }

    /// The NVP API version of the field reference this operation's rules come from.
    pub fn reference_version(self) -> u32 {
        match self {
            Operation::CreateSession | Operation::RetrieveSession => 39,
            Operation::Tokenize | Operation::UpdateSession => 50,
            Operation::RetrieveToken | Operation::DeleteToken => 59,
            Operation::CheckGateway => 79,
            Operation::Pay => 74,
            Operation::Void => 83,
            Operation::Authorize
            | Operation::Capture
            | Operation::Refund
            | Operation::Verify
            | Operation::RetrieveTransaction
            | Operation::RetrieveOrder => 100,
        }
    }

    /// Every rule row of this operation (fields and parameter groups), for
    /// every API version: see [`Operation::rules_at`] for one version.
    pub fn rules(self) -> &'static [FieldRule] {
        match self {
            Operation::CreateSession => CREATE_SESSION,
            Operation::Tokenize => TOKENIZE,
            Operation::CheckGateway => &[],
            Operation::RetrieveToken => RETRIEVE_TOKEN,
            Operation::DeleteToken => DELETE_TOKEN,
            Operation::UpdateSession => UPDATE_SESSION.as_slice(),
            Operation::RetrieveSession => RETRIEVE_SESSION,
            Operation::Pay | Operation::Authorize => PAY.as_slice(),
            Operation::Capture => CAPTURE.as_slice(),
            Operation::Refund => REFUND.as_slice(),
            Operation::Void => VOID.as_slice(),
            Operation::Verify => VERIFY.as_slice(),
            Operation::RetrieveTransaction => RETRIEVE_TRANSACTION.as_slice(),
            Operation::RetrieveOrder => RETRIEVE_ORDER.as_slice(),
        }
    }

    /// The rule rows that hold at API `version`.
    pub fn rules_at(self, version: u32) -> impl Iterator<Item = &'static FieldRule> {
        self.rules().iter().filter(move |rule| rule.holds_at(version))
    }

    /// The rule for a field or group at API `version`, if it has one there.
    pub fn rule_at(self, version: u32, name: &str) -> Option<&'static FieldRule> {
        self.rules_at(version).find(|rule| rule.name == name)
    }

    /// The rule for a field or group at the version of the seed reference
    /// ([`Operation::reference_version`]), if the reference has one.
    pub fn rule(self, name: &str) -> Option<&'static FieldRule> {
        self.rule_at(self.reference_version(), name)
    }

    /// The fields of this operation's answer (the reference's "Response"
    /// fields), with their sensitivity; the `error.*` fields are in
    /// [`ERROR_FIELDS`].
    pub fn response_fields(self) -> &'static [NamedField] {
        match self {
            Operation::CreateSession | Operation::UpdateSession => CREATE_SESSION_RESPONSE,
            Operation::Tokenize | Operation::RetrieveToken => TOKENIZE_RESPONSE,
            Operation::CheckGateway => CHECK_GATEWAY_RESPONSE,
            Operation::DeleteToken => DELETE_TOKEN_RESPONSE,
            // The session's own fields, then what it stores: the request
            // fields of UPDATE_SESSION (their sensitivity from those rows).
            Operation::RetrieveSession => CREATE_SESSION_RESPONSE,
            Operation::Pay
            | Operation::Authorize
            | Operation::Capture
            | Operation::Refund
            | Operation::Void
            | Operation::Verify
            | Operation::RetrieveTransaction => TRANSACTION_RESPONSE,
            Operation::RetrieveOrder => ORDER_RESPONSE,
        }
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
    /// An amount: "Decimal" in the reference, written as a decimal string
    /// (`12.50`): digits, at most one `.` with a digit on each side; no
    /// sign, no exponent, no thousands separator. gw never turns it into a
    /// float: it is checked and sent as the text it is.
    Decimal,
    /// "Data is a number between MIN and MAX represented as a string".
    Number {
        /// The smallest value allowed.
        min: u32,
        /// The largest value allowed.
        max: u32,
    },
    /// The FIXED `apiOperation`: the value must be the operation's own name.
    FixedOperation,
    /// A parameter group (container): it carries no value of its own.
    Group,
}

impl Charset {
    /// Whether every value of this charset is written by the form encoding
    /// as it is (no byte escaped): what lets the encoder skip reading a
    /// value its rule already read.
    pub fn is_form_plain(self) -> bool {
        matches!(
            self,
            Charset::Hex
                | Charset::Digits
                | Charset::Alphanumeric
                | Charset::UpperAlpha
                | Charset::Number { .. }
                | Charset::Decimal
        )
    }
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

/// One row of the table: a field (or group) of one operation, for a range of
/// API versions.
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
    /// The only lengths allowed inside `min_len..=max_len` (e.g. 20 or 24 hex
    /// digits for a TDES or an AES DUKPT key serial number); empty: any.
    pub lengths: &'static [usize],
    /// The first API version this row holds for.
    pub since: u32,
    /// The last API version this row holds for.
    pub until: u32,
    /// A secret or card data: never logged, never echoed, not even one
    /// character of it in a validation message.
    pub sensitive: bool,
}

impl FieldRule {
    /// Whether this row is the rule at API `version`.
    pub fn holds_at(&self, version: u32) -> bool {
        (self.since..=self.until).contains(&version)
    }

    /// The row, marked sensitive.
    const fn secret(self) -> FieldRule {
        FieldRule { sensitive: true, ..self }
    }

    /// The row, restricted to these exact lengths.
    const fn lengths(self, lengths: &'static [usize]) -> FieldRule {
        FieldRule { lengths, ..self }
    }

    /// The row, from API version `version` on.
    const fn since(self, version: u32) -> FieldRule {
        FieldRule { since: version, ..self }
    }

    /// The row, up to API version `version` included.
    const fn until(self, version: u32) -> FieldRule {
        FieldRule { until: version, ..self }
    }

    /// Whether a value of `length` characters has an allowed length.
    fn length_ok(&self, length: usize) -> bool {
        (self.min_len..=self.max_len).contains(&length) && (self.lengths.is_empty() || self.lengths.contains(&length))
    }
}

/// A field known by its name only: a response field or an authentication
/// field, with its sensitivity marker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NamedField {
    /// The NVP field name, e.g. `session.aes256Key`.
    pub name: &'static str,
    /// A secret or card data: never logged, never shown.
    pub sensitive: bool,
}

impl NamedField {
    /// The field, marked sensitive.
    const fn secret(self) -> NamedField {
        NamedField { sensitive: true, ..self }
    }
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

/// The authentication fields of the request envelope. They are in no
/// operation's field list ("Authentication" in the reference); the library
/// supplies them from its configuration and [`check_request`] accepts them.
pub const AUTHENTICATION: [NamedField; 2] = [named("apiUsername"), named("apiPassword").secret()];

/// The names of [`AUTHENTICATION`]: `apiUsername`, `apiPassword`.
pub const AUTHENTICATION_FIELDS: [&str; 2] = [AUTHENTICATION[0].name, AUTHENTICATION[1].name];

/// The first API version whose P2PE rules take AES DUKPT terminals (24-hex-digit
/// key serial numbers, 32-hex-digit IVs) and `posTerminal.serialNumber`.
pub const AES_DUKPT_VERSION: u32 = 84;

/// Whether values of this field are secrets or card data: never logged,
/// never echoed in a message, never shown by a `Debug` or `repr`, and zeroized
/// where the library holds them.
///
/// One answer for every operation and API version: a name marked sensitive
/// anywhere in the table (request rows, response rows, authentication) is
/// sensitive everywhere; an indexed name of a list answer
/// (`transaction[0].sourceOfFunds.provided.card.number`) as its unindexed one.
pub fn is_sensitive(name: &str) -> bool {
    let name = &*unindexed(name);
    let named = AUTHENTICATION
        .iter()
        .chain(ERROR_FIELDS)
        .chain(Operation::ALL.iter().flat_map(|op| op.response_fields()))
        .any(|field| field.sensitive && field.name == name);
    named || Operation::ALL.iter().flat_map(|op| op.rules()).any(|rule| rule.sensitive && rule.name == name)
}

/// The longest unknown field name an error repeats whole (the reference's
/// longest is under 100 bytes).
const MAX_ECHOED_NAME: usize = 256;

/// Checks one field's value against its rule at API `version`.
///
/// A field the operation does not have at that version is UNSUPPORTED (so
/// is a parameter group, which carries no value); a value that breaks the
/// rule is INVALID, and the message says what was found: the length, or the
/// position and kind of the first bad character (and, for a field that is
/// not sensitive, the character itself). When another API version's rule
/// accepts the value, the message says which.
/// `apiUsername` / `apiPassword` are not request fields here: the library
/// sets them from its configuration.
pub fn check_field(op: Operation, version: u32, name: &str, value: &str) -> Result<(), FieldError> {
    let rule = match op.rule_at(version, name) {
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
            let mut text = format!("is not a field of {op} at API version {version}");
            if let Some(other) = op.rules().iter().find(|rule| rule.name == name) {
                text.push_str(&format!(" ({})", version_range(other)));
            }
            return Err(FieldError::new(name, ValidationType::Unsupported, text));
        }
    };
    let Some(mut text) = rule_violation(op, rule, value) else { return Ok(()) };
    let elsewhere = op
        .rules()
        .iter()
        .find(|other| other.name == name && !other.holds_at(version) && rule_violation(op, other, value).is_none());
    if let Some(other) = elsewhere {
        text.push_str(&format!(" at API version {version}; {} accepts this value", version_range(other)));
    }
    Err(FieldError::new(name, ValidationType::Invalid, text))
}

/// A set of rows of one operation's table: bit `i` for `op.rules()[i]`.
/// 128 bits: UPDATE_SESSION stores the fields of TOKENIZE, PAY and
/// AUTHORIZE, more than 64 rows (the test `every_table_fits_the_accepted_mask`).
pub type RowMask = u128;

/// The row mask with row 0 only.
const ROW: RowMask = 1;

/// The rows of one operation's table (bit `i` for `op.rules()[i]`) whose
/// rule accepted a field's value: what a [`Request`](crate::request::Request)
/// remembers of the check made when the field was set, so that the request
/// is checked at the configured API version without a second pass over the
/// value ([`check_accepted`]). Every table fits: see the test
/// `every_table_fits_the_accepted_mask`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Accepted(RowMask);

impl Accepted {
    /// Every row named as the field that was accepted (its rows at every
    /// version), as [`check_complete_rows`] takes them; 0 for an empty set.
    pub fn named_rows(self, op: Operation) -> RowMask {
        let row = self.0.trailing_zeros() as usize;
        row_index(op).same_name.get(row).copied().unwrap_or(0)
    }

    /// Whether every row that accepted the value makes it, and the field's
    /// name, plain for the form encoding: the encoder need not read it again.
    pub fn form_plain(self, op: Operation) -> bool {
        self.0 != 0 && self.0 & !row_index(op).form_plain == 0
    }

    /// The first row that accepted the value (the field's row): `None` for
    /// an empty set.
    pub fn rule(self, op: Operation) -> Option<&'static FieldRule> {
        op.rules().get(self.0.trailing_zeros() as usize)
    }

    /// Whether the row that holds at API `version` is one of the rows that
    /// accepted the value.
    pub fn holds_at(self, op: Operation, version: u32) -> bool {
        let rules = op.rules();
        let mut rows = self.0;
        while rows != 0 {
            if rules.get(rows.trailing_zeros() as usize).is_some_and(|rule| rule.holds_at(version)) {
                return true;
            }
            rows &= rows - 1;
        }
        false
    }
}

/// Checks one field's value against its rule at every API version, as a
/// request does when a field is set (the API version is known only when the
/// request is executed): the rows that accept the value when some version's
/// rule does, otherwise the error of the newest rule, followed by the older
/// versions' rules when they differ.
///
/// Each row of the field is applied once (a field has one or two); the
/// request keeps the answer for [`check_accepted`].
pub fn check_field_any_version(op: Operation, name: &str, value: &str) -> Result<Accepted, FieldError> {
    // The common case first, with no allocation and no second lookup.
    let mut accepted: RowMask = 0;
    for (index, rule) in op.rules().iter().enumerate() {
        if rule.name == name && rule.charset != Charset::Group && rule_violation(op, rule, value).is_none() {
            accepted |= ROW.checked_shl(index as u32).unwrap_or(0);
        }
    }
    if accepted != 0 {
        return Ok(Accepted(accepted));
    }
    let rows: Vec<&FieldRule> = op.rules().iter().filter(|rule| rule.name == name).collect();
    // A name no version has: say so, not "at version N" of a version the
    // till may never have chosen (the version is known at execution only).
    let Some(newest) = rows.iter().max_by_key(|rule| rule.since) else {
        return Err(match check_field(op, op.reference_version(), name, value) {
            Err(error) if error.field == name => {
                FieldError::new(name, ValidationType::Unsupported, format!("is not a field of {op} at any API version"))
            }
            other => other.err().unwrap_or_else(|| {
                FieldError::new(name, ValidationType::Unsupported, format!("is not a field of {op}"))
            }),
        });
    };
    let mut error = match check_field(op, newest.since, name, value) {
        Ok(()) => return Ok(Accepted::default()),
        Err(error) => error,
    };
    let older: Vec<String> = rows
        .iter()
        .filter(|rule| rule.since != newest.since)
        .map(|rule| format!("{}: {}", version_range(rule), describe(op, rule)))
        .collect();
    if !older.is_empty() && error.validation_type == ValidationType::Invalid {
        error.rule = format!("{} at {}; {}", error.rule, version_range(newest), older.join("; "));
    }
    Err(error)
}

/// Checks at API `version` a value that [`check_field_any_version`] found
/// `accepted` by: `Ok` at once when the version's own row is one of them,
/// without a second pass over the value; otherwise the field's error at
/// that version, from [`check_field`] (which then reads the value again to
/// say what is wrong: only a value that is refused is read twice).
pub fn check_accepted(
    op: Operation,
    version: u32,
    name: &str,
    value: &str,
    accepted: Accepted,
) -> Result<(), FieldError> {
    if accepted.holds_at(op, version) {
        return Ok(());
    }
    check_field(op, version, name, value)
}

/// "API version 84 and later", "API versions 39 to 83".
fn version_range(rule: &FieldRule) -> String {
    if rule.since == 0 {
        format!("API versions up to {}", rule.until)
    } else if rule.until == u32::MAX {
        format!("API version {} and later", rule.since)
    } else {
        format!("API versions {} to {}", rule.since, rule.until)
    }
}

/// Checks a whole request at API `version`: every field's value, then that
/// no field is given twice, then [`check_complete`]. The first problem found
/// is returned. For pairs of any origin (gw-sim checks what it receives with
/// it); a [`Request`](crate::request::Request) checked its values when they
/// were set and keeps its names unique, and the client completes it with
/// [`check_accepted`] and [`check_complete`].
pub fn check_request<N: AsRef<str>, V: AsRef<str>>(
    op: Operation,
    version: u32,
    fields: &[(N, V)],
    completeness: Completeness,
) -> Result<(), FieldError> {
    for (name, value) in fields {
        let name = name.as_ref();
        if AUTHENTICATION_FIELDS.contains(&name) {
            continue;
        }
        check_field(op, version, name, value.as_ref())?;
    }
    if let Some(name) = fields.iter().enumerate().find_map(|(i, (name, _))| {
        fields[..i].iter().any(|(earlier, _)| earlier.as_ref() == name.as_ref()).then_some(name.as_ref())
    }) {
        return Err(FieldError::new(name, ValidationType::Invalid, "is given more than once".to_owned()));
    }
    check_complete(op, version, fields, completeness)
}

/// Checks that a request whose values are valid at API `version`, each
/// given once, is whole: every REQUIRED field present (a REQUIRED field
/// inside an OPTIONAL group only once some field of that group is present),
/// then, for a [`Completeness::Complete`] request, [`check_cross_fields`].
pub fn check_complete<N: AsRef<str>, V: AsRef<str>>(
    op: Operation,
    version: u32,
    fields: &[(N, V)],
    completeness: Completeness,
) -> Result<(), FieldError> {
    check_required(op, version, fields, completeness)?;
    check_amounts(fields)?;
    if completeness == Completeness::Complete {
        check_cross_fields(op, fields, None)?;
    }
    Ok(())
}

/// As [`check_complete`], for fields whose names are rows of the table
/// (`present`: every row named as one of them, from [`rows_named`] and
/// [`Accepted::named_rows`]; names outside the table, the credentials,
/// lie in no group and are no REQUIRED field). The REQUIRED fields are
/// read from the rows, with no name compared; only a request that does not
/// pass that way is checked by name, for [`check_complete`]'s own error.
pub fn check_complete_rows<N: AsRef<str>, V: AsRef<str>>(
    op: Operation,
    version: u32,
    present: RowMask,
    fields: &[(N, V)],
    completeness: Completeness,
) -> Result<(), FieldError> {
    if !required_rows_present(op, version, present, completeness) {
        check_required(op, version, fields, completeness)?;
    }
    check_amounts(fields)?;
    if completeness == Completeness::Complete {
        check_cross_fields(op, fields, None)?;
    }
    Ok(())
}

/// Relations between the rows of one operation's table, from their names,
/// computed once: bit `j` of an entry stands for `op.rules()[j]`.
struct RowIndex {
    /// The rows with row `i`'s name (its field at every version), `i` too.
    same_name: Vec<RowMask>,
    /// The rows inside row `i` read as a group: named `{name}.…`.
    inside: Vec<RowMask>,
    /// The rows named as one of row `i`'s enclosing groups.
    enclosing: Vec<RowMask>,
    /// The rows whose name and every accepted value the form encoding
    /// writes as they are ([`Charset::is_form_plain`]).
    form_plain: RowMask,
}

impl RowIndex {
    fn new(rules: &[FieldRule]) -> RowIndex {
        let rows = |keep: &dyn Fn(&FieldRule) -> bool| {
            rules
                .iter()
                .enumerate()
                .filter(|(_, rule)| keep(rule))
                .fold(0, |mask: RowMask, (j, _)| mask | ROW.checked_shl(j as u32).unwrap_or(0))
        };
        let inside = |group: &'static str| move |rule: &FieldRule| is_inside(rule.name, group);
        RowIndex {
            same_name: rules.iter().map(|row| rows(&|rule| rule.name == row.name)).collect(),
            inside: rules.iter().map(|row| rows(&inside(row.name))).collect(),
            form_plain: rows(&|rule| rule.charset.is_form_plain() && rule.name.bytes().all(ascii::is_form_plain)),
            enclosing: rules
                .iter()
                .map(|row| rows(&|rule| enclosing_groups(row.name).any(|group| group == rule.name)))
                .collect(),
        }
    }
}

/// Whether `name` is a field of `group`: `{group}.…`.
fn is_inside(name: &str, group: &str) -> bool {
    name.len() > group.len() && name.starts_with(group) && name.as_bytes()[group.len()] == b'.'
}

/// Each operation's [`RowIndex`], in the order of [`Operation::ALL`].
static ROW_INDEX: LazyLock<Vec<RowIndex>> =
    LazyLock::new(|| Operation::ALL.iter().map(|op| RowIndex::new(op.rules())).collect());

fn row_index(op: Operation) -> &'static RowIndex {
    // `ALL` lists the operations in their declaration order (a test says so).
    &ROW_INDEX[op as usize]
}

/// Every row of `op`'s table named `name` (all versions), as a bit set.
pub fn rows_named(op: Operation, name: &str) -> RowMask {
    let index = row_index(op);
    op.rules().iter().position(|rule| rule.name == name).map_or(0, |row| index.same_name[row])
}

/// Whether every REQUIRED row at `version` is satisfied by the rows
/// `present` as [`check_required`] judges it by name: the field is given,
/// or used as a group, or lies in an OPTIONAL group (a row at `version`)
/// of which no field is given. `false` when in doubt (an enclosing group
/// with no row): the caller then checks by name.
fn required_rows_present(op: Operation, version: u32, present: RowMask, completeness: Completeness) -> bool {
    let index = row_index(op);
    let rules = op.rules();
    rules.iter().enumerate().all(|(row, rule)| {
        if rule.charset == Charset::Group || rule.presence == Presence::Optional || !rule.holds_at(version) {
            return true;
        }
        if completeness == Completeness::MayUseSession && rule.presence != Presence::Fixed {
            return true;
        }
        if present & (index.same_name[row] | index.inside[row]) != 0 {
            return true;
        }
        let mut groups = index.enclosing[row];
        while groups != 0 {
            let group = groups.trailing_zeros() as usize;
            groups &= groups - 1;
            let unused_optional = rules
                .get(group)
                .is_some_and(|group_rule| group_rule.holds_at(version) && group_rule.presence != Presence::Required)
                && present & index.inside.get(group).copied().unwrap_or(0) == 0;
            if unused_optional {
                return true;
            }
        }
        false
    })
}

/// The REQUIRED part of [`check_complete`], by name.
fn check_required<N: AsRef<str>, V: AsRef<str>>(
    op: Operation,
    version: u32,
    fields: &[(N, V)],
    completeness: Completeness,
) -> Result<(), FieldError> {
    let present = |group: &str| fields.iter().any(|(name, _)| is_inside(name.as_ref(), group));
    for rule in op.rules_at(version) {
        if rule.charset == Charset::Group || rule.presence == Presence::Optional {
            continue;
        }
        if fields.iter().any(|(name, _)| name.as_ref() == rule.name) || present(rule.name) {
            continue;
        }
        let in_used_group = enclosing_groups(rule.name).all(|group| match op.rule_at(version, group) {
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
            Some(group) if op.rule_at(version, group).map(|g| g.presence) == Some(Presence::Optional) => {
                format!("is required when any field of '{group}' is given")
            }
            _ => format!("is required by {op}"),
        };
        return Err(FieldError::new(rule.name, ValidationType::Missing, rule_text));
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

/// Whether a character is allowed by a per-character charset; `None` for the
/// charsets that judge the value whole (enumeration, number, fixed, group).
fn char_allowed(charset: Charset, c: char) -> Option<bool> {
    Some(match charset {
        Charset::Any => c != '\0',
        Charset::Ascii => (' '..='~').contains(&c),
        Charset::Hex => c.is_ascii_hexdigit(),
        Charset::Digits | Charset::Number { .. } => c.is_ascii_digit(),
        Charset::Decimal => c.is_ascii_digit() || c == '.',
        Charset::Alphanumeric => c.is_ascii_alphanumeric(),
        Charset::AlphanumericPlus(extra) => c.is_ascii_alphanumeric() || extra.contains(c),
        Charset::UpperAlpha => c.is_ascii_uppercase(),
        Charset::Enumeration(_) | Charset::FixedOperation | Charset::Group => return None,
    })
}

/// What a per-character charset expects, e.g. "a hexadecimal digit (0-9, a-f, A-F)".
fn expected_char(charset: Charset) -> String {
    match charset {
        Charset::Ascii => "a printable ASCII character".to_owned(),
        Charset::Hex => "a hexadecimal digit (0-9, a-f, A-F)".to_owned(),
        Charset::Digits | Charset::Number { .. } => "a digit (0-9)".to_owned(),
        Charset::Decimal => "a digit (0-9) or the decimal point '.'".to_owned(),
        Charset::Alphanumeric => "a letter or digit (0-9, a-z, A-Z)".to_owned(),
        Charset::AlphanumericPlus(extra) => {
            let listed: Vec<String> = extra.chars().map(|c| format!("'{c}'")).collect();
            format!("a letter, a digit or one of {}", listed.join(", "))
        }
        Charset::UpperAlpha => "an upper-case letter (A-Z)".to_owned(),
        _ => "allowed here".to_owned(),
    }
}

/// The kind of a character, for a sensitive field's message (never the
/// character itself).
fn char_class(c: char) -> &'static str {
    match c {
        '0'..='9' => "a digit",
        'a'..='z' | 'A'..='Z' => "a letter",
        ' ' => "a space",
        '\0' => "a NUL character",
        c if c.is_control() => "a control character",
        c if c.is_ascii() => "a punctuation character",
        _ => "a non-ASCII character",
    }
}

/// Whether a value is a decimal amount as [`Charset::Decimal`] reads it:
/// `12`, `12.5`, `0.01`; not `.5`, `5.`, `1.2.3`, `-1`, `1e3`, ``.
fn is_decimal(value: &str) -> bool {
    let mut parts = value.split('.');
    let whole = parts.next().unwrap_or_default();
    let fraction = parts.next();
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    parts.next().is_none() && digits(whole) && fraction.is_none_or(digits)
}

/// What is wrong with a value, in words; `None` when it complies. The first
/// bad character (by position, from 1) comes before the length; a sensitive
/// field's character is told by its kind only.
fn rule_violation(op: Operation, rule: &FieldRule, value: &str) -> Option<String> {
    // A card's payload (up to 1,024 hex digits) is checked here once per
    // call: the common charsets are tested a byte at a time first, with the
    // charset matched once, and only a value that fails is searched char by char.
    let plain_ascii_ok = match rule.charset {
        Charset::Hex => ascii::all_hex(value.as_bytes()),
        Charset::Digits | Charset::Number { .. } => ascii::all_digits(value.as_bytes()),
        Charset::Alphanumeric => ascii::all_alphanumeric(value.as_bytes()),
        Charset::Ascii => ascii::all_printable(value.as_bytes()),
        _ => false,
    };
    let bad = if plain_ascii_ok {
        None
    } else {
        value.chars().enumerate().find(|&(_, c)| c == '\0' || char_allowed(rule.charset, c) == Some(false))
    };
    if let Some((index, c)) = bad {
        let shown = if rule.sensitive || c == '\0' { char_class(c).to_owned() } else { format!("{c:?}") };
        let expected = if c == '\0' { "allowed in any field".to_owned() } else { expected_char(rule.charset) };
        return Some(format!("character {} is {shown}, not {expected}", index + 1));
    }
    let length = if plain_ascii_ok { value.len() } else { value.chars().count() };
    let whole_ok = match rule.charset {
        Charset::Enumeration(values) => values.contains(&value),
        Charset::Number { min, max } => value.parse::<u32>().map(|n| (min..=max).contains(&n)).unwrap_or(false),
        Charset::FixedOperation => value == op.name(),
        Charset::Decimal => is_decimal(value),
        _ => true,
    };
    if !whole_ok {
        return Some(match rule.charset {
            Charset::Enumeration(values) => {
                format!("is not one of {} (case-sensitive)", values.join(", "))
            }
            Charset::Number { min, max } if !value.is_empty() => format!("is a number outside {min} to {max}"),
            _ => describe(op, rule),
        });
    }
    if !rule.length_ok(length) {
        let found = if length == 0 { "is empty".to_owned() } else { format!("is {length} characters long") };
        return Some(format!("{found}; {}", describe(op, rule)));
    }
    if rule.charset == Charset::Hex && length % 2 != 0 {
        return Some(format!("is {length} hexadecimal digits, an odd number; {}", describe(op, rule)));
    }
    None
}

/// The whole rule of a field in one sentence, e.g. "must be exactly 20
/// hexadecimal digits (0-9, a-f, A-F), an even number".
pub fn describe(op: Operation, rule: &FieldRule) -> String {
    let length = if !rule.lengths.is_empty() {
        let listed: Vec<String> = rule.lengths.iter().map(usize::to_string).collect();
        listed.join(" or ")
    } else if rule.min_len == rule.max_len {
        format!("exactly {}", rule.min_len)
    } else {
        format!("{} to {}", rule.min_len, rule.max_len)
    };
    match rule.charset {
        Charset::Any | Charset::Group => format!("must be {length} characters long"),
        Charset::Ascii => format!("must be {length} printable ASCII characters"),
        Charset::Hex => format!("must be {length} hexadecimal digits (0-9, a-f, A-F), an even number"),
        Charset::Digits => format!("must be {length} digits (0-9)"),
        Charset::Decimal => format!(
            "must be a decimal amount of {length} characters: digits, at most one '.' with a digit on each side \
             (e.g. 12.50; no sign, no exponent, no separator)"
        ),
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
// The table. Lengths are in characters, as the reference gives them. A row
// holds for every API version unless `.since(N)` / `.until(N)` says otherwise;
// `.secret()` marks a sensitive field, `.lengths(..)` the only lengths allowed.
// ---------------------------------------------------------------------------

const fn field(name: &'static str, charset: Charset, min_len: usize, max_len: usize, presence: Presence) -> FieldRule {
    FieldRule { name, charset, min_len, max_len, presence, lengths: &[], since: 0, until: u32::MAX, sensitive: false }
}

const fn group(name: &'static str, presence: Presence) -> FieldRule {
    field(name, Charset::Group, 0, 0, presence)
}

const fn named(name: &'static str) -> NamedField {
    NamedField { name, sensitive: false }
}

use Charset::*;
use Presence::*;

/// `merchant`: "Data may consist of the characters 0-9, a-z, A-Z, '-', '_'", 1–40.
const MERCHANT: Charset = AlphanumericPlus("-_");
/// `apiOperation` has no length limit of its own ("zero or more unicode characters").
const ANY_LENGTH: usize = usize::MAX;
/// The last API version before [`AES_DUKPT_VERSION`].
const TDES_ONLY: u32 = AES_DUKPT_VERSION - 1;
/// [`AES_DUKPT_VERSION`], short.
const AES: u32 = AES_DUKPT_VERSION;
const P2PE_STATES: Charset = Enumeration(&["VALID", "INVALID"]);

/// Create Session, NVP API version 39.
static CREATE_SESSION: &[FieldRule] = &[
    field("apiOperation", FixedOperation, 0, ANY_LENGTH, Fixed),
    field("correlationId", Any, 1, 100, Optional),
    field("merchant", MERCHANT, 1, 40, Required),
];

/// Create or Update Token, NVP API version 50; from version 84 the P2PE
/// group also takes AES DUKPT terminals.
///
/// `token` is REQUIRED in the reference's "Create or Update Token" form; the
/// gateway also takes TOKENIZE without `token` (the "Create Token" form, the
/// gateway generates the token), so it is OPTIONAL here: see
/// `shared/spec/README.md`.
///
/// From version 84 (the gateway's P2PE guide: "available from version 84
/// onwards", AES DUKPT with 128- and 256-bit keys, 3-DES kept as legacy; its
/// examples `keySerialNumber=40F000000000000000000001`, a 32-digit zero IV).
/// The gateway's version 100 field reference gives `keySerialNumber` Hex
/// 20–24, `initializationVector` Hex 16–64, `payload` Hex 32–1024 (unchanged)
/// and `posTerminal.serialNumber` ASCII Text 1–16, OPTIONAL. The KSN and IV
/// ranges are read as the lengths DUKPT produces: a 10-byte TDES or 12-byte
/// AES KSN (20 or 24 digits; 22 is neither), one 8-byte TDES or 16-byte AES
/// block of IV (16 or 32 digits; a 64-digit IV is no cipher's block). The
/// payload keeps the reference's range (the permissive reading: no
/// whole-block check, the gateway decides).
static TOKENIZE: &[FieldRule] = &[
    field("apiOperation", FixedOperation, 0, ANY_LENGTH, Fixed),
    field("correlationId", Any, 1, 100, Optional),
    field("merchant", MERCHANT, 1, 40, Required),
    group("posTerminal", Optional).since(AES),
    field("posTerminal.serialNumber", Ascii, 1, 16, Optional).since(AES),
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
    field("sourceOfFunds.provided.ach.bankAccountNumber", AlphanumericPlus(" -/"), 1, 17, Optional).secret(),
    field("sourceOfFunds.provided.ach.routingNumber", Digits, 9, 9, Optional),
    field("sourceOfFunds.provided.ach.secCode", Enumeration(&["PPD", "TEL", "WEB"]), 0, ANY_LENGTH, Optional),
    group("sourceOfFunds.provided.card", Optional),
    group("sourceOfFunds.provided.card.expiry", Optional),
    field("sourceOfFunds.provided.card.expiry.month", Number { min: 1, max: 12 }, 1, 2, Required),
    field("sourceOfFunds.provided.card.expiry.year", Digits, 2, 2, Required),
    field("sourceOfFunds.provided.card.number", Digits, 9, 19, Optional).secret(),
    field("sourceOfFunds.provided.card.securityCode", Digits, 3, 4, Optional).secret(),
    group("sourceOfFunds.provided.giftCard", Optional),
    field("sourceOfFunds.provided.giftCard.expectedLocalBrand", Any, 4, 50, Optional),
    field("sourceOfFunds.provided.giftCard.number", Digits, 9, 19, Optional).secret(),
    field("sourceOfFunds.provided.giftCard.pin", Digits, 4, 8, Optional).secret(),
    group("sourceOfFunds.provided.card.p2pe", Optional),
    field("sourceOfFunds.provided.card.p2pe.cardBin", Digits, 1, 6, Optional),
    field("sourceOfFunds.provided.card.p2pe.encryptionState", P2PE_STATES, 5, 7, Optional),
    field("sourceOfFunds.provided.card.p2pe.initializationVector", Hex, 16, 16, Optional).until(TDES_ONLY),
    field("sourceOfFunds.provided.card.p2pe.initializationVector", Hex, 16, 32, Optional).lengths(&[16, 32]).since(AES),
    field("sourceOfFunds.provided.card.p2pe.keySerialNumber", Hex, 20, 20, Required).until(TDES_ONLY),
    field("sourceOfFunds.provided.card.p2pe.keySerialNumber", Hex, 20, 24, Required).lengths(&[20, 24]).since(AES),
    field("sourceOfFunds.provided.card.p2pe.payload", Hex, 32, 1024, Required).secret(),
    field("sourceOfFunds.token", Alphanumeric, 1, 40, Optional),
    field("sourceOfFunds.type", Enumeration(&["ACH", "CARD", "GIFT_CARD"]), 0, ANY_LENGTH, Required),
    field("token", Alphanumeric, 1, 40, Optional),
    field("transaction.currency", UpperAlpha, 3, 3, Optional),
    field("verificationStrategy", Enumeration(&["ACQUIRER", "BASIC", "NONE"]), 0, ANY_LENGTH, Optional),
];

// ---------------------------------------------------------------------------
// The token and session lifecycle (issue 19). The gateway's reference pages,
// as stored copies of the gateway's documentation site, one constant each so
// that every row below names its page.

/// Check Gateway, NVP, version 79 ("latest" when stored): `URL
/// {base}/api/nvp/version/79/information`, "HTTP Method GET, POST",
/// "Authentication None required", "There are no request parameters";
/// answer `gatewayVersion` (ASCII 5–32, ALWAYS PROVIDED) and `status`
/// (OPERATING, SHUTDOWN). The version 15 page has the same resource
/// (`POST .../version/15 / information`) and no `gatewayVersion`.
pub const CHECK_GATEWAY_PAGE: &str = "https://na.gateway.mastercard.com/api/documentation/apiDocumentation/nvp/version/latest/operation/Gateway%3a%20%20Check%20Gateway.html?locale=en_US";

/// Retrieve Token, NVP, version 59 (the same fields at 34, 45, 49 and 55).
pub const RETRIEVE_TOKEN_PAGE: &str = "https://na.gateway.mastercard.com/api/documentation/apiDocumentation/nvp/version/59/operation/Tokenization%3a%20%20Retrieve%20Token.html?locale=en_US";

/// Delete Token, NVP, version 44 (the same fields at 19, 59 and 60).
pub const DELETE_TOKEN_PAGE: &str = "https://test-mib.mtf.gateway.mastercard.com/api/documentation/apiDocumentation/nvp/version/44/operation/Tokenization%3a%20%20Delete%20Token.html?locale=en_US";

/// Delete Token, NVP, version 60: neither `subMerchant` nor
/// `externalTokenProvider`.
pub const DELETE_TOKEN_PAGE_V60: &str = "https://na.gateway.mastercard.com/api/documentation/apiDocumentation/nvp/version/60/operation/Tokenization:%20%20Delete%20Token.html?locale=en_US";

/// Delete Token, NVP, version 43 of a gateway with MerchantLink merchants:
/// `externalTokenProvider.customData` (String 1–4000, OPTIONAL), "MANDATORY
/// for MerchantLink merchants".
pub const DELETE_TOKEN_PAGE_V43_EXTERNAL: &str = "https://tyro.gateway.mastercard.com/api/documentation/apiDocumentation/nvp/version/43/operation/Tokenization%3a%20%20Delete%20Token.html?locale=en_US";

/// Delete Token, REST, version 72: the `subMerchant` group with the
/// REQUIRED `subMerchant.identifier` (0-9 a-z A-Z and `- _ space & + ! $ .`,
/// 1–100); the NVP pages of 82 ("latest" when stored) and 100 have the same.
pub const DELETE_TOKEN_PAGE_V72: &str = "https://test-gateway.mastercard.com/api/documentation/apiDocumentation/rest-json/version/72/operation/Tokenization:%20%20Delete%20Token.html?locale=en_US";

/// Delete Token, NVP, version 100: `externalTokenProvider` and `subMerchant`.
pub const DELETE_TOKEN_PAGE_V100: &str = "https://qnbalahli.test.gateway.mastercard.com/api/documentation/apiDocumentation/nvp/version/100/operation/Tokenization%3a%20%20Delete%20Token.html?locale=en_US";

/// Retrieve Token, NVP, version 54 of a gateway with MerchantLink merchants:
/// `externalTokenProvider.customData`.
pub const RETRIEVE_TOKEN_PAGE_V54_EXTERNAL: &str = "https://mcb.gateway.mastercard.com/api/documentation/apiDocumentation/nvp/version/54/operation/Tokenization%3a%20%20Retrieve%20Token.html?locale=el_GR";

/// Retrieve Token, NVP, version 64: no `subMerchant`.
pub const RETRIEVE_TOKEN_PAGE_V64: &str = "https://eu-gateway.mastercard.com/api/documentation/apiDocumentation/nvp/version/64/operation/Tokenization%3a%20%20Retrieve%20Token.html?locale=es_MX";

/// Retrieve Token, NVP, version 72: the `subMerchant` group.
pub const RETRIEVE_TOKEN_PAGE_V72: &str = "https://eu-gateway.mastercard.com/api/documentation/apiDocumentation/nvp/version/72/operation/Tokenization%3a%20%20Retrieve%20Token.html?locale=es_MX";

/// Update Session, REST, version 57 ("Request to add or update request
/// fields contained in the session"); the NVP pages of Update Session and
/// Retrieve Session are not in the stored copy.
pub const UPDATE_SESSION_PAGE: &str = "https://na.gateway.mastercard.com/api/documentation/apiDocumentation/rest-json/version/57/operation/Session%3A%20Update%20Session.html?locale=en_US";

/// The gateway's pages that say a Unique Account Identifier repository
/// answers a TOKENIZE of a stored card with its token: the tokenization
/// guide ("Unique Account Identifier: an account identifier can only be
/// stored against a single token"), and Create or Update Token with a
/// system-generated token, REST version 45 ("if the repository is
/// configured for the Token Management Strategy Unique Card Number and the
/// supplied card number has previously been stored against an existing
/// token, the gateway will return that token").
pub const UNIQUE_CARD_PAGES: [&str; 2] = [
    "https://na.gateway.mastercard.com/api/documentation/integrationGuidelines/supportedFeatures/pickAdditionalFunctionality/tokenization/tokenization.html?locale=en_US",
    "https://anzegate.gateway.mastercard.com/api/documentation/apiDocumentation/rest-json/version/45/operation/Tokenization%3a%20%20Create%20or%20Update%20Token%20(with%20system-generated%20token).html?locale=fr_FR",
];

/// The first API version whose token operations take `subMerchant` (a
/// payment facilitator's sub-merchant, whose tokens the gateway keeps in a
/// repository of their own): the version 72 pages have it
/// ([`RETRIEVE_TOKEN_PAGE_V72`], [`DELETE_TOKEN_PAGE_V72`]), the version 64
/// and 60 pages do not ([`RETRIEVE_TOKEN_PAGE_V64`], [`DELETE_TOKEN_PAGE_V60`]);
/// 65 to 71 are not in the stored copy and refuse it locally: the reading
/// that never sends a field the gateway may reject.
const SUB_MERCHANT: u32 = 72;

/// The `subMerchant` rows of Retrieve Token and Delete Token.
const fn sub_merchant_rows() -> [FieldRule; 2] {
    [
        group("subMerchant", Optional).since(SUB_MERCHANT),
        field("subMerchant.identifier", AlphanumericPlus("-_ &+!$."), 1, 100, Required).since(SUB_MERCHANT),
    ]
}

/// The `externalTokenProvider` rows, from API version `since`: a field of the
/// gateways that serve MerchantLink merchants ("MANDATORY for MerchantLink
/// merchants"), not of every gateway at a version (the version 60 page of
/// another gateway lacks it), so gw accepts it from the first version a page
/// shows it and leaves the rest to the merchant's gateway.
const fn external_token_provider_rows(since: u32) -> [FieldRule; 2] {
    [
        group("externalTokenProvider", Optional).since(since),
        field("externalTokenProvider.customData", Any, 1, 4000, Optional).since(since),
    ]
}

/// Retrieve Token ([`RETRIEVE_TOKEN_PAGE`]). The page marks `token`
/// OPTIONAL; gw requires it: the operation names nothing to retrieve
/// without it (the REST form of the same page has it as the REQUIRED
/// `{tokenid}` of the URL), and a request without it can only fail.
static RETRIEVE_TOKEN: &[FieldRule] = &[
    field("apiOperation", FixedOperation, 0, ANY_LENGTH, Fixed),
    field("correlationId", Any, 1, 100, Optional),
    // The NVP version 44 Retrieve Token page of a gateway with MerchantLink
    // merchants has it ("MANDATORY for MerchantLink merchants"), as the
    // version 43 Delete Token page ([`DELETE_TOKEN_PAGE_V43_EXTERNAL`]) and
    // [`RETRIEVE_TOKEN_PAGE_V54_EXTERNAL`] do: from 44.
    external_token_provider_rows(44)[0],
    external_token_provider_rows(44)[1],
    field("merchant", MERCHANT, 1, 40, Required),
    group("responseControls", Optional),
    field("responseControls.sensitiveData", Any, 1, 50, Optional),
    sub_merchant_rows()[0],
    sub_merchant_rows()[1],
    field("token", Alphanumeric, 1, 40, Required),
];

/// Delete Token ([`DELETE_TOKEN_PAGE`], [`DELETE_TOKEN_PAGE_V43_EXTERNAL`],
/// [`DELETE_TOKEN_PAGE_V72`], [`DELETE_TOKEN_PAGE_V100`]).
static DELETE_TOKEN: &[FieldRule] = &[
    field("apiOperation", FixedOperation, 0, ANY_LENGTH, Fixed),
    field("correlationId", Any, 1, 100, Optional),
    external_token_provider_rows(43)[0],
    external_token_provider_rows(43)[1],
    field("merchant", MERCHANT, 1, 40, Required),
    sub_merchant_rows()[0],
    sub_merchant_rows()[1],
    field("token", Alphanumeric, 1, 40, Required),
];

/// Retrieve Session: the envelope of Create Session (create-session.nvp-v39.txt)
/// and the session's identifier, ASCII 31–35 as every session page gives it
/// (tokenize.nvp-v50.txt `session.id`; [`UPDATE_SESSION_PAGE`]), in the
/// REQUIRED `session` group (the URL's `{sessionId}` in the REST form),
/// and `responseControls.sensitiveData` (String, OPTIONAL: "Indicates how
/// sensitive data is returned in the response", the NVP version 19 Retrieve
/// Session page; the same row as TOKENIZE's).
static RETRIEVE_SESSION: &[FieldRule] = &[
    field("apiOperation", FixedOperation, 0, ANY_LENGTH, Fixed),
    field("correlationId", Any, 1, 100, Optional),
    field("merchant", MERCHANT, 1, 40, Required),
    group("responseControls", Optional),
    field("responseControls.sensitiveData", Any, 1, 50, Optional),
    group("session", Required),
    field("session.id", Ascii, 31, 35, Required),
];

/// Update Session: the envelope of [`RETRIEVE_SESSION`] (without its
/// `responseControls`, which shapes one answer and is stored nowhere) with
/// an optional `session.version` (ASCII 10, tokenize.nvp-v50.txt), then the
/// request fields a session stores. A session stores "any of the request
/// fields of operations that allow a session identifier as a request field"
/// (create-session.nvp-v39.txt, lines 3-5; [`UPDATE_SESSION_PAGE`] lists
/// order, billing, shipping and more): gw's operations that take
/// `session.id` are TOKENIZE, PAY and AUTHORIZE (and VERIFY, whose fields
/// are PAY's), so every row of theirs but the envelope and
/// `responseControls` is a row here, at the same versions: TOKENIZE's rows
/// for a name both have (the card groups a session takes are the ones
/// TOKENIZE takes at that version, P2PE with its TDES-only rows up to
/// version 83 and its AES rows from 84), PAY's for the order, the
/// transaction and the terminal (`posTerminal` from version 40, the
/// Cardholder Present guide's). `sourceOfFunds` is OPTIONAL here: an update
/// may store anything else (a REQUIRED field inside it stays required once
/// the group is used); so are `order` and its fields, which a session may
/// hold before the PAY names the rest.
static UPDATE_SESSION: LazyLock<Vec<FieldRule>> = LazyLock::new(|| {
    let envelope = [field("session.version", Ascii, 10, 10, Optional)];
    let own = |rule: &FieldRule| {
        RETRIEVE_SESSION.iter().any(|own| own.name == rule.name)
            || rule.name == "session.version"
            || rule.name == "responseControls"
            || rule.name.starts_with("responseControls.")
    };
    let tokenize = TOKENIZE.iter().filter(|rule| !own(rule));
    let pay = PAY.iter().filter(|rule| !own(rule) && !TOKENIZE.iter().any(|t| t.name == rule.name));
    // `posTerminal` is a group in both: PAY's row (from 40) is the wider.
    let stored = tokenize.filter(|rule| rule.name != "posTerminal").chain(pay).map(|rule| match rule.name {
        "sourceOfFunds" | "order" | "order.id" | "order.amount" | "order.currency" | "transaction"
        | "transaction.id" => FieldRule { presence: Optional, ..*rule },
        _ => *rule,
    });
    let mut rows: Vec<FieldRule> =
        RETRIEVE_SESSION.iter().filter(|rule| !own_response_control(rule)).copied().collect();
    rows.extend(envelope);
    rows.extend(stored);
    rows.extend(PAY.iter().filter(|rule| rule.name == "posTerminal").copied());
    rows
});

/// Whether a row is `responseControls` or inside it.
fn own_response_control(rule: &FieldRule) -> bool {
    rule.name == "responseControls" || rule.name.starts_with("responseControls.")
}

// ---------------------------------------------------------------------------
// The payment operations (issue 26). The gateway's pages, by API version,
// as `shared/spec/payments.md` lists them (S1-S12 there). Of the NVP field
// pages, only PAY (version 74) and VOID (version 83) were found; the rows of
// AUTHORIZE, CAPTURE, REFUND, VERIFY, RETRIEVE_TRANSACTION and
// RETRIEVE_ORDER are derived from the REST field reference of version 100
// (the NVP names are the REST ones, flattened: "That is the
// {transactionId} URL field for REST and the transaction.id field for
// NVP"), and each table says so.

/// Pay, NVP, version 74 ("latest" when stored): "A single transaction to
/// authorise the payment and transfer funds ... Pay is a mode where the
/// Authorize and Capture operations are completed at the same time";
/// "Response parameters are the same as Transaction: Retrieve Transaction".
pub const PAY_PAGE: &str = "https://evopaymentsmexico.gateway.mastercard.com/api/documentation/apiDocumentation/nvp/version/latest/operation/Transaction%3A%20%20Pay.html?locale=en_US";

/// Void, NVP, version 83: `apiOperation=VOID`, "Request to void a previous
/// transaction ... Typically voids will only be successful when processed
/// not long after the original transaction".
pub const VOID_PAGE: &str = "https://ap-gateway.mastercard.com/api/documentation/apiDocumentation/nvp/version/83/operation/Transaction:%20%20Void.html";

/// Void, REST, version 64: `transaction.targetTransactionId` String 1–40,
/// COMPULSORY.
pub const VOID_PAGE_REST: &str = "https://suncorp.gateway.mastercard.com/api/documentation/apiDocumentation/rest-json/version/latest/operation/Transaction%3A%20%20Void.html";

/// Refund, REST, version 100 (payments.md S1, a copy of the ap-gateway
/// page): the request and answer fields of every transaction operation by
/// name and type: `order.id` / `transaction.id` String 1–40, `*.amount`
/// Decimal 1–14, `*.currency` A-Z 3, `order.reference` /
/// `transaction.reference` String 1–40, `transaction.source`, `posTerminal.*`,
/// `sourceOfFunds.provided.card.p2pe.*`, `response.gatewayCode`, `result`.
/// "you provide the original orderId, a new transactionId, and the amount
/// you wish to refund ... you must NOT provide sourceOfFunds".
pub const REFUND_PAGE_REST_V100: &str = "https://ap-gateway.mastercard.com/api/documentation/apiDocumentation/rest-json/version/100/operation/Transaction%3A%20%20Refund.html";

/// The Cardholder Present guide: "Support for all of the above is available
/// from API version 40 onwards"; "sent to the gateway as a Verify,
/// Authorize, Capture, Pay, or Refund transaction"; the mandatory
/// `transaction.source=CARD_PRESENT`, `sourceOfFunds.type=CARD`,
/// `order.amount`, `order.currency`, and the `posTerminal` fields.
pub const CARD_PRESENT_GUIDE: &str = "https://na.gateway.mastercard.com/api/documentation/integrationGuidelines/supportedFeatures/pickPaymentMethod/cardPresentData.html";

/// The P2PE guide: "Available from version 84 onwards"; "Supported
/// transaction types for P2PE are: Verification, Authorization, Capture,
/// Pay, Refund, Void, Standalone Capture, ...".
pub const P2PE_GUIDE: &str = "https://test-gateway.mastercard.com/api/documentation/api/documentation/integrationGuidelines/supportedFeatures/pickPaymentMethod/p2pEncryption.html";

/// Example requests, REST version 66: a card-present `AUTHORIZE` with
/// `order.amount` and a `VERIFY` with `order.amount=0.00`, both with the
/// `posTerminal` fields and `transaction.source=CARD_PRESENT`.
pub const EXAMPLE_REQUESTS_PAGE: &str = "https://evopaymentsmexico.gateway.mastercard.com/api/documentation/integrationGuidelines/supportedFeatures/pickPaymentMethod/examplesOfRequests.html?locale=en_US";

/// The first API version of the Cardholder Present fields ([`CARD_PRESENT_GUIDE`]).
pub const CARD_PRESENT_VERSION: u32 = 40;

/// The envelope of every payment operation: `apiOperation` (FIXED),
/// `correlationId` (String 1–100, OPTIONAL), `merchant` (REQUIRED), as on
/// every page.
const fn envelope_rows() -> [FieldRule; 3] {
    [
        field("apiOperation", FixedOperation, 0, ANY_LENGTH, Fixed),
        field("correlationId", Any, 1, 100, Optional),
        field("merchant", MERCHANT, 1, 40, Required),
    ]
}

/// An order and a transaction of it, each named by the merchant: `order.id`
/// and `transaction.id` String 1–40 REQUIRED ("Each transaction on the order
/// must have a unique id"; [`REFUND_PAGE_REST_V100`]; the URL's
/// `{orderid}` / `{transactionid}` in REST, body fields in NVP).
const fn order_and_transaction_ids() -> [FieldRule; 4] {
    [
        group("order", Required),
        field("order.id", Any, 1, 40, Required),
        group("transaction", Required),
        field("transaction.id", Any, 1, 40, Required),
    ]
}

/// The merchant's own references, OPTIONAL String 1–40 ([`REFUND_PAGE_REST_V100`]).
const fn reference_rows() -> [FieldRule; 2] {
    [field("order.reference", Any, 1, 40, Optional), field("transaction.reference", Any, 1, 40, Optional)]
}

/// An amount: "Decimal", 1–14 characters ([`REFUND_PAGE_REST_V100`]).
const AMOUNT: (Charset, usize, usize) = (Decimal, 1, 14);

/// A follow-up transaction's amount and currency, REQUIRED (CAPTURE, REFUND:
/// [`REFUND_PAGE_REST_V100`]): Decimal 1–14, A-Z 3.
const fn amount_rows() -> [FieldRule; 2] {
    [
        field("transaction.amount", AMOUNT.0, AMOUNT.1, AMOUNT.2, Required),
        field("transaction.currency", UpperAlpha, 3, 3, Required),
    ]
}

/// `transaction.source` ([`REFUND_PAGE_REST_V100`]; "You can only set the
/// transaction source on the initial transaction on an order").
const TRANSACTION_SOURCES: Charset = Enumeration(&[
    "CALL_CENTRE",
    "CARD_PRESENT",
    "INTERNET",
    "MAIL_ORDER",
    "MERCHANT",
    "MOTO",
    "PAYER_PRESENT",
    "TELEPHONE_ORDER",
    "VOICE_RESPONSE",
]);

/// The `posTerminal` group's lists of values ([`REFUND_PAGE_REST_V100`], all OPTIONAL).
pub mod pos_terminal {
    /// `posTerminal.attended` (EMV 9F35).
    pub const ATTENDED: &[&str] = &["ATTENDED", "SEMI_ATTENDED", "UNATTENDED", "UNKNOWN_OR_UNSPECIFIED"];
    /// `posTerminal.cardPresenceCapability`.
    pub const CARD_PRESENCE_CAPABILITY: &[&str] =
        &["CARD_NOT_PRESENT", "CARD_PRESENT", "CARD_PRESENT_AND_CARD_NOT_PRESENT"];
    /// `posTerminal.cardholderActivated` (the CAT level; EMV 9F35): the
    /// gateway defaults it to `NOT_CARDHOLDER_ACTIVATED` for a card-present payment.
    pub const CARDHOLDER_ACTIVATED: &[&str] = &[
        "AUTOMATED_DISPENSING_MACHINE_WITH_PIN",
        "SELF_SERVICE_TERMINAL",
        "LIMITED_AMOUNT_TERMINAL",
        "IN_FLIGHT_COMMERCE",
        "ELECTRONIC_COMMERCE",
        "TRANSPONDER_TRANSACTION",
        "MPOS_ACCEPTANCE_DEVICE",
        "NOT_CARDHOLDER_ACTIVATED",
    ];
    /// `posTerminal.inputCapability` (EMV 9F33).
    pub const INPUT_CAPABILITY: &[&str] = &[
        "BARCODE",
        "CHIP",
        "CHIP_AND_KEY_ENTRY_AND_MAGNETIC_STRIPE",
        "CHIP_AND_KEY_ENTRY_AND_MAGNETIC_STRIPE_AND_RFID",
        "CHIP_AND_MAGNETIC_STRIPE",
        "CONTACTLESS_CHIP",
        "CONTACTLESS_MAGNETIC_STRIPE",
        "CONTACTLESS_OR_MAGNETIC_STRIPE",
        "KEY_ENTRY",
        "KEY_ENTRY_AND_MAGNETIC_STRIPE",
        "MAGNETIC_STRIPE",
        "UNKNOWN",
        "VOICE_AUDIO_RESPONSE",
    ];
    /// `posTerminal.location`.
    pub const LOCATION: &[&str] = &[
        "MERCHANT_TERMINAL_OFF_PREMISES",
        "MERCHANT_TERMINAL_ON_PREMISES",
        "NO_TERMINAL_VOICE_OR_AUDIO_RESPONSE",
        "PAYER_TERMINAL_OFF_PREMISES",
        "PAYER_TERMINAL_ON_PREMISES",
    ];
    /// `posTerminal.mobile.cardInputDevice`.
    pub const CARD_INPUT_DEVICE: &[&str] = &["BUILT_IN", "INTEGRATED_DONGLE", "SEPARATE_DONGLE"];
    /// `posTerminal.onlineReasonCode`: "mandatory for chip and chip fallback
    /// transactions (including reversals) for all online transactions".
    pub const ONLINE_REASON_CODE: &[&str] = &[
        "CHIP_APPLICATION_DATA_FILE_ERROR",
        "CHIP_COMMON_DATA_FILE_ERROR",
        "FORCED_BY_CHIP",
        "FORCED_BY_ISSUER",
        "FORCED_BY_MERCHANT",
        "FORCED_BY_TERMINAL",
        "MERCHANT_SUSPICIOUS",
        "OVER_FLOOR_LIMIT",
        "RANDOM_SELECTION_BY_TERMINAL",
        "UNABLE_TO_PROCESS_CHIP",
    ];
    /// `posTerminal.panEntryMode` (EMV 9F39).
    pub const PAN_ENTRY_MODE: &[&str] = &[
        "BARCODE_READER",
        "CHIP",
        "CHIP_FALLBACK",
        "CONTACTLESS",
        "ECOMMERCE",
        "KEYED",
        "MOBILE_COMMERCE",
        "OPTICAL_CHARACTER_READER",
        "RFID_CHIP",
        "RFID_STRIPE",
        "SWIPE",
        "SWIPE_WITH_SIGNATURE",
        "UNKNOWN",
        "VOICE_AUTHORIZATION",
        "VOICE_RESPONSE",
    ];
    /// `posTerminal.pinEntryCapability` (EMV 9F33).
    pub const PIN_ENTRY_CAPABILITY: &[&str] = &[
        "OFFLINE_PIN_ONLY",
        "PIN_NOT_SUPPORTED",
        "PIN_PAD_INOPERATIVE",
        "PIN_SUPPORTED",
        "SOFTWARE_ONLINE_PIN_ONLY",
        "UNKNOWN",
    ];
}

/// Pay ([`PAY_PAGE`], version 74) and Authorize ("same shape":
/// payments.md §1.3; the version 100 REST reference, [`REFUND_PAGE_REST_V100`],
/// for the field types): one table for both.
///
/// - `order.amount` (Decimal 1–14) and `order.currency` (A-Z, 3) REQUIRED,
///   with `order.id` and `transaction.id`; `order.reference`,
///   `transaction.reference`, `transaction.source` OPTIONAL.
/// - `session.id` OPTIONAL: the card may come from a session (the
///   gateway's own sample sends PAY with `session.id`); REQUIRED fields may
///   then come from it.
/// - `sourceOfFunds` REQUIRED with `type` (gw takes `CARD`, the card-present
///   guide's mandatory value) and either `sourceOfFunds.token` or
///   `sourceOfFunds.provided.card.*` (number, expiry, security code, and
///   from version 40 the card-present `track1` / `track2` / `emvRequest` /
///   `sequenceNumber`, all card data and sensitive but the sequence number).
/// - `sourceOfFunds.provided.card.p2pe.*` from version 84 ([`P2PE_GUIDE`]),
///   the AES rows of TOKENIZE.
/// - `posTerminal.*` from version 40 ([`CARD_PRESENT_GUIDE`]) with the
///   version 100 lists of values; `serialNumber` from 84, as in TOKENIZE.
///   `posTerminal.address.*` and `posTerminal.store.*` are not rows (gw
///   refuses them locally: not yet needed by a till).
static PAY: LazyLock<Vec<FieldRule>> = LazyLock::new(|| {
    use pos_terminal::*;
    let chp = CARD_PRESENT_VERSION;
    let mut rows = envelope_rows().to_vec();
    rows.extend(order_and_transaction_ids());
    rows.extend(reference_rows());
    rows.extend([
        field("order.amount", AMOUNT.0, AMOUNT.1, AMOUNT.2, Required),
        field("order.currency", UpperAlpha, 3, 3, Required),
        field("transaction.source", TRANSACTION_SOURCES, 0, ANY_LENGTH, Optional),
        field("session.id", Ascii, 31, 35, Optional),
        group("sourceOfFunds", Required),
        field("sourceOfFunds.type", Enumeration(&["CARD"]), 0, ANY_LENGTH, Required),
        field("sourceOfFunds.token", Alphanumeric, 1, 40, Optional),
        group("sourceOfFunds.provided", Optional),
        group("sourceOfFunds.provided.card", Optional),
        group("sourceOfFunds.provided.card.expiry", Optional),
        field("sourceOfFunds.provided.card.expiry.month", Number { min: 1, max: 12 }, 1, 2, Required),
        field("sourceOfFunds.provided.card.expiry.year", Digits, 2, 2, Required),
        field("sourceOfFunds.provided.card.number", Digits, 9, 19, Optional).secret(),
        field("sourceOfFunds.provided.card.securityCode", Digits, 3, 4, Optional).secret(),
        field("sourceOfFunds.provided.card.track1", Any, 2, 79, Optional).secret().since(chp),
        field("sourceOfFunds.provided.card.track2", Any, 2, 40, Optional).secret().since(chp),
        field("sourceOfFunds.provided.card.emvRequest", Any, 1, 250, Optional).secret().since(chp),
        field("sourceOfFunds.provided.card.sequenceNumber", Number { min: 0, max: 999 }, 1, 3, Optional).since(chp),
    ]);
    rows.extend(
        TOKENIZE
            .iter()
            .filter(|rule| rule.name.starts_with("sourceOfFunds.provided.card.p2pe"))
            .map(|rule| FieldRule { since: rule.since.max(AES), ..*rule }),
    );
    // TOKENIZE's TDES-only rows (up to 83) hold at no version from 84.
    rows.retain(|rule| rule.since <= rule.until);
    rows.extend([
        group("posTerminal", Optional).since(chp),
        field("posTerminal.attended", Enumeration(ATTENDED), 0, ANY_LENGTH, Optional).since(chp),
        field("posTerminal.cardPresenceCapability", Enumeration(CARD_PRESENCE_CAPABILITY), 0, ANY_LENGTH, Optional)
            .since(chp),
        field("posTerminal.cardholderActivated", Enumeration(CARDHOLDER_ACTIVATED), 0, ANY_LENGTH, Optional).since(chp),
        field("posTerminal.inputCapability", Enumeration(INPUT_CAPABILITY), 0, ANY_LENGTH, Optional).since(chp),
        field("posTerminal.lane", Any, 1, 8, Optional).since(chp),
        field("posTerminal.location", Enumeration(LOCATION), 0, ANY_LENGTH, Optional).since(chp),
        group("posTerminal.mobile", Optional).since(chp),
        field("posTerminal.mobile.cardInputDevice", Enumeration(CARD_INPUT_DEVICE), 0, ANY_LENGTH, Optional).since(chp),
        field("posTerminal.onlineReasonCode", Enumeration(ONLINE_REASON_CODE), 0, ANY_LENGTH, Optional).since(chp),
        field("posTerminal.panEntryMode", Enumeration(PAN_ENTRY_MODE), 0, ANY_LENGTH, Optional).since(chp),
        field("posTerminal.pinEntryCapability", Enumeration(PIN_ENTRY_CAPABILITY), 0, ANY_LENGTH, Optional).since(chp),
        field("posTerminal.pinLengthCapability", Number { min: 4, max: 12 }, 1, 2, Optional).since(chp),
        field("posTerminal.serialNumber", Ascii, 1, 16, Optional).since(AES),
    ]);
    rows
});

/// Verify: PAY's rows ([`PAY`]), with `order.amount` OPTIONAL: a
/// verification moves no money (the version 66 example,
/// [`EXAMPLE_REQUESTS_PAGE`], sends `order.amount=0.00`; the REST version
/// 100 reference, [`REFUND_PAGE_REST_V100`], for the types). Derived: no
/// NVP page of VERIFY was found.
static VERIFY: LazyLock<Vec<FieldRule>> = LazyLock::new(|| {
    PAY.iter()
        .map(|rule| match rule.name {
            "order.amount" => FieldRule { presence: Optional, ..*rule },
            _ => *rule,
        })
        .collect()
});

/// Capture: a new `transaction.id` on the order with `transaction.amount`
/// (Decimal 1–14) and `transaction.currency` (A-Z, 3), REQUIRED. Derived
/// from the REST version 100 reference ([`REFUND_PAGE_REST_V100`], the same
/// transaction group) and the gateway's sample code, which sets these two
/// for CAPTURE and REFUND: no NVP page of CAPTURE was found. Card-present
/// "Capture only" (an offline chip approval with its card data) is not a
/// row: gw's CAPTURE takes an earlier AUTHORIZE's money.
static CAPTURE: LazyLock<Vec<FieldRule>> =
    LazyLock::new(|| [&envelope_rows()[..], &order_and_transaction_ids(), &reference_rows(), &amount_rows()].concat());

/// Refund ([`REFUND_PAGE_REST_V100`], REST version 100; derived: no NVP
/// page of REFUND was found): the original `order.id`, a new
/// `transaction.id`, `transaction.amount` and `transaction.currency`
/// REQUIRED, `transaction.targetTransactionId` (String 1–40) OPTIONAL ("If
/// you do not provide a target transaction ID the gateway will try to
/// identify a transaction"). No `sourceOfFunds`: "you must NOT provide
/// sourceOfFunds" (a standalone refund is another operation).
static REFUND: LazyLock<Vec<FieldRule>> = LazyLock::new(|| {
    let target = field("transaction.targetTransactionId", Any, 1, 40, Optional);
    [&envelope_rows()[..], &order_and_transaction_ids(), &reference_rows(), &amount_rows(), &[target]].concat()
});

/// Void ([`VOID_PAGE`], NVP version 83; [`VOID_PAGE_REST`] for the
/// COMPULSORY `transaction.targetTransactionId`, String 1–40): a new
/// `transaction.id` on the order, naming the transaction it voids.
static VOID: LazyLock<Vec<FieldRule>> = LazyLock::new(|| {
    let target = field("transaction.targetTransactionId", Any, 1, 40, Required);
    [&envelope_rows()[..], &order_and_transaction_ids(), &reference_rows()[1..], &[target]].concat()
});

/// Retrieve Transaction: `order.id` and `transaction.id`, REQUIRED (REST
/// `GET .../order/{orderid}/transaction/{transactionid}`, the ids in the
/// body for NVP as [`REFUND_PAGE_REST_V100`] says of every id). Derived: no
/// NVP page of RETRIEVE_TRANSACTION was found (an old NVP version 2 page
/// shows both ids as REQUIRED body fields).
static RETRIEVE_TRANSACTION: LazyLock<Vec<FieldRule>> =
    LazyLock::new(|| [&envelope_rows()[..], &order_and_transaction_ids()].concat());

/// Retrieve Order: `order.id`, REQUIRED (REST `GET .../order/{orderid}`).
/// Derived: no NVP page of RETRIEVE_ORDER was found.
static RETRIEVE_ORDER: LazyLock<Vec<FieldRule>> =
    LazyLock::new(|| [&envelope_rows()[..], &order_and_transaction_ids()[..2]].concat());

// ---------------------------------------------------------------------------
// Cross-field rules: requirements the reference states in prose rather than
// in one field's row. Kept apart from the table; `check_request` applies them
// to a complete request after the rows.

/// The amount fields and the currency each is in.
const AMOUNTS: [(&str, &str); 2] = [("order.amount", "order.currency"), ("transaction.amount", "transaction.currency")];

/// The minor units (digits after the decimal point) of a currency, ISO
/// 4217's "minor unit" column; `None` for a currency not listed here. The
/// gateway's reference gives amounts as "Decimal" and no table of minor
/// units (none was found), so this is ISO's, and only for the currencies
/// listed: an amount in another currency is left for the gateway to judge.
pub fn minor_units(currency: &str) -> Option<u32> {
    const ZERO: &[&str] = &[
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF",
        "XPF",
    ];
    const TWO: &[&str] = &[
        "AED", "AUD", "BRL", "CAD", "CHF", "CNY", "CZK", "DKK", "EGP", "EUR", "GBP", "HKD", "HUF", "IDR", "ILS", "INR",
        "MXN", "MYR", "NOK", "NZD", "PHP", "PLN", "QAR", "SAR", "SEK", "SGD", "THB", "TRY", "USD", "ZAR",
    ];
    const THREE: &[&str] = &["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];
    const FOUR: &[&str] = &["CLF", "UYW"];
    [(ZERO, 0), (TWO, 2), (THREE, 3), (FOUR, 4)]
        .iter()
        .find_map(|(list, units)| list.contains(&currency).then_some(*units))
}

/// Checks each amount given with its currency against the currency's minor
/// units ([`minor_units`]): `10.001` is no amount of USD, `100.5` none of
/// JPY. Text only: no amount is ever a float in gw.
pub fn check_amounts<N: AsRef<str>, V: AsRef<str>>(fields: &[(N, V)]) -> Result<(), FieldError> {
    let value = |name: &str| fields.iter().find(|(n, _)| n.as_ref() == name).map(|(_, v)| v.as_ref());
    for (amount_field, currency_field) in AMOUNTS {
        let (Some(amount), Some(currency)) = (value(amount_field), value(currency_field)) else { continue };
        let Some(units) = minor_units(currency) else { continue };
        let decimals = amount.split_once('.').map_or(0, |(_, fraction)| fraction.len());
        if decimals > units as usize {
            let allowed = match units {
                0 => "no decimal places".to_owned(),
                1 => "at most 1 decimal place".to_owned(),
                n => format!("at most {n} decimal places"),
            };
            return Err(FieldError::new(
                amount_field,
                ValidationType::Invalid,
                format!(
                    "has {decimals} decimal place{}; {currency} has {allowed} (ISO 4217 minor units)",
                    if decimals == 1 { "" } else { "s" }
                ),
            ));
        }
    }
    Ok(())
}

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
pub fn check_cross_fields<N: AsRef<str>, V: AsRef<str>>(
    op: Operation,
    fields: &[(N, V)],
    verification: Option<&str>,
) -> Result<(), FieldError> {
    if op != Operation::Tokenize {
        return Ok(());
    }
    let value = |name: &str| fields.iter().find(|(n, _)| n.as_ref() == name).map(|(_, v)| v.as_ref());
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
        .map(|(n, _)| n.as_ref())
        .any(|n| n == "sourceOfFunds.provided.card.number" || n.starts_with("sourceOfFunds.provided.card.p2pe."));
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

/// The `error.*` fields of every answer (the reference's "Errors" section).
pub static ERROR_FIELDS: &[NamedField] = &[
    named("error"),
    named("error.cause"),
    named("error.explanation"),
    named("error.field"),
    named("error.supportCode"),
    named("error.validationType"),
    named("result"),
];

/// Create Session's answer, NVP API version 39, plus `session.aes256Key`: not
/// in the version 39 reference, but later gateways return it (a key for the
/// session's encrypted card data) and it must never be shown.
static CREATE_SESSION_RESPONSE: &[NamedField] = &[
    named("correlationId"),
    named("merchant"),
    named("result"),
    named("session.aes256Key").secret(),
    named("session.id"),
    named("session.updateStatus"),
    named("session.version"),
];

/// Check Gateway's answer ([`CHECK_GATEWAY_PAGE`]): no `result` field.
static CHECK_GATEWAY_RESPONSE: &[NamedField] = &[named("gatewayVersion"), named("status")];

/// Delete Token's answer ([`DELETE_TOKEN_PAGE`]).
static DELETE_TOKEN_RESPONSE: &[NamedField] = &[named("correlationId"), named("result")];

/// Create or Update Token's answer, NVP API version 50. The card and gift
/// card numbers and the PIN come back masked ("Masked digits"), the bank
/// account number masked by default and in clear with
/// `responseControls.sensitiveData`: all sensitive here.
static TOKENIZE_RESPONSE: &[NamedField] = &[
    named("correlationId"),
    named("repositoryId"),
    named("response.gatewayCode"),
    named("result"),
    named("sourceOfFunds"),
    named("sourceOfFunds.provided"),
    named("sourceOfFunds.provided.ach"),
    named("sourceOfFunds.provided.ach.accountIdentifier").secret(),
    named("sourceOfFunds.provided.ach.accountType"),
    named("sourceOfFunds.provided.ach.bankAccountHolder"),
    named("sourceOfFunds.provided.ach.bankAccountNumber").secret(),
    named("sourceOfFunds.provided.ach.routingNumber"),
    named("sourceOfFunds.provided.ach.secCode"),
    named("sourceOfFunds.provided.card"),
    named("sourceOfFunds.provided.card.brand"),
    named("sourceOfFunds.provided.card.expiry"),
    named("sourceOfFunds.provided.card.fundingMethod"),
    named("sourceOfFunds.provided.card.issuer"),
    named("sourceOfFunds.provided.card.localBrand"),
    named("sourceOfFunds.provided.card.number").secret(),
    named("sourceOfFunds.provided.card.scheme"),
    named("sourceOfFunds.provided.giftCard"),
    named("sourceOfFunds.provided.giftCard.brand"),
    named("sourceOfFunds.provided.giftCard.localBrand"),
    named("sourceOfFunds.provided.giftCard.number").secret(),
    named("sourceOfFunds.provided.giftCard.pin").secret(),
    named("sourceOfFunds.provided.giftCard.scheme"),
    named("sourceOfFunds.type"),
    named("status"),
    named("token"),
    named("usage"),
    named("usage.lastUpdated"),
    named("usage.lastUpdatedBy"),
    named("usage.lastUsed"),
    named("verificationStrategy"),
];

/// The answer of a payment operation and of Retrieve Transaction ([`PAY_PAGE`]:
/// "Response parameters are the same as Transaction: Retrieve Transaction";
/// the fields of [`REFUND_PAGE_REST_V100`] and of the example VOID answer
/// in payments.md §1.4). The card comes back masked
/// (`512345xxxxxx0008`), the track and EMV data never (the reference: "The
/// API response will not contain PCI sensitive fields"); all are sensitive
/// here, so that no log shows even the masked number.
pub static TRANSACTION_RESPONSE: &[NamedField] = &[
    named("authorizationResponse"),
    named("authorizationResponse.posEntryMode"),
    named("authorizationResponse.processingCode"),
    named("authorizationResponse.responseCode"),
    named("authorizationResponse.stan"),
    named("correlationId"),
    named("gatewayEntryPoint"),
    named("merchant"),
    named("order"),
    named("order.amount"),
    named("order.creationTime"),
    named("order.currency"),
    named("order.id"),
    named("order.lastUpdatedTime"),
    named("order.merchantAmount"),
    named("order.merchantCurrency"),
    named("order.reference"),
    named("order.status"),
    named("order.totalAuthorizedAmount"),
    named("order.totalCapturedAmount"),
    named("order.totalDisbursedAmount"),
    named("order.totalRefundedAmount"),
    named("posTerminal"),
    named("posTerminal.attended"),
    named("posTerminal.cardPresenceCapability"),
    named("posTerminal.cardholderActivated"),
    named("posTerminal.inputCapability"),
    named("posTerminal.lane"),
    named("posTerminal.location"),
    named("posTerminal.panEntryMode"),
    named("posTerminal.pinEntryCapability"),
    named("posTerminal.serialNumber"),
    named("response"),
    named("response.acquirerCode"),
    named("response.acquirerMessage"),
    named("response.gatewayCode"),
    named("result"),
    named("sourceOfFunds"),
    named("sourceOfFunds.provided"),
    named("sourceOfFunds.provided.card"),
    named("sourceOfFunds.provided.card.brand"),
    named("sourceOfFunds.provided.card.emvRequest").secret(),
    named("sourceOfFunds.provided.card.emvResponse").secret(),
    named("sourceOfFunds.provided.card.expiry"),
    named("sourceOfFunds.provided.card.expiry.month"),
    named("sourceOfFunds.provided.card.expiry.year"),
    named("sourceOfFunds.provided.card.fundingMethod"),
    named("sourceOfFunds.provided.card.number").secret(),
    named("sourceOfFunds.provided.card.p2pe"),
    named("sourceOfFunds.provided.card.p2pe.cardBin"),
    named("sourceOfFunds.provided.card.p2pe.keySerialNumber"),
    named("sourceOfFunds.provided.card.p2pe.payload").secret(),
    named("sourceOfFunds.provided.card.scheme"),
    named("sourceOfFunds.provided.card.track1").secret(),
    named("sourceOfFunds.provided.card.track2").secret(),
    named("sourceOfFunds.token"),
    named("sourceOfFunds.type"),
    named("timeOfLastUpdate"),
    named("timeOfRecord"),
    named("transaction"),
    named("transaction.acquirer"),
    named("transaction.acquirer.batch"),
    named("transaction.acquirer.date"),
    named("transaction.acquirer.id"),
    named("transaction.acquirer.merchantId"),
    named("transaction.acquirer.settlementDate"),
    named("transaction.acquirer.timeZone"),
    named("transaction.acquirer.transactionId"),
    named("transaction.amount"),
    named("transaction.authorizationCode"),
    named("transaction.currency"),
    named("transaction.id"),
    named("transaction.receipt"),
    named("transaction.reference"),
    named("transaction.source"),
    named("transaction.targetTransactionId"),
    named("transaction.type"),
];

/// Retrieve Order's answer: the order's fields (those of
/// [`TRANSACTION_RESPONSE`]), and each of its transactions as
/// `transaction[i].…` with the fields of [`TRANSACTION_RESPONSE`]
/// (`transaction[0].response.gatewayCode`): [`is_sensitive`] reads an
/// indexed name as the unindexed one.
pub static ORDER_RESPONSE: &[NamedField] = TRANSACTION_RESPONSE;

/// The name a field of a list answer stands for: `transaction[3].result`
/// (a transaction of a RETRIEVE_ORDER answer) is `result`, and any other
/// index is dropped (`a[0].b` is `a.b`).
pub fn unindexed(name: &str) -> std::borrow::Cow<'_, str> {
    let rest = match name.strip_prefix("transaction[") {
        Some(rest) => match rest.find("].") {
            Some(end) if rest[..end].bytes().all(|b| b.is_ascii_digit()) => &rest[end + 2..],
            _ => name,
        },
        None => name,
    };
    if !rest.contains('[') {
        return std::borrow::Cow::Borrowed(rest);
    }
    let mut out = String::with_capacity(rest.len());
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '[' {
            while chars.next_if(|c| *c != ']').is_some() {}
            chars.next();
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    const V50: u32 = 50;
    const P2PE: &str = "sourceOfFunds.provided.card.p2pe";

    fn tokenize_at(version: u32, field: &str, value: &str) -> Result<(), FieldError> {
        check_field(Operation::Tokenize, version, &format!("{P2PE}.{field}"), value)
    }

    #[test]
    fn every_row_is_unique_at_each_version_and_inside_a_declared_group() {
        for op in Operation::ALL {
            for version in [39, 50, TDES_ONLY, AES, 100] {
                let rows: Vec<&FieldRule> = op.rules_at(version).collect();
                for (i, rule) in rows.iter().enumerate() {
                    assert!(!rows[..i].iter().any(|r| r.name == rule.name), "{} twice at {version}", rule.name);
                    if ["sourceOfFunds.", "responseControls.", "posTerminal."].iter().any(|g| rule.name.starts_with(g))
                    {
                        for group in enclosing_groups(rule.name) {
                            assert!(op.rule_at(version, group).is_some(), "{} has no group row {group}", rule.name);
                        }
                    }
                }
            }
        }
    }

    /// The REQUIRED fields read from the rows decide as the names do, for
    /// every set of up to three of an operation's fields with gw's own
    /// (and without them), at each version, complete or from a session.
    #[test]
    #[cfg_attr(miri, ignore = "exhaustive logic with no unsafe code: runs natively (Miri is ~1,000 times slower)")]
    fn the_rows_decide_completeness_as_the_names_do() {
        assert!(Operation::ALL.iter().enumerate().all(|(i, &op)| op as usize == i));
        for op in Operation::ALL {
            let mut names: Vec<&str> = op.rules().iter().map(|rule| rule.name).collect();
            names.dedup();
            let rows = |fields: &[&str]| fields.iter().fold(0, |mask, name| mask | rows_named(op, name));
            let mut sets: Vec<Vec<&str>> = vec![vec![]];
            for (i, a) in names.iter().enumerate() {
                sets.push(vec![a]);
                for (j, b) in names.iter().enumerate().skip(i + 1) {
                    sets.push(vec![a, b]);
                    for c in &names[j + 1..] {
                        sets.push(vec![a, b, c]);
                    }
                }
            }
            for set in sets {
                for envelope in [&[][..], &["apiOperation", "merchant", "apiUsername", "apiPassword"]] {
                    let fields: Vec<(&str, &str)> = envelope.iter().chain(&set).map(|&name| (name, "")).collect();
                    let names: Vec<&str> = fields.iter().map(|(name, _)| *name).collect();
                    for version in [39, 50, TDES_ONLY, AES, 100] {
                        for completeness in [Completeness::Complete, Completeness::MayUseSession] {
                            let by_name = check_required(op, version, &fields, completeness).is_ok();
                            let by_rows = required_rows_present(op, version, rows(&names), completeness);
                            assert_eq!(by_rows, by_name, "{op} {version} {completeness:?} {names:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn every_table_fits_the_accepted_mask() {
        for op in Operation::ALL {
            assert!(op.rules().len() <= 128, "{op} has {} rows: `Accepted` holds 128", op.rules().len());
        }
    }

    /// What a request remembers at `set` decides at each version exactly as
    /// a fresh check of the value at that version would.
    #[test]
    #[cfg_attr(miri, ignore = "exhaustive logic with no unsafe code: runs natively (Miri is ~1,000 times slower)")]
    fn the_remembered_check_is_the_versions_check() {
        let aes_ksn = "40F000000000000000000001";
        let values = ["", "CARD", "0123456789ABCDEF", "0123456789abcdef0123", aes_ksn, "411111", "x y", "12"];
        for op in Operation::ALL {
            for rule in op.rules().iter().filter(|rule| rule.charset != Charset::Group) {
                for value in values {
                    let Ok(accepted) = check_field_any_version(op, rule.name, value) else { continue };
                    assert_eq!(accepted.rule(op).map(|row| row.name), Some(rule.name), "{op} {}", rule.name);
                    for version in [0, 39, 50, TDES_ONLY, AES, 100, u32::MAX] {
                        let fresh = check_field(op, version, rule.name, value);
                        assert_eq!(accepted.holds_at(op, version), fresh.is_ok(), "{op} {} at {version}", rule.name);
                        assert_eq!(check_accepted(op, version, rule.name, value, accepted), fresh);
                    }
                }
            }
        }
        // A TDES-era 16-digit IV is accepted by both rows; a 32-digit one by the AES row only.
        let iv =
            |value: &str| check_field_any_version(Operation::Tokenize, &format!("{P2PE}.initializationVector"), value);
        let aes_iv = iv(&"0".repeat(32)).unwrap();
        assert!(!aes_iv.holds_at(Operation::Tokenize, TDES_ONLY) && aes_iv.holds_at(Operation::Tokenize, AES));
        let err =
            check_accepted(Operation::Tokenize, V50, &format!("{P2PE}.initializationVector"), &"0".repeat(32), aes_iv)
                .unwrap_err();
        assert_eq!(err.validation_type, ValidationType::Invalid);
        assert!(err.rule.contains("API version 84 and later accepts this value"), "{}", err.rule);
        assert_eq!(iv(&"0".repeat(16)).unwrap().0.count_ones(), 2);
    }

    #[test]
    fn no_value_carries_a_nul() {
        let err = check_field(Operation::CreateSession, V50, "correlationId", "a\0b").unwrap_err();
        assert_eq!(err.validation_type, ValidationType::Invalid);
        assert_eq!(err.rule, "character 2 is a NUL character, not allowed in any field");
    }

    #[test]
    fn hex_needs_an_even_number_of_digits() {
        assert!(tokenize_at(V50, "payload", &"a".repeat(32)).is_ok());
        let err = tokenize_at(V50, "payload", &"a".repeat(33)).unwrap_err();
        assert_eq!(
            err.rule,
            "is 33 hexadecimal digits, an odd number; must be 32 to 1024 hexadecimal digits (0-9, a-f, A-F), an even number"
        );
    }

    #[test]
    fn group_required_fields_follow_their_group() {
        let base = [("apiOperation", "TOKENIZE"), ("merchant", "M1"), ("sourceOfFunds.type", "CARD")];
        let check = |fields: &[(&str, &str)], completeness| {
            check_request(Operation::Tokenize, V50, &pairs(fields), completeness)
        };
        assert_eq!(check(&base, Completeness::Complete), Ok(()));
        let mut with_bin = base.to_vec();
        with_bin.push(("sourceOfFunds.provided.card.p2pe.cardBin", "411111"));
        let err = check(&with_bin, Completeness::Complete).unwrap_err();
        assert_eq!(err.field, "sourceOfFunds.provided.card.p2pe.keySerialNumber");
        assert_eq!(err.validation_type, ValidationType::Missing);
        let err = check(&base[..2], Completeness::Complete).unwrap_err();
        assert_eq!(err.field, "sourceOfFunds.type");
        assert!(check(&base[..2], Completeness::MayUseSession).is_ok());
    }

    #[test]
    fn messages_say_what_was_found_never_a_sensitive_value() {
        let secret = "4111111111111111Z";
        let err = check_field(Operation::Tokenize, V50, "sourceOfFunds.provided.card.number", secret).unwrap_err();
        assert_eq!(
            err.to_string(),
            "field 'sourceOfFunds.provided.card.number' invalid: character 17 is a letter, not a digit (0-9)"
        );
        // The issue's three cases get three different sentences.
        let short = tokenize_at(V50, "keySerialNumber", &"F".repeat(19)).unwrap_err().rule;
        let long = tokenize_at(V50, "keySerialNumber", &"F".repeat(21)).unwrap_err().rule;
        let payload = tokenize_at(V50, "payload", &format!("{}G{}", "A".repeat(6), "A".repeat(25))).unwrap_err().rule;
        assert_eq!(
            short,
            "is 19 characters long; must be exactly 20 hexadecimal digits (0-9, a-f, A-F), an even number"
        );
        assert_eq!(
            long,
            "is 21 characters long; must be exactly 20 hexadecimal digits (0-9, a-f, A-F), an even number"
        );
        assert_eq!(payload, "character 7 is a letter, not a hexadecimal digit (0-9, a-f, A-F)");
        // A field that is not sensitive shows the character.
        let ksn = tokenize_at(V50, "keySerialNumber", "FFFF9876G43210E00001").unwrap_err().rule;
        assert_eq!(ksn, "character 9 is 'G', not a hexadecimal digit (0-9, a-f, A-F)");
        let control = tokenize_at(V50, "cardBin", "41\u{1}").unwrap_err().rule;
        assert_eq!(control, "character 3 is '\\u{1}', not a digit (0-9)");
    }

    #[test]
    fn aes_lengths_hold_from_version_84_only() {
        let aes_ksn = "40F000000000000000000001";
        let aes_iv = "0".repeat(32);
        for version in [39, V50, TDES_ONLY] {
            let err = tokenize_at(version, "keySerialNumber", aes_ksn).unwrap_err();
            assert_eq!(
                err.rule,
                format!(
                    "is 24 characters long; must be exactly 20 hexadecimal digits (0-9, a-f, A-F), an even number \
                     at API version {version}; API version 84 and later accepts this value"
                )
            );
            assert!(tokenize_at(version, "initializationVector", &aes_iv).unwrap_err().rule.contains("API version 84"));
            let err = check_field(Operation::Tokenize, version, "posTerminal.serialNumber", "13130P").unwrap_err();
            assert_eq!(err.validation_type, ValidationType::Unsupported);
            assert!(err.rule.ends_with("(API version 84 and later)"), "{}", err.rule);
        }
        for version in [AES, 100] {
            for (field, good, bad) in
                [("keySerialNumber", [20, 24], [18, 22, 26]), ("initializationVector", [16, 32], [14, 24, 64])]
            {
                for length in good {
                    assert_eq!(tokenize_at(version, field, &"A".repeat(length)), Ok(()), "{field} {length}");
                }
                for length in bad {
                    let err = tokenize_at(version, field, &"A".repeat(length)).unwrap_err();
                    assert!(err.rule.starts_with(&format!("is {length} characters long; must be ")), "{}", err.rule);
                }
            }
            assert!(tokenize_at(version, "payload", &"A".repeat(1024)).is_ok());
            assert!(tokenize_at(version, "payload", &"A".repeat(1026)).is_err());
            assert!(check_field(Operation::Tokenize, version, "posTerminal.serialNumber", "13130P").is_ok());
            assert!(check_field(Operation::Tokenize, version, "posTerminal.serialNumber", &"1".repeat(17)).is_err());
        }
        // A request is built before its version is known: any version's rule will do.
        assert!(check_field_any_version(Operation::Tokenize, &format!("{P2PE}.keySerialNumber"), aes_ksn).is_ok());
        let err = check_field_any_version(Operation::Tokenize, &format!("{P2PE}.keySerialNumber"), &"A".repeat(22));
        assert_eq!(
            err.unwrap_err().rule,
            "is 22 characters long; must be 20 or 24 hexadecimal digits (0-9, a-f, A-F), an even number \
             at API version 84 and later; API versions up to 83: must be exactly 20 hexadecimal digits \
             (0-9, a-f, A-F), an even number"
        );
    }

    #[test]
    fn the_lifecycle_rows_hold_at_the_versions_the_pages_give() {
        let unsupported = |op, version, name: &str, value| {
            check_field(op, version, name, value).map_err(|e| e.validation_type) == Err(ValidationType::Unsupported)
        };
        for op in [Operation::RetrieveToken, Operation::DeleteToken] {
            assert!(unsupported(op, 71, "subMerchant.identifier", "shop 7"), "{op}");
            assert_eq!(check_field(op, 72, "subMerchant.identifier", "shop 7 & co."), Ok(()), "{op}");
            assert!(check_field(op, 100, "subMerchant.identifier", "shop#7").is_err(), "{op}");
        }
        let site = "{\"siteCode\":\"BNE\"}";
        assert!(unsupported(Operation::DeleteToken, 42, "externalTokenProvider.customData", site));
        assert_eq!(check_field(Operation::DeleteToken, 43, "externalTokenProvider.customData", site), Ok(()));
        assert!(unsupported(Operation::RetrieveToken, 43, "externalTokenProvider.customData", site));
        assert_eq!(check_field(Operation::RetrieveToken, 44, "externalTokenProvider.customData", site), Ok(()));
        // Retrieve Session takes `responseControls.sensitiveData` (NVP version 19 page).
        assert_eq!(check_field(Operation::RetrieveSession, 39, "responseControls.sensitiveData", "UNMASK"), Ok(()));
        // CHECK_GATEWAY has no field at all.
        assert!(unsupported(Operation::CheckGateway, 79, "correlationId", "x"));
        assert!(Operation::CheckGateway.rules().is_empty());
        // The token is required (gw's reading of the OPTIONAL on the page).
        let envelope = pairs(&[("apiOperation", "RETRIEVE_TOKEN"), ("merchant", "M1")]);
        let err = check_request(Operation::RetrieveToken, 59, &envelope, Completeness::Complete).unwrap_err();
        assert_eq!((err.field.as_str(), err.validation_type), ("token", ValidationType::Missing));
        // A session takes what TOKENIZE takes at the version: AES P2PE from 84.
        let aes_ksn = "40F000000000000000000001";
        for (version, ok) in [(50, false), (TDES_ONLY, false), (AES, true), (100, true)] {
            let ksn = check_field(Operation::UpdateSession, version, &format!("{P2PE}.keySerialNumber"), aes_ksn);
            assert_eq!(ksn.is_ok(), ok, "{version}");
            let serial = check_field(Operation::UpdateSession, version, "posTerminal.serialNumber", "13130P");
            assert_eq!(serial.is_ok(), ok, "{version}");
        }
        assert!(unsupported(Operation::UpdateSession, 100, "responseControls.sensitiveData", "UNMASK"));
        let update = pairs(&[("apiOperation", "UPDATE_SESSION"), ("merchant", "M1")]);
        let err = check_request(Operation::UpdateSession, 100, &update, Completeness::Complete).unwrap_err();
        assert_eq!(err.field, "session.id");
        // The card in a session is as sensitive as in TOKENIZE.
        assert!(is_sensitive("sourceOfFunds.provided.card.p2pe.payload"));
    }

    #[test]
    fn payment_rows_hold_at_the_versions_the_pages_give() {
        let ok = |op, version, name: &str, value: &str| check_field(op, version, name, value);
        let unsupported = |op, version, name: &str, value| {
            check_field(op, version, name, value).map_err(|e| e.validation_type) == Err(ValidationType::Unsupported)
        };
        for op in [Operation::Pay, Operation::Authorize, Operation::Verify] {
            // Card-present fields from 40, P2PE (AES or TDES) from 84.
            assert!(unsupported(op, 39, "posTerminal.lane", "Kiosk_76"), "{op}");
            assert_eq!(ok(op, 40, "posTerminal.lane", "Kiosk_76"), Ok(()), "{op}");
            assert!(ok(op, 40, "posTerminal.lane", "Kiosk_769").is_err(), "{op}: lane is 1 to 8");
            assert!(unsupported(op, 83, &format!("{P2PE}.keySerialNumber"), "0123456789ABCDEF0123"), "{op}");
            assert_eq!(ok(op, 84, &format!("{P2PE}.keySerialNumber"), "0123456789ABCDEF0123"), Ok(()));
            assert_eq!(ok(op, 84, &format!("{P2PE}.keySerialNumber"), "40F000000000000000000001"), Ok(()));
            assert_eq!(ok(op, 100, "posTerminal.panEntryMode", "CONTACTLESS"), Ok(()));
            assert!(ok(op, 100, "posTerminal.panEntryMode", "contactless").is_err());
            assert_eq!(ok(op, 100, "transaction.source", "CARD_PRESENT"), Ok(()));
        }
        // Amounts: decimal strings, 1 to 14 characters.
        for good in ["0", "12", "12.5", "12.50", "0.01", "12345678901.12"] {
            assert_eq!(ok(Operation::Pay, 100, "order.amount", good), Ok(()), "{good}");
        }
        for bad in ["", ".5", "5.", "1.2.3", "-1", "+1", "1e3", "1,00", " 1", "123456789012.12"] {
            assert!(ok(Operation::Pay, 100, "order.amount", bad).is_err(), "{bad}");
        }
        assert_eq!(
            ok(Operation::Capture, 100, "transaction.amount", "1e3").unwrap_err().rule,
            "character 2 is 'e', not a digit (0-9) or the decimal point '.'"
        );
        // REFUND takes no card; VOID needs its target.
        assert!(unsupported(Operation::Refund, 100, "sourceOfFunds.type", "CARD"));
        let void = pairs(&[("apiOperation", "VOID"), ("merchant", "M1"), ("order.id", "o1"), ("transaction.id", "t2")]);
        let err = check_request(Operation::Void, 83, &void, Completeness::Complete).unwrap_err();
        assert_eq!(
            (err.field.as_str(), err.validation_type),
            ("transaction.targetTransactionId", ValidationType::Missing)
        );
        let retrieve = pairs(&[("apiOperation", "RETRIEVE_TRANSACTION"), ("merchant", "M1"), ("order.id", "o1")]);
        let err = check_request(Operation::RetrieveTransaction, 100, &retrieve, Completeness::Complete).unwrap_err();
        assert_eq!(err.field, "transaction.id");
        // A session stores PAY's order and terminal fields.
        assert_eq!(ok(Operation::UpdateSession, 50, "order.amount", "10.00"), Ok(()));
        assert_eq!(ok(Operation::UpdateSession, 50, "order.currency", "AUD"), Ok(()));
        assert_eq!(ok(Operation::UpdateSession, 50, "posTerminal.lane", "L1"), Ok(()));
        // Card data in a PAY is sensitive, the terminal's lane is not.
        for name in ["sourceOfFunds.provided.card.track2", "sourceOfFunds.provided.card.emvRequest"] {
            assert!(is_sensitive(name), "{name}");
        }
        assert!(is_sensitive("transaction[3].sourceOfFunds.provided.card.number"));
        assert!(!is_sensitive("posTerminal.lane") && !is_sensitive("transaction[0].response.gatewayCode"));
    }

    #[test]
    fn amounts_keep_their_currencys_minor_units() {
        let check = |amount: &str, currency: &str| {
            check_amounts(&pairs(&[("order.amount", amount), ("order.currency", currency)]))
        };
        assert_eq!(check("10.50", "USD"), Ok(()));
        assert_eq!(check("10.5", "USD"), Ok(()));
        assert_eq!(check("1000", "JPY"), Ok(()));
        assert_eq!(check("0.250", "KWD"), Ok(()));
        assert_eq!(check("10.123", "XYZ"), Ok(()), "a currency gw has no minor units for is the gateway's to judge");
        let err = check("10.001", "USD").unwrap_err();
        assert_eq!(err.to_string(), "field 'order.amount' invalid: has 3 decimal places; USD has at most 2 decimal places (ISO 4217 minor units)");
        assert_eq!(
            check("100.5", "JPY").unwrap_err().rule,
            "has 1 decimal place; JPY has no decimal places (ISO 4217 minor units)"
        );
        let refund = pairs(&[("transaction.amount", "1.0001"), ("transaction.currency", "KWD")]);
        assert_eq!(check_amounts(&refund).unwrap_err().field, "transaction.amount");
    }

    #[test]
    fn a_name_no_version_has_says_so_at_set() {
        let err = check_field_any_version(Operation::RetrieveSession, "order.amount", "1").unwrap_err();
        assert_eq!(
            err.to_string(),
            "field 'order.amount' unsupported: is not a field of RETRIEVE_SESSION at any API version"
        );
        // A name some versions have is accepted at `set`; the configured version decides at execution.
        assert!(check_field_any_version(Operation::Pay, "posTerminal.lane", "L1").is_ok());
    }

    #[test]
    fn sensitivity_comes_from_the_table() {
        for name in [
            "apiPassword",
            "session.aes256Key",
            "sourceOfFunds.provided.card.number",
            "sourceOfFunds.provided.card.securityCode",
            "sourceOfFunds.provided.card.p2pe.payload",
            "sourceOfFunds.provided.giftCard.pin",
            "sourceOfFunds.provided.ach.bankAccountNumber",
            "sourceOfFunds.provided.ach.accountIdentifier",
        ] {
            assert!(is_sensitive(name), "{name}");
        }
        for name in ["apiUsername", "session.id", "merchant", "sourceOfFunds.provided.card.p2pe.keySerialNumber", ""] {
            assert!(!is_sensitive(name), "{name}");
        }
    }
}
