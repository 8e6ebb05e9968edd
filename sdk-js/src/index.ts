/**
 * `@caas/sdk`: the JavaScript/TypeScript client of CAAS (Chat-As-A-Service).
 *
 * @packageDocumentation
 */

export { CaasClient, MAX_FRAME_BYTES, isNewer, isRetryable } from './client/client.js';
export type { CaasClientOptions, ConnectionState, RequestOptions } from './client/client.js';

export { ContactsApi, ConversationsApi, MessagesApi, PresenceApi, TypingApi, UsersApi, newClientMsgId } from './chat/chat.js';
export type {
  CreateConversationInput,
  HistoryOptions,
  ListConversationsOptions,
  SearchMessagesOptions,
  SearchUsersOptions,
  SendMessageOptions,
  UpdateSettingsInput,
} from './chat/chat.js';

export { CallsApi, ROOM_ID_PATTERN } from './calls/calls.js';
export type { JoinCallOptions } from './calls/calls.js';
export { CallRoom } from './calls/room.js';
export type { CallRoomState } from './calls/room.js';
export { DATA_CHANNEL_LABEL, MAX_DATA_MESSAGE_BYTES } from './calls/data.js';
export { CallEvent } from './calls/events.js';
export type {
  CallDisconnectReason,
  CallDisconnectedEvent,
  CallReconnectReason,
  CallReconnectingEvent,
  CallRoomEventMap,
} from './calls/events.js';
export type { CallReconnectOptions } from './calls/rejoin.js';
export { LocalParticipant, Participant, RemoteParticipant } from './calls/participants.js';
export type {
  LocalTrackPublication,
  RemoteTrackPublication,
  ScreenShareOptions,
  TrackPublication,
} from './calls/participants.js';
export {
  DEFAULT_AUDIO_CONSTRAINTS,
  DEFAULT_VIDEO_CONSTRAINTS,
  SIMULCAST_ENCODINGS,
  msidTracks,
  speakerLevel,
} from './calls/media.js';
export type { CallMediaOptions, GetDisplayMedia, GetUserMedia, PeerConnectionFactory } from './calls/media.js';

export { FilesApi, MAX_ATTACHMENTS, attachmentOf } from './files/files.js';
export type { FileUrlOptions, FilesApiConfig, UploadOptions } from './files/files.js';

export { DocsApi } from './collab/docs.js';
export type { CreateDocInput, DocKind, DocMeta, DocPage, DocRole, DocVersion, DocWithRole, ListDocsQuery } from './collab/docs.js';
export {
  FeedApi,
  OBJECT_KINDS,
  ObjectErrorCode,
  ObjectsApi,
  VISIBILITIES,
  objectRefOf,
} from './feed/objects.js';
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
} from './feed/objects.js';
export {
  NOTIFICATION_CATEGORIES,
  NOTIFICATION_CHANNELS,
  NotificationErrorCode,
  NotificationsApi,
  base64UrlBytes,
  notificationText,
} from './notifications/notifications.js';
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
} from './notifications/notifications.js';
export { CalendarApi, CalendarErrorCode, wallClock } from './calendar/calendar.js';
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
} from './calendar/calendar.js';
export { DEFAULT_TASK_STATUSES, TASK_PRIORITIES, TaskErrorCode, TasksApi, positionBetween } from './tasks/tasks.js';
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
} from './tasks/tasks.js';
export { Pager, pageOf } from './core/paging.js';
export type { Page, PageFetcher } from './core/paging.js';
export { CollabApi, CollabEvent, CollabSession } from './collab/collab.js';
export type { CollabApiConfig, CollabEventMap, CollabStatus, OpenDocOptions } from './collab/collab.js';
// The rich-text model of `<caas-doc>` (no Lit, no ProseMirror): the element itself is in `@caas/sdk/components`.
export { DOC_FRAGMENT, docXmlText } from './components/doc/model.js';

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
} from './core/errors.js';
export type { CaasErrorOptions, CallErrorOptions, ConnectionErrorOptions } from './core/errors.js';

export { ClientEvent, TypedEmitter } from './client/events.js';
export type {
  ClientEventMap,
  ConnectedEvent,
  DisconnectedEvent,
  EventMap,
  Listener,
  ReconnectingEvent,
} from './client/events.js';

export { DEFAULT_RECONNECT, backoffCap, backoffDelay } from './core/backoff.js';
export type { ReconnectOptions, ResolvedReconnectOptions } from './core/backoff.js';

export { RestClient, joinUrl } from './core/rest.js';
export type { QueryParams, RestClientConfig, RestRequestOptions } from './core/rest.js';

export { TOKEN_PROVIDER_FAILED, TokenSource } from './core/tokens.js';
export type { TokenProvider } from './core/tokens.js';

export { WS_OPEN } from './core/transport.js';
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
} from './core/transport.js';

// The wire types of the protocol, and the ops that carry them.
export type * from './core/wire.js';
export type * from './chat/types.js';
export type * from './chat/social-types.js';
export type * from './files/types.js';
export type * from './calls/types.js';
export type * from './client/ops.js';
