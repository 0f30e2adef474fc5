//! TLS on one of gw's connections: the handshake with the client's one
//! rustls configuration, reads and writes of records within the call's
//! deadline, and what rustls holds between exchanges.
//!
//! rustls keeps buffers of its own under gw's: records received and not yet
//! decrypted, plaintext decrypted and not yet read, records it wants to send
//! (an alert refusing a renegotiation, a close_notify). An answer can end
//! with something still inside them (issue 24: an unsolicited answer behind
//! a full-record one, the alert refusing a HelloRequest), and records can
//! arrive while the connection is idle in the pool (session tickets, key
//! updates, a HelloRequest, an alert). [`Tls::pending`] is what the
//! connection's one test of "is anything pending?" (`Conn::pending`) asks
//! of this layer, and [`Tls::catch_up`] is the idle check's bounded read of
//! what arrived while idle.
//!
//! rustls' own `Stream` is not used: it loops on reads without a deadline,
//! and after a failed write it swallows the error and writes again.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection};

use super::socket::{again, arm, is_timeout, Deadline, Fault, Idle, Progress, Socket};
use super::Phase;
use crate::wipe::wipe_bytes;

/// The most bytes the idle check reads from an idle connection: a healthy
/// server sends an idle connection a few hundred bytes at most (two session
/// tickets, a key update, a close_notify), all in one read; two full
/// records' worth leaves room for a slow sender's leftovers and bounds
/// what a peer that keeps sending can make the call decrypt.
const MAX_IDLE_INPUT: usize = 32 * 1024;

/// The longest the idle check works on an idle connection's records (never
/// past the call's deadline): its reads do not wait, so this is only ever
/// reached by a peer that keeps the socket full.
const MAX_IDLE_CHECK: Duration = Duration::from_millis(10);

/// A TLS connection over a [`Socket`].
pub(super) struct Tls {
    conn: ClientConnection,
    pub(super) socket: Socket,
}

impl Tls {
    /// The TLS handshake with `host` over `tcp`, with the client's one
    /// configuration, each step within what is left of the deadline.
    pub(super) fn handshake(
        config: &Arc<ClientConfig>,
        host: &str,
        tcp: TcpStream,
        deadline: Deadline,
        progress: &mut Progress,
    ) -> Result<Tls, Fault> {
        progress.phase = Phase::Tls;
        let name = ServerName::try_from(host.to_owned()).map_err(|_| Fault::TlsOther("invalid TLS server name"))?;
        let conn = ClientConnection::new(config.clone(), name)?;
        let mut tls = Tls { conn, socket: Socket(tcp) };
        let mut first_read = true;
        while tls.conn.is_handshaking() {
            arm(&tls.socket.0, deadline)?;
            let step = if tls.conn.wants_write() {
                tls.conn.write_tls(&mut tls.socket).map(|_| ())
            } else {
                if first_read {
                    match tls.answers_in_http()? {
                        // Nothing yet: back to the deadline check.
                        None => continue,
                        Some(true) => {
                            progress.speaks_http = true;
                            return Err(Fault::TlsOther("the server answered the TLS handshake with plain HTTP"));
                        }
                        Some(false) => first_read = false,
                    }
                }
                match tls.conn.read_tls(&mut tls.socket) {
                    Ok(0) => {
                        return Err(Fault::Io(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "the server closed the connection during the TLS handshake",
                        )))
                    }
                    Ok(_) => tls
                        .conn
                        .process_new_packets()
                        .map(|_| ())
                        .map_err(|err| io::Error::new(io::ErrorKind::InvalidData, err)),
                    Err(err) => Err(err),
                }
            };
            match step {
                Ok(()) => {}
                Err(err) if again(&err) => {}
                Err(err) => return Err(err.into()),
            }
        }
        Ok(tls)
    }

    /// Whether the server's first bytes are `HTTP/`: a plain-HTTP port.
    /// Waits (within the armed socket timeout) for the first bytes; `None`
    /// when none came in that time.
    fn answers_in_http(&self) -> Result<Option<bool>, Fault> {
        let mut first = [0u8; 5];
        match self.socket.0.peek(&mut first) {
            Ok(n) => Ok(Some(n > 0 && first[..n] == b"HTTP/"[..n])),
            Err(err) if is_timeout(&err) || err.kind() == io::ErrorKind::Interrupted => Ok(None),
            Err(err) => Err(err.into()),
        }
    }

    /// Plaintext already decrypted, or one read of records: a `WouldBlock`
    /// when no whole record has arrived yet, so that the caller checks its
    /// deadline between any two reads. `Ok(0)` only after the server's
    /// close_notify: a TCP end without it is an `UnexpectedEof` error, since
    /// over TLS only close_notify says that nothing was cut off.
    pub(super) fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.conn.reader().read(buf) {
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
            other => return other.map_err(cut),
        }
        self.conn.read_tls(&mut self.socket)?;
        self.conn.process_new_packets().map_err(|err| io::Error::new(io::ErrorKind::InvalidData, err))?;
        match self.conn.reader().read(buf) {
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                Err(io::Error::new(io::ErrorKind::WouldBlock, "no whole TLS record yet"))
            }
            other => other.map_err(cut),
        }
    }

    /// Takes bytes to send, encrypted into rustls' send buffer for
    /// [`Tls::flush`].
    pub(super) fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.conn.writer().write(buf)? {
            // rustls' send buffer is full (64 KiB): send it, then take more.
            0 if !buf.is_empty() => {
                self.flush()?;
                self.conn.writer().write(buf)
            }
            taken => Ok(taken),
        }
    }

    /// Sends every record rustls holds; the first failure ends it.
    pub(super) fn flush(&mut self) -> io::Result<()> {
        while self.conn.wants_write() {
            self.conn.write_tls(&mut self.socket)?;
        }
        Ok(())
    }

    /// Whether rustls holds anything between exchanges: plaintext not read
    /// (an answer nobody asked for), a record it wants to send (the alert
    /// refusing a renegotiation: a request written behind it is lost with
    /// the connection), the server's close_notify, or a failure. Records
    /// already received are processed first.
    ///
    /// A TLS 1.3 key update's answer is not among them: rustls sends it in
    /// front of the next request, as the protocol has it.
    pub(super) fn pending(&mut self) -> bool {
        match self.conn.process_new_packets() {
            Ok(state) => {
                state.plaintext_bytes_to_read() > 0 || state.tls_bytes_to_write() > 0 || state.peer_has_closed()
            }
            Err(_) => true,
        }
    }

    /// The idle check's look at the socket, with the records that arrived
    /// while the connection was idle read without waiting and processed:
    /// [`Idle::Quiet`] once the socket is quiet. At most [`MAX_IDLE_INPUT`]
    /// bytes and [`MAX_IDLE_CHECK`] (never past `deadline`): a peer that
    /// keeps sending cannot hold the call here, the connection is given up
    /// ([`Idle::Bytes`]). Anything pending ([`Tls::pending`]) ends it too.
    /// A quiet connection costs one non-blocking peek.
    pub(super) fn catch_up(&mut self, deadline: Deadline) -> Idle {
        let mut read = 0;
        let mut until = None;
        loop {
            match self.socket.idle() {
                Idle::Bytes => {}
                done => return done,
            }
            let until = *until.get_or_insert_with(|| deadline.at.min(Instant::now() + MAX_IDLE_CHECK));
            if read >= MAX_IDLE_INPUT || Instant::now() >= until {
                return Idle::Bytes;
            }
            match self.conn.read_tls(&mut NoWait(&self.socket)) {
                Ok(n) if n > 0 => read += n,
                _ => return Idle::Gone,
            }
            if self.pending() {
                return Idle::Bytes;
            }
        }
    }

    /// Wipes rustls' receive buffer, where records are decrypted in place
    /// and stay until overwritten: called when an exchange is over.
    pub(super) fn wipe_received(&mut self) {
        let _ = self.conn.read_tls(&mut Wiper);
    }
}

/// rustls' error for a TCP end without close_notify, in words: the answer
/// may have been cut anywhere (issue 24: a token shortened this way was
/// taken as whole).
fn cut(err: io::Error) -> io::Error {
    if err.kind() == io::ErrorKind::UnexpectedEof {
        io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the server closed the connection without TLS close_notify, so the answer may be cut short",
        )
    } else {
        err
    }
}

/// Reads through [`Socket::recv_now`]: what rustls reads an idle
/// connection's waiting records with.
struct NoWait<'a>(&'a Socket);

impl Read for NoWait<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.recv_now(buf, false)
    }
}

/// Wipes what rustls hands it to read into (its receive buffer's free
/// part, where decrypted records were left) and reads nothing.
struct Wiper;

impl Read for Wiper {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        wipe_bytes(buf);
        Err(io::ErrorKind::WouldBlock.into())
    }
}
