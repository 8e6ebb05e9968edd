// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';

import type { EventOccurrence } from '../../calendar/calendar.js';
import type { CaasClient } from '../../client/client.js';
import { FakeRest, refusal } from '../../testing/fake-rest.js';
import { FakeServer, until, user } from '../../testing/fake-server.js';
import { calEvent, occurrence } from '../../testing/work.js';
import '../index.js';
import type { CaasCalendar } from '../index.js';

const clients: CaasClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
  document.body.innerHTML = '';
});

const all = (el: HTMLElement, sel: string): HTMLElement[] => [...(el.shadowRoot ?? el).querySelectorAll<HTMLElement>(sel)];
function one<T extends HTMLElement = HTMLElement>(el: HTMLElement, sel: string): T {
  const found = (el.shadowRoot ?? el).querySelector<T>(sel);
  if (!found) throw new Error(`no ${sel}`);
  return found;
}
function type(el: HTMLElement, sel: string, value: string): void {
  const input = one<HTMLInputElement>(el, sel);
  input.value = value;
  input.dispatchEvent(new Event('input'));
}

const iso = (y: number, m: number, d: number, h = 0, min = 0): string => new Date(y, m - 1, d, h, min).toISOString();

async function mount(occurrences: EventOccurrence[], attrs: Record<string, string> = {}): Promise<{ el: CaasCalendar; rest: FakeRest; stored: EventOccurrence[] }> {
  const stored = [...occurrences];
  const rest = new FakeRest()
    .route('GET', '/v1/calendar/occurrences', (c) => {
      const from = Date.parse(c.query.get('from')!);
      const to = Date.parse(c.query.get('to')!);
      return { occurrences: stored.filter((o) => Date.parse(o.starts_at) < to && Date.parse(o.ends_at) > from), truncated: false };
    })
    .route('POST', '/v1/calendar/events', (c) => {
      const b = c.body as { title: string; start: string; end: string };
      const ev = calEvent('new', 'ann', b.title, b.start, b.end);
      const [d, t] = b.start.split('T');
      const [y, m, day] = d!.split('-').map(Number);
      const [h, min] = (t ?? '00:00').split(':').map(Number);
      const [, te] = b.end.split('T');
      const [eh, emin] = (te ?? '00:00').split(':').map(Number);
      stored.push(occurrence('new', b.title, iso(y!, m!, day!, h, min), iso(y!, m!, day!, eh, emin)));
      return { event: ev };
    })
    .route('GET', '/v1/calendar/events/:id', (_, p) => ({
      event: calEvent(p['id']!, p['id'] === 'mine' ? 'ann' : 'bob', 'x', '2026-12-16T09:00:00', '2026-12-16T10:00:00', {
        attendees: [{ user_id: 'ann', rsvp: 'needs_action' }, { user_id: 'cy', rsvp: 'accepted' }],
      }),
    }))
    .route('POST', '/v1/calendar/events/:id/rsvp', (c, p) => ({
      event: calEvent(p['id']!, 'bob', 'x', '2026-12-16T09:00:00', '2026-12-16T10:00:00', { attendees: [{ user_id: 'ann', rsvp: (c.body as { rsvp: 'accepted' }).rsvp }] }),
    }))
    .route('DELETE', '/v1/calendar/events/:id', (_, p) => {
      const i = stored.findIndex((o) => o.event_id === p['id']);
      if (i >= 0) stored.splice(i, 1);
      return {};
    });
  const server = new FakeServer(user('ann'));
  const client = await server.client({ fetch: rest.fetch });
  clients.push(client);
  const el = document.createElement('caas-calendar');
  for (const [k, v] of Object.entries({ date: '2026-12-16', 'time-zone': 'Europe/Berlin', ...attrs })) el.setAttribute(k, v);
  el.client = client;
  document.body.append(el);
  await until(() => rest.called('GET', '/v1/calendar/occurrences').length > 0 && !el.shadowRoot!.querySelector('[aria-busy="true"]'));
  await el.updateComplete;
  return { el, rest, stored };
}

describe('<caas-calendar>', () => {
  it('shows a month grid with the events of each day, loaded for the visible range', async () => {
    const { el, rest } = await mount([
      occurrence('a', 'Standup', iso(2026, 12, 16, 9, 30), iso(2026, 12, 16, 10)),
      occurrence('b', 'Holiday', '2026-12-17', '2026-12-19', { all_day: true }),
    ]);
    expect(one(el, '[data-testid="calendar-title"]').textContent).toBe('December 2026');
    expect(all(el, '[data-testid="calendar-day"]')).toHaveLength(42);
    const q = rest.called('GET', '/v1/calendar/occurrences')[0]!.query;
    expect(Date.parse(q.get('from')!)).toBe(new Date(2026, 10, 30).getTime());
    expect(Date.parse(q.get('to')!)).toBe(new Date(2027, 0, 11).getTime());
    const day = (key: string): string[] => all(one(el, `[data-testid="calendar-day"][data-date="${key}"]`), '[data-testid="calendar-event"]').map((e) => e.dataset['eventId']!);
    expect(day('2026-12-16')).toEqual(['a']);
    expect(day('2026-12-17')).toEqual(['b']);
    expect(day('2026-12-18')).toEqual(['b']);
    expect(day('2026-12-19')).toEqual([]);
    expect(one(el, '[data-date="2026-11-30"]').dataset['outside']).toBe('true');

    one(el, '[data-testid="calendar-next"]').click();
    await until(() => one(el, '[data-testid="calendar-title"]').textContent === 'January 2027');
    expect(el.date).toBe('2027-01-01');
    await until(() => rest.called('GET', '/v1/calendar/occurrences').length === 2);
  });

  it('shows a week with timed events placed by the hour and all-day ones on top', async () => {
    const { el } = await mount(
      [occurrence('a', 'Standup', iso(2026, 12, 16, 9, 30), iso(2026, 12, 16, 10)), occurrence('b', 'Holiday', '2026-12-17', '2026-12-18', { all_day: true })],
      { view: 'week' },
    );
    expect(one(el, '[data-testid="calendar-title"]').textContent).toBe('14 – 20 Dec 2026');
    const block = one(el, '[data-testid="calendar-column"][data-date="2026-12-16"] [data-testid="calendar-event"]');
    expect(block.getAttribute('style')).toContain(`top:${9.5 * 44}px`);
    expect(block.textContent).toContain('09:30–10:00');
    expect(all(el, '.allday[data-date="2026-12-17"] [data-testid="calendar-event"]')).toHaveLength(1);
    expect(all(el, '[data-testid="calendar-slot"]')).toHaveLength(7 * 24);
  });

  it('creates an event from a week slot in the time zone, then shows it', async () => {
    const { el, rest } = await mount([], { view: 'week' });
    const created: string[] = [];
    el.addEventListener('caas-event-created', (e) => created.push(e.detail.event.payload.title));
    one(el, '[data-testid="calendar-slot"][data-date="2026-12-18"][data-hour="14"]').click();
    await el.updateComplete;
    expect(one<HTMLInputElement>(el, '[data-testid="event-date"]').value).toBe('2026-12-18');
    expect(one<HTMLInputElement>(el, '[data-testid="event-start"]').value).toBe('14:00');
    one(el, '[data-testid="event-save"]').click();
    await el.updateComplete;
    expect(one(el, '[data-testid="event-error"]').textContent).toBe('Give the event a title.');
    type(el, '[data-testid="event-title"]', 'Review');
    type(el, '[data-testid="event-attendees"]', 'bob, cy');
    await el.updateComplete;
    one(el, '[data-testid="event-save"]').click();
    await until(() => created.length === 1);
    expect(rest.called('POST', '/v1/calendar/events')[0]?.body).toEqual({
      title: 'Review',
      time_zone: 'Europe/Berlin',
      all_day: false,
      start: '2026-12-18T14:00',
      end: '2026-12-18T15:00',
      attendees: ['bob', 'cy'],
    });
    await until(() => all(el, '[data-testid="calendar-column"][data-date="2026-12-18"] [data-testid="calendar-event"]').length === 1);
    expect(el.shadowRoot!.querySelector('[data-testid="calendar-dialog"]')).toBeNull();
  });

  it('shows an event with RSVP for the invited and Delete for the organizer', async () => {
    const { el, rest } = await mount([
      occurrence('theirs', 'Their meeting', iso(2026, 12, 16, 9), iso(2026, 12, 16, 10), { owner_id: 'bob' }),
      occurrence('mine', 'My meeting', iso(2026, 12, 16, 11), iso(2026, 12, 16, 12), { owner_id: 'ann' }),
    ]);
    const selected: string[] = [];
    el.addEventListener('caas-event-select', (e) => selected.push(e.detail.occurrence.event_id));
    one(el, '[data-testid="calendar-event"][data-event-id="theirs"]').click();
    await until(() => el.shadowRoot!.querySelector('[data-testid="rsvp-accepted"]') !== null);
    expect(selected).toEqual(['theirs']);
    expect(el.shadowRoot!.querySelector('[data-testid="event-delete"]')).toBeNull();
    one(el, '[data-testid="rsvp-accepted"]').click();
    await until(() => one(el, '[data-testid="rsvp-accepted"]').getAttribute('aria-pressed') === 'true');
    expect(rest.called('POST', '/v1/calendar/events/theirs/rsvp')[0]?.body).toEqual({ rsvp: 'accepted' });
    one(el, '[data-testid="details-close"]').click();
    await el.updateComplete;

    one(el, '[data-testid="calendar-event"][data-event-id="mine"]').click();
    await until(() => el.shadowRoot!.querySelector('[data-testid="event-delete"]') !== null);
    one(el, '[data-testid="event-delete"]').click();
    await until(() => el.shadowRoot!.querySelector('[data-testid="calendar-event"][data-event-id="mine"]') === null);
    expect(rest.called('DELETE')).toHaveLength(1);
  });

  it('shows a failed load with Retry', async () => {
    const rest = new FakeRest().route('GET', '/v1/calendar/occurrences', () => refusal(422, 'invalid_range', 'bad range'));
    const server = new FakeServer(user('ann'));
    const client = await server.client({ fetch: rest.fetch });
    clients.push(client);
    const el = document.createElement('caas-calendar');
    el.client = client;
    document.body.append(el);
    await until(() => el.shadowRoot!.querySelector('[data-testid="calendar-error"]') !== null);
    expect(one(el, '[data-testid="calendar-error"]').textContent).toContain('bad range');
  });
});
