//! gw's connections: a connection opened (through the proxy's tunnel,
//! `proxy.rs`, and TLS, `tls.rs`, over the socket of `socket.rs`), the
//! buffers an HTTP/1.1 exchange (`exchange.rs`) reads and writes through,
//! and the one test of whether a connection holds anything
//! ([`Conn::pending`]).
//!
//! Why gw has its own connections:
//!
//! - **One deadline per call, in every phase.** Resolving, connecting, the
//!   proxy's answer, each TLS handshake step, each write and each read get
//!   what is left of the call's deadline ([`Deadline`]), never a renewed
//!   timeout: a server (or proxy) that trickles a byte at a time cannot hold
//!   the till past it. The proxy's answer head is also bounded in size
//!   (`proxy::MAX_PROXY_HEAD`).
//! - **No signal in the host.** Every write goes out with `MSG_NOSIGNAL`
//!   (std's `send` has it, `writev` does not, so vectored writes use
//!   `sendmsg`: `socket.rs`), and no write follows a failed one: a reset
//!   connection is an error, never a `SIGPIPE` that ends the till.
//! - **A connection is pooled and reused only when nothing is pending at
//!   any layer** ([`Conn::pending`]: gw's input buffer, rustls' plaintext,
//!   records rustls wants to send, a close_notify), and a pooled one is
//!   checked before a request is written on it ([`Conn::usable`]): one
//!   non-blocking peek, over TLS with the records that arrived while idle
//!   processed first, within bounds. A connection the server closed or
//!   reset while it was idle, or holding anything nobody asked for (an
//!   unsolicited `408`, an answer inside rustls, an alert rustls wants to
//!   send), is dropped and the request goes out on a fresh one, so no
//!   request is written where it can fail for a reason that was already
//!   there, and nothing that was waiting before the request is ever taken
//!   as its answer. Every operation pays the peek.
//! - **fork().** A connection belongs to the process that opened it: a
//!   forked child never reads, writes or closes (TLS `close_notify`) one of
//!   its parent's, it opens its own ([`forks`]).
//! - **Session resumption.** One `ClientConfig` per client serves all its
//!   connections, so a connection after the first resumes the TLS session.
//! - **No secret left in a buffer.** The request bytes are wiped as soon as
//!   they are written; answer bytes as soon as they are consumed, the decoded
//!   body and rustls' receive buffer once the exchange is over (see
//!   [`Conn::end_exchange`]). Freed blocks are wiped by the library's
//!   allocator (`src/wipe.rs`).
//!
//! Each exchange records how far it got (resolve, connect, TLS, send,
//! receive) in its [`Progress`]; a failure ([`Fault`]) is classified from
//! that, not from an errno.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::ClientConfig;
use zeroize::Zeroizing;

use crate::wipe::{wipe_bytes, wipe_vec};

use super::proxy;
use super::socket::{again, connect_tcp, resolve, Deadline, Fault, Idle, Progress, Socket, MIN_TIMEOUT};
use super::tls::Tls;
use super::Phase;

/// How many times this process is a forked child of a process that loaded
/// gw: a connection opened under another count belongs to an ancestor.
///
/// Counted by a `pthread_atfork` child handler, registered once: no system
/// call per call (glibc's `getpid` is one), and glibc removes the handler
/// when the library is unloaded.
#[cfg(unix)]
pub(crate) fn forks() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Once;
    static FORKS: AtomicU64 = AtomicU64::new(0);
    static WATCH: Once = Once::new();
    extern "C" fn in_child() {
        FORKS.fetch_add(1, Ordering::Relaxed);
    }
    WATCH.call_once(|| {
        // SAFETY: registers a handler that only increments an atomic (safe
        // in a child after fork: no lock, no allocation).
        unsafe { libc::pthread_atfork(None, None, Some(in_child)) };
    });
    FORKS.load(Ordering::Relaxed)
}

/// Windows has no fork.
#[cfg(not(unix))]
pub(crate) fn forks() -> u64 {
    0
}

/// The largest answer head gw reads from the gateway (ureq's limit, which
/// gw had before it spoke HTTP/1.1 through ureq-proto itself): the
/// gateway's heads are a few hundred bytes.
pub(crate) const MAX_ANSWER_HEAD: usize = 64 * 1024;

/// Where gw connects to: the gateway, directly or through the proxy's tunnel.
pub(crate) struct Route {
    /// The gateway's host (an IPv6 literal without brackets) and port.
    pub host: String,
    pub port: u16,
    /// `https`: TLS to the gateway.
    pub tls: bool,
    /// The proxy's host and port, and its `Proxy-Authorization` value
    /// (`Basic …`, wiped when the client is freed), when one is used.
    pub proxy: Option<(String, u16, Option<Zeroizing<String>>)>,
}

/// Opens gw's connections: TCP (through the proxy's tunnel when there is
/// one) and TLS to the gateway.
pub(crate) struct Connector {
    tls: Arc<ClientConfig>,
    route: Route,
    user_agent: &'static str,
}

impl fmt::Debug for Connector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connector").field("proxied", &self.route.proxy.is_some()).finish()
    }
}

impl Connector {
    pub(crate) fn new(tls: Arc<ClientConfig>, route: Route, user_agent: &'static str) -> Connector {
        Connector { tls, route, user_agent }
    }

    /// Whether connections are TLS (an `https` base URL).
    pub(crate) fn is_tls(&self) -> bool {
        self.route.tls
    }

    /// A new connection to the gateway, everything within `deadline`.
    pub(crate) fn open(&self, deadline: Deadline, progress: &mut Progress) -> Result<Conn, Fault> {
        let route = &self.route;
        progress.phase = Phase::Resolve;
        let addrs = match &route.proxy {
            Some((host, port, _)) => resolve(host, *port, deadline)?,
            None => resolve(&route.host, route.port, deadline)?,
        };
        progress.phase = Phase::Connect;
        let tcp = connect_tcp(&addrs, deadline)?;
        if let Some((_, _, authorization)) = &route.proxy {
            let authorization = authorization.as_ref().map(|value| value.as_str());
            proxy::tunnel(&route.host, route.port, self.user_agent, authorization, &tcp, deadline)?;
        }
        let (stream, timeouts) = if route.tls {
            let tls = Tls::handshake(&self.tls, &route.host, tcp, deadline, progress)?;
            (Stream::Tls(Box::new(tls)), SocketTimeouts::UNKNOWN)
        } else {
            (Stream::Tcp(Socket(tcp)), SocketTimeouts::NONE)
        };
        Ok(Conn {
            stream,
            timeouts,
            input: Vec::new(),
            start: 0,
            end: 0,
            output: Vec::new(),
            body: Vec::new(),
            body_len: 0,
            exchanges: 0,
            forks: forks(),
            idle_since: Instant::now(),
        })
    }
}

/// The byte stream under HTTP.
enum Stream {
    /// Plain TCP, to a loopback gateway.
    Tcp(Socket),
    /// TLS over TCP (through the proxy's tunnel when there is one).
    Tls(Box<Tls>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Tcp(socket) => &socket.0,
            Stream::Tls(tls) => &tls.socket.0,
        }
    }

    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(socket) => socket.read(buf),
            Stream::Tls(tls) => tls.read(buf),
        }
    }

    /// Takes bytes to send: TCP sends them, TLS encrypts them for [`Stream::flush`].
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(socket) => socket.write(buf),
            Stream::Tls(tls) => tls.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Tcp(_) => Ok(()),
            Stream::Tls(tls) => tls.flush(),
        }
    }
}

/// The read and write timeouts currently set on the socket.
#[derive(Clone, Copy)]
struct SocketTimeouts {
    read: Option<Option<Duration>>,
    write: Option<Option<Duration>>,
}

impl SocketTimeouts {
    /// Set by the TLS handshake to values not recorded.
    const UNKNOWN: SocketTimeouts = SocketTimeouts { read: None, write: None };
    /// A new socket: no timeout.
    const NONE: SocketTimeouts = SocketTimeouts { read: Some(None), write: Some(None) };
}

/// Whether a socket timeout `set` still bounds an operation that must end
/// within `left`, without needing a system call to change it.
///
/// A socket timeout no longer than what is left keeps the deadline: an
/// operation that times out early is tried again with what is then left. So
/// the timeout is changed only when it is longer than what is left (or
/// needlessly short), and it is set in whole seconds when more than a second
/// is left, so that the calls of a till, whose budgets differ by
/// microseconds, find it already right.
fn keeps(set: Option<Option<Duration>>, left: Duration) -> bool {
    matches!(set, Some(Some(set)) if set <= left && set.saturating_mul(2) >= wanted(left))
}

fn wanted(left: Duration) -> Duration {
    if left > Duration::from_secs(1) {
        Duration::from_secs(left.as_secs())
    } else {
        left.max(MIN_TIMEOUT)
    }
}

/// Bytes read per `read`, and the first size of each buffer.
const BUFFER_SIZE: usize = 16 * 1024;

/// One connection: its stream and the buffers its exchanges go through,
/// allocated once per connection and reused by every exchange on it.
pub(crate) struct Conn {
    stream: Stream,
    timeouts: SocketTimeouts,
    /// Bytes received and not yet consumed: `input[start..end]`.
    input: Vec<u8>,
    start: usize,
    end: usize,
    /// The request (head, then body), written in one go by [`Conn::send`]
    /// and wiped once written.
    pub(crate) output: Vec<u8>,
    /// The answer's body as decoded (chunks joined) is `body[..body_len]`,
    /// wiped by [`Conn::end_exchange`]. The buffer keeps its length (zeroes
    /// after `body_len`) so that no exchange pays to fill it again.
    body: Vec<u8>,
    body_len: usize,
    /// Requests written on this connection.
    exchanges: u32,
    /// [`forks`] when it was opened: another count means it is an
    /// ancestor process's connection.
    forks: u64,
    /// When its last exchange ended.
    idle_since: Instant,
}

impl fmt::Debug for Conn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Conn").field("exchanges", &self.exchanges).finish()
    }
}

impl Conn {
    /// Whether anything is pending at any layer above the socket: bytes in
    /// gw's input buffer, or anything rustls holds ([`Tls::pending`]:
    /// plaintext not read, a record it wants to send, the server's
    /// close_notify). The one test of "is anything pending?": a connection
    /// that holds something is never pooled after an exchange, nor reused
    /// from the pool, since whatever it holds would be taken as the next
    /// answer or would go out in front of the next request.
    fn pending(&mut self) -> bool {
        self.start != self.end
            || match &mut self.stream {
                Stream::Tcp(_) => false,
                Stream::Tls(tls) => tls.pending(),
            }
    }

    /// Whether a pooled connection can carry the next request: opened by
    /// this process, idle for at most `max_idle`, the socket quiet (one
    /// non-blocking peek; over TLS, records that arrived while it was idle
    /// are read and processed first, within bounds and `deadline`, see
    /// [`Tls::catch_up`]), and nothing pending ([`Conn::pending`]). A
    /// connection that fails this is dropped: the request goes out on a
    /// fresh one, nothing in doubt.
    pub(crate) fn usable(&mut self, max_idle: Duration, deadline: Deadline) -> bool {
        if self.forks != forks() || self.idle_since.elapsed() > max_idle {
            return false;
        }
        let idle = match &mut self.stream {
            Stream::Tcp(socket) => socket.idle(),
            Stream::Tls(tls) => tls.catch_up(deadline),
        };
        idle == Idle::Quiet && !self.pending()
    }

    /// Runs `op` until it completes, within `deadline`: the socket's
    /// timeout is lowered when needed, and an early time-out (or a TLS record
    /// not yet whole) is tried again with what is left.
    fn within<T>(
        &mut self,
        deadline: Deadline,
        read: bool,
        mut op: impl FnMut(&mut Stream, &mut [u8]) -> io::Result<T>,
    ) -> Result<T, Fault> {
        loop {
            let left = deadline.left()?;
            let set = if read { &mut self.timeouts.read } else { &mut self.timeouts.write };
            if !keeps(*set, left) {
                let value = Some(wanted(left));
                let tcp = self.stream.tcp();
                if read { tcp.set_read_timeout(value) } else { tcp.set_write_timeout(value) }?;
                *set = Some(value);
            }
            match op(&mut self.stream, &mut self.input[self.end..]) {
                Err(err) if again(&err) => continue,
                Err(err) => return Err(err.into()),
                Ok(value) => return Ok(value),
            }
        }
    }

    /// Puts `head` in front of what [`Conn::output`] holds (the body).
    pub(crate) fn put_in_front(&mut self, head: &[u8]) {
        let body_len = self.output.len();
        // Grown once, before the body is moved: a reallocation frees (and so
        // wipes) the old block.
        self.output.reserve_exact(head.len());
        self.output.extend_from_slice(head);
        self.output.copy_within(..body_len, head.len());
        self.output[..head.len()].copy_from_slice(head);
    }

    /// Writes [`Conn::output`] whole (the exchange is then in doubt), and
    /// wipes it whatever happened.
    pub(crate) fn send(&mut self, deadline: Deadline, progress: &mut Progress) -> Result<(), Fault> {
        progress.phase = Phase::Send;
        self.exchanges += 1;
        let output = std::mem::take(&mut self.output);
        let mut written = 0;
        let result = (|| {
            while written < output.len() {
                written += self.within(deadline, false, |stream, _| stream.write(&output[written..]))?;
            }
            self.within(deadline, false, |stream, _| stream.flush())
        })();
        self.output = output;
        // Only `len` bytes were ever written: a reallocation while the body
        // was encoded freed (and so wiped) the old block.
        wipe_bytes(&mut self.output);
        self.output.clear();
        result?;
        progress.phase = Phase::Receive;
        Ok(())
    }

    /// The bytes received and not yet consumed.
    pub(crate) fn input(&self) -> &[u8] {
        &self.input[self.start..self.end]
    }

    /// Decodes what the input holds of the body with `decode(input,
    /// room)` (ureq-proto's body reader: `(input consumed, bytes
    /// produced)`), appending to the body; the input consumed is wiped.
    pub(crate) fn decode_body<E>(
        &mut self,
        decode: impl FnOnce(&[u8], &mut [u8]) -> Result<(usize, usize), E>,
    ) -> Result<(usize, usize), E> {
        let room = self.end - self.start;
        if self.body.len() < self.body_len + room {
            // The old block is wiped by the allocator when `resize` frees it.
            self.body.resize(self.body_len + room.max(BUFFER_SIZE / 4), 0);
        }
        let (used, produced) = decode(&self.input[self.start..self.end], &mut self.body[self.body_len..])?;
        self.body_len += produced;
        self.consume(used);
        Ok((used, produced))
    }

    /// The answer's body decoded so far.
    pub(crate) fn body(&self) -> &[u8] {
        &self.body[..self.body_len]
    }

    /// Marks `amount` bytes of [`Conn::input`] consumed, and wipes them: the
    /// answer may quote secrets, and a pooled connection lives as long as
    /// the client.
    pub(crate) fn consume(&mut self, amount: usize) {
        wipe_bytes(&mut self.input[self.start..self.start + amount]);
        self.start += amount;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Reads more of the answer, within `deadline`, after what
    /// [`Conn::input`] holds; `Ok(0)` when the server closed the connection.
    /// The input may grow up to `limit` bytes unconsumed: past that,
    /// [`Fault::HeadTooLarge`].
    pub(crate) fn receive(
        &mut self,
        deadline: Deadline,
        limit: usize,
        progress: &mut Progress,
    ) -> Result<usize, Fault> {
        self.make_room(limit)?;
        let fresh = self.exchanges == 1 && self.end == 0;
        let amount = self.within(deadline, true, |stream, free| stream.read(free))?;
        if fresh && matches!(self.stream, Stream::Tcp(_)) && is_tls_record(&self.input[..amount]) {
            progress.speaks_tls = true;
            return Err(Fault::SpeaksTls);
        }
        self.end += amount;
        Ok(amount)
    }

    /// Free space after the unconsumed input: unconsumed bytes moved to the
    /// front (what they leave behind wiped), the buffer grown while the
    /// unconsumed input stays within `limit`.
    fn make_room(&mut self, limit: usize) -> Result<(), Fault> {
        if self.input.is_empty() {
            self.input = vec![0; BUFFER_SIZE];
        }
        if self.end < self.input.len() {
            return Ok(());
        }
        if self.start > 0 {
            self.input.copy_within(self.start..self.end, 0);
            let moved = self.end - self.start;
            wipe_bytes(&mut self.input[moved..self.end]);
            self.start = 0;
            self.end = moved;
            return Ok(());
        }
        if self.input.len() >= limit {
            return Err(Fault::HeadTooLarge);
        }
        // The old block is wiped by the allocator when `resize` frees it.
        self.input.resize((self.input.len() * 2).min(limit), 0);
        Ok(())
    }

    /// Ends an exchange: the decoded body and rustls' receive buffer (where
    /// records are decrypted in place) wiped, and the idle clock started.
    /// `true` when nothing is pending ([`Conn::pending`]) and the
    /// connection may be pooled; the socket is looked at before reuse.
    pub(crate) fn end_exchange(&mut self) -> bool {
        wipe_bytes(&mut self.body[..self.body_len]);
        self.body_len = 0;
        if let Stream::Tls(tls) = &mut self.stream {
            tls.wipe_received();
        }
        self.idle_since = Instant::now();
        !self.pending()
    }
}

/// Whether bytes received over plain HTTP are a TLS record (an alert or a
/// handshake, TLS 1.0–1.3): the server speaks HTTPS.
fn is_tls_record(bytes: &[u8]) -> bool {
    matches!(bytes, [0x15 | 0x16, 0x03, 0x00..=0x04, ..])
}

impl Drop for Conn {
    fn drop(&mut self) {
        wipe_vec(&mut self.input);
        wipe_vec(&mut self.output);
        wipe_vec(&mut self.body);
    }
}
