//! One function per page; each returns the page body for [`crate::document`].

mod apps;
mod team;
mod usage;

pub use apps::{AppRow, AppView, Created, WebhookRow, app, apps, secret_shown};
pub use team::{AuditRow, MemberRow, SessionSummary, audit, invite, team};
pub use usage::{BillingView, InvoiceRow, UsageView, billing, invoice, usage};

use maud::{Markup, html};

/// The sign-in form. `csrf` is the pre-session token (also set as a cookie).
pub fn login(csrf: &str, next: &str, email: &str) -> Markup {
    html! {
        section.card.narrow {
            h1 { "Log in" }
            form method="post" action="/console/login" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="next" value=(next);
                label { "Email" input type="email" name="email" value=(email) required autocomplete="username"; }
                label { "Password" input type="password" name="password" required autocomplete="current-password"; }
                button type="submit" { "Log in" }
            }
            p.muted { "New here? " a href={ "/console/signup?next=" (next) } { "Create an account" } }
            p.muted { a href="/console/forgot" { "Forgot your password?" } }
        }
    }
}

/// The sign-up form.
pub fn signup(csrf: &str, next: &str, email: &str, name: &str, team: &str) -> Markup {
    html! {
        section.card.narrow {
            h1 { "Create your account" }
            p.muted { "One account, one team to start with; invite your colleagues later." }
            form method="post" action="/console/signup" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="next" value=(next);
                label { "Your name" input type="text" name="name" value=(name) required maxlength="100"; }
                label { "Email" input type="email" name="email" value=(email) required autocomplete="username"; }
                label { "Password " span.muted { "(at least 10 characters)" }
                    input type="password" name="password" required minlength="10" autocomplete="new-password"; }
                label { "Team or company name" input type="text" name="team" value=(team) required maxlength="100"; }
                button type="submit" { "Create account" }
            }
            p.muted { "Already have an account? " a href={ "/console/login?next=" (next) } { "Log in" } }
        }
    }
}

/// Asks for the email of an account to send a password reset link to.
pub fn forgot(csrf: &str, email: &str) -> Markup {
    html! {
        section.card.narrow {
            h1 { "Reset your password" }
            p.muted { "We email you a link to choose a new password. It works once, for one hour." }
            form method="post" action="/console/forgot" {
                input type="hidden" name="csrf" value=(csrf);
                label { "Email" input type="email" name="email" value=(email) required autocomplete="username"; }
                button type="submit" { "Send the link" }
            }
            p.muted { a href="/console/login" { "Back to log in" } }
        }
    }
}

/// Chooses a new password with the token of an emailed link.
pub fn reset(csrf: &str, token: &str) -> Markup {
    html! {
        section.card.narrow {
            h1 { "Choose a new password" }
            p.muted { "You will be signed out everywhere; then log in with the new password." }
            form method="post" action="/console/reset" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="token" value=(token);
                label { "New password " span.muted { "(at least 10 characters)" }
                    input type="password" name="password" required minlength="10" autocomplete="new-password"; }
                button type="submit" { "Set the password" }
            }
        }
    }
}

/// A short message with a way on.
pub fn message(title: &str, text: &str, link: (&str, &str)) -> Markup {
    html! {
        section.card.narrow {
            h1 { (title) }
            p { (text) }
            p { a href=(link.0) { (link.1) } }
        }
    }
}
