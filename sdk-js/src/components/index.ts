/**
 * `@caas/sdk/components`: chat and call UI web components built with Lit.
 *
 * Importing this entry registers `<caas-chat-list>`, `<caas-chat-window>` and
 * `<caas-call>` (unless elements of those names are registered already). The
 * core client, `@caas/sdk`, does not load Lit.
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

import { CaasCall } from './call.js';
import { CaasChatList } from './chat-list.js';
import { CaasChatWindow } from './chat-window.js';

export { CaasCall, CaasChatList, CaasChatWindow };
export type { CallJoinedDetail, CallLeftDetail } from './call.js';
export { callAudio, callTiles, initials, tileLabel } from './call-logic.js';
export type { CallAudio, CallTile } from './call-logic.js';
export type { ActionErrorDetail, SelectDetail } from './chat-list.js';
export {
  ATTACHMENT_IMAGE_MAX,
  DEFAULT_REACTIONS,
  FILTER_LABELS,
  INBOX_FILTERS,
  TypingThrottle,
  TypingTracker,
  attachmentKind,
  attachmentsPreview,
  conversationTitle,
  dragHasFiles,
  fitWithin,
  formatBytes,
  isImage,
  matchesFilter,
  previewText,
  receiptFor,
  repliesText,
  typingText,
} from './logic.js';
export type { InboxUpdate, Receipt } from './logic.js';

/** Registers the elements under their tag names, unless those names are taken. */
export function defineCaasElements(registry: CustomElementRegistry = customElements): void {
  if (!registry.get('caas-chat-list')) registry.define('caas-chat-list', CaasChatList);
  if (!registry.get('caas-chat-window')) registry.define('caas-chat-window', CaasChatWindow);
  if (!registry.get('caas-call')) registry.define('caas-call', CaasCall);
}

defineCaasElements();
