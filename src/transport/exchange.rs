//! One HTTP/1.1 exchange on one of gw's connections, spoken through
//! ureq-proto's client state machine (the sans-IO HTTP/1.1 code ureq itself
//! is built on): it writes the request head, reads the answer's head and
//! frames its body (Content-Length, chunked, close-delimited, 1xx interim
//! answers, `Connection: close`). gw parses no HTTP of its own; what it adds
//! is the I/O around it: one write of head and body, reads within the
//! call's deadline, the size limits, and the wiping.

use ureq_proto::client::{Call, RecvBodyResult, RecvResponseResult, SendRequestResult};
use ureq_proto::http::{header, Request};
use ureq_proto::BodyMode;

use super::connection::{Conn, MAX_ANSWER_HEAD};
use super::socket::{Deadline, Fault, Progress};
use super::{Answer, MAX_ANSWER_BYTES};
use crate::nvp;

/// The request head's buffer on the stack: gw's heads are about 250 bytes
/// (a fixed set of headers, the host and the endpoint's path; a longer
/// base URL gets a buffer on the heap). Kept under glibc's 2 KiB threshold
/// for `rep stosb`, since the buffer is zeroed per call.
const MAX_REQUEST_HEAD: usize = 1536;

/// Sends `template` (a POST with its fixed headers) with `fields`
/// form-encoded as its body, reads the answer and hands it to `read`.
/// Returns what `read` made of it, and whether the connection may carry
/// another exchange.
pub(crate) fn exchange<T>(
    conn: &mut Conn,
    template: &Request<()>,
    fields: &nvp::Form<'_>,
    deadline: Deadline,
    progress: &mut Progress,
    read: impl FnOnce(Answer<'_>) -> T,
) -> Result<(T, bool), Fault> {
    // The body first, encoded into the connection's output buffer (its
    // length is the Content-Length), then the head (no secret in it) moved
    // in front of it: one buffer, one write.
    conn.output.clear();
    fields.encode_into(&mut conn.output);
    let body_len = conn.output.len();
    let mut call = Call::new(template.clone()).map_err(Fault::Http)?;
    call.header(header::CONTENT_LENGTH, body_len).map_err(Fault::Http)?;
    let mut call = call.proceed();
    // The path and the host, each at most once, plus gw's fixed headers.
    let uri = template.uri();
    let bound =
        512 + uri.path_and_query().map_or(0, |p| p.as_str().len()) + uri.authority().map_or(0, |a| a.as_str().len());
    let (mut stack, mut heap) = ([0u8; MAX_REQUEST_HEAD], Vec::new());
    let head: &mut [u8] = if bound <= MAX_REQUEST_HEAD {
        &mut stack
    } else {
        heap.resize(bound, 0);
        &mut heap
    };
    let head_len = call.write(head).map_err(Fault::Http)?;
    conn.put_in_front(&head[..head_len]);
    let call = match call.proceed().map_err(Fault::Http)? {
        Some(SendRequestResult::SendBody(mut call)) => {
            call.consume_direct_write(body_len).map_err(Fault::Http)?;
            call.proceed()
        }
        Some(SendRequestResult::RecvResponse(call)) => Some(call),
        // No `Expect: 100-continue` is sent, and the whole head fits.
        Some(SendRequestResult::Await100(_)) | None => None,
    };
    let Some(mut call) = call else {
        return Err(Fault::Http(ureq_proto::Error::OutputOverflow));
    };
    conn.send(deadline, progress)?;

    // The answer's head; 1xx interim answers are consumed by ureq-proto.
    let response = loop {
        if !conn.input().is_empty() {
            let (used, response) = call.try_response(conn.input(), false).map_err(Fault::Http)?;
            conn.consume(used);
            if let Some(response) = response {
                break response;
            }
            if used > 0 {
                continue;
            }
        }
        if conn.receive(deadline, MAX_ANSWER_HEAD, progress)? == 0 {
            return Err(closed("before answering"));
        }
    };
    progress.status = Some(response.status().as_u16());
    let content_type = response.headers().get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok());

    // The body, into the connection's body buffer.
    let reusable = match call.proceed() {
        Some(RecvResponseResult::RecvBody(mut call)) => {
            let until_close = matches!(call.body_mode(), BodyMode::CloseDelimited);
            if let BodyMode::LengthDelimited(length) = call.body_mode() {
                if length > MAX_ANSWER_BYTES {
                    return Err(Fault::AnswerTooLarge(MAX_ANSWER_BYTES));
                }
            }
            let mut closed_by_server = false;
            while until_close || !call.can_proceed() {
                if !conn.input().is_empty() {
                    let (used, produced) =
                        conn.decode_body(|input, room| call.read(input, room)).map_err(Fault::Http)?;
                    if conn.body().len() as u64 > MAX_ANSWER_BYTES {
                        return Err(Fault::AnswerTooLarge(MAX_ANSWER_BYTES));
                    }
                    if used > 0 || produced > 0 {
                        continue;
                    }
                }
                // Over TLS `0` means close_notify: a TCP end without it is
                // an error (the answer may be cut anywhere), never the end
                // of a close-delimited body. Over plain HTTP a cut cannot be
                // told from the end (docs/transport.md).
                if conn.receive(deadline, MAX_ANSWER_HEAD, progress)? == 0 {
                    if until_close {
                        closed_by_server = true;
                        break;
                    }
                    return Err(closed("in the middle of the answer"));
                }
            }
            match call.proceed() {
                Some(RecvBodyResult::Cleanup(call)) => !closed_by_server && !call.must_close_connection(),
                // A redirect is an answer like any other: gw follows none.
                Some(RecvBodyResult::Redirect(call)) => !closed_by_server && !call.must_close_connection(),
                None => false,
            }
        }
        Some(RecvResponseResult::Cleanup(call)) => !call.must_close_connection(),
        Some(RecvResponseResult::Redirect(call)) => !call.must_close_connection(),
        None => false,
    };
    let answer = read(Answer { status: progress.status.unwrap_or_default(), content_type, body: conn.body() });
    // Bytes after the answer were not asked for: the connection is not reused.
    let reusable = conn.end_exchange() && reusable;
    Ok((answer, reusable))
}

/// The server closed the connection `when`.
fn closed(when: &str) -> Fault {
    Fault::Io(std::io::Error::new(
        std::io::ErrorKind::UnexpectedEof,
        format!("the server closed the connection {when}"),
    ))
}
