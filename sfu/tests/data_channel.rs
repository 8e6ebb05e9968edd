//! In-call messages: text sent on a participant's data channel reaches the
//! others' data channels, wrapped with the sender's participant id; binary
//! messages pass unchanged; the sender does not get its own message back.

mod sim;

use std::time::Duration;

use serde_json::Value;
use sim::World;

#[test]
fn data_channel_messages_are_relayed_to_the_room() {
    let mut w = World::new();
    w.join(1, false);
    w.join(2, false);
    w.join(3, false);
    w.until(Duration::from_secs(10), "data channels open", |w| w.peers.iter().all(|p| p.channel.is_some()));
    let id = w.peers[0].channel.expect("channel");
    w.peers[0].rtc.channel(id).expect("open").write(false, b"hello room").expect("write");
    w.peers[0].rtc.channel(id).expect("open").write(true, &[0, 1, 2, 255]).expect("write");
    w.until(Duration::from_secs(5), "both messages at both others", |w| {
        w.peers[1..].iter().all(|p| p.channel_data.len() == 2)
    });
    for p in &w.peers[1..] {
        let text = p.channel_data.iter().find(|d| !d.binary).expect("text");
        let v: Value = serde_json::from_slice(&text.data).expect("JSON");
        assert_eq!(v["participant_id"], "p-1");
        assert_eq!(v["data"], "hello room");
        let bin = p.channel_data.iter().find(|d| d.binary).expect("binary");
        assert_eq!(bin.data, vec![0, 1, 2, 255]);
    }
    w.advance(Duration::from_millis(100));
    assert!(w.peers[0].channel_data.is_empty(), "no echo to the sender");
}
