import { afterEach, describe, expect, it, vi } from 'vitest';

import { message } from '../../testing/fake-server.js';
import {
  applyChangedMessage,
  applyReactionEvent,
  mergeMessages,
  reactionChips,
  receiptFor,
  typingText,
  TypingThrottle,
  TypingTracker,
} from './message-logic.js';

afterEach(() => {
  vi.useRealTimers();
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
});
