//! The session operations: CREATE_SESSION, UPDATE_SESSION, RETRIEVE_SESSION.

use super::{get, session_answer, session_error, Gateway, NvpError, ENVELOPE};
use crate::cards;
use gw::rules::{self, Completeness, Operation, ValidationType};
use std::collections::BTreeMap;

impl Gateway {
    pub(super) fn create_session(
        &self,
        fields: &[(String, String)],
        merchant: &str,
        version: u32,
    ) -> Result<BTreeMap<String, String>, NvpError> {
        Self::check_complete(Operation::CreateSession, version, fields, merchant)?;
        let s = self.sessions.create(merchant);
        Ok(session_answer(merchant, &s))
    }

    /// UPDATE_SESSION: stores the request's fields in the session (each by
    /// `gw::rules`' UPDATE_SESSION rows at API `version`: the card groups
    /// TOKENIZE takes at that version), moves `session.version` and sets
    /// `session.updateStatus` SUCCESS; a refused update leaves it FAILURE
    /// (create-session.nvp-v39.txt:105-107).
    pub(super) fn update_session(
        &self,
        fields: &[(String, String)],
        merchant: &str,
        version: u32,
    ) -> Result<BTreeMap<String, String>, NvpError> {
        Self::check_merchant(fields, merchant)?;
        let id = session_id(fields, Operation::UpdateSession)?;
        rules::check_request(Operation::UpdateSession, version, fields, Completeness::MayUseSession).inspect_err(
            |_| {
                self.sessions.mark_failed(merchant, id);
            },
        )?;
        let stored: Vec<(String, String)> =
            fields.iter().filter(|(n, _)| !ENVELOPE.contains(&n.as_str())).cloned().collect();
        let s = self.sessions.update(merchant, id, get(fields, "session.version"), &stored).map_err(session_error)?;
        Ok(session_answer(merchant, &s))
    }

    /// RETRIEVE_SESSION: the session's id, version and update status, and
    /// the fields it stores, card data masked as the gateway shows it: a
    /// card number by its first 6 and last 4 digits, any other sensitive
    /// value (security code, P2PE payload, PIN) as one `x` per character.
    pub(super) fn retrieve_session(
        &self,
        fields: &[(String, String)],
        merchant: &str,
        version: u32,
    ) -> Result<BTreeMap<String, String>, NvpError> {
        Self::check_complete(Operation::RetrieveSession, version, fields, merchant)?;
        let s = self
            .sessions
            .get(merchant, session_id(fields, Operation::RetrieveSession)?, None)
            .map_err(session_error)?;
        let mut answer = session_answer(merchant, &s);
        for (name, value) in s.fields() {
            let shown = if name.ends_with("card.number") || name.ends_with("giftCard.number") {
                cards::mask_6_4(value)
            } else if rules::is_sensitive(name) {
                "x".repeat(value.chars().count())
            } else {
                value.clone()
            };
            answer.insert(name.clone(), shown);
        }
        Ok(answer)
    }
}

/// The request's `session.id`, MISSING when absent.
fn session_id(fields: &[(String, String)], op: Operation) -> Result<&str, NvpError> {
    get(fields, "session.id").ok_or_else(|| {
        NvpError::field(
            "session.id",
            ValidationType::Missing,
            format!("field 'session.id' missing: is required by {op}"),
        )
    })
}
