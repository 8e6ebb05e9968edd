/**
 * The participants of a call and their tracks: {@link LocalParticipant} (this
 * client) and {@link RemoteParticipant} (everyone else), each with its
 * {@link TrackPublication}s.
 *
 * @packageDocumentation
 */

// CallRoom, CallEvent: for the {@link} tags.
import type { CallRoom } from './room.js';
import type { CallEvent } from './events.js';
import { CallError, CallErrorCode } from '../core/errors.js';
import type { CallTrackInfo, TrackKind, TrackSource } from './types.js';

/** A track a participant publishes. */
export interface TrackPublication {
  /** Server-assigned id; for a local track, `undefined` until the server names it. */
  readonly trackId: string | undefined;
  /** `audio` or `video`. */
  readonly kind: TrackKind;
  /** What it carries. */
  readonly source: TrackSource;
  /** Muted by its publisher. */
  readonly muted: boolean;
  /** Simulcast layers (1 without simulcast). */
  readonly simulcast: number;
  /** The media: always there for a local track; for a remote one, once received. */
  readonly track: MediaStreamTrack | undefined;
}

/** A track this client publishes. */
export interface LocalTrackPublication extends TrackPublication {
  /** The captured track (camera, microphone or screen). */
  readonly track: MediaStreamTrack;
}

/** A track another participant publishes. */
export interface RemoteTrackPublication extends TrackPublication {
  /** Server-assigned id. */
  readonly trackId: string;
  /** Whether this client asked to receive it (see {@link RemoteParticipant.setSubscribed}); `true` by default. */
  readonly subscribed: boolean;
  /** The video size asked for with {@link RemoteParticipant.setVideoQuality}, if any. */
  readonly maxHeight: number | undefined;
}

/** A local track and its sender. */
export class LocalPub implements LocalTrackPublication {
  trackId: string | undefined;
  muted = false;
  simulcast: number;
  /** The transceiver sending it, once added to the peer connection. */
  transceiver: RTCRtpTransceiver | undefined;

  constructor(
    readonly kind: TrackKind,
    readonly source: TrackSource,
    public track: MediaStreamTrack,
    readonly stream: MediaStream,
    simulcast: number,
  ) {
    this.simulcast = simulcast;
  }
}

/** A remote track. */
export class RemotePub implements RemoteTrackPublication {
  readonly trackId: string;
  readonly kind: TrackKind;
  readonly source: TrackSource;
  muted: boolean;
  simulcast: number;
  track: MediaStreamTrack | undefined;
  subscribed = true;
  maxHeight: number | undefined;

  constructor(info: CallTrackInfo) {
    this.trackId = info.track_id;
    this.kind = info.kind;
    this.source = info.source;
    this.muted = info.muted;
    this.simulcast = info.simulcast;
  }
}

/** What the local participant asks of its room. */
export interface LocalControls {
  setEnabled(source: 'microphone' | 'camera', enabled: boolean): Promise<void>;
  startScreenShare(options: ScreenShareOptions): Promise<void>;
  stopScreenShare(): Promise<void>;
  switchDevice(kind: 'audioinput' | 'videoinput', deviceId: string): Promise<void>;
}

/** What a remote participant asks of its room. */
export interface RemoteControls {
  subscribe(publication: RemotePub, enabled: boolean, maxHeight: number | undefined): Promise<void>;
}

/** Options of {@link LocalParticipant.startScreenShare}. */
export interface ScreenShareOptions {
  /** Also share the sound of the tab or screen, when the browser offers it (source `screen_audio`; default `false`). */
  audio?: boolean;
}

/** A participant of a call: this client ({@link LocalParticipant}) or another ({@link RemoteParticipant}). */
export abstract class Participant {
  /** Whether this is the local participant. */
  abstract readonly isLocal: boolean;
  /** Its published tracks. */
  abstract readonly tracks: ReadonlyMap<string, TrackPublication>;

  private speaking = false;
  private level = 0;

  /**
   * @param id - server-assigned id of the connection in the room.
   * @param userId - the end user.
   */
  protected constructor(
    protected id: string,
    readonly userId: string,
  ) {}

  /**
   * Server-assigned id of the connection in the room. The local participant's
   * changes when its room joins again ({@link CallEvent.Reconnected}).
   */
  get participantId(): string {
    return this.id;
  }

  /** Whether it is among the active speakers. */
  get isSpeaking(): boolean {
    return this.speaking;
  }

  /** Its audio level from 0 (silent) to 1 (loudest), from the latest `call.speakers`. */
  get audioLevel(): number {
    return this.level;
  }

  /** Its track of `source`, if it publishes one. */
  getTrack(source: TrackSource): TrackPublication | undefined {
    for (const pub of this.tracks.values()) if (pub.source === source) return pub;
    return undefined;
  }

  /** Whether it publishes an unmuted microphone. */
  get isMicrophoneEnabled(): boolean {
    return this.enabled('microphone');
  }

  /** Whether it publishes an unmuted camera. */
  get isCameraEnabled(): boolean {
    return this.enabled('camera');
  }

  /** Whether it shares its screen. */
  get isScreenShareEnabled(): boolean {
    return this.enabled('screen');
  }

  /** @internal Sets the speaking state from `call.speakers`. */
  setSpeaking(speaking: boolean, level: number): void {
    this.speaking = speaking;
    this.level = level;
  }

  private enabled(source: TrackSource): boolean {
    const pub = this.getTrack(source);
    return pub !== undefined && !pub.muted;
  }
}

/**
 * This client in a call: what it publishes, and the controls to change it.
 * Its `tracks` are keyed by source (`microphone`, `camera`, `screen`,
 * `screen_audio`), since a local track may not have its server id yet.
 */
export class LocalParticipant extends Participant {
  readonly isLocal = true;
  /** @internal */
  readonly pubs = new Map<TrackSource, LocalPub>();

  /** @internal */
  constructor(
    participantId: string,
    userId: string,
    private readonly controls: LocalControls,
  ) {
    super(participantId, userId);
  }

  /** @internal The room joined again under a new participant id. */
  setParticipantId(participantId: string): void {
    this.id = participantId;
  }

  /** Its published tracks, by source. */
  get tracks(): ReadonlyMap<TrackSource, LocalTrackPublication> {
    return this.pubs;
  }

  /** Its track of `source`, if it publishes one. */
  override getTrack(source: TrackSource): LocalTrackPublication | undefined {
    return this.pubs.get(source);
  }

  /**
   * Mutes or unmutes the microphone (`call.mute`; the track stays published
   * and sends silence while muted). Enabling it when none is published
   * captures and publishes one (a new offer).
   *
   * @throws {@link CallError} for a refused capture or publication.
   */
  setMicrophoneEnabled(enabled: boolean): Promise<void> {
    return this.controls.setEnabled('microphone', enabled);
  }

  /**
   * Turns the camera off or on (`call.mute`; the track stays published and
   * sends black frames while off). Enabling it when none is published
   * captures and publishes one (with simulcast, if the room uses it).
   *
   * @throws {@link CallError} for a refused capture or publication.
   */
  setCameraEnabled(enabled: boolean): Promise<void> {
    return this.controls.setEnabled('camera', enabled);
  }

  /**
   * Shares the screen: asks the browser for a screen, window or tab
   * (`getDisplayMedia`) and publishes it as source `screen` (and its sound as
   * `screen_audio`), with a new offer. Sharing stops by itself when the user
   * ends it from the browser's own controls. Does nothing when already sharing.
   *
   * @throws {@link CallError} `media_denied` when the user cancels the picker.
   */
  startScreenShare(options: ScreenShareOptions = {}): Promise<void> {
    return this.controls.startScreenShare(options);
  }

  /** Stops sharing the screen: stops and unpublishes its tracks, with a new offer. */
  stopScreenShare(): Promise<void> {
    return this.controls.stopScreenShare();
  }

  /**
   * Switches the microphone (`audioinput`) or camera (`videoinput`) to another
   * device (a `deviceId` of `navigator.mediaDevices.enumerateDevices()`)
   * without renegotiating (`RTCRtpSender.replaceTrack`). Without a published
   * track of that kind, the device is used when one is published.
   */
  switchDevice(kind: 'audioinput' | 'videoinput', deviceId: string): Promise<void> {
    return this.controls.switchDevice(kind, deviceId);
  }
}

/** Another participant of a call: its user, its tracks and what this client receives of them. */
export class RemoteParticipant extends Participant {
  readonly isLocal = false;
  /** @internal */
  readonly pubs = new Map<string, RemotePub>();

  /** @internal */
  constructor(
    participantId: string,
    userId: string,
    tracks: CallTrackInfo[],
    private readonly controls: RemoteControls,
  ) {
    super(participantId, userId);
    for (const t of tracks) this.pubs.set(t.track_id, new RemotePub(t));
  }

  /** Its published tracks, by track id. */
  get tracks(): ReadonlyMap<string, RemoteTrackPublication> {
    return this.pubs;
  }

  /** Its track of `source`, if it publishes one. */
  override getTrack(source: TrackSource): RemoteTrackPublication | undefined {
    for (const pub of this.pubs.values()) if (pub.source === source) return pub;
    return undefined;
  }

  /**
   * Stops (`false`) or resumes (`true`) receiving one of its tracks
   * (`call.subscribe`). The track stays negotiated; no media flows while off.
   *
   * @throws {@link CallError} `not_found` when it publishes no such track.
   */
  async setSubscribed(trackId: string, enabled: boolean): Promise<void> {
    const pub = this.pub(trackId);
    await this.controls.subscribe(pub, enabled, pub.maxHeight);
  }

  /**
   * Asks for the largest simulcast layer of a video track not taller than
   * `maxHeight` pixels (`call.subscribe`), e.g. the height of the tile
   * showing it. The server also steps down by itself when bandwidth is short.
   *
   * @throws {@link CallError} `not_found` when it publishes no such track.
   */
  async setVideoQuality(trackId: string, maxHeight: number): Promise<void> {
    const pub = this.pub(trackId);
    await this.controls.subscribe(pub, pub.subscribed, Math.max(1, Math.round(maxHeight)));
  }

  private pub(trackId: string): RemotePub {
    const pub = this.pubs.get(trackId);
    if (!pub) throw new CallError(CallErrorCode.NotFound, `${this.participantId} publishes no track ${trackId}`);
    return pub;
  }
}
