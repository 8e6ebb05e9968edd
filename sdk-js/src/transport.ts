/**
 * The little the SDK needs from `WebSocket` and `fetch`, so that the browser's,
 * Node's and the `ws` package's implementations (or a test double) all fit.
 *
 * @packageDocumentation
 */

/**
 * The part of a WebSocket the client uses. The browser's `WebSocket` and the
 * `ws` package's `WebSocket` both fit.
 *
 * The client assigns its own `onopen`, `onmessage`, `onerror` and `onclose`
 * handlers; their parameters are typed `never` here only so that every
 * implementation's own event types are accepted.
 */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** Sends a text frame. */
  send(data: string): void;
  /** Starts the closing handshake. */
  close(code?: number, reason?: string): void;
  /** Called once the connection is open. */
  onopen: ((event: never) => void) | null;
  /** Called for each frame received; the client reads `event.data`. */
  onmessage: ((event: never) => void) | null;
  /** Called on an error; the client reads `event.message` when present (the `ws` package puts the HTTP status of a refused upgrade there). */
  onerror: ((event: never) => void) | null;
  /** Called once the connection is closed; the client reads `event.code` and `event.reason`. */
  onclose: ((event: never) => void) | null;
}

/** A WebSocket class: `new WebSocket(url)`. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** The part of a `fetch` Response the REST client reads. */
export interface ResponseLike {
  /** HTTP status. */
  readonly status: number;
  /** Status text, if any. */
  readonly statusText?: string;
  /** The body as text. */
  text(): Promise<string>;
}

/** What the REST client passes to `fetch`. */
export interface FetchInit {
  /** HTTP method. */
  method: string;
  /** Request headers. */
  headers: Record<string, string>;
  /** JSON body, if any. */
  body?: string;
  /** Aborts the request on timeout. */
  signal?: AbortSignal;
}

/** A `fetch` function; the global `fetch` fits. */
export type FetchLike = (url: string, init: FetchInit) => Promise<ResponseLike>;

/** The event shapes the client reads from WebSocket callbacks. */
export interface MessageEventLike {
  /** Frame payload: a string for text frames. */
  data: unknown;
}

/** The close event shape the client reads. */
export interface CloseEventLike {
  /** WebSocket close code. */
  code: number;
  /** WebSocket close reason. */
  reason: string;
}

/** WebSocket `readyState` of an open connection. */
export const WS_OPEN = 1;
