/**
 * Wire types of calls (docs/calls.md of the server): tracks, participants, ICE
 * servers, the inputs and replies of the `call.*` ops and the events the server
 * pushes.
 *
 * @packageDocumentation
 */

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
  /** In a cluster: the id (16 hex digits) of the node whose SFU holds the room. */
  node?: string;
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
  /**
   * When it is the receiving participant itself: `disconnected` (its media
   * stopped or never connected) or `node_lost` (the node holding the room
   * died: join again, and the room is made anew on a live node).
   */
  reason?: 'disconnected' | 'node_lost';
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
