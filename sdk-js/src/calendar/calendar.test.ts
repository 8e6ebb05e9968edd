import { describe, expect, it } from 'vitest';

import { CalendarErrorCode, wallClock } from './calendar.js';
import { CaasClient } from '../client/client.js';
import { FakeRest, refusal } from '../testing/fake-rest.js';
import { calEvent, occurrence } from '../testing/work.js';

function client(rest: FakeRest): CaasClient {
  return new CaasClient({ url: 'http://caas.test/', token: 'tok en', fetch: rest.fetch });
}

const ev = calEvent('e1', 'ann', 'Standup', '2026-12-01T09:30:00', '2026-12-01T10:00:00');

describe('client.calendar', () => {
  it('maps each helper to its route, method, query and body', async () => {
    const rest = new FakeRest()
      .route('POST', '/v1/calendar/events', () => ({ event: ev }))
      .route('GET', '/v1/calendar/events', () => ({ events: [ev], next_cursor: 'n' }))
      .route('GET', '/v1/calendar/events/:id', () => ({ event: ev }))
      .route('PATCH', '/v1/calendar/events/:id', () => ({ event: ev }))
      .route('DELETE', '/v1/calendar/events/:id', () => ({}))
      .route('POST', '/v1/calendar/events/:id/rsvp', () => ({ event: ev }))
      .route('GET', '/v1/calendar/occurrences', () => ({ occurrences: [occurrence('e1', 'Standup', '2026-12-01T09:30:00Z', '2026-12-01T10:00:00Z')], truncated: false }))
      .route('POST', '/v1/calendar/freebusy', () => ({ from: 'a', to: 'b', users: { bob: [{ start: 's', end: 'e' }] } }))
      .route('POST', '/v1/calendar/import', () => ({ events: [ev], skipped: 1 }));
    const c = client(rest);
    expect(
      await c.calendar.create({
        title: 'Standup',
        start: '2026-12-01T09:30',
        end: '2026-12-01T10:00',
        timeZone: 'Europe/Berlin',
        rrule: 'FREQ=WEEKLY;BYDAY=MO,WE',
        attendees: ['bob'],
        reminders: [10],
        call: true,
        location: 'Room 1',
        conversationId: 'c1',
      }),
    ).toEqual(ev);
    expect(await c.calendar.list({ conversationId: 'c1', limit: 5 })).toEqual({ events: [ev], nextCursor: 'n' });
    await c.calendar.get('e1');
    await c.calendar.update('e1', { title: 'Daily', rrule: null, allDay: false });
    await c.calendar.delete('e1');
    await c.calendar.rsvp('e1', 'tentative');
    const occ = await c.calendar.occurrences({ from: new Date('2026-12-01T00:00:00Z'), to: '2026-12-08', userId: 'bob', limit: 50 });
    expect(occ.occurrences).toHaveLength(1);
    expect(occ.truncated).toBe(false);
    expect((await c.calendar.freeBusy(['bob'], '2026-12-01', '2026-12-02')).users['bob']).toHaveLength(1);
    expect(await c.calendar.import('BEGIN:VCALENDAR\r\nEND:VCALENDAR', { conversationId: 'c1' })).toEqual({ events: [ev], skipped: 1 });

    expect(rest.calls.map((x) => `${x.method} ${x.path}${x.query.size ? `?${x.query}` : ''}`)).toEqual([
      'POST /v1/calendar/events',
      'GET /v1/calendar/events?conversation=c1&limit=5',
      'GET /v1/calendar/events/e1',
      'PATCH /v1/calendar/events/e1',
      'DELETE /v1/calendar/events/e1',
      'POST /v1/calendar/events/e1/rsvp',
      'GET /v1/calendar/occurrences?from=2026-12-01T00%3A00%3A00.000Z&to=2026-12-08&user=bob&limit=50',
      'POST /v1/calendar/freebusy',
      'POST /v1/calendar/import?conversation_id=c1',
    ]);
    expect(rest.calls[0]?.body).toEqual({
      title: 'Standup',
      location: 'Room 1',
      time_zone: 'Europe/Berlin',
      start: '2026-12-01T09:30',
      end: '2026-12-01T10:00',
      rrule: 'FREQ=WEEKLY;BYDAY=MO,WE',
      reminders: [10],
      attendees: ['bob'],
      call: true,
      conversation_id: 'c1',
    });
    expect(rest.calls[3]?.body).toEqual({ title: 'Daily', all_day: false, rrule: null });
    expect(rest.calls[5]?.body).toEqual({ rsvp: 'tentative' });
    expect(rest.calls[7]?.body).toEqual({ users: ['bob'], from: '2026-12-01', to: '2026-12-02' });
    // The .ics goes as it is, as text/calendar.
    expect(rest.calls[8]?.body).toBe('BEGIN:VCALENDAR\r\nEND:VCALENDAR');
  });

  it('gives the feed URL with the token, pages, and refuses with the server code', async () => {
    const rest = new FakeRest()
      .route('GET', '/v1/calendar/events', (c) => (c.query.get('cursor') ? { events: [ev], next_cursor: null } : { events: [ev], next_cursor: 'k' }))
      .route('POST', '/v1/calendar/events', () => refusal(422, 'end_before_start', 'the end is before the start'));
    const c = client(rest);
    expect(c.calendar.feedUrl()).toBe('http://caas.test/v1/calendar/feed.ics?token=tok%20en');
    let n = 0;
    for await (const _ of c.calendar.pager()) n++;
    expect(n).toBe(2);
    await expect(c.calendar.create({ title: 'x', start: '2026-12-01T10:00', end: '2026-12-01T09:00' })).rejects.toMatchObject({
      code: CalendarErrorCode.EndBeforeStart,
      status: 422,
    });
  });

  it('wallClock formats local wall-clock times and dates', () => {
    const d = new Date(2026, 0, 5, 7, 3);
    expect(wallClock(d)).toBe('2026-01-05T07:03');
    expect(wallClock(d, true)).toBe('2026-01-05');
  });
});
