//! The page frame: head, top bar with the signed-in account and team switcher, flash messages.

use maud::{DOCTYPE, Markup, html};

/// Where in the console a page belongs (highlights the navigation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Apps and their keys, usage and billing.
    Apps,
    /// Team members and invitations.
    Team,
    /// The audit log.
    Audit,
}

/// A team the account can switch to.
#[derive(Debug, Clone)]
pub struct TeamChoice {
    /// Team id.
    pub id: String,
    /// Team name.
    pub name: String,
}

/// The signed-in account, shown in the top bar.
#[derive(Debug, Clone)]
pub struct UserBar {
    /// Account email.
    pub email: String,
    /// Current team's name.
    pub team: String,
    /// Current team's id.
    pub team_id: String,
    /// Role in the current team.
    pub role: String,
    /// All teams of the account.
    pub teams: Vec<TeamChoice>,
    /// The session's anti-CSRF token.
    pub csrf: String,
    /// The current section.
    pub section: Section,
}

/// A one-line notice at the top of a page.
#[derive(Debug, Clone)]
pub enum Flash {
    /// Something worked.
    Ok(String),
    /// Something was refused.
    Error(String),
}

/// What every page has around its body.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The page title.
    pub title: String,
    /// The signed-in account, if any.
    pub user: Option<UserBar>,
    /// A notice, if any.
    pub flash: Option<Flash>,
}

/// Wraps a page body into a complete HTML document.
pub fn document(frame: &Frame, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (frame.title) " · CAAS console" }
                link rel="icon" href="/console/assets/favicon.svg" type="image/svg+xml";
                link rel="stylesheet" href="/console/assets/console.css";
                script src="/console/assets/console.js" defer {}
            }
            body {
                header.top {
                    a.brand href="/console" { "CAAS" span.muted { " console" } }
                    @if let Some(user) = &frame.user {
                        nav {
                            a href="/console/apps" class=[(user.section == Section::Apps).then_some("active")] { "Apps" }
                            a href="/console/team" class=[(user.section == Section::Team).then_some("active")] { "Team" }
                            a href="/console/audit" class=[(user.section == Section::Audit).then_some("active")] { "Audit log" }
                        }
                        div.who {
                            @if user.teams.len() > 1 {
                                form.inline method="post" action="/console/team/switch" {
                                    input type="hidden" name="csrf" value=(user.csrf);
                                    select name="team_id" data-autosubmit="" aria-label="Team" {
                                        @for t in &user.teams {
                                            option value=(t.id) selected[t.id == user.team_id] { (t.name) }
                                        }
                                    }
                                }
                            } @else {
                                span.team { (user.team) }
                            }
                            span.muted { (user.email) " · " (user.role) }
                            form.inline method="post" action="/console/logout" {
                                input type="hidden" name="csrf" value=(user.csrf);
                                button.link type="submit" { "Log out" }
                            }
                        }
                    }
                }
                main {
                    @match &frame.flash {
                        Some(Flash::Ok(m)) => p.flash.ok role="status" { (m) },
                        Some(Flash::Error(m)) => p.flash.error role="alert" { (m) },
                        None => {}
                    }
                    (body)
                }
            }
        }
    }
    .into_string()
}
