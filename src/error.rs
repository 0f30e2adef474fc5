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

/// Defines [`Kind`] and its table from one row per status: the doc comment
/// of the variant, the variant, its stable number, its C name and the
/// description `gw_status_str` gives. The header's `GW_*` constants
/// (`src/ffi/codes.rs`, for cbindgen), the Python exception classes and the
/// C++ test's list are checked against this table by `tests/status_table.rs`.
macro_rules! status_table {
    ($($(#[doc = $doc:literal])* $kind:ident = $number:literal, $name:literal, $description:literal;)*) => {
        /// The class of a failure. Each maps to one stable status number
        /// ([`Kind::status`]); numbers are never reused or renumbered.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u32)]
        pub enum Kind {
            $($(#[doc = $doc])* $kind = $number,)*
        }

        impl Kind {
            /// Every kind, in status-number order.
            pub const ALL: [Kind; [$($number),*].len()] = [$(Kind::$kind),*];

            /// The kind with this status number, if any.
            pub fn from_status(status: u32) -> Option<Kind> {
                match status {
                    $($number => Some(Kind::$kind),)*
                    _ => None,
                }
            }

            /// The C name of the status, e.g. `GW_ERR_TIMEOUT`.
            pub fn name(self) -> &'static CStr {
                match self {
                    $(Kind::$kind => $name,)*
                }
            }

            /// A static description of the class, as a C string (for `gw_status_str`).
            pub fn description(self) -> &'static CStr {
                match self {
                    $(Kind::$kind => $description,)*
                }
            }
        }
    };
}

status_table! {
    /// A required pointer argument was NULL (C API only).
    NullArgument = 1, c"GW_ERR_NULL_ARGUMENT", c"a required argument was NULL";
    /// A string argument was not valid UTF-8 (C API only).
    InvalidUtf8 = 2, c"GW_ERR_INVALID_UTF8", c"a string argument is not valid UTF-8";
    /// A field failed local validation against the gateway's field rules;
    /// nothing was sent.
    InvalidField = 3, c"GW_ERR_INVALID_FIELD", c"a field failed local validation; nothing was sent";
    /// The configuration is incomplete or invalid.
    Config = 4, c"GW_ERR_CONFIG", c"the configuration is incomplete or invalid";
    /// The connection could not be established; the request was not sent.
    Connect = 5, c"GW_ERR_CONNECT", c"could not connect to the gateway; the request was not sent";
    /// The call did not complete within its timeout.
    Timeout = 6, c"GW_ERR_TIMEOUT", c"the call timed out";
    /// TLS failed: untrusted or mismatched certificate, handshake refused.
    Tls = 7, c"GW_ERR_TLS", c"TLS failed (certificate or handshake)";
    /// The connection failed after the request was (maybe) sent.
    Io = 8, c"GW_ERR_IO", c"the connection failed during the exchange";
    /// The answer is not an NVP answer: HTML, garbage, oversized, bad HTTP.
    Protocol = 9, c"GW_ERR_PROTOCOL", c"the answer is not a valid NVP answer";
    /// The gateway refused the credentials (HTTP 401).
    Authentication = 10, c"GW_ERR_AUTHENTICATION", c"the gateway rejected the credentials (HTTP 401)";
    /// The gateway answered `result=ERROR`.
    Gateway = 11, c"GW_ERR_GATEWAY", c"the gateway answered result=ERROR";
    /// The gateway answered `result=FAILURE`: declined or rejected.
    Declined = 12, c"GW_DECLINED", c"the gateway declined the operation (result=FAILURE)";
    /// The gateway answered `result=PENDING`.
    Pending = 13, c"GW_PENDING", c"the operation is pending (result=PENDING)";
    /// The gateway answered `result=UNKNOWN` (or a result gw does not know).
    UnknownResult = 14, c"GW_UNKNOWN_RESULT", c"the result of the operation is unknown (result=UNKNOWN)";
    /// A bug in gw (a caught panic).
    Internal = 15, c"GW_ERR_INTERNAL", c"internal error in gw (a bug)";
    /// An index past the end (C API accessors).
    OutOfRange = 16, c"GW_ERR_OUT_OF_RANGE", c"index out of range";
    /// CHECK_GATEWAY: the gateway answered `status=SHUTDOWN`, it is not
    /// accepting requests.
    GatewayShutdown = 17, c"GW_GATEWAY_SHUTDOWN", c"the gateway is not accepting requests (status=SHUTDOWN)";
    /// The payment journal (`gw_config_set_journal`) could not be opened,
    /// written or read; a payment whose intent could not be recorded was not
    /// sent.
    Journal = 18, c"GW_ERR_JOURNAL", c"the payment journal failed; a payment it could not record was not sent";
}

impl Kind {
    /// The stable status number of the C API (`GW_OK` is 0 and is no kind).
    pub fn status(self) -> u32 {
        self as u32
    }

    /// A static description of the class.
    pub fn describe(self) -> &'static str {
        self.description().to_str().unwrap_or_default()
    }
}

/// A failed gw call.
pub struct Error {
    kind: Kind,
    message: String,
    field: Option<String>,
    http_status: Option<u16>,
    response: Option<Box<Response>>,
    in_doubt: bool,
    /// The transaction's `order.id` and `transaction.id`, for a transaction's call.
    ids: Option<Box<(String, String)>>,
}

impl Error {
    /// An error of this kind with this message.
    pub fn new(kind: Kind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            field: None,
            http_status: None,
            response: None,
            in_doubt: false,
            ids: None,
        }
    }

    /// Says whether the failed call may have had an effect at the gateway
    /// that gw could not learn ([`Error::in_doubt`]).
    pub(crate) fn with_in_doubt(mut self, in_doubt: bool) -> Error {
        self.in_doubt = in_doubt;
        self
    }

    /// Names the transaction the failed call was about (a payment's, a
    /// RETRIEVE_TRANSACTION's): the ids a till resolves it with later. The
    /// message of a call in doubt says them too.
    pub(crate) fn with_ids(mut self, order_id: &str, transaction_id: &str) -> Error {
        // Said once: a RETRIEVE_TRANSACTION poll's error, named already,
        // may become its payment's.
        if self.in_doubt && self.ids.is_none() {
            self.message.push_str(&format!(
                "; not final: resolve order.id={order_id} transaction.id={transaction_id} with RETRIEVE_TRANSACTION"
            ));
        }
        self.ids = Some(Box::new((order_id.to_owned(), transaction_id.to_owned())));
        self
    }

    /// Says how many RETRIEVE_TRANSACTION polls left the outcome not final.
    pub(crate) fn with_polls(mut self, polls: u32) -> Error {
        if polls > 0 {
            self.message.push_str(&format!("; still not final after {polls} RETRIEVE_TRANSACTION polls"));
        }
        self
    }

    /// The `order.id` and `transaction.id` of the transaction a failed
    /// call was about (a payment operation's, RETRIEVE_TRANSACTION's).
    pub fn ids(&self) -> Option<(&str, &str)> {
        self.ids.as_deref().map(|(order, transaction)| (order.as_str(), transaction.as_str()))
    }

    /// Marks the error in doubt when `in_doubt` (keeps it so otherwise).
    pub(crate) fn or_in_doubt(mut self, in_doubt: bool) -> Error {
        self.in_doubt |= in_doubt;
        self
    }

    /// Whether the failed call may have had an effect at the gateway that
    /// gw could not learn: the request may have been processed and no
    /// answer came, or a cut or unreadable one, or an answer that says the
    /// outcome is not final (`PENDING`, `UNKNOWN`, `SUBMITTED`, or an
    /// `error.cause=SERVER_FAILED`). `false` when nothing was sent (a
    /// local validation, a refused connection) or when the gateway's answer
    /// says what happened (a decline, an error answer). The C API's
    /// `gw_last_error_in_doubt`.
    pub fn in_doubt(&self) -> bool {
        self.in_doubt
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
            .field("in_doubt", &self.in_doubt)
            .finish()
    }
}

impl std::error::Error for Error {}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, Error>;
