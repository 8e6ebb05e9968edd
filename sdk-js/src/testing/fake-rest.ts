/**
 * Test support (not part of the package): a `fetch` double that routes REST
 * calls by method and path to handlers, and records them.
 */

import type { FetchInit, FetchLike } from '../core/transport.js';

/** One call the client made. */
export interface RestCall {
  /** `GET`, `POST`… */
  method: string;
  /** The path, without the query. */
  path: string;
  /** The query parameters. */
  query: URLSearchParams;
  /** The parsed JSON body, another text body as it is, or an upload's Blob, if any. */
  body: unknown;
  /** The headers sent. */
  headers: Record<string, string>;
}

/** What a handler answers: a body (status 200), or a status and body. */
export type RestReply = { status: number; body?: unknown } | Record<string, unknown> | unknown[];

/** Answers a call; `params` are the `:name` parts of the route. A thrown error is a network failure. */
export type RestHandler = (call: RestCall, params: Record<string, string>) => RestReply | Promise<RestReply>;

/** An error body of the server. */
export function refusal(status: number, code: string, message = code): { status: number; body: unknown } {
  return { status, body: { error: { code, message } } };
}

/** A routed `fetch` double: `fake.route('GET', '/v1/objects/:id', handler)`. */
export class FakeRest {
  /** Every call, oldest first. */
  readonly calls: RestCall[] = [];
  private readonly routes: Array<{ method: string; pattern: RegExp; names: string[]; handler: RestHandler }> = [];

  /** Answers `method path` (with `:name` segments) with `handler`; later routes win. */
  route(method: string, path: string, handler: RestHandler): this {
    const names: string[] = [];
    const pattern = new RegExp(
      `^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:(\w+)/g, (_, name: string) => {
        names.push(name);
        return '([^/]+)';
      })}$`,
    );
    this.routes.unshift({ method, pattern, names, handler });
    return this;
  }

  /** The calls of `method path-prefix`, e.g. `called('PUT', '/v1/objects/')`. */
  called(method: string, pathPrefix = ''): RestCall[] {
    return this.calls.filter((c) => c.method === method && c.path.startsWith(pathPrefix));
  }

  /** The `fetch` to give the client. */
  get fetch(): FetchLike {
    return async (url: string, init?: FetchInit) => {
      const u = new URL(url);
      const method = init?.method ?? 'GET';
      // JSON text is parsed; an upload's Blob is kept as it is.
      const raw = init?.body;
      const json = (init?.headers?.['Content-Type'] ?? 'application/json').startsWith('application/json');
      const body = typeof raw === 'string' ? (raw === '' ? undefined : json ? (JSON.parse(raw) as unknown) : raw) : raw;
      const call: RestCall = { method, path: u.pathname, query: u.searchParams, body, headers: init?.headers ?? {} };
      this.calls.push(call);
      for (const r of this.routes) {
        if (r.method !== method) continue;
        const m = r.pattern.exec(u.pathname);
        if (!m) continue;
        const params = Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1] ?? '')]));
        const reply = await r.handler(call, params);
        const { status, payload } = isStatusReply(reply) ? { status: reply.status, payload: reply.body } : { status: 200, payload: reply };
        const text = payload === undefined ? '' : JSON.stringify(payload);
        return { status, ok: status < 300, text: async () => text };
      }
      const text = JSON.stringify({ error: { code: 'not_found', message: `no route ${method} ${u.pathname}` } });
      return { status: 404, ok: false, text: async () => text };
    };
  }
}

function isStatusReply(r: RestReply): r is { status: number; body?: unknown } {
  return typeof r === 'object' && r !== null && !Array.isArray(r) && typeof (r as { status?: unknown }).status === 'number' && Object.keys(r).every((k) => k === 'status' || k === 'body');
}
