//! The relay between the nodes of a cluster serving the same documents.
//!
//! Every node publishes its documents' frames (updates and awareness) and its
//! control messages on one Redis channel, [`RELAY_CHANNEL`], and hears every
//! other node's. The wire format is plain text heads before a newline, so nodes
//! of different builds keep talking:
//!
//! - a frame: `<node> <app> <doc>\n<frame>` (the frame is binary y-protocols);
//! - a control: `<node> <app> <doc or *> <control>\n<reason>`, where `<control>`
//!   is `recheck` or `shutdown` and `*` means every document of the app.
//!
//! `<node>` is a random number per process, so a node ignores what it published
//! itself. [`encode_frame`], [`encode_control`] and [`parse`] are pure;
//! [`Publisher`] is the outbound transport ([`Collab::start_relay`] plugs in
//! Redis; tests can plug in a channel) and [`Collab::on_relayed`] the inbound.

use std::fmt::Display;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::future::BoxFuture;

use crate::driver::{Collab, DocStore};

/// Redis channel of document frames and controls between nodes.
pub const RELAY_CHANNEL: &str = "caas:collab";

/// Why relaying failed.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// Redis refused or could not be reached.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// The other side of an in-process transport is gone.
    #[error("the relay transport is closed")]
    Closed,
}

/// A control message between nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Look up the role of every connected user again.
    Recheck,
    /// Close every connection of the document (it was deleted).
    Shutdown,
}

impl Control {
    /// The word on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Control::Recheck => "recheck",
            Control::Shutdown => "shutdown",
        }
    }
}

/// A message from another node, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Relayed<A, D> {
    /// A frame of a document.
    Frame {
        /// The app.
        app: A,
        /// The document.
        doc: D,
        /// The y-protocols frame.
        frame: Vec<u8>,
    },
    /// A control message.
    Control {
        /// The app.
        app: A,
        /// The document, or `None` for every document of the app (`*`, or a
        /// document id that does not parse, as nodes have always read it).
        doc: Option<D>,
        /// What to do.
        control: Control,
        /// Why (the close reason of a shutdown; empty for a recheck).
        reason: String,
    },
}

/// `<node> <app> <doc>\n<frame>`.
pub fn encode_frame(node: u64, app: impl Display, doc: impl Display, frame: &[u8]) -> Vec<u8> {
    let mut payload = format!("{node} {app} {doc}\n").into_bytes();
    payload.extend_from_slice(frame);
    payload
}

/// `<node> <app> <doc or *> <control>\n<reason>`.
pub fn encode_control<D: Display>(
    node: u64,
    app: impl Display,
    doc: Option<D>,
    control: Control,
    reason: &str,
) -> Vec<u8> {
    let doc = doc.map_or_else(|| "*".to_owned(), |d| d.to_string());
    format!("{node} {app} {doc} {}\n{reason}", control.as_str()).into_bytes()
}

/// Reads a relay message. `None` for a message this node published itself
/// (`own` is its node number), one that does not parse, or an unknown control
/// (a newer node's; ignored, as before). A shutdown needs a document.
pub fn parse<A: FromStr, D: FromStr>(own: u64, payload: &[u8]) -> Option<Relayed<A, D>> {
    let split = payload.iter().position(|b| *b == b'\n')?;
    let head = std::str::from_utf8(&payload[..split]).ok()?;
    let body = &payload[split + 1..];
    let mut parts = head.split(' ');
    let (node, app, doc) = (parts.next()?, parts.next()?, parts.next()?);
    if node.parse::<u64>().ok() == Some(own) {
        return None;
    }
    let app = app.parse::<A>().ok()?;
    if let Some(control) = parts.next() {
        let doc = doc.parse::<D>().ok();
        let control = match control {
            "recheck" => Control::Recheck,
            "shutdown" if doc.is_some() => Control::Shutdown,
            _ => return None,
        };
        let reason = String::from_utf8_lossy(body).into_owned();
        return Some(Relayed::Control { app, doc, control, reason });
    }
    let doc = doc.parse::<D>().ok()?;
    Some(Relayed::Frame { app, doc, frame: body.to_vec() })
}

/// Carries relay messages to the other nodes.
pub trait Publisher: Send + Sync + 'static {
    /// Publishes one encoded message (see [`encode_frame`], [`encode_control`]).
    fn publish(&self, payload: Vec<u8>) -> BoxFuture<'_, Result<(), RelayError>>;
}

/// Publishes on [`RELAY_CHANNEL`] through a multiplexed Redis connection.
struct RedisPublisher {
    conn: redis::aio::MultiplexedConnection,
}

impl Publisher for RedisPublisher {
    fn publish(&self, payload: Vec<u8>) -> BoxFuture<'_, Result<(), RelayError>> {
        let mut conn = self.conn.clone();
        Box::pin(async move {
            let _receivers: i64 = redis::cmd("PUBLISH").arg(RELAY_CHANNEL).arg(payload).query_async(&mut conn).await?;
            Ok(())
        })
    }
}

impl<S: DocStore> Collab<S> {
    /// Relays frames with the other nodes through Redis: updates and awareness
    /// of a document loaded here reach its editors on every node, and
    /// shutdowns and role changes reach every node's connections. The
    /// subscription reconnects (every second) when it is lost; it ends when
    /// the [`Collab`] is dropped. Calling it again (or after
    /// [`Collab::attach_relay`]) changes nothing.
    pub async fn start_relay(self: &Arc<Self>, client: &redis::Client) -> Result<(), RelayError> {
        let conn = client.get_multiplexed_async_connection().await?;
        let node: u64 = rand::random();
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(RELAY_CHANNEL).await?;
        if !self.attach_relay(node, RedisPublisher { conn }) {
            // Already relaying: one subscription is enough.
            return Ok(());
        }
        let collab = Arc::downgrade(self);
        let client = client.clone();
        tokio::spawn(async move {
            loop {
                {
                    let mut messages = pubsub.on_message();
                    while let Some(msg) = messages.next().await {
                        let Some(collab) = collab.upgrade() else { return };
                        collab.on_relayed(msg.get_payload_bytes());
                    }
                }
                tracing::warn!("collab relay subscription lost; reconnecting");
                loop {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    if collab.strong_count() == 0 {
                        return;
                    }
                    if let Ok(mut p) = client.get_async_pubsub().await
                        && p.subscribe(RELAY_CHANNEL).await.is_ok()
                    {
                        pubsub = p;
                        break;
                    }
                }
            }
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Parsed = Option<Relayed<u32, u32>>;

    #[test]
    fn frames_round_trip_and_keep_binary_bodies() {
        let frame = vec![0, 2, b'\n', 0xff, b' '];
        let payload = encode_frame(7, 1, 2, &frame);
        assert_eq!(&payload[..6], b"7 1 2\n");
        let parsed: Parsed = parse(8, &payload);
        assert_eq!(parsed, Some(Relayed::Frame { app: 1, doc: 2, frame }));
    }

    #[test]
    fn controls_round_trip_with_one_or_every_document() {
        let one = encode_control(7, 1, Some(2), Control::Shutdown, "document deleted");
        assert_eq!(one, b"7 1 2 shutdown\ndocument deleted");
        let parsed: Parsed = parse(8, &one);
        assert_eq!(
            parsed,
            Some(Relayed::Control {
                app: 1,
                doc: Some(2),
                control: Control::Shutdown,
                reason: "document deleted".into()
            })
        );
        let every = encode_control(7, 1, None::<u32>, Control::Recheck, "");
        assert_eq!(every, b"7 1 * recheck\n");
        let parsed: Parsed = parse(8, &every);
        assert_eq!(
            parsed,
            Some(Relayed::Control { app: 1, doc: None, control: Control::Recheck, reason: String::new() })
        );
    }

    #[test]
    fn own_unknown_and_garbage_messages_are_ignored() {
        let cases: [&[u8]; 9] = [
            b"7 1 2\nframe",        // published by this node
            b"7 1 2 recheck\n",     // published by this node
            b"8 1 2 rename\n",      // an unknown control
            b"8 1 * shutdown\nwhy", // a shutdown of every document is not a thing
            b"8 x 2\nframe",        // app does not parse
            b"8 1 y\nframe",        // doc does not parse
            b"8 1 2 no newline",    // no head
            b"8 1\nframe",          // too few parts
            b"8 \xff 2\nframe",     // not UTF-8
        ];
        for payload in cases {
            let parsed: Parsed = parse(7, payload);
            assert_eq!(parsed, None, "{:?}", String::from_utf8_lossy(payload));
        }
        // Another node's number parses even if it is not ours; a bad node number is not ours either.
        let parsed: Parsed = parse(7, b"node 1 2\nf");
        assert_eq!(parsed, Some(Relayed::Frame { app: 1, doc: 2, frame: b"f".to_vec() }));
    }
}
