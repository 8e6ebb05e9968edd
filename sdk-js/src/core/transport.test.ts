import { describe, expectTypeOf, it } from 'vitest';
import { WebSocket as WsWebSocket } from 'ws';

import type { FetchLike, WebSocketConstructor } from './transport.js';

describe('transport types', () => {
  it('accept the browser WebSocket, the ws package WebSocket and the global fetch', () => {
    expectTypeOf<typeof globalThis.WebSocket>().toExtend<WebSocketConstructor>();
    expectTypeOf<typeof WsWebSocket>().toExtend<WebSocketConstructor>();
    expectTypeOf<typeof globalThis.fetch>().toExtend<FetchLike>();
  });
});
