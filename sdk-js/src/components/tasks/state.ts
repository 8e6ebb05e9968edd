/**
 * The state of `<caas-tasks>` and how it follows the server: the tasks shown
 * (a paged list, or a board's columns), the new-task form, the open task and
 * its comments, and the task ops (create, change, move, delete, comment, drag
 * and drop).
 *
 * @packageDocumentation
 */

import { LitElement, type PropertyValues } from 'lit';

import type { CaasClient } from '../../client/client.js';
import { ClientEvent } from '../../client/events.js';
import type { Pager } from '../../core/paging.js';
import {
  DEFAULT_TASK_STATUSES,
  type Task,
  type TaskComment,
  type TaskPriority,
  type UpdateTaskInput,
} from '../../tasks/tasks.js';
import type { ActionErrorDetail } from '../shared/events.js';
import { errorText } from '../shared/format.js';
import {
  doneStatus,
  dueFromDate,
  groupByStatus,
  parseAssignees,
  placeTask,
  positionFor,
  removeTask,
  statusesOf,
  type TaskColumn,
  tasksOf,
  type TasksView,
} from './logic.js';

/** Detail of `caas-task-created`, `caas-task-updated` and `caas-task-select`. */
export interface TaskDetail {
  /** The task as it now is. */
  task: Task;
}

/** Detail of `caas-task-deleted`. */
export interface TaskDeletedDetail {
  /** The task deleted. */
  taskId: string;
}

/** Pages loaded at most for a board without a conversation (100 tasks each). */
const BOARD_PAGES = 10;

/** The state and the ops of `<caas-tasks>`; the element renders it. */
export abstract class TasksState extends LitElement {
  static override properties = {
    client: { attribute: false },
    conversationId: { type: String, attribute: 'conversation-id', reflect: true },
    view: { type: String, reflect: true },
    assignee: { type: String },
    statuses: { attribute: false },
    status: { type: String, reflect: true },
    tasks: { state: true },
    columns: { state: true },
    hasMore: { state: true },
    loading: { state: true },
    error: { state: true },
    draftTitle: { state: true },
    draftPriority: { state: true },
    draftDue: { state: true },
    draftAssignees: { state: true },
    creating: { state: true },
    selectedId: { state: true },
    comments: { state: true },
    commentDraft: { state: true },
    dragging: { state: true },
  };

  /** The client. */
  declare client: CaasClient | undefined;

  /** Only this conversation's tasks; new tasks go to it. Attribute `conversation-id`. */
  declare conversationId: string | undefined;

  /** `list` (default) or `board`. Attribute `view`. */
  declare view: TasksView;

  /** Only tasks assigned to this user (`me`: the user). Attribute `assignee`. */
  declare assignee: string | undefined;

  /** In the list, only tasks with this status (`''`: any; the filter sets it). Attribute `status`. */
  declare status: string;

  /** The statuses, in board order, when no conversation board gives them (default `todo`, `doing`, `done`). */
  declare statuses: readonly string[];

  declare protected tasks: Task[];

  declare protected columns: TaskColumn[];

  declare protected hasMore: boolean;

  declare protected loading: boolean;

  declare protected error: string | undefined;

  declare protected draftTitle: string;

  declare protected draftPriority: TaskPriority;

  declare protected draftDue: string;

  declare protected draftAssignees: string;

  declare protected creating: boolean;

  declare protected selectedId: string | undefined;

  declare protected comments: TaskComment[];

  declare protected commentDraft: string;

  declare protected dragging: string | undefined;

  protected boundClient: CaasClient | undefined;

  protected unsubscribe: Array<() => void> = [];

  protected pager: Pager<Task> | undefined;

  protected generation = 0;

  protected loaded = false;

  /** The statuses of the last server board, when there was one. */
  protected boardStatuses: string[] | undefined;

  protected overColumn: string | undefined;

  constructor() {
    super();
    this.client = undefined;
    this.conversationId = undefined;
    this.view = 'list';
    this.assignee = undefined;
    this.statuses = DEFAULT_TASK_STATUSES;
    this.status = '';
    this.tasks = [];
    this.columns = [];
    this.hasMore = false;
    this.loading = false;
    this.error = undefined;
    this.draftTitle = '';
    this.draftPriority = 'normal';
    this.draftDue = '';
    this.draftAssignees = '';
    this.creating = false;
    this.selectedId = undefined;
    this.comments = [];
    this.commentDraft = '';
    this.dragging = undefined;
  }

  /** The tasks shown (list order, or the board's columns one after the other). */
  get shownTasks(): readonly Task[] {
    return this.view === 'board' ? tasksOf(this.columns) : this.tasks;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.bindClient();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    this.boundClient = undefined;
    this.generation++;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('client')) this.bindClient();
    else if (
      this.boundClient &&
      (changed.has('conversationId') || changed.has('view') || changed.has('assignee') || changed.has('status') || changed.has('statuses'))
    ) {
      void this.reload();
    }
  }

  protected bindClient(): void {
    if (!this.isConnected || this.client === this.boundClient) return;
    for (const off of this.unsubscribe) off();
    this.boundClient = this.client;
    this.loaded = false;
    const client = this.client;
    if (!client) return;
    this.unsubscribe = [
      client.on(ClientEvent.Connected, () => {
        // `assignee="me"` needs the user; a first load that failed is retried.
        if (!this.loaded || this.assignee === 'me') void this.reload();
        else this.requestUpdate();
      }),
    ];
    void this.reload();
  }

  protected get me(): string | undefined {
    return this.boundClient?.user?.id;
  }

  /** The statuses in use: the server board's, else `statuses` (with any other the tasks carry). */
  protected get knownStatuses(): string[] {
    return statusesOf(this.boardStatuses ?? this.statuses, this.view === 'board' ? tasksOf(this.columns) : this.tasks);
  }

  /** Loads everything again. */
  async reload(): Promise<void> {
    const client = this.boundClient;
    if (!client) return;
    const generation = ++this.generation;
    this.error = undefined;
    this.tasks = [];
    this.columns = [];
    this.hasMore = false;
    this.loading = true;
    const assignee = this.assignee === 'me' ? this.me : this.assignee || undefined;
    if (this.assignee === 'me' && assignee === undefined) {
      this.loading = false; // `Connected` loads once the user is known.
      return;
    }
    const query = {
      limit: this.view === 'board' ? 100 : 30,
      ...(this.conversationId ? { conversationId: this.conversationId } : {}),
      ...(assignee ? { assignee } : {}),
      ...(this.status && this.view === 'list' ? { status: this.status } : {}),
    };
    try {
      if (this.view === 'board' && this.conversationId && !assignee) {
        const board = await client.tasks.board(this.conversationId);
        if (generation !== this.generation) return;
        this.boardStatuses = board.columns.map((c) => c.status);
        this.columns = board.columns.map((c) => ({ status: c.status, tasks: c.tasks }));
      } else if (this.view === 'board') {
        const pager = client.tasks.pager(query);
        for (let i = 0; i < BOARD_PAGES && pager.hasMore; i++) await pager.next();
        if (generation !== this.generation) return;
        this.columns = groupByStatus(pager.items, this.boardStatuses ?? this.statuses);
      } else {
        this.pager = client.tasks.pager(query);
        const items = await this.pager.next();
        if (generation !== this.generation) return;
        this.tasks = items;
        this.hasMore = this.pager.hasMore;
      }
      this.loaded = true;
    } catch (error) {
      if (generation !== this.generation) return;
      this.fail('tasks.list', error);
    } finally {
      if (generation === this.generation) this.loading = false;
    }
  }

  /** Loads the next page of the list. */
  async loadMore(): Promise<void> {
    const pager = this.pager;
    if (!pager || this.loading || !pager.hasMore) return;
    const generation = this.generation;
    this.loading = true;
    try {
      const items = await pager.next();
      if (generation !== this.generation) return;
      const have = new Set(this.tasks.map((t) => t.id));
      this.tasks = [...this.tasks, ...items.filter((t) => !have.has(t.id))];
      this.hasMore = pager.hasMore;
    } catch (error) {
      if (generation === this.generation) this.fail('tasks.list', error);
    } finally {
      if (generation === this.generation) this.loading = false;
    }
  }

  protected emit<T>(type: string, detail: T): void {
    this.dispatchEvent(new CustomEvent<T>(type, { detail, bubbles: true, composed: true }));
  }

  protected fail(action: string, error: unknown): void {
    this.error = errorText(error);
    this.emit<ActionErrorDetail>('caas-error', { action, error });
  }

  protected find(id: string): Task | undefined {
    return this.shownTasks.find((t) => t.id === id);
  }

  /** Shows `task` as it now is, wherever it is. */
  protected show(task: Task): void {
    this.tasks = this.tasks.map((t) => (t.id === task.id ? task : t));
    if (this.view === 'board') this.columns = placeTask(this.columns, task);
  }

  protected async create(): Promise<void> {
    const client = this.boundClient;
    const title = this.draftTitle.trim();
    if (!client || this.creating || title === '') return;
    this.creating = true;
    try {
      const due = dueFromDate(this.draftDue);
      const assignees = parseAssignees(this.draftAssignees);
      const task = await client.tasks.create({
        title,
        priority: this.draftPriority,
        ...(due ? { dueAt: due } : {}),
        ...(assignees.length > 0 ? { assignees } : {}),
        ...(this.conversationId ? { conversationId: this.conversationId } : {}),
      });
      this.draftTitle = '';
      this.draftDue = '';
      this.draftAssignees = '';
      this.draftPriority = 'normal';
      this.tasks = [task, ...this.tasks];
      if (this.view === 'board') this.columns = placeTask(this.columns, task);
      this.emit<TaskDetail>('caas-task-created', { task });
    } catch (error) {
      this.fail('tasks.create', error);
    } finally {
      this.creating = false;
    }
  }

  /** Changes a task, showing the change at once and going back if the server refuses. */
  async change(task: Task, input: UpdateTaskInput): Promise<void> {
    const client = this.boundClient;
    if (!client) return;
    const optimistic: Task = {
      ...task,
      payload: {
        ...task.payload,
        ...(input.status !== undefined ? { status: input.status } : {}),
        ...(input.position !== undefined ? { position: input.position } : {}),
        ...(input.priority !== undefined ? { priority: input.priority } : {}),
        ...(input.title !== undefined ? { title: input.title } : {}),
      },
    };
    this.show(optimistic);
    try {
      const now = await client.tasks.update(task.id, input);
      this.show(now);
      this.emit<TaskDetail>('caas-task-updated', { task: now });
    } catch (error) {
      this.show(task);
      this.fail('tasks.update', error);
    }
  }

  /** Moves a task to `status` (at `index` of that column, default its end). */
  move(task: Task, status: string, index?: number): Promise<void> {
    const position = positionFor(this.columns, task.id, status, index);
    return this.change(task, { status, position });
  }

  protected toggleDone(task: Task): void {
    const statuses = this.knownStatuses;
    const done = doneStatus(statuses);
    void this.change(task, { status: task.payload.status === done ? (statuses[0] ?? 'todo') : done });
  }

  protected async open(task: Task): Promise<void> {
    this.selectedId = task.id;
    this.comments = [];
    this.commentDraft = '';
    this.emit<TaskDetail>('caas-task-select', { task });
    const client = this.boundClient;
    if (!client) return;
    try {
      const comments = await client.tasks.comments(task.id);
      if (this.selectedId === task.id) this.comments = comments;
    } catch (error) {
      this.fail('tasks.comments', error);
    }
  }

  protected async addComment(): Promise<void> {
    const client = this.boundClient;
    const id = this.selectedId;
    const text = this.commentDraft.trim();
    if (!client || !id || text === '') return;
    try {
      const comment = await client.tasks.comment(id, text);
      if (this.selectedId === id) {
        this.comments = [...this.comments, comment];
        this.commentDraft = '';
      }
    } catch (error) {
      this.fail('tasks.comment', error);
    }
  }

  protected async deleteTask(task: Task): Promise<void> {
    const client = this.boundClient;
    if (!client) return;
    try {
      await client.tasks.delete(task.id);
      this.tasks = this.tasks.filter((t) => t.id !== task.id);
      this.columns = removeTask(this.columns, task.id);
      if (this.selectedId === task.id) this.selectedId = undefined;
      this.emit<TaskDeletedDetail>('caas-task-deleted', { taskId: task.id });
    } catch (error) {
      this.fail('tasks.delete', error);
    }
  }

  // Drag and drop on the board.

  protected onDragStart(e: DragEvent, task: Task): void {
    this.dragging = task.id;
    e.dataTransfer?.setData('text/plain', task.id);
    if (e.dataTransfer) e.dataTransfer.effectAllowed = 'move';
  }

  protected onDragOver(e: DragEvent, status: string): void {
    if (!this.dragging) return;
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'move';
    if (this.overColumn !== status) {
      this.overColumn = status;
      this.requestUpdate();
    }
  }

  protected onDrop(e: DragEvent, status: string): void {
    e.preventDefault();
    const id = this.dragging ?? e.dataTransfer?.getData('text/plain');
    this.dragging = undefined;
    this.overColumn = undefined;
    const task = id ? this.find(id) : undefined;
    if (!task) return;
    // Before the card under the pointer, else at the end.
    const cards = [...(e.currentTarget as HTMLElement).querySelectorAll<HTMLElement>('[data-testid="task-card"]')].filter((c) => c.dataset['taskId'] !== id);
    const index = cards.findIndex((c) => e.clientY < c.getBoundingClientRect().top + c.getBoundingClientRect().height / 2);
    void this.move(task, status, index < 0 ? undefined : index);
  }
}
