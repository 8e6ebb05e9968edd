//! Web push (RFC 8030) of notifications to browsers that subscribed: the
//! payload is encrypted for the subscription's keys (RFC 8291, `aes128gcm`) and
//! the request carries a VAPID authorization (RFC 8292) signed with ES256.
//!
//! Configured with `CAAS_VAPID_PRIVATE_KEY` (the raw 32-byte P-256 key,
//! base64url) and `CAAS_VAPID_SUBJECT` (`mailto:` or `https:` contact). The
//! public key, for `PushManager.subscribe`, is at `GET /v1/push/vapid-public-key`.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use caas_storage::{AppId, Notification, PushSubscription, UserId};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::pkcs8::EncodePrivateKey;
use web_push_native::p256 as wp256;

use crate::notify::Notifier;

/// How long a push service keeps an undelivered message.
const TTL_SECS: u64 = 24 * 60 * 60;

/// The server's VAPID identity.
pub struct Vapid {
    key: EncodingKey,
    /// The public key, base64url (uncompressed point), for clients.
    pub public_key: String,
    subject: String,
    client: reqwest::Client,
}

/// Why the VAPID settings are unusable.
#[derive(Debug, thiserror::Error)]
pub enum VapidError {
    /// Not base64url of 32 bytes, or not a valid P-256 scalar.
    #[error("CAAS_VAPID_PRIVATE_KEY must be a P-256 private key: 32 bytes, base64url")]
    Key,
    /// The subject is not a contact URL.
    #[error("CAAS_VAPID_SUBJECT must start with mailto: or https:")]
    Subject,
}

impl Vapid {
    /// From the raw private key (base64url) and the contact subject.
    pub fn new(private_b64: &str, subject: &str) -> Result<Vapid, VapidError> {
        if !(subject.starts_with("mailto:") || subject.starts_with("https:")) {
            return Err(VapidError::Subject);
        }
        let raw = B64.decode(private_b64.trim().trim_end_matches('=')).map_err(|_| VapidError::Key)?;
        let secret = p256::SecretKey::from_slice(&raw).map_err(|_| VapidError::Key)?;
        let der = secret.to_pkcs8_der().map_err(|_| VapidError::Key)?;
        let point = p256::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(&secret.public_key(), false);
        let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap_or_default();
        Ok(Vapid {
            key: EncodingKey::from_ec_der(der.as_bytes()),
            public_key: B64.encode(point.as_bytes()),
            subject: subject.to_owned(),
            client,
        })
    }

    /// `vapid t=<JWT>, k=<public key>` for the push service at `endpoint`.
    fn authorization(&self, endpoint: &reqwest::Url) -> Option<String> {
        let audience = format!("{}://{}", endpoint.scheme(), endpoint.host_str()?)
            + &endpoint.port().map(|p| format!(":{p}")).unwrap_or_default();
        let claims = serde_json::json!({
            "aud": audience,
            "exp": caas_storage::now_ms() / 1000 + 12 * 3600,
            "sub": self.subject,
        });
        let jwt = jsonwebtoken::encode(&Header::new(Algorithm::ES256), &claims, &self.key).ok()?;
        Some(format!("vapid t={jwt}, k={}", self.public_key))
    }
}

/// What a push carries: a title, a body and the notification itself.
fn payload(n: &Notification, text: &str) -> Vec<u8> {
    serde_json::json!({"title": "New notification", "body": text, "notification": n}).to_string().into_bytes()
}

/// Sends `n` to every push subscription of `user` (if VAPID is configured and
/// the user wants pushes of this category). Subscriptions the push service
/// reports gone (404, 410) are removed.
pub async fn send(state: &Notifier, app: AppId, user: &UserId, n: &Notification, text: &str) {
    let Some(vapid) = state.vapid.as_ref() else { return };
    let scope = state.store.app(app);
    if !scope.wants(user, &n.category, "push").await.unwrap_or(true) {
        return;
    }
    let Ok(subs) = scope.push_subscriptions(user).await else { return };
    let body = payload(n, text);
    for sub in subs {
        match push_one(vapid, &sub, body.clone()).await {
            Ok(status) if status == 404 || status == 410 => {
                let _ = scope.remove_push_subscription(None, &sub.endpoint).await;
            }
            Ok(status) if (200..300).contains(&status) => {
                metrics::counter!("caas_push_sent_total").increment(1);
            }
            Ok(status) => tracing::info!(app_id = %app, user_id = %user, status, "push service refused a message"),
            Err(e) => tracing::info!(app_id = %app, user_id = %user, error = %e, "web push failed"),
        }
    }
}

/// Why one push was not sent.
#[derive(Debug, thiserror::Error)]
enum PushError {
    #[error("the subscription's endpoint is not a URL")]
    Endpoint,
    #[error("the subscription's keys are not base64url: {0}")]
    KeyEncoding(#[from] base64::DecodeError),
    #[error("auth secret is not 16 bytes")]
    AuthLength,
    #[error("the subscription's p256dh key is not a P-256 point")]
    PublicKey,
    #[error("cannot encrypt the payload")]
    Encrypt,
    #[error("cannot sign the VAPID token")]
    Sign,
    #[error(transparent)]
    Http(#[from] reqwest::Error),
}

async fn push_one(vapid: &Vapid, sub: &PushSubscription, body: Vec<u8>) -> Result<u16, PushError> {
    let endpoint = reqwest::Url::parse(&sub.endpoint).map_err(|_| PushError::Endpoint)?;
    let key = B64.decode(sub.p256dh.trim_end_matches('='))?;
    let auth = B64.decode(sub.auth.trim_end_matches('='))?;
    if auth.len() != 16 {
        return Err(PushError::AuthLength);
    }
    let ua_public = wp256::PublicKey::from_sec1_bytes(&key).map_err(|_| PushError::PublicKey)?;
    let mut ua_auth = web_push_native::Auth::default();
    ua_auth.copy_from_slice(&auth);
    let encrypted = web_push_native::encrypt(body, &ua_public, &ua_auth).map_err(|_| PushError::Encrypt)?;
    let authorization = vapid.authorization(&endpoint).ok_or(PushError::Sign)?;
    let res = vapid
        .client
        .post(endpoint)
        .header("TTL", TTL_SECS.to_string())
        .header("Content-Encoding", "aes128gcm")
        .header("Content-Type", "application/octet-stream")
        .header("Authorization", authorization)
        .body(encrypted)
        .send()
        .await?;
    Ok(res.status().as_u16())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vapid_settings_are_checked() {
        let raw = B64.encode([7u8; 32]);
        let v = Vapid::new(&raw, "mailto:ops@example.com").expect("valid");
        assert_eq!(B64.decode(&v.public_key).expect("b64").len(), 65);
        let auth = v.authorization(&"https://push.example:8443/x".parse().expect("url")).expect("signed");
        assert!(auth.starts_with("vapid t=ey"), "{auth}");
        assert!(matches!(Vapid::new(&raw, "ops@example.com"), Err(VapidError::Subject)));
        assert!(matches!(Vapid::new("short", "mailto:a@b"), Err(VapidError::Key)));
        assert!(matches!(Vapid::new(&B64.encode([0u8; 32]), "mailto:a@b"), Err(VapidError::Key)));
    }
}
