/**
 * `<caas-chat-window>`: one conversation, live.
 *
 * @packageDocumentation
 */

import { html, nothing, type PropertyValues, type TemplateResult } from 'lit';

import type { Message } from '../../chat/types.js';
import { renderMessage, renderPending, type MessageView } from './messages.js';
import { chatWindowStyles } from './styles.js';
import { objectCardStyles, renderObjectCard, type OpenObjectDetail } from './object-card.js';
import { ChatWindowThread } from './thread.js';
import { conversationTitle } from '../chat-list/inbox.js';
import { receiptFor, typingText, type Receipt } from './message-logic.js';
import { baseStyles } from '../shared/styles.js';

/**
 * `<caas-chat-window>`: the messages of one conversation with a composer.
 *
 * - History loads newest first and pages upward (`conversation.history` with
 *   `before_seq`) when the list is scrolled near its top.
 * - Enter sends (`message.send` with a `client_msg_id`, so that resending after
 *   a failure never stores it twice); Shift+Enter starts a new line.
 * - While the user types, `typing.start` is sent (throttled); `typing.stop` on
 *   send and when the composer loses focus. Others' `typing` events show
 *   "bob is typing…" until they stop or expire.
 * - Messages shown are marked read (`message.read`) while the page is visible.
 * - "Seen" appears under the user's newest message once another member's read
 *   position reaches it (from `conversation.get`, then `receipt.read`).
 * - Files: the attach button (a file picker), dropping files on the window or
 *   pasting images into the composer uploads them (`client.files.upload`), each
 *   with a progress bar and a Cancel button; Send then sends the message with
 *   the uploaded files as `attachments` (the text may be empty). Messages show
 *   image attachments as thumbnails and other files as download links.
 * - Reactions (toggle buttons with counts, the user's own highlighted), reply
 *   with quote, edit and delete of one's own messages, pin; deleted messages
 *   show as tombstones.
 * - Threads: a message with replies shows an "N replies" button (and every
 *   message a "Thread" button in its toolbar) that opens the thread panel in
 *   the window: the root, its replies (`conversation.history` with
 *   `parent_id`) and a composer posting into the thread (`message.send` with
 *   `parent_id`). Thread replies stay out of the main list: a live one goes to
 *   the open thread and bumps its root's count. Escape or the ✕ button closes
 *   the panel and gives the focus back to the button that opened it.
 * - Live from `message.new`, `message.updated`,
 *   `message.deleted`, `message.pinned`, `reaction.added`, `reaction.removed`,
 *   `receipt.read`, `typing`, `member.added` and `member.removed`.
 *
 * - A message that shares an object (`payload.object`, from
 *   `POST /v1/objects/{id}/share`) shows a card: its kind and owner and, for
 *   posts, the start of the text (fetched once with `GET /v1/objects/{id}`;
 *   "This post is not available" when the reader may not see it). Choosing
 *   the card fires `caas-open-object`.
 *
 * @fires caas-error - `CustomEvent<ActionErrorDetail>` when an op fails (the window shows the error too).
 * @fires caas-open-object - `CustomEvent<OpenObjectDetail>` when the card of a shared object is chosen.
 *
 * @csspart header - the title bar.
 * @csspart log - the scrolled message list.
 * @csspart composer - the form at the bottom.
 * @csspart thread-header - the title bar of the thread panel.
 * @csspart thread-log - the scrolled replies of the thread panel.
 * @csspart thread-composer - the form at the bottom of the thread panel.
 */
export class CaasChatWindow extends ChatWindowThread {
  static override styles = [baseStyles, chatWindowStyles, objectCardStyles];

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('visibilitychange', this.onVisibilityChange);
    this.addEventListener('dragenter', this.onDragOver);
    this.addEventListener('dragover', this.onDragOver);
    this.addEventListener('dragleave', this.onDragLeave);
    this.addEventListener('drop', this.onDrop);
    this.bindClient();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('visibilitychange', this.onVisibilityChange);
    this.removeEventListener('dragenter', this.onDragOver);
    this.removeEventListener('dragover', this.onDragOver);
    this.removeEventListener('dragleave', this.onDragLeave);
    this.removeEventListener('drop', this.onDrop);
    this.dragging = false;
    this.cancelUploads();
    this.stopTyping();
    this.unbindClient();
    this.tracker.clear();
    clearTimeout(this.markTimer);
    this.markTimer = undefined;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('client')) this.bindClient();
    else if (changed.has('conversationId') && this.conversationId !== this.openedId) this.open();
  }

  protected override updated(): void {
    const log = this.logElement();
    if (log) {
      const scroll = this.scrollAfterRender;
      if (scroll === 'bottom') log.scrollTop = log.scrollHeight;
      else if (scroll) log.scrollTop = scroll.top + (log.scrollHeight - scroll.height);
      this.scrollAfterRender = undefined;
      // Fill the view: page up while the messages do not overflow it.
      if (this.loaded && this.hasMore && !this.loadingOlder && log.clientHeight > 0 && log.scrollHeight <= log.clientHeight) {
        void this.loadOlder();
      }
    }
    if (this.focusComposerAfterRender) {
      this.focusComposerAfterRender = false;
      this.composer()?.focus();
    }
    const replies = this.threadLogElement();
    if (replies && this.scrollThreadAfterRender) {
      this.scrollThreadAfterRender = false;
      replies.scrollTop = replies.scrollHeight;
    }
    const focus = this.focusThreadAfterRender;
    if (focus) {
      this.focusThreadAfterRender = undefined;
      const q = <T extends HTMLElement>(selector: string): T | null => this.renderRoot.querySelector<T>(selector);
      if ('composer' in focus) {
        (q('[data-testid="thread-composer"]') ?? q('[data-testid="thread-close"]'))?.focus();
      } else {
        const id = CSS.escape(focus.opener);
        (
          q(`[data-testid="replies-button"][data-root-id="${id}"]`) ??
          q(`[data-testid="message-list"] [data-testid="message"][data-message-id="${id}"]`)
        )?.focus();
      }
    }
  }

  private onLogScroll(): void {
    const log = this.logElement();
    if (log && log.scrollTop < 80) void this.loadOlder();
  }

  protected override render(): TemplateResult {
    if (this.conversationId === undefined) {
      return html`<div class="log" role="log" aria-label="Messages" data-testid="message-list">
        <p class="placeholder">Choose a conversation.</p>
      </div>`;
    }
    const me = this.me;
    // Thread replies show in the thread panel, not here.
    const shown = this.shownMessages;
    const receipt = receiptFor(shown, me, this.readPositions);
    const byId = new Map(this.messages.map((m) => [m.id, m]));
    const group = this.conversation?.kind === 'group';
    const view = this.messageView(me, group, receipt, byId);
    const mainPending = this.pending.filter((p) => p.parentId === undefined);
    return html`
      <header part="header">
        <h2 data-testid="conversation-title">${this.conversation ? conversationTitle(this.conversation, me) : '…'}</h2>
        ${group && this.conversation
          ? html`<span class="muted">${this.conversation.members.length} members</span>`
          : nothing}
      </header>
      ${this.error
        ? html`<div class="error alert" role="alert" data-testid="error">
            <span>${this.error}</span>
            <button type="button" @click=${() => (this.error = undefined)}>Dismiss</button>
            ${this.loaded ? nothing : html`<button type="button" @click=${() => this.load()}>Retry</button>`}
          </div>`
        : nothing}
      <div class="body ${this.threadId === undefined ? '' : 'with-thread'}">
        <div class="main">
          <div
            part="log"
            class="log"
            role="log"
            aria-label="Messages"
            aria-busy=${this.loading || this.loadingOlder ? 'true' : 'false'}
            tabindex="0"
            data-testid="message-list"
            @scroll=${this.onLogScroll}
          >
            ${this.hasMore
              ? html`<button type="button" class="older" data-testid="load-older" ?disabled=${this.loadingOlder} @click=${() => this.loadOlder()}>
                  ${this.loadingOlder ? 'Loading…' : 'Load earlier messages'}
                </button>`
              : nothing}
            ${this.loading ? html`<p class="placeholder" role="status">Loading…</p>` : nothing}
            ${this.loaded && !this.hasMore && shown.length === 0 && mainPending.length === 0
              ? html`<p class="placeholder" data-testid="no-messages">No messages yet. Say hello!</p>`
              : nothing}
            ${shown.map((m) => renderMessage(view, m))}
            ${mainPending.map((p) => renderPending(view, p))}
          </div>
          <div class="typing" data-testid="typing-indicator" role="status" aria-live="polite">${typingText(this.typingUsers)}</div>
          ${this.renderComposer()}
        </div>
        ${this.renderThread(view)}
      </div>
      ${this.dragging ? html`<div class="dropzone" data-testid="drop-zone">Drop files to attach</div>` : nothing}
    `;
  }

  /** What the message views show, and what their buttons do. */
  private messageView(
    me: string | undefined,
    group: boolean,
    receipt: Receipt | undefined,
    byId: ReadonlyMap<string, Message>,
  ): MessageView {
    return {
      me,
      group,
      receipt,
      byId,
      removed: this.removed,
      reactions: this.reactions,
      files: this.boundClient?.files,
      objectCard: (ref) =>
        renderObjectCard(ref, this.objectPreviews.lookup(this.boundClient, ref), {
          files: this.boundClient?.files,
          me,
          open: (r, object) =>
            this.dispatchEvent(
              new CustomEvent<OpenObjectDetail>('caas-open-object', {
                detail: object ? { ref: r, object } : { ref: r },
                bubbles: true,
                composed: true,
              }),
            ),
          retry: (r) => this.objectPreviews.retry(this.boundClient, r),
        }),
      scrollToMessage: (id) => this.scrollToMessage(id),
      startReply: (m) => this.startReply(m),
      openThread: (m) => this.openThread(m),
      openThreadId: this.threadId,
      startEdit: (m) => this.startEdit(m),
      deleteMessage: (m) => this.deleteMessage(m),
      toggleReaction: (m, kind) => this.toggleReaction(m, kind),
      togglePin: (m) => this.togglePin(m),
      retry: (p) => this.retry(p),
      discard: (p) => this.discard(p),
    };
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'caas-chat-window': CaasChatWindow;
  }
  interface HTMLElementEventMap {
    'caas-open-object': CustomEvent<OpenObjectDetail>;
  }
}
