/**
 * The chat window's message logic, free of Lit and of the DOM so that it can be
 * tested on its own: merging pages and live messages, edits and reactions,
 * read receipts, reply counts and typing indicators.
 *
 * @packageDocumentation
 */

import type { Message, ReactionEvent } from '../../chat/types.js';

/** The reaction kinds the chat window offers by default. */
export const DEFAULT_REACTIONS: readonly string[] = ['👍', '❤️', '😂', '😮', '😢', '🙏'];

/** The label of a thread's reply count: `1 reply`, `3 replies`. */
export function repliesText(count: number): string {
  return count === 1 ? '1 reply' : `${count} replies`;
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
