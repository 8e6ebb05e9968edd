//! Runs the [`Hub`] on tokio: feeds it bus events and registrations, carries out
//! its outputs (database reads through an [`EventSource`], sends on connection
//! queues), and checks every second that no event was lost on the bus.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, oneshot};

use crate::bus::Bus;
use crate::hub::{ConnId, Hub, HubInput, HubOutput, LiveEvent};

/// Where the hub reads committed events (the database, in the server).
pub trait EventSource: Send + Sync + 'static {
    /// Why a read failed (logged; the hub asks again later).
    type Error: std::error::Error + Send + Sync + 'static;
    /// The app's newest committed event id (0 if none).
    fn last_event(&self, app: &str) -> impl Future<Output = Result<i64, Self::Error>> + Send;
    /// The app's events `from..to`, each with its recipients and push frame.
    fn events(&self, app: &str, from: i64, to: i64)
    -> impl Future<Output = Result<Vec<LiveEvent>, Self::Error>> + Send;
}

enum Command {
    Register { conn: ConnId, app: String, user: String, queue: mpsc::Sender<Arc<str>>, ready: oneshot::Sender<i64> },
    Unregister { conn: ConnId },
    Input(HubInput),
}

/// A live registration: frames arrive on `frames` from id `below` on. When the
/// connection cannot keep up, the hub drops it and `frames` ends.
pub struct Subscription {
    /// The connection id.
    pub conn: ConnId,
    /// First event id delivered on `frames`; earlier ones are the caller's to load.
    pub below: i64,
    /// Push frames, in order.
    pub frames: mpsc::Receiver<Arc<str>>,
}

/// Handle to the running hub. Cheap to clone.
#[derive(Clone)]
pub struct HubHandle {
    tx: mpsc::UnboundedSender<Command>,
    next_conn: Arc<AtomicU64>,
}

impl HubHandle {
    /// Starts the hub on `bus`, reading missed events from `source`.
    pub fn spawn<S: EventSource>(bus: &Bus, source: S) -> HubHandle {
        let (tx, rx) = mpsc::unbounded_channel();
        let handle = HubHandle { tx: tx.clone(), next_conn: Arc::new(AtomicU64::new(1)) };
        tokio::spawn(run(rx, tx, bus.subscribe(), Arc::new(source)));
        handle
    }

    /// Registers a connection of `user` in `app` with a queue of `capacity` frames.
    /// Returns `None` if the hub has stopped.
    pub async fn register(&self, app: &str, user: &str, capacity: usize) -> Option<Subscription> {
        let conn = self.next_conn.fetch_add(1, Ordering::Relaxed);
        let (queue, frames) = mpsc::channel(capacity.max(1));
        let (ready, below) = oneshot::channel();
        self.tx.send(Command::Register { conn, app: app.to_owned(), user: user.to_owned(), queue, ready }).ok()?;
        let below = below.await.ok()?;
        Some(Subscription { conn, below, frames })
    }

    /// Forgets a connection.
    pub fn unregister(&self, conn: ConnId) {
        let _ = self.tx.send(Command::Unregister { conn });
    }
}

async fn run<S: EventSource>(
    mut rx: mpsc::UnboundedReceiver<Command>,
    tx: mpsc::UnboundedSender<Command>,
    mut bus: broadcast::Receiver<LiveEvent>,
    source: Arc<S>,
) {
    let mut hub = Hub::new();
    let mut queues: HashMap<ConnId, mpsc::Sender<Arc<str>>> = HashMap::new();
    let mut ready: HashMap<ConnId, oneshot::Sender<i64>> = HashMap::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            cmd = rx.recv() => match cmd {
                Some(Command::Register { conn, app, user, queue, ready: r }) => {
                    queues.insert(conn, queue);
                    ready.insert(conn, r);
                    hub.handle(HubInput::Register { conn, app, user });
                }
                Some(Command::Unregister { conn }) => {
                    queues.remove(&conn);
                    ready.remove(&conn);
                    hub.handle(HubInput::Unregister { conn });
                }
                Some(Command::Input(input)) => hub.handle(input),
                None => return,
            },
            ev = bus.recv() => match ev {
                Ok(ev) => hub.handle(HubInput::Published(ev)),
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    // The periodic check fetches what was skipped.
                    tracing::warn!(skipped = n, "hub lagged behind the bus");
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = tick.tick() => {
                for (app, _) in hub.watermarks() {
                    spawn_counter(&source, &tx, app, Duration::ZERO);
                }
            }
        }
        for out in hub.drain() {
            match out {
                HubOutput::Deliver { conn, frame } => {
                    let Some(queue) = queues.get(&conn) else {
                        continue;
                    };
                    if queue.try_send(frame).is_err() {
                        // Full (a slow consumer) or closed: drop it; the client
                        // resumes from its cursor on reconnect.
                        queues.remove(&conn);
                        hub.handle(HubInput::Unregister { conn });
                        tracing::info!(conn_id = conn, "dropped a connection that fell behind");
                    }
                }
                HubOutput::Registered { conn, below } => {
                    if let Some(r) = ready.remove(&conn) {
                        let _ = r.send(below);
                    }
                }
                HubOutput::ReadCounter { app } => spawn_counter(&source, &tx, app, Duration::ZERO),
                HubOutput::Fetch { app, from, to } => spawn_fetch(&source, &tx, app, from, to),
            }
        }
        // Unregistering a dropped connection produces no deliveries; outputs of
        // that pass are empty.
        let _ = hub.drain();
    }
}

fn spawn_counter<S: EventSource>(source: &Arc<S>, tx: &mpsc::UnboundedSender<Command>, app: String, delay: Duration) {
    let (source, tx) = (source.clone(), tx.clone());
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        match source.last_event(&app).await {
            Ok(last_event) => {
                let _ = tx.send(Command::Input(HubInput::Counter { app, last_event }));
            }
            Err(e) => {
                tracing::warn!(app_id = %app, error = %e, "reading the event counter failed; retrying");
                let retry = tx.clone();
                let source2 = source.clone();
                spawn_counter(&source2, &retry, app, Duration::from_secs(1));
            }
        }
    });
}

fn spawn_fetch<S: EventSource>(source: &Arc<S>, tx: &mpsc::UnboundedSender<Command>, app: String, from: i64, to: i64) {
    let (source, tx) = (source.clone(), tx.clone());
    tokio::spawn(async move {
        loop {
            match source.events(&app, from, to).await {
                Ok(events) => {
                    let _ = tx.send(Command::Input(HubInput::Fetched { app, from, to, events }));
                    return;
                }
                Err(e) => {
                    tracing::warn!(app_id = %app, error = %e, "fetching events failed; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database with no events: the counter starts at `last`.
    struct Empty(i64);

    impl EventSource for Empty {
        type Error = std::convert::Infallible;
        async fn last_event(&self, _app: &str) -> Result<i64, Self::Error> {
            Ok(self.0)
        }
        async fn events(&self, _app: &str, _from: i64, _to: i64) -> Result<Vec<LiveEvent>, Self::Error> {
            Ok(Vec::new())
        }
    }

    fn ev(id: i64) -> LiveEvent {
        LiveEvent {
            app: "a".into(),
            id,
            recipients: vec!["ann".into()],
            frame: Arc::from(format!("e{id}")),
            ephemeral: false,
        }
    }

    #[tokio::test]
    async fn delivers_in_order_and_drops_a_consumer_that_falls_behind() {
        let bus = Bus::local();
        let hub = HubHandle::spawn(&bus, Empty(10));
        let mut fast = hub.register("a", "ann", 100).await.expect("registered");
        let mut slow = hub.register("a", "ann", 2).await.expect("registered");
        assert_eq!((fast.below, slow.below), (11, 11));
        for id in 11..=15 {
            bus.publish(ev(id)).await;
        }
        for id in 11..=15 {
            assert_eq!(&*fast.frames.recv().await.expect("frame"), format!("e{id}"));
        }
        // The slow one got what fit in its queue, then its stream ended.
        assert_eq!(&*slow.frames.recv().await.expect("frame"), "e11");
        assert_eq!(&*slow.frames.recv().await.expect("frame"), "e12");
        assert!(slow.frames.recv().await.is_none(), "a full queue drops the connection");
        // The fast one carries on.
        bus.publish(ev(16)).await;
        assert_eq!(&*fast.frames.recv().await.expect("frame"), "e16");
    }
}
