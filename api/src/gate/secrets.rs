//! API keys and secrets of client apps. A secret is 32 random bytes, shown once,
//! stored only as its SHA-256 and compared in constant time.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Prefix of API keys (public identifiers).
pub const KEY_PREFIX: &str = "ck_";
/// Prefix of API secrets.
pub const SECRET_PREFIX: &str = "cs_";

/// A new public API key: `ck_` and 16 random bytes in hex.
pub fn new_api_key() -> String {
    let mut b = [0u8; 16];
    rand::rng().fill_bytes(&mut b);
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{KEY_PREFIX}{hex}")
}

/// A new API secret: `cs_` and 32 random bytes, base64url.
pub fn new_api_secret() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    format!("{SECRET_PREFIX}{}", URL_SAFE_NO_PAD.encode(b))
}

/// SHA-256 of a secret, as stored.
pub fn hash_secret(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Whether `secret` hashes to `stored`, in time independent of where they differ.
pub fn secret_matches(secret: &str, stored: &[u8]) -> bool {
    let h = Sha256::digest(secret.as_bytes());
    h[..].ct_eq(stored).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_verify_only_themselves() {
        let a = new_api_secret();
        let b = new_api_secret();
        assert_ne!(a, b);
        assert!(a.starts_with(SECRET_PREFIX));
        // 32 bytes in base64url without padding is 43 characters.
        assert_eq!(a.len(), SECRET_PREFIX.len() + 43);
        let stored = hash_secret(&a);
        assert!(secret_matches(&a, &stored));
        assert!(!secret_matches(&b, &stored));
        assert!(!secret_matches("", &stored));
        assert!(!secret_matches(&a, &stored[..31]));
    }

    #[test]
    fn keys_have_prefix_and_hex() {
        let k = new_api_key();
        assert!(k.starts_with(KEY_PREFIX));
        assert_eq!(k.len(), KEY_PREFIX.len() + 32);
        assert!(k[3..].chars().all(|c| c.is_ascii_hexdigit()));
    }
}
