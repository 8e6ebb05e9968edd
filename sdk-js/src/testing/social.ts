/**
 * Test support (not part of the package): objects, comments, story rings and
 * notifications as the server sends them.
 */

import type { CaasNotification } from '../notifications/notifications.js';
import type { CaasObject, ObjectComment, StoryRing } from '../feed/objects.js';

let clock = Date.UTC(2026, 10, 26, 10, 0, 0);

/** An object (a followers-only post by default). */
export function obj(id: string, owner: string, extra: Partial<CaasObject> & { text?: string } = {}): CaasObject {
  const { text, ...rest } = extra;
  const at = new Date((clock += 1000)).toISOString();
  return {
    id,
    kind: 'post',
    owner_id: owner,
    visibility: 'followers',
    conversation_id: null,
    payload: { media: [], ...(text === undefined ? {} : { text }) },
    created_at: at,
    updated_at: at,
    expires_at: null,
    stats: { likes: 0, comments: 0, views: 0, shares: 0 },
    liked: false,
    viewed: false,
    ...rest,
  };
}

/** A story of `owner`. */
export function story(id: string, owner: string, extra: Partial<CaasObject> & { text?: string } = {}): CaasObject {
  return obj(id, owner, { kind: 'story', expires_at: new Date(clock + 86_400_000).toISOString(), ...extra });
}

/** A ring of stories. */
export function ring(owner: string, stories: CaasObject[], allSeen = stories.every((s) => s.viewed)): StoryRing {
  return { owner_id: owner, stories, all_seen: allSeen };
}

/** A comment. */
export function comment(id: string, objectId: string, author: string, text: string, extra: Partial<ObjectComment> = {}): ObjectComment {
  return {
    id,
    object_id: objectId,
    parent_id: null,
    author_id: author,
    text,
    reply_count: 0,
    created_at: new Date((clock += 1000)).toISOString(),
    deleted: false,
    ...extra,
  };
}

/** A notification of `user`. */
export function notif(id: string, category: string, actor: string | null, data: CaasNotification['data'] = {}, extra: Partial<CaasNotification> = {}): CaasNotification {
  return {
    id,
    user_id: 'ann',
    category,
    actor_id: actor,
    data,
    created_at: new Date((clock += 1000)).toISOString(),
    read: false,
    ...extra,
  };
}
