/**
 * A small typed event emitter and the events of {@link CaasClient}.
 *
 * @packageDocumentation
 */

// CallRoom: for the {@link} tags.
import type { CallRoom } from '../calls/room.js';
import type { CaasError } from '../core/errors.js';
import type { NotificationNewEvent } from '../notifications/notifications.js';
import type {
  CallOfferEvent,
  CallParticipantJoinedEvent,
  CallParticipantLeftEvent,
  CallSpeakersEvent,
  CallTrackMutedEvent,
  CallTrackPublishedEvent,
  CallTrackUnpublishedEvent,
} from '../calls/types.js';
import type { ContactEvent, ContactRequestedEvent, PresenceEvent, UserFollowedEvent } from '../chat/social-types.js';
import type {
  ConversationCreatedEvent,
  ConversationSettings,
  MemberAddedEvent,
  MemberRemovedEvent,
  MemberUpdatedEvent,
  MessageChangedEvent,
  MessageNewEvent,
  ReactionEvent,
  ReadReceipt,
  TypingEvent,
} from '../chat/types.js';
import type { PushFrame, SessionReady, User } from '../core/wire.js';

/**
 * Names of the events a {@link CaasClient} emits. Connection events are the
 * client's own; the others are server pushes, emitted under their wire name.
 * A push whose name is not listed here is emitted too, under its own name.
 */
export enum ClientEvent {
  /** A session is established (first connect or a successful reconnect). */
  Connected = 'connected',
  /** The client stopped: {@link CaasClient.disconnect}, a fatal error, or reconnection gave up. */
  Disconnected = 'disconnected',
  /** The socket closed unexpectedly; a reconnect attempt is scheduled. */
  Reconnecting = 'reconnecting',
  /** The first frame of a connection. */
  SessionReady = 'session.ready',
  /** A message was sent in a conversation the user belongs to. */
  MessageNew = 'message.new',
  /** The user was made a member of a new conversation. */
  ConversationCreated = 'conversation.created',
  /** A member's read position moved forward. */
  ReceiptRead = 'receipt.read',
  /** The user's settings of a conversation changed (possibly from another device). */
  ConversationSettings = 'conversation.settings',
  /** A message's text was edited. */
  MessageUpdated = 'message.updated',
  /** A message was deleted for everyone (it stays as a tombstone). */
  MessageDeleted = 'message.deleted',
  /** A message was pinned or unpinned. */
  MessagePinned = 'message.pinned',
  /** A member reacted to a message. */
  ReactionAdded = 'reaction.added',
  /** A member took a reaction back. */
  ReactionRemoved = 'reaction.removed',
  /** Members were added to a group (the new members receive it too). */
  MemberAdded = 'member.added',
  /** A member left or was removed from a group (the removed user receives it too). */
  MemberRemoved = 'member.removed',
  /** A member's role changed. */
  MemberUpdated = 'member.updated',
  /** A contact request was made: sent alike to the requester and the user asked (`{from, to}`). */
  ContactRequested = 'contact.requested',
  /** A contact request was accepted (or two requests crossed): both users are now contacts. */
  ContactAccepted = 'contact.accepted',
  /** The user asked declined the caller's contact request (sent to the requester). */
  ContactDeclined = 'contact.declined',
  /** The requester withdrew a contact request (sent to the user who was asked). */
  ContactCancelled = 'contact.cancelled',
  /** A contact ended (sent to both users). */
  ContactRemoved = 'contact.removed',
  /** Someone started following the user (unfollows, blocks and mutes are not announced). */
  UserFollowed = 'user.followed',
  /** Someone started or stopped typing (ephemeral). */
  Typing = 'typing',
  /** Someone's presence changed (ephemeral). */
  Presence = 'presence',
  /** The server renegotiates a call's media (handled by {@link CallRoom}). */
  CallOffer = 'call.offer',
  /** Someone joined a call the client is in (ephemeral). */
  CallParticipantJoined = 'call.participant_joined',
  /** Someone left a call the client is in (ephemeral). */
  CallParticipantLeft = 'call.participant_left',
  /** A participant of a call published a track (ephemeral). */
  CallTrackPublished = 'call.track_published',
  /** A participant of a call unpublished a track (ephemeral). */
  CallTrackUnpublished = 'call.track_unpublished',
  /** A participant of a call muted or unmuted a track (ephemeral). */
  CallTrackMuted = 'call.track_muted',
  /** The active speakers of a call changed (ephemeral). */
  CallSpeakers = 'call.speakers',
  /**
   * The user got a notification (a like, a comment, a follow, a mention…;
   * ephemeral: not replayed on resume, so refresh the unread count on
   * {@link ClientEvent.Connected}).
   */
  NotificationNew = 'notification.new',
}

/** Payload of {@link ClientEvent.Connected}. */
export interface ConnectedEvent {
  /** The connected user. */
  user: User;
  /** The `cursor` of `session.ready`. */
  cursor: string;
  /** `true` when this connection resumed an earlier one with a cursor. */
  resumed: boolean;
}

/** Payload of {@link ClientEvent.Reconnecting}. */
export interface ReconnectingEvent {
  /** 1 for the first attempt after a close. */
  attempt: number;
  /** Wait before this attempt, in milliseconds. */
  delayMs: number;
  /** Close code of the socket that closed (e.g. 4008 `slow_consumer`), when known. */
  closeCode?: number;
  /** Close reason of the socket that closed, when known. */
  closeReason?: string;
  /** Why the previous attempt failed, for attempts after the first. */
  error?: CaasError;
}

/** Payload of {@link ClientEvent.Disconnected}. */
export interface DisconnectedEvent {
  /** `client`: {@link CaasClient.disconnect} was called; `closed`: the socket closed and reconnection is off; `error`: a fatal error or reconnection gave up. */
  reason: 'client' | 'closed' | 'error';
  /** Close code of the last socket, when known. */
  closeCode?: number;
  /** Close reason of the last socket, when known. */
  closeReason?: string;
  /** The error that stopped the client, when `reason` is `error`. */
  error?: CaasError;
}

/**
 * Listener arguments of every event of {@link CaasClient}. Server pushes get
 * `(data, frame)`: the frame carries the event's `cursor`, if it has one.
 */
export interface ClientEventMap {
  [ClientEvent.Connected]: [event: ConnectedEvent];
  [ClientEvent.Disconnected]: [event: DisconnectedEvent];
  [ClientEvent.Reconnecting]: [event: ReconnectingEvent];
  [ClientEvent.SessionReady]: [data: SessionReady, frame: PushFrame];
  [ClientEvent.MessageNew]: [data: MessageNewEvent, frame: PushFrame];
  [ClientEvent.ConversationCreated]: [data: ConversationCreatedEvent, frame: PushFrame];
  [ClientEvent.ReceiptRead]: [data: ReadReceipt, frame: PushFrame];
  [ClientEvent.ConversationSettings]: [data: ConversationSettings, frame: PushFrame];
  [ClientEvent.MessageUpdated]: [data: MessageChangedEvent, frame: PushFrame];
  [ClientEvent.MessageDeleted]: [data: MessageChangedEvent, frame: PushFrame];
  [ClientEvent.MessagePinned]: [data: MessageChangedEvent, frame: PushFrame];
  [ClientEvent.ReactionAdded]: [data: ReactionEvent, frame: PushFrame];
  [ClientEvent.ReactionRemoved]: [data: ReactionEvent, frame: PushFrame];
  [ClientEvent.MemberAdded]: [data: MemberAddedEvent, frame: PushFrame];
  [ClientEvent.MemberRemoved]: [data: MemberRemovedEvent, frame: PushFrame];
  [ClientEvent.MemberUpdated]: [data: MemberUpdatedEvent, frame: PushFrame];
  [ClientEvent.ContactRequested]: [data: ContactRequestedEvent, frame: PushFrame];
  [ClientEvent.ContactAccepted]: [data: ContactEvent, frame: PushFrame];
  [ClientEvent.ContactDeclined]: [data: ContactEvent, frame: PushFrame];
  [ClientEvent.ContactCancelled]: [data: ContactEvent, frame: PushFrame];
  [ClientEvent.ContactRemoved]: [data: ContactEvent, frame: PushFrame];
  [ClientEvent.UserFollowed]: [data: UserFollowedEvent, frame: PushFrame];
  [ClientEvent.Typing]: [data: TypingEvent, frame: PushFrame];
  [ClientEvent.Presence]: [data: PresenceEvent, frame: PushFrame];
  [ClientEvent.CallOffer]: [data: CallOfferEvent, frame: PushFrame];
  [ClientEvent.CallParticipantJoined]: [data: CallParticipantJoinedEvent, frame: PushFrame];
  [ClientEvent.CallParticipantLeft]: [data: CallParticipantLeftEvent, frame: PushFrame];
  [ClientEvent.CallTrackPublished]: [data: CallTrackPublishedEvent, frame: PushFrame];
  [ClientEvent.CallTrackUnpublished]: [data: CallTrackUnpublishedEvent, frame: PushFrame];
  [ClientEvent.CallTrackMuted]: [data: CallTrackMutedEvent, frame: PushFrame];
  [ClientEvent.CallSpeakers]: [data: CallSpeakersEvent, frame: PushFrame];
  [ClientEvent.NotificationNew]: [data: NotificationNewEvent, frame: PushFrame];
  /** Any other pushed event, by its name. */
  [event: string]: unknown[];
}

/** A map from event names to listener argument tuples. */
export type EventMap = { [event: string]: unknown[] };

/** A listener of event `K` of map `M`. */
export type Listener<M extends EventMap, K extends keyof M> = (...args: M[K]) => void;

/**
 * A minimal typed event emitter without dependencies.
 *
 * A listener that throws does not stop the other listeners nor the emitter's
 * caller: the error goes to {@link TypedEmitter.onListenerError} (by default
 * `console.error`).
 */
export class TypedEmitter<M extends EventMap> {
  /** Per event, the registrations in order: the function called and the listener it stands for. */
  private readonly registry = new Map<string, Array<{ call: unknown; listener: unknown }>>();

  /** Receives errors thrown by listeners. */
  onListenerError: (error: unknown, event: string) => void = (error, event) => {
    console.error(`@caas/sdk: a listener of "${event}" threw`, error);
  };

  /**
   * Adds a listener.
   *
   * @returns a function that removes it.
   */
  on<K extends keyof M & string>(event: K, listener: Listener<M, K>): () => void {
    this.add(event, listener, listener);
    return () => this.off(event, listener);
  }

  /**
   * Adds a listener called at most once.
   *
   * @returns a function that removes it.
   */
  once<K extends keyof M & string>(event: K, listener: Listener<M, K>): () => void {
    const call = (...args: M[K]): void => {
      this.off(event, listener);
      listener(...args);
    };
    this.add(event, call, listener);
    return () => this.off(event, listener);
  }

  /** Removes a listener added with {@link TypedEmitter.on} or {@link TypedEmitter.once} (its first registration). */
  off<K extends keyof M & string>(event: K, listener: Listener<M, K>): void {
    const list = this.registry.get(event);
    if (!list) return;
    const i = list.findIndex((r) => r.listener === listener);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.registry.delete(event);
  }

  /** Removes every listener of `event`, or of every event when none is given. */
  removeAllListeners(event?: keyof M & string): void {
    if (event === undefined) this.registry.clear();
    else this.registry.delete(event);
  }

  /** How many listeners `event` has. */
  listenerCount(event: keyof M & string): number {
    return this.registry.get(event)?.length ?? 0;
  }

  /**
   * Calls the listeners of `event` in the order they were added.
   *
   * @returns whether `event` had listeners.
   */
  emit<K extends keyof M & string>(event: K, ...args: M[K]): boolean {
    const list = this.registry.get(event);
    if (!list || list.length === 0) return false;
    for (const { call } of [...list]) {
      try {
        (call as Listener<M, K>)(...args);
      } catch (error) {
        this.onListenerError(error, event);
      }
    }
    return true;
  }

  private add(event: string, call: unknown, listener: unknown): void {
    const list = this.registry.get(event);
    if (list) list.push({ call, listener });
    else this.registry.set(event, [{ call, listener }]);
  }
}
