import { beforeAll, describe, expect, it } from 'vitest';
import { createGroup, createPrivateChat, sendText, sent } from '../../test/chats.js';
import { as, createUser, type TestUser } from '../../test/factories.js';
import {
  AddGroupMembersDocument,
  BlockUserDocument,
  BlockedChatHistoryDocument,
  BlockedProfileDocument,
  BlockedUsersDocument,
  CreateGroupChatDocument,
  CreatePrivateChatDocument,
  ForwardMessageDocument,
  OnNewMessageDocument,
  OnPresenceDocument,
  SendMediaMessageDocument,
  SetReactionDocument,
  UnblockUserDocument,
  UpdateProfileDocument,
  UploadAvatarDocument,
} from '../../test/generated/graphql.js';
import { phonePhoto, minimalPdf } from '../../test/media-fixtures.js';
import { serverSuite } from '../../test/suite.js';
import { LiveSubscription, expectErrorCode, expectNoErrors, gql, waitForListeners, wsClient, type TestServer } from '../../test/server.js';
import { gqlUpload } from '../../test/uploads.js';
import { MessageTopic } from '../messages/index.js';
import { UserTopic } from '../users/index.js';

const suite = serverSuite(['Alice']);
let server: TestServer;
let alice: TestUser;
beforeAll(() => {
  ({
    server,
    users: [alice],
  } = suite.ready());
});
const connect = suite.connect;

const CANNOT_MESSAGE = "You can't message this user";
const CANNOT_ADD = "You can't add this user";

const block = (user: TestUser, other: TestUser | string) =>
  gql(server, BlockUserDocument, { userId: typeof other === 'string' ? other : other.user.id }, as(user));
const unblock = (user: TestUser, other: TestUser | string) =>
  gql(server, UnblockUserDocument, { userId: typeof other === 'string' ? other : other.user.id }, as(user));
const blocked = async (user: TestUser, other: TestUser) => expect(expectNoErrors(await block(user, other)).blockUser).toBe(true);
const unblocked = async (user: TestUser, other: TestUser) => expect(expectNoErrors(await unblock(user, other)).unblockUser).toBe(true);

const sendMedia = (user: TestUser, chatId: string) =>
  gqlUpload(server, SendMediaMessageDocument, { input: { chatId, file: null } }, { 'input.file': { data: minimalPdf(), name: 'notes.pdf' } }, as(user));
const react = (user: TestUser, messageId: string) => gql(server, SetReactionDocument, { messageId, emoji: '👍' }, as(user));
const forward = (user: TestUser, messageId: string, toChatId: string) => gql(server, ForwardMessageDocument, { messageId, toChatIds: [toChatId] }, as(user));
const openChat = (user: TestUser, other: TestUser) => gql(server, CreatePrivateChatDocument, { userId: other.user.id }, as(user));
const profileOf = async (viewer: TestUser, user: TestUser) => expectNoErrors(await gql(server, BlockedProfileDocument, { id: user.user.id }, as(viewer))).user!;
const historyOf = async (viewer: TestUser, chatId: string) =>
  expectNoErrors(await gql(server, BlockedChatHistoryDocument, { chatId }, as(viewer))).messages.edges.map((edge) => edge.node.text);

function expectRefused(result: { errors?: readonly { message: string; extensions?: Record<string, unknown> }[] }, message = CANNOT_MESSAGE) {
  expect(expectErrorCode(result, 'FORBIDDEN').message).toBe(message);
}

describe('blockUser, unblockUser', () => {
  it('blocking is idempotent (true again), unblocking says whether there was a block; myself and unknown users are refused', async () => {
    const bob = await createUser(server);
    await blocked(alice, bob);
    await blocked(alice, bob);
    expect(await server.database.prisma.userBlock.count({ where: { blockerId: alice.user.id, blockedId: bob.user.id } })).toBe(1);
    expect(expectNoErrors(await unblock(alice, bob)).unblockUser).toBe(true);
    expect(expectNoErrors(await unblock(alice, bob)).unblockUser).toBe(false);

    expect(expectErrorCode(await block(alice, alice), 'BAD_USER_INPUT').extensions?.['field']).toBe('userId');
    expectErrorCode(await unblock(alice, alice), 'BAD_USER_INPUT');
    expectErrorCode(await block(alice, '00000000-0000-4000-8000-000000000000'), 'NOT_FOUND');
    expectErrorCode(await block(alice, 'not-a-uuid'), 'NOT_FOUND');
    expectErrorCode(await unblock(alice, '00000000-0000-4000-8000-000000000000'), 'NOT_FOUND');
  });

  it('blockedUsers pages the latest block first; blocking again keeps the first time', async () => {
    const me = await createUser(server);
    const [u1, u2, u3] = await Promise.all([createUser(server), createUser(server), createUser(server)]);
    for (const user of [u1!, u2!, u3!]) await blocked(me, user);
    await blocked(me, u1!);

    const first = expectNoErrors(await gql(server, BlockedUsersDocument, { first: 2 }, as(me))).blockedUsers;
    expect(first.edges.map((edge) => edge.node.id)).toEqual([u3!.user.id, u2!.user.id]);
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const rest = expectNoErrors(await gql(server, BlockedUsersDocument, { first: 2, after: first.pageInfo.endCursor }, as(me))).blockedUsers;
    expect(rest.edges.map((edge) => edge.node.id)).toEqual([u1!.user.id]);
    expect(rest.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });

    await unblocked(me, u2!);
    const after = expectNoErrors(await gql(server, BlockedUsersDocument, {}, as(me))).blockedUsers;
    expect(after.edges.map((edge) => edge.node.id)).toEqual([u3!.user.id, u1!.user.id]);
    // Only mine: the people I blocked see nothing of it in theirs.
    expect(expectNoErrors(await gql(server, BlockedUsersDocument, {}, as(u3!))).blockedUsers.edges).toEqual([]);

    expectErrorCode(await gql(server, BlockedUsersDocument, { first: -1 }, as(me)), 'BAD_USER_INPUT');
    expectErrorCode(await gql(server, BlockedUsersDocument, { after: 'garbage' }, as(me)), 'BAD_USER_INPUT');
  });
});

describe('a private chat across a block', () => {
  it('neither side can send, send media, react or forward into it; its history stays readable; unblocking restores it all', async () => {
    const [blocker, blockee, friend] = await Promise.all([createUser(server), createUser(server), createUser(server)]);
    const chatId = await createPrivateChat(server, blockee, blocker);
    const hello = await sent(server, blockee, chatId, 'hello');
    const hi = await sent(server, blocker, chatId, 'hi');
    const groupId = await createGroup(server, friend, [blocker, blockee]);
    const inGroup = await sent(server, friend, groupId, 'pass it on');
    await blocked(blocker, blockee);
    const before = await server.database.prisma.message.count({ where: { chatId } });

    for (const user of [blockee, blocker]) {
      const other = user === blocker ? hello : hi;
      expectRefused(await sendText(server, user, chatId, 'anyone?'));
      expectRefused(await sendText(server, user, chatId, `@${(user === blocker ? blockee : blocker).user.username} anyone?`)); // the mentioning path
      expectRefused(await sendMedia(user, chatId));
      expectRefused(await react(user, other.id));
      expectRefused(await forward(user, inGroup.id, chatId));
    }
    expect(await server.database.prisma.message.count({ where: { chatId } })).toBe(before);
    expect(await server.database.prisma.messageReaction.count({ where: { message: { chatId } } })).toBe(0);
    expect(await server.database.prisma.file.count({ where: { chatId } })).toBe(0);

    // The chat they had is still theirs to open and read, on both sides.
    expect(expectNoErrors(await openChat(blockee, blocker)).createPrivateChat.id).toBe(chatId);
    expect(await historyOf(blockee, chatId)).toEqual(['hi', 'hello']);
    expect(await historyOf(blocker, chatId)).toEqual(['hi', 'hello']);

    await unblocked(blocker, blockee);
    expect(expectNoErrors(await sendText(server, blockee, chatId, 'back')).sendMessage.text).toBe('back');
    expect(expectNoErrors(await sendMedia(blockee, chatId)).sendMediaMessage.kind).toBe('DOCUMENT');
    expect(expectNoErrors(await react(blockee, hi.id)).setReaction.myReaction).toBe('👍');
    expect(expectNoErrors(await react(blocker, hello.id)).setReaction.myReaction).toBe('👍');
    expect(expectNoErrors(await forward(blockee, inGroup.id, chatId)).forwardMessage).toHaveLength(1);
  });

  it('a blocked user learns of nothing: the blocker hears no message, and the block is no event', async () => {
    const [blocker, blockee] = await Promise.all([createUser(server), createUser(server)]);
    const chatId = await createPrivateChat(server, blocker, blockee);
    const blockersFeed = new LiveSubscription(connect(blocker), OnNewMessageDocument, { chatId });
    const blockeesFeed = new LiveSubscription(connect(blockee), OnNewMessageDocument, { chatId });
    await waitForListeners(server, MessageTopic.NewMessage, blocker.user.id);
    await waitForListeners(server, MessageTopic.NewMessage, blockee.user.id);
    await blocked(blocker, blockee);
    expectRefused(await sendText(server, blockee, chatId, 'let me in'));
    await unblocked(blocker, blockee);
    // The next message is the first event either of them gets: nothing was published for the refusal or the block.
    await sent(server, blockee, chatId, 'after');
    expect((await blockersFeed.waitFor(1)).map((e) => e.newMessage.text)).toEqual(['after']);
    expect((await blockeesFeed.waitFor(1)).map((e) => e.newMessage.text)).toEqual(['after']);
  });

  it('no new private chat opens across a block, from either side, until it is lifted', async () => {
    const [blocker, blockee] = await Promise.all([createUser(server), createUser(server)]);
    await blocked(blocker, blockee);
    expectRefused(await openChat(blockee, blocker));
    expectRefused(await openChat(blocker, blockee));
    expect(await server.database.prisma.chat.count({ where: { kind: 'PRIVATE', members: { some: { userId: blockee.user.id } } } })).toBe(0);
    await unblocked(blocker, blockee);
    const chatId = expectNoErrors(await openChat(blockee, blocker)).createPrivateChat.id;
    expect(await sent(server, blockee, chatId, 'hi')).toMatchObject({ chatId, text: 'hi' });
  });
});

describe('groups across a block', () => {
  it('the blocked user cannot put the blocker into a group; the blocker may add them; shared groups carry both sides live', async () => {
    const [blocker, blockee, friend] = await Promise.all([createUser(server), createUser(server), createUser(server)]);
    const sharedId = await createGroup(server, friend, [blocker, blockee]);
    const blockeesGroup = await createGroup(server, blockee, [friend]);
    await blocked(blocker, blockee);

    expectRefused(
      await gql(server, CreateGroupChatDocument, { input: { title: 'Trap', memberIds: [friend.user.id, blocker.user.id] } }, as(blockee)),
      CANNOT_ADD,
    );
    expectRefused(await gql(server, AddGroupMembersDocument, { chatId: blockeesGroup, userIds: [blocker.user.id] }, as(blockee)), CANNOT_ADD);
    expect(await server.database.prisma.chatMember.count({ where: { chatId: blockeesGroup, userId: blocker.user.id } })).toBe(0);
    // The other way round is the blocker's choice.
    expect(
      expectNoErrors(await gql(server, CreateGroupChatDocument, { input: { title: 'Mine', memberIds: [blockee.user.id] } }, as(blocker))).createGroupChat.id,
    ).toBeTruthy();

    const blockersFeed = new LiveSubscription(connect(blocker), OnNewMessageDocument, { chatId: sharedId });
    const blockeesFeed = new LiveSubscription(connect(blockee), OnNewMessageDocument, { chatId: sharedId });
    await waitForListeners(server, MessageTopic.NewMessage, blocker.user.id);
    await waitForListeners(server, MessageTopic.NewMessage, blockee.user.id);
    const fromBlockee = await sent(server, blockee, sharedId, 'from the blocked');
    const fromBlocker = await sent(server, blocker, sharedId, 'from the blocker');
    expect((await blockersFeed.waitFor(2)).map((e) => e.newMessage.text)).toEqual(['from the blocked', 'from the blocker']);
    expect((await blockeesFeed.waitFor(2)).map((e) => e.newMessage.text)).toEqual(['from the blocked', 'from the blocker']);
    expect(expectNoErrors(await react(blockee, fromBlocker.id)).setReaction.myReaction).toBe('👍');
    expect(expectNoErrors(await react(blocker, fromBlockee.id)).setReaction.myReaction).toBe('👍');
    // Forwarding into the group is not refused either.
    expect(expectNoErrors(await forward(blockee, fromBlocker.id, sharedId)).forwardMessage).toHaveLength(1);

    await unblocked(blocker, blockee);
    expect(
      expectNoErrors(await gql(server, AddGroupMembersDocument, { chatId: blockeesGroup, userIds: [blocker.user.id] }, as(blockee))).addGroupMembers.id,
    ).toBe(blockeesGroup);
  });
});

describe('what the blocked user sees of the blocker', () => {
  it('presence, lastSeenAt, about and avatar look absent, and no presence event reaches them; others see it all; unblocking restores it', async () => {
    const [blocker, blockee, friend] = await Promise.all([createUser(server), createUser(server), createUser(server)]);
    await createGroup(server, friend, [blocker, blockee]);
    expectNoErrors(await gql(server, UpdateProfileDocument, { input: { about: 'busy' } }, as(blocker)));
    const avatar = expectNoErrors(
      await gqlUpload(server, UploadAvatarDocument, { file: null }, { file: { data: await phonePhoto('png', 64, 64), name: 'me.png' } }, as(blocker)),
    ).uploadAvatar.avatar!;

    // lastSeenAt is written when the blocker's socket has closed and the grace period passed.
    const once = wsClient(server, blocker.accessToken, { lazy: false });
    await expect.poll(async () => (await profileOf(friend, blocker)).online).toBe(true);
    await once.dispose();
    await expect.poll(async () => (await profileOf(friend, blocker)).lastSeenAt).not.toBeNull();

    await blocked(blocker, blockee);
    const friendsFeed = new LiveSubscription(connect(friend), OnPresenceDocument, { userIds: [blocker.user.id] });
    const blockeesFeed = new LiveSubscription(connect(blockee), OnPresenceDocument, { userIds: [blocker.user.id] });
    await waitForListeners(server, UserTopic.Presence, friend.user.id);
    await waitForListeners(server, UserTopic.Presence, blockee.user.id);

    const socket = wsClient(server, blocker.accessToken, { lazy: false });
    expect((await friendsFeed.waitFor(1)).map((e) => e.presence.status)).toEqual(['ONLINE']);
    expect(await profileOf(friend, blocker)).toMatchObject({ about: 'busy', online: true, avatar: { id: avatar.id } });
    expect(await profileOf(blockee, blocker)).toMatchObject({
      displayName: blocker.user.displayName,
      about: null,
      online: false,
      lastSeenAt: null,
      avatar: null,
    });
    await socket.dispose();
    expect((await friendsFeed.waitFor(2)).map((e) => e.presence.status)).toEqual(['ONLINE', 'OFFLINE']);
    // Both were published in the same publishMany: what the friend got, the blocked user would have by now.
    expect(blockeesFeed.events).toEqual([]);
    // The blocker still sees the blocked user as before.
    const blockeeSocket = wsClient(server, blockee.accessToken, { lazy: false });
    await expect.poll(async () => (await profileOf(blocker, blockee)).online).toBe(true);
    await blockeeSocket.dispose();

    await unblocked(blocker, blockee);
    expect(await profileOf(blockee, blocker)).toMatchObject({ about: 'busy', online: false, avatar: { id: avatar.id } });
    expect((await profileOf(blockee, blocker)).lastSeenAt).not.toBeNull();
    const again = wsClient(server, blocker.accessToken, { lazy: false });
    expect((await blockeesFeed.waitFor(1)).map((e) => e.presence.status)).toEqual(['ONLINE']);
    expect((await profileOf(blockee, blocker)).online).toBe(true);
    await again.dispose();
  });
});
