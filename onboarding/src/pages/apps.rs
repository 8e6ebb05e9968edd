//! Apps: the list, the page that shows a secret once, and an app's settings.

use maud::{Markup, html};

/// An app in the list.
#[derive(Debug, Clone)]
pub struct AppRow {
    /// App id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Public API key.
    pub api_key: String,
    /// Plan name.
    pub plan: String,
    /// Creation day.
    pub created: String,
}

/// The apps of the team, and the form to create one.
pub fn apps(rows: &[AppRow], csrf: &str, can_edit: bool) -> Markup {
    html! {
        section.card {
            h1 { "Apps" }
            @if rows.is_empty() {
                p.muted #no-apps { "No apps yet. Create one to get an API key and secret." }
            } @else {
                table #apps {
                    thead { tr { th { "Name" } th { "App id" } th { "API key" } th { "Plan" } th { "Created" } } }
                    tbody {
                        @for a in rows {
                            tr {
                                td { a href={ "/console/apps/" (a.id) } { (a.name) } }
                                td { code { (a.id) } }
                                td { code { (a.api_key) } }
                                td { (a.plan) }
                                td { (a.created) }
                            }
                        }
                    }
                }
            }
            @if can_edit {
                form.row method="post" action="/console/apps" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="text" name="name" placeholder="App name, e.g. Acme Chat" required maxlength="100" aria-label="App name";
                    button type="submit" { "Create app" }
                }
            }
        }
    }
}

/// A new app or a rotated secret: shown once.
#[derive(Debug, Clone)]
pub struct Created {
    /// App id.
    pub app_id: String,
    /// App name.
    pub name: String,
    /// Public API key.
    pub api_key: String,
    /// The secret, in clear, this once.
    pub api_secret: String,
    /// Whether this is a rotation (else a new app).
    pub rotated: bool,
}

fn copyable(id: &str, label: &str, value: &str) -> Markup {
    html! {
        div.copyable {
            span.label { (label) }
            code id=(id) { (value) }
            button.copy type="button" data-copy=(id) { "Copy" }
        }
    }
}

/// Shows the credentials of a new app (or a new secret) once.
pub fn secret_shown(c: &Created) -> Markup {
    html! {
        section.card {
            h1 { @if c.rotated { "New secret for " (c.name) } @else { (c.name) " is ready" } }
            p.warning { "Copy the API secret now: it is shown only this once. CAAS keeps only its hash." }
            (copyable("app-id", "App id", &c.app_id))
            (copyable("api-key", "API key", &c.api_key))
            (copyable("api-secret", "API secret", &c.api_secret))
            h2 { "Next: create a session from your backend" }
            pre.code { "curl -u " (c.api_key) ":$CAAS_API_SECRET -H 'content-type: application/json' \\\n  -d '{\"user_id\": \"u-42\", \"name\": \"Ann\"}' " "$CAAS_URL/v1/admin/sessions" }
            p.muted { "The admin API answers only from the IPs in the app's allowlist (loopback until you add one)." }
            p { a.button href={ "/console/apps/" (c.app_id) } { "Go to the app" } }
        }
    }
}

/// A webhook endpoint.
#[derive(Debug, Clone)]
pub struct WebhookRow {
    /// Webhook id.
    pub id: String,
    /// Endpoint URL.
    pub url: String,
    /// Events it receives.
    pub events: String,
}

/// An app's settings page.
#[derive(Debug, Clone)]
pub struct AppView {
    /// App id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Public API key.
    pub api_key: String,
    /// Allowed admin-API source IPs/CIDRs.
    pub allowed_ips: Vec<String>,
    /// Allowed web origins.
    pub allowed_origins: Vec<String>,
    /// Webhook endpoints.
    pub webhooks: Vec<WebhookRow>,
    /// Events a webhook can ask for.
    pub webhook_events: Vec<&'static str>,
    /// A just-created webhook's signing secret, shown once.
    pub new_webhook_secret: Option<String>,
    /// The current plan's id.
    pub plan_id: String,
    /// Plans to choose from: id, name, monthly price in cents.
    pub plans: Vec<(String, String, u64)>,
    /// The session's anti-CSRF token.
    pub csrf: String,
    /// May change keys, allowlists and webhooks.
    pub can_edit: bool,
    /// May change the plan.
    pub can_own: bool,
}

/// Tabs of an app's pages.
pub(crate) fn tabs(id: &str, name: &str, active: &str) -> Markup {
    html! {
        h1 { (name) }
        nav.tabs {
            @for (slug, label) in [("", "Settings"), ("/usage", "Usage"), ("/billing", "Billing")] {
                a href={ "/console/apps/" (id) (slug) } class=[(slug == active).then_some("active")] { (label) }
            }
        }
    }
}

fn list_form(v: &AppView, action: &str, label: &str, items: &[String], hint: &str) -> Markup {
    html! {
        form.stack method="post" action={ "/console/apps/" (v.id) "/" (action) } {
            input type="hidden" name="csrf" value=(v.csrf);
            label { (label) span.muted { " — " (hint) }
                textarea name=(action) rows="3" disabled[!v.can_edit] { (items.join("\n")) }
            }
            @if v.can_edit { button type="submit" { "Save " (label) } }
        }
    }
}

/// An app's settings: keys, allowlists, webhooks, plan.
pub fn app(v: &AppView) -> Markup {
    html! {
        section.card {
            (tabs(&v.id, &v.name, ""))
            h2 { "Keys" }
            (copyable("app-id", "App id", &v.id))
            (copyable("api-key", "API key", &v.api_key))
            div.copyable { span.label { "API secret" } span.muted { "hidden — shown once when created or rotated" } }
            @if v.can_edit {
                form.inline method="post" action={ "/console/apps/" (v.id) "/rotate-secret" } data-confirm="The current secret stops working at once. Rotate?" {
                    input type="hidden" name="csrf" value=(v.csrf);
                    button.danger type="submit" { "Rotate secret" }
                }
            }
            h2 { "Allowlists" }
            (list_form(v, "ips", "Server IPs", &v.allowed_ips,
                "IPs or CIDRs that may call the admin API, one per line (new apps start with loopback)"))
            (list_form(v, "origins", "Web origins", &v.allowed_origins,
                "origins your web app runs on, one per line, e.g. https://app.example.com or https://*.example.com"))
            h2 { "Webhooks" }
            @if let Some(secret) = &v.new_webhook_secret {
                p.warning { "Signing secret of the new webhook, shown once:" }
                (copyable("webhook-secret", "Signing secret", secret))
            }
            @if v.webhooks.is_empty() { p.muted { "No webhooks." } }
            @else {
                table #webhooks {
                    thead { tr { th { "URL" } th { "Events" } th {} } }
                    tbody {
                        @for w in &v.webhooks {
                            tr {
                                td { code { (w.url) } }
                                td { (w.events) }
                                td { @if v.can_edit {
                                    form.inline method="post" action={ "/console/apps/" (v.id) "/webhooks/" (w.id) "/delete" } {
                                        input type="hidden" name="csrf" value=(v.csrf);
                                        button.link type="submit" { "Remove" }
                                    }
                                } }
                            }
                        }
                    }
                }
            }
            @if v.can_edit {
                form.row method="post" action={ "/console/apps/" (v.id) "/webhooks" } {
                    input type="hidden" name="csrf" value=(v.csrf);
                    input type="url" name="url" placeholder="https://api.example.com/caas-hook" required aria-label="Webhook URL";
                    select name="events" aria-label="Events" {
                        option value="*" { "all events" }
                        @for e in &v.webhook_events { option value=(e) { (e) } }
                    }
                    button type="submit" { "Add webhook" }
                }
            }
            h2 { "Plan" }
            form.row method="post" action={ "/console/apps/" (v.id) "/plan" } {
                input type="hidden" name="csrf" value=(v.csrf);
                select name="plan" disabled[!v.can_own] aria-label="Plan" {
                    @for (id, name, price) in &v.plans {
                        option value=(id) selected[*id == v.plan_id] { (name) " — " (crate::money(*price)) "/month" }
                    }
                }
                @if v.can_own { button type="submit" { "Change plan" } }
            }
        }
    }
}
