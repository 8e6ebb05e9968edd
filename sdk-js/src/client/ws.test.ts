/**
 * The client against a real socket: the `ws` package's WebSocket talking to a
 * small in-test server on 127.0.0.1 that speaks the CAAS envelope (token check
 * before the upgrade, session.ready, ops, pushes with cursors, replay after a
 * cursor, close code 4008).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';

import { CaasClient } from './client.js';
import { AuthError } from '../core/errors.js';
import { ClientEvent } from './events.js';
import type { WebSocketLike } from '../core/transport.js';
import type { Message } from '../chat/types.js';

interface LoggedEvent {
  cursor: number;
  frame: string;
}

class MiniServer {
  readonly valid = new Set<string>();
  readonly log: LoggedEvent[] = [];
  readonly sockets = new Set<WebSocket>();
  readonly upgrades: URL[] = [];
  private readonly byClientMsgId = new Map<string, Message>();
  private seq = 0;
  private http: Server | undefined;
  private readonly wss = new WebSocketServer({ noServer: true });

  url = '';

  async start(): Promise<void> {
    this.http = createServer((req, res) => {
      const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      if (req.url === '/v1/me' && this.valid.has(token)) {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ id: 'ann' }));
        return;
      }
      res
        .writeHead(401, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ error: { code: 'invalid_token', message: 'refused' } }));
    });
    this.http.on('upgrade', (req: IncomingMessage, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      this.upgrades.push(url);
      if (!this.valid.has(url.searchParams.get('token') ?? '')) {
        const body = JSON.stringify({ error: { code: 'invalid_token', message: 'refused' } });
        socket.end(
          `HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
        );
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.session(ws, url.searchParams.get('cursor')));
    });
    await new Promise<void>((resolve) => this.http?.listen(0, '127.0.0.1', resolve));
    const { port } = this.http.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
    await new Promise<void>((resolve) => this.http?.close(() => resolve()));
  }

  /** Stores an event and pushes it to every open connection. */
  append(event: string, data: object): void {
    const cursor = this.log.length + 1;
    const frame = JSON.stringify({ event, data, cursor: String(cursor) });
    this.log.push({ cursor, frame });
    for (const ws of this.sockets) ws.send(frame);
  }

  private session(ws: WebSocket, cursor: string | null): void {
    const start = cursor === null ? this.log.length : Number(cursor);
    ws.send(JSON.stringify({ event: 'session.ready', data: { user: { id: 'ann', name: 'Ann' }, cursor: String(start) } }));
    for (const e of this.log) if (e.cursor > start) ws.send(e.frame);
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    ws.on('message', (raw) => {
      const { id, op, data } = JSON.parse(String(raw)) as { id: number; op: string; data: Record<string, string> };
      if (op === 'message.send') {
        const key = data['client_msg_id'] ?? '';
        let message = this.byClientMsgId.get(key);
        if (!message) {
          message = {
            id: `m${++this.seq}`,
            conversation_id: data['conversation_id'] ?? '',
            seq: this.seq,
            sender_id: 'ann',
            client_msg_id: key,
            text: data['text'] ?? '',
            reply_count: 0,
            mentions: [],
            created_at: new Date().toISOString(),
            edited_at: null,
            deleted_at: null,
            pinned_at: null,
            reactions: { counts: {}, mine: [] },
            attachments: [],
          };
          this.byClientMsgId.set(key, message);
          this.append('message.new', { message });
        }
        ws.send(JSON.stringify({ id, ok: true, data: { message } }));
      } else {
        ws.send(JSON.stringify({ id, ok: false, error: { code: 'unknown_op', message: `unknown op \`${op}\`` } }));
      }
    });
  }
}

async function waitFor(cond: () => boolean, timeoutMs = 10000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

let server: MiniServer;
const clients: CaasClient[] = [];

beforeEach(async () => {
  server = new MiniServer();
  await server.start();
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  await server.stop();
});

describe('with the ws package', () => {
  it('refreshes a refused token, sends, and resumes after a 4008 close without loss or repeats', async () => {
    server.valid.add('good');
    const tokens = ['expired', 'good'];
    const client = new CaasClient({
      url: server.url,
      tokenProvider: async () => tokens.shift() ?? 'good',
      WebSocket,
      reconnect: { initialDelayMs: 20, maxDelayMs: 50 },
    });
    clients.push(client);
    const seen: string[] = [];
    client.on(ClientEvent.MessageNew, ({ message }) => seen.push(message.text));
    const closes: number[] = [];
    client.on(ClientEvent.Reconnecting, (ev) => closes.push(ev.closeCode ?? 0));

    const ready = await client.connect();
    expect(ready.user.id).toBe('ann');
    expect(server.upgrades.map((u) => u.searchParams.get('token'))).toEqual(['expired', 'good']);

    const sent = await client.messages.send('c-1', 'one');
    expect(sent.seq).toBe(1);
    await waitFor(() => seen.length === 1);

    // The server drops the client as a slow consumer; two events happen while it is away.
    for (const ws of server.sockets) ws.close(4008, 'slow_consumer');
    // Wait on the event, not on the transient 'reconnecting' state: with a 20 ms
    // backoff a busy machine may see the client reconnected before a poll runs.
    await waitFor(() => closes.length === 1);
    server.append('message.new', { message: { id: 'mx', conversation_id: 'c-1', seq: 2, sender_id: 'bob', text: 'two', created_at: '' } });
    server.append('message.new', { message: { id: 'my', conversation_id: 'c-1', seq: 3, sender_id: 'bob', text: 'three', created_at: '' } });
    await waitFor(() => client.state === 'connected');
    await waitFor(() => seen.length === 3);
    expect(closes).toEqual([4008]);
    expect(server.upgrades.at(-1)?.searchParams.get('cursor')).toBe('1');
    expect(seen).toEqual(['one', 'two', 'three']);
    expect(client.cursor).toBe('3');

    // A send replayed with the same client_msg_id is stored once.
    const again = await client.messages.send('c-1', 'one', { clientMsgId: sent.client_msg_id ?? '' });
    expect(again.id).toBe(sent.id);
    expect(server.log).toHaveLength(3);

    await expect(client.request('nope', {})).rejects.toMatchObject({ code: 'unknown_op' });
  });

  it('reports a refused token as AuthError when it cannot be refreshed', async () => {
    const client = new CaasClient({ url: server.url, token: 'bad', WebSocket });
    clients.push(client);
    const err = await client.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(err).toMatchObject({ status: 401 });
    expect(client.state).toBe('disconnected');
  });

  it('diagnoses a refusal through GET /v1/me when the socket gives no status', async () => {
    // A WebSocket that hides the HTTP status of a refused upgrade, as browsers do.
    type Slot = ((event: object) => void) | null;
    class QuietWebSocket implements WebSocketLike {
      onopen: ((event: never) => void) | null = null;
      onmessage: ((event: never) => void) | null = null;
      onerror: ((event: never) => void) | null = null;
      onclose: ((event: never) => void) | null = null;
      private readonly inner: WebSocket;
      constructor(url: string) {
        this.inner = new WebSocket(url);
        this.inner.onopen = (e) => (this.onopen as Slot)?.(e);
        this.inner.onmessage = (e) => (this.onmessage as Slot)?.(e);
        this.inner.onerror = () => (this.onerror as Slot)?.({});
        this.inner.onclose = (e) => (this.onclose as Slot)?.(e);
      }
      get readyState(): number {
        return this.inner.readyState;
      }
      send(data: string): void {
        this.inner.send(data);
      }
      close(code?: number, reason?: string): void {
        this.inner.close(code, reason);
      }
    }
    const client = new CaasClient({ url: server.url, token: 'bad', WebSocket: QuietWebSocket });
    clients.push(client);
    const err = await client.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(err).toMatchObject({ code: 'invalid_token', status: 401, op: 'GET /v1/me' });
  });
});
