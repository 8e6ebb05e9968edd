/**
 * Calendar events over REST (`client.calendar`): create, list, read, change,
 * delete, RSVP; occurrences in a range (recurrences expanded), free/busy, the
 * `.ics` feed and `.ics` import.
 *
 * @packageDocumentation
 */

import { joinUrl, type RestClient } from '../core/rest.js';
import { Pager, pageOf } from '../core/paging.js';
import type { TokenSource } from '../core/tokens.js';

/** An answer to an invitation. */
export type Rsvp = 'needs_action' | 'accepted' | 'declined' | 'tentative';

/** An invited user and their answer. */
export interface EventAttendee {
  /** User id. */
  user_id: string;
  /** Their answer. */
  rsvp: Rsvp;
}

/** What an event holds. */
export interface EventPayload {
  /** 1–200 characters. */
  title: string;
  /** Description, if any. */
  description: string | null;
  /** Location, if any. */
  location: string | null;
  /** IANA time zone; `start`, `end` and the recurrence are read in it. */
  time_zone: string;
  /** Whole days: `start` and `end` are dates, the end exclusive. */
  all_day: boolean;
  /** Wall-clock start in the zone (`YYYY-MM-DDTHH:MM:SS`, or a date). */
  start: string;
  /** Wall-clock end in the zone. */
  end: string;
  /** First start, RFC 3339 UTC. */
  starts_at: string;
  /** First end, RFC 3339 UTC. */
  ends_at: string;
  /** Recurrence rule (`FREQ=WEEKLY;BYDAY=MO,WE`…), if it recurs. */
  rrule: string | null;
  /** Occurrences left out (their starts). */
  exdates: string[];
  /** Minutes before each occurrence to remind attendees, ascending. */
  reminders: number[];
  /** Invited users (the organizer is `owner_id`). */
  attendees: EventAttendee[];
  /** The organizer's own answer. */
  organizer_rsvp: Rsvp;
  /** Whether it carries a call. */
  call: boolean;
  /** The call room to join (`event:<id>`), if it carries a call. */
  call_room_id: string | null;
  /** The UID it was imported with, if imported. */
  ical_uid: string | null;
}

/** A calendar event in the common object envelope. */
export interface CalendarEvent {
  /** Id. */
  id: string;
  /** Always `event`. */
  kind: 'event';
  /** The organizer. */
  owner_id: string;
  /** `private` (organizer and attendees) or `conversation` (also its members). */
  visibility: 'private' | 'conversation';
  /** Its conversation, if any. */
  conversation_id: string | null;
  /** RFC 3339. */
  created_at: string;
  /** RFC 3339. */
  updated_at: string;
  /** The event's fields. */
  payload: EventPayload;
}

/** One occurrence of an event in a range. */
export interface EventOccurrence {
  /** The event. */
  event_id: string;
  /** Its title. */
  title: string;
  /** Its organizer. */
  owner_id: string;
  /** Its conversation. */
  conversation_id: string | null;
  /** Its location. */
  location: string | null;
  /** Its zone. */
  time_zone: string;
  /** Whole days (`start`/`end` are dates, the end exclusive). */
  all_day: boolean;
  /** Wall-clock start in the zone. */
  start: string;
  /** Wall-clock end in the zone. */
  end: string;
  /** Start, RFC 3339 UTC. */
  starts_at: string;
  /** End, RFC 3339 UTC. */
  ends_at: string;
  /** Whether the event recurs. */
  recurring: boolean;
  /** The call room, if the event carries a call. */
  call_room_id: string | null;
}

/** Input of {@link CalendarApi.create}. */
export interface CreateEventInput {
  /** 1–200 characters. */
  title: string;
  /** Up to 8000 characters. */
  description?: string;
  /** Up to 500 characters. */
  location?: string;
  /** IANA zone (server default `UTC`): give the user's, e.g. `Intl.DateTimeFormat().resolvedOptions().timeZone`. */
  timeZone?: string;
  /** Whole days: `start` and `end` are dates (`YYYY-MM-DD`), the end exclusive. */
  allDay?: boolean;
  /** Wall-clock `YYYY-MM-DDTHH:MM[:SS]` in the zone, RFC 3339, or a date for all-day events (see {@link wallClock}). */
  start: string;
  /** Like `start`; default one hour (or one day) later. */
  end?: string;
  /** Recurrence rule, e.g. `FREQ=WEEKLY;BYDAY=MO,WE` (DAILY, WEEKLY, MONTHLY or YEARLY). */
  rrule?: string;
  /** Starts of occurrences to leave out. */
  exdates?: string[];
  /** Minutes before each occurrence to remind attendees (0–40320, at most 10). */
  reminders?: number[];
  /** User ids invited. */
  attendees?: string[];
  /** Carry a call (`call_room_id` is then the room to join). */
  call?: boolean;
  /** Members of this conversation see the event (the caller must be one). */
  conversationId?: string;
}

/** Input of {@link CalendarApi.update}: absent fields are kept; `null` clears description, location or rrule. */
export interface UpdateEventInput {
  title?: string;
  description?: string | null;
  location?: string | null;
  timeZone?: string;
  allDay?: boolean;
  start?: string;
  end?: string;
  rrule?: string | null;
  exdates?: string[];
  reminders?: number[];
  attendees?: string[];
  call?: boolean;
}

/** Query of {@link CalendarApi.occurrences}. */
export interface OccurrencesQuery {
  /** Start of the range: a `Date`, RFC 3339, or a date (midnight UTC). */
  from: Date | string;
  /** End of the range (exclusive), at most 366 days after `from`. */
  to: Date | string;
  /** Whose calendar (default: the caller's), as far as the caller may see it. */
  userId?: string;
  /** 1 to 2000 (server default 500). */
  limit?: number;
}

/** Occurrences in a range. */
export interface OccurrencesResult {
  /** By start. */
  occurrences: EventOccurrence[];
  /** Some were left out: narrow the range. */
  truncated: boolean;
}

/** Busy intervals of users (RFC 3339 UTC), merged and sorted. */
export interface FreeBusy {
  /** The range asked, RFC 3339 UTC. */
  from: string;
  /** The range asked, RFC 3339 UTC. */
  to: string;
  /** Per user id. */
  users: Record<string, Array<{ start: string; end: string }>>;
}

/** A page of events, newest first. */
export interface EventPage {
  /** The events. */
  events: CalendarEvent[];
  /** Pass as `cursor` for the next page; absent on the last page. */
  nextCursor?: string;
}

/** Reason codes of the {@link RequestError}s of the calendar (the server's `error.code`). */
export const CalendarErrorCode = {
  /** No such event, or the caller may not see it. */
  NotFound: 'not_found',
  /** Only the organizer changes or deletes an event; only invited users answer. */
  Forbidden: 'forbidden',
  InvalidTitle: 'invalid_title',
  InvalidDescription: 'invalid_description',
  InvalidLocation: 'invalid_location',
  TooManyAttendees: 'too_many_attendees',
  InvalidLimit: 'invalid_limit',
  InvalidCursor: 'invalid_cursor',
  InvalidBody: 'invalid_body',
  InvalidTimezone: 'invalid_timezone',
  InvalidTime: 'invalid_time',
  EndBeforeStart: 'end_before_start',
  InvalidRrule: 'invalid_rrule',
  InvalidExdate: 'invalid_exdate',
  InvalidReminders: 'invalid_reminders',
  /** An attendee who is not a user of the app. */
  UnknownUser: 'unknown_user',
  InvalidUserId: 'invalid_user_id',
  InvalidRsvp: 'invalid_rsvp',
  /** A range not `from < to`, or over 366 days. */
  InvalidRange: 'invalid_range',
  InvalidUsers: 'invalid_users',
  InvalidIcs: 'invalid_ics',
  TooManyEvents: 'too_many_events',
} as const;

/** `date` as wall-clock `YYYY-MM-DDTHH:MM` in the local time of this runtime (or `YYYY-MM-DD` with `dateOnly`). */
export function wallClock(date: Date, dateOnly = false): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  const day = `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}`;
  return dateOnly ? day : `${day}T${p(date.getHours())}:${p(date.getMinutes())}`;
}

function instant(v: Date | string): string {
  return typeof v === 'string' ? v : v.toISOString();
}

function eventBody(input: CreateEventInput | UpdateEventInput): Record<string, unknown> {
  const map: Array<[keyof CreateEventInput & keyof UpdateEventInput, string]> = [
    ['title', 'title'],
    ['description', 'description'],
    ['location', 'location'],
    ['timeZone', 'time_zone'],
    ['allDay', 'all_day'],
    ['start', 'start'],
    ['end', 'end'],
    ['rrule', 'rrule'],
    ['exdates', 'exdates'],
    ['reminders', 'reminders'],
    ['attendees', 'attendees'],
    ['call', 'call'],
  ];
  const body: Record<string, unknown> = {};
  for (const [from, to] of map) if (input[from] !== undefined) body[to] = input[from];
  return body;
}

const path = (id: string, rest = ''): string => `/v1/calendar/events/${encodeURIComponent(id)}${rest}`;

/**
 * Calendar events over REST (`client.calendar`). Errors are those of
 * {@link RestClient}: a {@link RequestError} with the server's code (see
 * {@link CalendarErrorCode}), an {@link AuthError}, a {@link ConnectionError}
 * or a {@link TimeoutError}.
 *
 * ```ts
 * const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
 * const ev = await client.calendar.create({ title: 'Standup', start: '2026-12-01T09:30', timeZone: tz, rrule: 'FREQ=WEEKLY;BYDAY=MO,WE', attendees: ['bob'] });
 * const { occurrences } = await client.calendar.occurrences({ from: new Date('2026-12-01'), to: new Date('2026-12-08') });
 * await client.calendar.rsvp(ev.id, 'accepted'); // as bob
 * ```
 */
export class CalendarApi {
  private readonly rest: RestClient;
  private readonly baseUrl: string;
  private readonly tokens: TokenSource;

  /**
   * @param rest - the client's REST client.
   * @param baseUrl - the server's base URL (for {@link CalendarApi.feedUrl}).
   * @param tokens - the session token (for {@link CalendarApi.feedUrl}).
   */
  constructor(rest: RestClient, baseUrl: string, tokens: TokenSource) {
    this.rest = rest;
    this.baseUrl = baseUrl;
    this.tokens = tokens;
  }

  /** Creates an event organized by the caller (`POST /v1/calendar/events`). */
  async create(input: CreateEventInput): Promise<CalendarEvent> {
    const body = eventBody(input);
    if (input.conversationId !== undefined) body['conversation_id'] = input.conversationId;
    return (await this.rest.post<{ event: CalendarEvent }>('/v1/calendar/events', body)).event;
  }

  /** The events the caller may see, newest first (optionally of one conversation). */
  async list(query: { conversationId?: string; cursor?: string; limit?: number } = {}): Promise<EventPage> {
    const page = await this.rest.get<{ events: CalendarEvent[]; next_cursor?: string | null }>('/v1/calendar/events', {
      conversation: query.conversationId,
      cursor: query.cursor,
      limit: query.limit,
    });
    return page.next_cursor ? { events: page.events, nextCursor: page.next_cursor } : { events: page.events };
  }

  /** A {@link Pager} over {@link CalendarApi.list}. */
  pager(query: { conversationId?: string; limit?: number } = {}): Pager<CalendarEvent> {
    return new Pager(async (cursor) => {
      const page = await this.list({ ...query, ...(cursor === undefined ? {} : { cursor }) });
      return pageOf(page.events, page.nextCursor);
    });
  }

  /** One event the caller may see. */
  async get(eventId: string): Promise<CalendarEvent> {
    return (await this.rest.get<{ event: CalendarEvent }>(path(eventId))).event;
  }

  /** Changes an event (organizer only; all or nothing). */
  async update(eventId: string, input: UpdateEventInput): Promise<CalendarEvent> {
    return (await this.rest.patch<{ event: CalendarEvent }>(path(eventId), eventBody(input))).event;
  }

  /** Deletes an event (organizer only). */
  async delete(eventId: string): Promise<void> {
    await this.rest.delete(path(eventId));
  }

  /** Answers an invitation (attendees and the organizer). */
  async rsvp(eventId: string, rsvp: Rsvp): Promise<CalendarEvent> {
    return (await this.rest.post<{ event: CalendarEvent }>(path(eventId, '/rsvp'), { rsvp })).event;
  }

  /** Occurrences of the events in `[from, to)`, recurrences expanded, by start (`GET /v1/calendar/occurrences`). */
  async occurrences(query: OccurrencesQuery): Promise<OccurrencesResult> {
    const r = await this.rest.get<OccurrencesResult>('/v1/calendar/occurrences', {
      from: instant(query.from),
      to: instant(query.to),
      user: query.userId,
      limit: query.limit,
    });
    return { occurrences: r.occurrences, truncated: r.truncated === true };
  }

  /** When users (1 to 50) are busy in `[from, to)`: times only, no titles. */
  freeBusy(users: readonly string[], from: Date | string, to: Date | string): Promise<FreeBusy> {
    return this.rest.post<FreeBusy>('/v1/calendar/freebusy', { users, from: instant(from), to: instant(to) });
  }

  /**
   * The URL of the caller's calendar as iCalendar, with the session token in
   * the query, for calendar apps. **The token is in the URL**: treat it as a
   * secret (see `client.files.url`).
   */
  feedUrl(): string {
    const url = joinUrl(this.baseUrl, '/v1/calendar/feed.ics');
    const token = this.tokens.current;
    return token === undefined ? url : `${url}?token=${encodeURIComponent(token)}`;
  }

  /** Imports the events of an `.ics` text (all or none), organized by the caller. */
  async import(ics: string, options: { conversationId?: string } = {}): Promise<{ events: CalendarEvent[]; skipped: number }> {
    const query = options.conversationId === undefined ? '' : `?conversation_id=${encodeURIComponent(options.conversationId)}`;
    return this.rest.request('POST', `/v1/calendar/import${query}`, { text: ics, contentType: 'text/calendar; charset=utf-8' });
  }
}
