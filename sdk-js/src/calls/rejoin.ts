/**
 * How a {@link CallRoom} joins again on its own after the node holding it died
 * (`call.participant_left` with reason `node_lost`) or its real-time
 * connection dropped: a bounded number of attempts within a bounded time,
 * each waiting for the client to be connected (docs/calls.md, "In a cluster").
 *
 * @packageDocumentation
 */

// CallRoom, CallsApi: for the {@link} tags.
import type { CallRoom } from './room.js';
import type { CallsApi } from './calls.js';
import type { CaasClient } from '../client/client.js';
import { CaasError, CallError, CallErrorCode, ConnectionError } from '../core/errors.js';

/** Options of a room's rejoining (`reconnect` of {@link CallsApi.join}). */
export interface CallReconnectOptions {
  /** Attempts to join again before giving up (default 3). */
  maxAttempts?: number;
  /**
   * Time allowed from the loss to the room being back, in milliseconds,
   * waiting for the client to reconnect included (default 30 000). No new
   * attempt starts after it.
   */
  timeoutMs?: number;
  /** Wait before the second attempt, in milliseconds; doubled for each later one (default 1000). */
  retryDelayMs?: number;
}

/** {@link CallReconnectOptions} with every field set. */
export type ResolvedCallReconnect = Required<CallReconnectOptions>;

/** The defaults of {@link CallReconnectOptions}: 3 attempts within 30 s, 1 s then 2 s apart. */
export const DEFAULT_CALL_RECONNECT: ResolvedCallReconnect = Object.freeze({
  maxAttempts: 3,
  timeoutMs: 30_000,
  retryDelayMs: 1000,
});

/** The `reconnect` option of a join, resolved: `false` when the room must not join again. */
export function resolveCallReconnect(option: boolean | CallReconnectOptions | undefined): ResolvedCallReconnect | false {
  if (option === false) return false;
  if (option === undefined || option === true) return { ...DEFAULT_CALL_RECONNECT };
  return {
    maxAttempts: Math.max(1, Math.floor(option.maxAttempts ?? DEFAULT_CALL_RECONNECT.maxAttempts)),
    timeoutMs: Math.max(0, option.timeoutMs ?? DEFAULT_CALL_RECONNECT.timeoutMs),
    retryDelayMs: Math.max(0, option.retryDelayMs ?? DEFAULT_CALL_RECONNECT.retryDelayMs),
  };
}

/** Refusals that another attempt would get again. */
const FINAL_CODES: ReadonlySet<string> = new Set([
  CallErrorCode.Forbidden,
  CallErrorCode.InvalidRoomId,
  CallErrorCode.Unsupported,
  CallErrorCode.WebRtcUnavailable,
  CallErrorCode.Left,
]);

/** What {@link rejoinLoop} drives. */
export interface RejoinTarget {
  /** The client whose connection the attempts wait for. */
  readonly client: CaasClient;
  /** Whether to stop: the room ended (left, or lost for good). */
  stopped(): boolean;
  /** One attempt: joins again and publishes anew; rejects (having cleaned up) when it failed. */
  attempt(): Promise<void>;
}

/** Outcome of {@link rejoinLoop}. */
export type RejoinOutcome =
  /** The room is back. */
  | { ok: true }
  /** The room ended meanwhile: nothing more to do. */
  | { ok: false; stopped: true }
  /** Gave up, with the reason. */
  | { ok: false; stopped: false; error: CaasError };

/**
 * Runs attempts until one works, the room ends, `maxAttempts` attempts have
 * failed, the time runs out, or the server refuses for good (`forbidden`,
 * `invalid_room_id`, …). Each attempt first waits for the client to be
 * connected; an attempt that failed because the connection dropped is not
 * counted (the time bound still holds).
 */
export async function rejoinLoop(target: RejoinTarget, policy: ResolvedCallReconnect): Promise<RejoinOutcome> {
  const deadline = Date.now() + policy.timeoutMs;
  let lastError: CaasError | undefined;
  let failures = 0;
  let waitMs = 0;
  const giveUp = (why: string): RejoinOutcome => ({
    ok: false,
    stopped: false,
    error: new CallError(
      lastError?.code ?? CallErrorCode.NotJoined,
      `could not join the call again: ${why}${lastError ? ` (${lastError.message})` : ''}`,
      { cause: lastError },
    ),
  });
  for (;;) {
    if (target.stopped()) return { ok: false, stopped: true };
    if (failures >= policy.maxAttempts) return giveUp(`${failures} attempts failed`);
    if (lastError) await sleep(Math.min(waitMs, Math.max(0, deadline - Date.now())));
    if (target.stopped()) return { ok: false, stopped: true };
    const remaining = deadline - Date.now();
    if (remaining <= 0) return giveUp(`not back within ${policy.timeoutMs} ms`);
    if (target.client.state !== 'connected') {
      try {
        await target.client.waitUntilConnected(remaining);
      } catch (error) {
        if (target.stopped()) return { ok: false, stopped: true };
        lastError = error instanceof CaasError ? error : undefined;
        return giveUp(`the client did not reconnect within ${policy.timeoutMs} ms`);
      }
      if (target.stopped()) return { ok: false, stopped: true };
    }
    try {
      await target.attempt();
      return { ok: true };
    } catch (error) {
      if (target.stopped()) return { ok: false, stopped: true };
      lastError = error instanceof CaasError ? error : new CallError(CallErrorCode.NegotiationFailed, String(error), { cause: error });
      if (FINAL_CODES.has(lastError.code)) return giveUp('refused');
      if (lastError instanceof ConnectionError) {
        // The connection dropped under it: the next attempt waits for the client to reconnect.
        waitMs = Math.min(policy.retryDelayMs, 250);
      } else {
        failures++;
        waitMs = policy.retryDelayMs * 2 ** (failures - 1);
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
