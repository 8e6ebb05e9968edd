/**
 * The calls API, `client.calls`: voice, video and screen share through the
 * server's SFU, signaled over the real-time socket (docs/calls.md).
 *
 * @packageDocumentation
 */

import {
  DEFAULT_AUDIO_CONSTRAINTS,
  DEFAULT_VIDEO_CONSTRAINTS,
  captureScreen,
  captureUserMedia,
  constraintsOf,
  resolveMedia,
  type CallMediaOptions,
  type Capture,
} from './media.js';
import { asCallError } from './core.js';
import { resolveCallReconnect, type CallReconnectOptions } from './rejoin.js';
import { CallRoom } from './room.js';
import type { CaasClient } from '../client/client.js';
import { CaasError, CallError, CallErrorCode } from '../core/errors.js';
import { ClientEvent } from '../client/events.js';
// CallEvent: for the {@link} tags.
import type { CallEvent } from './events.js';
import type { CallJoinReply } from './types.js';

/** Options of {@link CallsApi.join}. */
export interface JoinCallOptions extends CallMediaOptions {
  /** Publish the microphone: `true` (the default), `false`, or constraints for `getUserMedia`. */
  audio?: boolean | MediaTrackConstraints;
  /** Publish the camera: `true` (the default, 1280×720 ideally), `false`, or constraints for `getUserMedia`. */
  video?: boolean | MediaTrackConstraints;
  /** Share the screen from the start (`getDisplayMedia`; needs a user gesture in browsers). Default `false`. */
  screen?: boolean;
  /**
   * Send the camera in three simulcast layers (rids `q`, `h`, `f` at 1/4, 1/2
   * and full resolution), so that each receiver gets the size it needs.
   * Default `true`.
   */
  simulcast?: boolean;
  /**
   * Join again on its own when the node holding the room dies or the
   * real-time connection drops ({@link CallEvent.Reconnecting} →
   * {@link CallEvent.Reconnected}): `true` (the default: 3 attempts within
   * 30 s), bounds of your own, or `false` to end the room instead
   * (`removed` for a lost node, `connection_lost` for a dropped connection).
   */
  reconnect?: boolean | CallReconnectOptions;
}

/** A room id: 1–128 characters of `[A-Za-z0-9._:-]`. */
export const ROOM_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

const CALL_EVENTS = [
  ClientEvent.CallOffer,
  ClientEvent.CallParticipantJoined,
  ClientEvent.CallParticipantLeft,
  ClientEvent.CallTrackPublished,
  ClientEvent.CallTrackUnpublished,
  ClientEvent.CallTrackMuted,
  ClientEvent.CallSpeakers,
] as const;

/** A join in progress: the events of its room wait for the room. */
interface Joining {
  early: Array<[event: string, data: unknown]>;
}

/**
 * Calls over the real-time socket, as `client.calls`.
 *
 * ```ts
 * const room = await client.calls.join('standup'); // microphone and camera
 * room.on(CallEvent.TrackSubscribed, (track, pub, participant) => show(participant, track));
 * await room.localParticipant.startScreenShare();
 * await room.leave();
 * ```
 *
 * One client may be in several rooms at once, but in each room once. A room
 * ends when it is left, when its media fails, when the server removes the
 * participant, or when the client stops for good. When the node holding the
 * room dies, or the socket drops and the client reconnects, the room joins
 * again by itself (see {@link JoinCallOptions.reconnect}).
 */
export class CallsApi {
  private readonly entries = new Map<string, CallRoom | Joining>();
  private unlisten: (() => void) | undefined;

  /** @param client - the client whose socket carries the signaling. */
  constructor(private readonly client: CaasClient) {}

  /** The rooms this client is in, by room id. */
  get rooms(): ReadonlyMap<string, CallRoom> {
    const out = new Map<string, CallRoom>();
    for (const [id, entry] of this.entries) if (entry instanceof CallRoom) out.set(id, entry);
    return out;
  }

  /**
   * Joins a room: captures the microphone and camera (as `options` say),
   * sends `call.join`, opens one peer connection with the returned ICE
   * servers, publishes the local tracks with `call.offer` and applies the
   * server's answer. The others' tracks arrive with the server's offers,
   * answered automatically ({@link CallEvent.TrackSubscribed}).
   *
   * @param roomId - 1–128 characters of `[A-Za-z0-9._:-]`; the id of a
   *   conversation makes a room only its members may join.
   * @throws {@link CallError}: `invalid_room_id`, `already_joined`,
   *   `forbidden`, `room_full`, `media_denied`, `media_unavailable`,
   *   `webrtc_unavailable`, `negotiation_failed`, `unknown_op` (a server
   *   without calls); {@link ConnectionError} or {@link TimeoutError} when the
   *   server cannot be reached.
   */
  async join(roomId: string, options: JoinCallOptions = {}): Promise<CallRoom> {
    if (!ROOM_ID_PATTERN.test(roomId)) {
      throw new CallError(CallErrorCode.InvalidRoomId, `a room id is 1–128 characters of [A-Za-z0-9._:-], not ${JSON.stringify(roomId)}`);
    }
    if (this.entries.has(roomId)) throw new CallError(CallErrorCode.AlreadyJoined, `already in the call ${roomId}`);
    const media = resolveMedia(options);
    const reconnect = resolveCallReconnect(options.reconnect);
    const audio = constraintsOf(options.audio, DEFAULT_AUDIO_CONSTRAINTS, true);
    const video = constraintsOf(options.video, DEFAULT_VIDEO_CONSTRAINTS, true);
    const joining: Joining = { early: [] };
    this.entries.set(roomId, joining);
    this.listen();
    let captures: Capture[] = [];
    let room: CallRoom | undefined;
    try {
      captures = await captureUserMedia(media.getUserMedia, audio, video);
      if (options.screen) captures.push(...(await captureScreen(media.getDisplayMedia, false)));
      let reply: CallJoinReply;
      try {
        reply = await this.client.request('call.join', { room_id: roomId });
      } catch (error) {
        throw asCallError(error, 'call.join');
      }
      if (this.entries.get(roomId) !== joining) {
        // The connection was lost while joining.
        throw new CallError(CallErrorCode.Left, `the connection closed while joining ${roomId}`);
      }
      const created = new CallRoom({
        client: this.client,
        roomId,
        reply,
        media,
        settings: {
          audio: audio || { ...DEFAULT_AUDIO_CONSTRAINTS },
          video: video || { ...DEFAULT_VIDEO_CONSTRAINTS },
          simulcast: options.simulcast ?? true,
        },
        captures,
        reconnect,
        onEnded: (ended) => this.forget(roomId, ended),
      });
      room = created;
      this.entries.set(roomId, created);
      const started = created.start();
      for (const [event, data] of joining.early) created.handle(event, data);
      await started;
      return created;
    } catch (error) {
      if (!room) for (const c of captures) c.track.stop();
      if (this.entries.get(roomId) === joining) this.forget(roomId, joining);
      throw error;
    }
  }

  private listen(): void {
    if (this.unlisten) return;
    const offs = CALL_EVENTS.map((event) =>
      this.client.on(event, (data: unknown, _frame: unknown) => this.route(event, data)),
    );
    // The socket dropped: the server dropped this client from its rooms. Rooms join again once the client is back; joins under way fail.
    const dropped = (): void => {
      for (const [id, entry] of [...this.entries]) {
        if (entry instanceof CallRoom) entry.socketLost();
        else this.forget(id, entry);
      }
    };
    // The client stopped for good: every room ends.
    const lost = (error?: CaasError): void => {
      for (const [id, entry] of [...this.entries]) {
        if (entry instanceof CallRoom) entry.lost(error);
        else this.forget(id, entry);
      }
    };
    offs.push(this.client.on(ClientEvent.Reconnecting, () => dropped()));
    offs.push(this.client.on(ClientEvent.Disconnected, (event) => lost(event.error)));
    this.unlisten = () => {
      for (const off of offs) off();
    };
  }

  private route(event: string, data: unknown): void {
    const roomId = (data as { room_id?: unknown } | null)?.room_id;
    if (typeof roomId !== 'string') return;
    const entry = this.entries.get(roomId);
    if (entry instanceof CallRoom) entry.handle(event, data);
    else entry?.early.push([event, data]);
  }

  private forget(roomId: string, entry: CallRoom | Joining): void {
    if (this.entries.get(roomId) === entry) this.entries.delete(roomId);
    if (this.entries.size === 0) {
      this.unlisten?.();
      this.unlisten = undefined;
    }
  }
}
