import { describe, expect, it } from 'vitest';

import { comment, obj, ring, story } from '../../testing/social.js';
import {
  addStory,
  commentsText,
  composerProblem,
  firstUnseen,
  kindLabel,
  likesText,
  markStoryViewed,
  mediaKind,
  mergeComments,
  mergeObjects,
  objectExcerpt,
  ofKinds,
  prependObject,
  replaceObject,
  showsOwnObject,
  sortRings,
  withComments,
  withLike,
} from './logic.js';

const png = { id: 'f1', name: 'a.png', content_type: 'image/png', size: 1, width: 4, height: 3 };
const mp4 = { id: 'f2', name: 'b.mp4', content_type: 'video/mp4', size: 1 };

describe('feed lists', () => {
  it('merges pages by id, keeping order and replacing known objects', () => {
    const a = obj('a', 'ann');
    const b = obj('b', 'bob');
    const b2 = { ...b, liked: true };
    expect(mergeObjects([a, b], [b2, obj('c', 'cy')]).map((o) => [o.id, o.liked])).toEqual([
      ['a', false],
      ['b', true],
      ['c', false],
    ]);
    expect(prependObject([a, b], b2).map((o) => o.id)).toEqual(['b', 'a']);
    expect(replaceObject([a, b], b2)[1]).toBe(b2);
    expect(ofKinds([a, story('s', 'ann'), obj('r', 'x', { kind: 'reel' })], ['post', 'reel']).map((o) => o.id)).toEqual(['a', 'r']);
    expect(ofKinds([a], [])).toEqual([a]);
  });

  it('likes and comments move the counters optimistically', () => {
    const a = obj('a', 'ann', { stats: { likes: 2, comments: 0, views: 0, shares: 0 } });
    expect(withLike(a, true)).toMatchObject({ liked: true, stats: { likes: 3 } });
    expect(withLike(withLike(a, true), false)).toMatchObject({ liked: false, stats: { likes: 2 } });
    expect(withLike(a, false)).toBe(a);
    expect(withComments(a, 1).stats.comments).toBe(1);
    expect(withComments(a, -1).stats.comments).toBe(0);
  });

  it('tells where a new own object shows', () => {
    const post = obj('p', 'ann');
    expect(showsOwnObject('home', post, 'ann', undefined)).toBe(true);
    expect(showsOwnObject('profile', post, 'ann', 'ann')).toBe(true);
    expect(showsOwnObject('profile', post, 'ann', 'bob')).toBe(false);
    expect(showsOwnObject('explore', post, 'ann', undefined)).toBe(false);
    expect(showsOwnObject('explore', { ...post, visibility: 'public' }, 'ann', undefined)).toBe(true);
    expect(showsOwnObject('home', story('s', 'ann'), 'ann', undefined)).toBe(false);
  });
});

describe('story rings', () => {
  const seen = ring('cy', [story('c1', 'cy', { viewed: true })]);
  const bob = ring('bob', [story('b1', 'bob', { viewed: true }), story('b2', 'bob')]);
  const own = ring('ann', [story('a1', 'ann')], true);

  it('orders own first, then unseen, then seen, stable within each', () => {
    const dee = ring('dee', [story('d1', 'dee')]);
    expect(sortRings([seen, bob, own, dee], 'ann').map((r) => r.owner_id)).toEqual(['ann', 'bob', 'dee', 'cy']);
  });

  it('starts a ring at its first unseen story', () => {
    expect(firstUnseen(bob)).toBe(1);
    expect(firstUnseen(seen)).toBe(0);
  });

  it('marks a story viewed and its ring seen once all are', () => {
    const after = markStoryViewed([bob, seen], 'b2', 'ann');
    expect(after[0]?.all_seen).toBe(true);
    expect(after[0]?.stories[1]?.viewed).toBe(true);
    expect(after[1]).toBe(seen);
    const partly = markStoryViewed([ring('x', [story('x1', 'x'), story('x2', 'x')])], 'x1', 'ann');
    expect(partly[0]?.all_seen).toBe(false);
  });

  it('adds a new story to its ring, or a new ring', () => {
    expect(addStory([bob], story('a9', 'ann'), 'ann').map((r) => r.owner_id)).toEqual(['ann', 'bob']);
    const more = addStory([own, bob], story('a2', 'ann'), 'ann');
    expect(more[0]?.stories.map((s) => s.id)).toEqual(['a1', 'a2']);
    expect(more[0]?.all_seen).toBe(true);
  });
});

describe('media, excerpts, labels', () => {
  it('sorts media by kind', () => {
    expect(mediaKind(png)).toBe('image');
    expect(mediaKind(mp4)).toBe('video');
    expect(mediaKind({ content_type: 'application/pdf' })).toBe('file');
  });

  it('excerpts text, else describes the media', () => {
    expect(objectExcerpt(obj('a', 'x', { text: 'hello\n  world' }))).toBe('hello world');
    expect(objectExcerpt(obj('a', 'x', { text: 'x'.repeat(200) }), 10)).toBe(`${'x'.repeat(9)}…`);
    expect(objectExcerpt({ payload: { media: [png] } })).toBe('📷 Photo');
    expect(objectExcerpt({ payload: { media: [mp4] } })).toBe('🎬 Video');
    expect(objectExcerpt({ payload: { media: [png, mp4] } })).toBe('📷 2 photos');
    expect(objectExcerpt({ payload: { media: [mp4, mp4] } })).toBe('🎬 2 videos');
    expect(objectExcerpt({ payload: { media: [] } })).toBe('');
  });

  it('labels counts and kinds', () => {
    expect(likesText(1)).toBe('1 like');
    expect(likesText(0)).toBe('0 likes');
    expect(commentsText(1)).toBe('1 comment');
    expect(commentsText(4)).toBe('4 comments');
    expect(kindLabel('reel')).toBe('Reel');
    expect(kindLabel('task')).toBe('Post');
  });
});

describe('composerProblem', () => {
  const image = { type: 'image/png', size: 1 };
  const video = { type: 'video/mp4', size: 1 };
  it('follows the server rules per kind', () => {
    expect(composerProblem('post', 'hi', [])).toBeUndefined();
    expect(composerProblem('post', '', [image])).toBeUndefined();
    expect(composerProblem('post', '  ', [])).toMatch(/Write something/);
    expect(composerProblem('post', 'x', Array.from({ length: 11 }, () => image))).toMatch(/at most 10/);
    expect(composerProblem('post', 'x', [{ type: 'application/pdf', size: 1 }])).toMatch(/images and videos/);
    expect(composerProblem('story', '', [image])).toBeUndefined();
    expect(composerProblem('story', 'text only', [])).toBeUndefined();
    expect(composerProblem('story', '', [image, image])).toMatch(/one photo/);
    expect(composerProblem('story', '', [])).toMatch(/Add a photo/);
    expect(composerProblem('reel', 'cap', [video])).toBeUndefined();
    expect(composerProblem('reel', 'cap', [image])).toMatch(/one video/);
    expect(composerProblem('post', 'x'.repeat(5001), [])).toMatch(/5000/);
  });
});

describe('mergeComments', () => {
  it('merges by id and orders by time (fractions of a second compared as times), then id', () => {
    const a = comment('a', 'o', 'x', 'first', { created_at: '2026-11-26T16:00:08Z' });
    const b = comment('b', 'o', 'x', 'second', { created_at: '2026-11-26T16:00:08.53Z' });
    const c = comment('c', 'o', 'x', 'third', { created_at: '2026-11-26T16:00:09Z' });
    expect(mergeComments([c, b], [a, { ...b, text: 'edited' }]).map((k) => `${k.id}:${k.text}`)).toEqual(['a:first', 'b:edited', 'c:third']);
  });
});
