import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGroup, createPrivateChat } from '../../test/chats.js';
import { as, createUser, uniqueUsername, type TestUser } from '../../test/factories.js';
import {
  ChatsWithMentionsDocument,
  DeleteMentioningDocument,
  EditMentioningDocument,
  MarkReadDocument,
  MentionsInChatDocument,
  OnNewMessageMentionsDocument,
  OnNotificationDocument,
  SendMediaMentioningDocument,
  SendMentioningDocument,
  UnreadMentionsDocument,
} from '../../test/generated/graphql.js';
import { jpegPhoto } from '../../test/media-fixtures.js';
import { LiveSubscription, expectErrorCode, expectNoErrors, gql, startTestServer, waitForListeners, wsClient, type TestServer } from '../../test/server.js';
import { gqlUpload } from '../../test/uploads.js';
import { NotificationTopic } from '../notifications/index.js';
import { MAX_MENTIONS, mentionedNames } from './mentions.js';
import { MessageTopic } from './message.topics.js';

let server: TestServer;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;
let dave: TestUser;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  server = await startTestServer();
  [alice, bob, carol, dave] = await Promise.all([
    createUser(server, { displayName: 'Alice', username: uniqueUsername('alice') }),
    createUser(server, { displayName: 'Bob', username: uniqueUsername('bob') }),
    createUser(server, { displayName: 'Carol', username: uniqueUsername('carol') }),
    createUser(server, { displayName: 'Dave', username: uniqueUsername('dave') }),
  ]);
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});
afterAll(async () => {
  await server?.close();
});

const at = (user: TestUser) => `@${user.username}`;
const usernames = (message: { mentions: readonly { username: string }[] }) => message.mentions.map((user) => user.username);
const sorted = (...users: TestUser[]) => users.map((user) => user.username).sort();

async function send(server: TestServer, user: TestUser, chatId: string, text: string, clientId?: string) {
  return expectNoErrors(await gql(server, SendMentioningDocument, { input: { chatId, text, clientId } }, as(user))).sendMessage;
}

const edit = async (user: TestUser, messageId: string, text: string) =>
  expectNoErrors(await gql(server, EditMentioningDocument, { messageId, text }, as(user))).editMessage;

const remove = async (user: TestUser, messageId: string, forEveryone: boolean) =>
  expectNoErrors(await gql(server, DeleteMentioningDocument, { messageId, forEveryone }, as(user))).deleteMessage;

async function inChat(user: TestUser, chatId: string) {
  return expectNoErrors(await gql(server, MentionsInChatDocument, { chatId }, as(user))).messages.edges.map((edge) => edge.node);
}

async function unread(user: TestUser, chatId: string) {
  return expectNoErrors(await gql(server, UnreadMentionsDocument, { id: chatId }, as(user))).chat!;
}

const storedMentions = (messageId: string) =>
  server.database.prisma.messageMention.findMany({ where: { messageId }, select: { userId: true, chatId: true, seq: true }, orderBy: { userId: 'asc' } });

function connect(user: TestUser) {
  const client = wsClient(server, user.accessToken, { lazy: false });
  cleanups.push(() => client.dispose());
  return client;
}

describe('mentionedNames: what counts as a mention', () => {
  it.each([
    ['hi @Bob_1', [['bob_1']]],
    ['@ALICE at the start, (@carol) in brackets, and\n@dave after a newline', [['alice'], ['carol'], ['dave']]],
    ['each once: @bob_1 @BOB_1 @bob_1', [['bob_1']]],
    ["ends a sentence: ask @bob. Or @bob's", [['bob.', 'bob'], ['bob']]],
    ['dots inside: @bob.smith and @b.o.b', [['bob.smith'], ['b.o.b']]],
    ['mail a@b.c, bob@example.com, x_@bob, 9@bob', []],
    ['run on: @bobé, @bob@host, @bob_é', []],
    ['too short or long: @ab, @a, @ and @' + 'x'.repeat(33), []],
    ['no at sign at all', []],
  ])('%j', (text, expected) => {
    expect(mentionedNames(text)).toEqual(expected);
  });

  it(`looks at most ${MAX_MENTIONS} distinct names up`, () => {
    const text = Array.from({ length: MAX_MENTIONS + 10 }, (_, i) => `@user_${i}`).join(' ');
    const names = mentionedNames(text);
    expect(names).toHaveLength(MAX_MENTIONS);
    expect(names.at(-1)).toEqual([`user_${MAX_MENTIONS - 1}`]);
  });
});

describe('sendMessage with mentions', () => {
  it('mentions members named in any case, once each; not strangers, unknown names, the sender or addresses', async () => {
    const chatId = await createGroup(server, alice, [bob, carol]);
    const text =
      `Hi ${at(bob).toUpperCase()}, ${at(carol)}! cc ${at(dave)} @nobody_at_all ${at(alice)} ` + `mail${at(carol)}.example and ${at(bob)} again (${at(carol)})`;
    const message = await send(server, alice, chatId, text);
    expect(usernames(message)).toEqual(sorted(bob, carol));
    expect(await storedMentions(message.id)).toEqual(
      [bob, carol].map((user) => ({ userId: user.user.id, chatId, seq: message.seq })).sort((a, b) => a.userId.localeCompare(b.userId)),
    );
    // Every member reads the same mentions.
    for (const viewer of [alice, bob, carol]) expect(usernames((await inChat(viewer, chatId)).at(0)!)).toEqual(sorted(bob, carol));
  });

  it('a dot that ends a sentence is not part of the name, unless a member is called that', async () => {
    const dotted = await createUser(server, { username: `${bob.username}.` });
    const chatId = await createGroup(server, alice, [bob]);
    expect(usernames(await send(server, alice, chatId, `ask ${at(bob)}.`))).toEqual([bob.username]);
    const withDotted = await createGroup(server, alice, [bob, dotted]);
    expect(usernames(await send(server, alice, withDotted, `ask ${at(bob)}.`))).toEqual([dotted.username]);
  });

  it('a text without a mention stores none (an @ alone takes the plain path)', async () => {
    const chatId = await createPrivateChat(server, alice, bob);
    for (const text of ['no mention here', 'write to alice@example.com', `${at(bob)}é`]) {
      const message = await send(server, alice, chatId, text);
      expect(message.mentions).toEqual([]);
      expect(await storedMentions(message.id)).toEqual([]);
    }
  });

  it('arrive with the live newMessage', async () => {
    const chatId = await createGroup(server, alice, [bob, carol]);
    const live = new LiveSubscription(connect(carol), OnNewMessageMentionsDocument, { chatId });
    await waitForListeners(server, MessageTopic.NewMessage, carol.user.id);
    const message = await send(server, alice, chatId, `${at(carol)} look`);
    const [event] = await live.waitFor(1);
    expect(event!.newMessage).toMatchObject({ id: message.id, mentions: [{ id: carol.user.id, username: carol.username }] });
  });

  it('a media caption mentions too', async () => {
    const chatId = await createPrivateChat(server, alice, bob);
    const result = await gqlUpload(
      server,
      SendMediaMentioningDocument,
      { input: { chatId, file: null, caption: `for ${at(bob)}` } },
      { 'input.file': { data: await jpegPhoto(40, 30), name: 'p.jpg' } },
      as(alice),
    );
    const message = expectNoErrors(result).sendMediaMessage;
    expect(usernames(message)).toEqual([bob.username]);
    expect(await storedMentions(message.id)).toEqual([{ userId: bob.user.id, chatId, seq: message.seq }]);
  });

  it('a retry with the same clientId returns the first message and adds no mentions, also when retries race', async () => {
    const chatId = await createGroup(server, alice, [bob, carol]);
    const first = await send(server, alice, chatId, `hey ${at(bob)}`, 'mention-1');
    const retry = await send(server, alice, chatId, `hey ${at(bob)} and ${at(carol)}`, 'mention-1');
    expect(retry).toEqual(first);
    expect(usernames(retry)).toEqual([bob.username]);

    const racing = await Promise.all(
      Array.from({ length: 8 }, () => gql(server, SendMentioningDocument, { input: { chatId, text: `race ${at(carol)}`, clientId: 'mention-2' } }, as(alice))),
    );
    const ids = new Set(racing.map((result) => expectNoErrors(result).sendMessage.id));
    expect(ids.size).toBe(1);
    const [raced] = ids;
    expect(await storedMentions(raced!)).toHaveLength(1);
    expect(await server.database.prisma.messageMention.count({ where: { chatId } })).toBe(2);
    // The losers burnt no seq: SYSTEM, first, raced.
    expect((await inChat(alice, chatId)).map((message) => message.seq)).toEqual([3, 2, 1]);
  });

  it('refuses what a plain send refuses: strangers, a clientId of another chat', async () => {
    const chatId = await createPrivateChat(server, alice, bob);
    const other = await createPrivateChat(server, alice, carol);
    const stranger = await createUser(server);
    expectErrorCode(await gql(server, SendMentioningDocument, { input: { chatId, text: `${at(bob)} hi` } }, as(stranger)), 'NOT_FOUND');
    await send(server, alice, chatId, `${at(bob)} one`, 'mention-shared');
    expectErrorCode(
      await gql(server, SendMentioningDocument, { input: { chatId: other, text: `${at(carol)} two`, clientId: 'mention-shared' } }, as(alice)),
      'CONFLICT',
    );
    expect(await server.database.prisma.message.count({ where: { chatId: other, senderId: alice.user.id } })).toBe(0);
  });

  it('retries of a stored mentioning send cost nothing from the budget', async () => {
    const limited = await startTestServer({ RATE_LIMIT_MESSAGES: '2/60' });
    try {
      const [a, b] = [await createUser(limited, { username: uniqueUsername('a') }), await createUser(limited, { username: uniqueUsername('b') })];
      const chatId = await createPrivateChat(limited, a, b);
      const first = await send(limited, a, chatId, `${at(b)} once`, 'once');
      for (let i = 0; i < 3; i++) expect((await send(limited, a, chatId, `${at(b)} once`, 'once')).id).toBe(first.id);
      await send(limited, a, chatId, `${at(b)} second`, 'second'); // the budget of 2 was not spent by the retries
      expectErrorCode(await gql(limited, SendMentioningDocument, { input: { chatId, text: `${at(b)} third`, clientId: 'third' } }, as(a)), 'RATE_LIMITED');
      expect(await limited.database.prisma.messageMention.count({ where: { chatId } })).toBe(2);
    } finally {
      await limited.close();
    }
  });
});

describe('edits and deletions', () => {
  it('an edit replaces the mentions; a deletion for everyone removes them', async () => {
    const chatId = await createGroup(server, alice, [bob, carol]);
    const message = await send(server, alice, chatId, `${at(bob)} can you?`);
    expect(usernames(await edit(alice, message.id, `${at(carol)} can you?`))).toEqual([carol.username]);
    expect((await storedMentions(message.id)).map((row) => row.userId)).toEqual([carol.user.id]);
    expect(usernames(await edit(alice, message.id, `${at(carol)} or ${at(bob)}, can you?`))).toEqual(sorted(bob, carol));
    expect(await edit(alice, message.id, 'never mind')).toMatchObject({ mentions: [] });
    expect(await storedMentions(message.id)).toEqual([]);

    await edit(alice, message.id, `${at(bob)} after all`);
    expect(await remove(alice, message.id, true)).toMatchObject({ deleted: true, mentions: [] });
    expect(await storedMentions(message.id)).toEqual([]);
  });

  it('a member who deleted a message for themself sees no mentions on it; the others still do', async () => {
    const chatId = await createGroup(server, alice, [bob, carol]);
    const message = await send(server, alice, chatId, `${at(bob)} ${at(carol)}`);
    expect(await remove(bob, message.id, false)).toMatchObject({ deleted: true, mentions: [] });
    expect((await inChat(bob, chatId)).at(0)).toMatchObject({ id: message.id, mentions: [] });
    expect(usernames((await inChat(carol, chatId)).at(0)!)).toEqual(sorted(bob, carol));
    // Nor does it count as an unread mention for them.
    expect((await unread(bob, chatId)).unreadMentionCount).toBe(0);
    expect((await unread(carol, chatId)).unreadMentionCount).toBe(1);
  });
});

describe('Chat.unreadMentionCount', () => {
  it('counts messages mentioning me after my read watermark, and is 0 again once I read', async () => {
    const chatId = await createGroup(server, alice, [bob, carol]);
    expect(await unread(bob, chatId)).toMatchObject({ unreadMentionCount: 0 });
    await send(server, alice, chatId, `${at(bob)} one`);
    await send(server, alice, chatId, 'not you');
    await send(server, carol, chatId, `and ${at(bob)} two, ${at(alice)}`);
    const last = await send(server, alice, chatId, `${at(carol)} three`);
    // Four messages; the SYSTEM message that created the group is not counted.
    expect(await unread(bob, chatId)).toMatchObject({ unreadCount: 4, unreadMentionCount: 2 });
    expect((await unread(alice, chatId)).unreadMentionCount).toBe(0); // her own last message read everything before it

    expect(expectNoErrors(await gql(server, MarkReadDocument, { chatId, upToMessageId: last.id }, as(bob))).markRead).toBe(true);
    expect(await unread(bob, chatId)).toMatchObject({ unreadCount: 0, unreadMentionCount: 0 });
    // Sending moved Carol's watermark past the mentions before it, not past the one after it.
    expect((await unread(carol, chatId)).unreadMentionCount).toBe(1);
  });

  it('a chat list runs a fixed number of SQL statements however many chats it shows', async () => {
    const me = await createUser(server, { username: uniqueUsername('me') });
    const others = await Promise.all(Array.from({ length: 20 }, () => createUser(server)));
    for (const other of others) {
      const chatId = await createPrivateChat(server, me, other);
      await send(server, other, chatId, `hi ${at(me)}`);
    }
    // Each mention stores a notification for me in the background (and NEW_MESSAGE ones): let that finish first.
    await expect.poll(() => server.database.prisma.notification.count({ where: { userId: me.user.id, type: 'MENTION' } }), { timeout: 10_000 }).toBe(20);
    await expect.poll(() => server.database.prisma.notification.count({ where: { userId: me.user.id, type: 'NEW_MESSAGE' } }), { timeout: 10_000 }).toBe(20);
    // ...and the push-subscription lookups that follow, which announce nothing: a quiet 200 ms (as in chats.test.ts).
    await expect.poll(() => server.countStatements(() => new Promise((resolve) => setTimeout(resolve, 200))), { timeout: 10_000 }).toBe(0);
    const count = (first: number) =>
      server.countStatements(
        async () => {
          const { chats } = expectNoErrors(await gql(server, ChatsWithMentionsDocument, { first }, as(me)));
          expect(chats.edges).toHaveLength(first);
          for (const { node } of chats.edges) {
            expect(node).toMatchObject({ unreadCount: 1, unreadMentionCount: 1 });
            expect(usernames(node.lastMessage!)).toEqual([me.username]);
          }
        },
        { runs: 3 },
      );
    const forFive = await count(5);
    const forTwenty = await count(20);
    expect(forTwenty).toBe(forFive);
  });
});

describe('MENTION notifications', () => {
  it('reach a mentioned member who is online; an edit notifies only those it newly mentions', async () => {
    // People of their own: the counts below are theirs alone.
    const person = (displayName: string) => createUser(server, { displayName, username: uniqueUsername(displayName.toLowerCase()) });
    const [alice, bob, carol] = await Promise.all([person('Alice'), person('Bob'), person('Carol')]);
    const chatId = await createGroup(server, alice, [bob, carol], 'Planning');
    const live = new LiveSubscription(connect(bob), OnNotificationDocument, {});
    await waitForListeners(server, NotificationTopic.Notification, bob.user.id);

    const message = await send(server, alice, chatId, `${at(bob)} are you in?`);
    const [event] = await live.waitFor(1);
    expect(event!.notification).toMatchObject({ type: 'MENTION', title: 'Planning', body: `Alice mentioned you: ${at(bob)} are you in?`, read: false });
    expect(JSON.parse(event!.notification.data!)).toEqual({ chatId, messageId: message.id, seq: message.seq });
    // Online, so no NEW_MESSAGE for him: the MENTION is the one notice. One statement stores every offline member's
    // NEW_MESSAGE, so once Carol's is there, his would be.
    await expect.poll(() => server.database.prisma.notification.count({ where: { userId: carol.user.id, type: 'NEW_MESSAGE' } }), { timeout: 5000 }).toBe(1);
    expect(await server.database.prisma.notification.count({ where: { userId: bob.user.id, type: 'NEW_MESSAGE' } })).toBe(0);

    await edit(alice, message.id, `${at(bob)} ${at(carol)} are you in?`);
    // One statement stores every newly mentioned member's row: once Carol's is there, Bob's would be.
    await expect.poll(() => server.database.prisma.notification.count({ where: { userId: carol.user.id, type: 'MENTION' } }), { timeout: 5000 }).toBe(1);
    expect(await server.database.prisma.notification.count({ where: { userId: bob.user.id, type: 'MENTION' } })).toBe(1);
    expect(live.events).toHaveLength(1);
  });
});
