/**
 * Test support (not part of the package): a `<caas-chat-window>` mounted on a
 * conversation of a {@link FakeServer}, and helpers to read its messages, type
 * in its composer and choose or drop files, for the chat window's tests.
 */

import type { Message } from '../chat/types.js';
import type { CaasClient } from '../client/client.js';
import type { CaasChatWindow } from '../components/index.js';
import type { Attachment, FileMeta } from '../files/types.js';
import { conversation, FakeServer, message, Refusal, until, user } from './fake-server.js';
import { type FakeXhr, FakeXhrServer } from './fake-xhr.js';
import '../components/index.js';

export const clients: CaasClient[] = [];

export function all(el: CaasChatWindow, selector: string): HTMLElement[] {
  return [...el.shadowRoot!.querySelectorAll<HTMLElement>(selector)];
}

export function one<T extends HTMLElement = HTMLElement>(el: CaasChatWindow, selector: string): T {
  const found = el.shadowRoot!.querySelector<T>(selector);
  if (!found) throw new Error(`no ${selector}`);
  return found;
}

export function bubbles(el: CaasChatWindow): string[] {
  return all(el, '[data-testid="message"]').map((m) => m.querySelector('[data-testid="message-text"]')!.textContent!.trim());
}

/** The texts of the main list's messages (thread replies are not among them). */
export function mainBubbles(el: CaasChatWindow): string[] {
  return all(el, '[data-testid="message-list"] [data-testid="message-text"]').map((t) => t.textContent!.trim());
}

/** The texts of the replies in the open thread panel (its root aside). */
export function threadTexts(el: CaasChatWindow): string[] {
  return all(el, '[data-testid="thread-replies"] > [data-testid="message-row"] [data-testid="message-text"]').map((t) => t.textContent!.trim());
}

export function bubble(el: CaasChatWindow, seq: number): HTMLElement {
  return one(el, `[data-testid="message"][data-seq="${seq}"]`).parentElement!;
}

export const CONV = conversation('c1', 'direct', ['ann', 'bob'], { lastSeq: 3, lastRead: { ann: 1, bob: 2 } });

export interface Mounted {
  el: CaasChatWindow;
  server: FakeServer;
  stored: Message[];
  /** Uploads go here. */
  xhrs: FakeXhrServer;
  /** Files uploaded (answered through {@link answer}), which `message.send` attaches by id. */
  files: Map<string, FileMeta>;
}

/** A window on c1 as ann, with `history` stored on the server (newest last). */
export async function mount(history: Message[], pageSize = 30): Promise<Mounted> {
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
export function answer(m: Mounted, xhr: FakeXhr, meta: FileMeta): void {
  m.files.set(meta.id, meta);
  xhr.respond(200, { file: meta });
}

/** Chooses `files` in the composer's file picker. */
export function choose(el: CaasChatWindow, files: File[]): void {
  const input = one<HTMLInputElement>(el, '[data-testid="attach-input"]');
  Object.defineProperty(input, 'files', { value: files, configurable: true });
  input.dispatchEvent(new Event('change'));
}

export function uploads(el: CaasChatWindow): HTMLElement[] {
  return all(el, '[data-testid="upload"]');
}

/** A drag event carrying `files` (happy-dom has no DataTransfer to fill). */
export function dragEvent(type: string, files: File[], types: string[] = ['Files']): Event {
  const e = new Event(type, { bubbles: true, composed: true, cancelable: true });
  Object.defineProperty(e, 'dataTransfer', { value: { types, files, dropEffect: 'none' } });
  return e;
}

export function png(name = 'cat.png', size = 2000): File {
  return new File([new Uint8Array(size)], name, { type: 'image/png' });
}

export function type(el: CaasChatWindow, text: string): HTMLTextAreaElement {
  const ta = one<HTMLTextAreaElement>(el, '[data-testid="composer"]');
  ta.value = text;
  ta.dispatchEvent(new Event('input'));
  return ta;
}

export function press(target: HTMLElement, key: string, shiftKey = false): boolean {
  return target.dispatchEvent(new KeyboardEvent('keydown', { key, shiftKey, bubbles: true, cancelable: true }));
}
