//! The gateway's answer: its NVP fields, HTTP status and the call's duration.
//!
//! Plain data over the codec: this module knows no [`Error`](crate::Error).
//! An answer that cannot be decoded is a [`NotAnAnswer`], and the client
//! turns it into the call's one `GW_ERR_PROTOCOL` error, naming the host.

use std::ffi::CStr;
use std::fmt;
use std::time::Duration;

use crate::nvp;

/// Where one field lies in [`Response`]'s text: the name at
/// `name..value - 1`, a NUL, the value at `value..end`, a NUL at `end`.
#[derive(Clone, Copy)]
struct Span {
    name: usize,
    value: usize,
    end: usize,
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
    /// Every name and value, decoded once, each followed by a NUL, so that
    /// the C API hands out pointers into it (they live as long as the
    /// response: the text is never changed after decoding).
    text: String,
    fields: Vec<Span>,
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
        Response::from_http_with(http_status, content_type, body, duration, &["result"])
    }

    /// As [`Response::from_http`], with the fields of which an NVP answer
    /// has at least one named by the operation (`Operation::summary_fields`):
    /// CHECK_GATEWAY answers `status` and no `result`.
    pub fn from_http_with(
        http_status: u16,
        content_type: Option<&str>,
        body: &[u8],
        duration: Duration,
        summary_fields: &[&str],
    ) -> Result<Response, NotAnAnswer> {
        let not_nvp = |why: String| NotAnAnswer { http_status, why };
        let charset = content_type.map_or(nvp::Charset::Utf8, nvp::Charset::from_content_type);
        // One buffer for every name and value (`nvp::decode_into` sizes it),
        // one list of where they lie: the gateway's answers have 5 to 20
        // fields, and counting the `&`s first would cost a pass over the body.
        let mut text = Vec::new();
        let mut fields = Vec::with_capacity(16);
        let has_nul = nvp::decode_into(body, charset, &mut text, |_, name, value| {
            fields.push(Span { name: name.start, value: value.start, end: value.end });
            Ok(())
        })
        .map_err(|err| not_nvp(err.to_string()))?;
        // Never fails: `decode_into` writes UTF-8 only. One pass, the buffer kept, not copied.
        let text = String::from_utf8(text).map_err(|err| not_nvp(err.to_string()))?;
        if has_nul {
            return Err(not_nvp("a field contains a NUL byte".to_owned()));
        }
        let response = Response { http_status, duration, text, fields };
        if !summary_fields.iter().any(|name| response.get(name).is_some()) {
            let shown = match content_type {
                Some(ct) if !ct.starts_with("application/x-www-form-urlencoded") => format!(" (Content-Type {ct})"),
                _ => String::new(),
            };
            let names: Vec<String> = summary_fields.iter().map(|name| format!("'{name}'")).collect();
            return Err(not_nvp(format!("it has no {} field{shown}", names.join(" or "))));
        }
        if let Some(twice) = response.repeated_name() {
            return Err(not_nvp(format!("the field '{twice}' appears twice")));
        }
        Ok(response)
    }

    fn name(&self, span: Span) -> &str {
        &self.text[span.name..span.value - 1]
    }

    fn value(&self, span: Span) -> &str {
        &self.text[span.value..span.end]
    }

    /// A name or value with its NUL: the text from `start` to `end` inclusive.
    fn c_str(&self, start: usize, end: usize) -> &CStr {
        // Never fails: `from_http` refused interior NULs and wrote one at `end`.
        CStr::from_bytes_with_nul(&self.text.as_bytes()[start..=end]).unwrap_or_default()
    }

    fn find(&self, name: &str) -> Option<Span> {
        self.fields.iter().copied().find(|&span| self.name(span) == name)
    }

    /// A name given twice, if any. Pairwise for the short answers the gateway
    /// gives (no allocation); sorted beyond that, since a 1 MiB answer can
    /// hold 100,000 names.
    fn repeated_name(&self) -> Option<&str> {
        const PAIRWISE_UP_TO: usize = 64;
        if self.fields.len() <= PAIRWISE_UP_TO {
            let mut names = [&[][..]; PAIRWISE_UP_TO];
            for (slot, &span) in names.iter_mut().zip(&self.fields) {
                *slot = &self.text.as_bytes()[span.name..span.value - 1];
            }
            let names = &names[..self.fields.len()];
            // Lengths first: names of one answer mostly differ in length.
            let same = |a: &[u8], b: &[u8]| a.len() == b.len() && a == b;
            let twice = (1..names.len()).find(|&i| names[..i].iter().any(|earlier| same(earlier, names[i])))?;
            return Some(self.name(self.fields[twice]));
        }
        let mut names: Vec<&str> = self.fields.iter().map(|&span| self.name(span)).collect();
        names.sort_unstable();
        names.windows(2).find(|pair| pair[0] == pair[1]).map(|pair| pair[0])
    }

    /// The value of a field, `None` when absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.find(name).map(|span| self.value(span))
    }

    /// The same as [`Response::get`], as a C string owned by the response.
    pub fn get_c(&self, name: &str) -> Option<&CStr> {
        self.find(name).map(|span| self.c_str(span.value, span.end))
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
        self.fields.iter().map(|&span| (self.name(span), self.value(span)))
    }

    /// The field at `index`, as C strings owned by the response.
    pub fn field_c(&self, index: usize) -> Option<(&CStr, &CStr)> {
        self.fields.get(index).map(|&span| (self.c_str(span.name, span.value - 1), self.c_str(span.value, span.end)))
    }
}

impl fmt::Debug for Response {
    /// Names and HTTP status only: values may be card data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("http_status", &self.http_status)
            .field("result", &self.result())
            .field("fields", &self.fields.iter().map(|&span| self.name(span)).collect::<Vec<_>>())
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
        // Past the pairwise limit the names are sorted: the same answer.
        let many: Vec<String> = (0..200).map(|i| format!("f{i}=v")).collect();
        let body = format!("result=SUCCESS&{}&f150=again", many.join("&"));
        let err = Response::from_http(201, None, body.as_bytes(), Duration::ZERO).unwrap_err();
        assert!(err.message().contains("'f150' appears twice"), "{err}");
        let body = format!("result=SUCCESS&{}", many.join("&"));
        assert_eq!(Response::from_http(201, None, body.as_bytes(), Duration::ZERO).unwrap().len(), 201);
    }

    #[test]
    fn the_c_view_reads_the_decoded_text() {
        // Latin-1 (no charset named) grows the text past the body's length.
        let body = b"result=SUCCESS&n%E9=%E9%E9&empty=&last=x+y";
        let r = Response::from_http(200, Some("application/x-www-form-urlencoded"), body, Duration::ZERO).unwrap();
        let c: Vec<(&str, &str)> = (0..r.len())
            .map(|i| r.field_c(i).map(|(n, v)| (n.to_str().unwrap(), v.to_str().unwrap())).unwrap())
            .collect();
        assert_eq!(c, r.iter().collect::<Vec<_>>());
        assert_eq!(c, [("result", "SUCCESS"), ("né", "éé"), ("empty", ""), ("last", "x y")]);
        assert_eq!(r.get_c("empty").unwrap().to_bytes(), b"");
        assert_eq!(r.get_c("né").unwrap().to_str(), Ok("éé"));
        assert!(r.get_c("n").is_none() && r.get("result\0").is_none());
    }
}
