//! The request inspector (issue 11, "Also"): `GET /` lists the last requests
//! in a self-refreshing HTML page, `GET /requests.json` the same as JSON, with
//! card data and passwords masked by the rule table's sensitivity.
//!
//! The page is loaded once in real headless Debian chromium (installed by
//! `scripts/setup.sh test`), which dumps the DOM it rendered and writes a
//! screenshot, kept at `target/tmp/gw-sim-inspector.png`. About 2 s.

mod common;
use common::*;
use std::process::Command;

const WRONG_PASSWORD: &str = "not-the-Pa55word";

/// The calls the page must show, oldest first: (operation, HTTP status, outcome).
fn make_calls(sim: &gw_sim::Sim) -> Vec<(&'static str, u16, &'static str)> {
    let p = gw_sim::terminal::encrypt_pan(VISA).unwrap();
    let mut c = Client::connect(sim.addr());
    assert_eq!(c.post(&base("CREATE_SESSION")).status, 200);
    assert_eq!(c.post(&tokenize(&p)).status, 200);
    // A clear card refused for its missing expiry: the page names the field.
    let clear = with(base("TOKENIZE"), &[("sourceOfFunds.type", "CARD"), ("sourceOfFunds.provided.card.number", VISA)]);
    assert_eq!(c.post(&clear).status, 400);
    let declined = with(tokenize(&p), &[("sourceOfFunds.provided.card.p2pe.encryptionState", "INVALID")]);
    assert_eq!(c.post(&declined).get("result").as_deref(), Some("FAILURE"));
    assert_eq!(c.post(&with(base("CREATE_SESSION"), &[("apiPassword", WRONG_PASSWORD)])).status, 401);
    // A card-present PAY (P2PE from API version 84): the ledger above the requests shows it.
    let mut pay = base("PAY");
    pay.extend(pairs(&[
        ("order.id", "inspected-1"),
        ("order.amount", "12.50"),
        ("order.currency", "AUD"),
        ("transaction.id", "pay-1"),
        ("sourceOfFunds.type", "CARD"),
    ]));
    pay.extend(p.fields());
    assert_eq!(c.post_version(100, &pay).get("result").as_deref(), Some("SUCCESS"));
    vec![
        ("CREATE_SESSION", 200, "SUCCESS"),
        ("TOKENIZE", 200, "SUCCESS"),
        ("TOKENIZE", 400, "ERROR"),
        ("TOKENIZE", 200, "FAILURE"),
        ("CREATE_SESSION", 401, "ERROR"),
        ("PAY", 200, "SUCCESS"),
    ]
}

/// No password, card number or payload anywhere in `text`.
fn assert_nothing_secret(text: &str, p2pe_payload: &str) {
    for secret in [PASSWORD, WRONG_PASSWORD, VISA, p2pe_payload] {
        assert!(!text.contains(secret), "a secret is shown: {}", &secret[..4]);
    }
}

#[test]
fn requests_json_lists_the_last_requests_masked() {
    let sim = start(config());
    let calls = make_calls(&sim);
    let mut c = Client::connect(sim.addr());
    // What a browser asks for beside the page is neither listed nor logged.
    assert_eq!(c.request("GET", "/favicon.ico", None, b"").unwrap().status, 404);
    let r = c.request("GET", "/requests.json", None, b"").unwrap();
    assert_eq!(r.status, 200);
    assert!(r.header("Content-Type").unwrap().starts_with("application/json"));
    let json = String::from_utf8(r.body).unwrap();
    assert_nothing_secret(&json, &gw_sim::terminal::encrypt_pan(VISA).unwrap().payload);
    // Newest first, one object per request.
    let ops: Vec<&str> = json.split("\"operation\":\"").skip(1).map(|s| s.split('"').next().unwrap()).collect();
    let want: Vec<&str> = calls.iter().rev().map(|c| c.0).collect();
    assert_eq!(ops, want);
    assert!(json.contains(&format!(r#""name":"apiPassword","value":"{}""#, gw_sim::inspector::MASK)));
    assert!(json.contains(r#""name":"sourceOfFunds.provided.card.number","value":"400000xxxxxx0002""#));
    assert!(json.contains("error.field=sourceOfFunds.provided.card.expiry.month"));
    assert!(json.contains("response.gatewayCode=EXTERNAL_VERIFICATION_DECLINED"));
    // The answers' fields, masked like the requests'.
    assert_eq!(json.matches("\"answer\":[").count(), calls.len());
    assert!(json.contains(r#"{"name":"result","value":"SUCCESS"}"#));
    assert!(json.contains(r#"{"name":"session.updateStatus","value":"NO_UPDATE"}"#));
    // The inspector's own pages are not listed.
    let again = c.request("GET", "/requests.json", None, b"").unwrap();
    assert_eq!(again.body.len(), json.len());
}

#[test]
fn the_page_in_headless_chromium() {
    let sim = start(config());
    let calls = make_calls(&sim);
    let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("gw-sim-inspector.png");
    let _ = std::fs::remove_file(&shot);
    let profile = std::env::temp_dir().join(format!("gw-sim-inspector-chromium-{}", std::process::id()));
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--window-size=1400,900",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--dump-dom")
        .arg(format!("{}/", sim.base_url()))
        .output()
        .expect("run chromium (scripts/setup.sh test installs it)");
    let _ = std::fs::remove_dir_all(&profile);
    assert!(out.status.success(), "chromium: {}", String::from_utf8_lossy(&out.stderr));
    let dom = String::from_utf8(out.stdout).unwrap();
    assert!(std::fs::metadata(&shot).map(|m| m.len() > 1000).unwrap_or(false), "no screenshot at {}", shot.display());
    assert!(dom.contains("http-equiv=\"refresh\""), "the page refreshes itself");
    // The ledger the browser rendered: the PAY's order and transaction.
    let table = |id: &str| {
        let start = format!("<table id=\"{id}\">");
        let after = dom.split(start.as_str()).nth(1).unwrap_or_else(|| panic!("no table {id}: {dom}"));
        after.split("<tbody>").nth(1).expect("a table body").split("</tbody>").next().unwrap().to_owned()
    };
    let ledger = table("ledger");
    assert_eq!(ledger.matches("<tr ").count(), 1, "{ledger}");
    for text in ["inspected-1", "CAPTURED", "pay-1", "PAYMENT", "12.50 AUD", "APPROVED"] {
        assert!(ledger.contains(text), "{text}: {ledger}");
    }
    // The rows the browser rendered: newest first.
    let body = table("requests");
    let body = body.as_str();
    let rows: Vec<&str> = body.split("<tr ").skip(1).collect();
    assert_eq!(rows.len(), calls.len(), "{body}");
    // A cell's text as the browser shows it (tags dropped).
    let cell = |row: &str, class: &str| {
        let start = format!("<td class=\"{class}\">");
        let html = row.split(start.as_str()).nth(1).and_then(|s| s.split("</td>").next()).unwrap_or("");
        html.split('<').map(|piece| piece.split_once('>').map_or(piece, |(_, text)| text)).collect::<String>()
    };
    for (row, (operation, status, outcome)) in rows.iter().zip(calls.iter().rev()) {
        assert_eq!(cell(row, "operation"), *operation, "{row}");
        assert_eq!(cell(row, "status"), status.to_string(), "{row}");
        assert_eq!(cell(row, "outcome"), *outcome, "{row}");
    }
    // The refused TOKENIZE shows the error and the masked card.
    let refused = rows[3];
    assert!(cell(refused, "error").contains("sourceOfFunds.provided.card.expiry.month"), "{refused}");
    assert!(cell(refused, "fields").contains("sourceOfFunds.provided.card.number=400000xxxxxx0002"), "{refused}");
    assert!(cell(rows[1], "error").contains("INVALID_REQUEST"));
    assert!(cell(rows[1], "fields").contains(&format!("apiPassword={}", gw_sim::inspector::MASK)));
    // The PAY: its payload and the answer's (masked) card number shown as the
    // mask (the core's answer table marks both sensitive).
    let mask = gw_sim::inspector::MASK;
    assert!(cell(rows[0], "fields").contains(&format!("sourceOfFunds.provided.card.p2pe.payload={mask}")));
    assert!(cell(rows[0], "answer").contains(&format!("sourceOfFunds.provided.card.number={mask}")), "{}", rows[0]);
    assert!(cell(rows[0], "answer").contains("response.gatewayCode=APPROVED"), "{}", rows[0]);
    // The oldest row, the first CREATE_SESSION, shows its answer.
    assert!(cell(rows[calls.len() - 1], "answer").contains("session.id=SESSION0002"), "{}", rows[calls.len() - 1]);
    // Names never break across lines; values may.
    assert!(dom.contains(".n{white-space:nowrap}"), "{dom}");
    assert_nothing_secret(&dom, &gw_sim::terminal::encrypt_pan(VISA).unwrap().payload);
    eprintln!("inspector screenshot: {}", shot.display());
}
