/**
 * `<caas-feed>`: the stories strip and an infinite list of posts and reels —
 * the home feed, explore, or one user's profile — with likes, comments and a
 * composer.
 *
 * @packageDocumentation
 */

import { html, nothing, type TemplateResult } from 'lit';
import { live } from 'lit/directives/live.js';

import type { CaasObject, ObjectComment, ObjectKind, Visibility } from '../../feed/objects.js';
import type { ActionErrorDetail } from '../shared/events.js';
import { errorText, formatBytes } from '../shared/format.js';
import { baseStyles } from '../shared/styles.js';
import {
  addStory,
  COMPOSER_VISIBILITIES,
  composerProblem,
  FEED_MODES,
  type FeedMode,
  KIND_LABELS,
  mediaKind,
  mergeComments,
  ofKinds,
  prependObject,
  replaceObject,
  showsOwnObject,
  VISIBILITY_LABELS,
  withComments,
} from './logic.js';
import { type CommentsState, type PostView, renderPost } from './post.js';
import {
  type FeedCommentDetail,
  type FeedDeleteDetail,
  type FeedLikeDetail,
  type FeedPostDetail,
  type FeedProfileDetail,
  FeedState,
  type FeedStoryViewDetail,
} from './state.js';
import { renderStrip, renderViewer, type StoriesView } from './stories.js';
import { feedStyles } from './styles.js';

/**
 * `<caas-feed>`: a stories strip on top (home and profile modes), then posts
 * and reels that load page by page as the list scrolls, each with its media,
 * a like button with its count and a comments panel; a composer above creates
 * posts, stories and reels (text, and images or videos uploaded with
 * `client.files`) with a visibility.
 *
 * - `mode="home"` (default): `GET /v1/feed`, the people the user follows and
 *   their own; `explore`: public objects (`sort` `recent` or `popular`);
 *   `profile` with `user-id`: that user's objects (`GET /v1/objects?owner=`).
 * - Stories: rings of the people the user follows (their own first, unseen
 *   before seen); a ring opens a viewer that records each story it shows
 *   (`POST /v1/objects/{id}/views`).
 * - Likes are optimistic; comments show oldest first with one level of
 *   replies.
 *
 * @fires caas-post - `CustomEvent<FeedPostDetail>` after the composer created an object.
 * @fires caas-like - `CustomEvent<FeedLikeDetail>` after a like or unlike.
 * @fires caas-comment - `CustomEvent<FeedCommentDetail>` after a comment or reply.
 * @fires caas-story-view - `CustomEvent<FeedStoryViewDetail>` when the viewer shows a story.
 * @fires caas-profile - `CustomEvent<FeedProfileDetail>` when a user's name is chosen.
 * @fires caas-delete - `CustomEvent<FeedDeleteDetail>` after the user deleted an object.
 * @fires caas-error - `CustomEvent<ActionErrorDetail>` when an op fails (the feed shows it too).
 *
 * @csspart header - the title bar.
 * @csspart stories - the stories strip.
 * @csspart composer - the composer.
 * @csspart list - the list of posts.
 */
export class CaasFeed extends FeedState {
  static override styles = [baseStyles, feedStyles];

  private toggleComments(object: CaasObject): void {
    if (this.comments?.objectId === object.id) {
      this.comments = undefined;
      return;
    }
    this.comments = {
      objectId: object.id,
      comments: [],
      hasMore: true,
      loading: false,
      replies: new Map(),
      openReplies: new Set(),
      replyTo: undefined,
      draft: '',
      sending: false,
    };
    this.focusCommentInput = true;
    void this.loadComments();
  }

  private patchComments(objectId: string, patch: Partial<CommentsState>): void {
    if (this.comments?.objectId === objectId) this.comments = { ...this.comments, ...patch };
  }

  private cursors = new Map<string, string | undefined>();

  private async loadComments(): Promise<void> {
    const client = this.boundClient;
    const state = this.comments;
    if (!client || !state || state.loading || !state.hasMore) return;
    const id = state.objectId;
    const cursor = state.comments.length === 0 ? undefined : this.cursors.get(id);
    this.patchComments(id, { loading: true });
    try {
      const page = await client.objects.comments(id, { limit: 20, ...(cursor === undefined ? {} : { cursor }) });
      this.cursors.set(id, page.nextCursor);
      const now = this.comments;
      if (now?.objectId === id) {
        this.comments = { ...now, comments: mergeComments(now.comments, page.comments), hasMore: page.nextCursor !== undefined, loading: false };
      }
    } catch (error) {
      this.patchComments(id, { loading: false, hasMore: false });
      this.fail('objects.comments', error);
    }
  }

  private async toggleReplies(comment: ObjectComment): Promise<void> {
    const state = this.comments;
    const client = this.boundClient;
    if (!state || !client) return;
    const open = new Set(state.openReplies);
    if (open.has(comment.id)) {
      open.delete(comment.id);
      this.patchComments(state.objectId, { openReplies: open });
      return;
    }
    open.add(comment.id);
    this.patchComments(state.objectId, { openReplies: open });
    try {
      const all: ObjectComment[] = [];
      for await (const r of client.objects.commentsPager(state.objectId, { parentId: comment.id, limit: 100 })) all.push(r);
      const now = this.comments;
      if (now?.objectId !== state.objectId) return;
      const replies = new Map(now.replies);
      replies.set(comment.id, mergeComments(replies.get(comment.id) ?? [], all));
      this.comments = { ...now, replies };
    } catch (error) {
      this.fail('objects.comments', error);
    }
  }

  private async submitComment(): Promise<void> {
    const client = this.boundClient;
    const state = this.comments;
    if (!client || !state || state.sending) return;
    const text = state.draft.trim();
    if (text === '') return;
    const id = state.objectId;
    // Threads are one level deep: a reply to a reply answers its top-level comment.
    const parentId = state.replyTo ? (state.replyTo.parent_id ?? state.replyTo.id) : undefined;
    this.patchComments(id, { sending: true });
    try {
      const comment = await client.objects.comment(id, text, parentId === undefined ? {} : { parentId });
      const now = this.comments;
      if (now?.objectId === id) {
        if (parentId === undefined) {
          this.comments = { ...now, comments: mergeComments(now.comments, [comment]), draft: '', replyTo: undefined, sending: false };
        } else {
          const replies = new Map(now.replies);
          replies.set(parentId, mergeComments(replies.get(parentId) ?? [], [comment]));
          const comments = now.comments.map((c) => (c.id === parentId ? { ...c, reply_count: c.reply_count + 1 } : c));
          const openReplies = new Set(now.openReplies).add(parentId);
          this.comments = { ...now, comments, replies, openReplies, draft: '', replyTo: undefined, sending: false };
        }
      }
      const object = this.objects.find((o) => o.id === id);
      if (object) {
        const bumped = withComments(object, 1);
        this.objects = replaceObject(this.objects, bumped);
        this.emit<FeedCommentDetail>('caas-comment', { object: bumped, comment });
      }
    } catch (error) {
      this.patchComments(id, { sending: false });
      this.fail('objects.comment', error);
    }
  }

  private async deleteComment(comment: ObjectComment): Promise<void> {
    const client = this.boundClient;
    if (!client) return;
    try {
      await client.objects.deleteComment(comment.object_id, comment.id);
      const gone = { ...comment, deleted: true, text: '' };
      const now = this.comments;
      if (now?.objectId === comment.object_id) {
        const replies = new Map(now.replies);
        if (comment.parent_id) replies.set(comment.parent_id, (replies.get(comment.parent_id) ?? []).map((c) => (c.id === comment.id ? gone : c)));
        this.comments = { ...now, comments: now.comments.map((c) => (c.id === comment.id ? gone : c)), replies };
      }
    } catch (error) {
      this.fail('objects.deleteComment', error);
    }
  }

  // Stories

  private chooseFiles(list: FileList | null): void {
    if (!list) return;
    const added = [...list].map((file) => ({
      key: ++this.fileKey,
      file,
      preview: mediaKind({ content_type: file.type }) === 'image' && typeof URL.createObjectURL === 'function' ? URL.createObjectURL(file) : undefined,
    }));
    this.draftFiles = [...this.draftFiles, ...added];
    this.composerError = undefined;
  }

  private removeFile(key: number): void {
    const f = this.draftFiles.find((x) => x.key === key);
    if (f?.preview) URL.revokeObjectURL(f.preview);
    this.draftFiles = this.draftFiles.filter((x) => x.key !== key);
  }

  private async submitPost(): Promise<void> {
    const client = this.boundClient;
    if (!client || this.posting) return;
    const kind = this.draftKind;
    const text = this.draftText.trim();
    const files = this.draftFiles.map((f) => f.file);
    const problem = composerProblem(kind, text, files);
    if (problem) {
      this.composerError = problem;
      return;
    }
    this.posting = true;
    this.composerError = undefined;
    this.progress = files.length > 0 ? 0 : undefined;
    const controller = new AbortController();
    this.uploadController = controller;
    try {
      const object = await client.objects.create(
        { kind, visibility: this.draftVisibility, ...(text === '' ? {} : { text }), files },
        { signal: controller.signal, onProgress: (sent, total) => (this.progress = total > 0 ? sent / total : 1) },
      );
      for (const f of this.draftFiles) if (f.preview) URL.revokeObjectURL(f.preview);
      this.draftFiles = [];
      this.draftText = '';
      if (object.kind === 'story') {
        if (this.showsStories() && (this.mode === 'home' || this.userId === object.owner_id)) this.rings = addStory(this.rings, object, this.me);
      } else if (showsOwnObject(this.mode, object, this.me, this.userId) && ofKinds([object], this.kinds).length > 0) {
        this.objects = prependObject(this.objects, object);
      }
      this.emit<FeedPostDetail>('caas-post', { object });
    } catch (error) {
      this.composerError = errorText(error);
      this.emit<ActionErrorDetail>('caas-error', { action: 'objects.create', error });
    } finally {
      if (this.uploadController === controller) this.uploadController = undefined;
      this.posting = false;
      this.progress = undefined;
    }
  }

  private showsComposer(): boolean {
    if (this.noComposer) return false;
    if (this.mode === 'home') return true;
    return this.mode === 'profile' && this.userId !== undefined && this.userId === this.me;
  }

  // Rendering

  protected override render(): TemplateResult {
    const files = this.boundClient?.files;
    const me = this.me;
    const postView: PostView = {
      me,
      files,
      busyLikes: this.busyLikes,
      confirmDelete: this.confirmDelete,
      comments: this.comments,
      toggleLike: (o) => void this.toggleLike(o),
      toggleComments: (o) => this.toggleComments(o),
      deleteObject: (o) => void this.deleteObject(o),
      cancelDelete: () => (this.confirmDelete = undefined),
      openProfile: (userId) => this.emit<FeedProfileDetail>('caas-profile', { userId }),
      loadMoreComments: () => void this.loadComments(),
      toggleReplies: (c) => void this.toggleReplies(c),
      startReply: (c) => {
        if (this.comments) this.comments = { ...this.comments, replyTo: c };
        this.focusCommentInput = true;
      },
      cancelReply: () => {
        if (this.comments) this.comments = { ...this.comments, replyTo: undefined };
      },
      deleteComment: (c) => void this.deleteComment(c),
      commentInput: (text) => {
        if (this.comments) this.comments = { ...this.comments, draft: text };
      },
      submitComment: () => void this.submitComment(),
    };
    const storiesView: StoriesView = {
      me,
      files,
      rings: this.rings,
      viewer: this.viewer,
      openRing: (ring) => this.openRing(ring),
      next: () => this.nextStory(),
      previous: () => this.previousStory(),
      close: () => this.closeViewer(),
    };
    const empty = this.loaded && !this.loading && !this.hasMore && this.objects.length === 0;
    return html`<div class="column">
      <header class="top" part="header">
        <h2 data-testid="feed-title">${this.heading()}</h2>
        ${this.mode === 'explore'
          ? html`<div role="tablist" aria-label="Order">
              ${(['recent', 'popular'] as const).map(
                (s) => html`<button
                  type="button"
                  role="tab"
                  data-testid=${`feed-sort-${s}`}
                  aria-selected=${this.sort === s ? 'true' : 'false'}
                  @click=${() => (this.sort = s)}
                >
                  ${s === 'recent' ? 'Recent' : 'Popular'}
                </button>`,
              )}
            </div>`
          : nothing}
        <button type="button" data-testid="feed-refresh" aria-label="Refresh" title="Refresh" @click=${() => this.reload()}>⟳</button>
      </header>
      ${this.error
        ? html`<div class="error alert" role="alert" data-testid="feed-error">
            <span>${this.error}</span>
            <button type="button" @click=${() => (this.error = undefined)}>Dismiss</button>
            ${this.loaded ? nothing : html`<button type="button" @click=${() => this.reload()}>Retry</button>`}
          </div>`
        : nothing}
      ${this.showsStories() ? html`<div part="stories">${renderStrip(storiesView)}</div>` : nothing}
      ${this.showsComposer() ? this.renderComposer() : nothing}
      ${this.mode === 'profile' && !this.userId ? html`<p class="placeholder">Choose a user.</p>` : nothing}
      <div class="posts" part="list" role="feed" aria-busy=${this.loading ? 'true' : 'false'} aria-label="Posts" data-testid="feed-list">
        ${this.objects.map((o) => renderPost(postView, o))}
      </div>
      ${this.loading ? html`<p class="placeholder" role="status">Loading…</p>` : nothing}
      ${empty ? html`<p class="placeholder" data-testid="feed-empty">${this.emptyText()}</p>` : nothing}
      ${this.hasMore && this.loaded && !this.loading
        ? html`<button type="button" class="more" data-testid="feed-more" @click=${() => this.loadMore()}>Load more</button>`
        : nothing}
      ${this.hasMore ? html`<div class="sentinel" data-testid="feed-sentinel" aria-hidden="true"></div>` : nothing}
    </div>
    ${renderViewer(storiesView)}`;
  }

  private heading(): string {
    if (this.mode === 'explore') return 'Explore';
    if (this.mode === 'profile') return this.userId ? (this.userId === this.me ? 'Your posts' : this.userId) : 'Profile';
    return 'Home';
  }

  private emptyText(): string {
    if (this.mode === 'explore') return 'Nothing public yet.';
    if (this.mode === 'profile') return 'No posts yet.';
    return 'No posts yet. Follow people, or write the first post.';
  }

  private renderComposer(): TemplateResult {
    const kind = this.draftKind;
    const submit = kind === 'story' ? 'Share story' : kind === 'reel' ? 'Post reel' : 'Post';
    return html`<form
      class="composer"
      part="composer"
      data-testid="feed-composer"
      aria-label="New post"
      @submit=${(e: Event) => {
        e.preventDefault();
        void this.submitPost();
      }}
    >
      <textarea
        data-testid="composer-text"
        aria-label=${kind === 'story' ? 'Story text' : kind === 'reel' ? 'Caption' : 'What’s new?'}
        placeholder=${kind === 'story' ? 'Text for your story (optional with a photo)' : 'What’s new?'}
        maxlength="5000"
        .value=${live(this.draftText)}
        ?disabled=${this.posting}
        @input=${(e: Event) => {
          this.draftText = (e.target as HTMLTextAreaElement).value;
          this.composerError = undefined;
        }}
        @keydown=${(e: KeyboardEvent) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            void this.submitPost();
          }
        }}
      ></textarea>
      ${this.draftFiles.length > 0
        ? html`<ul class="chosen" data-testid="composer-files" aria-label="Attached">
            ${this.draftFiles.map(
              (f) => html`<li data-testid="composer-file" title=${`${f.file.name} (${formatBytes(f.file.size)})`}>
                ${f.preview ? html`<img src=${f.preview} alt=${f.file.name} />` : html`<span>▶ ${f.file.name}</span>`}
                <button type="button" data-testid="composer-remove" aria-label=${`Remove ${f.file.name}`} ?disabled=${this.posting} @click=${() => this.removeFile(f.key)}>
                  ✕
                </button>
              </li>`,
            )}
          </ul>`
        : nothing}
      <div class="row">
        <button
          type="button"
          data-testid="composer-attach"
          ?disabled=${this.posting}
          @click=${() => this.renderRoot.querySelector<HTMLInputElement>('[data-testid="composer-input"]')?.click()}
        >
          <svg class="icon" viewBox="0 0 24 24" width="15" height="15" aria-hidden="true" focusable="false">
            <path d="M3.5 7h4l1.5-2h6l1.5 2h4v12h-17z" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linejoin="round" />
            <circle cx="12" cy="13" r="3.5" fill="none" stroke="currentColor" stroke-width="1.6" /></svg
          >Photo or video
        </button>
        <input
          type="file"
          hidden
          multiple
          accept="image/*,video/*"
          data-testid="composer-input"
          @change=${(e: Event) => {
            const input = e.target as HTMLInputElement;
            this.chooseFiles(input.files);
            input.value = '';
          }}
        />
        <label
          >Kind
          <select
            data-testid="composer-kind"
            .value=${live(kind)}
            ?disabled=${this.posting}
            @change=${(e: Event) => (this.draftKind = (e.target as HTMLSelectElement).value as ObjectKind)}
          >
            ${(['post', 'story', 'reel'] as const).map((k) => html`<option value=${k} ?selected=${k === kind}>${KIND_LABELS[k]}</option>`)}
          </select></label
        >
        <label
          >Audience
          <select
            data-testid="composer-visibility"
            .value=${live(this.draftVisibility)}
            ?disabled=${this.posting}
            @change=${(e: Event) => (this.draftVisibility = (e.target as HTMLSelectElement).value as Visibility)}
          >
            ${COMPOSER_VISIBILITIES.map(
              (v) => html`<option value=${v} ?selected=${v === this.draftVisibility}>${VISIBILITY_LABELS[v]}</option>`,
            )}
          </select></label
        >
        <span class="spacer"></span>
        <button type="submit" class="primary" data-testid="composer-submit" ?disabled=${this.posting}>${this.posting ? 'Posting…' : submit}</button>
      </div>
      ${this.progress !== undefined
        ? html`<progress data-testid="composer-progress" max="1" .value=${this.progress} aria-label="Upload"></progress>`
        : nothing}
      ${this.composerError ? html`<div class="error" role="alert" data-testid="composer-error">${this.composerError}</div>` : nothing}
    </form>`;
  }
}

/** Whether `value` is a feed mode. */
export function isFeedMode(value: unknown): value is FeedMode {
  return typeof value === 'string' && (FEED_MODES as readonly string[]).includes(value);
}

declare global {
  interface HTMLElementTagNameMap {
    'caas-feed': CaasFeed;
  }
  interface HTMLElementEventMap {
    'caas-post': CustomEvent<FeedPostDetail>;
    'caas-like': CustomEvent<FeedLikeDetail>;
    'caas-comment': CustomEvent<FeedCommentDetail>;
    'caas-story-view': CustomEvent<FeedStoryViewDetail>;
    'caas-profile': CustomEvent<FeedProfileDetail>;
    'caas-delete': CustomEvent<FeedDeleteDetail>;
  }
}
