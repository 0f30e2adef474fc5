//! The till's conversation about its tokens and sessions (issue 19), through
//! the C ABI against gw-sim: CHECK_GATEWAY (no credentials on the wire,
//! SHUTDOWN, one attempt), RETRIEVE_TOKEN (masked card), DELETE_TOKEN (and a
//! repeat whose first attempt deleted the token), UPDATE_SESSION and
//! RETRIEVE_SESSION (P2PE per API version), and TOKENIZE without a token
//! retried in a unique-card repository.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;

use common::*;
use gw::ffi::status::*;
use gw_sim::{Fault, RepositoryMode};

/// `PAN` as the gateway shows it: first 6 and last 4 digits.
const MASKED_PAN: &str = "476173xxxxxx0010";

fn tokenize(client: &CClient, card: &gw_sim::terminal::P2pe) -> String {
    let (status, response) = client.tokenize_p2pe(None, &card.ksn, &card.payload, None, None);
    assert_eq!(status, GW_OK, "{}", last_error());
    response.get("token").expect("a token")
}

#[test]
fn check_gateway_sends_no_credentials_and_reads_the_version() {
    let sim = sim();
    let client = CConfig::for_url(&sim.base_url()).retries(2).client();
    let (status, response) = client.check_gateway();
    assert_eq!(status, GW_OK, "{}", last_error());
    let version = response.get("gatewayVersion").expect("gatewayVersion");
    assert!((5..=32).contains(&version.len()) && version.is_ascii(), "{version}");
    assert_eq!(response.get("status").as_deref(), Some("OPERATING"));
    // On the wire: the /information resource, not one field (no apiUsername,
    // no apiPassword, no merchant).
    let requests = sim.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].operation, "CHECK_GATEWAY");
    assert!(requests[0].fields.is_empty(), "{:?}", requests[0].fields);
    // The reference's other method, GET, without anything: the same answer.
    let mut stream = TcpStream::connect(sim.addr()).unwrap();
    write!(stream, "GET /api/nvp/version/100/information HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("status=OPERATING"), "{answer}");
    // CHECK_GATEWAY has no fields: a request of it refuses any.
    let request = CRequest::new("CHECK_GATEWAY");
    assert_eq!(request.set("correlationId", "till-7"), GW_ERR_INVALID_FIELD);
    assert_eq!(last_error_field().as_deref(), Some("correlationId"));
    assert_eq!(client.execute(&request).0, GW_OK);
}

#[test]
fn a_shut_down_gateway_is_its_own_status_after_one_attempt() {
    let sim = start(sim_config().fault(Fault::Shutdown));
    let client = CConfig::for_url(&sim.base_url()).retries(2).client();
    let (status, response) = client.check_gateway();
    assert_eq!(status, GW_GATEWAY_SHUTDOWN, "{}", last_error());
    assert_eq!(response.get("status").as_deref(), Some("SHUTDOWN"));
    assert!(last_error().contains("status=SHUTDOWN"), "{}", last_error());
    assert_eq!(sim.request_count(), 1);
    // Every other operation meets SERVER_BUSY, retried as the table says.
    assert_eq!(client.create_session().0, GW_ERR_GATEWAY);
    assert_eq!(sim.request_count(), 4);
}

#[test]
fn check_gateway_is_never_retried_into_a_wait() {
    let sim = start(sim_config().fault(Fault::ServerBusy));
    let client = CConfig::for_url(&sim.base_url()).retries(10).client();
    let ((status, response), took) = timed(|| client.check_gateway());
    assert_eq!(status, GW_ERR_GATEWAY);
    assert_eq!(response.get("error.cause").as_deref(), Some("SERVER_BUSY"));
    assert_eq!(sim.request_count(), 1, "one attempt");
    assert!(took < std::time::Duration::from_millis(500), "{took:?}");
}

#[test]
fn retrieve_then_delete_a_token() {
    let sim = sim();
    let client = CConfig::for_url(&sim.base_url()).client();
    let token = tokenize(&client, &terminal_card());

    let (status, response) = client.retrieve_token(&token);
    assert_eq!(status, GW_OK, "{}", last_error());
    assert_eq!(response.get("token").as_deref(), Some(token.as_str()));
    assert_eq!(response.get("status").as_deref(), Some("VALID"));
    assert_eq!(response.get("sourceOfFunds.type").as_deref(), Some("CARD"));
    assert_eq!(response.get("sourceOfFunds.provided.card.number").as_deref(), Some(MASKED_PAN));
    assert!(response.get("sourceOfFunds.provided.card.expiry").is_some());
    assert!((0..response.len()).all(|i| response.field(i).2.as_deref() != Some(PAN)), "no clear card number");

    let (status, response) = client.delete_token(&token);
    assert_eq!(status, GW_OK, "{}", last_error());
    assert_eq!(response.result().as_deref(), Some("SUCCESS"));
    assert_eq!(sim.token_count(), 0);

    // Later calls with it fail on the field `token`.
    for (status, response) in [client.retrieve_token(&token), client.delete_token(&token)] {
        assert_eq!(status, GW_ERR_GATEWAY);
        assert_eq!(response.get("error.field").as_deref(), Some("token"));
        assert_eq!(last_error_field().as_deref(), Some("token"));
    }
    // A bad token is refused before anything is sent.
    let sent = sim.request_count();
    assert_eq!(client.retrieve_token("not a token").0, GW_ERR_INVALID_FIELD);
    assert_eq!(client.delete_token("").0, GW_ERR_INVALID_FIELD);
    assert_eq!(sim.request_count(), sent);
}

#[test]
fn a_repeated_delete_whose_first_attempt_deleted_the_token_is_ok() {
    let sim = sim();
    let client = CConfig::for_url(&sim.base_url()).retries(2).client();
    let token = tokenize(&client, &terminal_card());
    // The first attempt deletes the token and its answer is lost; the
    // repeat is told the token does not exist: the call is done.
    let (status, response) = execute_c(
        &client,
        "DELETE_TOKEN",
        &[("token", token.as_str()), ("correlationId", &fault_id("lost-then-ok=1", "delete"))],
    );
    assert_eq!(status, GW_OK, "{}", last_error());
    assert_eq!(response.get("error.field").as_deref(), Some("token"), "the repeat's own answer");
    assert_eq!(sim.token_count(), 0);
    assert_eq!(sim.request_count(), 3, "tokenize, then two attempts");
}

#[test]
fn tokenize_without_a_token_is_retried_only_in_a_unique_card_repository() {
    let card = terminal_card();
    let lost = fault_id("lost-then-ok=1", "tokenize");
    let tokenize_lost = |client: &CClient| {
        let (status, request) = CRequest::tokenize_p2pe(None, &card.ksn, &card.payload, None, None);
        assert_eq!(status, GW_OK);
        assert_eq!(request.set("correlationId", &lost), GW_OK);
        client.execute(&request)
    };
    // Unique-card repository, and gw told so: the repeat answers the token
    // the lost attempt stored. One token.
    let sim = start(sim_config().repository_mode(RepositoryMode::UniqueCard));
    let client = CConfig::for_url(&sim.base_url()).retries(2).unique_card().client();
    let (status, response) = tokenize_lost(&client);
    assert_eq!(status, GW_OK, "{}", last_error());
    assert_eq!(sim.token_count(), 1);
    assert_eq!(sim.request_count(), 2);
    assert_eq!(tokenize(&client, &card), response.get("token").unwrap(), "the same card, the same token");

    // CREATE_SESSION, harmless, is repeated too.
    let (status, _) = execute_c(&client, "CREATE_SESSION", &[("correlationId", fault_id("lost-then-ok=1", "session"))]);
    assert_eq!(status, GW_OK, "{}", last_error());
    assert_eq!(sim.request_count(), 5);

    // By default gw does not repeat it: the outcome stays in doubt.
    let sim = start(sim_config().repository_mode(RepositoryMode::UniqueCard));
    let client = CConfig::for_url(&sim.base_url()).retries(2).client();
    assert_eq!(tokenize_lost(&client).0, GW_ERR_IO);
    assert_eq!(sim.request_count(), 1);
}

#[test]
fn update_then_retrieve_a_session() {
    let sim = sim();
    let client = CConfig::for_url(&sim.base_url()).client();
    let (status, session) = client.create_session();
    assert_eq!(status, GW_OK);
    let id = session.get("session.id").unwrap();
    assert_eq!(session.get("session.updateStatus").as_deref(), Some("NO_UPDATE"));

    let card = terminal_card();
    let mut fields = p2pe_fields(&card, &[]);
    fields.push(("session.id".into(), id.clone()));
    let (status, updated) = execute_c(&client, "UPDATE_SESSION", &fields);
    assert_eq!(status, GW_OK, "{}", last_error());
    assert_eq!(updated.get("session.updateStatus").as_deref(), Some("SUCCESS"));
    assert_ne!(updated.get("session.version"), session.get("session.version"));

    let (status, retrieved) = execute_c(&client, "RETRIEVE_SESSION", &[("session.id", id.as_str())]);
    assert_eq!(status, GW_OK, "{}", last_error());
    assert_eq!(retrieved.get("session.updateStatus").as_deref(), Some("SUCCESS"));
    assert_eq!(retrieved.get(&format!("{P2PE}.keySerialNumber")), Some(card.ksn.clone()));
    let payload = retrieved.get(&format!("{P2PE}.payload")).unwrap();
    assert!(payload.chars().all(|c| c == 'x') && payload.len() == card.payload.len(), "the payload masked");

    // The session pays: TOKENIZE with only the session id.
    let (status, token) = execute_c(&client, "TOKENIZE", &[("session.id", id.as_str())]);
    assert_eq!(status, GW_OK, "{}", last_error());
    assert!(token.get("token").is_some());

    // No session id: refused locally, naming the field.
    let sent = sim.request_count();
    assert_eq!(client.execute(&CRequest::new("RETRIEVE_SESSION")).0, GW_ERR_INVALID_FIELD);
    assert_eq!(last_error_field().as_deref(), Some("session.id"));
    assert_eq!(sim.request_count(), sent);
}

#[test]
fn a_session_takes_the_p2pe_group_the_version_allows() {
    let sim = sim();
    let aes_ksn = "40F000000000000000000001";
    for (version, accepted) in [(83, false), (84, true)] {
        let client = CConfig::for_url(&sim.base_url()).api_version(version).client();
        let id = client.create_session().1.get("session.id").unwrap();
        let request = CRequest::new("UPDATE_SESSION");
        assert_eq!(request.set("session.id", &id), GW_OK);
        assert_eq!(request.set(&format!("{P2PE}.keySerialNumber"), aes_ksn), GW_OK, "some version takes it");
        let sent = sim.request_count();
        let (status, _) = client.execute(&request);
        if accepted {
            assert_eq!(status, GW_OK, "{}", last_error());
        } else {
            assert_eq!(status, GW_ERR_INVALID_FIELD, "version {version}");
            assert_eq!(last_error_field().as_deref(), Some("sourceOfFunds.provided.card.p2pe.keySerialNumber"));
            assert!(last_error().contains("API version 84"), "{}", last_error());
            assert_eq!(sim.request_count(), sent, "nothing sent");
        }
    }
}

/// The lifecycle mends of issue 26, through the C ABI against gw-sim: a
/// session stores a PAY's order, amount and terminal fields, and a PAY with
/// only its ids and the session id then pays; RETRIEVE_SESSION takes
/// `responseControls.sensitiveData`; a field no version of an operation has
/// is refused at `gw_request_set` saying so, not naming a version the till
/// never chose.
#[test]
fn a_session_stores_a_payments_fields_and_reads_say_what_they_take() {
    let sim = sim();
    // Version 100: a PAY takes P2PE card data (from a session too) from 84.
    let client = CConfig::for_url(&sim.base_url()).api_version(100).client();
    let id = client.create_session().1.get("session.id").unwrap();
    let mut fields = p2pe_fields(&terminal_card(), &[]);
    fields.extend(pairs(&[
        ("session.id", &id),
        ("order.amount", "12.50"),
        ("order.currency", "USD"),
        ("posTerminal.lane", "Kiosk_76"),
    ]));
    let (status, _) = execute_c(&client, "UPDATE_SESSION", &fields);
    assert_eq!(status, GW_OK, "{}", last_error());
    let read = [("session.id", id.as_str()), ("responseControls.sensitiveData", "UNMASK")];
    let (status, retrieved) = execute_c(&client, "RETRIEVE_SESSION", &read);
    assert_eq!(status, GW_OK, "{}", last_error());
    assert_eq!(retrieved.get("order.amount").as_deref(), Some("12.50"));
    assert_eq!(retrieved.get("posTerminal.lane").as_deref(), Some("Kiosk_76"));
    // The session pays: a PAY with its ids and the session id only.
    let pay = [("session.id", id.as_str()), ("order.id", "session-pay"), ("transaction.id", "1")];
    let (status, paid) = execute_c(&client, "PAY", &pay);
    assert_eq!(status, GW_OK, "{}", last_error());
    assert_eq!(paid.get("order.amount").as_deref(), Some("12.50"));

    let request = CRequest::new("RETRIEVE_SESSION");
    assert_eq!(request.set("order.amount", "12.50"), GW_ERR_INVALID_FIELD);
    assert_eq!(last_error_field().as_deref(), Some("order.amount"));
    assert!(last_error().ends_with("is not a field of RETRIEVE_SESSION at any API version"), "{}", last_error());
    assert!(!last_error().contains("version 39"), "{}", last_error());
}

/// A loopback server that answers every request with `status_line`,
/// `content_type` and `body`, then closes; its base URL.
fn hostile(status_line: &'static str, content_type: &'static str, body: &'static str) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut seen = Vec::new();
            let mut buf = [0u8; 1024];
            while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => seen.extend_from_slice(&buf[..n]),
                }
            }
            let _ = write!(
                stream,
                "HTTP/1.1 {status_line}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

#[test]
fn check_gateway_refuses_what_is_no_gateway_state() {
    const FORM: &str = "application/x-www-form-urlencoded; charset=UTF-8";
    let cells: [(&str, &str, &str, u32); 5] = [
        ("200 OK", "text/html", "<html><body>It works</body></html>", GW_ERR_PROTOCOL),
        ("200 OK", FORM, "gatewayVersion=1.0.0", GW_ERR_PROTOCOL),
        ("200 OK", FORM, "gatewayVersion=1.0.0&status=MAINTENANCE", GW_ERR_PROTOCOL),
        ("200 OK", FORM, "result=SUCCESS", GW_ERR_PROTOCOL),
        ("503 Service Unavailable", FORM, "result=ERROR&error.cause=SERVER_BUSY", GW_ERR_GATEWAY),
    ];
    for (status_line, content_type, body, expected) in cells {
        let client = CConfig::for_url(&hostile(status_line, content_type, body)).retries(2).client();
        let (status, _) = client.check_gateway();
        assert_eq!(status, expected, "{status_line} {body}: {}", last_error());
    }
}

#[test]
fn the_debug_log_masks_what_a_retrieve_answers() {
    let sim = sim();
    let log = Log::default();
    let client = CConfig::for_url(&sim.base_url()).log(&log).client();
    let card = terminal_card();
    let token = tokenize(&client, &card);
    assert_eq!(client.retrieve_token(&token).0, GW_OK);
    let id = client.create_session().1.get("session.id").unwrap();
    let mut fields = p2pe_fields(&card, &[]);
    fields.push(("session.id".into(), id.clone()));
    assert_eq!(execute_c(&client, "UPDATE_SESSION", &fields).0, GW_OK);
    assert_eq!(execute_c(&client, "RETRIEVE_SESSION", &[("session.id", id.as_str())]).0, GW_OK);
    let text = log.dump();
    assert!(text.contains("RETRIEVE_TOKEN request") && text.contains("RETRIEVE_SESSION request"), "{text}");
    assert!(text.contains("sourceOfFunds.provided.card.number="), "the field is named: {text}");
    for shown in [PAN, MASKED_PAN, card.payload.as_str(), PASSWORD] {
        assert!(!text.contains(shown), "the log shows {}...", &shown[..4]);
    }
}
