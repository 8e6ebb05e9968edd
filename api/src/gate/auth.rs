//! Who is calling: a client backend on the admin API (API key and secret from an
//! allowed IP), or an end user (session token, from an allowed origin).

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use caas_storage::{App, AppId, UserId};

use super::Gate;
use crate::gate::netacl::{allowed, client_ip, parse_cidrs};
use crate::gate::origin::{check_origin, request_origin};
use crate::gate::secrets::secret_matches;
use crate::http::error::ApiError;

/// A request authenticated as a client app's backend.
pub struct AdminAuth {
    /// The app, as stored.
    pub app: App,
}

/// A request authenticated as an end user of an app.
#[derive(Debug, Clone)]
pub struct EndUser {
    /// The user's app.
    pub app_id: AppId,
    /// The user.
    pub user_id: UserId,
    /// Permissions the token carries, if any.
    pub grants: Option<crate::gate::tokens::Grants>,
}

impl EndUser {
    /// The client backend acting for `user` of `app` through the admin API.
    pub fn acting_for(app_id: AppId, user_id: UserId) -> Self {
        EndUser { app_id, user_id, grants: None }
    }
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (key, secret) = decoded.split_once(':')?;
    Some((key.to_owned(), secret.to_owned()))
}

/// The bearer token of a request, if any.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Wrong admin credentials allowed per client address: a burst of 20, then one
/// every 2 s. Past it the address is answered 429 before any lookup.
pub const ADMIN_FAILURES: crate::gate::ratelimit::Rate = crate::gate::ratelimit::Rate { per_sec: 0.5, burst: 20.0 };

impl<S> FromRequestParts<S> for AdminAuth
where
    S: Send + Sync,
    Gate: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let state = Gate::from_ref(state);
        let (key, secret) = basic_credentials(&parts.headers)
            .ok_or_else(|| ApiError::unauthorized("send `Authorization: Basic base64(api_key:api_secret)`"))?;
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        let ip = peer.map(|p| client_ip(p, &parts.headers, &state.trusted_proxies));
        // An address that keeps guessing is refused before any lookup or hash.
        if let Some(ip) = ip {
            state.admin_failures.peek(&ip, Instant::now()).map_err(ApiError::rate_limited)?;
        }
        let app = state.store.app_by_api_key(&key).await?;
        let app = match app {
            Some(app) if secret_matches(&secret, &app.secret_hash) => app,
            found => {
                if found.is_none() {
                    // Hash anyway, so an unknown key costs what a wrong secret costs.
                    let _ = secret_matches(&secret, &[0u8; 32]);
                }
                if let Some(ip) = ip
                    && state.admin_failures.check(&ip, Instant::now()).is_err()
                {
                    tracing::info!(client_ip = %ip, "wrong admin credentials; address limited");
                }
                return Err(ApiError::unauthorized("wrong API key or secret"));
            }
        };
        let nets = parse_cidrs(&app.allowed_ips).unwrap_or_else(|e| {
            tracing::warn!(app_id = %app.id, error = %e, "stored IP allowlist is invalid; allowing none");
            Vec::new()
        });
        match ip {
            Some(ip) if allowed(&nets, ip) => {}
            other => {
                let who = other.map(|ip| ip.to_string()).unwrap_or_else(|| "an unknown address".into());
                tracing::info!(app_id = %app.id, client_ip = %who, "admin request from a disallowed address");
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "ip_not_allowed",
                    format!("requests from {who} are not in this app's IP allowlist"),
                ));
            }
        }
        state.app_limiter.check(&app.id, Instant::now()).map_err(ApiError::rate_limited)?;
        crate::http::observe::record_caller(&app.id, None);
        Ok(AdminAuth { app })
    }
}

impl<S> FromRequestParts<S> for EndUser
where
    S: Send + Sync,
    Gate: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let state = Gate::from_ref(state);
        let token = bearer_token(&parts.headers)
            .ok_or_else(|| ApiError::invalid_token("send `Authorization: Bearer <session token>`"))?;
        authenticate(&state, token, request_origin(&parts.headers)).await
    }
}

/// Takes one request's token from the app's and the end user's buckets; on
/// refusal, how long until one is there. REST requests, WebSocket upgrades
/// and WebSocket ops all take from the same buckets.
pub fn take_token(state: &Gate, app: AppId, user: &UserId) -> Result<(), std::time::Duration> {
    let now = Instant::now();
    state.app_limiter.check(&app, now)?;
    state.user_limiter.check(&(app, user.clone()), now)
}

/// Verifies a session token, the request's origin against the token's app, and
/// the rate limits. WebSocket upgrades call this with the `token` query parameter.
pub async fn authenticate(state: &Gate, token: &str, origin: Option<&str>) -> Result<EndUser, ApiError> {
    let claims =
        state.directory.verify(&state.store, token).await.map_err(|e| ApiError::invalid_token(e.to_string()))?;
    // A token issued before its user was erased (in the same second included) is void.
    if let Some(at) = state.directory.erased_at(claims.app, &claims.sub)
        && claims.iat <= at / 1000
    {
        return Err(ApiError::invalid_token("this user was erased; the token is void"));
    }
    check_origin(&state.directory.origins(claims.app), origin)?;
    take_token(state, claims.app, &claims.sub).map_err(ApiError::rate_limited)?;
    state.activity.active(claims.app, &claims.sub);
    crate::http::observe::record_caller(&claims.app, Some(&claims.sub));
    Ok(EndUser { app_id: claims.app, user_id: claims.sub, grants: claims.grants })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn parses_basic_and_bearer() {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {}", STANDARD.encode("ck_1:cs_2:x"))).unwrap(),
        );
        assert_eq!(basic_credentials(&h), Some(("ck_1".into(), "cs_2:x".into())));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic !!!"));
        assert_eq!(basic_credentials(&h), None);
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("bearer abc.def.ghi"));
        assert_eq!(bearer_token(&h), Some("abc.def.ghi"));
        assert_eq!(basic_credentials(&h), None);
    }
}
