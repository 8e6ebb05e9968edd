//! The live fan-out of persistent events, as a state machine without I/O.
//!
//! Each app's events carry dense ids that commit in order. The hub of a node
//! delivers them to the node's connections strictly in id order: an event that
//! arrives early (another writer published first, another node, a lost bus
//! message) waits while the hub asks its driver to fetch the missing ids from the
//! database — they are committed, since a later id is. A connection that
//! registers learns the first id the hub will deliver to it (`below`) and loads
//! everything before that from the database itself: no gap, no duplicate.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// A connection, unique within the node.
pub type ConnId = u64;

/// A persistent event on its way to the members it concerns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveEvent {
    /// The app.
    pub app: String,
    /// Dense per-app id (the cursor).
    pub id: i64,
    /// Users who receive it.
    pub recipients: Vec<String>,
    /// The push frame, ready to send.
    pub frame: Arc<str>,
    /// An ephemeral event (typing, presence): delivered at once, outside the
    /// ordered stream, never replayed; `id` is meaningless.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ephemeral: bool,
}

/// Input to the hub.
#[derive(Debug, Clone, PartialEq)]
pub enum HubInput {
    /// A connection of `user` in `app` wants live events.
    Register {
        /// The connection.
        conn: ConnId,
        /// Its app.
        app: String,
        /// Its user.
        user: String,
    },
    /// The driver read the app's newest event id.
    Counter {
        /// The app.
        app: String,
        /// Its newest committed event id (0 if none).
        last_event: i64,
    },
    /// A connection went away.
    Unregister {
        /// The connection.
        conn: ConnId,
    },
    /// An event from the bus.
    Published(LiveEvent),
    /// The events the driver fetched for a [`HubOutput::Fetch`].
    Fetched {
        /// The app.
        app: String,
        /// The range asked for, `from..to`.
        from: i64,
        /// End of the range (exclusive).
        to: i64,
        /// The events found in it.
        events: Vec<LiveEvent>,
    },
}

/// Output of the hub, for its driver to carry out.
#[derive(Debug, Clone, PartialEq)]
pub enum HubOutput {
    /// Send `frame` on connection `conn`.
    Deliver {
        /// The connection.
        conn: ConnId,
        /// The frame.
        frame: Arc<str>,
    },
    /// Read the newest event id of `app`, then input [`HubInput::Counter`].
    ReadCounter {
        /// The app.
        app: String,
    },
    /// Fetch events `from..to` of `app`, then input [`HubInput::Fetched`].
    Fetch {
        /// The app.
        app: String,
        /// First id.
        from: i64,
        /// End (exclusive).
        to: i64,
    },
    /// `conn` is registered: the hub delivers it every event from `below` on;
    /// the connection loads earlier ones itself.
    Registered {
        /// The connection.
        conn: ConnId,
        /// First id the hub delivers.
        below: i64,
    },
}

#[derive(Default)]
struct AppHub {
    /// Next id to deliver; `None` until the counter has been read.
    next: Option<i64>,
    /// Connections by user.
    users: HashMap<String, Vec<ConnId>>,
    /// Connections waiting for the counter.
    waiting: Vec<ConnId>,
    /// Events that arrived ahead of `next`.
    pending: BTreeMap<i64, LiveEvent>,
    /// A fetch is in flight.
    fetching: bool,
}

/// The hub of one node.
#[derive(Default)]
pub struct Hub {
    apps: HashMap<String, AppHub>,
    conns: HashMap<ConnId, (String, String)>,
    out: Vec<HubOutput>,
}

impl Hub {
    /// An empty hub.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one input; outputs collect until [`Hub::drain`].
    pub fn handle(&mut self, input: HubInput) {
        match input {
            HubInput::Register { conn, app, user } => self.register(conn, app, user),
            HubInput::Counter { app, last_event } => self.counter(&app, last_event),
            HubInput::Unregister { conn } => self.unregister(conn),
            HubInput::Published(ev) => self.published(ev),
            HubInput::Fetched { app, from, to, events } => self.fetched(&app, from, to, events),
        }
    }

    /// Takes the outputs produced so far.
    pub fn drain(&mut self) -> Vec<HubOutput> {
        std::mem::take(&mut self.out)
    }

    /// Apps with connections here, and the next id each expects (for a driver's
    /// periodic check that no event was lost on the bus).
    pub fn watermarks(&self) -> Vec<(String, i64)> {
        self.apps.iter().filter_map(|(app, h)| h.next.map(|n| (app.clone(), n))).collect()
    }

    /// How many connections are registered.
    pub fn connections(&self) -> usize {
        self.conns.len()
    }

    fn register(&mut self, conn: ConnId, app: String, user: String) {
        self.conns.insert(conn, (app.clone(), user.clone()));
        let hub = self.apps.entry(app.clone()).or_default();
        hub.users.entry(user).or_default().push(conn);
        match hub.next {
            Some(below) => self.out.push(HubOutput::Registered { conn, below }),
            None => {
                if hub.waiting.is_empty() {
                    self.out.push(HubOutput::ReadCounter { app });
                }
                hub.waiting.push(conn);
            }
        }
    }

    fn counter(&mut self, app: &str, last_event: i64) {
        let Some(hub) = self.apps.get_mut(app) else {
            return;
        };
        match hub.next {
            None => {
                let next = last_event + 1;
                hub.next = Some(next);
                hub.pending = hub.pending.split_off(&next);
                for conn in hub.waiting.drain(..) {
                    self.out.push(HubOutput::Registered { conn, below: next });
                }
                self.advance(app);
            }
            // A periodic check: ids up to `last_event` are committed; fetch any not seen.
            Some(next) if last_event >= next && !hub.fetching => {
                hub.fetching = true;
                self.out.push(HubOutput::Fetch { app: app.to_owned(), from: next, to: last_event + 1 });
            }
            Some(_) => {}
        }
    }

    fn unregister(&mut self, conn: ConnId) {
        let Some((app, user)) = self.conns.remove(&conn) else {
            return;
        };
        let Some(hub) = self.apps.get_mut(&app) else {
            return;
        };
        hub.waiting.retain(|c| *c != conn);
        if let Some(list) = hub.users.get_mut(&user) {
            list.retain(|c| *c != conn);
            if list.is_empty() {
                hub.users.remove(&user);
            }
        }
        if hub.users.is_empty() {
            self.apps.remove(&app);
        }
    }

    fn published(&mut self, ev: LiveEvent) {
        let app = ev.app.clone();
        let Some(hub) = self.apps.get_mut(&app) else {
            return;
        };
        if ev.ephemeral {
            for user in &ev.recipients {
                for conn in hub.users.get(user).into_iter().flatten() {
                    self.out.push(HubOutput::Deliver { conn: *conn, frame: ev.frame.clone() });
                }
            }
            return;
        }
        if hub.next.is_some_and(|n| ev.id < n) {
            return;
        }
        hub.pending.insert(ev.id, ev);
        self.advance(&app);
    }

    fn fetched(&mut self, app: &str, from: i64, to: i64, events: Vec<LiveEvent>) {
        let Some(hub) = self.apps.get_mut(app) else {
            return;
        };
        hub.fetching = false;
        let Some(next) = hub.next else { return };
        for ev in events {
            if ev.id >= next && ev.id >= from && ev.id < to {
                hub.pending.entry(ev.id).or_insert(ev);
            }
        }
        // Ids of the range that the database does not have were never committed
        // (cannot happen with dense ids, but must not stall delivery): skip them.
        let mut next = next;
        while next < to && !hub.pending.contains_key(&next) {
            next += 1;
        }
        hub.next = Some(next);
        self.advance(app);
    }

    /// Delivers every contiguous pending event; asks for a fetch on a gap.
    fn advance(&mut self, app: &str) {
        let Some(hub) = self.apps.get_mut(app) else {
            return;
        };
        let Some(mut next) = hub.next else { return };
        while let Some(ev) = hub.pending.remove(&next) {
            for user in &ev.recipients {
                if let Some(conns) = hub.users.get(user) {
                    for conn in conns {
                        self.out.push(HubOutput::Deliver { conn: *conn, frame: ev.frame.clone() });
                    }
                }
            }
            next += 1;
        }
        hub.next = Some(next);
        if let Some((&first, _)) = hub.pending.first_key_value()
            && !hub.fetching
        {
            hub.fetching = true;
            self.out.push(HubOutput::Fetch { app: app.to_owned(), from: next, to: first });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: i64, to: &[&str]) -> LiveEvent {
        LiveEvent {
            app: "a".into(),
            id,
            recipients: to.iter().map(|s| s.to_string()).collect(),
            frame: Arc::from(format!("e{id}")),
            ephemeral: false,
        }
    }

    fn reg(h: &mut Hub, conn: ConnId, user: &str) {
        h.handle(HubInput::Register { conn, app: "a".into(), user: user.into() });
    }

    fn delivered(out: &[HubOutput]) -> Vec<(ConnId, String)> {
        out.iter()
            .filter_map(|o| match o {
                HubOutput::Deliver { conn, frame } => Some((*conn, frame.to_string())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn first_registration_reads_the_counter_then_delivers_in_order() {
        let mut h = Hub::new();
        reg(&mut h, 1, "ann");
        reg(&mut h, 2, "bob");
        assert_eq!(h.drain(), vec![HubOutput::ReadCounter { app: "a".into() }]);
        // An event published while the counter is read, and one already counted.
        h.handle(HubInput::Published(ev(5, &["ann"])));
        h.handle(HubInput::Published(ev(6, &["ann", "bob"])));
        h.handle(HubInput::Counter { app: "a".into(), last_event: 5 });
        let out = h.drain();
        assert!(out.contains(&HubOutput::Registered { conn: 1, below: 6 }));
        assert!(out.contains(&HubOutput::Registered { conn: 2, below: 6 }));
        assert_eq!(delivered(&out), vec![(1, "e6".into()), (2, "e6".into())]);
        // A later registration starts where the hub stands.
        reg(&mut h, 3, "ann");
        assert_eq!(h.drain(), vec![HubOutput::Registered { conn: 3, below: 7 }]);
        h.handle(HubInput::Published(ev(7, &["ann"])));
        assert_eq!(delivered(&h.drain()), vec![(1, "e7".into()), (3, "e7".into())]);
    }

    #[test]
    fn early_events_wait_for_the_gap_to_be_fetched() {
        let mut h = Hub::new();
        reg(&mut h, 1, "ann");
        h.handle(HubInput::Counter { app: "a".into(), last_event: 0 });
        h.drain();
        h.handle(HubInput::Published(ev(3, &["ann"])));
        let out = h.drain();
        assert_eq!(delivered(&out), vec![]);
        assert_eq!(out, vec![HubOutput::Fetch { app: "a".into(), from: 1, to: 3 }]);
        // Event 2 arrives on the bus while the fetch runs; no second fetch.
        h.handle(HubInput::Published(ev(2, &["ann"])));
        assert!(h.drain().is_empty());
        h.handle(HubInput::Fetched { app: "a".into(), from: 1, to: 3, events: vec![ev(1, &["bob"]), ev(2, &["ann"])] });
        assert_eq!(delivered(&h.drain()), vec![(1, "e2".into()), (1, "e3".into())]);
        // Duplicates of delivered events are dropped.
        h.handle(HubInput::Published(ev(2, &["ann"])));
        h.handle(HubInput::Published(ev(4, &["ann"])));
        assert_eq!(delivered(&h.drain()), vec![(1, "e4".into())]);
    }

    #[test]
    fn a_periodic_check_recovers_lost_bus_messages() {
        let mut h = Hub::new();
        reg(&mut h, 1, "ann");
        h.handle(HubInput::Counter { app: "a".into(), last_event: 10 });
        h.drain();
        assert_eq!(h.watermarks(), vec![("a".to_owned(), 11)]);
        // Nothing came on the bus, but the database has 11 and 12.
        h.handle(HubInput::Counter { app: "a".into(), last_event: 12 });
        assert_eq!(h.drain(), vec![HubOutput::Fetch { app: "a".into(), from: 11, to: 13 }]);
        h.handle(HubInput::Fetched {
            app: "a".into(),
            from: 11,
            to: 13,
            events: vec![ev(11, &["ann"]), ev(12, &["ann"])],
        });
        assert_eq!(delivered(&h.drain()), vec![(1, "e11".into()), (1, "e12".into())]);
        // A range the database lacks is skipped rather than waited on forever.
        h.handle(HubInput::Published(ev(15, &["ann"])));
        h.drain();
        h.handle(HubInput::Fetched { app: "a".into(), from: 13, to: 15, events: vec![] });
        assert_eq!(delivered(&h.drain()), vec![(1, "e15".into())]);
    }

    #[test]
    fn ephemeral_events_skip_the_ordered_stream() {
        let mut h = Hub::new();
        reg(&mut h, 1, "ann");
        h.handle(HubInput::Counter { app: "a".into(), last_event: 4 });
        h.drain();
        let typing = LiveEvent { ephemeral: true, frame: Arc::from("typing"), ..ev(0, &["ann", "bob"]) };
        h.handle(HubInput::Published(typing));
        // Delivered at once; the ordered stream still waits for id 5.
        assert_eq!(delivered(&h.drain()), vec![(1, "typing".into())]);
        assert_eq!(h.watermarks(), vec![("a".to_owned(), 5)]);
    }

    #[test]
    fn unregistering_forgets_connections_and_idle_apps() {
        let mut h = Hub::new();
        reg(&mut h, 1, "ann");
        reg(&mut h, 2, "ann");
        h.handle(HubInput::Counter { app: "a".into(), last_event: 0 });
        h.drain();
        h.handle(HubInput::Unregister { conn: 1 });
        h.handle(HubInput::Published(ev(1, &["ann"])));
        assert_eq!(delivered(&h.drain()), vec![(2, "e1".into())]);
        h.handle(HubInput::Unregister { conn: 2 });
        assert_eq!(h.connections(), 0);
        assert!(h.watermarks().is_empty());
        // Events of apps nobody here listens to are ignored.
        h.handle(HubInput::Published(ev(2, &["ann"])));
        assert!(h.drain().is_empty());
    }
}
