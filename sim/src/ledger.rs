//! The gateway's ledger: per merchant, orders and their transactions as the
//! reference describes them (`order.status`, `transaction.type`, the order's
//! totals; spec/payments.md §1.4), with the rules money follows — a capture
//! at most what is authorized, a refund at most what is captured, a void only
//! while the target's batch is open — identical resubmission, and the lock
//! that answers `LOCK_FAILURE` while a transaction on the order is in progress.
//!
//! Amounts are exact integers of the currency's minor units (no float
//! anywhere): `"12.50"` USD is 1250. The handlers (`handlers/payment.rs`)
//! decide what the acquirer answers; the ledger records it and says what
//! the order looks like after.

use gw::rules::Operation;
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The digits after the decimal point of a currency's amounts: the core's
/// ISO 4217 table (`gw::rules::minor_units`); 2 for a currency it does not
/// list (gw-sim's choice: most currencies have 2).
pub fn minor_units(currency: &str) -> u32 {
    gw::rules::minor_units(currency).unwrap_or(2)
}

/// An amount in minor units from its decimal text (`"12.5"` or `"12.50"`
/// USD → 1250). Refused: signs, exponents, more fraction digits than the
/// currency has, and values past `u64`.
pub fn parse_amount(text: &str, currency: &str) -> Result<u64, String> {
    let digits = minor_units(currency) as usize;
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let is_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !is_digits(whole) || !is_digits(fraction) || (text.contains('.') && fraction.is_empty()) {
        return Err(format!("'{text}' is not a decimal amount (digits, an optional '.' and fraction digits)"));
    }
    if fraction.len() > digits {
        return Err(format!("{currency} amounts have {digits} digits after the decimal point"));
    }
    let mut minor: u64 = 0;
    for b in whole.bytes().chain(fraction.bytes()).chain(std::iter::repeat_n(b'0', digits - fraction.len())) {
        minor = minor
            .checked_mul(10)
            .and_then(|m| m.checked_add(u64::from(b - b'0')))
            .ok_or_else(|| "the amount is too large".to_owned())?;
    }
    Ok(minor)
}

/// Minor units as the gateway's decimal text, with the currency's digits
/// (1250 USD → `"12.50"`, 1000 JPY → `"1000"`).
pub fn format_amount(minor: u64, currency: &str) -> String {
    let digits = minor_units(currency);
    if digits == 0 {
        return minor.to_string();
    }
    let scale = 10u64.pow(digits);
    format!("{}.{:0width$}", minor / scale, minor % scale, width = digits as usize)
}

/// `transaction.type` (spec/payments.md §1.4, the names the reference gives).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxnType {
    Authorization,
    Payment,
    Capture,
    Refund,
    Verification,
    VoidAuthorization,
    VoidPayment,
    VoidCapture,
    VoidRefund,
}

impl TxnType {
    pub fn as_str(self) -> &'static str {
        match self {
            TxnType::Authorization => "AUTHORIZATION",
            TxnType::Payment => "PAYMENT",
            TxnType::Capture => "CAPTURE",
            TxnType::Refund => "REFUND",
            TxnType::Verification => "VERIFICATION",
            TxnType::VoidAuthorization => "VOID_AUTHORIZATION",
            TxnType::VoidPayment => "VOID_PAYMENT",
            TxnType::VoidCapture => "VOID_CAPTURE",
            TxnType::VoidRefund => "VOID_REFUND",
        }
    }

    /// The void of a transaction of this type; `None` when it cannot be voided.
    fn void(self) -> Option<TxnType> {
        match self {
            TxnType::Authorization => Some(TxnType::VoidAuthorization),
            TxnType::Payment => Some(TxnType::VoidPayment),
            TxnType::Capture => Some(TxnType::VoidCapture),
            TxnType::Refund => Some(TxnType::VoidRefund),
            _ => None,
        }
    }

    fn is_void(self) -> bool {
        matches!(self, TxnType::VoidAuthorization | TxnType::VoidPayment | TxnType::VoidCapture | TxnType::VoidRefund)
    }
}

/// `result` for a `response.gatewayCode` (spec/payments.md §3.2-3.3): the
/// approvals are SUCCESS, PENDING and SUBMITTED are PENDING, UNKNOWN is
/// UNKNOWN, every other code (declines, TIMED_OUT, the system errors,
/// LOCK_FAILURE) is FAILURE.
pub fn result_of(gateway_code: &str) -> &'static str {
    match gateway_code {
        "APPROVED" | "APPROVED_AUTO" | "APPROVED_PENDING_SETTLEMENT" | "PARTIALLY_APPROVED" => "SUCCESS",
        "PENDING" | "SUBMITTED" => "PENDING",
        "UNKNOWN" => "UNKNOWN",
        _ => "FAILURE",
    }
}

/// The card a PAY, AUTHORIZE or VERIFY used, as the answer shows it (the
/// number masked 6.4: the ledger never holds a clear number).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CardSummary {
    pub masked_number: String,
    pub brand: &'static str,
    pub scheme: &'static str,
    pub funding_method: &'static str,
    /// MMYY.
    pub expiry: Option<String>,
    /// `sourceOfFunds.token` when the card came from a token.
    pub token: Option<String>,
}

/// A settlement the acquirer still owes: the transaction answers PENDING or
/// UNKNOWN until `at`, then `code`.
#[derive(Clone, Debug)]
struct Settlement {
    at: Instant,
    code: &'static str,
}

/// One transaction on an order.
#[derive(Clone, Debug)]
pub struct Transaction {
    pub id: String,
    pub kind: Operation,
    pub txn_type: TxnType,
    /// Minor units (0 for a VERIFICATION).
    pub amount: u64,
    pub currency: String,
    /// `response.gatewayCode` now (PENDING or UNKNOWN until a settlement comes).
    pub gateway_code: &'static str,
    pub target: Option<String>,
    /// The merchant's batch it was recorded in.
    pub batch: u32,
    pub time: String,
    pub updated: String,
    pub authorization_code: Option<String>,
    pub receipt: String,
    pub source: Option<String>,
    pub reference: Option<String>,
    pub card: Option<CardSummary>,
    /// The id of the VOID that reversed it.
    pub voided_by: Option<String>,
    fingerprint: u64,
    settlement: Option<Settlement>,
}

impl Transaction {
    pub fn result(&self) -> &'static str {
        result_of(self.gateway_code)
    }

    fn approved(&self) -> bool {
        self.result() == "SUCCESS"
    }

    /// Approved and not voided: its money counts in the order's totals.
    fn in_effect(&self) -> bool {
        self.approved() && self.voided_by.is_none()
    }

    /// Still waiting for the acquirer: counted against the limits (a capture
    /// or refund that settles later must not push a later one past them).
    fn outstanding(&self) -> bool {
        self.settlement.is_some() && self.voided_by.is_none()
    }

    fn settle(&mut self, now: Instant) {
        if let Some(s) = self.settlement.take_if(|s| s.at <= now) {
            self.gateway_code = s.code;
            self.updated = crate::time::now_iso8601();
        }
    }
}

/// An order.
#[derive(Clone, Debug)]
pub struct Order {
    pub id: String,
    pub currency: String,
    /// `order.amount`, minor units.
    pub amount: u64,
    pub reference: Option<String>,
    pub created: String,
    pub updated: String,
    pub transactions: Vec<Transaction>,
}

impl Order {
    fn sum(&self, types: &[TxnType], include_outstanding: bool) -> u64 {
        self.transactions
            .iter()
            .filter(|t| types.contains(&t.txn_type) && (t.in_effect() || (include_outstanding && t.outstanding())))
            .map(|t| t.amount)
            .sum()
    }

    /// `order.totalAuthorizedAmount`: approved authorizations and payments not voided.
    pub fn total_authorized(&self) -> u64 {
        self.sum(&[TxnType::Authorization, TxnType::Payment], false)
    }

    /// `order.totalCapturedAmount`: approved payments and captures not voided.
    pub fn total_captured(&self) -> u64 {
        self.sum(&[TxnType::Payment, TxnType::Capture], false)
    }

    /// `order.totalRefundedAmount`: approved refunds not voided.
    pub fn total_refunded(&self) -> u64 {
        self.sum(&[TxnType::Refund], false)
    }

    /// The transaction that opened the order's money (a PAY or AUTHORIZE
    /// approved, or waiting for the acquirer).
    fn initial(&self) -> Option<&Transaction> {
        self.transactions.iter().find(|t| {
            matches!(t.txn_type, TxnType::Payment | TxnType::Authorization) && (t.approved() || t.outstanding())
        })
    }

    /// `order.status` from the reference's list (spec/payments.md §1.4). Which
    /// status a mix of transactions gives is gw-sim's reading of the status
    /// descriptions: CANCELLED when the initial transaction was voided;
    /// REFUNDED / PARTIALLY_REFUNDED by the refunds against what was captured;
    /// CAPTURED / PARTIALLY_CAPTURED by the captures against what was
    /// authorized; AUTHORIZED; VERIFIED; INITIATED while the acquirer has
    /// not answered; FAILED when nothing succeeded.
    pub fn status(&self) -> &'static str {
        let initial = self
            .transactions
            .iter()
            .find(|t| matches!(t.txn_type, TxnType::Payment | TxnType::Authorization) && t.approved());
        if let Some(first) = initial {
            if first.voided_by.is_some() && self.total_captured() == 0 {
                return "CANCELLED";
            }
            let (authorized, captured, refunded) =
                (self.total_authorized(), self.total_captured(), self.total_refunded());
            return if refunded > 0 && refunded >= captured {
                "REFUNDED"
            } else if refunded > 0 {
                "PARTIALLY_REFUNDED"
            } else if captured > 0 && captured >= authorized {
                "CAPTURED"
            } else if captured > 0 {
                "PARTIALLY_CAPTURED"
            } else {
                "AUTHORIZED"
            };
        }
        if self.transactions.iter().any(|t| t.outstanding()) {
            return "INITIATED";
        }
        if self.transactions.iter().any(|t| t.txn_type == TxnType::Verification && t.approved()) {
            return "VERIFIED";
        }
        "FAILED"
    }

    pub fn transaction(&self, id: &str) -> Option<&Transaction> {
        self.transactions.iter().find(|t| t.id == id)
    }
}

/// A new transaction the handler asks the ledger to record: the request's
/// part and the acquirer's answer.
#[derive(Clone, Debug)]
pub struct NewTransaction {
    /// PAY, AUTHORIZE, CAPTURE, REFUND, VOID or VERIFY (`Operation::TRANSACTIONS`).
    pub kind: Operation,
    /// `order.amount` (PAY, AUTHORIZE; VERIFY: none) or `transaction.amount`
    /// (CAPTURE, REFUND) in minor units; a VOID takes its target's.
    pub amount: Option<u64>,
    /// `order.currency` or `transaction.currency`.
    pub currency: Option<String>,
    pub target: Option<String>,
    pub source: Option<String>,
    pub order_reference: Option<String>,
    pub reference: Option<String>,
    pub card: Option<CardSummary>,
    /// What the acquirer answered (APPROVED, DECLINED, ...).
    pub gateway_code: &'static str,
    /// The acquirer answers PENDING or UNKNOWN now (`gateway_code` here) and
    /// `code` after `after`.
    pub settles: Option<(Duration, &'static str)>,
}

/// Why the ledger refused a transaction: the field and the reason (answered
/// as INVALID_REQUEST: the reference gives no answer for these; gw-sim's choice).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError {
    pub field: &'static str,
    pub explanation: String,
}

fn refuse<T>(field: &'static str, explanation: impl Into<String>) -> Result<T, RuleError> {
    Err(RuleError { field, explanation: explanation.into() })
}

/// What [`Ledger::begin`] found.
pub enum Begin<'a> {
    /// The same order.id and transaction.id with the same content: the
    /// stored transaction, answered again; no money moves.
    Replay { order: Order, transaction: String },
    /// The same transaction.id on the order with other content.
    Conflict,
    /// Another transaction on the order is in progress.
    Locked,
    /// New: the order is locked for this transaction until the ticket is
    /// committed or dropped.
    Go(Ticket<'a>),
}

/// A transaction in progress: its order is locked (others meet
/// `LOCK_FAILURE`) until [`Ticket::commit`] or drop.
pub struct Ticket<'a> {
    ledger: &'a Ledger,
    merchant: String,
    order_id: String,
    transaction_id: String,
    fingerprint: u64,
}

impl Ticket<'_> {
    /// Records the transaction if the order's rules allow it; answers the
    /// order as it is after. Refused: nothing is recorded.
    pub fn commit(self, new: NewTransaction) -> Result<(Order, String), RuleError> {
        let mut inner = self.ledger.lock();
        let books = inner.merchants.entry(self.merchant.clone()).or_default();
        let batch = books.batch;
        let now = crate::time::now_iso8601();
        let order = books.orders.get(&self.order_id);
        let (amount, currency, txn_type) = check(order, &new, batch)?;
        let order = books.orders.entry(self.order_id.clone()).or_insert_with(|| Order {
            id: self.order_id.clone(),
            currency: currency.clone(),
            amount: 0,
            reference: None,
            created: now.clone(),
            updated: now.clone(),
            transactions: Vec::new(),
        });
        if matches!(new.kind, Operation::Pay | Operation::Authorize) {
            order.amount = amount;
        }
        if new.order_reference.is_some() {
            order.reference = new.order_reference.clone();
        }
        order.updated = now.clone();
        let approved = result_of(new.gateway_code) == "SUCCESS";
        let settlement = new.settles.map(|(after, code)| Settlement { at: Instant::now() + after, code });
        let owed = settlement.is_some();
        if txn_type.is_void() && (approved || settlement.is_some()) {
            // A void reverses its target at once; a void the acquirer has
            // not answered yet reserves it (no second void, no capture).
            let target = new.target.as_deref().unwrap_or_default();
            if let Some(t) = order.transactions.iter_mut().find(|t| t.id == target) {
                t.voided_by = Some(self.transaction_id.clone());
            }
        }
        order.transactions.push(Transaction {
            id: self.transaction_id.clone(),
            kind: new.kind,
            txn_type,
            amount,
            currency,
            gateway_code: new.gateway_code,
            target: new.target,
            batch,
            time: now.clone(),
            updated: now,
            authorization_code: approved.then(|| crate::rng::digits(6)),
            receipt: crate::rng::digits(12),
            source: new.source,
            reference: new.reference,
            card: new.card,
            voided_by: None,
            fingerprint: self.fingerprint,
            settlement,
        });
        let answer = (order.clone(), self.transaction_id.clone());
        if owed {
            inner.unsettled.insert((self.merchant.clone(), self.order_id.clone()));
        }
        Ok(answer)
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        self.ledger.lock().in_progress.remove(&(self.merchant.clone(), self.order_id.clone()));
    }
}

/// The order's rules for a new transaction: its amount, currency and type.
fn check(order: Option<&Order>, new: &NewTransaction, batch: u32) -> Result<(u64, String, TxnType), RuleError> {
    let currency_of = |field| match (&new.currency, order) {
        (Some(c), Some(o)) if *c != o.currency => refuse(
            field,
            format!("The order's currency is {}: a transaction on it must be in {}", o.currency, o.currency),
        ),
        (Some(c), _) => Ok(c.clone()),
        (None, Some(o)) => Ok(o.currency.clone()),
        (None, None) => refuse(field, "A currency is required"),
    };
    let existing = |field| order.ok_or(RuleError { field, explanation: "No order of this id exists".into() });
    match new.kind {
        Operation::Pay | Operation::Authorize | Operation::Verify => {
            let currency = currency_of("order.currency")?;
            if let Some(first) = order.and_then(Order::initial) {
                return refuse(
                    "order.id",
                    format!(
                        "The order already has {} {} ({}): a new payment needs a new order.id",
                        if first.approved() { "an approved" } else { "an unanswered" },
                        first.txn_type.as_str(),
                        first.id
                    ),
                );
            }
            let txn_type = match new.kind {
                Operation::Pay => TxnType::Payment,
                Operation::Authorize => TxnType::Authorization,
                _ => TxnType::Verification,
            };
            Ok((new.amount.unwrap_or(0), currency, txn_type))
        }
        Operation::Capture => {
            let o = existing("order.id")?;
            let currency = currency_of("transaction.currency")?;
            let amount = new.amount.unwrap_or(0);
            let authorized = o.sum(&[TxnType::Authorization], false);
            if authorized == 0 {
                return refuse("order.id", "The order has no approved authorization to capture");
            }
            let captured = o.sum(&[TxnType::Capture], true);
            if captured + amount > authorized {
                return refuse(
                    "transaction.amount",
                    format!(
                        "Requested capture amount exceeds the outstanding authorized amount ({} {currency})",
                        format_amount(authorized - captured, &currency)
                    ),
                );
            }
            Ok((amount, currency, TxnType::Capture))
        }
        Operation::Refund => {
            let o = existing("order.id")?;
            let currency = currency_of("transaction.currency")?;
            let amount = new.amount.unwrap_or(0);
            if let Some(target) = &new.target {
                let ok = o
                    .transaction(target)
                    .is_some_and(|t| matches!(t.txn_type, TxnType::Payment | TxnType::Capture) && t.in_effect());
                if !ok {
                    return refuse(
                        "transaction.targetTransactionId",
                        "The target is not an approved payment or capture on this order",
                    );
                }
            }
            let captured = o.total_captured();
            let refunded = o.sum(&[TxnType::Refund], true);
            if refunded + amount > captured {
                return refuse(
                    "transaction.amount",
                    format!(
                        "Requested refund amount exceeds the captured amount not yet refunded ({} {currency})",
                        format_amount(captured.saturating_sub(refunded), &currency)
                    ),
                );
            }
            Ok((amount, currency, TxnType::Refund))
        }
        Operation::Void => {
            const F: &str = "transaction.targetTransactionId";
            let o = existing("order.id")?;
            let Some(target) = new.target.as_deref().and_then(|id| o.transaction(id)) else {
                return refuse(F, "No transaction of this id exists on the order");
            };
            let Some(void_type) = target.txn_type.void() else {
                return refuse(F, format!("A {} cannot be voided", target.txn_type.as_str()));
            };
            if !target.approved() {
                return refuse(F, "Only an approved transaction can be voided");
            }
            if target.voided_by.is_some() {
                return refuse(F, "The transaction has already been voided");
            }
            if target.batch != batch {
                return refuse(
                    F,
                    "The transaction's batch has closed (sent to the acquirer at the end of the day): refund it instead",
                );
            }
            if target.txn_type == TxnType::Authorization && o.sum(&[TxnType::Capture], true) > 0 {
                return refuse(F, "The authorization has captures: void the captures first");
            }
            Ok((target.amount, target.currency.clone(), void_type))
        }
        other => refuse("apiOperation", format!("{other} makes no transaction")),
    }
}

/// One merchant's books.
struct Books {
    orders: BTreeMap<String, Order>,
    /// The open batch (from 1); transactions of earlier batches cannot be voided.
    batch: u32,
}

impl Default for Books {
    fn default() -> Books {
        Books { orders: BTreeMap::new(), batch: 1 }
    }
}

#[derive(Default)]
struct Inner {
    merchants: HashMap<String, Books>,
    /// (merchant, order.id) with a transaction in progress: its transaction.id.
    in_progress: HashMap<(String, String), String>,
    /// (merchant, order.id) with a settlement still owed: only these are
    /// looked at when settling (a run of thousands of orders stays cheap).
    unsettled: HashSet<(String, String)>,
}

impl Inner {
    /// Applies every settlement that is due (the acquirer's late answers).
    fn settle(&mut self) {
        if self.unsettled.is_empty() {
            return;
        }
        let now = Instant::now();
        let merchants = &mut self.merchants;
        self.unsettled.retain(|(merchant, order_id)| {
            let Some(order) = merchants.get_mut(merchant).and_then(|b| b.orders.get_mut(order_id)) else {
                return false;
            };
            let mut declined_voids = Vec::new();
            for t in order.transactions.iter_mut().filter(|t| t.settlement.is_some()) {
                t.settle(now);
                if t.txn_type.is_void() && t.settlement.is_none() && !t.approved() {
                    declined_voids.push(t.id.clone());
                }
            }
            // A void the acquirer declined in the end gives its target back.
            for t in &mut order.transactions {
                if t.voided_by.as_ref().is_some_and(|v| declined_voids.contains(v)) {
                    t.voided_by = None;
                }
            }
            order.transactions.iter().any(|t| t.settlement.is_some())
        });
    }
}

/// The fingerprint of a request's content: every field but the
/// credentials and `correlationId` ("not validated, does not persist in the
/// gateway", spec/payments.md §1.1), in name order. Two requests with the
/// same fingerprint are the "identical" resubmission of spec §3.1.
pub fn fingerprint(fields: &[(String, String)]) -> u64 {
    let mut content: Vec<(&str, &str)> = fields
        .iter()
        .filter(|(n, _)| !matches!(n.as_str(), "apiUsername" | "apiPassword" | "correlationId"))
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    content.sort_unstable();
    let mut h = DefaultHasher::new();
    content.hash(&mut h);
    h.finish()
}

/// Every merchant's orders.
#[derive(Default)]
pub struct Ledger {
    inner: Mutex<Inner>,
}

impl Ledger {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.settle();
        inner
    }

    /// Starts a transaction `transaction_id` on `order_id` whose request
    /// content has `fingerprint` ([`fingerprint`]).
    pub fn begin(&self, merchant: &str, order_id: &str, transaction_id: &str, fingerprint: u64) -> Begin<'_> {
        let mut inner = self.lock();
        let key = (merchant.to_owned(), order_id.to_owned());
        if inner.in_progress.contains_key(&key) {
            return Begin::Locked;
        }
        let order = inner.merchants.get(merchant).and_then(|b| b.orders.get(order_id));
        if let Some(order) = order {
            if let Some(t) = order.transaction(transaction_id) {
                return if t.fingerprint == fingerprint {
                    Begin::Replay { order: order.clone(), transaction: transaction_id.to_owned() }
                } else {
                    Begin::Conflict
                };
            }
            // A PENDING transaction is still in progress at the acquirer.
            if order.transactions.iter().any(|t| t.outstanding() && t.result() == "PENDING") {
                return Begin::Locked;
            }
        }
        inner.in_progress.insert(key, transaction_id.to_owned());
        Begin::Go(Ticket {
            ledger: self,
            merchant: merchant.to_owned(),
            order_id: order_id.to_owned(),
            transaction_id: transaction_id.to_owned(),
            fingerprint,
        })
    }

    /// Whether `transaction_id` is being processed on the order now (begun,
    /// not yet recorded).
    pub fn in_progress(&self, merchant: &str, order_id: &str, transaction_id: &str) -> bool {
        let key = (merchant.to_owned(), order_id.to_owned());
        self.lock().in_progress.get(&key).is_some_and(|t| t == transaction_id)
    }

    /// The order, as it is now (settlements applied).
    pub fn order(&self, merchant: &str, order_id: &str) -> Option<Order> {
        self.lock().merchants.get(merchant).and_then(|b| b.orders.get(order_id)).cloned()
    }

    /// Closes `merchant`'s open batch (the day's end: its transactions go
    /// to the acquirer and can no longer be voided); returns the new batch.
    pub fn close_batch(&self, merchant: &str) -> u32 {
        let mut inner = self.lock();
        let books = inner.merchants.entry(merchant.to_owned()).or_default();
        books.batch += 1;
        books.batch
    }

    /// The JSON of `GET /ledger.json`: every merchant's batch and orders,
    /// each transaction with its type, amount, result and gateway code, and
    /// `approved`: per merchant the count of approved transactions of each
    /// type not voided since (what tests count charges from).
    pub fn json(&self) -> String {
        let inner = self.lock();
        let mut merchants: Vec<_> = inner.merchants.iter().collect();
        merchants.sort_by(|a, b| a.0.cmp(b.0));
        let mut out = String::from("{\"merchants\":[");
        for (i, (merchant, books)) in merchants.into_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let mut approved: BTreeMap<&str, u32> = BTreeMap::new();
            for t in books.orders.values().flat_map(|o| &o.transactions).filter(|t| t.in_effect()) {
                *approved.entry(t.txn_type.as_str()).or_default() += 1;
            }
            let _ = write!(out, "{{\"merchant\":{},\"batch\":{},\"approved\":{{", json(merchant), books.batch);
            for (j, (ty, n)) in approved.iter().enumerate() {
                let _ = write!(out, "{}{}:{n}", if j > 0 { "," } else { "" }, json(ty));
            }
            out.push_str("},\"orders\":[");
            for (j, o) in books.orders.values().enumerate() {
                let _ = write!(
                    out,
                    "{}{{\"id\":{},\"status\":{},\"currency\":{},\"amount\":{},\"totalAuthorizedAmount\":{},\
                     \"totalCapturedAmount\":{},\"totalRefundedAmount\":{},\"transactions\":[",
                    if j > 0 { "," } else { "" },
                    json(&o.id),
                    json(o.status()),
                    json(&o.currency),
                    json(&format_amount(o.amount, &o.currency)),
                    json(&format_amount(o.total_authorized(), &o.currency)),
                    json(&format_amount(o.total_captured(), &o.currency)),
                    json(&format_amount(o.total_refunded(), &o.currency)),
                );
                for (k, t) in o.transactions.iter().enumerate() {
                    let _ = write!(
                        out,
                        "{}{{\"id\":{},\"type\":{},\"amount\":{},\"currency\":{},\"result\":{},\"gatewayCode\":{},\
                         \"batch\":{},\"target\":{},\"voidedBy\":{},\"time\":{}}}",
                        if k > 0 { "," } else { "" },
                        json(&t.id),
                        json(t.txn_type.as_str()),
                        json(&format_amount(t.amount, &t.currency)),
                        json(&t.currency),
                        json(t.result()),
                        json(t.gateway_code),
                        t.batch,
                        t.target.as_deref().map_or("null".to_owned(), json),
                        t.voided_by.as_deref().map_or("null".to_owned(), json),
                        json(&t.time),
                    );
                }
                out.push_str("]}");
            }
            out.push_str("]}");
        }
        out.push_str("]}\n");
        out
    }

    /// Every order of every merchant, merchants in name order (the inspector's table).
    pub fn orders(&self) -> Vec<(String, u32, Order)> {
        let inner = self.lock();
        let mut out: Vec<_> = inner
            .merchants
            .iter()
            .flat_map(|(m, b)| b.orders.values().map(move |o| (m.clone(), b.batch, o.clone())))
            .collect();
        out.sort_by(|a, b| (&a.0, &a.2.id).cmp(&(&b.0, &b.2.id)));
        out
    }
}

fn json(s: &str) -> String {
    crate::inspector::json_string(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: &str = "M1";

    fn new(kind: Operation, amount: Option<u64>, target: Option<&str>) -> NewTransaction {
        NewTransaction {
            kind,
            amount,
            currency: Some("USD".into()),
            target: target.map(str::to_owned),
            source: None,
            order_reference: None,
            reference: None,
            card: None,
            gateway_code: "APPROVED",
            settles: None,
        }
    }

    fn go(l: &Ledger, order: &str, txn: &str, n: NewTransaction) -> Result<Order, RuleError> {
        match l.begin(M, order, txn, fingerprint(&[("t".into(), txn.into())])) {
            Begin::Go(t) => t.commit(n).map(|(o, _)| o),
            _ => panic!("not new"),
        }
    }

    #[test]
    fn amounts_are_exact_minor_units() {
        assert_eq!(parse_amount("12.50", "USD"), Ok(1250));
        assert_eq!(parse_amount("12.5", "USD"), Ok(1250));
        assert_eq!(parse_amount("12", "USD"), Ok(1200));
        assert_eq!(parse_amount("0.01", "USD"), Ok(1));
        assert_eq!(parse_amount("1000", "JPY"), Ok(1000));
        assert!(parse_amount("10.5", "JPY").is_err());
        assert_eq!(parse_amount("1.234", "BHD"), Ok(1234));
        assert!(parse_amount("1.234", "USD").is_err());
        for bad in ["", ".5", "1.", "-1", "+1", "1e3", "1,00", " 1", "99999999999999999999"] {
            assert!(parse_amount(bad, "USD").is_err(), "{bad}");
        }
        assert_eq!(format_amount(1250, "USD"), "12.50");
        assert_eq!(format_amount(5, "USD"), "0.05");
        assert_eq!(format_amount(1000, "JPY"), "1000");
        assert_eq!(format_amount(1234, "BHD"), "1.234");
        // 0.1 + 0.2 in minor units is exactly 0.30.
        assert_eq!(
            format_amount(parse_amount("0.1", "EUR").unwrap() + parse_amount("0.2", "EUR").unwrap(), "EUR"),
            "0.30"
        );
    }

    #[test]
    fn results_of_gateway_codes() {
        assert_eq!(result_of("APPROVED"), "SUCCESS");
        assert_eq!(result_of("DECLINED"), "FAILURE");
        assert_eq!(result_of("TIMED_OUT"), "FAILURE");
        assert_eq!(result_of("LOCK_FAILURE"), "FAILURE");
        assert_eq!(result_of("PENDING"), "PENDING");
        assert_eq!(result_of("SUBMITTED"), "PENDING");
        assert_eq!(result_of("UNKNOWN"), "UNKNOWN");
    }

    #[test]
    fn authorize_capture_refund_void() {
        let l = Ledger::default();
        let o = go(&l, "o1", "a", new(Operation::Authorize, Some(1000), None)).unwrap();
        assert_eq!((o.status(), o.total_authorized(), o.total_captured()), ("AUTHORIZED", 1000, 0));
        // Capture at most what is authorized.
        let e = go(&l, "o1", "c0", new(Operation::Capture, Some(1001), None)).unwrap_err();
        assert_eq!(e.field, "transaction.amount");
        let o = go(&l, "o1", "c1", new(Operation::Capture, Some(600), None)).unwrap();
        assert_eq!((o.status(), o.total_captured()), ("PARTIALLY_CAPTURED", 600));
        assert!(go(&l, "o1", "c2", new(Operation::Capture, Some(401), None)).is_err());
        let o = go(&l, "o1", "c2", new(Operation::Capture, Some(400), None)).unwrap();
        assert_eq!(o.status(), "CAPTURED");
        // Refund at most what is captured.
        assert_eq!(
            go(&l, "o1", "r0", new(Operation::Refund, Some(1001), None)).unwrap_err().field,
            "transaction.amount"
        );
        let o = go(&l, "o1", "r1", new(Operation::Refund, Some(300), None)).unwrap();
        assert_eq!((o.status(), o.total_refunded()), ("PARTIALLY_REFUNDED", 300));
        // Void the refund: the money is back.
        let o = go(&l, "o1", "v1", new(Operation::Void, None, Some("r1"))).unwrap();
        assert_eq!(o.transaction("v1").unwrap().txn_type, TxnType::VoidRefund);
        assert_eq!((o.status(), o.total_refunded()), ("CAPTURED", 0));
        // No second void of the same target; no void of a void.
        assert!(go(&l, "o1", "v2", new(Operation::Void, None, Some("r1"))).is_err());
        assert!(go(&l, "o1", "v3", new(Operation::Void, None, Some("v1"))).is_err());
        // An authorization with captures is not voided.
        assert!(go(&l, "o1", "v4", new(Operation::Void, None, Some("a"))).is_err());
        let o = go(&l, "o1", "r2", new(Operation::Refund, Some(1000), None)).unwrap();
        assert_eq!(o.status(), "REFUNDED");
        assert!(go(&l, "o1", "r3", new(Operation::Refund, Some(1), None)).is_err());
        // No capture on an order without authorization; a wrong currency.
        assert_eq!(go(&l, "nope", "c", new(Operation::Capture, Some(1), None)).unwrap_err().field, "order.id");
        let mut eur = new(Operation::Refund, Some(1), None);
        eur.currency = Some("EUR".into());
        assert_eq!(go(&l, "o1", "r4", eur).unwrap_err().field, "transaction.currency");
    }

    #[test]
    fn pay_then_void_cancels_until_the_batch_closes() {
        let l = Ledger::default();
        let o = go(&l, "p", "1", new(Operation::Pay, Some(500), None)).unwrap();
        assert_eq!((o.status(), o.total_captured()), ("CAPTURED", 500));
        let o = go(&l, "p", "2", new(Operation::Void, None, Some("1"))).unwrap();
        assert_eq!(o.transaction("2").unwrap().txn_type, TxnType::VoidPayment);
        assert_eq!((o.status(), o.total_captured()), ("CANCELLED", 0));
        // After the batch closes: no void, a refund instead.
        go(&l, "q", "1", new(Operation::Pay, Some(500), None)).unwrap();
        assert_eq!(l.close_batch(M), 2);
        let e = go(&l, "q", "2", new(Operation::Void, None, Some("1"))).unwrap_err();
        assert!(e.explanation.contains("batch"), "{e:?}");
        go(&l, "q", "3", new(Operation::Refund, Some(500), Some("1"))).unwrap();
        // A second PAY on a paid order needs a new order.
        assert_eq!(go(&l, "q", "4", new(Operation::Pay, Some(1), None)).unwrap_err().field, "order.id");
    }

    #[test]
    fn a_declined_pay_moves_no_money_and_the_retry_takes_a_new_id() {
        let l = Ledger::default();
        let mut declined = new(Operation::Pay, Some(700), None);
        declined.gateway_code = "DECLINED";
        let o = go(&l, "d", "1", declined).unwrap();
        assert_eq!((o.status(), o.total_captured()), ("FAILED", 0));
        assert!(o.transaction("1").unwrap().authorization_code.is_none());
        let o = go(&l, "d", "2", new(Operation::Pay, Some(700), None)).unwrap();
        assert_eq!((o.status(), o.total_captured()), ("CAPTURED", 700));
    }

    #[test]
    fn identical_resubmission_replays_other_content_conflicts() {
        let l = Ledger::default();
        let fields = |amount: &str| vec![("order.amount".to_owned(), amount.to_owned())];
        let fp = fingerprint(&fields("1.00"));
        let Begin::Go(t) = l.begin(M, "o", "t", fp) else { panic!() };
        // While in progress, the order is locked: even for the identical request.
        assert!(matches!(l.begin(M, "o", "t", fp), Begin::Locked));
        assert!(matches!(l.begin(M, "o", "u", 1), Begin::Locked));
        // Other orders are not.
        assert!(matches!(l.begin(M, "other", "t", fp), Begin::Go(_)));
        assert!(l.in_progress(M, "o", "t") && !l.in_progress(M, "o", "u") && !l.in_progress(M, "other", "t"));
        t.commit(new(Operation::Pay, Some(100), None)).unwrap();
        assert!(matches!(l.begin(M, "o", "t", fp), Begin::Replay { .. }));
        assert!(matches!(l.begin(M, "o", "t", fingerprint(&fields("2.00"))), Begin::Conflict));
        assert_eq!(l.order(M, "o").unwrap().transactions.len(), 1);
        // correlationId and credentials are not content.
        let mut with_extra = fields("1.00");
        with_extra.push(("correlationId".into(), "x".into()));
        with_extra.push(("apiPassword".into(), "y".into()));
        assert_eq!(fingerprint(&with_extra), fp);
        // A refused commit unlocks and records nothing.
        let Begin::Go(t) = l.begin(M, "o", "c", 7) else { panic!() };
        assert!(t.commit(new(Operation::Capture, Some(1), None)).is_err());
        assert!(matches!(l.begin(M, "o", "c", 7), Begin::Go(_)));
    }

    #[test]
    fn pending_settles_later_and_locks_the_order_meanwhile() {
        let l = Ledger::default();
        let mut pending = new(Operation::Pay, Some(900), None);
        pending.gateway_code = "PENDING";
        pending.settles = Some((Duration::from_millis(150), "APPROVED"));
        let o = go(&l, "s", "1", pending).unwrap();
        assert_eq!((o.status(), o.transaction("1").unwrap().result(), o.total_captured()), ("INITIATED", "PENDING", 0));
        assert!(matches!(l.begin(M, "s", "2", 2), Begin::Locked));
        std::thread::sleep(Duration::from_millis(200));
        let o = l.order(M, "s").unwrap();
        assert_eq!(
            (o.status(), o.transaction("1").unwrap().result(), o.total_captured()),
            ("CAPTURED", "SUCCESS", 900)
        );
        assert!(l.json().contains("\"approved\":{\"PAYMENT\":1}"), "{}", l.json());

        let mut unknown = new(Operation::Pay, Some(900), None);
        unknown.gateway_code = "UNKNOWN";
        unknown.settles = Some((Duration::from_millis(100), "DECLINED"));
        go(&l, "u", "1", unknown).unwrap();
        assert_eq!(l.order(M, "u").unwrap().transaction("1").unwrap().result(), "UNKNOWN");
        std::thread::sleep(Duration::from_millis(150));
        let o = l.order(M, "u").unwrap();
        assert_eq!((o.status(), o.transaction("1").unwrap().gateway_code), ("FAILED", "DECLINED"));
    }
}
