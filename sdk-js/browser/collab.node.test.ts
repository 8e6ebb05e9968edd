/**
 * Collaboration against the real server, from Node, with unmodified `yjs`,
 * `y-websocket` (its client `WebsocketProvider`) and `ws`: two clients
 * converge on a Y.Text and a Y.Map; offline edits merge on reconnect;
 * awareness propagates and is cleared when a client leaves (cleanly or not);
 * content survives a server restart; a viewer cannot change the document;
 * another app's user cannot see or open it; garbage frames close with 1007.
 *
 * Part of `npm run test:browser` (which `scripts/test` runs with CAAS_BIN):
 * it needs a `caas` binary with collaboration.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual, promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';

import { CaasClient } from '../src/client/client.js';
import { CollabEvent } from '../src/collab/collab.js';
import type { WebSocketConstructor } from '../src/core/transport.js';
import { caasBin, startDemoServer, type DemoServer } from './server.js';

const run = promisify(execFile);
/** The bound of every wait for a condition. */
const WAIT_MS = 10_000;

let dataDir = '';
let server: DemoServer | undefined;
/** The other app (created with the CLI before the server starts). */
let otherApp: { api_key: string; api_secret: string } | undefined;
const providers: WebsocketProvider[] = [];
const sockets: WebSocket[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'caas-collab-'));
  const { stdout } = await run(caasBin(), ['app', 'create', '--name', 'other app'], {
    env: { ...process.env, CAAS_DATA_DIR: dataDir },
  });
  otherApp = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { api_key: string; api_secret: string };
  if (!otherApp.api_key || !otherApp.api_secret) throw new Error(`unexpected output of caas app create: ${stdout}`);
  server = await startDemoServer({ dataDir });
}, 90_000);

afterAll(async () => {
  for (const p of providers.splice(0)) p.destroy();
  for (const s of sockets.splice(0)) s.terminate();
  await server?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function base(): string {
  if (!server) throw new Error('no server');
  return server.url;
}

/** Polls `check` until it holds (or throws after `ms`, with `what` and the server log tail). */
async function waitFor(what: string | (() => string), check: () => boolean | Promise<boolean>, ms = WAIT_MS): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}\n${server?.log.slice(-15).join('\n') ?? ''}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A session token of a demo-app user. */
async function demoToken(userId: string): Promise<string> {
  const res = await fetch(`${base()}/demo/session`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ user_id: userId, name: userId.toUpperCase() }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

/** A session token of a user of the other app (admin API, from loopback). */
async function otherAppToken(userId: string): Promise<string> {
  if (!otherApp) throw new Error('no other app');
  const basic = Buffer.from(`${otherApp.api_key}:${otherApp.api_secret}`).toString('base64');
  const res = await fetch(`${base()}/v1/admin/sessions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Basic ${basic}` },
    body: JSON.stringify({ user_id: userId }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

async function api<T>(token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base()}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

interface DocReply {
  doc: { id: string };
  role: string;
  content?: Record<string, unknown>;
}

async function createDoc(token: string, roles?: Record<string, string>): Promise<string> {
  const res = await api<DocReply>(token, 'POST', '/v1/docs', { kind: 'doc', title: 'collab test', ...(roles ? { roles } : {}) });
  expect(res.status).toBe(200);
  expect(res.body.role).toBe('owner');
  return res.body.doc.id;
}

async function content(token: string, docId: string): Promise<Record<string, unknown>> {
  const res = await api<DocReply>(token, 'GET', `/v1/docs/${docId}`);
  expect(res.status).toBe(200);
  return res.body.content ?? {};
}

/** An unmodified y-websocket provider on `/v1/collab/{docId}` (no BroadcastChannel: every change goes through the server). */
function open(docId: string, token: string, doc = new Y.Doc()): WebsocketProvider {
  const provider = new WebsocketProvider(`${base().replace(/^http/, 'ws')}/v1/collab`, docId, doc, {
    params: { token },
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
  });
  providers.push(provider);
  return provider;
}

async function synced(provider: WebsocketProvider): Promise<void> {
  await waitFor('the provider to sync', () => provider.synced);
}

function close(provider: WebsocketProvider): void {
  provider.destroy();
  const i = providers.indexOf(provider);
  if (i >= 0) providers.splice(i, 1);
}

describe('collaboration with yjs + y-websocket + ws', () => {
  it('two clients converge on a Y.Text and a Y.Map, and the REST content follows', async () => {
    const alice = await demoToken('alice');
    const bob = await demoToken('bob');
    const docId = await createDoc(alice, { bob: 'editor' });
    const a = open(docId, alice);
    const b = open(docId, bob);
    await Promise.all([synced(a), synced(b)]);

    const ta = a.doc.getText('text');
    const tb = b.doc.getText('text');
    ta.insert(0, 'Hello');
    await waitFor('bob to see alice', () => tb.toString() === 'Hello');
    tb.insert(5, ', world');
    // Concurrent edits at the same place on both sides.
    ta.insert(0, '[a]');
    tb.insert(0, '[b]');
    a.doc.getMap('meta').set('x', 1);
    b.doc.getMap('meta').set('y', 'two');
    b.doc.getMap('meta').set('x', 3);
    await waitFor(
      () => `both texts and maps to converge (${JSON.stringify([ta.toString(), tb.toString(), a.doc.getMap('meta').toJSON(), b.doc.getMap('meta').toJSON()])})`,
      () =>
        ta.toString() === tb.toString() &&
        ta.toString().length === '[a][b]Hello, world'.length &&
        isDeepStrictEqual(a.doc.getMap('meta').toJSON(), b.doc.getMap('meta').toJSON()) &&
        b.doc.getMap('meta').size === 2,
    );
    expect(ta.toString()).toMatch(/^(\[a\]\[b\]|\[b\]\[a\])Hello, world$/);
    // The server stored what it relayed: its JSON equals the clients' state.
    const text = ta.toString();
    const map = a.doc.getMap('meta').toJSON();
    await waitFor('the REST content to match', async () => {
      const c = await content(alice, docId);
      return c['text'] === text && isDeepStrictEqual(c['meta'], map);
    });
    // And so does the binary state.
    const res = await fetch(`${base()}/v1/docs/${docId}/state`, { headers: { Authorization: `Bearer ${bob}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    const fresh = new Y.Doc();
    Y.applyUpdate(fresh, new Uint8Array(await res.arrayBuffer()));
    expect(fresh.getText('text').toString()).toBe(text);
    close(a);
    close(b);
  });

  it('offline edits on both sides merge on reconnect', async () => {
    const alice = await demoToken('alice');
    const bob = await demoToken('bob');
    const docId = await createDoc(alice, { bob: 'editor' });
    const a = open(docId, alice);
    const b = open(docId, bob);
    await Promise.all([synced(a), synced(b)]);
    a.doc.getText('text').insert(0, 'base');
    await waitFor('bob to see the base', () => b.doc.getText('text').toString() === 'base');

    b.disconnect();
    await waitFor('bob to be offline', () => !b.wsconnected);
    a.doc.getText('text').insert(4, ' +online');
    a.doc.getMap('m').set('alice', true);
    b.doc.getText('text').insert(0, 'offline+ ');
    b.doc.getMap('m').set('bob', true);
    // Wait until alice's online edit is stored, so that bob really missed it.
    await waitFor('the online edit to be stored', async () => (await content(alice, docId))['text'] === 'base +online');
    expect(b.doc.getText('text').toString()).toBe('offline+ base');

    b.connect();
    const expected = 'offline+ base +online';
    await waitFor(
      'both to merge',
      () =>
        a.doc.getText('text').toString() === expected &&
        b.doc.getText('text').toString() === expected &&
        a.doc.getMap('m').size === 2 &&
        b.doc.getMap('m').size === 2,
    );
    await waitFor('the server to hold the merge', async () => (await content(bob, docId))['text'] === expected);
    close(a);
    close(b);
  });

  it('awareness propagates, and is cleared when a client disconnects cleanly or drops', async () => {
    const alice = await demoToken('alice');
    const bob = await demoToken('bob');
    const carol = await demoToken('carol');
    const docId = await createDoc(alice, { bob: 'editor', carol: 'viewer' });
    const a = open(docId, alice);
    const b = open(docId, bob);
    await Promise.all([synced(a), synced(b)]);
    a.awareness.setLocalStateField('user', { name: 'Alice', color: '#f00' });
    const aliceId = a.doc.clientID;
    await waitFor('bob to see alice', () => (b.awareness.getStates().get(aliceId) as any)?.user?.name === 'Alice');
    a.awareness.setLocalStateField('cursor', { x: 10, y: 20 });
    await waitFor('bob to see alice move', () => (b.awareness.getStates().get(aliceId) as any)?.cursor?.x === 10);

    // A client that joins later gets the current states at once.
    const c = open(docId, carol);
    await synced(c);
    await waitFor('a late viewer to see alice', () => (c.awareness.getStates().get(aliceId) as any)?.user?.name === 'Alice');

    // A clean disconnect (y-websocket sends a null state first).
    a.disconnect();
    await waitFor('bob to drop alice', () => !b.awareness.getStates().has(aliceId));
    await waitFor('carol to drop alice', () => !c.awareness.getStates().has(aliceId));

    // A dropped connection (no goodbye from the client): the server clears it.
    b.awareness.setLocalStateField('user', { name: 'Bob' });
    const bobId = b.doc.clientID;
    await waitFor('carol to see bob', () => (c.awareness.getStates().get(bobId) as any)?.user?.name === 'Bob');
    b.shouldConnect = false;
    (b.ws as unknown as WebSocket).terminate();
    await waitFor('carol to drop bob (server-side cleanup)', () => !c.awareness.getStates().has(bobId));
    close(a);
    close(b);
    close(c);
  });

  it('a viewer cannot change the document', async () => {
    const alice = await demoToken('alice');
    const dave = await demoToken('dave');
    const erin = await demoToken('erin');
    const docId = await createDoc(alice, { erin: 'viewer' });
    // Dave becomes a viewer through PUT roles; erin was one from the start.
    const put = await api<DocReply>(alice, 'PUT', `/v1/docs/${docId}/roles/dave`, { role: 'viewer' });
    expect(put.status).toBe(200);
    expect((await api<DocReply>(dave, 'GET', `/v1/docs/${docId}`)).body.role).toBe('viewer');

    const a = open(docId, alice);
    await synced(a);
    a.doc.getText('text').insert(0, 'by alice');
    await waitFor('the edit to be stored', async () => (await content(alice, docId))['text'] === 'by alice');

    for (const [who, token] of [
      ['dave', dave],
      ['erin', erin],
    ] as const) {
      const v = open(docId, token);
      // Count the y-protocols auth denials this provider receives (y-websocket itself only logs them).
      const denials: string[] = [];
      const authHandler = v.messageHandlers[2];
      v.messageHandlers[2] = (encoder, decoder, provider, emitSynced, messageType) => {
        const copy = new Uint8Array(decoder.arr.subarray(decoder.pos));
        denials.push(new TextDecoder().decode(copy));
        const warn = console.warn;
        console.warn = () => undefined;
        try {
          authHandler?.(encoder, decoder, provider, emitSynced, messageType);
        } finally {
          console.warn = warn;
        }
      };
      await synced(v);
      expect(v.doc.getText('text').toString()).toBe(a.doc.getText('text').toString());
      const before = denials.length;
      v.doc.getText('text').insert(0, `${who} was here `);
      v.doc.getMap('m').set(who, 1);
      await waitFor(`${who}'s edits to be denied`, () => denials.length >= before + 2);
      expect(denials.at(-1)).toContain('permission denied');

      // The server handled the viewer's frames (the denial came back); now prove the
      // relay to alice still flows and carried nothing of the viewer's.
      const marker = `[check ${before}]`;
      a.doc.getText('text').insert(a.doc.getText('text').length, marker);
      await waitFor(`${who} to receive alice's later edit`, () => v.doc.getText('text').toString().endsWith(marker));
      expect(a.doc.getText('text').toString()).not.toContain(who);
      expect(a.doc.getMap('m').has(who)).toBe(false);
      const c = await content(alice, docId);
      expect(String(c['text'])).not.toContain(who);
      expect(c['m'] === undefined || !(who in (c['m'] as object))).toBe(true);
      // The viewer keeps its connection (it may still see changes and share awareness).
      expect(v.wsconnected).toBe(true);
      close(v);
    }
    close(a);
  });

  it("another app's user gets 404 over REST and cannot open the WebSocket", async () => {
    const alice = await demoToken('alice');
    const docId = await createDoc(alice);
    // Same user id, other app.
    const stranger = await otherAppToken('alice');
    expect((await api(stranger, 'GET', `/v1/docs/${docId}`)).status).toBe(404);
    expect((await api(stranger, 'GET', `/v1/docs/${docId}/state`)).status).toBe(404);
    expect((await api(stranger, 'DELETE', `/v1/docs/${docId}`)).status).toBe(404);
    const list = await api<{ docs: unknown[] }>(stranger, 'GET', '/v1/docs');
    expect(list.status).toBe(200);
    expect(list.body.docs).toEqual([]);

    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${base().replace(/^http/, 'ws')}/v1/collab/${docId}?token=${encodeURIComponent(stranger)}`);
      sockets.push(ws);
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('open', () => reject(new Error('the upgrade succeeded')));
      ws.once('error', () => undefined);
    });
    expect(status).toBe(404);

    // The provider never connects either.
    const p = open(docId, stranger);
    let opened = false;
    p.on('status', ({ status }) => {
      if (status === 'connected') opened = true;
    });
    await waitFor('a few refused attempts', () => p.wsUnsuccessfulReconnects >= 2);
    expect(opened).toBe(false);
    close(p);
  });

  it('garbage frames close the connection with 1007', async () => {
    const alice = await demoToken('alice');
    const docId = await createDoc(alice);
    const closed = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${base().replace(/^http/, 'ws')}/v1/collab/${docId}?token=${encodeURIComponent(alice)}`);
      sockets.push(ws);
      ws.once('open', () => ws.send(Buffer.from([0, 2, 0xff, 0xff, 0xff, 0xff, 0xff])));
      ws.once('close', (code) => resolve(code));
      ws.once('error', reject);
    });
    expect(closed).toBe(1007);
  });

  it('content survives a server restart', async () => {
    const alice = await demoToken('alice');
    const docId = await createDoc(alice);
    const a = open(docId, alice);
    await synced(a);
    a.doc.getText('text').insert(0, 'durable');
    a.doc.getMap('m').set('k', { nested: [1, 2] });
    // Many small updates, so that the log is compacted at least once (every 200).
    for (let i = 0; i < 250; i++) a.doc.getArray('list').push([i]);
    await waitFor('the edits to be stored', async () => {
      const c = await content(alice, docId);
      return c['text'] === 'durable' && (c['list'] as unknown[] | undefined)?.length === 250;
    });

    // Stop while alice is still connected (no unload-time compaction first), and start again.
    await server?.stop();
    close(a);
    server = await startDemoServer({ dataDir });

    const token = await demoToken('alice');
    const fresh = open(docId, token);
    await synced(fresh);
    expect(fresh.doc.getText('text').toString()).toBe('durable');
    expect(fresh.doc.getMap('m').get('k')).toEqual({ nested: [1, 2] });
    expect(fresh.doc.getArray('list').toArray()).toEqual(Array.from({ length: 250 }, (_, i) => i));
    const c = await content(token, docId);
    expect(c['text']).toBe('durable');
    close(fresh);
  });

  it("the SDK: client.docs and client.collab.open against the server", async () => {
    const mk = (user: string) =>
      new CaasClient({ url: base(), tokenProvider: () => demoToken(user), WebSocket: WebSocket as unknown as WebSocketConstructor });
    const alice = mk('alice');
    const frank = mk('frank');
    const { doc } = await alice.docs.create({ kind: 'whiteboard', title: 'sdk' });
    await alice.docs.setRole(doc.id, 'frank', 'viewer');
    expect((await frank.docs.get(doc.id)).role).toBe('viewer');
    const a = await alice.collab.open(doc.id);
    const f = await frank.collab.open(doc.id);
    await Promise.all([a.whenSynced(), f.whenSynced()]);
    a.doc.getMap('shapes').set('s1', { kind: 'rect' });
    await waitFor('frank to see the shape', () => f.doc.getMap('shapes').has('s1'));
    const v1 = await alice.docs.createVersion(doc.id, 'one shape');
    a.doc.getMap('shapes').set('s2', { kind: 'ellipse' });
    await waitFor('frank to see s2', () => f.doc.getMap('shapes').has('s2'));
    const denied: string[] = [];
    f.on(CollabEvent.PermissionDenied, ({ reason }) => denied.push(reason));
    f.doc.getMap('shapes').set('f', { kind: 'pen' });
    await waitFor('the denial event', () => denied.length > 0);
    expect(denied[0]).toContain('permission denied');
    expect((await alice.docs.versions(doc.id)).map((v) => v.name)).toEqual(['one shape']);
    const restored = await alice.docs.restore(doc.id, v1.id);
    expect(Object.keys(restored.content?.['shapes'] as object)).toEqual(['s1']);
    await waitFor('alice to see the restore', () => !a.doc.getMap('shapes').has('s2'));
    expect((await alice.docs.list({ kind: 'whiteboard' })).docs.map((d) => d.id)).toContain(doc.id);
    const closed: number[] = [];
    a.on(CollabEvent.Closed, ({ code }) => closed.push(code));
    await alice.docs.delete(doc.id);
    await waitFor('the delete to close alice (4404)', () => closed.includes(4404));
    a.destroy();
    f.destroy();
  });
});
