//! Contacts and the social graph, shared by the WebSocket ops and REST.

pub mod me;
pub mod ops;
pub mod rest;

use caas_storage::{Relation, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::gate::auth::EndUser;
use crate::http::error::ApiError;
use crate::live::publish;

crate::handle! {
    /// What users and their social graph need.
    Users => UsersParts
}

/// The parts of a [`Users`].
pub struct UsersParts {
    /// The database.
    pub store: caas_storage::Store,
    /// The event bus: contact changes go out live.
    pub bus: caas_signaling::bus::Bus,
    /// Contact requests and follows notify; blocks reach webhooks.
    pub notifier: crate::notify::Notifier,
}
/// Input of the relation ops: the other user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserRef {
    /// The other user (WebSocket only; REST takes it from the path).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub user_id: Option<UserId>,
}

/// Input of `user.search` and `GET /v1/users`.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// Part of a user's id or name (case-insensitive).
    pub q: String,
    /// At most this many (1-50, default 20).
    pub limit: Option<i64>,
}

/// `{"users": […]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsersBody {
    /// Matching users.
    #[schema(value_type = Vec<Object>)]
    pub users: Vec<caas_storage::FoundUser>,
}

/// The relation an op name or REST action stands for.
pub fn relation(name: &str) -> Option<Relation> {
    Some(match name {
        "follow" => Relation::Follow,
        "unfollow" => Relation::Unfollow,
        "request" => Relation::Request,
        "accept" => Relation::Accept,
        "decline" => Relation::Decline,
        "cancel" => Relation::Cancel,
        "remove" => Relation::Remove,
        "block" => Relation::Block,
        "unblock" => Relation::Unblock,
        "mute" => Relation::Mute,
        "unmute" => Relation::Unmute,
        _ => return None,
    })
}

/// Changes the caller's relation with `other`; the users concerned receive events.
pub async fn relate(
    state: &Users,
    user: &EndUser,
    other: Option<UserId>,
    rel: Relation,
) -> Result<caas_storage::Graph, ApiError> {
    let other = other.ok_or_else(|| ApiError::invalid("invalid_body", "`user_id` is required"))?;
    let scope = state.store.app(user.app_id);
    for event in scope.relate(&user.user_id, &other, rel).await? {
        let to = event.target_user.clone().into_iter().collect::<Vec<_>>();
        publish(&state.bus, user.app_id, &event, &to).await;
        let category = match event.kind.as_str() {
            "contact.requested" => "contact_request",
            "user.followed" => "follow",
            _ => continue,
        };
        if event.target_user.as_ref() == Some(&other) {
            let data = serde_json::json!({"user_id": user.user_id});
            let notifier = state.notifier.clone();
            let (app, me, other) = (user.app_id, user.user_id.clone(), other.clone());
            tokio::spawn(async move {
                crate::notify::notify(&notifier, app, &other, category, Some(&me), None, data).await;
            });
        }
    }
    if rel == Relation::Block {
        crate::notify::webhooks::emit(
            &state.notifier,
            user.app_id,
            "user.blocked",
            serde_json::json!({"user_id": user.user_id, "blocked_user_id": other}),
        );
    }
    Ok(scope.graph(&user.user_id).await?)
}

/// The caller's contacts, requests, follows, blocks and mutes.
pub async fn graph(state: &Users, user: &EndUser) -> Result<caas_storage::Graph, ApiError> {
    Ok(state.store.app(user.app_id).graph(&user.user_id).await?)
}

/// Users of the app by name or id.
pub async fn search(state: &Users, user: &EndUser, q: SearchQuery) -> Result<UsersBody, ApiError> {
    let limit = q.limit.unwrap_or(20);
    if !(1..=50).contains(&limit) {
        return Err(ApiError::invalid("invalid_limit", "limit must be between 1 and 50"));
    }
    let query = q.q.trim();
    if query.is_empty() || query.chars().count() > 100 {
        return Err(ApiError::invalid("invalid_query", "q must be 1 to 100 characters"));
    }
    Ok(UsersBody { users: state.store.app(user.app_id).search_users(&user.user_id, query, limit).await? })
}

/// The routes of this feature.
pub fn routes<S>() -> utoipa_axum::router::OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Users: axum::extract::FromRef<S>,
    crate::gate::Gate: axum::extract::FromRef<S>,
{
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(me::me))
        .routes(routes!(rest::contacts))
        .routes(routes!(rest::search))
        .routes(routes!(rest::relate))
}
