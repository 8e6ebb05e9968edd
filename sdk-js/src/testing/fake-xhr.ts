/**
 * Test support (not part of the package): an `XMLHttpRequest` double that the
 * test drives — it reports upload progress, answers, fails or is aborted when
 * the test says so.
 */

import type { XMLHttpRequestConstructor, XMLHttpRequestLike } from '../core/transport.js';
import type { FileMeta } from '../files/types.js';

type Handler = ((event: never) => void) | null;

/** One request made through {@link FakeXhrServer.XMLHttpRequest}. */
export class FakeXhr implements XMLHttpRequestLike {
  status = 0;
  statusText = '';
  responseText = '';
  readonly upload: { onprogress: Handler } = { onprogress: null };
  onload: Handler = null;
  onerror: Handler = null;
  onabort: Handler = null;

  /** `open`'s method. */
  method = '';
  /** `open`'s URL. */
  url = '';
  /** The request headers set. */
  readonly headers: Record<string, string> = {};
  /** The body sent, once sent. */
  body: Blob | undefined;
  /** Whether the client aborted it. */
  aborted = false;
  /** Whether it has been answered, failed or aborted. */
  done = false;

  constructor(private readonly onSend: (xhr: FakeXhr) => void) {}

  open(method: string, url: string): void {
    this.method = method;
    this.url = url;
  }

  setRequestHeader(name: string, value: string): void {
    this.headers[name] = value;
  }

  send(body: Blob): void {
    this.body = body;
    this.onSend(this);
  }

  abort(): void {
    if (this.done) return;
    this.done = true;
    this.aborted = true;
    this.fire(this.onabort, {});
  }

  /** Query parameters of the URL. */
  get query(): URLSearchParams {
    return new URL(this.url).searchParams;
  }

  /** Reports `loaded` bytes of the body sent. */
  progress(loaded: number, total = this.body?.size ?? 0, lengthComputable = true): void {
    this.fire(this.upload.onprogress, { loaded, total, lengthComputable });
  }

  /** Answers with `status` and `body` (JSON-encoded unless a string). */
  respond(status: number, body: unknown): void {
    if (this.done) return;
    this.done = true;
    this.status = status;
    this.responseText = typeof body === 'string' ? body : JSON.stringify(body);
    this.fire(this.onload, {});
  }

  /** A network failure. */
  fail(): void {
    if (this.done) return;
    this.done = true;
    this.fire(this.onerror, {});
  }

  private fire(handler: Handler, event: object): void {
    (handler as ((event: object) => void) | null)?.(event);
  }
}

/** Hands out {@link FakeXhr}s and records them; `onSend` may answer each as it is sent. */
export class FakeXhrServer {
  /** Every request, oldest first. */
  readonly requests: FakeXhr[] = [];

  /** @param onSend - called when a request is sent (e.g. to answer it at once). */
  constructor(public onSend: (xhr: FakeXhr) => void = () => undefined) {}

  /** The newest request. */
  last(): FakeXhr {
    const xhr = this.requests.at(-1);
    if (!xhr) throw new Error('no XMLHttpRequest was sent');
    return xhr;
  }

  /** A class whose instances are recorded here. */
  get XMLHttpRequest(): XMLHttpRequestConstructor {
    const server = this;
    return class extends FakeXhr {
      constructor() {
        super((xhr) => server.onSend(xhr));
        server.requests.push(this);
      }
    };
  }
}

/** A stored file's metadata as the server would answer it. */
export function fileMeta(id: string, name: string, size: number, extra: Partial<FileMeta> = {}): FileMeta {
  return {
    id,
    uploader_id: 'ann',
    name,
    content_type: 'application/octet-stream',
    size,
    sha256: '0'.repeat(64),
    width: null,
    height: null,
    has_thumbnail: false,
    public: false,
    created_at: '2026-11-26T10:00:00Z',
    ...extra,
  };
}
