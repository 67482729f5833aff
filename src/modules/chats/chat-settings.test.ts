import { beforeAll, describe, expect, it } from 'vitest';
import { createGroup, createPrivateChat, sent } from '../../test/chats.js';
import { as, createUser, type TestUser } from '../../test/factories.js';
import {
  FilteredChatsDocument,
  MarkReadDocument,
  OnChatUpdatedDocument,
  RemoveGroupMemberDocument,
  UpdateChatSettingsDocument,
  UpdateGroupDocument,
  type ChatFilter,
  type ChatSettingsInput,
} from '../../test/generated/graphql.js';
import { LiveSubscription, expectErrorCode, expectNoErrors, gql, waitForListeners, type TestServer } from '../../test/server.js';
import { serverSuite } from '../../test/suite.js';
import { ChatTopic } from './chat.topics.js';

const suite = serverSuite(['Alice', 'Bob', 'Stranger']);
let server: TestServer;
let alice: TestUser, bob: TestUser, stranger: TestUser;
beforeAll(() => {
  ({
    server,
    users: [alice, bob, stranger],
  } = suite.ready());
});

const settings = (user: TestUser, chatId: string, input: ChatSettingsInput) => gql(server, UpdateChatSettingsDocument, { chatId, input }, as(user));
const listIds = async (user: TestUser, filter?: ChatFilter) =>
  expectNoErrors(await gql(server, FilteredChatsDocument, { first: 50, filter }, as(user))).chats.edges.map((edge) => edge.node.id);
const notificationsOf = (user: TestUser, chatId: string) =>
  server.database.prisma.notification.findMany({
    where: { userId: user.user.id, type: { in: ['NEW_MESSAGE', 'MENTION'] }, data: { contains: chatId } },
    select: { type: true, count: true },
  });

describe('updateChatSettings', () => {
  it('a muted group stores no notification for 100 messages; with level MENTIONS a mention still does', async () => {
    const chatId = await createGroup(server, alice, [bob]);
    expect(expectNoErrors(await settings(bob, chatId, { muted: true })).updateChatSettings).toMatchObject({ muted: true, mutedUntil: null });
    for (let i = 0; i < 100; i++) await sent(server, alice, chatId, `noise ${i}`);
    // A positive signal that the server has processed the messages' notifications: a chat that is not muted gets its own.
    const loud = await createPrivateChat(server, alice, bob);
    await sent(server, alice, loud, 'not muted');
    await expect.poll(async () => (await notificationsOf(bob, loud)).length).toBe(1);
    expect(await notificationsOf(bob, chatId)).toEqual([]);

    expectNoErrors(await settings(bob, chatId, { notifyLevel: 'MENTIONS' }));
    await sent(server, alice, chatId, `@${bob.username} look`);
    await expect.poll(async () => (await notificationsOf(bob, chatId)).map((n) => n.type)).toEqual(['MENTION']);

    expectNoErrors(await settings(bob, chatId, { notifyLevel: 'NONE' }));
    await sent(server, alice, chatId, `@${bob.username} again`);
    await sent(server, alice, loud, 'signal');
    await expect.poll(async () => (await notificationsOf(bob, loud))[0]?.count).toBe(2);
    expect((await notificationsOf(bob, chatId)).map((n) => n.type)).toEqual(['MENTION']);
  });

  it('a mute until a time ends by itself; past, far or contradictory times are refused', async () => {
    const chatId = await createPrivateChat(server, alice, stranger);
    const soon = new Date(Date.now() + 3600_000).toISOString();
    expect(expectNoErrors(await settings(stranger, chatId, { mutedUntil: soon })).updateChatSettings).toMatchObject({ muted: true, mutedUntil: soon });
    await server.database.prisma.chatMember.updateMany({ where: { chatId, userId: stranger.user.id }, data: { mutedUntil: new Date(Date.now() - 1000) } });
    const after = expectNoErrors(await gql(server, FilteredChatsDocument, { first: 50 }, as(stranger))).chats.edges.find((e) => e.node.id === chatId)!;
    expect(after.node).toMatchObject({ muted: false, mutedUntil: null });
    for (const mutedUntil of [new Date(Date.now() - 60_000).toISOString(), new Date(Date.now() + 400 * 24 * 3600_000).toISOString()]) {
      expectErrorCode(await settings(stranger, chatId, { mutedUntil }), 'BAD_USER_INPUT');
    }
    expectErrorCode(await settings(stranger, chatId, { muted: false, mutedUntil: soon }), 'BAD_USER_INPUT');
  });

  it('an archived chat leaves the main list and stays archived after a new message', async () => {
    const chatId = await createGroup(server, alice, [bob]);
    expectNoErrors(await settings(bob, chatId, { archived: true }));
    await sent(server, alice, chatId, 'still archived?');
    expect(await listIds(bob)).not.toContain(chatId);
    expect(await listIds(bob, { archived: true })).toContain(chatId);
    expect(await listIds(alice)).toContain(chatId);
    expectNoErrors(await settings(bob, chatId, { archived: false }));
    expect(await listIds(bob)).toContain(chatId);
  });

  it('at most 5 pinned chats, listed most recently pinned first; a sixth is refused', async () => {
    const me = await createUser(server);
    const chats = [];
    for (let i = 0; i < 6; i++) chats.push(await createPrivateChat(server, me, await createUser(server)));
    for (const chatId of chats.slice(0, 5)) expect(expectNoErrors(await settings(me, chatId, { pinned: true })).updateChatSettings.pinned).toBe(true);
    expect(expectErrorCode(await settings(me, chats[5]!, { pinned: true }), 'BAD_USER_INPUT').message).toMatch(/At most 5/);
    // Pinning a pinned one again is no change, and does not count twice.
    expectNoErrors(await settings(me, chats[0]!, { pinned: true }));
    expect(await listIds(me, { pinned: true })).toEqual([...chats.slice(0, 5)].reverse());
    const firstPage = expectNoErrors(await gql(server, FilteredChatsDocument, { first: 2, filter: { pinned: true } }, as(me))).chats;
    const nextPage = expectNoErrors(
      await gql(server, FilteredChatsDocument, { first: 2, after: firstPage.pageInfo.endCursor, filter: { pinned: true } }, as(me)),
    ).chats;
    expect([...firstPage.edges, ...nextPage.edges].map((e) => e.node.id)).toEqual([chats[4], chats[3], chats[2], chats[1]]);
    expect(firstPage.totalCount).toBe(5);
    expect(await listIds(me, { pinned: false })).toEqual([chats[5]]);
    expectNoErrors(await settings(me, chats[2]!, { pinned: false }));
    expectNoErrors(await settings(me, chats[5]!, { pinned: true }));
  });

  it('marked unread shows as unread until the chat is read; filter unread and kind', async () => {
    const me = await createUser(server);
    const group = await createGroup(server, me, [alice]);
    const pair = await createPrivateChat(server, me, alice);
    const last = await sent(server, me, group, 'read by me');
    expect(await listIds(me, { unread: true })).toEqual([]);
    expect(expectNoErrors(await settings(me, group, { markedUnread: true })).updateChatSettings).toMatchObject({ markedUnread: true, unreadCount: 1 });
    expect(await listIds(me, { unread: true })).toEqual([group]);
    expect(await listIds(me, { kind: 'PRIVATE' })).toEqual([pair]);
    expectNoErrors(await gql(server, MarkReadDocument, { chatId: group, upToMessageId: last.id }, as(me)));
    expect(await listIds(me, { unread: true })).toEqual([]);
  });

  it('reaches my other devices through chatUpdated, not the other members; strangers and former members get NOT_FOUND', async () => {
    const chatId = await createGroup(server, alice, [bob]);
    const mine = new LiveSubscription(suite.connect(bob), OnChatUpdatedDocument, {});
    const theirs = new LiveSubscription(suite.connect(alice), OnChatUpdatedDocument, { chatId });
    await waitForListeners(server, ChatTopic.ChatUpdated, bob.user.id);
    await waitForListeners(server, ChatTopic.ChatUpdated, alice.user.id);
    expectNoErrors(await settings(bob, chatId, { archived: true, notifyLevel: 'MENTIONS' }));
    const [event] = await mine.waitFor(1);
    expect(event!.chatUpdated).toMatchObject({ id: chatId, archived: true, notifyLevel: 'MENTIONS' });
    // A rename reaches every member; Alice's first event is that, not Bob's settings.
    expectNoErrors(await gql(server, UpdateGroupDocument, { chatId, title: 'Renamed' }, as(alice)));
    const [renamed] = await theirs.waitFor(1);
    expect(renamed!.chatUpdated).toMatchObject({ id: chatId, title: 'Renamed', archived: false });
    await mine.waitFor(2);

    expectErrorCode(await settings(stranger, chatId, { muted: true }), 'NOT_FOUND');
    expectNoErrors(await gql(server, RemoveGroupMemberDocument, { chatId, userId: bob.user.id }, as(alice)));
    expectErrorCode(await settings(bob, chatId, { muted: true }), 'NOT_FOUND');
  });

  it('the filtered chat list runs a fixed number of SQL statements', async () => {
    const me = await createUser(server);
    for (let i = 0; i < 20; i++) {
      const chatId = await createPrivateChat(server, me, await createUser(server));
      if (i % 2) expectNoErrors(await settings(me, chatId, { markedUnread: true, muted: true }));
    }
    const count = (first: number) =>
      server.countStatements(
        async () => {
          const { chats } = expectNoErrors(
            await gql(server, FilteredChatsDocument, { first, filter: { unread: true, kind: 'PRIVATE', archived: false } }, as(me)),
          );
          expect(chats.edges.length).toBe(Math.min(first, 10));
        },
        { runs: 3 },
      );
    expect(await count(3)).toBe(await count(10));
  });
});
