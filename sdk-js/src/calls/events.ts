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
  /** This client is out of the room: it left, its connection was lost, or its media failed. */
  Disconnected = 'disconnected',
  /** Something failed in the background (e.g. applying a server offer); the call goes on. */
  Error = 'error',
}

/** Why a {@link CallRoom} ended (payload of {@link CallEvent.Disconnected}). */
export type CallDisconnectReason =
  /** {@link CallRoom.leave} was called. */
  | 'left'
  /** The real-time connection closed: the server removes a closed connection from its rooms. */
  | 'connection_lost'
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
  [CallEvent.Disconnected]: [event: CallDisconnectedEvent];
  [CallEvent.Error]: [error: CaasError];
};
