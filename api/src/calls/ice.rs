//! ICE servers for clients: STUN, and TURN with coturn's time-limited
//! credentials (the REST API of `static-auth-secret`).

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use hmac::{Hmac, Mac};
use serde::Serialize;
use utoipa::ToSchema;

use crate::gate::auth::EndUser;

/// How long TURN credentials stay valid.
pub const TURN_TTL_SECS: u64 = 24 * 3600;

/// STUN/TURN servers handed to clients.
#[derive(Debug, Clone, Default)]
pub struct IceConfig {
    /// `stun:` URLs.
    pub stun_urls: Vec<String>,
    /// `turn:`/`turns:` URLs.
    pub turn_urls: Vec<String>,
    /// coturn's `static-auth-secret`.
    pub turn_secret: Option<String>,
}

/// One entry of `ice_servers` (the shape of `RTCIceServer`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct IceServer {
    /// Server URLs.
    pub urls: Vec<String>,
    /// TURN username: `<expiry>:<app_id>:<user_id>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// TURN credential: base64 HMAC-SHA1 of the username with the shared secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// `{"ice_servers": […]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct IceServersBody {
    /// For `RTCPeerConnection({iceServers})`.
    pub ice_servers: Vec<IceServer>,
}

impl IceConfig {
    /// The servers for `user` at unix time `now`.
    pub fn servers(&self, user: &EndUser, now: u64) -> Vec<IceServer> {
        let mut out = Vec::new();
        if !self.stun_urls.is_empty() {
            out.push(IceServer { urls: self.stun_urls.clone(), username: None, credential: None });
        }
        if !self.turn_urls.is_empty() {
            let username = format!("{}:{}:{}", now + TURN_TTL_SECS, user.app_id, user.user_id);
            let credential = self.turn_secret.as_deref().map(|secret| turn_credential(secret, &username));
            out.push(IceServer { urls: self.turn_urls.clone(), username: Some(username), credential });
        }
        out
    }
}

/// coturn's REST-API credential: base64(HMAC-SHA1(secret, username)).
pub fn turn_credential(secret: &str, username: &str) -> String {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail.
    let mut mac = match Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(username.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turn_credentials_follow_coturn() {
        // HMAC-SHA1 test vector of RFC 2202 (key "Jefe"), base64-encoded.
        assert_eq!(turn_credential("Jefe", "what do ya want for nothing?"), "7/zfauXrL6LSdBbV8YTfnCWafHk=");
    }
}
