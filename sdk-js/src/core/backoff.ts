/**
 * Reconnect delays: exponential backoff with full jitter.
 *
 * @packageDocumentation
 */

/** Reconnection settings of {@link CaasClient}. */
export interface ReconnectOptions {
  /** Reconnect after an unexpected close (default `true`). */
  enabled?: boolean;
  /** Cap of the first attempt's delay, in milliseconds (default 500). */
  initialDelayMs?: number;
  /** Largest delay cap, in milliseconds (default 30000). */
  maxDelayMs?: number;
  /** Growth of the cap per attempt (default 2). */
  multiplier?: number;
  /** Attempts before giving up (default `Infinity`: never give up). */
  maxAttempts?: number;
}

/** {@link ReconnectOptions} with every field set. */
export type ResolvedReconnectOptions = Required<ReconnectOptions>;

/** The defaults of {@link ReconnectOptions}. */
export const DEFAULT_RECONNECT: ResolvedReconnectOptions = {
  enabled: true,
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  multiplier: 2,
  maxAttempts: Number.POSITIVE_INFINITY,
};

/**
 * The largest delay of attempt `attempt` (1 for the first):
 * `min(maxDelayMs, initialDelayMs * multiplier^(attempt - 1))`.
 */
export function backoffCap(attempt: number, options: ResolvedReconnectOptions): number {
  const exp = Math.max(0, attempt - 1);
  return Math.min(options.maxDelayMs, options.initialDelayMs * options.multiplier ** exp);
}

/**
 * Full-jitter delay of attempt `attempt` (1 for the first): a whole number of
 * milliseconds drawn uniformly from `[0, cap]`, where `cap` is
 * {@link backoffCap}.
 *
 * @param random - returns a number in `[0, 1)`, like `Math.random`.
 */
export function backoffDelay(attempt: number, options: ResolvedReconnectOptions, random: () => number): number {
  const cap = backoffCap(attempt, options);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.min(cap, Math.floor(r * (cap + 1)));
}
