import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { ClientEvent } from '../client/events.js';
import { DEFAULT_RECONNECT } from '../core/backoff.js';
import { FakeWebSocket, connected, flush, makeClient, message } from '../testing/fake-ws.js';
import type { Message } from './types.js';

beforeEach(() => {
  FakeWebSocket.instances = [];
});

afterEach(() => {
  vi.useRealTimers();
});

describe('chat API', () => {
  it('sends messages with a generated client_msg_id', async () => {
    const { client, ws } = await connected();
    const sent = client.messages.send('c-1', 'hi', { payload: { kind: 'pin', lat: 1.5 } });
    const req = ws.lastRequest();
    expect(req.op).toBe('message.send');
    expect(req.data['conversation_id']).toBe('c-1');
    expect(req.data['text']).toBe('hi');
    expect(req.data['payload']).toEqual({ kind: 'pin', lat: 1.5 });
    expect(req.data['client_msg_id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    ws.reply(req.id, { message: message(5, String(req.data['client_msg_id'])) });
    expect((await sent).seq).toBe(5);
  });

  it('resends with the same client_msg_id after a reconnect', async () => {
    vi.useFakeTimers();
    const { client, ws } = await connected();
    const sent = client.messages.send('c-1', 'once', { clientMsgId: 'c-123' });
    const first = ws.lastRequest();
    expect(first.data['client_msg_id']).toBe('c-123');
    ws.serverClose(1006);
    await vi.advanceTimersByTimeAsync(DEFAULT_RECONNECT.initialDelayMs);
    const next = FakeWebSocket.last();
    next.accept('10');
    await flush();
    const again = next.lastRequest();
    expect(again.op).toBe('message.send');
    expect(again.data).toEqual(first.data);
    next.reply(again.id, { message: message(7, 'c-123') });
    expect((await sent).client_msg_id).toBe('c-123');
  });

  it('resends a generated client_msg_id unchanged after a timeout', async () => {
    vi.useFakeTimers();
    const { client, ws } = await connected({ requestTimeoutMs: 1000 });
    const sent = client.messages.send('c-1', 'slow');
    await vi.advanceTimersByTimeAsync(1000);
    const [a, b] = ws.requests;
    expect(b).toBeDefined();
    expect(b?.data['client_msg_id']).toBe(a?.data['client_msg_id']);
    expect(b?.id).not.toBe(a?.id);
    ws.reply(b!.id, { message: message(8) });
    expect((await sent).seq).toBe(8);
  });

  it('does not resend a refused message', async () => {
    const { client, ws } = await connected();
    const sent = client.messages.send('c-1', '');
    ws.replyError(ws.lastRequest().id, 'empty_message', 'a message needs text or a payload');
    await expect(sent).rejects.toMatchObject({ code: 'empty_message' });
    expect(ws.requests).toHaveLength(1);
  });

  it('fails without resending when the client is not connected', async () => {
    const client = makeClient();
    await expect(client.messages.send('c-1', 'x')).rejects.toMatchObject({ code: 'not_connected' });
  });

  it('maps the conversation ops to the wire', async () => {
    const { client, ws } = await connected();
    const answer = (data: unknown): void => ws.reply(ws.lastRequest().id, data);
    const conversation = {
      id: 'c-9',
      kind: 'group',
      name: 'Trio',
      avatar_url: 'https://x/a.png',
      description: null,
      custom: { team: 7 },
      created_by: 'ann',
      created_at: '2026-11-26T10:00:00Z',
      updated_at: '2026-11-26T10:00:00Z',
      last_seq: 0,
      last_message_at: null,
      members: [],
    };

    const created = client.conversations.create({
      kind: 'group',
      members: ['bob', 'cy'],
      name: 'Trio',
      avatarUrl: 'https://x/a.png',
      custom: { team: 7 },
    });
    expect(ws.lastRequest()).toMatchObject({
      op: 'conversation.create',
      data: { kind: 'group', members: ['bob', 'cy'], name: 'Trio', avatar_url: 'https://x/a.png', custom: { team: 7 } },
    });
    answer({ conversation });
    expect((await created).id).toBe('c-9');

    const got = client.conversations.get('c-9');
    expect(ws.lastRequest()).toMatchObject({ op: 'conversation.get', data: { conversation_id: 'c-9' } });
    answer({ conversation });
    expect((await got).name).toBe('Trio');

    const hist = client.conversations.history('c-9', { beforeSeq: 12, limit: 2 });
    expect(ws.lastRequest()).toMatchObject({
      op: 'conversation.history',
      data: { conversation_id: 'c-9', before_seq: 12, limit: 2 },
    });
    answer({ messages: [message(10), message(11)] });
    expect((await hist).map((m) => m.seq)).toEqual([10, 11]);

    const thread = client.conversations.history('c-9', { parentId: 'm-3', afterSeq: 4, aroundSeq: 6, limit: 20 });
    expect(ws.lastRequest().data).toEqual({ conversation_id: 'c-9', parent_id: 'm-3', after_seq: 4, around_seq: 6, limit: 20 });
    answer({ messages: [{ ...message(7), parent_id: 'm-3' }] });
    expect((await thread).map((m) => m.parent_id)).toEqual(['m-3']);

    const list = client.conversations.list({ filter: 'unread', q: 'tri', limit: 2 });
    expect(ws.lastRequest()).toMatchObject({ op: 'conversation.list', data: { filter: 'unread', q: 'tri', limit: 2 } });
    expect(Object.keys(ws.lastRequest().data)).not.toContain('cursor');
    answer({ conversations: [], next_cursor: null });
    expect((await list).conversations).toEqual([]);

    const read = client.conversations.markRead('c-9', 11);
    expect(ws.lastRequest()).toMatchObject({ op: 'message.read', data: { conversation_id: 'c-9', seq: 11 } });
    answer({ conversation_id: 'c-9', last_read_seq: 11 });
    expect((await read).last_read_seq).toBe(11);

    const muted = client.conversations.updateSettings('c-9', { mutedUntil: new Date('2030-01-01T00:00:00Z'), pinned: true });
    expect(ws.lastRequest()).toMatchObject({
      op: 'conversation.settings',
      data: { conversation_id: 'c-9', muted_until: '2030-01-01T00:00:00.000Z', pinned: true },
    });
    expect(Object.keys(ws.lastRequest().data)).not.toContain('archived');
    answer({ conversation_id: 'c-9', muted_until: '2030-01-01T00:00:00Z', archived: false, pinned: true });
    expect((await muted).pinned).toBe(true);

    const unmuted = client.conversations.updateSettings('c-9', { mutedUntil: null });
    expect(ws.lastRequest().data).toEqual({ conversation_id: 'c-9', muted_until: null });
    answer({ conversation_id: 'c-9', muted_until: null, archived: false, pinned: true });
    expect((await unmuted).muted_until).toBeNull();
  });

  it('sends replies, thread posts and mentions', async () => {
    const { client, ws } = await connected();
    const sent = client.messages.send('c-1', 'quoting', { replyTo: 'm-4', parentId: 'm-1', mentions: ['bob'], clientMsgId: 'k-1' });
    expect(ws.lastRequest()).toMatchObject({
      op: 'message.send',
      data: { conversation_id: 'c-1', text: 'quoting', client_msg_id: 'k-1', reply_to: 'm-4', parent_id: 'm-1', mentions: ['bob'] },
    });
    ws.reply(ws.lastRequest().id, { message: { ...message(6, 'k-1'), reply_to: 'm-4' } });
    expect((await sent).reply_to).toBe('m-4');
    const plain = client.messages.send('c-1', 'plain');
    expect(Object.keys(ws.lastRequest().data).sort()).toEqual(['client_msg_id', 'conversation_id', 'text']);
    ws.reply(ws.lastRequest().id, { message: message(7) });
    await plain;
  });

  it('maps the message change ops to the wire', async () => {
    const { client, ws } = await connected();
    const answer = (m: Message): void => ws.reply(ws.lastRequest().id, { message: m });

    const edited = client.messages.edit('m-5', 'better');
    expect(ws.lastRequest()).toMatchObject({ op: 'message.edit', data: { message_id: 'm-5', text: 'better' } });
    answer({ ...message(5), text: 'better', edited_at: '2026-11-26T10:01:00Z' });
    expect((await edited).edited_at).toBe('2026-11-26T10:01:00Z');

    const deleted = client.messages.delete('m-5');
    expect(ws.lastRequest()).toMatchObject({ op: 'message.delete', data: { message_id: 'm-5' } });
    expect(Object.keys(ws.lastRequest().data)).toEqual(['message_id']);
    answer({ ...message(5), text: '', deleted_at: '2026-11-26T10:02:00Z' });
    expect((await deleted).deleted_at).not.toBeNull();

    const pinned = client.messages.pin('m-5');
    expect(ws.lastRequest()).toMatchObject({ op: 'message.pin', data: { message_id: 'm-5', pinned: true } });
    answer({ ...message(5), pinned_at: '2026-11-26T10:03:00Z' });
    expect((await pinned).pinned_at).not.toBeNull();
    const unpinned = client.messages.pin('m-5', false);
    expect(ws.lastRequest().data).toEqual({ message_id: 'm-5', pinned: false });
    answer(message(5));
    expect((await unpinned).pinned_at).toBeNull();

    const reacted = client.messages.addReaction('m-5', '👍');
    expect(ws.lastRequest()).toMatchObject({ op: 'reaction.add', data: { message_id: 'm-5', kind: '👍' } });
    answer({ ...message(5), reactions: { counts: { '👍': 2 }, mine: ['👍'] } });
    expect((await reacted).reactions).toEqual({ counts: { '👍': 2 }, mine: ['👍'] });

    const unreacted = client.messages.removeReaction('m-5', '👍');
    expect(ws.lastRequest()).toMatchObject({ op: 'reaction.remove', data: { message_id: 'm-5', kind: '👍' } });
    answer({ ...message(5), reactions: { counts: { '👍': 1 }, mine: [] } });
    expect((await unreacted).reactions.mine).toEqual([]);

    const refused = client.messages.edit('m-6', 'not mine');
    ws.replyError(ws.lastRequest().id, 'forbidden', 'only the sender may edit a message');
    await expect(refused).rejects.toMatchObject({ name: 'RequestError', code: 'forbidden', op: 'message.edit' });
  });

  it('maps typing and presence to the wire', async () => {
    const { client, ws } = await connected();
    const started = client.typing.start('c-1');
    expect(ws.lastRequest()).toMatchObject({ op: 'typing.start', data: { conversation_id: 'c-1' } });
    ws.reply(ws.lastRequest().id, {});
    await expect(started).resolves.toBeUndefined();
    const stopped = client.typing.stop('c-1');
    expect(ws.lastRequest()).toMatchObject({ op: 'typing.stop', data: { conversation_id: 'c-1' } });
    ws.reply(ws.lastRequest().id, {});
    await expect(stopped).resolves.toBeUndefined();

    const set = client.presence.set('away');
    expect(ws.lastRequest()).toMatchObject({ op: 'presence.set', data: { status: 'away' } });
    ws.reply(ws.lastRequest().id, { status: 'away' });
    await expect(set).resolves.toBe('away');

    const sub = client.presence.subscribe(['bob', 'cy']);
    expect(ws.lastRequest()).toMatchObject({ op: 'presence.subscribe', data: { user_ids: ['bob', 'cy'] } });
    ws.reply(ws.lastRequest().id, { presence: [{ user_id: 'bob', status: 'offline', last_seen: '2026-11-26T09:00:00Z' }] });
    expect(await sub).toEqual([{ user_id: 'bob', status: 'offline', last_seen: '2026-11-26T09:00:00Z' }]);
  });

  it('emits the message, reaction, member, typing and presence pushes typed', async () => {
    const { client, ws } = await connected();
    const seen: string[] = [];
    client.on(ClientEvent.MessageUpdated, ({ message: m, by }, frame) => seen.push(`updated:${m.text}:${by}:${frame.cursor}`));
    client.on(ClientEvent.MessageDeleted, ({ message: m }) => seen.push(`deleted:${m.id}:${m.deleted_at !== null}`));
    client.on(ClientEvent.MessagePinned, ({ message: m }) => seen.push(`pinned:${m.pinned_at !== null}`));
    client.on(ClientEvent.ReactionAdded, (r) => seen.push(`reaction+:${r.kind}:${r.counts[r.kind]}:${r.user_id}`));
    client.on(ClientEvent.ReactionRemoved, (r) => seen.push(`reaction-:${r.kind}:${r.counts[r.kind] ?? 0}`));
    client.on(ClientEvent.MemberAdded, (m) => seen.push(`added:${m.user_ids.join(',')}:${m.conversation.id}`));
    client.on(ClientEvent.MemberRemoved, (m) => seen.push(`removed:${m.user_id}:${m.left}`));
    client.on(ClientEvent.MemberUpdated, (m) => seen.push(`role:${m.user_id}:${m.role}`));
    client.on(ClientEvent.Typing, (t, frame) => seen.push(`typing:${t.user_id}:${t.typing}:${t.expires_in_ms}:${frame.cursor ?? '-'}`));
    client.on(ClientEvent.Presence, (p) => seen.push(`presence:${p.user_id}:${p.status}`));

    ws.push({ event: 'message.updated', data: { message: { ...message(5), text: 'v2' }, by: 'ann' }, cursor: '11' });
    ws.push({ event: 'message.deleted', data: { message: { ...message(5), deleted_at: '2026-11-26T10:02:00Z' }, by: 'ann' }, cursor: '12' });
    ws.push({ event: 'message.pinned', data: { message: { ...message(5), pinned_at: '2026-11-26T10:03:00Z' }, by: 'bob' }, cursor: '13' });
    const reaction = { conversation_id: 'c-1', message_id: 'm-5', seq: 5, user_id: 'bob', kind: '👍', counts: { '👍': 1 } };
    ws.push({ event: 'reaction.added', data: reaction, cursor: '14' });
    ws.push({ event: 'reaction.removed', data: { ...reaction, counts: {} }, cursor: '15' });
    ws.push({ event: 'member.added', data: { conversation_id: 'c-1', by: 'ann', user_ids: ['cy'], conversation: { id: 'c-1' } }, cursor: '16' });
    ws.push({ event: 'member.removed', data: { conversation_id: 'c-1', by: 'cy', user_id: 'cy', left: true }, cursor: '17' });
    ws.push({ event: 'member.updated', data: { conversation_id: 'c-1', by: 'ann', user_id: 'bob', role: 'admin' }, cursor: '18' });
    ws.push({ event: 'typing', data: { conversation_id: 'c-1', user_id: 'bob', typing: true, expires_in_ms: 6000 } });
    ws.push({ event: 'presence', data: { user_id: 'bob', status: 'online', last_seen: null } });
    expect(seen).toEqual([
      'updated:v2:ann:11',
      'deleted:m-5:true',
      'pinned:true',
      'reaction+:👍:1:bob',
      'reaction-:👍:0',
      'added:cy:c-1',
      'removed:cy:true',
      'role:bob:admin',
      'typing:bob:true:6000:-',
      'presence:bob:online',
    ]);
    // Ephemeral events leave the cursor alone.
    expect(client.cursor).toBe('18');
  });

  it('emits the contact and follow pushes typed, with their cursors', async () => {
    const { client, ws } = await connected();
    const seen: string[] = [];
    client.on(ClientEvent.ContactRequested, ({ from, to }, frame) => seen.push(`requested:${from}->${to}@${frame.cursor}`));
    client.on(ClientEvent.ContactAccepted, ({ user_id }, frame) => seen.push(`accepted:${user_id}@${frame.cursor}`));
    client.on(ClientEvent.ContactDeclined, ({ user_id }, frame) => seen.push(`declined:${user_id}@${frame.cursor}`));
    client.on(ClientEvent.ContactCancelled, ({ user_id }, frame) => seen.push(`cancelled:${user_id}@${frame.cursor}`));
    client.on(ClientEvent.ContactRemoved, ({ user_id }, frame) => seen.push(`removed:${user_id}@${frame.cursor}`));
    client.on(ClientEvent.UserFollowed, ({ follower, followee }, frame) => seen.push(`followed:${follower}->${followee}@${frame.cursor}`));

    // The frames of docs/protocol.md, "Events".
    ws.push({ event: 'contact.requested', data: { from: 'ann', to: 'dee' }, cursor: '54' });
    ws.push({ event: 'contact.accepted', data: { user_id: 'cy' }, cursor: '55' });
    ws.push({ event: 'contact.declined', data: { user_id: 'ann' }, cursor: '56' });
    ws.push({ event: 'contact.cancelled', data: { user_id: 'ann' }, cursor: '57' });
    ws.push({ event: 'contact.removed', data: { user_id: 'bob' }, cursor: '58' });
    ws.push({ event: 'user.followed', data: { follower: 'cy', followee: 'ann' }, cursor: '59' });
    expect(seen).toEqual([
      'requested:ann->dee@54',
      'accepted:cy@55',
      'declined:ann@56',
      'cancelled:ann@57',
      'removed:bob@58',
      'followed:cy->ann@59',
    ]);
    // They are persistent: the client resumes after the newest.
    expect(client.cursor).toBe('59');
  });
});
