//! What a transaction's answer means for the till, as one table: the
//! gateway's `result` × `response.gatewayCode` → the call's status, whether
//! the outcome is final, and why.
//!
//! A till branches on the status, never on words: `GW_OK` only for a final
//! approval (print the receipt), `GW_DECLINED` for a final "no" whose
//! gateway code the till reads (`response.gatewayCode`; a new attempt needs
//! a new `transaction.id`), and `GW_PENDING` / `GW_UNKNOWN_RESULT` for an
//! answer that is not final: the money may still move, and the call is "in
//! doubt" ([`Outcome::in_doubt`], `gw_last_error_in_doubt`) until a
//! RETRIEVE_TRANSACTION says otherwise.
//!
//! The facts (`shared/spec/payments.md` §3.2, §3.3: the result values and
//! the version 100 list of gateway codes, with their descriptions) decide
//! each cell. Where the answer contradicts itself (SUCCESS with a decline's
//! code, FAILURE with an approval's), or says nothing gw can read (a code
//! gw does not know, no code at all), the cell is the one that can never
//! cost the customer twice or the merchant a sale: not final, in doubt.
//! `docs/payments.md` shows this table to integrators; keep the two the same.
//! The `result=ERROR` answers are not here: they carry no transaction
//! outcome, and the client maps them to `GW_ERR_GATEWAY` as for every
//! operation.

use crate::error::Kind;
use crate::response::Response;

/// What the gateway's `response.gatewayCode` says about a transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    /// Approved: the money moved (or, for VERIFY, the card was verified).
    Approved,
    /// Not approved, and final: nothing more will happen to this
    /// transaction; a new attempt needs a new `transaction.id`.
    Declined,
    /// Not yet decided: the gateway or the acquirer is still working on it.
    Pending,
    /// Submitted to the acquirer, outcome unknown: "If the gateway
    /// subsequently finds out about the success of the payment it will
    /// update the response code".
    Unknown,
    /// A code that says nothing about a payment (a balance inquiry's), one
    /// gw does not know, or none at all.
    Unreadable,
}

/// The class of every gateway code of the version 100 list, and why.
pub fn code(gateway_code: Option<&str>) -> (Code, &'static str) {
    let Some(gateway_code) = gateway_code else {
        return (Code::Unreadable, "the answer has no response.gatewayCode");
    };
    match gateway_code {
        "APPROVED" => (Code::Approved, "approved"),
        "APPROVED_AUTO" => (Code::Approved, "approved by the gateway itself, not submitted to the acquirer"),
        "APPROVED_PENDING_SETTLEMENT" => (Code::Approved, "approved, pending the batch's settlement"),
        "PARTIALLY_APPROVED" => (
            Code::Approved,
            "approved for part of the amount (order.totalAuthorizedAmount); gw never asks for it \
             (order.acceptPartialAmount is no row of gw's)",
        ),
        "PENDING" => (Code::Pending, "the transaction is pending"),
        "SUBMITTED" => {
            (Code::Pending, "created in the gateway, awaiting the acquirer's answer or not yet submitted to it")
        }
        "DEFERRED_TRANSACTION_RECEIVED" => (Code::Pending, "received for deferred processing"),
        "AUTHENTICATION_IN_PROGRESS" => (Code::Pending, "the payer's authentication is in progress"),
        "UNKNOWN" => (
            Code::Unknown,
            "submitted to the acquirer, whose answer the gateway did not learn; it may update the code later",
        ),
        "TIMED_OUT" => {
            (Code::Declined, "the gateway timed out the request to the acquirer (result=FAILURE): not approved")
        }
        "ACQUIRER_SYSTEM_ERROR" => (Code::Declined, "the acquirer's system failed: not approved"),
        "SYSTEM_ERROR" => (Code::Declined, "the gateway's system failed: not approved"),
        // Not this request's decline: the order is busy with a transaction
        // whose outcome is not known yet, possibly this very payment's first
        // attempt (an identical resubmission meets its own original). The
        // till must neither print a receipt nor pay again: not final.
        "LOCK_FAILURE" => (
            Code::Pending,
            "another transaction on the order is in progress (perhaps this payment's own first attempt): \
             not final, retrieve the transaction later",
        ),
        "ABORTED"
        | "AUTHENTICATION_FAILED"
        | "BLOCKED"
        | "CANCELLED"
        | "DECLINED"
        | "DECLINED_AVS"
        | "DECLINED_AVS_CSC"
        | "DECLINED_CSC"
        | "DECLINED_DO_NOT_CONTACT"
        | "DECLINED_INVALID_PIN"
        | "DECLINED_PAYMENT_PLAN"
        | "DECLINED_PIN_REQUIRED"
        | "DUPLICATE_BATCH"
        | "EXCEEDED_RETRY_LIMIT"
        | "EXPIRED_CARD"
        | "INSUFFICIENT_FUNDS"
        | "INVALID_CSC"
        | "NOT_ENROLLED_3D_SECURE"
        | "NOT_SUPPORTED"
        | "NO_BALANCE"
        | "REFERRED"
        | "UNSPECIFIED_FAILURE" => (Code::Declined, "declined"),
        "BALANCE_AVAILABLE" | "BALANCE_UNKNOWN" => {
            (Code::Unreadable, "a balance inquiry's code, which says nothing about a payment")
        }
        _ => (Code::Unreadable, "a gateway code gw does not know"),
    }
}

/// What an answer means for the call: its status (`None`: `GW_OK`),
/// whether its outcome is still in doubt, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The failure's kind; `None` for a final approval.
    pub kind: Option<Kind>,
    /// Whether the transaction may still move money that gw could not learn
    /// of (a not-final answer).
    pub in_doubt: bool,
    /// Why, in words for the log and the docs.
    pub why: &'static str,
}

const fn approved(why: &'static str) -> Outcome {
    Outcome { kind: None, in_doubt: false, why }
}

const fn declined(why: &'static str) -> Outcome {
    Outcome { kind: Some(Kind::Declined), in_doubt: false, why }
}

const fn pending(why: &'static str) -> Outcome {
    Outcome { kind: Some(Kind::Pending), in_doubt: true, why }
}

const fn unknown(why: &'static str) -> Outcome {
    Outcome { kind: Some(Kind::UnknownResult), in_doubt: true, why }
}

/// The table: `result` (SUCCESS, FAILURE, PENDING, UNKNOWN, or another
/// value) × the class of `response.gatewayCode` ([`code`]). An exhaustive
/// `match` over the classes, so that a new class cannot be added without
/// deciding its cells.
pub fn decide(result: &str, code: Code) -> Outcome {
    match (result, code) {
        ("SUCCESS", Code::Approved) => approved("result=SUCCESS with an approval: final"),
        ("SUCCESS", Code::Pending) => pending("result=SUCCESS, but the code says the transaction is not decided yet"),
        ("SUCCESS", Code::Unknown) => unknown("result=SUCCESS, but the acquirer's answer is unknown"),
        ("SUCCESS", Code::Declined) => {
            unknown("result=SUCCESS with a decline's code: the answer contradicts itself, retrieve the transaction")
        }
        ("SUCCESS", Code::Unreadable) => {
            unknown("result=SUCCESS, but no gateway code says what happened to the transaction")
        }
        ("FAILURE", Code::Declined | Code::Unreadable) => {
            declined("result=FAILURE: declined or rejected by the gateway, the acquirer or the issuer; final")
        }
        ("FAILURE", Code::Pending) => pending("result=FAILURE, but the code says the transaction is not decided yet"),
        ("FAILURE", Code::Unknown) => unknown("result=FAILURE, but the code says the acquirer's answer is unknown"),
        ("FAILURE", Code::Approved) => {
            unknown("result=FAILURE with an approval's code: the answer contradicts itself, retrieve the transaction")
        }
        ("PENDING", _) => pending("result=PENDING: submitted, no outcome yet; retrieve the transaction later"),
        ("UNKNOWN", _) => unknown("result=UNKNOWN: the gateway could not learn the outcome from the acquirer"),
        (_, _) => unknown("a result gw does not know"),
    }
}

/// The outcome of a transaction's answer (a PAY's, a RETRIEVE_TRANSACTION's):
/// [`decide`] on its `result` and [`code`] of its `response.gatewayCode`.
/// `None` for `result=ERROR`, which is no transaction's outcome.
pub fn of(answer: &Response) -> Option<Outcome> {
    let result = answer.result().unwrap_or_default();
    if result == "ERROR" {
        return None;
    }
    let (class, _) = code(answer.get("response.gatewayCode"));
    Some(decide(result, class))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table as docs/payments.md states it, cell by cell: the status's
    /// C name and the in-doubt flag.
    #[test]
    fn the_documented_table() {
        let name = |outcome: Outcome| {
            (outcome.kind.map_or("GW_OK", |kind| kind.name().to_str().unwrap_or_default()), outcome.in_doubt)
        };
        let cells = [
            (
                "SUCCESS",
                [
                    ("GW_OK", false),
                    ("GW_UNKNOWN_RESULT", true),
                    ("GW_PENDING", true),
                    ("GW_UNKNOWN_RESULT", true),
                    ("GW_UNKNOWN_RESULT", true),
                ],
            ),
            (
                "FAILURE",
                [
                    ("GW_UNKNOWN_RESULT", true),
                    ("GW_DECLINED", false),
                    ("GW_PENDING", true),
                    ("GW_UNKNOWN_RESULT", true),
                    ("GW_DECLINED", false),
                ],
            ),
            ("PENDING", [("GW_PENDING", true); 5]),
            ("UNKNOWN", [("GW_UNKNOWN_RESULT", true); 5]),
            ("SURPRISE", [("GW_UNKNOWN_RESULT", true); 5]),
        ];
        let classes = [Code::Approved, Code::Declined, Code::Pending, Code::Unknown, Code::Unreadable];
        for (result, row) in cells {
            for (class, expected) in classes.into_iter().zip(row) {
                assert_eq!(name(decide(result, class)), expected, "{result} × {class:?}");
            }
        }
    }

    #[test]
    fn every_gateway_code_of_the_version_100_list_has_its_class() {
        // payments.md §3.3, the full list.
        let list = "ABORTED ACQUIRER_SYSTEM_ERROR APPROVED APPROVED_AUTO APPROVED_PENDING_SETTLEMENT \
            AUTHENTICATION_FAILED AUTHENTICATION_IN_PROGRESS BALANCE_AVAILABLE BALANCE_UNKNOWN BLOCKED CANCELLED \
            DECLINED DECLINED_AVS DECLINED_AVS_CSC DECLINED_CSC DECLINED_DO_NOT_CONTACT DECLINED_INVALID_PIN \
            DECLINED_PAYMENT_PLAN DECLINED_PIN_REQUIRED DEFERRED_TRANSACTION_RECEIVED DUPLICATE_BATCH \
            EXCEEDED_RETRY_LIMIT EXPIRED_CARD INSUFFICIENT_FUNDS INVALID_CSC LOCK_FAILURE NOT_ENROLLED_3D_SECURE \
            NOT_SUPPORTED NO_BALANCE PARTIALLY_APPROVED PENDING REFERRED SUBMITTED SYSTEM_ERROR TIMED_OUT UNKNOWN \
            UNSPECIFIED_FAILURE";
        let codes: Vec<&str> = list.split_whitespace().collect();
        assert_eq!(codes.len(), 37);
        for gateway_code in codes {
            let (class, why) = code(Some(gateway_code));
            assert_ne!(why, "a gateway code gw does not know", "{gateway_code}");
            let expected = match gateway_code {
                c if c.starts_with("APPROVED") || c == "PARTIALLY_APPROVED" => Code::Approved,
                "PENDING"
                | "SUBMITTED"
                | "DEFERRED_TRANSACTION_RECEIVED"
                | "AUTHENTICATION_IN_PROGRESS"
                | "LOCK_FAILURE" => Code::Pending,
                "UNKNOWN" => Code::Unknown,
                "BALANCE_AVAILABLE" | "BALANCE_UNKNOWN" => Code::Unreadable,
                _ => Code::Declined,
            };
            assert_eq!(class, expected, "{gateway_code}");
        }
        assert_eq!(code(Some("approved")).0, Code::Unreadable, "codes are case-sensitive");
        assert_eq!(code(None).0, Code::Unreadable);
    }
}
