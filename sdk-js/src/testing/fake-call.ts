/**
 * Test support (not part of the package): the fixtures shared by the call
 * tests — a fake server that accepts the `call.*` ops, ann's client of it,
 * fake media, and helpers to record a room's events and push server offers.
 * Clients are disconnected after each test.
 */

import { afterEach } from 'vitest';

import { CallEvent } from '../calls/events.js';
import type { CallRoom } from '../calls/room.js';
import type { JoinCallOptions } from '../calls/calls.js';
import type { CaasClient } from '../client/client.js';
import type { CallParticipantInfo } from '../calls/types.js';
import { FakeMedia, FakeTrack, serverSdp } from './fake-rtc.js';
import { FakeServer, user } from './fake-server.js';

const clients: CaasClient[] = [];

afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
});

/** Bob, in the room before ann: microphone and simulcast camera. */
export const bob: CallParticipantInfo = {
  participant_id: 'p-2',
  user_id: 'bob',
  tracks: [
    { track_id: 't-2-0', kind: 'audio', source: 'microphone', muted: false, simulcast: 1 },
    { track_id: 't-2-1', kind: 'video', source: 'camera', muted: false, simulcast: 3 },
  ],
};

/** A promise and its resolve, to hold a reply back. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A fake server that accepts every call op, a client of it, and fake media. */
export interface Setup {
  server: FakeServer;
  client: CaasClient;
  media: FakeMedia;
}

/** ann connected to a fake server whose `call.join` lists `participants`. */
export async function setup(participants: CallParticipantInfo[] = [bob]): Promise<Setup> {
  const server = new FakeServer(user('ann'));
  let answers = 0;
  server
    .on('call.join', () => ({ participant_id: 'p-1', ice_servers: [{ urls: ['stun:stun.test:3478'] }], participants }))
    .on('call.offer', () => ({ sdp: `server answer ${++answers}` }))
    .on('call.answer', () => ({}))
    .on('call.candidate', () => ({}))
    .on('call.mute', () => ({}))
    .on('call.subscribe', () => ({}))
    .on('call.leave', () => ({}));
  const client = await server.client();
  clients.push(client);
  return { server, client, media: new FakeMedia() };
}

/** Joins `standup` with the fake media. */
export async function join(s: Setup, options: JoinCallOptions = {}): Promise<CallRoom> {
  return s.client.calls.join('standup', { ...s.media.options, ...options });
}

/** The events a room emits, as `[name, ...summary]`. */
export function record(room: CallRoom): string[] {
  const seen: string[] = [];
  for (const event of Object.values(CallEvent)) {
    room.on(event, (...args: unknown[]) => {
      const summary = args.map((a) => {
        if (a instanceof FakeTrack) return a.kind;
        if (Array.isArray(a)) return a.map((p: { participantId: string }) => p.participantId).join(',');
        const o = (a ?? {}) as { trackId?: string; source?: string; participantId?: string; reason?: string };
        if ('trackId' in o) return o.trackId ?? o.source;
        return o.participantId ?? o.reason ?? String(a);
      });
      seen.push([event, ...summary].join(' '));
    });
  }
  return seen;
}

/** Pushes a server offer carrying bob's two tracks on mids 2 and 3. */
export function offerBobsTracks(server: FakeServer, offerId = 'o-1', withTracksMap = true): void {
  const sdp = serverSdp([
    { mid: '0', kind: 'audio' },
    { mid: '1', kind: 'video' },
    { mid: '2', kind: 'audio', participant: 'p-2', track: 't-2-0' },
    { mid: '3', kind: 'video', participant: 'p-2', track: 't-2-1' },
  ]);
  const data: Record<string, unknown> = { room_id: 'standup', offer_id: offerId, sdp };
  if (withTracksMap) {
    data['tracks'] = {
      '2': { participant_id: 'p-2', track_id: 't-2-0' },
      '3': { participant_id: 'p-2', track_id: 't-2-1' },
    };
  }
  server.push('call.offer', data, false);
}
