//! The token operations: TOKENIZE, RETRIEVE_TOKEN, DELETE_TOKEN.

use super::{
    declined, get, request_expiry, Gateway, NvpError, F_BIN, F_IV, F_KSN, F_MONTH, F_NUMBER, F_PAYLOAD, F_STATE, P2PE,
};
use crate::tokens::{StoreError, TokenRecord};
use crate::{cards, p2pe};
use gw::rules::{self, Operation, ValidationType};
use std::collections::BTreeMap;
use zeroize::Zeroizing;

impl Gateway {
    /// TOKENIZE at API `version`. `certificate_auth`: the caller authenticated
    /// with a client certificate (what `responseControls.sensitiveData=UNMASK` needs).
    pub(super) fn tokenize(
        &self,
        request: &[(String, String)],
        merchant: &str,
        version: u32,
        certificate_auth: bool,
    ) -> Result<BTreeMap<String, String>, NvpError> {
        let merged = self.complete_request(Operation::Tokenize, version, request, merchant)?;
        let fields: &[(String, String)] = merged.as_ref().map_or(request, |m| &m.0);
        // The reference's cross-field rules (shared with the library), with
        // the merchant profile's verification strategy when the request names none.
        rules::check_cross_fields(Operation::Tokenize, fields, Some(self.cfg.default_verification))?;
        // UNMASK needs the permission and certificate authentication
        // (tokenize.nvp-v50.txt:664, :507); otherwise numbers stay masked.
        let unmask = certificate_auth && get(fields, "responseControls.sensitiveData") == Some("UNMASK");
        let verification = get(fields, "verificationStrategy").unwrap_or(self.cfg.default_verification);
        match get(fields, "sourceOfFunds.type") {
            Some("ACH") => return self.tokenize_account(fields, merchant, verification, Account::ach(fields, unmask)?),
            Some("GIFT_CARD") => {
                return self.tokenize_account(fields, merchant, verification, Account::gift_card(fields, unmask))
            }
            _ => {}
        }
        let has_p2pe = fields.iter().any(|(n, _)| n.starts_with(P2PE));
        if has_p2pe && get(fields, F_STATE) == Some("INVALID") {
            // tokenize.nvp-v50.txt:268: the gateway declines an INVALID encryption state.
            return Ok(declined("EXTERNAL_VERIFICATION_DECLINED"));
        }
        let token = get(fields, "token");
        let (pan, track_expiry) = self.card_from(fields, has_p2pe)?;
        let number_field = if has_p2pe { F_PAYLOAD } else { F_NUMBER };
        // Provided (request, then session) over the card token's details
        // (tokenize.nvp-v50.txt:89); then what the updated token already holds.
        let source_token = get(fields, "sourceOfFunds.token").and_then(|t| self.repository.get(t));
        let expiry = request_expiry(fields)
            .or(track_expiry)
            .or_else(|| source_token.and_then(|r| r.expiry.clone()))
            .or_else(|| token.and_then(|t| self.repository.get(t)).and_then(|r| r.expiry));
        let Some(expiry) = expiry else {
            let why = if verification == "NONE" {
                "The card expiry date is required: the answer always provides sourceOfFunds.provided.card.expiry (tokenize.nvp-v50.txt:610); give sourceOfFunds.provided.card.expiry.month and .year, a track with the expiry, or a token or session that holds it".to_owned()
            } else {
                format!("The card expiry date is required when the verification strategy is {verification} (tokenize.nvp-v50.txt:341)")
            };
            return Err(NvpError::field(F_MONTH, ValidationType::Missing, why));
        };
        let info = cards::card_info(&pan);
        let gateway_code = match verification {
            // tokenize.nvp-v50.txt:357: NONE performs no validation at all.
            "NONE" => "NO_VERIFICATION_PERFORMED",
            _ => {
                // BASIC and ACQUIRER: number format, Luhn, a known BIN range (:353).
                if !cards::luhn_valid(&pan) {
                    return Err(NvpError::field(
                        number_field,
                        ValidationType::Invalid,
                        format!("The card number fails the Luhn check ({verification} verification)"),
                    ));
                }
                if !info.in_known_range {
                    return Err(NvpError::field(
                        number_field,
                        ValidationType::Invalid,
                        format!(
                            "The card number is not in a known BIN range of its length ({verification} verification)"
                        ),
                    ));
                }
                if verification == "BASIC" {
                    "BASIC_VERIFICATION_SUCCESSFUL"
                } else {
                    let code = cards::acquirer_verification(
                        &pan,
                        &expiry,
                        get(fields, "sourceOfFunds.provided.card.securityCode"),
                    );
                    if code != "EXTERNAL_VERIFICATION_SUCCESSFUL" {
                        return Ok(declined(code));
                    }
                    code
                }
            }
        };
        let mut out = BTreeMap::new();
        let mut put = |k: &str, v: &str| {
            out.insert(k.to_string(), v.to_string());
        };
        put("response.gatewayCode", gateway_code);
        put("sourceOfFunds.provided.card.brand", info.brand);
        put("sourceOfFunds.provided.card.expiry", &expiry);
        put("sourceOfFunds.provided.card.fundingMethod", info.funding_method);
        if let Some(issuer) = info.issuer {
            put("sourceOfFunds.provided.card.issuer", issuer);
        }
        if let Some(local) = info.local_brand {
            put("sourceOfFunds.provided.card.localBrand", local);
        }
        let number = if unmask { Zeroizing::new(pan.to_string()) } else { Zeroizing::new(cards::mask_6_4(&pan)) };
        put("sourceOfFunds.provided.card.number", &number);
        put("sourceOfFunds.provided.card.scheme", info.scheme);
        put("sourceOfFunds.type", "CARD");
        // tokenize.nvp-v50.txt:786-800: the INVALID test card's token is flagged.
        put("status", if pan.as_str() == cards::INVALID_STATUS_PAN { "INVALID" } else { "VALID" });
        put("verificationStrategy", verification);
        self.store(token, &pan, Some(&expiry), merchant, out)
    }

    /// Stores `identifier` (a card number, an ACH account, a gift card) under
    /// the request's `token` or a new one, and completes `answer` with the
    /// token's fields and `result=SUCCESS`.
    fn store(
        &self,
        token: Option<&str>,
        identifier: &str,
        expiry: Option<&str>,
        merchant: &str,
        answer: BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>, NvpError> {
        let record = self.repository.store(token, identifier, expiry, merchant).map_err(|e| {
            let vt = if e == StoreError::TokenRequired { ValidationType::Missing } else { ValidationType::Invalid };
            NvpError::field("token", vt, e.explanation())
        })?;
        let details = answer
            .iter()
            .filter(|(name, _)| {
                name.starts_with("sourceOfFunds.") || *name == "status" || *name == "verificationStrategy"
            })
            .map(|(name, value)| (name.clone(), masked_detail(name, value)))
            .collect();
        self.repository.set_details(&record.token, details);
        Ok(self.token_answer(&record, answer))
    }

    /// `answer` completed with the token's own fields and `result=SUCCESS`.
    fn token_answer(&self, record: &TokenRecord, mut answer: BTreeMap<String, String>) -> BTreeMap<String, String> {
        let mut put = |k: &str, v: &str| {
            answer.insert(k.to_string(), v.to_string());
        };
        put("repositoryId", self.repository.id());
        put("result", "SUCCESS");
        put("token", &record.token);
        put("usage.lastUpdated", &record.last_updated);
        put("usage.lastUpdatedBy", &record.last_updated_by);
        put("usage.lastUsed", &record.last_used);
        answer
    }

    /// RETRIEVE_TOKEN (`gw::rules::RETRIEVE_TOKEN_PAGE`): the payment details
    /// stored against the token, masked as TOKENIZE answered them
    /// (tokenize.nvp-v50.txt: "Masked digits"), and the token's fields. An
    /// unknown token: [`no_such_token`].
    pub(super) fn retrieve_token(
        &self,
        fields: &[(String, String)],
        merchant: &str,
        version: u32,
    ) -> Result<BTreeMap<String, String>, NvpError> {
        Self::check_complete(Operation::RetrieveToken, version, fields, merchant)?;
        let record = get(fields, "token").and_then(|t| self.repository.get(t)).ok_or_else(no_such_token)?;
        Ok(self.token_answer(&record, record.details.clone()))
    }

    /// DELETE_TOKEN (`gw::rules::DELETE_TOKEN_PAGE`): removes the token;
    /// `result=SUCCESS`. Later calls with it, a repeated DELETE_TOKEN
    /// included, meet [`no_such_token`].
    pub(super) fn delete_token(
        &self,
        fields: &[(String, String)],
        merchant: &str,
        version: u32,
    ) -> Result<BTreeMap<String, String>, NvpError> {
        Self::check_complete(Operation::DeleteToken, version, fields, merchant)?;
        if !get(fields, "token").is_some_and(|t| self.repository.delete(t)) {
            return Err(no_such_token());
        }
        Ok(BTreeMap::from([("result".to_owned(), "SUCCESS".to_owned())]))
    }

    /// TOKENIZE of an ACH bank account or a gift card (tokenize.nvp-v50.txt:97-182,
    /// :222-248; answers :454-547, :717-771): stored by the token strategy under
    /// its account identifier, answered masked.
    fn tokenize_account(
        &self,
        fields: &[(String, String)],
        merchant: &str,
        verification: &str,
        account: Account,
    ) -> Result<BTreeMap<String, String>, NvpError> {
        let gateway_code = match verification {
            "NONE" => "NO_VERIFICATION_PERFORMED",
            "BASIC" => {
                // BASIC "verifies the syntax and supported ranges" (:353): an
                // ACH routing number must pass the ABA check digit.
                if let Some((field, why)) = account.basic_failure {
                    return Err(NvpError::field(field, ValidationType::Invalid, why));
                }
                "BASIC_VERIFICATION_SUCCESSFUL"
            }
            _ => "EXTERNAL_VERIFICATION_SUCCESSFUL",
        };
        let mut answer = account.answer;
        answer.insert("response.gatewayCode".into(), gateway_code.into());
        answer.insert("status".into(), "VALID".into());
        answer.insert("verificationStrategy".into(), verification.into());
        self.store(get(fields, "token"), &account.identifier, None, merchant, answer)
    }

    /// The card number (and a track's expiry) from the P2PE payload, the
    /// clear card number, or `sourceOfFunds.token`.
    pub(super) fn card_from(
        &self,
        fields: &[(String, String)],
        has_p2pe: bool,
    ) -> Result<(Zeroizing<String>, Option<String>), NvpError> {
        let number = get(fields, F_NUMBER);
        if has_p2pe && number.is_some() {
            return Err(NvpError::field(
                F_NUMBER,
                ValidationType::Invalid,
                "Give the card either encrypted (sourceOfFunds.provided.card.p2pe) or in clear (card.number), not both",
            ));
        }
        if has_p2pe {
            return self.decrypt_p2pe(fields);
        }
        if let Some(n) = number {
            return Ok((Zeroizing::new(n.to_string()), None));
        }
        if let Some(t) = get(fields, "sourceOfFunds.token") {
            // A token of an ACH account or a gift card holds no card.
            let rec =
                self.repository.get(t).filter(|r| r.pan().bytes().all(|b| b.is_ascii_digit())).ok_or_else(|| {
                    NvpError::field(
                        "sourceOfFunds.token",
                        ValidationType::Invalid,
                        "No card is stored against this token",
                    )
                })?;
            return Ok((Zeroizing::new(rec.pan().to_string()), rec.expiry.clone()));
        }
        Err(NvpError::field(
            F_PAYLOAD,
            ValidationType::Missing,
            "No card details: give sourceOfFunds.provided.card.p2pe.* (or sourceOfFunds.provided.card.number, or sourceOfFunds.token)",
        ))
    }

    /// Decrypts the P2PE group. The field rules (shared with the library)
    /// have already passed; what fails here is a decryption outcome, answered
    /// as the gateway answers an undecryptable payload: INVALID on the payload.
    fn decrypt_p2pe(&self, fields: &[(String, String)]) -> Result<(Zeroizing<String>, Option<String>), NvpError> {
        let invalid = |f: &str, msg: &str| NvpError::field(f, ValidationType::Invalid, msg);
        let ksn_hex =
            get(fields, F_KSN).ok_or_else(|| NvpError::field(F_KSN, ValidationType::Missing, "field missing"))?;
        let payload_hex = get(fields, F_PAYLOAD)
            .ok_or_else(|| NvpError::field(F_PAYLOAD, ValidationType::Missing, "field missing"))?;
        let plain = p2pe::decrypt(&self.cfg.host_keys(), ksn_hex, get(fields, F_IV), payload_hex).map_err(|e| {
            match e.field {
                p2pe::Field::KeySerialNumber => invalid(F_KSN, &e.message),
                p2pe::Field::InitializationVector => invalid(F_IV, &e.message),
                // Blocks, padding, key: every payload failure is the gateway's undecryptable payload.
                p2pe::Field::Payload => undecryptable(&e.message),
            }
        })?;
        let card = cards::parse_plaintext(&plain).map_err(|e| undecryptable(e.explanation()))?;
        if let Some(bin) = get(fields, F_BIN) {
            if !card.pan.starts_with(bin) {
                return Err(invalid(
                    F_BIN,
                    "The cardBin does not match the leading digits of the decrypted card number",
                ));
            }
        }
        Ok((card.pan.clone(), card.expiry.clone()))
    }
}

/// The answer to a token the repository does not hold (never created, or
/// deleted): HTTP 400, `error.cause=INVALID_REQUEST` on the field `token`,
/// `INVALID` (the reference's error fields for a field that fails
/// validation; the explanation is gw-sim's words).
fn no_such_token() -> NvpError {
    NvpError::field("token", ValidationType::Invalid, "No token of this value is stored in the token repository")
}

/// A detail of a stored token as RETRIEVE_TOKEN shows it: card and gift
/// card numbers by their first 6 and last 4 digits, a bank account number
/// by its last 4 (the TOKENIZE answer's masks, which leave a masked value
/// as it is), other values as stored.
fn masked_detail(name: &str, value: &str) -> String {
    match name {
        "sourceOfFunds.provided.card.number" | "sourceOfFunds.provided.giftCard.number" => cards::mask_6_4(value),
        "sourceOfFunds.provided.ach.bankAccountNumber" => cards::mask_last_4(value),
        _ => value.to_owned(),
    }
}

/// An ACH account or a gift card to tokenize: what identifies it in the
/// repository, its answer fields, and why BASIC verification would fail.
struct Account {
    identifier: Zeroizing<String>,
    answer: BTreeMap<String, String>,
    basic_failure: Option<(&'static str, &'static str)>,
}

impl Account {
    /// An ACH account (every field present: the cross-field rules saw to it).
    fn ach(fields: &[(String, String)], unmask: bool) -> Result<Account, NvpError> {
        const ACH: &str = "sourceOfFunds.provided.ach.";
        let field = |name: &str| get(fields, &format!("{ACH}{name}")).unwrap_or_default();
        let routing = field("routingNumber");
        let number = field("bankAccountNumber");
        // The answer's bankAccountNumber is digits (tokenize.nvp-v50.txt:509-511),
        // which the request's rule (:143) does not promise.
        if !(9..=17).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NvpError::field(
                "sourceOfFunds.provided.ach.bankAccountNumber",
                ValidationType::Invalid,
                "gw-sim stores ACH account numbers of 9 to 17 digits (the answer's rule)",
            ));
        }
        let masked = cards::mask_last_4(number);
        let mut answer = BTreeMap::new();
        // accountIdentifier (19-27 characters, :460-468): the routing number and the masked account number.
        answer.insert(format!("{ACH}accountIdentifier"), format!("{routing}{masked}"));
        for name in ["accountType", "bankAccountHolder", "routingNumber", "secCode"] {
            answer.insert(format!("{ACH}{name}"), field(name).to_owned());
        }
        answer.insert(format!("{ACH}bankAccountNumber"), if unmask { number.to_owned() } else { masked });
        answer.insert("sourceOfFunds.type".into(), "ACH".into());
        let basic_failure = (!cards::aba_valid(routing))
            .then_some((ACH_ROUTING, "The routing number fails the ABA check digit (BASIC verification)"));
        Ok(Account { identifier: Zeroizing::new(format!("ACH{routing}/{number}")), answer, basic_failure })
    }

    /// A gift card (its number present: the cross-field rules saw to it).
    fn gift_card(fields: &[(String, String)], unmask: bool) -> Account {
        const GIFT: &str = "sourceOfFunds.provided.giftCard.";
        let number = get(fields, &format!("{GIFT}number")).unwrap_or_default();
        let mut answer = BTreeMap::new();
        // brand is LOCAL_BRAND_ONLY and scheme OTHER (:721-733, :760-770); the
        // local brand is known only when the request names it.
        answer.insert(format!("{GIFT}brand"), "LOCAL_BRAND_ONLY".into());
        answer.insert(format!("{GIFT}scheme"), "OTHER".into());
        if let Some(local) = get(fields, &format!("{GIFT}expectedLocalBrand")) {
            answer.insert(format!("{GIFT}localBrand"), local.to_owned());
        }
        answer.insert(format!("{GIFT}number"), if unmask { number.to_owned() } else { cards::mask_6_4(number) });
        if let Some(pin) = get(fields, &format!("{GIFT}pin")) {
            answer.insert(format!("{GIFT}pin"), "x".repeat(pin.len()));
        }
        answer.insert("sourceOfFunds.type".into(), "GIFT_CARD".into());
        Account { identifier: Zeroizing::new(format!("GIFT{number}")), answer, basic_failure: None }
    }
}

const ACH_ROUTING: &str = "sourceOfFunds.provided.ach.routingNumber";

/// The gateway's answer to a payload it cannot decrypt (every decryption
/// outcome alike: blocks, key, layout), with gw-sim's hint at the cause
/// after it (sim/README.md, "Field rules and decryption outcomes").
fn undecryptable(hint: &str) -> NvpError {
    NvpError::field(F_PAYLOAD, ValidationType::Invalid, format!("{UNDECRYPTABLE} (gw-sim: {hint})"))
}

/// The lead of every decryption failure's `error.explanation`.
pub const UNDECRYPTABLE: &str = "Unable to decrypt the P2PE payload";
