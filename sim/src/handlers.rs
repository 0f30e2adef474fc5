//! The NVP endpoint: routing, authentication, validation with `gw::rules`,
//! faults; the operations each in the file of their object: `gateway.rs`
//! (CHECK_GATEWAY), `session.rs` (CREATE_SESSION, UPDATE_SESSION,
//! RETRIEVE_SESSION), `token.rs` (TOKENIZE, RETRIEVE_TOKEN, DELETE_TOKEN),
//! `payment.rs` (PAY, AUTHORIZE, CAPTURE, REFUND, VOID, VERIFY,
//! RETRIEVE_TRANSACTION, RETRIEVE_ORDER on the ledger); the ledger's own
//! resources (`GET /ledger.json`, `POST /admin/close-batch`).

mod gateway;
mod payment;
mod session;
mod token;

pub use token::UNDECRYPTABLE;

use crate::chaos::{Chaos, ChaosState};
use crate::config::{SimConfig, SUPPORTED_VERSIONS};
use crate::faults::{BusyCounters, Fault};
use crate::http::{HttpError, Request, Response, POLL};
use crate::inspector::{self, Entry, Inspector};
use crate::ledger::Ledger;
use crate::sessions::{Session, SessionError, Sessions};
use crate::tokens::Repository;
use gw::rules::{self, Completeness, FieldError, Operation, ValidationType};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const P2PE: &str = "sourceOfFunds.provided.card.p2pe.";
const F_PAYLOAD: &str = "sourceOfFunds.provided.card.p2pe.payload";
const F_KSN: &str = "sourceOfFunds.provided.card.p2pe.keySerialNumber";
const F_IV: &str = "sourceOfFunds.provided.card.p2pe.initializationVector";
const F_BIN: &str = "sourceOfFunds.provided.card.p2pe.cardBin";
const F_STATE: &str = "sourceOfFunds.provided.card.p2pe.encryptionState";
const F_NUMBER: &str = "sourceOfFunds.provided.card.number";
const F_MONTH: &str = "sourceOfFunds.provided.card.expiry.month";
const F_YEAR: &str = "sourceOfFunds.provided.card.expiry.year";
/// Fields of the request envelope, never stored in a session.
const ENVELOPE: [&str; 7] =
    ["apiOperation", "merchant", "correlationId", "apiUsername", "apiPassword", "session.id", "session.version"];

/// What the connection layer must do with a request.
pub enum Reply {
    /// Write this response.
    Respond(Response),
    /// A fault that needs the raw socket.
    Raw(RawFault),
}

/// Faults carried out on the socket itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RawFault {
    /// Part of the response, then a TCP reset.
    Reset,
    /// A Content-Length larger than the body sent.
    Truncate,
    /// A huge body streamed.
    Oversize,
    /// Random bytes that are no NVP body.
    Garbage,
    /// No answer (for at most the duration given).
    Silent(Option<Duration>),
}

/// Who chose the fault a request meets (`Gateway::choose_fault`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FaultSource {
    /// The request's `correlationId`.
    Request,
    /// The seeded chaos schedule.
    Chaos,
    /// The run (`SimConfig::fault`).
    Run,
}

impl FaultSource {
    /// The busy-then-ok and lost-then-ok counters count per correlationId
    /// for a fault the request chose, per run otherwise.
    fn counted_per_id<T>(self, t: T) -> Option<T> {
        (self == FaultSource::Request).then_some(t)
    }
}

/// An NVP error answer (`result=ERROR`).
#[derive(Debug, Clone)]
pub struct NvpError {
    status: u16,
    cause: &'static str,
    explanation: String,
    field: Option<String>,
    validation_type: Option<ValidationType>,
    support_code: Option<String>,
}

impl NvpError {
    fn invalid_request(status: u16, explanation: impl Into<String>) -> NvpError {
        NvpError {
            status,
            cause: "INVALID_REQUEST",
            explanation: explanation.into(),
            field: None,
            validation_type: None,
            support_code: None,
        }
    }

    fn field(field: &str, vt: ValidationType, explanation: impl Into<String>) -> NvpError {
        NvpError {
            field: Some(field.to_string()),
            validation_type: Some(vt),
            ..NvpError::invalid_request(400, explanation)
        }
    }

    fn unauthorized(explanation: &str) -> NvpError {
        NvpError::invalid_request(401, explanation)
    }

    fn server_busy() -> NvpError {
        NvpError {
            cause: "SERVER_BUSY",
            ..NvpError::invalid_request(
                503,
                "The server did not have enough resources to process the request at the moment (gw-sim fault)",
            )
        }
    }

    fn server_failed() -> NvpError {
        NvpError {
            cause: "SERVER_FAILED",
            explanation: String::new(),
            support_code: Some(format!("GWSIM{}", crate::rng::upper_alnum(8))),
            ..NvpError::invalid_request(500, "")
        }
    }

    /// REQUEST_REJECTED: a support code and no explanation, as SERVER_FAILED
    /// (tokenize.nvp-v50.txt:896, :914).
    fn request_rejected() -> NvpError {
        NvpError { cause: "REQUEST_REJECTED", status: 403, ..NvpError::server_failed() }
    }

    fn into_fields(self) -> BTreeMap<String, String> {
        let mut m = BTreeMap::new();
        m.insert("result".into(), "ERROR".into());
        m.insert("error.cause".into(), self.cause.into());
        if !self.explanation.is_empty() {
            m.insert("error.explanation".into(), self.explanation);
        }
        if let Some(f) = self.field {
            m.insert("error.field".into(), f);
        }
        if let Some(vt) = self.validation_type {
            m.insert("error.validationType".into(), vt.as_str().into());
        }
        if let Some(s) = self.support_code {
            m.insert("error.supportCode".into(), s);
        }
        m
    }
}

impl From<FieldError> for NvpError {
    fn from(e: FieldError) -> Self {
        let explanation = e.to_string();
        NvpError::field(&e.field, e.validation_type, explanation)
    }
}

/// An NVP answer: sorted keys, form-encoded, correlationId echoed.
///
/// A NUL byte a request smuggled in (an unknown field name echoed in
/// `error.field`, a `correlationId`) is echoed as U+FFFD: no gateway answer
/// carries a NUL, and a C client could not read it.
fn nvp_response(status: u16, mut fields: BTreeMap<String, String>, correlation_id: Option<&str>) -> Response {
    if let Some(c) = correlation_id {
        fields.insert("correlationId".into(), c.to_string());
    }
    let without_nul = |text: String| if text.contains('\0') { text.replace('\0', "\u{FFFD}") } else { text };
    let pairs: Vec<(String, String)> = fields.into_iter().map(|(k, v)| (without_nul(k), without_nul(v))).collect();
    Response::nvp(status, gw::nvp::encode(&pairs))
}

/// The answer to CREATE_SESSION and UPDATE_SESSION: the session's id,
/// version and update status.
fn session_answer(merchant: &str, s: &Session) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("merchant".to_owned(), merchant.to_owned()),
        ("result".to_owned(), "SUCCESS".to_owned()),
        ("session.id".to_owned(), s.id.clone()),
        ("session.updateStatus".to_owned(), s.update_status.to_owned()),
        ("session.version".to_owned(), s.version.clone()),
    ])
}

/// A TOKENIZE the gateway (or the acquirer) declined: HTTP 200,
/// `result=FAILURE` and the reason in `response.gatewayCode`
/// (tokenize.nvp-v50.txt:382-432); nothing is stored. TOKENIZE's answer has
/// no `merchant` field (the reference lists none).
fn declined(gateway_code: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("result".to_owned(), "FAILURE".to_owned()),
        ("response.gatewayCode".to_owned(), gateway_code.to_owned()),
    ])
}

fn error_response(e: NvpError, correlation_id: Option<&str>) -> Response {
    let status = e.status;
    let mut r = nvp_response(status, e.into_fields(), correlation_id);
    if status == 405 {
        r.extra_headers.push(("Allow", "POST".into()));
    }
    r
}

/// Constant-time comparison (the running time depends on lengths only).
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0xFF);
        diff |= usize::from(x ^ y);
    }
    diff == 0
}

/// A parameter of an `/admin/...` request, from the query or a form body
/// (a value may hold a bare `=`, as a chaos spec does).
fn admin_param(req: &Request, name: &str) -> Option<String> {
    let body = String::from_utf8_lossy(&req.body);
    req.query.split('&').chain(body.split('&')).find_map(|pair| {
        let (n, v) = pair.split_once('=')?;
        let one = format!("{n}={}", v.replace('=', "%3D"));
        let (n, v) = gw::nvp::decode(one.as_bytes(), gw::nvp::Charset::Utf8).ok()?.pop()?;
        (n == name).then_some(v)
    })
}

fn get<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// The request fields after decoding, wiped on drop (they carry card data and passwords).
struct Fields(Vec<(String, String)>);

impl Drop for Fields {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        for (_, v) in self.0.iter_mut() {
            v.zeroize();
        }
    }
}

/// The simulated gateway: shared by every connection.
pub struct Gateway {
    cfg: SimConfig,
    sessions: Sessions,
    repository: Repository,
    ledger: Ledger,
    busy: BusyCounters,
    chaos: ChaosState,
    inspector: Inspector,
    shutdown: Arc<AtomicBool>,
}

impl Gateway {
    /// A gateway with `cfg`; `shutdown` cuts its sleeps short.
    pub fn new(cfg: SimConfig, shutdown: Arc<AtomicBool>) -> Gateway {
        Gateway {
            sessions: Sessions::new(cfg.session_ttl),
            repository: Repository::new(&cfg.repository_id, cfg.token_strategy, cfg.repository_mode),
            ledger: Ledger::default(),
            busy: BusyCounters::default(),
            chaos: {
                let state = ChaosState::default();
                state.set(cfg.chaos.clone());
                state
            },
            inspector: Inspector::default(),
            shutdown,
            cfg,
        }
    }

    /// The token repository (for tests and inspection).
    pub fn repository(&self) -> &Repository {
        &self.repository
    }

    /// The ledger: every merchant's orders and transactions.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The request inspector (`GET /`, `GET /requests.json`).
    pub fn inspector(&self) -> &Inspector {
        &self.inspector
    }

    fn log(&self, what: &str, status: u16, result: &str) {
        self.log_line(format_args!("{what} -> {status} {result}"));
    }

    /// One line of the request log (never a field value).
    fn log_line(&self, line: std::fmt::Arguments<'_>) {
        if self.cfg.log {
            eprintln!("gw-sim: {line}");
        }
    }

    /// The answer to a request the HTTP layer could not read.
    pub fn http_error(&self, e: &HttpError) -> Response {
        self.log("HTTP", e.status, "ERROR");
        let mut r = error_response(NvpError::invalid_request(e.status, e.explanation.clone()), None);
        self.record("HTTP".into(), Vec::new(), &Reply::Respond(r.clone()));
        r.close = true;
        r
    }

    /// The answer when a handler panicked.
    pub fn internal_error(&self) -> Response {
        self.log("panic", 500, "ERROR");
        let mut r = error_response(NvpError::server_failed(), None);
        r.close = true;
        r
    }

    /// The answer when too many connections are open.
    pub fn too_many_connections(&self) -> Response {
        self.log("connection", 503, "ERROR (too many connections)");
        let mut r = error_response(NvpError::server_busy(), None);
        r.close = true;
        r
    }

    /// Sleeps, waking early when the server stops.
    fn sleep(&self, d: Duration) {
        let end = Instant::now() + d;
        while !self.shutdown.load(Ordering::SeqCst) {
            let now = Instant::now();
            if now >= end {
                return;
            }
            std::thread::sleep((end - now).min(POLL));
        }
    }

    /// Handles one request. `client_cn` is the subject CN of a verified
    /// client certificate (certificate authentication).
    pub fn handle(&self, req: &Request, client_cn: Option<&str>) -> Reply {
        if req.method == "GET" {
            let page = match req.path.split('?').next().unwrap_or("") {
                "/" => Some((200, "text/html; charset=UTF-8", self.inspector.html(&self.ledger))),
                "/requests.json" => Some((200, "application/json; charset=UTF-8", self.inspector.json())),
                "/ledger.json" => Some((200, "application/json; charset=UTF-8", self.ledger.json())),
                "/chaos.json" => Some((200, "application/json; charset=UTF-8", self.chaos.json())),
                // What a browser asks for beside the page: not a request to
                // list, nor a 404 to log.
                "/favicon.ico" => Some((404, "text/plain; charset=UTF-8", "gw-sim has no icon\n".to_owned())),
                _ => None,
            };
            if let Some((status, content_type, body)) = page {
                let extra_headers = vec![("Cache-Control", "no-store".to_owned())];
                return Reply::Respond(Response {
                    status,
                    content_type,
                    extra_headers,
                    body: body.into_bytes(),
                    close: false,
                });
            }
        }
        if req.method == "POST" && req.path.split('?').next() == Some("/admin/close-batch") {
            return Reply::Respond(self.close_batch(req));
        }
        if req.method == "POST" && req.path.split('?').next() == Some("/admin/chaos") {
            return Reply::Respond(self.set_chaos(req));
        }
        if let Some(reply) = self.information(req) {
            return reply;
        }
        let mut correlation_id: Option<String> = None;
        let mut operation: Option<String> = None;
        let mut seen = Vec::new();
        let result = self.handle_inner(req, client_cn, &mut correlation_id, &mut operation, &mut seen);
        let reply = match result {
            Ok(reply) => reply,
            Err(e) => {
                self.log(operation.as_deref().unwrap_or(&req.path), e.status, "ERROR");
                Reply::Respond(error_response(e, correlation_id.as_deref()))
            }
        };
        let what = operation.unwrap_or_else(|| format!("{} {}", req.method, req.path));
        self.record(what, seen, &reply);
        reply
    }

    /// Records a request and its answer in the inspector. `fields` are masked.
    fn record(&self, operation: String, fields: Vec<(String, String)>, reply: &Reply) {
        let mut entry = Entry { time: crate::time::now_iso8601(), operation, fields, ..Entry::default() };
        match reply {
            Reply::Raw(fault) => entry.outcome = format!("fault {fault:?}").to_lowercase(),
            Reply::Respond(r) => {
                entry.status = r.status;
                let pairs = if r.content_type.starts_with("application/x-www-form-urlencoded") {
                    gw::nvp::decode(&r.body, gw::nvp::Charset::Utf8).unwrap_or_default()
                } else {
                    Vec::new()
                };
                entry.answer = inspector::masked_answer(&pairs);
                let answer: BTreeMap<String, String> = pairs.into_iter().collect();
                entry.outcome = match answer.get("result") {
                    Some(result) => result.clone(),
                    None => format!("HTTP {} ({})", r.status, r.content_type),
                };
                if let Some(cause) = answer.get("error.cause") {
                    let mut error = cause.clone();
                    for key in ["error.field", "error.validationType", "error.explanation", "error.supportCode"] {
                        if let Some(v) = answer.get(key) {
                            let _ = std::fmt::Write::write_fmt(&mut error, format_args!("; {key}={v}"));
                        }
                    }
                    entry.error = Some(error);
                } else if let Some(code) = answer.get("response.gatewayCode").filter(|_| entry.outcome == "FAILURE") {
                    entry.error = Some(format!("response.gatewayCode={code}"));
                }
            }
        }
        self.inspector.record(entry);
    }

    fn handle_inner(
        &self,
        req: &Request,
        client_cn: Option<&str>,
        correlation_id: &mut Option<String>,
        operation: &mut Option<String>,
        seen: &mut Vec<(String, String)>,
    ) -> Result<Reply, NvpError> {
        let version = req.path.strip_prefix("/api/nvp/version/").ok_or_else(|| {
            NvpError::invalid_request(404, "No such resource: the NVP API is POST /api/nvp/version/{N}")
        })?;
        if req.method != "POST" {
            return Err(NvpError::invalid_request(405, "Method not allowed: the NVP API takes POST only"));
        }
        let version = check_version(version)?;
        let charset = body_charset(req.header("Content-Type"))?;
        let fields = Fields(
            gw::nvp::decode(&req.body, charset)
                .map_err(|e| NvpError::invalid_request(400, format!("Malformed request body: {e}")))?,
        );
        let fields = &fields.0;
        *seen = inspector::masked_fields(fields);
        *correlation_id = get(fields, "correlationId").map(str::to_string);
        // For the request log: the operation, when the body names a known one
        // (the log never carries a value the client chose freely).
        *operation = get(fields, "apiOperation").filter(|op| Operation::from_name(op).is_some()).map(str::to_string);

        // Faults come first: they simulate trouble in front of the gateway.
        let (fault, source) = self.choose_fault(fields, correlation_id.as_deref())?;
        if let Some(f) = fault {
            if let Some(reply) = self.apply_fault(f, source.counted_per_id(correlation_id.as_deref()).flatten()) {
                let what = operation.as_deref().unwrap_or(&req.path);
                match &reply {
                    Reply::Respond(resp) => {
                        self.log_line(format_args!("{what} -> {} (fault {})", resp.status, f.name()))
                    }
                    Reply::Raw(_) => self.log_line(format_args!("{what} -> fault {}", f.name())),
                }
                return Ok(reply);
            }
        }

        let merchant = self.authenticate(fields, client_cn)?;
        let op_name = get(fields, "apiOperation").ok_or_else(|| {
            NvpError::field("apiOperation", ValidationType::Missing, "field 'apiOperation' missing: is required")
        })?;
        let out = match Operation::from_name(op_name) {
            Some(Operation::CreateSession) => self.create_session(fields, &merchant, version)?,
            Some(Operation::Tokenize) => self.tokenize(fields, &merchant, version, client_cn.is_some())?,
            Some(Operation::UpdateSession) => self.update_session(fields, &merchant, version)?,
            Some(Operation::RetrieveSession) => self.retrieve_session(fields, &merchant, version)?,
            Some(Operation::RetrieveToken) => self.retrieve_token(fields, &merchant, version)?,
            Some(Operation::DeleteToken) => self.delete_token(fields, &merchant, version)?,
            Some(op) if op.is_transaction() => self.payment(op, fields, &merchant, version, fault)?,
            Some(op @ (Operation::RetrieveTransaction | Operation::RetrieveOrder)) => {
                self.retrieve(op, fields, &merchant, version)?
            }
            Some(Operation::CheckGateway) | Some(_) | None => {
                let known: Vec<&str> =
                    Operation::ALL.iter().filter(|op| !op.is_unauthenticated()).map(|op| op.name()).collect();
                return Err(NvpError::field(
                    "apiOperation",
                    ValidationType::Invalid,
                    format!(
                        "Unsupported apiOperation: gw-sim implements {} here, and CHECK_GATEWAY at /api/nvp/version/{{N}}/information",
                        known.join(", ")
                    ),
                ));
            }
        };
        if let Some(Fault::LostThenOk(n)) = fault {
            // A lost answer the chaos schedule drew is this request's own.
            if source == FaultSource::Chaos
                || self.busy.still_busy(n, source.counted_per_id(correlation_id.as_deref()).flatten())
            {
                self.log_line(format_args!("{op_name} processed -> fault lost-then-ok (answer lost)"));
                return Ok(Reply::Raw(RawFault::Reset));
            }
        }
        let result = out.get("result").cloned().unwrap_or_default();
        match fault {
            Some(f @ (Fault::AcquirerPending(_) | Fault::AcquirerUnknown(_) | Fault::AcquirerDelay(_)))
                if Operation::from_name(op_name).is_some_and(Operation::is_transaction) =>
            {
                self.log_line(format_args!("{op_name} -> 200 {result} (fault {})", f.name()))
            }
            _ => self.log(op_name, 200, &result),
        }
        Ok(Reply::Respond(nvp_response(200, out, correlation_id.as_deref())))
    }

    /// The fault a request meets, and who chose it: the request
    /// (`correlationId=gw-sim:fault=...`), else the seeded chaos schedule
    /// (`crate::chaos`; it may draw no fault), else the run
    /// (`SimConfig::fault`). The one place a fault is chosen.
    fn choose_fault(
        &self,
        fields: &[(String, String)],
        correlation_id: Option<&str>,
    ) -> Result<(Option<Fault>, FaultSource), NvpError> {
        match correlation_id.and_then(Fault::from_correlation_id) {
            Some(Ok(f)) => return Ok((Some(f), FaultSource::Request)),
            Some(Err(msg)) => {
                return Err(NvpError::field("correlationId", ValidationType::Invalid, format!("gw-sim fault: {msg}")))
            }
            None => {}
        }
        let op_name = get(fields, "apiOperation").unwrap_or("");
        let op = Operation::from_name(op_name);
        // A payment's identity is its ids: a resubmission is the same
        // identity's next occurrence (chaos.rs).
        let identity = match op {
            Some(o) if o.is_transaction() || o == Operation::RetrieveTransaction || o == Operation::RetrieveOrder => {
                format!(
                    "{op_name}|{}|{}",
                    get(fields, "order.id").unwrap_or(""),
                    get(fields, "transaction.id").unwrap_or("")
                )
            }
            _ => format!("{op_name}|{}", correlation_id.unwrap_or("")),
        };
        let payment = op.is_some_and(Operation::is_transaction);
        match self.chaos.draw(op.map_or("other", Operation::name), &identity, payment) {
            Some(draw) if draw.fault.is_some() => Ok((draw.fault, FaultSource::Chaos)),
            _ => Ok((self.cfg.fault, FaultSource::Run)),
        }
    }

    /// Carries out a fault; `None` means: go on and answer normally.
    fn apply_fault(&self, f: Fault, correlation_id: Option<&str>) -> Option<Reply> {
        let respond = |e: NvpError| Some(Reply::Respond(error_response(e, correlation_id)));
        match f {
            Fault::Delay(d) => {
                self.sleep(d);
                None
            }
            // Carried out once the request is processed (handle_inner).
            Fault::LostThenOk(_) => None,
            // Carried out by the payment operations (payment.rs); other
            // operations answer normally.
            Fault::AcquirerPending(_) | Fault::AcquirerUnknown(_) | Fault::AcquirerDelay(_) => None,
            Fault::BusyThenOk(n) => {
                if self.busy.still_busy(n, correlation_id) {
                    respond(NvpError::server_busy())
                } else {
                    None
                }
            }
            // A shut-down gateway accepts no request; CHECK_GATEWAY reads
            // the fault itself (gateway.rs) and answers SHUTDOWN.
            Fault::ServerBusy | Fault::Shutdown => respond(NvpError::server_busy()),
            Fault::ResultPending | Fault::ResultUnknown => {
                let result = if f == Fault::ResultPending { "PENDING" } else { "UNKNOWN" };
                let fields = BTreeMap::from([("result".to_owned(), result.to_owned())]);
                Some(Reply::Respond(nvp_response(200, fields, correlation_id)))
            }
            Fault::ServerFailed => respond(NvpError::server_failed()),
            Fault::RequestRejected => respond(NvpError::request_rejected()),
            Fault::Http500Html => Some(Reply::Respond(Response {
                status: 500,
                content_type: "text/html; charset=UTF-8",
                extra_headers: Vec::new(),
                body: b"<!DOCTYPE html>\n<html><head><title>500 Internal Server Error</title></head>\n<body><h1>Internal Server Error</h1><p>The server encountered an internal error (gw-sim fault).</p></body></html>\n".to_vec(),
                close: false,
            })),
            Fault::Reset => Some(Reply::Raw(RawFault::Reset)),
            Fault::Truncate => Some(Reply::Raw(RawFault::Truncate)),
            Fault::Oversize => Some(Reply::Raw(RawFault::Oversize)),
            Fault::Garbage => Some(Reply::Raw(RawFault::Garbage)),
            Fault::Silent(d) => Some(Reply::Raw(RawFault::Silent(d))),
        }
    }

    /// `POST /admin/close-batch[?merchant=ID]`: closes the day's batch of
    /// the merchant named (in the query or a form body), or of every
    /// configured merchant; its transactions can no longer be voided. A
    /// local administration resource of gw-sim (the gateway closes batches
    /// itself at the end of the day): no credentials. Answers JSON
    /// `{"batches":[{"merchant":ID,"batch":N}]}`, N the batch now open.
    fn close_batch(&self, req: &Request) -> Response {
        let named = admin_param(req, "merchant");
        let merchants: Vec<String> = match named {
            Some(m) => vec![m],
            None => self.cfg.merchants.iter().map(|m| m.id.clone()).collect(),
        };
        let mut body = String::from("{\"batches\":[");
        for (i, m) in merchants.iter().enumerate() {
            let batch = self.ledger.close_batch(m);
            body.push_str(&format!(
                "{}{{\"merchant\":{},\"batch\":{batch}}}",
                if i > 0 { "," } else { "" },
                inspector::json_string(m)
            ));
        }
        body.push_str("]}\n");
        self.log_line(format_args!("close-batch -> {} merchant(s)", merchants.len()));
        Response {
            status: 200,
            content_type: "application/json; charset=UTF-8",
            extra_headers: vec![("Cache-Control", "no-store".to_owned())],
            body: body.into_bytes(),
            close: false,
        }
    }

    /// `POST /admin/chaos` with `spec=SEED[,...]` (query or form body) starts
    /// a seeded chaos schedule (`crate::chaos`), counts from zero;
    /// `spec=off` stops it. No credentials, like `/admin/close-batch`.
    /// Answers `/chaos.json`, or HTTP 400 with the parse error.
    fn set_chaos(&self, req: &Request) -> Response {
        let spec = admin_param(req, "spec");
        let json = |status: u16, body: String| Response {
            status,
            content_type: "application/json; charset=UTF-8",
            extra_headers: vec![("Cache-Control", "no-store".to_owned())],
            body: body.into_bytes(),
            close: false,
        };
        let chaos = match spec.as_deref() {
            Some("off") => None,
            Some(s) => match Chaos::parse(s) {
                Ok(c) => Some(c),
                Err(e) => return json(400, format!("{{\"error\":{}}}\n", inspector::json_string(&e))),
            },
            None => return json(400, "{\"error\":\"give spec=SEED[,KIND=PERCENT...] or spec=off\"}\n".to_owned()),
        };
        self.log_line(format_args!("chaos -> {}", chaos.as_ref().map_or("off".to_owned(), Chaos::spec)));
        self.chaos.set(chaos);
        json(200, self.chaos.json())
    }

    /// The seeded chaos schedule (the listener draws refused connections).
    pub fn chaos(&self) -> &ChaosState {
        &self.chaos
    }

    /// The authenticated merchant: the client certificate's CN, or
    /// `apiUsername=merchant.<ID>` with the right `apiPassword`.
    fn authenticate(&self, fields: &[(String, String)], client_cn: Option<&str>) -> Result<String, NvpError> {
        const BAD: &str = "Invalid credentials: apiUsername must be merchant.<ID> and apiPassword its API password";
        let user = get(fields, "apiUsername");
        let password = get(fields, "apiPassword");
        let password_ok = |id: &str| match (password, self.cfg.merchants.iter().find(|m| m.id == id)) {
            (Some(pw), Some(m)) => ct_eq(pw.as_bytes(), m.password.as_bytes()),
            _ => false,
        };
        if let Some(cn) = client_cn {
            if user.is_some() || password.is_some() {
                let id = user.and_then(|u| u.strip_prefix("merchant."));
                if id != Some(cn) || !password_ok(cn) {
                    return Err(NvpError::unauthorized(BAD));
                }
            }
            return Ok(cn.to_string());
        }
        let id = match (user, password) {
            (Some(u), Some(_)) => u.strip_prefix("merchant.").ok_or_else(|| NvpError::unauthorized(BAD))?,
            _ => {
                return Err(NvpError::unauthorized(
                    "Authentication required: give apiUsername=merchant.<ID> and apiPassword, or use certificate authentication",
                ))
            }
        };
        if !password_ok(id) {
            return Err(NvpError::unauthorized(BAD));
        }
        Ok(id.to_string())
    }

    /// A request of `op` that needs no session: complete by the shared rules
    /// at API `version`, for the authenticated `merchant`.
    fn check_complete(
        op: Operation,
        version: u32,
        fields: &[(String, String)],
        merchant: &str,
    ) -> Result<(), NvpError> {
        rules::check_request(op, version, fields, Completeness::Complete)?;
        Self::check_merchant(fields, merchant)
    }

    /// A request of `op` that may complete itself from a session
    /// (`session.id`: "Values provided in the request will override values
    /// contained in the session", tokenize.nvp-v50.txt:63): checked by the
    /// shared rules (complete once merged) and for `merchant`. The merged
    /// fields when a session was used, else `None` (the request is complete).
    fn complete_request(
        &self,
        op: Operation,
        version: u32,
        request: &[(String, String)],
        merchant: &str,
    ) -> Result<Option<Fields>, NvpError> {
        let session_id = get(request, "session.id");
        let completeness = if session_id.is_some() { Completeness::MayUseSession } else { Completeness::Complete };
        rules::check_request(op, version, request, completeness)?;
        Self::check_merchant(request, merchant)?;
        let Some(id) = session_id else { return Ok(None) };
        let s = self.sessions.usable(merchant, id, get(request, "session.version")).map_err(session_error)?;
        let merged = Fields(crate::sessions::merge(s.fields(), request));
        rules::check_request(op, version, &merged.0, Completeness::Complete)?;
        Ok(Some(merged))
    }

    fn check_merchant(fields: &[(String, String)], merchant: &str) -> Result<(), NvpError> {
        match get(fields, "merchant") {
            Some(m) if m == merchant => Ok(()),
            Some(_) => Err(NvpError::field(
                "merchant",
                ValidationType::Invalid,
                "The merchant field does not match the authenticated merchant",
            )),
            None => Err(NvpError::field("merchant", ValidationType::Missing, "field 'merchant' missing: is required")),
        }
    }
}

fn session_error(e: SessionError) -> NvpError {
    let field = match e {
        SessionError::VersionMismatch => "session.version",
        SessionError::Unknown | SessionError::Expired | SessionError::NoUpdate | SessionError::UpdateFailed => {
            "session.id"
        }
    };
    NvpError::field(field, ValidationType::Invalid, e.explanation())
}

/// The `{N}` of `/api/nvp/version/{N}` must be one of the supported versions.
fn check_version(segment: &str) -> Result<u32, NvpError> {
    segment
        .parse::<u32>()
        .ok()
        .filter(|v| segment.bytes().all(|b| b.is_ascii_digit()) && SUPPORTED_VERSIONS.contains(v))
        .ok_or_else(|| {
            NvpError::invalid_request(
                404,
                format!(
                    "Unsupported API version: gw-sim answers versions {} to {}",
                    SUPPORTED_VERSIONS.start(),
                    SUPPORTED_VERSIONS.end()
                ),
            )
        })
}

/// `MMYY` from the request's expiry month and year.
fn request_expiry(fields: &[(String, String)]) -> Option<String> {
    let month: u32 = get(fields, F_MONTH)?.parse().ok()?;
    let year = get(fields, F_YEAR)?;
    Some(format!("{month:02}{year}"))
}

/// The charset of a request body from its Content-Type (ISO-8859-1 when none
/// is named, as the gateway assumes).
fn body_charset(content_type: Option<&str>) -> Result<gw::nvp::Charset, NvpError> {
    let Some(ct) = content_type else {
        return Ok(gw::nvp::Charset::Latin1);
    };
    let media = ct.split(';').next().unwrap_or("").trim();
    if !media.is_empty() && !media.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(NvpError::invalid_request(
            415,
            "Unsupported Content-Type: the NVP API takes application/x-www-form-urlencoded",
        ));
    }
    match gw::nvp::Charset::parameter(ct) {
        None => Ok(gw::nvp::Charset::Latin1),
        Some(name) => gw::nvp::Charset::from_name(name)
            .ok_or_else(|| NvpError::invalid_request(415, "Unsupported charset: use UTF-8 or ISO-8859-1")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_compare() {
        assert!(ct_eq(b"secret", b"secret"));
        assert!(!ct_eq(b"secret", b"secreT"));
        assert!(!ct_eq(b"secret", b"secret1"));
        assert!(!ct_eq(b"", b"x"));
        assert!(ct_eq(b"", b""));
    }

    #[test]
    fn charsets() {
        use gw::nvp::Charset;
        assert_eq!(body_charset(None).unwrap(), Charset::Latin1);
        assert_eq!(body_charset(Some("application/x-www-form-urlencoded")).unwrap(), Charset::Latin1);
        assert_eq!(body_charset(Some("application/x-www-form-urlencoded; charset=UTF-8")).unwrap(), Charset::Utf8);
        assert_eq!(body_charset(Some("application/x-www-form-urlencoded;charset=\"utf-8\"")).unwrap(), Charset::Utf8);
        assert!(body_charset(Some("application/json")).is_err());
        assert!(body_charset(Some("application/x-www-form-urlencoded; charset=shift_jis")).is_err());
    }
}
