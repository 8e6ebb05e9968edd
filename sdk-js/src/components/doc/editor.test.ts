// @vitest-environment happy-dom
import { EditorState, TextSelection } from 'prosemirror-state';
import { prosemirrorJSONToYXmlFragment, yXmlFragmentToProsemirrorJSON } from 'y-prosemirror';
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness';
import * as Y from 'yjs';
import { afterEach, describe, expect, it } from 'vitest';

import { until } from '../../testing/fake-server.js';

import {
  commandFor,
  createDocEditor,
  docKeymap,
  docSchema,
  headingLevel,
  isEmptyDoc,
  listAround,
  markActive,
  shimShadowRootCreateRange,
  toolbarState,
  type DocEditor,
} from './editor.js';
import { DOC_FRAGMENT, docXmlText } from './model.js';

/** A state holding `json` (a doc node as JSON) with the cursor at `pos`. */
function stateOf(json: unknown, pos = 1, to = pos): EditorState {
  const doc = docSchema.nodeFromJSON(json);
  const state = EditorState.create({ schema: docSchema, doc });
  return state.apply(state.tr.setSelection(TextSelection.create(doc, pos, to)));
}

function run(state: EditorState, action: Parameters<typeof commandFor>[0]): EditorState {
  let next = state;
  const ok = commandFor(action)(state, (tr) => (next = state.apply(tr)));
  expect(ok).toBe(true);
  return next;
}

const para = (text: string): unknown => ({ type: 'paragraph', content: text ? [{ type: 'text', text }] : [] });
const docOf = (...blocks: unknown[]): unknown => ({ type: 'doc', content: blocks });

describe('doc editor commands', () => {
  it('bold and italic toggle on a selection and show as active', () => {
    let s = stateOf(docOf(para('Hello world')), 7, 12);
    expect(markActive(s, docSchema.marks['strong']!)).toBe(false);
    s = run(s, 'bold');
    expect(markActive(s, docSchema.marks['strong']!)).toBe(true);
    expect(toolbarState(s, true).bold).toEqual({ active: true, enabled: true });
    expect(s.doc.child(0).child(1).marks.map((m) => m.type.name)).toEqual(['strong']);
    s = run(s, 'italic');
    expect(toolbarState(s, true).italic.active).toBe(true);
    s = run(s, 'bold');
    expect(markActive(s, docSchema.marks['strong']!)).toBe(false);
  });

  it('headings toggle back to a paragraph', () => {
    let s = stateOf(docOf(para('Title')), 2);
    s = run(s, 'heading1');
    expect(s.doc.child(0).type.name).toBe('heading');
    expect(headingLevel(s)).toBe(1);
    expect(toolbarState(s, true).heading1.active).toBe(true);
    s = run(s, 'heading2');
    expect(headingLevel(s)).toBe(2);
    s = run(s, 'heading2');
    expect(s.doc.child(0).type.name).toBe('paragraph');
  });

  it('lists wrap, switch kind and lift', () => {
    let s = stateOf(docOf(para('one'), para('two')), 2);
    s = run(s, 'bulletList');
    expect(s.doc.child(0).type.name).toBe('bullet_list');
    expect(listAround(s)?.node.type.name).toBe('bullet_list');
    expect(toolbarState(s, true).bulletList.active).toBe(true);
    s = run(s, 'orderedList');
    expect(s.doc.child(0).type.name).toBe('ordered_list');
    expect(toolbarState(s, true)).toMatchObject({ orderedList: { active: true }, bulletList: { active: false } });
    s = run(s, 'orderedList');
    expect(s.doc.child(0).type.name).toBe('paragraph');
    expect(listAround(s)).toBeUndefined();
  });

  it('nothing applies when not editable; undo/redo need the y-prosemirror plugins', () => {
    const s = stateOf(docOf(para('x')), 1);
    const off = toolbarState(s, false);
    expect(Object.values(off).every((a) => !a.enabled)).toBe(true);
    expect(toolbarState(s, true).undo.enabled).toBe(false);
    expect(isEmptyDoc(stateOf(docOf(para(''))).doc)).toBe(true);
    expect(isEmptyDoc(s.doc)).toBe(false);
  });

  it('the Y.XmlFragment layout is y-prosemirror’s, and reads back as XML text', () => {
    const ydoc = new Y.Doc();
    const json = docOf(
      { type: 'heading', attrs: { level: 1 }, content: [{ type: 'text', text: 'Plan' }] },
      { type: 'paragraph', content: [{ type: 'text', text: 'Hello ' }, { type: 'text', text: 'world', marks: [{ type: 'strong' }] }] },
    );
    const fragment = prosemirrorJSONToYXmlFragment(docSchema, json, ydoc.getXmlFragment(DOC_FRAGMENT));
    const xml = fragment.toString();
    expect(xml).toContain('<heading level="1">Plan</heading>');
    expect(xml).toContain('<strong>world</strong>');
    expect(docXmlText(xml)).toBe('Plan\nHello world');
    // Yjs writes text unescaped (the server's REST XML does the same).
    const raw = prosemirrorJSONToYXmlFragment(docSchema, docOf(para('a < b & c')), new Y.Doc().getXmlFragment(DOC_FRAGMENT));
    expect(raw.toString()).toBe('<paragraph>a < b & c</paragraph>');
    expect(docXmlText(raw.toString())).toBe('a < b & c');
    expect(docSchema.nodeFromJSON(yXmlFragmentToProsemirrorJSON(fragment)).eq(docSchema.nodeFromJSON(json))).toBe(true);
  });
});

/** Two editors on two Y.Docs that exchange every update (a server in between, in memory). */
function pair(): { a: DocEditor; b: DocEditor; docA: Y.Doc; docB: Y.Doc; awA: Awareness; awB: Awareness; destroy: () => void } {
  const docA = new Y.Doc();
  const docB = new Y.Doc();
  docA.on('update', (u: Uint8Array, origin: unknown) => origin !== 'remote' && Y.applyUpdate(docB, u, 'remote'));
  docB.on('update', (u: Uint8Array, origin: unknown) => origin !== 'remote' && Y.applyUpdate(docA, u, 'remote'));
  const awA = new Awareness(docA);
  const awB = new Awareness(docB);
  awA.on('update', ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => {
    if (origin !== 'remote') applyAwarenessUpdate(awB, encodeAwarenessUpdate(awA, [...added, ...updated, ...removed]), 'remote');
  });
  awB.on('update', ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => {
    if (origin !== 'remote') applyAwarenessUpdate(awA, encodeAwarenessUpdate(awB, [...added, ...updated, ...removed]), 'remote');
  });
  awA.setLocalStateField('user', { name: 'Ann', color: '#cf222e' });
  awB.setLocalStateField('user', { name: 'Bob', color: '#0969da' });
  const make = (doc: Y.Doc, awareness: Awareness): DocEditor => {
    const place = document.createElement('div');
    document.body.append(place);
    return createDocEditor({
      fragment: doc.getXmlFragment(DOC_FRAGMENT),
      awareness,
      place,
      editable: () => true,
      placeholder: () => 'Start writing…',
      attributes: () => ({ 'data-testid': 'doc-editor' }),
      onUpdate: () => undefined,
    });
  };
  const a = make(docA, awA);
  const b = make(docB, awB);
  return {
    a,
    b,
    docA,
    docB,
    awA,
    awB,
    destroy: () => {
      a.destroy();
      b.destroy();
      awA.destroy();
      awB.destroy();
    },
  };
}

const typeAt = (e: DocEditor, pos: number, text: string): void => {
  e.view.dispatch(e.view.state.tr.insertText(text, pos));
};
const textOf = (e: DocEditor): string => e.view.state.doc.textContent;

describe('createDocEditor (y-prosemirror, two editors)', () => {
  let cleanup: (() => void) | undefined;
  afterEach(() => {
    cleanup?.();
    cleanup = undefined;
    document.body.innerHTML = '';
  });

  it('syncs text and formatting both ways through the XmlFragment', () => {
    const p = pair();
    cleanup = p.destroy;
    typeAt(p.a, 1, 'Hello world');
    expect(textOf(p.b)).toBe('Hello world');
    p.a.view.dispatch(p.a.view.state.tr.setSelection(TextSelection.create(p.a.view.state.doc, 7, 12)));
    expect(p.a.exec('bold')).toBe(true);
    expect(p.a.exec('heading1')).toBe(true);
    expect(p.docB.getXmlFragment(DOC_FRAGMENT).toString()).toBe('<heading level="1">Hello <strong>world</strong></heading>');
    expect(p.b.view.state.doc.child(0).type.name).toBe('heading');
    typeAt(p.b, p.b.view.state.doc.content.size - 1, '!');
    expect(textOf(p.a)).toBe('Hello world!');
    expect(p.b.view.dom.getAttribute('data-testid')).toBe('doc-editor');
  });

  it('undo reverts only the local user’s changes', () => {
    const p = pair();
    cleanup = p.destroy;
    typeAt(p.a, 1, 'Ann ');
    p.a.undoManager.stopCapturing();
    typeAt(p.b, p.b.view.state.doc.content.size - 1, 'Bob');
    expect(textOf(p.a)).toBe('Ann Bob');
    expect(p.a.toolbar().undo.enabled).toBe(true);
    expect(p.a.exec('undo')).toBe(true);
    expect(textOf(p.a)).toBe('Bob');
    expect(textOf(p.b)).toBe('Bob');
    expect(p.a.toolbar().undo.enabled).toBe(false);
    expect(p.a.toolbar().redo.enabled).toBe(true);
    expect(p.a.exec('redo')).toBe(true);
    expect(textOf(p.b)).toBe('Ann Bob');
    // With nothing left to redo, the keys still count as handled (no native contenteditable undo).
    expect(p.a.exec('redo')).toBe(false);
    expect(docKeymap()['Mod-Shift-z']!(p.a.view.state, p.a.view.dispatch, p.a.view)).toBe(true);
    expect(textOf(p.b)).toBe('Ann Bob');
    // Bob's undo takes his own word only.
    expect(p.b.exec('undo')).toBe(true);
    expect(textOf(p.a)).toBe('Ann ');
  });

  it("renders the other user's caret with their name", async () => {
    const p = pair();
    cleanup = p.destroy;
    typeAt(p.a, 1, 'Hello');
    // y-prosemirror publishes the caret of the focused editor.
    p.b.view.focus();
    p.b.view.dispatch(p.b.view.state.tr.setSelection(TextSelection.create(p.b.view.state.doc, 3)));
    expect(p.awB.getLocalState()?.['cursor']).toBeTruthy();
    // Remote carets render on the next tick (y-prosemirror batches awareness changes).
    await until(() => p.a.view.dom.querySelector('[data-testid="doc-cursor"]') !== null);
    const caret = p.a.view.dom.querySelector('[data-testid="doc-cursor"]')!;
    expect(caret.getAttribute('data-name')).toBe('Bob');
    expect(caret.textContent).toContain('Bob');
    expect(p.a.view.state.doc.textContent).toBe('Hello');
    // Ann's own caret never shows in her editor.
    expect(p.a.view.dom.querySelector('[data-name="Ann"]')).toBeNull();
  });

  it('ignores transactions after destroy (y-prosemirror dispatches from a timer)', async () => {
    const p = pair();
    p.b.view.focus();
    p.b.view.dispatch(p.b.view.state.tr.setSelection(TextSelection.create(p.b.view.state.doc, 1)));
    p.destroy();
    await new Promise((r) => setTimeout(r, 5));
    expect(p.a.view.isDestroyed).toBe(true);
  });
});

describe('shimShadowRootCreateRange', () => {
  it('gives a shadow root the document’s createRange (y-prosemirror calls view.root.createRange())', () => {
    const host = document.createElement('div');
    document.body.append(host);
    const root = host.attachShadow({ mode: 'open' });
    const place = document.createElement('div');
    place.textContent = 'abc';
    root.append(place);
    const before = (root as unknown as { createRange?: unknown }).createRange;
    shimShadowRootCreateRange(place, document);
    const createRange = (root as unknown as { createRange: () => Range }).createRange;
    expect(typeof createRange).toBe('function');
    if (typeof before !== 'function') {
      const range = createRange();
      range.setStart(place.firstChild!, 1);
      range.setEnd(place.firstChild!, 2);
      expect(range.toString()).toBe('b');
    }
    // Not on the prototype: other shadow roots are left alone; a document root needs nothing.
    const other = document.createElement('div').attachShadow({ mode: 'open' });
    expect((other as unknown as { createRange?: unknown }).createRange).toBe(before);
    shimShadowRootCreateRange(document.body, document);
    expect(typeof document.createRange).toBe('function');
  });
});
