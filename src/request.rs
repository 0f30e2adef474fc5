//! A request of one operation: its fields, each validated when it is set.

use zeroize::Zeroizing;

use crate::error::{Error, Kind, Result};
use crate::rules::{self, Accepted, Completeness, Operation, ValidationType};

/// Fields gw fills in itself: `apiOperation` from the request's operation,
/// `merchant` from the configuration, and the authentication fields.
pub const MANAGED_FIELDS: [&str; 4] = ["apiOperation", "merchant", "apiUsername", "apiPassword"];

/// A request of one operation, built field by field.
///
/// Every [`set`](Request::set) is checked against the gateway's field rule,
/// at every API version, at once, and the request remembers which rows
/// accepted the value; at execution ([`Request::check_at`]) the configured
/// version's row is looked up among them, without reading the value again,
/// and the whole (REQUIRED fields) is checked.
/// Values are zeroized when the request is dropped: they may be card data.
#[derive(Clone)]
pub struct Request {
    operation: Operation,
    fields: Vec<Field>,
}

/// One field set: its name (the rule table's own, so no copy), its value,
/// and the rule rows that accepted the value when it was set.
///
/// The value is a `Box<str>`: zeroize wipes a boxed slice whole (a `String`
/// or `Vec` it wipes one volatile byte at a time, 1,024 of them for a
/// payload), and a value set is never grown.
#[derive(Clone)]
struct Field {
    name: &'static str,
    value: Zeroizing<Box<str>>,
    accepted: Accepted,
}

impl Request {
    /// An empty request of this operation.
    pub fn new(operation: Operation) -> Request {
        Request::with_capacity(operation, 0)
    }

    /// An empty request of this operation, with room for `fields` fields.
    pub(crate) fn with_capacity(operation: Operation, fields: usize) -> Request {
        Request { operation, fields: Vec::with_capacity(fields) }
    }

    /// An empty request of the operation named as in `apiOperation`
    /// (`CREATE_SESSION`, `TOKENIZE`, `CHECK_GATEWAY`, `RETRIEVE_TOKEN`,
    /// `DELETE_TOKEN`, `UPDATE_SESSION`, `RETRIEVE_SESSION`, `PAY`,
    /// `AUTHORIZE`, `CAPTURE`, `REFUND`, `VOID`, `VERIFY`,
    /// `RETRIEVE_TRANSACTION`, `RETRIEVE_ORDER`: [`Operation::ALL`]).
    pub fn for_operation_name(name: &str) -> Result<Request> {
        Operation::from_name(name).map(Request::new).ok_or_else(|| {
            let known: Vec<&str> = Operation::ALL.iter().map(|op| op.name()).collect();
            let (last, rest) = known.split_last().unwrap_or((&"", &[]));
            Error::new(
                Kind::InvalidField,
                format!("field 'apiOperation' unsupported: gw implements {} and {last}", rest.join(", ")),
            )
            .with_field("apiOperation")
        })
    }

    /// The operation.
    pub fn operation(&self) -> Operation {
        self.operation
    }

    /// Sets a field, replacing an earlier value of the same field. The value
    /// is checked against the field's rule now; on failure the request is
    /// unchanged.
    pub fn set(&mut self, name: &str, value: &str) -> Result<()> {
        if MANAGED_FIELDS.contains(&name) {
            return Err(Error::new(
                Kind::InvalidField,
                format!(
                    "field '{name}' {}: gw sets it from the operation and the configuration",
                    ValidationType::Unsupported.as_str().to_lowercase()
                ),
            )
            .with_field(name));
        }
        let accepted = rules::check_field_any_version(self.operation, name, value)?;
        // The row's own name, which lives as long as the table. Every
        // accepted value has its row (the table fits the mask: a test in
        // rules.rs says so), so the error is for a table that outgrew it.
        let Some(rule) = accepted.rule(self.operation) else {
            return Err(Error::new(Kind::Internal, format!("field '{name}': the rule table outgrew its row mask")));
        };
        let name = rule.name;
        let value = Zeroizing::new(Box::from(value));
        match self.fields.iter_mut().find(|field| field.name == name) {
            Some(existing) => *existing = Field { name, value, accepted },
            None => self.fields.push(Field { name, value, accepted }),
        }
        Ok(())
    }

    /// Bit `i` set when field `i`'s name and value are written by the form
    /// encoding as they are, as their rule rows say (see
    /// [`rules::Accepted::form_plain`]): no value is read for it.
    pub(crate) fn form_plain_fields(&self) -> u64 {
        self.fields.iter().enumerate().fold(0, |mask, (i, field)| {
            let plain = field.accepted.form_plain(self.operation);
            mask | u64::from(plain).checked_shl(i as u32).unwrap_or(0)
        })
    }

    /// Removes a field; `true` when it was set.
    pub fn unset(&mut self, name: &str) -> bool {
        let before = self.fields.len();
        self.fields.retain(|field| field.name != name);
        self.fields.len() != before
    }

    /// The value of a field, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|field| field.name == name).map(|field| &**field.value)
    }

    /// The fields set, in the order they were first set.
    pub fn fields(&self) -> impl ExactSizeIterator<Item = (&'static str, &str)> {
        self.fields.iter().map(|field| (field.name, &**field.value))
    }

    /// Whether the request may take its REQUIRED fields from a session
    /// (it names one in `session.id`), or must be complete on its own.
    pub fn completeness(&self) -> Completeness {
        if self.get("session.id").is_some() {
            Completeness::MayUseSession
        } else {
            Completeness::Complete
        }
    }

    /// Every rule row named as one of the request's fields, at every
    /// version (for [`rules::check_complete_rows`]): remembered by each
    /// field since it was set, so no name is compared.
    pub fn named_rows(&self) -> rules::RowMask {
        self.fields.iter().fold(0, |rows, field| rows | field.accepted.named_rows(self.operation))
    }

    /// Checks each value at API `version`, in the order the fields were set:
    /// the value was checked against every version's row when it was set,
    /// so this only looks the version's row up among the rows that accepted
    /// it ([`rules::check_accepted`]); a value valid at another version only
    /// is refused here, naming the field and the rule. Names are unique by
    /// construction ([`Request::set`] replaces) and never a managed field.
    /// The whole request is checked by [`rules::check_complete_rows`].
    pub fn check_at(&self, version: u32) -> Result<()> {
        for field in &self.fields {
            rules::check_accepted(self.operation, version, field.name, &field.value, field.accepted)?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for Request {
    /// Names only: values may be card data.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("operation", &self.operation)
            .field("fields", &self.fields.iter().map(|field| field.name).collect::<Vec<_>>())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_replaces_in_place_and_a_failed_set_changes_nothing() {
        let mut request = Request::new(Operation::Tokenize);
        request.set("token", "A1").unwrap();
        request.set("sourceOfFunds.type", "CARD").unwrap();
        request.set("token", "B2").unwrap();
        let fields: Vec<(&str, &str)> = request.fields().collect();
        assert_eq!(fields, [("token", "B2"), ("sourceOfFunds.type", "CARD")]);
        let err = request.set("token", "not alnum").unwrap_err();
        assert_eq!(err.field(), Some("token"));
        assert_eq!(request.get("token"), Some("B2"));
        assert!(request.set("apiPassword", "x").is_err());
        assert!(request.unset("token") && !request.unset("token"));
        assert_eq!(format!("{request:?}"), "Request { operation: Tokenize, fields: [\"sourceOfFunds.type\"] }");
    }
}
