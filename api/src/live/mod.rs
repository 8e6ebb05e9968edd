//! Joins storage to the real-time hub: after a write commits, its event is
//! published on the bus; the hub reads missed events back from the database.

pub mod nodes;
pub mod presence;
pub mod quota;
pub mod sessions;

use std::sync::Arc;

use caas_signaling::bus::Bus;
use caas_signaling::driver::EventSource;
use caas_signaling::hub::LiveEvent;
use caas_signaling::protocol::push;
use caas_storage::{AppId, Event, Store, UserId};

/// The push frame of a persistent event, with its cursor.
pub fn event_frame(event: &Event) -> String {
    push(&event.kind, &event.data, Some(&event.id.to_string()))
}

/// Publishes a committed event to everyone it concerns, on every node.
pub async fn publish(bus: &Bus, app: AppId, event: &Event, recipients: &[UserId]) {
    let live = LiveEvent {
        app: app.to_string(),
        id: event.id,
        recipients: recipients.iter().map(|u| u.as_str().to_owned()).collect(),
        frame: Arc::from(event_frame(event)),
        ephemeral: false,
    };
    bus.publish(live).await;
}

/// The database as the hub's source of committed events.
pub struct StoreSource(pub Store);

/// Why the hub could not read events.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The hub named an app that is not an app id.
    #[error("not an app id: {0}")]
    AppId(#[from] caas_storage::IdError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] caas_storage::StoreError),
}

impl EventSource for StoreSource {
    type Error = SourceError;

    async fn last_event(&self, app: &str) -> Result<i64, SourceError> {
        Ok(self.0.app(app.parse::<AppId>()?).last_event_id().await?)
    }

    async fn events(&self, app: &str, from: i64, to: i64) -> Result<Vec<LiveEvent>, SourceError> {
        let rows = self.0.app(app.parse::<AppId>()?).events_range(from, to).await?;
        Ok(rows
            .into_iter()
            .map(|(event, recipients)| LiveEvent {
                app: app.to_owned(),
                id: event.id,
                recipients: recipients.iter().map(|u| u.as_str().to_owned()).collect(),
                frame: Arc::from(event_frame(&event)),
                ephemeral: false,
            })
            .collect())
    }
}

/// Sends an ephemeral event (typing, presence) to `recipients` on every node:
/// no cursor, not stored, not replayed.
pub async fn publish_ephemeral<T: serde::Serialize>(
    bus: &Bus,
    app: AppId,
    event: &str,
    data: &T,
    recipients: &[UserId],
) {
    let live = LiveEvent {
        app: app.to_string(),
        id: 0,
        recipients: recipients.iter().map(|u| u.as_str().to_owned()).collect(),
        frame: Arc::from(push(event, data, None)),
        ephemeral: true,
    };
    bus.publish(live).await;
}
