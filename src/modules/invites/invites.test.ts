import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createGroup, createPrivateChat, sent } from '../../test/chats.js';
import { as, createUser, type TestUser } from '../../test/factories.js';
import {
  ApproveJoinRequestDocument,
  ChatByIdDocument,
  ChatChangesDocument,
  ChatInvitePreviewDocument,
  ChatInvitesDocument,
  CreateInviteLinkDocument,
  DeclineJoinRequestDocument,
  JoinChatByInviteDocument,
  JoinRequestsDocument,
  MessagesDocument,
  NotificationsDocument,
  OnChatMembersDocument,
  OnNewMessageDocument,
  OnNotificationDocument,
  RemoveGroupMemberDocument,
  RevokeInviteLinkDocument,
  type InviteLinkInput,
} from '../../test/generated/graphql.js';
import { serverSuite } from '../../test/suite.js';
import { LiveSubscription, expectErrorCode, expectNoErrors, gql, startTestServer, waitForListeners, type TestServer } from '../../test/server.js';
import { ChatTopic } from '../chats/index.js';
import { MessageTopic } from '../messages/index.js';
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

const person = (displayName: string) => createUser(server, { displayName });
const newLink = async (admin: TestUser, chatId: string, input?: InviteLinkInput) =>
  expectNoErrors(await gql(server, CreateInviteLinkDocument, { chatId, input }, as(admin))).createInviteLink;
const preview = (user: TestUser, code: string) => gql(server, ChatInvitePreviewDocument, { code }, as(user));
const join = (user: TestUser, code: string) => gql(server, JoinChatByInviteDocument, { code }, as(user));
const joined = async (user: TestUser, code: string) => expectNoErrors(await join(user, code)).joinChatByInvite;
const linksOf = async (user: TestUser, chatId: string) => expectNoErrors(await gql(server, ChatInvitesDocument, { id: chatId }, as(user))).chat!;
const memberIds = (chatId: string) =>
  server.database.prisma.chatMember.findMany({ where: { chatId }, select: { userId: true } }).then((rows) => rows.map((row) => row.userId).sort());
const notificationsOf = async (user: TestUser) =>
  expectNoErrors(await gql(server, NotificationsDocument, { first: 50 }, as(user))).notifications.edges.map((edge) => edge.node);

async function texts(user: TestUser, chatId: string): Promise<(string | null)[]> {
  const { messages } = expectNoErrors(await gql(server, MessagesDocument, { chatId, afterSeq: 0, first: 100 }, as(user)));
  return messages.edges.map((edge) => edge.node.text);
}

/** Refused as a code that lets nobody in: the same code and the same words, whatever the reason. */
function expectUnknownCode(result: Parameters<typeof expectErrorCode>[0]): void {
  expect(expectErrorCode(result, 'NOT_FOUND').message).toBe('Invite link not found');
}

describe('invite links', () => {
  it('a stranger previews the group without joining, then joins as an added member does: SYSTEM message, chatUpdated, live messages, the account feed', async () => {
    const carol = await person('Carol');
    const chatId = await createGroup(server, alice, [bob], 'Book club');
    await server.database.prisma.chat.update({ where: { id: chatId }, data: { description: 'We read slowly' } });
    const link = await newLink(alice, chatId);
    expect(link).toMatchObject({ uses: 0, maxUses: null, expiresAt: null, requiresApproval: false, revoked: false });

    expect(expectNoErrors(await preview(carol, link.code)).chatInvitePreview).toEqual({
      title: 'Book club',
      description: 'We read slowly',
      memberCount: 2,
      avatar: null,
    });
    // Looking is not joining.
    expectErrorCode(await gql(server, ChatByIdDocument, { id: chatId }, as(carol)), 'NOT_FOUND');
    expect(await memberIds(chatId)).toEqual([alice.user.id, bob.user.id].sort());

    const bobsMessages = new LiveSubscription(suite.connect(bob), OnNewMessageDocument, { chatId });
    const bobsUpdates = new LiveSubscription(suite.connect(bob), OnChatMembersDocument, { chatId });
    const carolsMessages = new LiveSubscription(suite.connect(carol), OnNewMessageDocument, {});
    await waitForListeners(server, MessageTopic.NewMessage, bob.user.id);
    await waitForListeners(server, ChatTopic.ChatUpdated, bob.user.id);
    await waitForListeners(server, MessageTopic.NewMessage, carol.user.id);

    const result = await joined(carol, link.code);
    expect(result.request).toBeNull();
    expect(result.chat).toMatchObject({ id: chatId, memberCount: 3, leftAt: null });
    expect((await bobsMessages.waitFor(1)).map((e) => [e.newMessage.kind, e.newMessage.text])).toEqual([['SYSTEM', 'Carol joined using an invite link']]);
    expect((await bobsUpdates.waitFor(1))[0]!.chatUpdated).toEqual({ id: chatId, memberCount: 3 });
    // Her socket listens to the group from now on, as it would after an add.
    await sent(server, alice, chatId, 'welcome, Carol');
    expect((await carolsMessages.waitFor(2)).map((e) => e.newMessage.text)).toEqual(['Carol joined using an invite link', 'welcome, Carol']);
    const feed = expectNoErrors(await gql(server, ChatChangesDocument, {}, as(carol))).chatChanges;
    expect(feed.chats.map((chat) => chat.id)).toContain(chatId);
    // She joined by herself: no "added you".
    expect((await notificationsOf(carol)).map((n) => n.type)).toEqual([]);

    // Again: the chat, and no second use.
    expect((await joined(carol, link.code)).chat?.id).toBe(chatId);
    expect((await linksOf(alice, chatId)).inviteLinks).toEqual([{ ...link, uses: 1 }]);
    expect(await texts(carol, chatId)).toEqual(['Alice created the group "Book club" with Bob', 'Carol joined using an invite link', 'welcome, Carol']);
  });

  it('maxUses 2 admits two and refuses the third, even when five race for it', async () => {
    const chatId = await createGroup(server, alice, [bob]);
    const link = await newLink(alice, chatId, { maxUses: 2 });
    const racers = await Promise.all(['R1', 'R2', 'R3', 'R4', 'R5'].map(person));
    const results = await Promise.all(racers.map((racer) => join(racer, link.code)));
    const admitted = racers.filter((_, i) => results[i]!.errors === undefined);
    expect(admitted).toHaveLength(2);
    for (const result of results.filter((r) => r.errors !== undefined)) expectUnknownCode(result);
    expect(await memberIds(chatId)).toEqual([alice.user.id, bob.user.id, ...admitted.map((u) => u.user.id)].sort());
    expect((await linksOf(alice, chatId)).inviteLinks[0]).toMatchObject({ code: link.code, uses: 2, maxUses: 2 });
    // Used up: the preview is refused like any unknown code.
    expectUnknownCode(await preview(racers[4]!, link.code));
  });

  it('revoked, expired, unknown and malformed codes are refused alike, by preview and by join', async () => {
    const dave = await person('Dave');
    const chatId = await createGroup(server, alice, [bob]);
    const revoked = await newLink(alice, chatId);
    expect(expectNoErrors(await gql(server, RevokeInviteLinkDocument, { code: revoked.code }, as(alice))).revokeInviteLink).toBe(true);
    // Revoking again changes nothing and says so no differently.
    expect(expectNoErrors(await gql(server, RevokeInviteLinkDocument, { code: revoked.code }, as(alice))).revokeInviteLink).toBe(true);
    const expired = await newLink(alice, chatId, { expiresAt: new Date(Date.now() + 60_000).toISOString() });
    await server.database.prisma.chatInvite.update({ where: { code: expired.code }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const unknown = randomBytes(16).toString('base64url');

    for (const code of [revoked.code, expired.code, unknown, 'x', `${revoked.code}=`, '']) {
      expectUnknownCode(await preview(dave, code));
      expectUnknownCode(await join(dave, code));
    }
    expect(await memberIds(chatId)).toEqual([alice.user.id, bob.user.id].sort());
    // The admins still see both, for what they were.
    const links = (await linksOf(alice, chatId)).inviteLinks;
    expect(links.map((l) => [l.code, l.revoked])).toEqual([
      [expired.code, false],
      [revoked.code, true],
    ]);
  });

  it('a removed member may come back through a link, and reads as a re-added member does', async () => {
    const carol = await person('Carol');
    const chatId = await createGroup(server, alice, [bob, carol], 'Reunion');
    const link = await newLink(alice, chatId);
    await sent(server, alice, chatId, 'before');
    expectNoErrors(await gql(server, RemoveGroupMemberDocument, { chatId, userId: carol.user.id }, as(alice)));
    await sent(server, alice, chatId, 'while Carol was away');
    expect((await joined(carol, link.code)).chat).toMatchObject({ id: chatId, leftAt: null });
    await sent(server, bob, chatId, 'back');
    expect(await texts(carol, chatId)).toEqual([
      'Alice created the group "Reunion" with Bob and Carol',
      'before',
      'Alice removed Carol',
      'Carol joined using an invite link',
      'back',
    ]);
    expect(await texts(bob, chatId)).toContain('while Carol was away');
  });

  it('the member cap (MAX_GROUP_MEMBERS) holds on joining and on approving; nothing is used up by a refusal', async () => {
    const small = await startTestServer({ MAX_GROUP_MEMBERS: '4' });
    try {
      const user = (displayName: string) => createUser(small, { displayName });
      const [owner, member, third, fourth, late, asker] = await Promise.all([
        user('Owner'),
        user('Member'),
        user('Third'),
        user('Fourth'),
        user('Late'),
        user('Asker'),
      ]);
      const chatId = await createGroup(small, owner, [member, third], 'Full house');
      const link = async (input?: InviteLinkInput) => expectNoErrors(await gql(small, CreateInviteLinkDocument, { chatId, input }, as(owner))).createInviteLink;
      const open = await link();
      const gated = await link({ requiresApproval: true });
      const request = expectNoErrors(await gql(small, JoinChatByInviteDocument, { code: gated.code }, as(asker))).joinChatByInvite.request!;
      // The fourth place goes to the first to join.
      expect(expectNoErrors(await gql(small, JoinChatByInviteDocument, { code: open.code }, as(fourth))).joinChatByInvite.chat?.memberCount).toBe(4);

      const refused = expectErrorCode(await gql(small, JoinChatByInviteDocument, { code: open.code }, as(late)), 'BAD_USER_INPUT');
      expect(refused.message).toBe('A group has at most 4 members');
      expect(refused.extensions?.['field']).toBe('code');
      const notApproved = expectErrorCode(await gql(small, ApproveJoinRequestDocument, { requestId: request.id }, as(owner)), 'BAD_USER_INPUT');
      expect(notApproved.extensions?.['field']).toBe('requestId');
      const links = expectNoErrors(await gql(small, ChatInvitesDocument, { id: chatId }, as(owner))).chat!.inviteLinks;
      expect(links.find((l) => l.code === open.code)?.uses).toBe(1);
      expect(expectNoErrors(await gql(small, JoinRequestsDocument, { chatId }, as(owner))).joinRequests.totalCount).toBe(1);
      expect(await small.database.prisma.chatMember.count({ where: { chatId } })).toBe(4);

      // Room again: both go through.
      expectNoErrors(await gql(small, RemoveGroupMemberDocument, { chatId, userId: third.user.id }, as(owner)));
      expectNoErrors(await gql(small, RemoveGroupMemberDocument, { chatId, userId: fourth.user.id }, as(owner)));
      expect(expectNoErrors(await gql(small, JoinChatByInviteDocument, { code: open.code }, as(late))).joinChatByInvite.chat?.memberCount).toBe(3);
      expect(expectNoErrors(await gql(small, ApproveJoinRequestDocument, { requestId: request.id }, as(owner))).approveJoinRequest.memberCount).toBe(4);
    } finally {
      await small.close();
    }
  });
});

describe('join requests', () => {
  it('a link that needs approval files one request; admins are told; one approved joins, one declined is told so', async () => {
    const [dave, erin] = await Promise.all([person('Dave'), person('Erin')]);
    const chatId = await createGroup(server, alice, [bob], 'Gated');
    const link = await newLink(alice, chatId, { requiresApproval: true });
    expect(expectNoErrors(await preview(dave, link.code)).chatInvitePreview.memberCount).toBe(2);

    const alicesNotifications = new LiveSubscription(suite.connect(alice), OnNotificationDocument);
    const davesNotifications = new LiveSubscription(suite.connect(dave), OnNotificationDocument);
    const erinsNotifications = new LiveSubscription(suite.connect(erin), OnNotificationDocument);
    for (const user of [alice, dave, erin]) await waitForListeners(server, NotificationTopic.Notification, user.user.id);

    const asked = await joined(dave, link.code);
    expect(asked.chat).toBeNull();
    expect(asked.request).toMatchObject({ user: { id: dave.user.id, displayName: 'Dave' } });
    // Asking again: the same pending request, and nothing new for the admins.
    expect((await joined(dave, link.code)).request?.id).toBe(asked.request!.id);
    const erinsRequest = (await joined(erin, link.code)).request!;
    expectErrorCode(await gql(server, ChatByIdDocument, { id: chatId }, as(dave)), 'NOT_FOUND');

    const toAlice = (await alicesNotifications.waitFor(2)).map((e) => e.notification);
    expect(toAlice.map((n) => [n.type, n.title, n.body])).toEqual([
      ['JOIN_REQUEST', 'Gated', 'Dave asked to join'],
      ['JOIN_REQUEST', 'Gated', 'Erin asked to join'],
    ]);
    expect(JSON.parse(toAlice[0]!.data!)).toEqual({ chatId, requestId: asked.request!.id });
    // Bob is a member, not an admin.
    expect((await notificationsOf(bob)).filter((n) => n.type === 'JOIN_REQUEST')).toEqual([]);

    const pending = expectNoErrors(await gql(server, JoinRequestsDocument, { chatId, first: 1 }, as(alice))).joinRequests;
    expect(pending.totalCount).toBe(2);
    expect(pending.edges.map((e) => e.node.id)).toEqual([erinsRequest.id]);
    const rest = expectNoErrors(await gql(server, JoinRequestsDocument, { chatId, first: 1, after: pending.pageInfo.endCursor }, as(alice))).joinRequests;
    expect(rest.edges.map((e) => e.node.id)).toEqual([asked.request!.id]);
    expect(rest.pageInfo.hasNextPage).toBe(false);

    const approved = expectNoErrors(await gql(server, ApproveJoinRequestDocument, { requestId: asked.request!.id }, as(alice))).approveJoinRequest;
    expect(approved).toEqual({ id: chatId, memberCount: 3 });
    expect((await davesNotifications.waitFor(1)).map((e) => [e.notification.type, e.notification.body])).toEqual([
      ['JOIN_APPROVED', 'Alice approved your request to join'],
    ]);
    expect((await texts(dave, chatId)).at(-1)).toBe("Alice approved Dave's request to join");

    expect(expectNoErrors(await gql(server, DeclineJoinRequestDocument, { requestId: erinsRequest.id }, as(alice))).declineJoinRequest).toBe(true);
    expect((await erinsNotifications.waitFor(1)).map((e) => [e.notification.type, e.notification.title, e.notification.body])).toEqual([
      ['JOIN_DECLINED', 'Gated', 'Your request to join was declined'],
    ]);
    expect(await memberIds(chatId)).toEqual([alice.user.id, bob.user.id, dave.user.id].sort());
    expect(expectNoErrors(await gql(server, JoinRequestsDocument, { chatId }, as(alice))).joinRequests.totalCount).toBe(0);
    // Handled requests are gone: a second answer finds nothing.
    expectErrorCode(await gql(server, ApproveJoinRequestDocument, { requestId: erinsRequest.id }, as(alice)), 'NOT_FOUND');
    expectErrorCode(await gql(server, DeclineJoinRequestDocument, { requestId: asked.request!.id }, as(alice)), 'NOT_FOUND');
    // A declined person may ask again; uses counts the requests filed.
    expect((await joined(erin, link.code)).request?.id).not.toBe(erinsRequest.id);
    expect((await linksOf(alice, chatId)).inviteLinks[0]?.uses).toBe(3);
  });
});

describe('who may do what', () => {
  it('links and requests are for group admins: strangers NOT_FOUND, members FORBIDDEN, private chats refused', async () => {
    const [stranger, asker] = await Promise.all([person('Stranger'), person('Asker')]);
    const chatId = await createGroup(server, alice, [bob]);
    const link = await newLink(alice, chatId, { requiresApproval: true });
    const request = (await joined(asker, link.code)).request!;

    for (const [user, code] of [
      [stranger, 'NOT_FOUND'],
      [bob, 'FORBIDDEN'],
    ] as const) {
      expectErrorCode(await gql(server, CreateInviteLinkDocument, { chatId }, as(user)), code);
      expectErrorCode(await gql(server, RevokeInviteLinkDocument, { code: link.code }, as(user)), code);
      expectErrorCode(await gql(server, JoinRequestsDocument, { chatId }, as(user)), code);
      expectErrorCode(await gql(server, ApproveJoinRequestDocument, { requestId: request.id }, as(user)), code);
      expectErrorCode(await gql(server, DeclineJoinRequestDocument, { requestId: request.id }, as(user)), code);
    }
    // To a stranger, a real code or request id is refused in the words of one that names nothing.
    expect(expectErrorCode(await gql(server, RevokeInviteLinkDocument, { code: link.code }, as(stranger)), 'NOT_FOUND').message).toBe('Invite link not found');
    expect(expectErrorCode(await gql(server, ApproveJoinRequestDocument, { requestId: request.id }, as(stranger)), 'NOT_FOUND').message).toBe(
      'Join request not found',
    );
    // A plain member sees no links and no invitations.
    expect(await linksOf(bob, chatId)).toEqual({ id: chatId, inviteLinks: [], invitedUsers: [] });
    // Nothing changed.
    expect((await linksOf(alice, chatId)).inviteLinks.map((l) => l.revoked)).toEqual([false]);
    expect(expectNoErrors(await gql(server, JoinRequestsDocument, { chatId }, as(alice))).joinRequests.totalCount).toBe(1);

    const privateChat = await createPrivateChat(server, alice, bob);
    expect(expectErrorCode(await gql(server, CreateInviteLinkDocument, { chatId: privateChat }, as(alice)), 'BAD_USER_INPUT').extensions?.['field']).toBe(
      'chatId',
    );
    expectErrorCode(await gql(server, CreateInviteLinkDocument, { chatId: 'not-a-uuid' }, as(alice)), 'NOT_FOUND');
    expectErrorCode(await gql(server, ApproveJoinRequestDocument, { requestId: 'not-a-uuid' }, as(alice)), 'NOT_FOUND');
  });

  it('codes are 22 characters of base64url carrying 128 random bits; inputs are checked; a group has at most 100 working links', async () => {
    const chatId = await createGroup(server, alice, [bob]);
    const codes = new Set<string>();
    for (let i = 0; i < 100; i += 1) {
      const { code } = await newLink(alice, chatId, i % 2 === 0 ? { maxUses: 5 } : undefined);
      expect(code).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(Buffer.from(code, 'base64url')).toHaveLength(16);
      codes.add(code);
    }
    expect(codes.size).toBe(100);
    expectErrorCode(await gql(server, CreateInviteLinkDocument, { chatId }, as(alice)), 'BAD_USER_INPUT');
    const [first] = codes;
    expectNoErrors(await gql(server, RevokeInviteLinkDocument, { code: first! }, as(alice)));
    await newLink(alice, chatId);
    // The list stops at 100, working links first: the revoked one is left out.
    const links = (await linksOf(alice, chatId)).inviteLinks;
    expect(links).toHaveLength(100);
    expect(links.some((l) => l.revoked)).toBe(false);

    const soon = new Date(Date.now() + 3600_000).toISOString();
    for (const [input, field] of [
      [{ maxUses: 0 }, 'maxUses'],
      [{ maxUses: 100_000 }, 'maxUses'],
      [{ maxUses: 3, requiresApproval: true }, 'maxUses'],
      [{ expiresAt: new Date(Date.now() - 1000).toISOString() }, 'expiresAt'],
      [{ expiresAt: new Date(Date.now() + 400 * 24 * 3600_000).toISOString() }, 'expiresAt'],
    ] as const) {
      expect(expectErrorCode(await gql(server, CreateInviteLinkDocument, { chatId, input }, as(alice)), 'BAD_USER_INPUT').extensions?.['field']).toBe(field);
    }
    const other = await createGroup(server, alice, [bob]);
    expect(await newLink(alice, other, { expiresAt: soon, maxUses: 1 })).toMatchObject({ expiresAt: soon, maxUses: 1, uses: 0 });
  });
});

describe('trying codes', () => {
  it('spends a budget per user (RATE_LIMIT_INVITES) and one per address (RATE_LIMIT_INVITES_IP), working codes or not', async () => {
    const limited = await startTestServer({ RATE_LIMIT_INVITES: '3/600', RATE_LIMIT_INVITES_IP: '5/600' });
    try {
      const [owner, member, first, second] = await Promise.all([
        createUser(limited, { displayName: 'Owner' }),
        createUser(limited, { displayName: 'Member' }),
        createUser(limited),
        createUser(limited),
      ]);
      const chatId = await createGroup(limited, owner, [member]);
      const { code } = expectNoErrors(await gql(limited, CreateInviteLinkDocument, { chatId }, as(owner))).createInviteLink;
      const guess = () => randomBytes(16).toString('base64url');
      expectErrorCode(await gql(limited, ChatInvitePreviewDocument, { code: guess() }, as(first)), 'NOT_FOUND');
      expectErrorCode(await gql(limited, JoinChatByInviteDocument, { code: guess() }, as(first)), 'NOT_FOUND');
      expectNoErrors(await gql(limited, ChatInvitePreviewDocument, { code }, as(first)));
      const perUser = expectErrorCode(await gql(limited, JoinChatByInviteDocument, { code }, as(first)), 'RATE_LIMITED');
      expect(perUser.extensions).toMatchObject({ policy: 'INVITES', retryAfterSeconds: expect.any(Number) });

      // Another user from the same address: two more fit in the address's five.
      expectErrorCode(await gql(limited, ChatInvitePreviewDocument, { code: guess() }, as(second)), 'NOT_FOUND');
      expect(expectNoErrors(await gql(limited, JoinChatByInviteDocument, { code }, as(second))).joinChatByInvite.chat?.id).toBe(chatId);
      const perAddress = expectErrorCode(await gql(limited, ChatInvitePreviewDocument, { code }, as(second)), 'RATE_LIMITED');
      expect(perAddress.extensions?.['policy']).toBe('INVITES_IP');
      // Admins managing their links spend nothing.
      expectNoErrors(await gql(limited, CreateInviteLinkDocument, { chatId }, as(owner)));
    } finally {
      await limited.close();
    }
  });
});
