/**
 * Errors thrown by the SDK. Every error is a {@link CaasError} with a
 * machine-readable `code`; test the class with `instanceof` and the reason with
 * `code`.
 *
 * ```text
 * CaasError
 * ├── ConnectionError   the socket or the network failed (retryable)
 * ├── TimeoutError      no answer in time
 * ├── RequestError      the server refused (`ok: false` or an HTTP error body)
 * │   └── AuthError     `invalid_token`
 * └── CallError         a call failed: the server refused a `call.*` op, or
 *                       media, WebRTC or negotiation failed (see CallErrorCode)
 * ```
 *
 * @packageDocumentation
 */

/** Options common to the SDK's errors. */
export interface CaasErrorOptions {
  /** HTTP status, when the error came from an HTTP response. */
  status?: number;
  /** The underlying error, if any. */
  cause?: unknown;
}

/** Base class of every error the SDK throws. */
export class CaasError extends Error {
  override name = 'CaasError';
  /** snake_case reason code, e.g. `forbidden`, `connection_closed`, `timeout`. */
  readonly code: string;
  /** HTTP status, when the error came from an HTTP response. */
  readonly status?: number;

  /**
   * @param code - snake_case reason code.
   * @param message - what went wrong, for a person.
   * @param options - HTTP status and cause.
   */
  constructor(code: string, message: string, options: CaasErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.status !== undefined) this.status = options.status;
  }
}

/** Reason codes of {@link ConnectionError}. */
export const ConnectionErrorCode = {
  /** The socket closed before the reply came. */
  Closed: 'connection_closed',
  /** A request was made while the client is not connected. */
  NotConnected: 'not_connected',
  /** {@link CaasClient.disconnect} was called. */
  ClientDisconnected: 'client_disconnected',
  /** The WebSocket could not be opened (network, or upgrade refused for an unknown reason). */
  ConnectFailed: 'connect_failed',
  /** The first frame was not `session.ready`. */
  Protocol: 'protocol_error',
  /** A `fetch` failed before a response came. */
  Network: 'network_error',
  /** Reconnection gave up after the configured number of attempts. */
  ReconnectFailed: 'reconnect_failed',
} as const;

/** Options of {@link ConnectionError}. */
export interface ConnectionErrorOptions extends CaasErrorOptions {
  /** WebSocket close code, when the socket closed. */
  closeCode?: number;
  /** WebSocket close reason, when the socket closed. */
  closeReason?: string;
}

/** The connection or the network failed; the operation may succeed when retried. */
export class ConnectionError extends CaasError {
  override name = 'ConnectionError';
  /** WebSocket close code (e.g. 4008 `slow_consumer`, 4000 heartbeat timeout), when known. */
  readonly closeCode?: number;
  /** WebSocket close reason, when known. */
  readonly closeReason?: string;

  /**
   * @param code - one of {@link ConnectionErrorCode}.
   * @param message - what went wrong, for a person.
   * @param options - close code and reason, status and cause.
   */
  constructor(code: string, message: string, options: ConnectionErrorOptions = {}) {
    super(code, message, options);
    if (options.closeCode !== undefined) this.closeCode = options.closeCode;
    if (options.closeReason !== undefined) this.closeReason = options.closeReason;
  }
}

/** The server refused a request: a WebSocket reply with `ok: false`, or an HTTP error body. */
export class RequestError extends CaasError {
  override name = 'RequestError';
  /** The op (WebSocket) or `METHOD /path` (REST) that was refused, when known. */
  readonly op?: string;

  /**
   * @param code - the server's `error.code`.
   * @param message - the server's `error.message`.
   * @param options - HTTP status, cause, and the refused op.
   */
  constructor(code: string, message: string, options: CaasErrorOptions & { op?: string } = {}) {
    super(code, message, options);
    if (options.op !== undefined) this.op = options.op;
  }
}

/**
 * The session token was refused (`invalid_token`): missing, malformed, expired,
 * revoked, or the user was erased. With a `tokenProvider` the client fetches a
 * new token and retries once before throwing this.
 */
export class AuthError extends RequestError {
  override name = 'AuthError';
}

/** No answer came within the time allowed. */
export class TimeoutError extends CaasError {
  override name = 'TimeoutError';
  /** The time allowed, in milliseconds. */
  readonly timeoutMs: number;

  /**
   * @param message - what timed out, for a person.
   * @param timeoutMs - the time allowed, in milliseconds.
   */
  constructor(message: string, timeoutMs: number) {
    super('timeout', message);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * Reason codes of {@link CallError}: the server's error codes of the `call.*`
 * ops (docs/calls.md), and the SDK's own for media and WebRTC.
 */
export const CallErrorCode = {
  /** The room id is not 1–128 characters of `[A-Za-z0-9._:-]`. */
  InvalidRoomId: 'invalid_room_id',
  /** Not a member of the conversation the room belongs to, or publishing a source the grants do not allow. */
  Forbidden: 'forbidden',
  /** The room has its maximum number of participants. */
  RoomFull: 'room_full',
  /** This client is already in the room. */
  AlreadyJoined: 'already_joined',
  /** The server does not know this connection in the room (it left or was removed). */
  NotJoined: 'not_joined',
  /** The server could not use the SDP. */
  InvalidSdp: 'invalid_sdp',
  /** The server could not use an ICE candidate. */
  InvalidCandidate: 'invalid_candidate',
  /** An answer to a server offer that is no longer pending (harmless; the SDK ignores it). */
  StaleOffer: 'stale_offer',
  /** No such track (e.g. `call.subscribe` to a track that went). */
  NotFound: 'not_found',
  /** The server has no calls (`unknown_op`). */
  Unsupported: 'unknown_op',
  /** The user or the browser refused access to the camera, microphone or screen. */
  MediaDenied: 'media_denied',
  /** No such device, or it could not be started. */
  MediaUnavailable: 'media_unavailable',
  /** No WebRTC here (no `RTCPeerConnection`): pass `peerConnectionFactory`. */
  WebRtcUnavailable: 'webrtc_unavailable',
  /** Creating or applying an offer or answer failed in the browser. */
  NegotiationFailed: 'negotiation_failed',
  /** The room was left (or lost) before the operation ended. */
  Left: 'call_left',
  /** The call's data channel is not open (yet, or any more): see `CallRoom.dataChannelState`. */
  DataChannelNotOpen: 'data_channel_not_open',
  /** A data message over 64 KiB (the server drops those). */
  MessageTooLarge: 'message_too_large',
  /** The data channel refused the message (e.g. its send buffer is full). */
  DataSendFailed: 'data_send_failed',
} as const;

/** Options of {@link CallError}. */
export interface CallErrorOptions extends CaasErrorOptions {
  /** The `call.*` op the server refused, when it was a refusal. */
  op?: string;
}

/**
 * A call failed: the server refused a `call.*` op (`code` is the server's), or
 * media, WebRTC or negotiation failed on this side. See {@link CallErrorCode}.
 * Connection trouble during a call stays a {@link ConnectionError} or
 * {@link TimeoutError}.
 */
export class CallError extends CaasError {
  override name = 'CallError';
  /** The `call.*` op the server refused, when it was a refusal. */
  readonly op?: string;

  /**
   * @param code - one of {@link CallErrorCode}, or another code of the server.
   * @param message - what went wrong, for a person.
   * @param options - the refused op and the cause.
   */
  constructor(code: string, message: string, options: CallErrorOptions = {}) {
    super(code, message, options);
    if (options.op !== undefined) this.op = options.op;
  }
}

/**
 * Reason code of the {@link CaasError} an operation rejects with when the
 * caller cancelled it through its `AbortSignal` (e.g. `client.files.upload`).
 */
export const ABORTED = 'aborted';

/** Reason code of {@link AuthError}. */
export const INVALID_TOKEN = 'invalid_token';

/**
 * Builds the error class that fits a server error `code`: {@link AuthError} for
 * `invalid_token`, {@link RequestError} otherwise.
 *
 * @param code - the server's `error.code`.
 * @param message - the server's `error.message`.
 * @param options - HTTP status, cause and op.
 */
export function serverError(
  code: string,
  message: string,
  options: CaasErrorOptions & { op?: string } = {},
): RequestError {
  return code === INVALID_TOKEN ? new AuthError(code, message, options) : new RequestError(code, message, options);
}
