//! The request inspector: the last requests gw-sim received, as a small
//! self-refreshing HTML page (`GET /`) and as JSON (`GET /requests.json`).
//!
//! An integrator testing a terminal sees at once what arrived and why it was
//! refused. Card data and passwords never reach the inspector: every value of
//! a field the rule table marks sensitive (`gw::rules::is_sensitive`) is
//! masked when the request is recorded ([`MASK`], as gw's log lines show
//! a secret; card numbers 6.4, as the gateway's own answers do), and so is the value of a field the
//! table does not know (it could be anything). Only masked copies are kept.

use crate::cards;
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::Mutex;

/// What a secret value is shown as: gw's own mask, as its log lines show it.
pub use gw::MASK;

/// How many requests the inspector keeps (the oldest go first).
pub const KEPT: usize = 50;

/// The page's refresh interval, in seconds.
pub const REFRESH_SECS: u32 = 2;

/// One request as the inspector shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Entry {
    /// Sequence number, from 1 in the life of the simulator.
    pub seq: u64,
    /// When it arrived (`YYYY-MM-DDThh:mm:ss.SSSZ`, UTC).
    pub time: String,
    /// The `apiOperation` (when it names one gw-sim knows), else the method and path.
    pub operation: String,
    /// The HTTP status answered (0 when a socket fault answered instead).
    pub status: u16,
    /// `result` of the answer (`SUCCESS`, `FAILURE`, `ERROR`, ...), or `fault NAME`.
    pub outcome: String,
    /// The request's fields, values masked as the module says.
    pub fields: Vec<(String, String)>,
    /// The answer's fields (an NVP answer's; none for a fault or another
    /// body), masked the same way.
    pub answer: Vec<(String, String)>,
    /// The error answered: `error.cause`, with `error.field`,
    /// `error.validationType` and `error.explanation` when given.
    pub error: Option<String>,
}

/// A sensitive field's value as the inspector shows it (card numbers 6.4,
/// like the gateway's answers; other secrets as [`MASK`], which does not
/// even show their length); `None` for a field that is not sensitive.
fn masked_secret(name: &str, value: &str) -> Option<String> {
    if !gw::rules::is_sensitive(name) {
        return None;
    }
    let is_number = name.ends_with("card.number") || name.ends_with("giftCard.number");
    Some(if is_number && value.len() >= 9 && value.bytes().all(|b| b.is_ascii_digit()) {
        cards::mask_6_4(value)
    } else {
        MASK.to_owned()
    })
}

/// The value the inspector shows for a request's field `name`: sensitive
/// and unknown fields masked ([`masked_secret`]).
pub fn masked_value(name: &str, value: &str) -> String {
    let known = gw::rules::Operation::ALL.iter().any(|op| op.rule(name).is_some());
    masked_secret(name, value).unwrap_or_else(|| {
        if known || name == "apiUsername" || name == "apiOperation" {
            value.to_owned()
        } else {
            "(not shown: not a field of the reference)".to_owned()
        }
    })
}

/// The request's fields with their values masked ([`masked_value`]).
pub fn masked_fields(raw: &[(String, String)]) -> Vec<(String, String)> {
    raw.iter().map(|(n, v)| (n.clone(), masked_value(n, v))).collect()
}

/// An answer's fields with the sensitive ones masked: gw-sim wrote every one
/// of them, so none is unknown.
pub fn masked_answer(raw: &[(String, String)]) -> Vec<(String, String)> {
    raw.iter().map(|(n, v)| (n.clone(), masked_secret(n, v).unwrap_or_else(|| v.clone()))).collect()
}

/// The last requests.
#[derive(Default)]
pub struct Inspector {
    inner: Mutex<(u64, VecDeque<Entry>)>,
}

impl Inspector {
    /// Records a request (its `seq` is set here); its fields must have been
    /// masked already ([`masked_fields`]).
    pub fn record(&self, mut entry: Entry) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.0 += 1;
        entry.seq = inner.0;
        if inner.1.len() == KEPT {
            inner.1.pop_back();
        }
        inner.1.push_front(entry);
    }

    /// The kept requests, newest first.
    pub fn entries(&self) -> Vec<Entry> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).1.iter().cloned().collect()
    }

    /// The JSON document of `GET /requests.json`: `{"requests":[...]}`, newest first.
    pub fn json(&self) -> String {
        let mut out = String::from("{\"requests\":[");
        for (i, e) in self.entries().iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(
                out,
                "{{\"seq\":{},\"time\":{},\"operation\":{},\"status\":{},\"outcome\":{},\"error\":{},\"fields\":",
                e.seq,
                json_string(&e.time),
                json_string(&e.operation),
                e.status,
                json_string(&e.outcome),
                e.error.as_deref().map_or("null".to_owned(), json_string),
            );
            json_pairs(&mut out, &e.fields);
            out.push_str(",\"answer\":");
            json_pairs(&mut out, &e.answer);
            out.push('}');
        }
        out.push_str("]}\n");
        out
    }

    /// The HTML page of `GET /`: one table row per request, refreshing
    /// itself, after the ledger's orders (one row per transaction).
    pub fn html(&self, ledger: &crate::ledger::Ledger) -> String {
        let entries = self.entries();
        let mut out = format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta http-equiv=\"refresh\" content=\"{REFRESH_SECS}\">\
             <title>gw-sim: last requests</title>\n<style>\
             body{{font:14px system-ui,sans-serif;margin:1.5em;color:#222}}\
             table{{border-collapse:collapse;width:100%}}\
             th,td{{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}}\
             th{{background:#eee}} tr.ERROR td.outcome{{color:#b00;font-weight:bold}}\
             tr.FAILURE td.outcome{{color:#b60;font-weight:bold}} tr.SUCCESS td.outcome{{color:#070}}\
             td.fields,td.answer{{max-width:32em}} td.error{{max-width:28em;word-break:break-word}}\
             .n{{white-space:nowrap}} .v{{word-break:break-all}}\
             code{{font-size:12px}}</style></head>\n<body><h1>gw-sim: last requests</h1>\
             <p>The last {KEPT} requests, newest first; card data and passwords masked. \
             This page refreshes every {REFRESH_SECS} s. The same as JSON: \
             <a href=\"/requests.json\">/requests.json</a>.</p>\n"
        );
        ledger_html(&mut out, ledger);
        out.push_str("<h2>Requests</h2>\n");
        if entries.is_empty() {
            out.push_str("<p id=\"empty\">No request yet.</p>\n");
        }
        out.push_str(
            "<table id=\"requests\"><thead><tr><th>#</th><th>time (UTC)</th><th>operation</th>\
             <th>HTTP</th><th>outcome</th><th>error</th><th>fields</th><th>answer</th></tr></thead><tbody>\n",
        );
        for e in &entries {
            let class = e.outcome.split(' ').next().unwrap_or("");
            let _ = write!(
                out,
                "<tr class=\"{}\" data-seq=\"{}\"><td>{}</td><td>{}</td><td class=\"operation\">{}</td>\
                 <td class=\"status\">{}</td><td class=\"outcome\">{}</td><td class=\"error\">{}</td><td class=\"fields\">",
                html_escape(class),
                e.seq,
                e.seq,
                html_escape(&e.time),
                html_escape(&e.operation),
                e.status,
                html_escape(&e.outcome),
                html_escape(e.error.as_deref().unwrap_or("")),
            );
            html_pairs(&mut out, &e.fields);
            out.push_str("</td><td class=\"answer\">");
            html_pairs(&mut out, &e.answer);
            out.push_str("</td></tr>\n");
        }
        out.push_str("</tbody></table></body></html>\n");
        out
    }
}

/// The ledger's table: one row per transaction, under its order's status
/// and totals (the same as JSON: `/ledger.json`).
fn ledger_html(out: &mut String, ledger: &crate::ledger::Ledger) {
    let orders = ledger.orders();
    out.push_str(
        "<h2>Ledger</h2>\n<p>Orders and transactions per merchant; the same as JSON: \
         <a href=\"/ledger.json\">/ledger.json</a>. Close the day's batch with \
         <code>POST /admin/close-batch</code>.</p>\n",
    );
    if orders.is_empty() {
        out.push_str("<p id=\"no-orders\">No order yet.</p>\n");
        return;
    }
    out.push_str(
        "<table id=\"ledger\"><thead><tr><th>merchant (open batch)</th><th>order</th><th>status</th>\
         <th>authorized / captured / refunded</th><th>transaction</th><th>type</th><th>amount</th>\
         <th>result</th><th>gateway code</th><th>batch</th><th>note</th></tr></thead><tbody>\n",
    );
    for (merchant, batch, o) in &orders {
        let money = |m| crate::ledger::format_amount(m, &o.currency);
        for t in &o.transactions {
            let note = match (&t.target, &t.voided_by) {
                (_, Some(v)) => format!("voided by {v}"),
                (Some(target), None) => format!("on {target}"),
                (None, None) => String::new(),
            };
            let _ = writeln!(
                out,
                "<tr class=\"{}\"><td>{} ({batch})</td><td>{}</td><td>{}</td><td>{} / {} / {} {}</td><td>{}</td>\
                 <td>{}</td><td>{} {}</td><td class=\"outcome\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                t.result(),
                html_escape(merchant),
                html_escape(&o.id),
                o.status(),
                money(o.total_authorized()),
                money(o.total_captured()),
                money(o.total_refunded()),
                html_escape(&o.currency),
                html_escape(&t.id),
                t.txn_type.as_str(),
                crate::ledger::format_amount(t.amount, &t.currency),
                html_escape(&t.currency),
                t.result(),
                t.gateway_code,
                t.batch,
                html_escape(&note),
            );
        }
    }
    out.push_str("</tbody></table>\n");
}

/// `name=value` pairs, one per line; a name is never broken across lines,
/// a long value may be.
fn html_pairs(out: &mut String, pairs: &[(String, String)]) {
    for (n, v) in pairs {
        let _ = write!(
            out,
            "<code><span class=\"n\">{}</span>=<span class=\"v\">{}</span></code><br>",
            html_escape(n),
            html_escape(v)
        );
    }
}

/// `[{"name":...,"value":...},...]`.
fn json_pairs(out: &mut String, pairs: &[(String, String)]) {
    out.push('[');
    for (j, (n, v)) in pairs.iter().enumerate() {
        if j > 0 {
            out.push(',');
        }
        let _ = write!(out, "{{\"name\":{},\"value\":{}}}", json_string(n), json_string(v));
    }
    out.push(']');
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub(crate) fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_by_the_rule_table() {
        assert_eq!(masked_value("sourceOfFunds.provided.card.number", "4000000000000002"), "400000xxxxxx0002");
        assert_eq!(masked_value("apiPassword", "secret-password"), MASK);
        assert_eq!(masked_value("sourceOfFunds.provided.card.p2pe.payload", "ABCDEF"), MASK);
        assert_eq!(masked_value("sourceOfFunds.provided.card.securityCode", "737"), MASK);
        assert_eq!(masked_value("sourceOfFunds.provided.ach.bankAccountNumber", "123456789"), MASK);
        assert_eq!(masked_value("sourceOfFunds.provided.card.number", "4000x"), MASK);
        assert_eq!(masked_value("sourceOfFunds.type", "CARD"), "CARD");
        assert!(masked_value("cardnumber", "4000000000000002").starts_with("(not shown"));
    }

    #[test]
    fn answers_show_every_field_but_the_sensitive_ones() {
        let answer = [
            ("result".to_owned(), "SUCCESS".to_owned()),
            ("session.updateStatus".to_owned(), "NO_UPDATE".to_owned()),
            ("session.aes256Key".to_owned(), "Q2xlYXJseU5vdEFSZWFsS2V5".to_owned()),
        ];
        let shown = masked_answer(&answer);
        assert_eq!(shown[0].1, "SUCCESS");
        assert_eq!(shown[1].1, "NO_UPDATE");
        assert_eq!(shown[2].1, MASK);
    }

    #[test]
    fn keeps_the_last_requests_escaped() {
        let i = Inspector::default();
        for n in 0..KEPT + 3 {
            let fields = masked_fields(&[("correlationId".into(), "a\"b</td>".into())]);
            i.record(Entry { operation: format!("<op{n}>"), outcome: "ERROR".into(), fields, ..Entry::default() });
        }
        let entries = i.entries();
        assert_eq!(entries.len(), KEPT);
        assert_eq!(entries[0].seq, (KEPT + 3) as u64);
        let html = i.html(&crate::ledger::Ledger::default());
        assert!(html.contains("&lt;op52&gt;") && !html.contains("<op52>"));
        assert!(html.contains("a&quot;b&lt;/td&gt;"));
        assert!(i.json().contains(r#""value":"a\"b</td>""#));
    }
}
