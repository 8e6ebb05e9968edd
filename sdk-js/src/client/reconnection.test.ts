import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { DEFAULT_RECONNECT, backoffDelay } from '../core/backoff.js';
import { AuthError, ConnectionError } from '../core/errors.js';
import { FakeWebSocket, connected, fakeFetch, flush, makeClient, message, USER } from '../testing/fake-ws.js';
import { ClientEvent, type DisconnectedEvent, type ReconnectingEvent } from './events.js';

beforeEach(() => {
  FakeWebSocket.instances = [];
});

afterEach(() => {
  vi.useRealTimers();
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
