/**
 * `<caas-chat-list>`: the user's conversations, live.
 *
 * @packageDocumentation
 */

import { html, nothing, type TemplateResult } from 'lit';
import { live } from 'lit/directives/live.js';

import type { InboxEntry } from '../../chat/types.js';
import { shortTime } from '../shared/format.js';
import { baseStyles } from '../shared/styles.js';
import { conversationTitle, FILTER_LABELS, INBOX_FILTERS, previewText } from './inbox.js';
import { ChatListState, type SelectDetail } from './state.js';
import { type ActionErrorDetail } from '../shared/events.js';
import { chatListStyles } from './styles.js';

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
export class CaasChatList extends ChatListState {
  static override styles = [baseStyles, chatListStyles];

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
