//! The Hocuspocus 4 wire protocol (`@hocuspocus/provider` ↔ `@hocuspocus/server`),
//! as far as the collab scenario needs it.
//!
//! Every frame, both ways, starts with the document's *address* — its name as a
//! lib0 varString (varUint byte length, then UTF-8) — followed by a varUint
//! message type (`MessageType` in `@hocuspocus/server` `src/types.ts`):
//!
//! | type | name | body |
//! |---|---|---|
//! | 0 | Sync | a y-protocols sync message: `0` step 1 + state vector, `1` step 2 + update, `2` update |
//! | 1 | Awareness | varUint8Array awareness update |
//! | 2 | Auth | varUint `AuthMessageType` (`0` Token, `1` PermissionDenied, `2` Authenticated) + varString |
//! | 3 | QueryAwareness | — |
//! | 4 | SyncReply | like Sync, but does not ask for another step 1 |
//! | 5 | Stateless | varString |
//! | 7 | CLOSE | varString reason: the server dropped this document's connection |
//! | 8 | SyncStatus | varUint `1` (applied) or `0`: the server's ack of each update or step 2 |
//!
//! plus the connection-level Ping (`[9]`, no address) that a provider answers
//! with Pong (`[10]`).
//!
//! Handshake (as `HocuspocusProvider.onOpen`): the client sends
//! `address, 2 (Auth), 0 (Token), varString token, varString provider version`
//! and, without waiting, its sync step 1 (`address, 0, 0, state vector`). The
//! server queues everything but Auth until its `onAuthenticate` hooks pass,
//! answers `address, 2, 2 (Authenticated), "read-write"` (or `2, 1
//! (PermissionDenied), reason`), then handles the queued step 1: sync step 2
//! followed by its own step 1, which the client answers with step 2 — the same
//! exchange as y-websocket, behind the address. Updates go out to every
//! connection of the document, the sender included (its echo), and the sender
//! also gets a SyncStatus ack.
//!
//! After the address and the type byte, a Sync frame has exactly the bytes of a
//! y-websocket frame (`messageSync` is also 0), so the client hands that part to
//! the same sync handling as the y-websocket target.

use yrs::encoding::read::{Cursor, Read};
use yrs::encoding::write::Write;

use super::client::{Frame, classify_sync};
use crate::error::FrameError;

const SYNC: u8 = 0;
const AUTH: u8 = 2;
const SYNC_REPLY: u8 = 4;
const CLOSE: u8 = 7;
const PING: u8 = 9;
const PONG: u8 = 10;

const AUTH_TOKEN: u8 = 0;
const AUTH_PERMISSION_DENIED: u8 = 1;
const AUTH_AUTHENTICATED: u8 = 2;

/// Sent as the provider version (the server only keeps it for its hooks).
const VERSION: &str = concat!("caas-loadtest ", env!("CARGO_PKG_VERSION"));

/// A document's address: its name as a lib0 varString, the prefix of every frame.
pub fn address(doc: &str) -> Vec<u8> {
    let mut b = Vec::with_capacity(doc.len() + 2);
    b.write_string(doc);
    b
}

/// `address` + a y-websocket style frame (`0` sync, sync type, payload).
pub fn wrap(address: &[u8], frame: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(address.len() + frame.len());
    b.extend_from_slice(address);
    b.extend_from_slice(frame);
    b
}

/// The Auth message that opens a document: `address, 2, 0, token, version`.
pub fn auth(address: &[u8], token: &str) -> Vec<u8> {
    let mut b = Vec::with_capacity(address.len() + token.len() + VERSION.len() + 6);
    b.extend_from_slice(address);
    b.write_u8(AUTH);
    b.write_u8(AUTH_TOKEN);
    b.write_string(token);
    b.write_string(VERSION);
    b
}

/// What a frame from the server asks of the client. `token` answers the
/// server's token request (Auth / Token), as the provider does.
pub fn classify(address: &[u8], token: &str, b: &[u8]) -> Result<Frame, FrameError> {
    if b == [PING] {
        return Ok(Frame::Reply(vec![PONG]));
    }
    let Some(rest) = b.strip_prefix(address) else {
        return Err(FrameError::OtherDocument(read_string(b)?));
    };
    let at = address.len();
    match rest {
        // Updates are by far the most frequent: only the leading bytes are read.
        [SYNC | SYNC_REPLY, m @ ..] => Ok(match classify_sync(m)? {
            Frame::Update { at: _ } => Frame::Update { at: at + 1 },
            f => f,
        }),
        [AUTH, AUTH_AUTHENTICATED, ..] => Ok(Frame::Other),
        [AUTH, AUTH_PERMISSION_DENIED, m @ ..] => Ok(Frame::Denied(read_string(m)?)),
        [AUTH, AUTH_TOKEN, ..] => Ok(Frame::Reply(auth(address, token))),
        [CLOSE, m @ ..] => Ok(Frame::Closed(read_string(m)?)),
        [AUTH, ..] | [] => Err(FrameError::Unexpected(rest[..rest.len().min(8)].to_vec())),
        // Awareness, QueryAwareness, Stateless, SyncStatus: nothing to do.
        _ => Ok(Frame::Other),
    }
}

/// A lib0 varString at the start of `b`.
fn read_string(b: &[u8]) -> Result<String, FrameError> {
    let mut c = Cursor::new(b);
    c.read_string().map(str::to_owned).map_err(FrameError::BadString)
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::sync::{Message, SyncMessage};
    use yrs::updates::encoder::Encode;
    use yrs::{Doc, GetString, ReadTxn, Text, Transact, Update};

    use crate::collab::stamp;

    const A: &str = "lt1-doc0";

    #[test]
    fn framing_matches_the_provider() {
        // lib0: writeVarString(doc), writeVarUint(2), writeVarUint(0), writeVarString(token), writeVarString(version).
        let a = address(A);
        assert_eq!(a[0] as usize, A.len());
        assert_eq!(&a[1..], A.as_bytes());
        let m = auth(&a, "tok");
        let mut want = a.clone();
        want.extend_from_slice(&[2, 0, 3, b't', b'o', b'k', VERSION.len() as u8]);
        want.extend_from_slice(VERSION.as_bytes());
        assert_eq!(m, want);
        // A 200-byte name takes a two-byte varUint length.
        let long = "d".repeat(200);
        assert_eq!(&address(&long)[..2], &[0xc8, 0x01]);
        assert_eq!(wrap(&a, &[0, 2, 1, 0]), [a.as_slice(), &[0, 2, 1, 0]].concat());
    }

    #[test]
    fn server_frames() {
        let a = address(A);
        let frame = |body: &[u8]| [a.as_slice(), body].concat();
        let str_body = |head: &[u8], s: &str| {
            let mut b = head.to_vec();
            b.write_string(s);
            frame(&b)
        };
        let c = |b: &[u8]| classify(&a, "tok", b).expect("classify");
        assert!(matches!(c(&str_body(&[2, 2], "read-write")), Frame::Other));
        assert!(matches!(c(&str_body(&[2, 1], "nope")), Frame::Denied(r) if r == "nope"));
        assert!(matches!(c(&frame(&[2, 0])), Frame::Reply(r) if r == auth(&a, "tok")));
        assert!(matches!(c(&str_body(&[7], "bye")), Frame::Closed(r) if r == "bye"));
        assert!(matches!(c(&frame(&[8, 1])), Frame::Other), "SyncStatus");
        assert!(matches!(c(&frame(&[1, 1, 0])), Frame::Other), "awareness");
        assert!(matches!(c(&[9]), Frame::Reply(r) if r == [10]));
        assert!(classify(&a, "tok", &address("other")).is_err());
        assert!(classify(&a, "tok", &frame(&[])).is_err());
        assert!(classify(&a, "tok", &[]).is_err());
    }

    #[test]
    fn sync_exchange_and_update_stamps() {
        let a = address(A);
        let doc = Doc::with_client_id(7);
        let text = doc.get_or_insert_text("t");
        let step1 = Message::Sync(SyncMessage::SyncStep1(doc.transact().state_vector())).encode_v1();
        match classify(&a, "tok", &wrap(&a, &step1)).expect("step 1") {
            Frame::Step1(sv) => assert_eq!(sv, doc.transact().state_vector()),
            _ => panic!("not a step 1"),
        }
        let step2 = Message::Sync(SyncMessage::SyncStep2(vec![0, 0])).encode_v1();
        assert!(matches!(classify(&a, "tok", &wrap(&a, &step2)), Ok(Frame::Step2)));
        let update = {
            let mut txn = doc.transact_mut();
            text.insert(&mut txn, 0, &stamp::encode(3, 99));
            txn.encode_update_v1()
        };
        let b = wrap(&a, &Message::Sync(SyncMessage::Update(update.clone())).encode_v1());
        let Ok(Frame::Update { at }) = classify(&a, "tok", &b) else { panic!("not an update") };
        assert_eq!(stamp::scan(&b[at..]), vec![(3, 99)]);
        // The update after the address and type bytes is what the server applies.
        let SyncMessage::Update(u) = yrs::updates::decoder::Decode::decode_v1(&b[at..]).expect("sync message") else {
            panic!("not an update")
        };
        let other = Doc::new();
        let t2 = other.get_or_insert_text("t");
        other
            .transact_mut()
            .apply_update(<Update as yrs::updates::decoder::Decode>::decode_v1(&u).expect("update"))
            .expect("apply");
        assert_eq!(t2.get_string(&other.transact()), stamp::encode(3, 99));
    }
}
