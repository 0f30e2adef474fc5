//! The gateway's answer: its NVP fields, HTTP status and the call's duration.
//!
//! Plain data over the codec: this module knows no [`Error`](crate::Error).
//! An answer that cannot be decoded is a [`NotAnAnswer`], and the client
//! turns it into the call's one `GW_ERR_PROTOCOL` error, naming the host.

use std::ffi::CStr;
use std::fmt;
use std::time::Duration;

use crate::nvp;

/// A string kept with a trailing NUL, so that the C API can hand out a
/// pointer to it that lives as long as the [`Response`].
#[derive(Clone, PartialEq, Eq)]
struct NulTerminated(Box<str>);

impl NulTerminated {
    /// `None` when the text has an interior NUL (it could not be read from C).
    fn new(mut text: String) -> Option<NulTerminated> {
        if text.contains('\0') {
            return None;
        }
        text.push('\0');
        Some(NulTerminated(text.into_boxed_str()))
    }

    fn as_str(&self) -> &str {
        &self.0[..self.0.len() - 1]
    }

    fn as_c_str(&self) -> &CStr {
        // Never fails: `new` appended the only NUL. An empty string otherwise.
        CStr::from_bytes_with_nul(self.0.as_bytes()).unwrap_or_default()
    }
}

/// Why an HTTP answer is not an NVP answer: what the client reports as a
/// protocol error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotAnAnswer {
    http_status: u16,
    why: String,
}

impl NotAnAnswer {
    /// The HTTP status of the answer that could not be decoded.
    pub fn http_status(&self) -> u16 {
        self.http_status
    }

    /// What is wrong with it, e.g. "the HTTP 502 answer is not an NVP
    /// answer: it has no 'result' field (Content-Type text/html)".
    pub fn message(&self) -> String {
        format!("the HTTP {} answer is not an NVP answer: {}", self.http_status, self.why)
    }
}

impl fmt::Display for NotAnAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

/// One decoded answer of the gateway.
#[derive(Clone)]
pub struct Response {
    http_status: u16,
    duration: Duration,
    fields: Vec<(NulTerminated, NulTerminated)>,
}

impl Response {
    /// Decodes an HTTP answer's form body.
    ///
    /// The body must be an NVP answer: a form encoding with a `result` field
    /// and no field twice. Anything else (an HTML error page, garbage) is
    /// [`NotAnAnswer`], whatever the HTTP status.
    ///
    /// A field named twice (`result=SUCCESS&...&result=ERROR`) is refused, not
    /// resolved by "first wins" or "last wins": the gateway never repeats a
    /// name (lists are indexed, `field[0]`), so such an answer was damaged or
    /// forged on its way, and whichever `result` gw picked, the till would act
    /// on a guess. Refusing it here, in the one decoder every binding reads
    /// through, also means C, C++ and Python cannot disagree about it.
    pub fn from_http(
        http_status: u16,
        content_type: Option<&str>,
        body: &[u8],
        duration: Duration,
    ) -> Result<Response, NotAnAnswer> {
        let not_nvp = |why: String| NotAnAnswer { http_status, why };
        let charset = content_type.map_or(nvp::Charset::Utf8, nvp::Charset::from_content_type);
        let pairs = nvp::decode(body, charset).map_err(|err| not_nvp(err.to_string()))?;
        let mut fields = Vec::with_capacity(pairs.len());
        for (name, value) in pairs {
            let (Some(name), Some(value)) = (NulTerminated::new(name), NulTerminated::new(value)) else {
                return Err(not_nvp("a field contains a NUL byte".to_owned()));
            };
            fields.push((name, value));
        }
        let response = Response { http_status, duration, fields };
        if response.result().is_none() {
            let shown = match content_type {
                Some(ct) if !ct.starts_with("application/x-www-form-urlencoded") => format!(" (Content-Type {ct})"),
                _ => String::new(),
            };
            return Err(not_nvp(format!("it has no 'result' field{shown}")));
        }
        // Sorted, not compared pairwise: a 1 MiB answer can hold 100,000 names.
        let mut names: Vec<&str> = response.fields.iter().map(|(name, _)| name.as_str()).collect();
        names.sort_unstable();
        if let Some(twice) = names.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(not_nvp(format!("the field '{}' appears twice", twice[0])));
        }
        Ok(response)
    }

    /// The value of a field, `None` when absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n.as_str() == name).map(|(_, v)| v.as_str())
    }

    /// The same as [`Response::get`], as a C string owned by the response.
    pub fn get_c(&self, name: &str) -> Option<&CStr> {
        self.fields.iter().find(|(n, _)| n.as_str() == name).map(|(_, v)| v.as_c_str())
    }

    /// `result`: `SUCCESS`, `FAILURE`, `PENDING`, `UNKNOWN` or `ERROR`.
    pub fn result(&self) -> Option<&str> {
        self.get("result")
    }

    /// The HTTP status of the answer.
    pub fn http_status(&self) -> u16 {
        self.http_status
    }

    /// How long the call took, from the first attempt to the decoded answer.
    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// The number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether the answer has no field (never true for a decoded answer).
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The fields, in the order the gateway sent them.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The field at `index`, as C strings owned by the response.
    pub fn field_c(&self, index: usize) -> Option<(&CStr, &CStr)> {
        self.fields.get(index).map(|(n, v)| (n.as_c_str(), v.as_c_str()))
    }
}

impl fmt::Debug for Response {
    /// Names and HTTP status only: values may be card data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("http_status", &self.http_status)
            .field("result", &self.result())
            .field("fields", &self.fields.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_gateways_real_answers() {
        let body = b"merchant=TESTAB2894354&result=SUCCESS&session.aes256Key=DXbdcjSznnTId2lQWjs3Y4KVZuC4OPPn5bRkjCcm2sM%3D&session.id=SESSION0002411702239G42317712I7&session.updateStatus=NO_UPDATE&session.version=4e9556a901";
        let r =
            Response::from_http(201, Some("application/x-www-form-urlencoded; charset=UTF-8"), body, Duration::ZERO)
                .unwrap();
        assert_eq!(r.get("session.aes256Key"), Some("DXbdcjSznnTId2lQWjs3Y4KVZuC4OPPn5bRkjCcm2sM="));
        assert_eq!(r.get("session.id"), Some("SESSION0002411702239G42317712I7"));
        assert_eq!(r.result(), Some("SUCCESS"));
        assert_eq!(r.len(), 6);
        assert_eq!(r.get_c("session.version").unwrap().to_str(), Ok("4e9556a901"));

        let body = b"error.cause=INVALID_REQUEST&error.explanation=Value+%27PAY%27+is+invalid.+Pay+request+not+permitted+for+this+merchant.&error.field=apiOperation&error.validationType=INVALID&result=ERROR";
        let r = Response::from_http(400, None, body, Duration::ZERO).unwrap();
        assert_eq!(
            r.get("error.explanation"),
            Some("Value 'PAY' is invalid. Pay request not permitted for this merchant.")
        );
        assert_eq!(r.get("error.field"), Some("apiOperation"));
        assert_eq!(r.field_c(4).map(|(n, _)| n.to_str().unwrap()), Some("result"));
        assert!(r.field_c(5).is_none());
    }

    #[test]
    fn html_and_nul_are_protocol_errors() {
        let html = b"<html><body><h1>502 Bad Gateway</h1></body></html>";
        let err = Response::from_http(502, Some("text/html"), html, Duration::ZERO).unwrap_err();
        assert_eq!(err.http_status(), 502);
        assert!(err.message().contains("no 'result' field"), "{}", err.message());
        let err = Response::from_http(200, None, b"result=SUCCESS&a=%00", Duration::ZERO).unwrap_err();
        assert!(err.message().contains("NUL"), "{err}");
    }

    #[test]
    fn a_field_named_twice_is_refused() {
        for body in [&b"result=SUCCESS&session.id=S1&result=ERROR"[..], b"result=ERROR&a=1&a=1"] {
            let err = Response::from_http(201, None, body, Duration::ZERO).unwrap_err();
            assert!(err.message().contains("appears twice"), "{err}");
        }
    }
}
