/**
 * Wire types of the social graph and presence: contacts, follows, blocks and
 * mutes, user search, presence statuses and their events.
 *
 * @packageDocumentation
 */

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
