//! Negotiation: the client's offers and answers, trickled candidates, and the
//! server's own offers when tracks come or go.

use std::collections::HashMap;
use std::time::Instant;

use serde_json::{Value, json};
use str0m::Candidate;
use str0m::change::{SdpAnswer, SdpOffer};
use str0m::media::Direction;

use crate::engine::{Sfu, SfuOutput, source_name};
use crate::peer::OutState;
use crate::sdp;
use crate::types::{ParticipantId, SfuError, Source};

impl Sfu {
    /// Applies the client's offer; returns the server's answer.
    pub fn offer(
        &mut self,
        now: Instant,
        p: ParticipantId,
        offer_sdp: &str,
        sources: HashMap<String, Source>,
    ) -> Result<String, SfuError> {
        if offer_sdp.len() > sdp::MAX_SDP_BYTES {
            return Err(SfuError::InvalidSdp(format!("longer than {} bytes", sdp::MAX_SDP_BYTES)));
        }
        let peer = self.peers.get_mut(&p).ok_or(SfuError::NotJoined)?;
        // Check what is published against the grants before touching the connection.
        let mut resolved = HashMap::new();
        for section in sdp::sections(offer_sdp) {
            if !section.sends || section.rejected || section.kind == "application" {
                continue;
            }
            let mid = section.mid.clone().unwrap_or_default();
            let source = match sources.get(&mid) {
                Some(s) => *s,
                None if section.kind == "audio" => Source::Microphone,
                None => Source::Camera,
            };
            if source.is_audio() != (section.kind == "audio") {
                return Err(SfuError::InvalidSdp(format!(
                    "mid {mid}: a {} section cannot carry {source:?}",
                    section.kind
                )));
            }
            // A sending section the client already had stays allowed only if it still may publish.
            if !peer.perms.may_publish(source) {
                return Err(SfuError::Forbidden(format!("you may not publish {}", source_name(source))));
            }
            resolved.insert(mid, source);
        }
        let offer = SdpOffer::from_sdp_string(offer_sdp).map_err(|e| SfuError::InvalidSdp(e.to_string()))?;
        // A client offer wins over a pending server offer (glare): it is redone later.
        if peer.pending.take().is_some() {
            for t in peer.tracks_out.values_mut() {
                t.state = match t.state {
                    OutState::Negotiating(_) => OutState::ToOpen,
                    OutState::NegotiatingStop(m) => OutState::ToStop(m),
                    s => s,
                };
            }
        }
        peer.sources = resolved;
        let answer = peer.rtc.sdp_api().accept_offer(offer).map_err(|e| SfuError::InvalidSdp(e.to_string()))?;
        peer.negotiated = true;
        let mut answer = answer.to_sdp_string();
        // An ICE restart by the client makes str0m pick new local credentials.
        // Ours must keep the worker tag and stay routable: swap them in, in the
        // agent and in the answer.
        let fresh = peer.rtc.direct_api().local_ice_credentials();
        if fresh.ufrag != peer.ufrag {
            let mut ours = str0m::IceCreds::new();
            ours.ufrag.push_str(&self.config.ufrag_suffix);
            peer.rtc.direct_api().set_local_ice_credentials(ours.clone());
            answer = answer.replace(&fresh.ufrag, &ours.ufrag).replace(&fresh.pass, &ours.pass);
            let old = std::mem::replace(&mut peer.ufrag, ours.ufrag.clone());
            self.by_ufrag.remove(&old);
            self.by_ufrag.insert(ours.ufrag, p);
        }
        self.dirty.push(p);
        self.process(now);
        self.reconcile_published(p);
        Ok(answer)
    }

    /// Applies the client's answer to server offer `offer_id`.
    pub fn answer(&mut self, now: Instant, p: ParticipantId, offer_id: &str, answer_sdp: &str) -> Result<(), SfuError> {
        let peer = self.peers.get_mut(&p).ok_or(SfuError::NotJoined)?;
        if peer.pending.as_ref().is_none_or(|(id, _)| id != offer_id) {
            return Err(SfuError::StaleOffer);
        }
        let answer = SdpAnswer::from_sdp_string(answer_sdp).map_err(|e| SfuError::InvalidSdp(e.to_string()))?;
        let Some((_, pending)) = peer.pending.take() else {
            return Err(SfuError::StaleOffer);
        };
        if let Err(e) = peer.rtc.sdp_api().accept_answer(pending, answer) {
            // The offer is gone either way; put its tracks back to be offered again.
            for t in peer.tracks_out.values_mut() {
                t.state = match t.state {
                    OutState::Negotiating(_) => OutState::ToOpen,
                    OutState::NegotiatingStop(m) => OutState::ToStop(m),
                    s => s,
                };
            }
            return Err(SfuError::InvalidSdp(e.to_string()));
        }
        let mut opened = Vec::new();
        peer.tracks_out.retain(|id, t| match t.state {
            OutState::Negotiating(m) => {
                t.state = OutState::Open(m);
                opened.push(*id);
                true
            }
            OutState::NegotiatingStop(_) => false,
            _ => true,
        });
        // New subscribers need a keyframe to start.
        for id in opened {
            self.request_keyframe_for(now, p, id);
        }
        self.dirty.push(p);
        self.process(now);
        Ok(())
    }

    /// Adds a trickled remote candidate (`candidate:…`, with or without `a=`).
    pub fn candidate(&mut self, p: ParticipantId, candidate: &str) -> Result<(), SfuError> {
        let peer = self.peers.get_mut(&p).ok_or(SfuError::NotJoined)?;
        let c = candidate.trim().trim_start_matches("a=");
        if c.is_empty() {
            return Ok(());
        }
        let parsed = Candidate::from_sdp_string(c).map_err(|e| SfuError::InvalidCandidate(e.to_string()))?;
        peer.rtc.add_remote_candidate(parsed);
        Ok(())
    }

    pub(crate) fn renegotiate(&mut self, p: ParticipantId) {
        let offer_id = format!("o-{}", self.next_offer);
        self.next_offer += 1;
        let Some(peer) = self.peers.get_mut(&p) else {
            return;
        };
        let mut change = peer.rtc.sdp_api();
        let mut planned = Vec::new();
        for (id, t) in &peer.tracks_out {
            match t.state {
                OutState::ToOpen => {
                    let mid = change.add_media(
                        t.kind,
                        Direction::SendOnly,
                        Some(id.participant.to_string()),
                        Some(id.to_string()),
                        None,
                    );
                    planned.push((*id, OutState::Negotiating(mid)));
                }
                OutState::ToStop(mid) => {
                    change.stop_media(mid);
                    planned.push((*id, OutState::NegotiatingStop(mid)));
                }
                _ => {}
            }
        }
        let Some((offer, pending)) = change.apply() else {
            return;
        };
        for (id, state) in planned {
            if let Some(t) = peer.tracks_out.get_mut(&id) {
                t.state = state;
            }
        }
        peer.pending = Some((offer_id.clone(), pending));
        let tracks: serde_json::Map<String, Value> = peer
            .tracks_out
            .iter()
            .filter_map(|(id, t)| match t.state {
                OutState::Negotiating(m) | OutState::Open(m) => Some((
                    m.to_string(),
                    json!({"participant_id": id.participant.to_string(), "track_id": id.to_string()}),
                )),
                _ => None,
            })
            .collect();
        let data = json!({
            "room_id": peer.room.room, "offer_id": offer_id, "sdp": offer.to_sdp_string(), "tracks": tracks,
        });
        self.out.push_back(SfuOutput::Signal { to: p, event: "call.offer", data });
    }

    /// After a client offer: tracks whose section no longer sends are
    /// unpublished (subscribers get a removal offer and `call.track_unpublished`);
    /// a section that sends again is published again.
    pub(crate) fn reconcile_published(&mut self, p: ParticipantId) {
        let Some(peer) = self.peers.get_mut(&p) else {
            return;
        };
        let gone: Vec<_> = peer
            .tracks_in
            .iter()
            .filter(|(mid, _)| !peer.sources.contains_key(&mid.to_string()))
            .map(|(mid, t)| (*mid, t.id))
            .collect();
        // Only a section unpublished before can come back here; new sections
        // are published by str0m's MediaAdded.
        let again: Vec<_> = peer
            .unpublished
            .iter()
            .filter(|mid| peer.sources.contains_key(&mid.to_string()))
            .filter_map(|mid| {
                let media = peer.rtc.media(*mid)?;
                let rids = match media.rids_rx() {
                    str0m::media::Rids::Specific(r) => {
                        r.iter().map(|rid| str0m::media::SimulcastLayer::new(rid)).collect()
                    }
                    _ => Vec::new(),
                };
                media.direction().is_receiving().then_some((*mid, media.kind(), rids))
            })
            .collect();
        for (mid, _) in &gone {
            peer.tracks_in.remove(mid);
            peer.unpublished.insert(*mid);
        }
        for (mid, _, _) in &again {
            peer.unpublished.remove(mid);
        }
        let room = peer.room.clone();
        for (_, id) in gone {
            for &other in self.room_members(&room).iter() {
                let Some(op) = self.peers.get_mut(&other) else {
                    continue;
                };
                match op.tracks_out.get(&id).map(|t| t.state) {
                    Some(OutState::ToOpen) => {
                        op.tracks_out.remove(&id);
                    }
                    Some(OutState::Negotiating(m)) | Some(OutState::Open(m)) => {
                        if let Some(t) = op.tracks_out.get_mut(&id) {
                            t.state = OutState::ToStop(m);
                        }
                    }
                    _ => {}
                }
            }
            self.broadcast(
                &room,
                None,
                "call.track_unpublished",
                json!({"room_id": room.room, "participant_id": p.to_string(), "track_id": id.to_string()}),
            );
        }
        for (mid, kind, rids) in again {
            self.on_published(p, mid, kind, rids);
        }
    }
}
