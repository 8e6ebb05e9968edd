/**
 * The card `<caas-chat-window>` shows for a message whose `payload.object` is
 * set (an object shared into the chat with `POST /v1/objects/{id}/share`):
 * its kind and owner and, for posts, an excerpt of the text fetched lazily
 * with `GET /v1/objects/{id}` — or "not available" when the reader may not
 * see it (404).
 *
 * @packageDocumentation
 */

import { css, html, nothing, type TemplateResult } from 'lit';

import type { CaasClient } from '../../client/client.js';
import type { FilesApi } from '../../files/files.js';
import type { CaasObject, ObjectRef } from '../../feed/objects.js';
import { RequestError } from '../../core/errors.js';
import { kindLabel, mediaKind, objectExcerpt } from '../feed/logic.js';
import { errorText } from '../shared/format.js';

/** Where the preview of a shared object stands. */
export type ObjectPreview =
  | { state: 'loading' }
  | { state: 'ready'; object: CaasObject }
  | { state: 'unavailable' }
  | { state: 'error'; error: string };

/** Detail of the chat window's `caas-open-object` event. */
export interface OpenObjectDetail {
  /** What the message carries. */
  ref: ObjectRef;
  /** The object, when it was fetched. */
  object?: CaasObject;
}

/** Whether the card of a kind shows the object's content (posts only; stories and reels show kind and owner). */
export function cardFetches(ref: ObjectRef): boolean {
  return ref.kind === 'post';
}

/**
 * The previews of shared objects, fetched once each, the first time a card
 * asks for one; `onChange` is called when a fetch ends (to render again).
 */
export class ObjectPreviews {
  private readonly entries = new Map<string, ObjectPreview>();
  private readonly onChange: () => void;
  private generation = 0;

  /** @param onChange - called when a preview changes. */
  constructor(onChange: () => void) {
    this.onChange = onChange;
  }

  /**
   * The preview of `ref`, starting its fetch the first time (posts only:
   * `undefined` for other kinds, whose card needs no fetch).
   */
  lookup(client: CaasClient | undefined, ref: ObjectRef): ObjectPreview | undefined {
    if (!cardFetches(ref)) return undefined;
    const known = this.entries.get(ref.id);
    if (known) return known;
    if (!client) return { state: 'loading' };
    this.fetch(client, ref.id);
    return this.entries.get(ref.id);
  }

  /** Fetches `ref` again (after an error). */
  retry(client: CaasClient | undefined, ref: ObjectRef): void {
    if (!client) return;
    this.fetch(client, ref.id);
    this.onChange();
  }

  /** Forgets every preview (another client). */
  clear(): void {
    this.generation++;
    this.entries.clear();
  }

  private fetch(client: CaasClient, id: string): void {
    const generation = this.generation;
    this.entries.set(id, { state: 'loading' });
    client.objects.get(id).then(
      (object) => this.settle(generation, id, { state: 'ready', object }),
      (error: unknown) =>
        this.settle(
          generation,
          id,
          error instanceof RequestError && (error.status === 404 || error.code === 'not_found')
            ? { state: 'unavailable' }
            : { state: 'error', error: errorText(error) },
        ),
    );
  }

  private settle(generation: number, id: string, preview: ObjectPreview): void {
    if (generation !== this.generation) return;
    this.entries.set(id, preview);
    this.onChange();
  }
}

/** What the card does. */
export interface ObjectCardActions {
  /** File URLs for a post's first image. */
  files: FilesApi | undefined;
  /** The card was chosen. */
  open(ref: ObjectRef, object: CaasObject | undefined): void;
  /** Fetch again after an error. */
  retry(ref: ObjectRef): void;
  /** The reader (the owner shows as "your"). */
  me: string | undefined;
}

/** The card of a shared object. */
export function renderObjectCard(ref: ObjectRef, preview: ObjectPreview | undefined, actions: ObjectCardActions): TemplateResult {
  const label = kindLabel(ref.kind);
  const owner = ref.owner_id === actions.me ? 'you' : ref.owner_id;
  const state = preview?.state ?? 'ready';
  const object = preview?.state === 'ready' ? preview.object : undefined;
  const unavailable = preview?.state === 'unavailable';
  let body: TemplateResult | typeof nothing = nothing;
  if (preview?.state === 'loading') body = html`<span class="excerpt muted" data-testid="object-card-text">Loading…</span>`;
  else if (unavailable) body = html`<span class="excerpt muted" data-testid="object-card-text">This ${label.toLowerCase()} is not available</span>`;
  else if (preview?.state === 'error') {
    body = html`<span class="excerpt muted" data-testid="object-card-text">Could not load it: ${preview.error}</span>`;
  } else if (object) {
    const excerpt = objectExcerpt(object);
    body = excerpt ? html`<span class="excerpt" data-testid="object-card-text">${excerpt}</span>` : nothing;
  }
  const image = object?.payload.media?.find((m) => mediaKind(m) === 'image');
  const thumb =
    image && actions.files
      ? html`<img
          class="thumb"
          alt=""
          src=${actions.files.url(image.id, { thumbnail: image.content_type === 'image/png' || image.content_type === 'image/jpeg' })}
          loading="lazy"
        />`
      : nothing;
  const head = html`<span class="kind">${label} by ${owner}</span>`;
  return html`<div
    class="object-card"
    data-testid="object-card"
    data-object-id=${ref.id}
    data-kind=${ref.kind}
    data-owner=${ref.owner_id}
    data-state=${state}
  >
    ${unavailable || preview?.state === 'error'
      ? html`<div class="object-body">${head}${body}</div>`
      : html`<button type="button" class="object-body" data-testid="object-card-open" @click=${() => actions.open(ref, object)}>
          ${thumb}<span class="object-lines">${head}${body}</span>
        </button>`}
    ${preview?.state === 'error'
      ? html`<button type="button" data-testid="object-card-retry" @click=${() => actions.retry(ref)}>Retry</button>`
      : nothing}
  </div>`;
}

/** Styles of the card (inside a message bubble). */
export const objectCardStyles = css`
  .object-card {
    display: flex;
    align-items: center;
    gap: 6px;
    margin: 4px 0;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    background: var(--_bg);
    color: var(--_fg);
    max-width: 320px;
  }
  .object-card .object-body {
    flex: 1;
    min-width: 0;
    display: flex;
    gap: 8px;
    align-items: center;
    text-align: left;
    border: none;
    padding: 6px 8px;
  }
  .object-card .object-lines,
  .object-card div.object-body {
    display: flex;
    flex-direction: column;
    align-items: flex-start;
    min-width: 0;
  }
  .object-card .kind {
    font-size: 0.85em;
    color: var(--_muted);
  }
  .object-card .excerpt {
    overflow: hidden;
    text-overflow: ellipsis;
    display: -webkit-box;
    -webkit-line-clamp: 3;
    -webkit-box-orient: vertical;
  }
  .object-card .thumb {
    flex: none;
    width: 48px;
    height: 48px;
    object-fit: cover;
    border-radius: 6px;
  }
  .object-card > button:last-child:not(.object-body) {
    margin-right: 6px;
  }
`;
