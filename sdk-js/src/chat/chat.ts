/**
 * The chat API over the real-time socket: conversations and their members,
 * messages, typing, presence, contacts and users.
 *
 * @packageDocumentation
 */

import type { CaasClient, RequestOptions } from '../client/client.js';
import type { FilesApi } from '../files/files.js';
import { ConnectionError, ConnectionErrorCode, TimeoutError } from '../core/errors.js';
import type {
  ChosenPresenceStatus,
  FoundUser,
  PresenceEvent,
  RelationOp,
  SocialGraph,
  UserSearchData,
} from './social-types.js';
import type {
  AssignableRole,
  Conversation,
  ConversationKind,
  ConversationSettings,
  CreateConversationData,
  HistoryData,
  InboxFilter,
  InboxPage,
  Message,
  MessageSearchData,
  ReadResult,
  SendMessageData,
  SettingsData,
} from './types.js';
import type { JsonObject, JsonValue } from '../core/wire.js';

/** Input of {@link ConversationsApi.create}. */
export interface CreateConversationInput {
  /** `direct` (exactly one other member; returns the existing one for a pair) or `group`. */
  kind: ConversationKind;
  /** The other members' user ids (the caller is added). */
  members: string[];
  /** Group name (at most 200 characters). */
  name?: string;
  /** Group description. */
  description?: string;
  /** Group picture URL. */
  avatarUrl?: string;
  /** Free-form JSON object. */
  custom?: JsonObject;
}

/** Options of {@link ConversationsApi.list}. */
export interface ListConversationsOptions {
  /** Which conversations (default `all`: everything not archived). */
  filter?: InboxFilter;
  /** Search in group names and other members' ids and names. */
  q?: string;
  /** `next_cursor` of the previous page. */
  cursor?: string;
  /** Page size, 1 to 100 (default 30). */
  limit?: number;
}

/** Options of {@link ConversationsApi.history}. */
export interface HistoryOptions {
  /** Messages with a smaller seq (default: the newest). */
  beforeSeq?: number;
  /** The first `limit` messages with a greater seq (wins over `beforeSeq`). */
  afterSeq?: number;
  /** Messages around this seq: about half up to it, the rest after (wins over `beforeSeq` and `afterSeq`). */
  aroundSeq?: number;
  /**
   * Only the replies in the thread of this root message, oldest first (the
   * root itself is not included); combines with the seq options.
   */
  parentId?: string;
  /** Page size, 1 to 200 (default 50). */
  limit?: number;
}

/** Input of {@link ConversationsApi.updateSettings}: absent fields are kept. */
export interface UpdateSettingsInput {
  /** Mute until this time (a `Date` or an RFC 3339 string); `null` unmutes. */
  mutedUntil?: Date | string | null;
  /** Archive or unarchive. */
  archived?: boolean;
  /** Pin or unpin. */
  pinned?: boolean;
}

/** Options of {@link MessagesApi.send}. */
export interface SendMessageOptions {
  /**
   * Idempotency key, 1–128 characters (default: a random UUID). Sending again
   * with the same key returns the original message and notifies nobody twice.
   */
  clientMsgId?: string;
  /** Custom JSON payload, at most 16 KiB. */
  payload?: JsonValue;
  /**
   * How many times to resend (with the same `clientMsgId`) after the connection
   * dropped or the reply timed out (default 3). The resend waits for the
   * client to reconnect.
   */
  retries?: number;
  /** Time allowed for each reply, in milliseconds (default: the client's `requestTimeoutMs`). */
  timeoutMs?: number;
  /** Quote this message (an id of the same conversation); shown as a reply. */
  replyTo?: string;
  /** Post in the thread of this message. */
  parentId?: string;
  /** Members mentioned. */
  mentions?: string[];
  /**
   * Ids of files uploaded with {@link FilesApi.upload} (at most 10). A message
   * with attachments may have empty text. The members of the conversation may
   * then download them.
   */
  attachments?: string[];
}

/** Options of {@link MessagesApi.search}. */
export interface SearchMessagesOptions {
  /** Only this conversation. */
  conversationId?: string;
  /** At most this many, 1–100 (default 20). */
  limit?: number;
}

/** Options of {@link UsersApi.search}. */
export interface SearchUsersOptions {
  /** At most this many, 1–50 (default 20). */
  limit?: number;
}

/** A new idempotency key for {@link MessagesApi.send}: a random UUID v4. */
export function newClientMsgId(): string {
  const c = (globalThis as { crypto?: Partial<Crypto> }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  const bytes = new Uint8Array(16);
  if (c?.getRandomValues) c.getRandomValues(bytes);
  else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Conversation ops over the socket (`client.conversations`). */
export class ConversationsApi {
  private readonly client: CaasClient;

  /** @param client - the connected client the ops go through. */
  constructor(client: CaasClient) {
    this.client = client;
  }

  /**
   * Creates a conversation; members receive `conversation.created`. Creating a
   * direct conversation that exists (from either side) returns it.
   */
  async create(input: CreateConversationInput, options?: RequestOptions): Promise<Conversation> {
    const data: CreateConversationData = { kind: input.kind, members: input.members };
    if (input.name !== undefined) data.name = input.name;
    if (input.description !== undefined) data.description = input.description;
    if (input.avatarUrl !== undefined) data.avatar_url = input.avatarUrl;
    if (input.custom !== undefined) data.custom = input.custom;
    const reply = await this.client.request('conversation.create', data, options);
    return reply.conversation;
  }

  /** One conversation the caller belongs to, with its members. */
  async get(conversationId: string, options?: RequestOptions): Promise<Conversation> {
    const reply = await this.client.request('conversation.get', { conversation_id: conversationId }, options);
    return reply.conversation;
  }

  /** The chat list: most recent activity first, with unread counts and previews. Page on with `next_cursor`. */
  list(options: ListConversationsOptions = {}, requestOptions?: RequestOptions): Promise<InboxPage> {
    const data: ListConversationsOptions = {};
    if (options.filter !== undefined) data.filter = options.filter;
    if (options.q !== undefined) data.q = options.q;
    if (options.cursor !== undefined) data.cursor = options.cursor;
    if (options.limit !== undefined) data.limit = options.limit;
    return this.client.request('conversation.list', data, requestOptions);
  }

  /**
   * A page of messages, oldest first: those before `beforeSeq` (default: the
   * newest), after `afterSeq` or around `aroundSeq`. Without `parentId` the
   * page holds the whole conversation, thread replies included; with it, only
   * that thread's replies.
   */
  async history(conversationId: string, options: HistoryOptions = {}, requestOptions?: RequestOptions): Promise<Message[]> {
    const data: HistoryData = { conversation_id: conversationId };
    if (options.beforeSeq !== undefined) data.before_seq = options.beforeSeq;
    if (options.afterSeq !== undefined) data.after_seq = options.afterSeq;
    if (options.aroundSeq !== undefined) data.around_seq = options.aroundSeq;
    if (options.parentId !== undefined) data.parent_id = options.parentId;
    if (options.limit !== undefined) data.limit = options.limit;
    const reply = await this.client.request('conversation.history', data, requestOptions);
    return reply.messages;
  }

  /**
   * Marks every message up to `seq` read (the position only moves forward);
   * the other members receive `receipt.read`.
   */
  markRead(conversationId: string, seq: number, options?: RequestOptions): Promise<ReadResult> {
    return this.client.request('message.read', { conversation_id: conversationId, seq }, options);
  }

  /**
   * Changes the caller's own settings of a conversation; the caller's other
   * devices receive `conversation.settings`.
   */
  updateSettings(
    conversationId: string,
    settings: UpdateSettingsInput,
    options?: RequestOptions,
  ): Promise<ConversationSettings> {
    const data: SettingsData = { conversation_id: conversationId };
    if (settings.mutedUntil !== undefined) {
      data.muted_until = settings.mutedUntil instanceof Date ? settings.mutedUntil.toISOString() : settings.mutedUntil;
    }
    if (settings.archived !== undefined) data.archived = settings.archived;
    if (settings.pinned !== undefined) data.pinned = settings.pinned;
    return this.client.request('conversation.settings', data, options);
  }

  /**
   * Adds users to a group as `member`s (owner and admins may); members already
   * in and repeats are skipped. Every member, the new ones included, receives
   * `member.added`. Resolves with the group as it now is.
   *
   * @throws {@link RequestError} `forbidden`, `not_found` (an unknown user),
   *   `not_a_group`, `too_many_members`, `blocked`, `invalid_body` (no users).
   */
  async addMembers(conversationId: string, userIds: string[], options?: RequestOptions): Promise<Conversation> {
    const reply = await this.client.request('member.add', { conversation_id: conversationId, user_ids: userIds }, options);
    return reply.conversation;
  }

  /**
   * Removes a member from a group (the owner may remove anyone else, an admin
   * plain members). The members and the removed user receive `member.removed`.
   * To remove yourself, use {@link ConversationsApi.leave}.
   */
  async removeMember(conversationId: string, userId: string, options?: RequestOptions): Promise<Conversation> {
    const reply = await this.client.request('member.remove', { conversation_id: conversationId, user_id: userId }, options);
    return reply.conversation;
  }

  /**
   * Makes a member `admin` or `member` (the owner may); members receive
   * `member.updated`. Ownership passes with {@link ConversationsApi.transfer}.
   */
  async setRole(conversationId: string, userId: string, role: AssignableRole, options?: RequestOptions): Promise<Conversation> {
    const reply = await this.client.request('member.role', { conversation_id: conversationId, user_id: userId, role }, options);
    return reply.conversation;
  }

  /**
   * The caller leaves a group; the remaining members and the caller receive
   * `member.removed` with `left: true`. An owner with other members left must
   * first {@link ConversationsApi.transfer} the group (`owner_must_transfer`).
   */
  async leave(conversationId: string, options?: RequestOptions): Promise<Conversation> {
    const reply = await this.client.request('conversation.leave', { conversation_id: conversationId }, options);
    return reply.conversation;
  }

  /**
   * Hands the group's ownership to another member (the owner may); the old
   * owner becomes `admin`. Members receive two `member.updated` events.
   */
  async transfer(conversationId: string, userId: string, options?: RequestOptions): Promise<Conversation> {
    const reply = await this.client.request('conversation.transfer', { conversation_id: conversationId, user_id: userId }, options);
    return reply.conversation;
  }
}

/** Message ops over the socket (`client.messages`). */
export class MessagesApi {
  private readonly client: CaasClient;

  /** @param client - the connected client the ops go through. */
  constructor(client: CaasClient) {
    this.client = client;
  }

  /**
   * Sends a message and resolves with it once the server has stored it.
   * Members (the sender's other devices included) receive `message.new`.
   *
   * The message carries a `client_msg_id` (generated when not given). If the
   * connection drops or the reply times out, the same message is sent again
   * with the same id after the client reconnects, so it is stored once.
   *
   * @throws {@link RequestError} on refusal (`forbidden`, `message_too_long`, …);
   *   the last {@link ConnectionError} or {@link TimeoutError} once retries run out.
   */
  async send(conversationId: string, text: string, options: SendMessageOptions = {}): Promise<Message> {
    const data: SendMessageData & { client_msg_id: string } = {
      conversation_id: conversationId,
      text,
      client_msg_id: options.clientMsgId ?? newClientMsgId(),
    };
    if (options.payload !== undefined) data.payload = options.payload;
    if (options.replyTo !== undefined) data.reply_to = options.replyTo;
    if (options.parentId !== undefined) data.parent_id = options.parentId;
    if (options.mentions !== undefined) data.mentions = options.mentions;
    if (options.attachments !== undefined) data.attachments = options.attachments;
    const retries = options.retries ?? 3;
    const requestOptions = options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
    for (let attempt = 0; ; attempt++) {
      try {
        const reply = await this.client.request('message.send', data, requestOptions);
        return reply.message;
      } catch (error) {
        if (attempt >= retries || !isTransient(error)) throw error;
        try {
          await this.client.waitUntilConnected();
        } catch {
          throw error;
        }
      }
    }
  }

  /**
   * Replaces the text of one of the caller's messages; members receive
   * `message.updated`. Resolves with the message as it now is.
   *
   * @throws {@link RequestError} `forbidden` (not the sender), `message_deleted`,
   *   `empty_message`, `message_too_long`, `not_found`.
   */
  async edit(messageId: string, text: string, options?: RequestOptions): Promise<Message> {
    const reply = await this.client.request('message.edit', { message_id: messageId, text }, options);
    return reply.message;
  }

  /**
   * Deletes a message for everyone (the sender, or a group owner or admin may):
   * it stays as a tombstone without text or payload, and members receive
   * `message.deleted`. Deleting it again changes nothing.
   */
  async delete(messageId: string, options?: RequestOptions): Promise<Message> {
    const reply = await this.client.request('message.delete', { message_id: messageId }, options);
    return reply.message;
  }

  /** Pins (default) or unpins a message; members receive `message.pinned` when that changes something. */
  async pin(messageId: string, pinned = true, options?: RequestOptions): Promise<Message> {
    const reply = await this.client.request('message.pin', { message_id: messageId, pinned }, options);
    return reply.message;
  }

  /**
   * Adds the caller's reaction `kind` (e.g. `like` or an emoji, 1–32
   * characters without spaces); members receive `reaction.added` unless the
   * caller had already reacted so. Resolves with the message and its reactions.
   */
  async addReaction(messageId: string, kind: string, options?: RequestOptions): Promise<Message> {
    const reply = await this.client.request('reaction.add', { message_id: messageId, kind }, options);
    return reply.message;
  }

  /** Takes back the caller's reaction `kind`; members receive `reaction.removed` if there was one. */
  async removeReaction(messageId: string, kind: string, options?: RequestOptions): Promise<Message> {
    const reply = await this.client.request('reaction.remove', { message_id: messageId, kind }, options);
    return reply.message;
  }

  /**
   * Full-text search in the caller's conversations (or one of them): messages
   * containing every word of `q` (1–200 characters), newest first.
   *
   * @throws {@link RequestError} `invalid_query`, `invalid_limit`, `forbidden`
   *   (a conversation the caller is not in).
   */
  async search(q: string, options: SearchMessagesOptions = {}, requestOptions?: RequestOptions): Promise<Message[]> {
    const data: MessageSearchData = { q };
    if (options.conversationId !== undefined) data.conversation_id = options.conversationId;
    if (options.limit !== undefined) data.limit = options.limit;
    const reply = await this.client.request('message.search', data, requestOptions);
    return reply.messages;
  }
}

/**
 * Contacts over the socket (`client.contacts`): mutual relations by request
 * and acceptance. Every op resolves with the caller's whole {@link SocialGraph}
 * as it is afterwards; the users concerned receive `contact.*` events.
 *
 * Common errors ({@link RequestError}): `invalid_user` (the caller's own id),
 * `not_found` (no such user, or no pending request to answer or cancel).
 */
export class ContactsApi {
  private readonly client: CaasClient;

  /** @param client - the connected client the ops go through. */
  constructor(client: CaasClient) {
    this.client = client;
  }

  /** The caller's contacts, pending requests (both ways), follows, blocks and mutes. */
  list(options?: RequestOptions): Promise<SocialGraph> {
    return this.client.request('contact.list', {}, options);
  }

  /**
   * Asks `userId` to become contacts; both receive `contact.requested`. If they
   * had asked first, this accepts their request. Refused with
   * `already_contacts` or `blocked`.
   */
  request(userId: string, options?: RequestOptions): Promise<SocialGraph> {
    return relate(this.client, 'contact.request', userId, options);
  }

  /** Accepts the pending request from `userId`; both receive `contact.accepted`. */
  accept(userId: string, options?: RequestOptions): Promise<SocialGraph> {
    return relate(this.client, 'contact.accept', userId, options);
  }

  /** Declines the pending request from `userId`; they receive `contact.declined`. */
  decline(userId: string, options?: RequestOptions): Promise<SocialGraph> {
    return relate(this.client, 'contact.decline', userId, options);
  }

  /** Withdraws the caller's pending request to `userId`; they receive `contact.cancelled`. */
  cancel(userId: string, options?: RequestOptions): Promise<SocialGraph> {
    return relate(this.client, 'contact.cancel', userId, options);
  }

  /** Ends the contact with `userId` for both; both receive `contact.removed`. */
  remove(userId: string, options?: RequestOptions): Promise<SocialGraph> {
    return relate(this.client, 'contact.remove', userId, options);
  }
}

/**
 * One-way relations and the user directory over the socket (`client.users`):
 * follow, block, mute, search. The relation ops resolve with the caller's
 * whole {@link SocialGraph} as it is afterwards.
 */
export class UsersApi {
  private readonly client: CaasClient;

  /** @param client - the connected client the ops go through. */
  constructor(client: CaasClient) {
    this.client = client;
  }

  /** Follows `userId` (no consent needed; refused across a block with `blocked`); they receive `user.followed`. */
  follow(userId: string, options?: RequestOptions): Promise<SocialGraph> {
    return relate(this.client, 'user.follow', userId, options);
  }

  /** Stops following `userId`. */
  unfollow(userId: string, options?: RequestOptions): Promise<SocialGraph> {
    return relate(this.client, 'user.unfollow', userId, options);
  }

  /**
   * Blocks `userId`: ends the pair's contact, requests and follows, and from
   * then on refuses new direct chats, group adds, requests and follows between
   * them, and hides presence. Conversations they share go on. Nobody is told.
   */
  block(userId: string, options?: RequestOptions): Promise<SocialGraph> {
    return relate(this.client, 'user.block', userId, options);
  }

  /** Unblocks `userId` (restores nothing the block removed). */
  unblock(userId: string, options?: RequestOptions): Promise<SocialGraph> {
    return relate(this.client, 'user.unblock', userId, options);
  }

  /** Records that the caller muted `userId`, for the app to act on (the server changes no delivery). */
  mute(userId: string, options?: RequestOptions): Promise<SocialGraph> {
    return relate(this.client, 'user.mute', userId, options);
  }

  /** Takes back a mute of `userId`. */
  unmute(userId: string, options?: RequestOptions): Promise<SocialGraph> {
    return relate(this.client, 'user.unmute', userId, options);
  }

  /**
   * Users of the app whose id or name contains `q` (1–100 characters,
   * case-insensitive), sorted by name then id. The caller and users who
   * blocked the caller are left out.
   *
   * @throws {@link RequestError} `invalid_query`, `invalid_limit`.
   */
  async search(q: string, options: SearchUsersOptions = {}, requestOptions?: RequestOptions): Promise<FoundUser[]> {
    const data: UserSearchData = { q };
    if (options.limit !== undefined) data.limit = options.limit;
    const reply = await this.client.request('user.search', data, requestOptions);
    return reply.users;
  }
}

function relate(client: CaasClient, op: RelationOp, userId: string, options?: RequestOptions): Promise<SocialGraph> {
  return client.request(op, { user_id: userId }, options);
}

/**
 * Typing indicators over the socket (`client.typing`). The server tells the
 * other members with the ephemeral `typing` event; a start that is not
 * refreshed within its `expires_in_ms` (6 s) stops by itself, so call
 * {@link TypingApi.start} again every few seconds while the user types.
 */
export class TypingApi {
  private readonly client: CaasClient;

  /** @param client - the connected client the ops go through. */
  constructor(client: CaasClient) {
    this.client = client;
  }

  /** The caller is typing in the conversation (the server broadcasts at most every 2 s). */
  async start(conversationId: string, options?: RequestOptions): Promise<void> {
    await this.client.request('typing.start', { conversation_id: conversationId }, options);
  }

  /** The caller stopped typing (e.g. sent the message or left the composer). */
  async stop(conversationId: string, options?: RequestOptions): Promise<void> {
    await this.client.request('typing.stop', { conversation_id: conversationId }, options);
  }
}

/**
 * Presence over the socket (`client.presence`). Status changes of the users the
 * caller may see (co-members and contacts) arrive as the ephemeral `presence`
 * event.
 */
export class PresenceApi {
  private readonly client: CaasClient;

  /** @param client - the connected client the ops go through. */
  constructor(client: CaasClient) {
    this.client = client;
  }

  /** Chooses the caller's status: `online`, `away`, or `invisible` (others see `offline`). */
  async set(status: ChosenPresenceStatus, options?: RequestOptions): Promise<ChosenPresenceStatus> {
    const reply = await this.client.request('presence.set', { status }, options);
    return reply.status;
  }

  /**
   * The current status of up to 500 users; those the caller may not see are
   * left out.
   */
  async subscribe(userIds: string[], options?: RequestOptions): Promise<PresenceEvent[]> {
    const reply = await this.client.request('presence.subscribe', { user_ids: userIds }, options);
    return reply.presence;
  }
}

function isTransient(error: unknown): boolean {
  if (error instanceof TimeoutError) return true;
  return (
    error instanceof ConnectionError &&
    (error.code === ConnectionErrorCode.Closed || error.code === ConnectionErrorCode.NotConnected)
  );
}
