/**
 * Cursor paging: the REST lists of the server answer one page and a
 * `next_cursor` to pass back for the next one (absent on the last page).
 * {@link Pager} walks them: page by page (`next()`, for infinite scroll) or
 * item by item (`for await`).
 *
 * @packageDocumentation
 */

/** One page of a list, as the SDK's list helpers return it. */
export interface Page<T> {
  /** The items of this page. */
  items: T[];
  /** Pass as `cursor` for the next page; absent on the last page. */
  nextCursor?: string;
}

/** Fetches the page after `cursor` (`undefined`: the first page). */
export type PageFetcher<T> = (cursor: string | undefined) => Promise<Page<T>>;

/**
 * Walks a cursor-paged list. `next()` loads one more page (concurrent calls
 * share the request); `items` holds every item loaded so far; `hasMore` is
 * `false` once the last page came. It is also an async iterable over every
 * item of the list, loading pages as the loop goes.
 *
 * ```ts
 * const pager = client.feed.homePager({ limit: 20 });
 * const first = await pager.next();        // the first 20
 * if (pager.hasMore) await pager.next();   // on scroll
 * for await (const n of client.notifications.pager({ unread: true })) console.log(n.category);
 * ```
 *
 * A page that fails rejects `next()` and leaves the pager where it was, so
 * calling `next()` again retries it.
 */
export class Pager<T> implements AsyncIterable<T> {
  private readonly fetchPage: PageFetcher<T>;
  private loaded: T[] = [];
  private cursor: string | undefined;
  private started = false;
  private done = false;
  private inflight: Promise<T[]> | undefined;
  private generation = 0;

  /** @param fetchPage - fetches the page after a cursor. */
  constructor(fetchPage: PageFetcher<T>) {
    this.fetchPage = fetchPage;
  }

  /** Every item loaded so far, in list order. */
  get items(): readonly T[] {
    return this.loaded;
  }

  /** Whether another page may follow (`true` before the first page). */
  get hasMore(): boolean {
    return !this.done;
  }

  /** Whether a page is loading. */
  get loading(): boolean {
    return this.inflight !== undefined;
  }

  /** The cursor of the next page (`undefined` before the first page and after the last). */
  get nextCursor(): string | undefined {
    return this.cursor;
  }

  /**
   * Loads the next page and resolves with its items (`[]` once the list is
   * exhausted). While a page is loading, calls share it.
   */
  next(): Promise<T[]> {
    if (this.done) return Promise.resolve([]);
    if (this.inflight) return this.inflight;
    const generation = this.generation;
    const cursor = this.started ? this.cursor : undefined;
    const run = (async () => {
      const page = await this.fetchPage(cursor);
      if (generation !== this.generation) return [];
      this.started = true;
      this.loaded = [...this.loaded, ...page.items];
      this.cursor = page.nextCursor || undefined;
      if (this.cursor === undefined) this.done = true;
      return page.items;
    })();
    this.inflight = run;
    const clear = (): void => {
      if (this.inflight === run) this.inflight = undefined;
    };
    run.then(clear, clear);
    return run;
  }

  /** Forgets every page: the next `next()` loads the first page again. A page loading is dropped. */
  reset(): void {
    this.generation++;
    this.loaded = [];
    this.cursor = undefined;
    this.started = false;
    this.done = false;
    this.inflight = undefined;
  }

  /** Every item of the list, from the first, loading pages as needed (the pager's own state is not used). */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    let cursor: string | undefined;
    do {
      const page = await this.fetchPage(cursor);
      yield* page.items;
      cursor = page.nextCursor || undefined;
    } while (cursor !== undefined);
  }
}

/** A server page `{[key]: T[], next_cursor?: string | null}` as a {@link Page}. */
export function pageOf<T>(items: T[], nextCursor: string | null | undefined): Page<T> {
  return nextCursor ? { items, nextCursor } : { items };
}
