/**
 * The date logic of `<caas-calendar>`, free of Lit and of the DOM: month and
 * week grids in local time, the range to load, occurrences per day, the
 * placement of timed events in the week view, and the new-event form.
 *
 * @packageDocumentation
 */

import { wallClock, type CreateEventInput, type EventOccurrence } from '../../calendar/calendar.js';

/** The views of `<caas-calendar>`. */
export type CalendarView = 'month' | 'week';

/** Minutes in a day. */
export const DAY_MINUTES = 24 * 60;

/** Local midnight of `d`. */
export function startOfDay(d: Date): Date {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate());
}

/** `d` moved by `n` calendar days (local; daylight-saving safe). */
export function addDays(d: Date, n: number): Date {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + n, d.getHours(), d.getMinutes());
}

/** Local midnight of the first day of `d`'s week (`weekStart`: 0 Sunday … 6 Saturday). */
export function startOfWeek(d: Date, weekStart = 1): Date {
  const day = startOfDay(d);
  const back = (day.getDay() - weekStart + 7) % 7;
  return addDays(day, -back);
}

/** The 42 days (6 weeks) of the month grid of `anchor`'s month. */
export function monthGrid(anchor: Date, weekStart = 1): Date[] {
  const first = startOfWeek(new Date(anchor.getFullYear(), anchor.getMonth(), 1), weekStart);
  return Array.from({ length: 42 }, (_, i) => addDays(first, i));
}

/** The 7 days of `anchor`'s week. */
export function weekDays(anchor: Date, weekStart = 1): Date[] {
  const first = startOfWeek(anchor, weekStart);
  return Array.from({ length: 7 }, (_, i) => addDays(first, i));
}

/** The days a view shows. */
export function viewDays(view: CalendarView, anchor: Date, weekStart = 1): Date[] {
  return view === 'month' ? monthGrid(anchor, weekStart) : weekDays(anchor, weekStart);
}

/** `[from, to)` of what a view shows, local midnights. */
export function visibleRange(view: CalendarView, anchor: Date, weekStart = 1): { from: Date; to: Date } {
  const days = viewDays(view, anchor, weekStart);
  return { from: days[0]!, to: addDays(days[days.length - 1]!, 1) };
}

/** The anchor one view before (`-1`) or after (`1`): a month (to its first day) or a week. */
export function shiftAnchor(view: CalendarView, anchor: Date, step: number): Date {
  if (view === 'month') return new Date(anchor.getFullYear(), anchor.getMonth() + step, 1);
  return addDays(startOfDay(anchor), 7 * step);
}

/** `YYYY-MM-DD` of a local day. */
export function dayKey(d: Date): string {
  return wallClock(d, true);
}

/** Local midnight of a `YYYY-MM-DD` (today for anything else). */
export function parseDay(key: string | null | undefined): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(key ?? '');
  if (!m) return startOfDay(new Date());
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
}

/**
 * The occurrences of each day, by {@link dayKey}, in start order: a timed
 * occurrence is on every local day it overlaps (ending at midnight does not
 * count the next day); an all-day one on its dates (the end date exclusive).
 */
export function occurrencesByDay(occurrences: readonly EventOccurrence[], days: readonly Date[]): Map<string, EventOccurrence[]> {
  const map = new Map<string, EventOccurrence[]>(days.map((d) => [dayKey(d), []]));
  for (const o of occurrences) {
    for (const d of days) {
      const key = dayKey(d);
      let on: boolean;
      if (o.all_day) {
        on = o.start.slice(0, 10) <= key && key < o.end.slice(0, 10);
      } else {
        const start = Date.parse(o.starts_at);
        const end = Math.max(Date.parse(o.ends_at), start + 1);
        on = start < addDays(d, 1).getTime() && end > d.getTime();
      }
      if (on) map.get(key)!.push(o);
    }
  }
  for (const list of map.values()) {
    list.sort((a, b) => Number(b.all_day) - Number(a.all_day) || Date.parse(a.starts_at) - Date.parse(b.starts_at));
  }
  return map;
}

/** Where a timed occurrence sits in a day column: minutes from local midnight and length in minutes (clipped to the day; at least 15). */
export function weekPlacement(o: EventOccurrence, day: Date): { top: number; height: number } | undefined {
  if (o.all_day) return undefined;
  const dayStart = startOfDay(day).getTime();
  const dayEnd = addDays(startOfDay(day), 1).getTime();
  const s0 = Date.parse(o.starts_at);
  const e0 = Math.max(Date.parse(o.ends_at), s0);
  // Not on this day: after it, before it, or ending at its midnight.
  if (!(s0 < dayEnd) || e0 < dayStart || (e0 === dayStart && s0 < dayStart)) return undefined;
  const start = Math.max(s0, dayStart);
  const end = Math.min(e0, dayEnd);
  const top = (start - dayStart) / 60_000;
  const height = Math.max(15, (end - start) / 60_000);
  return { top, height: Math.min(height, DAY_MINUTES - top) };
}

/** `HH:MM` of an instant, local. */
export function timeLabel(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** `09:30–10:00`, or `All day`. */
export function occurrenceTime(o: EventOccurrence): string {
  return o.all_day ? 'All day' : `${timeLabel(o.starts_at)}–${timeLabel(o.ends_at)}`;
}

/** The title of a view: `November 2026`, or `23 – 29 Nov 2026` (`30 Nov – 6 Dec 2026`). */
export function rangeTitle(view: CalendarView, anchor: Date, weekStart = 1, locale = 'en'): string {
  if (view === 'month') return anchor.toLocaleString(locale, { month: 'long', year: 'numeric' });
  const days = weekDays(anchor, weekStart);
  const a = days[0]!;
  const b = days[6]!;
  const month = (d: Date): string => d.toLocaleString(locale, { month: 'short' });
  if (a.getFullYear() !== b.getFullYear()) return `${a.getDate()} ${month(a)} ${a.getFullYear()} – ${b.getDate()} ${month(b)} ${b.getFullYear()}`;
  if (a.getMonth() !== b.getMonth()) return `${a.getDate()} ${month(a)} – ${b.getDate()} ${month(b)} ${b.getFullYear()}`;
  return `${a.getDate()} – ${b.getDate()} ${month(b)} ${b.getFullYear()}`;
}

/** Short weekday names from `weekStart` (`Mon`, `Tue`…). */
export function weekdayNames(weekStart = 1, locale = 'en'): string[] {
  const sunday = new Date(2026, 0, 4); // a Sunday
  return Array.from({ length: 7 }, (_, i) => addDays(sunday, (weekStart + i) % 7).toLocaleString(locale, { weekday: 'short' }));
}

/** How a new event repeats. */
export type Repeat = 'none' | 'daily' | 'weekly' | 'monthly' | 'yearly';

/** The rule of each {@link Repeat}. */
export const REPEAT_RULES: Readonly<Record<Repeat, string | undefined>> = {
  none: undefined,
  daily: 'FREQ=DAILY',
  weekly: 'FREQ=WEEKLY',
  monthly: 'FREQ=MONTHLY',
  yearly: 'FREQ=YEARLY',
};

/** The fields of the new-event form. */
export interface EventForm {
  title: string;
  /** `YYYY-MM-DD`. */
  date: string;
  /** `HH:MM`. */
  startTime: string;
  /** `HH:MM`. */
  endTime: string;
  allDay: boolean;
  location: string;
  /** User ids, separated by commas or spaces. */
  attendees: string;
  repeat: Repeat;
  call: boolean;
}

/** A form for a new event on `day`, at `hour` (default 9:00), an hour long. */
export function newEventForm(day: Date, hour = 9): EventForm {
  const h = Math.max(0, Math.min(23, Math.floor(hour)));
  const p = (n: number): string => String(n).padStart(2, '0');
  return {
    title: '',
    date: dayKey(day),
    startTime: `${p(h)}:00`,
    endTime: h === 23 ? '23:59' : `${p(h + 1)}:00`,
    allDay: false,
    location: '',
    attendees: '',
    repeat: 'none',
    call: false,
  };
}

/**
 * The `client.calendar.create` input of a form, in `timeZone` — or why it
 * cannot be created (a person-readable reason).
 */
export function eventInputOf(form: EventForm, timeZone: string | undefined): CreateEventInput | { error: string } {
  const title = form.title.trim();
  if (title === '') return { error: 'Give the event a title.' };
  if (title.length > 200) return { error: 'The title is limited to 200 characters.' };
  if (!/^\d{4}-\d{2}-\d{2}$/.test(form.date)) return { error: 'Choose a date.' };
  const attendees = form.attendees.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
  const input: CreateEventInput = { title, start: form.date, allDay: form.allDay };
  if (form.allDay) {
    input.end = dayKey(addDays(parseDay(form.date), 1));
  } else {
    if (!/^\d{2}:\d{2}$/.test(form.startTime) || !/^\d{2}:\d{2}$/.test(form.endTime)) return { error: 'Give a start and an end time.' };
    if (form.endTime <= form.startTime) return { error: 'The end must be after the start.' };
    input.start = `${form.date}T${form.startTime}`;
    input.end = `${form.date}T${form.endTime}`;
  }
  if (timeZone) input.timeZone = timeZone;
  if (form.location.trim()) input.location = form.location.trim();
  if (attendees.length > 0) input.attendees = [...new Set(attendees)];
  const rule = REPEAT_RULES[form.repeat];
  if (rule) input.rrule = rule;
  if (form.call) input.call = true;
  return input;
}

/** The time zone of this runtime (`Intl`), or `undefined`. */
export function localTimeZone(): string | undefined {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || undefined;
  } catch {
    return undefined;
  }
}
