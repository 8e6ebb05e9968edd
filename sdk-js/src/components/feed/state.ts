/**
 * The state of `<caas-feed>` and how it follows the server: the objects shown
 * (paged as the list scrolls), the stories strip and its viewer, likes and
 * deletions.
 *
 * @packageDocumentation
 */

import { LitElement, type PropertyValues } from 'lit';

import type { CaasClient } from '../../client/client.js';
import { ClientEvent } from '../../client/events.js';
import type { Pager } from '../../core/paging.js';
import type { CaasObject, ExploreSort, ObjectComment, ObjectKind, StoryRing, Visibility } from '../../feed/objects.js';
import type { ActionErrorDetail } from '../shared/events.js';
import { errorText } from '../shared/format.js';
import {
  type FeedMode,
  firstUnseen,
  markStoryViewed,
  mergeObjects,
  ofKinds,
  replaceObject,
  sortRings,
  withLike,
} from './logic.js';
import type { CommentsState } from './post.js';
import { storyAt, type StoryPosition } from './stories.js';

/** Detail of `caas-post`. */
export interface FeedPostDetail {
  /** The object the user just created (a post, story or reel). */
  object: CaasObject;
}

/** Detail of `caas-like`. */
export interface FeedLikeDetail {
  /** The object as it now is. */
  object: CaasObject;
  /** Whether the user now likes it. */
  liked: boolean;
}

/** Detail of `caas-comment`. */
export interface FeedCommentDetail {
  /** The object commented on, as the feed now shows it. */
  object: CaasObject;
  /** The new comment (with `parent_id` for a reply). */
  comment: ObjectComment;
}

/** Detail of `caas-story-view`. */
export interface FeedStoryViewDetail {
  /** The story shown. */
  story: CaasObject;
  /** Whether the server counted a new view (`false` for one's own stories and stories seen before). */
  counted: boolean;
}

/** Detail of `caas-profile`. */
export interface FeedProfileDetail {
  /** The user whose name or ring was chosen. */
  userId: string;
}

/** Detail of `caas-delete`. */
export interface FeedDeleteDetail {
  /** The object the user deleted. */
  objectId: string;
}

/** A file chosen in the composer. */
interface ChosenFile {
  key: number;
  file: File;
  /** An object URL of an image, for its preview. */
  preview: string | undefined;
}

/** Once the sentinel is this close to the visible area, the next page loads. */
const SCROLL_MARGIN = '400px';

/** The state of `<caas-feed>`: its objects, stories, likes and deletions. */
export abstract class FeedState extends LitElement {
  static override properties = {
    client: { attribute: false },
    mode: { type: String, reflect: true },
    userId: { type: String, attribute: 'user-id', reflect: true },
    sort: { type: String, reflect: true },
    kinds: { attribute: false },
    pageSize: { type: Number, attribute: 'page-size' },
    noComposer: { type: Boolean, attribute: 'no-composer' },
    noStories: { type: Boolean, attribute: 'no-stories' },
    objects: { state: true },
    hasMore: { state: true },
    loading: { state: true },
    error: { state: true },
    rings: { state: true },
    viewer: { state: true },
    comments: { state: true },
    busyLikes: { state: true },
    confirmDelete: { state: true },
    draftText: { state: true },
    draftFiles: { state: true },
    draftKind: { state: true },
    draftVisibility: { state: true },
    posting: { state: true },
    progress: { state: true },
    composerError: { state: true },
  };

  /** The client. */
  declare client: CaasClient | undefined;

  /** `home` (default), `explore` or `profile`. Attribute `mode`. */
  declare mode: FeedMode;

  /** The user of `profile` mode. Attribute `user-id`. */
  declare userId: string | undefined;

  /** Order of `explore`: `recent` (default) or `popular`. Attribute `sort`. */
  declare sort: ExploreSort;

  /** The kinds listed (default posts and reels). */
  declare kinds: readonly ObjectKind[];

  /** Objects per page (1–100, default 10). Attribute `page-size`. */
  declare pageSize: number;

  /** Hide the composer. Attribute `no-composer`. */
  declare noComposer: boolean;

  /** Hide the stories strip. Attribute `no-stories`. */
  declare noStories: boolean;

  declare protected objects: CaasObject[];

  declare protected hasMore: boolean;

  declare protected loading: boolean;

  declare protected error: string | undefined;

  declare protected rings: StoryRing[];

  declare protected viewer: StoryPosition | undefined;

  declare protected comments: CommentsState | undefined;

  declare protected busyLikes: ReadonlySet<string>;

  declare protected confirmDelete: string | undefined;

  declare protected draftText: string;

  declare protected draftFiles: ChosenFile[];

  declare protected draftKind: ObjectKind;

  declare protected draftVisibility: Visibility;

  declare protected posting: boolean;

  declare protected progress: number | undefined;

  declare protected composerError: string | undefined;

  protected boundClient: CaasClient | undefined;

  protected unsubscribe: Array<() => void> = [];

  protected pager: Pager<CaasObject> | undefined;

  /** Bumped by every reload: answers for an older one are dropped. */
  protected generation = 0;

  protected loaded = false;

  protected observer: IntersectionObserver | undefined;

  protected observed: Element | undefined;

  protected fileKey = 0;

  protected uploadController: AbortController | undefined;

  /** The ring button that opened the viewer, focused again when it closes. */
  protected viewerOpener: string | undefined;

  protected focusViewer = false;

  protected focusCommentInput = false;

  constructor() {
    super();
    this.client = undefined;
    this.mode = 'home';
    this.userId = undefined;
    this.sort = 'recent';
    this.kinds = ['post', 'reel'];
    this.pageSize = 10;
    this.noComposer = false;
    this.noStories = false;
    this.objects = [];
    this.hasMore = false;
    this.loading = false;
    this.error = undefined;
    this.rings = [];
    this.viewer = undefined;
    this.comments = undefined;
    this.busyLikes = new Set();
    this.confirmDelete = undefined;
    this.draftText = '';
    this.draftFiles = [];
    this.draftKind = 'post';
    this.draftVisibility = 'followers';
    this.posting = false;
    this.progress = undefined;
    this.composerError = undefined;
  }

  /** The posts and reels shown, in order. */
  get items(): readonly CaasObject[] {
    return this.objects;
  }

  /** The story rings shown, in strip order. */
  get storyRings(): readonly StoryRing[] {
    return this.rings;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.bindClient();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unbindClient();
    this.observer?.disconnect();
    this.observer = undefined;
    this.observed = undefined;
    this.uploadController?.abort();
    for (const f of this.draftFiles) if (f.preview) URL.revokeObjectURL(f.preview);
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('client')) this.bindClient();
    else if (
      this.boundClient &&
      (changed.has('mode') || changed.has('userId') || changed.has('sort') || changed.has('kinds') || changed.has('pageSize') || changed.has('noStories'))
    ) {
      this.reload();
    }
  }

  protected override updated(): void {
    this.watchSentinel();
    if (this.focusViewer) {
      this.focusViewer = false;
      this.renderRoot.querySelector<HTMLElement>('[data-testid="story-viewer"]')?.focus();
    }
    if (this.focusCommentInput) {
      this.focusCommentInput = false;
      this.renderRoot.querySelector<HTMLElement>('[data-testid="comment-input"]')?.focus();
    }
    if (this.viewerOpener !== undefined && !this.viewer) {
      const owner = CSS.escape(this.viewerOpener);
      this.viewerOpener = undefined;
      this.renderRoot.querySelector<HTMLElement>(`[data-testid="story-ring"][data-owner="${owner}"]`)?.focus();
    }
  }

  /** Loads everything again: the first page and the stories. */
  reload(): void {
    this.generation++;
    const client = this.boundClient;
    this.objects = [];
    this.loaded = false;
    this.loading = false;
    this.comments = undefined;
    this.viewer = undefined;
    this.confirmDelete = undefined;
    this.error = undefined;
    this.pager = client ? this.pagerFor(client) : undefined;
    this.hasMore = this.pager !== undefined;
    if (!client) return;
    void this.loadMore();
    void this.loadStories();
  }

  /** Loads the next page, if there is one and none is loading. */
  async loadMore(): Promise<void> {
    const pager = this.pager;
    if (!pager || this.loading || !pager.hasMore) return;
    const generation = this.generation;
    this.loading = true;
    try {
      // A profile filters kinds here: a page may show nothing, so take a few.
      for (let i = 0; i < 3 && pager.hasMore; i++) {
        const items = await pager.next();
        if (generation !== this.generation) return;
        const shown = ofKinds(items, this.kinds);
        this.objects = mergeObjects(this.objects, shown);
        if (shown.length > 0) break;
      }
      this.hasMore = pager.hasMore;
      this.loaded = true;
    } catch (error) {
      if (generation !== this.generation) return;
      this.fail(this.listAction(), error);
    } finally {
      if (generation === this.generation) this.loading = false;
    }
  }

  protected bindClient(): void {
    if (!this.isConnected || this.client === this.boundClient) return;
    this.unbindClient();
    const client = this.client;
    if (!client) return;
    this.boundClient = client;
    this.unsubscribe = [
      client.on(ClientEvent.Connected, () => {
        // The user is known now (own posts, the composer); a first load that failed is retried.
        if (!this.loaded && !this.loading) this.reload();
        else this.requestUpdate();
      }),
    ];
    this.reload();
  }

  protected unbindClient(): void {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    this.boundClient = undefined;
    this.pager = undefined;
    this.generation++;
  }

  protected get me(): string | undefined {
    return this.boundClient?.user?.id;
  }

  protected pagerFor(client: CaasClient): Pager<CaasObject> | undefined {
    const limit = Math.max(1, Math.min(100, Math.round(this.pageSize) || 10));
    const kinds = this.kinds.length > 0 ? this.kinds : undefined;
    switch (this.mode) {
      case 'explore':
        return client.feed.explorePager({ sort: this.sort === 'popular' ? 'popular' : 'recent', limit, ...(kinds ? { kinds } : {}) });
      case 'profile': {
        if (!this.userId) return undefined;
        const one = this.kinds.length === 1 ? { kind: this.kinds[0]! } : {};
        return client.objects.pager({ ownerId: this.userId, limit, ...one });
      }
      default:
        return client.feed.homePager({ limit, ...(kinds ? { kinds } : {}) });
    }
  }

  protected listAction(): string {
    return this.mode === 'explore' ? 'feed.explore' : this.mode === 'profile' ? 'objects.list' : 'feed.home';
  }

  protected showsStories(): boolean {
    return !this.noStories && (this.mode === 'home' || (this.mode === 'profile' && this.userId !== undefined));
  }

  protected async loadStories(): Promise<void> {
    const client = this.boundClient;
    if (!client || !this.showsStories()) {
      this.rings = [];
      return;
    }
    const generation = this.generation;
    try {
      let rings = await client.feed.stories();
      if (generation !== this.generation) return;
      if (this.mode === 'profile') rings = rings.filter((r) => r.owner_id === this.userId);
      this.rings = sortRings(rings, this.me);
    } catch (error) {
      if (generation !== this.generation) return;
      this.fail('feed.stories', error);
    }
  }

  /** Loads the next page once the end of the list comes near (where IntersectionObserver exists). */
  protected watchSentinel(): void {
    const sentinel = this.renderRoot.querySelector('[data-testid="feed-sentinel"]') ?? undefined;
    if (sentinel === this.observed) return;
    if (typeof IntersectionObserver !== 'function') return;
    this.observer ??= new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) void this.loadMore();
      },
      { rootMargin: SCROLL_MARGIN },
    );
    if (this.observed) this.observer.unobserve(this.observed);
    this.observed = sentinel;
    if (sentinel) this.observer.observe(sentinel);
  }

  protected emit<T>(type: string, detail: T): void {
    this.dispatchEvent(new CustomEvent<T>(type, { detail, bubbles: true, composed: true }));
  }

  protected fail(action: string, error: unknown): void {
    this.error = errorText(error);
    this.emit<ActionErrorDetail>('caas-error', { action, error });
  }

  // Likes, deletion

  protected async toggleLike(object: CaasObject): Promise<void> {
    const client = this.boundClient;
    if (!client || this.busyLikes.has(object.id)) return;
    const liked = !object.liked;
    this.busyLikes = new Set([...this.busyLikes, object.id]);
    this.objects = replaceObject(this.objects, withLike(object, liked));
    try {
      const now = await client.objects.setLiked(object.id, liked);
      this.objects = replaceObject(this.objects, now);
      this.emit<FeedLikeDetail>('caas-like', { object: now, liked: now.liked });
    } catch (error) {
      const current = this.objects.find((o) => o.id === object.id);
      if (current) this.objects = replaceObject(this.objects, withLike(current, !liked));
      this.fail(liked ? 'objects.like' : 'objects.unlike', error);
    } finally {
      const busy = new Set(this.busyLikes);
      busy.delete(object.id);
      this.busyLikes = busy;
    }
  }

  protected async deleteObject(object: CaasObject): Promise<void> {
    if (this.confirmDelete !== object.id) {
      this.confirmDelete = object.id;
      return;
    }
    this.confirmDelete = undefined;
    const client = this.boundClient;
    if (!client) return;
    try {
      await client.objects.delete(object.id);
      this.objects = this.objects.filter((o) => o.id !== object.id);
      if (this.comments?.objectId === object.id) this.comments = undefined;
      this.emit<FeedDeleteDetail>('caas-delete', { objectId: object.id });
    } catch (error) {
      this.fail('objects.delete', error);
    }
  }

  // Comments

  protected openRing(ring: StoryRing): void {
    this.viewerOpener = undefined;
    this.viewer = { owner: ring.owner_id, index: firstUnseen(ring) };
    this.focusViewer = true;
    this.showCurrentStory();
  }

  /** Records the view of the story shown, once (not for one's own). */
  protected showCurrentStory(): void {
    const at = storyAt(this.rings, this.viewer);
    const client = this.boundClient;
    if (!at || !client) return;
    const { story } = at;
    if (story.viewed || story.owner_id === this.me) {
      this.emit<FeedStoryViewDetail>('caas-story-view', { story, counted: false });
      return;
    }
    this.rings = markStoryViewed(this.rings, story.id, this.me);
    client.objects.view(story.id).then(
      (counted) => this.emit<FeedStoryViewDetail>('caas-story-view', { story: { ...story, viewed: true }, counted }),
      (error: unknown) => this.fail('objects.view', error),
    );
  }

  protected nextStory(): void {
    const v = this.viewer;
    const at = storyAt(this.rings, v);
    if (!v || !at) return;
    if (v.index + 1 < at.ring.stories.length) {
      this.viewer = { owner: v.owner, index: v.index + 1 };
    } else {
      const i = this.rings.findIndex((r) => r.owner_id === v.owner);
      const next = this.rings[i + 1];
      if (!next) {
        this.closeViewer();
        return;
      }
      this.viewer = { owner: next.owner_id, index: firstUnseen(next) };
    }
    this.showCurrentStory();
  }

  protected previousStory(): void {
    const v = this.viewer;
    if (!v) return;
    if (v.index > 0) {
      this.viewer = { owner: v.owner, index: v.index - 1 };
    } else {
      const i = this.rings.findIndex((r) => r.owner_id === v.owner);
      const prev = i > 0 ? this.rings[i - 1] : undefined;
      if (!prev) return;
      this.viewer = { owner: prev.owner_id, index: prev.stories.length - 1 };
    }
    this.showCurrentStory();
  }

  protected closeViewer(): void {
    this.viewerOpener = this.viewer?.owner;
    this.viewer = undefined;
    // Rings seen just now move behind the unseen ones, once the viewer is closed.
    this.rings = sortRings(this.rings, this.me);
  }

  // Composer
}
