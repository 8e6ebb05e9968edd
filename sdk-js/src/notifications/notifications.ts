/**
 * In-app notifications over REST (`client.notifications`): list, unread
 * count, mark read, preferences per category and channel, and web-push
 * subscriptions. New notifications also arrive live on the socket as
 * `notification.new` ({@link ClientEvent.NotificationNew}).
 *
 * @packageDocumentation
 */

// ClientEvent: for the {@link} tags.
import type { ClientEvent } from '../client/events.js';
import { Pager, pageOf } from '../core/paging.js';
import type { RestClient } from '../core/rest.js';

/**
 * Why a user is notified: a mention, a reply (to a message or to a comment),
 * a direct message while offline, a contact request, a new follower, a like
 * or a comment on one of their objects, a reminder, or a system notice.
 */
export type NotificationCategory =
  | 'mention'
  | 'reply'
  | 'direct_message'
  | 'contact_request'
  | 'follow'
  | 'like'
  | 'comment'
  | 'reminder'
  | 'system';

/** Every category, as the server lists them. */
export const NOTIFICATION_CATEGORIES: readonly NotificationCategory[] = [
  'mention',
  'reply',
  'direct_message',
  'contact_request',
  'follow',
  'like',
  'comment',
  'reminder',
  'system',
];

/** How a user is notified: in the app (stored, and `notification.new`), by email digest, or by web push. */
export type NotificationChannel = 'in_app' | 'email' | 'push';

/** Every channel. */
export const NOTIFICATION_CHANNELS: readonly NotificationChannel[] = ['in_app', 'email', 'push'];

/**
 * What a notification is about. Which fields are set depends on the category:
 * messages (`mention`, `reply` in a chat, `direct_message`) carry
 * `conversation_id`, `message_id` and `text` (an excerpt); objects (`like`,
 * `comment`, `reply` to a comment) carry `object_id`, `kind` and, for
 * comments, `comment_id` and `text`; `follow` and `contact_request` carry the
 * other `user_id`.
 */
export interface NotificationData {
  /** The conversation of a message. */
  conversation_id?: string;
  /** The message. */
  message_id?: string;
  /** The object liked or commented on. */
  object_id?: string;
  /** Its kind: `post`, `story` or `reel`. */
  kind?: string;
  /** The comment. */
  comment_id?: string;
  /** An excerpt of the message or comment. */
  text?: string;
  /** The user who followed or asked to be a contact. */
  user_id?: string;
  /** Other fields. */
  [key: string]: unknown;
}

/** A notification of the caller. */
export interface CaasNotification {
  /** Id. */
  id: string;
  /** Whose (the caller). */
  user_id: string;
  /** Why (see {@link NotificationCategory}; a newer server may send others). */
  category: NotificationCategory | (string & {});
  /** Who caused it, if someone did. */
  actor_id: string | null;
  /** What it is about. */
  data: NotificationData;
  /** RFC 3339. */
  created_at: string;
  /** Read. */
  read: boolean;
}

/** Payload of {@link ClientEvent.NotificationNew}. */
export interface NotificationNewEvent {
  /** The new notification (unread). */
  notification: CaasNotification;
}

/** One preference: a category on a channel, on or off. */
export interface NotificationPreference {
  /** The category. */
  category: NotificationCategory | (string & {});
  /** The channel. */
  channel: NotificationChannel | (string & {});
  /** On (every channel is on by default) or off. */
  enabled: boolean;
}

/** A page of notifications, newest first. */
export interface NotificationPage {
  /** The notifications. */
  notifications: CaasNotification[];
  /** Pass as `cursor` for the next page; absent on the last page. */
  nextCursor?: string;
}

/** Query of {@link NotificationsApi.list}. */
export interface ListNotificationsQuery {
  /** Only unread ones. */
  unread?: boolean;
  /** `nextCursor` of the previous page. */
  cursor?: string;
  /** 1 to 100 (server default 20). */
  limit?: number;
}

/** A browser's push subscription as `PushSubscription.toJSON()` gives it. */
export interface PushSubscriptionInput {
  /** The push service URL. */
  endpoint: string;
  /** Keys: `p256dh` (the browser's P-256 public key) and `auth` (16 bytes), base64url. */
  keys: { p256dh: string; auth: string };
  /** Other fields (`expirationTime`) are sent as they are. */
  [key: string]: unknown;
}

/** Anything with `toJSON()` giving a {@link PushSubscriptionInput} (a browser `PushSubscription`). */
export interface PushSubscriptionLike {
  /** The subscription as JSON. */
  toJSON(): unknown;
}

/** What {@link NotificationsApi.enablePush} needs of a `ServiceWorkerRegistration`. */
export interface PushRegistrationLike {
  /** Its push manager. */
  pushManager: {
    /** The current subscription, if any. */
    getSubscription(): Promise<PushSubscriptionLike | null>;
    /** Subscribes. */
    subscribe(options: { userVisibleOnly: boolean; applicationServerKey: Uint8Array }): Promise<PushSubscriptionLike>;
  };
}

/** The bytes of a base64url text (padding optional). */
export function base64UrlBytes(text: string): Uint8Array {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * Reason codes of the {@link RequestError}s the notification helpers throw
 * (the server's `error.code`).
 */
export const NotificationErrorCode = {
  /** `markRead` without ids (or with more than 500), or more than 100 preferences at once. */
  InvalidBody: 'invalid_body',
  /** An unknown category in the preferences. */
  InvalidCategory: 'invalid_category',
  /** An unknown channel in the preferences. */
  InvalidChannel: 'invalid_channel',
  /** A push endpoint that is not an http(s) URL of at most 2000 characters. */
  InvalidEndpoint: 'invalid_endpoint',
  /** Push keys that are not a P-256 point and a 16-byte secret. */
  InvalidKeys: 'invalid_keys',
  /** Removing a push subscription the caller does not have. */
  NotFound: 'not_found',
  /** The server has no VAPID key (`CAAS_VAPID_PRIVATE_KEY`): web push is off. */
  PushNotConfigured: 'push_not_configured',
  /** A cursor the server did not give. */
  InvalidCursor: 'invalid_cursor',
  /** A limit outside 1–100. */
  InvalidLimit: 'invalid_limit',
} as const;

/**
 * A person-readable line for a notification, in English, e.g. `bob liked your
 * post`, `bob commented on your post: “Nice!”`, `bob started following you`.
 * Unknown categories read `bob: <text>` (or `New notification`).
 */
export function notificationText(n: Pick<CaasNotification, 'category' | 'actor_id' | 'data'>): string {
  const who = n.actor_id ?? 'Someone';
  const data = n.data ?? {};
  const text = typeof data.text === 'string' ? data.text.trim() : '';
  const quoted = text === '' ? '' : `: “${text}”`;
  const kind = typeof data.kind === 'string' && data.kind !== '' ? data.kind : 'post';
  switch (n.category) {
    case 'mention':
      return `${who} mentioned you${quoted}`;
    case 'reply':
      return data.comment_id !== undefined || data.object_id !== undefined
        ? `${who} replied to your comment${quoted}`
        : `${who} replied to you${quoted}`;
    case 'direct_message':
      return `${who} sent you a message${quoted}`;
    case 'contact_request':
      return `${who} wants to add you as a contact`;
    case 'follow':
      return `${who} started following you`;
    case 'like':
      return `${who} liked your ${kind}`;
    case 'comment':
      return `${who} commented on your ${kind}${quoted}`;
    case 'reminder': {
      const what = text || (typeof data['title'] === 'string' ? data['title'].trim() : '');
      return what === '' ? 'Reminder' : `Reminder: ${what}`;
    }
    case 'system':
      return text === '' ? 'Notice' : text;
    default:
      if (n.actor_id !== null && text !== '') return `${n.actor_id}: ${text}`;
      return text || (n.actor_id !== null ? `${n.actor_id} did something` : 'New notification');
  }
}

/**
 * Notifications over REST (`client.notifications`). Errors are those of
 * {@link RestClient}: a {@link RequestError} with the server's code (see
 * {@link NotificationErrorCode}), an {@link AuthError}, a
 * {@link ConnectionError} or a {@link TimeoutError}.
 *
 * ```ts
 * client.on(ClientEvent.NotificationNew, ({ notification }) => bump(notification));
 * const unread = await client.notifications.unreadCount();
 * const { notifications } = await client.notifications.list({ limit: 20 });
 * await client.notifications.markRead([notifications[0].id]); // resolves with the unread count after
 * await client.notifications.markAllRead();
 * ```
 */
export class NotificationsApi {
  private readonly rest: RestClient;

  /** @param rest - the client's REST client. */
  constructor(rest: RestClient) {
    this.rest = rest;
  }

  /** The caller's notifications, newest first (`GET /v1/notifications`). */
  async list(query: ListNotificationsQuery = {}): Promise<NotificationPage> {
    const page = await this.rest.get<{ notifications: CaasNotification[]; next_cursor?: string | null }>('/v1/notifications', {
      unread: query.unread ? true : undefined,
      cursor: query.cursor,
      limit: query.limit,
    });
    return page.next_cursor
      ? { notifications: page.notifications, nextCursor: page.next_cursor }
      : { notifications: page.notifications };
  }

  /** A {@link Pager} over {@link NotificationsApi.list}. */
  pager(query: Omit<ListNotificationsQuery, 'cursor'> = {}): Pager<CaasNotification> {
    return new Pager(async (cursor) => {
      const page = await this.list({ ...query, ...(cursor === undefined ? {} : { cursor }) });
      return pageOf(page.notifications, page.nextCursor);
    });
  }

  /** How many notifications are unread (the bell's badge). */
  async unreadCount(): Promise<number> {
    return (await this.rest.get<{ unread: number }>('/v1/notifications/unread-count')).unread;
  }

  /** Marks these notifications read (1 to 500 ids); resolves with the unread count after. */
  async markRead(ids: readonly string[]): Promise<number> {
    return (await this.rest.post<{ unread: number }>('/v1/notifications/read', { ids })).unread;
  }

  /** Marks every notification read; resolves with the unread count after (0, unless one just arrived). */
  async markAllRead(): Promise<number> {
    return (await this.rest.post<{ unread: number }>('/v1/notifications/read', { all: true })).unread;
  }

  /** Every category × channel with whether it is on (every channel is on by default). */
  async preferences(): Promise<NotificationPreference[]> {
    return (await this.rest.get<{ preferences: NotificationPreference[] }>('/v1/notifications/preferences')).preferences;
  }

  /**
   * Changes some preferences (the others stay; at most 100 at once; all or
   * nothing). Resolves with every preference as it now is.
   */
  async setPreferences(preferences: readonly NotificationPreference[]): Promise<NotificationPreference[]> {
    const body = { preferences: preferences.map(({ category, channel, enabled }) => ({ category, channel, enabled })) };
    return (await this.rest.put<{ preferences: NotificationPreference[] }>('/v1/notifications/preferences', body)).preferences;
  }

  /**
   * The server's VAPID public key (base64url), the `applicationServerKey` to
   * subscribe with.
   *
   * @throws {@link RequestError} `push_not_configured` (404) when web push is off.
   */
  async vapidPublicKey(): Promise<string> {
    return (await this.rest.get<{ public_key: string }>('/v1/push/vapid-public-key')).public_key;
  }

  /**
   * Turns web push on for this browser: subscribes the service worker's push
   * manager with the server's VAPID key (reusing a current subscription) and
   * registers it. The page must have the user's permission
   * (`Notification.requestPermission()`), and the service worker shows the
   * pushes (their payload is `{title, body, notification}`).
   *
   * ```ts
   * const registration = await navigator.serviceWorker.register('/sw.js');
   * if ((await Notification.requestPermission()) === 'granted') await client.notifications.enablePush(registration);
   * ```
   *
   * @throws {@link RequestError} `push_not_configured` when the server has no VAPID key.
   */
  async enablePush(registration: PushRegistrationLike): Promise<PushSubscriptionLike> {
    const existing = await registration.pushManager.getSubscription();
    const subscription =
      existing ??
      (await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: base64UrlBytes(await this.vapidPublicKey()) }));
    await this.subscribePush(subscription);
    return subscription;
  }

  /**
   * Registers a browser for web push: pass the `PushSubscription` of
   * `registration.pushManager.subscribe(…)` (or its `toJSON()`).
   *
   * @throws {@link RequestError} `invalid_endpoint`, `invalid_keys`.
   */
  async subscribePush(subscription: PushSubscriptionLike | PushSubscriptionInput): Promise<void> {
    await this.rest.post('/v1/push/subscriptions', subscriptionJson(subscription));
  }

  /** Removes one of the caller's push subscriptions (by the subscription or its endpoint). @throws {@link RequestError} `not_found`. */
  async unsubscribePush(subscription: PushSubscriptionLike | PushSubscriptionInput | string): Promise<void> {
    const endpoint = typeof subscription === 'string' ? subscription : subscriptionJson(subscription).endpoint;
    await this.rest.request('DELETE', '/v1/push/subscriptions', { body: { endpoint } });
  }
}

function subscriptionJson(subscription: PushSubscriptionLike | PushSubscriptionInput): PushSubscriptionInput {
  const json = typeof (subscription as PushSubscriptionLike).toJSON === 'function'
    ? (subscription as PushSubscriptionLike).toJSON()
    : subscription;
  return json as PushSubscriptionInput;
}
