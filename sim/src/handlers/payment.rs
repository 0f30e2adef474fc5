//! The payment operations on the ledger (`crate::ledger`): PAY, AUTHORIZE,
//! CAPTURE, REFUND, VOID and VERIFY, and the reads RETRIEVE_TRANSACTION and
//! RETRIEVE_ORDER (spec/payments.md §1.3-1.4; sim/README.md, "Payments").
//!
//! What the acquirer answers comes from the card (the test conventions by
//! expiry date, `cards::payment_outcome`, read from the decrypted P2PE
//! track, the request's expiry fields or the token's stored card) and from
//! the `acquirer-*` faults. Where the reference is silent, gw-sim chooses
//! and says so at the place: an identical resubmission answers the
//! transaction as it is now; the same `transaction.id` with other content,
//! an id RETRIEVE_TRANSACTION never saw, and a request the order's rules
//! refuse are `INVALID_REQUEST` naming the field.

use super::{get, request_expiry, Gateway, NvpError, F_STATE, P2PE};
use crate::cards;
use crate::faults::Fault;
use crate::ledger::{self, Begin, CardSummary, NewTransaction, Order, RuleError, Transaction};
use gw::rules::{self, Operation, ValidationType};
use std::collections::BTreeMap;

/// `transaction.acquirer.id` in answers.
const ACQUIRER_ID: &str = "GWSIM_ACQUIRER";

impl Gateway {
    /// PAY, AUTHORIZE, CAPTURE, REFUND, VOID or VERIFY (`op`) at API
    /// `version`, with the request's `fault` (the `acquirer-*` faults act
    /// here).
    pub(super) fn payment(
        &self,
        op: Operation,
        request: &[(String, String)],
        merchant: &str,
        version: u32,
        fault: Option<Fault>,
    ) -> Result<BTreeMap<String, String>, NvpError> {
        // A PAY or AUTHORIZE may take the card from a session; the
        // resubmission's content is the request's own fields.
        let merged = self.complete_request(op, version, request, merchant)?;
        let fields: &[(String, String)] = merged.as_ref().map_or(request, |m| &m.0);
        rules::check_cross_fields(op, fields, None)?;
        let order_id = required(request, "order.id")?;
        let transaction_id = required(request, "transaction.id")?;
        let (amount, currency) = amount_of(op, fields)?;
        let ticket = match self.ledger.begin(merchant, order_id, transaction_id, ledger::fingerprint(request)) {
            // spec/payments.md §3.1 (S6): "The re-submitted identical
            // transaction will return the same response as the first." gw-sim
            // answers the transaction as it is now: the same, or its
            // settlement when the first answer was PENDING or UNKNOWN.
            Begin::Replay { order, transaction } => return Ok(transaction_answer(merchant, &order, &transaction)),
            // The reference is silent on a reused transaction.id with other
            // content (spec §3.1, §7 item 2): gw-sim's choice, INVALID_REQUEST.
            Begin::Conflict => {
                return Err(NvpError::field(
                    "transaction.id",
                    ValidationType::Invalid,
                    "This transaction.id is already used on the order by a request with other content: \
                     a new transaction needs a new transaction.id (gw-sim's answer: the reference is silent)",
                ))
            }
            // "Order locked - another transaction is in progress for this order" (S1).
            Begin::Locked => return Ok(lock_failure(merchant, order_id, transaction_id)),
            Begin::Go(ticket) => ticket,
        };
        let (card, outcome) = match op {
            Operation::Pay | Operation::Authorize | Operation::Verify => {
                let (card, outcome) = self.card_outcome(fields)?;
                (Some(card), outcome)
            }
            // CAPTURE, REFUND and VOID carry no card: the acquirer approves
            // what the order's rules allow.
            _ => (None, "APPROVED"),
        };
        if let Some(Fault::AcquirerDelay(d)) = fault {
            // The order stays locked while the acquirer takes its time.
            self.sleep(d);
        }
        let (gateway_code, settles) = match fault {
            Some(Fault::AcquirerPending(after)) => ("PENDING", Some((after, outcome))),
            Some(Fault::AcquirerUnknown(after)) => ("UNKNOWN", Some((after, outcome))),
            _ => (outcome, None),
        };
        let new = NewTransaction {
            kind: op,
            amount,
            currency,
            target: get(fields, "transaction.targetTransactionId").map(str::to_owned),
            source: get(fields, "transaction.source").map(str::to_owned),
            order_reference: get(fields, "order.reference").map(str::to_owned),
            reference: get(fields, "transaction.reference").map(str::to_owned),
            card,
            gateway_code,
            settles,
        };
        let (order, id) = ticket.commit(new).map_err(rule_error)?;
        Ok(transaction_answer(merchant, &order, &id))
    }

    /// The card of a PAY, AUTHORIZE or VERIFY as the answer shows it, and
    /// what the acquirer answers for it.
    fn card_outcome(&self, fields: &[(String, String)]) -> Result<(CardSummary, &'static str), NvpError> {
        let has_p2pe = fields.iter().any(|(n, _)| n.starts_with(P2PE));
        let (pan, track_expiry) = self.card_from(fields, has_p2pe)?;
        let expiry = request_expiry(fields).or(track_expiry);
        let info = cards::card_info(&pan);
        // "The gateway will decline transactions with INVALID encryption state" (spec §2.3).
        let outcome = if has_p2pe && get(fields, F_STATE) == Some("INVALID") {
            "DECLINED"
        } else {
            cards::payment_outcome(&pan, expiry.as_deref())
        };
        let card = CardSummary {
            masked_number: cards::mask_6_4(&pan),
            brand: info.brand,
            scheme: info.scheme,
            funding_method: info.funding_method,
            expiry,
            token: get(fields, "sourceOfFunds.token").map(str::to_owned),
        };
        Ok((card, outcome))
    }

    /// RETRIEVE_TRANSACTION or RETRIEVE_ORDER (`op`).
    ///
    /// RETRIEVE_TRANSACTION answers the transaction as a PAY answers it
    /// (S4: "Response parameters are the same as Transaction: Retrieve
    /// Transaction"). RETRIEVE_ORDER answers the order's `order.*` fields and
    /// each transaction's answer under `transaction[N].` (N from 0), as the
    /// core's answer table (`gw::rules::ORDER_RESPONSE`) lists them: the
    /// REST Retrieve Order answer's list of transactions, flattened; no NVP
    /// page for it was found (spec §1.3, §7 item 1).
    ///
    /// A transaction still being processed (the acquirer has not answered:
    /// `acquirer-delay`) answers `result=PENDING`,
    /// `response.gatewayCode=SUBMITTED` ("The transaction has successfully
    /// been created in the gateway. It is either awaiting submission to the
    /// acquirer or has been submitted to the acquirer but the gateway has
    /// not yet received a response", spec §3.3), with its ids.
    ///
    /// Ids gw-sim never saw: INVALID_REQUEST on `order.id` (no such order)
    /// or `transaction.id` — the reference does not say what the gateway
    /// answers (spec §3.5, §7 item 3): gw-sim's choice.
    pub(super) fn retrieve(
        &self,
        op: Operation,
        fields: &[(String, String)],
        merchant: &str,
        version: u32,
    ) -> Result<BTreeMap<String, String>, NvpError> {
        Self::check_complete(op, version, fields, merchant)?;
        if op == Operation::RetrieveTransaction {
            let (order_id, id) = (required(fields, "order.id")?, required(fields, "transaction.id")?);
            if self.ledger.in_progress(merchant, order_id, id) {
                return Ok(BTreeMap::from([
                    ("merchant".to_owned(), merchant.to_owned()),
                    ("order.id".to_owned(), order_id.to_owned()),
                    ("response.gatewayCode".to_owned(), "SUBMITTED".to_owned()),
                    ("result".to_owned(), "PENDING".to_owned()),
                    ("transaction.id".to_owned(), id.to_owned()),
                ]));
            }
        }
        let order = self.known_order(fields, merchant)?;
        if op == Operation::RetrieveTransaction {
            let id = required(fields, "transaction.id")?;
            if order.transaction(id).is_none() {
                return Err(NvpError::field(
                    "transaction.id",
                    ValidationType::Invalid,
                    "No transaction of this id exists on the order (gw-sim's answer: the reference is silent)",
                ));
            }
            return Ok(transaction_answer(merchant, &order, id));
        }
        let mut out = order_fields(&order);
        out.insert("merchant".into(), merchant.into());
        out.insert("result".into(), "SUCCESS".into());
        for (i, t) in order.transactions.iter().enumerate() {
            for (name, value) in transaction_fields(merchant, &order, t) {
                out.insert(format!("transaction[{i}].{name}"), value);
            }
        }
        Ok(out)
    }

    fn known_order(&self, fields: &[(String, String)], merchant: &str) -> Result<Order, NvpError> {
        let id = required(fields, "order.id")?;
        self.ledger.order(merchant, id).ok_or_else(|| {
            NvpError::field(
                "order.id",
                ValidationType::Invalid,
                "No order of this id exists for the merchant (gw-sim's answer: the reference is silent)",
            )
        })
    }
}

fn required<'a>(fields: &'a [(String, String)], name: &str) -> Result<&'a str, NvpError> {
    get(fields, name)
        .ok_or_else(|| NvpError::field(name, ValidationType::Missing, format!("field '{name}' missing: is required")))
}

/// The amount (minor units) and currency a request of `kind` names:
/// `order.*` for PAY, AUTHORIZE and VERIFY, `transaction.*` for CAPTURE and
/// REFUND; a VOID takes its target's.
fn amount_of(op: Operation, fields: &[(String, String)]) -> Result<(Option<u64>, Option<String>), NvpError> {
    let (amount_field, currency_field) = match op {
        Operation::Capture | Operation::Refund => ("transaction.amount", "transaction.currency"),
        Operation::Void => return Ok((None, None)),
        _ => ("order.amount", "order.currency"),
    };
    let currency = get(fields, currency_field).map(str::to_owned);
    let amount = match (get(fields, amount_field), op) {
        (None, Operation::Verify) => None,
        (None, _) => return Err(required(fields, amount_field).unwrap_err()),
        (Some(text), _) => {
            let currency = currency.as_deref().ok_or_else(|| required(fields, currency_field).unwrap_err())?;
            Some(
                ledger::parse_amount(text, currency)
                    .map_err(|why| NvpError::field(amount_field, ValidationType::Invalid, why))?,
            )
        }
    };
    Ok((amount, currency))
}

/// A request the order's rules refuse: INVALID_REQUEST on the field (the
/// reference gives no answer for these: gw-sim's choice).
fn rule_error(e: RuleError) -> NvpError {
    NvpError::field(e.field, ValidationType::Invalid, e.explanation)
}

/// `LOCK_FAILURE`: `result=FAILURE` with the gateway code; nothing is recorded.
fn lock_failure(merchant: &str, order_id: &str, transaction_id: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("merchant".to_owned(), merchant.to_owned()),
        ("order.id".to_owned(), order_id.to_owned()),
        ("response.gatewayCode".to_owned(), "LOCK_FAILURE".to_owned()),
        ("result".to_owned(), "FAILURE".to_owned()),
        ("transaction.id".to_owned(), transaction_id.to_owned()),
    ])
}

/// The answer to a transaction (PAY ... VOID, RETRIEVE_TRANSACTION).
fn transaction_answer(merchant: &str, order: &Order, transaction_id: &str) -> BTreeMap<String, String> {
    match order.transaction(transaction_id) {
        Some(t) => transaction_fields(merchant, order, t),
        None => BTreeMap::new(),
    }
}

/// The `order.*` fields of an answer.
fn order_fields(o: &Order) -> BTreeMap<String, String> {
    let amount = |minor| ledger::format_amount(minor, &o.currency);
    let mut out = BTreeMap::from([
        ("order.id".to_owned(), o.id.clone()),
        ("order.currency".to_owned(), o.currency.clone()),
        ("order.status".to_owned(), o.status().to_owned()),
        ("order.creationTime".to_owned(), o.created.clone()),
        ("order.lastUpdatedTime".to_owned(), o.updated.clone()),
        ("order.totalAuthorizedAmount".to_owned(), amount(o.total_authorized())),
        ("order.totalCapturedAmount".to_owned(), amount(o.total_captured())),
        ("order.totalRefundedAmount".to_owned(), amount(o.total_refunded())),
    ]);
    if o.amount > 0 {
        out.insert("order.amount".into(), amount(o.amount));
    }
    if let Some(r) = &o.reference {
        out.insert("order.reference".into(), r.clone());
    }
    out
}

/// A transaction's answer fields: `result`, `response.*`, `order.*`,
/// `transaction.*`, `sourceOfFunds.*` (the card masked 6.4; the order's
/// card for a CAPTURE, REFUND or VOID), as the reference's example answer
/// shows them (spec/payments.md §1.4).
fn transaction_fields(merchant: &str, o: &Order, t: &Transaction) -> BTreeMap<String, String> {
    let mut out = order_fields(o);
    let mut put = |k: &str, v: &str| {
        out.insert(k.to_owned(), v.to_owned());
    };
    put("merchant", merchant);
    put("result", t.result());
    put("response.gatewayCode", t.gateway_code);
    if let Some((code, message)) = cards::acquirer_response(t.gateway_code) {
        put("response.acquirerCode", code);
        put("response.acquirerMessage", message);
    }
    put("gatewayEntryPoint", "WEB_SERVICES_API");
    put("timeOfRecord", &t.time);
    put("timeOfLastUpdate", &t.updated);
    put("transaction.id", &t.id);
    put("transaction.type", t.txn_type.as_str());
    if t.kind != Operation::Verify {
        put("transaction.amount", &ledger::format_amount(t.amount, &t.currency));
    }
    put("transaction.currency", &t.currency);
    put("transaction.receipt", &t.receipt);
    put("transaction.acquirer.id", ACQUIRER_ID);
    put("transaction.acquirer.merchantId", merchant);
    put("transaction.acquirer.batch", &t.batch.to_string());
    put("transaction.acquirer.date", &t.time[..10].replace('-', ""));
    put("transaction.acquirer.transactionId", &t.receipt);
    for (name, value) in [
        ("transaction.authorizationCode", &t.authorization_code),
        ("transaction.source", &t.source),
        ("transaction.reference", &t.reference),
        ("transaction.targetTransactionId", &t.target),
    ] {
        if let Some(v) = value {
            put(name, v);
        }
    }
    let card = t.card.as_ref().or_else(|| o.transactions.iter().find_map(|x| x.card.as_ref()));
    if let Some(c) = card {
        put("sourceOfFunds.type", "CARD");
        if let Some(token) = &c.token {
            put("sourceOfFunds.token", token);
        }
        put("sourceOfFunds.provided.card.brand", c.brand);
        put("sourceOfFunds.provided.card.scheme", c.scheme);
        put("sourceOfFunds.provided.card.fundingMethod", c.funding_method);
        put("sourceOfFunds.provided.card.number", &c.masked_number);
        if let Some(e) = c.expiry.as_deref().filter(|e| e.len() == 4) {
            put("sourceOfFunds.provided.card.expiry.month", e[..2].trim_start_matches('0'));
            put("sourceOfFunds.provided.card.expiry.year", &e[2..]);
        }
    }
    out
}
