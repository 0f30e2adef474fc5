//! Payment sessions, in memory, with a time-to-live.
//!
//! CREATE_SESSION makes an empty session (`session.updateStatus=NO_UPDATE`).
//! The simulator's UPDATE_SESSION stores request fields in it (each checked
//! against the TOKENIZE field rules); TOKENIZE with `session.id` merges them
//! under the request's own fields.

use crate::rng;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use zeroize::Zeroize;

/// A stored session.
#[derive(Clone, Debug)]
pub struct Session {
    pub id: String,
    pub merchant: String,
    pub version: String,
    /// `NO_UPDATE` until fields are stored, then `SUCCESS`.
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
    /// No such session for this merchant (never created, or expired).
    Unknown,
    /// `session.version` differs from the stored one.
    VersionMismatch,
}

impl SessionError {
    pub fn explanation(self) -> &'static str {
        match self {
            SessionError::Unknown => "Session not found or expired",
            SessionError::VersionMismatch => "The session.version does not match the current version of the session",
        }
    }
}

/// All sessions of a simulator.
pub struct Sessions {
    ttl: Duration,
    map: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    pub fn new(ttl: Duration) -> Sessions {
        Sessions { ttl, map: Mutex::new(HashMap::new()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Creates an empty session for `merchant`.
    pub fn create(&self, merchant: &str) -> Session {
        let now = Instant::now();
        let mut map = self.lock();
        map.retain(|_, s| s.expires > now);
        let id = loop {
            let id = format!("SESSION0002{}", rng::upper_alnum(20));
            if !map.contains_key(&id) {
                break id;
            }
        };
        let s = Session {
            id: id.clone(),
            merchant: merchant.to_string(),
            version: rng::upper_hex(10),
            update_status: "NO_UPDATE",
            fields: Vec::new(),
            expires: now + self.ttl,
        };
        map.insert(id, s.clone());
        s
    }

    /// The session `id` of `merchant`, checked against `version` when given.
    pub fn get(&self, merchant: &str, id: &str, version: Option<&str>) -> Result<Session, SessionError> {
        let map = self.lock();
        let s = map
            .get(id)
            .filter(|s| s.merchant == merchant && s.expires > Instant::now())
            .ok_or(SessionError::Unknown)?;
        if version.is_some_and(|v| v != s.version) {
            return Err(SessionError::VersionMismatch);
        }
        Ok(s.clone())
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
        let mut map = self.lock();
        let s = map
            .get_mut(id)
            .filter(|s| s.merchant == merchant && s.expires > Instant::now())
            .ok_or(SessionError::Unknown)?;
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
            let v = rng::upper_hex(10);
            if v != s.version {
                break v;
            }
        };
        s.update_status = "SUCCESS";
        Ok(s.clone())
    }
}

/// Request fields merged over session fields: the request wins.
pub fn merge(session: &[(String, String)], request: &[(String, String)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> =
        session.iter().filter(|(n, _)| !request.iter().any(|(r, _)| r == n)).cloned().collect();
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
        assert_eq!(store.get("M", &s.id, None).unwrap_err(), SessionError::Unknown);
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
    }
}
