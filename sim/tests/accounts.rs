//! ACH accounts and gift cards (issue 11 item 5), and the reference's
//! cross-field requirements, which live in the shared rule table
//! (`gw::rules::check_cross_fields`) so that the library refuses locally what
//! gw-sim refuses.

mod common;
use common::*;
use gw::rules::{check_request, Completeness, Operation};

const ACH: &str = "sourceOfFunds.provided.ach.";
const GIFT: &str = "sourceOfFunds.provided.giftCard.";

fn ach(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let f = with(
        base("TOKENIZE"),
        &[
            ("sourceOfFunds.type", "ACH"),
            ("sourceOfFunds.provided.ach.accountType", "CONSUMER_CHECKING"),
            ("sourceOfFunds.provided.ach.bankAccountHolder", "Pat Q. Payer"),
            ("sourceOfFunds.provided.ach.bankAccountNumber", "123456789012"),
            ("sourceOfFunds.provided.ach.routingNumber", "011000015"),
            ("sourceOfFunds.provided.ach.secCode", "WEB"),
        ],
    );
    with(f, extra)
}

fn gift(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    with(
        with(
            base("TOKENIZE"),
            &[
                ("sourceOfFunds.type", "GIFT_CARD"),
                ("sourceOfFunds.provided.giftCard.number", "6006491234567890123"),
                ("sourceOfFunds.provided.giftCard.pin", "4321"),
            ],
        ),
        extra,
    )
}

/// The library's own check of a request (what gw does before sending).
fn local(fields: &[(String, String)]) -> Result<(), gw::rules::FieldError> {
    check_request(Operation::Tokenize, 50, fields, Completeness::Complete)
}

/// tokenize.nvp-v50.txt:97-99 (ACH: every field of the group), :309-311, and the answer
/// :454-547 (bankAccountNumber masked `xxxxxx0000`, :507; accountIdentifier 19-27, :460-468).
#[test]
fn ach_accounts() {
    let sim = start(config());
    let f = ach(&[]);
    assert_eq!(local(&f), Ok(()));
    let r = post(&sim, &f);
    let a = r.fields();
    assert_eq!(r.status, 200, "{a:?}");
    assert_eq!(a["result"], "SUCCESS");
    assert_eq!(a["sourceOfFunds.type"], "ACH");
    assert_eq!(a[&format!("{ACH}bankAccountNumber")], "xxxxxxxx9012");
    assert_eq!(a[&format!("{ACH}routingNumber")], "011000015");
    assert_eq!(a[&format!("{ACH}accountType")], "CONSUMER_CHECKING");
    assert_eq!(a[&format!("{ACH}secCode")], "WEB");
    let id = &a[&format!("{ACH}accountIdentifier")];
    assert!((19..=27).contains(&id.len()) && !id.contains("12345678"), "{id}");
    assert_eq!(a["response.gatewayCode"], "NO_VERIFICATION_PERFORMED");
    assert!(!String::from_utf8_lossy(&r.body).contains("123456789012"));
    let token = a["token"].clone();
    assert!(token.len() == 16 && token.starts_with('9'));
    // Each missing ACH field: refused by the library and by gw-sim alike, MISSING on that field.
    for name in ["accountType", "bankAccountHolder", "bankAccountNumber", "routingNumber", "secCode"] {
        let field = format!("{ACH}{name}");
        let f = without(ach(&[]), &field);
        assert_eq!(local(&f).unwrap_err().field, field);
        assert_field_error(&post(&sim, &f), 400, &field, "MISSING");
    }
    // BASIC checks the routing number's ABA check digit; no card expiry needed for ACH.
    let f = ok(&post(&sim, &ach(&[("verificationStrategy", "BASIC")])));
    assert_eq!(f["response.gatewayCode"], "BASIC_VERIFICATION_SUCCESSFUL");
    let r = post(&sim, &ach(&[("verificationStrategy", "BASIC"), (&format!("{ACH}routingNumber"), "011000016")]));
    assert_field_error(&r, 400, &format!("{ACH}routingNumber"), "INVALID");
    // Updating the token keeps it.
    let f = ok(&post(&sim, &ach(&[("token", &token)])));
    assert_eq!(f["token"], token);
    // An ACH token holds no card: a CARD request cannot take its card from it.
    let card = with(base("TOKENIZE"), &[("sourceOfFunds.type", "CARD"), ("sourceOfFunds.token", &token)]);
    assert_field_error(&post(&sim, &card), 400, "sourceOfFunds.token", "INVALID");
}

/// tokenize.nvp-v50.txt:222-248, :317-319 (GIFT_CARD: the giftCard group), answer :717-771
/// (brand LOCAL_BRAND_ONLY, scheme OTHER, number 6.4-masked, pin masked).
#[test]
fn gift_cards() {
    let sim = start(config());
    let f = gift(&[(&format!("{GIFT}expectedLocalBrand"), "GWSIM_GIFT")]);
    assert_eq!(local(&f), Ok(()));
    let a = ok(&post(&sim, &f));
    assert_eq!(a["sourceOfFunds.type"], "GIFT_CARD");
    assert_eq!(a[&format!("{GIFT}brand")], "LOCAL_BRAND_ONLY");
    assert_eq!(a[&format!("{GIFT}scheme")], "OTHER");
    assert_eq!(a[&format!("{GIFT}localBrand")], "GWSIM_GIFT");
    assert_eq!(a[&format!("{GIFT}number")], "600649xxxxxxxxx0123");
    assert_eq!(a[&format!("{GIFT}pin")], "xxxx");
    assert!(!a.keys().any(|k| k.starts_with("sourceOfFunds.provided.card.")));
    let f = without(gift(&[]), &format!("{GIFT}number"));
    assert_eq!(local(&f).unwrap_err().field, format!("{GIFT}number"));
    assert_field_error(&post(&sim, &f), 400, &format!("{GIFT}number"), "MISSING");
}

/// tokenize.nvp-v50.txt:341 (BASIC or ACQUIRER: the card expiry group) and :328-332
/// (ACQUIRER: transaction.currency): rules of the reference, so the library refuses them too.
#[test]
fn cross_field_rules_are_shared() {
    let sim = start(config());
    let card = |extra: &[(&str, &str)]| {
        with(
            with(base("TOKENIZE"), &[("sourceOfFunds.type", "CARD"), ("sourceOfFunds.provided.card.number", VISA)]),
            extra,
        )
    };
    let month = "sourceOfFunds.provided.card.expiry.month";
    let expiry = [(month, "12"), ("sourceOfFunds.provided.card.expiry.year", "39")];
    for strategy in ["BASIC", "ACQUIRER"] {
        let f = card(&[("verificationStrategy", strategy), ("transaction.currency", "USD")]);
        assert_eq!(local(&f).unwrap_err().field, month, "{strategy}");
        assert_field_error(&post(&sim, &f), 400, month, "MISSING");
    }
    let f = card(&[&expiry[..], &[("verificationStrategy", "ACQUIRER")]].concat());
    let e = local(&f).unwrap_err();
    assert_eq!(e.field, "transaction.currency");
    assert!(e.rule.contains("ACQUIRER"), "{}", e.rule);
    assert_field_error(&post(&sim, &f), 400, "transaction.currency", "MISSING");
    // BASIC needs no currency; NONE needs neither (gw-sim still wants an expiry to answer).
    assert_eq!(local(&card(&[&expiry[..], &[("verificationStrategy", "BASIC")]].concat())), Ok(()));
    assert_eq!(local(&card(&[("verificationStrategy", "NONE")])), Ok(()));
    // A merchant profile defaulting to ACQUIRER (gw-sim --verification): the simulator
    // applies the same rule with the strategy in force.
    let acq = start(config().default_verification("ACQUIRER"));
    assert_field_error(&post(&acq, &card(&expiry)), 400, "transaction.currency", "MISSING");
    ok(&post(&acq, &card(&[&expiry[..], &[("transaction.currency", "EUR")]].concat())));
}

/// "Only where the reference lists it" (issue 11 item 4): every field gw-sim answers — a card,
/// an ACH account, a gift card, a decline, CREATE_SESSION — is a response or error row of the
/// reference (tokenize.nvp-v50.txt:360-947, create-session.nvp-v39.txt:44-215), as
/// `gw::rules` transcribes them. TOKENIZE's answer has no `merchant`.
#[test]
fn every_answered_field_is_a_row_of_the_reference() {
    let sim = start(config());
    let e = [("sourceOfFunds.provided.card.expiry.month", "12"), ("sourceOfFunds.provided.card.expiry.year", "39")];
    let card = with(
        with(
            base("TOKENIZE"),
            &[("sourceOfFunds.type", "CARD"), ("sourceOfFunds.provided.card.number", "4970100000000014")],
        ),
        &e,
    );
    let declined =
        with(card.clone(), &[("verificationStrategy", "ACQUIRER"), ("transaction.currency", "EUR"), (e[0].0, "5")]);
    let error = with(card.clone(), &[("bogus", "1")]);
    let cases = [
        (Operation::Tokenize, card, "SUCCESS"),
        (Operation::Tokenize, ach(&[]), "SUCCESS"),
        (Operation::Tokenize, gift(&[(&format!("{GIFT}expectedLocalBrand"), "GWSIM_GIFT")]), "SUCCESS"),
        (Operation::Tokenize, declined, "FAILURE"),
        (Operation::Tokenize, error, "ERROR"),
        (Operation::CreateSession, with(base("CREATE_SESSION"), &[("correlationId", "c1")]), "SUCCESS"),
    ];
    for (op, request, result) in cases {
        let answer = post(&sim, &request).fields();
        assert_eq!(answer.get("result").map(String::as_str), Some(result), "{answer:?}");
        for name in answer.keys() {
            let listed = op.response_fields().iter().chain(gw::rules::ERROR_FIELDS).any(|f| f.name == name);
            assert!(listed, "{op:?} answers '{name}', which the reference does not list");
        }
        assert_eq!(answer.contains_key("merchant"), op == Operation::CreateSession, "{answer:?}");
    }
}
