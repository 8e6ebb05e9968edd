//! Shared documents (whiteboards and docs): `GET /v1/collab/{doc_id}`, the
//! y-websocket endpoint, and the REST routes of [`docs`].
//!
//! The per-document tasks (store, relay, compact, hibernate) and the Redis relay
//! are [`caas_collab::Collab`]'s; this module gives it the database as its
//! [`DocStore`] and moves bytes between a WebSocket and a document connection.

pub mod docs;

use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use caas_collab::{DocStore, Outbound, Role, StoredDoc};
use caas_storage::{AppId, DocId, DocRole, Store, StoreError, UserId};
use futures_util::{SinkExt, StreamExt};

use crate::gate::upgrade::WsQuery;
use crate::http::error::{ApiError, ErrorBody};
use crate::live::sessions::close;

crate::handle! {
    /// What shared documents need.
    Collaboration => CollaborationParts
}

/// The parts of a [`Collaboration`].
pub struct CollaborationParts {
    /// WebSocket upgrades are checked here.
    pub gate: crate::gate::Gate,
    /// The database (documents and roles).
    pub store: caas_storage::Store,
    /// The documents loaded on this node.
    pub collab: Arc<Collab>,
    /// Connections are metered.
    pub meter: Arc<crate::billing::meters::Meter>,
    /// Open connections, closed when the node stops.
    pub sessions: crate::live::sessions::Sessions,
}

/// Largest WebSocket message (an update may be up to 1 MiB, plus framing).
pub const MAX_MESSAGE_BYTES: usize = 2 * 1024 * 1024;

/// The database, as the collab driver's store of documents.
pub struct Docs(pub Store);

/// The documents loaded on this node.
pub type Collab = caas_collab::Collab<Docs>;

fn to_role(r: DocRole) -> Role {
    match r {
        DocRole::Viewer => Role::Viewer,
        DocRole::Editor => Role::Editor,
        DocRole::Owner => Role::Owner,
    }
}

impl DocStore for Docs {
    type App = AppId;
    type Doc = DocId;
    type User = UserId;
    type Error = StoreError;

    async fn load(&self, app: AppId, doc: DocId) -> Result<StoredDoc, StoreError> {
        let s = self.0.app(app).doc_state(doc).await?;
        Ok(StoredDoc { snapshot: s.snapshot, updates: s.updates, last_seq: s.last_seq })
    }

    async fn append(&self, app: AppId, doc: DocId, updates: &[Vec<u8>]) -> Result<(), StoreError> {
        self.0.app(app).append_doc_updates(doc, updates).await.map(|_| ())
    }

    async fn compact(&self, app: AppId, doc: DocId, merged: &[u8], upto_seq: i64) -> Result<(), StoreError> {
        self.0.app(app).compact_doc(doc, merged, upto_seq).await
    }

    async fn role(&self, app: AppId, doc: DocId, user: &UserId) -> Result<Option<Role>, StoreError> {
        match self.0.app(app).doc_role(doc, user).await {
            Ok((_, role)) => Ok(Some(to_role(role))),
            Err(StoreError::NotFound { .. } | StoreError::Forbidden(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A driver failure, as the API reports it.
impl From<caas_collab::DriverError> for ApiError {
    fn from(e: caas_collab::DriverError) -> Self {
        ApiError::internal(e.to_string())
    }
}

/// Opens a document over the y-websocket protocol (binary frames).
#[utoipa::path(
    get,
    path = "/v1/collab/{doc_id}",
    tag = "collab",
    params(("doc_id" = String, Path, description = "The document"), WsQuery),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol (y-websocket)"),
        (status = 401, description = "`invalid_token`", body = ErrorBody),
        (status = 403, description = "`origin_not_allowed`", body = ErrorBody),
        (status = 404, description = "No such document, or not yours to open", body = ErrorBody),
    )
)]
pub async fn collab_ws(
    State(state): State<Collaboration>,
    Path(doc_id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<WsQuery>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let user = crate::gate::upgrade::upgrade_user(&state.gate, &headers, q.token.as_deref()).await?;
    let doc: DocId = doc_id.parse().map_err(|_| ApiError::not_found("not_found", "document not found"))?;
    let (_, role) = state.store.app(user.app_id).doc_role(doc, &user.user_id).await?;
    let role = to_role(role);
    Ok(upgrade
        .read_buffer_size(16 * 1024)
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| session(state, user.app_id, user.user_id, doc, role, socket)))
}

async fn session(state: Collaboration, app: AppId, user: UserId, doc: DocId, role: Role, socket: WebSocket) {
    let collab = state.collab.clone();
    let caas_collab::Connection { conn, outbound: mut rx } = collab.open(app, doc, user.clone(), role);
    let (mut sink, mut stream) = socket.split();
    let (_counted, mut stopping) = state.sessions.enter();
    let _metered = state.meter.connect(app);
    state.meter.active(app, &user);
    // Like y-websocket's server: ping quiet peers, close dead ones.
    let mut hb = caas_signaling::heartbeat::Heartbeat::new(
        std::time::Instant::now(),
        crate::live::sessions::PING_AFTER,
        crate::live::sessions::DEAD_AFTER,
    );
    loop {
        let deadline = tokio::time::Instant::from_std(hb.deadline());
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => match hb.poll(std::time::Instant::now()) {
                caas_signaling::heartbeat::Beat::Ping => {
                    if sink.send(Message::Ping(Default::default())).await.is_err() {
                        break;
                    }
                }
                caas_signaling::heartbeat::Beat::Close => {
                    let _ = sink.send(close(4000, "heartbeat timeout")).await;
                    break;
                }
                caas_signaling::heartbeat::Beat::Idle => {}
            },
            msg = stream.next() => match msg {
                Some(Ok(Message::Binary(data))) => {
                    hb.heard(std::time::Instant::now());
                    collab.frame(app, doc, conn, data.to_vec())
                }
                Some(Ok(Message::Text(_))) => {
                    let _ = sink.send(close(1003, "y-websocket speaks binary frames")).await;
                    break;
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => hb.heard(std::time::Instant::now()),
                Some(Ok(Message::Close(_))) | None => break,
                Some(Err(e)) => {
                    let text = e.to_string();
                    let code = if text.contains("too long") || text.contains("limit") { 1009 } else { 1002 };
                    let _ = sink.send(close(code, &text)).await;
                    break;
                }
            },
            out = rx.recv() => match out {
                Some(Outbound::Frame(f)) => {
                    if sink.send(Message::Binary(f.into())).await.is_err() {
                        break;
                    }
                }
                Some(Outbound::Close(code, reason)) => {
                    let _ = sink.send(close(code, &reason)).await;
                    break;
                }
                None => break,
            },
            _ = stopping.changed() => {
                let _ = sink.send(close(1001, "server shutting down")).await;
                break;
            }
        }
    }
    collab.close(app, doc, conn);
}

/// The routes of this feature.
pub fn routes<S>() -> utoipa_axum::router::OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Collaboration: axum::extract::FromRef<S>,
    crate::gate::Gate: axum::extract::FromRef<S>,
{
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(collab_ws))
        .routes(routes!(docs::create, docs::list))
        .routes(routes!(docs::get, docs::delete))
        .routes(routes!(docs::state_bytes))
        .routes(routes!(docs::set_role))
        .routes(routes!(docs::create_version, docs::versions))
        .routes(routes!(docs::restore))
}
