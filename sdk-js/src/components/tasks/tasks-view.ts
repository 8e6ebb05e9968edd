/**
 * `<caas-tasks>`: tasks as a list or as a board, with a form to add one and a
 * panel with a task's details and comments.
 *
 * @packageDocumentation
 */

import { LitElement, css, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { live } from 'lit/directives/live.js';

import type { CaasClient } from '../client.js';
import { ClientEvent } from '../events.js';
import type { Pager } from '../paging.js';
import { DEFAULT_TASK_STATUSES, TASK_PRIORITIES, type Task, type TaskComment, type TaskPriority, type UpdateTaskInput } from '../tasks.js';
import type { ActionErrorDetail } from './chat-list.js';
import { errorText, shortTime } from './logic.js';
import { baseStyles } from './styles.js';
import {
  PRIORITY_LABELS,
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
  type TaskColumn,
  type TasksView,
} from './tasks-logic.js';

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

/**
 * `<caas-tasks>`: the tasks the user may see — of one conversation with
 * `conversation-id`, assigned to someone with `assignee` (`me` for the user) —
 * as a list (newest first, paged: a done checkbox, status, priority, due date,
 * assignees) or as a board (`view="board"`: a column per status, cards by
 * position; drag a card, or use its ‹ › buttons, to move it). A form adds a
 * task (title, priority, due date, assignees); choosing a task opens its
 * details with its comments.
 *
 * The board of a conversation comes from `GET /v1/tasks/board` (the app's
 * statuses in order); without a conversation the tasks listed are grouped by
 * `statuses` (default `todo`, `doing`, `done`; set it to the app's list).
 *
 * @fires caas-task-created - `CustomEvent<TaskDetail>` after the form created a task.
 * @fires caas-task-updated - `CustomEvent<TaskDetail>` after a change (status, move, priority…).
 * @fires caas-task-deleted - `CustomEvent<TaskDeletedDetail>` after a task was deleted.
 * @fires caas-task-select - `CustomEvent<TaskDetail>` when a task is opened.
 * @fires caas-error - `CustomEvent<ActionErrorDetail>` when an op fails (shown too).
 *
 * @csspart toolbar - the toolbar and the new-task form.
 * @csspart list - the list.
 * @csspart board - the board.
 * @csspart details - the details panel.
 */
export class CaasTasks extends LitElement {
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

  static override styles = [
    baseStyles,
    css`
      :host {
        height: 100%;
        position: relative;
      }
      .toolbar {
        display: flex;
        flex-direction: column;
        gap: 6px;
        padding: 8px 10px;
        border-bottom: 1px solid var(--_border);
      }
      .line {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 6px;
      }
      .line .grow {
        flex: 1;
        min-width: 10em;
      }
      select {
        font: inherit;
        color: inherit;
        background: var(--_bg);
        border: 1px solid var(--_border);
        border-radius: var(--_radius);
        padding: 4px 6px;
      }
      [role='tab'][aria-selected='true'],
      button[aria-pressed='true'] {
        background: var(--_accent);
        border-color: var(--_accent);
        color: var(--_accent-fg);
      }
      .main {
        flex: 1;
        min-height: 0;
        display: flex;
      }
      .scroll {
        flex: 1;
        min-width: 0;
        overflow: auto;
      }
      ul.list {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      .row {
        display: flex;
        align-items: center;
        gap: 8px;
        padding: 6px 10px;
        border-bottom: 1px solid var(--_border);
      }
      .row .title {
        flex: 1;
        min-width: 0;
        text-align: left;
        border: none;
        padding: 0;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .row[data-done='true'] .title {
        text-decoration: line-through;
        color: var(--_muted);
      }
      .badge {
        font-size: 0.75em;
        padding: 0 6px;
        border-radius: 8px;
        border: 1px solid var(--_border);
        white-space: nowrap;
      }
      .badge[data-priority='high'] {
        border-color: #bf8700;
        color: #9a6700;
      }
      .badge[data-priority='urgent'] {
        border-color: var(--_danger);
        color: var(--_danger);
      }
      .due {
        font-size: 0.85em;
        color: var(--_muted);
        white-space: nowrap;
      }
      .due.overdue {
        color: var(--_danger);
        font-weight: 600;
      }
      .who {
        font-size: 0.85em;
        color: var(--_muted);
      }
      .board {
        display: flex;
        gap: 10px;
        padding: 10px;
        align-items: flex-start;
        min-height: 100%;
      }
      .column {
        flex: 0 0 240px;
        background: var(--_hover);
        border-radius: var(--_radius);
        padding: 6px;
        display: flex;
        flex-direction: column;
        gap: 6px;
        min-height: 120px;
      }
      .column.over {
        outline: 2px dashed var(--_accent);
      }
      .column h3 {
        margin: 2px 4px;
        font-size: 0.95em;
        display: flex;
        justify-content: space-between;
      }
      .card {
        background: var(--_bg);
        border: 1px solid var(--_border);
        border-radius: 8px;
        padding: 6px 8px;
        display: flex;
        flex-direction: column;
        gap: 4px;
        cursor: grab;
      }
      .card[data-dragging='true'] {
        opacity: 0.5;
      }
      .card .title {
        border: none;
        padding: 0;
        text-align: left;
        font-weight: 600;
        overflow-wrap: anywhere;
      }
      .card .meta {
        display: flex;
        align-items: center;
        gap: 6px;
        flex-wrap: wrap;
      }
      .card .moves {
        display: flex;
        justify-content: space-between;
      }
      .card .moves button {
        padding: 0 8px;
      }
      .details {
        flex: 0 0 min(340px, 45%);
        border-left: 1px solid var(--_border);
        padding: 10px;
        overflow: auto;
        display: flex;
        flex-direction: column;
        gap: 8px;
      }
      .details h3 {
        margin: 0;
        overflow-wrap: anywhere;
      }
      .details label {
        display: flex;
        flex-direction: column;
        gap: 2px;
        font-size: 0.9em;
      }
      .comments {
        list-style: none;
        margin: 0;
        padding: 0;
        display: flex;
        flex-direction: column;
        gap: 6px;
      }
      .comments .author {
        font-weight: 600;
        margin-right: 6px;
      }
      .placeholder {
        color: var(--_muted);
        padding: 16px;
        text-align: center;
      }
    `,
  ];

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

  declare private tasks: Task[];
  declare private columns: TaskColumn[];
  declare private hasMore: boolean;
  declare private loading: boolean;
  declare private error: string | undefined;
  declare private draftTitle: string;
  declare private draftPriority: TaskPriority;
  declare private draftDue: string;
  declare private draftAssignees: string;
  declare private creating: boolean;
  declare private selectedId: string | undefined;
  declare private comments: TaskComment[];
  declare private commentDraft: string;
  declare private dragging: string | undefined;

  private boundClient: CaasClient | undefined;
  private unsubscribe: Array<() => void> = [];
  private pager: Pager<Task> | undefined;
  private generation = 0;
  private loaded = false;
  /** The statuses of the last server board, when there was one. */
  private boardStatuses: string[] | undefined;
  private overColumn: string | undefined;

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

  private bindClient(): void {
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

  private get me(): string | undefined {
    return this.boundClient?.user?.id;
  }

  /** The statuses in use: the server board's, else `statuses` (with any other the tasks carry). */
  private get knownStatuses(): string[] {
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

  private emit<T>(type: string, detail: T): void {
    this.dispatchEvent(new CustomEvent<T>(type, { detail, bubbles: true, composed: true }));
  }

  private fail(action: string, error: unknown): void {
    this.error = errorText(error);
    this.emit<ActionErrorDetail>('caas-error', { action, error });
  }

  private find(id: string): Task | undefined {
    return this.shownTasks.find((t) => t.id === id);
  }

  /** Shows `task` as it now is, wherever it is. */
  private show(task: Task): void {
    this.tasks = this.tasks.map((t) => (t.id === task.id ? task : t));
    if (this.view === 'board') this.columns = placeTask(this.columns, task);
  }

  private async create(): Promise<void> {
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

  private toggleDone(task: Task): void {
    const statuses = this.knownStatuses;
    const done = doneStatus(statuses);
    void this.change(task, { status: task.payload.status === done ? (statuses[0] ?? 'todo') : done });
  }

  private async open(task: Task): Promise<void> {
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

  private async addComment(): Promise<void> {
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

  private async deleteTask(task: Task): Promise<void> {
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

  private onDragStart(e: DragEvent, task: Task): void {
    this.dragging = task.id;
    e.dataTransfer?.setData('text/plain', task.id);
    if (e.dataTransfer) e.dataTransfer.effectAllowed = 'move';
  }

  private onDragOver(e: DragEvent, status: string): void {
    if (!this.dragging) return;
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'move';
    if (this.overColumn !== status) {
      this.overColumn = status;
      this.requestUpdate();
    }
  }

  private onDrop(e: DragEvent, status: string): void {
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

  protected override render(): TemplateResult {
    const selected = this.selectedId ? this.find(this.selectedId) : undefined;
    return html`
      <div class="toolbar" part="toolbar">
        <div class="line">
          <div role="tablist" aria-label="View">
            ${(['list', 'board'] as const).map(
              (v) => html`<button type="button" role="tab" data-testid=${`tasks-view-${v}`} aria-selected=${this.view === v ? 'true' : 'false'} @click=${() => (this.view = v)}>
                ${v === 'list' ? 'List' : 'Board'}
              </button>`,
            )}
          </div>
          ${this.view === 'list'
            ? html`<label
                >Status
                <select data-testid="tasks-filter-status" .value=${live(this.status)} @change=${(e: Event) => (this.status = (e.target as HTMLSelectElement).value)}>
                  <option value="" ?selected=${this.status === ''}>Any</option>
                  ${this.knownStatuses.map((s) => html`<option value=${s} ?selected=${this.status === s}>${statusLabel(s)}</option>`)}
                </select></label
              >`
            : nothing}
          <button
            type="button"
            data-testid="tasks-filter-mine"
            aria-pressed=${this.assignee === 'me' ? 'true' : 'false'}
            @click=${() => (this.assignee = this.assignee === 'me' ? undefined : 'me')}
          >
            Assigned to me
          </button>
          <span class="grow"></span>
          <button type="button" data-testid="tasks-refresh" aria-label="Refresh" title="Refresh" @click=${() => this.reload()}>⟳</button>
        </div>
        <form
          class="line"
          data-testid="tasks-new"
          aria-label="New task"
          @submit=${(e: Event) => {
            e.preventDefault();
            void this.create();
          }}
        >
          <input
            class="grow"
            data-testid="tasks-new-title"
            aria-label="New task"
            placeholder="New task…"
            maxlength="200"
            .value=${live(this.draftTitle)}
            @input=${(e: Event) => (this.draftTitle = (e.target as HTMLInputElement).value)}
          />
          <select aria-label="Priority" data-testid="tasks-new-priority" .value=${live(this.draftPriority)} @change=${(e: Event) => (this.draftPriority = (e.target as HTMLSelectElement).value as TaskPriority)}>
            ${TASK_PRIORITIES.map((p) => html`<option value=${p} ?selected=${this.draftPriority === p}>${PRIORITY_LABELS[p]}</option>`)}
          </select>
          <input type="date" aria-label="Due" data-testid="tasks-new-due" .value=${live(this.draftDue)} @input=${(e: Event) => (this.draftDue = (e.target as HTMLInputElement).value)} />
          <input
            aria-label="Assignees (user ids)"
            placeholder="Assignees"
            data-testid="tasks-new-assignees"
            size="10"
            .value=${live(this.draftAssignees)}
            @input=${(e: Event) => (this.draftAssignees = (e.target as HTMLInputElement).value)}
          />
          <button type="submit" class="primary" data-testid="tasks-new-submit" ?disabled=${this.creating || this.draftTitle.trim() === ''}>Add</button>
        </form>
      </div>
      ${this.error
        ? html`<div class="error" role="alert" data-testid="tasks-error">
            ${this.error} <button type="button" @click=${() => (this.error = undefined)}>Dismiss</button>
          </div>`
        : nothing}
      <div class="main">
        <div class="scroll" aria-busy=${this.loading ? 'true' : 'false'}>${this.view === 'board' ? this.renderBoard() : this.renderList()}</div>
        ${selected ? this.renderDetails(selected) : nothing}
      </div>
    `;
  }

  private badges(t: Task): TemplateResult {
    const overdue = isOverdue(t, this.knownStatuses);
    return html`<span class="badge" data-testid="task-priority" data-priority=${t.payload.priority}>${PRIORITY_LABELS[t.payload.priority] ?? t.payload.priority}</span>
      ${t.payload.due_at
        ? html`<span class="due ${overdue ? 'overdue' : ''}" data-testid="task-due" data-overdue=${overdue ? 'true' : 'false'} title=${new Date(t.payload.due_at).toLocaleString()}
            >${overdue ? 'Overdue · ' : 'Due '}${dueLabel(t.payload.due_at)}</span
          >`
        : nothing}
      ${t.payload.assignees.length > 0 ? html`<span class="who" data-testid="task-assignees">${t.payload.assignees.map((a) => (a === this.me ? 'you' : a)).join(', ')}</span>` : nothing}`;
  }

  private renderList(): TemplateResult {
    const statuses = this.knownStatuses;
    const done = doneStatus(statuses);
    return html`<ul class="list" part="list" data-testid="tasks-list" aria-label="Tasks">
        ${this.tasks.map(
          (t) => html`<li class="row" data-testid="task-row" data-task-id=${t.id} data-status=${t.payload.status} data-done=${t.payload.status === done ? 'true' : 'false'}>
            <input type="checkbox" data-testid="task-done" aria-label=${`Done: ${t.payload.title}`} .checked=${live(t.payload.status === done)} @change=${() => this.toggleDone(t)} />
            <button type="button" class="title" data-testid="task-title" @click=${() => this.open(t)}>${t.payload.title}</button>
            ${this.badges(t)}
            <select aria-label=${`Status of ${t.payload.title}`} data-testid="task-status" .value=${live(t.payload.status)} @change=${(e: Event) => this.change(t, { status: (e.target as HTMLSelectElement).value })}>
              ${statuses.map((s) => html`<option value=${s} ?selected=${t.payload.status === s}>${statusLabel(s)}</option>`)}
            </select>
          </li>`,
        )}
      </ul>
      ${this.loading ? html`<p class="placeholder" role="status">Loading…</p>` : nothing}
      ${!this.loading && this.loaded && this.tasks.length === 0 ? html`<p class="placeholder" data-testid="tasks-empty">No tasks.</p>` : nothing}
      ${this.hasMore && !this.loading ? html`<button type="button" data-testid="tasks-more" style="margin:8px auto;display:block" @click=${() => this.loadMore()}>Load more</button>` : nothing}`;
  }

  private renderBoard(): TemplateResult {
    const statuses = this.columns.map((c) => c.status);
    return html`<div class="board" part="board" data-testid="tasks-board">
      ${this.columns.map(
        (c) => html`<section
          class="column ${this.overColumn === c.status ? 'over' : ''}"
          data-testid="task-column"
          data-status=${c.status}
          aria-label=${statusLabel(c.status)}
          @dragover=${(e: DragEvent) => this.onDragOver(e, c.status)}
          @dragleave=${() => {
            this.overColumn = undefined;
            this.requestUpdate();
          }}
          @drop=${(e: DragEvent) => this.onDrop(e, c.status)}
        >
          <h3>${statusLabel(c.status)} <span class="muted" data-testid="task-column-count">${c.tasks.length}</span></h3>
          ${c.tasks.map((t) => {
            const left = neighbourStatus(statuses, c.status, -1);
            const right = neighbourStatus(statuses, c.status, 1);
            return html`<article
              class="card"
              draggable="true"
              data-testid="task-card"
              data-task-id=${t.id}
              data-dragging=${this.dragging === t.id ? 'true' : 'false'}
              @dragstart=${(e: DragEvent) => this.onDragStart(e, t)}
              @dragend=${() => {
                this.dragging = undefined;
                this.overColumn = undefined;
              }}
            >
              <button type="button" class="title" data-testid="task-title" @click=${() => this.open(t)}>${t.payload.title}</button>
              <div class="meta">${this.badges(t)}</div>
              <div class="moves">
                <button type="button" data-testid="task-move-left" aria-label=${left ? `Move to ${statusLabel(left)}` : 'First column'} ?disabled=${!left} @click=${() => left && this.move(t, left)}>‹</button>
                <button type="button" data-testid="task-move-right" aria-label=${right ? `Move to ${statusLabel(right)}` : 'Last column'} ?disabled=${!right} @click=${() => right && this.move(t, right)}>›</button>
              </div>
            </article>`;
          })}
        </section>`,
      )}
      ${this.loading ? html`<p class="placeholder" role="status">Loading…</p>` : nothing}
    </div>`;
  }

  private renderDetails(t: Task): TemplateResult {
    const statuses = this.knownStatuses;
    return html`<aside class="details" part="details" data-testid="task-details" data-task-id=${t.id} aria-label="Task">
      <div class="line">
        <h3 class="grow">${t.payload.title}</h3>
        <button type="button" data-testid="task-details-close" aria-label="Close" @click=${() => (this.selectedId = undefined)}>✕</button>
      </div>
      ${t.payload.description ? html`<p style="margin:0;white-space:pre-wrap">${t.payload.description}</p>` : nothing}
      <label
        >Status
        <select data-testid="task-details-status" .value=${live(t.payload.status)} @change=${(e: Event) => this.change(t, { status: (e.target as HTMLSelectElement).value })}>
          ${statuses.map((s) => html`<option value=${s} ?selected=${t.payload.status === s}>${statusLabel(s)}</option>`)}
        </select></label
      >
      <label
        >Priority
        <select data-testid="task-details-priority" .value=${live(t.payload.priority)} @change=${(e: Event) => this.change(t, { priority: (e.target as HTMLSelectElement).value as TaskPriority })}>
          ${TASK_PRIORITIES.map((p) => html`<option value=${p} ?selected=${t.payload.priority === p}>${PRIORITY_LABELS[p]}</option>`)}
        </select></label
      >
      <div class="muted">Created by ${t.owner_id === this.me ? 'you' : t.owner_id}${t.payload.due_at ? html` · due ${dueLabel(t.payload.due_at)}` : nothing}</div>
      ${t.payload.assignees.length > 0 ? html`<div>Assigned to ${t.payload.assignees.join(', ')}</div>` : nothing}
      <h4 style="margin:6px 0 0">Comments</h4>
      <ul class="comments" data-testid="task-comments">
        ${this.comments.map(
          (c) => html`<li data-testid="task-comment"><span class="author">${c.author_id === this.me ? 'You' : c.author_id}</span>${c.text} <span class="muted">${shortTime(c.created_at)}</span></li>`,
        )}
      </ul>
      <form
        class="line"
        @submit=${(e: Event) => {
          e.preventDefault();
          void this.addComment();
        }}
      >
        <input class="grow" data-testid="task-comment-input" aria-label="Add a comment" placeholder="Add a comment…" maxlength="4000" .value=${live(this.commentDraft)} @input=${(e: Event) => (this.commentDraft = (e.target as HTMLInputElement).value)} />
        <button type="submit" data-testid="task-comment-submit" ?disabled=${this.commentDraft.trim() === ''}>Send</button>
      </form>
      ${t.owner_id === this.me ? html`<button type="button" data-testid="task-delete" @click=${() => this.deleteTask(t)}>Delete task</button>` : nothing}
    </aside>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'caas-tasks': CaasTasks;
  }
  interface HTMLElementEventMap {
    'caas-task-created': CustomEvent<TaskDetail>;
    'caas-task-updated': CustomEvent<TaskDetail>;
    'caas-task-deleted': CustomEvent<TaskDeletedDetail>;
    'caas-task-select': CustomEvent<TaskDetail>;
  }
}
