//! The token repository: generation strategies (merchant-supplied, random
//! Luhn, preserve 6.4) and management modes (unique card, unique token).

use crate::{cards, rng, time};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use zeroize::Zeroizing;

/// How tokens are generated when the request carries none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TokenStrategy {
    /// The merchant supplies every token (`token` is required).
    MerchantSupplied,
    /// 16 digits, starting with 9, Luhn-valid.
    #[default]
    RandomWithLuhn,
    /// First 6 and last 4 of the PAN, random middle, never Luhn-valid.
    Preserve64,
}

impl TokenStrategy {
    /// Parses the CLI spelling (`merchant`, `luhn`, `6.4`) or the gateway's names.
    pub fn parse(s: &str) -> Option<TokenStrategy> {
        match s {
            "merchant" | "MERCHANT_SUPPLIED" | "MERCHANT_PROVIDED" => Some(TokenStrategy::MerchantSupplied),
            "luhn" | "random" | "RANDOM_WITH_LUHN" => Some(TokenStrategy::RandomWithLuhn),
            "6.4" | "PRESERVE_6_4" => Some(TokenStrategy::Preserve64),
            _ => None,
        }
    }
    /// The gateway's name of it.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenStrategy::MerchantSupplied => "MERCHANT_SUPPLIED",
            TokenStrategy::RandomWithLuhn => "RANDOM_WITH_LUHN",
            TokenStrategy::Preserve64 => "PRESERVE_6_4",
        }
    }
}

/// Whether a card may be stored under several tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RepositoryMode {
    /// One token per card: tokenizing a stored card returns its token.
    UniqueCard,
    /// Every "Create Token" request makes a new token.
    #[default]
    UniqueToken,
}

impl RepositoryMode {
    /// Parses the CLI spelling (`unique-card`, `unique-token`) or the gateway's names.
    pub fn parse(s: &str) -> Option<RepositoryMode> {
        match s {
            "unique-card" | "UNIQUE_CARD" => Some(RepositoryMode::UniqueCard),
            "unique-token" | "UNIQUE_TOKEN" => Some(RepositoryMode::UniqueToken),
            _ => None,
        }
    }
    /// The gateway's name of it.
    pub fn as_str(self) -> &'static str {
        match self {
            RepositoryMode::UniqueCard => "UNIQUE_CARD",
            RepositoryMode::UniqueToken => "UNIQUE_TOKEN",
        }
    }
}

/// Why a card could not be stored. Messages never name the card number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreError {
    /// Merchant-supplied strategy and no `token` in the request.
    TokenRequired,
    /// Preserve-6.4 repository: an existing token cannot change its card number.
    PanChangeForbidden,
    /// Unique-card repository: the card is already stored under another token.
    CardHasOtherToken,
    /// Random or Preserve 6.4 repository: a `token` the repository does not
    /// hold. Only a Merchant-Supplied repository creates a token the merchant
    /// names (tokenize.nvp-v50.txt:7); under the other strategies the call
    /// with a `token` only updates an existing one.
    UnknownToken,
}

impl StoreError {
    /// The `error.explanation` of this refusal (never the card number).
    pub fn explanation(self) -> &'static str {
        match self {
            StoreError::TokenRequired => {
                "The token repository uses the MERCHANT_SUPPLIED token generation strategy: the request must supply the token"
            }
            StoreError::PanChangeForbidden => {
                "The token repository uses the PRESERVE_6_4 strategy: the card number stored against an existing token cannot be changed"
            }
            StoreError::CardHasOtherToken => {
                "The token repository uses the UNIQUE_CARD strategy: this card is already stored against another token"
            }
            StoreError::UnknownToken => {
                "No such token: the token repository generates its tokens (RANDOM_WITH_LUHN or PRESERVE_6_4), so a request with a token can only update an existing one; omit the token to create one"
            }
        }
    }
}

/// What a token holds, as reported back.
#[derive(Clone)]
pub struct TokenRecord {
    /// The token.
    pub token: String,
    pan: Zeroizing<String>,
    /// The card expiry, MMYY.
    pub expiry: Option<String>,
    /// `usage.lastUpdated`.
    pub last_updated: String,
    /// `usage.lastUpdatedBy`: the merchant.
    pub last_updated_by: String,
    /// `usage.lastUsed`.
    pub last_used: String,
    /// What RETRIEVE_TOKEN answers of the stored payment details
    /// (`sourceOfFunds.*`, `status`, `verificationStrategy`), card data
    /// masked: never a clear number.
    pub details: BTreeMap<String, String>,
}

impl TokenRecord {
    /// The stored PAN (never log it).
    pub fn pan(&self) -> &str {
        &self.pan
    }
}

impl std::fmt::Debug for TokenRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRecord")
            .field("token", &self.token)
            .field("pan", &cards::mask_6_4(&self.pan))
            .field("expiry", &self.expiry)
            .finish()
    }
}

#[derive(Default)]
struct Inner {
    tokens: HashMap<String, TokenRecord>,
    by_pan: HashMap<String, String>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        for (mut pan, _) in self.by_pan.drain() {
            pan.zeroize();
        }
    }
}

/// An in-memory token repository.
pub struct Repository {
    id: String,
    strategy: TokenStrategy,
    mode: RepositoryMode,
    inner: Mutex<Inner>,
}

impl Repository {
    /// An empty repository `id` with these strategies.
    pub fn new(id: &str, strategy: TokenStrategy, mode: RepositoryMode) -> Repository {
        Repository { id: id.to_string(), strategy, mode, inner: Mutex::new(Inner::default()) }
    }

    /// `repositoryId`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The token generation strategy.
    pub fn strategy(&self) -> TokenStrategy {
        self.strategy
    }

    /// The token management strategy.
    pub fn mode(&self) -> RepositoryMode {
        self.mode
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The record stored against `token`.
    pub fn get(&self, token: &str) -> Option<TokenRecord> {
        self.lock().tokens.get(token).cloned()
    }

    /// Number of tokens stored.
    pub fn len(&self) -> usize {
        self.lock().tokens.len()
    }

    /// Whether no token is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Stores a card: update of `token` when given (create too, in a
    /// Merchant-Supplied repository), else a new token by the strategy (or,
    /// in unique-card mode, the card's token).
    pub fn store(
        &self,
        token: Option<&str>,
        pan: &str,
        expiry: Option<&str>,
        merchant: &str,
    ) -> Result<TokenRecord, StoreError> {
        let mut inner = self.lock();
        let existing_for_card = inner.by_pan.get(pan).cloned();
        let token = match token {
            Some(t) => {
                if self.strategy != TokenStrategy::MerchantSupplied && !inner.tokens.contains_key(t) {
                    return Err(StoreError::UnknownToken);
                }
                if self.mode == RepositoryMode::UniqueCard {
                    if let Some(other) = &existing_for_card {
                        if other != t {
                            return Err(StoreError::CardHasOtherToken);
                        }
                    }
                }
                if let Some(rec) = inner.tokens.get(t) {
                    if self.strategy == TokenStrategy::Preserve64 && rec.pan.as_str() != pan {
                        return Err(StoreError::PanChangeForbidden);
                    }
                }
                t.to_string()
            }
            None => match (self.strategy, existing_for_card) {
                (TokenStrategy::MerchantSupplied, _) => return Err(StoreError::TokenRequired),
                (_, Some(t)) if self.mode == RepositoryMode::UniqueCard => t,
                (strategy, _) => loop {
                    let t = generate(strategy, pan);
                    if !inner.tokens.contains_key(&t) {
                        break t;
                    }
                },
            },
        };
        let now = time::now_iso8601();
        let old = inner.tokens.remove(&token);
        if let Some(old) = &old {
            if old.pan.as_str() != pan && inner.by_pan.get(old.pan.as_str()) == Some(&token) {
                inner.by_pan.remove(old.pan.as_str());
            }
        }
        let record = TokenRecord {
            token: token.clone(),
            pan: Zeroizing::new(pan.to_string()),
            expiry: expiry.map(str::to_string).or_else(|| old.and_then(|o| o.expiry.clone())),
            last_updated: now.clone(),
            last_updated_by: merchant.to_string(),
            last_used: now,
            details: BTreeMap::new(),
        };
        inner.by_pan.insert(pan.to_string(), token.clone());
        inner.tokens.insert(token, record.clone());
        Ok(record)
    }
}

impl Repository {
    /// Records what RETRIEVE_TOKEN answers for `token` (masked details).
    pub fn set_details(&self, token: &str, details: BTreeMap<String, String>) {
        if let Some(record) = self.lock().tokens.get_mut(token) {
            record.details = details;
        }
    }

    /// DELETE_TOKEN: removes `token` and its card; `false` when the
    /// repository holds no such token.
    pub fn delete(&self, token: &str) -> bool {
        let mut inner = self.lock();
        let Some(record) = inner.tokens.remove(token) else { return false };
        if inner.by_pan.get(record.pan.as_str()).map(String::as_str) == Some(token) {
            inner.by_pan.remove(record.pan.as_str());
        }
        true
    }
}

/// A fresh token by `strategy` (not for merchant-supplied). An account that
/// is no card number (an ACH account, a gift card) gets a random token.
pub fn generate(strategy: TokenStrategy, pan: &str) -> String {
    match strategy {
        TokenStrategy::Preserve64 if pan.len() > 10 && pan.bytes().all(|b| b.is_ascii_digit()) => loop {
            let t = format!("{}{}{}", &pan[..6], rng::digits(pan.len() - 10), &pan[pan.len() - 4..]);
            if !cards::luhn_valid(&t) {
                break t;
            }
        },
        _ => {
            let body = format!("9{}", rng::digits(14));
            let check = cards::luhn_check_digit(&body);
            format!("{body}{check}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAN: &str = "4000000000000002";

    #[test]
    fn random_tokens_are_luhn_valid_nines() {
        for _ in 0..200 {
            let t = generate(TokenStrategy::RandomWithLuhn, PAN);
            assert_eq!(t.len(), 16);
            assert!(t.starts_with('9'));
            assert!(cards::luhn_valid(&t));
        }
    }

    #[test]
    fn preserve_6_4_is_never_luhn_valid() {
        for _ in 0..200 {
            let t = generate(TokenStrategy::Preserve64, PAN);
            assert_eq!(&t[..6], "400000");
            assert_eq!(&t[12..], "0002");
            assert!(!cards::luhn_valid(&t));
        }
    }

    #[test]
    fn unique_card_returns_the_same_token() {
        let r = Repository::new("R", TokenStrategy::RandomWithLuhn, RepositoryMode::UniqueCard);
        let a = r.store(None, PAN, None, "M").unwrap();
        let b = r.store(None, PAN, Some("1229"), "M").unwrap();
        assert_eq!(a.token, b.token);
        assert_eq!(r.len(), 1);
        let other = r.store(None, "5555555555554444", None, "M").unwrap();
        assert_eq!(r.store(Some(&other.token), PAN, None, "M").unwrap_err(), StoreError::CardHasOtherToken);
    }

    #[test]
    fn a_deleted_token_is_gone_and_its_card_free() {
        let r = Repository::new("R", TokenStrategy::RandomWithLuhn, RepositoryMode::UniqueCard);
        let first = r.store(None, "4761739001010010", Some("1239"), "M").unwrap().token;
        assert!(r.delete(&first));
        assert!(!r.delete(&first));
        assert!(r.get(&first).is_none());
        let second = r.store(None, "4761739001010010", Some("1239"), "M").unwrap().token;
        assert_ne!(first, second, "the card is stored anew under a new token");
    }

    #[test]
    fn unique_token_makes_new_tokens() {
        let r = Repository::new("R", TokenStrategy::RandomWithLuhn, RepositoryMode::UniqueToken);
        let a = r.store(None, PAN, None, "M").unwrap();
        let b = r.store(None, PAN, None, "M").unwrap();
        assert_ne!(a.token, b.token);
    }

    #[test]
    fn merchant_supplied_needs_a_token() {
        let r = Repository::new("R", TokenStrategy::MerchantSupplied, RepositoryMode::UniqueToken);
        assert_eq!(r.store(None, PAN, None, "M").unwrap_err(), StoreError::TokenRequired);
        let a = r.store(Some("MYTOKEN1"), PAN, Some("0130"), "M").unwrap();
        assert_eq!(a.token, "MYTOKEN1");
        // Update keeps the expiry when none is given.
        let b = r.store(Some("MYTOKEN1"), "5555555555554444", None, "M").unwrap();
        assert_eq!(b.expiry.as_deref(), Some("0130"));
        assert_eq!(r.get("MYTOKEN1").unwrap().pan(), "5555555555554444");
    }

    /// tokenize.nvp-v50.txt:7: only a Merchant-Supplied repository creates a
    /// token through "Create or Update Token"; Random and Preserve 6.4 update.
    #[test]
    fn only_merchant_supplied_creates_a_named_token() {
        for strategy in [TokenStrategy::RandomWithLuhn, TokenStrategy::Preserve64] {
            let r = Repository::new("R", strategy, RepositoryMode::UniqueToken);
            assert_eq!(r.store(Some("4000001234560002"), PAN, None, "M").unwrap_err(), StoreError::UnknownToken);
            assert!(r.is_empty());
            let a = r.store(None, PAN, None, "M").unwrap();
            assert_eq!(r.store(Some(&a.token), PAN, Some("1229"), "M").unwrap().token, a.token);
        }
        let r = Repository::new("R", TokenStrategy::MerchantSupplied, RepositoryMode::UniqueToken);
        assert_eq!(r.store(Some("NEW1"), PAN, None, "M").unwrap().token, "NEW1");
    }

    #[test]
    fn preserve_6_4_forbids_a_pan_change() {
        let r = Repository::new("R", TokenStrategy::Preserve64, RepositoryMode::UniqueToken);
        let a = r.store(None, PAN, None, "M").unwrap();
        assert_eq!(r.store(Some(&a.token), "5555555555554444", None, "M").unwrap_err(), StoreError::PanChangeForbidden);
        assert!(r.store(Some(&a.token), PAN, Some("1229"), "M").is_ok());
    }
}
