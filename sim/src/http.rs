//! A small HTTP/1.1 server side: reading requests (Content-Length bodies,
//! keep-alive, pipelining, `Expect: 100-continue`, size caps, time limits)
//! and writing responses, over plain TCP or rustls, with every wait bounded
//! and aware of server shutdown.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often a blocked read or write wakes up to check for shutdown.
pub const POLL: Duration = Duration::from_millis(100);

/// The byte stream of one connection.
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ServerConnection, TcpStream>>),
}

impl Stream {
    /// The TCP socket underneath.
    pub fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => &s.sock,
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted)
}

/// Size and time limits of the request reader.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Request line plus headers.
    pub max_header_bytes: usize,
    /// Request body.
    pub max_body_bytes: usize,
    /// How long a keep-alive connection may sit idle between requests.
    pub idle_timeout: Duration,
    /// How long one request may take to arrive once it has begun.
    pub request_timeout: Duration,
    /// How long a write may make no progress before the connection is dropped.
    pub write_stall: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_header_bytes: 16 * 1024,
            max_body_bytes: 64 * 1024,
            idle_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(10),
            write_stall: Duration::from_secs(10),
        }
    }
}

/// A parsed request.
#[derive(Debug)]
pub struct Request {
    pub method: String,
    /// The path without the query string.
    pub path: String,
    /// The query string (after `?`), empty when there is none.
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Whether the client keeps the connection open after this exchange.
    pub keep_alive: bool,
}

impl Request {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// A request that cannot be served: answered with this status, then closed.
#[derive(Debug, Clone)]
pub struct HttpError {
    pub status: u16,
    pub explanation: String,
}

impl HttpError {
    fn new(status: u16, explanation: impl Into<String>) -> HttpError {
        HttpError { status, explanation: explanation.into() }
    }
}

/// What reading the next request gave.
pub enum ReadOutcome {
    Request(Request),
    /// The client closed, went idle too long, or the server is stopping.
    Closed,
    /// A broken or oversized request.
    Error(HttpError),
}

/// One connection: its stream, bytes read ahead, and the shutdown flag.
pub struct Conn {
    pub stream: Stream,
    pending: Vec<u8>,
    shutdown: Arc<AtomicBool>,
    limits: Limits,
}

impl Conn {
    pub fn new(stream: Stream, shutdown: Arc<AtomicBool>, limits: Limits) -> Conn {
        Conn { stream, pending: Vec::new(), shutdown, limits }
    }

    pub fn stopping(&self) -> bool {
        self.shutdown.load(Ordering::SeqCst)
    }

    /// Reads more bytes into `pending`; Ok(false) on EOF. Times out at `deadline`.
    fn fill(&mut self, deadline: Instant) -> Result<bool, FillError> {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            if self.stopping() {
                return Err(FillError::Stopping);
            }
            if Instant::now() >= deadline {
                return Err(FillError::Timeout);
            }
            match self.stream.read(&mut chunk) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.pending.extend_from_slice(&chunk[..n]);
                    return Ok(true);
                }
                Err(e) if is_timeout(&e) => continue,
                Err(_) => return Err(FillError::Io),
            }
        }
    }

    /// Reads the next request.
    pub fn read_request(&mut self) -> ReadOutcome {
        let start = Instant::now();
        let idle_deadline = start + self.limits.idle_timeout;
        let mut request_deadline: Option<Instant> = None;
        // Headers.
        let head_end = loop {
            if let Some(i) = find(&self.pending, b"\r\n\r\n") {
                break i;
            }
            if self.pending.len() > self.limits.max_header_bytes {
                return ReadOutcome::Error(HttpError::new(431, "Request headers too large"));
            }
            let deadline = if self.pending.is_empty() {
                idle_deadline
            } else {
                *request_deadline.get_or_insert_with(|| Instant::now() + self.limits.request_timeout)
            };
            match self.fill(deadline) {
                Ok(true) => {}
                Ok(false) | Err(FillError::Io) | Err(FillError::Stopping) => return ReadOutcome::Closed,
                Err(FillError::Timeout) if self.pending.is_empty() => return ReadOutcome::Closed,
                Err(FillError::Timeout) => return ReadOutcome::Error(HttpError::new(408, "Request timed out")),
            }
        };
        if head_end > self.limits.max_header_bytes {
            return ReadOutcome::Error(HttpError::new(431, "Request headers too large"));
        }
        let head = match std::str::from_utf8(&self.pending[..head_end]) {
            Ok(h) => h.to_string(),
            Err(_) => return ReadOutcome::Error(HttpError::new(400, "Request headers are not valid text")),
        };
        self.pending.drain(..head_end + 4);
        let mut lines = head.split("\r\n");
        let request_line = lines.next().unwrap_or("");
        let mut parts = request_line.split(' ');
        let (method, target, version) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(m), Some(t), Some(v), None) if !m.is_empty() && !t.is_empty() => (m, t, v),
            _ => return ReadOutcome::Error(HttpError::new(400, "Malformed HTTP request line")),
        };
        let http11 = match version {
            "HTTP/1.1" => true,
            "HTTP/1.0" => false,
            _ => return ReadOutcome::Error(HttpError::new(505, "Only HTTP/1.0 and HTTP/1.1 are supported")),
        };
        let mut headers = Vec::new();
        for line in lines {
            match line.split_once(':') {
                Some((n, v)) if !n.is_empty() && !n.contains(' ') => {
                    headers.push((n.to_string(), v.trim().to_string()))
                }
                _ => return ReadOutcome::Error(HttpError::new(400, "Malformed HTTP header line")),
            }
        }
        let get = |name: &str| headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
        let connection = get("Connection").unwrap_or("").to_ascii_lowercase();
        let keep_alive = if http11 { !connection.contains("close") } else { connection.contains("keep-alive") };
        if get("Transfer-Encoding").is_some() {
            return ReadOutcome::Error(HttpError::new(
                501,
                "Transfer-Encoding is not supported: send the body with a Content-Length",
            ));
        }
        let lengths: Vec<&str> =
            headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case("Content-Length")).map(|(_, v)| v.as_str()).collect();
        let body_len: usize = match lengths.as_slice() {
            [] => 0,
            [one] => match one.parse::<u64>() {
                Ok(n) if n <= self.limits.max_body_bytes as u64 => n as usize,
                Ok(_) => {
                    return ReadOutcome::Error(HttpError::new(
                        413,
                        format!("Request body larger than {} bytes", self.limits.max_body_bytes),
                    ))
                }
                Err(_) => return ReadOutcome::Error(HttpError::new(400, "Invalid Content-Length")),
            },
            _ => return ReadOutcome::Error(HttpError::new(400, "More than one Content-Length")),
        };
        if body_len > self.pending.len()
            && get("Expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
            && self.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").is_err()
        {
            return ReadOutcome::Closed;
        }
        let deadline = request_deadline.unwrap_or_else(|| Instant::now() + self.limits.request_timeout);
        while self.pending.len() < body_len {
            match self.fill(deadline) {
                Ok(true) => {}
                Ok(false) | Err(FillError::Io) | Err(FillError::Stopping) => return ReadOutcome::Closed,
                Err(FillError::Timeout) => return ReadOutcome::Error(HttpError::new(408, "Request body timed out")),
            }
        }
        let body: Vec<u8> = self.pending.drain(..body_len).collect();
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let (path, query) = (path.to_string(), query.to_string());
        ReadOutcome::Request(Request { method: method.to_string(), path, query, headers, body, keep_alive })
    }

    /// Writes all of `data`, retrying through timeouts until the write stalls
    /// for longer than the limit or the server stops.
    pub fn write_all(&mut self, mut data: &[u8]) -> io::Result<()> {
        let mut last_progress = Instant::now();
        while !data.is_empty() {
            if self.stopping() {
                return Err(io::Error::new(io::ErrorKind::Interrupted, "server stopping"));
            }
            match self.stream.write(data) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    data = &data[n..];
                    last_progress = Instant::now();
                }
                Err(e) if is_timeout(&e) => {
                    if last_progress.elapsed() > self.limits.write_stall {
                        return Err(io::ErrorKind::TimedOut.into());
                    }
                }
                Err(e) => return Err(e),
            }
        }
        loop {
            match self.stream.flush() {
                Ok(()) => return Ok(()),
                Err(e) if is_timeout(&e) => {
                    if self.stopping() || last_progress.elapsed() > self.limits.write_stall {
                        return Err(io::ErrorKind::TimedOut.into());
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Holds the connection without answering until the client closes,
    /// `max` elapses, or the server stops. Whatever the client sends is discarded.
    pub fn hold_silently(&mut self, max: Option<Duration>) {
        let until = max.map(|m| Instant::now() + m);
        let mut sink = [0u8; 4096];
        loop {
            if self.stopping() || until.is_some_and(|u| Instant::now() >= u) {
                return;
            }
            match self.stream.read(&mut sink) {
                Ok(0) => return,
                Ok(_) => {}
                Err(e) if is_timeout(&e) => {}
                Err(_) => return,
            }
        }
    }
}

enum FillError {
    Timeout,
    Stopping,
    Io,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The reason phrase of a status code.
pub fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

/// The content type of every NVP answer.
pub const NVP_CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=UTF-8";

/// A response to write.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub extra_headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
    /// Close the connection after this response.
    pub close: bool,
}

impl Response {
    /// An NVP body with the NVP content type.
    pub fn nvp(status: u16, body: String) -> Response {
        Response {
            status,
            content_type: NVP_CONTENT_TYPE,
            extra_headers: Vec::new(),
            body: body.into_bytes(),
            close: false,
        }
    }

    /// Status line and headers, announcing `content_length` body bytes.
    pub fn head(&self, content_length: u64) -> Vec<u8> {
        let mut h = format!(
            "HTTP/1.1 {} {}\r\nServer: gw-sim\r\nContent-Type: {}\r\nContent-Length: {}\r\n",
            self.status,
            reason(self.status),
            self.content_type,
            content_length
        );
        for (n, v) in &self.extra_headers {
            h.push_str(&format!("{n}: {v}\r\n"));
        }
        if self.close {
            h.push_str("Connection: close\r\n");
        }
        h.push_str("\r\n");
        h.into_bytes()
    }

    /// The whole response as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.head(self.body.len() as u64);
        out.extend_from_slice(&self.body);
        out
    }
}
