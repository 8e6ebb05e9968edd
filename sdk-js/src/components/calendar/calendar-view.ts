/**
 * `<caas-calendar>`: month and week views of the user's calendar, with a
 * dialog to create an event and one to see an event (RSVP, delete).
 *
 * @packageDocumentation
 */

import { html, nothing, type TemplateResult } from 'lit';
import { live } from 'lit/directives/live.js';

import type { EventOccurrence, Rsvp } from '../../calendar/calendar.js';
import { baseStyles } from '../shared/styles.js';
import {
  addDays,
  DAY_MINUTES,
  dayKey,
  type EventForm,
  occurrencesByDay,
  occurrenceTime,
  parseDay,
  rangeTitle,
  type Repeat,
  startOfDay,
  viewDays,
  weekdayNames,
  weekPlacement,
} from './logic.js';
import { CalendarState, type EventCreatedDetail, type EventSelectDetail } from './state.js';
import { HOUR_PX, calendarStyles } from './styles.js';

/** How many events a month cell lists before "+N more". */
const MONTH_CELL_MAX = 3;

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
export class CaasCalendar extends CalendarState {
  static override styles = [baseStyles, calendarStyles];

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
