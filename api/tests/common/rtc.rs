//! A WebRTC peer for the tests: str0m as a full-ICE client (like a browser),
//! with its own UDP socket on 127.0.0.1, signaling through a [`WsClient`].

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use str0m::change::{SdpAnswer, SdpOffer};
use str0m::media::{Direction, MediaData, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};

use super::WsClient;

/// A VP8 frame (keyframe or not) around `body`.
pub fn vp8_frame(key: bool, body: &[u8]) -> Vec<u8> {
    let mut f =
        if key { vec![0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01] } else { vec![0x11, 0x02, 0x00] };
    f.extend_from_slice(body);
    f
}

/// A call peer.
pub struct Peer {
    pub rtc: Rtc,
    pub socket: UdpSocket,
    pub local: SocketAddr,
    pub room: String,
    pub connected: bool,
    pub received: Vec<MediaData>,
    pub keyframe_requests: u32,
    /// Mid -> (participant_id, track_id) from the server's offers.
    pub remote_tracks: HashMap<String, (String, String)>,
    /// Our sending mids.
    pub mids: Vec<Mid>,
}

impl Peer {
    /// Joins `room` over `ws`, offers audio and video if `publish` (and a data
    /// channel always), applies the answer. Returns the peer and the join reply.
    pub async fn join(ws: &mut WsClient, room: &str, publish: bool) -> (Peer, Value) {
        let joined = ws.ok("call.join", json!({"room_id": room})).await;
        let mut rtc = Rtc::builder().build(Instant::now());
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
        socket.set_nonblocking(true).expect("nonblocking");
        let local = socket.local_addr().expect("addr");
        rtc.add_local_candidate(Candidate::host(local, "udp").expect("candidate"));
        let mut change = rtc.sdp_api();
        let mut mids = Vec::new();
        if publish {
            mids.push(change.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None));
            mids.push(change.add_media(MediaKind::Video, Direction::SendOnly, None, None, None));
        }
        change.add_channel("caas".into());
        let (offer, pending) = change.apply().expect("offer");
        let mut sources = serde_json::Map::new();
        if publish {
            sources.insert(mids[0].to_string(), json!("microphone"));
            sources.insert(mids[1].to_string(), json!("camera"));
        }
        let answer =
            ws.ok("call.offer", json!({"room_id": room, "sdp": offer.to_sdp_string(), "sources": sources})).await;
        let answer = SdpAnswer::from_sdp_string(answer["sdp"].as_str().expect("sdp")).expect("answer sdp");
        rtc.sdp_api().accept_answer(pending, answer).expect("accept answer");
        let peer = Peer {
            rtc,
            socket,
            local,
            room: room.to_owned(),
            connected: false,
            received: Vec::new(),
            keyframe_requests: 0,
            remote_tracks: HashMap::new(),
            mids,
        };
        (peer, joined)
    }

    /// Answers a server offer (if one is waiting on `ws`), then moves datagrams and timers.
    pub async fn step(&mut self, ws: &mut WsClient) {
        if let Some(ev) = ws.try_event("call.offer", Duration::from_millis(1)).await {
            let d = &ev["data"];
            for (mid, t) in d["tracks"].as_object().expect("tracks") {
                self.remote_tracks.insert(
                    mid.clone(),
                    (t["participant_id"].as_str().expect("p").into(), t["track_id"].as_str().expect("t").into()),
                );
            }
            let offer = SdpOffer::from_sdp_string(d["sdp"].as_str().expect("sdp")).expect("offer sdp");
            let answer = self.rtc.sdp_api().accept_offer(offer).expect("accept offer");
            ws.ok(
                "call.answer",
                json!({"room_id": self.room, "offer_id": d["offer_id"], "sdp": answer.to_sdp_string()}),
            )
            .await;
        }
        let mut buf = [0u8; 2048];
        loop {
            match self.socket.recv_from(&mut buf) {
                Ok((n, source)) => {
                    let Ok(contents) = buf[..n].try_into() else { continue };
                    let input = Input::Receive(
                        Instant::now(),
                        Receive { proto: Protocol::Udp, source, destination: self.local, contents },
                    );
                    self.rtc.handle_input(input).expect("input");
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("recv: {e}"),
            }
        }
        self.rtc.handle_input(Input::Timeout(Instant::now())).expect("timeout");
        loop {
            match self.rtc.poll_output().expect("output") {
                Output::Timeout(_) => break,
                Output::Transmit(t) => {
                    let _ = self.socket.send_to(&t.contents, t.destination);
                }
                Output::Event(Event::Connected) => self.connected = true,
                Output::Event(Event::MediaData(d)) => self.received.push(d),
                Output::Event(Event::KeyframeRequest(_)) => self.keyframe_requests += 1,
                Output::Event(_) => {}
            }
        }
    }

    /// Writes a frame on one of our mids.
    pub fn write(&mut self, mid: Mid, time: MediaTime, data: Vec<u8>) {
        let Some(writer) = self.rtc.writer(mid) else { return };
        let Some(pt) = writer.payload_params().next().map(|p| p.pt()) else { return };
        writer.write(pt, Instant::now(), time, data).expect("write");
    }
}
