//! TOKENIZE like the gateway: P2PE round trips, rejections, token strategies,
//! repository modes, verification, sessions.

mod common;
use common::*;
use gw_sim::dukpt::Variant;
use gw_sim::terminal::{self, Plaintext, TerminalOptions};
use gw_sim::{RepositoryMode, TokenStrategy};
use std::time::Duration;

const P: &str = "sourceOfFunds.provided.card.p2pe.";

fn p2pe(pan: &str, f: impl FnOnce(&mut TerminalOptions)) -> terminal::P2pe {
    let mut o = TerminalOptions::default();
    f(&mut o);
    terminal::encrypt(pan, &o).unwrap()
}

/// A payload with an arbitrary plaintext (whole blocks), default key and KSN.
fn raw_payload(plain: &[u8]) -> terminal::P2pe {
    let ksn = gw_sim::dukpt::parse_ksn(terminal::DEFAULT_KSN).unwrap();
    let ct = gw_sim::dukpt::encrypt(&gw_sim::dukpt::ANSI_TEST_BDK, &ksn, Variant::Data, None, plain).unwrap();
    terminal::P2pe {
        ksn: terminal::DEFAULT_KSN.into(),
        payload: hex::encode_upper(ct),
        iv: None,
        card_bin: "400000".into(),
    }
}

fn ok(r: &HttpResponse) -> std::collections::BTreeMap<String, String> {
    let f = r.fields();
    assert_eq!(r.status, 200, "{f:?}");
    assert_eq!(f["result"], "SUCCESS", "{f:?}");
    f
}

#[test]
fn round_trips_every_plaintext_iv_and_variant() {
    let data_sim = start(config());
    let pin_sim = start(config().variant(Variant::Pin));
    let cases = [
        ("4000000000000002", "VISA", "VISA"),
        ("5555555555554444", "MASTERCARD", "MASTERCARD"),
        ("2221000000000009", "MASTERCARD", "MASTERCARD"),
        ("371449635398431", "AMEX", "AMEX"),
        ("6011000990139424", "DISCOVER", "DISCOVER"),
        ("3530111333300000", "JCB", "JCB"),
        ("36259600000004", "DINERS_CLUB", "DINERS_CLUB"),
        ("6200000000000005", "CHINA_UNIONPAY", "CHINA_UNIONPAY"),
        ("6759649826438453", "MAESTRO", "MASTERCARD"),
    ];
    for (pan, brand, scheme) in cases {
        for plaintext in [Plaintext::Pan, Plaintext::Track2, Plaintext::Track1] {
            for iv in [None, Some([0xA5u8, 1, 2, 3, 4, 5, 6, 7])] {
                for (variant, sim) in [(Variant::Data, &data_sim), (Variant::Pin, &pin_sim)] {
                    let p = p2pe(pan, |o| {
                        o.plaintext = plaintext;
                        o.iv = iv;
                        o.variant = variant;
                        o.expiry = Some("0931".into());
                        o.ksn = "FFFF9876543210E0000A".into();
                    });
                    let f = ok(&post(sim, &tokenize(&p)));
                    assert_eq!(f["sourceOfFunds.provided.card.brand"], brand);
                    assert_eq!(f["sourceOfFunds.provided.card.scheme"], scheme);
                    assert_eq!(f["sourceOfFunds.provided.card.number"], gw_sim::cards::mask_6_4(pan));
                    assert_eq!(f["sourceOfFunds.type"], "CARD");
                    assert!(f.contains_key("sourceOfFunds.provided.card.fundingMethod"));
                    // Tracks carry the expiry; a bare PAN does not.
                    let expiry = f.get("sourceOfFunds.provided.card.expiry").map(String::as_str);
                    match plaintext {
                        Plaintext::Pan => assert_eq!(expiry, None),
                        _ => assert_eq!(expiry, Some("0931")),
                    }
                }
            }
        }
    }
    // A data-variant payload does not decrypt under the PIN variant.
    let r = post(&pin_sim, &tokenize(&terminal::encrypt_pan(VISA).unwrap()));
    assert_field_error(&r, 400, &format!("{P}payload"), "INVALID");
}

#[test]
fn response_fields_match_the_reference() {
    let sim = start(config());
    let p = terminal::encrypt_pan(VISA).unwrap();
    let r = post(
        &sim,
        &with(
            tokenize(&p),
            &[
                ("correlationId", "abc"),
                ("verificationStrategy", "BASIC"),
                ("sourceOfFunds.provided.card.expiry.month", "5"),
                ("sourceOfFunds.provided.card.expiry.year", "31"),
            ],
        ),
    );
    let f = ok(&r);
    for k in ["token", "repositoryId", "usage.lastUpdated", "usage.lastUsed"] {
        assert!(f.contains_key(k), "{k}");
    }
    assert_eq!(f["status"], "VALID");
    assert_eq!(f["merchant"], MERCHANT);
    assert_eq!(f["correlationId"], "abc");
    assert_eq!(f["usage.lastUpdatedBy"], MERCHANT);
    assert_eq!(f["verificationStrategy"], "BASIC");
    assert_eq!(f["response.gatewayCode"], "BASIC_VERIFICATION_SUCCESSFUL");
    assert_eq!(f["sourceOfFunds.provided.card.expiry"], "0531");
    let ts = &f["usage.lastUpdated"];
    assert_eq!(ts.len(), 24);
    assert!(ts.ends_with('Z') && &ts[10..11] == "T" && &ts[19..20] == ".");
    let f = ok(&post(&sim, &with(tokenize(&p), &[("verificationStrategy", "NONE")])));
    assert_eq!(f["response.gatewayCode"], "NO_VERIFICATION_PERFORMED");
    let f = ok(&post(&sim, &tokenize(&p)));
    assert_eq!(f["verificationStrategy"], "NONE");
    // BASIC needs an expiry.
    let r = post(&sim, &with(tokenize(&p), &[("verificationStrategy", "BASIC")]));
    assert_field_error(&r, 400, "sourceOfFunds.provided.card.expiry.month", "MISSING");
}

#[test]
fn rejections_name_their_field() {
    let sim = start(config());
    // Wrong BDK: the payload does not decrypt to a card.
    let wrong = p2pe(VISA, |o| o.bdk = [0x11; 16]);
    let r = post(&sim, &tokenize(&wrong));
    assert_field_error(&r, 400, &format!("{P}payload"), "INVALID");
    assert!(r.get("error.explanation").unwrap().contains("does not decrypt"));
    // Decrypts, but fails Luhn.
    let r = post(&sim, &tokenize(&p2pe("4000000000000003", |_| {})));
    assert_field_error(&r, 400, &format!("{P}payload"), "INVALID");
    assert!(r.get("error.explanation").unwrap().contains("Luhn"));
    assert!(!String::from_utf8_lossy(&r.body).contains("4000000000000003"));
    // Decrypts, too short.
    let r = post(&sim, &tokenize(&raw_payload(b"40000000002\0\0\0\0\0")));
    assert_field_error(&r, 400, &format!("{P}payload"), "INVALID");
    assert!(r.get("error.explanation").unwrap().contains("12 to 19"));
    // Decrypts to text that is no card layout.
    let r = post(&sim, &tokenize(&raw_payload(b"HELLO WORLD PAYLOAD\0\0\0\0\0")));
    assert_field_error(&r, 400, &format!("{P}payload"), "INVALID");
    // Not whole blocks (rules accept 36 hex digits).
    let mut p = terminal::encrypt_pan(VISA).unwrap();
    p.payload.push_str("ABCD");
    assert_field_error(&post(&sim, &tokenize(&p)), 400, &format!("{P}payload"), "INVALID");
    // Wrong IV changes the first block.
    let mut p = p2pe(VISA, |o| o.iv = Some([9; 8]));
    p.iv = Some("0000000000000000".into());
    assert_field_error(&post(&sim, &tokenize(&p)), 400, &format!("{P}payload"), "INVALID");
    // cardBin not a prefix of the PAN.
    let mut p = terminal::encrypt_pan(VISA).unwrap();
    p.card_bin = "411111".into();
    assert_field_error(&post(&sim, &tokenize(&p)), 400, &format!("{P}cardBin"), "INVALID");
    // A shorter BIN prefix is fine.
    p.card_bin = "4000".into();
    ok(&post(&sim, &tokenize(&p)));
    // Encryption state INVALID: declined.
    let p = terminal::encrypt_pan(VISA).unwrap();
    let r = post(&sim, &with(tokenize(&p), &[(&format!("{P}encryptionState"), "INVALID")]));
    assert_eq!(r.status, 200);
    assert_eq!(r.get("result").as_deref(), Some("FAILURE"));
    assert_eq!(r.get("response.gatewayCode").as_deref(), Some("EXTERNAL_VERIFICATION_DECLINED"));
    assert_eq!(r.get("token"), None);
    ok(&post(&sim, &with(tokenize(&p), &[(&format!("{P}encryptionState"), "VALID")])));
    // Group-required fields (shared rules).
    assert_field_error(
        &post(&sim, &without(tokenize(&p), &format!("{P}keySerialNumber"))),
        400,
        &format!("{P}keySerialNumber"),
        "MISSING",
    );
    assert_field_error(
        &post(&sim, &without(tokenize(&p), &format!("{P}payload"))),
        400,
        &format!("{P}payload"),
        "MISSING",
    );
    // Both clear and encrypted card.
    let r = post(&sim, &with(tokenize(&p), &[("sourceOfFunds.provided.card.number", VISA)]));
    assert_field_error(&r, 400, "sourceOfFunds.provided.card.number", "INVALID");
    // No card at all.
    let r = post(&sim, &with(base("TOKENIZE"), &[("sourceOfFunds.type", "CARD")]));
    assert_field_error(&r, 400, &format!("{P}payload"), "MISSING");
    // Not a card.
    let r = post(&sim, &with(tokenize(&p), &[("sourceOfFunds.type", "ACH")]));
    assert_field_error(&r, 400, "sourceOfFunds.type", "INVALID");
    assert_eq!(sim.token_count(), 2);
}

#[test]
fn plain_card_numbers_and_source_tokens() {
    let sim = start(config());
    let f = ok(&post(
        &sim,
        &with(
            base("TOKENIZE"),
            &[("sourceOfFunds.type", "CARD"), ("sourceOfFunds.provided.card.number", "5105105105105100")],
        ),
    ));
    assert_eq!(f["sourceOfFunds.provided.card.number"], "510510xxxxxx5100");
    let t = f["token"].clone();
    let f = ok(&post(&sim, &with(base("TOKENIZE"), &[("sourceOfFunds.type", "CARD"), ("sourceOfFunds.token", &t)])));
    assert_eq!(f["sourceOfFunds.provided.card.number"], "510510xxxxxx5100");
    assert_ne!(f["token"], t);
    let r =
        post(&sim, &with(base("TOKENIZE"), &[("sourceOfFunds.type", "CARD"), ("sourceOfFunds.token", "NOSUCHTOKEN")]));
    assert_field_error(&r, 400, "sourceOfFunds.token", "INVALID");
}

#[test]
fn merchant_supplied_tokens() {
    let sim = start(config().token_strategy(TokenStrategy::MerchantSupplied));
    let p = terminal::encrypt_pan(VISA).unwrap();
    assert_field_error(&post(&sim, &tokenize(&p)), 400, "token", "MISSING");
    let f = ok(&post(&sim, &with(tokenize(&p), &[("token", "MYTOKEN42")])));
    assert_eq!(f["token"], "MYTOKEN42");
    // Update of the same token with another card.
    let p2 = terminal::encrypt_pan("5555555555554444").unwrap();
    let f = ok(&post(&sim, &with(tokenize(&p2), &[("token", "MYTOKEN42")])));
    assert_eq!(f["sourceOfFunds.provided.card.number"], "555555xxxxxx4444");
    assert_eq!(sim.token_count(), 1);
    assert_field_error(&post(&sim, &with(tokenize(&p), &[("token", "not-alnum!")])), 400, "token", "INVALID");
}

/// tokenize.nvp-v50.txt:7 — "If you use a Merchant-Supplied generation strategy, you also use
/// this call to create the token": under Random and Preserve 6.4 a `token` the repository
/// does not hold is refused (INVALID on `token`), nothing is stored; an existing one is updated.
#[test]
fn only_merchant_supplied_creates_a_token_the_request_names() {
    for strategy in [TokenStrategy::RandomWithLuhn, TokenStrategy::Preserve64] {
        let sim = start(config().token_strategy(strategy));
        let p = terminal::encrypt_pan(VISA).unwrap();
        // A 6.4-shaped and a Luhn-shaped token alike: neither is the repository's.
        for t in ["4000001234560002", "9000000000000009", "MYTOKEN42"] {
            let r = post(&sim, &with(tokenize(&p), &[("token", t)]));
            assert_field_error(&r, 400, "token", "INVALID");
            assert!(r.get("error.explanation").unwrap().contains("No such token"), "{strategy:?}");
        }
        assert_eq!(sim.token_count(), 0, "{strategy:?}");
        let t = ok(&post(&sim, &tokenize(&p)))["token"].clone();
        let f = ok(&post(&sim, &with(tokenize(&p), &[("token", &t)])));
        assert_eq!(f["token"], t);
        assert_eq!(sim.token_count(), 1);
    }
}

#[test]
fn random_luhn_tokens() {
    let sim = start(config().token_strategy(TokenStrategy::RandomWithLuhn));
    let p = terminal::encrypt_pan(VISA).unwrap();
    let mut seen = std::collections::HashSet::new();
    for _ in 0..20 {
        let t = ok(&post(&sim, &tokenize(&p)))["token"].clone();
        assert_eq!(t.len(), 16);
        assert!(t.starts_with('9'));
        assert!(gw_sim::cards::luhn_valid(&t));
        assert!(seen.insert(t));
    }
}

#[test]
fn preserve_6_4_tokens() {
    let sim = start(config().token_strategy(TokenStrategy::Preserve64));
    for pan in ["4000000000000002", "371449635398431", "6011000990139424"] {
        let t = ok(&post(&sim, &tokenize(&terminal::encrypt_pan(pan).unwrap())))["token"].clone();
        assert_eq!(t.len(), pan.len());
        assert_eq!(&t[..6], &pan[..6]);
        assert_eq!(&t[t.len() - 4..], &pan[pan.len() - 4..]);
        assert!(!gw_sim::cards::luhn_valid(&t));
        // The card number of a 6.4 token cannot change.
        let other = terminal::encrypt_pan("5555555555554444").unwrap();
        assert_field_error(&post(&sim, &with(tokenize(&other), &[("token", &t)])), 400, "token", "INVALID");
    }
}

#[test]
fn unique_card_returns_the_existing_token() {
    let sim = start(config().repository_mode(RepositoryMode::UniqueCard));
    let a = ok(&post(&sim, &tokenize(&terminal::encrypt_pan(VISA).unwrap())))["token"].clone();
    let b = ok(&post(
        &sim,
        &tokenize(&p2pe(VISA, |o| {
            o.ksn = "FFFF9876543210E00002".into();
            o.plaintext = Plaintext::Track2;
        })),
    ))["token"]
        .clone();
    assert_eq!(a, b);
    assert_eq!(sim.token_count(), 1);
    // Storing the same card under another (existing) token breaks uniqueness.
    let other = ok(&post(&sim, &tokenize(&terminal::encrypt_pan("5555555555554444").unwrap())))["token"].clone();
    let r = post(&sim, &with(tokenize(&terminal::encrypt_pan(VISA).unwrap()), &[("token", &other)]));
    assert_field_error(&r, 400, "token", "INVALID");
    assert!(r.get("error.explanation").unwrap().contains("UNIQUE_CARD"));
    // Unique-token mode makes a new token each time.
    let sim = start(config().repository_mode(RepositoryMode::UniqueToken));
    let a = ok(&post(&sim, &tokenize(&terminal::encrypt_pan(VISA).unwrap())))["token"].clone();
    let b = ok(&post(&sim, &tokenize(&terminal::encrypt_pan(VISA).unwrap())))["token"].clone();
    assert_ne!(a, b);
}

fn create_session(sim: &gw_sim::Sim) -> (String, String) {
    let f = ok(&post(sim, &base("CREATE_SESSION")));
    (f["session.id"].clone(), f["session.version"].clone())
}

#[test]
fn sessions_merge_under_the_request() {
    let sim = start(config());
    let (id, v0) = create_session(&sim);
    let p = terminal::encrypt_pan(VISA).unwrap();
    // Store the card in the session.
    let mut upd = with(base("UPDATE_SESSION"), &[("session.id", &id), ("sourceOfFunds.type", "CARD")]);
    upd.extend(p.fields());
    let f = ok(&post(&sim, &upd));
    assert_eq!(f["session.updateStatus"], "SUCCESS");
    let v1 = f["session.version"].clone();
    assert_ne!(v1, v0);
    // TOKENIZE with only the session.
    let t = with(base("TOKENIZE"), &[("session.id", &id), ("session.version", &v1)]);
    let f = ok(&post(&sim, &t));
    assert_eq!(f["sourceOfFunds.provided.card.number"], "400000xxxxxx0002");
    // The request overrides the session's fields.
    let mc = terminal::encrypt_pan("5555555555554444").unwrap();
    let mut t2 = with(base("TOKENIZE"), &[("session.id", &id)]);
    t2.extend(mc.fields());
    let f = ok(&post(&sim, &t2));
    assert_eq!(f["sourceOfFunds.provided.card.brand"], "MASTERCARD");
    // Version mismatch, unknown session, another merchant's session.
    let r = post(&sim, &with(t.clone(), &[("session.version", &v0)]));
    assert_field_error(&r, 400, "session.version", "INVALID");
    let r = post(&sim, &with(t.clone(), &[("session.id", "SESSION0002AAAAAAAAAAAAAAAAAAAA")]));
    assert_field_error(&r, 400, "session.id", "INVALID");
    // UPDATE_SESSION checks fields by the TOKENIZE rules.
    let r = post(&sim, &with(base("UPDATE_SESSION"), &[("session.id", &id), ("bogus", "1")]));
    assert_field_error(&r, 400, "bogus", "UNSUPPORTED");
    let r = post(&sim, &base("UPDATE_SESSION"));
    assert_field_error(&r, 400, "session.id", "MISSING");
}

/// A session that holds some data: created, then updated with `fields`.
fn updated_session(sim: &gw_sim::Sim, fields: &[(&str, &str)]) -> String {
    let (id, _) = create_session(sim);
    let f = ok(&post(sim, &with(with(base("UPDATE_SESSION"), &[("session.id", &id)]), fields)));
    assert_eq!(f["session.updateStatus"], "SUCCESS");
    id
}

/// create-session.nvp-v39.txt:101-115 — "In order to perform an operation using this session
/// this value must be SUCCESS": NO_UPDATE (:109-111) and FAILURE (:105-107) sessions are refused;
/// an expired session and an unknown one each get their own explanation.
#[test]
fn sessions_refused_by_their_state() {
    let sim = start(config().session_ttl(Duration::from_millis(400)));
    let p = terminal::encrypt_pan(VISA).unwrap();
    let explanation = |id: &str| {
        let r = post(&sim, &with(tokenize(&p), &[("session.id", id)]));
        assert_field_error(&r, 400, "session.id", "INVALID");
        r.get("error.explanation").unwrap()
    };
    // NO_UPDATE: created, never updated.
    let (empty, _) = create_session(&sim);
    assert!(explanation(&empty).contains("NO_UPDATE"));
    // FAILURE: an update the rules refuse marks the session, which is then refused...
    let failed = updated_session(&sim, &[("sourceOfFunds.type", "CARD")]);
    let r = post(&sim, &with(base("UPDATE_SESSION"), &[("session.id", &failed), ("bogus", "1")]));
    assert_field_error(&r, 400, "bogus", "UNSUPPORTED");
    assert!(explanation(&failed).contains("FAILURE"));
    // ...until an update succeeds again.
    let f = ok(&post(&sim, &with(base("UPDATE_SESSION"), &[("session.id", &failed), ("verificationStrategy", "NONE")])));
    assert_eq!(f["session.updateStatus"], "SUCCESS");
    ok(&post(&sim, &with(tokenize(&p), &[("session.id", &failed)])));
    // Unknown.
    assert!(explanation("SESSION0002AAAAAAAAAAAAAAAAAAAA").contains("not found"));
    // Expired: its own error, also for UPDATE_SESSION.
    let id = updated_session(&sim, &[("sourceOfFunds.type", "CARD")]);
    ok(&post(&sim, &with(tokenize(&p), &[("session.id", &id)])));
    std::thread::sleep(Duration::from_millis(550));
    assert!(explanation(&id).contains("expired"));
    let r = post(&sim, &with(base("UPDATE_SESSION"), &[("session.id", &id), ("verificationStrategy", "NONE")]));
    assert_field_error(&r, 400, "session.id", "INVALID");
    assert!(r.get("error.explanation").unwrap().contains("expired"));
}

/// tokenize.nvp-v50.txt:63 (request over session) and :89 (provided card details override
/// session card details, which override card token details).
#[test]
fn session_fields_merge_by_the_reference_precedence() {
    let sim = start(config());
    let p = terminal::encrypt_pan(VISA).unwrap();
    // The session holds a P2PE Visa; the request a clear Mastercard: the request's card wins
    // (not "both forms given").
    let mut upd = with(base("UPDATE_SESSION"), &[("sourceOfFunds.type", "CARD")]);
    upd.extend(p.fields());
    let (id, _) = create_session(&sim);
    ok(&post(&sim, &with(upd, &[("session.id", &id)])));
    let f = ok(&post(
        &sim,
        &with(base("TOKENIZE"), &[("session.id", &id), ("sourceOfFunds.provided.card.number", "5555555555554444")]),
    ));
    assert_eq!(f["sourceOfFunds.provided.card.number"], "555555xxxxxx4444");
    // Session card details over the card token's: the session's number wins over
    // sourceOfFunds.token, while the token still supplies what the session lacks (the expiry).
    let t = ok(&post(
        &sim,
        &with(
            tokenize(&p),
            &[("sourceOfFunds.provided.card.expiry.month", "7"), ("sourceOfFunds.provided.card.expiry.year", "33")],
        ),
    ))["token"]
        .clone();
    let id = updated_session(&sim, &[("sourceOfFunds.provided.card.number", "5105105105105100")]);
    let f = ok(&post(
        &sim,
        &with(base("TOKENIZE"), &[("session.id", &id), ("sourceOfFunds.type", "CARD"), ("sourceOfFunds.token", &t)]),
    ));
    assert_eq!(f["sourceOfFunds.provided.card.number"], "510510xxxxxx5100");
    assert_eq!(f["sourceOfFunds.provided.card.expiry"], "0733");
}

#[test]
fn sessions_belong_to_their_merchant() {
    let sim = start(config().merchant("OTHERMERCHANT", "pw2"));
    let (id, _) = create_session(&sim);
    let p = terminal::encrypt_pan(VISA).unwrap();
    let f = with(
        tokenize(&p),
        &[
            ("session.id", &id),
            ("apiUsername", "merchant.OTHERMERCHANT"),
            ("apiPassword", "pw2"),
            ("merchant", "OTHERMERCHANT"),
        ],
    );
    assert_field_error(&post(&sim, &f), 400, "session.id", "INVALID");
}

#[test]
fn custom_bdk() {
    let bdk = [0x42u8; 16];
    let sim = start(config().bdk(bdk));
    let p = p2pe(VISA, |o| o.bdk = bdk);
    ok(&post(&sim, &tokenize(&p)));
    assert_field_error(
        &post(&sim, &tokenize(&terminal::encrypt_pan(VISA).unwrap())),
        400,
        &format!("{P}payload"),
        "INVALID",
    );
}
