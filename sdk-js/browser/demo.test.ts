/**
 * The demo in a real browser: two users chat through `caas serve --demo` in
 * headless Chromium. Run with `npm run test:browser` (it builds dist/ first).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SDK_DIR, startDemoServer, type DemoServer } from './server.js';

const CHROMIUM = process.env['CAAS_CHROMIUM'] ?? '/usr/bin/chromium';
const ARTIFACTS = join(SDK_DIR, 'browser', 'artifacts');
/** The bound of every wait. */
const WAIT_MS = 15_000;

let server: DemoServer | undefined;
const contexts: BrowserContext[] = [];
let profiles: string[] = [];
const pageErrors: string[] = [];

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

/** A browser of its own (fresh profile) with the demo open as `user`. */
async function openAs(user: string): Promise<Page> {
  const profile = await mkdtemp(join(tmpdir(), `caas-chromium-${user}-`));
  profiles.push(profile);
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
    ],
    viewport: { width: 1000, height: 640 },
    timeout: WAIT_MS * 2,
  });
  contexts.push(context);
  context.setDefaultTimeout(WAIT_MS);
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => pageErrors.push(`${user}: ${error.message}`));
  await page.goto(`${server!.url}/demo/?user=${user}`, { timeout: WAIT_MS });
  await page.getByTestId('demo-status').filter({ hasText: 'Connected' }).waitFor({ timeout: WAIT_MS });
  return page;
}

/** Waits (bounded) until `locator` is visible. */
async function shows(locator: Locator): Promise<void> {
  await locator.waitFor({ state: 'visible', timeout: WAIT_MS });
}

describe('the demo in Chromium', () => {
  it('lets ann and bob chat: message, typing indicator, read receipt, reaction, image attachment', async () => {
    const ann = await openAs('ann');
    const bob = await openAs('bob');
    const annWindow = ann.locator('caas-chat-window');
    const bobWindow = bob.locator('caas-chat-window');

    // ann opens a direct chat with bob and says hello.
    await ann.getByTestId('start-chat-user').fill('bob');
    await ann.getByTestId('start-chat-open').click();
    await shows(annWindow.getByTestId('conversation-title').filter({ hasText: 'bob' }));
    await shows(ann.locator('caas-chat-list').getByTestId('chat-row').filter({ hasText: 'bob' }));
    const composer = annWindow.getByTestId('composer');
    await composer.fill('Hello Bob!');
    await composer.press('Enter');
    await shows(annWindow.getByTestId('message').filter({ hasText: 'Hello Bob!' }));
    await shows(annWindow.getByTestId('receipt').and(annWindow.locator('[data-state="sent"]')));

    // bob sees the conversation appear in his list, unread, and opens it.
    const row = bob.locator('caas-chat-list').getByTestId('chat-row').filter({ hasText: 'ann' });
    await shows(row.getByTestId('chat-preview').filter({ hasText: 'Hello Bob!' }));
    await shows(row.getByTestId('unread-badge').filter({ hasText: '1' }));
    await row.click();
    await shows(bobWindow.getByTestId('message').filter({ hasText: 'Hello Bob!' }));

    // bob has seen it: ann's page shows the receipt under her message; bob's badge is gone.
    await shows(annWindow.locator('[data-testid="receipt"][data-state="seen"]').filter({ hasText: 'Seen' }));
    await row.getByTestId('unread-badge').waitFor({ state: 'detached', timeout: WAIT_MS });

    // bob types: ann sees the indicator.
    await bobWindow.getByTestId('composer').pressSequentially('Hi A', { delay: 20 });
    await shows(annWindow.getByTestId('typing-indicator').filter({ hasText: 'bob is typing…' }));

    // bob sends: the message shows on ann's page and the indicator goes.
    await bobWindow.getByTestId('composer').pressSequentially('nn!');
    await bobWindow.getByTestId('send-button').click();
    await shows(annWindow.getByTestId('message').filter({ hasText: 'Hi Ann!' }));
    await annWindow.getByTestId('typing-indicator').filter({ hasText: 'typing' }).waitFor({ state: 'hidden', timeout: WAIT_MS });
    await shows(bobWindow.getByTestId('message').filter({ hasText: 'Hi Ann!' }));

    // ann reacts to bob's message; bob sees the count.
    const hiAnn = annWindow.getByTestId('message-row').filter({ hasText: 'Hi Ann!' });
    await hiAnn.hover();
    await hiAnn.locator('[data-testid="reaction"][data-kind="👍"]').click();
    await shows(hiAnn.locator('[data-testid="reaction"][data-kind="👍"][aria-pressed="true"]').filter({ hasText: '1' }));
    await shows(bobWindow.locator('[data-testid="reaction"][data-kind="👍"][aria-pressed="false"]').filter({ hasText: '1' }));

    // ann attaches an image (a PNG drawn on a canvas in her page) and sends it without text.
    const pngBase64 = await ann.evaluate(() => {
      const canvas = document.createElement('canvas');
      canvas.width = 320;
      canvas.height = 160;
      const g = canvas.getContext('2d');
      if (!g) throw new Error('no 2d canvas');
      g.fillStyle = '#0969da';
      g.fillRect(0, 0, 320, 160);
      g.fillStyle = '#ffd33d';
      g.fillRect(40, 40, 120, 80);
      return canvas.toDataURL('image/png').slice('data:image/png;base64,'.length);
    });
    await annWindow
      .getByTestId('attach-input')
      .setInputFiles({ name: 'drawing.png', mimeType: 'image/png', buffer: Buffer.from(pngBase64, 'base64') });
    const upload = annWindow.getByTestId('upload').filter({ hasText: 'drawing.png' });
    await shows(upload.and(annWindow.locator('[data-state="done"]')));
    expect(await upload.getByTestId('upload-progress').evaluate((p: HTMLProgressElement) => p.value === p.max)).toBe(true);
    await annWindow.getByTestId('send-button').click();
    await upload.waitFor({ state: 'detached', timeout: WAIT_MS });
    await shows(annWindow.locator('[data-testid="attachment"][data-kind="image"]'));

    // bob's page shows the image: the thumbnail loads with his token, and the file itself downloads.
    const bobImage = bobWindow.locator('[data-testid="attachment"][data-kind="image"] img');
    await shows(bobImage);
    await bob.waitForFunction(
      () => {
        const img = document
          .querySelector('caas-chat-window')
          ?.shadowRoot?.querySelector<HTMLImageElement>('[data-testid="attachment"][data-kind="image"] img');
        return img !== null && img !== undefined && img.complete && img.naturalWidth > 0;
      },
      undefined,
      { timeout: WAIT_MS },
    );
    expect(await bobImage.getAttribute('src')).toMatch(/\/v1\/files\/[^/?]+\/thumbnail\?token=/);
    expect([await bobImage.getAttribute('width'), await bobImage.getAttribute('height')]).toEqual(['240', '120']);
    const href = await bobWindow.locator('[data-testid="attachment"][data-kind="image"]').getAttribute('href');
    expect(href).toBeTruthy();
    const download = await bob.evaluate(async (url) => {
      const res = await fetch(url);
      return { status: res.status, type: res.headers.get('content-type'), size: (await res.arrayBuffer()).byteLength };
    }, href ?? '');
    expect(download).toEqual({ status: 200, type: 'image/png', size: Buffer.from(pngBase64, 'base64').length });

    await mkdir(ARTIFACTS, { recursive: true });
    await ann.screenshot({ path: join(ARTIFACTS, 'ann.png') });
    await bob.screenshot({ path: join(ARTIFACTS, 'bob.png') });
    expect(pageErrors).toEqual([]);
  });
});
