/**
 * How `<caas-feed>` shows a post or reel: owner, time, visibility, text,
 * media (images and videos from `/v1/files/{id}` with the token), the like
 * and comments buttons and, when open, the comments panel (threaded one
 * level).
 *
 * @packageDocumentation
 */

import { html, nothing, type TemplateResult } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import { live } from 'lit/directives/live.js';

import type { FilesApi } from '../../files/files.js';
import type { CaasObject, ObjectComment } from '../../feed/objects.js';
import { initials } from '../call/logic.js';
import { FEED_IMAGE_MAX, VISIBILITY_LABELS, commentsText, kindLabel, likesText, mediaKind } from './logic.js';
import { fitWithin } from '../shared/attachments.js';
import { shortTime } from '../shared/format.js';

/** The open comments panel: its comments, replies and composer. */
export interface CommentsState {
  /** The object whose comments show. */
  objectId: string;
  /** Top-level comments, oldest first. */
  comments: ObjectComment[];
  /** More top-level comments can load. */
  hasMore: boolean;
  /** A page of comments is loading. */
  loading: boolean;
  /** Replies loaded, by top-level comment id. */
  replies: ReadonlyMap<string, ObjectComment[]>;
  /** Top-level comments whose replies show. */
  openReplies: ReadonlySet<string>;
  /** The comment the composer answers, if any. */
  replyTo: ObjectComment | undefined;
  /** The composer's text. */
  draft: string;
  /** A comment is being sent. */
  sending: boolean;
}

/** What the posts show, and what their buttons do. */
export interface PostView {
  /** The reader. */
  me: string | undefined;
  /** File URLs of media. */
  files: FilesApi | undefined;
  /** Objects with a like request in flight (their button is disabled). */
  busyLikes: ReadonlySet<string>;
  /** The object whose Delete asks for confirmation. */
  confirmDelete: string | undefined;
  /** The open comments panel, if any. */
  comments: CommentsState | undefined;
  toggleLike(object: CaasObject): void;
  toggleComments(object: CaasObject): void;
  deleteObject(object: CaasObject): void;
  cancelDelete(): void;
  openProfile(userId: string): void;
  loadMoreComments(): void;
  toggleReplies(comment: ObjectComment): void;
  startReply(comment: ObjectComment): void;
  cancelReply(): void;
  deleteComment(comment: ObjectComment): void;
  commentInput(text: string): void;
  submitComment(): void;
}

/** The id of an object's comments panel, for `aria-controls`. */
export function commentsPanelId(objectId: string): string {
  return `comments-${objectId}`;
}

/** A post or reel. */
export function renderPost(view: PostView, o: CaasObject): TemplateResult {
  const own = o.owner_id === view.me;
  const open = view.comments?.objectId === o.id;
  const text = o.payload.text ?? '';
  return html`<article
    class="post"
    data-testid="feed-item"
    data-object-id=${o.id}
    data-kind=${o.kind}
    data-owner=${o.owner_id}
    data-own=${own ? 'true' : 'false'}
    aria-label=${`${kindLabel(o.kind)} by ${o.owner_id}`}
  >
    <header>
      ${renderOwner(view, o.owner_id)}
      <span aria-hidden="true">·</span>
      <time datetime=${o.created_at} title=${new Date(o.created_at).toLocaleString()}>${shortTime(o.created_at)}</time>
      <span aria-hidden="true">·</span>
      <span data-testid="feed-visibility" title="Who can see it">${VISIBILITY_LABELS[o.visibility] ?? o.visibility}</span>
      ${o.kind === 'reel' ? html`<span aria-hidden="true">·</span><span>Reel</span>` : nothing}
    </header>
    ${text ? html`<div class="text" data-testid="feed-text">${text}</div>` : nothing}
    ${renderMedia(view.files, o)}
    <div class="actions">
      <button
        type="button"
        class="like"
        data-testid="like-button"
        aria-pressed=${o.liked ? 'true' : 'false'}
        aria-label=${`Like, ${likesText(o.stats.likes)}`}
        ?disabled=${view.busyLikes.has(o.id)}
        @click=${() => view.toggleLike(o)}
      >
        <span aria-hidden="true">${o.liked ? '♥' : '♡'}</span> <span data-testid="like-count">${o.stats.likes}</span>
      </button>
      <button
        type="button"
        data-testid="comments-button"
        aria-expanded=${open ? 'true' : 'false'}
        aria-controls=${ifDefined(open ? commentsPanelId(o.id) : undefined)}
        aria-label=${`Comments, ${commentsText(o.stats.comments)}`}
        @click=${() => view.toggleComments(o)}
      >
        <svg class="icon" viewBox="0 0 24 24" width="15" height="15" aria-hidden="true" focusable="false">
          <path d="M4 5.5h16v10H10l-4.5 3.5v-3.5H4z" fill="none" stroke="currentColor" stroke-width="1.7" stroke-linejoin="round" /></svg
        ><span data-testid="comment-count">${o.stats.comments}</span>
      </button>
      ${o.kind !== 'post' && o.stats.views > 0
        ? html`<span class="muted" data-testid="view-count">${o.stats.views === 1 ? '1 view' : `${o.stats.views} views`}</span>`
        : nothing}
      <span class="spacer"></span>
      ${own
        ? view.confirmDelete === o.id
          ? html`<button type="button" class="danger" data-testid="delete-confirm" @click=${() => view.deleteObject(o)}>Delete for good</button>
              <button type="button" @click=${() => view.cancelDelete()}>Keep</button>`
          : html`<button type="button" data-testid="delete-button" @click=${() => view.deleteObject(o)}>Delete</button>`
        : nothing}
    </div>
    ${open && view.comments ? renderComments(view, view.comments, o) : nothing}
  </article>`;
}

/** The owner's avatar and id, a button that asks for their profile. */
export function renderOwner(view: Pick<PostView, 'openProfile' | 'me'>, userId: string): TemplateResult {
  return html`<button type="button" class="owner" data-testid="feed-owner" data-user-id=${userId} @click=${() => view.openProfile(userId)}>
    <span class="avatar" aria-hidden="true">${initials(userId)}</span>${userId === view.me ? 'You' : userId}
  </button>`;
}

/** An object's images (from the file itself, sized before they load) and videos (with controls). */
export function renderMedia(files: FilesApi | undefined, o: CaasObject): TemplateResult | typeof nothing {
  const media = o.payload.media ?? [];
  if (!files || media.length === 0) return nothing;
  const max = media.length === 1 ? FEED_IMAGE_MAX : Math.round(FEED_IMAGE_MAX / 2);
  return html`<div class="media" data-testid="feed-media">
    ${media.map((m) => {
      const url = files.url(m.id);
      switch (mediaKind(m)) {
        case 'image': {
          const size = m.width !== undefined && m.height !== undefined ? fitWithin(m.width, m.height, max) : undefined;
          return html`<img
            data-testid="feed-image"
            data-file-id=${m.id}
            src=${url}
            alt=${m.name}
            width=${ifDefined(size?.width)}
            height=${ifDefined(size?.height)}
            loading="lazy"
            decoding="async"
          />`;
        }
        case 'video':
          return html`<video data-testid="feed-video" data-file-id=${m.id} src=${url} controls playsinline preload="metadata" width=${max}></video>`;
        default:
          return html`<a href=${url} target="_blank" rel="noopener noreferrer" data-file-id=${m.id}>${m.name}</a>`;
      }
    })}
  </div>`;
}

/** The comments panel of `o`: top-level comments with their replies, and the composer. */
function renderComments(view: PostView, state: CommentsState, o: CaasObject): TemplateResult {
  const canDelete = (c: ObjectComment): boolean => !c.deleted && (c.author_id === view.me || o.owner_id === view.me);
  const item = (c: ObjectComment, top: boolean): TemplateResult => {
    const replies = state.replies.get(c.id) ?? [];
    const showReplies = top && state.openReplies.has(c.id);
    return html`<li
      class="comment ${c.deleted ? 'deleted' : ''}"
      data-testid="comment"
      data-comment-id=${c.id}
      data-parent-id=${ifDefined(c.parent_id ?? undefined)}
      data-author=${c.author_id}
    >
      <div class="body">
        <span class="author">${c.author_id === view.me ? 'You' : c.author_id}</span><span data-testid="comment-text"
          >${c.deleted ? 'Comment deleted' : c.text}</span
        >
      </div>
      <div class="meta">
        <time datetime=${c.created_at}>${shortTime(c.created_at)}</time>
        ${c.deleted ? nothing : html`<button type="button" data-testid="comment-reply" @click=${() => view.startReply(c)}>Reply</button>`}
        ${canDelete(c) ? html`<button type="button" data-testid="comment-delete" @click=${() => view.deleteComment(c)}>Delete</button>` : nothing}
        ${top && c.reply_count > 0
          ? html`<button
              type="button"
              data-testid="comment-replies-button"
              aria-expanded=${showReplies ? 'true' : 'false'}
              @click=${() => view.toggleReplies(c)}
            >
              ${showReplies ? 'Hide replies' : c.reply_count === 1 ? 'View 1 reply' : `View ${c.reply_count} replies`}
            </button>`
          : nothing}
      </div>
      ${showReplies ? html`<ul aria-label=${`Replies to ${c.author_id}`}>${replies.map((r) => item(r, false))}</ul>` : nothing}
    </li>`;
  };
  return html`<section class="comments" id=${commentsPanelId(o.id)} data-testid="comments-panel" aria-label="Comments">
    ${state.comments.length === 0 && !state.loading && !state.hasMore
      ? html`<p class="muted" data-testid="comments-empty">No comments yet.</p>`
      : nothing}
    <ul>${state.comments.map((c) => item(c, true))}</ul>
    ${state.loading ? html`<p class="muted" role="status">Loading comments…</p>` : nothing}
    ${state.hasMore && !state.loading
      ? html`<button type="button" class="more" data-testid="comments-more" @click=${() => view.loadMoreComments()}>Load more comments</button>`
      : nothing}
    ${state.replyTo
      ? html`<div class="replying" data-testid="comment-replying">
          Replying to ${state.replyTo.author_id}
          <button type="button" aria-label="Cancel the reply" @click=${() => view.cancelReply()}>✕</button>
        </div>`
      : nothing}
    <form
      class="comment-form"
      @submit=${(e: Event) => {
        e.preventDefault();
        view.submitComment();
      }}
    >
      <input
        data-testid="comment-input"
        aria-label=${state.replyTo ? `Reply to ${state.replyTo.author_id}` : 'Add a comment'}
        placeholder=${state.replyTo ? `Reply to ${state.replyTo.author_id}…` : 'Add a comment…'}
        maxlength="2000"
        .value=${live(state.draft)}
        @input=${(e: Event) => view.commentInput((e.target as HTMLInputElement).value)}
        @keydown=${(e: KeyboardEvent) => {
          if (e.key === 'Escape' && state.replyTo) {
            e.stopPropagation();
            view.cancelReply();
          }
        }}
      />
      <button type="submit" class="primary" data-testid="comment-submit" ?disabled=${state.sending || state.draft.trim() === ''}>
        ${state.replyTo ? 'Reply' : 'Comment'}
      </button>
    </form>
  </section>`;
}
