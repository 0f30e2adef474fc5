//! CHECK_GATEWAY: the `/api/nvp/version/{N}/information` resource, GET and
//! POST, with no authentication and no request fields (the reference's
//! Check Gateway page, `gw::rules::CHECK_GATEWAY_PAGE`).

use super::{check_version, error_response, nvp_response, Gateway, NvpError, Reply};
use crate::faults::Fault;
use crate::http::Request;
use crate::inspector;
use gw::rules::Operation;
use std::collections::BTreeMap;

/// `gatewayVersion`: ASCII, 5 to 32 characters.
const GATEWAY_VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "-gw-sim");

impl Gateway {
    /// The answer when `req` is for the `/information` resource; `None`
    /// for any other path.
    pub(super) fn information(&self, req: &Request) -> Option<Reply> {
        let path = req.path.split('?').next().unwrap_or("");
        let version = path.strip_prefix("/api/nvp/version/")?.strip_suffix("/information")?;
        let operation = Operation::CheckGateway.name();
        // What came on the wire, masked, for the inspector: the reference
        // lists no field, and gw sends none (no credentials either).
        let seen = gw::nvp::decode(&req.body, gw::nvp::Charset::Utf8)
            .map(|fields| inspector::masked_fields(&fields))
            .unwrap_or_default();
        let reply = match self.check_gateway(&req.method, version) {
            Ok(reply) => reply,
            Err(e) => {
                let status = e.status;
                let mut response = error_response(e, None);
                if status == 405 {
                    response.extra_headers = vec![("Allow", "GET, POST".into())];
                }
                Reply::Respond(response)
            }
        };
        match &reply {
            Reply::Respond(r) => self.log(operation, r.status, if r.status == 200 { "answered" } else { "ERROR" }),
            Reply::Raw(fault) => self.log_line(format_args!("{operation} -> fault {fault:?}")),
        }
        self.record(operation.to_owned(), seen, &reply);
        Some(reply)
    }

    fn check_gateway(&self, method: &str, version: &str) -> Result<Reply, NvpError> {
        if method != "GET" && method != "POST" {
            return Err(NvpError::invalid_request(405, "Method not allowed: /information takes GET or POST"));
        }
        check_version(version)?;
        let state = match self.cfg.fault {
            Some(Fault::Shutdown) => "SHUTDOWN",
            Some(fault) => match self.apply_fault(fault, None) {
                Some(reply) => return Ok(reply),
                None => "OPERATING",
            },
            None => "OPERATING",
        };
        let fields = BTreeMap::from([
            ("gatewayVersion".to_owned(), GATEWAY_VERSION.to_owned()),
            ("status".to_owned(), state.to_owned()),
        ]);
        Ok(Reply::Respond(nvp_response(200, fields, None)))
    }
}
