// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';

import type { CaasClient } from '../../client/client.js';
import type { CaasNotification } from '../../notifications/notifications.js';
import { FakeRest, refusal } from '../../testing/fake-rest.js';
import { FakeServer, until, user } from '../../testing/fake-server.js';
import { notif } from '../../testing/social.js';
import '../index.js';
import { addNotification, appendNotifications, badgeText, markedRead, type CaasNotifications } from '../index.js';

const clients: CaasClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
  document.body.innerHTML = '';
});

const all = (el: HTMLElement, sel: string): HTMLElement[] => [...(el.shadowRoot ?? el).querySelectorAll<HTMLElement>(sel)];
function one(el: HTMLElement, sel: string): HTMLElement {
  const found = (el.shadowRoot ?? el).querySelector<HTMLElement>(sel);
  if (!found) throw new Error(`no ${sel}`);
  return found;
}
const badge = (el: CaasNotifications): string => el.shadowRoot!.querySelector('[data-testid="notifications-badge"]')?.textContent?.trim() ?? '';

describe('notification list helpers', () => {
  it('badge text, prepend, append and mark read', () => {
    expect([badgeText(0), badgeText(3), badgeText(120), badgeText(Number.NaN)]).toEqual(['', '3', '99+', '']);
    const a = notif('a', 'like', 'bob');
    const b = notif('b', 'follow', 'cy');
    expect(addNotification([a], b).map((n) => n.id)).toEqual(['b', 'a']);
    expect(addNotification([a, b], { ...b, read: true })[1]?.read).toBe(true);
    expect(appendNotifications([a], [a, b]).map((n) => n.id)).toEqual(['a', 'b']);
    expect(markedRead([a, b], ['b']).map((n) => n.read)).toEqual([false, true]);
    expect(markedRead([a, b]).every((n) => n.read)).toBe(true);
  });
});

describe('<caas-notifications>', () => {
  async function mount(stored: CaasNotification[]): Promise<{ el: CaasNotifications; server: FakeServer; rest: FakeRest; stored: CaasNotification[] }> {
    const rest = new FakeRest()
      .route('GET', '/v1/notifications/unread-count', () => ({ unread: stored.filter((n) => !n.read).length }))
      .route('GET', '/v1/notifications', (c) => {
        const from = Number(c.query.get('cursor') ?? 0);
        const limit = Number(c.query.get('limit') ?? 20);
        return { notifications: stored.slice(from, from + limit), next_cursor: from + limit < stored.length ? String(from + limit) : null };
      })
      .route('POST', '/v1/notifications/read', (c) => {
        const body = c.body as { ids?: string[]; all?: boolean };
        for (const n of stored) if (body.all || body.ids?.includes(n.id)) n.read = true;
        return { unread: stored.filter((n) => !n.read).length };
      });
    const server = new FakeServer(user('ann'));
    const client = await server.client({ fetch: rest.fetch });
    clients.push(client);
    const el = document.createElement('caas-notifications');
    el.pageSize = 2;
    el.client = client;
    document.body.append(el);
    return { el, server, rest, stored };
  }

  it('shows the unread count, bumps it live, lists with human text and marks one and all read', async () => {
    const { el, server, rest, stored } = await mount([
      notif('n3', 'comment', 'bob', { object_id: 'o1', kind: 'post', comment_id: 'k', text: 'Nice!' }),
      notif('n2', 'like', 'bob', { object_id: 'o1', kind: 'post' }),
      notif('n1', 'follow', 'bob', { user_id: 'bob' }, { read: true }),
    ]);
    const counts: number[] = [];
    el.addEventListener('caas-unread', (e) => counts.push(e.detail.unread));
    await until(() => badge(el) === '2');
    const bell = one(el, '[data-testid="notifications-bell"]');
    expect(bell.getAttribute('aria-label')).toBe('Notifications, 2 unread');

    // Live: notification.new bumps the badge (no request).
    const live = notif('n4', 'follow', 'cy', { user_id: 'cy' });
    stored.unshift(live);
    server.push('notification.new', { notification: live }, false);
    await until(() => badge(el) === '3');
    expect(rest.called('GET', '/v1/notifications/unread-count')).toHaveLength(1);

    bell.click();
    await until(() => all(el, '[data-testid="notification"]').length === 2);
    expect(el.open).toBe(true);
    expect(bell.getAttribute('aria-expanded')).toBe('true');
    one(el, '[data-testid="notifications-more"]').click();
    await until(() => all(el, '[data-testid="notification"]').length === 4);
    expect(all(el, '[data-testid="notification-text"]').map((t) => t.textContent)).toEqual([
      'cy started following you',
      'bob commented on your post: “Nice!”',
      'bob liked your post',
      'bob started following you',
    ]);
    expect(all(el, '[data-testid="notification"]').map((n) => n.dataset['read'])).toEqual(['false', 'false', 'false', 'true']);

    // Choosing one marks it read and tells the page.
    const clicked: string[] = [];
    el.addEventListener('caas-notification-click', (e) => clicked.push(`${e.detail.notification.id}:${e.detail.notification.read}`));
    one(el, '[data-notification-id="n2"] [data-testid="notification-open"]').click();
    await until(() => badge(el) === '2');
    expect(clicked).toEqual(['n2:true']);
    expect(rest.called('POST', '/v1/notifications/read')[0]?.body).toEqual({ ids: ['n2'] });
    expect(one(el, '[data-notification-id="n2"]').dataset['read']).toBe('true');

    // The dot marks one read too.
    one(el, '[data-notification-id="n4"] [data-testid="notification-mark-read"]').click();
    await until(() => badge(el) === '1');

    one(el, '[data-testid="notifications-mark-all"]').click();
    await until(() => badge(el) === '');
    expect(el.shadowRoot!.querySelector('[data-testid="notifications-badge"]')).toBeNull();
    expect(all(el, '[data-testid="notification"]').every((n) => n.dataset['read'] === 'true')).toBe(true);
    expect(rest.called('POST', '/v1/notifications/read').at(-1)?.body).toEqual({ all: true });
    expect(counts).toEqual([2, 3, 2, 1, 0]);
  });

  it('closes on Escape and on a click elsewhere', async () => {
    const { el } = await mount([notif('n1', 'like', 'bob')]);
    await until(() => badge(el) === '1');
    one(el, '[data-testid="notifications-bell"]').click();
    await until(() => el.shadowRoot!.querySelector('[data-testid="notifications-panel"]') !== null);
    one(el, '[data-testid="notifications-panel"]').dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    await el.updateComplete;
    expect(el.open).toBe(false);
    el.open = true;
    await el.updateComplete;
    document.body.click();
    await el.updateComplete;
    expect(el.open).toBe(false);
  });

  it('counts again on reconnection (live notifications are not replayed) and shows failures', async () => {
    const { el, rest, stored } = await mount([notif('n1', 'like', 'bob')]);
    await until(() => badge(el) === '1');
    stored.unshift(notif('n2', 'mention', 'cy', { text: 'hi' }));
    const client = el.client!;
    client.disconnect();
    await client.connect();
    await until(() => badge(el) === '2');
    expect(rest.called('GET', '/v1/notifications/unread-count').length).toBeGreaterThanOrEqual(2);

    rest.route('POST', '/v1/notifications/read', () => refusal(500, 'internal', 'boom'));
    const errors: string[] = [];
    el.addEventListener('caas-error', (e) => errors.push(e.detail.action));
    el.open = true;
    await until(() => all(el, '[data-testid="notification"]').length === 2);
    one(el, '[data-testid="notifications-mark-all"]').click();
    await until(() => errors.length === 1);
    expect(errors).toEqual(['notifications.read']);
    expect(one(el, '[data-testid="notifications-error"]').textContent).toContain('boom');
    expect(badge(el)).toBe('2');
  });
});
