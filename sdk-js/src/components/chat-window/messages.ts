/**
 * How `<caas-chat-window>` shows messages: bubbles with sender, quote, text
 * and time; attachments; reactions and the message toolbar; the "N replies"
 * button of a thread; the "Seen" receipt; tombstones of deleted messages; and
 * messages still being sent.
 *
 * @packageDocumentation
 */

import { html, nothing, type TemplateResult } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';

import type { FilesApi } from '../../files/files.js';
import { objectRefOf, type ObjectRef } from '../../feed/objects.js';
import type { Message } from '../../chat/types.js';
import type { Attachment } from '../../files/types.js';
import type { PendingMessage } from './outbox.js';
import { reactionChips, repliesText, type Receipt } from './message-logic.js';
import { attachmentKind, fitWithin } from '../shared/attachments.js';
import { formatBytes, oneLine, shortTime } from '../shared/format.js';

/** The id of the thread panel, for `aria-controls` of the buttons that open it. */
export const THREAD_PANEL_ID = 'caas-thread';

/** What the message views show, and what their buttons do. */
export interface MessageView {
  /** The connected user. */
  me: string | undefined;
  /** Whether the conversation is a group (senders and "Seen by" names shown). */
  group: boolean;
  /** The receipt under the user's newest message, if any. */
  receipt: Receipt | undefined;
  /** The messages shown, by id (for quotes). */
  byId: ReadonlyMap<string, Message>;
  /** Whether the user left the conversation (no toolbar then). */
  removed: boolean;
  /** The reaction kinds offered on every message. */
  reactions: readonly string[];
  /** File URLs of attachments. */
  files: FilesApi | undefined;
  /** The card of an object shared into the chat (`payload.object`); without it, none shows. */
  objectCard?: ((ref: ObjectRef) => TemplateResult) | undefined;
  /** Scrolls to the message of this id (a quote was clicked). */
  scrollToMessage(id: string): void;
  /** Starts replying to a message (with a quote); without it, there is no Reply button. */
  startReply?: ((message: Message) => void) | undefined;
  /**
   * Opens the thread of a root message; without it (in the thread panel),
   * messages have no "N replies" nor Thread button.
   */
  openThread?: ((message: Message) => void) | undefined;
  /** The root of the thread open in the panel, if any (its button is `aria-expanded`). */
  openThreadId?: string | undefined;
  /** Starts editing one's own message. */
  startEdit(message: Message): void;
  /** Deletes one's own message. */
  deleteMessage(message: Message): void;
  /** Adds or removes the user's reaction. */
  toggleReaction(message: Message, kind: string): void;
  /** Pins or unpins a message. */
  togglePin(message: Message): void;
  /** Sends a message that failed again. */
  retry(pending: PendingMessage): void;
  /** Drops a message that failed. */
  discard(pending: PendingMessage): void;
}

/**
 * A message: its bubble, or its tombstone once deleted, with its toolbar (unless
 * `tools` is `false`), its thread's "N replies" button and its receipt.
 */
export function renderMessage(view: MessageView, m: Message, tools = true): TemplateResult {
  const { me, group, receipt } = view;
  const own = m.sender_id === me;
  const deleted = m.deleted_at !== null;
  return html`<div class="item ${own ? 'own' : ''}" data-testid="message-row">
    <article
      class="message ${deleted ? 'tombstone' : ''}"
      tabindex="-1"
      data-testid="message"
      data-message-id=${m.id}
      data-seq=${m.seq}
      data-sender=${m.sender_id}
      data-own=${own ? 'true' : 'false'}
      data-deleted=${deleted ? 'true' : 'false'}
    >
      <div class="sender ${own || !group ? 'visually-hidden' : ''}">${own ? 'You' : m.sender_id}:</div>
      ${m.reply_to !== undefined ? renderQuote(view, m.reply_to) : nothing}
      ${deleted ? nothing : renderAttachments(view.files, m.attachments)}
      ${renderShared(view, m)}
      <div class="text" data-testid="message-text">${deleted ? 'This message was deleted' : m.text}</div>
      <div class="meta">
        <time datetime=${m.created_at} title=${new Date(m.created_at).toLocaleString()}>${shortTime(m.created_at)}</time>
        ${m.edited_at !== null && !deleted ? html` · <span data-testid="edited">edited</span>` : nothing}
        ${m.pinned_at !== null && !deleted ? html` · <span data-testid="pinned">📌 pinned</span>` : nothing}
      </div>
    </article>
    ${deleted || view.removed || !tools ? nothing : renderTools(view, m, own)}
    ${m.reply_count > 0 && m.parent_id === undefined ? renderRepliesButton(view, m) : nothing}
    ${receipt && receipt.messageId === m.id ? renderReceipt(receipt, group) : nothing}
  </div>`;
}

/** The card of the object a message shares, if it shares one. */
function renderShared(view: MessageView, m: Message): TemplateResult | typeof nothing {
  const ref = objectRefOf(m);
  return ref && view.objectCard ? view.objectCard(ref) : nothing;
}

/** "N replies" under a thread's root, which opens the thread panel (not in the panel itself). */
function renderRepliesButton(view: MessageView, m: Message): TemplateResult | typeof nothing {
  const label = repliesText(m.reply_count);
  const open = view.openThread;
  if (!open) return nothing;
  const expanded = view.openThreadId === m.id;
  return html`<button
    type="button"
    class="replies"
    data-testid="replies-button"
    data-root-id=${m.id}
    aria-expanded=${expanded ? 'true' : 'false'}
    aria-controls=${ifDefined(expanded ? THREAD_PANEL_ID : undefined)}
    @click=${() => open(m)}
  >
    ${label}
  </button>`;
}

/** A message's files: images as thumbnails (sized before they load), others as download links. */
export function renderAttachments(
  files: FilesApi | undefined,
  attachments: readonly Attachment[] | undefined,
): TemplateResult | typeof nothing {
  if (!files || !attachments || attachments.length === 0) return nothing;
  return html`<div class="attachments">
    ${attachments.map((a) => {
      const href = files.url(a.id);
      const kind = attachmentKind(a);
      if (kind === 'file') {
        return html`<a
          class="attachment file"
          href=${href}
          target="_blank"
          rel="noopener noreferrer"
          download=${a.name}
          data-testid="attachment"
          data-kind="file"
          data-file-id=${a.id}
          aria-label=${`Download ${a.name}, ${formatBytes(a.size)}`}
          ><svg class="icon" viewBox="0 0 24 24" width="14" height="14" aria-hidden="true" focusable="false">
            <path d="M6 2.5h8l4.5 4.5v14.5H6z M14 2.5V7h4.5" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linejoin="round" /></svg
          ><span class="name">${a.name}</span><span class="size">${formatBytes(a.size)}</span></a
        >`;
      }
      const size = a.width !== undefined && a.height !== undefined ? fitWithin(a.width, a.height) : undefined;
      return html`<a
        class="attachment image"
        href=${href}
        target="_blank"
        rel="noopener noreferrer"
        data-testid="attachment"
        data-kind="image"
        data-file-id=${a.id}
        title=${`${a.name} (${formatBytes(a.size)})`}
        ><img
          src=${kind === 'thumbnail' ? files.url(a.id, { thumbnail: true }) : href}
          alt=${a.name}
          width=${ifDefined(size?.width)}
          height=${ifDefined(size?.height)}
          loading="lazy"
          decoding="async"
      /></a>`;
    })}
  </div>`;
}

/** The quote of the message replied to. */
function renderQuote(view: MessageView, replyTo: string): TemplateResult {
  const quoted = view.byId.get(replyTo);
  const text = !quoted
    ? 'an earlier message'
    : quoted.deleted_at !== null
      ? 'a deleted message'
      : `${quoted.sender_id === view.me ? 'You' : quoted.sender_id}: ${oneLine(quoted.text, 80)}`;
  return html`<blockquote
    class="quote"
    data-testid="quote"
    data-reply-to=${replyTo}
    @click=${() => quoted && view.scrollToMessage(replyTo)}
  >
    ${text}
  </blockquote>`;
}

/** A message's reactions, and the toolbar shown on hover or focus. */
function renderTools(view: MessageView, m: Message, own: boolean): TemplateResult {
  const chips = reactionChips(m, view.reactions);
  const reaction = (c: { kind: string; count: number; mine: boolean }): TemplateResult => html`<button
    type="button"
    class="reaction"
    data-testid="reaction"
    data-kind=${c.kind}
    aria-pressed=${c.mine ? 'true' : 'false'}
    aria-label=${c.count > 0 ? `${c.kind} ${c.count}` : `React with ${c.kind}`}
    @click=${() => view.toggleReaction(m, c.kind)}
  >
    ${c.kind}${c.count > 0 ? ` ${c.count}` : ''}
  </button>`;
  const counted = chips.filter((c) => c.count > 0);
  return html`${counted.length > 0
      ? html`<div class="reactions" role="group" aria-label="Reactions">${counted.map(reaction)}</div>`
      : nothing}
    <div class="actions" role="toolbar" aria-label="Message actions">
      ${chips.filter((c) => c.count === 0).map(reaction)}
      ${view.startReply
        ? html`<button type="button" data-testid="reply-button" @click=${() => view.startReply?.(m)}>Reply</button>`
        : nothing}
      ${view.openThread && m.parent_id === undefined
        ? html`<button
            type="button"
            data-testid="thread-button"
            data-root-id=${m.id}
            title="Reply in thread"
            @click=${() => view.openThread?.(m)}
          >
            Thread
          </button>`
        : nothing}
      ${own
        ? html`<button type="button" data-testid="edit-button" @click=${() => view.startEdit(m)}>Edit</button>
            <button type="button" data-testid="delete-button" @click=${() => view.deleteMessage(m)}>Delete</button>`
        : nothing}
      <button type="button" data-testid="pin-button" @click=${() => view.togglePin(m)}>
        ${m.pinned_at === null ? 'Pin' : 'Unpin'}
      </button>
    </div>`;
}

/** "Sent", "Seen" or "Seen by …" under the user's newest message. */
function renderReceipt(receipt: Receipt, group: boolean): TemplateResult {
  const seen = receipt.seenBy.length > 0;
  const label = !seen
    ? 'Sent'
    : !group
      ? 'Seen'
      : receipt.seenBy.length <= 3
        ? `Seen by ${receipt.seenBy.join(', ')}`
        : `Seen by ${receipt.seenBy.length}`;
  return html`<div class="receipt" data-testid="receipt" data-state=${seen ? 'seen' : 'sent'} title=${receipt.seenBy.join(', ')}>
    ${label}
  </div>`;
}

/** A message the server has not confirmed yet: "Sending…", or why it failed with Retry and Discard. */
export function renderPending(view: MessageView, p: PendingMessage): TemplateResult {
  return html`<div class="item own">
    <article class="message pending" data-testid="pending-message" data-client-msg-id=${p.clientMsgId}>
      ${p.replyTo !== undefined ? renderQuote(view, p.replyTo) : nothing}
      ${renderAttachments(view.files, p.attachments)}
      <div class="text">${p.text}</div>
      <div class="meta">${p.error === undefined ? 'Sending…' : html`<span class="error">Not sent: ${p.error}</span>`}</div>
    </article>
    ${p.error === undefined
      ? nothing
      : html`<div class="tools">
          <button type="button" data-testid="retry-button" @click=${() => view.retry(p)}>Retry</button>
          <button type="button" @click=${() => view.discard(p)}>Discard</button>
        </div>`}
  </div>`;
}
