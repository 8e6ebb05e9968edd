/**
 * The model of `<caas-doc>`, and the logic of the element that needs neither
 * ProseMirror nor a browser: toolbar actions, the status line, remote users
 * from awareness, cursor elements and the plain text of the REST content.
 *
 * A rich-text document holds one root, the `Y.XmlFragment` named
 * **`prosemirror`** ({@link DOC_FRAGMENT}), in the layout of
 * [y-prosemirror](https://github.com/yjs/y-prosemirror): one `Y.XmlElement`
 * per block node (its node name is the ProseMirror node type, its attributes
 * the node's attributes) and `Y.XmlText` for text, with marks as formatting
 * attributes. The schema is prosemirror-schema-basic with
 * prosemirror-schema-list's lists:
 *
 * - blocks `paragraph`, `heading` (`level` 1–6), `blockquote`, `code_block`,
 *   `horizontal_rule`, `bullet_list`, `ordered_list` (`order`), `list_item`,
 *   and inline `image`, `hard_break`;
 * - marks `strong`, `em`, `code`, `link` (`href`, `title`).
 *
 * Through REST (`GET /v1/docs/{id}`) the content reads as
 * `{"prosemirror": "<heading level=\"1\">Plan</heading><paragraph>Hello <strong>world</strong></paragraph>"}`;
 * {@link docXmlText} turns that string into plain text.
 *
 * This module loads neither Lit nor ProseMirror: the core entry
 * (`@caas/sdk`) re-exports {@link DOC_FRAGMENT} and {@link docXmlText}.
 *
 * @packageDocumentation
 */

/** The name of the `Y.XmlFragment` root that holds a rich-text document. */
export const DOC_FRAGMENT = 'prosemirror';

/** The toolbar actions of `<caas-doc>` (also `element.exec(action)`). */
export type DocAction = 'bold' | 'italic' | 'heading1' | 'heading2' | 'heading3' | 'bulletList' | 'orderedList' | 'undo' | 'redo';

/** How a toolbar action shows. */
export interface DocActionSpec {
  /** The action. */
  action: DocAction;
  /** Accessible name. */
  label: string;
  /** Button text. */
  icon: string;
  /** Keyboard shortcut, in ProseMirror notation (`Mod` = Ctrl, or Cmd on macOS). */
  key: string;
  /** Whether the button toggles (has `aria-pressed`). */
  toggle: boolean;
}

/** The toolbar, in order; `null` is a separator. */
export const DOC_TOOLBAR: Array<DocActionSpec | null> = [
  { action: 'bold', label: 'Bold', icon: 'B', key: 'Mod-b', toggle: true },
  { action: 'italic', label: 'Italic', icon: 'I', key: 'Mod-i', toggle: true },
  null,
  { action: 'heading1', label: 'Heading 1', icon: 'H1', key: 'Mod-Alt-1', toggle: true },
  { action: 'heading2', label: 'Heading 2', icon: 'H2', key: 'Mod-Alt-2', toggle: true },
  { action: 'heading3', label: 'Heading 3', icon: 'H3', key: 'Mod-Alt-3', toggle: true },
  null,
  { action: 'bulletList', label: 'Bulleted list', icon: '•≡', key: 'Shift-Mod-8', toggle: true },
  { action: 'orderedList', label: 'Numbered list', icon: '1≡', key: 'Shift-Mod-9', toggle: true },
  null,
  { action: 'undo', label: 'Undo', icon: '↶', key: 'Mod-z', toggle: false },
  { action: 'redo', label: 'Redo', icon: '↷', key: 'Mod-Shift-z', toggle: false },
];

/** Whether a toolbar action applies (`enabled`) and is on at the selection (`active`). */
export interface DocActionState {
  active: boolean;
  enabled: boolean;
}

/** The state of every toolbar action. */
export type DocToolbarState = Record<DocAction, DocActionState>;

/** A toolbar where nothing applies (no editor yet, or read-only). */
export function disabledToolbar(): DocToolbarState {
  const off = (): DocActionState => ({ active: false, enabled: false });
  return {
    bold: off(),
    italic: off(),
    heading1: off(),
    heading2: off(),
    heading3: off(),
    bulletList: off(),
    orderedList: off(),
    undo: off(),
    redo: off(),
  };
}

/** A shortcut for people: `Mod-Shift-z` → `Ctrl+Shift+Z` (`⌘⇧Z` on Apple platforms when `mac`). */
export function shortcutLabel(key: string, mac = false): string {
  const parts = key.split('-');
  const last = parts.pop() ?? '';
  const names: Record<string, [string, string]> = {
    Mod: ['Ctrl', '⌘'],
    Ctrl: ['Ctrl', '⌃'],
    Alt: ['Alt', '⌥'],
    Shift: ['Shift', '⇧'],
  };
  const mods = parts.map((p) => names[p]?.[mac ? 1 : 0] ?? p);
  const keyName = last.length === 1 ? last.toUpperCase() : last;
  return mac ? [...mods, keyName].join('') : [...mods, keyName].join('+');
}

/** The connection of a document, as `<caas-doc>` shows it. */
export interface DocStatusInput {
  /** The WebSocket state (`CollabStatus`). */
  status: 'connecting' | 'connected' | 'disconnected';
  /** Whether the document is in sync with the server now. */
  synced: boolean;
  /** Whether it has been in sync since it was opened (then a lost sync is a reconnection). */
  wasSynced?: boolean;
  /** Whether the editor is read-only (the `readonly` attribute, or the server refused a change). */
  readOnly: boolean;
}

/** What the status indicator shows: a kind (its `data-status`) and a label. */
export interface DocStatusView {
  /** `connecting` (before the first sync), `online`, `offline` (changes wait for the connection). */
  kind: 'connecting' | 'online' | 'offline';
  /** The text shown. */
  label: string;
}

/** The status indicator of a document. */
export function docStatus(input: DocStatusInput): DocStatusView {
  const suffix = input.readOnly ? ' · Read-only' : '';
  if (input.status === 'connected' && input.synced) return { kind: 'online', label: `Connected${suffix}` };
  if (input.status === 'disconnected' || input.wasSynced) {
    return { kind: 'offline', label: `Offline — reconnecting…${suffix}` };
  }
  return { kind: 'connecting', label: `Connecting…${suffix}` };
}

/** Another user on the document, from awareness. */
export interface DocUser {
  /** Their awareness client id (one per open editor). */
  clientId: number;
  /** Their name (`user.name`, default `User <clientId>`). */
  name: string;
  /** Their colour, `#rrggbb`. */
  color: string;
}

const HEX_COLOR = /^#[0-9a-fA-F]{6}$/;

/** `color` if it is `#rrggbb` (the only form y-prosemirror's cursors take), else a colour from `name`. */
export function userColor(name: string, color?: unknown): string {
  return typeof color === 'string' && HEX_COLOR.test(color) ? color : hexColorFor(name);
}

/** A stable `#rrggbb` colour for a name (dark enough for white text). */
export function hexColorFor(name: string): string {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
  const hue = h % 360;
  // HSL(hue, 70 %, 40 %) to RGB.
  const s = 0.7;
  const l = 0.4;
  const k = (n: number): number => (n + hue / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number): number => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  const hex = (v: number): string =>
    Math.round(v * 255)
      .toString(16)
      .padStart(2, '0');
  return `#${hex(f(0))}${hex(f(8))}${hex(f(4))}`;
}

/**
 * The other users of an awareness (`awareness.getStates()`), without
 * `selfId`, those without a `user` state, and repeats of one name and colour
 * (a user with two tabs shows once), in client id order.
 */
export function remoteUsers(states: Map<number, Record<string, unknown>>, selfId: number): DocUser[] {
  const out: DocUser[] = [];
  const seen = new Set<string>();
  const ids = [...states.keys()].sort((a, b) => a - b);
  for (const clientId of ids) {
    if (clientId === selfId) continue;
    const user = states.get(clientId)?.['user'] as { name?: unknown; color?: unknown } | undefined;
    if (!user || typeof user !== 'object') continue;
    const name = typeof user.name === 'string' && user.name ? user.name : `User ${clientId}`;
    const color = userColor(name, user.color);
    const key = `${name}\u0000${color}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ clientId, name, color });
  }
  return out;
}

/**
 * The element of another user's caret in the editor (y-prosemirror's
 * `cursorBuilder`): a coloured bar with the name above it. Test id
 * `doc-cursor`, with `data-name` and `data-client-id`.
 */
export function buildCursor(user: { name?: unknown; color?: unknown }, clientId: number, ownerDocument: Document = document): HTMLElement {
  const name = typeof user.name === 'string' && user.name ? user.name : `User ${clientId}`;
  const color = userColor(name, user.color);
  const caret = ownerDocument.createElement('span');
  caret.className = 'remote-caret';
  caret.setAttribute('data-testid', 'doc-cursor');
  caret.setAttribute('data-name', name);
  caret.setAttribute('data-client-id', String(clientId));
  caret.setAttribute('aria-hidden', 'true');
  caret.style.borderColor = color;
  const label = ownerDocument.createElement('span');
  label.className = 'remote-caret-label';
  label.style.backgroundColor = color;
  label.textContent = name;
  // Word joiners keep the caret from breaking the line around it.
  caret.append('\u2060', label, '\u2060');
  return caret;
}

/** The attributes of another user's selection (y-prosemirror's `selectionBuilder`). */
export function selectionAttrs(user: { name?: unknown; color?: unknown }, clientId: number): Record<string, string> {
  const name = typeof user.name === 'string' && user.name ? user.name : `User ${clientId}`;
  return { class: 'remote-selection', style: `background-color: ${userColor(name, user.color)}33`, 'data-name': name };
}

const BLOCKS = new Set(['paragraph', 'heading', 'blockquote', 'code_block', 'list_item', 'horizontal_rule']);

/**
 * The plain text of a rich-text document's XML, as REST returns it
 * (`content.prosemirror` of `GET /v1/docs/{id}`): tags dropped, one line per
 * block, `hard_break` as a line break.
 *
 * The server writes that XML as Yjs's `XmlFragment.toString()` does: text and
 * attribute values are not escaped, so text that looks like a tag
 * (`<name…>`) cannot be told from one and is dropped, and `&amp;` stays as
 * typed.
 *
 * ```ts
 * const { content } = await client.docs.get(docId);
 * docXmlText(String(content?.[DOC_FRAGMENT] ?? '')); // "Plan\nHello world"
 * ```
 */
export function docXmlText(xml: string): string {
  const out = xml.replace(/<(\/?)([A-Za-z_][\w.-]*)(?:\s[^<>]*?)?(\/?)>/g, (_m, close: string, name: string, selfClose: string) => {
    if (name === 'hard_break') return close ? '' : '\n';
    if (BLOCKS.has(name) && (close || selfClose)) return '\n';
    return '';
  });
  return out.replace(/\n{2,}/g, '\n').replace(/^\n+|\n+$/g, '');
}
