//! Joins storage to the real-time hub: after a write commits, its event is
//! published on the bus; the hub reads missed events back from the database.

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

fn app_id(app: &str) -> Result<AppId, String> {
    app.parse().map_err(|e: caas_storage::IdError| e.to_string())
}

impl EventSource for StoreSource {
    async fn last_event(&self, app: &str) -> Result<i64, String> {
        self.0.app(app_id(app)?).last_event_id().await.map_err(|e| e.to_string())
    }

    async fn events(&self, app: &str, from: i64, to: i64) -> Result<Vec<LiveEvent>, String> {
        let rows = self.0.app(app_id(app)?).events_range(from, to).await.map_err(|e| e.to_string())?;
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
