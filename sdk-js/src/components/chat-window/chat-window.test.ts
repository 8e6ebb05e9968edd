// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';

import type { CaasClient } from '../client.js';
import { FakeServer, Refusal, conversation, message, until, user } from '../testing/fake-server.js';
import { FakeXhrServer, fileMeta, type FakeXhr } from '../testing/fake-xhr.js';
import type { Attachment, FileMeta, Message } from '../types.js';
import './index.js';
import type { CaasChatWindow } from './index.js';

const clients: CaasClient[] = [];

afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
  document.body.innerHTML = '';
});

function all(el: CaasChatWindow, selector: string): HTMLElement[] {
  return [...el.shadowRoot!.querySelectorAll<HTMLElement>(selector)];
}

function one<T extends HTMLElement = HTMLElement>(el: CaasChatWindow, selector: string): T {
  const found = el.shadowRoot!.querySelector<T>(selector);
  if (!found) throw new Error(`no ${selector}`);
  return found;
}

function bubbles(el: CaasChatWindow): string[] {
  return all(el, '[data-testid="message"]').map((m) => m.querySelector('[data-testid="message-text"]')!.textContent!.trim());
}

/** The texts of the main list's messages (thread replies are not among them). */
function mainBubbles(el: CaasChatWindow): string[] {
  return all(el, '[data-testid="message-list"] [data-testid="message-text"]').map((t) => t.textContent!.trim());
}

/** The texts of the replies in the open thread panel (its root aside). */
function threadTexts(el: CaasChatWindow): string[] {
  return all(el, '[data-testid="thread-replies"] > [data-testid="message-row"] [data-testid="message-text"]').map((t) => t.textContent!.trim());
}

function bubble(el: CaasChatWindow, seq: number): HTMLElement {
  return one(el, `[data-testid="message"][data-seq="${seq}"]`).parentElement!;
}

const CONV = conversation('c1', 'direct', ['ann', 'bob'], { lastSeq: 3, lastRead: { ann: 1, bob: 2 } });

interface Mounted {
  el: CaasChatWindow;
  server: FakeServer;
  stored: Message[];
  /** Uploads go here. */
  xhrs: FakeXhrServer;
  /** Files uploaded (answered through {@link answer}), which `message.send` attaches by id. */
  files: Map<string, FileMeta>;
}

/** A window on c1 as ann, with `history` stored on the server (newest last). */
async function mount(history: Message[], pageSize = 30): Promise<Mounted> {
  // The main list leaves thread replies out.
  const expected = history.slice(-pageSize).filter((m) => m.parent_id === undefined).length;
  const server = new FakeServer(user('ann'));
  const stored = [...history];
  const files = new Map<string, FileMeta>();
  const xhrs = new FakeXhrServer();
  server
    .on('conversation.get', () => ({ conversation: CONV }))
    .on('conversation.history', (data) => {
      const before = typeof data['before_seq'] === 'number' ? data['before_seq'] : Infinity;
      const limit = Number(data['limit'] ?? 50);
      // With parent_id: that thread's replies only; without: everything, replies included.
      const parent = data['parent_id'];
      const page = stored.filter((m) => m.seq < before && (parent === undefined || m.parent_id === parent));
      return { messages: page.slice(-limit) };
    })
    .on('message.read', (data) => ({ conversation_id: 'c1', last_read_seq: data['seq'] }))
    .on('typing.start', () => ({}))
    .on('typing.stop', () => ({}))
    .on('message.send', (data) => {
      const seq = (stored.at(-1)?.seq ?? 0) + 1;
      const ids = Array.isArray(data['attachments']) ? (data['attachments'] as string[]) : [];
      const attachments: Attachment[] = ids.map((id) => {
        const f = files.get(id);
        if (!f) throw new Refusal('not_found', `no file ${id}`);
        return { id, name: f.name, content_type: f.content_type, size: f.size, ...(f.width === null ? {} : { width: f.width }), ...(f.height === null ? {} : { height: f.height }) };
      });
      const parent = typeof data['parent_id'] === 'string' ? data['parent_id'] : undefined;
      const m = message('c1', seq, 'ann', String(data['text']), {
        client_msg_id: String(data['client_msg_id']),
        ...(typeof data['reply_to'] === 'string' ? { reply_to: data['reply_to'] } : {}),
        ...(parent === undefined ? {} : { parent_id: parent }),
        attachments,
      });
      if (parent !== undefined) {
        const i = stored.findIndex((r) => r.id === parent);
        if (i < 0) throw new Refusal('invalid_reference', 'no such root');
        stored[i] = { ...stored[i]!, reply_count: stored[i]!.reply_count + 1 };
      }
      stored.push(m);
      return { message: m };
    });
  const client = await server.client({ XMLHttpRequest: xhrs.XMLHttpRequest });
  clients.push(client);
  const el = document.createElement('caas-chat-window');
  el.client = client;
  el.pageSize = pageSize;
  el.setAttribute('conversation-id', 'c1');
  document.body.append(el);
  await until(() => all(el, '[data-testid="message"]').length === expected && el.shadowRoot!.querySelector('[data-testid="conversation-title"]')?.textContent === 'bob');
  return { el, server, stored, xhrs, files };
}

/** Answers an upload with `meta`, which `message.send` can then attach. */
function answer(m: Mounted, xhr: FakeXhr, meta: FileMeta): void {
  m.files.set(meta.id, meta);
  xhr.respond(200, { file: meta });
}

/** Chooses `files` in the composer's file picker. */
function choose(el: CaasChatWindow, files: File[]): void {
  const input = one<HTMLInputElement>(el, '[data-testid="attach-input"]');
  Object.defineProperty(input, 'files', { value: files, configurable: true });
  input.dispatchEvent(new Event('change'));
}

function uploads(el: CaasChatWindow): HTMLElement[] {
  return all(el, '[data-testid="upload"]');
}

/** A drag event carrying `files` (happy-dom has no DataTransfer to fill). */
function dragEvent(type: string, files: File[], types: string[] = ['Files']): Event {
  const e = new Event(type, { bubbles: true, composed: true, cancelable: true });
  Object.defineProperty(e, 'dataTransfer', { value: { types, files, dropEffect: 'none' } });
  return e;
}

function png(name = 'cat.png', size = 2000): File {
  return new File([new Uint8Array(size)], name, { type: 'image/png' });
}

function type(el: CaasChatWindow, text: string): HTMLTextAreaElement {
  const ta = one<HTMLTextAreaElement>(el, '[data-testid="composer"]');
  ta.value = text;
  ta.dispatchEvent(new Event('input'));
  return ta;
}

function press(target: HTMLElement, key: string, shiftKey = false): boolean {
  return target.dispatchEvent(new KeyboardEvent('keydown', { key, shiftKey, bubbles: true, cancelable: true }));
}

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

  it('uploads chosen files with a progress bar, then sends them as attachments', async () => {
    const m = await mount([message('c1', 1, 'bob', 'send me the photo')]);
    const { el, server, xhrs } = m;
    const input = one<HTMLInputElement>(el, '[data-testid="attach-input"]');
    let picked = 0;
    input.addEventListener('click', (e) => {
      picked++;
      e.preventDefault();
    });
    const attach = one<HTMLButtonElement>(el, '[data-testid="attach-button"]');
    expect(attach.tagName).toBe('BUTTON'); // reachable with Tab, pressed with Enter or Space
    expect(attach.getAttribute('aria-label')).toBe('Attach files');
    attach.click();
    expect(picked).toBe(1);

    choose(el, [png('cat.png', 2000)]);
    await until(() => xhrs.requests.length === 1);
    const xhr = xhrs.last();
    expect(xhr.url).toBe('http://caas.test/v1/files?name=cat.png');
    expect(xhr.headers['Authorization']).toBe('Bearer t');
    await el.updateComplete;
    const bar = (): HTMLProgressElement => one<HTMLProgressElement>(el, '[data-testid="upload-progress"]');
    expect(uploads(el)).toHaveLength(1);
    expect(uploads(el)[0]?.getAttribute('data-state')).toBe('uploading');
    expect(bar().getAttribute('max')).toBe('2000');
    expect(bar().getAttribute('aria-label')).toBe('Upload of cat.png');
    expect(one<HTMLButtonElement>(el, '[data-testid="send-button"]').disabled).toBe(true);

    xhr.progress(500);
    await until(() => bar().value === 500);
    expect(uploads(el)[0]?.textContent).toContain('25%');
    // Nothing is sent while a file is still uploading, even with text.
    press(type(el, 'look'), 'Enter');
    await el.updateComplete;
    expect(one<HTMLButtonElement>(el, '[data-testid="send-button"]').disabled).toBe(true);
    expect(server.sent('message.send')).toHaveLength(0);
    type(el, '');
    xhr.progress(2000);
    answer(m, xhr, fileMeta('f-1', 'cat.png', 2000, { content_type: 'image/png', width: 800, height: 400, has_thumbnail: true }));
    await until(() => uploads(el)[0]?.getAttribute('data-state') === 'done');
    expect(bar().value).toBe(2000);
    expect(uploads(el)[0]?.getAttribute('data-file-id')).toBe('f-1');
    expect(one<HTMLButtonElement>(el, '[data-testid="send-button"]').disabled).toBe(false);

    // Enter sends without text; the files go as attachments.
    press(one(el, '[data-testid="composer"]'), 'Enter');
    await until(() => server.sent('message.send').length === 1);
    expect(server.sent('message.send')[0]?.data).toMatchObject({ conversation_id: 'c1', text: '', attachments: ['f-1'] });
    await until(() => all(el, '[data-testid="message"]').length === 2);
    expect(uploads(el)).toHaveLength(0);
    const shown = bubble(el, 2).querySelector<HTMLAnchorElement>('[data-testid="attachment"]')!;
    expect(shown.getAttribute('data-kind')).toBe('image');
    expect(shown.getAttribute('href')).toBe('http://caas.test/v1/files/f-1?token=t');
    const img = shown.querySelector('img')!;
    expect(img.getAttribute('src')).toBe('http://caas.test/v1/files/f-1/thumbnail?token=t');
    expect([img.getAttribute('width'), img.getAttribute('height')]).toEqual(['240', '120']);
    expect(img.getAttribute('alt')).toBe('cat.png');
  });

  it('sends text and files together, and keeps them on a failed send for Retry', async () => {
    const m = await mount([message('c1', 1, 'bob')]);
    const { el, server, xhrs } = m;
    let fail = true;
    const handler = server.handlers.get('message.send')!;
    server.on('message.send', (data, request) => {
      if (fail) throw new Refusal('rate_limited', 'slow down');
      return handler(data, request);
    });
    choose(el, [new File(['%PDF-1.7'], 'report.pdf', { type: 'application/pdf' })]);
    await until(() => xhrs.requests.length === 1);
    answer(m, xhrs.last(), fileMeta('f-9', 'report.pdf', 2500, { content_type: 'application/pdf' }));
    await until(() => uploads(el)[0]?.getAttribute('data-state') === 'done');
    press(type(el, 'the report'), 'Enter');
    await until(() => el.shadowRoot!.querySelector('[data-testid="retry-button"]') !== null);
    // The pending message shows its file.
    const pendingFile = one(el, '[data-testid="pending-message"] [data-testid="attachment"]');
    expect(pendingFile.textContent).toContain('report.pdf');
    fail = false;
    one(el, '[data-testid="retry-button"]').click();
    await until(() => bubbles(el).at(-1) === 'the report');
    const sends = server.sent('message.send');
    expect(sends.map((r) => r.data['attachments'])).toEqual([['f-9'], ['f-9']]);
    expect(sends[1]?.data['client_msg_id']).toBe(sends[0]?.data['client_msg_id']);
    const link = bubble(el, 2).querySelector<HTMLAnchorElement>('[data-testid="attachment"]')!;
    expect(link.getAttribute('data-kind')).toBe('file');
    expect(link.getAttribute('href')).toBe('http://caas.test/v1/files/f-9?token=t');
    expect(link.textContent).toContain('report.pdf');
    expect(link.textContent).toContain('2.4 KB');
  });

  it('cancels an upload in flight, and removes an uploaded file', async () => {
    const m = await mount([message('c1', 1, 'bob')]);
    const { el, server, xhrs } = m;
    const errors: unknown[] = [];
    el.addEventListener('caas-error', (e) => errors.push((e as CustomEvent).detail));
    choose(el, [png('a.png'), png('b.png')]);
    await until(() => xhrs.requests.length === 2 && uploads(el).length === 2);
    const [first, second] = xhrs.requests;
    const cancel = uploads(el)[0]!.querySelector<HTMLButtonElement>('[data-testid="upload-cancel"]')!;
    expect(cancel.textContent?.trim()).toBe('Cancel');
    expect(cancel.getAttribute('aria-label')).toBe('Cancel uploading a.png');
    cancel.click();
    await until(() => uploads(el).length === 1);
    expect(first!.aborted).toBe(true);
    answer(m, second!, fileMeta('f-b', 'b.png', 2000));
    await until(() => uploads(el)[0]?.getAttribute('data-state') === 'done');
    const remove = uploads(el)[0]!.querySelector<HTMLButtonElement>('[data-testid="upload-cancel"]')!;
    expect(remove.textContent?.trim()).toBe('Remove');
    remove.click();
    await until(() => uploads(el).length === 0);
    expect(one<HTMLButtonElement>(el, '[data-testid="send-button"]').disabled).toBe(true);
    expect(errors).toEqual([]);
    expect(server.sent('message.send')).toHaveLength(0);
  });

  it('shows a failed upload with Retry, and reports it', async () => {
    const m = await mount([message('c1', 1, 'bob')]);
    const { el, xhrs } = m;
    const errors: Array<{ action: string; error: unknown }> = [];
    el.addEventListener('caas-error', (e) => errors.push((e as CustomEvent<{ action: string; error: unknown }>).detail));
    choose(el, [png('huge.png', 5000)]);
    await until(() => xhrs.requests.length === 1);
    xhrs.last().respond(413, { error: { code: 'payload_too_large', message: 'files are limited to 4096 bytes' } });
    await until(() => uploads(el)[0]?.getAttribute('data-state') === 'error');
    expect(uploads(el)[0]?.textContent).toContain('files are limited to 4096 bytes');
    expect(errors[0]?.action).toBe('file.upload');
    expect(errors[0]?.error).toMatchObject({ code: 'payload_too_large', status: 413 });
    expect(one<HTMLButtonElement>(el, '[data-testid="send-button"]').disabled).toBe(true);
    one(el, '[data-testid="upload-retry"]').click();
    await until(() => xhrs.requests.length === 2);
    await until(() => uploads(el)[0]?.getAttribute('data-state') === 'uploading');
    answer(m, xhrs.last(), fileMeta('f-h', 'huge.png', 5000));
    await until(() => uploads(el)[0]?.getAttribute('data-state') === 'done');
  });

  it('uploads files dropped on the window and images pasted into the composer', async () => {
    const { el, xhrs } = await mount([message('c1', 1, 'bob')]);
    const log = one(el, '[role="log"]');
    // A drag of text is not ours.
    expect(log.dispatchEvent(dragEvent('dragover', [], ['text/plain']))).toBe(true);
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('[data-testid="drop-zone"]')).toBeNull();
    // A drag of files shows the drop zone; leaving it hides it.
    expect(log.dispatchEvent(dragEvent('dragenter', [png()]))).toBe(false);
    await el.updateComplete;
    const zone = one(el, '[data-testid="drop-zone"]');
    zone.dispatchEvent(dragEvent('dragleave', [png()]));
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('[data-testid="drop-zone"]')).toBeNull();
    // Dropping uploads.
    log.dispatchEvent(dragEvent('dragover', [png()]));
    await el.updateComplete;
    expect(one(el, '[data-testid="drop-zone"]').dispatchEvent(dragEvent('drop', [png('dropped.png')]))).toBe(false);
    await until(() => xhrs.requests.length === 1);
    expect(xhrs.last().query.get('name')).toBe('dropped.png');
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('[data-testid="drop-zone"]')).toBeNull();

    // Pasting: only images are taken; a paste without files is left to the textarea.
    const ta = one(el, '[data-testid="composer"]');
    const paste = (files: File[]): boolean => {
      const e = new Event('paste', { bubbles: true, composed: true, cancelable: true });
      Object.defineProperty(e, 'clipboardData', { value: { files } });
      return ta.dispatchEvent(e);
    };
    expect(paste([])).toBe(true);
    expect(paste([png('image.png'), new File(['x'], 'notes.txt', { type: 'text/plain' })])).toBe(false);
    await until(() => xhrs.requests.length === 2);
    expect(xhrs.last().query.get('name')).toBe('image.png');
    await until(() => uploads(el).length === 2);
  });

  it('takes at most 10 files per message', async () => {
    const { el, xhrs } = await mount([message('c1', 1, 'bob')]);
    choose(el, Array.from({ length: 11 }, (_, i) => png(`p${i}.png`, 10)));
    await until(() => uploads(el).length === 10);
    expect(xhrs.requests).toHaveLength(10);
    expect(one(el, '[data-testid="error"]').textContent).toContain('At most 10 files');
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

  it('cancels uploads when another conversation opens', async () => {
    const { el, server, xhrs } = await mount([message('c1', 1, 'bob')]);
    choose(el, [png()]);
    await until(() => xhrs.requests.length === 1);
    server.on('conversation.get', () => ({ conversation: conversation('c2', 'group', ['cy', 'ann'], { name: 'Other' }) }));
    el.conversationId = 'c2';
    await until(() => el.shadowRoot!.querySelector('[data-testid="conversation-title"]')?.textContent === 'Other');
    expect(xhrs.last().aborted).toBe(true);
    expect(uploads(el)).toHaveLength(0);
  });
});
