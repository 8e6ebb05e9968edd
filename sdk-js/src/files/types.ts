/**
 * Wire types of files: a stored file's metadata and what a message carries of
 * an attached file.
 *
 * @packageDocumentation
 */

/**
 * What a message carries of an attached file (`Message.attachments`). Fetch
 * the bytes with `client.files.url(id)`, an image's thumbnail with
 * `client.files.url(id, { thumbnail: true })`.
 */
export interface Attachment {
  /** File id. */
  id: string;
  /** File name given at upload. */
  name: string;
  /** Content type, sniffed by the server from the bytes (e.g. `image/png`). */
  content_type: string;
  /** Size in bytes. */
  size: number;
  /** Image width in pixels (PNG and JPEG images). */
  width?: number;
  /** Image height in pixels (PNG and JPEG images). */
  height?: number;
}

/** A stored file's metadata: the reply of `POST /v1/files` and `GET /v1/files/{id}/meta`. */
export interface FileMeta {
  /** File id: pass it in `attachments` of `message.send`. */
  id: string;
  /** Who uploaded it. */
  uploader_id: string;
  /** File name given at upload (`file` when none was given). */
  name: string;
  /** Content type, sniffed by the server from the bytes (the client's claim is ignored). */
  content_type: string;
  /** Size in bytes. */
  size: number;
  /** SHA-256 of the bytes, hex (also the download's `ETag`). */
  sha256: string;
  /** Image width in pixels (PNG and JPEG), else `null`. */
  width: number | null;
  /** Image height in pixels (PNG and JPEG), else `null`. */
  height: number | null;
  /** A PNG thumbnail (at most 256 px) exists at `/v1/files/{id}/thumbnail`. */
  has_thumbnail: boolean;
  /** Visible to every user of the app; otherwise to its uploader and the members of conversations it was attached to. */
  public: boolean;
  /** RFC 3339. */
  created_at: string;
}
