import { afterEach, describe, expect, it, vi } from 'vitest';

import { CaasClient, type CaasClientOptions } from '../client/client.js';
import { ABORTED, AuthError, CaasError, ConnectionError, RequestError, TimeoutError } from '../core/errors.js';
import { attachmentOf } from './files.js';
import { FakeXhrServer, fileMeta } from '../testing/fake-xhr.js';
import type { FetchInit, FetchLike } from '../core/transport.js';

const PNG_TYPE = 'image/png';

function blob(size: number, type = ''): Blob {
  return new Blob([new Uint8Array(size)], { type });
}

function client(options: Partial<CaasClientOptions> = {}): CaasClient {
  return new CaasClient({
    url: 'http://127.0.0.1:8080/base',
    token: 'tok-1',
    fetch: () => Promise.reject(new Error('no fetch in this test')),
    ...options,
  });
}

interface FetchCall {
  url: string;
  init: FetchInit;
}

function fakeFetch(respond: (call: FetchCall, n: number) => { status: number; body?: unknown } | Promise<never>): {
  fetch: FetchLike;
  calls: FetchCall[];
} {
  const calls: FetchCall[] = [];
  const fetch: FetchLike = async (url, init) => {
    const call = { url, init };
    calls.push(call);
    const r = await respond(call, calls.length);
    const text = r.body === undefined ? '' : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
    return { status: r.status, text: async () => text };
  };
  return { fetch, calls };
}

/** Lets pending promise callbacks run. */
async function flush(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

afterEach(() => {
  vi.useRealTimers();
});

describe('files.upload with XMLHttpRequest', () => {
  it('posts the bytes with the token, reports progress and resolves with the file', async () => {
    const xhrs = new FakeXhrServer();
    const c = client({ XMLHttpRequest: xhrs.XMLHttpRequest });
    const progress: Array<[number, number]> = [];
    const body = blob(1000, PNG_TYPE);
    const done = c.files.upload(body, { name: 'cat photo.png', public: true, onProgress: (s, t) => progress.push([s, t]) });
    await flush();
    const xhr = xhrs.last();
    expect(xhr.method).toBe('POST');
    expect(xhr.url).toBe('http://127.0.0.1:8080/base/v1/files?name=cat+photo.png&public=true');
    expect(xhr.headers).toMatchObject({ Authorization: 'Bearer tok-1', 'Content-Type': PNG_TYPE, Accept: 'application/json' });
    expect(xhr.body).toBe(body);
    xhr.progress(0);
    xhr.progress(400);
    xhr.progress(1000);
    const meta = fileMeta('f-1', 'cat photo.png', 1000, { content_type: PNG_TYPE, width: 64, height: 32, has_thumbnail: true });
    xhr.respond(200, { file: meta });
    await expect(done).resolves.toEqual(meta);
    expect(progress).toEqual([
      [0, 1000],
      [400, 1000],
      [1000, 1000],
    ]);
  });

  it('takes the name of a File, sends octet-stream for an untyped blob, and always ends progress at the total', async () => {
    const xhrs = new FakeXhrServer((xhr) => xhr.respond(200, { file: fileMeta('f-2', 'notes.txt', 5) }));
    const c = client({ XMLHttpRequest: xhrs.XMLHttpRequest });
    const progress: number[] = [];
    await c.files.upload(new File(['hello'], 'notes.txt'), { onProgress: (s) => progress.push(s) });
    expect(xhrs.last().query.get('name')).toBe('notes.txt');
    expect(xhrs.last().query.has('public')).toBe(false);
    expect(xhrs.last().headers['Content-Type']).toBe('application/octet-stream');
    expect(progress).toEqual([5]); // no progress events came: reported once, complete

    await c.files.upload(blob(3));
    expect(xhrs.last().url).toBe('http://127.0.0.1:8080/base/v1/files');
  });

  it("maps the server's errors to RequestError with its code and status", async () => {
    const xhrs = new FakeXhrServer();
    const c = client({ XMLHttpRequest: xhrs.XMLHttpRequest });
    const big = c.files.upload(blob(10)).catch((e: unknown) => e);
    await flush();
    xhrs.last().respond(413, { error: { code: 'payload_too_large', message: 'files are limited to 5 bytes' } });
    const err = await big;
    expect(err).toBeInstanceOf(RequestError);
    expect(err).toMatchObject({ code: 'payload_too_large', status: 413, message: 'files are limited to 5 bytes', op: 'POST /v1/files' });

    const bad = c.files.upload(blob(1), { name: 'a/b' }).catch((e: unknown) => e);
    await flush();
    xhrs.last().respond(422, { error: { code: 'invalid_name', message: 'no slashes' } });
    expect(await bad).toMatchObject({ code: 'invalid_name', status: 422 });

    const weird = c.files.upload(blob(1)).catch((e: unknown) => e);
    await flush();
    xhrs.last().respond(200, 'not json');
    expect(await weird).toMatchObject({ code: 'invalid_response' });
  });

  it('refreshes the token once on 401 invalid_token and sends again', async () => {
    const provider = vi.fn(async () => 'tok-2');
    const xhrs = new FakeXhrServer();
    const c = client({ token: 'tok-1', tokenProvider: provider, XMLHttpRequest: xhrs.XMLHttpRequest });
    const progress: number[] = [];
    const done = c.files.upload(blob(8), { onProgress: (s) => progress.push(s) });
    await flush();
    xhrs.last().progress(8);
    xhrs.last().respond(401, { error: { code: 'invalid_token', message: 'expired' } });
    await flush();
    expect(xhrs.requests).toHaveLength(2);
    expect(xhrs.last().headers['Authorization']).toBe('Bearer tok-2');
    xhrs.last().progress(4);
    xhrs.last().respond(200, { file: fileMeta('f-3', 'file', 8) });
    await expect(done).resolves.toMatchObject({ id: 'f-3' });
    expect(provider).toHaveBeenCalledTimes(1);
    expect(progress).toEqual([8, 4, 8]); // the second attempt starts over
    expect(c.files.url('f-3')).toContain('token=tok-2');
  });

  it('throws AuthError on 401 without a provider, and when the new token is refused too', async () => {
    const refused = { error: { code: 'invalid_token', message: 'expired' } };
    const xhrs = new FakeXhrServer((xhr) => xhr.respond(401, refused));
    await expect(client({ XMLHttpRequest: xhrs.XMLHttpRequest }).files.upload(blob(1))).rejects.toBeInstanceOf(AuthError);
    expect(xhrs.requests).toHaveLength(1);

    const again = new FakeXhrServer((xhr) => xhr.respond(401, refused));
    const c = client({ tokenProvider: async () => 'tok-2', XMLHttpRequest: again.XMLHttpRequest });
    const err = await c.files.upload(blob(1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(err).toMatchObject({ status: 401 });
    expect(again.requests).toHaveLength(2);
  });

  it('aborts the request when the signal fires', async () => {
    const xhrs = new FakeXhrServer();
    const c = client({ XMLHttpRequest: xhrs.XMLHttpRequest });
    const controller = new AbortController();
    const progress: number[] = [];
    const done = c.files.upload(blob(100), { signal: controller.signal, onProgress: (s) => progress.push(s) }).catch((e: unknown) => e);
    await flush();
    xhrs.last().progress(30);
    controller.abort();
    const err = await done;
    expect(err).toBeInstanceOf(CaasError);
    expect(err).toMatchObject({ code: ABORTED });
    expect(xhrs.last().aborted).toBe(true);
    xhrs.last().progress(60); // late events change nothing
    expect(progress).toEqual([30]);

    // An already-aborted signal sends nothing.
    await expect(c.files.upload(blob(1), { signal: controller.signal })).rejects.toMatchObject({ code: ABORTED });
    expect(xhrs.requests).toHaveLength(1);
  });

  it('fails with ConnectionError on a network error and TimeoutError when too slow', async () => {
    vi.useFakeTimers();
    const xhrs = new FakeXhrServer();
    const c = client({ XMLHttpRequest: xhrs.XMLHttpRequest });
    const failed = c.files.upload(blob(1)).catch((e: unknown) => e);
    await flush();
    xhrs.last().fail();
    const err = await failed;
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err).toMatchObject({ code: 'network_error' });

    const slow = c.files.upload(blob(1), { timeoutMs: 5000 }).catch((e: unknown) => e);
    await flush();
    await vi.advanceTimersByTimeAsync(5000);
    expect(await slow).toBeInstanceOf(TimeoutError);
    expect(xhrs.last().aborted).toBe(true);
  });
});

describe('files.upload with fetch', () => {
  it('posts the blob and reports progress once, at the end', async () => {
    const meta = fileMeta('f-9', 'a.bin', 16);
    const { fetch, calls } = fakeFetch(() => ({ status: 200, body: { file: meta } }));
    const c = client({ fetch, XMLHttpRequest: null });
    const body = blob(16);
    const progress: Array<[number, number]> = [];
    await expect(c.files.upload(body, { name: 'a.bin', onProgress: (s, t) => progress.push([s, t]) })).resolves.toEqual(meta);
    expect(calls[0]?.url).toBe('http://127.0.0.1:8080/base/v1/files?name=a.bin');
    expect(calls[0]?.init.method).toBe('POST');
    expect(calls[0]?.init.body).toBe(body);
    expect(calls[0]?.init.headers).toMatchObject({ Authorization: 'Bearer tok-1', 'Content-Type': 'application/octet-stream' });
    expect(progress).toEqual([[16, 16]]);
  });

  it('is the default when there is no global XMLHttpRequest', async () => {
    expect((globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest).toBeUndefined();
    const { fetch, calls } = fakeFetch(() => ({ status: 200, body: { file: fileMeta('f-1', 'file', 1) } }));
    await client({ fetch }).files.upload(blob(1));
    expect(calls).toHaveLength(1);
  });

  it('maps errors and refreshes the token once on 401', async () => {
    const provider = vi.fn(async () => 'tok-2');
    const { fetch, calls } = fakeFetch((_, n) =>
      n === 1
        ? { status: 401, body: { error: { code: 'invalid_token', message: 'expired' } } }
        : n === 2
          ? { status: 422, body: { error: { code: 'empty_file', message: 'the request body is empty' } } }
          : { status: 502, body: '<html>Bad Gateway</html>' },
    );
    const c = client({ fetch, tokenProvider: provider, XMLHttpRequest: null });
    const err = await c.files.upload(blob(0)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestError);
    expect(err).toMatchObject({ code: 'empty_file', status: 422 });
    expect(calls.map((x) => x.init.headers['Authorization'])).toEqual(['Bearer tok-1', 'Bearer tok-2']);
    await expect(c.files.upload(blob(1))).rejects.toMatchObject({ code: 'http_502', status: 502 });
  });

  it('aborts, times out, and wraps network failures', async () => {
    let signal: AbortSignal | undefined;
    const hang: FetchLike = (_url, init) => {
      signal = init.signal;
      return new Promise(() => undefined);
    };
    const c = client({ fetch: hang, XMLHttpRequest: null });
    const controller = new AbortController();
    const aborted = c.files.upload(blob(1), { signal: controller.signal }).catch((e: unknown) => e);
    await flush();
    controller.abort();
    expect(await aborted).toMatchObject({ code: ABORTED });
    expect(signal?.aborted).toBe(true);

    vi.useFakeTimers();
    const slow = c.files.upload(blob(1), { timeoutMs: 2000 }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(2000);
    expect(await slow).toBeInstanceOf(TimeoutError);
    vi.useRealTimers();

    const broken = client({ fetch: () => Promise.reject(new TypeError('fetch failed')), XMLHttpRequest: null });
    const err = await broken.files.upload(blob(1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err).toMatchObject({ code: 'network_error' });
  });
});

describe('files.url and files.meta', () => {
  it('builds download and thumbnail URLs with the token in the query', () => {
    const c = client({ url: 'https://chat.example.com/caas/', token: 'a b+c' });
    expect(c.files.url('f-1')).toBe('https://chat.example.com/caas/v1/files/f-1?token=a%20b%2Bc');
    expect(c.files.url('f/2', { thumbnail: true })).toBe('https://chat.example.com/caas/v1/files/f%2F2/thumbnail?token=a%20b%2Bc');
  });

  it('has no token in the URL before one is known', async () => {
    const c = client({ token: undefined, tokenProvider: async () => 'tok-9', fetch: fakeFetch(() => ({ status: 200, body: { file: fileMeta('f', 'f', 1) } })).fetch });
    expect(c.files.url('f-1')).toBe('http://127.0.0.1:8080/base/v1/files/f-1');
    await c.files.meta('f'); // asks the provider
    expect(c.files.url('f-1')).toBe('http://127.0.0.1:8080/base/v1/files/f-1?token=tok-9');
  });

  it('gets the metadata over REST', async () => {
    const meta = fileMeta('f-5', 'doc.pdf', 2048, { content_type: 'application/pdf' });
    const { fetch, calls } = fakeFetch(() => ({ status: 200, body: { file: meta } }));
    await expect(client({ fetch }).files.meta('f-5')).resolves.toEqual(meta);
    expect(calls[0]?.url).toBe('http://127.0.0.1:8080/base/v1/files/f-5/meta');
    expect(calls[0]?.init.method).toBe('GET');
    const missing = fakeFetch(() => ({ status: 404, body: { error: { code: 'not_found', message: 'file not found' } } }));
    await expect(client({ fetch: missing.fetch }).files.meta('nope')).rejects.toMatchObject({ code: 'not_found', status: 404 });
  });

  it('summarizes an uploaded file as an attachment', () => {
    expect(attachmentOf(fileMeta('f-1', 'a.png', 10, { content_type: PNG_TYPE, width: 4, height: 3 }))).toEqual({
      id: 'f-1',
      name: 'a.png',
      content_type: PNG_TYPE,
      size: 10,
      width: 4,
      height: 3,
    });
    expect(attachmentOf(fileMeta('f-2', 'a.txt', 1, { content_type: 'text/plain' }))).toEqual({
      id: 'f-2',
      name: 'a.txt',
      content_type: 'text/plain',
      size: 1,
    });
  });
});
