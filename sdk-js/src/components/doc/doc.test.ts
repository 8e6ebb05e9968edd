// @vitest-environment happy-dom
import { TextSelection } from 'prosemirror-state';
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { afterEach, describe, expect, it } from 'vitest';

import type { CaasClient } from '../../client/client.js';
import { CollabEvent, type CollabEventMap, type CollabSession } from '../../collab/collab.js';
import { TypedEmitter } from '../../client/events.js';
import { until } from '../../testing/fake-server.js';
import { DOC_FRAGMENT } from './model.js';
import '../index.js';
import type { CaasDoc } from '../index.js';

afterEach(() => {
  document.body.innerHTML = '';
});

/** A session over a plain Y.Doc (no server) whose events the test emits. */
class FakeSession extends TypedEmitter<CollabEventMap> {
  readonly doc = new Y.Doc();
  readonly awareness = new Awareness(this.doc);
  synced = true;
  connected = true;
  destroyed = false;
  constructor(readonly docId: string) {
    super();
  }
  destroy(): void {
    this.destroyed = true;
    this.awareness.destroy();
  }
}

async function mount(
  setup: (el: CaasDoc) => void = () => undefined,
  synced = true,
): Promise<{ el: CaasDoc; sessions: FakeSession[]; session: () => FakeSession }> {
  const sessions: FakeSession[] = [];
  const client = {
    user: { id: 'ann', name: 'Ann' },
    collab: {
      open: async (docId: string) => {
        const s = new FakeSession(docId);
        s.synced = synced;
        sessions.push(s);
        return s as unknown as CollabSession;
      },
    },
  } as unknown as CaasClient;
  const el = document.createElement('caas-doc') as CaasDoc;
  setup(el);
  document.body.append(el);
  el.client = client;
  el.docId = 'd1';
  await until(() => el.view !== undefined);
  await el.updateComplete;
  return { el, sessions, session: () => sessions[sessions.length - 1]! };
}

const q = (el: CaasDoc, sel: string): HTMLElement | null => el.shadowRoot!.querySelector(sel);
const button = (el: CaasDoc, action: string): HTMLButtonElement => q(el, `button[data-action="${action}"]`) as HTMLButtonElement;

describe('<caas-doc>', () => {
  it('opens the document, publishes the user, and edits the prosemirror XmlFragment', async () => {
    const { el, sessions, session } = await mount();
    expect(sessions.map((s) => s.docId)).toEqual(['d1']);
    expect(session().awareness.getLocalState()?.['user']).toMatchObject({ name: 'Ann', color: expect.stringMatching(/^#[0-9a-f]{6}$/) });
    const editor = q(el, '[data-testid="doc-editor"]')!;
    expect(editor.getAttribute('contenteditable')).toBe('true');
    expect(editor.getAttribute('role')).toBe('textbox');
    expect(el.editable).toBe(true);

    const view = el.view!;
    view.dispatch(view.state.tr.insertText('Hello world', 1));
    view.dispatch(view.state.tr.setSelection(TextSelection.create(view.state.doc, 7, 12)));
    await el.updateComplete;
    button(el, 'bold').click();
    await el.updateComplete;
    expect(button(el, 'bold').getAttribute('aria-pressed')).toBe('true');
    expect(el.exec('heading2')).toBe(true);
    await el.updateComplete;
    expect(button(el, 'heading2').getAttribute('aria-pressed')).toBe('true');
    expect(session().doc.getXmlFragment(DOC_FRAGMENT).toString()).toBe('<heading level="2">Hello <strong>world</strong></heading>');
  });

  it('shows remote changes, and undo takes back only its own', async () => {
    const { el, session } = await mount();
    const view = el.view!;
    view.dispatch(view.state.tr.insertText('Mine ', 1));
    el.undoManager!.stopCapturing();
    // Someone else appends to the paragraph.
    const remote = new Y.Doc();
    Y.applyUpdate(remote, Y.encodeStateAsUpdate(session().doc));
    const text = (remote.getXmlFragment(DOC_FRAGMENT).get(0) as Y.XmlElement).get(0) as Y.XmlText;
    text.insert(text.length, 'theirs');
    Y.applyUpdate(session().doc, Y.encodeStateAsUpdate(remote, Y.encodeStateVector(session().doc)), 'remote');
    await until(() => q(el, '[data-testid="doc-editor"]')!.textContent === 'Mine theirs');
    await el.updateComplete;
    expect(button(el, 'undo').disabled).toBe(false);
    button(el, 'undo').click();
    await until(() => q(el, '[data-testid="doc-editor"]')!.textContent === 'theirs');
    await el.updateComplete;
    expect(button(el, 'undo').disabled).toBe(true);
    expect(button(el, 'redo').disabled).toBe(false);
    expect(el.redo()).toBe(true);
    await until(() => q(el, '[data-testid="doc-editor"]')!.textContent === 'Mine theirs');
  });

  it('keeps remote changes that arrive while the editor has the focus (in its shadow root)', async () => {
    const { el, session } = await mount();
    const view = el.view!;
    view.dispatch(view.state.tr.insertText('Mine', 1));
    view.focus();
    expect(view.hasFocus()).toBe(true);
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(args);
    try {
      const remote = new Y.Doc();
      Y.applyUpdate(remote, Y.encodeStateAsUpdate(session().doc));
      const p = new Y.XmlElement('paragraph');
      p.insert(0, [new Y.XmlText('Theirs')]);
      remote.getXmlFragment(DOC_FRAGMENT).push([p]);
      Y.applyUpdate(session().doc, Y.encodeStateAsUpdate(remote, Y.encodeStateVector(session().doc)), 'remote');
      await until(() => el.view!.state.doc.textBetween(0, el.view!.state.doc.content.size, '|') === 'Mine|Theirs');
      // The next local edit keeps it.
      view.dispatch(view.state.tr.insertText('!', 5));
      expect(session().doc.getXmlFragment(DOC_FRAGMENT).toString()).toBe('<paragraph>Mine!</paragraph><paragraph>Theirs</paragraph>');
    } finally {
      console.error = original;
    }
    expect(errors).toEqual([]);
  });

  it('shows the connection status and who else is there', async () => {
    const { el, session } = await mount();
    const status = (): HTMLElement => q(el, '[data-testid="doc-status"]')!;
    expect(status().getAttribute('data-status')).toBe('online');
    expect(status().textContent).toContain('Connected');
    const events: string[] = [];
    el.addEventListener('caas-status', (e) => events.push((e as CustomEvent<{ status: string }>).detail.status));
    session().emit(CollabEvent.Status, { status: 'disconnected' });
    session().emit(CollabEvent.Synced, { synced: false });
    await el.updateComplete;
    expect(status().getAttribute('data-status')).toBe('offline');
    expect(events).toEqual(['disconnected']);
    session().emit(CollabEvent.Status, { status: 'connecting' });
    await el.updateComplete;
    expect(status().getAttribute('data-status')).toBe('offline');
    expect(status().textContent).toContain('reconnecting');
    // Still editable offline: the changes go out on reconnection.
    expect(el.editable).toBe(true);
    session().emit(CollabEvent.Status, { status: 'connected' });
    session().emit(CollabEvent.Synced, { synced: true });
    await el.updateComplete;
    expect(status().getAttribute('data-status')).toBe('online');

    const other = new Awareness(new Y.Doc());
    other.setLocalState({ user: { name: 'Bob', color: '#0969da' } });
    applyAwarenessUpdate(session().awareness, encodeAwarenessUpdate(other, [other.clientID]), 'remote');
    await until(() => q(el, '[data-testid="doc-user"]') !== null);
    expect(q(el, '[data-testid="doc-user"]')!.getAttribute('data-name')).toBe('Bob');
    other.destroy();
  });

  it('is not editable before the first sync', async () => {
    const { el, session } = await mount(() => undefined, false);
    expect(q(el, '[data-testid="doc-editor"]')!.getAttribute('contenteditable')).toBe('false');
    expect(q(el, '[data-testid="doc-status"]')!.getAttribute('data-status')).toBe('connecting');
    let synced = 0;
    el.addEventListener('caas-synced', () => synced++);
    session().synced = true;
    session().emit(CollabEvent.Synced, { synced: true });
    await el.updateComplete;
    expect(synced).toBe(1);
    expect(q(el, '[data-testid="doc-editor"]')!.getAttribute('contenteditable')).toBe('true');
  });

  it('the readonly attribute makes it read-only', async () => {
    const { el } = await mount((e) => e.setAttribute('readonly', ''));
    expect(el.readonly).toBe(true);
    expect(el.editable).toBe(false);
    expect(q(el, '[data-testid="doc-editor"]')!.getAttribute('contenteditable')).toBe('false');
    expect(q(el, '[data-testid="doc-editor"]')!.getAttribute('aria-readonly')).toBe('true');
    expect(button(el, 'bold').disabled).toBe(true);
    expect(el.exec('bold')).toBe(false);
    expect(q(el, '[data-testid="doc-status"]')!.getAttribute('data-readonly')).toBe('true');
    el.readonly = false;
    await el.updateComplete;
    expect(q(el, '[data-testid="doc-editor"]')!.getAttribute('contenteditable')).toBe('true');
  });

  it('turns read-only when the server refuses a change, and drops the refused change by reopening', async () => {
    const { el, sessions, session } = await mount();
    const first = session();
    // Content the server has.
    const view = el.view!;
    view.dispatch(view.state.tr.insertText('Shared', 1));
    const serverState = Y.encodeStateAsUpdate(first.doc);
    const reasons: string[] = [];
    el.addEventListener('caas-readonly', (e) => reasons.push((e as CustomEvent<{ reason: string }>).detail.reason));
    // A viewer types; the server refuses it.
    view.dispatch(view.state.tr.insertText('!', view.state.doc.content.size - 1));
    first.emit(CollabEvent.PermissionDenied, { reason: 'permission denied: viewer' });
    await until(() => sessions.length === 2, 2000, 'reopen');
    expect(first.destroyed).toBe(true);
    expect(reasons).toEqual(['permission denied: viewer']);
    // The new session syncs the server's state (without the refused change).
    Y.applyUpdate(session().doc, serverState, 'remote');
    await until(() => el.view !== undefined && el.view !== view && q(el, '[data-testid="doc-editor"]')?.textContent === 'Shared');
    await el.updateComplete;
    expect(el.writeDenied).toBe(true);
    expect(el.editable).toBe(false);
    expect(q(el, '[data-testid="doc-editor"]')!.getAttribute('contenteditable')).toBe('false');
    expect(q(el, '[data-testid="doc-status"]')!.getAttribute('data-readonly')).toBe('true');
    expect(q(el, '[data-testid="doc-status"]')!.textContent).toContain('Read-only');
    expect(q(el, '[data-testid="doc-readonly-notice"]')).not.toBeNull();
    // Another document starts over, editable.
    el.docId = 'd2';
    await until(() => sessions.length === 3 && el.view !== undefined && el.editable);
    expect(el.writeDenied).toBe(false);
  });

  it('reports a document closed by the server', async () => {
    const { el, session } = await mount();
    const errors: string[] = [];
    el.addEventListener('caas-error', (e) => errors.push((e as CustomEvent<{ action: string }>).detail.action));
    session().emit(CollabEvent.Closed, { code: 4404, reason: 'deleted' });
    await el.updateComplete;
    expect(errors).toEqual(['collab.open']);
    expect(q(el, '[role="alert"]')!.textContent).toContain('4404');
    expect(q(el, '[data-testid="doc-status"]')!.getAttribute('data-status')).toBe('offline');
  });

  it('releases the session when removed', async () => {
    const { el, session } = await mount();
    el.remove();
    expect(session().destroyed).toBe(true);
    expect(el.view).toBeUndefined();
  });
});
