// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';

import type { CaasClient } from '../../client/client.js';
import type { CaasObject, ObjectComment } from '../../feed/objects.js';
import { FakeRest, refusal } from '../../testing/fake-rest.js';
import { FakeServer, until, user } from '../../testing/fake-server.js';
import { fileMeta } from '../../testing/fake-xhr.js';
import { comment, obj, ring, story } from '../../testing/social.js';
import '../index.js';
import type { CaasFeed } from '../index.js';

const clients: CaasClient[] = [];

afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
  document.body.innerHTML = '';
});

const all = (el: HTMLElement, sel: string): HTMLElement[] => [...(el.shadowRoot ?? el).querySelectorAll<HTMLElement>(sel)];
/** The first match in the element's shadow root (or, for an element inside it, in the element). */
function one<T extends HTMLElement = HTMLElement>(el: HTMLElement, sel: string): T {
  const found = (el.shadowRoot ?? el).querySelector<T>(sel);
  if (!found) throw new Error(`no ${sel}`);
  return found;
}
const texts = (el: CaasFeed): string[] => all(el, '[data-testid="feed-item"]').map((p) => p.querySelector('[data-testid="feed-text"]')?.textContent?.trim() ?? '');
const item = (el: CaasFeed, id: string): HTMLElement => one(el, `[data-testid="feed-item"][data-object-id="${id}"]`);

const png = { id: 'f1', name: 'cat.png', content_type: 'image/png', size: 10, width: 800, height: 600 };
const mp4 = { id: 'f2', name: 'clip.mp4', content_type: 'video/mp4', size: 10 };

interface World {
  rest: FakeRest;
  posts: CaasObject[];
  rings: ReturnType<typeof ring>[];
  comments: Map<string, ObjectComment[]>;
}

/** A server where bob follows ann and cy: `posts` (newest first) paged 2 at a time, story rings and comments. */
function world(): World {
  const posts = [
    obj('p1', 'ann', { text: 'first', payload: { text: 'first', media: [png] } }),
    obj('p2', 'cy', { text: 'second', payload: { text: 'second', media: [mp4] }, kind: 'reel' }),
    obj('p3', 'ann', { text: 'third', stats: { likes: 2, comments: 1, views: 0, shares: 0 } }),
  ];
  const rings = [
    ring('ann', [story('s1', 'ann', { text: 'ann story 1' }), story('s2', 'ann', { text: 'ann story 2' })]),
    ring('cy', [story('s3', 'cy', { text: 'cy story', viewed: true })]),
  ];
  const comments = new Map<string, ObjectComment[]>([['p3', [comment('k1', 'p3', 'cy', 'hello there', { reply_count: 1 })]]]);
  const replies = new Map<string, ObjectComment[]>([['k1', [comment('k2', 'p3', 'ann', 'a reply', { parent_id: 'k1' })]]]);
  let n = 0;
  const rest = new FakeRest()
    .route('GET', '/v1/feed', (c) => {
      const from = Number(c.query.get('cursor') ?? 0);
      const limit = Number(c.query.get('limit') ?? 20);
      return { objects: posts.slice(from, from + limit), next_cursor: from + limit < posts.length ? String(from + limit) : null };
    })
    .route('GET', '/v1/feed/explore', () => ({ objects: [obj('e1', 'zed', { text: 'public', visibility: 'public' })], next_cursor: null }))
    .route('GET', '/v1/objects', (c) => ({ objects: posts.filter((p) => p.owner_id === c.query.get('owner')), next_cursor: null }))
    .route('GET', '/v1/feed/stories', () => ({ rings }))
    .route('PUT', '/v1/objects/:id/like', (_, p) => {
      const o = posts.find((x) => x.id === p['id'])!;
      return { object: { ...o, liked: true, stats: { ...o.stats, likes: o.stats.likes + 1 } } };
    })
    .route('DELETE', '/v1/objects/:id/like', (_, p) => ({ object: posts.find((x) => x.id === p['id'])! }))
    .route('GET', '/v1/objects/:id/comments', (c, p) => {
      const parent = c.query.get('parent');
      return { comments: parent ? (replies.get(parent) ?? []) : (comments.get(p['id']!) ?? []), next_cursor: null };
    })
    .route('POST', '/v1/objects/:id/comments', (c, p) => {
      const body = c.body as { text: string; parent_id?: string };
      return { comment: comment(`new${++n}`, p['id']!, 'bob', body.text, { parent_id: body.parent_id ?? null }) };
    })
    .route('POST', '/v1/objects/:id/views', () => ({ counted: true }))
    .route('POST', '/v1/files', (c) => ({ file: fileMeta(`up${++n}`, c.query.get('name') ?? 'f', (c.body as Blob).size, { content_type: 'image/png' }) }))
    .route('POST', '/v1/objects', (c) => {
      const body = c.body as { kind: 'post' | 'story'; text?: string; media?: string[]; visibility?: 'public' };
      const media = (body.media ?? []).map((id) => ({ id, name: 'x.png', content_type: 'image/png', size: 1 }));
      const made = body.kind === 'story' ? story('new-story', 'bob', { text: body.text ?? '' }) : obj('new-post', 'bob', { text: body.text ?? '' });
      return { object: { ...made, visibility: body.visibility ?? 'followers', payload: { ...made.payload, media } } };
    })
    .route('DELETE', '/v1/objects/:id', () => ({ deleted: true }));
  return { rest, posts, rings, comments };
}

async function mount(w: World, attrs: Record<string, string> = {}): Promise<{ el: CaasFeed; client: CaasClient }> {
  const server = new FakeServer(user('bob'));
  const client = await server.client({ fetch: w.rest.fetch });
  clients.push(client);
  const el = document.createElement('caas-feed');
  el.pageSize = 2;
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.client = client;
  document.body.append(el);
  return { el, client };
}

describe('<caas-feed> home', () => {
  it('shows the stories strip and the first page, with images and videos from the files API, and pages on', async () => {
    const w = world();
    const { el } = await mount(w);
    await until(() => texts(el).length === 2 && all(el, '[data-testid="story-ring"]').length === 2);
    expect(one(el, '[data-testid="feed-title"]').textContent).toBe('Home');
    expect(texts(el)).toEqual(['first', 'second']);
    const img = one<HTMLImageElement>(item(el, 'p1'), '[data-testid="feed-image"]');
    expect(img.getAttribute('src')).toBe('http://caas.test/v1/files/f1?token=t');
    expect([img.getAttribute('width'), img.getAttribute('height')]).toEqual(['480', '360']);
    const video = one<HTMLVideoElement>(item(el, 'p2'), '[data-testid="feed-video"]');
    expect(video.getAttribute('src')).toBe('http://caas.test/v1/files/f2?token=t');
    expect(item(el, 'p2').getAttribute('data-kind')).toBe('reel');
    expect(all(el, '[data-testid="story-ring"]').map((r) => `${r.dataset['owner']}:${r.dataset['seen']}`)).toEqual(['ann:false', 'cy:true']);
    // happy-dom has no layout: the Load more button pages on.
    one(el, '[data-testid="feed-more"]').click();
    await until(() => texts(el).length === 3);
    expect(w.rest.calls.filter((c) => c.path === '/v1/feed').map((c) => c.query.toString())).toEqual([
      'kinds=post%2Creel&limit=2',
      'kinds=post%2Creel&cursor=2&limit=2',
    ]);
    expect(texts(el)).toEqual(['first', 'second', 'third']);
    expect(el.shadowRoot!.querySelector('[data-testid="feed-more"]')).toBeNull();
    expect(el.shadowRoot!.querySelector('[data-testid="feed-sentinel"]')).toBeNull();
  });

  it('likes optimistically, then shows the server count; a refused like goes back', async () => {
    const w = world();
    const { el } = await mount(w);
    await until(() => texts(el).length === 2);
    const likes: Array<[string, boolean]> = [];
    el.addEventListener('caas-like', (e) => likes.push([e.detail.object.id, e.detail.liked]));
    const like = (): HTMLButtonElement => one(item(el, 'p1'), '[data-testid="like-button"]');
    like().click();
    await el.updateComplete;
    expect(like().getAttribute('aria-pressed')).toBe('true');
    expect(one(item(el, 'p1'), '[data-testid="like-count"]').textContent).toBe('1');
    await until(() => likes.length === 1);
    expect(likes).toEqual([['p1', true]]);
    expect(w.rest.called('PUT', '/v1/objects/p1/like')).toHaveLength(1);
    like().click();
    await until(() => likes.length === 2);
    expect(like().getAttribute('aria-pressed')).toBe('false');
    expect(one(item(el, 'p1'), '[data-testid="like-count"]').textContent).toBe('0');

    w.rest.route('PUT', '/v1/objects/:id/like', () => refusal(404, 'not_found', 'object not found'));
    like().click();
    await until(() => el.shadowRoot!.querySelector('[data-testid="feed-error"]') !== null);
    expect(like().getAttribute('aria-pressed')).toBe('false');
    expect(one(item(el, 'p1'), '[data-testid="like-count"]').textContent).toBe('0');
  });

  it('opens the comments panel, posts a comment and a reply, and shows replies one level deep', async () => {
    const w = world();
    const { el } = await mount(w);
    await until(() => texts(el).length === 2);
    one(el, '[data-testid="feed-more"]').click();
    await until(() => texts(el).length === 3);
    const post = (): HTMLElement => item(el, 'p3');
    const events: string[] = [];
    el.addEventListener('caas-comment', (e) => events.push(`${e.detail.comment.text}@${e.detail.comment.parent_id ?? '-'}:${e.detail.object.stats.comments}`));
    one(post(), '[data-testid="comments-button"]').click();
    await until(() => all(post(), '[data-testid="comment"]').length === 1);
    expect(one(post(), '[data-testid="comments-button"]').getAttribute('aria-expanded')).toBe('true');
    expect(one(post(), '[data-testid="comment-text"]').textContent).toBe('hello there');

    const input = (): HTMLInputElement => one(post(), '[data-testid="comment-input"]');
    input().value = 'Nice!';
    input().dispatchEvent(new Event('input'));
    await el.updateComplete;
    one(post(), '[data-testid="comment-submit"]').click();
    await until(() => all(post(), '[data-testid="comment"]').length === 2);
    expect(w.rest.called('POST', '/v1/objects/p3/comments')[0]?.body).toEqual({ text: 'Nice!' });
    expect(one(post(), '[data-testid="comment-count"]').textContent).toBe('2');

    // Replies of k1 load when asked for.
    one(post(), '[data-comment-id="k1"] [data-testid="comment-replies-button"]').click();
    await until(() => all(post(), '[data-parent-id="k1"]').length === 1);
    expect(w.rest.called('GET', '/v1/objects/p3/comments').at(-1)?.query.get('parent')).toBe('k1');

    // Replying to a reply answers its top-level comment.
    one(post(), '[data-comment-id="k2"] [data-testid="comment-reply"]').click();
    await el.updateComplete;
    expect(one(post(), '[data-testid="comment-replying"]').textContent).toContain('ann');
    input().value = 'me too';
    input().dispatchEvent(new Event('input'));
    await el.updateComplete;
    one(post(), '[data-testid="comment-submit"]').click();
    await until(() => all(post(), '[data-parent-id="k1"]').length === 2);
    expect(w.rest.called('POST', '/v1/objects/p3/comments')[1]?.body).toEqual({ text: 'me too', parent_id: 'k1' });
    expect(one(post(), '[data-comment-id="k1"] [data-testid="comment-replies-button"]').textContent?.trim()).toBe('Hide replies');
    expect(events).toEqual(['Nice!@-:2', 'me too@k1:3']);
    expect(el.shadowRoot!.querySelector('[data-testid="comment-replying"]')).toBeNull();

    one(post(), '[data-testid="comments-button"]').click();
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('[data-testid="comments-panel"]')).toBeNull();
  });

  it('plays a ring in the viewer, records each view, and moves seen rings behind unseen ones', async () => {
    const w = world();
    w.rings.push(ring('dee', [story('s4', 'dee', { text: 'dee story' })]), ring('eve', [story('s5', 'eve')]));
    const { el } = await mount(w);
    const order = (): string[] => all(el, '[data-testid="story-ring"]').map((r) => `${r.dataset['owner']}:${r.dataset['seen']}`);
    await until(() => order().length === 4);
    expect(order()).toEqual(['ann:false', 'dee:false', 'eve:false', 'cy:true']);
    const views: Array<[string, boolean]> = [];
    el.addEventListener('caas-story-view', (e) => views.push([e.detail.story.id, e.detail.counted]));
    one(el, '[data-testid="story-ring"][data-owner="ann"]').click();
    await until(() => el.shadowRoot!.querySelector('[data-testid="story-viewer"]') !== null);
    const viewer = (): HTMLElement => one(el, '[data-testid="story-viewer"]');
    expect(viewer().getAttribute('data-story-id')).toBe('s1');
    expect(one(el, '[data-testid="story-text"]').textContent).toBe('ann story 1');
    expect(viewer().getAttribute('role')).toBe('dialog');
    viewer().dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
    await el.updateComplete;
    expect(viewer().getAttribute('data-story-id')).toBe('s2');
    one(el, '[data-testid="story-next"]').click(); // on to the next ring: dee
    await el.updateComplete;
    expect(viewer().getAttribute('data-story-id')).toBe('s4');
    one(el, '[data-testid="story-prev"]').click(); // back to ann's last
    await el.updateComplete;
    expect(viewer().getAttribute('data-story-id')).toBe('s2');
    await until(() => views.length === 4);
    // (Views recorded on the server are reported when it answers: the order may vary.)
    expect([...views].sort()).toEqual([
      ['s1', true],
      ['s2', false], // seen already: no request
      ['s2', true],
      ['s4', true],
    ]);
    expect(w.rest.called('POST', '/v1/objects/').map((c) => c.path)).toEqual(['/v1/objects/s1/views', '/v1/objects/s2/views', '/v1/objects/s4/views']);
    // The strip keeps its order while the viewer is open.
    expect(order()).toEqual(['ann:true', 'dee:true', 'eve:false', 'cy:true']);
    viewer().dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('[data-testid="story-viewer"]')).toBeNull();
    expect(order()).toEqual(['eve:false', 'ann:true', 'dee:true', 'cy:true']);
  });

  it('posts with text and an uploaded image, and shares a story to the strip', async () => {
    const w = world();
    const { el } = await mount(w);
    await until(() => texts(el).length === 2);
    const posted: string[] = [];
    el.addEventListener('caas-post', (e) => posted.push(`${e.detail.object.kind}:${e.detail.object.id}`));

    // Nothing to post: refused before any request.
    one(el, '[data-testid="composer-submit"]').click();
    await el.updateComplete;
    expect(one(el, '[data-testid="composer-error"]').textContent).toMatch(/Write something/);

    const text = one<HTMLTextAreaElement>(el, '[data-testid="composer-text"]');
    text.value = 'my new post';
    text.dispatchEvent(new Event('input'));
    const input = one<HTMLInputElement>(el, '[data-testid="composer-input"]');
    Object.defineProperty(input, 'files', { value: [new File([new Uint8Array(7)], 'pic.png', { type: 'image/png' })], configurable: true });
    input.dispatchEvent(new Event('change'));
    await el.updateComplete;
    expect(all(el, '[data-testid="composer-file"]')).toHaveLength(1);
    const visibility = one<HTMLSelectElement>(el, '[data-testid="composer-visibility"]');
    visibility.value = 'public';
    visibility.dispatchEvent(new Event('change'));
    one(el, '[data-testid="composer-submit"]').click();
    await until(() => posted.length === 1);
    expect(w.rest.called('POST', '/v1/files').map((c) => c.query.get('name'))).toEqual(['pic.png']);
    expect(w.rest.called('POST', '/v1/objects')[0]?.body).toEqual({ kind: 'post', visibility: 'public', text: 'my new post', media: [expect.stringMatching(/^up/)] });
    await el.updateComplete;
    expect(texts(el)[0]).toBe('my new post');
    expect(item(el, 'new-post').getAttribute('data-own')).toBe('true');
    expect(one<HTMLTextAreaElement>(el, '[data-testid="composer-text"]').value).toBe('');
    expect(el.shadowRoot!.querySelector('[data-testid="composer-file"]')).toBeNull();

    const kind = one<HTMLSelectElement>(el, '[data-testid="composer-kind"]');
    kind.value = 'story';
    kind.dispatchEvent(new Event('change'));
    const t2 = one<HTMLTextAreaElement>(el, '[data-testid="composer-text"]');
    t2.value = 'story time';
    t2.dispatchEvent(new Event('input'));
    await el.updateComplete;
    expect(one(el, '[data-testid="composer-submit"]').textContent?.trim()).toBe('Share story');
    one(el, '[data-testid="composer-submit"]').click();
    await until(() => posted.length === 2);
    await el.updateComplete;
    expect(posted).toEqual(['post:new-post', 'story:new-story']);
    expect(all(el, '[data-testid="story-ring"]').map((r) => r.dataset['owner'])).toEqual(['bob', 'ann', 'cy']);
    expect(texts(el)[0]).toBe('my new post');
  });

  it('deletes an own post after a confirmation', async () => {
    const w = world();
    w.posts.unshift(obj('mine', 'bob', { text: 'mine' }));
    const { el } = await mount(w);
    await until(() => texts(el).includes('mine'));
    expect(item(el, 'p1').querySelector('[data-testid="delete-button"]')).toBeNull();
    one(item(el, 'mine'), '[data-testid="delete-button"]').click();
    await el.updateComplete;
    expect(w.rest.called('DELETE')).toHaveLength(0);
    one(item(el, 'mine'), '[data-testid="delete-confirm"]').click();
    await until(() => !texts(el).includes('mine'));
    expect(w.rest.called('DELETE').map((c) => c.path)).toEqual(['/v1/objects/mine']);
  });
});

describe('<caas-feed> modes', () => {
  it('profile lists one user’s objects (GET /v1/objects?owner=) and only their ring', async () => {
    const w = world();
    const { el } = await mount(w, { mode: 'profile', 'user-id': 'ann' });
    await until(() => texts(el).length === 2 && all(el, '[data-testid="story-ring"]').length === 1);
    expect(texts(el)).toEqual(['first', 'third']);
    expect(w.rest.called('GET', '/v1/objects')[0]?.query.get('owner')).toBe('ann');
    expect(one(el, '[data-testid="feed-title"]').textContent).toBe('ann');
    expect(el.shadowRoot!.querySelector('[data-testid="feed-composer"]')).toBeNull();
    const profiles: string[] = [];
    el.addEventListener('caas-profile', (e) => profiles.push(e.detail.userId));
    one(item(el, 'p1'), '[data-testid="feed-owner"]').click();
    expect(profiles).toEqual(['ann']);
  });

  it('explore lists public objects and switches its order', async () => {
    const w = world();
    const { el } = await mount(w, { mode: 'explore' });
    await until(() => texts(el).length === 1);
    expect(el.shadowRoot!.querySelector('[data-testid="stories-strip"]')).toBeNull();
    expect(el.shadowRoot!.querySelector('[data-testid="feed-composer"]')).toBeNull();
    one(el, '[data-testid="feed-sort-popular"]').click();
    await until(() => w.rest.called('GET', '/v1/feed/explore').length === 2);
    expect(w.rest.called('GET', '/v1/feed/explore').map((c) => c.query.get('sort'))).toEqual(['recent', 'popular']);
    expect(el.getAttribute('sort')).toBe('popular');
  });

  it('shows an error with Retry when the first page fails', async () => {
    const w = world();
    w.rest.route('GET', '/v1/feed', () => refusal(500, 'internal', 'boom'));
    const { el } = await mount(w);
    await until(() => el.shadowRoot!.querySelector('[data-testid="feed-error"]') !== null);
    const errors: string[] = [];
    el.addEventListener('caas-error', (e) => errors.push(e.detail.action));
    w.rest.route('GET', '/v1/feed', () => ({ objects: [obj('ok', 'ann', { text: 'back' })], next_cursor: null }));
    [...el.shadowRoot!.querySelectorAll<HTMLButtonElement>('[data-testid="feed-error"] button')].find((b) => b.textContent?.trim() === 'Retry')!.click();
    await until(() => texts(el).join() === 'back');
    expect(errors).toEqual([]);
  });
});
