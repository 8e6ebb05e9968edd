/**
 * Holds the session token and refreshes it through the app's token provider.
 *
 * @packageDocumentation
 */

import { AuthError, CaasError, INVALID_TOKEN } from './errors.js';

/** Returns a fresh session token, typically from the app's own backend (which calls `POST /v1/admin/sessions`). */
export type TokenProvider = () => Promise<string>;

/** Reason code of a token provider that failed or returned no token. */
export const TOKEN_PROVIDER_FAILED = 'token_provider_failed';

/**
 * The current session token. With a provider, a refused token is replaced by
 * calling the provider again; concurrent refreshes share one call.
 */
export class TokenSource {
  private token: string | undefined;
  private readonly provider: TokenProvider | undefined;
  private inflight: Promise<string> | undefined;

  /**
   * @param token - the initial token, if known.
   * @param provider - called for the first token (when `token` is absent) and to refresh.
   */
  constructor(token?: string, provider?: TokenProvider) {
    if (token === undefined && provider === undefined) {
      throw new CaasError('invalid_options', 'pass `token` or `tokenProvider`');
    }
    this.token = token;
    this.provider = provider;
  }

  /** Whether a refused token can be replaced. */
  get canRefresh(): boolean {
    return this.provider !== undefined;
  }

  /** The current token without asking the provider: `undefined` until one is known. */
  get current(): string | undefined {
    return this.token;
  }

  /** The current token, asking the provider when there is none yet. */
  async get(): Promise<string> {
    if (this.token !== undefined) return this.token;
    return this.fetchNew();
  }

  /**
   * Replaces `refused` with a new token from the provider. When the token has
   * already changed since `refused` was handed out, the current one is returned
   * without another call.
   *
   * @throws {@link AuthError} without a provider.
   */
  async refresh(refused: string): Promise<string> {
    if (this.token !== undefined && this.token !== refused) return this.token;
    if (!this.provider) {
      throw new AuthError(INVALID_TOKEN, 'the session token was refused and no tokenProvider is set');
    }
    this.token = undefined;
    return this.fetchNew();
  }

  private fetchNew(): Promise<string> {
    const provider = this.provider;
    if (!provider) return Promise.reject(new AuthError(INVALID_TOKEN, 'no session token'));
    if (!this.inflight) {
      this.inflight = (async () => {
        let token: unknown;
        try {
          token = await provider();
        } catch (cause) {
          throw new CaasError(TOKEN_PROVIDER_FAILED, 'the tokenProvider failed', { cause });
        }
        if (typeof token !== 'string' || token === '') {
          throw new CaasError(TOKEN_PROVIDER_FAILED, 'the tokenProvider returned no token');
        }
        this.token = token;
        return token;
      })().finally(() => {
        this.inflight = undefined;
      });
    }
    return this.inflight;
  }
}
