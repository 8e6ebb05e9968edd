// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness';
import * as Y from 'yjs';

import type { CaasClient } from '../../client/client.js';
import type { CollabSession } from '../../collab/collab.js';
import { until } from '../../testing/fake-server.js';
import '../index.js';
import type { CaasWhiteboard } from '../index.js';
import { addShape } from './model.js';

afterEach(() => {
  document.body.innerHTML = '';
});

/** A session over a plain Y.Doc (no server). */
function fakeSession(docId: string): CollabSession {
  const doc = new Y.Doc();
  const awareness = new Awareness(doc);
  return {
    docId,
    doc,
    awareness,
    synced: true,
    on: () => () => undefined,
    destroy: () => awareness.destroy(),
  } as unknown as CollabSession;
}

async function mount(): Promise<{ el: CaasWhiteboard; session: CollabSession; opened: string[] }> {
  const opened: string[] = [];
  let session: CollabSession | undefined;
  const client = {
    user: { id: 'ann', name: 'Ann' },
    collab: {
      open: async (docId: string) => {
        opened.push(docId);
        session = fakeSession(docId);
        return session;
      },
    },
  } as unknown as CaasClient;
  const el = document.createElement('caas-whiteboard') as CaasWhiteboard;
  document.body.append(el);
  el.client = client;
  el.docId = 'd1';
  await until(() => el.session !== undefined);
  await el.updateComplete;
  return { el, session: session!, opened };
}

const q = (el: CaasWhiteboard, sel: string): Element | null => el.shadowRoot!.querySelector(sel);

describe('<caas-whiteboard>', () => {
  it('opens the document, publishes the user and renders its shapes', async () => {
    const { el, session, opened } = await mount();
    expect(opened).toEqual(['d1']);
    expect(session.awareness.getLocalState()?.['user']).toMatchObject({ name: 'Ann' });
    addShape(session.doc, { type: 'rect', x: 1, y: 2, w: 3, h: 4, color: '#f00', width: 2 }, 'r1');
    addShape(session.doc, { type: 'text', x: 1, y: 20, text: 'hello', color: '#00f', width: 20 }, 't1');
    await until(() => q(el, '[data-shape-id="t1"]') !== null);
    expect(q(el, '[data-shape-id="r1"]')?.getAttribute('stroke')).toBe('#f00');
    expect(q(el, '[data-shape-id="t1"]')?.textContent).toBe('hello');
  });

  it('has toggle buttons for tools, keys for tools, and Ctrl+Z / Ctrl+Shift+Z', async () => {
    const { el, session } = await mount();
    const pressed = (): string[] =>
      [...el.shadowRoot!.querySelectorAll('button[data-tool][aria-pressed="true"]')].map((b) => b.getAttribute('data-tool')!);
    expect(pressed()).toEqual(['pen']);
    (q(el, 'button[data-tool="ellipse"]') as HTMLButtonElement).click();
    await el.updateComplete;
    expect(pressed()).toEqual(['ellipse']);
    el.dispatchEvent(new KeyboardEvent('keydown', { key: 'x', bubbles: true }));
    await el.updateComplete;
    expect(pressed()).toEqual(['erase']);

    addShape(session.doc, { type: 'stroke', points: [0, 0, 5, 5], color: '#000', width: 3 }, 's1');
    await until(() => q(el, '[data-shape-id="s1"]') !== null);
    el.dispatchEvent(new KeyboardEvent('keydown', { key: 'z', ctrlKey: true, bubbles: true }));
    await until(() => q(el, '[data-shape-id="s1"]') === null);
    el.dispatchEvent(new KeyboardEvent('keydown', { key: 'Z', ctrlKey: true, shiftKey: true, bubbles: true }));
    await until(() => q(el, '[data-shape-id="s1"]') !== null);
  });

  it("shows others' cursors with their names", async () => {
    const { el, session } = await mount();
    const other = new Awareness(new Y.Doc());
    other.setLocalState({ user: { name: 'Bob', color: '#0a0' }, cursor: { x: 10, y: 20 } });
    applyAwarenessUpdate(session.awareness, encodeAwarenessUpdate(other, [other.clientID]), 'remote');
    await until(() => q(el, '[data-testid="whiteboard-cursor"]') !== null);
    const cursor = q(el, '[data-testid="whiteboard-cursor"]')!;
    expect(cursor.getAttribute('data-name')).toBe('Bob');
    expect(cursor.textContent).toContain('Bob');
    other.destroy();
  });
});
