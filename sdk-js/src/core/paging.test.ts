import { describe, expect, it } from 'vitest';

import { Pager, pageOf, type Page } from './paging.js';

/** A list of `n` numbers served `size` at a time, with the cursors asked for. */
function numbers(n: number, size: number): { fetch: (cursor: string | undefined) => Promise<Page<number>>; cursors: Array<string | undefined> } {
  const cursors: Array<string | undefined> = [];
  const fetch = async (cursor: string | undefined): Promise<Page<number>> => {
    cursors.push(cursor);
    const from = cursor === undefined ? 0 : Number(cursor);
    const items = Array.from({ length: Math.max(0, Math.min(size, n - from)) }, (_, i) => from + i);
    return pageOf(items, from + size < n ? String(from + size) : null);
  };
  return { fetch, cursors };
}

describe('Pager', () => {
  it('loads page after page with the cursors, then reports the end', async () => {
    const { fetch, cursors } = numbers(5, 2);
    const pager = new Pager(fetch);
    expect(pager.hasMore).toBe(true);
    expect(await pager.next()).toEqual([0, 1]);
    expect(pager.nextCursor).toBe('2');
    expect(await pager.next()).toEqual([2, 3]);
    expect(await pager.next()).toEqual([4]);
    expect(pager.hasMore).toBe(false);
    expect(await pager.next()).toEqual([]);
    expect(pager.items).toEqual([0, 1, 2, 3, 4]);
    expect(cursors).toEqual([undefined, '2', '4']);
  });

  it('shares a page in flight between concurrent calls', async () => {
    const { fetch, cursors } = numbers(10, 3);
    const pager = new Pager(fetch);
    const [a, b] = await Promise.all([pager.next(), pager.next()]);
    expect(a).toEqual([0, 1, 2]);
    expect(b).toBe(a);
    expect(cursors).toEqual([undefined]);
    expect(pager.loading).toBe(false);
  });

  it('keeps its place when a page fails, so that next() retries it', async () => {
    let fail = true;
    const { fetch } = numbers(4, 2);
    const pager = new Pager(async (cursor) => {
      if (cursor === '2' && fail) {
        fail = false;
        throw new Error('network');
      }
      return fetch(cursor);
    });
    await pager.next();
    await expect(pager.next()).rejects.toThrow('network');
    expect(pager.items).toEqual([0, 1]);
    expect(await pager.next()).toEqual([2, 3]);
    expect(pager.hasMore).toBe(false);
  });

  it('reset() starts over and drops a page in flight', async () => {
    const { fetch, cursors } = numbers(4, 2);
    const pager = new Pager(fetch);
    await pager.next();
    const stale = pager.next();
    pager.reset();
    expect(await stale).toEqual([]);
    expect(pager.items).toEqual([]);
    expect(await pager.next()).toEqual([0, 1]);
    expect(cursors).toEqual([undefined, '2', undefined]);
  });

  it('iterates every item with for await', async () => {
    const { fetch } = numbers(7, 3);
    const seen: number[] = [];
    for await (const n of new Pager(fetch)) seen.push(n);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('pageOf leaves out an empty or null cursor', () => {
    expect(pageOf([1], null)).toEqual({ items: [1] });
    expect(pageOf([1], '')).toEqual({ items: [1] });
    expect(pageOf([1], 'c')).toEqual({ items: [1], nextCursor: 'c' });
  });
});
