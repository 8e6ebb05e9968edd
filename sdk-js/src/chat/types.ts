/**
 * Wire types of chat: conversations, members, messages, the chat list, their
 * events and the inputs of the chat ops, as the server sends them (snake_case
 * keys, RFC 3339 timestamps as strings). See docs/protocol.md of the server.
 *
 * @packageDocumentation
 */

import type { JsonObject, JsonValue } from '../core/wire.js';
import type { Attachment } from '../files/types.js';

/** `direct` (exactly two users, one conversation per pair) or `group`. */
export type ConversationKind = 'direct' | 'group';

/** A member's role in a conversation. */
export type MemberRole = 'owner' | 'admin' | 'member';

/** A member of a conversation. */
export interface Member {
  /** The user. */
  user_id: string;
  /** Role; the creator of a group is `owner`. */
  role: MemberRole;
  /** RFC 3339. */
  joined_at: string;
  /** Seq of the newest message this member has read. */
  last_read_seq: number;
}

/** A conversation with its members. */
export interface Conversation {
  /** Id. */
  id: string;
  /** Direct or group. */
  kind: ConversationKind;
  /** Group name. */
  name: string | null;
  /** Group picture. */
  avatar_url: string | null;
  /** Group description. */
  description: string | null;
  /** Free-form JSON object. */
  custom: JsonObject;
  /** Who created it. */
  created_by: string;
  /** RFC 3339. */
  created_at: string;
  /** RFC 3339. */
  updated_at: string;
  /** Seq of the newest message (0: none yet). */
  last_seq: number;
  /** When the newest message was sent (RFC 3339), if any. */
  last_message_at: string | null;
  /** The members (in the chat list: at most the first five). */
  members: Member[];
}

/** A chat message. */
export interface Message {
  /** Id. */
  id: string;
  /** Its conversation. */
  conversation_id: string;
  /** Position in the conversation: from 1, strictly increasing, without gaps. */
  seq: number;
  /** Who sent it. */
  sender_id: string;
  /** The sender's idempotency key, if one was given. */
  client_msg_id?: string;
  /** Text (may be empty when a payload is present). */
  text: string;
  /** Custom JSON payload. */
  payload?: JsonValue;
  /** The id of the message this one quotes, if any. */
  reply_to?: string;
  /** The root message of the thread this one belongs to, if any. */
  parent_id?: string;
  /** How many replies this message's thread has. */
  reply_count: number;
  /** Users mentioned. */
  mentions: string[];
  /** RFC 3339. */
  created_at: string;
  /** Last edit (RFC 3339), or `null` when never edited. */
  edited_at: string | null;
  /** Deletion for everyone (RFC 3339), or `null`: a deleted message is a tombstone without text or payload. */
  deleted_at: string | null;
  /** When it was pinned (RFC 3339), or `null` when not pinned. */
  pinned_at: string | null;
  /** Reactions as the viewer sees them. */
  reactions: Reactions;
  /** Files attached (empty when none; a deleted message has none). */
  attachments: Attachment[];
}

/** Reactions on a message, as one viewer sees them. */
export interface Reactions {
  /** How many users reacted with each kind (e.g. `like`, or an emoji). */
  counts: Record<string, number>;
  /**
   * The kinds the viewer reacted with. Empty in the `message` of the
   * `message.updated`, `message.deleted` and `message.pinned` events, which
   * every member receives alike.
   */
  mine: string[];
}

/** Preview of a conversation's newest message, in the chat list. */
export interface LastMessage {
  /** Id. */
  id: string;
  /** Seq. */
  seq: number;
  /** Sender. */
  sender_id: string;
  /** Text (empty for payload-only and attachment-only messages, and for deleted ones). */
  text: string;
  /** RFC 3339. */
  created_at: string;
  /** Deleted for everyone (RFC 3339), or `null`: a deleted message has no text nor attachments. */
  deleted_at: string | null;
  /** The files attached (`[]` when none), for previews such as "📎 report.pdf". */
  attachments: Attachment[];
}

/** One row of the chat list (`conversation.list`). */
export interface InboxEntry {
  /** The conversation; `members` holds at most the first five. */
  conversation: Conversation;
  /** How many members it has. */
  member_count: number;
  /** Messages after the caller's last read one. */
  unread_count: number;
  /** The caller's read position. */
  last_read_seq: number;
  /** The newest message, if any. */
  last_message: LastMessage | null;
  /** Notifications muted until this time (RFC 3339), if muted. */
  muted_until: string | null;
  /** Archived by the caller. */
  archived: boolean;
  /** Pinned by the caller. */
  pinned: boolean;
}

/** A page of the chat list, most recent activity first. */
export interface InboxPage {
  /** The conversations of this page. */
  conversations: InboxEntry[];
  /** Pass as `cursor` for the next page; absent or `null` on the last page. */
  next_cursor?: string | null;
}

/** Which conversations the chat list shows. */
export type InboxFilter = 'all' | 'unread' | 'direct' | 'group' | 'archived' | 'pinned';

/** Data of `message.new`. */
export interface MessageNewEvent {
  /** The new message. */
  message: Message;
}

/** Data of `conversation.created`. */
export interface ConversationCreatedEvent {
  /** The new conversation with its members. */
  conversation: Conversation;
}

/** Data of `receipt.read`: a member's read position moved forward. */
export interface ReadReceipt {
  /** The conversation. */
  conversation_id: string;
  /** Who read. */
  user_id: string;
  /** Everything up to this seq has been read by `user_id`. */
  last_read_seq: number;
}

/** Reply of `message.read`: the caller's read position now. */
export interface ReadResult {
  /** The conversation. */
  conversation_id: string;
  /** The caller's read position (it only moves forward). */
  last_read_seq: number;
}

/** Data of `conversation.settings`, and the reply of the op of that name. */
export interface ConversationSettings {
  /** The conversation. */
  conversation_id: string;
  /** Muted until this time (RFC 3339), or `null` when not muted. */
  muted_until: string | null;
  /** Archived by the user. */
  archived: boolean;
  /** Pinned by the user. */
  pinned: boolean;
}

/** Data of `message.updated`, `message.deleted` and `message.pinned`: the message as it now is. */
export interface MessageChangedEvent {
  /** The message after the change (`reactions.mine` is empty: it is the same for every member). */
  message: Message;
  /** Who made the change. */
  by: string;
}

/** Data of `reaction.added` and `reaction.removed`. */
export interface ReactionEvent {
  /** The conversation. */
  conversation_id: string;
  /** The message. */
  message_id: string;
  /** The message's seq. */
  seq: number;
  /** Who reacted (or took the reaction back). */
  user_id: string;
  /** The reaction kind. */
  kind: string;
  /** The message's reaction counts after the change. */
  counts: Record<string, number>;
}

/** Data of `member.added`. */
export interface MemberAddedEvent {
  /** The group. */
  conversation_id: string;
  /** Who added them. */
  by: string;
  /** The new members. */
  user_ids: string[];
  /** The group with its members after the change. */
  conversation: Conversation;
}

/** Data of `member.removed` (sent to the members and to the removed user). */
export interface MemberRemovedEvent {
  /** The group. */
  conversation_id: string;
  /** Who removed them (the user themselves when they left). */
  by: string;
  /** The removed member. */
  user_id: string;
  /** `true` when the member left by themselves. */
  left: boolean;
}

/** Data of `member.updated`: a member's role changed. */
export interface MemberUpdatedEvent {
  /** The group. */
  conversation_id: string;
  /** Who changed it. */
  by: string;
  /** The member. */
  user_id: string;
  /** The new role. */
  role: MemberRole;
}

/** Data of `typing` (ephemeral: no cursor, not replayed). */
export interface TypingEvent {
  /** The conversation. */
  conversation_id: string;
  /** Who started or stopped typing. */
  user_id: string;
  /** `true`: typing; `false`: stopped. */
  typing: boolean;
  /** A start not refreshed within this many milliseconds stops by itself. */
  expires_in_ms: number;
}

/** Input of `conversation.create`. */
export interface CreateConversationData {
  /** `direct` or `group`. */
  kind: ConversationKind;
  /** The other members (exactly one for `direct`). */
  members: string[];
  /** Group name (at most 200 characters). */
  name?: string;
  /** Group description. */
  description?: string;
  /** Group picture. */
  avatar_url?: string;
  /** Free-form JSON object. */
  custom?: JsonObject;
}

/** Input of `message.send`. */
export interface SendMessageData {
  /** The conversation. */
  conversation_id: string;
  /** Text, at most 4000 characters (may be empty when a payload is given). */
  text: string;
  /** Idempotency key, 1–128 characters: resending with it returns the original message. */
  client_msg_id?: string;
  /** Custom JSON payload, at most 16 KiB. */
  payload?: JsonValue;
  /** The id of a message of the same conversation that this one quotes. */
  reply_to?: string;
  /** Post in the thread of this message. */
  parent_id?: string;
  /** Members mentioned. */
  mentions?: string[];
  /** Ids of files uploaded with `POST /v1/files`, at most 10 (the text may then be empty). */
  attachments?: string[];
}

/** Input of the ops that change a message: `message.edit`, `message.delete`, `message.pin`, `reaction.add`, `reaction.remove`. */
export interface ChangeMessageData {
  /** The message. */
  message_id: string;
  /** New text (`message.edit`). */
  text?: string;
  /** Reaction kind, 1–32 characters without spaces (`reaction.add`, `reaction.remove`). */
  kind?: string;
  /** Pin (`true`, the default) or unpin (`message.pin`). */
  pinned?: boolean;
}

/** Input of `typing.start` and `typing.stop`. */
export interface TypingData {
  /** The conversation. */
  conversation_id: string;
}

/** Input of `conversation.history`. */
export interface HistoryData {
  /** The conversation. */
  conversation_id: string;
  /** Messages with a smaller seq (default: the newest). */
  before_seq?: number;
  /** The first `limit` messages with a greater seq (wins over `before_seq`). */
  after_seq?: number;
  /** Messages around this seq: about half up to it, the rest after (wins over the others). */
  around_seq?: number;
  /** Only the replies in the thread of this root message (the root itself is not included). */
  parent_id?: string;
  /** Page size, 1 to 200 (default 50). */
  limit?: number;
}

/** Input of `conversation.list`. */
export interface ListData {
  /** Which conversations (default `all`: everything not archived). */
  filter?: InboxFilter;
  /** Matches group names and other members' ids and names. */
  q?: string;
  /** `next_cursor` of the previous page. */
  cursor?: string;
  /** Page size, 1 to 100 (default 30). */
  limit?: number;
}

/** Input of `conversation.settings`: absent fields are kept; `muted_until: null` unmutes. */
export interface SettingsData {
  /** The conversation. */
  conversation_id: string;
  /** Mute until this RFC 3339 time; `null` unmutes. */
  muted_until?: string | null;
  /** Archive or unarchive. */
  archived?: boolean;
  /** Pin or unpin. */
  pinned?: boolean;
}

/** Input of `member.add`. */
export interface AddMembersData {
  /** The group. */
  conversation_id: string;
  /** The users to add (at least one; members already in are skipped). */
  user_ids: string[];
}

/** Input of `member.remove` and `conversation.transfer`. */
export interface MemberRefData {
  /** The group. */
  conversation_id: string;
  /** The member concerned. */
  user_id: string;
}

/** A role `member.role` can give: `owner` passes with `conversation.transfer`. */
export type AssignableRole = 'admin' | 'member';

/** Input of `member.role`. */
export interface SetRoleData {
  /** The group. */
  conversation_id: string;
  /** The member. */
  user_id: string;
  /** The new role. */
  role: AssignableRole;
}

/** Input of `message.search`. */
export interface MessageSearchData {
  /** Words that must all appear, 1–200 characters. */
  q: string;
  /** Only this conversation. */
  conversation_id?: string;
  /** At most this many, 1–100 (default 20). */
  limit?: number;
}
