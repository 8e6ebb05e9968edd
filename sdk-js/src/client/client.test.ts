import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { backoffDelay, DEFAULT_RECONNECT } from './backoff.js';
import { CaasClient, isNewer, type CaasClientOptions } from './client.js';
import { AuthError, ConnectionError, RequestError, TimeoutError } from './errors.js';
import { ClientEvent, type ConnectedEvent, type DisconnectedEvent, type ReconnectingEvent } from './events.js';
import type { FetchInit, FetchLike, WebSocketLike } from './transport.js';
import type { Message, PushFrame, User } from './types.js';

const USER: User = {
  id: 'ann',
  name: 'Ann',
  avatar_url: null,
  metadata: {},
  created_at: '2026-11-26T10:00:00.000Z',
  updated_at: '2026-11-26T10:00:00.000Z',
};

function message(seq: number, clientMsgId?: string): Message {
  return {
    id: `m-${seq}`,
    conversation_id: 'c-1',
    seq,
    sender_id: 'ann',
    ...(clientMsgId === undefined ? {} : { client_msg_id: clientMsgId }),
    text: `hello ${seq}`,
    reply_count: 0,
    mentions: [],
    created_at: '2026-11-26T10:00:01.000Z',
    edited_at: null,
    deleted_at: null,
    pinned_at: null,
    reactions: { counts: {}, mine: [] },
    attachments: [],
  };
}

interface SentRequest {
  id: number;
  op: string;
  data: Record<string, unknown>;
}

/** A WebSocket double driven by the test: it plays the server's side. */
class FakeWebSocket implements WebSocketLike {
  static instances: FakeWebSocket[] = [];

  readyState = 0;
  readonly sent: string[] = [];
  closedWith: { code: number; reason: string } | undefined;
  onopen: ((event: never) => void) | null = null;
  onmessage: ((event: never) => void) | null = null;
  onerror: ((event: never) => void) | null = null;
  onclose: ((event: never) => void) | null = null;

  constructor(readonly url: string) {
    FakeWebSocket.instances.push(this);
  }

  static last(): FakeWebSocket {
    const ws = FakeWebSocket.instances.at(-1);
    if (!ws) throw new Error('no socket was opened');
    return ws;
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('socket is not open');
    this.sent.push(data);
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.closedWith = { code, reason };
    queueMicrotask(() => this.fire('onclose', { code, reason }));
  }

  /** Query parameters of the URL the client opened. */
  get query(): URLSearchParams {
    return new URL(this.url).searchParams;
  }

  /** The requests the client sent, parsed. */
  get requests(): SentRequest[] {
    return this.sent.map((s) => JSON.parse(s) as SentRequest);
  }

  lastRequest(): SentRequest {
    const r = this.requests.at(-1);
    if (!r) throw new Error('no request was sent');
    return r;
  }

  /** Completes the upgrade and sends `session.ready`. */
  accept(cursor = '10', user: User = USER): void {
    this.readyState = 1;
    this.fire('onopen', {});
    this.push({ event: 'session.ready', data: { user, cursor } });
  }

  push(frame: object): void {
    this.fire('onmessage', { data: JSON.stringify(frame) });
  }

  reply(id: number, data: unknown): void {
    this.push({ id, ok: true, data });
  }

  replyError(id: number, code: string, message: string): void {
    this.push({ id, ok: false, error: { code, message } });
  }

  /** The server closes the connection. */
  serverClose(code: number, reason = ''): void {
    this.readyState = 3;
    this.fire('onclose', { code, reason });
  }

  /** The upgrade fails; `message` is what the `ws` package reports (browsers report nothing). */
  refuse(message?: string): void {
    this.readyState = 3;
    this.fire('onerror', message === undefined ? {} : { message });
    this.fire('onclose', { code: 1006, reason: '' });
  }

  private fire(slot: 'onopen' | 'onmessage' | 'onerror' | 'onclose', event: object): void {
    const handler = this[slot] as ((event: object) => void) | null;
    handler?.(event);
  }
}

/** Lets pending promise callbacks run. */
async function flush(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

interface FetchCall {
  url: string;
  init: FetchInit;
}

function fakeFetch(respond: (url: string, init: FetchInit) => { status: number; body?: unknown }): {
  fetch: FetchLike;
  calls: FetchCall[];
} {
  const calls: FetchCall[] = [];
  const fetch: FetchLike = async (url, init) => {
    calls.push({ url, init });
    const { status, body } = respond(url, init);
    const text = body === undefined ? '' : JSON.stringify(body);
    return { status, text: async () => text };
  };
  return { fetch, calls };
}

const noFetch: FetchLike = () => Promise.reject(new Error('no network in this test'));

function makeClient(options: Partial<CaasClientOptions> = {}): CaasClient {
  return new CaasClient({
    url: 'http://127.0.0.1:8080',
    token: 'tok-1',
    WebSocket: FakeWebSocket,
    fetch: noFetch,
    random: () => 0.5,
    onListenerError: (error) => {
      throw error;
    },
    ...options,
  });
}

async function connected(options: Partial<CaasClientOptions> = {}, cursor = '10'): Promise<{ client: CaasClient; ws: FakeWebSocket }> {
  const client = makeClient(options);
  const ready = client.connect();
  await flush();
  const ws = FakeWebSocket.last();
  ws.accept(cursor);
  await ready;
  return { client, ws };
}

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

describe('reconnection', () => {
  it('reconnects after close codes 4008 and 4000 with jittered exponential backoff', async () => {
    vi.useFakeTimers();
    const random = vi.fn(() => 0.5);
    const reconnect = { initialDelayMs: 1000, maxDelayMs: 8000 };
    const { client, ws } = await connected({ random, reconnect, fetch: fakeFetch(() => ({ status: 200, body: USER })).fetch });
    const events: ReconnectingEvent[] = [];
    client.on(ClientEvent.Reconnecting, (ev) => events.push(ev));

    ws.serverClose(4008, 'slow_consumer');
    expect(events[0]).toMatchObject({ attempt: 1, delayMs: 500, closeCode: 4008 });
    await vi.advanceTimersByTimeAsync(499);
    expect(FakeWebSocket.instances).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeWebSocket.instances).toHaveLength(2);

    // The attempt fails (network): the next wait is drawn from a doubled cap.
    FakeWebSocket.last().refuse();
    await flush();
    expect(events[1]).toMatchObject({ attempt: 2, delayMs: 1000 });
    expect(events[1]?.error).toBeInstanceOf(ConnectionError);
    await vi.advanceTimersByTimeAsync(1000);
    expect(FakeWebSocket.instances).toHaveLength(3);
    FakeWebSocket.last().accept('10');
    await flush();
    expect(client.state).toBe('connected');

    // A heartbeat timeout close is retried the same way, starting over at attempt 1.
    FakeWebSocket.last().serverClose(4000, 'heartbeat timeout');
    expect(events[2]).toMatchObject({ attempt: 1, delayMs: 500, closeCode: 4000 });
    await vi.advanceTimersByTimeAsync(500);
    expect(FakeWebSocket.instances).toHaveLength(4);
    expect(random).toHaveBeenCalledTimes(3);
  });

  it('draws full-jitter delays within [0, cap] with the cap doubling up to the maximum', () => {
    const options = { ...DEFAULT_RECONNECT, initialDelayMs: 100, maxDelayMs: 1000 };
    const caps = [100, 200, 400, 800, 1000, 1000];
    caps.forEach((cap, i) => {
      const attempt = i + 1;
      expect(backoffDelay(attempt, options, () => 0)).toBe(0);
      expect(backoffDelay(attempt, options, () => 0.999_999_9)).toBe(cap);
      for (let k = 0; k < 200; k++) {
        const d = backoffDelay(attempt, options, Math.random);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(cap);
        expect(Number.isInteger(d)).toBe(true);
      }
    });
  });

  it('uses the injected random for the delays it waits', async () => {
    vi.useFakeTimers();
    const { client, ws } = await connected({ random: () => 0, fetch: fakeFetch(() => ({ status: 200, body: USER })).fetch });
    const events: ReconnectingEvent[] = [];
    client.on(ClientEvent.Reconnecting, (ev) => events.push(ev));
    ws.serverClose(1006);
    expect(events[0]?.delayMs).toBe(0);
    await vi.advanceTimersByTimeAsync(0);
    expect(FakeWebSocket.instances).toHaveLength(2);
  });

  it('never reconnects after disconnect()', async () => {
    vi.useFakeTimers();
    const { client, ws } = await connected();
    const disconnected: DisconnectedEvent[] = [];
    client.on(ClientEvent.Disconnected, (ev) => disconnected.push(ev));
    const pending = client.request('conversation.get', { conversation_id: 'c' }).catch((e: unknown) => e);
    client.disconnect();
    expect(ws.closedWith).toEqual({ code: 1000, reason: 'client disconnect' });
    expect(await pending).toMatchObject({ code: 'client_disconnected' });
    await flush();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeWebSocket.instances).toHaveLength(1);
    expect(client.state).toBe('disconnected');
    expect(disconnected).toEqual([{ reason: 'client' }]);
  });

  it('stops a pending reconnect when disconnect() is called during the wait', async () => {
    vi.useFakeTimers();
    const { client, ws } = await connected();
    ws.serverClose(1006);
    expect(client.state).toBe('reconnecting');
    client.disconnect();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeWebSocket.instances).toHaveLength(1);
  });

  it('gives up after maxAttempts and says why', async () => {
    vi.useFakeTimers();
    const { client, ws } = await connected({
      reconnect: { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 10 },
      fetch: fakeFetch(() => ({ status: 200, body: USER })).fetch,
    });
    const disconnected: DisconnectedEvent[] = [];
    client.on(ClientEvent.Disconnected, (ev) => disconnected.push(ev));
    ws.serverClose(1006);
    for (let i = 0; i < 2; i++) {
      await vi.advanceTimersByTimeAsync(10);
      FakeWebSocket.last().refuse();
      await flush();
    }
    expect(FakeWebSocket.instances).toHaveLength(3);
    expect(disconnected).toHaveLength(1);
    expect(disconnected[0]?.reason).toBe('error');
    expect(disconnected[0]?.error).toMatchObject({ code: 'reconnect_failed' });
    expect(client.state).toBe('disconnected');
  });

  it('emits Disconnected instead of reconnecting when reconnection is off', async () => {
    const { client, ws } = await connected({ reconnect: { enabled: false } });
    const disconnected: DisconnectedEvent[] = [];
    client.on(ClientEvent.Disconnected, (ev) => disconnected.push(ev));
    ws.serverClose(4008, 'slow_consumer');
    expect(disconnected).toEqual([{ reason: 'closed', closeCode: 4008, closeReason: 'slow_consumer' }]);
    expect(client.state).toBe('disconnected');
  });
});

describe('tokens', () => {
  it('fetches the first token from the provider', async () => {
    const tokenProvider = vi.fn(async () => 'fresh');
    const client = makeClient({ token: undefined, tokenProvider });
    const ready = client.connect();
    await flush();
    expect(FakeWebSocket.last().query.get('token')).toBe('fresh');
    FakeWebSocket.last().accept();
    await ready;
    expect(tokenProvider).toHaveBeenCalledTimes(1);
  });

  it('refreshes the token when the upgrade is refused with 401 (ws package report)', async () => {
    const tokenProvider = vi.fn(async () => 'tok-2');
    const client = makeClient({ tokenProvider });
    const ready = client.connect();
    await flush();
    FakeWebSocket.last().refuse('Unexpected server response: 401');
    await flush();
    expect(tokenProvider).toHaveBeenCalledTimes(1);
    expect(FakeWebSocket.instances).toHaveLength(2);
    expect(FakeWebSocket.last().query.get('token')).toBe('tok-2');
    FakeWebSocket.last().accept();
    await expect(ready).resolves.toMatchObject({ cursor: '10' });
  });

  it('asks GET /v1/me why an upgrade failed when the WebSocket does not say (browsers)', async () => {
    const tokenProvider = vi.fn(async () => 'tok-2');
    const { fetch, calls } = fakeFetch((_url, init) =>
      init.headers['Authorization'] === 'Bearer tok-1'
        ? { status: 401, body: { error: { code: 'invalid_token', message: 'expired' } } }
        : { status: 200, body: USER },
    );
    const client = makeClient({ tokenProvider, fetch });
    const ready = client.connect();
    await flush();
    FakeWebSocket.last().refuse();
    await flush();
    expect(calls.map((c) => c.url)).toEqual(['http://127.0.0.1:8080/v1/me']);
    expect(tokenProvider).toHaveBeenCalledTimes(1);
    FakeWebSocket.last().accept();
    await ready;
    expect(FakeWebSocket.last().query.get('token')).toBe('tok-2');
  });

  it('refreshes the token during reconnection', async () => {
    vi.useFakeTimers();
    const tokenProvider = vi.fn(async () => 'tok-2');
    const { client, ws } = await connected({ tokenProvider });
    ws.push({ event: 'message.new', data: { message: message(1) }, cursor: '11' });
    ws.serverClose(1006);
    await vi.advanceTimersByTimeAsync(DEFAULT_RECONNECT.initialDelayMs);
    FakeWebSocket.last().refuse('Unexpected server response: 401');
    await flush();
    const retry = FakeWebSocket.last();
    expect(FakeWebSocket.instances).toHaveLength(3);
    expect(retry.query.get('token')).toBe('tok-2');
    expect(retry.query.get('cursor')).toBe('11');
    retry.accept('11');
    await flush();
    expect(client.state).toBe('connected');
  });

  it('rejects with AuthError when the token is refused and cannot be refreshed', async () => {
    const client = makeClient();
    const ready = client.connect();
    await flush();
    FakeWebSocket.last().refuse('Unexpected server response: 401');
    const err = await ready.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(err).toMatchObject({ code: 'invalid_token', status: 401 });
    expect(FakeWebSocket.instances).toHaveLength(1);
  });

  it('gives up at once when the new token is refused too', async () => {
    const tokenProvider = vi.fn(async () => `tok-${tokenProvider.mock.calls.length + 1}`);
    const client = makeClient({ tokenProvider });
    const ready = client.connect();
    await flush();
    FakeWebSocket.last().refuse('Unexpected server response: 401');
    await flush();
    FakeWebSocket.last().refuse('Unexpected server response: 401');
    await expect(ready).rejects.toBeInstanceOf(AuthError);
    expect(tokenProvider).toHaveBeenCalledTimes(1);
  });

  it('stops reconnecting on an origin refusal', async () => {
    vi.useFakeTimers();
    const { client, ws } = await connected();
    const disconnected: DisconnectedEvent[] = [];
    client.on(ClientEvent.Disconnected, (ev) => disconnected.push(ev));
    ws.serverClose(1006);
    await vi.advanceTimersByTimeAsync(DEFAULT_RECONNECT.initialDelayMs);
    FakeWebSocket.last().refuse('Unexpected server response: 403');
    await flush();
    expect(disconnected[0]?.error).toMatchObject({ name: 'RequestError', code: 'origin_not_allowed', status: 403 });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeWebSocket.instances).toHaveLength(2);
  });
});

describe('chat API', () => {
  it('sends messages with a generated client_msg_id', async () => {
    const { client, ws } = await connected();
    const sent = client.messages.send('c-1', 'hi', { payload: { kind: 'pin', lat: 1.5 } });
    const req = ws.lastRequest();
    expect(req.op).toBe('message.send');
    expect(req.data['conversation_id']).toBe('c-1');
    expect(req.data['text']).toBe('hi');
    expect(req.data['payload']).toEqual({ kind: 'pin', lat: 1.5 });
    expect(req.data['client_msg_id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    ws.reply(req.id, { message: message(5, String(req.data['client_msg_id'])) });
    expect((await sent).seq).toBe(5);
  });

  it('resends with the same client_msg_id after a reconnect', async () => {
    vi.useFakeTimers();
    const { client, ws } = await connected();
    const sent = client.messages.send('c-1', 'once', { clientMsgId: 'c-123' });
    const first = ws.lastRequest();
    expect(first.data['client_msg_id']).toBe('c-123');
    ws.serverClose(1006);
    await vi.advanceTimersByTimeAsync(DEFAULT_RECONNECT.initialDelayMs);
    const next = FakeWebSocket.last();
    next.accept('10');
    await flush();
    const again = next.lastRequest();
    expect(again.op).toBe('message.send');
    expect(again.data).toEqual(first.data);
    next.reply(again.id, { message: message(7, 'c-123') });
    expect((await sent).client_msg_id).toBe('c-123');
  });

  it('resends a generated client_msg_id unchanged after a timeout', async () => {
    vi.useFakeTimers();
    const { client, ws } = await connected({ requestTimeoutMs: 1000 });
    const sent = client.messages.send('c-1', 'slow');
    await vi.advanceTimersByTimeAsync(1000);
    const [a, b] = ws.requests;
    expect(b).toBeDefined();
    expect(b?.data['client_msg_id']).toBe(a?.data['client_msg_id']);
    expect(b?.id).not.toBe(a?.id);
    ws.reply(b!.id, { message: message(8) });
    expect((await sent).seq).toBe(8);
  });

  it('does not resend a refused message', async () => {
    const { client, ws } = await connected();
    const sent = client.messages.send('c-1', '');
    ws.replyError(ws.lastRequest().id, 'empty_message', 'a message needs text or a payload');
    await expect(sent).rejects.toMatchObject({ code: 'empty_message' });
    expect(ws.requests).toHaveLength(1);
  });

  it('fails without resending when the client is not connected', async () => {
    const client = makeClient();
    await expect(client.messages.send('c-1', 'x')).rejects.toMatchObject({ code: 'not_connected' });
  });

  it('maps the conversation ops to the wire', async () => {
    const { client, ws } = await connected();
    const answer = (data: unknown): void => ws.reply(ws.lastRequest().id, data);
    const conversation = {
      id: 'c-9',
      kind: 'group',
      name: 'Trio',
      avatar_url: 'https://x/a.png',
      description: null,
      custom: { team: 7 },
      created_by: 'ann',
      created_at: '2026-11-26T10:00:00Z',
      updated_at: '2026-11-26T10:00:00Z',
      last_seq: 0,
      last_message_at: null,
      members: [],
    };

    const created = client.conversations.create({
      kind: 'group',
      members: ['bob', 'cy'],
      name: 'Trio',
      avatarUrl: 'https://x/a.png',
      custom: { team: 7 },
    });
    expect(ws.lastRequest()).toMatchObject({
      op: 'conversation.create',
      data: { kind: 'group', members: ['bob', 'cy'], name: 'Trio', avatar_url: 'https://x/a.png', custom: { team: 7 } },
    });
    answer({ conversation });
    expect((await created).id).toBe('c-9');

    const got = client.conversations.get('c-9');
    expect(ws.lastRequest()).toMatchObject({ op: 'conversation.get', data: { conversation_id: 'c-9' } });
    answer({ conversation });
    expect((await got).name).toBe('Trio');

    const hist = client.conversations.history('c-9', { beforeSeq: 12, limit: 2 });
    expect(ws.lastRequest()).toMatchObject({
      op: 'conversation.history',
      data: { conversation_id: 'c-9', before_seq: 12, limit: 2 },
    });
    answer({ messages: [message(10), message(11)] });
    expect((await hist).map((m) => m.seq)).toEqual([10, 11]);

    const thread = client.conversations.history('c-9', { parentId: 'm-3', afterSeq: 4, aroundSeq: 6, limit: 20 });
    expect(ws.lastRequest().data).toEqual({ conversation_id: 'c-9', parent_id: 'm-3', after_seq: 4, around_seq: 6, limit: 20 });
    answer({ messages: [{ ...message(7), parent_id: 'm-3' }] });
    expect((await thread).map((m) => m.parent_id)).toEqual(['m-3']);

    const list = client.conversations.list({ filter: 'unread', q: 'tri', limit: 2 });
    expect(ws.lastRequest()).toMatchObject({ op: 'conversation.list', data: { filter: 'unread', q: 'tri', limit: 2 } });
    expect(Object.keys(ws.lastRequest().data)).not.toContain('cursor');
    answer({ conversations: [], next_cursor: null });
    expect((await list).conversations).toEqual([]);

    const read = client.conversations.markRead('c-9', 11);
    expect(ws.lastRequest()).toMatchObject({ op: 'message.read', data: { conversation_id: 'c-9', seq: 11 } });
    answer({ conversation_id: 'c-9', last_read_seq: 11 });
    expect((await read).last_read_seq).toBe(11);

    const muted = client.conversations.updateSettings('c-9', { mutedUntil: new Date('2030-01-01T00:00:00Z'), pinned: true });
    expect(ws.lastRequest()).toMatchObject({
      op: 'conversation.settings',
      data: { conversation_id: 'c-9', muted_until: '2030-01-01T00:00:00.000Z', pinned: true },
    });
    expect(Object.keys(ws.lastRequest().data)).not.toContain('archived');
    answer({ conversation_id: 'c-9', muted_until: '2030-01-01T00:00:00Z', archived: false, pinned: true });
    expect((await muted).pinned).toBe(true);

    const unmuted = client.conversations.updateSettings('c-9', { mutedUntil: null });
    expect(ws.lastRequest().data).toEqual({ conversation_id: 'c-9', muted_until: null });
    answer({ conversation_id: 'c-9', muted_until: null, archived: false, pinned: true });
    expect((await unmuted).muted_until).toBeNull();
  });

  it('sends replies, thread posts and mentions', async () => {
    const { client, ws } = await connected();
    const sent = client.messages.send('c-1', 'quoting', { replyTo: 'm-4', parentId: 'm-1', mentions: ['bob'], clientMsgId: 'k-1' });
    expect(ws.lastRequest()).toMatchObject({
      op: 'message.send',
      data: { conversation_id: 'c-1', text: 'quoting', client_msg_id: 'k-1', reply_to: 'm-4', parent_id: 'm-1', mentions: ['bob'] },
    });
    ws.reply(ws.lastRequest().id, { message: { ...message(6, 'k-1'), reply_to: 'm-4' } });
    expect((await sent).reply_to).toBe('m-4');
    const plain = client.messages.send('c-1', 'plain');
    expect(Object.keys(ws.lastRequest().data).sort()).toEqual(['client_msg_id', 'conversation_id', 'text']);
    ws.reply(ws.lastRequest().id, { message: message(7) });
    await plain;
  });

  it('maps the message change ops to the wire', async () => {
    const { client, ws } = await connected();
    const answer = (m: Message): void => ws.reply(ws.lastRequest().id, { message: m });

    const edited = client.messages.edit('m-5', 'better');
    expect(ws.lastRequest()).toMatchObject({ op: 'message.edit', data: { message_id: 'm-5', text: 'better' } });
    answer({ ...message(5), text: 'better', edited_at: '2026-11-26T10:01:00Z' });
    expect((await edited).edited_at).toBe('2026-11-26T10:01:00Z');

    const deleted = client.messages.delete('m-5');
    expect(ws.lastRequest()).toMatchObject({ op: 'message.delete', data: { message_id: 'm-5' } });
    expect(Object.keys(ws.lastRequest().data)).toEqual(['message_id']);
    answer({ ...message(5), text: '', deleted_at: '2026-11-26T10:02:00Z' });
    expect((await deleted).deleted_at).not.toBeNull();

    const pinned = client.messages.pin('m-5');
    expect(ws.lastRequest()).toMatchObject({ op: 'message.pin', data: { message_id: 'm-5', pinned: true } });
    answer({ ...message(5), pinned_at: '2026-11-26T10:03:00Z' });
    expect((await pinned).pinned_at).not.toBeNull();
    const unpinned = client.messages.pin('m-5', false);
    expect(ws.lastRequest().data).toEqual({ message_id: 'm-5', pinned: false });
    answer(message(5));
    expect((await unpinned).pinned_at).toBeNull();

    const reacted = client.messages.addReaction('m-5', '👍');
    expect(ws.lastRequest()).toMatchObject({ op: 'reaction.add', data: { message_id: 'm-5', kind: '👍' } });
    answer({ ...message(5), reactions: { counts: { '👍': 2 }, mine: ['👍'] } });
    expect((await reacted).reactions).toEqual({ counts: { '👍': 2 }, mine: ['👍'] });

    const unreacted = client.messages.removeReaction('m-5', '👍');
    expect(ws.lastRequest()).toMatchObject({ op: 'reaction.remove', data: { message_id: 'm-5', kind: '👍' } });
    answer({ ...message(5), reactions: { counts: { '👍': 1 }, mine: [] } });
    expect((await unreacted).reactions.mine).toEqual([]);

    const refused = client.messages.edit('m-6', 'not mine');
    ws.replyError(ws.lastRequest().id, 'forbidden', 'only the sender may edit a message');
    await expect(refused).rejects.toMatchObject({ name: 'RequestError', code: 'forbidden', op: 'message.edit' });
  });

  it('maps typing and presence to the wire', async () => {
    const { client, ws } = await connected();
    const started = client.typing.start('c-1');
    expect(ws.lastRequest()).toMatchObject({ op: 'typing.start', data: { conversation_id: 'c-1' } });
    ws.reply(ws.lastRequest().id, {});
    await expect(started).resolves.toBeUndefined();
    const stopped = client.typing.stop('c-1');
    expect(ws.lastRequest()).toMatchObject({ op: 'typing.stop', data: { conversation_id: 'c-1' } });
    ws.reply(ws.lastRequest().id, {});
    await expect(stopped).resolves.toBeUndefined();

    const set = client.presence.set('away');
    expect(ws.lastRequest()).toMatchObject({ op: 'presence.set', data: { status: 'away' } });
    ws.reply(ws.lastRequest().id, { status: 'away' });
    await expect(set).resolves.toBe('away');

    const sub = client.presence.subscribe(['bob', 'cy']);
    expect(ws.lastRequest()).toMatchObject({ op: 'presence.subscribe', data: { user_ids: ['bob', 'cy'] } });
    ws.reply(ws.lastRequest().id, { presence: [{ user_id: 'bob', status: 'offline', last_seen: '2026-11-26T09:00:00Z' }] });
    expect(await sub).toEqual([{ user_id: 'bob', status: 'offline', last_seen: '2026-11-26T09:00:00Z' }]);
  });

  it('emits the message, reaction, member, typing and presence pushes typed', async () => {
    const { client, ws } = await connected();
    const seen: string[] = [];
    client.on(ClientEvent.MessageUpdated, ({ message: m, by }, frame) => seen.push(`updated:${m.text}:${by}:${frame.cursor}`));
    client.on(ClientEvent.MessageDeleted, ({ message: m }) => seen.push(`deleted:${m.id}:${m.deleted_at !== null}`));
    client.on(ClientEvent.MessagePinned, ({ message: m }) => seen.push(`pinned:${m.pinned_at !== null}`));
    client.on(ClientEvent.ReactionAdded, (r) => seen.push(`reaction+:${r.kind}:${r.counts[r.kind]}:${r.user_id}`));
    client.on(ClientEvent.ReactionRemoved, (r) => seen.push(`reaction-:${r.kind}:${r.counts[r.kind] ?? 0}`));
    client.on(ClientEvent.MemberAdded, (m) => seen.push(`added:${m.user_ids.join(',')}:${m.conversation.id}`));
    client.on(ClientEvent.MemberRemoved, (m) => seen.push(`removed:${m.user_id}:${m.left}`));
    client.on(ClientEvent.MemberUpdated, (m) => seen.push(`role:${m.user_id}:${m.role}`));
    client.on(ClientEvent.Typing, (t, frame) => seen.push(`typing:${t.user_id}:${t.typing}:${t.expires_in_ms}:${frame.cursor ?? '-'}`));
    client.on(ClientEvent.Presence, (p) => seen.push(`presence:${p.user_id}:${p.status}`));

    ws.push({ event: 'message.updated', data: { message: { ...message(5), text: 'v2' }, by: 'ann' }, cursor: '11' });
    ws.push({ event: 'message.deleted', data: { message: { ...message(5), deleted_at: '2026-11-26T10:02:00Z' }, by: 'ann' }, cursor: '12' });
    ws.push({ event: 'message.pinned', data: { message: { ...message(5), pinned_at: '2026-11-26T10:03:00Z' }, by: 'bob' }, cursor: '13' });
    const reaction = { conversation_id: 'c-1', message_id: 'm-5', seq: 5, user_id: 'bob', kind: '👍', counts: { '👍': 1 } };
    ws.push({ event: 'reaction.added', data: reaction, cursor: '14' });
    ws.push({ event: 'reaction.removed', data: { ...reaction, counts: {} }, cursor: '15' });
    ws.push({ event: 'member.added', data: { conversation_id: 'c-1', by: 'ann', user_ids: ['cy'], conversation: { id: 'c-1' } }, cursor: '16' });
    ws.push({ event: 'member.removed', data: { conversation_id: 'c-1', by: 'cy', user_id: 'cy', left: true }, cursor: '17' });
    ws.push({ event: 'member.updated', data: { conversation_id: 'c-1', by: 'ann', user_id: 'bob', role: 'admin' }, cursor: '18' });
    ws.push({ event: 'typing', data: { conversation_id: 'c-1', user_id: 'bob', typing: true, expires_in_ms: 6000 } });
    ws.push({ event: 'presence', data: { user_id: 'bob', status: 'online', last_seen: null } });
    expect(seen).toEqual([
      'updated:v2:ann:11',
      'deleted:m-5:true',
      'pinned:true',
      'reaction+:👍:1:bob',
      'reaction-:👍:0',
      'added:cy:c-1',
      'removed:cy:true',
      'role:bob:admin',
      'typing:bob:true:6000:-',
      'presence:bob:online',
    ]);
    // Ephemeral events leave the cursor alone.
    expect(client.cursor).toBe('18');
  });

  it('emits the contact and follow pushes typed, with their cursors', async () => {
    const { client, ws } = await connected();
    const seen: string[] = [];
    client.on(ClientEvent.ContactRequested, ({ from, to }, frame) => seen.push(`requested:${from}->${to}@${frame.cursor}`));
    client.on(ClientEvent.ContactAccepted, ({ user_id }, frame) => seen.push(`accepted:${user_id}@${frame.cursor}`));
    client.on(ClientEvent.ContactDeclined, ({ user_id }, frame) => seen.push(`declined:${user_id}@${frame.cursor}`));
    client.on(ClientEvent.ContactCancelled, ({ user_id }, frame) => seen.push(`cancelled:${user_id}@${frame.cursor}`));
    client.on(ClientEvent.ContactRemoved, ({ user_id }, frame) => seen.push(`removed:${user_id}@${frame.cursor}`));
    client.on(ClientEvent.UserFollowed, ({ follower, followee }, frame) => seen.push(`followed:${follower}->${followee}@${frame.cursor}`));

    // The frames of docs/protocol.md, "Events".
    ws.push({ event: 'contact.requested', data: { from: 'ann', to: 'dee' }, cursor: '54' });
    ws.push({ event: 'contact.accepted', data: { user_id: 'cy' }, cursor: '55' });
    ws.push({ event: 'contact.declined', data: { user_id: 'ann' }, cursor: '56' });
    ws.push({ event: 'contact.cancelled', data: { user_id: 'ann' }, cursor: '57' });
    ws.push({ event: 'contact.removed', data: { user_id: 'bob' }, cursor: '58' });
    ws.push({ event: 'user.followed', data: { follower: 'cy', followee: 'ann' }, cursor: '59' });
    expect(seen).toEqual([
      'requested:ann->dee@54',
      'accepted:cy@55',
      'declined:ann@56',
      'cancelled:ann@57',
      'removed:bob@58',
      'followed:cy->ann@59',
    ]);
    // They are persistent: the client resumes after the newest.
    expect(client.cursor).toBe('59');
  });
});
