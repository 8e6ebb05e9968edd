/**
 * Tasks over REST (`client.tasks`): create (also from a message), list with
 * filters, a conversation's board, read, change (status, position, assignees…),
 * delete, comments and the activity log.
 *
 * @packageDocumentation
 */

import { Pager, pageOf } from '../core/paging.js';
import type { RestClient } from '../core/rest.js';

/** How urgent a task is. */
export type TaskPriority = 'low' | 'normal' | 'high' | 'urgent';

/** The priorities, from the lowest. */
export const TASK_PRIORITIES: readonly TaskPriority[] = ['low', 'normal', 'high', 'urgent'];

/** The statuses of an app that set none (apps set their own with `PUT /v1/admin/tasks/statuses`). */
export const DEFAULT_TASK_STATUSES: readonly string[] = ['todo', 'doing', 'done'];

/** What a task holds. */
export interface TaskPayload {
  /** 1–200 characters. */
  title: string;
  /** Description, if any. */
  description: string | null;
  /** One of the app's statuses. */
  status: string;
  /** Priority. */
  priority: TaskPriority;
  /** Due time, RFC 3339 UTC, if any. */
  due_at: string | null;
  /** Order in its board column (ascending). */
  position: number;
  /** Assignee user ids. */
  assignees: string[];
  /** The message it was made from, if any. */
  message_id: string | null;
}

/** A task in the common object envelope. */
export interface Task {
  /** Id. */
  id: string;
  /** Always `task`. */
  kind: 'task';
  /** The creator. */
  owner_id: string;
  /** `private` (creator and assignees) or `conversation` (also its members). */
  visibility: 'private' | 'conversation';
  /** Its conversation, if any. */
  conversation_id: string | null;
  /** RFC 3339. */
  created_at: string;
  /** RFC 3339. */
  updated_at: string;
  /** The task's fields. */
  payload: TaskPayload;
}

/** A comment on a task. */
export interface TaskComment {
  /** Id. */
  id: string;
  /** Author. */
  author_id: string;
  /** Text. */
  text: string;
  /** RFC 3339. */
  created_at: string;
}

/** One entry of a task's activity log. */
export interface TaskActivity {
  /** Who. */
  actor_id: string;
  /** `created`, `title`, `description`, `status`, `priority`, `due`, `assignees` or `comment`. */
  action: string;
  /** Before. */
  from: unknown;
  /** After. */
  to: unknown;
  /** RFC 3339. */
  at: string;
}

/** A conversation's board. */
export interface TaskBoard {
  /** The conversation. */
  conversation_id: string;
  /** The app's statuses in order (then any other status tasks still carry), each with its tasks by position. */
  columns: Array<{ status: string; tasks: Task[] }>;
  /** The board has more than the 1000 tasks shown. */
  truncated: boolean;
}

/** Input of {@link TasksApi.create}. */
export interface CreateTaskInput {
  /** 1–200 characters; from a message, defaults to its first line. */
  title?: string;
  /** Up to 8000 characters. */
  description?: string;
  /** One of the app's statuses (default the first, `todo`). */
  status?: string;
  /** Default `normal`. */
  priority?: TaskPriority;
  /** A `Date`, RFC 3339, or a date. */
  dueAt?: Date | string;
  /** User ids (at most 50). */
  assignees?: string[];
  /** The conversation (the caller must be a member); its members see the task. */
  conversationId?: string;
  /** A message of that conversation the task is made from. */
  messageId?: string;
}

/** Input of {@link TasksApi.update}: absent fields are kept; `null` clears description or due time. */
export interface UpdateTaskInput {
  title?: string;
  description?: string | null;
  /** New status: the task goes to the end of that column unless `position` is given. */
  status?: string;
  priority?: TaskPriority;
  dueAt?: Date | string | null;
  assignees?: string[];
  /** New position in its column (any number, e.g. between two neighbours: see {@link positionBetween}). */
  position?: number;
}

/** Query of {@link TasksApi.list}. */
export interface ListTasksQuery {
  /** Only tasks of this conversation. */
  conversationId?: string;
  /** Only tasks assigned to this user. */
  assignee?: string;
  /** Only tasks with this status. */
  status?: string;
  /** `nextCursor` of the previous page. */
  cursor?: string;
  /** 1 to 100 (server default 30). */
  limit?: number;
}

/** A page of tasks, newest first. */
export interface TaskPage {
  /** The tasks. */
  tasks: Task[];
  /** Pass as `cursor` for the next page; absent on the last page. */
  nextCursor?: string;
}

/** Reason codes of the {@link RequestError}s of tasks (the server's `error.code`). */
export const TaskErrorCode = {
  /** No such task (or conversation, or message), or the caller may not see it. */
  NotFound: 'not_found',
  /** Only its creator deletes a task. */
  Forbidden: 'forbidden',
  InvalidTitle: 'invalid_title',
  /** A status not in the app's list. */
  InvalidStatus: 'invalid_status',
  InvalidPriority: 'invalid_priority',
  InvalidDue: 'invalid_due',
  UnknownUser: 'unknown_user',
  InvalidUserId: 'invalid_user_id',
  TooManyAssignees: 'too_many_assignees',
  /** `messageId` without its `conversationId`. */
  ConversationRequired: 'conversation_required',
} as const;

/** A board position between two neighbours (either may be missing: the start or the end of the column). */
export function positionBetween(before: number | undefined, after: number | undefined): number {
  if (before === undefined && after === undefined) return 1;
  if (before === undefined) return after! - 1;
  if (after === undefined) return before + 1;
  return (before + after) / 2;
}

function due(v: Date | string | null): string | null {
  return v instanceof Date ? v.toISOString() : v;
}

const path = (id: string, rest = ''): string => `/v1/tasks/${encodeURIComponent(id)}${rest}`;

/**
 * Tasks over REST (`client.tasks`). Errors are those of {@link RestClient}: a
 * {@link RequestError} with the server's code (see {@link TaskErrorCode}), an
 * {@link AuthError}, a {@link ConnectionError} or a {@link TimeoutError}.
 *
 * ```ts
 * const task = await client.tasks.create({ title: 'Ship it', conversationId, assignees: ['bob'], dueAt: new Date('2026-12-01') });
 * await client.tasks.update(task.id, { status: 'doing' });
 * const board = await client.tasks.board(conversationId);
 * ```
 */
export class TasksApi {
  private readonly rest: RestClient;

  /** @param rest - the client's REST client. */
  constructor(rest: RestClient) {
    this.rest = rest;
  }

  /** Creates a task; with `messageId` (and its `conversationId`) from a message. */
  async create(input: CreateTaskInput): Promise<Task> {
    const body: Record<string, unknown> = {};
    if (input.title !== undefined) body['title'] = input.title;
    if (input.description !== undefined) body['description'] = input.description;
    if (input.status !== undefined) body['status'] = input.status;
    if (input.priority !== undefined) body['priority'] = input.priority;
    if (input.dueAt !== undefined) body['due_at'] = due(input.dueAt);
    if (input.assignees !== undefined) body['assignees'] = input.assignees;
    if (input.conversationId !== undefined) body['conversation_id'] = input.conversationId;
    if (input.messageId !== undefined) body['message_id'] = input.messageId;
    return (await this.rest.post<{ task: Task }>('/v1/tasks', body)).task;
  }

  /** Tasks the caller may see, newest first, filtered. */
  async list(query: ListTasksQuery = {}): Promise<TaskPage> {
    const page = await this.rest.get<{ tasks: Task[]; next_cursor?: string | null }>('/v1/tasks', {
      conversation: query.conversationId,
      assignee: query.assignee,
      status: query.status,
      cursor: query.cursor,
      limit: query.limit,
    });
    return page.next_cursor ? { tasks: page.tasks, nextCursor: page.next_cursor } : { tasks: page.tasks };
  }

  /** A {@link Pager} over {@link TasksApi.list}. */
  pager(query: Omit<ListTasksQuery, 'cursor'> = {}): Pager<Task> {
    return new Pager(async (cursor) => {
      const page = await this.list({ ...query, ...(cursor === undefined ? {} : { cursor }) });
      return pageOf(page.tasks, page.nextCursor);
    });
  }

  /** A conversation's board: one column per status, tasks by position. */
  board(conversationId: string): Promise<TaskBoard> {
    return this.rest.get<TaskBoard>('/v1/tasks/board', { conversation: conversationId });
  }

  /** One task the caller may see. */
  async get(taskId: string): Promise<Task> {
    return (await this.rest.get<{ task: Task }>(path(taskId))).task;
  }

  /** Changes a task (anyone who sees it); each changed field goes to the activity log. */
  async update(taskId: string, input: UpdateTaskInput): Promise<Task> {
    const body: Record<string, unknown> = {};
    if (input.title !== undefined) body['title'] = input.title;
    if (input.description !== undefined) body['description'] = input.description;
    if (input.status !== undefined) body['status'] = input.status;
    if (input.priority !== undefined) body['priority'] = input.priority;
    if (input.dueAt !== undefined) body['due_at'] = due(input.dueAt);
    if (input.assignees !== undefined) body['assignees'] = input.assignees;
    if (input.position !== undefined) body['position'] = input.position;
    return (await this.rest.patch<{ task: Task }>(path(taskId), body)).task;
  }

  /** Deletes a task (its creator only). */
  async delete(taskId: string): Promise<void> {
    await this.rest.delete(path(taskId));
  }

  /** Comments on a task (1–4000 characters). */
  comment(taskId: string, text: string): Promise<TaskComment> {
    return this.rest.post<TaskComment>(path(taskId, '/comments'), { text });
  }

  /** A task's comments, oldest first (at most 500). */
  async comments(taskId: string): Promise<TaskComment[]> {
    return (await this.rest.get<{ comments: TaskComment[] }>(path(taskId, '/comments'))).comments;
  }

  /** Who changed what on a task, oldest first (at most 500 entries). */
  async activity(taskId: string): Promise<TaskActivity[]> {
    return (await this.rest.get<{ activity: TaskActivity[] }>(path(taskId, '/activity'))).activity;
  }
}
