//! The operations with helpers of their own, built on [`Request`] and
//! [`Client::execute`]: CREATE_SESSION and TOKENIZE with a P2PE card, the
//! token lifecycle (CHECK_GATEWAY, RETRIEVE_TOKEN, DELETE_TOKEN), a PAY or
//! AUTHORIZE with a P2PE card, a PAY with a token, and RETRIEVE_TRANSACTION.
//! The session calls (UPDATE_SESSION, RETRIEVE_SESSION) and the other
//! payment operations (CAPTURE, REFUND, VOID, VERIFY, RETRIEVE_ORDER) are
//! requests built field by field.

use crate::client::Client;
use crate::error::{Error, Kind, Result};
use crate::request::Request;
use crate::response::Response;
use crate::rules::Operation;

/// A card encrypted by the terminal with TDES DUKPT (point-to-point encryption),
/// as the terminal hands it over.
#[derive(Clone, Copy, Debug, Default)]
pub struct P2peCard<'a> {
    /// `sourceOfFunds.provided.card.p2pe.keySerialNumber`: the DUKPT KSN, 20 hex digits (TDES), from API version 84 also 24 (AES).
    pub key_serial_number: &'a str,
    /// `sourceOfFunds.provided.card.p2pe.payload`: the encrypted card, 32–1024 hex digits.
    pub payload: &'a str,
    /// `sourceOfFunds.provided.card.p2pe.initializationVector`: 16 hex digits (from API version 84 also 32), when the terminal uses one.
    pub initialization_vector: Option<&'a str>,
    /// `sourceOfFunds.provided.card.p2pe.cardBin`: 1–6 leading digits of the card, when the terminal gives them.
    pub card_bin: Option<&'a str>,
}

/// Which payment a PAY or AUTHORIZE is: the merchant's `order.id` and
/// `transaction.id` (1–40 characters each; a new `transaction.id` for each
/// attempt after a decline) and the amount, a decimal string such as
/// `"12.50"` in `currency` (ISO 4217, e.g. `"AUD"`), never a float.
///
/// The ids are what a till keeps to resolve a payment in doubt with
/// RETRIEVE_TRANSACTION (and what an identical resubmission repeats).
#[derive(Clone, Copy, Debug, Default)]
pub struct Payment<'a> {
    /// `order.id`.
    pub order_id: &'a str,
    /// `transaction.id`.
    pub transaction_id: &'a str,
    /// `order.amount`: digits with at most one `.`, within the currency's minor units.
    pub amount: &'a str,
    /// `order.currency`: three upper-case letters.
    pub currency: &'a str,
}

impl Request {
    /// Sets a P2PE card's fields (`sourceOfFunds.provided.card.p2pe.*`) and
    /// `sourceOfFunds.type=CARD`.
    fn set_p2pe_card(&mut self, card: &P2peCard<'_>) -> Result<()> {
        self.set("sourceOfFunds.type", "CARD")?;
        self.set("sourceOfFunds.provided.card.p2pe.keySerialNumber", card.key_serial_number)?;
        self.set("sourceOfFunds.provided.card.p2pe.payload", card.payload)?;
        if let Some(iv) = card.initialization_vector {
            self.set("sourceOfFunds.provided.card.p2pe.initializationVector", iv)?;
        }
        if let Some(bin) = card.card_bin {
            self.set("sourceOfFunds.provided.card.p2pe.cardBin", bin)?;
        }
        Ok(())
    }

    /// A request of a payment `operation` with the order, transaction and
    /// amount of `payment`.
    fn payment(operation: Operation, payment: &Payment<'_>, fields: usize) -> Result<Request> {
        let mut request = Request::with_capacity(operation, 4 + fields);
        request.set("order.id", payment.order_id)?;
        request.set("transaction.id", payment.transaction_id)?;
        request.set("order.amount", payment.amount)?;
        request.set("order.currency", payment.currency)?;
        Ok(request)
    }

    /// A PAY or AUTHORIZE (`operation`) of a card encrypted by the terminal
    /// (P2PE, API version 84 and later), with `sourceOfFunds.type=CARD` and
    /// `transaction.source=CARD_PRESENT` (the Cardholder Present guide's
    /// mandatory fields). Extend it with `posTerminal.*` and any other field
    /// of the operation. Every field is validated now, the amount against
    /// its currency's minor units too.
    pub fn pay_p2pe(operation: Operation, payment: &Payment<'_>, card: &P2peCard<'_>) -> Result<Request> {
        if !matches!(operation, Operation::Pay | Operation::Authorize) {
            return Err(Error::new(
                Kind::InvalidField,
                format!("field 'apiOperation' unsupported: a P2PE payment is a PAY or an AUTHORIZE, not {operation}"),
            )
            .with_field("apiOperation"));
        }
        let mut request = Request::payment(operation, payment, 8)?;
        request.set("transaction.source", "CARD_PRESENT")?;
        request.set_p2pe_card(card)?;
        crate::rules::check_amounts(&request.fields().collect::<Vec<_>>())?;
        Ok(request)
    }

    /// A PAY with a card the gateway holds under `token`
    /// (`sourceOfFunds.token`, 1–40 of 0-9 a-z A-Z; `sourceOfFunds.type=CARD`).
    pub fn pay_token(payment: &Payment<'_>, token: &str) -> Result<Request> {
        let mut request = Request::payment(Operation::Pay, payment, 2)?;
        request.set("sourceOfFunds.type", "CARD")?;
        request.set("sourceOfFunds.token", token)?;
        crate::rules::check_amounts(&request.fields().collect::<Vec<_>>())?;
        Ok(request)
    }

    /// A RETRIEVE_TRANSACTION of one transaction of an order.
    pub fn retrieve_transaction(order_id: &str, transaction_id: &str) -> Result<Request> {
        let mut request = Request::with_capacity(Operation::RetrieveTransaction, 2);
        request.set("order.id", order_id)?;
        request.set("transaction.id", transaction_id)?;
        Ok(request)
    }

    /// A CREATE_SESSION request.
    pub fn create_session() -> Request {
        Request::new(Operation::CreateSession)
    }

    /// A TOKENIZE request for a P2PE card, with `sourceOfFunds.type=CARD`.
    ///
    /// `token`: `None` lets the gateway generate the token (the "Create Token"
    /// form); `Some` creates or updates that token. Every field is validated
    /// now, and the first invalid one is named in the error.
    pub fn tokenize_p2pe(token: Option<&str>, card: &P2peCard<'_>) -> Result<Request> {
        // Sized for its fields: the field list is never grown.
        let optional = [token, card.initialization_vector, card.card_bin];
        let mut request = Request::with_capacity(Operation::Tokenize, 3 + optional.iter().flatten().count());
        if let Some(token) = token {
            request.set("token", token)?;
        }
        request.set_p2pe_card(card)?;
        Ok(request)
    }

    /// A request of `operation` naming one `token` (RETRIEVE_TOKEN,
    /// DELETE_TOKEN), validated now.
    pub fn for_token(operation: Operation, token: &str) -> Result<Request> {
        let mut request = Request::new(operation);
        request.set("token", token)?;
        Ok(request)
    }
}

impl Client {
    /// CHECK_GATEWAY: `Ok` when the gateway answers `status=OPERATING`
    /// (read `gatewayVersion`), [`crate::Kind::GatewayShutdown`] for
    /// `SHUTDOWN`. No credentials are sent; one attempt, never retried.
    pub fn check_gateway(&self) -> Result<Response> {
        self.execute(&Request::new(Operation::CheckGateway))
    }

    /// RETRIEVE_TOKEN: what the gateway holds under `token`, the card masked.
    pub fn retrieve_token(&self, token: &str) -> Result<Response> {
        self.execute(&Request::for_token(Operation::RetrieveToken, token)?)
    }

    /// DELETE_TOKEN: deletes `token`. A repeat after an attempt in doubt that
    /// finds the token gone counts as done (see `crate::retry::settled_earlier`).
    pub fn delete_token(&self, token: &str) -> Result<Response> {
        self.execute(&Request::for_token(Operation::DeleteToken, token)?)
    }

    /// CREATE_SESSION: a new payment session (`session.id`, `session.version`).
    pub fn create_session(&self) -> Result<Response> {
        self.execute(&Request::create_session())
    }

    /// RETRIEVE_TRANSACTION: what happened to `transaction_id` of
    /// `order_id`, mapped as the transaction's own answer is
    /// ([`crate::outcome`]): `Ok` for a final approval,
    /// [`Kind::Declined`] for a decline, [`Kind::Pending`] /
    /// [`Kind::UnknownResult`] (in doubt) for one not final; ids the gateway
    /// does not know are its error answer ([`Kind::Gateway`]), neither.
    pub fn retrieve_transaction(&self, order_id: &str, transaction_id: &str) -> Result<Response> {
        self.execute(&Request::retrieve_transaction(order_id, transaction_id)?)
    }

    /// TOKENIZE with a P2PE card: see [`Request::tokenize_p2pe`].
    pub fn tokenize_p2pe(&self, token: Option<&str>, card: &P2peCard<'_>) -> Result<Response> {
        self.execute(&Request::tokenize_p2pe(token, card)?)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::config::Config;
    use crate::nvp;

    /// The heap blocks one P2PE TOKENIZE takes in process, outside the
    /// transport, counted exactly (the benchmark's `in_process` steps): the
    /// request's field list and its four values, the answer's text and its
    /// list of fields. Laying out and checking the fields, encoding into a
    /// buffer with room, decoding and reading the answer take none. A guard
    /// that per-call copies do not come back.
    #[test]
    #[cfg_attr(not(feature = "wipe-on-free"), ignore = "counted by gw's allocator, which the feature installs")]
    fn an_in_process_tokenize_allocates_only_what_it_keeps() {
        let mut config = Config::new();
        config.set_base_url("http://127.0.0.1:9").unwrap();
        config.set_merchant("BENCH01").unwrap();
        config.set_api_password("bench-password").unwrap();
        let client = Client::new(&config).unwrap();
        let payload = "0123456789ABCDEF".repeat(64);
        let card = P2peCard {
            key_serial_number: "FFFF9876543210E00001",
            payload: &payload,
            initialization_vector: None,
            card_bin: Some("476173"),
        };
        let answer = b"merchant=BENCH01&result=SUCCESS&sourceOfFunds.provided.card.number=476173xxxxxx0010&sourceOfFunds.type=CARD&status=VALID&token=9333969728379665&usage.lastUpdated=2026-11-30T04%3A31%3A09.679Z&verificationStrategy=NONE";
        let mut body = Vec::with_capacity(4096);
        let mut call = || {
            let before = crate::wipe::allocations();
            let request = Request::tokenize_p2pe(None, &card).unwrap();
            client.with_fields(&request, |fields| fields.encode_into(&mut body)).unwrap();
            body.clear();
            let summary = Operation::Tokenize.summary_fields();
            let response =
                Response::from_http_with(200, Some(nvp::FORM_CONTENT_TYPE), answer, Duration::ZERO, summary).unwrap();
            assert_eq!(response.get("token"), Some("9333969728379665"));
            drop((request, response));
            crate::wipe::allocations() - before
        };
        call();
        assert_eq!(call(), 1 + 4 + 2);
    }
}
