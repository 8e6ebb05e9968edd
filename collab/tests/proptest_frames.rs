//! Property: any frame from a client — random bytes, or a valid frame with
//! bytes flipped or cut — never panics the room, is either applied whole or
//! refused with a close, and never corrupts what was there.

use caas_collab::{Limits, Output, Role, Room};
use proptest::prelude::*;
use yrs::sync::{Message, SyncMessage};
use yrs::updates::encoder::Encode;
use yrs::{Doc, GetString, Text, Transact};

fn update_frame(text: &str) -> Vec<u8> {
    let doc = Doc::new();
    let t = doc.get_or_insert_text("t");
    let update = {
        let mut txn = doc.transact_mut();
        t.insert(&mut txn, 0, text);
        txn.encode_update_v1()
    };
    Message::Sync(SyncMessage::Update(update)).encode_v1()
}

fn frame() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..256),
        (proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4), any::<Option<usize>>()).prop_map(
            |(flips, cut)| {
                let mut f = update_frame("mutated");
                for (at, bit) in flips {
                    let i = at % f.len();
                    f[i] ^= 1 << (bit % 8);
                }
                if let Some(c) = cut {
                    f.truncate(c % (f.len() + 1));
                }
                f
            }
        ),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn frames_never_panic_or_corrupt(frames in proptest::collection::vec(frame(), 1..8)) {
        let mut room = Room::new(Limits::default());
        room.open(1, Role::Editor);
        room.receive(1, &update_frame("base"));
        room.drain();
        for f in &frames {
            room.open(1, Role::Editor);
            room.receive(1, f);
            for out in room.drain() {
                if let Output::Close { conn, .. } = out {
                    room.close(conn);
                }
            }
        }
        let t = room.doc().get_or_insert_text("t");
        let text = t.get_string(&room.doc().transact());
        prop_assert!(text.contains("base"), "base text intact: {:?}", text);
    }
}
