//! End-user session tokens: EdDSA (Ed25519) JWTs signed with a per-app key.
//!
//! The `kid` header names the key; verification finds it in the in-memory
//! [`Directory`](crate::gate::directory::Directory), never in the database, and rejects
//! `alg: none`, any algorithm but EdDSA, unknown keys, expired tokens and tokens
//! whose `app` claim is not the app that owns the key.

use std::collections::HashMap;
use std::sync::Mutex;

use caas_storage::{AppId, KeyId, NewSigningKey, SigningKey, UserId};
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};

/// The `iss` claim of every CAAS token.
pub const ISSUER: &str = "caas";

/// Seconds of clock skew tolerated on `exp`.
pub const LEEWAY_SECS: u64 = 30;

/// Permissions a client backend may attach to a session, read by later features
/// (calls, collaboration). Unknown keys are kept as they are.
pub type Grants = serde_json::Map<String, serde_json::Value>;

/// The claims of a session token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// Always [`ISSUER`].
    pub iss: String,
    /// The end user's id within the app.
    pub sub: UserId,
    /// The app the user belongs to.
    pub app: AppId,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Expires at, seconds since the epoch.
    pub exp: i64,
    /// Unique token id.
    pub jti: String,
    /// Optional permissions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grants: Option<Grants>,
}

/// Why a token was refused (or could not be made).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    /// Not a JWT, or a header/claims part that does not parse (this covers `alg: none`).
    #[error("token is malformed")]
    Malformed,
    /// Signed with an algorithm other than EdDSA.
    #[error("token algorithm is not EdDSA")]
    WrongAlgorithm,
    /// No `kid` header, or one that names no key of any app.
    #[error("token signing key is unknown")]
    UnknownKey,
    /// The signature does not verify.
    #[error("token signature is invalid")]
    BadSignature,
    /// `exp` has passed.
    #[error("token has expired")]
    Expired,
    /// A claim is missing or wrong (issuer, app).
    #[error("token claims are invalid: {0}")]
    BadClaims(&'static str),
    /// The signing key could not be used.
    #[error("cannot sign token: {0}")]
    Signing(String),
}

/// A new Ed25519 key pair with a fresh key id.
pub fn generate_key() -> Result<NewSigningKey, TokenError> {
    let mut seed = [0u8; 32];
    rand::rng().fill_bytes(&mut seed);
    let sk = ed25519_dalek::SigningKey::from_bytes(&seed);
    let der = sk.to_pkcs8_der().map_err(|e| TokenError::Signing(e.to_string()))?;
    Ok(NewSigningKey {
        kid: KeyId::generate(),
        private_der: der.as_bytes().to_vec(),
        public_key: sk.verifying_key().to_bytes().to_vec(),
    })
}

/// Signs `claims` with `key`, putting its id in the `kid` header.
pub fn sign(key: &SigningKey, claims: &Claims) -> Result<String, TokenError> {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(key.kid.to_string());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(&key.private_der))
        .map_err(|e| TokenError::Signing(e.to_string()))
}

/// Public keys by id, as held in memory for verification.
pub struct KeySet {
    keys: HashMap<KeyId, (AppId, DecodingKey)>,
    validation: Validation,
    /// Tokens that verified, with their claims: a client reuses its token for many
    /// requests, and a hit skips the signature check. Lives and dies with the set,
    /// so a key rotation or revocation (a new set) empties it.
    verified: Mutex<HashMap<String, Claims>>,
}

/// Most tokens [`KeySet::verify_cached`] remembers before it starts over.
pub const VERIFIED_CACHE_SIZE: usize = 16_384;

impl KeySet {
    /// Builds the set from `(kid, app, raw public key)` entries.
    pub fn new(entries: impl IntoIterator<Item = (KeyId, AppId, Vec<u8>)>) -> Self {
        let keys =
            entries.into_iter().map(|(kid, app, public)| (kid, (app, DecodingKey::from_ed_der(&public)))).collect();
        let mut v = Validation::new(Algorithm::EdDSA);
        v.set_issuer(&[ISSUER]);
        v.set_required_spec_claims(&["exp", "iss", "sub"]);
        v.leeway = LEEWAY_SECS;
        KeySet { keys, validation: v, verified: Mutex::new(HashMap::new()) }
    }

    /// How many keys the set holds.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Like [`KeySet::verify`], but answers from memory for a token that verified
    /// before and has not expired at `now` (seconds since the epoch).
    pub fn verify_cached(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        // A poisoned lock only means a panic mid-insert; the map is still usable.
        let hit = self.verified.lock().unwrap_or_else(|e| e.into_inner()).get(token).cloned();
        if let Some(claims) = hit {
            return if claims.exp + LEEWAY_SECS as i64 >= now { Ok(claims) } else { Err(TokenError::Expired) };
        }
        let claims = self.verify(token)?;
        let mut cache = self.verified.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= VERIFIED_CACHE_SIZE {
            cache.clear();
        }
        cache.insert(token.to_owned(), claims.clone());
        Ok(claims)
    }

    /// Verifies `token` and returns its claims.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
        if header.alg != Algorithm::EdDSA {
            return Err(TokenError::WrongAlgorithm);
        }
        let kid: KeyId = header.kid.as_deref().and_then(|k| k.parse().ok()).ok_or(TokenError::UnknownKey)?;
        let (app, key) = self.keys.get(&kid).ok_or(TokenError::UnknownKey)?;
        let data = jsonwebtoken::decode::<Claims>(token, key, &self.validation).map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => TokenError::Expired,
            ErrorKind::InvalidSignature => TokenError::BadSignature,
            ErrorKind::InvalidIssuer => TokenError::BadClaims("issuer"),
            ErrorKind::MissingRequiredClaim(_) => TokenError::BadClaims("missing claim"),
            ErrorKind::InvalidAlgorithm => TokenError::WrongAlgorithm,
            _ => TokenError::Malformed,
        })?;
        if data.claims.app != *app {
            return Err(TokenError::BadClaims("app does not own the signing key"));
        }
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn now() -> i64 {
        caas_storage::now_ms() / 1000
    }

    fn claims(app: AppId, exp_in: i64) -> Claims {
        Claims {
            iss: ISSUER.into(),
            sub: "u-1".parse().unwrap(),
            app,
            iat: now(),
            exp: now() + exp_in,
            jti: "j".into(),
            grants: None,
        }
    }

    fn signing(k: &NewSigningKey) -> SigningKey {
        SigningKey { kid: k.kid, private_der: k.private_der.clone() }
    }

    fn setup() -> (AppId, NewSigningKey, AppId, NewSigningKey, KeySet) {
        let (a, b) = (AppId::generate(), AppId::generate());
        let (ka, kb) = (generate_key().unwrap(), generate_key().unwrap());
        let set = KeySet::new([(ka.kid, a, ka.public_key.clone()), (kb.kid, b, kb.public_key.clone())]);
        (a, ka, b, kb, set)
    }

    #[test]
    fn round_trip() {
        let (a, ka, ..) = setup();
        let set = KeySet::new([(ka.kid, a, ka.public_key.clone())]);
        let c = claims(a, 60);
        let t = sign(&signing(&ka), &c).unwrap();
        assert_eq!(set.verify(&t).unwrap(), c);
    }

    #[test]
    fn cached_verification_still_expires_and_refuses() {
        let (a, ka, ..) = setup();
        let set = KeySet::new([(ka.kid, a, ka.public_key.clone())]);
        let c = claims(a, 60);
        let t = sign(&signing(&ka), &c).unwrap();
        assert_eq!(set.verify_cached(&t, now()).unwrap(), c);
        assert_eq!(set.verify_cached(&t, now()).unwrap(), c);
        // The remembered token expires like any other.
        assert_eq!(set.verify_cached(&t, c.exp + LEEWAY_SECS as i64 + 1), Err(TokenError::Expired));
        // Failures are not remembered as successes.
        let mut bad = t.clone();
        bad.pop();
        assert!(set.verify_cached(&bad, now()).is_err());
        assert!(set.verify_cached(&bad, now()).is_err());
    }

    #[test]
    fn refuses_expired_foreign_forged_and_none() {
        let (a, ka, b, kb, set) = setup();
        let expired = sign(&signing(&ka), &claims(a, -3600)).unwrap();
        assert_eq!(set.verify(&expired), Err(TokenError::Expired));

        // Signed by app B's key but claiming app A.
        let foreign = sign(&signing(&kb), &claims(a, 60)).unwrap();
        assert!(matches!(set.verify(&foreign), Err(TokenError::BadClaims(_))));
        assert!(set.verify(&sign(&signing(&kb), &claims(b, 60)).unwrap()).is_ok());

        // A key nobody registered, under app A's kid.
        let mut rogue = generate_key().unwrap();
        rogue.kid = ka.kid;
        let forged = sign(&signing(&rogue), &claims(a, 60)).unwrap();
        assert_eq!(set.verify(&forged), Err(TokenError::BadSignature));

        // Unknown kid.
        let unknown = sign(&signing(&generate_key().unwrap()), &claims(a, 60)).unwrap();
        assert_eq!(set.verify(&unknown), Err(TokenError::UnknownKey));

        // alg: none, with the payload of a valid token and no signature.
        let valid = sign(&signing(&ka), &claims(a, 60)).unwrap();
        let payload = valid.split('.').nth(1).unwrap();
        let head = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"none","typ":"JWT","kid":"{}"}}"#, ka.kid));
        assert_eq!(set.verify(&format!("{head}.{payload}.")), Err(TokenError::Malformed));

        // HS256 keyed with the public key (algorithm confusion).
        let mut h = Header::new(Algorithm::HS256);
        h.kid = Some(ka.kid.to_string());
        let hs = jsonwebtoken::encode(&h, &claims(a, 60), &EncodingKey::from_secret(&ka.public_key)).unwrap();
        assert_eq!(set.verify(&hs), Err(TokenError::WrongAlgorithm));

        assert_eq!(set.verify("not a token"), Err(TokenError::Malformed));
    }
}
