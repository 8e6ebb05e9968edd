/**
 * `<caas-tasks>`: tasks as a list or as a board, with a form to add one and a
 * panel with a task's details and comments.
 *
 * @packageDocumentation
 */

import { html, nothing, type TemplateResult } from 'lit';
import { live } from 'lit/directives/live.js';

import { type Task, TASK_PRIORITIES, type TaskPriority } from '../../tasks/tasks.js';
import { shortTime } from '../shared/format.js';
import { baseStyles } from '../shared/styles.js';
import { doneStatus, dueLabel, isOverdue, neighbourStatus, PRIORITY_LABELS, statusLabel } from './logic.js';
import { type TaskDeletedDetail, type TaskDetail, TasksState } from './state.js';
import { tasksStyles } from './styles.js';

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
export class CaasTasks extends TasksState {
  static override styles = [baseStyles, tasksStyles];

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
