//! Housekeeping of the engine (reaping dead peers, layer bitrates, usage,
//! active speakers, due renegotiations) and the relay of data-channel messages.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::engine::Sfu;
use crate::types::ParticipantId;

impl Sfu {
    pub(crate) fn tick(&mut self, now: Instant) {
        // Reap peers that never connected or went silent.
        let dead: Vec<(ParticipantId, &'static str)> = self
            .peers
            .values()
            .filter_map(|p| {
                if !p.rtc.is_alive() {
                    Some((p.id, if p.connected { "disconnected" } else { "ice_timeout" }))
                } else if (!p.connected && now.saturating_duration_since(p.joined_at) > self.config.connect_timeout)
                    || (p.connected && now.saturating_duration_since(p.last_heard) > self.config.idle_timeout)
                {
                    // Never connected in time, or connected but silent for too long.
                    Some((p.id, "ice_timeout"))
                } else {
                    None
                }
            })
            .collect();
        for (p, reason) in dead {
            self.remove(now, p, reason);
        }
        // Layer bitrates, once a second.
        let mut retarget = Vec::new();
        for peer in self.peers.values_mut() {
            for t in peer.tracks_in.values_mut() {
                let elapsed = now.saturating_duration_since(t.rate_since);
                if elapsed >= Duration::from_secs(1) {
                    for l in 0..3 {
                        t.layer_bps[l] = t.layer_bytes[l] * 8 * 1000 / elapsed.as_millis().max(1) as u64;
                        t.layer_bytes[l] = 0;
                    }
                    t.rate_since = now;
                    if t.rids.len() > 1 {
                        retarget.push(peer.room.clone());
                    }
                }
            }
            let video = peer.has_video();
            if video != peer.video_now {
                peer.account(now);
                peer.video_now = video;
            }
        }
        retarget.sort();
        retarget.dedup();
        for room in retarget {
            for &p in self.room_members(&room).iter() {
                self.retarget(now, p);
            }
        }
        // Active speakers.
        let mut reports = Vec::new();
        for (key, room) in &mut self.rooms {
            if let Some(speakers) = room.speakers.poll(now) {
                let list: Vec<Value> = speakers
                    .iter()
                    .map(|(p, level)| json!({"participant_id": p.to_string(), "level": level}))
                    .collect();
                reports.push((key.clone(), list));
            }
        }
        for (room, list) in reports {
            self.broadcast(&room, None, "call.speakers", json!({"room_id": room.room, "speakers": list}));
        }
        // Offers for tracks that came or went.
        let due: Vec<ParticipantId> = self.peers.values().filter(|p| p.needs_negotiation()).map(|p| p.id).collect();
        for p in due {
            self.renegotiate(p);
        }
    }

    /// Relays a data-channel message to everyone else in the room: text wrapped
    /// as `{"participant_id": …, "data": "<text>"}`, binary unchanged.
    pub(crate) fn relay(&mut self, p: ParticipantId, d: str0m::channel::ChannelData) {
        const MAX_MESSAGE: usize = 64 * 1024;
        let Some((room, channel)) = self.peers.get(&p).map(|peer| (peer.room.clone(), peer.channel)) else {
            return;
        };
        // Only the participant's first channel is relayed; others are its own business.
        if channel != Some(d.id) || d.data.len() > MAX_MESSAGE {
            return;
        }
        let payload = if d.binary {
            d.data
        } else {
            let text = String::from_utf8_lossy(&d.data);
            json!({"participant_id": p.to_string(), "data": text}).to_string().into_bytes()
        };
        // Escaping can grow text; what is relayed stays within the documented limit too.
        if payload.len() > MAX_MESSAGE + 256 {
            return;
        }
        for &other in self.room_members(&room).iter() {
            if other == p {
                continue;
            }
            let Some(op) = self.peers.get_mut(&other) else {
                continue;
            };
            let Some(id) = op.channel else {
                continue;
            };
            if let Some(mut ch) = op.rtc.channel(id) {
                // A full channel buffer drops the message for that receiver only.
                let _ = ch.write(d.binary, &payload);
                self.dirty.push(other);
            }
        }
    }
}
