/**
 * The state of `<caas-chat-window>` and how it follows the server: the
 * conversation shown, its messages (loaded, paged and live), read positions,
 * typing users, and the message ops (delete, reactions, pin).
 *
 * @packageDocumentation
 */

import { LitElement } from 'lit';

import type { CaasClient } from '../client.js';
import { ClientEvent } from '../events.js';
import type { Attachment, Conversation, FileMeta, Message } from '../types.js';
import type { ActionErrorDetail } from './chat-list.js';
import {
  DEFAULT_REACTIONS,
  TypingTracker,
  applyChangedMessage,
  applyReactionEvent,
  errorText,
  mergeMessages,
  nearEnd,
} from './logic.js';

/** A message typed by the user that the server has not confirmed yet. */
export interface PendingMessage {
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
export interface UploadItem {
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
 * The state and live wiring of `<caas-chat-window>`: its properties, the
 * conversation's data and the server events that change it. The composer
 * (`ChatWindowComposer`) and the element itself (`CaasChatWindow`) build on it.
 */
export abstract class ChatWindowState extends LitElement {
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

  /** The connected client. */
  declare client: CaasClient | undefined;
  /** The conversation shown. Attribute `conversation-id`. */
  declare conversationId: string | undefined;
  /** Messages per history page (1–200, default 30). Attribute `page-size`. */
  declare pageSize: number;
  /** The reaction kinds offered on every message (default 👍 ❤️ 😂 😮 😢 🙏). */
  declare reactions: readonly string[];

  declare protected conversation: Conversation | undefined;
  declare protected messages: Message[];
  declare protected pending: PendingMessage[];
  declare protected hasMore: boolean;
  declare protected loading: boolean;
  declare protected loadingOlder: boolean;
  declare protected error: string | undefined;
  declare protected typingUsers: string[];
  declare protected readPositions: ReadonlyMap<string, number>;
  declare protected replyTo: Message | undefined;
  declare protected editing: Message | undefined;
  declare protected draft: string;
  declare protected removed: boolean;
  declare protected uploads: UploadItem[];
  declare protected dragging: boolean;

  protected boundClient: CaasClient | undefined;
  private unsubscribe: Array<() => void> = [];
  /** Bumped whenever another conversation opens: replies for an older one are dropped. */
  protected generation = 0;
  protected loaded = false;
  protected openedId: string | undefined;
  protected myLastRead = 0;
  protected markTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly drafts = new Map<string, string>();
  protected readonly tracker = new TypingTracker((users) => {
    this.typingUsers = users;
  });
  protected scrollAfterRender: 'bottom' | { height: number; top: number } | undefined;
  protected focusComposerAfterRender = false;

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

  protected bindClient(): void {
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

  protected unbindClient(): void {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    this.boundClient = undefined;
  }

  protected get me(): string | undefined {
    return this.boundClient?.user?.id;
  }

  /** Shows `conversationId` from scratch. */
  protected open(): void {
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

  protected async load(): Promise<void> {
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
  protected async loadOlder(): Promise<void> {
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

  protected readUpTo(user: string, seq: number): void {
    if ((this.readPositions.get(user) ?? -1) >= seq) return;
    const positions = new Map(this.readPositions);
    positions.set(user, seq);
    this.readPositions = positions;
  }

  protected readonly onVisibilityChange = (): void => {
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

  protected composer(): HTMLTextAreaElement | null {
    return this.renderRoot.querySelector<HTMLTextAreaElement>('textarea');
  }

  protected logElement(): HTMLElement | null {
    return this.renderRoot.querySelector<HTMLElement>('[role="log"]');
  }

  protected async deleteMessage(message: Message): Promise<void> {
    if (this.editing?.id === message.id) this.cancelEdit();
    await this.change('message.delete', (client) => client.messages.delete(message.id));
  }

  protected async toggleReaction(message: Message, kind: string): Promise<void> {
    const mine = message.reactions.mine.includes(kind);
    await this.change(mine ? 'reaction.remove' : 'reaction.add', (client) =>
      mine ? client.messages.removeReaction(message.id, kind) : client.messages.addReaction(message.id, kind),
    );
  }

  protected async togglePin(message: Message): Promise<void> {
    await this.change('message.pin', (client) => client.messages.pin(message.id, message.pinned_at === null));
  }

  /** Runs a message change and shows the message the server returns (with the user's own reactions). */
  protected async change(action: string, run: (client: CaasClient) => Promise<Message>): Promise<void> {
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

  protected showError(action: string, error: unknown): void {
    this.error = errorText(error);
    this.fail(action, error);
  }

  protected fail(action: string, error: unknown): void {
    this.dispatchEvent(new CustomEvent<ActionErrorDetail>('caas-error', { detail: { action, error }, bubbles: true, composed: true }));
  }

  protected scrollToMessage(id: string): void {
    const el = this.renderRoot.querySelector<HTMLElement>(`[data-message-id="${CSS.escape(id)}"]`);
    el?.scrollIntoView?.({ block: 'center' });
    el?.focus();
  }

  /** Sends `typing.stop` if a start is outstanding. */
  protected abstract stopTyping(): void;

  /** Cancels every upload in flight and empties the list. */
  protected abstract cancelUploads(): void;

  /** Leaves editing, restoring the draft from before. */
  protected abstract cancelEdit(): void;
}
