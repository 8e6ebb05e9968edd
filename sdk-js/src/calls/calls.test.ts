import { describe, expect, it } from 'vitest';

import { CallEvent, type CallDisconnectedEvent } from './events.js';
import { CallError, ConnectionError } from '../core/errors.js';
import { join, offerBobsTracks, record, setup } from '../testing/fake-call.js';
import type { FakePeerConnection } from '../testing/fake-rtc.js';
import { Refusal, until } from '../testing/fake-server.js';

describe('client.calls.join', () => {
  it('captures, joins, publishes microphone and simulcast camera with sources by mid, and applies the answer', async () => {
    const s = await setup();
    const room = await join(s);
    const pc = s.media.pc;

    expect(s.media.userMediaCalls).toHaveLength(1);
    expect(s.media.userMediaCalls[0]?.audio).toMatchObject({ echoCancellation: true });
    expect(s.media.userMediaCalls[0]?.video).toMatchObject({ width: { ideal: 1280 }, height: { ideal: 720 } });
    expect(s.server.requests.map((r) => r.op)).toEqual(['call.join', 'call.offer']);
    expect(s.server.sent('call.join')[0]?.data).toEqual({ room_id: 'standup' });
    expect(pc.config.iceServers).toEqual([{ urls: ['stun:stun.test:3478'] }]);
    expect(pc.config.bundlePolicy).toBe('max-bundle');

    const [mic, cam] = pc.transceivers;
    expect(mic?.direction).toBe('sendonly');
    expect(mic?.init?.sendEncodings).toBeUndefined();
    expect(cam?.direction).toBe('sendonly');
    expect(cam?.init?.sendEncodings?.map((e) => [e.rid, e.scaleResolutionDownBy])).toEqual([
      ['q', 4],
      ['h', 2],
      ['f', 1],
    ]);
    expect(s.server.sent('call.offer')[0]?.data).toEqual({
      room_id: 'standup',
      sdp: 'client offer 1',
      sources: { '0': 'microphone', '1': 'camera' },
    });
    expect(pc.remoteDescription).toEqual({ type: 'answer', sdp: 'server answer 1' });
    // The data channel comes first, so that the offer has an application section.
    expect(pc.log).toEqual(['createDataChannel:caas', 'createOffer', 'setLocal:offer', 'setRemote:answer']);

    expect(room.state).toBe('joined');
    expect(room.roomId).toBe('standup');
    expect(room.localParticipant.participantId).toBe('p-1');
    expect(room.localParticipant.userId).toBe('ann');
    expect([...room.localParticipant.tracks.keys()]).toEqual(['microphone', 'camera']);
    expect(room.localParticipant.tracks.get('camera')?.simulcast).toBe(3);
    expect(room.localParticipant.isMicrophoneEnabled).toBe(true);
    const remote = room.remoteParticipants.get('p-2');
    expect(remote?.userId).toBe('bob');
    expect([...remote!.tracks.values()].map((t) => [t.trackId, t.source, t.track])).toEqual([
      ['t-2-0', 'microphone', undefined],
      ['t-2-1', 'camera', undefined],
    ]);
    expect(s.client.calls.rooms.get('standup')).toBe(room);
  });

  it('honours audio, video and simulcast options, and still offers first with nothing to publish', async () => {
    const s = await setup([]);
    const room = await join(s, { audio: false, video: { width: 320 }, simulcast: false });
    expect(s.media.userMediaCalls[0]).toEqual({ audio: false, video: { width: 320 } });
    expect(s.media.pc.transceivers[0]?.init?.sendEncodings).toBeUndefined();
    expect(room.localParticipant.tracks.get('camera')?.simulcast).toBe(1);
    await room.leave();

    const listener = await setup([]);
    const quiet = await join(listener, { audio: false, video: false });
    expect(listener.media.userMediaCalls).toEqual([]);
    expect(listener.server.sent('call.offer')[0]?.data['sources']).toEqual({});
    expect(listener.media.pc.log.slice(0, 2)).toEqual(['createDataChannel:caas', 'createOffer']);
    expect(quiet.state).toBe('joined');
  });

  it('keeps the microphone when there is no camera', async () => {
    const s = await setup([]);
    const media = s.media.options;
    const room = await s.client.calls.join('standup', {
      ...media,
      getUserMedia: async (c) => {
        if (c.video) throw Object.assign(new Error('no camera'), { name: 'NotFoundError' });
        return media.getUserMedia(c);
      },
    });
    expect([...room.localParticipant.tracks.keys()]).toEqual(['microphone']);
  });

  it('refuses bad room ids, a second join, and reports refusals as CallError with the server code', async () => {
    const s = await setup();
    await expect(join(s, {}).then(() => s.client.calls.join('standup', s.media.options))).rejects.toMatchObject({
      name: 'CallError',
      code: 'already_joined',
    });
    await expect(s.client.calls.join('bad room!', s.media.options)).rejects.toBeInstanceOf(CallError);
    await expect(s.client.calls.join('', s.media.options)).rejects.toMatchObject({ code: 'invalid_room_id' });
    expect(s.server.sent('call.join')).toHaveLength(1);

    s.server.on('call.join', () => {
      throw new Refusal('room_full', 'the room is full (50 participants)');
    });
    const err = await s.client.calls.join('other', s.media.options).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CallError);
    expect(err).toMatchObject({ code: 'room_full', op: 'call.join' });
    // The tracks captured for it are stopped, and the room id is free again.
    expect(s.media.captured.slice(-2).map((t) => t.readyState)).toEqual(['ended', 'ended']);
    expect(s.client.calls.rooms.has('other')).toBe(false);
  });

  it('says unknown_op when the server has no calls', async () => {
    const s = await setup();
    s.server.handlers.delete('call.join');
    await expect(join(s)).rejects.toMatchObject({ name: 'CallError', code: 'unknown_op' });
  });

  it('maps refused captures to media_denied and media_unavailable', async () => {
    const s = await setup();
    s.media.failUserMedia = 'NotAllowedError';
    await expect(join(s)).rejects.toMatchObject({ name: 'CallError', code: 'media_denied' });
    s.media.failUserMedia = 'NotReadableError';
    await expect(join(s)).rejects.toMatchObject({ code: 'media_unavailable' });
    expect(s.server.sent('call.join')).toHaveLength(0);
  });

  it('leaves when the first offer is refused', async () => {
    const s = await setup();
    s.server.on('call.offer', () => {
      throw new Refusal('forbidden', 'may not publish camera');
    });
    await expect(join(s)).rejects.toMatchObject({ code: 'forbidden', op: 'call.offer' });
    expect(s.server.sent('call.leave')).toHaveLength(1);
    expect(s.media.pc.signalingState).toBe('closed');
    expect(s.media.captured.every((t) => t.readyState === 'ended')).toBe(true);
    expect(s.client.calls.rooms.size).toBe(0);
  });

  it('needs WebRTC', async () => {
    const s = await setup();
    await expect(s.client.calls.join('standup', { getUserMedia: s.media.options.getUserMedia })).rejects.toMatchObject({
      code: 'webrtc_unavailable',
    });
  });
});

describe('leaving', () => {
  it('sends call.leave, stops local tracks, closes the peer connection and frees the room id', async () => {
    const s = await setup();
    const room = await join(s);
    const events = record(room);
    const pc: FakePeerConnection = s.media.pc;
    await room.leave();
    expect(s.server.sent('call.leave')[0]?.data).toEqual({ room_id: 'standup' });
    expect(s.media.captured.every((t) => t.readyState === 'ended')).toBe(true);
    expect(pc.signalingState).toBe('closed');
    expect(room.state).toBe('left');
    expect(events).toEqual(['disconnected left']);
    expect(s.client.calls.rooms.size).toBe(0);
    await room.leave(); // once only
    expect(s.server.sent('call.leave')).toHaveLength(1);
    // Events for the room are ignored now; controls refuse.
    offerBobsTracks(s.server);
    await expect(room.localParticipant.setMicrophoneEnabled(false)).rejects.toMatchObject({ code: 'call_left' });
    // The room can be joined again.
    const again = await join(s);
    expect(again).not.toBe(room);
    expect(s.server.sent('call.answer')).toEqual([]);
  });

  it('ends with connection_lost when the socket goes, media_failed when ICE fails, removed when the server says so', async () => {
    const s = await setup();
    const room = await join(s);
    const ended: CallDisconnectedEvent[] = [];
    room.on(CallEvent.Disconnected, (e) => ended.push(e));
    s.media.pc.setConnectionState('failed');
    expect(ended.map((e) => e.reason)).toEqual(['media_failed']);
    expect(s.server.sent('call.leave')).toHaveLength(1);

    const second = await s.client.calls.join('second', s.media.options);
    const third = await s.client.calls.join('third', s.media.options);
    const reasons: string[] = [];
    second.on(CallEvent.Disconnected, (e) => reasons.push(`second ${e.reason}`));
    third.on(CallEvent.Disconnected, (e) => reasons.push(`third ${e.reason}`));
    s.server.push('call.participant_left', { room_id: 'third', participant_id: 'p-1' }, false);
    await until(() => reasons.length === 1);
    s.client.disconnect();
    expect(reasons).toEqual(['third removed', 'second connection_lost']);
    expect(s.client.calls.rooms.size).toBe(0);
    await expect(s.client.calls.join('fourth', s.media.options)).rejects.toBeInstanceOf(ConnectionError);
  });
});
