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
                    // Every layout carries the terminal's expiry.
                    assert_eq!(f["sourceOfFunds.provided.card.expiry"], "0931");
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
    // The reference lists no merchant in TOKENIZE's answer (tokenize.nvp-v50.txt:360-860).
    assert_eq!(f.get("merchant"), None);
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
    let r = post(&sim, &with(tokenize(&p2pe(VISA, |o| o.expiry = None)), &[("verificationStrategy", "BASIC")]));
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
    // Decrypts, too short (the card number rule: 9 to 19 digits).
    let r = post(&sim, &tokenize(&raw_payload(b"40000002\0\0\0\0\0\0\0\0")));
    assert_field_error(&r, 400, &format!("{P}payload"), "INVALID");
    assert!(r.get("error.explanation").unwrap().contains("9 to 19"));
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
    // ACH without its group (tokenize.nvp-v50.txt:99): the shared cross-field rule.
    let r = post(&sim, &with(tokenize(&p), &[("sourceOfFunds.type", "ACH")]));
    assert_field_error(&r, 400, "sourceOfFunds.provided.ach.accountType", "MISSING");
    assert_eq!(sim.token_count(), 2);
}

/// The seam between the shared field rules and the simulator's decryption
/// (issue 11 item 7): tokenize.nvp-v50.txt:295 allows 32 to 1024 hex digits, so a
/// payload of 36 passes the library's rules; gw-sim then answers it like any payload
/// the gateway cannot decrypt — the same cause, field, type and lead as a wrong key.
#[test]
fn an_undecryptable_payload_is_a_decryption_outcome_not_a_field_rule() {
    let sim = start(config());
    let mut p = terminal::encrypt_pan(VISA).unwrap();
    p.payload.push_str("ABCD");
    let fields = tokenize(&p);
    assert_eq!(
        gw::rules::check_request(gw::rules::Operation::Tokenize, 50, &fields, gw::rules::Completeness::Complete),
        Ok(())
    );
    let blocks = post(&sim, &fields);
    assert_field_error(&blocks, 400, &format!("{P}payload"), "INVALID");
    let wrong_key = post(&sim, &tokenize(&p2pe(VISA, |o| o.bdk = [0x11; 16])));
    assert_field_error(&wrong_key, 400, &format!("{P}payload"), "INVALID");
    for r in [&blocks, &wrong_key] {
        assert!(r.get("error.explanation").unwrap().starts_with(gw_sim::handlers::UNDECRYPTABLE), "{:?}", r.fields());
    }
    assert!(blocks.get("error.explanation").unwrap().contains("whole number"));
    // An odd number of hex digits is a field rule (hex is pairs), refused by the library too.
    p.payload.push('A');
    let local = gw::rules::check_field(gw::rules::Operation::Tokenize, 50, &format!("{P}payload"), &p.payload);
    assert!(local.is_err());
    assert_field_error(&post(&sim, &tokenize(&p)), 400, &format!("{P}payload"), "INVALID");
    assert!(!post(&sim, &tokenize(&p)).get("error.explanation").unwrap().starts_with(gw_sim::handlers::UNDECRYPTABLE));
}

fn expiry(mmyy: &str) -> [(&'static str, String); 2] {
    [
        ("sourceOfFunds.provided.card.expiry.month", mmyy[..2].to_string()),
        ("sourceOfFunds.provided.card.expiry.year", mmyy[2..].to_string()),
    ]
}

/// A clear-card TOKENIZE with `strategy` and extra fields.
fn clear(pan: &str, strategy: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let e = expiry("1239");
    let mut f = with(
        base("TOKENIZE"),
        &[
            ("sourceOfFunds.type", "CARD"),
            ("sourceOfFunds.provided.card.number", pan),
            ("verificationStrategy", strategy),
            (e[0].0, &e[0].1),
            (e[1].0, &e[1].1),
        ],
    );
    f = with(f, extra);
    f
}

/// tokenize.nvp-v50.txt:355-357 — NONE "does not perform any validation": a P2PE card of
/// 9-19 digits that fails Luhn is stored, as a clear one is. :351-353 — BASIC checks the
/// number's format (Luhn) and that it falls in a known BIN range.
#[test]
fn verification_none_and_basic() {
    let sim = start(config());
    for pan in ["4000000000000003", "400000003", "9999999999999999"] {
        let f = ok(&post(&sim, &tokenize(&p2pe(pan, |_| {}))));
        assert_eq!(f["response.gatewayCode"], "NO_VERIFICATION_PERFORMED", "{pan}");
        ok(&post(&sim, &clear(pan, "NONE", &[])));
    }
    let e = expiry("1239");
    let basic = |pan: &str| {
        post(
            &sim,
            &with(
                tokenize(&p2pe(pan, |_| {})),
                &[("verificationStrategy", "BASIC"), (e[0].0, &e[0].1), (e[1].0, &e[1].1)],
            ),
        )
    };
    let f = ok(&basic(VISA));
    assert_eq!(f["response.gatewayCode"], "BASIC_VERIFICATION_SUCCESSFUL");
    // Luhn, then the range (unknown scheme; known scheme, wrong length).
    for (pan, why) in [("4000000000000003", "Luhn"), ("9000000000000001", "BIN range"), ("400000006", "BIN range")] {
        let r = basic(pan);
        assert_field_error(&r, 400, &format!("{P}payload"), "INVALID");
        assert!(r.get("error.explanation").unwrap().contains(why), "{pan}: {:?}", r.fields());
        assert!(!String::from_utf8_lossy(&r.body).contains(pan));
        let r = post(&sim, &clear(pan, "BASIC", &[]));
        assert_field_error(&r, 400, "sourceOfFunds.provided.card.number", "INVALID");
    }
}

/// tokenize.nvp-v50.txt:328-332 (transaction.currency for acquirer verification), :347-349,
/// and the gateway codes of :382-422 for the documented test cards (sim/README.md).
#[test]
fn verification_acquirer_and_its_test_cards() {
    let sim = start(config());
    let acquirer = |pan: &str, extra: &[(&str, &str)]| {
        post(&sim, &with(clear(pan, "ACQUIRER", extra), &[("transaction.currency", "USD")]))
    };
    let f = ok(&acquirer(VISA, &[]));
    assert_eq!(f["response.gatewayCode"], "EXTERNAL_VERIFICATION_SUCCESSFUL");
    assert_eq!(f["verificationStrategy"], "ACQUIRER");
    // The currency is required for ACQUIRER, not for BASIC.
    let r = post(&sim, &clear(VISA, "ACQUIRER", &[]));
    assert_field_error(&r, 400, "transaction.currency", "MISSING");
    ok(&post(&sim, &clear(VISA, "BASIC", &[])));
    let before = sim.token_count();
    type Extra = Vec<(&'static str, String)>;
    let declines: Vec<(&str, Extra, &str)> = vec![
        (gw_sim::cards::DECLINED_PAN, vec![], "EXTERNAL_VERIFICATION_DECLINED"),
        (VISA, expiry("0539").to_vec(), "EXTERNAL_VERIFICATION_DECLINED"),
        (VISA, expiry("0427").to_vec(), "EXTERNAL_VERIFICATION_DECLINED_EXPIRED_CARD"),
        (VISA, expiry("0137").to_vec(), "EXTERNAL_VERIFICATION_PROCESSING_ERROR"),
        (VISA, expiry("0237").to_vec(), "EXTERNAL_VERIFICATION_BLOCKED"),
        (VISA, expiry("0337").to_vec(), "EXTERNAL_VERIFICATION_DECLINED_AUTHENTICATION_REQUIRED"),
        (
            VISA,
            vec![("sourceOfFunds.provided.card.securityCode", "102".to_string())],
            "EXTERNAL_VERIFICATION_DECLINED_INVALID_CSC",
        ),
    ];
    for (pan, extra, code) in &declines {
        let extra: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = acquirer(pan, &extra);
        let f = r.fields();
        assert_eq!(r.status, 200, "{f:?}");
        assert_eq!(f["result"], "FAILURE", "{f:?}");
        assert_eq!(f["response.gatewayCode"], *code);
        assert_eq!(f.get("token"), None);
        // The same card under BASIC is stored: only the acquirer declines.
        ok(&post(&sim, &clear(pan, "BASIC", &extra)));
    }
    assert_eq!(sim.token_count(), before + declines.len());
    // A good security code passes.
    ok(&acquirer(VISA, &[("sourceOfFunds.provided.card.securityCode", "100")]));
}

/// tokenize.nvp-v50.txt:610 (expiry ALWAYS PROVIDED), :617-659 (fundingMethod, issuer,
/// localBrand from the BIN), :786-800 (status INVALID), :664 (UNMASK needs certificate
/// authentication), and no `merchant` in the answer.
#[test]
fn response_fields_by_bin_status_and_unmask() {
    let sim = start(config());
    // Expiry always provided: a bare PAN with no expiry anywhere is refused, not answered without it.
    let bare = p2pe(VISA, |o| o.expiry = None);
    let r = post(&sim, &tokenize(&bare));
    assert_field_error(&r, 400, "sourceOfFunds.provided.card.expiry.month", "MISSING");
    assert!(r.get("error.explanation").unwrap().contains("always provides"));
    let e = expiry("0830");
    let f = ok(&post(&sim, &with(tokenize(&bare), &[(e[0].0, &e[0].1), (e[1].0, &e[1].1)])));
    assert_eq!(f["sourceOfFunds.provided.card.expiry"], "0830");
    // An update without an expiry keeps the token's.
    let f = ok(&post(&sim, &with(tokenize(&bare), &[("token", &f["token"])])));
    assert_eq!(f["sourceOfFunds.provided.card.expiry"], "0830");
    // By BIN: same brand, different funding; issuer and local brand where the table knows them.
    let info = |pan: &str| ok(&post(&sim, &clear(pan, "NONE", &[])));
    let f = info(VISA);
    assert_eq!(f["sourceOfFunds.provided.card.fundingMethod"], "CREDIT");
    assert_eq!(f["sourceOfFunds.provided.card.issuer"], "GW-SIM TEST BANK");
    assert_eq!(f.get("sourceOfFunds.provided.card.localBrand"), None);
    assert_eq!(f.get("merchant"), None);
    assert_eq!(info("4761739001010010")["sourceOfFunds.provided.card.fundingMethod"], "DEBIT");
    let f = info("4111111111111111");
    assert_eq!(f["sourceOfFunds.provided.card.fundingMethod"], "UNKNOWN");
    assert_eq!(f.get("sourceOfFunds.provided.card.issuer"), None);
    let f = info("4970100000000014");
    assert_eq!(f["sourceOfFunds.provided.card.localBrand"], "CARTE_BANCAIRE");
    assert_eq!(f["sourceOfFunds.provided.card.brand"], "VISA");
    // Status INVALID test card.
    assert_eq!(info(gw_sim::cards::INVALID_STATUS_PAN)["status"], "INVALID");
    assert_eq!(info(VISA)["status"], "VALID");
    // UNMASK over password authentication: still masked.
    let f = ok(&post(&sim, &clear(VISA, "NONE", &[("responseControls.sensitiveData", "UNMASK")])));
    assert_eq!(f["sourceOfFunds.provided.card.number"], "400000xxxxxx0002");
}

#[test]
fn plain_card_numbers_and_source_tokens() {
    let sim = start(config());
    let f = ok(&post(&sim, &clear("5105105105105100", "NONE", &[])));
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
    let f =
        ok(&post(&sim, &with(base("UPDATE_SESSION"), &[("session.id", &failed), ("verificationStrategy", "NONE")])));
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
        &with(
            base("TOKENIZE"),
            &[
                ("session.id", &id),
                ("sourceOfFunds.provided.card.number", "5555555555554444"),
                ("sourceOfFunds.provided.card.expiry.month", "1"),
                ("sourceOfFunds.provided.card.expiry.year", "30"),
            ],
        ),
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
