import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroup, createPrivateChat, sent } from '../../test/chats.js';
import { as, createUser, type TestUser } from '../../test/factories.js';
import {
  AddGroupMembersDocument,
  ChatChangesDocument,
  ChatMembersDocument,
  ChatsDocument,
  FilteredChatsDocument,
  MarkAllChatsReadDocument,
  MarkReadDocument,
  MyUnreadDocument,
  OnMessageStatusDocument,
  OnUnreadChangedDocument,
  SendMessageDocument,
  UpdateChatSettingsDocument,
  UpdateGroupDocument,
  UpdatePrivacyDocument,
  UserUnreadDocument,
  type ChatSettingsInput,
  type OnUnreadChangedSubscription,
  type UnreadFieldsFragment,
} from '../../test/generated/graphql.js';
import { hasRedisServer, startRedis } from '../../test/redis.js';
import { LiveSubscription, expectNoErrors, gql, startTestServer, waitForListeners, wsClient, type TestServer } from '../../test/server.js';
import { serverSuite } from '../../test/suite.js';
import { MessageTopic } from '../messages/index.js';

const suite = serverSuite(['Alice', 'Bob', 'Carol']);
let server: TestServer;
let alice: TestUser, bob: TestUser, carol: TestUser;
beforeAll(() => {
  ({
    server,
    users: [alice, bob, carol],
  } = suite.ready());
});

type Totals = UnreadFieldsFragment;
type Live = LiveSubscription<OnUnreadChangedSubscription>;
const totals = (messages: number, chats: number, mentions: number): Totals => ({ messages, chats, mentions });
const ZERO = totals(0, 0, 0);

const unreadOf = async (user: TestUser, on: TestServer = server) => expectNoErrors(await gql(on, MyUnreadDocument, {}, as(user))).me.unread;
const settings = async (user: TestUser, chatId: string, input: ChatSettingsInput) =>
  expectNoErrors(await gql(server, UpdateChatSettingsDocument, { chatId, input }, as(user)));
const at = (user: TestUser) => `@${user.username}`;

/** unreadChanged on a device of `user`'s (a socket closed after the test), once it has its starting totals. */
async function unreadChanged(user: TestUser, client = suite.connect(user), on: TestServer = server): Promise<Live> {
  const before = on.services.unread.listening(user.user.id);
  const live = new LiveSubscription(client, OnUnreadChangedDocument);
  await expect.poll(() => on.services.unread.listening(user.user.id), { timeout: 5000, interval: 10 }).toBe(before + 1);
  return live;
}

/** Waits until the latest event carries `expected`; returns every event so far. */
async function until(live: Live, expected: Totals, timeout = 8000): Promise<Totals[]> {
  await expect.poll(() => live.events.at(-1)?.unreadChanged, { timeout, interval: 20 }).toEqual(expected);
  return live.events.map((event) => event.unreadChanged);
}

const timed = async (work: () => Promise<unknown>): Promise<number> => {
  const started = Date.now();
  await work();
  return Date.now() - started;
};

/**
 * At most one event per 2 s window: the first change at once, the rest of a
 * burst in one trailing event. So a burst sent within 2 s makes at most 2
 * events; one that took longer (a loaded machine) at most one more per window.
 */
function expectCoalesced(live: Live, burstMs: number): void {
  const gaps = live.receivedAt.slice(1).map((at, i) => at - live.receivedAt[i]!);
  // A window is 2,000 ms between reads; delivery jitter can shorten the gap a client sees, not by this much.
  for (const gap of gaps) expect(gap).toBeGreaterThan(1500);
  expect(live.events.length).toBeLessThanOrEqual(1 + Math.max(1, Math.ceil(burstMs / 2000)));
  if (burstMs < 2000) expect(live.events.length).toBeLessThanOrEqual(2);
}

describe('me.unread and unreadChanged', () => {
  it('changes after a message in one of my chats, and after I read it on another device', async () => {
    const me = await createUser(server);
    const chatId = await createPrivateChat(server, bob, me);
    const live = await unreadChanged(me);
    const message = await sent(server, bob, chatId, 'hello');
    expect(await until(live, totals(1, 1, 0))).toEqual([totals(1, 1, 0)]);
    expect(await unreadOf(me)).toEqual(totals(1, 1, 0));

    // Another device of mine (this HTTP request) reads the chat; the socket's device hears of it.
    expectNoErrors(await gql(server, MarkReadDocument, { chatId, upToMessageId: message.id }, as(me)));
    expect(await until(live, ZERO)).toEqual([totals(1, 1, 0), ZERO]);
    expect(await unreadOf(me)).toEqual(ZERO);
  });

  it('a burst of 30 messages into a group is coalesced: one event per 2 s at most (2 for a burst within 2 s), the last with the final totals', async () => {
    const me = await createUser(server);
    const chatId = await createGroup(server, alice, [me, bob]);
    const live = await unreadChanged(me);
    const burstMs = await timed(() => Promise.all(Array.from({ length: 30 }, (_, i) => sent(server, i % 2 ? alice : bob, chatId, `burst ${i}`))));
    const burst = await until(live, totals(30, 1, 0));
    expectCoalesced(live, burstMs);
    // A positive signal that nothing else was on its way: the next change is the next event.
    expectNoErrors(await gql(server, MarkAllChatsReadDocument, {}, as(me)));
    expect(await until(live, ZERO)).toEqual([...burst, ZERO]);
  });

  it('leaves muted and archived chats out; a muted chat at level MENTIONS still counts its mentions', async () => {
    const me = await createUser(server);
    const [loud, muted, archived, mentionsOnly, mutedAll] = await Promise.all(
      ['loud', 'muted', 'archived', 'mentions only', 'muted, all'].map((title) => createGroup(server, alice, [me], title)),
    );
    await settings(me, muted!, { muted: true });
    await settings(me, archived!, { archived: true });
    await settings(me, mentionsOnly!, { muted: true, notifyLevel: 'MENTIONS' });
    await settings(me, mutedAll!, { mutedUntil: new Date(Date.now() + 3600_000).toISOString(), notifyLevel: 'ALL' });
    const live = await unreadChanged(me);

    for (const chatId of [muted!, archived!, mutedAll!]) await sent(server, alice, chatId, `${at(me)} in a quiet chat`);
    await sent(server, alice, mentionsOnly!, `${at(me)} look`);
    await sent(server, alice, loud!, 'hi');
    // Messages count in the loud chat only; the mention in the muted chat at level MENTIONS counts too.
    // Before it, at most the mention alone: nothing said in the other quiet chats ever counted.
    const first = await until(live, totals(1, 1, 1));
    for (const event of first) expect([totals(0, 0, 1), totals(1, 1, 1)]).toContainEqual(event);
    expect(await unreadOf(me)).toEqual(totals(1, 1, 1));
    // The chats' own counts do not depend on the settings.
    const listed = expectNoErrors(await gql(server, FilteredChatsDocument, { first: 10, filter: { archived: false } }, as(me))).chats.edges;
    expect(listed.map((edge) => edge.node.unreadCount)).toEqual([1, 1, 1, 1]);

    // Unmuting brings a chat's messages and mention in; marking a read chat unread counts it as 1.
    await settings(me, muted!, { muted: false });
    await until(live, totals(2, 2, 2));
    const quiet = await createGroup(server, alice, [me], 'nothing said');
    await settings(me, quiet, { markedUnread: true });
    await until(live, totals(3, 3, 2));
    await settings(me, archived!, { archived: false });
    await until(live, totals(4, 4, 3));
  });

  it('SYSTEM messages count as nothing and make no event, yet move the chat up the list', async () => {
    const me = await createUser(server);
    const earlier = await createPrivateChat(server, bob, me);
    await sent(server, bob, earlier, 'an older chat');
    const live = await unreadChanged(me);

    const group = await createGroup(server, alice, [me], 'Club');
    expectNoErrors(await gql(server, UpdateGroupDocument, { chatId: group, title: 'Book club' }, as(alice)));
    expectNoErrors(await gql(server, AddGroupMembersDocument, { chatId: group, userIds: [carol.user.id] }, as(alice)));
    const chats = expectNoErrors(await gql(server, ChatsDocument, { first: 10 }, as(me))).chats.edges.map((edge) => edge.node);
    // Three SYSTEM messages: the group went to the top of the list, with nothing unread.
    expect(chats.map((chat) => [chat.id, chat.lastSeq, chat.unreadCount])).toEqual([
      [group, 3, 0],
      [earlier, 1, 1],
    ]);
    expect(chats[0]!.lastMessage).toMatchObject({ kind: 'SYSTEM', text: 'Alice added Carol' });
    const unreadOnly = expectNoErrors(await gql(server, FilteredChatsDocument, { first: 10, filter: { unread: true } }, as(me))).chats;
    expect(unreadOnly.edges.map((edge) => edge.node.id)).toEqual([earlier]);
    expect(await unreadOf(me)).toEqual(totals(1, 1, 0));

    // The first event is the first real message's: the SYSTEM ones changed nothing, and told nothing.
    await sent(server, alice, group, 'welcome');
    expect(await until(live, totals(2, 2, 0))).toEqual([totals(2, 2, 0)]);
  });

  it('markAllChatsRead reads every chat of mine, tells my other devices and the senders, and moves the account feed', async () => {
    const me = await createUser(server);
    const fromBob = await createPrivateChat(server, bob, me);
    await sent(server, bob, fromBob, 'one');
    await sent(server, bob, fromBob, 'two');
    const group = await createGroup(server, alice, [me, carol]);
    const mention = await sent(server, alice, group, `${at(me)} are you coming?`);
    const marked = await createPrivateChat(server, carol, me);
    await settings(me, marked, { markedUnread: true });
    // I was offline: both chats with messages stored a NEW_MESSAGE notification for me.
    const newMessages = () => server.database.prisma.notification.findMany({ where: { userId: me.user.id, type: 'NEW_MESSAGE' }, select: { read: true } });
    await expect.poll(async () => (await newMessages()).length).toBe(2);
    expect(await unreadOf(me)).toEqual(totals(4, 3, 1));
    const { nextToken } = expectNoErrors(await gql(server, ChatChangesDocument, { since: null, first: 100 }, as(me))).chatChanges;

    const otherDevice = await unreadChanged(me);
    const receipts = new LiveSubscription(suite.connect(alice), OnMessageStatusDocument, { chatId: group });
    await waitForListeners(server, MessageTopic.MessageStatus, alice.user.id);

    expect(expectNoErrors(await gql(server, MarkAllChatsReadDocument, {}, as(me))).markAllChatsRead).toEqual(ZERO);
    expect(await until(otherDevice, ZERO)).toEqual([ZERO]);
    const [receipt] = await receipts.waitFor(1);
    expect(receipt!.messageStatus).toMatchObject({ chatId: group, messageId: mention.id, seq: mention.seq, userId: me.user.id, status: 'READ' });
    const listed = expectNoErrors(await gql(server, FilteredChatsDocument, { first: 10 }, as(me))).chats.edges.map((edge) => edge.node);
    expect(listed.map((chat) => [chat.unreadCount, chat.markedUnread])).toEqual([
      [0, false],
      [0, false],
      [0, false],
    ]);
    await expect.poll(async () => (await newMessages()).map((n) => n.read)).toEqual([true, true]);
    const feed = expectNoErrors(await gql(server, ChatChangesDocument, { since: nextToken, first: 100 }, as(me))).chatChanges;
    expect(feed.chats.map((chat) => chat.id).sort()).toEqual([fromBob, group, marked].sort());

    // Nothing left to read: the same answer, and nothing moves.
    const stamps = () =>
      server.database.prisma.chatMember.findMany({ where: { userId: me.user.id }, select: { chatId: true, changeStamp: true }, orderBy: { chatId: 'asc' } });
    const before = await stamps();
    expect(expectNoErrors(await gql(server, MarkAllChatsReadDocument, {}, as(me))).markAllChatsRead).toEqual(ZERO);
    expect(await stamps()).toEqual(before);
    // The feed may list a chat again (its token is no newer than the oldest transaction open on the database
    // server, other test files' included): if it does, the chat is as it was.
    const again = expectNoErrors(await gql(server, ChatChangesDocument, { since: feed.nextToken, first: 100 }, as(me))).chatChanges;
    for (const chat of again.chats) expect(chat).toEqual(feed.chats.find((listed) => listed.id === chat.id));
  });

  it('markAllChatsRead keeps read receipts private: with them off, the sender of a private chat learns only of the delivery', async () => {
    const [me, friend, grouped] = await Promise.all([createUser(server), createUser(server), createUser(server)]);
    expectNoErrors(await gql(server, UpdatePrivacyDocument, { input: { readReceipts: false } }, as(me)));
    const privateChat = await createPrivateChat(server, friend, me);
    const toMe = await sent(server, friend, privateChat, 'did you read this?');
    const group = await createGroup(server, grouped, [me]);
    const inGroup = await sent(server, grouped, group, 'groups always show reads');
    const friendSees = new LiveSubscription(suite.connect(friend), OnMessageStatusDocument, { chatId: privateChat });
    const groupSees = new LiveSubscription(suite.connect(grouped), OnMessageStatusDocument, { chatId: group });
    await waitForListeners(server, MessageTopic.MessageStatus, friend.user.id);
    await waitForListeners(server, MessageTopic.MessageStatus, grouped.user.id);

    expect(expectNoErrors(await gql(server, MarkAllChatsReadDocument, {}, as(me))).markAllChatsRead).toEqual(ZERO);
    const [delivered] = await friendSees.waitFor(1);
    expect(delivered!.messageStatus).toMatchObject({ chatId: privateChat, messageId: toMe.id, userId: me.user.id, status: 'DELIVERED' });
    const [read] = await groupSees.waitFor(1);
    expect(read!.messageStatus).toMatchObject({ chatId: group, messageId: inGroup.id, userId: me.user.id, status: 'READ' });
    // What the friend can query agrees: delivered, not read.
    const members = expectNoErrors(await gql(server, ChatMembersDocument, { id: privateChat }, as(friend))).chat!.members;
    expect(members.find((member) => member.user.id === me.user.id)).toMatchObject({ deliveredSeq: 1, readSeq: 0 });
  });

  it('is null on anyone else, and mine through user(id) too', async () => {
    const chatId = await createPrivateChat(server, bob, carol);
    await sent(server, bob, chatId, 'for Carol');
    expect(expectNoErrors(await gql(server, UserUnreadDocument, { id: carol.user.id }, as(bob))).user).toEqual({ id: carol.user.id, unread: null });
    const own = expectNoErrors(await gql(server, UserUnreadDocument, { id: carol.user.id }, as(carol))).user!.unread;
    expect(own).toEqual(await unreadOf(carol));
    expect(own!.messages).toBeGreaterThanOrEqual(1);
  });

  it('me.unread runs the same statements for 200 chats as for 2', async () => {
    const [few, many] = await Promise.all([createUser(server), createUser(server)]);
    const owners = [alice, bob, carol];
    const groups = async (member: TestUser, count: number) => {
      const ids: string[] = [];
      for (let i = 0; i < count; i += 20) {
        ids.push(...(await Promise.all(Array.from({ length: Math.min(20, count - i) }, (_, j) => createGroup(server, owners[(i + j) % 3]!, [member])))));
      }
      for (let i = 0; i < count; i += 20) {
        await Promise.all(ids.slice(i, i + 20).map((chatId, j) => sent(server, owners[(i + j) % 3]!, chatId, i + j < 10 ? `${at(member)} hi` : 'hi')));
      }
      return ids;
    };
    await groups(few, 2);
    const chats = await groups(many, 200);
    // 20 muted (messages not counted), 20 archived (nothing counted); the first 10 mention me and are neither.
    await Promise.all(chats.slice(100, 120).map((chatId) => settings(many, chatId, { muted: true })));
    await Promise.all(chats.slice(150, 170).map((chatId) => settings(many, chatId, { archived: true })));
    // Let the notifications those messages stored in the background, and the push lookups after them, finish (chats.test.ts).
    await expect.poll(() => server.countStatements(() => new Promise((resolve) => setTimeout(resolve, 200))), { timeout: 20_000 }).toBe(0);

    let answers: Totals[] = [];
    const count = async (user: TestUser) => {
      let answer: Totals | undefined;
      const statements = await server.countStatements(async () => void (answer = (await unreadOf(user))!), { runs: 3 });
      answers.push(answer!);
      return statements;
    };
    const forTwo = await count(few);
    const forTwoHundred = await count(many);
    expect(answers).toEqual([totals(2, 2, 2), totals(160, 160, 10)]);
    // The session, the user, the totals.
    expect(forTwoHundred).toBe(forTwo);
    expect(forTwo).toBeLessThanOrEqual(3);
    answers = [];
  }, 120_000);
});

describe.skipIf(!hasRedisServer)('unreadChanged across two instances sharing Redis', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    redis = await startRedis();
    a = await startTestServer({ REDIS_URL: redis.url });
    b = await startTestServer({ REDIS_URL: redis.url }, { shareDatabaseWith: a });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await redis?.stop();
  });

  it('a burst sent through B reaches a subscriber on A coalesced, and a read through B zeroes it', async () => {
    const [me, talker] = await Promise.all([createUser(a), createUser(a)]);
    const chatId = await createPrivateChat(a, talker, me);
    const client = wsClient(a, me.accessToken);
    const live = await unreadChanged(me, client, a);
    try {
      const burstMs = await timed(() =>
        Promise.all(Array.from({ length: 30 }, (_, i) => gql(b, SendMessageDocument, { input: { chatId, text: `via B ${i}` } }, as(talker)))),
      );
      const burst = await until(live, totals(30, 1, 0));
      expectCoalesced(live, burstMs);
      expectNoErrors(await gql(b, MarkAllChatsReadDocument, {}, as(me)));
      expect(await until(live, ZERO)).toEqual([...burst, ZERO]);
      expect(await unreadOf(me, b)).toEqual(ZERO);
    } finally {
      await client.dispose();
    }
  });
});
