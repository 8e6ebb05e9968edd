//! The SFU on tokio: one UDP socket shared by a worker per core. Each worker
//! runs an [`Sfu`] engine owning whole rooms (chosen by a hash of the room), so
//! a room's forwarding never crosses threads.
//!
//! A reader task receives every datagram and hands it to its worker: by source
//! address when known, else — for STUN — by the worker tag at the end of the
//! ICE ufrag (`…w1`), remembering the address. Queues to workers are bounded;
//! a worker that falls behind loses datagrams, as a congested network would.

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use serde_json::Value;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};

use crate::engine::{Sfu, SfuConfig, SfuOutput};
use crate::types::{ParticipantId, ParticipantInfo, Permissions, RoomKey, SfuError, Source, Usage};

/// Datagrams waiting for one worker before new ones are dropped.
const DATAGRAM_QUEUE: usize = 4096;
/// Most addresses the reader remembers before it starts over (they are relearned from STUN).
const MAX_ADDRESSES: usize = 200_000;

/// An event for one participant's signaling connection.
#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    /// Event name, e.g. `call.offer`.
    pub event: &'static str,
    /// Its data.
    pub data: Value,
}

/// A participant left (metering and clean-up for the signaling side).
#[derive(Debug, Clone)]
pub struct Departure {
    /// The participant.
    pub participant: ParticipantId,
    /// Its room.
    pub room: RoomKey,
    /// Its user.
    pub user: String,
    /// Time in the call.
    pub usage: Usage,
    /// `left`, `ice_timeout` or `disconnected`.
    pub reason: &'static str,
    /// It was the room's last participant (the call ended).
    pub last: bool,
}

type Reply<T> = oneshot::Sender<Result<T, SfuError>>;

enum Command {
    Join {
        p: ParticipantId,
        room: RoomKey,
        user: String,
        perms: Permissions,
        signals: mpsc::UnboundedSender<Signal>,
        reply: Reply<Vec<ParticipantInfo>>,
    },
    Offer {
        p: ParticipantId,
        sdp: String,
        sources: HashMap<String, Source>,
        reply: Reply<String>,
    },
    Answer {
        p: ParticipantId,
        offer_id: String,
        sdp: String,
        reply: Reply<()>,
    },
    Candidate {
        p: ParticipantId,
        candidate: String,
        reply: Reply<()>,
    },
    Mute {
        p: ParticipantId,
        track: String,
        muted: bool,
        reply: Reply<()>,
    },
    Subscribe {
        p: ParticipantId,
        track: String,
        enabled: Option<bool>,
        max_height: Option<u32>,
        reply: Reply<()>,
    },
    Leave {
        p: ParticipantId,
    },
    Stats {
        reply: oneshot::Sender<(usize, usize)>,
    },
    Rooms {
        reply: oneshot::Sender<Vec<(RoomKey, usize)>>,
    },
}

struct Datagram {
    source: SocketAddr,
    data: Vec<u8>,
}

/// Handle to the running SFU. Cheap to clone.
#[derive(Clone)]
pub struct SfuHandle {
    commands: Vec<mpsc::UnboundedSender<Command>>,
    next: Arc<AtomicU64>,
    local_addr: SocketAddr,
}

/// Why the SFU could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The UDP socket could not be bound.
    #[error("cannot bind the SFU's UDP socket {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

impl SfuHandle {
    /// Binds `bind`, advertises `public_ip` (default: the bound IP) and starts
    /// `workers` engines (at least one). Departures go to `departures`.
    pub async fn start(
        bind: SocketAddr,
        public_ip: Option<std::net::IpAddr>,
        workers: usize,
        departures: mpsc::UnboundedSender<Departure>,
    ) -> Result<SfuHandle, StartError> {
        let socket = UdpSocket::bind(bind).await.map_err(|source| StartError::Bind { addr: bind, source })?;
        let local = socket.local_addr().map_err(|source| StartError::Bind { addr: bind, source })?;
        let public = SocketAddr::new(public_ip.unwrap_or(local.ip()), local.port());
        let socket = Arc::new(socket);
        let workers = workers.clamp(1, 64);
        let mut commands = Vec::with_capacity(workers);
        let mut datagrams = Vec::with_capacity(workers);
        for w in 0..workers {
            let (ctx, crx) = mpsc::unbounded_channel();
            let (dtx, drx) = mpsc::channel(DATAGRAM_QUEUE);
            let mut config = SfuConfig::new(public);
            config.ufrag_suffix = format!("w{w}");
            tokio::spawn(worker(Sfu::new(config), socket.clone(), local, crx, drx, departures.clone()));
            commands.push(ctx);
            datagrams.push(dtx);
        }
        tokio::spawn(reader(socket, datagrams));
        tracing::info!(addr = %local, public = %public, workers, "sfu listening");
        Ok(SfuHandle { commands, next: Arc::new(AtomicU64::new(1)), local_addr: public })
    }

    /// The advertised media address.
    pub fn media_addr(&self) -> SocketAddr {
        self.local_addr
    }

    fn worker_of_room(&self, room: &RoomKey) -> usize {
        let mut h = DefaultHasher::new();
        room.hash(&mut h);
        (h.finish() % self.commands.len() as u64) as usize
    }

    fn worker_of(&self, p: ParticipantId) -> usize {
        (p.0 % self.commands.len() as u64) as usize
    }

    async fn call<T>(&self, p: ParticipantId, make: impl FnOnce(Reply<T>) -> Command) -> Result<T, SfuError> {
        let (tx, rx) = oneshot::channel();
        self.commands[self.worker_of(p)].send(make(tx)).map_err(|_| SfuError::NotJoined)?;
        rx.await.map_err(|_| SfuError::NotJoined)?
    }

    /// Joins `room` as `user`; returns the participant id, the others in the
    /// room and the stream of signals for this participant (it ends when the
    /// participant is gone).
    pub async fn join(
        &self,
        room: RoomKey,
        user: String,
        perms: Permissions,
    ) -> Result<(ParticipantId, Vec<ParticipantInfo>, mpsc::UnboundedReceiver<Signal>), SfuError> {
        let w = self.worker_of_room(&room);
        let n = self.commands.len() as u64;
        // Ids are spread so that `id % workers` names the room's worker.
        let seq = self.next.fetch_add(1, Ordering::Relaxed);
        let p = ParticipantId(seq * n + w as u64);
        let (signals, rx) = mpsc::unbounded_channel();
        let others = self.call(p, |reply| Command::Join { p, room, user, perms, signals, reply }).await?;
        Ok((p, others, rx))
    }

    /// The client's offer; returns the answer.
    pub async fn offer(
        &self,
        p: ParticipantId,
        sdp: String,
        sources: HashMap<String, Source>,
    ) -> Result<String, SfuError> {
        self.call(p, |reply| Command::Offer { p, sdp, sources, reply }).await
    }

    /// The client's answer to a server offer.
    pub async fn answer(&self, p: ParticipantId, offer_id: String, sdp: String) -> Result<(), SfuError> {
        self.call(p, |reply| Command::Answer { p, offer_id, sdp, reply }).await
    }

    /// A trickled candidate.
    pub async fn candidate(&self, p: ParticipantId, candidate: String) -> Result<(), SfuError> {
        self.call(p, |reply| Command::Candidate { p, candidate, reply }).await
    }

    /// Mutes or unmutes one's own track.
    pub async fn mute(&self, p: ParticipantId, track: String, muted: bool) -> Result<(), SfuError> {
        self.call(p, |reply| Command::Mute { p, track, muted, reply }).await
    }

    /// Changes a subscription.
    pub async fn subscribe(
        &self,
        p: ParticipantId,
        track: String,
        enabled: Option<bool>,
        max_height: Option<u32>,
    ) -> Result<(), SfuError> {
        self.call(p, |reply| Command::Subscribe { p, track, enabled, max_height, reply }).await
    }

    /// Leaves (idempotent).
    pub fn leave(&self, p: ParticipantId) {
        let _ = self.commands[self.worker_of(p)].send(Command::Leave { p });
    }

    /// Rooms and participants across workers.
    pub async fn stats(&self) -> (usize, usize) {
        let mut total = (0, 0);
        for c in &self.commands {
            let (tx, rx) = oneshot::channel();
            if c.send(Command::Stats { reply: tx }).is_ok()
                && let Ok((r, p)) = rx.await
            {
                total.0 += r;
                total.1 += p;
            }
        }
        total
    }

    /// Every room of this SFU with its number of participants.
    pub async fn rooms(&self) -> Vec<(RoomKey, usize)> {
        let mut all = Vec::new();
        for c in &self.commands {
            let (tx, rx) = oneshot::channel();
            if c.send(Command::Rooms { reply: tx }).is_ok()
                && let Ok(rooms) = rx.await
            {
                all.extend(rooms);
            }
        }
        all
    }
}

/// The worker tag at the end of a STUN request's target ufrag.
fn stun_worker(data: &[u8]) -> Option<usize> {
    if data.first().is_none_or(|b| *b > 3) {
        return None;
    }
    let msg = str0m::ice::StunMessage::parse(data).ok()?;
    let (local, _) = msg.split_username()?;
    let (_, tag) = local.rsplit_once('w')?;
    tag.parse().ok()
}

async fn reader(socket: Arc<UdpSocket>, workers: Vec<mpsc::Sender<Datagram>>) {
    let mut buf = vec![0u8; 2048];
    let mut routes: HashMap<SocketAddr, usize> = HashMap::new();
    loop {
        let (n, source) = match socket.recv_from(&mut buf).await {
            Ok(r) => r,
            Err(e) => {
                // ICMP errors surface here on some systems; the socket stays usable.
                tracing::debug!(error = %e, "sfu recv failed");
                continue;
            }
        };
        let data = &buf[..n];
        let w = match stun_worker(data).filter(|w| *w < workers.len()) {
            Some(w) => {
                if routes.len() >= MAX_ADDRESSES {
                    routes.clear();
                }
                routes.insert(source, w);
                w
            }
            None => match routes.get(&source) {
                Some(w) => *w,
                None => continue,
            },
        };
        if workers[w].try_send(Datagram { source, data: data.to_vec() }).is_err() {
            metrics_dropped();
        }
    }
}

fn metrics_dropped() {
    tracing::trace!("sfu worker queue full; datagram dropped");
}

async fn worker(
    mut sfu: Sfu,
    socket: Arc<UdpSocket>,
    local: SocketAddr,
    mut commands: mpsc::UnboundedReceiver<Command>,
    mut datagrams: mpsc::Receiver<Datagram>,
    departures: mpsc::UnboundedSender<Departure>,
) {
    let mut signals: HashMap<ParticipantId, mpsc::UnboundedSender<Signal>> = HashMap::new();
    let destination = local;
    let mut report = tokio::time::interval(std::time::Duration::from_secs(1));
    let mut reported = Reported::default();
    loop {
        let deadline = sfu.poll_timeout().map(tokio::time::Instant::from_std);
        tokio::select! {
            biased;
            cmd = commands.recv() => {
                let Some(cmd) = cmd else { return };
                let now = Instant::now();
                match cmd {
                    Command::Join { p, room, user, perms, signals: tx, reply } => {
                        let r = sfu.join(now, p, room, user, perms);
                        if r.is_ok() {
                            signals.insert(p, tx);
                        }
                        let _ = reply.send(r);
                    }
                    Command::Offer { p, sdp, sources, reply } => { let _ = reply.send(sfu.offer(now, p, &sdp, sources)); }
                    Command::Answer { p, offer_id, sdp, reply } => { let _ = reply.send(sfu.answer(now, p, &offer_id, &sdp)); }
                    Command::Candidate { p, candidate, reply } => { let _ = reply.send(sfu.candidate(p, &candidate)); }
                    Command::Mute { p, track, muted, reply } => { let _ = reply.send(sfu.mute(now, p, &track, muted)); }
                    Command::Subscribe { p, track, enabled, max_height, reply } => {
                        let _ = reply.send(sfu.subscribe(now, p, &track, enabled, max_height));
                    }
                    Command::Leave { p } => sfu.leave(now, p),
                    Command::Stats { reply } => { let _ = reply.send((sfu.room_count(), sfu.participant_count())); }
                    Command::Rooms { reply } => { let _ = reply.send(sfu.rooms()); }
                }
            }
            d = datagrams.recv() => {
                let Some(d) = d else { return };
                let now = Instant::now();
                sfu.handle_receive(now, d.source, destination_for(&sfu, destination), &d.data);
                // Take whatever else is queued before polling timers.
                while let Ok(d) = datagrams.try_recv() {
                    sfu.handle_receive(now, d.source, destination_for(&sfu, destination), &d.data);
                }
            }
            _ = sleep_until(deadline) => {
                sfu.handle_timeout(Instant::now());
            }
            _ = report.tick() => reported.report(&sfu),
        }
        while let Some(out) = sfu.poll_output() {
            match out {
                SfuOutput::Transmit { to, data, .. } => {
                    // UDP: a full socket buffer drops the datagram, as the network would.
                    let _ = socket.try_send_to(&data, to);
                }
                SfuOutput::Signal { to, event, data } => {
                    if let Some(tx) = signals.get(&to) {
                        let _ = tx.send(Signal { event, data });
                    }
                }
                SfuOutput::Left { participant, room, user, usage, reason, last } => {
                    signals.remove(&participant);
                    let _ = departures.send(Departure { participant, room, user, usage, reason, last });
                }
            }
        }
    }
}

/// What a worker last told the metrics recorder; each report adds the difference,
/// so that the workers' figures sum in one series.
#[derive(Default)]
struct Reported {
    counters: crate::engine::SfuCounters,
    rooms: usize,
    participants: usize,
    tracks: usize,
}

impl Reported {
    fn report(&mut self, sfu: &Sfu) {
        let c = sfu.counters();
        metrics::counter!("caas_sfu_packets_in_total").increment(c.packets_in - self.counters.packets_in);
        metrics::counter!("caas_sfu_bytes_in_total").increment(c.bytes_in - self.counters.bytes_in);
        metrics::counter!("caas_sfu_packets_forwarded_total")
            .increment(c.packets_forwarded - self.counters.packets_forwarded);
        metrics::counter!("caas_sfu_bytes_forwarded_total")
            .increment(c.bytes_forwarded - self.counters.bytes_forwarded);
        metrics::counter!("caas_sfu_video_gaps_total").increment(c.video_gaps - self.counters.video_gaps);
        self.counters = c;
        let gauge = |name: &'static str, now: usize, before: &mut usize| {
            metrics::gauge!(name).increment(now as f64 - *before as f64);
            *before = now;
        };
        gauge("caas_sfu_rooms", sfu.room_count(), &mut self.rooms);
        gauge("caas_sfu_participants", sfu.participant_count(), &mut self.participants);
        gauge("caas_sfu_tracks", sfu.track_count(), &mut self.tracks);
    }
}

/// The destination str0m should see: the advertised address (its local candidate).
fn destination_for(sfu: &Sfu, bound: SocketAddr) -> SocketAddr {
    sfu.public_addr().unwrap_or(bound)
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stun_worker_reads_the_tag_and_ignores_the_rest() {
        assert_eq!(stun_worker(&[]), None);
        assert_eq!(stun_worker(&[0x80, 1, 2, 3]), None, "RTP is not STUN");
        assert_eq!(stun_worker(&[0, 1, 0, 0, 0x21, 0x12]), None, "truncated STUN");
    }
}
