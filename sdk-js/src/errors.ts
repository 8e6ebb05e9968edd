/**
 * Errors thrown by the SDK. Every error is a {@link CaasError} with a
 * machine-readable `code`; test the class with `instanceof` and the reason with
 * `code`.
 *
 * ```text
 * CaasError
 * ├── ConnectionError   the socket or the network failed (retryable)
 * ├── TimeoutError      no answer in time
 * └── RequestError      the server refused (`ok: false` or an HTTP error body)
 *     └── AuthError     `invalid_token`
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
