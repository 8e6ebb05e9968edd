// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';

import type { CaasClient } from '../../client/client.js';
import { FakeRest, refusal } from '../../testing/fake-rest.js';
import { FakeServer, conversation, message, until, user } from '../../testing/fake-server.js';
import { obj } from '../../testing/social.js';
import type { Message } from '../../chat/types.js';
import '../index.js';
import type { CaasChatWindow, OpenObjectDetail } from '../index.js';

const clients: CaasClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
  document.body.innerHTML = '';
});

const cards = (el: CaasChatWindow): HTMLElement[] => [...el.shadowRoot!.querySelectorAll<HTMLElement>('[data-testid="object-card"]')];
const card = (el: CaasChatWindow, id: string): HTMLElement => el.shadowRoot!.querySelector<HTMLElement>(`[data-testid="object-card"][data-object-id="${id}"]`)!;
const cardText = (el: CaasChatWindow, id: string): string => card(el, id).querySelector('[data-testid="object-card-text"]')?.textContent?.trim() ?? '';

const shared = (seq: number, kind: string, id: string, owner: string, text = ''): Message =>
  message('c1', seq, 'bob', text, { payload: { object: { kind, id, owner_id: owner } } });

async function mount(history: Message[], rest: FakeRest): Promise<{ el: CaasChatWindow; server: FakeServer }> {
  const server = new FakeServer(user('ann'));
  server
    .on('conversation.get', () => ({ conversation: conversation('c1', 'direct', ['ann', 'bob'], { lastSeq: history.length }) }))
    .on('conversation.history', () => ({ messages: history }))
    .on('message.read', (d) => ({ conversation_id: 'c1', last_read_seq: d['seq'] }));
  const client = await server.client({ fetch: rest.fetch });
  clients.push(client);
  const el = document.createElement('caas-chat-window');
  el.client = client;
  el.conversationId = 'c1';
  document.body.append(el);
  return { el, server };
}

describe('<caas-chat-window> shared objects', () => {
  it('renders a card per shared object: a post’s excerpt fetched once, “not available” on 404, kind only for stories and reels', async () => {
    const post = obj('o1', 'ann', { text: 'My holiday\nphotos are here', payload: { text: 'My holiday\nphotos are here', media: [{ id: 'f1', name: 'a.png', content_type: 'image/png', size: 1, width: 10, height: 10 }] } });
    const rest = new FakeRest()
      .route('GET', '/v1/objects/o1', () => ({ object: post }))
      .route('GET', '/v1/objects/gone', () => refusal(404, 'not_found', 'object not found'));
    const { el, server } = await mount(
      [shared(1, 'post', 'o1', 'ann', 'look at this'), shared(2, 'post', 'gone', 'cy'), shared(3, 'reel', 'r1', 'bob'), shared(4, 'post', 'o1', 'ann')],
      rest,
    );
    await until(() => cards(el).length === 4 && cardText(el, 'o1') === 'My holiday photos are here' && card(el, 'gone').dataset['state'] === 'unavailable');
    const first = cards(el)[0]!;
    expect(first.dataset['kind']).toBe('post');
    expect(first.textContent).toContain('Post by you');
    expect(first.querySelector('img')?.getAttribute('src')).toBe('http://caas.test/v1/files/f1/thumbnail?token=t');
    expect(cardText(el, 'gone')).toBe('This post is not available');
    expect(card(el, 'gone').querySelector('[data-testid="object-card-open"]')).toBeNull();
    const reel = card(el, 'r1');
    expect(reel.textContent).toContain('Reel by bob');
    expect(reel.dataset['state']).toBe('ready');
    // The note of the share stays the message's text.
    const texts = [...el.shadowRoot!.querySelectorAll('[data-testid="message-text"]')].map((t) => t.textContent?.trim());
    expect(texts[0]).toBe('look at this');
    // Fetched once per object, however many messages share it; never for reels.
    expect(rest.calls.map((c) => c.path).sort()).toEqual(['/v1/objects/gone', '/v1/objects/o1']);

    const opened: OpenObjectDetail[] = [];
    el.addEventListener('caas-open-object', (e) => opened.push(e.detail));
    (first.querySelector('[data-testid="object-card-open"]') as HTMLButtonElement).click();
    expect(opened[0]?.ref).toEqual({ kind: 'post', id: 'o1', owner_id: 'ann' });
    expect(opened[0]?.object?.id).toBe('o1');

    // A live message with a shared object gets its card too.
    server.push('message.new', { message: shared(5, 'story', 's9', 'bob') });
    await until(() => cards(el).length === 5);
    expect(card(el, 's9').textContent).toContain('Story by bob');
  });

  it('offers Retry after another error', async () => {
    let fail = true;
    const rest = new FakeRest().route('GET', '/v1/objects/o1', () => (fail ? refusal(500, 'internal', 'boom') : { object: obj('o1', 'bob', { text: 'back again' }) }));
    const { el } = await mount([shared(1, 'post', 'o1', 'bob')], rest);
    await until(() => card(el, 'o1')?.dataset['state'] === 'error');
    expect(cardText(el, 'o1')).toContain('boom');
    fail = false;
    (card(el, 'o1').querySelector('[data-testid="object-card-retry"]') as HTMLButtonElement).click();
    await until(() => cardText(el, 'o1') === 'back again');
  });
});
