// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';

import type { Message } from '../../chat/types.js';
import type { Attachment } from '../../files/types.js';
import {
  all,
  bubble,
  bubbles,
  clients,
  CONV,
  mount,
  one,
  press,
  type,
} from '../../testing/chat-window.js';
import { conversation, message, Refusal, until } from '../../testing/fake-server.js';
import '../index.js';

afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
  document.body.innerHTML = '';
});

describe('<caas-chat-window>', () => {
  it('shows the history in a log, marks it read and shows Seen from read positions', async () => {
    const { el, server } = await mount([message('c1', 1, 'ann', 'hi bob'), message('c1', 2, 'bob', 'hi ann'), message('c1', 3, 'ann', 'how are you?')]);
    expect(one(el, '[role="log"]').getAttribute('aria-label')).toBe('Messages');
    expect(bubbles(el)).toEqual(['hi bob', 'hi ann', 'how are you?']);
    expect(server.sent('conversation.history')[0]?.data).toEqual({ conversation_id: 'c1', limit: 30 });
    await until(() => server.sent('message.read').length === 1);
    expect(server.sent('message.read')[0]?.data).toEqual({ conversation_id: 'c1', seq: 3 });

    // bob has read up to 2: my newest message (3) is sent, not seen.
    expect(all(el, '[data-testid="receipt"]')).toHaveLength(1);
    expect(bubble(el, 3).querySelector('[data-testid="receipt"]')?.getAttribute('data-state')).toBe('sent');
    server.push('receipt.read', { conversation_id: 'c1', user_id: 'bob', last_read_seq: 3 });
    await until(() => bubble(el, 3).querySelector('[data-testid="receipt"]')?.getAttribute('data-state') === 'seen');
    expect(bubble(el, 3).querySelector('[data-testid="receipt"]')?.textContent?.trim()).toBe('Seen');

    // A new message from bob appears, is marked read, and stops his typing.
    server.push('typing', { conversation_id: 'c1', user_id: 'bob', typing: true, expires_in_ms: 6000 }, false);
    await until(() => one(el, '[data-testid="typing-indicator"]').textContent === 'bob is typing…');
    expect(one(el, '[data-testid="typing-indicator"]').getAttribute('aria-live')).toBe('polite');
    server.push('message.new', { message: message('c1', 4, 'bob', 'fine!') });
    await until(() => bubbles(el).at(-1) === 'fine!');
    expect(one(el, '[data-testid="typing-indicator"]').textContent).toBe('');
    await until(() => server.sent('message.read').length === 2);
    expect(server.sent('message.read')[1]?.data).toEqual({ conversation_id: 'c1', seq: 4 });
    // Events of other conversations are ignored.
    server.push('message.new', { message: message('c2', 9, 'bob', 'elsewhere') });
    server.push('typing', { conversation_id: 'c2', user_id: 'bob', typing: true, expires_in_ms: 6000 }, false);
    await el.updateComplete;
    expect(bubbles(el)).toHaveLength(4);
    expect(one(el, '[data-testid="typing-indicator"]').textContent).toBe('');
  });

  it('expires a typing indicator after expires_in_ms and clears it on stop', async () => {
    const { el, server } = await mount([message('c1', 1, 'bob')]);
    const indicator = (): string => one(el, '[data-testid="typing-indicator"]').textContent ?? '';
    server.push('typing', { conversation_id: 'c1', user_id: 'bob', typing: true, expires_in_ms: 60 }, false);
    await until(() => indicator() === 'bob is typing…');
    await until(() => indicator() === '', 1000);
    server.push('typing', { conversation_id: 'c1', user_id: 'bob', typing: true, expires_in_ms: 6000 }, false);
    await until(() => indicator() === 'bob is typing…');
    server.push('typing', { conversation_id: 'c1', user_id: 'bob', typing: false, expires_in_ms: 6000 }, false);
    await until(() => indicator() === '');
  });

  it('sends on Enter with a client_msg_id, keeps Shift+Enter as a new line, and sends typing start/stop', async () => {
    const { el, server } = await mount([message('c1', 1, 'bob', 'hello')]);
    const ta = type(el, 'h');
    type(el, 'hi');
    type(el, 'hi there');
    await until(() => server.sent('typing.start').length === 1);
    await new Promise((r) => setTimeout(r, 20));
    expect(server.sent('typing.start')).toHaveLength(1); // throttled
    expect(server.sent('typing.start')[0]?.data).toEqual({ conversation_id: 'c1' });

    expect(press(ta, 'Enter', true)).toBe(true); // not handled: the textarea adds the new line
    expect(server.sent('message.send')).toHaveLength(0);
    expect(press(ta, 'Enter')).toBe(false);
    await until(() => bubbles(el).at(-1) === 'hi there');
    const sent = server.sent('message.send')[0]?.data;
    expect(sent).toMatchObject({ conversation_id: 'c1', text: 'hi there' });
    expect(sent?.['client_msg_id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(server.sent('typing.stop')).toHaveLength(1);
    expect(one<HTMLTextAreaElement>(el, '[data-testid="composer"]').value).toBe('');
    expect(all(el, '[data-testid="pending-message"]')).toHaveLength(0);
    // The echo of my own message does not show it twice.
    server.push('message.new', { message: { ...message('c1', 2, 'ann', 'hi there'), client_msg_id: String(sent?.['client_msg_id']) } });
    await el.updateComplete;
    expect(bubbles(el)).toEqual(['hello', 'hi there']);

    // Typing then leaving the composer sends a stop.
    type(el, 'x');
    await until(() => server.sent('typing.start').length === 2);
    one(el, '[data-testid="composer"]').dispatchEvent(new Event('blur'));
    await until(() => server.sent('typing.stop').length === 2);
    // The send button sends too.
    type(el, 'by button');
    await el.updateComplete;
    one(el, 'form').dispatchEvent(new Event('submit', { cancelable: true }));
    await until(() => bubbles(el).at(-1) === 'by button');
  });

  it('retries a failed send with the same client_msg_id', async () => {
    const { el, server, stored } = await mount([message('c1', 1, 'bob')]);
    let fail = true;
    const byKey = new Map<string, Message>();
    server.on('message.send', (data) => {
      if (fail) throw new Refusal('rate_limited', 'slow down');
      const key = String(data['client_msg_id']);
      const m = byKey.get(key) ?? message('c1', stored.length + 1, 'ann', String(data['text']), { client_msg_id: key });
      byKey.set(key, m);
      return { message: m };
    });
    press(type(el, 'important'), 'Enter');
    await until(() => el.shadowRoot!.querySelector('[data-testid="retry-button"]') !== null);
    expect(one(el, '[data-testid="pending-message"]').textContent).toContain('slow down');
    fail = false;
    one(el, '[data-testid="retry-button"]').click();
    await until(() => bubbles(el).at(-1) === 'important');
    const keys = server.sent('message.send').map((r) => r.data['client_msg_id']);
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    expect(all(el, '[data-testid="pending-message"]')).toHaveLength(0);
  });

  it('toggles reactions and follows reaction events', async () => {
    const { el, server } = await mount([message('c1', 1, 'bob', 'react to me')]);
    let counts: Record<string, number> = {};
    let mine: string[] = [];
    server
      .on('reaction.add', (data) => {
        const k = String(data['kind']);
        counts = { ...counts, [k]: (counts[k] ?? 0) + 1 };
        mine = [...mine, k];
        return { message: message('c1', 1, 'bob', 'react to me', { reactions: { counts, mine } }) };
      })
      .on('reaction.remove', (data) => {
        const k = String(data['kind']);
        counts = { ...counts, [k]: (counts[k] ?? 1) - 1 };
        mine = mine.filter((x) => x !== k);
        return { message: message('c1', 1, 'bob', 'react to me', { reactions: { counts, mine } }) };
      });
    const thumbs = (): HTMLElement => bubble(el, 1).querySelector<HTMLElement>('[data-testid="reaction"][data-kind="👍"]')!;
    expect(thumbs().getAttribute('aria-pressed')).toBe('false');
    thumbs().click();
    await until(() => thumbs().getAttribute('aria-pressed') === 'true');
    expect(thumbs().textContent?.trim()).toBe('👍 1');
    expect(server.sent('reaction.add')[0]?.data).toEqual({ message_id: 'c1-m1', kind: '👍' });

    server.push('reaction.added', { conversation_id: 'c1', message_id: 'c1-m1', seq: 1, user_id: 'bob', kind: '👍', counts: { '👍': 2 } });
    await until(() => thumbs().textContent?.trim() === '👍 2');
    expect(thumbs().getAttribute('aria-pressed')).toBe('true');
    counts = { '👍': 2 };
    thumbs().click();
    await until(() => thumbs().getAttribute('aria-pressed') === 'false');
    expect(server.sent('reaction.remove')[0]?.data).toEqual({ message_id: 'c1-m1', kind: '👍' });
    expect(thumbs().textContent?.trim()).toBe('👍 1');
  });

  it('replies with a quote, edits and deletes my messages, and shows tombstones', async () => {
    const { el, server } = await mount([message('c1', 1, 'bob', 'question?'), message('c1', 2, 'ann', 'tpyo')]);
    bubble(el, 1).querySelector<HTMLElement>('[data-testid="reply-button"]')!.click();
    await el.updateComplete;
    expect(one(el, '[data-testid="reply-preview"]').textContent).toContain('question?');
    expect(el.shadowRoot!.activeElement).toBe(one(el, '[data-testid="composer"]'));
    press(type(el, 'answer'), 'Enter');
    await until(() => bubbles(el).at(-1) === 'answer');
    expect(server.sent('message.send')[0]?.data['reply_to']).toBe('c1-m1');
    expect(bubble(el, 3).querySelector('[data-testid="quote"]')?.textContent?.trim()).toBe('bob: question?');
    expect(el.shadowRoot!.querySelector('[data-testid="reply-preview"]')).toBeNull();

    // Only my messages can be edited or deleted.
    expect(bubble(el, 1).querySelector('[data-testid="edit-button"]')).toBeNull();
    server.on('message.edit', (data) => ({ message: message('c1', 2, 'ann', String(data['text']), { edited_at: '2026-11-26T10:10:00Z' }) }));
    bubble(el, 2).querySelector<HTMLElement>('[data-testid="edit-button"]')!.click();
    await el.updateComplete;
    const ta = one<HTMLTextAreaElement>(el, '[data-testid="composer"]');
    expect(ta.value).toBe('tpyo');
    expect(one(el, '[data-testid="send-button"]').textContent?.trim()).toBe('Save');
    press(type(el, 'typo'), 'Enter');
    await until(() => bubbles(el)[1] === 'typo');
    expect(server.sent('message.edit')[0]?.data).toEqual({ message_id: 'c1-m2', text: 'typo' });
    expect(bubble(el, 2).querySelector('[data-testid="edited"]')).not.toBeNull();
    expect(one(el, '[data-testid="send-button"]').textContent?.trim()).toBe('Send');
    expect(server.sent('typing.start')).toHaveLength(1); // the reply only: editing is not typing

    server.on('message.delete', () => ({ message: message('c1', 3, 'ann', '', { deleted_at: '2026-11-26T10:11:00Z', reply_to: 'c1-m1' }) }));
    bubble(el, 3).querySelector<HTMLElement>('[data-testid="delete-button"]')!.click();
    await until(() => bubble(el, 3).querySelector('[data-testid="message"]')?.getAttribute('data-deleted') === 'true');
    expect(bubbles(el)[2]).toBe('This message was deleted');
    expect(bubble(el, 3).querySelector('[data-testid="reaction"]')).toBeNull();

    // Someone else's deletion arrives as an event.
    server.push('message.deleted', { message: message('c1', 1, 'bob', '', { deleted_at: '2026-11-26T10:12:00Z' }), by: 'bob' });
    await until(() => bubbles(el)[0] === 'This message was deleted');
  });

  it('pages history upward when scrolled to the top', async () => {
    const history = Array.from({ length: 5 }, (_, i) => message('c1', i + 1, i % 2 ? 'ann' : 'bob'));
    const { el, server } = await mount(history, 3);
    expect(bubbles(el)).toEqual(['m3', 'm4', 'm5']);
    const log = one(el, '[role="log"]');
    log.scrollTop = 500;
    log.dispatchEvent(new Event('scroll'));
    expect(server.sent('conversation.history')).toHaveLength(1);
    log.scrollTop = 0;
    log.dispatchEvent(new Event('scroll'));
    await until(() => bubbles(el).length === 5);
    expect(server.sent('conversation.history')[1]?.data).toEqual({ conversation_id: 'c1', before_seq: 3, limit: 3 });
    // Two came back for three asked: that was the start.
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('[data-testid="load-older"]')).toBeNull();
  });

  it('starts over when conversation-id changes, keeping each draft', async () => {
    const { el, server } = await mount([message('c1', 1, 'bob')]);
    type(el, 'draft for c1');
    server.on('conversation.get', (data) =>
      data['conversation_id'] === 'c1' ? { conversation: CONV } : { conversation: conversation('c2', 'group', ['cy', 'ann'], { name: 'Other' }) },
    );
    el.conversationId = 'c2';
    await until(() => el.shadowRoot!.querySelector('[data-testid="conversation-title"]')?.textContent === 'Other');
    expect(one<HTMLTextAreaElement>(el, '[data-testid="composer"]').value).toBe('');
    expect(server.sent('typing.stop')).toHaveLength(1);
    el.conversationId = 'c1';
    await until(() => el.shadowRoot!.querySelector('[data-testid="conversation-title"]')?.textContent === 'bob');
    expect(one<HTMLTextAreaElement>(el, '[data-testid="composer"]').value).toBe('draft for c1');
  });

  it('shows attachments of stored messages: thumbnails, other images and download links', async () => {
    const attachments: Attachment[] = [
      { id: 'f-png', name: 'wide.png', content_type: 'image/png', size: 40_000, width: 1000, height: 250 },
      { id: 'f-small', name: 'icon.jpg', content_type: 'image/jpeg', size: 900, width: 32, height: 16 },
      { id: 'f-gif', name: 'party.gif', content_type: 'image/gif', size: 5_000 },
      { id: 'f-zip', name: 'code.zip', content_type: 'application/zip', size: 3 * 1024 * 1024 },
    ];
    const { el } = await mount([
      message('c1', 1, 'bob', 'files', { attachments }),
      message('c1', 2, 'bob', '', { attachments: [], deleted_at: '2026-11-26T10:05:00Z' }),
    ]);
    const shown = [...bubble(el, 1).querySelectorAll<HTMLAnchorElement>('[data-testid="attachment"]')];
    expect(shown.map((a) => [a.getAttribute('data-kind'), a.getAttribute('data-file-id')])).toEqual([
      ['image', 'f-png'],
      ['image', 'f-small'],
      ['image', 'f-gif'],
      ['file', 'f-zip'],
    ]);
    const img = (i: number): HTMLImageElement => shown[i]!.querySelector('img')!;
    expect(img(0).getAttribute('src')).toBe('http://caas.test/v1/files/f-png/thumbnail?token=t');
    expect([img(0).getAttribute('width'), img(0).getAttribute('height')]).toEqual(['240', '60']);
    expect([img(1).getAttribute('width'), img(1).getAttribute('height')]).toEqual(['32', '16']); // never enlarged
    expect(img(2).getAttribute('src')).toBe('http://caas.test/v1/files/f-gif?token=t'); // no thumbnail: the file
    expect(img(2).hasAttribute('width')).toBe(false);
    expect(shown[3]!.textContent).toContain('code.zip');
    expect(shown[3]!.textContent).toContain('3 MB');
    expect(shown[3]!.getAttribute('aria-label')).toBe('Download code.zip, 3 MB');
    expect(shown[3]!.getAttribute('rel')).toContain('noreferrer');
    expect(bubble(el, 2).querySelector('[data-testid="attachment"]')).toBeNull();
  });
});
