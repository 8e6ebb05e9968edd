/**
 * The WebSocket ops this SDK knows ({@link Ops}), with their input and reply
 * types, which are wire types of the CAAS protocol (see docs/protocol.md of the
 * server): the shared ones in core/wire.ts, the others beside their feature
 * (chat/types.ts, chat/social-types.ts, calls/types.ts, files/types.ts).
 *
 * @packageDocumentation
 */

import type {
  CallAnswerData,
  CallCandidateData,
  CallJoinReply,
  CallMuteData,
  CallOfferData,
  CallOfferReply,
  CallRoomData,
  CallSubscribeData,
} from '../calls/types.js';
import type {
  ChosenPresenceStatus,
  FoundUser,
  PresenceEvent,
  SocialGraph,
  UserRefData,
  UserSearchData,
} from '../chat/social-types.js';
import type {
  AddMembersData,
  ChangeMessageData,
  Conversation,
  ConversationSettings,
  CreateConversationData,
  HistoryData,
  InboxPage,
  ListData,
  MemberRefData,
  Message,
  MessageSearchData,
  ReadResult,
  SendMessageData,
  SetRoleData,
  SettingsData,
  TypingData,
} from '../chat/types.js';
import type { EmptyReply } from '../core/wire.js';

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
