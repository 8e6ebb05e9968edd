//! Tasks over REST: create (also from a message), list with filters, a
//! conversation's board, read, change, delete, comments, the activity log; and
//! for the client backend, the app's status list.
//!
//! A task is an object: the envelope (`id`, `kind: "task"`, `owner_id` — the
//! creator —, `visibility`, `conversation_id`, `created_at`, `updated_at`)
//! around its `payload`.

use axum::extract::{Path, Query, State};
use caas_storage::{ConversationId, MessageId, NewTask, Priority, Task, TaskFilter, TaskId, TaskPatch};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::gate::auth::{AdminAuth, EndUser};
use crate::http::error::{ApiError, ApiJson, ErrorBody};
use crate::http::input::{instant_ms, limit, present, user_id, user_ids};
use crate::http::wire::rfc3339_ms;

crate::handle! {
    /// What tasks need.
    Tasks => TasksParts
}

/// The parts of a [`Tasks`].
pub struct TasksParts {
    /// The database.
    pub store: caas_storage::Store,
    /// Task changes reach webhooks.
    pub notifier: crate::notify::Notifier,
}

fn task_id(raw: &str) -> Result<TaskId, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found("not_found", "task not found"))
}

fn due(raw: &str) -> Result<i64, ApiError> {
    instant_ms(raw, "invalid_due", "due_at")
}

/// Input of `POST /v1/tasks`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTask {
    /// 1–200 characters; from a message, defaults to its first line.
    pub title: Option<String>,
    /// Up to 8000 characters.
    pub description: Option<String>,
    /// One of the app's statuses (default: the first, `todo`).
    pub status: Option<String>,
    /// `low`, `normal` (default), `high` or `urgent`.
    pub priority: Option<String>,
    /// RFC 3339 (or a date).
    pub due_at: Option<String>,
    /// User ids (users of the app, at most 50).
    #[serde(default)]
    pub assignees: Vec<String>,
    /// The conversation (you must be a member); its members see the task.
    #[schema(value_type = Option<String>)]
    pub conversation_id: Option<ConversationId>,
    /// A message of that conversation the task is made from.
    #[schema(value_type = Option<String>)]
    pub message_id: Option<MessageId>,
}

/// Input of `PATCH /v1/tasks/{id}`: absent fields are kept, `null` clears.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchTask {
    /// New title.
    pub title: Option<String>,
    /// New description (`null` clears).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    /// New status (the task goes to the end of that column unless `position` is given).
    pub status: Option<String>,
    /// New priority.
    pub priority: Option<String>,
    /// New due time (`null` clears).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub due_at: Option<Option<String>>,
    /// New assignee list.
    pub assignees: Option<Vec<String>>,
    /// New position in its column (any number; e.g. between two neighbours).
    pub position: Option<f64>,
}

/// What a task holds.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskPayload {
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Status.
    pub status: String,
    /// `low`, `normal`, `high` or `urgent`.
    pub priority: &'static str,
    /// RFC 3339 UTC.
    pub due_at: Option<String>,
    /// Order in its board column (ascending).
    pub position: f64,
    /// Assignee user ids.
    pub assignees: Vec<String>,
    /// The message it was made from.
    pub message_id: Option<String>,
}

/// A task as an object.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskObject {
    /// Id.
    pub id: String,
    /// Always `task`.
    pub kind: &'static str,
    /// The creator.
    pub owner_id: String,
    /// `private` (creator and assignees) or `conversation` (also its members).
    pub visibility: &'static str,
    /// The conversation.
    pub conversation_id: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
    /// The task's fields.
    pub payload: TaskPayload,
}

impl From<&Task> for TaskObject {
    fn from(t: &Task) -> Self {
        TaskObject {
            id: t.id.to_string(),
            kind: "task",
            owner_id: t.creator_id.to_string(),
            visibility: if t.conversation_id.is_some() { "conversation" } else { "private" },
            conversation_id: t.conversation_id.map(|c| c.to_string()),
            created_at: rfc3339_ms(t.created_at),
            updated_at: rfc3339_ms(t.updated_at),
            payload: TaskPayload {
                title: t.title.clone(),
                description: t.description.clone(),
                status: t.status.clone(),
                priority: t.priority.as_str(),
                due_at: t.due_at.map(rfc3339_ms),
                position: t.position,
                assignees: t.assignees.iter().map(ToString::to_string).collect(),
                message_id: t.message_id.map(|m| m.to_string()),
            },
        }
    }
}

/// `{"task": …}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskBody {
    /// The task.
    pub task: TaskObject,
}

fn body(t: &Task) -> ApiJson<TaskBody> {
    ApiJson(TaskBody { task: t.into() })
}

/// Creates a task; with `message_id` (and its `conversation_id`) from a message.
#[utoipa::path(
    post, path = "/v1/tasks", tag = "tasks", security(("session_token" = [])), request_body = CreateTask,
    responses((status = 200, body = TaskBody), (status = 401, body = ErrorBody),
        (status = 404, description = "conversation or message not found", body = ErrorBody),
        (status = 422, description = "`invalid_title`, `invalid_status`, `invalid_priority`, `invalid_due`, `unknown_user`, `conversation_required`, `invalid_body`…", body = ErrorBody))
)]
pub async fn create(
    State(state): State<Tasks>,
    user: EndUser,
    ApiJson(input): ApiJson<CreateTask>,
) -> Result<ApiJson<TaskBody>, ApiError> {
    let new = NewTask {
        title: input.title,
        description: input.description,
        status: input.status,
        priority: input.priority.as_deref().map(str::parse::<Priority>).transpose()?,
        due_at: input.due_at.as_deref().map(due).transpose()?,
        assignees: user_ids(&input.assignees)?,
        conversation_id: input.conversation_id,
        message_id: input.message_id,
    };
    let task = state.store.app(user.app_id).create_task(&user.user_id, &new).await?;
    Ok(body(&task))
}

/// Query of `GET /v1/tasks`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListTasks {
    /// Only tasks of this conversation.
    #[param(value_type = Option<String>)]
    pub conversation: Option<ConversationId>,
    /// Only tasks assigned to this user.
    pub assignee: Option<String>,
    /// Only tasks with this status.
    pub status: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 100 (default 30).
    pub limit: Option<i64>,
}

/// `{"tasks": […], "next_cursor": …}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TasksBody {
    /// Newest first.
    pub tasks: Vec<TaskObject>,
    /// Cursor of the next page.
    pub next_cursor: Option<String>,
}

/// Tasks the caller may see, newest first, filtered.
#[utoipa::path(
    get, path = "/v1/tasks", tag = "tasks", security(("session_token" = [])), params(ListTasks),
    responses((status = 200, body = TasksBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn list(
    State(state): State<Tasks>,
    user: EndUser,
    Query(q): Query<ListTasks>,
) -> Result<ApiJson<TasksBody>, ApiError> {
    let limit = limit(q.limit, 30, 100)?;
    let filter = TaskFilter {
        conversation: q.conversation,
        assignee: q.assignee.as_deref().map(user_id).transpose()?,
        status: q.status,
    };
    let page = state.store.app(user.app_id).list_tasks(&user.user_id, &filter, q.cursor.as_deref(), limit).await?;
    Ok(ApiJson(TasksBody { tasks: page.items.iter().map(Into::into).collect(), next_cursor: page.next_cursor }))
}

/// Query of `GET /v1/tasks/board`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct BoardQuery {
    /// The conversation (you must be a member).
    #[param(value_type = String)]
    pub conversation: ConversationId,
}

/// A board column.
#[derive(Debug, Serialize, ToSchema)]
pub struct ColumnBody {
    /// The status.
    pub status: String,
    /// Its tasks, by position.
    pub tasks: Vec<TaskObject>,
}

/// `{"conversation_id", "columns": […], "truncated"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct BoardBody {
    /// The conversation.
    pub conversation_id: String,
    /// The app's statuses in order, then any other status tasks still carry.
    pub columns: Vec<ColumnBody>,
    /// Whether the board has more than the 1000 tasks shown.
    pub truncated: bool,
}

/// A conversation's task board: one column per status, tasks by position.
#[utoipa::path(
    get, path = "/v1/tasks/board", tag = "tasks", security(("session_token" = [])), params(BoardQuery),
    responses((status = 200, body = BoardBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn board(
    State(state): State<Tasks>,
    user: EndUser,
    Query(q): Query<BoardQuery>,
) -> Result<ApiJson<BoardBody>, ApiError> {
    let board = state.store.app(user.app_id).task_board(&user.user_id, q.conversation).await?;
    let columns = board
        .columns
        .into_iter()
        .map(|(status, tasks)| ColumnBody { status, tasks: tasks.iter().map(Into::into).collect() })
        .collect();
    Ok(ApiJson(BoardBody { conversation_id: q.conversation.to_string(), columns, truncated: board.truncated }))
}

/// A task the caller may see.
#[utoipa::path(
    get, path = "/v1/tasks/{id}", tag = "tasks", security(("session_token" = [])), params(("id" = String, Path)),
    responses((status = 200, body = TaskBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn get(
    State(state): State<Tasks>,
    user: EndUser,
    Path(id): Path<String>,
) -> Result<ApiJson<TaskBody>, ApiError> {
    let task = state.store.app(user.app_id).task_for(task_id(&id)?, &user.user_id).await?;
    Ok(body(&task))
}

/// Changes a task (anyone who sees it); each changed field goes to the activity log.
#[utoipa::path(
    patch, path = "/v1/tasks/{id}", tag = "tasks", security(("session_token" = [])), params(("id" = String, Path)),
    request_body = PatchTask,
    responses((status = 200, body = TaskBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn patch(
    State(state): State<Tasks>,
    user: EndUser,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<PatchTask>,
) -> Result<ApiJson<TaskBody>, ApiError> {
    let change = TaskPatch {
        title: p.title,
        description: p.description,
        status: p.status,
        priority: p.priority.as_deref().map(str::parse::<Priority>).transpose()?,
        due_at: p.due_at.map(|d| d.as_deref().map(due).transpose()).transpose()?,
        assignees: p.assignees.as_deref().map(user_ids).transpose()?,
        position: p.position,
    };
    let task = state.store.app(user.app_id).update_task(task_id(&id)?, &user.user_id, &change).await?;
    let answer = body(&task);
    crate::notify::webhooks::emit(
        &state.notifier,
        user.app_id,
        "task.updated",
        serde_json::to_value(&answer.0).unwrap_or_default(),
    );
    Ok(answer)
}

/// Deletes a task (its creator only).
#[utoipa::path(
    delete, path = "/v1/tasks/{id}", tag = "tasks", security(("session_token" = [])), params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn delete(
    State(state): State<Tasks>,
    user: EndUser,
    Path(id): Path<String>,
) -> Result<ApiJson<Value>, ApiError> {
    state.store.app(user.app_id).delete_task(task_id(&id)?, &user.user_id).await?;
    Ok(ApiJson(serde_json::json!({})))
}

/// Input of `POST /v1/tasks/{id}/comments`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentInput {
    /// 1–4000 characters.
    pub text: String,
}

/// A comment.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentBody {
    /// Id.
    pub id: String,
    /// Author.
    pub author_id: String,
    /// Text.
    pub text: String,
    /// RFC 3339.
    pub created_at: String,
}

impl From<caas_storage::TaskComment> for CommentBody {
    fn from(c: caas_storage::TaskComment) -> Self {
        CommentBody {
            id: c.id.to_string(),
            author_id: c.author_id.to_string(),
            text: c.text,
            created_at: rfc3339_ms(c.created_at),
        }
    }
}

/// `{"comments": […]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentsBody {
    /// Oldest first.
    pub comments: Vec<CommentBody>,
}

/// Comments on a task (add one, or read them, oldest first).
#[utoipa::path(
    post, path = "/v1/tasks/{id}/comments", tag = "tasks", security(("session_token" = [])), params(("id" = String, Path)),
    request_body = CommentInput,
    responses((status = 200, body = CommentBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn comment(
    State(state): State<Tasks>,
    user: EndUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CommentInput>,
) -> Result<ApiJson<CommentBody>, ApiError> {
    let c = state.store.app(user.app_id).comment_task(task_id(&id)?, &user.user_id, &input.text).await?;
    Ok(ApiJson(c.into()))
}

/// A task's comments, oldest first (at most 500).
#[utoipa::path(
    get, path = "/v1/tasks/{id}/comments", tag = "tasks", security(("session_token" = [])), params(("id" = String, Path)),
    responses((status = 200, body = CommentsBody), (status = 404, body = ErrorBody))
)]
pub async fn comments(
    State(state): State<Tasks>,
    user: EndUser,
    Path(id): Path<String>,
) -> Result<ApiJson<CommentsBody>, ApiError> {
    let list = state.store.app(user.app_id).task_comments(task_id(&id)?, &user.user_id).await?;
    Ok(ApiJson(CommentsBody { comments: list.into_iter().map(Into::into).collect() }))
}

/// One entry of the activity log.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityBody {
    /// Who.
    pub actor_id: String,
    /// `created`, `title`, `description`, `status`, `priority`, `due`, `assignees` or `comment`.
    pub action: String,
    /// Before.
    #[schema(value_type = Option<Object>)]
    pub from: Option<Value>,
    /// After.
    #[schema(value_type = Option<Object>)]
    pub to: Option<Value>,
    /// RFC 3339.
    pub at: String,
}

/// `{"activity": […]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivitiesBody {
    /// Oldest first.
    pub activity: Vec<ActivityBody>,
}

/// Who changed what on a task, oldest first (at most 500 entries).
#[utoipa::path(
    get, path = "/v1/tasks/{id}/activity", tag = "tasks", security(("session_token" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ActivitiesBody), (status = 404, body = ErrorBody))
)]
pub async fn activity(
    State(state): State<Tasks>,
    user: EndUser,
    Path(id): Path<String>,
) -> Result<ApiJson<ActivitiesBody>, ApiError> {
    let log = state.store.app(user.app_id).task_activity(task_id(&id)?, &user.user_id).await?;
    let activity = log
        .into_iter()
        .map(|a| ActivityBody {
            actor_id: a.actor_id.to_string(),
            action: a.action,
            from: a.old_value,
            to: a.new_value,
            at: rfc3339_ms(a.created_at),
        })
        .collect();
    Ok(ApiJson(ActivitiesBody { activity }))
}

/// `{"statuses": […]}`: the app's task statuses, in board order.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusesBody {
    /// 1 to 20 distinct names of 1 to 32 characters.
    pub statuses: Vec<String>,
}

/// The app's task statuses (default `todo`, `doing`, `done`).
#[utoipa::path(
    get, path = "/v1/admin/tasks/statuses", tag = "admin", security(("api_secret" = [])),
    responses((status = 200, body = StatusesBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn get_statuses(State(state): State<Tasks>, auth: AdminAuth) -> Result<ApiJson<StatusesBody>, ApiError> {
    Ok(ApiJson(StatusesBody { statuses: state.store.app(auth.app.id).task_statuses().await? }))
}

/// Replaces the app's task statuses. Tasks keep theirs; a status no longer
/// listed is refused for new changes and shown after the listed ones on boards.
#[utoipa::path(
    put, path = "/v1/admin/tasks/statuses", tag = "admin", security(("api_secret" = [])), request_body = StatusesBody,
    responses((status = 200, body = StatusesBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, description = "`invalid_statuses`", body = ErrorBody))
)]
pub async fn put_statuses(
    State(state): State<Tasks>,
    auth: AdminAuth,
    ApiJson(input): ApiJson<StatusesBody>,
) -> Result<ApiJson<StatusesBody>, ApiError> {
    Ok(ApiJson(StatusesBody { statuses: state.store.app(auth.app.id).set_task_statuses(&input.statuses).await? }))
}

/// The routes of this feature.
pub fn routes<S>() -> utoipa_axum::router::OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Tasks: axum::extract::FromRef<S>,
    crate::gate::Gate: axum::extract::FromRef<S>,
{
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(board))
        .routes(routes!(get, patch, delete))
        .routes(routes!(comment, comments))
        .routes(routes!(activity))
        .routes(routes!(get_statuses, put_statuses))
}
