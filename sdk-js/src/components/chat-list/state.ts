/**
 * The state of `<caas-chat-list>` and how it follows the server: the rows
 * loaded (paged, searched, filtered) and kept up to date from live events, the
 * active row and keyboard moves, and the "New group" dialog's op.
 *
 * @packageDocumentation
 */

import { LitElement, type PropertyValues } from 'lit';

import type { InboxEntry, InboxFilter } from '../../chat/types.js';
import type { CaasClient } from '../../client/client.js';
import { ClientEvent } from '../../client/events.js';
import type { ActionErrorDetail } from '../shared/events.js';
import { errorText, nearEnd } from '../shared/format.js';
import {
  addConversation,
  appendPage,
  applyMessageChanged,
  applyMessageNew,
  applyReceipt,
  applySettings,
  INBOX_FILTERS,
  parseUserIds,
} from './inbox.js';

/** Detail of the `caas-select` event. */
export interface SelectDetail {
  /** The conversation the user chose. */
  conversationId: string;
}

/** How long the search box waits after the last keystroke before searching, in milliseconds. */
const SEARCH_DELAY_MS = 250;

/** How long live events for unknown conversations are gathered before one reload, in milliseconds. */
const RELOAD_DELAY_MS = 150;

/** The state and the ops of `<caas-chat-list>`; the element renders it. */
export abstract class ChatListState extends LitElement {
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

  declare protected entries: InboxEntry[];

  declare protected loading: boolean;

  declare protected error: string | undefined;

  declare protected nextCursor: string | null;

  declare protected activeIndex: number;

  declare protected dialogOpen: boolean;

  declare protected dialogError: string | undefined;

  declare protected creating: boolean;

  protected boundClient: CaasClient | undefined;

  protected unsubscribe: Array<() => void> = [];

  /** Bumped by every reload: replies of an older load are dropped. */
  protected generation = 0;

  protected loaded = false;

  protected searchTimer: ReturnType<typeof setTimeout> | undefined;

  protected reloadTimer: ReturnType<typeof setTimeout> | undefined;

  protected focusAfterRender: 'row' | 'dialog' | 'opener' | undefined;

  /** Messages seen deleted (`message.deleted`): their previews say so. */
  protected readonly deleted = new Set<string>();

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

  protected bindClient(): void {
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

  protected unbindClient(): void {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    this.boundClient = undefined;
    this.generation++;
  }

  /** A conversation the user joined: added in place, or found by a reload while a search is active. */
  protected conversationJoined(id: string, add: () => InboxEntry[]): void {
    if (this.entries.some((e) => e.conversation.id === id)) {
      this.entries = add();
    } else if (this.q.trim() !== '') {
      this.scheduleReload();
    } else {
      this.entries = add();
    }
  }

  protected scheduleReload(): void {
    clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => this.reload(), RELOAD_DELAY_MS);
  }

  protected async loadPage(): Promise<void> {
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
  protected fillViewport(): void {
    const list = this.listElement();
    if (!list || list.clientHeight === 0 || this.loading || this.nextCursor === null) return;
    if (list.scrollHeight <= list.clientHeight + 80) this.loadMore();
  }

  protected listElement(): HTMLElement | null {
    return this.renderRoot.querySelector<HTMLElement>('[role="listbox"]');
  }

  protected rowElement(i: number): HTMLElement | null {
    return this.renderRoot.querySelector<HTMLElement>(`[role="option"][data-index="${i}"]`);
  }

  protected onScroll(): void {
    const list = this.listElement();
    if (list && nearEnd(list)) this.loadMore();
  }

  protected choose(i: number): void {
    const entry = this.entries[i];
    if (!entry) return;
    this.activeIndex = i;
    this.select(entry.conversation.id);
  }

  protected select(conversationId: string): void {
    this.selected = conversationId;
    this.dispatchEvent(
      new CustomEvent<SelectDetail>('caas-select', { detail: { conversationId }, bubbles: true, composed: true }),
    );
  }

  protected fail(action: string, error: unknown): void {
    this.dispatchEvent(new CustomEvent<ActionErrorDetail>('caas-error', { detail: { action, error }, bubbles: true, composed: true }));
  }

  protected onListKeydown(e: KeyboardEvent): void {
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

  protected onSearchInput(e: Event): void {
    const value = (e.target as HTMLInputElement).value;
    clearTimeout(this.searchTimer);
    this.searchTimer = setTimeout(() => {
      this.q = value;
    }, SEARCH_DELAY_MS);
  }

  protected onTabKeydown(e: KeyboardEvent): void {
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

  protected openDialog(): void {
    this.dialogOpen = true;
    this.dialogError = undefined;
    this.focusAfterRender = 'dialog';
  }

  protected closeDialog(): void {
    this.dialogOpen = false;
    this.dialogError = undefined;
    this.focusAfterRender = 'opener';
  }

  protected async createGroup(e: SubmitEvent): Promise<void> {
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
}
