import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { as, createUser, type TestUser } from '../../test/factories.js';
import { createGroup, createPair, createPrivateChat, sendText } from '../../test/chats.js';
import {
  MarkDeliveredDocument,
  MarkReadDocument,
  MessagesDocument,
  OnMessageStatusDocument,
  OnNewMessageDocument,
  OnPresenceDocument,
  OnTypingDocument,
  RemoveGroupMemberDocument,
  SetTypingDocument,
  UpdateMessageStatusDocument,
  type MessagesQuery,
} from '../../test/generated/graphql.js';
import {
  LiveSubscription,
  expectErrorCode,
  expectNoErrors,
  gql,
  startTestServer,
  waitForListeners,
  wsClient,
  type GraphQLResponse,
  type TestServer,
} from '../../test/server.js';
import { ChatTopic } from '../chats/index.js';
import { MessageTopic } from './message.topics.js';
import { UserTopic } from '../users/index.js';

let server: TestServer;
let alice: TestUser;
let bob: TestUser;
let stranger: TestUser;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  server = await startTestServer();
  [alice, bob, stranger] = await Promise.all([
    createUser(server, { displayName: 'Alice' }),
    createUser(server, { displayName: 'Bob' }),
    createUser(server, { displayName: 'Stranger' }),
  ]);
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});
afterAll(async () => {
  await server?.close();
});

function connect(user: TestUser) {
  const client = wsClient(server, user.accessToken);
  cleanups.push(() => client.dispose());
  return client;
}

async function allMessages(user: TestUser, chatId: string, afterSeq = 0) {
  const result: GraphQLResponse<MessagesQuery> = await gql(server, MessagesDocument, { chatId, afterSeq, first: 100 }, as(user));
  return expectNoErrors(result).messages.edges.map((e) => e.node);
}

describe('sendMessage and newMessage', () => {
  it('delivers a message from one user to the other over graphql-ws', async () => {
    const chatId = await createPrivateChat(server, alice, bob);
    const inbox = new LiveSubscription(connect(bob), OnNewMessageDocument, {});
    await waitForListeners(server, MessageTopic.NewMessage, bob.user.id);

    // Send→receive latency is measured by `npm run bench` (delivery), as production runs.
    const { sendMessage } = expectNoErrors(await sendText(server, alice, chatId, '  Hello, Bob!\nHow are you?\t'));
    const [event] = await inbox.waitFor(1);
    expect(sendMessage).toMatchObject({ chatId, kind: 'TEXT', text: 'Hello, Bob!\nHow are you?', senderId: alice.user.id, status: 'SENT' });
    expect(sendMessage.sender).toEqual({ id: alice.user.id, displayName: 'Alice' });
    expect(event!.newMessage).toMatchObject({ id: sendMessage.id, seq: sendMessage.seq, text: sendMessage.text, sender: { id: alice.user.id } });
  });

  it.each([
    ['empty after trimming', ' \n\t ', 'text'],
    ['65,537 characters', 'x'.repeat(65_537), 'text'],
    ['a control character', 'bell\u0007', 'text'],
  ])('refuses text that is %s, writing nothing', async (_case, text, field) => {
    const chatId = await createPrivateChat(server, alice, bob);
    const before = await server.database.prisma.message.count({ where: { chatId } });
    expect(expectErrorCode(await sendText(server, alice, chatId, text), 'BAD_USER_INPUT').extensions?.['field']).toBe(field);
    expect(await server.database.prisma.message.count({ where: { chatId } })).toBe(before);
    expect((await server.database.prisma.chat.findUniqueOrThrow({ where: { id: chatId } })).lastSeq).toBe(before);
  });

  it('accepts exactly 65,536 characters and stores text as sent', async () => {
    const chatId = await createPrivateChat(server, alice, bob);
    expect(expectNoErrors(await sendText(server, alice, chatId, 'y'.repeat(65_536))).sendMessage.text).toHaveLength(65_536);
    expect(expectNoErrors(await sendText(server, alice, chatId, '<script>alert(1)</script> & co')).sendMessage.text).toBe('<script>alert(1)</script> & co');
  });

  it('refuses strangers with NOT_FOUND, exactly like a chat that does not exist', async () => {
    const chatId = await createPrivateChat(server, alice, bob);
    const strangerSend = expectErrorCode(await sendText(server, stranger, chatId, 'let me in'), 'NOT_FOUND');
    const missing = expectErrorCode(await sendText(server, stranger, '00000000-0000-4000-8000-000000000000', 'hi'), 'NOT_FOUND');
    expect(strangerSend.message).toBe(missing.message);
    expectErrorCode(await sendText(server, stranger, 'not-an-id', 'hi'), 'NOT_FOUND');
    expect(await server.database.prisma.message.count({ where: { chatId, senderId: stranger.user.id } })).toBe(0);
  });

  it('checks that a reply is to a message of the same chat', async () => {
    const chatId = await createPrivateChat(server, alice, bob);
    const other = await createPrivateChat(server, alice, stranger);
    const original = expectNoErrors(await sendText(server, bob, chatId, 'question?')).sendMessage;
    const elsewhere = expectNoErrors(await sendText(server, stranger, other, 'elsewhere')).sendMessage;
    const reply = expectNoErrors(await sendText(server, alice, chatId, 'answer', { replyToId: original.id })).sendMessage;
    expect(reply.replyTo).toEqual({ id: original.id, seq: original.seq });
    for (const replyToId of [elsewhere.id, '00000000-0000-4000-8000-000000000000', 'bad']) {
      expect(expectErrorCode(await sendText(server, alice, chatId, 'x', { replyToId }), 'BAD_USER_INPUT').extensions?.['field']).toBe('replyToId');
    }
  });
});

describe('idempotent sends', () => {
  it('returns the first message for a retried clientId, also under concurrent retries', async () => {
    const { chatId, a: alice } = await createPair(server);
    const first = expectNoErrors(await sendText(server, alice, chatId, 'once', { clientId: 'c-1' })).sendMessage;
    const retry = expectNoErrors(await sendText(server, alice, chatId, 'once (retry)', { clientId: 'c-1' })).sendMessage;
    expect(retry.id).toBe(first.id);
    expect(retry.text).toBe('once');
    expect(retry.clientId).toBe('c-1');

    const racing = await Promise.all(Array.from({ length: 8 }, () => sendText(server, alice, chatId, 'racing', { clientId: 'c-2' })));
    const ids = new Set(racing.map((r) => expectNoErrors(r).sendMessage.id));
    expect(ids.size).toBe(1);
    expect(await server.database.prisma.message.count({ where: { chatId, clientId: 'c-2' } })).toBe(1);
    // No seq was burnt by the losers: seqs stay gapless.
    expect((await allMessages(alice, chatId)).map((m) => m.seq)).toEqual([1, 2]);
  });

  it('refuses a bad clientId and one reused in another chat', async () => {
    const chatId = await createPrivateChat(server, alice, bob);
    const other = await createPrivateChat(server, alice, stranger);
    expectNoErrors(await sendText(server, alice, chatId, 'a', { clientId: 'shared' }));
    expectErrorCode(await sendText(server, alice, other, 'b', { clientId: 'shared' }), 'CONFLICT');
    expect(expectErrorCode(await sendText(server, alice, chatId, 'c', { clientId: 'x'.repeat(65) }), 'BAD_USER_INPUT').extensions?.['field']).toBe('clientId');
    expectErrorCode(await sendText(server, alice, chatId, 'd', { clientId: 'has space' }), 'BAD_USER_INPUT');
  });
});

describe('ordering', () => {
  it('30 concurrent sends into a group get seq 1..30, and every member receives each once, in order', async () => {
    const members = await Promise.all(Array.from({ length: 4 }, (_, i) => createUser(server, { displayName: `M${i}` })));
    const [owner, ...rest] = members;
    const chatId = await createGroup(server, owner!, rest);
    const inboxes = members.map((m) => new LiveSubscription(connect(m), OnNewMessageDocument, { chatId }));
    for (const m of members) await waitForListeners(server, MessageTopic.NewMessage, m.user.id);

    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => sendText(server, members[i % members.length]!, chatId, `message ${i}`)));
    const seqs = results.map((r) => expectNoErrors(r).sendMessage.seq).sort((a, b) => a - b);
    // seq 1 is the SYSTEM message that created the group.
    expect(seqs).toEqual(Array.from({ length: 30 }, (_, i) => i + 2));
    // One more message, sent after all 30 were answered: whatever extra a member's stream carried would arrive before it.
    const last = expectNoErrors(await sendText(server, owner!, chatId, 'last')).sendMessage.seq;
    for (const inbox of inboxes) {
      const events = await inbox.waitFor(31);
      expect(events.at(-1)!.newMessage.seq).toBe(last);
      expect(events.slice(0, -1).map((e) => e.newMessage.seq)).toEqual(seqs);
      expect(new Set(events.map((e) => e.newMessage.id)).size).toBe(31);
    }
  });

  it('a client that was away catches up with afterSeq: nothing lost, nothing doubled', async () => {
    const { chatId, a: alice, b: bob } = await createPair(server);
    const phone = wsClient(server, bob.accessToken);
    const inbox = new LiveSubscription(phone, OnNewMessageDocument, { chatId });
    await waitForListeners(server, MessageTopic.NewMessage, bob.user.id);
    for (let i = 0; i < 5; i++) expectNoErrors(await sendText(server, alice, chatId, `before ${i}`));
    const received = await inbox.waitFor(5);
    const lastSeen = received.at(-1)!.newMessage.seq;
    await phone.dispose();
    await expect.poll(() => server.pubsub.listenerCount(MessageTopic.NewMessage, bob.user.id)).toBe(0);

    for (let i = 0; i < 10; i++) expectNoErrors(await sendText(server, alice, chatId, `missed ${i}`));

    // Reconnect: subscribe first, then fetch what was missed, then merge by seq.
    const again = new LiveSubscription(connect(bob), OnNewMessageDocument, { chatId });
    await waitForListeners(server, MessageTopic.NewMessage, bob.user.id);
    expectNoErrors(await sendText(server, alice, chatId, 'after reconnect'));
    const caughtUp = await allMessages(bob, chatId, lastSeen);
    await again.waitFor(1);
    const merged = new Map<number, string>();
    for (const m of [...received.map((e) => e.newMessage), ...caughtUp, ...again.events.map((e) => e.newMessage)]) merged.set(m.seq, m.text!);
    expect([...merged.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(caughtUp.map((m) => m.text)).toEqual([...Array.from({ length: 10 }, (_, i) => `missed ${i}`), 'after reconnect']);
  });
});

describe('messages (history)', () => {
  it('pages newest first with after, and oldest first with afterSeq', async () => {
    const { chatId, a: alice, b: bob } = await createPair(server);
    for (let i = 1; i <= 7; i++) expectNoErrors(await sendText(server, i % 2 ? alice : bob, chatId, `m${i}`));
    const pages: number[][] = [];
    let after: string | null | undefined = null;
    for (;;) {
      const result: GraphQLResponse<MessagesQuery> = await gql(server, MessagesDocument, { chatId, first: 3, after }, as(bob));
      const { messages } = expectNoErrors(result);
      pages.push(messages.edges.map((e) => e.node.seq));
      expect(messages.pageInfo.hasPreviousPage).toBe(after !== null);
      if (!messages.pageInfo.hasNextPage) break;
      after = messages.pageInfo.endCursor;
    }
    expect(pages).toEqual([[7, 6, 5], [4, 3, 2], [1]]);
    const forward = expectNoErrors(await gql(server, MessagesDocument, { chatId, afterSeq: 4, first: 2 }, as(bob))).messages;
    expect(forward.edges.map((e) => e.node.seq)).toEqual([5, 6]);
    expect(forward.pageInfo.hasNextPage).toBe(true);
    const rest = expectNoErrors(await gql(server, MessagesDocument, { chatId, afterSeq: 4, after: forward.pageInfo.endCursor }, as(bob))).messages;
    expect(rest.edges.map((e) => e.node.seq)).toEqual([7]);
  });

  it('refuses bad arguments and strangers', async () => {
    const chatId = await createPrivateChat(server, alice, bob);
    const other = await createPrivateChat(server, alice, stranger);
    expectNoErrors(await sendText(server, alice, other, 'x'));
    const otherCursor = expectNoErrors(await gql(server, MessagesDocument, { chatId: other }, as(alice))).messages.pageInfo.endCursor!;
    expectErrorCode(await gql(server, MessagesDocument, { chatId, afterSeq: -1 }, as(bob)), 'BAD_USER_INPUT');
    expectErrorCode(await gql(server, MessagesDocument, { chatId, after: otherCursor }, as(alice)), 'BAD_USER_INPUT');
    expectErrorCode(await gql(server, MessagesDocument, { chatId }, as(stranger)), 'NOT_FOUND');
  });
});

describe('receipts', () => {
  it('watermarks move up only, reach the sender live, and drive status and unread counts', async () => {
    const carol = await createUser(server, { displayName: 'Carol' });
    const chatId = await createGroup(server, alice, [bob, carol]);
    const m1 = expectNoErrors(await sendText(server, alice, chatId, 'one')).sendMessage;
    const m2 = expectNoErrors(await sendText(server, alice, chatId, 'two')).sendMessage;
    const receipts = new LiveSubscription(connect(alice), OnMessageStatusDocument, { chatId });
    await waitForListeners(server, MessageTopic.MessageStatus, alice.user.id);

    const statuses = async () => (await allMessages(alice, chatId)).filter((m) => m.kind === 'TEXT').map((m) => m.status);
    expect(await statuses()).toEqual(['SENT', 'SENT']);

    expect(expectNoErrors(await gql(server, MarkDeliveredDocument, { chatId, upToMessageId: m2.id }, as(bob))).markDelivered).toBe(true);
    expect(expectNoErrors(await gql(server, MarkDeliveredDocument, { chatId, upToMessageId: m2.id }, as(carol))).markDelivered).toBe(true);
    expect(await statuses()).toEqual(['DELIVERED', 'DELIVERED']);

    expect(expectNoErrors(await gql(server, MarkReadDocument, { chatId, upToMessageId: m2.id }, as(bob))).markRead).toBe(true);
    // Moving back is a no-op, not an error.
    expect(expectNoErrors(await gql(server, MarkReadDocument, { chatId, upToMessageId: m1.id }, as(bob))).markRead).toBe(false);
    expect(await statuses()).toEqual(['DELIVERED', 'DELIVERED']);
    expect(expectNoErrors(await gql(server, MarkReadDocument, { chatId, upToMessageId: m1.id }, as(carol))).markRead).toBe(true);
    expect(await statuses()).toEqual(['READ', 'DELIVERED']);

    const events = await receipts.waitFor(4);
    expect(events.map((e) => [e.messageStatus.userId, e.messageStatus.status, e.messageStatus.seq])).toEqual([
      [bob.user.id, 'DELIVERED', m2.seq],
      [carol.user.id, 'DELIVERED', m2.seq],
      [bob.user.id, 'READ', m2.seq],
      [carol.user.id, 'READ', m1.seq],
    ]);
    expect(events[0]!.messageStatus).toMatchObject({ chatId, messageId: m2.id });

    const unread = await server.database.prisma.chatMember.findMany({ where: { chatId }, select: { userId: true, readSeq: true } });
    expect(Object.fromEntries(unread.map((m) => [m.userId, m.readSeq]))).toEqual({
      [alice.user.id]: m2.seq,
      [bob.user.id]: m2.seq,
      [carol.user.id]: m1.seq,
    });
  });

  it('updateMessageStatus is for recipients only and moves the watermark', async () => {
    const chatId = await createPrivateChat(server, alice, bob);
    const message = expectNoErrors(await sendText(server, alice, chatId, 'read me')).sendMessage;
    expectErrorCode(await gql(server, UpdateMessageStatusDocument, { messageId: message.id, status: 'READ' }, as(alice)), 'FORBIDDEN');
    expectErrorCode(await gql(server, UpdateMessageStatusDocument, { messageId: message.id, status: 'READ' }, as(stranger)), 'NOT_FOUND');
    expectErrorCode(await gql(server, UpdateMessageStatusDocument, { messageId: message.id, status: 'SENT' }, as(bob)), 'BAD_USER_INPUT');
    const updated = expectNoErrors(await gql(server, UpdateMessageStatusDocument, { messageId: message.id, status: 'READ' }, as(bob)));
    expect(updated.updateMessageStatus).toEqual({ id: message.id, status: 'READ' });
  });

  it('refuses strangers and messages of other chats', async () => {
    const chatId = await createPrivateChat(server, alice, bob);
    const other = await createPrivateChat(server, alice, stranger);
    const message = expectNoErrors(await sendText(server, alice, chatId, 'x')).sendMessage;
    const elsewhere = expectNoErrors(await sendText(server, alice, other, 'y')).sendMessage;
    expectErrorCode(await gql(server, MarkReadDocument, { chatId, upToMessageId: message.id }, as(stranger)), 'NOT_FOUND');
    expectErrorCode(await gql(server, MarkReadDocument, { chatId, upToMessageId: elsewhere.id }, as(bob)), 'NOT_FOUND');
    expectErrorCode(await gql(server, MarkDeliveredDocument, { chatId, upToMessageId: 'nope' }, as(bob)), 'NOT_FOUND');
  });
});

describe('subscriptions and membership', () => {
  it('refuse chats the viewer is not in', async () => {
    const chatId = await createPrivateChat(server, alice, bob);
    const client = connect(stranger);
    const attempts: LiveSubscription<unknown>[] = [
      new LiveSubscription(client, OnNewMessageDocument, { chatId }),
      new LiveSubscription(client, OnMessageStatusDocument, { chatId }),
      new LiveSubscription(client, OnTypingDocument, { chatId }),
    ];
    for (const sub of attempts) {
      await sub.waitForEnd();
      expect(JSON.stringify(sub.errors)).toMatch(/NOT_FOUND/);
      expect(sub.events).toHaveLength(0);
    }
  });

  it('a removed member stops receiving at once; their chat subscription completes', async () => {
    const carol = await createUser(server);
    const chatId = await createGroup(server, alice, [bob, carol]);
    const carolClient = connect(carol);
    const oneChat = new LiveSubscription(carolClient, OnNewMessageDocument, { chatId });
    const allChats = new LiveSubscription(carolClient, OnNewMessageDocument, {});
    await waitForListeners(server, MessageTopic.NewMessage, carol.user.id, 2);
    expectNoErrors(await sendText(server, bob, chatId, 'before'));
    await oneChat.waitFor(1);
    await allChats.waitFor(1);

    expectNoErrors(await gql(server, RemoveGroupMemberDocument, { chatId, userId: carol.user.id }, as(alice)));
    await oneChat.waitForEnd();
    expectNoErrors(await sendText(server, bob, chatId, 'after'));
    // Then a message in a chat Carol is still in: her all-chats stream would carry 'after' before it.
    expectNoErrors(await sendText(server, bob, await createPrivateChat(server, bob, carol), 'still here'));
    await allChats.waitFor(2);
    expect(oneChat.events.map((e) => e.newMessage.text)).toEqual(['before']);
    expect(allChats.events.map((e) => e.newMessage.text)).toEqual(['before', 'still here']);
  });
});

describe('typing', () => {
  it('reaches the other members and lapses by itself', async () => {
    const chatId = await createPrivateChat(server, alice, bob);
    const typing = new LiveSubscription(connect(bob), OnTypingDocument, { chatId });
    await waitForListeners(server, ChatTopic.Typing, bob.user.id);
    expectNoErrors(await gql(server, SetTypingDocument, { chatId, typing: true }, as(alice)));
    const [started] = await typing.waitFor(1);
    expect(started!.typing).toEqual({ chatId, userId: alice.user.id, typing: true });
    // The server's expiry (shortened for tests) sends typing: false without another call.
    const events = await typing.waitFor(2, 3000);
    expect(events[1]!.typing).toEqual({ chatId, userId: alice.user.id, typing: false });
  });
});

describe('presence', () => {
  it('tells people who share a chat, and only them', async () => {
    const [watcher, friend, outsider, outsidersFriend] = await Promise.all([createUser(server), createUser(server), createUser(server), createUser(server)]);
    await createPrivateChat(server, watcher, friend);
    await createPrivateChat(server, outsider, outsidersFriend);
    const feed = new LiveSubscription(connect(watcher), OnPresenceDocument, {});
    const outsiders = new LiveSubscription(connect(outsidersFriend), OnPresenceDocument, {});
    await waitForListeners(server, UserTopic.Presence, watcher.user.id);
    await waitForListeners(server, UserTopic.Presence, outsidersFriend.user.id);

    // The outsider comes and goes first: once the one person they share a chat with has heard both, their events are out.
    const outsiderClient = wsClient(server, outsider.accessToken, { lazy: false });
    await outsiders.waitFor(1);
    await outsiderClient.dispose();
    expect((await outsiders.waitFor(2)).map((e) => [e.presence.userId, e.presence.status])).toEqual([
      [outsider.user.id, 'ONLINE'],
      [outsider.user.id, 'OFFLINE'],
    ]);

    // Then the friend: the watcher's first events are the friend's, so nothing of the outsider's came before them.
    const friendClient = wsClient(server, friend.accessToken, { lazy: false });
    const [online] = await feed.waitFor(1);
    expect(online!.presence).toEqual({ userId: friend.user.id, status: 'ONLINE', lastSeenAt: null });
    await friendClient.dispose();
    const events = await feed.waitFor(2);
    expect(events[1]!.presence).toMatchObject({ userId: friend.user.id, status: 'OFFLINE' });
    expect(Date.parse(events[1]!.presence.lastSeenAt!)).toBeGreaterThan(Date.now() - 10_000);
    expect(feed.events.map((e) => e.presence.userId)).toEqual([friend.user.id, friend.user.id]);
  });
});
