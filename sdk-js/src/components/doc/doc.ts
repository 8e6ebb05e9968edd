/**
 * `<caas-doc>`: a rich-text document that everyone on it edits live, over a
 * live document (`client.collab.open`) bound to ProseMirror by y-prosemirror.
 * The model is described in `model.ts`; the editor in `editor.ts`,
 * loaded on demand.
 *
 * @packageDocumentation
 */

import { html, LitElement, nothing, type PropertyValues, type TemplateResult } from 'lit';
import type * as Y from 'yjs';
import type { EditorView } from 'prosemirror-view';

import type { CaasClient } from '../../client/client.js';
import { CollabEvent, type CollabSession, type CollabStatus } from '../../collab/collab.js';
import type { ActionErrorDetail } from '../shared/events.js';
import { errorText } from '../shared/format.js';
import { baseStyles } from '../shared/styles.js';
import type { DocEditor } from './editor.js';
import {
  disabledToolbar,
  DOC_FRAGMENT,
  DOC_TOOLBAR,
  type DocAction,
  docStatus,
  remoteUsers,
  shortcutLabel,
  userColor,
} from './model.js';
import { docStyles } from './styles.js';

/** Detail of the `caas-synced` event. */
export interface DocSyncedDetail {
  /** The open session. */
  session: CollabSession;
}

/** Detail of the `caas-status` event. */
export interface DocStatusDetail {
  /** The connection state. */
  status: CollabStatus;
}

/** Detail of the `caas-readonly` event. */
export interface DocReadOnlyDetail {
  /** The server's reason (`permission denied: …`). */
  reason: string;
}

/** How many times one opening may drop refused changes by reopening (a guard against loops). */
const MAX_REVERTS = 3;

const isMac = (): boolean => typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform ?? '');

/**
 * `<caas-doc>`: opens the document `doc-id` (a `doc` document,
 * `client.docs.create({kind: 'doc', …})`) with `client.collab.open` and edits
 * its `Y.XmlFragment` `prosemirror` in a ProseMirror editor, live with
 * everyone on it.
 *
 * - Toolbar: bold, italic, headings 1–3, bulleted and numbered lists (toggle
 *   buttons with `aria-pressed`), undo and redo. Keys: Ctrl+B, Ctrl+I,
 *   Ctrl+Alt+1/2/3 (Ctrl+Alt+0: paragraph), Ctrl+Shift+8/9, Ctrl+Z,
 *   Ctrl+Shift+Z or Ctrl+Y, Ctrl+[ / Ctrl+] to outdent or indent a list item,
 *   Shift+Enter for a line break (Cmd on macOS).
 * - Undo and redo revert only the local user's own changes (y-prosemirror's
 *   `yUndoPlugin`), never someone else's.
 * - Others' carets and selections show in their colours with their names
 *   (`yCursorPlugin`, from awareness `user: {name, color}` — set yours with
 *   `user-name` and `user-color`), and the toolbar lists who else is there.
 * - A status indicator shows the connection (connecting, connected, offline —
 *   changes made offline are sent on reconnection) and read-only mode.
 * - Read-only: with the `readonly` attribute, and by itself when the server
 *   refuses a change (a viewer: the y-protocols auth message *permission
 *   denied*). Then the element fires `caas-readonly` and reopens the
 *   document, so that the refused change, which reached nobody, leaves the
 *   page too.
 * - The editor is editable once the document has first synced.
 * - Test ids: `doc-editor` (the contenteditable), `doc-status` (with
 *   `data-status` `connecting`, `online` or `offline`, and `data-readonly`),
 *   `doc-users` / `doc-user` (with `data-name`), `doc-cursor` (another user's
 *   caret, with `data-name`); toolbar buttons have `data-action`.
 *
 * Without a bundler, the page maps `yjs`, `y-websocket`, `y-protocols/auth`,
 * `y-prosemirror` and the `prosemirror-*` modules with an import map (see
 * `demo/doc.html`).
 *
 * @fires caas-synced - `CustomEvent<DocSyncedDetail>` each time the document is in sync with the server.
 * @fires caas-status - `CustomEvent<DocStatusDetail>` when the connection state changes.
 * @fires caas-readonly - `CustomEvent<DocReadOnlyDetail>` when the server refuses a change (the editor turns read-only).
 * @fires caas-error - `CustomEvent<ActionErrorDetail>` when the document cannot be opened or was closed by the server.
 *
 * @csspart toolbar - the toolbar.
 * @csspart status - the connection status.
 * @csspart editor - the scrolled box around the editor.
 */
export class CaasDoc extends LitElement {
  static override properties = {
    client: { attribute: false },
    docId: { type: String, attribute: 'doc-id', reflect: true },
    userName: { type: String, attribute: 'user-name' },
    userColor: { type: String, attribute: 'user-color' },
    readonly: { type: Boolean, reflect: true },
    placeholder: { type: String },
    label: { type: String },
    status: { state: true },
    synced: { state: true },
    denied: { state: true },
    error: { state: true },
    revision: { state: true },
  };

  static override styles = [baseStyles, docStyles];

  /** The client (required). */
  declare client: CaasClient | undefined;

  /** The document to open (a `doc` document, `client.docs.create`). */
  declare docId: string | undefined;

  /** Your name on others' screens (default: the client's user name or id). */
  declare userName: string | undefined;

  /** Your colour on others' screens, `#rrggbb` (default: derived from the name). */
  declare userColor: string | undefined;

  /** Read-only, set by the page (e.g. for users it knows to be viewers). */
  declare readonly: boolean;

  /** Shown in an empty document. */
  declare placeholder: string;

  /** The accessible name of the editor. */
  declare label: string;

  declare protected status: CollabStatus;

  declare protected synced: boolean;

  declare protected denied: boolean;

  declare protected error: string | undefined;

  declare protected revision: number;

  constructor() {
    super();
    this.client = undefined;
    this.docId = undefined;
    this.userName = undefined;
    this.userColor = undefined;
    this.readonly = false;
    this.placeholder = 'Start writing…';
    this.label = 'Document';
    this.status = 'connecting';
    this.synced = false;
    this.denied = false;
    this.error = undefined;
    this.revision = 0;
  }

  #session: CollabSession | undefined;

  #editor: DocEditor | undefined;

  #opening = 0;

  #everSynced = false;

  #reverts = 0;

  #cleanup: Array<() => void> = [];

  /** The open session, once open. */
  get session(): CollabSession | undefined {
    return this.#session;
  }

  /** The shared document, once open. */
  get doc(): Y.Doc | undefined {
    return this.#session?.doc;
  }

  /** The ProseMirror view, once open. */
  get view(): EditorView | undefined {
    return this.#editor?.view;
  }

  /** The undo manager of the local user's changes, once open. */
  get undoManager(): Y.UndoManager | undefined {
    return this.#editor?.undoManager;
  }

  /** Whether the server refused a change of ours (we are a viewer). */
  get writeDenied(): boolean {
    return this.denied;
  }

  /** Whether the user may type now: open, synced once, not `readonly`, not refused by the server. */
  get editable(): boolean {
    return this.#session !== undefined && this.#everSynced && !this.readonly && !this.denied;
  }

  /** The connection state. */
  get connectionStatus(): CollabStatus {
    return this.status;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.client && this.docId && !this.#session && this.hasUpdated) void this.#open();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#close();
    this.status = 'disconnected';
  }

  // Before rendering, so that the state these change joins this render.
  protected override willUpdate(changed: PropertyValues): void {
    if ((changed.has('client') || changed.has('docId')) && this.isConnected) {
      const session = this.#session;
      if (!session || session.docId !== this.docId || changed.has('client')) void this.#open();
    }
    if ((changed.has('userName') || changed.has('userColor')) && this.#session) this.#publishUser();
    // The editor's update may change awareness (the local caret), which renders the toolbar.
    if (changed.has('readonly') || changed.has('denied') || changed.has('synced') || changed.has('label')) this.#editor?.refresh();
  }

  /** Runs a toolbar action (on the current selection); false when it does not apply or the editor is read-only. */
  exec(action: DocAction): boolean {
    const ok = this.#editor?.exec(action) ?? false;
    if (ok) this.#editor?.view.focus();
    return ok;
  }

  /** Undoes your last change (never someone else's). */
  undo(): boolean {
    return this.exec('undo');
  }

  /** Redoes your last undone change. */
  redo(): boolean {
    return this.exec('redo');
  }

  /** Puts the focus in the editor. */
  override focus(options?: FocusOptions): void {
    if (this.#editor) this.#editor.view.focus();
    else super.focus(options);
  }

  #close(): void {
    this.#opening++;
    for (const f of this.#cleanup.splice(0)) f();
    this.#editor?.destroy();
    this.#editor = undefined;
    this.renderRoot?.querySelector('.host')?.replaceChildren();
    this.#session?.destroy();
    this.#session = undefined;
    this.#everSynced = false;
    this.synced = false;
  }

  async #open(keepDenied = false): Promise<void> {
    this.#close();
    const ticket = this.#opening;
    const { client, docId } = this;
    if (!keepDenied) {
      this.denied = false;
      this.#reverts = 0;
    }
    if (!client || !docId) return;
    this.error = undefined;
    this.status = 'connecting';
    try {
      const [session, editorModule] = await Promise.all([client.collab.open(docId), import('./editor.js')]);
      if (ticket !== this.#opening) {
        session.destroy();
        return;
      }
      this.#session = session;
      this.status = session.connected ? 'connected' : 'connecting';
      this.#everSynced = session.synced;
      this.synced = session.synced;
      const bump = (): void => {
        this.revision++;
      };
      let announced = false;
      session.awareness.on('change', bump);
      const offStatus = session.on(CollabEvent.Status, ({ status }) => {
        this.status = status;
        this.#emit<DocStatusDetail>('caas-status', { status });
      });
      const offSynced = session.on(CollabEvent.Synced, ({ synced }) => {
        this.synced = synced;
        if (synced) {
          this.#everSynced = true;
          announced = true;
          this.#emit<DocSyncedDetail>('caas-synced', { session });
        }
      });
      const offDenied = session.on(CollabEvent.PermissionDenied, ({ reason }) => this.#onDenied(ticket, reason));
      const offClosed = session.on(CollabEvent.Closed, ({ code, reason }) => {
        this.status = 'disconnected';
        this.#fail('collab.open', new Error(`closed (${code}) ${reason}`));
      });
      this.#cleanup.push(() => {
        session.awareness.off('change', bump);
        offStatus();
        offSynced();
        offDenied();
        offClosed();
      });
      this.#publishUser();
      await this.updateComplete;
      const place = this.renderRoot.querySelector<HTMLElement>('.host');
      if (ticket !== this.#opening || !place) return;
      place.replaceChildren();
      this.#editor = editorModule.createDocEditor({
        fragment: session.doc.getXmlFragment(DOC_FRAGMENT),
        awareness: session.awareness,
        place,
        editable: () => this.editable,
        placeholder: () => (this.editable ? this.placeholder : ''),
        attributes: () => ({
          'data-testid': 'doc-editor',
          role: 'textbox',
          'aria-multiline': 'true',
          'aria-label': this.label,
          'aria-readonly': this.editable ? 'false' : 'true',
        }),
        onUpdate: bump,
      });
      // In sync before the editor existed (and no event told it yet).
      if (session.synced && !announced) this.#emit<DocSyncedDetail>('caas-synced', { session });
      bump();
    } catch (error) {
      if (ticket === this.#opening) {
        this.status = 'disconnected';
        this.#fail('collab.open', error);
      }
    }
  }

  /**
   * The server refused a change: read-only from now on, and reopen with a
   * fresh document so that the refused change (which reached nobody) leaves
   * the page too.
   */
  #onDenied(ticket: number, reason: string): void {
    if (ticket !== this.#opening) return;
    const first = !this.denied;
    this.denied = true;
    if (first) this.#emit<DocReadOnlyDetail>('caas-readonly', { reason });
    if (this.#reverts >= MAX_REVERTS) return;
    this.#reverts++;
    // After the current message is handled (this runs inside the provider's handler).
    queueMicrotask(() => {
      if (ticket === this.#opening) void this.#open(true);
    });
  }

  #emit<T>(type: string, detail: T): void {
    this.dispatchEvent(new CustomEvent<T>(type, { detail, bubbles: true, composed: true }));
  }

  #fail(action: string, error: unknown): void {
    this.error = errorText(error);
    this.#emit<ActionErrorDetail>('caas-error', { action, error });
  }

  #userName(): string {
    const user = this.client?.user;
    return this.userName || user?.name || user?.id || 'Anonymous';
  }

  #publishUser(): void {
    const name = this.#userName();
    this.#session?.awareness.setLocalStateField('user', { name, color: userColor(name, this.userColor) });
  }

  protected override render(): TemplateResult {
    const editable = this.editable;
    const tools = this.#editor?.toolbar() ?? disabledToolbar();
    const readOnly = this.readonly || this.denied;
    const status = docStatus({ status: this.status, synced: this.synced, wasSynced: this.#everSynced, readOnly });
    const session = this.#session;
    const users = session ? remoteUsers(session.awareness.getStates() as Map<number, Record<string, unknown>>, session.awareness.clientID) : [];
    const mac = isMac();
    return html`
      <div class="toolbar" part="toolbar" role="toolbar" aria-label="Formatting" aria-controls="editor">
        ${DOC_TOOLBAR.map((spec) => {
          if (!spec) return html`<span class="sep" role="separator"></span>`;
          const state = tools[spec.action];
          return html`<button
            type="button"
            data-action=${spec.action}
            aria-label=${spec.label}
            aria-pressed=${spec.toggle ? (state.active ? 'true' : 'false') : nothing}
            title=${`${spec.label} (${shortcutLabel(spec.key, mac)})`}
            ?disabled=${!state.enabled}
            @mousedown=${(e: MouseEvent) => e.preventDefault()}
            @click=${() => this.exec(spec.action)}
          >
            ${spec.icon}
          </button>`;
        })}
        <span class="spacer"></span>
        <ul class="users" data-testid="doc-users" aria-label="Also here">
          ${users.map((u) => html`<li data-testid="doc-user" data-name=${u.name} style=${`background:${u.color}`} title=${u.name}>${u.name}</li>`)}
        </ul>
        <span
          class="status"
          part="status"
          role="status"
          aria-live="polite"
          data-testid="doc-status"
          data-status=${status.kind}
          data-readonly=${readOnly ? 'true' : 'false'}
          ><span class="dot" aria-hidden="true"></span>${status.label}</span
        >
      </div>
      ${this.error ? html`<div class="error" role="alert">${this.error}</div>` : nothing}
      ${this.denied
        ? html`<div class="muted notice" data-testid="doc-readonly-notice" role="note" style="padding:4px 12px">
            You can read this document but not edit it.
          </div>`
        : nothing}
      <div class="scroll" part="editor" id="editor" data-editable=${editable ? 'true' : 'false'}>
        <div class="host"></div>
      </div>
    `;
  }
}
