/**
 * `<caas-whiteboard>`: a shared whiteboard over a live document
 * (`client.collab.open`). The Yjs model is described in `model.ts`.
 *
 * @packageDocumentation
 */

import { html, LitElement, nothing, type PropertyValues, svg, type TemplateResult } from 'lit';
import type * as Y from 'yjs';

import type { CaasClient } from '../../client/client.js';
import { CollabEvent, type CollabSession } from '../../collab/collab.js';
import type { ActionErrorDetail } from '../shared/events.js';
import { errorText } from '../shared/format.js';
import { baseStyles } from '../shared/styles.js';
import {
  addShape,
  appendPoints,
  boxFrom,
  colorFor,
  createUndoManager,
  eraseShape,
  getShape,
  listShapes,
  moveShape,
  shapeAt,
  shapeBounds,
  updateShape,
} from './model.js';
import { remoteCursors, renderCursor, renderShape } from './render.js';
import { whiteboardStyles } from './styles.js';

/** The tools of the toolbar. */
export type WhiteboardTool = 'select' | 'pen' | 'rect' | 'ellipse' | 'text' | 'erase' | 'pan';

const TOOLS: Array<{ tool: WhiteboardTool; label: string; icon: string; key: string }> = [
  { tool: 'select', label: 'Select and move', icon: '⬚', key: 'v' },
  { tool: 'pen', label: 'Pen', icon: '✎', key: 'p' },
  { tool: 'rect', label: 'Rectangle', icon: '▭', key: 'r' },
  { tool: 'ellipse', label: 'Ellipse', icon: '◯', key: 'o' },
  { tool: 'text', label: 'Text', icon: 'T', key: 't' },
  { tool: 'erase', label: 'Eraser', icon: '⌫', key: 'x' },
  { tool: 'pan', label: 'Pan', icon: '↔', key: 'h' },
];

/** The colour swatches. */
export const WHITEBOARD_COLORS = ['#1f2328', '#cf222e', '#0969da', '#1a7f37', '#bf8700', '#8250df'];

const MIN_ZOOM = 0.1;
const MAX_ZOOM = 8;

/** Detail of the `caas-synced` event. */
export interface WhiteboardSyncedDetail {
  /** The open session. */
  session: CollabSession;
}

/** What a pointer gesture is doing. */
type Gesture =
  | { kind: 'stroke'; id: string }
  | { kind: 'box'; id: string; x0: number; y0: number }
  | { kind: 'move'; id: string; x: number; y: number }
  | { kind: 'erase' }
  | { kind: 'pan'; sx: number; sy: number; panX: number; panY: number };

/**
 * `<caas-whiteboard>`: opens the document `doc-id` with `client.collab.open`
 * and draws it on an SVG canvas that everyone on the document edits live.
 *
 * - Tools: select/move, pen, rectangle, ellipse, text, eraser, pan (toolbar
 *   buttons with `aria-pressed`, or the keys V, P, R, O, T, X, H); a colour;
 *   zoom with the wheel or the − / + buttons (0 resets), pan with the pan
 *   tool or the middle button.
 * - Undo and redo of the local user's own changes (Y.UndoManager): buttons,
 *   Ctrl+Z and Ctrl+Shift+Z (or Ctrl+Y). Delete removes the selected shape,
 *   arrow keys move it.
 * - Live cursors: the pointer position, with `user-name` (default: the
 *   client's user name or id) and `user-color`, is published in awareness;
 *   others' cursors show with their names.
 * - Test ids: `whiteboard-canvas` (the `<svg>`), each shape has
 *   `data-shape-id` and `data-shape-type`, each remote cursor is
 *   `whiteboard-cursor` with `data-name`.
 *
 * @fires caas-synced - `CustomEvent<WhiteboardSyncedDetail>` once the document is in sync.
 * @fires caas-error - `CustomEvent<ActionErrorDetail>` when the document cannot be opened or edited.
 *
 * @csspart toolbar - the toolbar.
 * @csspart canvas - the `<svg>`.
 */
export class CaasWhiteboard extends LitElement {
  static override properties = {
    client: { attribute: false },
    docId: { type: String, attribute: 'doc-id', reflect: true },
    userName: { type: String, attribute: 'user-name' },
    userColor: { type: String, attribute: 'user-color' },
    tool: { type: String, reflect: true },
    color: { type: String },
    zoom: { type: Number },
    panX: { state: true },
    panY: { state: true },
    selected: { state: true },
    textAt: { state: true },
    error: { state: true },
    readOnly: { state: true },
    revision: { state: true },
  };

  static override styles = [baseStyles, whiteboardStyles];

  /** The client (required). */
  declare client: CaasClient | undefined;

  /** The document to open (a `whiteboard` document, `client.docs.create`). */
  declare docId: string | undefined;

  /** The name shown on your cursor to others (default: the client's user name or id). */
  declare userName: string | undefined;

  /** The colour of your cursor (default: derived from the name). */
  declare userColor: string | undefined;

  /** The current tool (default `pen`). */
  declare tool: WhiteboardTool;

  /** The drawing colour. */
  declare color: string;

  /** The zoom factor (1 = 1 board unit per CSS pixel). */
  declare zoom: number;

  /** The stroke width of new shapes, in board units. */
  strokeWidth = 3;

  declare protected panX: number;

  declare protected panY: number;

  declare protected selected: string | undefined;

  declare protected textAt: { x: number; y: number } | undefined;

  declare protected error: string | undefined;

  declare protected readOnly: boolean;

  declare protected revision: number;

  constructor() {
    super();
    this.client = undefined;
    this.docId = undefined;
    this.userName = undefined;
    this.userColor = undefined;
    this.tool = 'pen';
    this.color = WHITEBOARD_COLORS[0]!;
    this.zoom = 1;
    this.panX = 0;
    this.panY = 0;
    this.selected = undefined;
    this.textAt = undefined;
    this.error = undefined;
    this.readOnly = false;
    this.revision = 0;
  }

  #session: CollabSession | undefined;

  #undo: Y.UndoManager | undefined;

  #opening = 0;

  #gesture: Gesture | undefined;

  #cleanup: Array<() => void> = [];

  /** The open session, once open. */
  get session(): CollabSession | undefined {
    return this.#session;
  }

  /** The shared document, once open. */
  get doc(): Y.Doc | undefined {
    return this.#session?.doc;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.addEventListener('keydown', this.#onKeyDown);
    if (this.client && this.docId && !this.#session) void this.#open();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.removeEventListener('keydown', this.#onKeyDown);
    this.#close();
  }

  protected override updated(changed: PropertyValues): void {
    if ((changed.has('client') || changed.has('docId')) && this.isConnected) {
      const session = this.#session;
      if (!session || session.docId !== this.docId || changed.has('client')) void this.#open();
    }
    if ((changed.has('userName') || changed.has('userColor')) && this.#session) this.#publishUser();
  }

  /** Undoes your last change. */
  undo(): void {
    this.#undo?.undo();
  }

  /** Redoes your last undone change. */
  redo(): void {
    this.#undo?.redo();
  }

  /** Sets the zoom, keeping the board point under `(sx, sy)` (view pixels; default the centre) in place. */
  setZoom(zoom: number, sx?: number, sy?: number): void {
    const z = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, zoom));
    const svgEl = this.#svg();
    const cx = sx ?? (svgEl ? svgEl.clientWidth / 2 : 0);
    const cy = sy ?? (svgEl ? svgEl.clientHeight / 2 : 0);
    const wx = (cx - this.panX) / this.zoom;
    const wy = (cy - this.panY) / this.zoom;
    this.zoom = z;
    this.panX = cx - wx * z;
    this.panY = cy - wy * z;
  }

  #close(): void {
    this.#opening++;
    for (const f of this.#cleanup.splice(0)) f();
    this.#undo?.destroy();
    this.#undo = undefined;
    this.#session?.destroy();
    this.#session = undefined;
    this.#gesture = undefined;
    this.selected = undefined;
  }

  async #open(): Promise<void> {
    this.#close();
    const ticket = this.#opening;
    const { client, docId } = this;
    if (!client || !docId) return;
    this.error = undefined;
    this.readOnly = false;
    try {
      const [session, Yjs] = await Promise.all([client.collab.open(docId), import('yjs')]);
      if (ticket !== this.#opening) {
        session.destroy();
        return;
      }
      this.#session = session;
      this.#undo = createUndoManager(Yjs, session.doc);
      const bump = (): void => {
        this.revision++;
      };
      session.doc.on('update', bump);
      session.awareness.on('change', bump);
      this.#undo.on('stack-item-added', bump);
      this.#undo.on('stack-item-popped', bump);
      const offDenied = session.on(CollabEvent.PermissionDenied, ({ reason }) => {
        this.readOnly = true;
        this.#fail('collab.edit', new Error(`read-only: ${reason}`));
      });
      const offClosed = session.on(CollabEvent.Closed, ({ code, reason }) => {
        this.#fail('collab.open', new Error(`closed (${code}) ${reason}`));
      });
      const offSynced = session.on(CollabEvent.Synced, ({ synced }) => {
        bump();
        if (synced) this.dispatchEvent(new CustomEvent<WhiteboardSyncedDetail>('caas-synced', { detail: { session }, bubbles: true, composed: true }));
      });
      this.#cleanup.push(() => {
        session.doc.off('update', bump);
        session.awareness.off('change', bump);
        offDenied();
        offClosed();
        offSynced();
      });
      this.#publishUser();
      bump();
    } catch (error) {
      if (ticket === this.#opening) this.#fail('collab.open', error);
    }
  }

  #fail(action: string, error: unknown): void {
    this.error = errorText(error);
    this.dispatchEvent(new CustomEvent<ActionErrorDetail>('caas-error', { detail: { action, error }, bubbles: true, composed: true }));
  }

  #userName(): string {
    const user = this.client?.user;
    return this.userName || user?.name || user?.id || 'Anonymous';
  }

  #publishUser(): void {
    const name = this.#userName();
    this.#session?.awareness.setLocalStateField('user', { name, color: this.userColor || colorFor(name) });
  }

  #svg(): SVGSVGElement | null {
    return this.renderRoot.querySelector('svg');
  }

  /** View (CSS pixel in the svg) and board coordinates of a pointer event. */
  #point(e: PointerEvent | WheelEvent | MouseEvent): { sx: number; sy: number; x: number; y: number } {
    const rect = this.#svg()?.getBoundingClientRect();
    const sx = e.clientX - (rect?.left ?? 0);
    const sy = e.clientY - (rect?.top ?? 0);
    return { sx, sy, x: (sx - this.panX) / this.zoom, y: (sy - this.panY) / this.zoom };
  }

  #onPointerDown = (e: PointerEvent): void => {
    const doc = this.doc;
    if (!doc || (e.button !== 0 && e.button !== 1)) return;
    const p = this.#point(e);
    (e.currentTarget as Element).setPointerCapture?.(e.pointerId);
    e.preventDefault();
    (this.#svg() as unknown as HTMLElement | null)?.focus?.({ preventScroll: true });
    if (e.button === 1 || this.tool === 'pan') {
      this.#gesture = { kind: 'pan', sx: p.sx, sy: p.sy, panX: this.panX, panY: this.panY };
      return;
    }
    if (this.readOnly) return;
    this.#undo?.stopCapturing();
    switch (this.tool) {
      case 'pen': {
        const id = addShape(doc, { type: 'stroke', points: [p.x, p.y], color: this.color, width: this.strokeWidth });
        this.#gesture = { kind: 'stroke', id };
        break;
      }
      case 'rect':
      case 'ellipse': {
        const id = addShape(doc, { type: this.tool, x: p.x, y: p.y, w: 0, h: 0, color: this.color, width: this.strokeWidth });
        this.#gesture = { kind: 'box', id, x0: p.x, y0: p.y };
        break;
      }
      case 'text':
        this.textAt = { x: p.x, y: p.y };
        void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLInputElement>('.text-input')?.focus());
        break;
      case 'select': {
        const id = shapeAt(doc, p.x, p.y, 4 / this.zoom);
        this.selected = id;
        if (id) this.#gesture = { kind: 'move', id, x: p.x, y: p.y };
        break;
      }
      case 'erase': {
        const id = shapeAt(doc, p.x, p.y, 4 / this.zoom);
        if (id) eraseShape(doc, id);
        this.#gesture = { kind: 'erase' };
        break;
      }
    }
  };

  #onPointerMove = (e: PointerEvent): void => {
    const p = this.#point(e);
    this.#session?.awareness.setLocalStateField('cursor', { x: Math.round(p.x * 10) / 10, y: Math.round(p.y * 10) / 10 });
    const g = this.#gesture;
    const doc = this.doc;
    if (!g || !doc) return;
    switch (g.kind) {
      case 'stroke':
        appendPoints(doc, g.id, [p.x, p.y]);
        break;
      case 'box':
        updateShape(doc, g.id, boxFrom(g.x0, g.y0, p.x, p.y));
        break;
      case 'move':
        moveShape(doc, g.id, p.x - g.x, p.y - g.y);
        g.x = p.x;
        g.y = p.y;
        break;
      case 'erase': {
        const id = shapeAt(doc, p.x, p.y, 4 / this.zoom);
        if (id) eraseShape(doc, id);
        break;
      }
      case 'pan':
        this.panX = g.panX + (p.sx - g.sx);
        this.panY = g.panY + (p.sy - g.sy);
        break;
    }
  };

  #onPointerUp = (): void => {
    const g = this.#gesture;
    this.#gesture = undefined;
    const doc = this.doc;
    if (g?.kind === 'box' && doc) {
      const s = getShape(doc, g.id);
      // A click without a drag: drop the empty shape.
      if (s && (s.w ?? 0) < 1 && (s.h ?? 0) < 1) eraseShape(doc, g.id);
    }
    this.#undo?.stopCapturing();
  };

  #onPointerLeave = (): void => {
    this.#session?.awareness.setLocalStateField('cursor', null);
  };

  #onWheel = (e: WheelEvent): void => {
    e.preventDefault();
    const p = this.#point(e);
    this.setZoom(this.zoom * Math.exp(-e.deltaY * 0.0015), p.sx, p.sy);
  };

  #commitText = (e: Event): void => {
    const input = e.target as HTMLInputElement;
    const at = this.textAt;
    this.textAt = undefined;
    const text = input.value.trim();
    if (at && text && this.doc && !this.readOnly) {
      this.#undo?.stopCapturing();
      addShape(this.doc, { type: 'text', x: at.x, y: at.y, text, color: this.color, width: 20 });
      this.#undo?.stopCapturing();
    }
  };

  #onTextKey = (e: KeyboardEvent): void => {
    e.stopPropagation();
    if (e.key === 'Enter') (e.target as HTMLInputElement).blur();
    if (e.key === 'Escape') {
      (e.target as HTMLInputElement).value = '';
      (e.target as HTMLInputElement).blur();
    }
  };

  #onKeyDown = (e: KeyboardEvent): void => {
    const target = e.composedPath()[0];
    if (target instanceof HTMLElement && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.isContentEditable)) return;
    const mod = e.ctrlKey || e.metaKey;
    const key = e.key.toLowerCase();
    if (mod && key === 'z') {
      e.preventDefault();
      if (e.shiftKey) this.redo();
      else this.undo();
      return;
    }
    if (mod && key === 'y') {
      e.preventDefault();
      this.redo();
      return;
    }
    if (mod || e.altKey) return;
    const doc = this.doc;
    if ((e.key === 'Delete' || e.key === 'Backspace') && this.selected && doc && !this.readOnly) {
      e.preventDefault();
      this.#undo?.stopCapturing();
      eraseShape(doc, this.selected);
      this.selected = undefined;
      return;
    }
    const arrows: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    const arrow = arrows[e.key];
    if (arrow && this.selected && doc && !this.readOnly && target instanceof SVGElement) {
      e.preventDefault();
      const step = e.shiftKey ? 10 : 1;
      moveShape(doc, this.selected, arrow[0] * step, arrow[1] * step);
      return;
    }
    if (key === '+' || key === '=') return void this.setZoom(this.zoom * 1.25);
    if (key === '-') return void this.setZoom(this.zoom / 1.25);
    if (key === '0') {
      this.zoom = 1;
      this.panX = this.panY = 0;
      return;
    }
    const tool = TOOLS.find((t) => t.key === key);
    if (tool) this.tool = tool.tool;
  };

  #renderSelection(): TemplateResult | typeof nothing {
    const doc = this.doc;
    const s = this.selected && doc ? getShape(doc, this.selected) : undefined;
    if (!s) return nothing;
    const b = shapeBounds(s);
    const pad = 4 / this.zoom;
    return svg`<rect class="selection" x=${b.x - pad} y=${b.y - pad} width=${b.w + 2 * pad} height=${b.h + 2 * pad} stroke-width=${1 / this.zoom}></rect>`;
  }

  protected override render(): TemplateResult {
    const undoStack = this.#undo?.undoStack.length ?? 0;
    const redoStack = this.#undo?.redoStack.length ?? 0;
    const shapes = this.doc ? listShapes(this.doc) : [];
    const synced = this.#session?.synced ?? false;
    const text = this.textAt;
    return html`
      <div class="toolbar" part="toolbar" role="toolbar" aria-label="Whiteboard tools">
        ${TOOLS.map(
          (t) =>
            html`<button
              type="button"
              data-tool=${t.tool}
              aria-pressed=${this.tool === t.tool ? 'true' : 'false'}
              aria-label=${t.label}
              title=${`${t.label} (${t.key.toUpperCase()})`}
              @click=${() => (this.tool = t.tool)}
            >
              ${t.icon}
            </button>`,
        )}
        <span class="sep" role="separator"></span>
        ${WHITEBOARD_COLORS.map(
          (c) =>
            html`<button
              type="button"
              class="swatch"
              style=${`background:${c}`}
              aria-pressed=${this.color === c ? 'true' : 'false'}
              aria-label=${`Colour ${c}`}
              title=${c}
              @click=${() => (this.color = c)}
            ></button>`,
        )}
        <input
          type="color"
          aria-label="Custom colour"
          .value=${/^#[0-9a-f]{6}$/i.test(this.color) ? this.color : '#000000'}
          @input=${(e: Event) => (this.color = (e.target as HTMLInputElement).value)}
        />
        <span class="sep" role="separator"></span>
        <button type="button" aria-label="Undo" title="Undo (Ctrl+Z)" ?disabled=${undoStack === 0} @click=${() => this.undo()}>↶</button>
        <button type="button" aria-label="Redo" title="Redo (Ctrl+Shift+Z)" ?disabled=${redoStack === 0} @click=${() => this.redo()}>↷</button>
        <span class="sep" role="separator"></span>
        <button type="button" aria-label="Zoom out" title="Zoom out (−)" @click=${() => this.setZoom(this.zoom / 1.25)}>−</button>
        <button
          type="button"
          class="zoom"
          aria-label="Reset zoom"
          title="Reset zoom (0)"
          @click=${() => {
            this.zoom = 1;
            this.panX = this.panY = 0;
          }}
        >
          ${Math.round(this.zoom * 100)}%
        </button>
        <button type="button" aria-label="Zoom in" title="Zoom in (+)" @click=${() => this.setZoom(this.zoom * 1.25)}>+</button>
      </div>
      ${this.error ? html`<div class="error" role="alert">${this.error}</div>` : nothing}
      <div class="stage">
        <svg
          part="canvas"
          class=${this.tool}
          data-testid="whiteboard-canvas"
          tabindex="0"
          role="img"
          aria-label=${`Whiteboard, ${shapes.length} shape${shapes.length === 1 ? '' : 's'}`}
          @pointerdown=${this.#onPointerDown}
          @pointermove=${this.#onPointerMove}
          @pointerup=${this.#onPointerUp}
          @pointercancel=${this.#onPointerUp}
          @pointerleave=${this.#onPointerLeave}
          @wheel=${this.#onWheel}
        >
          <g transform=${`translate(${this.panX} ${this.panY}) scale(${this.zoom})`}>
            ${shapes.map(({ id, shape }) => renderShape(id, shape))} ${this.#renderSelection()}
          </g>
          ${remoteCursors(this.#session).map((c) => renderCursor(c, { zoom: this.zoom, panX: this.panX, panY: this.panY }))}
        </svg>
        ${text
          ? html`<input
              class="text-input"
              aria-label="Text"
              style=${`left:${text.x * this.zoom + this.panX}px;top:${text.y * this.zoom + this.panY - 24}px;color:${this.color}`}
              @keydown=${this.#onTextKey}
              @blur=${this.#commitText}
            />`
          : nothing}
        <span class="status muted" aria-live="polite">${this.#session ? (synced ? (this.readOnly ? 'Read-only' : '') : 'Connecting…') : ''}</span>
      </div>
    `;
  }
}
