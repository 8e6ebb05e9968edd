/**
 * The events of a {@link CallRoom}.
 *
 * @packageDocumentation
 */

import type {
  LocalParticipant,
  LocalTrackPublication,
  Participant,
  RemoteParticipant,
  RemoteTrackPublication,
  TrackPublication,
} from './participants.js';
// CallRoom: for the {@link} tags.
import type { CallRoom } from './room.js';
import type { CaasError } from '../core/errors.js';

/** Names of the events a {@link CallRoom} emits. */
export enum CallEvent {
  /** Someone joined the room after this client. */
  ParticipantJoined = 'participantJoined',
  /** Someone left the room (their tracks are unsubscribed and unpublished first). */
  ParticipantLeft = 'participantLeft',
  /** A remote participant published a track (its media follows with {@link CallEvent.TrackSubscribed}). */
  TrackPublished = 'trackPublished',
  /** A remote participant unpublished a track. */
  TrackUnpublished = 'trackUnpublished',
  /** The media of a remote track arrived: attach the `MediaStreamTrack` to a `<video>` or `<audio>`. */
  TrackSubscribed = 'trackSubscribed',
  /** The media of a remote track went (unpublished, renegotiated away, or its participant left). */
  TrackUnsubscribed = 'trackUnsubscribed',
  /** A track was muted, local or remote. */
  TrackMuted = 'trackMuted',
  /** A track was unmuted, local or remote. */
  TrackUnmuted = 'trackUnmuted',
  /** The set of active speakers changed (loudest first). */
  ActiveSpeakersChanged = 'activeSpeakersChanged',
  /** This client published a track (the server answered the offer carrying it). */
  LocalTrackPublished = 'localTrackPublished',
  /** This client unpublished a track (e.g. stopped sharing the screen). */
  LocalTrackUnpublished = 'localTrackUnpublished',
  /** A local track's `MediaStreamTrack` was replaced (another device). */
  LocalTrackReplaced = 'localTrackReplaced',
  /** The peer connection's state changed (`connecting`, `connected`, `disconnected`, `failed`, …). */
  ConnectionStateChanged = 'connectionStateChanged',
  /**
   * A data message from another participant arrived ({@link CallRoom.sendData}):
   * text with its sender, binary as it was sent (the sender is unknown: put
   * your own id inside).
   */
  DataReceived = 'dataReceived',
  /** The data channel opened (messages may be sent from now on) or closed. */
  DataChannelStateChanged = 'dataChannelStateChanged',
  /**
   * The room is joining again on its own (state `reconnecting`): the node
   * holding it died (`node_lost`), or the real-time connection dropped and
   * the server dropped this participant with it (`connection_lost`). The
   * peer connection is closed and remote media unsubscribed; the local
   * tracks are kept and published again. {@link CallEvent.Reconnected}
   * follows, or {@link CallEvent.Disconnected} with `reconnect_failed`.
   */
  Reconnecting = 'reconnecting',
  /**
   * The room is back (state `joined`): joined again (a new participant id),
   * a new peer connection, the same local tracks published. Remote
   * participants that went meanwhile have left ({@link CallEvent.ParticipantLeft});
   * their media comes back with {@link CallEvent.TrackSubscribed}.
   */
  Reconnected = 'reconnected',
  /** This client is out of the room: it left, its connection was lost, its media failed, or rejoining failed. */
  Disconnected = 'disconnected',
  /** Something failed in the background (e.g. applying a server offer); the call goes on. */
  Error = 'error',
}

/** Why a {@link CallRoom} ended (payload of {@link CallEvent.Disconnected}). */
export type CallDisconnectReason =
  /** {@link CallRoom.leave} was called. */
  | 'left'
  /**
   * The real-time connection closed for good (the client stopped reconnecting
   * or was disconnected), or closed with rejoining turned off
   * (`reconnect: false`).
   */
  | 'connection_lost'
  /** Joining again after a lost node or connection failed (attempts or time ran out, or the server refused). */
  | 'reconnect_failed'
  /** The media connection failed (ICE or DTLS). */
  | 'media_failed'
  /** The server removed this participant (e.g. its media timed out). */
  | 'removed';

/** Payload of {@link CallEvent.Disconnected}. */
export interface CallDisconnectedEvent {
  /** Why the call ended. */
  reason: CallDisconnectReason;
  /** The error behind it, if any. */
  error?: CaasError;
}

/** Why a {@link CallRoom} is joining again (payload of {@link CallEvent.Reconnecting}). */
export type CallReconnectReason =
  /** The node whose SFU held the room died (`call.participant_left` with reason `node_lost`). */
  | 'node_lost'
  /** The real-time connection dropped; the room joins again once the client reconnects. */
  | 'connection_lost';

/** Payload of {@link CallEvent.Reconnecting}. */
export interface CallReconnectingEvent {
  /** Why the room is joining again. */
  reason: CallReconnectReason;
}

/** Listener arguments of every event of {@link CallRoom}. */
export type CallRoomEventMap = {
  [CallEvent.ParticipantJoined]: [participant: RemoteParticipant];
  [CallEvent.ParticipantLeft]: [participant: RemoteParticipant];
  [CallEvent.TrackPublished]: [publication: RemoteTrackPublication, participant: RemoteParticipant];
  [CallEvent.TrackUnpublished]: [publication: RemoteTrackPublication, participant: RemoteParticipant];
  [CallEvent.TrackSubscribed]: [track: MediaStreamTrack, publication: RemoteTrackPublication, participant: RemoteParticipant];
  [CallEvent.TrackUnsubscribed]: [track: MediaStreamTrack, publication: RemoteTrackPublication, participant: RemoteParticipant];
  [CallEvent.TrackMuted]: [publication: TrackPublication, participant: Participant];
  [CallEvent.TrackUnmuted]: [publication: TrackPublication, participant: Participant];
  [CallEvent.ActiveSpeakersChanged]: [speakers: Participant[]];
  [CallEvent.LocalTrackPublished]: [publication: LocalTrackPublication, participant: LocalParticipant];
  [CallEvent.LocalTrackUnpublished]: [publication: LocalTrackPublication, participant: LocalParticipant];
  [CallEvent.LocalTrackReplaced]: [publication: LocalTrackPublication, participant: LocalParticipant];
  [CallEvent.ConnectionStateChanged]: [state: RTCPeerConnectionState];
  [CallEvent.DataReceived]: [data: string | ArrayBuffer, participant?: RemoteParticipant | undefined];
  [CallEvent.DataChannelStateChanged]: [state: RTCDataChannelState];
  [CallEvent.Reconnecting]: [event: CallReconnectingEvent];
  [CallEvent.Reconnected]: [];
  [CallEvent.Disconnected]: [event: CallDisconnectedEvent];
  [CallEvent.Error]: [error: CaasError];
};
