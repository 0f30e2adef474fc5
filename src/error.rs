//! Errors and their stable status numbers.
//!
//! Every failure of the library is an [`Error`]: a [`Kind`] (which maps to one
//! stable `gw_status` number of the C API), a message that names what failed
//! and why (never a password or card data), the NVP field concerned when there
//! is one, and the gateway's parsed answer when it gave one.

use std::ffi::CStr;
use std::fmt;
use std::time::Duration;

use crate::response::Response;
use crate::rules::FieldError;

/// The class of a failure. Each maps to one stable status number
/// ([`Kind::status`]); numbers are never reused or renumbered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A required pointer argument was NULL (C API only).
    NullArgument,
    /// A string argument was not valid UTF-8 (C API only).
    InvalidUtf8,
    /// A field failed local validation against the gateway's field rules;
    /// nothing was sent.
    InvalidField,
    /// The configuration is incomplete or invalid.
    Config,
    /// The connection could not be established; the request was not sent.
    Connect,
    /// The call did not complete within its timeout.
    Timeout,
    /// TLS failed: untrusted or mismatched certificate, handshake refused.
    Tls,
    /// The connection failed after the request was (maybe) sent.
    Io,
    /// The answer is not an NVP answer: HTML, garbage, oversized, bad HTTP.
    Protocol,
    /// The gateway refused the credentials (HTTP 401).
    Authentication,
    /// The gateway answered `result=ERROR`.
    Gateway,
    /// The gateway answered `result=FAILURE`: declined or rejected.
    Declined,
    /// The gateway answered `result=PENDING`.
    Pending,
    /// The gateway answered `result=UNKNOWN` (or a result gw does not know).
    UnknownResult,
    /// A bug in gw (a caught panic).
    Internal,
    /// An index past the end (C API accessors).
    OutOfRange,
}

impl Kind {
    /// Every kind, in status-number order.
    pub const ALL: [Kind; 16] = [
        Kind::NullArgument,
        Kind::InvalidUtf8,
        Kind::InvalidField,
        Kind::Config,
        Kind::Connect,
        Kind::Timeout,
        Kind::Tls,
        Kind::Io,
        Kind::Protocol,
        Kind::Authentication,
        Kind::Gateway,
        Kind::Declined,
        Kind::Pending,
        Kind::UnknownResult,
        Kind::Internal,
        Kind::OutOfRange,
    ];

    /// The stable status number of the C API (`GW_OK` is 0 and is no kind).
    pub fn status(self) -> u32 {
        match self {
            Kind::NullArgument => 1,
            Kind::InvalidUtf8 => 2,
            Kind::InvalidField => 3,
            Kind::Config => 4,
            Kind::Connect => 5,
            Kind::Timeout => 6,
            Kind::Tls => 7,
            Kind::Io => 8,
            Kind::Protocol => 9,
            Kind::Authentication => 10,
            Kind::Gateway => 11,
            Kind::Declined => 12,
            Kind::Pending => 13,
            Kind::UnknownResult => 14,
            Kind::Internal => 15,
            Kind::OutOfRange => 16,
        }
    }

    /// The kind with this status number, if any.
    pub fn from_status(status: u32) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.status() == status)
    }

    /// The C name of the status, e.g. `GW_ERR_TIMEOUT`.
    pub fn name(self) -> &'static CStr {
        match self {
            Kind::NullArgument => c"GW_ERR_NULL_ARGUMENT",
            Kind::InvalidUtf8 => c"GW_ERR_INVALID_UTF8",
            Kind::InvalidField => c"GW_ERR_INVALID_FIELD",
            Kind::Config => c"GW_ERR_CONFIG",
            Kind::Connect => c"GW_ERR_CONNECT",
            Kind::Timeout => c"GW_ERR_TIMEOUT",
            Kind::Tls => c"GW_ERR_TLS",
            Kind::Io => c"GW_ERR_IO",
            Kind::Protocol => c"GW_ERR_PROTOCOL",
            Kind::Authentication => c"GW_ERR_AUTHENTICATION",
            Kind::Gateway => c"GW_ERR_GATEWAY",
            Kind::Declined => c"GW_DECLINED",
            Kind::Pending => c"GW_PENDING",
            Kind::UnknownResult => c"GW_UNKNOWN_RESULT",
            Kind::Internal => c"GW_ERR_INTERNAL",
            Kind::OutOfRange => c"GW_ERR_OUT_OF_RANGE",
        }
    }

    /// A static description of the class.
    pub fn describe(self) -> &'static str {
        self.description().to_str().unwrap_or_default()
    }

    /// The same description as a static C string (for `gw_status_str`).
    pub fn description(self) -> &'static CStr {
        match self {
            Kind::NullArgument => c"a required argument was NULL",
            Kind::InvalidUtf8 => c"a string argument is not valid UTF-8",
            Kind::InvalidField => c"a field failed local validation; nothing was sent",
            Kind::Config => c"the configuration is incomplete or invalid",
            Kind::Connect => c"could not connect to the gateway; the request was not sent",
            Kind::Timeout => c"the call timed out",
            Kind::Tls => c"TLS failed (certificate or handshake)",
            Kind::Io => c"the connection failed during the exchange",
            Kind::Protocol => c"the answer is not a valid NVP answer",
            Kind::Authentication => c"the gateway rejected the credentials (HTTP 401)",
            Kind::Gateway => c"the gateway answered result=ERROR",
            Kind::Declined => c"the gateway declined the operation (result=FAILURE)",
            Kind::Pending => c"the operation is pending (result=PENDING)",
            Kind::UnknownResult => c"the result of the operation is unknown (result=UNKNOWN)",
            Kind::Internal => c"internal error in gw (a bug)",
            Kind::OutOfRange => c"index out of range",
        }
    }
}

/// A failed gw call.
pub struct Error {
    kind: Kind,
    message: String,
    field: Option<String>,
    http_status: Option<u16>,
    response: Option<Box<Response>>,
}

impl Error {
    /// An error of this kind with this message.
    pub fn new(kind: Kind, message: impl Into<String>) -> Error {
        Error { kind, message: message.into(), field: None, http_status: None, response: None }
    }

    /// Names the NVP field concerned.
    pub fn with_field(mut self, field: impl Into<String>) -> Error {
        self.field = Some(field.into());
        self
    }

    /// Attaches the gateway's parsed answer.
    pub fn with_response(mut self, response: Response) -> Error {
        self.http_status = Some(response.http_status());
        self.response = Some(Box::new(response));
        self
    }

    /// Says, when a call made more than one attempt, how many and over how
    /// long: "...; after 3 attempts over 0.69 s". A till's log then shows a
    /// failure that persisted, not one that came at once.
    pub(crate) fn after_attempts(mut self, attempts: u32, elapsed: Duration) -> Error {
        if attempts > 1 {
            self.message.push_str(&format!("; after {attempts} attempts over {:.2} s", elapsed.as_secs_f64()));
        }
        self
    }

    /// Records the HTTP status of an answer that could not be decoded.
    pub fn with_http_status(mut self, status: u16) -> Error {
        self.http_status = Some(status);
        self
    }

    /// The HTTP status of the answer, when one came (also when it was not an
    /// NVP answer, e.g. an HTML error page).
    pub fn http_status(&self) -> Option<u16> {
        self.http_status
    }

    /// The class of failure.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The stable status number.
    pub fn status(&self) -> u32 {
        self.kind.status()
    }

    /// What failed and why: the field and rule, the host, the cause.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The NVP field concerned: a local validation failure's field, or the
    /// gateway's `error.field`.
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }

    /// The gateway's answer, when it gave a parseable one.
    pub fn response(&self) -> Option<&Response> {
        self.response.as_deref()
    }

    /// Takes the gateway's answer out of the error.
    pub fn take_response(&mut self) -> Option<Response> {
        self.response.take().map(|boxed| *boxed)
    }
}

impl From<FieldError> for Error {
    fn from(err: FieldError) -> Error {
        Error::new(Kind::InvalidField, err.to_string()).with_field(err.field)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("field", &self.field)
            .field("http_status", &self.http_status)
            .finish()
    }
}

impl std::error::Error for Error {}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, Error>;
