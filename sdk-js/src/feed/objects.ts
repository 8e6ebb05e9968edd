/**
 * Objects over REST (`client.objects`): posts, stories and reels in the
 * server's common envelope, with likes, threaded comments, views, shares into
 * chats and the close-friends list; and the feeds (`client.feed`): home,
 * explore and the stories strip.
 *
 * @packageDocumentation
 */

import type { UploadOptions } from '../files/files.js';
import { ABORTED, CaasError } from '../core/errors.js';
import { Pager, pageOf } from '../core/paging.js';
import type { RestClient } from '../core/rest.js';
import type { Message } from '../chat/types.js';
import type { Attachment, FileMeta } from '../files/types.js';
import type { JsonObject } from '../core/wire.js';

/** What an object is: a post (text and media), a story (gone after 24 h) or a reel (one video). */
export type ObjectKind = 'post' | 'story' | 'reel';

/** The kinds, in the order the SDK offers them. */
export const OBJECT_KINDS: readonly ObjectKind[] = ['post', 'story', 'reel'];

/**
 * Who may see an object: `private` (its owner), `conversation` (members of
 * its conversation), `followers` (the server's default), `close_friends` (the
 * owner's close-friends list) or `public` (every user of the app). Its owner
 * always sees it; blocks hide it either way.
 */
export type Visibility = 'private' | 'conversation' | 'followers' | 'close_friends' | 'public';

/** The visibilities, from the narrowest audience to the widest. */
export const VISIBILITIES: readonly Visibility[] = ['private', 'conversation', 'close_friends', 'followers', 'public'];

/** Counters of an object. */
export interface ObjectStats {
  /** Likes. */
  likes: number;
  /** Comments, replies included. */
  comments: number;
  /** Distinct viewers (stories and reels; the owner is not counted). */
  views: number;
  /** Shares into chats. */
  shares: number;
}

/** Kind-specific content of an object. */
export interface ObjectPayload {
  /** Post text, reel caption or story text (1–5000 characters), if any. */
  text?: string;
  /** Images and videos (file summaries, as message attachments): fetch them with `client.files.url(id)`. */
  media: Attachment[];
  /** The free-form JSON object given at creation, if any. */
  custom?: JsonObject;
}

/** An object (post, story or reel) in the common envelope, as the reader sees it. */
export interface CaasObject {
  /** Id. */
  id: string;
  /** Post, story or reel. */
  kind: ObjectKind;
  /** Who made it. */
  owner_id: string;
  /** Who may see it. */
  visibility: Visibility;
  /** Its conversation (visibility `conversation`), else `null`. */
  conversation_id: string | null;
  /** Text, media, custom data. */
  payload: ObjectPayload;
  /** RFC 3339. */
  created_at: string;
  /** RFC 3339. */
  updated_at: string;
  /** RFC 3339, for stories (24 h after creation); `null` otherwise. */
  expires_at: string | null;
  /** Counters. */
  stats: ObjectStats;
  /** The reader liked it. */
  liked: boolean;
  /** The reader viewed it (`POST /v1/objects/{id}/views`). */
  viewed: boolean;
}

/** A comment on an object. */
export interface ObjectComment {
  /** Id. */
  id: string;
  /** The object. */
  object_id: string;
  /** The comment it answers (one level of threads), else `null`. */
  parent_id: string | null;
  /** Author. */
  author_id: string;
  /** Text (empty once deleted). */
  text: string;
  /** Direct replies. */
  reply_count: number;
  /** RFC 3339. */
  created_at: string;
  /** Deleted: kept, without text, so that its replies stay in place. */
  deleted: boolean;
}

/** Who viewed a story or reel. */
export interface ObjectViewer {
  /** The user. */
  user_id: string;
  /** RFC 3339. */
  viewed_at: string;
}

/** One user's active stories in the strip. */
export interface StoryRing {
  /** Whose stories. */
  owner_id: string;
  /** Oldest first, as they play. */
  stories: CaasObject[];
  /** The reader has seen every one (always `true` for the reader's own ring). */
  all_seen: boolean;
}

/** What a chat message carries when an object was shared into it (`message.payload.object`). */
export interface ObjectRef {
  /** Kind. */
  kind: ObjectKind;
  /** Id: `client.objects.get(id)` (404 `not_found` for members who may not see it). */
  id: string;
  /** Owner. */
  owner_id: string;
}

/** A page of objects, newest first (explore `popular`: most liked first). */
export interface ObjectPage {
  /** The objects. */
  objects: CaasObject[];
  /** Pass as `cursor` for the next page; absent on the last page. */
  nextCursor?: string;
}

/** A page of comments, oldest first. */
export interface CommentPage {
  /** The comments. */
  comments: ObjectComment[];
  /** Pass as `cursor` for the next page; absent on the last page. */
  nextCursor?: string;
}

/** Input of {@link ObjectsApi.create}. */
export interface CreateObjectInput {
  /** `post`, `story` or `reel`. */
  kind: ObjectKind;
  /** Default `followers` (the server's default). `conversation` needs `conversationId`. */
  visibility?: Visibility;
  /** With visibility `conversation`: its members see it (the caller must be one). */
  conversationId?: string;
  /** Post text, reel caption or story text (up to 5000 characters). */
  text?: string;
  /** Ids of files the caller uploaded already (`client.files.upload`). */
  media?: string[];
  /**
   * Files to upload first (with `client.files.upload`), then attach after
   * `media`: a post carries up to 10 images or videos, a reel exactly one
   * video, a story at most one image or video.
   */
  files?: Blob[];
  /** Free-form JSON object kept with the object. */
  custom?: JsonObject;
}

/** Options of {@link ObjectsApi.create}. */
export interface CreateObjectOptions {
  /** Progress of the uploads of `files`, summed over all of them. */
  onProgress?: (sentBytes: number, totalBytes: number) => void;
  /** Cancels the uploads (rejects with {@link CaasError} `aborted`); once they are done, the object is created regardless. */
  signal?: AbortSignal;
  /** Upload options passed to each file (e.g. `timeoutMs`). */
  upload?: Pick<UploadOptions, 'timeoutMs'>;
}

/** Query of {@link ObjectsApi.list}. */
export interface ListObjectsQuery {
  /** Only this kind. */
  kind?: ObjectKind;
  /** Only this user's objects (a profile). */
  ownerId?: string;
  /** Only objects of this conversation. */
  conversationId?: string;
  /** Only this visibility. */
  visibility?: Visibility;
  /** `nextCursor` of the previous page. */
  cursor?: string;
  /** 1 to 100 (server default 20). */
  limit?: number;
}

/** Query of {@link ObjectsApi.comments}. */
export interface ListCommentsQuery {
  /** The replies to this comment (default: top-level comments). */
  parentId?: string;
  /** `nextCursor` of the previous page. */
  cursor?: string;
  /** 1 to 100 (server default 20). */
  limit?: number;
}

/** Query of {@link FeedApi.home}. */
export interface HomeFeedQuery {
  /** Kinds to include (server default `post` and `reel`). */
  kinds?: readonly ObjectKind[];
  /** `nextCursor` of the previous page. */
  cursor?: string;
  /** 1 to 100 (server default 20). */
  limit?: number;
}

/** Order of the explore feed: newest first, or most liked first. */
export type ExploreSort = 'recent' | 'popular';

/** Query of {@link FeedApi.explore}. */
export interface ExploreFeedQuery extends HomeFeedQuery {
  /** `recent` (default) or `popular`. */
  sort?: ExploreSort;
}

/**
 * Reason codes of the {@link RequestError}s the objects and feed helpers
 * throw (the server's `error.code`).
 */
export const ObjectErrorCode = {
  /** No such object, or the caller may not see it (existence is not revealed); also a comment, a file or a conversation. */
  NotFound: 'not_found',
  /** Deleting someone else's comment on someone else's object; viewers of an object not one's own. */
  Forbidden: 'forbidden',
  /** Not `post`, `story` or `reel`. */
  InvalidKind: 'invalid_kind',
  /** An unknown visibility, or `conversation` without a conversation (or the reverse). */
  InvalidVisibility: 'invalid_visibility',
  /** Text over 5000 characters. */
  TextTooLong: 'text_too_long',
  /** `custom` is not a JSON object. */
  InvalidCustom: 'invalid_custom',
  /** More than 10 media files. */
  TooManyMedia: 'too_many_media',
  /** A media file that is neither an image nor a video. */
  UnsupportedMediaType: 'unsupported_media_type',
  /** A post or story without text nor media. */
  EmptyObject: 'empty_object',
  /** A reel without exactly one video; a story with more than one file. */
  InvalidMedia: 'invalid_media',
  /** A comment not 1–2000 characters. */
  InvalidText: 'invalid_text',
  /** A cursor the server did not give. */
  InvalidCursor: 'invalid_cursor',
  /** A limit outside 1–100. */
  InvalidLimit: 'invalid_limit',
  /** An explore sort other than `recent` or `popular`. */
  InvalidSort: 'invalid_sort',
  /** A close-friends list over 1000 users. */
  TooManyUsers: 'too_many_users',
} as const;

/** What {@link ObjectsApi} needs of the client. */
export interface ObjectsApiConfig {
  /** The REST client. */
  rest: RestClient;
  /** Uploads a file (the client's `files.upload`). */
  upload: (blob: Blob, options: UploadOptions) => Promise<FileMeta>;
}

const path = (id: string, rest = ''): string => `/v1/objects/${encodeURIComponent(id)}${rest}`;

/** The `payload.object` of a chat message, when an object was shared into it; `undefined` otherwise. */
export function objectRefOf(message: Pick<Message, 'payload' | 'deleted_at'>): ObjectRef | undefined {
  if (message.deleted_at) return undefined;
  const payload = message.payload;
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
  const ref = (payload as Record<string, unknown>)['object'];
  if (typeof ref !== 'object' || ref === null) return undefined;
  const { kind, id, owner_id: owner } = ref as Record<string, unknown>;
  if (typeof id !== 'string' || id === '' || typeof kind !== 'string' || typeof owner !== 'string') return undefined;
  return { kind: kind as ObjectKind, id, owner_id: owner };
}

/**
 * Objects — posts, stories and reels — over REST (`client.objects`). Errors
 * are those of {@link RestClient}: a {@link RequestError} with the server's
 * code (see {@link ObjectErrorCode}), an {@link AuthError}, a
 * {@link ConnectionError} or a {@link TimeoutError}.
 *
 * ```ts
 * const post = await client.objects.create({ kind: 'post', text: 'Hello', files: [input.files[0]] });
 * await client.objects.like(post.id);
 * await client.objects.comment(post.id, 'Nice!');
 * const page = await client.objects.list({ ownerId: 'ann' }); // a profile
 * ```
 */
export class ObjectsApi {
  private readonly cfg: ObjectsApiConfig;

  /** @param cfg - the REST client and the file upload. */
  constructor(cfg: ObjectsApiConfig) {
    this.cfg = cfg;
  }

  /**
   * Creates a post, story or reel owned by the caller (`POST /v1/objects`).
   * `files` are uploaded first (in parallel, with `client.files.upload`), and
   * attached after the ids of `media`. Followers get it in their home feed.
   *
   * @throws {@link RequestError} `empty_object`, `invalid_media`,
   *   `unsupported_media_type`, `too_many_media`, `text_too_long`,
   *   `invalid_visibility`…; upload errors (`payload_too_large`…);
   *   {@link CaasError} `aborted` when `signal` cancels the uploads.
   */
  async create(input: CreateObjectInput, options: CreateObjectOptions = {}): Promise<CaasObject> {
    const uploaded = input.files && input.files.length > 0 ? await this.uploadAll(input.files, options) : [];
    const body: Record<string, unknown> = { kind: input.kind };
    if (input.visibility !== undefined) body['visibility'] = input.visibility;
    if (input.conversationId !== undefined) body['conversation_id'] = input.conversationId;
    if (input.text !== undefined) body['text'] = input.text;
    const media = [...(input.media ?? []), ...uploaded.map((f) => f.id)];
    if (media.length > 0) body['media'] = media;
    if (input.custom !== undefined) body['custom'] = input.custom;
    return (await this.cfg.rest.post<{ object: CaasObject }>('/v1/objects', body)).object;
  }

  /** One object, if the caller may see it (`GET /v1/objects/{id}`; else {@link RequestError} `not_found`, 404). */
  async get(objectId: string): Promise<CaasObject> {
    return (await this.cfg.rest.get<{ object: CaasObject }>(path(objectId))).object;
  }

  /** Objects the caller may see, newest first: by kind, owner (a profile), conversation or visibility (`GET /v1/objects`). */
  async list(query: ListObjectsQuery = {}): Promise<ObjectPage> {
    const page = await this.cfg.rest.get<{ objects: CaasObject[]; next_cursor?: string | null }>('/v1/objects', {
      kind: query.kind,
      owner: query.ownerId,
      conversation: query.conversationId,
      visibility: query.visibility,
      cursor: query.cursor,
      limit: query.limit,
    });
    return page.next_cursor ? { objects: page.objects, nextCursor: page.next_cursor } : { objects: page.objects };
  }

  /** A {@link Pager} over {@link ObjectsApi.list} (`cursor` of `query` is ignored). */
  pager(query: Omit<ListObjectsQuery, 'cursor'> = {}): Pager<CaasObject> {
    return new Pager(async (cursor) => {
      const page = await this.list({ ...query, ...(cursor === undefined ? {} : { cursor }) });
      return pageOf(page.objects, page.nextCursor);
    });
  }

  /** Deletes one of the caller's objects (others get `not_found`). */
  async delete(objectId: string): Promise<void> {
    await this.cfg.rest.delete(path(objectId));
  }

  /** Likes an object (idempotent; its owner is notified the first time). Resolves with the object as it now is. */
  async like(objectId: string): Promise<CaasObject> {
    return (await this.cfg.rest.put<{ object: CaasObject }>(path(objectId, '/like'))).object;
  }

  /** Takes a like back (idempotent). Resolves with the object as it now is. */
  async unlike(objectId: string): Promise<CaasObject> {
    return (await this.cfg.rest.delete<{ object: CaasObject }>(path(objectId, '/like'))).object;
  }

  /** {@link ObjectsApi.like} or {@link ObjectsApi.unlike}. */
  setLiked(objectId: string, liked: boolean): Promise<CaasObject> {
    return liked ? this.like(objectId) : this.unlike(objectId);
  }

  /**
   * Comments on an object, or with `parentId` answers a comment (threads are
   * one level deep per parent). The object's owner and the parent comment's
   * author are notified.
   *
   * @throws {@link RequestError} `invalid_text` (not 1–2000 characters), `not_found`.
   */
  async comment(objectId: string, text: string, options: { parentId?: string } = {}): Promise<ObjectComment> {
    const body: Record<string, unknown> = { text };
    if (options.parentId !== undefined) body['parent_id'] = options.parentId;
    return (await this.cfg.rest.post<{ comment: ObjectComment }>(path(objectId, '/comments'), body)).comment;
  }

  /** Top-level comments of an object, or with `parentId` the replies to a comment, oldest first. */
  async comments(objectId: string, query: ListCommentsQuery = {}): Promise<CommentPage> {
    const page = await this.cfg.rest.get<{ comments: ObjectComment[]; next_cursor?: string | null }>(path(objectId, '/comments'), {
      parent: query.parentId,
      cursor: query.cursor,
      limit: query.limit,
    });
    return page.next_cursor ? { comments: page.comments, nextCursor: page.next_cursor } : { comments: page.comments };
  }

  /** A {@link Pager} over {@link ObjectsApi.comments}. */
  commentsPager(objectId: string, query: Omit<ListCommentsQuery, 'cursor'> = {}): Pager<ObjectComment> {
    return new Pager(async (cursor) => {
      const page = await this.comments(objectId, { ...query, ...(cursor === undefined ? {} : { cursor }) });
      return pageOf(page.comments, page.nextCursor);
    });
  }

  /** Deletes a comment (its author or the object's owner; replies stay). @throws {@link RequestError} `forbidden`. */
  async deleteComment(objectId: string, commentId: string): Promise<void> {
    await this.cfg.rest.delete(path(objectId, `/comments/${encodeURIComponent(commentId)}`));
  }

  /**
   * Records that the caller saw a story or reel (counted once per user; the
   * owner's own views are not counted). Resolves with whether this view was new.
   */
  async view(objectId: string): Promise<boolean> {
    return (await this.cfg.rest.post<{ counted: boolean }>(path(objectId, '/views'))).counted;
  }

  /** Who viewed the caller's story or reel, newest first. @throws {@link RequestError} `forbidden` for others' objects. */
  async viewers(objectId: string): Promise<ObjectViewer[]> {
    return (await this.cfg.rest.get<{ viewers: ObjectViewer[] }>(path(objectId, '/views'))).viewers;
  }

  /**
   * Shares an object into a conversation the caller belongs to: sends a
   * message whose `payload.object` is `{kind, id, owner_id}` (see
   * {@link objectRefOf}), with `text` as its note. Resolves with the message.
   */
  async share(objectId: string, conversationId: string, text = ''): Promise<Message> {
    const body = { conversation_id: conversationId, text };
    return (await this.cfg.rest.post<{ message: Message }>(path(objectId, '/share'), body)).message;
  }

  /** The caller's close-friends list (the audience of `close_friends` objects), sorted. */
  async closeFriends(): Promise<string[]> {
    return (await this.cfg.rest.get<{ user_ids: string[] }>('/v1/me/close-friends')).user_ids;
  }

  /** Replaces the caller's close-friends list (up to 1000 users); resolves with the list as stored. */
  async setCloseFriends(userIds: readonly string[]): Promise<string[]> {
    return (await this.cfg.rest.put<{ user_ids: string[] }>('/v1/me/close-friends', { user_ids: userIds })).user_ids;
  }

  private async uploadAll(files: Blob[], options: CreateObjectOptions): Promise<FileMeta[]> {
    const { signal } = options;
    if (signal?.aborted) throw new CaasError(ABORTED, 'the upload was cancelled', { cause: signal.reason });
    // One controller for all: the caller's signal, or the first failure, stops the others.
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const total = files.reduce((n, f) => n + f.size, 0);
    const sent = files.map(() => 0);
    const report = (): void => options.onProgress?.(
      sent.reduce((a, b) => a + b, 0),
      total,
    );
    try {
      return await Promise.all(
        files.map((file, i) =>
          this.cfg
            .upload(file, {
              ...options.upload,
              signal: controller.signal,
              onProgress: (s) => {
                sent[i] = s;
                report();
              },
            })
            .catch((error: unknown) => {
              controller.abort();
              throw error;
            }),
        ),
      );
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }
}

/**
 * The feeds over REST (`client.feed`): home (the people the caller follows,
 * and their own), explore (public objects of the app) and the stories strip.
 *
 * ```ts
 * const { objects, nextCursor } = await client.feed.home({ limit: 20 });
 * const pager = client.feed.explorePager({ sort: 'popular' });
 * const rings = await client.feed.stories(); // own ring first, then unseen before seen
 * ```
 */
export class FeedApi {
  private readonly rest: RestClient;

  /** @param rest - the client's REST client. */
  constructor(rest: RestClient) {
    this.rest = rest;
  }

  /** The home feed: posts and reels (or `kinds`) of the people the caller follows and their own, newest first (`GET /v1/feed`). */
  home(query: HomeFeedQuery = {}): Promise<ObjectPage> {
    return this.page('/v1/feed', query);
  }

  /** A {@link Pager} over {@link FeedApi.home}. */
  homePager(query: Omit<HomeFeedQuery, 'cursor'> = {}): Pager<CaasObject> {
    return new Pager(async (cursor) => {
      const page = await this.home({ ...query, ...(cursor === undefined ? {} : { cursor }) });
      return pageOf(page.objects, page.nextCursor);
    });
  }

  /** Public posts and reels (or `kinds`) of the app, newest (`recent`) or most liked (`popular`) first (`GET /v1/feed/explore`). */
  explore(query: ExploreFeedQuery = {}): Promise<ObjectPage> {
    return this.page('/v1/feed/explore', query, query.sort);
  }

  /** A {@link Pager} over {@link FeedApi.explore}. */
  explorePager(query: Omit<ExploreFeedQuery, 'cursor'> = {}): Pager<CaasObject> {
    return new Pager(async (cursor) => {
      const page = await this.explore({ ...query, ...(cursor === undefined ? {} : { cursor }) });
      return pageOf(page.objects, page.nextCursor);
    });
  }

  /**
   * The stories strip: one ring per user with active stories among those the
   * caller follows, the caller's own first, then unseen rings before seen
   * ones, newest first (`GET /v1/feed/stories`).
   */
  async stories(): Promise<StoryRing[]> {
    return (await this.rest.get<{ rings: StoryRing[] }>('/v1/feed/stories')).rings;
  }

  private async page(route: string, query: HomeFeedQuery, sort?: ExploreSort): Promise<ObjectPage> {
    const page = await this.rest.get<{ objects: CaasObject[]; next_cursor?: string | null }>(route, {
      kinds: query.kinds && query.kinds.length > 0 ? query.kinds.join(',') : undefined,
      sort,
      cursor: query.cursor,
      limit: query.limit,
    });
    return page.next_cursor ? { objects: page.objects, nextCursor: page.next_cursor } : { objects: page.objects };
  }
}
