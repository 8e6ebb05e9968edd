//! Admin routes for the client backend to act in chat on behalf of its users:
//! create conversations and post messages (including system notices).

use axum::extract::{Path, State};
use caas_storage::{ConversationId, UserId};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::chat::Chat;
use crate::chat::{self, ConversationBody, CreateConversation, MessageBody, SendMessage};
use crate::gate::auth::{AdminAuth, EndUser};
use crate::http::error::{ApiError, ApiJson, ErrorBody};

/// Body of `POST /v1/admin/conversations`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminCreateConversation {
    /// The user who creates it (owner of a group).
    #[schema(value_type = String)]
    pub created_by: UserId,
    /// As for `conversation.create`.
    #[serde(flatten)]
    pub conversation: CreateConversation,
}

/// Body of `POST /v1/admin/conversations/{id}/messages`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminSendMessage {
    /// The member the message is sent as.
    #[schema(value_type = String)]
    pub user_id: UserId,
    /// A system notice (rendered apart from chat): sets `payload.system = true`.
    #[serde(default)]
    pub system: bool,
    /// As for `message.send`.
    #[serde(flatten)]
    pub message: SendMessage,
}

/// Creates a conversation on behalf of a user.
#[utoipa::path(
    post, path = "/v1/admin/conversations", tag = "admin", security(("api_secret" = [])),
    request_body = AdminCreateConversation,
    responses((status = 200, body = ConversationBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn create_conversation(
    State(state): State<Chat>,
    auth: AdminAuth,
    ApiJson(body): ApiJson<AdminCreateConversation>,
) -> Result<ApiJson<ConversationBody>, ApiError> {
    let actor = EndUser::acting_for(auth.app.id, body.created_by);
    Ok(ApiJson(chat::create_conversation(&state, &actor, body.conversation).await?))
}

/// Posts a message on behalf of a member; `system: true` marks it as a system notice.
#[utoipa::path(
    post, path = "/v1/admin/conversations/{id}/messages", tag = "admin", security(("api_secret" = [])),
    params(("id" = String, Path)), request_body = AdminSendMessage,
    responses((status = 200, body = MessageBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn send_message(
    State(state): State<Chat>,
    auth: AdminAuth,
    Path(id): Path<String>,
    ApiJson(mut body): ApiJson<AdminSendMessage>,
) -> Result<ApiJson<MessageBody>, ApiError> {
    let conv: ConversationId = id.parse().map_err(|_| ApiError::not_found("not_found", "conversation not found"))?;
    if body.system {
        let mut payload = match body.message.payload.take() {
            Some(serde_json::Value::Object(map)) => map,
            Some(_) => return Err(ApiError::invalid("invalid_payload", "payload must be a JSON object")),
            None => serde_json::Map::new(),
        };
        payload.insert("system".into(), serde_json::Value::Bool(true));
        body.message.payload = Some(serde_json::Value::Object(payload));
    }
    let actor = EndUser::acting_for(auth.app.id, body.user_id);
    Ok(ApiJson(chat::send_message(&state, &actor, Some(conv), body.message).await?))
}
