// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';

import { CaasClient } from '../../client/client.js';
import { FakeMedia, serverSdp } from '../../testing/fake-rtc.js';
import { FakeServer, Refusal, until, user } from '../../testing/fake-server.js';
import type { CallParticipantInfo } from '../../calls/types.js';
import '../index.js';
import type { ActionErrorDetail, CaasCall, CallJoinedDetail, CallLeftDetail } from '../index.js';

const clients: CaasClient[] = [];

afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
  document.body.innerHTML = '';
});

const bob: CallParticipantInfo = {
  participant_id: 'p-2',
  user_id: 'bob',
  tracks: [
    { track_id: 't-2-0', kind: 'audio', source: 'microphone', muted: false, simulcast: 1 },
    { track_id: 't-2-1', kind: 'video', source: 'camera', muted: false, simulcast: 3 },
  ],
};

interface Mounted {
  el: CaasCall;
  server: FakeServer;
  media: FakeMedia;
  events: string[];
}

async function mount(attrs: Record<string, string> = {}): Promise<Mounted> {
  const server = new FakeServer(user('ann'));
  server
    .on('call.join', () => ({ participant_id: 'p-1', ice_servers: [], participants: [bob] }))
    .on('call.offer', () => ({ sdp: 'answer' }))
    .on('call.answer', () => ({}))
    .on('call.mute', () => ({}))
    .on('call.leave', () => ({}));
  const client = await server.client();
  clients.push(client);
  const media = new FakeMedia();
  const el = document.createElement('caas-call');
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.joinOptions = media.options;
  el.client = client;
  const events: string[] = [];
  el.addEventListener('caas-joined', (e: CustomEvent<CallJoinedDetail>) => events.push(`joined ${e.detail.room.roomId}`));
  el.addEventListener('caas-left', (e: CustomEvent<CallLeftDetail>) => events.push(`left ${e.detail.reason}`));
  el.addEventListener('caas-error', (e: CustomEvent<ActionErrorDetail>) => events.push(`error ${e.detail.action}`));
  document.body.append(el);
  await el.updateComplete;
  return { el, server, media, events };
}

function q<T extends Element = HTMLElement>(el: CaasCall, selector: string): T | null {
  return el.shadowRoot!.querySelector<T>(selector);
}

function tiles(el: CaasCall): string[] {
  return [...el.shadowRoot!.querySelectorAll<HTMLElement>('[data-testid="call-tile"]')].map(
    (t) => `${t.dataset['participantId']}:${t.dataset['source']}${t.querySelector('video') ? ':video' : ''}${t.dataset['speaking'] === 'true' ? ':speaking' : ''}`,
  );
}

async function settle(el: CaasCall): Promise<void> {
  await new Promise((r) => setTimeout(r, 10));
  await el.updateComplete;
}

describe('<caas-call>', () => {
  it('joins with the Join button and shows a tile per participant, live', async () => {
    const { el, server, media, events } = await mount({ 'room-id': 'standup' });
    expect(customElements.get('caas-call')).toBeDefined();
    expect(q(el, '[data-testid="call-status"]')?.textContent?.trim()).toBe('Call: standup');
    q<HTMLButtonElement>(el, '[data-testid="call-join"]')!.click();
    await until(() => el.room !== undefined);
    await el.updateComplete;
    expect(events).toEqual(['joined standup']);
    expect(media.userMediaCalls[0]).toMatchObject({ audio: expect.any(Object), video: expect.any(Object) });
    expect(tiles(el)).toEqual(['p-1:camera:video', 'p-2:camera']);
    const local = q<HTMLVideoElement>(el, '[data-participant-id="p-1"] video')!;
    expect(local.dataset['trackSource']).toBe('camera');
    expect(local.muted).toBe(true);
    expect(q(el, '[data-participant-id="p-1"]')?.classList.contains('mirror')).toBe(true);
    expect(q(el, '[data-participant-id="p-2"] figcaption')?.textContent?.trim()).toBe('bob');
    expect(q(el, '[data-participant-id="p-2"] .avatar')?.textContent).toBe('BO');

    // bob's media arrives with a server offer.
    server.push(
      'call.offer',
      {
        room_id: 'standup',
        offer_id: 'o-1',
        sdp: serverSdp([
          { mid: '0', kind: 'audio' },
          { mid: '1', kind: 'video' },
          { mid: '2', kind: 'audio', participant: 'p-2', track: 't-2-0' },
          { mid: '3', kind: 'video', participant: 'p-2', track: 't-2-1' },
        ]),
        tracks: { '2': { participant_id: 'p-2', track_id: 't-2-0' }, '3': { participant_id: 'p-2', track_id: 't-2-1' } },
      },
      false,
    );
    await until(() => tiles(el).includes('p-2:camera:video'));
    expect(q(el, 'audio[data-participant-id="p-2"]')?.getAttribute('data-track-source')).toBe('microphone');
    expect(q(el, '[data-participant-id="p-2"] .placeholder')).toBeNull();

    server.push('call.speakers', { room_id: 'standup', speakers: [{ participant_id: 'p-2', level: 10 }] }, false);
    await until(() => tiles(el).includes('p-2:camera:video:speaking'));
    expect(q(el, '[data-participant-id="p-2"]')?.getAttribute('aria-label')).toBe('bob, speaking');

    const bobTile = (): HTMLElement | null => q(el, '[data-participant-id="p-2"][data-source="camera"]');
    expect([bobTile()?.dataset['muted'], bobTile()?.dataset['micMuted']]).toEqual(['false', 'false']);
    server.push('call.track_muted', { room_id: 'standup', participant_id: 'p-2', track_id: 't-2-1', muted: true }, false);
    await until(() => q(el, '[data-participant-id="p-2"] .placeholder') !== null);
    expect(bobTile()?.dataset['muted']).toBe('true');
    server.push('call.track_muted', { room_id: 'standup', participant_id: 'p-2', track_id: 't-2-0', muted: true }, false);
    await until(() => bobTile()?.dataset['micMuted'] === 'true');
    server.push('call.track_muted', { room_id: 'standup', participant_id: 'p-2', track_id: 't-2-1', muted: false }, false);
    await until(() => bobTile()?.dataset['muted'] === 'false');
    expect(q(el, '[data-participant-id="p-2"] .placeholder')).toBeNull();

    server.push('call.participant_left', { room_id: 'standup', participant_id: 'p-2' }, false);
    await until(() => tiles(el).length === 1);
    expect(q(el, 'audio')).toBeNull();
  });

  it('toggles microphone, camera and screen share with aria-pressed buttons, and leaves', async () => {
    const { el, server, media, events } = await mount({ 'room-id': 'standup' });
    await el.join();
    await el.updateComplete;
    const mic = q<HTMLButtonElement>(el, '[data-testid="call-mic"]')!;
    const cam = q<HTMLButtonElement>(el, '[data-testid="call-camera"]')!;
    const screen = q<HTMLButtonElement>(el, '[data-testid="call-screen"]')!;
    expect([mic, cam, screen].map((b) => b.getAttribute('aria-pressed'))).toEqual(['true', 'true', 'false']);
    expect(q(el, '[role="group"]')?.getAttribute('aria-label')).toBe('Call controls');

    server.push('call.track_published', { room_id: 'standup', participant_id: 'p-1', track: { track_id: 't-1-0', kind: 'audio', source: 'microphone', muted: false, simulcast: 1 } }, false);
    await settle(el);
    mic.click();
    await until(() => server.sent('call.mute').length === 1);
    await settle(el);
    expect(mic.getAttribute('aria-pressed')).toBe('false');
    expect(server.sent('call.mute')[0]?.data).toEqual({ room_id: 'standup', track_id: 't-1-0', muted: true });
    expect(q(el, '[data-participant-id="p-1"]')?.getAttribute('aria-label')).toBe('ann (you), muted');

    cam.click();
    await settle(el);
    expect(cam.getAttribute('aria-pressed')).toBe('false');
    expect(q(el, '[data-participant-id="p-1"]')?.classList.contains('off')).toBe(true);
    expect(q(el, '[data-participant-id="p-1"]')?.dataset['muted']).toBe('true');

    screen.click();
    await until(() => tiles(el).includes('p-1:screen:video'));
    await settle(el);
    expect(screen.getAttribute('aria-pressed')).toBe('true');
    expect(media.displayMediaCalls).toHaveLength(1);
    expect(q(el, '[data-source="screen"] video')?.getAttribute('data-track-source')).toBe('screen');
    screen.click();
    await until(() => !tiles(el).some((t) => t.includes('screen')));

    q<HTMLButtonElement>(el, '[data-testid="call-leave"]')!.click();
    await until(() => server.sent('call.leave').length === 1);
    await el.updateComplete;
    expect(events).toEqual(['joined standup', 'left left']);
    expect(el.room).toBeUndefined();
    expect(q(el, '[data-testid="call-join"]')).not.toBeNull();
  });

  it('shows a refused join and fires caas-error', async () => {
    const { el, server, events } = await mount({ 'room-id': 'standup' });
    server.on('call.join', () => {
      throw new Refusal('room_full', 'the room is full (50 participants)');
    });
    await el.join();
    await el.updateComplete;
    expect(events).toEqual(['error call.join']);
    expect(q(el, '[role="alert"]')?.textContent).toContain('the room is full');
    expect(el.room).toBeUndefined();
  });

  it('joins by itself with autojoin, honouring audio="false"', async () => {
    const { el, media, events } = await mount({ 'room-id': 'standup', autojoin: '', audio: 'false' });
    await until(() => el.room !== undefined);
    expect(el.audio).toBe(false);
    expect(media.userMediaCalls[0]?.audio).toBe(false);
    expect(events).toEqual(['joined standup']);
    // Removing the element leaves the call.
    el.remove();
    await until(() => events.length === 2);
    expect(events[1]).toBe('left left');
  });

  it('with autojoin, waits for the client to connect, and joins again after the connection comes back', async () => {
    const server = new FakeServer(user('ann'));
    server
      .on('call.join', () => ({ participant_id: `p-${server.sent('call.join').length}`, ice_servers: [], participants: [] }))
      .on('call.offer', () => ({ sdp: 'answer' }))
      .on('call.leave', () => ({}));
    const client = new CaasClient({ url: 'http://caas.test', token: 't', WebSocket: server.WebSocket, fetch: () => Promise.reject(new Error('no REST')) });
    clients.push(client);
    const el = document.createElement('caas-call');
    el.roomId = 'standup';
    el.autojoin = true;
    el.joinOptions = new FakeMedia().options;
    el.client = client;
    const left: string[] = [];
    el.addEventListener('caas-left', (e) => left.push(e.detail.reason));
    document.body.append(el);
    await settle(el);
    expect(server.sent('call.join')).toHaveLength(0);
    expect(q(el, '[data-testid="call-error"]')).toBeNull();

    await client.connect();
    await until(() => el.room?.localParticipant.participantId === 'p-1');
    client.disconnect();
    await until(() => left.length === 1);
    expect(left).toEqual(['connection_lost']);
    await client.connect();
    await until(() => el.room?.localParticipant.participantId === 'p-2');
  });
});
