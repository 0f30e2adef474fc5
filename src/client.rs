//! The client: executes a request against the gateway and maps the answer.
//!
//! One call is a policy in four steps ([`Client::execute`]): complete the
//! request (`apiOperation`, `merchant`, authentication), validate it whole
//! against the field rules, send it (retrying only where the table in
//! [`crate::retry`] says a repeat is safe), and interpret the answer: decoded
//! whatever the HTTP status, `Ok` for `result=SUCCESS` and nothing else.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::thread;
use std::time::{Duration, Instant};

use crate::config::{Authentication, Config, LogLevel};
use crate::error::{Error, Kind, Result};
use crate::journal::{Closed, Intent, Journal};
use crate::masking::{masked, redact};
use crate::nvp;
use crate::request::Request;
use crate::response::{NotAnAnswer, Response};
use crate::retry::{self, Repeat, Setback};
use crate::rules::{self, Operation};
use crate::transport::{Answer, Failure, Transport};

/// A configured connection to the gateway.
///
/// A client is `Send + Sync`: share one between all the threads of a till.
/// It holds one keep-alive connection pool.
pub struct Client {
    config: Config,
    endpoint: String,
    /// `{endpoint}/information`, where CHECK_GATEWAY goes: built once, not per call.
    information: String,
    /// `apiUsername` (`merchant.{merchant}`) with password authentication,
    /// built once, not per call; `None` with a client certificate.
    api_username: Option<String>,
    /// The rule rows of the fields gw lays out itself (`apiOperation`,
    /// `merchant`), per operation in the order of [`Operation::ALL`]:
    /// looked up by name once, not per call.
    envelope_rows: [rules::RowMask; Operation::ALL.len()],
    /// Which of gw's own pairs (`apiOperation`, `merchant`, `apiUsername`,
    /// `apiPassword`: bits 0 to 3) the form encoding writes as they are,
    /// found once: the encoder then does not read them per call.
    own_form_plain: u64,
    transport: Transport,
    /// The payment journal, when one is configured ([`Config::set_journal`]).
    journal: Option<Journal>,
}

/// What recovery learned of an open intent ([`Client::recover_journal`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recovered {
    /// Approved, finally: the money moved.
    Approved,
    /// Declined, finally: no money moved; a new attempt needs a new `transaction.id`.
    Declined,
    /// The gateway does not know the transaction: the request never reached
    /// it. Safe to act on only by sending the payment again with the **same**
    /// ids, so that a late original meets its twin instead of charging twice.
    NotSent,
    /// Not final yet (pending at the acquirer, unknown, or the gateway could
    /// not be asked): the intent stays open for a later recovery.
    NotFinal,
}

/// How many fields [`Client::with_fields`] lays out on the stack: gw's four
/// and a P2PE TOKENIZE's six fit; a longer request takes one allocation.
const INLINE_FIELDS: usize = 12;

/// How the last attempt of a call ended.
enum Ended {
    /// The gateway answered with an NVP answer (of any `result`).
    Answer(Response),
    /// Something answered, but not with an NVP answer.
    NotAnAnswer(NotAnAnswer),
    /// The exchange failed.
    Failed(Failure),
}

impl Ended {
    /// What stands in the way of using this ending, for the retry policy;
    /// `None` for an ending no retry can improve on (an answer).
    fn setback(&self) -> Option<Setback> {
        match self {
            Ended::Answer(answer) => match (answer.http_status(), answer.get("error.cause")) {
                (503, Some("SERVER_BUSY")) => Some(Setback::ServerBusy),
                (500, Some("SERVER_FAILED")) => Some(Setback::ServerFailed),
                // Whatever the HTTP status (the gateway may say 409).
                _ if answer.get("response.gatewayCode") == Some("LOCK_FAILURE") => Some(Setback::Locked),
                _ => None,
            },
            Ended::NotAnAnswer(_) => None,
            // A cause that may pass (a connection that broke or timed out);
            // the table decides from the phase whether a repeat is safe.
            Ended::Failed(failure) if failure.transient => Some(Setback::Failed(failure.phase)),
            Ended::Failed(failure) => Some(Setback::Lasting(failure.phase)),
        }
    }
}

impl Client {
    /// Checks the whole configuration (reading certificate, key and CA files)
    /// and builds the client.
    ///
    /// The `merchant` gw sends is checked here, once, against the rule of
    /// every operation at the configured API version, not on every call.
    pub fn new(config: &Config) -> Result<Client> {
        config.check_complete()?;
        let merchant = config.merchant.as_deref().unwrap_or_default();
        for op in Operation::ALL {
            if op.rule_at(config.api_version, "merchant").is_some() {
                rules::check_field(op, config.api_version, "merchant", merchant).map_err(|err| {
                    Error::new(Kind::Config, format!("merchant ID {} at API version {}", err.rule, config.api_version))
                        .with_field("merchant")
                })?;
            }
        }
        let endpoint = config.endpoint().unwrap_or_default();
        let information = format!("{endpoint}/information");
        let transport = Transport::new(config, &[&endpoint, &information])?;
        let api_username = match &config.authentication {
            Some(Authentication::Password(_)) => Some(format!("merchant.{merchant}")),
            _ => None,
        };
        // As `with_fields` lays them out: none for CHECK_GATEWAY.
        let envelope_rows = Operation::ALL.map(|op| {
            if op.is_unauthenticated() {
                0
            } else {
                rules::rows_named(op, "apiOperation") | rules::rows_named(op, "merchant")
            }
        });
        let password = match &config.authentication {
            Some(Authentication::Password(password)) => password.as_str(),
            _ => "",
        };
        let own = [
            ("apiOperation", Operation::ALL.iter().all(|op| nvp::is_plain(op.name()))),
            ("merchant", nvp::is_plain(merchant)),
            ("apiUsername", api_username.as_deref().is_some_and(nvp::is_plain)),
            ("apiPassword", nvp::is_plain(password)),
        ];
        let own_form_plain = own
            .iter()
            .enumerate()
            .fold(0, |mask, (i, &(name, value))| mask | u64::from(nvp::is_plain(name) && value) << i);
        let journal = config.journal.as_deref().map(Journal::open).transpose()?;
        Ok(Client {
            journal,
            config: config.clone(),
            endpoint,
            information,
            api_username,
            envelope_rows,
            own_form_plain,
            transport,
        })
    }

    /// The endpoint requests go to: `{base}/api/nvp/version/{N}`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Executes a request: validates it whole, sends it, and maps the answer.
    ///
    /// `Ok` only for `result=SUCCESS`. Every other outcome is an [`Error`]
    /// that carries the gateway's answer whenever it gave a parseable one
    /// ([`Error::response`]); the error of a call that made more than one
    /// attempt says how many, and over how long.
    pub fn execute(&self, request: &Request) -> Result<Response> {
        self.execute_until(request, Instant::now() + self.config.timeout)
    }

    /// [`Client::execute`] within `deadline`.
    fn execute_until(&self, request: &Request, deadline: Instant) -> Result<Response> {
        self.with_fields(request, |fields| self.execute_checked(request, fields, deadline))?
    }

    /// Hands `f` the fields `request` is sent with: gw's own first
    /// (`apiOperation`, `merchant`, and with password authentication
    /// `apiUsername` and `apiPassword`; none for CHECK_GATEWAY, which sends
    /// no credentials), then the request's, once the whole is checked at the
    /// configured API version. What [`Client::execute`] sends; public so
    /// that the in-process benchmark runs the very same steps.
    ///
    /// The pairs borrow from the client and the request: no name or value
    /// is copied (the password stays where it is kept, zeroized), and up to
    /// [`INLINE_FIELDS`] pairs are laid out on the stack.
    ///
    /// Each value was checked against every API version's rule when it was
    /// set; here the configured version's row is looked up among those that
    /// accepted it ([`Request::check_at`]), then REQUIRED fields and
    /// cross-field rules are checked ([`rules::check_complete_rows`], from
    /// the rule rows each field remembers). gw's own
    /// values need no check per call: `apiOperation` is the operation's
    /// name, the `merchant` was checked by [`Client::new`], and the
    /// credentials are in no operation's rules.
    pub fn with_fields<T>(&self, request: &Request, f: impl FnOnce(&nvp::Form<'_>) -> T) -> Result<T> {
        let operation = request.operation();
        let version = self.config.api_version;
        request.check_at(version)?;
        let merchant = self.config.merchant.as_deref().unwrap_or_default();
        let mut own = [("apiOperation", operation.name()), ("merchant", merchant), ("", ""), ("", "")];
        let own_len = match (&self.api_username, &self.config.authentication) {
            _ if operation.is_unauthenticated() => 0,
            (Some(username), Some(Authentication::Password(password))) => {
                own[2] = ("apiUsername", username);
                own[3] = ("apiPassword", password);
                4
            }
            _ => 2,
        };
        let own = &own[..own_len];
        let count = own.len() + request.fields().len();
        let mut inline = [("", ""); INLINE_FIELDS];
        let heap: Vec<(&str, &str)>;
        let fields: &[(&str, &str)] = if count <= INLINE_FIELDS {
            for (slot, pair) in inline.iter_mut().zip(own.iter().copied().chain(request.fields())) {
                *slot = pair;
            }
            &inline[..count]
        } else {
            heap = own.iter().copied().chain(request.fields()).collect();
            &heap
        };
        let present = self.envelope_rows[operation as usize] | request.named_rows();
        rules::check_complete_rows(operation, version, present, fields, request.completeness())?;
        let own_plain = self.own_form_plain & ((1 << own_len) - 1);
        let plain = own_plain | request.form_plain_fields().checked_shl(own_len as u32).unwrap_or(0);
        Ok(f(&nvp::Form::with_known_plain(fields, plain)))
    }

    /// [`Client::execute`] once the fields are laid out and checked.
    ///
    /// Every error says whether the call is in doubt ([`Error::in_doubt`]):
    /// the last attempt's own doubt (a failure after the first request byte
    /// went out, an answer gw cannot read, a not-final answer,
    /// SERVER_FAILED), or an earlier attempt's, unless the gateway answered
    /// the repeat of the same request with what happened (any answer but
    /// SERVER_BUSY, which says only that the repeat was not processed).
    fn execute_checked(&self, request: &Request, fields: &nvp::Form<'_>, deadline: Instant) -> Result<Response> {
        let operation = request.operation().name();
        self.log(LogLevel::Debug, || format!("{operation} request: {}", masked(fields)));

        let started = Instant::now();
        let moves_money = request.operation().is_transaction();
        if let (true, Some(journal)) = (moves_money, &self.journal) {
            // Durably, before the first request byte: a failure here sends nothing.
            journal.record_intent(self.merchant(), request, deadline.saturating_duration_since(started))?;
        }
        let (ended, attempts, earlier_in_doubt) = self.send(request, fields, started, deadline);
        let outcome = match ended {
            Ended::Answer(answer) if request.operation() == Operation::CheckGateway => self.gateway_state(answer),
            Ended::Answer(answer) => match retry::settled_earlier(request.operation(), earlier_in_doubt, &answer) {
                Some(why) => {
                    self.log(LogLevel::Warn, || format!("{operation}: done ({why})"));
                    Ok(answer)
                }
                None => {
                    let busy = answer.get("error.cause") == Some("SERVER_BUSY");
                    self.interpret(request.operation(), answer, fields)
                        .map_err(|error| error.or_in_doubt(earlier_in_doubt && busy))
                }
            },
            Ended::NotAnAnswer(not) => {
                let message = format!("{}: {}", self.transport.host(), redact(&not.message(), fields));
                // Something answered, but not with what the gateway says
                // happened: the request may have been processed.
                Err(Error::new(Kind::Protocol, message).with_http_status(not.http_status()).with_in_doubt(true))
            }
            Ended::Failed(failure) => {
                let in_doubt = failure.phase.in_doubt() || earlier_in_doubt;
                Err(failure.error.with_in_doubt(in_doubt))
            }
        };
        let outcome = match outcome {
            Err(error) if moves_money && error.in_doubt() => self.settle(request, error, deadline),
            outcome => outcome,
        };
        self.journal_outcome(request, &outcome, deadline);
        outcome.map_err(|error| {
            let error = error.after_attempts(attempts, started.elapsed());
            let error = match request.operation().answers_a_transaction() {
                true => error.with_ids(
                    request.get("order.id").unwrap_or_default(),
                    request.get("transaction.id").unwrap_or_default(),
                ),
                false => error,
            };
            self.log(LogLevel::Error, || format!("{operation} failed: {error}"));
            error
        })
    }

    fn merchant(&self) -> &str {
        self.config.merchant.as_deref().unwrap_or_default()
    }

    /// Settles a money-moving call whose outcome is in doubt: polls
    /// RETRIEVE_TRANSACTION of its ids, waiting the backoff between polls,
    /// until the answer is final or the call's `deadline` would pass. The
    /// request itself was already resubmitted as the retry table allows
    /// ([`Client::send`]). Returns the final answer (RETRIEVE_TRANSACTION's),
    /// or the call's error, still in doubt, saying how many polls were made.
    fn settle(&self, request: &Request, error: Error, deadline: Instant) -> Result<Response> {
        let ids = (request.get("order.id").unwrap_or_default(), request.get("transaction.id").unwrap_or_default());
        let Ok(retrieve) = Request::retrieve_transaction(ids.0, ids.1) else { return Err(error) };
        let operation = request.operation().name();
        let mut last = error;
        let mut poll = 1;
        loop {
            let delay = self.backoff(poll);
            if Instant::now() + delay >= deadline {
                break;
            }
            self.log(LogLevel::Warn, || {
                format!(
                    "{operation}: not final ({}); RETRIEVE_TRANSACTION {poll} in {} ms",
                    last.kind().name().to_string_lossy(),
                    delay.as_millis()
                )
            });
            thread::sleep(delay);
            match self.execute_until(&retrieve, deadline) {
                Ok(response) => return Ok(response),
                Err(error) if error.kind() == Kind::Declined && !error.in_doubt() => return Err(error),
                // Still not final, or the gateway could not be asked: the
                // outcome stays in doubt; ask again while the budget lasts.
                Err(error) if error.in_doubt() || matches!(error.kind(), Kind::Connect | Kind::Timeout) => {
                    if matches!(error.kind(), Kind::Pending | Kind::UnknownResult) {
                        last = error;
                    }
                }
                // The gateway does not know the ids (its error answer): no
                // conclusion within the call (a late original may still
                // arrive); the payment stays in doubt.
                Err(_) => break,
            }
            poll += 1;
        }
        Err(last.with_polls(poll - 1))
    }

    /// Records a final outcome of a money-moving call, or of a
    /// RETRIEVE_TRANSACTION, in the journal; an outcome in doubt leaves the
    /// intent open. A failure to write is logged: the till has the outcome,
    /// and recovery would resolve the intent the same way.
    fn journal_outcome(&self, request: &Request, outcome: &Result<Response>, deadline: Instant) {
        let Some(journal) = &self.journal else { return };
        let operation = request.operation();
        if !operation.answers_a_transaction() {
            return;
        }
        let closed = match outcome {
            Ok(_) => Closed::Approved,
            Err(error) if error.kind() == Kind::Declined && !error.in_doubt() => Closed::Declined,
            Err(error) if !error.in_doubt() && operation.is_transaction() => Closed::NotProcessed,
            Err(_) => return,
        };
        let code = match outcome {
            Ok(response) => response.get("response.gatewayCode"),
            Err(error) => error.response().and_then(|response| response.get("response.gatewayCode")),
        };
        let order = request.get("order.id").unwrap_or_default();
        let transaction = request.get("transaction.id").unwrap_or_default();
        let wait = deadline.saturating_duration_since(Instant::now());
        if let Err(error) = journal.close(self.merchant(), order, transaction, closed, code, wait) {
            self.log(LogLevel::Error, || format!("{}: {error}", operation.name()));
        }
    }

    /// Resolves every open intent of the journal whose call is over (its
    /// process gone or its deadline passed) with RETRIEVE_TRANSACTION,
    /// records each final outcome, and hands each to `each`. Returns how many
    /// open intents may still belong to a running call (left alone). An
    /// intent recovery finds [`Recovered::NotFinal`] stays open; one it finds
    /// [`Recovered::NotSent`] is closed: the till sends it again with the
    /// same ids (which records a new intent) or lets it go.
    pub fn recover_journal(&self, mut each: impl FnMut(&Intent, Recovered, Option<&Response>)) -> Result<u32> {
        let Some(journal) = &self.journal else {
            return Err(Error::new(Kind::Config, "no payment journal is configured (gw_config_set_journal)"));
        };
        let (orphans, running) = journal.orphans(self.merchant())?;
        for intent in orphans {
            let outcome = self.retrieve_transaction(&intent.order_id, &intent.transaction_id);
            let recovered = match &outcome {
                Ok(_) => Recovered::Approved,
                Err(error) if error.kind() == Kind::Declined && !error.in_doubt() => Recovered::Declined,
                Err(error) if unknown_ids(error) => {
                    journal.close(
                        self.merchant(),
                        &intent.order_id,
                        &intent.transaction_id,
                        Closed::NotProcessed,
                        None,
                        self.config.timeout,
                    )?;
                    Recovered::NotSent
                }
                Err(_) => Recovered::NotFinal,
            };
            let response = match &outcome {
                Ok(response) => Some(response),
                Err(error) => error.response(),
            };
            each(&intent, recovered, response);
        }
        Ok(running)
    }

    /// Sends the request until an attempt ends in an answer or in a setback
    /// the policy does not retry, the retries run out, or the next wait would
    /// not fit in the call's timeout. Returns how the last attempt ended, how
    /// many attempts were made, and whether an earlier one ended in doubt
    /// (the gateway may have processed it).
    ///
    /// Every attempt sends the same body: a retry is a repeat of the request,
    /// which is what the policy table judges.
    fn send(
        &self,
        request: &Request,
        fields: &nvp::Form<'_>,
        started: Instant,
        deadline: Instant,
    ) -> (Ended, u32, bool) {
        let operation = request.operation().name();
        let repeat = Repeat::of(request, self.config.token_repository_unique_card);
        let retries = retry::retries_for(request.operation(), self.config.retries);
        let url = self.url(request.operation());
        let mut attempt = 1;
        let mut in_doubt = false;
        loop {
            let attempt_started = Instant::now();
            // Decoded once, here, straight from the connection's buffers: the
            // policy reads `error.cause`, the caller gets the same response,
            // timed to this moment.
            let decode = |raw: Answer<'_>| {
                let decoded = Response::from_http_with(
                    raw.status,
                    raw.content_type,
                    raw.body,
                    started.elapsed(),
                    request.operation().summary_fields(),
                );
                decoded.map_or_else(Ended::NotAnAnswer, Ended::Answer)
            };
            let budget = deadline.saturating_duration_since(attempt_started);
            let ended = self.transport.post(url, fields, budget, decode).unwrap_or_else(Ended::Failed);
            self.log_attempt(operation, url, (attempt, retries), &ended, attempt_started.elapsed());
            match self.wait_before_retry(operation, repeat, retries, &ended, attempt, deadline) {
                Some(delay) => thread::sleep(delay),
                None => return (ended, attempt, in_doubt),
            }
            in_doubt |= ended.setback().is_some_and(Setback::in_doubt);
            attempt += 1;
        }
    }

    /// Where a request of `operation` goes: the endpoint, or its
    /// `/information` resource for CHECK_GATEWAY ([`rules::CHECK_GATEWAY_PAGE`]:
    /// "HTTP Method GET, POST"; gw POSTs, as every other call, an empty form).
    fn url(&self, operation: Operation) -> &str {
        if operation.is_unauthenticated() {
            &self.information
        } else {
            &self.endpoint
        }
    }

    /// How long to wait before repeating the request after `ended`, or `None`
    /// for no repeat: the policy table says no, no retry is left, or the wait
    /// would not fit before `deadline`. Logs the decision.
    fn wait_before_retry(
        &self,
        operation: &str,
        repeat: Repeat,
        retries: u32,
        ended: &Ended,
        attempt: u32,
        deadline: Instant,
    ) -> Option<Duration> {
        let setback = ended.setback()?;
        let decision = retry::decide(repeat, setback);
        let reason = || match ended {
            Ended::Failed(failure) => failure.error.message().to_owned(),
            Ended::Answer(answer) => {
                format!("HTTP {} {}", answer.http_status(), answer.get("error.cause").unwrap_or_default())
            }
            Ended::NotAnAnswer(not) => not.message(),
        };
        if !decision.retry {
            if retries > 0 {
                self.log(LogLevel::Warn, || format!("{operation}: {}; no retry: {}", reason(), decision.why));
            }
            return None;
        }
        if attempt > retries {
            return None;
        }
        let delay = self.backoff(attempt);
        if Instant::now() + delay >= deadline {
            self.log(LogLevel::Warn, || format!("{operation}: {}; no retry, the call's timeout would pass", reason()));
            return None;
        }
        self.log(LogLevel::Warn, || {
            let ms = delay.as_millis();
            format!("{operation}: {}; retry {attempt} of {retries} in {ms} ms ({})", reason(), decision.why)
        });
        Some(delay)
    }

    /// Maps a decoded answer to the call's result: for the operations whose
    /// answer is a transaction's ([`Operation::answers_a_transaction`]) by
    /// the table in [`crate::outcome`] (`result` × `response.gatewayCode`),
    /// for the others by `result`; `result=ERROR` the same for every
    /// operation (in doubt only for `error.cause=SERVER_FAILED`: "an
    /// internal system failure" while processing).
    fn interpret(&self, operation: Operation, response: Response, sent: &[(&str, &str)]) -> Result<Response> {
        let host = self.transport.host();
        self.log(LogLevel::Debug, || {
            let pairs: Vec<(&str, &str)> = response.iter().collect();
            format!("response: {}", redact(&masked(&pairs), sent))
        });
        let status = response.http_status();
        // The session reads' pages show no `result` in the answer: one
        // without it (decoding found `session.id` there) is their success.
        let session_read = matches!(operation, Operation::RetrieveSession | Operation::UpdateSession);
        let result = response.result().unwrap_or(if session_read { "SUCCESS" } else { "" });
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
        let code = || response.get("response.gatewayCode").map_or("absent".to_owned(), |code| redact(code, sent));
        // A transaction's answer by the outcome table, whatever its HTTP
        // status, but a SUCCESS outside 2xx, which is no answer gw trusts.
        let ok_status = (200..300).contains(&status);
        let transaction = operation.answers_a_transaction() && (ok_status || result != "SUCCESS");
        let (kind, message, in_doubt) = match result {
            _ if status == 401 => {
                (Kind::Authentication, format!("{} (check the merchant ID and API password)", gateway_error()), false)
            }
            "ERROR" => (Kind::Gateway, gateway_error(), response.get("error.cause") == Some("SERVER_FAILED")),
            _ if transaction => match crate::outcome::of(&response) {
                Some(outcome) => match outcome.kind {
                    None => return Ok(response),
                    Some(kind) => (
                        kind,
                        format!(
                            "gateway {host}: {operation} result={}, response.gatewayCode={}: {}",
                            redact(result, sent),
                            code(),
                            outcome.why
                        ),
                        outcome.in_doubt,
                    ),
                },
                None => (Kind::Gateway, gateway_error(), false),
            },
            "SUCCESS" if ok_status => return Ok(response),
            "SUCCESS" => (Kind::Protocol, format!("gateway {host} answered result=SUCCESS with HTTP {status}"), true),
            "FAILURE" => (
                Kind::Declined,
                format!("gateway {host} declined the operation (result=FAILURE, response.gatewayCode={})", code()),
                false,
            ),
            "PENDING" => (Kind::Pending, format!("gateway {host} answered result=PENDING"), true),
            other => (Kind::UnknownResult, format!("gateway {host} answered result={}", redact(other, sent)), true),
        };
        let mut error = Error::new(kind, message).with_in_doubt(in_doubt);
        if let Some(field) = response.get("error.field") {
            error = error.with_field(field);
        }
        Err(error.with_response(response))
    }

    /// Maps CHECK_GATEWAY's answer ([`rules::CHECK_GATEWAY_PAGE`]), which
    /// has no `result`: `status=OPERATING` is `Ok`, `SHUTDOWN` is
    /// [`Kind::GatewayShutdown`]; an `error.*` answer is mapped as any other.
    fn gateway_state(&self, response: Response) -> Result<Response> {
        let host = self.transport.host();
        let (kind, message) = match (response.http_status(), response.get("status")) {
            (200..=299, Some("OPERATING")) => return Ok(response),
            (200..=299, Some("SHUTDOWN")) => (
                Kind::GatewayShutdown,
                format!("gateway {host} answered status=SHUTDOWN: it is not accepting requests"),
            ),
            _ if response.get("error.cause").is_some() => {
                return self.interpret(Operation::CheckGateway, response, &[])
            }
            (status, state) => (
                Kind::Protocol,
                format!(
                    "gateway {host} answered CHECK_GATEWAY with HTTP {status} and status={}",
                    state.map_or("absent", |_| "neither OPERATING nor SHUTDOWN")
                ),
            ),
        };
        // An answer that is neither state is unreadable: in doubt, as any other.
        let in_doubt = kind == Kind::Protocol;
        Err(Error::new(kind, message).with_in_doubt(in_doubt).with_response(response))
    }

    /// One `Info` line per attempt: operation, attempt number, where to, and
    /// the outcome with its duration.
    fn log_attempt(&self, operation: &str, url: &str, (attempt, retries): (u32, u32), ended: &Ended, took: Duration) {
        self.log(LogLevel::Info, || {
            let took = took.as_millis();
            let outcome = match ended {
                Ended::Answer(answer) => format!("HTTP {} ({took} ms)", answer.http_status()),
                Ended::NotAnAnswer(not) => format!("HTTP {} ({took} ms)", not.http_status()),
                Ended::Failed(failure) => format!("failed ({took} ms): {}", failure.error),
            };
            format!(
                "{operation} attempt {attempt} of {}: POST {url}{} -> {outcome}",
                retries + 1,
                self.transport.route(),
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

impl Client {
    /// The wait before retry `attempt` (or poll): the configured first wait
    /// ([`Config::set_backoff`], default 200 ms), doubled for each next one,
    /// at most the configured longest (default 10 s).
    fn backoff(&self, attempt: u32) -> Duration {
        let (first, max) = self.config.backoff;
        backoff(first, max, attempt)
    }
}

/// When RETRIEVE_TRANSACTION's error answer says the gateway does not know
/// the order or the transaction (gw-sim's HTTP 400 `INVALID_REQUEST` on
/// `order.id` or `transaction.id`; the reference does not say what the
/// gateway answers, `shared/spec/` payments §3.5): the request never reached it.
fn unknown_ids(error: &Error) -> bool {
    error.kind() == Kind::Gateway
        && !error.in_doubt()
        && error.response().is_some_and(|answer| {
            answer.get("error.cause") == Some("INVALID_REQUEST")
                && matches!(answer.get("error.field"), Some("order.id" | "transaction.id"))
        })
}

/// `first`, `2 × first`, `4 × first`, ... capped at `max`, each plus up to 50% jitter.
///
/// The jitter keeps the tills of a shop, cut off by the same outage, from
/// retrying in step. Its source is the standard library's random hash keys
/// (`RandomState`: seeded from the OS once per thread, then different for
/// each call): no dependency, and a wait needs no secret randomness.
fn backoff(first: Duration, max: Duration, attempt: u32) -> Duration {
    let base = first.saturating_mul(1 << attempt.saturating_sub(1).min(16)).min(max);
    let random = RandomState::new().build_hasher().finish();
    base + base.mul_f64((random % 1000) as f64 / 2000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(version: u32) -> Client {
        let mut config = Config::new();
        config.set_base_url("http://127.0.0.1:9").unwrap();
        config.set_merchant("M1").unwrap();
        config.set_api_password("pass-word").unwrap();
        config.set_api_version(version).unwrap();
        Client::new(&config).unwrap()
    }

    const P2PE: &str = "sourceOfFunds.provided.card.p2pe";

    /// A P2PE TOKENIZE (as `Request::tokenize_p2pe` builds it, one layer up).
    fn p2pe(token: Option<&str>, key_serial_number: &str) -> Request {
        let mut request = Request::new(Operation::Tokenize);
        if let Some(token) = token {
            request.set("token", token).unwrap();
        }
        request.set("sourceOfFunds.type", "CARD").unwrap();
        request.set(&format!("{P2PE}.keySerialNumber"), key_serial_number).unwrap();
        request.set(&format!("{P2PE}.payload"), &"AB".repeat(16)).unwrap();
        request
    }

    #[test]
    fn the_fields_sent_are_gws_then_the_requests_borrowed() {
        let request = p2pe(Some("T1"), "0123456789ABCDEF0123");
        let sent = client(50)
            .with_fields(&request, |fields| fields.iter().map(|&(n, v)| format!("{n}={v}")).collect::<Vec<_>>());
        let expected = [
            "apiOperation=TOKENIZE".to_owned(),
            "merchant=M1".to_owned(),
            "apiUsername=merchant.M1".to_owned(),
            "apiPassword=pass-word".to_owned(),
            "token=T1".to_owned(),
            "sourceOfFunds.type=CARD".to_owned(),
            format!("{P2PE}.keySerialNumber=0123456789ABCDEF0123"),
            format!("{P2PE}.payload={}", "AB".repeat(16)),
        ];
        assert_eq!(sent.unwrap(), expected);
        // Known plain by the rules (not read again by the encoder): gw's own
        // four here ("pass-word" is plain), the token (alphanumeric), the KSN
        // and payload (hex); not `sourceOfFunds.type` (an enumeration).
        let known = client(50).with_fields(&request, |fields| fields.known_plain()).unwrap();
        assert_eq!(known, 0b1101_1111, "{known:b}");
        let mut odd = Config::new();
        odd.set_base_url("http://127.0.0.1:9").unwrap();
        odd.set_merchant("M1").unwrap();
        odd.set_api_password("p&ss w=rd").unwrap();
        let odd = Client::new(&odd).unwrap();
        let known = odd.with_fields(&request, |fields| fields.known_plain()).unwrap();
        assert_eq!(known, 0b1101_0111, "the password is read and escaped: {known:b}");
        // CHECK_GATEWAY sends nothing, not even credentials.
        let none = client(50).with_fields(&Request::new(Operation::CheckGateway), |fields| fields.len());
        assert_eq!(none.unwrap(), 0);
        // Past the stack's room: the same fields, from the heap.
        let mut long = Request::new(Operation::UpdateSession);
        long.set("session.id", &"S".repeat(31)).unwrap();
        for (name, value) in [("correlationId", "c1"), ("token", "T1"), ("sourceOfFunds.type", "CARD")] {
            long.set(name, value).unwrap();
        }
        for (name, value) in [("number", "4111111111111111"), ("securityCode", "123"), ("expiry.month", "1")] {
            long.set(&format!("sourceOfFunds.provided.card.{name}"), value).unwrap();
        }
        long.set("sourceOfFunds.provided.card.expiry.year", "30").unwrap();
        long.set("transaction.currency", "EUR").unwrap();
        let names = client(50)
            .with_fields(&long, |fields| fields.iter().map(|(n, _)| n.to_string()).collect::<Vec<_>>())
            .unwrap();
        assert!(names.len() > INLINE_FIELDS, "{names:?}");
        assert_eq!(names[..4], ["apiOperation", "merchant", "apiUsername", "apiPassword"]);
        assert_eq!(names[4..], long.fields().map(|(n, _)| n).collect::<Vec<_>>());
    }

    /// A value some API version accepts is taken at `set`; the configured
    /// version's rule still decides, naming the field and the rule.
    #[test]
    #[cfg_attr(miri, ignore = "exhaustive logic with no unsafe code: runs natively (Miri is ~1,000 times slower)")]
    fn a_value_of_another_version_is_refused_at_the_configured_one() {
        let request = p2pe(None, "40F000000000000000000001");
        let err = client(50).execute(&request).unwrap_err();
        assert_eq!(
            (err.kind(), err.field()),
            (Kind::InvalidField, Some("sourceOfFunds.provided.card.p2pe.keySerialNumber"))
        );
        assert!(err.message().contains("must be exactly 20 hexadecimal digits"), "{}", err.message());
        assert!(err.message().contains("API version 84 and later accepts this value"), "{}", err.message());
        assert!(client(84).with_fields(&request, |_| ()).is_ok());
        // A REQUIRED field missing is still found before anything is sent.
        let mut partial = Request::new(Operation::Tokenize);
        partial.set("sourceOfFunds.type", "CARD").unwrap();
        partial.set(&format!("{P2PE}.cardBin"), "411111").unwrap();
        let err = client(50).execute(&partial).unwrap_err();
        assert_eq!(err.field(), Some("sourceOfFunds.provided.card.p2pe.keySerialNumber"));
    }

    /// The session reads need no `result` (no page shows one there): an
    /// answer with `session.id` is their success; without either it is no
    /// NVP answer. Every other operation needs `result`.
    #[test]
    fn a_session_read_needs_no_result() {
        let answer = |op: Operation, body: &[u8]| {
            let form = Some(nvp::FORM_CONTENT_TYPE);
            Response::from_http_with(200, form, body, Duration::ZERO, op.summary_fields())
        };
        let body = b"merchant=M1&session.id=SESSION0002123456789012345678901&session.version=1a2b3c4d5e";
        for op in [Operation::RetrieveSession, Operation::UpdateSession] {
            let response = answer(op, body).expect("an NVP answer");
            let response = client(50).interpret(op, response, &[]).expect("a success");
            assert_eq!(response.get("session.version"), Some("1a2b3c4d5e"));
            assert!(answer(op, b"merchant=M1").is_err(), "{op}: neither result nor session.id");
        }
        for op in [Operation::CreateSession, Operation::Pay, Operation::RetrieveToken] {
            assert!(answer(op, body).is_err(), "{op} needs result");
        }
    }

    /// A payment's answer maps by the outcome table whatever its HTTP
    /// status (but a SUCCESS outside 2xx); `result=ERROR` and 401 as for
    /// every operation; each with its in-doubt flag.
    #[test]
    fn a_payment_answer_maps_to_its_status_and_doubt() {
        let cases: [(u16, &str, Option<Kind>, bool); 9] = [
            (200, "result=SUCCESS&response.gatewayCode=APPROVED", None, false),
            (200, "result=SUCCESS&response.gatewayCode=SUBMITTED", Some(Kind::Pending), true),
            (200, "result=FAILURE&response.gatewayCode=DECLINED", Some(Kind::Declined), false),
            (409, "result=FAILURE&response.gatewayCode=LOCK_FAILURE", Some(Kind::Pending), true),
            (200, "result=UNKNOWN&response.gatewayCode=UNKNOWN", Some(Kind::UnknownResult), true),
            (500, "result=SUCCESS&response.gatewayCode=APPROVED", Some(Kind::Protocol), true),
            (500, "result=ERROR&error.cause=SERVER_FAILED", Some(Kind::Gateway), true),
            (400, "result=ERROR&error.cause=INVALID_REQUEST&error.field=order.id", Some(Kind::Gateway), false),
            (401, "result=ERROR&error.cause=REQUEST_REJECTED", Some(Kind::Authentication), false),
        ];
        for op in [Operation::Pay, Operation::RetrieveTransaction] {
            for (status, body, kind, in_doubt) in cases {
                let form = Some(nvp::FORM_CONTENT_TYPE);
                let answer =
                    Response::from_http_with(status, form, body.as_bytes(), Duration::ZERO, op.summary_fields());
                let outcome = client(100).interpret(op, answer.unwrap(), &[]);
                let got = outcome.as_ref().err().map(|err| (err.kind(), err.in_doubt()));
                assert_eq!(got, kind.map(|kind| (kind, in_doubt)), "{op} HTTP {status} {body}");
            }
        }
    }

    /// The setbacks the retry table judges, read from answers: LOCK_FAILURE
    /// whatever its HTTP status, SERVER_BUSY and SERVER_FAILED by theirs.
    #[test]
    fn answers_that_are_setbacks() {
        let cases = [
            (200, "result=FAILURE&response.gatewayCode=LOCK_FAILURE", Some(Setback::Locked)),
            (409, "result=FAILURE&response.gatewayCode=LOCK_FAILURE", Some(Setback::Locked)),
            (503, "result=ERROR&error.cause=SERVER_BUSY", Some(Setback::ServerBusy)),
            (500, "result=ERROR&error.cause=SERVER_FAILED", Some(Setback::ServerFailed)),
            (200, "result=FAILURE&response.gatewayCode=DECLINED", None),
            (200, "result=PENDING&response.gatewayCode=PENDING", None),
        ];
        for (status, body, want) in cases {
            let form = Some(nvp::FORM_CONTENT_TYPE);
            let summary = Operation::Pay.summary_fields();
            let answer = Response::from_http_with(status, form, body.as_bytes(), Duration::ZERO, summary).unwrap();
            assert_eq!(Ended::Answer(answer).setback(), want, "HTTP {status} {body}");
        }
    }

    #[test]
    fn backoff_grows_with_jitter() {
        for attempt in 1..=4 {
            let delay = backoff(Duration::from_millis(200), Duration::from_secs(10), attempt);
            let base = Duration::from_millis(200) * (1 << (attempt - 1));
            assert!(delay >= base && delay <= base + base / 2, "attempt {attempt}: {delay:?}");
        }
    }
}
