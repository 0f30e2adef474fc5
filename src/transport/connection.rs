//! gw's own connections under ureq: TCP, and TLS with the client's one
//! rustls configuration, below ureq's HTTP/1.1 and its keep-alive pool.
//!
//! Why gw does not use ureq's default connector:
//!
//! - **Session resumption.** gw gives every request its own deadline, which
//!   makes ureq treat the TLS settings as request-level and build a new
//!   rustls `ClientConfig` (and so an empty session cache) for every
//!   connection: every connection paid a full handshake. Here one
//!   `ClientConfig`, built once per client from that client's trust and
//!   client certificate, serves all its connections, so a connection after
//!   the first resumes the session (TLS 1.3 tickets, TLS 1.2 tickets or
//!   session IDs). Two clients never share one: each builds its own.
//! - **No secret left in a buffer.** ureq's buffers keep the last encoded
//!   request (password, card data) until the connection is dropped, which
//!   for a pooled connection is the client's life. Here the request bytes
//!   are wiped as soon as they are written (see [`Buffers`] below).
//! - **A lean warm call.** The request head and body go out in one write;
//!   socket timeouts are set only when they must shrink; a pooled
//!   connection is not probed before use (ureq's probe is an `ioctl`, a
//!   failing `recv` and another `ioctl` per call). A connection the server
//!   closed while it was idle is found by the failure of the next exchange
//!   before any answer byte, and the exchange is made again once on a fresh
//!   connection: see [`super::Transport::post`] for why that is safe.
//!
//! Each exchange records how far it got (resolve, connect, TLS, send,
//! receive) in a thread-local [`Progress`]: ureq runs a call's connector and
//! I/O on the calling thread, so the progress seen by the caller after a
//! failure is its own call's. The failure is classified from it, not from an
//! errno.

use std::cell::Cell;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};
use ureq::unversioned::transport::{ConnectionDetails, Connector, NextTimeout, Transport, TransportAdapter};
use zeroize::Zeroize;

use super::Phase;

/// How far the calling thread's current exchange got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Progress {
    /// The phase the exchange is in (or failed in).
    pub phase: Phase,
    /// The request went out on a pooled connection that had carried an
    /// earlier exchange.
    pub reused: bool,
    /// At least one byte of the answer arrived.
    pub answered: bool,
    /// The answer to a plain-http request began with a TLS record.
    pub speaks_tls: bool,
    /// Pooled connections are not to be used until a new one is made.
    pub fresh_only: bool,
}

impl Progress {
    const START: Progress =
        Progress { phase: Phase::Resolve, reused: false, answered: false, speaks_tls: false, fresh_only: false };
}

thread_local! {
    static PROGRESS: Cell<Progress> = const { Cell::new(Progress::START) };
}

/// The calling thread's progress (the start state when thread-locals are
/// gone, during thread exit).
pub(crate) fn progress() -> Progress {
    PROGRESS.try_with(Cell::get).unwrap_or(Progress::START)
}

/// Starts a new exchange on this thread; `fresh_only` makes it skip every
/// pooled connection.
pub(crate) fn begin(fresh_only: bool) {
    update(|p| *p = Progress { fresh_only, ..Progress::START });
}

fn update(change: impl FnOnce(&mut Progress)) {
    let _ = PROGRESS.try_with(|cell| {
        let mut progress = cell.get();
        change(&mut progress);
        cell.set(progress);
    });
}

/// Opens gw's connections: plain TCP to the proxy, or TCP (through the
/// proxy's tunnel when there is one) and TLS to the gateway.
pub(crate) struct GwConnector {
    tls: Arc<ClientConfig>,
    /// The client goes through a CONNECT proxy; its own connection to the
    /// proxy carries the CONNECT request, not the exchange, and does not
    /// record a send or a receive.
    proxied: bool,
}

impl GwConnector {
    pub(crate) fn new(tls: Arc<ClientConfig>, proxied: bool) -> GwConnector {
        GwConnector { tls, proxied }
    }
}

impl fmt::Debug for GwConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GwConnector").field("proxied", &self.proxied).finish()
    }
}

/// `timeout` as an instant, `None` when it never happens.
fn deadline_of(timeout: NextTimeout) -> Option<Instant> {
    timeout.not_zero().map(|after| Instant::now() + *after)
}

fn timed_out(timeout: NextTimeout) -> ureq::Error {
    ureq::Error::Timeout(timeout.reason)
}

impl<In: Transport> Connector<In> for GwConnector {
    type Out = GwTransport;

    fn connect(&self, details: &ConnectionDetails, chained: Option<In>) -> Result<Option<GwTransport>, ureq::Error> {
        // Connecting to the proxy is part of connecting too; what the
        // proxy leg does not record is the CONNECT request it sends.
        let proxy_leg = self.proxied && details.config.proxy().is_none();
        update(|p| {
            p.phase = Phase::Connect;
            p.fresh_only = false;
        });
        let deadline = deadline_of(details.timeout);
        let stream = match chained {
            Some(tunnel) => {
                if !details.needs_tls() {
                    // Refused by Transport::new: plain http never goes through a proxy.
                    return Err(ureq::Error::Tls("plain http through a proxy is refused"));
                }
                let mut adapter = TransportAdapter::new(tunnel.boxed(), details.current_time.clone());
                adapter.set_timeout(details.timeout);
                let tls = self.handshake(details, adapter, |_| Ok(()))?;
                Stream::Tunnel(Box::new(tls))
            }
            None => {
                let tcp = connect_tcp(details, deadline)?;
                if details.needs_tls() && !proxy_leg {
                    let tls = self.handshake(details, tcp, |tcp: &TcpStream| {
                        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()).max(MIN_TIMEOUT));
                        tcp.set_read_timeout(left)?;
                        tcp.set_write_timeout(left)
                    })?;
                    Stream::Tls(Box::new(tls))
                } else {
                    Stream::Tcp(tcp)
                }
            }
        };
        let plain = matches!(stream, Stream::Tcp(_));
        let socket_timeouts =
            if matches!(stream, Stream::Tls(_)) { SocketTimeouts::UNKNOWN } else { SocketTimeouts::NONE };
        Ok(Some(GwTransport {
            stream,
            buffers: Buffers::default(),
            pending: Vec::new(),
            timeouts: socket_timeouts,
            exchanges: 0,
            quiet: proxy_leg,
            plain,
            open: true,
        }))
    }
}

impl GwConnector {
    /// The TLS handshake over `socket`, with the client's one configuration.
    fn handshake<S: Read + Write>(
        &self,
        details: &ConnectionDetails,
        mut socket: S,
        arm: impl Fn(&S) -> io::Result<()>,
    ) -> Result<StreamOwned<ClientConnection, S>, ureq::Error> {
        update(|p| p.phase = Phase::Tls);
        let host = details.uri.host().unwrap_or_default();
        let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
        let name = ServerName::try_from(host.to_owned()).map_err(|_| ureq::Error::Tls("invalid TLS server name"))?;
        let mut conn = ClientConnection::new(self.tls.clone(), name)?;
        arm(&socket)?;
        while conn.is_handshaking() {
            match conn.complete_io(&mut socket) {
                Ok(_) => {}
                Err(err) if matches!(err.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                    return Err(timed_out(details.timeout))
                }
                Err(err) => return Err(err.into()),
            }
        }
        Ok(StreamOwned::new(conn, socket))
    }
}

/// The shortest socket timeout gw sets (a zero one means "none" to the OS).
const MIN_TIMEOUT: Duration = Duration::from_millis(1);

/// TCP to the first of the resolved addresses that accepts, within the
/// connect deadline.
fn connect_tcp(details: &ConnectionDetails, deadline: Option<Instant>) -> Result<TcpStream, ureq::Error> {
    let mut last = None;
    for addr in details.addrs.iter() {
        let attempt = match deadline {
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(timed_out(details.timeout));
                }
                TcpStream::connect_timeout(addr, left)
            }
            None => TcpStream::connect(addr),
        };
        match attempt {
            Ok(tcp) => {
                tcp.set_nodelay(true)?;
                return Ok(tcp);
            }
            Err(err) if matches!(err.kind(), io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock) => {
                last = Some(timed_out(details.timeout));
            }
            Err(err) => last = Some(err.into()),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::new(io::ErrorKind::ConnectionRefused, "no address to connect to").into()))
}

/// The byte stream under HTTP.
enum Stream {
    /// Plain TCP: to a loopback gateway, or to the proxy.
    Tcp(TcpStream),
    /// TLS over TCP.
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
    /// TLS through a proxy's CONNECT tunnel (itself a [`GwTransport`]).
    Tunnel(Box<StreamOwned<ClientConnection, TransportAdapter>>),
}

impl Stream {
    fn tcp(&self) -> Option<&TcpStream> {
        match self {
            Stream::Tcp(tcp) => Some(tcp),
            Stream::Tls(tls) => Some(tls.get_ref()),
            Stream::Tunnel(_) => None,
        }
    }

    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(tcp) => tcp.read(buf),
            Stream::Tls(tls) => tls.read(buf),
            Stream::Tunnel(tls) => tls.read(buf),
        }
    }

    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(tcp) => tcp.write(buf),
            Stream::Tls(tls) => tls.write(buf),
            Stream::Tunnel(tls) => tls.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Tcp(tcp) => tcp.flush(),
            Stream::Tls(tls) => tls.flush(),
            Stream::Tunnel(tls) => tls.flush(),
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
fn keeps(set: Option<Option<Duration>>, left: Option<Duration>) -> bool {
    match (set, left) {
        (Some(None), None) => true,
        (Some(Some(set)), Some(left)) => set <= left && set.saturating_mul(2) >= wanted(left),
        _ => false,
    }
}

fn wanted(left: Duration) -> Duration {
    if left > Duration::from_secs(1) {
        Duration::from_secs(left.as_secs())
    } else {
        left.max(MIN_TIMEOUT)
    }
}

/// One connection: a [`Stream`], its buffers, and the request bytes waiting
/// to be written.
pub(crate) struct GwTransport {
    stream: Stream,
    buffers: Buffers,
    /// The request as ureq hands it over (head, then body), written in one go
    /// when ureq starts waiting for the answer; wiped once written.
    pending: Vec<u8>,
    timeouts: SocketTimeouts,
    /// Requests written on this connection.
    exchanges: u32,
    /// The connection to a proxy: not the exchange, records no progress.
    quiet: bool,
    plain: bool,
    /// False once the connection failed or the server closed it.
    open: bool,
}

impl fmt::Debug for GwTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GwTransport").field("exchanges", &self.exchanges).field("open", &self.open).finish()
    }
}

impl GwTransport {
    /// Runs `op` until it completes, within `timeout`: the socket's timeout
    /// is lowered when needed, and an early time-out is tried again with
    /// what is left.
    fn within<T>(
        &mut self,
        timeout: NextTimeout,
        read: bool,
        mut op: impl FnMut(&mut Stream, &mut Buffers, &[u8]) -> io::Result<T>,
        pending: &[u8],
    ) -> Result<T, ureq::Error> {
        let deadline = deadline_of(timeout);
        loop {
            let left = match deadline {
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(timed_out(timeout));
                    }
                    Some(left)
                }
                None => None,
            };
            if let Stream::Tunnel(tls) = &mut self.stream {
                tls.get_mut().set_timeout(timeout);
            } else if let Some(tcp) = self.stream.tcp() {
                let set = if read { &mut self.timeouts.read } else { &mut self.timeouts.write };
                if !keeps(*set, left) {
                    let value = left.map(wanted);
                    if read { tcp.set_read_timeout(value) } else { tcp.set_write_timeout(value) }?;
                    *set = Some(value);
                }
            }
            match op(&mut self.stream, &mut self.buffers, pending) {
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err)
                    if matches!(err.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut)
                        && self.stream.tcp().is_some() =>
                {
                    continue
                }
                Err(err) => {
                    self.open = false;
                    return Err(err.into());
                }
                Ok(value) => return Ok(value),
            }
        }
    }

    /// Writes the pending request in one write (TLS: one record per 16 KiB,
    /// sent together), then wipes it.
    fn flush_pending(&mut self, timeout: NextTimeout) -> Result<(), ureq::Error> {
        if self.pending.is_empty() {
            return Ok(());
        }
        if !self.quiet {
            let reused = self.exchanges > 0;
            update(|p| {
                p.phase = Phase::Send;
                p.reused = reused;
            });
        }
        self.exchanges += 1;
        let pending = std::mem::take(&mut self.pending);
        let mut written = 0;
        let result = (|| {
            while written < pending.len() {
                written += self.within(timeout.for_write(), false, |s, _, p| s.write(&p[written..]), &pending)?;
            }
            self.within(timeout.for_write(), false, |s, _, _| s.flush(), &[])
        })();
        let mut pending = pending;
        pending.zeroize();
        // Keep the allocation (wiped) for the next request on this connection.
        self.pending = pending;
        result?;
        if !self.quiet {
            update(|p| p.phase = Phase::Receive);
        }
        Ok(())
    }
}

/// The largest request kept back before it is written: gw's requests are a
/// few kilobytes, so in practice all of it.
const MAX_PENDING: usize = 64 * 1024;

impl Transport for GwTransport {
    fn buffers(&mut self) -> &mut dyn ureq::unversioned::transport::Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        let output = &mut self.buffers.output[..amount];
        self.pending.extend_from_slice(output);
        output.zeroize();
        // ureq reads a request body through the free part of the input
        // buffer ("tmp") on its way to the output buffer: wipe it too.
        self.buffers.wipe_free_input(amount);
        if self.pending.len() >= MAX_PENDING {
            self.flush_pending(timeout)?;
        }
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.flush_pending(timeout)?;
        self.buffers.make_room();
        let amount = self.within(timeout.for_read(), true, |s, b, _| s.read(b.free_input()), &[])?;
        if amount == 0 {
            self.open = false;
        } else {
            let first = &self.buffers.input[self.buffers.end..self.buffers.end + amount];
            let looks_tls =
                self.plain && self.exchanges == 1 && self.buffers.start == self.buffers.end && is_tls_record(first);
            self.buffers.end += amount;
            if !self.quiet {
                update(|p| {
                    p.answered = true;
                    p.speaks_tls |= looks_tls;
                });
            }
        }
        Ok(amount > 0)
    }

    fn is_open(&mut self) -> bool {
        // No probe (see the module's doc): a connection the server has
        // closed is found by the next exchange, which is then made again on
        // a fresh one.
        self.open && !progress().fresh_only
    }

    fn is_tls(&self) -> bool {
        !matches!(self.stream, Stream::Tcp(_))
    }
}

/// Whether bytes received over plain HTTP are a TLS record (an alert or a
/// handshake, TLS 1.0–1.3): the server speaks HTTPS.
fn is_tls_record(bytes: &[u8]) -> bool {
    matches!(bytes, [0x15 | 0x16, 0x03, 0x00..=0x04, ..])
}

/// ureq's input and output buffers, wiped where a request passed and when
/// dropped. Allocated on first use.
#[derive(Default)]
pub(crate) struct Buffers {
    input: Vec<u8>,
    /// The unconsumed input is `input[start..end]`.
    start: usize,
    end: usize,
    /// The last input consumed made progress (ureq's contract).
    progress: bool,
    output: Vec<u8>,
}

/// Input read per `read`, and the window ureq encodes a request into.
const BUFFER_SIZE: usize = 16 * 1024;
/// ureq wants this much free input space to read a request body through.
const MIN_TMP: usize = 10 * 1024;

impl Buffers {
    fn allocate(&mut self) {
        if self.output.is_empty() {
            self.output = vec![0; BUFFER_SIZE];
            self.input = vec![0; BUFFER_SIZE];
        }
    }

    /// At least `min` bytes free after the unconsumed input.
    fn ensure_free(&mut self, min: usize) {
        self.allocate();
        if self.input.len() - self.end >= min {
            return;
        }
        self.input.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
        if self.input.len() - self.end < min {
            self.input.resize(self.end + min.max(BUFFER_SIZE), 0);
        }
    }

    fn make_room(&mut self) {
        self.ensure_free(1);
    }

    fn free_input(&mut self) -> &mut [u8] {
        let end = self.end;
        &mut self.input[end..]
    }

    fn wipe_free_input(&mut self, amount: usize) {
        let end = self.end;
        let stop = (end + amount).min(self.input.len());
        self.input[end..stop].zeroize();
    }
}

impl ureq::unversioned::transport::Buffers for Buffers {
    fn output(&mut self) -> &mut [u8] {
        self.allocate();
        &mut self.output
    }

    fn input(&self) -> &[u8] {
        &self.input[self.start..self.end]
    }

    fn input_append_buf(&mut self) -> &mut [u8] {
        self.make_room();
        self.free_input()
    }

    fn input_appended(&mut self, amount: usize) {
        self.end += amount;
    }

    fn input_consume(&mut self, amount: usize) {
        self.progress = amount > 0;
        self.start += amount;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    fn tmp_and_output(&mut self) -> (&mut [u8], &mut [u8]) {
        self.ensure_free(MIN_TMP);
        let end = self.end;
        (&mut self.input[end..], &mut self.output)
    }

    fn can_use_input(&self) -> bool {
        self.start < self.end && self.progress
    }
}

impl Drop for Buffers {
    fn drop(&mut self) {
        self.input.zeroize();
        self.output.zeroize();
    }
}

impl Drop for GwTransport {
    fn drop(&mut self) {
        self.pending.zeroize();
    }
}
