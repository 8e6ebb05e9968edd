/**
 * Calls in a real browser: two users join one room through `<caas-call>` on
 * the call demo page (`caas serve --demo`) in headless Chromium with fake
 * camera and microphone, and through the server's SFU: receive each other's
 * audio and video; see a camera muted and unmuted; exchange data-channel
 * messages; share the screen and stop; leave. Run with `npm run
 * test:browser` (it builds dist/ first); needs a `caas` binary with calls
 * (CAAS_BIN).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { CallRoom } from '../src/calls/room.js';
import { SDK_DIR, startDemoServer, type DemoServer } from './server.js';

/** The test hooks of demo/call.js. */
interface DemoWindow {
  room?: CallRoom;
  dataReceived: Array<{ data: string | number[]; participantId?: string; userId?: string }>;
  screenCapture?: string;
}

const CHROMIUM = process.env['CAAS_CHROMIUM'] ?? '/usr/bin/chromium';
const ARTIFACTS = join(SDK_DIR, 'browser', 'artifacts');
/** The bound of every wait for the page. */
const WAIT_MS = 15_000;
/** The bound of every wait for media to flow. */
const MEDIA_WAIT_MS = 30_000;
const ROOM = 'standup';

let server: DemoServer | undefined;
const contexts: BrowserContext[] = [];
let profiles: string[] = [];
const pageErrors: string[] = [];
/** The pages open, by user, for diagnosis. */
const pages = new Map<string, Page>();

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium, or set CAAS_CHROMIUM)`);
  if (!existsSync(join(SDK_DIR, 'dist', 'components.js'))) throw new Error('dist/ is not built: run npm run build');
  server = await startDemoServer();
}, 90_000);

afterAll(async () => {
  for (const c of contexts.splice(0)) await c.close().catch(() => undefined);
  for (const p of profiles) await rm(p, { recursive: true, force: true });
  profiles = [];
  await server?.stop();
});

/**
 * A WAV file of a steady 440 Hz tone at -6 dBFS (mono, 16-bit, 48 kHz, 2 s;
 * Chromium loops it): the fake microphone then "speaks" all the time, unlike
 * its default beep, so the server's active-speaker detection sees it at once.
 */
function toneWav(seconds = 2, rate = 48_000, hz = 440): Buffer {
  const samples = seconds * rate;
  const buf = Buffer.alloc(44 + samples * 2);
  buf.write('RIFF', 0);
  buf.writeUInt32LE(36 + samples * 2, 4);
  buf.write('WAVEfmt ', 8);
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36);
  buf.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++) buf.writeInt16LE(Math.round(16_000 * Math.sin((2 * Math.PI * hz * i) / rate)), 44 + i * 2);
  return buf;
}

/** A browser of its own (fresh profile, fake media devices) with the call demo open as `user`. */
async function openAs(user: string): Promise<Page> {
  const profile = await mkdtemp(join(tmpdir(), `caas-chromium-call-${user}-`));
  profiles.push(profile);
  const tone = join(profile, 'tone.wav');
  await writeFile(tone, toneWav());
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
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
      // getDisplayMedia picks the screen without a picker.
      '--auto-select-desktop-capture-source=Entire screen',
      // Remote sound may start without a click.
      '--autoplay-policy=no-user-gesture-required',
    ],
    viewport: { width: 1000, height: 640 },
    timeout: WAIT_MS * 2,
  });
  contexts.push(context);
  context.setDefaultTimeout(WAIT_MS);
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => pageErrors.push(`${user}: ${error.message}`));
  pages.set(user, page);
  await page.goto(`${server!.url}/demo/call.html?user=${user}&room=${ROOM}`, { timeout: WAIT_MS });
  await page.getByTestId('demo-status').filter({ hasText: 'Connected' }).waitFor({ timeout: WAIT_MS });
  // Test hook: screen capture falls back to an animated canvas where headless
  // Chromium cannot capture the screen; the page records which one it used.
  await page.evaluate(() => {
    const el = document.querySelector('caas-call');
    if (!el) throw new Error('no <caas-call>');
    const w = window as unknown as DemoWindow;
    el.joinOptions = {
      getDisplayMedia: async (options) => {
        try {
          const stream = await navigator.mediaDevices.getDisplayMedia(options);
          w.screenCapture = 'getDisplayMedia';
          return stream;
        } catch (error) {
          const canvas = document.createElement('canvas');
          canvas.width = 640;
          canvas.height = 360;
          const g = canvas.getContext('2d');
          if (!g) throw error;
          let n = 0;
          setInterval(() => {
            g.fillStyle = '#0969da';
            g.fillRect(0, 0, 640, 360);
            g.fillStyle = '#ffd33d';
            g.fillRect((n += 8) % 560, 140, 80, 80);
            g.fillStyle = '#fff';
            g.font = '28px sans-serif';
            g.fillText(`shared screen ${n}`, 20, 40);
          }, 50);
          w.screenCapture = `canvas (${error instanceof Error ? `${error.name}: ${error.message}` : String(error)})`;
          return canvas.captureStream(15);
        }
      },
    };
  });
  return page;
}

/** What a page receives, per remote track: the inbound-rtp counters of its receiver. */
interface Inbound {
  participantId: string;
  source: string;
  kind: string;
  framesDecoded: number;
  packetsReceived: number;
  totalSamplesReceived: number;
  /** For diagnosis: the rest of the video receiver's counters. */
  video?: { framesReceived: number; keyFramesDecoded: number; pliCount: number; nackCount: number; frameHeight: number; ssrc: number };
}

async function inbound(page: Page): Promise<Inbound[]> {
  return page.evaluate(async () => {
    const room = document.querySelector('caas-call')?.room;
    if (!room) return [];
    const out: Inbound[] = [];
    const n = (v: unknown): number => Number(v ?? 0);
    for (const p of room.remoteParticipants.values()) {
      for (const pub of p.tracks.values()) {
        if (!pub.track) continue;
        const report = await room.getStats(pub.track);
        report.forEach((s: Record<string, unknown>) => {
          if (s['type'] !== 'inbound-rtp') return;
          const entry: Inbound = {
            participantId: p.participantId,
            source: pub.source,
            kind: String(s['kind']),
            framesDecoded: n(s['framesDecoded']),
            packetsReceived: n(s['packetsReceived']),
            totalSamplesReceived: n(s['totalSamplesReceived']),
          };
          if (s['kind'] === 'video') {
            entry.video = {
              framesReceived: n(s['framesReceived']),
              keyFramesDecoded: n(s['keyFramesDecoded']),
              pliCount: n(s['pliCount']),
              nackCount: n(s['nackCount']),
              frameHeight: n(s['frameHeight']),
              ssrc: n(s['ssrc']),
            };
          }
          out.push(entry);
        });
      }
    }
    return out;
  });
}

/** For diagnosis: what a page sends of its video (per simulcast layer). */
async function outboundVideo(page: Page): Promise<unknown[]> {
  return page
    .evaluate(async () => {
      const out: unknown[] = [];
      (await document.querySelector('caas-call')?.room?.getStats())?.forEach((s: Record<string, unknown>) => {
        if (s['type'] !== 'outbound-rtp' || s['kind'] !== 'video') return;
        const { rid, ssrc, framesEncoded, keyFramesEncoded, pliCount, frameHeight, framesPerSecond, qualityLimitationReason, active } = s;
        out.push({ rid, ssrc, framesEncoded, keyFramesEncoded, pliCount, frameHeight, framesPerSecond, qualityLimitationReason, active });
      });
      return out;
    })
    .catch((error: unknown) => [String(error)]);
}

type Metric = 'framesDecoded' | 'packetsReceived' | 'totalSamplesReceived';

/** The largest `metric` of the page's inbound `source` tracks now (-1 without one). */
async function counter(page: Page, source: string, metric: Metric): Promise<number> {
  return Math.max(-1, ...(await inbound(page)).filter((s) => s.source === source).map((s) => s[metric]));
}

/**
 * Waits until the counter `metric` of the page's inbound `source` track is
 * above `above` and still growing (polled every 700 ms, up to MEDIA_WAIT_MS).
 */
async function grows(page: Page, source: string, metric: Metric, above = 0): Promise<number> {
  const deadline = Date.now() + MEDIA_WAIT_MS;
  let last = -1;
  let seen: Inbound[] = [];
  while (Date.now() < deadline) {
    seen = await inbound(page);
    const value = Math.max(-1, ...seen.filter((s) => s.source === source).map((s) => s[metric]));
    if (value > above && last > above && value > last) return value;
    last = value;
    await page.waitForTimeout(700);
  }
  const sent: string[] = [];
  for (const [name, p] of pages) sent.push(`${name} sends ${JSON.stringify(await outboundVideo(p))}`);
  throw new Error(
    `${source} ${metric} did not grow above ${above} within ${MEDIA_WAIT_MS} ms; inbound: ${JSON.stringify(seen)}\n${sent.join('\n')}\nserver log:\n${server?.log.slice(-20).join('\n')}`,
  );
}

/** The page's local publications: source -> server track id (once the server named it) and muted. */
async function localTracks(page: Page): Promise<Record<string, { trackId: string | undefined; muted: boolean }>> {
  return page.evaluate(() => {
    const room = (window as unknown as DemoWindow).room;
    const out: Record<string, { trackId: string | undefined; muted: boolean }> = {};
    for (const [source, pub] of room?.localParticipant.tracks ?? []) out[source] = { trackId: pub.trackId, muted: pub.muted };
    return out;
  });
}

/** The tile of `participantId`'s `source` on `page`, with extra attribute selectors. */
function tile(page: Page, participantId: string, source: 'camera' | 'screen', extra = ''): Locator {
  return page.locator(`caas-call [data-testid="call-tile"][data-participant-id="${participantId}"][data-source="${source}"]${extra}`);
}

/** Clicks Join and waits until the page is in the room. */
async function joinCall(page: Page): Promise<string> {
  await page.locator('caas-call [data-testid="call-join"]').click();
  await page.getByTestId('demo-status').filter({ hasText: `In call ${ROOM}` }).waitFor({ timeout: WAIT_MS });
  return page.evaluate(() => document.querySelector('caas-call')?.room?.localParticipant.participantId ?? '');
}

describe('calls in Chromium', () => {
  // The steps share the two pages, in order.
  let ann: Page;
  let bob: Page;
  let annId = '';
  let bobId = '';

  it('lets ann and bob see and hear each other through the SFU', async () => {
    ann = await openAs('ann');
    bob = await openAs('bob');
    annId = await joinCall(ann);
    bobId = await joinCall(bob);
    expect(annId).not.toBe(bobId);

    // Each page shows both tiles, and the other's camera video.
    for (const [page, other] of [
      [ann, bobId],
      [bob, annId],
    ] as const) {
      await tile(page, other, 'camera', ' video[data-track-source="camera"]').waitFor({ timeout: MEDIA_WAIT_MS });
      expect(await page.locator('caas-call [data-testid="call-tile"][data-source="camera"]').count()).toBe(2);
      expect(await page.locator(`caas-call [data-testid="call-tile"][data-local="true"] video`).count()).toBe(1);
    }

    // Video decodes and audio arrives, both ways.
    for (const page of [ann, bob]) {
      expect(await grows(page, 'camera', 'framesDecoded')).toBeGreaterThan(0);
      expect(await grows(page, 'microphone', 'packetsReceived')).toBeGreaterThan(0);
      expect(await grows(page, 'microphone', 'totalSamplesReceived')).toBeGreaterThan(0);
    }
    // The server named each page's own tracks (its own call.track_published), so that call.mute can reach it.
    for (const page of [ann, bob]) {
      await page.waitForFunction(
        () => {
          const tracks = (window as unknown as DemoWindow).room?.localParticipant.tracks;
          return tracks?.get('camera')?.trackId !== undefined && tracks.get('microphone')?.trackId !== undefined;
        },
        undefined,
        { timeout: WAIT_MS },
      );
    }
    // The camera goes out in simulcast layers (rids q, h, f; Chromium may drop the smallest for a small camera).
    const rids = await ann.evaluate(async () => {
      const room = document.querySelector('caas-call')?.room;
      const out: string[] = [];
      (await room?.getStats())?.forEach((s: Record<string, unknown>) => {
        if (s['type'] === 'outbound-rtp' && s['kind'] === 'video' && typeof s['rid'] === 'string') out.push(s['rid']);
      });
      return out.sort();
    });
    expect(rids.length, `simulcast rids sent: ${rids.join(',')}`).toBeGreaterThanOrEqual(2);
    // The fake microphone beeps: the server names active speakers, and a tile lights up.
    await bob.locator('caas-call [data-testid="call-tile"][data-speaking="true"]').first().waitFor({ timeout: MEDIA_WAIT_MS });
    // The <video> of the other's camera plays at a real size.
    await bob.waitForFunction(
      (id) => {
        const v = document
          .querySelector('caas-call')
          ?.shadowRoot?.querySelector<HTMLVideoElement>(`[data-participant-id="${id}"][data-source="camera"] video`);
        return v !== null && v !== undefined && v.videoWidth > 0 && v.readyState >= 2;
      },
      annId,
      { timeout: MEDIA_WAIT_MS },
    );
    expect(pageErrors).toEqual([]);
  });

  it("shows ann's camera muted on bob's page (call.track_muted), and its video again once unmuted", async () => {
    expect(annId, 'the first step joined').not.toBe('');
    await ann.locator('caas-call [data-testid="call-camera"]').click();
    await ann.locator('caas-call [data-testid="call-camera"][aria-pressed="false"]').waitFor({ timeout: WAIT_MS });
    expect((await localTracks(ann))['camera']?.muted).toBe(true);
    await tile(ann, annId, 'camera', '[data-muted="true"]').waitFor({ timeout: WAIT_MS });
    // Bob's SDK hears call.track_muted: TrackMuted, the tile shows it.
    await tile(bob, annId, 'camera', '[data-muted="true"]').waitFor({ timeout: WAIT_MS });
    expect(await tile(bob, annId, 'camera', ' .placeholder').count()).toBe(1);
    expect(
      await bob.evaluate((id) => (window as unknown as DemoWindow).room?.remoteParticipants.get(id)?.getTrack('camera')?.muted, annId),
    ).toBe(true);

    const before = await counter(bob, 'camera', 'framesDecoded');
    await ann.locator('caas-call [data-testid="call-camera"]').click();
    await ann.locator('caas-call [data-testid="call-camera"][aria-pressed="true"]').waitFor({ timeout: WAIT_MS });
    await tile(bob, annId, 'camera', '[data-muted="false"]').waitFor({ timeout: WAIT_MS });
    // The server forwards the camera again.
    expect(await grows(bob, 'camera', 'framesDecoded', before)).toBeGreaterThan(before);
    expect(pageErrors).toEqual([]);
  });

  it('relays data messages: text with its sender, binary as sent', async () => {
    expect(annId, 'the first step joined').not.toBe('');
    for (const page of [ann, bob]) {
      await page.waitForFunction(() => (window as unknown as DemoWindow).room?.dataChannelState === 'open', undefined, {
        timeout: WAIT_MS,
      });
    }
    const text = 'hello from ann: "quoted", {json}, héllo ✓';
    await ann.evaluate((t) => (window as unknown as DemoWindow).room!.sendData(t), text);
    await bob.waitForFunction(() => (window as unknown as DemoWindow).dataReceived.length >= 1, undefined, { timeout: WAIT_MS });
    expect(await bob.evaluate(() => (window as unknown as DemoWindow).dataReceived)).toEqual([
      { data: text, participantId: annId, userId: 'ann' },
    ]);

    await bob.evaluate(() => (window as unknown as DemoWindow).room!.sendData(new Uint8Array([1, 2, 3, 250])));
    await ann.waitForFunction(() => (window as unknown as DemoWindow).dataReceived.length >= 1, undefined, { timeout: WAIT_MS });
    const got = await ann.evaluate(() => (window as unknown as DemoWindow).dataReceived);
    // Binary comes as sent, without a sender; ann does not get her own text back.
    expect(got).toHaveLength(1);
    expect(got[0]?.data).toEqual([1, 2, 3, 250]);
    expect(got[0]?.participantId).toBeUndefined();
    expect(pageErrors).toEqual([]);
  });

  it("delivers ann's shared screen to bob as a `screen` track that decodes", async () => {
    expect(annId, 'the first step joined').not.toBe('');
    await ann.locator('caas-call [data-testid="call-screen"]').click();
    await ann.locator('caas-call [data-testid="call-screen"][aria-pressed="true"]').waitFor({ timeout: WAIT_MS });
    const capture = await ann.evaluate(() => (window as unknown as DemoWindow).screenCapture);
    console.info(`screen capture in headless Chromium: ${capture}`);
    await tile(bob, annId, 'screen', ' video[data-track-source="screen"]').waitFor({ timeout: MEDIA_WAIT_MS });
    expect(await grows(bob, 'screen', 'framesDecoded')).toBeGreaterThan(0);

    await mkdir(ARTIFACTS, { recursive: true });
    await ann.screenshot({ path: join(ARTIFACTS, 'call-ann.png') });
    await bob.screenshot({ path: join(ARTIFACTS, 'call-bob.png') });
    expect(pageErrors).toEqual([]);
  });

  it("removes the screen tile on bob's page when ann stops sharing, and the camera goes on", async () => {
    expect(annId, 'the first step joined').not.toBe('');
    await ann.locator('caas-call [data-testid="call-screen"]').click();
    await ann.locator('caas-call [data-testid="call-screen"][aria-pressed="false"]').waitFor({ timeout: WAIT_MS });
    // The offer that stops sending unpublishes the track: bob hears call.track_unpublished.
    await tile(bob, annId, 'screen').waitFor({ state: 'detached', timeout: MEDIA_WAIT_MS });
    expect(
      await bob.evaluate((id) => (window as unknown as DemoWindow).room?.remoteParticipants.get(id)?.getTrack('screen') === undefined, annId),
    ).toBe(true);
    expect(Object.keys(await localTracks(ann)).sort()).toEqual(['camera', 'microphone']);
    const before = await counter(bob, 'camera', 'framesDecoded');
    expect(await grows(bob, 'camera', 'framesDecoded', before)).toBeGreaterThan(before);
    expect(pageErrors).toEqual([]);
  });

  it("removes bob's tile on ann's page when bob leaves", async () => {
    expect(bobId, 'the first step joined').not.toBe('');
    await bob.locator('caas-call [data-testid="call-leave"]').click();
    await bob.getByTestId('demo-status').filter({ hasText: 'Left the call (left)' }).waitFor({ timeout: WAIT_MS });
    await ann
      .locator(`caas-call [data-testid="call-tile"][data-participant-id="${bobId}"]`)
      .waitFor({ state: 'detached', timeout: WAIT_MS });
    expect(await ann.evaluate(() => (window as unknown as DemoWindow).room?.remoteParticipants.size)).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
