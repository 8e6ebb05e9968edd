import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { DEFAULT_RECONNECT } from '../core/backoff.js';
import { ConnectionError, TimeoutError, RequestError, AuthError } from '../core/errors.js';
import type { PushFrame } from '../core/wire.js';
import { FakeWebSocket, connected, flush, makeClient, message, USER } from '../testing/fake-ws.js';
import { isNewer } from './client.js';
import { ClientEvent, type ConnectedEvent } from './events.js';

beforeEach(() => {
  FakeWebSocket.instances = [];
});

afterEach(() => {
  vi.useRealTimers();
});

describe('connect', () => {
  it('opens /v1/ws with the token and resolves on session.ready', async () => {
    const client = makeClient({ url: 'https://chat.example.com/base/' });
    const events: string[] = [];
    client.on(ClientEvent.SessionReady, (data) => events.push(`ready:${data.cursor}`));
    client.on(ClientEvent.Connected, (ev) => events.push(`connected:${ev.resumed}`));
    const ready = client.connect();
    expect(client.state).toBe('connecting');
    await flush();
    const ws = FakeWebSocket.last();
    const url = new URL(ws.url);
    expect(url.protocol).toBe('wss:');
    expect(url.pathname).toBe('/base/v1/ws');
    expect(url.searchParams.get('token')).toBe('tok-1');
    expect(url.searchParams.has('cursor')).toBe(false);
    ws.accept('41');
    const session = await ready;
    expect(session.user.id).toBe('ann');
    expect(session.cursor).toBe('41');
    expect(client.state).toBe('connected');
    expect(client.cursor).toBe('41');
    expect(client.user?.name).toBe('Ann');
    expect(events).toEqual(['ready:41', 'connected:false']);
    // Connecting again while connected is a no-op.
    await expect(client.connect()).resolves.toBe(session);
    expect(FakeWebSocket.instances).toHaveLength(1);
  });

  it('uses ws:// for an http base URL and passes a starting cursor', async () => {
    const client = makeClient({ cursor: '7' });
    const ready = client.connect();
    await flush();
    const ws = FakeWebSocket.last();
    expect(ws.url.startsWith('ws://127.0.0.1:8080/v1/ws?')).toBe(true);
    expect(ws.query.get('cursor')).toBe('7');
    const connectedEvents: ConnectedEvent[] = [];
    client.on(ClientEvent.Connected, (ev) => connectedEvents.push(ev));
    ws.accept('7');
    await ready;
    expect(connectedEvents[0]?.resumed).toBe(true);
  });

  it('refuses bad options', () => {
    expect(() => makeClient({ url: 'not a url' })).toThrow(expect.objectContaining({ code: 'invalid_options' }));
    expect(() => makeClient({ url: 'ftp://h' })).toThrow(expect.objectContaining({ code: 'invalid_options' }));
    expect(() => makeClient({ token: undefined })).toThrow(expect.objectContaining({ code: 'invalid_options' }));
  });

  it('waits for the running reconnection when connect() is called during it', async () => {
    vi.useFakeTimers();
    const { client, ws } = await connected();
    ws.serverClose(1006);
    const again = client.connect();
    const waited = client.waitUntilConnected();
    await vi.advanceTimersByTimeAsync(DEFAULT_RECONNECT.initialDelayMs);
    FakeWebSocket.last().accept('10');
    await expect(again).resolves.toMatchObject({ cursor: '10' });
    await expect(waited).resolves.toBeUndefined();
    expect(FakeWebSocket.instances).toHaveLength(2);
  });

  it('rejects waitUntilConnected when the client is idle', async () => {
    await expect(makeClient().waitUntilConnected()).rejects.toMatchObject({ code: 'not_connected' });
  });

  it('rejects when the first frame is not session.ready', async () => {
    const client = makeClient();
    const ready = client.connect();
    await flush();
    const ws = FakeWebSocket.last();
    ws.readyState = 1;
    ws.push({ event: 'message.new', data: {}, cursor: '3' });
    await expect(ready).rejects.toMatchObject({ name: 'ConnectionError', code: 'protocol_error' });
    expect(ws.closedWith?.code).toBe(1002);
    expect(client.state).toBe('disconnected');
  });

  it('times out when session.ready never comes', async () => {
    vi.useFakeTimers();
    const client = makeClient({ connectTimeoutMs: 1000 });
    const ready = client.connect();
    const caught = ready.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await caught).toBeInstanceOf(TimeoutError);
  });
});

describe('request', () => {
  it('matches replies to requests by numeric id', async () => {
    const { client, ws } = await connected();
    const a = client.request('conversation.get', { conversation_id: 'c-a' });
    const b = client.request('conversation.get', { conversation_id: 'c-b' });
    const [ra, rb] = ws.requests;
    expect(ra?.op).toBe('conversation.get');
    expect(typeof ra?.id).toBe('number');
    expect(rb?.id).toBeGreaterThan(ra?.id ?? Infinity);
    // Replies out of order.
    ws.reply(rb!.id, { conversation: { id: 'c-b' } });
    ws.reply(ra!.id, { conversation: { id: 'c-a' } });
    expect((await a).conversation.id).toBe('c-a');
    expect((await b).conversation.id).toBe('c-b');
  });

  it('sends ops the SDK has no type for', async () => {
    const { client, ws } = await connected();
    const r = client.request('custom.op', { n: 1 });
    expect(ws.lastRequest()).toMatchObject({ op: 'custom.op', data: { n: 1 } });
    ws.reply(ws.lastRequest().id, { fine: true });
    await expect(r).resolves.toEqual({ fine: true });
  });

  it('rejects with TimeoutError when no reply comes, and ignores a late reply', async () => {
    vi.useFakeTimers();
    const { client, ws } = await connected({ requestTimeoutMs: 2000 });
    const r = client.request('conversation.get', { conversation_id: 'c' });
    const caught = r.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1999);
    const slow = client.request('conversation.get', { conversation_id: 'c' }, { timeoutMs: 5000 });
    await vi.advanceTimersByTimeAsync(1);
    const err = await caught;
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as TimeoutError).code).toBe('timeout');
    expect((err as TimeoutError).timeoutMs).toBe(2000);
    ws.reply(ws.requests[0]!.id, { conversation: { id: 'late' } });
    ws.reply(ws.requests[1]!.id, { conversation: { id: 'slow' } });
    expect((await slow).conversation.id).toBe('slow');
  });

  it('rejects with RequestError carrying the server code on ok:false', async () => {
    const { client, ws } = await connected();
    const r = client.request('message.send', { conversation_id: 'c', text: 'x' });
    ws.replyError(ws.lastRequest().id, 'forbidden', 'you are not a member of this conversation');
    const err = await r.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestError);
    expect(err).not.toBeInstanceOf(AuthError);
    expect(err).toMatchObject({
      code: 'forbidden',
      message: 'you are not a member of this conversation',
      op: 'message.send',
    });
  });

  it('maps invalid_token replies to AuthError', async () => {
    const { client, ws } = await connected();
    const r = client.request('conversation.get', { conversation_id: 'c' });
    ws.replyError(ws.lastRequest().id, 'invalid_token', 'expired');
    await expect(r).rejects.toBeInstanceOf(AuthError);
  });

  it('rejects pending requests with ConnectionError when the socket closes', async () => {
    const { client, ws } = await connected({ reconnect: { enabled: false } });
    const r = client.request('conversation.get', { conversation_id: 'c' });
    ws.serverClose(4008, 'slow_consumer: reconnect with your last cursor');
    const err = await r.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err).toMatchObject({ code: 'connection_closed', closeCode: 4008 });
  });

  it('rejects at once when not connected', async () => {
    const client = makeClient();
    await expect(client.request('conversation.get', { conversation_id: 'c' })).rejects.toMatchObject({
      name: 'ConnectionError',
      code: 'not_connected',
    });
  });

  it('refuses a frame larger than the server accepts', async () => {
    const { client, ws } = await connected();
    const r = client.request('message.send', { conversation_id: 'c', text: 'x'.repeat(70_000) });
    await expect(r).rejects.toMatchObject({ code: 'frame_too_large' });
    expect(ws.sent).toHaveLength(0);
  });
});

describe('events and cursors', () => {
  it('emits pushes by name with their data and frame', async () => {
    const { client, ws } = await connected();
    const got: string[] = [];
    client.on(ClientEvent.MessageNew, (data, frame) => got.push(`${data.message.text}@${frame.cursor}`));
    client.on(ClientEvent.ReceiptRead, (data) => got.push(`read:${data.user_id}:${data.last_read_seq}`));
    client.on(ClientEvent.ConversationSettings, (data) => got.push(`pinned:${data.pinned}`));
    client.on(ClientEvent.Typing, (data) => got.push(`typing:${String(data['user_id'])}`));
    client.on('custom.thing', (...args) => got.push(`custom:${JSON.stringify(args[0])}`));
    ws.push({ event: 'message.new', data: { message: message(1) }, cursor: '11' });
    ws.push({ event: 'receipt.read', data: { conversation_id: 'c-1', user_id: 'bob', last_read_seq: 1 }, cursor: '12' });
    ws.push({
      event: 'conversation.settings',
      data: { conversation_id: 'c-1', muted_until: null, archived: false, pinned: true },
      cursor: '13',
    });
    ws.push({ event: 'typing', data: { conversation_id: 'c-1', user_id: 'bob' } });
    ws.push({ event: 'custom.thing', data: { x: 1 } });
    expect(got).toEqual(['hello 1@11', 'read:bob:1', 'pinned:true', 'typing:bob', 'custom:{"x":1}']);
  });

  it('keeps the newest cursor and drops events it has already seen', async () => {
    const { client, ws } = await connected({}, '10');
    const frames: PushFrame[] = [];
    client.on(ClientEvent.MessageNew, (_data, frame) => frames.push(frame));
    ws.push({ event: 'message.new', data: { message: message(1) }, cursor: '11' });
    ws.push({ event: 'message.new', data: { message: message(2) }, cursor: '12' });
    expect(client.cursor).toBe('12');
    // Ephemeral events carry no cursor and do not move it.
    ws.push({ event: 'presence', data: { user_id: 'bob', online: true } });
    expect(client.cursor).toBe('12');
    // A repeat of an event already processed is not emitted again.
    ws.push({ event: 'message.new', data: { message: message(2) }, cursor: '12' });
    ws.push({ event: 'message.new', data: { message: message(1) }, cursor: '11' });
    expect(frames.map((f) => f.cursor)).toEqual(['11', '12']);
  });

  it('reconnects with the newest cursor and receives the replay in order', async () => {
    vi.useFakeTimers();
    const { client, ws } = await connected({}, '10');
    const texts: string[] = [];
    client.on(ClientEvent.MessageNew, ({ message: m }) => texts.push(m.text));
    ws.push({ event: 'message.new', data: { message: message(1) }, cursor: '11' });
    ws.push({ event: 'message.new', data: { message: message(2) }, cursor: '12' });
    ws.serverClose(4008, 'slow_consumer');
    expect(client.state).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(DEFAULT_RECONNECT.maxDelayMs);
    const next = FakeWebSocket.last();
    expect(next).not.toBe(ws);
    expect(next.query.get('cursor')).toBe('12');
    expect(next.query.get('token')).toBe('tok-1');
    const resumed: ConnectedEvent[] = [];
    client.on(ClientEvent.Connected, (ev) => resumed.push(ev));
    next.accept('12');
    next.push({ event: 'message.new', data: { message: message(3) }, cursor: '13' });
    next.push({ event: 'message.new', data: { message: message(4) }, cursor: '14' });
    expect(resumed).toEqual([{ user: USER, cursor: '12', resumed: true }]);
    expect(client.state).toBe('connected');
    expect(texts).toEqual(['hello 1', 'hello 2', 'hello 3', 'hello 4']);
    expect(client.cursor).toBe('14');
  });

  it('isolates a listener that throws', async () => {
    const errors: unknown[] = [];
    const { client, ws } = await connected({ onListenerError: (e) => errors.push(e) });
    const seen: number[] = [];
    client.on(ClientEvent.MessageNew, () => {
      throw new Error('boom');
    });
    client.on(ClientEvent.MessageNew, ({ message: m }) => seen.push(m.seq));
    ws.push({ event: 'message.new', data: { message: message(1) }, cursor: '11' });
    expect(seen).toEqual([1]);
    expect(errors).toHaveLength(1);
    expect(client.cursor).toBe('11');
  });

  it('compares decimal cursors as numbers', () => {
    expect(isNewer('10', '9')).toBe(true);
    expect(isNewer('9', '10')).toBe(false);
    expect(isNewer('10', '10')).toBe(false);
    expect(isNewer('1', undefined)).toBe(true);
    expect(isNewer('12345678901234567890', '12345678901234567889')).toBe(true);
  });
});
