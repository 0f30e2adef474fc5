//! The proxy's tunnel to the gateway: `CONNECT host:port`, the proxy's
//! answer read within the call's deadline and bounded in size
//! ([`MAX_PROXY_HEAD`]), parsed by ureq-proto (ureq's own HTTP/1.1 code).
//! What follows a successful answer is the gateway's TLS, in `tls.rs`.

use std::io::{Read, Write};
use std::net::TcpStream;

use zeroize::Zeroizing;

use super::socket::{again, arm, Deadline, Fault};

/// The largest answer head a proxy may send to a CONNECT: proxies answer
/// with a status line and a few headers.
pub(crate) const MAX_PROXY_HEAD: usize = 16 * 1024;

/// Opens the tunnel to `host`:`port` (an IPv6 literal without brackets)
/// over `tcp`, the connection to the proxy, with its `Proxy-Authorization`
/// value when there is one; within the deadline.
pub(super) fn tunnel(
    host: &str,
    port: u16,
    user_agent: &str,
    authorization: Option<&str>,
    tcp: &TcpStream,
    deadline: Deadline,
) -> Result<(), Fault> {
    let failed = |why: &str| Fault::Proxy { refused: false, why: why.to_owned() };
    let host = if host.contains(':') { format!("[{host}]") } else { host.to_owned() };
    let mut request = Zeroizing::new(format!(
        "CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: {user_agent}\r\n"
    ));
    if let Some(authorization) = authorization {
        request.push_str("Proxy-Authorization: ");
        request.push_str(authorization);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    // std's `send` on a TcpStream passes MSG_NOSIGNAL.
    let mut socket = tcp;
    let mut written = 0;
    while written < request.len() {
        arm(tcp, deadline)?;
        match socket.write(&request.as_bytes()[written..]) {
            Ok(n) => written += n,
            Err(err) if again(&err) => {}
            Err(err) => return Err(err.into()),
        }
    }
    let mut head = Zeroizing::new(vec![0u8; MAX_PROXY_HEAD]);
    let mut filled = 0;
    loop {
        if filled == head.len() {
            return Err(failed(&format!("its answer head is larger than {MAX_PROXY_HEAD} bytes")));
        }
        arm(tcp, deadline)?;
        let n = match socket.read(&mut head[filled..]) {
            Ok(0) => return Err(failed("it closed the connection without answering")),
            Ok(n) => n,
            Err(err) if again(&err) => continue,
            Err(err) => return Err(err.into()),
        };
        filled += n;
        let parsed = ureq_proto::parser::try_parse_response::<64>(&head[..filled])
            .map_err(|err| failed(&format!("its answer is not HTTP ({err})")))?;
        let Some((used, response)) = parsed else { continue };
        let status = response.status();
        if !status.is_success() {
            let reason = status.canonical_reason().unwrap_or("");
            let why = format!("it answered HTTP {} {reason}", status.as_u16());
            return Err(Fault::Proxy { refused: true, why });
        }
        if used != filled {
            // The gateway speaks only after the ClientHello: these bytes
            // are the proxy's, and nobody asked for them.
            return Err(failed("it sent bytes after its answer"));
        }
        return Ok(());
    }
}
