/**
 * How the components show attached files, free of Lit and of the DOM: image or
 * link, image sizes, the text that stands for attachments in a preview, and
 * whether a drag carries files.
 *
 * @packageDocumentation
 */

import type { Attachment } from '../../files/types.js';
import { oneLine } from './format.js';

/** Whether an attachment is an image (by its content type). */
export function isImage(attachment: Attachment): boolean {
  return attachment.content_type.toLowerCase().startsWith('image/');
}

/**
 * A short description of a message's attachments for previews: `📷 Photo`
 * (one image), `📎 report.pdf` (one other file), `📷 3 photos` (only images),
 * `📎 3 files`; `''` for none.
 */
export function attachmentsPreview(attachments: readonly Attachment[]): string {
  const first = attachments[0];
  if (!first) return '';
  const images = attachments.every(isImage);
  if (attachments.length === 1) return images ? '📷 Photo' : `📎 ${oneLine(first.name, 60)}`;
  return images ? `📷 ${attachments.length} photos` : `📎 ${attachments.length} files`;
}

/** 📷 when every attachment is an image, else 📎. */
export function attachmentIcon(attachments: readonly Attachment[]): string {
  return attachments.every(isImage) ? '📷' : '📎';
}

/** The longest side, in CSS pixels, of an image attachment shown in a message. */
export const ATTACHMENT_IMAGE_MAX = 240;

/**
 * How a message shows an attachment: `thumbnail` for PNG and JPEG images with
 * known dimensions (the server made a thumbnail of them), `image` for other
 * images (shown from the file itself), `file` for everything else (a download
 * link).
 */
export function attachmentKind(attachment: Attachment): 'thumbnail' | 'image' | 'file' {
  const type = attachment.content_type.toLowerCase();
  if ((type === 'image/png' || type === 'image/jpeg') && attachment.width !== undefined && attachment.height !== undefined) {
    return 'thumbnail';
  }
  return type.startsWith('image/') ? 'image' : 'file';
}

/**
 * `width` × `height` scaled down, keeping the aspect ratio, to fit a `max` ×
 * `max` box (never scaled up), in whole pixels of at least 1.
 */
export function fitWithin(width: number, height: number, max = ATTACHMENT_IMAGE_MAX): { width: number; height: number } {
  if (!(width > 0) || !(height > 0)) return { width: max, height: max };
  const scale = Math.min(1, max / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** Whether a drag carries files (`dataTransfer.types` includes `Files`). */
export function dragHasFiles(dataTransfer: { types?: ArrayLike<string> | Iterable<string> } | null | undefined): boolean {
  if (!dataTransfer?.types) return false;
  return Array.from(dataTransfer.types as ArrayLike<string>).includes('Files');
}
