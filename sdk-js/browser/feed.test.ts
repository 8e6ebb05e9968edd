/**
 * `<caas-feed>` and `<caas-notifications>` in a real browser: ann and bob open
 * the feed demo (`caas serve --demo`, the SDK from dist/ as it is) in headless
 * Chromium. bob follows ann (REST); ann's bell counts it live. ann posts a
 * text with an image and shares a story with the composer; bob's home feed
 * shows the post (the image loads through /v1/files/{id}?token=…) and ann's
 * unseen story ring; bob watches the story (a view is recorded, the ring turns
 * seen), likes the post and comments on it; ann's badge goes up live with each,
 * her panel reads "bob liked your post" and "bob commented on your post", and
 * Mark all read resets the badge. Last, ann shares the post into a chat with
 * bob, whose chat window shows it as a card with the text excerpt. Run with
 * `npm run test:browser` (it builds dist/).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
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
  server = await startDemoServer();
}, 90_000);

afterAll(async () => {
  for (const c of contexts.splice(0)) await c.close().catch(() => undefined);
  for (const p of profiles) await rm(p, { recursive: true, force: true });
  profiles = [];
  await server?.stop();
});

/** A browser of its own (fresh profile) with `path` open as `user`, once connected. */
async function openAs(user: string, path = '/demo/feed.html'): Promise<{ page: Page; context: BrowserContext }> {
  const profile = await mkdtemp(join(tmpdir(), `caas-chromium-feed-${user}-`));
  profiles.push(profile);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1000, height: 760 },
    timeout: WAIT_MS * 2,
  });
  contexts.push(context);
  context.setDefaultTimeout(WAIT_MS);
  const page = context.pages()[0] ?? (await context.newPage());
  watch(page, user);
  await page.goto(`${server!.url}${path}?user=${user}`, { timeout: WAIT_MS });
  await connected(page, user);
  return { page, context };
}

function watch(page: Page, user: string): void {
  page.on('pageerror', (error) => pageErrors.push(`${user}: ${error.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageErrors.push(`${user} console: ${msg.text()}`);
  });
}

async function connected(page: Page, user: string): Promise<void> {
  try {
    await page.getByTestId('demo-status').filter({ hasText: 'Connected' }).waitFor({ timeout: WAIT_MS });
  } catch (error) {
    const status = await page.getByTestId('demo-status').textContent().catch(() => '?');
    throw new Error(`${user}: not connected (status: ${status}; page errors: ${pageErrors.join(' | ')}; server: ${server!.log.slice(-5).join(' | ')})`, { cause: error });
  }
}

/** Waits (bounded) until `locator` is visible. */
async function shows(locator: Locator): Promise<void> {
  await locator.waitFor({ state: 'visible', timeout: WAIT_MS });
}

/** Waits (bounded) until the bell's badge reads `text` (`''`: no badge). */
async function badgeIs(page: Page, text: string): Promise<void> {
  await page.waitForFunction(
    (want) => (document.querySelector('caas-notifications')?.shadowRoot?.querySelector('[data-testid="notifications-badge"]')?.textContent?.trim() ?? '') === want,
    text,
    { timeout: WAIT_MS },
  );
}

/** Waits (bounded) until the image matched by `selector` in `<caas-feed>`'s shadow root has loaded real pixels. */
async function imageLoaded(page: Page, selector: string): Promise<void> {
  await page.waitForFunction(
    (sel) => {
      const img = document.querySelector('caas-feed')?.shadowRoot?.querySelector<HTMLImageElement>(sel);
      return img !== null && img !== undefined && img.complete && img.naturalWidth > 0;
    },
    selector,
    { timeout: WAIT_MS },
  );
}

/** A PNG drawn on a canvas in `page`. */
async function drawPng(page: Page): Promise<Buffer> {
  const dataUrl = await page.evaluate(() => {
    const canvas = document.createElement('canvas');
    canvas.width = 96;
    canvas.height = 64;
    const g = canvas.getContext('2d')!;
    g.fillStyle = '#2563eb';
    g.fillRect(0, 0, 96, 64);
    g.fillStyle = '#f59e0b';
    g.beginPath();
    g.arc(48, 32, 20, 0, Math.PI * 2);
    g.fill();
    return canvas.toDataURL('image/png');
  });
  return Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64');
}

describe('<caas-feed> and <caas-notifications> in Chromium', () => {
  it('ann posts and shares a story; bob sees them, watches, likes and comments; ann is notified live', async () => {
    const { page: ann } = await openAs('ann');
    const { page: bob, context: bobContext } = await openAs('bob');
    const annFeed = ann.locator('caas-feed');
    const bobFeed = bob.locator('caas-feed');

    // Step 1: bob follows ann over REST; ann's bell counts the follow live.
    await bob.evaluate(async () => {
      await (window as unknown as { client: CaasClient }).client.rest.post('/v1/users/ann/follow');
    });
    await badgeIs(ann, '1');

    // Step 2: ann writes a post with an image from her composer.
    const png = await drawPng(ann);
    await annFeed.getByTestId('composer-text').fill('Sunset at the lake');
    await annFeed.getByTestId('composer-input').setInputFiles({ name: 'sunset.png', mimeType: 'image/png', buffer: png });
    await shows(annFeed.getByTestId('composer-file'));
    await annFeed.getByTestId('composer-visibility').selectOption('followers');
    await annFeed.getByTestId('composer-submit').click();
    const annPost = annFeed.locator('[data-testid="feed-item"][data-owner="ann"]');
    await shows(annPost);
    await expect.poll(() => annPost.getByTestId('feed-text').textContent(), { timeout: WAIT_MS }).toBe('Sunset at the lake');
    const postId = (await annPost.getAttribute('data-object-id'))!;
    expect(postId).toBeTruthy();
    await imageLoaded(ann, '[data-testid="feed-item"][data-owner="ann"] [data-testid="feed-image"]');

    // Step 3: ann shares a story (the same picture, with a caption); her own ring shows first.
    await annFeed.getByTestId('composer-kind').selectOption('story');
    await annFeed.getByTestId('composer-text').fill('Morning swim');
    await annFeed.getByTestId('composer-input').setInputFiles({ name: 'swim.png', mimeType: 'image/png', buffer: png });
    await annFeed.getByTestId('composer-submit').click();
    await shows(annFeed.locator('[data-testid="story-ring"][data-owner="ann"]'));
    await expect.poll(() => annFeed.getByTestId('composer-text').inputValue(), { timeout: WAIT_MS }).toBe('');

    // Step 4: bob refreshes his home feed: ann's post with its image, and her unseen story ring.
    await bobFeed.getByTestId('feed-refresh').click();
    const bobPost = bobFeed.locator(`[data-testid="feed-item"][data-object-id="${postId}"]`);
    await shows(bobPost);
    expect(await bobPost.getByTestId('feed-text').textContent()).toBe('Sunset at the lake');
    expect(await bobPost.getAttribute('data-own')).toBe('false');
    await imageLoaded(bob, `[data-object-id="${postId}"] [data-testid="feed-image"]`);
    const imgSrc = (await bobPost.getByTestId('feed-image').getAttribute('src'))!;
    expect(imgSrc).toMatch(/\/v1\/files\/[^/?]+\?token=/);
    const ring = bobFeed.locator('[data-testid="story-ring"][data-owner="ann"]');
    await shows(ring);
    expect(await ring.getAttribute('data-seen')).toBe('false');

    // Step 5: bob opens the ring: the viewer shows the story's picture and caption, and records the view.
    await ring.click();
    const viewer = bobFeed.getByTestId('story-viewer');
    await shows(viewer);
    expect(await bobFeed.getByTestId('story-caption').textContent()).toBe('Morning swim');
    await imageLoaded(bob, '[data-testid="story-image"]');
    await mkdir(ARTIFACTS, { recursive: true });
    await bob.screenshot({ path: join(ARTIFACTS, 'feed-bob-story.png') });
    await bob.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached', timeout: WAIT_MS });
    await expect.poll(() => ring.getAttribute('data-seen'), { timeout: WAIT_MS }).toBe('true');
    const viewers = await ann.evaluate(async () => {
      const client = (window as unknown as { client: CaasClient }).client;
      const rings = await client.feed.stories();
      return client.objects.viewers(rings[0]!.stories[0]!.id);
    });
    expect(viewers.map((v) => v.user_id)).toEqual(['bob']);

    // Step 6: bob likes the post; ann's badge goes up live.
    const like = bobPost.getByTestId('like-button');
    await like.click();
    await expect.poll(() => like.getAttribute('aria-pressed'), { timeout: WAIT_MS }).toBe('true');
    await expect.poll(() => bobPost.getByTestId('like-count').textContent(), { timeout: WAIT_MS }).toBe('1');
    await badgeIs(ann, '2');

    // Step 7: bob comments; it shows in his panel, the count moves, and ann's badge goes up again.
    await bobPost.getByTestId('comments-button').click();
    await shows(bobPost.getByTestId('comments-panel'));
    await bobPost.getByTestId('comment-input').fill('Nice!');
    await bobPost.getByTestId('comment-submit').click();
    await shows(bobPost.locator('[data-testid="comment"][data-author="bob"]'));
    expect(await bobPost.locator('[data-testid="comment"][data-author="bob"] [data-testid="comment-text"]').textContent()).toBe('Nice!');
    await expect.poll(() => bobPost.getByTestId('comment-count').textContent(), { timeout: WAIT_MS }).toBe('1');
    await badgeIs(ann, '3');

    // Step 8: ann opens her panel: the like and the comment, in words.
    const bell = ann.locator('caas-notifications');
    await bell.getByTestId('notifications-bell').click();
    const panel = bell.getByTestId('notifications-panel');
    await shows(panel);
    await expect
      .poll(async () => (await panel.getByTestId('notification-text').allTextContents()).join(' | '), { timeout: WAIT_MS })
      .toBe('bob commented on your post: “Nice!” | bob liked your post | bob started following you');
    expect(await panel.locator('[data-testid="notification"][data-read="false"]').count()).toBe(3);
    await ann.screenshot({ path: join(ARTIFACTS, 'feed-ann.png') });
    await bob.screenshot({ path: join(ARTIFACTS, 'feed-bob.png') });

    // Step 9: Mark all read resets the badge, here and on the server.
    await panel.getByTestId('notifications-mark-all').click();
    await badgeIs(ann, '');
    await expect.poll(() => panel.locator('[data-testid="notification"][data-read="false"]').count(), { timeout: WAIT_MS }).toBe(0);
    const unread = await ann.evaluate(() => (window as unknown as { client: CaasClient }).client.notifications.unreadCount());
    expect(unread).toBe(0);

    // Step 10: ann shares the post into a direct chat with bob; bob's chat window shows it as a card.
    const conversationId = await ann.evaluate(async (id) => {
      const client = (window as unknown as { client: CaasClient }).client;
      const conv = await client.conversations.create({ kind: 'direct', members: ['bob'] });
      await client.objects.share(id, conv.id, 'look at this');
      return conv.id;
    }, postId);
    const chat = await bobContext.newPage();
    watch(chat, 'bob (chat)');
    await chat.goto(`${server!.url}/demo/?user=bob&c=${encodeURIComponent(conversationId)}`, { timeout: WAIT_MS });
    await connected(chat, 'bob (chat)');
    const card = chat.locator(`caas-chat-window [data-testid="object-card"][data-object-id="${postId}"]`);
    await shows(card);
    await expect.poll(() => card.getAttribute('data-state'), { timeout: WAIT_MS }).toBe('ready');
    expect(await card.getByTestId('object-card-text').textContent()).toBe('Sunset at the lake');
    expect(await card.textContent()).toContain('Post by ann');
    await chat.screenshot({ path: join(ARTIFACTS, 'feed-bob-chat-card.png') });

    expect(pageErrors).toEqual([]);
  });
});
