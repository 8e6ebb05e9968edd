/**
 * `<caas-whiteboard>` in a real browser: two users open one whiteboard on the
 * whiteboard demo page (`caas serve --demo`, the SDK from dist/ as it is, yjs
 * through the page's import map to demo/vendor/) in headless Chromium. ann
 * creates the board (bob as editor) and draws a stroke with the mouse; bob's
 * canvas shows it; ann's Ctrl+Z / Ctrl+Shift+Z undo and redo it on both; bob's
 * pointer shows as a named cursor on ann's canvas; the REST content holds the
 * stroke. Run with `npm run test:browser` (it builds dist/ and demo/vendor/).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { CaasClient } from '../src/client/client.js';
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
  if (!existsSync(join(SDK_DIR, 'demo', 'vendor', 'yjs.js'))) throw new Error('demo/vendor/ is not built: run npm run build:demo-vendor');
  server = await startDemoServer();
}, 90_000);

afterAll(async () => {
  for (const c of contexts.splice(0)) await c.close().catch(() => undefined);
  for (const p of profiles) await rm(p, { recursive: true, force: true });
  profiles = [];
  await server?.stop();
});

/** A browser of its own (fresh profile) with the whiteboard demo at `query`, once the board is in sync. */
async function openAs(user: string, query: string): Promise<Page> {
  const profile = await mkdtemp(join(tmpdir(), `caas-chromium-wb-${user}-`));
  profiles.push(profile);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1000, height: 640 },
    timeout: WAIT_MS * 2,
  });
  contexts.push(context);
  context.setDefaultTimeout(WAIT_MS);
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => pageErrors.push(`${user}: ${error.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageErrors.push(`${user} console: ${msg.text()}`);
  });
  await page.goto(`${server!.url}/demo/whiteboard.html?user=${user}&${query}`, { timeout: WAIT_MS });
  try {
    await page.getByTestId('demo-status').filter({ hasText: 'Synced' }).waitFor({ timeout: WAIT_MS });
  } catch (error) {
    const status = await page.getByTestId('demo-status').textContent().catch(() => '?');
    throw new Error(`${user}: the board did not sync (status: ${status}; page errors: ${pageErrors.join(' | ')}; server: ${server!.log.slice(-5).join(' | ')})`, { cause: error });
  }
  return page;
}

describe('<caas-whiteboard> in Chromium', () => {
  it('shares strokes, undo/redo and live cursors between ann and bob', async () => {
    // Step 1: ann creates the board (bob as editor) and is in sync.
    const ann = await openAs('ann', 'editors=bob');
    const docId = new URL(ann.url()).searchParams.get('doc');
    expect(docId).toBeTruthy();

    // Step 2: bob opens the same board.
    const bob = await openAs('bob', `doc=${encodeURIComponent(docId!)}`);

    // Step 3: ann picks the pen (a toggle button) and draws a stroke with the mouse.
    const annBoard = ann.locator('caas-whiteboard');
    await annBoard.locator('button[data-tool="pen"]').click();
    expect(await annBoard.locator('button[data-tool="pen"]').getAttribute('aria-pressed')).toBe('true');
    expect(await annBoard.locator('button[data-tool="rect"]').getAttribute('aria-pressed')).toBe('false');
    const canvas = annBoard.getByTestId('whiteboard-canvas');
    const box = (await canvas.boundingBox())!;
    expect(box.width).toBeGreaterThan(200);
    await ann.mouse.move(box.x + 100, box.y + 100);
    await ann.mouse.down();
    for (let i = 1; i <= 20; i++) await ann.mouse.move(box.x + 100 + i * 15, box.y + 100 + Math.round(40 * Math.sin(i / 3)));
    await ann.mouse.up();
    await annBoard.locator('[data-shape-type="stroke"]').waitFor({ state: 'visible', timeout: WAIT_MS });

    // Step 4: bob's canvas shows it, with all its points.
    const bobStroke = bob.locator('caas-whiteboard [data-shape-type="stroke"]');
    await bobStroke.waitFor({ state: 'visible', timeout: WAIT_MS });
    await bob.waitForFunction(
      () => {
        const d = document.querySelector('caas-whiteboard')?.shadowRoot?.querySelector('[data-shape-type="stroke"]')?.getAttribute('d') ?? '';
        return (d.match(/L/g) ?? []).length >= 20;
      },
      undefined,
      { timeout: WAIT_MS },
    );

    // Step 5: ann undoes (Ctrl+Z) and redoes (Ctrl+Shift+Z): bob sees the stroke go and come back.
    await canvas.focus();
    await ann.keyboard.press('Control+z');
    await bobStroke.waitFor({ state: 'detached', timeout: WAIT_MS });
    await ann.keyboard.press('Control+Shift+z');
    await bobStroke.waitFor({ state: 'visible', timeout: WAIT_MS });

    // Step 6: bob moves his pointer over his canvas; ann sees his cursor with his name.
    const bobBox = (await bob.locator('caas-whiteboard').getByTestId('whiteboard-canvas').boundingBox())!;
    await bob.mouse.move(bobBox.x + 300, bobBox.y + 200);
    await bob.mouse.move(bobBox.x + 320, bobBox.y + 220, { steps: 3 });
    const bobCursor = annBoard.locator('[data-testid="whiteboard-cursor"][data-name="bob"]');
    await bobCursor.waitFor({ state: 'visible', timeout: WAIT_MS });
    expect(await bobCursor.textContent()).toContain('bob');

    // Step 7: the REST content holds the stroke, in the documented model.
    const content = await bob.evaluate(async (id) => {
      const client = (window as unknown as { client: CaasClient }).client;
      return (await client.docs.get(id)).content;
    }, docId!);
    const c = content as { shapes?: Record<string, { type: string; points: number[] }>; order?: string[] };
    expect(c.order).toHaveLength(1);
    expect(c.shapes?.[c.order![0]!]?.type).toBe('stroke');
    expect(c.shapes?.[c.order![0]!]?.points.length).toBeGreaterThanOrEqual(42);

    // Step 8: bob draws a red rectangle (keyboard: R picks the tool); ann sees it.
    const bobBoard = bob.locator('caas-whiteboard');
    await bobBoard.getByRole('button', { name: 'Colour #cf222e' }).click();
    await bobBoard.getByTestId('whiteboard-canvas').focus();
    await bob.keyboard.press('r');
    expect(await bobBoard.locator('button[data-tool="rect"]').getAttribute('aria-pressed')).toBe('true');
    await bob.mouse.move(bobBox.x + 500, bobBox.y + 300);
    await bob.mouse.down();
    await bob.mouse.move(bobBox.x + 650, bobBox.y + 400, { steps: 5 });
    await bob.mouse.up();
    const annRect = annBoard.locator('[data-shape-type="rect"]');
    await annRect.waitFor({ state: 'visible', timeout: WAIT_MS });
    expect(await annRect.getAttribute('stroke')).toBe('#cf222e');

    await mkdir(ARTIFACTS, { recursive: true });
    await ann.screenshot({ path: join(ARTIFACTS, 'whiteboard-ann.png') });
    await bob.screenshot({ path: join(ARTIFACTS, 'whiteboard-bob.png') });

    // Step 9: ann erases the stroke with the eraser; bob's canvas loses it, the rectangle stays.
    await annBoard.locator('button[data-tool="erase"]').click();
    await ann.mouse.move(box.x + 160, box.y + 60);
    await ann.mouse.down();
    await ann.mouse.move(box.x + 160, box.y + 200, { steps: 10 });
    await ann.mouse.up();
    await bobStroke.waitFor({ state: 'detached', timeout: WAIT_MS });
    expect(await bobBoard.locator('[data-shape-type="rect"]').count()).toBe(1);
    expect(pageErrors).toEqual([]);
  });
});
