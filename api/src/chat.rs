//! Chat operations, shared by the WebSocket ops and their REST twins.

use caas_storage::{ConversationId, ConversationKind, NewConversation, NewMessage, UserId};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::auth::EndUser;
use crate::error::ApiError;
use crate::live::publish;
use crate::state::AppState;

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
    state: &AppState,
    user: &EndUser,
    input: CreateConversation,
) -> Result<ConversationBody, ApiError> {
    let kind = match input.kind.as_str() {
        "direct" => ConversationKind::Direct,
        "group" => ConversationKind::Group,
        other => {
            return Err(ApiError::invalid(
                "invalid_kind",
                format!("kind must be `direct` or `group`, not `{other}`"),
            ));
        }
    };
    if input.name.as_ref().is_some_and(|n| n.chars().count() > 200) {
        return Err(ApiError::invalid(
            "invalid_name",
            "name must be at most 200 characters",
        ));
    }
    if input.custom.as_ref().is_some_and(|c| !c.is_object()) {
        return Err(ApiError::invalid(
            "invalid_custom",
            "custom must be a JSON object",
        ));
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
        let recipients: Vec<UserId> = conversation
            .members
            .iter()
            .map(|m| m.user_id.clone())
            .collect();
        publish(&state.bus, user.app_id, &event, &recipients).await;
    }
    Ok(ConversationBody { conversation })
}

/// Sends a message; acknowledged only after it is stored.
pub async fn send_message(
    state: &AppState,
    user: &EndUser,
    conv: Option<ConversationId>,
    input: SendMessage,
) -> Result<MessageBody, ApiError> {
    let conv = conv
        .or(input.conversation_id)
        .ok_or_else(missing_conversation)?;
    if input.text.chars().count() > MAX_TEXT_CHARS {
        return Err(ApiError::invalid(
            "message_too_long",
            format!("text must be at most {MAX_TEXT_CHARS} characters"),
        ));
    }
    if input.text.trim().is_empty() && input.payload.is_none() {
        return Err(ApiError::invalid(
            "empty_message",
            "a message needs text or a payload",
        ));
    }
    if input
        .payload
        .as_ref()
        .is_some_and(|p| p.to_string().len() > MAX_PAYLOAD_BYTES)
    {
        return Err(ApiError::invalid(
            "payload_too_large",
            format!("payload must be at most {MAX_PAYLOAD_BYTES} bytes"),
        ));
    }
    if input
        .client_msg_id
        .as_ref()
        .is_some_and(|c| c.is_empty() || c.len() > 128)
    {
        return Err(ApiError::invalid(
            "invalid_client_msg_id",
            "client_msg_id must be 1 to 128 characters",
        ));
    }
    let scope = state.store.app(user.app_id);
    let new = NewMessage {
        client_msg_id: input.client_msg_id,
        text: input.text,
        payload: input.payload,
    };
    let (message, event) = scope.send_message(conv, &user.user_id, &new).await?;
    if let Some(event) = event {
        let recipients = scope.member_ids(conv).await?;
        publish(&state.bus, user.app_id, &event, &recipients).await;
    }
    Ok(MessageBody { message })
}

/// A page of history, oldest first.
pub async fn history(
    state: &AppState,
    user: &EndUser,
    conv: Option<ConversationId>,
    q: HistoryQuery,
) -> Result<MessagesBody, ApiError> {
    let conv = conv
        .or(q.conversation_id)
        .ok_or_else(missing_conversation)?;
    let limit = q.limit.unwrap_or(HISTORY_DEFAULT);
    if !(1..=HISTORY_MAX).contains(&limit) {
        return Err(ApiError::invalid(
            "invalid_limit",
            format!("limit must be between 1 and {HISTORY_MAX}"),
        ));
    }
    let messages = state
        .store
        .app(user.app_id)
        .history(conv, &user.user_id, q.before_seq, limit)
        .await?;
    Ok(MessagesBody { messages })
}

/// One conversation the caller is a member of.
pub async fn get_conversation(
    state: &AppState,
    user: &EndUser,
    conv: ConversationId,
) -> Result<ConversationBody, ApiError> {
    let conversation = state
        .store
        .app(user.app_id)
        .conversation(conv, &user.user_id)
        .await?;
    Ok(ConversationBody { conversation })
}
