/**
 * `@caas/sdk/components`: chat and call UI web components built with Lit.
 *
 * Importing this entry registers `<caas-chat-list>`, `<caas-chat-window>`,
 * `<caas-call>`, `<caas-whiteboard>`, `<caas-doc>`, `<caas-feed>`,
 * `<caas-notifications>`, `<caas-calendar>` and `<caas-tasks>` (unless elements
 * of those names are registered already). The core client, `@caas/sdk`, does not load Lit. `<caas-doc>` loads
 * ProseMirror and y-prosemirror only when it opens a document.
 *
 * ```ts
 * import { CaasClient } from '@caas/sdk';
 * import '@caas/sdk/components';
 *
 * const list = document.querySelector('caas-chat-list')!;
 * const chat = document.querySelector('caas-chat-window')!;
 * list.client = chat.client = client;
 * list.addEventListener('caas-select', (e) => (chat.conversationId = e.detail.conversationId));
 * ```
 *
 * @packageDocumentation
 */

import { CaasCalendar } from './calendar/calendar-view.js';
import { CaasCall } from './call/call.js';
import { CaasChatList } from './chat-list/chat-list.js';
import { CaasChatWindow } from './chat-window/chat-window.js';
import { CaasDoc } from './doc/doc.js';
import { CaasFeed } from './feed/feed.js';
import { CaasNotifications } from './notifications/notifications-bell.js';
import { CaasTasks } from './tasks/tasks-view.js';
import { CaasWhiteboard } from './whiteboard/whiteboard.js';

export { CaasCalendar, CaasCall, CaasChatList, CaasChatWindow, CaasDoc, CaasFeed, CaasNotifications, CaasTasks, CaasWhiteboard };
export type { EventCreatedDetail, EventSelectDetail } from './calendar/state.js';
export {
  REPEAT_RULES,
  addDays,
  dayKey,
  eventInputOf,
  monthGrid,
  newEventForm,
  occurrenceTime,
  occurrencesByDay,
  parseDay,
  rangeTitle,
  shiftAnchor,
  startOfWeek,
  visibleRange,
  weekDays,
  weekPlacement,
  weekdayNames,
} from './calendar/logic.js';
export type { CalendarView, EventForm, Repeat } from './calendar/logic.js';
export type { TaskDeletedDetail, TaskDetail } from './tasks/state.js';
export {
  PRIORITY_LABELS,
  doneStatus,
  dueLabel,
  groupByStatus,
  isOverdue,
  neighbourStatus,
  placeTask,
  positionFor,
  statusLabel,
} from './tasks/logic.js';
export type { TaskColumn, TasksView } from './tasks/logic.js';
export { isFeedMode } from './feed/feed.js';
export type {
  FeedCommentDetail,
  FeedDeleteDetail,
  FeedLikeDetail,
  FeedPostDetail,
  FeedProfileDetail,
  FeedStoryViewDetail,
} from './feed/state.js';
export {
  COMPOSER_VISIBILITIES,
  FEED_IMAGE_MAX,
  FEED_MODES,
  KIND_LABELS,
  VISIBILITY_LABELS,
  addStory,
  commentsText,
  composerProblem,
  firstUnseen,
  kindLabel,
  likesText,
  markStoryViewed,
  mediaKind,
  mergeComments,
  mergeObjects,
  objectExcerpt,
  ofKinds,
  prependObject,
  replaceObject,
  showsOwnObject,
  sortRings,
  withComments,
  withLike,
} from './feed/logic.js';
export type { ComposerFile, FeedMode } from './feed/logic.js';
export { addNotification, appendNotifications, badgeText, markedRead } from './notifications/notifications-bell.js';
export type { NotificationClickDetail, UnreadDetail } from './notifications/notifications-bell.js';
export { ObjectPreviews, cardFetches, renderObjectCard } from './chat-window/object-card.js';
export type { ObjectCardActions, ObjectPreview, OpenObjectDetail } from './chat-window/object-card.js';
export type { DocReadOnlyDetail, DocStatusDetail, DocSyncedDetail } from './doc/doc.js';
export {
  DOC_FRAGMENT,
  DOC_TOOLBAR,
  buildCursor,
  disabledToolbar,
  docStatus,
  docXmlText,
  hexColorFor,
  remoteUsers,
  selectionAttrs,
  shortcutLabel,
  userColor,
} from './doc/model.js';
export type { DocAction, DocActionSpec, DocActionState, DocStatusInput, DocStatusView, DocToolbarState, DocUser } from './doc/model.js';
export { WHITEBOARD_COLORS } from './whiteboard/whiteboard.js';
export type { WhiteboardSyncedDetail, WhiteboardTool } from './whiteboard/whiteboard.js';
export {
  WHITEBOARD_ORIGIN,
  addShape,
  appendPoints,
  bringToFront,
  createUndoManager,
  eraseShape,
  getShape,
  hitShape,
  listShapes,
  moveShape,
  orderOf,
  shapeAt,
  shapeBounds,
  shapesOf,
  updateShape,
} from './whiteboard/model.js';
export type { Box, Shape, ShapeEntry, ShapeType } from './whiteboard/model.js';
export type { CallJoinedDetail, CallLeftDetail } from './call/call.js';
export { callAudio, callTiles, initials, tileLabel } from './call/logic.js';
export type { CallAudio, CallTile } from './call/logic.js';
export type { SelectDetail } from './chat-list/state.js';
export type { ActionErrorDetail } from './shared/events.js';
export { FILTER_LABELS, INBOX_FILTERS, conversationTitle, matchesFilter, previewText } from './chat-list/inbox.js';
export {
  DEFAULT_REACTIONS,
  TypingThrottle,
  TypingTracker,
  receiptFor,
  repliesText,
  typingText,
} from './chat-window/message-logic.js';
export {
  ATTACHMENT_IMAGE_MAX,
  attachmentKind,
  attachmentsPreview,
  dragHasFiles,
  fitWithin,
  isImage,
} from './shared/attachments.js';
export { formatBytes } from './shared/format.js';
export type { InboxUpdate } from './chat-list/inbox.js';
export type { Receipt } from './chat-window/message-logic.js';

/** Registers the elements under their tag names, unless those names are taken. */
export function defineCaasElements(registry: CustomElementRegistry = customElements): void {
  if (!registry.get('caas-chat-list')) registry.define('caas-chat-list', CaasChatList);
  if (!registry.get('caas-chat-window')) registry.define('caas-chat-window', CaasChatWindow);
  if (!registry.get('caas-call')) registry.define('caas-call', CaasCall);
  if (!registry.get('caas-whiteboard')) registry.define('caas-whiteboard', CaasWhiteboard);
  if (!registry.get('caas-doc')) registry.define('caas-doc', CaasDoc);
  if (!registry.get('caas-feed')) registry.define('caas-feed', CaasFeed);
  if (!registry.get('caas-notifications')) registry.define('caas-notifications', CaasNotifications);
  if (!registry.get('caas-calendar')) registry.define('caas-calendar', CaasCalendar);
  if (!registry.get('caas-tasks')) registry.define('caas-tasks', CaasTasks);
}

defineCaasElements();
