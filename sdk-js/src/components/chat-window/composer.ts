/**
 * The composer of `<caas-chat-window>`: the draft, typing indicators sent,
 * send and resend, reply and edit, and files attached by picker, drag and
 * drop or paste, uploaded with their progress.
 *
 * @packageDocumentation
 */

import { html, nothing, type TemplateResult } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import { live } from 'lit/directives/live.js';

import { newClientMsgId } from '../../chat/chat.js';
import type { CaasClient } from '../../client/client.js';
import { ABORTED, CaasError } from '../../core/errors.js';
import { MAX_ATTACHMENTS, attachmentOf } from '../../files/files.js';
import type { Message } from '../../chat/types.js';
import { ChatWindowState } from './state.js';
import { type PendingMessage, type UploadItem } from './outbox.js';
import { TypingThrottle, mergeMessages } from './message-logic.js';
import { dragHasFiles } from '../shared/attachments.js';
import { errorText, formatBytes, oneLine } from '../shared/format.js';

/**
 * The composer of `<caas-chat-window>` on top of its state
 * (`ChatWindowState`): what the user writes, sends and attaches.
 */
export abstract class ChatWindowComposer extends ChatWindowState {
  private draftBeforeEdit = '';
  private readonly throttle = new TypingThrottle();
  private typingIn: string | undefined;
  private uploadSeq = 0;

  private onInput(e: Event): void {
    this.draft = (e.target as HTMLTextAreaElement).value;
    if (this.editing) return;
    if (this.draft.trim() === '') this.stopTyping();
    else this.typed();
  }

  /** The user typed a message (in the main or the thread composer): sends `typing.start`, throttled. */
  protected typed(): void {
    const client = this.boundClient;
    const id = this.conversationId;
    if (!client || id === undefined || client.state !== 'connected') return;
    if (this.throttle.typed(Date.now())) {
      this.typingIn = id;
      client.typing.start(id).catch(() => undefined);
    }
  }

  /** Sends `typing.stop` if a start is outstanding. */
  protected override stopTyping(): void {
    const id = this.typingIn;
    if (!this.throttle.stopped() || id === undefined) return;
    this.typingIn = undefined;
    const client = this.boundClient;
    if (client && client.state === 'connected') client.typing.stop(id).catch(() => undefined);
  }

  private onKeydown(e: KeyboardEvent): void {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void this.submit();
    } else if (e.key === 'Escape') {
      if (this.editing) {
        e.preventDefault();
        this.cancelEdit();
      } else if (this.replyTo) {
        e.preventDefault();
        this.replyTo = undefined;
      }
    }
  }

  /** Whether Send may send now: text or uploaded files, and no upload still running. */
  private canSend(): boolean {
    if (!this.loaded || this.removed) return false;
    if (this.editing) return this.draft.trim() !== '';
    if (this.uploads.some((u) => u.state === 'uploading')) return false;
    return this.draft.trim() !== '' || this.uploads.some((u) => u.state === 'done');
  }

  /** Sends the draft with the uploaded files, or saves the edit in progress. */
  private async submit(e?: Event): Promise<void> {
    e?.preventDefault();
    if (!this.canSend()) return;
    const text = this.draft.trim();
    if (this.editing) {
      await this.saveEdit(this.editing, text);
      return;
    }
    const ready = this.uploads.filter((u) => u.state === 'done');
    const pending: PendingMessage = {
      clientMsgId: newClientMsgId(),
      text,
      replyTo: this.replyTo?.id,
      parentId: undefined,
      attachments: ready.flatMap((u) => (u.file ? [attachmentOf(u.file)] : [])),
      error: undefined,
    };
    this.pending = [...this.pending, pending];
    this.uploads = this.uploads.filter((u) => u.state !== 'done');
    this.draft = '';
    this.replyTo = undefined;
    this.stopTyping();
    this.scrollAfterRender = 'bottom';
    await this.deliver(pending);
  }

  /** Sends a pending message; a retry reuses its `client_msg_id`, so it is stored once. */
  protected async deliver(pending: PendingMessage): Promise<void> {
    const client = this.boundClient;
    const id = this.conversationId;
    if (!client || id === undefined) return;
    const generation = this.generation;
    try {
      const message = await client.messages.send(id, pending.text, {
        clientMsgId: pending.clientMsgId,
        ...(pending.replyTo === undefined ? {} : { replyTo: pending.replyTo }),
        ...(pending.parentId === undefined ? {} : { parentId: pending.parentId }),
        ...(pending.attachments.length === 0 ? {} : { attachments: pending.attachments.map((a) => a.id) }),
      });
      if (generation !== this.generation) return;
      if (message.parent_id !== undefined) {
        this.threadReplyArrived(message);
      } else {
        this.messages = mergeMessages(this.messages, [message]);
        this.scrollAfterRender = 'bottom';
      }
      this.pending = this.pending.filter((p) => p.clientMsgId !== pending.clientMsgId);
      this.readUpTo(message.sender_id, message.seq);
      this.myLastRead = Math.max(this.myLastRead, message.seq);
    } catch (error) {
      if (generation !== this.generation) return;
      this.pending = this.pending.map((p) =>
        p.clientMsgId === pending.clientMsgId ? { ...p, error: errorText(error) } : p,
      );
      this.fail('message.send', error);
    }
  }

  protected retry(pending: PendingMessage): void {
    const again = { ...pending, error: undefined };
    this.pending = this.pending.map((p) => (p.clientMsgId === pending.clientMsgId ? again : p));
    void this.deliver(again);
  }

  protected discard(pending: PendingMessage): void {
    this.pending = this.pending.filter((p) => p.clientMsgId !== pending.clientMsgId);
  }

  /** Whether files may be attached now: a loaded conversation the user is in, not while editing. */
  private canAttach(): boolean {
    return this.boundClient !== undefined && this.conversationId !== undefined && this.loaded && !this.removed && !this.editing;
  }

  /**
   * Uploads files into the composer, each with its progress; at most
   * {@link MAX_ATTACHMENTS} per message (the rest are refused with an error).
   */
  private attachFiles(files: readonly Blob[]): void {
    const client = this.boundClient;
    if (!client || !this.canAttach() || files.length === 0) return;
    const room = MAX_ATTACHMENTS - this.uploads.filter((u) => u.state !== 'error').length;
    const taken = files.slice(0, Math.max(0, room));
    if (taken.length < files.length) {
      this.showError('file.upload', new CaasError('too_many_attachments', `At most ${MAX_ATTACHMENTS} files per message.`));
    }
    for (const blob of taken) {
      const name = (blob as { name?: unknown }).name;
      const item: UploadItem = {
        key: ++this.uploadSeq,
        blob,
        name: typeof name === 'string' && name !== '' ? name : 'file',
        size: blob.size,
        sent: 0,
        state: 'uploading',
        file: undefined,
        error: undefined,
        controller: undefined,
      };
      this.uploads = [...this.uploads, item];
      void this.upload(client, item);
    }
  }

  /** Uploads one composer file, following its progress in the list. */
  private async upload(client: CaasClient, item: UploadItem): Promise<void> {
    const controller = typeof AbortController === 'function' ? new AbortController() : undefined;
    this.patchUpload(item.key, { state: 'uploading', sent: 0, error: undefined, controller });
    try {
      const file = await client.files.upload(item.blob, {
        name: item.name,
        onProgress: (sent) => this.patchUpload(item.key, { sent }),
        ...(controller ? { signal: controller.signal } : {}),
      });
      this.patchUpload(item.key, { state: 'done', sent: item.size, file, controller: undefined });
    } catch (error) {
      if (error instanceof CaasError && error.code === ABORTED) return; // Cancelled: already gone from the list.
      if (!this.uploads.some((u) => u.key === item.key)) return;
      this.patchUpload(item.key, { state: 'error', error: errorText(error), controller: undefined });
      this.fail('file.upload', error);
    }
  }

  private patchUpload(key: number, patch: Partial<UploadItem>): void {
    if (!this.uploads.some((u) => u.key === key)) return;
    this.uploads = this.uploads.map((u) => (u.key === key ? { ...u, ...patch } : u));
  }

  /** Cancels an upload in flight, or takes an uploaded (or failed) file off the message. */
  private removeUpload(item: UploadItem): void {
    const current = this.uploads.find((u) => u.key === item.key);
    this.uploads = this.uploads.filter((u) => u.key !== item.key);
    current?.controller?.abort();
    this.focusComposerAfterRender = true;
  }

  private retryUpload(item: UploadItem): void {
    const client = this.boundClient;
    if (client) void this.upload(client, item);
  }

  /** Cancels every upload in flight and empties the list (another conversation opens, or the element goes). */
  protected override cancelUploads(): void {
    const uploads = this.uploads;
    this.uploads = [];
    for (const u of uploads) u.controller?.abort();
  }

  private openFilePicker(): void {
    this.renderRoot.querySelector<HTMLInputElement>('input[type="file"]')?.click();
  }

  private onFilesChosen(e: Event): void {
    const input = e.target as HTMLInputElement;
    const files = Array.from(input.files ?? []);
    input.value = ''; // Choosing the same file again fires `change` again.
    this.attachFiles(files);
  }

  private onPaste(e: ClipboardEvent): void {
    const images = Array.from(e.clipboardData?.files ?? []).filter((f) => f.type.startsWith('image/'));
    if (images.length === 0 || !this.canAttach()) return;
    e.preventDefault();
    this.attachFiles(images);
  }

  protected readonly onDragOver = (e: DragEvent): void => {
    if (!this.canAttach() || !dragHasFiles(e.dataTransfer)) return;
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    this.dragging = true;
  };

  protected readonly onDragLeave = (e: DragEvent): void => {
    // While dragging, the drop zone covers the window: leaving it leaves the window.
    const target = e.composedPath()[0];
    if (target instanceof Element && target.classList.contains('dropzone')) this.dragging = false;
  };

  protected readonly onDrop = (e: DragEvent): void => {
    this.dragging = false;
    const files = Array.from(e.dataTransfer?.files ?? []);
    if (files.length === 0 || !this.canAttach()) return;
    e.preventDefault();
    this.attachFiles(files);
  };

  protected startReply(message: Message): void {
    if (this.editing) this.cancelEdit();
    this.replyTo = message;
    this.focusComposerAfterRender = true;
  }

  protected startEdit(message: Message): void {
    if (!this.editing) this.draftBeforeEdit = this.draft;
    this.stopTyping();
    this.replyTo = undefined;
    this.editing = message;
    this.draft = message.text;
    this.focusComposerAfterRender = true;
  }

  protected override cancelEdit(): void {
    this.editing = undefined;
    this.draft = this.draftBeforeEdit;
    this.draftBeforeEdit = '';
  }

  private async saveEdit(message: Message, text: string): Promise<void> {
    if (text === message.text) {
      this.cancelEdit();
      return;
    }
    await this.change('message.edit', (client) => client.messages.edit(message.id, text));
    if (this.editing?.id === message.id && this.error === undefined) this.cancelEdit();
  }

  private renderUploads(): TemplateResult | typeof nothing {
    if (this.uploads.length === 0) return nothing;
    return html`<ul class="uploads" aria-label="Files to send" data-testid="uploads">
      ${this.uploads.map((u) => {
        const percent = u.size > 0 ? Math.floor((u.sent / u.size) * 100) : 0;
        const status =
          u.state === 'uploading' ? `${percent}%` : u.state === 'done' ? 'Ready' : `Failed: ${u.error ?? 'error'}`;
        return html`<li class="upload" data-testid="upload" data-state=${u.state} data-file-id=${ifDefined(u.file?.id)}>
          <span class="name" title=${u.name}>${u.name}</span>
          <span class="status muted">${formatBytes(u.size)}</span>
          <progress
            data-testid="upload-progress"
            max=${Math.max(1, u.size)}
            .value=${u.state === 'done' ? Math.max(1, u.size) : u.sent}
            aria-label=${`Upload of ${u.name}`}
          ></progress>
          <span class="status" role=${u.state === 'error' ? 'alert' : nothing}>${status}</span>
          ${u.state === 'error'
            ? html`<button type="button" data-testid="upload-retry" aria-label=${`Retry uploading ${u.name}`} @click=${() => this.retryUpload(u)}>
                Retry
              </button>`
            : nothing}
          <button
            type="button"
            data-testid="upload-cancel"
            aria-label=${u.state === 'uploading' ? `Cancel uploading ${u.name}` : `Remove ${u.name}`}
            @click=${() => this.removeUpload(u)}
          >
            ${u.state === 'uploading' ? 'Cancel' : 'Remove'}
          </button>
        </li>`;
      })}
    </ul>`;
  }

  protected renderComposer(): TemplateResult {
    if (this.removed) {
      return html`<form part="composer"><p class="muted">You are no longer a member of this conversation.</p></form>`;
    }
    const context = this.editing
      ? html`<div class="context" data-testid="editing">
          <span>Editing your message</span>
          <button type="button" @click=${() => this.cancelEdit()}>Cancel</button>
        </div>`
      : this.replyTo
        ? html`<div class="context" data-testid="reply-preview">
            <span>Replying to ${this.replyTo.sender_id === this.me ? 'yourself' : this.replyTo.sender_id}: ${oneLine(this.replyTo.text, 80)}</span>
            <button type="button" aria-label="Cancel reply" @click=${() => (this.replyTo = undefined)}>✕</button>
          </div>`
        : nothing;
    const uploading = this.uploads.some((u) => u.state === 'uploading');
    return html`<form part="composer" @submit=${this.submit}>
      ${context} ${this.renderUploads()}
      <div class="row">
        <input
          type="file"
          multiple
          hidden
          data-testid="attach-input"
          @change=${this.onFilesChosen}
        />
        <button
          type="button"
          class="attach"
          data-testid="attach-button"
          aria-label="Attach files"
          title="Attach files (or drop them here, or paste an image)"
          ?disabled=${!this.canAttach()}
          @click=${() => this.openFilePicker()}
        >
          <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
            <path
              d="M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5"
              fill="none"
              stroke="currentColor"
              stroke-width="1.8"
              stroke-linecap="round"
              stroke-linejoin="round"
            />
          </svg>
        </button>
        <textarea
          data-testid="composer"
          aria-label=${this.editing ? 'Edit message' : 'Message'}
          placeholder="Write a message… (Enter sends, Shift+Enter for a new line)"
          rows="2"
          maxlength="4000"
          .value=${live(this.draft)}
          @input=${this.onInput}
          @keydown=${this.onKeydown}
          @paste=${this.onPaste}
          @blur=${() => this.stopTyping()}
        ></textarea>
        <button
          type="submit"
          class="primary"
          data-testid="send-button"
          title=${uploading ? 'Waiting for the files to upload' : nothing}
          ?disabled=${!this.canSend()}
        >
          ${this.editing ? 'Save' : 'Send'}
        </button>
      </div>
    </form>`;
  }
}
