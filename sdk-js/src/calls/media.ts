/**
 * The browser side of calls, made injectable: the peer connection factory,
 * camera and microphone capture, screen capture; plus the media helpers of
 * {@link CallRoom} (simulcast layers, media errors, SDP reading, speaker levels).
 *
 * @packageDocumentation
 */

// CallRoom: for the {@link} tags.
import type { CallRoom } from './room.js';
import { CaasError, CallError, CallErrorCode } from '../core/errors.js';
import type { CallTrackRef, TrackSource } from './types.js';

/** Creates the peer connection of a call (default: `new RTCPeerConnection(config)`). */
export type PeerConnectionFactory = (config: RTCConfiguration) => RTCPeerConnection;

/** Captures camera and microphone (default: `navigator.mediaDevices.getUserMedia`). */
export type GetUserMedia = (constraints: MediaStreamConstraints) => Promise<MediaStream>;

/** Captures a screen, window or tab (default: `navigator.mediaDevices.getDisplayMedia`). */
export type GetDisplayMedia = (options: DisplayMediaStreamOptions) => Promise<MediaStream>;

/**
 * The WebRTC and media functions a call uses. Each defaults to the browser's;
 * pass your own to run calls elsewhere (a Node WebRTC library) or to test the
 * signaling with fakes.
 */
export interface CallMediaOptions {
  /** Creates the peer connection (default: `new RTCPeerConnection(config)`). */
  peerConnectionFactory?: PeerConnectionFactory;
  /** Captures camera and microphone (default: `navigator.mediaDevices.getUserMedia`). */
  getUserMedia?: GetUserMedia;
  /** Captures the screen (default: `navigator.mediaDevices.getDisplayMedia`). */
  getDisplayMedia?: GetDisplayMedia;
}

/** {@link CallMediaOptions} with every function resolved. */
export type CallMedia = Required<CallMediaOptions>;

/**
 * The camera's simulcast layers, smallest first: quarter, half and full
 * resolution (rids `q`, `h`, `f`), as `sendEncodings` of its transceiver.
 */
export const SIMULCAST_ENCODINGS: readonly RTCRtpEncodingParameters[] = Object.freeze([
  { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { rid: 'f', scaleResolutionDownBy: 1, maxBitrate: 1_500_000 },
]);

/** Camera constraints used for `video: true`. */
export const DEFAULT_VIDEO_CONSTRAINTS: MediaTrackConstraints = Object.freeze({
  width: { ideal: 1280 },
  height: { ideal: 720 },
  frameRate: { ideal: 30 },
});

/** Microphone constraints used for `audio: true`. */
export const DEFAULT_AUDIO_CONSTRAINTS: MediaTrackConstraints = Object.freeze({
  echoCancellation: true,
  noiseSuppression: true,
  autoGainControl: true,
});

interface BrowserGlobals {
  RTCPeerConnection?: new (config?: RTCConfiguration) => RTCPeerConnection;
  navigator?: { mediaDevices?: Partial<Pick<MediaDevices, 'getUserMedia' | 'getDisplayMedia'>> };
}

/**
 * Resolves the media functions: the given ones, else the browser's.
 *
 * @throws {@link CallError} `webrtc_unavailable` when there is no peer
 *   connection factory and no global `RTCPeerConnection`.
 */
export function resolveMedia(options: CallMediaOptions = {}): CallMedia {
  const g = globalThis as BrowserGlobals;
  const Pc = g.RTCPeerConnection;
  if (!options.peerConnectionFactory && !Pc) {
    throw new CallError(CallErrorCode.WebRtcUnavailable, 'no RTCPeerConnection here: pass peerConnectionFactory');
  }
  const devices = (): Partial<Pick<MediaDevices, 'getUserMedia' | 'getDisplayMedia'>> => {
    const d = g.navigator?.mediaDevices;
    if (!d) {
      throw new CallError(
        CallErrorCode.MediaUnavailable,
        'no navigator.mediaDevices (the page must be a secure context: https or localhost)',
      );
    }
    return d;
  };
  return {
    peerConnectionFactory: options.peerConnectionFactory ?? ((config) => new Pc!(config)),
    getUserMedia:
      options.getUserMedia ??
      (async (constraints) => {
        const d = devices();
        if (!d.getUserMedia) throw new CallError(CallErrorCode.MediaUnavailable, 'no getUserMedia here');
        return d.getUserMedia.call(d, constraints);
      }),
    getDisplayMedia:
      options.getDisplayMedia ??
      (async (opts) => {
        const d = devices();
        if (!d.getDisplayMedia) throw new CallError(CallErrorCode.MediaUnavailable, 'no getDisplayMedia here (screen share)');
        return d.getDisplayMedia.call(d, opts);
      }),
  };
}

/**
 * The {@link CallError} for a failed capture: `media_denied` when the user or
 * the browser refused (`NotAllowedError`, `SecurityError`), `media_unavailable`
 * otherwise (no device, device busy, constraints not met).
 */
export function mediaError(error: unknown, what: string): CaasError {
  if (error instanceof CaasError) return error;
  const name = (error as { name?: unknown } | null)?.name;
  const detail = (error as { message?: unknown } | null)?.message;
  const text = `${what}: ${typeof detail === 'string' && detail ? detail : String(name ?? error)}`;
  if (name === 'NotAllowedError' || name === 'SecurityError') {
    return new CallError(CallErrorCode.MediaDenied, text, { cause: error });
  }
  return new CallError(CallErrorCode.MediaUnavailable, text, { cause: error });
}

/** The {@link CallError} `negotiation_failed` for a failed WebRTC step. */
export function negotiationError(error: unknown, what: string): CaasError {
  if (error instanceof CaasError) return error;
  const detail = (error as { message?: unknown } | null)?.message;
  return new CallError(
    CallErrorCode.NegotiationFailed,
    `${what}: ${typeof detail === 'string' ? detail : String(error)}`,
    { cause: error },
  );
}

/** Constraints for `true`, the given ones, or `false`. */
export function constraintsOf(
  option: boolean | MediaTrackConstraints | undefined,
  defaults: MediaTrackConstraints,
  whenAbsent: boolean,
): MediaTrackConstraints | false {
  if (option === undefined) return whenAbsent ? { ...defaults } : false;
  if (option === false) return false;
  if (option === true) return { ...defaults };
  return option;
}

/** A captured track and what it is published as. */
export interface Capture {
  /** The stream it came in (its id becomes the msid of the transceiver). */
  stream: MediaStream;
  /** The track. */
  track: MediaStreamTrack;
  /** Its source. */
  source: TrackSource;
}

/**
 * Captures microphone and camera. When both are asked for and the combined
 * request fails for a reason other than a refusal (say, no camera), each is
 * tried alone and those that work are kept; only when none works does it
 * throw.
 *
 * @throws {@link CallError} `media_denied` or `media_unavailable`.
 */
export async function captureUserMedia(
  getUserMedia: GetUserMedia,
  audio: MediaTrackConstraints | false,
  video: MediaTrackConstraints | false,
): Promise<Capture[]> {
  if (!audio && !video) return [];
  const asCaptures = (stream: MediaStream): Capture[] => [
    ...stream.getAudioTracks().map((track) => ({ stream, track, source: 'microphone' as const })),
    ...stream.getVideoTracks().map((track) => ({ stream, track, source: 'camera' as const })),
  ];
  try {
    return asCaptures(await getUserMedia({ audio, video }));
  } catch (error) {
    const err = mediaError(error, 'cannot capture the microphone and camera');
    if (!(audio && video) || err.code === CallErrorCode.MediaDenied) throw err;
    const captures: Capture[] = [];
    for (const request of [{ audio, video: false }, { audio: false, video }] as const) {
      try {
        captures.push(...asCaptures(await getUserMedia(request)));
      } catch {
        // Try the other one alone.
      }
    }
    if (captures.length === 0) throw err;
    return captures;
  }
}

/**
 * Captures the screen (video, and the sound of a tab or screen when `audio`
 * and the browser allows it).
 *
 * @throws {@link CallError} `media_denied` (the user cancelled the picker) or `media_unavailable`.
 */
export async function captureScreen(getDisplayMedia: GetDisplayMedia, audio: boolean): Promise<Capture[]> {
  let stream: MediaStream;
  try {
    stream = await getDisplayMedia({ video: true, audio });
  } catch (error) {
    throw mediaError(error, 'cannot capture the screen');
  }
  const captures: Capture[] = [];
  for (const track of stream.getVideoTracks()) {
    // A hint for the encoder: keep text sharp rather than motion smooth.
    if ('contentHint' in track) track.contentHint = 'detail';
    captures.push({ stream, track, source: 'screen' });
  }
  for (const track of stream.getAudioTracks()) captures.push({ stream, track, source: 'screen_audio' });
  if (!captures.some((c) => c.source === 'screen')) {
    for (const c of captures) c.track.stop();
    throw new CallError(CallErrorCode.MediaUnavailable, 'the screen capture has no video track');
  }
  return captures;
}

/**
 * The remote track of each `mid` of an SDP, read from its
 * `a=msid:<participant_id> <track_id>` lines (the server writes the same
 * mapping there as in the `tracks` of its `call.offer`). Sections without an
 * msid, or rejected ones (port 0), are left out.
 */
export function msidTracks(sdp: string): Map<string, CallTrackRef> {
  const out = new Map<string, CallTrackRef>();
  let section: { mid?: string; msid?: CallTrackRef; rejected: boolean } | undefined;
  const flush = (): void => {
    if (section?.mid !== undefined && section.msid && !section.rejected) out.set(section.mid, section.msid);
  };
  for (const raw of sdp.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('m=')) {
      flush();
      section = { rejected: line.split(/\s+/)[1] === '0' };
    } else if (section && line.startsWith('a=mid:')) {
      section.mid = line.slice('a=mid:'.length).trim();
    } else if (section && line.startsWith('a=msid:')) {
      const [participant, track] = line.slice('a=msid:'.length).trim().split(/\s+/);
      if (participant && track && participant !== '-') section.msid = { participant_id: participant, track_id: track };
    }
  }
  flush();
  return out;
}

/**
 * A speaker's level from 0 (silence) to 1 (loudest), from the server's 0–127
 * -dBov (RFC 6464: 0 is the loudest).
 */
export function speakerLevel(dbov: number): number {
  const clamped = Math.min(127, Math.max(0, dbov));
  return Math.round(10 ** (-clamped / 20) * 1000) / 1000;
}

/**
 * Runs async tasks one at a time, in the order given: the negotiations of a
 * call (a local change waits for the pending one, and a server offer for the
 * local one).
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private count = 0;

  /** How many tasks are queued or running. */
  get size(): number {
    return this.count;
  }

  /** Runs `task` after every task queued before it; resolves or rejects as it does. */
  run<T>(task: () => Promise<T>): Promise<T> {
    this.count++;
    const result = this.tail.then(task);
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.tail = settled.then(() => {
      this.count--;
    });
    return result;
  }
}
