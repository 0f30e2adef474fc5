//! Issue A: the first version end to end over plain HTTP.

mod common;
use common::*;

#[test]
fn create_session_has_the_gateway_shape() {
    let sim = start(config());
    assert!(sim.base_url().starts_with("http://127.0.0.1:"));
    let r = post(&sim, &with(base("CREATE_SESSION"), &[("correlationId", "c-1")]));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("application/x-www-form-urlencoded; charset=UTF-8"));
    let f = r.fields();
    assert_eq!(f["result"], "SUCCESS");
    assert_eq!(f["merchant"], MERCHANT);
    assert_eq!(f["correlationId"], "c-1");
    assert_eq!(f["session.updateStatus"], "NO_UPDATE");
    let id = &f["session.id"];
    assert_eq!(id.len(), 31);
    assert!(id.starts_with("SESSION0002"));
    assert!(id[11..].bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()));
    let v = &f["session.version"];
    assert_eq!(v.len(), 10);
    assert!(v.bytes().all(|b| b.is_ascii_hexdigit()));
    // Keys sorted, like the gateway's.
    let keys: Vec<String> = r.pairs().into_iter().map(|(k, _)| k).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    sim.stop();
}

#[test]
fn tokenize_a_terminal_payload() {
    let sim = start(config());
    let p = gw_sim::terminal::encrypt_pan(VISA).unwrap();
    let r = post(&sim, &tokenize(&p));
    let f = r.fields();
    assert_eq!(r.status, 200, "{f:?}");
    assert_eq!(f["result"], "SUCCESS");
    assert_eq!(f["status"], "VALID");
    assert_eq!(f["sourceOfFunds.provided.card.brand"], "VISA");
    assert_eq!(f["sourceOfFunds.provided.card.number"], "400000xxxxxx0002");
    let t = &f["token"];
    assert_eq!(t.len(), 16);
    assert!(t.starts_with('9'));
    assert!(gw_sim::cards::luhn_valid(t));
    assert!(!r.body.windows(VISA.len()).any(|w| w == VISA.as_bytes()));
    assert_eq!(sim.token_count(), 1);
}

#[test]
fn bad_password_is_401() {
    let sim = start(config());
    let r = post(&sim, &with(base("CREATE_SESSION"), &[("apiPassword", "wrong")]));
    assert_eq!(r.status, 401);
    let f = r.fields();
    assert_eq!(f["result"], "ERROR");
    assert_eq!(f["error.cause"], "INVALID_REQUEST");
    assert!(!f["error.explanation"].contains("wrong"));
    let r = post(&sim, &without(base("CREATE_SESSION"), "apiPassword"));
    assert_eq!(r.status, 401);
    let r = post(&sim, &with(base("CREATE_SESSION"), &[("apiUsername", "merchant.SOMEONEELSE")]));
    assert_eq!(r.status, 401);
    let r = post(&sim, &with(base("CREATE_SESSION"), &[("apiUsername", MERCHANT)]));
    assert_eq!(r.status, 401);
}

#[test]
fn validation_errors_use_the_shared_rules() {
    let sim = start(config());
    let r = post(&sim, &with(base("CREATE_SESSION"), &[("bogusField", "1")]));
    assert_field_error(&r, 400, "bogusField", "UNSUPPORTED");
    let r = post(&sim, &without(base("CREATE_SESSION"), "merchant"));
    assert_field_error(&r, 400, "merchant", "MISSING");
    let r = post(&sim, &with(base("CREATE_SESSION"), &[("merchant", "OTHER")]));
    assert_field_error(&r, 400, "merchant", "INVALID");
    let r = post(&sim, &with(base("TOKENIZE"), &[("sourceOfFunds.provided.card.p2pe.keySerialNumber", "XYZ")]));
    assert_field_error(&r, 400, "sourceOfFunds.provided.card.p2pe.keySerialNumber", "INVALID");
    let r = post(&sim, &base("TOKENIZE"));
    assert_field_error(&r, 400, "sourceOfFunds.type", "MISSING");
    let r = post(
        &sim,
        &with(
            base("TOKENIZE"),
            &[("sourceOfFunds.type", "CARD"), ("sourceOfFunds.provided.card.p2pe.cardBin", "400000")],
        ),
    );
    assert_field_error(&r, 400, "sourceOfFunds.provided.card.p2pe.keySerialNumber", "MISSING");
    let r = post(&sim, &without(base("TOKENIZE"), "apiOperation"));
    assert_field_error(&r, 400, "apiOperation", "MISSING");
    let r = post(&sim, &with(base("TOKENIZE"), &[("apiOperation", "DISBURSEMENT")]));
    assert_field_error(&r, 400, "apiOperation", "INVALID");
}

#[test]
fn handles_are_shareable_and_configs_keep_secrets() {
    fn shareable<T: Send + Sync>() {}
    shareable::<gw_sim::Sim>();
    shareable::<gw_sim::SimConfig>();
    let dbg = format!("{:?}", config());
    assert!(!dbg.contains(PASSWORD), "{dbg}");
    assert!(!dbg.to_ascii_lowercase().contains("0123456789abcdef"), "{dbg}");
    assert!(!dbg.contains("[1, 35, 69"), "{dbg}");
}
