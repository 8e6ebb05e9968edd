//! Collaborative documents over REST: create, list, read (metadata and content
//! as JSON, or the binary state), roles, named versions, delete. Live editing
//! goes through `GET /v1/collab/{doc_id}` (y-websocket).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use caas_storage::{ConversationId, DocId, DocKind, DocMeta, DocPage, DocRole, DocVersion, NewDoc, UserId, VersionId};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::collab::Collaboration;
use crate::gate::auth::EndUser;
use crate::http::error::{ApiError, ApiJson, ErrorBody};

fn doc_id(raw: &str) -> Result<DocId, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found("not_found", "document not found"))
}

fn forbidden(message: &str) -> ApiError {
    ApiError::new(axum::http::StatusCode::FORBIDDEN, "forbidden", message)
}

/// Input of `POST /v1/docs`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDoc {
    /// `whiteboard` or `doc`.
    pub kind: String,
    /// 1–200 characters.
    pub title: String,
    /// Members of this conversation may edit it (you must be one).
    #[schema(value_type = Option<String>)]
    pub conversation_id: Option<ConversationId>,
    /// Initial roles: user id → `viewer`, `editor` or `owner`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub roles: std::collections::BTreeMap<String, String>,
}

/// `{"doc": …}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocBody {
    /// Metadata.
    #[schema(value_type = Object)]
    pub doc: DocMeta,
    /// Your role.
    #[schema(value_type = String)]
    pub role: DocRole,
    /// The content as JSON, by root name (on `GET /v1/docs/{id}` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub content: Option<Value>,
}

/// Creates a document owned by the caller.
#[utoipa::path(
    post, path = "/v1/docs", tag = "collab", security(("session_token" = [])), request_body = CreateDoc,
    responses((status = 200, body = DocBody), (status = 401, body = ErrorBody), (status = 404, description = "conversation not found", body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn create(
    State(state): State<Collaboration>,
    user: EndUser,
    ApiJson(input): ApiJson<CreateDoc>,
) -> Result<ApiJson<DocBody>, ApiError> {
    let kind: DocKind = input.kind.parse()?;
    let mut roles = Vec::new();
    for (u, r) in input.roles {
        let u: UserId =
            u.parse().map_err(|e: caas_storage::IdError| ApiError::invalid("invalid_user_id", e.to_string()))?;
        roles.push((u, r.parse::<DocRole>()?));
    }
    let new = NewDoc { kind, title: input.title, conversation_id: input.conversation_id, roles };
    let doc = state.store.app(user.app_id).create_doc(&user.user_id, &new).await?;
    Ok(ApiJson(DocBody { doc, role: DocRole::Owner, content: None }))
}

/// Query of `GET /v1/docs`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListDocs {
    /// `whiteboard` or `doc`.
    pub kind: Option<String>,
    /// Only documents of this conversation.
    #[param(value_type = Option<String>)]
    pub conversation: Option<ConversationId>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 100 (default 30).
    pub limit: Option<i64>,
}

/// The documents the caller may open, newest first.
#[utoipa::path(
    get, path = "/v1/docs", tag = "collab", security(("session_token" = [])), params(ListDocs),
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn list(
    State(state): State<Collaboration>,
    user: EndUser,
    Query(q): Query<ListDocs>,
) -> Result<ApiJson<DocPage>, ApiError> {
    let kind = q.kind.as_deref().map(str::parse::<DocKind>).transpose()?;
    let limit = q.limit.unwrap_or(30);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid("invalid_limit", "limit must be between 1 and 100"));
    }
    let page =
        state.store.app(user.app_id).list_docs(&user.user_id, kind, q.conversation, q.cursor.as_deref(), limit).await?;
    Ok(ApiJson(page))
}

/// A document's metadata and content (as JSON).
#[utoipa::path(
    get, path = "/v1/docs/{id}", tag = "collab", security(("session_token" = [])), params(("id" = String, Path)),
    responses((status = 200, body = DocBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn get(
    State(state): State<Collaboration>,
    user: EndUser,
    Path(id): Path<String>,
) -> Result<ApiJson<DocBody>, ApiError> {
    let id = doc_id(&id)?;
    let (doc, role) = state.store.app(user.app_id).doc_role(id, &user.user_id).await?;
    let snapshot = state.collab.snapshot(user.app_id, id).await?;
    let content = caas_collab::content::to_json(&snapshot).map_err(ApiError::internal)?;
    Ok(ApiJson(DocBody { doc, role, content: Some(content) }))
}

/// The document's state as one Yjs update (v1), for server-side consumers
/// (`Y.applyUpdate(doc, bytes)`).
#[utoipa::path(
    get, path = "/v1/docs/{id}/state", tag = "collab", security(("session_token" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "application/octet-stream"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn state_bytes(
    State(state): State<Collaboration>,
    user: EndUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = doc_id(&id)?;
    state.store.app(user.app_id).doc_role(id, &user.user_id).await?;
    let snapshot = state.collab.snapshot(user.app_id, id).await?;
    let mut res = Bytes::from(snapshot).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    Ok(res)
}

/// Deletes a document (owner only); open editors are disconnected.
#[utoipa::path(
    delete, path = "/v1/docs/{id}", tag = "collab", security(("session_token" = [])), params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn delete(
    State(state): State<Collaboration>,
    user: EndUser,
    Path(id): Path<String>,
) -> Result<ApiJson<Value>, ApiError> {
    let id = doc_id(&id)?;
    let scope = state.store.app(user.app_id);
    let (_, role) = scope.doc_role(id, &user.user_id).await?;
    if role != DocRole::Owner {
        return Err(forbidden("only an owner may delete a document"));
    }
    state.collab.shutdown(user.app_id, id, "document deleted").await;
    scope.delete_doc(id).await?;
    Ok(ApiJson(serde_json::json!({})))
}

/// Input of `PUT /v1/docs/{id}/roles/{user_id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleInput {
    /// `viewer`, `editor`, `owner`, or `null` to remove.
    pub role: Option<String>,
}

/// Sets or removes a user's role (owner only). Open connections of that user
/// take the new role at once; one who lost access is disconnected (4403).
#[utoipa::path(
    put, path = "/v1/docs/{id}/roles/{user_id}", tag = "collab", security(("session_token" = [])),
    params(("id" = String, Path), ("user_id" = String, Path)), request_body = RoleInput,
    responses((status = 200, body = DocBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn set_role(
    State(state): State<Collaboration>,
    user: EndUser,
    Path((id, target)): Path<(String, String)>,
    ApiJson(input): ApiJson<RoleInput>,
) -> Result<ApiJson<DocBody>, ApiError> {
    let id = doc_id(&id)?;
    let target: UserId =
        target.parse().map_err(|e: caas_storage::IdError| ApiError::invalid("invalid_user_id", e.to_string()))?;
    let scope = state.store.app(user.app_id);
    let (doc, role) = scope.doc_role(id, &user.user_id).await?;
    if role != DocRole::Owner {
        return Err(forbidden("only an owner may change roles"));
    }
    if target == doc.owner_id {
        return Err(ApiError::invalid("invalid_role", "the creator is always an owner"));
    }
    let new_role = input.role.as_deref().map(str::parse::<DocRole>).transpose()?;
    scope.set_doc_role(id, &target, new_role).await?;
    state.collab.roles_changed(user.app_id, id).await;
    let doc = scope.doc(id).await?;
    Ok(ApiJson(DocBody { doc, role, content: None }))
}

/// Input of `POST /v1/docs/{id}/versions`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionInput {
    /// 1–200 characters.
    pub name: String,
}

/// `{"version": …}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionBody {
    /// The version.
    #[schema(value_type = Object)]
    pub version: DocVersion,
}

/// Saves the current content as a named version (editors and owners).
#[utoipa::path(
    post, path = "/v1/docs/{id}/versions", tag = "collab", security(("session_token" = [])), params(("id" = String, Path)),
    request_body = VersionInput,
    responses((status = 200, body = VersionBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn create_version(
    State(state): State<Collaboration>,
    user: EndUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<VersionInput>,
) -> Result<ApiJson<VersionBody>, ApiError> {
    let id = doc_id(&id)?;
    let scope = state.store.app(user.app_id);
    let (_, role) = scope.doc_role(id, &user.user_id).await?;
    if role < DocRole::Editor {
        return Err(forbidden("viewers may not save versions"));
    }
    let snapshot = state.collab.snapshot(user.app_id, id).await?;
    let version = scope.create_doc_version(id, &input.name, &snapshot, &user.user_id).await?;
    Ok(ApiJson(VersionBody { version }))
}

/// `{"versions": […]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionsBody {
    /// Newest first.
    #[schema(value_type = Vec<Object>)]
    pub versions: Vec<DocVersion>,
}

/// The named versions of a document.
#[utoipa::path(
    get, path = "/v1/docs/{id}/versions", tag = "collab", security(("session_token" = [])), params(("id" = String, Path)),
    responses((status = 200, body = VersionsBody), (status = 404, body = ErrorBody))
)]
pub async fn versions(
    State(state): State<Collaboration>,
    user: EndUser,
    Path(id): Path<String>,
) -> Result<ApiJson<VersionsBody>, ApiError> {
    let id = doc_id(&id)?;
    let scope = state.store.app(user.app_id);
    scope.doc_role(id, &user.user_id).await?;
    Ok(ApiJson(VersionsBody { versions: scope.doc_versions(id).await? }))
}

/// Restores a version: its content is written anew as a change everyone sees
/// (editors and owners; rich-text roots are not restorable yet).
#[utoipa::path(
    post, path = "/v1/docs/{id}/versions/{version_id}/restore", tag = "collab", security(("session_token" = [])),
    params(("id" = String, Path), ("version_id" = String, Path)),
    responses((status = 200, body = DocBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn restore(
    State(state): State<Collaboration>,
    user: EndUser,
    Path((id, version)): Path<(String, String)>,
) -> Result<ApiJson<DocBody>, ApiError> {
    let id = doc_id(&id)?;
    let version: VersionId = version.parse().map_err(|_| ApiError::not_found("not_found", "version not found"))?;
    let scope = state.store.app(user.app_id);
    let (doc, role) = scope.doc_role(id, &user.user_id).await?;
    if role < DocRole::Editor {
        return Err(forbidden("viewers may not restore versions"));
    }
    let old = scope.doc_version_state(id, version).await?;
    let current = state.collab.snapshot(user.app_id, id).await?;
    let update = caas_collab::content::restore_update(&current, &old).map_err(ApiError::internal)?;
    state.collab.apply(user.app_id, id, update).await?;
    let snapshot = state.collab.snapshot(user.app_id, id).await?;
    let content = caas_collab::content::to_json(&snapshot).map_err(ApiError::internal)?;
    Ok(ApiJson(DocBody { doc, role, content: Some(content) }))
}
