/**
 * {@link CallRoster}: the other participants of a call, their tracks, which
 * received `MediaStreamTrack` belongs to which of their tracks, and the active
 * speakers — kept up to date from the server's events and offers.
 *
 * @packageDocumentation
 */

import { asCallError, type RoomCore } from './core.js';
import { CallEvent } from './events.js';
import { speakerLevel } from './media.js';
import { RemoteParticipant, RemotePub, type Participant, type RemoteControls } from './participants.js';
import type {
  CallParticipantInfo,
  CallSpeakersEvent,
  CallSubscribeData,
  CallTrackInfo,
  CallTrackRef,
} from './types.js';

const key = (participantId: string, trackId: string): string => `${participantId}\u0000${trackId}`;

/**
 * The remote side of a room. Events about the local participant are not its
 * business (the room routes them to its publisher); it emits the room's
 * participant, track and speaker events.
 */
export class CallRoster {
  /** The other participants, by participant id, in the order they came. */
  readonly remotes = new Map<string, RemoteParticipant>();
  /** The active speakers, loudest first (may include the local participant). */
  speakers: Participant[] = [];
  /** The remote track of each receiving mid, from the latest server offer. */
  private mids = new Map<string, CallTrackRef>();
  /** What remote participants ask of the room. */
  private readonly controls: RemoteControls = {
    subscribe: (pub, enabled, maxHeight) => this.subscribe(pub, enabled, maxHeight),
  };

  /**
   * @param room - the room.
   * @param present - the participants already in the room (from `call.join`), added without events.
   */
  constructor(
    private readonly room: RoomCore,
    present: CallParticipantInfo[],
  ) {
    for (const info of present) this.add(info);
  }

  /** A server offer was applied: `mids` maps each receiving mid to the remote track it carries. */
  setMids(mids: Map<string, CallTrackRef>): void {
    this.mids = mids;
    this.reconcile();
  }

  /** `call.participant_joined` (of someone else). */
  participantJoined(info: CallParticipantInfo): void {
    const known = this.remotes.get(info.participant_id);
    if (known) {
      for (const track of info.tracks) this.trackPublished(info.participant_id, track);
      return;
    }
    const participant = this.add(info);
    this.room.emit(CallEvent.ParticipantJoined, participant);
    for (const pub of participant.pubs.values()) this.room.emit(CallEvent.TrackPublished, pub, participant);
    this.reconcile();
  }

  /** `call.participant_left` (of someone else): its tracks are unsubscribed and unpublished first. */
  participantLeft(participantId: string): void {
    const participant = this.remotes.get(participantId);
    if (!participant) return;
    for (const pub of [...participant.pubs.values()]) {
      this.detach(pub, participant);
      participant.pubs.delete(pub.trackId);
      this.room.emit(CallEvent.TrackUnpublished, pub, participant);
    }
    this.remotes.delete(participantId);
    if (this.speakers.includes(participant)) {
      this.speakers = this.speakers.filter((p) => p !== participant);
      this.room.emit(CallEvent.ActiveSpeakersChanged, [...this.speakers]);
    }
    this.room.emit(CallEvent.ParticipantLeft, participant);
  }

  /** `call.track_published` (of someone else). */
  trackPublished(participantId: string, info: CallTrackInfo): void {
    const participant = this.remotes.get(participantId);
    if (!participant) return;
    const known = participant.pubs.get(info.track_id);
    if (known) {
      known.simulcast = info.simulcast;
      if (known.muted !== info.muted) this.trackMuted(participantId, info.track_id, info.muted);
      return;
    }
    const pub = new RemotePub(info);
    participant.pubs.set(info.track_id, pub);
    this.room.emit(CallEvent.TrackPublished, pub, participant);
    this.reconcile();
  }

  /** `call.track_unpublished` (of someone else). */
  trackUnpublished(participantId: string, trackId: string): void {
    const participant = this.remotes.get(participantId);
    const pub = participant?.pubs.get(trackId);
    if (!participant || !pub) return;
    this.detach(pub, participant);
    participant.pubs.delete(trackId);
    this.room.emit(CallEvent.TrackUnpublished, pub, participant);
  }

  /** `call.track_muted` (of someone else; the local participant's own state is already known). */
  trackMuted(participantId: string, trackId: string, muted: boolean): void {
    const participant = this.remotes.get(participantId);
    const pub = participant?.pubs.get(trackId);
    if (!participant || !pub || pub.muted === muted) return;
    pub.muted = muted;
    this.room.emit(muted ? CallEvent.TrackMuted : CallEvent.TrackUnmuted, pub, participant);
  }

  /** `call.speakers`: sets everyone's speaking state and level, the local participant's too. */
  speakersChanged(event: CallSpeakersEvent): void {
    const levels = new Map((event.speakers ?? []).map((s) => [s.participant_id, s.level]));
    const everyone: Participant[] = [this.room.localParticipant, ...this.remotes.values()];
    for (const p of everyone) {
      const level = levels.get(p.participantId);
      p.setSpeaking(level !== undefined, level === undefined ? 0 : speakerLevel(level));
    }
    const byId = new Map(everyone.map((p) => [p.participantId, p]));
    this.speakers = (event.speakers ?? []).flatMap((s) => byId.get(s.participant_id) ?? []);
    this.room.emit(CallEvent.ActiveSpeakersChanged, [...this.speakers]);
  }

  /**
   * The peer connection went (the room joins again): every received track is
   * unsubscribed and nobody speaks; the participants stay until the new
   * `call.join` says who is still there ({@link CallRoster.rejoined}).
   */
  pause(): void {
    this.mids = new Map();
    for (const participant of this.remotes.values()) {
      for (const pub of participant.pubs.values()) this.detach(pub, participant);
    }
    for (const p of [this.room.localParticipant, ...this.remotes.values()]) p.setSpeaking(false, 0);
    if (this.speakers.length > 0) {
      this.speakers = [];
      this.room.emit(CallEvent.ActiveSpeakersChanged, []);
    }
  }

  /**
   * The room joined again and `present` are the others in it now: those not
   * among them left, new ones joined, and the tracks of those still there
   * are brought up to date. Participant ids are those of the SFU holding the
   * room: when the room was made anew on another node (`sameNode` false),
   * every participant known before left, whatever its id.
   */
  rejoined(present: CallParticipantInfo[], sameNode: boolean): void {
    const still = new Map(sameNode ? present.map((p) => [p.participant_id, p.user_id]) : []);
    for (const [id, participant] of [...this.remotes]) {
      if (still.get(id) !== participant.userId) this.participantLeft(id);
    }
    for (const info of present) {
      const known = this.remotes.get(info.participant_id);
      if (!known) {
        this.participantJoined(info);
        continue;
      }
      const tracks = new Set(info.tracks.map((t) => t.track_id));
      for (const pub of [...known.pubs.values()]) {
        if (!tracks.has(pub.trackId)) this.trackUnpublished(info.participant_id, pub.trackId);
      }
      for (const track of info.tracks) this.trackPublished(info.participant_id, track);
    }
  }

  /**
   * After joining again: asks the server anew for what this client changed of
   * the default (a track turned off, a smaller video layer) on the tracks of
   * participants still there.
   */
  resubscribe(): void {
    for (const participant of this.remotes.values()) {
      for (const pub of participant.pubs.values()) {
        if (pub.subscribed && pub.maxHeight === undefined) continue;
        this.subscribe(pub, pub.subscribed, pub.maxHeight).catch((error: unknown) => {
          if (!this.room.isLeft) this.room.emit(CallEvent.Error, asCallError(error, 'call.subscribe'));
        });
      }
    }
  }

  /** `call.subscribe`: turns one remote track on or off, or picks its video size. */
  private async subscribe(pub: RemotePub, enabled: boolean, maxHeight: number | undefined): Promise<void> {
    this.room.assertOpen();
    pub.subscribed = enabled;
    pub.maxHeight = maxHeight;
    const data: CallSubscribeData = { room_id: this.room.roomId, track_id: pub.trackId, enabled };
    if (maxHeight !== undefined) data.max_height = maxHeight;
    await this.room.request('call.subscribe', data);
  }

  private add(info: CallParticipantInfo): RemoteParticipant {
    const participant = new RemoteParticipant(info.participant_id, info.user_id, info.tracks, this.controls);
    this.remotes.set(info.participant_id, participant);
    return participant;
  }

  /** Attaches received tracks to the remote publications the mids carry; detaches the others. */
  private reconcile(): void {
    const received = new Map<string, MediaStreamTrack>();
    const transceivers = this.room.pc.getTransceivers();
    for (const [mid, ref] of this.mids) {
      const t = transceivers.find((x) => x.mid === mid);
      if (t && t.direction !== 'stopped' && t.currentDirection !== 'stopped') {
        received.set(key(ref.participant_id, ref.track_id), t.receiver.track);
      }
    }
    for (const participant of this.remotes.values()) {
      for (const pub of participant.pubs.values()) {
        const track = received.get(key(participant.participantId, pub.trackId));
        if (track === pub.track) continue;
        this.detach(pub, participant);
        if (track) {
          pub.track = track;
          this.room.emit(CallEvent.TrackSubscribed, track, pub, participant);
        }
      }
    }
  }

  private detach(pub: RemotePub, participant: RemoteParticipant): void {
    const old = pub.track;
    if (!old) return;
    pub.track = undefined;
    this.room.emit(CallEvent.TrackUnsubscribed, old, pub, participant);
  }
}
