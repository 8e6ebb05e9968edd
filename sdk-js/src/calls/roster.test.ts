import { describe, expect, it } from 'vitest';

import { bob, join, offerBobsTracks, record, setup } from '../testing/fake-call.js';
import { until } from '../testing/fake-server.js';

describe('participants and tracks', () => {
  it('follows joins, publications, mutes, unpublications, leaves and speakers', async () => {
    const s = await setup([]);
    const room = await join(s);
    const events = record(room);
    s.server.push('call.participant_joined', { room_id: 'standup', participant: { ...bob, tracks: [] } }, false);
    s.server.push('call.track_published', { room_id: 'standup', participant_id: 'p-2', track: bob.tracks[1] }, false);
    s.server.push('call.track_muted', { room_id: 'standup', participant_id: 'p-2', track_id: 't-2-1', muted: true }, false);
    s.server.push(
      'call.speakers',
      { room_id: 'standup', speakers: [{ participant_id: 'p-2', level: 0 }, { participant_id: 'p-1', level: 40 }] },
      false,
    );
    // Events of other rooms are not this room's.
    s.server.push('call.participant_joined', { room_id: 'elsewhere', participant: { ...bob, participant_id: 'p-9' } }, false);
    await until(() => events.length >= 4);
    const p2 = room.remoteParticipants.get('p-2')!;
    expect(p2.tracks.get('t-2-1')?.muted).toBe(true);
    expect(p2.isCameraEnabled).toBe(false);
    expect(room.activeSpeakers.map((p) => p.participantId)).toEqual(['p-2', 'p-1']);
    expect(p2.isSpeaking).toBe(true);
    expect(p2.audioLevel).toBe(1);
    expect(room.localParticipant.audioLevel).toBe(0.01);
    expect(room.remoteParticipants.has('p-9')).toBe(false);

    offerBobsTracks(s.server);
    await until(() => s.server.sent('call.answer').length === 1);
    s.server.push('call.track_unpublished', { room_id: 'standup', participant_id: 'p-2', track_id: 't-2-1' }, false);
    s.server.push('call.participant_left', { room_id: 'standup', participant_id: 'p-2' }, false);
    await until(() => room.remoteParticipants.size === 0);
    expect(events).toEqual([
      'participantJoined p-2',
      'trackPublished t-2-1 p-2',
      'trackMuted t-2-1 p-2',
      'activeSpeakersChanged p-2,p-1',
      'trackSubscribed video t-2-1 p-2',
      'trackUnsubscribed video t-2-1 p-2',
      'trackUnpublished t-2-1 p-2',
      'activeSpeakersChanged p-1',
      'participantLeft p-2',
    ]);
  });

  it('subscribes, unsubscribes and picks a video size with call.subscribe', async () => {
    const s = await setup();
    const room = await join(s);
    const p2 = room.remoteParticipants.get('p-2')!;
    await p2.setSubscribed('t-2-0', false);
    await p2.setVideoQuality('t-2-1', 359.6);
    await p2.setSubscribed('t-2-1', true);
    expect(s.server.sent('call.subscribe').map((r) => r.data)).toEqual([
      { room_id: 'standup', track_id: 't-2-0', enabled: false },
      { room_id: 'standup', track_id: 't-2-1', enabled: true, max_height: 360 },
      { room_id: 'standup', track_id: 't-2-1', enabled: true, max_height: 360 },
    ]);
    expect(p2.tracks.get('t-2-0')?.subscribed).toBe(false);
    await expect(p2.setSubscribed('t-nope', true)).rejects.toMatchObject({ code: 'not_found' });
  });
});
