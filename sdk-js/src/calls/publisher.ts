/**
 * {@link CallPublisher}: what the local participant of a call publishes — its
 * captured tracks, their sending transceivers and mute state — and the
 * controls of {@link LocalParticipant} (mute, screen share, device switch).
 *
 * @packageDocumentation
 */

import { asCallError, type RoomCore } from './core.js';
import { CallEvent } from './events.js';
import { SIMULCAST_ENCODINGS, captureScreen, captureUserMedia, negotiationError, type Capture } from './media.js';
// LocalParticipant: for the {@link} tags.
import { LocalPub, type LocalControls, type LocalParticipant, type ScreenShareOptions } from './participants.js';
import type { CallSignaling } from './signaling.js';
import { CallError, CallErrorCode } from '../core/errors.js';
import type { CallTrackInfo, TrackSource } from './types.js';

/**
 * The local side of a room. Each publication change is one negotiation
 * ({@link CallSignaling.run}); mute state goes to the server with
 * `call.mute` once the server has named the track (the publisher's own
 * `call.track_published`).
 */
export class CallPublisher {
  /** The controls of the room's {@link LocalParticipant}. */
  readonly controls: LocalControls = {
    setEnabled: (source, enabled) => this.setEnabled(source, enabled),
    startScreenShare: (options) => this.startScreenShare(options),
    stopScreenShare: () => this.stopScreenShare(),
    switchDevice: (kind, deviceId) => this.switchDevice(kind, deviceId),
  };
  private readonly deviceIds: Partial<Record<'microphone' | 'camera', string>> = {};

  constructor(
    private readonly room: RoomCore,
    private readonly signaling: CallSignaling,
  ) {}

  /**
   * Publishes the tracks captured for joining with the room's first offer
   * (sent even with nothing to publish). On failure the tracks are stopped.
   *
   * @returns the publications, for {@link CallEvent.LocalTrackPublished} once the room is joined.
   */
  async publishFirst(captures: Capture[]): Promise<LocalPub[]> {
    const pubs = captures.map((c) => this.pubOf(c));
    try {
      await this.signaling.run(async () => {
        this.room.assertOpen();
        for (const pub of pubs) this.addLocal(pub);
        await this.signaling.offer();
      });
    } catch (error) {
      for (const pub of pubs) pub.track.stop();
      throw error;
    }
    return pubs;
  }

  /** Source of each sending transceiver, by mid (the `sources` of `call.offer`). */
  sources(): Record<string, TrackSource> {
    const out: Record<string, TrackSource> = {};
    for (const pub of this.room.localParticipant.pubs.values()) {
      const mid = pub.transceiver?.mid;
      if (mid !== null && mid !== undefined) out[mid] = pub.source;
    }
    return out;
  }

  /** The server named one of this client's tracks (its own `call.track_published`): sends a mute made before. */
  trackPublished(info: CallTrackInfo): void {
    const pub = this.room.localParticipant.pubs.get(info.source);
    if (!pub || (pub.trackId !== undefined && pub.trackId !== info.track_id)) return;
    pub.trackId = info.track_id;
    pub.simulcast = info.simulcast;
    if (info.muted !== pub.muted) {
      this.room
        .request('call.mute', { room_id: this.room.roomId, track_id: info.track_id, muted: pub.muted })
        .catch((error: unknown) => this.room.emit(CallEvent.Error, asCallError(error, 'call.mute')));
    }
  }

  /** The server dropped one of this client's tracks (its own `call.track_unpublished`). */
  trackUnpublished(trackId: string): void {
    for (const pub of this.room.localParticipant.pubs.values()) if (pub.trackId === trackId) pub.trackId = undefined;
  }

  /**
   * The peer connection went (the room joins again): the local tracks stay,
   * without a sender, and lose their server ids (the server names them anew).
   */
  detach(): void {
    for (const pub of this.room.localParticipant.pubs.values()) {
      pub.transceiver = undefined;
      pub.trackId = undefined;
    }
  }

  /**
   * Adds every local track, the same `MediaStreamTrack`s, to the room's new
   * peer connection, for the offer that publishes them again (nothing is
   * captured anew). Call it inside {@link CallSignaling.run}.
   */
  republish(): void {
    for (const pub of [...this.room.localParticipant.pubs.values()]) this.addLocal(pub);
  }

  /** The room ended: stops every local track. */
  stopAll(): void {
    for (const pub of this.room.localParticipant.pubs.values()) pub.track.stop();
  }

  private pubOf(capture: Capture): LocalPub {
    const kind = capture.track.kind === 'audio' ? 'audio' : 'video';
    const simulcast = capture.source === 'camera' && this.room.settings.simulcast ? SIMULCAST_ENCODINGS.length : 1;
    return new LocalPub(kind, capture.source, capture.track, capture.stream, simulcast);
  }

  /** Adds a local publication and its sending transceiver. */
  private addLocal(pub: LocalPub): void {
    const init: RTCRtpTransceiverInit = { direction: 'sendonly', streams: [pub.stream] };
    // As offered at first (the server may have reported fewer layers since).
    if (pub.source === 'camera' && this.room.settings.simulcast) init.sendEncodings = SIMULCAST_ENCODINGS.map((e) => ({ ...e }));
    pub.transceiver = this.room.pc.addTransceiver(pub.track, init);
    this.room.localParticipant.pubs.set(pub.source, pub);
  }

  /** Removes a local publication: stops its transceiver (the next offer stops sending on it) and its track. */
  private removeLocal(pub: LocalPub): void {
    try {
      pub.transceiver?.stop();
    } catch {
      // Already stopped, or the connection is closed.
    }
    pub.track.stop();
    const pubs = this.room.localParticipant.pubs;
    if (pubs.get(pub.source) === pub) pubs.delete(pub.source);
  }

  /** Publishes captured tracks with a new offer; on failure they are stopped and removed. */
  private async publish(captures: Capture[]): Promise<void> {
    const pubs = captures.map((c) => this.pubOf(c));
    try {
      await this.signaling.run(async () => {
        this.room.assertOpen();
        for (const pub of pubs) {
          const old = this.room.localParticipant.pubs.get(pub.source);
          if (old) this.removeLocal(old);
          this.addLocal(pub);
        }
        try {
          await this.signaling.offer();
        } catch (error) {
          for (const pub of pubs) this.removeLocal(pub);
          throw error;
        }
      });
    } catch (error) {
      for (const pub of pubs) pub.track.stop();
      throw error;
    }
    for (const pub of pubs) this.room.emit(CallEvent.LocalTrackPublished, pub, this.room.localParticipant);
  }

  /** Unpublishes the local tracks of `sources` with a new offer. */
  private async unpublish(sources: TrackSource[]): Promise<void> {
    const removed = await this.signaling.run(async () => {
      this.room.assertOpen();
      const pubs = sources.flatMap((s) => this.room.localParticipant.pubs.get(s) ?? []);
      if (pubs.length === 0) return [];
      for (const pub of pubs) this.removeLocal(pub);
      await this.signaling.offer();
      return pubs;
    });
    for (const pub of removed) this.room.emit(CallEvent.LocalTrackUnpublished, pub, this.room.localParticipant);
  }

  private async setEnabled(source: 'microphone' | 'camera', enabled: boolean): Promise<void> {
    this.room.assertOpen();
    const pub = this.room.localParticipant.pubs.get(source);
    if (!pub) {
      if (!enabled) return;
      const constraints = this.constraintsFor(source);
      const captures = await captureUserMedia(
        this.room.media.getUserMedia,
        source === 'microphone' ? constraints : false,
        source === 'camera' ? constraints : false,
      );
      await this.publish(captures);
      return;
    }
    if (pub.muted === !enabled) return;
    pub.muted = !enabled;
    pub.track.enabled = enabled;
    this.room.emit(enabled ? CallEvent.TrackUnmuted : CallEvent.TrackMuted, pub, this.room.localParticipant);
    // Without its id yet, the state is sent once the server names the track.
    if (pub.trackId !== undefined) {
      await this.room.request('call.mute', { room_id: this.room.roomId, track_id: pub.trackId, muted: pub.muted });
    }
  }

  private async startScreenShare(options: ScreenShareOptions): Promise<void> {
    this.room.assertOpen();
    if (this.room.localParticipant.pubs.has('screen')) return;
    const captures = await captureScreen(this.room.media.getDisplayMedia, options.audio ?? false);
    if (this.room.isLeft) {
      for (const c of captures) c.track.stop();
      this.room.assertOpen();
    }
    const screen = captures.find((c) => c.source === 'screen');
    // The browser's own "Stop sharing" ends the track.
    screen?.track.addEventListener('ended', () => {
      if (this.room.localParticipant.pubs.get('screen')?.track === screen.track) {
        this.stopScreenShare().catch((error: unknown) => this.room.emit(CallEvent.Error, asCallError(error, 'call.offer')));
      }
    });
    await this.publish(captures);
  }

  private stopScreenShare(): Promise<void> {
    if (this.room.isLeft) return Promise.resolve();
    return this.unpublish(['screen', 'screen_audio']);
  }

  private async switchDevice(kind: 'audioinput' | 'videoinput', deviceId: string): Promise<void> {
    this.room.assertOpen();
    const source = kind === 'audioinput' ? 'microphone' : 'camera';
    this.deviceIds[source] = deviceId;
    const pub = this.room.localParticipant.pubs.get(source);
    if (!pub) return;
    const constraints = this.constraintsFor(source);
    const [capture] = await captureUserMedia(
      this.room.media.getUserMedia,
      source === 'microphone' ? constraints : false,
      source === 'camera' ? constraints : false,
    );
    if (!capture) throw new CallError(CallErrorCode.MediaUnavailable, `no ${source} track from device ${deviceId}`);
    const current = this.room.localParticipant.pubs.get(source);
    if (this.room.isLeft || current !== pub || !pub.transceiver) {
      capture.track.stop();
      this.room.assertOpen();
      return;
    }
    capture.track.enabled = !pub.muted;
    try {
      await pub.transceiver.sender.replaceTrack(capture.track);
    } catch (error) {
      capture.track.stop();
      throw negotiationError(error, `cannot switch the ${source}`);
    }
    pub.track.stop();
    pub.track = capture.track;
    this.room.emit(CallEvent.LocalTrackReplaced, pub, this.room.localParticipant);
  }

  private constraintsFor(source: 'microphone' | 'camera'): MediaTrackConstraints {
    const base = source === 'microphone' ? this.room.settings.audio : this.room.settings.video;
    const deviceId = this.deviceIds[source];
    return deviceId === undefined ? { ...base } : { ...base, deviceId: { exact: deviceId } };
  }
}
