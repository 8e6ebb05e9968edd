/**
 * Calls in a cluster, in a real browser: two `caas serve --demo` nodes share
 * a fresh PostgreSQL database and Redis (one `CAAS_CLUSTER`). Ann's page is on
 * node A, Bob's on node B, in one room: the room lives on one node's SFU, the
 * other's signaling is relayed, and both receive each other's audio and video.
 * Then Carol joins from node B and node A, which holds the room, is killed
 * (SIGKILL): Bob's and Carol's SDK are told `node_lost`, join again on their
 * own (CallEvent.Reconnecting → Reconnected, the room made anew on node B),
 * and their media flows again within REJOIN_BOUND_MS of the kill.
 *
 * Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust; psql on the PATH)
 * and Redis at 127.0.0.1:6379 — the test fails, never skips, without them —
 * Chromium (CAAS_CHROMIUM, default /usr/bin/chromium), a built dist/
 * (`npm run build && npm run build:demo-vendor`) and a `caas` binary with
 * cluster calls (CAAS_BIN).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SDK_DIR, startDemoServer, type DemoServer } from './server.js';

const CHROMIUM = process.env['CAAS_CHROMIUM'] ?? '/usr/bin/chromium';
const PG_HOST = '127.0.0.1';
const PG_PORT = 5432;
const REDIS_HOST = '127.0.0.1';
const REDIS_PORT = 6379;
/** The bound of every wait for the page. */
const WAIT_MS = 15_000;
/** The bound of every wait for media to flow. */
const MEDIA_WAIT_MS = 20_000;
/** From `kill -9` of the room's node to media flowing again between the pages left. */
const REJOIN_BOUND_MS = 20_000;

const suffix = randomBytes(6).toString('hex');
const DATABASE = `caas_sdk_call_cluster_${suffix}`;
const CLUSTER = `sdk-call-${suffix}`;
const ROOM = `cluster-${suffix}`;

const run = promisify(execFile);

let nodeA: DemoServer | undefined;
let nodeB: DemoServer | undefined;
let browser: Browser | undefined;
let databaseCreated = false;
let scratch: string | undefined;
const contexts: BrowserContext[] = [];
const pageErrors: string[] = [];

/** Runs one SQL statement with psql on the maintenance database. */
async function psql(sql: string): Promise<string> {
  const { stdout } = await run('psql', ['-h', PG_HOST, '-p', String(PG_PORT), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-tAc', sql], {
    timeout: 15_000,
  });
  return stdout.trim();
}

/** Resolves when Redis answers PING; rejects with why not. */
function redisPing(): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(REDIS_PORT, REDIS_HOST);
    let reply = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no reply to PING within 3 s'));
    }, 3000);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (!reply.includes('\r\n')) return;
      clearTimeout(timer);
      socket.end();
      if (reply.startsWith('+PONG')) resolve();
      else reject(new Error(`PING answered ${JSON.stringify(reply.trim())}`));
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** A WAV file of a steady 440 Hz tone (mono, 16-bit, 48 kHz, 2 s; Chromium loops it): the fake microphone sends sound all the time. */
function toneWav(seconds = 2, rate = 48_000, hz = 440): Buffer {
  const samples = seconds * rate;
  const buf = Buffer.alloc(44 + samples * 2);
  buf.write('RIFF', 0);
  buf.writeUInt32LE(36 + samples * 2, 4);
  buf.write('WAVEfmt ', 8);
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20);
  buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36);
  buf.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++) buf.writeInt16LE(Math.round(16_000 * Math.sin((2 * Math.PI * hz * i) / rate)), 44 + i * 2);
  return buf;
}

/**
 * Why the cluster could not be set up, if it could not: every test then fails
 * with it (rather than being reported skipped, as a failing beforeAll would make them).
 */
let setupError: unknown;

beforeAll(async () => {
  try {
    await setUp();
  } catch (error) {
    setupError = error;
  }
}, 90_000);

/** Fails the test when the cluster could not be set up. */
function needCluster(): void {
  if (setupError !== undefined) throw setupError;
}

async function setUp(): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium, or set CAAS_CHROMIUM)`);
  if (!existsSync(join(SDK_DIR, 'dist', 'components.js'))) throw new Error('dist/ is not built: run npm run build');
  try {
    await redisPing();
  } catch (error) {
    throw new Error(`Redis is not reachable at ${REDIS_HOST}:${REDIS_PORT}; this test needs it for the cluster (start redis-server): ${String(error)}`);
  }
  try {
    await psql('select 1');
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${PG_HOST}:${PG_PORT} as user postgres with psql; this test needs it for the cluster's shared database: ${String(error)}`,
    );
  }
  await psql(`create database ${DATABASE}`);
  databaseCreated = true;
  const env = {
    CAAS_DATABASE_URL: `postgres://postgres@${PG_HOST}:${PG_PORT}/${DATABASE}`,
    CAAS_REDIS_URL: `redis://${REDIS_HOST}:${REDIS_PORT}`,
    CAAS_CLUSTER: CLUSTER,
  };
  // One after the other: the first node creates the demo app in the shared database, the second finds it.
  nodeA = await startDemoServer({ env });
  nodeB = await startDemoServer({ env });
  scratch = await mkdtemp(join(tmpdir(), 'caas-chromium-call-cluster-'));
  const tone = join(scratch, 'tone.wav');
  await writeFile(tone, toneWav());
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // Fake camera and microphone, granted without a prompt; media to 127.0.0.1.
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--allow-loopback-in-peer-connection',
      `--use-file-for-fake-audio-capture=${tone}`,
      '--autoplay-policy=no-user-gesture-required',
    ],
    timeout: WAIT_MS * 2,
  });
}

afterAll(async () => {
  for (const c of contexts.splice(0)) await c.close().catch(() => undefined);
  await browser?.close().catch(() => undefined);
  await nodeA?.stop();
  await nodeB?.stop();
  if (databaseCreated) await psql(`drop database if exists ${DATABASE} with (force)`);
  if (scratch) await rm(scratch, { recursive: true, force: true });
}, 60_000);

/** What a page's demo hooks recorded of its room's events (installed by {@link openAs}). */
interface CallLogEntry {
  event: string;
  reason?: string;
  at: number;
  node?: string;
  participantId?: string;
}

/** A page of its own (a browser context) with the call demo of `node` open as `user`, its room's events recorded. */
async function openAs(node: DemoServer, user: string): Promise<Page> {
  const context = await browser!.newContext({ viewport: { width: 900, height: 600 } });
  contexts.push(context);
  context.setDefaultTimeout(WAIT_MS);
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(`${user}: ${error.message}`));
  await page.goto(`${node.url}/demo/call.html?user=${user}&room=${ROOM}`, { timeout: WAIT_MS });
  await page.getByTestId('demo-status').filter({ hasText: 'Connected' }).waitFor({ timeout: WAIT_MS });
  await page.evaluate(() => {
    const w = window as unknown as { callLog: CallLogEntry[] };
    w.callLog = [];
    const el = document.querySelector('caas-call');
    if (!el) throw new Error('no <caas-call>');
    el.addEventListener('caas-joined', (e) => {
      const room = e.detail.room;
      const note = (event: string, reason?: string): void => {
        w.callLog.push({ event, reason, at: Date.now(), node: room.node, participantId: room.localParticipant.participantId });
      };
      note('joined');
      // CallEvent.Reconnecting, Reconnected and Disconnected, by value (the SDK's enum is not in scope here).
      const on = room.on.bind(room) as unknown as (event: string, listener: (e?: { reason?: string }) => void) => void;
      on('reconnecting', (ev) => note('reconnecting', ev?.reason));
      on('reconnected', () => note('reconnected'));
      on('disconnected', (ev) => note('disconnected', ev?.reason));
    });
  });
  return page;
}

/** Clicks Join, waits until the page is in the room; its participant id and the node holding the room. */
async function joinCall(page: Page): Promise<{ participantId: string; node: string }> {
  await page.locator('caas-call [data-testid="call-join"]').click();
  await page.getByTestId('demo-status').filter({ hasText: `In call ${ROOM}` }).waitFor({ timeout: WAIT_MS });
  return page.evaluate(() => {
    const room = document.querySelector('caas-call')?.room;
    return { participantId: room?.localParticipant.participantId ?? '', node: room?.node ?? '' };
  });
}

/** The room's state, node, own participant id, and the users of the others, as the page's SDK sees them. */
async function roomView(page: Page): Promise<{ state: string; node: string; participantId: string; others: string[] }> {
  return page.evaluate(() => {
    const room = document.querySelector('caas-call')?.room;
    return {
      state: room?.state ?? 'none',
      node: room?.node ?? '',
      participantId: room?.localParticipant.participantId ?? '',
      others: [...(room?.remoteParticipants.values() ?? [])].map((p) => p.userId).sort(),
    };
  });
}

async function callLog(page: Page): Promise<CallLogEntry[]> {
  return page.evaluate(() => (window as unknown as { callLog: CallLogEntry[] }).callLog);
}

/** The inbound-rtp counters of what a page receives from `fromUser`: the largest per kind (-1 when nothing is received). */
async function received(page: Page, fromUser: string): Promise<{ video: number; audio: number }> {
  return page.evaluate(async (user) => {
    const room = document.querySelector('caas-call')?.room;
    const out = { video: -1, audio: -1 };
    if (!room) return out;
    for (const p of room.remoteParticipants.values()) {
      if (p.userId !== user) continue;
      for (const pub of p.tracks.values()) {
        if (!pub.track || (pub.source !== 'camera' && pub.source !== 'microphone')) continue;
        (await room.getStats(pub.track)).forEach((s: Record<string, unknown>) => {
          if (s['type'] !== 'inbound-rtp') return;
          if (s['kind'] === 'video') out.video = Math.max(out.video, Number(s['framesDecoded'] ?? 0));
          if (s['kind'] === 'audio') out.audio = Math.max(out.audio, Number(s['packetsReceived'] ?? 0));
        });
      }
    }
    return out;
  }, fromUser);
}

function serverLogs(): string {
  return `node A log:\n${nodeA?.log.slice(-15).join('\n')}\nnode B log:\n${nodeB?.log.slice(-15).join('\n')}`;
}

/**
 * Waits until `page` decodes video frames and receives audio packets from
 * `fromUser`, both growing between two polls (every 300 ms, up to `boundMs`).
 */
async function mediaFlows(page: Page, fromUser: string, boundMs = MEDIA_WAIT_MS): Promise<void> {
  const deadline = Date.now() + boundMs;
  let last = { video: -1, audio: -1 };
  while (Date.now() < deadline) {
    const now = await received(page, fromUser);
    if (last.video > 0 && last.audio > 0 && now.video > last.video && now.audio > last.audio) return;
    last = now;
    await page.waitForTimeout(300);
  }
  throw new Error(
    `no media from ${fromUser} within ${boundMs} ms (last: ${JSON.stringify(last)}); room: ${JSON.stringify(await roomView(page))}; events: ${JSON.stringify(await callLog(page))}\n${serverLogs()}`,
  );
}

describe('calls in a cluster, in Chromium', () => {
  // The steps share the pages, in order.
  let ann: Page;
  let bob: Page;
  let roomNode = '';

  it('lets ann on node A and bob on node B see and hear each other', async () => {
    needCluster();
    ann = await openAs(nodeA!, 'ann');
    bob = await openAs(nodeB!, 'bob');
    const a = await joinCall(ann);
    const b = await joinCall(bob);
    expect(a.node).toMatch(/^[0-9a-f]{16}$/);
    // One room on one node's SFU: bob's signaling is relayed to it.
    expect(b.node).toBe(a.node);
    roomNode = a.node;
    await Promise.all([mediaFlows(ann, 'bob'), mediaFlows(bob, 'ann')]);
    expect((await roomView(ann)).others).toEqual(['bob']);
    expect((await roomView(bob)).others).toEqual(['ann']);
    expect(pageErrors).toEqual([]);
  });

  it('joins again on its own when the node holding the room is killed, and media flows again', async () => {
    needCluster();
    expect(roomNode, 'the first step joined').not.toBe('');
    const carol = await openAs(nodeB!, 'carol');
    const c = await joinCall(carol);
    expect(c.node).toBe(roomNode);
    await Promise.all([mediaFlows(carol, 'bob'), mediaFlows(bob, 'carol')]);

    // Ann joined first from node A: the room is on node A. It dies.
    const killedAt = Date.now();
    await nodeA!.kill();
    await Promise.all([
      mediaFlows(bob, 'carol', REJOIN_BOUND_MS),
      mediaFlows(carol, 'bob', REJOIN_BOUND_MS),
    ]);
    const mediaBackMs = Date.now() - killedAt;

    const logs = { bob: await callLog(bob), carol: await callLog(carol) };
    const after = { bob: await roomView(bob), carol: await roomView(carol) };
    for (const who of ['bob', 'carol'] as const) {
      const events = logs[who].map((e) => (e.reason ? `${e.event} ${e.reason}` : e.event));
      expect(events, `${who}'s room events`).toEqual(['joined', 'reconnecting node_lost', 'reconnected']);
      // The same room object, joined again on the live node (under an id of that node's SFU).
      expect(after[who].state).toBe('joined');
      expect(after[who].node).toMatch(/^[0-9a-f]{16}$/);
      expect(after[who].node).not.toBe(roomNode);
      expect(after[who].participantId).toMatch(/^p-\d+$/);
    }
    expect(after.carol.node).toBe(after.bob.node);
    expect(after.bob.others).toEqual(['carol']);
    expect(after.carol.others).toEqual(['bob']);
    const at = (who: 'bob' | 'carol', event: string): number => (logs[who].find((e) => e.event === event)?.at ?? NaN) - killedAt;
    console.info(
      `node loss: told (node_lost) after bob ${at('bob', 'reconnecting')} ms, carol ${at('carol', 'reconnecting')} ms; ` +
        `rejoined after bob ${at('bob', 'reconnected')} ms, carol ${at('carol', 'reconnected')} ms; ` +
        `media flowing again both ways ${mediaBackMs} ms after kill -9 (bound ${REJOIN_BOUND_MS} ms)`,
    );
    expect(mediaBackMs).toBeLessThan(REJOIN_BOUND_MS);
    expect(pageErrors).toEqual([]);
  });
});
