//! Chat operations, shared by the WebSocket ops and their REST twins.

pub mod admin;
pub mod conversations;
pub mod messages;
pub mod ops;

use caas_storage::{ConversationId, ConversationKind, MessageChange, MessageId, NewConversation, NewMessage, UserId};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::gate::auth::EndUser;
use crate::http::error::ApiError;
use crate::live::publish;

crate::handle! {
    /// What chat needs.
    Chat => ChatParts
}

/// The parts of a [`Chat`].
pub struct ChatParts {
    /// The database.
    pub store: caas_storage::Store,
    /// The event bus: committed events go out live.
    pub bus: caas_signaling::bus::Bus,
    /// Messages are metered.
    pub meter: std::sync::Arc<crate::billing::meters::Meter>,
    /// Documents tied to a conversation recheck their editors when members change.
    pub collab: std::sync::Arc<crate::collab::Collab>,
    /// Notifications and webhooks of what happened.
    pub notifier: crate::notify::Notifier,
}

/// Longest message text, in characters.
pub const MAX_TEXT_CHARS: usize = 4000;
/// Largest custom payload of a message, serialized.
pub const MAX_PAYLOAD_BYTES: usize = 16 * 1024;
/// Most members of a group.
pub const MAX_GROUP_MEMBERS: usize = 1000;
/// Default and largest page of history.
pub const HISTORY_DEFAULT: i64 = 50;
/// Largest page of history.
pub const HISTORY_MAX: i64 = 200;

/// Input of `conversation.create` and `POST /v1/conversations`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateConversation {
    /// `direct` or `group`.
    #[schema(example = "group")]
    pub kind: String,
    /// The other members (exactly one for `direct`).
    #[schema(value_type = Vec<String>)]
    pub members: Vec<UserId>,
    /// Group name.
    pub name: Option<String>,
    /// Group picture.
    pub avatar_url: Option<String>,
    /// Group description.
    pub description: Option<String>,
    /// Free-form JSON object.
    #[schema(value_type = Option<Object>)]
    pub custom: Option<Value>,
}

/// Input of `message.send` (the conversation id comes from the path in REST).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendMessage {
    /// The conversation (WebSocket only).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub conversation_id: Option<ConversationId>,
    /// Text, at most 4000 characters.
    #[serde(default)]
    pub text: String,
    /// Idempotency key: resending with the same key returns the original message.
    pub client_msg_id: Option<String>,
    /// Custom JSON payload (at most 16 KiB).
    #[schema(value_type = Option<Object>)]
    pub payload: Option<Value>,
    /// The message this one quotes.
    #[schema(value_type = Option<String>)]
    pub reply_to: Option<MessageId>,
    /// Post in this message's thread.
    #[schema(value_type = Option<String>)]
    pub parent_id: Option<MessageId>,
    /// Users mentioned (members).
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub mentions: Vec<UserId>,
    /// Files to attach (uploaded with `POST /v1/files`), at most 10.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub attachments: Vec<caas_storage::FileId>,
}

/// Input of `conversation.history`.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// The conversation (WebSocket only).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    #[param(value_type = Option<String>)]
    pub conversation_id: Option<ConversationId>,
    /// Messages with a smaller seq (default: the newest).
    pub before_seq: Option<i64>,
    /// Messages with a larger seq (forward).
    pub after_seq: Option<i64>,
    /// Messages around this seq (it included).
    pub around_seq: Option<i64>,
    /// Only the replies of this thread.
    #[schema(value_type = Option<String>)]
    #[param(value_type = Option<String>)]
    pub parent_id: Option<MessageId>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<i64>,
}

/// Input of `conversation.get`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConversationRef {
    /// The conversation.
    pub conversation_id: ConversationId,
}

/// `{"conversation": …}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationBody {
    /// The conversation with its members.
    #[schema(value_type = Object)]
    pub conversation: caas_storage::Conversation,
}

/// `{"message": …}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageBody {
    /// The message.
    #[schema(value_type = Object)]
    pub message: caas_storage::Message,
}

/// `{"messages": […]}`, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessagesBody {
    /// The page, oldest first.
    #[schema(value_type = Vec<Object>)]
    pub messages: Vec<caas_storage::Message>,
}

fn missing_conversation() -> ApiError {
    ApiError::invalid("invalid_body", "`conversation_id` is required")
}

/// Creates a conversation (or returns the existing direct one).
pub async fn create_conversation(
    state: &Chat,
    user: &EndUser,
    input: CreateConversation,
) -> Result<ConversationBody, ApiError> {
    let kind = match input.kind.as_str() {
        "direct" => ConversationKind::Direct,
        "group" => ConversationKind::Group,
        other => {
            return Err(ApiError::invalid("invalid_kind", format!("kind must be `direct` or `group`, not `{other}`")));
        }
    };
    if input.name.as_ref().is_some_and(|n| n.chars().count() > 200) {
        return Err(ApiError::invalid("invalid_name", "name must be at most 200 characters"));
    }
    if input.custom.as_ref().is_some_and(|c| !c.is_object()) {
        return Err(ApiError::invalid("invalid_custom", "custom must be a JSON object"));
    }
    let new = NewConversation {
        kind,
        creator: user.user_id.clone(),
        members: input.members,
        name: input.name,
        avatar_url: input.avatar_url,
        description: input.description,
        custom: input.custom,
        max_members: MAX_GROUP_MEMBERS,
    };
    let scope = state.store.app(user.app_id);
    let (conversation, event) = scope.create_conversation(&new).await?;
    if let Some(event) = event {
        let recipients: Vec<UserId> = conversation.members.iter().map(|m| m.user_id.clone()).collect();
        publish(&state.bus, user.app_id, &event, &recipients).await;
        crate::notify::webhooks::on_event(&state.notifier, user.app_id, &event);
    }
    Ok(ConversationBody { conversation })
}

/// Sends a message; acknowledged only after it is stored.
pub async fn send_message(
    state: &Chat,
    user: &EndUser,
    conv: Option<ConversationId>,
    input: SendMessage,
) -> Result<MessageBody, ApiError> {
    let conv = conv.or(input.conversation_id).ok_or_else(missing_conversation)?;
    if input.text.chars().count() > MAX_TEXT_CHARS {
        return Err(ApiError::invalid("message_too_long", format!("text must be at most {MAX_TEXT_CHARS} characters")));
    }
    if input.attachments.len() > 10 {
        return Err(ApiError::invalid("too_many_attachments", "at most 10 attachments per message"));
    }
    if input.text.trim().is_empty() && input.payload.is_none() && input.attachments.is_empty() {
        return Err(ApiError::invalid("empty_message", "a message needs text or a payload"));
    }
    if input.payload.as_ref().is_some_and(|p| p.to_string().len() > MAX_PAYLOAD_BYTES) {
        return Err(ApiError::invalid(
            "payload_too_large",
            format!("payload must be at most {MAX_PAYLOAD_BYTES} bytes"),
        ));
    }
    if input.client_msg_id.as_ref().is_some_and(|c| c.is_empty() || c.len() > 128) {
        return Err(ApiError::invalid("invalid_client_msg_id", "client_msg_id must be 1 to 128 characters"));
    }
    let scope = state.store.app(user.app_id);
    let new = NewMessage {
        client_msg_id: input.client_msg_id,
        text: input.text,
        payload: input.payload,
        reply_to: input.reply_to,
        parent_id: input.parent_id,
        mentions: input.mentions,
        attachments: input.attachments,
    };
    let (message, event) = scope.send_message(conv, &user.user_id, &new).await?;
    if let Some((event, recipients)) = event {
        state.meter.message(user.app_id, conv, &user.user_id);
        publish(&state.bus, user.app_id, &event, &recipients).await;
        crate::notify::webhooks::on_event(&state.notifier, user.app_id, &event);
        tokio::spawn(crate::notify::on_message(
            state.notifier.clone(),
            user.app_id,
            message.clone(),
            recipients.to_vec(),
        ));
    }
    Ok(MessageBody { message })
}

/// A page of history, oldest first.
pub async fn history(
    state: &Chat,
    user: &EndUser,
    conv: Option<ConversationId>,
    q: HistoryQuery,
) -> Result<MessagesBody, ApiError> {
    let conv = conv.or(q.conversation_id).ok_or_else(missing_conversation)?;
    let limit = q.limit.unwrap_or(HISTORY_DEFAULT);
    if !(1..=HISTORY_MAX).contains(&limit) {
        return Err(ApiError::invalid("invalid_limit", format!("limit must be between 1 and {HISTORY_MAX}")));
    }
    let page = caas_storage::HistoryPage {
        before_seq: q.before_seq,
        after_seq: q.after_seq,
        around_seq: q.around_seq,
        parent_id: q.parent_id,
        limit,
    };
    let messages = state.store.app(user.app_id).history(conv, &user.user_id, &page).await?;
    Ok(MessagesBody { messages })
}

/// One conversation the caller is a member of.
pub async fn get_conversation(
    state: &Chat,
    user: &EndUser,
    conv: ConversationId,
) -> Result<ConversationBody, ApiError> {
    let conversation = state.store.app(user.app_id).conversation(conv, &user.user_id).await?;
    Ok(ConversationBody { conversation })
}

/// Input of `conversation.list` and `GET /v1/conversations`.
#[derive(Debug, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// `all` (default), `unread`, `direct`, `group`, `archived` or `pinned`.
    pub filter: Option<String>,
    /// Matches group names and other members' ids and names.
    pub q: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 30).
    pub limit: Option<i64>,
}

/// The caller's conversations, most recent activity first.
pub async fn list(state: &Chat, user: &EndUser, q: ListQuery) -> Result<caas_storage::InboxPage, ApiError> {
    let filter: caas_storage::InboxFilter = q.filter.as_deref().unwrap_or("all").parse()?;
    let limit = q.limit.unwrap_or(30);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid("invalid_limit", "limit must be between 1 and 100"));
    }
    let page =
        state.store.app(user.app_id).inbox(&user.user_id, filter, q.q.as_deref(), q.cursor.as_deref(), limit).await?;
    Ok(page)
}

/// Input of `message.read`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadInput {
    /// The conversation (WebSocket only).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub conversation_id: Option<ConversationId>,
    /// Everything up to this seq has been read.
    pub seq: i64,
}

/// `{"conversation_id": …, "last_read_seq": …}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadBody {
    /// The conversation.
    #[schema(value_type = String)]
    pub conversation_id: ConversationId,
    /// The caller's read position now.
    pub last_read_seq: i64,
}

/// Marks messages read; the other members receive `receipt.read`.
pub async fn mark_read(
    state: &Chat,
    user: &EndUser,
    conv: Option<ConversationId>,
    input: ReadInput,
) -> Result<ReadBody, ApiError> {
    let conv = conv.or(input.conversation_id).ok_or_else(missing_conversation)?;
    let scope = state.store.app(user.app_id);
    let (last_read_seq, event) = scope.mark_read(conv, &user.user_id, input.seq).await?;
    if let Some(event) = event {
        let recipients = scope.recipients(conv).await?;
        publish(&state.bus, user.app_id, &event, &recipients).await;
        crate::notify::webhooks::on_event(&state.notifier, user.app_id, &event);
    }
    Ok(ReadBody { conversation_id: conv, last_read_seq })
}

/// Input of `conversation.settings`: absent fields are kept.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsInput {
    /// The conversation (WebSocket only).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub conversation_id: Option<ConversationId>,
    /// Mute until this RFC 3339 time; `null` unmutes.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub muted_until: Option<Option<String>>,
    /// Archive or unarchive.
    pub archived: Option<bool>,
    /// Pin or unpin.
    pub pinned: Option<bool>,
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Changes the caller's settings of a conversation.
pub async fn update_settings(
    state: &Chat,
    user: &EndUser,
    conv: Option<ConversationId>,
    input: SettingsInput,
) -> Result<Value, ApiError> {
    let conv = conv.or(input.conversation_id).ok_or_else(missing_conversation)?;
    let muted_until = match input.muted_until {
        None => None,
        Some(None) => Some(None),
        Some(Some(t)) => {
            let at = time::OffsetDateTime::parse(&t, &time::format_description::well_known::Rfc3339)
                .map_err(|_| ApiError::invalid("invalid_time", "muted_until must be an RFC 3339 time"))?;
            Some(Some((at.unix_timestamp_nanos() / 1_000_000) as i64))
        }
    };
    let settings = caas_storage::ConversationSettings { muted_until, archived: input.archived, pinned: input.pinned };
    let event = state.store.app(user.app_id).update_settings_of(conv, &user.user_id, &settings).await?;
    publish(&state.bus, user.app_id, &event, std::slice::from_ref(&user.user_id)).await;
    Ok(event.data)
}

/// Input of the ops that change a message.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeInput {
    /// The message (WebSocket only).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub message_id: Option<MessageId>,
    /// New text (`message.edit`).
    pub text: Option<String>,
    /// Reaction kind, e.g. `like` or an emoji, 1-32 characters (`reaction.add`, `reaction.remove`).
    pub kind: Option<String>,
    /// Pin or unpin (`message.pin`).
    pub pinned: Option<bool>,
}

/// Which change an op or route makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeOp {
    /// `message.edit`.
    Edit,
    /// `message.delete`.
    Delete,
    /// `reaction.add`.
    React,
    /// `reaction.remove`.
    Unreact,
    /// `message.pin`.
    Pin,
}

/// Edits, deletes, reacts to or pins a message; members receive the matching event.
pub async fn change_message(
    state: &Chat,
    user: &EndUser,
    id: Option<MessageId>,
    op: ChangeOp,
    input: ChangeInput,
) -> Result<MessageBody, ApiError> {
    let id = id.or(input.message_id).ok_or_else(|| ApiError::invalid("invalid_body", "`message_id` is required"))?;
    let kind = || -> Result<String, ApiError> {
        let k = input.kind.clone().unwrap_or_default();
        if k.is_empty() || k.chars().count() > 32 || k.chars().any(char::is_whitespace) {
            return Err(ApiError::invalid("invalid_reaction", "kind must be 1 to 32 characters without spaces"));
        }
        Ok(k)
    };
    let change = match op {
        ChangeOp::Edit => {
            let text = input.text.clone().unwrap_or_default();
            if text.chars().count() > MAX_TEXT_CHARS {
                return Err(ApiError::invalid(
                    "message_too_long",
                    format!("text must be at most {MAX_TEXT_CHARS} characters"),
                ));
            }
            if text.trim().is_empty() {
                return Err(ApiError::invalid("empty_message", "an edit needs text; delete the message instead"));
            }
            MessageChange::Edit(text)
        }
        ChangeOp::Delete => MessageChange::Delete,
        ChangeOp::React => MessageChange::React(kind()?),
        ChangeOp::Unreact => MessageChange::Unreact(kind()?),
        ChangeOp::Pin => MessageChange::Pin(input.pinned.unwrap_or(true)),
    };
    let scope = state.store.app(user.app_id);
    let (message, event) = scope.change_message(id, &user.user_id, &change).await?;
    if let Some(event) = event {
        let recipients = scope.recipients(message.conversation_id).await?;
        publish(&state.bus, user.app_id, &event, &recipients).await;
        crate::notify::webhooks::on_event(&state.notifier, user.app_id, &event);
    }
    Ok(MessageBody { message })
}

/// Input of the membership ops of a group.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MembersInput {
    /// The group (WebSocket only).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub conversation_id: Option<ConversationId>,
    /// Users to add (`member.add`).
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub user_ids: Vec<UserId>,
    /// The member concerned (`member.remove`, `member.role`, `conversation.transfer`).
    #[schema(value_type = Option<String>)]
    pub user_id: Option<UserId>,
    /// `admin` or `member` (`member.role`).
    pub role: Option<String>,
}

/// Which membership change an op makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MembersOp {
    /// `member.add`.
    Add,
    /// `member.remove`.
    Remove,
    /// `conversation.leave`.
    Leave,
    /// `member.role`.
    Role,
    /// `conversation.transfer`.
    Transfer,
}

/// Adds, removes or re-roles members of a group, or leaves it.
pub async fn change_members(
    state: &Chat,
    user: &EndUser,
    conv: Option<ConversationId>,
    op: MembersOp,
    input: MembersInput,
) -> Result<ConversationBody, ApiError> {
    let conv = conv.or(input.conversation_id).ok_or_else(missing_conversation)?;
    let target = || input.user_id.clone().ok_or_else(|| ApiError::invalid("invalid_body", "`user_id` is required"));
    let change = match op {
        MembersOp::Add => {
            if input.user_ids.is_empty() {
                return Err(ApiError::invalid("invalid_body", "`user_ids` must name at least one user"));
            }
            caas_storage::MemberChange::Add(input.user_ids.clone())
        }
        MembersOp::Remove => caas_storage::MemberChange::Remove(target()?),
        MembersOp::Leave => caas_storage::MemberChange::Leave,
        MembersOp::Transfer => caas_storage::MemberChange::Transfer(target()?),
        MembersOp::Role => {
            let role = match input.role.as_deref() {
                Some("admin") => caas_storage::Role::Admin,
                Some("member") => caas_storage::Role::Member,
                _ => return Err(ApiError::invalid("invalid_role", "role must be `admin` or `member`")),
            };
            caas_storage::MemberChange::SetRole(target()?, role)
        }
    };
    let (conversation, events) =
        state.store.app(user.app_id).change_members(conv, &user.user_id, &change, MAX_GROUP_MEMBERS).await?;
    for (event, recipients) in events {
        publish(&state.bus, user.app_id, &event, &recipients).await;
        crate::notify::webhooks::on_event(&state.notifier, user.app_id, &event);
    }
    if matches!(change, caas_storage::MemberChange::Remove(_) | caas_storage::MemberChange::Leave) {
        // Documents tied to the conversation lose that member as an editor.
        state.collab.memberships_changed(user.app_id).await;
    }
    Ok(ConversationBody { conversation })
}

/// Input of `message.search` and `GET /v1/messages/search`.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchMessages {
    /// Words that must all appear (1-200 characters).
    pub q: String,
    /// Only this conversation.
    #[schema(value_type = Option<String>)]
    #[param(value_type = Option<String>)]
    pub conversation_id: Option<ConversationId>,
    /// At most this many (1-100, default 20).
    pub limit: Option<i64>,
}

/// Full-text search in the caller's conversations, newest first.
pub async fn search(state: &Chat, user: &EndUser, q: SearchMessages) -> Result<MessagesBody, ApiError> {
    let limit = q.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid("invalid_limit", "limit must be between 1 and 100"));
    }
    let query = q.q.trim();
    if query.is_empty() || query.chars().count() > 200 {
        return Err(ApiError::invalid("invalid_query", "q must be 1 to 200 characters"));
    }
    if query.chars().any(char::is_control) {
        return Err(ApiError::invalid("invalid_query", "q must not contain control characters"));
    }
    let messages = state.store.app(user.app_id).search_messages(&user.user_id, query, q.conversation_id, limit).await?;
    Ok(MessagesBody { messages })
}

/// The routes of this feature.
pub fn routes<S>() -> utoipa_axum::router::OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Chat: axum::extract::FromRef<S>,
    crate::gate::Gate: axum::extract::FromRef<S>,
{
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(admin::create_conversation))
        .routes(routes!(admin::send_message))
        .routes(routes!(conversations::create, conversations::list))
        .routes(routes!(conversations::read))
        .routes(routes!(conversations::settings))
        .routes(routes!(conversations::members))
        .routes(routes!(messages::edit, messages::delete))
        .routes(routes!(messages::react))
        .routes(routes!(messages::unreact))
        .routes(routes!(messages::pin))
        .routes(routes!(messages::search))
        .routes(routes!(conversations::get))
        .routes(routes!(conversations::send, conversations::history))
}
