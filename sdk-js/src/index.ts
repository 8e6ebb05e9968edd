/**
 * `@caas/sdk`: the JavaScript/TypeScript client of CAAS (Chat-As-A-Service).
 *
 * @packageDocumentation
 */

export { CaasClient, MAX_FRAME_BYTES, isNewer, isRetryable } from './client.js';
export type { CaasClientOptions, ConnectionState, RequestOptions } from './client.js';

export { ContactsApi, ConversationsApi, MessagesApi, PresenceApi, TypingApi, UsersApi, newClientMsgId } from './chat.js';
export type {
  CreateConversationInput,
  HistoryOptions,
  ListConversationsOptions,
  SearchMessagesOptions,
  SearchUsersOptions,
  SendMessageOptions,
  UpdateSettingsInput,
} from './chat.js';

export { FilesApi, MAX_ATTACHMENTS, attachmentOf } from './files.js';
export type { FileUrlOptions, FilesApiConfig, UploadOptions } from './files.js';

export {
  ABORTED,
  AuthError,
  CaasError,
  ConnectionError,
  ConnectionErrorCode,
  INVALID_TOKEN,
  RequestError,
  TimeoutError,
  serverError,
} from './errors.js';
export type { CaasErrorOptions, ConnectionErrorOptions } from './errors.js';

export { ClientEvent, TypedEmitter } from './events.js';
export type {
  ClientEventMap,
  ConnectedEvent,
  DisconnectedEvent,
  EventMap,
  Listener,
  ReconnectingEvent,
} from './events.js';

export { DEFAULT_RECONNECT, backoffCap, backoffDelay } from './backoff.js';
export type { ReconnectOptions, ResolvedReconnectOptions } from './backoff.js';

export { RestClient, joinUrl } from './rest.js';
export type { QueryParams, RestClientConfig, RestRequestOptions } from './rest.js';

export { TOKEN_PROVIDER_FAILED, TokenSource } from './tokens.js';
export type { TokenProvider } from './tokens.js';

export { WS_OPEN } from './transport.js';
export type {
  CloseEventLike,
  FetchInit,
  FetchLike,
  MessageEventLike,
  ProgressEventLike,
  ResponseLike,
  WebSocketConstructor,
  WebSocketLike,
  XMLHttpRequestConstructor,
  XMLHttpRequestLike,
} from './transport.js';

export type * from './types.js';
