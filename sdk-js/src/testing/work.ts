/**
 * Test support (not part of the package): calendar events, occurrences and
 * tasks as the server sends them.
 */

import type { CalendarEvent, EventOccurrence } from '../calendar/calendar.js';
import type { Task } from '../tasks/tasks.js';

/** An event of `owner` from `start` to `end` (wall clock, UTC zone). */
export function calEvent(id: string, owner: string, title: string, start: string, end: string, extra: Partial<CalendarEvent['payload']> = {}): CalendarEvent {
  return {
    id,
    kind: 'event',
    owner_id: owner,
    visibility: 'private',
    conversation_id: null,
    created_at: '2026-11-26T10:00:00Z',
    updated_at: '2026-11-26T10:00:00Z',
    payload: {
      title,
      description: null,
      location: null,
      time_zone: 'UTC',
      all_day: false,
      start,
      end,
      starts_at: `${start}Z`,
      ends_at: `${end}Z`,
      rrule: null,
      exdates: [],
      reminders: [],
      attendees: [],
      organizer_rsvp: 'accepted',
      call: false,
      call_room_id: null,
      ical_uid: null,
      ...extra,
    },
  };
}

/** An occurrence from `startsAt` to `endsAt` (instants; all-day: dates). */
export function occurrence(eventId: string, title: string, startsAt: string, endsAt: string, extra: Partial<EventOccurrence> = {}): EventOccurrence {
  const allDay = extra.all_day ?? false;
  return {
    event_id: eventId,
    title,
    owner_id: 'ann',
    conversation_id: null,
    location: null,
    time_zone: 'UTC',
    all_day: allDay,
    start: allDay ? startsAt.slice(0, 10) : startsAt.replace(/Z$/, ''),
    end: allDay ? endsAt.slice(0, 10) : endsAt.replace(/Z$/, ''),
    starts_at: allDay ? `${startsAt.slice(0, 10)}T00:00:00Z` : startsAt,
    ends_at: allDay ? `${endsAt.slice(0, 10)}T00:00:00Z` : endsAt,
    recurring: false,
    call_room_id: null,
    ...extra,
  };
}

/** A task. */
export function task(id: string, title: string, status = 'todo', extra: Partial<Task['payload']> & { conversation_id?: string | null; owner_id?: string } = {}): Task {
  const { conversation_id: conv = null, owner_id: owner = 'ann', ...payload } = extra;
  return {
    id,
    kind: 'task',
    owner_id: owner,
    visibility: conv ? 'conversation' : 'private',
    conversation_id: conv,
    created_at: '2026-11-26T10:00:00Z',
    updated_at: '2026-11-26T10:00:00Z',
    payload: {
      title,
      description: null,
      status,
      priority: 'normal',
      due_at: null,
      position: 1,
      assignees: [],
      message_id: null,
      ...payload,
    },
  };
}
