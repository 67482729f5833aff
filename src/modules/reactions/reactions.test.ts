import { beforeAll, describe, expect, it } from 'vitest';
import { createGroup, createPrivateChat, sendText } from '../../test/chats.js';
import { as, createUser, type TestUser } from '../../test/factories.js';
import { serverSuite } from '../../test/suite.js';
import {
  DeleteMessageDocument,
  MarkNotificationReadDocument,
  MessageReactionsDocument,
  NotificationsDocument,
  OnReactionUpdatedDocument,
  ReactionUsersDocument,
  RemoveReactionDocument,
  SetReactionDocument,
} from '../../test/generated/graphql.js';
import { LiveSubscription, expectErrorCode, expectNoErrors, gql, waitForListeners, type TestServer } from '../../test/server.js';
import { MessageTopic } from '../messages/index.js';
import { ReactionSnapshots } from './reaction-snapshots.js';

// The sockets' session sweep would land statements in the counting windows below: here it runs once in ten minutes.
const suite = serverSuite(['Alice', 'Bob', 'Carol', 'Stranger'], [{}, { tuning: { socketSweepMs: 600_000 } }]);
let server: TestServer;
let alice: TestUser, bob: TestUser, carol: TestUser, stranger: TestUser;
beforeAll(() => {
  ({
    server,
    users: [alice, bob, carol, stranger],
  } = suite.ready());
});
const connect = suite.connect;

/** A live messageUpdated subscription of `user`, listening once this resolves. */
async function watch(user: TestUser, chatId?: string) {
  const subscription = new LiveSubscription(connect(user), OnReactionUpdatedDocument, chatId ? { chatId } : {});
  await waitForListeners(server, MessageTopic.MessageUpdated, user.user.id);
  return subscription;
}

async function send(user: TestUser, chatId: string, text: string) {
  return expectNoErrors(await sendText(server, user, chatId, text)).sendMessage;
}

const react = (user: TestUser, messageId: string, emoji: string) => gql(server, SetReactionDocument, { messageId, emoji }, as(user));
const unreact = (user: TestUser, messageId: string) => gql(server, RemoveReactionDocument, { messageId }, as(user));
const reacted = async (user: TestUser, messageId: string, emoji: string) => expectNoErrors(await react(user, messageId, emoji)).setReaction;

/** The message as `user` reads it in messages(chatId). */
async function readAs(user: TestUser, chatId: string, messageId: string) {
  const { messages } = expectNoErrors(await gql(server, MessageReactionsDocument, { chatId, first: 100 }, as(user)));
  return messages.edges.map((edge) => edge.node).find((node) => node.id === messageId)!;
}

describe('setReaction and removeReaction', () => {
  it('sets, replaces and removes my reaction, each a new rev; the same emoji again or removing none is no change', async () => {
    const chatId = await createGroup(server, alice, [bob, carol]);
    const message = await send(alice, chatId, 'lunch?');

    const first = await reacted(bob, message.id, '👍');
    expect(first).toMatchObject({ id: message.id, myReaction: '👍', reactions: [{ emoji: '👍', count: 1, reactedByMe: true }] });
    expect(first.rev).toBeGreaterThan(message.rev);

    const again = await reacted(bob, message.id, '👍');
    expect(again.rev).toBe(first.rev);

    const replaced = await reacted(bob, message.id, '❤️');
    expect(replaced).toMatchObject({ myReaction: '❤️', reactions: [{ emoji: '❤️', count: 1, reactedByMe: true }], rev: first.rev + 1 });
    const carols = await reacted(carol, message.id, '❤️');
    expect(carols.reactions).toEqual([{ emoji: '❤️', count: 2, reactedByMe: true }]);

    // Alice sees the same counts, none of them hers.
    expect(await readAs(alice, chatId, message.id)).toMatchObject({ myReaction: null, reactions: [{ emoji: '❤️', count: 2, reactedByMe: false }] });

    const removed = expectNoErrors(await unreact(bob, message.id)).removeReaction;
    expect(removed).toMatchObject({ myReaction: null, reactions: [{ emoji: '❤️', count: 1, reactedByMe: false }], rev: carols.rev + 1 });
    const removedAgain = expectNoErrors(await unreact(bob, message.id)).removeReaction;
    expect(removedAgain).toMatchObject({ myReaction: null, rev: removed.rev });
    expect(await server.database.prisma.messageReaction.count({ where: { messageId: message.id } })).toBe(1);
  });

  it('orders groups by count, ties by the earliest first reaction', async () => {
    const chatId = await createGroup(server, alice, [bob, carol]);
    const message = await send(alice, chatId, 'vote');
    await reacted(alice, message.id, '😂');
    await reacted(bob, message.id, '🎉');
    await reacted(carol, message.id, '🎉');
    expect((await readAs(alice, chatId, message.id)).reactions.map((g) => [g.emoji, g.count])).toEqual([
      ['🎉', 2],
      ['😂', 1],
    ]);
    await reacted(carol, message.id, '👀');
    // 😂 (Alice) came before 🎉 (Bob) and 👀 (Carol's, replacing her 🎉).
    expect((await readAs(alice, chatId, message.id)).reactions.map((g) => [g.emoji, g.count])).toEqual([
      ['😂', 1],
      ['🎉', 1],
      ['👀', 1],
    ]);
  });

  it('takes exactly one RGI emoji; anything else is BAD_USER_INPUT on emoji, and nothing is written', async () => {
    const chatId = await createPrivateChat(server, alice, bob);
    const message = await send(alice, chatId, 'react to me');
    for (const bad of ['👍👍', 'ok', '\u{1F3FB}', '😀'.repeat(25), '', ' 👍', '👍\u200B', '\u2764']) {
      const error = expectErrorCode(await react(bob, message.id, bad), 'BAD_USER_INPUT');
      expect(error.extensions?.['field'], JSON.stringify(bad)).toBe('emoji');
    }
    expect(Buffer.byteLength('😀'.repeat(25))).toBe(100);
    expect(await server.database.prisma.messageReaction.count({ where: { messageId: message.id } })).toBe(0);

    for (const good of ['👍', '👍🏽', '👨‍👩‍👧', '1️⃣', '🇮🇷', '❤️', '🏳️‍🌈']) {
      const result = await reacted(bob, message.id, good);
      expect(result.myReaction).toBe(good);
      expect(result.reactions).toEqual([{ emoji: good, count: 1, reactedByMe: true }]);
    }
  });

  it('is NOT_FOUND for strangers and for ids that name no message', async () => {
    const chatId = await createGroup(server, alice, [bob]);
    const message = await send(alice, chatId, 'members only');
    expectErrorCode(await react(stranger, message.id, '👍'), 'NOT_FOUND');
    expectErrorCode(await unreact(stranger, message.id), 'NOT_FOUND');
    // Even with a bad emoji: strangers learn nothing about the message, not even that input is checked.
    expectErrorCode(await react(stranger, message.id, 'nope'), 'NOT_FOUND');
    expectErrorCode(await react(bob, '00000000-0000-4000-8000-000000000000', '👍'), 'NOT_FOUND');
    expectErrorCode(await react(bob, 'not-a-uuid', '👍'), 'NOT_FOUND');
    expectErrorCode(await unreact(bob, 'not-a-uuid'), 'NOT_FOUND');
    expect(await server.database.prisma.messageReaction.count({ where: { messageId: message.id } })).toBe(0);
  });

  it('refuses tombstones (deleted for everyone, or for me) and SYSTEM messages with FORBIDDEN, and shows no reactions on them', async () => {
    const chatId = await createGroup(server, alice, [bob, carol]);
    const gone = await send(alice, chatId, 'gone for all');
    await reacted(bob, gone.id, '👍');
    expectNoErrors(await gql(server, DeleteMessageDocument, { messageId: gone.id, forEveryone: true }, as(alice)));
    expectErrorCode(await react(bob, gone.id, '😮'), 'FORBIDDEN');
    expectErrorCode(await unreact(bob, gone.id), 'FORBIDDEN');
    expect(await readAs(bob, chatId, gone.id)).toMatchObject({ deleted: true, myReaction: null, reactions: [] });
    expect(await server.database.prisma.messageReaction.count({ where: { messageId: gone.id } })).toBe(0);

    const hiddenForBob = await send(alice, chatId, 'bob deletes this for himself');
    await reacted(bob, hiddenForBob.id, '👍');
    await reacted(carol, hiddenForBob.id, '🔥');
    expectNoErrors(await gql(server, DeleteMessageDocument, { messageId: hiddenForBob.id, forEveryone: false }, as(bob)));
    expectErrorCode(await react(bob, hiddenForBob.id, '😮'), 'FORBIDDEN');
    expectErrorCode(await unreact(bob, hiddenForBob.id), 'FORBIDDEN');
    expect(await readAs(bob, chatId, hiddenForBob.id)).toMatchObject({ deleted: true, myReaction: null, reactions: [] });
    // The others still see every reaction, Bob's included.
    expect((await readAs(carol, chatId, hiddenForBob.id)).reactions.map((g) => [g.emoji, g.count, g.reactedByMe])).toEqual([
      ['👍', 1, false],
      ['🔥', 1, true],
    ]);

    const system = await server.database.prisma.message.findFirstOrThrow({ where: { chatId, kind: 'SYSTEM' } });
    expect(expectErrorCode(await react(bob, system.id, '👍'), 'FORBIDDEN').message).toMatch(/SYSTEM/);
  });

  it('20 members reacting at once: 20 revs, the right counts, and each online member gets all 20 updates in rev order', async () => {
    const members = await Promise.all(Array.from({ length: 20 }, (_, i) => createUser(server, { displayName: `Member ${i}` })));
    const chatId = await createGroup(server, alice, members);
    const message = await send(alice, chatId, 'react, everyone');
    const online = [alice, members[0]!, members[7]!, members[19]!];
    const watching = await Promise.all(online.map((user) => watch(user, chatId)));

    const emojis = ['👍', '❤️', '😂', '🎉'];
    const results = await Promise.all(members.map((member, i) => reacted(member, message.id, emojis[i % emojis.length]!)));
    const revs = results.map((result) => result.rev);
    expect(new Set(revs).size).toBe(20);
    const sortedRevs = [...revs].sort((a, b) => a - b);
    expect(sortedRevs[0]).toBe(message.rev + 1);
    expect(sortedRevs.at(-1)).toBe(message.rev + 20);

    // One more change after them: its event is the positive signal that nothing else was sent before it.
    const last = expectNoErrors(await unreact(members[0]!, message.id)).removeReaction;
    for (const [k, subscription] of watching.entries()) {
      const events = (await subscription.waitFor(21)).map((event) => event.messageUpdated);
      expect(events, online[k]!.user.displayName).toHaveLength(21);
      expect(events.slice(0, 20).map((event) => event.rev)).toEqual(sortedRevs);
      expect(events[20]!.rev).toBe(last.rev);
      expect(events.every((event) => event.id === message.id)).toBe(true);
    }
    const counts = Object.fromEntries((await readAs(alice, chatId, message.id)).reactions.map((g) => [g.emoji, g.count]));
    expect(counts).toEqual({ '👍': 4, '❤️': 5, '😂': 5, '🎉': 5 });
    // Each member's last event shows their own reaction.
    const seventh = watching[2]!.events.at(-1)!.messageUpdated;
    expect(seventh.myReaction).toBe(emojis[7 % 4]);
    expect(seventh.reactions.find((g) => g.reactedByMe)?.emoji).toBe(emojis[7 % 4]);
  });

  it('renders one event per viewer: two members on the same operation each get their own myReaction and reactedByMe', async () => {
    const chatId = await createGroup(server, alice, [bob, carol]);
    const message = await send(carol, chatId, 'pick one');
    await reacted(alice, message.id, '👍');
    await reacted(bob, message.id, '❤️');
    const [alices, bobs] = await Promise.all([watch(alice, chatId), watch(bob, chatId)]);

    const carols = await reacted(carol, message.id, '👍');
    const [[forAlice], [forBob]] = await Promise.all([alices.waitFor(1), bobs.waitFor(1)]);
    expect(forAlice!.messageUpdated).toEqual({
      ...carols,
      myReaction: '👍',
      reactions: [
        { emoji: '👍', count: 2, reactedByMe: true },
        { emoji: '❤️', count: 1, reactedByMe: false },
      ],
    });
    expect(forBob!.messageUpdated).toEqual({
      ...carols,
      myReaction: '❤️',
      reactions: [
        { emoji: '👍', count: 2, reactedByMe: false },
        { emoji: '❤️', count: 1, reactedByMe: true },
      ],
    });
  });

  it('reads the reactions once per change, however many online members render its event', async () => {
    const members = await Promise.all(Array.from({ length: 4 }, (_, i) => createUser(server, { displayName: `Watcher ${i}` })));
    const chatId = await createGroup(server, alice, members);
    const message = await send(alice, chatId, 'watched');
    const watching = [await watch(alice, chatId)];
    // What a change sets off in the background (who may be told, by push or a stored notification) announces
    // nothing when done: count until the server has been quiet for 300 ms, so it lands in every window alike.
    // Work the server does on its own clock (a session's last-used mark, presence settling after a connect) may
    // land in any one window: the fewest of three changes is compared, each a different emoji.
    const changes = async (user: TestUser, emojis: string[]) => {
      await server.countStatements(async () => undefined, { quietMs: 300 });
      let next = 0;
      return server.countStatements(
        async () => {
          const before = watching.map((subscription) => subscription.events.length);
          await reacted(user, message.id, emojis[next++]!);
          await Promise.all(watching.map((subscription, k) => subscription.waitFor(before[k]! + 1)));
        },
        { quietMs: 300, runs: emojis.length },
      );
    };
    const withOne = await changes(members[0]!, ['👍', '❤️', '😮']);
    for (const member of members.slice(1)) watching.push(await watch(member, chatId));
    const withFour = await changes(members[1]!, ['❤️', '👍', '😂']);
    // Without the shared snapshot, each of the 3 more viewers would add a statement.
    expect(withFour).toBeLessThanOrEqual(withOne);
    // Yet each rendered it as themself.
    expect(watching.map((subscription) => subscription.events.at(-1)!.messageUpdated.myReaction)).toEqual([null, '😂', null, null]);
  });

  it('ReactionGroup.users pages the reactors, newest first', async () => {
    const members = await Promise.all(Array.from({ length: 5 }, (_, i) => createUser(server, { displayName: `Fan ${i}` })));
    const chatId = await createGroup(server, alice, members);
    const message = await send(alice, chatId, 'who likes it');
    for (const member of members) await reacted(member, message.id, '👍');
    await reacted(alice, message.id, '🙂');

    const page = async (after?: string) => {
      const data = expectNoErrors(await gql(server, ReactionUsersDocument, { chatId, first: 1, usersFirst: 2, usersAfter: after }, as(alice)));
      return data.messages.edges[0]!.node.reactions.find((g) => g.emoji === '👍')!.users;
    };
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const users = await page(after);
      seen.push(...users.edges.map((edge) => edge.node.displayName));
      if (!users.pageInfo.hasNextPage) break;
      after = users.pageInfo.endCursor!;
    }
    expect(seen).toEqual(['Fan 4', 'Fan 3', 'Fan 2', 'Fan 1', 'Fan 0']);
    expectErrorCode(await gql(server, ReactionUsersDocument, { chatId, first: 1, usersAfter: 'bogus' }, as(alice)), 'BAD_USER_INPUT');
  });

  it('runs a fixed number of SQL statements however many messages are listed', async () => {
    const [me, other] = await Promise.all([createUser(server), createUser(server)]);
    const chatId = await createPrivateChat(server, me, other);
    const sent = [];
    for (let i = 0; i < 50; i++) sent.push(await send(i % 2 ? me : other, chatId, `m${i}`));
    await server.database.prisma.messageReaction.createMany({
      data: sent.flatMap((message, i) => [
        { messageId: message.id, userId: me.user.id, emoji: ['👍', '❤️', '😂'][i % 3]! },
        { messageId: message.id, userId: other.user.id, emoji: '👍' },
      ]),
    });
    // Each message also stores a notification for the offline recipient in the background: let that finish first,
    // then wait for a quiet server (the push-subscription look-up after it announces nothing when done).
    await expect.poll(() => server.database.prisma.notification.count({ where: { userId: { in: [me.user.id, other.user.id] } } }), { timeout: 10_000 }).toBe(2);
    await expect.poll(() => server.countStatements(() => new Promise((resolve) => setTimeout(resolve, 200))), { timeout: 10_000 }).toBe(0);

    const count = (first: number) =>
      server.countStatements(
        async () => {
          const { messages } = expectNoErrors(await gql(server, MessageReactionsDocument, { chatId, first }, as(me)));
          expect(messages.edges).toHaveLength(first);
          expect(messages.edges.every((edge) => edge.node.reactions.reduce((sum, g) => sum + g.count, 0) === 2 && edge.node.myReaction !== null)).toBe(true);
        },
        { runs: 3 },
      );
    const forFive = await count(5);
    const forFifty = await count(50);
    // session, the chat, my membership, my earlier memberships, the messages, my deletions for me, the reactions
    // (of the messages nobody read at their rev yet).
    expect(forFive).toBeLessThanOrEqual(7);
    expect(forFifty).toBe(forFive);
  });
});

describe('REACTION notifications', () => {
  it('tell an offline author, coalesced per message; none for reacting to your own message', async () => {
    const [author, fan1, fan2] = await Promise.all([createUser(server), createUser(server), createUser(server)]);
    const chatId = await createGroup(server, author, [fan1, fan2], 'Fan club');
    const message = await send(author, chatId, 'my latest song');
    const notificationsOf = async (user: TestUser) =>
      expectNoErrors(await gql(server, NotificationsDocument, { unreadOnly: true }, as(user)))
        .notifications.edges.map((edge) => edge.node)
        .filter((node) => node.type === 'REACTION');

    await reacted(author, message.id, '🎸');
    await reacted(fan1, message.id, '🔥');
    await expect.poll(async () => (await notificationsOf(author)).length, { timeout: 5000 }).toBe(1);
    // Had the author's own reaction counted, it would be in there too (it came first).
    expect((await notificationsOf(author))[0]!.count).toBe(1);
    await reacted(fan2, message.id, '❤️');
    await expect.poll(async () => (await notificationsOf(author))[0]?.count, { timeout: 5000 }).toBe(2);

    const [notification] = await notificationsOf(author);
    expect(notification).toMatchObject({ type: 'REACTION', title: 'Fan club', count: 2, read: false });
    expect(notification!.body).toMatch(/reacted ❤️ to: my latest song/);
    expect(JSON.parse(notification!.data!)).toEqual({ chatId, messageId: message.id });
    // The fans' own messages were not reacted to: nothing for them.
    expect(await notificationsOf(fan1)).toEqual([]);

    // Read, it stops coalescing: the next reaction makes a new one.
    expectNoErrors(await gql(server, MarkNotificationReadDocument, { id: notification!.id }, as(author)));
    await reacted(fan1, message.id, '😍');
    await expect.poll(async () => (await notificationsOf(author)).map((n) => [n.count, n.id === notification!.id]), { timeout: 5000 }).toEqual([[1, false]]);
  });
});

describe('ReactionSnapshots', () => {
  const counts = (emoji: string) => Promise.resolve([{ emoji, count: 1, firstAt: new Date(0), userIds: new Set(['u']) }]);

  it('keeps the newest entries, for a while', async () => {
    const snapshots = new ReactionSnapshots(2, 1000);
    snapshots.set('m:1', counts('👍'), 0);
    snapshots.set('m:2', counts('❤️'), 0);
    snapshots.set('m:3', counts('😂'), 0);
    expect(snapshots.size).toBe(2);
    expect(snapshots.get('m:1', 0)).toBeUndefined();
    expect((await snapshots.get('m:3', 999))?.[0]?.emoji).toBe('😂');
    expect(snapshots.get('m:3', 1001)).toBeUndefined();
  });

  it('forgets a read that failed, so the next render reads again', async () => {
    const snapshots = new ReactionSnapshots();
    const failed = Promise.reject(new Error('connection lost'));
    snapshots.set('m:1', failed);
    await expect(failed).rejects.toThrow();
    await Promise.resolve();
    expect(snapshots.get('m:1')).toBeUndefined();
  });
});
