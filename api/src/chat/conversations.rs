//! REST twins of the chat ops, for pages and backends that do not hold a socket.

use axum::extract::{Path, Query, State};
use caas_storage::ConversationId;

use crate::chat::Chat;
use crate::chat::{self, ConversationBody, CreateConversation, HistoryQuery, MessageBody, MessagesBody, SendMessage};
use crate::chat::{ListQuery, ReadBody, ReadInput, SettingsInput};
use crate::gate::auth::EndUser;
use crate::http::error::{ApiError, ApiJson, ErrorBody};

fn conversation_id(raw: &str) -> Result<ConversationId, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found("not_found", "conversation not found"))
}

/// Creates a conversation (a direct one that exists is returned as it is).
#[utoipa::path(
    post,
    path = "/v1/conversations",
    tag = "chat",
    security(("session_token" = [])),
    request_body = CreateConversation,
    responses(
        (status = 200, body = ConversationBody),
        (status = 401, body = ErrorBody),
        (status = 404, description = "A member is not a user of this app", body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<Chat>,
    user: EndUser,
    ApiJson(input): ApiJson<CreateConversation>,
) -> Result<ApiJson<ConversationBody>, ApiError> {
    Ok(ApiJson(chat::create_conversation(&state, &user, input).await?))
}

/// A conversation the caller belongs to.
#[utoipa::path(
    get,
    path = "/v1/conversations/{id}",
    tag = "chat",
    security(("session_token" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = ConversationBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn get(
    State(state): State<Chat>,
    user: EndUser,
    Path(id): Path<String>,
) -> Result<ApiJson<ConversationBody>, ApiError> {
    Ok(ApiJson(chat::get_conversation(&state, &user, conversation_id(&id)?).await?))
}

/// Sends a message; the reply comes after it is stored.
#[utoipa::path(
    post,
    path = "/v1/conversations/{id}/messages",
    tag = "chat",
    security(("session_token" = [])),
    params(("id" = String, Path)),
    request_body = SendMessage,
    responses(
        (status = 200, body = MessageBody),
        (status = 403, description = "Not a member (`forbidden`)", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "`message_too_long`, `empty_message`, …", body = ErrorBody),
    )
)]
pub async fn send(
    State(state): State<Chat>,
    user: EndUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SendMessage>,
) -> Result<ApiJson<MessageBody>, ApiError> {
    Ok(ApiJson(chat::send_message(&state, &user, Some(conversation_id(&id)?), input).await?))
}

/// Message history, oldest first, paging backward with `before_seq`.
#[utoipa::path(
    get,
    path = "/v1/conversations/{id}/messages",
    tag = "chat",
    security(("session_token" = [])),
    params(("id" = String, Path), HistoryQuery),
    responses((status = 200, body = MessagesBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn history(
    State(state): State<Chat>,
    user: EndUser,
    Path(id): Path<String>,
    Query(q): Query<HistoryQuery>,
) -> Result<ApiJson<MessagesBody>, ApiError> {
    Ok(ApiJson(chat::history(&state, &user, Some(conversation_id(&id)?), q).await?))
}

/// The caller's conversations (the chat list): most recent activity first, with
/// unread counts, last-message previews and a members summary.
#[utoipa::path(
    get,
    path = "/v1/conversations",
    tag = "chat",
    security(("session_token" = [])),
    params(ListQuery),
    responses((status = 200, description = "`{conversations: [...], next_cursor}`", body = Object), (status = 422, body = ErrorBody))
)]
pub async fn list(
    State(state): State<Chat>,
    user: EndUser,
    Query(q): Query<ListQuery>,
) -> Result<ApiJson<caas_storage::InboxPage>, ApiError> {
    Ok(ApiJson(chat::list(&state, &user, q).await?))
}

/// Marks messages up to `seq` read; the other members receive `receipt.read`.
#[utoipa::path(
    post,
    path = "/v1/conversations/{id}/read",
    tag = "chat",
    security(("session_token" = [])),
    params(("id" = String, Path)),
    request_body = ReadInput,
    responses((status = 200, body = ReadBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn read(
    State(state): State<Chat>,
    user: EndUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ReadInput>,
) -> Result<ApiJson<ReadBody>, ApiError> {
    Ok(ApiJson(chat::mark_read(&state, &user, Some(conversation_id(&id)?), input).await?))
}

/// Changes the caller's settings of a conversation (mute, archive, pin).
#[utoipa::path(
    patch,
    path = "/v1/conversations/{id}/settings",
    tag = "chat",
    security(("session_token" = [])),
    params(("id" = String, Path)),
    request_body = SettingsInput,
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn settings(
    State(state): State<Chat>,
    user: EndUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SettingsInput>,
) -> Result<ApiJson<serde_json::Value>, ApiError> {
    Ok(ApiJson(chat::update_settings(&state, &user, Some(conversation_id(&id)?), input).await?))
}

/// Changes a group's members: `{"action": "add", "user_ids": [...]}`,
/// `{"action": "remove" | "role" | "transfer", "user_id": ..., "role"?: ...}` or
/// `{"action": "leave"}`. Members receive `member.added`, `member.removed`, `member.updated`.
#[utoipa::path(
    post,
    path = "/v1/conversations/{id}/members",
    tag = "chat",
    security(("session_token" = [])),
    params(("id" = String, Path)),
    request_body = Object,
    responses((status = 200, body = ConversationBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn members(
    State(state): State<Chat>,
    user: EndUser,
    Path(id): Path<String>,
    ApiJson(mut body): ApiJson<serde_json::Value>,
) -> Result<ApiJson<ConversationBody>, ApiError> {
    let action = body.as_object_mut().and_then(|o| o.remove("action"));
    let op = match action.as_ref().and_then(|a| a.as_str()) {
        Some("add") => chat::MembersOp::Add,
        Some("remove") => chat::MembersOp::Remove,
        Some("role") => chat::MembersOp::Role,
        Some("leave") => chat::MembersOp::Leave,
        Some("transfer") => chat::MembersOp::Transfer,
        _ => return Err(ApiError::invalid("invalid_action", "action must be add, remove, role, leave or transfer")),
    };
    let input: chat::MembersInput =
        serde_json::from_value(body).map_err(|e| ApiError::invalid("invalid_body", e.to_string()))?;
    Ok(ApiJson(chat::change_members(&state, &user, Some(conversation_id(&id)?), op, input).await?))
}
