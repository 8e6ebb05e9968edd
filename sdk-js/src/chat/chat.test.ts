import { afterEach, describe, expect, it } from 'vitest';

import type { CaasClient } from '../client/client.js';
import { RequestError } from '../core/errors.js';
import { FakeServer, Refusal, conversation, message, user } from '../testing/fake-server.js';
import type { SocialGraph } from './social-types.js';

const clients: CaasClient[] = [];

afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
});

async function connect(server: FakeServer): Promise<CaasClient> {
  const client = await server.client();
  clients.push(client);
  return client;
}

const GRAPH: SocialGraph = {
  contacts: ['bob'],
  incoming: ['cy'],
  outgoing: ['dee'],
  following: ['bob'],
  followers: ['cy'],
  blocked: [],
  muted: [],
};

describe('conversation membership', () => {
  it('sends member.add, member.remove, member.role, conversation.leave and conversation.transfer', async () => {
    const server = new FakeServer(user('ann'));
    const group = conversation('g1', 'group', ['ann', 'bob', 'cy'], { name: 'Team' });
    for (const op of ['member.add', 'member.remove', 'member.role', 'conversation.leave', 'conversation.transfer']) {
      server.on(op, () => ({ conversation: group }));
    }
    const client = await connect(server);

    await expect(client.conversations.addMembers('g1', ['dee', 'eve'])).resolves.toEqual(group);
    await expect(client.conversations.removeMember('g1', 'dee')).resolves.toEqual(group);
    await expect(client.conversations.setRole('g1', 'bob', 'admin')).resolves.toEqual(group);
    await expect(client.conversations.transfer('g1', 'bob')).resolves.toEqual(group);
    await expect(client.conversations.leave('g1')).resolves.toEqual(group);

    expect(server.requests.map((r) => [r.op, r.data])).toEqual([
      ['member.add', { conversation_id: 'g1', user_ids: ['dee', 'eve'] }],
      ['member.remove', { conversation_id: 'g1', user_id: 'dee' }],
      ['member.role', { conversation_id: 'g1', user_id: 'bob', role: 'admin' }],
      ['conversation.transfer', { conversation_id: 'g1', user_id: 'bob' }],
      ['conversation.leave', { conversation_id: 'g1' }],
    ]);
  });

  it("rejects with the server's code", async () => {
    const server = new FakeServer(user('ann')).on('conversation.leave', () => {
      throw new Refusal('owner_must_transfer', 'hand the group over first');
    });
    const client = await connect(server);
    const err = await client.conversations.leave('g1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestError);
    expect(err).toMatchObject({ code: 'owner_must_transfer', op: 'conversation.leave' });
  });
});

describe('contacts and users', () => {
  it('sends contact.list and the contact ops with user_id, resolving with the graph', async () => {
    const server = new FakeServer(user('ann'));
    for (const op of ['contact.list', 'contact.request', 'contact.accept', 'contact.decline', 'contact.cancel', 'contact.remove']) {
      server.on(op, () => GRAPH);
    }
    const client = await connect(server);
    await expect(client.contacts.list()).resolves.toEqual(GRAPH);
    await expect(client.contacts.request('dee')).resolves.toEqual(GRAPH);
    await client.contacts.accept('cy');
    await client.contacts.decline('cy');
    await client.contacts.cancel('dee');
    await client.contacts.remove('bob');
    expect(server.requests.map((r) => [r.op, r.data])).toEqual([
      ['contact.list', {}],
      ['contact.request', { user_id: 'dee' }],
      ['contact.accept', { user_id: 'cy' }],
      ['contact.decline', { user_id: 'cy' }],
      ['contact.cancel', { user_id: 'dee' }],
      ['contact.remove', { user_id: 'bob' }],
    ]);
  });

  it('sends the user relation ops and user.search', async () => {
    const server = new FakeServer(user('ann'));
    for (const op of ['user.follow', 'user.unfollow', 'user.block', 'user.unblock', 'user.mute', 'user.unmute']) {
      server.on(op, () => ({ ...GRAPH, muted: op === 'user.mute' ? ['bob'] : [] }));
    }
    const found = [{ id: 'cy', name: 'Cy Lee', avatar_url: null, created_at: '2026-11-21T09:30:00Z' }];
    server.on('user.search', () => ({ users: found }));
    const client = await connect(server);
    await client.users.follow('bob');
    await client.users.unfollow('bob');
    await client.users.block('eve');
    await client.users.unblock('eve');
    await expect(client.users.mute('bob')).resolves.toMatchObject({ muted: ['bob'] });
    await client.users.unmute('bob');
    await expect(client.users.search('lee', { limit: 10 })).resolves.toEqual(found);
    await client.users.search('cy');
    expect(server.requests.map((r) => [r.op, r.data])).toEqual([
      ['user.follow', { user_id: 'bob' }],
      ['user.unfollow', { user_id: 'bob' }],
      ['user.block', { user_id: 'eve' }],
      ['user.unblock', { user_id: 'eve' }],
      ['user.mute', { user_id: 'bob' }],
      ['user.unmute', { user_id: 'bob' }],
      ['user.search', { q: 'lee', limit: 10 }],
      ['user.search', { q: 'cy' }],
    ]);
  });

  it('rejects a refused relation', async () => {
    const server = new FakeServer(user('ann')).on('contact.request', () => {
      throw new Refusal('already_contacts', 'you are contacts already');
    });
    const client = await connect(server);
    await expect(client.contacts.request('bob')).rejects.toMatchObject({ code: 'already_contacts' });
  });
});

describe('messages', () => {
  it('searches with message.search', async () => {
    const hits = [message('c1', 7, 'bob', 'lunch at noon')];
    const server = new FakeServer(user('ann')).on('message.search', () => ({ messages: hits }));
    const client = await connect(server);
    await expect(client.messages.search('lunch')).resolves.toEqual(hits);
    await client.messages.search('noon', { conversationId: 'c1', limit: 5 });
    expect(server.sent('message.search').map((r) => r.data)).toEqual([
      { q: 'lunch' },
      { q: 'noon', conversation_id: 'c1', limit: 5 },
    ]);
  });

  it('sends attachments with message.send, text optional', async () => {
    const attached = [{ id: 'f-1', name: 'cat.png', content_type: 'image/png', size: 10, width: 4, height: 3 }];
    const server = new FakeServer(user('ann')).on('message.send', (data) => ({
      message: message('c1', 1, 'ann', String(data['text']), { attachments: attached }),
    }));
    const client = await connect(server);
    const sent = await client.messages.send('c1', '', { attachments: ['f-1'] });
    expect(sent.attachments).toEqual(attached);
    expect(server.sent('message.send')[0]?.data).toMatchObject({ conversation_id: 'c1', text: '', attachments: ['f-1'] });
    await client.messages.send('c1', 'no files');
    expect(server.sent('message.send')[1]?.data).not.toHaveProperty('attachments');
  });
});
