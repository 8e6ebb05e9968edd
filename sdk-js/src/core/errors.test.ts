import { describe, expect, it } from 'vitest';

import { AuthError, CaasError, ConnectionError, RequestError, TimeoutError, serverError } from './errors.js';

describe('errors', () => {
  it('form a hierarchy under CaasError with codes and names', () => {
    const conn = new ConnectionError('connection_closed', 'closed', { closeCode: 4008, closeReason: 'slow_consumer' });
    const req = new RequestError('forbidden', 'not a member', { status: 403, op: 'GET /v1/x' });
    const auth = new AuthError('invalid_token', 'expired', { status: 401 });
    const timeout = new TimeoutError('late', 1500);
    for (const e of [conn, req, auth, timeout]) {
      expect(e).toBeInstanceOf(Error);
      expect(e).toBeInstanceOf(CaasError);
    }
    expect(auth).toBeInstanceOf(RequestError);
    expect(conn).toMatchObject({ name: 'ConnectionError', code: 'connection_closed', closeCode: 4008, closeReason: 'slow_consumer' });
    expect(conn.status).toBeUndefined();
    expect(req).toMatchObject({ name: 'RequestError', code: 'forbidden', status: 403, op: 'GET /v1/x', message: 'not a member' });
    expect(auth).toMatchObject({ name: 'AuthError', code: 'invalid_token', status: 401 });
    expect(timeout).toMatchObject({ name: 'TimeoutError', code: 'timeout', timeoutMs: 1500 });
  });

  it('keeps the cause', () => {
    const cause = new Error('root');
    expect(new CaasError('x', 'y', { cause }).cause).toBe(cause);
  });

  it('builds AuthError for invalid_token and RequestError otherwise', () => {
    expect(serverError('invalid_token', 'm')).toBeInstanceOf(AuthError);
    const other = serverError('not_found', 'm', { status: 404 });
    expect(other).toBeInstanceOf(RequestError);
    expect(other).not.toBeInstanceOf(AuthError);
    expect(other.status).toBe(404);
  });
});
