import { describe, expect, it } from 'vitest';

import { task } from '../../testing/work.js';
import {
  doneStatus,
  dueFromDate,
  dueLabel,
  groupByStatus,
  isOverdue,
  neighbourStatus,
  parseAssignees,
  placeTask,
  positionFor,
  removeTask,
  statusLabel,
  statusesOf,
  tasksOf,
} from './logic.js';

const statuses = ['todo', 'doing', 'done'];

describe('board columns', () => {
  const a = task('a', 'A', 'todo', { position: 2 });
  const b = task('b', 'B', 'todo', { position: 1 });
  const c = task('c', 'C', 'doing', { position: 1 });
  const d = task('d', 'D', 'blocked', { position: 1 });

  it('groups by status in order, extra statuses last, by position', () => {
    const cols = groupByStatus([a, b, c, d], statuses);
    expect(cols.map((x) => `${x.status}:${x.tasks.map((t) => t.id).join('')}`)).toEqual(['todo:ba', 'doing:c', 'done:', 'blocked:d']);
    expect(tasksOf(cols).map((t) => t.id)).toEqual(['b', 'a', 'c', 'd']);
    expect(statusesOf(statuses, [d])).toEqual(['todo', 'doing', 'done', 'blocked']);
  });

  it('computes the position of a move between the new neighbours', () => {
    const cols = groupByStatus([a, b, c], statuses);
    expect(positionFor(cols, 'a', 'doing')).toBe(2); // after c (1)
    expect(positionFor(cols, 'a', 'doing', 0)).toBe(0); // before c
    expect(positionFor(cols, 'c', 'todo', 1)).toBe(1.5); // between b (1) and a (2)
    expect(positionFor(cols, 'a', 'done')).toBe(1); // an empty column
    expect(positionFor(cols, 'b', 'todo')).toBe(3); // to its own column's end (itself left out)
  });

  it('places and removes tasks', () => {
    const cols = groupByStatus([a, b, c], statuses);
    const moved = placeTask(cols, { ...a, payload: { ...a.payload, status: 'doing', position: 0.5 } });
    expect(moved.map((x) => x.tasks.map((t) => t.id).join(''))).toEqual(['b', 'ac', '']);
    const added = placeTask(cols, task('e', 'E', 'review'));
    expect(added.at(-1)?.status).toBe('review');
    expect(removeTask(cols, 'b')[0]?.tasks.map((t) => t.id)).toEqual(['a']);
  });
});

describe('labels and dates', () => {
  it('labels statuses and finds neighbours and the done status', () => {
    expect(statusLabel('todo')).toBe('To do');
    expect(statusLabel('in_review')).toBe('In review');
    expect(neighbourStatus(statuses, 'doing', -1)).toBe('todo');
    expect(neighbourStatus(statuses, 'done', 1)).toBeUndefined();
    expect(neighbourStatus(statuses, 'x', 1)).toBeUndefined();
    expect(doneStatus(statuses)).toBe('done');
    expect(doneStatus([])).toBe('done');
  });

  it('tells overdue tasks and labels due dates', () => {
    const now = new Date(2026, 11, 16, 12);
    const past = task('p', 'P', 'todo', { due_at: new Date(2026, 11, 15, 9).toISOString() });
    expect(isOverdue(past, statuses, now)).toBe(true);
    expect(isOverdue({ ...past, payload: { ...past.payload, status: 'done' } }, statuses, now)).toBe(false);
    expect(isOverdue(task('n', 'N'), statuses, now)).toBe(false);
    expect(dueLabel(new Date(2026, 11, 16, 20).toISOString(), now)).toBe('Today');
    expect(dueLabel(new Date(2026, 11, 17, 1).toISOString(), now)).toBe('Tomorrow');
    expect(dueLabel(new Date(2026, 11, 15, 1).toISOString(), now)).toBe('Yesterday');
    expect(dueLabel(new Date(2026, 11, 25).toISOString(), now)).toBe('25 Dec');
    expect(dueLabel(new Date(2027, 0, 5).toISOString(), now)).toBe('5 Jan 2027');
    expect(dueLabel(null, now)).toBe('');
  });

  it('reads assignees and due dates from the form', () => {
    expect(parseAssignees(' bob, cy  bob ')).toEqual(['bob', 'cy']);
    expect(dueFromDate('2026-12-01')?.getHours()).toBe(23);
    expect(dueFromDate('')).toBeUndefined();
  });
});
