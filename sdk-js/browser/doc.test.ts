/**
 * `<caas-doc>` in a real browser: three users open one rich-text document on
 * the doc demo page (`caas serve --demo`, the SDK from dist/ as it is, yjs,
 * y-prosemirror and ProseMirror through the page's import map to
 * demo/vendor/) in headless Chromium. ann creates the document (bob editor,
 * carol viewer), types a heading and a paragraph and makes a word bold with
 * the toolbar; bob's editor shows it; bob types a paragraph and ann's shows
 * it; each sees the other's named caret; the REST content holds it all; ann's
 * undo takes back all of her own changes and none of bob's; carol, a viewer,
 * types, the server refuses it, her editor turns read-only and drops it, and
 * the server's content does not change; bob goes offline, types, and ann gets
 * it once he is back. Run with `npm run test:browser` (it builds dist/ and
 * demo/vendor/).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { CaasClient } from '../src/client/client.js';
import type { CaasDoc } from '../src/components/doc/doc.js';
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
  if (!existsSync(join(SDK_DIR, 'demo', 'vendor', 'y-prosemirror.js'))) throw new Error('demo/vendor/ is not built: run npm run build:demo-vendor');
  server = await startDemoServer();
}, 90_000);

afterAll(async () => {
  for (const c of contexts.splice(0)) await c.close().catch(() => undefined);
  for (const p of profiles) await rm(p, { recursive: true, force: true });
  profiles = [];
  await server?.stop();
});

/** A browser of its own (fresh profile, so its own focus) with the doc demo at `query`, once the document is in sync. */
async function openAs(user: string, query: string): Promise<Page> {
  const profile = await mkdtemp(join(tmpdir(), `caas-chromium-doc-${user}-`));
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
    if (msg.type() === 'error' || msg.type() === 'warning') pageErrors.push(`${user} console ${msg.type()}: ${msg.text()}`);
  });
  await page.goto(`${server!.url}/demo/doc.html?user=${user}&${query}`, { timeout: WAIT_MS });
  try {
    await page.getByTestId('demo-status').filter({ hasText: 'Synced' }).waitFor({ timeout: WAIT_MS });
    await page.locator('caas-doc [data-testid="doc-editor"][contenteditable="true"]').waitFor({ timeout: WAIT_MS });
  } catch (error) {
    const status = await page.getByTestId('demo-status').textContent().catch(() => '?');
    throw new Error(`${user}: the document did not sync (status: ${status}; page errors: ${pageErrors.join(' | ')}; server: ${server!.log.slice(-5).join(' | ')})`, { cause: error });
  }
  return page;
}

/** The editor's text, one line per block (from ProseMirror's state, so without the carets' name labels). */
function docText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const view = document.querySelector<CaasDoc>('caas-doc')?.view;
    return view ? view.state.doc.textBetween(0, view.state.doc.content.size, '\n') : '';
  });
}

/** Waits (bounded) until the editor's text satisfies `test` (a regular expression source and flags, matched or not). */
async function waitForText(page: Page, pattern: RegExp, present = true): Promise<void> {
  try {
    await page.waitForFunction(
      ({ source, flags, present }) => {
        const view = (document.querySelector('caas-doc') as unknown as { view?: CaasDoc['view'] } | null)?.view;
        if (!view) return false;
        const text = view.state.doc.textBetween(0, view.state.doc.content.size, '\n');
        return new RegExp(source, flags).test(text) === present;
      },
      { source: pattern.source, flags: pattern.flags, present },
      { timeout: WAIT_MS, polling: 50 },
    );
  } catch (error) {
    throw new Error(`text ${present ? 'never matched' : 'still matches'} ${pattern}: ${JSON.stringify(await docText(page))}`, { cause: error });
  }
}

/** The document's REST content (`GET /v1/docs/{id}`): the XML of the `prosemirror` root. */
async function restXml(page: Page, docId: string): Promise<string> {
  const content = await page.evaluate(async (id) => {
    const client = (window as unknown as { client: CaasClient }).client;
    return (await client.docs.get(id)).content;
  }, docId);
  const xml = (content as Record<string, unknown> | undefined)?.['prosemirror'];
  return typeof xml === 'string' ? xml : '';
}

describe('<caas-doc> in Chromium', () => {
  it('shares rich text, carets, own-only undo and read-only viewers between ann, bob and carol', async () => {
    // Step 1: ann creates the document (bob editor, carol viewer); bob opens it.
    const ann = await openAs('ann', 'editors=bob&viewers=carol');
    const docId = new URL(ann.url()).searchParams.get('doc');
    expect(docId).toBeTruthy();
    const bob = await openAs('bob', `doc=${encodeURIComponent(docId!)}`);
    const annDoc = ann.locator('caas-doc');
    const bobDoc = bob.locator('caas-doc');
    for (const d of [annDoc, bobDoc]) {
      expect(await d.getByTestId('doc-status').getAttribute('data-status')).toBe('online');
    }

    // Step 2: ann types a title, makes it a heading (toolbar), then a paragraph, and makes "world" bold (toolbar, on a selection).
    await annDoc.getByTestId('doc-editor').click();
    await ann.keyboard.type('Plan');
    await annDoc.locator('button[data-action="heading1"]').click();
    expect(await annDoc.locator('button[data-action="heading1"]').getAttribute('aria-pressed')).toBe('true');
    await ann.keyboard.press('End');
    await ann.keyboard.press('Enter');
    await ann.keyboard.type('Hello brave world');
    expect(await annDoc.locator('button[data-action="heading1"]').getAttribute('aria-pressed')).toBe('false');
    await ann.keyboard.press('Control+Shift+ArrowLeft');
    await annDoc.locator('button[data-action="bold"]').click();
    expect(await annDoc.locator('button[data-action="bold"]').getAttribute('aria-pressed')).toBe('true');
    await annDoc.locator('[data-testid="doc-editor"] strong', { hasText: 'world' }).waitFor();

    // Step 3: bob's editor shows the heading, the paragraph and the bold word.
    await bobDoc.locator('[data-testid="doc-editor"] h1', { hasText: 'Plan' }).waitFor();
    await bobDoc.locator('[data-testid="doc-editor"] strong', { hasText: 'world' }).waitFor();
    await waitForText(bob, /^Plan\nHello brave world$/);

    // Step 4: bob types a paragraph of his own at the end; ann sees it.
    await bobDoc.getByTestId('doc-editor').click();
    await bob.keyboard.press('Control+End');
    await bob.keyboard.press('Enter');
    await bob.keyboard.type('Bob was here');
    await waitForText(bob, /^Plan\nHello brave world\nBob was here$/);
    await waitForText(ann, /^Plan\nHello brave world\nBob was here$/);
    await annDoc.locator('[data-testid="doc-editor"] p', { hasText: 'Bob was here' }).waitFor();

    // Step 5: each sees the other's caret with the name, and the other in the toolbar.
    const bobCaret = annDoc.locator('[data-testid="doc-cursor"][data-name="bob"]');
    await bobCaret.waitFor({ state: 'visible' });
    expect(await bobCaret.textContent()).toContain('bob');
    await ann.keyboard.press('End');
    await bobDoc.locator('[data-testid="doc-cursor"][data-name="ann"]').waitFor({ state: 'visible' });
    await annDoc.locator('[data-testid="doc-user"][data-name="bob"]').waitFor();
    await bobDoc.locator('[data-testid="doc-user"][data-name="ann"]').waitFor();

    await mkdir(ARTIFACTS, { recursive: true });
    await ann.screenshot({ path: join(ARTIFACTS, 'doc-ann.png') });
    await bob.screenshot({ path: join(ARTIFACTS, 'doc-bob.png') });

    // Step 6: the REST content holds it all, as y-prosemirror's XML.
    const xml = await restXml(ann, docId!);
    expect(xml).toContain('<heading level="1">Plan</heading>');
    expect(xml).toMatch(/<paragraph>Hello brave <strong>world<\/strong><\/paragraph>/);
    expect(xml).toContain('<paragraph>Bob was here</paragraph>');

    // Step 7: ann undoes (Undo button, then Ctrl+Z) until nothing of hers is left to undo: all her text goes, on both pages; bob's stays.
    const undo = annDoc.locator('button[data-action="undo"]');
    expect(await undo.isDisabled()).toBe(false);
    await undo.click();
    for (let i = 0; i < 60 && !(await undo.isDisabled()); i++) await ann.keyboard.press('Control+z');
    expect(await undo.isDisabled()).toBe(true);
    await waitForText(ann, /Plan|Hello|brave|world/, false);
    await waitForText(ann, /Bob was here/);
    await waitForText(bob, /Plan|Hello|brave|world/, false);
    await waitForText(bob, /Bob was here/);
    expect((await docText(bob)).trim()).toBe('Bob was here');
    expect(await bobDoc.locator('[data-testid="doc-editor"] strong').count()).toBe(0);
    // Bob's own undo history is untouched.
    expect(await bobDoc.locator('button[data-action="undo"]').isDisabled()).toBe(false);
    const afterUndo = await restXml(bob, docId!);
    expect(afterUndo).toContain('Bob was here');
    expect(afterUndo).not.toMatch(/Plan|Hello|brave|world|<heading/);

    // Step 8: ann redoes once (Ctrl+Shift+Z): bob sees her text come back.
    await ann.keyboard.press('Control+Shift+z');
    await waitForText(bob, /Plan/);

    // Step 9: carol, a viewer, opens the document and types: the server refuses it; her editor turns
    // read-only and drops the change; nobody else sees it and the server's content does not change.
    const before = await restXml(ann, docId!);
    const carol = await openAs('carol', `doc=${encodeURIComponent(docId!)}`);
    const carolDoc = carol.locator('caas-doc');
    await waitForText(carol, /Bob was here/);
    const carolText = await docText(carol);
    await carolDoc.getByTestId('doc-editor').click();
    await carol.keyboard.press('Control+End');
    await carol.keyboard.type('X');
    await carol.getByTestId('demo-status').filter({ hasText: 'Read-only' }).waitFor();
    await carolDoc.locator('[data-testid="doc-status"][data-readonly="true"]').waitFor();
    await carolDoc.locator('[data-testid="doc-editor"][contenteditable="false"]').waitFor();
    await carolDoc.getByTestId('doc-readonly-notice').waitFor();
    // The editor reopened the document: once it has synced again it shows exactly what it showed before.
    await waitForText(carol, new RegExp(`^${carolText.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    await carol.getByTestId('demo-status').filter({ hasText: 'Synced · Read-only' }).waitFor();
    expect(await carolDoc.locator('button[data-action="bold"]').isDisabled()).toBe(true);
    // Typing again changes nothing.
    await carolDoc.getByTestId('doc-editor').click();
    await carol.keyboard.type('YZ');
    expect(await docText(carol)).toBe(carolText);
    expect(await restXml(carol, docId!)).toBe(before);
    expect(await restXml(ann, docId!)).toBe(before);
    expect(await docText(ann)).not.toMatch(/X|YZ/);
    // Carol still shares her presence: ann sees her.
    await annDoc.locator('[data-testid="doc-user"][data-name="carol"]').waitFor();
    await carol.screenshot({ path: join(ARTIFACTS, 'doc-carol.png') });

    // Step 10: bob's connection drops: his status shows it, he keeps typing; once back, ann gets what he typed.
    await bob.evaluate(() => document.querySelector<CaasDoc>('caas-doc')!.session!.disconnect());
    await bobDoc.locator('[data-testid="doc-status"][data-status="offline"]').waitFor();
    expect(await bobDoc.getByTestId('doc-editor').getAttribute('contenteditable')).toBe('true');
    await bobDoc.getByTestId('doc-editor').click();
    await bob.keyboard.press('Control+End');
    await bob.keyboard.press('Enter');
    await bob.keyboard.type('Written offline');
    await bob.evaluate(() => document.querySelector<CaasDoc>('caas-doc')!.session!.connect());
    await bobDoc.locator('[data-testid="doc-status"][data-status="online"]').waitFor();
    await waitForText(ann, /Written offline/);

    expect(pageErrors).toEqual([]);
  });
});
