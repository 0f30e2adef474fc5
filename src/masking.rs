//! Showing fields without their secrets: every log line, message, `Debug`
//! string and binding `repr` that shows a field value goes through here, and
//! which fields are secret is the field-rule table's fact
//! ([`rules::is_sensitive`]).

use crate::rules;

/// What a sensitive value is shown as: the same for every value, so that
/// not even its length shows.
pub const MASK: &str = "***";

/// A field's value as it may be shown: the value itself, or [`MASK`] for a
/// sensitive field.
pub fn shown<'a>(name: &str, value: &'a str) -> &'a str {
    if rules::is_sensitive(name) {
        MASK
    } else {
        value
    }
}

/// Fields as `name=value` with sensitive values masked, for debug logs.
pub fn masked(fields: &[(&str, &str)]) -> String {
    let shown: Vec<String> = fields.iter().map(|(name, value)| format!("{name}={}", shown(name, value))).collect();
    shown.join(" ")
}

/// Removes from gateway text any sensitive value the request carried, so an
/// explanation that quotes a field never carries card data or a password.
pub fn redact(text: &str, sent: &[(&str, &str)]) -> String {
    sent.iter()
        .filter(|(name, value)| rules::is_sensitive(name) && value.len() >= 3)
        .fold(text.to_owned(), |text, (_, value)| text.replace(value, MASK))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_and_masking() {
        let sent = [("apiPassword", "hunter22"), ("merchant", "M1")];
        assert_eq!(redact("bad value 'hunter22' for M1", &sent), "bad value '***' for M1");
        assert_eq!(masked(&sent), "apiPassword=*** merchant=M1", "no length shows");
        let key = [("session.aes256Key", "DXbdcjSznnTId2lQWjs3Y4KVZuC4OPPn5bRkjCcm2sM=")];
        assert_eq!(masked(&key), "session.aes256Key=***");
    }
}
