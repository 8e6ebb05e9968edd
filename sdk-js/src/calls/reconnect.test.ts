import { afterEach, describe, expect, it } from 'vitest';

import { CallEvent, type CallDisconnectedEvent } from './events.js';
import type { CallRoom } from './room.js';
import type { CaasClient } from '../client/client.js';
import { ClientEvent } from '../client/events.js';
import { bob, deferred, join, offerBobsTracks, setup, type Setup } from '../testing/fake-call.js';
import { FakeMedia, type FakeTrack } from '../testing/fake-rtc.js';
import { FakeServer, Refusal, until, user } from '../testing/fake-server.js';
import type { WebSocketConstructor } from '../core/transport.js';
import type { CallParticipantInfo } from './types.js';

const own: CaasClient[] = [];

afterEach(() => {
  for (const c of own.splice(0)) c.disconnect();
});

/** Carol, in the room when ann joins again: microphone only. */
const carol: CallParticipantInfo = {
  participant_id: 'p-7',
  user_id: 'carol',
  tracks: [{ track_id: 't-7-0', kind: 'audio', source: 'microphone', muted: false, simulcast: 1 }],
};

/**
 * The nth `call.join` (1 for the first) replies with `replies[n - 1]` (the
 * last one again after them): participant id, node and the others.
 */
function joinReplies(s: Setup, replies: Array<{ participant_id: string; node: string; participants: CallParticipantInfo[] }>): void {
  s.server.on('call.join', () => {
    const n = s.server.sent('call.join').length;
    const reply = replies[Math.min(n, replies.length) - 1]!;
    return { ...reply, ice_servers: [{ urls: [`stun:${reply.node}.test:3478`] }] };
  });
}

/** The local tracks sent on a peer connection. */
function sentTracks(s: Setup, pcIndex: number): Array<FakeTrack | null> {
  return s.media.pcs[pcIndex]!.transceivers.filter((t) => t.direction === 'sendonly').map((t) => t.sender.track);
}

/** A fake server, and ann's client of it whose sockets can be dropped (`sockets`), reconnecting at once. */
async function droppable(participants: CallParticipantInfo[] = [bob]): Promise<Setup & { drop(): void; sockets: number }> {
  const server = new FakeServer(user('ann'));
  let answers = 0;
  server
    .on('call.join', () => ({
      participant_id: `p-${server.sent('call.join').length}`,
      ice_servers: [{ urls: ['stun:stun.test:3478'] }],
      participants,
      node: 'a'.repeat(16),
    }))
    .on('call.offer', () => ({ sdp: `server answer ${++answers}` }))
    .on('call.answer', () => ({}))
    .on('call.candidate', () => ({}))
    .on('call.mute', () => ({}))
    .on('call.leave', () => ({}));
  const sockets: Array<{ close(code: number, reason: string): void }> = [];
  const Base = server.WebSocket as unknown as new (url: string) => { close(code: number, reason: string): void };
  class Tracked extends Base {
    constructor(url: string) {
      super(url);
      sockets.push(this);
    }
  }
  const client = await server.client({
    WebSocket: Tracked as unknown as WebSocketConstructor,
    reconnect: { initialDelayMs: 20, maxDelayMs: 40 },
    random: () => 0.5,
  });
  own.push(client);
  return {
    server,
    client,
    media: new FakeMedia(),
    drop: () => sockets[sockets.length - 1]!.close(1006, 'gone'),
    get sockets() {
      return sockets.length;
    },
  };
}

/** The events a room emits, as `[name, ...summary]` (like fake-call's, plain values too). */
function record(room: CallRoom): string[] {
  const seen: string[] = [];
  for (const event of Object.values(CallEvent)) {
    room.on(event, (...args: unknown[]) => {
      const summary = args.map((a) => {
        if (typeof a !== 'object' || a === null) return String(a);
        if ('kind' in a && 'readyState' in a) return String(a.kind);
        if (Array.isArray(a)) return a.map((p: { participantId: string }) => p.participantId).join(',');
        const o = a as { trackId?: string; source?: string; participantId?: string; reason?: string };
        if ('trackId' in o) return o.trackId ?? o.source;
        return o.participantId ?? o.reason ?? String(a);
      });
      seen.push([event, ...summary].join(' '));
    });
  }
  return seen;
}

function ended(room: CallRoom): CallDisconnectedEvent[] {
  const out: CallDisconnectedEvent[] = [];
  room.on(CallEvent.Disconnected, (e) => out.push(e));
  return out;
}

describe('when the node holding the room dies (node_lost)', () => {
  it('joins again, republishes the same tracks on a new peer connection, and follows the new room', async () => {
    const s = await setup();
    joinReplies(s, [
      { participant_id: 'p-1', node: 'a'.repeat(16), participants: [bob] },
      { participant_id: 'p-9', node: 'b'.repeat(16), participants: [carol] },
    ]);
    const room = await join(s);
    expect(room.node).toBe('aaaaaaaaaaaaaaaa');
    offerBobsTracks(s.server);
    await until(() => room.remoteParticipants.get('p-2')?.tracks.get('t-2-1')?.track !== undefined);
    s.media.pc.channel.open();
    await room.localParticipant.setMicrophoneEnabled(false);
    const firstPc = s.media.pc;
    const captured = sentTracks(s, 0);
    expect(captured).toHaveLength(2);
    const events = record(room);
    const states: string[] = [];
    room.on(CallEvent.Reconnecting, () => states.push(room.state));
    room.on(CallEvent.Reconnected, () => states.push(room.state));

    s.server.push('call.participant_left', { room_id: 'standup', participant_id: 'p-1', reason: 'node_lost' }, false);
    await until(() => events.includes('reconnected'));

    // The old peer connection went, and with it bob's media and the data channel.
    expect(firstPc.signalingState).toBe('closed');
    expect(events.slice(0, 4)).toEqual([
      'trackUnsubscribed audio t-2-0 p-2',
      'trackUnsubscribed video t-2-1 p-2',
      'dataChannelStateChanged closed',
      'reconnecting node_lost',
    ]);
    // A new join, a new peer connection with the new ICE servers, the same tracks, no new capture.
    expect(s.server.sent('call.join').map((r) => r.data)).toEqual([{ room_id: 'standup' }, { room_id: 'standup' }]);
    expect(s.media.pcs).toHaveLength(2);
    expect(s.media.pc.config.iceServers).toEqual([{ urls: ['stun:bbbbbbbbbbbbbbbb.test:3478'] }]);
    expect(room.iceServers).toEqual([{ urls: ['stun:bbbbbbbbbbbbbbbb.test:3478'] }]);
    expect(room.node).toBe('bbbbbbbbbbbbbbbb');
    expect(s.media.userMediaCalls).toHaveLength(1);
    expect(sentTracks(s, 1)).toEqual(captured);
    expect(s.media.pc.transceivers[1]?.init?.sendEncodings?.map((e) => e.rid)).toEqual(['q', 'h', 'f']);
    expect(s.media.pc.log.slice(0, 4)).toEqual(['createDataChannel:caas', 'createOffer', 'setLocal:offer', 'setRemote:answer']);
    expect(s.server.sent('call.offer')[1]?.data).toEqual({
      room_id: 'standup',
      sdp: 'client offer 1',
      sources: { '0': 'microphone', '1': 'camera' },
    });
    expect(captured.every((t) => t?.readyState === 'live')).toBe(true);
    // The room as the new join says: ann under a new id, bob gone, carol there.
    expect(room.state).toBe('joined');
    expect(states).toEqual(['reconnecting', 'joined']);
    expect(room.localParticipant.participantId).toBe('p-9');
    expect([...room.remoteParticipants.keys()]).toEqual(['p-7']);
    expect(events.slice(4)).toEqual([
      'trackUnpublished t-2-0 p-2',
      'trackUnpublished t-2-1 p-2',
      'participantLeft p-2',
      'participantJoined p-7',
      'trackPublished t-7-0 p-7',
      'reconnected',
    ]);
    expect(room.localParticipant.tracks.get('microphone')?.trackId).toBeUndefined();
    expect(s.client.calls.rooms.get('standup')).toBe(room);

    // The new room goes on: its server offer is answered on the new connection,
    // and the microphone muted before is told once the server names it again.
    s.server.push(
      'call.track_published',
      { room_id: 'standup', participant_id: 'p-9', track: { track_id: 't-9-0', kind: 'audio', source: 'microphone', muted: false, simulcast: 1 } },
      false,
    );
    await until(() => s.server.sent('call.mute').length === 1);
    expect(s.server.sent('call.mute')[0]?.data).toEqual({ room_id: 'standup', track_id: 't-9-0', muted: true });
    s.server.push(
      'call.offer',
      {
        room_id: 'standup',
        offer_id: 'o-2',
        sdp: 'v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:2\r\na=msid:p-7 t-7-0\r\n',
        tracks: { '2': { participant_id: 'p-7', track_id: 't-7-0' } },
      },
      false,
    );
    await until(() => room.remoteParticipants.get('p-7')?.tracks.get('t-7-0')?.track !== undefined);
    expect(s.server.sent('call.answer').at(-1)?.data['offer_id']).toBe('o-2');
    expect(s.media.pc.channel.readyState).toBe('connecting');
    s.media.pc.channel.open();
    expect(room.dataChannelState).toBe('open');
    // The first connection's state changes no longer matter.
    firstPc.setConnectionState('failed');
    expect(room.state).toBe('joined');
    await room.leave();
    expect(captured.every((t) => t?.readyState === 'ended')).toBe(true);
  });

  it('takes nobody from before for someone in the new room: participant ids are those of the node', async () => {
    const s = await setup();
    // On the new node, p-2 is carol.
    joinReplies(s, [
      { participant_id: 'p-1', node: 'a'.repeat(16), participants: [bob] },
      { participant_id: 'p-4', node: 'b'.repeat(16), participants: [{ ...carol, participant_id: 'p-2' }] },
    ]);
    const room = await join(s);
    const events = record(room);
    s.server.push('call.participant_left', { room_id: 'standup', participant_id: 'p-1', reason: 'node_lost' }, false);
    await until(() => room.state === 'joined' && events.includes('reconnected'));
    expect(events.filter((e) => e.startsWith('participant'))).toEqual(['participantLeft p-2', 'participantJoined p-2']);
    expect(room.remoteParticipants.get('p-2')?.userId).toBe('carol');
    expect([...room.remoteParticipants.get('p-2')!.tracks.keys()]).toEqual(['t-7-0']);
  });

  it('holds the events of the new participant that come before its join reply', async () => {
    const s = await setup([]);
    const room = await join(s);
    const reply = deferred<object>();
    s.server.on('call.join', () => reply.promise);
    s.server.push('call.participant_left', { room_id: 'standup', participant_id: 'p-1', reason: 'node_lost' }, false);
    await until(() => s.server.sent('call.join').length === 2);
    // Carol joins right after ann, before ann's reply is out.
    // The fake socket delivers at once: the event has been handled, and held.
    s.server.push('call.participant_joined', { room_id: 'standup', participant: carol }, false);
    expect(room.remoteParticipants.size).toBe(0);
    reply.resolve({ participant_id: 'p-3', ice_servers: [], participants: [] });
    await until(() => room.state === 'joined');
    await until(() => room.remoteParticipants.has('p-7'));
  });

  it('sends the subscriptions changed before to participants still there', async () => {
    const s = await setup();
    s.server.on('call.subscribe', () => ({}));
    const room = await join(s);
    await room.remoteParticipants.get('p-2')!.setVideoQuality('t-2-1', 180);
    await room.remoteParticipants.get('p-2')!.setSubscribed('t-2-0', false);
    s.server.push('call.participant_left', { room_id: 'standup', participant_id: 'p-1', reason: 'node_lost' }, false);
    await until(() => s.server.sent('call.subscribe').length === 4);
    expect(room.state).toBe('joined');
    expect(s.server.sent('call.subscribe').slice(2).map((r) => r.data)).toEqual([
      { room_id: 'standup', track_id: 't-2-0', enabled: false },
      { room_id: 'standup', track_id: 't-2-1', enabled: true, max_height: 180 },
    ]);
  });

  it('fails what was under way on the lost connection at once, and runs what comes later on the new one', async () => {
    const s = await setup([]);
    const room = await join(s);
    const never = deferred<object>();
    s.server.on('call.offer', () => never.promise);
    const sharing = room.localParticipant.startScreenShare().catch((e: unknown) => e);
    await until(() => s.server.sent('call.offer').length === 2);
    s.server.on('call.offer', () => ({ sdp: 'server answer again' }));
    s.server.push('call.participant_left', { room_id: 'standup', participant_id: 'p-1', reason: 'node_lost' }, false);
    expect(await sharing).toMatchObject({ name: 'CallError', code: 'not_joined' });
    await until(() => room.state === 'joined');
    await room.localParticipant.startScreenShare();
    expect(s.server.sent('call.offer').at(-1)?.data['sources']).toEqual({ '0': 'microphone', '1': 'camera', '2': 'screen' });
    expect(s.media.pcs).toHaveLength(2);
  });

  it('ends the room as before with reason disconnected, or with reconnect: false', async () => {
    const s = await setup();
    const room = await join(s);
    const out = ended(room);
    s.server.push('call.participant_left', { room_id: 'standup', participant_id: 'p-1', reason: 'disconnected' }, false);
    await until(() => out.length === 1);
    expect(out[0]?.reason).toBe('removed');
    expect(s.server.sent('call.join')).toHaveLength(1);

    const off = await join(s, { reconnect: false });
    const offEnded = ended(off);
    s.server.push('call.participant_left', { room_id: 'standup', participant_id: 'p-1', reason: 'node_lost' }, false);
    await until(() => offEnded.length === 1);
    expect(offEnded[0]?.reason).toBe('removed');
    expect(s.server.sent('call.join')).toHaveLength(2);
  });
});

describe('when the real-time connection drops', () => {
  it('waits for the client to reconnect, then joins again with the same tracks', async () => {
    const s = await droppable();
    const room = await join(s);
    const captured = sentTracks(s, 0);
    const events = record(room);
    const order: string[] = [];
    s.client.on(ClientEvent.Reconnecting, () => order.push('client reconnecting'));
    s.client.on(ClientEvent.Connected, () => order.push('client connected'));
    room.on(CallEvent.Reconnecting, (e) => order.push(`room reconnecting ${e.reason} ${room.state}`));
    room.on(CallEvent.Reconnected, () => order.push(`room reconnected ${room.state}`));

    s.drop();
    await until(() => room.state === 'joined' && order.length === 4);
    expect(order).toEqual([
      'room reconnecting connection_lost reconnecting',
      'client reconnecting',
      'client connected',
      'room reconnected joined',
    ]);
    expect(s.sockets).toBe(2);
    expect(s.server.sent('call.join')).toHaveLength(2);
    expect(room.localParticipant.participantId).toBe('p-2');
    expect(s.media.pcs[0]!.signalingState).toBe('closed');
    expect(sentTracks(s, 1)).toEqual(captured);
    expect(s.media.userMediaCalls).toHaveLength(1);
    // bob is still there, under the same id: kept, without events.
    expect([...room.remoteParticipants.keys()]).toEqual(['p-2']);
    expect(events).toEqual(['reconnecting connection_lost', 'reconnected']);
  });

  it('does not count attempts the connection dropped under', async () => {
    const s = await droppable();
    const room = await join(s, { reconnect: { maxAttempts: 1, retryDelayMs: 0 } });
    let joins = 0;
    s.server.on('call.join', () => {
      joins++;
      // The first rejoin meets another drop before its reply.
      if (joins === 1) {
        s.drop();
        return deferred<object>().promise;
      }
      return { participant_id: 'p-5', ice_servers: [], participants: [] };
    });
    s.drop();
    await until(() => room.state === 'joined' && joins === 2);
    expect(room.localParticipant.participantId).toBe('p-5');
    expect(s.sockets).toBe(3);
  });

  it('ends with connection_lost when the client stops for good while reconnecting', async () => {
    const s = await droppable();
    const room = await join(s);
    const out = ended(room);
    s.client.on(ClientEvent.Reconnecting, () => s.client.disconnect());
    s.drop();
    await until(() => out.length === 1);
    expect(out[0]?.reason).toBe('connection_lost');
    expect(room.state).toBe('left');
    expect(s.client.calls.rooms.size).toBe(0);
  });
});

describe('giving up', () => {
  it('ends the room with reconnect_failed after the attempts, stopping its tracks', async () => {
    const s = await setup();
    const room = await join(s, { reconnect: { maxAttempts: 3, retryDelayMs: 5 } });
    const captured = sentTracks(s, 0);
    const out = ended(room);
    const events = record(room);
    s.server.on('call.join', () => {
      throw new Refusal('call_unavailable', 'the node holding this call cannot be reached; join again');
    });
    s.server.push('call.participant_left', { room_id: 'standup', participant_id: 'p-1', reason: 'node_lost' }, false);
    await until(() => out.length === 1);
    expect(s.server.sent('call.join')).toHaveLength(4);
    expect(out[0]?.reason).toBe('reconnect_failed');
    expect(out[0]?.error).toMatchObject({ name: 'CallError', code: 'call_unavailable' });
    expect(out[0]?.error?.message).toMatch(/3 attempts failed/);
    expect(events.filter((e) => !e.startsWith('track'))).toEqual(['reconnecting node_lost', 'disconnected reconnect_failed']);
    expect(room.state).toBe('left');
    expect(captured.every((t) => t?.readyState === 'ended')).toBe(true);
    expect(s.client.calls.rooms.size).toBe(0);
  });

  it('gives up at once when the server refuses for good, and when the time runs out', async () => {
    const s = await setup();
    const room = await join(s);
    const out = ended(room);
    s.server.on('call.join', () => {
      throw new Refusal('forbidden', 'not a member');
    });
    s.server.push('call.participant_left', { room_id: 'standup', participant_id: 'p-1', reason: 'node_lost' }, false);
    await until(() => out.length === 1);
    expect(s.server.sent('call.join')).toHaveLength(2);
    expect(out[0]).toMatchObject({ reason: 'reconnect_failed', error: { code: 'forbidden' } });

    // A join that takes longer than the time allowed is the last one.
    const slow = await setup();
    const late = await join(slow, { reconnect: { maxAttempts: 5, timeoutMs: 60, retryDelayMs: 10 } });
    const lateEnded = ended(late);
    slow.server.on('call.join', async () => {
      await new Promise((r) => setTimeout(r, 80));
      throw new Refusal('call_unavailable', 'unreachable');
    });
    slow.server.push('call.participant_left', { room_id: 'standup', participant_id: 'p-1', reason: 'node_lost' }, false);
    await until(() => lateEnded.length === 1);
    expect(slow.server.sent('call.join')).toHaveLength(2);
    expect(lateEnded[0]?.error?.message).toMatch(/not back within 60 ms/);
  });

  it('leaves when the offer of a rejoin fails, then tries again', async () => {
    const s = await setup([]);
    const room = await join(s, { reconnect: { retryDelayMs: 5 } });
    let offers = 0;
    s.server.on('call.offer', () => {
      if (++offers === 1) throw new Refusal('invalid_sdp', 'bad');
      return { sdp: 'fine' };
    });
    s.server.push('call.participant_left', { room_id: 'standup', participant_id: 'p-1', reason: 'node_lost' }, false);
    await until(() => room.state === 'joined' && s.server.sent('call.join').length === 3);
    expect(s.server.sent('call.leave')).toHaveLength(1);
    expect(s.media.pcs.map((pc) => pc.signalingState)).toEqual(['closed', 'closed', 'stable']);
  });

  it('stops when the room is left while joining again', async () => {
    const s = await setup();
    const room = await join(s);
    const reply = deferred<object>();
    s.server.on('call.join', () => reply.promise);
    s.server.push('call.participant_left', { room_id: 'standup', participant_id: 'p-1', reason: 'node_lost' }, false);
    await until(() => room.state === 'reconnecting' && s.server.sent('call.join').length === 2);
    const out = ended(room);
    await room.leave();
    expect(out.map((e) => e.reason)).toEqual(['left']);
    reply.resolve({ participant_id: 'p-3', ice_servers: [], participants: [] });
    // The server is told again once the join it answered is known.
    await until(() => s.server.sent('call.leave').length === 2);
    // Let everything already queued run (one turn of the event loop, not a time).
    await new Promise((r) => setImmediate(r));
    expect(s.media.pcs).toHaveLength(1);
    expect(s.server.sent('call.join')).toHaveLength(2);
  });
});
