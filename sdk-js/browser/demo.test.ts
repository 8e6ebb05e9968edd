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
  it('lets ann and bob chat: message, typing indicator, read receipt', async () => {
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

    await mkdir(ARTIFACTS, { recursive: true });
    await ann.screenshot({ path: join(ARTIFACTS, 'ann.png') });
    await bob.screenshot({ path: join(ARTIFACTS, 'bob.png') });
    expect(pageErrors).toEqual([]);
  });
});
