/**
 * What the parts of a {@link CallRoom} share: the room's peer connection and
 * local participant, its event emitter, its `call.*` requests, and the
 * conversion of failures to {@link CallError}s.
 *
 * The room is split by meaning: signaling (signaling.ts), the remote
 * participants and what is received of them (roster.ts), the local tracks
 * (publisher.ts) and the data channel (data.ts); room.ts wires
 * them and routes the server's events.
 *
 * @packageDocumentation
 */

import type { CallRoomEventMap } from './events.js';
import type { CallMedia } from './media.js';
import type { LocalParticipant } from './participants.js';
// CallRoom: for the {@link} tags.
import type { CallRoom } from './room.js';
import { CaasError, CallError, CallErrorCode, RequestError } from '../core/errors.js';
import type { Ops } from '../client/ops.js';

/** The ops a joined room sends. */
export type CallOp = 'call.offer' | 'call.answer' | 'call.candidate' | 'call.mute' | 'call.subscribe' | 'call.leave';

/** How a room captures and sends media it publishes later (from the join options). */
export interface CallRoomSettings {
  /** Microphone constraints for a microphone published later. */
  audio: MediaTrackConstraints;
  /** Camera constraints for a camera published later. */
  video: MediaTrackConstraints;
  /** Send the camera in three simulcast layers. */
  simulcast: boolean;
}

/** The room as its parts see it. */
export interface RoomCore {
  /** The room id. */
  readonly roomId: string;
  /** The one peer connection of the room. */
  readonly pc: RTCPeerConnection;
  /** This client in the room. */
  readonly localParticipant: LocalParticipant;
  /** The media functions (capture). */
  readonly media: CallMedia;
  /** How to capture what is published later. */
  readonly settings: CallRoomSettings;
  /** Whether the room ended (`left`). */
  readonly isLeft: boolean;
  /** Emits one of the room's events. */
  emit<K extends keyof CallRoomEventMap & string>(event: K, ...args: CallRoomEventMap[K]): void;
  /** Sends a `call.*` op of this room; a refusal rejects with a {@link CallError}. */
  request<K extends CallOp>(op: K, data: Ops[K]['data']): Promise<Ops[K]['reply']>;
  /** @throws {@link CallError} `call_left` once the room ended. */
  assertOpen(): void;
}

/**
 * `error` as a {@link CaasError} of a call: a server refusal becomes a
 * {@link CallError} with the server's code; connection errors and timeouts
 * stay what they are.
 */
export function asCallError(error: unknown, op: string): CaasError {
  if (error instanceof RequestError && !(error instanceof CallError)) {
    const options = error.status === undefined ? { op, cause: error } : { op, cause: error, status: error.status };
    return new CallError(error.code, error.message, options);
  }
  if (error instanceof CaasError) return error;
  return new CallError(CallErrorCode.NegotiationFailed, `${op}: ${String(error)}`, { op, cause: error });
}
