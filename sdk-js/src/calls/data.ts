/**
 * {@link CallData}: the data channel of a call — in-call messages relayed by
 * the server to everyone else in the room (docs/calls.md, "In-call data
 * messages").
 *
 * @packageDocumentation
 */

import type { RoomCore } from './core.js';
import { CallEvent } from './events.js';
import type { RemoteParticipant } from './participants.js';
// CallRoom: for the {@link} tags.
import type { CallRoom } from './room.js';
import { CallError, CallErrorCode } from '../core/errors.js';

/** The label of the data channel a {@link CallRoom} opens (ordered, reliable). */
export const DATA_CHANNEL_LABEL = 'caas';

/** The largest message the server relays, in bytes (UTF-8 for text); it drops larger ones. */
export const MAX_DATA_MESSAGE_BYTES = 64 * 1024;

/** A relayed text message as the server wraps it. */
export interface DataTextEnvelope {
  /** The sender's participant id. */
  participantId: string;
  /** The text it sent. */
  data: string;
}

/**
 * Reads the server's wrapper of a relayed text message,
 * `{"participant_id": "p-3", "data": "<the text>"}`; `undefined` for any
 * other text.
 */
export function unwrapDataText(text: string): DataTextEnvelope | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { participant_id: participantId, data } = parsed as { participant_id?: unknown; data?: unknown };
  return typeof participantId === 'string' && typeof data === 'string' ? { participantId, data } : undefined;
}

const encoder = new TextEncoder();

/** The size in bytes of a message over {@link MAX_DATA_MESSAGE_BYTES}, or `undefined` when it fits. */
function oversize(data: string | ArrayBuffer | ArrayBufferView): number | undefined {
  if (typeof data !== 'string') return data.byteLength > MAX_DATA_MESSAGE_BYTES ? data.byteLength : undefined;
  // A UTF-16 code unit is at most 3 bytes of UTF-8: short strings need no encoding.
  if (data.length * 3 <= MAX_DATA_MESSAGE_BYTES) return undefined;
  const size = encoder.encode(data).byteLength;
  return size > MAX_DATA_MESSAGE_BYTES ? size : undefined;
}

/**
 * The data channel of a room: created on its peer connection before the
 * first offer (so that every offer has an application section, also when
 * publishing nothing), opened once the media connection is up.
 *
 * The server relays what is sent on it to every other participant: text
 * wrapped with the sender's participant id (unwrapped here), binary as is.
 */
export class CallData {
  private readonly channel: RTCDataChannel | undefined;

  /**
   * @param room - the room.
   * @param participant - the remote participant of an id, if known.
   */
  constructor(
    private readonly room: RoomCore,
    private readonly participant: (participantId: string) => RemoteParticipant | undefined,
  ) {
    const { pc } = room;
    // A WebRTC implementation without data channels still carries media.
    if (typeof pc.createDataChannel !== 'function') return;
    const channel = pc.createDataChannel(DATA_CHANNEL_LABEL, { ordered: true });
    channel.binaryType = 'arraybuffer';
    channel.onopen = () => this.room.emit(CallEvent.DataChannelStateChanged, channel.readyState);
    channel.onclose = () => this.room.emit(CallEvent.DataChannelStateChanged, channel.readyState);
    channel.onmessage = (event: MessageEvent<unknown>) => this.receive(event.data);
    this.channel = channel;
  }

  /** The channel's `readyState` (`closed` without data channels). */
  get state(): RTCDataChannelState {
    return this.channel?.readyState ?? 'closed';
  }

  /**
   * Sends a message to the others in the room.
   *
   * @throws {@link CallError} `call_left`, `data_channel_not_open`,
   *   `message_too_large` (over {@link MAX_DATA_MESSAGE_BYTES}) or
   *   `data_send_failed`.
   */
  send(data: string | ArrayBuffer | ArrayBufferView): void {
    this.room.assertOpen();
    const channel = this.channel;
    if (!channel || channel.readyState !== 'open') {
      throw new CallError(
        CallErrorCode.DataChannelNotOpen,
        `the data channel of the call ${this.room.roomId} is ${this.state} (wait for DataChannelStateChanged "open")`,
      );
    }
    const size = oversize(data);
    if (size !== undefined) {
      throw new CallError(
        CallErrorCode.MessageTooLarge,
        `a data message is at most ${MAX_DATA_MESSAGE_BYTES} bytes, not ${size}`,
      );
    }
    try {
      if (typeof data === 'string') channel.send(data);
      else if (data instanceof ArrayBuffer) channel.send(data);
      else channel.send(data as ArrayBufferView<ArrayBuffer>);
    } catch (error) {
      const name = (error as { name?: unknown } | null)?.name;
      const detail = (error as { message?: unknown } | null)?.message;
      const code = name === 'InvalidStateError' ? CallErrorCode.DataChannelNotOpen : CallErrorCode.DataSendFailed;
      throw new CallError(code, `cannot send the data message: ${typeof detail === 'string' ? detail : String(error)}`, {
        cause: error,
      });
    }
  }

  /** The room ended: closes the channel, without further events. */
  close(): void {
    const channel = this.channel;
    if (!channel) return;
    channel.onopen = null;
    channel.onclose = null;
    channel.onmessage = null;
    try {
      channel.close();
    } catch {
      // Already closed.
    }
  }

  private receive(raw: unknown): void {
    if (this.room.isLeft) return;
    if (typeof raw === 'string') {
      const envelope = unwrapDataText(raw);
      // Text not in the server's wrapper (not expected from the server) is given as it came.
      if (!envelope) this.room.emit(CallEvent.DataReceived, raw, undefined);
      else this.room.emit(CallEvent.DataReceived, envelope.data, this.participant(envelope.participantId));
    } else if (raw instanceof ArrayBuffer) {
      this.room.emit(CallEvent.DataReceived, raw, undefined);
    } else if (ArrayBuffer.isView(raw)) {
      // Some WebRTC implementations outside browsers give views (e.g. a Node Buffer).
      const copy = new Uint8Array(raw.byteLength);
      copy.set(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength));
      this.room.emit(CallEvent.DataReceived, copy.buffer, undefined);
    }
  }
}
