/**
 * Files over REST (`client.files`): upload with progress, download URLs, metadata.
 *
 * @packageDocumentation
 */

import {
  ABORTED,
  AuthError,
  CaasError,
  ConnectionError,
  ConnectionErrorCode,
  RequestError,
  TimeoutError,
} from '../core/errors.js';
import { describe, errorOf, joinUrl, type RestClient } from '../core/rest.js';
import type { TokenSource } from '../core/tokens.js';
import type {
  FetchLike,
  ProgressEventLike,
  ResponseLike,
  XMLHttpRequestConstructor,
  XMLHttpRequestLike,
} from '../core/transport.js';
import type { Attachment, FileMeta } from './types.js';

/** Options of {@link FilesApi.upload}. */
export interface UploadOptions {
  /**
   * The file name to keep (1–255 characters, no slashes). Default: the name of
   * a `File`, else the server's default, `file`.
   */
  name?: string;
  /** Let every user of the app read the file (default `false`: its uploader and the members of conversations it is attached to). */
  public?: boolean;
  /**
   * Called as the bytes go out, with the bytes sent and the total. With
   * `XMLHttpRequest` (browsers) it follows the upload; with `fetch` it is called
   * once, when the upload is complete. It is always called with
   * `(total, total)` before the promise resolves. It should not throw.
   */
  onProgress?: (sentBytes: number, totalBytes: number) => void;
  /** Cancels the upload: the promise rejects with a {@link CaasError} of code `aborted` ({@link ABORTED}). */
  signal?: AbortSignal;
  /** Time allowed for the whole upload, in milliseconds (default: no limit, since files may be large). */
  timeoutMs?: number;
}

/** Options of {@link FilesApi.url}. */
export interface FileUrlOptions {
  /** The PNG thumbnail (at most 256 px) instead of the file: only for files with `has_thumbnail` (PNG and JPEG images). */
  thumbnail?: boolean;
}

/** Configuration of {@link FilesApi}. */
export interface FilesApiConfig {
  /** `http(s)://host[:port][/prefix]` of the server. */
  baseUrl: string;
  /** The session token. */
  tokens: TokenSource;
  /** The `fetch` to upload with when there is no `XMLHttpRequest`. */
  fetch: FetchLike;
  /** The `XMLHttpRequest` class to upload with (for progress events), if any. */
  XMLHttpRequest: XMLHttpRequestConstructor | undefined;
  /** For the metadata call. */
  rest: RestClient;
}

/** The largest number of attachments a message may carry. */
export const MAX_ATTACHMENTS = 10;

/**
 * Files (`client.files`): `POST /v1/files` uploads, `GET /v1/files/{id}`
 * downloads. Attach uploaded files to a message with
 * `client.messages.send(conversationId, text, { attachments: [file.id] })`.
 *
 * ```ts
 * const file = await client.files.upload(input.files[0], {
 *   onProgress: (sent, total) => (bar.value = sent / total),
 *   signal: controller.signal,
 * });
 * await client.messages.send(conversationId, '', { attachments: [file.id] });
 * img.src = client.files.url(file.id, { thumbnail: file.has_thumbnail });
 * ```
 */
export class FilesApi {
  private readonly cfg: FilesApiConfig;

  /** @param cfg - base URL, token source, transports and the REST client. */
  constructor(cfg: FilesApiConfig) {
    this.cfg = cfg;
  }

  /**
   * Uploads `blob` (a `File`, or any `Blob`) and resolves with the stored
   * file's metadata. The server sniffs the content type from the bytes; PNG
   * and JPEG images get `width`, `height` and a thumbnail.
   *
   * Uses `XMLHttpRequest` when there is one (browsers), for upload progress,
   * and `fetch` otherwise. On a 401 `invalid_token` with a `tokenProvider`, the
   * token is refreshed and the upload sent again once.
   *
   * @throws {@link RequestError} with the server's code: `payload_too_large`
   *   (413, larger than the server's limit), `empty_file`, `invalid_name`
   *   (422); {@link AuthError} for a refused token; {@link ConnectionError}
   *   `network_error`; {@link TimeoutError}; {@link CaasError} `aborted` when
   *   `signal` cancels it.
   */
  async upload(blob: Blob, options: UploadOptions = {}): Promise<FileMeta> {
    const { signal } = options;
    if (signal?.aborted) throw abortError(signal);
    const query = new URLSearchParams();
    const name = options.name ?? fileName(blob);
    if (name !== undefined) query.set('name', name);
    if (options.public !== undefined) query.set('public', String(options.public));
    const qs = query.toString();
    const url = joinUrl(this.cfg.baseUrl, '/v1/files') + (qs ? `?${qs}` : '');
    const op = 'POST /v1/files';
    const total = blob.size;
    let reported = -1;
    const progress = (sent: number): void => {
      const s = Math.max(0, Math.min(total, sent));
      if (s === reported) return;
      reported = s;
      options.onProgress?.(s, total);
    };

    let token = await this.cfg.tokens.get();
    if (signal?.aborted) throw abortError(signal);
    let res = await this.send(url, token, blob, options, progress);
    if (res.status === 401 && this.cfg.tokens.canRefresh) {
      const err = await errorOf(res, op);
      if (!(err instanceof AuthError)) throw err;
      token = await this.cfg.tokens.refresh(token);
      if (signal?.aborted) throw abortError(signal);
      reported = -1;
      res = await this.send(url, token, blob, options, progress);
    }
    if (res.status < 200 || res.status >= 300) throw await errorOf(res, op);
    const text = await res.text();
    let file: unknown;
    try {
      file = (JSON.parse(text) as { file?: unknown }).file;
    } catch (cause) {
      throw new RequestError('invalid_response', `${op}: the answer is not JSON`, { status: res.status, op, cause });
    }
    if (!isFileMeta(file)) {
      throw new RequestError('invalid_response', `${op}: the answer has no file`, { status: res.status, op });
    }
    progress(total);
    return file;
  }

  /**
   * The URL of a file's bytes (or of its thumbnail), with the session token in
   * the query (`?token=`), for `<img src>`, `<a href>` and other places that
   * cannot send an `Authorization` header.
   *
   * **The token appears in the URL**: it can end up in the browser history,
   * server logs and `Referer` headers, and anyone holding the URL can use the
   * token until it expires. Do not share such URLs or log them; prefer
   * `rel="noreferrer"` on links. Before the client has a token (a
   * `tokenProvider` not called yet), the URL has none. A URL keeps the token
   * it was made with: after a token refresh, make a new one.
   */
  url(fileId: string, options: FileUrlOptions = {}): string {
    const path = `/v1/files/${encodeURIComponent(fileId)}${options.thumbnail ? '/thumbnail' : ''}`;
    const url = joinUrl(this.cfg.baseUrl, path);
    const token = this.cfg.tokens.current;
    return token === undefined ? url : `${url}?token=${encodeURIComponent(token)}`;
  }

  /**
   * The metadata of a file the caller may read (`GET /v1/files/{id}/meta`).
   *
   * @throws {@link RequestError} `not_found` when it does not exist or the caller may not read it.
   */
  async meta(fileId: string, options: { timeoutMs?: number } = {}): Promise<FileMeta> {
    const body = await this.cfg.rest.request<{ file: FileMeta }>(
      'GET',
      `/v1/files/${encodeURIComponent(fileId)}/meta`,
      options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs },
    );
    return body.file;
  }

  private send(
    url: string,
    token: string,
    blob: Blob,
    options: UploadOptions,
    progress: (sent: number) => void,
  ): Promise<ResponseLike> {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${token}`,
      Accept: 'application/json',
      // The server sniffs the type from the bytes; this only describes the body.
      'Content-Type': blob.type || 'application/octet-stream',
    };
    const Xhr = this.cfg.XMLHttpRequest;
    return Xhr
      ? sendWithXhr(Xhr, url, headers, blob, options, progress)
      : sendWithFetch(this.cfg.fetch, url, headers, blob, options);
  }
}

/** The attachment summary of an uploaded file, as `Message.attachments` will show it. */
export function attachmentOf(file: FileMeta): Attachment {
  const a: Attachment = { id: file.id, name: file.name, content_type: file.content_type, size: file.size };
  if (file.width !== null) a.width = file.width;
  if (file.height !== null) a.height = file.height;
  return a;
}

function fileName(blob: Blob): string | undefined {
  const name = (blob as { name?: unknown }).name;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

function abortError(signal: AbortSignal | undefined): CaasError {
  return new CaasError(ABORTED, 'the upload was cancelled', { cause: signal?.reason });
}

function timeoutError(timeoutMs: number): TimeoutError {
  return new TimeoutError(`POST /v1/files did not finish in ${timeoutMs} ms`, timeoutMs);
}

function sendWithXhr(
  Xhr: XMLHttpRequestConstructor,
  url: string,
  headers: Record<string, string>,
  blob: Blob,
  options: UploadOptions,
  progress: (sent: number) => void,
): Promise<ResponseLike> {
  const { signal, timeoutMs } = options;
  return new Promise<ResponseLike>((resolve, reject) => {
    const xhr: XMLHttpRequestLike = new Xhr();
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const settle = (done: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      done();
    };
    const cancel = (error: CaasError): void => {
      settle(() => reject(error));
      try {
        xhr.abort();
      } catch {
        // Not started or already done.
      }
    };
    const onAbort = (): void => cancel(abortError(signal));

    xhr.upload.onprogress = ((event: ProgressEventLike) => {
      if (!settled) progress(event.loaded);
    }) as (event: never) => void;
    xhr.onload = () =>
      settle(() => {
        const body = xhr.responseText;
        resolve({ status: xhr.status, statusText: xhr.statusText, text: async () => body });
      });
    xhr.onerror = () =>
      settle(() => reject(new ConnectionError(ConnectionErrorCode.Network, 'POST /v1/files failed: network error')));
    // An abort the client did not ask for (e.g. the page is going away).
    xhr.onabort = () => settle(() => reject(abortError(signal)));
    try {
      xhr.open('POST', url);
      for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs !== undefined) timer = setTimeout(() => cancel(timeoutError(timeoutMs)), timeoutMs);
      xhr.send(blob);
    } catch (cause) {
      settle(() =>
        reject(new ConnectionError(ConnectionErrorCode.Network, `POST /v1/files failed: ${describe(cause)}`, { cause })),
      );
    }
  });
}

async function sendWithFetch(
  fetch: FetchLike,
  url: string,
  headers: Record<string, string>,
  blob: Blob,
  options: UploadOptions,
): Promise<ResponseLike> {
  const { signal, timeoutMs } = options;
  const controller = typeof AbortController === 'function' ? new AbortController() : undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  // Raced against the fetch, so that a `fetch` ignoring its signal still stops.
  const stop = new Promise<never>((_, reject) => {
    onAbort = () => {
      controller?.abort();
      reject(abortError(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => {
        controller?.abort();
        reject(timeoutError(timeoutMs));
      }, timeoutMs);
    }
  });
  try {
    const init = { method: 'POST', headers, body: blob, ...(controller ? { signal: controller.signal } : {}) };
    return await Promise.race([fetch(url, init), stop]);
  } catch (cause) {
    if (cause instanceof CaasError) throw cause;
    if (signal?.aborted) throw abortError(signal);
    throw new ConnectionError(ConnectionErrorCode.Network, `POST /v1/files failed: ${describe(cause)}`, { cause });
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

function isFileMeta(v: unknown): v is FileMeta {
  if (typeof v !== 'object' || v === null) return false;
  const f = v as Partial<Record<keyof FileMeta, unknown>>;
  return typeof f.id === 'string' && typeof f.name === 'string' && typeof f.size === 'number';
}
