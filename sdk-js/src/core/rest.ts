/**
 * REST helpers for the end-user API (`Authorization: Bearer <token>`).
 *
 * @packageDocumentation
 */

import { AuthError, CaasError, ConnectionError, ConnectionErrorCode, RequestError, TimeoutError, serverError } from './errors.js';
import type { TokenSource } from './tokens.js';
import type { FetchLike, ResponseLike } from './transport.js';

/** Query string values; `undefined` entries are left out. */
export type QueryParams = Record<string, string | number | boolean | undefined>;

/** Options of one REST call. */
export interface RestRequestOptions {
  /** JSON body (serialized with `JSON.stringify`). */
  body?: unknown;
  /** A text body sent as it is, with `contentType` (instead of `body`), e.g. an `.ics` file. */
  text?: string;
  /** Content type of `text` (default `text/plain; charset=utf-8`). */
  contentType?: string;
  /** Query string parameters. */
  query?: QueryParams;
  /** Overrides the client's `requestTimeoutMs`. */
  timeoutMs?: number;
  /**
   * On 401 `invalid_token`, fetch a new token from the `tokenProvider` and retry
   * once (default `true`; without a provider there is nothing to retry).
   */
  refreshOnInvalidToken?: boolean;
}

/** Configuration of {@link RestClient}. */
export interface RestClientConfig {
  /** `http(s)://host[:port][/prefix]` of the server. */
  baseUrl: string;
  /** The `fetch` to use. */
  fetch: FetchLike;
  /** The session token. */
  tokens: TokenSource;
  /** Default time allowed per request, in milliseconds. */
  timeoutMs: number;
}

/** Joins the server's base URL and an absolute path (`/v1/...`). */
export function joinUrl(baseUrl: string, path: string): string {
  if (!path.startsWith('/')) throw new CaasError('invalid_path', `path must start with "/": ${path}`);
  return baseUrl.replace(/\/+$/, '') + path;
}

/**
 * Calls the REST API with the session token. Success bodies are parsed JSON;
 * error bodies (`{"error": {code, message}}`) become {@link RequestError} (or
 * {@link AuthError} for `invalid_token`) with the HTTP `status`; a network
 * failure is a {@link ConnectionError} and a slow answer a {@link TimeoutError}.
 */
export class RestClient {
  private readonly cfg: RestClientConfig;

  /** @param cfg - base URL, fetch, token source and default timeout. */
  constructor(cfg: RestClientConfig) {
    this.cfg = cfg;
  }

  /** `GET path?query`. */
  get<T = unknown>(path: string, query?: QueryParams): Promise<T> {
    return this.request<T>('GET', path, query === undefined ? {} : { query });
  }

  /** `POST path` with a JSON body. */
  post<T = unknown>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, { body });
  }

  /** `PATCH path` with a JSON body. */
  patch<T = unknown>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('PATCH', path, { body });
  }

  /** `PUT path` with a JSON body. */
  put<T = unknown>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('PUT', path, { body });
  }

  /** `DELETE path`. */
  delete<T = unknown>(path: string): Promise<T> {
    return this.request<T>('DELETE', path, {});
  }

  /**
   * Any call. Resolves with the parsed JSON body (`undefined` for an empty body).
   *
   * @typeParam T - the expected body type (not checked at run time).
   */
  async request<T = unknown>(method: string, path: string, options: RestRequestOptions = {}): Promise<T> {
    let url = joinUrl(this.cfg.baseUrl, path);
    if (options.query) {
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(options.query)) if (v !== undefined) qs.set(k, String(v));
      const s = qs.toString();
      if (s) url += (url.includes('?') ? '&' : '?') + s;
    }
    const op = `${method} ${path}`;
    let token = await this.cfg.tokens.get();
    let res = await this.send(method, url, token, options);
    if (res.status === 401 && options.refreshOnInvalidToken !== false && this.cfg.tokens.canRefresh) {
      const err = await errorOf(res, op);
      if (!(err instanceof AuthError)) throw err;
      token = await this.cfg.tokens.refresh(token);
      res = await this.send(method, url, token, options);
    }
    if (res.status < 200 || res.status >= 300) throw await errorOf(res, op);
    const text = await res.text();
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (cause) {
      throw new CaasError('invalid_response', `${op}: the response is not JSON`, { status: res.status, cause });
    }
  }

  private async send(method: string, url: string, token: string, options: RestRequestOptions): Promise<ResponseLike> {
    const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
    let body: string | undefined;
    if (options.text !== undefined) {
      headers['Content-Type'] = options.contentType ?? 'text/plain; charset=utf-8';
      body = options.text;
    } else if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    const timeoutMs = options.timeoutMs ?? this.cfg.timeoutMs;
    const controller = typeof AbortController === 'function' ? new AbortController() : undefined;
    let timedOut = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        controller?.abort();
        reject(new TimeoutError(`${method} ${url} got no answer in ${timeoutMs} ms`, timeoutMs));
      }, timeoutMs);
    });
    try {
      const init = { method, headers, ...(body === undefined ? {} : { body }), ...(controller ? { signal: controller.signal } : {}) };
      return await Promise.race([this.cfg.fetch(url, init), timeout]);
    } catch (cause) {
      if (cause instanceof CaasError) throw cause;
      if (timedOut) throw new TimeoutError(`${method} ${url} got no answer in ${timeoutMs} ms`, timeoutMs);
      throw new ConnectionError(ConnectionErrorCode.Network, `${method} ${url} failed: ${describe(cause)}`, { cause });
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The error a non-2xx response stands for. */
export async function errorOf(res: ResponseLike, op: string): Promise<RequestError> {
  let text = '';
  try {
    text = await res.text();
  } catch {
    // The body could not be read: the status alone speaks.
  }
  try {
    const body: unknown = JSON.parse(text);
    if (isErrorBody(body)) return serverError(body.error.code, body.error.message, { status: res.status, op });
  } catch {
    // Not JSON: fall through.
  }
  const message = text.trim().slice(0, 200) || res.statusText || `HTTP ${res.status}`;
  return new RequestError(`http_${res.status}`, message, { status: res.status, op });
}

function isErrorBody(v: unknown): v is { error: { code: string; message: string } } {
  if (typeof v !== 'object' || v === null) return false;
  const e = (v as { error?: unknown }).error;
  if (typeof e !== 'object' || e === null) return false;
  const { code, message } = e as { code?: unknown; message?: unknown };
  return typeof code === 'string' && typeof message === 'string';
}

/** A short text for an unknown thrown value. */
export function describe(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  return String(cause);
}
