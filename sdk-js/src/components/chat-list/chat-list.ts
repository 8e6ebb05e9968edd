/**
 * `<caas-chat-list>`: the user's conversations, live.
 *
 * @packageDocumentation
 */

import { LitElement, css, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { live } from 'lit/directives/live.js';

import type { CaasClient } from '../client.js';
import { ClientEvent } from '../events.js';
import type { InboxEntry, InboxFilter } from '../types.js';
import {
  FILTER_LABELS,
  INBOX_FILTERS,
  addConversation,
  appendPage,
  applyMessageChanged,
  applyMessageNew,
  applyReceipt,
  applySettings,
  conversationTitle,
  errorText,
  nearEnd,
  parseUserIds,
  previewText,
  shortTime,
} from './logic.js';
import { baseStyles } from './styles.js';

/** Detail of the `caas-select` event. */
export interface SelectDetail {
  /** The conversation the user chose. */
  conversationId: string;
}

/** Detail of the `caas-error` event. */
export interface ActionErrorDetail {
  /** The op or action that failed, e.g. `conversation.list`. */
  action: string;
  /** What the client threw. */
  error: unknown;
}

/** How long the search box waits after the last keystroke before searching, in milliseconds. */
const SEARCH_DELAY_MS = 250;
/** How long live events for unknown conversations are gathered before one reload, in milliseconds. */
const RELOAD_DELAY_MS = 150;

/**
 * `<caas-chat-list>`: the chat list of the connected user, from
 * `conversation.list`, kept up to date from `message.new`, `receipt.read`,
 * `conversation.created`, `conversation.settings`, `message.updated`,
 * `message.deleted`, `member.added` and `member.removed`.
 *
 * Rows show the conversation's name (a group's name, or the other member's id
 * for a direct conversation), a preview of the newest message, its time and
 * the unread count. More rows load when the list is scrolled near its end.
 * A search box (`q`), filter tabs (`filter`) and a "New group" dialog sit above.
 *
 * Rows form an ARIA listbox: Arrow keys, Home and End move between them, Enter
 * or Space (or a click) chooses one.
 *
 * @fires caas-select - `CustomEvent<SelectDetail>` when a row is chosen, and for a group just created.
 * @fires caas-error - `CustomEvent<ActionErrorDetail>` when an op fails (the list shows the error too).
 *
 * @csspart header - the search box, tabs and button above the rows.
 * @csspart list - the scrolled listbox.
 */
export class CaasChatList extends LitElement {
  static override properties = {
    client: { attribute: false },
    filter: { type: String, reflect: true },
    q: { type: String },
    selected: { type: String, reflect: true },
    pageSize: { type: Number, attribute: 'page-size' },
    entries: { state: true },
    loading: { state: true },
    error: { state: true },
    nextCursor: { state: true },
    activeIndex: { state: true },
    dialogOpen: { state: true },
    dialogError: { state: true },
    creating: { state: true },
  };

  static override styles = [
    baseStyles,
    css`
      :host {
        height: 100%;
      }
      header {
        display: flex;
        flex-direction: column;
        gap: 8px;
        padding: 10px;
        border-bottom: 1px solid var(--_border);
      }
      .top {
        display: flex;
        gap: 8px;
      }
      .top input {
        flex: 1;
        min-width: 0;
      }
      [role='tablist'] {
        display: flex;
        flex-wrap: wrap;
        gap: 2px;
      }
      [role='tab'] {
        border: none;
        padding: 1px 7px;
        font-size: 0.9em;
        color: var(--_muted);
      }
      [role='tab'][aria-selected='true'] {
        background: var(--_accent);
        color: var(--_accent-fg);
      }
      [role='listbox'] {
        flex: 1;
        overflow-y: auto;
        min-height: 0;
        margin: 0;
        padding: 0;
      }
      .row {
        display: flex;
        align-items: center;
        gap: 10px;
        padding: 8px 12px;
        cursor: pointer;
        border-bottom: 1px solid var(--_border);
      }
      .row:hover,
      .row[aria-selected='true'] {
        background: var(--_hover);
      }
      .row[aria-selected='true'] {
        box-shadow: inset 3px 0 0 var(--_accent);
      }
      .avatar {
        flex: none;
        width: 36px;
        height: 36px;
        border-radius: 50%;
        display: grid;
        place-items: center;
        background: var(--_bubble-bg);
        font-weight: 600;
        text-transform: uppercase;
      }
      .main {
        flex: 1;
        min-width: 0;
      }
      .title,
      .preview {
        display: block;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .title {
        font-weight: 600;
      }
      .unread .preview {
        color: var(--_fg);
        font-weight: 500;
      }
      .preview,
      time {
        color: var(--_muted);
        font-size: 0.9em;
      }
      .meta {
        display: flex;
        flex-direction: column;
        align-items: flex-end;
        gap: 4px;
      }
      .badge {
        min-width: 20px;
        padding: 0 6px;
        border-radius: 10px;
        background: var(--_accent);
        color: var(--_accent-fg);
        font-size: 0.8em;
        font-weight: 600;
        text-align: center;
      }
      .status {
        padding: 10px 12px;
        color: var(--_muted);
      }
      .backdrop {
        position: fixed;
        inset: 0;
        display: grid;
        place-items: center;
        background: rgba(0, 0, 0, 0.35);
        z-index: 10;
      }
      [role='dialog'] {
        background: var(--_bg);
        color: var(--_fg);
        border-radius: var(--_radius);
        padding: 16px;
        min-width: min(360px, 90vw);
        display: flex;
        flex-direction: column;
        gap: 10px;
        box-shadow: 0 8px 30px rgba(0, 0, 0, 0.25);
      }
      [role='dialog'] h2 {
        margin: 0;
        font-size: 1.1em;
      }
      [role='dialog'] label {
        display: flex;
        flex-direction: column;
        gap: 4px;
      }
      .actions {
        display: flex;
        justify-content: flex-end;
        gap: 8px;
      }
    `,
  ];

  /** The connected client whose conversations are shown. */
  declare client: CaasClient | undefined;
  /** Which conversations: `all` (default), `unread`, `direct`, `group`, `archived` or `pinned`. Attribute `filter`. */
  declare filter: InboxFilter;
  /** Search text: matches group names and other members' ids and names. */
  declare q: string;
  /** The id of the open conversation, highlighted (set when a row is chosen). Attribute `selected`. */
  declare selected: string | undefined;
  /** Rows per `conversation.list` page (1–100, default 30). Attribute `page-size`. */
  declare pageSize: number;

  declare private entries: InboxEntry[];
  declare private loading: boolean;
  declare private error: string | undefined;
  declare private nextCursor: string | null;
  declare private activeIndex: number;
  declare private dialogOpen: boolean;
  declare private dialogError: string | undefined;
  declare private creating: boolean;

  private boundClient: CaasClient | undefined;
  private unsubscribe: Array<() => void> = [];
  /** Bumped by every reload: replies of an older load are dropped. */
  private generation = 0;
  private loaded = false;
  private searchTimer: ReturnType<typeof setTimeout> | undefined;
  private reloadTimer: ReturnType<typeof setTimeout> | undefined;
  private focusAfterRender: 'row' | 'dialog' | 'opener' | undefined;
  /** Messages seen deleted (`message.deleted`): their previews say so. */
  private readonly deleted = new Set<string>();

  constructor() {
    super();
    this.client = undefined;
    this.filter = 'all';
    this.q = '';
    this.selected = undefined;
    this.pageSize = 30;
    this.entries = [];
    this.loading = false;
    this.error = undefined;
    this.nextCursor = null;
    this.activeIndex = 0;
    this.dialogOpen = false;
    this.dialogError = undefined;
    this.creating = false;
  }

  /** The rows shown, most recent activity first. */
  get conversations(): readonly InboxEntry[] {
    return this.entries;
  }

  /** Loads the first page again (after a filter or search change this happens by itself). */
  reload(): void {
    this.generation++;
    this.entries = [];
    this.nextCursor = null;
    this.loaded = false;
    this.activeIndex = 0;
    void this.loadPage();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.bindClient();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unbindClient();
    clearTimeout(this.searchTimer);
    clearTimeout(this.reloadTimer);
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('client')) this.bindClient();
    else if ((changed.has('filter') || changed.has('q') || changed.has('pageSize')) && this.boundClient) this.reload();
  }

  protected override updated(): void {
    if (this.focusAfterRender === 'row') {
      this.rowElement(this.activeIndex)?.focus();
    } else if (this.focusAfterRender === 'dialog') {
      this.renderRoot.querySelector<HTMLInputElement>('#caas-group-name')?.focus();
    } else if (this.focusAfterRender === 'opener') {
      this.renderRoot.querySelector<HTMLButtonElement>('[data-testid="new-group-button"]')?.focus();
    }
    this.focusAfterRender = undefined;
    this.fillViewport();
  }

  private bindClient(): void {
    if (!this.isConnected || this.client === this.boundClient) return;
    this.unbindClient();
    const client = this.client;
    if (!client) return;
    this.boundClient = client;
    const me = (): string | undefined => client.user?.id;
    this.unsubscribe = [
      client.on(ClientEvent.Connected, () => {
        if (!this.loaded && !this.loading) this.reload();
      }),
      client.on(ClientEvent.MessageNew, ({ message }) => {
        const r = applyMessageNew(this.entries, message, me(), this.filter, this.selected);
        this.entries = r.entries;
        if (r.unknown) this.scheduleReload();
      }),
      client.on(ClientEvent.ReceiptRead, (receipt) => {
        this.entries = applyReceipt(this.entries, receipt, me(), this.filter, this.selected);
      }),
      client.on(ClientEvent.ConversationCreated, ({ conversation }) => this.conversationJoined(conversation.id, () =>
        addConversation(this.entries, conversation, me(), this.filter),
      )),
      client.on(ClientEvent.MemberAdded, (ev) => {
        if (ev.user_ids.includes(me() ?? '')) {
          this.conversationJoined(ev.conversation_id, () => addConversation(this.entries, ev.conversation, me(), this.filter));
        } else if (this.entries.some((e) => e.conversation.id === ev.conversation_id)) {
          this.entries = addConversation(this.entries, ev.conversation, me(), this.filter);
        }
      }),
      client.on(ClientEvent.MemberRemoved, (ev) => {
        if (ev.user_id === me()) {
          this.entries = this.entries.filter((e) => e.conversation.id !== ev.conversation_id);
        } else {
          this.entries = this.entries.map((e) =>
            e.conversation.id === ev.conversation_id
              ? {
                  ...e,
                  member_count: Math.max(0, e.member_count - 1),
                  conversation: {
                    ...e.conversation,
                    members: e.conversation.members.filter((m) => m.user_id !== ev.user_id),
                  },
                }
              : e,
          );
        }
      }),
      client.on(ClientEvent.ConversationSettings, (settings) => {
        const r = applySettings(this.entries, settings, this.filter, this.selected);
        this.entries = r.entries;
        if (r.unknown) this.scheduleReload();
      }),
      client.on(ClientEvent.MessageUpdated, ({ message }) => {
        this.entries = applyMessageChanged(this.entries, message);
      }),
      client.on(ClientEvent.MessageDeleted, ({ message }) => {
        this.deleted.add(message.id);
        this.entries = applyMessageChanged(this.entries, message);
      }),
    ];
    this.reload();
  }

  private unbindClient(): void {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    this.boundClient = undefined;
    this.generation++;
  }

  /** A conversation the user joined: added in place, or found by a reload while a search is active. */
  private conversationJoined(id: string, add: () => InboxEntry[]): void {
    if (this.entries.some((e) => e.conversation.id === id)) {
      this.entries = add();
    } else if (this.q.trim() !== '') {
      this.scheduleReload();
    } else {
      this.entries = add();
    }
  }

  private scheduleReload(): void {
    clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => this.reload(), RELOAD_DELAY_MS);
  }

  private async loadPage(): Promise<void> {
    const client = this.boundClient;
    if (!client || this.loading) return;
    if (client.state !== 'connected') return; // `Connected` reloads.
    const generation = this.generation;
    const cursor = this.nextCursor;
    this.loading = true;
    this.error = undefined;
    try {
      const page = await client.conversations.list({
        filter: this.filter,
        ...(this.q.trim() === '' ? {} : { q: this.q.trim() }),
        ...(cursor === null ? {} : { cursor }),
        limit: this.pageSize,
      });
      if (generation !== this.generation) return;
      this.entries = appendPage(this.entries, page.conversations);
      this.nextCursor = page.next_cursor ?? null;
      this.loaded = true;
    } catch (error) {
      if (generation !== this.generation) return;
      this.error = errorText(error);
      this.fail('conversation.list', error);
    } finally {
      if (generation === this.generation) this.loading = false;
      else if (this.loading) {
        // A newer load was asked for while this one ran: start it now.
        this.loading = false;
        void this.loadPage();
      }
    }
  }

  /** Loads the next page, if there is one and none is loading. */
  loadMore(): void {
    if (this.nextCursor !== null && !this.loading) void this.loadPage();
  }

  /** Keeps loading while the rows do not fill the list (only where layout exists). */
  private fillViewport(): void {
    const list = this.listElement();
    if (!list || list.clientHeight === 0 || this.loading || this.nextCursor === null) return;
    if (list.scrollHeight <= list.clientHeight + 80) this.loadMore();
  }

  private listElement(): HTMLElement | null {
    return this.renderRoot.querySelector<HTMLElement>('[role="listbox"]');
  }

  private rowElement(i: number): HTMLElement | null {
    return this.renderRoot.querySelector<HTMLElement>(`[role="option"][data-index="${i}"]`);
  }

  private onScroll(): void {
    const list = this.listElement();
    if (list && nearEnd(list)) this.loadMore();
  }

  private choose(i: number): void {
    const entry = this.entries[i];
    if (!entry) return;
    this.activeIndex = i;
    this.select(entry.conversation.id);
  }

  private select(conversationId: string): void {
    this.selected = conversationId;
    this.dispatchEvent(
      new CustomEvent<SelectDetail>('caas-select', { detail: { conversationId }, bubbles: true, composed: true }),
    );
  }

  private fail(action: string, error: unknown): void {
    this.dispatchEvent(new CustomEvent<ActionErrorDetail>('caas-error', { detail: { action, error }, bubbles: true, composed: true }));
  }

  private onListKeydown(e: KeyboardEvent): void {
    const last = this.entries.length - 1;
    if (last < 0) return;
    let next = this.activeIndex;
    switch (e.key) {
      case 'ArrowDown':
        next = Math.min(last, this.activeIndex + 1);
        break;
      case 'ArrowUp':
        next = Math.max(0, this.activeIndex - 1);
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = last;
        break;
      case 'Enter':
      case ' ':
        e.preventDefault();
        this.choose(this.activeIndex);
        return;
      default:
        return;
    }
    e.preventDefault();
    this.activeIndex = next;
    this.focusAfterRender = 'row';
    if (next >= last - 2) this.loadMore();
  }

  private onSearchInput(e: Event): void {
    const value = (e.target as HTMLInputElement).value;
    clearTimeout(this.searchTimer);
    this.searchTimer = setTimeout(() => {
      this.q = value;
    }, SEARCH_DELAY_MS);
  }

  private onTabKeydown(e: KeyboardEvent): void {
    const i = INBOX_FILTERS.indexOf(this.filter);
    let next: number;
    if (e.key === 'ArrowRight') next = (i + 1) % INBOX_FILTERS.length;
    else if (e.key === 'ArrowLeft') next = (i - 1 + INBOX_FILTERS.length) % INBOX_FILTERS.length;
    else return;
    e.preventDefault();
    this.filter = INBOX_FILTERS[next] ?? 'all';
    void this.updateComplete.then(() =>
      this.renderRoot.querySelector<HTMLElement>(`[role="tab"][data-filter="${this.filter}"]`)?.focus(),
    );
  }

  private openDialog(): void {
    this.dialogOpen = true;
    this.dialogError = undefined;
    this.focusAfterRender = 'dialog';
  }

  private closeDialog(): void {
    this.dialogOpen = false;
    this.dialogError = undefined;
    this.focusAfterRender = 'opener';
  }

  private async createGroup(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    const client = this.boundClient;
    const form = e.target as HTMLFormElement;
    const name = (form.elements.namedItem('name') as HTMLInputElement).value.trim();
    const members = parseUserIds((form.elements.namedItem('members') as HTMLInputElement).value);
    if (!client) return;
    if (name === '') {
      this.dialogError = 'Give the group a name.';
      return;
    }
    if (members.length === 0) {
      this.dialogError = 'Add at least one member id.';
      return;
    }
    this.creating = true;
    this.dialogError = undefined;
    try {
      const conversation = await client.conversations.create({ kind: 'group', name, members });
      this.entries = addConversation(this.entries, conversation, client.user?.id, this.filter);
      this.dialogOpen = false;
      this.focusAfterRender = 'opener';
      this.select(conversation.id);
    } catch (error) {
      this.dialogError = errorText(error);
      this.fail('conversation.create', error);
    } finally {
      this.creating = false;
    }
  }

  protected override render(): TemplateResult {
    const me = this.client?.user?.id;
    return html`
      <header part="header">
        <div class="top">
          <input
            type="search"
            data-testid="chat-search"
            aria-label="Search conversations"
            placeholder="Search"
            .value=${live(this.q)}
            @input=${this.onSearchInput}
          />
          <button type="button" class="primary" data-testid="new-group-button" @click=${this.openDialog}>New group</button>
        </div>
        <div role="tablist" aria-label="Filter conversations" @keydown=${this.onTabKeydown}>
          ${INBOX_FILTERS.map(
            (f) => html`<button
              type="button"
              role="tab"
              data-filter=${f}
              data-testid=${`filter-${f}`}
              aria-selected=${f === this.filter ? 'true' : 'false'}
              tabindex=${f === this.filter ? 0 : -1}
              @click=${() => {
                this.filter = f;
              }}
            >
              ${FILTER_LABELS[f]}
            </button>`,
          )}
        </div>
      </header>
      ${this.error
        ? html`<div class="error" role="alert">
            ${this.error} <button type="button" @click=${() => this.reload()}>Retry</button>
          </div>`
        : nothing}
      <div
        part="list"
        role="listbox"
        aria-label="Conversations"
        data-testid="chat-list"
        aria-busy=${this.loading ? 'true' : 'false'}
        @scroll=${this.onScroll}
        @keydown=${this.onListKeydown}
      >
        ${this.entries.map((entry, i) => this.renderRow(entry, i, me))}
      </div>
      ${this.loading
        ? html`<div class="status" role="status">Loading…</div>`
        : this.entries.length === 0 && this.loaded
          ? html`<div class="status" data-testid="chat-list-empty">No conversations</div>`
          : nothing}
      ${this.dialogOpen ? this.renderDialog() : nothing}
    `;
  }

  private renderRow(entry: InboxEntry, i: number, me: string | undefined): TemplateResult {
    const id = entry.conversation.id;
    const title = conversationTitle(entry.conversation, me);
    const unread = entry.unread_count;
    const muted = entry.muted_until !== null && Date.parse(entry.muted_until) > Date.now();
    return html`<div
      role="option"
      class="row ${unread > 0 ? 'unread' : ''}"
      id=${`caas-row-${i}`}
      data-index=${i}
      data-testid="chat-row"
      data-conversation-id=${id}
      aria-selected=${id === this.selected ? 'true' : 'false'}
      tabindex=${i === this.activeIndex ? 0 : -1}
      @click=${() => this.choose(i)}
      @focus=${() => {
        this.activeIndex = i;
      }}
    >
      <span class="avatar" aria-hidden="true">${title.slice(0, 1)}</span>
      <span class="main">
        <span class="title" data-testid="chat-title"
          >${entry.pinned ? html`<span aria-label="pinned">📌 </span>` : nothing}${title}${muted
            ? html`<span aria-label="muted"> 🔕</span>`
            : nothing}</span
        >
        <span class="preview" data-testid="chat-preview">${previewText(entry, me, this.deleted.has(entry.last_message?.id ?? ''))}</span>
      </span>
      <span class="meta">
        <time datetime=${entry.conversation.last_message_at ?? entry.conversation.created_at}
          >${shortTime(entry.conversation.last_message_at ?? entry.conversation.created_at)}</time
        >
        ${unread > 0
          ? html`<span class="badge" data-testid="unread-badge" aria-label=${`${unread} unread`}
              >${unread > 99 ? '99+' : unread}</span
            >`
          : nothing}
      </span>
    </div>`;
  }

  private renderDialog(): TemplateResult {
    return html`<div
      class="backdrop"
      @click=${(e: Event) => {
        if (e.target === e.currentTarget) this.closeDialog();
      }}
      @keydown=${(e: KeyboardEvent) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          this.closeDialog();
        }
      }}
    >
      <form
        role="dialog"
        aria-modal="true"
        aria-labelledby="caas-new-group-title"
        data-testid="new-group-dialog"
        @submit=${this.createGroup}
      >
        <h2 id="caas-new-group-title">New group</h2>
        <label
          >Name
          <input id="caas-group-name" name="name" data-testid="new-group-name" maxlength="200" required autocomplete="off" />
        </label>
        <label
          >Members (user ids, comma separated)
          <input name="members" data-testid="new-group-members" placeholder="bob, cy" required autocomplete="off" />
        </label>
        ${this.dialogError ? html`<div class="error" role="alert">${this.dialogError}</div>` : nothing}
        <div class="actions">
          <button type="button" @click=${this.closeDialog}>Cancel</button>
          <button type="submit" class="primary" data-testid="new-group-create" ?disabled=${this.creating}>Create</button>
        </div>
      </form>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'caas-chat-list': CaasChatList;
  }
  interface HTMLElementEventMap {
    'caas-select': CustomEvent<SelectDetail>;
    'caas-error': CustomEvent<ActionErrorDetail>;
  }
}
