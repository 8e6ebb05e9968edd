import { describe, expect, it } from 'vitest';

import { CallEvent } from './events.js';
import { deferred, join, offerBobsTracks, record, setup, bob } from '../testing/fake-call.js';
import { serverSdp } from '../testing/fake-rtc.js';
import { Refusal, until } from '../testing/fake-server.js';

describe('server offers', () => {
  it('are applied and answered, and their tracks map attaches received media to remote publications', async () => {
    const s = await setup();
    const room = await join(s);
    const events = record(room);
    offerBobsTracks(s.server);
    await until(() => s.server.sent('call.answer').length === 1);
    expect(s.server.sent('call.answer')[0]?.data).toEqual({
      room_id: 'standup',
      offer_id: 'o-1',
      sdp: 'client answer 1',
    });
    const pc = s.media.pc;
    expect(pc.signalingState).toBe('stable');
    const bobP = room.remoteParticipants.get('p-2')!;
    const audio = bobP.tracks.get('t-2-0')!;
    const video = bobP.tracks.get('t-2-1')!;
    expect(audio.track).toBe(pc.transceivers.find((t) => t.mid === '2')?.receiver.track);
    expect(video.track).toBe(pc.transceivers.find((t) => t.mid === '3')?.receiver.track);
    expect(events).toEqual(['trackSubscribed audio t-2-0 p-2', 'trackSubscribed video t-2-1 p-2']);

    // A later offer without bob's video: its media goes.
    s.server.push(
      'call.offer',
      {
        room_id: 'standup',
        offer_id: 'o-2',
        sdp: serverSdp([
          { mid: '0', kind: 'audio' },
          { mid: '1', kind: 'video' },
          { mid: '2', kind: 'audio', participant: 'p-2', track: 't-2-0' },
          { mid: '3', kind: 'video', rejected: true },
        ]),
        tracks: { '2': { participant_id: 'p-2', track_id: 't-2-0' } },
      },
      false,
    );
    await until(() => s.server.sent('call.answer').length === 2);
    expect(video.track).toBeUndefined();
    expect(audio.track).toBeDefined();
    expect(events.slice(2)).toEqual(['trackUnsubscribed video t-2-1 p-2']);
  });

  it('fall back to the msid lines when the offer has no tracks map', async () => {
    const s = await setup();
    const room = await join(s);
    offerBobsTracks(s.server, 'o-1', false);
    await until(() => s.server.sent('call.answer').length === 1);
    expect(room.remoteParticipants.get('p-2')?.tracks.get('t-2-1')?.track).toBeDefined();
  });

  it('attach media once the track is known when the offer comes first', async () => {
    const s = await setup([]);
    const room = await join(s);
    const events = record(room);
    offerBobsTracks(s.server);
    await until(() => s.server.sent('call.answer').length === 1);
    expect(events).toEqual([]);
    s.server.push('call.participant_joined', { room_id: 'standup', participant: bob }, false);
    await until(() => events.length >= 5);
    expect(events).toEqual([
      'participantJoined p-2',
      'trackPublished t-2-0 p-2',
      'trackPublished t-2-1 p-2',
      'trackSubscribed audio t-2-0 p-2',
      'trackSubscribed video t-2-1 p-2',
    ]);
  });

  it('treat stale_offer as harmless', async () => {
    const s = await setup();
    const room = await join(s);
    const errors: unknown[] = [];
    room.on(CallEvent.Error, (e) => errors.push(e));
    s.server.on('call.answer', () => {
      throw new Refusal('stale_offer', 'this offer is no longer pending');
    });
    offerBobsTracks(s.server);
    await until(() => s.server.sent('call.answer').length === 1);
    await new Promise((r) => setTimeout(r, 20));
    expect(errors).toEqual([]);
    expect(room.state).toBe('joined');
  });

  it('report an offer the browser cannot apply as an Error event and go on', async () => {
    const s = await setup();
    const room = await join(s);
    const errors: unknown[] = [];
    room.on(CallEvent.Error, (e) => errors.push(e));
    const pc = s.media.pc;
    pc.setRemoteDescription = () => Promise.reject(Object.assign(new Error('bad sdp'), { name: 'OperationError' }));
    offerBobsTracks(s.server);
    await until(() => errors.length === 1);
    expect(errors[0]).toMatchObject({ name: 'CallError', code: 'negotiation_failed' });
    expect(room.state).toBe('joined');
  });
});

describe('renegotiation', () => {
  it('waits: a local offer starts only after the server offer being answered is done', async () => {
    const s = await setup();
    const room = await join(s);
    const answerHeld = deferred<object>();
    s.server.on('call.answer', () => answerHeld.promise);
    offerBobsTracks(s.server);
    await until(() => s.server.sent('call.answer').length === 1);

    const sharing = room.localParticipant.startScreenShare();
    await new Promise((r) => setTimeout(r, 20));
    expect(s.server.sent('call.offer')).toHaveLength(1); // still only the join's
    answerHeld.resolve({});
    await sharing;
    expect(s.server.sent('call.offer')).toHaveLength(2);
    const screenMid = s.media.pc.transceivers.find((t) => t.sender.track?.label === 'screen')?.mid;
    expect(screenMid).toBe('4');
    expect(s.server.sent('call.offer')[1]?.data['sources']).toEqual({ '0': 'microphone', '1': 'camera', '4': 'screen' });
    expect(s.media.pc.log.filter((l) => l.startsWith('set'))).toEqual([
      'setLocal:offer',
      'setRemote:answer',
      'setRemote:offer',
      'setLocal:answer',
      'setLocal:offer',
      'setRemote:answer',
    ]);
  });

  it('drops a server offer that crossed a local offer, and answers the fresh one', async () => {
    const s = await setup();
    const room = await join(s);
    const offerHeld = deferred<object>();
    s.server.on('call.offer', () => offerHeld.promise);
    const sharing = room.localParticipant.startScreenShare();
    await until(() => s.server.sent('call.offer').length === 2);
    offerBobsTracks(s.server, 'o-crossed'); // crosses our offer: the server drops it
    await new Promise((r) => setTimeout(r, 20));
    offerHeld.resolve({ sdp: 'server answer to the screen' });
    await sharing;
    offerBobsTracks(s.server, 'o-fresh');
    await until(() => s.server.sent('call.answer').length === 1);
    await new Promise((r) => setTimeout(r, 20));
    expect(s.server.sent('call.answer').map((r) => r.data['offer_id'])).toEqual(['o-fresh']);
    expect(room.remoteParticipants.get('p-2')?.tracks.get('t-2-1')?.track).toBeDefined();
  });

  it('drops a server offer still queued when a local offer is sent', async () => {
    const s = await setup();
    const room = await join(s);
    const answerHeld = deferred<object>();
    s.server.on('call.answer', () => answerHeld.promise);
    offerBobsTracks(s.server, 'o-1');
    await until(() => s.server.sent('call.answer').length === 1);
    // Queued: a local change, then a server offer behind it (the server sent it before seeing our offer).
    const sharing = room.localParticipant.startScreenShare();
    await new Promise((r) => setTimeout(r, 10));
    offerBobsTracks(s.server, 'o-2');
    await new Promise((r) => setTimeout(r, 10));
    answerHeld.resolve({});
    await sharing;
    await new Promise((r) => setTimeout(r, 30));
    // o-2 was still unanswered when our offer went out: the server dropped it for our offer.
    expect(s.server.sent('call.answer').map((r) => r.data['offer_id'])).toEqual(['o-1']);
  });

  it('trickles candidates after the first answer, buffering those gathered before', async () => {
    const s = await setup([]);
    const offerHeld = deferred<object>();
    s.server.on('call.offer', () => offerHeld.promise);
    const joining = join(s);
    await until(() => s.server.sent('call.offer').length === 1);
    s.media.pc.gather('candidate:1 1 udp 2122260223 192.168.1.5 54321 typ host');
    s.media.pc.gather(null);
    expect(s.server.sent('call.candidate')).toEqual([]);
    offerHeld.resolve({ sdp: 'answer' });
    await joining;
    await until(() => s.server.sent('call.candidate').length === 1);
    s.media.pc.gather('candidate:2 1 udp 1 10.0.0.1 1 typ host', '1');
    await until(() => s.server.sent('call.candidate').length === 2);
    expect(s.server.sent('call.candidate').map((r) => r.data)).toEqual([
      {
        room_id: 'standup',
        candidate: { candidate: 'candidate:1 1 udp 2122260223 192.168.1.5 54321 typ host', sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'uf' },
      },
      { room_id: 'standup', candidate: { candidate: 'candidate:2 1 udp 1 10.0.0.1 1 typ host', sdpMid: '1', sdpMLineIndex: 1, usernameFragment: 'uf' } },
    ]);
  });
});
