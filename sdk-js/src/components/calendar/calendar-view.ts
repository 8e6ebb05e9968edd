/**
 * `<caas-calendar>`: month and week views of the user's calendar, with a
 * dialog to create an event and one to see an event (RSVP, delete).
 *
 * @packageDocumentation
 */

import { LitElement, css, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { live } from 'lit/directives/live.js';

import type { CalendarEvent, EventOccurrence, Rsvp } from '../calendar.js';
import type { CaasClient } from '../client.js';
import { ClientEvent } from '../events.js';
import {
  DAY_MINUTES,
  addDays,
  dayKey,
  eventInputOf,
  localTimeZone,
  newEventForm,
  occurrenceTime,
  occurrencesByDay,
  parseDay,
  rangeTitle,
  shiftAnchor,
  startOfDay,
  viewDays,
  visibleRange,
  weekPlacement,
  weekdayNames,
  type CalendarView,
  type EventForm,
  type Repeat,
} from './calendar-logic.js';
import type { ActionErrorDetail } from './chat-list.js';
import { errorText } from './logic.js';
import { baseStyles } from './styles.js';

/** Detail of `caas-event-created`. */
export interface EventCreatedDetail {
  /** The new event. */
  event: CalendarEvent;
}

/** Detail of `caas-event-select`. */
export interface EventSelectDetail {
  /** The occurrence chosen. */
  occurrence: EventOccurrence;
}

/** How many events a month cell lists before "+N more". */
const MONTH_CELL_MAX = 3;
/** Pixels per hour in the week view. */
const HOUR_PX = 44;

const RSVP_LABELS: Record<Rsvp, string> = { accepted: 'Going', tentative: 'Maybe', declined: 'Not going', needs_action: 'No answer' };

/**
 * `<caas-calendar>`: the occurrences of the user's events (recurrences
 * expanded, `GET /v1/calendar/occurrences`) in a month grid or a week of hour
 * rows, in the browser's local time. Previous / Today / Next move through
 * time; a day (month) or an hour slot (week), or New event, opens a dialog
 * that creates an event (title, date, times or all day, location, attendees,
 * repeat, call) in the user's time zone. Choosing an event shows it: time,
 * place, organizer, attendees and their answers, RSVP buttons for the
 * invited, Delete for the organizer.
 *
 * @fires caas-event-created - `CustomEvent<EventCreatedDetail>` after the dialog created an event.
 * @fires caas-event-select - `CustomEvent<EventSelectDetail>` when an event is chosen.
 * @fires caas-error - `CustomEvent<ActionErrorDetail>` when an op fails (the calendar shows it too).
 *
 * @csspart toolbar - the toolbar.
 * @csspart grid - the month grid or the week.
 */
export class CaasCalendar extends LitElement {
  static override properties = {
    client: { attribute: false },
    view: { type: String, reflect: true },
    date: { type: String, reflect: true },
    weekStart: { type: Number, attribute: 'week-start' },
    timeZone: { type: String, attribute: 'time-zone' },
    conversationId: { type: String, attribute: 'conversation-id' },
    userId: { type: String, attribute: 'user-id' },
    occurrences: { state: true },
    loading: { state: true },
    error: { state: true },
    truncated: { state: true },
    form: { state: true },
    formError: { state: true },
    saving: { state: true },
    selected: { state: true },
    selectedEvent: { state: true },
  };

  static override styles = [
    baseStyles,
    css`
      :host {
        --_today: var(--caas-calendar-today, var(--_accent));
        --_event-bg: var(--caas-calendar-event-bg, color-mix(in srgb, var(--_accent) 16%, var(--_bg)));
        height: 100%;
        position: relative;
      }
      .toolbar {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 6px;
        padding: 8px 10px;
        border-bottom: 1px solid var(--_border);
      }
      .toolbar h2 {
        margin: 0 8px;
        font-size: 1.05em;
        flex: 1;
        min-width: 8em;
      }
      [role='tab'][aria-selected='true'] {
        background: var(--_accent);
        border-color: var(--_accent);
        color: var(--_accent-fg);
      }
      .body {
        flex: 1;
        min-height: 0;
        overflow: auto;
        position: relative;
      }
      .month {
        display: grid;
        grid-template-columns: repeat(7, minmax(0, 1fr));
        grid-template-rows: auto repeat(6, minmax(92px, 1fr));
        min-height: 100%;
      }
      .month .head,
      .week .head {
        font-size: 0.85em;
        color: var(--_muted);
        text-align: center;
        padding: 4px;
        border-bottom: 1px solid var(--_border);
      }
      .month .head {
        min-height: 0;
      }
      .cell {
        border-right: 1px solid var(--_border);
        border-bottom: 1px solid var(--_border);
        padding: 2px 4px;
        display: flex;
        flex-direction: column;
        gap: 2px;
        min-width: 0;
        cursor: pointer;
      }
      .cell[data-outside='true'] {
        background: var(--_hover);
        color: var(--_muted);
      }
      .num {
        align-self: flex-end;
        border: none;
        padding: 0 6px;
        font-size: 0.85em;
        border-radius: 10px;
      }
      .cell[data-today='true'] .num {
        background: var(--_today);
        color: var(--_accent-fg);
      }
      .chip {
        display: block;
        width: 100%;
        text-align: left;
        border: none;
        border-radius: 4px;
        padding: 1px 4px;
        font-size: 0.82em;
        background: var(--_event-bg);
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .chip.all-day {
        background: var(--_accent);
        color: var(--_accent-fg);
      }
      .more {
        border: none;
        padding: 0 4px;
        font-size: 0.8em;
        color: var(--_muted);
        text-align: left;
      }
      .week {
        display: grid;
        grid-template-columns: 52px repeat(7, minmax(0, 1fr));
      }
      .week .head {
        position: sticky;
        top: 0;
        z-index: 2;
        height: 28px;
        background: var(--_bg);
      }
      .week .allday {
        position: sticky;
        top: 28px;
        z-index: 2;
        background: var(--_bg);
      }
      .week .head[data-today='true'] {
        color: var(--_today);
        font-weight: 700;
      }
      .allday {
        border-bottom: 1px solid var(--_border);
        padding: 2px;
        min-height: 24px;
        display: flex;
        flex-direction: column;
        gap: 2px;
      }
      .hours,
      .column {
        position: relative;
        height: calc(24 * ${HOUR_PX}px);
      }
      .hours span {
        position: absolute;
        right: 6px;
        font-size: 0.75em;
        color: var(--_muted);
        transform: translateY(-50%);
      }
      .column {
        border-left: 1px solid var(--_border);
      }
      .slot {
        display: block;
        width: 100%;
        height: ${HOUR_PX}px;
        border: none;
        border-bottom: 1px dashed var(--_border);
        border-radius: 0;
        padding: 0;
      }
      .slot:hover {
        background: var(--_hover);
      }
      .block {
        position: absolute;
        left: 2px;
        right: 2px;
        overflow: hidden;
        border: 1px solid var(--_accent);
        border-radius: 4px;
        background: var(--_event-bg);
        font-size: 0.8em;
        padding: 1px 4px;
        text-align: left;
        white-space: normal;
      }
      .backdrop {
        position: absolute;
        inset: 0;
        z-index: 10;
        display: grid;
        place-items: center;
        background: rgba(0, 0, 0, 0.35);
      }
      [role='dialog'] {
        background: var(--_bg);
        color: var(--_fg);
        border-radius: var(--_radius);
        padding: 14px 16px;
        width: min(420px, 94%);
        max-height: 94%;
        overflow: auto;
        display: flex;
        flex-direction: column;
        gap: 8px;
        box-shadow: 0 8px 30px rgba(0, 0, 0, 0.25);
      }
      [role='dialog'] h3 {
        margin: 0;
      }
      [role='dialog'] label {
        display: flex;
        flex-direction: column;
        gap: 2px;
        font-size: 0.9em;
      }
      [role='dialog'] label.check {
        flex-direction: row;
        align-items: center;
        gap: 6px;
      }
      .row {
        display: flex;
        gap: 8px;
      }
      .row > * {
        flex: 1;
      }
      select {
        font: inherit;
        color: inherit;
        background: var(--_bg);
        border: 1px solid var(--_border);
        border-radius: var(--_radius);
        padding: 5px 8px;
      }
      .actions {
        display: flex;
        justify-content: flex-end;
        gap: 8px;
      }
      .attendees {
        margin: 0;
        padding-left: 18px;
      }
      button[aria-pressed='true'] {
        background: var(--_accent);
        border-color: var(--_accent);
        color: var(--_accent-fg);
      }
    `,
  ];

  /** The client. */
  declare client: CaasClient | undefined;
  /** `month` (default) or `week`. Attribute `view`. */
  declare view: CalendarView;
  /** A day of the period shown (`YYYY-MM-DD`, default today). Attribute `date`. */
  declare date: string;
  /** First day of the week: 0 Sunday … 6 Saturday (default 1, Monday). Attribute `week-start`. */
  declare weekStart: number;
  /** IANA zone of new events (default the browser's). Attribute `time-zone`. */
  declare timeZone: string | undefined;
  /** New events go to this conversation (its members see them). Attribute `conversation-id`. */
  declare conversationId: string | undefined;
  /** Show this user's calendar (as far as the user may see it) instead of one's own. Attribute `user-id`. */
  declare userId: string | undefined;

  declare private occurrences: EventOccurrence[];
  declare private loading: boolean;
  declare private error: string | undefined;
  declare private truncated: boolean;
  declare private form: EventForm | undefined;
  declare private formError: string | undefined;
  declare private saving: boolean;
  declare private selected: EventOccurrence | undefined;
  declare private selectedEvent: CalendarEvent | undefined;

  private boundClient: CaasClient | undefined;
  private unsubscribe: Array<() => void> = [];
  private generation = 0;
  private loaded = false;
  private focusDialog = false;
  private scrolledWeek = false;

  constructor() {
    super();
    this.client = undefined;
    this.view = 'month';
    this.date = dayKey(new Date());
    this.weekStart = 1;
    this.timeZone = undefined;
    this.conversationId = undefined;
    this.userId = undefined;
    this.occurrences = [];
    this.loading = false;
    this.error = undefined;
    this.truncated = false;
    this.form = undefined;
    this.formError = undefined;
    this.saving = false;
    this.selected = undefined;
    this.selectedEvent = undefined;
  }

  /** The occurrences loaded for the period shown. */
  get shownOccurrences(): readonly EventOccurrence[] {
    return this.occurrences;
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
    else if (this.boundClient && (changed.has('view') || changed.has('date') || changed.has('weekStart') || changed.has('userId'))) void this.reload();
    if (changed.has('view')) this.scrolledWeek = false;
  }

  protected override updated(): void {
    if (this.focusDialog) {
      this.focusDialog = false;
      this.renderRoot.querySelector<HTMLElement>('[role="dialog"] input, [role="dialog"] button')?.focus();
    }
    if (this.view === 'week' && !this.scrolledWeek) {
      const body = this.renderRoot.querySelector<HTMLElement>('.body');
      if (body && body.clientHeight > 0) {
        body.scrollTop = 8 * HOUR_PX; // The working day in sight.
        this.scrolledWeek = true;
      }
    }
  }

  /** Loads the occurrences of the period shown again. */
  async reload(): Promise<void> {
    const client = this.boundClient;
    if (!client) return;
    const generation = ++this.generation;
    const { from, to } = visibleRange(this.view, parseDay(this.date), this.weekStart);
    this.loading = true;
    this.error = undefined;
    try {
      const r = await client.calendar.occurrences({ from, to, limit: 2000, ...(this.userId ? { userId: this.userId } : {}) });
      if (generation !== this.generation) return;
      this.occurrences = r.occurrences;
      this.truncated = r.truncated;
      this.loaded = true;
    } catch (error) {
      if (generation !== this.generation) return;
      this.fail('calendar.occurrences', error);
    } finally {
      if (generation === this.generation) this.loading = false;
    }
  }

  /** Shows the period before (`-1`) or after (`1`). */
  move(step: number): void {
    this.date = dayKey(shiftAnchor(this.view, parseDay(this.date), step));
  }

  /** Opens the new-event dialog for `day` at `hour`. */
  openNewEvent(day: Date = parseDay(this.date), hour?: number): void {
    this.form = newEventForm(day, hour);
    this.formError = undefined;
    this.selected = undefined;
    this.focusDialog = true;
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
        if (!this.loaded && !this.loading) void this.reload();
        else this.requestUpdate();
      }),
    ];
    void this.reload();
  }

  private fail(action: string, error: unknown): void {
    this.error = errorText(error);
    this.dispatchEvent(new CustomEvent<ActionErrorDetail>('caas-error', { detail: { action, error }, bubbles: true, composed: true }));
  }

  private async save(): Promise<void> {
    const client = this.boundClient;
    const form = this.form;
    if (!client || !form || this.saving) return;
    const input = eventInputOf(form, this.timeZone || localTimeZone());
    if ('error' in input) {
      this.formError = input.error;
      return;
    }
    if (this.conversationId) input.conversationId = this.conversationId;
    this.saving = true;
    this.formError = undefined;
    try {
      const event = await client.calendar.create(input);
      this.form = undefined;
      this.dispatchEvent(new CustomEvent<EventCreatedDetail>('caas-event-created', { detail: { event }, bubbles: true, composed: true }));
      // Show the period of the new event, then load it.
      const day = parseDay(form.date);
      const { from, to } = visibleRange(this.view, parseDay(this.date), this.weekStart);
      if (day < from || day >= to) this.date = form.date;
      else await this.reload();
    } catch (error) {
      this.formError = errorText(error);
      this.dispatchEvent(new CustomEvent<ActionErrorDetail>('caas-error', { detail: { action: 'calendar.create', error }, bubbles: true, composed: true }));
    } finally {
      this.saving = false;
    }
  }

  private async select(o: EventOccurrence): Promise<void> {
    this.selected = o;
    this.selectedEvent = undefined;
    this.form = undefined;
    this.focusDialog = true;
    this.dispatchEvent(new CustomEvent<EventSelectDetail>('caas-event-select', { detail: { occurrence: o }, bubbles: true, composed: true }));
    const client = this.boundClient;
    if (!client) return;
    try {
      const event = await client.calendar.get(o.event_id);
      if (this.selected?.event_id === o.event_id) this.selectedEvent = event;
    } catch (error) {
      this.fail('calendar.get', error);
    }
  }

  private async answer(rsvp: Rsvp): Promise<void> {
    const client = this.boundClient;
    const event = this.selectedEvent;
    if (!client || !event) return;
    try {
      this.selectedEvent = await client.calendar.rsvp(event.id, rsvp);
    } catch (error) {
      this.fail('calendar.rsvp', error);
    }
  }

  private async deleteEvent(): Promise<void> {
    const client = this.boundClient;
    const event = this.selectedEvent;
    if (!client || !event) return;
    try {
      await client.calendar.delete(event.id);
      this.selected = undefined;
      this.selectedEvent = undefined;
      await this.reload();
    } catch (error) {
      this.fail('calendar.delete', error);
    }
  }

  private closeDialogs(): void {
    this.form = undefined;
    this.selected = undefined;
    this.selectedEvent = undefined;
  }

  protected override render(): TemplateResult {
    const anchor = parseDay(this.date);
    return html`
      <div class="toolbar" part="toolbar" role="toolbar" aria-label="Calendar">
        <button type="button" data-testid="calendar-prev" aria-label=${this.view === 'month' ? 'Previous month' : 'Previous week'} @click=${() => this.move(-1)}>‹</button>
        <button type="button" data-testid="calendar-today" @click=${() => (this.date = dayKey(new Date()))}>Today</button>
        <button type="button" data-testid="calendar-next" aria-label=${this.view === 'month' ? 'Next month' : 'Next week'} @click=${() => this.move(1)}>›</button>
        <h2 data-testid="calendar-title" aria-live="polite">${rangeTitle(this.view, anchor, this.weekStart)}</h2>
        <div role="tablist" aria-label="View">
          ${(['month', 'week'] as const).map(
            (v) => html`<button
              type="button"
              role="tab"
              data-testid=${`calendar-view-${v}`}
              aria-selected=${this.view === v ? 'true' : 'false'}
              @click=${() => (this.view = v)}
            >
              ${v === 'month' ? 'Month' : 'Week'}
            </button>`,
          )}
        </div>
        <button type="button" class="primary" data-testid="calendar-new" @click=${() => this.openNewEvent()}>New event</button>
      </div>
      ${this.error
        ? html`<div class="error" role="alert" data-testid="calendar-error">
            ${this.error} <button type="button" @click=${() => this.reload()}>Retry</button>
          </div>`
        : nothing}
      ${this.truncated ? html`<div class="muted" role="note" style="padding:2px 10px">Some events are not shown: too many in this period.</div>` : nothing}
      <div class="body" aria-busy=${this.loading ? 'true' : 'false'}>${this.view === 'week' ? this.renderWeek(anchor) : this.renderMonth(anchor)}</div>
      ${this.form ? this.renderForm(this.form) : nothing}
      ${this.selected ? this.renderDetails(this.selected) : nothing}
    `;
  }

  private chip(o: EventOccurrence): TemplateResult {
    return html`<button
      type="button"
      class="chip ${o.all_day ? 'all-day' : ''}"
      data-testid="calendar-event"
      data-event-id=${o.event_id}
      data-start=${o.starts_at}
      title=${`${occurrenceTime(o)} ${o.title}`}
      @click=${(e: Event) => {
        e.stopPropagation();
        void this.select(o);
      }}
    >
      ${o.all_day ? '' : html`<span class="muted">${occurrenceTime(o).split('–')[0]}</span> `}${o.title}
    </button>`;
  }

  private renderMonth(anchor: Date): TemplateResult {
    const days = viewDays('month', anchor, this.weekStart);
    const byDay = occurrencesByDay(this.occurrences, days);
    const today = dayKey(new Date());
    const month = anchor.getMonth();
    return html`<div class="month" part="grid" role="grid" aria-label=${rangeTitle('month', anchor)} data-testid="calendar-month">
      ${weekdayNames(this.weekStart).map((n) => html`<div class="head" role="columnheader">${n}</div>`)}
      ${days.map((d) => {
        const key = dayKey(d);
        const list = byDay.get(key) ?? [];
        const extra = list.length - MONTH_CELL_MAX;
        return html`<div
          class="cell"
          role="gridcell"
          data-testid="calendar-day"
          data-date=${key}
          data-outside=${d.getMonth() === month ? 'false' : 'true'}
          data-today=${key === today ? 'true' : 'false'}
          @click=${() => this.openNewEvent(d)}
        >
          <button
            type="button"
            class="num"
            aria-label=${`New event on ${d.toLocaleDateString('en', { weekday: 'long', day: 'numeric', month: 'long' })}`}
            @click=${(e: Event) => {
              e.stopPropagation();
              this.openNewEvent(d);
            }}
          >
            ${d.getDate()}
          </button>
          ${list.slice(0, extra > 0 ? MONTH_CELL_MAX - 1 : MONTH_CELL_MAX).map((o) => this.chip(o))}
          ${extra > 0
            ? html`<button
                type="button"
                class="more"
                data-testid="calendar-more"
                @click=${(e: Event) => {
                  e.stopPropagation();
                  this.date = key;
                  this.view = 'week';
                }}
              >
                +${extra + 1} more
              </button>`
            : nothing}
        </div>`;
      })}
    </div>`;
  }

  private renderWeek(anchor: Date): TemplateResult {
    const days = viewDays('week', anchor, this.weekStart);
    const byDay = occurrencesByDay(this.occurrences, days);
    const today = dayKey(new Date());
    const hours = Array.from({ length: 24 }, (_, h) => h);
    return html`<div class="week" part="grid" data-testid="calendar-week" role="grid" aria-label=${rangeTitle('week', anchor, this.weekStart)}>
      <div class="head"></div>
      ${days.map(
        (d) => html`<div class="head" role="columnheader" data-today=${dayKey(d) === today ? 'true' : 'false'}>
          ${d.toLocaleDateString('en', { weekday: 'short' })} ${d.getDate()}
        </div>`,
      )}
      <div class="allday muted" style="font-size:0.75em">all day</div>
      ${days.map((d) => html`<div class="allday" data-date=${dayKey(d)}>${(byDay.get(dayKey(d)) ?? []).filter((o) => o.all_day).map((o) => this.chip(o))}</div>`)}
      <div class="hours" aria-hidden="true">${hours.slice(1).map((h) => html`<span style=${`top:${h * HOUR_PX}px`}>${String(h).padStart(2, '0')}:00</span>`)}</div>
      ${days.map((d) => {
        const key = dayKey(d);
        return html`<div class="column" role="gridcell" data-testid="calendar-column" data-date=${key}>
          ${hours.map(
            (h) => html`<button
              type="button"
              class="slot"
              data-testid="calendar-slot"
              data-date=${key}
              data-hour=${h}
              aria-label=${`New event on ${d.toLocaleDateString('en', { weekday: 'long', day: 'numeric', month: 'long' })} at ${h}:00`}
              @click=${() => this.openNewEvent(d, h)}
            ></button>`,
          )}
          ${(byDay.get(key) ?? [])
            .filter((o) => !o.all_day)
            .map((o) => {
              const at = weekPlacement(o, d);
              if (!at) return nothing;
              const style = `top:${(at.top / DAY_MINUTES) * 24 * HOUR_PX}px;height:${Math.max(16, (at.height / 60) * HOUR_PX - 2)}px`;
              return html`<button
                type="button"
                class="block"
                data-testid="calendar-event"
                data-event-id=${o.event_id}
                data-start=${o.starts_at}
                style=${style}
                title=${`${occurrenceTime(o)} ${o.title}`}
                @click=${() => this.select(o)}
              >
                <strong>${o.title}</strong><br /><span class="muted">${occurrenceTime(o)}</span>
              </button>`;
            })}
        </div>`;
      })}
    </div>`;
  }

  private renderForm(form: EventForm): TemplateResult {
    const set = (patch: Partial<EventForm>): void => {
      // The current form, not the one of this render: several inputs may come before the next render.
      if (this.form) this.form = { ...this.form, ...patch };
      this.formError = undefined;
    };
    const value = (e: Event): string => (e.target as HTMLInputElement).value;
    return html`<div class="backdrop" @click=${(e: Event) => e.target === e.currentTarget && this.closeDialogs()}>
      <form
        role="dialog"
        aria-modal="true"
        aria-labelledby="caas-new-event-title"
        data-testid="calendar-dialog"
        @submit=${(e: Event) => {
          e.preventDefault();
          void this.save();
        }}
        @keydown=${(e: KeyboardEvent) => {
          if (e.key === 'Escape') this.closeDialogs();
        }}
      >
        <h3 id="caas-new-event-title">New event</h3>
        <label>Title <input data-testid="event-title" aria-required="true" maxlength="200" .value=${live(form.title)} @input=${(e: Event) => set({ title: value(e) })} /></label>
        <div class="row">
          <label>Date <input type="date" data-testid="event-date" .value=${live(form.date)} @input=${(e: Event) => set({ date: value(e) })} /></label>
          <label class="check"
            ><input type="checkbox" data-testid="event-all-day" .checked=${live(form.allDay)} @change=${(e: Event) => set({ allDay: (e.target as HTMLInputElement).checked })} /> All day</label
          >
        </div>
        ${form.allDay
          ? nothing
          : html`<div class="row">
              <label>Starts <input type="time" data-testid="event-start" .value=${live(form.startTime)} @input=${(e: Event) => set({ startTime: value(e) })} /></label>
              <label>Ends <input type="time" data-testid="event-end" .value=${live(form.endTime)} @input=${(e: Event) => set({ endTime: value(e) })} /></label>
            </div>`}
        <label>Location <input data-testid="event-location" maxlength="500" .value=${live(form.location)} @input=${(e: Event) => set({ location: value(e) })} /></label>
        <label
          >Invite (user ids)
          <input data-testid="event-attendees" placeholder="bob, cy" .value=${live(form.attendees)} @input=${(e: Event) => set({ attendees: value(e) })}
        /></label>
        <div class="row">
          <label
            >Repeats
            <select data-testid="event-repeat" .value=${live(form.repeat)} @change=${(e: Event) => set({ repeat: value(e) as Repeat })}>
              ${(['none', 'daily', 'weekly', 'monthly', 'yearly'] as const).map(
                (r) => html`<option value=${r} ?selected=${form.repeat === r}>${r === 'none' ? 'Does not repeat' : r[0]!.toUpperCase() + r.slice(1)}</option>`,
              )}
            </select></label
          >
          <label class="check"
            ><input type="checkbox" data-testid="event-call" .checked=${live(form.call)} @change=${(e: Event) => set({ call: (e.target as HTMLInputElement).checked })} /> With a call</label
          >
        </div>
        ${this.formError ? html`<div class="error" role="alert" data-testid="event-error">${this.formError}</div>` : nothing}
        <div class="actions">
          <button type="button" data-testid="event-cancel" @click=${() => this.closeDialogs()}>Cancel</button>
          <button type="submit" class="primary" data-testid="event-save" ?disabled=${this.saving}>${this.saving ? 'Saving…' : 'Save'}</button>
        </div>
      </form>
    </div>`;
  }

  private renderDetails(o: EventOccurrence): TemplateResult {
    const event = this.selectedEvent;
    const me = this.boundClient?.user?.id;
    const mine = me !== undefined && o.owner_id === me;
    const invited = event?.payload.attendees.find((a) => a.user_id === me);
    const when = o.all_day
      ? `${parseDay(o.start.slice(0, 10)).toLocaleDateString('en', { dateStyle: 'full' })}${
          o.end.slice(0, 10) > dayKey(addDays(parseDay(o.start.slice(0, 10)), 1)) ? ` – ${addDays(parseDay(o.end.slice(0, 10)), -1).toLocaleDateString('en', { dateStyle: 'full' })}` : ''
        }`
      : `${startOfDay(new Date(o.starts_at)).toLocaleDateString('en', { dateStyle: 'full' })}, ${occurrenceTime(o)}`;
    return html`<div class="backdrop" @click=${(e: Event) => e.target === e.currentTarget && this.closeDialogs()}>
      <div
        role="dialog"
        aria-modal="true"
        aria-labelledby="caas-event-title"
        data-testid="calendar-details"
        data-event-id=${o.event_id}
        @keydown=${(e: KeyboardEvent) => {
          if (e.key === 'Escape') this.closeDialogs();
        }}
      >
        <h3 id="caas-event-title">${o.title}</h3>
        <div data-testid="details-time">${when}${o.recurring ? ' · repeats' : ''}</div>
        ${o.location ? html`<div data-testid="details-location">Where: ${o.location}</div>` : nothing}
        <div class="muted">Organized by ${mine ? 'you' : o.owner_id}</div>
        ${o.call_room_id ? html`<div data-testid="details-call">Call room: <code>${o.call_room_id}</code></div>` : nothing}
        ${event?.payload.description ? html`<p style="margin:0;white-space:pre-wrap">${event.payload.description}</p>` : nothing}
        ${event && event.payload.attendees.length > 0
          ? html`<ul class="attendees" data-testid="details-attendees">
              ${event.payload.attendees.map((a) => html`<li data-user-id=${a.user_id} data-rsvp=${a.rsvp}>${a.user_id === me ? 'You' : a.user_id}: ${RSVP_LABELS[a.rsvp]}</li>`)}
            </ul>`
          : nothing}
        ${invited
          ? html`<div class="row" role="group" aria-label="Your answer">
              ${(['accepted', 'tentative', 'declined'] as const).map(
                (r) => html`<button type="button" data-testid=${`rsvp-${r}`} aria-pressed=${invited.rsvp === r ? 'true' : 'false'} @click=${() => this.answer(r)}>
                  ${RSVP_LABELS[r]}
                </button>`,
              )}
            </div>`
          : nothing}
        <div class="actions">
          ${mine && event ? html`<button type="button" data-testid="event-delete" @click=${() => this.deleteEvent()}>Delete</button>` : nothing}
          <button type="button" data-testid="details-close" @click=${() => this.closeDialogs()}>Close</button>
        </div>
      </div>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'caas-calendar': CaasCalendar;
  }
  interface HTMLElementEventMap {
    'caas-event-created': CustomEvent<EventCreatedDetail>;
    'caas-event-select': CustomEvent<EventSelectDetail>;
  }
}
