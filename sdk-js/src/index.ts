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

export { CallsApi, ROOM_ID_PATTERN } from './calls.js';
export type { JoinCallOptions } from './calls.js';
export { CallRoom } from './call-room.js';
export type { CallRoomState } from './call-room.js';
export { DATA_CHANNEL_LABEL, MAX_DATA_MESSAGE_BYTES } from './call-data.js';
export { CallEvent } from './call-events.js';
export type { CallDisconnectReason, CallDisconnectedEvent, CallRoomEventMap } from './call-events.js';
export { LocalParticipant, Participant, RemoteParticipant } from './call-participants.js';
export type {
  LocalTrackPublication,
  RemoteTrackPublication,
  ScreenShareOptions,
  TrackPublication,
} from './call-participants.js';
export {
  DEFAULT_AUDIO_CONSTRAINTS,
  DEFAULT_VIDEO_CONSTRAINTS,
  SIMULCAST_ENCODINGS,
  msidTracks,
  speakerLevel,
} from './call-media.js';
export type { CallMediaOptions, GetDisplayMedia, GetUserMedia, PeerConnectionFactory } from './call-media.js';

export { FilesApi, MAX_ATTACHMENTS, attachmentOf } from './files.js';
export type { FileUrlOptions, FilesApiConfig, UploadOptions } from './files.js';

export { DocsApi } from './docs.js';
export type { CreateDocInput, DocKind, DocMeta, DocPage, DocRole, DocVersion, DocWithRole, ListDocsQuery } from './docs.js';
export {
  FeedApi,
  OBJECT_KINDS,
  ObjectErrorCode,
  ObjectsApi,
  VISIBILITIES,
  objectRefOf,
} from './objects.js';
export type {
  CaasObject,
  CommentPage,
  CreateObjectInput,
  CreateObjectOptions,
  ExploreFeedQuery,
  ExploreSort,
  HomeFeedQuery,
  ListCommentsQuery,
  ListObjectsQuery,
  ObjectComment,
  ObjectKind,
  ObjectPage,
  ObjectPayload,
  ObjectRef,
  ObjectStats,
  ObjectViewer,
  ObjectsApiConfig,
  StoryRing,
  Visibility,
} from './objects.js';
export {
  NOTIFICATION_CATEGORIES,
  NOTIFICATION_CHANNELS,
  NotificationErrorCode,
  NotificationsApi,
  base64UrlBytes,
  notificationText,
} from './notifications.js';
export type {
  CaasNotification,
  ListNotificationsQuery,
  NotificationCategory,
  NotificationChannel,
  NotificationData,
  NotificationNewEvent,
  NotificationPage,
  NotificationPreference,
  PushRegistrationLike,
  PushSubscriptionInput,
  PushSubscriptionLike,
} from './notifications.js';
export { CalendarApi, CalendarErrorCode, wallClock } from './calendar.js';
export type {
  CalendarEvent,
  CreateEventInput,
  EventAttendee,
  EventOccurrence,
  EventPage,
  EventPayload,
  FreeBusy,
  OccurrencesQuery,
  OccurrencesResult,
  Rsvp,
  UpdateEventInput,
} from './calendar.js';
export { DEFAULT_TASK_STATUSES, TASK_PRIORITIES, TaskErrorCode, TasksApi, positionBetween } from './tasks.js';
export type {
  CreateTaskInput,
  ListTasksQuery,
  Task,
  TaskActivity,
  TaskBoard,
  TaskComment,
  TaskPage,
  TaskPayload,
  TaskPriority,
  UpdateTaskInput,
} from './tasks.js';
export { Pager, pageOf } from './paging.js';
export type { Page, PageFetcher } from './paging.js';
export { CollabApi, CollabEvent, CollabSession } from './collab.js';
export type { CollabApiConfig, CollabEventMap, CollabStatus, OpenDocOptions } from './collab.js';
// The rich-text model of `<caas-doc>` (no Lit, no ProseMirror): the element itself is in `@caas/sdk/components`.
export { DOC_FRAGMENT, docXmlText } from './components/doc-model.js';

export {
  ABORTED,
  AuthError,
  CaasError,
  CallError,
  CallErrorCode,
  ConnectionError,
  ConnectionErrorCode,
  INVALID_TOKEN,
  RequestError,
  TimeoutError,
  serverError,
} from './errors.js';
export type { CaasErrorOptions, CallErrorOptions, ConnectionErrorOptions } from './errors.js';

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
