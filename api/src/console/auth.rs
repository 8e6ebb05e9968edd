//! Sign-up, sign-in and sign-out: argon2 password hashes, a fresh session id at
//! every sign-in, double-submit CSRF on the sign-in forms, rate-limited attempts.

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Instant;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use caas_console::{Flash, Frame};
use caas_storage::{Account, TeamId};
use serde::Deserialize;

use super::{
    Console, Failure, PRE_COOKIE, Page, SESSION_COOKIE, SESSION_TTL_MS, client_ip, cookie, page_response, random_token,
    safe_next, same, session_of, set_cookie, sha256,
};
use crate::console::ConsoleState;

/// `?next=` on the sign-in pages.
#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    csrf: String,
    next: Option<String>,
    email: String,
    password: String,
}

/// The sign-up form.
#[derive(Debug, Deserialize)]
pub struct SignupForm {
    csrf: String,
    next: Option<String>,
    email: String,
    name: String,
    password: String,
    team: String,
}

/// A form with only its CSRF token.
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    pub(super) csrf: String,
}

/// The pre-session token: the one in the cookie, or a new one (set by the page).
fn pre_token(headers: &HeaderMap) -> (String, bool) {
    match cookie(headers, PRE_COOKIE) {
        Some(t) if t.len() == 43 => (t.to_owned(), false),
        _ => (random_token(), true),
    }
}

pub(super) fn auth_page(
    state: &ConsoleState,
    headers: &HeaderMap,
    status: StatusCode,
    title: &str,
    error: Option<String>,
    body: impl FnOnce(&str) -> caas_console::Markup,
) -> Response {
    let (token, fresh) = pre_token(headers);
    let frame = Frame { title: title.to_owned(), user: None, flash: error.map(Flash::Error) };
    let mut res = page_response(status, caas_console::document(&frame, body(&token)));
    if fresh {
        res.headers_mut().append(header::SET_COOKIE, set_cookie(state, PRE_COOKIE, &token, 3600));
    }
    res
}

/// `GET /console/login`.
pub async fn login_page(State(state): State<ConsoleState>, headers: HeaderMap, Query(q): Query<NextQuery>) -> Response {
    let next = safe_next(q.next.as_deref());
    auth_page(&state, &headers, StatusCode::OK, "Log in", None, |t| caas_console::pages::login(t, &next, ""))
}

/// `GET /console/signup`.
pub async fn signup_page(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = safe_next(q.next.as_deref());
    auth_page(&state, &headers, StatusCode::OK, "Sign up", None, |t| caas_console::pages::signup(t, &next, "", "", ""))
}

/// The double-submit check of the sign-in forms: the form's token equals the cookie's.
pub(super) fn check_pre(headers: &HeaderMap, token: &str) -> Result<(), Failure> {
    match cookie(headers, PRE_COOKIE) {
        Some(c) if same(c, token) => Ok(()),
        _ => Err(Failure::new(
            StatusCode::FORBIDDEN,
            "This form has expired or was not sent from the console. Reload the page and try again.",
        )),
    }
}

fn argon2() -> Argon2<'static> {
    Argon2::default()
}

/// A hash to verify against when the email is unknown, so both cases take as long.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        argon2().hash_password(b"not a password of anyone", &salt).map(|h| h.to_string()).unwrap_or_default()
    })
}

pub(super) async fn hash_password(password: String) -> Result<String, Failure> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        argon2().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(|e| Failure::from(crate::http::error::ApiError::internal(e)))?
    .map_err(|e| Failure::from(crate::http::error::ApiError::internal(e)))
}

async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|h| argon2().verify_password(password.as_bytes(), &h).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// Starts a new session for the account (a fresh id: whatever id the browser
/// had before, signed in or planted, is dropped) and redirects to `next`.
async fn start_session(
    state: &ConsoleState,
    headers: &HeaderMap,
    account: &Account,
    team: Option<TeamId>,
    next: &str,
) -> Page {
    if let Some((_, old)) = session_of(state, headers).await {
        state.store.delete_console_session(&old).await?;
    }
    let id = random_token();
    let csrf = random_token();
    let expires = caas_storage::now_ms() + SESSION_TTL_MS;
    state.store.create_console_session(&sha256(&id), account.id, team, &csrf, expires).await?;
    tracing::info!(account_id = %account.id, "console session started");
    let mut res = Redirect::to(next).into_response();
    let h = res.headers_mut();
    h.append(header::SET_COOKIE, set_cookie(state, SESSION_COOKIE, &id, SESSION_TTL_MS / 1000));
    h.append(header::SET_COOKIE, set_cookie(state, PRE_COOKIE, "", 0));
    Ok(res)
}

pub(super) fn normalize_email(raw: &str) -> Option<String> {
    let email = raw.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let ok = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>');
    ok.then_some(email)
}

/// `POST /console/signup`.
pub async fn signup(State(state): State<ConsoleState>, headers: HeaderMap, Form(f): Form<SignupForm>) -> Page {
    check_pre(&headers, &f.csrf)?;
    let next = safe_next(f.next.as_deref());
    let again = |state: &ConsoleState, message: String| {
        auth_page(state, &headers, StatusCode::UNPROCESSABLE_ENTITY, "Sign up", Some(message), |t| {
            caas_console::pages::signup(t, &next, &f.email, &f.name, &f.team)
        })
    };
    let Some(email) = normalize_email(&f.email) else {
        return Ok(again(&state, "Enter a valid email address.".into()));
    };
    let (name, team) = (f.name.trim(), f.team.trim());
    if name.is_empty() || name.chars().count() > 100 || team.is_empty() || team.chars().count() > 100 {
        return Ok(again(&state, "Name and team name must be 1 to 100 characters.".into()));
    }
    if f.password.chars().count() < 10 || f.password.len() > 256 {
        return Ok(again(&state, "The password must be 10 to 256 characters.".into()));
    }
    let hash = hash_password(f.password.clone()).await?;
    let (account, team_id) = match state.store.create_account(&email, name, &hash, team).await {
        Ok(created) => created,
        Err(e) if matches!(&e, caas_storage::StoreError::Invalid { code: "email_taken", .. }) => {
            return Ok(again(&state, "An account with this email exists: log in instead.".into()));
        }
        Err(e) => return Err(e.into()),
    };
    tracing::info!(account_id = %account.id, team_id = %team_id, "console account created");
    start_session(&state, &headers, &account, Some(team_id), &next).await
}

/// The per-IP limit of sign-in attempts (also spent by password reset requests):
/// `Some(429 page)` when this client is over it.
pub(super) fn rate_limited(
    state: &ConsoleState,
    extensions: &axum::http::Extensions,
    headers: &HeaderMap,
) -> Option<Response> {
    let ip = client_ip(extensions.get::<ConnectInfo<SocketAddr>>(), headers, state)?;
    let wait = state.login_limiter.check(&ip, Instant::now()).err()?;
    tracing::info!(client_ip = %ip, "console sign-in rate limited");
    let mut res = Failure::new(
        StatusCode::TOO_MANY_REQUESTS,
        format!("Too many sign-in attempts. Try again in {} seconds.", wait.as_secs().max(1)),
    )
    .into_response();
    if let Ok(v) = wait.as_secs().max(1).to_string().parse() {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    Some(res)
}

/// `POST /console/login`.
pub async fn login(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    Form(f): Form<LoginForm>,
) -> Page {
    check_pre(&headers, &f.csrf)?;
    let next = safe_next(f.next.as_deref());
    if let Some(res) = rate_limited(&state, &extensions, &headers) {
        return Ok(res);
    }
    let email = normalize_email(&f.email).unwrap_or_default();
    let account = match email.is_empty() {
        true => None,
        false => state.store.account_by_email(&email).await?,
    };
    let hash = account.as_ref().map(|a| a.password_hash.clone()).unwrap_or_else(|| dummy_hash().to_owned());
    let ok = verify_password(f.password.clone(), hash).await && account.is_some();
    match (ok, account) {
        (true, Some(account)) => start_session(&state, &headers, &account, None, &next).await,
        _ => {
            tracing::info!("console sign-in failed");
            Ok(auth_page(
                &state,
                &headers,
                StatusCode::UNAUTHORIZED,
                "Log in",
                Some("Wrong email or password.".into()),
                |t| caas_console::pages::login(t, &next, &f.email),
            ))
        }
    }
}

/// `POST /console/logout`.
pub async fn logout(State(state): State<ConsoleState>, c: Console, Form(f): Form<CsrfForm>) -> Page {
    c.check_csrf(&f.csrf)?;
    state.store.delete_console_session(&c.id_hash).await?;
    let mut res = Redirect::to("/console/login").into_response();
    res.headers_mut().append(header::SET_COOKIE, set_cookie(&state, SESSION_COOKIE, "", 0));
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized() {
        assert_eq!(normalize_email("  Ann@Example.COM "), Some("ann@example.com".into()));
        for bad in ["", "ann", "@example.com", "ann@", "ann@example", "a b@example.com", "<a>@x.io"] {
            assert_eq!(normalize_email(bad), None, "{bad}");
        }
    }
}
