//! The retry policy, as one table: what one attempt ended in × what a repeat
//! of the operation can do → retry or not, and why.
//!
//! The question a retry must answer is not "did it fail?" but "can a second
//! request do anything the first did not?". Two facts decide it:
//!
//! - where the attempt stopped ([`Phase`]): before the first request byte
//!   was written the gateway cannot have seen the request; from then on it
//!   may have processed it ("in doubt");
//! - what the operation does when it runs twice ([`Repeat`]).
//!
//! `docs/production.md` ("Retries") shows this table to integrators; keep the
//! two the same. Within the table's "retry", the client also needs a retry
//! left in the budget (`Config::set_retries`) and a wait that fits in the
//! call's timeout.

use crate::request::Request;
use crate::response::Response;
use crate::rules::Operation;
use crate::transport::Phase;

/// What repeating an operation can do when the gateway processed the first
/// request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Repeat {
    /// Nothing a second time:
    ///
    /// - `CREATE_SESSION`: an unused session expires by itself;
    /// - `TOKENIZE` with the merchant's own `token`: create-or-update of the
    ///   same token with the same data;
    /// - `TOKENIZE` without a `token` in a Unique Account Identifier
    ///   repository (`Config::set_token_repository_unique_card`): "an account
    ///   identifier can only be stored against a single token", and a card
    ///   already stored gets its existing token back (see [`crate::rules::UNIQUE_CARD_PAGES`]);
    /// - `RETRIEVE_TOKEN`, `RETRIEVE_SESSION`, `CHECK_GATEWAY`: reads;
    /// - `UPDATE_SESSION`: the same fields stored again (the session's
    ///   `session.version` moves; a request that names the version it
    ///   updates is refused by the repeat, after the first stored the fields);
    /// - `DELETE_TOKEN`: the token is gone after the first; the repeat is
    ///   answered "no such token", which gw reads as done ([`settled_earlier`]).
    Harmless,
    /// A second effect: `TOKENIZE` without a `token` makes the gateway
    /// generate one, so a repeat can store the card again under a second
    /// token (a Unique Token repository would then hold two).
    SecondEffect,
    /// Money: PAY, AUTHORIZE, CAPTURE, REFUND, VOID, and VERIFY (which
    /// moves none, but is a transaction on the order all the same). The
    /// gateway answers an identical resubmission (same `order.id`,
    /// `transaction.id` and content) "with the same response as the first"
    /// and does not repeat the bank transaction (`shared/spec/` payments
    /// §3.1). gw resends the byte-identical request (the same fields, so the
    /// same ids and the same P2PE ciphertext; kept only for the call, in the
    /// till's request, and wiped when freed) after a failure in doubt; a
    /// `LOCK_FAILURE` answer to it means the first is still in progress.
    /// What is still not final when the resubmissions end is settled by
    /// RETRIEVE_TRANSACTION polls within the call's timeout (`crate::client`).
    MovesMoney,
}

impl Repeat {
    /// What a repeat of this request can do; `unique_card`: the merchant's
    /// token repository keeps one token per card (the configuration says so).
    pub fn of(request: &Request, unique_card: bool) -> Repeat {
        match request.operation() {
            Operation::CreateSession
            | Operation::CheckGateway
            | Operation::RetrieveToken
            | Operation::RetrieveSession
            | Operation::UpdateSession
            | Operation::DeleteToken
            | Operation::RetrieveTransaction
            | Operation::RetrieveOrder => Repeat::Harmless,
            Operation::Pay
            | Operation::Authorize
            | Operation::Capture
            | Operation::Refund
            | Operation::Void
            | Operation::Verify => Repeat::MovesMoney,
            Operation::Tokenize if request.get("token").is_some() || unique_card => Repeat::Harmless,
            Operation::Tokenize => Repeat::SecondEffect,
        }
    }
}

/// How many retries a call of `operation` may make, of the `configured` ones.
///
/// CHECK_GATEWAY makes one attempt: a till asks it to know at once whether
/// the gateway is up, and the failure is that answer; retries would turn it
/// into a long wait.
pub fn retries_for(operation: Operation, configured: u32) -> u32 {
    match operation {
        Operation::CheckGateway => 0,
        _ => configured,
    }
}

/// When an answer that is an error says that an earlier attempt, whose
/// outcome stayed in doubt, did what the call asked: a repeated
/// DELETE_TOKEN answered that the token does not exist (`error.cause=
/// INVALID_REQUEST` on the field `token`, `INVALID`). The token is gone
/// either way, which is what the till asked for: the call succeeds, with
/// this answer and the reason for the log. Only after an attempt in doubt:
/// a first attempt's "no such token" is the till's own mistake to see.
pub fn settled_earlier(operation: Operation, earlier_in_doubt: bool, answer: &Response) -> Option<&'static str> {
    let unknown_token = answer.get("error.cause") == Some("INVALID_REQUEST")
        && answer.get("error.field") == Some("token")
        && answer.get("error.validationType") == Some("INVALID");
    (operation == Operation::DeleteToken && earlier_in_doubt && unknown_token)
        .then_some("the token does not exist: an earlier attempt, in doubt, deleted it")
}

/// What one attempt ended in, when it did not end in a usable answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setback {
    /// The transport failed in this phase, for a cause that may pass by
    /// itself (refused, reset, timed out).
    Failed(Phase),
    /// The transport failed for a cause that does not pass by itself (a TLS
    /// failure, a proxy's refusal, an oversized answer): another attempt
    /// would end the same way.
    Lasting(Phase),
    /// HTTP 503 `error.cause=SERVER_BUSY`: the gateway says it did not
    /// process the request.
    ServerBusy,
    /// HTTP 500 `error.cause=SERVER_FAILED`: the gateway failed while
    /// processing it, and may have done part of it.
    ServerFailed,
    /// `response.gatewayCode=LOCK_FAILURE`: "another transaction is in
    /// progress for this order" (perhaps this request's own earlier attempt);
    /// this request was not processed. Only transactions meet it.
    Locked,
}

impl Setback {
    /// Whether the gateway may have processed the request (the attempt's
    /// outcome is in doubt).
    pub fn in_doubt(self) -> bool {
        match self {
            Setback::Failed(phase) | Setback::Lasting(phase) => phase.in_doubt(),
            Setback::ServerBusy | Setback::Locked => false,
            Setback::ServerFailed => true,
        }
    }
}

/// A cell of the policy: retry or not, and why (for the log and the docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Whether another attempt may be made.
    pub retry: bool,
    /// Why, in words for the log.
    pub why: &'static str,
}

const fn retry(why: &'static str) -> Decision {
    Decision { retry: true, why }
}

const fn stop(why: &'static str) -> Decision {
    Decision { retry: false, why }
}

/// The policy table: one row per setback, one column per [`Repeat`].
/// An exhaustive `match`, so that a new setback cannot be added without
/// deciding its row.
pub fn decide(repeat: Repeat, setback: Setback) -> Decision {
    const NOT_SENT: Decision = retry("the request was not sent");
    const IN_DOUBT_HARMLESS: Decision =
        retry("the request may have been processed, but a repeat of this operation has no second effect");
    const RESUBMIT: &str = "an identical resubmission: the gateway answers it with the first request's answer \
        and does not repeat the bank transaction (a LOCK_FAILURE while the first is still in progress)";
    let [harmless, second_effect, moves_money] = match setback {
        Setback::Lasting(_) => [stop("the cause does not pass by itself, a repeat would fail the same way"); 3],
        // A TLS failure that may pass (its handshake was cut) still precedes
        // the first request byte.
        Setback::Failed(Phase::Resolve | Phase::Connect | Phase::Tls) => [NOT_SENT; 3],
        Setback::ServerBusy => [retry("the gateway says it did not process the request"); 3],
        Setback::Failed(Phase::Send | Phase::Receive) => [
            IN_DOUBT_HARMLESS,
            stop("the request may have been processed, and a repeat could store the card under a second token"),
            retry(RESUBMIT),
        ],
        Setback::ServerFailed => [
            IN_DOUBT_HARMLESS,
            stop("the gateway failed while processing the request, and a repeat could store the card under a second token"),
            retry(RESUBMIT),
        ],
        Setback::Locked => [retry(
            "the order is locked by a transaction in progress, perhaps this request's own first attempt: this \
             request was not processed, and an identical resubmission gets the first's answer once it is done",
        ); 3],
    };
    match repeat {
        Repeat::Harmless => harmless,
        Repeat::SecondEffect => second_effect,
        Repeat::MovesMoney => moves_money,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table as docs/production.md states it, cell by cell.
    #[test]
    fn the_documented_table() {
        use Repeat::{Harmless, MovesMoney, SecondEffect};
        let cells = [
            (Setback::Failed(Phase::Resolve), [true, true, true]),
            (Setback::Failed(Phase::Connect), [true, true, true]),
            (Setback::Lasting(Phase::Connect), [false, false, false]),
            (Setback::Lasting(Phase::Tls), [false, false, false]),
            (Setback::Failed(Phase::Send), [true, false, true]),
            (Setback::Failed(Phase::Receive), [true, false, true]),
            (Setback::Lasting(Phase::Receive), [false, false, false]),
            (Setback::ServerBusy, [true, true, true]),
            (Setback::ServerFailed, [true, false, true]),
            (Setback::Locked, [true, true, true]),
        ];
        for (setback, [harmless, second_effect, moves_money]) in cells {
            assert_eq!(decide(Harmless, setback).retry, harmless, "{setback:?}");
            assert_eq!(decide(SecondEffect, setback).retry, second_effect, "{setback:?}");
            assert_eq!(decide(MovesMoney, setback).retry, moves_money, "{setback:?}");
        }
    }

    #[test]
    fn what_a_repeat_can_do() {
        assert_eq!(Repeat::of(&Request::create_session(), false), Repeat::Harmless);
        let mut tokenize = Request::new(Operation::Tokenize);
        assert_eq!(Repeat::of(&tokenize, false), Repeat::SecondEffect);
        assert_eq!(Repeat::of(&tokenize, true), Repeat::Harmless);
        tokenize.set("token", "9876543210123456").unwrap();
        assert_eq!(Repeat::of(&tokenize, false), Repeat::Harmless);
        for op in [
            Operation::CheckGateway,
            Operation::RetrieveToken,
            Operation::DeleteToken,
            Operation::UpdateSession,
            Operation::RetrieveSession,
            Operation::RetrieveTransaction,
            Operation::RetrieveOrder,
        ] {
            assert_eq!(Repeat::of(&Request::new(op), false), Repeat::Harmless, "{op}");
        }
        for op in Operation::TRANSACTIONS {
            assert_eq!(Repeat::of(&Request::new(op), true), Repeat::MovesMoney, "{op}");
        }
        assert_eq!(retries_for(Operation::CheckGateway, 2), 0);
        assert_eq!(retries_for(Operation::RetrieveToken, 2), 2);
    }

    #[test]
    fn a_repeated_delete_of_a_deleted_token_is_done() {
        let answer = |fields: &[(&str, &str)]| {
            let body: Vec<(String, String)> = fields.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
            Response::from_http(
                400,
                Some("application/x-www-form-urlencoded"),
                crate::nvp::encode(&body).as_bytes(),
                Default::default(),
            )
            .unwrap()
        };
        let unknown = answer(&[
            ("result", "ERROR"),
            ("error.cause", "INVALID_REQUEST"),
            ("error.field", "token"),
            ("error.validationType", "INVALID"),
        ]);
        assert!(settled_earlier(Operation::DeleteToken, true, &unknown).is_some());
        assert!(settled_earlier(Operation::DeleteToken, false, &unknown).is_none());
        assert!(settled_earlier(Operation::RetrieveToken, true, &unknown).is_none());
        let other = answer(&[("result", "ERROR"), ("error.cause", "INVALID_REQUEST"), ("error.field", "merchant")]);
        assert!(settled_earlier(Operation::DeleteToken, true, &other).is_none());
    }
}
