/**
 * Test support (not part of the package): a stand-in for the CAAS server on
 * the other side of a WebSocket double, so that a real {@link CaasClient}
 * can drive the components in tests.
 */

import { CaasClient, type CaasClientOptions } from '../client/client.js';
import type { WebSocketConstructor, WebSocketLike } from '../core/transport.js';
import type { Conversation, InboxEntry, Message } from '../chat/types.js';
import type { User } from '../core/wire.js';

/** One request the client sent. */
export interface Request {
  /** Its id. */
  id: number;
  /** Its op. */
  op: string;
  /** Its data. */
  data: Record<string, unknown>;
}

/** Thrown by an op handler: the server refuses with this code. */
export class Refusal extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Answers an op: returns the reply data (or a promise of it), or throws a {@link Refusal}. */
export type OpHandler = (data: Record<string, unknown>, request: Request) => unknown;

/** A server double: answers ops with handlers, records requests, pushes events. */
export class FakeServer {
  readonly requests: Request[] = [];
  readonly handlers = new Map<string, OpHandler>();
  private socket: { deliver(frame: object): void } | undefined;
  private cursor = 100;

  constructor(readonly user: User) {}

  /** Answers `op` with `handler`. */
  on(op: string, handler: OpHandler): this {
    this.handlers.set(op, handler);
    return this;
  }

  /** The requests of `op`, oldest first. */
  sent(op: string): Request[] {
    return this.requests.filter((r) => r.op === op);
  }

  /** Pushes an event (persistent ones get the next cursor). */
  push(event: string, data: object, persistent = true): void {
    if (!this.socket) throw new Error('no connection');
    this.socket.deliver(persistent ? { event, data, cursor: String(++this.cursor) } : { event, data });
  }

  /** A WebSocket class whose instances talk to this server. */
  get WebSocket(): WebSocketConstructor {
    const server = this;
    return class implements WebSocketLike {
      readyState = 0;
      onopen: ((event: never) => void) | null = null;
      onmessage: ((event: never) => void) | null = null;
      onerror: ((event: never) => void) | null = null;
      onclose: ((event: never) => void) | null = null;

      constructor(readonly url: string) {
        server.socket = { deliver: (frame) => this.fire('onmessage', { data: JSON.stringify(frame) }) };
        setTimeout(() => {
          this.readyState = 1;
          this.fire('onopen', {});
          this.fire('onmessage', {
            data: JSON.stringify({ event: 'session.ready', data: { user: server.user, cursor: String(server.cursor) } }),
          });
        }, 0);
      }

      send(text: string): void {
        const request = JSON.parse(text) as Request;
        server.requests.push(request);
        const handler = server.handlers.get(request.op);
        const reply = (frame: object): void => {
          setTimeout(() => this.fire('onmessage', { data: JSON.stringify(frame) }), 0);
        };
        if (!handler) {
          reply({ id: request.id, ok: false, error: { code: 'unknown_op', message: `unknown op ${request.op}` } });
          return;
        }
        Promise.resolve()
          .then(() => handler(request.data, request))
          .then(
            (data) => reply({ id: request.id, ok: true, data: data ?? {} }),
            (error: unknown) =>
              reply({
                id: request.id,
                ok: false,
                error:
                  error instanceof Refusal
                    ? { code: error.code, message: error.message }
                    : { code: 'internal', message: String(error) },
              }),
          );
      }

      close(code = 1000, reason = ''): void {
        this.readyState = 3;
        setTimeout(() => this.fire('onclose', { code, reason }), 0);
      }

      private fire(slot: 'onopen' | 'onmessage' | 'onerror' | 'onclose', event: object): void {
        (this[slot] as ((event: object) => void) | null)?.(event);
      }
    };
  }

  /** A client of this server, connected; `options` override the defaults (e.g. `XMLHttpRequest` for uploads). */
  async client(options: Partial<CaasClientOptions> = {}): Promise<CaasClient> {
    const client = new CaasClient({
      url: 'http://caas.test',
      token: 't',
      WebSocket: this.WebSocket,
      fetch: () => Promise.reject(new Error('no REST in this test')),
      onListenerError: (error) => {
        throw error;
      },
      XMLHttpRequest: null,
      ...options,
    });
    await client.connect();
    return client;
  }
}

/** A user. */
export function user(id: string): User {
  return { id, name: id, avatar_url: null, metadata: {}, created_at: '2026-11-26T10:00:00Z', updated_at: '2026-11-26T10:00:00Z' };
}

/** A conversation of `members` (the first is the creator); `lastRead` gives read positions. */
export function conversation(
  id: string,
  kind: 'direct' | 'group',
  members: string[],
  options: { name?: string; lastSeq?: number; lastRead?: Record<string, number>; at?: string } = {},
): Conversation {
  const at = options.at ?? '2026-11-26T10:00:00.000Z';
  return {
    id,
    kind,
    name: options.name ?? null,
    avatar_url: null,
    description: null,
    custom: {},
    created_by: members[0] ?? '',
    created_at: at,
    updated_at: at,
    last_seq: options.lastSeq ?? 0,
    last_message_at: (options.lastSeq ?? 0) > 0 ? at : null,
    members: members.map((m, i) => ({
      user_id: m,
      role: i === 0 && kind === 'group' ? 'owner' : 'member',
      joined_at: at,
      last_read_seq: options.lastRead?.[m] ?? 0,
    })),
  };
}

/** A chat-list row for `conv`. */
export function entry(conv: Conversation, me: string, extra: Partial<InboxEntry> = {}): InboxEntry {
  const lastRead = conv.members.find((m) => m.user_id === me)?.last_read_seq ?? 0;
  return {
    conversation: conv,
    member_count: conv.members.length,
    unread_count: Math.max(0, conv.last_seq - lastRead),
    last_read_seq: lastRead,
    last_message:
      conv.last_seq > 0
        ? { id: `${conv.id}-m${conv.last_seq}`, seq: conv.last_seq, sender_id: conv.members[1]?.user_id ?? me, text: `last of ${conv.id}`, created_at: conv.last_message_at ?? conv.created_at, deleted_at: null, attachments: [] }
        : null,
    muted_until: null,
    archived: false,
    pinned: false,
    ...extra,
  };
}

/** A message. */
export function message(conversationId: string, seq: number, sender: string, text = `m${seq}`, extra: Partial<Message> = {}): Message {
  return {
    id: `${conversationId}-m${seq}`,
    conversation_id: conversationId,
    seq,
    sender_id: sender,
    text,
    reply_count: 0,
    mentions: [],
    created_at: new Date(Date.UTC(2026, 10, 26, 10, 0, seq)).toISOString(),
    edited_at: null,
    deleted_at: null,
    pinned_at: null,
    reactions: { counts: {}, mine: [] },
    attachments: [],
    ...extra,
  };
}

/** Waits until `cond` holds (polling), or fails after `timeoutMs`. */
export async function until(cond: () => boolean, timeoutMs = 2000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
