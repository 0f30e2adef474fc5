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
}

impl Operation {
    /// Every operation, in a stable order.
    pub const ALL: [Operation; 7] = [
        Operation::CreateSession,
        Operation::Tokenize,
        Operation::CheckGateway,
        Operation::RetrieveToken,
        Operation::DeleteToken,
        Operation::UpdateSession,
        Operation::RetrieveSession,
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
        }
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
    pub fn summary_fields(self) -> &'static [&'static str] {
        match self {
            Operation::CheckGateway => &["status", "result"],
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
            Charset::Hex | Charset::Digits | Charset::Alphanumeric | Charset::UpperAlpha | Charset::Number { .. }
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
/// sensitive everywhere.
pub fn is_sensitive(name: &str) -> bool {
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

/// The rows of one operation's table (bit `i` for `op.rules()[i]`) whose
/// rule accepted a field's value: what a [`Request`](crate::request::Request)
/// remembers of the check made when the field was set, so that the request
/// is checked at the configured API version without a second pass over the
/// value ([`check_accepted`]). Every table fits: see the test
/// `every_table_fits_the_accepted_mask`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Accepted(u64);

impl Accepted {
    /// Every row named as the field that was accepted (its rows at every
    /// version), as [`check_complete_rows`] takes them; 0 for an empty set.
    pub fn named_rows(self, op: Operation) -> u64 {
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
    let mut accepted = 0u64;
    for (index, rule) in op.rules().iter().enumerate() {
        if rule.name == name && rule.charset != Charset::Group && rule_violation(op, rule, value).is_none() {
            accepted |= 1u64.checked_shl(index as u32).unwrap_or(0);
        }
    }
    if accepted != 0 {
        return Ok(Accepted(accepted));
    }
    let rows: Vec<&FieldRule> = op.rules().iter().filter(|rule| rule.name == name).collect();
    let Some(newest) = rows.iter().max_by_key(|rule| rule.since) else {
        return check_field(op, op.reference_version(), name, value).map(|()| Accepted::default());
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
    present: u64,
    fields: &[(N, V)],
    completeness: Completeness,
) -> Result<(), FieldError> {
    if !required_rows_present(op, version, present, completeness) {
        check_required(op, version, fields, completeness)?;
    }
    if completeness == Completeness::Complete {
        check_cross_fields(op, fields, None)?;
    }
    Ok(())
}

/// Relations between the rows of one operation's table, from their names,
/// computed once: bit `j` of an entry stands for `op.rules()[j]`.
struct RowIndex {
    /// The rows with row `i`'s name (its field at every version), `i` too.
    same_name: Vec<u64>,
    /// The rows inside row `i` read as a group: named `{name}.…`.
    inside: Vec<u64>,
    /// The rows named as one of row `i`'s enclosing groups.
    enclosing: Vec<u64>,
    /// The rows whose name and every accepted value the form encoding
    /// writes as they are ([`Charset::is_form_plain`]).
    form_plain: u64,
}

impl RowIndex {
    fn new(rules: &[FieldRule]) -> RowIndex {
        let rows = |keep: &dyn Fn(&FieldRule) -> bool| {
            rules
                .iter()
                .enumerate()
                .filter(|(_, rule)| keep(rule))
                .fold(0u64, |mask, (j, _)| mask | 1u64.checked_shl(j as u32).unwrap_or(0))
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
pub fn rows_named(op: Operation, name: &str) -> u64 {
    let index = row_index(op);
    op.rules().iter().position(|rule| rule.name == name).map_or(0, |row| index.same_name[row])
}

/// Whether every REQUIRED row at `version` is satisfied by the rows
/// `present` as [`check_required`] judges it by name: the field is given,
/// or used as a group, or lies in an OPTIONAL group (a row at `version`)
/// of which no field is given. `false` when in doubt (an enclosing group
/// with no row): the caller then checks by name.
fn required_rows_present(op: Operation, version: u32, present: u64, completeness: Completeness) -> bool {
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
    // [`RETRIEVE_TOKEN_PAGE_V54_EXTERNAL`].
    external_token_provider_rows(54)[0],
    external_token_provider_rows(54)[1],
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
/// REQUIRED `session` group (the URL's `{sessionId}` in the REST form).
static RETRIEVE_SESSION: &[FieldRule] = &[
    field("apiOperation", FixedOperation, 0, ANY_LENGTH, Fixed),
    field("correlationId", Any, 1, 100, Optional),
    field("merchant", MERCHANT, 1, 40, Required),
    group("session", Required),
    field("session.id", Ascii, 31, 35, Required),
];

/// Update Session: the envelope of [`RETRIEVE_SESSION`] with an optional
/// `session.version` (ASCII 10, tokenize.nvp-v50.txt), then the request
/// fields a session stores. A session stores "any of the request fields of
/// operations that allow a session identifier as a request field"
/// (create-session.nvp-v39.txt, lines 3-5): gw's operation that takes
/// `session.id` is TOKENIZE, so every TOKENIZE row but its envelope and
/// `responseControls` (which shapes one answer, stored nowhere) is a row
/// here, at the same versions: the card groups a session takes are the ones
/// TOKENIZE takes at that version, P2PE with its TDES-only rows up to
/// version 83 and its AES rows from 84, `posTerminal` from 84, refused
/// locally elsewhere. `sourceOfFunds` is OPTIONAL here: an update may
/// store anything else (a REQUIRED field inside it stays required once the
/// group is used).
static UPDATE_SESSION: LazyLock<Vec<FieldRule>> = LazyLock::new(|| {
    let envelope = [field("session.version", Ascii, 10, 10, Optional)];
    let stored = TOKENIZE
        .iter()
        .filter(|rule| {
            !RETRIEVE_SESSION.iter().any(|own| own.name == rule.name)
                && rule.name != "session.version"
                && rule.name != "responseControls"
                && !rule.name.starts_with("responseControls.")
        })
        .map(|rule| match rule.name {
            "sourceOfFunds" => FieldRule { presence: Optional, ..*rule },
            _ => *rule,
        });
    RETRIEVE_SESSION.iter().copied().chain(envelope).chain(stored).collect()
});

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
            assert!(op.rules().len() <= 64, "{op} has {} rows: `Accepted` holds 64", op.rules().len());
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
        // The three cases get three different sentences.
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
        assert!(unsupported(Operation::RetrieveToken, 53, "externalTokenProvider.customData", site));
        assert_eq!(check_field(Operation::RetrieveToken, 54, "externalTokenProvider.customData", site), Ok(()));
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
