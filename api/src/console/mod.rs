//! The client console at `/console`: server-rendered pages (in `caas-console`)
//! over the same store and operations the admin API uses.
//!
//! Security model: a random session id in an HttpOnly, SameSite=Lax cookie
//! scoped to `/console` (stored only as its SHA-256); a fresh id at every
//! sign-in (no session fixation); every state-changing form carries the
//! session's CSRF token, and sign-in forms a double-submit token, checked in
//! constant time; cross-origin form posts are refused by their `Origin`;
//! sign-in attempts are rate-limited per client IP; every team-scoped read
//! checks that the app belongs to the signed-in team.

mod apps;
mod auth;
mod reset;
mod team;

use std::net::{IpAddr, SocketAddr};

use axum::Router;
use axum::extract::{ConnectInfo, FromRef, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{Next, from_fn};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use caas_console::{Flash, Frame, Section, TeamChoice, UserBar};
use caas_storage::{App, AppId, ConsoleSession, TeamId, TeamMembership, TeamRole};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::http::error::ApiError;

crate::handle! {
    /// What the console needs.
    ConsoleState => ConsoleStateParts
}

/// The parts of a [`ConsoleState`].
pub struct ConsoleStateParts {
    /// The database (accounts, teams, apps).
    pub store: caas_storage::Store,
    /// Keys and origins of every app, reloaded when an app changes.
    pub directory: std::sync::Arc<crate::gate::directory::Directory>,
    /// Plans, usage and invoices.
    pub billing: crate::billing::Billing,
    /// Webhooks of an app.
    pub notifier: crate::notify::Notifier,
    /// Sign-in attempts per client IP.
    pub login_limiter: crate::gate::ratelimit::RateLimiter<std::net::IpAddr>,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Cookies carry `Secure`.
    pub secure_cookies: bool,
    /// Password-reset email (SMTP), when configured.
    pub mailer: Option<crate::notify::Mailer>,
    /// `CAAS_PUBLIC_URL` without a trailing slash: the base of emailed links.
    pub public_url: Option<String>,
}

/// The session cookie.
const SESSION_COOKIE: &str = "caas_console";
/// The pre-session (sign-in forms) double-submit cookie.
const PRE_COOKIE: &str = "caas_console_csrf";
/// How long a console session lasts.
const SESSION_TTL_MS: i64 = 7 * 24 * 3600 * 1000;

/// The console's routes (HTML; not part of the OpenAPI document).
pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    ConsoleState: FromRef<S>,
{
    Router::new()
        .route("/console", get(home))
        .route("/console/", get(home))
        .route("/console/assets/console.css", get(css))
        .route("/console/assets/console.js", get(js))
        .route("/console/assets/favicon.svg", get(favicon))
        .route("/console/login", get(auth::login_page).post(auth::login))
        .route("/console/signup", get(auth::signup_page).post(auth::signup))
        .route("/console/forgot", get(reset::forgot_page).post(reset::forgot))
        .route("/console/reset/{token}", get(reset::reset_page))
        .route("/console/reset", post(reset::reset))
        .route("/console/logout", post(auth::logout))
        .route("/console/team/switch", post(team::switch))
        .route("/console/apps", get(apps::list).post(apps::create))
        .route("/console/apps/{id}", get(apps::settings))
        .route("/console/apps/{id}/usage", get(apps::usage))
        .route("/console/apps/{id}/billing", get(apps::billing))
        .route("/console/apps/{id}/invoices/{month}", get(apps::invoice))
        .route("/console/apps/{id}/rotate-secret", post(apps::rotate_secret))
        .route("/console/apps/{id}/ips", post(apps::set_ips))
        .route("/console/apps/{id}/origins", post(apps::set_origins))
        .route("/console/apps/{id}/webhooks", post(apps::add_webhook))
        .route("/console/apps/{id}/webhooks/{webhook}/delete", post(apps::delete_webhook))
        .route("/console/apps/{id}/plan", post(apps::set_plan))
        .route("/console/team", get(team::page))
        .route("/console/team/invites", post(team::invite))
        .route("/console/team/members/{account}/role", post(team::set_role))
        .route("/console/team/members/{account}/remove", post(team::remove))
        .route("/console/invite/{token}", get(team::invite_page).post(team::accept))
        .route("/console/audit", get(team::audit))
        .layer(from_fn(same_origin_posts))
}

async fn home(headers: HeaderMap, axum::extract::State(state): axum::extract::State<ConsoleState>) -> Redirect {
    match session_of(&state, &headers).await {
        Some(_) => Redirect::to("/console/apps"),
        None => Redirect::to("/console/login"),
    }
}

async fn css() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], caas_console::CSS)
}

async fn js() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], caas_console::JS)
}

async fn favicon() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "max-age=86400")], caas_console::FAVICON)
}

/// Refuses a form post whose `Origin` is another site (a browser always sends it on POST).
async fn same_origin_posts(req: Request, next: Next) -> Response {
    if req.method() == Method::POST
        && let Some(origin) = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok())
    {
        let host = req.headers().get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
        let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or("");
        if origin == "null" || !origin_host.eq_ignore_ascii_case(host) {
            tracing::info!(origin, host, "console post from another origin refused");
            return Failure::new(StatusCode::FORBIDDEN, "This form was sent from another site and was refused.")
                .into_response();
        }
    }
    next.run(req).await
}

/// A page that could not be shown, as HTML with the right status.
#[derive(Debug)]
pub struct Failure {
    status: StatusCode,
    message: String,
}

impl Failure {
    pub(super) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Failure { status, message: message.into() }
    }

    fn forbidden(what: &str) -> Self {
        Failure::new(StatusCode::FORBIDDEN, format!("Your role in this team does not allow {what}."))
    }

    fn not_found() -> Self {
        Failure::new(StatusCode::NOT_FOUND, "There is no such page in this team.")
    }
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        if e.status.is_server_error() {
            tracing::error!(error = %e.message, "console request failed");
            return Failure::new(e.status, "Something went wrong on our side. Try again in a moment.");
        }
        Failure::new(e.status, e.message)
    }
}

impl From<caas_storage::StoreError> for Failure {
    fn from(e: caas_storage::StoreError) -> Self {
        ApiError::from(e).into()
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let title = self.status.canonical_reason().unwrap_or("Error");
        let frame = Frame { title: title.to_owned(), user: None, flash: None };
        let body = caas_console::pages::message(title, &self.message, ("/console", "Back to the console"));
        (self.status, Html(caas_console::document(&frame, body))).into_response()
    }
}

/// What a console handler returns.
pub type Page = Result<Response, Failure>;

/// 32 random bytes, base64url.
fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

fn sha256(s: &str) -> Vec<u8> {
    Sha256::digest(s.as_bytes()).to_vec()
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The value of a cookie in the request.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value for the console.
fn set_cookie(state: &ConsoleState, name: &str, value: &str, max_age_secs: i64) -> HeaderValue {
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    let v = format!("{name}={value}; Path=/console; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}");
    // Cookie values are base64url and the attributes fixed ASCII: always a valid header.
    HeaderValue::from_str(&v).unwrap_or(HeaderValue::from_static("caas_console=; Max-Age=0"))
}

async fn session_of(state: &ConsoleState, headers: &HeaderMap) -> Option<(ConsoleSession, Vec<u8>)> {
    let id = cookie(headers, SESSION_COOKIE)?;
    let hash = sha256(id);
    match state.store.console_session(&hash).await {
        Ok(s) => s.map(|s| (s, hash)),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read console session");
            None
        }
    }
}

/// The client's IP (for sign-in rate limits).
fn client_ip(parts_ext: Option<&ConnectInfo<SocketAddr>>, headers: &HeaderMap, state: &ConsoleState) -> Option<IpAddr> {
    parts_ext.map(|c| crate::gate::netacl::client_ip(c.0.ip(), headers, &state.trusted_proxies))
}

/// A signed-in account and the team it is looking at.
pub struct Console {
    session: ConsoleSession,
    id_hash: Vec<u8>,
    team: TeamMembership,
    teams: Vec<TeamMembership>,
}

impl<S> FromRequestParts<S> for Console
where
    S: Send + Sync,
    ConsoleState: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let state = &ConsoleState::from_ref(state);
        let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/console/apps");
        let to_login = || Redirect::to(&format!("/console/login?next={}", urlencode(next))).into_response();
        let Some((session, id_hash)) = session_of(state, &parts.headers).await else {
            return Err(to_login());
        };
        let mut teams = state.store.teams_of(session.account.id).await.map_err(|e| Failure::from(e).into_response())?;
        if teams.is_empty() {
            // Removed from every team: start a new one of their own.
            let name = format!("{}'s team", session.account.name);
            state.store.create_team(&name, &session.account).await.map_err(|e| Failure::from(e).into_response())?;
            teams = state.store.teams_of(session.account.id).await.map_err(|e| Failure::from(e).into_response())?;
        }
        let team = session
            .team_id
            .and_then(|t| teams.iter().find(|m| m.team_id == t))
            .or(teams.first())
            .cloned()
            .ok_or_else(to_login)?;
        Ok(Console { session, id_hash, team, teams })
    }
}

impl Console {
    fn team_id(&self) -> TeamId {
        self.team.team_id
    }

    fn role(&self) -> TeamRole {
        self.team.role
    }

    /// Who did it, for the audit log.
    fn actor(&self) -> String {
        format!("account:{}", self.session.account.email)
    }

    /// The form's CSRF token must be this session's.
    fn check_csrf(&self, token: &str) -> Result<(), Failure> {
        match same(token, &self.session.csrf) {
            true => Ok(()),
            false => Err(Failure::new(
                StatusCode::FORBIDDEN,
                "This form has expired or was not sent from the console. Reload the page and try again.",
            )),
        }
    }

    fn require(&self, role: TeamRole, what: &str) -> Result<(), Failure> {
        match self.role() >= role {
            true => Ok(()),
            false => Err(Failure::forbidden(what)),
        }
    }

    /// The app with this id if the current team owns it (else "not found": another team's app is not there).
    async fn app(&self, state: &ConsoleState, raw: &str) -> Result<App, Failure> {
        let id: AppId = raw.parse().map_err(|_| Failure::not_found())?;
        if state.store.app_team(id).await? != Some(self.team_id()) {
            return Err(Failure::not_found());
        }
        state.store.app_by_id(id).await?.ok_or_else(Failure::not_found)
    }

    fn frame(&self, title: &str, section: Section, flash: Option<Flash>) -> Frame {
        Frame {
            title: title.to_owned(),
            flash,
            user: Some(UserBar {
                email: self.session.account.email.clone(),
                team: self.team.team_name.clone(),
                team_id: self.team.team_id.to_string(),
                role: self.team.role.to_string(),
                teams: self
                    .teams
                    .iter()
                    .map(|t| TeamChoice { id: t.team_id.to_string(), name: t.team_name.clone() })
                    .collect(),
                csrf: self.session.csrf.clone(),
                section,
            }),
        }
    }

    fn page(&self, title: &str, section: Section, flash: Option<Flash>, body: caas_console::Markup) -> Response {
        page_response(StatusCode::OK, caas_console::document(&self.frame(title, section, flash), body))
    }
}

/// An HTML response that is never cached (pages may show secrets).
fn page_response(status: StatusCode, html: String) -> Response {
    let mut res = (status, Html(html)).into_response();
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'"),
    );
    res
}

/// Percent-encodes a path for a query parameter.
fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Where to go after signing in: only console paths (no open redirect).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with("/console/") && !n.starts_with("//") && !n.contains("://") && !n.contains('\\') => {
            n.to_owned()
        }
        _ => "/console/apps".to_owned(),
    }
}

/// `?done=` after a redirect (see [`flash_of`]).
#[derive(Debug, serde::Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// The UTC day (`YYYY-MM-DD`) of a time in ms.
fn day_of(ms: i64) -> String {
    crate::http::wire::rfc3339_ms(ms).get(..10).unwrap_or_default().to_owned()
}

/// A flash message from the `done` query parameter set by a redirect after a post.
fn flash_of(done: Option<&str>) -> Option<Flash> {
    let text = match done? {
        "ips" => "Server IPs saved.",
        "origins" => "Web origins saved.",
        "webhook_removed" => "Webhook removed.",
        "plan" => "Plan changed.",
        "role" => "Role changed.",
        "removed" => "Member removed.",
        "joined" => "You joined the team.",
        _ => return None,
    };
    Some(Flash::Ok(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_in_the_console() {
        assert_eq!(safe_next(Some("/console/apps/1")), "/console/apps/1");
        for bad in ["https://evil.example", "//evil.example", "/console", "/v1/admin", "/console/\\evil", ""] {
            assert_eq!(safe_next(Some(bad)), "/console/apps", "{bad}");
        }
        assert_eq!(safe_next(None), "/console/apps");
    }

    #[test]
    fn cookies_are_found_by_name() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; caas_console=xyz; caas_console_csrf=q"));
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("xyz"));
        assert_eq!(cookie(&h, PRE_COOKIE), Some("q"));
        assert_eq!(cookie(&h, "b"), None);
        assert_eq!(urlencode("/console/apps?x=1&y"), "/console/apps%3Fx%3D1%26y");
    }
}
