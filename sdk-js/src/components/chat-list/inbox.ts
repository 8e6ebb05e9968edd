/**
 * The chat list's logic, free of Lit and of the DOM so that it can be tested on
 * its own: the filters, titles and previews of its rows, and how live events
 * (new messages, receipts, settings, edits, new conversations) update them.
 *
 * @packageDocumentation
 */

import type {
  Conversation,
  ConversationSettings,
  InboxEntry,
  InboxFilter,
  Message,
  ReadReceipt,
} from '../../chat/types.js';
import { attachmentIcon, attachmentsPreview } from '../shared/attachments.js';
import { oneLine } from '../shared/format.js';

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
