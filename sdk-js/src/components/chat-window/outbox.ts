/**
 * What the user is sending from `<caas-chat-window>`: messages the server has
 * not confirmed yet, and files attached in the composer as they upload.
 *
 * @packageDocumentation
 */

import type { Attachment, FileMeta } from '../../files/types.js';

/** A message typed by the user that the server has not confirmed yet. */
export interface PendingMessage {
  /** Its idempotency key: a retry reuses it, so the message is stored once. */
  clientMsgId: string;
  /** Its text. */
  text: string;
  /** The message it quotes. */
  replyTo: string | undefined;
  /** The root of the thread it is posted in, or `undefined` for the main list. */
  parentId: string | undefined;
  /** The files it carries (uploaded already). */
  attachments: Attachment[];
  /** Why the last attempt failed, when it did. */
  error: string | undefined;
}

/** A file attached in the composer: uploading, uploaded, or failed. */
export interface UploadItem {
  /** Identifies it in the list. */
  key: number;
  /** The bytes. */
  blob: Blob;
  /** File name shown and sent. */
  name: string;
  /** Size in bytes. */
  size: number;
  /** Bytes sent so far. */
  sent: number;
  /** Where it stands. */
  state: 'uploading' | 'done' | 'error';
  /** The stored file, once uploaded. */
  file: FileMeta | undefined;
  /** Why the upload failed, when it did. */
  error: string | undefined;
  /** Cancels the upload in flight. */
  controller: AbortController | undefined;
}
