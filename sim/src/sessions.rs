//! Payment sessions, in memory, with a time-to-live.
//!
//! CREATE_SESSION makes an empty session (`session.updateStatus=NO_UPDATE`).
//! UPDATE_SESSION stores request fields in it (each checked against gw's
//! UPDATE_SESSION rules; a refused update leaves the session `FAILURE`),
//! RETRIEVE_SESSION reads them back masked; TOKENIZE with `session.id` merges them under the request's own
//! fields, and only uses a session whose last update succeeded
//! (create-session.nvp-v39.txt:101-115).

use crate::rng;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use zeroize::Zeroize;

/// A stored session.
#[derive(Clone, Debug)]
pub struct Session {
    /// `session.id`.
    pub id: String,
    /// The merchant that created it.
    pub merchant: String,
    /// `session.version`: changes with every update.
    pub version: String,
    /// `NO_UPDATE` until fields are stored, then `SUCCESS`; `FAILURE` after
    /// a refused update.
    pub update_status: &'static str,
    fields: Vec<(String, String)>,
    expires: Instant,
}

impl Session {
    /// The stored request fields (may hold card data: never log values).
    pub fn fields(&self) -> &[(String, String)] {
        &self.fields
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        for (_, v) in self.fields.iter_mut() {
            v.zeroize();
        }
    }
}

/// Why a session cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionError {
    /// No such session for this merchant.
    Unknown,
    /// The session existed and its lifetime is over.
    Expired,
    /// `session.version` differs from the stored one.
    VersionMismatch,
    /// `session.updateStatus=NO_UPDATE`: nothing was ever stored in it
    /// (create-session.nvp-v39.txt:109-111).
    NoUpdate,
    /// `session.updateStatus=FAILURE`: its last update was refused
    /// (create-session.nvp-v39.txt:105-107).
    UpdateFailed,
}

impl SessionError {
    /// The `error.explanation` of this refusal.
    pub fn explanation(self) -> &'static str {
        match self {
            SessionError::Unknown => "Session not found: no session with this id belongs to the merchant",
            SessionError::Expired => "Session expired: create a new session",
            SessionError::VersionMismatch => "The session.version does not match the current version of the session",
            SessionError::NoUpdate => {
                "The session holds no data (session.updateStatus=NO_UPDATE): a request operation using it is rejected"
            }
            SessionError::UpdateFailed => {
                "The last update of the session failed (session.updateStatus=FAILURE): a request operation using it is rejected"
            }
        }
    }
}

/// All sessions of a simulator.
pub struct Sessions {
    ttl: Duration,
    map: Mutex<Store>,
}

/// The live sessions, and the ids (with their merchant) of expired ones, so
/// that an expired session is told apart from one that never existed.
#[derive(Default)]
struct Store {
    live: HashMap<String, Session>,
    expired: HashMap<String, String>,
}

/// How many expired session ids are remembered (then the oldest memory is
/// dropped wholesale: such a session is then merely unknown).
const EXPIRED_REMEMBERED: usize = 65_536;

impl Store {
    /// Moves the sessions whose lifetime is over to `expired`.
    fn expire(&mut self, now: Instant) {
        let gone: Vec<String> = self.live.iter().filter(|(_, s)| s.expires <= now).map(|(id, _)| id.clone()).collect();
        for id in gone {
            if let Some(s) = self.live.remove(&id) {
                if self.expired.len() >= EXPIRED_REMEMBERED {
                    self.expired.clear();
                }
                self.expired.insert(id, s.merchant.clone());
            }
        }
    }

    /// The live session `id` of `merchant`, or why there is none.
    fn find(&mut self, merchant: &str, id: &str) -> Result<&mut Session, SessionError> {
        self.expire(Instant::now());
        if self.expired.get(id).is_some_and(|m| m == merchant) {
            return Err(SessionError::Expired);
        }
        self.live.get_mut(id).filter(|s| s.merchant == merchant).ok_or(SessionError::Unknown)
    }
}

/// A session version as the gateway writes it: 10 lower-case hex digits
/// (e.g. `4e9556a901`).
fn new_version() -> String {
    rng::upper_hex(10).to_ascii_lowercase()
}

impl Sessions {
    /// An empty store whose sessions live `ttl`.
    pub fn new(ttl: Duration) -> Sessions {
        Sessions { ttl, map: Mutex::new(Store::default()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Creates an empty session for `merchant`.
    pub fn create(&self, merchant: &str) -> Session {
        let now = Instant::now();
        let mut store = self.lock();
        store.expire(now);
        let id = loop {
            let id = format!("SESSION0002{}", rng::upper_alnum(20));
            if !store.live.contains_key(&id) && !store.expired.contains_key(&id) {
                break id;
            }
        };
        let s = Session {
            id: id.clone(),
            merchant: merchant.to_string(),
            version: new_version(),
            update_status: "NO_UPDATE",
            fields: Vec::new(),
            expires: now + self.ttl,
        };
        store.live.insert(id, s.clone());
        s
    }

    /// The session `id` of `merchant`, checked against `version` when given.
    pub fn get(&self, merchant: &str, id: &str, version: Option<&str>) -> Result<Session, SessionError> {
        let mut store = self.lock();
        let s = store.find(merchant, id)?;
        if version.is_some_and(|v| v != s.version) {
            return Err(SessionError::VersionMismatch);
        }
        Ok(s.clone())
    }

    /// The session `id` of `merchant` for a request operation: as [`get`](Self::get),
    /// and its last update must have succeeded (create-session.nvp-v39.txt:101).
    pub fn usable(&self, merchant: &str, id: &str, version: Option<&str>) -> Result<Session, SessionError> {
        let s = self.get(merchant, id, version)?;
        match s.update_status {
            "NO_UPDATE" => Err(SessionError::NoUpdate),
            "FAILURE" => Err(SessionError::UpdateFailed),
            _ => Ok(s),
        }
    }

    /// Records a refused update: the session's `session.updateStatus`
    /// becomes `FAILURE` (create-session.nvp-v39.txt:105-107); its fields stay.
    /// A session that is not the merchant's, or not live, is left alone.
    pub fn mark_failed(&self, merchant: &str, id: &str) -> Option<Session> {
        let mut store = self.lock();
        let s = store.find(merchant, id).ok()?;
        s.update_status = "FAILURE";
        Some(s.clone())
    }

    /// Stores `fields` in the session (replacing fields of the same name),
    /// gives it a new version and marks it `SUCCESS`.
    pub fn update(
        &self,
        merchant: &str,
        id: &str,
        version: Option<&str>,
        fields: &[(String, String)],
    ) -> Result<Session, SessionError> {
        let mut store = self.lock();
        let s = store.find(merchant, id)?;
        if version.is_some_and(|v| v != s.version) {
            return Err(SessionError::VersionMismatch);
        }
        for (name, value) in fields {
            match s.fields.iter_mut().find(|(n, _)| n == name) {
                Some(slot) => slot.1 = value.clone(),
                None => s.fields.push((name.clone(), value.clone())),
            }
        }
        s.version = loop {
            let v = new_version();
            if v != s.version {
                break v;
            }
        };
        s.update_status = "SUCCESS";
        Ok(s.clone())
    }
}

/// The fields that name the card number: the clear number and the P2PE
/// group are two forms of the same detail.
fn is_card_number(name: &str) -> bool {
    name == "sourceOfFunds.provided.card.number" || name.starts_with("sourceOfFunds.provided.card.p2pe.")
}

/// Request fields merged over session fields by the reference's precedence
/// (tokenize.nvp-v50.txt:63 "Values provided in the request will override
/// values contained in the session"; :89 explicitly provided card details
/// override session card details, which override card token details — the
/// token's part is the caller's, after this merge). A card number the request
/// gives in either form (clear or P2PE) replaces the session's in either form.
pub fn merge(session: &[(String, String)], request: &[(String, String)]) -> Vec<(String, String)> {
    let request_has_number = request.iter().any(|(n, _)| is_card_number(n));
    let mut out: Vec<(String, String)> = session
        .iter()
        .filter(|(n, _)| !request.iter().any(|(r, _)| r == n))
        .filter(|(n, _)| !(request_has_number && is_card_number(n)))
        .cloned()
        .collect();
    out.extend(request.iter().cloned());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_versions_have_the_gateway_shape() {
        let s = Sessions::new(Duration::from_secs(60)).create("M");
        assert_eq!(s.id.len(), 31);
        assert!(s.id.starts_with("SESSION0002"));
        assert!(s.id[11..].chars().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
        assert_eq!(s.version.len(), 10);
        assert!(s.version.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)), "{}", s.version);
        assert_eq!(s.update_status, "NO_UPDATE");
    }

    #[test]
    fn expiry_and_ownership() {
        let store = Sessions::new(Duration::from_millis(50));
        let s = store.create("M");
        assert!(store.get("M", &s.id, Some(&s.version)).is_ok());
        assert_eq!(store.get("OTHER", &s.id, None).unwrap_err(), SessionError::Unknown);
        assert_eq!(store.get("M", &s.id, Some("0000000000")).unwrap_err(), SessionError::VersionMismatch);
        std::thread::sleep(Duration::from_millis(80));
        assert_eq!(store.get("M", &s.id, None).unwrap_err(), SessionError::Expired);
        assert_eq!(store.get("OTHER", &s.id, None).unwrap_err(), SessionError::Unknown);
        assert_eq!(store.get("M", "SESSION0002AAAAAAAAAAAAAAAAAAAA", None).unwrap_err(), SessionError::Unknown);
    }

    /// create-session.nvp-v39.txt:101-111: only a SUCCESS session serves a request operation.
    #[test]
    fn only_an_updated_session_is_usable() {
        let store = Sessions::new(Duration::from_secs(60));
        let s = store.create("M");
        assert_eq!(store.usable("M", &s.id, None).unwrap_err(), SessionError::NoUpdate);
        store.update("M", &s.id, None, &[("token".into(), "A1".into())]).unwrap();
        assert!(store.usable("M", &s.id, None).is_ok());
        assert_eq!(store.mark_failed("M", &s.id).unwrap().update_status, "FAILURE");
        assert_eq!(store.usable("M", &s.id, None).unwrap_err(), SessionError::UpdateFailed);
        assert!(store.mark_failed("OTHER", &s.id).is_none());
    }

    #[test]
    fn update_and_merge() {
        let store = Sessions::new(Duration::from_secs(60));
        let s = store.create("M");
        let f = |a: &str, b: &str| (a.to_string(), b.to_string());
        let u =
            store.update("M", &s.id, Some(&s.version), &[f("token", "A1"), f("verificationStrategy", "NONE")]).unwrap();
        assert_ne!(u.version, s.version);
        assert_eq!(u.update_status, "SUCCESS");
        let m = merge(u.fields(), &[f("token", "B2")]);
        assert!(m.contains(&f("token", "B2")));
        assert!(m.contains(&f("verificationStrategy", "NONE")));
        assert!(!m.contains(&f("token", "A1")));
        // A clear number in the request replaces the session's P2PE card, and the reverse.
        let p2pe = [f("sourceOfFunds.provided.card.p2pe.payload", "AB"), f("verificationStrategy", "NONE")];
        let m = merge(&p2pe, &[f("sourceOfFunds.provided.card.number", "4000000000000002")]);
        assert_eq!(m.len(), 2);
        assert!(!m.iter().any(|(n, _)| n.contains("p2pe")));
        let m = merge(&[f("sourceOfFunds.provided.card.number", "4000000000000002")], &p2pe);
        assert!(!m.iter().any(|(n, _)| n.ends_with("card.number")));
    }
}
