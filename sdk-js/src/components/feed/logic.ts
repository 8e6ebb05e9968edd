/**
 * The state logic of `<caas-feed>` and of the object cards, free of Lit and
 * of the DOM: list merging, optimistic likes, story rings, media kinds,
 * composer checks, labels.
 *
 * @packageDocumentation
 */

import type { CaasObject, ObjectComment, ObjectKind, StoryRing, Visibility } from '../../feed/objects.js';
import type { Attachment } from '../../files/types.js';
import { oneLine } from '../shared/format.js';

/** What `<caas-feed>` shows: the home feed, explore, or one user's profile. */
export type FeedMode = 'home' | 'explore' | 'profile';

/** The modes, as the attribute takes them. */
export const FEED_MODES: readonly FeedMode[] = ['home', 'explore', 'profile'];

/** Labels of the kinds. */
export const KIND_LABELS: Readonly<Record<ObjectKind, string>> = { post: 'Post', story: 'Story', reel: 'Reel' };

/** Labels of the visibilities, for the composer's picker and the posts' marks. */
export const VISIBILITY_LABELS: Readonly<Record<Visibility, string>> = {
  public: 'Everyone',
  followers: 'Followers',
  close_friends: 'Close friends',
  conversation: 'Conversation',
  private: 'Only me',
};

/** The visibilities the composer offers (`conversation` needs a conversation: not offered). */
export const COMPOSER_VISIBILITIES: readonly Visibility[] = ['followers', 'public', 'close_friends', 'private'];

/** The longest side, in CSS pixels, of an image in a post. */
export const FEED_IMAGE_MAX = 480;

/** How many files a post carries at most. */
export const MAX_POST_MEDIA = 10;

/** The label of a kind, `Post` for unknown ones. */
export function kindLabel(kind: string): string {
  return KIND_LABELS[kind as ObjectKind] ?? 'Post';
}

/** `existing` followed by the objects of `incoming` it lacks; those it has are replaced in place. */
export function mergeObjects(existing: readonly CaasObject[], incoming: readonly CaasObject[]): CaasObject[] {
  const byId = new Map(incoming.map((o) => [o.id, o]));
  const out = existing.map((o) => byId.get(o.id) ?? o);
  const have = new Set(existing.map((o) => o.id));
  for (const o of incoming) if (!have.has(o.id)) {
    have.add(o.id);
    out.push(o);
  }
  return out;
}

/** `list` with `object` first (a new post), or replacing its older copy. */
export function prependObject(list: readonly CaasObject[], object: CaasObject): CaasObject[] {
  return [object, ...list.filter((o) => o.id !== object.id)];
}

/** `list` with the object of the same id replaced by `object` (no change when absent). */
export function replaceObject(list: readonly CaasObject[], object: CaasObject): CaasObject[] {
  return list.map((o) => (o.id === object.id ? object : o));
}

/** `object` as liked (or not) by the reader, its like count moved to match: the optimistic view before the server answers. */
export function withLike(object: CaasObject, liked: boolean): CaasObject {
  if (object.liked === liked) return object;
  const likes = Math.max(0, object.stats.likes + (liked ? 1 : -1));
  return { ...object, liked, stats: { ...object.stats, likes } };
}

/** `object` with `delta` more comments. */
export function withComments(object: CaasObject, delta: number): CaasObject {
  return { ...object, stats: { ...object.stats, comments: Math.max(0, object.stats.comments + delta) } };
}

/** Only the objects of `kinds` (all when `kinds` is empty). */
export function ofKinds(list: readonly CaasObject[], kinds: readonly ObjectKind[]): CaasObject[] {
  return kinds.length === 0 ? [...list] : list.filter((o) => kinds.includes(o.kind));
}

/**
 * The rings in strip order: the reader's own first, then those with unseen
 * stories, then the seen ones; the server's order is kept within each group.
 */
export function sortRings(rings: readonly StoryRing[], me: string | undefined): StoryRing[] {
  const rank = (r: StoryRing): number => (r.owner_id === me ? 0 : r.all_seen ? 2 : 1);
  return rings
    .map((r, i) => ({ r, i }))
    .sort((a, b) => rank(a.r) - rank(b.r) || a.i - b.i)
    .map(({ r }) => r);
}

/**
 * The rings after the reader saw story `storyId`: the story is `viewed` and
 * its ring `all_seen` once every story of it is (the reader's own ring always
 * counts as seen). The order is kept (see {@link sortRings}).
 */
export function markStoryViewed(rings: readonly StoryRing[], storyId: string, me: string | undefined): StoryRing[] {
  return rings.map((ring) => {
    if (!ring.stories.some((s) => s.id === storyId)) return ring;
    const stories = ring.stories.map((s) => (s.id === storyId && !s.viewed ? { ...s, viewed: true } : s));
    return { ...ring, stories, all_seen: ring.owner_id === me || stories.every((s) => s.viewed) };
  });
}

/** The rings with `story` added to its owner's ring (a new ring first when the owner had none). */
export function addStory(rings: readonly StoryRing[], story: CaasObject, me: string | undefined): StoryRing[] {
  const i = rings.findIndex((r) => r.owner_id === story.owner_id);
  if (i < 0) return sortRings([{ owner_id: story.owner_id, stories: [story], all_seen: story.owner_id === me || story.viewed }, ...rings], me);
  return rings.map((r, j) =>
    j === i ? { ...r, stories: [...r.stories, story], all_seen: r.owner_id === me || (r.all_seen && story.viewed) } : r,
  );
}

/** Where a ring starts playing: its first unseen story, else the first. */
export function firstUnseen(ring: StoryRing): number {
  const i = ring.stories.findIndex((s) => !s.viewed);
  return i < 0 ? 0 : i;
}

/** How a media file of an object shows: an image, a video, or a plain link. */
export function mediaKind(media: Pick<Attachment, 'content_type'>): 'image' | 'video' | 'file' {
  const type = media.content_type.toLowerCase();
  if (type.startsWith('image/')) return 'image';
  if (type.startsWith('video/')) return 'video';
  return 'file';
}

/** A one-line summary of an object: its text, else what its media are (`📷 Photo`, `🎬 Video`, `📷 3 photos`). */
export function objectExcerpt(object: Pick<CaasObject, 'payload'>, max = 140): string {
  const text = oneLine(object.payload.text ?? '', max);
  if (text !== '') return text;
  const media = object.payload.media ?? [];
  if (media.length === 0) return '';
  const videos = media.filter((m) => mediaKind(m) === 'video').length;
  if (media.length === 1) return videos === 1 ? '🎬 Video' : '📷 Photo';
  return videos === media.length ? `🎬 ${media.length} videos` : `📷 ${media.length} photos`;
}

/** `1 like`, `3 likes`. */
export function likesText(n: number): string {
  return n === 1 ? '1 like' : `${n} likes`;
}

/** `1 comment`, `3 comments`. */
export function commentsText(n: number): string {
  return n === 1 ? '1 comment' : `${n} comments`;
}

/** One chosen file of the composer: its media kind. */
export interface ComposerFile {
  /** Content type (`File.type`). */
  type: string;
  /** Size in bytes. */
  size: number;
}

/**
 * Why the composer cannot post this (the server's rules, checked before any
 * upload), or `undefined` when it can: a post needs text or media (images and
 * videos only, up to 10); a story at most one file and text or a file; a reel
 * exactly one video.
 */
export function composerProblem(kind: ObjectKind, text: string, files: readonly ComposerFile[]): string | undefined {
  const hasText = text.trim() !== '';
  const kinds = files.map((f) => mediaKind({ content_type: f.type || 'application/octet-stream' }));
  if (kinds.some((k) => k === 'file')) return 'Only images and videos can be posted.';
  if (text.length > 5000) return 'The text is limited to 5000 characters.';
  switch (kind) {
    case 'post':
      if (files.length > MAX_POST_MEDIA) return `A post carries at most ${MAX_POST_MEDIA} photos or videos.`;
      if (!hasText && files.length === 0) return 'Write something or add a photo.';
      return undefined;
    case 'story':
      if (files.length > 1) return 'A story carries one photo or video.';
      if (!hasText && files.length === 0) return 'Add a photo or write something.';
      return undefined;
    case 'reel':
      if (files.length !== 1 || kinds[0] !== 'video') return 'A reel is exactly one video.';
      return undefined;
    default:
      return undefined;
  }
}

/** Whether the feed in `mode` shows a new object of the reader: their home and own profile do, explore only public ones. */
export function showsOwnObject(mode: FeedMode, object: CaasObject, me: string | undefined, profileUser: string | undefined): boolean {
  if (object.kind === 'story') return false;
  if (mode === 'home') return true;
  if (mode === 'profile') return profileUser !== undefined && profileUser === me;
  return object.visibility === 'public';
}

/** Replies of a comment thread, merged by id and kept oldest first. */
export function mergeComments(existing: readonly ObjectComment[], incoming: readonly ObjectComment[]): ObjectComment[] {
  const byId = new Map(existing.map((c) => [c.id, c]));
  for (const c of incoming) byId.set(c.id, c);
  // By time (the server writes RFC 3339 with 0 to 3 fraction digits: compared as dates, not strings), then id.
  const at = (c: ObjectComment): number => Date.parse(c.created_at) || 0;
  return [...byId.values()].sort((a, b) => at(a) - at(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

