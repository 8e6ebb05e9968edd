import { afterEach, describe, expect, it, vi } from 'vitest';

import { CaasClient } from '../client/client.js';
import { ClientEvent } from '../client/events.js';
import { NotificationErrorCode, notificationText, type CaasNotification, type NotificationNewEvent } from './notifications.js';
import { FakeRest, refusal } from '../testing/fake-rest.js';
import { FakeServer, user } from '../testing/fake-server.js';
import { notif } from '../testing/social.js';

const clients: CaasClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
});

function client(rest: FakeRest): CaasClient {
  return new CaasClient({ url: 'http://caas.test', token: 'tok', fetch: rest.fetch });
}

describe('client.notifications', () => {
  it('maps each helper to its route, method, query and body', async () => {
    const like = notif('n1', 'like', 'bob', { object_id: 'o1', kind: 'post' });
    const rest = new FakeRest()
      .route('GET', '/v1/notifications', (c) => ({ notifications: [like], next_cursor: c.query.get('cursor') ? null : 'n' }))
      .route('GET', '/v1/notifications/unread-count', () => ({ unread: 4 }))
      .route('POST', '/v1/notifications/read', (c) => ({ unread: (c.body as { all?: boolean }).all ? 0 : 3 }))
      .route('GET', '/v1/notifications/preferences', () => ({ preferences: [{ category: 'like', channel: 'email', enabled: true }] }))
      .route('PUT', '/v1/notifications/preferences', (c) => c.body as Record<string, unknown>)
      .route('POST', '/v1/push/subscriptions', () => ({ subscribed: true }))
      .route('DELETE', '/v1/push/subscriptions', () => ({ subscribed: false }));
    const c = client(rest);
    expect(await c.notifications.list({ unread: true, limit: 5 })).toEqual({ notifications: [like], nextCursor: 'n' });
    expect(await c.notifications.list({ unread: false, cursor: 'n' })).toEqual({ notifications: [like] });
    expect(await c.notifications.unreadCount()).toBe(4);
    expect(await c.notifications.markRead(['n1'])).toBe(3);
    expect(await c.notifications.markAllRead()).toBe(0);
    expect(await c.notifications.preferences()).toEqual([{ category: 'like', channel: 'email', enabled: true }]);
    const off = [{ category: 'like', channel: 'push', enabled: false, extra: 1 } as never];
    expect(await c.notifications.setPreferences(off)).toEqual([{ category: 'like', channel: 'push', enabled: false }]);
    const sub = { endpoint: 'https://push.test/1', expirationTime: null, keys: { p256dh: 'BP', auth: 'A' } };
    await c.notifications.subscribePush({ toJSON: () => sub });
    await c.notifications.unsubscribePush(sub);
    await c.notifications.unsubscribePush('https://push.test/2');
    expect(rest.calls.map((x) => `${x.method} ${x.path}${x.query.size ? `?${x.query}` : ''}`)).toEqual([
      'GET /v1/notifications?unread=true&limit=5',
      'GET /v1/notifications?cursor=n',
      'GET /v1/notifications/unread-count',
      'POST /v1/notifications/read',
      'POST /v1/notifications/read',
      'GET /v1/notifications/preferences',
      'PUT /v1/notifications/preferences',
      'POST /v1/push/subscriptions',
      'DELETE /v1/push/subscriptions',
      'DELETE /v1/push/subscriptions',
    ]);
    expect(rest.calls.map((x) => x.body).slice(3)).toEqual([
      { ids: ['n1'] },
      { all: true },
      undefined,
      { preferences: [{ category: 'like', channel: 'push', enabled: false }] },
      sub,
      { endpoint: 'https://push.test/1' },
      { endpoint: 'https://push.test/2' },
    ]);
  });

  it('pages with a pager and throws RequestErrors with the server code', async () => {
    const rest = new FakeRest()
      .route('GET', '/v1/notifications', (c) =>
        c.query.get('cursor') === null
          ? { notifications: [notif('a', 'follow', 'bob')], next_cursor: 'k' }
          : { notifications: [notif('b', 'like', 'cy')], next_cursor: null },
      )
      .route('POST', '/v1/notifications/read', () => refusal(422, 'invalid_body', 'give either `ids` (1 to 500) or `all: true`'));
    const c = client(rest);
    const ids: string[] = [];
    for await (const n of c.notifications.pager({ unread: true })) ids.push(n.id);
    expect(ids).toEqual(['a', 'b']);
    await expect(c.notifications.markRead([])).rejects.toMatchObject({ code: NotificationErrorCode.InvalidBody, status: 422 });
  });

  it('enables web push with the server key, reusing a current subscription', async () => {
    const key = 'BAECAwQ'; // base64url of 04 01 02 03 04
    const rest = new FakeRest()
      .route('GET', '/v1/push/vapid-public-key', () => ({ public_key: key }))
      .route('POST', '/v1/push/subscriptions', () => ({ subscribed: true }));
    const sub = { endpoint: 'https://push.test/9', keys: { p256dh: 'p', auth: 'a' } };
    const asked: Array<{ userVisibleOnly: boolean; applicationServerKey: Uint8Array }> = [];
    let current: { toJSON(): unknown } | null = null;
    const registration = {
      pushManager: {
        getSubscription: async () => current,
        subscribe: async (options: { userVisibleOnly: boolean; applicationServerKey: Uint8Array }) => {
          asked.push(options);
          current = { toJSON: () => sub };
          return current;
        },
      },
    };
    const c = client(rest);
    await c.notifications.enablePush(registration);
    expect(asked).toHaveLength(1);
    expect(asked[0]?.userVisibleOnly).toBe(true);
    expect([...asked[0]!.applicationServerKey]).toEqual([4, 1, 2, 3, 4]);
    await c.notifications.enablePush(registration);
    expect(asked).toHaveLength(1);
    expect(rest.called('POST', '/v1/push/subscriptions').map((x) => x.body)).toEqual([sub, sub]);
    expect(rest.called('GET', '/v1/push/vapid-public-key')).toHaveLength(1);

    const off = new FakeRest().route('GET', '/v1/push/vapid-public-key', () => refusal(404, 'push_not_configured', 'web push is not configured'));
    await expect(client(off).notifications.vapidPublicKey()).rejects.toMatchObject({ code: NotificationErrorCode.PushNotConfigured, status: 404 });
  });

  it('emits notification.new as a typed event', async () => {
    const server = new FakeServer(user('ann'));
    const c = await server.client();
    clients.push(c);
    const seen: NotificationNewEvent[] = [];
    c.on(ClientEvent.NotificationNew, (ev) => seen.push(ev));
    const n = notif('n9', 'comment', 'bob', { object_id: 'o1', kind: 'post', comment_id: 'k1', text: 'Nice!' });
    server.push('notification.new', { notification: n }, false);
    await vi.waitFor(() => expect(seen).toEqual([{ notification: n }]), { timeout: 2000 });
  });
});

describe('notificationText', () => {
  const t = (category: string, data: CaasNotification['data'] = {}, actor: string | null = 'bob'): string =>
    notificationText(notif('x', category, actor, data));

  it('reads each category for a person', () => {
    expect(t('like', { kind: 'post', object_id: 'o' })).toBe('bob liked your post');
    expect(t('like', { kind: 'reel' })).toBe('bob liked your reel');
    expect(t('comment', { kind: 'post', text: 'Nice!' })).toBe('bob commented on your post: “Nice!”');
    expect(t('reply', { object_id: 'o', comment_id: 'k', text: 'thanks' })).toBe('bob replied to your comment: “thanks”');
    expect(t('reply', { conversation_id: 'c', message_id: 'm', text: 'sure' })).toBe('bob replied to you: “sure”');
    expect(t('mention', { text: 'hey @ann' })).toBe('bob mentioned you: “hey @ann”');
    expect(t('direct_message', { text: '' })).toBe('bob sent you a message');
    expect(t('contact_request', { user_id: 'bob' })).toBe('bob wants to add you as a contact');
    expect(t('follow', { user_id: 'bob' })).toBe('bob started following you');
    expect(t('reminder', { text: 'Standup' }, null)).toBe('Reminder: Standup');
    expect(t('reminder', { title: 'Design review' }, null)).toBe('Reminder: Design review');
    expect(t('system', { text: 'Maintenance at 6' }, null)).toBe('Maintenance at 6');
    expect(t('party', { text: 'hi' })).toBe('bob: hi');
    expect(t('party', {}, null)).toBe('New notification');
    expect(t('like', {}, null)).toBe('Someone liked your post');
  });
});
