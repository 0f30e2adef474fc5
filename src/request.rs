//! A request of one operation: its fields, each validated when it is set.

use zeroize::Zeroizing;

use crate::error::{Error, Kind, Result};
use crate::rules::{self, Operation, ValidationType};

/// Fields gw fills in itself: `apiOperation` from the request's operation,
/// `merchant` from the configuration, and the authentication fields.
pub const MANAGED_FIELDS: [&str; 4] = ["apiOperation", "merchant", "apiUsername", "apiPassword"];

/// A request of one operation, built field by field.
///
/// Every [`set`](Request::set) is checked against the gateway's field rule at
/// once; the whole (REQUIRED fields) is checked when the request is executed.
/// Values are zeroized when the request is dropped: they may be card data.
#[derive(Clone)]
pub struct Request {
    operation: Operation,
    fields: Vec<(String, Zeroizing<String>)>,
}

impl Request {
    /// An empty request of this operation.
    pub fn new(operation: Operation) -> Request {
        Request { operation, fields: Vec::new() }
    }

    /// An empty request of the operation named as in `apiOperation`
    /// (`CREATE_SESSION`, `TOKENIZE`, `CHECK_GATEWAY`, `RETRIEVE_TOKEN`,
    /// `DELETE_TOKEN`, `UPDATE_SESSION`, `RETRIEVE_SESSION`).
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
        rules::check_field_any_version(self.operation, name, value)?;
        let value = Zeroizing::new(value.to_owned());
        match self.fields.iter_mut().find(|(n, _)| n == name) {
            Some((_, existing)) => *existing = value,
            None => self.fields.push((name.to_owned(), value)),
        }
        Ok(())
    }

    /// Removes a field; `true` when it was set.
    pub fn unset(&mut self, name: &str) -> bool {
        let before = self.fields.len();
        self.fields.retain(|(n, _)| n != name);
        self.fields.len() != before
    }

    /// The value of a field, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The fields set, in the order they were first set.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

impl std::fmt::Debug for Request {
    /// Names only: values may be card data.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("operation", &self.operation)
            .field("fields", &self.fields.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>())
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
