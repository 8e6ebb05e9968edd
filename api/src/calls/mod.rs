//! Calls: the `call.*` WebSocket ops in front of the SFU ([`ops`]), rooms
//! placed on the least-loaded node of a cluster ([`placement`]) and reached
//! from any node ([`relay`]), ICE servers ([`ice`]) and call metering. See
//! docs/calls.md.

pub mod ice;
pub mod ops;
pub mod placement;
pub mod relay;

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use caas_sfu::driver::Departure;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::mpsc;
use utoipa::ToSchema;

pub use ice::{IceConfig, IceServer, IceServersBody};
pub use ops::{CallConn, MAX_ROOM_ID, next_push};

use crate::gate::auth::EndUser;
use crate::http::error::ErrorBody;
use crate::live::nodes::Nodes;

crate::handle! {
    /// What calls need.
    Calls => CallsParts
}

/// The parts of a [`Calls`].
pub struct CallsParts {
    /// The database (room membership, call usage).
    pub store: caas_storage::Store,
    /// The media server.
    pub sfu: caas_sfu::driver::SfuHandle,
    /// STUN/TURN servers for clients.
    pub ice: IceConfig,
    /// Media egress is metered.
    pub meter: std::sync::Arc<crate::billing::meters::Meter>,
    /// `call.started` and `call.ended` webhooks.
    pub notifier: crate::notify::Notifier,
    /// The cluster's nodes (this one alone without Redis).
    pub nodes: Arc<Nodes>,
    /// Rooms on other nodes, with Redis.
    pub relay: Option<Arc<relay::Relay>>,
}

/// STUN and TURN servers for `RTCPeerConnection`, TURN with credentials valid for 24 h.
#[utoipa::path(
    get, path = "/v1/calls/ice-servers", tag = "calls", security(("session_token" = [])),
    responses(
        (status = 200, body = IceServersBody),
        (status = 401, description = "`invalid_token`", body = ErrorBody),
    )
)]
pub async fn ice_servers(State(state): State<Calls>, user: EndUser) -> Json<IceServersBody> {
    Json(IceServersBody { ice_servers: state.ice.servers(&user, ice::unix_now()) })
}

/// Query of `GET /v1/admin/usage/calls`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CallUsageQuery {
    /// First day, `YYYY-MM-DD` (UTC) [default: 30 days ago].
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` (UTC) [default: today].
    pub to: Option<String>,
}

/// One day of call usage.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallUsageDay {
    /// UTC day.
    pub day: String,
    /// Participant minutes with audio only (rounded up).
    pub audio_minutes: i64,
    /// Participant minutes with video sent or received (rounded up).
    pub video_minutes: i64,
    /// Participant milliseconds with audio only.
    pub audio_ms: i64,
    /// Participant milliseconds with video.
    pub video_ms: i64,
    /// Participants who left that day.
    pub participants: i64,
}

/// `{"days": […]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallUsageBody {
    /// Days with usage, oldest first.
    pub days: Vec<CallUsageDay>,
}

/// Call metering of the calling app: participant minutes per day, audio and video apart.
#[utoipa::path(
    get, path = "/v1/admin/usage/calls", tag = "admin", security(("api_secret" = [])), params(CallUsageQuery),
    responses(
        (status = 200, body = CallUsageBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody),
    )
)]
pub async fn usage(
    State(state): State<Calls>,
    auth: crate::gate::auth::AdminAuth,
    axum::extract::Query(q): axum::extract::Query<CallUsageQuery>,
) -> Result<crate::http::error::ApiJson<CallUsageBody>, crate::http::error::ApiError> {
    let today = time::OffsetDateTime::now_utc().date();
    let from = q.from.unwrap_or_else(|| (today - time::Duration::days(30)).to_string());
    let to = q.to.unwrap_or_else(|| today.to_string());
    let rows = state.store.app(auth.app.id).call_usage(&from, &to).await?;
    let minutes = |ms: i64| (ms + 59_999) / 60_000;
    Ok(crate::http::error::ApiJson(CallUsageBody {
        days: rows
            .into_iter()
            .map(|r| CallUsageDay {
                audio_minutes: minutes(r.audio_ms),
                video_minutes: minutes(r.video_ms),
                day: r.day,
                audio_ms: r.audio_ms,
                video_ms: r.video_ms,
                participants: r.participants,
            })
            .collect(),
    }))
}

/// Records departures as call usage (participant time per app and UTC day).
pub async fn meter(state: Calls, mut departures: mpsc::UnboundedReceiver<Departure>) {
    while let Some(d) = departures.recv().await {
        let Ok(app) = d.room.app.parse::<caas_storage::AppId>() else {
            continue;
        };
        let day = time::OffsetDateTime::now_utc().date().to_string();
        let (audio, video) = (d.usage.audio_ms as i64, d.usage.video_ms as i64);
        tracing::info!(app_id = %app, user_id = %d.user, participant = %d.participant, reason = d.reason, audio_ms = audio, video_ms = video, "call left");
        metrics::counter!("caas_call_participant_ms_total", "media" => "audio").increment(audio as u64);
        metrics::counter!("caas_call_participant_ms_total", "media" => "video").increment(video as u64);
        if let Err(e) = state.store.app(app).add_call_usage(&day, audio, video).await {
            tracing::warn!(app_id = %app, error = %e, "cannot record call usage");
        }
        state.meter.egress(app, d.usage.bytes_out);
        if let Ok(user) = d.user.parse::<caas_storage::UserId>()
            && let Err(e) = state.store.app(app).add_user_call(&user, audio + video).await
        {
            tracing::warn!(app_id = %app, error = %e, "cannot record the user's call");
        }
        if d.last {
            crate::notify::webhooks::emit(
                &state.notifier,
                app,
                "call.ended",
                json!({"room_id": d.room.room, "last_user_id": d.user}),
            );
        }
    }
}

/// The routes of this feature.
pub fn routes<S>() -> utoipa_axum::router::OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Calls: axum::extract::FromRef<S>,
    crate::gate::Gate: axum::extract::FromRef<S>,
{
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new().routes(routes!(ice_servers)).routes(routes!(usage))
}
