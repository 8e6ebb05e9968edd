/**
 * The state logic of the chat components, free of Lit and of the DOM so that it
 * can be tested on its own: chat-list updates from live events, message list
 * merging, reactions, read receipts, typing indicators.
 *
 * @packageDocumentation
 */

import type {
  Attachment,
  Conversation,
  ConversationSettings,
  InboxEntry,
  InboxFilter,
  Message,
  ReactionEvent,
  ReadReceipt,
} from '../types.js';

/** The filters of the chat list, in the order its tabs show them. */
export const INBOX_FILTERS: readonly InboxFilter[] = ['all', 'unread', 'direct', 'group', 'archived', 'pinned'];

/** Tab labels of {@link INBOX_FILTERS}. */
export const FILTER_LABELS: Readonly<Record<InboxFilter, string>> = {
  all: 'All',
  unread: 'Unread',
  direct: 'Direct',
  group: 'Groups',
  archived: 'Archived',
  pinned: 'Pinned',
};

/** The reaction kinds the chat window offers by default. */
export const DEFAULT_REACTIONS: readonly string[] = ['👍', '❤️', '😂', '😮', '😢', '🙏'];

/**
 * The title of a conversation for `me`: a group's name (or its members' ids
 * when it has none), or the other member's id for a direct conversation.
 */
export function conversationTitle(conversation: Conversation, me: string | undefined): string {
  if (conversation.kind === 'group') {
    if (conversation.name) return conversation.name;
    const others = conversation.members.map((m) => m.user_id).filter((u) => u !== me);
    return others.length > 0 ? others.join(', ') : 'Group';
  }
  const other = conversation.members.find((m) => m.user_id !== me);
  return other?.user_id ?? me ?? 'Direct conversation';
}

/**
 * The last-message preview of a chat-list row: `You: …` for one's own message.
 * Attachments show as `📷 Photo` (one image), `📎 report.pdf` (one other file),
 * `📷 3 photos` or `📎 3 files`, before the text if there is some. A message
 * without text nor attachments is deleted (`deleted_at`, or pass `deleted`
 * when it is known to be deleted) or carries only a payload (`(no text)`).
 */
export function previewText(entry: InboxEntry, me: string | undefined, deleted = false): string {
  const last = entry.last_message;
  if (!last) return 'No messages yet';
  if (deleted || (last.deleted_at ?? null) !== null) return 'Message deleted';
  const attachments = last.attachments ?? [];
  const body = oneLine(last.text);
  const text =
    attachments.length === 0
      ? body || '(no text)'
      : body === ''
        ? attachmentsPreview(attachments)
        : `${attachmentIcon(attachments)} ${body}`;
  if (last.sender_id === me) return `You: ${text}`;
  return entry.conversation.kind === 'group' ? `${last.sender_id}: ${text}` : text;
}

/** Whether an attachment is an image (by its content type). */
export function isImage(attachment: Attachment): boolean {
  return attachment.content_type.toLowerCase().startsWith('image/');
}

/**
 * A short description of a message's attachments for previews: `📷 Photo`
 * (one image), `📎 report.pdf` (one other file), `📷 3 photos` (only images),
 * `📎 3 files`; `''` for none.
 */
export function attachmentsPreview(attachments: readonly Attachment[]): string {
  const first = attachments[0];
  if (!first) return '';
  const images = attachments.every(isImage);
  if (attachments.length === 1) return images ? '📷 Photo' : `📎 ${oneLine(first.name, 60)}`;
  return images ? `📷 ${attachments.length} photos` : `📎 ${attachments.length} files`;
}

/** 📷 when every attachment is an image, else 📎. */
function attachmentIcon(attachments: readonly Attachment[]): string {
  return attachments.every(isImage) ? '📷' : '📎';
}

/** The label of a thread's reply count: `1 reply`, `3 replies`. */
export function repliesText(count: number): string {
  return count === 1 ? '1 reply' : `${count} replies`;
}

/** `text` on one line, cut to `max` characters with an ellipsis. */
export function oneLine(text: string, max = 120): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Whether a chat-list row belongs under `filter`, as the server decides it. */
export function matchesFilter(entry: InboxEntry, filter: InboxFilter): boolean {
  switch (filter) {
    case 'all':
      return !entry.archived;
    case 'unread':
      return !entry.archived && entry.unread_count > 0;
    case 'direct':
      return !entry.archived && entry.conversation.kind === 'direct';
    case 'group':
      return !entry.archived && entry.conversation.kind === 'group';
    case 'archived':
      return entry.archived;
    case 'pinned':
      return !entry.archived && entry.pinned;
  }
}

/** The time a row sorts by: its newest message, or its creation. */
export function activityOf(entry: InboxEntry): number {
  return Date.parse(entry.conversation.last_message_at ?? entry.conversation.created_at) || 0;
}

/** Sorts chat-list rows as the server does: most recent activity first, then by id descending. */
export function sortEntries(entries: InboxEntry[]): InboxEntry[] {
  return [...entries].sort((a, b) => {
    const d = activityOf(b) - activityOf(a);
    if (d !== 0) return d;
    return a.conversation.id < b.conversation.id ? 1 : a.conversation.id > b.conversation.id ? -1 : 0;
  });
}

/** Appends a page to rows already shown, dropping rows it repeats. */
export function appendPage(entries: InboxEntry[], page: InboxEntry[]): InboxEntry[] {
  const seen = new Set(entries.map((e) => e.conversation.id));
  return [...entries, ...page.filter((e) => !seen.has(e.conversation.id))];
}

/** A chat-list row for a conversation the user just joined. */
export function entryOf(conversation: Conversation, me: string | undefined): InboxEntry {
  const mine = conversation.members.find((m) => m.user_id === me);
  const lastRead = mine?.last_read_seq ?? 0;
  return {
    conversation,
    member_count: conversation.members.length,
    unread_count: Math.max(0, conversation.last_seq - lastRead),
    last_read_seq: lastRead,
    last_message: null,
    muted_until: null,
    archived: false,
    pinned: false,
  };
}

/**
 * The result of applying a live event to the rows shown: the new rows, and
 * whether the event concerned a conversation that is not among them (the
 * list should then be reloaded to learn where it belongs).
 */
export interface InboxUpdate {
  /** The rows after the event. */
  entries: InboxEntry[];
  /** The event's conversation is not shown and may belong in the list. */
  unknown: boolean;
}

/**
 * Applies `message.new`: the row gets the message as its preview, moves to the
 * top and counts it unread unless `me` sent it (the server marks one's own
 * messages read). A row that no longer fits `filter` goes, unless it is `keep`.
 */
export function applyMessageNew(
  entries: InboxEntry[],
  message: Message,
  me: string | undefined,
  filter: InboxFilter,
  keep?: string,
): InboxUpdate {
  const i = entries.findIndex((e) => e.conversation.id === message.conversation_id);
  const old = entries[i];
  if (!old) return { entries, unknown: true };
  const lastSeq = Math.max(old.conversation.last_seq, message.seq);
  const lastRead = message.sender_id === me ? Math.max(old.last_read_seq, message.seq) : old.last_read_seq;
  const isNewest = message.seq >= old.conversation.last_seq;
  const updated: InboxEntry = {
    ...old,
    conversation: {
      ...old.conversation,
      last_seq: lastSeq,
      last_message_at: isNewest ? message.created_at : old.conversation.last_message_at,
    },
    last_read_seq: lastRead,
    unread_count: Math.max(0, lastSeq - lastRead),
    last_message: isNewest
      ? {
          id: message.id,
          seq: message.seq,
          sender_id: message.sender_id,
          text: message.text,
          created_at: message.created_at,
          deleted_at: message.deleted_at,
          attachments: message.attachments ?? [],
        }
      : old.last_message,
  };
  return { entries: place(entries, i, updated, filter, keep), unknown: false };
}

/** Applies `receipt.read`: the user's own read position moves the unread count. */
export function applyReceipt(
  entries: InboxEntry[],
  receipt: ReadReceipt,
  me: string | undefined,
  filter: InboxFilter,
  keep?: string,
): InboxEntry[] {
  const i = entries.findIndex((e) => e.conversation.id === receipt.conversation_id);
  const old = entries[i];
  if (!old) return entries;
  const members = old.conversation.members.map((m) =>
    m.user_id === receipt.user_id ? { ...m, last_read_seq: Math.max(m.last_read_seq, receipt.last_read_seq) } : m,
  );
  let updated: InboxEntry = { ...old, conversation: { ...old.conversation, members } };
  if (receipt.user_id === me) {
    const lastRead = Math.max(old.last_read_seq, receipt.last_read_seq);
    updated = { ...updated, last_read_seq: lastRead, unread_count: Math.max(0, old.conversation.last_seq - lastRead) };
  }
  return place(entries, i, updated, filter, keep);
}

/** Applies `conversation.settings` (the user's own mute, archive and pin). */
export function applySettings(
  entries: InboxEntry[],
  settings: ConversationSettings,
  filter: InboxFilter,
  keep?: string,
): InboxUpdate {
  const i = entries.findIndex((e) => e.conversation.id === settings.conversation_id);
  const old = entries[i];
  if (!old) return { entries, unknown: true };
  const updated: InboxEntry = {
    ...old,
    muted_until: settings.muted_until,
    archived: settings.archived,
    pinned: settings.pinned,
  };
  return { entries: place(entries, i, updated, filter, keep), unknown: false };
}

/**
 * Applies an edit or deletion of a message: the preview follows when it is the
 * newest one (a deleted message loses its text and attachments).
 */
export function applyMessageChanged(entries: InboxEntry[], message: Message): InboxEntry[] {
  const i = entries.findIndex((e) => e.conversation.id === message.conversation_id);
  const old = entries[i];
  if (!old || old.last_message?.id !== message.id) return entries;
  const next = [...entries];
  next[i] = {
    ...old,
    last_message: {
      ...old.last_message,
      text: message.text,
      deleted_at: message.deleted_at,
      attachments: message.attachments ?? [],
    },
  };
  return next;
}

/** Adds a row for a new conversation, in its place, unless it is there already or does not fit `filter`. */
export function addConversation(
  entries: InboxEntry[],
  conversation: Conversation,
  me: string | undefined,
  filter: InboxFilter,
): InboxEntry[] {
  const i = entries.findIndex((e) => e.conversation.id === conversation.id);
  if (i >= 0) {
    const next = [...entries];
    const old = entries[i] as InboxEntry;
    next[i] = { ...old, conversation: { ...conversation }, member_count: conversation.members.length };
    return next;
  }
  const entry = entryOf(conversation, me);
  if (!matchesFilter(entry, filter)) return entries;
  return sortEntries([entry, ...entries]);
}

/** Replaces row `i` by `updated`, re-sorted, or drops it when it no longer fits `filter` (unless it is `keep`). */
function place(entries: InboxEntry[], i: number, updated: InboxEntry, filter: InboxFilter, keep?: string): InboxEntry[] {
  const rest = entries.filter((_, j) => j !== i);
  if (!matchesFilter(updated, filter) && updated.conversation.id !== keep) return rest;
  return sortEntries([updated, ...rest]);
}

/** User ids typed into a box, separated by commas or white space: trimmed, without blanks or repeats. */
export function parseUserIds(text: string): string[] {
  const out: string[] = [];
  for (const part of text.split(/[\s,;]+/)) {
    const id = part.trim();
    if (id !== '' && !out.includes(id)) out.push(id);
  }
  return out;
}

/** Merges messages into a list: one per id (the incoming one wins), ordered by seq. */
export function mergeMessages(existing: Message[], incoming: Message[]): Message[] {
  const byId = new Map<string, Message>();
  for (const m of existing) byId.set(m.id, m);
  for (const m of incoming) byId.set(m.id, m);
  return [...byId.values()].sort((a, b) => a.seq - b.seq);
}

/**
 * Applies `message.updated`, `message.deleted` or `message.pinned` to a list.
 * Those events carry no `reactions.mine` (it is per viewer), so the viewer's
 * own reactions are kept from the message already shown.
 */
export function applyChangedMessage(messages: Message[], changed: Message): Message[] {
  const i = messages.findIndex((m) => m.id === changed.id);
  const old = messages[i];
  if (!old) return messages;
  const next = [...messages];
  next[i] = { ...changed, reactions: { counts: { ...changed.reactions.counts }, mine: [...old.reactions.mine] } };
  return next;
}

/** Applies `reaction.added` or `reaction.removed`: new counts, and `mine` when `me` reacted. */
export function applyReactionEvent(
  messages: Message[],
  event: ReactionEvent,
  added: boolean,
  me: string | undefined,
): Message[] {
  const i = messages.findIndex((m) => m.id === event.message_id);
  const old = messages[i];
  if (!old) return messages;
  let mine = old.reactions.mine;
  if (event.user_id === me) {
    mine = added ? (mine.includes(event.kind) ? mine : [...mine, event.kind]) : mine.filter((k) => k !== event.kind);
  }
  const next = [...messages];
  next[i] = { ...old, reactions: { counts: { ...event.counts }, mine } };
  return next;
}

/** The reaction kinds to show on a message: the offered ones, then any others it has, with counts. */
export function reactionChips(
  message: Message,
  offered: readonly string[],
): Array<{ kind: string; count: number; mine: boolean }> {
  const kinds = [...offered];
  for (const k of Object.keys(message.reactions.counts)) if (!kinds.includes(k)) kinds.push(k);
  return kinds.map((kind) => ({
    kind,
    count: message.reactions.counts[kind] ?? 0,
    mine: message.reactions.mine.includes(kind),
  }));
}

/** The read receipt of the user's newest message. */
export interface Receipt {
  /** The message it stands under. */
  messageId: string;
  /** Its seq. */
  seq: number;
  /** The other members whose read position reached it. */
  seenBy: string[];
}

/**
 * The receipt of `me`'s newest message (deleted ones aside): who among the
 * others has read it, from their read positions (`last_read_seq` by user).
 */
export function receiptFor(
  messages: readonly Message[],
  me: string | undefined,
  readPositions: ReadonlyMap<string, number>,
): Receipt | undefined {
  if (me === undefined) return undefined;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as Message;
    if (m.sender_id !== me || m.deleted_at !== null) continue;
    const seenBy = [...readPositions.entries()]
      .filter(([user, seq]) => user !== me && seq >= m.seq)
      .map(([user]) => user)
      .sort();
    return { messageId: m.id, seq: m.seq, seenBy };
  }
  return undefined;
}

/** The typing indicator's text: `bob is typing…`, `bob and cy are typing…`, `3 people are typing…`. */
export function typingText(users: readonly string[]): string {
  if (users.length === 0) return '';
  if (users.length === 1) return `${users[0]} is typing…`;
  if (users.length === 2) return `${users[0]} and ${users[1]} are typing…`;
  return `${users.length} people are typing…`;
}

/**
 * When to send `typing.start` and `typing.stop` for one composer: a start at
 * the first keystroke and again every `intervalMs` while typing goes on (the
 * server forgets a start after 6 s), and one stop after a start.
 */
export class TypingThrottle {
  private lastStart: number | undefined;

  /** @param intervalMs - the least time between two starts (default 3000). */
  constructor(private readonly intervalMs = 3000) {}

  /** Whether a `typing.start` is sent now (the last one is not stopped). */
  get active(): boolean {
    return this.lastStart !== undefined;
  }

  /** The user typed at `now` (ms): whether to send `typing.start`. */
  typed(now: number): boolean {
    if (this.lastStart !== undefined && now - this.lastStart < this.intervalMs) return false;
    this.lastStart = now;
    return true;
  }

  /** The user sent or left the composer: whether to send `typing.stop`. */
  stopped(): boolean {
    const was = this.lastStart !== undefined;
    this.lastStart = undefined;
    return was;
  }
}

/**
 * Who is typing in one conversation: each `typing` start holds for its
 * `expires_in_ms` unless refreshed; a stop, or the user's message, ends it.
 */
export class TypingTracker {
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();

  /** @param onChange - called with the users typing, in the order they started, whenever that changes. */
  constructor(private readonly onChange: (users: string[]) => void) {}

  /** The users typing, in the order they started. */
  get users(): string[] {
    return [...this.timers.keys()];
  }

  /** `user` is typing for `expiresInMs`. */
  start(user: string, expiresInMs: number): void {
    const had = this.timers.get(user);
    if (had !== undefined) clearTimeout(had);
    this.timers.set(
      user,
      setTimeout(() => this.stop(user), Math.max(0, expiresInMs)),
    );
    if (had === undefined) this.onChange(this.users);
  }

  /** `user` stopped typing. */
  stop(user: string): void {
    const had = this.timers.get(user);
    if (had === undefined) return;
    clearTimeout(had);
    this.timers.delete(user);
    this.onChange(this.users);
  }

  /** Forgets everyone (e.g. when another conversation opens). */
  clear(): void {
    const any = this.timers.size > 0;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    if (any) this.onChange([]);
  }
}

/** Whether a scrolled box is within `threshold` pixels of its end. */
export function nearEnd(box: { scrollTop: number; clientHeight: number; scrollHeight: number }, threshold = 80): boolean {
  return box.scrollTop + box.clientHeight >= box.scrollHeight - threshold;
}

/** A short local time for a timestamp: `14:05` today, else `3 Mar` (or with the year when not this year). */
export function shortTime(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const sameDay = d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate();
  if (sameDay) return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const month = d.toLocaleString('en', { month: 'short' });
  return d.getFullYear() === now.getFullYear() ? `${d.getDate()} ${month}` : `${d.getDate()} ${month} ${d.getFullYear()}`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** A person-readable message for an error thrown by the client. */
export function errorText(error: unknown): string {
  if (error instanceof Error && error.message) return error.message;
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') {
    return (error as { message: string }).message;
  }
  return String(error);
}

/** The longest side, in CSS pixels, of an image attachment shown in a message. */
export const ATTACHMENT_IMAGE_MAX = 240;

/**
 * How a message shows an attachment: `thumbnail` for PNG and JPEG images with
 * known dimensions (the server made a thumbnail of them), `image` for other
 * images (shown from the file itself), `file` for everything else (a download
 * link).
 */
export function attachmentKind(attachment: Attachment): 'thumbnail' | 'image' | 'file' {
  const type = attachment.content_type.toLowerCase();
  if ((type === 'image/png' || type === 'image/jpeg') && attachment.width !== undefined && attachment.height !== undefined) {
    return 'thumbnail';
  }
  return type.startsWith('image/') ? 'image' : 'file';
}

/**
 * `width` × `height` scaled down, keeping the aspect ratio, to fit a `max` ×
 * `max` box (never scaled up), in whole pixels of at least 1.
 */
export function fitWithin(width: number, height: number, max = ATTACHMENT_IMAGE_MAX): { width: number; height: number } {
  if (!(width > 0) || !(height > 0)) return { width: max, height: max };
  const scale = Math.min(1, max / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** A byte count for people: `512 B`, `1.5 KB`, `12 MB`, `1.1 GB` (powers of 1024). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${Math.max(0, Math.round(bytes || 0))} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const text = value < 10 ? value.toFixed(1).replace(/\.0$/, '') : String(Math.round(value));
  return `${text} ${units[unit]}`;
}

/** Whether a drag carries files (`dataTransfer.types` includes `Files`). */
export function dragHasFiles(dataTransfer: { types?: ArrayLike<string> | Iterable<string> } | null | undefined): boolean {
  if (!dataTransfer?.types) return false;
  return Array.from(dataTransfer.types as ArrayLike<string>).includes('Files');
}
