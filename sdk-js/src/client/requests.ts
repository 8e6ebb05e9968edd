/**
 * Request/reply bookkeeping of the real-time connection: ids, frames, the
 * replies awaited, their timeouts, and how a reply settles its request.
 *
 * @packageDocumentation
 */

import { CaasError, ConnectionError, ConnectionErrorCode, TimeoutError, serverError } from '../core/errors.js';
import { describe } from '../core/rest.js';
import type { WebSocketLike } from '../core/transport.js';

/** Largest frame the server accepts; a larger one would close the connection (1009). */
export const MAX_FRAME_BYTES = 64 * 1024;

interface Pending {
  op: string;
  resolve: (data: unknown) => void;
  reject: (error: CaasError) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** The requests sent on the socket that await their reply, by id. */
export class PendingRequests {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();

  /**
   * Sends `op` on `sock` and resolves with the reply's `data` (see
   * {@link PendingRequests.settle}); rejects when the frame is too large, when
   * no reply comes within `timeoutMs`, or when sending fails.
   */
  send(sock: WebSocketLike, op: string, data: object | undefined, timeoutMs: number): Promise<unknown> {
    const id = ++this.nextId;
    const text = JSON.stringify({ id, op, data: data ?? {} });
    if (byteLength(text) > MAX_FRAME_BYTES) {
      return Promise.reject(
        new CaasError('frame_too_large', `${op}: the frame exceeds ${MAX_FRAME_BYTES} bytes`),
      );
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new TimeoutError(`${op} got no reply in ${timeoutMs} ms`, timeoutMs));
      }, timeoutMs);
      this.pending.set(id, { op, resolve, reject, timer });
      try {
        sock.send(text);
      } catch (cause) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new ConnectionError(ConnectionErrorCode.Closed, `cannot send ${op}: ${describe(cause)}`, { cause }));
      }
    });
  }

  /**
   * Settles the request a reply frame (`{ id, ok, data | error }`) answers:
   * resolves with its `data`, or rejects with the server's error. `onError`
   * sees the error code first. A reply to no awaited request is ignored.
   */
  settle(frame: Record<string, unknown>, onError?: (code: string) => void): void {
    const id = frame['id'];
    if (typeof id !== 'number') return;
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (frame['ok'] === true) {
      p.resolve(frame['data']);
      return;
    }
    const err = frame['error'] as { code?: unknown; message?: unknown } | undefined;
    const code = typeof err?.code === 'string' ? err.code : 'unknown_error';
    const message = typeof err?.message === 'string' ? err.message : `${p.op} failed`;
    onError?.(code);
    p.reject(serverError(code, message, { op: p.op }));
  }

  /** Rejects every awaited request with `error`. */
  rejectAll(error: CaasError): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) {
      clearTimeout(p.timer);
      p.reject(error);
    }
  }
}

function byteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}
