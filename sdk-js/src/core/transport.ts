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
  /** The body, if any: JSON text, or a file's bytes (`client.files.upload` without `XMLHttpRequest`). */
  body?: string | Blob;
  /** Aborts the request on timeout. */
  signal?: AbortSignal;
}

/** A `fetch` function; the global `fetch` fits. */
export type FetchLike = (url: string, init: FetchInit) => Promise<ResponseLike>;

/** The progress event shape the upload reads from `xhr.upload.onprogress`. */
export interface ProgressEventLike {
  /** Bytes sent so far. */
  loaded: number;
  /** Bytes to send in all, when `lengthComputable`. */
  total: number;
  /** Whether `total` is known. */
  lengthComputable: boolean;
}

/**
 * The part of an `XMLHttpRequest` that `client.files.upload` uses (for upload
 * progress, which `fetch` does not report). The browser's `XMLHttpRequest`
 * fits.
 *
 * The client assigns its own handlers; their parameters are typed `never`
 * here only so that every implementation's own event types are accepted.
 */
export interface XMLHttpRequestLike {
  /** HTTP status once loaded (0 before, or after a network error). */
  readonly status: number;
  /** Status text, if any. */
  readonly statusText: string;
  /** The response body as text. */
  readonly responseText: string;
  /** The upload side: its `onprogress` receives {@link ProgressEventLike}s. */
  readonly upload: { onprogress: ((event: never) => void) | null };
  /** Called once the response is complete (any status). */
  onload: ((event: never) => void) | null;
  /** Called on a network failure. */
  onerror: ((event: never) => void) | null;
  /** Called after {@link XMLHttpRequestLike.abort}. */
  onabort: ((event: never) => void) | null;
  /** Starts a request. */
  open(method: string, url: string): void;
  /** Sets a request header (after `open`). */
  setRequestHeader(name: string, value: string): void;
  /** Sends the body. */
  send(body: Blob): void;
  /** Cancels the request. */
  abort(): void;
}

/** An `XMLHttpRequest` class: `new XMLHttpRequest()`. */
export type XMLHttpRequestConstructor = new () => XMLHttpRequestLike;

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
