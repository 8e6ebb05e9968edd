//! The event bus between nodes: in-process by default, Redis pub/sub when
//! configured. Every node's hub subscribes to all events; the hub's ordering and
//! gap-fill make a lost or reordered bus message harmless.

use futures_util::StreamExt;
use tokio::sync::broadcast;

use crate::hub::LiveEvent;

/// Redis channel all nodes publish to and subscribe to.
pub const CHANNEL: &str = "caas:events";

/// Events waiting for slow local subscribers before the oldest are dropped.
const LOCAL_CAPACITY: usize = 65_536;

/// A bus error (Redis only; the in-process bus cannot fail).
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// Redis refused or dropped the connection.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
}

/// Where events go after commit.
#[derive(Clone)]
pub struct Bus {
    local: broadcast::Sender<LiveEvent>,
    redis: Option<redis::aio::MultiplexedConnection>,
}

impl Bus {
    /// An in-process bus (one node).
    pub fn local() -> Bus {
        Bus { local: broadcast::channel(LOCAL_CAPACITY).0, redis: None }
    }

    /// A bus over Redis pub/sub: connects a publisher and spawns the subscriber
    /// that feeds this node's local subscribers.
    pub async fn redis(client: redis::Client) -> Result<Bus, BusError> {
        let publisher = client.get_multiplexed_async_connection().await?;
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(CHANNEL).await?;
        let local = broadcast::channel(LOCAL_CAPACITY).0;
        let feed = local.clone();
        tokio::spawn(async move {
            let mut pubsub = pubsub;
            loop {
                {
                    let mut messages = pubsub.on_message();
                    while let Some(msg) = messages.next().await {
                        let Ok(payload) = msg.get_payload::<String>() else {
                            continue;
                        };
                        match serde_json::from_str::<LiveEvent>(&payload) {
                            Ok(ev) => {
                                let _ = feed.send(ev);
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "ignoring a malformed bus message")
                            }
                        }
                    }
                }
                // The subscription ended (Redis went away): resubscribe. Events
                // missed meanwhile are recovered by the hubs' periodic check.
                tracing::warn!("redis subscription lost; reconnecting");
                loop {
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    match client.get_async_pubsub().await {
                        Ok(mut p) => {
                            if p.subscribe(CHANNEL).await.is_ok() {
                                pubsub = p;
                                break;
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, "redis reconnect failed"),
                    }
                }
            }
        });
        Ok(Bus { local, redis: Some(publisher) })
    }

    /// Publishes an event to every node (this one included).
    pub async fn publish(&self, ev: LiveEvent) {
        match &self.redis {
            None => {
                // No receiver (no hub yet) is not an error.
                let _ = self.local.send(ev);
            }
            Some(conn) => {
                let payload = match serde_json::to_string(&ev) {
                    Ok(p) => p,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot encode a bus event");
                        return;
                    }
                };
                let mut conn = conn.clone();
                let sent: Result<i64, _> = redis::cmd("PUBLISH").arg(CHANNEL).arg(payload).query_async(&mut conn).await;
                if let Err(e) = sent {
                    // Nodes recover the event from the database on their next check.
                    tracing::warn!(error = %e, app_id = %ev.app, "redis publish failed");
                }
            }
        }
    }

    /// A subscription to every event.
    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.local.subscribe()
    }
}
