//! Fault injection: per request through `correlationId=gw-sim:fault=NAME[,ms=N]`,
//! or for every request of a run (`--fault NAME[,ms=N]`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// The `correlationId` prefix that asks for a fault.
pub const PREFIX: &str = "gw-sim:fault=";

/// The fault names as written on the command line: `gw-sim help` and the
/// parse error list them from here, and tests check that each parses and
/// that sim/README.md documents each.
pub const NAMES: &[&str] = &[
    "delay",
    "http500-html",
    "server-busy",
    "server-failed",
    "request-rejected",
    "reset",
    "truncate",
    "oversize",
    "garbage",
    "silent",
    "busy-then-ok=N",
    "result-pending",
    "result-unknown",
    "shutdown",
    "lost-then-ok=N",
    "acquirer-pending",
    "acquirer-unknown",
    "acquirer-delay",
];

/// One fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Sleep, then answer normally.
    Delay(Duration),
    /// HTTP 500 with an HTML body.
    Http500Html,
    /// HTTP 503, `error.cause=SERVER_BUSY`.
    ServerBusy,
    /// HTTP 500, `error.cause=SERVER_FAILED`, `error.supportCode`.
    ServerFailed,
    /// HTTP 403, `error.cause=REQUEST_REJECTED` ("rejected due to security
    /// reasons such as firewall rules, expired certificate", tokenize.nvp-v50.txt:880-882),
    /// `error.supportCode` and no explanation (:896, :914).
    RequestRejected,
    /// Part of the response, then a TCP reset (SO_LINGER 0).
    Reset,
    /// A Content-Length larger than the body sent, then close.
    Truncate,
    /// Valid headers, then a ~64 MiB body streamed.
    Oversize,
    /// HTTP 200 with random bytes that are no NVP body.
    Garbage,
    /// Read the request, never answer (until the client goes, `ms` passes
    /// when given, or the server stops).
    Silent(Option<Duration>),
    /// SERVER_BUSY for the first N requests (per correlationId, or per run),
    /// then normal answers.
    BusyThenOk(u32),
    /// HTTP 200 with `result=PENDING`: the gateway's "in progress" outcome.
    ResultPending,
    /// HTTP 200 with `result=UNKNOWN`: the gateway's "result unknown" outcome.
    ResultUnknown,
    /// The gateway is shut down: CHECK_GATEWAY answers `status=SHUTDOWN`
    /// ("The service is currently not accepting requests"), every other
    /// operation HTTP 503 `SERVER_BUSY`.
    Shutdown,
    /// The first N requests (per correlationId, or per run) are processed
    /// (a token stored or deleted, a session updated), then their answer is
    /// lost: part of it, and a TCP reset. The client's outcome is in doubt
    /// while the gateway did the work: what a retry must be safe against.
    LostThenOk(u32),
    /// Payments (PAY, AUTHORIZE, CAPTURE, REFUND, VOID, VERIFY): the
    /// acquirer answers PENDING (`result=PENDING`,
    /// `response.gatewayCode=PENDING`); the transaction is recorded and
    /// settles to its real outcome after `ms` (default [`DEFAULT_SETTLE`]):
    /// RETRIEVE_TRANSACTION and an identical resubmission show it then.
    /// Meanwhile the order is locked (`LOCK_FAILURE`). Other operations
    /// are answered normally.
    AcquirerPending(Duration),
    /// As `AcquirerPending`, with `result=UNKNOWN` and
    /// `response.gatewayCode=UNKNOWN` ("if the gateway subsequently finds
    /// out ... it will update the response code", spec/payments.md §3.3);
    /// the order is not locked.
    AcquirerUnknown(Duration),
    /// Payments: the acquirer takes `ms` (default [`DEFAULT_DELAY`]) to
    /// answer; the transaction is in progress meanwhile, and any other
    /// request for a transaction on the order meets `LOCK_FAILURE`.
    AcquirerDelay(Duration),
}

/// When `acquirer-pending` and `acquirer-unknown` settle without `ms`.
pub const DEFAULT_SETTLE: Duration = Duration::from_millis(1000);

/// The default delay of `delay` without `ms`.
pub const DEFAULT_DELAY: Duration = Duration::from_millis(1000);
/// The body size of `oversize`.
pub const OVERSIZE_BYTES: u64 = 64 * 1024 * 1024;

impl Fault {
    /// Parses `NAME[,ms=N][,n=N][,tag=ANY]` (`busy-then-ok=N` is also accepted).
    pub fn parse(spec: &str) -> Result<Fault, String> {
        let mut parts = spec.split(',');
        let head = parts.next().unwrap_or("").trim();
        let (name, inline_n) = match head.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (head, None),
        };
        let mut ms: Option<u64> = None;
        let mut n: Option<u32> =
            inline_n.map(|v| v.parse().map_err(|_| format!("'{name}': N must be a number"))).transpose()?;
        for p in parts {
            match p.trim().split_once('=') {
                Some(("ms", v)) => ms = Some(v.parse().map_err(|_| "ms must be a number of milliseconds".to_string())?),
                Some(("n", v)) => n = Some(v.parse().map_err(|_| "n must be a number".to_string())?),
                Some(("tag", _)) => {}
                _ => return Err(format!("unknown fault parameter '{}' (ms=N, n=N, tag=...)", p.trim())),
            }
        }
        let ms_dur = ms.map(Duration::from_millis);
        let fault = match name {
            "delay" => Fault::Delay(ms_dur.unwrap_or(DEFAULT_DELAY)),
            "http500-html" => Fault::Http500Html,
            "server-busy" => Fault::ServerBusy,
            "server-failed" => Fault::ServerFailed,
            "request-rejected" => Fault::RequestRejected,
            "reset" => Fault::Reset,
            "truncate" => Fault::Truncate,
            "oversize" => Fault::Oversize,
            "garbage" => Fault::Garbage,
            "silent" => Fault::Silent(ms_dur),
            "busy-then-ok" => Fault::BusyThenOk(n.ok_or("busy-then-ok needs a count: busy-then-ok=N")?),
            "result-pending" => Fault::ResultPending,
            "result-unknown" => Fault::ResultUnknown,
            "shutdown" => Fault::Shutdown,
            "lost-then-ok" => Fault::LostThenOk(n.ok_or("lost-then-ok needs a count: lost-then-ok=N")?),
            "acquirer-pending" => Fault::AcquirerPending(ms_dur.unwrap_or(DEFAULT_SETTLE)),
            "acquirer-unknown" => Fault::AcquirerUnknown(ms_dur.unwrap_or(DEFAULT_SETTLE)),
            "acquirer-delay" => Fault::AcquirerDelay(ms_dur.unwrap_or(DEFAULT_DELAY)),
            _ => return Err(format!("unknown fault '{name}' (one of: {})", NAMES.join(", "))),
        };
        if inline_n.is_some() && !matches!(fault, Fault::BusyThenOk(_) | Fault::LostThenOk(_)) {
            return Err(format!("fault '{name}' takes no '=N'"));
        }
        Ok(fault)
    }

    /// The fault's name, as in [`NAMES`] (without its parameters): the
    /// request log says which fault a request met.
    pub fn name(&self) -> &'static str {
        match self {
            Fault::Delay(_) => "delay",
            Fault::Http500Html => "http500-html",
            Fault::ServerBusy => "server-busy",
            Fault::ServerFailed => "server-failed",
            Fault::RequestRejected => "request-rejected",
            Fault::Reset => "reset",
            Fault::Truncate => "truncate",
            Fault::Oversize => "oversize",
            Fault::Garbage => "garbage",
            Fault::Silent(_) => "silent",
            Fault::BusyThenOk(_) => "busy-then-ok",
            Fault::ResultPending => "result-pending",
            Fault::ResultUnknown => "result-unknown",
            Fault::Shutdown => "shutdown",
            Fault::LostThenOk(_) => "lost-then-ok",
            Fault::AcquirerPending(_) => "acquirer-pending",
            Fault::AcquirerUnknown(_) => "acquirer-unknown",
            Fault::AcquirerDelay(_) => "acquirer-delay",
        }
    }

    /// The fault a `correlationId` asks for: `None` when it asks for none.
    pub fn from_correlation_id(id: &str) -> Option<Result<Fault, String>> {
        id.strip_prefix(PREFIX).map(Fault::parse)
    }
}

/// Counts for `busy-then-ok` and `lost-then-ok`, per correlationId and per run.
#[derive(Default)]
pub struct BusyCounters {
    per_id: Mutex<HashMap<String, u32>>,
    per_run: AtomicU32,
}

impl BusyCounters {
    /// True when this request is still one of the first `n` busy ones.
    pub fn still_busy(&self, n: u32, correlation_id: Option<&str>) -> bool {
        match correlation_id {
            Some(id) => {
                let mut map = self.per_id.lock().unwrap_or_else(|e| e.into_inner());
                let seen = map.entry(id.to_string()).or_insert(0);
                *seen = seen.saturating_add(1);
                *seen <= n
            }
            None => self.per_run.fetch_add(1, Ordering::SeqCst) < n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_fault() {
        assert_eq!(Fault::parse("delay,ms=250"), Ok(Fault::Delay(Duration::from_millis(250))));
        assert_eq!(Fault::parse("delay"), Ok(Fault::Delay(DEFAULT_DELAY)));
        assert_eq!(Fault::parse("http500-html"), Ok(Fault::Http500Html));
        assert_eq!(Fault::parse("server-busy"), Ok(Fault::ServerBusy));
        assert_eq!(Fault::parse("result-pending"), Ok(Fault::ResultPending));
        assert_eq!(Fault::parse("result-unknown"), Ok(Fault::ResultUnknown));
        assert_eq!(Fault::parse("shutdown"), Ok(Fault::Shutdown));
        assert_eq!(Fault::parse("lost-then-ok=1,tag=a"), Ok(Fault::LostThenOk(1)));
        assert!(Fault::parse("lost-then-ok").is_err());
        assert_eq!(Fault::parse("server-failed"), Ok(Fault::ServerFailed));
        assert_eq!(Fault::parse("acquirer-pending"), Ok(Fault::AcquirerPending(DEFAULT_SETTLE)));
        assert_eq!(Fault::parse("acquirer-unknown,ms=5"), Ok(Fault::AcquirerUnknown(Duration::from_millis(5))));
        assert_eq!(Fault::parse("acquirer-delay,ms=7"), Ok(Fault::AcquirerDelay(Duration::from_millis(7))));
        assert_eq!(Fault::parse("request-rejected"), Ok(Fault::RequestRejected));
        assert_eq!(Fault::parse("reset"), Ok(Fault::Reset));
        assert_eq!(Fault::parse("truncate"), Ok(Fault::Truncate));
        assert_eq!(Fault::parse("oversize"), Ok(Fault::Oversize));
        assert_eq!(Fault::parse("garbage,tag=x1"), Ok(Fault::Garbage));
        assert_eq!(Fault::parse("silent"), Ok(Fault::Silent(None)));
        assert_eq!(Fault::parse("busy-then-ok=2"), Ok(Fault::BusyThenOk(2)));
        assert_eq!(Fault::parse("busy-then-ok,n=3"), Ok(Fault::BusyThenOk(3)));
        assert!(Fault::parse("busy-then-ok").is_err());
        assert!(Fault::parse("nope").is_err());
        assert!(Fault::parse("delay,ms=x").is_err());
        assert!(Fault::parse("reset=2").is_err());
        assert_eq!(Fault::from_correlation_id("abc"), None);
        assert_eq!(Fault::from_correlation_id("gw-sim:fault=reset"), Some(Ok(Fault::Reset)));
    }

    #[test]
    fn every_listed_name_parses_to_a_fault_of_that_name() {
        for listed in NAMES {
            let spec = listed.replace("=N", "=2");
            let fault = Fault::parse(&spec).unwrap_or_else(|e| panic!("{listed}: {e}"));
            assert_eq!(fault.name(), listed.trim_end_matches("=N"));
        }
        let unknown = Fault::parse("nope").unwrap_err();
        assert!(NAMES.iter().all(|n| unknown.contains(n)), "{unknown}");
    }

    #[test]
    fn busy_counters() {
        let c = BusyCounters::default();
        assert!(c.still_busy(2, Some("a")));
        assert!(c.still_busy(2, Some("a")));
        assert!(!c.still_busy(2, Some("a")));
        assert!(c.still_busy(1, Some("b")));
        assert!(c.still_busy(1, None));
        assert!(!c.still_busy(1, None));
    }
}
