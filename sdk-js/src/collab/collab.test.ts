import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';

import { CaasClient } from '../client/client.js';
import { CollabEvent, type CollabSession } from './collab.js';
import type { WebSocketConstructor } from '../core/transport.js';

/** A WebSocket the test drives: records URLs and frames; `open()` and `fail()` it by hand. */
class FakeWs {
  static all: FakeWs[] = [];
  readonly OPEN = 1;
  readyState = 0;
  binaryType = 'blob';
  sent: Uint8Array[] = [];
  onopen: (() => void) | null = null;
  onclose: ((e: { code: number; reason: string }) => void) | null = null;
  onmessage: ((e: { data: ArrayBuffer }) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;
  constructor(readonly url: string) {
    FakeWs.all.push(this);
  }
  send(data: Uint8Array): void {
    this.sent.push(data);
  }
  close(): void {
    this.readyState = 3;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.();
  }
  fail(code = 1006): void {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }
  receive(bytes: number[]): void {
    this.onmessage?.({ data: new Uint8Array(bytes).buffer });
  }
}

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const sessions: CollabSession[] = [];
afterEach(() => {
  for (const s of sessions.splice(0)) s.destroy();
  FakeWs.all = [];
});

function client(tokens: string[]): { client: CaasClient; calls: () => number } {
  let n = 0;
  const c = new CaasClient({
    url: 'https://caas.test/prefix/',
    tokenProvider: async () => tokens[n++] ?? 'none',
    WebSocket: FakeWs as unknown as WebSocketConstructor,
  });
  return { client: c, calls: () => n };
}

describe('client.collab.open', () => {
  it('connects to /v1/collab/{id} with the token and gives the doc, awareness and provider', async () => {
    const { client: c } = client(['t1']);
    const doc = new Y.Doc();
    const s = await c.collab.open('doc 1', { doc });
    sessions.push(s);
    expect(s.doc).toBe(doc);
    expect(s.awareness).toBe(s.provider.awareness);
    expect(FakeWs.all).toHaveLength(1);
    expect(FakeWs.all[0]?.url).toBe('wss://caas.test/prefix/v1/collab/doc%201?token=t1');
    const statuses: string[] = [];
    s.on(CollabEvent.Status, ({ status }) => statuses.push(status));
    FakeWs.all[0]?.open();
    expect(statuses).toEqual(['connected']);
    expect(s.connected).toBe(true);
    // Sync step 1 goes out first.
    expect(FakeWs.all[0]?.sent[0]?.[0]).toBe(0);
  });

  it('refreshes the token when a connection is refused before opening, once per outage', async () => {
    const { client: c, calls } = client(['t1', 't2', 't3']);
    const s = await c.collab.open('d', { maxBackoffMs: 20 });
    sessions.push(s);
    FakeWs.all[0]?.fail();
    await until(() => FakeWs.all.length === 2);
    expect(FakeWs.all[1]?.url).toContain('token=t2');
    FakeWs.all[1]?.fail();
    await until(() => FakeWs.all.length === 3);
    // No second refresh in the same outage.
    expect(FakeWs.all[2]?.url).toContain('token=t2');
    expect(calls()).toBe(2);
    // Once a connection opened, a drop keeps the token (the server took it).
    FakeWs.all[2]?.open();
    FakeWs.all[2]?.fail();
    await until(() => FakeWs.all.length === 4);
    expect(FakeWs.all[3]?.url).toContain('token=t2');
    expect(calls()).toBe(2);
  });

  it('reports a permission denial and a terminal close as typed events', async () => {
    const { client: c } = client(['t1']);
    const s = await c.collab.open('d');
    sessions.push(s);
    const denied: string[] = [];
    const closed: number[] = [];
    s.on(CollabEvent.PermissionDenied, ({ reason }) => denied.push(reason));
    s.on(CollabEvent.Closed, ({ code }) => closed.push(code));
    FakeWs.all[0]?.open();
    const reason = 'permission denied: view only';
    // [messageAuth=2][permissionDenied=0][varString reason]
    FakeWs.all[0]?.receive([2, 0, reason.length, ...new TextEncoder().encode(reason)]);
    expect(denied).toEqual([reason]);
    FakeWs.all[0]?.fail(4404);
    expect(closed).toEqual([4404]);
  });

  it('whenSynced resolves after the server sync step 2', async () => {
    const { client: c } = client(['t1']);
    const s = await c.collab.open('d');
    sessions.push(s);
    FakeWs.all[0]?.open();
    let synced = false;
    const done = s.whenSynced().then(() => (synced = true));
    const remote = new Y.Doc();
    remote.getText('t').insert(0, 'hi');
    const update = Y.encodeStateAsUpdate(remote);
    // [messageSync=0][syncStep2=1][varUint8Array update] (update < 128 bytes)
    expect(update.length).toBeLessThan(128);
    FakeWs.all[0]?.receive([0, 1, update.length, ...update]);
    await done;
    expect(synced).toBe(true);
    expect(s.doc.getText('t').toString()).toBe('hi');
  });
});
