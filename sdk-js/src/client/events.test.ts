import { describe, expect, it } from 'vitest';

import { ClientEvent, TypedEmitter } from './events.js';

type TestEvents = {
  a: [n: number];
  b: [s: string, flag: boolean];
};

describe('TypedEmitter', () => {
  it('calls listeners in order with the arguments', () => {
    const e = new TypedEmitter<TestEvents>();
    const got: string[] = [];
    e.on('a', (n) => got.push(`1:${n}`));
    e.on('a', (n) => got.push(`2:${n}`));
    e.on('b', (s, flag) => got.push(`${s}:${flag}`));
    expect(e.emit('a', 7)).toBe(true);
    e.emit('b', 'x', true);
    expect(got).toEqual(['1:7', '2:7', 'x:true']);
  });

  it('removes listeners with off() and with the returned function', () => {
    const e = new TypedEmitter<TestEvents>();
    const got: number[] = [];
    const l1 = (n: number): void => {
      got.push(n);
    };
    e.on('a', l1);
    const off2 = e.on('a', (n) => got.push(n * 10));
    e.off('a', l1);
    off2();
    expect(e.emit('a', 1)).toBe(false);
    expect(got).toEqual([]);
    expect(e.listenerCount('a')).toBe(0);
  });

  it('calls once() listeners a single time and lets off() remove them', () => {
    const e = new TypedEmitter<TestEvents>();
    const got: number[] = [];
    const l = (n: number): void => {
      got.push(n);
    };
    e.once('a', l);
    e.emit('a', 1);
    e.emit('a', 2);
    e.once('a', l);
    e.off('a', l);
    e.emit('a', 3);
    expect(got).toEqual([1]);
  });

  it('keeps going when a listener throws and reports the error', () => {
    const e = new TypedEmitter<TestEvents>();
    const errors: Array<[unknown, string]> = [];
    e.onListenerError = (error, event) => errors.push([error, event]);
    const got: number[] = [];
    e.on('a', () => {
      throw new Error('boom');
    });
    e.on('a', (n) => got.push(n));
    e.emit('a', 5);
    expect(got).toEqual([5]);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.[1]).toBe('a');
  });

  it('lets a listener remove itself while the event is emitted', () => {
    const e = new TypedEmitter<TestEvents>();
    const got: string[] = [];
    const off = e.on('a', () => {
      got.push('first');
      off();
    });
    e.on('a', () => got.push('second'));
    e.emit('a', 0);
    e.emit('a', 0);
    expect(got).toEqual(['first', 'second', 'second']);
  });

  it('removes all listeners', () => {
    const e = new TypedEmitter<TestEvents>();
    e.on('a', () => undefined);
    e.on('b', () => undefined);
    e.removeAllListeners('a');
    expect(e.listenerCount('a')).toBe(0);
    expect(e.listenerCount('b')).toBe(1);
    e.removeAllListeners();
    expect(e.listenerCount('b')).toBe(0);
  });
});

describe('ClientEvent', () => {
  it('uses the wire names of server events', () => {
    expect(ClientEvent.Connected).toBe('connected');
    expect(ClientEvent.Disconnected).toBe('disconnected');
    expect(ClientEvent.Reconnecting).toBe('reconnecting');
    expect(ClientEvent.SessionReady).toBe('session.ready');
    expect(ClientEvent.MessageNew).toBe('message.new');
    expect(ClientEvent.ConversationCreated).toBe('conversation.created');
    expect(ClientEvent.ReceiptRead).toBe('receipt.read');
    expect(ClientEvent.ConversationSettings).toBe('conversation.settings');
    expect(ClientEvent.MessageUpdated).toBe('message.updated');
    expect(ClientEvent.MessageDeleted).toBe('message.deleted');
    expect(ClientEvent.MessagePinned).toBe('message.pinned');
    expect(ClientEvent.ReactionAdded).toBe('reaction.added');
    expect(ClientEvent.ReactionRemoved).toBe('reaction.removed');
    expect(ClientEvent.MemberAdded).toBe('member.added');
    expect(ClientEvent.MemberRemoved).toBe('member.removed');
    expect(ClientEvent.MemberUpdated).toBe('member.updated');
    expect(ClientEvent.ContactRequested).toBe('contact.requested');
    expect(ClientEvent.ContactAccepted).toBe('contact.accepted');
    expect(ClientEvent.ContactDeclined).toBe('contact.declined');
    expect(ClientEvent.ContactCancelled).toBe('contact.cancelled');
    expect(ClientEvent.ContactRemoved).toBe('contact.removed');
    expect(ClientEvent.UserFollowed).toBe('user.followed');
    expect(ClientEvent.Typing).toBe('typing');
    expect(ClientEvent.Presence).toBe('presence');
  });
});
