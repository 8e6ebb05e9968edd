import { afterEach, describe, expect, it, vi } from 'vitest';

import { CaasClient } from '../client/client.js';
import { AuthError, ConnectionError, RequestError, TimeoutError } from './errors.js';
import { RestClient, joinUrl } from './rest.js';
import { TokenSource } from './tokens.js';
import type { FetchInit, FetchLike } from './transport.js';

interface Call {
  url: string;
  init: FetchInit;
}

function scripted(responses: Array<{ status: number; body?: unknown; raw?: string }>): { fetch: FetchLike; calls: Call[] } {
  const calls: Call[] = [];
  const fetch: FetchLike = async (url, init) => {
    calls.push({ url, init });
    const r = responses[calls.length - 1] ?? responses.at(-1);
    if (!r) throw new Error('no scripted response');
    const text = r.raw ?? (r.body === undefined ? '' : JSON.stringify(r.body));
    return { status: r.status, text: async () => text };
  };
  return { fetch, calls };
}

function rest(fetch: FetchLike, tokens = new TokenSource('tok-1'), timeoutMs = 10_000): RestClient {
  return new RestClient({ baseUrl: 'http://127.0.0.1:8080/', fetch, tokens, timeoutMs });
}

afterEach(() => {
  vi.useRealTimers();
});

describe('RestClient', () => {
  it('sends the bearer token and parses JSON', async () => {
    const { fetch, calls } = scripted([{ status: 200, body: { id: 'ann' } }]);
    const me = await rest(fetch).get<{ id: string }>('/v1/me');
    expect(me.id).toBe('ann');
    expect(calls[0]?.url).toBe('http://127.0.0.1:8080/v1/me');
    expect(calls[0]?.init.method).toBe('GET');
    expect(calls[0]?.init.headers['Authorization']).toBe('Bearer tok-1');
    expect(calls[0]?.init.body).toBeUndefined();
  });

  it('encodes query parameters and leaves out undefined ones', async () => {
    const { fetch, calls } = scripted([{ status: 200, body: { messages: [] } }]);
    await rest(fetch).get('/v1/conversations/c-1/messages', { before_seq: 12, limit: 50, q: undefined, x: 'a b' });
    expect(calls[0]?.url).toBe('http://127.0.0.1:8080/v1/conversations/c-1/messages?before_seq=12&limit=50&x=a+b');
  });

  it('posts JSON bodies', async () => {
    const { fetch, calls } = scripted([{ status: 200, body: { message: { seq: 1 } } }]);
    await rest(fetch).post('/v1/conversations/c-1/messages', { text: 'hi', client_msg_id: 'c-1' });
    expect(calls[0]?.init.method).toBe('POST');
    expect(calls[0]?.init.headers['Content-Type']).toBe('application/json');
    expect(JSON.parse(String(calls[0]?.init.body))).toEqual({ text: 'hi', client_msg_id: 'c-1' });
  });

  it('returns undefined for an empty body (204)', async () => {
    const { fetch } = scripted([{ status: 204 }]);
    await expect(rest(fetch).delete('/v1/something')).resolves.toBeUndefined();
  });

  it('throws RequestError with the code, message and status of the error body', async () => {
    const { fetch } = scripted([
      { status: 403, body: { error: { code: 'forbidden', message: 'you are not a member of this conversation' } } },
    ]);
    const err = await rest(fetch).get('/v1/conversations/c-1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestError);
    expect(err).toMatchObject({
      code: 'forbidden',
      message: 'you are not a member of this conversation',
      status: 403,
      op: 'GET /v1/conversations/c-1',
    });
  });

  it('throws a status-coded RequestError for a body without the error shape', async () => {
    const { fetch } = scripted([{ status: 502, raw: '<html>Bad Gateway</html>' }]);
    await expect(rest(fetch).get('/v1/me')).rejects.toMatchObject({ code: 'http_502', status: 502 });
  });

  it('throws AuthError on 401 invalid_token without a provider', async () => {
    const { fetch, calls } = scripted([{ status: 401, body: { error: { code: 'invalid_token', message: 'expired' } } }]);
    const err = await rest(fetch).get('/v1/me').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(err).toBeInstanceOf(RequestError);
    expect(err).toMatchObject({ code: 'invalid_token', status: 401 });
    expect(calls).toHaveLength(1);
  });

  it('refreshes the token once on 401 invalid_token and retries', async () => {
    const provider = vi.fn(async () => 'tok-2');
    const { fetch, calls } = scripted([
      { status: 401, body: { error: { code: 'invalid_token', message: 'expired' } } },
      { status: 200, body: { ok: 1 } },
    ]);
    await expect(rest(fetch, new TokenSource('tok-1', provider)).get('/v1/me')).resolves.toEqual({ ok: 1 });
    expect(provider).toHaveBeenCalledTimes(1);
    expect(calls.map((c) => c.init.headers['Authorization'])).toEqual(['Bearer tok-1', 'Bearer tok-2']);
  });

  it('gives up when the refreshed token is refused too', async () => {
    const provider = vi.fn(async () => 'tok-2');
    const { fetch, calls } = scripted([{ status: 401, body: { error: { code: 'invalid_token', message: 'no' } } }]);
    await expect(rest(fetch, new TokenSource('tok-1', provider)).get('/v1/me')).rejects.toBeInstanceOf(AuthError);
    expect(calls).toHaveLength(2);
  });

  it('shares one provider call between concurrent refreshes', async () => {
    let release: (t: string) => void = () => undefined;
    const provider = vi.fn(() => new Promise<string>((r) => (release = r)));
    const tokens = new TokenSource('tok-1', provider);
    const a = tokens.refresh('tok-1');
    const b = tokens.refresh('tok-1');
    release('tok-2');
    expect(await a).toBe('tok-2');
    expect(await b).toBe('tok-2');
    // A refresh of a token that was already replaced returns the new one.
    expect(await tokens.refresh('tok-1')).toBe('tok-2');
    expect(provider).toHaveBeenCalledTimes(1);
  });

  it('wraps network failures in ConnectionError', async () => {
    const fetch: FetchLike = () => Promise.reject(new TypeError('fetch failed'));
    const err = await rest(fetch).get('/v1/me').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err).toMatchObject({ code: 'network_error' });
  });

  it('aborts and throws TimeoutError when the answer is late', async () => {
    vi.useFakeTimers();
    let signal: AbortSignal | undefined;
    const fetch: FetchLike = (_url, init) => {
      signal = init.signal;
      return new Promise(() => undefined);
    };
    const r = rest(fetch, undefined, 3000).get('/v1/me').catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(3000);
    expect(await r).toBeInstanceOf(TimeoutError);
    expect(signal?.aborted).toBe(true);
  });

  it('joins base URLs with and without a trailing slash or prefix', () => {
    expect(joinUrl('http://h:1/', '/v1/me')).toBe('http://h:1/v1/me');
    expect(joinUrl('https://h/caas', '/v1/me')).toBe('https://h/caas/v1/me');
    expect(() => joinUrl('http://h', 'v1/me')).toThrow();
  });

  it('is reachable as client.rest and uses the client options', async () => {
    const { fetch, calls } = scripted([{ status: 200, body: { conversation: { id: 'c' } } }]);
    const client = new CaasClient({ url: 'https://chat.example.com', token: 't', fetch });
    await client.rest.post('/v1/conversations', { kind: 'direct', members: ['bob'] });
    expect(calls[0]?.url).toBe('https://chat.example.com/v1/conversations');
    expect(calls[0]?.init.headers['Authorization']).toBe('Bearer t');
  });
});
