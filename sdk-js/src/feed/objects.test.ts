import { describe, expect, it } from 'vitest';

import { CaasClient } from '../client/client.js';
import { ABORTED, RequestError } from '../core/errors.js';
import { ObjectErrorCode, objectRefOf } from './objects.js';
import { FakeRest, refusal } from '../testing/fake-rest.js';
import { comment, obj, ring, story } from '../testing/social.js';
import { fileMeta } from '../testing/fake-xhr.js';
import { message } from '../testing/fake-server.js';

function client(rest: FakeRest): CaasClient {
  return new CaasClient({ url: 'http://caas.test/', token: 'tok', fetch: rest.fetch, XMLHttpRequest: null });
}

const post = obj('o1', 'ann', { text: 'hello' });

describe('client.objects', () => {
  it('maps each helper to its route, method, query and body', async () => {
    const rest = new FakeRest()
      .route('POST', '/v1/objects', () => ({ object: post }))
      .route('GET', '/v1/objects', () => ({ objects: [post], next_cursor: 'c2' }))
      .route('GET', '/v1/objects/:id', () => ({ object: post }))
      .route('DELETE', '/v1/objects/:id', () => ({ deleted: true }))
      .route('PUT', '/v1/objects/:id/like', () => ({ object: { ...post, liked: true, stats: { ...post.stats, likes: 1 } } }))
      .route('DELETE', '/v1/objects/:id/like', () => ({ object: post }))
      .route('POST', '/v1/objects/:id/comments', (c) => ({ comment: comment('k1', 'o1', 'bob', String((c.body as { text: string }).text)) }))
      .route('GET', '/v1/objects/:id/comments', () => ({ comments: [comment('k1', 'o1', 'bob', 'hi')], next_cursor: null }))
      .route('DELETE', '/v1/objects/:id/comments/:cid', () => ({ deleted: true }))
      .route('POST', '/v1/objects/:id/views', () => ({ counted: true }))
      .route('GET', '/v1/objects/:id/views', () => ({ viewers: [{ user_id: 'bob', viewed_at: '2026-11-26T10:00:00Z' }] }))
      .route('POST', '/v1/objects/:id/share', () => ({ message: message('c1', 1, 'ann', 'look', { payload: { object: { kind: 'post', id: 'o1', owner_id: 'ann' } } }) }))
      .route('GET', '/v1/me/close-friends', () => ({ user_ids: ['bob'] }))
      .route('PUT', '/v1/me/close-friends', (c) => ({ user_ids: (c.body as { user_ids: string[] }).user_ids }));
    const c = client(rest);
    expect(await c.objects.create({ kind: 'post', text: 'hello', visibility: 'public', media: ['f1'], custom: { a: 1 } })).toEqual(post);
    expect(await c.objects.list({ ownerId: 'ann', kind: 'post', limit: 5, cursor: 'c1' })).toEqual({ objects: [post], nextCursor: 'c2' });
    expect(await c.objects.get('o 1')).toEqual(post);
    await c.objects.delete('o1');
    expect((await c.objects.like('o1')).stats.likes).toBe(1);
    expect((await c.objects.setLiked('o1', false)).liked).toBe(false);
    expect((await c.objects.comment('o1', 'Nice!', { parentId: 'k0' })).text).toBe('Nice!');
    const page = await c.objects.comments('o1', { parentId: 'k0', limit: 10 });
    expect(page.nextCursor).toBeUndefined();
    expect(page.comments.map((k) => k.text)).toEqual(['hi']);
    await c.objects.deleteComment('o1', 'k1');
    expect(await c.objects.view('o1')).toBe(true);
    expect(await c.objects.viewers('o1')).toEqual([{ user_id: 'bob', viewed_at: '2026-11-26T10:00:00Z' }]);
    const shared = await c.objects.share('o1', 'c1', 'look');
    expect(objectRefOf(shared)).toEqual({ kind: 'post', id: 'o1', owner_id: 'ann' });
    expect(await c.objects.closeFriends()).toEqual(['bob']);
    expect(await c.objects.setCloseFriends(['cy', 'dee'])).toEqual(['cy', 'dee']);

    expect(rest.calls.map((x) => `${x.method} ${x.path}${x.query.size ? `?${x.query}` : ''}`)).toEqual([
      'POST /v1/objects',
      'GET /v1/objects?kind=post&owner=ann&cursor=c1&limit=5',
      'GET /v1/objects/o%201',
      'DELETE /v1/objects/o1',
      'PUT /v1/objects/o1/like',
      'DELETE /v1/objects/o1/like',
      'POST /v1/objects/o1/comments',
      'GET /v1/objects/o1/comments?parent=k0&limit=10',
      'DELETE /v1/objects/o1/comments/k1',
      'POST /v1/objects/o1/views',
      'GET /v1/objects/o1/views',
      'POST /v1/objects/o1/share',
      'GET /v1/me/close-friends',
      'PUT /v1/me/close-friends',
    ]);
    expect(rest.calls[0]?.body).toEqual({ kind: 'post', visibility: 'public', text: 'hello', media: ['f1'], custom: { a: 1 } });
    expect(rest.calls[6]?.body).toEqual({ text: 'Nice!', parent_id: 'k0' });
    expect(rest.calls[11]?.body).toEqual({ conversation_id: 'c1', text: 'look' });
    expect(rest.calls[13]?.body).toEqual({ user_ids: ['cy', 'dee'] });
    expect(rest.calls[0]?.headers['Authorization']).toBe('Bearer tok');
  });

  it('uploads files first (with the files API) and attaches them after media, reporting summed progress', async () => {
    let n = 0;
    const rest = new FakeRest()
      .route('POST', '/v1/files', (c) => ({ file: fileMeta(`f${++n}`, c.query.get('name') ?? 'file', (c.body as Blob).size) }))
      .route('POST', '/v1/objects', (c) => ({ object: { ...post, payload: { text: 'x', media: (c.body as { media: string[] }).media.map((id) => ({ id })) } } }));
    const progress: Array<[number, number]> = [];
    const created = await client(rest).objects.create(
      { kind: 'post', text: 'x', media: ['f0'], files: [new File([new Uint8Array(3)], 'a.png'), new File([new Uint8Array(5)], 'b.png')] },
      { onProgress: (s, t) => progress.push([s, t]) },
    );
    expect(rest.called('POST', '/v1/files').map((c) => c.query.get('name'))).toEqual(['a.png', 'b.png']);
    expect(rest.called('POST', '/v1/objects')[0]?.body).toEqual({ kind: 'post', text: 'x', media: ['f0', 'f1', 'f2'] });
    expect(created.payload.media.map((m) => m.id)).toEqual(['f0', 'f1', 'f2']);
    expect(progress.at(-1)).toEqual([8, 8]);
  });

  it('does not create the object when an upload fails or is cancelled', async () => {
    const rest = new FakeRest()
      .route('POST', '/v1/files', () => refusal(413, 'payload_too_large', 'too big'))
      .route('POST', '/v1/objects', () => ({ object: post }));
    const err = await client(rest).objects.create({ kind: 'post', files: [new Blob([new Uint8Array(2)])] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'payload_too_large', status: 413 });
    const controller = new AbortController();
    controller.abort();
    const aborted = await client(rest).objects.create({ kind: 'post', files: [new Blob([new Uint8Array(2)])] }, { signal: controller.signal }).catch((e: unknown) => e);
    expect(aborted).toMatchObject({ code: ABORTED });
    expect(rest.called('POST', '/v1/objects')).toEqual([]);
  });

  it('refusals are RequestErrors with the server code', async () => {
    const rest = new FakeRest()
      .route('POST', '/v1/objects', () => refusal(422, 'empty_object', 'a post needs text or media'))
      .route('GET', '/v1/objects/:id', () => refusal(404, 'not_found', 'object not found'));
    const c = client(rest);
    const err = await c.objects.create({ kind: 'post', text: ' ' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestError);
    expect(err).toMatchObject({ code: ObjectErrorCode.EmptyObject, status: 422, op: 'POST /v1/objects' });
    await expect(c.objects.get('gone')).rejects.toMatchObject({ code: ObjectErrorCode.NotFound, status: 404 });
  });

  it('pagers walk the pages of list and comments', async () => {
    const rest = new FakeRest()
      .route('GET', '/v1/objects', (c) =>
        c.query.get('cursor') === null ? { objects: [obj('a', 'ann')], next_cursor: 'k' } : { objects: [obj('b', 'ann')], next_cursor: null },
      )
      .route('GET', '/v1/objects/:id/comments', () => ({ comments: [comment('k1', 'o1', 'bob', 'hi')] }));
    const c = client(rest);
    const ids: string[] = [];
    for await (const o of c.objects.pager({ ownerId: 'ann', limit: 1 })) ids.push(o.id);
    expect(ids).toEqual(['a', 'b']);
    expect(rest.called('GET', '/v1/objects').map((x) => x.query.toString())).toEqual(['owner=ann&limit=1', 'owner=ann&cursor=k&limit=1']);
    const pager = c.objects.commentsPager('o1', { parentId: 'k0' });
    expect((await pager.next()).map((k) => k.id)).toEqual(['k1']);
    expect(pager.hasMore).toBe(false);
  });
});

describe('client.feed', () => {
  it('home, explore and stories', async () => {
    const rest = new FakeRest()
      .route('GET', '/v1/feed', () => ({ objects: [post], next_cursor: 'n' }))
      .route('GET', '/v1/feed/explore', () => ({ objects: [], next_cursor: null }))
      .route('GET', '/v1/feed/stories', () => ({ rings: [ring('ann', [story('s1', 'ann')])] }));
    const c = client(rest);
    expect(await c.feed.home({ kinds: ['post', 'reel'], limit: 10 })).toEqual({ objects: [post], nextCursor: 'n' });
    expect(await c.feed.explore({ sort: 'popular', cursor: 'x' })).toEqual({ objects: [] });
    const rings = await c.feed.stories();
    expect(rings[0]?.stories[0]?.kind).toBe('story');
    const pager = c.feed.homePager({ limit: 1 });
    await pager.next();
    expect(pager.nextCursor).toBe('n');
    await c.feed.explorePager().next();
    expect(rest.calls.map((x) => `${x.path}?${x.query}`)).toEqual([
      '/v1/feed?kinds=post%2Creel&limit=10',
      '/v1/feed/explore?sort=popular&cursor=x',
      '/v1/feed/stories?',
      '/v1/feed?limit=1',
      '/v1/feed/explore?',
    ]);
  });
});

describe('objectRefOf', () => {
  it('reads payload.object of a message, and nothing else', () => {
    const ref = { kind: 'reel', id: 'r1', owner_id: 'bob' };
    expect(objectRefOf(message('c', 1, 'a', '', { payload: { object: ref } }))).toEqual(ref);
    expect(objectRefOf(message('c', 1, 'a', '', { payload: { object: ref }, deleted_at: '2026-11-26T10:00:00Z' }))).toBeUndefined();
    expect(objectRefOf(message('c', 1, 'a'))).toBeUndefined();
    expect(objectRefOf(message('c', 1, 'a', '', { payload: { object: { id: 3 } } }))).toBeUndefined();
    expect(objectRefOf(message('c', 1, 'a', '', { payload: [1] }))).toBeUndefined();
  });
});
