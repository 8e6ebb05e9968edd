import { describe, expect, it } from 'vitest';

import { join, record, setup } from '../testing/fake-call.js';
import type { FakeTrack } from '../testing/fake-rtc.js';
import { Refusal, until } from '../testing/fake-server.js';

describe('the local participant', () => {
  it('mutes with call.mute once the server has named the track, and emits TrackMuted', async () => {
    const s = await setup();
    const room = await join(s);
    const events = record(room);
    const mic = room.localParticipant.tracks.get('microphone')!;
    await room.localParticipant.setMicrophoneEnabled(false);
    expect((mic.track as unknown as FakeTrack).enabled).toBe(false);
    expect(mic.muted).toBe(true);
    expect(room.localParticipant.isMicrophoneEnabled).toBe(false);
    expect(s.server.sent('call.mute')).toEqual([]); // no track id yet
    // The server names the track (unmuted): the SDK tells it the real state.
    s.server.push('call.track_published', { room_id: 'standup', participant_id: 'p-1', track: { track_id: 't-1-0', kind: 'audio', source: 'microphone', muted: false, simulcast: 1 } }, false);
    await until(() => s.server.sent('call.mute').length === 1);
    expect(mic.trackId).toBe('t-1-0');
    expect(s.server.sent('call.mute')[0]?.data).toEqual({ room_id: 'standup', track_id: 't-1-0', muted: true });
    await room.localParticipant.setMicrophoneEnabled(true);
    expect(s.server.sent('call.mute')[1]?.data).toEqual({ room_id: 'standup', track_id: 't-1-0', muted: false });
    await room.localParticipant.setMicrophoneEnabled(true); // no change, nothing sent
    expect(s.server.sent('call.mute')).toHaveLength(2);

    s.server.push('call.track_published', { room_id: 'standup', participant_id: 'p-1', track: { track_id: 't-1-1', kind: 'video', source: 'camera', muted: false, simulcast: 2 } }, false);
    await until(() => room.localParticipant.tracks.get('camera')?.trackId === 't-1-1');
    expect(room.localParticipant.tracks.get('camera')?.simulcast).toBe(2);
    await room.localParticipant.setCameraEnabled(false);
    expect(s.server.sent('call.mute')[2]?.data).toEqual({ room_id: 'standup', track_id: 't-1-1', muted: true });
    expect(events).toEqual(['trackMuted microphone p-1', 'trackUnmuted t-1-0 p-1', 'trackMuted t-1-1 p-1']);
  });

  it('publishes a microphone enabled later with a new offer', async () => {
    const s = await setup([]);
    const room = await join(s, { audio: false, video: false });
    const events = record(room);
    await room.localParticipant.setMicrophoneEnabled(false); // nothing to mute
    await room.localParticipant.setMicrophoneEnabled(true);
    expect(s.media.userMediaCalls).toEqual([{ audio: expect.objectContaining({ echoCancellation: true }), video: false }]);
    expect(s.server.sent('call.offer')[1]?.data['sources']).toEqual({ '0': 'microphone' });
    expect(events).toEqual(['localTrackPublished microphone p-1']);
  });

  it('shares the screen with a new offer and stops it, also when the browser ends it', async () => {
    const s = await setup([]);
    const room = await join(s);
    const events = record(room);
    await room.localParticipant.startScreenShare({ audio: true });
    expect(s.media.displayMediaCalls).toEqual([{ video: true, audio: true }]);
    expect(s.server.sent('call.offer')[1]?.data['sources']).toEqual({
      '0': 'microphone',
      '1': 'camera',
      '2': 'screen',
      '3': 'screen_audio',
    });
    expect(room.localParticipant.isScreenShareEnabled).toBe(true);
    const screen = room.localParticipant.tracks.get('screen')!.track as unknown as FakeTrack;
    expect(screen.contentHint).toBe('detail');
    await room.localParticipant.startScreenShare(); // already sharing
    expect(s.media.displayMediaCalls).toHaveLength(1);

    await room.localParticipant.stopScreenShare();
    expect(screen.readyState).toBe('ended');
    expect(s.media.pc.transceivers.filter((t) => t.direction === 'stopped')).toHaveLength(2);
    expect(s.server.sent('call.offer')[2]?.data['sources']).toEqual({ '0': 'microphone', '1': 'camera' });
    expect(events).toEqual([
      'localTrackPublished screen p-1',
      'localTrackPublished screen_audio p-1',
      'localTrackUnpublished screen p-1',
      'localTrackUnpublished screen_audio p-1',
    ]);

    // The browser's "Stop sharing".
    await room.localParticipant.startScreenShare();
    const again = room.localParticipant.tracks.get('screen')!.track as unknown as FakeTrack;
    again.end();
    await until(() => !room.localParticipant.isScreenShareEnabled && s.server.sent('call.offer').length === 5);
    expect(s.server.sent('call.offer')[4]?.data['sources']).toEqual({ '0': 'microphone', '1': 'camera' });
  });

  it('rolls back a refused screen share and keeps the call', async () => {
    const s = await setup([]);
    const room = await join(s);
    s.server.on('call.offer', () => {
      throw new Refusal('forbidden', 'may not publish screen');
    });
    await expect(room.localParticipant.startScreenShare()).rejects.toMatchObject({ code: 'forbidden' });
    expect(room.localParticipant.tracks.has('screen')).toBe(false);
    expect(s.media.captured.find((t) => t.label === 'screen')?.readyState).toBe('ended');
    expect(s.media.pc.signalingState).toBe('stable');
    expect(room.state).toBe('joined');

    s.media.failDisplayMedia = 'NotAllowedError';
    await expect(room.localParticipant.startScreenShare()).rejects.toMatchObject({ code: 'media_denied' });
  });

  it('switches devices with replaceTrack, without renegotiating', async () => {
    const s = await setup([]);
    const room = await join(s);
    const events = record(room);
    const cam = room.localParticipant.tracks.get('camera')!;
    const before = cam.track as unknown as FakeTrack;
    await room.localParticipant.setCameraEnabled(false);
    await room.localParticipant.switchDevice('videoinput', 'cam-2');
    const after = cam.track as unknown as FakeTrack;
    expect(after).not.toBe(before);
    expect(before.readyState).toBe('ended');
    expect(after.enabled).toBe(false); // stays muted
    expect(after.constraints?.deviceId).toEqual({ exact: 'cam-2' });
    expect(s.media.pc.transceivers[1]?.sender.track).toBe(after);
    expect(s.server.sent('call.offer')).toHaveLength(1);
    expect(events).toEqual(['trackMuted camera p-1', 'localTrackReplaced camera p-1']);
  });
});
