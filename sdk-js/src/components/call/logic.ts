/**
 * Pure helpers of `<caas-call>`: which tiles a room shows and which remote
 * audio it plays.
 *
 * @packageDocumentation
 */

import type { Participant } from '../../calls/participants.js';
import type { CallRoom } from '../../calls/room.js';
import type { TrackSource } from '../../calls/types.js';

/** One tile of the call grid: a participant's camera (or placeholder), or a shared screen. */
export interface CallTile {
  /** Stable key: `<participant id>:camera` or `<participant id>:screen`. */
  key: string;
  /** The participant. */
  participantId: string;
  /** Its user, shown as the name. */
  userId: string;
  /** Whether it is this client (its video is mirrored, its name says so). */
  isLocal: boolean;
  /** `camera` (one per participant, even without a camera) or `screen`. */
  source: Extract<TrackSource, 'camera' | 'screen'>;
  /** The video to show, if any. */
  video: MediaStreamTrack | undefined;
  /** No video to show (camera off, absent, or not received yet): show the placeholder instead. */
  videoMuted: boolean;
  /** Its publisher muted the video (camera turned off; `call.track_muted` for a remote one). */
  muted: boolean;
  /** The participant's microphone is muted or absent. */
  micMuted: boolean;
  /** Among the active speakers (camera tiles only). */
  speaking: boolean;
}

/** A remote audio track to play. */
export interface CallAudio {
  /** Stable key: `<participant id>:<track id>`. */
  key: string;
  /** The participant. */
  participantId: string;
  /** `microphone` or `screen_audio`. */
  source: TrackSource;
  /** The media. */
  track: MediaStreamTrack;
}

/**
 * The tiles of a room: the local participant first, then the others in the
 * order they came; each participant's shared screen right after its camera tile.
 */
export function callTiles(room: CallRoom): CallTile[] {
  const tiles: CallTile[] = [];
  const participants: Participant[] = [room.localParticipant, ...room.remoteParticipants.values()];
  for (const p of participants) {
    const camera = p.getTrack('camera');
    const mic = p.getTrack('microphone');
    const base = {
      participantId: p.participantId,
      userId: p.userId,
      isLocal: p.isLocal,
      micMuted: mic === undefined || mic.muted,
      speaking: p.isSpeaking,
    };
    tiles.push({
      ...base,
      key: `${p.participantId}:camera`,
      source: 'camera',
      video: camera?.track,
      videoMuted: camera === undefined || camera.muted || camera.track === undefined,
      muted: camera?.muted ?? false,
    });
    const screen = p.getTrack('screen');
    if (screen) {
      tiles.push({
        ...base,
        speaking: false, // the highlight goes on the participant's own tile
        key: `${p.participantId}:screen`,
        source: 'screen',
        video: screen.track,
        videoMuted: screen.muted || screen.track === undefined,
        muted: screen.muted,
      });
    }
  }
  return tiles;
}

/** The remote audio tracks received (microphones and shared sound), to play. */
export function callAudio(room: CallRoom): CallAudio[] {
  const out: CallAudio[] = [];
  for (const p of room.remoteParticipants.values()) {
    for (const pub of p.tracks.values()) {
      if (pub.kind === 'audio' && pub.track) {
        out.push({ key: `${p.participantId}:${pub.trackId}`, participantId: p.participantId, source: pub.source, track: pub.track });
      }
    }
  }
  return out;
}

/** The name a tile shows: the user id, "(you)" for the local one, and "screen" for a shared screen. */
export function tileLabel(tile: CallTile): string {
  const who = tile.isLocal ? `${tile.userId || 'You'} (you)` : tile.userId || tile.participantId;
  return tile.source === 'screen' ? `${who} · screen` : who;
}

/** The initials shown on a tile without video. */
export function initials(name: string): string {
  const words = name.split(/[\s._@-]+/).filter(Boolean);
  const letters = words.length > 1 ? `${words[0]?.[0] ?? ''}${words[1]?.[0] ?? ''}` : name.slice(0, 2);
  return letters.toUpperCase() || '?';
}
