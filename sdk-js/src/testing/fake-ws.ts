/**
 * Test support (not part of the package): a WebSocket double that the test
 * drives from the server's side, a scripted fetch, and a {@link CaasClient}
 * wired to them, for the client's own tests (connection, requests, events,
 * reconnection, tokens, the chat ops on the wire).
 */

import type { Message } from '../chat/types.js';
import { CaasClient, type CaasClientOptions } from '../client/client.js';
import type { FetchInit, FetchLike, WebSocketLike } from '../core/transport.js';
import type { User } from '../core/wire.js';

export const USER: User = {
  id: 'ann',
  name: 'Ann',
  avatar_url: null,
  metadata: {},
  created_at: '2026-11-26T10:00:00.000Z',
  updated_at: '2026-11-26T10:00:00.000Z',
};

export function message(seq: number, clientMsgId?: string): Message {
  return {
    id: `m-${seq}`,
    conversation_id: 'c-1',
    seq,
    sender_id: 'ann',
    ...(clientMsgId === undefined ? {} : { client_msg_id: clientMsgId }),
    text: `hello ${seq}`,
    reply_count: 0,
    mentions: [],
    created_at: '2026-11-26T10:00:01.000Z',
    edited_at: null,
    deleted_at: null,
    pinned_at: null,
    reactions: { counts: {}, mine: [] },
    attachments: [],
  };
}

export interface SentRequest {
  id: number;
  op: string;
  data: Record<string, unknown>;
}

/** A WebSocket double driven by the test: it plays the server's side. */
export class FakeWebSocket implements WebSocketLike {
  static instances: FakeWebSocket[] = [];

  readyState = 0;
  readonly sent: string[] = [];
  closedWith: { code: number; reason: string } | undefined;
  onopen: ((event: never) => void) | null = null;
  onmessage: ((event: never) => void) | null = null;
  onerror: ((event: never) => void) | null = null;
  onclose: ((event: never) => void) | null = null;

  constructor(readonly url: string) {
    FakeWebSocket.instances.push(this);
  }

  static last(): FakeWebSocket {
    const ws = FakeWebSocket.instances.at(-1);
    if (!ws) throw new Error('no socket was opened');
    return ws;
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('socket is not open');
    this.sent.push(data);
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.closedWith = { code, reason };
    queueMicrotask(() => this.fire('onclose', { code, reason }));
  }

  /** Query parameters of the URL the client opened. */
  get query(): URLSearchParams {
    return new URL(this.url).searchParams;
  }

  /** The requests the client sent, parsed. */
  get requests(): SentRequest[] {
    return this.sent.map((s) => JSON.parse(s) as SentRequest);
  }

  lastRequest(): SentRequest {
    const r = this.requests.at(-1);
    if (!r) throw new Error('no request was sent');
    return r;
  }

  /** Completes the upgrade and sends `session.ready`. */
  accept(cursor = '10', user: User = USER): void {
    this.readyState = 1;
    this.fire('onopen', {});
    this.push({ event: 'session.ready', data: { user, cursor } });
  }

  push(frame: object): void {
    this.fire('onmessage', { data: JSON.stringify(frame) });
  }

  reply(id: number, data: unknown): void {
    this.push({ id, ok: true, data });
  }

  replyError(id: number, code: string, message: string): void {
    this.push({ id, ok: false, error: { code, message } });
  }

  /** The server closes the connection. */
  serverClose(code: number, reason = ''): void {
    this.readyState = 3;
    this.fire('onclose', { code, reason });
  }

  /** The upgrade fails; `message` is what the `ws` package reports (browsers report nothing). */
  refuse(message?: string): void {
    this.readyState = 3;
    this.fire('onerror', message === undefined ? {} : { message });
    this.fire('onclose', { code: 1006, reason: '' });
  }

  private fire(slot: 'onopen' | 'onmessage' | 'onerror' | 'onclose', event: object): void {
    const handler = this[slot] as ((event: object) => void) | null;
    handler?.(event);
  }
}

/** Lets pending promise callbacks run. */
export async function flush(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

export interface FetchCall {
  url: string;
  init: FetchInit;
}

export function fakeFetch(respond: (url: string, init: FetchInit) => { status: number; body?: unknown }): {
  fetch: FetchLike;
  calls: FetchCall[];
} {
  const calls: FetchCall[] = [];
  const fetch: FetchLike = async (url, init) => {
    calls.push({ url, init });
    const { status, body } = respond(url, init);
    const text = body === undefined ? '' : JSON.stringify(body);
    return { status, text: async () => text };
  };
  return { fetch, calls };
}

export const noFetch: FetchLike = () => Promise.reject(new Error('no network in this test'));

export function makeClient(options: Partial<CaasClientOptions> = {}): CaasClient {
  return new CaasClient({
    url: 'http://127.0.0.1:8080',
    token: 'tok-1',
    WebSocket: FakeWebSocket,
    fetch: noFetch,
    random: () => 0.5,
    onListenerError: (error) => {
      throw error;
    },
    ...options,
  });
}

export async function connected(options: Partial<CaasClientOptions> = {}, cursor = '10'): Promise<{ client: CaasClient; ws: FakeWebSocket }> {
  const client = makeClient(options);
  const ready = client.connect();
  await flush();
  const ws = FakeWebSocket.last();
  ws.accept(cursor);
  await ready;
  return { client, ws };
}
