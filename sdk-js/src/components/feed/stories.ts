/**
 * How `<caas-feed>` shows stories: the strip of rings (unseen ones with a
 * coloured ring) and the viewer, a modal dialog that plays one user's stories
 * with Previous / Next (and the arrow keys) and records each view.
 *
 * @packageDocumentation
 */

import { html, nothing, type TemplateResult } from 'lit';

import type { FilesApi } from '../../files/files.js';
import type { CaasObject, StoryRing } from '../../feed/objects.js';
import { initials } from '../call/logic.js';
import { mediaKind } from './logic.js';
import { shortTime } from '../shared/format.js';

/** The story open in the viewer: whose ring, and which story of it. */
export interface StoryPosition {
  /** The ring's owner. */
  owner: string;
  /** The story's index in the ring. */
  index: number;
}

/** What the strip and viewer show, and what their buttons do. */
export interface StoriesView {
  /** The reader. */
  me: string | undefined;
  /** File URLs of media. */
  files: FilesApi | undefined;
  /** The rings, in strip order. */
  rings: readonly StoryRing[];
  /** The story open in the viewer. */
  viewer: StoryPosition | undefined;
  openRing(ring: StoryRing): void;
  next(): void;
  previous(): void;
  close(): void;
}

/** The strip of rings; nothing when there are none. */
export function renderStrip(view: StoriesView): TemplateResult | typeof nothing {
  if (view.rings.length === 0) return nothing;
  return html`<ul class="stories" data-testid="stories-strip" aria-label="Stories">
    ${view.rings.map((ring) => {
      const name = ring.owner_id === view.me ? 'Your story' : ring.owner_id;
      const unseen = ring.stories.filter((s) => !s.viewed).length;
      const label = ring.owner_id === view.me || ring.all_seen ? `${name}, ${ring.stories.length} stories` : `${name}, ${unseen} new`;
      return html`<li>
        <button
          type="button"
          class="ring"
          data-testid="story-ring"
          data-owner=${ring.owner_id}
          data-seen=${ring.all_seen ? 'true' : 'false'}
          aria-label=${label}
          aria-haspopup="dialog"
          @click=${() => view.openRing(ring)}
        >
          <span class="avatar" aria-hidden="true"><span>${initials(ring.owner_id)}</span></span>
          <span class="name">${name}</span>
        </button>
      </li>`;
    })}
  </ul>`;
}

/** The story of `position`, if its ring and index exist. */
export function storyAt(rings: readonly StoryRing[], position: StoryPosition | undefined): { ring: StoryRing; story: CaasObject } | undefined {
  if (!position) return undefined;
  const ring = rings.find((r) => r.owner_id === position.owner);
  const story = ring?.stories[position.index];
  return ring && story ? { ring, story } : undefined;
}

/** The viewer dialog; nothing when closed. */
export function renderViewer(view: StoriesView): TemplateResult | typeof nothing {
  const at = storyAt(view.rings, view.viewer);
  if (!at || !view.viewer) return nothing;
  const { ring, story } = at;
  const index = view.viewer.index;
  const media = story.payload.media?.[0];
  const text = story.payload.text ?? '';
  const owner = ring.owner_id === view.me ? 'Your story' : ring.owner_id;
  const onKey = (e: KeyboardEvent): void => {
    if (e.key === 'Escape') view.close();
    else if (e.key === 'ArrowRight') view.next();
    else if (e.key === 'ArrowLeft') view.previous();
    else return;
    e.preventDefault();
    e.stopPropagation();
  };
  let content: TemplateResult;
  if (media && view.files && mediaKind(media) === 'image') {
    content = html`<img data-testid="story-image" data-file-id=${media.id} src=${view.files.url(media.id)} alt=${text || media.name} />`;
  } else if (media && view.files && mediaKind(media) === 'video') {
    content = html`<video data-testid="story-video" data-file-id=${media.id} src=${view.files.url(media.id)} autoplay muted playsinline controls></video>`;
  } else {
    content = html`<p class="story-text" data-testid="story-text">${text}</p>`;
  }
  return html`<div
    class="backdrop"
    @click=${(e: MouseEvent) => {
      if (e.target === e.currentTarget) view.close();
    }}
  >
    <div
      class="viewer"
      role="dialog"
      aria-modal="true"
      aria-label=${`Story by ${ring.owner_id}, ${index + 1} of ${ring.stories.length}`}
      tabindex="-1"
      data-testid="story-viewer"
      data-owner=${ring.owner_id}
      data-story-id=${story.id}
      @keydown=${onKey}
    >
      <div class="bars" aria-hidden="true">
        ${ring.stories.map((_, i) => html`<span class=${i <= index ? 'done' : ''}></span>`)}
      </div>
      <div class="head">
        <strong>${owner}</strong>
        <time datetime=${story.created_at}>${shortTime(story.created_at)}</time>
        <button type="button" data-testid="story-close" aria-label="Close the story" @click=${() => view.close()}>✕</button>
      </div>
      <div class="content">
        ${content}
        ${media && text ? html`<p class="caption" data-testid="story-caption">${text}</p>` : nothing}
      </div>
      <div class="nav">
        <button type="button" data-testid="story-prev" aria-label="Previous story" @click=${() => view.previous()}>‹ Previous</button>
        <span>${index + 1} / ${ring.stories.length}</span>
        <button type="button" data-testid="story-next" aria-label="Next story" @click=${() => view.next()}>Next ›</button>
      </div>
    </div>
  </div>`;
}
