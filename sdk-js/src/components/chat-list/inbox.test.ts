import { describe, expect, it } from 'vitest';

import type { Attachment } from '../../files/types.js';
import { conversation, entry, message } from '../../testing/fake-server.js';
import { repliesText } from '../chat-window/message-logic.js';
import { attachmentsPreview } from '../shared/attachments.js';
import {
  addConversation,
  appendPage,
  applyMessageChanged,
  applyMessageNew,
  applyReceipt,
  applySettings,
  conversationTitle,
  entryOf,
  matchesFilter,
  parseUserIds,
  previewText,
  sortEntries,
} from './inbox.js';

const ids = (entries: { conversation: { id: string } }[]): string[] => entries.map((e) => e.conversation.id);

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
