//! The client: executes a request against the gateway and maps the answer.
//!
//! One call is: complete the request (`apiOperation`, `merchant`,
//! authentication), validate it whole against the field rules, POST it,
//! retry only where that is safe, decode the answer whatever the HTTP
//! status, and map `result` to success or to one error class. `Ok` means
//! `result=SUCCESS` and nothing else.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::thread;
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::config::{Authentication, Config, LogLevel};
use crate::error::{Error, Kind, Result};
use crate::masking::{masked, redact};
use crate::nvp;
use crate::request::Request;
use crate::response::Response;
use crate::rules::{self, Completeness};
use crate::transport::{RawAnswer, Transport};

/// The first retry waits this long, each later one twice as long, plus jitter.
const RETRY_BASE_DELAY: Duration = Duration::from_millis(200);

/// A configured connection to the gateway.
///
/// A client is `Send + Sync`: share one between all the threads of a till.
/// It holds one keep-alive connection pool.
pub struct Client {
    config: Config,
    endpoint: String,
    transport: Transport,
}

impl Client {
    /// Checks the whole configuration (reading certificate, key and CA files)
    /// and builds the client.
    pub fn new(config: &Config) -> Result<Client> {
        config.check_complete()?;
        let endpoint = config.endpoint().unwrap_or_default();
        let transport = Transport::new(config)?;
        Ok(Client { config: config.clone(), endpoint, transport })
    }

    /// The endpoint requests go to: `{base}/api/nvp/version/{N}`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Executes a request: validates it whole, sends it, and maps the answer.
    ///
    /// `Ok` only for `result=SUCCESS`. Every other outcome is an [`Error`]
    /// that carries the gateway's answer whenever it gave a parseable one
    /// ([`Error::response`]).
    pub fn execute(&self, request: &Request) -> Result<Response> {
        let fields = self.complete_fields(request);
        let completeness =
            if request.get("session.id").is_some() { Completeness::MayUseSession } else { Completeness::Complete };
        rules::check_request(request.operation(), self.config.api_version, &fields, completeness)?;
        let body = Zeroizing::new(nvp::encode(&fields));
        let operation = request.operation().name();
        self.log(LogLevel::Debug, || format!("{operation} request: {}", masked(&fields)));

        let started = Instant::now();
        let deadline = started + self.config.timeout;
        let retries = self.config.retries;
        let mut attempt = 1;
        loop {
            let budget = deadline.saturating_duration_since(Instant::now());
            let attempt_started = Instant::now();
            let outcome = self.transport.post(&self.endpoint, body.as_bytes(), budget);
            let elapsed = attempt_started.elapsed().as_millis();
            let retry_reason = match &outcome {
                Ok(answer) => {
                    self.log_attempt(operation, attempt, || format!("HTTP {} ({elapsed} ms)", answer.status));
                    is_server_busy(answer).then(|| format!("HTTP {} SERVER_BUSY", answer.status))
                }
                Err(failure) => {
                    self.log_attempt(operation, attempt, || format!("failed ({elapsed} ms): {}", failure.error));
                    (failure.transient && !failure.phase.in_doubt()).then(|| failure.error.message().to_owned())
                }
            };
            if let Some(reason) = retry_reason.filter(|_| attempt <= retries) {
                let delay = backoff(attempt);
                if Instant::now() + delay < deadline {
                    self.log(LogLevel::Warn, || {
                        format!("{operation}: {reason}; retry {attempt} of {retries} in {} ms", delay.as_millis())
                    });
                    thread::sleep(delay);
                    attempt += 1;
                    continue;
                }
                self.log(LogLevel::Warn, || format!("{operation}: {reason}; no retry, the call's timeout would pass"));
            }
            return match outcome {
                Err(failure) => {
                    let error = failure.error;
                    self.log(LogLevel::Error, || {
                        format!(
                            "{operation} failed after {attempt} attempt(s), {} ms: {error}",
                            started.elapsed().as_millis()
                        )
                    });
                    Err(error)
                }
                Ok(answer) => self.interpret(answer, started.elapsed(), &fields),
            };
        }
    }

    /// The request's fields after the ones gw manages.
    /// Zeroized when dropped: it holds the password and card data.
    fn complete_fields(&self, request: &Request) -> Zeroizing<Vec<(String, String)>> {
        let merchant = self.config.merchant.clone().unwrap_or_default();
        let mut fields = vec![
            ("apiOperation".to_owned(), request.operation().name().to_owned()),
            ("merchant".to_owned(), merchant.clone()),
        ];
        if let Some(Authentication::Password(password)) = &self.config.authentication {
            fields.push(("apiUsername".to_owned(), format!("merchant.{merchant}")));
            fields.push(("apiPassword".to_owned(), password.to_string()));
        }
        fields.extend(request.fields().map(|(n, v)| (n.to_owned(), v.to_owned())));
        Zeroizing::new(fields)
    }

    /// Maps a decoded answer to the call's result.
    fn interpret(&self, answer: RawAnswer, duration: Duration, sent: &[(String, String)]) -> Result<Response> {
        let host = self.path_host();
        let mut response = Response::from_http(answer.status, answer.content_type.as_deref(), &answer.body, duration)
            .map_err(|err| {
            Error::new(err.kind(), format!("{host}: {}", err.message())).with_http_status(answer.status)
        })?;
        response.set_duration(duration);
        self.log(LogLevel::Debug, || {
            let pairs: Vec<(String, String)> = response.iter().map(|(n, v)| (n.to_owned(), v.to_owned())).collect();
            format!("response: {}", redact(&masked(&pairs), sent))
        });
        let status = answer.status;
        let result = response.result().unwrap_or_default().to_owned();
        let gateway_error = || {
            let cause = response.get("error.cause").unwrap_or("no error.cause");
            let mut message = format!("gateway {host} answered HTTP {status} result=ERROR, {cause}");
            if let Some(explanation) = response.get("error.explanation") {
                message.push_str(": ");
                message.push_str(&redact(explanation, sent));
            }
            if let Some(field) = response.get("error.field") {
                let validation = response.get("error.validationType").unwrap_or("");
                message.push_str(&format!(" (field '{field}' {validation})"));
            }
            if let Some(code) = response.get("error.supportCode") {
                message.push_str(&format!(" [support code {code}]"));
            }
            message
        };
        let (kind, message) = match result.as_str() {
            _ if status == 401 => {
                (Kind::Authentication, format!("{} (check the merchant ID and API password)", gateway_error()))
            }
            "SUCCESS" if (200..300).contains(&status) => return Ok(response),
            "SUCCESS" => (Kind::Protocol, format!("gateway {host} answered result=SUCCESS with HTTP {status}")),
            "ERROR" => (Kind::Gateway, gateway_error()),
            "FAILURE" => (
                Kind::Declined,
                format!(
                    "gateway {host} declined the operation (result=FAILURE, response.gatewayCode={})",
                    response.get("response.gatewayCode").unwrap_or("absent")
                ),
            ),
            "PENDING" => (Kind::Pending, format!("gateway {host} answered result=PENDING")),
            other => (Kind::UnknownResult, format!("gateway {host} answered result={}", redact(other, sent))),
        };
        let mut error = Error::new(kind, message);
        if let Some(field) = response.get("error.field") {
            error = error.with_field(field);
        }
        self.log(LogLevel::Error, || error.message().to_owned());
        Err(error.with_response(response))
    }

    fn path_host(&self) -> &str {
        self.transport.host()
    }

    /// One `Info` line per attempt: operation, attempt number, where to, and
    /// the outcome with its duration.
    fn log_attempt(&self, operation: &str, attempt: u32, outcome: impl FnOnce() -> String) {
        self.log(LogLevel::Info, || {
            format!(
                "{operation} attempt {attempt} of {}: POST {}{} -> {}",
                self.config.retries + 1,
                self.endpoint,
                self.transport.route(),
                outcome()
            )
        });
    }

    fn log(&self, level: LogLevel, message: impl FnOnce() -> String) {
        if let Some((threshold, sink)) = &self.config.log {
            if level <= *threshold {
                sink(level, &message());
            }
        }
    }
}

fn is_server_busy(answer: &RawAnswer) -> bool {
    answer.status == 503
        && nvp::decode(&answer.body, nvp::Charset::Utf8)
            .map(|pairs| pairs.iter().any(|(n, v)| n == "error.cause" && v == "SERVER_BUSY"))
            .unwrap_or(false)
}

/// 200 ms, 400 ms, 800 ms, ... capped at 10 s, each plus up to 50% jitter.
fn backoff(attempt: u32) -> Duration {
    let base = RETRY_BASE_DELAY.saturating_mul(1 << attempt.saturating_sub(1).min(6)).min(Duration::from_secs(10));
    let random = RandomState::new().build_hasher().finish();
    base + base.mul_f64((random % 1000) as f64 / 2000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter() {
        for attempt in 1..=4 {
            let delay = backoff(attempt);
            let base = RETRY_BASE_DELAY * (1 << (attempt - 1));
            assert!(delay >= base && delay <= base + base / 2, "attempt {attempt}: {delay:?}");
        }
    }
}
