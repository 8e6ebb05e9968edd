/**
 * Collaborative documents over REST (`client.docs`): create, list, read,
 * roles, named versions, restore, delete. Live editing is {@link CollabApi.open}.
 *
 * @packageDocumentation
 */

import type { RestClient } from '../core/rest.js';

/** What a document holds: a whiteboard or a rich-text document. */
export type DocKind = 'whiteboard' | 'doc';

/** A user's role on a document. */
export type DocRole = 'viewer' | 'editor' | 'owner';

/** A document's metadata, as the server stores it. */
export interface DocMeta {
  /** Document id. */
  id: string;
  /** `whiteboard` or `doc`. */
  kind: DocKind;
  /** 1–200 characters. */
  title: string;
  /** Its creator (always an owner). */
  owner_id: string;
  /** The conversation whose members may edit it, if any. */
  conversation_id?: string | null;
  /** Other fields the server sends (timestamps…). */
  [key: string]: unknown;
}

/** A document with the caller's role, and (from {@link DocsApi.get}) its content. */
export interface DocWithRole {
  /** Metadata. */
  doc: DocMeta;
  /** The caller's role. */
  role: DocRole;
  /** The content as JSON, by root name (from {@link DocsApi.get} and {@link DocsApi.restore} only). */
  content?: Record<string, unknown>;
}

/** A named version of a document. */
export interface DocVersion {
  /** Version id. */
  id: string;
  /** 1–200 characters. */
  name: string;
  /** Other fields the server sends (author, time…). */
  [key: string]: unknown;
}

/** Input of {@link DocsApi.create}. */
export interface CreateDocInput {
  /** `whiteboard` or `doc`. */
  kind: DocKind;
  /** 1–200 characters. */
  title: string;
  /** Members of this conversation may edit it (the caller must be one). */
  conversationId?: string;
  /** Initial roles: user id → role. */
  roles?: Record<string, DocRole>;
}

/** Query of {@link DocsApi.list}. */
export interface ListDocsQuery {
  /** Only this kind. */
  kind?: DocKind;
  /** Only documents of this conversation. */
  conversationId?: string;
  /** `nextCursor` of the previous page. */
  cursor?: string;
  /** 1 to 100 (server default 30). */
  limit?: number;
}

/** A page of {@link DocsApi.list}, newest first. */
export interface DocPage {
  /** The documents. */
  docs: DocMeta[];
  /** Pass as `cursor` for the next page; absent on the last page. */
  nextCursor?: string;
}

const path = (id: string, rest = ''): string => `/v1/docs/${encodeURIComponent(id)}${rest}`;

/**
 * Documents over REST (`client.docs`). Errors are those of
 * {@link RestClient}: a {@link RequestError} with the server's code
 * (`not_found` for a document the caller may not open, `forbidden` for a
 * role too low), an {@link AuthError}, a {@link ConnectionError} or a
 * {@link TimeoutError}.
 *
 * ```ts
 * const { doc } = await client.docs.create({ kind: 'whiteboard', title: 'Plan' });
 * await client.docs.setRole(doc.id, 'bob', 'editor');
 * const session = await client.collab.open(doc.id);
 * ```
 */
export class DocsApi {
  private readonly rest: RestClient;

  /** @param rest - the client's REST client. */
  constructor(rest: RestClient) {
    this.rest = rest;
  }

  /** Creates a document owned by the caller (`POST /v1/docs`). */
  create(input: CreateDocInput): Promise<DocWithRole> {
    const body: Record<string, unknown> = { kind: input.kind, title: input.title };
    if (input.conversationId !== undefined) body['conversation_id'] = input.conversationId;
    if (input.roles !== undefined) body['roles'] = input.roles;
    return this.rest.post<DocWithRole>('/v1/docs', body);
  }

  /** The documents the caller may open, newest first (`GET /v1/docs`). */
  async list(query: ListDocsQuery = {}): Promise<DocPage> {
    const page = await this.rest.get<{ docs: DocMeta[]; next_cursor?: string | null }>('/v1/docs', {
      kind: query.kind,
      conversation: query.conversationId,
      cursor: query.cursor,
      limit: query.limit,
    });
    return page.next_cursor ? { docs: page.docs, nextCursor: page.next_cursor } : { docs: page.docs };
  }

  /** Metadata, the caller's role and the content as JSON (`GET /v1/docs/{id}`). */
  get(docId: string): Promise<DocWithRole> {
    return this.rest.get<DocWithRole>(path(docId));
  }

  /**
   * Sets (or with `null` removes) a user's role (owner only). It takes effect
   * on the user's next connection.
   */
  setRole(docId: string, userId: string, role: DocRole | null): Promise<DocWithRole> {
    return this.rest.put<DocWithRole>(path(docId, `/roles/${encodeURIComponent(userId)}`), { role });
  }

  /** The named versions, newest first. */
  async versions(docId: string): Promise<DocVersion[]> {
    return (await this.rest.get<{ versions: DocVersion[] }>(path(docId, '/versions'))).versions;
  }

  /** Saves the current content as a named version (editors and owners). */
  async createVersion(docId: string, name: string): Promise<DocVersion> {
    return (await this.rest.post<{ version: DocVersion }>(path(docId, '/versions'), { name })).version;
  }

  /**
   * Restores a version as a new change every client sees (editors and owners);
   * resolves with the resulting content.
   *
   * @throws {@link RequestError} `restore_unsupported` for rich-text roots.
   */
  restore(docId: string, versionId: string): Promise<DocWithRole> {
    return this.rest.post<DocWithRole>(path(docId, `/versions/${encodeURIComponent(versionId)}/restore`));
  }

  /** Deletes a document (owner only); open editors are disconnected (close code 4404). */
  async delete(docId: string): Promise<void> {
    await this.rest.request('DELETE', path(docId));
  }
}
