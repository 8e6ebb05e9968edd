// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';

import { CaasClient } from '../../client/client.js';
import { FakeServer, Refusal, conversation, entry, message, until, user } from '../../testing/fake-server.js';
import type { InboxEntry } from '../../chat/types.js';
import type { Attachment } from '../../files/types.js';
import '../index.js';
import type { CaasChatList, SelectDetail } from '../index.js';

const clients: CaasClient[] = [];

afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
  document.body.innerHTML = '';
});

function rows(el: CaasChatList): HTMLElement[] {
  return [...el.shadowRoot!.querySelectorAll<HTMLElement>('[data-testid="chat-row"]')];
}

function part<T extends HTMLElement = HTMLElement>(el: CaasChatList, selector: string): T {
  const found = el.shadowRoot!.querySelector<T>(selector);
  if (!found) throw new Error(`no ${selector}`);
  return found;
}

function texts(el: CaasChatList): string[] {
  return rows(el).map((r) => part<HTMLElement>(el, `[data-conversation-id="${r.dataset['conversationId']}"] [data-testid="chat-title"]`).textContent!.trim());
}

const direct = conversation('d1', 'direct', ['ann', 'bob'], { lastSeq: 3, lastRead: { ann: 1 }, at: '2026-11-26T10:00:00Z' });
const group = conversation('g1', 'group', ['cy', 'ann', 'bob'], { name: 'Trio', at: '2026-11-26T09:00:00Z' });

async function mount(pages: InboxEntry[][], cursors: Array<string | null> = []): Promise<{ el: CaasChatList; server: FakeServer }> {
  const server = new FakeServer(user('ann'));
  server.on('conversation.list', (data) => {
    const n = data['cursor'] === undefined ? 0 : Number(data['cursor']);
    return { conversations: pages[n] ?? [], next_cursor: cursors[n] ?? null };
  });
  const client = await server.client();
  clients.push(client);
  const el = document.createElement('caas-chat-list');
  el.client = client;
  document.body.append(el);
  await until(() => server.sent('conversation.list').length >= 1 && rows(el).length === (pages[0] ?? []).length && !el.shadowRoot!.querySelector('[role=status]'));
  return { el, server };
}

describe('<caas-chat-list>', () => {
  it('shows names, previews and unread badges as an ARIA listbox', async () => {
    const { el, server } = await mount([[entry(direct, 'ann'), entry(group, 'ann')]]);
    expect(customElements.get('caas-chat-list')).toBeDefined();
    expect(server.sent('conversation.list')[0]?.data).toEqual({ filter: 'all', limit: 30 });
    expect(part(el, '[role="listbox"]').getAttribute('aria-label')).toBe('Conversations');
    expect(texts(el)).toEqual(['bob', 'Trio']);
    const [first, second] = rows(el);
    expect(first?.getAttribute('role')).toBe('option');
    expect(first?.querySelector('[data-testid="chat-preview"]')?.textContent).toBe('last of d1');
    expect(first?.querySelector('[data-testid="unread-badge"]')?.textContent?.trim()).toBe('2');
    expect(second?.querySelector('[data-testid="chat-preview"]')?.textContent).toBe('No messages yet');
    expect(second?.querySelector('[data-testid="unread-badge"]')).toBeNull();
    expect(rows(el).map((r) => r.tabIndex)).toEqual([0, -1]);
  });

  it('previews attachment-only last messages by their files', async () => {
    const photo: Attachment = { id: 'f-1', name: 'photo.png', content_type: 'image/png', size: 2048, width: 640, height: 480 };
    const pdf: Attachment = { id: 'f-2', name: 'report.pdf', content_type: 'application/pdf', size: 9000 };
    const withFile = (e: InboxEntry, text: string, attachments: Attachment[]): InboxEntry => ({
      ...e,
      last_message: { ...e.last_message!, text, attachments },
    });
    const g = conversation('g2', 'group', ['cy', 'ann', 'bob'], { name: 'Files', lastSeq: 5, at: '2026-11-26T09:30:00Z' });
    const { el, server } = await mount([[withFile(entry(direct, 'ann'), '', [photo]), withFile(entry(g, 'ann'), '', [pdf])]]);
    const preview = (i: number): string | null | undefined => rows(el)[i]?.querySelector('[data-testid="chat-preview"]')?.textContent;
    expect(preview(0)).toBe('📷 Photo');
    expect(preview(1)).toBe('You: 📎 report.pdf'); // the fixture's last sender is ann, the viewer
    // A live message with files only previews the same way.
    server.push('message.new', { message: message('g2', 6, 'bob', '', { attachments: [pdf, photo], created_at: '2026-11-26T11:00:00Z' }) });
    await until(() => texts(el)[0] === 'Files');
    expect(preview(0)).toBe('bob: 📎 2 files');
  });

  it('emits caas-select on click, Enter and Space, and moves with the arrow keys', async () => {
    const { el } = await mount([[entry(direct, 'ann'), entry(group, 'ann')]]);
    const chosen: string[] = [];
    el.addEventListener('caas-select', (e: CustomEvent<SelectDetail>) => chosen.push(e.detail.conversationId));
    rows(el)[1]?.click();
    await el.updateComplete;
    expect(el.selected).toBe('g1');
    expect(rows(el)[1]?.getAttribute('aria-selected')).toBe('true');

    const list = part(el, '[role="listbox"]');
    const key = (k: string): boolean => list.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true }));
    key('Home');
    await el.updateComplete;
    expect(rows(el).map((r) => r.tabIndex)).toEqual([0, -1]);
    expect(el.shadowRoot!.activeElement).toBe(rows(el)[0]);
    key('Enter');
    key('ArrowDown');
    await el.updateComplete;
    expect(el.shadowRoot!.activeElement).toBe(rows(el)[1]);
    expect(key(' ')).toBe(false); // handled: no page scroll
    expect(chosen).toEqual(['g1', 'd1', 'g1']);
  });

  it('loads the next page when scrolled near the end', async () => {
    const more = conversation('d2', 'direct', ['ann', 'dan'], { at: '2026-11-25T10:00:00Z' });
    const { el, server } = await mount([[entry(direct, 'ann'), entry(group, 'ann')], [entry(more, 'ann')]], ['1', null]);
    const list = part(el, '[role="listbox"]');
    Object.defineProperties(list, {
      scrollHeight: { value: 1000, configurable: true },
      clientHeight: { value: 300, configurable: true },
    });
    list.scrollTop = 100;
    list.dispatchEvent(new Event('scroll'));
    expect(server.sent('conversation.list')).toHaveLength(1);
    list.scrollTop = 650;
    list.dispatchEvent(new Event('scroll'));
    await until(() => rows(el).length === 3);
    expect(server.sent('conversation.list')[1]?.data).toEqual({ filter: 'all', cursor: '1', limit: 30 });
    // No cursor left: no more requests.
    list.dispatchEvent(new Event('scroll'));
    await el.updateComplete;
    expect(server.sent('conversation.list')).toHaveLength(2);
  });

  it('reloads for filter tabs and (debounced) search', async () => {
    const { el, server } = await mount([[entry(direct, 'ann'), entry(group, 'ann')]]);
    part(el, '[data-testid="filter-group"]').click();
    await until(() => server.sent('conversation.list').length === 2);
    expect(server.sent('conversation.list')[1]?.data).toEqual({ filter: 'group', limit: 30 });
    expect(part(el, '[data-testid="filter-group"]').getAttribute('aria-selected')).toBe('true');
    expect(el.getAttribute('filter')).toBe('group');

    const search = part<HTMLInputElement>(el, '[data-testid="chat-search"]');
    for (const v of ['t', 'tr', 'tri']) {
      search.value = v;
      search.dispatchEvent(new Event('input'));
    }
    await until(() => server.sent('conversation.list').length === 3);
    // The third request already carries the last value: the three inputs were coalesced.
    expect(server.sent('conversation.list')[2]?.data).toEqual({ filter: 'group', q: 'tri', limit: 30 });
  });

  it('updates live on message.new, receipt.read and conversation.created', async () => {
    const { el, server } = await mount([[entry(direct, 'ann'), entry(group, 'ann')]]);
    server.push('message.new', { message: message('g1', 1, 'bob', 'hello group', { created_at: '2026-11-26T11:00:00Z' }) });
    await until(() => texts(el)[0] === 'Trio');
    expect(rows(el)[0]?.querySelector('[data-testid="chat-preview"]')?.textContent).toBe('bob: hello group');
    expect(rows(el)[0]?.querySelector('[data-testid="unread-badge"]')?.textContent?.trim()).toBe('1');

    server.push('receipt.read', { conversation_id: 'g1', user_id: 'ann', last_read_seq: 1 });
    await until(() => rows(el)[0]?.querySelector('[data-testid="unread-badge"]') === null);

    server.push('message.new', { message: message('d1', 4, 'ann', 'mine', { created_at: '2026-11-26T12:00:00Z' }) });
    await until(() => texts(el)[0] === 'bob');
    expect(rows(el)[0]?.querySelector('[data-testid="chat-preview"]')?.textContent).toBe('You: mine');
    expect(rows(el)[0]?.querySelector('[data-testid="unread-badge"]')).toBeNull();

    const fresh = conversation('g2', 'group', ['eve', 'ann'], { name: 'New one', at: '2026-11-26T13:00:00Z' });
    server.push('conversation.created', { conversation: fresh });
    await until(() => texts(el)[0] === 'New one');
    expect(rows(el)).toHaveLength(3);

    // A message in a conversation the list does not show reloads the list.
    const before = server.sent('conversation.list').length;
    server.push('message.new', { message: message('elsewhere', 1, 'bob') });
    await until(() => server.sent('conversation.list').length === before + 1);

    // Edits of the newest message follow in the preview; deletions too.
    await until(() => rows(el).length === 2);
    server.push('message.updated', { message: message('d1', 3, 'bob', 'edited', { id: 'd1-m3' }), by: 'bob' });
    await until(() => rows(el)[0]?.querySelector('[data-testid="chat-preview"]')?.textContent === 'edited');
    server.push('message.deleted', { message: message('d1', 3, 'bob', '', { id: 'd1-m3', deleted_at: '2026-11-26T12:00:00Z' }), by: 'bob' });
    await until(() => rows(el)[0]?.querySelector('[data-testid="chat-preview"]')?.textContent === 'Message deleted');
  });

  it('creates a group from the dialog and selects it', async () => {
    const { el, server } = await mount([[entry(direct, 'ann')]]);
    const created = conversation('g9', 'group', ['ann', 'bob', 'cy'], { name: 'Lunch', at: '2026-11-27T00:00:00Z' });
    let refuse = true;
    server.on('conversation.create', (data) => {
      if (refuse) throw new Refusal('not_found', 'user not found');
      expect(data).toEqual({ kind: 'group', members: ['bob', 'cy'], name: 'Lunch' });
      return { conversation: created };
    });
    const chosen: string[] = [];
    el.addEventListener('caas-select', (e) => chosen.push(e.detail.conversationId));

    part(el, '[data-testid="new-group-button"]').click();
    await el.updateComplete;
    const dialog = part(el, '[role="dialog"]');
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(el.shadowRoot!.activeElement).toBe(part(el, '[data-testid="new-group-name"]'));
    part<HTMLInputElement>(el, '[data-testid="new-group-name"]').value = 'Lunch';
    part<HTMLInputElement>(el, '[data-testid="new-group-members"]').value = 'bob, cy,bob';
    const submit = (): void => {
      dialog.dispatchEvent(new Event('submit', { cancelable: true }));
    };
    submit();
    await until(() => el.shadowRoot!.querySelector('[role="dialog"] [role="alert"]') !== null);
    expect(part(el, '[role="dialog"] [role="alert"]').textContent).toContain('user not found');

    refuse = false;
    submit();
    await until(() => el.shadowRoot!.querySelector('[role="dialog"]') === null);
    expect(chosen).toEqual(['g9']);
    expect(texts(el)[0]).toBe('Lunch');
    expect(el.selected).toBe('g9');

    // Escape closes the dialog without creating anything.
    part(el, '[data-testid="new-group-button"]').click();
    await el.updateComplete;
    part(el, '[data-testid="new-group-name"]').dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('[role="dialog"]')).toBeNull();
    expect(server.sent('conversation.create')).toHaveLength(2);
  });

  it('loads once the client connects, and shows errors with a retry', async () => {
    const server = new FakeServer(user('ann'));
    let fail = true;
    server.on('conversation.list', () => {
      if (fail) throw new Refusal('rate_limited', 'too many requests');
      return { conversations: [entry(direct, 'ann')], next_cursor: null };
    });
    const client = new CaasClient({ url: 'http://caas.test', token: 't', WebSocket: server.WebSocket });
    clients.push(client);
    const el = document.createElement('caas-chat-list');
    el.client = client;
    document.body.append(el);
    await el.updateComplete;
    expect(server.sent('conversation.list')).toHaveLength(0);
    await client.connect();
    await until(() => el.shadowRoot!.querySelector('[role="alert"]') !== null);
    expect(part(el, '[role="alert"]').textContent).toContain('too many requests');
    fail = false;
    part(el, '[role="alert"] button').click();
    await until(() => rows(el).length === 1);
  });
});
