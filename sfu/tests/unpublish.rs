//! Stopping a track: the publisher's new offer no longer sends on a section;
//! everyone hears `call.track_unpublished`, and the subscriber gets a server
//! offer that removes the track. The publisher also hears its own
//! `call.track_published` (that is how it learns its track ids).

mod sim;

use std::collections::HashMap;
use std::time::Duration;

use caas_sfu::Source;
use sim::World;
use str0m::change::SdpAnswer;

#[test]
fn a_stopped_track_is_unpublished_everywhere() {
    let mut w = World::new();
    let mid = w.join(1, true).expect("publisher");
    w.join(2, false);
    w.until(Duration::from_secs(10), "connected", |w| {
        w.peers.iter().all(|p| p.connected) && w.peers[1].open_tracks == 1
    });
    let own = w.peers[0].signals.iter().find(|(e, _)| *e == "call.track_published").expect("own track announced");
    assert_eq!(own.1["track"]["source"], "camera");
    let track_id = own.1["track"]["track_id"].as_str().expect("id").to_owned();

    // The publisher stops sending video and offers again.
    let now = w.now;
    let mut change = w.peers[0].rtc.sdp_api();
    change.stop_media(mid);
    let (offer, pending) = change.apply().expect("offer");
    let answer =
        w.sfu.offer(now, w.peers[0].id, &offer.to_sdp_string(), HashMap::<String, Source>::new()).expect("answer");
    w.peers[0]
        .rtc
        .sdp_api()
        .accept_answer(pending, SdpAnswer::from_sdp_string(&answer).expect("sdp"))
        .expect("accepted");

    w.until(Duration::from_secs(5), "the subscriber's track removed", |w| w.peers[1].open_tracks == 0);
    for peer in &w.peers {
        let gone = peer.signals.iter().find(|(e, _)| *e == "call.track_unpublished").expect("unpublished announced");
        assert_eq!(gone.1["track_id"], track_id.as_str());
    }
}
