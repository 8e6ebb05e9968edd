// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';

import type { CaasClient } from '../../client/client.js';
import type { Task } from '../../tasks/tasks.js';
import { FakeRest, refusal } from '../../testing/fake-rest.js';
import { FakeServer, until, user } from '../../testing/fake-server.js';
import { task } from '../../testing/work.js';
import '../index.js';
import type { CaasTasks } from '../index.js';

const clients: CaasClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
  document.body.innerHTML = '';
});

const all = (el: HTMLElement, sel: string): HTMLElement[] => [...(el.shadowRoot ?? el).querySelectorAll<HTMLElement>(sel)];
function one<T extends HTMLElement = HTMLElement>(el: HTMLElement, sel: string): T {
  const found = (el.shadowRoot ?? el).querySelector<T>(sel);
  if (!found) throw new Error(`no ${sel}`);
  return found;
}

function server(tasks: Task[]): FakeRest {
  let n = 0;
  return new FakeRest()
    .route('GET', '/v1/tasks', (c) => {
      const a = c.query.get('assignee');
      const s = c.query.get('status');
      const list = tasks.filter((t) => (!a || t.payload.assignees.includes(a)) && (!s || t.payload.status === s));
      return { tasks: list, next_cursor: null };
    })
    .route('POST', '/v1/tasks', (c) => {
      const b = c.body as { title: string; priority: 'high'; assignees?: string[]; conversation_id?: string };
      const t = task(`new${++n}`, b.title, 'todo', { priority: b.priority, assignees: b.assignees ?? [], position: 10, conversation_id: b.conversation_id ?? null });
      tasks.unshift(t);
      return { task: t };
    })
    .route('PATCH', '/v1/tasks/:id', (c, p) => {
      const i = tasks.findIndex((t) => t.id === p['id']);
      const b = c.body as { status?: string; position?: number; priority?: 'low' };
      if (b.status === 'nope') return refusal(422, 'invalid_status', 'status must be one of: todo, doing, done');
      const t = tasks[i]!;
      tasks[i] = { ...t, payload: { ...t.payload, ...(b.status ? { status: b.status } : {}), ...(b.position !== undefined ? { position: b.position } : {}), ...(b.priority ? { priority: b.priority } : {}) } };
      return { task: tasks[i]! };
    })
    .route('GET', '/v1/tasks/:id/comments', () => ({ comments: [{ id: 'k1', author_id: 'bob', text: 'first!', created_at: '2026-11-26T10:00:00Z' }] }))
    .route('POST', '/v1/tasks/:id/comments', (c) => ({ id: 'k2', author_id: 'ann', text: (c.body as { text: string }).text, created_at: '2026-11-26T10:01:00Z' }))
    .route('DELETE', '/v1/tasks/:id', (_, p) => {
      tasks.splice(tasks.findIndex((t) => t.id === p['id']), 1);
      return {};
    })
    .route('GET', '/v1/tasks/board', (c) => ({
      conversation_id: c.query.get('conversation'),
      columns: ['todo', 'doing', 'review', 'done'].map((status) => ({ status, tasks: tasks.filter((t) => t.payload.status === status) })),
      truncated: false,
    }));
}

async function mount(tasks: Task[], attrs: Record<string, string> = {}): Promise<{ el: CaasTasks; rest: FakeRest }> {
  const rest = server(tasks);
  const s = new FakeServer(user('ann'));
  const client = await s.client({ fetch: rest.fetch });
  clients.push(client);
  const el = document.createElement('caas-tasks');
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.client = client;
  document.body.append(el);
  await until(() => rest.calls.length > 0 && !el.shadowRoot!.querySelector('[aria-busy="true"]'));
  await el.updateComplete;
  return { el, rest };
}

const rows = (el: CaasTasks): string[] => all(el, '[data-testid="task-row"]').map((r) => `${r.querySelector('[data-testid="task-title"]')!.textContent!.trim()}:${r.dataset['status']}`);

describe('<caas-tasks> list', () => {
  it('lists tasks, adds one, checks one done, changes a status, and filters', async () => {
    const due = new Date(2020, 0, 1).toISOString();
    const { el, rest } = await mount([task('t1', 'Write docs', 'todo', { due_at: due, assignees: ['ann'] }), task('t2', 'Fix bug', 'doing', { priority: 'urgent' })]);
    expect(rows(el)).toEqual(['Write docs:todo', 'Fix bug:doing']);
    expect(one(el, '[data-task-id="t1"] [data-testid="task-due"]').dataset['overdue']).toBe('true');
    expect(one(el, '[data-task-id="t2"] [data-testid="task-priority"]').dataset['priority']).toBe('urgent');

    const created: string[] = [];
    el.addEventListener('caas-task-created', (e) => created.push(e.detail.task.payload.title));
    const title = one<HTMLInputElement>(el, '[data-testid="tasks-new-title"]');
    title.value = 'Ship it';
    title.dispatchEvent(new Event('input'));
    const prio = one<HTMLSelectElement>(el, '[data-testid="tasks-new-priority"]');
    prio.value = 'high';
    prio.dispatchEvent(new Event('change'));
    const who = one<HTMLInputElement>(el, '[data-testid="tasks-new-assignees"]');
    who.value = 'bob, cy';
    who.dispatchEvent(new Event('input'));
    await el.updateComplete;
    one(el, '[data-testid="tasks-new-submit"]').click();
    await until(() => created.length === 1);
    expect(rest.called('POST', '/v1/tasks')[0]?.body).toEqual({ title: 'Ship it', priority: 'high', assignees: ['bob', 'cy'] });
    await el.updateComplete;
    expect(rows(el)[0]).toBe('Ship it:todo');

    const updated: string[] = [];
    el.addEventListener('caas-task-updated', (e) => updated.push(`${e.detail.task.id}:${e.detail.task.payload.status}`));
    one<HTMLInputElement>(el, '[data-task-id="t1"] [data-testid="task-done"]').dispatchEvent(new Event('change'));
    await until(() => updated.length === 1);
    expect(updated).toEqual(['t1:done']);
    expect(one(el, '[data-task-id="t1"]').dataset['done']).toBe('true');

    // A refused status goes back.
    const status = one<HTMLSelectElement>(el, '[data-task-id="t2"] [data-testid="task-status"]');
    const nope = document.createElement('option');
    nope.value = 'nope';
    status.append(nope);
    status.value = 'nope';
    status.dispatchEvent(new Event('change'));
    await until(() => el.shadowRoot!.querySelector('[data-testid="tasks-error"]') !== null);
    expect(one(el, '[data-task-id="t2"]').dataset['status']).toBe('doing');

    const filter = one<HTMLSelectElement>(el, '[data-testid="tasks-filter-status"]');
    filter.value = 'doing';
    filter.dispatchEvent(new Event('change'));
    await until(() => rows(el).length === 1);
    expect(rows(el)).toEqual(['Fix bug:doing']);
    expect(rest.called('GET', '/v1/tasks').at(-1)?.query.get('status')).toBe('doing');

    one(el, '[data-testid="tasks-filter-mine"]').click();
    await until(() => rest.called('GET', '/v1/tasks').at(-1)?.query.get('assignee') === 'ann');
  });

  it('opens a task with its comments, comments and deletes it', async () => {
    const { el, rest } = await mount([task('t1', 'Write docs')]);
    one(el, '[data-task-id="t1"] [data-testid="task-title"]').click();
    await until(() => all(el, '[data-testid="task-comment"]').length === 1);
    const input = one<HTMLInputElement>(el, '[data-testid="task-comment-input"]');
    input.value = 'on it';
    input.dispatchEvent(new Event('input'));
    await el.updateComplete;
    one(el, '[data-testid="task-comment-submit"]').click();
    await until(() => all(el, '[data-testid="task-comment"]').length === 2);
    expect(rest.called('POST', '/v1/tasks/t1/comments')[0]?.body).toEqual({ text: 'on it' });
    one(el, '[data-testid="task-delete"]').click();
    await until(() => rows(el).length === 0);
    expect(el.shadowRoot!.querySelector('[data-testid="task-details"]')).toBeNull();
  });
});

describe('<caas-tasks> board', () => {
  it('shows a conversation board from the server and moves cards with the buttons', async () => {
    const { el, rest } = await mount([task('t1', 'A', 'todo', { position: 1 }), task('t2', 'B', 'doing', { position: 1 })], { view: 'board', 'conversation-id': 'c1' });
    expect(rest.called('GET', '/v1/tasks/board')[0]?.query.get('conversation')).toBe('c1');
    const col = (s: string): string[] => all(one(el, `[data-testid="task-column"][data-status="${s}"]`), '[data-testid="task-card"]').map((c) => c.dataset['taskId']!);
    expect(all(el, '[data-testid="task-column"]').map((c) => c.dataset['status'])).toEqual(['todo', 'doing', 'review', 'done']);
    expect(col('todo')).toEqual(['t1']);
    one(el, '[data-task-id="t1"] [data-testid="task-move-right"]').click();
    await el.updateComplete;
    expect(col('doing')).toEqual(['t2', 't1']); // at once, at the end
    await until(() => rest.called('PATCH').length === 1);
    expect(rest.called('PATCH')[0]?.body).toEqual({ status: 'doing', position: 2 });
    expect(one(el, '[data-task-id="t2"] [data-testid="task-move-left"]').hasAttribute('disabled')).toBe(false);
    expect(one(el, '[data-task-id="t1"] [data-testid="task-move-right"]').getAttribute('aria-label')).toBe('Move to Review');
  });

  it('moves a card by drag and drop, and groups a board without conversation by the statuses', async () => {
    const { el, rest } = await mount([task('t1', 'A', 'todo'), task('t2', 'B', 'blocked')], { view: 'board' });
    expect(rest.called('GET', '/v1/tasks/board')).toHaveLength(0);
    expect(all(el, '[data-testid="task-column"]').map((c) => c.dataset['status'])).toEqual(['todo', 'doing', 'done', 'blocked']);
    const card = one(el, '[data-task-id="t1"]');
    const drag = (type: string, target: HTMLElement): void => {
      const e = new Event(type, { bubbles: true, cancelable: true, composed: true });
      Object.defineProperty(e, 'dataTransfer', { value: { setData() {}, getData: () => 't1', effectAllowed: '', dropEffect: '' } });
      Object.defineProperty(e, 'clientY', { value: 0 });
      target.dispatchEvent(e);
    };
    drag('dragstart', card);
    const done = one(el, '[data-testid="task-column"][data-status="done"]');
    drag('dragover', done);
    drag('drop', done);
    await until(() => rest.called('PATCH').length === 1);
    expect(rest.called('PATCH')[0]?.body).toEqual({ status: 'done', position: 1 });
    await el.updateComplete;
    expect(all(done, '[data-testid="task-card"]').map((c) => c.dataset['taskId'])).toEqual(['t1']);
  });
});
