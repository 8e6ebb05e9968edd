import { afterEach, describe, expect, it, vi } from 'vitest';

import { conversation, entry, message } from '../testing/fake-server.js';
import type { Attachment } from '../types.js';
import {
  TypingThrottle,
  TypingTracker,
  addConversation,
  appendPage,
  applyChangedMessage,
  applyMessageChanged,
  applyMessageNew,
  applyReactionEvent,
  applyReceipt,
  applySettings,
  attachmentKind,
  attachmentsPreview,
  conversationTitle,
  dragHasFiles,
  entryOf,
  fitWithin,
  formatBytes,
  matchesFilter,
  mergeMessages,
  nearEnd,
  parseUserIds,
  previewText,
  reactionChips,
  receiptFor,
  repliesText,
  shortTime,
  sortEntries,
  typingText,
} from './logic.js';

const ids = (entries: { conversation: { id: string } }[]): string[] => entries.map((e) => e.conversation.id);

afterEach(() => {
  vi.useRealTimers();
});

describe('chat list logic', () => {
  it('names groups by name or members and direct conversations by the other member', () => {
    expect(conversationTitle(conversation('g', 'group', ['ann', 'bob'], { name: 'Trio' }), 'ann')).toBe('Trio');
    expect(conversationTitle(conversation('g', 'group', ['ann', 'bob', 'cy']), 'ann')).toBe('bob, cy');
    expect(conversationTitle(conversation('d', 'direct', ['ann', 'bob']), 'ann')).toBe('bob');
    expect(conversationTitle(conversation('d', 'direct', ['ann', 'bob']), 'bob')).toBe('ann');
  });

  it('previews the newest message', () => {
    const d = entry(conversation('d', 'direct', ['ann', 'bob'], { lastSeq: 2 }), 'ann');
    expect(previewText(d, 'ann')).toBe('last of d');
    expect(previewText({ ...d, last_message: { ...d.last_message!, sender_id: 'ann', text: 'a\n b' } }, 'ann')).toBe('You: a b');
    const g = entry(conversation('g', 'group', ['ann', 'bob'], { lastSeq: 1 }), 'ann');
    expect(previewText(g, 'ann')).toBe('bob: last of g');
    expect(previewText(entry(conversation('e', 'direct', ['ann', 'bob']), 'ann'), 'ann')).toBe('No messages yet');
    const empty = { ...d, last_message: { ...d.last_message!, text: '' } };
    expect(previewText(empty, 'ann')).toBe('(no text)');
    expect(previewText(empty, 'ann', true)).toBe('Message deleted');
    expect(previewText({ ...d, last_message: { ...d.last_message!, deleted_at: '2026-11-26T10:06:00Z' } }, 'ann')).toBe('Message deleted');
  });

  it('previews attachments instead of "(no text)"', () => {
    const png: Attachment = { id: 'f-1', name: 'photo.png', content_type: 'image/png', size: 2048, width: 640, height: 480 };
    const jpg: Attachment = { id: 'f-2', name: 'b.jpg', content_type: 'image/jpeg', size: 1000 };
    const pdf: Attachment = { id: 'f-3', name: 'report.pdf', content_type: 'application/pdf', size: 9000 };
    const d = entry(conversation('d', 'direct', ['ann', 'bob'], { lastSeq: 2 }), 'ann');
    const g = entry(conversation('g', 'group', ['ann', 'bob'], { lastSeq: 2 }), 'ann');
    const last = (e: typeof d, text: string, attachments: Attachment[], sender = 'bob'): typeof d => ({
      ...e,
      last_message: { ...e.last_message!, text, attachments, sender_id: sender },
    });
    expect(previewText(last(d, '', [png]), 'ann')).toBe('📷 Photo');
    expect(previewText(last(d, '', [pdf]), 'ann')).toBe('📎 report.pdf');
    expect(previewText(last(d, '', [pdf], 'ann'), 'ann')).toBe('You: 📎 report.pdf');
    expect(previewText(last(g, '', [png, jpg]), 'ann')).toBe('bob: 📷 2 photos');
    expect(previewText(last(g, '', [png, pdf]), 'ann')).toBe('bob: 📎 2 files');
    // With text, the text follows the icon.
    expect(previewText(last(d, 'look  at\nthis', [png]), 'ann')).toBe('📷 look at this');
    expect(previewText(last(d, 'the report', [pdf]), 'ann')).toBe('📎 the report');
    // A deleted message has lost its attachments.
    const deleted = { ...last(d, '', [pdf]), last_message: { ...last(d, '', [pdf]).last_message!, deleted_at: '2026-11-26T10:06:00Z' } };
    expect(previewText(deleted, 'ann')).toBe('Message deleted');
    // Rows from servers that do not send attachments yet still preview.
    const old = { ...d, last_message: { id: 'x', seq: 2, sender_id: 'bob', text: '', created_at: '2026-11-26T10:00:00Z' } } as unknown as typeof d;
    expect(previewText(old, 'ann')).toBe('(no text)');

    expect(attachmentsPreview([])).toBe('');
    expect(attachmentsPreview([{ ...pdf, name: 'x'.repeat(100) }])).toBe(`📎 ${'x'.repeat(59)}…`);
    expect(attachmentsPreview([{ ...png, content_type: 'IMAGE/GIF' }])).toBe('📷 Photo');
  });

  it('counts thread replies', () => {
    expect(repliesText(1)).toBe('1 reply');
    expect(repliesText(3)).toBe('3 replies');
  });

  it('filters like the server', () => {
    const d = entry(conversation('d', 'direct', ['ann', 'bob'], { lastSeq: 2 }), 'ann');
    const read = { ...d, unread_count: 0 };
    expect(matchesFilter(d, 'all')).toBe(true);
    expect(matchesFilter(d, 'unread')).toBe(true);
    expect(matchesFilter(read, 'unread')).toBe(false);
    expect(matchesFilter(d, 'direct')).toBe(true);
    expect(matchesFilter(d, 'group')).toBe(false);
    expect(matchesFilter(d, 'archived')).toBe(false);
    expect(matchesFilter({ ...d, archived: true }, 'archived')).toBe(true);
    expect(matchesFilter({ ...d, archived: true }, 'all')).toBe(false);
    expect(matchesFilter({ ...d, pinned: true }, 'pinned')).toBe(true);
    expect(matchesFilter(d, 'pinned')).toBe(false);
  });

  it('sorts by activity and appends pages without repeats', () => {
    const a = entry(conversation('a', 'direct', ['ann', 'bob'], { at: '2026-11-26T10:00:00Z' }), 'ann');
    const b = entry(conversation('b', 'direct', ['ann', 'cy'], { at: '2026-11-26T11:00:00Z' }), 'ann');
    const c = entry(conversation('c', 'direct', ['ann', 'dan'], { at: '2026-11-26T11:00:00Z' }), 'ann');
    expect(ids(sortEntries([a, b, c]))).toEqual(['c', 'b', 'a']);
    expect(ids(appendPage([c, b], [b, a]))).toEqual(['c', 'b', 'a']);
  });

  it('moves a conversation up on message.new and counts it unread unless it is mine', () => {
    const a = entry(conversation('a', 'direct', ['ann', 'bob'], { at: '2026-11-26T10:00:00Z', lastSeq: 1, lastRead: { ann: 1 } }), 'ann');
    const b = entry(conversation('b', 'direct', ['ann', 'cy'], { at: '2026-11-26T09:30:00Z' }), 'ann');
    const fromBob = message('a', 2, 'bob', 'hi ann');
    let r = applyMessageNew([b, a], fromBob, 'ann', 'all');
    expect(r.unknown).toBe(false);
    expect(ids(r.entries)).toEqual(['a', 'b']);
    expect(r.entries[0]).toMatchObject({ unread_count: 1, last_read_seq: 1, last_message: { text: 'hi ann', seq: 2, deleted_at: null, attachments: [] } });
    const file = { id: 'f-1', name: 'photo.png', content_type: 'image/png', size: 10 };
    const withFile = applyMessageNew(r.entries, message('a', 3, 'bob', '', { attachments: [file] }), 'ann', 'all');
    expect(withFile.entries[0]?.last_message?.attachments).toEqual([file]);
    expect(previewText(withFile.entries[0]!, 'ann')).toBe('📷 Photo');
    r = applyMessageNew(r.entries, message('a', 3, 'ann', 'back'), 'ann', 'all');
    expect(r.entries[0]).toMatchObject({ unread_count: 0, last_read_seq: 3, last_message: { text: 'back' } });
    expect(applyMessageNew([b], fromBob, 'ann', 'all')).toEqual({ entries: [b], unknown: true });
    // An older message (e.g. replayed) does not replace the preview.
    r = applyMessageNew(r.entries, message('a', 2, 'bob', 'old'), 'ann', 'all');
    expect(r.entries[0]?.last_message?.text).toBe('back');
  });

  it('drops a row that leaves the filter, unless it is the open one', () => {
    const a = entry(conversation('a', 'direct', ['ann', 'bob'], { lastSeq: 2 }), 'ann');
    const receipt = { conversation_id: 'a', user_id: 'ann', last_read_seq: 2 };
    expect(applyReceipt([a], receipt, 'ann', 'unread')).toEqual([]);
    const kept = applyReceipt([a], receipt, 'ann', 'unread', 'a');
    expect(kept[0]).toMatchObject({ unread_count: 0, last_read_seq: 2 });
    // Someone else's receipt only moves their member position.
    const other = applyReceipt([a], { ...receipt, user_id: 'bob' }, 'ann', 'all');
    expect(other[0]?.unread_count).toBe(2);
    expect(other[0]?.conversation.members.find((m) => m.user_id === 'bob')?.last_read_seq).toBe(2);
  });

  it('applies settings, edits, deletions and new conversations', () => {
    const a = entry(conversation('a', 'direct', ['ann', 'bob'], { lastSeq: 1 }), 'ann');
    const settings = { conversation_id: 'a', muted_until: null, archived: true, pinned: false };
    expect(applySettings([a], settings, 'all').entries).toEqual([]);
    expect(applySettings([a], settings, 'archived').entries[0]?.archived).toBe(true);
    expect(applySettings([], settings, 'archived').unknown).toBe(true);

    const edited = applyMessageChanged([a], message('a', 1, 'bob', 'edited', { id: 'a-m1' }));
    expect(edited[0]?.last_message?.text).toBe('edited');
    expect(applyMessageChanged([a], message('a', 0, 'bob', 'x', { id: 'other' }))).toEqual([a]);
    const file = { id: 'f-1', name: 'a.pdf', content_type: 'application/pdf', size: 10 };
    const withFile = [{ ...a, last_message: { ...a.last_message!, text: '', attachments: [file] } }];
    const gone = applyMessageChanged(withFile, message('a', 1, 'bob', '', { id: 'a-m1', deleted_at: '2026-11-26T10:06:00Z' }));
    expect(gone[0]?.last_message).toMatchObject({ text: '', attachments: [], deleted_at: '2026-11-26T10:06:00Z' });
    expect(previewText(gone[0]!, 'ann')).toBe('Message deleted');

    const g = conversation('g', 'group', ['bob', 'ann'], { name: 'G', at: '2026-11-27T00:00:00Z' });
    const added = addConversation([a], g, 'ann', 'all');
    expect(ids(added)).toEqual(['g', 'a']);
    expect(added[0]).toMatchObject({ member_count: 2, unread_count: 0, last_message: null });
    expect(addConversation(added, g, 'ann', 'all')).toHaveLength(2);
    expect(addConversation([a], g, 'ann', 'direct')).toEqual([a]);
    expect(entryOf(conversation('h', 'group', ['bob', 'ann'], { lastSeq: 3 }), 'ann').unread_count).toBe(3);
  });

  it('parses member ids', () => {
    expect(parseUserIds(' bob, cy ,,bob  dan;eve ')).toEqual(['bob', 'cy', 'dan', 'eve']);
    expect(parseUserIds(' , ')).toEqual([]);
  });
});

describe('chat window logic', () => {
  it('merges pages and live messages by id in seq order', () => {
    const m1 = message('c', 1, 'ann');
    const m2 = message('c', 2, 'bob');
    const m3 = message('c', 3, 'ann');
    expect(mergeMessages([m2, m3], [m1, { ...m2, text: 'new' }]).map((m) => [m.seq, m.text])).toEqual([
      [1, 'm1'],
      [2, 'new'],
      [3, 'm3'],
    ]);
  });

  it('keeps my reactions when a changed message arrives without them', () => {
    const mine = message('c', 1, 'ann', 'x', { reactions: { counts: { '👍': 1 }, mine: ['👍'] } });
    const changed = message('c', 1, 'ann', 'y', { edited_at: '2026-11-26T10:05:00Z', reactions: { counts: { '👍': 1 }, mine: [] } });
    const [after] = applyChangedMessage([mine], changed);
    expect(after).toMatchObject({ text: 'y', reactions: { mine: ['👍'] } });
    expect(applyChangedMessage([mine], { ...changed, id: 'zz' })).toEqual([mine]);
  });

  it('applies reaction events to counts and to my own reactions', () => {
    const m = message('c', 1, 'bob');
    const ev = { conversation_id: 'c', message_id: m.id, seq: 1, user_id: 'ann', kind: '👍', counts: { '👍': 1 } };
    let [after] = applyReactionEvent([m], ev, true, 'ann');
    expect(after?.reactions).toEqual({ counts: { '👍': 1 }, mine: ['👍'] });
    [after] = applyReactionEvent([after!], { ...ev, user_id: 'bob', counts: { '👍': 2 } }, true, 'ann');
    expect(after?.reactions).toEqual({ counts: { '👍': 2 }, mine: ['👍'] });
    [after] = applyReactionEvent([after!], { ...ev, counts: { '👍': 1 } }, false, 'ann');
    expect(after?.reactions).toEqual({ counts: { '👍': 1 }, mine: [] });
    expect(reactionChips({ ...m, reactions: { counts: { '🎉': 2, '👍': 1 }, mine: ['🎉'] } }, ['👍', '❤️'])).toEqual([
      { kind: '👍', count: 1, mine: false },
      { kind: '❤️', count: 0, mine: false },
      { kind: '🎉', count: 2, mine: true },
    ]);
  });

  it('shows Seen under my newest message once another member read it', () => {
    const msgs = [message('c', 1, 'ann'), message('c', 2, 'bob'), message('c', 3, 'ann'), message('c', 4, 'bob', '', { deleted_at: 'x' })];
    expect(receiptFor(msgs, 'ann', new Map([['ann', 3], ['bob', 2]]))).toEqual({ messageId: 'c-m3', seq: 3, seenBy: [] });
    expect(receiptFor(msgs, 'ann', new Map([['bob', 3], ['cy', 4], ['dan', 1]]))).toEqual({ messageId: 'c-m3', seq: 3, seenBy: ['bob', 'cy'] });
    expect(receiptFor([message('c', 1, 'bob')], 'ann', new Map([['bob', 1]]))).toBeUndefined();
    const deletedLast = [message('c', 1, 'ann'), message('c', 2, 'ann', '', { deleted_at: 'x' })];
    expect(receiptFor(deletedLast, 'ann', new Map([['bob', 1]]))?.messageId).toBe('c-m1');
  });

  it('words the typing indicator', () => {
    expect(typingText([])).toBe('');
    expect(typingText(['bob'])).toBe('bob is typing…');
    expect(typingText(['bob', 'cy'])).toBe('bob and cy are typing…');
    expect(typingText(['bob', 'cy', 'dan'])).toBe('3 people are typing…');
  });

  it('throttles typing.start and sends one typing.stop', () => {
    const t = new TypingThrottle(3000);
    expect(t.stopped()).toBe(false);
    expect(t.typed(1000)).toBe(true);
    expect(t.typed(2000)).toBe(false);
    expect(t.typed(3999)).toBe(false);
    expect(t.typed(4000)).toBe(true);
    expect(t.active).toBe(true);
    expect(t.stopped()).toBe(true);
    expect(t.stopped()).toBe(false);
    expect(t.typed(4100)).toBe(true);
  });

  it('expires typing users after expires_in_ms unless refreshed', () => {
    vi.useFakeTimers();
    const seen: string[][] = [];
    const tracker = new TypingTracker((users) => seen.push(users));
    tracker.start('bob', 6000);
    tracker.start('cy', 6000);
    vi.advanceTimersByTime(4000);
    tracker.start('bob', 6000); // refreshed: no change reported
    vi.advanceTimersByTime(2000);
    expect(tracker.users).toEqual(['bob']);
    tracker.stop('bob');
    tracker.stop('bob');
    tracker.start('dan', 100);
    tracker.clear();
    vi.advanceTimersByTime(10_000);
    expect(seen).toEqual([['bob'], ['bob', 'cy'], ['bob'], [], ['dan'], []]);
  });

  it('helps with scrolling and times', () => {
    expect(nearEnd({ scrollTop: 100, clientHeight: 300, scrollHeight: 450 })).toBe(true);
    expect(nearEnd({ scrollTop: 0, clientHeight: 300, scrollHeight: 1000 })).toBe(false);
    const now = new Date(2026, 10, 26, 15, 0);
    expect(shortTime(new Date(2026, 10, 26, 9, 5).toISOString(), now)).toBe('09:05');
    expect(shortTime(new Date(2026, 2, 3, 9, 5).toISOString(), now)).toBe('3 Mar');
    expect(shortTime(new Date(2025, 2, 3, 9, 5).toISOString(), now)).toBe('3 Mar 2025');
    expect(shortTime(null)).toBe('');
  });
});

describe('attachments', () => {
  const a = (content_type: string, dims?: [number, number]) => ({
    id: 'f',
    name: 'f',
    content_type,
    size: 1,
    ...(dims ? { width: dims[0], height: dims[1] } : {}),
  });

  it('shows PNG and JPEG with dimensions as thumbnails, other images as files, the rest as links', () => {
    expect(attachmentKind(a('image/png', [10, 10]))).toBe('thumbnail');
    expect(attachmentKind(a('image/jpeg', [10, 10]))).toBe('thumbnail');
    expect(attachmentKind(a('image/png'))).toBe('image'); // the server could not decode it: no thumbnail
    expect(attachmentKind(a('image/gif'))).toBe('image');
    expect(attachmentKind(a('image/webp', [10, 10]))).toBe('image');
    expect(attachmentKind(a('application/pdf'))).toBe('file');
    expect(attachmentKind(a('text/plain'))).toBe('file');
  });

  it('fits image sizes in a box without enlarging them', () => {
    expect(fitWithin(1000, 500)).toEqual({ width: 240, height: 120 });
    expect(fitWithin(500, 1000)).toEqual({ width: 120, height: 240 });
    expect(fitWithin(100, 50)).toEqual({ width: 100, height: 50 });
    expect(fitWithin(10_000, 1)).toEqual({ width: 240, height: 1 });
    expect(fitWithin(300, 300, 100)).toEqual({ width: 100, height: 100 });
    expect(fitWithin(0, 10)).toEqual({ width: 240, height: 240 });
  });

  it('formats byte counts', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024)).toBe('1 KB');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(20 * 1024)).toBe('20 KB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5 MB');
    expect(formatBytes(1.25 * 1024 ** 3)).toBe('1.3 GB');
  });

  it('tells a drag of files from other drags', () => {
    expect(dragHasFiles({ types: ['Files'] })).toBe(true);
    expect(dragHasFiles({ types: ['text/plain', 'Files'] })).toBe(true);
    expect(dragHasFiles({ types: ['text/uri-list'] })).toBe(false);
    expect(dragHasFiles(null)).toBe(false);
    expect(dragHasFiles(undefined)).toBe(false);
  });
});
