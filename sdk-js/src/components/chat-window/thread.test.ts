// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';

import { all, bubble, clients, mainBubbles, mount, one, press, threadTexts } from '../../testing/chat-window.js';
import { conversation, message, until } from '../../testing/fake-server.js';
import '../index.js';

afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
  document.body.innerHTML = '';
});

describe('<caas-chat-window>', () => {
  it('shows thread replies in a panel opened from "N replies", and posts into the thread', async () => {
    const root = message('c1', 1, 'bob', 'lunch?', { reply_count: 2 });
    const { el, server } = await mount([
      root,
      message('c1', 2, 'ann', 'yes', { parent_id: 'c1-m1' }),
      message('c1', 3, 'bob', 'main line'),
      message('c1', 4, 'bob', 'noon?', { parent_id: 'c1-m1' }),
    ]);
    // The main list leaves the replies out; the root shows their count as a button.
    expect(mainBubbles(el)).toEqual(['lunch?', 'main line']);
    expect(all(el, '[data-testid="replies-button"]')).toHaveLength(1);
    const replies = (): HTMLButtonElement => one<HTMLButtonElement>(el, '[data-testid="replies-button"][data-root-id="c1-m1"]');
    expect(replies().tagName).toBe('BUTTON'); // focusable, pressed with Enter or Space
    expect(replies().textContent?.trim()).toBe('2 replies');
    expect(replies().getAttribute('aria-expanded')).toBe('false');
    expect(el.shadowRoot!.querySelector('[data-testid="thread-panel"]')).toBeNull();
    // Marking read goes up to the newest message, a reply included.
    await until(() => server.sent('message.read').length === 1);
    expect(server.sent('message.read')[0]?.data).toEqual({ conversation_id: 'c1', seq: 4 });

    replies().click();
    await until(() => threadTexts(el).length === 2);
    expect(server.sent('conversation.history').at(-1)?.data).toEqual({ conversation_id: 'c1', parent_id: 'c1-m1', limit: 30 });
    const panel = one(el, '[data-testid="thread-panel"]');
    expect(panel.id).toBe('caas-thread');
    expect(panel.getAttribute('aria-labelledby')).toBe('caas-thread-title');
    expect(replies().getAttribute('aria-expanded')).toBe('true');
    expect(replies().getAttribute('aria-controls')).toBe('caas-thread');
    expect(one(el, '[data-testid="thread-root"] [data-testid="message-text"]').textContent?.trim()).toBe('lunch?');
    expect(threadTexts(el)).toEqual(['yes', 'noon?']);
    expect(one(el, '[data-testid="thread-count"]').textContent?.trim()).toBe('2 replies');
    expect(one(el, '[data-testid="thread-replies"]').getAttribute('role')).toBe('log');
    // The focus moves to the thread composer.
    const composer = one<HTMLTextAreaElement>(el, '[data-testid="thread-composer"]');
    expect(el.shadowRoot!.activeElement).toBe(composer);
    // Replies have no quote-reply nor thread of their own.
    expect(panel.querySelector('[data-testid="reply-button"]')).toBeNull();
    expect(panel.querySelector('[data-testid="thread-button"]')).toBeNull();

    // The thread composer posts into the thread.
    composer.value = 'at noon then';
    composer.dispatchEvent(new Event('input'));
    await el.updateComplete;
    press(composer, 'Enter');
    await until(() => threadTexts(el).at(-1) === 'at noon then');
    const sent = server.sent('message.send')[0]?.data;
    expect(sent).toMatchObject({ conversation_id: 'c1', text: 'at noon then', parent_id: 'c1-m1' });
    expect(sent).not.toHaveProperty('reply_to');
    expect(composer.value).toBe('');
    expect(mainBubbles(el)).toEqual(['lunch?', 'main line']);
    expect(replies().textContent?.trim()).toBe('3 replies');
    // The echo of my own reply changes nothing.
    server.push('message.new', { message: { ...message('c1', 5, 'ann', 'at noon then', { parent_id: 'c1-m1' }), client_msg_id: String(sent?.['client_msg_id']) } });
    await el.updateComplete;
    expect(threadTexts(el)).toEqual(['yes', 'noon?', 'at noon then']);
    expect(replies().textContent?.trim()).toBe('3 replies');

    // A live reply goes to the open thread and bumps the root's count, not to the main list.
    server.push('message.new', { message: message('c1', 6, 'bob', 'great', { parent_id: 'c1-m1' }) });
    await until(() => threadTexts(el).at(-1) === 'great');
    expect(replies().textContent?.trim()).toBe('4 replies');
    expect(one(el, '[data-testid="thread-count"]').textContent?.trim()).toBe('4 replies');
    expect(mainBubbles(el)).toEqual(['lunch?', 'main line']);
    // A reply in another thread only bumps its root; a plain message joins the main list.
    server.push('message.new', { message: message('c1', 7, 'bob', 'elsewhere', { parent_id: 'c1-m3' }) });
    server.push('message.new', { message: message('c1', 8, 'bob', 'back in main') });
    await until(() => mainBubbles(el).at(-1) === 'back in main');
    expect(one(el, '[data-testid="replies-button"][data-root-id="c1-m3"]').textContent?.trim()).toBe('1 reply');
    expect(threadTexts(el)).toEqual(['yes', 'noon?', 'at noon then', 'great']);
    // Events on a reply reach the thread.
    server.push('message.updated', { message: message('c1', 6, 'bob', 'great!', { parent_id: 'c1-m1', edited_at: '2026-11-26T10:20:00Z' }), by: 'bob' });
    await until(() => threadTexts(el).at(-1) === 'great!');

    // Escape closes the panel and gives the focus back to the button that opened it.
    press(one(el, '[data-testid="thread-composer"]'), 'Escape');
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('[data-testid="thread-panel"]')).toBeNull();
    expect(el.shadowRoot!.activeElement).toBe(replies());
    expect(replies().getAttribute('aria-expanded')).toBe('false');
    // Live replies of a closed thread still count.
    server.push('message.new', { message: message('c1', 9, 'bob', 'one more', { parent_id: 'c1-m1' }) });
    await until(() => replies().textContent?.trim() === '5 replies');
    expect(mainBubbles(el)).toEqual(['lunch?', 'main line', 'back in main']);
  });

  it('starts a thread from the toolbar, edits a reply there, and closes with the ✕ button', async () => {
    const { el, server } = await mount([message('c1', 1, 'bob', 'idea')]);
    expect(el.shadowRoot!.querySelector('[data-testid="replies-button"]')).toBeNull();
    bubble(el, 1).querySelector<HTMLButtonElement>('[data-testid="thread-button"]')!.click();
    await until(() => el.shadowRoot!.querySelector('[data-testid="thread-empty"]') !== null);
    expect(one(el, '[data-testid="thread-count"]').textContent?.trim()).toBe('0 replies');
    const composer = one<HTMLTextAreaElement>(el, '[data-testid="thread-composer"]');
    expect(composer.getAttribute('aria-label')).toBe('Reply in thread');
    expect(one<HTMLButtonElement>(el, '[data-testid="thread-send-button"]').disabled).toBe(true);
    composer.value = 'frist';
    composer.dispatchEvent(new Event('input'));
    await el.updateComplete;
    one(el, '[data-testid="thread-panel"] form').dispatchEvent(new Event('submit', { cancelable: true }));
    await until(() => threadTexts(el).length === 1);
    expect(one(el, '[data-testid="replies-button"]').textContent?.trim()).toBe('1 reply');

    // Edit my reply in the thread composer; Escape first leaves the edit, not the panel.
    server.on('message.edit', (data) => ({
      message: message('c1', 2, 'ann', String(data['text']), { parent_id: 'c1-m1', edited_at: '2026-11-26T10:10:00Z' }),
    }));
    const edit = (): HTMLElement => one(el, '[data-testid="thread-panel"] [data-testid="edit-button"]');
    edit().click();
    await el.updateComplete;
    expect(composer.value).toBe('frist');
    expect(composer.getAttribute('aria-label')).toBe('Edit reply');
    expect(el.shadowRoot!.activeElement).toBe(composer);
    expect(press(composer, 'Escape')).toBe(false);
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('[data-testid="thread-editing"]')).toBeNull();
    expect(el.shadowRoot!.querySelector('[data-testid="thread-panel"]')).not.toBeNull();
    expect(composer.value).toBe('');
    edit().click();
    await el.updateComplete;
    composer.value = 'first';
    composer.dispatchEvent(new Event('input'));
    press(composer, 'Enter');
    await until(() => threadTexts(el)[0] === 'first');
    expect(server.sent('message.edit')[0]?.data).toEqual({ message_id: 'c1-m2', text: 'first' });
    expect(one(el, '[data-testid="thread-panel"] [data-testid="edited"]')).toBeTruthy();
    expect(mainBubbles(el)).toEqual(['idea']);

    one(el, '[data-testid="thread-close"]').click();
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('[data-testid="thread-panel"]')).toBeNull();
    expect(el.shadowRoot!.activeElement).toBe(one(el, '[data-testid="replies-button"]'));
  });

  it('pages a long thread back, and closes it when another conversation opens', async () => {
    const history = [
      message('c1', 1, 'bob', 'root', { reply_count: 4 }),
      ...[2, 3, 4, 5].map((seq) => message('c1', seq, seq % 2 ? 'bob' : 'ann', `r${seq}`, { parent_id: 'c1-m1' })),
      message('c1', 6, 'bob', 'after'),
    ];
    const { el, server } = await mount(history, 4);
    // The newest page (3–6) holds replies but not their root: load further back.
    expect(mainBubbles(el)).toEqual(['after']);
    one(el, '[data-testid="load-older"]').click();
    await until(() => mainBubbles(el).length === 2);
    one(el, '[data-testid="replies-button"]').click();
    await until(() => server.sent('conversation.history').length === 3 && el.shadowRoot!.querySelector('[data-testid="thread-load-older"]') !== null);
    expect(threadTexts(el)).toEqual(['r2', 'r3', 'r4', 'r5']);
    // A full page: there may be earlier replies.
    one(el, '[data-testid="thread-load-older"]').click();
    await until(() => server.sent('conversation.history').length === 4);
    expect(server.sent('conversation.history')[3]?.data).toEqual({ conversation_id: 'c1', parent_id: 'c1-m1', before_seq: 2, limit: 4 });
    await until(() => el.shadowRoot!.querySelector('[data-testid="thread-load-older"]') === null);
    expect(threadTexts(el)).toEqual(['r2', 'r3', 'r4', 'r5']);

    server.on('conversation.get', () => ({ conversation: conversation('c2', 'group', ['cy', 'ann'], { name: 'Other' }) }));
    el.conversationId = 'c2';
    await until(() => el.shadowRoot!.querySelector('[data-testid="conversation-title"]')?.textContent === 'Other');
    expect(el.shadowRoot!.querySelector('[data-testid="thread-panel"]')).toBeNull();
  });
});
