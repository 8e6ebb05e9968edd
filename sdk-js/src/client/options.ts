/**
 * Options and states of {@link CaasClient}.
 *
 * @packageDocumentation
 */

import type { ReconnectOptions } from '../core/backoff.js';
// For the {@link} tags only.
import type { CaasClient } from './client.js';
import type { TokenProvider } from '../core/tokens.js';
import type { FetchLike, WebSocketConstructor, XMLHttpRequestConstructor } from '../core/transport.js';

/** Options of {@link CaasClient}. */
export interface CaasClientOptions {
  /** `http(s)://host[:port][/prefix]` of the CAAS server, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** The session token (from your backend's `POST /v1/admin/sessions`). */
  token?: string;
  /**
   * Returns a session token. Called for the first token when `token` is absent,
   * and again whenever the token is refused: `invalid_token`, REST 401, or a
   * refused WebSocket upgrade.
   */
  tokenProvider?: TokenProvider;
  /** WebSocket class (default: the global `WebSocket`). In Node before 22, pass `WebSocket` from the `ws` package. */
  WebSocket?: WebSocketConstructor;
  /** `fetch` function (default: the global `fetch`). */
  fetch?: FetchLike;
  /**
   * `XMLHttpRequest` class for file uploads, which reports upload progress
   * (default: the global `XMLHttpRequest`, if any). `null` uploads with
   * `fetch` instead (progress is then reported once, at the end).
   */
  XMLHttpRequest?: XMLHttpRequestConstructor | null;
  /** Time allowed for each request's reply, in milliseconds (default 10000). */
  requestTimeoutMs?: number;
  /** Time allowed from opening the socket to `session.ready`, in milliseconds (default 10000). */
  connectTimeoutMs?: number;
  /** Reconnection after an unexpected close. */
  reconnect?: ReconnectOptions;
  /**
   * Resume from this cursor on the first connection (for instance one saved
   * from {@link CaasClient.cursor} before a page reload): every persistent
   * event after it is replayed first.
   */
  cursor?: string;
  /** Source of randomness for the backoff jitter, in `[0, 1)` (default `Math.random`). */
  random?: () => number;
  /** Receives errors thrown by event listeners (default `console.error`). */
  onListenerError?: (error: unknown, event: string) => void;
}

/** Per-request options. */
export interface RequestOptions {
  /** Overrides the client's `requestTimeoutMs`. */
  timeoutMs?: number;
}

/**
 * State of the real-time connection:
 * `disconnected` → `connecting` → `connected` ⇄ `reconnecting`.
 */
export type ConnectionState = 'disconnected' | 'connecting' | 'connected' | 'reconnecting';
