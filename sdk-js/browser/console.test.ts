/**
 * The client console (`/console`, server-rendered HTML) in a real browser, as
 * a new client developer meets it: signs up, creates an app and copies its
 * credentials with the Copy buttons (read back from the clipboard), saves the
 * app's server-IP and web-origin allowlists, then — from a script, with the
 * secret just shown — creates sessions for ann and bob on the admin API (a
 * wrong secret gets 401), and as ann makes a group "General" and sends
 * messages. The Usage tab's charts then count those messages, the two active
 * users and the sessions, and list "General" among the top conversations; the
 * Billing tab shows the Free plan with 2 monthly active users; the audit log
 * lists the app's creation and allowlist changes and today's sessions.
 * Logging out sends the apps page back to the sign-in form. Screenshots of
 * each step go to browser/artifacts/.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SDK_DIR, startDemoServer, type DemoServer } from './server.js';

const CHROMIUM = process.env['CAAS_CHROMIUM'] ?? '/usr/bin/chromium';
const ARTIFACTS = join(SDK_DIR, 'browser', 'artifacts');
/** The bound of every wait. */
const WAIT_MS = 15_000;
/** Messages ann sends. */
const MESSAGES = 3;
/** The usage charts, one per metric. */
const METRICS = ['messages', 'dau', 'mau', 'connections', 'audio', 'video', 'sessions', 'storage', 'egress'];

let server: DemoServer | undefined;
let browser: Browser | undefined;
let context: BrowserContext | undefined;
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium, or set CAAS_CHROMIUM)`);
  server = await startDemoServer();
  await mkdir(ARTIFACTS, { recursive: true });
}, 90_000);

afterAll(async () => {
  await context?.close().catch(() => undefined);
  await browser?.close().catch(() => undefined);
  await server?.stop();
});

async function shows(locator: Locator): Promise<void> {
  await locator.waitFor({ state: 'visible', timeout: WAIT_MS });
}

async function text(locator: Locator): Promise<string> {
  return ((await locator.textContent({ timeout: WAIT_MS })) ?? '').trim();
}

/** The fields of the API's answers that the test reads. */
interface Reply {
  token?: string;
  conversation?: { id?: string };
  error?: { code?: string; message?: string };
}

/** A JSON request to the server from this process (the client's backend or app). */
async function api(method: string, path: string, auth: string, body?: unknown): Promise<{ status: number; json: Reply }> {
  const res = await fetch(`${server!.url}${path}`, {
    method,
    headers: { authorization: auth, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(WAIT_MS),
  });
  const raw = await res.text();
  try {
    return { status: res.status, json: JSON.parse(raw) as Reply };
  } catch {
    throw new Error(`${method} ${path}: ${res.status}, not JSON: ${raw.slice(0, 200)}`);
  }
}

function basic(key: string, secret: string): string {
  return `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;
}

/** Clicks the Copy button of `#id` and returns what landed on the clipboard. */
async function copy(page: Page, id: string): Promise<string> {
  const button = page.locator(`button.copy[data-copy="${id}"]`);
  await button.click();
  // The button says "Copied" for 1.5 s once the clipboard has the text.
  await shows(page.locator(`button.copy[data-copy="${id}"]`, { hasText: 'Copied' }));
  return page.evaluate(() => navigator.clipboard.readText());
}

describe('the client console in Chromium', () => {
  it('a developer signs up, creates an app, sets allowlists, and sees usage, billing and audit', async () => {
    const url = server!.url;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      timeout: WAIT_MS * 2,
    });
    context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: url });
    context.setDefaultTimeout(WAIT_MS);
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') {
        pageErrors.push(`console: ${msg.text()} (${msg.location().url})`);
      }
    });

    // Step 1: sign up; the console lands on the (empty) apps page.
    await page.goto(`${url}/console/signup`, { timeout: WAIT_MS });
    await shows(page.getByRole('heading', { name: 'Create your account' }));
    await page.screenshot({ path: join(ARTIFACTS, 'console-signup.png') });
    await page.locator('input[name="name"]').fill('Dana Developer');
    await page.locator('input[name="email"]').fill('dana@acme.example');
    await page.locator('input[name="password"]').fill('correct horse battery');
    await page.locator('input[name="team"]').fill('Acme');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${url}/console/apps`, { timeout: WAIT_MS });
    await shows(page.getByRole('heading', { name: 'Apps' }));
    await shows(page.locator('#no-apps'));
    await page.screenshot({ path: join(ARTIFACTS, 'console-apps.png') });

    // Step 2: create an app; its credentials are shown once, and Copy puts each on the clipboard.
    await page.getByPlaceholder('App name, e.g. Acme Chat').fill('Acme Chat');
    await page.getByRole('button', { name: 'Create app' }).click();
    await shows(page.locator('code#api-secret'));
    const appId = await text(page.locator('code#app-id'));
    const apiKey = await text(page.locator('code#api-key'));
    const apiSecret = await text(page.locator('code#api-secret'));
    expect(appId).not.toBe('');
    expect(apiKey).not.toBe('');
    expect(apiSecret.length).toBeGreaterThanOrEqual(20);
    expect(await copy(page, 'app-id')).toBe(appId);
    expect(await copy(page, 'api-key')).toBe(apiKey);
    const copiedSecret = await copy(page, 'api-secret');
    expect(copiedSecret).toBe(apiSecret);
    await page.screenshot({ path: join(ARTIFACTS, 'console-credentials.png') });

    // Step 3: the app's settings: new apps allow loopback; add a network and a web origin.
    await page.getByRole('link', { name: 'Go to the app' }).click();
    await page.waitForURL(`${url}/console/apps/${appId}`, { timeout: WAIT_MS });
    await expect.poll(() => page.locator('nav.tabs a').allTextContents()).toEqual(['Settings', 'Usage', 'Billing']);
    const ips = page.locator('textarea[name="ips"]');
    expect((await ips.inputValue()).split('\n')).toEqual(['127.0.0.1/32', '::1/128']);
    await ips.fill('127.0.0.1\n10.1.2.0/24');
    await page.getByRole('button', { name: 'Save Server IPs' }).click();
    await shows(page.locator('p.flash.ok', { hasText: 'Server IPs saved.' }));
    expect((await page.locator('textarea[name="ips"]').inputValue()).split('\n')).toEqual(['127.0.0.1/32', '10.1.2.0/24']);
    await page.locator('textarea[name="origins"]').fill('https://app.example.com');
    await page.getByRole('button', { name: 'Save Web origins' }).click();
    await shows(page.locator('p.flash.ok', { hasText: 'Web origins saved.' }));
    expect(await page.locator('textarea[name="origins"]').inputValue()).toBe('https://app.example.com');
    expect((await page.locator('textarea[name="ips"]').inputValue()).split('\n')).toEqual(['127.0.0.1/32', '10.1.2.0/24']);
    await page.screenshot({ path: join(ARTIFACTS, 'console-settings.png'), fullPage: true });

    // Step 4: a script with the shown (copied) secret creates sessions; a wrong secret is refused.
    const today = new Date().toISOString().slice(0, 10); // the UTC day the sessions are counted on
    const wrong = await api('POST', '/v1/admin/sessions', basic(apiKey, `${copiedSecret}x`), { user_id: 'ann', name: 'Ann' });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error?.code).toBe('unauthorized');
    const ann = await api('POST', '/v1/admin/sessions', basic(apiKey, copiedSecret), { user_id: 'ann', name: 'Ann' });
    expect(ann.status, JSON.stringify(ann.json)).toBe(200);
    expect(typeof ann.json.token).toBe('string');
    const bob = await api('POST', '/v1/admin/sessions', basic(apiKey, copiedSecret), { user_id: 'bob', name: 'Bob' });
    expect(bob.status, JSON.stringify(bob.json)).toBe(200);
    const annAuth = `Bearer ${ann.json.token ?? ''}`;
    const created = await api('POST', '/v1/conversations', annAuth, { kind: 'group', members: ['bob'], name: 'General' });
    expect(created.status, JSON.stringify(created.json)).toBe(200);
    const conversationId = created.json.conversation?.id ?? '';
    expect(conversationId).not.toBe('');
    for (let i = 1; i <= MESSAGES; i++) {
      const sent = await api('POST', `/v1/conversations/${encodeURIComponent(conversationId)}/messages`, annAuth, { text: `hello ${i}` });
      expect(sent.status, JSON.stringify(sent.json)).toBe(200);
    }

    // Step 5: the Usage tab (loading it flushes the meters) counts them.
    const usageUrl = `${url}/console/apps/${appId}/usage`;
    const messagesChart = page.locator('#chart-messages');
    await expect
      .poll(
        async () => {
          await page.goto(usageUrl, { timeout: WAIT_MS });
          return messagesChart.getAttribute('data-total');
        },
        { timeout: WAIT_MS, interval: 500 },
      )
      .toBe(String(MESSAGES));
    for (const metric of METRICS) {
      const chart = page.locator(`figure.chart#chart-${metric}`);
      await shows(chart);
      expect(await chart.getAttribute('data-total'), metric).toMatch(/^\d+$/);
      expect(await chart.locator('svg rect.bar').count(), metric).toBeGreaterThan(0);
    }
    const barValues = await messagesChart.locator('rect.bar').evaluateAll((bars) => bars.map((b) => Number(b.getAttribute('data-value'))));
    expect(barValues.reduce((a, b) => a + b, 0)).toBe(MESSAGES);
    expect(await page.locator('#chart-dau').getAttribute('data-total')).toBe('2');
    // This month's bar of the monthly chart counts both users.
    expect(await page.locator('#chart-mau rect.bar').last().getAttribute('data-value')).toBe('2');
    expect(Number(await page.locator('#chart-sessions').getAttribute('data-total'))).toBeGreaterThanOrEqual(2);
    const general = page.locator('#top-conversations tbody tr', { hasText: 'General' });
    await shows(general);
    expect(await text(general.locator('td.num'))).toBe(String(MESSAGES));
    await page.screenshot({ path: join(ARTIFACTS, 'console-usage.png'), fullPage: true });

    // Step 6: the Billing tab: the Free plan, 2 monthly active users.
    await page.locator('nav.tabs').getByRole('link', { name: 'Billing' }).click();
    await page.waitForURL(`${url}/console/apps/${appId}/billing`, { timeout: WAIT_MS });
    expect(await text(page.locator('#plan-name'))).toBe('Free');
    const mau = page.locator('#quotas tr[data-metric="mau"]');
    await shows(mau);
    expect(await text(mau.locator('td').nth(1))).toBe('2');
    await page.screenshot({ path: join(ARTIFACTS, 'console-billing.png'), fullPage: true });

    // Step 7: the audit log: the app's creation and allowlist changes, and today's sessions.
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.waitForURL(`${url}/console/audit`, { timeout: WAIT_MS });
    await shows(page.locator('table#audit'));
    const actions = await page.locator('table#audit tr[data-action]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
    expect(actions).toEqual(expect.arrayContaining(['app.created', 'app.ips_changed', 'app.origins_changed']));
    const sessionsRow = page.locator('table#sessions tbody tr', { hasText: 'Acme Chat' }).filter({ hasText: today });
    await shows(sessionsRow);
    expect(Number(await text(sessionsRow.locator('td.num')))).toBeGreaterThanOrEqual(2);
    await page.screenshot({ path: join(ARTIFACTS, 'console-audit.png'), fullPage: true });

    // Step 8: log out; the apps page then asks to sign in.
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(/\/console\/login/, { timeout: WAIT_MS });
    await page.goto(`${url}/console/apps`, { timeout: WAIT_MS });
    expect(new URL(page.url()).pathname).toBe('/console/login');
    await shows(page.getByRole('heading', { name: 'Log in' }));

    expect(pageErrors).toEqual([]);
  });
});
