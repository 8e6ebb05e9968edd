//! Send timestamps carried inside the inserted text.
//!
//! Every update inserts `@<client hex>.<sent_ns hex>#` into the shared text.
//! Yjs v1 updates (yrs and yjs alike) store inserted strings verbatim as UTF-8,
//! and a server that merges updates keeps each stamp contiguous, so a receiver
//! finds every stamp by scanning the frame's bytes — without decoding or
//! applying the update.

/// The text one update inserts.
pub fn encode(client: u32, sent_ns: u64) -> String {
    format!("@{client:x}.{sent_ns:x}#")
}

/// Every `(client, sent_ns)` stamp in `bytes`, in order.
pub fn scan(bytes: &[u8]) -> Vec<(u32, u64)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'@'
            && let Some((stamp, len)) = parse_at(&bytes[i + 1..])
        {
            out.push(stamp);
            i += 1 + len;
            continue;
        }
        i += 1;
    }
    out
}

/// `<hex>.<hex>#` at the start of `b`: the stamp and the bytes it took.
fn parse_at(b: &[u8]) -> Option<((u32, u64), usize)> {
    let (client, n1) = hex(b, 8)?;
    if b.get(n1) != Some(&b'.') {
        return None;
    }
    let (ns, n2) = hex(&b[n1 + 1..], 16)?;
    if b.get(n1 + 1 + n2) != Some(&b'#') {
        return None;
    }
    Some(((u32::try_from(client).ok()?, ns), n1 + n2 + 2))
}

/// A lowercase hex number of 1..=`max` digits at the start of `b`.
fn hex(b: &[u8], max: usize) -> Option<(u64, usize)> {
    let mut v = 0u64;
    let mut n = 0;
    while n < b.len() && n < max {
        let d = match b[n] {
            c @ b'0'..=b'9' => c - b'0',
            c @ b'a'..=b'f' => c - b'a' + 10,
            _ => break,
        };
        v = (v << 4) | u64::from(d);
        n += 1;
    }
    (n > 0).then_some((v, n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::updates::encoder::Encode;
    use yrs::{Doc, Text, Transact};

    #[test]
    fn round_trip() {
        for (c, ns) in [(0, 0), (7, 1), (199, 123_456_789_012), (u32::MAX, u64::MAX)] {
            let s = encode(c, ns);
            assert_eq!(scan(s.as_bytes()), vec![(c, ns)], "{s}");
        }
    }

    #[test]
    fn finds_several_and_skips_noise() {
        let mut b = b"\x00\x02@zz@1.#@.5#@12".to_vec();
        b.extend_from_slice(encode(3, 0xabc).as_bytes());
        b.extend_from_slice(b"\x07");
        b.extend_from_slice(encode(4, 10).as_bytes());
        b.extend_from_slice(encode(5, 11).as_bytes());
        // "@12@3.abc#": the first `@12` is not a stamp, the next one is.
        assert_eq!(scan(&b), vec![(3, 0xabc), (4, 10), (5, 11)]);
        assert!(scan(b"@1.2").is_empty());
        assert!(scan(b"@123456789.2#").is_empty(), "client ids are at most 8 hex digits");
        assert!(scan(b"").is_empty());
    }

    #[test]
    fn stamps_survive_yrs_update_encoding_and_merging() {
        let doc = Doc::with_client_id(42);
        let t = doc.get_or_insert_text("t");
        let mut updates = Vec::new();
        for k in 0..3u64 {
            let mut txn = doc.transact_mut();
            let len = t.len(&txn);
            t.insert(&mut txn, len, &encode(9, 1000 + k));
            updates.push(txn.encode_update_v1());
        }
        assert_eq!(scan(&updates[1]), vec![(9, 1001)]);
        let frame = yrs::sync::Message::Sync(yrs::sync::SyncMessage::Update(updates[2].clone())).encode_v1();
        assert_eq!(scan(&frame), vec![(9, 1002)]);
        let merged = yrs::merge_updates_v1(&updates).expect("merge");
        assert_eq!(scan(&merged), vec![(9, 1000), (9, 1001), (9, 1002)]);
    }
}
