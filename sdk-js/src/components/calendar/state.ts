/**
 * The state of `<caas-calendar>` and how it follows the server: the range shown
 * and its occurrences, the event form, the selected event, and the event ops
 * (save, RSVP, delete).
 *
 * @packageDocumentation
 */

import { LitElement, type PropertyValues } from 'lit';

import type { CalendarEvent, EventOccurrence, Rsvp } from '../../calendar/calendar.js';
import type { CaasClient } from '../../client/client.js';
import { ClientEvent } from '../../client/events.js';
import type { ActionErrorDetail } from '../shared/events.js';
import { errorText } from '../shared/format.js';
import {
  type CalendarView,
  dayKey,
  type EventForm,
  eventInputOf,
  localTimeZone,
  newEventForm,
  parseDay,
  shiftAnchor,
  visibleRange,
} from './logic.js';

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

/** The state and the ops of `<caas-calendar>`; the element renders it. */
export abstract class CalendarState extends LitElement {
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

  declare protected occurrences: EventOccurrence[];

  declare protected loading: boolean;

  declare protected error: string | undefined;

  declare protected truncated: boolean;

  declare protected form: EventForm | undefined;

  declare protected formError: string | undefined;

  declare protected saving: boolean;

  declare protected selected: EventOccurrence | undefined;

  declare protected selectedEvent: CalendarEvent | undefined;

  protected boundClient: CaasClient | undefined;

  protected unsubscribe: Array<() => void> = [];

  protected generation = 0;

  protected loaded = false;

  protected focusDialog = false;

  protected scrolledWeek = false;

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

  protected bindClient(): void {
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

  protected fail(action: string, error: unknown): void {
    this.error = errorText(error);
    this.dispatchEvent(new CustomEvent<ActionErrorDetail>('caas-error', { detail: { action, error }, bubbles: true, composed: true }));
  }

  protected async save(): Promise<void> {
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

  protected async select(o: EventOccurrence): Promise<void> {
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

  protected async answer(rsvp: Rsvp): Promise<void> {
    const client = this.boundClient;
    const event = this.selectedEvent;
    if (!client || !event) return;
    try {
      this.selectedEvent = await client.calendar.rsvp(event.id, rsvp);
    } catch (error) {
      this.fail('calendar.rsvp', error);
    }
  }

  protected async deleteEvent(): Promise<void> {
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

  protected closeDialogs(): void {
    this.form = undefined;
    this.selected = undefined;
    this.selectedEvent = undefined;
  }
}
