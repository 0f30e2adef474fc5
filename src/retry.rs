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
use crate::rules::Operation;
use crate::transport::Phase;

/// What repeating an operation can do when the gateway processed the first
/// request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Repeat {
    /// Nothing a second time: `CREATE_SESSION` (an unused session expires by
    /// itself) and `TOKENIZE` with the merchant's own `token` (create-or-update
    /// of the same token with the same data).
    Harmless,
    /// A second effect: `TOKENIZE` without a `token` makes the gateway
    /// generate one, so a repeat can store the card again under a second
    /// token (a Unique Token repository would then hold two).
    SecondEffect,
}

impl Repeat {
    /// What a repeat of this request can do.
    pub fn of(request: &Request) -> Repeat {
        match request.operation() {
            Operation::CreateSession => Repeat::Harmless,
            Operation::Tokenize if request.get("token").is_some() => Repeat::Harmless,
            Operation::Tokenize => Repeat::SecondEffect,
        }
    }
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
    let [harmless, second_effect] = match setback {
        Setback::Lasting(_) => [stop("the cause does not pass by itself, a repeat would fail the same way"); 2],
        // A TLS failure that may pass (its handshake was cut) still precedes
        // the first request byte.
        Setback::Failed(Phase::Resolve | Phase::Connect | Phase::Tls) => [NOT_SENT; 2],
        Setback::ServerBusy => [retry("the gateway says it did not process the request"); 2],
        Setback::Failed(Phase::Send | Phase::Receive) => [
            IN_DOUBT_HARMLESS,
            stop("the request may have been processed, and a repeat could store the card under a second token"),
        ],
        Setback::ServerFailed => [
            IN_DOUBT_HARMLESS,
            stop("the gateway failed while processing the request, and a repeat could store the card under a second token"),
        ],
    };
    match repeat {
        Repeat::Harmless => harmless,
        Repeat::SecondEffect => second_effect,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table as docs/production.md states it, cell by cell.
    #[test]
    fn the_documented_table() {
        use Repeat::{Harmless, SecondEffect};
        let cells = [
            (Setback::Failed(Phase::Resolve), [true, true]),
            (Setback::Failed(Phase::Connect), [true, true]),
            (Setback::Lasting(Phase::Connect), [false, false]),
            (Setback::Lasting(Phase::Tls), [false, false]),
            (Setback::Failed(Phase::Send), [true, false]),
            (Setback::Failed(Phase::Receive), [true, false]),
            (Setback::Lasting(Phase::Receive), [false, false]),
            (Setback::ServerBusy, [true, true]),
            (Setback::ServerFailed, [true, false]),
        ];
        for (setback, [harmless, second_effect]) in cells {
            assert_eq!(decide(Harmless, setback).retry, harmless, "{setback:?}");
            assert_eq!(decide(SecondEffect, setback).retry, second_effect, "{setback:?}");
        }
    }

    #[test]
    fn what_a_repeat_can_do() {
        assert_eq!(Repeat::of(&Request::create_session()), Repeat::Harmless);
        let mut tokenize = Request::new(Operation::Tokenize);
        assert_eq!(Repeat::of(&tokenize), Repeat::SecondEffect);
        tokenize.set("token", "9876543210123456").unwrap();
        assert_eq!(Repeat::of(&tokenize), Repeat::Harmless);
    }
}
