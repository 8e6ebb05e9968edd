/**
 * `<caas-calendar>` and `<caas-tasks>` in a real browser, on the calendar and
 * tasks demo (`demo/work.html`). ann and bob share a group conversation; ann
 * creates an event inviting bob with the calendar's dialog; bob's calendar
 * shows it and he answers Going; ann sees his answer. ann adds a task for bob
 * on the conversation's board; bob moves it to the next column with its ›
 * button; ann drags it to the last column with the mouse; the server's board
 * agrees.
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
/** A fixed week, so that the test does not depend on today. */
const DAY = '2026-12-16';

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

async function openAs(user: string, query: string): Promise<Page> {
  const profile = await mkdtemp(join(tmpdir(), `caas-chromium-work-${user}-`));
  profiles.push(profile);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1100, height: 800 },
    timeout: WAIT_MS * 2,
  });
  contexts.push(context);
  context.setDefaultTimeout(WAIT_MS);
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => pageErrors.push(`${user}: ${error.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageErrors.push(`${user} console: ${msg.text()}`);
  });
  await page.goto(`${server!.url}/demo/work.html?user=${user}&${query}`, { timeout: WAIT_MS });
  await page.getByTestId('demo-status').filter({ hasText: 'Connected' }).waitFor({ timeout: WAIT_MS });
  return page;
}

async function shows(locator: Locator): Promise<void> {
  await locator.waitFor({ state: 'visible', timeout: WAIT_MS });
}

describe('<caas-calendar> and <caas-tasks> in Chromium', () => {
  it('ann invites bob to an event and he answers; a task moves across the board by button and by drag', async () => {
    // The users exist once they open a page; ann then makes the group.
    const bob0 = await openAs('bob', `date=${DAY}`);
    const ann0 = await openAs('ann', `date=${DAY}`);
    const conversationId = await ann0.evaluate(async () => {
      const client = (window as unknown as { client: CaasClient }).client;
      return (await client.conversations.create({ kind: 'group', name: 'Launch', members: ['bob'] })).id;
    });
    const q = `date=${DAY}&conversation=${encodeURIComponent(conversationId)}`;
    await ann0.goto(`${server!.url}/demo/work.html?user=ann&${q}`);
    await bob0.goto(`${server!.url}/demo/work.html?user=bob&${q}`);
    for (const p of [ann0, bob0]) await p.getByTestId('demo-status').filter({ hasText: 'Connected' }).waitFor({ timeout: WAIT_MS });
    const ann = ann0;
    const bob = bob0;

    // Step 1: ann creates an event on the 17th, 14:00–15:30, inviting bob.
    const annCal = ann.locator('caas-calendar');
    await shows(annCal.getByTestId('calendar-month'));
    expect(await annCal.getByTestId('calendar-title').textContent()).toBe('December 2026');
    await annCal.locator('[data-testid="calendar-day"][data-date="2026-12-17"] button.num').click();
    const dialog = annCal.getByTestId('calendar-dialog');
    await shows(dialog);
    await dialog.getByTestId('event-title').fill('Design review');
    await dialog.getByTestId('event-start').fill('14:00');
    await dialog.getByTestId('event-end').fill('15:30');
    await dialog.getByTestId('event-attendees').fill('bob');
    await dialog.getByTestId('event-call').check();
    await dialog.getByTestId('event-save').click();
    await dialog.waitFor({ state: 'detached', timeout: WAIT_MS });
    const annChip = annCal.locator('[data-testid="calendar-day"][data-date="2026-12-17"] [data-testid="calendar-event"]');
    await shows(annChip);
    expect(await annChip.textContent()).toContain('Design review');

    // Step 2: bob's calendar (reloaded) shows it; he opens it and answers Going.
    const bobCal = bob.locator('caas-calendar');
    await bobCal.getByTestId('calendar-view-week').click();
    await bobCal.getByTestId('calendar-view-month').click();
    const bobChip = bobCal.locator('[data-testid="calendar-day"][data-date="2026-12-17"] [data-testid="calendar-event"]');
    await shows(bobChip);
    await bobChip.click();
    const details = bobCal.getByTestId('calendar-details');
    await shows(details);
    expect(await details.getByTestId('details-time').textContent()).toContain('14:00–15:30');
    await details.getByTestId('rsvp-accepted').click();
    await expect.poll(() => details.getByTestId('rsvp-accepted').getAttribute('aria-pressed'), { timeout: WAIT_MS }).toBe('true');
    expect(await details.getByTestId('details-call').textContent()).toMatch(/event:/);

    // Step 3: ann opens it: bob is going.
    await annChip.click();
    const annDetails = annCal.getByTestId('calendar-details');
    await shows(annDetails.locator('[data-testid="details-attendees"] li[data-user-id="bob"][data-rsvp="accepted"]'));
    await mkdir(ARTIFACTS, { recursive: true });
    await ann.screenshot({ path: join(ARTIFACTS, 'work-calendar-ann.png') });
    await annDetails.getByTestId('details-close').click();
    await annCal.getByTestId('calendar-view-week').click();
    await shows(annCal.locator('[data-testid="calendar-column"][data-date="2026-12-17"] [data-testid="calendar-event"]'));
    await ann.screenshot({ path: join(ARTIFACTS, 'work-calendar-week.png') });

    // Step 4: ann adds a task for bob on the conversation's board.
    await ann.getByTestId('tab-tasks').click();
    const annTasks = ann.locator('caas-tasks');
    await shows(annTasks.getByTestId('tasks-board'));
    await annTasks.getByTestId('tasks-new-title').fill('Write release notes');
    await annTasks.getByTestId('tasks-new-priority').selectOption('high');
    await annTasks.getByTestId('tasks-new-assignees').fill('bob');
    await annTasks.getByTestId('tasks-new-submit').click();
    const annCard = annTasks.locator('[data-testid="task-card"]').filter({ hasText: 'Write release notes' });
    await shows(annCard);
    const taskId = (await annCard.getAttribute('data-task-id'))!;
    expect(await annTasks.locator(`[data-testid="task-column"][data-status="todo"] [data-task-id="${taskId}"]`).count()).toBe(1);

    // Step 5: bob sees it on his board and moves it on with its › button.
    await bob.getByTestId('tab-tasks').click();
    const bobTasks = bob.locator('caas-tasks');
    await shows(bobTasks.getByTestId('tasks-board'));
    await bobTasks.getByTestId('tasks-refresh').click();
    const bobCard = bobTasks.locator(`[data-testid="task-card"][data-task-id="${taskId}"]`);
    await shows(bobCard);
    expect(await bobCard.getByTestId('task-assignees').textContent()).toBe('you');
    await bobCard.getByTestId('task-move-right').click();
    await shows(bobTasks.locator(`[data-testid="task-column"][data-status="doing"] [data-task-id="${taskId}"]`));

    // Step 6: ann (refreshed) sees it in "doing" and drags it to "done" with the mouse.
    await annTasks.getByTestId('tasks-refresh').click();
    const doing = annTasks.locator(`[data-testid="task-column"][data-status="doing"] [data-task-id="${taskId}"]`);
    await shows(doing);
    await doing.dragTo(annTasks.locator('[data-testid="task-column"][data-status="done"]'));
    await shows(annTasks.locator(`[data-testid="task-column"][data-status="done"] [data-task-id="${taskId}"]`));
    await expect
      .poll(
        () =>
          ann.evaluate(async (conv) => {
            const board = await (window as unknown as { client: CaasClient }).client.tasks.board(conv);
            return board.columns.find((c) => c.tasks.length > 0)?.status;
          }, conversationId),
        { timeout: WAIT_MS },
      )
      .toBe('done');
    const activity = await ann.evaluate(async (id) => (await (window as unknown as { client: CaasClient }).client.tasks.activity(id)).map((a) => `${a.actor_id}:${a.action}:${String(a.to)}`), taskId);
    expect(activity).toEqual(expect.arrayContaining(['bob:status:doing', 'ann:status:done']));
    await ann.screenshot({ path: join(ARTIFACTS, 'work-tasks-ann.png') });
    expect(pageErrors).toEqual([]);
  });
});
