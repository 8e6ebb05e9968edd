/**
 * {@link CaasClient}: the real-time connection, request/reply, cursor resume,
 * reconnection, and the chat API on top.
 *
 * @packageDocumentation
 */

import { DEFAULT_RECONNECT, backoffDelay, type ReconnectOptions, type ResolvedReconnectOptions } from './backoff.js';
import { ContactsApi, ConversationsApi, MessagesApi, PresenceApi, TypingApi, UsersApi } from './chat.js';
import {
  AuthError,
  CaasError,
  ConnectionError,
  ConnectionErrorCode,
  INVALID_TOKEN,
  RequestError,
  TimeoutError,
  serverError,
} from './errors.js';
import { ClientEvent, TypedEmitter, type ClientEventMap } from './events.js';
import { FilesApi } from './files.js';
import { RestClient, describe, joinUrl } from './rest.js';
import { TOKEN_PROVIDER_FAILED, TokenSource, type TokenProvider } from './tokens.js';
import {
  WS_OPEN,
  type CloseEventLike,
  type FetchLike,
  type MessageEventLike,
  type WebSocketConstructor,
  type WebSocketLike,
  type XMLHttpRequestConstructor,
} from './transport.js';
import type { JsonObject, JsonValue, OpName, Ops, PushFrame, SessionReady, User } from './types.js';

/** Largest frame the server accepts; a larger one would close the connection (1009). */
export const MAX_FRAME_BYTES = 64 * 1024;

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

interface Pending {
  op: string;
  resolve: (data: unknown) => void;
  reject: (error: CaasError) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** The socket closed (or never opened) before `session.ready`. */
class HandshakeFailure {
  constructor(
    readonly opened: boolean,
    readonly status: number | undefined,
    readonly close: CloseEventLike | undefined,
  ) {}
}

/**
 * The CAAS client: one real-time WebSocket per client, with request/reply ops,
 * server pushes emitted as events, resume by cursor and automatic reconnection,
 * plus REST helpers.
 *
 * ```ts
 * const client = new CaasClient({ url: 'https://chat.example.com', tokenProvider });
 * client.on(ClientEvent.MessageNew, ({ message }) => render(message));
 * await client.connect();
 * await client.messages.send(conversationId, 'hi');
 * ```
 */
export class CaasClient extends TypedEmitter<ClientEventMap> {
  /** Conversation ops over the socket. */
  readonly conversations: ConversationsApi;
  /** Message ops over the socket: send, edit, delete, pin, reactions. */
  readonly messages: MessagesApi;
  /** Typing indicators over the socket. */
  readonly typing: TypingApi;
  /** Presence over the socket. */
  readonly presence: PresenceApi;
  /** Contacts over the socket: list, request, accept, decline, cancel, remove. */
  readonly contacts: ContactsApi;
  /** Users over the socket: follow, block, mute, search. */
  readonly users: UsersApi;
  /** Files over REST: upload with progress, download URLs for `<img src>`, metadata. */
  readonly files: FilesApi;
  /** REST calls with the session token. */
  readonly rest: RestClient;

  private readonly baseUrl: string;
  private readonly tokens: TokenSource;
  private readonly WebSocketImpl: WebSocketConstructor | undefined;
  private readonly fetchImpl: FetchLike;
  private readonly requestTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly reconnectOptions: ResolvedReconnectOptions;
  private readonly random: () => number;

  private connState: ConnectionState = 'disconnected';
  private socket: WebSocketLike | undefined;
  private socketToken: string | undefined;
  private lastCursor: string | undefined;
  private currentUser: User | undefined;
  private session: SessionReady | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  /** Bumped by connect() and disconnect(): work started under an older epoch stops. */
  private epoch = 0;
  private connecting: Promise<SessionReady> | undefined;
  private wakeReconnect: (() => void) | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;

  /** @param options - server URL, token or token provider, transports, timeouts and reconnection. */
  constructor(options: CaasClientOptions) {
    super();
    let base: URL;
    try {
      base = new URL(options.url);
    } catch (cause) {
      throw new CaasError('invalid_options', `url is not a URL: ${options.url}`, { cause });
    }
    if (!['http:', 'https:', 'ws:', 'wss:'].includes(base.protocol)) {
      throw new CaasError('invalid_options', `url must be http(s)://…, not ${options.url}`);
    }
    this.baseUrl = options.url.replace(/\/+$/, '');
    this.tokens = new TokenSource(options.token, options.tokenProvider);
    this.WebSocketImpl = options.WebSocket;
    const globalFetch = (globalThis as { fetch?: FetchLike }).fetch;
    this.fetchImpl =
      options.fetch ??
      ((url, init) => {
        if (!globalFetch) throw new CaasError('no_fetch', 'no global fetch: pass options.fetch');
        return globalFetch(url, init);
      });
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.reconnectOptions = { ...DEFAULT_RECONNECT, ...options.reconnect };
    this.random = options.random ?? Math.random;
    this.lastCursor = options.cursor;
    if (options.onListenerError) this.onListenerError = options.onListenerError;
    this.rest = new RestClient({
      baseUrl: this.httpBase(),
      fetch: this.fetchImpl,
      tokens: this.tokens,
      timeoutMs: this.requestTimeoutMs,
    });
    this.conversations = new ConversationsApi(this);
    this.messages = new MessagesApi(this);
    this.typing = new TypingApi(this);
    this.presence = new PresenceApi(this);
    this.contacts = new ContactsApi(this);
    this.users = new UsersApi(this);
    const globalXhr = (globalThis as { XMLHttpRequest?: XMLHttpRequestConstructor }).XMLHttpRequest;
    this.files = new FilesApi({
      baseUrl: this.httpBase(),
      tokens: this.tokens,
      fetch: this.fetchImpl,
      XMLHttpRequest: options.XMLHttpRequest === null ? undefined : (options.XMLHttpRequest ?? globalXhr),
      rest: this.rest,
    });
  }

  /** State of the real-time connection. */
  get state(): ConnectionState {
    return this.connState;
  }

  /**
   * The newest cursor seen: that of `session.ready` or of the latest persistent
   * event. The next connection resumes from it. Save it to resume after a
   * restart (option `cursor`).
   */
  get cursor(): string | undefined {
    return this.lastCursor;
  }

  /** The connected user, from the latest `session.ready`. */
  get user(): User | undefined {
    return this.currentUser;
  }

  /**
   * Opens the real-time connection and resolves with `session.ready`. When a
   * cursor is known, the server first replays every persistent event after it.
   *
   * If the upgrade is refused for the token and a `tokenProvider` is set, a
   * new token is fetched and the connection retried once. A first connection
   * that fails rejects (nothing is retried in the background); once connected,
   * unexpected closes are retried automatically.
   *
   * Calling it while connected resolves with the current session; while
   * connecting or reconnecting, it waits for that.
   *
   * @throws {@link AuthError} for a refused token, {@link RequestError} for
   *   another refusal (e.g. `origin_not_allowed`), {@link ConnectionError} or
   *   {@link TimeoutError} otherwise.
   */
  connect(): Promise<SessionReady> {
    if (this.connState === 'connected' && this.session) return Promise.resolve(this.session);
    if (this.connecting) return this.connecting;
    if (this.connState === 'reconnecting') {
      return this.waitUntilConnected(Number.POSITIVE_INFINITY).then(() => this.requireSession());
    }
    const epoch = ++this.epoch;
    this.connState = 'connecting';
    const attempt = (async () => {
      try {
        return await this.establish(epoch);
      } catch (error) {
        if (epoch === this.epoch) this.connState = 'disconnected';
        throw error;
      } finally {
        this.connecting = undefined;
      }
    })();
    this.connecting = attempt;
    return attempt;
  }

  /**
   * Closes the connection for good: no reconnection follows. Pending requests
   * reject with {@link ConnectionError} `client_disconnected`; emits
   * {@link ClientEvent.Disconnected} with reason `client` if the client was
   * connected or trying to be. The cursor is kept, so a later
   * {@link CaasClient.connect} resumes where this one stopped.
   */
  disconnect(): void {
    this.epoch++;
    const wasActive = this.connState !== 'disconnected';
    this.connState = 'disconnected';
    this.stopReconnectWait();
    const sock = this.socket;
    this.socket = undefined;
    this.rejectPending(
      new ConnectionError(ConnectionErrorCode.ClientDisconnected, 'the client disconnected'),
    );
    if (sock) {
      try {
        sock.close(1000, 'client disconnect');
      } catch {
        // Already closing.
      }
    }
    if (wasActive) this.emit(ClientEvent.Disconnected, { reason: 'client' });
  }

  /**
   * Resolves once the client is connected: at once when it is, or at the next
   * {@link ClientEvent.Connected}.
   *
   * @param timeoutMs - how long to wait (default: the reconnect cap plus the connect timeout).
   * @throws {@link ConnectionError} `not_connected` when the client is not
   *   connected and not trying to be, or when it stops while waiting;
   *   {@link TimeoutError} when the time runs out.
   */
  waitUntilConnected(timeoutMs = this.reconnectOptions.maxDelayMs + this.connectTimeoutMs): Promise<void> {
    if (this.connState === 'connected') return Promise.resolve();
    if (this.connState === 'disconnected') {
      return Promise.reject(new ConnectionError(ConnectionErrorCode.NotConnected, 'the client is not connected'));
    }
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = (): void => {
        offConnected();
        offDisconnected();
        if (timer !== undefined) clearTimeout(timer);
      };
      const offConnected = this.on(ClientEvent.Connected, () => {
        done();
        resolve();
      });
      const offDisconnected = this.on(ClientEvent.Disconnected, (ev) => {
        done();
        reject(ev.error ?? new ConnectionError(ConnectionErrorCode.NotConnected, 'the client disconnected'));
      });
      if (Number.isFinite(timeoutMs)) {
        timer = setTimeout(() => {
          done();
          reject(new TimeoutError(`not connected within ${timeoutMs} ms`, timeoutMs));
        }, timeoutMs);
      }
    });
  }

  /**
   * Sends an op and resolves with the reply's `data`.
   *
   * @throws {@link RequestError} with the server's code when it replies
   *   `ok: false`; {@link TimeoutError} when no reply comes in time;
   *   {@link ConnectionError} when not connected or when the socket closes
   *   before the reply.
   */
  request<K extends OpName>(op: K, data: Ops[K]['data'], options?: RequestOptions): Promise<Ops[K]['reply']>;
  /** Sends an op this SDK has no type for; resolves with the reply's `data`. */
  request(op: string, data?: JsonObject, options?: RequestOptions): Promise<unknown>;
  request(op: string, data?: object, options: RequestOptions = {}): Promise<unknown> {
    const sock = this.socket;
    if (this.connState !== 'connected' || !sock || sock.readyState !== WS_OPEN) {
      return Promise.reject(new ConnectionError(ConnectionErrorCode.NotConnected, `cannot send ${op}: not connected`));
    }
    const id = ++this.nextId;
    const text = JSON.stringify({ id, op, data: data ?? {} });
    if (byteLength(text) > MAX_FRAME_BYTES) {
      return Promise.reject(
        new CaasError('frame_too_large', `${op}: the frame exceeds ${MAX_FRAME_BYTES} bytes`),
      );
    }
    const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new TimeoutError(`${op} got no reply in ${timeoutMs} ms`, timeoutMs));
      }, timeoutMs);
      this.pending.set(id, { op, resolve, reject, timer });
      try {
        sock.send(text);
      } catch (cause) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new ConnectionError(ConnectionErrorCode.Closed, `cannot send ${op}: ${describe(cause)}`, { cause }));
      }
    });
  }

  // ----- connection internals -----

  private httpBase(): string {
    return this.baseUrl.replace(/^ws(s?):/i, 'http$1:');
  }

  private wsUrl(token: string): string {
    const url = new URL(joinUrl(this.httpBase(), '/v1/ws'));
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('token', token);
    if (this.lastCursor !== undefined) url.searchParams.set('cursor', this.lastCursor);
    return url.toString();
  }

  private requireSession(): SessionReady {
    if (!this.session) throw new ConnectionError(ConnectionErrorCode.NotConnected, 'the client is not connected');
    return this.session;
  }

  /** One connection, with one token refresh when the upgrade is refused for the token. */
  private async establish(epoch: number): Promise<SessionReady> {
    let refreshed = false;
    for (;;) {
      const token = await this.tokens.get();
      this.assertEpoch(epoch);
      try {
        return await this.open(token, epoch);
      } catch (failure) {
        this.assertEpoch(epoch);
        if (!(failure instanceof HandshakeFailure)) throw failure;
        const error = await this.diagnose(failure);
        this.assertEpoch(epoch);
        if (error instanceof AuthError && this.tokens.canRefresh && !refreshed) {
          refreshed = true;
          await this.tokens.refresh(token);
          continue;
        }
        throw error;
      }
    }
  }

  private assertEpoch(epoch: number): void {
    if (epoch !== this.epoch) {
      throw new ConnectionError(ConnectionErrorCode.ClientDisconnected, 'the client disconnected');
    }
  }

  /** Opens a socket and resolves on `session.ready`; rejects with a {@link HandshakeFailure} when it closes first. */
  private open(token: string, epoch: number): Promise<SessionReady> {
    const Impl = this.WebSocketImpl ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Impl) {
      return Promise.reject(
        new CaasError('no_websocket', 'no global WebSocket: pass options.WebSocket (e.g. from the ws package)'),
      );
    }
    return new Promise<SessionReady>((resolve, reject) => {
      let sock: WebSocketLike;
      try {
        sock = new Impl(this.wsUrl(token));
      } catch (cause) {
        reject(new ConnectionError(ConnectionErrorCode.ConnectFailed, `cannot open the WebSocket: ${describe(cause)}`, { cause }));
        return;
      }
      this.socket = sock;
      this.socketToken = token;
      let opened = false;
      let ready = false;
      let settled = false;
      let status: number | undefined;
      const settle = (error: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error);
      };
      const abandon = (error: unknown, code: number, reason: string): void => {
        settle(error);
        if (this.socket === sock) this.socket = undefined;
        try {
          sock.close(code, reason);
        } catch {
          // Already closed.
        }
      };
      const timer = setTimeout(() => {
        abandon(
          new TimeoutError(`no session.ready within ${this.connectTimeoutMs} ms`, this.connectTimeoutMs),
          1000,
          'connect timeout',
        );
      }, this.connectTimeoutMs);

      sock.onopen = () => {
        opened = true;
      };
      sock.onerror = ((event: { message?: unknown }) => {
        const found = upgradeStatus(event);
        if (found !== undefined) status = found;
      }) as (event: never) => void;
      sock.onmessage = ((event: MessageEventLike) => {
        if (settled && !ready) return;
        const frame = parseFrame(event.data);
        if (ready) {
          if (frame) this.handleFrame(frame);
          return;
        }
        if (epoch !== this.epoch) {
          abandon(new ConnectionError(ConnectionErrorCode.ClientDisconnected, 'the client disconnected'), 1000, 'client disconnect');
          return;
        }
        const data = frame?.['data'];
        if (!frame || frame['event'] !== 'session.ready' || !isSessionReady(data)) {
          abandon(
            new ConnectionError(ConnectionErrorCode.Protocol, 'the first frame was not session.ready'),
            1002,
            'expected session.ready',
          );
          return;
        }
        ready = true;
        settled = true;
        clearTimeout(timer);
        this.onSessionReady(data, frame as unknown as PushFrame);
        resolve(data);
      }) as (event: never) => void;
      sock.onclose = ((event: CloseEventLike) => {
        if (ready) {
          this.onSocketClosed(sock, event);
          return;
        }
        if (this.socket === sock) this.socket = undefined;
        settle(new HandshakeFailure(opened, status, event));
      }) as (event: never) => void;
    });
  }

  /** Turns a failed handshake into the error it stands for. */
  private async diagnose(failure: HandshakeFailure): Promise<CaasError> {
    const closeInfo = failure.close
      ? { closeCode: failure.close.code, closeReason: failure.close.reason }
      : {};
    if (failure.opened) {
      return new ConnectionError(
        ConnectionErrorCode.Closed,
        `the connection closed before session.ready${failure.close ? ` (${failure.close.code} ${failure.close.reason})` : ''}`,
        closeInfo,
      );
    }
    if (failure.status !== undefined) return upgradeError(failure.status);
    // A browser does not tell why an upgrade failed: ask the REST API with the
    // same token whether it is the token or the origin.
    try {
      await this.rest.request('GET', '/v1/me', { refreshOnInvalidToken: false, timeoutMs: this.connectTimeoutMs });
    } catch (error) {
      if (error instanceof RequestError && (error.status === 401 || error.status === 403)) return error;
      // Network trouble or a server error: retryable below.
    }
    return new ConnectionError(ConnectionErrorCode.ConnectFailed, 'the WebSocket could not be opened', closeInfo);
  }

  private onSessionReady(data: SessionReady, frame: PushFrame): void {
    const resumed = this.lastCursor !== undefined;
    this.lastCursor = data.cursor;
    this.currentUser = data.user;
    this.session = data;
    this.connState = 'connected';
    this.emit(ClientEvent.SessionReady, data, frame);
    this.emit(ClientEvent.Connected, { user: data.user, cursor: data.cursor, resumed });
  }

  private handleFrame(frame: Record<string, unknown>): void {
    if (typeof frame['ok'] === 'boolean' && 'id' in frame) {
      this.handleReply(frame);
      return;
    }
    const name = frame['event'];
    if (typeof name !== 'string') return;
    const cursor = frame['cursor'];
    if (typeof cursor === 'string') {
      // Events arrive in cursor order, each once; one at or before the cursor
      // already processed is a duplicate.
      if (!isNewer(cursor, this.lastCursor)) return;
      this.lastCursor = cursor;
    }
    const data = (frame['data'] ?? null) as JsonValue;
    const push: PushFrame = typeof cursor === 'string' ? { event: name, data, cursor } : { event: name, data };
    (this.emit as (event: string, ...args: unknown[]) => boolean)(name, data, push);
  }

  private handleReply(frame: Record<string, unknown>): void {
    const id = frame['id'];
    if (typeof id !== 'number') return;
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (frame['ok'] === true) {
      p.resolve(frame['data']);
      return;
    }
    const err = frame['error'] as { code?: unknown; message?: unknown } | undefined;
    const code = typeof err?.code === 'string' ? err.code : 'unknown_error';
    const message = typeof err?.message === 'string' ? err.message : `${p.op} failed`;
    if (code === INVALID_TOKEN && this.socketToken !== undefined && this.tokens.canRefresh) {
      // Fetch a fresh token now so the next connection uses it.
      this.tokens.refresh(this.socketToken).catch(() => undefined);
    }
    p.reject(serverError(code, message, { op: p.op }));
  }

  private rejectPending(error: CaasError): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) {
      clearTimeout(p.timer);
      p.reject(error);
    }
  }

  private onSocketClosed(sock: WebSocketLike, event: CloseEventLike): void {
    if (this.socket !== sock) return; // replaced or closed by disconnect()
    this.socket = undefined;
    const closeInfo = { closeCode: event.code, closeReason: event.reason };
    this.rejectPending(
      new ConnectionError(
        ConnectionErrorCode.Closed,
        `the connection closed (${event.code}${event.reason ? ` ${event.reason}` : ''})`,
        closeInfo,
      ),
    );
    if (!this.reconnectOptions.enabled) {
      this.connState = 'disconnected';
      this.emit(ClientEvent.Disconnected, { reason: 'closed', ...closeInfo });
      return;
    }
    this.connState = 'reconnecting';
    void this.reconnectLoop(this.epoch, closeInfo);
  }

  private async reconnectLoop(epoch: number, closeInfo: { closeCode: number; closeReason: string }): Promise<void> {
    let lastError: CaasError | undefined;
    for (let attempt = 1; ; attempt++) {
      if (epoch !== this.epoch) return;
      if (attempt > this.reconnectOptions.maxAttempts) {
        this.fail(
          new ConnectionError(
            ConnectionErrorCode.ReconnectFailed,
            `reconnection gave up after ${attempt - 1} attempts${lastError ? `: ${lastError.message}` : ''}`,
            { cause: lastError, ...closeInfo },
          ),
          closeInfo,
        );
        return;
      }
      const delayMs = backoffDelay(attempt, this.reconnectOptions, this.random);
      this.emit(ClientEvent.Reconnecting, {
        attempt,
        delayMs,
        ...closeInfo,
        ...(lastError ? { error: lastError } : {}),
      });
      await this.sleep(delayMs);
      if (epoch !== this.epoch) return;
      try {
        await this.establish(epoch);
        return;
      } catch (error) {
        if (epoch !== this.epoch) return;
        const err = asCaasError(error);
        if (!isRetryable(err)) {
          this.fail(err, closeInfo);
          return;
        }
        lastError = err;
      }
    }
  }

  private fail(error: CaasError, closeInfo: { closeCode: number; closeReason: string }): void {
    this.epoch++;
    this.connState = 'disconnected';
    this.emit(ClientEvent.Disconnected, { reason: 'error', error, ...closeInfo });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeReconnect = resolve;
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = undefined;
        this.wakeReconnect = undefined;
        resolve();
      }, ms);
    });
  }

  private stopReconnectWait(): void {
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const wake = this.wakeReconnect;
    this.wakeReconnect = undefined;
    wake?.();
  }
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

function asCaasError(error: unknown): CaasError {
  if (error instanceof CaasError) return error;
  return new ConnectionError(ConnectionErrorCode.ConnectFailed, describe(error), { cause: error });
}

/** The error a refused upgrade with HTTP `status` stands for (see docs/protocol.md). */
function upgradeError(status: number): RequestError | ConnectionError {
  const opts = { status, op: 'GET /v1/ws' };
  if (status === 401) return new AuthError(INVALID_TOKEN, 'the session token was refused', opts);
  if (status === 403) return new RequestError('origin_not_allowed', 'this origin is not allowed for the app', opts);
  if (status === 400) return new RequestError('invalid_cursor', 'the server refused the upgrade (bad cursor or request)', opts);
  if (status === 429) return new RequestError('rate_limited', 'too many requests', opts);
  if (status >= 500) return new RequestError(`http_${status}`, `the server failed the upgrade (${status})`, opts);
  return new ConnectionError(ConnectionErrorCode.ConnectFailed, `the upgrade was refused with HTTP ${status}`, { status });
}

/** The HTTP status the `ws` package reports for a refused upgrade ("Unexpected server response: 401"). */
function upgradeStatus(event: { message?: unknown }): number | undefined {
  const message = typeof event?.message === 'string' ? event.message : undefined;
  const m = message?.match(/Unexpected server response: (\d{3})/);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

function parseFrame(data: unknown): Record<string, unknown> | undefined {
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

function isSessionReady(v: unknown): v is SessionReady {
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

function byteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}
