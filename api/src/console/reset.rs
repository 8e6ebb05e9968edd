//! Password reset by email: a link with a one-use token (stored as its SHA-256)
//! that works for an hour, sent to the account's address over SMTP. Asking
//! answers the same, and as fast, whether the address has an account or not
//! (the lookup and the email come after the answer); using the link
//! replaces the password and ends every console session of the account.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::auth::{auth_page, check_pre, hash_password, normalize_email, rate_limited};
use super::{Failure, Page, page_response, random_token, sha256};
use crate::console::ConsoleState;

/// How long a reset link works.
const RESET_TTL_MS: i64 = 3_600_000;

/// The form asking for a link.
#[derive(Debug, Deserialize)]
pub struct ForgotForm {
    csrf: String,
    email: String,
}

/// The form choosing the new password.
#[derive(Debug, Deserialize)]
pub struct ResetForm {
    csrf: String,
    token: String,
    password: String,
}

/// The mailer and where links point (`CAAS_PUBLIC_URL`): reset needs both.
fn reset_email(state: &ConsoleState) -> Option<(&crate::notify::Mailer, &str)> {
    Some((state.mailer.as_ref()?, state.public_url.as_deref()?))
}

fn message(status: StatusCode, title: &str, text: &str, link: (&str, &str)) -> Response {
    let frame = caas_console::Frame { title: title.to_owned(), user: None, flash: None };
    page_response(status, caas_console::document(&frame, caas_console::pages::message(title, text, link)))
}

/// `GET /console/forgot`.
pub async fn forgot_page(State(state): State<ConsoleState>, headers: HeaderMap) -> Response {
    auth_page(&state, &headers, StatusCode::OK, "Reset your password", None, |t| caas_console::pages::forgot(t, ""))
}

/// `POST /console/forgot`: sends a link if the address has an account.
pub async fn forgot(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    Form(f): Form<ForgotForm>,
) -> Page {
    check_pre(&headers, &f.csrf)?;
    if let Some(res) = rate_limited(&state, &extensions, &headers) {
        return Ok(res);
    }
    let Some((mailer, base)) = reset_email(&state) else {
        return Ok(message(
            StatusCode::SERVICE_UNAVAILABLE,
            "Reset your password",
            "This server cannot send email (its operator has not set CAAS_SMTP_URL and CAAS_PUBLIC_URL). \
             Ask a colleague who owns your team, or the server's operator.",
            ("/console/login", "Back to log in"),
        ));
    };
    let Some(email) = normalize_email(&f.email) else {
        return Ok(auth_page(
            &state,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Reset your password",
            Some("Enter a valid email address.".into()),
            |t| caas_console::pages::forgot(t, &f.email),
        ));
    };
    // The lookup, the link and the email happen after the answer, so that neither the
    // answer nor its timing tells whether the address has an account.
    let (state, mailer, base) = (state.clone(), mailer.clone(), base.to_owned());
    tokio::spawn(async move {
        if let Err(e) = send_link(&state, &mailer, &base, &email).await {
            tracing::warn!(error = %e, "password reset link not sent");
        }
    });
    Ok(message(
        StatusCode::OK,
        "Check your email",
        "If an account uses this address, we have sent it a link to choose a new password. It works once, for one hour.",
        ("/console/login", "Back to log in"),
    ))
}

/// Why a reset link was not sent (logged; the person sees the same answer).
#[derive(Debug, thiserror::Error)]
enum ResetError {
    #[error(transparent)]
    Store(#[from] caas_storage::StoreError),
    #[error("account email is not an address: {0}")]
    Address(#[from] lettre::address::AddressError),
    #[error(transparent)]
    Mail(#[from] crate::notify::MailError),
}

/// Stores a link for the account of `email`, if there is one, and mails it.
async fn send_link(
    state: &ConsoleState,
    mailer: &crate::notify::Mailer,
    base: &str,
    email: &str,
) -> Result<(), ResetError> {
    let Some(account) = state.store.account_by_email(email).await? else {
        return Ok(());
    };
    let to = email.parse::<lettre::Address>()?;
    let token = random_token();
    let expires = caas_storage::now_ms() + RESET_TTL_MS;
    state.store.create_password_reset(account.id, &sha256(&token), expires).await?;
    let body = format!(
        "Hello {},\n\nSomeone (we hope you) asked to reset the password of your console account.\n\
         Choose a new one here within the hour:\n\n{base}/console/reset/{token}\n\n\
         If it was not you, ignore this email: your password stays as it is.\n",
        account.name
    );
    mailer.send_text(to, "Reset your console password", body).await?;
    tracing::info!(account_id = %account.id, "password reset link sent");
    Ok(())
}

/// `GET /console/reset/{token}`: the form (the token is checked when it is sent).
pub async fn reset_page(State(state): State<ConsoleState>, headers: HeaderMap, Path(token): Path<String>) -> Response {
    auth_page(&state, &headers, StatusCode::OK, "Choose a new password", None, |t| {
        caas_console::pages::reset(t, &token)
    })
}

/// `POST /console/reset`: spends the link, sets the password, signs out everywhere.
pub async fn reset(State(state): State<ConsoleState>, headers: HeaderMap, Form(f): Form<ResetForm>) -> Page {
    check_pre(&headers, &f.csrf)?;
    if f.password.chars().count() < 10 || f.password.len() > 256 {
        return Ok(auth_page(
            &state,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choose a new password",
            Some("The password must be 10 to 256 characters.".into()),
            |t| caas_console::pages::reset(t, &f.token),
        ));
    }
    let hash = hash_password(f.password.clone()).await?;
    match state.store.reset_password(&sha256(&f.token), &hash).await? {
        Some(account) => {
            tracing::info!(account_id = %account, "console password reset");
            Ok(message(
                StatusCode::OK,
                "Password changed",
                "Your password is changed and every console session of your account has ended. Log in with the new password.",
                ("/console/login", "Log in"),
            ))
        }
        None => Err(Failure::new(
            StatusCode::GONE,
            "This link was used already or has expired. Ask for a new one from the log-in page.",
        )),
    }
}
