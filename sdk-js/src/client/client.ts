/**
 * {@link CaasClient}: the real-time connection, request/reply, cursor resume,
 * reconnection, and the chat API on top.
 *
 * @packageDocumentation
 */

import { DEFAULT_RECONNECT } from '../core/backoff.js';
import { CalendarApi } from '../calendar/calendar.js';
import { CallsApi } from '../calls/calls.js';
import { ContactsApi, ConversationsApi, MessagesApi, PresenceApi, TypingApi, UsersApi } from '../chat/chat.js';
import type { CaasClientOptions, ConnectionState, RequestOptions } from './options.js';
import { CollabApi } from '../collab/collab.js';
import { Connection } from './connection.js';
import { DocsApi } from '../collab/docs.js';
// AuthError, ConnectionError, RequestError, TimeoutError and ClientEvent: for the {@link} tags.
import { CaasError, type AuthError, type ConnectionError, type RequestError, type TimeoutError } from '../core/errors.js';
import { TypedEmitter, type ClientEvent, type ClientEventMap } from './events.js';
import { FilesApi } from '../files/files.js';
import { NotificationsApi } from '../notifications/notifications.js';
import { FeedApi, ObjectsApi } from '../feed/objects.js';
import { RestClient } from '../core/rest.js';
import { TasksApi } from '../tasks/tasks.js';
import { TokenSource } from '../core/tokens.js';
import type { FetchLike, XMLHttpRequestConstructor } from '../core/transport.js';
import type { OpName, Ops } from './ops.js';
import type { JsonObject, SessionReady, User } from '../core/wire.js';

export type { CaasClientOptions, ConnectionState, RequestOptions } from './options.js';
export { MAX_FRAME_BYTES } from './requests.js';
export { isNewer, isRetryable } from './protocol.js';

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
  /** Calls over the socket and WebRTC: voice, video and screen share through the server's SFU. */
  readonly calls: CallsApi;
  /** Collaborative documents over REST: create, list, content, roles, versions, delete. */
  readonly docs: DocsApi;
  /** Live documents: a Yjs document synced over y-websocket, with awareness. */
  readonly collab: CollabApi;
  /** Posts, stories and reels over REST: create (with media uploads), likes, comments, views, shares, close friends. */
  readonly objects: ObjectsApi;
  /** The feeds over REST: home, explore and the stories strip. */
  readonly feed: FeedApi;
  /** Notifications over REST: list, unread count, mark read, preferences, web push; live as `notification.new`. */
  readonly notifications: NotificationsApi;
  /** Calendar events over REST: create, RSVP, occurrences in a range, free/busy, `.ics` feed and import. */
  readonly calendar: CalendarApi;
  /** Tasks over REST: create (also from a message), list, board, change, comments, activity. */
  readonly tasks: TasksApi;
  /** REST calls with the session token. */
  readonly rest: RestClient;

  private readonly baseUrl: string;
  private readonly connection: Connection;

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
    const tokens = new TokenSource(options.token, options.tokenProvider);
    const globalFetch = (globalThis as { fetch?: FetchLike }).fetch;
    const fetchImpl: FetchLike =
      options.fetch ??
      ((url, init) => {
        if (!globalFetch) throw new CaasError('no_fetch', 'no global fetch: pass options.fetch');
        return globalFetch(url, init);
      });
    const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    if (options.onListenerError) this.onListenerError = options.onListenerError;
    this.rest = new RestClient({
      baseUrl: this.httpBase(),
      fetch: fetchImpl,
      tokens,
      timeoutMs: requestTimeoutMs,
    });
    this.connection = new Connection({
      httpBase: this.httpBase(),
      tokens,
      rest: this.rest,
      WebSocket: options.WebSocket,
      requestTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      reconnect: { ...DEFAULT_RECONNECT, ...options.reconnect },
      random: options.random ?? Math.random,
      cursor: options.cursor,
      events: this,
    });
    this.conversations = new ConversationsApi(this);
    this.messages = new MessagesApi(this);
    this.typing = new TypingApi(this);
    this.presence = new PresenceApi(this);
    this.contacts = new ContactsApi(this);
    this.users = new UsersApi(this);
    this.calls = new CallsApi(this);
    const globalXhr = (globalThis as { XMLHttpRequest?: XMLHttpRequestConstructor }).XMLHttpRequest;
    this.files = new FilesApi({
      baseUrl: this.httpBase(),
      tokens,
      fetch: fetchImpl,
      XMLHttpRequest: options.XMLHttpRequest === null ? undefined : (options.XMLHttpRequest ?? globalXhr),
      rest: this.rest,
    });
    this.docs = new DocsApi(this.rest);
    this.objects = new ObjectsApi({ rest: this.rest, upload: (blob, opts) => this.files.upload(blob, opts) });
    this.feed = new FeedApi(this.rest);
    this.notifications = new NotificationsApi(this.rest);
    this.calendar = new CalendarApi(this.rest, this.httpBase(), tokens);
    this.tasks = new TasksApi(this.rest);
    this.collab = new CollabApi({ baseUrl: this.httpBase(), tokens, WebSocket: options.WebSocket });
  }

  /** State of the real-time connection. */
  get state(): ConnectionState {
    return this.connection.state;
  }

  /**
   * The newest cursor seen: that of `session.ready` or of the latest persistent
   * event. The next connection resumes from it. Save it to resume after a
   * restart (option `cursor`).
   */
  get cursor(): string | undefined {
    return this.connection.cursor;
  }

  /** The connected user, from the latest `session.ready`. */
  get user(): User | undefined {
    return this.connection.user;
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
    return this.connection.connect();
  }

  /**
   * Closes the connection for good: no reconnection follows. Pending requests
   * reject with {@link ConnectionError} `client_disconnected`; emits
   * {@link ClientEvent.Disconnected} with reason `client` if the client was
   * connected or trying to be. The cursor is kept, so a later
   * {@link CaasClient.connect} resumes where this one stopped.
   */
  disconnect(): void {
    this.connection.disconnect();
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
  waitUntilConnected(timeoutMs?: number): Promise<void> {
    return this.connection.waitUntilConnected(timeoutMs);
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
    return this.connection.request(op, data, options);
  }

  private httpBase(): string {
    return this.baseUrl.replace(/^ws(s?):/i, 'http$1:');
  }
}
