//! Notifications: derived from what happens (mentions, replies, direct
//! messages while offline, contact requests, follows, likes, comments), stored,
//! pushed live as `notification.new`, and mailed as a digest to users offline
//! longer than `CAAS_DIGEST_AFTER_SECS`.
//!
//! Each user chooses per category and channel (`in_app`, `email`, `push`);
//! every channel is on by default. Muted users and conversations, and blocks,
//! silence notifications.

pub mod push;
pub mod rest;
pub mod webhooks;

use std::time::Duration;

use caas_storage::{AppId, ConversationKind, Message, Notification, UserId};
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde_json::{Value, json};

use crate::config::ServeArgs;
use crate::live::publish_ephemeral;

crate::handle! {
    /// What notifications and webhooks need. Features report what happened
    /// through it: [`notify`] and [`on_message`] for end users,
    /// [`webhooks::emit`] and [`webhooks::on_event`] for client backends.
    Notifier => NotifierParts
}

/// The parts of a [`Notifier`].
pub struct NotifierParts {
    /// The database.
    pub store: caas_storage::Store,
    /// The event bus (`notification.new` goes out live).
    pub bus: caas_signaling::bus::Bus,
    /// Who is online (a direct message notifies an offline recipient).
    pub presence: std::sync::Arc<crate::live::presence::Presence>,
    /// Webhook sending.
    pub hooks: webhooks::SharedHooks,
    /// Notification email (SMTP), when configured.
    pub mailer: Option<Mailer>,
    /// Web push identity, when configured.
    pub vapid: Option<push::Vapid>,
}

/// Characters of a message quoted in a notification.
const EXCERPT: usize = 140;

/// The SMTP sender of digests.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: lettre::message::Mailbox,
}

impl Mailer {
    /// From `CAAS_SMTP_URL` and `CAAS_EMAIL_FROM`; `None` (with a warning) if
    /// unset or invalid.
    pub fn from_config(config: &ServeArgs) -> Option<Mailer> {
        let url = config.smtp_url.as_deref()?;
        let transport = match AsyncSmtpTransport::<Tokio1Executor>::from_url(url) {
            Ok(b) => b.timeout(Some(Duration::from_secs(20))).build(),
            Err(e) => {
                tracing::warn!(error = %e, "CAAS_SMTP_URL is not usable; notification email is off");
                return None;
            }
        };
        let from = match config.email_from.parse() {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(error = %e, "CAAS_EMAIL_FROM is not a mailbox; notification email is off");
                return None;
            }
        };
        Some(Mailer { transport, from })
    }

    /// Sends a plain-text email to one address.
    pub async fn send_text(&self, to: lettre::Address, subject: &str, body: String) -> Result<(), MailError> {
        let email = lettre::Message::builder()
            .from(self.from.clone())
            .to(lettre::message::Mailbox::new(None, to))
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)?;
        self.transport.send(email).await?;
        Ok(())
    }
}

/// Why an email was not sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The message could not be built.
    #[error("cannot build the email: {0}")]
    Build(#[from] lettre::error::Error),
    /// The SMTP server refused it or could not be reached.
    #[error("SMTP: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
}

fn excerpt(text: &str) -> String {
    let mut s: String = text.chars().take(EXCERPT).collect();
    if text.chars().count() > EXCERPT {
        s.push('…');
    }
    s
}

/// Notifies `user` of something `actor` did, unless silenced or opted out:
/// stored and pushed live (`in_app`). Web push is sent when configured.
pub async fn notify(
    state: &Notifier,
    app: AppId,
    user: &UserId,
    category: &str,
    actor: Option<&UserId>,
    conversation: Option<caas_storage::ConversationId>,
    data: Value,
) -> Option<Notification> {
    if actor == Some(user) {
        return None;
    }
    let scope = state.store.app(app);
    match scope.silenced(user, actor, conversation).await {
        Ok(false) => {}
        Ok(true) => return None,
        Err(e) => {
            tracing::warn!(app_id = %app, user_id = %user, error = %e, "cannot check notification mutes");
            return None;
        }
    }
    if !scope.wants(user, category, "in_app").await.unwrap_or(true) {
        return None;
    }
    match scope.add_notification(user, category, actor, &data).await {
        Ok(n) => {
            metrics::counter!("caas_notifications_total", "category" => category.to_owned()).increment(1);
            publish_ephemeral(
                &state.bus,
                app,
                "notification.new",
                &json!({"notification": n}),
                std::slice::from_ref(user),
            )
            .await;
            if state.vapid.is_some() {
                let (state, user, n2) = (state.clone(), user.clone(), n.clone());
                tokio::spawn(async move { crate::notify::push::send(&state, app, &user, &n2, &describe(&n2)).await });
            }
            Some(n)
        }
        Err(e) => {
            tracing::warn!(app_id = %app, user_id = %user, error = %e, "cannot store a notification");
            None
        }
    }
}

/// Notifications a new message causes: mentions, a reply to someone's
/// message, and a direct message to a user who is offline.
pub async fn on_message(state: Notifier, app: AppId, message: Message, recipients: Vec<UserId>) {
    let sender = &message.sender_id;
    let conv = message.conversation_id;
    let data = json!({
        "conversation_id": conv,
        "message_id": message.id,
        "text": excerpt(&message.text),
    });
    let mut told: Vec<UserId> = Vec::new();
    for m in &message.mentions {
        if m != sender
            && !told.contains(m)
            && recipients.contains(m)
            && notify(&state, app, m, "mention", Some(sender), Some(conv), data.clone()).await.is_some()
        {
            told.push(m.clone());
        }
    }
    let scope = state.store.app(app);
    for quoted in [message.reply_to, message.parent_id].into_iter().flatten() {
        if let Ok(author) = scope.message_sender(conv, quoted).await
            && author != *sender
            && !told.contains(&author)
            && recipients.contains(&author)
            && notify(&state, app, &author, "reply", Some(sender), Some(conv), data.clone()).await.is_some()
        {
            told.push(author);
        }
    }
    if recipients.len() == 2 {
        let Some(other) = recipients.iter().find(|r| *r != sender) else { return };
        if told.contains(other) {
            return;
        }
        // Presence first (memory or Redis): the conversation is read only for an offline recipient.
        if state.presence.status(app, other).await == caas_signaling::presence::Status::Offline
            && scope.conversation(conv, sender).await.is_ok_and(|c| c.kind == ConversationKind::Direct)
        {
            notify(&state, app, other, "direct_message", Some(sender), Some(conv), data).await;
        }
    }
}

/// A notification as one line for people (push body, email digest).
pub fn describe(n: &Notification) -> String {
    let who = n.actor_id.as_ref().map(|a| a.as_str().to_owned()).unwrap_or_else(|| "Someone".into());
    let text = n.data.get("text").and_then(Value::as_str).unwrap_or("");
    let quoted = if text.is_empty() { String::new() } else { format!(": \"{text}\"") };
    match n.category.as_str() {
        "mention" => format!("{who} mentioned you{quoted}"),
        "reply" => format!("{who} replied to you{quoted}"),
        "direct_message" => format!("{who} sent you a message{quoted}"),
        "contact_request" => format!("{who} wants to be your contact"),
        "follow" => format!("{who} follows you"),
        "like" => format!("{who} liked your {}", n.data.get("kind").and_then(Value::as_str).unwrap_or("post")),
        "comment" => format!("{who} commented{quoted}"),
        "reminder" => format!("Reminder{quoted}"),
        _ => format!("{who}{quoted}"),
    }
}

/// The digest loop: every `CAAS_DIGEST_EVERY_SECS`, users offline longer than
/// `CAAS_DIGEST_AFTER_SECS` with unread notifications not yet mailed get one
/// email listing them (to the `email` in their metadata, if they opted in).
pub async fn digests(state: Notifier, every: Duration, after: Duration) {
    let Some(mailer) = state.mailer.clone() else { return };
    let mut tick = tokio::time::interval(every.max(Duration::from_millis(100)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let before = caas_storage::now_ms() - after.as_millis() as i64;
        let due = match state.store.digest_due(before, 200).await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "cannot look for notification digests");
                continue;
            }
        };
        for d in due {
            if state.presence.status(d.app_id, &d.user_id).await != caas_signaling::presence::Status::Offline {
                continue;
            }
            send_digest(&state, &mailer, d).await;
        }
    }
}

async fn send_digest(state: &Notifier, mailer: &Mailer, d: caas_storage::DigestDue) {
    let scope = state.store.app(d.app_id);
    let Ok(list) = scope.unemailed_notifications(&d.user_id, 50).await else { return };
    let mut include = Vec::new();
    for n in &list {
        if scope.wants(&d.user_id, &n.category, "email").await.unwrap_or(true) {
            include.push(n);
        }
    }
    let address = d.metadata.get("email").and_then(Value::as_str).and_then(|e| e.parse::<lettre::Address>().ok());
    let ids: Vec<_> = list.iter().map(|n| n.id).collect();
    if let (Some(address), false) = (address, include.is_empty()) {
        let name = d.name.clone().unwrap_or_else(|| d.user_id.as_str().to_owned());
        let mut body = format!("Hello {name},\n\nWhile you were away:\n\n");
        for n in &include {
            body.push_str(&format!("- {} ({})\n", describe(n), crate::http::wire::rfc3339_ms(n.created_at)));
        }
        body.push_str("\nOpen the app to catch up.\n");
        let email = lettre::Message::builder()
            .from(mailer.from.clone())
            .to(lettre::message::Mailbox::new(d.name.clone(), address))
            .subject(format!("{} new notification{}", include.len(), if include.len() == 1 { "" } else { "s" }))
            .header(ContentType::TEXT_PLAIN)
            .body(body);
        let email = match email {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(app_id = %d.app_id, user_id = %d.user_id, error = %e, "cannot build a digest");
                return;
            }
        };
        if let Err(e) = mailer.transport.send(email).await {
            // Not marked: the next round tries again.
            tracing::warn!(app_id = %d.app_id, user_id = %d.user_id, error = %e, "digest email failed");
            return;
        }
        metrics::counter!("caas_notification_digests_total").increment(1);
    }
    // Mailed, or nothing to mail (no address, or email off): either way not again.
    if let Err(e) = scope.mark_emailed(&ids).await {
        tracing::warn!(app_id = %d.app_id, user_id = %d.user_id, error = %e, "cannot mark a digest sent");
    }
}

/// The reminder loop: every second, the node that takes the next window
/// notifies the organizer and attendees of event occurrences, and the
/// assignees of tasks, whose reminders fall in it.
pub async fn reminders(state: Notifier) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let window = match state.store.claim_job_window("reminders", caas_storage::now_ms()).await {
            Ok(Some(w)) => w,
            Ok(None) => continue,
            Err(e) => {
                tracing::warn!(error = %e, "cannot take a reminder window");
                continue;
            }
        };
        let due = match state.store.due_reminders(window.0, window.1).await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read due reminders");
                continue;
            }
        };
        for r in due {
            let data = json!({
                "kind": r.kind.as_str(),
                "object_id": r.object_id,
                "title": r.title,
                "text": r.title,
                "occurs_at": crate::http::wire::rfc3339_ms(r.occurs_at),
            });
            notify(&state, r.app_id, &r.user_id, "reminder", None, None, data).await;
        }
    }
}

/// The routes of this feature.
pub fn routes<S>() -> utoipa_axum::router::OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Notifier: axum::extract::FromRef<S>,
    crate::gate::Gate: axum::extract::FromRef<S>,
{
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(rest::list))
        .routes(routes!(rest::unread))
        .routes(routes!(rest::mark_read))
        .routes(routes!(rest::preferences, rest::set_preferences))
        .routes(routes!(rest::subscribe, rest::unsubscribe))
        .routes(routes!(rest::vapid_key))
        .routes(routes!(rest::create_webhook, rest::webhooks))
        .routes(routes!(rest::delete_webhook))
        .routes(routes!(rest::deliveries))
}
