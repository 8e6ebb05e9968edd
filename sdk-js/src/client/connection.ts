/**
 * The real-time connection of {@link CaasClient} as a state machine:
 * `disconnected` → `connecting` → `connected` ⇄ `reconnecting`. Opens the
 * socket and waits for `session.ready` (refreshing a refused token once),
 * dispatches frames (replies to their requests, pushes as events, deduplicated
 * by cursor), and reconnects with backoff after an unexpected close.
 *
 * @packageDocumentation
 */

import { backoffDelay, type ResolvedReconnectOptions } from '../core/backoff.js';
import type { CaasClient } from './client.js';
import type { ConnectionState, RequestOptions } from './options.js';
import {
  AuthError,
  CaasError,
  ConnectionError,
  ConnectionErrorCode,
  INVALID_TOKEN,
  RequestError,
  TimeoutError,
} from '../core/errors.js';
import { ClientEvent, type ClientEventMap, type TypedEmitter } from './events.js';
import {
  HandshakeFailure,
  asCaasError,
  isNewer,
  isRetryable,
  isSessionReady,
  parseFrame,
  upgradeError,
  upgradeStatus,
} from './protocol.js';
import { PendingRequests } from './requests.js';
import { describe, joinUrl, type RestClient } from '../core/rest.js';
import type { TokenSource } from '../core/tokens.js';
import {
  WS_OPEN,
  type CloseEventLike,
  type MessageEventLike,
  type WebSocketConstructor,
  type WebSocketLike,
} from '../core/transport.js';
import type { JsonValue, PushFrame, SessionReady, User } from '../core/wire.js';

/** What a {@link Connection} needs from its client. */
export interface ConnectionConfig {
  /** `http(s)://…` base URL of the server. */
  httpBase: string;
  /** The session token, and its refresh. */
  tokens: TokenSource;
  /** REST calls, to diagnose a refused upgrade in a browser. */
  rest: RestClient;
  /** WebSocket class (default: the global `WebSocket`). */
  WebSocket: WebSocketConstructor | undefined;
  /** Time allowed for each request's reply, in milliseconds. */
  requestTimeoutMs: number;
  /** Time allowed from opening the socket to `session.ready`, in milliseconds. */
  connectTimeoutMs: number;
  /** Reconnection after an unexpected close. */
  reconnect: ResolvedReconnectOptions;
  /** Source of randomness for the backoff jitter. */
  random: () => number;
  /** The cursor to resume from on the first connection. */
  cursor: string | undefined;
  /** Where events are emitted (the client). */
  events: TypedEmitter<ClientEventMap>;
}

/** The real-time connection behind a {@link CaasClient}: see there for what each public method does. */
export class Connection {
  private readonly httpBase: string;
  private readonly tokens: TokenSource;
  private readonly rest: RestClient;
  private readonly WebSocketImpl: WebSocketConstructor | undefined;
  private readonly requestTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly reconnectOptions: ResolvedReconnectOptions;
  private readonly random: () => number;
  private readonly events: TypedEmitter<ClientEventMap>;

  private connState: ConnectionState = 'disconnected';
  private socket: WebSocketLike | undefined;
  private socketToken: string | undefined;
  private lastCursor: string | undefined;
  private currentUser: User | undefined;
  private session: SessionReady | undefined;
  private readonly requests = new PendingRequests();
  /** Bumped by connect() and disconnect(): work started under an older epoch stops. */
  private epoch = 0;
  private connecting: Promise<SessionReady> | undefined;
  private wakeReconnect: (() => void) | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(config: ConnectionConfig) {
    this.httpBase = config.httpBase;
    this.tokens = config.tokens;
    this.rest = config.rest;
    this.WebSocketImpl = config.WebSocket;
    this.requestTimeoutMs = config.requestTimeoutMs;
    this.connectTimeoutMs = config.connectTimeoutMs;
    this.reconnectOptions = config.reconnect;
    this.random = config.random;
    this.lastCursor = config.cursor;
    this.events = config.events;
  }

  /** State of the connection. */
  get state(): ConnectionState {
    return this.connState;
  }

  /** The newest cursor seen. */
  get cursor(): string | undefined {
    return this.lastCursor;
  }

  /** The connected user, from the latest `session.ready`. */
  get user(): User | undefined {
    return this.currentUser;
  }

  /** Opens the connection and resolves with `session.ready` (see {@link CaasClient.connect}). */
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

  /** Closes the connection for good (see {@link CaasClient.disconnect}). */
  disconnect(): void {
    this.epoch++;
    const wasActive = this.connState !== 'disconnected';
    this.connState = 'disconnected';
    this.stopReconnectWait();
    const sock = this.socket;
    this.socket = undefined;
    this.requests.rejectAll(
      new ConnectionError(ConnectionErrorCode.ClientDisconnected, 'the client disconnected'),
    );
    if (sock) {
      try {
        sock.close(1000, 'client disconnect');
      } catch {
        // Already closing.
      }
    }
    if (wasActive) this.events.emit(ClientEvent.Disconnected, { reason: 'client' });
  }

  /** Resolves once connected (see {@link CaasClient.waitUntilConnected}). */
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
      const offConnected = this.events.on(ClientEvent.Connected, () => {
        done();
        resolve();
      });
      const offDisconnected = this.events.on(ClientEvent.Disconnected, (ev) => {
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

  /** Sends an op and resolves with the reply's `data` (see {@link CaasClient.request}). */
  request(op: string, data: object | undefined, options: RequestOptions = {}): Promise<unknown> {
    const sock = this.socket;
    if (this.connState !== 'connected' || !sock || sock.readyState !== WS_OPEN) {
      return Promise.reject(new ConnectionError(ConnectionErrorCode.NotConnected, `cannot send ${op}: not connected`));
    }
    return this.requests.send(sock, op, data, options.timeoutMs ?? this.requestTimeoutMs);
  }

  private wsUrl(token: string): string {
    const url = new URL(joinUrl(this.httpBase, '/v1/ws'));
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
    this.events.emit(ClientEvent.SessionReady, data, frame);
    this.events.emit(ClientEvent.Connected, { user: data.user, cursor: data.cursor, resumed });
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
    (this.events as unknown as { emit(event: string, ...args: unknown[]): boolean }).emit(name, data, push);
  }

  private handleReply(frame: Record<string, unknown>): void {
    this.requests.settle(frame, (code) => {
      if (code === INVALID_TOKEN && this.socketToken !== undefined && this.tokens.canRefresh) {
        // Fetch a fresh token now so the next connection uses it.
        this.tokens.refresh(this.socketToken).catch(() => undefined);
      }
    });
  }

  private onSocketClosed(sock: WebSocketLike, event: CloseEventLike): void {
    if (this.socket !== sock) return; // replaced or closed by disconnect()
    this.socket = undefined;
    const closeInfo = { closeCode: event.code, closeReason: event.reason };
    this.requests.rejectAll(
      new ConnectionError(
        ConnectionErrorCode.Closed,
        `the connection closed (${event.code}${event.reason ? ` ${event.reason}` : ''})`,
        closeInfo,
      ),
    );
    if (!this.reconnectOptions.enabled) {
      this.connState = 'disconnected';
      this.events.emit(ClientEvent.Disconnected, { reason: 'closed', ...closeInfo });
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
      this.events.emit(ClientEvent.Reconnecting, {
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
    this.events.emit(ClientEvent.Disconnected, { reason: 'error', error, ...closeInfo });
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
