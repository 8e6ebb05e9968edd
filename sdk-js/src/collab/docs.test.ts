import { describe, expect, it } from 'vitest';

import { CaasClient } from '../client/client.js';
import { RequestError } from '../core/errors.js';
import type { FetchInit, FetchLike, ResponseLike } from '../core/transport.js';

function fakeFetch(replies: Array<{ status?: number; body?: unknown }>) {
  const calls: Array<{ url: string; init: FetchInit | undefined }> = [];
  const fetch: FetchLike = async (url, init) => {
    calls.push({ url, init });
    const r = replies.shift() ?? {};
    const text = r.body === undefined ? '' : JSON.stringify(r.body);
    return { status: r.status ?? 200, ok: (r.status ?? 200) < 300, text: async () => text } as unknown as ResponseLike;
  };
  return { fetch, calls };
}

const doc = { id: 'd1', kind: 'whiteboard', title: 'Plan', owner_id: 'alice' };

describe('client.docs', () => {
  it('maps each helper to its route, method and body', async () => {
    const { fetch, calls } = fakeFetch([
      { body: { doc, role: 'owner' } },
      { body: { docs: [doc], next_cursor: 'c2' } },
      { body: { doc, role: 'editor', content: { text: 'hi' } } },
      { body: { doc, role: 'owner' } },
      { body: { version: { id: 'v1', name: 'first' } } },
      { body: { versions: [{ id: 'v1', name: 'first' }] } },
      { body: { doc, role: 'owner', content: {} } },
      { body: {} },
    ]);
    const client = new CaasClient({ url: 'http://caas.test/', token: 'tok', fetch });
    expect(await client.docs.create({ kind: 'whiteboard', title: 'Plan', conversationId: 'c1', roles: { bob: 'viewer' } })).toEqual({
      doc,
      role: 'owner',
    });
    expect(await client.docs.list({ kind: 'whiteboard', conversationId: 'c1', limit: 5 })).toEqual({ docs: [doc], nextCursor: 'c2' });
    expect((await client.docs.get('d1')).content).toEqual({ text: 'hi' });
    await client.docs.setRole('d1', 'bob b', null);
    expect(await client.docs.createVersion('d1', 'first')).toEqual({ id: 'v1', name: 'first' });
    expect(await client.docs.versions('d1')).toEqual([{ id: 'v1', name: 'first' }]);
    await client.docs.restore('d1', 'v1');
    await client.docs.delete('d1');
    expect(calls.map((c) => `${c.init?.method} ${c.url}`)).toEqual([
      'POST http://caas.test/v1/docs',
      'GET http://caas.test/v1/docs?kind=whiteboard&conversation=c1&limit=5',
      'GET http://caas.test/v1/docs/d1',
      'PUT http://caas.test/v1/docs/d1/roles/bob%20b',
      'POST http://caas.test/v1/docs/d1/versions',
      'GET http://caas.test/v1/docs/d1/versions',
      'POST http://caas.test/v1/docs/d1/versions/v1/restore',
      'DELETE http://caas.test/v1/docs/d1',
    ]);
    expect(JSON.parse(String(calls[0]?.init?.body))).toEqual({
      kind: 'whiteboard',
      title: 'Plan',
      conversation_id: 'c1',
      roles: { bob: 'viewer' },
    });
    expect(JSON.parse(String(calls[3]?.init?.body))).toEqual({ role: null });
    expect(JSON.parse(String(calls[4]?.init?.body))).toEqual({ name: 'first' });
    expect(calls[0]?.init?.headers?.['Authorization']).toBe('Bearer tok');
  });

  it('a last page has no nextCursor, and refusals are RequestErrors with the server code', async () => {
    const { fetch } = fakeFetch([
      { body: { docs: [], next_cursor: null } },
      { status: 403, body: { error: { code: 'forbidden', message: 'only an owner may delete a document' } } },
    ]);
    const client = new CaasClient({ url: 'http://caas.test', token: 'tok', fetch });
    expect(await client.docs.list()).toEqual({ docs: [] });
    const err = await client.docs.delete('d1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestError);
    expect(err).toMatchObject({ code: 'forbidden', status: 403 });
  });
});
