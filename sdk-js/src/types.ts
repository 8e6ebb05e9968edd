/**
 * Wire types of the CAAS protocol, as the server sends them (snake_case keys,
 * RFC 3339 timestamps as strings). See docs/protocol.md of the server.
 *
 * @packageDocumentation
 */

/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** An end user of the client app, as `session.ready` and `GET /v1/me` show it. */
export interface User {
  /** The id the client app gave this user. */
  id: string;
  /** Display name. */
  name: string | null;
  /** Avatar picture URL. */
  avatar_url: string | null;
  /** Free-form JSON object shared by the client app. */
  metadata: JsonObject;
  /** RFC 3339. */
  created_at: string;
  /** RFC 3339. */
  updated_at: string;
}

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
  /** RFC 3339. */
  created_at: string;
}

/** Preview of a conversation's newest message, in the chat list. */
export interface LastMessage {
  /** Id. */
  id: string;
  /** Seq. */
  seq: number;
  /** Sender. */
  sender_id: string;
  /** Text (may be empty for payload-only messages). */
  text: string;
  /** RFC 3339. */
  created_at: string;
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

/** Data of `session.ready`, the first frame of every connection. */
export interface SessionReady {
  /** The connected user. */
  user: User;
  /**
   * Without a resume cursor: the position of the event stream now. With one:
   * that same cursor (missed events follow, oldest first).
   */
  cursor: string;
}

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

/** Data of `typing` (ephemeral: no cursor, not replayed). The shape is the server's. */
export type TypingEvent = JsonObject;

/** Data of `presence` (ephemeral: no cursor, not replayed). The shape is the server's. */
export type PresenceEvent = JsonObject;

/** A server push frame as received. */
export interface PushFrame {
  /** Event name, e.g. `message.new`. */
  event: string;
  /** Event data. */
  data: JsonValue;
  /** Present on persistent events: their position in the user's event stream. */
  cursor?: string;
}

/** `{"error": {code, message}}`: the error shape of REST bodies and WebSocket replies. */
export interface ErrorDetail {
  /** snake_case reason code, e.g. `forbidden`. */
  code: string;
  /** What went wrong, for a person. */
  message: string;
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
}

/** Input of `conversation.history`. */
export interface HistoryData {
  /** The conversation. */
  conversation_id: string;
  /** Messages with a smaller seq (default: the newest). */
  before_seq?: number;
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

/**
 * The WebSocket ops this SDK knows, with their input and reply data. Other op
 * names can still be sent with {@link CaasClient.request}; their reply is `unknown`.
 */
export interface Ops {
  /** Creates a conversation (returns the existing direct one for a pair). */
  'conversation.create': { data: CreateConversationData; reply: { conversation: Conversation } };
  /** One conversation the caller belongs to. */
  'conversation.get': { data: { conversation_id: string }; reply: { conversation: Conversation } };
  /** A page of messages, oldest first. */
  'conversation.history': { data: HistoryData; reply: { messages: Message[] } };
  /** The chat list, most recent activity first. */
  'conversation.list': { data: ListData; reply: InboxPage };
  /** Changes the caller's mute, archive and pin settings of a conversation. */
  'conversation.settings': { data: SettingsData; reply: ConversationSettings };
  /** Sends a message; the reply comes once it is stored. */
  'message.send': { data: SendMessageData; reply: { message: Message } };
  /** Marks messages up to `seq` read. */
  'message.read': { data: { conversation_id: string; seq: number }; reply: ReadResult };
}

/** Name of a known op. */
export type OpName = keyof Ops;
