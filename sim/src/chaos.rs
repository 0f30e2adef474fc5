//! The seeded chaos schedule: every request meets a fault (or none) chosen
//! from a seed, so that a failing chaos run can be replayed exactly.
//!
//! The draw for a request is a pure function of the seed, the request's
//! identity and how many times gw-sim has seen that identity before: for the
//! payment operations and the retrieves the identity is the operation,
//! `order.id` and `transaction.id` (a resubmission is the identity's next
//! occurrence); for any other request the operation and the `correlationId`.
//! Neither the order in which requests arrive nor other clients' requests
//! change which fault a given request meets: a replay with the same seed
//! gives each request the same fault. Refused connections are drawn per
//! accepted connection, in the order connections arrive (a connection carries
//! no identity before it is read); with one client sending one request at a
//! time that order is the run's own.
//!
//! Spec: `SEED[,KIND=PERCENT...][,late-ms=N][,settle-ms=N][,refuse-ms=N]`
//! (kinds named: exactly those, the others 0; none named: the defaults of [`KINDS`]),
//! on the command line (`--chaos`), in `SimConfig::chaos`, or at run time
//! (`POST /admin/chaos`). `GET /chaos.json` counts what was drawn.

use crate::faults::Fault;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

/// The kinds of chaos, each with its default rate (percent of requests, or
/// of connections for `refuse`) and what it is.
pub const KINDS: &[(&str, u32, &str)] = &[
    ("refuse", 3, "the connection is reset unread and gw-sim stops listening for refuse-ms: connections are refused"),
    ("reset", 5, "the request is read, nothing is done, the connection is reset (fault reset)"),
    ("lost", 8, "the request is processed (the money moves), then its answer is lost (fault lost-then-ok)"),
    (
        "late",
        4,
        "the answer comes after late-ms, past the client's timeout; the request is processed then (fault delay)",
    ),
    ("busy", 5, "HTTP 503 SERVER_BUSY, nothing done (fault server-busy)"),
    ("pending", 5, "payments: the acquirer answers PENDING and settles after settle-ms (fault acquirer-pending)"),
    ("unknown", 4, "payments: the acquirer answers UNKNOWN and settles after settle-ms (fault acquirer-unknown)"),
    ("slow", 3, "payments: the acquirer takes late-ms, the order locked meanwhile (fault acquirer-delay)"),
];

/// A seeded schedule of faults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chaos {
    pub seed: u64,
    /// Percent per kind, in the order of [`KINDS`].
    pub rates: [u32; 8],
    /// How late `late` answers and how long `slow` takes.
    pub late: Duration,
    /// When `pending` and `unknown` settle.
    pub settle: Duration,
    /// How long gw-sim stops listening after a `refuse`.
    pub refuse: Duration,
}

/// What the schedule draws for a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Draw {
    /// The fault, as the per-request faults name it (`lost` is
    /// `LostThenOk(1)`: this request's answer is lost).
    pub fault: Option<Fault>,
    /// Index into [`KINDS`].
    pub kind: Option<usize>,
}

impl Chaos {
    /// The default rates with `seed`.
    pub fn new(seed: u64) -> Chaos {
        let mut rates = [0; 8];
        for (i, (_, r, _)) in KINDS.iter().enumerate() {
            rates[i] = *r;
        }
        Chaos {
            seed,
            rates,
            late: Duration::from_millis(2000),
            settle: Duration::from_millis(500),
            refuse: Duration::from_millis(300),
        }
    }

    /// Parses `SEED[,KIND=PERCENT...][,late-ms=N][,settle-ms=N][,refuse-ms=N]`.
    pub fn parse(spec: &str) -> Result<Chaos, String> {
        let mut parts = spec.split(',');
        let seed = parts.next().unwrap_or("").trim();
        let seed: u64 =
            seed.parse().map_err(|_| format!("the seed must be a number from 0 to {}, not '{seed}'", u64::MAX))?;
        let mut chaos = Chaos::new(seed);
        // Kinds named: exactly those (the others 0); none named: the defaults.
        let mut named = false;
        for p in parts {
            let (name, value) = p.trim().split_once('=').ok_or_else(|| format!("'{p}': expected NAME=N"))?;
            let n: u64 = value.parse().map_err(|_| format!("'{name}': '{value}' is not a number"))?;
            let ms = Duration::from_millis(n);
            match name {
                "late-ms" => chaos.late = ms,
                "settle-ms" => chaos.settle = ms,
                "refuse-ms" => chaos.refuse = ms,
                _ => {
                    let i = KINDS.iter().position(|(k, _, _)| *k == name).ok_or_else(|| {
                        let kinds: Vec<&str> = KINDS.iter().map(|(k, _, _)| *k).collect();
                        format!(
                            "unknown chaos kind '{name}' (one of: {}; or late-ms, settle-ms, refuse-ms)",
                            kinds.join(", ")
                        )
                    })?;
                    if !named {
                        chaos.rates = [0; 8];
                        named = true;
                    }
                    chaos.rates[i] =
                        u32::try_from(n).ok().filter(|r| *r <= 100).ok_or(format!("'{name}': a percent, 0 to 100"))?;
                }
            }
        }
        let request_kinds: u32 = chaos.rates[1..].iter().sum();
        if request_kinds > 100 {
            return Err(format!("the request kinds' percents add up to {request_kinds}, more than 100"));
        }
        Ok(chaos)
    }

    /// The spec that parses back to this schedule.
    pub fn spec(&self) -> String {
        let mut s = self.seed.to_string();
        for ((name, _, _), rate) in KINDS.iter().zip(self.rates) {
            s.push_str(&format!(",{name}={rate}"));
        }
        s.push_str(&format!(
            ",late-ms={},settle-ms={},refuse-ms={}",
            self.late.as_millis(),
            self.settle.as_millis(),
            self.refuse.as_millis()
        ));
        s
    }

    /// The fault for occurrence `n` (0 for the first) of a request whose
    /// identity is `identity`. `payment` says whether the acquirer kinds
    /// apply (they are drawn for other operations too, and then mean no fault:
    /// the draws of every other kind stay the same).
    pub fn draw(&self, identity: &str, n: u32, payment: bool) -> Draw {
        let roll = self.roll(identity, u64::from(n));
        let mut edge = 0;
        for (i, rate) in self.rates.iter().enumerate().skip(1) {
            edge += rate * 10;
            if roll < edge {
                let fault = match KINDS[i].0 {
                    "reset" => Some(Fault::Reset),
                    "lost" => Some(Fault::LostThenOk(1)),
                    "late" => Some(Fault::Delay(self.late)),
                    "busy" => Some(Fault::ServerBusy),
                    "pending" if payment => Some(Fault::AcquirerPending(self.settle)),
                    "unknown" if payment => Some(Fault::AcquirerUnknown(self.settle)),
                    "slow" if payment => Some(Fault::AcquirerDelay(self.late)),
                    _ => None,
                };
                return Draw { kind: fault.map(|_| i), fault };
            }
        }
        Draw { fault: None, kind: None }
    }

    /// Whether accepted connection number `n` (0 for the first) is refused.
    pub fn refuse_connection(&self, n: u64) -> bool {
        self.roll("connection", n) < self.rates[0] * 10
    }

    /// A number below 1000, from the seed, the identity and the occurrence.
    fn roll(&self, identity: &str, n: u64) -> u32 {
        // FNV-1a over the identity, then SplitMix64 over seed, identity and n.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in identity.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        let mix = |mut z: u64| {
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        let z = mix(mix(self.seed.wrapping_add(0x9e37_79b9_7f4a_7c15) ^ h) ^ n);
        (z % 1000) as u32
    }
}

/// The schedule in effect and what it drew: shared by the connections and
/// the listener.
#[derive(Default)]
pub struct ChaosState {
    inner: Mutex<Option<Running>>,
}

struct Running {
    chaos: Chaos,
    seen: HashMap<String, u32>,
    connections: u64,
    drawn: [u64; 8],
    requests: BTreeMap<String, u64>,
    repeats: BTreeMap<String, u64>,
}

impl ChaosState {
    /// Starts `chaos` (or stops the schedule with `None`), counts from zero.
    pub fn set(&self, chaos: Option<Chaos>) {
        let running = chaos.map(|chaos| Running {
            chaos,
            seen: HashMap::new(),
            connections: 0,
            drawn: [0; 8],
            requests: BTreeMap::new(),
            repeats: BTreeMap::new(),
        });
        *self.inner.lock().unwrap_or_else(|e| e.into_inner()) = running;
    }

    /// The draw for a request of operation `op` with `identity`; `None`
    /// without a schedule.
    pub fn draw(&self, op: &str, identity: &str, payment: bool) -> Option<Draw> {
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let r = guard.as_mut()?;
        let seen = r.seen.entry(identity.to_owned()).or_insert(0);
        let n = *seen;
        *seen += 1;
        *r.requests.entry(op.to_owned()).or_insert(0) += 1;
        if n > 0 {
            *r.repeats.entry(op.to_owned()).or_insert(0) += 1;
        }
        let draw = r.chaos.draw(identity, n, payment);
        if let Some(k) = draw.kind {
            r.drawn[k] += 1;
        }
        Some(draw)
    }

    /// For the listener: how long to stop listening after the connection it
    /// just accepted (reset unread), or `None` to serve it.
    pub fn refuse_connection(&self) -> Option<Duration> {
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let r = guard.as_mut()?;
        let n = r.connections;
        r.connections += 1;
        if r.chaos.refuse_connection(n) {
            r.drawn[0] += 1;
            Some(r.chaos.refuse)
        } else {
            None
        }
    }

    /// `GET /chaos.json`: `{"spec":…,"connections":N,"faults":{KIND:N},
    /// "requests":{OP:N},"repeats":{OP:N}}` (`spec` null without a schedule).
    pub fn json(&self) -> String {
        let guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let Some(r) = guard.as_ref() else {
            return "{\"spec\":null}\n".to_owned();
        };
        let map = |m: &BTreeMap<String, u64>| {
            let items: Vec<String> =
                m.iter().map(|(k, v)| format!("{}:{v}", crate::inspector::json_string(k))).collect();
            format!("{{{}}}", items.join(","))
        };
        let faults: Vec<String> = KINDS.iter().zip(r.drawn).map(|((k, _, _), n)| format!("\"{k}\":{n}")).collect();
        format!(
            "{{\"spec\":{},\"seed\":{},\"connections\":{},\"faults\":{{{}}},\"requests\":{},\"repeats\":{}}}\n",
            crate::inspector::json_string(&r.chaos.spec()),
            r.chaos.seed,
            r.connections,
            faults.join(","),
            map(&r.requests),
            map(&r.repeats)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_back() {
        let c = Chaos::parse("42").unwrap();
        assert_eq!(c, Chaos::new(42));
        let c = Chaos::parse("7,lost=20,refuse=0,late-ms=900,settle-ms=50,refuse-ms=10").unwrap();
        assert_eq!(c.rates, [0, 0, 20, 0, 0, 0, 0, 0]);
        assert_eq!(c.late, Duration::from_millis(900));
        assert_eq!(Chaos::parse(&c.spec()).unwrap(), c);
        assert!(Chaos::parse("x").is_err());
        assert!(Chaos::parse("1,nope=3").unwrap_err().contains("lost"));
        assert!(Chaos::parse("1,lost=101").is_err());
        assert!(Chaos::parse("1,lost=60,reset=60").is_err());
    }

    #[test]
    fn draws_are_a_function_of_seed_identity_and_occurrence() {
        let a = Chaos::parse("1,lost=30,reset=30").unwrap();
        let draws = |c: &Chaos| (0..200).map(|n| c.draw(&format!("PAY|o{n}|t"), n % 3, true)).collect::<Vec<_>>();
        assert_eq!(draws(&a), draws(&a.clone()));
        let b = Chaos { seed: 2, ..a.clone() };
        assert_ne!(draws(&a), draws(&b));
        let lost = draws(&a).iter().filter(|d| d.fault == Some(Fault::LostThenOk(1))).count();
        let reset = draws(&a).iter().filter(|d| d.fault == Some(Fault::Reset)).count();
        // 30% of 200 each, give or take.
        assert!((35..=85).contains(&lost) && (35..=85).contains(&reset), "{lost} {reset}");
    }

    #[test]
    fn acquirer_kinds_apply_to_payments_only_and_nothing_else_moves() {
        let c = Chaos::parse("9,pending=50,reset=10,lost=0,late=0,busy=0,unknown=0,slow=0").unwrap();
        for n in 0..100 {
            let id = format!("X|{n}");
            let (pay, other) = (c.draw(&id, 0, true), c.draw(&id, 0, false));
            match pay.fault {
                Some(Fault::AcquirerPending(_)) => assert_eq!(other.fault, None),
                f => assert_eq!(other.fault, f),
            }
        }
    }

    #[test]
    fn the_state_counts_occurrences_and_kinds() {
        let s = ChaosState::default();
        assert_eq!(s.draw("PAY", "PAY|o|t", true), None);
        s.set(Some(Chaos::parse("3,reset=100,refuse=100").unwrap()));
        assert_eq!(s.draw("PAY", "PAY|o|t", true).unwrap().fault, Some(Fault::Reset));
        assert_eq!(s.draw("PAY", "PAY|o|t", true).unwrap().fault, Some(Fault::Reset));
        assert_eq!(s.refuse_connection(), Some(Duration::from_millis(300)));
        let json = s.json();
        assert!(json.contains("\"reset\":2") && json.contains("\"refuse\":1"), "{json}");
        assert!(json.contains("\"requests\":{\"PAY\":2}") && json.contains("\"repeats\":{\"PAY\":1}"), "{json}");
    }
}
