/**
 * The state of `<caas-chat-window>` and how it follows the server: the
 * conversation shown, its messages (loaded, paged and live), the open thread
 * and its replies, read positions, typing users, and the message ops (delete,
 * reactions, pin).
 *
 * @packageDocumentation
 */

import { LitElement } from 'lit';

import type { Conversation, Message } from '../../chat/types.js';
import type { CaasClient } from '../../client/client.js';
import { ClientEvent } from '../../client/events.js';
import type { ActionErrorDetail } from '../shared/events.js';
import { errorText, nearEnd } from '../shared/format.js';
import {
  applyChangedMessage,
  applyReactionEvent,
  DEFAULT_REACTIONS,
  mergeMessages,
  TypingTracker,
} from './message-logic.js';
import { ObjectPreviews } from './object-card.js';
import type { PendingMessage, UploadItem } from './outbox.js';

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
    threadId: { state: true },
    threadMessages: { state: true },
    threadLoading: { state: true },
    threadHasMore: { state: true },
    threadDraft: { state: true },
    threadEditing: { state: true },
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
  /** The root message of the open thread, or `undefined` when no thread is open. */
  declare protected threadId: string | undefined;
  /** The replies of the open thread, oldest first. */
  declare protected threadMessages: Message[];
  declare protected threadLoading: boolean;
  declare protected threadHasMore: boolean;
  /** The draft of the thread composer. */
  declare protected threadDraft: string;
  /** The thread reply being edited in the thread composer. */
  declare protected threadEditing: Message | undefined;

  protected boundClient: CaasClient | undefined;
  /** Previews of objects shared into the chat, fetched once each. */
  protected readonly objectPreviews = new ObjectPreviews(() => this.requestUpdate());
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
  /** Bumped whenever a thread opens or closes: replies for an older one are dropped. */
  protected threadGeneration = 0;
  /** The root of the thread last opened, as it was then (shown should it leave the list). */
  protected threadRoot: Message | undefined;
  /** Scroll the thread's replies to their end after the next render. */
  protected scrollThreadAfterRender = false;
  /** What to focus after the next render: the thread composer, or the opener of a closed thread (by root id). */
  protected focusThreadAfterRender: { composer: true } | { opener: string } | undefined;

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
    this.threadId = undefined;
    this.threadMessages = [];
    this.threadLoading = false;
    this.threadHasMore = false;
    this.threadDraft = '';
    this.threadEditing = undefined;
  }

  /**
   * The messages of the main list, oldest first: thread replies are not among
   * them (they show in the thread panel).
   */
  get shownMessages(): readonly Message[] {
    return this.messages.filter((m) => m.parent_id === undefined);
  }

  /** The root message of the open thread, or `undefined` when none is open. */
  get openThreadId(): string | undefined {
    return this.threadId;
  }

  /** The replies shown in the open thread, oldest first. */
  get threadReplies(): readonly Message[] {
    return this.threadMessages;
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
          if (mine(message.conversation_id)) this.messageChanged(message);
        }),
        client.on(ClientEvent.MessageDeleted, ({ message }) => {
          if (!mine(message.conversation_id)) return;
          this.messageChanged(message);
          if (this.editing?.id === message.id) this.cancelEdit();
          if (this.threadEditing?.id === message.id) this.cancelThreadEdit();
        }),
        client.on(ClientEvent.MessagePinned, ({ message }) => {
          if (mine(message.conversation_id)) this.messageChanged(message);
        }),
        client.on(ClientEvent.ReactionAdded, (ev) => {
          if (!mine(ev.conversation_id)) return;
          this.messages = applyReactionEvent(this.messages, ev, true, this.me);
          this.threadMessages = applyReactionEvent(this.threadMessages, ev, true, this.me);
        }),
        client.on(ClientEvent.ReactionRemoved, (ev) => {
          if (!mine(ev.conversation_id)) return;
          this.messages = applyReactionEvent(this.messages, ev, false, this.me);
          this.threadMessages = applyReactionEvent(this.threadMessages, ev, false, this.me);
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
    this.objectPreviews.clear();
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
    this.resetThread();
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
    const own = message.sender_id === this.me;
    if (message.parent_id !== undefined) {
      this.threadReplyArrived(message);
    } else {
      const log = this.logElement();
      if (own || !log || nearEnd(log, FOLLOW_THRESHOLD_PX)) this.scrollAfterRender = 'bottom';
      const old = this.messages.find((m) => m.id === message.id);
      // The sender's reply may have come first, with the sender's own reactions.
      this.messages = mergeMessages(this.messages, [old ? { ...message, reactions: old.reactions } : message]);
    }
    if (own && message.client_msg_id !== undefined) {
      this.pending = this.pending.filter((p) => p.clientMsgId !== message.client_msg_id);
    }
    // The sender has read their own message (the server moves their position).
    this.readUpTo(message.sender_id, message.seq);
    this.tracker.stop(message.sender_id);
    if (!own) this.scheduleMarkRead();
  }

  /**
   * A thread reply (live, or the reply to the user's own send): kept with the
   * conversation's messages but not shown in the main list; the first time it
   * is seen it bumps its root's `reply_count` (the server publishes no event
   * for the root). It joins the replies of the open thread if it belongs there.
   */
  protected threadReplyArrived(message: Message): void {
    const parent = message.parent_id;
    if (parent === undefined) return;
    const old = this.messages.find((m) => m.id === message.id) ?? this.threadMessages.find((m) => m.id === message.id);
    // The sender's reply may have come first, with the sender's own reactions.
    const reply = old ? { ...message, reactions: old.reactions } : message;
    let messages = this.messages;
    if (!old) messages = messages.map((m) => (m.id === parent ? { ...m, reply_count: m.reply_count + 1 } : m));
    this.messages = mergeMessages(messages, [reply]);
    if (this.threadRoot?.id === parent && !old) this.threadRoot = { ...this.threadRoot, reply_count: this.threadRoot.reply_count + 1 };
    if (this.threadId === parent) {
      const box = this.threadLogElement();
      if (message.sender_id === this.me || !box || nearEnd(box, FOLLOW_THRESHOLD_PX)) this.scrollThreadAfterRender = true;
      this.threadMessages = mergeMessages(this.threadMessages, [reply]);
    }
  }

  /** Applies `message.updated`, `message.deleted` or `message.pinned` to the main list and to the open thread. */
  private messageChanged(message: Message): void {
    this.messages = applyChangedMessage(this.messages, message);
    this.threadMessages = applyChangedMessage(this.threadMessages, message);
  }

  /**
   * Opens the thread of `root` in the panel: the replies already known show at
   * once, then the newest page of the thread (`conversation.history` with
   * `parent_id`) joins them.
   */
  protected openThread(root: Message): void {
    if (root.parent_id !== undefined) return; // Threads are one level deep.
    if (this.threadId === root.id) {
      this.focusThreadAfterRender = { composer: true };
      this.requestUpdate();
      return;
    }
    this.resetThread();
    this.threadId = root.id;
    this.threadRoot = root;
    this.threadMessages = this.messages.filter((m) => m.parent_id === root.id);
    this.scrollThreadAfterRender = true;
    this.focusThreadAfterRender = { composer: true };
    void this.loadThread();
  }

  /** Closes the thread panel; focus goes back to what opened it. */
  protected closeThread(): void {
    const id = this.threadId;
    if (id === undefined) return;
    this.resetThread();
    this.focusThreadAfterRender = { opener: id };
  }

  /** Forgets the open thread, its replies, draft and edit. */
  private resetThread(): void {
    this.threadGeneration++;
    this.threadId = undefined;
    this.threadRoot = undefined;
    this.threadMessages = [];
    this.threadLoading = false;
    this.threadHasMore = false;
    this.threadDraft = '';
    this.threadEditing = undefined;
    this.scrollThreadAfterRender = false;
  }

  /** Loads the newest replies of the open thread, or those before the oldest shown (`older`). */
  protected async loadThread(older = false): Promise<void> {
    const client = this.boundClient;
    const id = this.conversationId;
    const root = this.threadId;
    if (!client || id === undefined || root === undefined || this.threadLoading) return;
    const oldest = this.threadMessages[0];
    if (older && (!oldest || !this.threadHasMore)) return;
    const generation = this.generation;
    const threadGeneration = this.threadGeneration;
    this.threadLoading = true;
    try {
      const page = await client.conversations.history(id, {
        parentId: root,
        limit: this.pageSize,
        ...(older && oldest ? { beforeSeq: oldest.seq } : {}),
      });
      if (generation !== this.generation || threadGeneration !== this.threadGeneration) return;
      // Replies that arrived during the load are kept.
      this.threadMessages = mergeMessages(page, this.threadMessages);
      this.threadHasMore = page.length >= this.pageSize;
      if (!older) this.scrollThreadAfterRender = true;
    } catch (error) {
      if (generation !== this.generation || threadGeneration !== this.threadGeneration) return;
      this.showError('conversation.history', error);
    } finally {
      if (generation === this.generation && threadGeneration === this.threadGeneration) this.threadLoading = false;
    }
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
    return this.renderRoot.querySelector<HTMLTextAreaElement>('textarea[data-testid="composer"]');
  }

  protected logElement(): HTMLElement | null {
    return this.renderRoot.querySelector<HTMLElement>('[data-testid="message-list"]');
  }

  protected threadLogElement(): HTMLElement | null {
    return this.renderRoot.querySelector<HTMLElement>('[data-testid="thread-replies"]');
  }

  protected async deleteMessage(message: Message): Promise<void> {
    if (this.editing?.id === message.id) this.cancelEdit();
    if (this.threadEditing?.id === message.id) this.cancelThreadEdit();
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
      if (generation !== this.generation) return;
      this.messages = mergeMessages(this.messages, [message]);
      if (this.threadMessages.some((m) => m.id === message.id)) this.threadMessages = mergeMessages(this.threadMessages, [message]);
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

  /** Leaves editing a thread reply, restoring the thread draft from before. */
  protected abstract cancelThreadEdit(): void;
}
