// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';

import {
  DOC_FRAGMENT,
  DOC_TOOLBAR,
  buildCursor,
  disabledToolbar,
  docStatus,
  docXmlText,
  hexColorFor,
  remoteUsers,
  selectionAttrs,
  shortcutLabel,
  userColor,
} from './model.js';
import { DOC_FRAGMENT as CORE_DOC_FRAGMENT, docXmlText as coreDocXmlText } from '../../index.js';

describe('doc model', () => {
  it('names the y-prosemirror root, also from the core entry', () => {
    expect(DOC_FRAGMENT).toBe('prosemirror');
    expect(CORE_DOC_FRAGMENT).toBe(DOC_FRAGMENT);
    expect(coreDocXmlText).toBe(docXmlText);
  });

  it('has a toolbar of distinct actions with shortcuts', () => {
    const actions = DOC_TOOLBAR.filter((a) => a !== null).map((a) => a!.action);
    expect(new Set(actions).size).toBe(actions.length);
    expect(actions).toEqual(['bold', 'italic', 'heading1', 'heading2', 'heading3', 'bulletList', 'orderedList', 'undo', 'redo']);
    expect(Object.keys(disabledToolbar()).sort()).toEqual([...actions].sort());
    expect(Object.values(disabledToolbar()).every((s) => !s.enabled && !s.active)).toBe(true);
  });

  it('writes shortcuts for people', () => {
    expect(shortcutLabel('Mod-b')).toBe('Ctrl+B');
    expect(shortcutLabel('Mod-Shift-z')).toBe('Ctrl+Shift+Z');
    expect(shortcutLabel('Shift-Mod-8')).toBe('Shift+Ctrl+8');
    expect(shortcutLabel('Mod-Alt-1', true)).toBe('⌘⌥1');
  });

  it('tells the connection status', () => {
    expect(docStatus({ status: 'connecting', synced: false, readOnly: false })).toEqual({ kind: 'connecting', label: 'Connecting…' });
    expect(docStatus({ status: 'connected', synced: false, readOnly: false }).kind).toBe('connecting');
    expect(docStatus({ status: 'connected', synced: true, readOnly: false })).toEqual({ kind: 'online', label: 'Connected' });
    expect(docStatus({ status: 'disconnected', synced: true, readOnly: false }).kind).toBe('offline');
    // Reconnecting after having been in sync (y-websocket resets `synced` on close): offline until in sync again.
    expect(docStatus({ status: 'connecting', synced: false, wasSynced: true, readOnly: false }).kind).toBe('offline');
    expect(docStatus({ status: 'connected', synced: false, wasSynced: true, readOnly: false }).kind).toBe('offline');
    expect(docStatus({ status: 'connected', synced: true, wasSynced: true, readOnly: false }).kind).toBe('online');
    expect(docStatus({ status: 'connected', synced: true, readOnly: true }).label).toBe('Connected · Read-only');
  });

  it('gives stable #rrggbb colours', () => {
    const c = hexColorFor('ann');
    expect(c).toMatch(/^#[0-9a-f]{6}$/);
    expect(hexColorFor('ann')).toBe(c);
    expect(hexColorFor('bob')).not.toBe(c);
    expect(userColor('ann', '#0969DA')).toBe('#0969DA');
    // Other forms (y-prosemirror's cursors take #rrggbb only) fall back to the name's colour.
    expect(userColor('ann', 'hsl(10 70% 40%)')).toBe(c);
    expect(userColor('ann', undefined)).toBe(c);
  });

  it('lists the other users from awareness states', () => {
    const states = new Map<number, Record<string, unknown>>([
      [5, { user: { name: 'Ann', color: '#111111' } }],
      [9, { user: { name: 'Bob', color: '#222222' } }],
      [3, { user: { name: 'Bob', color: '#222222' } }],
      [7, {}],
      [8, { user: { color: 'red' } }],
    ]);
    expect(remoteUsers(states, 5)).toEqual([
      { clientId: 3, name: 'Bob', color: '#222222' },
      { clientId: 8, name: 'User 8', color: hexColorFor('User 8') },
    ]);
  });

  it("builds another user's caret and selection", () => {
    const caret = buildCursor({ name: 'Bob <b>', color: '#0969da' }, 42);
    expect(caret.getAttribute('data-testid')).toBe('doc-cursor');
    expect(caret.getAttribute('data-name')).toBe('Bob <b>');
    expect(caret.getAttribute('data-client-id')).toBe('42');
    expect(caret.textContent).toContain('Bob <b>');
    expect(caret.querySelector('b')).toBeNull();
    expect(buildCursor({}, 7).getAttribute('data-name')).toBe('User 7');
    expect(selectionAttrs({ name: 'Bob', color: '#0969da' }, 1)).toEqual({
      class: 'remote-selection',
      style: 'background-color: #0969da33',
      'data-name': 'Bob',
    });
  });

  it('reads the plain text of the REST XML', () => {
    expect(docXmlText('<heading level="1">Plan</heading><paragraph>Hello <strong>brave</strong> <em>new</em> world</paragraph>')).toBe(
      'Plan\nHello brave new world',
    );
    expect(docXmlText('<bullet_list><list_item><paragraph>a</paragraph></list_item><list_item><paragraph>b</paragraph></list_item></bullet_list>')).toBe(
      'a\nb',
    );
    // Text is not escaped (as Yjs's toString()): "<" and "&" come as typed.
    expect(docXmlText('<paragraph>one<hard_break></hard_break>two</paragraph><horizontal_rule></horizontal_rule><paragraph>3 < 4 && 5 > 2 &amp;</paragraph>')).toBe(
      'one\ntwo\n3 < 4 && 5 > 2 &amp;',
    );
    expect(docXmlText('<paragraph><link href="https://x.example/?a=1&b=2" title="">site</link></paragraph>')).toBe('site');
    expect(docXmlText('')).toBe('');
  });
});
