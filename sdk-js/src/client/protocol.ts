/**
 * Wire-level helpers of the real-time connection: frame parsing, cursor
 * order, handshake failures and what they stand for, and the retry policy.
 *
 * @packageDocumentation
 */

import {
  AuthError,
  CaasError,
  ConnectionError,
  ConnectionErrorCode,
  INVALID_TOKEN,
  RequestError,
  TimeoutError,
} from '../core/errors.js';
import { describe } from '../core/rest.js';
import { TOKEN_PROVIDER_FAILED } from '../core/tokens.js';
import type { CloseEventLike } from '../core/transport.js';
import type { SessionReady } from '../core/wire.js';

/** The socket closed (or never opened) before `session.ready`. */
export class HandshakeFailure {
  constructor(
    readonly opened: boolean,
    readonly status: number | undefined,
    readonly close: CloseEventLike | undefined,
  ) {}
}

/**
 * Whether a failed connection attempt is worth retrying: network trouble,
 * timeouts, a failing token provider, rate limiting and server errors are; a
 * refused token (after a refresh) or origin is not.
 */
export function isRetryable(error: CaasError): boolean {
  if (error instanceof ConnectionError || error instanceof TimeoutError) return true;
  if (error instanceof RequestError) return error.status === 429 || (error.status !== undefined && error.status >= 500);
  return error.code === TOKEN_PROVIDER_FAILED;
}

/** `error` as a {@link CaasError}: anything else is a {@link ConnectionError} `connect_failed`. */
export function asCaasError(error: unknown): CaasError {
  if (error instanceof CaasError) return error;
  return new ConnectionError(ConnectionErrorCode.ConnectFailed, describe(error), { cause: error });
}

/** The error a refused upgrade with HTTP `status` stands for (see docs/protocol.md). */
export function upgradeError(status: number): RequestError | ConnectionError {
  const opts = { status, op: 'GET /v1/ws' };
  if (status === 401) return new AuthError(INVALID_TOKEN, 'the session token was refused', opts);
  if (status === 403) return new RequestError('origin_not_allowed', 'this origin is not allowed for the app', opts);
  if (status === 400) return new RequestError('invalid_cursor', 'the server refused the upgrade (bad cursor or request)', opts);
  if (status === 429) return new RequestError('rate_limited', 'too many requests', opts);
  if (status >= 500) return new RequestError(`http_${status}`, `the server failed the upgrade (${status})`, opts);
  return new ConnectionError(ConnectionErrorCode.ConnectFailed, `the upgrade was refused with HTTP ${status}`, { status });
}

/** The HTTP status the `ws` package reports for a refused upgrade ("Unexpected server response: 401"). */
export function upgradeStatus(event: { message?: unknown }): number | undefined {
  const message = typeof event?.message === 'string' ? event.message : undefined;
  const m = message?.match(/Unexpected server response: (\d{3})/);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/** A frame's JSON object, or `undefined` when the data is not one. */
export function parseFrame(data: unknown): Record<string, unknown> | undefined {
  let text: string;
  if (typeof data === 'string') text = data;
  else if (data instanceof ArrayBuffer) text = new TextDecoder().decode(data);
  else if (ArrayBuffer.isView(data)) text = new TextDecoder().decode(data);
  else return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `v` looks like the data of `session.ready`. */
export function isSessionReady(v: unknown): v is SessionReady {
  if (typeof v !== 'object' || v === null) return false;
  const { user, cursor } = v as { user?: unknown; cursor?: unknown };
  return typeof cursor === 'string' && typeof user === 'object' && user !== null;
}

/** Whether cursor `a` comes after `b` (decimal cursors compare as numbers; others are taken as new when different). */
export function isNewer(a: string, b: string | undefined): boolean {
  if (b === undefined) return true;
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return BigInt(a) > BigInt(b);
  return a !== b;
}
