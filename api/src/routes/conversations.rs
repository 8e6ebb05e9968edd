//! REST twins of the chat ops, for pages and backends that do not hold a socket.

use axum::extract::{Path, Query, State};
use caas_storage::ConversationId;

use crate::auth::EndUser;
use crate::chat::{
    self, ConversationBody, CreateConversation, HistoryQuery, MessageBody, MessagesBody,
    SendMessage,
};
use crate::error::{ApiError, ApiJson, ErrorBody};
use crate::state::AppState;

fn conversation_id(raw: &str) -> Result<ConversationId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::not_found("not_found", "conversation not found"))
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
    State(state): State<AppState>,
    user: EndUser,
    ApiJson(input): ApiJson<CreateConversation>,
) -> Result<ApiJson<ConversationBody>, ApiError> {
    Ok(ApiJson(
        chat::create_conversation(&state, &user, input).await?,
    ))
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
    State(state): State<AppState>,
    user: EndUser,
    Path(id): Path<String>,
) -> Result<ApiJson<ConversationBody>, ApiError> {
    Ok(ApiJson(
        chat::get_conversation(&state, &user, conversation_id(&id)?).await?,
    ))
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
    State(state): State<AppState>,
    user: EndUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SendMessage>,
) -> Result<ApiJson<MessageBody>, ApiError> {
    Ok(ApiJson(
        chat::send_message(&state, &user, Some(conversation_id(&id)?), input).await?,
    ))
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
    State(state): State<AppState>,
    user: EndUser,
    Path(id): Path<String>,
    Query(q): Query<HistoryQuery>,
) -> Result<ApiJson<MessagesBody>, ApiError> {
    Ok(ApiJson(
        chat::history(&state, &user, Some(conversation_id(&id)?), q).await?,
    ))
}
