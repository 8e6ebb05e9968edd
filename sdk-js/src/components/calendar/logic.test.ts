import { describe, expect, it } from 'vitest';

import { occurrence } from '../../testing/work.js';
import {
  addDays,
  dayKey,
  eventInputOf,
  monthGrid,
  newEventForm,
  occurrenceTime,
  occurrencesByDay,
  parseDay,
  rangeTitle,
  shiftAnchor,
  startOfWeek,
  visibleRange,
  weekDays,
  weekPlacement,
  weekdayNames,
} from './logic.js';

// Local times throughout: the helpers work in the runtime's zone.
const local = (y: number, m: number, d: number, h = 0, min = 0): Date => new Date(y, m - 1, d, h, min);

describe('grids', () => {
  it('builds month and week grids from the first day of the week', () => {
    const anchor = local(2026, 12, 16); // a Wednesday
    expect(dayKey(startOfWeek(anchor, 1))).toBe('2026-12-14');
    expect(dayKey(startOfWeek(anchor, 0))).toBe('2026-12-13');
    const grid = monthGrid(anchor, 1);
    expect(grid).toHaveLength(42);
    expect(dayKey(grid[0]!)).toBe('2026-11-30'); // the Monday before 1 Dec
    expect(dayKey(grid[41]!)).toBe('2027-01-10');
    expect(weekDays(anchor, 1).map(dayKey)).toEqual(['2026-12-14', '2026-12-15', '2026-12-16', '2026-12-17', '2026-12-18', '2026-12-19', '2026-12-20']);
    const { from, to } = visibleRange('week', anchor, 1);
    expect([dayKey(from), dayKey(to)]).toEqual(['2026-12-14', '2026-12-21']);
    expect(weekdayNames(1)).toEqual(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']);
    expect(weekdayNames(0)[0]).toBe('Sun');
  });

  it('moves by a month (to its first day) or a week, and titles the period', () => {
    expect(dayKey(shiftAnchor('month', local(2026, 1, 31), 1))).toBe('2026-02-01');
    expect(dayKey(shiftAnchor('month', local(2026, 1, 15), -1))).toBe('2025-12-01');
    expect(dayKey(shiftAnchor('week', local(2026, 12, 30), 1))).toBe('2027-01-06');
    expect(rangeTitle('month', local(2026, 11, 5))).toBe('November 2026');
    expect(rangeTitle('week', local(2026, 11, 25))).toBe('23 – 29 Nov 2026');
    expect(rangeTitle('week', local(2026, 12, 2))).toBe('30 Nov – 6 Dec 2026');
    expect(rangeTitle('week', local(2026, 12, 30))).toBe('28 Dec 2026 – 3 Jan 2027');
  });

  it('parses day keys, today for anything else', () => {
    expect(dayKey(parseDay('2026-02-03'))).toBe('2026-02-03');
    expect(dayKey(parseDay('nope'))).toBe(dayKey(new Date()));
    expect(dayKey(addDays(local(2026, 3, 31), 1))).toBe('2026-04-01');
  });
});

describe('occurrences in the grid', () => {
  const days = weekDays(local(2026, 12, 16), 1);
  const iso = (d: Date): string => d.toISOString();

  it('puts timed events on every day they overlap, and all-day ones on their dates', () => {
    const meeting = occurrence('m', 'Meeting', iso(local(2026, 12, 15, 9)), iso(local(2026, 12, 15, 10)));
    const night = occurrence('n', 'Night shift', iso(local(2026, 12, 16, 22)), iso(local(2026, 12, 17, 6)));
    const toMidnight = occurrence('x', 'Until midnight', iso(local(2026, 12, 18, 20)), iso(local(2026, 12, 19, 0)));
    const holiday = occurrence('h', 'Holiday', '2026-12-17', '2026-12-19', { all_day: true });
    const map = occurrencesByDay([night, meeting, toMidnight, holiday], days);
    const ids = (key: string): string[] => (map.get(key) ?? []).map((o) => o.event_id);
    expect(ids('2026-12-15')).toEqual(['m']);
    expect(ids('2026-12-16')).toEqual(['n']);
    expect(ids('2026-12-17')).toEqual(['h', 'n']); // all-day first
    expect(ids('2026-12-18')).toEqual(['h', 'x']);
    expect(ids('2026-12-19')).toEqual([]); // ends at midnight: not the next day; the all-day end is exclusive
  });

  it('places timed events in a day column, clipped to the day', () => {
    const night = occurrence('n', 'Night', iso(local(2026, 12, 16, 22)), iso(local(2026, 12, 17, 6)));
    expect(weekPlacement(night, local(2026, 12, 16))).toEqual({ top: 22 * 60, height: 120 });
    expect(weekPlacement(night, local(2026, 12, 17))).toEqual({ top: 0, height: 360 });
    expect(weekPlacement(night, local(2026, 12, 18))).toBeUndefined();
    expect(weekPlacement(night, local(2026, 12, 15))).toBeUndefined();
    const short = occurrence('s', 'Short', iso(local(2026, 12, 16, 9)), iso(local(2026, 12, 16, 9, 5)));
    expect(weekPlacement(short, local(2026, 12, 16))).toEqual({ top: 540, height: 15 });
    expect(weekPlacement(occurrence('a', 'A', '2026-12-16', '2026-12-17', { all_day: true }), local(2026, 12, 16))).toBeUndefined();
    expect(occurrenceTime(short)).toBe('09:00–09:05');
    expect(occurrenceTime(occurrence('a', 'A', '2026-12-16', '2026-12-17', { all_day: true }))).toBe('All day');
  });
});

describe('the new-event form', () => {
  it('prefills an hour-long slot and turns into a create input in the zone', () => {
    const form = newEventForm(local(2026, 12, 16), 14);
    expect(form).toMatchObject({ date: '2026-12-16', startTime: '14:00', endTime: '15:00', allDay: false, repeat: 'none' });
    expect(newEventForm(local(2026, 12, 16), 23).endTime).toBe('23:59');
    const input = eventInputOf({ ...form, title: ' Review ', attendees: 'bob, cy bob', repeat: 'weekly', call: true, location: ' Room 2 ' }, 'Europe/Berlin');
    expect(input).toEqual({
      title: 'Review',
      start: '2026-12-16T14:00',
      end: '2026-12-16T15:00',
      allDay: false,
      timeZone: 'Europe/Berlin',
      location: 'Room 2',
      attendees: ['bob', 'cy'],
      rrule: 'FREQ=WEEKLY',
      call: true,
    });
    expect(eventInputOf({ ...form, title: 'Trip', allDay: true, date: '2026-12-31' }, undefined)).toEqual({
      title: 'Trip',
      start: '2026-12-31',
      end: '2027-01-01',
      allDay: true,
    });
  });

  it('says what is missing', () => {
    const form = newEventForm(local(2026, 12, 16));
    expect(eventInputOf(form, 'UTC')).toEqual({ error: 'Give the event a title.' });
    expect(eventInputOf({ ...form, title: 'x', endTime: '08:00' }, 'UTC')).toEqual({ error: 'The end must be after the start.' });
    expect(eventInputOf({ ...form, title: 'x', date: '' }, 'UTC')).toEqual({ error: 'Choose a date.' });
  });
});
