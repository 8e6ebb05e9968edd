/**
 * Live collaboration (`client.collab`): a Yjs document kept in sync with the
 * server over `GET /v1/collab/{doc_id}` (the y-websocket protocol), with
 * awareness (cursors, names) and typed events.
 *
 * @packageDocumentation
 */

// Types only at the top: yjs, y-websocket and y-protocols load on the first
// `open()`, so that dist/index.js keeps no static bare import (pages such as
// the demo load it as it is, without a bundler or an import map).
import type { WebsocketProvider } from 'y-websocket';
import type { Awareness } from 'y-protocols/awareness';
import type * as Y from 'yjs';

import { TypedEmitter } from '../client/events.js';
import type { TokenSource } from '../core/tokens.js';
import type { WebSocketConstructor } from '../core/transport.js';

/** The y-protocols message type of auth messages (permission denied). */
const MESSAGE_AUTH = 2;

/** Events of a {@link CollabSession}. */
export enum CollabEvent {
  /** The connection state changed: `{status}`. */
  Status = 'status',
  /** The document finished (or lost) its initial sync with the server: `{synced}`. */
  Synced = 'synced',
  /**
   * The server refused a change of ours (we are a viewer): `{reason}`. The
   * change stays in the local document but reaches nobody.
   */
  PermissionDenied = 'permissionDenied',
  /**
   * The server closed the connection for good (close codes 4400–4499, e.g.
   * 4404 when the document was deleted): `{code, reason}`. No reconnection follows.
   */
  Closed = 'closed',
}

/** Connection state of a {@link CollabSession}. */
export type CollabStatus = 'connecting' | 'connected' | 'disconnected';

/** Listener arguments of each {@link CollabEvent}. */
export type CollabEventMap = {
  [CollabEvent.Status]: [{ status: CollabStatus }];
  [CollabEvent.Synced]: [{ synced: boolean }];
  [CollabEvent.PermissionDenied]: [{ reason: string }];
  [CollabEvent.Closed]: [{ code: number; reason: string }];
};

/** Options of {@link CollabApi.open}. */
export interface OpenDocOptions {
  /** The Yjs document to sync (default: a new one). */
  doc?: Y.Doc;
  /** Connect at once (default `true`); else call `session.connect()`. */
  connect?: boolean;
  /** Largest delay between reconnection attempts, in ms (y-websocket's `maxBackoffTime`, default 2500). */
  maxBackoffMs?: number;
}

/** Configuration of {@link CollabApi}. */
export interface CollabApiConfig {
  /** `http(s)://host[:port][/prefix]` of the server. */
  baseUrl: string;
  /** The session token. */
  tokens: TokenSource;
  /** The WebSocket class, if not the global one (Node before 22: `ws`). */
  WebSocket: WebSocketConstructor | undefined;
}

/**
 * One open document: the Yjs `doc`, its `awareness`, and the y-websocket
 * `provider` that syncs them. Emits {@link CollabEvent}s.
 */
export class CollabSession extends TypedEmitter<CollabEventMap> {
  /** The shared document. */
  readonly doc: Y.Doc;
  /** Presence of the document's clients (set yours with `awareness.setLocalStateField('user', {...})`). */
  readonly awareness: Awareness;
  /** The unmodified y-websocket provider, for editor bindings (y-prosemirror, y-codemirror…). */
  readonly provider: WebsocketProvider;
  /** The document id. */
  readonly docId: string;

  /** @internal */
  constructor(docId: string, provider: WebsocketProvider) {
    super();
    this.docId = docId;
    this.provider = provider;
    this.doc = provider.doc;
    this.awareness = provider.awareness;
    provider.on('status', ({ status }) => this.emit(CollabEvent.Status, { status }));
    provider.on('sync', (synced: boolean) => this.emit(CollabEvent.Synced, { synced }));
    provider.on('closed', ({ code, reason }) => this.emit(CollabEvent.Closed, { code, reason }));
  }

  /** Whether the document is in sync with the server. */
  get synced(): boolean {
    return this.provider.synced;
  }

  /** Whether the WebSocket is open. */
  get connected(): boolean {
    return this.provider.wsconnected;
  }

  /** Resolves once synced (at once when it is). */
  whenSynced(): Promise<void> {
    if (this.provider.synced) return Promise.resolve();
    return new Promise((resolve) => {
      const off = this.on(CollabEvent.Synced, ({ synced }) => {
        if (synced) {
          off();
          resolve();
        }
      });
    });
  }

  /** Reconnects after {@link CollabSession.disconnect} or a {@link CollabEvent.Closed}. */
  connect(): void {
    this.provider.connect();
  }

  /** Closes the connection (local edits keep accumulating and sync on `connect()`). */
  disconnect(): void {
    this.provider.disconnect();
  }

  /** Closes the connection and releases the provider (the `doc` stays usable offline). */
  destroy(): void {
    this.provider.destroy();
  }

  /** @internal: called by the provider's auth message handler. */
  denied(reason: string): void {
    this.emit(CollabEvent.PermissionDenied, { reason });
  }
}

/**
 * Live documents (`client.collab`).
 *
 * ```ts
 * const session = await client.collab.open(docId);
 * session.awareness.setLocalStateField('user', { name: 'Alice' });
 * await session.whenSynced();
 * session.doc.getText('text').insert(0, 'Hello');
 * ```
 */
export class CollabApi {
  private readonly cfg: CollabApiConfig;

  /** @param cfg - base URL, token source and WebSocket class. */
  constructor(cfg: CollabApiConfig) {
    this.cfg = cfg;
  }

  /**
   * Opens `GET /v1/collab/{docId}` with the session token (asking the token
   * provider first if there is no token yet). Each reconnection uses the
   * current token; when a connection closes before it ever opened (an expired
   * token is refused at the upgrade) and a `tokenProvider` is set, the token
   * is refreshed for the next attempt.
   */
  async open(docId: string, options: OpenDocOptions = {}): Promise<CollabSession> {
    const tokens = this.cfg.tokens;
    let token = await tokens.get();
    const wsBase = `${this.cfg.baseUrl.replace(/^http/i, 'ws').replace(/\/+$/, '')}/v1/collab`;
    const WS = this.cfg.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    const [{ WebsocketProvider }, { readAuthMessage }, Yjs] = await Promise.all([
      import('y-websocket'),
      import('y-protocols/auth'),
      import('yjs'),
    ]);
    const provider = new WebsocketProvider(wsBase, encodeURIComponent(docId), options.doc ?? new Yjs.Doc(), {
      connect: false,
      params: { token },
      disableBc: true,
      ...(WS ? { WebSocketPolyfill: WS as unknown as typeof WebSocket } : {}),
      ...(options.maxBackoffMs === undefined ? {} : { maxBackoffTime: options.maxBackoffMs }),
    });
    const session = new CollabSession(docId, provider);
    // Report permission denials (y-websocket only logs them).
    provider.messageHandlers[MESSAGE_AUTH] = (_encoder, decoder, p) => {
      readAuthMessage(decoder, p.doc, (_doc, reason) => session.denied(reason));
    };
    let opened = false;
    // At most one token refresh per outage, so that a server out of reach does not hammer the token provider.
    let refreshed = false;
    provider.on('status', ({ status }) => {
      if (status === 'connected') {
        opened = true;
        refreshed = false;
      }
    });
    provider.on('connection-close', () => {
      const refused = !opened;
      opened = false;
      // The next attempt runs after a backoff of at least 100 ms: give it the newest token.
      if (tokens.current !== undefined) token = tokens.current;
      provider.params = { ...provider.params, token };
      if (refused && !refreshed && tokens.canRefresh) {
        refreshed = true;
        const stale = token;
        tokens.refresh(stale).then(
          (fresh) => {
            token = fresh;
            provider.params = { ...provider.params, token: fresh };
          },
          () => undefined,
        );
      }
    });
    if (options.connect !== false) provider.connect();
    return session;
  }
}
