//! Objects over REST — posts, stories and reels in the common envelope — with
//! likes, threaded comments, views, shares into chats, the feeds (home,
//! explore, stories) and close-friends lists; plus the admin (server-side)
//! reads for the client backend.

use axum::extract::{Path, Query, State};
use caas_storage::{
    Comment, CommentId, CommentPage, ConversationId, ExploreSort, FileId, NewObject, Object, ObjectFilter, ObjectId,
    ObjectKind, ObjectPage, StoryRing, UserId, Viewer, Visibility,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::gate::auth::{AdminAuth, EndUser};
use crate::http::error::{ApiError, ApiJson, ErrorBody};

crate::handle! {
    /// What feeds (posts, stories, reels) need.
    Feeds => FeedsParts
}

/// The parts of a [`Feeds`].
pub struct FeedsParts {
    /// The database.
    pub store: caas_storage::Store,
    /// Likes and comments notify; posts reach webhooks.
    pub notifier: crate::notify::Notifier,
    /// Objects are shared into conversations as messages.
    pub chat: crate::chat::Chat,
}

fn object_id(raw: &str) -> Result<ObjectId, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found("not_found", "object not found"))
}

fn limit_of(limit: Option<i64>) -> Result<i64, ApiError> {
    let limit = limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid("invalid_limit", "limit must be between 1 and 100"));
    }
    Ok(limit)
}

fn kinds_of(raw: Option<&str>, default: &[ObjectKind]) -> Result<Vec<ObjectKind>, ApiError> {
    match raw {
        None | Some("") => Ok(default.to_vec()),
        Some(list) => Ok(list.split(',').map(str::parse::<ObjectKind>).collect::<Result<Vec<_>, _>>()?),
    }
}

/// Input of `POST /v1/objects`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateObject {
    /// `post`, `story` or `reel`.
    pub kind: String,
    /// `private`, `conversation`, `followers`, `close_friends` or `public` (default `followers`).
    pub visibility: Option<String>,
    /// With visibility `conversation`: its members see it.
    #[schema(value_type = Option<String>)]
    pub conversation_id: Option<ConversationId>,
    /// Post text or reel caption (up to 5000 characters).
    pub text: Option<String>,
    /// Your uploaded files (`POST /v1/files`): images and videos.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub media: Vec<FileId>,
    /// Free-form JSON object.
    #[schema(value_type = Option<Object>)]
    pub custom: Option<Value>,
}

/// `{"object": …}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ObjectBody {
    /// The object in the common envelope.
    #[schema(value_type = Object)]
    pub object: Object,
}

/// Creates a post, story or reel. Followers get it in their home feed;
/// webhooks receive `post.created`.
#[utoipa::path(
    post, path = "/v1/objects", tag = "objects", security(("session_token" = [])), request_body = CreateObject,
    responses((status = 200, body = ObjectBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn create(
    State(state): State<Feeds>,
    user: EndUser,
    ApiJson(input): ApiJson<CreateObject>,
) -> Result<ApiJson<ObjectBody>, ApiError> {
    let new = NewObject {
        kind: input.kind.parse()?,
        visibility: input.visibility.as_deref().unwrap_or("followers").parse()?,
        conversation_id: input.conversation_id,
        text: input.text,
        media: input.media,
        custom: input.custom,
    };
    let object = state.store.app(user.app_id).create_object(&user.user_id, &new).await?;
    metrics::counter!("caas_objects_created_total", "kind" => object.kind.as_str()).increment(1);
    crate::notify::webhooks::emit(&state.notifier, user.app_id, "post.created", json!({"object": object}));
    Ok(ApiJson(ObjectBody { object }))
}

/// Query of `GET /v1/objects` and `GET /v1/admin/objects`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListObjects {
    /// `post`, `story` or `reel`.
    pub kind: Option<String>,
    /// Only this user's objects.
    #[param(value_type = Option<String>)]
    pub owner: Option<UserId>,
    /// Only objects of this conversation.
    #[param(value_type = Option<String>)]
    pub conversation: Option<ConversationId>,
    /// Only this visibility.
    pub visibility: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 100 (default 20).
    pub limit: Option<i64>,
}

impl ListObjects {
    fn filter(&self) -> Result<ObjectFilter, ApiError> {
        Ok(ObjectFilter {
            kind: self.kind.as_deref().map(str::parse).transpose()?,
            owner: self.owner.clone(),
            conversation: self.conversation,
            visibility: self.visibility.as_deref().map(str::parse::<Visibility>).transpose()?,
        })
    }
}

/// Objects the caller may see, newest first, by kind, owner (a profile),
/// conversation or visibility.
#[utoipa::path(
    get, path = "/v1/objects", tag = "objects", security(("session_token" = [])), params(ListObjects),
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn list(
    State(state): State<Feeds>,
    user: EndUser,
    Query(q): Query<ListObjects>,
) -> Result<ApiJson<ObjectPage>, ApiError> {
    let filter = q.filter()?;
    let page = state
        .store
        .app(user.app_id)
        .list_objects(Some(&user.user_id), &filter, q.cursor.as_deref(), limit_of(q.limit)?)
        .await?;
    Ok(ApiJson(page))
}

/// One object, if the caller may see it (404 otherwise).
#[utoipa::path(
    get, path = "/v1/objects/{id}", tag = "objects", security(("session_token" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ObjectBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn get(
    State(state): State<Feeds>,
    user: EndUser,
    Path(id): Path<String>,
) -> Result<ApiJson<ObjectBody>, ApiError> {
    let object = state.store.app(user.app_id).object_for(object_id(&id)?, &user.user_id).await?;
    Ok(ApiJson(ObjectBody { object }))
}

/// Deletes one of the caller's objects.
#[utoipa::path(
    delete, path = "/v1/objects/{id}", tag = "objects", security(("session_token" = [])), params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn delete(
    State(state): State<Feeds>,
    user: EndUser,
    Path(id): Path<String>,
) -> Result<ApiJson<Value>, ApiError> {
    state.store.app(user.app_id).delete_object(object_id(&id)?, &user.user_id).await?;
    Ok(ApiJson(json!({"deleted": true})))
}

async fn set_like(state: &Feeds, user: &EndUser, id: &str, like: bool) -> Result<ObjectBody, ApiError> {
    let (object, changed) = state.store.app(user.app_id).like_object(object_id(id)?, &user.user_id, like).await?;
    if like && changed {
        let data = json!({"object_id": object.id, "kind": object.kind});
        crate::notify::notify(&state.notifier, user.app_id, &object.owner_id, "like", Some(&user.user_id), None, data)
            .await;
    }
    Ok(ObjectBody { object })
}

/// Likes an object (idempotent); its owner is notified.
#[utoipa::path(
    put, path = "/v1/objects/{id}/like", tag = "objects", security(("session_token" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ObjectBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn like(
    State(state): State<Feeds>,
    user: EndUser,
    Path(id): Path<String>,
) -> Result<ApiJson<ObjectBody>, ApiError> {
    Ok(ApiJson(set_like(&state, &user, &id, true).await?))
}

/// Takes a like back.
#[utoipa::path(
    delete, path = "/v1/objects/{id}/like", tag = "objects", security(("session_token" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ObjectBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn unlike(
    State(state): State<Feeds>,
    user: EndUser,
    Path(id): Path<String>,
) -> Result<ApiJson<ObjectBody>, ApiError> {
    Ok(ApiJson(set_like(&state, &user, &id, false).await?))
}

/// Input of `POST /v1/objects/{id}/comments`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentInput {
    /// 1 to 2000 characters.
    pub text: String,
    /// Answer this comment (a thread).
    #[schema(value_type = Option<String>)]
    pub parent_id: Option<CommentId>,
}

/// `{"comment": …}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentBody {
    /// The comment.
    #[schema(value_type = Object)]
    pub comment: Comment,
}

/// Comments on an object (or answers a comment); the object's owner and the
/// parent comment's author are notified.
#[utoipa::path(
    post, path = "/v1/objects/{id}/comments", tag = "objects", security(("session_token" = [])),
    params(("id" = String, Path)), request_body = CommentInput,
    responses((status = 200, body = CommentBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn comment(
    State(state): State<Feeds>,
    user: EndUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CommentInput>,
) -> Result<ApiJson<CommentBody>, ApiError> {
    let scope = state.store.app(user.app_id);
    let (object, comment) = scope.add_comment(object_id(&id)?, &user.user_id, input.parent_id, &input.text).await?;
    let data = json!({"object_id": object.id, "kind": object.kind, "comment_id": comment.id, "text": comment.text});
    let mut told = vec![user.user_id.clone()];
    if let Some(parent) = input.parent_id
        && let Ok(author) = scope.comment_author(object.id, parent).await
        && !told.contains(&author)
    {
        crate::notify::notify(&state.notifier, user.app_id, &author, "reply", Some(&user.user_id), None, data.clone())
            .await;
        told.push(author);
    }
    if !told.contains(&object.owner_id) {
        crate::notify::notify(
            &state.notifier,
            user.app_id,
            &object.owner_id,
            "comment",
            Some(&user.user_id),
            None,
            data,
        )
        .await;
    }
    Ok(ApiJson(CommentBody { comment }))
}

/// Query of `GET /v1/objects/{id}/comments`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListComments {
    /// Replies to this comment (default: top-level comments).
    #[param(value_type = Option<String>)]
    pub parent: Option<CommentId>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 100 (default 20).
    pub limit: Option<i64>,
}

/// Comments of an object, oldest first (blocked users' hidden).
#[utoipa::path(
    get, path = "/v1/objects/{id}/comments", tag = "objects", security(("session_token" = [])),
    params(("id" = String, Path), ListComments),
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn comments(
    State(state): State<Feeds>,
    user: EndUser,
    Path(id): Path<String>,
    Query(q): Query<ListComments>,
) -> Result<ApiJson<CommentPage>, ApiError> {
    let page = state
        .store
        .app(user.app_id)
        .comments(object_id(&id)?, &user.user_id, q.parent, q.cursor.as_deref(), limit_of(q.limit)?)
        .await?;
    Ok(ApiJson(page))
}

/// Deletes a comment (its author or the object's owner); replies stay.
#[utoipa::path(
    delete, path = "/v1/objects/{id}/comments/{comment_id}", tag = "objects", security(("session_token" = [])),
    params(("id" = String, Path), ("comment_id" = String, Path)),
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn delete_comment(
    State(state): State<Feeds>,
    user: EndUser,
    Path((id, comment)): Path<(String, String)>,
) -> Result<ApiJson<Value>, ApiError> {
    let comment: CommentId = comment.parse().map_err(|_| ApiError::not_found("not_found", "comment not found"))?;
    state.store.app(user.app_id).delete_comment(object_id(&id)?, comment, &user.user_id).await?;
    Ok(ApiJson(json!({"deleted": true})))
}

/// Records that the caller saw a story or reel (counted once per user).
#[utoipa::path(
    post, path = "/v1/objects/{id}/views", tag = "objects", security(("session_token" = [])), params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn view(
    State(state): State<Feeds>,
    user: EndUser,
    Path(id): Path<String>,
) -> Result<ApiJson<Value>, ApiError> {
    let new = state.store.app(user.app_id).view_object(object_id(&id)?, &user.user_id).await?;
    Ok(ApiJson(json!({"counted": new})))
}

/// `{"viewers": […]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ViewersBody {
    /// Newest first.
    #[schema(value_type = Vec<Object>)]
    pub viewers: Vec<Viewer>,
}

/// Who viewed the caller's story or reel.
#[utoipa::path(
    get, path = "/v1/objects/{id}/views", tag = "objects", security(("session_token" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ViewersBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn viewers(
    State(state): State<Feeds>,
    user: EndUser,
    Path(id): Path<String>,
) -> Result<ApiJson<ViewersBody>, ApiError> {
    let viewers = state.store.app(user.app_id).object_viewers(object_id(&id)?, &user.user_id).await?;
    Ok(ApiJson(ViewersBody { viewers }))
}

/// Input of `POST /v1/objects/{id}/share`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareInput {
    /// Where to share it (you must be a member).
    #[schema(value_type = String)]
    pub conversation_id: ConversationId,
    /// A note with it.
    #[serde(default)]
    pub text: String,
}

/// Shares an object into a chat: a message whose `payload.object` is
/// `{kind, id, owner_id}`; the chat window renders it as a card. Members who
/// cannot see the object get 404 when they open it.
#[utoipa::path(
    post, path = "/v1/objects/{id}/share", tag = "objects", security(("session_token" = [])),
    params(("id" = String, Path)), request_body = ShareInput,
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn share(
    State(state): State<Feeds>,
    user: EndUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ShareInput>,
) -> Result<ApiJson<crate::chat::MessageBody>, ApiError> {
    let scope = state.store.app(user.app_id);
    let object = scope.object_for(object_id(&id)?, &user.user_id).await?;
    let send: crate::chat::SendMessage = serde_json::from_value(json!({
        "text": input.text,
        "payload": {"object": {"kind": object.kind, "id": object.id, "owner_id": object.owner_id}},
    }))
    .map_err(|e| ApiError::invalid("invalid_body", e.to_string()))?;
    let sent = crate::chat::send_message(&state.chat, &user, Some(input.conversation_id), send).await?;
    scope.count_share(object.id).await?;
    Ok(ApiJson(sent))
}

/// Query of the feeds.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FeedQuery {
    /// Comma-separated kinds (default `post,reel`).
    pub kinds: Option<String>,
    /// Explore only: `recent` (default) or `popular`.
    pub sort: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 100 (default 20).
    pub limit: Option<i64>,
}

/// The home feed: posts and reels of the people the caller follows, and
/// their own, newest first, as far as the caller may see them.
#[utoipa::path(
    get, path = "/v1/feed", tag = "objects", security(("session_token" = [])), params(FeedQuery),
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn home(
    State(state): State<Feeds>,
    user: EndUser,
    Query(q): Query<FeedQuery>,
) -> Result<ApiJson<ObjectPage>, ApiError> {
    let kinds = kinds_of(q.kinds.as_deref(), &[ObjectKind::Post, ObjectKind::Reel])?;
    let page =
        state.store.app(user.app_id).home_feed(&user.user_id, &kinds, q.cursor.as_deref(), limit_of(q.limit)?).await?;
    Ok(ApiJson(page))
}

/// Explore: public posts and reels of the app, newest or most liked first.
#[utoipa::path(
    get, path = "/v1/feed/explore", tag = "objects", security(("session_token" = [])), params(FeedQuery),
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn explore(
    State(state): State<Feeds>,
    user: EndUser,
    Query(q): Query<FeedQuery>,
) -> Result<ApiJson<ObjectPage>, ApiError> {
    let kinds = kinds_of(q.kinds.as_deref(), &[ObjectKind::Post, ObjectKind::Reel])?;
    let sort: ExploreSort = q.sort.as_deref().unwrap_or("recent").parse()?;
    let page = state
        .store
        .app(user.app_id)
        .explore(&user.user_id, &kinds, sort, q.cursor.as_deref(), limit_of(q.limit)?)
        .await?;
    Ok(ApiJson(page))
}

/// `{"rings": […]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoriesBody {
    /// One ring per user: the caller's first, then unseen before seen.
    #[schema(value_type = Vec<Object>)]
    pub rings: Vec<StoryRing>,
}

/// The stories strip: active stories of the people the caller follows.
#[utoipa::path(
    get, path = "/v1/feed/stories", tag = "objects", security(("session_token" = [])),
    responses((status = 200, body = StoriesBody), (status = 401, body = ErrorBody))
)]
pub async fn stories(State(state): State<Feeds>, user: EndUser) -> Result<ApiJson<StoriesBody>, ApiError> {
    let rings = state.store.app(user.app_id).story_rings(&user.user_id).await?;
    Ok(ApiJson(StoriesBody { rings }))
}

/// `{"user_ids": […]}`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseFriends {
    /// The list (up to 1000 users).
    #[schema(value_type = Vec<String>)]
    pub user_ids: Vec<UserId>,
}

/// The caller's close-friends list (audience of `close_friends` objects).
#[utoipa::path(
    get, path = "/v1/me/close-friends", tag = "objects", security(("session_token" = [])),
    responses((status = 200, body = CloseFriends), (status = 401, body = ErrorBody))
)]
pub async fn close_friends(State(state): State<Feeds>, user: EndUser) -> Result<ApiJson<CloseFriends>, ApiError> {
    let user_ids = state.store.app(user.app_id).close_friends(&user.user_id).await?;
    Ok(ApiJson(CloseFriends { user_ids }))
}

/// Replaces the caller's close-friends list.
#[utoipa::path(
    put, path = "/v1/me/close-friends", tag = "objects", security(("session_token" = [])), request_body = CloseFriends,
    responses((status = 200, body = CloseFriends), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn set_close_friends(
    State(state): State<Feeds>,
    user: EndUser,
    ApiJson(input): ApiJson<CloseFriends>,
) -> Result<ApiJson<CloseFriends>, ApiError> {
    let scope = state.store.app(user.app_id);
    scope.set_close_friends(&user.user_id, &input.user_ids).await?;
    Ok(ApiJson(CloseFriends { user_ids: scope.close_friends(&user.user_id).await? }))
}

/// Every object of the app, newest first, whoever may see it (server-side).
#[utoipa::path(
    get, path = "/v1/admin/objects", tag = "admin", security(("api_secret" = [])), params(ListObjects),
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn admin_list(
    State(state): State<Feeds>,
    auth: AdminAuth,
    Query(q): Query<ListObjects>,
) -> Result<ApiJson<ObjectPage>, ApiError> {
    let filter = q.filter()?;
    let page =
        state.store.app(auth.app.id).list_objects(None, &filter, q.cursor.as_deref(), limit_of(q.limit)?).await?;
    Ok(ApiJson(page))
}

/// One object of the app (server-side).
#[utoipa::path(
    get, path = "/v1/admin/objects/{id}", tag = "admin", security(("api_secret" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ObjectBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn admin_get(
    State(state): State<Feeds>,
    auth: AdminAuth,
    Path(id): Path<String>,
) -> Result<ApiJson<ObjectBody>, ApiError> {
    let object = state.store.app(auth.app.id).object_admin(object_id(&id)?).await?;
    Ok(ApiJson(ObjectBody { object }))
}

/// The routes of this feature.
pub fn routes<S>() -> utoipa_axum::router::OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Feeds: axum::extract::FromRef<S>,
    crate::gate::Gate: axum::extract::FromRef<S>,
{
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get, delete))
        .routes(routes!(like, unlike))
        .routes(routes!(comment, comments))
        .routes(routes!(delete_comment))
        .routes(routes!(view, viewers))
        .routes(routes!(share))
        .routes(routes!(home))
        .routes(routes!(explore))
        .routes(routes!(stories))
        .routes(routes!(close_friends, set_close_friends))
        .routes(routes!(admin_list))
        .routes(routes!(admin_get))
}
