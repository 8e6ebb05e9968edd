import { describe, expect, it } from 'vitest';

import { MAX_DATA_MESSAGE_BYTES, unwrapDataText } from './data.js';
import { CallEvent } from './events.js';
import type { RemoteParticipant } from './participants.js';
import { CallError } from '../core/errors.js';
import { join, setup } from '../testing/fake-call.js';
import { FakePeerConnection } from '../testing/fake-rtc.js';

/** What DataReceived gave: the data (text, or bytes as numbers) and the sender's id. */
function received(list: Array<[string | ArrayBuffer, RemoteParticipant | undefined]>): Array<[string | number[], string | undefined]> {
  return list.map(([data, p]) => [typeof data === 'string' ? data : [...new Uint8Array(data)], p?.participantId]);
}

describe('the data channel', () => {
  it('is created (label caas, ordered, binary as ArrayBuffer) before the first offer, also when publishing nothing', async () => {
    const s = await setup([]);
    const room = await join(s, { audio: false, video: false });
    const pc = s.media.pc;
    expect(pc.log.slice(0, 2)).toEqual(['createDataChannel:caas', 'createOffer']);
    expect(pc.channels).toHaveLength(1);
    expect(pc.channel.label).toBe('caas');
    expect(pc.channel.init).toEqual({ ordered: true });
    expect(pc.channel.binaryType).toBe('arraybuffer');

    const states: string[] = [];
    room.on(CallEvent.DataChannelStateChanged, (state) => states.push(state));
    expect(room.dataChannelState).toBe('connecting');
    pc.channel.open();
    expect(room.dataChannelState).toBe('open');
    expect(states).toEqual(['open']);
  });

  it('sends text and binary once open', async () => {
    const s = await setup();
    const room = await join(s);
    const channel = s.media.pc.channel;
    channel.open();
    const bytes = new Uint8Array([1, 2, 3]);
    await room.sendData('hello');
    await room.sendData(bytes.buffer);
    await room.sendData(bytes.subarray(1));
    await room.sendData(new DataView(bytes.buffer, 2, 1));
    expect(channel.sent).toHaveLength(4);
    expect(channel.sent[0]).toBe('hello');
    expect(channel.sent[1]).toBe(bytes.buffer);
    expect([...(channel.sent[2] as Uint8Array)]).toEqual([2, 3]);
    expect(channel.sent[3]).toBeInstanceOf(DataView);
    // Nothing goes over the socket.
    expect(s.server.requests.map((r) => r.op)).toEqual(['call.join', 'call.offer']);
  });

  it('gives wrapped text with its sender, binary without one', async () => {
    const s = await setup();
    const room = await join(s);
    const got: Array<[string | ArrayBuffer, RemoteParticipant | undefined]> = [];
    room.on(CallEvent.DataReceived, (data, participant) => got.push([data, participant]));
    const channel = s.media.pc.channel;
    channel.open();
    channel.receive(JSON.stringify({ participant_id: 'p-2', data: 'hi ann' }));
    channel.receive(JSON.stringify({ participant_id: 'p-2', data: '{"nested":"json"}' }));
    // A sender not (yet) known, and text that is not the server's wrapper.
    channel.receive(JSON.stringify({ participant_id: 'p-9', data: 'who?' }));
    channel.receive('not json');
    channel.receive(new Uint8Array([7, 8, 9]).buffer);
    // A view (some WebRTC implementations outside browsers): copied to an ArrayBuffer.
    channel.receive(new Uint8Array([0, 5, 6, 0]).subarray(1, 3));
    expect(received(got)).toEqual([
      ['hi ann', 'p-2'],
      ['{"nested":"json"}', 'p-2'],
      ['who?', undefined],
      ['not json', undefined],
      [[7, 8, 9], undefined],
      [[5, 6], undefined],
    ]);
    expect(got[0]?.[1]).toBe(room.remoteParticipants.get('p-2'));
    expect(got[5]?.[0]).toBeInstanceOf(ArrayBuffer);
  });

  it('rejects sendData before the channel opens, over 64 KiB, when the channel refuses, and after leaving', async () => {
    const s = await setup();
    const room = await join(s);
    const channel = s.media.pc.channel;
    const early = await room.sendData('too early').catch((e: unknown) => e);
    expect(early).toBeInstanceOf(CallError);
    expect(early).toMatchObject({ code: 'data_channel_not_open' });

    channel.open();
    await room.sendData('x'.repeat(MAX_DATA_MESSAGE_BYTES)); // exactly the limit
    await room.sendData('€'.repeat(Math.floor(MAX_DATA_MESSAGE_BYTES / 3))); // 3 bytes each in UTF-8
    await expect(room.sendData('x'.repeat(MAX_DATA_MESSAGE_BYTES + 1))).rejects.toMatchObject({ code: 'message_too_large' });
    await expect(room.sendData('€'.repeat(30_000))).rejects.toMatchObject({ code: 'message_too_large' });
    await expect(room.sendData(new Uint8Array(MAX_DATA_MESSAGE_BYTES + 1))).rejects.toMatchObject({ code: 'message_too_large' });
    expect(channel.sent).toHaveLength(2);

    channel.failSend = 'OperationError';
    await expect(room.sendData('full')).rejects.toMatchObject({ name: 'CallError', code: 'data_send_failed' });
    channel.failSend = undefined;

    const states: string[] = [];
    room.on(CallEvent.DataChannelStateChanged, (state) => states.push(state));
    const got: unknown[] = [];
    room.on(CallEvent.DataReceived, (data) => got.push(data));
    await room.leave();
    expect(channel.readyState).toBe('closed');
    expect(states).toEqual([]); // closed by the room: no event after Disconnected
    await expect(room.sendData('late')).rejects.toMatchObject({ code: 'call_left' });
    channel.receive(JSON.stringify({ participant_id: 'p-2', data: 'after' }));
    expect(got).toEqual([]);
  });

  it('reports a channel closed by the connection', async () => {
    const s = await setup();
    const room = await join(s);
    const states: string[] = [];
    room.on(CallEvent.DataChannelStateChanged, (state) => states.push(state));
    s.media.pc.channel.open();
    s.media.pc.channel.close();
    expect(states).toEqual(['open', 'closed']);
    await expect(room.sendData('gone')).rejects.toMatchObject({ code: 'data_channel_not_open' });
  });

  it('is absent, without failing the call, when the WebRTC implementation has no data channels', async () => {
    const s = await setup();
    const media = s.media.options;
    const room = await s.client.calls.join('standup', {
      ...media,
      peerConnectionFactory: (config) => {
        const pc = media.peerConnectionFactory(config) as unknown as FakePeerConnection;
        Object.defineProperty(pc, 'createDataChannel', { value: undefined });
        return pc as unknown as RTCPeerConnection;
      },
    });
    expect(room.state).toBe('joined');
    expect(room.dataChannelState).toBe('closed');
    await expect(room.sendData('x')).rejects.toMatchObject({ code: 'data_channel_not_open' });
  });
});

describe('unwrapDataText', () => {
  it("reads the server's wrapper and nothing else", () => {
    expect(unwrapDataText('{"participant_id":"p-3","data":"hi"}')).toEqual({ participantId: 'p-3', data: 'hi' });
    expect(unwrapDataText('{"participant_id":"p-3","data":""}')).toEqual({ participantId: 'p-3', data: '' });
    for (const other of ['hi', '42', 'null', '[]', '{"participant_id":"p-3"}', '{"participant_id":3,"data":"x"}', '{"data":"x"}']) {
      expect(unwrapDataText(other)).toBeUndefined();
    }
  });
});
