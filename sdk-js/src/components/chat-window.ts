/**
 * `<caas-chat-window>`: one conversation, live.
 *
 * @packageDocumentation
 */

import { LitElement, css, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import { live } from 'lit/directives/live.js';

import { newClientMsgId } from '../chat.js';
import type { CaasClient } from '../client.js';
import { ABORTED, CaasError } from '../errors.js';
import { ClientEvent } from '../events.js';
import { MAX_ATTACHMENTS, attachmentOf } from '../files.js';
import type { Attachment, Conversation, FileMeta, Message } from '../types.js';
import type { ActionErrorDetail } from './chat-list.js';
import {
  ATTACHMENT_IMAGE_MAX,
  DEFAULT_REACTIONS,
  TypingThrottle,
  TypingTracker,
  applyChangedMessage,
  applyReactionEvent,
  attachmentKind,
  conversationTitle,
  dragHasFiles,
  errorText,
  fitWithin,
  formatBytes,
  mergeMessages,
  nearEnd,
  oneLine,
  reactionChips,
  receiptFor,
  shortTime,
  typingText,
  type Receipt,
} from './logic.js';
import { baseStyles } from './styles.js';

/** A message typed by the user that the server has not confirmed yet. */
interface PendingMessage {
  /** Its idempotency key: a retry reuses it, so the message is stored once. */
  clientMsgId: string;
  /** Its text. */
  text: string;
  /** The message it quotes. */
  replyTo: string | undefined;
  /** The files it carries (uploaded already). */
  attachments: Attachment[];
  /** Why the last attempt failed, when it did. */
  error: string | undefined;
}

/** A file attached in the composer: uploading, uploaded, or failed. */
interface UploadItem {
  /** Identifies it in the list. */
  key: number;
  /** The bytes. */
  blob: Blob;
  /** File name shown and sent. */
  name: string;
  /** Size in bytes. */
  size: number;
  /** Bytes sent so far. */
  sent: number;
  /** Where it stands. */
  state: 'uploading' | 'done' | 'error';
  /** The stored file, once uploaded. */
  file: FileMeta | undefined;
  /** Why the upload failed, when it did. */
  error: string | undefined;
  /** Cancels the upload in flight. */
  controller: AbortController | undefined;
}

/** How close to the bottom (px) counts as "at the bottom" for following new messages. */
const FOLLOW_THRESHOLD_PX = 60;

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
 *   show as tombstones. Live from `message.new`, `message.updated`,
 *   `message.deleted`, `message.pinned`, `reaction.added`, `reaction.removed`,
 *   `receipt.read`, `typing`, `member.added` and `member.removed`.
 *
 * @fires caas-error - `CustomEvent<ActionErrorDetail>` when an op fails (the window shows the error too).
 *
 * @csspart header - the title bar.
 * @csspart log - the scrolled message list.
 * @csspart composer - the form at the bottom.
 */
export class CaasChatWindow extends LitElement {
  static override properties = {
    client: { attribute: false },
    conversationId: { type: String, attribute: 'conversation-id', reflect: true },
    pageSize: { type: Number, attribute: 'page-size' },
    reactions: { attribute: false },
    conversation: { state: true },
    messages: { state: true },
    pending: { state: true },
    hasMore: { state: true },
    loading: { state: true },
    loadingOlder: { state: true },
    error: { state: true },
    typingUsers: { state: true },
    readPositions: { state: true },
    replyTo: { state: true },
    editing: { state: true },
    draft: { state: true },
    removed: { state: true },
    uploads: { state: true },
    dragging: { state: true },
  };

  static override styles = [
    baseStyles,
    css`
      :host {
        height: 100%;
        position: relative;
      }
      header {
        display: flex;
        align-items: baseline;
        gap: 8px;
        padding: 10px 14px;
        border-bottom: 1px solid var(--_border);
      }
      header h2 {
        margin: 0;
        font-size: 1.05em;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .log {
        flex: 1;
        min-height: 0;
        overflow-y: auto;
        padding: 34px 14px 10px;
        display: flex;
        flex-direction: column;
        gap: 8px;
      }
      .placeholder {
        margin: auto;
        color: var(--_muted);
      }
      .older {
        align-self: center;
        font-size: 0.9em;
      }
      .item {
        display: flex;
        flex-direction: column;
        align-items: flex-start;
        max-width: 80%;
      }
      .item.own {
        align-self: flex-end;
        align-items: flex-end;
      }
      .message {
        background: var(--_bubble-bg);
        color: var(--_bubble-fg);
        border-radius: var(--_radius);
        padding: 6px 10px;
        max-width: 100%;
        overflow-wrap: anywhere;
      }
      .own .message {
        background: var(--_own-bg);
        color: var(--_own-fg);
      }
      .message.tombstone {
        background: transparent;
        color: var(--_muted);
        border: 1px dashed var(--_border);
        font-style: italic;
      }
      .message.pending {
        opacity: 0.7;
      }
      .sender {
        font-size: 0.8em;
        font-weight: 600;
        opacity: 0.8;
      }
      .text {
        white-space: pre-wrap;
      }
      .meta {
        font-size: 0.75em;
        opacity: 0.75;
      }
      .quote {
        margin: 2px 0 4px;
        padding: 2px 8px;
        border-left: 3px solid currentColor;
        opacity: 0.85;
        font-size: 0.9em;
        cursor: pointer;
      }
      .item {
        position: relative;
      }
      .reactions,
      .actions {
        display: flex;
        flex-wrap: wrap;
        gap: 3px;
      }
      .reactions {
        margin-top: 2px;
      }
      .reactions button,
      .actions button,
      .tools button {
        padding: 0 6px;
        font-size: 0.85em;
        border-radius: 999px;
      }
      .reaction[aria-pressed='true'] {
        background: var(--_accent);
        border-color: var(--_accent);
        color: var(--_accent-fg);
      }
      /* The toolbar floats over the bubble's top edge while the message is hovered or focused. */
      .actions {
        position: absolute;
        bottom: calc(100% - 8px);
        left: 0;
        z-index: 1;
        flex-wrap: nowrap;
        padding: 2px;
        background: var(--_bg);
        border: 1px solid var(--_border);
        border-radius: var(--_radius);
        box-shadow: 0 2px 8px rgba(0, 0, 0, 0.12);
        opacity: 0;
        pointer-events: none;
        transition: opacity 0.1s;
      }
      .own .actions {
        left: auto;
        right: 0;
      }
      .actions button {
        border-color: transparent;
      }
      .item:hover .actions,
      .item:focus-within .actions {
        opacity: 1;
        pointer-events: auto;
      }
      .tools {
        display: flex;
        gap: 3px;
        margin-top: 2px;
      }
      .receipt {
        font-size: 0.75em;
        color: var(--_muted);
      }
      .typing {
        min-height: 1.4em;
        padding: 0 14px;
        font-size: 0.85em;
        color: var(--_muted);
        font-style: italic;
      }
      form {
        display: flex;
        flex-direction: column;
        gap: 4px;
        padding: 8px 10px 10px;
        border-top: 1px solid var(--_border);
      }
      .context {
        display: flex;
        align-items: center;
        gap: 6px;
        font-size: 0.85em;
        color: var(--_muted);
      }
      .context span {
        flex: 1;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .row {
        display: flex;
        gap: 8px;
        align-items: flex-end;
      }
      textarea {
        flex: 1;
        resize: none;
        min-height: 38px;
        max-height: 160px;
      }
      .alert {
        display: flex;
        gap: 8px;
        align-items: center;
      }
      .attachments {
        display: flex;
        flex-wrap: wrap;
        gap: 4px;
        margin: 2px 0 4px;
      }
      .attachment {
        color: inherit;
        border-radius: calc(var(--_radius) / 2);
      }
      .attachment.image {
        display: block;
        line-height: 0;
      }
      .attachment img {
        display: block;
        max-width: 100%;
        height: auto;
        border-radius: calc(var(--_radius) / 2);
        background: var(--_hover);
      }
      .attachment.image img:not([width]) {
        max-width: min(100%, ${ATTACHMENT_IMAGE_MAX}px);
        max-height: ${ATTACHMENT_IMAGE_MAX}px;
      }
      .attachment.file {
        display: inline-flex;
        gap: 6px;
        align-items: baseline;
        padding: 4px 8px;
        border: 1px solid currentColor;
        text-decoration: none;
        max-width: 100%;
      }
      .attachment.file .icon {
        flex: none;
        align-self: center;
      }
      .attachment.file .name {
        text-decoration: underline;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .attachment .size {
        font-size: 0.85em;
        opacity: 0.8;
        white-space: nowrap;
      }
      .uploads {
        list-style: none;
        margin: 0;
        padding: 0;
        display: flex;
        flex-direction: column;
        gap: 4px;
      }
      .upload {
        display: flex;
        align-items: center;
        gap: 8px;
        font-size: 0.85em;
      }
      .upload .name {
        flex: 0 1 auto;
        min-width: 0;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .upload progress {
        flex: 1;
        min-width: 60px;
        height: 6px;
        accent-color: var(--_accent);
      }
      .upload .status {
        color: var(--_muted);
        white-space: nowrap;
      }
      .upload[data-state='error'] .status {
        color: var(--_danger);
      }
      .upload button {
        padding: 0 8px;
      }
      .attach {
        align-self: stretch;
        display: inline-flex;
        align-items: center;
        padding: 0 9px;
      }
      .dropzone {
        position: absolute;
        inset: 0;
        z-index: 2;
        display: flex;
        align-items: center;
        justify-content: center;
        background: var(--_bg);
        opacity: 0.92;
        border: 2px dashed var(--_accent);
        border-radius: var(--_radius);
        color: var(--_accent);
        font-weight: 600;
      }
    `,
  ];

  /** The connected client. */
  declare client: CaasClient | undefined;
  /** The conversation shown. Attribute `conversation-id`. */
  declare conversationId: string | undefined;
  /** Messages per history page (1–200, default 30). Attribute `page-size`. */
  declare pageSize: number;
  /** The reaction kinds offered on every message (default 👍 ❤️ 😂 😮 😢 🙏). */
  declare reactions: readonly string[];

  declare private conversation: Conversation | undefined;
  declare private messages: Message[];
  declare private pending: PendingMessage[];
  declare private hasMore: boolean;
  declare private loading: boolean;
  declare private loadingOlder: boolean;
  declare private error: string | undefined;
  declare private typingUsers: string[];
  declare private readPositions: ReadonlyMap<string, number>;
  declare private replyTo: Message | undefined;
  declare private editing: Message | undefined;
  declare private draft: string;
  declare private removed: boolean;
  declare private uploads: UploadItem[];
  declare private dragging: boolean;

  private boundClient: CaasClient | undefined;
  private unsubscribe: Array<() => void> = [];
  /** Bumped whenever another conversation opens: replies for an older one are dropped. */
  private generation = 0;
  private loaded = false;
  private openedId: string | undefined;
  private myLastRead = 0;
  private markTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly drafts = new Map<string, string>();
  private draftBeforeEdit = '';
  private readonly throttle = new TypingThrottle();
  private typingIn: string | undefined;
  private readonly tracker = new TypingTracker((users) => {
    this.typingUsers = users;
  });
  private scrollAfterRender: 'bottom' | { height: number; top: number } | undefined;
  private focusComposerAfterRender = false;
  private uploadSeq = 0;

  constructor() {
    super();
    this.client = undefined;
    this.conversationId = undefined;
    this.pageSize = 30;
    this.reactions = DEFAULT_REACTIONS;
    this.conversation = undefined;
    this.messages = [];
    this.pending = [];
    this.hasMore = false;
    this.loading = false;
    this.loadingOlder = false;
    this.error = undefined;
    this.typingUsers = [];
    this.readPositions = new Map();
    this.replyTo = undefined;
    this.editing = undefined;
    this.draft = '';
    this.removed = false;
    this.uploads = [];
    this.dragging = false;
  }

  /** The messages shown, oldest first. */
  get shownMessages(): readonly Message[] {
    return this.messages;
  }

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
  }

  private bindClient(): void {
    if (!this.isConnected || this.client === this.boundClient) return;
    this.unbindClient();
    const client = this.client;
    if (client) {
      this.boundClient = client;
      const mine = (id: string | undefined): boolean => id !== undefined && id === this.conversationId;
      this.unsubscribe = [
        client.on(ClientEvent.Connected, () => {
          if (!this.loaded && !this.loading) void this.load();
        }),
        client.on(ClientEvent.MessageNew, ({ message }) => {
          if (mine(message.conversation_id)) this.messageArrived(message);
        }),
        client.on(ClientEvent.MessageUpdated, ({ message }) => {
          if (mine(message.conversation_id)) this.messages = applyChangedMessage(this.messages, message);
        }),
        client.on(ClientEvent.MessageDeleted, ({ message }) => {
          if (!mine(message.conversation_id)) return;
          this.messages = applyChangedMessage(this.messages, message);
          if (this.editing?.id === message.id) this.cancelEdit();
        }),
        client.on(ClientEvent.MessagePinned, ({ message }) => {
          if (mine(message.conversation_id)) this.messages = applyChangedMessage(this.messages, message);
        }),
        client.on(ClientEvent.ReactionAdded, (ev) => {
          if (mine(ev.conversation_id)) this.messages = applyReactionEvent(this.messages, ev, true, this.me);
        }),
        client.on(ClientEvent.ReactionRemoved, (ev) => {
          if (mine(ev.conversation_id)) this.messages = applyReactionEvent(this.messages, ev, false, this.me);
        }),
        client.on(ClientEvent.ReceiptRead, (r) => {
          if (!mine(r.conversation_id)) return;
          this.readUpTo(r.user_id, r.last_read_seq);
          if (r.user_id === this.me) this.myLastRead = Math.max(this.myLastRead, r.last_read_seq);
        }),
        client.on(ClientEvent.Typing, (t) => {
          if (!mine(t.conversation_id) || t.user_id === this.me) return;
          if (t.typing) this.tracker.start(t.user_id, t.expires_in_ms);
          else this.tracker.stop(t.user_id);
        }),
        client.on(ClientEvent.MemberAdded, (ev) => {
          if (!mine(ev.conversation_id)) return;
          this.conversation = ev.conversation;
          for (const m of ev.conversation.members) this.readUpTo(m.user_id, m.last_read_seq);
          if (ev.user_ids.includes(this.me ?? '')) this.removed = false;
        }),
        client.on(ClientEvent.MemberRemoved, (ev) => {
          if (!mine(ev.conversation_id)) return;
          if (ev.user_id === this.me) {
            this.removed = true;
            this.stopTyping();
          }
          const positions = new Map(this.readPositions);
          positions.delete(ev.user_id);
          this.readPositions = positions;
          this.tracker.stop(ev.user_id);
          if (this.conversation) {
            this.conversation = {
              ...this.conversation,
              members: this.conversation.members.filter((m) => m.user_id !== ev.user_id),
            };
          }
        }),
      ];
    }
    this.open();
  }

  private unbindClient(): void {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    this.boundClient = undefined;
  }

  private get me(): string | undefined {
    return this.boundClient?.user?.id;
  }

  /** Shows `conversationId` from scratch. */
  private open(): void {
    this.stopTyping();
    if (this.openedId !== undefined) this.drafts.set(this.openedId, this.draft);
    this.generation++;
    this.openedId = this.conversationId;
    this.conversation = undefined;
    this.messages = [];
    this.pending = [];
    this.hasMore = false;
    this.loaded = false;
    this.loading = false;
    this.loadingOlder = false;
    this.error = undefined;
    this.readPositions = new Map();
    this.myLastRead = 0;
    this.replyTo = undefined;
    this.editing = undefined;
    this.removed = false;
    this.cancelUploads();
    this.draft = this.conversationId === undefined ? '' : (this.drafts.get(this.conversationId) ?? '');
    this.tracker.clear();
    void this.load();
  }

  private async load(): Promise<void> {
    const client = this.boundClient;
    const id = this.conversationId;
    if (!client || id === undefined || client.state !== 'connected') return; // `Connected` loads.
    const generation = this.generation;
    this.loading = true;
    this.error = undefined;
    try {
      const [conversation, page] = await Promise.all([
        client.conversations.get(id),
        client.conversations.history(id, { limit: this.pageSize }),
      ]);
      if (generation !== this.generation) return;
      this.conversation = conversation;
      for (const m of conversation.members) this.readUpTo(m.user_id, m.last_read_seq);
      this.myLastRead = Math.max(this.myLastRead, this.readPositions.get(this.me ?? '') ?? 0);
      // Live messages that arrived during the load are kept.
      this.messages = mergeMessages(page, this.messages);
      this.hasMore = page.length >= this.pageSize;
      this.loaded = true;
      this.scrollAfterRender = 'bottom';
      this.scheduleMarkRead();
    } catch (error) {
      if (generation !== this.generation) return;
      this.showError('conversation.get', error);
    } finally {
      if (generation === this.generation) this.loading = false;
    }
  }

  /** Loads the page of messages before the oldest one shown. */
  private async loadOlder(): Promise<void> {
    const client = this.boundClient;
    const id = this.conversationId;
    const oldest = this.messages[0];
    if (!client || id === undefined || !oldest || !this.hasMore || this.loadingOlder || !this.loaded) return;
    const generation = this.generation;
    this.loadingOlder = true;
    try {
      const page = await client.conversations.history(id, { beforeSeq: oldest.seq, limit: this.pageSize });
      if (generation !== this.generation) return;
      const log = this.logElement();
      if (log) this.scrollAfterRender = { height: log.scrollHeight, top: log.scrollTop };
      this.messages = mergeMessages(page, this.messages);
      this.hasMore = page.length >= this.pageSize;
    } catch (error) {
      if (generation !== this.generation) return;
      this.showError('conversation.history', error);
    } finally {
      if (generation === this.generation) this.loadingOlder = false;
    }
  }

  private messageArrived(message: Message): void {
    const log = this.logElement();
    const own = message.sender_id === this.me;
    if (own || !log || nearEnd(log, FOLLOW_THRESHOLD_PX)) this.scrollAfterRender = 'bottom';
    const old = this.messages.find((m) => m.id === message.id);
    // The sender's reply may have come first, with the sender's own reactions.
    this.messages = mergeMessages(this.messages, [old ? { ...message, reactions: old.reactions } : message]);
    if (own && message.client_msg_id !== undefined) {
      this.pending = this.pending.filter((p) => p.clientMsgId !== message.client_msg_id);
    }
    // The sender has read their own message (the server moves their position).
    this.readUpTo(message.sender_id, message.seq);
    this.tracker.stop(message.sender_id);
    if (!own) this.scheduleMarkRead();
  }

  private readUpTo(user: string, seq: number): void {
    if ((this.readPositions.get(user) ?? -1) >= seq) return;
    const positions = new Map(this.readPositions);
    positions.set(user, seq);
    this.readPositions = positions;
  }

  private readonly onVisibilityChange = (): void => {
    if (document.visibilityState === 'visible') this.scheduleMarkRead();
  };

  private scheduleMarkRead(): void {
    if (this.markTimer !== undefined) return;
    this.markTimer = setTimeout(() => {
      this.markTimer = undefined;
      void this.markRead();
    }, 0);
  }

  /** Marks the newest message shown read, when the page is visible. */
  private async markRead(): Promise<void> {
    const client = this.boundClient;
    const id = this.conversationId;
    const newest = this.messages[this.messages.length - 1];
    if (!client || id === undefined || !newest || !this.loaded || !this.isConnected) return;
    if (document.visibilityState === 'hidden') return; // `visibilitychange` comes back here.
    if (newest.seq <= this.myLastRead) return;
    const before = this.myLastRead;
    this.myLastRead = newest.seq;
    const generation = this.generation;
    try {
      const r = await client.conversations.markRead(id, newest.seq);
      if (generation === this.generation) this.myLastRead = Math.max(this.myLastRead, r.last_read_seq);
    } catch (error) {
      if (generation !== this.generation) return;
      this.myLastRead = before;
      this.fail('message.read', error);
    }
  }

  private composer(): HTMLTextAreaElement | null {
    return this.renderRoot.querySelector<HTMLTextAreaElement>('textarea');
  }

  private logElement(): HTMLElement | null {
    return this.renderRoot.querySelector<HTMLElement>('[role="log"]');
  }

  private onInput(e: Event): void {
    this.draft = (e.target as HTMLTextAreaElement).value;
    if (this.editing) return;
    if (this.draft.trim() === '') {
      this.stopTyping();
      return;
    }
    const client = this.boundClient;
    const id = this.conversationId;
    if (!client || id === undefined || client.state !== 'connected') return;
    if (this.throttle.typed(Date.now())) {
      this.typingIn = id;
      client.typing.start(id).catch(() => undefined);
    }
  }

  /** Sends `typing.stop` if a start is outstanding. */
  private stopTyping(): void {
    const id = this.typingIn;
    if (!this.throttle.stopped() || id === undefined) return;
    this.typingIn = undefined;
    const client = this.boundClient;
    if (client && client.state === 'connected') client.typing.stop(id).catch(() => undefined);
  }

  private onKeydown(e: KeyboardEvent): void {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void this.submit();
    } else if (e.key === 'Escape') {
      if (this.editing) {
        e.preventDefault();
        this.cancelEdit();
      } else if (this.replyTo) {
        e.preventDefault();
        this.replyTo = undefined;
      }
    }
  }

  /** Whether Send may send now: text or uploaded files, and no upload still running. */
  private canSend(): boolean {
    if (!this.loaded || this.removed) return false;
    if (this.editing) return this.draft.trim() !== '';
    if (this.uploads.some((u) => u.state === 'uploading')) return false;
    return this.draft.trim() !== '' || this.uploads.some((u) => u.state === 'done');
  }

  /** Sends the draft with the uploaded files, or saves the edit in progress. */
  private async submit(e?: Event): Promise<void> {
    e?.preventDefault();
    if (!this.canSend()) return;
    const text = this.draft.trim();
    if (this.editing) {
      await this.saveEdit(this.editing, text);
      return;
    }
    const ready = this.uploads.filter((u) => u.state === 'done');
    const pending: PendingMessage = {
      clientMsgId: newClientMsgId(),
      text,
      replyTo: this.replyTo?.id,
      attachments: ready.flatMap((u) => (u.file ? [attachmentOf(u.file)] : [])),
      error: undefined,
    };
    this.pending = [...this.pending, pending];
    this.uploads = this.uploads.filter((u) => u.state !== 'done');
    this.draft = '';
    this.replyTo = undefined;
    this.stopTyping();
    this.scrollAfterRender = 'bottom';
    await this.deliver(pending);
  }

  /** Sends a pending message; a retry reuses its `client_msg_id`, so it is stored once. */
  private async deliver(pending: PendingMessage): Promise<void> {
    const client = this.boundClient;
    const id = this.conversationId;
    if (!client || id === undefined) return;
    const generation = this.generation;
    try {
      const message = await client.messages.send(id, pending.text, {
        clientMsgId: pending.clientMsgId,
        ...(pending.replyTo === undefined ? {} : { replyTo: pending.replyTo }),
        ...(pending.attachments.length === 0 ? {} : { attachments: pending.attachments.map((a) => a.id) }),
      });
      if (generation !== this.generation) return;
      this.messages = mergeMessages(this.messages, [message]);
      this.pending = this.pending.filter((p) => p.clientMsgId !== pending.clientMsgId);
      this.readUpTo(message.sender_id, message.seq);
      this.myLastRead = Math.max(this.myLastRead, message.seq);
      this.scrollAfterRender = 'bottom';
    } catch (error) {
      if (generation !== this.generation) return;
      this.pending = this.pending.map((p) =>
        p.clientMsgId === pending.clientMsgId ? { ...p, error: errorText(error) } : p,
      );
      this.fail('message.send', error);
    }
  }

  private retry(pending: PendingMessage): void {
    const again = { ...pending, error: undefined };
    this.pending = this.pending.map((p) => (p.clientMsgId === pending.clientMsgId ? again : p));
    void this.deliver(again);
  }

  private discard(pending: PendingMessage): void {
    this.pending = this.pending.filter((p) => p.clientMsgId !== pending.clientMsgId);
  }

  /** Whether files may be attached now: a loaded conversation the user is in, not while editing. */
  private canAttach(): boolean {
    return this.boundClient !== undefined && this.conversationId !== undefined && this.loaded && !this.removed && !this.editing;
  }

  /**
   * Uploads files into the composer, each with its progress; at most
   * {@link MAX_ATTACHMENTS} per message (the rest are refused with an error).
   */
  private attachFiles(files: readonly Blob[]): void {
    const client = this.boundClient;
    if (!client || !this.canAttach() || files.length === 0) return;
    const room = MAX_ATTACHMENTS - this.uploads.filter((u) => u.state !== 'error').length;
    const taken = files.slice(0, Math.max(0, room));
    if (taken.length < files.length) {
      this.showError('file.upload', new CaasError('too_many_attachments', `At most ${MAX_ATTACHMENTS} files per message.`));
    }
    for (const blob of taken) {
      const name = (blob as { name?: unknown }).name;
      const item: UploadItem = {
        key: ++this.uploadSeq,
        blob,
        name: typeof name === 'string' && name !== '' ? name : 'file',
        size: blob.size,
        sent: 0,
        state: 'uploading',
        file: undefined,
        error: undefined,
        controller: undefined,
      };
      this.uploads = [...this.uploads, item];
      void this.upload(client, item);
    }
  }

  /** Uploads one composer file, following its progress in the list. */
  private async upload(client: CaasClient, item: UploadItem): Promise<void> {
    const controller = typeof AbortController === 'function' ? new AbortController() : undefined;
    this.patchUpload(item.key, { state: 'uploading', sent: 0, error: undefined, controller });
    try {
      const file = await client.files.upload(item.blob, {
        name: item.name,
        onProgress: (sent) => this.patchUpload(item.key, { sent }),
        ...(controller ? { signal: controller.signal } : {}),
      });
      this.patchUpload(item.key, { state: 'done', sent: item.size, file, controller: undefined });
    } catch (error) {
      if (error instanceof CaasError && error.code === ABORTED) return; // Cancelled: already gone from the list.
      if (!this.uploads.some((u) => u.key === item.key)) return;
      this.patchUpload(item.key, { state: 'error', error: errorText(error), controller: undefined });
      this.fail('file.upload', error);
    }
  }

  private patchUpload(key: number, patch: Partial<UploadItem>): void {
    if (!this.uploads.some((u) => u.key === key)) return;
    this.uploads = this.uploads.map((u) => (u.key === key ? { ...u, ...patch } : u));
  }

  /** Cancels an upload in flight, or takes an uploaded (or failed) file off the message. */
  private removeUpload(item: UploadItem): void {
    const current = this.uploads.find((u) => u.key === item.key);
    this.uploads = this.uploads.filter((u) => u.key !== item.key);
    current?.controller?.abort();
    this.focusComposerAfterRender = true;
  }

  private retryUpload(item: UploadItem): void {
    const client = this.boundClient;
    if (client) void this.upload(client, item);
  }

  /** Cancels every upload in flight and empties the list (another conversation opens, or the element goes). */
  private cancelUploads(): void {
    const uploads = this.uploads;
    this.uploads = [];
    for (const u of uploads) u.controller?.abort();
  }

  private openFilePicker(): void {
    this.renderRoot.querySelector<HTMLInputElement>('input[type="file"]')?.click();
  }

  private onFilesChosen(e: Event): void {
    const input = e.target as HTMLInputElement;
    const files = Array.from(input.files ?? []);
    input.value = ''; // Choosing the same file again fires `change` again.
    this.attachFiles(files);
  }

  private onPaste(e: ClipboardEvent): void {
    const images = Array.from(e.clipboardData?.files ?? []).filter((f) => f.type.startsWith('image/'));
    if (images.length === 0 || !this.canAttach()) return;
    e.preventDefault();
    this.attachFiles(images);
  }

  private readonly onDragOver = (e: DragEvent): void => {
    if (!this.canAttach() || !dragHasFiles(e.dataTransfer)) return;
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    this.dragging = true;
  };

  private readonly onDragLeave = (e: DragEvent): void => {
    // While dragging, the drop zone covers the window: leaving it leaves the window.
    const target = e.composedPath()[0];
    if (target instanceof Element && target.classList.contains('dropzone')) this.dragging = false;
  };

  private readonly onDrop = (e: DragEvent): void => {
    this.dragging = false;
    const files = Array.from(e.dataTransfer?.files ?? []);
    if (files.length === 0 || !this.canAttach()) return;
    e.preventDefault();
    this.attachFiles(files);
  };

  private startReply(message: Message): void {
    if (this.editing) this.cancelEdit();
    this.replyTo = message;
    this.focusComposerAfterRender = true;
  }

  private startEdit(message: Message): void {
    if (!this.editing) this.draftBeforeEdit = this.draft;
    this.stopTyping();
    this.replyTo = undefined;
    this.editing = message;
    this.draft = message.text;
    this.focusComposerAfterRender = true;
  }

  private cancelEdit(): void {
    this.editing = undefined;
    this.draft = this.draftBeforeEdit;
    this.draftBeforeEdit = '';
  }

  private async saveEdit(message: Message, text: string): Promise<void> {
    if (text === message.text) {
      this.cancelEdit();
      return;
    }
    await this.change('message.edit', (client) => client.messages.edit(message.id, text));
    if (this.editing?.id === message.id && this.error === undefined) this.cancelEdit();
  }

  private async deleteMessage(message: Message): Promise<void> {
    if (this.editing?.id === message.id) this.cancelEdit();
    await this.change('message.delete', (client) => client.messages.delete(message.id));
  }

  private async toggleReaction(message: Message, kind: string): Promise<void> {
    const mine = message.reactions.mine.includes(kind);
    await this.change(mine ? 'reaction.remove' : 'reaction.add', (client) =>
      mine ? client.messages.removeReaction(message.id, kind) : client.messages.addReaction(message.id, kind),
    );
  }

  private async togglePin(message: Message): Promise<void> {
    await this.change('message.pin', (client) => client.messages.pin(message.id, message.pinned_at === null));
  }

  /** Runs a message change and shows the message the server returns (with the user's own reactions). */
  private async change(action: string, run: (client: CaasClient) => Promise<Message>): Promise<void> {
    const client = this.boundClient;
    if (!client) return;
    const generation = this.generation;
    this.error = undefined;
    try {
      const message = await run(client);
      if (generation === this.generation) this.messages = mergeMessages(this.messages, [message]);
    } catch (error) {
      if (generation === this.generation) this.showError(action, error);
    }
  }

  private showError(action: string, error: unknown): void {
    this.error = errorText(error);
    this.fail(action, error);
  }

  private fail(action: string, error: unknown): void {
    this.dispatchEvent(new CustomEvent<ActionErrorDetail>('caas-error', { detail: { action, error }, bubbles: true, composed: true }));
  }

  private onLogScroll(): void {
    const log = this.logElement();
    if (log && log.scrollTop < 80) void this.loadOlder();
  }

  private scrollToMessage(id: string): void {
    const el = this.renderRoot.querySelector<HTMLElement>(`[data-message-id="${CSS.escape(id)}"]`);
    el?.scrollIntoView?.({ block: 'center' });
    el?.focus();
  }

  protected override render(): TemplateResult {
    if (this.conversationId === undefined) {
      return html`<div class="log" role="log" aria-label="Messages" data-testid="message-list">
        <p class="placeholder">Choose a conversation.</p>
      </div>`;
    }
    const me = this.me;
    const receipt = receiptFor(this.messages, me, this.readPositions);
    const byId = new Map(this.messages.map((m) => [m.id, m]));
    const group = this.conversation?.kind === 'group';
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
        ${this.loaded && this.messages.length === 0 && this.pending.length === 0
          ? html`<p class="placeholder" data-testid="no-messages">No messages yet. Say hello!</p>`
          : nothing}
        ${this.messages.map((m) => this.renderMessage(m, me, group, receipt, byId))}
        ${this.pending.map((p) => this.renderPending(p, byId))}
      </div>
      <div class="typing" data-testid="typing-indicator" role="status" aria-live="polite">${typingText(this.typingUsers)}</div>
      ${this.renderComposer()}
      ${this.dragging ? html`<div class="dropzone" data-testid="drop-zone">Drop files to attach</div>` : nothing}
    `;
  }

  private renderMessage(
    m: Message,
    me: string | undefined,
    group: boolean,
    receipt: Receipt | undefined,
    byId: ReadonlyMap<string, Message>,
  ): TemplateResult {
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
        ${m.reply_to !== undefined ? this.renderQuote(m.reply_to, byId) : nothing}
        ${deleted ? nothing : this.renderAttachments(m.attachments)}
        <div class="text" data-testid="message-text">${deleted ? 'This message was deleted' : m.text}</div>
        <div class="meta">
          <time datetime=${m.created_at} title=${new Date(m.created_at).toLocaleString()}>${shortTime(m.created_at)}</time>
          ${m.edited_at !== null && !deleted ? html` · <span data-testid="edited">edited</span>` : nothing}
          ${m.pinned_at !== null && !deleted ? html` · <span data-testid="pinned">📌 pinned</span>` : nothing}
        </div>
      </article>
      ${deleted || this.removed ? nothing : this.renderTools(m, own)}
      ${receipt && receipt.messageId === m.id ? this.renderReceipt(receipt, group) : nothing}
    </div>`;
  }

  /** A message's files: images as thumbnails (sized before they load), others as download links. */
  private renderAttachments(attachments: readonly Attachment[] | undefined): TemplateResult | typeof nothing {
    const files = this.boundClient?.files;
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

  private renderUploads(): TemplateResult | typeof nothing {
    if (this.uploads.length === 0) return nothing;
    return html`<ul class="uploads" aria-label="Files to send" data-testid="uploads">
      ${this.uploads.map((u) => {
        const percent = u.size > 0 ? Math.floor((u.sent / u.size) * 100) : 0;
        const status =
          u.state === 'uploading' ? `${percent}%` : u.state === 'done' ? 'Ready' : `Failed: ${u.error ?? 'error'}`;
        return html`<li class="upload" data-testid="upload" data-state=${u.state} data-file-id=${ifDefined(u.file?.id)}>
          <span class="name" title=${u.name}>${u.name}</span>
          <span class="status muted">${formatBytes(u.size)}</span>
          <progress
            data-testid="upload-progress"
            max=${Math.max(1, u.size)}
            .value=${u.state === 'done' ? Math.max(1, u.size) : u.sent}
            aria-label=${`Upload of ${u.name}`}
          ></progress>
          <span class="status" role=${u.state === 'error' ? 'alert' : nothing}>${status}</span>
          ${u.state === 'error'
            ? html`<button type="button" data-testid="upload-retry" aria-label=${`Retry uploading ${u.name}`} @click=${() => this.retryUpload(u)}>
                Retry
              </button>`
            : nothing}
          <button
            type="button"
            data-testid="upload-cancel"
            aria-label=${u.state === 'uploading' ? `Cancel uploading ${u.name}` : `Remove ${u.name}`}
            @click=${() => this.removeUpload(u)}
          >
            ${u.state === 'uploading' ? 'Cancel' : 'Remove'}
          </button>
        </li>`;
      })}
    </ul>`;
  }

  private renderQuote(replyTo: string, byId: ReadonlyMap<string, Message>): TemplateResult {
    const quoted = byId.get(replyTo);
    const text = !quoted
      ? 'an earlier message'
      : quoted.deleted_at !== null
        ? 'a deleted message'
        : `${quoted.sender_id === this.me ? 'You' : quoted.sender_id}: ${oneLine(quoted.text, 80)}`;
    return html`<blockquote
      class="quote"
      data-testid="quote"
      data-reply-to=${replyTo}
      @click=${() => quoted && this.scrollToMessage(replyTo)}
    >
      ${text}
    </blockquote>`;
  }

  private renderTools(m: Message, own: boolean): TemplateResult {
    const chips = reactionChips(m, this.reactions);
    const reaction = (c: { kind: string; count: number; mine: boolean }): TemplateResult => html`<button
      type="button"
      class="reaction"
      data-testid="reaction"
      data-kind=${c.kind}
      aria-pressed=${c.mine ? 'true' : 'false'}
      aria-label=${c.count > 0 ? `${c.kind} ${c.count}` : `React with ${c.kind}`}
      @click=${() => this.toggleReaction(m, c.kind)}
    >
      ${c.kind}${c.count > 0 ? ` ${c.count}` : ''}
    </button>`;
    const counted = chips.filter((c) => c.count > 0);
    return html`${counted.length > 0
        ? html`<div class="reactions" role="group" aria-label="Reactions">${counted.map(reaction)}</div>`
        : nothing}
      <div class="actions" role="toolbar" aria-label="Message actions">
        ${chips.filter((c) => c.count === 0).map(reaction)}
        <button type="button" data-testid="reply-button" @click=${() => this.startReply(m)}>Reply</button>
        ${own
          ? html`<button type="button" data-testid="edit-button" @click=${() => this.startEdit(m)}>Edit</button>
              <button type="button" data-testid="delete-button" @click=${() => this.deleteMessage(m)}>Delete</button>`
          : nothing}
        <button type="button" data-testid="pin-button" @click=${() => this.togglePin(m)}>
          ${m.pinned_at === null ? 'Pin' : 'Unpin'}
        </button>
      </div>`;
  }

  private renderReceipt(receipt: Receipt, group: boolean): TemplateResult {
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

  private renderPending(p: PendingMessage, byId: ReadonlyMap<string, Message>): TemplateResult {
    return html`<div class="item own">
      <article class="message pending" data-testid="pending-message" data-client-msg-id=${p.clientMsgId}>
        ${p.replyTo !== undefined ? this.renderQuote(p.replyTo, byId) : nothing}
        ${this.renderAttachments(p.attachments)}
        <div class="text">${p.text}</div>
        <div class="meta">${p.error === undefined ? 'Sending…' : html`<span class="error">Not sent: ${p.error}</span>`}</div>
      </article>
      ${p.error === undefined
        ? nothing
        : html`<div class="tools">
            <button type="button" data-testid="retry-button" @click=${() => this.retry(p)}>Retry</button>
            <button type="button" @click=${() => this.discard(p)}>Discard</button>
          </div>`}
    </div>`;
  }

  private renderComposer(): TemplateResult {
    if (this.removed) {
      return html`<form part="composer"><p class="muted">You are no longer a member of this conversation.</p></form>`;
    }
    const context = this.editing
      ? html`<div class="context" data-testid="editing">
          <span>Editing your message</span>
          <button type="button" @click=${() => this.cancelEdit()}>Cancel</button>
        </div>`
      : this.replyTo
        ? html`<div class="context" data-testid="reply-preview">
            <span>Replying to ${this.replyTo.sender_id === this.me ? 'yourself' : this.replyTo.sender_id}: ${oneLine(this.replyTo.text, 80)}</span>
            <button type="button" aria-label="Cancel reply" @click=${() => (this.replyTo = undefined)}>✕</button>
          </div>`
        : nothing;
    const uploading = this.uploads.some((u) => u.state === 'uploading');
    return html`<form part="composer" @submit=${this.submit}>
      ${context} ${this.renderUploads()}
      <div class="row">
        <input
          type="file"
          multiple
          hidden
          data-testid="attach-input"
          @change=${this.onFilesChosen}
        />
        <button
          type="button"
          class="attach"
          data-testid="attach-button"
          aria-label="Attach files"
          title="Attach files (or drop them here, or paste an image)"
          ?disabled=${!this.canAttach()}
          @click=${() => this.openFilePicker()}
        >
          <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
            <path
              d="M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5"
              fill="none"
              stroke="currentColor"
              stroke-width="1.8"
              stroke-linecap="round"
              stroke-linejoin="round"
            />
          </svg>
        </button>
        <textarea
          data-testid="composer"
          aria-label=${this.editing ? 'Edit message' : 'Message'}
          placeholder="Write a message… (Enter sends, Shift+Enter for a new line)"
          rows="2"
          maxlength="4000"
          .value=${live(this.draft)}
          @input=${this.onInput}
          @keydown=${this.onKeydown}
          @paste=${this.onPaste}
          @blur=${() => this.stopTyping()}
        ></textarea>
        <button
          type="submit"
          class="primary"
          data-testid="send-button"
          title=${uploading ? 'Waiting for the files to upload' : nothing}
          ?disabled=${!this.canSend()}
        >
          ${this.editing ? 'Save' : 'Send'}
        </button>
      </div>
    </form>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'caas-chat-window': CaasChatWindow;
  }
}
