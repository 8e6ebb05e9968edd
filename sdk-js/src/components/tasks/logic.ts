/**
 * The state logic of `<caas-tasks>`, free of Lit and of the DOM: board
 * columns, moving a card, list updates, due dates and labels.
 *
 * @packageDocumentation
 */

import { positionBetween, type Task, type TaskPriority } from '../../tasks/tasks.js';

/** The views of `<caas-tasks>`. */
export type TasksView = 'list' | 'board';

/** A board column. */
export interface TaskColumn {
  /** Its status. */
  status: string;
  /** Its tasks, by position. */
  tasks: Task[];
}

/** Labels of the priorities. */
export const PRIORITY_LABELS: Readonly<Record<TaskPriority, string>> = { low: 'Low', normal: 'Normal', high: 'High', urgent: 'Urgent' };

/** `todo` → `To do`, `in_review` → `In review`. */
export function statusLabel(status: string): string {
  if (status === 'todo') return 'To do';
  const words = status.replace(/[_-]+/g, ' ').trim();
  return words ? words[0]!.toUpperCase() + words.slice(1) : status;
}

/** By position, then creation. */
function byPosition(a: Task, b: Task): number {
  return a.payload.position - b.payload.position || Date.parse(a.created_at) - Date.parse(b.created_at) || (a.id < b.id ? -1 : 1);
}

/** The columns of `tasks`: one per status of `statuses` in order, then one per other status the tasks carry; tasks by position. */
export function groupByStatus(tasks: readonly Task[], statuses: readonly string[]): TaskColumn[] {
  const order = [...statuses];
  for (const t of tasks) if (!order.includes(t.payload.status)) order.push(t.payload.status);
  return order.map((status) => ({ status, tasks: tasks.filter((t) => t.payload.status === status).sort(byPosition) }));
}

/** Every task of the columns, in column order. */
export function tasksOf(columns: readonly TaskColumn[]): Task[] {
  return columns.flatMap((c) => c.tasks);
}

/**
 * Where a task moved to `status` at `index` of that column lands: the
 * position between its new neighbours (the task itself left out).
 */
export function positionFor(columns: readonly TaskColumn[], taskId: string, status: string, index?: number): number {
  const column = columns.find((c) => c.status === status)?.tasks.filter((t) => t.id !== taskId) ?? [];
  const at = index === undefined ? column.length : Math.max(0, Math.min(column.length, index));
  return positionBetween(column[at - 1]?.payload.position, column[at]?.payload.position);
}

/** The columns with `task` (as it now is) in its status's column, at its position; a column is added for a status not shown yet. */
export function placeTask(columns: readonly TaskColumn[], task: Task): TaskColumn[] {
  const out = columns.map((c) => ({ status: c.status, tasks: c.tasks.filter((t) => t.id !== task.id) }));
  let column = out.find((c) => c.status === task.payload.status);
  if (!column) {
    column = { status: task.payload.status, tasks: [] };
    out.push(column);
  }
  column.tasks = [...column.tasks, task].sort(byPosition);
  return out;
}

/** The columns without task `taskId`. */
export function removeTask(columns: readonly TaskColumn[], taskId: string): TaskColumn[] {
  return columns.map((c) => ({ status: c.status, tasks: c.tasks.filter((t) => t.id !== taskId) }));
}

/** The status one column left (`-1`) or right (`1`) of `status`, if any. */
export function neighbourStatus(statuses: readonly string[], status: string, step: -1 | 1): string | undefined {
  const i = statuses.indexOf(status);
  if (i < 0) return undefined;
  return statuses[i + step];
}

/** The "done" status of a list: the last one. */
export function doneStatus(statuses: readonly string[]): string {
  return statuses[statuses.length - 1] ?? 'done';
}

/** Whether a task is past its due time and not done. */
export function isOverdue(task: Task, statuses: readonly string[], now: Date = new Date()): boolean {
  const due = task.payload.due_at;
  if (!due || task.payload.status === doneStatus(statuses)) return false;
  return Date.parse(due) < now.getTime();
}

/** A due time for people: `Today`, `Tomorrow`, `Yesterday`, else `3 Dec` (with the year when not this year). */
export function dueLabel(iso: string | null, now: Date = new Date()): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const day = (x: Date): number => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  const diff = Math.round((day(d) - day(now)) / 86_400_000);
  if (diff === 0) return 'Today';
  if (diff === 1) return 'Tomorrow';
  if (diff === -1) return 'Yesterday';
  const month = d.toLocaleString('en', { month: 'short' });
  return d.getFullYear() === now.getFullYear() ? `${d.getDate()} ${month}` : `${d.getDate()} ${month} ${d.getFullYear()}`;
}

/** The statuses to offer: `known` (the app's) then any other status the tasks carry. */
export function statusesOf(known: readonly string[], tasks: readonly Task[]): string[] {
  const out = [...known];
  for (const t of tasks) if (!out.includes(t.payload.status)) out.push(t.payload.status);
  return out;
}

/** User ids from a text of ids separated by commas or spaces, without repeats. */
export function parseAssignees(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean))];
}

/** The end of a local day `YYYY-MM-DD` (23:59:59.999 local) as a `Date`, for a due date picked in a form; `undefined` for anything else. */
export function dueFromDate(day: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return undefined;
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 23, 59, 59, 999);
}
