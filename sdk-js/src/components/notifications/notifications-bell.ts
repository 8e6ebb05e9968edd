/**
 * `<caas-notifications>`: a bell with the unread count, live, and a panel
 * listing the notifications.
 *
 * @packageDocumentation
 */

import { LitElement, css, html, nothing, type PropertyValues, type TemplateResult } from 'lit';

import type { CaasClient } from '../../client/client.js';
import { ClientEvent } from '../../client/events.js';
import { notificationText, type CaasNotification } from '../../notifications/notifications.js';
import type { Pager } from '../../core/paging.js';
import type { ActionErrorDetail } from '../shared/events.js';
import { errorText, nearEnd, shortTime } from '../shared/format.js';
import { baseStyles } from '../shared/styles.js';

/** Detail of `caas-notification-click`. */
export interface NotificationClickDetail {
  /** The notification chosen (marked read). */
  notification: CaasNotification;
}

/** Detail of `caas-unread`. */
export interface UnreadDetail {
  /** The unread count now. */
  unread: number;
}

/** The badge text of an unread count: `''` for none, `99+` above 99. */
export function badgeText(unread: number): string {
  if (!(unread > 0)) return '';
  return unread > 99 ? '99+' : String(Math.floor(unread));
}

/** `list` with `n` first (or its older copy replaced in place), newest first. */
export function addNotification(list: readonly CaasNotification[], n: CaasNotification): CaasNotification[] {
  if (list.some((x) => x.id === n.id)) return list.map((x) => (x.id === n.id ? n : x));
  return [n, ...list];
}

/** `list` followed by the notifications of `page` it lacks. */
export function appendNotifications(list: readonly CaasNotification[], page: readonly CaasNotification[]): CaasNotification[] {
  const have = new Set(list.map((n) => n.id));
  return [...list, ...page.filter((n) => !have.has(n.id))];
}

/** `list` with the notifications of `ids` (all when `ids` is `undefined`) read. */
export function markedRead(list: readonly CaasNotification[], ids?: readonly string[]): CaasNotification[] {
  return list.map((n) => (!n.read && (ids === undefined || ids.includes(n.id)) ? { ...n, read: true } : n));
}

/** An icon per category. */
/** An icon per category (plain glyphs, which fonts without emoji have too). */
const ICONS: Record<string, string> = {
  like: '♥',
  comment: '✎',
  reply: '↩',
  mention: '@',
  direct_message: '✉',
  follow: '+',
  contact_request: '☺',
  reminder: '◷',
  system: 'ℹ',
};

/**
 * `<caas-notifications>`: a bell button with the unread count (from
 * `GET /v1/notifications/unread-count`, then live from `notification.new`,
 * and again on every reconnection) that opens a panel of the user's
 * notifications, newest first, each as a line of text (`bob liked your post`,
 * `bob commented on your post: “Nice!”`…). Choosing one marks it read and
 * fires `caas-notification-click`; "Mark all read" marks them all. More load
 * as the panel scrolls.
 *
 * @fires caas-notification-click - `CustomEvent<NotificationClickDetail>` when a notification is chosen.
 * @fires caas-unread - `CustomEvent<UnreadDetail>` whenever the unread count changes.
 * @fires caas-error - `CustomEvent<ActionErrorDetail>` when an op fails (the panel shows it too).
 *
 * @csspart bell - the bell button.
 * @csspart badge - the unread count.
 * @csspart panel - the panel.
 */
export class CaasNotifications extends LitElement {
  static override properties = {
    client: { attribute: false },
    open: { type: Boolean, reflect: true },
    pageSize: { type: Number, attribute: 'page-size' },
    unread: { state: true },
    items: { state: true },
    hasMore: { state: true },
    loading: { state: true },
    error: { state: true },
  };

  static override styles = [
    baseStyles,
    css`
      :host {
        display: inline-block;
        position: relative;
        background: transparent;
      }
      .bell {
        position: relative;
        border: none;
        padding: 4px 8px;
        line-height: 0;
      }
      .badge {
        position: absolute;
        top: -4px;
        right: -2px;
        min-width: 18px;
        padding: 0 5px;
        border-radius: 9px;
        background: var(--_danger);
        color: #fff;
        font-size: 11px;
        font-weight: 700;
        line-height: 18px;
        text-align: center;
      }
      .panel {
        position: absolute;
        right: 0;
        top: calc(100% + 6px);
        z-index: 30;
        width: min(380px, 92vw);
        max-height: min(520px, 80vh);
        display: flex;
        flex-direction: column;
        background: var(--_bg);
        color: var(--_fg);
        border: 1px solid var(--_border);
        border-radius: var(--_radius);
        box-shadow: 0 8px 30px rgba(0, 0, 0, 0.2);
      }
      .panel header {
        display: flex;
        align-items: center;
        gap: 8px;
        padding: 8px 10px;
        border-bottom: 1px solid var(--_border);
      }
      .panel h2 {
        margin: 0;
        flex: 1;
        font-size: 1em;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
        overflow-y: auto;
        min-height: 0;
        flex: 1;
      }
      li {
        display: flex;
        align-items: flex-start;
        gap: 8px;
        padding: 8px 10px;
        border-bottom: 1px solid var(--_border);
      }
      li[data-read='false'] {
        background: var(--_hover);
      }
      li .open {
        flex: 1;
        min-width: 0;
        text-align: left;
        border: none;
        padding: 0;
        display: flex;
        gap: 8px;
      }
      .icon {
        flex: none;
        width: 1.4em;
        text-align: center;
      }
      .line {
        flex: 1;
        min-width: 0;
        overflow-wrap: anywhere;
      }
      li[data-read='false'] .line {
        font-weight: 600;
      }
      time {
        display: block;
        color: var(--_muted);
        font-size: 0.85em;
        font-weight: 400;
      }
      .dot {
        flex: none;
        border: none;
        padding: 0;
        width: 10px;
        height: 10px;
        margin-top: 6px;
        border-radius: 50%;
        background: var(--_accent);
      }
      .status {
        padding: 12px;
        color: var(--_muted);
        text-align: center;
      }
    `,
  ];

  /** The client. */
  declare client: CaasClient | undefined;
  /** Whether the panel is open. Attribute `open`. */
  declare open: boolean;
  /** Notifications per page (1–100, default 20). Attribute `page-size`. */
  declare pageSize: number;

  declare private unread: number;
  declare private items: CaasNotification[];
  declare private hasMore: boolean;
  declare private loading: boolean;
  declare private error: string | undefined;

  private boundClient: CaasClient | undefined;
  private unsubscribe: Array<() => void> = [];
  private pager: Pager<CaasNotification> | undefined;
  private generation = 0;
  /** Bumped by every count change made here: a count fetched before it is stale. */
  private countVersion = 0;
  private focusAfterRender: 'panel' | 'bell' | undefined;

  constructor() {
    super();
    this.client = undefined;
    this.open = false;
    this.pageSize = 20;
    this.unread = 0;
    this.items = [];
    this.hasMore = false;
    this.loading = false;
    this.error = undefined;
  }

  /** The unread count shown on the badge. */
  get unreadCount(): number {
    return this.unread;
  }

  /** The notifications loaded, newest first. */
  get notifications(): readonly CaasNotification[] {
    return this.items;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('click', this.onDocumentClick, true);
    this.bindClient();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('click', this.onDocumentClick, true);
    this.unbindClient();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('client')) this.bindClient();
    if (changed.has('open') && this.open && this.boundClient) this.reloadList();
  }

  protected override updated(): void {
    const focus = this.focusAfterRender;
    this.focusAfterRender = undefined;
    if (focus === 'panel') this.renderRoot.querySelector<HTMLElement>('[data-testid="notifications-panel"]')?.focus();
    else if (focus === 'bell') this.renderRoot.querySelector<HTMLElement>('[data-testid="notifications-bell"]')?.focus();
  }

  /** Fetches the unread count again (and the list, when the panel is open). */
  refresh(): void {
    void this.loadCount();
    if (this.open) this.reloadList();
  }

  /** Marks every notification read. */
  async markAllRead(): Promise<void> {
    const client = this.boundClient;
    if (!client) return;
    try {
      const version = ++this.countVersion;
      const unread = await client.notifications.markAllRead();
      this.items = markedRead(this.items);
      if (version === this.countVersion) this.setUnread(unread);
      else void this.loadCount(); // A notification came meanwhile: count again.
    } catch (error) {
      this.fail('notifications.read', error);
    }
  }

  /** Marks one notification read. */
  async markRead(notification: CaasNotification): Promise<void> {
    const client = this.boundClient;
    if (!client || notification.read) return;
    this.items = markedRead(this.items, [notification.id]);
    try {
      const version = ++this.countVersion;
      const unread = await client.notifications.markRead([notification.id]);
      if (version === this.countVersion) this.setUnread(unread);
      else void this.loadCount();
    } catch (error) {
      this.items = this.items.map((n) => (n.id === notification.id ? { ...n, read: false } : n));
      this.fail('notifications.read', error);
    }
  }

  private bindClient(): void {
    if (!this.isConnected || this.client === this.boundClient) return;
    this.unbindClient();
    const client = this.client;
    if (!client) return;
    this.boundClient = client;
    this.unsubscribe = [
      client.on(ClientEvent.NotificationNew, ({ notification }) => {
        const known = this.items.some((n) => n.id === notification.id);
        this.items = addNotification(this.items, notification);
        if (!known && !notification.read) {
          this.countVersion++;
          this.setUnread(this.unread + 1);
        }
      }),
      // `notification.new` is not replayed on resume: count again after every (re)connection.
      client.on(ClientEvent.Connected, () => this.refresh()),
    ];
    this.refresh();
  }

  private unbindClient(): void {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    this.boundClient = undefined;
    this.pager = undefined;
    this.generation++;
  }

  private setUnread(unread: number): void {
    const next = Math.max(0, unread);
    if (next === this.unread) return;
    this.unread = next;
    this.dispatchEvent(new CustomEvent<UnreadDetail>('caas-unread', { detail: { unread: next }, bubbles: true, composed: true }));
  }

  private async loadCount(): Promise<void> {
    const client = this.boundClient;
    if (!client) return;
    const version = this.countVersion;
    try {
      const unread = await client.notifications.unreadCount();
      if (client === this.boundClient && version === this.countVersion) this.setUnread(unread);
    } catch (error) {
      this.fail('notifications.unreadCount', error);
    }
  }

  private reloadList(): void {
    const client = this.boundClient;
    if (!client) return;
    this.generation++;
    this.items = [];
    this.loading = false;
    this.error = undefined;
    const limit = Math.max(1, Math.min(100, Math.round(this.pageSize) || 20));
    this.pager = client.notifications.pager({ limit });
    this.hasMore = true;
    void this.loadMore();
  }

  /** Loads the next page of the list. */
  async loadMore(): Promise<void> {
    const pager = this.pager;
    if (!pager || this.loading || !pager.hasMore) return;
    const generation = this.generation;
    this.loading = true;
    try {
      const page = await pager.next();
      if (generation !== this.generation) return;
      this.items = appendNotifications(this.items, page);
      this.hasMore = pager.hasMore;
    } catch (error) {
      if (generation !== this.generation) return;
      this.fail('notifications.list', error);
    } finally {
      if (generation === this.generation) this.loading = false;
    }
  }

  private fail(action: string, error: unknown): void {
    this.error = errorText(error);
    this.dispatchEvent(new CustomEvent<ActionErrorDetail>('caas-error', { detail: { action, error }, bubbles: true, composed: true }));
  }

  private toggle(): void {
    this.open = !this.open;
    this.focusAfterRender = this.open ? 'panel' : undefined;
  }

  private close(focusBell: boolean): void {
    if (!this.open) return;
    this.open = false;
    if (focusBell) this.focusAfterRender = 'bell';
  }

  private readonly onDocumentClick = (e: MouseEvent): void => {
    if (this.open && !e.composedPath().includes(this)) this.close(false);
  };

  private choose(n: CaasNotification): void {
    void this.markRead(n);
    this.dispatchEvent(
      new CustomEvent<NotificationClickDetail>('caas-notification-click', {
        detail: { notification: { ...n, read: true } },
        bubbles: true,
        composed: true,
      }),
    );
  }

  private onListScroll(e: Event): void {
    if (nearEnd(e.target as HTMLElement)) void this.loadMore();
  }

  protected override render(): TemplateResult {
    const badge = badgeText(this.unread);
    const label = this.unread > 0 ? `Notifications, ${this.unread} unread` : 'Notifications';
    return html`<button
        type="button"
        class="bell"
        part="bell"
        data-testid="notifications-bell"
        aria-label=${label}
        aria-haspopup="true"
        aria-expanded=${this.open ? 'true' : 'false'}
        aria-controls="caas-notifications-panel"
        @click=${() => this.toggle()}
      >
        <svg class="bell-icon" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false">
          <path
            d="M12 3a6 6 0 0 0-6 6v3.6L4.3 16.2A.8.8 0 0 0 5 17.4h14a.8.8 0 0 0 .7-1.2L18 12.6V9a6 6 0 0 0-6-6z M9.8 19.4a2.3 2.3 0 0 0 4.4 0"
            fill="none"
            stroke="currentColor"
            stroke-width="1.7"
            stroke-linejoin="round"
          />
        </svg>
        ${badge ? html`<span class="badge" part="badge" data-testid="notifications-badge" aria-hidden="true">${badge}</span>` : nothing}
      </button>
      ${this.open ? this.renderPanel() : nothing}`;
  }

  private renderPanel(): TemplateResult {
    return html`<section
      class="panel"
      part="panel"
      id="caas-notifications-panel"
      role="region"
      aria-label="Notifications"
      tabindex="-1"
      data-testid="notifications-panel"
      @keydown=${(e: KeyboardEvent) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          this.close(true);
        }
      }}
    >
      <header>
        <h2>Notifications</h2>
        <button type="button" data-testid="notifications-mark-all" ?disabled=${this.unread === 0 && !this.items.some((n) => !n.read)} @click=${() => this.markAllRead()}>
          Mark all read
        </button>
      </header>
      ${this.error ? html`<div class="error" role="alert" data-testid="notifications-error">${this.error}</div>` : nothing}
      <ul data-testid="notifications-list" aria-busy=${this.loading ? 'true' : 'false'} @scroll=${this.onListScroll}>
        ${this.items.map((n) => this.renderItem(n))}
      </ul>
      ${this.loading ? html`<p class="status" role="status">Loading…</p>` : nothing}
      ${!this.loading && !this.hasMore && this.items.length === 0 ? html`<p class="status" data-testid="notifications-empty">No notifications yet.</p>` : nothing}
      ${this.hasMore && !this.loading && this.items.length > 0
        ? html`<button type="button" class="status" data-testid="notifications-more" @click=${() => this.loadMore()}>Load more</button>`
        : nothing}
    </section>`;
  }

  private renderItem(n: CaasNotification): TemplateResult {
    return html`<li data-testid="notification" data-notification-id=${n.id} data-category=${n.category} data-read=${n.read ? 'true' : 'false'}>
      <button type="button" class="open" data-testid="notification-open" @click=${() => this.choose(n)}>
        <span class="icon" aria-hidden="true">${ICONS[n.category] ?? '•'}</span>
        <span class="line"
          ><span data-testid="notification-text">${notificationText(n)}</span>
          <time datetime=${n.created_at} title=${new Date(n.created_at).toLocaleString()}>${shortTime(n.created_at)}</time></span
        >
      </button>
      ${n.read
        ? nothing
        : html`<button type="button" class="dot" data-testid="notification-mark-read" aria-label="Mark as read" title="Mark as read" @click=${() => this.markRead(n)}></button>`}
    </li>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'caas-notifications': CaasNotifications;
  }
  interface HTMLElementEventMap {
    'caas-notification-click': CustomEvent<NotificationClickDetail>;
    'caas-unread': CustomEvent<UnreadDetail>;
  }
}
