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

/**
 * What a message carries of an attached file (`Message.attachments`). Fetch
 * the bytes with `client.files.url(id)`, an image's thumbnail with
 * `client.files.url(id, { thumbnail: true })`.
 */
export interface Attachment {
  /** File id. */
  id: string;
  /** File name given at upload. */
  name: string;
  /** Content type, sniffed by the server from the bytes (e.g. `image/png`). */
  content_type: string;
  /** Size in bytes. */
  size: number;
  /** Image width in pixels (PNG and JPEG images). */
  width?: number;
  /** Image height in pixels (PNG and JPEG images). */
  height?: number;
}

/** A stored file's metadata: the reply of `POST /v1/files` and `GET /v1/files/{id}/meta`. */
export interface FileMeta {
  /** File id: pass it in `attachments` of `message.send`. */
  id: string;
  /** Who uploaded it. */
  uploader_id: string;
  /** File name given at upload (`file` when none was given). */
  name: string;
  /** Content type, sniffed by the server from the bytes (the client's claim is ignored). */
  content_type: string;
  /** Size in bytes. */
  size: number;
  /** SHA-256 of the bytes, hex (also the download's `ETag`). */
  sha256: string;
  /** Image width in pixels (PNG and JPEG), else `null`. */
  width: number | null;
  /** Image height in pixels (PNG and JPEG), else `null`. */
  height: number | null;
  /** A PNG thumbnail (at most 256 px) exists at `/v1/files/{id}/thumbnail`. */
  has_thumbnail: boolean;
  /** Visible to every user of the app; otherwise to its uploader and the members of conversations it was attached to. */
  public: boolean;
  /** RFC 3339. */
  created_at: string;
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

/** Data of `contact.requested`, sent alike to both users: `from` asked `to` to become contacts. */
export interface ContactRequestedEvent {
  /** Who asked. */
  from: string;
  /** Who was asked. */
  to: string;
}

/**
 * Data of `contact.accepted`, `contact.declined`, `contact.cancelled` and
 * `contact.removed`: the other user of the recipient.
 *
 * - `contact.accepted` (both users): the two are now contacts; `user_id` is the other one.
 * - `contact.declined` (the requester): `user_id` declined the request.
 * - `contact.cancelled` (the user who was asked): `user_id` withdrew the request.
 * - `contact.removed` (both users): the contact ended; `user_id` is the other one.
 */
export interface ContactEvent {
  /** The other user. */
  user_id: string;
}

/** Data of `user.followed`, sent to the followed user (unfollowing publishes nothing). */
export interface UserFollowedEvent {
  /** Who follows now. */
  follower: string;
  /** Who is followed (the recipient). */
  followee: string;
}

/** Presence status as others see it (`invisible` users appear `offline`). */
export type PresenceStatus = 'online' | 'away' | 'offline';

/** The status a user may choose with `presence.set`. */
export type ChosenPresenceStatus = 'online' | 'away' | 'invisible';

/** Data of `presence` (ephemeral: no cursor, not replayed), and one entry of `presence.subscribe`'s reply. */
export interface PresenceEvent {
  /** The user. */
  user_id: string;
  /** Their status. */
  status: PresenceStatus;
  /** When they were last connected (RFC 3339), if known and they are offline. */
  last_seen: string | null;
}

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

/** The empty reply of ops that return nothing. */
export type EmptyReply = Record<string, never>;

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

/** Input of the relation ops (`contact.request`, `user.follow`, …): the other user. */
export interface UserRefData {
  /** The other user. */
  user_id: string;
}

/**
 * The caller's social graph: the reply of `contact.list` and of every relation
 * op (`contact.request`, `user.block`, …), as it is after the op.
 */
export interface SocialGraph {
  /** Mutual contacts, sorted by id. */
  contacts: string[];
  /** Contact requests others sent the caller, waiting for an answer, oldest first. */
  incoming: string[];
  /** The caller's contact requests, waiting for an answer, oldest first. */
  outgoing: string[];
  /** Whom the caller follows, sorted by id. */
  following: string[];
  /** Who follows the caller, sorted by id. */
  followers: string[];
  /** Whom the caller blocked, sorted by id. */
  blocked: string[];
  /** Whom the caller muted, sorted by id. */
  muted: string[];
}

/** A user found by `user.search`. */
export interface FoundUser {
  /** Id. */
  id: string;
  /** Display name. */
  name: string | null;
  /** Avatar picture URL. */
  avatar_url: string | null;
  /** RFC 3339. */
  created_at: string;
}

/** Input of `user.search`. */
export interface UserSearchData {
  /** Part of a user's id or name, 1–100 characters (case-insensitive). */
  q: string;
  /** At most this many, 1–50 (default 20). */
  limit?: number;
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

// ---- Calls (docs/calls.md) ----

/** What a call track carries. */
export type TrackSource = 'microphone' | 'camera' | 'screen' | 'screen_audio';

/** The media kind of a call track. */
export type TrackKind = 'audio' | 'video';

/** A track published in a call, as the server describes it. */
export interface CallTrackInfo {
  /** Server-assigned id, e.g. `t-3-1`. */
  track_id: string;
  /** `audio` or `video`. */
  kind: TrackKind;
  /** What it carries. */
  source: TrackSource;
  /** Muted by its publisher (the server does not forward it). */
  muted: boolean;
  /** Simulcast layers, 1–3 (1 without simulcast). */
  simulcast: number;
}

/** A participant of a call, as the server describes it. */
export interface CallParticipantInfo {
  /** Server-assigned id of this connection in the room, e.g. `p-3`. */
  participant_id: string;
  /** The end user. */
  user_id: string;
  /** Its published tracks. */
  tracks: CallTrackInfo[];
}

/** A STUN or TURN server, in the shape of `RTCIceServer`. */
export interface CallIceServer {
  /** `stun:…`, `turn:…` or `turns:…` URLs. */
  urls: string | string[];
  /** TURN username. */
  username?: string;
  /** TURN credential. */
  credential?: string;
}

/** Reply of `call.join`. */
export interface CallJoinReply {
  /** The caller's participant id in the room. */
  participant_id: string;
  /** ICE servers for the peer connection. */
  ice_servers: CallIceServer[];
  /** The others already in the room. */
  participants: CallParticipantInfo[];
}

/** Input of ops that name only a room: `call.join`, `call.leave`. */
export interface CallRoomData {
  /** 1–128 characters of `[A-Za-z0-9._:-]`; a conversation id restricts the room to its members. */
  room_id: string;
}

/** Input of the client's `call.offer`. */
export interface CallOfferData {
  /** The room. */
  room_id: string;
  /** The client's SDP offer. */
  sdp: string;
  /** Source of each sending transceiver, by `mid`. */
  sources: Record<string, TrackSource>;
}

/** Reply of the client's `call.offer`. */
export interface CallOfferReply {
  /** The server's SDP answer. */
  sdp: string;
}

/** Input of `call.answer`. */
export interface CallAnswerData {
  /** The room. */
  room_id: string;
  /** The `offer_id` of the server offer answered. */
  offer_id: string;
  /** The client's SDP answer. */
  sdp: string;
}

/** An ICE candidate, in the shape of `RTCIceCandidateInit`. */
export interface CallCandidateInit {
  /** The `candidate:` line (empty at the end of candidates). */
  candidate: string;
  /** The media section's `mid`. */
  sdpMid?: string | null;
  /** The media section's index. */
  sdpMLineIndex?: number | null;
  /** The ICE username fragment. */
  usernameFragment?: string | null;
}

/** Input of `call.candidate`. */
export interface CallCandidateData {
  /** The room. */
  room_id: string;
  /** The local candidate. */
  candidate: CallCandidateInit;
}

/** Input of `call.mute`. */
export interface CallMuteData {
  /** The room. */
  room_id: string;
  /** One of the caller's tracks. */
  track_id: string;
  /** Muted or not. */
  muted: boolean;
}

/** Input of `call.subscribe`. */
export interface CallSubscribeData {
  /** The room. */
  room_id: string;
  /** Another participant's track. */
  track_id: string;
  /** Forward it (`true`) or stop forwarding it (`false`). */
  enabled: boolean;
  /** The largest simulcast layer not taller than this many pixels. */
  max_height?: number;
}

/** The remote track a receiving transceiver carries (in {@link CallOfferEvent.tracks}). */
export interface CallTrackRef {
  /** Its publisher. */
  participant_id: string;
  /** The track. */
  track_id: string;
}

/** Pushed `call.offer`: the server renegotiates. */
export interface CallOfferEvent {
  /** The room. */
  room_id: string;
  /** To echo in `call.answer`. */
  offer_id: string;
  /** The server's SDP offer. */
  sdp: string;
  /** The remote track of each receiving transceiver, by `mid`. */
  tracks?: Record<string, CallTrackRef>;
}

/** Pushed `call.participant_joined`. */
export interface CallParticipantJoinedEvent {
  /** The room. */
  room_id: string;
  /** Who joined, with the tracks it already publishes. */
  participant: CallParticipantInfo;
}

/** Pushed `call.participant_left`. */
export interface CallParticipantLeftEvent {
  /** The room. */
  room_id: string;
  /** Who left. */
  participant_id: string;
}

/** Pushed `call.track_published`. */
export interface CallTrackPublishedEvent {
  /** The room. */
  room_id: string;
  /** The publisher. */
  participant_id: string;
  /** The new track. */
  track: CallTrackInfo;
}

/** Pushed `call.track_unpublished`. */
export interface CallTrackUnpublishedEvent {
  /** The room. */
  room_id: string;
  /** The publisher. */
  participant_id: string;
  /** The track that went. */
  track_id: string;
}

/** Pushed `call.track_muted`. */
export interface CallTrackMutedEvent {
  /** The room. */
  room_id: string;
  /** The publisher. */
  participant_id: string;
  /** The track. */
  track_id: string;
  /** Muted or unmuted. */
  muted: boolean;
}

/** One entry of {@link CallSpeakersEvent.speakers}. */
export interface CallSpeaker {
  /** Who speaks. */
  participant_id: string;
  /** Audio level 0–127 in -dBov (RFC 6464): 0 is the loudest. */
  level: number;
}

/** Pushed `call.speakers`: the set of active speakers changed. */
export interface CallSpeakersEvent {
  /** The room. */
  room_id: string;
  /** Loudest first. */
  speakers: CallSpeaker[];
}

/** The relation ops: each takes {@link UserRefData} and replies with the caller's {@link SocialGraph}. */
export type RelationOp =
  | 'contact.request'
  | 'contact.accept'
  | 'contact.decline'
  | 'contact.cancel'
  | 'contact.remove'
  | 'user.follow'
  | 'user.unfollow'
  | 'user.block'
  | 'user.unblock'
  | 'user.mute'
  | 'user.unmute';

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
  /** Changes the text of one's own message. */
  'message.edit': { data: ChangeMessageData; reply: { message: Message } };
  /** Deletes a message for everyone (its sender, or a group owner or admin). */
  'message.delete': { data: ChangeMessageData; reply: { message: Message } };
  /** Pins or unpins a message. */
  'message.pin': { data: ChangeMessageData; reply: { message: Message } };
  /** Adds the caller's reaction of a kind. */
  'reaction.add': { data: ChangeMessageData; reply: { message: Message } };
  /** Takes back the caller's reaction of a kind. */
  'reaction.remove': { data: ChangeMessageData; reply: { message: Message } };
  /** Tells the other members that the caller is typing. */
  'typing.start': { data: TypingData; reply: EmptyReply };
  /** Tells the other members that the caller stopped typing. */
  'typing.stop': { data: TypingData; reply: EmptyReply };
  /** Chooses the caller's presence status. */
  'presence.set': { data: { status: ChosenPresenceStatus }; reply: { status: ChosenPresenceStatus } };
  /** The status of users the caller may see (co-members and contacts); others are left out. */
  'presence.subscribe': { data: { user_ids: string[] }; reply: { presence: PresenceEvent[] } };
  /** Full-text search in the caller's conversations, newest first. */
  'message.search': { data: MessageSearchData; reply: { messages: Message[] } };
  /** Adds users to a group (owner, admin). */
  'member.add': { data: AddMembersData; reply: { conversation: Conversation } };
  /** Removes a member from a group (owner: anyone; admin: plain members). */
  'member.remove': { data: MemberRefData; reply: { conversation: Conversation } };
  /** Makes a member `admin` or `member` (owner). */
  'member.role': { data: SetRoleData; reply: { conversation: Conversation } };
  /** The caller leaves a group (an owner with others left must transfer first). */
  'conversation.leave': { data: { conversation_id: string }; reply: { conversation: Conversation } };
  /** Hands a group's ownership to a member; the old owner becomes `admin`. */
  'conversation.transfer': { data: MemberRefData; reply: { conversation: Conversation } };
  /** The caller's contacts, requests, follows, blocks and mutes. */
  'contact.list': { data: Record<string, never>; reply: SocialGraph };
  /** Users of the app by id or name. */
  'user.search': { data: UserSearchData; reply: { users: FoundUser[] } };
  /** Asks `user_id` to become contacts (accepts their request if they asked first). */
  'contact.request': { data: UserRefData; reply: SocialGraph };
  /** Accepts the pending contact request from `user_id`. */
  'contact.accept': { data: UserRefData; reply: SocialGraph };
  /** Declines the pending contact request from `user_id`. */
  'contact.decline': { data: UserRefData; reply: SocialGraph };
  /** Withdraws the caller's pending contact request to `user_id`. */
  'contact.cancel': { data: UserRefData; reply: SocialGraph };
  /** Ends the contact with `user_id` for both sides. */
  'contact.remove': { data: UserRefData; reply: SocialGraph };
  /** Follows `user_id` (one-way, no consent). */
  'user.follow': { data: UserRefData; reply: SocialGraph };
  /** Stops following `user_id`. */
  'user.unfollow': { data: UserRefData; reply: SocialGraph };
  /** Blocks `user_id`: ends contact, requests and follows both ways. */
  'user.block': { data: UserRefData; reply: SocialGraph };
  /** Unblocks `user_id`. */
  'user.unblock': { data: UserRefData; reply: SocialGraph };
  /** Records that the caller muted `user_id` (for the client to act on). */
  'user.mute': { data: UserRefData; reply: SocialGraph };
  /** Takes back a mute of `user_id`. */
  'user.unmute': { data: UserRefData; reply: SocialGraph };
  /** Joins a call room. */
  'call.join': { data: CallRoomData; reply: CallJoinReply };
  /** Offers what the client publishes; the reply is the server's answer. */
  'call.offer': { data: CallOfferData; reply: CallOfferReply };
  /** Answers a server `call.offer`. */
  'call.answer': { data: CallAnswerData; reply: EmptyReply };
  /** Trickles a local ICE candidate. */
  'call.candidate': { data: CallCandidateData; reply: EmptyReply };
  /** Mutes or unmutes one of the caller's tracks. */
  'call.mute': { data: CallMuteData; reply: EmptyReply };
  /** Turns another participant's track off or on, or picks its video size. */
  'call.subscribe': { data: CallSubscribeData; reply: EmptyReply };
  /** Leaves a call room. */
  'call.leave': { data: CallRoomData; reply: EmptyReply };
}

/** Name of a known op. */
export type OpName = keyof Ops;
