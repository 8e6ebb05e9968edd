//! The team (members, roles, invitations) and the audit log.

use maud::{Markup, html};

/// A member of the team.
#[derive(Debug, Clone)]
pub struct MemberRow {
    /// Account id.
    pub account_id: String,
    /// Email.
    pub email: String,
    /// Name.
    pub name: String,
    /// Role.
    pub role: String,
    /// Joined on.
    pub joined: String,
    /// The signed-in account.
    pub is_me: bool,
}

const ROLES: [(&str, &str); 3] = [
    ("viewer", "Viewer — reads everything"),
    ("developer", "Developer — manages apps, keys, allowlists, webhooks"),
    ("owner", "Owner — also the team and plans"),
];

/// Members, roles and invitation links.
pub fn team(members: &[MemberRow], csrf: &str, can_own: bool, invite_link: Option<&str>) -> Markup {
    html! {
        section.card {
            h1 { "Team" }
            table #members {
                thead { tr { th { "Name" } th { "Email" } th { "Role" } th { "Joined" } th {} } }
                tbody {
                    @for m in members {
                        tr {
                            td { (m.name) @if m.is_me { span.muted { " (you)" } } }
                            td { (m.email) }
                            td {
                                @if can_own {
                                    form.inline method="post" action={ "/console/team/members/" (m.account_id) "/role" } {
                                        input type="hidden" name="csrf" value=(csrf);
                                        select name="role" data-autosubmit="" aria-label={ "Role of " (m.email) } {
                                            @for (r, _) in ROLES { option value=(r) selected[r == m.role] { (r) } }
                                        }
                                    }
                                } @else { (m.role) }
                            }
                            td { (m.joined) }
                            td { @if can_own && !m.is_me {
                                form.inline method="post" action={ "/console/team/members/" (m.account_id) "/remove" } data-confirm={ "Remove " (m.email) " from the team?" } {
                                    input type="hidden" name="csrf" value=(csrf);
                                    button.link type="submit" { "Remove" }
                                }
                            } }
                        }
                    }
                }
            }
            @if can_own {
                h2 { "Invite someone" }
                @if let Some(link) = invite_link {
                    p.warning { "Send this link to the person you invite. It works once, for 7 days." }
                    div.copyable { code #invite-link { (link) } button.copy type="button" data-copy="invite-link" { "Copy" } }
                }
                form.row method="post" action="/console/team/invites" {
                    input type="hidden" name="csrf" value=(csrf);
                    select name="role" aria-label="Role" { @for (r, label) in ROLES { option value=(r) selected[r == "developer"] { (label) } } }
                    button type="submit" { "Create invitation link" }
                }
            }
        }
    }
}

/// The page an invitation link opens.
pub fn invite(team_name: &str, token: &str, csrf: &str) -> Markup {
    html! {
        section.card.narrow {
            h1 { "Join " (team_name) }
            form method="post" action={ "/console/invite/" (token) } {
                input type="hidden" name="csrf" value=(csrf);
                button type="submit" { "Join the team" }
            }
        }
    }
}

/// An audit-log entry.
#[derive(Debug, Clone)]
pub struct AuditRow {
    /// When (RFC 3339).
    pub at: String,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// Which app (its name), if any.
    pub app: Option<String>,
    /// Details (JSON).
    pub detail: String,
}

/// Sessions an app issued per day.
#[derive(Debug, Clone)]
pub struct SessionSummary {
    /// App name.
    pub app: String,
    /// Day and sessions created, newest first.
    pub days: Vec<(String, i64)>,
}

/// The audit log and the summaries of session creation.
pub fn audit(rows: &[AuditRow], sessions: &[SessionSummary], older: Option<&str>) -> Markup {
    html! {
        section.card {
            h1 { "Audit log" }
            p.muted { "Who changed keys, allowlists, webhooks, plans or the team." }
            @if rows.is_empty() { p.muted { "Nothing yet." } }
            @else {
                table #audit {
                    thead { tr { th { "When (UTC)" } th { "Who" } th { "What" } th { "App" } th { "Details" } } }
                    tbody {
                        @for r in rows {
                            tr data-action=(r.action) {
                                td { (r.at) } td { (r.actor) } td { code { (r.action) } }
                                td { (r.app.as_deref().unwrap_or("")) } td { code.small { (r.detail) } }
                            }
                        }
                    }
                }
                @if let Some(before) = older { p { a href={ "/console/audit?before=" (before) } { "Older entries" } } }
            }
            h2 { "Sessions created" }
            @if sessions.iter().all(|s| s.days.is_empty()) { p.muted { "No sessions in the last 14 days." } }
            @else {
                table #sessions {
                    thead { tr { th { "App" } th { "Day" } th.num { "Sessions" } } }
                    tbody {
                        @for s in sessions { @for (day, n) in &s.days {
                            tr { td { (s.app) } td { (day) } td.num { (n) } }
                        } }
                    }
                }
            }
        }
    }
}
