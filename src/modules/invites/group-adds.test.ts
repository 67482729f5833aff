import { beforeAll, describe, expect, it } from 'vitest';
import { createGroup, createPrivateChat } from '../../test/chats.js';
import { as, createUser, type TestUser } from '../../test/factories.js';
import {
  AddGroupMembersDocument,
  BlockUserDocument,
  ChatByIdDocument,
  ChatInvitePreviewDocument,
  ChatInvitesDocument,
  CreateGroupChatDocument,
  JoinChatByInviteDocument,
  LeaveChatDocument,
  MessagesDocument,
  NotificationsDocument,
  OnNotificationDocument,
  UpdatePrivacyDocument,
} from '../../test/generated/graphql.js';
import { serverSuite } from '../../test/suite.js';
import { LiveSubscription, expectErrorCode, expectNoErrors, gql, waitForListeners, type TestServer } from '../../test/server.js';
import { NotificationTopic } from '../notifications/index.js';

const suite = serverSuite(['Alice', 'Bob']);
let server: TestServer;
let alice: TestUser;
let bob: TestUser;
beforeAll(() => {
  ({
    server,
    users: [alice, bob],
  } = suite.ready());
});

/** A new user who set their groupAdds privacy to `groupAdds`, as a client does. */
async function person(displayName: string, groupAdds: 'EVERYONE' | 'CHATS' | 'NOBODY' = 'EVERYONE'): Promise<TestUser> {
  const user = await createUser(server, { displayName });
  expectNoErrors(await gql(server, UpdatePrivacyDocument, { input: { groupAdds } }, as(user)));
  return user;
}

const invitesOf = async (user: TestUser, chatId: string) => expectNoErrors(await gql(server, ChatInvitesDocument, { id: chatId }, as(user))).chat!;
const join = (user: TestUser, code: string) => gql(server, JoinChatByInviteDocument, { code }, as(user));
const invitationsTo = async (user: TestUser) =>
  expectNoErrors(await gql(server, NotificationsDocument, { first: 50 }, as(user)))
    .notifications.edges.map((edge) => edge.node)
    .filter((n) => n.type === 'GROUP_INVITATION');
const codeIn = (notification: { data: string | null }) => (JSON.parse(notification.data!) as { code: string }).code;
const memberIds = (chatId: string) =>
  server.database.prisma.chatMember.findMany({ where: { chatId }, select: { userId: true } }).then((rows) => rows.map((row) => row.userId).sort());

describe('groupAdds privacy', () => {
  it('NOBODY: an add becomes an invitation, listed to the admins until it is accepted with joinChatByInvite', async () => {
    const [nora, eve] = await Promise.all([person('Nora', 'NOBODY'), person('Eve')]);
    // Sharing a chat with the adder does not matter under NOBODY.
    await createPrivateChat(server, alice, nora);
    const chatId = await createGroup(server, alice, [bob], 'Picnic');
    const norasNotifications = new LiveSubscription(suite.connect(nora), OnNotificationDocument);
    await waitForListeners(server, NotificationTopic.Notification, nora.user.id);

    const answer = expectNoErrors(await gql(server, AddGroupMembersDocument, { chatId, userIds: [nora.user.id, eve.user.id] }, as(alice))).addGroupMembers;
    expect(answer.members.map((m) => m.user.id).sort()).toEqual([alice.user.id, bob.user.id, eve.user.id].sort());
    expect(answer.lastMessage?.text).toBe('Alice added Eve');
    expect((await invitesOf(alice, chatId)).invitedUsers).toEqual([{ id: nora.user.id, displayName: 'Nora' }]);
    // Only admins see who was invited.
    expect((await invitesOf(bob, chatId)).invitedUsers).toEqual([]);
    expectErrorCode(await gql(server, ChatByIdDocument, { id: chatId }, as(nora)), 'NOT_FOUND');

    const [invitation] = (await norasNotifications.waitFor(1)).map((e) => e.notification);
    expect(invitation).toMatchObject({ type: 'GROUP_INVITATION', title: 'Picnic', body: 'Alice invited you to join' });
    expect(JSON.parse(invitation!.data!)).toEqual({ chatId, code: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/), inviterId: alice.user.id });
    const code = codeIn(invitation!);

    // The code is hers alone: to anyone else it is an unknown code.
    expectErrorCode(await gql(server, ChatInvitePreviewDocument, { code }, as(eve)), 'NOT_FOUND');
    expectErrorCode(await join(bob, code), 'NOT_FOUND');
    expect(expectNoErrors(await gql(server, ChatInvitePreviewDocument, { code }, as(nora))).chatInvitePreview).toMatchObject({
      title: 'Picnic',
      memberCount: 3,
    });

    expect(expectNoErrors(await join(nora, code)).joinChatByInvite.chat).toMatchObject({ id: chatId, memberCount: 4 });
    const { messages } = expectNoErrors(await gql(server, MessagesDocument, { chatId, first: 1 }, as(nora)));
    expect(messages.edges[0]?.node.text).toBe('Nora joined, invited by Alice');
    expect((await invitesOf(alice, chatId)).invitedUsers).toEqual([]);
    // Used once: after leaving, the same code does not let her back.
    expectNoErrors(await gql(server, LeaveChatDocument, { chatId }, as(nora)));
    expectErrorCode(await join(nora, code), 'NOT_FOUND');
  });

  it('CHATS: only people who share a chat with me may add me; a group may start with its creator alone and its invitations', async () => {
    const [cleo, friend, zed] = await Promise.all([person('Cleo', 'CHATS'), person('Friend'), person('Zed')]);
    await createPrivateChat(server, friend, cleo);

    // A friend shares a chat with her: added.
    const friends = expectNoErrors(
      await gql(server, CreateGroupChatDocument, { input: { title: 'Friends', memberIds: [cleo.user.id] } }, as(friend)),
    ).createGroupChat;
    expect(friends.members.map((m) => m.user.id).sort()).toEqual([friend.user.id, cleo.user.id].sort());
    expect((await invitesOf(friend, friends.id)).invitedUsers).toEqual([]);

    // Zed shares none: invited; the group starts with Zed alone.
    const zeds = expectNoErrors(
      await gql(server, CreateGroupChatDocument, { input: { title: 'Cold call', memberIds: [cleo.user.id] } }, as(zed)),
    ).createGroupChat;
    expect(zeds.members.map((m) => m.user.id)).toEqual([zed.user.id]);
    expect(zeds.lastMessage?.text).toBe('Zed created the group "Cold call"');
    expect((await invitesOf(zed, zeds.id)).invitedUsers.map((u) => u.id)).toEqual([cleo.user.id]);
    await expect.poll(async () => (await invitationsTo(cleo)).length).toBe(1);
    const [invitation] = await invitationsTo(cleo);
    expect(JSON.parse(invitation!.data!)).toMatchObject({ chatId: zeds.id, inviterId: zed.user.id });

    // Asking again renews the one invitation (same code); it is not repeated.
    expectNoErrors(await gql(server, AddGroupMembersDocument, { chatId: zeds.id, userIds: [cleo.user.id] }, as(zed)));
    await expect.poll(async () => (await invitationsTo(cleo)).length).toBe(2);
    const codes = (await invitationsTo(cleo)).map(codeIn);
    expect(new Set(codes).size).toBe(1);
    expect(await server.database.prisma.chatInvite.count({ where: { chatId: zeds.id } })).toBe(1);

    // Once in a group together, they share a chat: Zed's next add of her in another group goes through.
    expectNoErrors(await join(cleo, codes[0]!));
    const next = expectNoErrors(
      await gql(server, CreateGroupChatDocument, { input: { title: 'Now we talk', memberIds: [cleo.user.id] } }, as(zed)),
    ).createGroupChat;
    expect(next.members.map((m) => m.user.id).sort()).toEqual([zed.user.id, cleo.user.id].sort());
  });

  it('an invitation lapses after its time; a block still refuses the add outright', async () => {
    const [nico, blocker] = await Promise.all([person('Nico', 'NOBODY'), person('Blocker', 'NOBODY')]);
    const chatId = await createGroup(server, alice, [bob]);
    expectNoErrors(await gql(server, AddGroupMembersDocument, { chatId, userIds: [nico.user.id] }, as(alice)));
    await expect.poll(async () => (await invitationsTo(nico)).length).toBe(1);
    const [invitation] = await invitationsTo(nico);
    const stored = await server.database.prisma.chatInvite.findUniqueOrThrow({ where: { code: codeIn(invitation!) } });
    // Seven days, give or take the test's own time.
    expect(stored.expiresAt!.getTime() - stored.createdAt.getTime()).toBeGreaterThan(7 * 24 * 3600_000 - 60_000);
    await server.database.prisma.chatInvite.update({ where: { id: stored.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await invitesOf(alice, chatId)).invitedUsers).toEqual([]);
    expectErrorCode(await join(nico, codeIn(invitation!)), 'NOT_FOUND');
    expect(await memberIds(chatId)).toEqual([alice.user.id, bob.user.id].sort());

    expectNoErrors(await gql(server, BlockUserDocument, { userId: alice.user.id }, as(blocker)));
    expectErrorCode(await gql(server, AddGroupMembersDocument, { chatId, userIds: [blocker.user.id] }, as(alice)), 'FORBIDDEN');
    expect(await server.database.prisma.chatInvite.count({ where: { inviteeId: blocker.user.id } })).toBe(0);
  });
});
