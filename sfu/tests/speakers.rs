//! Active speakers: audio packets carry RFC 6464 levels; a loud participant is
//! announced to the room in `call.speakers`, and silence ends it.

mod sim;

use std::time::Duration;

use sim::World;
use str0m::media::{Frequency, MediaTime};

#[test]
fn loud_participants_are_announced_as_speakers() {
    let mut w = World::new();
    let (_, audio) = w.join_with(1, false, true);
    let audio = audio.expect("audio mid");
    w.join(2, false);
    w.until(Duration::from_secs(10), "connected", |w| {
        w.peers.iter().all(|p| p.connected) && w.peers[1].open_tracks == 1
    });
    let mut n = 0u64;
    let mut talk = |w: &mut World, level: i8, packets: usize| {
        for _ in 0..packets {
            let now = w.now;
            let writer = w.peers[0].rtc.writer(audio).expect("writer").audio_level(level, level > -60);
            let pt = writer.payload_params().next().expect("opus").pt();
            writer
                .write(pt, now, MediaTime::new(n * 960, Frequency::FORTY_EIGHT_KHZ), vec![0xfc, 1, 2, 3])
                .expect("write");
            n += 1;
            w.advance(Duration::from_millis(20));
        }
    };
    talk(&mut w, -25, 50);
    let speakers = |w: &World| -> Vec<serde_json::Value> {
        w.peers[1].signals.iter().filter(|(e, _)| *e == "call.speakers").map(|(_, d)| d["speakers"].clone()).collect()
    };
    let reports = speakers(&w);
    let last = reports.last().expect("a speakers event");
    assert_eq!(last[0]["participant_id"], "p-1");
    assert!(last[0]["level"].as_u64().expect("level") <= 30);
    // Quiet now: the next report has nobody.
    talk(&mut w, -100, 50);
    assert_eq!(speakers(&w).last().expect("report"), &serde_json::json!([]));
}
