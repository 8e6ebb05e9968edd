/**
 * The thread panel of `<caas-chat-window>`: the root message, its replies
 * (`conversation.history` with `parent_id`, then live) and a composer that
 * posts into the thread (`message.send` with `parent_id`).
 *
 * @packageDocumentation
 */

import { html, nothing, type TemplateResult } from 'lit';
import { live } from 'lit/directives/live.js';

import { newClientMsgId } from '../../chat/chat.js';
import type { Message } from '../../chat/types.js';
import { ChatWindowComposer } from './composer.js';
import { THREAD_PANEL_ID, renderMessage, renderPending, type MessageView } from './messages.js';
import type { PendingMessage } from './outbox.js';
import { repliesText } from './message-logic.js';

/**
 * The thread panel of `<caas-chat-window>` on top of its composer
 * (`ChatWindowComposer`): a side panel (over the messages when the window is
 * narrow) with the thread's root, its replies and a composer of its own.
 * Escape closes it and gives the focus back to the button that opened it.
 */
export abstract class ChatWindowThread extends ChatWindowComposer {
  private threadDraftBeforeEdit = '';

  /** Whether the thread composer may send now. */
  private canSendThread(): boolean {
    return this.loaded && !this.removed && this.threadId !== undefined && this.threadDraft.trim() !== '';
  }

  private onThreadInput(e: Event): void {
    this.threadDraft = (e.target as HTMLTextAreaElement).value;
    if (this.threadEditing) return;
    if (this.threadDraft.trim() === '') this.stopTyping();
    else this.typed();
  }

  private onThreadComposerKeydown(e: KeyboardEvent): void {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void this.submitThread();
    } else if (e.key === 'Escape' && this.threadEditing) {
      // Handled here: the panel does not close.
      e.preventDefault();
      this.cancelThreadEdit();
    }
  }

  /** Escape anywhere in the panel (not taken by the composer) closes it. */
  private onThreadKeydown(e: KeyboardEvent): void {
    if (e.key !== 'Escape' || e.defaultPrevented) return;
    e.preventDefault();
    e.stopPropagation();
    this.stopTyping();
    this.closeThread();
  }

  /** Posts the thread draft into the open thread, or saves the reply being edited. */
  private async submitThread(e?: Event): Promise<void> {
    e?.preventDefault();
    if (!this.canSendThread()) return;
    const text = this.threadDraft.trim();
    if (this.threadEditing) {
      await this.saveThreadEdit(this.threadEditing, text);
      return;
    }
    const pending: PendingMessage = {
      clientMsgId: newClientMsgId(),
      text,
      replyTo: undefined,
      parentId: this.threadId,
      attachments: [],
      error: undefined,
    };
    this.pending = [...this.pending, pending];
    this.threadDraft = '';
    this.stopTyping();
    this.scrollThreadAfterRender = true;
    await this.deliver(pending);
  }

  /** Starts editing one's own thread reply in the thread composer. */
  protected startThreadEdit(message: Message): void {
    if (!this.threadEditing) this.threadDraftBeforeEdit = this.threadDraft;
    this.stopTyping();
    this.threadEditing = message;
    this.threadDraft = message.text;
    this.focusThreadAfterRender = { composer: true };
  }

  protected override cancelThreadEdit(): void {
    this.threadEditing = undefined;
    this.threadDraft = this.threadDraftBeforeEdit;
    this.threadDraftBeforeEdit = '';
  }

  private async saveThreadEdit(message: Message, text: string): Promise<void> {
    if (text === message.text) {
      this.cancelThreadEdit();
      return;
    }
    await this.change('message.edit', (client) => client.messages.edit(message.id, text));
    if (this.threadEditing?.id === message.id && this.error === undefined) this.cancelThreadEdit();
  }

  /** The thread panel, when a thread is open. `view` is the main list's view, adapted here. */
  protected renderThread(view: MessageView): TemplateResult | typeof nothing {
    const id = this.threadId;
    if (id === undefined) return nothing;
    const root = this.messages.find((m) => m.id === id) ?? this.threadRoot;
    const count = root?.reply_count ?? this.threadMessages.length;
    // Replies: no quote-reply nor nested thread; Edit uses the thread composer.
    const replyView: MessageView = {
      ...view,
      receipt: undefined,
      startReply: undefined,
      openThread: undefined,
      openThreadId: undefined,
      startEdit: (m) => this.startThreadEdit(m),
    };
    const pending = this.pending.filter((p) => p.parentId === id);
    return html`<aside
      class="thread"
      id=${THREAD_PANEL_ID}
      aria-labelledby="caas-thread-title"
      data-testid="thread-panel"
      data-root-id=${id}
      @keydown=${this.onThreadKeydown}
    >
      <header part="thread-header">
        <h3 id="caas-thread-title">Thread</h3>
        <span class="muted" data-testid="thread-count">${repliesText(count)}</span>
        <button type="button" class="close" data-testid="thread-close" aria-label="Close thread" title="Close thread (Escape)" @click=${() => this.closeThread()}>
          ✕
        </button>
      </header>
      <div
        part="thread-log"
        class="log"
        role="log"
        aria-label="Thread replies"
        aria-busy=${this.threadLoading ? 'true' : 'false'}
        tabindex="0"
        data-testid="thread-replies"
      >
        ${root
          ? html`<div class="thread-root" data-testid="thread-root">${renderMessage(replyView, root, false)}</div>`
          : nothing}
        ${this.threadHasMore
          ? html`<button
              type="button"
              class="older"
              data-testid="thread-load-older"
              ?disabled=${this.threadLoading}
              @click=${() => this.loadThread(true)}
            >
              ${this.threadLoading ? 'Loading…' : 'Load earlier replies'}
            </button>`
          : nothing}
        ${this.threadLoading && this.threadMessages.length === 0 ? html`<p class="placeholder" role="status">Loading…</p>` : nothing}
        ${!this.threadLoading && this.threadMessages.length === 0 && pending.length === 0
          ? html`<p class="placeholder" data-testid="thread-empty">No replies yet.</p>`
          : nothing}
        ${this.threadMessages.map((m) => renderMessage(replyView, m))}
        ${pending.map((p) => renderPending(replyView, p))}
      </div>
      ${this.renderThreadComposer()}
    </aside>`;
  }

  private renderThreadComposer(): TemplateResult {
    if (this.removed) {
      return html`<form part="thread-composer"><p class="muted">You are no longer a member of this conversation.</p></form>`;
    }
    return html`<form part="thread-composer" @submit=${this.submitThread}>
      ${this.threadEditing
        ? html`<div class="context" data-testid="thread-editing">
            <span>Editing your reply</span>
            <button type="button" @click=${() => this.cancelThreadEdit()}>Cancel</button>
          </div>`
        : nothing}
      <div class="row">
        <textarea
          data-testid="thread-composer"
          aria-label=${this.threadEditing ? 'Edit reply' : 'Reply in thread'}
          placeholder="Reply in thread…"
          rows="2"
          maxlength="4000"
          .value=${live(this.threadDraft)}
          @input=${this.onThreadInput}
          @keydown=${this.onThreadComposerKeydown}
          @blur=${() => this.stopTyping()}
        ></textarea>
        <button type="submit" class="primary" data-testid="thread-send-button" ?disabled=${!this.canSendThread()}>
          ${this.threadEditing ? 'Save' : 'Reply'}
        </button>
      </div>
    </form>`;
  }
}
