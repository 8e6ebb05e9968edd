//! Media forwarding: a published frame goes to every subscriber that receives
//! its track and layer; keyframe requests and simulcast layer targets.

use std::time::Instant;

use serde_json::json;
use str0m::media::{KeyframeRequestKind, MediaData, MediaKind, Mid};

use crate::engine::{Sfu, new_out, order_rids};
use crate::layers::target_layer;
use crate::peer::{OutState, TrackIn};
use crate::types::{ParticipantId, Source, TrackId};

impl Sfu {
    pub(crate) fn on_published(
        &mut self,
        p: ParticipantId,
        mid: Mid,
        kind: MediaKind,
        layers: Vec<str0m::media::SimulcastLayer>,
    ) {
        let Some(peer) = self.peers.get_mut(&p) else {
            return;
        };
        if peer.tracks_in.contains_key(&mid) {
            return;
        }
        let source = peer.sources.get(&mid.to_string()).copied().unwrap_or(if kind == MediaKind::Audio {
            Source::Microphone
        } else {
            Source::Camera
        });
        let id = TrackId { participant: p, n: peer.next_track };
        peer.next_track += 1;
        let now = peer.last_heard;
        let track = TrackIn {
            id,
            mid,
            kind,
            source,
            muted: false,
            rids: order_rids(layers.into_iter().map(|l| l.rid).collect()),
            layer_bytes: [0; 3],
            layer_bps: [0; 3],
            rate_since: now,
            layer_seen: [None; 3],
            last_keyframe_request: [None; 3],
        };
        let info = track.info();
        peer.tracks_in.insert(mid, track);
        let room = peer.room.clone();
        for &other in self.room_members(&room).iter() {
            if other == p {
                continue;
            }
            if let Some(op) = self.peers.get_mut(&other)
                && op.perms.can_subscribe
            {
                op.tracks_out.insert(id, new_out(kind));
            }
        }
        // The publisher hears it too: that is how it learns its track ids.
        self.broadcast(
            &room,
            None,
            "call.track_published",
            json!({
                "room_id": room.room, "participant_id": p.to_string(), "track": info,
            }),
        );
    }

    pub(crate) fn forward(&mut self, now: Instant, p: ParticipantId, data: MediaData) {
        let Some(peer) = self.peers.get_mut(&p) else {
            return;
        };
        peer.last_heard = now;
        let room = peer.room.clone();
        let Some(track) = peer.tracks_in.get_mut(&data.mid) else {
            return;
        };
        let Some(layer) = track.layer_of(data.rid) else {
            return;
        };
        track.layer_bytes[layer.min(2)] += data.data.len() as u64;
        self.counters.packets_in += 1;
        self.counters.bytes_in += data.data.len() as u64;
        let first_of_layer = track.layer_seen[layer.min(2)].replace(now).is_none() && track.rids.len() > 1;
        if track.muted {
            return;
        }
        let (id, kind) = (track.id, track.kind);
        if first_of_layer {
            // A layer started flowing: subscribers may want it.
            for &s in self.room_members(&room).iter() {
                if s != p {
                    self.retarget(now, s);
                }
            }
        }
        let keyframe = data.is_keyframe();
        if kind == MediaKind::Audio
            && let (Some(level), Some(r)) = (data.ext_vals.audio_level, self.rooms.get_mut(&room))
        {
            r.speakers.record(now, p, level);
        }
        if !data.contiguous && kind == MediaKind::Video {
            self.counters.video_gaps += 1;
            // A gap the publisher's retransmissions did not fill: ask for a fresh start.
            let rid = data.rid;
            if let Some(track) = self.peers.get_mut(&p).and_then(|peer| peer.tracks_in.get_mut(&data.mid))
                && track.keyframe_allowed(layer, now)
                && let Some(mut w) = self.peers.get_mut(&p).and_then(|peer| peer.rtc.writer(data.mid))
            {
                let _ = w.request_keyframe(rid, KeyframeRequestKind::Pli);
            }
        }
        let clock = data.time.frequency();
        for &s in self.room_members(&room).iter() {
            if s == p {
                continue;
            }
            let Some(sp) = self.peers.get_mut(&s) else {
                continue;
            };
            let Some(out) = sp.tracks_out.get_mut(&id) else {
                continue;
            };
            let OutState::Open(mid) = out.state else {
                continue;
            };
            if !out.enabled {
                continue;
            }
            let mut switched = false;
            if kind == MediaKind::Video {
                let d = out.layers.on_frame(layer, keyframe);
                if !d.forward {
                    continue;
                }
                switched = d.switched;
            }
            let incoming = data.time.numer();
            if switched {
                // Continue the subscriber's timeline one frame (at 30 fps) after the last written.
                out.time_offset = match out.last_time {
                    Some(last) => last.wrapping_add(u64::from(clock.get()) / 30).wrapping_sub(incoming),
                    None => 0,
                };
            }
            let time = incoming.wrapping_add(out.time_offset);
            if kind == MediaKind::Video
                && !switched
                && out.last_time.is_some_and(|last| last != time && last.wrapping_sub(time) < u64::MAX / 2)
            {
                // A frame completed late (its retransmission came after newer frames):
                // the subscriber's decoder is past it, and it would arrive out of order.
                continue;
            }
            out.last_time = Some(time);
            let Some(writer) = sp.rtc.writer(mid) else {
                continue;
            };
            let Some(pt) = writer.match_params(data.params) else {
                continue;
            };
            let media_time = str0m::media::MediaTime::new(time, clock);
            // A frame's network time is its first packet's arrival: one repaired entirely by
            // retransmission can carry a later time than the frame after it. str0m sends
            // queued frames in wall-clock order, so keep the clock from going back.
            let wallclock = out.last_wallclock.map_or(data.network_time, |w| w.max(data.network_time));
            out.last_wallclock = Some(wallclock);
            if let Err(e) = writer.write(pt, wallclock, media_time, data.data.clone()) {
                tracing::debug!(participant = %s, error = %e, "forwarding failed");
                continue;
            }
            if sp.connected {
                // What str0m queues for a peer whose ICE never completed never leaves: not egress.
                sp.bytes_out += data.data.len() as u64;
                self.counters.packets_forwarded += 1;
                self.counters.bytes_forwarded += data.data.len() as u64;
            }
            self.dirty.push(s);
        }
    }

    /// Asks the publisher of `track` for a keyframe of the layer `subscriber` waits for.
    pub(crate) fn request_keyframe_for(&mut self, now: Instant, subscriber: ParticipantId, track: TrackId) {
        let layer = self
            .peers
            .get(&subscriber)
            .and_then(|sp| sp.tracks_out.get(&track))
            .map(|o| o.layers.target())
            .unwrap_or(0);
        let Some(publisher) = self.peers.get_mut(&track.participant) else {
            return;
        };
        let Some(t) = publisher.tracks_in.values_mut().find(|t| t.id == track) else {
            return;
        };
        if t.kind != MediaKind::Video || !t.keyframe_allowed(layer, now) {
            return;
        }
        let rid = t.rids.get(layer).copied();
        let mid = t.mid;
        if let Some(mut w) = publisher.rtc.writer(mid) {
            let _ = w.request_keyframe(rid, KeyframeRequestKind::Pli);
        }
        self.dirty.push(track.participant);
    }

    /// Recomputes the target layers of `p`'s video subscriptions.
    pub(crate) fn retarget(&mut self, now: Instant, p: ParticipantId) {
        let Some(peer) = self.peers.get(&p) else {
            return;
        };
        let videos = peer.tracks_out.values().filter(|t| t.kind == MediaKind::Video && t.enabled).count().max(1);
        let budget = peer.bwe_bps.map(|b| b * 9 / 10 / videos as u64);
        let plans: Vec<(TrackId, usize)> = peer
            .tracks_out
            .iter()
            .filter(|(_, t)| t.kind == MediaKind::Video)
            .map(|(id, t)| {
                let (rates, available) = self
                    .peers
                    .get(&id.participant)
                    .and_then(|pp| pp.tracks_in.values().find(|ti| ti.id == *id))
                    .map(|ti| (ti.bitrates().to_vec(), ti.available(now)))
                    .unwrap_or_else(|| (vec![0], vec![true]));
                (*id, target_layer(&rates, &available, t.max_height, budget))
            })
            .collect();
        let mut need = Vec::new();
        if let Some(peer) = self.peers.get_mut(&p) {
            for (id, target) in plans {
                if let Some(t) = peer.tracks_out.get_mut(&id)
                    && t.layers.set_target(target)
                    && matches!(t.state, OutState::Open(_))
                    && t.enabled
                {
                    need.push(id);
                }
            }
        }
        for id in need {
            self.request_keyframe_for(now, p, id);
        }
    }
}
