import { describe, expect, it } from 'vitest';

import { CaasClient } from '../client/client.js';
import { TaskErrorCode, positionBetween } from './tasks.js';
import { FakeRest, refusal } from '../testing/fake-rest.js';
import { task } from '../testing/work.js';

function client(rest: FakeRest): CaasClient {
  return new CaasClient({ url: 'http://caas.test', token: 'tok', fetch: rest.fetch });
}

const t1 = task('t1', 'Ship it');

describe('client.tasks', () => {
  it('maps each helper to its route, method, query and body', async () => {
    const rest = new FakeRest()
      .route('POST', '/v1/tasks', () => ({ task: t1 }))
      .route('GET', '/v1/tasks', () => ({ tasks: [t1], next_cursor: null }))
      .route('GET', '/v1/tasks/:id', () => ({ task: t1 }))
      // Later routes win: the board before `:id`.
      .route('GET', '/v1/tasks/board', () => ({ conversation_id: 'c1', columns: [{ status: 'todo', tasks: [t1] }], truncated: false }))
      .route('PATCH', '/v1/tasks/:id', () => ({ task: t1 }))
      .route('DELETE', '/v1/tasks/:id', () => ({}))
      .route('POST', '/v1/tasks/:id/comments', (c) => ({ id: 'k', author_id: 'ann', text: (c.body as { text: string }).text, created_at: 'x' }))
      .route('GET', '/v1/tasks/:id/comments', () => ({ comments: [] }))
      .route('GET', '/v1/tasks/:id/activity', () => ({ activity: [{ actor_id: 'ann', action: 'status', from: 'todo', to: 'doing', at: 'x' }] }));
    const c = client(rest);
    await c.tasks.create({ title: 'Ship it', priority: 'high', dueAt: new Date('2026-12-01T00:00:00Z'), assignees: ['bob'], conversationId: 'c1', messageId: 'm1', status: 'todo', description: 'd' });
    expect(await c.tasks.list({ conversationId: 'c1', assignee: 'bob', status: 'todo', limit: 10 })).toEqual({ tasks: [t1] });
    expect((await c.tasks.board('c1')).columns[0]?.tasks).toEqual([t1]);
    await c.tasks.get('t1');
    await c.tasks.update('t1', { status: 'doing', position: 1.5, dueAt: null, description: null });
    await c.tasks.delete('t1');
    expect((await c.tasks.comment('t1', 'on it')).text).toBe('on it');
    expect(await c.tasks.comments('t1')).toEqual([]);
    expect((await c.tasks.activity('t1'))[0]?.to).toBe('doing');
    expect(rest.calls.map((x) => `${x.method} ${x.path}${x.query.size ? `?${x.query}` : ''}`)).toEqual([
      'POST /v1/tasks',
      'GET /v1/tasks?conversation=c1&assignee=bob&status=todo&limit=10',
      'GET /v1/tasks/board?conversation=c1',
      'GET /v1/tasks/t1',
      'PATCH /v1/tasks/t1',
      'DELETE /v1/tasks/t1',
      'POST /v1/tasks/t1/comments',
      'GET /v1/tasks/t1/comments',
      'GET /v1/tasks/t1/activity',
    ]);
    expect(rest.calls[0]?.body).toEqual({
      title: 'Ship it',
      description: 'd',
      status: 'todo',
      priority: 'high',
      due_at: '2026-12-01T00:00:00.000Z',
      assignees: ['bob'],
      conversation_id: 'c1',
      message_id: 'm1',
    });
    expect(rest.calls[4]?.body).toEqual({ description: null, status: 'doing', due_at: null, position: 1.5 });
  });

  it('refuses with the server code', async () => {
    const rest = new FakeRest().route('PATCH', '/v1/tasks/:id', () => refusal(422, 'invalid_status', 'unknown status'));
    await expect(client(rest).tasks.update('t1', { status: 'nope' })).rejects.toMatchObject({ code: TaskErrorCode.InvalidStatus, status: 422 });
  });

  it('positionBetween places a card between neighbours', () => {
    expect(positionBetween(undefined, undefined)).toBe(1);
    expect(positionBetween(3, undefined)).toBe(4);
    expect(positionBetween(undefined, 3)).toBe(2);
    expect(positionBetween(1, 2)).toBe(1.5);
  });
});
